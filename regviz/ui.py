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


def cancel_button(key: str, label: str = "Cancel") -> None:
    """A button that stops a slow step running in this script run.

    Streamlit stops a running script at its next element update (a progress bar
    moving) when any widget is used, so clicking this stops the step there;
    nothing half-done is cached. On the rerun ``st.session_state[key]`` is True
    (see :func:`cancelled_notice`).
    """
    st.button(label, key=key, help="Stops at the next progress update; nothing is kept.")


def cancelled_notice(key: str, what: str) -> None:
    """Say that ``what`` was cancelled when :func:`cancel_button` ``key`` was clicked."""
    if st.session_state.get(key):
        st.info(f"{what} was cancelled: nothing from that run was kept.")


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
        if not text.strip():
            st.info("Paste one or more sequences to continue.")
            return None
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

    from regviz import shipped

    order = {r.name: k for k, r in enumerate(shipped.RECIPES)}  # the lecture's DeepBind first
    found = {}
    for origin, root in model_roots().items():
        listed = checkpoints.list_checkpoints(root)
        if origin == "shipped":
            listed.sort(key=lambda item: order.get(item[0].name, len(order)))
        for folder, info in listed:
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


def checkpoint_stamp(folder) -> float:
    """Modification time of a checkpoint's weights: part of every cache key, so a
    retrained checkpoint in the same folder is never served from an old cache."""
    return (Path(folder) / "model.safetensors").stat().st_mtime


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
        model, card = load_checkpoint(folder, checkpoint_stamp(folder))
    if not state["ok"]:
        return None
    return model, card, folder


def require_active_model():
    """(model, card, folder) of the active model; stops the page (after the hint or
    error of :func:`active_model`) when there is none."""
    loaded = active_model()
    if loaded is None:
        st.stop()
    return loaded


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


# ------------------------------------------------------------------ import published models

MAX_IMPORT_UPLOAD_MB = 200


def import_published_upload(upload, input_length: int = 101, config_upload=None):
    """Import an uploaded DeepBind ``.txt`` or Keras ``.h5`` into the uploaded-models folder.

    Returns ``(folder, card)`` on success, else None (the reason is shown with
    st.error). The same file (and DeepBind input length) is imported only once;
    the folder is ``model_roots()["uploaded"] / "<file stem>-<hash>"``.
    """
    from regviz import checkpoints, importers

    if upload is None or _too_big(upload, MAX_IMPORT_UPLOAD_MB):
        return None
    data = upload.getvalue()
    extra = config_upload.getvalue() if config_upload is not None else None
    digest = hashlib.sha256(data + (extra or b"") + str(input_length).encode()).hexdigest()[:12]
    target = model_roots()["uploaded"] / f"{Path(upload.name).stem}-{digest}"
    with user_errors(upload.name) as state:
        if (target / "card.json").exists():
            card = checkpoints.read_card(target)
        else:
            _, card = importers.import_file(data, target, label=upload.name,
                                            input_length=int(input_length),
                                            config_json=extra,
                                            max_bytes=MAX_IMPORT_UPLOAD_MB * 2**20)
    return (target, card) if state["ok"] else None


# ------------------------------------------------------------------ motif spacing

@st.cache_resource(show_spinner="Regenerating the model's dataset for backgrounds...",
                   max_entries=4)
def spacing_context(folder: str, stamp: float) -> dict:
    """What a spacing experiment needs from the active model's card: test sequences
    and labels (synthetic sets), the grammar (planted truth) and the task names.
    Models without a synthetic recipe get ``seqs`` None (random backgrounds only)."""
    from regviz import cards

    _, card = load_checkpoint(folder, stamp)
    tasks = list((card.get("tasks") or {}).get("names") or [])
    length = int((card.get("input") or {}).get("length")
                 or (card.get("config") or {}).get("input_length") or 249)
    try:
        ds = cards.dataset_from_card(card)
    except RegvizError:
        return {"seqs": None, "y": None, "grammar": None, "tasks": tasks, "length": length}
    test = list(ds.splits.get("test", range(len(ds.seqs))))
    return {"seqs": [ds.seqs[i] for i in test], "y": ds.y[test], "grammar": ds.grammar,
            "tasks": tasks, "length": length}


