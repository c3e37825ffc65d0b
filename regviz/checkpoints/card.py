"""The model card: what a checkpoint's ``card.json`` says, typed, checked and read-only.

A :class:`Card` is built by `make_card` (training, imports) or read from a file with
`Card.from_dict` / `regviz.checkpoints.read_card`, which check every field's type and
size and the nesting depth before anything else reads it, so a malformed or hostile
card is refused with a message naming the field. Cards are frozen: sections are
dataclasses, free-form blocks (``config``, ``training``, ``metrics``, ...) are read-only
mappings and lists are tuples, so one card can be shared by every session of the app.
``Card.to_dict()`` gives back plain JSON types, key for key in the schema's order, so a
card read from a file written by `regviz.checkpoints.save` writes back the same bytes.

Card schema (version 1), keys in order::

    schema_version, name, created, registry_name, config, tasks {names, kind},
    outputs {kind, activation, how_to_read}, input {length, channels, encoding,
    track_names}, dataset {...}, training {...}, device, duration_s,
    metrics {valid_best, test}, versions {regviz, torch, ...}, [source {...}]

Unknown keys are kept (``extra``) and written back after the known ones.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from regviz.checkpoints.fields import (EMPTY, as_dict, block, check_json, count, empty, expect,
                                       extra_keys, freeze, text, texts, thaw)
from regviz.data.dataset import TASK_KINDS
from regviz.errors import CheckpointError

SCHEMA_VERSION = 1
MAX_CARD_BYTES = 2**20          # card.json files larger than this are refused unread
ENCODING = "one-hot (n, 4, L) float32, ACGT order, N = 0.25"
ACTIVATION = {"binary": "sigmoid", "multitask": "sigmoid", "regression": "none"}
HOW_TO_READ = {
    "binary": "one logit per sequence; sigmoid(logit) is the probability of the positive class",
    "multitask": "one logit per task; sigmoid of each is that task's probability",
    "regression": "raw values in the units of the training targets (no activation)",
}
SYNTHETIC_RECIPE = "regviz.simulate.make_dataset"
HEADLINE = {"auroc_mean": "AUROC", "auprc_mean": "AUPRC", "pearson_mean": "Pearson",
            "spearman_mean": "Spearman"}
_ORDER = ("schema_version", "name", "created", "registry_name", "config", "tasks", "outputs",
          "input", "dataset", "training", "device", "duration_s", "metrics", "versions",
          "source")


# ------------------------------------------------------------------ sections

@dataclass(frozen=True)
class Tasks:
    """What the outputs are: one name per output and the task kind."""

    names: tuple[str, ...]
    kind: str | None = None
    extra: Mapping = field(default_factory=empty)

    @classmethod
    def from_dict(cls, d: Mapping, where: str) -> Tasks:
        names = texts(d, "names", where) or ()
        kind = text(d, "kind", where)
        if kind is not None and kind not in TASK_KINDS:
            raise CheckpointError(f"{where}.kind must be one of {', '.join(TASK_KINDS)}. "
                                  f"Got {kind!r} instead.")
        return cls(names, kind, extra_keys(d, ("names", "kind")))

    def to_dict(self) -> dict:
        return as_dict(self, ("names", "kind"))


@dataclass(frozen=True)
class Outputs:
    """How to read the raw outputs: their kind, the activation that makes them readable."""

    kind: str
    activation: str
    how_to_read: str
    extra: Mapping = field(default_factory=empty)

    @classmethod
    def from_dict(cls, d: Mapping, where: str) -> Outputs:
        return cls(text(d, "kind", where) or "", text(d, "activation", where) or "none",
                   text(d, "how_to_read", where) or "",
                   extra_keys(d, ("kind", "activation", "how_to_read")))

    def to_dict(self) -> dict:
        return as_dict(self, ("kind", "activation", "how_to_read"))


@dataclass(frozen=True)
class InputSpec:
    """What the model reads: length (bp, or bins for tracks-only models) and channels."""

    length: int | None
    channels: int = 4
    encoding: str = ENCODING
    track_names: tuple[str, ...] = ()
    extra: Mapping = field(default_factory=empty)

    @classmethod
    def from_dict(cls, d: Mapping, where: str) -> InputSpec:
        return cls(count(d, "length", where, 1, 10**8), count(d, "channels", where, 1, 4096)
                   or 4, text(d, "encoding", where) or ENCODING,
                   texts(d, "track_names", where) or (),
                   extra_keys(d, ("length", "channels", "encoding", "track_names")))

    def to_dict(self) -> dict:
        return as_dict(self, ("length", "channels", "encoding", "track_names"))


@dataclass(frozen=True)
class PlantedMotif:
    """A JASPAR motif planted in a synthetic set: the grammar's key, the matrix ID, name."""

    key: str
    id: str
    name: str

    @property
    def label(self) -> str:
        """How every page names it: "GATA (srp, MA2283.1)", or "Trl (MA0205.3)" when the
        grammar's key is the JASPAR name."""
        return f"{self.key} ({self.id})" if self.key == self.name else \
            f"{self.key} ({self.name}, {self.id})"


