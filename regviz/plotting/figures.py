"""Matplotlib figures without pyplot, and sequence logos drawn on them (logomaker).

Every matplotlib figure in regviz is a plain `matplotlib.figure.Figure`: no pyplot
registry (so nothing accumulates in a long-running server and nothing needs
closing), no backend switched as a side effect. `figure_png` turns one into PNG
bytes for a download button. Letter heights come in from the caller (the library
computes them, e.g. `regviz.motifs.letter_heights`); this module only draws.
"""

from __future__ import annotations

import io
import struct

import logomaker
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

BASES = "ACGT"
BASE_COLORS = {"A": "#109648", "C": "#255C99", "G": "#F7B32B", "T": "#D62839"}


def new_figure(width: float, height: float, nrows: int = 1, ncols: int = 1, **subplots):
    """``(Figure, axes)`` of the given size in inches; ``axes`` as `Figure.subplots` gives."""
    fig = Figure(figsize=(width, height))
    return fig, fig.subplots(nrows, ncols, **subplots)


def logo_frame(matrix, start: int = 1) -> pd.DataFrame:
    """A ``(4, w)`` matrix (rows A, C, G, T) as logomaker's table: rows = positions
    numbered from ``start``, columns A, C, G, T."""
    m = np.asarray(matrix, dtype=float)
    return pd.DataFrame(m[:4].T, columns=list(BASES),
                        index=pd.RangeIndex(start, start + m.shape[1], name="position"))


def draw_logo(ax, matrix, start: int = 1, title: str = "", ylabel: str = "",
              flip_below: bool = False, fontsize: int = 9) -> None:
    """Draw a ``(4, w)`` matrix as a logo on ``ax``: letter heights as given (negative
    ones below the axis), positions numbered from ``start``, whole-number ticks."""
    df = logo_frame(matrix, start)
    # logomaker sets the axis limits itself, so matplotlib's update of the data limits
    # after every glyph (Bezier extents of its outline) is skipped on this axis: a
    # 60-position logo draws about 30% faster, with the same limits
    ax._update_patch_limits = lambda patch: None
    try:
        logomaker.Logo(df, ax=ax, color_scheme=BASE_COLORS, flip_below=flip_below)
    finally:
        del ax._update_patch_limits
    ax.axhline(0, color="black", linewidth=0.5)
    ax.spines[["top", "right"]].set_visible(False)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(labelsize=fontsize - 1)
    if title:
        ax.set_title(title, fontsize=fontsize)
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=fontsize)


def figure_inches(png: bytes, dpi: int = 150) -> tuple[float, float]:
    """(width, height) in inches of a `figure_png` image (read from its PNG header)."""
    width, height = struct.unpack(">II", png[16:24])
    return width / dpi, height / dpi


def figure_png(fig: Figure, dpi: int = 150) -> bytes:
    """PNG bytes of a matplotlib figure (tight bounding box)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()