def _spacing_backgrounds(ctx: dict, kind: str, n: int, seed: int, target: int):
    from regviz import spacing

    if ctx["seqs"] is None:
        return sequence.random_sequences(n, ctx["length"], 0.42, seed=seed)
    return spacing.make_backgrounds(ctx["seqs"], n, kind, seed, ctx["y"], target)


@st.cache_resource(show_spinner="Finding each filter's PWM (its 100 strongest windows)...",
                   max_entries=4)
def spacing_filter_motifs(folder: str, stamp: float) -> list:
    """First-layer filter PWMs of a model for "filter N" motifs (top-100 rule, 1,000
    sequences from `filter_sequences`)."""
    from regviz import filters

    model, card = load_checkpoint(folder, stamp)
    X, _, _ = filter_sequences(card, 1000, model.input_length)
    return filters.filter_pwms(model, X, rule="top_n")


def spacing_site(folder: str, stamp: float, text: str, how: str, seed: int):
    """The site to insert for a motif text: "filter N" (a first-layer filter's PWM core)
    or what `regviz.spacing.insert_motif` reads (JASPAR ID or name, A/C/G/T site)."""
    from regviz import spacing

    named = spacing.FILTER_SPEC.fullmatch(text or "")
    if named:
        return spacing.filter_site(spacing_filter_motifs(folder, stamp), int(named.group(1)),
                                   how, seed)
    return spacing.insert_motif(text, how, seed)


def spacing_run(folder: str, stamp: float, motif_a: str, motif_b: str, how: str, bg_kind: str,
                n_bg: int, seed: int, distances: tuple, orientations: tuple, target: int,
                convention: str, statistic: str, _progress=None):
    """`regviz.spacing.spacing_experiment` for the page, kept per settings (`remembered`).

    ``_progress(done, total)`` may drive a progress bar the page made.
    """
    from regviz import spacing

    def run():
        model, _ = load_checkpoint(folder, stamp)
        ctx = spacing_context(folder, stamp)
        bgs = _spacing_backgrounds(ctx, bg_kind, n_bg, seed, target)
        a = spacing_site(folder, stamp, motif_a, how, seed)
        b = spacing_site(folder, stamp, motif_b, how, seed + 1)
        return spacing.spacing_experiment(model, a, b, bgs, distances, orientations, target,
                                          convention=convention, statistic=statistic,
                                          grammar=ctx["grammar"], progress=_progress)

    key = (folder, stamp, motif_a, motif_b, how, bg_kind, int(n_bg), int(seed),
           tuple(distances), tuple(orientations), int(target), convention, statistic)
    return remembered("spacing", key, run, limit=16)


@st.cache_data(show_spinner="Inserting the motif at every position...", max_entries=16)
def spacing_single(folder: str, stamp: float, motif: str, how: str, bg_kind: str, n_bg: int,
                   seed: int, target: int, max_copies: int, copy_gap: int):
    """(marginalisation by position on both strands, copy number, orientation effect)."""
    from regviz import spacing

    model, _ = load_checkpoint(folder, stamp)
    ctx = spacing_context(folder, stamp)
    bgs = _spacing_backgrounds(ctx, bg_kind, n_bg, seed, target)
    m = spacing_site(folder, stamp, motif, how, seed)
    kw = {"target": target, "grammar": ctx["grammar"]}
    return (spacing.marginalize(model, m, bgs, strands=("+", "-"), **kw),
            spacing.copy_number(model, m, bgs, max_copies, copy_gap, **kw),
            spacing.orientation_effect(model, m, bgs, target=target))


# ------------------------------------------------------------------ concepts

CONCEPTS_MOTIFS = ["course example (GGATAA, CGATAA, CGATAT, GGATAT)", "GATA1", "CTCF",
                   "FOS::JUN", "Spi1", "TAL1::TCF3", "other JASPAR name or ID"]


@st.cache_resource(show_spinner=False, max_entries=64)
def concepts_motif(name: str):
    """The course motif or a JASPAR motif by name or ID (cached)."""
    from regviz import concepts, motifs

    return concepts.course_motif() if name.startswith("course") else motifs.jaspar(name)


