"""Tests for regviz.sequence: parsing, one-hot, reverse complement, shuffles."""

from collections import Counter

import numpy as np
import pytest

from regviz.errors import InputFormatError, RegvizWarning, SequenceError
from regviz.sequence import (decode, dinucleotide_shuffle, gc_content, one_hot, parse_fasta_bytes,
                             parse_sequences, random_sequences, records_table, reverse_complement)


def test_parse_raw_lines_one_sequence_per_line_any_case():
    recs = parse_sequences("acgt\n\nGGCCnn\n")
    assert [r.name for r in recs] == ["seq1", "seq2"]
    assert [r.sequence for r in recs] == ["ACGT", "GGCCNN"]


def test_parse_single_joins_wrapped_lines():
    recs = parse_sequences("ACGT\nTTGG\n", single=True)
    assert len(recs) == 1 and recs[0].sequence == "ACGTTTGG"


def test_parse_multi_record_fasta_with_descriptions_and_wrapping():
    text = ">enh1 chr2L:1-8 test\nACGT\nacgt\n>enh2\n\nGGGG\n"
    recs = parse_sequences(text)
    assert [(r.name, r.sequence, r.description) for r in recs] == [
        ("enh1", "ACGTACGT", "chr2L:1-8 test"), ("enh2", "GGGG", "")]


def test_genbank_numbered_paste_is_one_sequence_with_warning():
    text = "        1 acgtacgtac gtacgtacgt\n       21 ttttt\n"
    with pytest.warns(RegvizWarning, match="GenBank-style"):
        recs = parse_sequences(text)
    assert len(recs) == 1 and recs[0].sequence == "ACGTACGTACGTACGTACGTTTTTT"


def test_rna_u_and_iupac_codes_are_converted_with_warnings():
    with pytest.warns(RegvizWarning, match=r"seq1: read 2 RNA 'U' as 'T'"):
        assert parse_sequences("ACUU")[0].sequence == "ACTT"
    with pytest.warns(RegvizWarning, match=r"x: 2 IUPAC ambiguity code\(s\) read as N \(R at 2, Y at 4\)"):
        assert parse_sequences(">x\nARCYG")[0].sequence == "ANCNG"


def test_bad_character_error_names_record_position_and_character():
    with pytest.raises(SequenceError, match=r"enh2: character 'X' at position 6 is not a DNA base"):
        parse_sequences(">enh1\nACGT\n>enh2\nACGTA\nXGG")
    with pytest.raises(SequenceError, match=r"seq2: character '-' at position 3"):
        parse_sequences("ACGT\nAC-GT")


@pytest.mark.parametrize("text, message", [
    ("", "No sequence given"),
    ("   \n", "No sequence given"),
    ("ACGT\n>x\nACGT", "Line 1: sequence text before the first '>' header"),
    (">a\nACGT\n>b\n", r"b \(line 3\): record has no sequence"),
    (">a\nAC\n>a\nGG", "'a' appears more than once"),
    ("> \nACGT", "Line 1: FASTA header '>' has no name"),
])
def test_bad_input_messages(text, message):
    with pytest.raises(InputFormatError, match=message):
        parse_sequences(text)


def test_uploaded_bytes_errors_name_the_file():
    with pytest.raises(InputFormatError, match=r"img.png: not a text FASTA file"):
        parse_fasta_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe", source="img.png")
    with pytest.raises(InputFormatError, match=r"notes.txt: a FASTA file must start with a '>name'"):
        parse_fasta_bytes(b"hello world", source="notes.txt")
    assert parse_fasta_bytes(b"\xef\xbb\xbf>a\nACGT\r\n")[0].sequence == "ACGT"


def test_one_hot_layout_and_n_encoding():
    X = one_hot(["ACGTN"])
    assert X.shape == (1, 4, 5) and X.dtype == np.float32
    np.testing.assert_array_equal(X[0, :, :4], np.eye(4))
    np.testing.assert_array_equal(X[0, :, 4], [0.25] * 4)
    assert one_hot("acgt").shape == (1, 4, 4)
    with pytest.raises(SequenceError, match="one length; got lengths \\[3, 4\\]"):
        one_hot(["ACG", "ACGT"])
    with pytest.raises(SequenceError, match="sequence 2: character 'R' at position 2"):
        one_hot(["ACG", "ARG"])


def test_one_hot_decode_round_trip_on_random_sequences():
    seqs = random_sequences(20, 57, gc=0.4, seed=1)
    seqs[3] = "N" * 5 + seqs[3][5:]
    assert decode(one_hot(seqs)) == seqs
    assert decode(one_hot(seqs)[0]) == seqs[:1]


def test_reverse_complement_strings_and_arrays_agree():
    seqs = random_sequences(5, 31, seed=2) + ["ACGTN" * 6 + "A"]
    rc = reverse_complement(seqs)
    assert reverse_complement("AACGN") == "NCGTT"
    assert reverse_complement(rc) == seqs
    X = one_hot(seqs)
    np.testing.assert_array_equal(reverse_complement(X), one_hot(rc))
    import torch
    assert torch.equal(reverse_complement(torch.from_numpy(X)), torch.from_numpy(one_hot(rc)))


def _dinucs(s):
    return Counter(s[i:i + 2] for i in range(len(s) - 1))


@pytest.mark.parametrize("seed", range(25))
def test_dinucleotide_shuffle_preserves_counts_exactly(seed):
    seq = random_sequences(1, 200, gc=0.3 + 0.02 * seed, seed=seed)[0]
    shuffles = dinucleotide_shuffle(seq, n=4, seed=seed)
    for s in shuffles:
        assert len(s) == len(seq) and s[0] == seq[0] and s[-1] == seq[-1]
        assert _dinucs(s) == _dinucs(seq)
    assert any(s != seq for s in shuffles)


def test_dinucleotide_shuffle_is_seeded_and_handles_edge_cases():
    seq = "ACGTTGCAAGGCTTANNACG"
    assert dinucleotide_shuffle(seq, 3, seed=7) == dinucleotide_shuffle(seq, 3, seed=7)
    assert dinucleotide_shuffle(seq, 3, seed=7) != dinucleotide_shuffle(seq, 3, seed=8)
    assert dinucleotide_shuffle("AAAA", 2, seed=0) == ["AAAA", "AAAA"]
    assert dinucleotide_shuffle("AC", 1, seed=0) == ["AC"]


def test_random_sequences_reach_requested_gc():
    seqs = random_sequences(50, 1000, gc=0.7, seed=0)
    assert abs(np.mean([gc_content(s) for s in seqs]) - 0.7) < 0.01
    assert random_sequences(2, 10, seed=3) == random_sequences(2, 10, seed=3)
    with pytest.raises(SequenceError, match="gc must be a fraction between 0 and 1; got 1.5"):
        random_sequences(1, 10, gc=1.5)


def test_records_table_columns():
    table = records_table(parse_sequences(">a\nGGCCNNAT\n>b\nAT"))
    assert list(table.columns) == ["name", "length", "GC", "N count"]
    assert table.to_dict("records") == [
        {"name": "a", "length": 8, "GC": 0.6667, "N count": 2},
        {"name": "b", "length": 2, "GC": 0.0, "N count": 0}]
