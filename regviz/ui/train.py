"""The Train view: defaults per architecture and set, a job from the page's settings, the
live monitor of the server's jobs, and what happens when this session's job ends.

A finished job of this session becomes the active model wherever the user is
(`notify_finished_jobs`, called by app.py on every run), unless it is worse than the
active model on the same data: then the active model stays, and a notice offers "Use it
anyway".
"""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import pandas as pd
import streamlit as st

from regviz import checkpoints, devices, limits, plotting, simulate
from regviz.errors import RegvizError
from regviz.models import registry
from regviz.training import JobError, JobSpec, TrainConfig, compare_cards, get_manager
from regviz.training.defaults import Defaults, defaults_for, easier_options
from regviz.training.shipped import RECIPES_BY_NAME
from regviz.ui.state import active_model_folder, request_active_model
from regviz.ui.widgets import fmt_seconds, user_errors

ENTRIES = {e.title: e for e in registry.REGISTRY.values()}
set_names = simulate.list_datasets
POLL_S = 2.0
# session-state keys
SETTLED, NOTICES, OFFER, VERDICTS = "_train_settled", "_train_notices", "_train_offer", "_train_verdicts"
ICONS = {"success": ":material/check_circle:", "warning": ":material/warning:",
         "error": ":material/error:"}


def training_device() -> str:
    """In words, the device a new training job gets ("CPU (2 threads)", "CUDA 0: ...")."""
    return devices.describe(devices.pick_device("auto"))


def offers_exp_first_layer(entry) -> bool:
    """True for architectures whose first layer can use an exponential activation."""
    return "first_activation" in {f.name for f in dataclasses.fields(entry.config_class)}


def session_owner() -> str:
    """This browser session's id: the owner of the jobs it submits."""
    return st.session_state.setdefault("_owner", uuid.uuid4().hex)


# ------------------------------------------------------------------ defaults

def pair_defaults(entry, set_name: str | None) -> Defaults:
    """The defaults of an architecture on a synthetic set (None: the user's data). When
    the pair changes, the settings fields (keys n, epochs, batch, lr, patience,
    lr_plateau, task_balance, rc, exp_first, easier) take its defaults; call it before
    they are drawn."""
    d = defaults_for(entry.name, set_name)
    if st.session_state.get("_defaults_for") != (entry.name, set_name):
        st.session_state["_defaults_for"] = (entry.name, set_name)
        st.session_state.update({
            "n": d.n, "epochs": d.epochs, "batch": d.batch_size, "lr": d.lr,
            "patience": d.patience or 0, "lr_plateau": d.lr_plateau or 0,
            "task_balance": float(d.task_balance), "rc": d.rc_augment,
            "exp_first": d.overrides.get("first_activation") == "exp",
            "easier": bool(d.dataset_options)})
    return d


def model_overrides(d: Defaults, preset: str, exp_first: bool) -> dict:
    """Model settings of a job: the defaults' own (class preset only: they are sized for
    it) and the exponential first layer when ticked."""
    overrides = {k: v for k, v in d.overrides.items()
                 if k != "first_activation" and preset == "class"}
    return {**overrides, "first_activation": "exp"} if exp_first else overrides


def defaults_caption(d: Defaults, preset: str) -> str:
    """What the defaults give: time, quality, and the shipped model's quality."""
    where = f" on {d.dataset}" if d.dataset else " on your data"
    text = f"Defaults for {d.model}{where}: {d.expectation()}."
    shipped = RECIPES_BY_NAME.get(f"{d.dataset}_{d.model}")
    folder = checkpoints.SHIPPED_ROOT / shipped.name if shipped else None
    if folder is not None and (folder / checkpoints.CARD).is_file():
        text += (f" The shipped {shipped.name} ({shipped.n:,} sequences): "
                 f"{_headline(folder)}.")
    extra = {k: v for k, v in d.overrides.items() if k != "first_activation"}
    if extra and preset == "class":
        text += " Model settings: " + ", ".join(f"{k}={v}" for k, v in extra.items()) + "."
    if preset != "class":
        text += " (Measured with the class preset; paper is slower.)"
    return text


def set_options(set_name: str, easier: bool) -> dict:
    """The options of the easier variant of a set when asked for (else none)."""
    return dict(easier_options(set_name) or {}) if easier else {}


# ------------------------------------------------------------------ jobs

