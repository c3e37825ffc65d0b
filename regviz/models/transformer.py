"""Enformer-lite: a convolutional tower followed by transformer blocks.

After Avsec et al. (2021), scaled down. Convolutions and poolings turn the
sequence into bins ("tokens"); self-attention then lets every bin read every other
bin, so the receptive field of every position after the first attention layer is
the whole input, however long. Attention has no sense of order by itself, so
position is added: a learned bias per head for each bin offset ("relative", the
closest simple analogue of Enformer's relative positional encodings), or
sinusoidal / learned absolute encodings added to the tokens.

Differences from Enformer, on purpose: max pooling instead of attention pooling,
ReLU instead of GELU (DeepLIFT has rules for ReLU), a simple relative bias instead
of Enformer's basis functions, and a pooled whole-sequence head instead of
per-bin tracks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import torch
from torch import nn

from regviz.errors import ModelConfigError

from .base import (ModelConfig, RegvizModel, Stage, check_choice, check_float, check_int,
                   check_int_list, conv_stage, output_length, pool_stage)
from .layers import ConvBlock, FlattenFeatures, global_pool

POSITIONS = ("relative", "sinusoidal", "learned", "none")


class SelfAttention(nn.Module):
    """Multi-head self-attention over ``(n, T, C)`` tokens, output ``(n, T, C)``.

    ``scores = q k^T / sqrt(key_size) [+ relative bias[head, i - j]]``, softmax over
    keys (an ``nn.Softmax`` module, so DeepLIFT sees it), weighted sum of values,
    output projection.
    """

    rf_role = "global"
    summary_leaf = True

    def __init__(self, dim: int, n_heads: int, key_size: int, n_tokens: int,
                 relative: bool, dropout: float) -> None:
        super().__init__()
        self.n_heads, self.key_size = n_heads, key_size
        self.q = nn.Linear(dim, n_heads * key_size, bias=False)
        self.k = nn.Linear(dim, n_heads * key_size, bias=False)
        self.v = nn.Linear(dim, dim, bias=False)
        self.softmax = nn.Softmax(dim=-1)
        self.dropout = nn.Dropout(dropout)
        self.proj = nn.Linear(dim, dim)
        if relative:
            self.rel_bias = nn.Parameter(torch.zeros(n_heads, 2 * n_tokens - 1))
            idx = torch.arange(n_tokens)
            self.register_buffer("rel_index", idx[:, None] - idx[None, :] + n_tokens - 1,
                                 persistent=False)
        else:
            self.rel_bias = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, t, c = x.shape
        h, d = self.n_heads, self.key_size
        q = self.q(x).view(n, t, h, d).transpose(1, 2)            # (n, h, T, d)
        k = self.k(x).view(n, t, h, d).transpose(1, 2)
        v = self.v(x).view(n, t, h, c // h).transpose(1, 2)       # (n, h, T, c/h)
        scores = q @ k.transpose(-1, -2) / math.sqrt(d)           # (n, h, T, T)
        if self.rel_bias is not None:
            scores = scores + self.rel_bias[:, self.rel_index]
        weights = self.dropout(self.softmax(scores))
        out = (weights @ v).transpose(1, 2).reshape(n, t, c)
        return self.proj(out)


class PositionalEncoding(nn.Module):
    """Adds absolute position information to ``(n, T, C)`` tokens.

    "sinusoidal": fixed sines/cosines (Vaswani et al. 2017); "learned": one trained
    vector per bin.
    """

    def __init__(self, n_tokens: int, dim: int, kind: str) -> None:
        super().__init__()
        if kind == "learned":
            self.table = nn.Parameter(torch.zeros(n_tokens, dim))
            nn.init.normal_(self.table, std=0.02)
        else:
            pos = torch.arange(n_tokens, dtype=torch.float32)[:, None]
            freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32)
                             * (-math.log(10000.0) / dim))
            table = torch.zeros(n_tokens, dim)
            table[:, 0::2] = torch.sin(pos * freq)
            table[:, 1::2] = torch.cos(pos * freq[: dim // 2])
            self.register_buffer("table", table)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.table


class TransformerBlock(nn.Module):
    """Pre-norm transformer block on ``(n, T, C)``: attention then a ReLU MLP."""

    def __init__(self, dim: int, n_heads: int, key_size: int, n_tokens: int, ff_mult: int,
                 relative: bool, dropout: float, attention_dropout: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = SelfAttention(dim, n_heads, key_size, n_tokens, relative,
                                  attention_dropout)
        self.drop1 = nn.Dropout(dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.ff1 = nn.Linear(dim, ff_mult * dim)
        self.act = nn.ReLU()
        self.drop2 = nn.Dropout(dropout)
        self.ff2 = nn.Linear(ff_mult * dim, dim)
        self.drop3 = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop1(self.attn(self.norm1(x)))
        return x + self.drop3(self.ff2(self.drop2(self.act(self.ff1(self.norm2(x))))))


@dataclass
class EnformerLiteConfig(ModelConfig):
    """Enformer-lite settings.

    Attributes
    ----------
    stem_filters, stem_width, stem_pool : int
        First convolution and its pooling.
    tower_filters : list of int
        Filters of each conv+pool tower block; the last one is the token width.
    tower_width, tower_pool : int
        Kernel width and pooling of every tower block.
    n_layers, n_heads, key_size : int
        Transformer blocks, attention heads, query/key size per head (values get
        token_width / n_heads each).
    ff_mult : int
        Width of the MLP inside each block, as a multiple of the token width.
    dropout, attention_dropout : float
        Dropout on block outputs and on attention weights.
    position : str
        "relative" (learned bias per head and bin offset), "sinusoidal",
        "learned" (absolute) or "none".
    final_filters : int
        Filters of the final pointwise convolution.
    head : str
        "mean" or "max" pooling over bins -> whole-sequence outputs.
    """

    stem_filters: int = 24
    stem_width: int = 15
    stem_pool: int = 4
    tower_filters: list = field(default_factory=lambda: [32, 64])
    tower_width: int = 5
    tower_pool: int = 4
    n_layers: int = 2
    n_heads: int = 4
    key_size: int = 16
    ff_mult: int = 2
    dropout: float = 0.1
    attention_dropout: float = 0.05
    position: str = "relative"
    final_filters: int = 64
    head: str = "mean"

    registry_name: ClassVar[str] = "enformer_lite"
    LENGTH_REASON: ClassVar[str] = ("the stem and tower poolings shrink shorter sequences "
                                   "to nothing")
    PRESETS: ClassVar[dict] = {
        "class": dict(stem_filters=24, stem_width=15, stem_pool=4, tower_filters=[32, 64],
                      tower_width=5, tower_pool=4, n_layers=2, n_heads=4, key_size=16,
                      ff_mult=2, dropout=0.1, attention_dropout=0.05, position="relative",
                      final_filters=64, head="mean"),
        # Enformer's trunk sizes (Avsec et al. 2021): stem 768x15 pool 2; tower of 6
        # conv-5 + pool-2 blocks 768 -> 1536; 11 transformer blocks, 8 heads, key size
        # 64, MLP 2x, dropout .4 / attention .05; final pointwise 3072; 196,608 bp
        "paper": dict(stem_filters=768, stem_width=15, stem_pool=2,
                      tower_filters=[768, 896, 1024, 1152, 1280, 1536], tower_width=5,
                      tower_pool=2, n_layers=11, n_heads=8, key_size=64, ff_mult=2,
                      dropout=0.4, attention_dropout=0.05, position="relative",
                      final_filters=3072, head="mean"),
    }

    @property
    def token_width(self) -> int:
        return self.tower_filters[-1] if self.tower_filters else self.stem_filters

    def check(self) -> None:
        name = self.registry_name
        for attr in ("stem_filters", "stem_width", "stem_pool", "tower_width", "tower_pool",
                     "n_heads", "key_size", "ff_mult", "final_filters"):
            check_int(name, attr, getattr(self, attr))
        check_int_list(name, "tower_filters", self.tower_filters, allow_empty=True)
        check_int(name, "n_layers", self.n_layers, minimum=0)
        check_float(name, "dropout", self.dropout)
        check_float(name, "attention_dropout", self.attention_dropout)
        check_choice(name, "position", self.position, POSITIONS)
        check_choice(name, "head", self.head, ("mean", "max"))
        if self.token_width % self.n_heads:
            raise ModelConfigError(
                f"{name}: the token width ({self.token_width}, the last tower_filters "
                f"entry) must be divisible by n_heads ({self.n_heads}).")
        if self.position == "sinusoidal" and self.token_width % 2:
            raise ModelConfigError(f"{name}: sinusoidal positions need an even token "
                                   f"width; got {self.token_width}.")

    def stages(self) -> list[Stage]:
        out = [conv_stage(self.stem_width, padding="same")]
        if self.stem_pool > 1:
            out.append(pool_stage(self.stem_pool))
        for _ in self.tower_filters:
            out.append(conv_stage(self.tower_width, padding="same"))
            if self.tower_pool > 1:
                out.append(pool_stage(self.tower_pool))
        return out


class EnformerLite(RegvizModel):
    """Conv tower + transformer; ``(n, 4, L) -> (n, n_outputs)``."""

    first_conv_name = "stem.conv"
    last_conv_name = "final.conv"

    def __init__(self, config: EnformerLiteConfig) -> None:
        super().__init__(config)
        c = config
        self.stem = ConvBlock(4, c.stem_filters, c.stem_width, padding="same",
                              batchnorm=True, pool=c.stem_pool)
        self.tower = nn.ModuleList()
        channels = c.stem_filters
        for filters in c.tower_filters:
            self.tower.append(ConvBlock(channels, filters, c.tower_width, padding="same",
                                        batchnorm=True, pool=c.tower_pool))
            channels = filters
        n_tokens = output_length(c.stages(), c.input_length)
        self.n_tokens = n_tokens
        absolute = c.position in ("sinusoidal", "learned")
        self.position = PositionalEncoding(n_tokens, channels, c.position) if absolute else None
        self.blocks = nn.ModuleList(
            TransformerBlock(channels, c.n_heads, c.key_size, n_tokens, c.ff_mult,
                             c.position == "relative", c.dropout, c.attention_dropout)
            for _ in range(c.n_layers))
        self.norm = nn.LayerNorm(channels)
        self.final = ConvBlock(channels, c.final_filters, 1, batchnorm=True,
                               dropout=c.dropout / 8)
        self.pool = global_pool(c.head, n_tokens)
        self.flatten = FlattenFeatures("channel_major")
        self.out = nn.Linear(c.final_filters, c.n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        x = self.stem(x)
        for block in self.tower:
            x = block(x)
        x = x.transpose(1, 2)                     # (n, T, C) tokens
        if self.position is not None:
            x = self.position(x)
        for block in self.blocks:
            x = block(x)
        x = self.norm(x).transpose(1, 2)          # back to (n, C, T)
        x = self.final(x)
        return self.out(self.flatten(self.pool(x)))

