"""Tests for regviz.data: users' FASTA/CSV/TSV/BED datasets, length policies, torch access."""

import gzip
import io
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
from support import run_capped, timed

from regviz.data import (TorchDataset, add_shuffled_negatives, dataloader, dataset_table,
                         infer_task_kind, load_dataset, read_bed_dataset, read_labeled_fasta,
                         read_table, summarize)
from regviz.errors import (DataFormatError, InputFormatError, RegvizError, RegvizWarning,
                           SequenceError)
from regviz.genome import Genome, write_fasta
from regviz.sequence import reverse_complement

RNG = np.random.default_rng(3)


def dna(n):
    return "".join(RNG.choice(list("ACGT"), n))


S1, S2, S3 = dna(12), dna(12), dna(12)
CHR1, CHR8, CHR9 = dna(300), dna(200), dna(200)
ENCODE_TEST = Path(__file__).resolve().parents[2] / "shared/data/deepbind/encode_test"


class Upload:
    """Stands in for Streamlit's UploadedFile (.name, .getvalue())."""

    def __init__(self, name, data):
        self.name, self._data = name, data

    def getvalue(self):
        return self._data


# ----------------------------------------------------------------------------- FASTA

@pytest.mark.parametrize("headers, tasks, y, kind", [
    ((">a 1", ">b 0"), ["label"], [[1], [0]], "binary"),
    ((">a|1", ">b|0"), ["label"], [[1], [0]], "binary"),
    ((">a label=1", ">b label=0"), ["label"], [[1], [0]], "binary"),
    ((">a 0.53 1.2", ">b -1 2e-1"), ["label1", "label2"], [[0.53, 1.2], [-1, 0.2]], "regression"),
    ((">a|0.53|1.2", ">b|-1|0.2"), ["label1", "label2"], [[0.53, 1.2], [-1, 0.2]], "regression"),
    ((">a Dev=1.2 Hk=0.3", ">b Hk=0.5 Dev=2"), ["Dev", "Hk"], [[1.2, 0.3], [2, 0.5]], "regression"),
    ((">a 1 0", ">b\t0\t1"), ["label1", "label2"], [[1, 0], [0, 1]], "multitask"),
])
def test_fasta_header_forms(headers, tasks, y, kind):
    text = f"{headers[0]}\n{S1[:6]}\n{S1[6:].lower()}\n{headers[1]}\n{S2}\n"
    ds = read_labeled_fasta(text.encode(), name="peaks.fa")
    assert ds.seqs == [S1, S2] and ds.meta["names"] == ["a", "b"]
    assert ds.task_names == tasks and ds.task_kind == kind and ds.name == "peaks"
    np.testing.assert_allclose(ds.y, np.array(y, dtype=np.float32))
    assert ds.y.dtype == np.float32 and ds.meta["lines"] == [1, 4]


@pytest.mark.parametrize("text, message", [
    (f">a 1\n{S1}\n>b\n{S2}\n", r"peaks.fa, line 3 \('>b'\): the header has no label\. Accepted"),
    (f">a 1\n{S1}\n>b 1 0\n{S2}\n", r"line 3 .*has labels \(2 unnamed\) but the first record "
                                    r"\(line 1\) has \(1 unnamed\)"),
    (f">a x=1\n{S1}\n>b y=1\n{S2}\n", r"line 3 .*has labels \(y\) but the first record"),
    (f">a x=1 2\n{S1}\n", r"line 1 .*mixes named \(key=value\) and unnamed labels"),
    (f">a x=1 x=2\n{S1}\n", r"line 1 .*or repeats a name"),
    (f">a 1\n{S1}\n>b NA\n{S2}\n", r"peaks.fa, line 3 \('>b NA'\): the label is missing.*"
                                   r"Got 'NA' instead\."),
    (f">a 1\n{S1}\n>b bound\n{S2}\n", r"line 3 \('>b bound'\): the label must be a number "
                                      r"\(e\.g\. 0, 1 or 0\.53\)\. Got 'bound' instead\."),
    (f">a 1\n{S1}\n>c 1\n{S3}\n>a 0\n{S2}\n", r"the name 'a' appears twice \(lines 1 and 5\)"),
    (f">a|1\n{S1}\n>a|0\n{S2}\n", r"the name 'a' appears twice \(lines 1 and 3\)"),
    (f"{S1}\n", r"peaks.fa: a FASTA file must start with a '>name' header line"),
])
def test_fasta_errors(text, message):
    with pytest.raises(DataFormatError, match=message):
        read_labeled_fasta(text.encode(), name="peaks.fa")


