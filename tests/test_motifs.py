"""Tests for regviz.motifs: matrix maths with known numbers, scanning against
conv1d, JASPAR lookups, Tomtom/FIMO recovering known answers, MEME files.

Tomtom and FIMO need memelite's compiled kernels; run
``regviz-warmup`` once (``make install`` does) so this file takes seconds.
"""

import math

import numpy as np
import pytest
import torch

from regviz import motifs
from regviz.errors import MotifError, MotifNotFoundError
from regviz.motifs import Motif
from regviz.sequence import one_hot, reverse_complement

# The course's worked PWM (seed 002): rows A, C, G, T; sites GGATAA, CGATAA,
# CGATAT, GGATAT.
SEED_PWM = np.array([
    [0, 0, 1, 0, 1, 0.5],
    [0.5, 0, 0, 0, 0, 0],
    [0.5, 1, 0, 0, 0, 0],
    [0, 0, 0, 1, 0, 0.5],
])


# ---------------------------------------------------------------- matrix maths

def test_information_content_known_columns():
    ic = motifs.information_content(np.array([[1, 0.25], [0, 0.25], [0, 0.25], [0, 0.25]]))
    np.testing.assert_allclose(ic, [2.0, 0.0], atol=1e-12)


def test_information_content_of_the_course_pwm():
    np.testing.assert_allclose(motifs.information_content(SEED_PWM), [1, 2, 2, 2, 2, 1],
                               atol=1e-12)


def test_information_content_small_sample_correction_and_background():
    # R_i = log2(4) - (H_i + e_n)
    np.testing.assert_allclose(motifs.information_content(SEED_PWM, e_n=0.1),
                               [0.9, 1.9, 1.9, 1.9, 1.9, 0.9], atol=1e-12)
    # Relative entropy to a GC-rich background: a pure A column is
    # log2(1 / 0.3) bits.
    bg = motifs.gc_background(0.4)
    np.testing.assert_allclose(bg, [0.3, 0.2, 0.2, 0.3])
    ic = motifs.information_content(SEED_PWM, background=bg)
    np.testing.assert_allclose(ic[2], math.log2(1 / 0.3))
    np.testing.assert_allclose(ic[0], 0.5 * math.log2(0.5 / 0.2) * 2)
    # 4 sites -> e_n = 3 / (2 ln2 * 4)
    m = Motif("x", "x", SEED_PWM * 4)
    np.testing.assert_allclose(m.ic(small_sample=True),
                               np.array([1, 2, 2, 2, 2, 1]) - 3 / (8 * math.log(2)))
    np.testing.assert_allclose(motifs.letter_heights(SEED_PWM)[:, 0], [0, 0.5, 0.5, 0])


def test_ppm_pseudocount_convention():
    counts = np.array([[8, 0], [0, 2], [2, 0], [0, 8]], dtype=float)  # 10 sites
    np.testing.assert_allclose(motifs.counts_to_ppm(counts)[:, 0], [0.8, 0, 0.2, 0])
    # Total pseudocount 0.8 shared by the uniform background: 0.2 per base.
    np.testing.assert_allclose(motifs.counts_to_ppm(counts, 0.8)[:, 0],
                               np.array([8.2, 0.2, 2.2, 0.2]) / 10.8)
    bg = motifs.gc_background(0.6)
    np.testing.assert_allclose(motifs.counts_to_ppm(counts, 1.0, bg)[:, 1],
                               np.array([0.2, 2.3, 0.3, 8.2]) / 11)


def test_pssm_is_log2_odds_by_hand():
    counts = np.array([[8, 0], [0, 2], [2, 0], [0, 8]], dtype=float)
    m = Motif("x", "x", counts)
    pssm = m.pssm()
    assert pssm.shape == (4, 2)
    assert pssm[0, 0] == pytest.approx(math.log2((8.2 / 10.8) / 0.25))
    assert pssm[1, 0] == pytest.approx(math.log2((0.2 / 10.8) / 0.25))
    bg = [0.3, 0.2, 0.2, 0.3]
    pssm_bg = m.pssm(background=bg, pseudocount=1.0)
    assert pssm_bg[3, 1] == pytest.approx(math.log2((8 + 0.3) / 11 / 0.3))
    # With the course PWM itself (no pseudocount needed where p > 0):
    assert motifs.ppm_to_pssm(np.full((4, 1), 0.25))[:, 0] == pytest.approx([0, 0, 0, 0])
    assert motifs.ppm_to_pssm([[0.97], [0.01], [0.01], [0.01]])[0, 0] == \
        pytest.approx(math.log2(0.97 / 0.25))


def test_zero_probabilities_need_a_pseudocount():
    with pytest.raises(MotifError, match="pseudocount"):
        motifs.ppm_to_pssm(SEED_PWM)


