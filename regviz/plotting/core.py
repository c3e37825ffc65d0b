"""Figures shared by several views: motif maps, labels, curves, receptive fields, training.

Positions shown to users are 1-based (the first base is 1), as in region strings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#bcbd22", "#7f7f7f"]


def _layout(fig: go.Figure, title: str, height: int, **kwargs) -> go.Figure:
    fig.update_layout(title=title, height=height, margin=dict(l=60, r=20, t=50, b=45),
                      template="plotly_white", **kwargs)
    return fig


def motif_map_figure(length: int, annotations: pd.DataFrame, title: str = "",
                     core: tuple[int, int] | None = None) -> go.Figure:
    """Planted motifs of one sequence as boxes along its length.

    Parameters
    ----------
    length : int
        Sequence length in bp (x axis runs 1..length).
    annotations : DataFrame
        Rows with motif_name, motif_id, start (0-based), end (exclusive), strand, role.
    core : (start, end), optional
        A 0-based half-open interval drawn as a shaded band (e.g. a planted core).
    """
    fig = go.Figure()
    roles = list(dict.fromkeys(annotations["role"])) if len(annotations) else []
    names = list(dict.fromkeys(annotations["motif_name"])) if len(annotations) else []
    color = {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}
    if core is not None:
        fig.add_vrect(x0=core[0] + 0.5, x1=core[1] + 0.5, fillcolor="#ffe9a8", opacity=0.6,
                      line_width=0, annotation_text="core", annotation_position="top left")
    for name in names:
        rows = annotations[annotations["motif_name"] == name]
        xs, ys, hover = [], [], []
        for r in rows.itertuples():
            y = roles.index(r.role)
            xs += [r.start + 0.5, r.end + 0.5, None]
            ys += [y, y, None]
            text = (f"{r.motif_name} ({r.motif_id})<br>{r.start + 1}-{r.end} ({r.strand})"
                    f"<br>role: {r.role}")
            hover += [text, text, None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=name, text=hover,
                                 hoverinfo="text", line=dict(width=14, color=color[name])))
        arrows = ["▶" if s == "+" else "◀" for s in rows["strand"]]
        fig.add_trace(go.Scatter(
            x=(rows["start"] + rows["end"]) / 2 + 0.5, y=[roles.index(r) for r in rows["role"]],
            mode="text", text=arrows, showlegend=False, hoverinfo="skip",
            textfont=dict(color="white", size=9)))
    fig.update_yaxes(tickvals=list(range(len(roles))), ticktext=roles, range=[-0.8, max(len(roles), 1) - 0.2])
    fig.update_xaxes(range=[0.5, length + 0.5], title="position (bp, 1-based)")
    return _layout(fig, title, height=110 + 40 * max(len(roles), 1), legend_title="motif")


def label_distribution_figure(y: np.ndarray, task_names: list, task_kind: str,
                              title: str = "Labels") -> go.Figure:
    """Binary/multitask: fraction positive per task; regression: histogram per task."""
    y = np.asarray(y)
    if task_kind in ("binary", "multitask"):
        frac = y.mean(axis=0)
        fig = go.Figure(go.Bar(x=list(task_names), y=frac, text=[f"{f:.1%}" for f in frac],
                               textposition="outside", marker_color=PALETTE[0]))
        fig.update_yaxes(title="fraction positive", range=[0, 1.1])
        return _layout(fig, title, height=320)
    fig = go.Figure()
    for i, name in enumerate(task_names):
        fig.add_trace(go.Histogram(x=y[:, i], name=name, opacity=0.6, nbinsx=50,
                                   marker_color=PALETTE[i % len(PALETTE)]))
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title="label value")
    fig.update_yaxes(title="sequences")
    return _layout(fig, title, height=320)


def curves_figure(x, curves: dict, xlabel: str, ylabel: str, title: str = "",
                  dashed: bool = False, height: int = 340) -> go.Figure:
    """One line per entry of ``curves`` (name -> y values over ``x``)."""
    fig = go.Figure()
    for i, (name, values) in enumerate(curves.items()):
        fig.add_trace(go.Scatter(x=list(x), y=list(values), mode="lines", name=str(name),
                                 line=dict(color=PALETTE[i % len(PALETTE)],
                                           dash="dash" if dashed else "solid")))
    fig.update_xaxes(title=xlabel)
    fig.update_yaxes(title=ylabel)
    return _layout(fig, title, height=height)


def receptive_field_figure(tables: dict) -> go.Figure:
    """Receptive field (bp) after each layer, one line per model.

    ``tables`` maps a model label to its ``regviz.models.summary`` table; rows
    without a receptive field (e.g. parameter-free reshapes) are skipped.
    """
    fig = go.Figure()
    for i, (label, table) in enumerate(tables.items()):
        rf = pd.to_numeric(table["receptive_field"], errors="coerce")
        keep = rf.notna()
        fig.add_trace(go.Scatter(
            x=np.arange(1, keep.sum() + 1), y=rf[keep], mode="lines+markers", name=label,
            text=table.loc[keep, "layer"], hovertemplate="%{text}<br>%{y} bp<extra></extra>",
            line=dict(color=PALETTE[i % len(PALETTE)])))
    fig.update_xaxes(title="layer (forward order)")
    fig.update_yaxes(title="receptive field (bp)", type="log")
    return _layout(fig, "Receptive field growth", height=360)


def cooperativity_figure(table: pd.DataFrame, title: str = "Planted cooperativity") -> go.Figure:
    """Small multiples of pair terms vs gap, one panel per pair, one line per orientation.

    ``table`` is `regviz.grammar.cooperativity_table`'s (pair, orientation, gap, term).
    """
    pairs = list(dict.fromkeys(table["pair"]))
    cols = min(3, len(pairs))
    rows = -(-len(pairs) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=pairs, shared_yaxes=True,
                        horizontal_spacing=0.05, vertical_spacing=0.16)
    orients = list(dict.fromkeys(table["orientation"]))
    for k, pair in enumerate(pairs):
        sub = table[table["pair"] == pair]
        for j, orient in enumerate(orients):
            line = sub[sub["orientation"] == orient]
            fig.add_trace(go.Scatter(
                x=line["gap"], y=line["term"], mode="lines", name=orient, legendgroup=orient,
                showlegend=k == 0, line=dict(color=PALETTE[j % len(PALETTE)], width=2,
                                             dash=["solid", "dash", "dot", "dashdot"][j % 4]),
                hovertemplate=f"{pair} {orient}<br>gap %{{x}} bp<br>term %{{y:.3f}}<extra></extra>"),
                row=k // cols + 1, col=k % cols + 1)
    fig.update_xaxes(title_text="gap (bp)", row=rows)
    fig.update_yaxes(title_text="added activity", col=1)
    return _layout(fig, title, height=260 * rows + 60, legend_title="orientation (A, B)")


def training_figure(history: dict, monitor: str = "") -> go.Figure:
    """Live training curves: train loss per step (left) and validation metrics per epoch
    (right). ``history`` is `regviz.training.JobStatus.history`."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("train loss (per step)",
                                                        "validation (per epoch)"))
    fig.add_trace(go.Scatter(x=history["step"], y=history["train_loss"], mode="lines",
                             name="train loss", line=dict(color=PALETTE[0], width=1)), 1, 1)
    epochs = pd.DataFrame(history.get("epochs") or [])
    if not epochs.empty:
        fig.add_trace(go.Scatter(x=epochs["epoch"], y=epochs["train_loss"], mode="lines+markers",
                                 name="train loss (epoch mean)",
                                 line=dict(color=PALETTE[0], dash="dot")), 1, 2)
        shown = [c for c in ("valid_loss", f"valid_{monitor}") if c in epochs]
        for j, col in enumerate(dict.fromkeys(shown)):
            fig.add_trace(go.Scatter(x=epochs["epoch"], y=epochs[col], mode="lines+markers",
                                     name=col.replace("_", " "),
                                     line=dict(color=PALETTE[j + 1])), 1, 2)
    fig.update_xaxes(title_text="step", row=1, col=1)
    fig.update_xaxes(title_text="epoch", row=1, col=2)
    return _layout(fig, "", height=340)
