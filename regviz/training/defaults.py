"""Train-page defaults: for each architecture and synthetic set, settings that train in
about a minute on 2 CPU cores, with the time and test quality they reached.

The shipped recipes (`regviz.training.shipped`) scaled down: fewer sequences and epochs,
a higher learning rate, the same model overrides where they help (exponential first
layer, Basset's plain dense layers). ``benchmarks/bench_train_defaults.py`` trains every
entry of `DEFAULTS` (seed 0) and prints the time and test metric beside the shipped
model's; ``seconds`` and ``quality`` below are what it measured with 2 torch threads on
2 CPU cores shared with other work (see docs/results/training.md). Some pairs cannot reach a useful model in
a minute on a CPU (the long-range rule for recurrent and attention models): their entry
says so (``useful=False``) with the quality expected.

A pair without an entry (a model on another architecture's set, or the user's own data)
gets `defaults_for`'s generic settings, derived from the architecture's own entry and
marked as not measured.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from regviz import simulate
from regviz.training.jobs import JobSpec
from regviz.training.loop import TrainConfig

# settings of a model's own entry that carry over to other sets of any length
PORTABLE_OVERRIDES = ("first_activation", "dense_batchnorm", "dense_dropout", "head")
CPU_NOTE = "2 CPU cores"
# on the user's own data (sites on either strand), models that can score both strands
# do so: on real CTCF peaks the class DeepBind reached test AUROC 0.885 forward only and
# 0.936 with both strands and augmentation (issue 24); on ENCODE GABPA B-set 0.973 -> 0.978
STRAND_AWARE = {"deepbind": {"rc_max": True}}


@dataclass(frozen=True)
class Defaults:
    """Default settings for one architecture on one set, and what they reached.

    Attributes
    ----------
    model : str
        Registry name.
    dataset : str or None
        Synthetic set name; None for the user's own data.
    n, epochs, batch_size, lr, patience, lr_plateau, rc_augment, task_balance
        Sequences in the set, and the `TrainConfig` settings (None turns patience or
        the learning-rate plateau off).
    overrides, dataset_options : Mapping
        Model settings (``regviz.models.build(**overrides)``) and set options
        (``regviz.simulate.make_dataset(**dataset_options)``).
    seconds, quality : float or None
        Measured wall time on 2 CPU cores and test metric (AUROC mean, or Pearson mean
        on regression sets) of the seed-0 run; None where not measured.
    useful : bool or None
        Whether that run reached a useful model (None: not measured).
    note : str
        Why, where the settings depart from the obvious or the model stays weak.
    """

    model: str
    dataset: str | None
    n: int
    epochs: int
    batch_size: int = 64
    lr: float = 1e-3
    patience: int | None = 3
    lr_plateau: int | None = None
    rc_augment: bool = True
    task_balance: float = 0.0
    overrides: Mapping = field(default_factory=dict)
    dataset_options: Mapping = field(default_factory=dict)
    seconds: float | None = None
    quality: float | None = None
    useful: bool | None = None
    note: str = ""

    @property
    def measured(self) -> bool:
        return self.quality is not None

    @property
    def metric(self) -> str:
        """ "AUROC" or "Pearson": the test metric of the set (mean over tasks)."""
        if self.dataset is None:
            return "metric"
        return "Pearson" if set_info(self.dataset)[1] == "regression" else "AUROC"

    def settings(self) -> dict:
        """The `TrainConfig` settings (keyword arguments)."""
        return {"epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr,
                "patience": self.patience, "lr_plateau": self.lr_plateau,
                "rc_augment": self.rc_augment, "task_balance": self.task_balance}

    def config(self, seed: int = 0, **extra) -> TrainConfig:
        """A `TrainConfig` of these settings (``extra``: other fields, e.g. num_threads)."""
        return TrainConfig(**self.settings(), seed=seed, **extra)

    def spec(self, seed: int = 0, owner: str | None = None, out=None, **extra) -> JobSpec:
        """The `JobSpec` that trains these defaults (``extra`` goes to `config`)."""
        return JobSpec(model=self.model, dataset=self.dataset, n=self.n,
                       overrides=dict(self.overrides),
                       dataset_options=dict(self.dataset_options),
                       config=self.config(seed, **extra), owner=owner, out=out)

    def expectation(self) -> str:
        """The expected time and quality in words, e.g. "about 10 s on 2 CPU cores; test
        AUROC about 0.97"."""
        if not self.measured:
            return (f"not measured for this pair (settings derived from {self.model}'s own "
                    "set); expect a minute or more on 2 CPU cores, quality unknown")
        text = (f"about {fmt_time(self.seconds)} on {CPU_NOTE}; test {self.metric} about "
                f"{self.quality:.2f}")
        if not self.useful:
            return f"{text}, not a useful model: {self.note}"
        return f"{text} ({self.note})" if self.note else text


def fmt_time(seconds: float) -> str:
    """10 -> "10 s", 64 -> "65 s", 130 -> "2 min"."""
    if seconds < 20:
        return f"{seconds:.0f} s"
    if seconds < 100:
        return f"{5 * round(seconds / 5):.0f} s"
    return f"{seconds / 60:.0f} min"


