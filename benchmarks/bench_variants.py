"""Variant scoring: time for thousands of variants, and the truth of the demo VCF.

Timing (targets of issue 23, 2 CPU cores): 10,000 SNVs read from a VCF and scored with
the shipped deepstarr (249 bp windows, both strands) in under 30 s; 1,000 SNVs on the
4 kb decode model in under 60 s. The genome is the demo genome (100 kb); the SNVs are
drawn at random positions at least half a window from the contig ends, written to a VCF
and read back (`regviz.variants.read_vcf`), so the time includes parsing, windows, REF
checks and both strands. The reference is one forward pass of the same number of
windows in the same process. ``--ranks N`` also times ranking the N strongest.

Truth: |effect| of the demo VCF's site-breaking SNVs against its other SNVs (AUROC),
with the shipped decode; and on 200 fresh deepstarr sequences (padded with background so
that every variant gets a centred window), SNVs that break each planted site against as
many SNVs at least 3 bp from any site (largest |effect| over Dev and Hk).

Run: ``python benchmarks/bench_variants.py [--ranks 20]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

import regviz  # noqa: F401 - OMP_WAIT_POLICY before torch
from regviz import checkpoints, genome, predict, sequence, variants
from regviz.gradcam import demo_genome_path


def random_vcf(path: Path, g: genome.Genome, n: int, half: int, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    contigs = list(g.contigs)
    seqs = {c: g.fetch(genome.Region(c, 0, g.contigs[c])) for c in contigs}
    rows = []
    for _ in range(n):
        c = contigs[int(rng.integers(len(contigs)))]
        p0 = int(rng.integers(half + 10, g.contigs[c] - half - 10))
        ref = seqs[c][p0]
        rows.append((c, p0 + 1, ref, "ACGT"[("ACGT".index(ref) + 1 + int(rng.integers(3))) % 4]))
    rows.sort()
    lines = ["##fileformat=VCFv4.2"] + [f"##contig=<ID={c},length={g.contigs[c]}>"
                                        for c in contigs]
    lines += ["#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    lines += [f"{c}\t{p}\t.\t{r}\t{a}\t.\t.\t." for c, p, r, a in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def time_model(name: str, n: int, rank_top: int) -> dict:
    model, card = checkpoints.load(f"checkpoints/{name}")
    L = int(card.input_length)
    with tempfile.TemporaryDirectory() as tmp, genome.Genome(demo_genome_path()) as g:
        vcf = random_vcf(Path(tmp) / "v.vcf", g, n, L // 2)
        t = time.perf_counter()
        found, _ = variants.read_vcf(vcf)
        scores, problems = variants.score_variant_set(model, card, found, g, True, rank_top)
        total = time.perf_counter() - t
    X = sequence.one_hot(sequence.random_sequences(min(n, 2000), L, 0.42, seed=1))
    t = time.perf_counter()
    predict.predict(model, X)
    forward = (time.perf_counter() - t) * n / len(X)
    return {"model": name, "variants": n, "scored": len(scores) // len(card.task_names),
            "problems": len(problems), "ranked": rank_top, "seconds": round(total, 1),
            "x one forward pass per variant": round(total / forward, 1)}


def truth() -> dict:
    from sklearn.metrics import roc_auc_score
    model, card = checkpoints.load("checkpoints/enhancer-4kb_decode")
    found, _ = variants.read_vcf(variants.demo_vcf_path())
    with genome.Genome(demo_genome_path()) as g:
        scores, problems = variants.score_variant_set(model, card, found, g)
    snv = scores[scores["kind"] == "SNV"]
    y = snv["info"].str.contains("CLASS=site")
    cls = snv["info"].str.extract(r"CLASS=(\w+)")[0]
    out = {"demo SNVs": len(snv), "site": int(y.sum()), "core": int((cls == "core").sum()),
            "background": int((cls == "background").sum()), "not scored": len(problems),
            "AUROC |effect| site vs rest": round(roc_auc_score(y, snv["effect"].abs()), 3),
            "AUROC -effect": round(roc_auc_score(y, -snv["effect"]), 3)}
    # deepstarr: every planted site of 200 fresh sequences broken, as many SNVs elsewhere
    from regviz import filters
    model, card = checkpoints.load("checkpoints/enhancer-activity_deepstarr")
    draw = filters.fresh_draw(card, 200)
    found, breaks, source = variants.padded_truth_set(
        draw.seqs, draw.annotations, {m.name: m.id for m in card.planted_motifs}, 125)
    scores, _ = variants.score_variant_set(model, card, found, source)
    size = scores["effect"].abs().to_numpy().reshape(len(found), -1).max(axis=1)
    out.update({"deepstarr SNVs": len(found), "breaking": int(sum(breaks)),
                "deepstarr AUROC max |effect|": round(roc_auc_score(breaks, size), 3)})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ranks", type=int, default=0)
    args = ap.parse_args()
    for name, n, target in (("enhancer-activity_deepstarr", 10_000, 30),
                            ("enhancer-4kb_decode", 1_000, 60)):
        row = time_model(name, n, args.ranks)
        row["target"] = f"< {target} s: {'met' if row['seconds'] < target else 'NOT met'}"
        print(row, flush=True)
    print(truth())


if __name__ == "__main__":
    main()
