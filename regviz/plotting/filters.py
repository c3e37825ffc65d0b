"""Figures of the Filters page (from finished arrays of `regviz.filters`; no model calls).

logomaker (matplotlib) for logos: a grid of filter logos, and one filter drawn
above its JASPAR match with the Tomtom offset and strand applied; plotly for
the activation track and the per-task influence bars. Positions shown are
1-based.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .core import PALETTE, _layout
from .figures import draw_logo, new_figure


def logo_grid_figure(heights, titles, ncols: int = 4):
    """A grid of logos (matplotlib Figure), one panel per filter.

    Parameters
    ----------
    heights : list of (4, w) arrays
        Letter heights in bits (`regviz.motifs.letter_heights` of each PPM), in
        display order.
    titles : list of str
        One title per panel (e.g. "filter 3 | CTCF q=0.001").
    ncols : int
    """
    n = max(len(heights), 1)
    nrows = -(-n // ncols)
    fig, axes = new_figure(3.6 * ncols, 2.0 * nrows, nrows, ncols, squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        if k < len(heights):
            draw_logo(ax, heights[k], title=titles[k], fontsize=12)
            ax.set_ylim(0, 2)
        else:
            ax.axis("off")
    fig.tight_layout()
    return fig


def aligned_match_figure(filter_heights, target_heights, offset: int, strand: str,
                         filter_title: str, target_title: str, core=None):
    """A filter above its JASPAR match, aligned as Tomtom aligned them.

    Parameters
    ----------
    filter_heights, target_heights : (4, w) arrays
        Letter heights (bits) of the filter and of the JASPAR motif (forward strand).
    offset : int
        Filter column ``j`` lies on target column ``j + offset`` (match table).
    strand : str
        '-' draws the target's reverse complement.
    core : (start, end), optional
        0-based half-open informative core of the filter (shaded).
    """
    f = np.asarray(filter_heights, dtype=float)
    t = np.asarray(target_heights, dtype=float)
    if strand == "-":
        t = t[::-1, ::-1]
    wf, wt = f.shape[1], t.shape[1]
    # common coordinate: filter column j at x = j + 1; target column k at x = k - offset + 1
    lo, hi = min(1, 1 - offset), max(wf, wt - offset)
    fig, axes = new_figure(max(4.0, 0.35 * (hi - lo + 1) + 1), 3.6, 2, 1, sharex=True)
    draw_logo(axes[0], f, start=1, title=filter_title, fontsize=10)
    draw_logo(axes[1], t, start=1 - offset, fontsize=10,
              title=target_title + (" (reverse complement)" if strand == "-" else ""))
    if core is not None:
        axes[0].axvspan(core[0] + 0.5, core[1] + 0.5, color="#f2f2f2", zorder=-1)
    for ax in axes:
        ax.set_xlim(lo - 0.5, hi + 0.5)
        ax.set_ylim(0, 2)
    axes[1].set_xlabel("filter position (1-based)")
    fig.tight_layout()
    return fig


def activation_track_figure(table: pd.DataFrame, title: str = "") -> go.Figure:
    """One filter's activation along a sequence (plotly line; hover shows the window).

    ``table``: `regviz.filters.activation_table` (start 1-based, window, activation).
    """
    fig = go.Figure(go.Scatter(x=table["start"], y=table["activation"], mode="lines",
                               customdata=table["window"], line=dict(color=PALETTE[0]),
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
