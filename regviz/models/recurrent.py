"""Recurrent models: the course's RNN and LSTM classifiers, and DanQ (CNN + BiLSTM).

A recurrent layer reads the sequence one position at a time and carries a hidden
state forward, so its output at the end depends on every base: the receptive
field is the whole input, whatever its length (seeds file 003).

Readouts turn the per-position states ``(n, H, T)`` into one vector per sequence:
"last" (the final hidden state; both directions' final states when
bidirectional), "max"/"mean" (pool over positions) or "flatten" (every position
keeps its own weights, as in DanQ; Keras order, position-major).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from .base import (ModelConfig, RegvizModel, Stage, check_bool, check_choice, check_float,
                   check_int, conv_stage, output_length, pool_stage)
from .layers import ConvBlock, DenseBlock, FlattenFeatures, global_pool

READOUTS = ("last", "max", "mean", "flatten")


class RecurrentEncoder(nn.Module):
    """RNN/LSTM over positions: ``(n, C, T) -> (n, H * directions, T)``."""

    def __init__(self, cell: str, input_size: int, hidden: int, bidirectional: bool,
                 num_layers: int = 1, nonlinearity: str = "tanh") -> None:
        super().__init__()
        if cell == "lstm":
            self.rnn = nn.LSTM(input_size, hidden, num_layers=num_layers, batch_first=True,
                               bidirectional=bidirectional)
        else:
            self.rnn = nn.RNN(input_size, hidden, num_layers=num_layers, batch_first=True,
                              bidirectional=bidirectional, nonlinearity=nonlinearity)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x.transpose(1, 2))     # (n, T, H * dirs)
        return out.transpose(1, 2)


class LastState(nn.Module):
    """Final hidden state from ``(n, H * dirs, T)``: forward at T-1, backward at 0."""

    rf_role = "global"

    def __init__(self, hidden: int, bidirectional: bool) -> None:
        super().__init__()
        self.hidden, self.bidirectional = hidden, bidirectional

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.bidirectional:
            return x[:, :, -1]
        h = self.hidden
        return torch.cat([x[:, :h, -1], x[:, h:, 0]], dim=1)


def make_readout(kind: str, hidden: int, bidirectional: bool,
                 n_steps: int) -> tuple[nn.Module, int]:
    """Module mapping ``(n, F, T)`` to ``(n, features)``, and its feature count."""
    width = hidden * (2 if bidirectional else 1)
    if kind == "last":
        return LastState(hidden, bidirectional), width
    if kind == "flatten":
        return FlattenFeatures("position_major"), width * n_steps
    return nn.Sequential(global_pool(kind, n_steps), FlattenFeatures()), width


@dataclass
class RecurrentConfig(ModelConfig):
    """Settings of the course's recurrent classifiers.

    Attributes
    ----------
    hidden : int
        Hidden units per direction (18 in the course example).
    num_layers : int
        Stacked recurrent layers.
    bidirectional : bool
        Also read the sequence right to left.
    readout : str
        "last", "max", "mean" or "flatten" (see module docstring).
    dense : int
        Units of an optional hidden dense layer before the output (0 = none).
    dropout : float
        Dropout before the output layers.
    """

    hidden: int = 32
    num_layers: int = 1
    bidirectional: bool = False
    readout: str = "max"
    dense: int = 0
    dropout: float = 0.0

    cell: ClassVar[str] = "rnn"
    PRESETS: ClassVar[dict] = {
        "class": dict(hidden=32, num_layers=1, bidirectional=False, readout="max", dense=0,
                      dropout=0.0),
        # the lecture's SimpleRNNClassifier / SimpleLSTMClassifier: 18 hidden units,
        # output of the last time step -> linear
        "paper": dict(hidden=18, num_layers=1, bidirectional=False, readout="last",
                      dense=0, dropout=0.0),
    }

    def check(self) -> None:
        name = self.registry_name
        check_int(name, "hidden", self.hidden)
        check_int(name, "num_layers", self.num_layers)
        check_bool(name, "bidirectional", self.bidirectional)
        check_choice(name, "readout", self.readout, READOUTS)
        check_int(name, "dense", self.dense, minimum=0)
        check_float(name, "dropout", self.dropout)


@dataclass
class RNNConfig(RecurrentConfig):
    registry_name: ClassVar[str] = "rnn"
    cell: ClassVar[str] = "rnn"


@dataclass
class LSTMConfig(RecurrentConfig):
    registry_name: ClassVar[str] = "lstm"
    cell: ClassVar[str] = "lstm"


class RecurrentClassifier(RegvizModel):
    """one-hot ``(n, 4, L)`` -> RNN/LSTM -> readout -> [dense] -> ``(n, n_outputs)``."""

    def __init__(self, config: RecurrentConfig) -> None:
        super().__init__(config)
        c = config
        self.encoder = RecurrentEncoder(c.cell, 4, c.hidden, c.bidirectional, c.num_layers)
        self.readout, n_features = make_readout(c.readout, c.hidden, c.bidirectional,
                                                c.input_length)
        self.dropout = nn.Dropout(c.dropout) if c.dropout > 0 else None
        self.dense = DenseBlock(n_features, c.dense) if c.dense else None
        self.out = nn.Linear(c.dense or n_features, c.n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        x = self.readout(self.encoder(x))
        if self.dropout is not None:
            x = self.dropout(x)
        if self.dense is not None:
            x = self.dense(x)
        return self.out(x)


class RNNClassifier(RecurrentClassifier):
    """Elman RNN classifier (tanh units)."""


class LSTMClassifier(RecurrentClassifier):
    """LSTM classifier."""


@dataclass
class DanQConfig(ModelConfig):
    """DanQ settings.

    Attributes
    ----------
    conv_filters, conv_width, pool : int
        The single convolution (motif detectors) and its max pooling.
    conv_dropout : float
        Dropout after pooling (0.2 in DanQ).
    lstm_hidden : int
        LSTM units per direction (320 in DanQ).
    lstm_dropout : float
        Dropout after the BiLSTM (0.5 in DanQ).
    readout : str
        "flatten" (DanQ), "max" (the lecture's version), "mean" or "last".
    dense : int
        Hidden dense layer width (925 in DanQ; 0 = none).
    """

    conv_filters: int = 32
    conv_width: int = 26
    pool: int = 13
    conv_dropout: float = 0.2
    lstm_hidden: int = 32
    lstm_dropout: float = 0.5
    readout: str = "max"
    dense: int = 32

    registry_name: ClassVar[str] = "danq"
    LENGTH_REASON: ClassVar[str] = ("the unpadded convolution and its pooling shrink "
                                   "shorter sequences to nothing")
    PRESETS: ClassVar[dict] = {
        "class": dict(conv_filters=32, conv_width=26, pool=13, conv_dropout=0.2,
                      lstm_hidden=32, lstm_dropout=0.5, readout="max", dense=32),
        # Quang & Xie 2016: conv 320x26, max pool 13, dropout .2, BiLSTM 320+320,
        # dropout .5, flatten, dense 925, 919 outputs, 1000 bp
        "paper": dict(conv_filters=320, conv_width=26, pool=13, conv_dropout=0.2,
                      lstm_hidden=320, lstm_dropout=0.5, readout="flatten", dense=925),
    }

    def check(self) -> None:
        name = self.registry_name
        for attr in ("conv_filters", "conv_width", "pool", "lstm_hidden"):
            check_int(name, attr, getattr(self, attr))
        check_float(name, "conv_dropout", self.conv_dropout)
        check_float(name, "lstm_dropout", self.lstm_dropout)
        check_choice(name, "readout", self.readout, READOUTS)
        check_int(name, "dense", self.dense, minimum=0)

    def stages(self) -> list[Stage]:
        out = [conv_stage(self.conv_width)]
        if self.pool > 1:
            out.append(pool_stage(self.pool))
        return out


class DanQ(RegvizModel):
    """conv -> ReLU -> max pool -> dropout -> BiLSTM -> dropout -> readout -> dense."""

    first_conv_name = "conv.conv"
    last_conv_name = "conv.conv"

    def __init__(self, config: DanQConfig) -> None:
        super().__init__(config)
        c = config
        self.conv = ConvBlock(4, c.conv_filters, c.conv_width, pool=c.pool,
                              dropout=c.conv_dropout)
        self.lstm = RecurrentEncoder("lstm", c.conv_filters, c.lstm_hidden, True)
        self.lstm_dropout = nn.Dropout(c.lstm_dropout) if c.lstm_dropout > 0 else None
        n_steps = output_length(c.stages(), c.input_length)
        self.readout, n_features = make_readout(c.readout, c.lstm_hidden, True, n_steps)
        self.dense = DenseBlock(n_features, c.dense) if c.dense else None
        self.out = nn.Linear(c.dense or n_features, c.n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        x = self.lstm(self.conv(x))
        if self.lstm_dropout is not None:
            x = self.lstm_dropout(x)
        x = self.readout(x)
        if self.dense is not None:
            x = self.dense(x)
        return self.out(x)
