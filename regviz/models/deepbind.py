"""DeepBind: one convolution of motif detectors, global pooling, a tiny dense head.

Alipanahi et al. (2015). The model scores a sequence by how well its best window
matches each of a few learned motif detectors::

    [pad with 'N' = 0.25]  (optional, as DeepBind does)
    conv (n_filters detectors of width filter_width; bias = -threshold)
    ReLU  (rectification: matches below the threshold count as zero)
    global max pool  [+ global average pool, interleaved per detector]
    [hidden dense layer with ReLU]  (optional, 32 units in DeepBind)
    linear -> (n, n_outputs)
    [rc_max: the same layers on the reverse complement, keep the larger score]

With ``rc_max`` the reverse strand is scanned by the reverse-complemented
detectors on the forward input (``conv.weight.flip(1, 2)``, the same numbers as
scanning the reverse complement, because pooling is global). The ``conv`` module
therefore runs once, on the forward strand: hooks, filter views and Grad-CAM on
``conv`` see forward-strand detector maps, while the score takes the better strand.

DeepBind's parameter files store the per-detector *added* constant (called
``thresholds`` there, usually negative), so an imported model's conv bias is that
value as stored (`regviz.importers.deepbind`).

`AnyLengthDeepBind` (from `any_length`) is the same model with its global pools sized
for each input, so a model that pads with N's reads any length >= 1, as the DeepBind
tool does: imported models are, also when `regviz.checkpoints.load` reads them back.
Models trained in regviz keep the length they were trained for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from regviz.errors import ModelConfigError, SequenceError

from .base import ModelConfig, RegvizModel, Stage, check_bool, check_float, check_int, conv_stage
from .layers import FlattenFeatures


@dataclass
class DeepBindConfig(ModelConfig):
    """DeepBind settings.

    Attributes
    ----------
    n_filters : int
        Number of motif detectors (16 in DeepBind).
    filter_width : int
        Detector width in bp (24 for DeepBind's ChIP-seq/SELEX models; the course
        example uses 12).
    avg_pool : bool
        Also average-pool each detector; features are interleaved per detector as
        ``[max0, avg0, max1, avg1, ...]`` (the layout of DeepBind's parameter files).
    hidden : int
        Units of the optional hidden layer (0 = none; DeepBind uses 32 when chosen).
    pad_n : bool
        Pad ``filter_width - 1`` columns of 0.25 ('N') on both ends, as DeepBind
        does, so detectors can hang over the sequence ends.
    dropout : float
        Dropout on the pooled features (DeepBind's "expected value" dropout).
    rc_max : bool
        Score the sequence and its reverse complement with the same weights and
        return the larger score per output, as the DeepBind tool does for DNA
        models with ``reverse_complement = 1`` (default False: forward strand only).
        The strands are combined by an ``nn.MaxPool1d(2)`` so DeepLIFT has a rule.
    """

    n_filters: int = 16
    filter_width: int = 12
    avg_pool: bool = False
    hidden: int = 0
    pad_n: bool = False
    dropout: float = 0.0
    rc_max: bool = False

    registry_name: ClassVar[str] = "deepbind"
    LENGTH_REASON: ClassVar[str] = "each motif detector must fit inside the sequence"
    PRESETS: ClassVar[dict] = {
        # the course example (seeds 003): 16 detectors of width 12, max pool only
        "class": dict(n_filters=16, filter_width=12, avg_pool=False, hidden=0,
                      pad_n=False, dropout=0.0),
        # DeepBind ChIP-seq models: 16 detectors of width 24, 'N' padding; pooling
        # and the hidden layer were chosen per model by calibration (the importer
        # overrides avg_pool/hidden to match each published model)
        "paper": dict(n_filters=16, filter_width=24, avg_pool=True, hidden=32,
                      pad_n=True, dropout=0.0),
    }

    def check(self) -> None:
        name = self.registry_name
        check_int(name, "n_filters", self.n_filters)
        check_int(name, "filter_width", self.filter_width)
        check_bool(name, "avg_pool", self.avg_pool)
        check_int(name, "hidden", self.hidden, minimum=0)
        check_bool(name, "pad_n", self.pad_n)
        check_float(name, "dropout", self.dropout)
        check_bool(name, "rc_max", self.rc_max)

    def stages(self) -> list[Stage]:
        if self.pad_n:
            return []  # padded: any length >= 1 works
        return [conv_stage(self.filter_width)]


class DeepBind(RegvizModel):
    """DeepBind model; input ``(n, 4, L)``, output ``(n, n_outputs)`` raw scores."""

    first_conv_name = "conv"
    last_conv_name = "conv"

    def __init__(self, config: DeepBindConfig) -> None:
        super().__init__(config)
        w, f = config.filter_width, config.n_filters
        length = config.input_length
        if config.pad_n:
            self.pad = nn.ConstantPad1d((w - 1, w - 1), 0.25)
            length += 2 * (w - 1)
        else:
            self.pad = None
        self.conv = nn.Conv1d(4, f, w)
        self.act = nn.ReLU()
        n_pos = length - w + 1
        self.max_pool = nn.MaxPool1d(n_pos)
        self.avg_pool = nn.AvgPool1d(n_pos) if config.avg_pool else None
        self.flatten = FlattenFeatures("channel_major")
        n_features = f * (2 if config.avg_pool else 1)
        self.dropout = nn.Dropout(config.dropout) if config.dropout > 0 else None
        if config.hidden:
            self.hidden = nn.Linear(n_features, config.hidden)
            self.hidden_act = nn.ReLU()
            n_features = config.hidden
        else:
            self.hidden = None
            self.hidden_act = None
        self.out = nn.Linear(n_features, config.n_outputs)
        if config.rc_max:
            # the reverse strand gets its own nonlinearity modules (each is used once
            # per forward, as DeepLIFT needs) but shares conv/hidden/out weights
            self.rc_act = nn.ReLU()
            self.rc_max_pool = nn.MaxPool1d(n_pos)
            self.rc_avg_pool = nn.AvgPool1d(n_pos) if config.avg_pool else None
            self.rc_hidden_act = nn.ReLU() if config.hidden else None
            self.strand_pool = nn.MaxPool1d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        if self.pad is not None:
            x = self.pad(x)
        forward = self._score(self.conv(x), self.act, self.max_pool, self.avg_pool,
                              self.hidden_act)
        if not self.config.rc_max:
            return forward
        # ACGT order: flipping channels complements, flipping width reverses, so these
        # are the detectors read on the other strand (maps stay in forward positions)
        rc_map = nn.functional.conv1d(x, self.conv.weight.flip(dims=(1, 2)), self.conv.bias)
        reverse = self._score(rc_map, self.rc_act, self.rc_max_pool, self.rc_avg_pool,
                              self.rc_hidden_act)
        both = torch.stack([forward, reverse], dim=2)    # (n, n_outputs, 2)
        return self.strand_pool(both).squeeze(2)

    def _score(self, x: torch.Tensor, act: nn.Module, max_pool: nn.Module,
               avg_pool: nn.Module | None, hidden_act: nn.Module | None) -> torch.Tensor:
        """Detector maps ``(n, F, L')`` of one strand -> ``(n, n_outputs)``."""
        x = act(x)                                       # (n, F, L')
        pooled = max_pool(x)                             # (n, F, 1)
        if avg_pool is not None:
            # (n, F, 2) flattened channel-major -> [max0, avg0, max1, avg1, ...]
            pooled = torch.cat([pooled, avg_pool(x)], dim=2)
        x = self.flatten(pooled)
        if self.dropout is not None:
            x = self.dropout(x)
        if self.hidden is not None:
            x = hidden_act(self.hidden(x))
        return self.out(x)


class AnyLengthDeepBind(DeepBind):
    """A `DeepBind` with ``pad_n`` that reads ``(n, 4, L)`` for any L >= 1.

    ``input_length`` stays the length it was built for: what the app, the example
    sequences and the attribution checks use. Each forward call resizes the global
    pools (plain ``MaxPool1d``/``AvgPool1d`` modules, so DeepLIFT keeps its max-pool
    rule); one model should not run two different lengths in two threads at once.
    Same modules, weights and state dict as `DeepBind` (it saves as ``deepbind``).
    """

    def __init__(self, config: DeepBindConfig) -> None:
        if not config.pad_n:
            raise ModelConfigError("deepbind: only models that pad with N's (pad_n=True, as "
                                   "DeepBind does) can read inputs of any length.")
        super().__init__(config)

    def check_input(self, x: torch.Tensor) -> None:
        """Raise SequenceError unless ``x`` is (n, 4, L) with L >= 1."""
        if x.dim() != 3 or x.shape[1] != 4 or x.shape[2] < 1:
            raise SequenceError(f"deepbind (imported) reads one-hot inputs of shape (n, 4, L) "
                                f"with any length L >= 1; got {tuple(x.shape)}.")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        positions = x.shape[2] + self.config.filter_width - 1   # detector map after padding
        for name in ("max_pool", "avg_pool", "rc_max_pool", "rc_avg_pool"):
            pool = getattr(self, name, None)
            if pool is not None:
                pool.kernel_size = pool.stride = positions
        return super().forward(x)


def any_length(model: DeepBind) -> AnyLengthDeepBind:
    """A length-free copy of a DeepBind model that pads with N's, same weights, in the
    same mode and on the same device (the model itself when it already is one)."""
    if not isinstance(model, DeepBind):
        raise ModelConfigError(f"any_length takes a deepbind model. Got "
                               f"{getattr(model, 'registry_name', type(model).__name__)}.")
    if isinstance(model, AnyLengthDeepBind):
        return model
    out = AnyLengthDeepBind(model.config)
    out.load_state_dict(model.state_dict())
    param = next(model.parameters(), None)
    if param is not None:
        out = out.to(param.device)
    return out.train(model.training)
