"""Variant effects: parsing, windows (SNVs and indels), exact scores, ranks, truth."""

import numpy as np
import pytest

from regviz import genome, predict, sequence, variants
from regviz.errors import InputFormatError
from regviz.sequence import SequenceRecord
from support import shipped_checkpoint


def test_a_pasted_list_parses_and_bad_lines_are_problems_not_errors():
    found, problems = variants.parse_variant_list(
        "# comment\nchr2L:10,523 A>G\nseq1:57 c>t my_snp\nchr1:100 AT>A\nchr1:5 A><DEL>\n"
        "nonsense\nchr1:0 A>C\nchr1:7 A>A\n")
    assert [v.label for v in found] == ["chr2L:10,523 A>G", "seq1:57 C>T", "chr1:100 AT>A"]
    assert found[1].id == "my_snp" and found[2].kind == "deletion"
    reasons = " | ".join(problems["reason"])
    assert "symbolic" in reasons and "expected 'contig:position REF>ALT'" in reasons
    assert "1 or more" in reasons and "ALT equals REF" in reasons
    with pytest.raises(InputFormatError):
        variants.parse_variant_list("\n# nothing\n")


VCF = ("##fileformat=VCFv4.2\n##contig=<ID=c1,length=100>\n"
       '##INFO=<ID=CLASS,Number=1,Type=String,Description="x">\n'
       "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
       "c1\t5\trs1\tA\tG,T\t.\t.\tCLASS=site\n"
       "c1\t9\t.\tC\t<DEL>\t.\t.\t.\n"
       "c1\t12\trs3\tGA\tG\t.\t.\t.\n")


def test_hostile_pasted_lines_parse_in_linear_time():
    import time
    start = time.perf_counter()
    found, problems = variants.parse_variant_list(
        "c:1 A>G x" + " " * 200_000 + "y\n" + "c:2 A>G " + "\t " * 100_000 + "\n"
        + "c:" + "1" * 500_000 + " A>G\n")
    assert time.perf_counter() - start < 1.0
    assert len(problems) == 2 and "expected" in problems["reason"].iloc[0]
    assert [v.pos for v in found] == [2]


def test_a_vcf_is_read_plain_and_bgzipped_with_multiallelic_records_split(tmp_path):
    import cyvcf2
    plain = tmp_path / "v.vcf"
    plain.write_text(VCF)
    found, problems = variants.read_vcf(plain)
    assert [(v.pos, v.ref, v.alt, v.id) for v in found] == [
        (5, "A", "G", "rs1"), (5, "A", "T", "rs1"), (12, "GA", "G", "rs3")]
    assert found[0].info == "CLASS=site"
    assert list(problems["variant"]) == ["c1:9 C><DEL>"]
    gz = tmp_path / "v.vcf.gz"
    reader = cyvcf2.VCF(str(plain))
    writer = cyvcf2.Writer(str(gz), reader, mode="wz")
    for rec in reader:
        writer.write_record(rec)
    writer.close()
    assert gz.read_bytes()[:2] == b"\x1f\x8b"
    for source in (gz, gz.read_bytes(), plain.read_bytes()):
        again, _ = variants.read_vcf(source)
        assert again == found
    with pytest.raises(InputFormatError, match="not a VCF"):
        variants.read_vcf(b"chr1 5 A G\n")


def _source(seq, name="s"):
    return variants.SequenceSource([SequenceRecord(name, seq)])


def test_windows_centre_the_variant_and_indels_keep_the_length():
    rng = np.random.default_rng(0)
    seq = "".join(rng.choice(list("ACGT"), 200))
    L = 20
    pos = 101                                   # 1-based; window = seq[90:110]
    snv = variants.Variant("s", pos, seq[100], "A" if seq[100] != "A" else "C")
    dele = variants.Variant("s", pos, seq[100:104], seq[100])            # 3 bases deleted
    ins = variants.Variant("s", pos, seq[100], seq[100] + "TTTTT")       # 5 bases inserted
    table, refs, alts, problems = variants.variant_windows([snv, dele, ins], _source(seq), L)
    assert not len(problems) and list(table["window_start"]) == [90, 90, 90]
    assert all(r == seq[90:110] for r in refs) and all(len(a) == L for a in alts)
    assert alts[0] == seq[90:100] + snv.alt + seq[101:110]
    # deletion of 3: one more base on the left (3 // 2), two on the right
    assert alts[1] == seq[89:100] + seq[100] + seq[104:112]
    # insertion of 5: two bases trimmed on the left, three on the right
    assert alts[2] == seq[92:100] + seq[100] + "TTTTT" + seq[101:107]


def test_each_bad_variant_is_reported_with_its_reason_and_the_rest_are_scored():
    seq = "ACGT" * 50
    bad = [variants.Variant("s", 101, "T", "G"),            # REF mismatch (seq[100] = A)
           variants.Variant("chrX", 50, "A", "G"),          # unknown contig
           variants.Variant("s", 3, seq[2], "A"),           # window past the start
           variants.Variant("s", 199, seq[198], "A"),       # window past the end
           variants.Variant("s", 400, "A", "G"),            # past the end of the contig
           variants.Variant("s", 100, seq[99], "A" * 15)]   # longer than half the window
    good = variants.Variant("s", 101, "A", "G")
    table, _, _, problems = variants.variant_windows(bad + [good], _source(seq), 20)
    assert list(table["label"]) == [good.label]
    reasons = list(problems["reason"])
    assert len(reasons) == 6
    assert "does not match" in reasons[0] and "not in the sequences" in reasons[1]
    assert "too close" in reasons[2] and "too close" in reasons[3]
    assert "past the end" in reasons[4] and "half the model's window" in reasons[5]


