"""Bag of k-mers + logistic regression, written as a network attribution can explain.

The classic baseline (seeds file 002) counts every k-mer in a sequence and fits a
logistic regression on the counts. Here the counting is itself a layer of the
network, so the model is a function of the one-hot input ``(n, 4, L)``:

1. a fixed (non-trainable) ``Conv1d`` with 4**k filters of width k; filter j is
   the one-hot matrix of k-mer j and its bias is -(k - 1). At a window that spells
   k-mer j the convolution gives k - (k - 1) = 1; any mismatch gives <= 0;
2. ReLU keeps exactly the matches (1) and zeroes the rest;
3. summing over positions gives the exact count of every k-mer;
4. a linear layer on the counts is logistic regression (it returns the logit).

Teaching point: a "bag of words" model is a one-layer CNN with hand-made filters
and a sum pool; a CNN learns its filters instead.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from regviz.errors import ModelConfigError

from .base import ModelConfig, RegvizModel, Stage, check_bool, check_int, conv_stage
from .layers import GlobalSum

ALPHABET = "ACGT"


def all_kmers(k: int) -> list[str]:
    """The 4**k k-mers in the order of the count features (AAA..A, AA..C, ...)."""
    return ["".join(p) for p in itertools.product(ALPHABET, repeat=k)]


@dataclass
class KmerConfig(ModelConfig):
    """Settings of the k-mer logistic regression.

    Attributes
    ----------
    k : int
        k-mer length (4**k count features; k <= 8).
    normalize : bool
        Divide counts by the number of windows (k-mer frequencies instead of counts).
    """

    k: int = 4
    normalize: bool = False

    registry_name: ClassVar[str] = "kmer_logreg"
    LENGTH_REASON: ClassVar[str] = "a k-mer needs k bases"
    PRESETS: ClassVar[dict] = {
        "class": dict(k=4, normalize=False),
        # k = 6 as in the kmer-SVM enhancer classifier (Lee et al. 2011)
        "paper": dict(k=6, normalize=False),
    }

    def check(self) -> None:
        check_int(self.registry_name, "k", self.k)
        if self.k > 8:
            raise ModelConfigError(f"kmer_logreg: k must be at most 8 (4**k count "
                                   f"features). Got k={self.k} instead.")
        check_bool(self.registry_name, "normalize", self.normalize)

    def stages(self) -> list[Stage]:
        return [conv_stage(self.k)]


class KmerLogReg(RegvizModel):
    """k-mer counts (fixed conv + ReLU + sum) -> linear; ``(n, 4, L) -> (n, n_outputs)``.

    Attributes
    ----------
    kmers : list of str
        Name of each count feature (row j of ``count.weight`` spells ``kmers[j]``).
    """

    first_conv_name = "count"
    last_conv_name = "count"

    def __init__(self, config: KmerConfig) -> None:
        super().__init__(config)
        k = config.k
        self.kmers = all_kmers(k)
        self.count = nn.Conv1d(4, 4 ** k, k)
        with torch.no_grad():
            index = torch.tensor([[ALPHABET.index(b) for b in kmer] for kmer in self.kmers])
            weight = torch.zeros(4 ** k, 4, k).scatter_(1, index.unsqueeze(1), 1.0)
            self.count.weight.copy_(weight)
            self.count.bias.fill_(-(k - 1))
        self.count.weight.requires_grad_(False)
        self.count.bias.requires_grad_(False)
        self.match = nn.ReLU()
        self.total = GlobalSum()
        self.scale = 1.0 / (config.input_length - k + 1) if config.normalize else 1.0
        self.linear = nn.Linear(4 ** k, config.n_outputs)

    def counts(self, x: torch.Tensor) -> torch.Tensor:
        """k-mer counts ``(n, 4**k)`` (frequencies if ``normalize``)."""
        self.check_input(x)
        return self.total(self.match(self.count(x))) * self.scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.counts(x))