def all_gpus_choice() -> int:
    """1, or the number of GPUs when the machine has several and the user ticks "all
    GPUs" (the job then trains with DDP through torchrun in a subprocess)."""
    n = devices.gpu_count()
    if n < 2:
        return 1
    ticked = st.checkbox(
        f"All {n} GPUs (data-parallel)", key="all_gpus",
        help=f"train on {n} processes, one GPU each (torch DDP through torchrun); the batch "
             f"size stays the global batch ({n} shares). Progress comes back from the job's "
             "log; Cancel stops every process")
    return n if ticked else 1


def submit_training(entry, dataset, preset: str, n: int, overrides: dict, options: dict,
                    processes: int = 1, **settings) -> str | None:
    """Queue a training job (its settings checked first); returns its id, or None (the
    error shown: bad settings, or the same job already queued or running). ``settings``
    are `TrainConfig` fields; 0 turns patience and the learning-rate plateau off;
    ``processes`` > 1 trains on that many GPUs (`all_gpus_choice`)."""
    with user_errors("Training") as ok:
        for key in ("patience", "lr_plateau"):
            settings[key] = settings.get(key) or None
        spec = JobSpec(model=entry.name, dataset=dataset, preset=preset, n=n,
                       overrides=overrides, dataset_options=options,
                       config=TrainConfig(**settings), owner=session_owner(),
                       processes=processes)
        job_id = get_manager().submit(spec)
    if not ok["ok"]:
        return None
    st.session_state.setdefault("my_jobs", []).append(job_id)
    st.session_state["watch_job"] = job_id
    st.toast(f"Queued: {spec.label}")
    return job_id


def compare_with_active(folder):
    """`regviz.training.Comparison` of the checkpoint in ``folder`` with the active
    model, or None (no active model, the same one, other data, or unreadable cards)."""
    active = active_model_folder()
    if active is None or Path(active).resolve() == Path(folder).resolve():
        return None
    try:
        return compare_cards(checkpoints.read_card(folder), checkpoints.read_card(active))
    except (OSError, RegvizError):
        return None


def _new_ends() -> list:
    """This session's jobs that finished or failed since they were last settled."""
    done = get_manager().job_ids(session_owner(), ("finished", "failed"))
    settled = st.session_state.get(SETTLED, ())
    return [j for j in done if j not in settled]


def settle_finished_jobs() -> bool:
    """Handle this session's jobs that ended since the last call: a finished one becomes
    the active model (requested), unless it is worse than the active one on the same data
    (then it is offered); a notice is kept for each. True when a model was requested."""
    new = _new_ends()
    if not new:
        return False
    st.session_state[SETTLED] = [*st.session_state.get(SETTLED, ()), *new]
    requested = False
    for job_id in new:
        try:
            status = get_manager().status(job_id, max_points=0)
        except JobError:
            continue
        if status.state == "failed":
            _notice("error", f"Training failed ({status.label}): {status.error}")
            continue
        verdict = compare_with_active(status.checkpoint)
        if verdict is not None and verdict.worse:
            text = (f"{status.label} finished with {verdict.describe()}: the active model "
                    "was kept.")
            st.session_state[OFFER] = {"job": job_id, "folder": status.checkpoint,
                                       "text": text}
            _notice("warning", text, job_id)
            continue
        how = (f"test {verdict.metric} {verdict.new:.3f}; the previous model: {verdict.old:.3f}"
               if verdict else _headline(status.checkpoint))
        _notice("success", f"{status.label} finished and is now the active model ({how}).",
                job_id)
        request_active_model(status.checkpoint)
        requested = True
    return requested


def _headline(folder) -> str:
    try:
        return checkpoints.read_card(folder).headline()
    except (OSError, RegvizError):
        return "card unreadable"


def _notice(kind: str, text: str, job_id: str | None = None) -> None:
    st.session_state[NOTICES] = [*st.session_state.get(NOTICES, ()), (kind, text)]
    if job_id is not None:
        st.session_state[VERDICTS] = {**st.session_state.get(VERDICTS, {}), job_id: text}


