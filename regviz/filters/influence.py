"""Basset's filter influence: silence one first-layer filter, see the predictions move.

For each filter ``f``, its activation (after the first block's batch norm and
ReLU) is replaced everywhere by its mean over all positions and sequences of
``X`` (Kelley et al. 2016), the rest of the network is run again, and the
change in every task's prediction is recorded. A filter whose silencing
changes nothing is unused, however nice its logo.

Two exact ways of running "the rest of the network" give the same numbers:

* plain ConvNets (Basset, DeepSEA, DeepSTARR, DECODE, CNN): the first block's
  pooled output is computed once; silencing filter ``f`` makes channel ``f``
  a constant ``m_f`` (a max or average pool of a constant is the constant),
  and the second convolution is linear, so its pre-activation changes by
  ``conv(m_f - P_f, W2[:, f])``. Only that change and the layers after the
  second convolution are computed per filter.
* any other model (DeepBind, DanQ): a hook replaces channel ``f`` of the
  activation and the whole model runs again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import nn

from regviz.errors import MotifError
from regviz.filters.pwms import check_X, first_layer, first_layer_outputs
from regviz.models.convnets import ConvNet


def _scale(model: nn.Module, output: str):
    kind = getattr(getattr(model, "config", None), "output_kind", "regression")
    if output == "auto":
        output = "probability" if kind in ("binary", "multitask") else "raw"
    if output not in ("probability", "raw"):
        raise MotifError(f"output must be 'auto', 'probability' or 'raw'. Got {output!r} "
                         "instead.")
    return (torch.sigmoid if output == "probability" else (lambda t: t)), output


def _is_plain_convnet(model: nn.Module) -> bool:
    return isinstance(model, ConvNet) and model.first_conv_name == "convs.0.conv" \
        and type(model).forward is ConvNet.forward


def _convnet_tail(model, z2: torch.Tensor | None, p1: torch.Tensor) -> torch.Tensor:
    """ConvNet.forward from the second conv's output ``z2`` (or from the first
    block's output ``p1`` when there is a single conv block)."""
    if z2 is None:
        x = p1
    else:
        b = model.convs[1]
        x = b.act(b.bn(z2) if b.bn is not None else z2)
        x = b.pool(x) if b.pool is not None else x
        x = b.dropout(x) if b.dropout is not None else x
        for block in model.convs[2:]:
            x = block(x)
    return model.head(x)


def _conv_delta(conv: nn.Conv1d, delta: torch.Tensor, f: int) -> torch.Tensor:
    """Change of ``conv``'s output when input channel ``f`` changes by ``delta`` (n, L)."""
    return nn.functional.conv1d(delta[:, None], conv.weight[:, f:f + 1], None, conv.stride,
                                conv.padding, conv.dilation)


