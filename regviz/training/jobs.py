"""Background training jobs: one thread per device, progress, cancel, errors kept.

A `JobSpec` says what to train (zoo model, preset, overrides), on what (a
synthetic set by name, a user data file, or a `Dataset`), how (`TrainConfig`)
and where to write the checkpoint. `JobManager.submit` queues it on its device;
each device runs one job at a time in a daemon thread, the others wait with
state "queued". The worker only writes into lock-protected job records; readers
(`status`, `jobs`) get snapshots, so any number of browser tabs can poll one job.
`get_manager()` is the process-wide manager, so a job outlives page reruns.

`run_job(spec)` is the same work without threads (used by the workers and by
``python -m regviz.train``): prepare data, build, train, save a checkpoint.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import threading
import time
import traceback as tb
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import torch

from regviz import checkpoints, devices, models, simulate
from regviz.data.dataset import Dataset
from regviz.data.files import load_dataset
from regviz.errors import DataFormatError, RegvizError
from regviz.training import metrics
from regviz.training.loop import ProgressReport, TrainConfig, TrainConfigError, train

STATES = ("queued", "running", "finished", "failed", "cancelled")
DONE = ("finished", "failed", "cancelled")


class JobError(RegvizError, LookupError):
    """No job has the given id."""


def runs_root() -> Path:
    """Where finished jobs write checkpoints: ``$REGVIZ_RUNS``, else ``runs/``."""
    return Path(os.environ.get("REGVIZ_RUNS") or "runs")


@dataclass
class JobSpec:
    """What to train, on what, how, and where to save it.

    Attributes
    ----------
    model : str
        Registry name (`regviz.models.list_models`).
    dataset : str or Dataset
        A synthetic set name (`regviz.simulate.list_datasets`), a path to a
        user data file (`regviz.data.load_dataset`), or a Dataset.
    preset : str
        "class" or "paper".
    overrides : dict
        Model settings to change (``regviz.models.build(**overrides)``).
    n, dataset_seed, noise, dataset_options
        Synthetic sets only: ``make_dataset(dataset, n, dataset_seed, noise,
        **dataset_options)``; ``dataset_seed=None`` uses ``config.seed``.
    config : TrainConfig
    out : str or Path or None
        Checkpoint folder; None: ``<root>/<model>-<dataset>-<time>``.
    name : str or None
        Label shown in job lists (default "model on dataset").
    """

    model: str
    dataset: object
    preset: str = "class"
    overrides: dict = field(default_factory=dict)
    n: int = 2000
    dataset_seed: int | None = None
    noise: bool = True
    dataset_options: dict = field(default_factory=dict)
    config: TrainConfig = field(default_factory=TrainConfig)
    out: str | Path | None = None
    name: str | None = None

    @property
    def dataset_name(self) -> str:
        return self.dataset.name if isinstance(self.dataset, Dataset) else Path(
            str(self.dataset)).name

    @property
    def label(self) -> str:
        return self.name or f"{self.model} ({self.preset}) on {self.dataset_name}"


def load_data(spec: JobSpec):
    """The spec's Dataset and, for synthetic sets, the recipe that rebuilds it."""
    if isinstance(spec.dataset, Dataset):
        return spec.dataset, None
    if not isinstance(spec.dataset, (str, Path)):
        raise DataFormatError(f"JobSpec.dataset must be a synthetic set name, a file path or a "
                              f"Dataset. Got {type(spec.dataset).__name__} instead.")
    name = str(spec.dataset)
    if name in simulate.list_datasets():
        seed = spec.config.seed if spec.dataset_seed is None else spec.dataset_seed
        kwargs = {"name": name, "n": spec.n, "seed": seed, "noise": spec.noise,
                  **spec.dataset_options}
        recipe = {"function": "regviz.simulate.make_dataset", "kwargs": kwargs,
                  "generator_version": simulate.GENERATOR_VERSION}
        return simulate.make_dataset(**kwargs), recipe
    if Path(name).is_file():
        return load_dataset(name), None
    raise DataFormatError(f"Unknown dataset {name!r}: not a synthetic set "
                          f"({', '.join(simulate.list_datasets())}) and not an existing file.")


def build_for_dataset(model: str, dataset: Dataset, preset: str = "class",
                      overrides: dict | None = None):
    """A zoo model sized for ``dataset``: its length, number of tasks and task kind.

    Per-bp tracks of the dataset become DECODE's ``extra_channels``; other
    models read DNA only and refuse a dataset with tracks.
    """
    overrides = dict(overrides or {})
    if dataset.tracks is not None:
        fields = models.get_entry(model).config_class.setting_names()
        if "extra_channels" not in fields:
            raise TrainConfigError(
                f"{model} reads DNA only (4 channels), but {dataset.name} carries "
                f"{len(dataset.track_names)} track(s) ({', '.join(dataset.track_names)}). "
                "Use decode, or a dataset without tracks.")
        overrides.setdefault("extra_channels", int(dataset.tracks.shape[1]))
    return models.build(model, dataset.length, len(dataset.task_names), preset=preset,
                        output_kind=dataset.task_kind, **overrides)


