"""Discovered patterns named: JASPAR matches and, on synthetic data, the planted truth.

Matching reuses the Filters page's calibrated Tomtom (`regviz.filters.match_filters`:
scramble-calibrated p-values, Benjamini-Hochberg q-values across the patterns) on each
pattern's PPM trimmed to its CWM core. A planted motif counts as *recovered* when a
pattern has, among its ``top`` matches at q < ``alpha``, the planted matrix or a matrix
of the same factor name (``how = "exact"``), or a matrix that shares a JASPAR TF family
annotation with it (``how = "family"``: the patterns of AP-1 match JUND as well as
FOS::JUN; JASPAR's family names are precise enough for that, e.g. "Ets-related",
"C4-GATA-related"). A pattern that recovered one planted motif exactly gives no family
credit to another (a twist pattern does not also recover SREBP, both bHLH).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regviz import motifs
from regviz.filters import match_filters, planted_recovery

RECOVERY_COLUMNS = ["id", "name", "role", "recovered", "how", "patterns", "best_q"]


def match_patterns(patterns, database: str, alpha: float = 0.05, seed: int = 0,
                   top: int = 5) -> pd.DataFrame:
    """`regviz.filters.match_filters` of the patterns' trimmed PPMs; ``query_name`` is the
    pattern name. Empty (no rows) when there are no patterns."""
    if not patterns:
        return pd.DataFrame(columns=["query", "query_name", "rank", "target_id", "target_name",
                                     "q_value", "significant"])
    return match_filters([p.motif() for p in patterns], database=database, alpha=alpha,
                         seed=seed, top=top)


def _families(motif_id) -> set[str]:
    if not isinstance(motif_id, str):
        return set()
    fam = motifs.jaspar(motif_id).tf_family
    return set(fam.split("::")) if fam else set()


def recovery(matches: pd.DataFrame, planted, relevant=None, top: int = 5,
             alpha: float = 0.05) -> pd.DataFrame:
    """Which planted motifs some pattern recovered (exact, else by TF family).

    ``planted``: a card's planted motifs (objects or dicts with ``id`` and ``name``);
    ``relevant``: names of the motifs the labels depend on (others get role
    "distractor"; None: all are "task"). Columns: RECOVERY_COLUMNS.
    """
    planted = [m if isinstance(m, dict) else {"id": m.id, "name": m.name} for m in planted]
    if not len(matches):
        exact = pd.DataFrame({"id": [m["id"] for m in planted], "recovered": False,
                              "filters": "", "best_q": np.nan})
    else:
        exact = planted_recovery(matches, planted, top=top, alpha=alpha)
    sig = matches[(matches["q_value"] < alpha) & (matches["rank"] <= top)] if len(matches) \
        else matches
    # a pattern that is one planted motif does not also stand for its relatives
    exact_patterns = {n for f in exact["filters"] for n in str(f).split(", ") if n}
    rows = []
    for m, (_, e) in zip(planted, exact.iterrows()):
        how, names, best = ("exact", e["filters"], e["best_q"]) if e["recovered"] else \
            ("", "", np.nan)
        if not e["recovered"] and len(sig):
            fam = _families(m["id"])
            free = sig[~sig["query_name"].isin(exact_patterns)]
            hit = free[[bool(fam & _families(t)) for t in free["target_id"]]] if fam else sig[:0]
            if len(hit):
                how, best = "family", float(hit["q_value"].min())
                names = ", ".join(dict.fromkeys(hit["query_name"].astype(str)))
        role = "task" if relevant is None or m["name"] in relevant else "distractor"
        rows.append({"id": m["id"], "name": m["name"], "role": role, "recovered": bool(how),
                     "how": how, "patterns": names, "best_q": best})
    return pd.DataFrame(rows, columns=RECOVERY_COLUMNS)


def site_overlap(patterns, annotations: pd.DataFrame) -> pd.DataFrame:
    """Where each pattern's seqlets sit among a synthetic draw's planted sites
    (``annotations``: seq_index, start, end, motif_name): ``on_sites`` (fraction of its
    seqlets overlapping a planted site) and ``sites`` (the planted motifs most often
    overlapped, with their fractions, e.g. "POU5F1 38%, GATA2 21%")."""
    by_seq = {k: g for k, g in annotations.groupby("seq_index")}
    rows = []
    for p in patterns:
        names, hit = [], 0
        for q in p.seqlets.itertuples():
            g = by_seq.get(q.sequence)
            inside = g[(g["start"] < q.end) & (g["end"] > q.start)] if g is not None else ()
            hit += len(inside) > 0
            names += list(dict.fromkeys(inside["motif_name"])) if len(inside) else []
        n = max(p.n_seqlets, 1)
        top = pd.Series(names, dtype=object).value_counts().head(3)
        rows.append({"pattern": p.name, "on_sites": hit / n,
                     "sites": ", ".join(f"{k} {v / n:.0%}" for k, v in top.items())})
    return pd.DataFrame(rows, columns=["pattern", "on_sites", "sites"])


def pattern_table(patterns, matches: pd.DataFrame, rec: pd.DataFrame | None,
                  sites: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per pattern: output, sign, seqlets, best JASPAR match and q, and (with a
    recovery table) which planted motif it stands for ("" when none: a pattern that
    matches nothing planted); with ``sites`` (`site_overlap`) where its seqlets sit."""
    best = matches[matches["rank"] == 1].set_index("query_name") if len(matches) else None
    planted_of: dict[str, list[str]] = {}
    if rec is not None:
        for r in rec.itertuples():
            for name in filter(None, str(r.patterns).split(", ")):
                planted_of.setdefault(name, []).append(r.name)
    rows = []
    for p in patterns:
        b = best.loc[p.name] if best is not None and p.name in best.index else None
        sig = b is not None and bool(b["significant"])
        rows.append({"pattern": p.name, "output": p.output,
                     "sign": "positive" if p.sign > 0 else "negative",
                     "seqlets": p.n_seqlets, "consensus": motifs.consensus(p.motif().ppm()),
                     "match_id": b["target_id"] if sig else None,
                     "match": b["target_name"] if sig else None,
                     "q_value": float(b["q_value"]) if b is not None else np.nan,
                     "planted": ", ".join(planted_of.get(p.name, [])) if rec is not None
                     else None})
    out = pd.DataFrame(rows)
    if sites is not None and len(out):
        out = out.merge(sites, on="pattern", how="left")
    return out
