"""Scan a whole genome, or the regions of a BED file, in blocks dealt to processes.

`plan` merges and sorts the regions (BED order: contig name, then start) and cuts each
into blocks of whole windows of `regviz.gradcam.scan_region`'s tiling (window starts
``stride`` apart from the region start; a block holds the windows of about ``block_bp``,
the last one also the window shifted to end at the region end). A block is scanned as a
region of its own, so its windows are exactly the region's; blocks of one region overlap
by ``window - stride`` bp, and the region's track is the maximum of its blocks' tracks,
the same as `scan_region`'s ``merge="max"`` over the whole region.

`scan_blocks` scans the blocks of one rank (`deal`: the longest blocks first, each to the
least-loaded rank) and keeps each block's track and windows in a parts folder; `merge`
(rank 0, once every rank is done) assembles the regions and writes one sorted BEDGraph,
the core calls (BED) and the windows (BED), each through a temporary file renamed at the
end. The blocks and their batches do not depend on the number of processes, so 1 and N
processes write the same bytes.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from regviz import genome as genome_mod
from regviz.errors import RegionError
from regviz.gradcam.cam import call_cores, input_bin_size
from regviz.gradcam.scan import scan_region, track_to_bedgraph

BLOCK_BP = 1_000_000
SUFFIXES = {"bedgraph": ".bedgraph", "cores": ".cores.bed", "windows": ".windows.bed"}


@dataclass(frozen=True)
class Block:
    """Part ``index`` of the plan: bases [start, end) of ``chrom``, in region ``region``."""

    index: int
    region: int
    chrom: str
    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start


def merged_regions(g: genome_mod.Genome, regions=None) -> list[genome_mod.Region]:
    """``regions`` (default: every contig) resolved, overlaps merged, in BED order."""
    found = [g.resolve(r) for r in (regions if regions is not None else list(g.contigs))]
    found.sort(key=lambda r: (r.chrom, r.start))
    out: list[genome_mod.Region] = []
    for r in found:
        if out and out[-1].chrom == r.chrom and r.start <= out[-1].end:
            out[-1] = genome_mod.Region(r.chrom, out[-1].start, max(out[-1].end, r.end))
        elif r.length > 0:
            out.append(genome_mod.Region(r.chrom, r.start, r.end))
    if not out:
        raise RegionError("There is nothing to scan: the regions are empty.")
    return out


def plan(regions, width: int, stride: int, block_bp: int = BLOCK_BP) -> list[Block]:
    """Blocks of the merged ``regions`` (each a whole number of windows; see module)."""
    per_block = max(1, (max(block_bp, width) - width) // stride + 1)
    blocks = []
    for k, r in enumerate(regions):
        n_grid = (r.length - width) // stride + 1 if r.length >= width else 1
        for first in range(0, n_grid, per_block):
            last = min(first + per_block, n_grid) - 1
            end = r.end if last == n_grid - 1 else r.start + last * stride + width
            blocks.append(Block(len(blocks), k, r.chrom, r.start + first * stride, end))
    return blocks


def deal(blocks, world: int) -> list[list[Block]]:
    """The blocks of each rank: longest first, each to the rank with the fewest bp."""
    load, out = [0] * world, [[] for _ in range(world)]
    for b in sorted(blocks, key=lambda b: (-b.length, b.index)):
        rank = min(range(world), key=lambda k: (load[k], k))
        load[rank] += b.length
        out[rank].append(b)
    return [sorted(part, key=lambda b: b.index) for part in out]


def scan_blocks(model, g, blocks, parts: Path, stride: int, threshold: float,
                min_width: int, batch_size: int = 32, device=None, progress=None) -> None:
    """Scan ``blocks`` and keep, per block, ``<index>.npy`` (its track, float32) and
    ``<index>.windows.npy`` (its windows: start, end, probability; float64)."""
    for done, b in enumerate(blocks, start=1):
        res = scan_region(model, g, genome_mod.Region(b.chrom, b.start, b.end), stride=stride,
                          threshold=threshold, min_width=min_width, batch_size=batch_size,
                          edges="shift", device=device, max_length=b.length + 1)
        np.save(parts / f"{b.index}.npy", res.track)
        w = res.windows
        np.save(parts / f"{b.index}.windows.npy",
                np.c_[w["start"], w["end"], w["prob"]].astype(np.float64))
        if progress is not None:
            progress(done, len(blocks), b)


def merge(regions, blocks, parts: Path, out_prefix, threshold: float, min_width: int,
          bin_size: int = 10, digits: int = 3) -> dict:
    """Assemble the regions from the parts; write BEDGraph, cores and windows BED.

    Returns {"bedgraph"|"cores"|"windows": path}. Every output is written to a temporary
    file and renamed into place only when all are complete."""
    paths = {k: Path(f"{out_prefix}{s}") for k, s in SUFFIXES.items()}
    tmp = {k: p.with_name(f".{p.name}.tmp") for k, p in paths.items()}
    files = {k: open(t, "w") for k, t in tmp.items()}
    try:
        files["bedgraph"].write('track type=bedGraph name=gradcam description="Grad-CAM '
                                'track"\n')
        files["cores"].write('track name=gradcam_core description="Grad-CAM core calls"\n')
        n_core = n_window = 0
        for k, r in enumerate(regions):
            track = np.zeros(r.length, np.float32)
            windows = [np.zeros((0, 3))]
            for b in (b for b in blocks if b.region == k):
                span = slice(b.start - r.start, b.end - r.start)
                np.maximum(track[span], np.load(parts / f"{b.index}.npy"), out=track[span])
                windows.append(np.load(parts / f"{b.index}.windows.npy"))
            graph = track_to_bedgraph(track, r.chrom, r.start, bin_size, digits)
            files["bedgraph"].write(graph.split("\n", 1)[1])
            for c in call_cores(track, threshold=threshold, min_width=min_width,
                                relative=False, offset=r.start).itertuples(index=False):
                n_core += 1
                score = int(round(1000 * min(max(c.peak, 0.0), 1.0)))
                files["cores"].write(f"{r.chrom}\t{c.start}\t{c.end}\tgradcam_core_{n_core}"
                                     f"\t{score}\n")
            for start, end, prob in np.concatenate(windows):
                n_window += 1
                files["windows"].write(f"{r.chrom}\t{int(start)}\t{int(end)}\twindow_"
                                       f"{n_window}\t{int(round(1000 * prob))}\n")
    finally:
        for f in files.values():
            f.close()
    for k in paths:
        os.replace(tmp[k], paths[k])
    return {k: str(p) for k, p in paths.items()}


def describe(regions, blocks, model, stride: int) -> dict:
    """What a scan covered, for its log: regions, bp, blocks, window and stride."""
    bp = input_bin_size(model, None)
    return {"regions": len(regions), "bp": int(sum(r.length for r in regions)),
            "blocks": len(blocks), "window": model.config.input_length * bp,
            "stride": stride}


def write_plan(path, summary: dict) -> None:
    """The scan's summary as JSON beside its outputs."""
    Path(path).write_text(json.dumps(summary, indent=2) + "\n")


__all__ = ["BLOCK_BP", "Block", "SUFFIXES", "deal", "describe", "merge", "merged_regions",
           "plan", "scan_blocks", "write_plan"]
