"""Baselines on a trained model's own test split: what a CNN must beat.

Two per task, fitted on the train split and scored on the test split exactly as the
model's test metrics are (AUROC for 0/1 tasks, Pearson for regression):

- ``kmer``: log(1 + counts) of every k-mer (k = 4, both strands added) with an L2
  logistic regression (0/1; C = 0.1) or a ridge regression (values; strength chosen on
  the train split by its leave-one-out error), from scikit-learn;
- ``pwm``: the best score of a single JASPAR 2024 matrix along each sequence (either
  strand). The matrix is chosen on at most 500 train sequences among ``candidates``
  (default: every CORE vertebrates matrix; a seeded random choice of train sequences),
  then scored once on the test split, so the choice is not tuned on the test set.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.stats import pearsonr
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.metrics import roc_auc_score

from regviz import motifs
from regviz.sequence import one_hot, reverse_complement

K = 4
SELECT_ON = 500        # train sequences on which the PWM is chosen
MAX_TRAIN = 20_000     # train sequences for the k-mer fit


def _score(y, s, kind: str) -> float:
    if kind == "regression":
        return float(pearsonr(y, s)[0]) if np.std(s) > 0 else float("nan")
    return float(roc_auc_score(y, s)) if len(np.unique(y)) == 2 else float("nan")


def kmer_features(X: np.ndarray, k: int = K) -> np.ndarray:
    """``(n, 4**k)`` counts of every k-mer on both strands, from one-hot ``X (n, 4, L)``."""
    Xt = torch.as_tensor(np.ascontiguousarray(X[:, :4]), dtype=torch.float32)
    codes = torch.zeros((Xt.shape[0], Xt.shape[2] - k + 1), dtype=torch.long)
    valid = torch.ones_like(codes, dtype=torch.bool)
    base = Xt.argmax(dim=1)                               # (n, L); N rows count as A ...
    known = Xt.max(dim=1).values == 1.0                    # ... and are dropped here
    for j in range(k):
        codes = codes * 4 + base[:, j:j + codes.shape[1]]
        valid &= known[:, j:j + codes.shape[1]]
    out = torch.zeros((Xt.shape[0], 4 ** k))
    out.scatter_add_(1, codes * valid, valid.float())
    return out.numpy()


def kmer_baseline(X, y, train, test, kind: str) -> list[float]:
    """Test score per task of the k-mer model fitted on ``train`` (indices)."""
    both = kmer_features(X) + kmer_features(reverse_complement(X))
    feats = np.log1p(both)
    train = np.sort(np.random.default_rng(0).permutation(train)[:MAX_TRAIN])
    out = []
    for t in range(y.shape[1]):
        if kind == "regression":
            fit = RidgeCV(alphas=np.logspace(-2, 4, 7)).fit(feats[train], y[train, t])
            s = fit.predict(feats[test])
        else:
            if len(np.unique(y[train, t])) < 2:
                out.append(float("nan"))
                continue
            fit = LogisticRegression(C=0.1, max_iter=1000).fit(feats[train], y[train, t])
            s = fit.decision_function(feats[test])
        out.append(_score(y[test, t], s, kind))
    return out


def best_pwm_scores(X: np.ndarray, candidates) -> np.ndarray:
    """``(n, m)`` best log-odds score of each candidate Motif along each sequence, either
    strand (one conv1d per chunk of matrices)."""
    Xt = torch.as_tensor(np.ascontiguousarray(X[:, :4]), dtype=torch.float32)
    out = []
    for lo in range(0, len(candidates), 64):
        chunk = candidates[lo:lo + 64]
        w = max(m.counts.shape[1] for m in chunk)
        W = np.zeros((len(chunk), 4, w), dtype=np.float32)
        for i, m in enumerate(chunk):
            W[i, :, :m.counts.shape[1]] = m.pssm()
        W = torch.as_tensor(W)
        if Xt.shape[2] < w:
            out.append(np.full((len(X), len(chunk)), -np.inf))
            continue
        fwd = torch.nn.functional.conv1d(Xt, W).amax(dim=2)
        rev = torch.nn.functional.conv1d(Xt, W.flip(1, 2)).amax(dim=2)
        out.append(torch.maximum(fwd, rev).numpy())
    return np.concatenate(out, axis=1)


def pwm_baseline(X, y, train, test, kind: str, candidates=None) -> list[dict]:
    """Per task: ``{"motif", "id", "score"}`` of the JASPAR matrix that separates the
    first `SELECT_ON` train sequences best, scored on the test split."""
    candidates = list(candidates or motifs.collection("CORE vertebrates"))
    pick = np.sort(np.random.default_rng(0).permutation(train)[:SELECT_ON])
    on_train = best_pwm_scores(X[pick], candidates)
    out = []
    for t in range(y.shape[1]):
        scores = [_score(y[pick, t], on_train[:, j], kind) for j in range(len(candidates))]
        if np.all(np.isnan(scores)):
            out.append({"motif": None, "id": None, "score": float("nan")})
            continue
        best = candidates[int(np.nanargmax(scores))]
        s = best_pwm_scores(X[test], [best])[:, 0]
        out.append({"motif": best.name, "id": best.id, "score": _score(y[test, t], s, kind)})
    return out


def baselines(dataset, candidates=None) -> dict:
    """``{"metric", "kmer": [per task], "pwm": [per task dicts]}`` on the dataset's train
    and test splits (empty dict when it has no test split or reads more than DNA)."""
    train = np.asarray(dataset.splits.get("train", []), dtype=int)
    test = np.asarray(dataset.splits.get("test", []), dtype=int)
    if not len(train) or not len(test) or getattr(dataset, "tracks", None) is not None:
        return {}
    X = one_hot(dataset.seqs)
    y = np.asarray(dataset.y, dtype=np.float64).reshape(len(dataset), -1)
    kind = dataset.task_kind
    return {"metric": "pearson" if kind == "regression" else "auroc", "k": K,
            "kmer": [_json(v) for v in kmer_baseline(X, y, train, test, kind)],
            "pwm": [{**p, "score": _json(p["score"])}
                    for p in pwm_baseline(X, y, train, test, kind, candidates)]}


def _json(value: float):
    """Rounded for a card; NaN (a task with one class) as None."""
    return None if value is None or np.isnan(value) else round(float(value), 4)
