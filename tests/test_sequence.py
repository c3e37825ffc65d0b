"""Tests for regviz.sequence: parsing, one-hot, reverse complement, shuffles."""

import gzip
from collections import Counter

import numpy as np
import pytest
from support import run_capped, timed

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


# ----------------------------------------------------------------------------- hostile input

MB = 2**20


def gzip_bomb(head: bytes, total_mb: int = 1024) -> bytes:
    """``head`` then ``total_mb`` MB of 'A', gzip-compressed to about a thousandth of that
    (concatenated 16 MB members, which gzip readers join)."""
    member = gzip.compress(b"A" * 16 * MB)
    return gzip.compress(head) + member * (total_mb // 16)


@pytest.mark.parametrize("line", [
    "1 " + "a " * (MB // 2) + "!",         # numbered-looking, spoiled at the end
    "1" + " " * MB + "!",                  # spaces that two patterns could both match
    " " * (MB // 2) + "1" + "\t" * (MB // 2) + "!",
    "1" * MB + " a!",
    "1\t" + "ac\t" * (MB // 3) + "7",
])
@pytest.mark.parametrize("single", [False, True])
@pytest.mark.filterwarnings("ignore::regviz.errors.RegvizWarning")
def test_one_megabyte_adversarial_line_is_refused_in_milliseconds(line, single):
    seconds, error = timed(parse_sequences, line, single=single)
    assert isinstance(error, SequenceError) and "seq1: character" in str(error)
    assert seconds < 1.0, f"{seconds:.3f} s"
    seconds, error = timed(parse_sequences, ">rec\n" + line)
    assert isinstance(error, SequenceError) and str(error).startswith("rec: character")
    assert seconds < 1.0, f"{seconds:.3f} s"


def test_one_megabyte_genbank_numbered_line_is_read_in_milliseconds():
    text = "1 " + "acgtacgtac " * (MB // 11) + "\n" + "99 ggg\n"
    with pytest.warns(RegvizWarning, match="GenBank-style"):
        seconds, error = timed(parse_sequences, text)
    assert error is None and seconds < 1.0, f"{seconds:.3f} s"


def test_digits_are_errors_unless_the_paste_is_genbank_numbered():
    with pytest.raises(SequenceError, match=r"seq1: has only digits, no DNA bases .*Got '12345' "
                                            r"instead"):
        parse_sequences("12345")
    with pytest.raises(SequenceError, match=r"seq2: has only digits"):
        parse_sequences("ACGT\n12345\n")
    with pytest.raises(SequenceError, match=r"seq1: character '1' at position 5 is not a DNA "
                                            r"base .*Digits are removed only when every line"):
        parse_sequences("ACGT1ACGT")
    with pytest.raises(SequenceError, match=r"seq1: character '7' at position 9"):
        parse_sequences("ACGT\nACGT7\n", single=True)
    with pytest.raises(SequenceError, match=r"x: character '3' at position 7"):
        parse_sequences(">x\nACGT\nAC3GT\n")
    with pytest.raises(SequenceError, match=r"seq1: character '1' at position 1"), \
            pytest.warns(RegvizWarning, match="seq1: removed spaces inside the sequence"):
        parse_sequences("1 acgtacgtac\nACGTACGT\n")  # not every line is numbered
    numbered = "        1 acgtacgtac gtacgtacgt\n       21 ttttt\n"
    with pytest.warns(RegvizWarning, match=r"x: removed line numbers and spaces \(GenBank-style"):
        assert parse_sequences(">x\n" + numbered)[0].sequence == "ACGTACGTACGTACGTACGTTTTTT"
    with pytest.warns(RegvizWarning, match="GenBank-style"):
        assert parse_sequences(numbered, single=True)[0].sequence == "ACGTACGTACGTACGTACGTTTTTT"


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f"])
def test_control_characters_in_fasta_headers_are_refused(char):
    text = f">a\nACGT\n>b{char}c desc\nACGT\n"
    with pytest.raises(InputFormatError, match=rf"Line 3: the FASTA header holds control character "
                                               rf"'\\x{ord(char):02x}' at column 3; names and "
                                               r"descriptions may hold printable text and tabs"):
        parse_sequences(text)


def test_tabs_and_old_mac_line_ends_are_still_fine():
    recs = parse_sequences(">a\tsome description\rACGT\r>b\r\nGG\r\n")
    assert [(r.name, r.sequence) for r in recs] == [("a\tsome", "ACGT"), ("b", "GG")]


def test_gzip_bomb_fasta_is_refused_quickly_with_a_capped_memory(tmp_path):
    path = tmp_path / "bomb.fa.gz"
    path.write_bytes(gzip_bomb(b">a\n"))
    assert path.stat().st_size < 2 * MB
    code = f"""if True:
        import time
        from regviz import sequence
        from regviz.errors import InputFormatError
        for read in (lambda: sequence.read_fasta({str(path)!r}),  # the UI's upload line:
                     lambda: sequence.gunzip(open({str(path)!r}, "rb").read(), "bomb.fa.gz")):
            start = time.perf_counter()
            try:
                read()
            except InputFormatError as exc:
                print(f"refused in {{time.perf_counter() - start:.2f}} s: {{exc}}")
        """
    done = run_capped(code, mem_mb=1500, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("bomb.fa.gz unpacks to more than 400 MB") == 2, done.stdout


def test_20_mb_of_iupac_codes_fits_in_a_capped_memory():
    code = """if True:
        import time, warnings
        from regviz.sequence import parse_fasta_bytes
        data = b">amb\\n" + b"\\n".join([b"R" * 60] * (20 * 2**20 // 60))
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rec, = parse_fasta_bytes(data)
        print(len(rec.sequence), set(rec.sequence), len(caught))
        print(caught[0].message)
        print(f"{time.perf_counter() - start:.2f} s")
        """
    done = run_capped(code, mem_mb=1500, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    n = 20 * MB // 60 * 60
    lines = done.stdout.splitlines()
    assert lines[0] == f"{n} {{'N'}} 1", done.stdout
    assert lines[1] == (f"amb: {n} IUPAC ambiguity code(s) read as N (R at 1, R at 2, R at 3 "
                        f"and {n - 3} more).")
