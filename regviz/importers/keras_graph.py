"""The architecture half of the Keras importer: model_config JSON -> regviz settings.

Turns the Keras model description (Sequential or Functional; Keras 2 or 3 JSON)
into a chain of `Layer` records, checks that the chain is a DeepSTARR-style CNN
regviz can rebuild exactly (see `regviz.importers.keras`), and derives the
`deepstarr` config overrides. Pure JSON handling: nothing is executed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from regviz.errors import ImportFormatError
from regviz.limits import MAX_INPUT_LENGTH, MAX_PARAMETERS

IGNORED = ("Dropout", "SpatialDropout1D", "GaussianDropout", "GaussianNoise", "InputLayer")
#: layers in one model description (DeepSTARR has 30) and outputs of all heads together
MAX_LAYERS, MAX_OUTPUTS = 1000, 10_000


def _bad(label: str, problem: str) -> ImportFormatError:
    return ImportFormatError(f"{label}: {problem}")


def shown(value) -> str:
    """``repr(value)``, cut to 60 characters (values come from an uploaded file)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass
class Layer:
    """One Keras layer of the chain: its class, name and config."""

    kind: str
    name: str
    config: dict
    inputs: list = field(default_factory=list)


# ------------------------------------------------------------------ architecture JSON

def _get(obj, key):
    return obj.get(key) if isinstance(obj, dict) else None


def _inbound(name: str, nodes, label: str) -> list:
    """Names of the layers feeding layer ``name`` (Keras 2 and Keras 3 JSON layouts)."""
    nodes = [] if nodes is None else nodes
    if not isinstance(nodes, list):
        raise _bad(label, f"layer {name!r}: 'inbound_nodes' must be a list. Got "
                          f"{shown(nodes)} instead.")
    if len(nodes) > 1:
        raise _bad(label, f"layer {name!r} is used more than once (shared layers); regviz "
                          f"imports simple chains only.")
    names = []
    for node in nodes:
        if isinstance(node, dict):  # Keras 3: {"args": [{"config": {"keras_history": ...}}]}
            args = node.get("args", [])
            for arg in args if isinstance(args, list) else [args]:
                for a in arg if isinstance(arg, list) else [arg]:
                    hist = _get(_get(a, "config"), "keras_history")
                    if hist:
                        names.append(hist[0] if isinstance(hist, list) else hist)
        elif isinstance(node, list):  # Keras 2: [["conv", 0, 0, {}], ...]
            names.extend(item[0] for item in node if isinstance(item, list) and item)
    for parent in names:
        if not isinstance(parent, str):
            raise _bad(label, f"layer {name!r}: 'inbound_nodes' must name the layers it "
                              f"reads. Got {shown(parent)} instead.")
    return names


def _layer(item, i: int, label: str, default_name: str | None = None) -> tuple[Layer, dict]:
    """``(Layer, item)`` of entry ``i`` of a model's 'layers', its fields type-checked."""
    if not isinstance(item, dict):
        raise _bad(label, f"entry {i + 1} of the model's 'layers' must be a layer "
                          f"description (a JSON object). Got {shown(item)} instead.")
    config = item.get("config") or {}
    name = item.get("name") or _get(config, "name") or default_name
    if not isinstance(name, str) or not 0 < len(name) <= 200:
        raise _bad(label, f"entry {i + 1} of the model's 'layers': 'name' must be text of 1 "
                          f"to 200 characters. Got {shown(name)} instead.")
    if not isinstance(config, dict):
        raise _bad(label, f"layer {name!r}: 'config' must be a JSON object. Got "
                          f"{shown(config)} instead.")
    kind = item.get("class_name")
    if not isinstance(kind, str):
        raise _bad(label, f"layer {name!r}: 'class_name' must be text. Got {shown(kind)} "
                          f"instead.")
    return Layer(kind, name, config), item