def concepts_motif_picker(key: str):
    """Motif, background and pseudocount pickers; returns (motif, background, pseudocount)
    or None after showing an error."""
    from regviz import motifs

    c1, c2, c3 = st.columns([2, 1, 1])
    choice = c1.selectbox("Motif", CONCEPTS_MOTIFS, key=f"{key}_motif")
    if choice == CONCEPTS_MOTIFS[-1]:
        choice = c1.text_input("JASPAR name or matrix ID", "MA0139.2", key=f"{key}_jaspar")
    gc = c2.slider("Background GC fraction", 0.2, 0.8, 0.5, 0.05, key=f"{key}_gc",
                   help="Background: A = T = (1 - GC) / 2, C = G = GC / 2.")
    pc = c3.slider("PSSM pseudocount (total per column)", 0.0, 4.0, 0.8, 0.1, key=f"{key}_pc",
                   help="Added before taking logs so that unseen bases do not score minus "
                        "infinity.")
    with user_errors("Motif") as state:
        motif = concepts_motif(choice)
    if not state["ok"]:
        return None
    return motif, motifs.gc_background(gc), pc


@st.cache_data(show_spinner="Tracing the zoo models...", max_entries=16)
def concepts_rf_growth(names: tuple) -> dict:
    from regviz import concepts

    return {n: concepts.receptive_field_growth(n) for n in names}


@st.cache_data(show_spinner="Reading the long-range checkpoint cards...", ttl=120)
def concepts_long_range():
    from regviz import concepts

    return concepts.long_range_results()


@st.cache_data(show_spinner="Counting k-mers and fitting the logistic regression...",
               max_entries=16)
def concepts_kmer_demo(n: int, length: int, k: int, seed: int) -> dict:
    from regviz import concepts

    return concepts.kmer_vs_cnn(n, length, k, seed)


def concepts_motif_section(key: str):
    """Motif pickers, PPM/PSSM/IC logos and tables; returns (motif, kernel (4, w)) or None."""
    import pandas as pd

    from regviz import concepts
    from regviz.plotting import concepts as concepts_plots

    picked = concepts_motif_picker(key)
    if not picked:
        return None
    motif, bg, pc = picked
    small = st.checkbox("Small-sample correction e_n in the IC", key=f"{key}_en")
    with user_errors(motif.name) as ok:
        mats = concepts.motif_matrices(motif, bg, pc, small)
    if not ok["ok"]:
        return None
    fig = concepts_plots.matrix_logos_figure(mats, f"{motif.name} ({motif.id})")
    left, right = st.columns([3, 2])
    left.pyplot(fig, width="stretch")
    left.download_button("Logos (PNG)", concepts_plots.figure_png(fig, close=True),
                         "motif_logos.png", "image/png", key=f"{key}_logo_png")
    right.markdown(f"**{motif.name}** ({motif.id}), {motif.width} bp, consensus "
                   f"`{motif.consensus}`.\n\n*Top*: the PPM. *Middle*: the PSSM, the conv "
                   "kernel (letters below 0 are penalised). *Bottom*: the logo; its total height "
                   f"is the information content, {mats['ic'].to_numpy().sum():.1f} bits.")
    with st.expander("PFM, PPM, PSSM and IC tables", expanded=True):
        table_with_download(pd.concat({k: mats[k] for k in ("pfm", "ppm", "pssm", "ic")})
                            .round(2), f"{motif.id}_matrices.csv", f"{key}_mats", index=True,
                            height=35 * 18 + 3)
    kernel = mats["pssm"].to_numpy()
    if motif.id == "course" and st.radio(
            "Kernel", ["PSSM computed here", "W printed on the slides"], horizontal=True,
            key=f"{key}_kernel") != "PSSM computed here":
        kernel = concepts.COURSE_SLIDE_PSSM
        st.caption("The slides' W is illustrative: no background turns the PWM into it "
                   "(p = 1 gives 3.7 but p = 0.5 gives 0.5 or 0.6).")
    return motif, kernel


