"""In-silico motif experiments: exact terms on hand-built models, planted grammar recovered."""

import threading

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from regviz import checkpoints, sequence, simulate, spacing
from regviz.errors import ExperimentError, MotifError
from regviz.motifs import jaspar, sample_instances
from regviz.plotting import spacing as spacing_plots
from regviz.simulate import engine as G
from regviz.simulate import rules
from support import shipped_checkpoint

SITE_A, SITE_B = "GATTACAGGC", "CCTTGAACGT"
W_A = {"+": 0.8, "-": 0.5}
W_B = 0.6


def _matches(x, site):
    """(n, positions) exact matches of ``site`` on the + and - strand."""
    w = torch.from_numpy(sequence.one_hot(site))
    rc = w.flip(dims=(-2, -1))
    plus = torch.nn.functional.conv1d(x, w)[:, 0] > len(site) - 0.5
    minus = torch.nn.functional.conv1d(x, rc)[:, 0] > len(site) - 0.5
    return plus, minus


def pair_term(gap, same_strand):
    """The hand model's pair term; gap in bp, canonical orientation same/opposite strands."""
    return 2.0 * np.exp(-np.asarray(gap) / 15.0) * np.where(same_strand, 1.0, 0.25) \
        + 0.5 * (np.asarray(gap) <= 5)


class HandModel(nn.Module):
    """out0 = c + sum over A sites of W_A[strand] + W_B * (B sites) + pair_term(first A,
    first B); out1 = 3 + 0.1 * (A sites). Exact, from the one-hot input."""

    def __init__(self, intercept=1.0):
        super().__init__()
        self.c = nn.Parameter(torch.tensor(float(intercept)))

    def forward(self, x):
        ap, am = _matches(x, SITE_A)
        bp, bm = _matches(x, SITE_B)
        out0 = self.c + W_A["+"] * ap.sum(1) + W_A["-"] * am.sum(1) + W_B * (bp | bm).sum(1)
        has = (ap | am).any(1) & (bp | bm).any(1)
        pa = (ap | am).float().argmax(1)
        pb = (bp | bm).float().argmax(1)
        gap = torch.where(pb > pa, pb - pa - len(SITE_A), pa - pb - len(SITE_B))
        sa = ap[torch.arange(len(x)), pa]
        sb = bp[torch.arange(len(x)), pb]
        term = torch.from_numpy(pair_term(gap.numpy(), (sa == sb).numpy())).float()
        out0 = out0 + torch.where(has, term, torch.zeros_like(term))
        return torch.stack([out0, 3 + 0.1 * (ap | am).sum(1).float()], 1)


@pytest.fixture(scope="module")
def backgrounds():
    return sequence.random_sequences(7, 120, 0.45, seed=3)


def test_hand_model_gives_back_its_exact_pair_term(backgrounds):
    df = spacing.spacing_experiment(HandModel(), SITE_A, SITE_B, backgrounds,
                                    distances=[0, 1, 4, 6, 17, 40], target=0)
    assert len(df) == 2 * 6 * 4 and set(df["side"]) == {"left", "right"}
    same = df["orientation"].isin(["++", "--"])  # same strand reads the same from either side
    expected = pair_term(df["distance"], same)
    np.testing.assert_allclose(df["median"], expected, atol=1e-5)
    np.testing.assert_allclose(df["ci_low"], expected, atol=1e-5)  # identical in every bg
    np.testing.assert_allclose(df["mean"], expected, atol=1e-5)
    wa = df["orientation"].str[0].map(W_A)
    np.testing.assert_allclose(df["joint_median"], wa + W_B + expected, atol=1e-5)
    np.testing.assert_allclose(df["a_alone"], wa, atol=1e-5)
    right = df[df.side == "right"]
    np.testing.assert_allclose(right["center_offset"], right["distance"] + 10)
    assert df["planted"].isna().all() and df.attrs["convention"] == "deepstarr"


def test_ratio_conventions_match_their_formulas(backgrounds):
    kw = dict(distances=[2, 30], orientations=["++", "-+"], sides=["right"])
    bp = spacing.spacing_experiment(HandModel(), SITE_A, SITE_B, backgrounds,
                                    convention="bpnet", **kw)
    lf = spacing.spacing_experiment(HandModel(), SITE_A, SITE_B, backgrounds,
                                    convention="log2fc", **kw)
    f = pair_term(bp["distance"], bp["orientation"] == "++")
    a = 1 + bp["orientation"].str[0].map(W_A)
    np.testing.assert_allclose(bp["median"], (a + W_B + f - 1 - W_B + 1) / a, rtol=1e-5)
    np.testing.assert_allclose(lf["median"], np.log2(a + W_B + f) - np.log2(a)
                               - np.log2(1 + W_B), atol=1e-5)
    assert bp.attrs["no_effect"] == 1.0
    with pytest.raises(ExperimentError, match="must be > 0; this model predicted values down"):
        spacing.spacing_experiment(HandModel(-5.0), SITE_A, SITE_B, backgrounds,
                                   convention="bpnet", **kw)


