"""Tests for regviz.genome: region strings, BED, FASTA access, tiling, demo genome."""

import os
import warnings

import numpy as np
import pytest

import regviz.genome as genome_module
from regviz.errors import GenomeFileError, RegionError, RegvizError, RegvizWarning
from regviz.genome import (Genome, Region, demo_genome_path, make_demo_genome, parse_bed,
                           parse_region, read_bed, reverse_complement, tile, write_bed,
                           write_fasta)

RNG = np.random.default_rng(7)
CHR2L = "".join(RNG.choice(list("ACGT"), 250))
CHR3R = "".join(RNG.choice(list("ACGT"), 90))


@pytest.fixture
def fasta(tmp_path):
    path = tmp_path / "genome.fa"
    write_fasta([("chr2L", CHR2L.lower()), ("chr3R", CHR3R)], path, line_width=60)
    return path


# ---------------------------------------------------------------- region strings

@pytest.mark.parametrize("text", ["chr2L:1,001-5,000", "chr2L:1001-5000", " chr2L : 1,001 - 5,000 ",
                                  "chr2L:1001\u20135000", "chr2L:1,001\u20145,000"])
def test_parse_region_forms(text):
    region = parse_region(text)
    assert (region.chrom, region.start, region.end, region.length) == ("chr2L", 1000, 5000, 4000)
    assert region.to_string() == "chr2L:1,001-5,000"


def test_parse_region_one_based_conversion_and_round_trip():
    region = parse_region("chr1:1-10")
    assert (region.start, region.end, region.length) == (0, 10, 10)
    assert parse_region(region.to_string()) == region
    assert Region("chrX", 1000, 5000).to_string() == "chrX:1,001-5,000"
    assert Region("chrX", 1000, 5000).to_bed_fields() == ["chrX", 1000, 5000]


def test_parse_region_single_base_and_whole_contig():
    single = parse_region("chr2L:1,001")
    assert (single.start, single.end, single.length) == (1000, 1001, 1)
    whole = parse_region("chr2L")
    assert (whole.chrom, whole.start, whole.end, whole.length) == ("chr2L", 0, None, None)
    assert whole.to_string() == "chr2L"
    with pytest.raises(RegionError, match="resolve it against a genome"):
        whole.to_bed_fields()


@pytest.mark.parametrize("text, message", [
    ("", r"^Region is empty\. Expected contig:start-end, 1-based inclusive, e\.g\. chr2L:1,001-5,000\.$"),
    ("   ", r"^Region is empty\."),
    (":1-10", r"^Region ':1-10' has no contig name before ':'\. Expected contig:start-end"),
    ("chr1:10-5", r"^Region 'chr1:10-5': start \(10\) is after end \(5\)\. Expected contig:start-end"),
    ("chr1:0-5", r"^Region 'chr1:0-5': start 0 is before the first base; positions are 1-based; "
                 r"the first base is 1\.$"),
    ("chr1:abc-10", r"^Region 'chr1:abc-10': the start position must be a whole number; got 'abc' "
                    r"instead\. Expected contig:start-end, 1-based inclusive, e\.g\. chr2L:1,001-5,000\.$"),
    ("chr1:5-", r"the end position must be a whole number; got nothing instead"),
    ("chr1:", r"the start position must be a whole number; got nothing instead"),
    ("chr1:1.5-10", r"got '1\.5' instead"),
])
def test_parse_region_errors(text, message):
    with pytest.raises(RegionError, match=message):
        parse_region(text)


def test_region_errors_are_value_errors():
    with pytest.raises(ValueError):
        parse_region("chr1:x")
    with pytest.raises(RegionError, match="before its start"):
        Region("chr1", 10, 5)
    with pytest.raises(RegionError, match=r"whole-contig region \(end=None\) starts at 0"):
        Region("chr1", 10)


# ---------------------------------------------------------------- BED

BED = """track name=peaks
browser position chr2L:1-100
# a comment

chr2L\t10\t20\tpeak1\t900\t+
chr2L\t30\t40
chr3R\t0\t5\t.\t0\t-\textra
"""


def test_parse_bed_skips_headers_keeps_columns():
    regions = parse_bed(BED)
    assert [(r.chrom, r.start, r.end, r.name) for r in regions] == [
        ("chr2L", 10, 20, "peak1"), ("chr2L", 30, 40, None), ("chr3R", 0, 5, None)]
    assert regions[0].extra == ("900", "+") and regions[2].extra == ("0", "-", "extra")
    assert regions[0].to_string() == "chr2L:11-20"
    assert regions[0].to_bed_fields() == ["chr2L", 10, 20, "peak1", "900", "+"]


