"""The engine every in-silico motif experiment shares: backgrounds, sites, batched
predictions, summaries with 95% intervals.

`regviz.spacing.pairs` (spacing experiments) and `regviz.spacing.single` (one motif by
position, copy number, orientation) build their designs on top of it.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import stats

from regviz.errors import ExperimentError
from regviz.sequence import one_hot
from regviz.spacing.inputs import InsertMotif


class ExperimentCancelled(Exception):
    """Raised when the ``cancel`` event of an experiment was set (not an input error)."""


def site_onehot(site: str, strand: str) -> np.ndarray:
    x = one_hot(site)[0]
    return np.ascontiguousarray(x[::-1, ::-1]) if strand == "-" else x


def background_array(backgrounds) -> np.ndarray:
    if isinstance(backgrounds, np.ndarray):
        X = np.asarray(backgrounds, dtype=np.float32)
    else:
        items = [b.sequence if hasattr(b, "sequence") else b for b in backgrounds]
        if not items:
            raise ExperimentError("At least one background sequence is needed.")
        X = one_hot(items)
    if X.ndim != 3 or X.shape[1] != 4:
        raise ExperimentError(f"Backgrounds must be one-hot (n, 4, L). Got {X.shape} instead.")
    return X


def predict_blocks(model, make, n_blocks: int, n: int, target: int, batch_size: int, progress,
             cancel, scale: str) -> np.ndarray:
    """Predictions (n_blocks, n) for blocks ``make(i) -> (n, 4, L)``, batched."""
    if scale not in ("linear", "log2"):
        raise ExperimentError(f"output_scale must be 'linear' or 'log2'. Got {scale!r} instead.")
    per = max(1, int(batch_size) // n)
    out = np.empty((n_blocks, n), dtype=np.float64)
    device = next(iter(model.parameters()), torch.empty(0)).device
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for i0 in range(0, n_blocks, per):
                if cancel is not None and cancel.is_set():
                    raise ExperimentCancelled("The experiment was cancelled.")
                i1 = min(n_blocks, i0 + per)
                X = np.concatenate([make(i) for i in range(i0, i1)])
                y = model(torch.from_numpy(X).to(device)).float().cpu().numpy()
                y = y.reshape(len(X), -1)
                if not 0 <= target < y.shape[1]:
                    raise ExperimentError(f"target must be an output index from 0 to "
                                          f"{y.shape[1] - 1}. Got {target!r} instead.")
                out[i0:i1] = y[:, target].reshape(i1 - i0, n)
                if progress is not None:
                    progress(i1 * n, n_blocks * n)
    finally:
        model.train(was_training)
    return 2.0 ** out if scale == "log2" else out


def _ci(values: np.ndarray, statistic: str) -> tuple[np.ndarray, np.ndarray]:
    """95% interval of the median (order statistics) or mean (t) over the last axis."""
    n = values.shape[-1]
    if statistic == "median":
        k = int(stats.binom.ppf(0.025, n, 0.5))
        if stats.binom.cdf(k, n, 0.5) > 0.025:
            k -= 1
        k = max(k, 0)
        srt = np.sort(values, axis=-1)
        return srt[..., k], srt[..., n - 1 - k]
    m = values.mean(axis=-1)
    if n < 2:
        return m, m
    half = stats.t.ppf(0.975, n - 1) * values.std(axis=-1, ddof=1) / np.sqrt(n)
    return m - half, m + half


def summarize(values, statistic: str = "median", prefix: str = "") -> dict:
    """n, mean, median and the 95% interval (``ci_low``, ``ci_high``) of ``statistic``
    over the last axis of ``values`` (..., n_backgrounds); keys get ``prefix``."""
    if statistic not in ("median", "mean"):
        raise ExperimentError(f"statistic must be 'median' or 'mean'. Got {statistic!r} instead.")
    v = np.asarray(values, dtype=np.float64)
    lo, hi = _ci(v, statistic)
    return {f"{prefix}mean": v.mean(axis=-1), f"{prefix}median": np.median(v, axis=-1),
            f"{prefix}ci_low": lo, f"{prefix}ci_high": hi}


def check_positive(convention, *preds):
    if convention != "deepstarr":
        low = min(float(np.min(p)) for p in preds)
        if low <= 0:
            raise ExperimentError(
                f"The {convention!r} convention divides predictions, which must be > 0; this "
                f"model predicted values down to {low:.3g}. Use convention='deepstarr' (linear "
                "differences), or output_scale='log2' if the model predicts log2 activity.")


def grammar_key(grammar, motif: InsertMotif):
    """The grammar's key of a JASPAR-derived motif (None when it is not planted there)."""
    for key, m in ((grammar or {}).get("motifs") or {}).items():
        if motif.jaspar_id and m.get("id") == motif.jaspar_id:
            return key
    return None