def concepts_scan_section(kernel, key: str) -> None:
    """Sequence input, then the PSSM slid along it: window terms, score track, tables."""
    from regviz import concepts
    from regviz.plotting import concepts as concepts_plots

    records = sequence_input(f"{key}_seq", f">slide_example\n{concepts.COURSE_SEQUENCE}\n"
                             ">two_sites\nTTGACAGATAAGGCTTATCTGCATGACTCATCGGATATC\n",
                             allow_region=False)
    if not records:
        return
    rec = st.selectbox("Sequence", records, format_func=lambda r: r.name, key=f"{key}_rec")
    c1, c2, c3 = st.columns(3)
    thr = c1.slider("ReLU threshold t (bias = -t)", -10.0, 20.0, 0.0, 0.5, key=f"{key}_thr")
    pool = c2.number_input("Max-pool size", 1, 50, 2, key=f"{key}_pool")
    pstride = c3.number_input("Max-pool stride", 1, 50, 2, key=f"{key}_pstride")
    with user_errors(rec.name) as ok:
        scores, pooled = concepts.pssm_walkthrough(rec.sequence, kernel, thr, int(pool),
                                                   int(pstride))
    if not ok["ok"]:
        return
    start = st.slider("Window start (slide the filter)", 1, len(scores), 1,
                      key=f"{key}_start_{rec.name}")
    row = scores.iloc[start - 1]
    terms = concepts.window_terms(row["window"], kernel)
    st.markdown(f"Window {start}-{row['end']} `{row['window']}`: score = "
                + " + ".join(f"{w:.2f}" for w in terms)
                + f" = **{row['score']:.2f}**; ReLU = **{row['relu']:.2f}**")
    fig = concepts_plots.score_track_figure(scores, pooled, thr, selected=start)
    st.plotly_chart(fig, width="stretch", key=f"{key}_track")
    download_figure(fig, "pssm_scan.html", key=f"{key}_track_dl")
    st.success(f"torch.nn.Conv1d(4, 1, {len(terms)}) with the PSSM as its weight gives the same "
               f"scores: largest difference {scores.attrs['max_abs_diff']:.1e} (float64 "
               "rounding).")
    table_with_download(scores.round(4), f"{rec.name}_scan.csv", f"{key}_scores")
    st.caption(f"Max pooling (size {pool}, stride {pstride}) of the ReLU track:")
    table_with_download(pooled.round(4), f"{rec.name}_pooled.csv", f"{key}_pooled")


def table_with_download(df, filename: str, key: str, index: bool = False, **kwargs) -> None:
    """st.dataframe (integers with thousands separators) plus a CSV download button."""
    config = {c: st.column_config.NumberColumn(format="localized") for c in df.columns
              if str(df[c].dtype) in ("int64", "Int64")}
    st.dataframe(df, hide_index=not index, width="stretch", column_config=config, **kwargs)
    st.download_button("Table (CSV)", df.to_csv(index=index), filename, "text/csv",
                       key=f"{key}_csv")


# ------------------------------------------------------------------ filters

@st.cache_resource(show_spinner="Loading the motif tools (memelite). Right after install "
                                "the first use compiles them, up to 90 s; `python -m "
                                "regviz.warmup` does that ahead of time...")
def motif_tools_ready() -> bool:
    """Run one tiny Tomtom so numba's compile/cache load happens behind a visible spinner."""
    import numpy as np

    from regviz import motifs

    motifs.tomtom([np.full((4, 6), 0.25) + np.eye(4, 6)], n_nearest=1)
    return True


def filter_sequences(card: dict, n: int, length: int, seed: int = 1000):
    """(X, names, source text) for the filter analysis of a model.

    Synthetic models: a fresh draw of ``n`` sequences from the card's generator
    (seed + ``seed``), with planted annotations. Others: random sequences at
    42% GC (the filters' PWMs then show what random DNA activates best).
    """
    from regviz import cards, sequence, simulate

    kw = cards.synthetic_kwargs(card, n, seed)
    if kw is not None:
        ds = simulate.make_dataset(**kw)
        return sequence.one_hot(ds.seqs), ds.seqs, (
            f"{n} fresh sequences from the model's synthetic generator "
            f"({kw['name']}, seed {kw['seed']})")
    seqs = sequence.random_sequences(int(n), int(length), gc=0.42, seed=int(seed))
    return sequence.one_hot(seqs), seqs, (f"{n} random sequences (42% GC): this model has "
                                          "no synthetic data to regenerate")


