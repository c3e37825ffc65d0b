"""Hypothetical contributions for motif discovery: what each base *would* contribute.

TF-MoDISco clusters stretches of high attribution by the shape of their
hypothetical contributions ``(n, L, 4)``: at every position, a score for each of
the four bases, of which the observed base's is its actual contribution. Three
ways to get them, all centred on the mean over the four bases at each position
(the sum over bases then carries no signal, only the differences between bases):

``"deeplift_shap"``  DeepLIFT multipliers averaged over ``n_references`` dinucleotide
                     shuffles of each input, hypothetical form (Lundberg & Lee 2017;
                     what BPNet and DeepSTARR ran TF-MoDISco on). Exact only on models
                     whose nonlinearities DeepLIFT handles (`deeplift_exact`).
``"ism"``            in-silico mutagenesis ``f(mutant) - f(x)`` per base; the observed
                     base scores 0 before centring (exact, slow on large non-conv models).
``"gradient"``       the input gradient (one backward pass), mean-centred over bases
                     (Majdandzic et al. 2023's correction): fast, local.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from torch import nn

from regviz.attribution import attribute, deeplift_exact, supports_fast_ism
from regviz.errors import AttributionError

SUM = "sum"      # the target that adds up every output (one pass for all tasks)
METHODS = {"deeplift_shap": "DeepLIFT-SHAP (shuffled references)",
           "ism": "In-silico mutagenesis",
           "gradient": "Gradient (mean-centred)"}


def default_method(model: nn.Module) -> str:
    """DeepLIFT-SHAP where it is exact for the model, else ISM where the fast exact ISM
    applies, else the mean-centred gradient."""
    if deeplift_exact(model)[0]:
        return "deeplift_shap"
    return "ism" if supports_fast_ism(model) else "gradient"


class SummedOutputs(nn.Module):
    """``model`` with its outputs added up: ``(n, 1)``. Gradients, DeepLIFT multipliers
    and ISM effects are linear in the output, so contributions to the sum are the sum of
    the per-output contributions, in one pass instead of one per output. The wrapper
    carries the attributes regviz reads from a zoo model (registry name, input length,
    channels)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        self.registry_name = getattr(model, "registry_name", "")
        self.input_length = getattr(model, "input_length", None)
        self.in_channels = getattr(model, "in_channels", 4)
        self.config = SimpleNamespace(n_outputs=1)

    def forward(self, x):
        return self.model(x).sum(dim=1, keepdim=True)


def hypothetical_contributions(model: nn.Module, X: np.ndarray, target=0,
                               method: str = "deeplift_shap", n_references: int = 3,
                               seed: int = 0, progress=None) -> np.ndarray:
    """Mean-centred hypothetical contributions ``(n, 4, L)`` float32 of output ``target``
    (an index, or `SUM` for the sum of all outputs) for one-hot ``X (n, 4, L)``;
    ``progress(done, total)`` is called as batches finish."""
    if method not in METHODS:
        raise AttributionError(f"method must be one of {list(METHODS)}. Got {method!r}.")
    X = np.asarray(X, dtype=np.float32)
    if target == SUM and method == "ism":      # fast ISM needs the zoo model itself
        n_out = int(getattr(getattr(model, "config", None), "n_outputs", None) or 1)
        return sum(hypothetical_contributions(model, X, o, method, n_references, seed,
                                              progress) for o in range(n_out))
    if target == SUM:
        model, target = SummedOutputs(model), 0
    if method == "deeplift_shap":
        H = attribute(model, X, "deeplift_shap", target=target, hypothetical=True,
                      n_references=int(n_references), seed=seed, progress=progress,
                      batch_size=64)
    elif method == "ism":
        H = attribute(model, X, "ism", target=target, progress=progress)
    else:
        H = attribute(model, X, "saliency", target=target, progress=progress)
    H = H[:, :4]
    return np.ascontiguousarray(H - H.mean(axis=1, keepdims=True), dtype=np.float32)


def actual_track(X: np.ndarray, H: np.ndarray) -> np.ndarray:
    """Per-base contribution ``(n, L)``: the hypothetical score of the observed base."""
    return (np.asarray(X, dtype=np.float32)[:, :4] * H).sum(axis=1)


def scrambled(H: np.ndarray, seed: int = 0) -> np.ndarray:
    """The control: each sequence's hypothetical contributions with their positions
    permuted (one permutation per sequence, the four bases kept together), so that
    attribution no longer lines up with any motif in the sequence."""
    rng = np.random.default_rng(seed)
    out = np.empty_like(H)
    for i in range(len(H)):
        out[i] = H[i][:, rng.permutation(H.shape[2])]
    return out
