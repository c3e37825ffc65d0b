"""Figures of the Variants page (finished tables of `regviz.variants`; no model calls)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .core import PALETTE, _layout


def effects_figure(scores: pd.DataFrame, output: str, title: str = "") -> go.Figure:
    """Manhattan-style plot: each variant's effect (alt - ref) of ``output`` along its
    contig (1-based position), one colour per contig; hover says the variant."""
    t = scores[scores["output"] == output]
    fig = go.Figure()
    for k, (chrom, g) in enumerate(t.groupby("chrom", sort=False)):
        fig.add_trace(go.Scattergl(
            x=g["pos"], y=g["effect"], mode="markers", name=str(chrom),
            marker=dict(size=7, color=PALETTE[k % len(PALETTE)], opacity=0.8),
            text=g["label"], hovertemplate="%{text}<br>effect %{y:.4g}<extra></extra>"))
    fig.add_hline(y=0, line_color="grey", line_width=1)
    fig.update_xaxes(title_text="position (1-based)")
    fig.update_yaxes(title_text=f"{output}: alt - ref")
    return _layout(fig, title or f"Variant effects on {output}", 380)