def test_fasta_bad_character_gives_line_column_and_position():
    text = f">a 1\n{S1}\n>b 0\nACGTAC\nGGXTAC\n"
    with pytest.raises(SequenceError, match=r"peaks.fa, line 5, column 3: b: character 'X' at "
                                            r"position 9 is not a DNA base"):
        read_labeled_fasta(text.encode(), name="peaks.fa")


def test_fasta_structure_errors_come_from_sequence_parser_with_file_name():
    with pytest.raises(InputFormatError, match=r"peaks.fa: b \(line 3\): record has no sequence"):
        read_labeled_fasta(f">a 1\n{S1}\n>b 0\n\n".encode(), name="peaks.fa")


def test_conversions_are_summarised_in_one_warning():
    text = f">a 1\n{S1[:-1]}U\n>b 0\n{S2[:-1]}R\n"
    with pytest.warns(RegvizWarning, match=r"x.fa: a: read 1 RNA 'U' as 'T'\. \(and 1 more\)"):
        ds = read_labeled_fasta(text.encode(), name="x.fa")
    assert ds.seqs == [S1[:-1] + "T", S2[:-1] + "N"] and ds.meta["n_changed_on_reading"] == 2


# ----------------------------------------------------------------------------- tables

def test_csv_and_tsv_are_sniffed_with_id_text_and_coordinate_columns_ignored():
    rows = [("a", "chr1", "100", S1, "1", "0.5"), ("b", "chr2", "200", S2, "0", "1.5")]
    for sep in (",", "\t", ";"):
        text = sep.join(("name", "chrom", "start", "Sequence", "Bound", "signal")) + "\n\n" + \
            "\n".join(sep.join(r) for r in rows) + "\n"
        ds = read_table(text.encode(), name="t.txt")
        assert ds.seqs == [S1, S2] and ds.meta["names"] == ["a", "b"]
        assert ds.task_names == ["Bound", "signal"] and ds.task_kind == "regression"
        assert ds.meta["columns"] == {"sequence": "Sequence", "id": "name",
                                      "labels": ["Bound", "signal"]}
        assert ds.meta["lines"] == [3, 4]


def test_table_sequence_column_found_by_content_gz_and_headerless(tmp_path):
    path = tmp_path / "activity.tsv.gz"
    path.write_bytes(gzip.compress(f"x\ty\n{S1}\t0.1\n{S2}\t2\n".encode()))
    ds = load_dataset(path)
    assert ds.seqs == [S1, S2] and ds.task_names == ["y"] and ds.meta["names"] == ["seq1", "seq2"]
    assert ds.name == "activity" and ds.meta["format"] == "table"
    bare = read_table(f"{S1} 1\n{S2} 0\n".encode(), name="bare.txt")
    assert bare.task_names == ["col2"] and bare.task_kind == "binary"
    assert bare.meta["lines"] == [1, 2]


def test_table_label_cols_forced_and_missing_column_named():
    text = f"seq,a,b\n{S1},1,5\n{S2},0,6\n"
    assert read_table(text.encode(), label_cols="a").task_names == ["a"]
    with pytest.raises(DataFormatError, match=r"upload: no column named 'c' for the labels; "
                                              r"the columns are seq, a, b\."):
        read_table(text.encode(), label_cols=["c"])


