"""The shipped pretrained models: one recipe each (``regviz-shipped`` runs them).

Every model in ``checkpoints/`` was trained by our own training code
(`regviz.training.run_job`, the same as ``regviz-train``) on a synthetic set
that `regviz.simulate.make_dataset` regenerates from the seed on the card, so
anyone can rebuild all of them, bit for bit on a CPU::

    regviz-shipped                            # all recipes into checkpoints/
    regviz-shipped --only tf-binding_deepbind --out /tmp/ck

Each recipe names the model, preset and overrides (smaller than ``paper`` where
two CPU cores would take too long; the card says so in ``training.note``), the
dataset with its size and seed, and the training settings.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from regviz import checkpoints, simulate
from regviz.checkpoints import SHIPPED_ROOT
from regviz.checkpoints.fields import thaw
from regviz.errors import CheckpointError
from regviz.training import baselines, real
from regviz.training.jobs import JobSpec, run_job
from regviz.training.loop import TrainConfig

ROOT = SHIPPED_ROOT


@dataclass(frozen=True)
class Recipe:
    """How one shipped checkpoint is made (folder name = ``name``)."""

    name: str
    model: str
    dataset: str
    n: int
    epochs: int
    preset: str = "class"
    overrides: dict = field(default_factory=dict)
    dataset_options: dict = field(default_factory=dict)
    batch_size: int = 64
    lr: float = 1e-3
    patience: int = 4
    lr_plateau: int | None = None
    rc_augment: bool = False
    task_balance: float = 0.0
    seed: int = 0
    note: str = ""

    def spec(self, out):
        """The `regviz.training.JobSpec` that trains this recipe into folder ``out``."""
        config = TrainConfig(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                             patience=self.patience, lr_plateau=self.lr_plateau,
                             rc_augment=self.rc_augment, task_balance=self.task_balance,
                             seed=self.seed, device="cpu", num_threads=2)
        return JobSpec(model=self.model, dataset=self.dataset, preset=self.preset,
                       overrides=dict(self.overrides), n=self.n, dataset_seed=self.seed,
                       dataset_options=dict(self.dataset_options), config=config,
                       out=out, name=self.name)


# the enhancer-activity pairs the shipped deepstarr can represent (see its recipe's note)
LEARNABLE_PAIRS = {
    "DRE-SREBP": {"kind": "close", "profile": {"shape": "window", "max_gap": 30}},
    "ETS-M1BP": {"profile": {"shape": "exp_decay", "scale": 20.0}},
}

RECIPES = [
    Recipe("tf-binding_deepbind", "deepbind", "tf-binding", 20000, 30, rc_augment=True,
           note="class preset: the lecture's DeepBind (16 filters of width 12)."),
    Recipe("tf-binding_kmer_logreg", "kmer_logreg", "tf-binding", 20000, 20,
           note="class preset: 4-mer counts and logistic regression."),
    Recipe("enhancer-activity_deepstarr", "deepstarr", "enhancer-activity", 160000, 50,
           batch_size=256, lr=2e-3, patience=6, lr_plateau=2, rc_augment=True,
           overrides={"first_activation": "exp", "conv_widths": [19, 3, 7, 3]},
           dataset_options={"pair_overrides": LEARNABLE_PAIRS},
           note="class preset (64/32/32/64 filters, dense 64x2) instead of paper's "
                "256/60/60/120 and 256x2, to train on 2 CPU cores; exponential first-layer "
                "activation (Koo & Ploenzke 2021) instead of ReLU, so that its filters read "
                "as whole motifs (with ReLU none matched a planted motif), and 19-bp "
                "first-layer filters and a 7-wide third layer instead of 7 and 5, so that a "
                "third-layer unit sees 47 bp, a whole ETS-M1BP pair at gaps up to 27 bp, "
                "while the layers below still tell the strands apart; trained on "
                "enhancer-activity "
                "with two pairs this architecture can represent: DRE-SREBP close (gap <= 30 bp) "
                "without helical phasing (after four pools of 2 its features lie on a 16-bp "
                "grid, and no CPU training learned the 10.5-bp phase), and the ETS-M1BP "
                "orientation rule decaying over 20 bp instead of 50 (its convolutions see "
                "58 bp)."),
    Recipe("enhancer-4kb_decode", "decode", "enhancer-4kb", 12000, 12, lr=2e-3, patience=3,
           rc_augment=True, overrides={"head": "max"},
           dataset_options={"sharpness": 3.0, "core_motifs": [6, 10]},
           note="class preset on DNA only, with a global max-pool head (a core anywhere in "
                "the window) instead of flatten; trained on an easier enhancer-4kb (6-10 "
                "core sites sampled from PPM**3): on the default set (4-6 sites, PPM**1.5) "
                "and 6,000 sequences the CPU-sized model stayed at chance (test AUROC 0.50)."),
    Recipe("enhancer-4kb_decode_tracks", "decode", "enhancer-4kb", 6000, 15, rc_augment=True,
           dataset_options={"tracks": "per_bp"},
           note="class preset on DNA + 2 per-bp chromatin tracks (accessibility, H3K27ac)."),
    Recipe("chromatin-multitask_basset", "basset", "chromatin-multitask", 30000, 30,
           batch_size=128, lr=2e-3, patience=6, lr_plateau=3, rc_augment=True,
           task_balance=2.0,
           overrides={"first_activation": "exp", "dense_batchnorm": False,
                      "dense_dropout": 0.0},
           note="class preset (48/32/32 filters, dense 64x2) instead of paper's 300/200/200 "
                "and 1000x2, to train on 2 CPU cores; exponential first-layer activation "
                "(Koo & Ploenzke 2021) instead of ReLU, so that its filters read as whole "
                "motifs; no batch norm or dropout in the dense layers and task-balanced "
                "loss (task_balance=2) instead of the plain mean, since with either the "
                "published dense layers or the plain mean the liver, stem and erythroid "
                "tasks stayed at chance (benchmarks/bench_learnability.py --train)."),
    Recipe("chromatin-multitask_deepsea", "deepsea", "chromatin-multitask", 30000, 12,
           batch_size=128, lr=2e-3, rc_augment=True,
           note="class preset (32/48/64 filters) at 600 bp instead of paper's 320/480/960 "
                "at 1 kb."),
    Recipe("chromatin-multitask_danq", "danq", "chromatin-multitask", 30000, 12,
           batch_size=128, lr=2e-3, rc_augment=True,
           note="class preset (32 filters, BiLSTM 32) instead of paper's 320/320."),
    Recipe("long-range_cnn", "cnn", "long-range", 6000, 15, rc_augment=True,
           note="class preset: plain CNN; each position of its last feature map sees 232 bp."),
    Recipe("long-range_basenji", "basenji", "long-range", 16000, 10, lr=2e-3, patience=3,
           rc_augment=True,
           note="class preset: dilated residual blocks."),
    Recipe("long-range_enformer_lite", "enformer_lite", "long-range", 16000, 10, lr=2e-3,
           patience=3, rc_augment=True, note="class preset: 2 transformer blocks."),
    Recipe("long-range_lstm", "lstm", "long-range", 3000, 6, rc_augment=True,
           note="class preset: one LSTM of 32 units over the bases, max readout; fewer "
                "sequences and epochs, since a 2,000-step LSTM trains slowly on a CPU."),
]
RECIPES_BY_NAME = {r.name: r for r in RECIPES}


def get_recipe(name: str) -> Recipe:
    """The recipe of a shipped checkpoint; RegvizError listing the names if unknown."""
    if name not in RECIPES_BY_NAME:
        raise CheckpointError(f"No shipped recipe {name!r}; recipes: "
                              f"{', '.join(RECIPES_BY_NAME)}.")
    return RECIPES_BY_NAME[name]


def regenerate(recipe: Recipe, root=ROOT):
    """Train one recipe into ``root/recipe.name``; yields `regviz.training.run_job` reports.

    The card's ``training.note`` gets the recipe's note (what was scaled down).
    """
    folder = Path(root) / recipe.name
    last = None
    for report in run_job(recipe.spec(folder)):
        last = report
        yield report
    if last is not None and last.phase == "done":
        model, card = checkpoints.load(folder)
        card = card.with_training(note=recipe.note, recipe=dataclasses.asdict(recipe))
        checkpoints.save(model, card, folder)


def add_baselines(folder, encode_root=None) -> dict:
    """Write the baselines (`regviz.training.baselines`) of the checkpoint in ``folder`` on
    its card, computed on its own test split without retraining: a synthetic model's set is
    rebuilt from the card's recipe, an ENCODE model's from its factor's peaks (needs
    ``encode_root``, default `regviz.training.real.data_root`). Returns the baselines ({}
    and the card left as it is for a model that reads tracks besides DNA)."""
    model, card = checkpoints.load(folder)
    recipe = card.dataset.recipe if card.dataset is not None else None
    if recipe:
        dataset = simulate.make_dataset(**thaw(recipe)["kwargs"])
    else:
        factor = next((f for f in real.FACTORS if f.checkpoint == Path(folder).name), None)
        root = encode_root or real.data_root()
        if factor is None or root is None:
            raise CheckpointError(f"{folder}: its training data cannot be rebuilt here (no "
                                  "recipe on the card, or the ENCODE sets are absent).")
        dataset = real.training_set(factor, root, int(thaw(card.training).get("seed", 0)))
    found = baselines.baselines(dataset)          # {} for a model that reads tracks
    if found:
        checkpoints.save(model, card.replace(metrics={**thaw(card.metrics),
                                                      "baselines": found}), folder)
    return found
