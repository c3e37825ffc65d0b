"""The architecture half of the Keras importer: model_config JSON -> regviz settings.

Turns the Keras model description (Sequential or Functional; Keras 2 or 3 JSON)
into a chain of `Layer` records, checks that the chain is a DeepSTARR-style CNN
regviz can rebuild exactly (see `regviz.importers.keras`), and derives the
`deepstarr` config overrides. Pure JSON handling: nothing is executed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from regviz.errors import ImportFormatError

IGNORED = ("Dropout", "SpatialDropout1D", "GaussianDropout", "GaussianNoise", "InputLayer")


def _bad(label: str, problem: str) -> ImportFormatError:
    return ImportFormatError(f"{label}: {problem}")


@dataclass
class Layer:
    """One Keras layer of the chain: its class, name and config."""

    kind: str
    name: str
    config: dict
    inputs: list = field(default_factory=list)


# ------------------------------------------------------------------ architecture JSON

def _inbound(layer: dict, label: str) -> list:
    """Names of the layers feeding ``layer`` (Keras 2 and Keras 3 JSON layouts)."""
    nodes = layer.get("inbound_nodes") or []
    names = []
    for node in nodes:
        if isinstance(node, dict):  # Keras 3: {"args": [{"config": {"keras_history": ...}}]}
            for arg in node.get("args", []):
                args = arg if isinstance(arg, list) else [arg]
                for a in args:
                    hist = (a.get("config") or {}).get("keras_history") if isinstance(a, dict) \
                        else None
                    if hist:
                        names.append(hist[0])
        elif isinstance(node, list):  # Keras 2: [["conv", 0, 0, {}], ...]
            names.extend(item[0] for item in node if isinstance(item, list) and item)
    if len(nodes) > 1:
        raise _bad(label, f"layer {layer.get('name')!r} is used more than once (shared "
                          f"layers); regviz imports simple chains only.")
    return names


def layers_from_config(config: dict, label: str) -> tuple[list, list]:
    """``(chain, heads)`` of Layers from a parsed ``model_config``."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise _bad(label, "its model_config is not a Keras model description (no "
                          "'class_name').")
    kind = config["class_name"]
    body = config.get("config")
    if kind == "Sequential":
        items = body if isinstance(body, list) else (body or {}).get("layers")
        if not isinstance(items, list) or not items:
            raise _bad(label, "the Sequential model lists no layers.")
        layers = [Layer(it.get("class_name"), (it.get("config") or {}).get("name", f"layer{i}"),
                        it.get("config") or {}) for i, it in enumerate(items)]
        layers = [ly for ly in layers if ly.kind != "InputLayer"] if len(layers) > 1 else layers
        first = items[0].get("config") or {}
        shape = first.get("batch_input_shape") or first.get("batch_shape")
        heads = [layers.pop()] if layers and layers[-1].kind == "Dense" else []
        return [Layer("InputLayer", "input", {"batch_input_shape": shape})] + layers, heads
    if kind not in ("Functional", "Model"):
        raise _bad(label, f"is a Keras {kind!r} model; regviz imports Sequential and "
                          f"Functional (chain) models only.")
    items = (body or {}).get("layers")
    if not isinstance(items, list) or not items:
        raise _bad(label, "the Functional model lists no layers.")
    by_name, children = {}, {}
    for it in items:
        name = it.get("name") or (it.get("config") or {}).get("name")
        ly = Layer(it.get("class_name"), name, it.get("config") or {}, _inbound(it, label))
        if len(ly.inputs) > 1:
            raise _bad(label, f"layer {name!r} ({ly.kind}) merges {len(ly.inputs)} inputs; "
                              f"regviz imports simple chains with Dense heads only.")
        by_name[name] = ly
        for parent in ly.inputs:
            children.setdefault(parent, []).append(name)
    starts = [ly for ly in by_name.values() if ly.kind == "InputLayer"]
    if len(starts) != 1:
        raise _bad(label, f"has {len(starts)} inputs; regviz imports one-input models "
                          f"(a one-hot sequence) only.")
    outputs = [o[0] for o in (body.get("output_layers") or [])]
    chain, node = [starts[0]], starts[0].name
    while len(children.get(node, [])) == 1:
        node = children[node][0]
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


def scalar(value):
    """The single entry of a Keras 1-tuple setting such as kernel_size [7] (else as is)."""
    return value[0] if isinstance(value, (list, tuple)) and len(value) == 1 else value


