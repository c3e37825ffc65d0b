"""First-layer filters: PWMs from activations, the weight view, influence, export.

What a first-layer filter "looks for" is read off the sequences that activate
it (Kelley et al. 2016, Basset): every window whose activation passes a
threshold is one *site*; the sites are counted into a position frequency
matrix (PFM), normalised to a PPM and drawn as a logo. Three published rules
for choosing sites are offered side by side, because they disagree:

``"basset"`` (default; Basset's ``basset_motifs.py``)
    activation > ``threshold * (max - mean) + mean`` per filter (max and mean
    over all positions of all given sequences), threshold 0.5; pseudocount 1.
``"max_fraction"`` (ExplaiNN, Novakovsky et al. 2023)
    activation > ``threshold * max``, threshold 0.5.
``"top_n"`` (EUGENe, Klie et al. 2023)
    the ``n_top`` (100) highest-activating windows of each filter (ties broken
    by position).

Filters with fewer than ``min_sites`` (10) sites are dropped, as Basset does.
The activation is the first convolution's output after its batch norm and
ReLU when the block has them (what the next layer sees), else the raw
convolution output. Windows are read from the convolution's own input, so
padding is honoured: a window that hangs over a sequence end (zero padding)
adds counts only for the positions inside the sequence, and 'N' padding
(0.25 per base, DeepBind) adds a quarter count to every base.

Matching to JASPAR lives in `regviz.filters.match`; influence in
`regviz.filters.influence`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from regviz.errors import ModelConfigError, MotifError
from regviz.models.convnets import ConvNet
from regviz.models.layers import Exp
from regviz.motifs.matrix import (Motif, counts_to_ppm, gc_background, information_content,
                                  letter_heights)

RULES = ("basset", "max_fraction", "top_n")
# first-layer activations whose outputs are >= 0 (the block's ``act`` module)
NONNEGATIVE_ACTIVATIONS = (nn.ReLU, Exp)
RULE_HELP = {
    "basset": "activation > threshold x (max - mean) + mean (Basset, Kelley et al. 2016)",
    "max_fraction": "activation > threshold x max (ExplaiNN, Novakovsky et al. 2023)",
    "top_n": "the N highest-activating windows (EUGENe, Klie et al. 2023)",
}


@dataclass(eq=False)
class FilterMotif:
    """One first-layer filter as a motif.

    Attributes
    ----------
    index : int
        0-based filter (output channel) index in the first convolution.
    counts : np.ndarray, shape (4, w)
        Base counts over the filter's sites (rows A, C, G, T), no pseudocount.
    ppm : np.ndarray, shape (4, w)
        ``(counts + pseudocount * background) / (n + pseudocount)`` per column.
    n_sites : int
        Number of windows that passed the rule.
    ic : np.ndarray, shape (w,)
        Information content of ``ppm`` per position in bits, against
        ``background`` (the base composition of the given sequences).
    weights : np.ndarray, shape (4, w)
        The filter's weights (the weight view, for teaching; not a PWM).
    bias : float
    background : np.ndarray, shape (4,)
    rule, threshold : str, float
        How sites were chosen.
    """

    index: int
    counts: np.ndarray
    ppm: np.ndarray
    n_sites: int
    ic: np.ndarray
    weights: np.ndarray
    bias: float = 0.0
    background: np.ndarray = field(default_factory=lambda: np.full(4, 0.25))
    rule: str = "basset"
    threshold: float = 0.5

    @property
    def name(self) -> str:
        """``"filter<index>"`` (0-based), the id used in tables and MEME files."""
        return f"filter{self.index}"

    @property
    def total_ic(self) -> float:
        """Sum of ``ic`` over positions, in bits."""
        return float(self.ic.sum())

    @property
    def heights(self) -> np.ndarray:
        """Logo letter heights ``(4, w)`` in bits against the filter's background."""
        return letter_heights(self.ppm, self.background)

    def motif(self) -> Motif:
        """The filter as a :class:`~regviz.motifs.Motif` (counts = ppm x n_sites)."""
        return Motif.from_ppm(self.name, self.name, self.ppm, nsites=max(self.n_sites, 1))


class _Stop(Exception):
    """Raised inside a hook to end a forward pass once the first layer is seen."""


