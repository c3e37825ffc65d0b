"""Building blocks shared by the architectures.

Rules every block follows so that captum's DeepLIFT works: each nonlinearity is
its own ``nn.ReLU`` (or ``Exp``/``nn.MaxPool1d``/``nn.Softmax``) instance, used
exactly once per forward; no functional activations; no in-place operations.

Modules may set two class attributes read by `regviz.models.summary`:
``rf_role = "global"`` (its output mixes all positions: receptive field becomes
the whole input) and ``summary_leaf = True`` (summarise it as one row instead of
its children).
"""

from __future__ import annotations

import torch
from torch import nn

from regviz.errors import ModelConfigError


class Exp(nn.Module):
    """Elementwise ``exp``: the first-layer activation of Koo & Ploenzke 2021.

    Exponential activations make first-layer filters learn whole motifs with
    little background noise, even in deep networks with small pools (Nature
    Machine Intelligence 3, 258-266). Shape-preserving.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(x)


ACTIVATIONS = {"relu": nn.ReLU, "exp": Exp}


class ConvBlock(nn.Module):
    """conv -> [batch norm] -> activation (ReLU or exp) -> [max/avg pool] -> [dropout].

    Input ``(n, in_channels, L)``, output ``(n, out_channels, L')`` where L' follows
    from the padding ("valid" shrinks by ``dilation*(width-1)``, "same" keeps L) and
    the pool (floor of L/pool).
    """

    def __init__(self, in_channels: int, out_channels: int, width: int, *,
                 padding: str = "valid", dilation: int = 1, batchnorm: bool = False,
                 pool: int = 1, pool_kind: str = "max", dropout: float = 0.0,
                 bn_eps: float = 1e-5, bn_momentum: float = 0.1, bias: bool = True,
                 activation: str = "relu") -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ModelConfigError(f"activation must be one of {list(ACTIVATIONS)}. "
                                   f"Got {activation!r} instead.")
        self.conv = nn.Conv1d(in_channels, out_channels, width, padding=padding,
                              dilation=dilation, bias=bias)
        self.bn = (nn.BatchNorm1d(out_channels, eps=bn_eps, momentum=bn_momentum)
                   if batchnorm else None)
        self.act = ACTIVATIONS[activation]()
        if pool > 1:
            self.pool = nn.MaxPool1d(pool) if pool_kind == "max" else nn.AvgPool1d(pool)
        else:
            self.pool = None
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        x = self.act(x)
        if self.pool is not None:
            x = self.pool(x)
        if self.dropout is not None:
            x = self.dropout(x)
        return x


class DenseBlock(nn.Module):
    """linear -> [batch norm] -> ReLU -> [dropout]; ``(n, in) -> (n, out)``."""

    def __init__(self, in_features: int, out_features: int, *, batchnorm: bool = False,
                 dropout: float = 0.0, bn_eps: float = 1e-5, bn_momentum: float = 0.1) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        self.bn = (nn.BatchNorm1d(out_features, eps=bn_eps, momentum=bn_momentum)
                   if batchnorm else None)
        self.act = nn.ReLU()
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.linear(x)
        if self.bn is not None:
            x = self.bn(x)
        x = self.act(x)
        if self.dropout is not None:
            x = self.dropout(x)
        return x


FLATTEN_ORDERS = ("channel_major", "position_major")


class FlattenFeatures(nn.Module):
    """Flatten ``(n, C, L)`` to ``(n, C*L)``.

    ``order="channel_major"`` (PyTorch/Torch7 convention) gives
    ``[c0p0, c0p1, ..., c1p0, ...]``; ``order="position_major"`` (Keras
    ``Flatten`` on ``(L, C)`` tensors) gives ``[p0c0, p0c1, ..., p1c0, ...]``.
    The order only matters when loading weights trained elsewhere.
    """

    rf_role = "global"

    def __init__(self, order: str = "channel_major") -> None:
        super().__init__()
        if order not in FLATTEN_ORDERS:
            raise ModelConfigError(f"flatten must be one of {FLATTEN_ORDERS}. "
                                   f"Got {order!r} instead.")
        self.order = order

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.order == "position_major":
            x = x.transpose(1, 2)
        return x.flatten(1)

    def extra_repr(self) -> str:
        return f"order={self.order!r}"


class GlobalSum(nn.Module):
    """Sum over positions: ``(n, C, L) -> (n, C)`` (linear, so attribution-safe)."""

    rf_role = "global"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.sum(dim=-1)


def global_pool(kind: str, n_positions: int) -> nn.Module:
    """Pooling over all ``n_positions`` positions, output ``(n, C, 1)``.

    Uses ``nn.MaxPool1d``/``nn.AvgPool1d`` with a kernel as long as the feature
    map (not the adaptive versions) because captum's DeepLIFT has a rule for
    ``nn.MaxPool1d`` only.
    """
    if kind == "max":
        return nn.MaxPool1d(n_positions)
    if kind == "mean":
        return nn.AvgPool1d(n_positions)
    raise ModelConfigError(f"global pooling must be 'max' or 'mean'. Got {kind!r} instead.")


class DenseNet(nn.Sequential):
    """A fully connected network on feature vectors ``(n, sizes[0]) -> (n, sizes[-1])``."""

    def __init__(self, *layers: nn.Module, input_shape: tuple[int, ...]) -> None:
        super().__init__(*layers)
        self.input_shape = input_shape


def dense_net(sizes: list[int], bias: bool = True) -> DenseNet:
    """Plain dense network with a ReLU between layers (none after the last).

    Parameters
    ----------
    sizes : list of int
        Layer widths from input to output, e.g. ``[3, 4, 4, 1]``.
    bias : bool
        Whether each linear layer has a bias.

    Returns
    -------
    DenseNet
        ``nn.Sequential`` of Linear/ReLU; ``dense_net([3, 4, 4, 1], bias=False)``
        has 3*4 + 4*4 + 4*1 = 32 parameters (the lecture's example).
    """
    if (not isinstance(sizes, (list, tuple)) or len(sizes) < 2
            or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in sizes)):
        raise ModelConfigError(f"sizes must be a list of at least two positive integers "
                               f"(input width, ..., output width). Got {sizes!r} instead.")
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b, bias=bias))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return DenseNet(*layers, input_shape=(sizes[0],))
