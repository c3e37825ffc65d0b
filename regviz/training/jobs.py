"""What a training job is and does: `JobSpec`, and `run_job` (prepare data, build,
train, save a checkpoint), used by the app's background workers
(`regviz.training.manager`) and by ``regviz-train``.

A `JobSpec` says what to train (zoo model, preset, overrides), on what (a synthetic set
by name, a user data file, or a `Dataset`), how (`TrainConfig`) and where to write the
checkpoint. A model that cannot be saved (a full disk, a folder made read-only) is kept
in a temporary folder, and the error says where.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from regviz import checkpoints, devices, distributed, models, simulate
from regviz.data.dataset import Dataset
from regviz.data.files import load_dataset
from regviz.data.prepare import require_both_classes
from regviz.checkpoints.fields import thaw
from regviz.errors import DataFormatError, RegvizError
from regviz.training import baselines, metrics
from regviz.training.loop import (ProgressReport, TrainConfig, TrainConfigError, TrainingFailed,
                                 train)



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
    owner : str or None
        Who submitted it (the app passes its session's id): only the owner may cancel
        it or read its traceback, unless the server sets ``REGVIZ_JOBS_ADMIN=1``.
    processes : int
        1 trains in this process; N > 1 trains with DDP on N processes of this machine,
        one GPU each (`regviz.training.group_job`, what the app's "all GPUs" does).
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
    owner: str | None = None
    baselines: bool = True
    processes: int = 1

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


def check_writable(folder: Path) -> None:
    """JobError unless checkpoints can be written into ``folder`` (created if needed)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".regviz-write-test-"):
            pass
    except OSError as exc:
        raise JobError(f"Cannot write checkpoints to {folder} ({exc.strerror or exc}). "
                       "Set REGVIZ_RUNS to a writable folder, or free some disk space, "
                       "before training.") from None


def _save_or_rescue(model, card, folder: Path) -> None:
    """Save a trained model; when that fails (a full disk, a folder made read-only),
    keep the weights in a temporary folder and say where in the error."""
    try:
        checkpoints.save(model, card, folder)
        return
    except OSError as exc:
        problem = f"could not save the checkpoint to {folder} ({exc.strerror or exc})"
    try:
        rescue = Path(tempfile.mkdtemp(prefix="regviz-rescued-"))
        checkpoints.save(model, card, rescue)
    except OSError as exc:
        raise TrainingFailed(f"Training finished but {problem}, and keeping it in a "
                             f"temporary folder failed too ({exc}).") from None
    raise TrainingFailed(f"Training finished but {problem}. The trained model was kept in "
                         f"{rescue}: copy it somewhere safe (it is a normal checkpoint "
                         "folder).")


def _new_folder(root: Path, stem: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for k in itertools.count(1):
        folder = root / (stem if k == 1 else f"{stem}-{k}")
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue


def _how_split(dataset: Dataset) -> dict:
    """A user dataset's split and shuffled negatives, for its card; the random split's seed
    is the card's data seed."""
    meta = dataset.meta or {}
    how = {k: meta[k] for k in ("split", "negatives") if k in meta}
    seed = (meta.get("split") or {}).get("random", {}).get("seed")
    return {**how, "seed": seed} if meta.get("seed") is None and seed is not None else how


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
    require_both_classes(dataset)                  # positives only: a constant model
    torch.manual_seed(cfg.seed)
    model = build_for_dataset(spec.model, dataset, spec.preset, spec.overrides)
    if stop is not None and stop.is_set():
        yield ProgressReport("cancelled", 0, 0, 0, message="Cancelled before training.",
                             device=where)
        return
    group = distributed.current()              # torchrun: rank 0 alone writes the result
    for report in train(model, dataset, cfg, stop=stop):
        if report.phase != "done" or (group is not None and not group.is_main):
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
        if group is not None:
            training["distributed"] = group.describe(cfg.batch_size)
        card = checkpoints.make_card(
            model, dataset, training=training, device=report.device,
            duration_s=report.elapsed, test_metrics=report.test_metrics,
            valid_metrics=report.best_metrics, recipe=recipe, name=folder.name)
        card = card if recipe else card.with_dataset(**_how_split(dataset))
        if spec.baselines and not (stop is not None and stop.is_set()):
            found = baselines.baselines(dataset)      # what the model must beat: 2-20 s
            if found:
                card = card.replace(metrics={**thaw(card.metrics), "baselines": found})
        _save_or_rescue(model, card, folder)
        yield dataclasses.replace(report, checkpoint=str(folder),
                                  message=f"{report.message} Saved to {folder}.")
