"""The Variants view's inputs, cached runs and one variant's close-up."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import streamlit as st

from regviz import attribution, costs, filters, genome, limits, motifs, sequence, variants
from regviz.gradcam import demo_genome_path
from regviz.ui import cache, inputs
from regviz.ui.widgets import too_big, user_errors

SOURCES = {"demo": "Demo genome and its VCF", "vcf": "Your VCF and a genome",
           "list": "A list and sequences"}
scores_vcf = variants.scores_vcf
centre = variants.centre
LIST_EXAMPLE = "# contig:position REF>ALT, 1-based; one per line\n"
VCF_UPLOAD_MB = limits.MAX_VCF_UPLOAD_MB


def demo_input():
    """``(variants, problems, genome path)`` of the demo VCF on the demo genome."""
    found, problems = variants.read_vcf(variants.demo_vcf_path())
    return found, problems, str(demo_genome_path())


@st.cache_data(max_entries=4, show_spinner="Reading the VCF...")
def _read_vcf(data: bytes):
    """`regviz.variants.read_vcf` of uploaded bytes, read once (not on every rerun)."""
    return variants.read_vcf(data)


def vcf_input(key: str):
    """A VCF upload and a genome FASTA; None until both are usable."""
    upload = st.file_uploader("VCF (plain or bgzipped)", type=["vcf", "gz", "bgz"],
                              key=f"{key}_vcf", max_upload_size=VCF_UPLOAD_MB)
    path = inputs.genome_path_input(f"{key}_genome")
    if upload is None or path is None or too_big(upload, VCF_UPLOAD_MB):
        if upload is None:
            st.info("Upload a VCF to continue.")
        return None
    with user_errors(upload.name) as ok:
        found, problems = _read_vcf(upload.getvalue())
    return (found, problems, str(path)) if ok["ok"] else None


def list_input(key: str, folder, model):
    """Pasted variants on pasted sequences (``seq1:57 C>T``); None until both parse."""
    records = inputs.sequence_input(f"{key}_seqs", inputs.model_examples(folder, model),
                                    allow_region=False)
    if not records:
        return None
    first = records[0]
    mid = len(first.sequence) // 2
    example = (LIST_EXAMPLE + f"{first.name}:{mid + 1} {first.sequence[mid]}>"
               f"{'A' if first.sequence[mid] != 'A' else 'C'}\n")
    text = st.text_area("Variants", example, height=120, key=f"{key}_list",
                        help="contig:position REF>ALT (1-based), contig = a sequence name "
                             "above; deletions and insertions as VCF writes them (AT>A).")
    with user_errors("Variants") as ok:
        found, problems = variants.parse_variant_list(text)
    return (found, problems, tuple(records)) if ok["ok"] else None


def _source(where):
    return genome.Genome(where) if isinstance(where, str) else variants.SequenceSource(where)


def _key(folder, found, where, both: bool, rank_top: int) -> tuple:
    text = "\n".join(f"{v.label}|{v.id}" for v in found)
    if isinstance(where, str):
        stat = Path(where).stat()
        place = f"{where}|{stat.st_size}|{stat.st_mtime_ns}"
    else:
        place = "\n".join(f"{r.name}|{r.sequence}" for r in where)
    digest = hashlib.sha256((text + "\n#\n" + place).encode()).hexdigest()[:24]
    return (str(folder), cache.checkpoint_stamp(folder), digest, bool(both), int(rank_top))


def seconds_to_score(folder, model, found, where, both: bool, rank_top: int) -> float:
    """Expected seconds of `run` (0 when kept): two windows per variant and strand, and
    fast ISM of the ranked variants' windows for every output."""
    if cache.peek("variants", _key(folder, found, where, both, rank_top)) is not None:
        return 0.0
    speed = cache.model_speed(str(folder), cache.checkpoint_stamp(folder))
    n_out = int(getattr(model.config, "n_outputs", 1) or 1)
    windows = 2 * len(found) * (2 if both else 1)
    return costs.variants_seconds(speed, windows, min(rank_top, len(found)) * n_out)


