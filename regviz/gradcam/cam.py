"""Grad-CAM tracks at base resolution, layer resolutions, and core-region calls.

Grad-CAM (Selvaraju et al. 2017) weights each channel ``k`` of a conv layer's
feature map ``A_k`` by the mean gradient of the output over positions,
``alpha_k = mean_p d y / d A_k[p]``, and sums: ``cam[p] = ReLU(sum_k alpha_k
A_k[p])``. DECODE (Chen et al. 2021) used it to localise core enhancers inside
4 kb windows that its CNN only classifies.

A feature map is coarser than the input: position ``p`` of a layer summarises
``receptive_field`` input bases, ``jump`` bases apart (the layer's *bin size*).
`gradcam` puts each position at the centre of its receptive field,
``left + p * jump + (receptive_field - 1) / 2`` (``left`` = first base the
position-0 window reaches, negative with "same" padding), and interpolates
linearly between centres (bases before the first / after the last centre get
the nearest centre's value). A naive stretch of ``P`` positions over ``L``
bases would shift the track by up to half a receptive field wherever padding
or "valid" convolutions move the centres.

Inputs follow the house shapes: ``X`` is ``(n, channels, length)`` float32,
channels = 4 one-hot bases (ACGT) plus any extra tracks, or, for DECODE's
tracks-only form (``tracks_only=True``), only binned tracks with length counted
in bins of ``bin_size`` bp (20 in DECODE). Tracks come back at base resolution
either way: ``(n, length * bin_size)``.

Region scanning (`scan_region`) lives in `regviz.gradcam.scan`, localisation
scores (`localisation`, `score_calls`) in `regviz.gradcam.evaluate`, the demo genome
with planted cores in `regviz.gradcam.demo`.
"""

from __future__ import annotations

import dataclasses
import json
import warnings

import numpy as np
import pandas as pd
import torch
from captum.attr import GuidedBackprop
from torch import nn

from regviz.errors import ModelConfigError, SequenceError, warn_if_not_finite
from regviz.models import structure

DECODE_BIN_BP = 20  # bp per bin of DECODE's tracks-only input



def input_bin_size(model, bin_size=None) -> int:
    """bp per input position: ``bin_size`` if given, else 20 for tracks-only DECODE, else 1."""
    if bin_size is not None:
        if isinstance(bin_size, bool) or not isinstance(bin_size, (int, np.integer)) \
                or bin_size < 1:
            raise ModelConfigError(f"bin_size must be a whole number of bp, 1 or more. "
                                   f"Got {bin_size!r} instead.")
        return int(bin_size)
    return DECODE_BIN_BP if getattr(model.config, "tracks_only", False) else 1


_GEOMETRY: dict = {}


def _key(model) -> tuple:
    return (type(model).__name__, getattr(model, "registry_name", ""),
            json.dumps(dataclasses.asdict(model.config), sort_keys=True, default=str)
            if dataclasses.is_dataclass(getattr(model, "config", None)) else id(model))


def _geometry(model) -> pd.DataFrame:
    """Every leaf with a positional output: layer, kind, positions, rf, jump, left.

    Cached per architecture (registry name + config), so repeated calls are free.
    """
    key = _key(model)
    if key not in _GEOMETRY:
        _GEOMETRY[key] = structure.position_windows(model)
    return _GEOMETRY[key]



def _feature_maps(geo: pd.DataFrame) -> dict:
    """conv layer -> its rectified output: the last activation in the run of batch
    norms / activations right after it (the conv itself when there is none)."""
    out, layers, kinds = {}, list(geo["layer"]), list(geo["kind"])
    for i, (name, kind) in enumerate(zip(layers, kinds)):
        if kind != "conv":
            continue
        out[name] = name
        for j in range(i + 1, len(layers)):
            if kinds[j] not in ("batch norm", "activation"):
                break
            if kinds[j] == "activation":
                out[name] = layers[j]
    return out


