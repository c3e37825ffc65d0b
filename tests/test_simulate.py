"""Tests for regviz.simulate: determinism, planted sites where the annotations
say, labels that follow each set's stated rules (checked against independent
re-implementations from the annotations table), splits, tracks, and the
shapes of the planted cooperativity curves.
"""

import json

import numpy as np
import pandas as pd
import pytest

from regviz import motifs, simulate
from regviz.data import Dataset
from regviz.errors import DataFormatError
from regviz.sequence import one_hot, reverse_complement

NAMES = ["tf-binding", "chromatin-multitask", "enhancer-activity", "enhancer-4kb", "long-range"]
LENGTHS = {"tf-binding": 101, "chromatin-multitask": 600, "enhancer-activity": 249,
           "enhancer-4kb": 4000, "long-range": 2000}
SIZES = {"tf-binding": 1000, "chromatin-multitask": 1000, "enhancer-activity": 1000,
         "enhancer-4kb": 400, "long-range": 600}
_CACHE = {}


def clean(name):
    """Noiseless set (cached: generation is deterministic)."""
    if name not in _CACHE:
        _CACHE[name] = simulate.make_dataset(name, SIZES[name], seed=0, noise=False)
    return _CACHE[name]


def sites(d):
    """Annotation rows of planted motif sites (not intervals such as cores)."""
    return d.annotations[d.annotations["motif_id"] != ""]


# ---------------------------------------------------------------- API

def test_list_and_describe():
    assert simulate.list_datasets() == NAMES
    for name in NAMES:
        text = simulate.describe(name)
        assert text.startswith(f"### {name}") and "JASPAR ID" in text and "gap" in text
    assert "MA0139.2" in simulate.describe("tf-binding")
    assert "helically phased" in simulate.describe("enhancer-activity")


def test_unknown_name_and_options_are_clear_errors():
    with pytest.raises(DataFormatError, match="Unknown synthetic dataset 'tf'; choose one of "
                                              "tf-binding, chromatin-multitask"):
        simulate.make_dataset("tf", 100)
    with pytest.raises(DataFormatError, match=r"Unknown option\(s\) \['colour'\] for 'long-range'"):
        simulate.make_dataset("long-range", 100, colour=1)
    with pytest.raises(DataFormatError, match="n must be an integer of at least 10"):
        simulate.make_dataset("tf-binding", 5)
    with pytest.raises(DataFormatError, match="gc must be a number from 0.2 to 0.8"):
        simulate.make_dataset("tf-binding", 100, gc=0.95)
    with pytest.raises(DataFormatError, match="tracks must be 'none', 'binned' or 'per_bp'"):
        simulate.make_dataset("enhancer-4kb", 20, tracks="yes")
    with pytest.raises(DataFormatError, match="would take"):
        simulate.make_dataset("enhancer-4kb", 20, tracks="per_bp", max_track_bytes=1000)
    with pytest.raises(DataFormatError, match="Motifs do not fit"):
        simulate.make_dataset("tf-binding", 20, length=20)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_set_and_other_seed_differs(name):
    a = simulate.make_dataset(name, 60, seed=3)
    b = simulate.make_dataset(name, 60, seed=3)
    c = simulate.make_dataset(name, 60, seed=4)
    assert a.seqs == b.seqs and np.array_equal(a.y, b.y)
    pd.testing.assert_frame_equal(a.annotations, b.annotations)
    assert a.seqs != c.seqs and not a.annotations.equals(c.annotations)


@pytest.mark.parametrize("name", NAMES)
def test_shapes_lengths_splits_and_metadata(name):
    d = clean(name)
    n = SIZES[name]
    assert len(d) == n and d.length == LENGTHS[name]
    assert {len(s) for s in d.seqs} == {LENGTHS[name]}
    assert set("".join(d.seqs[:50])) <= set("ACGT")
    idx = np.concatenate([d.splits[k] for k in ("train", "valid", "test")])
    assert len(idx) == n and len(np.unique(idx)) == n  # disjoint and covering
    assert len(d.splits["test"]) == n // 10
    assert list(d.annotations.columns) == ["seq_index", "motif_id", "motif_name", "start",
                                           "end", "strand", "role"]
    json.dumps(d.grammar), json.dumps(d.meta)  # JSON-serialisable
    assert d.meta["seed"] == 0 and d.meta["generator_version"] == simulate.GENERATOR_VERSION
    assert abs(d.meta["gc"]["observed"] - 0.42) < 0.06
    ids = {m["id"] for m in d.meta["motifs"]}
    assert set(sites(d)["motif_id"]) <= ids
    if name == "chromatin-multitask":
        assert len(ids) >= 10