def parse_chain(chain: list, heads: list, label: str) -> dict:
    """Group the chain into conv blocks, a head and dense blocks; check each layer."""
    shape = chain[0].config.get("batch_input_shape") or chain[0].config.get("batch_shape")
    if not (isinstance(shape, list) and len(shape) == 3 and shape[2] == 4):
        raise _bad(label, f"its input must be one-hot DNA of shape (length, 4) "
                          f"(channels last). Found input shape {shape} instead.")
    if not isinstance(shape[1], int):
        raise _bad(label, "its input length is not fixed (None); a Flatten model needs "
                          "one, e.g. (249, 4).")
    length = shape[1]
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
            current = {"layer": ly, "bn": None, "relu": c.get("activation") == "relu",
                       "pool": 1, "dropout": 0.0}
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
            act = c.get("activation", "linear")
            if act not in ("linear", "relu"):
                raise _bad(label, f"Dense {ly.name!r} has activation {act!r}; hidden Dense "
                                  f"layers must be linear (+ReLU layer) or 'relu'.")
            current = {"layer": ly, "bn": None, "relu": act == "relu", "dropout": 0.0}
            dense.append(current)
        elif ly.kind == "BatchNormalization":
            if current is None or current["bn"] is not None or current["relu"]:
                raise _bad(label, f"BatchNormalization {ly.name!r} must directly follow a "
                                  f"Conv1D or Dense layer, before its ReLU.")
            current["bn"] = ly
        elif ly.kind in ("Activation", "ReLU"):
            act = "relu" if ly.kind == "ReLU" else c.get("activation")
            if act == "linear":
                continue
            if act != "relu" or current is None or current["relu"]:
                raise _bad(label, f"activation layer {ly.name!r} ({act!r}) is not supported "
                                  f"here; regviz blocks are conv/dense -> [batch norm] -> one "
                                  f"ReLU.")
            current["relu"] = True
        elif ly.kind in ("MaxPooling1D", "MaxPool1D"):
            if current is None or "pool" not in current or not current["relu"]:
                raise _bad(label, f"MaxPooling1D {ly.name!r} must follow a Conv1D block's "
                                  f"ReLU.")
            size, stride = scalar(c.get("pool_size")), scalar(c.get("strides"))
            if (stride not in (None, size) or c.get("padding", "valid") != "valid"
                    or c.get("data_format", "channels_last") != "channels_last"):
                raise _bad(label, f"MaxPooling1D {ly.name!r} must have strides = pool_size, "
                                  f"padding 'valid', channels_last. Found pool_size {size}, "
                                  f"strides {stride}, padding {c.get('padding')!r}.")
            current["pool"] = int(size)
        elif ly.kind in IGNORED:
            if current is not None and ly.kind == "Dropout":
                current["dropout"] = float(c.get("rate", 0.0))
        else:
            raise _bad(label, f"layer {ly.name!r} is a Keras {ly.kind}, which regviz cannot "
                              f"rebuild (supported: Conv1D, BatchNormalization, Activation "
                              f"relu, MaxPooling1D, Dropout, Flatten, GlobalMax/Average"
                              f"Pooling1D, Dense).")
    if not convs or top is None:
        raise _bad(label, "has no Conv1D layers followed by Flatten (or global pooling); "
                          "regviz imports DeepSTARR-style CNNs only.")
    if not heads:
        raise _bad(label, "has no final Dense output layer.")
    for block in convs + dense:
        if not block["relu"]:
            raise _bad(label, f"{block['layer'].kind} {block['layer'].name!r} has no ReLU; "
                              f"regviz blocks are conv/dense -> [batch norm] -> ReLU.")
    return {"length": length, "convs": convs, "top": top, "dense": dense}


def _check_conv(ly: Layer, label: str) -> None:
    c = ly.config
    problems = []
    if scalar(c.get("strides", 1)) != 1:
        problems.append(f"strides {c.get('strides')}")
    if scalar(c.get("dilation_rate", 1)) != 1:
        problems.append(f"dilation_rate {c.get('dilation_rate')}")
    if c.get("groups", 1) != 1:
        problems.append(f"groups {c.get('groups')}")
    if c.get("padding") not in ("same", "valid"):
        problems.append(f"padding {c.get('padding')!r}")
    if c.get("data_format", "channels_last") != "channels_last":
        problems.append(f"data_format {c.get('data_format')!r}")
    if c.get("activation", "linear") not in ("linear", "relu"):
        problems.append(f"activation {c.get('activation')!r}")
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
            raise _bad(label, f"BatchNormalization {b.name!r} normalises axis {axis}; only "
                              f"the channel (last) axis is supported.")
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
        conv_filters=[int(b["layer"].config["filters"]) for b in convs],
        conv_widths=[int(scalar(b["layer"].config["kernel_size"])) for b in convs],
        pools=[b["pool"] for b in convs], conv_dropout=[b["dropout"] for b in convs],
        padding=pads.pop(), batchnorm=bool(conv_bn and conv_bn[0]), head=parsed["top"],
        flatten="position_major", dense=[int(b["layer"].config["units"]) for b in dense],
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
