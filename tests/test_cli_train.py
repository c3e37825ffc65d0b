"""``regviz-train`` on a user's file: shuffled negatives, the refusal of one-class sets,
seeded and by-chromosome splits, and how the card records them."""

import json

import numpy as np
import pytest
from support import SHARED_DATA, needs_shared_data, planted_peaks_fasta

from regviz import checkpoints
from regviz.checkpoints import Card
from regviz.cli.train import file_dataset, main, parser
from regviz.data import Dataset, chrom_of, require_both_classes
from regviz.errors import DataFormatError

MOTIF = "GGAAGTGACG"
CHROMS = [f"chr{k}" for k in range(1, 11)]
FAST = ["--epochs", "1", "--quiet", "--threads", "1", "--set", "n_filters=4", "--batch-size",
        "32"]


@pytest.fixture(scope="module")
def peaks(tmp_path_factory):
    """300 positives-only 60-bp peaks named chrK:start-end (10 contigs), each with MOTIF."""
    def name(k, rng):
        start = int(rng.integers(1, 10**6))
        return f"{CHROMS[k % 10]}:{start}-{start + 59}"
    return planted_peaks_fasta(tmp_path_factory.mktemp("peaks") / "peaks.fa", 300, 60, MOTIF,
                               name)


def _data(*argv):
    return file_dataset(parser().parse_args(["deepbind", *map(str, argv)]))


def _test_names(ds):
    return sorted(ds.meta["names"][i] for i in ds.splits["test"])