def filter_influence(model: nn.Module, X, max_sequences: int | None = 500,
                     output: str = "auto", task_names=None, batch_size: int = 128,
                     seed: int = 0, progress=None) -> pd.DataFrame:
    """Influence of every first-layer filter on every task (Basset).

    Parameters
    ----------
    model : RegvizModel
        Any model with ``first_conv_name``; run on CPU in eval mode.
    X : array, shape (n, 4, L)
        One-hot sequences (float32, A, C, G, T) of the model's input length.
    max_sequences : int or None
        Use a seeded random subset of at most this many sequences (default
        500; None: all). The cost is (filters x sequences) partial forward
        passes.
    output : {"auto", "probability", "raw"}
        Scale of the change: "auto" uses sigmoid probabilities for binary and
        multitask models and raw outputs for regression.
    task_names : list of str, optional
        Column names (default ``task0``, ``task1``...).
    batch_size : int
        Sequences per pass.
    seed : int
        Seed of the subset.
    progress : callable, optional
        Called as ``progress(done, total)`` (filter x sequence evaluations).

    Returns
    -------
    pandas.DataFrame
        One row per filter: ``filter`` (0-based), ``mean_activation``,
        ``influence`` (root mean square over sequences and tasks of
        prediction(silenced) - prediction), ``rank`` (1 = most influential),
        and one column per task with the mean signed change (negative: the
        filter pushes that task's prediction up).
    """
    X = check_X(X, model)
    if max_sequences is not None and len(X) > int(max_sequences):
        pick = np.sort(np.random.default_rng(seed).choice(len(X), int(max_sequences),
                                                           replace=False))
        X = X[pick]
    model.eval()
    scale, _ = _scale(model, output)
    conv, act = first_layer(model)
    F = conv.out_channels
    x_all = torch.from_numpy(X)
    # mean activation per filter over all positions and sequences
    total = torch.zeros(F, dtype=torch.float64)
    n_pos = 0
    for b0 in range(0, len(X), batch_size):
        _, a = first_layer_outputs(model, x_all[b0:b0 + batch_size])
        total += a.sum(dim=(0, 2)).double()
        n_pos += a.shape[0] * a.shape[2]
    means = (total / n_pos).float()
    fast = _is_plain_convnet(model)
    T = int(model.out.out_features) if hasattr(model, "out") else None
    if not fast:
        with torch.no_grad():
            base = torch.cat([scale(model(x_all[b0:b0 + batch_size]))
                              for b0 in range(0, len(X), batch_size)])
        T = base.shape[1]
    sq = np.zeros(F)
    signed = np.zeros((F, T))
    # filters per tail call, so that each call sees about 1,024 sequences
    k = max(1, 1024 // max(1, min(batch_size, len(X))))
    done = 0
    with torch.no_grad():
        for b0 in range(0, len(X), batch_size):
            xb = x_all[b0:b0 + batch_size]
            nb = xb.shape[0]
            if fast:
                p1 = model.convs[0](xb)                               # pooled block output
                z2 = model.convs[1].conv(p1) if len(model.convs) > 1 else None
                ref = scale(_convnet_tail(model, z2, p1))             # = scale(model(xb))
            else:
                ref = base[b0:b0 + batch_size]
            for f0 in range(0, F, k):
                fs = range(f0, min(F, f0 + k))
                if fast and z2 is None:
                    p = p1.repeat(len(fs), 1, 1)
                    for j, f in enumerate(fs):
                        p[j * nb:(j + 1) * nb, f] = means[f]
                    out = _convnet_tail(model, None, p)
                elif fast:
                    z = torch.cat([z2 + _conv_delta(model.convs[1].conv, means[f] - p1[:, f], f)
                                   for f in fs])
                    out = _convnet_tail(model, z, p1)
                else:
                    outs = []
                    for f in fs:
                        def silence(_m, _a, o, f=f):
                            o = o.clone()
                            o[:, f] = means[f]
                            return o
                        h = act.register_forward_hook(silence)
                        try:
                            outs.append(model(xb))
                        finally:
                            h.remove()
                    out = torch.cat(outs)
                d = (scale(out) - ref.repeat(len(fs), 1)).double().reshape(len(fs), nb, -1)
                sq[f0:f0 + len(fs)] += (d ** 2).sum(dim=(1, 2)).numpy()
                signed[f0:f0 + len(fs)] += d.sum(dim=1).numpy()
                done += len(fs) * nb
                if progress is not None:
                    progress(done, F * len(X))
    names = list(task_names) if task_names is not None else [f"task{t}" for t in range(T)]
    if len(names) != T:
        raise MotifError(f"task_names must give one name per model output ({T}). Got "
                         f"{len(names)} instead.")
    per_task = pd.DataFrame(signed / len(X), columns=names)
    df = pd.concat([pd.DataFrame({"filter": np.arange(F),
                                  "mean_activation": means.double().numpy(),
                                  "influence": np.sqrt(sq / (len(X) * T))}), per_task], axis=1)
    df["rank"] = df["influence"].rank(ascending=False, method="first").astype(int)
    return df[["filter", "mean_activation", "influence", "rank", *names]]