@pytest.mark.parametrize("text, error, message", [
    ("seq,y\n", DataFormatError, r"t.csv: has a header line but no rows of data\."),
    (f"seq,y\n{S1},1\n{S2}\n", DataFormatError, r"t.csv, line 3: has 1 fields but the header "
                                                r"has 2 \(seq, y\)\."),
    (f"seq,y\n{S1},1\n{S2},\n", DataFormatError, r"t.csv, line 3 \(seq2\): the label in column "
                                                 r"'y' is missing\."),
    (f"seq,y\n{S1},1\n{S2},high\n", DataFormatError, r"t.csv, line 3 \(seq2\): the label in "
                                                     r"column 'y' must be a number.*Got 'high'"),
    (f"id,seq,y\nr1,{S1},1\nr2,ACGTZ,0\n", SequenceError, r"t.csv, line 3: r2: character 'Z' "
                                                          r"at position 5 is not a DNA base"),
    (f"id,seq,y\nr1,{S1},1\nr2,{S2},0\nr1,{S3},1\n", DataFormatError,
     r"t.csv: the name 'r1' appears twice \(lines 2 and 4\); sequence names must be unique\."),
    ("id,seq,y\nr1,,1\n", DataFormatError, r"t.csv, line 2 \(r1\): the sequence in column "
                                             r"'seq' is empty\."),
    ("a,b\nx,1\n", DataFormatError, r"no sequence column found; name it 'seq' or 'sequence', "
                                    r"or pass seq_col=\. Columns: a, b\."),
    (f"seq,note\n{S1},x\n", DataFormatError, r"no label column with numbers found"),
    ("  \n\n", DataFormatError, r"t.csv is empty: expected FASTA"),
    (b"\xff\xfe\x00", DataFormatError, r"t.csv: not a text file \(byte 1 is not UTF-8 text\)"),
])
def test_table_errors(text, error, message):
    data = text if isinstance(text, bytes) else text.encode()
    with pytest.raises(error, match=message):
        load_dataset(data, name="t.csv")


def test_encode_layout_tiny_table():
    text = "FoldID\tEventID\tseq\tBound\n" + "".join(
        f"A\tseq_{k:05d}_peak\t{dna(101)}\t{k % 2}\n" for k in range(20))
    ds = load_dataset(Upload("TF_B.seq.gz", gzip.compress(text.encode())))
    assert ds.name == "TF_B" and len(ds) == 20 and ds.length == 101
    assert ds.task_names == ["Bound"] and ds.task_kind == "binary"
    assert ds.meta["names"][0] == "seq_00000_peak"
    assert {k: len(v) for k, v in ds.splits.items()} == {"train": 16, "valid": 2, "test": 2}


@pytest.mark.skipif(not ENCODE_TEST.is_dir(), reason="shared/data/deepbind/encode_test absent "
                                                     "(real data lives outside the repository)")
def test_real_encode_test_file():
    ds = load_dataset(ENCODE_TEST / "REST_GM12878_NRSF_HudsonAlpha_B.seq.gz")
    assert len(ds) == 1000 and ds.length == 101 and ds.task_kind == "binary"
    assert Counter(ds.y[:, 0].tolist()) == {0.0: 500, 1.0: 500}


# ----------------------------------------------------------------------------- BED

@pytest.fixture
def genome_path(tmp_path):
    path = tmp_path / "genome.fa"
    write_fasta([("chr1", CHR1), ("chr8", CHR8), ("chr9", CHR9)], path, line_width=50)
    return path


BED = ("chrom\tstart\tend\tname\tDev\tstrand\tHk\n"
       "chr1\t100\t120\tp1\t1.5\t+\t0.1\n"
       "chr1\t150\t151\tp2\t2\t-\t0.2\n"
       "chr8\t50\t70\tp3\t0\t.\t0.3\n"
       "chr9\t60\t100\tp4\t3\t.\t0.4\n")


def test_bed_windows_centred_labels_strand_and_chrom_split(genome_path):
    ds = load_dataset(BED.encode(), name="peaks.bed", genome=genome_path, length=40,
                      split_by_chrom={"valid": ["chr8"], "test": ["chr9"]})
    assert ds.task_names == ["Dev", "Hk"] and ds.task_kind == "regression"
    assert ds.seqs == [CHR1[90:130], reverse_complement(CHR1[130:170]), CHR8[40:80], CHR9[60:100]]
    assert ds.meta["regions"][0] == "chr1:91-130" and ds.meta["lines"] == [2, 3, 4, 5]
    np.testing.assert_allclose(ds.y, [[1.5, .1], [2, .2], [0, .3], [3, .4]], rtol=1e-6)
    assert {k: v.tolist() for k, v in ds.splits.items()} == {"train": [0, 1], "valid": [2],
                                                            "test": [3]}
    plus = read_bed_dataset(BED.encode(), genome_path, length=40, use_strand=False)
    assert plus.seqs[1] == CHR1[130:170] and plus.meta["split"]["random"]["seed"] == 0