_DATA_KEYS = ("name", "n", "length", "seed", "generator_version", "source", "recipe",
              "splits", "test_indices_sha256", "ground_truth", "label_means", "description",
              "motifs")


@dataclass(frozen=True)
class DataInfo:
    """The data a model was trained on; for synthetic sets, the recipe that remakes it."""

    name: str | None = None
    n: int | None = None
    length: int | None = None
    seed: int | None = None
    generator_version: int | None = None
    source: str | None = None
    recipe: Mapping | None = None
    splits: Mapping = field(default_factory=empty)
    test_indices_sha256: str | None = None
    ground_truth: str | None = None
    label_means: tuple | None = None
    description: str | None = None
    motifs: tuple[PlantedMotif, ...] | None = None
    extra: Mapping = field(default_factory=empty)

    @classmethod
    def from_dict(cls, d: Mapping, where: str) -> DataInfo:
        motifs = expect(d.get("motifs"), list, f"{where}.motifs", "a list of motifs")
        planted = None
        if motifs is not None:
            planted = []
            for k, m in enumerate(motifs):
                w = f"{where}.motifs[{k}]"
                expect(m, dict, w, "an object with key, id and name", optional=False)
                planted.append(PlantedMotif(*(text(m, f, w, optional=False)
                                              for f in ("key", "id", "name"))))
        splits = expect(d.get("splits"), dict, f"{where}.splits", "an object") or {}
        for k, v in splits.items():
            expect(v, int, f"{where}.splits.{k}", "a whole number", optional=False)
        means = expect(d.get("label_means"), list, f"{where}.label_means", "a list")
        return cls(
            name=text(d, "name", where), n=count(d, "n", where), length=count(d, "length", where),
            seed=expect(d.get("seed"), int, f"{where}.seed", "a whole number"),
            generator_version=expect(d.get("generator_version"), int,
                                      f"{where}.generator_version", "a whole number"),
            source=text(d, "source", where), recipe=block(d, "recipe", where),
            splits=freeze(splits), test_indices_sha256=text(d, "test_indices_sha256", where),
            ground_truth=text(d, "ground_truth", where), label_means=freeze(means),
            description=text(d, "description", where),
            motifs=None if planted is None else tuple(planted), extra=extra_keys(d, _DATA_KEYS))

    def to_dict(self) -> dict:
        out = {n: thaw(getattr(self, n)) for n in _DATA_KEYS if n != "motifs"}
        out["motifs"] = None if self.motifs is None else [dataclasses.asdict(m)
                                                          for m in self.motifs]
        out.update(thaw(self.extra))
        return {k: out[k] for k in (*_DATA_KEYS, *self.extra)}


# ------------------------------------------------------------------ the card

