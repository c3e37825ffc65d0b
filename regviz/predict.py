"""Batched inference: one-hot sequences in, raw model outputs out.

`predict` leaves the model as it found it (device and train/eval mode): it runs in
eval mode under ``torch.no_grad`` and restores the mode afterwards.
"""

from __future__ import annotations

import numpy as np
import torch

from regviz import devices
from regviz.errors import SequenceError, warn_if_not_finite
from regviz.sequence import SequenceRecord, one_hot


def predict(model: torch.nn.Module, X, batch_size: int = 256, device=None) -> np.ndarray:
    """Raw outputs of ``model`` for ``X``.

    Parameters
    ----------
    model : nn.Module
        A zoo model (or any module mapping ``(b, C, L)`` to ``(b, n_outputs)``).
    X : np.ndarray or torch.Tensor, shape (n, C, L)
        One-hot DNA (C = 4, ACGT) plus any extra track channels, float32.
    batch_size : int
        Sequences per forward pass (memory grows with it; results do not change).
    device : torch.device or str, optional
        Where the model is; default: where its parameters are.

    Returns
    -------
    np.ndarray, shape (n, n_outputs), float32: logits for binary/multitask models (apply
    a sigmoid for probabilities), values for regression.
    """
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise SequenceError(f"batch_size must be a whole number >= 1. Got {batch_size!r} "
                            "instead.")
    tensor = torch.as_tensor(np.asarray(X, dtype=np.float32) if not torch.is_tensor(X) else X,
                             dtype=torch.float32)
    if tensor.dim() != 3:
        raise SequenceError(f"predict expects X of shape (n, channels, length); got "
                            f"{tuple(tensor.shape)}.")
    was_training = model.training
    try:
        out = predict_tensor(model, tensor, batch_size=batch_size, device=device).numpy()
    finally:
        model.train(was_training)
    return warn_if_not_finite(out, "Predictions")


@torch.no_grad()
def predict_tensor(model: torch.nn.Module, X: torch.Tensor, batch_size: int = 256,
                   device=None) -> torch.Tensor:
    """Raw outputs of ``model`` for ``X`` (n, C, L), batched, in eval mode, on CPU float32.

    The model is put in eval mode (and left there) and must already be on
    ``device`` (default: the device of its first parameter).
    """
    if device is None:
        first = next(model.parameters(), None)
        device = first.device if first is not None else torch.device("cpu")
    device = torch.device(device)
    model.eval()
    outs = []
    for start in range(0, len(X), batch_size):
        xb = X[start:start + batch_size].to(device, non_blocking=True)
        with devices.autocast(device):
            out = model(xb)
        outs.append(out.float().reshape(len(xb), -1).cpu())
    return torch.cat(outs) if outs else torch.zeros(0, 0)


def encode_for(model: torch.nn.Module, records) -> np.ndarray:
    """One-hot ``(n, 4, L)`` of SequenceRecords/strings, checked against the model's length.

    This is the one place that says "sequence is N bp, the model reads M bp".
    Raises SequenceError naming the first sequence whose length is not the model's,
    or when the model reads more than DNA (chromatin tracks).
    """
    name_of_model = getattr(model, "registry_name", type(model).__name__)
    if getattr(getattr(model, "config", None), "tracks_only", False) or \
            getattr(model, "in_channels", 4) != 4:
        raise SequenceError(f"{name_of_model} reads more than DNA (chromatin tracks), so "
                            "sequences alone cannot be given to it here.")
    items = [records] if isinstance(records, (str, SequenceRecord)) else list(records)
    if not items:
        raise SequenceError("No sequences given; paste at least one.")
    for k, r in enumerate(items):
        seq = r.sequence if isinstance(r, SequenceRecord) else r
        check_length(model, r.name if isinstance(r, SequenceRecord) else f"sequence {k + 1}",
                     len(seq))
    return one_hot(items)


def check_length(model: torch.nn.Module, name: str, length: int, bp_per_position: int = 1):
    """SequenceError unless a sequence of ``length`` bp fits the model's input length."""
    want = getattr(model, "input_length", None)
    if want is not None and length != want * bp_per_position:
        want *= bp_per_position
        model_name = getattr(model, "registry_name", type(model).__name__)
        raise SequenceError(f"{name} is {length:,} bp but {model_name} reads exactly "
                            f"{want:,} bp. Paste or cut sequences to {want:,} bp. Got "
                            f"{length:,} bp instead.")


def readable(values, card) -> np.ndarray:
    """Raw outputs ``(n, n_outputs)`` in the units the card describes: sigmoid of the
    logits for binary and multitask models (probabilities), unchanged for regression."""
    values = np.asarray(values, dtype=np.float64)
    if card.reads_as_probability:
        return 1.0 / (1.0 + np.exp(-values))
    return values