@pytest.mark.parametrize("edge, expected", [
    ("pad", ["N" * 10 + CHR1[:30], "N" * 0 + CHR1[90:130], CHR1[270:] + "N" * 10]),
    ("shift", [CHR1[:40], CHR1[90:130], CHR1[260:]]),
    ("drop", [CHR1[90:130]]),
])
def test_bed_windows_near_contig_ends(genome_path, edge, expected):
    bed = "chr1\t5\t15\ta\t1\nchr1\t100\t120\tb\t0\nchr1\t285\t295\tc\t1\n"
    with pytest.warns(RegvizWarning, match=rf"2 window\(s\) ran past a contig end \(edge='{edge}'"):
        ds = read_bed_dataset(bed.encode(), genome_path, length=40, edge=edge)
    assert ds.seqs == expected and all(len(s) == 40 for s in ds.seqs)
    assert ds.meta["edge"] == {"policy": edge, "n_past_contig_end": 2}
    if edge == "pad":
        assert ds.meta["regions"] == ["chr1:1-30", "chr1:91-130", "chr1:271-300"]


def test_bed_errors(genome_path):
    with pytest.raises(DataFormatError, match=r"upload, line 1: the 40 bp window around "
                                              r"chr1:6-15 runs past the end of chr1"):
        read_bed_dataset(b"chr1\t5\t15\ta\t1\n", genome_path, length=40, edge="error")
    with pytest.raises(DataFormatError, match=r"line 2: Contig 'chrX' is not in genome.fa"):
        read_bed_dataset(b"chr1\t5\t15\ta\t1\nchrX\t5\t15\tb\t1\n", Genome(genome_path), length=4)
    with pytest.raises(DataFormatError, match=r"upload, line 2: the label in column 5 is missing"):
        read_bed_dataset(b"chr1\t5\t15\ta\t1\nchr1\t5\t15\tb\t.\n", genome_path, length=4)
    with pytest.raises(DataFormatError, match=r"intervals have widths 10-20 bp; pass length="):
        read_bed_dataset(b"chr1\t5\t15\ta\t1\nchr1\t5\t25\tb\t1\n", genome_path)
    with pytest.raises(DataFormatError, match=r"label columns must be BED columns 5 to 4"):
        read_bed_dataset(b"chr1\t5\t15\ta\n", genome_path)
    with pytest.raises(DataFormatError, match=r"contigs of the BED \(chr1, chr8, chr9\); got "
                                              r"\{'valid': \['8'\]\} instead"):
        read_bed_dataset(BED.encode(), genome_path, length=10, split_by_chrom={"valid": ["8"]})
    with pytest.raises(DataFormatError, match=r"peaks.bed: BED input needs genome="):
        load_dataset(BED.encode(), name="peaks.bed")
    with pytest.raises(DataFormatError, match=r"x.fa was read as fasta; a genome is only used"):
        load_dataset(b">a 1\nACGT\n", name="x.fa", genome=genome_path)


# ----------------------------------------------------------------------------- tasks, lengths

@pytest.mark.parametrize("y, kind", [([1, 0, 1], "binary"), ([[1.0], [1.0]], "binary"),
                                     ([[1, 0], [0, 0]], "multitask"), ([0, 0.5], "regression"),
                                     ([[0, 2], [1, 1]], "regression")])
def test_infer_task_kind(y, kind):
    assert infer_task_kind(np.array(y)) == kind


def test_forced_task_kind():
    text = f">a 1 0\n{S1}\n>b 0 1\n{S2}\n".encode()
    ds = read_labeled_fasta(text, task_kind="regression")
    assert ds.task_kind == "regression" and ds.meta["task_kind_inferred"] == "multitask"
    with pytest.raises(DataFormatError, match=r"task_kind='binary' is one label column; this "
                                              r"file has 2 \(label1, label2\)\. Use 'multitask'"):
        read_labeled_fasta(text, task_kind="binary")
    with pytest.raises(DataFormatError, match=r"task_kind='binary' needs labels 0 or 1, but a "
                                              r"\(line 1\) has label=0\.5"):
        read_labeled_fasta(f">a 0.5\n{S1}\n".encode(), task_kind="binary")
    with pytest.raises(DataFormatError, match=r"task_kind must be None \(infer\) or one of"):
        read_labeled_fasta(text, task_kind="classification")


MIXED = f">a 1\n{'A' * 10}\n>b 0\n{'C' * 7}\n>c 1\n{'GT' * 6}\n>d 0\n{'T' * 10}\n".encode()