def default_layer(model) -> str:
    """The layer `gradcam` uses by default: the rectified output of the last conv block
    (decode: ``convs.2.act``, conv -> batch norm -> ReLU), the non-negative feature
    maps Grad-CAM is defined on. The raw conv output (``model.last_conv_name``) carries
    per-channel offsets that batch norm removes later; weighted by the gradients they
    lift the whole window, so its map is much flatter."""
    last = getattr(model, "last_conv_name", None)
    if last is None:
        raise ModelConfigError(f"{model.registry_name} has no convolution layer; Grad-CAM "
                               "needs a conv model (e.g. the shipped enhancer-4kb_decode).")
    return _feature_maps(_geometry(model)).get(last, last)


def layer_resolution(model, bin_size=None, all_layers: bool = False,
                     feature_maps: bool = False) -> pd.DataFrame:
    """Resolution of each conv layer's feature map, in bp.

    Parameters
    ----------
    model : RegvizModel
        A zoo model with conv layers (e.g. decode, basset, deepstarr).
    bin_size : int, optional
        bp per input position; default 20 for tracks-only DECODE models, else 1.
    all_layers : bool
        Also list batch norms, activations and pools (every positional layer).
    feature_maps : bool
        Name each conv's row by its rectified output (``convs.2.act`` instead of
        ``convs.2.conv``; same geometry), the layers `gradcam` uses by default.

    Returns
    -------
    pandas.DataFrame
        One row per layer in forward order: ``layer`` (module path, usable as
        ``gradcam(..., layer=...)``), ``kind``, ``conv`` (the convolution the
        row belongs to), ``channels``, ``positions`` (feature-map length),
        ``bin_bp`` (bp between neighbouring positions), ``receptive_field_bp``
        (bp one position sees), ``first_centre_bp`` (0-based centre of position
        0, may be fractional), ``is_default`` (the `gradcam` default).
    """
    bp = input_bin_size(model, bin_size)
    geo = _geometry(model)
    if geo.empty:
        raise ModelConfigError(f"{model.registry_name} has no layer whose output keeps "
                               "positions, so Grad-CAM has nothing to map.")
    fmap = _feature_maps(geo)
    owner = {v: k for k, v in fmap.items()}
    owner.update({k: k for k in fmap})
    if not all_layers:
        geo = geo[geo["kind"] == "conv"].copy()
        if feature_maps:
            geo["kind"] = ["rectified conv" if fmap[c] != c else "conv" for c in geo["layer"]]
            geo["layer"] = [fmap[c] for c in geo["layer"]]
    default = default_layer(model) if getattr(model, "last_conv_name", None) else None
    centre = geo["left"] + (geo["receptive_field"] - 1) / 2
    return pd.DataFrame({
        "layer": geo["layer"].to_numpy(), "kind": geo["kind"].to_numpy(),
        "conv": [owner.get(n, "") for n in geo["layer"]],
        "channels": geo["channels"].to_numpy(), "positions": geo["positions"].to_numpy(),
        "bin_bp": (geo["jump"] * bp).to_numpy(),
        "receptive_field_bp": (geo["receptive_field"] * bp).to_numpy(),
        "first_centre_bp": ((centre + 0.5) * bp - 0.5).to_numpy(),
        "is_default": (geo["layer"] == default).to_numpy(),
    }).reset_index(drop=True)


def position_centres(model, layer=None, bin_size=None) -> np.ndarray:
    """0-based bp centre of each position of ``layer``'s output, shape (positions,)."""
    layer = _layer_name(model, layer)
    key = ("centres", _key(model), layer, input_bin_size(model, bin_size))
    if key not in _GEOMETRY:
        row = layer_resolution(model, bin_size, all_layers=True).set_index("layer").loc[layer]
        _GEOMETRY[key] = row["first_centre_bp"] + row["bin_bp"] * np.arange(int(row["positions"]))
    return _GEOMETRY[key].copy()


