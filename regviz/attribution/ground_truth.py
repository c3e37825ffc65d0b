"""Scoring attributions against the motifs planted in a synthetic set (DragoNN-style).

Positions inside a planted site of a motif that matters for the chosen task are the
positives; every other position of the same sequences is a negative (decoys and
sites of other tasks' motifs included, so attributing to them costs). The score of
a per-base importance track is the positional AUROC and auPRC (scikit-learn) over
the sequences that hold at least one relevant site. Importance is taken as its
absolute value by default (a repressor's site matters as much as an activator's).
Coordinates are 0-based, ends exclusive, as in ``Dataset.annotations``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from regviz.attribution.methods import attribute, importance
from regviz.errors import AttributionError


def _collect(rule, keys: set) -> None:
    if isinstance(rule, dict):
        for field in ("motif", "a", "b"):
            if isinstance(rule.get(field), str):
                keys.add(rule[field])
        for key in rule.get("motifs") or []:
            keys.add(key)
        for sub in (rule.get("rules") or []) + ([rule["rule"]] if "rule" in rule else []):
            _collect(sub, keys)


def relevant_motifs(grammar: dict, task: str) -> list[str]:
    """Motif names (as in ``annotations.motif_name``) the label of ``task`` depends on.

    Reads the grammar of a `regviz.simulate` set: task rules (``grammar["tasks"]``) or,
    for enhancer-activity, the task's additive weights and pair terms.
    """
    if not grammar:
        raise AttributionError("This dataset has no grammar (not a synthetic set), so there "
                               "is no ground truth to score against.")
    keys: set = set()
    if task in (grammar.get("tasks") or {}):
        _collect(grammar["tasks"][task], keys)
    elif task in (grammar.get("outputs") or {}):
        keys.update((grammar["outputs"][task].get("weights") or {}).keys())
        for pair in grammar.get("pairs") or []:
            if pair.get("output") == task:
                keys.update((pair["a"], pair["b"]))
    else:
        known = list(grammar.get("tasks") or grammar.get("outputs") or [])
        raise AttributionError(f"Task {task!r} is not in this dataset's grammar; tasks are "
                               f"{', '.join(known)}.")
    motifs = grammar.get("motifs") or {}
    return sorted({motifs.get(k, {}).get("name", k) for k in keys})


def motif_mask(annotations: pd.DataFrame, n: int, length: int,
               motifs: list[str] | None = None) -> np.ndarray:
    """Boolean ``(n, length)``: True inside annotated sites (of ``motifs`` if given).

    ``annotations`` rows need seq_index (0..n-1), start (0-based), end (exclusive) and
    motif_name. Rows named "core" (DECODE-style core intervals) are not sites.
    """
    mask = np.zeros((n, length), dtype=bool)
    ann = annotations[annotations["motif_name"] != "core"]
    if motifs is not None:
        ann = ann[ann["motif_name"].isin(motifs)]
    for i, s, e in zip(ann["seq_index"], ann["start"], ann["end"]):
        if 0 <= i < n:
            mask[int(i), max(int(s), 0):min(int(e), length)] = True
    return mask


def positional_scores(tracks: np.ndarray, mask: np.ndarray, absolute: bool = True) -> dict:
    """Positional AUROC and auPRC of importance ``tracks (n, L)`` against ``mask (n, L)``.

    Only sequences with at least one positive position are scored (pooled over their
    positions). Returns dict(auroc, auprc, baseline_auprc (fraction of positives),
    n_sequences, n_positive, n_negative).
    """
    tracks, mask = np.asarray(tracks, dtype=np.float64), np.asarray(mask, dtype=bool)
    if tracks.shape != mask.shape:
        raise AttributionError(f"tracks {tracks.shape} and motif mask {mask.shape} differ in "
                               "shape.")
    keep = mask.any(axis=1)
    if not keep.any() or mask[keep].all():
        raise AttributionError("No sequence holds both planted-site and background positions; "
                               "nothing to score.")
    y, s = mask[keep].ravel(), tracks[keep].ravel()
    s = np.abs(s) if absolute else s
    return {"auroc": float(roc_auc_score(y, s)), "auprc": float(average_precision_score(y, s)),
            "baseline_auprc": float(y.mean()), "n_sequences": int(keep.sum()),
            "n_positive": int(y.sum()), "n_negative": int((~y).sum())}


def score_tracks(tracks: np.ndarray, annotations: pd.DataFrame, grammar: dict, task: str,
                 absolute: bool = True) -> dict:
    """`positional_scores` of ``tracks (n, L)`` against the task's planted sites.

    ``annotations`` must be indexed 0..n-1 like ``tracks`` (e.g. from
    ``Dataset.subset``, re-indexed to the rows scored). Adds ``motifs`` (names used).
    """
    motifs = relevant_motifs(grammar, task)
    mask = motif_mask(annotations, tracks.shape[0], tracks.shape[1], motifs)
    return {**positional_scores(tracks, mask, absolute), "motifs": motifs}


def test_subset(dataset, n: int = 200, seed: int = 0, only_with_sites: str | None = None):
    """``n`` test sequences of a synthetic Dataset (seeded choice), annotations re-indexed.

    With ``only_with_sites=task``, draw among test sequences holding a relevant site.
    Returns (seqs, annotations, indices into the test split).
    """
    test = dataset.subset("test")
    pool = np.arange(len(test))
    if only_with_sites is not None:
        mask = motif_mask(test.annotations, len(test), test.length,
                          relevant_motifs(test.grammar, only_with_sites))
        pool = pool[mask.any(axis=1)]
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(pool, size=min(n, len(pool)), replace=False))
    remap = {int(o): k for k, o in enumerate(idx)}
    ann = test.annotations[test.annotations["seq_index"].isin(remap)].copy()
    ann["seq_index"] = ann["seq_index"].map(remap)
    return [test.seqs[i] for i in idx], ann.reset_index(drop=True), idx


def score_method(model, X, annotations: pd.DataFrame, grammar: dict, task: str, method: str,
                 target: int = 0, progress=None, **options) -> dict:
    """`score_tracks` of one attribution method on inputs ``X (n, 4, L)``.

    The method's per-base importance (`regviz.attribution.importance`: the observed
    base's value for saliency, the sum over bases otherwise) is scored against the
    planted sites of the motifs ``task`` depends on. ``options`` go to `attribute`.
    """
    A = attribute(model, X, method, target, progress=progress, **options)
    track = importance(A, X, method, hypothetical=method == "saliency" or
                       bool(options.get("hypothetical")))
    return score_tracks(track, annotations, grammar, task)
