"""Background jobs: finish with a checkpoint, cancel within a batch, failures, queueing."""

import dataclasses
import time

import numpy as np
import pytest
import torch
from torch import nn

from regviz import checkpoints, limits
from regviz.data import Dataset, random_splits
from regviz.errors import ModelConfigError
from regviz.training import (DuplicateJobError, JobError, JobManager, JobSpec, TrainConfig,
                             TrainConfigError, get_manager, jobs)


def spec(**kw):
    cfg = {"epochs": 1, "batch_size": 32, "lr": 1e-2, "num_threads": 1, "device": "cpu",
           **kw.pop("config", {})}
    return JobSpec(**{"model": "deepbind", "dataset": "tf-binding", "n": 200,
                      "overrides": {"n_filters": 4}, "config": TrainConfig(**cfg), **kw})


def long_spec(**kw):
    # ~100,000 steps: runs until cancelled
    return spec(config={"epochs": 10_000, "batch_size": 16, "patience": None}, **kw)


def wait_for(manager, job_id, predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = manager.status(job_id)
        if predicate(st):
            return st
        time.sleep(0.01)
    raise AssertionError(f"timed out; last status {manager.status(job_id)}")


def test_finished_job_writes_checkpoint_and_keeps_history(tmp_path):
    manager = JobManager(root=tmp_path)
    job_id = manager.submit(spec(config={"epochs": 2}))
    st = manager.wait(job_id, timeout=120)
    assert st.state == "finished", st.error
    assert st.done and st.fraction == 1.0 and st.error is None
    assert st.report.phase == "done" and st.report.test_metrics["n"] == 20
    assert st.history["step"] == list(range(1, 11)) and len(st.history["train_loss"]) == 10
    assert [row["epoch"] for row in st.history["epochs"]] == [1, 2]
    assert {"valid_loss", "valid_auroc_mean", "train_loss"} <= set(st.history["epochs"][0])
    folder = tmp_path / st.checkpoint.split("/")[-1]
    assert str(folder) == st.checkpoint and folder.name.startswith("deepbind-tf-binding-")
    _, card = checkpoints.load(folder)
    assert card.training["steps"] == 10 and card.device.startswith("CPU")
    assert card.metrics["test"] == st.report.test_metrics  # JSON keeps floats exactly
    assert [p for p, _ in checkpoints.list_checkpoints(tmp_path)] == [folder]


def test_cancel_stops_within_one_batch(tmp_path):
    manager = JobManager(root=tmp_path)
    job_id = manager.submit(long_spec())
    wait_for(manager, job_id, lambda s: s.report is not None and s.report.step >= 3)
    asked = manager.cancel(job_id)
    assert asked.message.startswith("Cancelling")
    st = manager.wait(job_id, timeout=60)
    assert st.state == "cancelled" and st.checkpoint is None
    assert st.report.phase == "cancelled"
    assert st.report.step - st.step_at_cancel <= 1  # at most the batch in flight
    assert st.history["step"][-1] == st.report.step
    assert list(tmp_path.iterdir()) == []  # a cancelled job writes nothing


def test_second_job_on_a_device_queues(tmp_path):
    manager = JobManager(root=tmp_path)
    first = manager.submit(long_spec())
    second = manager.submit(spec())
    st2 = manager.status(second)
    assert st2.state == "queued" and st2.queue_position in (1, 2)
    wait_for(manager, first, lambda s: s.state == "running")
    st2 = manager.status(second)
    assert st2.state == "queued" and st2.queue_position == 1
    assert st2.message == ("Queued on cpu: job job1 is running; position 1 in the queue (one "
                           "job per device at a time).")
    third = manager.submit(spec(config={"seed": 1}))
    assert manager.cancel(third).state == "cancelled"  # a queued job is cancelled at once
    manager.cancel(first)
    assert manager.wait(second, timeout=120).state == "finished"
    states = {s.job_id: s.state for s in manager.jobs()}
    assert states == {"job1": "cancelled", "job2": "finished", "job3": "cancelled"}


def test_failing_jobs_keep_readable_messages(tmp_path, monkeypatch):
    manager = JobManager(root=tmp_path)
    # a model that does not fit the data is refused at submit (meta-device preflight)
    with pytest.raises(ModelConfigError, match=r"deepbind needs at least 500 bp; got "
                                               r"input_length=101\."):
        manager.submit(spec(overrides={"filter_width": 500}))
    assert manager.jobs() == []
    # a regviz error inside the job (a data file that is not there) is kept as its message
    bad = manager.submit(spec(dataset=str(tmp_path / "missing.fa")))
    st = manager.wait(bad, timeout=60)
    assert st.state == "failed" and st.traceback is None
    assert st.error.startswith("Unknown dataset ") and "missing.fa" in st.error
    assert st.message == f"Failed: {st.error}"
    # a NaN loss becomes a readable failure, not a dead thread
    nan = manager.submit(spec(config={"lr": 1e20}))
    st = manager.wait(nan, timeout=60)
    assert st.state == "failed"
    assert "step 2: the loss became" in st.error and "learning rate (lr=1e+20)" in st.error
    # an unexpected exception: type, message and traceback are kept; the worker lives on
    def boom(*args, **kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr(jobs, "train", boom)
    st = manager.wait(manager.submit(spec()), timeout=60)
    assert st.state == "failed" and st.error == "RuntimeError: boom"
    assert "Traceback" in st.traceback and "boom" in st.traceback
    monkeypatch.undo()
    assert manager.wait(manager.submit(spec()), timeout=120).state == "finished"


def test_injected_nan_in_a_dataset_job(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 30)) for _ in range(100)]
    ds = Dataset("mine", seqs, rng.integers(0, 2, 100), ["t"], "binary",
                 splits=random_splits(100, 0))

    class NaNModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(120, 1)

        def forward(self, x):
            return self.lin(x.flatten(1)) * (float("nan") if self.training else 1.0)

    monkeypatch.setattr(jobs, "build_for_dataset", lambda *a, **k: NaNModel())
    manager = JobManager(root=tmp_path)
    st = manager.wait(manager.submit(spec(dataset=ds)), timeout=60)
    assert st.state == "failed" and "epoch 1, step 1: the loss became NaN" in st.error
    assert st.label == "deepbind (class) on mine"


