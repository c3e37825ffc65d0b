"""The five-factor real model: one DeepSEA-style multi-task network over the ENCODE sets.

A peak of factor t is labelled 1 for output t and 0 for the other four (so each output
must tell its factor's peaks from the others' as well as from shuffled DNA); one
dinucleotide shuffle of every peak is labelled 0 for all five. At most `PER_FACTOR`
peaks per factor keep FOXA1 (42,615 peaks) from drowning ELK1 (5,085). Each output is
scored on its factor's held-out B set (peaks vs shuffles) beside the published DeepBind
model, the JASPAR PWM baseline and our single-factor DeepBind; and on telling its
factor's B-set peaks from the other factors' B-set peaks ("specificity").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from regviz import checkpoints, predict
from regviz.checkpoints.folders import read_card
from regviz.data import Dataset, load_dataset, random_splits
from regviz.sequence import dinucleotide_shuffle, one_hot
from regviz.training.jobs import JobSpec
from regviz.training.loop import TrainConfig
from regviz.training.real import (CITATION, FACTORS, _file, pwm_baseline, require_root,
                                  test_set, train_reports)

CHECKPOINT = "encode-5tf_deepsea"
PER_FACTOR = 6000
# DeepSEA's three valid convolutions, pools shortened to fit 101 bp (conv 11, pool 2,
# conv 8, pool 2, conv 8): 118k parameters, about 15 s an epoch on 2 CPU cores
MODEL = {"model": "deepsea", "preset": "class",
         "overrides": {"conv_filters": [64, 64, 64], "conv_widths": [11, 8, 8],
                       "pools": [2, 2, 1]}}
TRAINING = {"epochs": 30, "patience": 4, "lr_plateau": 2, "rc_augment": True,
            "batch_size": 128}


def five_factor_dataset(root: Path, per_factor: int = PER_FACTOR, seed: int = 0) -> Dataset:
    """AC peaks of the five factors (multi-task labels) + one shuffle each (all 0).

    Splits are random 80/10/10 over peaks; a shuffle joins its peak's split.
    Returns a Dataset of 2 * sum(min(n_f, per_factor)) sequences, 101 bp, 5 tasks."""
    rng = np.random.default_rng(seed)
    seqs, labels = [], []
    for t, factor in enumerate(FACTORS):
        peaks = load_dataset(_file(root, "encode_chip", factor, "AC")).seqs
        keep = np.sort(rng.choice(len(peaks), min(per_factor, len(peaks)), replace=False))
        seqs += [peaks[k] for k in keep]
        labels += [t] * len(keep)
    n = len(seqs)
    y = np.zeros((2 * n, len(FACTORS)), np.float32)
    y[np.arange(n), labels] = 1.0
    shuffles = [dinucleotide_shuffle(s, 1, seed=rng)[0] for s in seqs]
    splits = {k: np.concatenate([idx, idx + n]) for k, idx in random_splits(n, seed).items()}
    return Dataset(name="encode-5tf", seqs=seqs + shuffles, y=y,
                   task_names=[f.name for f in FACTORS], task_kind="multitask",
                   splits=splits, meta={"negatives": {
                       "method": "dinucleotide_shuffle", "n_per_positive": 1, "seed": seed,
                       "n_added": n}, "per_factor": per_factor, "seed": seed})


def b_set_scores(model, root: Path, single_root: Path | None = None) -> dict:
    """Per factor: our output's B-set AUROC, the published and single-factor models', the
    PWM baseline, and the AUROC against the other factors' B-set peaks."""
    tests = {f.name: test_set(f, root) for f in FACTORS}
    scores = {name: predict.predict(model, one_hot(t["seq"].tolist()))
              for name, t in tests.items()}
    out = {}
    for t, factor in enumerate(FACTORS):
        test = tests[factor.name]
        own = scores[factor.name][:, t]
        peaks = own[test["Bound"].to_numpy() == 1]
        others = np.concatenate([scores[g.name][tests[g.name]["Bound"].to_numpy() == 1, t]
                                 for g in FACTORS if g is not factor])
        single = None
        if single_root and (single_root / factor.checkpoint / "card.json").is_file():
            single = dict(read_card(single_root / factor.checkpoint).metrics).get(
                "encode_test", {}).get("auroc")
        out[factor.name] = {
            "auroc": round(float(roc_auc_score(test["Bound"], own)), 4),
            "published_deepbind_auroc": factor.published_auroc,
            "published_model": factor.deepbind_id,
            "pwm_baseline_auroc": round(pwm_baseline(factor, test["seq"], test["Bound"]), 4),
            "single_factor_deepbind_auroc": single,
            "specificity_auroc": round(float(roc_auc_score(
                np.r_[np.ones(len(peaks)), np.zeros(len(others))], np.r_[peaks, others])), 4),
            "set": f"{factor.stem}_B (500 peaks, 500 shuffles)"}
    return out


def train_five_factor(out_root, root: Path | None = None, seed: int = 0):
    """Train the five-factor model into ``out_root/encode-5tf_deepsea``; yields the
    training ProgressReports, the last with the checkpoint. The card's
    ``metrics["encode_test_by_factor"]`` holds `b_set_scores`; ``examples.fa`` holds two
    B-set peaks per factor and two shuffles."""
    root = require_root(root)
    folder = Path(out_root) / CHECKPOINT
    spec = JobSpec(model=MODEL["model"], dataset=five_factor_dataset(root, seed=seed),
                   preset=MODEL["preset"], overrides=dict(MODEL["overrides"]),
                   config=TrainConfig(seed=seed, **TRAINING), out=str(folder),
                   name="Five ENCODE factors, DeepSEA-style multi-task")
    final = yield from train_reports(spec)
    model, card = checkpoints.load(folder)
    by_factor = b_set_scores(model, root, Path(out_root))
    card = card.replace(
        metrics={**dict(card.metrics), "encode_test_by_factor": by_factor},
        name=CHECKPOINT).with_dataset(source=CITATION, description=(
            f"ChIP-seq peaks of {', '.join(f.name for f in FACTORS)} (the *_AC files, at most "
            f"{PER_FACTOR} per factor), each labelled 1 for its own factor and 0 for the "
            "others, with one dinucleotide shuffle of every peak labelled 0 for all; each "
            "output tested on its factor's *_B set. The example sequences (examples.fa) are "
            "two held-out peaks per factor and two shuffles."))
    checkpoints.save(model, card, folder)
    write_examples(folder, root)
    yield final


def write_examples(folder, root: Path) -> None:
    """``examples.fa``: two B-set peaks per factor and two shuffles, named by factor."""
    rows = []
    for factor in FACTORS:
        test = test_set(factor, root)
        rows += [(f"{factor.name}_{r.EventID}", f"{factor.name} ENCODE B-set peak", r.seq)
                 for r in test[test["Bound"] == 1].head(2).itertuples()]
    test = test_set(FACTORS[0], root)
    rows += [(f"{FACTORS[0].name}_{r.EventID}", f"{FACTORS[0].name} ENCODE B-set shuffle",
              r.seq) for r in test[test["Bound"] == 0].head(2).itertuples()]
    (Path(folder) / "examples.fa").write_text(
        "".join(f">{i} ({what})\n{s}\n" for i, what, s in rows))


__all__ = ["CHECKPOINT", "b_set_scores", "five_factor_dataset", "train_five_factor", "write_examples"]
