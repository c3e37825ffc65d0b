"""Genome-wide scans in blocks (regviz.gradcam.genome_scan, regviz-scan): the blocks hold
exactly the region's windows, their merged track is scan_region's, and 1 or 2 processes
(torchrun, gloo) write the same bytes."""

import os
import subprocess
import sys

import numpy as np
import pytest

from regviz import checkpoints, genome
from regviz.gradcam import demo, genome_scan, scan_region
from support import ROOT, shipped_checkpoint

DECODE = "enhancer-4kb_decode"


@pytest.fixture(scope="module")
def demo_genome():
    return demo.demo_genome_path()


@pytest.mark.parametrize("length,stride,block", [(60_000, 2000, 30_000), (60_000, 1500, 9000),
                                                 (4_100, 2000, 4000), (3_000, 2000, 30_000),
                                                 (41_234, 2000, 4000)])
def test_blocks_hold_exactly_the_windows_of_the_whole_region(length, stride, block):
    region = genome.Region("chrX", 0, length)
    blocks = genome_scan.plan([region], 4000, stride, block)
    contig = max(length, 4000)
    whole = [w.start for w in genome.tile(region, 4000, stride, contig)]
    parts = [w.start for b in blocks
             for w in genome.tile(genome.Region("chrX", b.start, b.end), 4000, stride, contig)]
    assert parts == whole
    assert blocks[0].start == 0 and blocks[-1].end == length


def test_merged_regions_are_sorted_and_overlaps_joined(demo_genome):
    with genome.Genome(demo_genome) as g:
        found = genome_scan.merged_regions(g, [genome.Region("chrDemo2", 100, 900),
                                               genome.Region("chrDemo1", 500, 800),
                                               genome.Region("chrDemo2", 800, 1200)])
    assert [(r.chrom, r.start, r.end) for r in found] == [("chrDemo1", 500, 800),
                                                          ("chrDemo2", 100, 1200)]


def test_deal_balances_and_covers_every_block_once():
    blocks = genome_scan.plan([genome.Region("c", 0, 100_000), genome.Region("d", 0, 9000)],
                              4000, 2000, 10_000)
    dealt = genome_scan.deal(blocks, 3)
    assert sorted(b.index for part in dealt for b in part) == [b.index for b in blocks]
    loads = [sum(b.length for b in part) for part in dealt]
    assert max(loads) - min(loads) <= max(b.length for b in blocks)


def test_blocks_merge_to_the_whole_region_scan(demo_genome, tmp_path):
    model, _ = checkpoints.load(shipped_checkpoint(DECODE))
    with genome.Genome(demo_genome) as g:
        regions = genome_scan.merged_regions(g)
        blocks = genome_scan.plan(regions, 4000, 2000, 20_000)
        assert len(blocks) > len(regions)
        genome_scan.scan_blocks(model, g, blocks, tmp_path, 2000, 0.5, 50)
        paths = genome_scan.merge(regions, blocks, tmp_path, tmp_path / "out", 0.5, 50)
        whole = [scan_region(model, g, r.chrom, stride=2000) for r in regions]
    graph = "".join(w.to_bedgraph().split("\n", 1)[1] for w in whole)
    lines = open(paths["bedgraph"]).read().split("\n", 1)[1]
    ours = np.array([float(x.split("\t")[3]) for x in lines.splitlines()])
    theirs = np.array([float(x.split("\t")[3]) for x in graph.splitlines()])
    assert len(ours) == len(theirs) and np.abs(ours - theirs).max() <= 1e-3
    cores = [ln.split("\t")[:3] for ln in open(paths["cores"]).read().splitlines()[1:]]
    assert cores == [[c.chrom, str(c.start), str(c.end)] for r in whole
                     for c in r.calls.itertuples()]
    assert sum(1 for _ in open(paths["windows"])) == sum(len(w.windows) for w in whole)


def _scan(args, tmp_path, **env):
    return subprocess.run([sys.executable, "-m", "regviz.scan", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE", **env})


def test_two_processes_write_the_same_bytes_as_one(demo_genome, tmp_path):
    """The issue's equivalence: regviz-scan on 2 CPU processes (torchrun, gloo) equals 1."""
    ckpt = shipped_checkpoint(DECODE)
    one = _scan([ckpt, demo_genome, "--out", tmp_path / "one", "--block-bp", 20_000],
                tmp_path)
    assert one.returncode == 0, one.stderr
    two = _scan([ckpt, demo_genome, "--out", tmp_path / "two", "--block-bp", 20_000,
                 "--nproc", 2], tmp_path)
    assert two.returncode == 0, two.stderr[-3000:]
    assert "[rank 1]" in two.stderr
    for suffix in genome_scan.SUFFIXES.values():
        assert (tmp_path / f"one{suffix}").read_bytes() == (tmp_path / f"two{suffix}").read_bytes()
    assert not any(p.name.endswith(".parts") for p in tmp_path.iterdir())
    # the demo's planted cores are found (the scan is not empty)
    assert (tmp_path / "one.cores.bed").read_text().count("gradcam_core_") >= 8


def test_a_bed_of_regions_and_bad_input(demo_genome, tmp_path):
    bed = tmp_path / "r.bed"
    bed.write_text("chrDemo2\t1000\t9000\nchrDemo1\t0\t5000\n")
    ok = _scan([shipped_checkpoint(DECODE), demo_genome, "--bed", bed, "--out",
                tmp_path / "r"], tmp_path)
    assert ok.returncode == 0, ok.stderr
    rows = (tmp_path / "r.bedgraph").read_text().splitlines()[1:]
    assert rows[0].startswith("chrDemo1\t0\t") and rows[-1].startswith("chrDemo2\t")
    assert rows[-1].split("\t")[2] == "9000"
    bed.write_text("chrNope\t0\t100\n")
    bad = _scan([shipped_checkpoint(DECODE), demo_genome, "--bed", bed, "--out",
                 tmp_path / "bad"], tmp_path)
    assert bad.returncode == 2 and "chrNope" in bad.stderr
    assert not (tmp_path / "bad.bedgraph").exists()
