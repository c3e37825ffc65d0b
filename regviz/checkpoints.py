"""Checkpoints: a folder with ``model.safetensors`` (weights) and ``card.json`` (the rest).

The card says what the model is (registry name + config, rebuilt with
`regviz.models.from_config`), what its outputs mean, what it was trained on
(for synthetic sets, the recipe that regenerates the data and its test split),
how, where, and how well it did. Loading never runs code from a file: weights
are read with safetensors only (never pickle / ``torch.load``), and anything
corrupted, truncated, foreign or built for another architecture raises a
`CheckpointError` that names the file and says what is wrong.

Card schema (version 1), keys in order::

    schema_version, name, created, registry_name, config, tasks {names, kind},
    outputs {kind, activation, how_to_read}, input {length, channels, encoding,
    track_names}, dataset {...}, training {...}, device, duration_s,
    metrics {valid_best, test}, versions {regviz, torch, numpy, safetensors, python}
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import io
import json
import platform
import struct
import zipfile
from pathlib import Path

import numpy as np
import safetensors
import safetensors.torch
import torch

import regviz
from regviz.errors import CheckpointError, RegvizError

SCHEMA_VERSION = 1
WEIGHTS, CARD = "model.safetensors", "card.json"
REQUIRED = ("schema_version", "registry_name", "config")
MAX_ZIP_BYTES = 512 * 2**20
PICKLE_SUFFIXES = (".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin")
ACTIVATION = {"binary": "sigmoid", "multitask": "sigmoid", "regression": "none"}
HOW_TO_READ = {
    "binary": "one logit per sequence; sigmoid(logit) is the probability of the positive class",
    "multitask": "one logit per task; sigmoid of each is that task's probability",
    "regression": "raw values in the units of the training targets (no activation)",
}


def library_versions() -> dict:
    """Versions written to every card."""
    return {"regviz": regviz.__version__, "torch": torch.__version__,
            "numpy": np.__version__, "safetensors": safetensors.__version__,
            "python": platform.python_version()}


def make_card(model, dataset=None, training: dict | None = None, device: str = "",
              duration_s: float | None = None, test_metrics: dict | None = None,
              valid_metrics: dict | None = None, recipe: dict | None = None,
              name: str | None = None) -> dict:
    """A complete card for a trained zoo model (`save` adds model fields anyway).

    Parameters
    ----------
    model : RegvizModel
    dataset : regviz.dataset.Dataset, optional
        Names the tasks and, with ``recipe``, how to regenerate the data.
    training : dict, optional
        Training settings and outcome (TrainConfig fields, epochs run, ...).
    recipe : dict, optional
        For synthetic sets: ``{"function": "regviz.simulate.make_dataset",
        "kwargs": {...}}`` such that calling it rebuilds the same dataset.
    """
    cfg = dataclasses.asdict(model.config)
    kind = cfg.get("output_kind", "binary")
    data = None
    if dataset is not None:
        meta = dataset.meta or {}
        test = np.sort(np.asarray(dataset.splits.get("test", []), dtype="<i8"))
        data = {"name": dataset.name, "n": len(dataset), "length": dataset.length,
                "seed": meta.get("seed"), "generator_version": meta.get("generator_version"),
                "source": "synthetic" if recipe else meta.get("source", "user"),
                "recipe": recipe,
                "splits": {k: len(v) for k, v in dataset.splits.items()},
                "test_indices_sha256": hashlib.sha256(test.tobytes()).hexdigest(),  # int64 LE
                "ground_truth": ("regenerate with recipe; annotations and grammar travel "
                                 "with the dataset" if recipe else None),
                "label_means": meta.get("label_means"),
                "description": meta.get("description"),
                "motifs": meta.get("motifs")}
    return {
        "schema_version": SCHEMA_VERSION,
        "name": name,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "registry_name": model.registry_name,
        "config": cfg,
        "tasks": {"names": list(dataset.task_names) if dataset is not None
                  else [f"output_{i}" for i in range(cfg.get("n_outputs", 1))],
                  "kind": dataset.task_kind if dataset is not None else kind},
        "outputs": {"kind": kind, "activation": ACTIVATION.get(kind, "none"),
                    "how_to_read": HOW_TO_READ.get(kind, "")},
        "input": {"length": cfg.get("input_length"),
                  "channels": int(getattr(model.config, "in_channels", 4)),
                  "encoding": "one-hot (n, 4, L) float32, ACGT order, N = 0.25",
                  "track_names": list(dataset.track_names) if dataset is not None else []},
        "dataset": data,
        "training": training,
        "device": device,
        "duration_s": None if duration_s is None else round(float(duration_s), 3),
        "metrics": {"valid_best": valid_metrics, "test": test_metrics},
        "versions": library_versions(),
    }


def save(model, card: dict, folder) -> Path:
    """Write ``model.safetensors`` and ``card.json`` into ``folder`` (created if needed).

    The card's model fields (schema_version, registry_name, config, versions)
    are always taken from ``model``, so a card can never describe other weights.
    Returns the folder.
    """
    if not hasattr(model, "registry_name") or not hasattr(model, "config"):
        raise CheckpointError(f"save: model must be a regviz zoo model (with .registry_name "
                              f"and .config). Got {type(model).__name__} instead.")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    card = {**(card or {}), "schema_version": SCHEMA_VERSION,
            "registry_name": model.registry_name,
            "config": dataclasses.asdict(model.config)}
    card.setdefault("versions", library_versions())
    state = {k: v.detach().to("cpu").contiguous().clone() for k, v in model.state_dict().items()}
    tmp = folder / (WEIGHTS + ".tmp")
    safetensors.torch.save_file(state, str(tmp), metadata={"format": "pt",
                                                           "regviz_schema": str(SCHEMA_VERSION)})
    tmp.replace(folder / WEIGHTS)
    tmp = folder / (CARD + ".tmp")
    tmp.write_text(json.dumps(_strict(card), indent=2, default=_json_default) + "\n")
    tmp.replace(folder / CARD)
    return folder


def _strict(obj):
    """NaN and infinities become null, so the card is standard JSON (browsers read it)."""
    if isinstance(obj, dict):
        return {k: _strict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_strict(v) for v in obj]
    if isinstance(obj, (float, np.floating)) and not np.isfinite(obj):
        return None
    return obj


def _json_default(obj):
    if isinstance(obj, (np.integer, np.floating)):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON-serialisable")


def _pickle_error(path: Path) -> CheckpointError:
    return CheckpointError(
        f"{path} is a PyTorch pickle; regviz only loads safetensors because pickles can run "
        "code. Convert it where you trust it: load it with torch.load, then call "
        "regviz.checkpoints.save(model, card, folder).")


def _looks_like_pickle(head: bytes) -> bool:
    # torch.save zip archives start with PK; raw pickles with protocol marker 0x80.
    # A safetensors file (8-byte header length, then the JSON header "{...") is not a
    # pickle even when its header length's low byte happens to be 0x80.
    if len(head) >= 9 and head[8:9] == b"{":
        return False
    return head[:4] == b"PK\x03\x04" or (len(head) >= 2 and head[0] == 0x80 and head[1] <= 5)


def read_card(folder) -> dict:
    """The parsed, checked ``card.json`` of a checkpoint folder (weights are not read)."""
    folder = Path(folder)
    path = folder / CARD
    if not path.is_file():
        raise CheckpointError(f"{folder} has no {CARD}; a regviz checkpoint folder holds "
                              f"{WEIGHTS} and {CARD}.")
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise CheckpointError(f"{CARD} in {folder}: not a text file.") from None
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{CARD} in {folder}: not valid JSON (line {exc.lineno}, "
                              f"column {exc.colno}: {exc.msg}).") from None
    if not isinstance(card, dict):
        raise CheckpointError(f"{CARD} in {folder}: must hold a JSON object. "
                              f"Got a {type(card).__name__} instead.")
    for key in REQUIRED:
        if key not in card:
            raise CheckpointError(f"{CARD} in {folder}: missing {key!r} (a regviz card has "
                                  f"{', '.join(REQUIRED)}, ...).")
    version = card["schema_version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise CheckpointError(f"{CARD} in {folder}: schema_version must be a positive integer. "
                              f"Got {version!r} instead.")
    if version > SCHEMA_VERSION:
        raise CheckpointError(f"{CARD} in {folder}: schema_version {version} was written by a "
                              f"newer regviz (this one reads up to {SCHEMA_VERSION}); update "
                              "regviz.")
    if not isinstance(card["registry_name"], str):
        raise CheckpointError(f"{CARD} in {folder}: registry_name must be a string. "
                              f"Got {card['registry_name']!r} instead.")
    if not isinstance(card["config"], dict):
        raise CheckpointError(f"{CARD} in {folder}: config must be a JSON object of settings. "
                              f"Got {type(card['config']).__name__} instead.")
    return card


def _read_weights(folder: Path) -> dict:
    path = folder / WEIGHTS
    if not path.is_file():
        for suffix in PICKLE_SUFFIXES:
            for other in sorted(folder.glob(f"*{suffix}")):
                raise _pickle_error(other)
        raise CheckpointError(f"{folder} has no {WEIGHTS}; a regviz checkpoint folder holds "
                              f"{WEIGHTS} and {CARD}.")
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(16)
    if _looks_like_pickle(head):
        raise _pickle_error(path)
    bad = f"{WEIGHTS} in {folder}: truncated or not a safetensors file"
    if size < 8:
        raise CheckpointError(f"{bad} ({size} bytes).")
    (header_len,) = struct.unpack("<Q", head[:8])
    if header_len > size - 8 or head[8:9] != b"{":
        raise CheckpointError(f"{bad} (its header says {header_len} bytes of metadata, "
                              f"the file has {size}).")
    try:
        return safetensors.torch.load_file(str(path), device="cpu")
    except Exception as exc:  # safetensors raises its own error types
        raise CheckpointError(f"{bad} ({exc}).") from None


def _describe(name: str, cfg: dict) -> str:
    keys = ("preset", "input_length", "n_outputs", "output_kind")
    return f"{name}(" + ", ".join(f"{k}={cfg[k]!r}" for k in keys if k in cfg) + ")"


def _check_fit(model, weights: dict, folder: Path, name: str, cfg: dict) -> None:
    expected = model.state_dict()
    missing = [k for k in expected if k not in weights]
    unexpected = [k for k in weights if k not in expected]
    shapes = [f"{k} is {tuple(weights[k].shape)} in the file but {tuple(v.shape)} in the model"
              for k, v in expected.items() if k in weights and weights[k].shape != v.shape]
    problems = []
    for label, items in (("missing", missing), ("unexpected", unexpected), ("shape", shapes)):
        if items:
            more = f" (+{len(items) - 5} more)" if len(items) > 5 else ""
            problems.append(f"{label} {', '.join(items[:5])}{more}")
    if problems:
        raise CheckpointError(f"weights in {folder} do not fit {_describe(name, cfg)}: "
                              + "; ".join(problems) + ".")
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
    (model, card) : (RegvizModel in eval mode, dict)

    Raises
    ------
    CheckpointError
        Missing folder/files, a pickle, a bad card, truncated or foreign weights,
        or weights that do not fit the architecture the card names.
    """
    from regviz import models

    folder = Path(folder)
    if folder.is_file():
        with open(folder, "rb") as handle:
            head = handle.read(16)
        if folder.suffix.lower() == ".zip":
            raise CheckpointError(f"{folder} is a zip archive; unpack it with "
                                  "regviz.checkpoints.load_zip(path, extract_to).")
        if folder.suffix.lower() in PICKLE_SUFFIXES or _looks_like_pickle(head):
            raise _pickle_error(folder)
        folder = folder.parent
    if not folder.is_dir():
        raise CheckpointError(f"Checkpoint folder {folder} does not exist.")
    card = read_card(folder)
    weights = _read_weights(folder)
    name, cfg = card["registry_name"], card["config"]
    try:
        model = models.from_config(name, cfg)
    except (RegvizError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{CARD} in {folder}: cannot rebuild {name!r} from its config: "
                              f"{exc}") from None
    _check_fit(model, weights, folder, name, cfg)
    model.load_state_dict(weights, strict=True)
    return model.to(device).eval(), card


