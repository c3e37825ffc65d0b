"""Attribution latency per method, and fast ISM against batched brute force.

    .venv/bin/python benchmarks/bench_attribution.py
    .venv/bin/python benchmarks/bench_attribution.py --quick

Table 1: seconds for one sequence per method, deepstarr (class preset) at 249 bp and
decode (class preset) at 4,000 bp, CPU with 2 threads (random weights: latency does not
depend on training). Table 2: fast ISM vs batched brute force (`regviz.attribution.
ism_brute_force`, 3 L mutants in batches of 256) of the same model in the same process,
with the maximum absolute difference. Target: >= 20x at 4 kb (decode; deepstarr built
at 4,000 bp). ``--brute-fraction`` times brute force on an evenly spaced subset of
positions and scales by the number of mutants (its cost is linear in them); the table
says when a number is extrapolated.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch

from regviz import attribution as A
from regviz.attribution import mutagenesis as I
from regviz.models import build

TARGET_RATIO_4KB = 20.0


def random_x(n, length, seed=0):
    idx = np.random.default_rng(seed).integers(0, 4, (n, length))
    return np.eye(4, dtype=np.float32)[idx].transpose(0, 2, 1).copy()


def timed(fn, repeat=1):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def latency_table(quick: bool):
    print("\n## Latency per method (one sequence, seconds; CPU, 2 threads)\n")
    print(f"{'method':24s} {'deepstarr 249 bp':>18s} {'decode 4,000 bp':>18s}")
    models = {249: build("deepstarr", 249, 2, output_kind="regression").eval(),
              4000: build("decode", 4000, 1).eval()}
    opts = {"integrated_gradients": {"n_steps": 50}, "deeplift_shap": {"n_references": 10},
            "gradient_shap": {"n_references": 10, "n_samples": 20}}
    for method in A.METHODS:
        row = []
        for length, model in models.items():
            X = random_x(1, length)
            t, _ = timed(lambda: A.attribute(model, X, method, **opts.get(method, {})),
                         1 if quick or method == "ism" else 2)
            row.append(t)
        print(f"{A.TITLES[method]:24s} {row[0]:18.3f} {row[1]:18.3f}", flush=True)


def brute_time(model, X, fraction):
    L = X.shape[-1]
    if fraction >= 1.0:
        t, out = timed(lambda: I.ism_brute_force(model, X))
        return t, out, False
    keep = np.unique(np.linspace(0, L - 1, max(1, int(L * fraction))).astype(int))
    # the same batched brute force on the mutants at `keep` only, scaled to all L
    sub_t, _ = timed(lambda: I.ism_brute_force(model, X, positions=keep))
    return sub_t * L / len(keep), None, True


def ism_table(quick: bool, fraction_4kb: float):
    print("\n## Fast ISM vs batched brute force (one sequence, CPU, 2 threads)\n")
    print(f"{'model':10s} {'length':>7s} {'fast s':>9s} {'brute s':>9s} {'ratio':>7s} "
          f"{'max |diff|':>11s}  note")
    lengths = (249, 600) if quick else (249, 600, 4000)
    for name in ("deepstarr", "decode"):
        for length in lengths:
            model = build(name, length, 1).eval()
            X = random_x(1, length)
            t_fast, fast = timed(lambda: I.ism(model, X), 2)
            frac = fraction_4kb if length >= 4000 else 1.0
            t_brute, brute, extrap = brute_time(model, X, frac)
            diff = f"{np.abs(fast - brute).max():.1e}" if brute is not None else "n/a"
            note = f"brute extrapolated from {frac:.0%} of positions" if extrap else ""
            if length >= 4000:
                ok = t_brute / t_fast >= TARGET_RATIO_4KB
                note += f" target >= {TARGET_RATIO_4KB:.0f}x: {'met' if ok else 'NOT met'}"
            print(f"{name:10s} {length:7d} {t_fast:9.3f} {t_brute:9.2f} "
                  f"{t_brute / t_fast:6.1f}x {diff:>11s}  {note}", flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="skip 4 kb ISM, one repeat")
    p.add_argument("--brute-fraction", type=float, default=1.0,
                   help="fraction of positions brute force is timed on at 4 kb (default 1)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--skip-latency", action="store_true")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore", UserWarning)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    if not args.skip_latency:
        latency_table(args.quick)
    ism_table(args.quick, args.brute_fraction)


if __name__ == "__main__":
    main()