def test_class_balance():
    for name in ("tf-binding", "enhancer-4kb", "long-range"):
        assert abs(clean(name).y.mean() - 0.5) < 0.07, name
    assert np.all(np.abs(clean("chromatin-multitask").y.mean(axis=0) - 0.3) < 0.06)
    assert clean("enhancer-activity").task_names == ["Dev", "Hk"]


# ---------------------------------------------------------------- planted sites

@pytest.mark.parametrize("name", NAMES)
def test_sites_do_not_overlap_and_sit_inside(name):
    s = sites(clean(name)).sort_values(["seq_index", "start"])
    same = s["seq_index"].to_numpy()[1:] == s["seq_index"].to_numpy()[:-1]
    gaps = s["start"].to_numpy()[1:] - s["end"].to_numpy()[:-1]
    assert (gaps[same] >= 0).all()  # pair partners may abut (gap 0); others keep min_gap
    assert (s["start"] >= 0).all() and (s["end"] <= LENGTHS[name]).all()
    assert set(s["strand"]) == {"+", "-"}


@pytest.mark.parametrize("name", NAMES)
def test_annotated_substrings_are_samples_of_the_motif(name):
    d = clean(name)
    for mid, g in sites(d).groupby("motif_id"):
        ppm = motifs.jaspar(mid).ppm()
        for row in g.head(40).itertuples():
            sub = d.seqs[row.seq_index][row.start:row.end]
            site = reverse_complement(sub) if row.strand == "-" else sub
            probs = ppm[["ACGT".index(b) for b in site], np.arange(len(site))]
            assert (probs > 0).all(), (mid, site)


def test_consensus_sampling_plants_the_consensus_on_its_strand():
    d = simulate.make_dataset("enhancer-activity", 100, seed=1, sharpness=100.0)
    for row in sites(d).itertuples():
        m = motifs.jaspar(row.motif_id)
        sub = d.seqs[row.seq_index][row.start:row.end]
        expect = m.consensus if row.strand == "+" else reverse_complement(m.consensus)
        assert sub == expect


def _pssm_ranks(d):
    X = one_hot(d.seqs)
    ranks = []
    for mid, g in sites(d).groupby("motif_id"):
        sc = motifs.pssm_scan(X[g["seq_index"].to_numpy()], motifs.jaspar(mid))
        own = sc[np.arange(len(g)), (g["strand"].to_numpy() == "-").astype(int),
                 g["start"].to_numpy()]
        ranks.append((sc > own[:, None, None] + 1e-4).reshape(len(g), -1).sum(axis=1))
    return np.concatenate(ranks)


@pytest.mark.parametrize("name", ["tf-binding", "chromatin-multitask", "enhancer-activity",
                                  "long-range"])
def test_pssm_scan_finds_sites_where_annotated(name):
    # Sites are PPM samples and can be weak: at least 95% score among the top 3
    # windows (either strand) of their sequence.
    d = simulate.make_dataset(name, 200, seed=2, noise=False)
    assert (_pssm_ranks(d) < 3).mean() >= 0.95


def test_consensus_sites_are_the_best_match():
    d = simulate.make_dataset("tf-binding", 200, seed=2, sharpness=100.0)
    assert (_pssm_ranks(d) == 0).mean() >= 0.99


# ---------------------------------------------------------------- rules

@pytest.mark.parametrize("name", NAMES)
def test_noiseless_labels_are_recomputed_from_annotations(name):
    d = clean(name)
    np.testing.assert_array_equal(simulate.labels_from_annotations(d), d.y)


def _by_seq(d):
    s = sites(d)
    return {i: g for i, g in s.groupby("seq_index")}


def _gap(r1, r2):
    return r2.start - r1.end if r2.start >= r1.end else r1.start - r2.end


def _has_pair(g, a, b, lo, hi=np.inf):
    ra, rb = g[g.motif_name == a], g[g.motif_name == b]
    return any(lo <= _gap(x, z) <= hi for x in ra.itertuples() for z in rb.itertuples())


