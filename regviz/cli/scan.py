"""``regviz-scan CHECKPOINT GENOME [--bed REGIONS] --out PREFIX`` (or ``python -m regviz.scan``):
a Grad-CAM scan of a whole genome, or of a BED file's regions, on 1 or N processes.

Writes ``PREFIX.bedgraph`` (the Grad-CAM track, sorted), ``PREFIX.cores.bed`` (core
calls), ``PREFIX.windows.bed`` (every window, probability x 1000) and ``PREFIX.json``
(what was scanned). The genome is cut into blocks of whole windows
(`regviz.gradcam.genome_scan`) that are dealt to the processes; the outputs are the same
bytes on 1 or N processes::

    regviz-scan checkpoints/enhancer-4kb_decode demo.fa --out scans/demo
    regviz-scan ckpt genome.fa --bed peaks.bed --out scans/peaks --nproc 4
    torchrun --nnodes 2 --nproc-per-node 8 --rdzv-backend c10d \\
        --rdzv-endpoint head:29500 -m regviz.scan ckpt genome.fa --out scans/all

Exit status: 0 done, 1 a process failed, 2 bad input, 130 interrupted.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from regviz import checkpoints, distributed
from regviz import genome as genome_mod
from regviz.errors import RegvizError
from regviz.gradcam import genome_scan
from regviz.gradcam.cam import input_bin_size


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="regviz-scan", description="Grad-CAM scan of a genome "
                                "or of BED regions with a window classifier checkpoint.")
    p.add_argument("checkpoint", help="checkpoint folder (e.g. checkpoints/enhancer-4kb_decode)")
    p.add_argument("genome", help="genome FASTA (plain or bgzipped, indexed on first use)")
    p.add_argument("--bed", default=None, help="scan only these regions (default: every "
                   "contig); overlapping regions are merged")
    p.add_argument("--out", required=True, help="output prefix (PREFIX.bedgraph, ...)")
    p.add_argument("--stride", type=int, default=None, help="bp between windows (default "
                   "half a window)")
    p.add_argument("--threshold", type=float, default=0.5, help="core calls: track >= this")
    p.add_argument("--min-width", type=int, default=50, help="core calls: at least this many bp")
    p.add_argument("--bin-size", type=int, default=10, help="BEDGraph bin (bp)")
    p.add_argument("--block-bp", type=int, default=genome_scan.BLOCK_BP,
                   help="bp per block of work (a whole number of windows)")
    p.add_argument("--batch-size", type=int, default=32, help="windows per forward pass")
    p.add_argument("--nproc", type=int, default=1, help="processes on this machine "
                   "(through torchrun; one GPU each where there are GPUs)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda (one process)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    return p


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    if args.nproc < 1:
        print("error: --nproc takes 1 or more processes", file=sys.stderr)
        return 2
    if args.nproc > 1 and not distributed.launched_by_torchrun():
        return distributed.run_group("regviz.scan", distributed.drop_option(argv, "--nproc"),
                                     args.nproc)
    group = None
    try:
        if distributed.launched_by_torchrun():
            group = distributed.init_from_env(args.device)
        return _scan(args, group)
    except RegvizError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return 130
    finally:
        distributed.shutdown()


def _scan(args, group) -> int:
    rank, world = (group.rank, group.world) if group else (0, 1)
    start = time.perf_counter()
    model, _ = checkpoints.load(args.checkpoint)
    device = group.device() if group else (None if args.device == "auto" else args.device)
    out = Path(args.out)
    parts = out.with_name(f".{out.name}.parts")
    with genome_mod.Genome(args.genome) as g:
        regions = genome_scan.merged_regions(
            g, genome_mod.parse_bed(args.bed) if args.bed else None)
        width = model.config.input_length * input_bin_size(model, None)
        stride = args.stride or width // 2
        blocks = genome_scan.plan(regions, width, stride, args.block_bp)
        if rank == 0:
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(parts, ignore_errors=True)
            parts.mkdir()
        if group:
            group.barrier()
        mine = genome_scan.deal(blocks, world)[rank]

        def progress(done, total, block):
            if not args.quiet:
                print(f"[rank {rank}] block {done}/{total}: {block.chrom}:{block.start + 1:,}-"
                      f"{block.end:,}", file=sys.stderr, flush=True)

        genome_scan.scan_blocks(model, g, mine, parts, stride, args.threshold,
                                args.min_width, args.batch_size, device, progress)
    if group:
        group.barrier()
    if rank != 0:
        return 0
    paths = genome_scan.merge(regions, blocks, parts, out, args.threshold, args.min_width,
                              args.bin_size)
    shutil.rmtree(parts, ignore_errors=True)
    summary = {**genome_scan.describe(regions, blocks, model, stride),
               "checkpoint": str(args.checkpoint), "genome": str(args.genome),
               "processes": world, "seconds": round(time.perf_counter() - start, 1),
               "outputs": paths}
    genome_scan.write_plan(f"{out}.json", summary)
    print(f"scanned {summary['bp']:,} bp in {summary['blocks']} blocks on {world} "
          f"process(es) in {summary['seconds']} s: {', '.join(paths.values())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
