"""Figures of in-silico motif experiments (`regviz.spacing`), from finished tables.

Cooperativity vs distance: one line per orientation with its 95% band, the
planted truth dashed in the same colour where the model's dataset is synthetic.
Distances are gaps (bp between the motifs); B left of A is drawn at negative x.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .core import PALETTE, _layout


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    return f"rgba({int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha})"


def _band(fig, x, lo, hi, color, name, group, **pos):
    fig.add_trace(go.Scatter(x=np.concatenate([x, x[::-1]]), y=np.concatenate([hi, lo[::-1]]),
                             fill="toself", fillcolor=_rgba(color, 0.18), line=dict(width=0),
                             hoverinfo="skip", showlegend=False, legendgroup=group, name=name),
                  **pos)


def spacing_figure(df: pd.DataFrame, value: str = "cooperativity", title: str = "",
                   show_planted: bool = True) -> go.Figure:
    """Cooperativity (or the joint effect) vs signed gap, one line per orientation.

    Parameters
    ----------
    df : DataFrame
        `regviz.spacing.spacing_experiment`'s table (its ``attrs`` name the
        convention and statistic shown).
    value : str
        "cooperativity" (columns median/mean, ci_low, ci_high) or "joint"
        (the ``joint_`` columns).
    show_planted : bool
        Draw the ``planted`` column dashed where it is known.
    """
    stat = df.attrs.get("statistic", "median")
    pre = "joint_" if value == "joint" else ""
    conv = df.attrs.get("convention", "")
    formula = df.attrs.get("joint" if value == "joint" else "formula", "")
    fig = go.Figure()
    for j, orient in enumerate(dict.fromkeys(df["orientation"])):
        color = PALETTE[j % len(PALETTE)]
        sub = df[df["orientation"] == orient].copy()
        sub["x"] = np.where(sub["side"] == "left", -sub["distance"], sub["distance"])
        sub = sub.sort_values(["x", "side"])
        for k, (side, part) in enumerate(sub.groupby("side", sort=False)):
            x = part["x"].to_numpy(dtype=float)
            _band(fig, x, part[f"{pre}ci_low"].to_numpy(), part[f"{pre}ci_high"].to_numpy(),
                  color, orient, orient)
            fig.add_trace(go.Scatter(
                x=x, y=part[f"{pre}{stat}"], mode="lines", name=f"{orient} (model)",
                legendgroup=orient, showlegend=k == 0, line=dict(color=color, width=2),
                customdata=np.stack([part["distance"], part[f"{pre}ci_low"],
                                     part[f"{pre}ci_high"]], axis=1),
                hovertemplate=(f"{orient}, B {side} of A<br>gap %{{customdata[0]}} bp<br>"
                               f"{stat} %{{y:.3f}} (95%: %{{customdata[1]:.3f}} to "
                               "%{customdata[2]:.3f})<extra></extra>")))
            if show_planted and not pre and part["planted"].notna().any():
                fig.add_trace(go.Scatter(
                    x=x, y=part["planted"], mode="lines", name=f"{orient} (planted)",
                    legendgroup=orient, showlegend=k == 0,
                    line=dict(color=color, width=1.5, dash="dash"),
                    hovertemplate=f"planted {orient}<br>%{{y:.3f}}<extra></extra>"))
    none = df.attrs.get("no_effect", 0.0) if not pre else 0.0
    fig.add_hline(y=none, line=dict(color="#999", width=1))
    fig.add_vline(x=0, line=dict(color="#bbb", width=1, dash="dot"))
    a, b = df.attrs.get("motif_a", "A"), df.attrs.get("motif_b", "B")
    fig.update_xaxes(title_text=f"gap (bp) between {a} (A, centre) and {b} (B); "
                                "negative = B left of A")
    fig.update_yaxes(title_text=f"{'joint effect' if pre else 'cooperativity'}: {formula}")
    return _layout(fig, title or f"{a} + {b}: {'joint effect' if pre else 'cooperativity'} "
                   f"({conv} convention, {stat} over {int(df['n'].iloc[0])} backgrounds)",
                   height=460, legend_title="orientation (A, B)")


def marginal_figure(df: pd.DataFrame, title: str = "") -> go.Figure:
    """Effect of one motif by insertion position (`regviz.spacing.marginalize`), one line
    per strand with its 95% band; the planted weight dashed. x is 1-based start."""
    stat = df.attrs.get("statistic", "median")
    fig = go.Figure()
    for j, (strand, part) in enumerate(df.groupby("strand", sort=False)):
        color = PALETTE[j % len(PALETTE)]
        x = part["position"].to_numpy(dtype=float) + 1
        _band(fig, x, part["ci_low"].to_numpy(), part["ci_high"].to_numpy(), color, strand,
              strand)
        fig.add_trace(go.Scatter(x=x, y=part[stat], mode="lines", name=f"strand {strand}",
                                 legendgroup=strand, line=dict(color=color, width=2)))
        if "planted" in part and part["planted"].notna().any():
            fig.add_trace(go.Scatter(x=x, y=part["planted"], mode="lines", name="planted",
                                     line=dict(color="#555", dash="dash", width=1.5),
                                     showlegend=j == 0))
    fig.update_xaxes(title_text="motif start (1-based)")
    fig.update_yaxes(title_text=f"effect ({df.attrs.get('effect', 'difference')})")
    return _layout(fig, title or f"{df.attrs.get('motif', 'motif')}: effect by position",
                   height=360)


def copy_number_figure(df: pd.DataFrame, title: str = "") -> go.Figure:
    """Effect of 1..n homotypic copies (`regviz.spacing.copy_number`) with 95% intervals,
    the additive expectation and the planted truth."""
    stat = df.attrs.get("statistic", "median")
    fig = go.Figure(go.Scatter(
        x=df["copies"], y=df[stat], mode="lines+markers", name=f"model ({stat})",
        line=dict(color=PALETTE[0], width=2),
        error_y=dict(type="data", symmetric=False, array=df["ci_high"] - df[stat],
                     arrayminus=df[stat] - df["ci_low"])))
    fig.add_trace(go.Scatter(x=df["copies"], y=df["additive"], mode="lines", name="additive",
                             line=dict(color=PALETTE[1], dash="dot")))
    if df["planted"].notna().any():
        fig.add_trace(go.Scatter(x=df["copies"], y=df["planted"], mode="lines", name="planted",
                                 line=dict(color="#555", dash="dash")))
    fig.update_xaxes(title_text="copies", dtick=1)
    fig.update_yaxes(title_text=f"effect ({df.attrs.get('effect', 'difference')})")
    return _layout(fig, title or f"{df.attrs.get('motif', 'motif')}: homotypic copies",
                   height=340)
