"""K-fold cross-validation of a user's dataset: folds, one model per fold, pooled metrics.

`fold_of` puts every sequence in one of K folds by a seeded permutation (each fold gets
its share of both classes of a binary set); a dinucleotide-shuffled negative
(`regviz.data.add_shuffled_negatives`) always lands in its own positive's fold
(`fold_groups`). `fold_dataset` gives fold i's Dataset: that fold is the test split, a
seeded slice of the rest the validation split (early stopping), the others train;
``meta["split"]`` says ``{"folds": {k, fold, seed, valid_fraction}}`` for the card.
`cross_validate` trains one model per fold with one `JobSpec` (`run_job`), writes
``<out>/fold-1 ...``, ``<out>/cv.json`` and ``<out>/predictions.tsv``, and scores the
out-of-fold predictions pooled (`regviz.training.metrics.score`) and per fold (mean, sd).
"""

from __future__ import annotations

import dataclasses
import json
import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from regviz import checkpoints, devices
from regviz.checkpoints.fields import thaw
from regviz.data.dataset import Dataset
from regviz.data.prepare import default_names
from regviz.data.tensors import TorchDataset
from regviz.errors import DataFormatError
from regviz.predict import predict
from regviz.training.jobs import JobSpec, run_job, runs_root
from regviz.training.loop import ProgressReport
from regviz.training.metrics import score

SUMMARY = "cv.json"
PREDICTIONS = "predictions.tsv"
#: the per-fold summaries averaged in cv.json's "mean" and "sd"
SUMMARY_KEYS = ("auroc_mean", "auprc_mean", "pearson_mean", "spearman_mean", "mse")


@dataclass
class FoldReport:
    """One step of `cross_validate`: fold (1..k) with its job's `ProgressReport`, or,
    last (fold 0, report None), ``summary`` (what cv.json holds) and the ``folder``."""

    fold: int
    k: int
    report: ProgressReport | None = None
    summary: dict | None = None
    folder: str | None = None


def fold_groups(dataset: Dataset) -> np.ndarray:
    """``(n,)`` int group of every sequence: its own index, or for a shuffled negative
    (``meta["negatives"]``, appended after the originals) its positive's index."""
    n, groups = len(dataset), np.arange(len(dataset))
    neg = dataset.meta.get("negatives")
    if not neg:
        return groups
    added, per = int(neg.get("n_added", 0)), int(neg.get("n_per_positive", 1))
    first = max(n - added, 0)
    parents = np.repeat(np.flatnonzero(dataset.y[:first, 0] == 1), per)
    names = list(dataset.meta.get("names") or [])
    expected = [f"{names[p]}_shuf{j % per + 1}" for j, p in enumerate(parents)] if names else []
    if len(parents) != added or names[first:] != expected:
        raise DataFormatError(f"{dataset.name}: its shuffled negatives no longer follow their "
                              "positives (the set was changed after add_shuffled_negatives), so "
                              "a fold cannot keep each shuffle with its peak. Add the "
                              "negatives last.")
    groups[first:] = parents
    return groups


def fold_of(dataset: Dataset, k: int, seed: int = 0) -> np.ndarray:
    """``(n,)`` fold (0..k-1) of every sequence: groups (`fold_groups`) in a seeded random
    order dealt round-robin, positives first for a binary set (so each fold gets its
    share of both classes), so fold sizes differ by about one group per class."""
    groups = fold_groups(dataset)
    unique = np.unique(groups)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 2 <= k <= len(unique):
        raise DataFormatError(f"Cross-validation takes 2 to {len(unique)} folds (one sequence "
                              f"and its shuffles per fold at least); got {k!r} instead.")
    order = np.random.default_rng(seed).permutation(unique)
    if dataset.task_kind == "binary":
        order = order[np.argsort(-dataset.y[order, 0], kind="stable")]
    fold = np.empty(groups.max() + 1, dtype=int)
    fold[order] = np.arange(len(order)) % k
    return fold[groups]


def fold_splits(dataset: Dataset, k: int, fold: int, seed: int = 0,
                valid_fraction: float = 0.1) -> dict:
    """train/valid/test indices of fold ``fold`` (1..k): its sequences are the test split,
    a seeded ``valid_fraction`` of the other groups validation. Sorted int arrays."""
    if not 1 <= fold <= k:
        raise DataFormatError(f"fold must be 1 to {k}; got {fold!r} instead.")
    if not 0 < valid_fraction < 1:
        raise DataFormatError(f"valid_fraction must be between 0 and 1; got {valid_fraction}.")
    folds, groups = fold_of(dataset, k, seed), fold_groups(dataset)
    test = folds == fold - 1
    rest = np.unique(groups[~test])
    order = np.random.default_rng([seed, fold]).permutation(rest)
    valid = np.isin(groups, order[:max(1, int(round(len(rest) * valid_fraction)))]) & ~test
    return {"train": np.flatnonzero(~test & ~valid), "valid": np.flatnonzero(valid),
            "test": np.flatnonzero(test)}


def fold_dataset(dataset: Dataset, k: int, fold: int, seed: int = 0,
                 valid_fraction: float = 0.1) -> Dataset:
    """The dataset with fold ``fold``'s splits (`fold_splits`), recorded in
    ``meta["split"]`` (and ``meta["seed"]``, when unset) for its card."""
    how = {"folds": {"k": k, "fold": fold, "seed": seed, "valid_fraction": valid_fraction}}
    meta = {**dataset.meta, "split": how}
    if meta.get("seed") is None:
        meta["seed"] = seed
    return dataclasses.replace(dataset, splits=fold_splits(dataset, k, fold, seed,
                                                           valid_fraction), meta=meta)


