"""In-silico mutagenesis (ISM): the change in prediction for every single-base substitution.

``ism(model, X, target)`` returns ``(n, 4, L)`` with entry ``[i, b, p]`` =
``f(X_i with base b at position p)[target] - f(X_i)[target]``, 0 at the reference
base. It is exact: the same numbers as mutating every base and predicting
(`ism_brute_force`), up to float32 rounding (tests: max abs difference < 1e-4).

Fast path (convolutional models: the ConvNet family - deepbind, deepsea, basset,
deepstarr, decode, cnn - and kmer_logreg). A substitution at position p only
changes feature-map columns inside its receptive field, so for a chunk of
neighbouring positions each layer is recomputed only on the span of columns that
change, reading the unchanged neighbours from the reference's cached activations:

- a convolution's changed outputs are computed from the reference input window
  with the changed columns pasted in (zero or 'N' padding at the ends as in the
  model); batch norm in eval mode is a per-channel affine map, ReLU is pointwise;
- a max/average pool recomputes only the windows that overlap the changed span;
- the first dense layer after the flatten is linear, so its pre-activation is
  updated with ``W[:, changed] @ (new - reference)``; global max/mean/sum heads
  use prefix/suffix maxima and sums of the reference map.

Other models (recurrent, attention, residual) use batched brute force with a
progress callback. The model is evaluated in eval mode (dropout off, batch norm
on running statistics) and put back into the mode it came in; it is never moved:
inputs go to the model's device.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from regviz.attribution.inputs import ModelMode, check_target, device_dtype
from regviz.errors import AttributionError
from regviz.models.convnets import ConvNet
from regviz.models.deepbind import DeepBind
from regviz.models.kmer import KmerLogReg

Progress = Callable[[int, int], None] | None


# ----------------------------------------------------------------------------- helpers


def _as_array(model: nn.Module, X) -> np.ndarray:
    X = np.asarray(X.detach().cpu() if isinstance(X, torch.Tensor) else X, dtype=np.float32)
    if X.ndim == 2:
        X = X[None]
    c = getattr(model, "in_channels", 4)
    if X.ndim != 3 or X.shape[1] < 4 or X.shape[1] != c:
        raise AttributionError(f"ISM needs one-hot inputs of shape (n, {c}, L) (n sequences, "
                               f"4 bases{' + extra channels' if c > 4 else ''}). Got "
                               f"{X.shape} instead.")
    cfg = getattr(model, "config", None)
    if getattr(cfg, "tracks_only", False):
        raise AttributionError("ISM substitutes bases, but this model reads chromatin tracks "
                               "only (no DNA channels). Use gradient methods instead.")
    return X


def _mutants(X: np.ndarray, positions: np.ndarray):
    """(seq index, position, base) of every substitution at ``positions`` that changes X."""
    sub = X[:, :4, positions]                              # (n, 4, P)
    i, b, j = np.nonzero(sub != 1.0)
    return i, positions[j], b


# ----------------------------------------------------------------------------- brute force


def ism_brute_force(model: nn.Module, X, target: int = 0, batch_size: int = 256,
                    progress: Progress = None, positions=None) -> np.ndarray:
    """ISM by mutating every base and predicting the mutants in batches.

    Parameters
    ----------
    model : nn.Module
        Any model mapping ``(n, C, L)`` to ``(n, n_outputs)``.
    X : array (n, C, L)
        One-hot inputs (ACGT first; extra channels are left unchanged).
    target : int
        Output index.
    batch_size : int
        Mutants per forward pass.
    progress : callable(done, total), optional
        Called after each batch with the number of mutants done.
    positions : array of int, optional
        Only mutate these 0-based positions (others stay 0); default all.

    Returns
    -------
    np.ndarray (n, 4, L), float32: f(mutant) - f(reference); 0 at reference bases.
    """
    X = _as_array(model, X)
    target = check_target(model, target)
    device, dtype = device_dtype(model)
    n, _, L = X.shape
    out = np.zeros((n, 4, L), np.float32)
    si, sp, sb = _mutants(X, np.arange(L) if positions is None else np.asarray(positions))
    total = len(si)
    with ModelMode(model, grad=False):
        xt = torch.as_tensor(X, device=device, dtype=dtype)
        ref = model(xt)[:, target]
        for start in range(0, total, batch_size):
            i, p, b = (a[start:start + batch_size] for a in (si, sp, sb))
            batch = xt[torch.as_tensor(i, device=device)].clone()
            ti, tp = torch.as_tensor(np.arange(len(i)), device=device), torch.as_tensor(p, device=device)
            batch[ti, :4, tp] = 0.0
            batch[ti, torch.as_tensor(b, device=device), tp] = 1.0
            delta = model(batch)[:, target] - ref[torch.as_tensor(i, device=device)]
            out[i, b, p] = delta.float().cpu().numpy()
            if progress is not None:
                progress(min(start + batch_size, total), total)
    return out


# ----------------------------------------------------------------------------- fast plan


class _Conv:
    """One conv (+ bn + activation + pool) step of a fast-ISM plan; ``act`` is a
    callable (ReLU, the block's ``Exp``) or None."""

    def __init__(self, conv: nn.Conv1d, bn=None, act=F.relu, pool=None, pad_value=0.0,
                 extra_pad=(0, 0)):
        self.conv, self.bn, self.act, self.pool = conv, bn, act, pool
        k, d = conv.kernel_size[0], conv.dilation[0]
        if conv.stride[0] != 1 or conv.groups != 1:
            raise AttributionError("fast ISM needs stride-1, ungrouped convolutions")
        if conv.padding == "same":
            total = d * (k - 1)
            left = total // 2
            right = total - left
        elif conv.padding == "valid":
            left = right = 0
        else:
            left = right = int(conv.padding[0])
        self.left, self.right = left + extra_pad[0], right + extra_pad[1]
        self.span = d * (k - 1) + 1
        self.pad_value = pad_value
        if pool is not None:
            ks = pool.kernel_size if isinstance(pool.kernel_size, int) else pool.kernel_size[0]
            st = pool.stride if isinstance(pool.stride, int) else pool.stride[0]
            pd = pool.padding if isinstance(pool.padding, int) else pool.padding[0]
            if ks != st or pd != 0 or getattr(pool, "ceil_mode", False):
                raise AttributionError("fast ISM needs pools with kernel = stride")
            self.pool_size = ks
        else:
            self.pool_size = 1

    def lengths(self, l_in: int):
        l_conv = l_in + self.left + self.right - self.span + 1
        return l_conv, l_conv // self.pool_size

    def apply(self, x):
        """Full forward of this step (for the reference)."""
        if self.left or self.right:
            x = F.pad(x, (self.left, self.right), value=self.pad_value)
        y = F.conv1d(x, self.conv.weight, self.conv.bias, dilation=self.conv.dilation)
        return self._post(y)

    def _post(self, y):
        if self.bn is not None:
            y = self.bn(y)
        if self.act is not None:
            y = self.act(y)
        if self.pool is not None:
            y = self.pool(y)
        return y

    def update(self, ref_in, idx, a, b, new, l_in):
        """Changed output columns [a', b') given changed input columns [a, b).

        ref_in : (n, C, l_in) reference input; idx : (m,) sequence of each mutant;
        new : (m, C, b - a) new values of the changed columns.
        """
        l_conv, l_out = self.lengths(l_in)
        ca = max(a + self.left - self.span + 1, 0)
        cb = min(b + self.left, l_conv)
        s = self.pool_size
        qa, qb = ca // s, min((cb - 1) // s + 1, l_out)
        if qb <= qa:
            return None
        xa, xb = qa * s, qb * s                         # conv outputs to compute
        ia, ib = xa - self.left, xb - self.left + self.span - 1   # input window (may overhang)
        lo, hi = max(ia, 0), min(ib, l_in)
        win = ref_in[idx, :, lo:hi]
        if ia < lo or ib > hi:
            win = F.pad(win, (lo - ia, ib - hi), value=self.pad_value)
        else:
            win = win.clone()
        pa, pb = max(a, ia), min(b, ib)              # changed columns this window reads
        win[:, :, pa - ia:pb - ia] = new[:, :, pa - a:pb - a]
        y = F.conv1d(win, self.conv.weight, self.conv.bias, dilation=self.conv.dilation)
        return qa, qb, self._post(y)


class _Plan:
    """Layers of a model in the form fast ISM understands."""

    def __init__(self, steps, head, tail, flatten_order="channel_major", first_linear=None,
                 scale=1.0):
        self.steps, self.head, self.tail = steps, head, tail
        self.order, self.first_linear, self.scale = flatten_order, first_linear, scale


def _convnet_plan(model) -> _Plan:
    steps = []
    for block in model.convs:
        pool = block.pool
        if pool is not None and not isinstance(pool, (nn.MaxPool1d, nn.AvgPool1d)):
            raise AttributionError("unsupported pool")
        steps.append(_Conv(block.conv, block.bn, block.act, pool))
    if model.pool is None:
        head = "flatten"
        first = model.dense[0].linear if len(model.dense) else model.out
    else:
        head = "max" if isinstance(model.pool, nn.MaxPool1d) else "mean"
        first = None

    def tail_from_pre(pre):
        if len(model.dense):
            blk = model.dense[0]
            x = pre
            if blk.bn is not None:
                x = blk.bn(x)
            x = blk.act(x)
            for blk in model.dense[1:]:
                x = blk(x)
            return model.out(x)
        return pre

    def tail_from_features(f):
        x = f
        for blk in model.dense:
            x = blk(x)
        return model.out(x)

    tail = tail_from_pre if head == "flatten" else tail_from_features
    return _Plan(steps, head, tail, model.config.flatten, first)


def _deepbind_plan(model) -> _Plan:
    if getattr(model.config, "rc_max", False):  # both strands (imported DeepBind DNA models)
        raise AttributionError("the fast path scans the forward strand only")
    pad = model.config.filter_width - 1 if model.pad is not None else 0
    steps = [_Conv(model.conv, None, F.relu, None, pad_value=0.25 if pad else 0.0,
                   extra_pad=(pad, pad))]

    def tail(f):
        x = f
        if model.hidden is not None:
            x = model.hidden_act(model.hidden(x))
        return model.out(x)

    return _Plan(steps, "deepbind_avg" if model.avg_pool is not None else "max", tail)


def _kmer_plan(model) -> _Plan:
    steps = [_Conv(model.count, None, F.relu, None)]
    return _Plan(steps, "sum", lambda f: model.linear(f), scale=model.scale)


def fast_plan(model: nn.Module) -> _Plan | None:
    """The fast-ISM plan of a model, or None when only brute force applies."""
    try:
        if isinstance(model, ConvNet):
            return _convnet_plan(model)
        if isinstance(model, DeepBind):
            return _deepbind_plan(model)
        if isinstance(model, KmerLogReg):
            return _kmer_plan(model)
    except AttributionError:
        return None
    return None


def supports_fast_ism(model: nn.Module) -> bool:
    """Whether `ism` uses the receptive-field fast path for this model."""
    return fast_plan(model) is not None


def _global_features(plan, ctx, idx, qa, qb, new):
    """Head features of mutants whose final map changed in columns [qa, qb)."""
    ref_map, length = ctx["acts"][-1], ctx["lens"][-1]
    pre_max, suf_max, ref_sum = ctx["pre_max"], ctx["suf_max"], ctx["ref_sum"]
    parts = []
    if plan.head in ("max", "deepbind_avg"):
        m = new.amax(dim=2)
        left = pre_max[idx, :, qa - 1] if qa > 0 else None
        right = suf_max[idx, :, qb] if qb < length else None
        for side in (left, right):
            if side is not None:
                m = torch.maximum(m, side)
        parts.append(m)
    if plan.head in ("mean", "sum", "deepbind_avg"):
        s = ref_sum[idx] - ref_map[idx, :, qa:qb].sum(dim=2) + new.sum(dim=2)
        parts.append(s / length if plan.head != "sum" else s * plan.scale)
    if plan.head == "deepbind_avg":
        return torch.stack(parts, dim=2).flatten(1)         # [max0, avg0, max1, ...]
    return parts[0]


def _ism_fast(model, plan: _Plan, X: np.ndarray, target: int, chunk: int, batch_size: int,
              progress: Progress) -> np.ndarray:
    device, dtype = device_dtype(model)
    n, _, L = X.shape
    out = np.zeros((n, 4, L), np.float32)
    xt = torch.as_tensor(X, device=device, dtype=dtype)
    ctx = {"acts": [xt], "lens": [L]}                     # reference activations
    for st in plan.steps:
        ctx["acts"].append(st.apply(ctx["acts"][-1]))
        ctx["lens"].append(ctx["acts"][-1].shape[-1])
    final, lf = ctx["acts"][-1], ctx["lens"][-1]
    if plan.head == "flatten":
        w = plan.first_linear.weight                        # (H, C*Lf)
        C = final.shape[1]
        ctx["w3"] = (w.view(-1, C, lf) if plan.order == "channel_major"
                     else w.view(-1, lf, C).transpose(1, 2))   # (H, C, Lf)
        flat = (final.flatten(1) if plan.order == "channel_major"
                else final.transpose(1, 2).flatten(1))
        ctx["ref_pre"] = plan.first_linear(flat)
        ctx["ref_out"] = plan.tail(ctx["ref_pre"])[:, target]
    else:
        ctx["pre_max"] = torch.cummax(final, dim=2).values
        ctx["suf_max"] = torch.cummax(final.flip(2), dim=2).values.flip(2)
        ctx["ref_sum"] = final.sum(dim=2)
        feats = _global_features(plan, ctx, torch.arange(n, device=device), 0, lf, final)
        ctx["ref_out"] = plan.tail(feats)[:, target]
    si, sp, sb = _mutants(X, np.arange(L))
    total, done = len(si), 0
    group = max(1, batch_size // (3 * chunk))             # sequences per step
    for g0 in range(0, n, group):
        for p0 in range(0, L, chunk):
            sel = (si >= g0) & (si < g0 + group) & (sp >= p0) & (sp < p0 + chunk)
            if sel.any():
                done += _fast_chunk(plan, ctx, si[sel], sp[sel], sb[sel], p0,
                                    min(p0 + chunk, L), target, out)
                if progress is not None:
                    progress(done, total)
    return out


def _fast_chunk(plan, ctx, i, p, b, p0, p1, target, out) -> int:
    """Score the mutants (i, p, b), all at positions in [p0, p1); returns their number."""
    xt, acts, lens = ctx["acts"][0], ctx["acts"], ctx["lens"]
    device, dtype = xt.device, xt.dtype
    final = acts[-1]
    ti = torch.as_tensor(i, device=device)
    m = len(i)
    new = xt[ti, :, p0:p1].clone()                          # (m, C, p1 - p0)
    rows = torch.arange(m, device=device)
    tp = torch.as_tensor(p - p0, device=device)
    new[rows, :4, tp] = 0.0
    new[rows, torch.as_tensor(b, device=device), tp] = 1.0
    a, bnd, changed = p0, p1, new
    for st, ref_in, l_in in zip(plan.steps, acts[:-1], lens[:-1]):
        res = st.update(ref_in, ti, a, bnd, changed, l_in)
        if res is None:
            changed = None
            break
        a, bnd, changed = res
    if changed is None:                                     # change never reaches the head
        delta = torch.zeros(m, device=device, dtype=dtype)
    elif plan.head == "flatten":
        diff = changed - final[ti, :, a:bnd]
        pre = ctx["ref_pre"][ti] + torch.einsum("hcp,mcp->mh", ctx["w3"][:, :, a:bnd], diff)
        delta = plan.tail(pre)[:, target] - ctx["ref_out"][ti]
    else:
        feats = _global_features(plan, ctx, ti, a, bnd, changed)
        delta = plan.tail(feats)[:, target] - ctx["ref_out"][ti]
    out[i, b, p] = delta.float().cpu().numpy()
    return m


def ism(model: nn.Module, X, target: int = 0, batch_size: int = 1024, chunk: int | None = None,
        progress: Progress = None, method: str = "auto") -> np.ndarray:
    """In-silico mutagenesis: f(mutant) - f(reference) for every single-base substitution.

    Parameters
    ----------
    model : nn.Module
        A zoo model (or any ``(n, C, L) -> (n, n_outputs)`` module for brute force).
    X : array (n, C, L) or (C, L), float32
        One-hot ACGT inputs (extra channels after the 4 bases stay unchanged). At an N
        (0.25 in every channel) all four substitutions are scored.
    target : int
        Output index (default 0).
    batch_size : int
        Mutants evaluated together (default 1024); results do not depend on it.
    chunk : int, optional
        Fast path only: neighbouring positions whose mutants share one recomputed span
        (default L // 16, between 8 and 64).
    progress : callable(done, total), optional
        Called with mutants done so far.
    method : str
        "auto" (fast where supported, else brute force), "fast" or "brute".

    Returns
    -------
    np.ndarray (n, 4, L), float32; 0 at reference bases. Runs on the model's device
    in eval mode; the model's mode is restored afterwards.
    """
    if method not in ("auto", "fast", "brute"):
        raise AttributionError(f"method must be 'auto', 'fast' or 'brute'. Got {method!r} "
                               "instead.")
    X = _as_array(model, X)
    target = check_target(model, target)
    plan = fast_plan(model) if method != "brute" else None
    if method == "fast" and plan is None:
        raise AttributionError(f"{getattr(model, 'registry_name', type(model).__name__)} has "
                               "no fast ISM path (recurrent, attention or residual layers); "
                               "use method='auto' or 'brute'.")
    if plan is None:
        return ism_brute_force(model, X, target, batch_size=batch_size, progress=progress)
    if chunk is None:
        chunk = int(min(64, max(8, X.shape[-1] // 16)))
    with ModelMode(model, grad=False):
        return _ism_fast(model, plan, X, target, int(chunk), int(batch_size), progress)