@st.cache_resource
def _results_store(kind: str) -> dict:
    """Process-wide store of finished slow results of one kind (see `remembered`)."""
    return {}


def remembered(kind: str, key: tuple, compute, limit: int = 6):
    """``compute()`` once per key, kept process-wide (at most ``limit``, oldest dropped).

    Used instead of st.cache_data where a progress bar made by the page is driven
    while ``compute`` runs: st.cache_data records element calls made inside and
    replays them on a hit, which fails once that bar is gone. A run stopped
    midway (cancel, rerun) stores nothing. Callers must not change the result.
    """
    store = _results_store(kind)
    if key not in store:
        value = compute()
        while len(store) >= limit:
            store.pop(next(iter(store)))
        store[key] = value
    return store[key]


def filter_analysis(folder: str, stamp: float, rule: str, threshold: float, database: str,
                    n_sequences: int, progress=None) -> dict:
    """`regviz.filters.analyze_filters` on a checkpoint, kept per settings (`remembered`).

    ``progress(frac, msg)`` may drive a progress bar the page made.
    """
    from regviz import filters

    def run():
        model, card = load_checkpoint(folder, stamp)
        X, seqs, source = filter_sequences(card, n_sequences, model.input_length)
        out = filters.analyze_filters(model, X, rule=rule, threshold=threshold,
                                      database=database,
                                      planted=(card.get("dataset") or {}).get("motifs"),
                                      task_names=(card.get("tasks") or {}).get("names"),
                                      progress=progress)
        out.update(sequences=seqs, source=source)
        return out

    key = (folder, stamp, rule, float(threshold), database, int(n_sequences))
    return remembered("filters", key, run)


@st.cache_data(max_entries=32, show_spinner=False)
def filter_activation(folder: str, stamp: float, sequence_text: str, index: int):
    """One filter's activation along one sequence, shape (P,)."""
    from regviz import filters, sequence

    model, _ = load_checkpoint(folder, stamp)
    return filters.activation_track(model, sequence.one_hot([sequence_text]), index)[0]


@st.cache_data(max_entries=8, show_spinner="Matching the uploaded motifs with Tomtom...")
def match_meme_upload(data: bytes, database: str):
    """Motifs of an uploaded MEME file and their calibrated JASPAR matches."""
    import tempfile

    from regviz import filters, motifs
    from regviz.errors import InputFormatError

    with tempfile.NamedTemporaryFile(suffix=".meme") as handle:
        handle.write(data)
        handle.flush()
        try:
            found = motifs.read_meme(handle.name)
        except (ValueError, KeyError, IndexError) as exc:
            raise InputFormatError(f"could not read this as a MEME motif file ({exc}). "
                                   "Expected 'MOTIF' blocks with a 'letter-probability "
                                   "matrix' (MEME version 4).") from None
    if not found:
        raise InputFormatError("the file has no MOTIF blocks; expected a MEME motif file.")
    return found, filters.match_filters(found, database)


# ------------------------------------------------------------------ attribution

_ATTRIBUTION_LOCK = __import__("threading").Lock()


def _attribution_key(folder, seq, what, target, settings) -> tuple:
    import json

    stamp = checkpoint_stamp(folder)
    digest = hashlib.sha256(seq.encode()).hexdigest()[:20]
    return (str(folder), stamp, digest, what, int(target), json.dumps(settings, sort_keys=True))


def _with_progress_bar(label: str, compute):
    """``compute(progress)`` with a progress bar that ``progress(done, total)`` moves."""
    bar = st.progress(0.0, text=f"{label}...")

    def progress(done, total):
        bar.progress(min(done / max(total, 1), 1.0), text=f"{label}: {done:,} of {total:,}")

    result = compute(progress)
    bar.empty()
    return result


