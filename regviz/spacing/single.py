"""Single-motif in-silico experiments and the reading of spacing curves.

:func:`marginalize` (effect of one motif by insertion position),
:func:`copy_number` (homotypic copies 1..n), :func:`orientation_effect`
(+ versus - strand) and :func:`infer_mode` (a plain-words reading of a
`spacing_experiment` table). Effects are ``prediction(with motif) -
prediction(background)`` (``effect="difference"``, linear scale) or
``log2(with / background)`` (``effect="log2fc"``, needs positive predictions),
summarised over backgrounds as in `regviz.spacing`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regviz.errors import ExperimentError
from regviz.spacing.design import (background_array, check_positive, grammar_key, predict_blocks,
                                   site_onehot, summarize)
from regviz.spacing.inputs import insert_motif


def _effect(effect, bg, x):
    if effect == "difference":
        return x - bg
    if effect == "log2fc":
        check_positive("log2fc", bg, x)
        return np.log2(x / bg)
    raise ExperimentError(f"effect must be 'difference' or 'log2fc'. Got {effect!r} instead.")


def _weight(grammar, motif, target):
    key = grammar_key(grammar, motif)
    if key is None or not (grammar or {}).get("outputs"):
        return np.nan
    outs = list(grammar["outputs"])
    return float(grammar["outputs"][outs[target]]["weights"].get(key, 0.0)) \
        if 0 <= target < len(outs) else np.nan


def _designs(model, X0, designs, target, batch_size, progress, cancel, scale):
    """Predictions (1 + len(designs), n): background first, then each list of
    (start, site one-hot) insertions."""

    def make(i):
        if i == 0:
            return X0
        X = X0.copy()
        for start, site in designs[i - 1]:
            X[:, :, start:start + site.shape[1]] = site
        return X

    return predict_blocks(model, make, len(designs) + 1, X0.shape[0], target, batch_size,
                      progress, cancel, scale)


def _table(rows, values, statistic, attrs):
    df = pd.DataFrame(rows)
    for k, v in summarize(np.stack(values), statistic).items():
        df[k] = v
    df.attrs.update(attrs)
    return df


def marginalize(model, motif, backgrounds, positions=None, strands=("+",), target: int = 0,
                effect: str = "difference", statistic: str = "median",
                output_scale: str = "linear", grammar: dict | None = None,
                batch_size: int = 512, progress=None, cancel=None) -> pd.DataFrame:
    """Effect of inserting one motif, by position (DeepSTARR-style marginalisation).

    Parameters
    ----------
    motif : anything `regviz.spacing.insert_motif` takes
    backgrounds : list of str or np.ndarray (n, 4, L)
    positions : iterable of int, optional
        0-based start positions (default every position where the motif fits).
    strands : iterable of "+" / "-"
    grammar : dict, optional
        Synthetic grammar: ``planted`` is the motif's weight in the target output
        (position-independent in regviz.simulate), NaN when not planted.

    Returns
    -------
    DataFrame: ``position`` (0-based start), ``strand``, ``n``, ``mean``,
    ``median``, ``ci_low``, ``ci_high`` of the effect, ``planted``.
    """
    m = insert_motif(motif)
    X0 = background_array(backgrounds)
    L = X0.shape[2]
    pos = list(range(L - m.width + 1)) if positions is None else [int(p) for p in positions]
    bad = [p for p in pos if not 0 <= p <= L - m.width]
    if bad or not pos:
        raise ExperimentError(f"positions must be 0-based starts from 0 to {L - m.width} "
                              f"(a {m.width} bp motif in {L} bp). Got {bad[:5] or 'none'} "
                              "instead.")
    if not strands or any(s not in "+-" or len(s) != 1 for s in strands):
        raise ExperimentError(f"strands must be '+' and/or '-'. Got {strands!r} instead.")
    sites = {s: site_onehot(m.site, s) for s in strands}
    combos = [(p, s) for s in strands for p in pos]
    pred = _designs(model, X0, [[(p, sites[s])] for p, s in combos], target, batch_size,
                    progress, cancel, output_scale)
    w = _weight(grammar, m, target) if effect == "difference" else np.nan
    rows = [{"position": p, "strand": s, "n": X0.shape[0], "planted": w} for p, s in combos]
    vals = [_effect(effect, pred[0], pred[i + 1]) for i in range(len(combos))]
    return _table(rows, vals, statistic, {"effect": effect, "statistic": statistic,
                                          "motif": m.name, "site": m.site,
                                          "positions": "0-based start of the motif"})


def copy_number(model, motif, backgrounds, max_copies: int = 5, gap: int = 10,
                strand: str = "+", target: int = 0, effect: str = "difference",
                statistic: str = "median", output_scale: str = "linear",
                grammar: dict | None = None, batch_size: int = 512, progress=None,
                cancel=None) -> pd.DataFrame:
    """Effect of 1..``max_copies`` homotypic copies in a row, centred, ``gap`` bp apart.

    Returns
    -------
    DataFrame: ``copies``, ``n``, ``mean``, ``median``, ``ci_low``, ``ci_high``
    of the effect, ``additive`` (copies x the median one-copy effect) and
    ``planted`` (copies x the motif's grammar weight: regviz.simulate has no
    homotypic pair terms).
    """
    m = insert_motif(motif)
    X0 = background_array(backgrounds)
    L = X0.shape[2]
    if isinstance(max_copies, bool) or not isinstance(max_copies, (int, np.integer)) \
            or max_copies < 1 or gap < 0 or strand not in ("+", "-"):
        raise ExperimentError("max_copies must be an integer >= 1, gap >= 0 and strand '+' "
                              f"or '-'. Got {max_copies!r}, {gap!r}, {strand!r} instead.")
    span = max_copies * m.width + (max_copies - 1) * gap
    if span > L:
        raise ExperimentError(f"{max_copies} copies of a {m.width} bp motif {gap} bp apart "
                              f"need {span} bp; the sequences have {L}.")
    site = site_onehot(m.site, strand)
    designs = []
    for k in range(1, max_copies + 1):
        start = (L - (k * m.width + (k - 1) * gap)) // 2
        designs.append([(start + j * (m.width + gap), site) for j in range(k)])
    pred = _designs(model, X0, designs, target, batch_size, progress, cancel, output_scale)
    vals = [_effect(effect, pred[0], pred[k]) for k in range(1, max_copies + 1)]
    one = float(np.median(vals[0]))
    w = _weight(grammar, m, target) if effect == "difference" else np.nan
    rows = [{"copies": k, "n": X0.shape[0], "additive": k * one, "planted": k * w}
            for k in range(1, max_copies + 1)]
    return _table(rows, vals, statistic, {"effect": effect, "statistic": statistic, "gap": gap,
                                          "motif": m.name, "site": m.site, "strand": strand})


def orientation_effect(model, motif, backgrounds, positions=None, target: int = 0,
                       effect: str = "difference", statistic: str = "median",
                       output_scale: str = "linear", batch_size: int = 512, progress=None,
                       cancel=None) -> pd.DataFrame:
    """Effect of the motif on each strand and their paired difference ("+ minus -").

    ``positions`` are 0-based starts (default: the centre). Returns a DataFrame
    with ``position``, ``strand`` ("+", "-", "+ minus -"), ``n``, ``mean``,
    ``median``, ``ci_low``, ``ci_high``.
    """
    m = insert_motif(motif)
    X0 = background_array(backgrounds)
    L = X0.shape[2]
    pos = [(L - m.width) // 2] if positions is None else [int(p) for p in positions]
    if not pos or any(not 0 <= p <= L - m.width for p in pos):
        raise ExperimentError(f"positions must be 0-based starts from 0 to {L - m.width}. "
                              f"Got {pos!r} instead.")
    sites = {s: site_onehot(m.site, s) for s in "+-"}
    pred = _designs(model, X0, [[(p, sites[s])] for p in pos for s in "+-"], target,
                    batch_size, progress, cancel, output_scale)
    rows, vals = [], []
    for i, p in enumerate(pos):
        plus, minus = (_effect(effect, pred[0], pred[1 + 2 * i + j]) for j in (0, 1))
        for strand, v in (("+", plus), ("-", minus), ("+ minus -", plus - minus)):
            rows.append({"position": p, "strand": strand, "n": X0.shape[0]})
            vals.append(v)
    return _table(rows, vals, statistic, {"effect": effect, "statistic": statistic,
                                          "motif": m.name, "site": m.site})


def _helical(gaps, c, last) -> float:
    """Largest share of the variance of ``c`` (gaps <= last) a 9.5-12 bp sinusoid explains."""
    keep = gaps <= last
    g, y = gaps[keep].astype(float), c[keep] - c[keep].mean()
    if len(g) < 15 or not y.any():
        return 0.0
    best = 0.0
    for period in np.arange(9.5, 12.01, 0.25):
        basis = np.stack([np.cos(2 * np.pi * g / period), np.sin(2 * np.pi * g / period)], 1)
        fit = basis @ np.linalg.lstsq(basis, y, rcond=None)[0]
        best = max(best, 1 - float(((y - fit) ** 2).sum() / (y ** 2).sum()))
    return best


def infer_mode(df: pd.DataFrame, min_effect: float | None = None) -> dict:
    """Read a `spacing_experiment` table in plain words.

    A design counts as cooperative when its 95% interval excludes the no-effect
    value and its deviation exceeds ``min_effect`` (default: a tenth of the
    larger median single-motif effect for "deepstarr", 0.1 for the ratio
    conventions). Under 10% such designs: "additive". Otherwise the orientation
    with the strongest mean deviation is read (averaged over both sides):
    "orientation-dependent" when another orientation has under a third of its
    strength; else, with ``last`` the largest gap still at half the peak,
    "close-range" when ``last`` <= 40 bp, gaps ``last + 2`` to ``last + 11``
    average under a quarter of the peak and 90% of the gaps beyond stay under
    35% (a sharp drop), "distance-independent" when every gap beyond 60 bp
    keeps half the peak, "decaying" otherwise. "Helically phased" is added
    when, up to ``last`` (at least 15 gaps), a sinusoid of period 9.5-12 bp
    explains more than half of the curve's variance.

    Returns
    -------
    dict with ``mode`` (additive, orientation-dependent, close-range, decaying,
    distance-independent), ``text``, ``fraction_cooperative``, ``peak``,
    ``peak_gap``, ``half_gap``, ``phased``.
    """
    none = df.attrs.get("no_effect", 0.0)
    if min_effect is None:
        single = float(np.nanmax(np.abs(df[["a_alone", "b_alone"]].to_numpy())))
        min_effect = 0.1 * single if df.attrs.get("convention", "deepstarr") == "deepstarr" \
            else 0.1
    dev = df["median" if df.attrs.get("statistic", "median") == "median" else "mean"] - none
    sig = ((df["ci_low"] > none) | (df["ci_high"] < none)) & (dev.abs() > min_effect)
    frac = float(sig.mean())
    out = {"fraction_cooperative": frac, "peak": 0.0, "peak_gap": None, "half_gap": None,
           "phased": False}
    if frac < 0.1:
        return {**out, "mode": "additive", "text": (
            f"Additive: at {100 * (1 - frac):.0f}% of the designs the joint effect is the "
            f"sum of the single effects (95% interval covers {none:g}, or the deviation is "
            f"under {min_effect:.2g}); no cooperativity.")}
    strength = dev.abs().groupby(df["orientation"]).mean()
    best = strength.idxmax()
    weak = strength[strength < strength.max() / 3]
    curve = dev[df["orientation"] == best].groupby(df["distance"]).mean()
    gaps, c = curve.index.to_numpy(), curve.to_numpy()
    k = int(np.argmax(np.abs(c)))
    peak = float(c[k])
    rel = np.abs(c) / max(abs(peak), 1e-12)
    last = int(gaps[rel >= 0.5].max())
    sign = "synergy" if peak > 0 else "antagonism"
    near, rest = rel[(gaps > last + 1) & (gaps <= last + 11)], rel[gaps > last + 11]
    far = rel[gaps > 60]
    if len(weak):
        mode, text = "orientation-dependent", (
            f"Orientation-dependent {sign}: strongest in {best}, under a third as strong in "
            f"{', '.join(weak.index)}.")
    elif last <= 40 and len(near) and near.mean() < 0.25 and (
            not len(rest) or np.quantile(rest, 0.9) < 0.35):
        mode, text = "close-range", (f"Close-range {sign}: up to a gap of about {last} bp, "
                                     f"then a sharp drop to under a quarter of the peak.")
    elif len(far) and (far >= 0.5).all():
        mode, text = "distance-independent", f"{sign.capitalize()} at every distance tested."
    else:
        mode, text = "decaying", (f"{sign.capitalize()} that decays with distance: under half "
                                  f"of the peak beyond a gap of about {last} bp.")
    phased = mode != "orientation-dependent" and _helical(gaps, c, last) > 0.5
    if phased:
        text += " The curve dips between peaks: helically phased spacing."
    return {**out, "mode": mode, "text": text + f" Peak {peak:+.3g} at gap {gaps[k]} bp ({best}).",
            "peak": peak, "peak_gap": int(gaps[k]), "half_gap": last, "phased": phased}
