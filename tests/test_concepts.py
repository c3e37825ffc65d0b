"""Concepts lesson: every number the page shows, checked against torch or by hand."""

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from regviz import concepts, motifs, sequence
from regviz.errors import DataFormatError, ModelConfigError, MotifError, SequenceError
from regviz.plotting import figure_png

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ 1. PSSM scan = conv1d

def test_course_motif_ppm_is_the_slides_pwm_and_ic():
    m = concepts.motif_matrices(concepts.course_motif())
    slide = [[0, 0, 1, 0, 1, 0.5], [0.5, 0, 0, 0, 0, 0], [0.5, 1, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0.5]]
    np.testing.assert_array_equal(m["ppm"].to_numpy(), slide)
    np.testing.assert_allclose(m["ic"].to_numpy()[0], [1, 2, 2, 2, 2, 1])
    # PSSM with pseudocount 0.8 shared by the uniform background: 4 of 4 sites -> 4.2 / 4.8
    np.testing.assert_allclose(m["pssm"].loc["A", "3"], math.log2(4.2 / 4.8 / 0.25))
    np.testing.assert_allclose(m["pssm"].loc["C", "2"], math.log2(0.2 / 4.8 / 0.25))
    np.testing.assert_allclose(m["heights"].to_numpy().sum(axis=0), [1, 2, 2, 2, 2, 1])


def test_gc_background_changes_pssm_and_ic():
    m = concepts.motif_matrices(concepts.course_motif(), motifs.gc_background(0.6), 0.8)
    # A at position 3: (4 + 0.8 * 0.2) / 4.8 against background 0.2
    np.testing.assert_allclose(m["pssm"].loc["A", "3"], math.log2((4 + 0.16) / 4.8 / 0.2))
    # IC against the background: p = 1 on A (bg 0.2) gives log2(5) bits
    np.testing.assert_allclose(m["ic"].iloc[0, 2], math.log2(5))


def test_walkthrough_slide_kernel_on_slide_sequence():
    scores, pooled = concepts.pssm_walkthrough(concepts.COURSE_SEQUENCE, concepts.COURSE_SLIDE_PSSM,
                                               threshold=0.0, pool_size=2)
    # CGATAA = 0.5 + 3.7 + 3.7 + 3.7 + 3.7 + 0.6 ; CGATAT ends with T (0.5)
    assert scores["window"].tolist()[0] == "CGATAA" and len(scores) == 13 - 6 + 1
    np.testing.assert_allclose(scores["score"].iloc[[0, 7]], [15.9, 15.8])
    # GATAAC: G@1 0.5, A@2 -3.2, T@3 -3.2, A@4 -3.2, A@5 3.7, C@6 -5.7
    np.testing.assert_allclose(scores["score"].iloc[1], 0.5 - 3.2 - 3.2 - 3.2 + 3.7 - 5.7)
    np.testing.assert_array_equal(scores["relu"].to_numpy() > 0, scores["score"].to_numpy() > 0)
    np.testing.assert_allclose(pooled["max"], [15.9, 0, 0, 15.8])
    assert pooled["argmax_start"].tolist()[::3] == [1, 8]


