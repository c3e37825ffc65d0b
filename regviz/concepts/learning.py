"""Concepts for teaching: parameters, bag of k-mers vs convolution, backpropagation.

Seed
``002_b6e8b9ce1e6abb9e`` gives the worked examples (the 3-4-4-1 dense net's 32
weights, the 3-mer table, ``e = (a + b) * (b + 1)``), seed ``003_9ef29ba349e500c7``
the 1D-conv and DeepBind counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from torch import nn

from regviz import motifs, sequence
from regviz.concepts.convolution import (COURSE_SEQUENCE, conv_output_length, course_motif,
                                         pool_output_length)
from regviz.errors import DataFormatError
from regviz.models import build
from regviz.models.kmer import all_kmers

# ------------------------------------------------------------------ 4. parameters

def dense_params(n_in: int, n_out: int, bias: bool = True) -> int:
    """Parameters of a dense layer: ``n_in * n_out`` weights (+ ``n_out`` biases)."""
    return int(n_in) * int(n_out) + (int(n_out) if bias else 0)


def conv_params(in_channels: int, out_channels: int, kernel_size, bias: bool = True) -> int:
    """Parameters of a conv layer: ``prod(kernel) * C_in * C_out`` weights (+ ``C_out``
    biases, one per filter); independent of the input length (parameter sharing)."""
    k = int(np.prod(kernel_size))
    return k * int(in_channels) * int(out_channels) + (int(out_channels) if bias else 0)


def torch_params(module: nn.Module) -> int:
    """Number of parameters torch counts in a module."""
    return sum(p.numel() for p in module.parameters())


def dense_vs_conv(units: int = 100, filters: int = 64, kernel_2d: int = 3, kernel_1d: int = 19,
                  image=(224, 224, 3), seq_length: int = 1000) -> pd.DataFrame:
    """One dense layer vs one conv layer on a 224x224x3 image and a one-hot sequence.

    Returns
    -------
    DataFrame: ``input``, ``layer``, ``formula``, ``params`` (by formula), ``torch``
    (torch's count of the real layer, built on the meta device so no memory is used;
    NA for the locally connected layer, which torch has no module for).
    """

    h, w, c = image
    n_img, n_seq = h * w * c, 4 * seq_length
    positions = conv_output_length(seq_length, kernel_1d)
    with torch.device("meta"):
        layers = [nn.Linear(n_img, units), nn.Conv2d(c, filters, kernel_2d),
                  nn.Linear(n_seq, units), nn.Conv1d(4, filters, kernel_1d), None]
    per = conv_params(4, filters, kernel_1d)
    rows = [
        (f"image {h}x{w}x{c}", f"dense, {units} units",
         f"{h}*{w}*{c}*{units} + {units}", dense_params(n_img, units)),
        (f"image {h}x{w}x{c}", f"conv2d, {filters} filters {kernel_2d}x{kernel_2d}",
         f"{kernel_2d}*{kernel_2d}*{c}*{filters} + {filters}",
         conv_params(c, filters, (kernel_2d, kernel_2d))),
        (f"DNA {seq_length:,} bp one-hot", f"dense, {units} units",
         f"{seq_length}*4*{units} + {units}", dense_params(n_seq, units)),
        (f"DNA {seq_length:,} bp one-hot", f"conv1d, {filters} filters of {kernel_1d} bp",
         f"{kernel_1d}*4*{filters} + {filters}", per),
        (f"DNA {seq_length:,} bp one-hot", f"locally connected (no sharing), {filters} x "
         f"{positions} positions", f"{positions}*({kernel_1d}*4*{filters} + {filters})",
         positions * per),
    ]
    out = pd.DataFrame([{"input": i, "layer": lay, "formula": f, "params": p,
                         "torch": torch_params(m) if m is not None else pd.NA}
                        for (i, lay, f, p), m in zip(rows, layers)])
    return out.astype({"torch": "Int64"})


def params_vs_length(lengths, units: int = 100, filters: int = 64,
                     kernel_1d: int = 19) -> pd.DataFrame:
    """Parameters of a dense and a conv layer on one-hot DNA of each length."""
    lengths = [int(x) for x in lengths]
    return pd.DataFrame({"length": lengths,
                         "dense": [dense_params(4 * x, units) for x in lengths],
                         "conv": [conv_params(4, filters, kernel_1d)] * len(lengths)})


def course_parameter_counts() -> pd.DataFrame:
    """The seeds' worked parameter counts beside ours and torch's.

    Returns
    -------
    DataFrame: ``example``, ``quantity``, ``formula``, ``slide`` (as printed, or "-"),
    ``computed``, ``torch`` (torch's count of the same layers, or its output size).
    """

    mlp = lambda bias: nn.Sequential(nn.Linear(3, 4, bias), nn.Linear(4, 4, bias),  # noqa: E731
                                     nn.Linear(4, 1, bias))
    x13 = torch.zeros(1, 4, len(COURSE_SEQUENCE))
    c1, c2 = nn.Conv1d(4, 3, 4, stride=2), nn.Conv1d(3, 2, 3)
    y1 = c1(x13)
    y2 = c2(y1)
    y3 = nn.MaxPool1d(2, 1)(y2)
    deepbind = build("deepbind", 101, 1)
    rows = [
        ("dense net 3-4-4-1", "weights", "3*4 + 4*4 + 4*1", "32", 32, torch_params(mlp(False))),
        ("dense net 3-4-4-1", "weights + biases", "32 + 4 + 4 + 1", "-", 41,
         torch_params(mlp(True))),
        ("1D conv K=5, C_i=192, C_o=48", "weights", "5*192*48", "46,080 (operations per position)",
         5 * 192 * 48, torch_params(nn.Conv1d(192, 48, 5, bias=False))),
        ("1D conv K=5, C_i=192, C_o=48", "weights + biases", "5*192*48 + 48", "-",
         conv_params(192, 48, 5), torch_params(nn.Conv1d(192, 48, 5))),
        ("DeepBind K=12, 16 filters", "conv", "12*4*16 + 16", "-", conv_params(4, 16, 12),
         torch_params(deepbind.get_submodule("conv"))),
        ("DeepBind K=12, 16 filters", "dense 16 -> 1", "16 + 1", "-", dense_params(16, 1),
         torch_params(deepbind.get_submodule("out"))),
        ("DeepBind K=12, 16 filters", "total (zoo model)", "784 + 17", "-", 801,
         torch_params(deepbind)),
        ("course CNN on 13 bp", "conv 1 (K=4, stride 2, 3 filters): neurons",
         "3 * (floor((13-4)/2)+1)", "15", 3 * conv_output_length(13, 4, 2), y1[0].numel()),
        ("course CNN on 13 bp", "conv 1: parameters", "4*4*3 + 3", "-", conv_params(4, 3, 4),
         torch_params(c1)),
        ("course CNN on 13 bp", "conv 2 (K=3, 2 filters): neurons", "2 * (5-3+1)", "6",
         2 * conv_output_length(5, 3), y2[0].numel()),
        ("course CNN on 13 bp", "conv 2: parameters", "3*3*2 + 2", "-", conv_params(3, 2, 3),
         torch_params(c2)),
        ("course CNN on 13 bp", "max pool (width 2, stride 1): neurons", "2 * (3-2+1)", "-",
         2 * pool_output_length(3, 2, 1), y3[0].numel()),
    ]
    return pd.DataFrame(rows, columns=["example", "quantity", "formula", "slide", "computed",
                                       "torch"])


# ------------------------------------------------------------------ 5. bag of k-mers

def kmer_counts(seqs, k: int = 3, names=None, observed_only: bool = True) -> pd.DataFrame:
    """k-mer count table (bag of words): one row per sequence, one column per k-mer.

    Windows holding N are skipped. Columns are in AAA, AAC, ... order; with
    ``observed_only`` only k-mers seen in some sequence are kept.
    """

    if isinstance(k, bool) or int(k) != k or not 1 <= k <= 6:
        raise DataFormatError(f"k must be an integer from 1 to 6. Got {k!r} instead.")
    seqs = [sequence.clean_sequence(s, f"sequence {i + 1}") for i, s in enumerate(seqs)]
    names = [f"seq{i + 1}" for i in range(len(seqs))] if names is None else list(names)
    columns = all_kmers(k)
    col = {km: j for j, km in enumerate(columns)}
    counts = np.zeros((len(seqs), len(columns)), dtype=np.int64)
    for r, s in enumerate(seqs):
        for i in range(len(s) - k + 1):
            j = col.get(s[i:i + k])  # None for windows holding N
            if j is not None:
                counts[r, j] += 1
    table = pd.DataFrame(counts, index=names, columns=columns)
    if observed_only:
        table = table.loc[:, table.sum(axis=0) > 0]
    table.index.name = "sequence"
    return table


def conv_view(seqs, motif: motifs.Motif | None = None, names=None) -> pd.DataFrame:
    """What one conv filter + global max pooling sees in each sequence: its best window.

    The filter is the motif's PSSM (default :func:`regviz.concepts.course_motif`,
    uniform background), forward strand. Sequences may differ in length.

    Returns
    -------
    DataFrame: ``sequence`` (name), ``best start`` (1-based), ``best window``,
    ``max score`` (bits); NA for sequences shorter than the motif.
    """

    motif = course_motif() if motif is None else motif
    W = motif.pssm()
    seqs = [sequence.clean_sequence(s, f"sequence {i + 1}") for i, s in enumerate(seqs)]
    names = [f"seq{i + 1}" for i in range(len(seqs))] if names is None else list(names)
    rows = []
    for name, s in zip(names, seqs):
        if len(s) < motif.width:
            rows.append({"sequence": name, "best start": pd.NA, "best window": "(too short)",
                         "max score": np.nan})
            continue
        sc = motifs.pssm_scan([s], W, both_strands=False)[0]
        i = int(sc.argmax())
        rows.append({"sequence": name, "best start": i + 1, "best window": s[i:i + motif.width],
                     "max score": float(sc[i])})
    return pd.DataFrame(rows).astype({"best start": "Int64"})


def kmer_vs_cnn(n: int = 800, length: int = 50, k: int = 3, seed: int = 0,
                motif: motifs.Motif | None = None) -> dict:
    """Bag of k-mers + logistic regression beside one conv filter + global max pool.

    Half the sequences (uniform random background) get one site sampled from the
    motif (default :func:`regviz.concepts.course_motif`) at a random place; half of each class is
    held out. The k-mer model is sklearn's LogisticRegression on k-mer counts; the
    "CNN" is one conv filter equal to the motif's PSSM followed by global max pooling
    (no training: the filter *is* the motif).

    Returns
    -------
    dict: ``metrics`` (model, test accuracy, test AUROC), ``coefficients`` (k-mer,
    weight; largest first), ``examples`` (first test sequences: label, sequence,
    k-mer model probability, max filter score), ``n_features``.
    """

    motif = course_motif() if motif is None else motif
    rng = np.random.default_rng(seed)
    seqs = sequence.random_sequences(n, length, 0.5, seed=rng)
    y = (np.arange(n) % 2).astype(int)
    sites = motifs.sample_instances(motif, int(y.sum()), seed=rng)
    for i, site in zip(np.flatnonzero(y), sites):
        p = int(rng.integers(0, length - len(site) + 1))
        seqs[i] = seqs[i][:p] + site + seqs[i][p + len(site):]
    X = kmer_counts(seqs, k, observed_only=False)
    test = np.arange(n) >= n // 2
    lr = LogisticRegression(max_iter=2000).fit(X.values[~test], y[~test])
    prob = lr.predict_proba(X.values[test])[:, 1]
    score = motifs.pssm_scan(seqs, motif.pssm(), both_strands=False).max(axis=1)
    head = LogisticRegression().fit(score[~test, None], y[~test])
    cnn_prob = head.predict_proba(score[test, None])[:, 1]
    metrics = pd.DataFrame([
        {"model": f"bag of {k}-mers + logistic regression ({4 ** k + 1} parameters trained)",
         "test accuracy": accuracy_score(y[test], prob > 0.5),
         "test AUROC": roc_auc_score(y[test], prob)},
        {"model": "1 conv filter = the motif's PSSM (fixed) + global max pool + logistic "
                  "output (2 parameters trained)",
         "test accuracy": accuracy_score(y[test], cnn_prob > 0.5),
         "test AUROC": roc_auc_score(y[test], cnn_prob)}])
    coef = pd.DataFrame({"kmer": X.columns, "weight": lr.coef_[0]}).sort_values(
        "weight", ascending=False, ignore_index=True)
    idx = np.flatnonzero(test)[:8]
    examples = pd.DataFrame({"label": y[idx], "sequence": [seqs[i] for i in idx],
                             "k-mer model P(positive)": prob[:8], "max filter score": score[idx]})
    return {"metrics": metrics, "coefficients": coef, "examples": examples,
            "n_features": X.shape[1]}


# ------------------------------------------------------------------ 6. backpropagation

#: e = (a + b) * (b + 1) as nodes: name -> (expression, parents, value, local derivatives)
GRAPH_NODES = ("a", "b", "c", "d", "e")


def _graph(a: float, b: float):
    v = {"a": a, "b": b}
    v["c"] = v["a"] + v["b"]
    v["d"] = v["b"] + 1
    v["e"] = v["c"] * v["d"]
    # (parent, child, expression of d child / d parent, value)
    edges = [("a", "c", "1", 1.0), ("b", "c", "1", 1.0), ("b", "d", "1", 1.0),
             ("c", "e", "d", v["d"]), ("d", "e", "c", v["c"])]
    return v, edges


def backprop_example(a: float = 2.0, b: float = 1.0) -> dict:
    """Forward values and derivatives of ``e = (a + b) * (b + 1)`` on its graph.

    Nodes: ``c = a + b``, ``d = b + 1``, ``e = c * d``. Forward mode pushes
    ``d node / d x`` from one input x up the graph (one pass per input); reverse
    mode (backpropagation) pulls ``d e / d node`` down from e (one pass for all
    nodes). Both sum over paths, multiplying edge derivatives. The course's
    numbers are a = 2, b = 1: e = 6, de/da = 2, de/db = 1*2 + 1*3 = 5.

    Returns
    -------
    dict of DataFrames: ``nodes`` (node, expression, value), ``edges`` (from, to,
    local derivative and its value), ``forward`` (node, d/da, d/db), ``reverse``
    (node, de/dnode), ``paths`` (input, path, product of edge derivatives).
    """
    v, edges = _graph(float(a), float(b))
    expr = {"a": "input", "b": "input", "c": "a + b", "d": "b + 1", "e": "c * d"}
    nodes = pd.DataFrame({"node": list(GRAPH_NODES), "expression": [expr[n] for n in GRAPH_NODES],
                          "value": [v[n] for n in GRAPH_NODES]})
    fwd = {}
    for x in ("a", "b"):
        dot = {n: 0.0 for n in GRAPH_NODES}
        dot[x] = 1.0
        for n in GRAPH_NODES[2:]:  # topological order
            dot[n] = sum(val * dot[p] for p, c, _, val in edges if c == n)
        fwd[x] = dot
    bar = {n: 0.0 for n in GRAPH_NODES}
    bar["e"] = 1.0
    for n in reversed(GRAPH_NODES[:-1]):
        bar[n] = sum(val * bar[c] for p, c, _, val in edges if p == n)
    paths = []
    for x in ("a", "b"):
        for p, c, _, val in edges:
            if p == x:
                for p2, c2, _, val2 in edges:
                    if p2 == c and c2 == "e":
                        paths.append({"input": x, "path": f"{x} -> {c} -> e",
                                      "edge derivatives": f"{val:g} * {val2:g}",
                                      "product": val * val2})
    return {"nodes": nodes,
            "edges": pd.DataFrame([{"from": p, "to": c, "d to / d from": e, "value": val}
                                   for p, c, e, val in edges]),
            "forward": pd.DataFrame({"node": list(GRAPH_NODES),
                                     "d node / da": [fwd["a"][n] for n in GRAPH_NODES],
                                     "d node / db": [fwd["b"][n] for n in GRAPH_NODES]}),
            "reverse": pd.DataFrame({"node": list(GRAPH_NODES),
                                     "de / d node": [bar[n] for n in GRAPH_NODES]}),
            "paths": pd.DataFrame(paths)}


def torch_backprop(a: float = 2.0, b: float = 1.0) -> dict:
    """``de/dnode`` for a, b, c, d from ``torch.autograd`` (float64), and e."""
    ta = torch.tensor(float(a), dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(float(b), dtype=torch.float64, requires_grad=True)
    c = ta + tb
    d = tb + 1
    c.retain_grad()
    d.retain_grad()
    e = c * d
    e.backward()
    return {"a": ta.grad.item(), "b": tb.grad.item(), "c": c.grad.item(), "d": d.grad.item(),
            "e": 1.0, "value": e.item()}