def test_snapshots_errors_and_singleton(tmp_path):
    manager = JobManager(root=tmp_path)
    job_id = manager.submit(long_spec())
    snap = wait_for(manager, job_id, lambda s: len(s.history["step"]) >= 2)
    n_before = len(snap.history["step"])
    wait_for(manager, job_id, lambda s: len(s.history["step"]) >= n_before + 3)
    assert len(snap.history["step"]) == n_before  # a snapshot never changes afterwards
    manager.cancel(job_id)
    manager.wait(job_id, timeout=60)
    with pytest.raises(JobError, match=r"No training job 'nope'; known jobs: job1\."):
        manager.status("nope")
    with pytest.raises(ModelConfigError, match="Unknown model 'deepbnd'. Did you mean "
                                               "'deepbind'"):
        manager.submit(spec(model="deepbnd"))
    assert get_manager() is get_manager()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_job_uses_mixed_precision(tmp_path):  # pragma: no cover - GPU machines only
    manager = JobManager(root=tmp_path)
    st = manager.wait(manager.submit(spec(config={"device": "cuda", "epochs": 2})), timeout=300)
    assert st.state == "finished", st.error
    assert st.device.startswith("cuda:") and "mixed precision" in st.report.device


def test_only_the_submitting_session_cancels_its_job(tmp_path, monkeypatch):
    manager = JobManager(root=tmp_path)
    job_id = manager.submit(long_spec(owner="alice"))
    wait_for(manager, job_id, lambda s: s.state == "running")
    with pytest.raises(JobError, match="started by another session; only that session"):
        manager.cancel(job_id, owner="bob")
    assert manager.status(job_id).state == "running"
    assert not manager.may_control(job_id, "bob") and manager.may_control(job_id, "alice")
    monkeypatch.setenv("REGVIZ_JOBS_ADMIN", "1")          # a teacher's own server
    assert manager.may_control(job_id, "bob")
    monkeypatch.delenv("REGVIZ_JOBS_ADMIN")
    assert manager.cancel(job_id, owner="alice").message.startswith("Cancelling")
    assert manager.wait(job_id, timeout=60).state == "cancelled"


def test_curves_are_thinned_for_display_and_old_jobs_are_dropped(tmp_path, monkeypatch):
    manager = JobManager(root=tmp_path)
    job_id = manager.submit(spec(config={"epochs": 3, "batch_size": 8}))
    full = manager.wait(job_id, timeout=120)
    assert len(full.history["step"]) == 60
    thin = manager.status(job_id, max_points=7)
    assert len(thin.history["step"]) == 7 and thin.history["step"][-1] == 60
    assert thin.history["step"][0] == 1 and thin.history["epochs"] == full.history["epochs"]
    assert manager.jobs()[0].history["step"] == []           # the job table needs no curve
    monkeypatch.setattr(limits, "MAX_FINISHED_JOBS", 1)
    second = manager.submit(spec())
    manager.wait(second, timeout=120)
    assert [j.job_id for j in manager.jobs()] == [second]