def test_target_batching_progress_and_cancel(backgrounds):
    kw = dict(distances=range(0, 20, 3), orientations=["+-"])
    other = spacing.spacing_experiment(HandModel(), SITE_A, SITE_B, backgrounds, target=1, **kw)
    np.testing.assert_allclose(other["median"], 0.0, atol=1e-5)  # out1 has no pair term
    seen = []
    a = spacing.spacing_experiment(HandModel(), SITE_A, SITE_B, backgrounds, batch_size=5,
                                   progress=lambda d, t: seen.append((d, t)), **kw)
    b = spacing.spacing_experiment(HandModel(), SITE_A, SITE_B, backgrounds, batch_size=4096,
                                   **kw)
    pd.testing.assert_frame_equal(a, b)
    assert seen[-1][0] == seen[-1][1] and [d for d, _ in seen] == sorted(d for d, _ in seen)
    stop = threading.Event()
    stop.set()
    with pytest.raises(spacing.ExperimentCancelled):
        spacing.spacing_experiment(HandModel(), SITE_A, SITE_B, backgrounds, cancel=stop, **kw)


def test_bad_inputs_are_explained(backgrounds):
    with pytest.raises(ExperimentError, match="convention must be one of deepstarr, bpnet"):
        spacing.spacing_experiment(HandModel(), SITE_A, SITE_B, backgrounds, convention="x")
    with pytest.raises(ExperimentError, match="fits up to a gap of 45 bp"):
        spacing.spacing_experiment(HandModel(), SITE_A, SITE_B, backgrounds, distances=[90])
    with pytest.raises(ExperimentError, match="orientations must be among"):
        spacing.spacing_experiment(HandModel(), SITE_A, SITE_B, backgrounds,
                                   orientations=["+"])
    with pytest.raises(ExperimentError, match="target must be an output index from 0 to 1"):
        spacing.spacing_experiment(HandModel(), SITE_A, SITE_B, backgrounds, target=2)
    df = spacing.spacing_experiment(HandModel(), SITE_A, SITE_B, backgrounds, [0, 45, 46])
    assert ("right", 46) in df.attrs["skipped"] and 46 not in set(df["distance"])
    with pytest.raises(MotifError, match="negative weights"):
        spacing.insert_motif(np.array([[1.0, -1], [0, 0], [0, 2], [0, 0]]), how="sample")


def test_single_motif_experiments_are_exact(backgrounds):
    m = spacing.marginalize(HandModel(), SITE_A, backgrounds, positions=[0, 33, 110],
                            strands=("+", "-"))
    np.testing.assert_allclose(m["median"], [0.8] * 3 + [0.5] * 3, atol=1e-5)
    cn = spacing.copy_number(HandModel(), SITE_A, backgrounds, max_copies=4, gap=3)
    np.testing.assert_allclose(cn["median"], 0.8 * np.arange(1, 5), atol=1e-5)
    np.testing.assert_allclose(cn["additive"], cn["median"], atol=1e-5)
    o = spacing.orientation_effect(HandModel(), SITE_A, backgrounds)
    assert o["strand"].tolist() == ["+", "-", "+ minus -"]
    np.testing.assert_allclose(o["median"], [0.8, 0.5, 0.3], atol=1e-5)
    with pytest.raises(ExperimentError, match="need 127 bp; the sequences have 120"):
        spacing.copy_number(HandModel(), SITE_A, backgrounds, max_copies=10, gap=3)