def _layer_name(model, layer) -> str:
    if layer is None:
        layer = default_layer(model)
    if layer not in set(_geometry(model)["layer"]):
        convs = [r for r in layer_resolution(model)["layer"]]
        raise ModelConfigError(f"layer {layer!r} is not a layer of {model.registry_name} "
                               f"whose output keeps positions; conv layers: "
                               f"{', '.join(convs)}. Got {layer!r} instead.")
    return layer


def _interp_matrix(centres: np.ndarray, length: int):
    """Indices and weights mapping P centre values onto ``length`` bases (linear)."""
    pos = np.arange(length, dtype=np.float64)
    hi = np.clip(np.searchsorted(centres, pos, side="right"), 1, len(centres) - 1) \
        if len(centres) > 1 else np.zeros(length, int)
    lo = np.maximum(hi - 1, 0)
    if len(centres) > 1:
        frac = np.clip((pos - centres[lo]) / (centres[hi] - centres[lo]), 0.0, 1.0)
    else:
        frac = np.zeros(length)
    return lo, hi, frac.astype(np.float32)


def to_base_resolution(cam: np.ndarray, centres: np.ndarray, length: int) -> np.ndarray:
    """Map ``cam`` (n, P) at feature-map positions with bp ``centres`` to (n, length)."""
    lo, hi, frac = _interp_matrix(np.asarray(centres, float), length)
    cam = np.asarray(cam, np.float32)
    with np.errstate(invalid="ignore"):   # NaN in, NaN out: `gradcam` says so once
        return cam[:, lo] * (1 - frac) + cam[:, hi] * frac


def _check_x(model, X) -> torch.Tensor:
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 2:
        X = X[None]
    c, length = model.config.in_channels, model.config.input_length
    if X.ndim != 3 or X.shape[1:] != (c, length):
        unit = getattr(model.config, "length_unit", "bp")
        raise SequenceError(f"{model.registry_name} reads inputs of shape (n, {c}, {length}) "
                            f"(n windows, {c} channels, {length} {unit}). Got "
                            f"{tuple(X.shape)} instead.")
    return torch.from_numpy(np.ascontiguousarray(X))


def _scale(track: np.ndarray) -> np.ndarray:
    peak = np.abs(track).max(axis=1, keepdims=True)
    return np.divide(track, peak, out=np.zeros_like(track), where=peak > 0)


def _cam_and_output(model, module, x, target: int):
    """Grad-CAM of ``module``'s output at its positions, ``(n, positions)`` float32
    before any ReLU, and the model's output ``target``, ``(n,)`` float32, from one
    forward pass and one backward pass.

    The same arithmetic as captum's ``LayerGradCam`` (the gradient's mean over
    positions weights each channel, channels summed). The layers before ``module``
    run without recording a graph (the backward stops at ``module``); the hook turns
    recording on from there, keeps the layer's output and hands the rest of the model
    a copy, so later in-place operations cannot change it.
    """
    saved = []

    def hook(_module, _inputs, out):
        if not isinstance(out, torch.Tensor):
            raise ModelConfigError(f"Grad-CAM needs a layer with one tensor output; "
                                   f"{type(_module).__name__} returns {type(out).__name__}.")
        torch.set_grad_enabled(True)  # until the no_grad block below ends
        saved.append(out.detach().requires_grad_(True))
        return saved[-1].clone()

    handle = module.register_forward_hook(hook)
    try:
        with torch.no_grad():
            output = model(x)
    finally:
        handle.remove()
    if not saved:
        raise ModelConfigError("The Grad-CAM layer was not used by the forward pass.")
    if not 0 <= target < output.shape[1]:
        raise ModelConfigError(f"target must be an output index from 0 to "
                               f"{output.shape[1] - 1}. Got {target!r} instead.")
    with torch.enable_grad():  # also when the caller runs under torch.no_grad()
        score = output[:, target]
        grads = torch.autograd.grad(score.sum(), saved[-1])[0]
    acts = saved[-1].detach()
    weights = grads.mean(dim=tuple(range(2, grads.dim())), keepdim=True)
    raw = (weights * acts).sum(dim=1)
    return raw.float().cpu().numpy(), score.detach().float().cpu().numpy()


