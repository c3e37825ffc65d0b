"""Timing of the default spacing experiment on the shipped enhancer-activity model.

Default experiment: 2 motifs (the first non-additive grammar pair, GATA-twist), 4
orientations, gaps 0..100 bp on both sides, 50 dinucleotide-shuffled backgrounds:
202 positions x (4 A+B + 2 B-alone) x 50 + 150 = 60,750 predictions. Target: under
30 s on 2 CPU cores. The reference is a plain batched forward pass over the same
number of sequences in the same process, so the ratio shows the experiment's own
overhead whatever the machine's load (printed, since the cores may be shared).

    .venv/bin/python benchmarks/bench_spacing.py
    .venv/bin/python benchmarks/bench_spacing.py --checkpoint DIR
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from regviz import checkpoints, sequence, spacing

TARGET_S = 30.0


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--checkpoint", default=str(checkpoints.SHIPPED_ROOT / "enhancer-activity_deepstarr"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--backgrounds", type=int, default=50)
    p.add_argument("--batch-sizes", default="256,512,1024")
    p.add_argument("--all-pairs", action="store_true",
                   help="also run the default experiment on every grammar pair and print "
                        "Pearson(recovered, planted) and interval coverage of 0")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    model, card = checkpoints.load(args.checkpoint)
    ds = checkpoints.dataset_from_card(card)
    grammar = ds.grammar
    pair = next(q for q in grammar["pairs"] if q["strength"] > 0)
    ids = [grammar["motifs"][pair[k]]["id"] for k in ("a", "b")]
    target = list(grammar["outputs"]).index(pair["output"])
    bgs = spacing.make_backgrounds([ds.seqs[i] for i in ds.splits["test"]], args.backgrounds,
                                   "shuffle", seed=0)
    print(f"checkpoint {args.checkpoint}; pair {pair['name']} ({ids[0]} + {ids[1]}), "
          f"target {target}; {args.threads} threads; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    n_pred = (202 * 6 + 3) * args.backgrounds
    X = torch.from_numpy(sequence.one_hot(sequence.random_sequences(4096, 249, 0.42, seed=0)))
    model.eval()

    def reference() -> float:
        t0 = time.perf_counter()
        with torch.inference_mode():
            for done in range(0, n_pred, 512):
                model(X[:min(512, n_pred - done)])
        return time.perf_counter() - t0

    ref = reference()
    print(f"\nreference: plain forward of {n_pred:,} sequences (batch 512): {ref:.1f} s "
          f"({n_pred / ref:,.0f} seq/s)\n")
    print(f"{'batch':>6} {'predictions':>12} {'seconds':>8} {'seq/s':>8} {'x ref':>6} "
          f"{'target':>7}")
    for bs in (int(b) for b in args.batch_sizes.split(",")):
        t0 = time.perf_counter()
        df = spacing.spacing_experiment(model, *ids, bgs, range(0, 101), target=target,
                                        grammar=grammar, batch_size=bs)
        dt = time.perf_counter() - t0
        print(f"{bs:>6} {n_pred:>12,} {dt:>8.1f} {n_pred / dt:>8,.0f} {dt / ref:>6.2f} "
              f"{'ok' if dt < TARGET_S else 'SLOW':>7}")
    again = reference()
    print(f"\nreference again after the runs: {again:.1f} s (load changes between runs "
          "show up as a gap between the two references)")
    r = np.corrcoef(df["median"], df["planted"])[0, 1]
    print(f"\nrows {len(df)}; Pearson(recovered, planted) = {r:.3f}; "
          f"mode: {spacing.infer_mode(df)['text']}")
    if args.all_pairs:
        print(f"\n{'pair':<11} {'kind':<13} {'Pearson':>8} {'covers 0':>9} {'seconds':>8}  "
              "inferred mode")
        for q in grammar["pairs"]:
            ids = [grammar["motifs"][q[k]]["id"] for k in ("a", "b")]
            t0 = time.perf_counter()
            df = spacing.spacing_experiment(model, *ids, bgs, range(0, 101),
                                            target=list(grammar["outputs"]).index(q["output"]),
                                            grammar=grammar)
            dt = time.perf_counter() - t0
            r = np.corrcoef(df["median"], df["planted"])[0, 1] if q["strength"] else np.nan
            cover = ((df["ci_low"] <= 0) & (df["ci_high"] >= 0)).mean()
            print(f"{q['name']:<11} {q['kind']:<13} {r:>8.3f} {cover:>9.2f} {dt:>8.1f}  "
                  f"{spacing.infer_mode(df)['mode']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
