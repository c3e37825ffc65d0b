"""DeepSTARR-style motif-pair experiments: spacing and orientation of two motifs.

A trained model is asked what it learned about motif syntax by embedding motifs
in neutral backgrounds and predicting (de Almeida et al. 2022, DeepSTARR).
:func:`spacing_experiment` puts motif A at the centre and motif B at every distance
on both sides (never overlapping A), in the four orientations; predictions for
the background, A alone, B alone and A+B give the joint effect and the
cooperativity (observed joint minus what A and B alone predict). One-motif
experiments are in `regviz.spacing.single`.

Conventions (stated in every result's ``attrs``)
-----------------------------------------------
Distance
    The gap ``start(right motif) - end(left motif)`` in bp, 0 = abutting, the
    same as `regviz.simulate`; ``center_offset`` adds the signed centre-to-centre
    offset of B relative to A. ``side`` says where B sits ("left"/"right").
Orientation
    Strands of A then B as inserted on the sequence's + strand ("++", "+-",
    "-+", "--"), whichever side B is on.
Cooperativity (``convention``)
    ``"deepstarr"``: ``AB - (A + B - bg)``, the additive expectation in linear
    scale (0 = none); joint effect ``AB - bg``. ``"bpnet"``: ``(AB - B + bg) / A``
    (1 = none); ``"log2fc"``: ``log2(AB/bg) - log2(A/bg) - log2(B/bg)``, the
    multiplicative expectation (0 = none); for both the joint effect is
    ``log2(AB / bg)``. Ratios need positive predictions: with a model that
    predicts log2 activity (the real DeepSTARR) pass ``output_scale="log2"`` so
    predictions become activities ``2**y`` first.
Summaries
    Per distance and orientation over backgrounds: mean, median and a 95%
    interval of the chosen ``statistic``. For the median it is the
    distribution-free order-statistic interval (binomial, coverage >= 95%; with
    fewer than 6 backgrounds the min-max range); for the mean a t interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regviz.errors import ExperimentError
from regviz.simulate.datasets import planted_cooperativity
from regviz.simulate.engine import ORIENTATIONS
from regviz.spacing.design import (background_array, check_positive, grammar_key, predict_blocks,
                                   site_onehot, summarize)
from regviz.spacing.inputs import insert_motif

CONVENTIONS = {
    "deepstarr": {"formula": "AB - (A + B - background)", "none": 0.0, "joint": "AB - background",
                  "expected": "additive: A + B - background (linear scale)"},
    "bpnet": {"formula": "(AB - B + background) / A", "none": 1.0, "joint": "log2(AB / background)",
              "expected": "A's effect unchanged by B (ratio 1)"},
    "log2fc": {"formula": "log2(AB/bg) - log2(A/bg) - log2(B/bg)", "none": 0.0,
               "joint": "log2(AB / background)",
               "expected": "multiplicative: log2 fold changes of A and B add up"},
}
DISTANCE_NOTE = ("distance = gap in bp: start of the right motif minus end of the left one "
                 "(0 = abutting), as in regviz.simulate; center_offset = centre of B minus "
                 "centre of A")


def _cooperativity(convention, bg, a, b, ab):
    if convention == "deepstarr":
        return ab - bg, ab - (a + b - bg)
    with np.errstate(divide="ignore", invalid="ignore"):
        joint = np.log2(ab / bg)
        if convention == "bpnet":
            return joint, (ab - b + bg) / a
        return joint, joint - np.log2(a / bg) - np.log2(b / bg)


def _grammar_truth(grammar, target, keys, gaps, orient, side):
    """(bg, A, B, pair term) of a synthetic grammar for the target output, or None."""
    if not grammar or not grammar.get("outputs") or None in keys:
        return None
    outs = list(grammar["outputs"])
    if not 0 <= target < len(outs):
        return None
    spec = grammar["outputs"][outs[target]]
    ka, kb = keys
    w = spec["weights"]
    term = np.zeros(len(gaps))
    match = [p for p in grammar.get("pairs") or [] if {p["a"], p["b"]} == {ka, kb}
             and ka != kb and p["output"] == outs[target]]
    if match:
        term = planted_cooperativity(grammar, (ka, kb), gaps, orient, side)
    c = spec["intercept"]
    return c, c + w.get(ka, 0.0), c + w.get(kb, 0.0), term


def spacing_experiment(model, motif_a, motif_b, backgrounds, distances=range(0, 101),
                       orientations=ORIENTATIONS, target: int = 0, sides=("left", "right"),
                       convention: str = "deepstarr", statistic: str = "median",
                       output_scale: str = "linear", grammar: dict | None = None,
                       batch_size: int = 512, progress=None, cancel=None) -> pd.DataFrame:
    """Cooperativity of a motif pair by distance, side and orientation.

    Parameters
    ----------
    model : torch.nn.Module
        Takes one-hot ``(batch, 4, L)`` float32 and returns ``(batch, n_outputs)``; run
        in eval mode on the device its parameters are on (mode restored after).
    motif_a, motif_b : anything :func:`insert_motif` takes
        A is inserted at the centre (start ``(L - w_A) // 2``), B at each distance.
    backgrounds : list of str or np.ndarray (n, 4, L)
        From :func:`make_backgrounds`; every background gets every design.
    distances : iterable of int
        Gaps in bp (>= 0); ones where B would leave the sequence are skipped
        (listed in ``attrs["skipped"]``).
    orientations : iterable of str
        Subset of "++", "+-", "-+", "--" (strands of A then B).
    target : int
        Output index (for the enhancer-activity models Dev = 0, Hk = 1).
    convention, statistic, output_scale : str
        See the module docstring.
    grammar : dict, optional
        A synthetic set's grammar: adds its planted cooperativity, in the same
        convention, as column ``planted`` (NaN where the motifs are not planted).
    batch_size : int
        Sequences per forward pass (default 512).
    progress : callable(done, total), optional
        Called after each batch with counts of predicted sequences.
    cancel : threading.Event, optional
        Checked before each batch; when set, raises :class:`ExperimentCancelled`.

    Returns
    -------
    DataFrame, one row per (side, distance, orientation): ``distance`` (gap),
    ``side``, ``center_offset``, ``orientation``, ``n``, cooperativity ``mean``,
    ``median``, ``ci_low``, ``ci_high`` (95% interval of ``statistic``), the same
    with prefix ``joint_`` for the joint effect, ``b_alone`` and ``a_alone``
    (median single effects), ``planted``. ``attrs`` record the conventions.
    """
    if convention not in CONVENTIONS:
        raise ExperimentError(f"convention must be one of {', '.join(CONVENTIONS)}. "
                              f"Got {convention!r} instead.")
    if statistic not in ("median", "mean"):
        raise ExperimentError(f"statistic must be 'median' or 'mean'. Got {statistic!r} instead.")
    orients = list(dict.fromkeys(orientations))
    bad = [o for o in orients if o not in ORIENTATIONS] + [s for s in sides
                                                         if s not in ("left", "right")]
    if bad or not orients or not sides:
        raise ExperimentError(f"orientations must be among {', '.join(ORIENTATIONS)} and sides "
                              f"among 'left', 'right'. Got {bad or 'none'} instead.")
    ma, mb = insert_motif(motif_a), insert_motif(motif_b)
    X0 = background_array(backgrounds)
    n, L = X0.shape[0], X0.shape[2]
    a0 = (L - ma.width) // 2
    try:
        gaps = sorted({int(d) for d in distances})
    except (TypeError, ValueError):
        raise ExperimentError(f"distances must be whole numbers of bp. Got {distances!r} "
                              "instead.") from None
    if not gaps or gaps[0] < 0:
        raise ExperimentError("distances must be gaps >= 0 bp (start of the right motif minus "
                              "end of the left one).")
    pos, skipped = [], []
    for side in sides:
        for g in gaps:
            b0 = a0 + ma.width + g if side == "right" else a0 - g - mb.width
            (pos if 0 <= b0 and b0 + mb.width <= L else skipped).append((side, g, b0))
    if not pos:
        raise ExperimentError(f"No distance fits: with A ({ma.width} bp) at the centre of "
                              f"{L} bp, B ({mb.width} bp) fits up to a gap of "
                              f"{(L - ma.width) // 2 - mb.width} bp.")
    sa_list = sorted({o[0] for o in orients})
    sb_list = sorted({o[1] for o in orients})
    sites_a = {s: site_onehot(ma.site, s) for s in "+-"}
    sites_b = {s: site_onehot(mb.site, s) for s in "+-"}
    with_a = {}
    for s in sa_list:
        with_a[s] = X0.copy()
        with_a[s][:, :, a0:a0 + ma.width] = sites_a[s]
    jobs = [("bg", None, None)] + [("A", None, s) for s in sa_list]
    jobs += [("B", p, s) for p in range(len(pos)) for s in sb_list]
    jobs += [("AB", p, o) for p in range(len(pos)) for o in orients]

    def make(i):
        kind, p, s = jobs[i]
        if kind == "bg":
            return X0
        if kind == "A":
            return with_a[s]
        b0 = pos[p][2]
        X = (X0 if kind == "B" else with_a[s[0]]).copy()
        X[:, :, b0:b0 + mb.width] = sites_b[s if kind == "B" else s[1]]
        return X

    pred = predict_blocks(model, make, len(jobs), n, target, batch_size, progress, cancel,
                    output_scale)
    idx = {job: i for i, job in enumerate(jobs)}
    bg = pred[0]
    check_positive(convention, pred)
    keys = (grammar_key(grammar, ma), grammar_key(grammar, mb))
    rows, joint_v, coop_v = [], [], []
    for p, (side, g, b0) in enumerate(pos):
        offset = (b0 + mb.width / 2) - (a0 + ma.width / 2)
        for o in orients:
            a, b = pred[idx["A", None, o[0]]], pred[idx["B", p, o[1]]]
            ab = pred[idx["AB", p, o]]
            joint, coop = _cooperativity(convention, bg, a, b, ab)
            joint_v.append(joint)
            coop_v.append(coop)
            truth = _grammar_truth(grammar, target, keys, [g], o, side) \
                if output_scale == "linear" else None
            if truth is None:
                planted = np.nan
            else:
                c, ta, tb, term = truth
                with np.errstate(divide="ignore", invalid="ignore"):
                    planted = float(_cooperativity(convention, c, ta, tb,
                                                   ta + tb - c + term[0])[1])
                planted = planted if np.isfinite(planted) else np.nan
            rows.append({"distance": g, "side": side, "center_offset": offset,
                         "orientation": o, "n": n, "a_alone": float(np.median(a - bg)),
                         "b_alone": float(np.median(b - bg)), "planted": planted})
    df = pd.DataFrame(rows)
    for prefix, vals in (("", coop_v), ("joint_", joint_v)):
        for k, v in summarize(np.stack(vals), statistic, prefix).items():
            df[k] = v
    cols = ["distance", "side", "center_offset", "orientation", "n", "mean", "median",
            "ci_low", "ci_high", "joint_mean", "joint_median", "joint_ci_low", "joint_ci_high",
            "a_alone", "b_alone", "planted"]
    df = df[cols]
    conv = CONVENTIONS[convention]
    df.attrs.update({
        "convention": convention, "formula": conv["formula"], "no_effect": conv["none"],
        "expected": conv["expected"], "joint": conv["joint"], "statistic": statistic,
        "interval": ("95% order-statistic interval of the median (binomial)"
                     if statistic == "median" else "95% t interval of the mean"),
        "distance": DISTANCE_NOTE, "orientation": "strands of A then B on the + strand",
        "output_scale": output_scale, "target": target, "motif_a": ma.name, "site_a": ma.site,
        "motif_b": mb.name, "site_b": mb.site, "a_start": a0, "length": L,
        "skipped": [(s, g) for s, g, _ in skipped], "planted_keys": keys})
    return df