def _items(body, kind: str, label: str) -> list:
    items = body.get("layers") if isinstance(body, dict) else body
    if not isinstance(items, list) or not items:
        raise _bad(label, f"the {kind} model's 'layers' must be a non-empty list of layers. "
                          f"Got {shown(items)} instead.")
    if len(items) > MAX_LAYERS:
        raise _bad(label, f"the {kind} model has {len(items):,} layers; regviz imports at "
                          f"most {MAX_LAYERS:,}.")
    return items


def layers_from_config(config: dict, label: str) -> tuple[list, list]:
    """``(chain, heads)`` of Layers from a parsed ``model_config``."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise _bad(label, "its model_config is not a Keras model description (no "
                          "'class_name').")
    kind = config["class_name"]
    body = config.get("config")
    if kind == "Sequential":
        items = _items(body, kind, label)
        layers = [_layer(it, i, label, f"layer{i}")[0] for i, it in enumerate(items)]
        first = layers[0].config
        layers = [ly for ly in layers if ly.kind != "InputLayer"] if len(layers) > 1 else layers
        shape = first.get("batch_input_shape") or first.get("batch_shape")
        heads = [layers.pop()] if layers and layers[-1].kind == "Dense" else []
        return [Layer("InputLayer", "input", {"batch_input_shape": shape})] + layers, heads
    if kind not in ("Functional", "Model"):
        raise _bad(label, f"is a Keras {shown(kind)} model; regviz imports Sequential and "
                          f"Functional (chain) models only.")
    if not isinstance(body, dict):
        raise _bad(label, f"the {kind} model's 'config' must be a JSON object. Got "
                          f"{shown(body)} instead.")
    by_name, children = {}, {}
    for i, it in enumerate(_items(body, kind, label)):
        ly, item = _layer(it, i, label)
        if ly.name in by_name:
            raise _bad(label, f"two layers are named {ly.name!r}; Keras layer names are "
                              f"unique.")
        ly.inputs = _inbound(ly.name, item.get("inbound_nodes"), label)
        if len(ly.inputs) > 1:
            raise _bad(label, f"layer {ly.name!r} ({ly.kind}) merges {len(ly.inputs)} inputs; "
                              f"regviz imports simple chains with Dense heads only.")
        by_name[ly.name] = ly
        for parent in ly.inputs:
            children.setdefault(parent, []).append(ly.name)
    starts = [ly for ly in by_name.values() if ly.kind == "InputLayer"]
    if len(starts) != 1:
        raise _bad(label, f"has {len(starts)} inputs; regviz imports one-input models "
                          f"(a one-hot sequence) only.")
    outputs = _output_names(body.get("output_layers"), label)
    chain, node = [starts[0]], starts[0].name
    while len(children.get(node, [])) == 1:
        node = children[node][0]
        if len(chain) >= len(by_name):
            raise _bad(label, f"the layers' 'inbound_nodes' form a loop (through {node!r}); "
                              f"a Keras model is a chain from its input.")
        chain.append(by_name[node])
    branches = children.get(node, [])
    if not branches:
        heads = [chain.pop()] if chain[-1].kind == "Dense" else []
        return chain, heads
    heads = [by_name[b] for b in branches]
    for h in heads:
        if h.kind != "Dense" or children.get(h.name):
            raise _bad(label, f"layer {node!r} feeds {', '.join(branches)}; regviz supports "
                              f"branches only as final Dense heads (like DeepSTARR's Dev "
                              f"and Hk). Found {h.kind} {h.name!r}.")
    order = {name: i for i, name in enumerate(outputs)}
    heads.sort(key=lambda h: order.get(h.name, len(order)))
    return chain, heads


def _output_names(outputs, label: str) -> list:
    """Layer names in a Functional model's 'output_layers' ([[name, 0, 0], ...]; Keras 3
    writes one output as [name, 0, 0])."""
    outputs = [] if outputs is None else outputs
    if isinstance(outputs, list) and outputs and isinstance(outputs[0], str):
        outputs = [outputs]
    names = [o[0] if isinstance(o, list) and o else None for o in outputs] \
        if isinstance(outputs, list) else [None]
    for name in names:
        if not isinstance(name, str):
            raise _bad(label, f"the model's 'output_layers' must list [layer name, 0, 0] "
                              f"entries. Got {shown(outputs)} instead.")
    return names


def scalar(value):
    """The single entry of a Keras 1-tuple setting such as kernel_size [7] (else as is)."""
    return value[0] if isinstance(value, (list, tuple)) and len(value) == 1 else value


def whole(ly: Layer, key: str, label: str, high: int, default=None) -> int:
    """Setting ``key`` of ``ly`` (a 1-tuple unwrapped) as a whole number from 1 to ``high``."""
    raw = ly.config.get(key, default)
    value = scalar(raw)
    ok = (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and value.is_integer())
    if not ok or not 1 <= value <= high:
        raise _bad(label, f"{ly.kind} {ly.name!r}: {key} must be a whole number from 1 to "
                          f"{high:,}. Got {shown(raw)} instead.")
    return int(value)


def number(ly: Layer, key: str, label: str, default: float, low: float, high: float,
           open_low: bool = False, open_high: bool = False) -> float:
    """Setting ``key`` of ``ly`` as a finite number between ``low`` and ``high``."""
    value = ly.config.get(key, default)
    ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
          and math.isfinite(value) and (low < value if open_low else low <= value)
          and (value < high if open_high else value <= high))
    if not ok:
        span = f"{'(' if open_low else '['}{low}, {high}{')' if open_high else ']'}"
        raise _bad(label, f"{ly.kind} {ly.name!r}: {key} must be a number in {span}. Got "
                          f"{shown(value)} instead.")
    return float(value)


def _flag(ly: Layer, key: str, label: str) -> bool:
    value = ly.config.get(key, True)
    if not isinstance(value, bool):
        raise _bad(label, f"{ly.kind} {ly.name!r}: {key} must be true or false. Got "
                          f"{shown(value)} instead.")
    return value


def _activation(ly: Layer, label: str, default: str | None = "linear") -> str:
    value = ly.config.get("activation", default)
    if not isinstance(value, str):
        raise _bad(label, f"{ly.kind} {ly.name!r}: activation must be a name such as 'relu'. "
                          f"Got {shown(value)} instead.")
    return value


def parse_chain(chain: list, heads: list, label: str) -> dict:
    """Group the chain into conv blocks, a head and dense blocks; check each layer."""
    shape = chain[0].config.get("batch_input_shape") or chain[0].config.get("batch_shape")
    if not (isinstance(shape, list) and len(shape) == 3 and shape[2] == 4):
        raise _bad(label, f"its input must be one-hot DNA of shape (length, 4) "
                          f"(channels last). Found input shape {shown(shape)} instead.")
    if shape[1] is None:
        raise _bad(label, "its input length is not fixed (None); a Flatten model needs "
                          "one, e.g. (249, 4).")
    length = whole(Layer("InputLayer", chain[0].name, {"length": shape[1]}), "length", label,
                   MAX_INPUT_LENGTH)
    convs, dense, top = [], [], None
    layers = chain[1:]
    current = None  # (kind, dict)
    for ly in layers:
        c = ly.config
        if ly.kind == "Conv1D":
            if top is not None:
                raise _bad(label, f"Conv1D {ly.name!r} comes after {top}; only Dense layers "
                                  f"may follow the Flatten/global pooling.")
            _check_conv(ly, label)
            _flag(ly, "use_bias", label)
            current = {"layer": ly, "bn": None, "relu": c.get("activation") == "relu",
                       "pool": 1, "dropout": 0.0,
                       "filters": whole(ly, "filters", label, MAX_PARAMETERS),
                       "width": whole(ly, "kernel_size", label, MAX_INPUT_LENGTH)}
            convs.append(current)
        elif ly.kind in ("Flatten", "GlobalMaxPooling1D", "GlobalAveragePooling1D"):
            if top is not None or not convs:
                raise _bad(label, f"{ly.kind} {ly.name!r} must come once, after the Conv1D "
                                  f"layers.")
            top = {"Flatten": "flatten", "GlobalMaxPooling1D": "max",
                   "GlobalAveragePooling1D": "mean"}[ly.kind]
            current = None
        elif ly.kind == "Dense":
            if top is None:
                raise _bad(label, f"Dense {ly.name!r} comes before any Flatten/global pooling "
                                  f"(Dense on (length, channels) tensors is not supported).")
            act = _activation(ly, label)
            if act not in ("linear", "relu"):
                raise _bad(label, f"Dense {ly.name!r} has activation {shown(act)}; hidden "
                                  f"Dense layers must be linear (+ReLU layer) or 'relu'.")
            _flag(ly, "use_bias", label)
            current = {"layer": ly, "bn": None, "relu": act == "relu", "dropout": 0.0,
                       "units": whole(ly, "units", label, MAX_PARAMETERS)}
            dense.append(current)
        elif ly.kind == "BatchNormalization":
            if current is None or current["bn"] is not None or current["relu"]:
                raise _bad(label, f"BatchNormalization {ly.name!r} must directly follow a "
                                  f"Conv1D or Dense layer, before its ReLU.")
            number(ly, "epsilon", label, 1e-3, 0.0, 1.0, open_low=True, open_high=True)
            number(ly, "momentum", label, 0.99, 0.0, 1.0)
            _flag(ly, "center", label)
            _flag(ly, "scale", label)
            current["bn"] = ly
        elif ly.kind in ("Activation", "ReLU"):
            act = "relu" if ly.kind == "ReLU" else c.get("activation")
            if act == "linear":
                continue
            if act != "relu" or current is None or current["relu"]:
                raise _bad(label, f"activation layer {ly.name!r} ({shown(act)}) is not "
                                  f"supported "
                                  f"here; regviz blocks are conv/dense -> [batch norm] -> one "
                                  f"ReLU.")
            current["relu"] = True
        elif ly.kind in ("MaxPooling1D", "MaxPool1D"):
            if current is None or "pool" not in current or not current["relu"]:
                raise _bad(label, f"MaxPooling1D {ly.name!r} must follow a Conv1D block's "
                                  f"ReLU.")
            size = whole(ly, "pool_size", label, MAX_INPUT_LENGTH, default=2)
            stride = scalar(c.get("strides"))
            if (stride not in (None, size) or c.get("padding", "valid") != "valid"
                    or c.get("data_format", "channels_last") != "channels_last"):
                raise _bad(label, f"MaxPooling1D {ly.name!r} must have strides = pool_size, "
                                  f"padding 'valid', channels_last. Found pool_size {size}, "
                                  f"strides {shown(stride)}, padding "
                                  f"{shown(c.get('padding'))}.")
            current["pool"] = size
        elif ly.kind in IGNORED:
            if current is not None and ly.kind == "Dropout":
                current["dropout"] = number(ly, "rate", label, 0.0, 0.0, 1.0, open_high=True)
        else:
            raise _bad(label, f"layer {ly.name!r} is a Keras {ly.kind[:60]}, which regviz "
                              f"cannot rebuild (supported: Conv1D, BatchNormalization, Activation "
                              f"relu, MaxPooling1D, Dropout, Flatten, GlobalMax/Average"
                              f"Pooling1D, Dense).")
    if not convs or top is None:
        raise _bad(label, "has no Conv1D layers followed by Flatten (or global pooling); "
                          "regviz imports DeepSTARR-style CNNs only.")
    if not heads:
        raise _bad(label, "has no final Dense output layer.")
    for h in heads:
        _activation(h, label)
        _flag(h, "use_bias", label)
    n_out = sum(whole(h, "units", label, MAX_OUTPUTS, default=1) for h in heads)
    if n_out > MAX_OUTPUTS:
        raise _bad(label, f"its output layers have {n_out:,} units together; regviz imports "
                          f"at most {MAX_OUTPUTS:,} outputs.")
    for block in convs + dense:
        if not block["relu"]:
            raise _bad(label, f"{block['layer'].kind} {block['layer'].name!r} has no ReLU; "
                              f"regviz blocks are conv/dense -> [batch norm] -> ReLU.")
    return {"length": length, "convs": convs, "top": top, "dense": dense}


def _check_conv(ly: Layer, label: str) -> None:
    c = ly.config
    problems = []
    if scalar(c.get("strides", 1)) != 1:
        problems.append(f"strides {shown(c.get('strides'))}")
    if scalar(c.get("dilation_rate", 1)) != 1:
        problems.append(f"dilation_rate {shown(c.get('dilation_rate'))}")
    if c.get("groups", 1) != 1:
        problems.append(f"groups {shown(c.get('groups'))}")
    if c.get("padding") not in ("same", "valid"):
        problems.append(f"padding {shown(c.get('padding'))}")
    if c.get("data_format", "channels_last") != "channels_last":
        problems.append(f"data_format {shown(c.get('data_format'))}")
    if c.get("activation", "linear") not in ("linear", "relu"):
        problems.append(f"activation {shown(c.get('activation'))}")
    if problems:
        raise _bad(label, f"Conv1D {ly.name!r} uses {', '.join(problems)}; regviz imports "
                          f"stride-1, undilated, 'same'/'valid', channels_last convolutions "
                          f"with linear or relu activation.")


def settings_for(parsed: dict, heads: list, label: str) -> tuple[dict, str]:
    """regviz `deepstarr` overrides and output kind for a parsed chain."""
    convs, dense = parsed["convs"], parsed["dense"]
    pads = {b["layer"].config.get("padding") for b in convs}
    if len(pads) > 1:
        raise _bad(label, f"mixes Conv1D paddings {sorted(pads)}; regviz uses one padding for "
                          f"all conv layers.")
    conv_bn = [b["bn"] is not None for b in convs]
    dense_bn = [b["bn"] is not None for b in dense]
    for what, flags in (("Conv1D", conv_bn), ("Dense", dense_bn)):
        if flags and len(set(flags)) > 1:
            raise _bad(label, f"has batch norm after some {what} layers but not others; "
                              f"regviz needs all or none.")
    bns = [b["bn"] for b in convs + dense if b["bn"] is not None]
    eps = {float(b.config.get("epsilon", 1e-3)) for b in bns}
    if len(eps) > 1:
        raise _bad(label, f"uses different batch-norm epsilons {sorted(eps)}; regviz uses one.")
    for b in bns:
        axis = scalar(b.config.get("axis", -1))
        if axis not in (-1, 1, 2):
            raise _bad(label, f"BatchNormalization {b.name!r} normalises axis {shown(axis)}; "
                              f"only the channel (last) axis is supported.")
    momentum = float(bns[0].config.get("momentum", 0.99)) if bns else 0.99
    acts = {h.config.get("activation", "linear") for h in heads}
    if acts <= {"linear"}:
        kind = "regression"
    elif acts == {"sigmoid"}:
        n = sum(int(h.config.get("units", 1)) for h in heads)
        kind = "binary" if n == 1 else "multitask"
    else:
        raise _bad(label, f"output layers use activations {sorted(acts)}; regviz imports "
                          f"linear (regression) or sigmoid (returned as logits) outputs.")
    dense_drop = [b["dropout"] for b in dense]
    settings = dict(
        conv_filters=[b["filters"] for b in convs],
        conv_widths=[b["width"] for b in convs],
        pools=[b["pool"] for b in convs], conv_dropout=[b["dropout"] for b in convs],
        padding=pads.pop(), batchnorm=bool(conv_bn and conv_bn[0]), head=parsed["top"],
        flatten="position_major", dense=[b["units"] for b in dense],
        dense_dropout=max(dense_drop) if dense_drop else 0.0,
        dense_batchnorm=bool(dense_bn and dense_bn[0]),
        bn_eps=eps.pop() if eps else 1e-3, bn_momentum=round(1.0 - momentum, 6))
    return settings, kind


def task_names_of(heads: list) -> list:
    names = []
    for h in heads:
        base = h.name[6:] if h.name.lower().startswith("dense_") and len(h.name) > 6 else h.name
        units = int(h.config.get("units", 1))
        names += [base] if units == 1 else [f"{base}_{j}" for j in range(units)]
    return names