def _cached_attribution_call(folder, seq, what, target, settings, compute, label):
    """``compute(model, progress)`` once per (checkpoint, stamp, sequence, method, target,
    settings), kept process-wide (`remembered`)."""
    key = _attribution_key(folder, seq, what, target, settings)

    def run():
        model, _card = load_checkpoint(str(folder), key[1])
        with _ATTRIBUTION_LOCK:  # the model object is shared across sessions
            return _with_progress_bar(label, lambda progress: compute(model, progress))

    return remembered("attribution", key, run, limit=64)


def attribution_for(folder, seq: str, method: str, target: int, settings: dict):
    """``(4, L)`` attribution of one sequence by the checkpoint in ``folder`` (cached by
    checkpoint, sequence, method, target and settings; progress shown while computing)."""
    from regviz import attribution

    def compute(model, progress):
        X = attribution.encode_for(model, [seq])
        return attribution.attribute(model, X, method, target, progress=progress,
                                     **settings)[0]

    return _cached_attribution_call(folder, seq, method, target, settings, compute,
                                    attribution.TITLES.get(method, method))


def attribution_sanity_for(folder, seq: str, method: str, target: int, settings: dict):
    """`regviz.attribution.sanity` of one sequence (cached like `attribution_for`)."""
    from regviz import attribution

    def compute(model, progress):
        X = attribution.encode_for(model, [seq])
        return attribution.sanity(model, X, method, target, **settings)

    return _cached_attribution_call(folder, seq, f"sanity:{method}", target, settings,
                                    compute, f"Sanity checks of {method}")


def attribution_test_scores(folder, card: dict, methods: tuple, target: int, n: int,
                            settings: dict):
    """Positional AUROC/auPRC of each method on ``n`` test sequences of the model's
    synthetic set that hold a relevant planted site (cached)."""
    import pandas as pd

    from regviz import attribution, ground_truth

    task = card["tasks"]["names"][target]
    dataset = _card_dataset(card)
    seqs, ann, _ = ground_truth.test_subset(dataset, n, seed=0, only_with_sites=task)
    rows = []
    for method in methods:
        def compute(model, progress, method=method):
            X = attribution.encode_for(model, seqs)
            a = attribution.attribute(model, X, method, target, progress=progress, **settings)
            track = attribution.importance(a, X, method, hypothetical=method == "saliency")
            return ground_truth.score_tracks(track, ann, dataset.grammar, task)

        score = _cached_attribution_call(folder, "".join(seqs[:3]) + str(n), f"score:{method}",
                                         target, settings, compute,
                                         f"Scoring {method} on {len(seqs)} test sequences")
        rows.append({"method": attribution.TITLES[method], **score,
                     "motifs": ", ".join(score["motifs"])})
    return pd.DataFrame(rows)


def _card_dataset(card: dict):
    from regviz import cards

    recipe = ((card.get("dataset") or {}).get("recipe") or {}).get("kwargs") or {}
    if recipe and set(recipe) <= {"name", "n", "seed", "noise"}:
        return synthetic_dataset(recipe["name"], recipe["n"], recipe["seed"],
                                 recipe.get("noise", True))
    return cards.dataset_from_card(card)


def attribution_default(card: dict, target: int = 0):
    """(FASTA text, planted-site table) of the first test sequence of the model's own
    synthetic set holding a site relevant to output ``target``; (None, None) if the
    model was not trained on a synthetic set."""
    from regviz import ground_truth

    try:
        dataset = _card_dataset(card)
        task = card["tasks"]["names"][target]
        seqs, ann, idx = ground_truth.test_subset(dataset, 1, seed=0, only_with_sites=task)
    except Exception:  # noqa: BLE001 - user data or imported models have no default
        return None, None
    return f">test_{int(idx[0])} ({dataset.name}, test split)\n{seqs[0]}\n", ann


# ------------------------------------------------------------------ gradcam

_GRADCAM_LOCK = __import__("threading").Lock()


def _gradcam_cached(key: tuple, label: str, compute):
    """``compute(progress)`` once per key, kept process-wide (`remembered`)."""
    def run():
        with _GRADCAM_LOCK:  # captum hooks the shared model object: one user at a time
            return _with_progress_bar(label, compute)

    return remembered("gradcam", key, run, limit=32)


