"""The grammar of a synthetic set, evaluated: pair gaps, spacing profiles, rules, activity.

Labels are computed from the planted instances alone, so they can be recomputed
from an annotations table (`regviz.simulate.engine.instances_from_table`). The
conventions (gaps, orientations) are those of `regviz.simulate.engine`.
"""

from __future__ import annotations

import numpy as np

from regviz.errors import DataFormatError
from regviz.simulate.engine import ORIENTATIONS, Instances


def pair_gaps(inst: Instances, a: int, b: int):
    """Gaps and canonical orientations of every (A site, B site) pair.

    Only rows holding both motifs are computed.

    Returns
    -------
    rows : (r,) int, the sequences that hold at least one A and one B site
    gap : (r, K, K) int64, ``gap[i, j, l]`` between site j (motif a) and l (b)
    mask : (r, K, K) bool, where j is an A and l a B site (j != l)
    orient : (r, K, K) int8, index into ORIENTATIONS after canonicalising to B
        on the right of A.
    """
    rows = np.flatnonzero((inst.motif == a).any(axis=1) & (inst.motif == b).any(axis=1))
    m, s, st = inst.motif[rows], inst.start[rows], inst.strand[rows]
    e = s + inst.widths[np.maximum(m, 0)]
    mask = (m == a)[:, :, None] & (m == b)[:, None, :]
    if a == b:
        mask &= ~np.eye(m.shape[1], dtype=bool)[None]
    gap = np.maximum(s[:, None, :] - e[:, :, None], s[:, :, None] - e[:, None, :])
    b_right = s[:, None, :] >= s[:, :, None]
    sa = np.where(b_right, st[:, :, None], -st[:, :, None])
    sb = np.where(b_right, st[:, None, :], -st[:, None, :])
    orient = ((sa < 0) * 2 + (sb < 0)).astype(np.int8)
    return rows, gap, mask, orient


def profile(spec: dict, gaps: np.ndarray) -> np.ndarray:
    """Distance profile of a pair term (1 = full strength) at the given gaps.

    Shapes: ``flat`` (1 everywhere), ``exp_decay`` (``exp(-gap / scale)``),
    ``window`` (1 up to ``max_gap`` then 0, times ``(1 + cos(2 pi (gap -
    phase) / period)) / 2`` when ``period`` is set: helical phasing).
    """
    g = np.asarray(gaps, dtype=np.float64)
    shape = spec["shape"]
    if shape == "flat":
        return np.ones_like(g)
    if shape == "exp_decay":
        return np.exp(-g / spec["scale"])
    if shape == "window":
        f = (g <= spec["max_gap"]).astype(np.float64)
        if spec.get("period"):
            f *= (1 + np.cos(2 * np.pi * (g - spec.get("phase", 0)) / spec["period"])) / 2
        return f
    raise DataFormatError(f"Unknown distance profile shape {shape!r}; allowed: flat, "
                          "exp_decay, window.")


def pair_term(pair: dict, gaps: np.ndarray, orient_idx: np.ndarray) -> np.ndarray:
    """``strength * profile(gap) * orientation_weight[orientation]`` elementwise."""
    w = np.array([pair["orientation_weights"][o] for o in ORIENTATIONS], dtype=np.float64)
    return pair["strength"] * profile(pair["profile"], gaps) * w[orient_idx]


def _keyidx(grammar: dict) -> dict:
    return {k: i for i, k in enumerate(grammar["motifs"])}


def eval_rule(rule: dict, inst: Instances, keys: dict) -> np.ndarray:
    """Evaluate one boolean rule of a grammar on every sequence; returns (n,) bool.

    Kinds: ``count`` (at least ``min`` sites of ``motif``), ``all`` / ``any``
    (of ``rules``), ``not`` (of ``rule``), ``pair`` (a site of ``a`` and one of
    ``b`` with ``gap`` in ``[lo, hi]``, hi null = no upper bound), ``cluster``
    (at least ``min`` sites of ``motifs`` inside one ``window`` bp window).
    """
    kind = rule["kind"]
    if kind == "count":
        return (inst.motif == keys[rule["motif"]]).sum(axis=1) >= rule["min"]
    if kind in ("all", "any"):
        parts = [eval_rule(r, inst, keys) for r in rule["rules"]]
        return np.logical_and.reduce(parts) if kind == "all" else np.logical_or.reduce(parts)
    if kind == "not":
        return ~eval_rule(rule["rule"], inst, keys)
    if kind == "pair":
        rows, gap, mask, _ = pair_gaps(inst, keys[rule["a"]], keys[rule["b"]])
        lo, hi = rule["gap"]
        ok = mask & (gap >= lo)
        if hi is not None:
            ok &= gap <= hi
        out = np.zeros(inst.motif.shape[0], bool)
        out[rows] = ok.any(axis=(1, 2))
        return out
    if kind == "cluster":
        member = np.isin(inst.motif, [keys[k] for k in rule["motifs"]])
        s, e = inst.start, inst.end
        inside = (member[:, :, None] & member[:, None, :] & (s[:, None, :] >= s[:, :, None])
                  & (e[:, None, :] <= s[:, :, None] + rule["window"]))
        return (inside.sum(axis=2) >= rule["min"]).any(axis=1)
    raise DataFormatError(f"Unknown rule kind {kind!r} in the grammar.")


def activity(grammar: dict, inst: Instances) -> np.ndarray:
    """Noiseless regression outputs of an activity grammar, shape (n, n_outputs).

    ``y[:, o] = intercept + sum_m weight_m * count_m + sum over grammar pairs of
    output o, over every (A site, B site) pair, of pair_term(gap, orientation)``.
    """
    keys = _keyidx(grammar)
    outs = list(grammar["outputs"])
    y = np.zeros((inst.motif.shape[0], len(outs)))
    for o, name in enumerate(outs):
        spec = grammar["outputs"][name]
        y[:, o] = spec["intercept"]
        for key, wt in spec["weights"].items():
            y[:, o] += wt * (inst.motif == keys[key]).sum(axis=1)
    for pair in grammar["pairs"]:
        if pair["strength"] == 0:
            continue
        rows, gap, mask, orient = pair_gaps(inst, keys[pair["a"]], keys[pair["b"]])
        term = np.where(mask, pair_term(pair, np.maximum(gap, 0), orient), 0.0)
        y[rows, outs.index(pair["output"])] += term.sum(axis=(1, 2))
    return y


def labels_from_instances(grammar: dict, inst: Instances) -> np.ndarray:
    """Noiseless labels a grammar gives, shape (n, n_tasks), float32."""
    if grammar.get("outputs"):
        return activity(grammar, inst).astype(np.float32)
    keys = _keyidx(grammar)
    return np.stack([eval_rule(grammar["tasks"][t], inst, keys) for t in grammar["tasks"]],
                    axis=1).astype(np.float32)

