"""The only module that imports streamlit: shared widgets, caches and error display.

Pages call these helpers and one regviz function each; nothing here does
science, it only wires library results into widgets.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import warnings
from pathlib import Path

import streamlit as st

from regviz import genome, sequence
from regviz.errors import RegvizError, RegvizWarning

MAX_FASTA_UPLOAD_MB = 50
EXAMPLE_FASTA = """>enhancer_demo  two GATA sites and an AP-1 site
TTGACAGATAAGGCTTATCTGCATGACTCATCGGTACCGATAAGCTAGCTTATCAGTCGAT
>promoter_demo
GCGGCGGGGCCAATCAGCGCGCTATAAAAGGCGCGCGTCGCCACGCGTCCGGCGCG
"""


def page_header(title: str, intro: str = "") -> None:
    """Title and intro of a page; also repairs deep links after a server start.

    Streamlit falls back to its old ``pages/`` folder mode when the first visit
    after start is a deep link (app.py's ``st.navigation`` has not run yet); the
    page then reruns through app.py so the sidebar and router are the real ones.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
    st.title(title)
    if intro:
        st.markdown(intro)


@contextlib.contextmanager
def user_errors(what: str = ""):
    """Show regviz input errors with st.error and warnings with st.warning.

    Anything else (a bug) is shown with st.exception so the page keeps working.
    Yields a dict whose "ok" entry is False when an error was shown.
    """
    state = {"ok": True}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RegvizWarning)
        try:
            yield state
        except RegvizError as exc:
            state["ok"] = False
            st.error(f"{what}{': ' if what else ''}{exc}")
        except Exception as exc:  # noqa: BLE001 - a bug must not blank the page
            state["ok"] = False
            st.error(f"Unexpected error{' in ' + what if what else ''}: {exc}")
            st.exception(exc)
    for w in caught:
        if issubclass(w.category, RegvizWarning):
            st.warning(str(w.message))


def _cache_dir() -> Path:
    path = genome.cache_dir() / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _save_upload(upload) -> Path:
    """Write an uploaded file to the cache folder under its content hash."""
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()[:16]
    path = _cache_dir() / f"{digest}_{Path(upload.name).name}"
    if not path.exists():
        path.write_bytes(data)
    return path


def _too_big(upload, limit_mb: int) -> bool:
    if upload.size > limit_mb * 1024 * 1024:
        st.error(f"{upload.name} is {upload.size / 1e6:.1f} MB; the limit here is {limit_mb} MB.")
        return True
    return False


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
        with user_errors("Pasted sequences") as state:
            records = sequence.parse_sequences(text, single=single)
        records = records if state["ok"] else None
    elif source == "Upload FASTA":
        upload = st.file_uploader("FASTA file (.fa, .fasta, .fna, .txt, optionally .gz)",
                                  type=["fa", "fasta", "fna", "txt", "gz"], key=f"{key}_upload")
        if upload is None:
            st.info("Upload a FASTA file to continue.")
            return None
        if _too_big(upload, MAX_FASTA_UPLOAD_MB):
            return None
        with user_errors(upload.name) as state:
            data = upload.getvalue()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            records = sequence.parse_fasta_bytes(data, source=upload.name)
        records = records if state["ok"] else None
    else:
        records = _region_input(key)
    if records:
        show_records(records, key)
    return records


def _region_input(key: str):
    choice = st.radio("Genome FASTA", ["Demo genome (built in, synthetic)", "Upload FASTA",
                                       "Path on this machine"], horizontal=True, key=f"{key}_gsrc")
    path = None
    with user_errors("Genome") as state:
        if choice.startswith("Demo"):
            path = genome.demo_genome_path()
        elif choice == "Upload FASTA":
            upload = st.file_uploader("Genome FASTA (plain or bgzipped)", key=f"{key}_gup",
                                      type=["fa", "fasta", "fna", "gz", "bgz"])
            if upload is not None and not _too_big(upload, 1024):
                path = _save_upload(upload)
        else:
            text = st.text_input("Path to a FASTA file on the machine running regviz",
                                 key=f"{key}_gpath")
            path = Path(text).expanduser() if text.strip() else None
    if path is None or not state["ok"]:
        st.info("Choose a genome FASTA to continue.")
        return None
    with user_errors("Genome") as state:
        contigs = open_genome(str(path)).contigs
    if not state["ok"]:
        return None
    first, first_len = next(iter(contigs.items()))
    st.caption("Contigs: " + ", ".join(f"{c} ({n:,} bp)" for c, n in list(contigs.items())[:8])
               + (" ..." if len(contigs) > 8 else ""))
    cols = st.columns([3, 1])
    region_text = cols[0].text_input("Region (1-based, inclusive), e.g. chr2L:1,001-5,000",
                                     value=f"{first}:1,001-{min(first_len, 5000):,}", key=f"{key}_region")
    strand = cols[1].radio("Strand", ["+", "-"], horizontal=True, key=f"{key}_strand")
    with user_errors("Region") as state:
        region = genome.parse_region(region_text)
        name = region.to_string() + ("" if strand == "+" else "(-)")
        seq = sequence.clean_sequence(open_genome(str(path)).fetch(region, strand=strand), name)
    if not state["ok"]:
        return None
    return [sequence.SequenceRecord(name, seq, f"{Path(path).name} {strand}")]


@st.cache_resource(show_spinner="Opening genome FASTA (building its index if needed)...")
def open_genome(path: str) -> genome.Genome:
    """One pyfaidx-backed Genome per path, shared across reruns and sessions."""
    return genome.Genome(path)


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


@st.cache_data(show_spinner="Building the model and tracing its layers...", max_entries=64)
def architecture_summary(name: str, preset: str, input_length: int, n_outputs: int,
                         output_kind: str):
    """Layer table of a freshly built zoo model (cached per settings)."""
    from regviz import models

    model = models.build(name, input_length, n_outputs, preset=preset, output_kind=output_kind)
    return models.summary(model, input_length)


def download_figure(fig, filename: str, key: str) -> None:
    """A download button for a plotly figure as a standalone interactive HTML file."""
    st.download_button("Figure (HTML)", fig.to_html(include_plotlyjs="cdn"), filename,
                       "text/html", key=key)
