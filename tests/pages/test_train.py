"""The Train page: defaults per architecture and set, a job started from the page, followed
live, cancelled; a finished job becomes the active model unless it is worse than the active
one; a double click does not queue the same job twice."""

import time
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from regviz.models import registry
from regviz.training import JobSpec, TrainConfig, defaults_for, get_manager
from regviz.ui import state
from support import shipped_checkpoint

# what app.py does on every page: the picker, then the finished-job notices
APP = """
from regviz.ui import state, train
state.model_picker()
train.notify_finished_jobs()
"""


@pytest.fixture
def one_thread():
    """Jobs started from the page train with one torch thread: on 2 cores shared with other
    work, a second thread mostly waits (the default deepbind job: 7 s with one thread,
    40-140 s with two on a busy machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _title(name):
    return registry.get_entry(name).title


def test_each_pair_starts_from_its_defaults_and_says_what_to_expect(open_page):
    at = open_page("train")
    assert not at.exception and not at.error
    d = defaults_for("deepbind", "tf-binding")
    assert (at.number_input(key="n").value, at.number_input(key="epochs").value,
            at.number_input(key="lr").value) == (d.n, d.epochs, d.lr)
    caption = at.info[0].value
    assert "on 2 CPU cores; test AUROC about 0.97" in caption
    assert "The shipped tf-binding_deepbind (20,000 sequences): test AUROC 0.975" in caption
    at.selectbox(key="arch").select(_title("basset")).run()
    at.selectbox(key="set").select("chromatin-multitask").run()
    d = defaults_for("basset", "chromatin-multitask")
    assert at.number_input(key="n").value == d.n and at.checkbox(key="exp_first").value
    assert at.number_input(key="task_balance").value == 2.0
    assert "dense_batchnorm=False" in at.info[0].value
    at.number_input(key="epochs").set_value(3).run()
    at.radio(key="preset").set_value("paper").run()           # same pair: edits are kept
    assert at.number_input(key="epochs").value == 3 and "class preset" in at.info[0].value
    at.selectbox(key="set").select("tf-binding").run()          # a pair without an entry
    assert "not measured for this pair" in at.info[0].value
    at.selectbox(key="arch").select(_title("decode")).run()
    at.selectbox(key="set").select("enhancer-4kb").run()
    assert at.checkbox(key="easier").value and not at.exception


def test_train_page_starts_a_job_shows_progress_and_cancels(open_page):
    at = open_page("train")
    assert not at.exception and not at.error
    assert not [c for c in at.checkbox if c.key == "exp_first"]   # DeepBind: no choice
    at.selectbox(key="arch").select(_title("deepstarr")).run()
    at.selectbox(key="set").select("enhancer-activity").run()
    assert at.checkbox(key="exp_first").value                     # its default: exp
    at.checkbox(key="exp_first").uncheck().run()
    at.number_input(key="n").set_value(2000).run()
    at.number_input(key="epochs").set_value(200).run()
    at.number_input(key="patience").set_value(0).run()
    at.number_input(key="lr_plateau").set_value(2).run()
    at.button(key="start").click().run()
    assert not at.exception and not at.error
    job_id = at.session_state["watch_job"]
    manager = get_manager()
    spec = manager._get(job_id).spec
    config = spec.config
    assert (config.epochs, config.patience, config.lr_plateau) == (200, None, 2)
    assert (spec.model, spec.overrides) == ("deepstarr", {"conv_widths": [19, 3, 7, 3]})
    deadline = time.time() + 60
    while manager.status(job_id).state != "running" or not manager.status(job_id).history["step"]:
        assert time.time() < deadline, manager.status(job_id)
        time.sleep(0.2)
    at.run()
    table = at.dataframe[0].value
    assert table.set_index("job").loc[job_id, "state"] == "running"
    assert at.selectbox(key="watch_pick").value == job_id
    assert len(at.get("progress")) == 1  # the progress bar of the watched job
    at.button(key=f"cancel_{job_id}").click().run()
    status = manager.wait(job_id, timeout=60)
    assert status.state == "cancelled"
    at.run()
    assert at.dataframe[0].value.set_index("job").loc[job_id, "state"] == "cancelled"


def test_a_default_job_becomes_active_a_double_click_is_refused_the_newest_is_watched(
        open_page, one_thread):
    at = open_page("train")
    at.button(key="start").click().run()                           # deepbind's defaults
    job_id = at.session_state["watch_job"]
    at.button(key="start").click().run()                           # the same, again
    assert "is already queued" in at.error[0].value or "is already running" in at.error[0].value
    manager = get_manager()
    assert manager.job_ids(at.session_state["_owner"]) == [job_id]
    status = manager.wait(job_id, timeout=120)
    assert status.state == "finished" and status.report.test_metrics["auroc_mean"] > 0.9
    at.run()                                                       # no active model: use it
    assert at.session_state["active_model_request"] == status.checkpoint
    assert "is now the active model (test AUROC 0.9" in at.success[0].value
    at.number_input(key="train_seed").set_value(1).run()
    at.button(key="start").click().run()                           # a second job: watched
    second = at.session_state["watch_job"]
    assert second != job_id and at.selectbox(key="watch_pick").value == second
    at.button(key=f"cancel_{second}").click().run()
    assert manager.wait(second, timeout=60).state == "cancelled"


def test_a_worse_model_does_not_replace_a_better_active_one(open_page, one_thread):
    at = open_page("train", model="tf-binding_deepbind")           # test AUROC 0.975
    at.number_input(key="n").set_value(500).run()
    at.number_input(key="epochs").set_value(1).run()
    at.button(key="start").click().run()
    job_id = at.session_state["watch_job"]
    status = get_manager().wait(job_id, timeout=60)
    at.run()
    assert "active_model_request" not in at.session_state
    warning = at.warning[0].value
    assert ("finished with test AUROC 0." in warning and "against 0.975 for the active model "
            "on the same data (tf-binding): the active model was kept" in warning)
    at.button(key=f"use_{job_id}").click().run()                   # "Use it anyway"
    assert at.session_state["active_model_request"] == status.checkpoint


def _label(folder) -> str:
    return [k for k, v in state.available_models().items() if Path(v) == Path(folder)][0]


def test_a_finished_job_is_activated_or_offered_on_any_page(isolated_app, one_thread):
    at = AppTest.from_string(APP, default_timeout=60)
    at.session_state["_owner"] = "me"
    at.session_state[state.ACTIVE] = shipped = _label(shipped_checkpoint("tf-binding_deepbind"))
    at.run()
    assert not at.exception and not at.toast
    manager = get_manager()
    weak = manager.submit(JobSpec("deepbind", "tf-binding", n=500, owner="me",
                                  config=TrainConfig(epochs=1, num_threads=2)))
    at.run()                                     # while it runs, the sidebar polls its end
    folder = manager.wait(weak, timeout=60).checkpoint
    at.run()                                     # worse on the same data: offered
    assert at.session_state[state.ACTIVE] == shipped
    assert "the active model was kept" in at.toast[0].value
    assert "against 0.975" in at.sidebar.warning[0].value
    at.sidebar.button(key="train_offer_use").click().run()
    assert at.session_state[state.ACTIVE] == _label(folder) and not at.sidebar.warning
    other = manager.submit(JobSpec("deepbind", "long-range", n=300, owner="me",
                                   config=TrainConfig(epochs=1, num_threads=2)))
    folder = manager.wait(other, timeout=60).checkpoint
    at.run()                                     # other data: no comparison, it is used
    assert at.session_state[state.ACTIVE] == _label(folder)
    assert "finished and is now the active model" in at.toast[0].value
    at.run()                                     # nothing new: nothing shown
    assert not at.toast and not at.exception


def test_all_gpus_is_offered_only_with_several_and_runs_a_group_job(open_page, monkeypatch):
    """With one device nothing changes; with several GPUs "All N GPUs" queues a job on N
    processes (DDP through torchrun; here the processes train on the CPU with gloo)."""
    at = open_page("train")
    assert not [c for c in at.checkbox if c.key == "all_gpus"]
    monkeypatch.setattr("regviz.devices.gpu_count", lambda: 2)
    at = open_page("train")
    assert at.checkbox(key="all_gpus").label == "All 2 GPUs (data-parallel)"
    at.checkbox(key="all_gpus").check().run()
    at.number_input(key="n").set_value(20000).run()
    at.number_input(key="epochs").set_value(50).run()
    at.button(key="start").click().run()
    assert not at.exception and not at.error
    job_id = at.session_state["watch_job"]
    manager = get_manager()
    assert manager._get(job_id).spec.processes == 2
    deadline = time.time() + 120
    while not manager.status(job_id).history["step"]:
        assert time.time() < deadline and not manager.status(job_id).done, \
            manager.status(job_id)
        time.sleep(0.5)
    assert "2 processes (gloo)" in manager.status(job_id).report.device
    at.button(key=f"cancel_{job_id}").click().run()
    assert manager.wait(job_id, timeout=60).state == "cancelled"