def summarize(card: dict) -> dict:
    """The few card fields a model picker shows."""
    cfg = card.get("config") or {}
    data = card.get("dataset") or {}
    test = (card.get("metrics") or {}).get("test") or {}
    headline = {k: test[k] for k in ("auroc_mean", "auprc_mean", "pearson_mean",
                                     "spearman_mean") if k in test}
    return {"name": card.get("name"), "registry_name": card.get("registry_name"),
            "preset": cfg.get("preset"), "input_length": cfg.get("input_length"),
            "output_kind": cfg.get("output_kind"),
            "tasks": (card.get("tasks") or {}).get("names"), "dataset": data.get("name"),
            "test": headline, "created": card.get("created"), "error": None}


def list_checkpoints(root="checkpoints") -> list:
    """Checkpoint folders under ``root`` (itself and its subfolders, two levels deep).

    Parameters
    ----------
    root : str, Path, or list of them

    Returns
    -------
    list of (Path, dict)
        Sorted by path; the dict is `summarize`'s, or ``{"error": message, ...}``
        for a folder whose card cannot be read (weights are not opened).
    """
    roots = [root] if isinstance(root, (str, Path)) else list(root)
    found = set()
    for r in roots:
        r = Path(r)
        if r.is_dir():
            found.update(p.parent for pattern in (CARD, f"*/{CARD}", f"*/*/{CARD}")
                         for p in r.glob(pattern))
    out = []
    for folder in sorted(found):
        try:
            out.append((folder, summarize(read_card(folder))))
        except CheckpointError as exc:
            out.append((folder, {"name": folder.name, "registry_name": None, "error": str(exc)}))
    return out


