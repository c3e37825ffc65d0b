"""The Train view: a job from the page's settings, and the live monitor of the server's jobs."""

from __future__ import annotations

import dataclasses
import uuid

import pandas as pd
import streamlit as st

from regviz import devices, limits, plotting, simulate
from regviz.models import registry
from regviz.training import JobSpec, TrainConfig, get_manager
from regviz.ui.state import request_active_model
from regviz.ui.widgets import fmt_seconds, user_errors

ENTRIES = {e.title: e for e in registry.REGISTRY.values()}
set_names = simulate.list_datasets


def training_device() -> str:
    """In words, the device a new training job gets ("CPU (2 threads)", "CUDA 0: ...")."""
    return devices.describe(devices.pick_device("auto"))


def offers_exp_first_layer(entry) -> bool:
    """True for architectures whose first layer can use an exponential activation."""
    return "first_activation" in {f.name for f in dataclasses.fields(entry.config_class)}


def session_owner() -> str:
    """This browser session's id: the owner of the jobs it submits."""
    return st.session_state.setdefault("_owner", uuid.uuid4().hex)


def submit_training(entry, dataset, preset: str, n: int, overrides: dict, options: dict,
                    **settings) -> str | None:
    """Queue a training job (its settings checked first); returns its id, or None (the
    error shown). ``settings`` are `TrainConfig` fields; 0 turns patience and the
    learning-rate plateau off."""
    with user_errors("Training") as ok:
        for key in ("patience", "lr_plateau"):
            settings[key] = settings.get(key) or None
        spec = JobSpec(model=entry.name, dataset=dataset, preset=preset, n=n,
                       overrides=overrides, dataset_options=options,
                       config=TrainConfig(**settings), owner=session_owner())
        job_id = get_manager().submit(spec)
    if not ok["ok"]:
        return None
    st.session_state.setdefault("my_jobs", []).append(job_id)
    st.session_state["watch_job"] = job_id
    st.toast(f"Queued: {spec.label}")
    return job_id


def job_monitor() -> None:
    """All training jobs of this server, and the live view of one (polled every second
    while any job is queued or running)."""
    active = any(not j.done for j in get_manager().jobs())
    st.fragment(run_every=1.0 if active else None)(_job_panel)()


def _job_panel() -> None:
    manager = get_manager()
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
        st.success(f"Finished; checkpoint written to {status.checkpoint}.")
        done = st.session_state.setdefault("activated_jobs", [])
        if job_id in st.session_state.get("my_jobs", []) and job_id not in done:
            done.append(job_id)
            request_active_model(status.checkpoint)
            st.rerun(scope="app")
        if st.button("Make it the active model", key=f"use_{job_id}"):
            request_active_model(status.checkpoint)
            st.rerun(scope="app")
