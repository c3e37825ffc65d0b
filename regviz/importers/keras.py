"""Keras HDF5 models of DeepSTARR-style CNNs -> the regviz `deepstarr` model (h5py only).

Reads a Keras 2 full-model ``.h5`` (``model.save("m.h5")``: architecture JSON in the
``model_config`` attribute, weights under ``model_weights``) or a weights-only
``.h5`` (``model.save_weights``) together with the architecture JSON
(``model.to_json()``, e.g. the published ``DeepSTARR.model.json``). TensorFlow is
not needed and nothing in the file is executed: the JSON is parsed with ``json``
and the arrays are read with h5py. Every file is treated as hostile: links, external
storage and virtual datasets are refused, the architecture's sizes and parameter count
are checked against `regviz.limits` before anything is read or built, and each array's
type and shape before it is read (`regviz.importers.keras_h5`).

Supported: a chain ``Input -> (Conv1D [BatchNormalization] ReLU [MaxPooling1D]
[Dropout])+ -> Flatten | GlobalMax/AveragePooling1D -> (Dense [BatchNormalization]
ReLU [Dropout])* -> one or more Dense heads`` (several heads reading the same
layer, as DeepSTARR's Dev and Hk, become rows of one output layer, in the order of
the model's outputs). Keras facts the import keeps: Conv1D kernels are stored
(width, in, out) and become PyTorch (out, in, width); Dense kernels (in, out)
become (out, in); ``Flatten`` runs over (length, channels), i.e. position-major;
batch-norm epsilon and moving statistics are copied as stored.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import torch

from regviz import checkpoints, models
from regviz.errors import ImportFormatError
from regviz.limits import MAX_IMPORT_UPLOAD_MB, MAX_PARAMETERS, MB
from regviz.models.citations import DEALMEIDA
from regviz.models.convnets import DeepSTARRConfig

from .common import card_for, describe_bytes, read_source
from .keras_graph import Layer, layers_from_config, parse_chain, scalar, settings_for, task_names_of
from .keras_h5 import check_file, read_weights, text_attr

MAX_BYTES = MAX_IMPORT_UPLOAD_MB * MB
#: architecture JSON (DeepSTARR's is 12 kB)
MAX_CONFIG_BYTES = 4 * MB
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
FORMAT = "Keras HDF5 model (.h5), read with h5py"
DEEPSTARR_READ = ("log2 enhancer activity (UMI-STARR-seq, log2 fold change over input) in "
                  "Drosophila S2 cells, for developmental (Dev) and housekeeping (Hk) "
                  "promoters; raw values, no activation")


@dataclass
class KerasSpec:
    """What `read_keras` found: regviz settings plus the Keras layers behind them."""

    label: str
    input_length: int
    settings: dict
    output_kind: str
    task_names: list
    conv_layers: list       # [(conv Layer, bn Layer or None)]
    dense_layers: list      # [(dense Layer, bn Layer or None)]
    heads: list             # [Dense Layer]
    weights: dict           # layer name -> {"kernel": array, "bias": ..., "gamma": ...}
    keras_version: str
    sha256: str


def _bad(label: str, problem: str) -> ImportFormatError:
    return ImportFormatError(f"{label}: {problem}")


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


# ------------------------------------------------------------------ weights

def weight_shapes(parsed: dict, heads: list, label: str) -> list:
    """``[(Layer, {weight: shape})]``: every array the architecture needs, in Keras layouts
    (Conv1D kernel (width, in, out), Dense kernel (in, out)). Refuses an input used up
    before the head and models over `MAX_PARAMETERS` (checked before anything is read or
    built)."""
    out, length, channels = [], parsed["length"], 4

    def add(ly: Layer, n: int, kernel: tuple | None = None) -> None:
        c = ly.config
        if kernel is None:   # batch norm
            keys = [k for k, on in (("gamma", c.get("scale", True)),
                                    ("beta", c.get("center", True))) if on]
            out.append((ly, {k: (n,) for k in keys + ["moving_mean", "moving_variance"]}))
        else:
            out.append((ly, {"kernel": kernel, **({"bias": (n,)} if c.get("use_bias", True)
                                                  else {})}))

    for b in parsed["convs"]:
        ly, filters, width = b["layer"], b["filters"], b["width"]
        add(ly, filters, (width, channels, filters))
        if b["bn"] is not None:
            add(b["bn"], filters)
        length = (length - width + 1 if ly.config.get("padding") == "valid" else length)
        length = length // b["pool"] if length > 0 else 0
        if length < 1:
            raise _bad(label, f"its input of {parsed['length']:,} positions is used up by "
                              f"{ly.name!r} and the layers before it (each 'valid' Conv1D "
                              f"of width w removes w - 1 positions, each pooling divides); "
                              f"the model has no output positions left.")
        channels = filters
    n_in = channels * length if parsed["top"] == "flatten" else channels
    for b in parsed["dense"]:
        add(b["layer"], b["units"], (n_in, b["units"]))
        if b["bn"] is not None:
            add(b["bn"], b["units"])
        n_in = b["units"]
    for h in heads:
        units = int(h.config.get("units", 1))
        add(h, units, (n_in, units))
    total = sum(math.prod(shape) for _, need in out for shape in need.values())
    if total > MAX_PARAMETERS:
        raise _bad(label, f"its architecture has {total:,} parameters, over the "
                          f"{MAX_PARAMETERS:,} allowed here (REGVIZ_MAX_PARAMETERS); the "
                          f"file was not read further.")
    return out


def _need(weights: dict, layer: Layer, key: str, shape: tuple, label: str) -> np.ndarray:
    arr = weights[layer.name].get(key)
    if arr is None:
        raise _bad(label, f"layer {layer.name!r} has no {key!r} weight (found "
                          f"{sorted(weights[layer.name]) or 'none'}).")
    if tuple(arr.shape) != tuple(shape):
        raise _bad(label, f"{layer.kind} {layer.name!r}: {key} has shape {tuple(arr.shape)} but "
                          f"the architecture needs {tuple(shape)}.")
    return arr


def _open_h5(data: bytes, label: str):
    if not data.startswith(HDF5_MAGIC):
        raise _bad(label, f"is not a Keras HDF5 (.h5) file. Found {describe_bytes(data)} "
                          f"instead." + (" Keras 3 '.keras' files are zip archives: re-save "
                                         "with model.save('model.h5')." if data[:2] == b"PK"
                                         else ""))
    try:
        return h5py.File(io.BytesIO(data), "r")
    except (OSError, ValueError) as exc:
        raise _bad(label, f"is an HDF5 file that cannot be opened ({exc}); it is truncated "
                          f"or corrupted.") from None


def read_keras(source, config_json=None, label: str | None = None) -> KerasSpec:
    """Parse a Keras ``.h5`` (architecture + weights) without TensorFlow.

    Parameters
    ----------
    source : path, bytes or binary file object
        A full-model ``.h5``, or a weights-only ``.h5`` with ``config_json``.
    config_json : str, bytes or path, optional
        The architecture (``model.to_json()``), used instead of the file's own;
        needed for weights-only files. Default: the file's ``model_config``, else
        ``<same name>.json`` next to a path.
    label : str, optional
        File name for messages (default the path's name).

    Raises
    ------
    ImportFormatError
        Not HDF5, truncated, no architecture, unsupported layers, or weights that
        do not fit the architecture.
    """
    data, label = read_source(source, label, MAX_BYTES)
    with _open_h5(data, label) as f:
        check_file(f, label)      # no links, external storage or virtual datasets
        raw = None if config_json is not None else text_attr(f, "model_config", label,
                                                              MAX_CONFIG_BYTES)
        if raw is None:
            raw = _sidecar_json(source, config_json, label)
        config = _parse_json(raw, label)
        chain, heads = layers_from_config(config, label)
        parsed = parse_chain(chain, heads, label)
        settings, kind = settings_for(parsed, heads, label)
        shapes = weight_shapes(parsed, heads, label)
        root = f.get("model_weights")
        root = root if isinstance(root, h5py.Group) else f
        weights = read_weights(root, shapes, label)
        version = (text_attr(f, "keras_version", label, 256)
                   or text_attr(root, "keras_version", label, 256) or "?")
    return KerasSpec(label=label, input_length=parsed["length"], settings=settings,
                     output_kind=kind, task_names=task_names_of(heads),
                     conv_layers=[(b["layer"], b["bn"]) for b in parsed["convs"]],
                     dense_layers=[(b["layer"], b["bn"]) for b in parsed["dense"]],
                     heads=heads, weights=weights, keras_version=version,
                     sha256=hashlib.sha256(data).hexdigest())


def _parse_json(raw, label: str):
    if isinstance(raw, (bytes, bytearray, memoryview)):
        raw = bytes(raw)
    if not isinstance(raw, (str, bytes)):
        raise _bad(label, f"its architecture must be JSON text. Got {type(raw).__name__} "
                          f"instead.")
    if len(raw) > MAX_CONFIG_BYTES:
        raise _bad(label, f"its architecture JSON is {len(raw):,} bytes, over the "
                          f"{MAX_CONFIG_BYTES:,}-byte limit (DeepSTARR's is 12 kB).")
    try:
        return json.loads(_text(raw))
    except ValueError as exc:       # JSONDecodeError, UnicodeDecodeError, > 4300 digits
        raise _bad(label, f"its architecture JSON is malformed ({exc}).") from None
    except RecursionError:
        raise _bad(label, "its architecture JSON is nested too deeply.") from None


def _sidecar_json(source, config_json, label: str):
    if config_json is not None:
        if isinstance(config_json, (str, Path)) and Path(str(config_json)).suffix == ".json" \
                and Path(str(config_json)).is_file():
            return Path(config_json).read_text(encoding="utf-8")
        return config_json
    if isinstance(source, (str, Path)):
        side = Path(source).with_suffix(".json")
        if side.is_file():
            return side.read_text(encoding="utf-8")
    raise _bad(label, "holds weights only (no 'model_config' attribute). Give the "
                      "architecture JSON too (model.to_json(), e.g. DeepSTARR.model.json).")


def build_model(spec: KerasSpec):
    """The regviz `deepstarr` model (preset "paper" + the file's sizes) with the weights.

    Returns the model in eval mode; input ``(n, 4, L)`` one-hot ACGT, output
    ``(n, n_outputs)`` in the order of the Keras outputs.
    """
    n_out = len(spec.task_names)
    model = models.build("deepstarr", spec.input_length, n_out, preset="paper",
                         output_kind=spec.output_kind, **spec.settings)
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))  # noqa: E731
    w, label = spec.weights, spec.label
    channels = 4
    with torch.no_grad():
        for block, (conv, bn) in zip(model.convs, spec.conv_layers):
            filters = int(conv.config["filters"])
            width = int(scalar(conv.config["kernel_size"]))
            kernel = _need(w, conv, "kernel", (width, channels, filters), label)
            block.conv.weight.copy_(t(kernel.transpose(2, 1, 0)))       # (out, in, width)
            block.conv.bias.copy_(t(_bias(w, conv, filters, label)))
            if bn is not None:
                _copy_bn(block.bn, w, bn, filters, label, t)
            channels = filters
        n_in = model.dense[0].linear.in_features if len(model.dense) else model.out.in_features
        for block, (dense, bn) in zip(model.dense, spec.dense_layers):
            units = int(dense.config["units"])
            block.linear.weight.copy_(t(_need(w, dense, "kernel", (n_in, units), label).T))
            block.linear.bias.copy_(t(_bias(w, dense, units, label)))
            if bn is not None:
                _copy_bn(block.bn, w, bn, units, label, t)
            n_in = units
        kernels = [_need(w, h, "kernel", (n_in, int(h.config.get("units", 1))), label)
                   for h in spec.heads]
        biases = [_bias(w, h, int(h.config.get("units", 1)), label) for h in spec.heads]
        model.out.weight.copy_(t(np.concatenate(kernels, axis=1).T))
        model.out.bias.copy_(t(np.concatenate(biases)))
    return model.eval()


def _bias(w: dict, layer: Layer, n: int, label: str) -> np.ndarray:
    if layer.config.get("use_bias", True):
        return _need(w, layer, "bias", (n,), label)
    return np.zeros(n, np.float32)


def _copy_bn(bn, w: dict, layer: Layer, n: int, label: str, t) -> None:
    c = layer.config
    bn.weight.copy_(t(_need(w, layer, "gamma", (n,), label) if c.get("scale", True)
                      else np.ones(n, np.float32)))
    bn.bias.copy_(t(_need(w, layer, "beta", (n,), label) if c.get("center", True)
                    else np.zeros(n, np.float32)))
    bn.running_mean.copy_(t(_need(w, layer, "moving_mean", (n,), label)))
    bn.running_var.copy_(t(_need(w, layer, "moving_variance", (n,), label)))


def import_keras(source, folder, config_json=None, label: str | None = None,
                 name: str | None = None):
    """Read a Keras DeepSTARR-style ``.h5``, build the model and save a checkpoint folder.

    Returns ``(model, card)``; the card's ``source`` names the file, its format and
    the DeepSTARR citation, and says whether the layers equal the published
    DeepSTARR architecture (the `deepstarr` "paper" preset).
    """
    spec = read_keras(source, config_json=config_json, label=label)
    model = build_model(spec)
    paper = DeepSTARRConfig.PRESETS["paper"]
    differs = sorted(k for k in ("conv_filters", "conv_widths", "pools", "padding",
                                 "batchnorm", "head", "flatten", "dense", "dense_batchnorm",
                                 "bn_eps") if spec.settings[k] != paper[k])
    architecture = ("the published DeepSTARR architecture (deepstarr 'paper' preset)"
                    if not differs else "a DeepSTARR-style variant, differing from the "
                    f"published architecture in {', '.join(differs)}")
    starr = set(spec.task_names) == {"Dev", "Hk"}
    read = (DEEPSTARR_READ if starr else
            "raw values of the Keras model's outputs "
            f"({', '.join(spec.task_names)}), in its training units")
    if spec.output_kind != "regression":
        read = ("one logit per output (the Keras model applied a sigmoid; apply it to get "
                "its probabilities)")
    source_block = {
        "file": spec.label, "format": f"{FORMAT} (Keras {spec.keras_version})",
        "citation": f"{DEALMEIDA}. Layers: {architecture}.",
        "sha256": spec.sha256,
        "architecture": architecture,
        "keras_layers": [c.name for c, _ in spec.conv_layers] + [d.name for d, _ in
                                                                spec.dense_layers]
                        + [h.name for h in spec.heads]}
    stem = Path(spec.label).stem
    card = card_for(model, name or f"keras_{stem}", spec.task_names, read, source_block,
                    encoding="one-hot (n, 4, L) float32, ACGT order (Keras (L, 4) input "
                             "transposed), N = 0.25")
    checkpoints.save(model, card, folder)
    return model, card