def summarize_folds(per_fold: list, pooled: dict) -> dict:
    """``{"per_fold", "pooled", "mean", "sd"}``: mean and sample sd (ddof 1) over folds of
    each `SUMMARY_KEYS` metric the folds have."""
    mean, sd = {}, {}
    for key in SUMMARY_KEYS:
        values = [m[key] for m in per_fold if isinstance(m.get(key), float)
                  and math.isfinite(m[key])]
        if values:
            mean[key] = float(np.mean(values))
            sd[key] = float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")
    return {"per_fold": per_fold, "pooled": pooled, "mean": mean, "sd": sd}


def _baseline_means(found: list) -> dict:
    """Mean over folds of each baseline's score per task (k-mer model, best PWM)."""
    found = [b for b in found if b]
    if not found:
        return {}

    def mean(rows):
        return [None if any(v is None for v in col) else round(float(np.mean(col)), 4)
                for col in zip(*rows)]

    return {"metric": found[0].get("metric"),
            "kmer": mean([b.get("kmer", []) for b in found]),
            "pwm": mean([[p.get("score") for p in b.get("pwm", [])] for b in found])}


def _out_of_fold(folder: Path, dataset: Dataset, device) -> tuple[np.ndarray, np.ndarray, dict]:
    """The fold model's test indices, predictions ``(n_test, n_tasks)`` and card baselines."""
    model, card = checkpoints.load(folder, device=device)
    tds = TorchDataset(dataset, "test")
    return tds.indices, predict(model, tds.X), thaw((card.metrics or {}).get("baselines")) or {}


def _json_ready(value):
    """NaN as None, recursively (cv.json is strict JSON)."""
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    return value


def _write_predictions(path: Path, dataset: Dataset, folds: np.ndarray, pred: np.ndarray):
    names = dataset.meta.get("names") or default_names(len(dataset))
    head = ["index", "name", "fold"] + list(dataset.task_names) + [
        f"{t}_prediction" for t in dataset.task_names]
    rows = ["\t".join(head)]
    for i in range(len(dataset)):
        rows.append("\t".join([str(i), str(names[i]), str(folds[i] + 1)]
                              + [f"{v:g}" for v in dataset.y[i]]
                              + [f"{v:.6g}" for v in pred[i]]))
    path.write_text("\n".join(rows) + "\n")


def cross_validate(spec: JobSpec, k: int, seed: int = 0, out=None, valid_fraction: float = 0.1,
                   stop: threading.Event | None = None):
    """Train and test one model per fold of ``spec.dataset`` (a Dataset); yields FoldReports.

    Every fold uses ``spec`` (model, preset, overrides, TrainConfig, baselines) as it is,
    with `fold_dataset`'s splits; fold i's checkpoint goes to ``<out>/fold-i``. ``out``
    None: ``spec.out``, else ``<runs>/<model>-<dataset>-cv<k>-<time>``. The last report
    (fold 0) has ``summary``, also written to ``<out>/cv.json``: k, seed, n, per_fold and
    pooled metrics (`score` of all out-of-fold predictions together), their mean and sd
    over folds, baselines and the fold folders; ``<out>/predictions.tsv`` holds every
    sequence's fold, labels and out-of-fold prediction. Stops after a cancelled fold.
    """
    dataset = spec.dataset
    if not isinstance(dataset, Dataset):
        raise DataFormatError("cross_validate needs spec.dataset as a Dataset (e.g. "
                              "regviz.data.load_dataset(path)); got "
                              f"{type(dataset).__name__} instead.")
    folds = fold_of(dataset, k, seed)
    start = time.perf_counter()
    root = Path(out or spec.out or runs_root() / (
        f"{spec.model}-{dataset.name}-cv{k}-{time.strftime('%Y%m%d-%H%M%S')}"
        .replace("/", "_").replace(" ", "_")))
    device = devices.pick_device(spec.config.device)
    pred = np.full(dataset.y.shape, np.nan, dtype=np.float64)
    per_fold, found = [], []
    for fold in range(1, k + 1):
        data = fold_dataset(dataset, k, fold, seed, valid_fraction)
        job = dataclasses.replace(spec, dataset=data, out=root / f"fold-{fold}",
                                  name=f"{spec.label} [fold {fold}/{k}]")
        last = None
        for report in run_job(job, stop=stop):
            last = report
            yield FoldReport(fold, k, report)
        if last is None or last.phase != "done":
            return
        idx, p, baseline = _out_of_fold(Path(last.checkpoint), data, device)
        pred[idx] = p
        found.append(baseline)
        per_fold.append({"fold": fold, "n_train": len(data.splits["train"]),
                         "n_valid": len(data.splits["valid"]), "n_test": len(idx),
                         "best_epoch": last.best_epoch, "checkpoint": f"fold-{fold}",
                         **score(dataset.y[idx], p, dataset.task_kind, dataset.task_names)})
    pooled = score(dataset.y, pred, dataset.task_kind, dataset.task_names)
    summary = {"k": k, "seed": seed, "n": len(dataset), "dataset": dataset.name,
               "model": spec.model, "preset": spec.preset, "overrides": dict(spec.overrides),
               "valid_fraction": valid_fraction, "task_kind": dataset.task_kind,
               **summarize_folds(per_fold, pooled), "baselines_mean": _baseline_means(found),
               "baselines": found, "duration_s": round(time.perf_counter() - start, 1)}
    summary = _json_ready(summary)
    root.mkdir(parents=True, exist_ok=True)
    (root / SUMMARY).write_text(json.dumps(summary, indent=2) + "\n")
    _write_predictions(root / PREDICTIONS, dataset, folds, pred)
    yield FoldReport(0, k, None, summary=summary, folder=str(root))
