"""Real-data models: DeepBind per ENCODE ChIP-seq factor, trained by our own command.

The peaks are the ENCODE ChIP-seq sets the DeepBind paper used (Alipanahi et al. 2015,
Nat Biotechnol 33:831; supplementary data): ``*_AC`` training peaks (101 bp, positives
only) and ``*_B`` held-out test sets (500 peaks + 500 shuffles). They live outside the
repository (``../shared/data`` in the regviz workplace, or ``REGVIZ_ENCODE_DATA``);
`train_real` trains where they are present and writes a normal checkpoint whose card
gives its B-set AUROC beside the published DeepBind model's and a JASPAR PWM baseline,
with a few held-out peaks as examples (``examples.fa``, source on the card).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sklearn.metrics import roc_auc_score

from regviz import checkpoints, motifs, predict
from regviz.data import add_shuffled_negatives, load_dataset
from regviz.errors import DataFormatError
from regviz.sequence import one_hot
from regviz.training.baselines import best_pwm_scores
from regviz.training.jobs import JobSpec, run_job
from regviz.training.loop import TrainConfig

CITATION = ("ENCODE ChIP-seq peaks as distributed with DeepBind (Alipanahi et al. 2015, Nat "
            "Biotechnol 33:831, supplementary data; ENCODE Consortium, Nature 489:57)")


@dataclass(frozen=True)
class RealFactor:
    """One ENCODE factor: file stem, published DeepBind model and its B-set AUROC, the
    JASPAR motif of the PWM baseline, and what its filters and patterns should match."""

    name: str
    stem: str
    deepbind_id: str
    published_auroc: float
    jaspar: str
    family: str

    @property
    def checkpoint(self) -> str:
        return f"encode-{self.name.lower()}_deepbind"


FACTORS = (
    RealFactor("ELK1", "ELK1_GM12878_ELK1_(1277-1)_Stanford", "D00360.007", 0.953, "ELK1",
               "Ets-related"),
    RealFactor("FOXA1", "FOXA1_HepG2_FOXA1_(SC-101058)_HudsonAlpha", "D00761.001", 0.982,
               "FOXA1", "FOX"),
    RealFactor("GABPA", "GABPA_GM12878_GABP_HudsonAlpha", "D00409.004", 0.979, "GABPA",
               "Ets-related"),
    RealFactor("REST", "REST_GM12878_NRSF_HudsonAlpha", "D00799.001", 0.999, "REST",
               "Factors with multiple dispersed zinc fingers"),
    RealFactor("USF1", "USF1_HepG2_USF-1_HudsonAlpha", "D00700.006", 0.993, "USF1",
               "bHLH-ZIP"),
)
BY_NAME = {f.name: f for f in FACTORS}
# DeepBind's paper preset, both strands scored (as its ChIP-seq models do), measured:
# GABPA 0.978 and REST 0.997 B-set AUROC in about 30 s each on 2 CPU cores
MODEL = {"model": "deepbind", "preset": "paper", "overrides": {"rc_max": True}}
TRAINING = {"epochs": 40, "patience": 5, "lr_plateau": 2, "rc_augment": True}


def data_root() -> Path | None:
    """The folder holding ``encode_chip/`` and ``deepbind/encode_test/``, or None."""
    env = os.environ.get("REGVIZ_ENCODE_DATA")
    root = Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "data"
    return root if (root / "encode_chip").is_dir() else None


def _file(root: Path, sub: str, factor: RealFactor, suffix: str) -> Path:
    path = root / sub / f"{factor.stem}_{suffix}.seq.gz"
    if not path.is_file():
        raise DataFormatError(f"{path} is missing: the ENCODE sets are not here.")
    return path


def test_set(factor: RealFactor, root: Path) -> pd.DataFrame:
    """The B set: EventID, seq, Bound (500 peaks, 500 shuffles)."""
    table = pd.read_csv(_file(root, "deepbind/encode_test", factor, "B"), sep="\t")
    return table[["EventID", "seq", "Bound"]]


def pwm_baseline(factor: RealFactor, seqs, labels) -> float:
    """AUROC of the best JASPAR PWM score (both strands) of the factor's own matrix."""
    best = best_pwm_scores(one_hot(list(seqs)), [motifs.jaspar(factor.jaspar)])[:, 0]
    return float(roc_auc_score(labels, best))


