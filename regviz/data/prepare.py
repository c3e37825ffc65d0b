"""Preparing a user's sequences for training: one length, a task kind, splits, negatives.

`finish` is the last step of every reader in `regviz.data.files`: it fits the
lengths (`fit_lengths`), checks or infers the task kind and makes the split.
`add_shuffled_negatives` and `summarize` work on any Dataset.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter

import numpy as np
import pandas as pd

from regviz.data.dataset import TASK_KINDS, Dataset, random_splits
from regviz.errors import DataFormatError, RegvizWarning
from regviz.sequence import dinucleotide_shuffle

LENGTH_POLICIES = ("error", "crop", "pad", "crop_or_pad")


def infer_task_kind(y) -> str:
    """"binary" (one 0/1 column), "multitask" (several 0/1 columns) or "regression".

    ``y`` has shape (n,) or (n, n_tasks). All ones (positives only) is "binary".
    """
    y = np.asarray(y, dtype=np.float64)
    y = y[:, None] if y.ndim == 1 else y
    if np.isin(y, (0.0, 1.0)).all():
        return "binary" if y.shape[1] == 1 else "multitask"
    return "regression"


def fit_lengths(seqs, names, lines, source, policy, length):
    """Centre-crop or N-pad to one length as `policy` allows; the extra base goes right."""
    if policy not in LENGTH_POLICIES:
        raise DataFormatError(f"length_policy must be one of {LENGTH_POLICIES}; "
                              f"got {policy!r} instead.")
    lengths = np.array([len(s) for s in seqs])
    lo, hi = int(lengths.min()), int(lengths.max())
    target = length or {"crop": lo, "pad": hi, "error": hi,
                        "crop_or_pad": Counter(lengths.tolist()).most_common(1)[0][0]}[policy]
    need, odd = {"error": (f"all be {target} bp", lengths != target),
                 "crop": (f"be at least {target} bp to crop", lengths < target),
                 "pad": (f"be at most {target} bp to pad", lengths > target),
                 "crop_or_pad": ("", lengths < 0)}[policy]
    if odd.any():
        k = int(np.flatnonzero(odd)[0])
        raise DataFormatError(
            f"{source}: sequences must {need} but they are {lo if lo == hi else f'{lo}-{hi}'} bp "
            f"(e.g. {names[k]} on "
            f"line {lines[k]} is {lengths[k]} bp). Choose length_policy='crop' (centre crop to "
            "length, default the shortest), 'pad' (pad with N, centred, to length, default the "
            "longest) or 'crop_or_pad' (both, default the most common length), and length=.")
    out = [s[(len(s) - target) // 2:][:target] if len(s) >= target else
           "N" * ((target - len(s)) // 2) + s + "N" * (target - len(s) - (target - len(s)) // 2)
           for s in seqs]
    info = {"policy": policy, "length": int(target), "min_length": lo, "max_length": hi,
            "n_cropped": int((lengths > target).sum()), "n_padded": int((lengths < target).sum())}
    if info["n_cropped"] or info["n_padded"]:
        warnings.warn(f"{source}: {info['n_cropped']} sequence(s) centre-cropped and "
                      f"{info['n_padded']} padded with N to {target} bp "
                      f"(length_policy={policy!r}).", RegvizWarning, stacklevel=4)
    return out, info


def finish(source, fmt, names, seqs, lines, y, task_names, meta, task_kind=None,
            length_policy="error", length=None, valid=0.1, test=0.1, seed=0, splits=None):
    if not seqs:
        raise DataFormatError(f"{source}: no sequences left to load.")
    if not (0 <= valid and 0 <= test and valid + test < 1):
        raise DataFormatError(f"valid and test are fractions with valid + test < 1; got "
                              f"valid={valid}, test={test} instead.")
    seqs, info = fit_lengths(seqs, names, lines, source, length_policy, length)
    inferred = infer_task_kind(y)
    if task_kind is not None and task_kind != inferred:
        if task_kind not in TASK_KINDS:
            raise DataFormatError(f"task_kind must be None (infer) or one of {TASK_KINDS}; "
                                  f"got {task_kind!r} instead.")
        if task_kind != "regression" and inferred == "regression":
            i, j = np.argwhere(~np.isin(y, (0.0, 1.0)))[0]
            raise DataFormatError(f"task_kind={task_kind!r} needs labels 0 or 1, but {names[i]} "
                                  f"(line {lines[i]}) has {task_names[j]}={y[i, j]:g}. Use "
                                  "task_kind='regression'.")
        if task_kind == "binary":
            raise DataFormatError(f"task_kind='binary' is one label column; this file has "
                                  f"{len(task_names)} ({', '.join(task_names)}). Use 'multitask'.")
    meta.update(source=source, format=fmt, names=list(names), lines=list(lines),
                length_policy=info, task_kind_inferred=inferred,
                split={"random": {"seed": seed, "valid": valid, "test": test}}
                if splits is None else {"by_chrom": "train = all other contigs"})
    return Dataset(name=re.sub(r"(\.gz)?$", "", source).rsplit(".", 1)[0] or source, seqs=seqs,
                   y=y, task_names=list(task_names), task_kind=task_kind or inferred, meta=meta,
                   splits=random_splits(len(seqs), seed, valid, test) if splits is None
                   else splits)


def add_shuffled_negatives(dataset: Dataset, n_per_positive=1, seed=0) -> Dataset:
    """Add ``n_per_positive`` dinucleotide shuffles of every positive, labelled 0.

    As DeepBind did for positives-only ChIP-seq peaks. Binary datasets only. Each
    shuffle joins its positive's split (no leakage between splits) and is named
    ``<name>_shuf1``, ...; ``meta["negatives"]`` records how they were made.
    """
    if dataset.task_kind != "binary":
        raise DataFormatError(f"add_shuffled_negatives needs a binary dataset (one 0/1 label); "
                              f"got task_kind={dataset.task_kind!r} instead.")
    if not isinstance(n_per_positive, int) or n_per_positive < 1:
        raise DataFormatError(f"n_per_positive must be a whole number of 1 or more; "
                              f"got {n_per_positive!r} instead.")
    rng = np.random.default_rng(seed)
    pos = np.flatnonzero(dataset.y[:, 0] == 1)
    shuffled = [s for k in pos for s in dinucleotide_shuffle(dataset.seqs[k], n_per_positive, rng)]
    parent, new = np.repeat(pos, n_per_positive), len(dataset) + np.arange(len(shuffled))
    names = dataset.meta.get("names") or default_names(len(dataset))
    meta = dict(dataset.meta, names=list(names) + [f"{names[k]}_shuf{j + 1}" for k in pos
                                                    for j in range(n_per_positive)],
                negatives={"method": "dinucleotide_shuffle", "n_per_positive": n_per_positive,
                           "seed": seed, "n_added": len(shuffled)})
    for key in ("lines", "regions"):  # a negative keeps its positive's line and region
        if key in meta:
            meta[key] = list(meta[key]) + [meta[key][k] for k in parent]
    return Dataset(name=dataset.name, seqs=list(dataset.seqs) + shuffled,
                   y=np.concatenate([dataset.y, np.zeros((len(shuffled), 1))]),
                   task_names=list(dataset.task_names), task_kind="binary", meta=meta,
                   splits={s: np.sort(np.concatenate([idx, new[np.isin(parent, idx)]]))
                           for s, idx in dataset.splits.items()})


NEGATIVES_FIX = ("add negatives: `--shuffled-negatives 1` (regviz-train), 'Add "
                 "dinucleotide-shuffled negatives per positive' on the Data or Train page, or "
                 "regviz.data.add_shuffled_negatives(dataset, 1)")


def require_both_classes(dataset: Dataset) -> None:
    """DataFormatError when no 0/1 task has both classes in the train split (nothing to learn).

    Positives-only peaks (every label 1) are the usual case; the message names the fix.
    Regression sets pass.
    """
    if dataset.task_kind == "regression":
        return
    train = np.asarray(dataset.splits.get("train", np.arange(len(dataset))), dtype=int)
    y = dataset.y[train] if len(train) else dataset.y
    if (y.min(axis=0) != y.max(axis=0)).any():
        return
    values = np.unique(dataset.y)
    what = (f"all {len(dataset)} sequences are labelled {values[0]:g}" if len(values) == 1 else
            f"every task is one class in the train split ({len(train)} sequences)")
    fix = ("split again (another seed) or add sequences of the other class" if len(values) > 1
           else NEGATIVES_FIX if dataset.task_kind == "binary" and values[0] == 1
           else f"add sequences labelled {1 - values[0]:g}")
    raise DataFormatError(f"{dataset.name}: {what} ({', '.join(dataset.task_names)}), so a "
                          f"classifier can only learn a constant. To train, {fix}.")


def summarize(dataset: Dataset) -> dict:
    """What the Data page shows: n, length, task kind, labels per task, GC, splits.

    Returns a dict; ``"labels"`` is a DataFrame with one row per task: task, n, then
    positives and positive_fraction (0/1 tasks) or mean, std, min, max (regression).
    """
    rows = []
    for task, col in zip(dataset.task_names, dataset.y.T.astype(np.float64)):
        rows.append({"task": task, "n": len(col), **(
            {"mean": col.mean(), "std": col.std(), "min": col.min(), "max": col.max()}
            if dataset.task_kind == "regression" else
            {"positives": int(col.sum()), "positive_fraction": col.mean()})})
    called = [sum(s.count(b) for b in "ACGT") for s in dataset.seqs]
    gc = [(s.count("G") + s.count("C")) / c for s, c in zip(dataset.seqs, called) if c]
    return {"name": dataset.name, "n": len(dataset), "length": dataset.length,
            "task_kind": dataset.task_kind,
            "task_kind_inferred": dataset.meta.get("task_kind_inferred", dataset.task_kind),
            "tasks": list(dataset.task_names), "labels": pd.DataFrame(rows),
            "gc_mean": float(np.mean(gc)) if gc else float("nan"),
            "n_with_N": sum(c < len(s) for s, c in zip(dataset.seqs, called)),
            "splits": {s: len(v) for s, v in dataset.splits.items()},
            "length_policy": dataset.meta.get("length_policy")}


def default_names(n: int) -> list[str]:
    """Names of unnamed sequences of a dataset: ``seq0``, ``seq1``, ... (the same number
    as the 0-based index beside them in every table)."""
    return [f"seq{k}" for k in range(n)]


def dataset_table(dataset: Dataset) -> pd.DataFrame:
    """One row per sequence: index (0-based), name, split, one column per task, sequence."""
    split_of = {int(i): s for s, idx in dataset.splits.items() for i in idx}
    names = dataset.meta.get("names") or default_names(len(dataset))
    table = pd.DataFrame({"index": range(len(dataset)), "name": names,
                          "split": [split_of.get(k, "") for k in range(len(dataset))]})
    for k, task in enumerate(dataset.task_names):
        table[task] = dataset.y[:, k]
    table["sequence"] = dataset.seqs
    return table
