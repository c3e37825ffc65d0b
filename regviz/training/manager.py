"""Background training jobs: one thread per device, progress, cancel, errors kept.

`JobManager.submit` queues a `regviz.training.jobs.JobSpec` on its device; each device
runs one job at a time in a daemon thread, the others wait with state "queued". The
worker only writes into lock-protected job records; readers (`status`, `jobs`) get
snapshots, so any number of browser tabs can poll one job. A job belongs to the session
that submitted it (``spec.owner``): only that session may cancel it, and it cannot queue
a second job with the same spec while the first is queued or running (`DuplicateJobError`:
a double click must not train twice). The newest
`regviz.limits.MAX_FINISHED_JOBS` finished jobs are kept. While a CPU job runs, torch
uses `regviz.threads.budget` threads, so analyses a user waits for keep their share of
the cores. `get_manager()` is the process-wide manager, so a job outlives page reruns.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import threading
import time
import traceback as tb
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from regviz import devices, limits, models, threads
from regviz.data.dataset import Dataset
from regviz.errors import RegvizError
from regviz.training import group_job
from regviz.training.jobs import JobError, JobSpec, check_writable, preflight, run_job, runs_root
from regviz.training.loop import ProgressReport, TrainConfigError

STATES = ("queued", "running", "finished", "failed", "cancelled")
DONE = ("finished", "failed", "cancelled")


class DuplicateJobError(JobError):
    """The same session already has a queued or running job with the same spec."""


def same_spec(a: JobSpec, b: JobSpec) -> bool:
    """True when two specs train the same thing for the same owner (a `Dataset` is
    compared by name, labels and sequences; everything else field by field)."""
    for f in dataclasses.fields(JobSpec):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, Dataset) or isinstance(y, Dataset):
            if not (isinstance(x, Dataset) and isinstance(y, Dataset) and (x is y or (
                    x.name == y.name and x.task_names == y.task_names and x.seqs == y.seqs
                    and np.array_equal(x.y, y.y)))):
                return False
        elif x != y:
            return False
    return True


@dataclass
class JobStatus:
    """A snapshot of one job (safe to keep; later progress does not change it).

    Attributes
    ----------
    job_id, label : str
    state : str
        "queued", "running", "finished", "failed" or "cancelled".
    device : str
        Queue the job is on ("cpu", "cuda:0", "mps").
    message : str
        One readable line (queue position, latest progress, or the error).
    error, traceback : str or None
        For failed jobs: the readable message and, for unexpected errors, the trace.
    report : ProgressReport or None
        Latest report.
    history : dict
        ``{"step": [...], "train_loss": [...]}`` per step and ``"epochs"``: one
        flat dict per validation (epoch, step, train_loss, valid_loss, valid_<metric>...).
    submitted, started, finished : float or None
        ``time.time()`` stamps.
    queue_position : int or None
        1 = next to run.
    checkpoint : str or None
        Folder written by a finished job.
    step_at_cancel : int or None
        Step count published when cancel was requested.
    owner : str or None
        The session that submitted it (``spec.owner``).
    """

    job_id: str
    label: str
    state: str
    device: str
    message: str = ""
    error: str | None = None
    traceback: str | None = None
    report: ProgressReport | None = None
    history: dict = field(default_factory=lambda: {"step": [], "train_loss": [], "epochs": []})
    submitted: float = 0.0
    started: float | None = None
    finished: float | None = None
    queue_position: int | None = None
    checkpoint: str | None = None
    step_at_cancel: int | None = None
    owner: str | None = None

    @property
    def done(self) -> bool:
        return self.state in DONE

    @property
    def fraction(self) -> float:
        if self.state == "finished":
            return 1.0
        return self.report.fraction if self.report is not None else 0.0


class _Job:
    def __init__(self, job_id, spec, key):
        self.spec, self.stop = spec, threading.Event()
        self.status = JobStatus(job_id, spec.label, "queued", key, submitted=time.time(),
                                owner=spec.owner)

    def update(self, rep: ProgressReport) -> None:
        st = self.status
        st.report, st.message = rep, rep.message
        if rep.phase == "train":
            st.history["step"].append(rep.step)
            st.history["train_loss"].append(rep.train_loss)
        elif rep.phase == "validate":
            row = {"epoch": rep.epoch, "step": rep.step, "train_loss": rep.train_loss}
            row.update({f"valid_{k}": v for k, v in rep.valid_metrics.items()
                        if isinstance(v, float)})
            st.history["epochs"].append(row)
        if rep.checkpoint:
            st.checkpoint = rep.checkpoint

    def snapshot(self, max_points: int | None = None) -> JobStatus:
        """A copy of the status; the per-step curve thinned to at most ``max_points``
        (evenly, the last step kept; None: all; 0: none)."""
        h = self.status.history
        steps, losses = h["step"], h["train_loss"]
        if max_points is not None and len(steps) > max_points:
            keep = sorted({round(i * (len(steps) - 1) / max(max_points - 1, 1))
                           for i in range(max_points)}) if max_points else []
            steps, losses = [steps[i] for i in keep], [losses[i] for i in keep]
        return dataclasses.replace(self.status, history={
            "step": list(steps), "train_loss": list(losses), "epochs": list(h["epochs"])})


class JobManager:
    """Runs training jobs in background threads, one at a time per device.

    Parameters
    ----------
    root : str or Path, optional
        Where finished jobs write checkpoint folders (default `runs_root()`)
        unless a spec names its own ``out`` folder.
    """

    def __init__(self, root=None):
        self.root = Path(root) if root else None
        self._lock = threading.Condition()
        self._jobs: dict[str, _Job] = {}
        self._queues: dict[str, deque] = {}
        self._workers: dict[str, threading.Thread] = {}
        self._ids = itertools.count(1)

    def submit(self, spec: JobSpec) -> str:
        """Queue a job on its device; returns its id. Bad settings raise here, and so does
        a spec equal to a queued or running job's (`DuplicateJobError`)."""
        if not isinstance(spec, JobSpec):
            raise TrainConfigError(f"submit needs a JobSpec. Got {type(spec).__name__} instead.")
        spec.config.validate()
        if isinstance(spec.processes, bool) or not isinstance(spec.processes, int) or \
                spec.processes < 1:
            raise TrainConfigError(f"JobSpec.processes must be 1 or more. Got "
                                   f"{spec.processes!r} instead.")
        if spec.config.batch_size % spec.processes:
            raise TrainConfigError(f"The batch size ({spec.config.batch_size}) is shared by "
                                   f"{spec.processes} processes: use a multiple of "
                                   f"{spec.processes}.")
        models.get_entry(spec.model)
        preflight(spec)
        check_writable(Path(spec.out).parent if spec.out else (self.root or runs_root()))
        key = devices.device_key(devices.pick_device(spec.config.device))
        with self._lock:
            for other in self._jobs.values():
                if not other.status.done and same_spec(other.spec, spec):
                    raise DuplicateJobError(
                        f"The same training ({spec.label}, same settings) is already "
                        f"{other.status.state} as {other.status.job_id}; change a setting "
                        "or cancel that job to train again.")
            job_id = f"job{next(self._ids)}"
            self._jobs[job_id] = job = _Job(job_id, spec, key)
            self._queues.setdefault(key, deque()).append(job)
            self._describe_queue(key)
            if key not in self._workers:
                worker = threading.Thread(target=self._work, args=(key,), daemon=True,
                                          name=f"regviz-train-{key}")
                self._workers[key] = worker
                worker.start()
            self._lock.notify_all()
        return job_id

    def _describe_queue(self, key: str) -> None:
        running = [j for j in self._jobs.values()
                   if j.status.device == key and j.status.state == "running"]
        ahead = f"job {running[0].status.job_id} is running" if running else "starting"
        for pos, job in enumerate(self._queues.get(key, ()), start=1):
            job.status.queue_position = pos
            job.status.message = (f"Queued on {key}: {ahead}; position {pos} in the queue "
                                  "(one job per device at a time).")

    def _work(self, key: str) -> None:
        while True:
            with self._lock:
                queue = self._queues.get(key)
                if not queue:
                    self._workers.pop(key, None)
                    return
                job = queue.popleft()
                job.status.state, job.status.started = "running", time.time()
                job.status.queue_position, job.status.message = None, "Starting ..."
                self._describe_queue(key)
                self._lock.notify_all()
            self._run(job, on_cpu=key.startswith("cpu"))

    def _run(self, job: _Job, on_cpu: bool = True) -> None:
        last = None
        share = threads.background_job() if on_cpu else contextlib.nullcontext()
        try:
            with share:       # a CPU job leaves the foreground its share of the cores
                n = job.spec.processes
                reports = run_job(job.spec, stop=job.stop, root=self.root) if n == 1 else \
                    group_job.run_job_in_group(job.spec, n, stop=job.stop, root=self.root)
                for rep in reports:
                    last = rep
                    with self._lock:
                        job.update(rep)
                        self._lock.notify_all()
            state, error, trace = ("cancelled" if last and last.phase == "cancelled"
                                   else "finished"), None, None
        except RegvizError as exc:
            state, error, trace = "failed", str(exc), None
        except Exception as exc:  # noqa: BLE001 - a bug must not kill the worker silently
            state, error, trace = "failed", f"{type(exc).__name__}: {exc}", tb.format_exc()
        with self._lock:
            st = job.status
            st.state, st.finished, st.error, st.traceback = state, time.time(), error, trace
            if error:
                st.message = f"Failed: {error}"
            job.spec = dataclasses.replace(job.spec, dataset=job.spec.dataset_name)
            self._evict()
            self._lock.notify_all()

    def status(self, job_id: str, max_points: int | None = None) -> JobStatus:
        """A snapshot of the job's state, latest report and loss/metric history (the
        per-step curve thinned to ``max_points`` for display)."""
        with self._lock:
            return self._get(job_id).snapshot(max_points)

    def owner(self, job_id: str) -> str | None:
        with self._lock:
            return self._get(job_id).spec.owner

    def may_control(self, job_id: str, owner: str | None) -> bool:
        """True when ``owner`` submitted the job (or the job has no owner, or the server
        sets ``REGVIZ_JOBS_ADMIN=1``)."""
        job_owner = self.owner(job_id)
        return job_owner is None or job_owner == owner or os.environ.get(
            "REGVIZ_JOBS_ADMIN") == "1"

    def _get(self, job_id: str) -> _Job:
        if job_id not in self._jobs:
            raise JobError(f"No training job {job_id!r}; known jobs: "
                           f"{', '.join(self._jobs) or 'none'}.")
        return self._jobs[job_id]

    def cancel(self, job_id: str, owner: str | None = None) -> JobStatus:
        """Stop a job: a queued one at once, a running one within one batch. Only the
        session that submitted it may (`may_control`)."""
        if not self.may_control(job_id, owner):
            raise JobError(f"Job {job_id} was started by another session; only that session "
                           "can cancel it.")
        with self._lock:
            job = self._get(job_id)
            st = job.status
            if st.state == "queued":
                self._queues[st.device].remove(job)
                st.state, st.finished, st.queue_position = "cancelled", time.time(), None
                st.message = "Cancelled before it started."
                self._describe_queue(st.device)
            elif st.state == "running" and not job.stop.is_set():
                job.stop.set()
                st.step_at_cancel = st.report.step if st.report else 0
                st.message = "Cancelling: stopping after the current batch ..."
            self._lock.notify_all()
            return job.snapshot()

    def job_ids(self, owner: str | None = None, states=STATES) -> list[str]:
        """Ids of the jobs kept, oldest first, of one owner (None: every job) in the given
        states; cheap (no snapshot), for polling."""
        with self._lock:
            return [k for k, j in self._jobs.items() if j.status.state in states
                    and (owner is None or j.spec.owner == owner)]

    def jobs(self) -> list[JobStatus]:
        """Snapshots of every job kept, oldest first (without their per-step curves)."""
        with self._lock:
            return [j.snapshot(max_points=0) for j in self._jobs.values()]

    def _evict(self) -> None:
        """Keep the newest `regviz.limits.MAX_FINISHED_JOBS` finished jobs."""
        done = [k for k, j in self._jobs.items() if j.status.done]
        for k in done[:max(len(done) - limits.MAX_FINISHED_JOBS, 0)]:
            del self._jobs[k]

    def wait(self, job_id: str, timeout: float | None = None) -> JobStatus:
        """Block until the job is finished, failed or cancelled (or ``timeout`` s pass)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while not self._get(job_id).status.done:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._lock.wait(left)
            return self._get(job_id).snapshot()


_MANAGER: JobManager | None = None


_MANAGER_LOCK = threading.Lock()


def get_manager() -> JobManager:
    """The process-wide JobManager (created on first use)."""
    global _MANAGER
    with _MANAGER_LOCK:
        if _MANAGER is None:
            _MANAGER = JobManager()
        return _MANAGER