def require_root(root: Path | None) -> Path:
    """``root``, else `data_root`; DataFormatError saying where to put the sets when absent."""
    root = root or data_root()
    if root is None:
        raise DataFormatError("The ENCODE sets are not here: set REGVIZ_ENCODE_DATA to the "
                              "folder holding encode_chip/ and deepbind/encode_test/.")
    return root


def train_reports(spec: JobSpec):
    """`run_job`'s reports but the last (the saved one), which is returned."""
    final = None
    for report in run_job(spec):
        final = report
        if report.checkpoint is None:
            yield report
    return final


def training_set(factor: RealFactor, root: Path, seed: int = 0):
    """The factor's AC peaks + one dinucleotide shuffle each, split 80/10/10 by ``seed``
    (what `train_real` trains on)."""
    return add_shuffled_negatives(load_dataset(_file(root, "encode_chip", factor, "AC"),
                                               seed=seed), 1, seed=seed)


def train_real(factor: RealFactor, out_root, root: Path | None = None, seed: int = 0):
    """Train the factor's DeepBind on its AC peaks + one dinucleotide shuffle each, then
    score the B set; yields the training ProgressReports, the last with the checkpoint.
    The card's ``metrics["encode_test"]`` holds our, the published and the PWM AUROCs;
    ``examples.fa`` holds 4 B-set peaks and 2 of its shuffles."""
    root = require_root(root)
    data = training_set(factor, root, seed)
    folder = Path(out_root) / factor.checkpoint
    spec = JobSpec(model=MODEL["model"], dataset=data, preset=MODEL["preset"],
                   overrides=dict(MODEL["overrides"]), config=TrainConfig(seed=seed, **TRAINING),
                   out=str(folder), name=f"{factor.name} (ENCODE) DeepBind")
    final = yield from train_reports(spec)
    model, card = checkpoints.load(folder)
    test = test_set(factor, root)
    raw = predict.predict(model, one_hot(test["seq"].tolist()))[:, 0]
    ours = float(roc_auc_score(test["Bound"], raw))
    baseline = pwm_baseline(factor, test["seq"].tolist(), test["Bound"])
    metrics = {**dict(card.metrics), "encode_test": {
        "auroc": round(ours, 4), "published_deepbind_auroc": factor.published_auroc,
        "published_model": factor.deepbind_id, "pwm_baseline_auroc": round(baseline, 4),
        "pwm": factor.jaspar, "set": f"{factor.stem}_B (500 peaks, 500 shuffles)"}}
    card = card.replace(metrics=metrics, name=factor.checkpoint).with_dataset(
        source=CITATION, description=(
            f"{factor.name} ChIP-seq peaks {factor.stem}_AC with one dinucleotide shuffle "
            f"each as negatives; tested on {factor.stem}_B. The example sequences "
            "(examples.fa) are 4 of its held-out peaks and 2 of its shuffles."))
    checkpoints.save(model, card, folder)
    peaks, shuffles = test[test["Bound"] == 1].head(4), test[test["Bound"] == 0].head(2)
    (folder / "examples.fa").write_text("".join(
        f">{r.EventID} ({factor.name} ENCODE B-set {'peak' if r.Bound else 'shuffle'})\n"
        f"{r.seq}\n" for r in pd.concat([peaks, shuffles]).itertuples()))
    yield final


def example_fasta(folder) -> str:
    """``examples.fa`` of a checkpoint folder (at most 64 KB), or ""."""
    path = Path(folder) / "examples.fa"
    if not path.is_file() or path.stat().st_size > 65536:
        return ""
    return path.read_text()


__all__ = ["BY_NAME", "CITATION", "FACTORS", "RealFactor", "data_root", "example_fasta",
           "pwm_baseline", "require_root", "test_set", "train_real", "train_reports",
           "training_set"]