def test_parse_bed_from_path_bytes_and_column_header(tmp_path):
    path = tmp_path / "peaks.bed"
    path.write_text("chrom\tstart\tend\nchr1\t5\t15\n")
    assert parse_bed(path) == parse_bed(str(path)) == [Region("chr1", 5, 15)]
    assert parse_bed(b"chr1 5 15 p\n") == [Region("chr1", 5, 15, "p")]
    with pytest.raises(GenomeFileError, match="BED file not found"):
        parse_bed(tmp_path / "missing.bed")
    spaced = tmp_path / "my peaks file.bed"  # a path with spaces is still a path
    spaced.write_text("chr1 5 15\n")
    assert parse_bed(str(spaced)) == [Region("chr1", 5, 15)]


def test_read_bed_dataframe():
    frame = read_bed(BED)
    assert list(frame.columns[:6]) == ["chrom", "start", "end", "name", "score", "strand"]
    assert frame["start"].tolist() == [10, 30, 0] and frame["name"].tolist()[0] == "peak1"


@pytest.mark.parametrize("line, message", [
    ("chr1\t5", r"^BED line 3 has 2 column\(s\); BED needs at least 3"),
    ("chr1\tfive\t10", r"^BED line 3: start and end must be whole numbers 0 or more \(0-based, end "
                       r"exclusive\)\. Got 'chr1\tfive\t10' instead\.$"),
    ("chr1\t-1\t10", r"^BED line 3: start and end must be whole numbers"),
    ("chr1\t10\t10", r"^BED line 3: end \(10\) must be greater than start \(10\)"),
])
def test_parse_bed_bad_line_number(line, message):
    with pytest.raises(RegionError, match=message):
        parse_bed(f"# header\nchr1\t0\t5\n{line}\n")


# ---------------------------------------------------------------- Genome

def test_fetch_plain_fasta_builds_index(fasta):
    assert not os.path.exists(f"{fasta}.fai")
    with Genome(fasta) as genome:
        assert genome.contigs == {"chr2L": 250, "chr3R": 90}
        assert genome.index_path == fasta.parent / "genome.fa.fai"
        assert os.path.exists(f"{fasta}.fai")
        assert genome.fetch("chr2L:1-10") == CHR2L[:10].upper()
        assert genome.fetch(Region("chr2L", 55, 125)) == CHR2L[55:125].upper()  # across lines
        assert genome.fetch("chr3R") == CHR3R
        assert genome.fetch("chr3R:90") == CHR3R[-1]
        assert genome.fetch("chr2L:11-30", strand="-") == reverse_complement(CHR2L[10:30].upper())
        assert genome.resolve("chr3R") == Region("chr3R", 0, 90)
        with pytest.raises(RegionError, match=r"^strand must be '\+' or '-'; got '\.' instead\.$"):
            genome.fetch("chr2L:1-10", strand=".")


def test_fetch_bgzipped_fasta(tmp_path, fasta):
    bgzf = pytest.importorskip("Bio.bgzf")
    path = tmp_path / "genome.fa.gz"
    with bgzf.BgzfWriter(str(path), "wb") as handle:
        handle.write(fasta.read_bytes())
    with Genome(path) as genome:
        assert genome.contigs == {"chr2L": 250, "chr3R": 90}
        assert genome.fetch("chr2L:101-200") == CHR2L[100:200].upper()
        assert genome.fetch("chr3R:1-5", strand="-") == reverse_complement(CHR3R[:5])


def test_plain_gzip_is_refused_with_bgzip_advice(tmp_path, fasta):
    import gzip
    path = tmp_path / "genome.fa.gz"
    path.write_bytes(gzip.compress(fasta.read_bytes()))
    with pytest.raises(GenomeFileError, match=r"is gzip-compressed, but indexed access needs "
                       r"bgzip \(BGZF\) compression\. Decompress it \(gunzip genome\.fa\.gz\)"):
        Genome(path)


def test_unknown_contig_lists_contigs_and_suggests(fasta):
    with Genome(fasta) as genome:
        with pytest.raises(RegionError, match=r"^Contig 'chr2l' is not in genome\.fa\. Did you mean "
                                              r"'chr2L'\? Contigs: chr2L, chr3R\.$"):
            genome.fetch("chr2l:1-10")
        with pytest.raises(RegionError, match=r"Contig '2L' is not in genome\.fa\. Did you mean 'chr2L'\?"):
            genome.fetch("2L:1-10")
        with pytest.raises(RegionError,
                           match=r"^Contig 'chrQ' is not in genome\.fa\. Contigs: chr2L, chr3R\.$"):
            genome.fetch("chrQ:1-10")