@functools.lru_cache(maxsize=32)
def set_info(name: str) -> tuple[int, str]:
    """(sequence length, task kind) of a synthetic set (from a 10-sequence draw)."""
    ds = simulate.make_dataset(name, 10, 0)
    return ds.length, ds.task_kind


def _entry(model, dataset, n, epochs, seconds, quality, useful=True, note="", **kw):
    return Defaults(model, dataset, n, epochs, seconds=seconds, quality=quality,
                    useful=useful, note=note, **kw)


EXP = {"first_activation": "exp"}
# easier variants of sets that a CPU-sized model cannot learn in a minute (as the shipped
# decode was trained): more and sharper core sites
EASIER = {"enhancer-4kb": {"sharpness": 3.0, "core_motifs": [6, 10]}}
BASSET = {"first_activation": "exp", "dense_batchnorm": False, "dense_dropout": 0.0}

# each architecture on its own set; seconds and quality from bench_train_defaults.py
LONG_RANGE = ("the long-range rule (a CTCF and a ZNF143 site more than 1 kb apart) is not "
              "learned in a minute on a CPU; the shipped model says what a longer run reaches")
_TABLE = [
    _entry("deepbind", "tf-binding", 20000, 20, 8, 0.97, lr=3e-3),
    _entry("kmer_logreg", "tf-binding", 20000, 15, 4, 0.836, lr=3e-3, rc_augment=False,
           note="as good as 4-mer counts get: the shipped one reaches 0.838"),
    _entry("basset", "chromatin-multitask", 10000, 8, 66, 0.779, lr=2e-3, lr_plateau=2,
           task_balance=2.0, overrides=BASSET,
           note="myeloid, liver, endoderm and lymphoid learned; stem and erythroid stay at "
                "chance until the shipped recipe's longer run"),
    _entry("deepsea", "chromatin-multitask", 12000, 8, 45, 0.596, False, batch_size=128, lr=2e-3,
           note="in a minute only endoderm and lymphoid rise above chance; the shipped "
                "recipe takes 10 min for 0.70, and basset learns this set faster"),
    _entry("danq", "chromatin-multitask", 12000, 8, 43, 0.545, False, batch_size=128, lr=3e-3,
           note="in a minute only lymphoid (the repressor) rises above chance; basset "
                "learns this set faster"),
    _entry("deepstarr", "enhancer-activity", 20000, 5, 54, 0.663, batch_size=128, lr=2e-3,
           overrides={**EXP, "conv_widths": [19, 3, 7, 3]},
           note="still improving: more sequences and epochs reach the shipped 0.80"),
    _entry("decode", "enhancer-4kb", 3000, 6, 45, 0.941, lr=2e-3, overrides={"head": "max"},
           dataset_options=EASIER["enhancer-4kb"],
           note="on the easier set, as the shipped decode; on the default set it stays at "
                "chance"),
    _entry("basenji", "long-range", 5000, 5, 84, 0.488, False, lr=2e-3, note=LONG_RANGE),
    _entry("cnn", "long-range", 6000, 6, 70, 0.511, False,
           note="a plain CNN cannot relate sites 1.1-1.7 kb apart however long it trains (its "
                "features see 232 bp): the lesson of this set"),
    _entry("resnet", "long-range", 3000, 5, 51, 0.51, False, note=LONG_RANGE),
    _entry("enformer_lite", "long-range", 4000, 5, 40, 0.486, False, lr=2e-3, note=LONG_RANGE),
    _entry("lstm", "long-range", 2000, 5, 54, 0.545, False, note=LONG_RANGE),
    _entry("rnn", "long-range", 2000, 4, 34, 0.538, False, note=LONG_RANGE),
]
DEFAULTS: dict[tuple[str, str], Defaults] = {(d.model, d.dataset): d for d in _TABLE}
NATURAL_SET = {d.model: d.dataset for d in _TABLE}


def defaults_for(model: str, dataset: str | None = None) -> Defaults:
    """The defaults of ``model`` on the synthetic set ``dataset`` (None: the user's own
    data).

    A measured pair comes from `DEFAULTS`. Otherwise the settings of the model's own set
    are used with the number of sequences scaled to the set's length (so an epoch costs
    about the same), portable overrides only, and ``seconds``/``quality`` left unknown.
    """
    if (model, dataset) in DEFAULTS:
        return DEFAULTS[(model, dataset)]
    base = DEFAULTS.get((model, NATURAL_SET.get(model))) or Defaults(model, None, 2000, 10)
    overrides = {k: v for k, v in base.overrides.items() if k in PORTABLE_OVERRIDES}
    generic = replace(base, dataset=dataset, overrides=overrides, dataset_options={},
                      seconds=None, quality=None, useful=None, note="")
    if dataset is None:
        return replace(generic, overrides={**overrides, **STRAND_AWARE.get(model, {})})
    if base.dataset is None:
        return generic
    length, kind = set_info(dataset)
    n = base.n * set_info(base.dataset)[0] / length
    return replace(generic, n=int(min(max(round(n, -2), 1000), 20000)),
                   task_balance=2.0 if kind == "multitask" else 0.0)


def easier_options(set_name: str | None) -> dict | None:
    """`make_dataset` options of the easier variant of a set, or None when it has none."""
    return dict(EASIER[set_name]) if set_name in EASIER else None