# ----------------------------------------------------------------------------- uploads

def _zip_error(label, problem) -> CheckpointError:
    return CheckpointError(f"{label}: {problem} A checkpoint zip holds only {WEIGHTS} and "
                           f"{CARD}, at the top or inside one folder.")


def load_zip(source, extract_to, max_bytes: int = MAX_ZIP_BYTES, device="cpu"):
    """Safely unpack an uploaded checkpoint zip into ``extract_to``, then `load` it.

    Parameters
    ----------
    source : bytes, path, or binary file object (e.g. a Streamlit upload)
    extract_to : str or Path
        Folder that receives ``model.safetensors`` and ``card.json`` (created).
    max_bytes : int
        Largest allowed archive and unpacked size (default 512 MiB).

    Only the two expected files are written, under their own names: absolute
    paths, ``..``, links, encrypted entries, pickles and any other file are
    refused before anything is written.

    Returns
    -------
    (model, card), as `load`.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        label, data = "uploaded zip", bytes(source)
    elif hasattr(source, "read"):
        label = getattr(source, "name", None) or "uploaded zip"
        data = source.read(max_bytes + 1)
    else:
        label = str(source)
        path = Path(source)
        if not path.is_file():
            raise CheckpointError(f"{label} does not exist.")
        if path.stat().st_size > max_bytes:
            raise _zip_error(label, f"is {path.stat().st_size} bytes, over the "
                                    f"{max_bytes}-byte limit.")
        data = path.read_bytes()
    if len(data) > max_bytes:
        raise _zip_error(label, f"is over the {max_bytes}-byte limit.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        if _looks_like_pickle(data[:16]):
            raise _pickle_error(Path(label)) from None
        raise CheckpointError(f"{label} is not a zip archive (or is truncated).") from None
    wanted = {}
    with archive:
        for info in archive.infolist():
            name = info.filename
            parts = name.rstrip("/").split("/")
            if (name.startswith(("/", "\\")) or "\\" in name or ":" in name
                    or any(p in ("", ".", "..") for p in parts)):
                raise _zip_error(label, f"entry {name!r} points outside the folder "
                                        "(absolute path or '..'); refused.")
            if (info.external_attr >> 16) & 0o170000 == 0o120000:
                raise _zip_error(label, f"entry {name!r} is a symbolic link; refused.")
            if info.flag_bits & 0x1:
                raise _zip_error(label, f"entry {name!r} is encrypted; refused.")
            if info.is_dir():
                if len(parts) > 1:
                    raise _zip_error(label, f"folder {name!r} is nested too deep.")
                continue
            if len(parts) > 2:
                raise _zip_error(label, f"entry {name!r} is nested too deep.")
            if parts[-1].lower().endswith(PICKLE_SUFFIXES):
                raise _pickle_error(Path(f"{label}/{name}"))
            if parts[-1] not in (WEIGHTS, CARD) or parts[-1] in wanted:
                raise _zip_error(label, f"unexpected entry {name!r}.")
            wanted[parts[-1]] = info
        if len({i.filename.split("/")[0] for i in wanted.values() if "/" in i.filename}) > 1:
            raise _zip_error(label, "the files are in different folders.")
        if sum(i.file_size for i in wanted.values()) > max_bytes:
            raise _zip_error(label, f"unpacks to more than {max_bytes} bytes.")
        missing = [f for f in (WEIGHTS, CARD) if f not in wanted]
        if missing:
            raise _zip_error(label, f"{' and '.join(missing)} missing.")
        out = Path(extract_to)
        out.mkdir(parents=True, exist_ok=True)
        for fname, info in wanted.items():
            try:
                with archive.open(info) as src:
                    blob = src.read(max_bytes + 1)
            except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
                raise CheckpointError(f"{label}: entry {info.filename!r} is corrupted "
                                      f"({exc}).") from None
            if len(blob) > max_bytes:
                raise _zip_error(label, f"unpacks to more than {max_bytes} bytes.")
            (out / fname).write_bytes(blob)
    return load(out, device=device)