def test_tf_binding_rule_by_hand():
    d, groups = clean("tf-binding"), _by_seq(clean("tf-binding"))
    for i in range(len(d)):
        g = groups[i]
        assert d.y[i, 0] == ("MA0139.2" in set(g.motif_id))
        assert len(g) in (1, 2)  # target + k decoys or k + 1 decoys, k in {0, 1}
    pos = d.y[:, 0] == 1
    n_sites = np.bincount(sites(d)["seq_index"], minlength=len(d))
    assert abs(n_sites[pos].mean() - n_sites[~pos].mean()) < 0.1


def test_chromatin_rules_by_hand():
    d = clean("chromatin-multitask")
    groups = _by_seq(d)
    for i in range(len(d)):
        g = groups.get(i, sites(d).iloc[:0])
        c = g.motif_name.value_counts()
        expect = [c.get("Spi1", 0) >= 1, c.get("HNF4A", 0) >= 1 and c.get("HNF1A", 0) >= 1,
                  c.get("FOXA2", 0) >= 3, _has_pair(g, "SOX2", "POU5F1", 0, 5),
                  _has_pair(g, "TAL1::TCF3", "GATA2", 6, 10),
                  c.get("Runx1", 0) >= 1 and c.get("REST", 0) == 0]
        assert list(d.y[i].astype(bool)) == expect, i
    # near misses exist: SOX2 and POU5F1 together but too far apart
    both = [i for i, g in groups.items() if {"SOX2", "POU5F1"} <= set(g.motif_name)]
    assert (d.y[both, 3] == 0).sum() > 20


def test_enhancer_4kb_rule_and_core_by_hand():
    d = clean("enhancer-4kb")
    cores = d.annotations[d.annotations["role"] == "core"].set_index("seq_index")
    groups = _by_seq(d)
    for i in range(len(d)):
        g = groups.get(i, sites(d).iloc[:0])
        starts, ends = g.start.to_numpy(), g.end.to_numpy()
        best = max(((starts >= s) & (ends <= s + 400)).sum() for s in starts)
        assert d.y[i, 0] == (best >= 4) == (i in cores.index)
        if i in cores.index:
            c = cores.loc[i]
            assert 200 <= c.end - c.start <= 400 and c.strand == "."
            inner = g[g.role == "core-motif"]
            assert 4 <= len(inner) <= 6
            assert (inner.start >= c.start).all() and (inner.end <= c.end).all()
        else:
            assert 1 <= len(g) <= 4


def test_enhancer_4kb_tracks_rise_over_the_core():
    d = simulate.make_dataset("enhancer-4kb", 60, seed=5, tracks="binned")
    assert d.tracks.shape == (60, 5, 200) and d.tracks.dtype == np.float32
    assert d.track_names == ["accessibility", "H3K27ac", "H3K4me1", "H3K4me3", "H3K9ac"]
    cores = d.annotations[d.annotations["role"] == "core"]
    inside, outside = [], []
    for c in cores.itertuples():
        b0, b1 = c.start // 20, -(-c.end // 20)
        inside.append(d.tracks[c.seq_index, :3, b0:b1].mean(axis=1))
        outside.append(np.delete(d.tracks[c.seq_index, :3], np.arange(b0, b1), axis=1).mean(axis=1))
    assert (np.array(inside) > np.array(outside) + 0.2).mean() > 0.9
    p = simulate.make_dataset("enhancer-4kb", 20, seed=5, tracks="per_bp")
    assert p.tracks.shape == (20, 2, 4000) and p.track_names == ["accessibility", "H3K27ac"]
    assert simulate.make_dataset("enhancer-4kb", 20, seed=5).tracks is None


def test_long_range_rule_by_hand():
    d = clean("long-range")
    groups = _by_seq(d)
    kinds = {0: set(), 1: set()}
    for i in range(len(d)):
        g = groups[i]
        ab = g[g.role.isin(["A", "B"])]
        assert len(ab) == 2
        far = _has_pair(g, "CTCF", "ZNF143", 1001)
        assert d.y[i, 0] == far
        gap = _gap(*sorted(ab.itertuples(), key=lambda r: r.start))
        kinds[int(d.y[i, 0])].add("AB" if ab.role.nunique() == 2 else "same")
        assert (1100 <= gap <= 1700) if (far or ab.role.nunique() == 1) else gap <= 300
    assert kinds == {0: {"AB", "same"}, 1: {"AB"}}