def gradcam(model, X, layer=None, target: int = 0, relu: bool = True,
            normalize: bool = True, guided: bool = False, bin_size=None,
            batch_size: int = 64, device=None, return_raw: bool = False,
            return_output: bool = False):
    """Grad-CAM of ``layer`` at base resolution.

    Parameters
    ----------
    model : RegvizModel
        A conv model (decode, basset, deepstarr, cnn, ...). Put in eval mode.
    X : np.ndarray or torch.Tensor, shape (n, channels, length), float32
        One-hot DNA (ACGT) plus extra tracks, or tracks only (length in bins).
    layer : str, optional
        Module path of a positional layer (see `layer_resolution`); default
        `default_layer`: the rectified output of the last conv block (decode:
        ``convs.2.act``). A conv name (``convs.2.conv``) hooks the raw
        convolution output instead.
    target : int
        Output index (column of the model output).
    relu : bool
        Keep only positive evidence (Grad-CAM's ReLU; captum applies none by
        default). False returns the signed map.
    normalize : bool
        Divide each window by its largest absolute value (peak = 1; an all-zero
        map stays zero).
    guided : bool
        Guided Grad-CAM: the aligned Grad-CAM track times guided backpropagation
        (captum GuidedBackprop) summed over channels times the input, i.e. at the
        observed base for one-hot DNA (bin values are spread over their bp).
        Signed; ``relu`` applies to the Grad-CAM factor only.
    bin_size : int, optional
        bp per input position; default 20 for tracks-only DECODE, else 1.
    batch_size : int
        Windows per backward pass; memory grows with it.
    device : str or torch.device, optional
        Default: the device the model's parameters are on.
    return_raw : bool
        Also return the feature-map Grad-CAM ``(n, positions)`` before mapping
        and the position centres in bp.
    return_output : bool
        Also return the model's output ``target`` for each window, ``(n,)``
        float32 (a logit for binary models), from the same forward pass: a
        prediction and its Grad-CAM cost one forward and one backward.

    Returns
    -------
    np.ndarray, shape (n, length * bin_size), float32
        The track; with ``return_raw`` a tuple ``(track, raw, centres)``; with
        ``return_output`` the outputs come last: ``(track, output)`` or
        ``(track, raw, centres, output)``.
    """
    layer = _layer_name(model, layer)
    Xt = _check_x(model, X)
    bp = input_bin_size(model, bin_size)
    centres = position_centres(model, layer, bp)
    length_bp = Xt.shape[-1] * bp
    device = torch.device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.eval()
    module = model.get_submodule(layer)
    tracks, raws, outputs = [], [], []
    try:
        for i in range(0, len(Xt), int(batch_size)):
            x = Xt[i:i + batch_size].to(device)
            raw, output = _cam_and_output(model, module, x, target)
            outputs.append(output)
            if relu:
                raw = np.maximum(raw, 0)
            track = to_base_resolution(raw, centres, length_bp)
            if guided:
                with warnings.catch_warnings():  # captum's notes on its own ReLU hooks
                    warnings.filterwarnings("ignore", "Setting backward hooks on ReLU")
                    warnings.filterwarnings("ignore", "Input Tensor 0 did not already")
                    gb = GuidedBackprop(model).attribute(x, target=target)
                per_pos = (gb * x).sum(1).detach().float().cpu().numpy()
                track = track * np.repeat(per_pos, bp, axis=1)
            tracks.append(track.astype(np.float32))
            raws.append(raw)
    finally:
        model.train(was_training)
    track = np.concatenate(tracks) if tracks else np.zeros((0, length_bp), np.float32)
    warn_if_not_finite(track, "Grad-CAM")      # before scaling hides NaN as zeros
    if normalize:
        track = _scale(track)
    out = [track]
    if return_raw:
        out += [np.concatenate(raws) if raws else np.zeros((0, len(centres)), np.float32),
                centres]
    if return_output:
        out.append(np.concatenate(outputs) if outputs else np.zeros(0, np.float32))
    return tuple(out) if len(out) > 1 else track


