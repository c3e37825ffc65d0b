"""Variant effects: predictions of REF and ALT windows, and the rank among all SNVs.

``alt - ref`` is a difference of two direct predictions (in the card's units:
probabilities for binary and multitask models, values for regression), optionally
averaged over both strands. ``log2 ratio`` is ``log2(alt / ref)`` where both are
positive. ``rank`` places the variant's effect among every possible single-base change
of its REF window: ``1 + #{SNVs with a larger |effect|}`` over the ``3 L`` SNVs of the
window, on the forward strand in the model's raw units, from one fast exact ISM pass
per window (`regviz.attribution.ism`); windows shared by several variants (alleles of
one site) share it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regviz.attribution import ism
from regviz.predict import predict, readable
from regviz.sequence import one_hot, reverse_complement

CHUNK = 512     # windows one-hot encoded at a time


def _predict(model, card, seqs, both: bool, batch_size: int):
    """``(raw forward (n, k), in card units (n, k), strand-averaged when both)``."""
    X = one_hot(seqs)
    raw = predict(model, X, batch_size=batch_size)
    shown = readable(raw, card)
    if both:
        shown = (shown + readable(predict(model, reverse_complement(X),
                                          batch_size=batch_size), card)) / 2
    return raw, shown


def score_variants(model, card, table: pd.DataFrame, refs, alts, both_strands: bool = True,
                   ranks: bool = True, batch_size: int = 256, progress=None) -> pd.DataFrame:
    """One row per (variant, output): the variant's columns from ``table``
    (`regviz.variants.variant_windows`), ``output``, ``ref``, ``alt`` (predictions),
    ``effect`` (alt - ref), ``log2_ratio`` and, with ``ranks``, ``rank`` and ``n_snvs``.
    ``progress(done, total)`` is called per chunk of windows."""
    n, names = len(table), list(card.task_names)
    k = len(names)
    ref_shown, alt_shown = np.zeros((n, k)), np.zeros((n, k))
    ref_raw, alt_raw = np.zeros((n, k)), np.zeros((n, k))
    steps = -(-n // CHUNK) * (2 if ranks else 1)
    for step, lo in enumerate(range(0, n, CHUNK)):
        hi = min(lo + CHUNK, n)
        ref_raw[lo:hi], ref_shown[lo:hi] = _predict(model, card, refs[lo:hi], both_strands,
                                                    batch_size)
        alt_raw[lo:hi], alt_shown[lo:hi] = _predict(model, card, alts[lo:hi], both_strands,
                                                    batch_size)
        if progress is not None:
            progress(step + 1, steps)
    rank = np.full((n, k), np.nan)
    n_snvs = 3 * len(refs[0]) if n else 0
    if ranks and n:
        rank = _ranks(model, refs, np.abs(alt_raw - ref_raw), progress, steps)
    effect = alt_shown - ref_shown
    with np.errstate(divide="ignore", invalid="ignore"):
        log2 = np.where((ref_shown > 0) & (alt_shown > 0), np.log2(alt_shown / ref_shown),
                        np.nan)
    base = table.loc[table.index.repeat(k)].reset_index(drop=True)
    out = base.assign(output=np.tile(names, n), ref_pred=ref_shown.ravel(),
                      alt_pred=alt_shown.ravel(), effect=effect.ravel(),
                      log2_ratio=log2.ravel())
    if ranks:
        out = out.assign(rank=rank.ravel(), n_snvs=n_snvs)
    return out


def _ranks(model, refs, size: np.ndarray, progress, steps: int) -> np.ndarray:
    """Rank of each ``size (n, k)`` (|alt - ref|, raw forward) among the |effects| of the
    3 L SNVs of its window, per output: 1 + the number of SNVs with a larger effect."""
    n, k = size.shape
    windows: dict[str, list[int]] = {}
    for i, s in enumerate(refs):
        windows.setdefault(s, []).append(i)
    unique = list(windows)
    rank = np.zeros((n, k))
    for start in range(0, len(unique), CHUNK):
        chunk = unique[start:start + CHUNK]
        X = one_hot(chunk)
        alt_base = X != 1.0                                     # (m, 4, L): the 3 L SNVs
        for o in range(k):
            effects = np.abs(ism(model, X, target=o))
            for j, s in enumerate(chunk):
                snvs = effects[j][alt_base[j]]
                for i in windows[s]:
                    rank[i, o] = 1 + int((snvs > size[i, o] * (1 + 1e-6) + 1e-12).sum())
        if progress is not None:
            progress(steps // 2 + start // CHUNK + 1, steps)
    return rank
