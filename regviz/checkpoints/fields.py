"""Checked, read-only JSON values: what the card's fields are built from.

`freeze` turns parsed JSON into read-only twins (mappingproxies and tuples) and `thaw`
turns them back; `check_json` bounds nesting depth, text lengths and entry counts before
anything reads a card; `expect`, `text`, `count`, `texts` and `block` read one field and
name it in the error when its type is wrong.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from regviz.errors import CheckpointError

MAX_DEPTH = 12                  # nesting of JSON objects and lists
MAX_TEXT = 20_000               # characters in one string (notes and descriptions)
MAX_ITEMS = 10_000              # entries in one list or object


def freeze(value):
    """JSON-like value -> read-only twin: dicts become mappingproxies, lists tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return freeze(value.tolist())
    return value


def thaw(value):
    """The inverse of `freeze`: plain dicts and lists, NaN and infinities as None."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


EMPTY = MappingProxyType({})


def empty() -> Mapping:
    return EMPTY


def check_json(value, where: str, depth: int = 0) -> None:
    """Depth, sizes and types of a parsed JSON value (no recursion past MAX_DEPTH)."""
    if depth > MAX_DEPTH:
        raise CheckpointError(f"{where}: nested more than {MAX_DEPTH} levels deep; a card "
                              "holds settings and tables, not deep structures.")
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise CheckpointError(f"{where}: a text of {len(value):,} characters (at most "
                                  f"{MAX_TEXT:,}).")
    elif isinstance(value, (dict, list)):
        if len(value) > MAX_ITEMS:
            raise CheckpointError(f"{where}: {len(value):,} entries (at most {MAX_ITEMS:,}).")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for k, v in items:
            check_json(v, f"{where}.{k}" if isinstance(value, dict) else f"{where}[{k}]",
                        depth + 1)
    elif value is not None and not isinstance(value, (bool, int, float)):
        raise CheckpointError(f"{where}: {type(value).__name__} is not a JSON value.")


def expect(value, kinds, where: str, what: str, optional: bool = True):
    if value is None and optional:
        return None
    if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
        raise CheckpointError(f"{where} must be {what}. Got {value!r:.80} instead.")
    return value


def text(d: Mapping, key: str, where: str, optional: bool = True):
    return expect(d.get(key), str, f"{where}.{key}", "a text", optional)


def count(d: Mapping, key: str, where: str, lo: int = 0, hi: int = 10**9,
           optional: bool = True):
    v = expect(d.get(key), int, f"{where}.{key}", "a whole number", optional)
    if v is not None and not lo <= v <= hi:
        raise CheckpointError(f"{where}.{key} must be between {lo:,} and {hi:,}. Got {v:,} "
                              "instead.")
    return v


def texts(d: Mapping, key: str, where: str) -> tuple[str, ...] | None:
    v = expect(d.get(key), list, f"{where}.{key}", "a list of texts")
    if v is not None and not all(isinstance(x, str) for x in v):
        raise CheckpointError(f"{where}.{key} must be a list of texts. Got {v!r:.80} instead.")
    return None if v is None else tuple(v)


def block(d: Mapping, key: str, where: str):
    v = expect(d.get(key), dict, f"{where}.{key}", "a JSON object")
    return None if v is None else freeze(v)


def extra_keys(d: Mapping, known) -> Mapping:
    return freeze({k: v for k, v in d.items() if k not in known})


def as_dict(obj, names) -> dict:
    out = {n: thaw(getattr(obj, n)) for n in names}
    out.update(thaw(obj.extra))
    return out
