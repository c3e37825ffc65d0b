"""Layer tables and receptive fields.

`summary` runs one dummy input through a model with forward hooks on its leaf
modules and returns one row per leaf, in forward order: name, kind, output shape,
parameter count and receptive field.

Receptive fields are computed analytically while walking the rows. For a layer
with kernel k, stride s and dilation d (pooling: d = 1)::

    rf_out   = rf_in + (k - 1) * d * jump_in
    jump_out = jump_in * s              (bp between neighbouring outputs)

``receptive_field`` of a positional layer is the number of input bp one of its
outputs can see (it may exceed the input length when padding is used). Once a
layer mixes all positions (flatten, global pooling, a recurrent layer, attention)
its receptive field is the part of the input that can influence it at all: the
union of the windows of every position of the feature map it consumed, clipped to
the input. For most models that is the whole input; DeepSEA's unpadded convs and
floor pooling leave the last 5 of 1,000 bp unread, so its output sees 995 bp.

Parallel branches are walked in forward order as if they were a chain, which is
exact for the zoo's residual blocks (identity or pointwise shortcuts, padding
"same" inside the branch); `empirical_receptive_field` checks the numbers by
gradients.
"""

from __future__ import annotations

import copy
import dataclasses

import pandas as pd
import torch
from torch import nn

from regviz.errors import ModelConfigError

from .base import RegvizModel
from .registry import build, from_config

_ACTIVATIONS = (nn.ReLU, nn.ELU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh, nn.Softplus, nn.GELU,
                nn.PReLU, nn.SiLU)


def _first(v) -> int:
    return int(v[0]) if isinstance(v, (tuple, list)) else int(v)


class _Tracker:
    """Analytic receptive-field arithmetic along the forward order."""

    def __init__(self, length: int) -> None:
        self.length = length
        self.rf, self.jump, self.left, self.n_pos = 1, 1, 0, length
        self.whole: int | None = None   # set once positions are mixed

    def covered(self) -> int:
        lo = max(0, self.left)
        hi = min(self.length, self.left + (self.n_pos - 1) * self.jump + self.rf)
        return max(0, hi - lo)

    def make_global(self) -> None:
        if self.whole is None:
            self.whole = self.covered()

    def window(self, k: int, stride: int, dilation: int, pad_left: int, n_out: int) -> None:
        if self.whole is not None:
            return
        self.left -= pad_left * self.jump
        self.rf += (k - 1) * dilation * self.jump
        self.jump *= stride
        self.n_pos = n_out
        if n_out == 1:
            self.make_global()

    def pad(self, pad_left: int, n_out: int) -> None:
        if self.whole is None:
            self.left -= pad_left * self.jump
            self.n_pos = n_out

    @property
    def value(self) -> int:
        return self.whole if self.whole is not None else self.rf


def _conv_pad_left(m: nn.Conv1d) -> int:
    k, d = m.kernel_size[0], m.dilation[0]
    if m.padding == "same":
        return d * (k - 1) // 2
    if m.padding == "valid":
        return 0
    return _first(m.padding)


def _kind(m: nn.Module, in_dim: int, n_out: int | None) -> str:
    if isinstance(m, nn.Conv1d):
        return "conv"
    if isinstance(m, (nn.MaxPool1d, nn.AvgPool1d)):
        what = "max pool" if isinstance(m, nn.MaxPool1d) else "avg pool"
        return f"global {what}" if n_out == 1 else what
    if isinstance(m, (nn.AdaptiveMaxPool1d, nn.AdaptiveAvgPool1d)):
        return "global pool"
    if isinstance(m, nn.BatchNorm1d):
        return "batch norm"
    if isinstance(m, nn.LayerNorm):
        return "layer norm"
    if isinstance(m, _ACTIVATIONS):
        return "activation"
    if isinstance(m, nn.Softmax):
        return "softmax"
    if isinstance(m, nn.Dropout):
        return "dropout"
    if isinstance(m, nn.Linear):
        return "dense (per position)" if in_dim == 3 else "dense"
    if isinstance(m, nn.RNNBase):
        return f"recurrent ({type(m).__name__})"
    if isinstance(m, (nn.Flatten,)) or type(m).__name__ == "FlattenFeatures":
        return "flatten"
    if isinstance(m, (nn.ConstantPad1d, nn.ZeroPad1d, nn.ReflectionPad1d, nn.ReplicationPad1d)):
        return "padding"
    names = {"SelfAttention": "attention", "GlobalSum": "sum over positions",
             "PositionalEncoding": "positional encoding", "LastState": "last state"}
    return names.get(type(m).__name__, type(m).__name__)