@pytest.fixture(scope="module")
def deepstarr():
    from regviz import checkpoints
    return checkpoints.load(shipped_checkpoint("enhancer-activity_deepstarr"))


def test_effects_equal_direct_predictions_of_the_two_windows(deepstarr):
    model, card = deepstarr
    rng = np.random.default_rng(1)
    seq = "".join(rng.choice(list("ACGT"), 1000))
    vs = [variants.Variant("s", p, seq[p - 1], b) for p, b in ((300, "A"), (301, "C"),
                                                               (600, "G"), (700, "T"))
          if seq[p - 1] != b]
    vs.append(variants.Variant("s", 500, seq[499:502], seq[499]))
    for both in (False, True):
        scores, problems = variants.score_variant_set(model, card, vs, _source(seq), both)
        assert not len(problems)
        table, refs, alts, _ = variants.variant_windows(vs, _source(seq), 249)
        def direct(texts):
            X = sequence.one_hot(texts)
            out = predict.predict(model, X)
            if both:
                out = (out + predict.predict(model, sequence.reverse_complement(X))) / 2
            return out
        want = (direct(alts) - direct(refs)).ravel()
        np.testing.assert_allclose(scores["effect"].to_numpy(), want, atol=1e-5)


def test_the_rank_of_an_snv_is_its_place_among_all_snvs_of_the_window(deepstarr):
    model, card = deepstarr
    rng = np.random.default_rng(2)
    seq = "".join(rng.choice(list("ACGT"), 600))
    v = variants.Variant("s", 300, seq[299], "A" if seq[299] != "A" else "G")
    scores, _ = variants.score_variant_set(model, card, [v], _source(seq), False, rank_top=1)
    table, refs, _, _ = variants.variant_windows([v], _source(seq), 249)
    X = sequence.one_hot(refs)
    for o, row in scores.reset_index(drop=True).iterrows():
        # brute force: predict every SNV of the window and count larger effects
        muts = []
        for i in range(249):
            for b in "ACGT":
                if b != refs[0][i]:
                    muts.append(refs[0][:i] + b + refs[0][i + 1:])
        eff = np.abs(predict.predict(model, sequence.one_hot(muts))[:, o]
                     - predict.predict(model, X)[0, o])
        mine = abs(row["alt_pred"] - row["ref_pred"])
        assert row["rank"] == 1 + int((eff > mine * (1 + 1e-6) + 1e-12).sum())
        assert 1 <= row["rank"] <= 747 and row["n_snvs"] == 747


def test_scored_vcf_carries_the_effects_and_the_original_info(deepstarr, tmp_path):
    import cyvcf2
    model, card = deepstarr
    seq = "ACGTTGCA" * 40
    vs = [variants.Variant("s", 160, seq[159], "T" if seq[159] != "T" else "A", "v1",
                           "CLASS=site")]
    scores, _ = variants.score_variant_set(model, card, vs, _source(seq))
    path = tmp_path / "out.vcf"
    path.write_text(variants.scores_vcf(scores, {"s": len(seq)}))
    rec = next(iter(cyvcf2.VCF(str(path))))
    assert rec.INFO.get("CLASS") == "site"
    got = rec.INFO.get("RV_Dev_EFFECT")
    want = scores.loc[scores["output"] == "Dev", "effect"].iloc[0]
    assert got == pytest.approx(want, rel=1e-5, abs=1e-6)


def test_breaking_planted_sites_ranks_above_other_variants():
    """Truth: on the demo VCF with the shipped decode (4 kb) and on planted sites of
    fresh deepstarr sequences, |effect| separates site-breaking variants (AUROC >= 0.9)."""
    from sklearn.metrics import roc_auc_score

    from regviz import checkpoints, filters
    from regviz.gradcam import demo_genome_path
    model, card = checkpoints.load(shipped_checkpoint("enhancer-4kb_decode"))
    found, _ = variants.read_vcf(variants.demo_vcf_path())
    with genome.Genome(demo_genome_path()) as g:
        scores, problems = variants.score_variant_set(model, card, found, g)
    assert len(problems) == 3                     # the demo's bad records, each reported
    snv = scores[scores["kind"] == "SNV"]
    y = snv["info"].str.contains("CLASS=site")
    assert roc_auc_score(y, snv["effect"].abs()) >= 0.9

    model, card = checkpoints.load(shipped_checkpoint("enhancer-activity_deepstarr"))
    draw = filters.fresh_draw(card, 200)
    found, breaks, source = variants.padded_truth_set(
        draw.seqs, draw.annotations, {m.name: m.id for m in card.planted_motifs}, 125)
    scores, problems = variants.score_variant_set(model, card, found, source)
    assert not len(problems)
    size = scores["effect"].abs().to_numpy().reshape(len(found), -1).max(axis=1)
    assert roc_auc_score(breaks, size) >= 0.9