def test_length_error_lists_range_and_options():
    with pytest.raises(DataFormatError, match=r"m.fa: sequences must all be 12 bp but they are "
                                              r"7-12 bp \(e\.g\. a on line 1 is 10 bp\)\. Choose "
                                              r"length_policy='crop' .*'pad' .*'crop_or_pad'"):
        read_labeled_fasta(MIXED, name="m.fa")
    with pytest.raises(DataFormatError, match=r"must be at least 10 bp to crop but they are 7-12 "
                                              r"bp \(e\.g\. b on line 3 is 7 bp\)"):
        read_labeled_fasta(MIXED, name="m.fa", length_policy="crop", length=10)
    with pytest.raises(DataFormatError, match=r"must all be 11 bp but they are 12 bp \(e\.g\. a"):
        read_labeled_fasta(f">a 1\n{S1}\n>b 0\n{S2}\n".encode(), length=11)
    with pytest.raises(DataFormatError, match=r"length_policy must be one of \('error', 'crop', "
                                              r"'pad', 'crop_or_pad'\); got 'trim' instead\."):
        read_labeled_fasta(MIXED, length_policy="trim")


@pytest.mark.parametrize("policy, length, seqs, cropped, padded", [
    ("crop", None, ["A" * 7, "C" * 7, "GTGTGTG", "T" * 7], 3, 0),
    ("pad", None, ["NAAAAAAAAAAN", "NNCCCCCCCNNN", "GT" * 6, "NTTTTTTTTTTN"], 0, 3),
    ("crop_or_pad", None, ["A" * 10, "NCCCCCCCNN", "TGTGTGTGTG", "T" * 10], 1, 1),
    ("crop_or_pad", 8, ["A" * 8, "CCCCCCCN", "GTGTGTGT", "T" * 8], 3, 1),
])
def test_length_policies_recorded(policy, length, seqs, cropped, padded):
    with pytest.warns(RegvizWarning, match=rf"{cropped} sequence\(s\) centre-cropped and "
                                           rf"{padded} padded"):
        ds = read_labeled_fasta(MIXED, length_policy=policy, length=length)
    assert ds.seqs == seqs
    info = ds.meta["length_policy"]
    assert (info["policy"], info["n_cropped"], info["n_padded"]) == (policy, cropped, padded)
    assert (info["min_length"], info["max_length"], info["length"]) == (7, 12, len(seqs[0]))


# ----------------------------------------------------------------------------- inputs, summary

def test_input_kinds_and_format_sniffing(tmp_path):
    fasta = f">a 1\n{S1}\n>b 0\n{S2}\n"
    (tmp_path / "d.fasta").write_text(fasta)
    for source in (tmp_path / "d.fasta", str(tmp_path / "d.fasta"), fasta.encode(), fasta,
                   io.StringIO(fasta), io.BytesIO(fasta.encode()), Upload("d.txt", fasta.encode())):
        ds = load_dataset(source)
        assert ds.seqs == [S1, S2] and ds.meta["format"] == "fasta"
    assert load_dataset(f"seq\ty\n{S1}\t1\n".encode(), name="d.txt").meta["format"] == "table"
    with pytest.raises(DataFormatError, match=r"Data file not found: .*missing\.csv"):
        load_dataset(tmp_path / "missing.csv")
    with pytest.raises(DataFormatError, match=r"fmt must be 'fasta', 'table' or 'bed'; got 'xls'"):
        load_dataset(fasta, fmt="xls")
    assert issubclass(DataFormatError, (RegvizError, ValueError))


def test_summarize_binary_and_regression():
    ds = read_table(f"seq,y\n{'GGCC' * 3},1\n{'AATT' * 3},0\n{'GCAT' * 3},1\nACGTNNNNACGT,1\n"
                    .encode(), valid=0.25, test=0.25)
    s = summarize(ds)
    assert (s["n"], s["length"], s["task_kind"], s["n_with_N"]) == (4, 12, "binary", 1)
    assert s["gc_mean"] == pytest.approx((1 + 0 + 0.5 + 0.5) / 4)
    assert s["splits"] == {"train": 2, "valid": 1, "test": 1}
    assert s["labels"].to_dict("records") == [{"task": "y", "n": 4, "positives": 3,
                                               "positive_fraction": 0.75}]
    reg = summarize(read_labeled_fasta(f">a 1 2\n{S1}\n>b 3 4\n{S2}\n".encode()))["labels"]
    assert reg[["mean", "std", "min", "max"]].values.tolist() == [[2, 1, 1, 3], [3, 1, 2, 4]]