def notify_finished_jobs() -> None:
    """On every run of every page (app.py): make this session's newly finished job the
    active model (or offer it, when worse than the active one on the same data), show a
    notice, and while a job of this session runs, check for its end every 2 s. Cheap when
    nothing ended: a lock and a list of job ids."""
    if settle_finished_jobs():
        st.rerun()
    for kind, text in st.session_state.pop(NOTICES, ()):
        st.toast(text, icon=ICONS[kind])
    offer = st.session_state.get(OFFER)
    if offer:
        box = st.sidebar.container(border=True)
        box.warning(offer["text"])
        use, keep = box.columns(2)
        if use.button("Use it anyway", key="train_offer_use"):
            request_active_model(offer["folder"])
            st.session_state.pop(OFFER, None)
            st.rerun()
        if keep.button("Keep the active model", key="train_offer_keep"):
            st.session_state.pop(OFFER, None)
            st.rerun()
    if get_manager().job_ids(session_owner(), ("queued", "running")):
        with st.sidebar:
            st.fragment(run_every=POLL_S)(_poll)()


def _poll() -> None:
    if _new_ends():
        st.rerun(scope="app")


def job_monitor() -> None:
    """All training jobs of this server, and the live view of one, by default this
    session's newest (polled every second while any job is queued or running)."""
    active = any(not j.done for j in get_manager().jobs())
    st.fragment(run_every=1.0 if active else None)(_job_panel)()


def _follow_newest(all_jobs) -> None:
    """Watch this session's newest job whenever a newer one appears."""
    mine = [j.job_id for j in all_jobs if j.owner == session_owner()]
    if mine and st.session_state.get("_followed") != mine[-1]:
        st.session_state["_followed"] = st.session_state["watch_pick"] = mine[-1]
    if st.session_state.get("watch_pick") not in {j.job_id for j in all_jobs}:
        st.session_state.pop("watch_pick", None)


def _job_panel() -> None:
    if settle_finished_jobs():
        st.rerun(scope="app")
    manager = get_manager()
    all_jobs = manager.jobs()
    if not all_jobs:
        st.caption("No training jobs yet on this server.")
        return
    table = pd.DataFrame([{"job": j.job_id, "what": j.label, "device": j.device,
                           "state": j.state, "progress": f"{j.fraction:.0%}",
                           "message": j.message} for j in all_jobs])
    st.dataframe(table, hide_index=True, width="stretch")
    _follow_newest(all_jobs)
    labels = {j.job_id: f"{j.job_id}: {j.label}" + (" (yours)" if j.owner == session_owner()
                                                     else "") for j in all_jobs}
    job_id = st.selectbox("Watch job", list(labels)[::-1], format_func=labels.get,
                          key="watch_pick")
    status = manager.status(job_id, max_points=limits.MAX_CURVE_POINTS)
    mine = manager.may_control(job_id, session_owner())
    rep = status.report
    eta = f"; about {fmt_seconds(rep.eta)} left" if rep and not status.done else ""
    st.progress(status.fraction, text=f"{status.state}: {status.message}{eta}")
    if rep is not None and rep.device:
        st.caption(f"Device: {rep.device}. Elapsed: {fmt_seconds(rep.elapsed)}.")
    if status.history["step"]:
        monitor = rep.monitor if rep is not None else ""
        st.plotly_chart(plotting.training_figure(status.history, monitor), width="stretch",
                        key=f"curves_{job_id}")
    if not status.done:
        if mine and st.button("Cancel this job", key=f"cancel_{job_id}"):
            manager.cancel(job_id, session_owner())
            st.rerun(scope="fragment")
        elif not mine:
            st.caption("Another session started this job; only it can cancel it.")
    elif status.state == "failed":
        st.error(f"Training failed: {status.error}")
        if status.traceback and mine:
            with st.expander("Details for a bug report"):
                st.code(status.traceback)
    elif status.state == "finished":
        _finished(job_id, status.checkpoint)


def _finished(job_id: str, folder: str) -> None:
    """A finished job: what became of it (active, or worse than the active model)."""
    worse = (st.session_state.get(OFFER) or {}).get("job") == job_id
    text = st.session_state.get(VERDICTS, {}).get(job_id, "Finished.")
    (st.warning if worse else st.success)(text)
    st.caption(f"Checkpoint: {folder}")
    if active_model_folder() == str(folder):
        return
    if st.button("Use it anyway" if worse else "Make it the active model", key=f"use_{job_id}"):
        request_active_model(folder)
        if worse:
            st.session_state.pop(OFFER, None)
        st.rerun(scope="app")
