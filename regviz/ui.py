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


def genome_path_input(key: str):
    """Choose a genome FASTA: the built-in demo genome, an upload, or a local path.

    Returns the path, or None (with a hint shown) while nothing usable is chosen.
    """
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
    return path


def _region_input(key: str):
    path = genome_path_input(key)
    if path is None:
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


def download_figure(fig, filename: str, key: str, column=None) -> None:
    """A download button for a plotly figure as an interactive HTML file (plotly.js from
    its CDN; the chart's own camera button saves a PNG offline)."""
    (column or st).download_button("Figure (HTML)", fig.to_html(include_plotlyjs="cdn"),
                                   filename, "text/html", key=key)


# ------------------------------------------------------------------ datasets

MAX_DATA_UPLOAD_MB = 200
DATA_TYPES = ["fa", "fasta", "fna", "csv", "tsv", "tab", "txt", "seq", "bed", "narrowpeak", "gz"]


@st.cache_data(show_spinner="Generating the synthetic set...", max_entries=16)
def synthetic_dataset(name: str, n: int, seed: int, noise: bool = True, **options):
    """A synthetic set from `regviz.simulate.make_dataset` (cached per arguments)."""
    from regviz import simulate

    return simulate.make_dataset(name, n, seed, noise, **options)


@st.cache_data(show_spinner="Reading your dataset...", max_entries=8)
def _load_user_dataset(data: bytes, name: str, genome_path: str | None, options: dict,
                       negatives: int):
    from regviz import data as user_data

    dataset = user_data.load_dataset(data, name=name, genome=genome_path, **options)
    if negatives:
        dataset = user_data.add_shuffled_negatives(dataset, negatives, seed=0)
    return dataset


def user_dataset_input(key: str):
    """Upload a labelled dataset (FASTA with labels, CSV/TSV, BED + genome) and read it.

    Returns a `regviz.dataset.Dataset`, or None while nothing valid is loaded (the
    reason is shown). Options (length policy, task kind, shuffled negatives) are
    shown, never applied silently.
    """
    from regviz import data as user_data

    upload = st.file_uploader(
        "Labelled sequences: FASTA with labels in the headers, CSV/TSV with a sequence "
        "column, or BED intervals (+ a genome FASTA below); plain or .gz",
        type=DATA_TYPES, key=f"{key}_upload")
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
    if _too_big(upload, MAX_DATA_UPLOAD_MB):
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
    with user_errors(upload.name) as state:
        dataset = _load_user_dataset(upload.getvalue(), upload.name,
                                     None if genome_file is None else str(genome_file),
                                     options, negatives)
    return dataset if state["ok"] else None


def dataset_overview(dataset, key: str) -> None:
    """Summary of a Dataset: size, tasks, labels (table and figure), splits, preview,
    and downloads of the sequences with labels and of any planted-motif annotations."""
    from regviz import data as user_data, plotting

    info = user_data.summarize(dataset)
    m = st.columns(4)
    m[0].metric("Sequences", f"{info['n']:,}")
    m[1].metric("Length", f"{info['length']:,} bp")
    m[2].metric("Task kind", info["task_kind"])
    m[3].metric("Mean GC", f"{info['gc_mean']:.1%}")
    inferred = info["task_kind_inferred"]
    st.caption(f"Tasks: {', '.join(info['tasks'])}. Splits: "
               + ", ".join(f"{k} {v:,}" for k, v in info["splits"].items())
               + (f". Task kind inferred from the labels: {inferred}." if inferred else "")
               + (f" Sequences with N: {info['n_with_N']:,}." if info["n_with_N"] else ""))
    policy = info.get("length_policy")
    if policy:
        st.caption(f"Lengths: {policy}")
    left, right = st.columns([2, 3])
    left.dataframe(info["labels"], hide_index=True, width="stretch")
    fig = plotting.label_distribution_figure(dataset.y, dataset.task_names, dataset.task_kind)
    right.plotly_chart(fig, width="stretch", key=f"{key}_labels_fig")
    table = dataset_table(dataset)
    st.dataframe(table.head(200), hide_index=True, width="stretch", height=240)
    cols = st.columns(3)
    cols[0].download_button("Sequences and labels (CSV)", table.to_csv(index=False),
                            f"{dataset.name}_sequences.csv", "text/csv", key=f"{key}_dl_seq")
    if len(dataset.annotations):
        cols[1].download_button("Planted motifs (CSV, 0-based, end exclusive)",
                                dataset.annotations.to_csv(index=False),
                                f"{dataset.name}_annotations.csv", "text/csv",
                                key=f"{key}_dl_ann")
    download_figure(fig, f"{dataset.name}_labels.html", key=f"{key}_dl_fig", column=cols[2])


