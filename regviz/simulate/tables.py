"""Readable views of a synthetic set's grammar: rule tables and planted cooperativity curves.

A set's ``Dataset.grammar`` (JSON, see `regviz.simulate`) is what the labels follow.
These functions turn it into tables a page can show and a spacing view can draw the
truth from; they compute nothing new about the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regviz.errors import DataFormatError
from regviz.simulate.datasets import planted_cooperativity
from regviz.simulate.engine import ORIENTATIONS


def describe_rule(rule: dict) -> str:
    """One line of plain English for a task rule (``count``, ``all``, ``any``, ``not``,
    ``pair``, ``cluster``)."""
    kind = rule.get("kind")
    if kind == "count":
        n = rule.get("min", 1)
        return f"at least {n} {rule['motif']} site{'s' if n > 1 else ''}"
    if kind in ("all", "any"):
        joiner = " and " if kind == "all" else " or "
        return joiner.join(f"({describe_rule(r)})" for r in rule["rules"])
    if kind == "not":
        return f"not ({describe_rule(rule['rule'])})"
    if kind == "pair":
        lo, hi = rule["gap"]
        span = f"gap {lo}-{hi} bp" if hi is not None else f"gap of at least {lo} bp"
        return f"{rule['a']} and {rule['b']} with a {span} (either order and strand)"
    if kind == "cluster":
        return (f"at least {rule['min']} sites of {', '.join(rule['motifs'])} within "
                f"{rule['window']} bp")
    raise DataFormatError(f"Unknown rule kind {kind!r} in the grammar.")


def _profile_text(pair: dict) -> str:
    p = pair["profile"]
    if p["shape"] == "flat":
        return "0 at every distance (additive)"
    if p["shape"] == "exp_decay":
        return f"{pair['strength']:g} x exp(-gap / {p['scale']:g})"
    text = f"{pair['strength']:g} for gaps <= {p['max_gap']} bp"
    if p.get("period"):
        text += f", x (1 + cos(2 pi gap / {p['period']:g})) / 2 (helical phasing)"
    return text


def grammar_table(grammar: dict) -> pd.DataFrame:
    """The rules of a synthetic set, one row per task (classification) or per
    motif weight and motif pair (activity regression).

    Returns
    -------
    DataFrame with columns ``output``, ``rule``, ``kind``, ``detail``.
    """
    if not grammar:
        raise DataFormatError("This dataset has no grammar (only synthetic sets do).")
    rows = []
    for task, rule in (grammar.get("tasks") or {}).items():
        rows.append({"output": task, "rule": describe_rule(rule), "kind": rule["kind"],
                     "detail": ""})
    for out, spec in (grammar.get("outputs") or {}).items():
        weights = ", ".join(f"{m} {w:+g}" for m, w in spec["weights"].items())
        rows.append({"output": out, "rule": "sum of motif weights per site", "kind": "motifs",
                     "detail": f"intercept {spec['intercept']:g}; {weights}"})
    for pair in grammar.get("pairs") or []:
        orient = pair["orientation_weights"]
        only = [o for o in ORIENTATIONS if orient[o]]
        where = "any orientation" if len(only) == 4 else "orientations " + ", ".join(only)
        rows.append({"output": pair["output"], "rule": f"pair {pair['name']} "
                     f"({pair['a']} + {pair['b']})", "kind": pair["kind"],
                     "detail": f"{_profile_text(pair)}; {where}"})
    return pd.DataFrame(rows, columns=["output", "rule", "kind", "detail"])


def cooperativity_table(grammar: dict, distances=range(0, 121)) -> pd.DataFrame:
    """The planted pair term of every pair at every gap and orientation (B right of A).

    Returns
    -------
    DataFrame with columns ``pair``, ``output``, ``kind``, ``orientation``, ``gap``,
    ``term`` (what the pair adds to its output beyond the two motifs' own weights).
    """
    if not grammar or not grammar.get("pairs"):
        raise DataFormatError("This dataset has no motif pairs; cooperativity curves exist "
                              "for enhancer-activity sets.")
    gaps = np.asarray(list(distances))
    parts = []
    for pair in grammar["pairs"]:
        for orient in ORIENTATIONS:
            parts.append(pd.DataFrame({
                "pair": pair["name"], "output": pair["output"], "kind": pair["kind"],
                "orientation": orient, "gap": gaps,
                "term": planted_cooperativity(grammar, pair["name"], gaps, orient)}))
    return pd.concat(parts, ignore_index=True)