def test_motif_and_background_sources():
    assert spacing.insert_motif("gata").site == "GATA"  # pure bases: a custom site
    ap1 = spacing.insert_motif("MA0099.4")
    assert ap1.jaspar_id == "MA0099.4" and ap1.site == jaspar("MA0099.4").consensus
    s1 = spacing.insert_motif("MA0099.4", how="sample", seed=4)
    assert s1 == spacing.insert_motif("MA0099.4", how="sample", seed=4)
    pwm = np.array([[2.0, -1, 0], [0, 3, 0], [-1, 0, 0], [0, 0, 5]])
    assert spacing.insert_motif(pwm).site == "ACT"
    seqs = sequence.random_sequences(30, 80, 0.4, seed=1)
    y = np.arange(30)[::-1].astype(float)
    assert spacing.make_backgrounds(seqs, 3, "lowest", y=y) == seqs[-3:][::-1]
    sh = spacing.make_backgrounds(seqs, 5, "shuffle", seed=2)
    assert sh == spacing.make_backgrounds(seqs, 5, "shuffle", seed=2) and len(sh[0]) == 80
    rnd = spacing.make_backgrounds(seqs, 20, "random", seed=2)
    assert abs(np.mean([sequence.gc_content(s) for s in rnd]) - 0.4) < 0.05
    with pytest.raises(ExperimentError, match="kind must be 'shuffle', 'random' or 'lowest'"):
        spacing.make_backgrounds(seqs, 3, "flat")


class GrammarOracle(nn.Module):
    """Evaluates an activity grammar exactly on the consensus sites it finds (both strands):
    the model a perfect learner of `regviz.simulate` would be, for consensus insertions."""

    def __init__(self, grammar):
        super().__init__()
        self.g = grammar
        self.sites = [spacing.insert_motif(m["id"]).site for m in grammar["motifs"].values()]
        self.widths = np.array([len(s) for s in self.sites])
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        found = []
        for k, site in enumerate(self.sites):
            plus, minus = _matches(x, site)
            both = plus | minus
            for i, j in zip(*np.nonzero(both.numpy())):
                found.append((i, k, j, 1 if plus[i, j] else -1))
        n = len(x)
        K = max([sum(1 for f in found if f[0] == i) for i in range(n)] + [1])
        inst = G.empty_instances(n, K, self.widths)
        fill = np.zeros(n, int)
        for i, k, j, s in found:
            inst.motif[i, fill[i]], inst.start[i, fill[i]], inst.strand[i, fill[i]] = k, j, s
            fill[i] += 1
        return torch.from_numpy(rules.activity(self.g, inst)).float()


def test_planted_column_matches_an_exact_grammar_model():
    grammar = simulate.make_dataset("enhancer-activity", 10, seed=0).grammar
    oracle = GrammarOracle(grammar)
    bgs = [s for s in sequence.random_sequences(40, 249, 0.42, seed=5)
           if not oracle(torch.from_numpy(sequence.one_hot(s))).abs().sum()][:3]
    for pair in grammar["pairs"]:
        ids = grammar["motifs"][pair["a"]]["id"], grammar["motifs"][pair["b"]]["id"]
        t = list(grammar["outputs"]).index(pair["output"])
        df = spacing.spacing_experiment(oracle, *ids, bgs, [0, 4, 12, 25, 60], target=t,
                                        grammar=grammar)
        np.testing.assert_allclose(df["median"], df["planted"], atol=1e-5, err_msg=pair["name"])
        # swapping A and B leaves the truth where it was
        swapped = spacing.spacing_experiment(oracle, ids[1], ids[0], bgs, [4, 25], target=t,
                                             grammar=grammar)
        np.testing.assert_allclose(swapped["median"], swapped["planted"], atol=1e-5)


@pytest.mark.parametrize("kind, mode, phased", [
    ("additive", "additive", False), ("decaying", "decaying", False),
    ("close", "close-range", False), ("close-phased", "close-range", True),
    ("orientation", "orientation-dependent", False)])
def test_infer_mode_reads_each_planted_kind(kind, mode, phased):
    grammar = simulate.make_dataset("enhancer-activity", 10, seed=0).grammar
    oracle = GrammarOracle(grammar)
    pair = next(p for p in grammar["pairs"] if p["kind"] == kind)
    ids = grammar["motifs"][pair["a"]]["id"], grammar["motifs"][pair["b"]]["id"]
    t = list(grammar["outputs"]).index(pair["output"])
    df = spacing.spacing_experiment(oracle, *ids, ["ACGT" * 62 + "A"], range(0, 101),
                                    target=t, sides=["right"], grammar=grammar)
    got = spacing.infer_mode(df)
    assert (got["mode"], got["phased"]) == (mode, phased), got["text"]
    if kind == "orientation":
        assert "strongest in ++, under a third as strong in +-, -+" in got["text"]


# ---------------------------------------------------------------- the shipped model

