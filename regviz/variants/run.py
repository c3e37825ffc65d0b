"""A whole variant run: variants -> windows -> scores, and the VCF written back.

`score_variant_set` is what the Variants page and the benchmark call; `scores_vcf`
writes the scored variants as VCF 4.2 with the effects as INFO fields.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from regviz.variants.score import score_variants
from regviz.variants.windows import variant_windows


def score_variant_set(model, card, variants, source, both_strands: bool = True,
                      rank_top: int = 0, progress=None):
    """``(scores, problems)``: `score_variants` of every variant that has a full window
    in ``source`` (a Genome or `SequenceSource`), one row per (variant, output); the
    ``rank_top`` variants with the largest |effect| (any output) also get their rank
    among all SNVs of their window (fast ISM; NaN for the others). ``problems``: variant,
    reason for those not scored (with the parser's problems, pass them on yourself)."""
    table, refs, alts, problems = variant_windows(variants, source, card.input_length)
    if not len(table):
        return pd.DataFrame(), problems
    scores = score_variants(model, card, table, refs, alts, both_strands, ranks=False,
                            progress=progress)
    if rank_top:
        k = len(card.task_names)
        size = scores["effect"].abs().to_numpy().reshape(-1, k).max(axis=1)
        top = np.argsort(-size, kind="stable")[:int(rank_top)]
        ranked = score_variants(model, card, table.iloc[top].reset_index(drop=True),
                                [refs[i] for i in top], [alts[i] for i in top],
                                both_strands, ranks=True)
        scores["rank"], scores["n_snvs"] = np.nan, 3 * int(card.input_length)
        rows = (top[:, None] * k + np.arange(k)).ravel()
        scores.loc[rows, "rank"] = ranked["rank"].to_numpy()
    return scores, problems


def _info_key(output: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", str(output))[:40]


def scores_vcf(scores: pd.DataFrame, contigs: dict | None = None) -> str:
    """VCF 4.2 text of the scored variants: their own INFO, then ``RV_<output>_REF``,
    ``_ALT``, ``_EFFECT`` (alt - ref) for every output."""
    outputs = list(dict.fromkeys(scores["output"]))
    lines = ["##fileformat=VCFv4.2", "##source=regviz variant effects"]
    lines += [f"##contig=<ID={c},length={n}>" for c, n in (contigs or {}).items()]
    for o in outputs:
        key = _info_key(o)
        for part, what in (("REF", "prediction of the REF window"),
                           ("ALT", "prediction of the ALT window"),
                           ("EFFECT", "ALT - REF prediction")):
            lines.append(f'##INFO=<ID=RV_{key}_{part},Number=1,Type=Float,'
                         f'Description="regviz: {o}, {what}">')
    lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
    for (chrom, pos, vid, ref, alt), g in scores.groupby(
            ["chrom", "pos", "id", "ref", "alt"], sort=False):
        kept = str(g["info"].iloc[0]) if "info" in g and g["info"].iloc[0] else ""
        added = ";".join(f"RV_{_info_key(r.output)}_{p}={v:.6g}" for r in g.itertuples()
                         for p, v in (("REF", r.ref_pred), ("ALT", r.alt_pred),
                                      ("EFFECT", r.effect)))
        info = f"{kept};{added}" if kept else added
        lines.append(f"{chrom}\t{pos}\t{vid}\t{ref}\t{alt}\t.\t.\t{info}")
    return "\n".join(lines) + "\n"