def _update(tr: _Tracker, m: nn.Module, in_dim: int, out_shape: tuple) -> None:
    n_out = out_shape[-1] if len(out_shape) == 3 else None
    if isinstance(m, nn.Conv1d):
        tr.window(m.kernel_size[0], m.stride[0], m.dilation[0], _conv_pad_left(m), n_out)
    elif isinstance(m, (nn.MaxPool1d, nn.AvgPool1d)):
        k = _first(m.kernel_size)
        s = _first(m.stride) if m.stride else k
        d = _first(getattr(m, "dilation", 1))
        tr.window(k, s, d, _first(m.padding), n_out)
    elif isinstance(m, (nn.ConstantPad1d, nn.ZeroPad1d, nn.ReflectionPad1d,
                        nn.ReplicationPad1d)):
        tr.pad(_first(m.padding), n_out)
    elif (isinstance(m, (nn.AdaptiveMaxPool1d, nn.AdaptiveAvgPool1d, nn.RNNBase))
          or getattr(m, "rf_role", None) == "global"
          or (isinstance(m, (nn.Flatten, nn.Linear)) and in_dim == 2)
          or (isinstance(m, nn.Flatten) and in_dim == 3)):
        tr.make_global()


def _leaves(model: nn.Module) -> list[tuple[str, nn.Module]]:
    out, skip = [], []
    for name, m in model.named_modules():
        if any(name.startswith(p + ".") for p in skip):
            continue
        if getattr(m, "summary_leaf", False):
            skip.append(name)
            out.append((name, m))
        elif not list(m.children()):
            out.append((name, m))
    return out


def _twin(model: RegvizModel, input_length: int, meta: bool) -> RegvizModel:
    """Same architecture (rebuilt from the config), on the meta device if asked."""
    cfg = {**dataclasses.asdict(model.config), "input_length": input_length}
    if meta:
        with torch.device("meta"):
            return from_config(model.registry_name, cfg)
    return from_config(model.registry_name, cfg)