def dataset_table(dataset):
    """One row per sequence: index, name, split, labels, sequence."""
    import pandas as pd

    split_of = {int(i): s for s, idx in dataset.splits.items() for i in idx}
    names = dataset.meta.get("names") or [f"seq{k + 1}" for k in range(len(dataset))]
    table = pd.DataFrame({"index": range(len(dataset)), "name": names,
                          "split": [split_of.get(k, "") for k in range(len(dataset))]})
    for k, task in enumerate(dataset.task_names):
        table[task] = dataset.y[:, k]
    table["sequence"] = dataset.seqs
    return table


# ------------------------------------------------------------------ models

MAX_CHECKPOINT_UPLOAD_MB = 200
_REQUEST = "active_model_request"


def model_roots() -> dict:
    """Where the picker looks for checkpoints: shipped, trained in the app, uploaded."""
    from regviz import jobs, shipped

    return {"shipped": shipped.ROOT, "trained here": jobs.runs_root(),
            "uploaded": genome.cache_dir() / "checkpoints"}


def available_models() -> dict:
    """label -> folder (str) of every readable checkpoint, shipped ones first."""
    from regviz import checkpoints

    found = {}
    for origin, root in model_roots().items():
        for folder, info in checkpoints.list_checkpoints(root):
            if info.get("error"):
                continue
            data = f" on {info['dataset']}" if info.get("dataset") else ""
            label = f"{folder.name} ({info['registry_name']}{data}; {origin})"
            found[label] = str(folder)
    return found


def request_active_model(folder) -> None:
    """Make ``folder`` the active model from the next run on (safe inside fragments)."""
    st.session_state[_REQUEST] = str(folder)


def model_picker() -> None:
    """The sidebar's active-model picker (app.py calls it on every page)."""
    models = available_models()
    if not models:
        st.sidebar.warning("No checkpoints found: run `python -m regviz.shipped` or train "
                           "one on the Train page.")
        return
    labels = list(models)
    wanted = st.session_state.pop(_REQUEST, None)
    if wanted is not None:
        models = available_models()
        labels = list(models)
        match = [k for k, v in models.items() if v == wanted]
        if match:
            st.session_state["active_model"] = match[0]
    if st.session_state.get("active_model") not in labels:
        st.session_state.pop("active_model", None)
    st.sidebar.selectbox("Active model", labels, key="active_model",
                         help="Shipped models, models trained on the Train page, and "
                              "uploaded checkpoints. Every view uses this one.")
    st.sidebar.caption(_card_line(models[st.session_state["active_model"]]))


def _card_line(folder: str) -> str:
    from regviz import cards, checkpoints

    try:
        card = checkpoints.read_card(folder)
    except Exception as exc:  # noqa: BLE001 - a bad card must not break the sidebar
        return f"Card unreadable: {exc}"
    tasks = ", ".join((card.get("tasks") or {}).get("names") or [])
    return f"Predicts {tasks}; {cards.headline(card)}."


def active_model_folder():
    """Folder of the active model, or None when there is none."""
    label = st.session_state.get("active_model")
    return available_models().get(label) if label else None


@st.cache_resource(show_spinner="Loading the model...", max_entries=16)
def load_checkpoint(folder: str, stamp: float):
    """(model, card) of a checkpoint folder; ``stamp`` (weights mtime) keys the cache."""
    from regviz import checkpoints

    return checkpoints.load(folder)


def active_model():
    """(model, card, folder) of the active model, or None (a hint is shown)."""
    folder = active_model_folder()
    if folder is None:
        st.info("Pick a model in the sidebar (or train one on the Train page).")
        return None
    with user_errors("Loading the model") as state:
        stamp = (Path(folder) / "model.safetensors").stat().st_mtime
        model, card = load_checkpoint(folder, stamp)
    if not state["ok"]:
        return None
    return model, card, folder