def test_noise_flips_labels_or_adds_noise():
    noisy = simulate.make_dataset("tf-binding", 4000, seed=0, label_noise=0.1)
    flipped = (noisy.y != simulate.labels_from_annotations(noisy)).mean()
    assert 0.08 < flipped < 0.12
    reg = simulate.make_dataset("enhancer-activity", 3000, seed=0, noise_sd=0.5)
    resid = reg.y - simulate.labels_from_annotations(reg)
    assert abs(resid.std() - 0.5) < 0.03


# ---------------------------------------------------------------- grammar

def test_planted_cooperativity_shapes():
    g = clean("enhancer-activity").grammar
    kinds = {p["kind"] for p in g["pairs"]}
    assert {"additive", "decaying", "close", "close-phased", "orientation"} <= kinds
    d = np.arange(0, 150)
    coop = {p["name"]: simulate.planted_cooperativity(g, p["name"], d) for p in g["pairs"]}
    for p in g["pairs"]:
        f = coop[p["name"]]
        if p["kind"] == "additive":
            assert (f == 0).all()
            for o in simulate.ORIENTATIONS:
                assert (simulate.planted_cooperativity(g, p["name"], d, o) == 0).all()
        elif p["kind"] == "decaying":
            assert (np.diff(f) < 0).all() and f[0] > 0
        elif p["kind"].startswith("close"):
            assert f[0] > 0 and (f[d > p["profile"]["max_gap"]] == 0).all()
        if p["kind"] == "close-phased":  # helical: peaks 10.5 bp apart, troughs between
            assert f[21] > 0.9 * f[0] and f[5] < 0.1 * f[0]
        if p["kind"] == "orientation":
            same = simulate.planted_cooperativity(g, p["name"], d, "++")
            opposite = simulate.planted_cooperativity(g, p["name"], d, "+-")
            assert (same > 0).all() and (opposite == 0).all()
            # B on the left = reverse complement: strands flip
            np.testing.assert_array_equal(
                simulate.planted_cooperativity(g, p["name"], d, "+-", b_side="left"),
                simulate.planted_cooperativity(g, p["name"], d, "-+"))
            # the pair named in the other order reads the same configuration
            np.testing.assert_array_equal(
                simulate.planted_cooperativity(g, (p["b"], p["a"]), d, "-+", b_side="left"),
                simulate.planted_cooperativity(g, p["name"], d, "+-"))
    with pytest.raises(DataFormatError, match="Unknown pair"):
        simulate.planted_cooperativity(g, "GATA-GATA", d)


def test_activity_equals_weights_plus_planted_term():
    # A hand-built table: GATA (+) at 10..18, twist (-) 25 bp after its end.
    d = clean("enhancer-activity")
    g = d.grammar
    ann = pd.DataFrame({"seq_index": [0, 0], "motif_id": ["MA2283.1", "MA0249.3"],
                        "motif_name": ["srp", "twi"], "start": [10, 43], "end": [18, 50],
                        "strand": ["+", "-"], "role": ["single", "single"]})
    toy = Dataset("toy", ["A" * 249], np.zeros((1, 2)), ["Dev", "Hk"], "regression",
                  annotations=ann, grammar=g)
    y = simulate.labels_from_annotations(toy)[0]
    term = simulate.planted_cooperativity(g, "GATA-twist", [25], "+-")[0]
    w = g["outputs"]["Dev"]["weights"]
    assert term == pytest.approx(1.5 * np.exp(-25 / 30))
    assert y[0] == pytest.approx(w["GATA"] + w["twist"] + term, rel=1e-6)
    assert y[1] == pytest.approx(0.0)