# ----------------------------------------------------------------------------- negatives, torch

def test_shuffled_negatives_keep_dinucleotides_and_splits():
    seqs = [dna(50) for _ in range(10)]
    text = "".join(f">p{k} 1\n{s}\n" for k, s in enumerate(seqs)).encode()
    pos = read_labeled_fasta(text)
    both = add_shuffled_negatives(pos, seed=1)
    assert len(both) == 20 and both.task_kind == "binary"
    assert both.y[:10, 0].tolist() == [1] * 10 and both.y[10:, 0].tolist() == [0] * 10
    for s, t in zip(seqs, both.seqs[10:]):
        assert Counter(zip(s, s[1:])) == Counter(zip(t, t[1:])) and s != t
    assert both.meta["names"][10] == "p0_shuf1" and both.meta["negatives"]["n_added"] == 10
    for split, idx in pos.splits.items():
        assert both.splits[split].tolist() == sorted([*idx, *(idx + 10)])
    assert add_shuffled_negatives(pos, seed=1).seqs == both.seqs
    assert len(add_shuffled_negatives(pos, n_per_positive=3)) == 40
    with pytest.raises(DataFormatError, match=r"needs a binary dataset .*got task_kind="
                                              r"'regression' instead"):
        add_shuffled_negatives(read_labeled_fasta(f">a 0.5\n{S1}\n".encode()))


def test_torch_dataset_and_dataloader():
    text = "seq,a,b\n" + "".join(f"{dna(30)},{k % 2},{(k + 1) % 2}\n" for k in range(40))
    ds = read_table(text.encode())
    tds = TorchDataset(ds, "train")
    X, y = tds[0]
    assert len(tds) == 32 and X.shape == (4, 30) and y.shape == (2,)
    assert X.dtype == torch.float32 and y.dtype == torch.float32
    assert torch.equal(tds.X.sum(1), torch.ones(32, 30))
    batches = list(dataloader(ds, "train", batch_size=10, seed=0))
    assert [b[0].shape for b in batches] == [(10, 4, 30)] * 3 + [(2, 4, 30)]
    order = [b[1] for b in dataloader(ds, "train", batch_size=10, seed=0)]
    assert all(torch.equal(a[1], b) for a, b in zip(batches, order))
    valid = next(iter(dataloader(ds, "valid", batch_size=64)))
    assert torch.equal(valid[1], torch.from_numpy(ds.y[ds.splits["valid"]]))
    with pytest.raises(DataFormatError, match=r"Unknown split 'dev'"):
        TorchDataset(ds, "dev")


def test_dataset_table_has_one_row_per_sequence_with_its_split():
    ds = read_table("id,seq,Bound\n" + "".join(f"s{i},{'ACGT' * 3},{i % 2}\n" for i in range(10)),
                    name="t.csv")
    table = dataset_table(ds)
    assert list(table.columns) == ["index", "name", "split", "Bound", "sequence"]
    assert table["name"].tolist() == [f"s{i}" for i in range(10)]
    assert sorted(set(table["split"])) == sorted(ds.splits)
    for split, idx in ds.splits.items():
        assert (table.loc[idx, "split"] == split).all()


# ----------------------------------------------------------------------------- hostile input

MB = 2**20


@pytest.mark.parametrize("label", ["1" * MB + "x", "1" * MB + "." + "1" * MB + "x",
                                   "1e" + "1" * MB + "x", "-." + "1" * MB + "e+x"])
def test_one_megabyte_label_in_a_fasta_header_is_refused_in_milliseconds(label):
    seconds, error = timed(read_labeled_fasta, f">a {label}\n{S1}\n".encode(), name="p.fa")
    assert isinstance(error, DataFormatError), error
    assert re.search(r"p.fa, line 1 .*the label must be a number .*Got '[-.1e]{40}'\.\.\. "
                     r"instead\.$", str(error))
    assert len(str(error)) < 400 and seconds < 1.0, f"{seconds:.3f} s"


