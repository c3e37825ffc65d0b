"""What every attribution method checks and sets up: the input, the target, the model's mode.

Shared by `regviz.attribution.methods`, `regviz.attribution.mutagenesis` and
`regviz.attribution.sanity_checks`, so they accept and refuse the same things with the
same words.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from regviz.errors import AttributionError


def model_name(model: nn.Module) -> str:
    """The zoo name of ``model`` (e.g. "deepbind"), else its class name."""
    return getattr(model, "registry_name", type(model).__name__)


def device_dtype(model: nn.Module) -> tuple[torch.device, torch.dtype]:
    """Where ``model``'s parameters live and their dtype (CPU float32 without any)."""
    p = next(model.parameters(), None)
    return (p.device, p.dtype) if p is not None else (torch.device("cpu"), torch.float32)


def check_target(model: nn.Module, target) -> int:
    """``target`` as an int output index of ``model``; AttributionError otherwise."""
    n_out = getattr(getattr(model, "config", None), "n_outputs", None)
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or target < 0 or (
            n_out is not None and target >= n_out):
        has = f" ({model_name(model)} has {n_out} output(s))" if n_out is not None else ""
        raise AttributionError(f"target must be an output index from 0 to {(n_out or 1) - 1}"
                               f"{has}. Got {target!r} instead.")
    return int(target)


def as_input(model: nn.Module, X, any_length: bool = False) -> np.ndarray:
    """``X`` as float32 ``(n, C, L)`` checked against the model's channels and length.

    ``(C, L)`` is read as one sequence. ``any_length`` skips the length check (for
    methods that run on any length the model accepts).
    """
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 2:
        X = X[None]
    c = getattr(model, "in_channels", 4)
    length = getattr(model, "input_length", None)
    if any_length or length is None:
        length = X.shape[-1] if X.ndim == 3 else None
    if X.ndim != 3 or X.shape[1] != c or X.shape[2] != length:
        raise AttributionError(f"{model_name(model)} takes inputs of shape (n, {c}, {length}) "
                               f"(one-hot ACGT{' + tracks' if c > 4 else ''}). Got "
                               f"{X.shape} instead.")
    return X


class ModelMode:
    """Context: every module in eval mode, gradients on or off; both restored on exit."""

    def __init__(self, model: nn.Module, grad: bool):
        self.model, self.want_grad = model, grad

    def __enter__(self):
        self.modes = [(m, m.training) for m in self.model.modules()]
        self.grad = torch.is_grad_enabled()
        self.model.eval()
        torch.set_grad_enabled(self.want_grad)
        return self

    def __exit__(self, *exc):
        torch.set_grad_enabled(self.grad)
        for m, mode in self.modes:
            m.training = mode
