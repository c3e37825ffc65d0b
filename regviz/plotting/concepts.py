"""Figures of the Concepts page (from finished tables of `regviz.concepts`; no model calls).

Plotly for tracks, diagrams and curves; logomaker (matplotlib) for the motif logos.
Positions shown are 1-based.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .core import PALETTE, _layout
from .figures import draw_logo, new_figure


def matrix_logos_figure(matrices: dict, title: str = ""):
    """PPM, PSSM and information-content logos of one motif, stacked (matplotlib).

    Parameters
    ----------
    matrices : dict
        `regviz.concepts.motif_matrices` output (DataFrames ``ppm``, ``pssm``,
        ``heights``: 4 x w, rows A, C, G, T).

    Returns
    -------
    matplotlib.figure.Figure with three panels: probabilities (0-1), log2 odds
    (letters above 0 favoured, below 0 disfavoured), and the logo (f x IC, bits).
    """
    w = matrices["ppm"].shape[1]
    fig, axes = new_figure(max(4.0, 0.55 * w + 1.5), 5.6, 3, 1, sharex=True)
    panels = [("ppm", "PPM: probability"), ("pssm", "PSSM: log2(p / background)"),
              ("heights", "logo: f x IC (bits)")]
    for ax, (key, label) in zip(axes, panels):
        draw_logo(ax, matrices[key].to_numpy(), start=1, ylabel=label)
    axes[-1].set_xticks(range(1, w + 1))
    axes[-1].set_xlabel("motif position")
    h = matrices["heights"].to_numpy()
    axes[2].set_ylim(min(0.0, h.clip(max=0).sum(axis=0).min()),
                     max(2.0, h.clip(min=0).sum(axis=0).max() * 1.05))
    if title:
        axes[0].set_title(title)
    fig.tight_layout()
    return fig


def score_track_figure(scores: pd.DataFrame, pooled: pd.DataFrame, threshold: float = 0.0,
                       title: str = "Sliding the PSSM along the sequence",
                       selected: int | None = None) -> go.Figure:
    """Score at each window start (bars), ReLU output (line) and max pooling (segments).

    ``scores`` and ``pooled`` are `regviz.concepts.pssm_walkthrough` outputs;
    ``selected`` (1-based window start) is shaded.
    """
    fig = go.Figure()
    if selected is not None:
        fig.add_vrect(x0=selected - 0.5, x1=selected + 0.5, fillcolor="#ffd700", opacity=0.3,
                      line_width=0)
    colors = np.where(scores["score"] > threshold, PALETTE[2], "#bbbbbb")
    fig.add_trace(go.Bar(x=scores["start"], y=scores["score"], name="score = sum(W * x)",
                         marker_color=colors, customdata=scores["window"],
                         hovertemplate="start %{x}: %{customdata}<br>score %{y:.2f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=scores["start"], y=scores["relu"], mode="lines+markers",
                             name=f"ReLU: max(0, score - {threshold:g})",
                             line=dict(color=PALETTE[1]),
                             hovertemplate="start %{x}<br>ReLU %{y:.2f}<extra></extra>"))
    xs, ys = [], []
    for _, r in pooled.iterrows():
        xs += [r["from_start"] - 0.4, r["to_start"] + 0.4, None]
        ys += [r["max"], r["max"], None]
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name="max pool", line=dict(
        color=PALETTE[4], width=4), hoverinfo="skip"))
    fig.add_hline(y=threshold, line=dict(color="grey", dash="dot"))
    fig.update_xaxes(title="window start (bp, 1-based)")
    fig.update_yaxes(title="score (bits)")
    return _layout(fig, title, height=380, legend=dict(orientation="h", y=-0.25))


def connectivity_figure(table: pd.DataFrame, length: int, padding: int = 0,
                        highlight: int | None = None) -> go.Figure:
    """Which inputs feed each output: input bp (bottom), conv outputs, pool outputs (top).

    Parameters
    ----------
    table : DataFrame
        `regviz.concepts.connectivity` output (``taps`` gives every kernel tap,
        padding included, in 1-based input coordinates).
    length, padding : int
        Input length and conv padding (padding cells are drawn in grey).
    highlight : int, optional
        1-based output of the top layer whose connections are drawn in colour.
    """
    fig = go.Figure()
    conv = table[table["layer"] == "conv"]
    pool = table[table["layer"] == "pool"]
    top = "pool" if len(pool) else "conv"
    # x positions: input bp at their coordinate; outputs spread evenly over the input span
    span = (1 - padding, length + padding)

    def xs(n):
        return np.linspace(span[0], span[1], n) if n > 1 else np.array([(span[0] + span[1]) / 2])

    x_conv, x_pool = xs(len(conv)), xs(len(pool))
    lit_conv, lit_in = set(), set()
    if highlight is not None:
        if top == "pool":
            row = pool.iloc[min(highlight, len(pool)) - 1]
            lit_conv = set(row["feeds_from"])
        else:
            lit_conv = {min(highlight, len(conv))}
        for j in lit_conv:
            lit_in |= set(conv.iloc[j - 1]["taps"])
    for lit in (False, True):
        ex, ey = [], []
        for j, (_, r) in enumerate(conv.iterrows()):
            if (r["output"] in lit_conv) != lit:
                continue
            for t in r["taps"]:
                ex += [x_conv[j], t, None]
                ey += [1, 0, None]
        for j, (_, r) in enumerate(pool.iterrows()):
            on = highlight is not None and r["output"] == highlight
            if on != lit:
                continue
            for b in r["feeds_from"]:
                ex += [x_pool[j], x_conv[b - 1], None]
                ey += [2, 1, None]
        fig.add_trace(go.Scatter(x=ex, y=ey, mode="lines", hoverinfo="skip", showlegend=False,
                                 line=dict(color=PALETTE[1] if lit else "#d0d0d0",
                                           width=2.5 if lit else 1)))
    pos = np.arange(1 - padding, length + padding + 1)
    is_pad = (pos < 1) | (pos > length)
    in_color = np.where(is_pad, "#ffffff", np.where(np.isin(pos, list(lit_in)), PALETTE[1],
                                                     PALETTE[0]))
    fig.add_trace(go.Scatter(x=pos, y=np.zeros(len(pos)), mode="markers", showlegend=False,
                             marker=dict(size=13, symbol="square", color=in_color,
                                         line=dict(color="grey", width=1)),
                             text=np.where(is_pad, "padding (0)", [f"bp {p}" for p in pos]),
                             hovertemplate="%{text}<extra></extra>"))
    fig.add_trace(go.Scatter(x=x_conv, y=np.ones(len(conv)), mode="markers", showlegend=False,
                             marker=dict(size=15, color=[PALETTE[1] if o in lit_conv else PALETTE[2]
                                                         for o in conv["output"]]),
                             text=[f"conv output {o}: sees bp {ranges(i)}" for o, i in
                                   zip(conv["output"], conv["inputs"])],
                             hovertemplate="%{text}<extra></extra>"))
    if len(pool):
        fig.add_trace(go.Scatter(
            x=x_pool, y=np.full(len(pool), 2), mode="markers", showlegend=False,
            marker=dict(size=15, color=[PALETTE[1] if o == highlight else PALETTE[4]
                                        for o in pool["output"]]),
            text=[f"pool output {o}: sees bp {ranges(i)}" for o, i in
                  zip(pool["output"], pool["inputs"])], hovertemplate="%{text}<extra></extra>"))
    fig.update_yaxes(tickvals=[0, 1, 2][: 3 if len(pool) else 2],
                     ticktext=["input", "conv", "pool"][: 3 if len(pool) else 2], range=[-0.4, 2.4])
    fig.update_xaxes(title="input position (bp, 1-based; white = padding)")
    return _layout(fig, "Which inputs feed each output (highlighted in red)", height=360)


def ranges(positions) -> str:
    """[1, 2, 3, 7] -> "1-3, 7"."""
    positions = sorted(positions)
    if not positions:
        return "only padding"
    out, start, prev = [], positions[0], positions[0]
    for p in positions[1:] + [None]:
        if p is not None and p == prev + 1:
            prev = p
            continue
        out.append(f"{start}-{prev}" if prev > start else f"{start}")
        if p is not None:
            start = prev = p
    return ", ".join(out)


def receptive_field_growth_figure(tables: dict) -> go.Figure:
    """Receptive field (bp) after each conv/pool step, one line per model.

    ``tables`` maps a label to a `regviz.concepts.receptive_field_growth` table; the
    last point of each line is the first layer that mixes all positions.
    """
    fig = go.Figure()
    for i, (label, t) in enumerate(tables.items()):
        hover = [f"{r.layer} ({r.kind}"
                 + (f", dilation {r.dilation}" if pd.notna(r.dilation) and r.dilation > 1 else "")
                 + ")" for r in t.itertuples()]
        fig.add_trace(go.Scatter(x=t["step"], y=t["receptive_field"], mode="lines+markers",
                                 name=label, text=hover, line=dict(color=PALETTE[i % len(PALETTE)]),
                                 marker=dict(symbol=["star" if s == "global" else "circle"
                                                     for s in t["scope"]], size=9),
                                 hovertemplate="%{text}<br>%{y:,} bp<extra></extra>"))
    fig.update_xaxes(title="conv / pool layer (forward order); star = all positions mixed")
    fig.update_yaxes(title="receptive field (bp)", type="log")
    return _layout(fig, "Receptive field growth, layer by layer", height=400)


def params_vs_length_figure(table: pd.DataFrame) -> go.Figure:
    """Parameters of a dense vs a conv layer as the sequence grows (log scale)."""
    fig = go.Figure()
    for i, col in enumerate(("dense", "conv")):
        fig.add_trace(go.Scatter(x=table["length"], y=table[col], mode="lines+markers",
                                 name=f"{col} layer", line=dict(color=PALETTE[i]),
                                 hovertemplate="%{x:,} bp: %{y:,} parameters<extra></extra>"))
    fig.update_xaxes(title="sequence length (bp)", type="log")
    fig.update_yaxes(title="parameters", type="log")
    return _layout(fig, "Conv parameters do not depend on the length", height=340)


def kmer_weights_figure(coefficients: pd.DataFrame, n: int = 12) -> go.Figure:
    """The largest and smallest logistic-regression weights of a bag-of-k-mers model."""
    top = pd.concat([coefficients.head(n), coefficients.tail(n)]).drop_duplicates("kmer")
    fig = go.Figure(go.Bar(x=top["kmer"], y=top["weight"],
                           marker_color=np.where(top["weight"] > 0, PALETTE[2], PALETTE[1]),
                           hovertemplate="%{x}: %{y:.3f}<extra></extra>"))
    fig.update_yaxes(title="weight")
    return _layout(fig, "Logistic regression weights of the k-mer counts", height=320)


_XY = {"a": (0.0, 0.0), "b": (2.4, 0.0), "c": (0.5, 1.0), "d": (1.8, 1.0), "e": (1.15, 2.0)}


def graph_figure(example: dict, mode: str = "reverse") -> go.Figure:
    """The computational graph of ``e = (a + b) * (b + 1)`` with values and derivatives.

    Parameters
    ----------
    example : dict
        `regviz.concepts.backprop_example` output.
    mode : {"reverse", "forward a", "forward b"}
        Which derivatives to write beside each node: ``de/dnode`` (reverse mode) or
        ``dnode/da`` / ``dnode/db`` (forward mode). Edges show ``d child / d parent``.
    """
    nodes = example["nodes"].set_index("node")
    if mode == "reverse":
        der = example["reverse"].set_index("node")["de / d node"]
        fmt = "de/d{n} = {v:g}"
    elif mode in ("forward a", "forward b"):
        x = mode[-1]
        der = example["forward"].set_index("node")[f"d node / d{x}"]
        fmt = "d{n}/d" + x + " = {v:g}"
    else:
        raise ValueError("mode must be 'reverse', 'forward a' or 'forward b'. "
                         f"Got {mode!r} instead.")
    fig = go.Figure()
    for _, e in example["edges"].iterrows():
        (x0, y0), (x1, y1) = _XY[e["from"]], _XY[e["to"]]
        fig.add_annotation(x=x1, y=y1 - 0.12, ax=x0, ay=y0 + 0.12, xref="x", yref="y",
                           axref="x", ayref="y", showarrow=True, arrowhead=2, arrowwidth=1.5,
                           arrowcolor="#888")
        fig.add_annotation(x=(x0 + x1) / 2, y=(y0 + y1) / 2, showarrow=False,
                           text=f"∂{e['to']}/∂{e['from']} = {e['d to / d from']}"
                                + ("" if e["d to / d from"] == "1" else f" = {e['value']:g}"),
                           font=dict(size=14, color=PALETTE[3]), bgcolor="white")
    labels = []
    for n in _XY:
        expr = nodes.loc[n, "expression"]
        labels.append(f"<b>{n}</b> = {expr + ' = ' if expr != 'input' else ''}"
                      f"{nodes.loc[n, 'value']:g}<br><span style='color:{PALETTE[1]}'>"
                      f"{fmt.format(n=n, v=der[n])}</span>")
    fig.add_trace(go.Scatter(x=[p[0] for p in _XY.values()], y=[p[1] for p in _XY.values()],
                             mode="markers+text", text=labels, textposition="middle right",
                             marker=dict(size=30, color=PALETTE[0]), hoverinfo="skip",
                             textfont=dict(size=16, color="black"), showlegend=False))
    fig.update_xaxes(visible=False, range=[-0.3, 3.4])
    fig.update_yaxes(visible=False, range=[-0.35, 2.35])
    title = ("Reverse mode: de/d(node), from e down" if mode == "reverse"
             else f"Forward mode: d(node)/d{mode[-1]}, from {mode[-1]} up")
    return _layout(fig, title, height=460)