@pytest.mark.parametrize("sep", [",", "\t", None])
def test_huge_number_cells_in_a_table_are_refused_in_milliseconds(sep):
    gap = sep or " "
    near_limit = "1" * 100_000 + "x"  # under the cell limits: the number pattern runs on it
    text = gap.join(("id", "seq", "y")) + "\n" + gap.join((near_limit, S1, "1")) + "\n" + \
        gap.join(("b", S2, near_limit)) + "\n"
    seconds, error = timed(read_table, text.encode(), name="t.csv", sep=sep)
    assert isinstance(error, DataFormatError), error
    assert "t.csv, line 3 (b): the label in column 'y' must be a number" in str(error)
    assert seconds < 1.0, f"{seconds:.3f} s"
    huge = gap.join(("seq", "y")) + "\n" + gap.join((S1, "1" * MB + "x")) + "\n"
    seconds, error = timed(read_table, huge.encode(), name="t.csv", sep=sep)
    assert isinstance(error, DataFormatError), error
    assert re.match(r"t.csv, line 2: a field is longer than 250,000 characters", str(error))
    assert seconds < 1.0, f"{seconds:.3f} s"


def test_csv_errors_become_data_format_errors_naming_file_and_line():
    quoted = f'seq,y\n{S1},1\n"{"A" * MB}",0\n'  # one quoted field past the cell limit
    with pytest.raises(DataFormatError, match=r"big.csv, line 3: a field is longer than "
                                              r"250,000 characters, the most a table cell"):
        load_dataset(quoted.encode(), name="big.csv")
    mac = read_table(f"seq,y\r{S1},1\r{S2},0\r".encode(), name="mac.csv")  # \r line ends
    assert mac.seqs == [S1, S2] and mac.meta["lines"] == [2, 3]
    damaged = bytearray(gzip.compress(f"seq,y\n{S1},1\n".encode()))
    damaged[-6] ^= 0xFF  # the CRC no longer matches
    with pytest.raises(DataFormatError, match=r"x.csv.gz: damaged gzip file"):
        load_dataset(bytes(damaged), name="x.csv.gz")


def test_truncated_gzip_is_refused_not_read_in_part():
    packed = gzip.compress(("seq,y\n" + "".join(f"{dna(20)},{k % 2}\n" for k in range(2000)))
                           .encode())
    with pytest.raises(DataFormatError, match=r"x\.csv\.gz: .*gzip"):
        load_dataset(packed[:len(packed) // 2], name="x.csv.gz")


def test_control_character_in_a_labelled_fasta_header_names_file_and_line():
    with pytest.raises(InputFormatError, match=r"up.fa, line 3: the FASTA header holds control "
                                               r"character '\\x00' at column 3"):
        read_labeled_fasta(f">a 1\n{S1}\n>b\x00 0\n{S2}\n".encode(), name="up.fa")


def test_digit_in_a_labelled_fasta_sequence_names_line_and_column():
    with pytest.raises(SequenceError, match=r"p.fa, line 5, column 2: b: character '7' at "
                                            r"position 8 is not a DNA base"):
        read_labeled_fasta(f">a 1\n{S1}\n>b 0\nACGTAC\nG7TAC\n".encode(), name="p.fa")
    numbered = ">b 0\n  1 acgtac gtac\n 11 ttXt\n"  # GenBank-numbered record, bad base
    with pytest.raises(SequenceError, match=r"p.fa, line 5, column 3: b: character 'X' at "):
        read_labeled_fasta(f">a 1\n{S1}\n{numbered}".encode(), name="p.fa")


def test_gzip_bomb_dataset_is_refused_quickly_with_a_capped_memory(tmp_path):
    path = tmp_path / "bomb.csv.gz"
    member = gzip.compress(b"A" * 16 * MB)  # 64 concatenated members: 1 GB of 'A'
    path.write_bytes(gzip.compress(f"seq,y\n{S1},1\n".encode()) + member * 64)
    assert path.stat().st_size < 2 * MB
    # importing regviz.data (torch) takes ~0.9 GB of the 1.5 GB; the default cap is 400 MB
    code = f"""if True:
        import time
        from regviz.data import load_dataset
        from regviz.errors import DataFormatError
        start = time.perf_counter()
        try:
            load_dataset({str(path)!r})
        except DataFormatError as exc:
            print(f"refused in {{time.perf_counter() - start:.2f}} s: {{exc}}")
        """
    done = run_capped(code, mem_mb=1500, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "bomb.csv.gz unpacks to more than 400 MB" in done.stdout, done.stdout


def test_unnamed_sequences_are_named_by_their_0_based_index():
    from regviz.data.prepare import dataset_table
    from regviz.simulate import make_dataset
    table = dataset_table(make_dataset("tf-binding", n=20, seed=0))
    assert (table["name"] == [f"seq{k}" for k in table["index"]]).all()
