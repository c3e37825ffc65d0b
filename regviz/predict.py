"""Batched inference: one-hot sequences in, raw model outputs out.

`predict` leaves the model as it found it (device and train/eval mode): it runs in
eval mode under ``torch.no_grad`` and restores the mode afterwards.
"""

from __future__ import annotations

import numpy as np
import torch

from regviz.errors import SequenceError
from regviz.metrics import predict_tensor


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
        return predict_tensor(model, tensor, batch_size=batch_size, device=device).numpy()
    finally:
        model.train(was_training)