def test_unknown_contig_many_contigs_truncates_list(tmp_path):
    path = write_fasta([(f"scaffold_{i}", "ACGT") for i in range(30)], tmp_path / "many.fa")
    with Genome(path) as genome, pytest.raises(RegionError, match=r"Did you mean 'scaffold_3'.*"
                                                                  r"scaffold_19, \.\.\. \(30 in all\)\.$"):
        genome.fetch("Scaffold_3")


def _unknown_message(tmp_path, names, chrom):
    path = write_fasta([(n, "ACGT") for n in names], tmp_path / "g.fa")
    with Genome(path) as genome, pytest.raises(RegionError) as info:
        genome.fetch(f"{chrom}:1-2")
    return str(info.value)


def test_unknown_contig_roman_aliases_and_no_noise(tmp_path):
    yeast = [f"chr{r}" for r in ("I II III IV V VI VII VIII IX X XI XII XIII XIV XV XVI".split())]
    arabic = [f"chr{i}" for i in range(1, 17)]
    # no mitochondrion in these files: chrM suggests nothing (not chrI/chrV, not chr9/chr8)
    for names in (yeast, arabic):
        assert "Did you mean" not in _unknown_message(tmp_path, names, "chrM")
    assert "Did you mean 'chrIV'?" in _unknown_message(tmp_path, yeast, "chr4")
    assert "Did you mean 'chrXVI'?" in _unknown_message(tmp_path, yeast, "16")
    assert "Did you mean 'chr4'?" in _unknown_message(tmp_path, arabic, "chrIV")
    assert "Did you mean 'chr10'?" in _unknown_message(tmp_path, arabic, "chrx")
    assert "Did you mean 'chrM'?" in _unknown_message(tmp_path, yeast + ["chrM"], "MT")
    assert "Did you mean 'Mito'?" in _unknown_message(tmp_path, ["I", "IV", "Mito"], "chrM")
    # where a Y exists, X is the sex chromosome, not chr10
    assert "Did you mean" not in _unknown_message(tmp_path, arabic + ["chrY"], "chrX")
    # typos still get near names, but never a different number
    assert "Did you mean 'scaffold_12'?" in _unknown_message(
        tmp_path, ["scaffold_12", "scaffold_21"], "scafold_12")
    assert "Did you mean" not in _unknown_message(tmp_path, ["scaffold_21"], "scaffold_12")


