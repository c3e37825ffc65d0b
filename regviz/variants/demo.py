"""The demo VCF: variants of the demo genome (`regviz.gradcam.demo_genome_path`) with
known meaning, for the Variants page's first example and the truth benchmark.

Classes (INFO ``CLASS``): ``site``, an SNV at the most informative column of a planted
core-motif site, to the base the motif likes least there (it breaks the site);
``core``, SNVs inside a planted core but at least 3 bp from any site; ``background``,
SNVs outside cores and sites; all at least `EDGE_BP` from a contig end, so the 4 kb
windows of the enhancer-4kb_decode model fit. Also two indels in sites (``site``), and four records that
cannot be scored, one per reason (REF mismatch, unknown contig, too close to a contig
end, symbolic ALT). Deterministic: the same file for a seed, built beside the genome.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from regviz import genome, motifs, simulate
from regviz.gradcam import demo as genome_demo
from regviz.sequence import SequenceRecord, random_sequences
from regviz.variants.parse import Variant
from regviz.variants.windows import SequenceSource

DEMO_VERSION = 1
_LOCK = threading.Lock()
PER_CORE, BACKGROUND = 5, 120
EDGE_BP = 2100      # variants at least this far from a contig end: full 4 kb windows
INFO_LINES = [
    '##INFO=<ID=CLASS,Number=1,Type=String,Description="site: breaks a planted motif site; '
    'core: in a planted core, off its sites; background: outside cores and sites">',
    '##INFO=<ID=MOTIF,Number=1,Type=String,Description="Planted motif the variant hits">',
]


def _motif_ids() -> dict:
    """Planted motif name -> JASPAR ID in the demo genome's grammar."""
    grammar = simulate.make_dataset(genome_demo.DEMO_SET, 10, seed=0, noise=False,
                                    **genome_demo.DEMO_OPTIONS).grammar
    return {m["name"]: m["id"] for m in grammar["motifs"].values()}


def breaking_snv(ppm: np.ndarray, strand: str, start: int, end: int, seq: str):
    """``(0-based position, REF, ALT)`` of the SNV that breaks a planted site most surely:
    the site's most informative column, changed to the base the motif likes least there
    (``ppm (4, w)`` forward; ``strand`` of the site); None when that base is there."""
    ppm = ppm[::-1, ::-1] if strand == "-" else ppm
    w = min(ppm.shape[1], end - start)
    col = int(np.argmax(2 + (ppm[:, :w] * np.log2(ppm[:, :w] + 1e-9)).sum(axis=0)))
    ref, alt = seq[start + col], "ACGT"[int(np.argmin(ppm[:, col]))]
    return None if alt == ref else (start + col, ref, alt)


def truth_variants(sequences, annotations, motif_ids: dict, n_other: int | None = None,
                   seed: int = 0):
    """``(variants, breaks)`` on synthetic sequences named ``s<i>``: the `breaking_snv` of
    every planted site (``annotations``: seq_index, start, end, motif_name, strand;
    ``motif_ids``: name -> JASPAR ID) and as many SNVs (``n_other``) at positions at least
    3 bp from any site; ``breaks`` says which is which."""
    rng = np.random.default_rng([seed, 230])
    found, breaks = [], []
    covered = [np.zeros(len(s), bool) for s in sequences]
    for r in annotations.itertuples():
        covered[r.seq_index][max(r.start - 3, 0):r.end + 3] = True
        snv = breaking_snv(motifs.jaspar(motif_ids[r.motif_name]).ppm(), r.strand, r.start,
                           r.end, sequences[r.seq_index])
        if snv is not None:
            found.append(Variant(f"s{r.seq_index}", snv[0] + 1, snv[1], snv[2]))
            breaks.append(True)
    n_other = len(found) if n_other is None else n_other
    while len(breaks) - sum(breaks) < n_other:
        i = int(rng.integers(len(sequences)))
        p0 = int(rng.integers(len(sequences[i])))
        if not covered[i][p0]:
            ref = sequences[i][p0]
            found.append(Variant(f"s{i}", p0 + 1, ref, "ACGT"[("ACGT".index(ref) + 1) % 4]))
            breaks.append(False)
    return found, breaks


def padded_truth_set(sequences, annotations, motif_ids: dict, flank: int, seed: int = 4):
    """`truth_variants` on ``sequences`` each padded with the same ``flank`` bp of random
    background (42% GC) on both sides, so that every variant of a sequence as long as the
    model's window gets a full window centred on it: ``(variants, breaks, source)``."""
    found, breaks = truth_variants(sequences, annotations, motif_ids)
    pad = random_sequences(1, 2 * flank, 0.42, seed=seed)[0]
    source = SequenceSource([SequenceRecord(f"s{i}", pad[:flank] + s + pad[flank:])
                             for i, s in enumerate(sequences)])
    return [Variant(v.chrom, v.pos + flank, v.ref, v.alt) for v in found], breaks, source


