"""The demo genome with planted enhancer cores, and the BED files of its truth.

`regviz.genome.make_demo_genome` writes the contigs (``chrDemo1`` 60 kb, ``chrDemo2``
40 kb); here they are tiled end to end with 4 kb windows of the synthetic
``enhancer-4kb`` set (`regviz.simulate.make_dataset`, ``noise=False``), the grammar the
shipped ``enhancer-4kb_decode`` model was trained on, so that model has something to
find. Half the tiles of each contig are positives, each holding one planted core of
200-400 bp with its motif cluster (plus 0-2 scattered sites); the others are negatives
holding 1-4 scattered sites of the same motifs.

`DEMO_OPTIONS`: sites sampled from PPM**3 as in the model's training set, and 10
sites per core, the top of its 6-10 range. The model finds about 60% of its own test
positives at probability 0.5, and a scan of cores with 6-10 sites finds about half of
them; cores of 10 sites it finds nearly always (benchmarks/bench_gradcam.py
``--demo``), which is what a first demonstration needs.

Every planted core and site is at a known genomic position:

* ``<name>.cores.bed``: the cores, BED6 (0-based half-open), named ``core1``,
  ``core2``, ... in genome order, score 0, strand ".";
* ``<name>.sites.bed``: the planted motif sites, BED6, named by motif
  (``GATA1::TAL1``, ...), score 0, strand of the site; the 4th column says
  ``core-motif`` or ``scattered`` after a ``|``.

`demo_genome_path` and `demo_cores_path` build them once in ``cache_dir()`` (the
file name carries `regviz.genome.DEMO_VERSION`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from regviz import genome as genome_mod
from regviz import simulate

DEMO_SET = "enhancer-4kb"
# enhancer-4kb_decode's card: sharpness 3.0, core_motifs (6, 10); here its densest cores
DEMO_OPTIONS = {"sharpness": 3.0, "core_motifs": (10, 10)}
TILE_BP = 4000
CORES_SUFFIX, SITES_SUFFIX = ".cores.bed", ".sites.bed"


def _layout(seed: int) -> list:
    """(chrom, tile start) of every tile, and which tiles hold a core: in each contig
    half of the tiles (rounded down), chosen at random for the seed."""
    rng = np.random.default_rng([seed, 4000])
    out = []
    for chrom, size in genome_mod.DEMO_CONTIGS.items():
        n = size // TILE_BP
        positive = np.zeros(n, bool)
        positive[rng.choice(n, n // 2, replace=False)] = True
        out += [(chrom, k * TILE_BP, bool(p)) for k, p in enumerate(positive)]
    return out


def planted_demo(seed: int = 0, options=None):
    """What the demo genome holds: ``(inserts, cores, sites)``.

    ``inserts`` are ``(chrom, start, 4 kb sequence)`` tiles for
    `regviz.genome.make_demo_genome`; ``cores`` and ``sites`` are lists of
    `regviz.genome.Region` (0-based half-open) with BED6 name, score and strand.
    ``options`` replaces `DEMO_OPTIONS` (``make_dataset`` options of enhancer-4kb,
    e.g. ``{"sharpness": 3.0, "core_motifs": (6, 10)}``, the model's whole range).
    """
    layout = _layout(seed)
    n_pos = sum(p for _, _, p in layout)
    n = max(10, 4 * len(layout))
    ds = simulate.make_dataset(DEMO_SET, n, seed=seed, noise=False,
                               **(DEMO_OPTIONS if options is None else options))
    ann = ds.annotations
    with_core = set(ann.loc[ann["role"] == "core", "seq_index"])
    pick = {True: [i for i in range(n) if i in with_core],
            False: [i for i in range(n) if i not in with_core]}
    if len(pick[True]) < n_pos or len(pick[False]) < len(layout) - n_pos:
        raise RuntimeError(f"seed {seed}: too few positive or negative windows to tile the "
                           "demo genome")
    inserts, cores, sites = [], [], []
    for chrom, offset, positive in layout:
        i = pick[positive].pop(0)
        inserts.append((chrom, offset, ds.seqs[i]))
        for r in ann[ann["seq_index"] == i].itertuples():
            start, end = offset + int(r.start), offset + int(r.end)
            if r.role == "core":
                cores.append(genome_mod.Region(chrom, start, end, f"core{len(cores) + 1}",
                                               ("0", ".")))
            else:
                sites.append(genome_mod.Region(chrom, start, end, f"{r.motif_name}|{r.role}",
                                               ("0", r.strand)))
    return inserts, cores, sites


def make_demo_genome(path, seed: int = 0) -> Path:
    """Write the demo genome FASTA to `path` and its ``.cores.bed`` and ``.sites.bed``
    beside it (same name, those endings); return the FASTA's path. Deterministic:
    the same bytes for a seed, on every machine."""
    inserts, cores, sites = planted_demo(seed)
    return genome_mod.make_demo_genome(path, seed, insert=inserts,
                                       beds={CORES_SUFFIX: cores, SITES_SUFFIX: sites})


def demo_genome_path() -> Path:
    """Path of the demo genome FASTA (planted cores) in ``cache_dir()``, built and indexed
    on first use together with its BED files."""
    return genome_mod.cached_demo(f"regviz_demo_genome_v{genome_mod.DEMO_VERSION}.fa",
                                  make_demo_genome, beside=(CORES_SUFFIX, SITES_SUFFIX))


def demo_cores_path() -> Path:
    """Path of the demo genome's planted cores, BED6 (built on first use)."""
    return demo_genome_path().with_suffix(CORES_SUFFIX)


def demo_sites_path() -> Path:
    """Path of the demo genome's planted motif sites, BED6 (built on first use)."""
    return demo_genome_path().with_suffix(SITES_SUFFIX)


def cores_beside(fasta) -> Path | None:
    """The ``<name>.cores.bed`` next to a genome FASTA (as the demo genome has), or None."""
    path = Path(fasta).with_suffix(CORES_SUFFIX)
    return path if path.is_file() else None