def test_positives_only_file_is_refused_with_the_fix(peaks, tmp_path, capsys):
    assert main(["deepbind", str(peaks), *FAST, "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert "all 300 sequences are labelled 1 (label)" in err and "--shuffled-negatives 1" in err
    assert not (tmp_path / "m").exists()


def test_shuffled_negatives_train_and_the_card_records_them_and_the_split(peaks, tmp_path):
    out = tmp_path / "m"
    assert main(["deepbind", str(peaks), *FAST, "--shuffled-negatives", "1", "--split-seed", "2",
                 "--out", str(out)]) == 0
    card = checkpoints.read_card(out)
    assert card.dataset.n == 600 and card.dataset.seed == 2
    assert card.dataset.extra["split"] == {"random": {"seed": 2, "valid": 0.1, "test": 0.1}}
    assert card.dataset.extra["negatives"] == {"method": "dinucleotide_shuffle",
                                               "n_per_positive": 1, "seed": 2, "n_added": 300}
    assert card.test_metrics["tasks"]["label"]["positives"] == 30   # shuffles join their parent
    again = Card.from_dict(json.loads(json.dumps(card.to_dict())))  # the card round-trips
    assert again == card and json.loads((out / "card.json").read_text()) == again.to_dict()


def test_split_seed_moves_the_test_set_and_the_same_seed_keeps_it(peaks):
    one, two, one_again = (_data(peaks, "--shuffled-negatives", "1", "--split-seed", s)
                           for s in (1, 2, 1))
    assert _test_names(one) == _test_names(one_again) != _test_names(two)
    assert _test_names(_data(peaks)) == _test_names(_data(peaks, "--split-seed", "0"))
    for ds in (one, two):      # every shuffle sits in its positive's split
        names = ds.meta["names"]
        for split, idx in ds.splits.items():
            parents = {names[i].rsplit("_shuf", 1)[0] for i in idx}
            assert parents == {names[i] for i in idx if "_shuf" not in names[i]}, split


def test_chromosome_split_holds_out_exactly_the_named_contigs(peaks, tmp_path):
    ds = _data(peaks, "--split", "chrom", "--test-chroms", "chr8,chr9", "--val-chroms", "chr10",
               "--shuffled-negatives", "1")
    contig = [chrom_of(n.rsplit("_shuf", 1)[0]) for n in ds.meta["names"]]
    assert {contig[i] for i in ds.splits["test"]} == {"chr8", "chr9"}
    assert {contig[i] for i in ds.splits["valid"]} == {"chr10"}
    assert {contig[i] for i in ds.splits["train"]} == set(CHROMS[:7])
    assert len(ds.splits["test"]) == 120 and len(ds.splits["valid"]) == 60
    default = _data(peaks, "--split", "chrom", "--split-seed", "3")     # test chr8, chr9
    assert {chrom_of(default.meta["names"][i]) for i in default.splits["test"]} == {"chr8", "chr9"}
    assert len(default.splits["valid"]) == 24 and default.meta["split"]["by_chrom"]["valid"] == \
        {"random_fraction": 0.1, "seed": 3}
    out = tmp_path / "m"
    assert main(["deepbind", str(peaks), *FAST, "--test-chroms", "chr1", "--shuffled-negatives",
                 "1", "--out", str(out)]) == 0                     # --test-chroms: by contig
    split = checkpoints.read_card(out).to_dict()["dataset"]["split"]["by_chrom"]
    assert split["test"] == ["chr1"] and split["train"] == "all other contigs"


@pytest.mark.parametrize("argv, message", [
    (["--split", "chrom", "--test-chroms", "chrX"], r"contigs of the data \(chr1, chr10, chr2"),
    (["--split", "chrom", "--test-chroms", "chr1", "--val-chroms", "chr1"],
     "both test and validation: chr1"),
    (["--test-chroms", "chr8", "--split", "random"], "go with --split chrom"),
    (["--data-seed", "3"], "--data-seed is for synthetic sets"),
    (["--shuffled-negatives", "-1"], "0 or more shuffles"),
])
def test_bad_split_options_are_refused(peaks, argv, message):
    with pytest.raises(DataFormatError, match=message):
        _data(peaks, *argv)


def test_file_options_on_a_synthetic_set_and_names_without_coordinates(tmp_path, capsys):
    assert main(["deepbind", "tf-binding", "--split-seed", "0", "--quiet"]) == 2
    assert "--split-seed apply to data files" in capsys.readouterr().err
    plain = tmp_path / "plain.fa"
    plain.write_text("".join(f">p{k} {k % 2}\n{'ACGT' * 10}\n" for k in range(20)))
    with pytest.raises(DataFormatError, match=r"coordinates in every sequence name .*'p0'"):
        _data(plain, "--split", "chrom")
    assert chrom_of("chr2L:1,001-5,000") == "chr2L" and chrom_of("pk::chrX:5-9(-)") == "chrX"
    assert chrom_of("peak_7") is None and chrom_of("chr1:5") is None


def test_one_class_sets_name_their_fix():
    def ds(y, kind):
        return Dataset("d", ["ACGT"] * len(y), np.array(y), ["a", "b"][:np.ndim(y)], kind)
    with pytest.raises(DataFormatError, match=r"all 3 sequences are labelled 0 .* labelled 1\."):
        require_both_classes(ds([0, 0, 0], "binary"))
    with pytest.raises(DataFormatError, match=r"labelled 1 \(a, b\).* labelled 0\."):
        require_both_classes(ds([[1, 1], [1, 1]], "multitask"))
    require_both_classes(ds([[1, 0], [1, 1]], "multitask"))      # task b has both classes
    require_both_classes(ds([1.0, 1.0], "regression"))


@needs_shared_data
def test_real_positives_only_encode_peaks_train_with_shuffled_negatives(tmp_path):
    peaks = SHARED_DATA / "encode_chip" / "GABPA_GM12878_GABP_HudsonAlpha_AC.seq.gz"
    out = tmp_path / "gabpa"
    assert main(["deepbind", str(peaks), "--epochs", "3", "--lr", "3e-3", "--quiet",
                 "--threads", "1", "--shuffled-negatives", "1", "--out", str(out)]) == 0  # ~2 s
    card = checkpoints.read_card(out)
    assert card.dataset.n == 2 * 6066 and card.test_metrics["auroc_mean"] > 0.8  # measured 0.87


def test_data_files_train_on_both_strands_by_default(peaks, tmp_path):
    """Issue 24: DeepBind on real peaks scores both strands (rc_max) and augments with
    reverse complements unless told otherwise; synthetic sets keep their defaults."""
    out = tmp_path / "m"
    assert main(["deepbind", str(peaks), *FAST, "--shuffled-negatives", "1",
                 "--out", str(out)]) == 0
    card = checkpoints.read_card(out)
    assert card.config["rc_max"] is True and card.training["rc_augment"] is True
    assert main(["deepbind", str(peaks), *FAST, "--shuffled-negatives", "1", "--set",
                 "rc_max=false", "--no-rc-augment", "--out", str(tmp_path / "f")]) == 0
    card = checkpoints.read_card(tmp_path / "f")
    assert card.config["rc_max"] is False and card.training["rc_augment"] is False
    assert main(["deepbind", "tf-binding", "--n", "200", *FAST, "--out",
                 str(tmp_path / "s")]) == 0
    card = checkpoints.read_card(tmp_path / "s")
    assert card.config["rc_max"] is False and card.training["rc_augment"] is False