@pytest.mark.parametrize("name", ["course", "GATA1", "CTCF"])
def test_pssm_scan_equals_conv1d(name):
    motif = concepts.course_motif() if name == "course" else motifs.jaspar(name)
    W = motif.pssm(motifs.gc_background(0.4), 0.5)
    seq = sequence.random_sequences(1, 60, seed=3)[0]
    seq = seq[:10] + "N" + seq[11:]
    scores, _ = concepts.pssm_walkthrough(seq, W, threshold=2.0, pool_size=3, pool_stride=2)
    # by hand (numpy float64), torch.nn.Conv1d (float64), regviz.motifs.pssm_scan (float32)
    assert scores.attrs["max_abs_diff"] < 1e-12
    np.testing.assert_allclose(scores["conv1d"], scores["score"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(scores["pssm_scan"], scores["score"], atol=1e-4)
    ref = F.conv1d(torch.from_numpy(sequence.one_hot(seq).astype(np.float64)),
                   torch.from_numpy(W)[None])[0, 0].numpy()
    np.testing.assert_allclose(scores["score"], ref, atol=1e-12)
    np.testing.assert_allclose(scores["relu"], np.maximum(0, ref - 2.0), atol=1e-12)
    np.testing.assert_allclose(concepts.conv1d_scores(seq, W, bias=-2.0), ref - 2.0, atol=1e-12)


def test_walkthrough_pooling_is_torch_maxpool():
    W = concepts.course_motif().pssm()
    seq = sequence.random_sequences(1, 41, seed=1)[0]
    scores, pooled = concepts.pssm_walkthrough(seq, W, threshold=-1.0, pool_size=4, pool_stride=3)
    relu = torch.tensor(scores["relu"].to_numpy())[None, None]
    np.testing.assert_allclose(pooled["max"], F.max_pool1d(relu, 4, 3)[0, 0].numpy())
    for r in pooled.itertuples():
        window = scores["relu"].iloc[r.from_start - 1:r.to_start]
        assert r.max == window.max() and r.to_start - r.from_start == 3


def test_walkthrough_bad_input_messages():
    with pytest.raises(MotifError, match="6 positions wide but the sequence is 4 bp"):
        concepts.pssm_walkthrough("ACGT", concepts.COURSE_SLIDE_PSSM)
    with pytest.raises(SequenceError, match="character 'Q' at position 3"):
        concepts.pssm_walkthrough("ACQTACGT", concepts.COURSE_SLIDE_PSSM)
    with pytest.raises(MotifError, match=r"shape \(4, w\)"):
        concepts.pssm_walkthrough("ACGTACGT", np.ones((3, 2)))


def test_window_terms_sum_to_the_score():
    W = concepts.COURSE_SLIDE_PSSM
    assert concepts.window_terms("CGATAA", W) == [0.5, 3.7, 3.7, 3.7, 3.7, 0.6]
    assert concepts.window_terms("NGATAA", W)[0] == pytest.approx(W[:, 0].mean())
    scores, _ = concepts.pssm_walkthrough("ACGNTAGGATAT", W)
    for r in scores.itertuples():
        assert sum(concepts.window_terms(r.window, W)) == pytest.approx(r.score)
    with pytest.raises(MotifError, match="window has 3 bases but the PSSM 6 columns"):
        concepts.window_terms("ACG", W)


def test_course_neuron_check():
    chk = concepts.course_neuron_check()
    assert chk["terms"] == [0.5, 3.7, 3.7, 3.7, 3.7]
    assert chk["z"] == pytest.approx(15.3)
    assert chk["sigmoid_of_slide_z"] == pytest.approx(1 / (1 + math.exp(-11.6)))


# ------------------------------------------------------------------ 2. output lengths

def _torch_len(fn):
    try:
        return fn().shape[-1]
    except RuntimeError:
        return None


def _ours(fn):
    try:
        return fn()
    except ModelConfigError:
        return None


def test_conv_output_length_matches_torch_for_many_settings():
    checked = 0
    for L, k, s, p, d in itertools.product([1, 2, 5, 13, 30], [1, 2, 3, 4, 7], [1, 2, 3],
                                           [0, 1, 3], [1, 2, 3]):
        x, w = torch.zeros(1, 1, L), torch.zeros(1, 1, k)
        want = _torch_len(lambda: F.conv1d(x, w, stride=s, padding=p, dilation=d))
        got = _ours(lambda: concepts.conv_output_length(L, k, s, p, d))
        assert got == want, (L, k, s, p, d)
        checked += want is not None
    assert checked > 500
    assert concepts.torch_output_lengths(13, 4, 2, 0, 1, 2, 1) == (5, 4)


def test_pool_output_length_matches_torch_for_many_settings():
    checked = 0
    for L, k, s, p, d, ceil in itertools.product([1, 4, 9, 20], [1, 2, 3, 5], [1, 2, 3],
                                                 [0, 1, 2], [1, 2], [False, True]):
        x = torch.zeros(1, 1, L)
        want = _torch_len(lambda: F.max_pool1d(x, k, s, p, d, ceil_mode=ceil))
        got = _ours(lambda: concepts.pool_output_length(L, k, s, p, d, ceil))
        assert got == want, (L, k, s, p, d, ceil)
        checked += want is not None
    assert checked > 250
    assert concepts.pool_output_length(10, 3) == 3   # stride defaults to the pool size


def test_output_length_errors():
    with pytest.raises(ModelConfigError, match="kernel spans 7 bp .* padded input is 5 bp"):
        concepts.conv_output_length(5, 4, dilation=2)
    with pytest.raises(ModelConfigError, match="stride must be an integer >= 1. Got 0 instead"):
        concepts.conv_output_length(5, 2, stride=0)
    with pytest.raises(ModelConfigError, match="padding must be at most half the pool size"):
        concepts.pool_output_length(10, 2, padding=2)


@pytest.mark.parametrize("L,k,s,p,d,pool,ps", [(13, 4, 2, 0, 1, 2, 1), (12, 3, 1, 1, 2, 3, 2),
                                               (20, 5, 3, 2, 1, None, None), (9, 2, 1, 0, 3, 2, 2),
                                               (12, 3, 1, 0, 1, 4, 4)])
def test_connectivity_matches_gradients(L, k, s, p, d, pool, ps):
    """Which inputs feed each output, brute force: the gradient of that output."""
    table = concepts.connectivity(L, k, s, p, d, pool, ps)
    x = torch.rand(1, 1, L, dtype=torch.float64, requires_grad=True)
    conv = F.conv1d(x, torch.ones(1, 1, k, dtype=torch.float64), stride=s, padding=p, dilation=d)
    out = {"conv": conv}
    if pool:  # average pooling routes gradient to every pooled position
        out["pool"] = F.avg_pool1d(conv, pool, ps)
    assert table.attrs["conv_length"] == conv.shape[-1]
    last = out["pool" if pool else "conv"][0, 0].sum()
    (g,) = torch.autograd.grad(last, x, retain_graph=True)
    assert table.attrs["unseen"] == (torch.nonzero(g[0, 0] == 0).flatten() + 1).tolist()
    for r in table.itertuples():
        (g,) = torch.autograd.grad(out[r.layer][0, 0, r.output - 1], x, retain_graph=True)
        assert r.inputs == (torch.nonzero(g[0, 0]).flatten() + 1).tolist()
        if r.layer == "conv":
            assert len(r.taps) == k and r.padding_taps == sum(t < 1 or t > L for t in r.taps)


# ------------------------------------------------------------------ 3. receptive field

@pytest.mark.parametrize("name", concepts.RF_MODELS)
def test_receptive_field_growth_follows_the_formula(name):
    from regviz.models import describe, registry

    t = concepts.receptive_field_growth(name)
    length = registry.get_entry(name).natural_length["class"]
    assert t.attrs["input_length"] == length
    local = t[t["scope"] == "local"]
    rf, jump = 1, 1
    for r in local.itertuples():   # r_out = r_in + (k - 1) * d * jump_in; jump *= stride
        rf += (r.kernel - 1) * r.dilation * jump
        jump *= r.stride
        assert (r.receptive_field, r.jump) == (rf, jump), r.layer
    assert t["scope"].iloc[-1] == "global" and t["receptive_field"].iloc[-1] <= length
    full = describe(name, length)
    assert int(full[full["scope"] == "local"]["receptive_field"].iloc[-1]) == rf


def test_receptive_field_known_values():
    db = concepts.receptive_field_growth("deepbind")
    assert db["receptive_field"].tolist() == [12, 101]
    bj = concepts.receptive_field_growth("basenji")
    dil = bj[bj["layer"].str.endswith("conv1")]["dilation"].tolist()
    assert dil == [1, 2, 4, 8, 16, 32]


def test_long_range_results_reads_cards(tmp_path):
    empty = concepts.long_range_results(tmp_path)
    assert list(empty["checkpoint"]) == list(concepts.LONG_RANGE)
    assert not empty["available"].any() and set(empty["test"]) == {"not available"}
    assert empty.set_index("architecture").loc["lstm", "local_receptive_field"] == 1
    assert empty.set_index("architecture").loc["cnn", "local_receptive_field"] < 1000
    assert empty.set_index("architecture").loc["basenji", "local_receptive_field"] > 2000
    folder = tmp_path / "long-range_basenji"
    folder.mkdir()
    (folder / "card.json").write_text(json.dumps({
        "schema_version": 1, "registry_name": "basenji", "config": {},
        "metrics": {"test": {"auroc_mean": 0.91, "auprc_mean": 0.88}}}))
    got = concepts.long_range_results(tmp_path).set_index("checkpoint")
    assert got.loc["long-range_basenji", "available"]
    assert got.loc["long-range_basenji", "auroc"] == 0.91
    assert got.loc["long-range_basenji", "test"] == "test AUROC 0.910, AUPRC 0.880"
    assert not got.loc["long-range_cnn", "available"]


# ------------------------------------------------------------------ 4. parameters

def test_dense_vs_conv_counts_equal_torch():
    t = concepts.dense_vs_conv(units=100, filters=64, kernel_2d=3, kernel_1d=19)
    known = t.dropna(subset=["torch"])
    assert (known["params"] == known["torch"].astype(int)).all() and len(known) == 4
    assert t["params"].tolist()[:4] == [224 * 224 * 3 * 100 + 100, 3 * 3 * 3 * 64 + 64,
                                        4000 * 100 + 100, 19 * 4 * 64 + 64]
    assert t["params"].iloc[4] == (1000 - 19 + 1) * (19 * 4 * 64 + 64)
    for units, filters, k in [(1, 1, 1), (7, 3, 5), (256, 128, 11)]:
        t = concepts.dense_vs_conv(units, filters, k, k, image=(32, 32, 3), seq_length=200)
        ok = t.dropna(subset=["torch"])
        assert (ok["params"] == ok["torch"].astype(int)).all()


def test_course_parameter_counts():
    t = concepts.course_parameter_counts()
    assert (t["computed"] == t["torch"]).all()
    printed = t[t["slide"].str.fullmatch(r"[\d,]+")]
    assert printed["slide"].str.replace(",", "").astype(int).tolist() == printed["computed"].tolist()
    assert set(printed["slide"]) == {"32", "15", "6"}
    by = t.set_index(["example", "quantity"])["computed"]
    assert by[("DeepBind K=12, 16 filters", "total (zoo model)")] == 801
    assert by[("1D conv K=5, C_i=192, C_o=48", "weights")] == 46080


def test_params_vs_length_conv_is_constant():
    t = concepts.params_vs_length([100, 1000, 10000], units=10, filters=8, kernel_1d=5)
    assert t["dense"].tolist() == [4010, 40010, 400010]
    assert t["conv"].nunique() == 1 and t["conv"].iloc[0] == 5 * 4 * 8 + 8


# ------------------------------------------------------------------ 5. k-mers

def test_kmer_table_of_the_slides_header():
    """The slides' 3-mer columns are the overlapping 3-mers of AGATCGAGTG."""
    t = concepts.kmer_counts(["AGATCGAGTG"], 3)
    header = ["AGA", "GAT", "ATC", "TCG", "CGA", "GAG", "AGT", "GTG"]
    assert sorted(t.columns) == sorted(header)
    assert t[header].iloc[0].tolist() == [1] * 8
    s = concepts.kmer_counts([concepts.COURSE_SEQUENCE, "ACGNACG"], 3, names=["slide", "n"])
    assert s.loc["slide"].sum() == 13 - 3 + 1
    assert s.loc["slide", ["CGA", "GAT", "ATA", "TAA", "TAT"]].tolist() == [2, 2, 2, 1, 1]
    assert s.loc["n"].sum() == 2          # windows holding N are skipped
    assert concepts.kmer_counts(["ACGT"], 2, observed_only=False).shape == (1, 16)


def test_kmer_table_equals_the_kmer_models_convolution():
    from regviz.models import build

    seqs = sequence.random_sequences(5, 40, seed=2)
    t = concepts.kmer_counts(seqs, 3, observed_only=False)
    model = build("kmer_logreg", 40, 1, k=3)
    with torch.no_grad():
        conv_counts = model.counts(torch.from_numpy(sequence.one_hot(seqs))).numpy()
    assert model.kmers == list(t.columns)
    np.testing.assert_array_equal(conv_counts, t.to_numpy())


def test_conv_view_is_the_best_window():
    W = concepts.course_motif().pssm()
    v = concepts.conv_view(["TTTTGGATAATTTT", "CGATAACCGATAT", "ACG"])
    assert v["best start"].tolist()[:2] == [5, 1] and v["best window"].iloc[0] == "GGATAA"
    assert v["max score"].iloc[0] == pytest.approx(sum(concepts.window_terms("GGATAA", W)))
    brute = max(sum(concepts.window_terms(concepts.COURSE_SEQUENCE[i:i + 6], W)) for i in range(8))
    assert v["max score"].iloc[1] == pytest.approx(brute, abs=1e-5)
    assert v["best window"].iloc[2] == "(too short)" and pd.isna(v["best start"].iloc[2])


def test_kmer_errors():
    with pytest.raises(DataFormatError, match="k must be an integer from 1 to 6. Got 0 instead"):
        concepts.kmer_counts(["ACGT"], 0)


def test_kmer_logistic_regression_vs_conv_filter():
    demo = concepts.kmer_vs_cnn(n=400, length=50, k=3, seed=0)
    m = demo["metrics"]["test AUROC"].tolist()
    assert m[1] > 0.95 and m[1] > m[0] > 0.6
    assert {"GAT", "ATA"} & set(demo["coefficients"]["kmer"].head(3))
    assert demo["n_features"] == 64


# ------------------------------------------------------------------ 6. backprop

@pytest.mark.parametrize("a,b", [(2.0, 1.0), (-1.5, 3.0), (0.0, -1.0), (4.0, 0.25)])
def test_backprop_equals_torch_autograd(a, b):
    ex = concepts.backprop_example(a, b)
    rev = ex["reverse"].set_index("node")["de / d node"]
    tb = concepts.torch_backprop(a, b)
    for n in "abcd":
        assert rev[n] == pytest.approx(tb[n])
    # reference by hand: de/da = b + 1, de/db = (b + 1) + (a + b)
    assert rev["a"] == pytest.approx(b + 1) and rev["b"] == pytest.approx(a + 2 * b + 1)
    # forward mode gives the same input derivatives as reverse mode and as torch's jvp
    fwd = ex["forward"].set_index("node")
    f = lambda x, y: (x + y) * (y + 1)  # noqa: E731
    one, zero = torch.tensor(1.0, dtype=torch.float64), torch.tensor(0.0, dtype=torch.float64)
    ta, tb_ = torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)
    jvp_a = torch.func.jvp(f, (ta, tb_), (one, zero))[1].item()
    jvp_b = torch.func.jvp(f, (ta, tb_), (zero, one))[1].item()
    assert fwd.loc["e", "d node / da"] == pytest.approx(jvp_a)
    assert fwd.loc["e", "d node / db"] == pytest.approx(jvp_b)
    # sum over paths
    paths = ex["paths"].groupby("input")["product"].sum()
    assert paths["a"] == pytest.approx(rev["a"]) and paths["b"] == pytest.approx(rev["b"])
    assert ex["nodes"].set_index("node").loc["e", "value"] == pytest.approx(tb["value"])


def test_backprop_course_numbers():
    ex = concepts.backprop_example()
    assert ex["nodes"]["value"].tolist() == [2, 1, 3, 2, 6]
    b_paths = ex["paths"][ex["paths"]["input"] == "b"]
    assert b_paths["edge derivatives"].tolist() == ["1 * 2", "1 * 3"]   # the slide: 1*2 + 1*3


# ------------------------------------------------------------------ figures and page

def test_figures_build():
    from regviz.plotting import concepts as P

    mats = concepts.motif_matrices(concepts.course_motif())
    assert figure_png(P.matrix_logos_figure(mats, "course"), dpi=40)[:4] == b"\x89PNG"
    scores, pooled = concepts.pssm_walkthrough(concepts.COURSE_SEQUENCE, concepts.COURSE_SLIDE_PSSM)
    assert len(P.score_track_figure(scores, pooled).data) == 3
    fig = P.connectivity_figure(concepts.connectivity(13, 4, 2, 1, 1, 2, 1), 13, 1, highlight=2)
    assert len(fig.data[-3].x) == 15   # input bp + 2 padding cells
    g = P.graph_figure(concepts.backprop_example(), "forward b")
    assert any("de/db = 5" in t for t in g.data[0].text)
    with pytest.raises(ValueError, match="mode must be"):
        P.graph_figure(concepts.backprop_example(), "sideways")


