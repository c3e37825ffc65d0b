"""Figures of the Filters page (from finished arrays of `regviz.filters`; no model calls).

logomaker (matplotlib) for logos: a grid of filter logos, and one filter drawn
above its JASPAR match with the Tomtom offset and strand applied; plotly for
the activation track and the per-task influence bars. Positions shown are
1-based.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .core import PALETTE, _layout

BASE_COLORS = {"A": "#2ca02c", "C": "#1f77b4", "G": "#ff7f0e", "T": "#d62728"}


def figure_png(fig, dpi: int = 120) -> bytes:
    """A matplotlib figure as PNG bytes (for download buttons)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def _heights(ppm: np.ndarray, background=None) -> pd.DataFrame:
    """Letter heights f x IC (bits) as a logomaker DataFrame (rows = positions, 1-based)."""
    p = np.asarray(ppm, dtype=float)
    p = p / p.sum(axis=0)
    bg = np.full(4, 0.25) if background is None else np.asarray(background, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ic = np.where(p > 0, p * np.log2(p / bg[:, None]), 0).sum(axis=0)
    df = pd.DataFrame((p * np.maximum(ic, 0)).T, columns=list("ACGT"))
    df.index = np.arange(1, p.shape[1] + 1)
    return df


def _logo(ax, ppm, title="", background=None, start=1):
    import logomaker

    df = _heights(ppm, background)
    df.index = np.arange(start, start + len(df))
    logomaker.Logo(df, ax=ax, color_scheme=BASE_COLORS)
    ax.set_ylim(0, 2)
    ax.set_title(title, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=6)


def logo_grid_figure(ppms, titles, ncols: int = 4, background=None):
    """A grid of logos (matplotlib figure), one panel per PPM.

    Parameters
    ----------
    ppms : list of (4, w) arrays
        Filter PPMs in display order.
    titles : list of str
        One title per panel (e.g. "filter 3 | CTCF q=0.001").
    ncols : int
    background : array of 4, optional
        Background of the information content (uniform if None).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = max(len(ppms), 1)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 1.5 * nrows), squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        if k < len(ppms):
            _logo(ax, ppms[k], titles[k], background)
        else:
            ax.axis("off")
    fig.tight_layout()
    return fig


def aligned_match_figure(filter_ppm, target_ppm, offset: int, strand: str,
                         filter_title: str, target_title: str, core=None):
    """A filter above its JASPAR match, aligned as Tomtom aligned them.

    Parameters
    ----------
    filter_ppm, target_ppm : (4, w) arrays
    offset : int
        Filter column ``j`` lies on target column ``j + offset`` (match table).
    strand : str
        '-' draws the target's reverse complement.
    core : (start, end), optional
        0-based half-open informative core of the filter (shaded).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = np.asarray(target_ppm, dtype=float)
    if strand == "-":
        t = t[::-1, ::-1]
    wf, wt = filter_ppm.shape[1], t.shape[1]
    # common coordinate: filter column j at x = j + 1; target column k at x = k - offset + 1
    lo, hi = min(1, 1 - offset), max(wf, wt - offset)
    fig, axes = plt.subplots(2, 1, figsize=(max(4.0, 0.35 * (hi - lo + 1) + 1), 3.4),
                             sharex=True)
    _logo(axes[0], filter_ppm, filter_title, start=1)
    _logo(axes[1], t, target_title + (" (reverse complement)" if strand == "-" else ""),
          start=1 - offset)
    if core is not None:
        axes[0].axvspan(core[0] + 0.5, core[1] + 0.5, color="#f2f2f2", zorder=-1)
    for ax in axes:
        ax.set_xlim(lo - 0.5, hi + 0.5)
    axes[1].set_xlabel("filter position (1-based)")
    fig.tight_layout()
    return fig


def activation_track_figure(activation: np.ndarray, sequence: str, width: int,
                            start_offset: int = 0, title: str = "") -> go.Figure:
    """One filter's activation along a sequence (plotly line; hover shows the window).

    Parameters
    ----------
    activation : (P,) array
        Output positions of the first layer.
    sequence : str
        The input sequence.
    width : int
        Filter width (the window shown on hover).
    start_offset : int
        Input position (0-based) of output position 0's window start: 0 for
        'valid' convolutions, ``-(width - 1) // 2`` for 'same' ones.
    """
    pos = np.arange(len(activation)) + start_offset
    windows = [sequence[max(p, 0):max(p + width, 0)] for p in pos]
    fig = go.Figure(go.Scatter(x=pos + 1, y=activation, mode="lines", customdata=windows,
                               line=dict(color=PALETTE[0]),
                               hovertemplate="window start %{x}<br>%{customdata}<br>"
                                             "activation %{y:.3f}<extra></extra>"))
    fig.update_xaxes(title="window start (1-based)")
    fig.update_yaxes(title="activation")
    return _layout(fig, title, 260)


def influence_figure(influence: pd.DataFrame, filter_index: int, task_names) -> go.Figure:
    """Mean change of each task's prediction when the filter is silenced (bars)."""
    row = influence.set_index("filter").loc[filter_index]
    vals = [float(row[t]) for t in task_names]
    fig = go.Figure(go.Bar(x=list(task_names), y=vals,
                           marker_color=[PALETTE[3] if v < 0 else PALETTE[2] for v in vals],
                           hovertemplate="%{x}: %{y:.4f}<extra></extra>"))
    fig.update_yaxes(title="prediction(silenced) - prediction")
    return _layout(fig, f"filter {filter_index}: influence per task", 280)
