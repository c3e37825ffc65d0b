"""Grad-CAM figures: per-layer tracks over one window, and a genome-browser-like scan view.

From finished arrays and tables only (see `regviz.gradcam`); no model calls.
Positions shown are 1-based (base i of a 0-based track is drawn at x = i + 1);
intervals given here are 0-based half-open, as in BED.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .core import PALETTE, _layout

CORE_FILL = "#ffe9a8"     # planted core (truth)
CALL_FILL = "#ff7f0e"     # called core


def _downsample(track: np.ndarray, start: int, max_points: int = 20_000):
    """(x 1-based, y) with at most ``max_points`` points; bins keep their maximum."""
    track = np.asarray(track, dtype=np.float32)
    step = max(1, int(np.ceil(len(track) / max_points)))
    if step == 1:
        return np.arange(len(track)) + start + 1, track
    n = len(track) // step * step
    y = track[:n].reshape(-1, step).max(axis=1)
    if n < len(track):
        y = np.append(y, track[n:].max())
    return np.arange(len(y)) * step + start + 1 + (step - 1) / 2, y


def _bands(fig, intervals, color, label, row=None, opacity=0.35):
    for s, e in intervals:
        kwargs = dict(x0=s + 0.5, x1=e + 0.5, fillcolor=color, opacity=opacity, line_width=0)
        if row is not None:
            fig.add_vrect(row=row, col=1, **kwargs)
        else:
            fig.add_vrect(**kwargs)
    if intervals:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=label,
                                 marker=dict(symbol="square", size=12, color=color)))


def window_figure(tracks: dict, resolution: pd.DataFrame | None = None, calls=None,
                  planted=None, hits: pd.DataFrame | None = None, prediction=None,
                  title: str = "Grad-CAM") -> go.Figure:
    """Grad-CAM tracks of one window, one row per layer.

    Parameters
    ----------
    tracks : dict of str -> array (L,)
        Layer name -> Grad-CAM at bp resolution.
    resolution : DataFrame, optional
        `regviz.gradcam.layer_resolution` rows (layer, bin_bp,
        receptive_field_bp) shown in each row's title.
    calls : DataFrame or list of (start, end), optional
        Called cores (0-based half-open), drawn orange on every row.
    planted : list of (start, end), optional
        True cores (0-based half-open), drawn yellow.
    hits : DataFrame, optional
        Motif sites (motif_name, start, end) drawn as ticks on the top row.
    prediction : float, optional
        Shown in the title (e.g. the window's probability).
    """
    names = list(tracks)
    info = {} if resolution is None else resolution.set_index("layer").to_dict("index")
    titles = [f"{n}  (bin {info[n]['bin_bp']} bp, receptive field "
              f"{info[n]['receptive_field_bp']} bp)" if n in info else n for n in names]
    fig = make_subplots(rows=max(len(names), 1), cols=1, shared_xaxes=True,
                        vertical_spacing=0.08, subplot_titles=titles)
    length = len(next(iter(tracks.values()))) if tracks else 0
    call_iv = _intervals(calls)
    for i, name in enumerate(names, start=1):
        t = np.asarray(tracks[name], np.float32)
        fig.add_trace(go.Scatter(x=np.arange(1, len(t) + 1), y=t, mode="lines",
                                 line=dict(color=PALETTE[0], width=1.5), name=name,
                                 showlegend=False,
                                 hovertemplate="position %{x}<br>Grad-CAM %{y:.3f}<extra></extra>"),
                      row=i, col=1)
        for s, e in planted or []:
            fig.add_vrect(x0=s + 0.5, x1=e + 0.5, fillcolor=CORE_FILL, opacity=0.6,
                          line_width=0, row=i, col=1)
        for s, e in call_iv:
            fig.add_vrect(x0=s + 0.5, x1=e + 0.5, fillcolor=CALL_FILL, opacity=0.25,
                          line_width=0, row=i, col=1)
    if planted:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name="planted core",
                                 marker=dict(symbol="square", size=12, color=CORE_FILL)))
    if call_iv:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name="called core",
                                 marker=dict(symbol="square", size=12, color=CALL_FILL)))
    if hits is not None and len(hits):
        motif_names = list(dict.fromkeys(hits["motif_name"]))
        for k, mname in enumerate(motif_names):
            rows = hits[hits["motif_name"] == mname]
            fig.add_trace(go.Scatter(
                x=(rows["start"] + rows["end"]) / 2 + 0.5, y=np.full(len(rows), 1.08),
                mode="markers", marker=dict(symbol="triangle-down", size=9,
                                            color=PALETTE[(k + 1) % len(PALETTE)]),
                name=mname, text=[f"{mname} {s + 1}-{e}" for s, e in zip(rows["start"],
                                                                         rows["end"])],
                hoverinfo="text"), row=1, col=1)
    fig.update_yaxes(range=[0, 1.15], title_text="Grad-CAM")
    fig.update_xaxes(range=[0.5, length + 0.5])
    fig.update_xaxes(title_text="position in window (bp, 1-based)", row=max(len(names), 1))
    if prediction is not None:
        title = f"{title} (prediction {prediction:.3f})"
    return _layout(fig, title, height=140 + 170 * max(len(names), 1), legend_title="")


def _intervals(calls) -> list:
    if calls is None:
        return []
    if isinstance(calls, pd.DataFrame):
        return list(zip(calls["start"].astype(int), calls["end"].astype(int)))
    return [(int(s), int(e)) for s, e in calls]


def scan_figure(windows: pd.DataFrame, track, track_start: int, calls=None, planted=None,
                chrom: str = "", threshold: float | None = None,
                title: str = "Grad-CAM scan") -> go.Figure:
    """Genome-browser-like view of a region scan.

    Rows: window predictions (each window a horizontal segment at its
    probability), the merged Grad-CAM track (long tracks are drawn as bin
    maxima, so peaks survive), and called / known (e.g. planted) cores. The x axis
    is in genomic coordinates, 1-based (``chrDemo1:10,000``).

    Parameters
    ----------
    windows : DataFrame
        start, end (0-based), prob, as in `ScanResult.windows`.
    track : array (region bp,)
        Merged track starting at 0-based ``track_start``.
    calls, planted : DataFrame or list of (start, end), optional
        Genomic 0-based half-open intervals (planted: known cores, e.g. the demo
        genome's BED).
    chrom : str
        Contig name: x ticks read ``chrom:1,000`` (1-based genomic positions).
    threshold : float, optional
        Drawn as a dashed line on the track.
    """
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        row_heights=[0.3, 0.5, 0.2],
                        subplot_titles=["window predictions", "Grad-CAM x window probability "
                                        "(merged over overlapping windows)", "cores"])
    for parity, color in ((0, PALETTE[0]), (1, "#9ecae1")):   # overlapping windows alternate
        xs, ys, text = [], [], []
        for r in windows.iloc[parity::2].itertuples(index=False):
            xs += [r.start + 1, r.end, None]
            ys += [r.prob, r.prob, None]
            label = f"{chrom}:{r.start + 1:,}-{r.end:,}<br>probability {r.prob:.3f}"
            text += [label, label, None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers",
                                 line=dict(color=color, width=3), marker=dict(size=5),
                                 name="window", text=text, hoverinfo="text", showlegend=False),
                      row=1, col=1)
    x, y = _downsample(track, track_start)
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line=dict(color=PALETTE[1], width=1.2),
                             name="Grad-CAM", showlegend=False,
                             hovertemplate=f"{chrom}:%{{x:,.0f}}<br>Grad-CAM %{{y:.3f}}"
                                           "<extra></extra>"), row=2, col=1)
    if threshold is not None:
        fig.add_hline(y=threshold, line_dash="dash", line_color="#7f7f7f", row=2, col=1)
    for label, intervals, color, level in (("called core", _intervals(calls), CALL_FILL, 1.0),
                                           ("known core", _intervals(planted), "#c9a227", 0.0)):
        bx, by, bt = [], [], []
        for s, e in intervals:
            bx += [s + 1, e, None]
            by += [level, level, None]
            t = f"{label} {chrom}:{s + 1:,}-{e:,} ({e - s} bp)"
            bt += [t, t, None]
        if intervals:
            fig.add_trace(go.Scatter(x=bx, y=by, mode="lines", line=dict(color=color, width=12),
                                     name=label, text=bt, hoverinfo="text"), row=3, col=1)
            for s, e in intervals:
                fig.add_vrect(x0=s + 0.5, x1=e + 0.5, fillcolor=color, opacity=0.2,
                              line_width=0, row=2, col=1)
    fig.update_yaxes(range=[-0.05, 1.05], title_text="probability", row=1, col=1)
    fig.update_yaxes(range=[-0.02, 1.05], title_text="Grad-CAM", row=2, col=1)
    fig.update_yaxes(tickvals=[0, 1], ticktext=["known", "called"], range=[-0.6, 1.6],
                     row=3, col=1)
    end = track_start + len(track)
    fig.update_xaxes(range=[track_start + 0.5, end + 0.5], tickformat=",d", nticks=8,
                     tickprefix=f"{chrom}:" if chrom else "")
    fig.update_xaxes(title_text=f"position on {chrom or 'the contig'} (bp, 1-based)",
                     row=3, col=1)
    return _layout(fig, title, height=560, legend_title="")


def localisation_figure(table: pd.DataFrame, title: str = "Where Grad-CAM peaks") -> go.Figure:
    """Histogram of peak distance to the planted core (0 = inside), from a table with
    a ``peak_distance_bp`` column (one row per true-positive window)."""
    fig = go.Figure(go.Histogram(x=table["peak_distance_bp"], nbinsx=40,
                                 marker_color=PALETTE[0]))
    fig.update_xaxes(title="distance of the Grad-CAM peak from the planted core (bp)")
    fig.update_yaxes(title="windows")
    return _layout(fig, title, height=320)