def call_cores(track, threshold: float = 0.5, min_width: int = 50, relative: bool = True,
               offset: int = 0) -> pd.DataFrame:
    """Call core regions: runs of the track at or above a threshold.

    Parameters
    ----------
    track : array, shape (L,) or (n, L)
        A Grad-CAM track at bp resolution (rows are windows).
    threshold : float
        With ``relative=True`` a fraction of each row's maximum (0 < threshold
        <= 1; default 0.5, i.e. half the peak); else an absolute value.
    min_width : int
        Shortest call in bp (shorter runs are dropped).
    relative : bool
        See ``threshold``. A row whose maximum is 0 gets no calls.
    offset : int
        Added to start/end (e.g. a window's genomic start).

    Returns
    -------
    pandas.DataFrame
        Columns ``window`` (row; 0 for a 1-D track), ``start`` (0-based),
        ``end`` (exclusive), ``width``, ``peak`` (largest value), ``peak_pos``
        (0-based bp of the peak), ``mean``, ``rank`` (1 = the call with the
        highest peak in its row). Sorted by window, then start.
    """
    arr = np.asarray(track, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2:
        raise SequenceError(f"track must be 1-D (L,) or 2-D (n, L). Got shape {arr.shape} "
                            "instead.")
    if not np.isfinite(threshold) or (relative and not 0 < threshold <= 1):
        raise SequenceError(f"threshold is a fraction of the track's peak when relative=True, "
                            f"so it must be above 0 and at most 1. Got {threshold!r} instead.")
    if isinstance(min_width, bool) or not isinstance(min_width, (int, np.integer)) \
            or min_width < 1:
        raise SequenceError(f"min_width must be a whole number of bp, 1 or more. "
                            f"Got {min_width!r} instead.")
    rows = []
    for w, row in enumerate(arr):
        peak = float(row.max()) if row.size else 0.0
        cut = threshold * peak if relative else threshold
        if relative and peak <= 0:
            continue
        above = np.concatenate([[False], row >= cut, [False]])
        edges = np.flatnonzero(np.diff(above.astype(np.int8)))
        calls = []
        for s, e in zip(edges[::2], edges[1::2]):
            if e - s >= min_width:
                seg = row[s:e]
                calls.append((s, e, float(seg.max()), int(s + seg.argmax()), float(seg.mean())))
        order = np.argsort([-c[2] for c in calls], kind="stable")
        rank = np.empty(len(calls), int)
        rank[order] = np.arange(1, len(calls) + 1)
        for (s, e, pk, pp, mean), r in zip(calls, rank):
            rows.append({"window": w, "start": int(s) + offset, "end": int(e) + offset,
                         "width": int(e - s), "peak": pk, "peak_pos": pp + offset,
                         "mean": mean, "rank": int(r)})
    return pd.DataFrame(rows, columns=["window", "start", "end", "width", "peak", "peak_pos",
                                       "mean", "rank"])


def gradcam_layers(model, X, layers=None, **options) -> dict:
    """`gradcam` for several layers: ``{layer: (n, L) track}`` (default: every conv
    block's rectified output, as in ``layer_resolution(model, feature_maps=True)``)."""
    layers = list(layer_resolution(model, options.get("bin_size"), feature_maps=True)["layer"]) \
        if layers is None else layers
    return {name: gradcam(model, X, layer=name, **options) for name in layers}


def is_gradcam_model(model) -> bool:
    """True for a model Grad-CAM can localise in: conv layers whose output keeps positions."""
    if not isinstance(model, nn.Module) or getattr(model, "last_conv_name", None) is None:
        return False
    try:
        return not layer_resolution(model).empty
    except Exception:  # noqa: BLE001 - any model the table cannot walk is not one
        return False
