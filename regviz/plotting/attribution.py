"""Attribution figures from finished arrays: stacked tracks, logos, ISM heatmaps.

Positions shown are 1-based (first base = 1); annotation tables are 0-based,
end exclusive (as in ``Dataset.annotations`` and BED) and are converted here.
No model calls.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .core import PALETTE
from .figures import BASE_COLORS, BASES, draw_logo, new_figure


def _sites(annotations: pd.DataFrame | None) -> pd.DataFrame:
    if annotations is None or len(annotations) == 0:
        return pd.DataFrame(columns=["start", "end", "motif_name", "strand"])
    return annotations


BARS_UP_TO = 1000      # bp; longer sequences are drawn as outlines


def _box(row: int, start: int, end: int, **style) -> dict:
    """A full-height box over 0-based half-open ``[start, end)`` on subplot ``row``."""
    axis = "" if row == 1 else str(row)
    return dict(type="rect", x0=start + 0.5, x1=end + 0.5, y0=0, y1=1, xref=f"x{axis}",
                yref=f"y{axis} domain", layer="below", **style)


def tracks_figure(tracks: dict, seq: str, annotations: pd.DataFrame | None = None,
                  title: str = "", hits: pd.DataFrame | None = None,
                  height_per_track: int = 150, patterns: pd.DataFrame | None = None) -> go.Figure:
    """Per-base importance tracks of one sequence, stacked and aligned on a shared x axis:
    a bar per base coloured by the base (with a colour key) up to `BARS_UP_TO` bp, an
    outline beyond (the bars would be narrower than a pixel).

    Parameters
    ----------
    tracks : dict of str -> array (L,)
        Method title -> importance per base.
    seq : str
        The sequence (length L); hover shows 1-based position, base and value.
    annotations : DataFrame, optional
        Planted motifs (motif_name, start 0-based, end exclusive, strand), drawn as
        shaded boxes on every track.
    hits : DataFrame, optional
        Motif-scan hits with the same columns (e.g. FIMO, converted to 0-based),
        drawn as outlined boxes.
    patterns : DataFrame, optional
        Hits of discovered patterns (start 0-based, end exclusive, label), drawn as
        purple outlines labelled at the foot of the first track.
    """
    names = list(tracks)
    rows = max(len(names), 1)
    height = 100 + height_per_track * rows
    gap_px = 34                                   # room for each track's title
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, subplot_titles=names,
                        vertical_spacing=min(0.3, gap_px / (height - 110)) if rows > 1 else 0)
    for a in fig.layout.annotations:               # titles at the left, clear of the bars
        a.update(x=0, xanchor="left", font=dict(size=13))
    pos = np.arange(1, len(seq) + 1)
    bases = np.array(list(seq))
    by_base = len(seq) <= BARS_UP_TO
    colors = [BASE_COLORS.get(b, "#888888") for b in bases] if by_base else None
    for k, name in enumerate(names, start=1):
        y = np.asarray(tracks[name], dtype=float)
        hover = dict(customdata=bases, name=name, showlegend=False,
                     hovertemplate="position %{x}<br>base %{customdata}<br>value %{y:.4g}"
                                   "<extra>" + name + "</extra>")
        if by_base:        # one bar per base, coloured by the base
            trace = go.Bar(x=pos, y=y, marker_color=colors, marker_line_width=0, **hover)
        else:              # bars narrower than a pixel: an outline draws many times faster
            trace = go.Scatter(x=pos, y=y, mode="lines", line=dict(width=1, color="#444444"),
                               fill="tozeroy", fillcolor="rgba(68,68,68,0.35)", **hover)
        fig.add_trace(trace, row=k, col=1)
        fig.update_yaxes(title_text="importance", row=k, col=1)
    # boxes as one list of shapes (add_vrect per box and track is slow with many sites)
    shapes, labels = [], []
    motif_names = list(dict.fromkeys(_sites(annotations)["motif_name"]))
    for r in _sites(annotations).itertuples():
        color = PALETTE[motif_names.index(r.motif_name) % len(PALETTE)]
        for k in range(1, len(names) + 1):
            shapes.append(_box(k, r.start, r.end, fillcolor=color, opacity=0.15, line_width=0))
        labels.append(dict(x=r.start + 0.5, y=1, xref="x", yref="y domain", text=r.motif_name,
                           showarrow=False, xanchor="left", yanchor="top", font_size=10))
    for r in _sites(hits).itertuples():
        for k in range(1, len(names) + 1):
            shapes.append(_box(k, r.start, r.end, fillcolor="rgba(0,0,0,0)",
                               line=dict(color="black", width=1, dash="dot")))
    for r in (patterns if patterns is not None else pd.DataFrame(columns=["start"])).itertuples():
        for k in range(1, len(names) + 1):
            shapes.append(_box(k, r.start, r.end, fillcolor="rgba(0,0,0,0)",
                               line=dict(color="#7b3294", width=1.5)))
        labels.append(dict(x=r.start + 0.5, y=0, xref="x", yref="y domain", text=r.label,
                           showarrow=False, xanchor="left", yanchor="bottom", font_size=9,
                           font_color="#7b3294"))
    fig.update_layout(shapes=shapes, annotations=[*fig.layout.annotations, *labels])
    for base in "ACGT" if by_base else "":        # the colour key: one legend entry per base
        fig.add_trace(go.Bar(x=[None], y=[None], marker_color=BASE_COLORS[base], name=base,
                             showlegend=True, hoverinfo="skip"), row=1, col=1)
    fig.update_xaxes(title_text="position (bp, 1-based)", row=rows, col=1)
    fig.update_layout(title=title, template="plotly_white", bargap=0, height=height,
                      margin=dict(l=60, r=20, t=70, b=45),
                      legend=dict(title="base", orientation="h", x=1, xanchor="right",
                                  y=1.0, yanchor="bottom"))
    return fig


def ism_heatmap(ism: np.ndarray, seq: str, title: str = "In-silico mutagenesis",
                start: int = 0, end: int | None = None) -> go.Figure:
    """Heatmap of ISM effects ``(4, L)`` (rows A, C, G, T), optionally for [start, end).

    Colour is f(mutant) - f(reference) (diverging, centred on 0); reference bases
    are 0 and marked with a dot.
    """
    ism = np.asarray(ism, dtype=float)
    end = ism.shape[1] if end is None else end
    sub = ism[:, start:end]
    pos = np.arange(start + 1, end + 1)
    bases = list(seq[start:end])
    lim = float(np.abs(sub).max()) or 1.0
    text = [[f"position {p}<br>reference {b}<br>{BASES[r]} -> {v:+.4g}"
             for p, b, v in zip(pos, bases, sub[r])] for r in range(4)]
    fig = go.Figure(go.Heatmap(z=sub, x=pos, y=list(BASES), zmid=0, zmin=-lim, zmax=lim,
                               colorscale="RdBu_r", text=text, hoverinfo="text",
                               colorbar=dict(title="Δ prediction")))
    ref_rows = [BASES.index(b) if b in BASES else None for b in bases]
    keep = [(p, BASES[r]) for p, r in zip(pos, ref_rows) if r is not None]
    if keep and len(keep) <= 600:
        fig.add_trace(go.Scatter(x=[p for p, _ in keep], y=[b for _, b in keep], mode="markers",
                                 marker=dict(size=3, color="black"), hoverinfo="skip",
                                 showlegend=False))
    fig.update_xaxes(title="position (bp, 1-based)")
    fig.update_yaxes(title="substituted base", autorange="reversed")
    fig.update_layout(title=title, template="plotly_white", height=260,
                      margin=dict(l=60, r=20, t=50, b=45))
    return fig


def logo_figure(attributions: np.ndarray, start: int = 0, end: int | None = None,
                title: str = "", width: float | None = None):
    """Attribution logo of positions [start, end) (0-based) as a matplotlib Figure.

    Letters are scaled by their attribution (negative values below the axis); x ticks
    are 1-based positions.
    """
    A = np.asarray(attributions, dtype=float)[:4]
    end = A.shape[1] if end is None else end
    fig, ax = new_figure(width or max(4.0, min(0.18 * (end - start), 24.0)), 2.2)
    draw_logo(ax, A[:, start:end], start=start + 1, title=title, ylabel="attribution")
    ax.set_xlabel("position (bp, 1-based)")
    fig.tight_layout()
    return fig



def scores_figure(table: pd.DataFrame, title: str = "Ground truth: planted-motif positions"):
    """Bar chart of positional AUROC and auPRC per method (columns method, auroc, auprc,
    baseline_auprc)."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=table["method"], y=table["auroc"], name="AUROC",
                         marker_color=PALETTE[0], text=[f"{v:.3f}" for v in table["auroc"]],
                         textposition="outside"))
    fig.add_trace(go.Bar(x=table["method"], y=table["auprc"], name="auPRC",
                         marker_color=PALETTE[1], text=[f"{v:.3f}" for v in table["auprc"]],
                         textposition="outside"))
    if "baseline_auprc" in table:
        fig.add_hline(y=float(table["baseline_auprc"].iloc[0]), line_dash="dot",
                      annotation_text="auPRC by chance")
    fig.add_hline(y=0.5, line_dash="dash", annotation_text="AUROC by chance",
                  annotation_position="bottom right")
    fig.update_yaxes(range=[0, 1.1], title="score")
    fig.update_layout(title=title, template="plotly_white", barmode="group", height=320,
                      margin=dict(l=60, r=20, t=50, b=45))
    return fig


def tracks_tsv(tracks: dict, seq: str) -> str:
    """Tab-separated table: position (1-based), base, one column per track."""
    df = pd.DataFrame({"position": np.arange(1, len(seq) + 1), "base": list(seq)})
    for name, values in tracks.items():
        df[name] = np.asarray(values, dtype=float)
    return df.to_csv(sep="\t", index=False)


def tracks_bedgraph(track, chrom: str, offset: int = 0, name: str = "attribution") -> str:
    """bedGraph text of one track (0-based, end exclusive; ``offset`` = 0-based start of
    the sequence on ``chrom``)."""
    values = np.asarray(track, dtype=float)
    lines = [f'track type=bedGraph name="{name}"']
    lines += [f"{chrom}\t{offset + i}\t{offset + i + 1}\t{v:.6g}" for i, v in enumerate(values)]
    return "\n".join(lines) + "\n"