def test_unwritable_index_cache_says_to_set_regviz_cache(tmp_path, monkeypatch, fasta):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the cache folder should be")   # fails as root too
    monkeypatch.setenv("REGVIZ_CACHE", str(blocker))
    monkeypatch.setattr(genome_module.os, "access", lambda path, mode: False)
    with pytest.raises(GenomeFileError, match=r"genome\.fa: its folder is read-only, and so is "
                       r"the index cache .*not_a_folder.*Set REGVIZ_CACHE to a writable folder\.$"):
        Genome(fasta)
    # the cache folder exists but pyfaidx cannot write the index into it

    def unwritable(*args, **kwargs):
        raise OSError("index.fai may not be writable. Please use Fasta(rebuild=False)")
    monkeypatch.setenv("REGVIZ_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(genome_module.pyfaidx, "Fasta", unwritable)
    with pytest.raises(GenomeFileError, match=r"cache .*fai \(not writable\)\. Set REGVIZ_CACHE"):
        Genome(fasta)


def test_past_contig_end_error_and_clip(fasta):
    with Genome(fasta) as genome:
        with pytest.raises(RegionError, match=r"^Region chr3R:81-100 runs past the end of chr3R, which is "
                                              r"90 bp long; the last base is chr3R:90\.$"):
            genome.fetch("chr3R:81-100")
        with pytest.warns(RegvizWarning, match=r"clipped to chr3R:81-90"):
            assert genome.fetch("chr3R:81-100", clip=True) == CHR3R[80:]
        with pytest.raises(RegionError, match="runs past the end"):
            genome.fetch("chr3R:95-100", clip=True)  # nothing left to return
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            genome.fetch("chr3R:1-90", clip=True)


def test_missing_and_non_fasta_files(tmp_path):
    with pytest.raises(GenomeFileError, match=r"^Genome FASTA not found: .*nope\.fa\. Check the path"):
        Genome(tmp_path / "nope.fa")
    png = tmp_path / "picture.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40))
    with pytest.raises(GenomeFileError, match=r"picture\.png is not a FASTA file \(it looks binary"):
        Genome(png)
    text = tmp_path / "notes.txt"
    text.write_text("hello world\nACGT\n")
    with pytest.raises(GenomeFileError, match=r"notes\.txt is not a FASTA file: the first line should "
                                              r"start with '>' and the sequence name\. Got 'hello world'"):
        Genome(text)
    empty = tmp_path / "empty.fa"
    empty.write_text("")
    with pytest.raises(FileNotFoundError, match="empty"):
        Genome(empty)


def test_ragged_fasta_gives_genome_file_error(tmp_path):
    path = tmp_path / "ragged.fa"
    path.write_text(">a\nACGT\nAC\nACGT\n")
    with pytest.raises(GenomeFileError, match=r"Could not read or index the genome FASTA .*ragged\.fa"):
        Genome(path)


def test_index_goes_to_cache_when_folder_read_only(tmp_path, monkeypatch, fasta):
    monkeypatch.setenv("REGVIZ_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(genome_module.os, "access", lambda path, mode: False)  # works as root too
    with Genome(fasta) as genome:
        assert genome.index_path.parent == tmp_path / "cache" / "fai"
        assert genome.index_path.is_file() and not os.path.exists(f"{fasta}.fai")
        assert genome.fetch("chr2L:1-4") == CHR2L[:4].upper()


def test_existing_fresh_index_is_used_in_place(fasta, monkeypatch):
    Genome(fasta).close()
    monkeypatch.setattr(genome_module.os, "access", lambda path, mode: False)
    with Genome(fasta) as genome:
        assert genome.index_path == fasta.parent / "genome.fa.fai"


# ---------------------------------------------------------------- tiling

@pytest.mark.parametrize("start, end, width, stride", [
    (0, 10_000, 4000, 2000), (1000, 9_001, 4000, 2000), (5, 105, 10, 10), (0, 17, 5, 3), (3, 8, 5, 1)])
def test_tile_covers_every_base_with_full_width(start, end, width, stride):
    windows = tile(Region("chr1", start, end), width=width, stride=stride)
    assert all(w.length == width and w.chrom == "chr1" for w in windows)
    assert windows[0].start == start and windows[-1].end == end
    covered = np.zeros(end, bool)
    for w in windows:
        covered[w.start:w.end] = True
    assert covered[start:].all() and not covered[:start].any()
    steps = np.diff([w.start for w in windows])
    assert (steps[:-1] == stride).all() and ((0 < steps) & (steps <= stride)).all()


def test_tile_exact_layout():
    assert [w.start for w in tile("chr1:1-10,000")] == [0, 2000, 4000, 6000]
    assert [w.start for w in tile("chr1:1-9,000")] == [0, 2000, 4000, 5000]  # last shifted back
    assert tile("chr1:1-4,000") == [Region("chr1", 0, 4000)]


def test_tile_short_region_and_contig_ends():
    assert tile("chr1:1,001-2,000", width=4000) == [Region("chr1", 0, 4000)]
    assert tile("chr1:5,001-6,000", width=4000) == [Region("chr1", 3500, 7500)]  # centred
    assert tile("chr1:9,001-9,500", width=4000, contig_length=10_000) == [Region("chr1", 6000, 10_000)]
    windows = tile("chr1", width=4000, stride=3000, contig_length=10_000)
    assert [(w.start, w.end) for w in windows] == [(0, 4000), (3000, 7000), (6000, 10_000)]


@pytest.mark.parametrize("kwargs, message", [
    (dict(width=0), r"^width must be a whole number of bases above 0; got 0 instead\.$"),
    (dict(stride=-5), r"^stride must be a whole number of bases above 0; got -5 instead\.$"),
    (dict(width=2.5), r"^width must be a whole number"),
    (dict(contig_length=100), r"^Contig chr1 is 100 bp, shorter than one 4,000 bp window\.$"),
])
def test_tile_errors(kwargs, message):
    with pytest.raises(RegionError, match=message):
        tile("chr1:1-10,000", **kwargs)


def test_tile_whole_contig_needs_length_and_past_end():
    with pytest.raises(RegionError, match="whole contig; pass contig_length"):
        tile("chr1")
    with pytest.raises(RegionError, match=r"runs past the end of chr1 \(9,000 bp\)"):
        tile("chr1:1-10,000", contig_length=9000)


# ---------------------------------------------------------------- demo genome

def test_demo_genome_deterministic_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("REGVIZ_CACHE", str(tmp_path / "cache"))
    path = demo_genome_path()
    assert path.is_relative_to(tmp_path / "cache")
    assert f"_v{genome_module.DEMO_VERSION}" in path.name and genome_module.DEMO_VERSION >= 2
    first = path.read_bytes()
    assert demo_genome_path() == path and path.read_bytes() == first
    again = make_demo_genome(tmp_path / "again.fa")
    assert again.read_bytes() == first
    assert make_demo_genome(tmp_path / "other.fa", seed=1).read_bytes() != first
    with Genome(path) as genome:
        assert genome.contigs == {"chrDemo1": 60_000, "chrDemo2": 40_000}
        seq = genome.fetch("chrDemo1")
        assert set(seq) == set("ACGT")
        assert 0.40 < (seq.count("G") + seq.count("C")) / len(seq) < 0.44
        assert len(tile("chrDemo2", contig_length=genome.contigs["chrDemo2"])) == 19


def test_demo_genome_inserts_and_beds_beside(tmp_path):
    """Pieces written over the background at their 0-based starts; BED files beside the
    FASTA (same name, the suffix given), regions round-trip through read_bed."""
    cores = [Region("chrDemo1", 100, 104, "core1", ("0", ".")),
             Region("chrDemo2", 39_990, 40_000, "core2", ("0", "."))]
    path = make_demo_genome(tmp_path / "demo.fa", insert=[("chrDemo1", 100, "GGGG"),
                                                          ("chrDemo2", 39_990, "C" * 10)],
                            beds={".cores.bed": cores})
    plain = make_demo_genome(tmp_path / "plain.fa")
    with Genome(path) as g, Genome(plain) as p:
        assert g.fetch("chrDemo1:101-104") == "GGGG" and g.fetch("chrDemo2:39,991-40,000") == "C" * 10
        assert g.fetch("chrDemo1:1-100") == p.fetch("chrDemo1:1-100")       # background kept
        assert g.fetch("chrDemo1:105-60,000") == p.fetch("chrDemo1:105-60,000")
    bed = tmp_path / "demo.cores.bed"
    assert bed.read_text().splitlines()[0] == "chrDemo1\t100\t104\tcore1\t0\t."
    assert parse_bed(bed) == cores
    assert read_bed(write_bed(cores, tmp_path / "again.bed"))["name"].tolist() == ["core1", "core2"]
    assert not list(tmp_path.glob("*.tmp"))                      # no partial files left
    with pytest.raises(RegionError, match="outside the contigs"):
        make_demo_genome(tmp_path / "bad.fa", insert=[("chrDemo2", 39_999, "AC")])
    with pytest.raises(RegionError, match="outside the contigs"):
        make_demo_genome(tmp_path / "bad.fa", insert=[("chrNope", 0, "AC")])


def test_write_fasta_wraps_lines_and_checks_width(tmp_path):
    path = write_fasta([("s1", "ACGTACGTAC")], tmp_path / "w.fa", line_width=4)
    assert path.read_text() == ">s1\nACGT\nACGT\nAC\n"
    with pytest.raises(ValueError, match=r"^line_width must be a whole number above 0; got 0 instead"):
        write_fasta([("s1", "ACGT")], tmp_path / "x.fa", line_width=0)


def test_duplicate_contig_names(tmp_path):
    path = write_fasta([("a", "ACGT"), ("a", "ACGT")], tmp_path / "dup.fa")
    with pytest.raises(GenomeFileError, match=r'two sequences share the name "a"; names must be unique'):
        Genome(path)


def test_errors_share_base_class():
    assert issubclass(GenomeFileError, RegvizError) and issubclass(GenomeFileError, FileNotFoundError)


def test_a_stale_index_from_a_replaced_fasta_is_not_trusted(tmp_path):
    """A FASTA replaced by another one with an older time stamp: the old .fai (newer than
    the file) must not be used, or fetches return bases from the wrong contig."""
    path = tmp_path / "g.fa"
    write_fasta([("chrA", "A" * 500), ("chrB", "C" * 300)], path)
    with Genome(path) as g:
        assert g.contigs == {"chrA": 500, "chrB": 300}
    write_fasta([("chrX", "G" * 120), ("chrY", "T" * 900)], path)
    old = path.stat().st_mtime - 3600
    os.utime(path, (old, old))                    # the index now looks newer than the file
    with Genome(path) as g:
        assert g.contigs == {"chrX": 120, "chrY": 900}
        assert g.fetch("chrY:1-5") == "TTTTT"
