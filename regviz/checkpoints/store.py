"""Checkpoints: a folder with ``model.safetensors`` (weights) and ``card.json`` (the rest).

The card (`regviz.checkpoints.card.Card`) says what the model is (registry name +
config, rebuilt with `regviz.models.from_config`), what its outputs mean, what it was
trained on (for synthetic sets, the recipe that regenerates the data and its test
split), how, where, and how well it did. Loading never runs code from a file: weights
are read with safetensors only (never pickle / ``torch.load``), and anything corrupted,
truncated, foreign or built for another architecture raises a `CheckpointError` that
names the file and says what is wrong.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import platform
import shutil
import struct
import tempfile
from pathlib import Path

import numpy as np
import safetensors
import safetensors.torch
import torch

import regviz
from regviz import limits, models
from regviz.checkpoints.card import (ACTIVATION, ENCODING, HOW_TO_READ,
                                     SCHEMA_VERSION, Card, DataInfo, InputSpec, Outputs,
                                     PlantedMotif, Tasks)
from regviz.checkpoints.fields import freeze, thaw
from regviz.checkpoints.folders import CARD, PICKLE_SUFFIXES, WEIGHTS, read_card
from regviz.models.deepbind import any_length
from regviz.errors import CheckpointError, RegvizError



def library_versions() -> dict:
    """Versions written to every card."""
    return {"regviz": regviz.__version__, "torch": torch.__version__,
            "numpy": np.__version__, "safetensors": safetensors.__version__,
            "python": platform.python_version()}


def make_card(model, dataset=None, training: dict | None = None, device: str = "",
              duration_s: float | None = None, test_metrics: dict | None = None,
              valid_metrics: dict | None = None, recipe: dict | None = None,
              name: str | None = None) -> Card:
    """A complete card for a trained zoo model (`regviz.checkpoints.save` sets the model
    fields again anyway).

    Parameters
    ----------
    model : RegvizModel
    dataset : regviz.data.Dataset, optional
        Names the tasks and, with ``recipe``, how to regenerate the data.
    training : dict, optional
        Training settings and outcome (TrainConfig fields, epochs run, ...).
    recipe : dict, optional
        For synthetic sets: ``{"function": "regviz.simulate.make_dataset", "kwargs":
        {...}}`` such that calling it rebuilds the same dataset.
    """
    cfg = dataclasses.asdict(model.config)
    kind = cfg.get("output_kind", "binary")
    data = None
    if dataset is not None:
        meta = dataset.meta or {}
        test = np.sort(np.asarray(dataset.splits.get("test", []), dtype="<i8"))
        motifs = meta.get("motifs")
        data = DataInfo(
            name=dataset.name, n=len(dataset), length=dataset.length, seed=freeze(meta.get("seed")),
            generator_version=freeze(meta.get("generator_version")),
            source="synthetic" if recipe else meta.get("source", "user"), recipe=freeze(recipe),
            splits=freeze({k: len(v) for k, v in dataset.splits.items()}),
            test_indices_sha256=hashlib.sha256(test.tobytes()).hexdigest(),  # int64 LE
            ground_truth=("regenerate with recipe; annotations and grammar travel with the "
                          "dataset" if recipe else None),
            label_means=freeze(meta.get("label_means")), description=meta.get("description"),
            motifs=None if motifs is None else tuple(PlantedMotif(m["key"], m["id"], m["name"])
                                                     for m in motifs))
    return Card(
        registry_name=model.registry_name, config=freeze(cfg), name=name,
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        tasks=Tasks(tuple(dataset.task_names) if dataset is not None else
                    tuple(f"output_{i}" for i in range(cfg.get("n_outputs", 1))),
                    dataset.task_kind if dataset is not None else kind),
        outputs=Outputs(kind, ACTIVATION.get(kind, "none"), HOW_TO_READ.get(kind, "")),
        input=InputSpec(cfg.get("input_length"), int(getattr(model.config, "in_channels", 4)),
                        ENCODING, tuple(dataset.track_names) if dataset is not None else ()),
        dataset=data, training=freeze(training), device=device,
        duration_s=None if duration_s is None else round(float(duration_s), 3),
        metrics=freeze({"valid_best": valid_metrics, "test": test_metrics}),
        versions=freeze(library_versions()))


def save(model, card: Card | dict | None, folder) -> Path:
    """Write ``model.safetensors`` and ``card.json`` into ``folder`` (created if needed).

    The card's model fields (schema_version, registry_name, config, versions)
    are always taken from ``model``, so a card can never describe other weights.
    A plain dict is read as a card first (`Card.from_dict`). Returns the folder.
    """
    if not hasattr(model, "registry_name") or not hasattr(model, "config"):
        raise CheckpointError(f"save: model must be a regviz zoo model (with .registry_name "
                              f"and .config). Got {type(model).__name__} instead.")
    base = {"schema_version": SCHEMA_VERSION, "registry_name": model.registry_name,
            "config": dataclasses.asdict(model.config)}
    if not isinstance(card, Card):
        card = Card.from_dict(thaw(freeze({**(card or {}), **base})), "save: card")
    card = card.replace(schema_version=SCHEMA_VERSION, registry_name=model.registry_name,
                        config=base["config"], versions=card.versions or library_versions())
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu").contiguous().clone() for k, v in model.state_dict().items()}
    tmp = folder / (WEIGHTS + ".tmp")
    safetensors.torch.save_file(state, str(tmp), metadata={"format": "pt",
                                                           "regviz_schema": str(SCHEMA_VERSION)})
    tmp.replace(folder / WEIGHTS)
    tmp = folder / (CARD + ".tmp")
    tmp.write_text(json.dumps(card.to_dict(), indent=2) + "\n")
    tmp.replace(folder / CARD)
    return folder


def pickle_error(path: Path) -> CheckpointError:
    return CheckpointError(
        f"{path} is a PyTorch pickle; regviz only loads safetensors because pickles can run "
        "code. Convert it where you trust it: load it with torch.load, then call "
        "regviz.checkpoints.save(model, card, folder).")


def looks_like_pickle(head: bytes) -> bool:
    # torch.save zip archives start with PK; raw pickles with protocol marker 0x80.
    # A safetensors file (8-byte header length, then the JSON header "{...") is not a
    # pickle even when its header length's low byte happens to be 0x80.
    if len(head) >= 9 and head[8:9] == b"{":
        return False
    return head[:4] == b"PK\x03\x04" or (len(head) >= 2 and head[0] == 0x80 and head[1] <= 5)


MAX_HEADER_BYTES = 16 * 2**20


def _weights_header(folder: Path) -> dict:
    """name -> shape of every tensor in ``model.safetensors``, from its header alone (the
    weights are not read): refuses pickles, truncated and foreign files."""
    path = folder / WEIGHTS
    if not path.is_file():
        for suffix in PICKLE_SUFFIXES:
            for other in sorted(folder.glob(f"*{suffix}")):
                raise pickle_error(other)
        raise CheckpointError(f"{folder} has no {WEIGHTS}; a regviz checkpoint folder holds "
                              f"{WEIGHTS} and {CARD}.")
    size = path.stat().st_size
    bad = f"{WEIGHTS} in {folder}: truncated or not a safetensors file"
    with open(path, "rb") as handle:
        head = handle.read(16)
        if looks_like_pickle(head):
            raise pickle_error(path)
        if size < 8:
            raise CheckpointError(f"{bad} ({size} bytes).")
        (header_len,) = struct.unpack("<Q", head[:8])
        if header_len > size - 8 or header_len > MAX_HEADER_BYTES or head[8:9] != b"{":
            raise CheckpointError(f"{bad} (its header says {header_len} bytes of metadata, "
                                  f"the file has {size}).")
        handle.seek(8)
        raw = handle.read(header_len)
    try:
        header = json.loads(raw)
        shapes = {k: tuple(int(n) for n in v["shape"]) for k, v in header.items()
                  if k != "__metadata__"}
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        raise CheckpointError(f"{bad} (unreadable header: {exc}).") from None
    return shapes


def _read_weights(folder: Path) -> dict:
    try:
        return safetensors.torch.load_file(str(folder / WEIGHTS), device="cpu")
    except Exception as exc:  # safetensors raises its own error types
        raise CheckpointError(f"{WEIGHTS} in {folder}: truncated or not a safetensors file "
                              f"({exc}).") from None


def _skeleton(name: str, cfg: dict, folder: Path):
    """The card's architecture built on PyTorch's meta device (shapes, no memory), after
    checking its size against `regviz.limits`."""
    where = f"{CARD} in {folder}"
    length = cfg.get("input_length")
    if isinstance(length, (int, float)) and length > limits.MAX_INPUT_LENGTH:
        raise CheckpointError(f"{where}: input_length {length:,} is over this server's limit "
                              f"of {limits.MAX_INPUT_LENGTH:,} (REGVIZ_MAX_INPUT_LENGTH).")
    try:
        with torch.device("meta"):
            skeleton = models.from_config(name, cfg)
    except (RegvizError, TypeError, ValueError, ArithmeticError, RuntimeError,
            MemoryError) as exc:
        raise CheckpointError(f"{where}: cannot rebuild {name!r} from its config: "
                              f"{exc}") from None
    n_params = sum(p.numel() for p in skeleton.parameters())
    if n_params > limits.MAX_PARAMETERS:
        raise CheckpointError(f"{where}: {name} with this config has {n_params:,} parameters, "
                              f"over this server's limit of {limits.MAX_PARAMETERS:,} "
                              "(REGVIZ_MAX_PARAMETERS).")
    return skeleton


def _describe(name: str, cfg: dict) -> str:
    keys = ("preset", "input_length", "n_outputs", "output_kind")
    return f"{name}(" + ", ".join(f"{k}={cfg[k]!r}" for k in keys if k in cfg) + ")"


def _check_fit(skeleton, shapes: dict, folder: Path, name: str, cfg: dict) -> None:
    """Every tensor the architecture has, with its shape, and nothing else (from the
    file's header, before any weight is read)."""
    expected = {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}
    missing = [k for k in expected if k not in shapes]
    unexpected = [k for k in shapes if k not in expected]
    shapes = [f"{k} is {shapes[k]} in the file but {v} in the model"
              for k, v in expected.items() if k in shapes and shapes[k] != v]
    problems = []
    for label, items in (("missing", missing), ("unexpected", unexpected), ("shape", shapes)):
        if items:
            more = f" (+{len(items) - 5} more)" if len(items) > 5 else ""
            problems.append(f"{label} {', '.join(items[:5])}{more}")
    if problems:
        raise CheckpointError(f"weights in {folder} do not fit {_describe(name, cfg)}: "
                              + "; ".join(problems) + ".")


def _check_finite(weights: dict, folder: Path) -> None:
    for k, v in weights.items():
        if v.is_floating_point() and not torch.isfinite(v).all():
            raise CheckpointError(f"{WEIGHTS} in {folder}: tensor {k} holds NaN or infinite "
                                  "values; the file is corrupted or training diverged.")


def load(folder, device="cpu"):
    """Rebuild a model from a checkpoint folder.

    Parameters
    ----------
    folder : str or Path
        The folder (or its ``model.safetensors`` / ``card.json``).
    device : str or torch.device
        Where to put the model (default CPU).

    Returns
    -------
    (model, card) : (RegvizModel in eval mode, Card); an imported DeepBind comes back
    reading any length (`reads_any_length`).

    Raises
    ------
    CheckpointError
        Missing folder/files, a pickle, a bad card, truncated or foreign weights,
        or weights that do not fit the architecture the card names.
    """
    folder = Path(folder)
    if folder.is_file():
        with open(folder, "rb") as handle:
            head = handle.read(16)
        if folder.suffix.lower() == ".zip":
            raise CheckpointError(f"{folder} is a zip archive; unpack it with "
                                  "regviz.checkpoints.load_zip(path, extract_to).")
        if folder.suffix.lower() in PICKLE_SUFFIXES or looks_like_pickle(head):
            raise pickle_error(folder)
        folder = folder.parent
    if not folder.is_dir():
        raise CheckpointError(f"Checkpoint folder {folder} does not exist.")
    card = read_card(folder)
    shapes = _weights_header(folder)
    name, cfg = card.registry_name, card.config_dict()
    _check_fit(_skeleton(name, cfg, folder), shapes, folder, name, cfg)
    weights = _read_weights(folder)
    _check_finite(weights, folder)
    model = models.from_config(name, cfg)
    model.load_state_dict(weights, strict=True)
    if reads_any_length(card):
        model = any_length(model)
    return model.to(device).eval(), card


def reads_any_length(card: Card) -> bool:
    """True for an imported DeepBind model (its card's ``source`` says ``any_length``, or,
    written before that key, names a DeepBind parameter file) that pads with N's: it
    reads any length >= 1, as the DeepBind tool does. Models trained here keep theirs."""
    source = card.source or {}
    imported = source.get("any_length") is True or str(source.get("format", "")).startswith(
        "DeepBind parameter file")
    return card.registry_name == "deepbind" and imported and card.config.get("pad_n") is True


def stage(target, write):
    """Write a checkpoint through ``write(folder)`` into a fresh temporary folder beside
    ``target``, `load` it fully, and only then move it to ``target`` (replacing what was
    there). On any failure the temporary folder is removed and ``target`` is untouched, so
    a broken upload leaves nothing behind. Returns ``(model, card)`` as `load`."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial",
                                dir=target.parent))
    try:
        write(tmp)
        loaded = load(tmp)
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
        return loaded
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