@dataclass(frozen=True)
class Card:
    """A checkpoint's card (see the module docstring for the schema)."""

    registry_name: str
    config: Mapping
    schema_version: int = SCHEMA_VERSION
    name: str | None = None
    created: str | None = None
    tasks: Tasks | None = None
    outputs: Outputs | None = None
    input: InputSpec | None = None
    dataset: DataInfo | None = None
    training: Mapping | None = None
    device: str | None = None
    duration_s: float | None = None
    metrics: Mapping = field(default_factory=empty)
    versions: Mapping | None = None
    source: Mapping | None = None
    extra: Mapping = field(default_factory=empty)

    # -------------------------------------------------------------- reading

    @classmethod
    def from_dict(cls, d, where: str = "card.json") -> Card:
        """Check a parsed ``card.json`` and return it as a Card (CheckpointError if bad)."""
        if not isinstance(d, dict):
            raise CheckpointError(f"{where}: must hold a JSON object. Got a "
                                  f"{type(d).__name__} instead.")
        for key in ("schema_version", "registry_name", "config"):
            if key not in d:
                raise CheckpointError(f"{where}: missing {key!r} (a regviz card has "
                                      "schema_version, registry_name, config, ...).")
        check_json(d, where)
        version = d["schema_version"]
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise CheckpointError(f"{where}: schema_version must be a positive integer. "
                                  f"Got {version!r} instead.")
        if version > SCHEMA_VERSION:
            raise CheckpointError(f"{where}: schema_version {version} was written by a newer "
                                  f"regviz (this one reads up to {SCHEMA_VERSION}); update "
                                  "regviz.")
        name = d["registry_name"]
        if not isinstance(name, str) or not 0 < len(name) <= 100:
            raise CheckpointError(f"{where}: registry_name must be a model name (text). "
                                  f"Got {name!r:.80} instead.")
        if not isinstance(d["config"], dict):
            raise CheckpointError(f"{where}: config must be a JSON object of settings. "
                                  f"Got {type(d['config']).__name__} instead.")

        def section(key, kind):
            value = expect(d.get(key), dict, f"{where}: {key}", "a JSON object")
            return None if value is None else kind.from_dict(value, f"{where}: {key}")

        metrics = expect(d.get("metrics"), dict, f"{where}: metrics", "a JSON object") or {}
        duration = expect(d.get("duration_s"), (int, float), f"{where}: duration_s",
                           "a number of seconds")
        return cls(
            registry_name=name, config=freeze(d["config"]), schema_version=version,
            name=text(d, "name", where), created=text(d, "created", where),
            tasks=section("tasks", Tasks), outputs=section("outputs", Outputs),
            input=section("input", InputSpec), dataset=section("dataset", DataInfo),
            training=block(d, "training", where), device=text(d, "device", where),
            duration_s=None if duration is None else float(duration),
            metrics=freeze(metrics), versions=block(d, "versions", where),
            source=block(d, "source", where), extra=extra_keys(d, _ORDER))

    def to_dict(self) -> dict:
        """Plain JSON types in the schema's key order (``source`` only when set)."""
        out = {}
        for key in _ORDER:
            value = getattr(self, key)
            if key == "source" and value is None:
                continue
            out[key] = value.to_dict() if hasattr(value, "to_dict") else thaw(value)
        out.update(thaw(self.extra))
        return out

    def config_dict(self) -> dict:
        """The architecture's settings as a plain dict (for `regviz.models.from_config`)."""
        return thaw(self.config)

    def replace(self, **changes) -> Card:
        """A copy with some fields changed (plain dicts and lists are frozen)."""
        frozen = {k: v if isinstance(v, (Tasks, Outputs, InputSpec, DataInfo)) else freeze(v)
                  for k, v in changes.items()}
        return dataclasses.replace(self, **frozen)

    def with_training(self, **updates) -> Card:
        """A copy whose ``training`` block has these keys set."""
        return self.replace(training={**thaw(self.training or {}), **updates})

    def with_dataset(self, **updates) -> Card:
        """A copy whose ``dataset`` block has these keys set (e.g. ``seed``, and ``split``
        or ``negatives``, which are kept in its ``extra``)."""
        if "motifs" in updates:
            raise CheckpointError("with_dataset sets plain keys; give motifs as PlantedMotif "
                                  "records with replace(dataset=...).")
        data = self.dataset or DataInfo()
        known = {k: freeze(v) for k, v in updates.items() if k in _DATA_KEYS}
        extra = {**thaw(data.extra), **{k: v for k, v in updates.items() if k not in known}}
        return self.replace(dataset=dataclasses.replace(data, **known, extra=freeze(extra)))

    # -------------------------------------------------------------- what views ask

    @property
    def title(self) -> str:
        return self.name or self.registry_name

    @property
    def n_outputs(self) -> int:
        n = self.config.get("n_outputs")
        return int(n) if isinstance(n, int) and n > 0 else max(len(self.task_names), 1)

    @property
    def task_names(self) -> tuple[str, ...]:
        """One name per output (``output_0``, ... when the card names none)."""
        names = self.tasks.names if self.tasks is not None else ()
        if names:
            return names
        n = self.config.get("n_outputs")
        return tuple(f"output_{i}" for i in range(n if isinstance(n, int) and n > 0 else 1))

    @property
    def task_kind(self) -> str:
        if self.tasks is not None and self.tasks.kind:
            return self.tasks.kind
        return self.output_kind

    @property
    def output_kind(self) -> str:
        kind = self.outputs.kind if self.outputs is not None and self.outputs.kind else None
        return kind or str(self.config.get("output_kind", "binary"))

    @property
    def reads_as_probability(self) -> bool:
        """True when sigmoid(output) is a probability (binary and multitask models)."""
        if self.outputs is not None and self.outputs.activation:
            return self.outputs.activation == "sigmoid"
        return ACTIVATION.get(self.output_kind) == "sigmoid"

    @property
    def how_to_read(self) -> str:
        return (self.outputs.how_to_read if self.outputs is not None and
                self.outputs.how_to_read else HOW_TO_READ.get(self.output_kind, ""))

    @property
    def input_length(self) -> int | None:
        length = self.input.length if self.input is not None else None
        length = length or self.config.get("input_length")
        return int(length) if isinstance(length, int) else None

    @property
    def track_names(self) -> tuple[str, ...]:
        return self.input.track_names if self.input is not None else ()

    @property
    def planted_motifs(self) -> tuple[PlantedMotif, ...]:
        """The JASPAR motifs planted in the model's synthetic data (empty otherwise)."""
        return (self.dataset.motifs or ()) if self.dataset is not None else ()

    @property
    def test_metrics(self) -> Mapping:
        return self.metrics.get("test") or EMPTY

    @property
    def note(self) -> str:
        return str((self.training or {}).get("note") or "")

    def headline(self) -> str:
        """The test summary in one line, e.g. "test AUROC 0.968, AUPRC 0.966"."""
        test = self.test_metrics
        parts = [f"{label} {test[k]:.3f}" for k, label in HEADLINE.items()
                 if isinstance(test.get(k), (int, float)) and not isinstance(test.get(k), bool)
                 and math.isfinite(test[k])]
        line = ("test " + ", ".join(parts)) if parts else "no test metrics"
        return line + self._held_out_note()

    def _held_out_note(self) -> str:
        """"; ENCODE B set AUROC 0.999" (a range over the factors of a multi-task model)
        for the real-data models, whose own test split (peaks vs dinucleotide shuffles of
        the AC set) reads lower than the published held-out set."""
        single = (self.metrics or {}).get("encode_test") or {}
        by_factor = (self.metrics or {}).get("encode_test_by_factor") or {}
        values = [single.get("auroc")] + [f.get("auroc") for f in by_factor.values()]
        values = [float(v) for v in values if isinstance(v, (int, float))]
        if not values:
            return ""
        if len(values) == 1:
            return f"; ENCODE B set AUROC {values[0]:.3f}"
        return f"; ENCODE B sets AUROC {min(values):.3f}-{max(values):.3f}"

    def synthetic_kwargs(self, n: int | None = None, seed_offset: int = 0) -> dict | None:
        """`regviz.simulate.make_dataset` keyword arguments of the card's synthetic recipe.

        ``n`` replaces the number of sequences and ``seed_offset`` is added to the
        recipe's seed (a fresh draw from the same generator). None when the card has no
        synthetic-data recipe (user data, imported models). No version check.
        """
        recipe = self.dataset.recipe if self.dataset is not None else None
        if not recipe or recipe.get("function") != SYNTHETIC_RECIPE:
            return None
        kwargs = thaw(recipe.get("kwargs") or {})
        if n is not None:
            kwargs["n"] = int(n)
        kwargs["seed"] = int(kwargs.get("seed", 0)) + int(seed_offset)
        return kwargs
