"""The inputs every page shares: sequences (paste, FASTA, genome region), a genome
FASTA, and a labelled dataset. Each returns parsed objects, or None after showing why
there is nothing usable yet.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from regviz import data as user_data
from regviz import genome, gradcam, limits, predict, sequence
from regviz.training import real
from regviz.ui import cache, state
from regviz.ui.widgets import too_big, user_errors

DATA_TYPES = ["fa", "fasta", "fna", "csv", "tsv", "tab", "txt", "seq", "bed", "narrowpeak", "gz"]
EXAMPLE_FASTA = """>enhancer_demo  two GATA sites and an AP-1 site
TTGACAGATAAGGCTTATCTGCATGACTCATCGGTACCGATAAGCTAGCTTATCAGTCGAT
>promoter_demo
GCGGCGGGGCCAATCAGCGCGCTATAAAAGGCGCGCGTCGCCACGCGTCCGGCGCG
"""


def sequence_input(key: str, default_text: str = EXAMPLE_FASTA, allow_region: bool = True):
    """The shared sequence input: paste, upload a FASTA, or name a genome region.

    Returns a list of SequenceRecord, or None when there is nothing valid yet
    (the reason has been shown). Shows the parsed table with downloads.
    """
    sources = ["Paste", "Upload FASTA"] + (["Genome region"] if allow_region else [])
    source = st.radio("Sequence source", sources, horizontal=True, key=f"{key}_source")
    records = None
    if source == "Paste":
        text = st.text_area("Sequences: raw (one per line) or FASTA, any case",
                            value=default_text, height=160, key=f"{key}_text")
        single = st.checkbox("Lines without '>' headers are one wrapped sequence",
                             key=f"{key}_single")
        if not text.strip():
            st.info("Paste one or more sequences to continue.")
            return None
        with user_errors("Pasted sequences") as ok:
            records = sequence.parse_sequences(text, single=single)
        records = records if ok["ok"] else None
    elif source == "Upload FASTA":
        upload = st.file_uploader("FASTA file (.fa, .fasta, .fna, .txt, optionally .gz)",
                                  type=["fa", "fasta", "fna", "txt", "gz"], key=f"{key}_upload",
                                  max_upload_size=limits.MAX_FASTA_UPLOAD_MB)
        if upload is None:
            st.info("Upload a FASTA file to continue.")
            return None
        if too_big(upload, limits.MAX_FASTA_UPLOAD_MB):
            return None
        with user_errors(upload.name) as ok:
            raw = upload.getvalue()
            if raw[:2] == b"\x1f\x8b":
                raw = limits.gunzip(raw, upload.name, limits.MAX_UNPACKED_MB)
            records = sequence.parse_fasta_bytes(raw, source=upload.name)
        records = records if ok["ok"] else None
    else:
        records = _region_input(key)
    if records:
        show_records(records, key)
    return records


def genome_path_input(key: str):
    """Choose a genome FASTA: the built-in demo genome, an upload, or a local path.

    Returns the path, or None (with a hint shown) while nothing usable is chosen.
    """
    choice = st.radio("Genome FASTA", ["Demo genome (built in, synthetic)", "Upload FASTA",
                                       "Path on this machine"], horizontal=True, key=f"{key}_gsrc")
    path = None
    with user_errors("Genome") as ok:
        if choice.startswith("Demo"):
            path = gradcam.demo_genome_path()
        elif choice == "Upload FASTA":
            upload = st.file_uploader("Genome FASTA (plain or bgzipped)", key=f"{key}_gup",
                                      type=["fa", "fasta", "fna", "gz", "bgz"],
                                      max_upload_size=limits.MAX_GENOME_UPLOAD_MB)
            if upload is not None and not too_big(upload, limits.MAX_GENOME_UPLOAD_MB):
                path = state.save_upload(upload)
        else:
            roots = ", ".join(str(r) for r in limits.data_roots())
            text = st.text_input(f"Path to a FASTA file on the machine running regviz (inside "
                                 f"{roots})", key=f"{key}_gpath",
                                 help="Only files in the folders the server offers "
                                      "(REGVIZ_DATA_ROOTS) can be opened.")
            path = limits.server_path(text) if text.strip() else None
    if path is None or not ok["ok"]:
        st.info("Choose a genome FASTA to continue.")
        return None
    return path


def _region_input(key: str):
    path = genome_path_input(key)
    if path is None:
        return None
    with user_errors("Genome") as ok:
        contigs = cache.open_genome(str(path)).contigs
    if not ok["ok"]:
        return None
    first, first_len = next(iter(contigs.items()))
    st.caption("Contigs: " + ", ".join(f"{c} ({n:,} bp)" for c, n in list(contigs.items())[:8])
               + (" ..." if len(contigs) > 8 else ""))
    cols = st.columns([3, 1])
    region_text = cols[0].text_input("Region (1-based, inclusive), e.g. chr2L:1,001-5,000",
                                     value=f"{first}:1,001-{min(first_len, 5000):,}",
                                     key=f"{key}_region")
    strand = cols[1].radio("Strand", ["+", "-"], horizontal=True, key=f"{key}_strand")
    with user_errors("Region") as ok:
        region = genome.parse_region(region_text)
        name = region.to_string() + ("" if strand == "+" else "(-)")
        seq = sequence.clean_sequence(cache.open_genome(str(path)).fetch(region, strand=strand),
                                      name)
    if not ok["ok"]:
        return None
    return [sequence.SequenceRecord(name, seq, f"{Path(path).name} {strand}")]


def show_records(records, key: str) -> None:
    """The parsed-sequence table with CSV and FASTA downloads."""
    table = sequence.records_table(records)
    st.caption(f"{len(records)} sequence(s) read")
    st.dataframe(table, hide_index=True, width="stretch")
    cols = st.columns(2)
    cols[0].download_button("Table (CSV)", table.to_csv(index=False), f"{key}_sequences.csv",
                            "text/csv", key=f"{key}_dl_csv")
    fasta = "".join(f">{r.name}\n{r.sequence}\n" for r in records)
    cols[1].download_button("Sequences (FASTA)", fasta, f"{key}_sequences.fa", "text/plain",
                            key=f"{key}_dl_fa")


@st.cache_data(show_spinner="Reading your dataset...", max_entries=8)
def load_user_dataset(data: bytes, name: str, genome_path: str | None, options: dict,
                      negatives: int):
    """`regviz.data.load_dataset` of uploaded bytes, with shuffled negatives if asked."""
    dataset = user_data.load_dataset(data, name=name, genome=genome_path, **options)
    if negatives:
        dataset = user_data.add_shuffled_negatives(dataset, negatives, seed=0)
    return dataset


def user_dataset_input(key: str):
    """Upload a labelled dataset (FASTA with labels, CSV/TSV, BED + genome) and read it.

    Returns a `regviz.data.Dataset`, or None while nothing valid is loaded (the
    reason is shown). Options (length policy, task kind, shuffled negatives) are
    shown, never applied silently.
    """
    upload = st.file_uploader(
        "Labelled sequences: FASTA with labels in the headers, CSV/TSV with a sequence "
        "column, or BED intervals (+ a genome FASTA below); plain or .gz",
        type=DATA_TYPES, key=f"{key}_upload", max_upload_size=limits.MAX_DATA_UPLOAD_MB)
    with st.expander("Accepted formats"):
        st.markdown(f"- **FASTA**: headers {user_data.FASTA_FORMS}.\n"
                    "- **CSV/TSV** with a header line: a `seq`/`sequence` column (or one "
                    "holding DNA), an optional `id`/`name` column, and every numeric column "
                    "as a label (the ENCODE/DeepBind layout FoldID, EventID, seq, Bound "
                    "works as is).\n"
                    "- **BED** (+ genome): a window centred on each interval; labels from "
                    "column 5 on (a strand column excepted).")
    if upload is None:
        st.info("Upload a file to see its summary.")
        return None
    if too_big(upload, limits.MAX_DATA_UPLOAD_MB):
        return None
    is_bed = Path(upload.name.lower().removesuffix(".gz")).suffix in (".bed", ".narrowpeak")
    c1, c2, c3 = st.columns(3)
    policy = c1.selectbox("Sequences of different lengths", user_data.LENGTH_POLICIES,
                          key=f"{key}_policy", help="error: refuse; crop: cut to the shortest "
                          "(centred); pad: pad with N to the longest; crop_or_pad: to a "
                          "length you choose")
    length = None
    if policy == "crop_or_pad" or is_bed:
        length = int(c1.number_input("Length (bp)", 10, 100_000, 1000 if is_bed else 200,
                                     key=f"{key}_length"))
    kind = c2.selectbox("Task kind", ["infer", "binary", "multitask", "regression"],
                        key=f"{key}_kind", help="infer: 0/1 labels are binary (multitask "
                        "with several columns), anything else regression")
    negatives = int(c3.number_input("Add dinucleotide-shuffled negatives per positive", 0, 5, 0,
                                    key=f"{key}_neg", help="for positives-only data such as "
                                    "ChIP-seq peaks (as DeepBind did); binary data only"))
    genome_file = None
    if is_bed:
        genome_file = genome_path_input(f"{key}_bed")
        if genome_file is None:
            return None
    options = {"length_policy": policy} if not is_bed else {"length": length}
    if length is not None and not is_bed:
        options["length"] = length
    if kind != "infer":
        options["task_kind"] = kind
    with user_errors(upload.name) as ok:
        dataset = load_user_dataset(upload.getvalue(), upload.name,
                                    None if genome_file is None else str(genome_file),
                                    options, negatives)
    return dataset if ok["ok"] else None


def model_examples(folder, model, n: int = 3) -> str:
    """FASTA text of example sequences that fit the model: the checkpoint's own
    ``examples.fa`` (real-data models), held-out test sequences of its synthetic set
    when the card has one, else the built-in examples made to its length
    (`regviz.predict.fit_examples`). Empty for models that read more than DNA."""
    if getattr(model, "in_channels", 4) != 4 or getattr(model, "input_length", None) is None:
        return ""
    shipped = real.example_fasta(folder)           # real-data models ship a few peaks
    if shipped:
        return shipped
    dataset = cache.card_dataset(str(folder), cache.checkpoint_stamp(folder))
    if dataset is not None:
        test = list(dataset.splits.get("test", []))[:n]
        return "".join(f">test_{int(i)} ({dataset.name}, test split)\n{dataset.seqs[i]}\n"
                       for i in test)
    records = predict.fit_examples(sequence.parse_sequences(EXAMPLE_FASTA),
                                   model.input_length)
    return "".join(f">{r.name} {r.description}\n{r.sequence}\n" for r in records)