def first_layer(model: nn.Module) -> tuple[nn.Conv1d, nn.Module]:
    """The first convolution and the module whose output is its activation.

    Returns
    -------
    (conv, act)
        ``act`` is the activation of the conv's block (``<block>.act``: ReLU, or
        Exp for an exponential first layer) when there is one, else ``conv``
        itself.

    Raises
    ------
    ModelConfigError
        The model has no first convolution over the bases.
    """
    path = getattr(model, "first_conv_name", None)
    if not path:
        raise ModelConfigError(
            f"{type(model).__name__} has no first-layer convolution over the bases, so it "
            "has no filters to show. Filters exist for DeepBind, Basset, DeepSEA, DeepSTARR, "
            "DanQ and the plain CNN.")
    conv = model.get_submodule(path)
    if isinstance(conv, nn.Conv1d) and conv.in_channels > 4:
        raise ModelConfigError(
            f"The first layer of this {type(model).__name__} reads {conv.in_channels} input "
            f"channels (the 4 bases and {conv.in_channels - 4} chromatin tracks), so its "
            "filters are not motifs over DNA alone. Pick a DNA-only model (e.g. "
            "enhancer-4kb_decode) to see filters.")
    if not isinstance(conv, nn.Conv1d) or conv.in_channels != 4 or conv.groups != 1:
        raise ModelConfigError(f"{path} of {type(model).__name__} is not a Conv1d over the "
                               f"4 bases. Got {conv!r} instead.")
    parent = model.get_submodule(path.rpartition(".")[0]) if "." in path else model
    act = getattr(parent, "act", None)
    return conv, act if isinstance(act, NONNEGATIVE_ACTIVATIONS) else conv


def check_X(X, model: nn.Module | None = None, what: str = "X") -> np.ndarray:
    """``X`` as C-contiguous float32 ``(n, 4, L)``; MotifError if it is not one-hot-like."""
    if hasattr(X, "detach"):
        X = X.detach().cpu().numpy()
    X = np.asarray(X)
    if X.ndim != 3 or X.shape[1] != 4 or X.shape[0] < 1:
        raise MotifError(f"{what} must be one-hot sequences of shape (n, 4, L) in A, C, G, T "
                         f"order. Got shape {X.shape} instead.")
    L = getattr(model, "input_length", None) if model is not None else None
    if L is not None and X.shape[2] != L:
        raise MotifError(f"{what} has sequences of length {X.shape[2]}, but the model reads "
                         f"{L} bp. Give sequences of length {L}.")
    return np.ascontiguousarray(X, dtype=np.float32)


def _folded_first_block(model: nn.Module):
    """(weight, bias) of conv + eval-mode batch norm folded into one convolution, for
    plain ConvNets whose first block takes the model input; else None."""
    if not (isinstance(model, ConvNet) and model.first_conv_name == "convs.0.conv"
            and type(model).forward is ConvNet.forward) or model.training:
        return None
    block = model.convs[0]
    W = block.conv.weight.detach()
    b = block.conv.bias.detach() if block.conv.bias is not None else torch.zeros(W.shape[0])
    if block.bn is None:
        return W, b
    bn = block.bn
    if not bn.track_running_stats or bn.running_mean is None:
        return None
    scale = (bn.weight.detach() if bn.affine else 1) / torch.sqrt(bn.running_var + bn.eps)
    shift = bn.bias.detach() if bn.affine else 0
    return W * scale[:, None, None], (b - bn.running_mean) * scale + shift


def first_layer_outputs(model: nn.Module, x: torch.Tensor):
    """(conv input, activation) for a batch, stopping the forward there.

    Plain ConvNets in eval mode take a fast path: the first block's batch norm
    is folded into the convolution (the same numbers up to float rounding).
    """
    conv, act = first_layer(model)
    folded = _folded_first_block(model)
    if folded is not None:
        model.check_input(x)
        with torch.no_grad():
            a = nn.functional.conv1d(x, folded[0], folded[1], conv.stride, conv.padding,
                                     conv.dilation)
            return x, torch.exp_(a) if isinstance(act, Exp) else torch.relu_(a)
    seen = {}

    def grab_in(_m, args):
        seen["x"] = args[0].detach()

    def grab_out(_m, _args, out):
        seen["a"] = out.detach()
        raise _Stop

    h1 = conv.register_forward_pre_hook(grab_in)
    h2 = act.register_forward_hook(grab_out)
    try:
        with torch.no_grad():
            model(x)
    except _Stop:
        pass
    finally:
        h1.remove()
        h2.remove()
    return seen["x"], seen["a"]


def _padding(conv: nn.Conv1d) -> tuple[int, int]:
    """(left, right) zero padding the convolution applies to its input."""
    w, d = conv.kernel_size[0], conv.dilation[0]
    if conv.padding == "same":
        return d * (w - 1) // 2, d * (w - 1) - d * (w - 1) // 2
    if conv.padding == "valid":
        return 0, 0
    return int(conv.padding[0]), int(conv.padding[0])


