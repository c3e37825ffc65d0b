"""Checkpoint folders and their cards (the sidebar lists every model on each page view):
the file names, where the shipped models live, `read_card`, `summarize` and
`list_checkpoints`. Weights are read by `regviz.checkpoints.store`."""

from __future__ import annotations

import json
from pathlib import Path

from regviz.checkpoints.card import MAX_CARD_BYTES, Card
from regviz.errors import CheckpointError, RegvizError

WEIGHTS, CARD = "model.safetensors", "card.json"
PICKLE_SUFFIXES = (".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin")
SHIPPED_ROOT = Path(__file__).resolve().parents[2] / "checkpoints"


def read_card(folder) -> Card:
    """The parsed, checked ``card.json`` of a checkpoint folder (weights are not read).

    Files over `MAX_CARD_BYTES` are refused unread; every field is checked by
    `Card.from_dict` (types, sizes, nesting depth).
    """
    folder = Path(folder)
    path = folder / CARD
    where = f"{CARD} in {folder}"
    if not path.is_file():
        raise CheckpointError(f"{folder} has no {CARD}; a regviz checkpoint folder holds "
                              f"{WEIGHTS} and {CARD}.")
    size = path.stat().st_size
    if size > MAX_CARD_BYTES:
        raise CheckpointError(f"{where}: {size:,} bytes; a card is at most "
                              f"{MAX_CARD_BYTES:,} bytes.")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise CheckpointError(f"{where}: not a text file.") from None
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{where}: not valid JSON (line {exc.lineno}, "
                              f"column {exc.colno}: {exc.msg}).") from None
    except RecursionError:
        raise CheckpointError(f"{where}: nested too deep to read.") from None
    return Card.from_dict(data, where)


def summarize(card: Card) -> dict:
    """The few card fields a model picker shows."""
    test = card.test_metrics
    headline = {k: test[k] for k in ("auroc_mean", "auprc_mean", "pearson_mean",
                                     "spearman_mean") if k in test}
    return {"name": card.name, "registry_name": card.registry_name,
            "preset": card.config.get("preset"), "input_length": card.input_length,
            "output_kind": card.output_kind, "tasks": list(card.task_names),
            "dataset": card.dataset.name if card.dataset is not None else None,
            "test": headline, "created": card.created, "error": None}


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
                         for p in r.glob(pattern) if not p.parent.name.endswith(".partial"))
    out = []
    for folder in sorted(found):
        try:
            out.append((folder, summarize(read_card(folder))))
        except Exception as exc:  # noqa: BLE001 - one bad folder must not hide the others
            message = str(exc) if isinstance(exc, RegvizError) else (
                f"{folder}: unreadable ({type(exc).__name__}: {exc})")
            out.append((folder, {"name": folder.name, "registry_name": None, "error": message}))
    return out
