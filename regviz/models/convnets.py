"""Plain convolutional networks: DeepSEA, Basset, DeepSTARR, DECODE and a small CNN.

All five are the same kind of network and share one implementation (`ConvNet`)::

    repeat for each conv layer i:
        conv (conv_filters[i] filters of width conv_widths[i], padding "valid"/"same")
        [batch norm] -> ReLU (first layer: `first_activation`, ReLU or exp)
        -> [max pool pools[i]] -> [dropout conv_dropout[i]]
    head: "flatten" (every position gets its own weights; position-aware)
          or "max"/"mean" global pooling (position-blind)
    dense layers: linear -> [batch norm] -> ReLU -> [dropout]
    linear -> (n, n_outputs)

Only the settings differ; each architecture has its own config class and presets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import torch
from torch import nn

from regviz.errors import ModelConfigError

from .base import (ModelConfig, RegvizModel, Stage, check_bool, check_choice, check_float,
                   check_float_list, check_int, check_int_list, conv_stage, output_length,
                   pool_stage)
from .layers import ACTIVATIONS, FLATTEN_ORDERS, ConvBlock, DenseBlock, FlattenFeatures, global_pool


@dataclass
class ConvNetConfig(ModelConfig):
    """Settings of a plain convolutional network (lists have one entry per conv layer).

    Attributes
    ----------
    conv_filters, conv_widths, pools : list of int
        Filters, kernel width (bp at the first layer) and max-pool size per layer
        (1 = no pooling).
    conv_dropout : list of float
        Dropout after each conv layer.
    padding : str
        "valid" (no padding; each conv shortens the sequence) or "same".
    batchnorm : bool
        Batch norm after each convolution.
    head : str
        "flatten", "max" or "mean" (global pooling over positions).
    flatten : str
        "channel_major" (PyTorch) or "position_major" (Keras ``Flatten``).
    dense : list of int
        Hidden dense layer widths (may be empty).
    dense_dropout : float
        Dropout after each hidden dense layer.
    dense_batchnorm : bool
        Batch norm in each hidden dense layer.
    bn_eps, bn_momentum : float
        Batch-norm epsilon and PyTorch-style momentum (Keras momentum m is 1 - m
        here: Keras 0.99 -> 0.01).
    first_activation : str
        "relu" (every published model here) or "exp": exponential activation of
        the first layer (Koo & Ploenzke 2021), whose filters learn whole motifs.
    """

    conv_filters: list = field(default_factory=lambda: [32, 32, 32])
    conv_widths: list = field(default_factory=lambda: [9, 9, 9])
    pools: list = field(default_factory=lambda: [4, 4, 4])
    conv_dropout: list = field(default_factory=lambda: [0.0, 0.0, 0.0])
    padding: str = "same"
    batchnorm: bool = True
    head: str = "max"
    flatten: str = "channel_major"
    dense: list = field(default_factory=lambda: [32])
    dense_dropout: float = 0.2
    dense_batchnorm: bool = False
    bn_eps: float = 1e-5
    bn_momentum: float = 0.1
    first_activation: str = "relu"

    def check(self) -> None:
        name = self.registry_name
        check_int_list(name, "conv_filters", self.conv_filters)
        n = len(self.conv_filters)
        check_int_list(name, "conv_widths", self.conv_widths, length=n)
        check_int_list(name, "pools", self.pools, length=n)
        check_float_list(name, "conv_dropout", self.conv_dropout, n)
        check_choice(name, "padding", self.padding, ("valid", "same"))
        check_bool(name, "batchnorm", self.batchnorm)
        check_choice(name, "head", self.head, ("flatten", "max", "mean"))
        check_choice(name, "flatten", self.flatten, FLATTEN_ORDERS)
        check_int_list(name, "dense", self.dense, allow_empty=True)
        check_float(name, "dense_dropout", self.dense_dropout)
        check_bool(name, "dense_batchnorm", self.dense_batchnorm)
        check_float(name, "bn_eps", self.bn_eps, 0.0, 1.0)
        check_float(name, "bn_momentum", self.bn_momentum, 0.0, 1.0, high_inclusive=True)
        check_choice(name, "first_activation", self.first_activation, tuple(ACTIVATIONS))

    def stages(self) -> list[Stage]:
        out: list[Stage] = []
        for width, pool in zip(self.conv_widths, self.pools):
            out.append(conv_stage(width, padding=self.padding))
            if pool > 1:
                out.append(pool_stage(pool))
        return out


@dataclass
class CNNConfig(ConvNetConfig):
    registry_name: ClassVar[str] = "cnn"
    LENGTH_REASON: ClassVar[str] = "its conv/pool stages shrink shorter sequences to nothing"
    PRESETS: ClassVar[dict] = {
        "class": dict(conv_filters=[32, 32, 32], conv_widths=[9, 9, 9], pools=[4, 4, 4],
                      conv_dropout=[0.0, 0.0, 0.0], padding="same", batchnorm=True,
                      head="max", flatten="channel_major", dense=[32], dense_dropout=0.2,
                      dense_batchnorm=False, bn_eps=1e-5, bn_momentum=0.1),
        # no paper: a wider and deeper plain CNN (receptive field ~1 kb)
        "paper": dict(conv_filters=[64, 64, 64, 64], conv_widths=[15, 9, 9, 9],
                      pools=[4, 4, 4, 4], conv_dropout=[0.0, 0.0, 0.0, 0.0], padding="same",
                      batchnorm=True, head="max", flatten="channel_major", dense=[64],
                      dense_dropout=0.2, dense_batchnorm=False, bn_eps=1e-5, bn_momentum=0.1),
    }


@dataclass
class DeepSEAConfig(ConvNetConfig):
    registry_name: ClassVar[str] = "deepsea"
    LENGTH_REASON: ClassVar[str] = ("three unpadded conv layers and two pools shrink shorter "
                                   "sequences to nothing")
    PRESETS: ClassVar[dict] = {
        "class": dict(conv_filters=[32, 48, 64], conv_widths=[8, 8, 8], pools=[4, 4, 1],
                      conv_dropout=[0.2, 0.2, 0.5], padding="valid", batchnorm=False,
                      head="flatten", flatten="channel_major", dense=[64], dense_dropout=0.0,
                      dense_batchnorm=False, bn_eps=1e-5, bn_momentum=0.1),
        # Zhou & Troyanskaya 2015 (Methods; Torch7 model): conv 320x8, pool 4,
        # drop .2; conv 480x8, pool 4, drop .2; conv 960x8, drop .5; dense 925; 919 out
        "paper": dict(conv_filters=[320, 480, 960], conv_widths=[8, 8, 8], pools=[4, 4, 1],
                      conv_dropout=[0.2, 0.2, 0.5], padding="valid", batchnorm=False,
                      head="flatten", flatten="channel_major", dense=[925],
                      dense_dropout=0.0, dense_batchnorm=False, bn_eps=1e-5,
                      bn_momentum=0.1),
    }


@dataclass
class BassetConfig(ConvNetConfig):
    registry_name: ClassVar[str] = "basset"
    LENGTH_REASON: ClassVar[str] = "three conv/pool stages shrink shorter sequences to nothing"
    PRESETS: ClassVar[dict] = {
        "class": dict(conv_filters=[48, 32, 32], conv_widths=[19, 11, 7], pools=[3, 4, 4],
                      conv_dropout=[0.0, 0.0, 0.0], padding="valid", batchnorm=True,
                      head="flatten", flatten="channel_major", dense=[64, 64],
                      dense_dropout=0.3, dense_batchnorm=True, bn_eps=1e-5, bn_momentum=0.1),
        # Kelley et al. 2016: 300x19 pool 3, 200x11 pool 4, 200x7 pool 4 (batch norm),
        # two dense layers of 1000 with dropout .3, 164 outputs, 600 bp
        "paper": dict(conv_filters=[300, 200, 200], conv_widths=[19, 11, 7], pools=[3, 4, 4],
                      conv_dropout=[0.0, 0.0, 0.0], padding="valid", batchnorm=True,
                      head="flatten", flatten="channel_major", dense=[1000, 1000],
                      dense_dropout=0.3, dense_batchnorm=True, bn_eps=1e-5,
                      bn_momentum=0.1),
    }


@dataclass
class DeepSTARRConfig(ConvNetConfig):
    registry_name: ClassVar[str] = "deepstarr"
    LENGTH_REASON: ClassVar[str] = ("four max-pool stages halve the sequence four times, "
                                   "leaving nothing of shorter ones")
    PRESETS: ClassVar[dict] = {
        "class": dict(conv_filters=[64, 32, 32, 64], conv_widths=[7, 3, 5, 3],
                      pools=[2, 2, 2, 2], conv_dropout=[0.0, 0.0, 0.0, 0.0], padding="same",
                      batchnorm=True, head="flatten", flatten="channel_major", dense=[64, 64],
                      dense_dropout=0.4, dense_batchnorm=True, bn_eps=1e-5, bn_momentum=0.1),
        # de Almeida et al. 2022, the published Keras model layer for layer:
        # Conv1D(256,7,'same')-BN-ReLU-MaxPool(2); Conv1D(60,3); Conv1D(60,5);
        # Conv1D(120,3); Flatten (Keras: position-major); Dense(256)-BN-ReLU-Dropout(.4)
        # x2; heads Dense(1) Dev, Hk (rows 0 and 1 of `out`). Keras BN: eps 1e-3,
        # momentum 0.99 (= 0.01 in PyTorch's convention).
        "paper": dict(conv_filters=[256, 60, 60, 120], conv_widths=[7, 3, 5, 3],
                      pools=[2, 2, 2, 2], conv_dropout=[0.0, 0.0, 0.0, 0.0], padding="same",
                      batchnorm=True, head="flatten", flatten="position_major",
                      dense=[256, 256], dense_dropout=0.4, dense_batchnorm=True,
                      bn_eps=1e-3, bn_momentum=0.01),
    }


@dataclass
class DecodeConfig(ConvNetConfig):
    """DECODE settings: a ConvNet whose input may carry more than the 4 bases.

    Attributes
    ----------
    extra_channels : int
        Channels after the 4 bases, e.g. chromatin tracks at bp resolution: input
        is ``(n, 4 + extra_channels, L)``.
    tracks_only : bool
        The published DECODE form: no DNA, only ``n_tracks`` epigenomic tracks
        binned at 20 bp (a 4 kb window is 200 bins); input ``(n, n_tracks, L)``
        with L counted in bins.
    n_tracks : int
        Number of tracks when ``tracks_only`` (5 in DECODE: ATAC/DNase-seq and
        histone marks).
    """

    extra_channels: int = 0
    tracks_only: bool = False
    n_tracks: int = 5

    registry_name: ClassVar[str] = "decode"
    LENGTH_REASON: ClassVar[str] = "its conv/pool stages shrink shorter sequences to nothing"
    PRESETS: ClassVar[dict] = {
        "class": dict(conv_filters=[24, 32, 48], conv_widths=[11, 7, 7], pools=[8, 4, 4],
                      conv_dropout=[0.0, 0.0, 0.0], padding="same", batchnorm=True,
                      head="flatten", flatten="channel_major", dense=[32],
                      dense_dropout=0.3, dense_batchnorm=False, bn_eps=1e-5,
                      bn_momentum=0.1, extra_channels=0, tracks_only=False, n_tracks=5),
        # DECODE's published input: 5 tracks x 200 bins of 20 bp (4 kb). The layer
        # sizes below are regviz's (a small Grad-CAM-ready CNN), not the paper's.
        "paper": dict(conv_filters=[32, 64, 128], conv_widths=[5, 5, 5], pools=[2, 2, 1],
                      conv_dropout=[0.0, 0.0, 0.0], padding="same", batchnorm=True,
                      head="flatten", flatten="channel_major", dense=[64],
                      dense_dropout=0.5, dense_batchnorm=False, bn_eps=1e-5,
                      bn_momentum=0.1, extra_channels=0, tracks_only=True, n_tracks=5),
    }

    @property
    def in_channels(self) -> int:
        return self.n_tracks if self.tracks_only else 4 + self.extra_channels

    @property
    def length_unit(self) -> str:
        return "bins" if self.tracks_only else "bp"

    def check(self) -> None:
        super().check()
        name = self.registry_name
        check_int(name, "extra_channels", self.extra_channels, minimum=0)
        check_bool(name, "tracks_only", self.tracks_only)
        check_int(name, "n_tracks", self.n_tracks)
        if self.tracks_only and self.extra_channels:
            raise ModelConfigError(
                f"decode: extra_channels={self.extra_channels} cannot be combined with "
                f"tracks_only=True (tracks-only input has n_tracks channels and no DNA). "
                f"Set extra_channels=0 or tracks_only=False.")


class ConvNet(RegvizModel):
    """Plain CNN; input ``(n, in_channels, L)``, output ``(n, n_outputs)`` raw values."""

    def __init__(self, config: ConvNetConfig) -> None:
        super().__init__(config)
        c = config
        channels = c.in_channels
        self.convs = nn.ModuleList()
        for i, (filters, width, pool, drop) in enumerate(zip(c.conv_filters, c.conv_widths,
                                                             c.pools, c.conv_dropout)):
            self.convs.append(ConvBlock(channels, filters, width, padding=c.padding,
                                       batchnorm=c.batchnorm, pool=pool, dropout=drop,
                                       bn_eps=c.bn_eps, bn_momentum=c.bn_momentum,
                                       activation=c.first_activation if i == 0 else "relu"))
            channels = filters
        n_pos = output_length(c.stages(), c.input_length)
        if c.head == "flatten":
            self.pool = None
            n_features = channels * n_pos
        else:
            self.pool = global_pool(c.head, n_pos)
            n_features = channels
        self.flatten = FlattenFeatures(c.flatten)
        self.dense = nn.ModuleList()
        for width in c.dense:
            self.dense.append(DenseBlock(n_features, width, batchnorm=c.dense_batchnorm,
                                        dropout=c.dense_dropout, bn_eps=c.bn_eps,
                                        bn_momentum=c.bn_momentum))
            n_features = width
        self.out = nn.Linear(n_features, c.n_outputs)
        self.first_conv_name = "convs.0.conv"
        self.last_conv_name = f"convs.{len(self.convs) - 1}.conv"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        for block in self.convs:
            x = block(x)
        return self.head(x)

    def head(self, x: torch.Tensor) -> torch.Tensor:
        """Everything after the conv blocks: ``(n, C, L')`` feature map -> ``(n, n_outputs)``
        (global pool or flatten, dense blocks, output layer)."""
        if self.pool is not None:
            x = self.pool(x)
        x = self.flatten(x)
        for block in self.dense:
            x = block(x)
        return self.out(x)


# distinct class names make printed models self-explanatory
class CNN(ConvNet):
    """Small plain CNN (conv/pool stacks, global max pool): the long-range baseline."""


class DeepSEA(ConvNet):
    """DeepSEA (Zhou & Troyanskaya 2015)."""


class Basset(ConvNet):
    """Basset (Kelley et al. 2016)."""


class DeepSTARR(ConvNet):
    """DeepSTARR (de Almeida et al. 2022); outputs are [Dev, Hk] with 2 outputs."""


class Decode(ConvNet):
    """DECODE-style CNN (Chen et al. 2021) over DNA (+ extra channels) or tracks only."""