def _trace(model: nn.Module, x: torch.Tensor) -> list[tuple]:
    records = []
    hooks = []
    for name, m in _leaves(model):
        def hook(mod, inputs, output, name=name):
            first_in = inputs[0] if inputs else None
            out = output[0] if isinstance(output, (tuple, list)) else output
            records.append((name, mod, first_in.dim() if first_in is not None else 0,
                            tuple(out.shape[1:])))
        hooks.append(m.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(x)
    finally:
        model.train(was_training)
        for h in hooks:
            h.remove()
    return records


def summary(model: nn.Module, input_length: int | None = None) -> pd.DataFrame:
    """Layer-by-layer table of a model.

    Parameters
    ----------
    model : nn.Module
        A zoo model (`RegvizModel`), a `DenseNet` from `dense_net`, or any module
        taking ``(n, 4, input_length)`` one-hot DNA.
    input_length : int, optional
        Sequence length; defaults to ``model.config.input_length``. For a zoo model
        built for another length the same architecture is rebuilt for this one
        (parameter counts of flatten heads change with the length).

    Returns
    -------
    pandas.DataFrame
        One row per leaf module in forward order with columns ``layer`` (module
        path), ``kind``, ``output_shape`` (tuple, batch dimension left out),
        ``params``, ``receptive_field`` (bp; see the module docstring), ``jump``
        (bp between neighbouring outputs) and ``scope`` ("local", or "global" once
        all positions are mixed;
        "-" for non-sequence models). Totals are in ``df.attrs``:
        ``total_params``, ``trainable_params``, ``frozen_params``,
        ``input_length`` and ``receptive_field`` (of the output).

    Notes
    -----
    Zoo models are traced on PyTorch's "meta" device (shapes only, no arithmetic,
    no memory for weights), so even the paper presets at 131 kb summarise in
    well under a second; the model itself is not touched.
    """
    sequence = True
    if isinstance(model, RegvizModel):
        length = model.config.input_length if input_length is None else input_length
        same = length == model.config.input_length
        try:
            twin = _twin(model, length, meta=True)
            records = _trace(twin, torch.zeros(1, model.in_channels, length, device="meta"))
            if not same:
                model = twin    # the architecture at that length (parameters may differ)
        except Exception:  # e.g. an op without a meta kernel: trace a real copy
            # (hooks never touch the caller's model, which may be shared by app sessions)
            model = _twin(model, length, meta=False) if not same else copy.deepcopy(model)
            device = next(model.parameters()).device
            records = _trace(model, torch.zeros(1, model.in_channels, length, device=device))
    elif hasattr(model, "input_shape"):
        sequence, length = False, None
        device = next(model.parameters()).device
        records = _trace(model, torch.zeros(1, *model.input_shape, device=device))
    else:
        if input_length is None:
            raise ModelConfigError("summary needs input_length for a model that is not "
                                   "from the regviz zoo.")
        length = input_length
        device = next(model.parameters()).device
        records = _trace(model, torch.zeros(1, 4, length, device=device))

    tracker = _Tracker(length) if sequence else None
    rows = []
    for name, mod, in_dim, out_shape in records:
        recurse = getattr(mod, "summary_leaf", False)
        params = sum(p.numel() for p in mod.parameters(recurse=recurse))
        n_out = out_shape[-1] if len(out_shape) == 2 else None
        row = {"layer": name, "kind": _kind(mod, in_dim, n_out), "output_shape": out_shape,
               "params": params}
        if tracker is not None:
            _update(tracker, mod, in_dim, (1,) + out_shape)
            row.update(receptive_field=tracker.value,
                       jump=tracker.jump if tracker.whole is None else pd.NA,
                       scope="local" if tracker.whole is None else "global")
        else:
            row.update(receptive_field=pd.NA, jump=pd.NA, scope="-")
        rows.append(row)
    df = pd.DataFrame(rows, columns=["layer", "kind", "output_shape", "params",
                                     "receptive_field", "jump", "scope"])
    df["receptive_field"] = df["receptive_field"].astype("Int64")
    df["jump"] = df["jump"].astype("Int64")
    all_params = list(model.parameters())
    df.attrs["total_params"] = sum(p.numel() for p in all_params)
    df.attrs["trainable_params"] = sum(p.numel() for p in all_params if p.requires_grad)
    df.attrs["frozen_params"] = df.attrs["total_params"] - df.attrs["trainable_params"]
    df.attrs["input_length"] = length
    df.attrs["receptive_field"] = (int(df["receptive_field"].iloc[-1])
                                   if sequence and len(df) else None)
    return df


def position_windows(model: nn.Module) -> pd.DataFrame:
    """Where each positional layer's outputs look in the input, one row per leaf layer
    whose output still keeps positions (``(channels, positions)``).

    Columns: ``layer``, ``kind``, ``channels``, ``positions``, ``receptive_field`` (bp one
    output sees), ``jump`` (bp between neighbouring outputs) and ``left`` (input
    position where output 0's window starts; negative with padding). Output ``i`` sees
    input ``[left + i * jump, left + i * jump + receptive_field)``.
    """
    table = summary(model)
    length = int(table.attrs["input_length"])
    tracker = _Tracker(length)
    shape = (model.config.in_channels, length)
    rows = []
    for row in table.itertuples(index=False):
        module = model.get_submodule(row.layer)
        _update(tracker, module, len(shape) + 1, (1,) + tuple(row.output_shape))
        shape = tuple(row.output_shape)
        if tracker.whole is None and len(shape) == 2:
            rows.append({"layer": row.layer, "kind": row.kind, "channels": shape[0],
                         "positions": shape[1], "receptive_field": tracker.rf,
                         "jump": tracker.jump, "left": tracker.left})
    return pd.DataFrame(rows)


def describe(name: str, input_length: int, n_outputs: int = 1, preset: str = "class",
             output_kind: str = "binary", **overrides) -> pd.DataFrame:
    """`summary` of a registry architecture without allocating its weights.

    Same arguments as `regviz.models.build`; the model is built on PyTorch's meta
    device, so even Enformer's 229M-parameter paper preset at 196,608 bp is
    described in well under a second. Errors as in `build`.
    """
    with torch.device("meta"):
        model = build(name, input_length, n_outputs, preset, output_kind, **overrides)
    return summary(model)


def receptive_field(model: nn.Module, input_length: int | None = None,
                    layer: str | None = None) -> int:
    """Analytic receptive field in bp.

    Parameters
    ----------
    model : nn.Module
        A zoo model (or any module `summary` accepts).
    input_length : int, optional
        Defaults to the model's own length.
    layer : str, optional
        Module path (e.g. ``model.last_conv_name``); default: the model output.
        For a container (e.g. a residual block) the value after its last leaf.

    Returns
    -------
    int
        bp one output of that layer can see; for layers that mix all positions,
        the number of input bp that can influence them (usually the whole input).
    """
    df = summary(model, input_length)
    if layer is not None:
        df = df[(df["layer"] == layer) | df["layer"].str.startswith(layer + ".")]
        if df.empty:
            raise ModelConfigError(f"No layer {layer!r} in this model.")
    return int(df["receptive_field"].iloc[-1])


def _linearize(net: nn.Module) -> None:
    """Make every path's gradient positive: max pool -> avg pool, activations ->
    identity, conv/dense weights -> positive averages, batch norm -> identity."""
    for parent in list(net.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.MaxPool1d):
                parent._modules[name] = nn.AvgPool1d(child.kernel_size, child.stride,
                                                     child.padding, child.ceil_mode)
            elif isinstance(child, _ACTIVATIONS):
                parent._modules[name] = nn.Identity()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv1d, nn.Linear)):
                w = m.weight.abs() + 0.01
                dims = tuple(range(1, w.dim()))
                m.weight.copy_(w / w.sum(dim=dims, keepdim=True))
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, nn.BatchNorm1d):
                m.reset_parameters()   # mean 0, var 1, weight 1, bias 0


