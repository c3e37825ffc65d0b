"""Residual convolutional networks: an ExpResNet-style ResNet and Basenji.

A residual block adds its input back to what its convolutions compute,
``h + f(h)``, so gradients reach early layers through the shortcut and deep stacks
still train (He et al. 2016; seeds file 003). Every block here keeps its length
(its inner convolutions are padded "same" and shortcuts are the identity), so the
receptive field grows along the branch only and pooling happens between blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import torch
from torch import nn

from .base import (ModelConfig, RegvizModel, Stage, check_choice, check_float, check_int,
                   check_int_list, conv_stage, output_length, pool_stage)
from .layers import ConvBlock, DenseBlock, FlattenFeatures, global_pool


class BottleneckBlock(nn.Module):
    """ExpResNet residual module: ``h = conv_in(x)``, output ``h + branch(h)``.

    branch = BN-ReLU-conv1x1 (C -> mid), BN-ReLU-conv3 dilated (mid -> mid, "same"),
    BN-ReLU-conv1x1 (mid -> C). Input ``(n, in, L)``, output ``(n, C, L')`` with
    L' = L - (width - 1) when ``padding="valid"``.
    """

    def __init__(self, in_channels: int, channels: int, width: int, dilation: int,
                 mid: int, padding: str) -> None:
        super().__init__()
        self.conv_in = nn.Conv1d(in_channels, channels, width, padding=padding)
        self.bn1, self.act1 = nn.BatchNorm1d(channels), nn.ReLU()
        self.conv1 = nn.Conv1d(channels, mid, 1)
        self.bn2, self.act2 = nn.BatchNorm1d(mid), nn.ReLU()
        self.conv2 = nn.Conv1d(mid, mid, 3, dilation=dilation, padding="same")
        self.bn3, self.act3 = nn.BatchNorm1d(mid), nn.ReLU()
        self.conv3 = nn.Conv1d(mid, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv_in(x)
        y = self.conv1(self.act1(self.bn1(h)))
        y = self.conv2(self.act2(self.bn2(y)))
        y = self.conv3(self.act3(self.bn3(y)))
        return h + y


class ResStage(nn.Module):
    """A residual block followed by an optional pooling."""

    def __init__(self, block: nn.Module, pool: int, pool_kind: str) -> None:
        super().__init__()
        self.block = block
        if pool > 1:
            self.pool = nn.AvgPool1d(pool) if pool_kind == "avg" else nn.MaxPool1d(pool)
        else:
            self.pool = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.block(x)
        return self.pool(x) if self.pool is not None else x


@dataclass
class ResNetConfig(ModelConfig):
    """ExpResNet-style settings (lists have one entry per residual module).

    Attributes
    ----------
    channels : list of int
        Filters of each module.
    widths : list of int
        Width of each module's first (unpadded) convolution.
    dilations : list of int
        Dilation of each module's middle width-3 convolution.
    pools : list of int
        Pooling after each module (1 = none).
    pool_kind : str
        "avg" (ExpResNet) or "max".
    bottleneck : float
        Middle channels = round(channels * bottleneck).
    head : str
        "flatten" or global "max"/"mean" pooling.
    dense : list of int
        Hidden dense layers (with batch norm).
    dropout : float
        Dropout after each hidden dense layer.
    """

    channels: list = field(default_factory=lambda: [32, 48, 64])
    widths: list = field(default_factory=lambda: [5, 3, 3])
    dilations: list = field(default_factory=lambda: [1, 2, 2])
    pools: list = field(default_factory=lambda: [4, 4, 4])
    pool_kind: str = "avg"
    bottleneck: float = 0.5
    head: str = "flatten"
    dense: list = field(default_factory=lambda: [32])
    dropout: float = 0.3

    registry_name: ClassVar[str] = "resnet"
    LENGTH_REASON: ClassVar[str] = ("each residual module's unpadded first conv and its "
                                   "pooling shrink shorter sequences to nothing")
    PRESETS: ClassVar[dict] = {
        "class": dict(channels=[32, 48, 64], widths=[5, 3, 3], dilations=[1, 2, 2],
                      pools=[4, 4, 4], pool_kind="avg", bottleneck=0.5, head="flatten",
                      dense=[32], dropout=0.3),
        # ExpResNet (Zhang, Zhou & Cai 2020): five residual modules of 160-960
        # filters, widths 5/3/3/3/3, dilations 1/2/2/4/2, average pooling by 4
        "paper": dict(channels=[160, 320, 480, 640, 960], widths=[5, 3, 3, 3, 3],
                      dilations=[1, 2, 2, 4, 2], pools=[4, 4, 4, 4, 4], pool_kind="avg",
                      bottleneck=0.5, head="flatten", dense=[256], dropout=0.3),
    }

    def check(self) -> None:
        name = self.registry_name
        check_int_list(name, "channels", self.channels, minimum=2)
        n = len(self.channels)
        check_int_list(name, "widths", self.widths, length=n)
        check_int_list(name, "dilations", self.dilations, length=n)
        check_int_list(name, "pools", self.pools, length=n)
        check_choice(name, "pool_kind", self.pool_kind, ("avg", "max"))
        check_float(name, "bottleneck", self.bottleneck, 0.0, 1.0, high_inclusive=True)
        check_choice(name, "head", self.head, ("flatten", "max", "mean"))
        check_int_list(name, "dense", self.dense, allow_empty=True)
        check_float(name, "dropout", self.dropout)

    def stages(self) -> list[Stage]:
        out: list[Stage] = []
        for width, pool in zip(self.widths, self.pools):
            out.append(conv_stage(width))
            if pool > 1:
                out.append(pool_stage(pool))
        return out


class ResNet(RegvizModel):
    """ExpResNet-style residual CNN; ``(n, 4, L) -> (n, n_outputs)``."""

    def __init__(self, config: ResNetConfig) -> None:
        super().__init__(config)
        c = config
        self.stages = nn.ModuleList()
        channels = 4
        for ch, width, dil, pool in zip(c.channels, c.widths, c.dilations, c.pools):
            mid = max(1, round(ch * c.bottleneck))
            block = BottleneckBlock(channels, ch, width, dil, mid, padding="valid")
            self.stages.append(ResStage(block, pool, c.pool_kind))
            channels = ch
        self.final_bn, self.final_act = nn.BatchNorm1d(channels), nn.ReLU()
        n_pos = output_length(c.stages(), c.input_length)
        self.pool = None if c.head == "flatten" else global_pool(c.head, n_pos)
        n_features = channels * n_pos if c.head == "flatten" else channels
        self.flatten = FlattenFeatures("channel_major")
        self.dense = nn.ModuleList()
        for width in c.dense:
            self.dense.append(DenseBlock(n_features, width, batchnorm=True, dropout=c.dropout))
            n_features = width
        self.out = nn.Linear(n_features, c.n_outputs)
        self.first_conv_name = "stages.0.block.conv_in"
        self.last_conv_name = f"stages.{len(self.stages) - 1}.block"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        for stage in self.stages:
            x = stage(x)
        x = self.final_act(self.final_bn(x))
        if self.pool is not None:
            x = self.pool(x)
        x = self.flatten(x)
        for block in self.dense:
            x = block(x)
        return self.out(x)


# ----------------------------------------------------------------------------
# Basenji


class DilatedResidual(nn.Module):
    """Basenji dilated residual block: ``x + branch(x)``, length and channels kept.

    branch = ReLU-conv3 (C -> mid, dilation d)-BN, ReLU-conv1x1 (mid -> C)-BN, dropout.
    """

    def __init__(self, channels: int, mid: int, width: int, dilation: int,
                 dropout: float) -> None:
        super().__init__()
        self.act1 = nn.ReLU()
        self.conv1 = nn.Conv1d(channels, mid, width, dilation=dilation, padding="same",
                               bias=False)
        self.bn1 = nn.BatchNorm1d(mid)
        self.act2 = nn.ReLU()
        self.conv2 = nn.Conv1d(mid, channels, 1, bias=False)
        self.bn2 = nn.BatchNorm1d(channels)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn1(self.conv1(self.act1(x)))
        y = self.bn2(self.conv2(self.act2(y)))
        if self.dropout is not None:
            y = self.dropout(y)
        return x + y


class PreActConv(nn.Module):
    """ReLU -> conv1x1 -> BN -> ReLU -> [dropout] (Basenji's final pointwise layer)."""

    def __init__(self, in_channels: int, out_channels: int, dropout: float) -> None:
        super().__init__()
        self.act_in = nn.ReLU()
        self.conv = nn.Conv1d(in_channels, out_channels, 1, bias=False)
        self.bn = nn.BatchNorm1d(out_channels)
        self.act_out = nn.ReLU()
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act_out(self.bn(self.conv(self.act_in(x))))
        return self.dropout(x) if self.dropout is not None else x


def dilation_rates(n: int, mult: float) -> list[int]:
    """Dilation of each block: round(mult**i) for i = 0..n-1 (1, 2, 4, ... for 2.0)."""
    rates, rate = [], 1.0
    for _ in range(n):
        rates.append(int(round(rate)))
        rate *= mult
    return rates


@dataclass
class BasenjiConfig(ModelConfig):
    """Basenji settings.

    Attributes
    ----------
    stem_filters, stem_width, stem_pool : int
        First convolution and its pooling.
    tower_filters : list of int
        Filters of each conv+pool block of the tower (one entry per block).
    tower_width, tower_pool : int
        Kernel width and pooling of every tower block.
    n_dilated : int
        Number of dilated residual blocks.
    dilated_filters, dilated_width : int
        Bottleneck filters and kernel width inside each dilated block.
    dilation_mult : float
        Dilation grows by this factor per block (2.0 doubles: 1, 2, 4, 8, ...).
    dilated_dropout : float
        Dropout at the end of each dilated block's branch.
    final_filters : int
        Filters of the final pointwise convolution.
    final_dropout : float
        Dropout after it.
    head : str
        "mean" or "max" pooling over all bins -> whole-sequence outputs.
    """

    stem_filters: int = 24
    stem_width: int = 15
    stem_pool: int = 4
    tower_filters: list = field(default_factory=lambda: [32, 48])
    tower_width: int = 5
    tower_pool: int = 2
    n_dilated: int = 6
    dilated_filters: int = 24
    dilated_width: int = 3
    dilation_mult: float = 2.0
    dilated_dropout: float = 0.1
    final_filters: int = 64
    final_dropout: float = 0.05
    head: str = "mean"

    registry_name: ClassVar[str] = "basenji"
    LENGTH_REASON: ClassVar[str] = ("the stem and tower poolings shrink shorter sequences "
                                   "to nothing")
    PRESETS: ClassVar[dict] = {
        "class": dict(stem_filters=24, stem_width=15, stem_pool=4, tower_filters=[32, 48],
                      tower_width=5, tower_pool=2, n_dilated=6, dilated_filters=24,
                      dilated_width=3, dilation_mult=2.0, dilated_dropout=0.1,
                      final_filters=64, final_dropout=0.05, head="mean"),
        # the published Basenji trunk (calico/basenji, Kelley 2020 params): stem 288x15
        # pool 2; tower of 6 conv-5 + pool-2 blocks growing 339 -> 768 filters (x1.1776);
        # 11 dilated residual blocks (384-filter bottleneck, dilation x1.5, dropout .3);
        # final pointwise 1536 filters. 131,072 bp input.
        "paper": dict(stem_filters=288, stem_width=15, stem_pool=2,
                      tower_filters=[339, 399, 470, 554, 652, 768], tower_width=5,
                      tower_pool=2, n_dilated=11, dilated_filters=384, dilated_width=3,
                      dilation_mult=1.5, dilated_dropout=0.3, final_filters=1536,
                      final_dropout=0.05, head="mean"),
    }

    def check(self) -> None:
        name = self.registry_name
        for attr in ("stem_filters", "stem_width", "stem_pool", "tower_width", "tower_pool",
                     "dilated_filters", "dilated_width", "final_filters"):
            check_int(name, attr, getattr(self, attr))
        check_int_list(name, "tower_filters", self.tower_filters, allow_empty=True)
        check_int(name, "n_dilated", self.n_dilated, minimum=0)
        check_float(name, "dilation_mult", self.dilation_mult, 1.0, 16.0)
        check_float(name, "dilated_dropout", self.dilated_dropout)
        check_float(name, "final_dropout", self.final_dropout)
        check_choice(name, "head", self.head, ("mean", "max"))

    def stages(self) -> list[Stage]:
        out = [conv_stage(self.stem_width, padding="same")]
        if self.stem_pool > 1:
            out.append(pool_stage(self.stem_pool))
        for _ in self.tower_filters:
            out.append(conv_stage(self.tower_width, padding="same"))
            if self.tower_pool > 1:
                out.append(pool_stage(self.tower_pool))
        return out


class Basenji(RegvizModel):
    """Basenji (conv tower + dilated residual blocks) with a whole-sequence head.

    Input ``(n, 4, L)``; the tower turns L bp into L / (stem_pool * tower_pool**k)
    bins, the dilated blocks mix bins over exponentially growing distances, and
    pooling over all bins gives ``(n, n_outputs)``.
    """

    first_conv_name = "stem.conv"
    last_conv_name = "final.conv"

    def __init__(self, config: BasenjiConfig) -> None:
        super().__init__(config)
        c = config
        self.stem = ConvBlock(4, c.stem_filters, c.stem_width, padding="same",
                              batchnorm=True, pool=c.stem_pool, bias=False)
        self.tower = nn.ModuleList()
        channels = c.stem_filters
        for filters in c.tower_filters:
            self.tower.append(ConvBlock(channels, filters, c.tower_width, padding="same",
                                        batchnorm=True, pool=c.tower_pool, bias=False))
            channels = filters
        self.dilated = nn.ModuleList(
            DilatedResidual(channels, c.dilated_filters, c.dilated_width, rate,
                            c.dilated_dropout)
            for rate in dilation_rates(c.n_dilated, c.dilation_mult))
        self.final = PreActConv(channels, c.final_filters, c.final_dropout)
        n_bins = output_length(c.stages(), c.input_length)
        self.pool = global_pool(c.head, n_bins)
        self.flatten = FlattenFeatures("channel_major")
        self.out = nn.Linear(c.final_filters, c.n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        x = self.stem(x)
        for block in self.tower:
            x = block(x)
        for block in self.dilated:
            x = block(x)
        x = self.final(x)
        x = self.flatten(self.pool(x))
        return self.out(x)