def gradcam_dataset(card: dict):
    """The active model's synthetic dataset (cached), or None for user data / imports."""
    from regviz import cards

    recipe = ((card.get("dataset") or {}).get("recipe") or {}).get("kwargs") or {}
    try:
        if recipe and set(recipe) <= {"name", "n", "seed", "noise"}:
            return synthetic_dataset(recipe["name"], recipe["n"], recipe["seed"],
                                     recipe.get("noise", True))
        return cards.dataset_from_card(card)
    except Exception:  # noqa: BLE001 - no recipe: the page offers pasting instead
        return None


def gradcam_window(folder, X, layers: tuple, target: int = 0):
    """(prob, {layer: (L,) Grad-CAM}) of one window ``X`` (C, L) by the checkpoint in
    ``folder``; cached by checkpoint, input and layers, progress shown per layer."""
    import numpy as np

    from regviz import gradcam

    X = np.ascontiguousarray(X, dtype=np.float32)
    key = ("window", str(folder), checkpoint_stamp(folder),
           hashlib.sha256(X.tobytes()).hexdigest()[:20], tuple(layers), int(target))

    def compute(progress):
        import torch

        model, _card = load_checkpoint(str(folder), key[2])
        with torch.no_grad():
            model.eval()
            logit = float(model(torch.from_numpy(X[None]))[0, target])
        tracks = {}
        for i, layer in enumerate(layers):
            tracks[layer] = gradcam.gradcam(model, X[None], layer=layer, target=target)[0]
            progress(i + 1, len(layers))
        return 1 / (1 + np.exp(-logit)), tracks

    return _gradcam_cached(key, "Grad-CAM per layer", compute)


def gradcam_scan(folder, genome_path, region: str, stride: int, threshold: float,
                 min_width: int, edges: str = "shift"):
    """`regviz.gradcam.scan_region` of the checkpoint in ``folder`` (cached by checkpoint,
    genome file, region and settings; a progress bar counts windows)."""
    from regviz import gradcam

    path = Path(genome_path)
    key = ("scan", str(folder), checkpoint_stamp(folder), str(path.resolve()),
           path.stat().st_mtime, region, int(stride), float(threshold), int(min_width), edges)

    def compute(progress):
        model, _card = load_checkpoint(str(folder), key[2])
        return gradcam.scan_region(model, open_genome(str(path)), region, stride=stride,
                                   threshold=threshold, min_width=min_width, edges=edges,
                                   progress=progress)

    return _gradcam_cached(key, "Scanning windows", compute)


def sequence_with_tracks_input(key: str, card: dict, width: int):
    """One window for a model that reads DNA + per-bp tracks: a pasted/uploaded sequence
    and a table of its tracks (one row per base, a column per track). Returns the
    ``(4 + n_tracks, width)`` input, or None (the reason shown)."""
    import numpy as np

    from regviz import gradcam_scan
    from regviz.errors import SequenceError

    names = list((card.get("input") or {}).get("track_names") or [])
    records = sequence_input(f"{key}_seq", default_text="", allow_region=True)
    upload = st.file_uploader(f"Tracks of this window: TSV/CSV with a header, one row per "
                              f"base ({width:,} rows) and a column for each of "
                              f"{', '.join(names)}", type=["tsv", "csv", "txt"],
                              key=f"{key}_tracks")
    if not records or upload is None:
        return None
    rec = records[0]
    with user_errors(upload.name) as state:
        if len(rec.sequence) != width:
            raise SequenceError(f"{rec.name} is {len(rec.sequence):,} bp; this model reads "
                                f"exactly {width:,} bp.")
        tracks = gradcam_scan.read_window_tracks(upload.getvalue(), names, width, upload.name)
        X = np.concatenate([sequence.one_hot(rec.sequence)[0], tracks], axis=0)
    return X if state["ok"] else None


@st.cache_data(show_spinner="Scanning with FIMO...", max_entries=64)
def fimo_hits(motif_names: tuple, seq: str):
    """FIMO hits (p < 1e-4, both strands) of JASPAR motifs in one sequence, or None."""
    from regviz import motifs

    if not motif_names:
        return None
    return motifs.fimo([motifs.jaspar(name) for name in motif_names], [seq], threshold=1e-4)