def test_pair_overrides_change_only_the_named_pairs_labels():
    change = {"DRE-SREBP": {"kind": "close", "profile": {"shape": "window", "max_gap": 30}}}
    base = simulate.make_dataset("enhancer-activity", 1500, seed=4, noise=False)
    alt = simulate.make_dataset("enhancer-activity", 1500, seed=4, noise=False,
                                pair_overrides=change)
    assert alt.seqs == base.seqs and alt.annotations.equals(base.annotations)
    pair = next(p for p in alt.grammar["pairs"] if p["name"] == "DRE-SREBP")
    assert pair["kind"] == "close" and pair["profile"] == {"shape": "window", "max_gap": 30}
    assert alt.meta["options"]["pair_overrides"] == change
    # Dev has no DRE or SREBP: unchanged; Hk changes only where both sites are planted
    np.testing.assert_array_equal(alt.y[:, 0], base.y[:, 0])
    ann = base.annotations
    both = (set(ann.seq_index[ann.motif_name == "Dref"])
            & set(ann.seq_index[ann.motif_name == "SREBP"]))
    changed = set(np.flatnonzero(alt.y[:, 1] != base.y[:, 1]))
    assert changed and changed <= both
    g = simulate.planted_cooperativity(alt.grammar, "DRE-SREBP", [5, 30, 31])
    np.testing.assert_allclose(g, [1.5, 1.5, 0.0])
    assert simulate.make_dataset("enhancer-activity", 20).grammar["pairs"][4]["kind"] == \
        "close-phased"  # the default set keeps its helical phasing
    with pytest.raises(DataFormatError, match="unknown pair 'GATA-GATA'"):
        simulate.make_dataset("enhancer-activity", 20, pair_overrides={"GATA-GATA": {}})
    with pytest.raises(DataFormatError, match="may set 'kind' and 'profile' only"):
        simulate.make_dataset("enhancer-activity", 20, pair_overrides={"ETS-DRE": {"a": "X"}})
    with pytest.raises(DataFormatError, match="Unknown distance profile shape 'box'"):
        simulate.make_dataset("enhancer-activity", 20,
                              pair_overrides={"ETS-DRE": {"profile": {"shape": "box"}}})


def test_pair_weights_plant_the_named_pair_more_often_under_the_same_rules():
    base = simulate.make_dataset("enhancer-activity", 6000, seed=2, noise=False)
    more = simulate.make_dataset("enhancer-activity", 6000, seed=2, noise=False,
                                 pair_weights={"ETS-M1BP": 3}, pair_fraction=0.8)
    def share(d):
        return d.annotations.drop_duplicates(["seq_index", "role"]).role.value_counts() / 6000

    assert share(base)["pair ETS-M1BP"] == pytest.approx(0.1, abs=0.015)
    assert share(more)["pair ETS-M1BP"] == pytest.approx(0.3, abs=0.02)      # 0.8 * 3 / 8
    for other in ("pair GATA-twist", "pair DRE-SREBP", "pair Trl-GATA"):
        assert share(more)[other] == pytest.approx(0.1, abs=0.015)         # 0.8 * 1 / 8
    assert more.grammar == base.grammar                                     # same rules
    assert more.meta["options"]["pair_weights"] == {"ETS-M1BP": 3}
    with pytest.raises(DataFormatError, match="pair_weights: unknown pair 'ETS-ETS'"):
        simulate.make_dataset("enhancer-activity", 20, pair_weights={"ETS-ETS": 2})
    with pytest.raises(DataFormatError, match=r"pair_weights\['ETS-M1BP'\] must be a number"):
        simulate.make_dataset("enhancer-activity", 20, pair_weights={"ETS-M1BP": -1})
    with pytest.raises(DataFormatError, match="at least one pair needs a weight above 0"):
        simulate.make_dataset("enhancer-activity", 20,
                              pair_weights={p["name"]: 0 for p in base.grammar["pairs"]})


def test_tf_binding_takes_another_tf_and_grammar_is_a_copy():
    d = simulate.make_dataset("tf-binding", 200, seed=1, noise=False, tf="SPI1")
    assert d.task_names == ["Spi1"]
    pos = sites(d)[sites(d)["role"] == "positive-motif"]
    assert set(pos["motif_id"]) == {"MA0080.7"}
    assert set(pos["seq_index"]) == set(np.flatnonzero(d.y[:, 0]))
    d.grammar["tasks"]["Spi1"]["min"] = 99  # a caller's edit stays in its copy
    again = simulate.make_dataset("tf-binding", 200, seed=1, noise=False, tf="SPI1")
    assert again.grammar["tasks"]["Spi1"]["min"] == 1
    with pytest.raises(DataFormatError, match="decoys must name at least one"):
        simulate.make_dataset("tf-binding", 20, tf="CTCF", decoys=["MA0139.2"])


def test_docs_datasets_page_is_in_sync_with_describe():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "datasets.md").read_text()
    for name in simulate.list_datasets():
        assert simulate.describe(name) in text, f"regenerate docs/datasets.md ({name} changed)"