def preflight(spec: JobSpec) -> None:
    """Build the spec's model for its data on the meta device (no memory, milliseconds),
    so a model that does not fit the data fails at submit, not minutes later.

    Synthetic sets are checked on a 10-sequence version; files are read in the job."""
    if isinstance(spec.dataset, Dataset):
        dataset = spec.dataset
    elif str(spec.dataset) in simulate.list_datasets():
        dataset = simulate.make_dataset(str(spec.dataset), 10, 0, spec.noise,
                                        **spec.dataset_options)
    else:
        return
    with torch.device("meta"):
        build_for_dataset(spec.model, dataset, spec.preset, spec.overrides)


def _new_folder(root: Path, stem: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for k in itertools.count(1):
        folder = root / (stem if k == 1 else f"{stem}-{k}")
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue


def run_job(spec: JobSpec, stop: threading.Event | None = None, root=None):
    """Prepare data, build the model, train it, save a checkpoint; yields ProgressReports.

    The last report is "cancelled" or "done" (with ``checkpoint`` set to the
    folder written). Errors propagate (RegvizError subclasses for bad input,
    `regviz.training.TrainingFailed` for a NaN loss or out-of-memory).
    """
    cfg = spec.config
    cfg.validate()
    where = devices.describe(devices.pick_device(cfg.device))
    yield ProgressReport("prepare", 0, 0, 0, message=f"Preparing {spec.dataset_name} ...",
                         device=where)
    dataset, recipe = load_data(spec)
    torch.manual_seed(cfg.seed)
    model = build_for_dataset(spec.model, dataset, spec.preset, spec.overrides)
    if stop is not None and stop.is_set():
        yield ProgressReport("cancelled", 0, 0, 0, message="Cancelled before training.",
                             device=where)
        return
    for report in train(model, dataset, cfg, stop=stop):
        if report.phase != "done":
            yield report
            continue
        stamp = time.strftime("%Y%m%d-%H%M%S")
        stem = f"{spec.model}-{dataset.name}-{stamp}".replace("/", "_").replace(" ", "_")
        folder = Path(spec.out) if spec.out else _new_folder(
            Path(root) if root else runs_root(), stem)
        training = {**cfg.to_dict(), "epochs_run": report.epoch, "steps": report.step,
                    "best_epoch": report.best_epoch, "stopped_early": report.stopped_early,
                    "monitor": report.monitor, "optimizer": "Adam",
                    "loss": metrics.loss_name(dataset.task_kind, cfg.task_balance),
                    "overrides": dict(spec.overrides)}
        card = checkpoints.make_card(
            model, dataset, training=training, device=report.device,
            duration_s=report.elapsed, test_metrics=report.test_metrics,
            valid_metrics=report.best_metrics, recipe=recipe, name=folder.name)
        checkpoints.save(model, card, folder)
        yield dataclasses.replace(report, checkpoint=str(folder),
                                  message=f"{report.message} Saved to {folder}.")


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
        self.status = JobStatus(job_id, spec.label, "queued", key, submitted=time.time())

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

    def snapshot(self) -> JobStatus:
        h = self.status.history
        return dataclasses.replace(self.status, history={k: list(v) for k, v in h.items()})


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
        """Queue a job on its device; returns its id. Bad settings raise here."""
        if not isinstance(spec, JobSpec):
            raise TrainConfigError(f"submit needs a JobSpec. Got {type(spec).__name__} instead.")
        spec.config.validate()

        models.get_entry(spec.model)
        preflight(spec)
        key = devices.device_key(devices.pick_device(spec.config.device))
        with self._lock:
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
            self._run(job)

    def _run(self, job: _Job) -> None:
        last = None
        try:
            for rep in run_job(job.spec, stop=job.stop, root=self.root):
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
            self._lock.notify_all()

    def status(self, job_id: str) -> JobStatus:
        """A snapshot of the job's state, latest report and loss/metric history."""
        with self._lock:
            return self._get(job_id).snapshot()

    def _get(self, job_id: str) -> _Job:
        if job_id not in self._jobs:
            raise JobError(f"No training job {job_id!r}; known jobs: "
                           f"{', '.join(self._jobs) or 'none'}.")
        return self._jobs[job_id]

    def cancel(self, job_id: str) -> JobStatus:
        """Stop a job: a queued one at once, a running one within one batch."""
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

    def jobs(self) -> list[JobStatus]:
        """Snapshots of every job, oldest first."""
        with self._lock:
            return [j.snapshot() for j in self._jobs.values()]

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
