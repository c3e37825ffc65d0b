"""Shared pieces of the model zoo: the config base class, validation, the model base.

Every architecture has one small config dataclass (a subclass of `ModelConfig`)
holding the input length, the number and kind of outputs, the preset it came from
and the architecture's own settings. Configs contain only ints, floats, bools,
strings and lists of those, so ``dataclasses.asdict(config)`` is JSON-ready and
`regviz.models.from_config` rebuilds the same model from it.

Every model is a `RegvizModel`: an ``nn.Module`` that carries ``config`` and
``registry_name``, checks the shape of its input, and names its first and last
convolution (``first_conv_name`` / ``last_conv_name``, module paths for
``model.get_submodule``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import numbers
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import torch
from torch import nn

from regviz.errors import ModelConfigError, SequenceError

from .layers import Exp

OUTPUT_KINDS = ("binary", "multitask", "regression")

OUTPUT_KIND_HELP = {
    "binary": "one logit; sigmoid(logit) is the probability of the positive class",
    "multitask": "one logit per task; sigmoid of each is that task's probability",
    "regression": "raw values in the units of the training targets",
}


class Stage(NamedTuple):
    """One length-changing step of a model (a convolution or a pooling).

    ``kernel``, ``stride`` and ``dilation`` as in ``nn.Conv1d``; ``padding`` is the
    total number of positions added (both sides together).
    """

    label: str
    kernel: int
    stride: int = 1
    dilation: int = 1
    padding: int = 0


def conv_stage(width: int, dilation: int = 1, padding: str = "valid") -> Stage:
    """A stride-1 convolution; ``padding`` is "valid" or "same"."""
    pad = dilation * (width - 1) if padding == "same" else 0
    label = f"conv {width}" + (f" (dilation {dilation})" if dilation > 1 else "")
    return Stage(label, width, 1, dilation, pad)


def pool_stage(size: int) -> Stage:
    """A pooling with kernel = stride = ``size`` (floor mode, no padding)."""
    return Stage(f"pool {size}", size, size, 1, 0)


def stage_lengths(stages: list[Stage], length: int) -> list[int]:
    """Length after each stage for an input of ``length`` (values < 1 mean 'gone')."""
    out = []
    for st in stages:
        span = st.dilation * (st.kernel - 1) + 1
        length = (length + st.padding - span) // st.stride + 1 if length > 0 else 0
        out.append(length)
    return out


def output_length(stages: list[Stage], length: int) -> int:
    """Number of positions left after all stages (``length`` if there are none)."""
    lengths = stage_lengths(stages, length)
    return lengths[-1] if lengths else length


def minimum_length(stages: list[Stage], limit: int = 10_000_000) -> int:
    """Smallest input length that leaves at least one position after every stage."""
    lo, hi = 1, 1
    while min(stage_lengths(stages, hi) or [hi]) < 1:
        hi *= 2
        if hi > limit:
            return limit
    while lo < hi:  # lengths are monotone in the input length
        mid = (lo + hi) // 2
        if min(stage_lengths(stages, mid) or [mid]) < 1:
            lo = mid + 1
        else:
            hi = mid
    return lo


# ----------------------------------------------------------------------------
# validation helpers (messages name the setting, say what is allowed, and what
# was given)


def _fail(model: str, message: str) -> ModelConfigError:
    return ModelConfigError(f"{model}: {message}")


def check_int(model: str, name: str, value: Any, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _fail(model, f"{name} must be an integer >= {minimum}. Got {value!r} instead.")


def check_float(model: str, name: str, value: Any, low: float = 0.0, high: float = 1.0,
                high_inclusive: bool = False) -> None:
    ok = (not isinstance(value, bool) and isinstance(value, (int, float))
          and low <= value and (value <= high if high_inclusive else value < high))
    if not ok:
        bracket = "]" if high_inclusive else ")"
        raise _fail(model, f"{name} must be a number in [{low}, {high}{bracket}. "
                           f"Got {value!r} instead.")


def check_bool(model: str, name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise _fail(model, f"{name} must be True or False. Got {value!r} instead.")


def check_choice(model: str, name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise _fail(model, f"{name} must be one of {allowed}. Got {value!r} instead.")


def check_int_list(model: str, name: str, values: Any, minimum: int = 1,
                   length: int | None = None, allow_empty: bool = False) -> None:
    if not isinstance(values, list) or (not values and not allow_empty):
        raise _fail(model, f"{name} must be a {'' if allow_empty else 'non-empty '}list of "
                           f"integers >= {minimum}. Got {values!r} instead.")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            raise _fail(model, f"every entry of {name} must be an integer >= {minimum}. "
                               f"Got {values!r} instead.")
    if length is not None and len(values) != length:
        raise _fail(model, f"{name} must have {length} entries (one per layer). "
                           f"Got {len(values)}: {values!r}.")


def check_float_list(model: str, name: str, values: Any, length: int) -> None:
    if not isinstance(values, list) or len(values) != length:
        raise _fail(model, f"{name} must be a list of {length} numbers (one per layer). "
                           f"Got {values!r} instead.")
    for v in values:
        check_float(model, f"each entry of {name}", v)


def _normalise(value: Any) -> Any:
    """Plain Python values only, so configs survive a JSON round trip: tuples become
    lists (recursively) and numpy scalars (e.g. a length read from an array) become
    int/float/bool."""
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if type(value).__name__ == "bool_":
        return bool(value)
    return value


@dataclass
class ModelConfig:
    """Settings shared by every architecture.

    Attributes
    ----------
    input_length : int
        Sequence length in bp (or bins) the model is built for; inputs must be
        ``(n, in_channels, input_length)``.
    n_outputs : int
        Number of outputs; the model returns ``(n, n_outputs)`` raw values.
    output_kind : str
        "binary" (one logit), "multitask" (one logit per task) or "regression"
        (raw values). It does not change the layers, only how outputs are read
        and which loss training uses.
    preset : str
        The preset the other values came from ("class" or "paper"); overrides
        applied on top are already in the other fields.
    """

    input_length: int
    n_outputs: int = 1
    output_kind: str = "binary"
    preset: str = "class"

    #: registry name of the architecture (set by each subclass)
    registry_name: ClassVar[str] = "model"
    #: preset name -> dict of field values (set by each subclass)
    PRESETS: ClassVar[dict[str, dict[str, Any]]] = {}
    #: one line on why short inputs fail (completed with the stage list)
    LENGTH_REASON: ClassVar[str] = ("its convolution and pooling stages shrink shorter "
                                   "sequences to nothing")

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            setattr(self, f.name, _normalise(getattr(self, f.name)))

    # -- things subclasses override -------------------------------------------
    @property
    def in_channels(self) -> int:
        """Number of input channels (4 for one-hot DNA)."""
        return 4

    @property
    def length_unit(self) -> str:
        """Unit of ``input_length``: "bp" (or "bins" for binned track inputs)."""
        return "bp"

    def stages(self) -> list[Stage]:
        """Length-changing steps up to the last positional layer."""
        return []

    def check(self) -> None:
        """Architecture-specific checks; raise ModelConfigError."""

    # -- shared -----------------------------------------------------------------
    @classmethod
    def setting_names(cls) -> list[str]:
        """Names of the architecture's own settings (those overrides may change)."""
        base = {f.name for f in dataclasses.fields(ModelConfig)}
        return [f.name for f in dataclasses.fields(cls) if f.name not in base]

    @classmethod
    def from_preset(cls, preset: str, input_length: int, n_outputs: int = 1,
                    output_kind: str = "binary", **overrides: Any) -> "ModelConfig":
        """Config from a named preset plus overrides, validated."""
        name = cls.registry_name
        if not isinstance(preset, str) or preset not in cls.PRESETS:
            raise ModelConfigError(
                f"Unknown preset {preset!r} for {name}. Choose one of: "
                f"{', '.join(cls.PRESETS)}.")
        allowed = cls.setting_names()
        for key in overrides:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise ModelConfigError(
                    f"{name} has no setting {key!r}.{hint} Its settings are: "
                    f"{', '.join(allowed)}.")
        values = {**cls.PRESETS[preset], **overrides}
        config = cls(input_length=input_length, n_outputs=n_outputs,
                     output_kind=output_kind, preset=preset, **values)
        config.validate()
        return config

    def validate(self) -> None:
        """Check every setting; raise ModelConfigError with a readable message."""
        name = self.registry_name
        check_int(name, "input_length", self.input_length)
        check_int(name, "n_outputs", self.n_outputs)
        check_choice(name, "output_kind", self.output_kind, OUTPUT_KINDS)
        if self.output_kind == "binary" and self.n_outputs != 1:
            raise _fail(name, f"output_kind='binary' means one output, but n_outputs="
                              f"{self.n_outputs}. Use output_kind='multitask' for several "
                              f"binary tasks.")
        if not isinstance(self.preset, str):
            raise _fail(name, f"preset must be a string. Got {self.preset!r} instead.")
        self.check()
        self.check_length()

    def minimum_length(self) -> int:
        """Shortest input this configuration can process."""
        return minimum_length(self.stages())

    def check_length(self) -> None:
        stages = self.stages()
        need = minimum_length(stages)
        if self.input_length < need:
            steps = ", ".join(s.label for s in stages)
            raise ModelConfigError(
                f"{self.registry_name} needs at least {need} {self.length_unit}; got input_length="
                f"{self.input_length}. Why: {self.LENGTH_REASON} ({steps}). Use longer "
                f"sequences or smaller kernels/pools.")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every field (same as ``dataclasses.asdict``)."""
        return dataclasses.asdict(self)


# Module types captum's DeepLift gives a special rule (captum.attr._core.deep_lift.
# SUPPORTED_NON_LINEAR; matched by exact type), plus regviz's Exp, which
# regviz.attribution registers there.
DEEPLIFT_NONLINEAR = (nn.ReLU, nn.ELU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh, nn.Softplus,
                      nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.Softmax, Exp)


def _private_input(module: nn.Module, args: tuple) -> tuple | None:
    if module.training or not torch.is_grad_enabled():
        return None
    return tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in args)


# module -> [number of open deeplift_guards contexts, hook handle]; a lock makes nested
# and concurrent contexts on one model safe (the last one out removes the hook)
_GUARDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_GUARDS_LOCK = threading.Lock()


def _ruled_modules(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if type(m) in DEEPLIFT_NONLINEAR]


@contextlib.contextmanager
def deeplift_guards(model: nn.Module) -> Iterator[nn.Module]:
    """Give every DeepLIFT-ruled module a private copy of its input, for this block only.

    captum's DeepLift attaches its backward hooks to the *input tensor* of each
    nonlinear module. Two common layouts then silently break summation-to-delta
    (no error is raised): a tensor that feeds a nonlinearity and something else
    (a residual skip, DeepBind's parallel max and average pools) loses the other
    paths' gradients, and two ruled modules in a row (ReLU -> MaxPool, the standard
    conv block) make the first see plain gradients instead of DeepLIFT multipliers.
    A forward pre-hook that clones the input, placed before any other pre-hook (so
    before captum's), fixes both. It only acts in eval mode with gradients on;
    values are unchanged.

    The hooks exist only inside the ``with`` block and are removed when it ends, also
    on an exception, so a model is a plain ``nn.Module`` (no forward hooks) to other
    libraries. `regviz.attribution.attribute` opens this block around its DeepLIFT and
    DeepLIFT-SHAP calls; open it yourself around captum's ``DeepLift`` /
    ``DeepLiftShap`` on a zoo model::

        with deeplift_guards(model):
            attr = DeepLift(model).attribute(x, baselines=ref)

    Blocks are counted per module: with nested blocks, or blocks opened by several
    threads, the hooks stay until the last one closes. (captum's own hooks still allow
    one DeepLIFT call per model at a time; the app holds a lock per model.)
    """
    modules = _ruled_modules(model)
    entered: list[nn.Module] = []
    try:
        with _GUARDS_LOCK:
            for m in modules:
                slot = _GUARDS.get(m)
                if slot is None:
                    handle = m.register_forward_pre_hook(_private_input, prepend=True)
                    slot = _GUARDS[m] = [0, handle]
                slot[0] += 1
                entered.append(m)
        yield model
    finally:
        with _GUARDS_LOCK:
            for m in entered:
                slot = _GUARDS[m]
                slot[0] -= 1
                if slot[0] == 0:
                    slot[1].remove()
                    del _GUARDS[m]


class RegvizModel(nn.Module):
    """Base class of every zoo model.

    Attributes
    ----------
    config : ModelConfig
        The full configuration; ``from_config(registry_name, asdict(config))``
        rebuilds the same architecture.
    registry_name : str
        Name in `regviz.models.registry.REGISTRY`.
    first_conv_name, last_conv_name : str or None
        Module paths (for ``get_submodule``) of the first convolution (its
        filters are the motif detectors) and of the module whose output is the
        last convolutional feature map (for Grad-CAM). None where the model has
        no convolution.
    """

    first_conv_name: str | None = None
    last_conv_name: str | None = None

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.registry_name = config.registry_name

    @property
    def in_channels(self) -> int:
        return self.config.in_channels

    @property
    def input_length(self) -> int:
        return self.config.input_length

    def check_input(self, x: torch.Tensor) -> None:
        """Raise SequenceError unless ``x`` is (n, in_channels, input_length)."""
        c, length = self.config.in_channels, self.config.input_length
        if x.dim() != 3 or x.shape[1] != c or x.shape[2] != length:
            raise SequenceError(
                f"{self.registry_name} was built for inputs of shape (n, {c}, {length}) "
                f"(n sequences, {c} channels, {length} positions); got "
                f"{tuple(x.shape)}. Cut or pad inputs to {length} "
                f"{self.config.length_unit}, or build the model for your length.")

    def extra_repr(self) -> str:
        cfg = self.config
        return (f"registry_name={self.registry_name!r}, preset={cfg.preset!r}, "
                f"input_length={cfg.input_length}, n_outputs={cfg.n_outputs}, "
                f"output_kind={cfg.output_kind!r}")