def test_bad_matrices_are_rejected_with_the_shape():
    with pytest.raises(MotifError, match=r"shape \(4, w\).*Got shape \(3, 5\)"):
        Motif("x", "x", np.ones((3, 5)))
    with pytest.raises(MotifError, match="non-negative"):
        motifs.counts_to_ppm(-np.ones((4, 2)))
    with pytest.raises(MotifError, match="sum to 0"):
        Motif("x", "x", np.zeros((4, 2)))
    with pytest.raises(MotifError, match="gc must be"):
        motifs.gc_background(1.5)


def test_motif_properties():
    m = Motif("seed", "course", SEED_PWM * 4)
    assert m.width == 6
    assert m.consensus == "CGATAA"  # ties go to the first of A, C, G, T
    rc = m.reverse_complement()
    np.testing.assert_allclose(rc.ppm(), SEED_PWM[::-1, ::-1])
    assert rc.reverse_complement() == m
    assert hash(rc.reverse_complement()) == hash(m)
    assert not m.counts.flags.writeable
    np.testing.assert_allclose(Motif.from_ppm("p", "p", SEED_PWM, nsites=4).counts, m.counts)


# ---------------------------------------------------------------- sampling and scanning

def test_sample_instances_is_seeded_and_follows_the_ppm():
    a = motifs.sample_instances(SEED_PWM, 200, seed=3)
    assert a == motifs.sample_instances(SEED_PWM, 200, seed=3)
    assert a != motifs.sample_instances(SEED_PWM, 200, seed=4)
    assert {s[1:5] for s in a} == {"GATA"}
    assert {s[0] for s in a} == {"C", "G"} and {s[5] for s in a} == {"A", "T"}
    freq = one_hot(a).mean(axis=0)
    np.testing.assert_allclose(freq, SEED_PWM, atol=0.1)


def test_pssm_scan_forward_strand_is_conv1d():
    rng = np.random.default_rng(0)
    X = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(5, 60))].transpose(0, 2, 1)
    X = np.ascontiguousarray(X)
    pssm = rng.normal(size=(4, 9))
    out = motifs.pssm_scan(X, pssm)
    assert out.shape == (5, 2, 52) and out.dtype == np.float32
    ref = torch.nn.functional.conv1d(torch.from_numpy(X),
                                     torch.from_numpy(pssm.astype(np.float32))[None])[:, 0]
    assert np.array_equal(out[:, 0], ref.numpy())
    assert np.array_equal(motifs.pssm_scan(X, pssm, both_strands=False), ref.numpy())
    # Brute force for one window.
    assert out[2, 0, 17] == pytest.approx(float((pssm * X[2, :, 17:26]).sum()), abs=1e-4)


def test_pssm_scan_reverse_strand_is_the_reverse_complement_sequence():
    rng = np.random.default_rng(1)
    seqs = ["".join(rng.choice(list("ACGT"), size=40)) for _ in range(3)]
    m = motifs.jaspar("MA0139.2")
    L, w = 40, m.width
    out = motifs.pssm_scan(seqs, m)
    rc_fwd = motifs.pssm_scan([reverse_complement(s) for s in seqs], m, both_strands=False)
    # Strand 1 at forward start i == forward PSSM on the reverse complement at L - w - i.
    np.testing.assert_allclose(out[:, 1, :], rc_fwd[:, ::-1], atol=1e-4)
    i = 7
    np.testing.assert_allclose(out[:, 1, i], rc_fwd[:, L - w - i], atol=1e-4)


def test_pssm_scan_scores_the_consensus_highest():
    m = motifs.jaspar("CTCF")
    seq = "A" * 20 + m.consensus + "T" * 20
    out = motifs.pssm_scan([seq], m)
    assert out[0, 0].argmax() == 20
    assert out[0, 0, 20] == pytest.approx(m.pssm().max(axis=0).sum(), abs=1e-4)
    with pytest.raises(MotifError, match="at least as long"):
        motifs.pssm_scan(["ACGT"], m)


# ---------------------------------------------------------------- JASPAR

def test_collections_are_the_pinned_release():
    assert motifs.JASPAR_RELEASE == "JASPAR2024"
    assert motifs.jaspar_path().name == "JASPAR2024.sqlite"
    vert = motifs.collection("CORE vertebrates")
    assert len(vert) == 879
    assert len(motifs.collection("CORE insects")) == 286
    assert len(motifs.collection("CORE all")) == 2346
    assert all(m.tax_group == "vertebrates" for m in vert)
    ids = [m.id.split(".")[0] for m in motifs.collection("CORE all")]
    assert len(ids) == len(set(ids))  # latest version only
    with pytest.raises(MotifNotFoundError, match="collection must be one of"):
        motifs.collection("CORE plants")


