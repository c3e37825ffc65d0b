"""Per-task performance metrics, and `evaluate` (a model on one split of a Dataset).

Binary and multitask sets are scored with AUROC and AUPRC (scikit-learn),
regression sets with Pearson and Spearman correlation (scipy) and the mean
squared error. A task whose labels make a metric undefined (one class only, or
constant values) gets NaN for it, and the ``*_mean`` summaries skip NaNs.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from scipy import stats
from sklearn.metrics import average_precision_score, roc_auc_score

from regviz.data.dataset import Dataset
from regviz.data.tensors import TorchDataset
from regviz.errors import DataFormatError
from regviz.predict import predict_tensor

#: the validation metric early stopping watches, per task kind (higher is better)
PRIMARY = {"binary": "auroc_mean", "multitask": "auroc_mean", "regression": "pearson_mean"}


def primary_metric(task_kind: str) -> str:
    """Name of the summary metric used for early stopping ("auroc_mean"/"pearson_mean")."""
    if task_kind not in PRIMARY:
        raise DataFormatError(f"task_kind must be one of {tuple(PRIMARY)}. "
                              f"Got {task_kind!r} instead.")
    return PRIMARY[task_kind]


def _nanmean(values) -> float:
    values = [v for v in values if np.isfinite(v)]
    return float(np.mean(values)) if values else float("nan")


def score(y_true, y_pred, task_kind: str, task_names=None) -> dict:
    """Metrics of predictions against labels, per task and averaged over tasks.

    Parameters
    ----------
    y_true : array, shape (n, n_tasks)
        Labels (0/1 for binary/multitask, real values for regression).
    y_pred : array, shape (n, n_tasks)
        Model outputs: logits for binary/multitask (any monotone score works for
        AUROC/AUPRC), predicted values for regression.
    task_kind : str
        "binary", "multitask" or "regression".
    task_names : list of str, optional
        Default "task_0", "task_1", ...

    Returns
    -------
    dict
        ``{"n": n, "auroc_mean", "auprc_mean", "tasks": {name: {"auroc", "auprc",
        "positives"}}}`` for binary/multitask, or ``{"n", "pearson_mean",
        "spearman_mean", "mse", "tasks": {name: {"pearson", "spearman", "mse"}}}``
        for regression. Plain floats (JSON-ready).
    """
    primary_metric(task_kind)
    y_true = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(len(y_pred), -1)
    if y_true.shape != y_pred.shape:
        raise DataFormatError(f"score: y_true has shape {y_true.shape} but y_pred has "
                              f"{y_pred.shape}; they must match (n, n_tasks).")
    names = list(task_names) if task_names is not None else [
        f"task_{k}" for k in range(y_true.shape[1])]
    tasks = {}
    for k, name in enumerate(names):
        t, p = y_true[:, k], y_pred[:, k]
        if task_kind == "regression":
            constant = len(t) < 2 or np.ptp(t) == 0 or np.ptp(p) == 0
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pear = float("nan") if constant else float(stats.pearsonr(t, p)[0])
                spear = float("nan") if constant else float(stats.spearmanr(t, p)[0])
            tasks[name] = {"pearson": pear, "spearman": spear,
                           "mse": float(np.mean((t - p) ** 2))}
        else:
            positives = int((t > 0.5).sum())
            both = 0 < positives < len(t)
            tasks[name] = {
                "auroc": float(roc_auc_score(t > 0.5, p)) if both else float("nan"),
                "auprc": float(average_precision_score(t > 0.5, p)) if both else float("nan"),
                "positives": positives}
    out = {"n": len(y_true)}
    keys = ("pearson", "spearman") if task_kind == "regression" else ("auroc", "auprc")
    for key in keys:
        out[f"{key}_mean"] = _nanmean(v[key] for v in tasks.values())
    if task_kind == "regression":
        out["mse"] = float(np.mean([v["mse"] for v in tasks.values()]))
    out["tasks"] = tasks
    return out


def _base_loss(task_kind: str, reduction: str = "mean") -> torch.nn.Module:
    """``MSELoss`` for regression, else ``BCEWithLogitsLoss``."""
    if task_kind == "regression":
        return torch.nn.MSELoss(reduction=reduction)
    return torch.nn.BCEWithLogitsLoss(reduction=reduction)


class BalancedTaskLoss(torch.nn.Module):
    """Mean over tasks of each task's batch loss, weighted towards the tasks behind.

    Each task t's loss L_t (mean over the batch) gets the weight
    ``(L_t / mean_t L_t) ** power``, detached and normalised to sum to 1: a task
    still near its base rate pulls the shared layers harder than the tasks
    already learned (loss-based task prioritisation, in the spirit of Guo et
    al. 2018, Dynamic Task Prioritization). ``power`` 0 gives the plain mean.

    forward(out, y): out logits (or values) and y, both shape (n, tasks) -> scalar.
    """

    def __init__(self, task_kind: str, power: float):
        super().__init__()
        self.power = float(power)
        self.per_element = _base_loss(task_kind, reduction="none")

    def forward(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        per_task = self.per_element(out, y).reshape(len(y), -1).mean(0)
        w = (per_task.detach() / per_task.detach().mean().clamp_min(1e-12)) ** self.power
        return (w * per_task).sum() / w.sum()


def loss_name(task_kind: str, task_balance: float = 0.0) -> str:
    """What `loss_function` gives, in words for a model card."""
    base = type(_base_loss(task_kind)).__name__
    return f"{base}, task-balanced (power {task_balance:g})" if task_balance else base


def loss_function(task_kind: str, task_balance: float = 0.0) -> torch.nn.Module:
    """``BCEWithLogitsLoss`` for binary/multitask, ``MSELoss`` for regression.

    ``task_balance`` > 0: a `BalancedTaskLoss` with that power instead of the
    plain mean over tasks.
    """
    primary_metric(task_kind)
    if task_balance:
        return BalancedTaskLoss(task_kind, task_balance)
    return _base_loss(task_kind)


def evaluate(model: torch.nn.Module, dataset: Dataset, split: str = "test",
             batch_size: int = 256, device=None) -> dict:
    """Loss and metrics of ``model`` on one split of ``dataset``.

    Parameters
    ----------
    model : nn.Module
        Takes ``(n, 4 [+ tracks], L)`` and returns ``(n, n_tasks)`` logits/values.
    dataset : Dataset
    split : str
        "train", "valid" or "test" (a key of ``dataset.splits``).
    batch_size : int
    device : torch.device, optional
        Where the model already is (default: where its parameters are).

    Returns
    -------
    dict
        `score`'s dict plus ``"loss"`` (the training loss on this split).
    """
    tds = TorchDataset(dataset, split)
    return evaluate_tensors(model, tds.X, tds.y, dataset.task_kind, dataset.task_names,
                            batch_size=batch_size, device=device)


def evaluate_tensors(model, X: torch.Tensor, y: torch.Tensor, task_kind: str, task_names,
                     batch_size: int = 256, device=None) -> dict:
    """`evaluate` on tensors ``X`` (n, C, L) and ``y`` (n, n_tasks) already encoded."""
    pred = predict_tensor(model, X, batch_size=batch_size, device=device)
    return evaluate_predictions(pred, y, task_kind, task_names)


def evaluate_predictions(pred: torch.Tensor, y: torch.Tensor, task_kind: str,
                         task_names) -> dict:
    """Loss and `score` of raw outputs ``pred`` (n, n_tasks) against labels ``y``."""
    loss = float(loss_function(task_kind)(pred, y.float()))
    if not np.isfinite(pred.numpy()).all():
        return {"n": len(y), "loss": float("nan"), "finite": False}
    return {"loss": loss, **score(y.numpy(), pred.numpy(), task_kind, task_names)}
