"""Why a chromatin-multitask basset can miss three tasks: signal vs optimisation.

Default (seconds): for each task of a fresh chromatin-multitask draw, the test AUROC of
one feature, the best log-odds score of one of its planted JASPAR motifs (both strands):
what a single perfect first-layer filter would give. With ``--train``: the class-preset
Basset (exponential first layer) trained through `regviz.training.train` on each given
task alone, on all six together as published (dense layers with batch norm and dropout,
plain mean of the task losses), and on all six as the shipped recipe trains it (no batch
norm or dropout in the dense layers, ``task_balance=2``); same data, same epochs,
validation AUROC per task after every epoch.

    python benchmarks/bench_learnability.py
    python benchmarks/bench_learnability.py --train --tasks stem --epochs 10
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import torch

from regviz import motifs, simulate
from regviz.data.dataset import Dataset
from regviz.sequence import one_hot
from regviz.training.metrics import score

TASK_MOTIFS = {"myeloid": ["Spi1"], "liver": ["HNF4A", "HNF1A"], "endoderm": ["FOXA2"],
               "stem": ["SOX2", "POU5F1"], "erythroid": ["TAL1::TCF3", "GATA2"],
               "lymphoid": ["Runx1"]}


def best_site_score(X: np.ndarray, name: str) -> np.ndarray:
    """Best log-odds score of JASPAR ``name`` over both strands, shape (n,)."""
    p = motifs.jaspar(name).ppm()
    return motifs.pssm_scan(X, np.log((p + 0.01) / 0.25)).max(axis=(1, 2))


def train_auroc(ds: Dataset, tasks: list[int], epochs: int, threads: int,
                overrides: dict, task_balance: float = 0.0) -> list[dict]:
    """Validation AUROC per task after each epoch of a class Basset on ``tasks``."""
    from regviz import models
    from regviz.training import TrainConfig, train

    sub = Dataset(ds.name, ds.seqs, ds.y[:, tasks], [ds.task_names[t] for t in tasks],
                  ds.task_kind, splits=ds.splits)
    torch.manual_seed(0)
    model = models.build("basset", ds.length, len(tasks), preset="class",
                         output_kind=ds.task_kind, **overrides)
    cfg = TrainConfig(epochs=epochs, batch_size=128, lr=2e-3, patience=None, rc_augment=True,
                      task_balance=task_balance, num_threads=threads, device="cpu")
    rows = []
    for rep in train(model, sub, cfg):
        if rep.phase == "validate":
            rows.append({k: round(v["auroc"], 3) for k, v in rep.valid_metrics["tasks"].items()})
            print(f"  epoch {rep.epoch}: {rows[-1]}", flush=True)
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=24000)
    p.add_argument("--train", action="store_true")
    p.add_argument("--tasks", nargs="*", default=["stem"])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    ds = simulate.make_dataset("chromatin-multitask", args.n, seed=0)
    test = np.asarray(ds.splits["test"])
    X = one_hot([ds.seqs[i] for i in test])
    print(f"One planted motif's best PWM score as the only feature ({len(test)} test "
          "sequences): AUROC")
    for t, task in enumerate(ds.task_names):
        for name in TASK_MOTIFS[task]:
            auc = score(ds.y[test, t:t + 1], best_site_score(X, name)[:, None],
                        "multitask")["auroc_mean"]
            print(f"  {task:10s} {name:11s} {auc:.3f}")
    if args.train:
        from regviz.training.shipped import get_recipe

        recipe = get_recipe("chromatin-multitask_basset")
        published = {"first_activation": "exp"}
        everything = list(range(len(ds.task_names)))
        for task in args.tasks:
            print(f"basset (class, exp) on {task} alone:")
            train_auroc(ds, [ds.task_names.index(task)], args.epochs, args.threads, published)
        print("basset (class, exp) on all six tasks, dense batch norm + dropout, plain mean:")
        train_auroc(ds, everything, args.epochs, args.threads, published)
        print(f"basset on all six tasks as shipped ({recipe.overrides}, task_balance="
              f"{recipe.task_balance:g}):")
        train_auroc(ds, everything, args.epochs, args.threads, recipe.overrides,
                    recipe.task_balance)
    return 0


if __name__ == "__main__":
    sys.exit(main())