def test_collection_matches_pyjaspar():
    from pyjaspar import jaspardb

    ref = jaspardb(release="JASPAR2024").fetch_motifs(collection="CORE",
                                                     tax_group=["insects"])
    ours = {m.id: m for m in motifs.collection("CORE insects")}
    assert set(ours) == {r.matrix_id for r in ref}
    for r in ref:
        np.testing.assert_array_equal(ours[r.matrix_id].counts,
                                      np.array([r.counts[b] for b in "ACGT"]))
        assert ours[r.matrix_id].name == r.name


def test_jaspar_lookups():
    m = motifs.jaspar("MA0139.2")
    assert (m.id, m.name, m.width) == ("MA0139.2", "CTCF", 15)
    assert m.counts.shape == (4, 15) and m.tf_class == "C2H2 zinc finger factors"
    assert motifs.jaspar("MA0139") == m          # versionless -> latest
    assert motifs.jaspar("ma0139.1").width == 19  # an older version
    assert motifs.jaspar("ctcf") == m             # name, case-insensitive
    assert motifs.jaspar("CTCF") == m             # several CTCF matrices: MA0139 wins
    assert motifs.jaspar("Gata1").name == "GATA1"
    assert motifs.jaspar("MA0531").tax_group == "insects"


def test_unknown_motif_suggests_close_names():
    with pytest.raises(MotifNotFoundError, match=r"'CTFC'.*Closest names: .*CTCF"):
        motifs.jaspar("CTFC")
    with pytest.raises(MotifNotFoundError, match="SOX2"):
        motifs.jaspar("SOX2x")
    with pytest.raises(MotifNotFoundError, match="MA9999"):
        motifs.jaspar("MA9999.1")


# ---------------------------------------------------------------- Tomtom

def test_tomtom_finds_the_motif_itself_first():
    ctcf = motifs.jaspar("MA0139")
    df = motifs.tomtom([ctcf])
    assert list(df.columns) == ["query", "query_id", "query_name", "target_id",
                                "target_name", "p_value", "e_value", "q_value", "score",
                                "offset", "overlap", "strand", "rank"]
    assert len(df) == 10 and df["rank"].tolist() == list(range(1, 11))
    top = df.iloc[0]
    assert (top.target_id, top.offset, top.overlap, top.strand) == ("MA0139.2", 0, 15, "+")
    assert top.p_value < 1e-20 and top.q_value <= top.e_value
    assert df["p_value"].is_monotonic_increasing


def test_tomtom_offset_and_strand_convention():
    long = motifs.jaspar("MA0139.1")  # MA0139.2 is columns 2..16 of it
    sub = Motif("sub", "sub", long.counts[:, 4:14])
    df = motifs.tomtom([sub, sub.reverse_complement()], n_nearest=1)
    fwd, rev = df.iloc[0], df.iloc[1]
    assert (fwd.target_id, fwd.offset, fwd.overlap, fwd.strand) == ("MA0139.2", 2, 10, "+")
    # On '-', offsets count columns of the target's reverse complement.
    assert (rev.target_id, rev.offset, rev.overlap, rev.strand) == ("MA0139.2", 3, 10, "-")
    target_rc = motifs.jaspar("MA0139.2").reverse_complement().ppm()
    np.testing.assert_allclose(sub.reverse_complement().ppm(), target_rc[:, 3:13])


def test_tomtom_q_values_are_bh_per_query_over_all_targets():
    rng = np.random.default_rng(5)
    queries = {"a": rng.dirichlet(np.ones(4), size=8).T, "b": motifs.jaspar("GATA1").ppm()}
    full = motifs.tomtom(queries, n_nearest=None)
    assert len(full) == 2 * 879
    for _, g in full.groupby("query"):
        p = g["p_value"].to_numpy()  # sorted ascending
        m = len(p)
        q = np.minimum.accumulate((p * m / np.arange(1, m + 1))[::-1])[::-1]
        np.testing.assert_allclose(g["q_value"], np.minimum(q, 1))
    top = motifs.tomtom(queries, n_nearest=3)
    merged = top.merge(full, on=["query", "target_id"], suffixes=("", "_full"))
    np.testing.assert_allclose(merged["q_value"], merged["q_value_full"])
    assert top["query_name"].tolist() == ["a"] * 3 + ["b"] * 3


def test_tomtom_recovers_a_motif_from_50_sampled_instances():
    for name in ("CTCF", "GATA1", "REST"):
        m = motifs.jaspar(name)
        counts = one_hot(motifs.sample_instances(m, 50, seed=7)).sum(axis=0)
        df = motifs.tomtom({f"sampled {name}": counts}, n_nearest=3)
        assert m.id in df["target_id"].tolist(), (name, df)