def run(folder, found, problems, where, both: bool, rank_top: int) -> dict:
    """`regviz.variants.score_variant_set`, kept per variants and sequences;
    ``{"scores", "problems"}`` with the parser's ``problems`` first (not kept: two inputs
    with the same valid variants may differ in their bad lines)."""
    def compute():
        bar = st.progress(0.0, "Scoring variants")
        with cache.using_model(folder) as (model, card):
            source = _source(where)
            try:
                scores, more = variants.score_variant_set(
                    model, card, found, source, both, rank_top,
                    progress=lambda d, t: bar.progress(min(d / max(t, 1), 1.0),
                                                       f"Scoring variants: {d} of {t} steps"))
            finally:
                if isinstance(source, genome.Genome):
                    source.close()
        bar.empty()
        return {"scores": scores, "problems": more}

    kept = cache.remembered("variants", _key(folder, found, where, both, rank_top), compute,
                            limit=6)
    return {"scores": kept["scores"],
            "problems": pd.concat([problems, kept["problems"]], ignore_index=True)}


def summary_markdown(res: dict) -> str:
    s, p = res["scores"], res["problems"]
    n = s[["chrom", "pos", "ref", "alt"]].drop_duplicates().shape[0] if len(s) else 0
    line = f"**{n:,} of {n + len(p):,} variants scored**"
    if len(p):
        line += f"; {len(p):,} not scored, each with its reason below"
    return line + "."


SCI = {"p_value": st.column_config.NumberColumn(format="%.1e")}


def variant_box(row: pd.Series, at: int) -> pd.DataFrame:
    """The variant as a shaded box for the close-up tracks (0-based ``at`` in them)."""
    return pd.DataFrame({"start": [at], "end": [at + len(row["ref"])],
                         "motif_name": [f"{row['ref']}>{row['alt']}"], "strand": ["+"]})


TABLE_COLUMNS = ["label", "id", "kind", "output", "ref_pred", "alt_pred", "effect",
                 "log2_ratio", "rank", "info"]


def close_up(folder, row: pd.Series, where, database: str) -> dict:
    """One variant's REF and ALT windows: input x gradient tracks, their difference (same-
    length alleles), and JASPAR motifs within 30 bp that the ALT breaks or creates."""
    v = variants.Variant(row["chrom"], int(row["pos"]), row["ref"], row["alt"])
    key = (*_key(folder, [v], where, False, 0), database, row["output"])

    def compute():
        with cache.using_model(folder) as (model, card):
            source = _source(where)
            try:
                _, refs, alts, probs = variants.variant_windows([v], source, card.input_length)
            finally:
                if isinstance(source, genome.Genome):
                    source.close()
            target = list(card.task_names).index(row["output"])
            X = sequence.one_hot([refs[0], alts[0]])
            A = attribution.attribute(model, X, "input_x_gradient", target=target)
        tracks = attribution.importance(A, X)
        return {"ref": refs[0], "alt": alts[0], "tracks": tracks,
                "motifs": motif_changes(refs[0], alts[0], len(v.ref), len(v.alt), database)}

    return cache.remembered("variant_close_up", key, compute, limit=16)


def motif_changes(ref: str, alt: str, ref_len: int, alt_len: int, database: str,
                  flank: int = 30) -> pd.DataFrame:
    """JASPAR motifs with a FIMO hit (p < 1e-4) over the variant in one allele's window
    and none over it in the other: ``change`` "broken" or "created"."""
    c = variants.centre(len(ref))
    lo = max(c - flank, 0)
    pieces = [ref[lo:c + ref_len + flank], alt[lo:c + alt_len + flank]]
    ms = motifs.collection(filters.database_name(database))
    hits = motifs.fimo(ms, pieces, threshold=1e-4)
    at = c - lo
    over = [(hits["sequence_index"] == k) & (hits["start"] < at + n) & (hits["end"] > at)
            for k, n in ((0, ref_len), (1, alt_len))]
    ref_hits, alt_hits = hits[over[0]], hits[over[1]]
    rows = []
    for change, a, b in (("broken", ref_hits, alt_hits), ("created", alt_hits, ref_hits)):
        for mid, g in a.groupby("motif_id"):
            if mid not in set(b["motif_id"]):
                rows.append({"change": change, "motif": g["motif_name"].iloc[0], "id": mid,
                             "p_value": float(g["p_value"].min()),
                             "strand": g.loc[g["p_value"].idxmin(), "strand"]})
    out = pd.DataFrame(rows, columns=["change", "motif", "id", "p_value", "strand"])
    return out.sort_values("p_value").reset_index(drop=True)


def truth(info: str) -> str:
    """The demo VCF's truth of a variant ("breaks a planted KLF1 site"), or ""."""
    fields = dict(f.split("=", 1) for f in str(info).split(";") if "=" in f)
    return {"site": f"breaks a planted {fields.get('MOTIF', '')} site",
            "core": f"in planted core {fields.get('MOTIF', '')}, off its sites",
            "background": "outside planted cores and sites"}.get(fields.get("CLASS"), "")

