"""Concepts for teaching: convolution on DNA, layer arithmetic, receptive fields.

Pure functions behind the Concepts page; each returns plain numbers or DataFrames
that a class can check by hand. The course's worked examples (seed
``002_b6e8b9ce1e6abb9e``: PWM of GGATAA/CGATAA/CGATAT/GGATAT, PSSM scanning, the
3-mer table, ``e = (a + b) * (b + 1)``; seed ``003_9ef29ba349e500c7``: 1D conv
formulas, DeepBind) are built in as defaults.

Conventions: positions shown to users are 1-based; a motif matrix is ``(4, w)``,
rows A, C, G, T; a one-hot sequence is ``(4, L)`` (batches ``(n, 4, L)``), float.
Motif maths comes from `regviz.motifs`, receptive fields from `regviz.models`;
nothing here re-implements them. Parameters, k-mers and backpropagation live in
`regviz.concepts.learning`.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from regviz import checkpoints, motifs, sequence
from regviz.errors import ModelConfigError, MotifError, RegvizError
from regviz.models import build, registry, summary

# ------------------------------------------------------------------ the course's numbers

COURSE_SITES = ("GGATAA", "CGATAA", "CGATAT", "GGATAT")
#: The scoring weights W printed on the slides (rows A, C, G, T). They are
#: illustrative: no single background turns the course PWM into these numbers
#: (a probability of 1 gives 3.7 and a probability of 0.5 gives 0.5 or 0.6).
COURSE_SLIDE_PSSM = np.array([[-5.7, -3.2, 3.7, -3.2, 3.7, 0.6],
                              [0.5, -3.2, -3.2, -3.2, -3.2, -5.7],
                              [0.5, 3.7, -3.2, -3.2, -3.2, -5.7],
                              [-5.7, -3.2, -3.2, 3.7, -3.2, 0.5]])
#: The one-hot example sequence of the slides ("C G A T A A C C G A T A T").
COURSE_SEQUENCE = "CGATAACCGATAT"


def course_motif() -> motifs.Motif:
    """The slides' motif: counts of the four aligned sites GGATAA, CGATAA, CGATAT, GGATAT.

    Its ``ppm()`` is the slides' PWM (A row ``0 0 1 0 1 0.5``...).
    """
    counts = np.zeros((4, len(COURSE_SITES[0])))
    for site in COURSE_SITES:
        for i, base in enumerate(site):
            counts["ACGT".index(base), i] += 1
    return motifs.Motif("course", "course GATA-like (4 sites)", counts)


def course_neuron_check() -> dict:
    """The slides' neuron ``Z = W . X`` on the first 5 bp (CGATA) with 5 columns of W.

    Returns ``terms`` (one per position), ``z`` (their sum) and ``sigmoid``; the slide
    prints ``Z = 0.5 + 3.7 + 3.7 + 3.7 = 11.6`` and ``Y = 0.9996``: it leaves out one
    3.7 (all five positions match, Z = 15.3), and sigmoid(11.6) would be 0.99999.
    """
    W = COURSE_SLIDE_PSSM[:, :5]
    x = sequence.one_hot(COURSE_SEQUENCE[:5])[0].astype(np.float64)
    terms = (W * x).sum(axis=0)
    z = float(terms.sum())
    return {"window": COURSE_SEQUENCE[:5], "terms": terms.round(6).tolist(), "z": z,
            "sigmoid": 1.0 / (1.0 + math.exp(-z)), "slide_z": 11.6, "slide_y": 0.9996,
            "sigmoid_of_slide_z": 1.0 / (1.0 + math.exp(-11.6))}


# ------------------------------------------------------------------ 1. PSSM scanning = conv1d

def _frame(matrix, index=tuple("ACGT")) -> pd.DataFrame:
    m = np.atleast_2d(matrix)
    return pd.DataFrame(m, index=list(index), columns=[str(i + 1) for i in range(m.shape[1])])


def motif_matrices(motif: motifs.Motif, background=motifs.UNIFORM,
                   pseudocount: float = motifs.DEFAULT_PSSM_PSEUDOCOUNT,
                   small_sample: bool = False) -> dict:
    """PFM -> PPM -> PSSM -> information content of a motif, as tables (columns 1..w).

    Parameters
    ----------
    motif : Motif
    background : 4 floats for A, C, G, T
        Denominator of the log odds; shares out the pseudocount; IC is the relative
        entropy to it (``2 - H`` bits for the uniform background).
    pseudocount : float
        Total pseudocount per column for the PSSM (default 0.8; the PPM and IC use 0).
    small_sample : bool
        Subtract ``e_n`` from the IC (course formula ``R_i = log2(4) - (H_i + e_n)``).

    Returns
    -------
    dict with DataFrames ``pfm``, ``ppm``, ``pssm`` (4 x w, bits), ``ic`` (1 x w, bits)
    and ``heights`` (4 x w logo letter heights ``f * IC``), and ``background`` (4,).
    """
    bg = np.asarray(background, dtype=np.float64)
    e_n = motifs.small_sample_correction(motif.nsites) if small_sample else 0.0
    ppm = motif.ppm()
    return {"pfm": _frame(motif.counts), "ppm": _frame(ppm),
            "pssm": _frame(motif.pssm(bg, pseudocount)),
            "ic": _frame(motifs.information_content(ppm, bg, e_n), ["IC (bits)"]),
            "heights": _frame(motifs.letter_heights(ppm, bg, e_n)), "background": bg}


def conv1d_scores(sequence_text: str, pssm, bias: float = 0.0) -> np.ndarray:
    """Scores of ``torch.nn.Conv1d(4, 1, w)`` whose kernel is the PSSM (float64).

    Returns
    -------
    np.ndarray, shape (L - w + 1,): ``sum(W * X[:, i:i+w]) + bias`` per start ``i``.
    """
    W = np.asarray(pssm, dtype=np.float64)
    return _conv1d(_one_hot_for(sequence_text, W.shape[1])[1], W, bias)


def _conv1d(X: np.ndarray, W: np.ndarray, bias: float = 0.0) -> np.ndarray:
    conv = nn.Conv1d(4, 1, W.shape[1], dtype=torch.float64)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(W)[None])
        conv.bias.fill_(bias)
        return conv(torch.from_numpy(X)[None])[0, 0].numpy()


def _one_hot_for(sequence_text: str, width: int) -> tuple[str, np.ndarray]:
    seq = sequence.clean_sequence(sequence_text, "sequence")
    if len(seq) < width:
        raise MotifError(f"The motif is {width} positions wide but the sequence is {len(seq)} bp; "
                         "the sequence must be at least as long as the motif.")
    return seq, sequence.one_hot(seq)[0].astype(np.float64)


def pssm_walkthrough(sequence_text: str, pssm, threshold: float = 0.0, pool_size: int = 2,
                     pool_stride: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Slide a PSSM along a sequence: score, ReLU (threshold), max pooling.

    Parameters
    ----------
    sequence_text : str
        DNA (A, C, G, T, N; N is 0.25 per base so it scores the column mean).
    pssm : array-like, shape (4, w)
    threshold : float
        ReLU threshold t: ``relu = max(0, score - t)``, a conv bias of ``-t``.
    pool_size, pool_stride : int
        Max pooling over the ReLU track (stride defaults to ``pool_size``).

    Returns
    -------
    scores : DataFrame, one row per window start
        ``start``, ``end`` (1-based, inclusive), ``window`` (bases), ``score`` (by hand:
        ``sum(W * X)`` in numpy), ``conv1d`` (``nn.Conv1d`` with W as kernel),
        ``pssm_scan`` (:func:`regviz.motifs.pssm_scan`, float32), ``relu``.
        ``attrs["max_abs_diff"]``: largest ``|conv1d - score|``.
    pooled : DataFrame, one row per pooled output
        ``output`` (1-based), ``from_start``, ``to_start`` (window starts pooled),
        ``max`` (``nn.MaxPool1d`` on the ReLU track), ``argmax_start``.
    """
    W = np.asarray(pssm, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != 4:
        raise MotifError(f"pssm must have shape (4, w). Got shape {W.shape} instead.")
    seq, X = _one_hot_for(sequence_text, W.shape[1])
    w, n = W.shape[1], X.shape[1] - W.shape[1] + 1
    by_hand = np.array([(W * X[:, i:i + w]).sum() for i in range(n)])
    conv = _conv1d(X, W)
    scan = motifs.pssm_scan(X[None].astype(np.float32), W, both_strands=False)[0]
    relu = np.maximum(0.0, by_hand - threshold)
    scores = pd.DataFrame({"start": np.arange(1, n + 1), "end": np.arange(w, n + w),
                           "window": [seq[i:i + w] for i in range(n)], "score": by_hand,
                           "conv1d": conv, "pssm_scan": scan.astype(np.float64), "relu": relu})
    scores.attrs["max_abs_diff"] = float(np.abs(conv - by_hand).max())
    stride = pool_size if pool_stride is None else pool_stride
    n_pool = pool_output_length(n, pool_size, stride)
    pool = nn.MaxPool1d(pool_size, stride, return_indices=True)
    with torch.no_grad():
        mx, idx = pool(torch.from_numpy(relu)[None, None])
    starts = np.arange(n_pool) * stride
    pooled = pd.DataFrame({"output": np.arange(1, n_pool + 1), "from_start": starts + 1,
                           "to_start": starts + pool_size, "max": mx[0, 0].numpy(),
                           "argmax_start": idx[0, 0].numpy() + 1})
    return scores, pooled


def window_terms(window: str, pssm) -> list[float]:
    """The terms of ``sum(W * x)`` for one window: ``W[base, i]`` per position (an N
    scores the column mean, as its one-hot 0.25s do)."""
    W = np.asarray(pssm, dtype=np.float64)
    if len(window) != W.shape[1]:
        raise MotifError(f"The window has {len(window)} bases but the PSSM {W.shape[1]} columns.")
    return [float(W["ACGT".index(b), i]) if b in "ACGT" else float(W[:, i].mean())
            for i, b in enumerate(window.upper())]


# ------------------------------------------------------------------ 2. padding, stride, dilation

def _check_layer(length, kernel_size, stride, padding, dilation, what="conv") -> None:
    for name, v, low in (("length", length, 1), ("kernel_size", kernel_size, 1),
                         ("stride", stride, 1), ("padding", padding, 0), ("dilation", dilation, 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer, float)) or int(v) != v \
                or v < low:
            raise ModelConfigError(f"{what}: {name} must be an integer >= {low}. Got {v!r} instead.")


def conv_output_length(length: int, kernel_size: int, stride: int = 1, padding: int = 0,
                       dilation: int = 1) -> int:
    """Output length of a 1D convolution (as ``torch.nn.Conv1d``).

    ``L_out = floor((L + 2p - d(k - 1) - 1) / s) + 1``. Raises ModelConfigError when
    the (dilated) kernel does not fit the padded input.
    """
    _check_layer(length, kernel_size, stride, padding, dilation)
    span = dilation * (kernel_size - 1) + 1
    if length + 2 * padding < span:
        raise ModelConfigError(
            f"conv: the kernel spans {span} bp (kernel {kernel_size}, dilation {dilation}) but "
            f"the padded input is {length + 2 * padding} bp; it needs at least {span}.")
    return (length + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


def pool_output_length(length: int, pool_size: int, stride: int | None = None, padding: int = 0,
                       dilation: int = 1, ceil_mode: bool = False) -> int:
    """Output length of ``torch.nn.MaxPool1d`` (same formula as a conv; stride defaults
    to the pool size). ``ceil_mode`` rounds up, dropping a last window that would
    start in the right padding. Padding may be at most half the pool size (as torch)."""
    stride = pool_size if stride is None else stride
    _check_layer(length, pool_size, stride, padding, dilation, "pool")
    span = dilation * (pool_size - 1) + 1
    if 2 * padding > pool_size:
        raise ModelConfigError(f"pool: padding must be at most half the pool size ({pool_size // 2} "
                               f"for pool {pool_size}). Got {padding} instead.")
    num = length + 2 * padding - span
    out = (-(-num // stride) if ceil_mode else num // stride) + 1
    if ceil_mode and (out - 1) * stride >= length + padding:
        out -= 1
    if out < 1:
        raise ModelConfigError(f"pool: the window spans {span} positions but the input has "
                               f"{length + 2 * padding} (with padding); no output is left.")
    return out


def _taps(n_in: int, k: int, s: int, p: int, d: int, n_out: int) -> list[tuple[list, int]]:
    rows = []
    for j in range(n_out):
        idx = [j * s + t * d - p for t in range(k)]
        rows.append(([i for i in idx if 0 <= i < n_in], sum(not 0 <= i < n_in for i in idx)))
    return rows


def connectivity(length: int, kernel_size: int, stride: int = 1, padding: int = 0,
                 dilation: int = 1, pool_size: int | None = None,
                 pool_stride: int | None = None) -> pd.DataFrame:
    """Which input positions feed each output of a conv (and an optional max pool).

    Returns
    -------
    DataFrame, one row per output unit: ``layer`` ("conv" or "pool"), ``output``
    (1-based), ``feeds_from`` (1-based positions in the layer below), ``inputs``
    (1-based input bp it sees), ``padding_taps`` (kernel taps on padding), ``taps``
    (every tap in 1-based input coordinates, padding included: < 1 or > length; for
    pool rows the conv outputs pooled), ``span`` (last - first input + 1).
    ``attrs``: ``conv_length``, ``pool_length``, ``unseen`` (1-based input bp that no
    output of the last layer sees, e.g. the last base when the stride does not fit).
    """
    n_conv = conv_output_length(length, kernel_size, stride, padding, dilation)
    rows = []
    conv_inputs = []
    for j, (inp, n_pad) in enumerate(_taps(length, kernel_size, stride, padding, dilation, n_conv)):
        conv_inputs.append(inp)
        taps = [j * stride + t * dilation - padding + 1 for t in range(kernel_size)]
        rows.append({"layer": "conv", "output": j + 1, "feeds_from": [i + 1 for i in inp],
                     "inputs": [i + 1 for i in inp], "padding_taps": n_pad, "taps": taps})
    n_pool = None
    if pool_size:
        ps = pool_size if pool_stride is None else pool_stride
        n_pool = pool_output_length(n_conv, pool_size, ps)
        for j, (below, _) in enumerate(_taps(n_conv, pool_size, ps, 0, 1, n_pool)):
            seen = sorted({i for b in below for i in conv_inputs[b]})
            rows.append({"layer": "pool", "output": j + 1, "feeds_from": [b + 1 for b in below],
                         "inputs": [i + 1 for i in seen], "padding_taps": 0,
                         "taps": [b + 1 for b in below]})
    df = pd.DataFrame(rows)
    df["span"] = [r[-1] - r[0] + 1 if r else 0 for r in df["inputs"]]
    top = df[df["layer"] == ("pool" if pool_size else "conv")]
    seen = {i for r in top["inputs"] for i in r}
    df.attrs.update(conv_length=n_conv, pool_length=n_pool,
                    unseen=[i for i in range(1, length + 1) if i not in seen])
    return df


def torch_output_lengths(length: int, kernel_size: int, stride: int = 1, padding: int = 0,
                         dilation: int = 1, pool_size: int | None = None,
                         pool_stride: int | None = None) -> tuple[int, int | None]:
    """(conv length, pool length or None) measured by running torch's layers on zeros."""
    x = torch.zeros(1, 4, length)
    y = nn.Conv1d(4, 1, kernel_size, stride, padding, dilation)(x)
    z = nn.MaxPool1d(pool_size, pool_stride)(y) if pool_size else None
    return int(y.shape[-1]), (int(z.shape[-1]) if z is not None else None)


# ------------------------------------------------------------------ 3. receptive field

RF_MODELS = ("deepbind", "basset", "deepstarr", "basenji")
LONG_RANGE = {"long-range_cnn": "cnn", "long-range_basenji": "basenji",
              "long-range_enformer_lite": "enformer_lite", "long-range_lstm": "lstm"}
"""The shipped long-range checkpoints and their architectures."""


def _window(m: nn.Module) -> tuple:
    """(kernel, stride, dilation) of a conv or pooling layer, else NAs."""
    if not isinstance(m, (nn.Conv1d, nn.MaxPool1d, nn.AvgPool1d)):
        return pd.NA, pd.NA, pd.NA
    first = lambda v: int(v[0]) if isinstance(v, (tuple, list)) else int(v)  # noqa: E731
    d = first(getattr(m, "dilation", 1))
    return first(m.kernel_size), first(m.stride or m.kernel_size), d


def receptive_field_growth(name: str, input_length: int | None = None,
                           preset: str = "class") -> pd.DataFrame:
    """Receptive field after each conv / pool layer of a zoo model, up to its first
    layer that mixes all positions (from :func:`regviz.models.summary`).

    Returns
    -------
    DataFrame: ``step``, ``layer``, ``kind``, ``kernel``, ``stride``, ``dilation``,
    ``receptive_field`` (bp), ``jump`` (bp between outputs), ``scope``;
    ``attrs["input_length"]``.
    """
    entry = registry.get_entry(name)
    length = entry.natural_length[preset] if input_length is None else int(input_length)
    with torch.device("meta"):
        model = build(name, length, 1, preset)
    table = summary(model)
    rows = []
    for _, r in table.iterrows():
        m = model.get_submodule(r["layer"])
        if isinstance(m, (nn.Conv1d, nn.MaxPool1d, nn.AvgPool1d)) or r["scope"] == "global":
            k, s, d = _window(m)
            rows.append({"layer": r["layer"], "kind": r["kind"], "kernel": k, "stride": s,
                         "dilation": d, "receptive_field": int(r["receptive_field"]),
                         "jump": r["jump"], "scope": r["scope"]})
            if r["scope"] == "global":
                break
    df = pd.DataFrame(rows, columns=["layer", "kind", "kernel", "stride", "dilation",
                                     "receptive_field", "jump", "scope"])
    for c in ("kernel", "stride", "dilation", "jump"):
        df[c] = df[c].astype("Int64")
    df.insert(0, "step", np.arange(1, len(df) + 1))
    df.attrs["input_length"] = length
    return df


def _local_field(name: str, length: int) -> tuple[int, str]:
    """(bp one position sees before positions are mixed, what mixes them) of a zoo model.

    A model without conv layers (an LSTM over the bases) is not traced:
    each step reads 1 bp and the recurrent layer mixes them.
    """
    with torch.device("meta"):
        model = build(name, length, 1)
    if not any(isinstance(m, nn.Conv1d) for m in model.modules()):
        rnn = [m for m in model.modules() if isinstance(m, nn.RNNBase)]
        return 1, f"recurrent ({type(rnn[0]).__name__})" if rnn else "-"
    rf = receptive_field_growth(name, length)
    local, glob = rf[rf["scope"] == "local"], rf[rf["scope"] == "global"]
    return (int(local["receptive_field"].iloc[-1]) if len(local) else 1,
            glob["kind"].iloc[0] if len(glob) else "-")


def long_range_results(root=None) -> pd.DataFrame:
    """Test metrics of the shipped long-range checkpoints, from their cards.

    Returns
    -------
    DataFrame, one row per checkpoint of :data:`LONG_RANGE`: ``checkpoint``,
    ``architecture``, ``local_receptive_field`` (bp one position sees before the
    model mixes all positions), ``mixes_positions_by``, ``available``, ``test``
    (headline, or "not available"), ``auroc``, ``auprc``.
    """
    root = Path(checkpoints.SHIPPED_ROOT if root is None else root)
    rows = []
    for name, architecture in LONG_RANGE.items():
        try:
            card = checkpoints.read_card(root / name)
        except RegvizError:  # missing or unreadable: shown as not available
            card = None
        local_rf, mixer = _local_field(architecture, 2000)
        test = card.test_metrics if card is not None else {}
        rows.append({"checkpoint": name, "architecture": architecture,
                     "local_receptive_field": local_rf, "mixes_positions_by": mixer,
                     "available": card is not None,
                     "test": card.headline() if card is not None else "not available",
                     "auroc": test.get("auroc_mean", np.nan),
                     "auprc": test.get("auprc_mean", np.nan)})
    return pd.DataFrame(rows)