def _count_windows(conv: nn.Conv1d, x_all: torch.Tensor, fi: torch.Tensor, gi: torch.Tensor,
                   n_pos: int, F: int, chunk: int = 65536) -> np.ndarray:
    """Sum of the input windows of sites ``(filter fi, window gi = seq * n_pos + pos)``.

    Returns float64 ``(F, 4, w)`` counts.
    """
    w, d, s = conv.kernel_size[0], conv.dilation[0], conv.stride[0]
    # float32 sums of 0/1 (and 0.25 for N) are exact below 2**24 sites
    counts = torch.zeros(F, 4 * w, dtype=torch.float32)
    if len(fi) == 0:
        return counts.numpy().reshape(F, 4, w)
    left, right = _padding(conv)
    xp = torch.nn.functional.pad(x_all, (left, right + s * n_pos))
    view = xp.unfold(2, d * (w - 1) + 1, s)                     # (n, 4, positions, span)
    for c0 in range(0, len(fi), chunk):
        g = gi[c0:c0 + chunk]
        win = view[g // n_pos, :, g % n_pos][:, :, ::d]         # (S, 4, w)
        counts.index_add_(0, fi[c0:c0 + chunk], win.reshape(len(g), 4 * w))
    return counts.double().numpy().reshape(F, 4, w)


def _thresholds(model, X, rule, threshold, batch_size) -> np.ndarray:
    """Per-filter activation cut-off for the 'basset' and 'max_fraction' rules."""
    mx, total, n = None, None, 0
    for b0 in range(0, len(X), batch_size):
        _, a = first_layer_outputs(model, torch.from_numpy(X[b0:b0 + batch_size]))
        bm, bs = a.amax(dim=(0, 2)).double(), a.double().sum(dim=(0, 2))
        mx = bm if mx is None else torch.maximum(mx, bm)
        total = bs if total is None else total + bs
        n += a.shape[0] * a.shape[2]
    mx, mean = mx.numpy(), (total / n).numpy()
    return threshold * (mx - mean) + mean if rule == "basset" else threshold * mx


def filter_pwms(model: nn.Module, X, rule: str = "basset", threshold: float = 0.5,
                n_top: int = 100, min_sites: int = 10, pseudocount: float | None = None,
                batch_size: int = 256) -> list[FilterMotif]:
    """Turn each first-layer filter into a PWM from the windows that activate it.

    Parameters
    ----------
    model : RegvizModel
        Any model with ``first_conv_name`` (DeepBind, ConvNets, DanQ). Run on
        CPU in eval mode (batch norm uses its running statistics).
    X : array, shape (n, 4, L)
        One-hot sequences (float32, A, C, G, T) of the model's input length,
        e.g. 2,000 test sequences.
    rule : {"basset", "max_fraction", "top_n"}
        How sites are chosen (see the module docstring).
    threshold : float
        Fraction used by "basset" and "max_fraction" (default 0.5).
    n_top : int
        Sites per filter for "top_n" (default 100).
    min_sites : int
        Filters with fewer sites are dropped (default 10, Basset's).
    pseudocount : float, optional
        Total pseudocount per column, shared by the background; default 1 for
        "basset" (Basset's) and 0 for the other two (as published).
    batch_size : int
        Sequences per forward pass; memory is about ``batch_size x filters x L
        x 4`` bytes.

    Returns
    -------
    list of FilterMotif
        Kept filters in index order. Information content is against the base
        composition of ``X`` (A = T, C = G).
    """
    if rule not in RULES:
        raise MotifError(f"rule must be one of {list(RULES)}. Got {rule!r} instead.")
    if not 0 <= float(threshold) <= 1:
        raise MotifError(f"threshold must be a fraction between 0 and 1. Got {threshold!r} "
                         "instead.")
    for name, v in (("n_top", n_top), ("min_sites", min_sites), ("batch_size", batch_size)):
        if isinstance(v, bool) or int(v) != v or v < (0 if name == "min_sites" else 1):
            raise MotifError(f"{name} must be a positive integer. Got {v!r} instead.")
    X = check_X(X, model)
    conv, act = first_layer(model)
    model.eval()
    pc = (1.0 if rule == "basset" else 0.0) if pseudocount is None else float(pseudocount)
    gc = float(X[:, 1:3].sum() / max(X.sum(), 1e-9))
    bg = gc_background(min(max(gc, 0.01), 0.99))
    F = conv.out_channels
    fixed = None
    if rule != "top_n" and not isinstance(act, NONNEGATIVE_ACTIVATIONS):
        # activations may be negative: the one-pass lower bound below does not hold
        fixed = torch.from_numpy(_thresholds(model, X, rule, float(threshold), batch_size))
    inputs, cand_f, cand_g, cand_v = [], [], [], []
    run_max = torch.full((F,), -np.inf)
    total, n_win, P = torch.zeros(F, dtype=torch.float64), 0, 0
    best_v, best_i = torch.full((F, 0), -np.inf), torch.zeros((F, 0), dtype=torch.int64)
    for b0 in range(0, len(X), batch_size):
        x_in, a = first_layer_outputs(model, torch.from_numpy(X[b0:b0 + batch_size]))
        inputs.append(x_in)
        P = a.shape[2]
        a = a.float()
        run_max = torch.maximum(run_max, a.amax(dim=(0, 2)))
        total += a.sum(dim=(0, 2)).double()
        n_win += a.shape[0] * P
        if rule == "top_n":
            flat = a.permute(1, 0, 2).reshape(F, -1)                     # (F, b*P)
            idx = (torch.arange(flat.shape[1]) + b0 * P).expand(F, -1)
            vals, ids = torch.cat([best_v, flat], 1), torch.cat([best_i, idx], 1)
            # ties: the earlier window wins (stable sort on descending value)
            order = torch.sort(vals, dim=1, descending=True, stable=True).indices
            order = order[:, :min(int(n_top), vals.shape[1])]
            best_v, best_i = torch.gather(vals, 1, order), torch.gather(ids, 1, order)
            continue
        # One pass: after a ReLU (or exp) the mean is >= 0, so the final cut-off
        # t (max - mean) + mean (basset) or t max (max_fraction) is at least
        # t x (running max); windows below that can never become sites. The
        # float32 bound is lowered a little; the exact cut is made in float64.
        lower = fixed if fixed is not None else float(threshold) * run_max.double()
        low32 = (lower - 1e-6 * lower.abs() - 1e-9).float()
        bi, fi, li = (a > low32[None, :, None]).nonzero(as_tuple=True)
        cand_f.append(fi)
        cand_g.append((bi + b0) * P + li)
        cand_v.append(a[bi, fi, li].double())
    if rule == "top_n":
        fi = torch.arange(F)[:, None].expand(-1, best_i.shape[1]).reshape(-1)
        gi = best_i.reshape(-1)
    else:
        mean, mx = total / n_win, run_max.double()
        thr = fixed if fixed is not None else (
            float(threshold) * (mx - mean) + mean if rule == "basset" else float(threshold) * mx)
        fi, gi, v = torch.cat(cand_f), torch.cat(cand_g), torch.cat(cand_v)
        keep = v > thr[fi]
        fi, gi = fi[keep], gi[keep]
    counts = _count_windows(conv, torch.cat(inputs), fi, gi, P, F)
    n_sites = torch.bincount(fi, minlength=F).numpy()
    W = conv.weight.detach().cpu().double().numpy()
    B = conv.bias.detach().cpu().double().numpy() if conv.bias is not None else np.zeros(F)
    out = []
    for f in range(F):
        if n_sites[f] < max(int(min_sites), 1):
            continue
        c = counts[f]
        if pc == 0 and (c.sum(axis=0) <= 0).any():
            continue
        ppm = counts_to_ppm(c, pc, bg)
        out.append(FilterMotif(f, c, ppm, int(n_sites[f]), information_content(ppm, bg),
                               W[f].copy(), float(B[f]), bg, rule, float(threshold)))
    return out


def to_meme(filters, path=None, background=None) -> str:
    """MEME motif format text (version 4) of filter PPMs; written to ``path`` if given.

    Parameters
    ----------
    filters : list of FilterMotif, Motif or (4, w) arrays
        A FilterMotif is written as ``MOTIF filter<i>`` with ``nsites`` = its
        number of sites.
    path : str or Path, optional
    background : array of 4, optional
        Background letter frequencies line (default uniform).

    Returns
    -------
    str
        The file text; ``regviz.motifs.read_meme`` (memelite's reader) reads
        it back to the same matrices (to the 6 decimals written).
    """
    bg = np.full(4, 0.25) if background is None else np.asarray(background, dtype=float)
    lines = ["MEME version 4", "", "ALPHABET= ACGT", "", "strands: + -", "",
             "Background letter frequencies",
             " ".join(f"{b} {v:.6f}" for b, v in zip("ACGT", bg)), ""]
    for i, f in enumerate(filters):
        if isinstance(f, FilterMotif):
            name, ppm, ns = f.name, f.ppm, f.n_sites
        elif isinstance(f, Motif):
            name, ppm, ns = f.id if f.name == f.id else f"{f.id} {f.name}", f.ppm(), \
                int(round(float(f.nsites.max())))
        else:
            name, ppm, ns = f"motif{i}", counts_to_ppm(f), 20
        lines += [f"MOTIF {name}", "",
                  f"letter-probability matrix: alength= 4 w= {ppm.shape[1]} nsites= {ns} E= 0"]
        lines += [" ".join(f"{v:.6f}" for v in col) for col in np.asarray(ppm).T]
        lines.append("")
    text = "\n".join(lines)
    if path is not None:
        Path(path).write_text(text)
    return text
