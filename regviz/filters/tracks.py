"""One first-layer filter along a sequence: its activation at every window."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import nn

from regviz.errors import MotifError
from regviz.filters.pwms import check_X, first_layer, first_layer_outputs
from regviz.sequence import one_hot


def activation_track(model: nn.Module, X, index: int) -> np.ndarray:
    """Activation of one filter along each sequence, ``(n, P)`` float32 (P output positions)."""
    X = check_X(X, model)
    conv, _ = first_layer(model)
    if not 0 <= int(index) < conv.out_channels:
        raise MotifError(f"index must be a filter number from 0 to {conv.out_channels - 1}. "
                         f"Got {index!r} instead.")
    model.eval()
    _, a = first_layer_outputs(model, torch.from_numpy(X))
    return a[:, int(index)].numpy().astype(np.float32)


def activation_table(model: nn.Module, sequence_text: str, index: int) -> pd.DataFrame:
    """One filter's activation along one sequence, window by window.

    Returns
    -------
    DataFrame, one row per first-layer output position: ``start`` (1-based input
    position of the window's first base; below 1 or past the end where the
    convolution pads), ``window`` (the bases it reads, padding left out) and
    ``activation``. Padding is taken as symmetric (valid, 'same' and DeepBind's N
    padding all are).
    """
    act = activation_track(model, one_hot(sequence_text), index)[0]
    width = first_layer(model)[0].kernel_size[0]
    n = len(sequence_text)
    start0 = np.arange(len(act)) - (len(act) - (n - width + 1)) // 2
    windows = [sequence_text[max(p, 0):max(p + width, 0)] for p in start0]
    return pd.DataFrame({"start": start0 + 1, "window": windows, "activation": act})