def demo_variants(seed: int = 0) -> list[tuple]:
    """``(chrom, pos 1-based, id, ref, alt, info)`` records of the demo VCF, in genome
    order, bad records last."""
    fasta = genome_demo.demo_genome_path()
    sites = genome.read_bed(genome_demo.demo_sites_path())
    cores = genome.read_bed(genome_demo.demo_cores_path())
    ids = _motif_ids()
    rng = np.random.default_rng([seed, 23])
    out = []
    edge = EDGE_BP
    with genome.Genome(fasta) as g:
        seq = {c: g.fetch(genome.Region(c, 0, n)) for c, n in g.contigs.items()}
        taken = {c: np.zeros(n, bool) for c, n in g.contigs.items()}
        for r in sites.itertuples():
            taken[r.chrom][max(r.start - 3, 0):r.end + 3] = True
        inner = (sites["start"] >= edge) & (sites["end"] <= sites["chrom"].map(g.contigs) - edge)
        sites = sites[inner]
        cores = cores[(cores["start"] >= edge)
                      & (cores["end"] <= cores["chrom"].map(g.contigs) - edge)]
        for r in sites[sites["name"].str.endswith("|core-motif")].itertuples():
            name = r.name.split("|")[0]
            snv = breaking_snv(motifs.jaspar(ids.get(name, name)).ppm(), r.strand, r.start,
                               r.end, seq[r.chrom])
            if snv is not None:
                out.append((r.chrom, snv[0] + 1, f"site_{len(out) + 1}", snv[1], snv[2],
                            f"CLASS=site;MOTIF={name}"))
        for r in cores.itertuples():
            free = np.flatnonzero(~taken[r.chrom][r.start:r.end]) + r.start
            for pos0 in np.sort(rng.choice(free, min(PER_CORE, len(free)), replace=False)):
                ref = seq[r.chrom][pos0]
                alt = rng.choice([b for b in "ACGT" if b != ref])
                out.append((r.chrom, int(pos0) + 1, f"core_{len(out) + 1}", ref, alt,
                            f"CLASS=core;MOTIF={r.name}"))
        in_core = {c: np.zeros(n, bool) for c, n in g.contigs.items()}
        for r in cores.itertuples():
            in_core[r.chrom][r.start:r.end] = True
        for _ in range(BACKGROUND):
            c = rng.choice(list(g.contigs))
            pos0 = int(rng.integers(edge, g.contigs[c] - edge))
            if in_core[c][pos0] or taken[c][pos0]:
                continue
            ref = seq[c][pos0]
            out.append((c, pos0 + 1, f"bg_{len(out) + 1}", ref,
                        rng.choice([b for b in "ACGT" if b != ref]), "CLASS=background"))
        first = sites[sites["name"].str.endswith("|core-motif")].iloc[0]
        s0 = int(first.start) + 2
        out.append((first.chrom, s0 + 1, "site_del", seq[first.chrom][s0:s0 + 3],
                    seq[first.chrom][s0], "CLASS=site;MOTIF=" + first["name"].split("|")[0]))
        out.append((first.chrom, s0 + 1, "site_ins", seq[first.chrom][s0],
                    seq[first.chrom][s0] + "GGGG", "CLASS=site;MOTIF=" +
                    first["name"].split("|")[0]))
    out.sort(key=lambda t: (t[0], t[1]))
    c1 = next(iter(genome.DEMO_CONTIGS))
    wrong = "A" if seq[c1][29_999] != "A" else "C"
    out += [(c1, 30_000, "bad_ref", wrong, "G", "CLASS=invalid"),
            ("chrUnknown", 500, "bad_contig", "A", "G", "CLASS=invalid"),
            (c1, 10, "bad_edge", seq[c1][9], "T" if seq[c1][9] != "T" else "A", "CLASS=invalid"),
            (c1, 2000, "bad_symbolic", seq[c1][1999], "<DEL>", "CLASS=invalid")]
    return out


def write_demo_vcf(path, seed: int = 0) -> Path:
    """Write the demo VCF (plain text, VCF 4.2) to ``path``."""
    lines = ["##fileformat=VCFv4.2", "##source=regviz demo (planted enhancer cores)"]
    lines += [f"##contig=<ID={c},length={n}>" for c, n in genome.DEMO_CONTIGS.items()]
    lines += INFO_LINES + ["#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    lines += [f"{c}\t{p}\t{i}\t{r}\t{a}\t.\t.\t{info}" for c, p, i, r, a, info in
              demo_variants(seed)]
    path = Path(path)
    path.write_text("\n".join(lines) + "\n")
    return path


def demo_vcf_path() -> Path:
    """Path of the demo VCF in ``cache_dir()``, written on first use (to a temporary
    name, then moved into place, so a reader never sees half a file)."""
    path = genome.cache_dir() / "demo" / f"regviz_demo_variants_v{DEMO_VERSION}.vcf"
    with _LOCK:
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = write_demo_vcf(path.with_suffix(f".tmp{os.getpid()}"))
            os.replace(tmp, path)
    return path