def test_an_unwritable_runs_folder_is_refused_at_submit(tmp_path):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    manager = JobManager(root=blocked / "runs")
    with pytest.raises(JobError, match=r"Cannot write checkpoints to .*runs.*Set REGVIZ_RUNS"):
        manager.submit(spec())
    assert manager.jobs() == []


def test_a_model_that_cannot_be_saved_is_kept_and_the_error_says_where(tmp_path, monkeypatch):
    real_save = checkpoints.save

    def full_disk(model, card, folder):
        if "rescued" not in str(folder):
            raise OSError(28, "No space left on device")
        return real_save(model, card, folder)

    monkeypatch.setattr(jobs.checkpoints, "save", full_disk)
    manager = JobManager(root=tmp_path)
    st = manager.wait(manager.submit(spec()), timeout=120)
    assert st.state == "failed"
    assert "could not save the checkpoint" in st.error and "No space left on device" in st.error
    rescued = st.error.split("was kept in ")[1].split(":")[0]
    model, card = checkpoints.load(rescued)
    assert card.registry_name == "deepbind"


def test_the_same_job_twice_is_refused_while_the_first_is_queued_or_running(tmp_path):
    manager = JobManager(root=tmp_path)
    first = manager.submit(long_spec(owner="alice"))
    with pytest.raises(DuplicateJobError, match=r"The same training \(deepbind \(class\) on "
                                                r"tf-binding, same settings\) is already "
                                                r"(queued|running) as job1"):
        manager.submit(long_spec(owner="alice"))                 # a double click
    queued = manager.submit(spec(owner="alice"))
    with pytest.raises(DuplicateJobError, match="already queued as job2"):
        manager.submit(spec(owner="alice"))
    other = manager.submit(long_spec(owner="bob"))                # another session may
    seeded = manager.submit(spec(owner="alice", config={"seed": 1}))  # another setting
    ds = Dataset("mine", ["ACGT" * 10] * 20, np.arange(20) % 2, ["t"], "binary",
                 splits=random_splits(20, 0))
    mine = manager.submit(spec(owner="alice", dataset=ds))
    with pytest.raises(DuplicateJobError):                        # equal data, new object
        manager.submit(spec(owner="alice", dataset=Dataset(
            "mine", list(ds.seqs), ds.y.copy(), ["t"], "binary", splits=ds.splits)))
    assert manager.job_ids("alice") == [first, queued, seeded, mine]
    assert manager.job_ids(states=("queued",)) == [queued, other, seeded, mine]
    for job_id in (seeded, mine, other, queued, first):
        manager.cancel(job_id, owner=manager.owner(job_id))
    assert manager.wait(first, timeout=60).state == "cancelled"
    assert manager.status(first).owner == "alice"
    assert manager.job_ids("alice", ("finished", "failed")) == []
    again = manager.submit(long_spec(owner="alice"))              # once it ended: allowed
    manager.cancel(again, owner="alice")
    assert manager.wait(again, timeout=60).state == "cancelled"


def test_a_cpu_job_leaves_the_foreground_its_share_of_the_cores(tmp_path):
    """While a CPU job runs, threads started then (each page run) use
    `regviz.threads.budget`; when it ends they get every core again."""
    import threading

    from regviz import threads

    def new_thread_threads():
        seen = []
        t = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
        t.start()
        t.join()
        return seen[0]

    before = torch.get_num_threads()
    torch.set_num_threads(4)                    # the process's threads before the job
    try:
        manager = JobManager(root=tmp_path)
        job_id = manager.submit(spec(config={"epochs": 10_000, "batch_size": 16,
                                             "patience": None, "num_threads": None}))
        wait_for(manager, job_id, lambda s: s.report is not None and s.report.step >= 2)
        assert threads.running_jobs() == 1 and new_thread_threads() == 2
        manager.cancel(job_id)
        manager.wait(job_id, timeout=60)
        assert threads.running_jobs() == 0 and new_thread_threads() == 4
    finally:
        torch.set_num_threads(before)


def test_a_group_job_needs_a_batch_the_processes_can_share(tmp_path):
    manager = JobManager(root=tmp_path)
    spec = JobSpec(model="deepbind", dataset="tf-binding", n=200, processes=3,
                   config=TrainConfig(epochs=1, batch_size=64, device="cpu"))
    with pytest.raises(TrainConfigError, match="multiple of 3"):
        manager.submit(spec)
    with pytest.raises(TrainConfigError, match="1 or more"):
        manager.submit(dataclasses.replace(spec, processes=0))
