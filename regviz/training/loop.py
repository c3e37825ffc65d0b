"""The training loop, as a generator of progress reports the UI (or a shell) can poll.

`train(model, dataset, config)` fits a model to the "train" split of a `Dataset`
with Adam, watches the "valid" split after every epoch (AUROC mean for binary
and multitask sets, Pearson mean for regression), stops early when it has not
improved for ``patience`` epochs, restores the best weights, and scores the
"test" split. It yields a `ProgressReport` after every optimizer step, after
every validation, and once at the end (``phase="done"``, with best and test
metrics). Nothing happens until the caller iterates.

Loss: ``BCEWithLogitsLoss`` (binary, multitask) or ``MSELoss`` (regression).
Device: `regviz.devices.pick_device(config.device)`; on CUDA the forward pass runs
under ``torch.autocast`` (bfloat16 where supported, else float16 with a
gradient scaler). On CPU the same seed gives the same losses, bit for bit.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from regviz import devices
from regviz.data.dataset import Dataset
from regviz.data.tensors import TorchDataset
from regviz.errors import DataFormatError, RegvizError
from regviz.training import metrics

PHASES = ("prepare", "start", "train", "validate", "done", "cancelled")


class TrainConfigError(RegvizError, ValueError):
    """A training setting (epochs, learning rate, ...) is out of range."""


class TrainingFailed(RegvizError, RuntimeError):
    """Training could not go on (the loss became NaN, the GPU ran out of memory, ...)."""


@dataclass
class TrainConfig:
    """Training settings.

    Attributes
    ----------
    epochs : int
        Passes over the train split (at most; early stopping may end sooner).
    batch_size : int
        Sequences per optimizer step.
    lr : float
        Adam learning rate.
    weight_decay : float
        Adam's L2 penalty (0 = none).
    patience : int or None
        Epochs without improvement of the validation metric before stopping;
        None never stops early (the best epoch's weights are still restored).
    rc_augment : bool
        Replace each training sequence by its reverse complement with
        probability 1/2 in every batch (labels unchanged; assumes channels 0-3
        are A, C, G, T and reverses any extra track channels along the length).
    seed : int
        Seeds batch order, augmentation and dropout.
    device : str
        "auto", "cpu", "cuda", "cuda:N" or "mps" (see `regviz.devices.pick_device`).
    max_steps : int or None
        Stop after this many optimizer steps, even mid-epoch.
    num_threads : int or None
        CPU threads for torch during training (``torch.set_num_threads``; this is
        process-wide, and restored afterwards). None leaves it as it is.
    lr_plateau : int or None
        Halve the learning rate after this many epochs without a better
        validation metric (torch's ``ReduceLROnPlateau``, factor 0.5); keep it
        below ``patience``. None keeps the learning rate constant.
    task_balance : float
        With several tasks, weight each task's batch loss by (its loss / the
        tasks' mean loss) ** task_balance, so that tasks still at chance pull
        harder than those already learned (`regviz.training.metrics.BalancedTaskLoss`);
        0 averages the tasks' losses as they are.
    """

    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0
    patience: int | None = 3
    rc_augment: bool = False
    seed: int = 0
    device: str = "auto"
    max_steps: int | None = None
    num_threads: int | None = None
    lr_plateau: int | None = None
    task_balance: float = 0.0

    def validate(self) -> None:
        """Raise TrainConfigError naming the first bad setting."""
        def bad(name, allowed):
            value = getattr(self, name)
            return TrainConfigError(f"TrainConfig.{name} must be {allowed}. Got {value!r} instead.")

        def is_int(v, minimum, optional=False):
            if v is None:
                return optional
            return isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= minimum

        def is_num(v, low, strict):
            ok = isinstance(v, (int, float, np.floating)) and not isinstance(v, bool)
            return ok and math.isfinite(v) and (v > low if strict else v >= low)

        for name, minimum, optional in (("epochs", 1, False), ("batch_size", 1, False),
                                        ("patience", 1, True), ("max_steps", 1, True),
                                        ("num_threads", 1, True), ("seed", 0, False),
                                        ("lr_plateau", 1, True)):
            if not is_int(getattr(self, name), minimum, optional):
                raise bad(name, f"an integer >= {minimum}" + (" or None" if optional else ""))
        if not is_num(self.lr, 0.0, strict=True):
            raise bad("lr", "a finite number > 0 (typical: 1e-4 to 1e-2)")
        if not is_num(self.weight_decay, 0.0, strict=False):
            raise bad("weight_decay", "a finite number >= 0")
        if not is_num(self.task_balance, 0.0, strict=False) or self.task_balance > 10:
            raise bad("task_balance", "a number from 0 to 10 (0 = plain mean over tasks; 2 "
                      "favours the tasks behind)")
        if not isinstance(self.rc_augment, bool):
            raise bad("rc_augment", "True or False")
        devices.pick_device(self.device)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class ProgressReport:
    """One moment of a training run (every field is JSON-ready; see ``to_dict``).

    Attributes
    ----------
    phase : str
        "prepare" (data and model, from `regviz.training.jobs` only), "start", "train"
        (after a step), "validate" (after an epoch's validation), "done" (final,
        with best and test metrics) or "cancelled".
    epoch, step, total_steps : int
        1-based epoch; optimizer steps done so far and planned in all.
    train_loss : float or None
        Loss of the latest batch ("train"), the epoch's mean ("validate"), or
        None before the first step.
    valid_metrics : dict
        Latest validation metrics (`regviz.training.metrics.score` dict plus "loss").
    lr : float
    elapsed, eta : float
        Seconds since the start, and estimated seconds left (None until known).
    message : str
        One readable line on what is happening.
    device : str
        `regviz.devices.describe` of the device.
    monitor : str
        Validation metric watched for early stopping ("auroc_mean",
        "pearson_mean", or "loss" when the valid split cannot be scored).
    best_epoch : int or None
    best_metrics, test_metrics : dict or None
        Validation metrics of the best epoch, and test metrics of the restored
        best weights (in the "done" report).
    stopped_early : bool
    checkpoint : str or None
        Folder a finished job wrote (set by `regviz.training.jobs`, not by `train`).
    """

    phase: str
    epoch: int
    step: int
    total_steps: int
    train_loss: float | None = None
    valid_metrics: dict = field(default_factory=dict)
    lr: float = 0.0
    elapsed: float = 0.0
    eta: float | None = None
    message: str = ""
    device: str = ""
    monitor: str = ""
    best_epoch: int | None = None
    best_metrics: dict | None = None
    test_metrics: dict | None = None
    stopped_early: bool = False
    checkpoint: str | None = None

    @property
    def fraction(self) -> float:
        """Share of planned steps done, in [0, 1]."""
        return 1.0 if self.phase == "done" else min(1.0, self.step / max(1, self.total_steps))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def reverse_complement_batch(X: torch.Tensor) -> torch.Tensor:
    """Reverse complement of one-hot ``X`` (n, 4 [+ tracks], L); tracks only reversed."""
    return torch.cat([X[:, :4].flip(1), X[:, 4:]], dim=1).flip(-1)


def _split_tensors(dataset: Dataset, split: str):
    """(X, y) tensors of a split, or None when the dataset has no such split."""
    if len(dataset.splits.get(split, ())) == 0:
        return None
    tds = TorchDataset(dataset, split)
    bad = ~torch.isfinite(tds.y)
    if bad.any():
        i, k = (int(v) for v in torch.nonzero(bad)[0])
        raise DataFormatError(
            f"{dataset.name}: label of task {dataset.task_names[k]!r} for sequence "
            f"{int(tds.indices[i]) + 1} ({split} split) is {float(tds.y[i, k])}; labels must "
            "be finite numbers.")
    return tds.X, tds.y


def _choose_monitor(dataset: Dataset, valid) -> str:
    """The primary metric, or "loss" when the valid labels leave it undefined."""
    if valid is None:
        return "loss"
    y = valid[1].numpy()
    if dataset.task_kind == "regression":
        usable = len(y) > 1 and (np.ptp(y, axis=0) > 0).any()
    else:
        pos = (y > 0.5).sum(axis=0)
        usable = ((pos > 0) & (pos < len(y))).any()
    return metrics.primary_metric(dataset.task_kind) if usable else "loss"


def _is_oom(exc: BaseException) -> bool:
    oom = getattr(torch, "OutOfMemoryError", None)
    return (oom is not None and isinstance(exc, oom)) or (
        isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower())


def train(model: torch.nn.Module, dataset: Dataset, config: TrainConfig | None = None, *,
          stop: threading.Event | None = None):
    """Train ``model`` on ``dataset``, yielding a `ProgressReport` as it goes.

    Parameters
    ----------
    model : nn.Module
        Maps ``(b, 4 [+ tracks], L)`` float32 one-hot to ``(b, n_tasks)`` logits
        (binary/multitask) or values (regression). Trained in place, moved to
        the chosen device; on return it holds the best epoch's weights.
    dataset : Dataset
        Needs a non-empty "train" split; "valid" (early stopping) and "test"
        (final metrics) are used when present.
    config : TrainConfig, optional
    stop : threading.Event, optional
        Checked before every batch: once set, training ends within one batch
        with a "cancelled" report (weights as they are; nothing is restored).

    Yields
    ------
    ProgressReport
        "start", then "train" after every step and "validate" after every
        epoch, then "done" (or "cancelled").

    Raises
    ------
    TrainingFailed
        The loss became NaN/infinite, or the device ran out of memory.
    TrainConfigError, DataFormatError
        Bad settings, labels, or a model whose output does not match the tasks.
    """
    config = TrainConfig() if config is None else config
    config.validate()
    threads = torch.get_num_threads()
    if config.num_threads:
        torch.set_num_threads(config.num_threads)
    try:
        yield from _train(model, dataset, config, stop)
    finally:
        if config.num_threads:
            torch.set_num_threads(threads)


def _train(model, dataset, config, stop):
    start = time.perf_counter()
    device = devices.pick_device(config.device)
    where = devices.describe(device)
    torch.manual_seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    X, y = _split_tensors(dataset, "train") or (None, None)
    if X is None:
        raise DataFormatError(f"{dataset.name} has no 'train' split to learn from; its splits "
                              f"are {sorted(dataset.splits)}.")
    valid, test = _split_tensors(dataset, "valid"), _split_tensors(dataset, "test")
    model.to(device)
    model.eval()
    with torch.no_grad():
        shape = tuple(model(X[:2].to(device)).reshape(min(2, len(X)), -1).shape)
    if shape[1] != y.shape[1]:
        raise TrainConfigError(
            f"The model gives {shape[1]} output(s) per sequence but {dataset.name} has "
            f"{y.shape[1]} task(s) ({', '.join(dataset.task_names)}); build the model with "
            f"n_outputs={y.shape[1]}.")
    loss_fn = metrics.loss_function(dataset.task_kind, config.task_balance)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    plateau = None
    if config.lr_plateau and valid is not None:  # torch reduces after patience + 1 bad epochs
        plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, mode="max", factor=0.5, threshold=0.0, patience=config.lr_plateau - 1)
    scaler = devices.grad_scaler(device)
    n, bs = len(X), config.batch_size
    # a last batch of one sequence would break batch norm in train mode: drop it
    per_epoch = max(1, n // bs if n % bs == 1 and n > 1 else math.ceil(n / bs))
    total = per_epoch * config.epochs
    if config.max_steps:
        total = min(total, config.max_steps)
    monitor = _choose_monitor(dataset, valid)
    state = {"step": 0, "epoch": 1, "valid": {}, "best_epoch": None, "best_metrics": None}

    def report(phase, message, loss=None, **extra):
        elapsed = time.perf_counter() - start
        step = state["step"]
        eta = elapsed / step * (total - step) if step else None
        return ProgressReport(
            phase=phase, epoch=state["epoch"], step=step, total_steps=total, train_loss=loss,
            valid_metrics=dict(state["valid"]), lr=float(opt.param_groups[0]["lr"]),
            elapsed=elapsed, eta=0.0 if phase == "done" else eta, message=message,
            device=where, monitor=monitor, best_epoch=state["best_epoch"],
            best_metrics=state["best_metrics"], **extra)

    yield report("start", f"Training on {n} sequences ({per_epoch} steps per epoch, up to "
                          f"{total} steps) on {where}; watching validation {monitor}.")
    best_value, best_state, bad_epochs, stopped_early = -math.inf, None, 0, False
    for epoch in range(1, config.epochs + 1):
        state["epoch"] = epoch
        model.train()
        order = torch.randperm(n, generator=gen)
        losses = []
        for b in range(per_epoch):
            if stop is not None and stop.is_set():
                yield report("cancelled", f"Cancelled at epoch {epoch}, step {state['step']}.")
                return
            if state["step"] >= total:
                break
            idx = order[b * bs:(b + 1) * bs]
            xb, yb = X[idx], y[idx]
            if config.rc_augment:
                flip = torch.rand(len(idx), generator=gen) < 0.5
                xb = torch.where(flip[:, None, None], reverse_complement_batch(xb), xb)
            loss = _step(model, opt, scaler, loss_fn, xb.to(device), yb.to(device), device, bs)
            state["step"] += 1
            if not math.isfinite(loss):
                raise TrainingFailed(
                    f"Training stopped at epoch {epoch}, step {state['step']}: the loss became "
                    f"{'NaN' if math.isnan(loss) else 'infinite'} (not a finite number), so the "
                    "weights are no longer usable. The "
                    f"learning rate (lr={config.lr:g}) is probably too high; try 1e-3 or lower. "
                    "Also check the labels for extreme values.")
            losses.append(loss)
            yield report("train", f"Epoch {epoch}/{config.epochs}, step {state['step']}/{total}: "
                                  f"loss {loss:.4f}", loss=loss)
        if stop is not None and stop.is_set():
            yield report("cancelled", f"Cancelled at epoch {epoch}, step {state['step']}.")
            return
        epoch_loss = float(np.mean(losses)) if losses else None
        if valid is not None:
            state["valid"] = metrics.evaluate_tensors(model, *valid, dataset.task_kind,
                                                      dataset.task_names, device=device)
            value = state["valid"].get(monitor, math.nan)
            value = -value if monitor == "loss" else value
            if math.isfinite(value) and value > best_value:
                best_value, bad_epochs = value, 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                state["best_epoch"], state["best_metrics"] = epoch, dict(state["valid"])
            else:
                bad_epochs += 1
            if plateau is not None and math.isfinite(value):
                plateau.step(value)
            shown = state["valid"].get(monitor, math.nan)
            msg = (f"Epoch {epoch}: train loss {epoch_loss:.4f}, validation {monitor} "
                   f"{shown:.4f} (best {state['best_epoch']})")
        else:
            msg = f"Epoch {epoch}: train loss {epoch_loss:.4f} (no validation split)"
        yield report("validate", msg, loss=epoch_loss)
        if state["step"] >= total:
            break
        if valid is not None and config.patience and bad_epochs >= config.patience:
            stopped_early = True
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    test_metrics = None
    if test is not None:
        test_metrics = metrics.evaluate_tensors(model, *test, dataset.task_kind,
                                                dataset.task_names, device=device)
    why = (f"stopped early: no better validation {monitor} for {config.patience} epochs"
           if stopped_early else f"ran {state['epoch']} epoch(s), {state['step']} steps")
    best = (f"; best epoch {state['best_epoch']}" if state["best_epoch"] else "")
    yield report("done", f"Finished: {why}{best}.", test_metrics=test_metrics,
                 stopped_early=stopped_early)


def _step(model, opt, scaler, loss_fn, xb, yb, device, batch_size) -> float:
    """One optimizer step; returns the batch loss (NaN: weights left untouched)."""
    opt.zero_grad(set_to_none=True)
    try:
        with devices.autocast(device):
            out = model(xb)
        loss = loss_fn(out.float().reshape(yb.shape), yb)
        value = float(loss.detach())
        if not math.isfinite(value):
            return value
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
    except Exception as exc:
        if _is_oom(exc):
            if device.type == "cuda":
                torch.cuda.empty_cache()
            raise TrainingFailed(
                f"{devices.describe(device)} ran out of memory at batch size {batch_size}. "
                f"Lower the batch size (e.g. {max(1, batch_size // 4)}), pick a smaller "
                "preset, or train on the CPU.") from exc
        raise
    return value