def checkpoint_upload(key: str) -> None:
    """Upload a checkpoint zip; it is checked, unpacked and made the active model."""
    from regviz import checkpoints

    upload = st.file_uploader(f"Checkpoint zip (model.safetensors + card.json; at most "
                              f"{MAX_CHECKPOINT_UPLOAD_MB} MB)", type=["zip"], key=key)
    if upload is None or _too_big(upload, MAX_CHECKPOINT_UPLOAD_MB):
        return
    digest = hashlib.sha256(upload.getvalue()).hexdigest()[:12]
    target = model_roots()["uploaded"] / f"{Path(upload.name).stem}-{digest}"
    with user_errors(upload.name) as state:
        if not (target / "card.json").exists():
            checkpoints.load_zip(upload.getvalue(), target,
                                 max_bytes=MAX_CHECKPOINT_UPLOAD_MB * 2**20)
    if state["ok"]:
        st.success(f"Loaded {upload.name}; it is now the active model.")
        if st.session_state.get("_uploaded") != str(target):
            st.session_state["_uploaded"] = str(target)
            request_active_model(target)
            st.rerun()


@st.cache_data(max_entries=4, show_spinner=False)
def zip_checkpoint(folder: str) -> bytes:
    """The checkpoint folder as a zip (what `checkpoint_upload` reads back)."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("model.safetensors", "card.json"):
            archive.write(Path(folder) / name, f"{Path(folder).name}/{name}")
    return buf.getvalue()


# ------------------------------------------------------------------ training jobs

def training_device() -> str:
    """In words, the device a new training job gets ("CPU (2 threads)", "CUDA 0: ...")."""
    from regviz import devices

    return devices.describe(devices.pick_device("auto"))


def submit_training(spec) -> str | None:
    """Queue a training job (checked first); returns its id, or None (error shown)."""
    from regviz import jobs

    with user_errors("Training") as state:
        job_id = jobs.get_manager().submit(spec)
    if not state["ok"]:
        return None
    st.session_state.setdefault("my_jobs", []).append(job_id)
    st.session_state["watch_job"] = job_id
    return job_id


def job_monitor() -> None:
    """All training jobs of this server, and the live view of one (polled every second
    while any job is queued or running)."""
    from regviz import jobs

    active = any(not j.done for j in jobs.get_manager().jobs())
    st.fragment(run_every=1.0 if active else None)(_job_panel)()


def _fmt_seconds(s) -> str:
    if s is None:
        return "estimating..."
    s = int(round(s))
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"


def _job_panel() -> None:
    import pandas as pd

    from regviz import jobs, plotting

    manager = jobs.get_manager()
    all_jobs = manager.jobs()
    if not all_jobs:
        st.caption("No training jobs yet on this server.")
        return
    table = pd.DataFrame([{"job": j.job_id, "what": j.label, "device": j.device,
                           "state": j.state, "progress": f"{j.fraction:.0%}",
                           "message": j.message} for j in all_jobs])
    st.dataframe(table, hide_index=True, width="stretch")
    ids = [j.job_id for j in all_jobs]
    watched = st.session_state.get("watch_job")
    job_id = st.selectbox("Watch job", ids[::-1], index=ids[::-1].index(watched)
                          if watched in ids else 0, key="watch_pick")
    status = manager.status(job_id)
    rep = status.report
    eta = f"; about {_fmt_seconds(rep.eta)} left" if rep and not status.done else ""
    st.progress(status.fraction, text=f"{status.state}: {status.message}{eta}")
    if rep is not None and rep.device:
        st.caption(f"Device: {rep.device}. Elapsed: {_fmt_seconds(rep.elapsed)}.")
    if status.history["step"]:
        monitor = rep.monitor if rep is not None else ""
        st.plotly_chart(plotting.training_figure(status.history, monitor), width="stretch",
                        key=f"curves_{job_id}")
    if not status.done:
        if st.button("Cancel this job", key=f"cancel_{job_id}"):
            manager.cancel(job_id)
            st.rerun(scope="fragment")
    elif status.state == "failed":
        st.error(f"Training failed: {status.error}")
        if status.traceback:
            st.code(status.traceback)
    elif status.state == "finished":
        st.success(f"Finished; checkpoint written to {status.checkpoint}.")
        done = st.session_state.setdefault("activated_jobs", [])
        if job_id in st.session_state.get("my_jobs", []) and job_id not in done:
            done.append(job_id)
            request_active_model(status.checkpoint)
            st.rerun(scope="app")
        if st.button("Make it the active model", key=f"use_{job_id}"):
            request_active_model(status.checkpoint)
            st.rerun(scope="app")