def empirical_receptive_field(model: RegvizModel, layer: str | None = None,
                              position: int | None = None, linearize: bool = True,
                              return_positions: bool = False, seed: int = 0):
    """Receptive field measured by gradients (to check the analytic numbers).

    Backpropagates from one unit of ``layer`` (summed over channels, at
    ``position``; default the middle) or from the summed model output, and
    reports which input positions get a nonzero gradient.

    Parameters
    ----------
    model : RegvizModel
        Not modified (a float64 copy is used).
    layer : str, optional
        Module path whose output is ``(n, C, positions)``; default: model output.
    position : int, optional
        Output position of ``layer``; default its middle.
    linearize : bool
        Measure the wiring rather than one input's gradients: max pools become
        average pools, activations identities, weights positive. Without this,
        max pooling routes gradient only to each window's maximum and dead ReLUs
        hide positions, so the measured span can be too small.
    return_positions : bool
        Also return the first and last influencing positions (0-based).
    seed : int
        Seed of the random positive input.

    Returns
    -------
    int or (int, int, int)
        Span in bp (last - first + 1), or ``(span, first, last)``.
    """
    net = copy.deepcopy(model).double().eval()
    if linearize:
        _linearize(net)
    c, length = model.config.in_channels, model.config.input_length
    gen = torch.Generator().manual_seed(seed)
    x = (torch.rand(1, c, length, generator=gen, dtype=torch.float64) + 0.5)
    x = x.to(next(net.parameters()).device).requires_grad_(True)
    captured = {}
    handle = None
    if layer is not None:
        def hook(mod, inputs, output):
            captured["out"] = output[0] if isinstance(output, tuple) else output
        handle = net.get_submodule(layer).register_forward_hook(hook)
    try:
        out = net(x)
    finally:
        if handle is not None:
            handle.remove()
    if layer is None:
        target = out.sum()
    else:
        feat = captured["out"]
        pos = feat.shape[-1] // 2 if position is None else position
        target = feat[0, :, pos].sum()
    target.backward()
    hit = torch.nonzero(x.grad[0].abs().sum(0) > 0).flatten()
    if hit.numel() == 0:
        return (0, -1, -1) if return_positions else 0
    first, last = int(hit.min()), int(hit.max())
    span = last - first + 1
    return (span, first, last) if return_positions else span