def test_tomtom_accepts_filter_arrays_tensors_and_collection_names():
    rng = np.random.default_rng(9)
    filters = rng.dirichlet(np.ones(4), size=(3, 10)).transpose(0, 2, 1)  # (n, 4, w)
    a = motifs.tomtom(filters, n_nearest=2)
    b = motifs.tomtom(torch.from_numpy(filters), "JASPAR2024 CORE vertebrates", n_nearest=2)
    c = motifs.tomtom([f * 7 for f in filters], n_nearest=2)  # counts: same PPMs
    assert a.equals(b) and a.equals(c)
    assert a["query_id"].tolist() == ["0", "0", "1", "1", "2", "2"]


def test_tomtom_bad_input():
    with pytest.raises(MotifError, match="queries is empty"):
        motifs.tomtom([])
    with pytest.raises(MotifError, match="n_nearest"):
        motifs.tomtom([SEED_PWM], n_nearest=0)


# ---------------------------------------------------------------- FIMO

def test_fimo_finds_a_planted_consensus_at_its_position_and_strand():
    m = motifs.jaspar("CTCF")
    rng = np.random.default_rng(2)
    seqs = ["".join(rng.choice(list("ACGT"), size=200)) for _ in range(3)]
    seqs[1] = seqs[1][:50] + m.consensus + seqs[1][50 + m.width:]
    seqs[2] = seqs[2][:120] + reverse_complement(m.consensus) + seqs[2][120 + m.width:]
    hits = motifs.fimo(m, seqs, names=["s1", "s2", "s3"])
    best = hits.sort_values("p_value").groupby("sequence_index").head(1)
    got = {(r.sequence_name, r.start, r.end, r.strand) for r in best.itertuples()}
    assert ("s2", 50, 65, "+") in got and ("s3", 120, 135, "-") in got
    row = hits[(hits.sequence_index == 1) & (hits.start == 50)].iloc[0]
    assert row.p_value < 1e-8 and row.motif_id == "MA0139.2"
    # Its score is the PSSM score of the window (same pseudocount).
    assert row.score == pytest.approx(motifs.pssm_scan([seqs[1]], m)[0, 0, 50], abs=0.05)
    # Same hits from the one-hot array.
    hits_x = motifs.fimo(m, one_hot(seqs), names=["s1", "s2", "s3"])
    assert hits_x[["start", "strand"]].equals(hits[["start", "strand"]])


def test_fimo_treats_n_as_unknown_and_returns_empty_tables():
    m = motifs.jaspar("CTCF")
    seq = "N" * 30 + m.consensus + "N" * 30
    hits = motifs.fimo(m, [seq])
    assert hits["start"].tolist() == [30]
    none = motifs.fimo(m, ["N" * 40])
    assert len(none) == 0 and list(none.columns) == list(hits.columns)


# ---------------------------------------------------------------- MEME files

def test_meme_round_trip(tmp_path):
    ms = [motifs.jaspar("CTCF"), motifs.jaspar("GATA1"), Motif("f3", "f3", SEED_PWM * 4)]
    path = motifs.write_meme(ms, tmp_path / "m.meme")
    back = motifs.read_meme(path)
    assert [(m.id, m.name) for m in back] == [("MA0139.2", "CTCF"), ("MA0035.5", "GATA1"),
                                             ("f3", "f3")]
    for a, b in zip(ms, back):
        np.testing.assert_allclose(b.ppm(), a.ppm(), rtol=0, atol=1e-12)
    with pytest.raises(MotifError, match="duplicates"):
        motifs.write_meme([ms[0], ms[0]], tmp_path / "d.meme")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        motifs.read_meme(tmp_path / "missing.meme")


def test_parse_meme_reads_uploaded_bytes_and_names_bad_ones(tmp_path):
    path = motifs.write_meme([motifs.jaspar("CTCF"), motifs.jaspar("GATA1")], tmp_path / "m.meme")
    found = motifs.parse_meme(path.read_bytes(), "m.meme")
    assert [m.id for m in found] == ["MA0139.2", "MA0035.5"]
    np.testing.assert_allclose(found[0].ppm(), motifs.jaspar("CTCF").ppm(), atol=1e-5)
    with pytest.raises(MotifError, match="upload.meme: the file has no MOTIF blocks"):
        motifs.parse_meme(b"MEME version 4\n\nALPHABET= ACGT\n", "upload.meme")
    with pytest.raises(MotifError, match="bad.txt: could not read this as a MEME motif file"):
        motifs.parse_meme(b"MOTIF x\nletter-probability matrix: w= 2\n0.5 nope\n", "bad.txt")
