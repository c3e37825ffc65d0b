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

from regviz import devices, distributed
from regviz.data.dataset import Dataset
from regviz.data.tensors import TorchDataset
from regviz.errors import DataFormatError, RegvizError
from regviz.predict import predict_tensor
from regviz.training import metrics, snapshot
from regviz.training.config import TrainConfig, TrainConfigError

PHASES = ("prepare", "start", "train", "validate", "done", "cancelled")


class TrainingFailed(RegvizError, RuntimeError):
    """Training could not go on (the loss became NaN, the GPU ran out of memory, ...)."""


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
        distributed.Replicas.unwrap(model)        # batch norms as they were (groups only)
        if config.num_threads:
            torch.set_num_threads(threads)


def _train(model, dataset, config, stop):
    start = time.perf_counter()
    group = distributed.current()                  # None: one process, as always
    device = group.device() if group else devices.pick_device(config.device)
    where = devices.describe(device) + (f", {group.world} processes ({group.backend})"
                                        if group else "")
    torch.manual_seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)   # the same on every rank
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
    net = group.wrap(model) if group else model
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    plateau = None
    if config.lr_plateau and valid is not None:  # torch reduces after patience + 1 bad epochs
        plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, mode="max", factor=0.5, threshold=0.0, patience=config.lr_plateau - 1)
    scaler = devices.grad_scaler(device)
    n, bs = len(X), config.batch_size
    if group is not None:
        group.check_batch(bs)
    # a last batch of one sequence (per process) would break batch norm in train mode
    short = 0 < n % bs < (group.world + 1 if group else 2) and n > bs
    per_epoch = max(1, n // bs if short else math.ceil(n / bs))
    total = per_epoch * config.epochs
    if config.max_steps:
        total = min(total, config.max_steps)
    monitor = _choose_monitor(dataset, valid)
    state = {"step": 0, "epoch": 1, "valid": {}, "best_epoch": None, "best_metrics": None,
             "best_value": -math.inf, "bad_epochs": 0, "best_state": None}
    first = 1
    if config.snapshot:
        first = snapshot.resume(config.snapshot, model, opt, plateau, gen, state)

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

    def evaluate(split):
        if group is None:
            return metrics.evaluate_tensors(model, *split, dataset.task_kind,
                                            dataset.task_names, device=device)
        x, labels = split
        mine = predict_tensor(model, x[group.rank::group.world], device=device)
        pred = group.gather_rows(mine, len(x), labels.shape[1])
        return metrics.evaluate_predictions(pred, labels, dataset.task_kind, dataset.task_names)

    resumed = f" (resumed after epoch {first - 1})" if first > 1 else ""
    yield report("start", f"Training on {n} sequences ({per_epoch} steps per epoch, up "
                          f"to {total} steps) on {where}; watching validation {monitor}."
                          f"{resumed}")
    stopped_early = False
    for epoch in range(first, config.epochs + 1):
        state["epoch"] = epoch
        net.train()
        order = torch.randperm(n, generator=gen)
        losses = []
        for b in range(per_epoch):
            if stop is not None and stop.is_set():
                yield report("cancelled", f"Cancelled at epoch {epoch}, step {state['step']}.")
                return
            if state["step"] >= total:
                break
            idx = order[b * bs:(b + 1) * bs]
            flip = torch.rand(len(idx), generator=gen) < 0.5 if config.rc_augment else None
            if group is not None:           # this rank's share of the global batch
                idx, flip = group.share(idx), None if flip is None else group.share(flip)
            xb, yb = X[idx], y[idx]
            if flip is not None:
                xb = torch.where(flip[:, None, None], reverse_complement_batch(xb), xb)
            loss = _step(net, opt, scaler, loss_fn, xb.to(device), yb.to(device), device, bs,
                         group)
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
            state["valid"] = evaluate(valid)
            value = state["valid"].get(monitor, math.nan)
            value = -value if monitor == "loss" else value
            if math.isfinite(value) and value > state["best_value"]:
                state["best_value"], state["bad_epochs"] = value, 0
                state["best_state"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
                state["best_epoch"], state["best_metrics"] = epoch, dict(state["valid"])
            else:
                state["bad_epochs"] += 1
            if plateau is not None and math.isfinite(value):
                plateau.step(value)
            shown = state["valid"].get(monitor, math.nan)
            msg = (f"Epoch {epoch}: train loss {epoch_loss:.4f}, validation {monitor} "
                   f"{shown:.4f} (best {state['best_epoch']})")
        else:
            msg = f"Epoch {epoch}: train loss {epoch_loss:.4f} (no validation split)"
        if config.snapshot and (group is None or group.is_main):
            snapshot.save(config.snapshot, epoch, model, opt, plateau, gen, state)
        yield report("validate", msg, loss=epoch_loss)
        if state["step"] >= total:
            break
        early = bool(valid is not None and config.patience and
                     state["bad_epochs"] >= config.patience)
        if group is not None:
            early = group.any(early)                   # every rank stops together
        if early:
            stopped_early = True
            break
    if state["best_state"] is not None:
        model.load_state_dict(state["best_state"])
    test_metrics = evaluate(test) if test is not None else None
    if config.snapshot and (group is None or group.is_main):
        snapshot.remove(config.snapshot)
    why = (f"stopped early: no better validation {monitor} for {config.patience} epochs"
           if stopped_early else f"ran {state['epoch']} epoch(s), {state['step']} steps")
    best = (f"; best epoch {state['best_epoch']}" if state["best_epoch"] else "")
    yield report("done", f"Finished: {why}{best}.", test_metrics=test_metrics,
                 stopped_early=stopped_early)


def _step(model, opt, scaler, loss_fn, xb, yb, device, batch_size, group=None) -> float:
    """One optimizer step; returns the batch loss, averaged over the ranks of ``group``
    (NaN on any rank: every rank leaves its weights untouched)."""
    opt.zero_grad(set_to_none=True)
    try:
        with devices.autocast(device):
            out = model(xb)
        loss = loss_fn(out.float().reshape(yb.shape), yb)
        value = float(loss.detach())
        if group is not None:
            value = group.mean(value)
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