@pytest.fixture(scope="module")
def shipped_curves():
    torch.set_num_threads(2)
    model, card = checkpoints.load(shipped_checkpoint("enhancer-activity_deepstarr"))
    ds = checkpoints.dataset_from_card(card)
    grammar = ds.grammar
    bgs = spacing.make_backgrounds([ds.seqs[i] for i in ds.splits["test"]], 12, "shuffle", 0)
    out = {}
    for pair in grammar["pairs"]:
        ids = [grammar["motifs"][pair[k]]["id"] for k in ("a", "b")]
        t = list(grammar["outputs"]).index(pair["output"])
        out[pair["name"]] = (pair, spacing.spacing_experiment(
            model, *ids, bgs, range(0, 101, 2), target=t, grammar=grammar))
    return out


def test_shipped_model_recovers_every_planted_cooperativity_curve(shipped_curves):
    r = {name: np.corrcoef(df["median"], df["planted"])[0, 1]
         for name, (pair, df) in shipped_curves.items() if pair["strength"] > 0}
    print("Pearson(recovered, planted):", {k: round(v, 3) for k, v in r.items()})
    assert len(r) == 4 and min(r.values()) >= 0.8, r


def test_shipped_model_keeps_additive_pairs_additive(shipped_curves):
    cover = {name: float(((df.ci_low <= 0) & (df.ci_high >= 0)).mean())
             for name, (pair, df) in shipped_curves.items() if pair["kind"] == "additive"}
    print("fraction of designs whose 95% interval covers 0:", cover)
    assert len(cover) == 2 and min(cover.values()) > 0.5, cover


def test_spacing_figure_draws_bands_and_planted_truth():
    grammar = simulate.make_dataset("enhancer-activity", 10, seed=0).grammar
    oracle = GrammarOracle(grammar)
    df = spacing.spacing_experiment(oracle, "MA2283.1", "MA0249.3", ["ACGT" * 62 + "A"],
                                    range(0, 30, 5), ["++", "-+"], grammar=grammar)
    fig = spacing_plots.spacing_figure(df)
    dashed = [t for t in fig.data if t.line.dash == "dash"]
    assert len(dashed) == 4 and len([t for t in fig.data if t.fill == "toself"]) == 4
    assert "deepstarr" in fig.layout.title.text


def test_filter_site_is_the_core_of_that_filters_pwm():
    from regviz import filters, models

    gata = jaspar("MA2283.1")
    w = gata.pssm().shape[1]
    model = models.build("deepbind", 80, 1, preset="class", n_filters=2, filter_width=w + 4)
    with torch.no_grad():
        model.conv.weight.zero_()                 # filter 1 stays zero: no preferred window
        model.conv.weight[0, :, 2:2 + w] = torch.as_tensor(gata.pssm().copy(),
                                                          dtype=torch.float32)
        model.conv.bias.zero_()
    rng = np.random.default_rng(0)
    sharp = gata.ppm() ** 3 / (gata.ppm() ** 3).sum(axis=0)
    seqs = []
    for k in range(300):
        s = "".join(rng.choice(list("ACGT"), 80))
        site = sample_instances(sharp, 1, k)[0]
        seqs.append(s[:30] + site + s[30 + w:])
    fm = filters.filter_pwms(model.eval(), sequence.one_hot(seqs), rule="top_n", n_top=100)
    got = spacing.filter_site(fm, 0)
    consensus = spacing.insert_motif(gata).site
    # the random flanks of the filter's 4 extra columns are trimmed away
    assert got.name == "filter 0" and got.site in consensus and got.width >= w - 2
    assert spacing.FILTER_SPEC.fullmatch(" Filter 12 ").group(1) == "12"
    assert spacing.FILTER_SPEC.fullmatch("MA2283.1") is None
    with pytest.raises(ExperimentError, match="no column with 0.3 bits"):
        spacing.filter_site(fm, 1)
    with pytest.raises(ExperimentError, match="Filter 5 has no PWM here"):
        spacing.filter_site(fm, 5)


def test_model_backgrounds_come_from_the_test_split_or_random_dna():
    ds = simulate.make_dataset("enhancer-activity", 200, 0)
    test = {ds.seqs[i] for i in ds.splits["test"]}
    lowest = spacing.model_backgrounds(249, "lowest", 5, 0, 0, ds)
    assert len(lowest) == 5 and set(lowest) <= test
    shuffled = spacing.model_backgrounds(249, "shuffle", 5, 0, 0, ds)
    assert all(len(s) == 249 for s in shuffled) and not set(shuffled) & test
    plain = spacing.model_backgrounds(120, "shuffle", 4, 0, 0, None)
    assert [len(s) for s in plain] == [120] * 4
    assert 0.3 < np.mean([sequence.gc_content(s) for s in plain]) < 0.55
