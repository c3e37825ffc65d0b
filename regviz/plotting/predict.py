"""Figures of the Predict page: a model's score along a longer sequence."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .core import PALETTE, _layout


def tile_figure(table: pd.DataFrame, title: str = "", units: str = "prediction") -> go.Figure:
    """One line per output at each window's centre (both strands' mean, the two strands
    faint). ``table``: `regviz.predict.tile_table`; x in 1-based sequence positions."""
    fig = go.Figure()
    for k, (output, rows) in enumerate(table.groupby("output", sort=False)):
        color = PALETTE[k % len(PALETTE)]
        for strand, dash in (("forward", "dot"), ("reverse", "dash")):
            if rows[strand].notna().any():
                fig.add_trace(go.Scatter(x=rows["centre"], y=rows[strand], mode="lines",
                                         line=dict(color=color, width=1, dash=dash),
                                         opacity=0.45, name=f"{output} ({strand})"))
        fig.add_trace(go.Scatter(
            x=rows["centre"], y=rows["mean"], mode="lines+markers", name=f"{output} (mean)",
            line=dict(color=color, width=2), marker=dict(size=4),
            customdata=rows[["start", "end"]],
            hovertemplate="window %{customdata[0]:,}-%{customdata[1]:,}<br>"
                          "%{y:.3f}<extra>" + str(output) + "</extra>"))
    fig.update_xaxes(title="window centre (bp, 1-based)")
    fig.update_yaxes(title=units)
    return _layout(fig, title, 320)
