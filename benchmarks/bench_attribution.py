"""Attribution latency per method, and fast ISM against batched brute force.

    .venv/bin/python benchmarks/bench_attribution.py
    .venv/bin/python benchmarks/bench_attribution.py --quick
    .venv/bin/python benchmarks/bench_attribution.py --skip-latency --skip-ism \
        --skip-tangermeme --ig-steps --ground-truth

Table 1: wall seconds (and CPU seconds) for one sequence per method (best of 3 after a
warm-up call), deepstarr (class preset) at 249 bp and decode (class preset) at 4,000 bp,
CPU with 2 threads (random weights: latency does not depend on training). Table 2: fast
ISM vs batched brute force (`regviz.attribution.ism_brute_force`, 3 L mutants in batches
of 256) of the same model in the same process, with the maximum absolute difference, in
wall seconds and in CPU seconds of the process (all threads; best of 3 for the fast
path, one run of brute force). On a machine shared with other jobs wall seconds swing
with the load and the CPU columns are the ones to compare. Target: >= 20x (CPU) at 4 kb
(decode; deepstarr built at 4,000 bp). ``--ism-lengths 4000`` runs only the 4 kb rows.
``--brute-fraction`` times brute force on an evenly spaced subset of positions and
scales by the number of mutants (its cost is linear in them); the table says when a
number is extrapolated.

Table 3 (only where the optional ``tangermeme`` package is installed; ``--skip-
tangermeme`` leaves it out): tangermeme's ``saturation_mutagenesis`` (fast=True) on the
same 4 kb models, beside regviz's fast ISM: whether tangermeme took its fast path (it
refuses models with forward hooks, issue #21; regviz models carry none), its time, and
the largest difference from regviz's values.

``--ground-truth``: positional AUROC / auPRC of every method's |importance| against the
planted sites, 200 test sequences of the shipped tf-binding_deepbind (CTCF) and
enhancer-activity_deepstarr (Dev, Hk) checkpoints (`regviz.attribution.ground_truth.
score_method`, IG 32 steps, 10 shuffled references; what tests/test_attribution.py
asserts lower bounds on).

``--ig-steps``: integrated gradients' completeness on the shipped enhancer-activity_
deepstarr against the number of Gauss-Legendre steps (zeros reference): the relative
delta of the page's example sequence, the worst and median of 20 test sequences, and
the track's Pearson r with the 512-step track (the numbers behind the sanity panel's
``{"n_steps": 256}`` suggestion).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import platform
import sys
import time
import warnings
from unittest import mock

import regviz  # noqa: F401 - before torch: sets OMP_WAIT_POLICY=PASSIVE (no spinning threads)
import numpy as np
import torch

from regviz import attribution as A
from regviz import checkpoints
from regviz.attribution import ground_truth as G
from regviz.attribution import mutagenesis as I
from regviz.models import build, deeplift_guards
from regviz.sequence import one_hot

try:                                  # optional: table 3 only where it is installed
    import tangermeme.saturation_mutagenesis  # noqa: F401
    TM = sys.modules["tangermeme.saturation_mutagenesis"]   # the module, not the function
except ImportError:
    TM = None

TARGET_RATIO_4KB = 20.0


def random_x(n, length, seed=0):
    idx = np.random.default_rng(seed).integers(0, 4, (n, length))
    return np.eye(4, dtype=np.float32)[idx].transpose(0, 2, 1).copy()


def clock(fn, repeat=1):
    """(best wall seconds, best CPU seconds of this process, last result) over ``repeat``
    runs. CPU seconds (all threads together) hardly change when other processes compete
    for the cores, wall seconds do: on a shared machine compare the CPU columns."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = min(wall, time.perf_counter() - t), min(cpu, time.process_time() - c)
    return wall, cpu, out


def timed(fn, repeat=1):
    wall, _, out = clock(fn, repeat)
    return wall, out


def latency_table(quick: bool):
    print("\n## Latency per method (one sequence; wall seconds (CPU seconds); CPU, 2 "
          "threads)\n")
    print(f"{'method':24s} {'deepstarr 249 bp':>20s} {'decode 4,000 bp':>20s}")
    models = {249: build("deepstarr", 249, 2, output_kind="regression").eval(),
              4000: build("decode", 4000, 1).eval()}
    opts = {"integrated_gradients": {"n_steps": 50}, "deeplift_shap": {"n_references": 10},
            "gradient_shap": {"n_references": 10, "n_samples": 20}}
    for length, model in models.items():              # warm up (first-call costs)
        A.attribute(model, random_x(1, length), "saliency")
    for method in A.METHODS:
        row = []
        for length, model in models.items():
            X = random_x(1, length)
            wall, cpu, _ = clock(lambda: A.attribute(model, X, method, **opts.get(method, {})),
                                 1 if quick else 3)
            row.append(f"{wall:.3f} ({cpu:.3f})")
        print(f"{A.TITLES[method]:24s} {row[0]:>20s} {row[1]:>20s}", flush=True)


def brute_time(model, X, fraction):
    """(wall s, CPU s, result or None, extrapolated?) of batched brute force."""
    L = X.shape[-1]
    if fraction >= 1.0:
        wall, cpu, out = clock(lambda: I.ism_brute_force(model, X))
        return wall, cpu, out, False
    keep = np.unique(np.linspace(0, L - 1, max(1, int(L * fraction))).astype(int))
    # the same batched brute force on the mutants at `keep` only, scaled to all L
    wall, cpu, _ = clock(lambda: I.ism_brute_force(model, X, positions=keep))
    return wall * L / len(keep), cpu * L / len(keep), None, True


def ism_table(quick: bool, fraction_4kb: float, lengths=None):
    print("\n## Fast ISM vs batched brute force (one sequence, CPU, 2 threads; wall and "
          "CPU seconds)\n")
    print(f"{'model':10s} {'length':>7s} {'fast s':>8s} {'brute s':>8s} {'ratio':>7s} "
          f"{'fast cpu':>9s} {'brute cpu':>10s} {'cpu ratio':>9s} {'max |diff|':>11s}  note")
    lengths = lengths or ((249, 600) if quick else (249, 600, 4000))
    for name in ("deepstarr", "decode"):
        for length in lengths:
            model = build(name, length, 1).eval()
            X = random_x(1, length)
            t_fast, c_fast, fast = clock(lambda: I.ism(model, X), 1 if quick else 3)
            frac = fraction_4kb if length >= 4000 else 1.0
            t_brute, c_brute, brute, extrap = brute_time(model, X, frac)
            diff = f"{np.abs(fast - brute).max():.1e}" if brute is not None else "n/a"
            note = f"brute extrapolated from {frac:.0%} of positions" if extrap else ""
            if length >= 4000:
                ok = c_brute / c_fast >= TARGET_RATIO_4KB
                note += f" target >= {TARGET_RATIO_4KB:.0f}x (cpu): {'met' if ok else 'NOT met'}"
            print(f"{name:10s} {length:7d} {t_fast:8.3f} {t_brute:8.2f} {t_brute / t_fast:6.1f}x "
                  f"{c_fast:9.3f} {c_brute:10.2f} {c_brute / c_fast:8.1f}x {diff:>11s}  {note}",
                  flush=True)


def hooks_on(model) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


def tangermeme_table(lengths=(4000,)):
    print("\n## tangermeme saturation_mutagenesis (fast=True) vs regviz fast ISM "
          "(one sequence, CPU, 2 threads)\n")
    print(f"{'model':10s} {'length':>7s} {'hooks':>5s} {'regviz s':>9s} {'tangermeme s':>13s} "
          f"{'regviz cpu':>11s} {'tangermeme cpu':>15s} {'max |diff|':>11s}  path taken")
    # the last row: deepstarr with the DeepLIFT guards installed, as every zoo model
    # carried them before issue #21
    cases = [(n, length, False) for n in ("deepstarr", "decode") for length in lengths]
    for name, length, guarded in cases + [("deepstarr", lengths[-1], True)]:
        model = build(name, length, 1).eval()
        X = random_x(1, length)
        t_ours, c_ours, ours = clock(lambda: I.ism(model, X), 3)
        taken = []                     # what tangermeme's own path decision returned

        def spy(*args, **kwargs):
            out = real(*args, **kwargs)
            taken.append(out[0] is not None)
            return out

        real = TM._fast_path
        with warnings.catch_warnings(record=True) as caught, contextlib.ExitStack() as stack:
            warnings.simplefilter("always")
            stack.enter_context(mock.patch.object(TM, "_fast_path", spy))
            if guarded:
                stack.enter_context(deeplift_guards(model))
            hooks = hooks_on(model)
            t_tm, c_tm, (y0, y_hat) = clock(lambda: TM.saturation_mutagenesis(
                model, torch.from_numpy(X), raw_outputs=True, batch_size=256, fast=True))
        said = [str(w.message) for w in caught if "fast=False" in str(w.message)]
        theirs = (y_hat[..., 0] - y0[:, None, None, 0]).numpy()
        diff = float(np.abs(theirs - ours).max())
        path = ("fast" if taken and taken[0] else
                "fast=False: " + said[0].split("because ")[-1][:70] if said else
                "fast=False (not tried: brute force under 30 s)")
        print(f"{name:10s} {length:7d} {hooks:5d} {t_ours:9.3f} {t_tm:13.2f} {c_ours:11.3f} "
              f"{c_tm:15.2f} {diff:11.1e}  {path}", flush=True)


def _shipped(name):
    model, card = checkpoints.load(checkpoints.SHIPPED_ROOT / name)
    return model.eval(), card, checkpoints.dataset_from_card(card)


def ground_truth_table(n=200):
    print(f"\n## Ground truth: positional AUROC (auPRC) of |importance|, {n} test sequences "
          "of each shipped model\n")
    cols = [("tf-binding_deepbind", 0), ("enhancer-activity_deepstarr", 0),
            ("enhancer-activity_deepstarr", 1)]
    loaded, heads = {}, []
    for name, t in cols:
        model, card, ds = loaded.setdefault(name, _shipped(name))
        heads.append(f"{name.split('_')[1]} {card.task_names[t]}")
    print(f"{'method':24s}" + "".join(f"{h:>22s}" for h in heads))
    chance = []
    for method in A.METHODS:
        row = []
        for name, t in cols:
            model, card, ds = loaded[name]
            task = card.task_names[t]
            seqs, ann, _ = G.test_subset(ds, n, seed=0, only_with_sites=task)
            s = G.score_method(model, one_hot(seqs), ann, ds.grammar, task, method, t,
                               n_steps=32, n_references=10)
            row.append(f"{s['auroc']:.3f} ({s['auprc']:.2f})")
            if method == A.METHODS[0]:
                chance.append(f"0.500 ({s['baseline_auprc']:.2f})")
        print(f"{A.TITLES[method]:24s}" + "".join(f"{c:>22s}" for c in row), flush=True)
    print(f"{'chance':24s}" + "".join(f"{c:>22s}" for c in chance))


def ig_steps_table(steps=(32, 64, 128, 256, 512), n=20):
    print("\n## Integrated gradients: completeness vs steps (shipped enhancer-activity_"
          f"deepstarr, zeros reference; page example and {n} test sequences)\n")
    print(f"{'task':5s} {'steps':>5s} {'example':>8s} {'worst':>8s} {'median':>8s} "
          f"{'<1%':>6s} {'track r vs 512':>15s} {'seconds':>8s}")
    model, card, ds = _shipped("enhancer-activity_deepstarr")
    for t, task in enumerate(card.task_names):
        example = one_hot(G.test_subset(ds, 1, seed=0, only_with_sites=task)[0])
        X = one_hot(G.test_subset(ds, n, seed=0, only_with_sites=task)[0])
        fine = A.importance(A.attribute(model, X, "integrated_gradients", t, n_steps=512), X)
        for k in steps:
            start = time.perf_counter()
            rel = A.sanity(model, X, "integrated_gradients", t, n_steps=k,
                           checks=("completeness",))["completeness"]["relative_delta"]
            seconds = time.perf_counter() - start
            ex = A.sanity(model, example, "integrated_gradients", t, n_steps=k,
                          checks=("completeness",))["completeness"]["relative_delta"].iloc[0]
            track = A.importance(A.attribute(model, X, "integrated_gradients", t, n_steps=k), X)
            r = np.mean([np.corrcoef(a, b)[0, 1] for a, b in zip(track, fine)])
            print(f"{task:5s} {k:5d} {ex:8.4f} {rel.max():8.4f} {rel.median():8.4f} "
                  f"{(rel < 0.01).sum():3d}/{n:<2d} {r:15.4f} {seconds:8.1f}", flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="skip 4 kb ISM, one repeat")
    p.add_argument("--brute-fraction", type=float, default=1.0,
                   help="fraction of positions brute force is timed on at 4 kb (default 1)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--skip-latency", action="store_true")
    p.add_argument("--skip-ism", action="store_true", help="skip the fast-vs-brute table")
    p.add_argument("--ism-lengths", type=int, nargs="+", default=None,
                   help="lengths of the fast-vs-brute table (default 249 600 4000)")
    p.add_argument("--skip-tangermeme", action="store_true")
    p.add_argument("--ground-truth", action="store_true",
                   help="also score every method against the planted motifs (minutes)")
    p.add_argument("--ig-steps", action="store_true",
                   help="also measure IG completeness against the number of steps (minutes)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore", UserWarning)
    load_before = os.getloadavg()[0]
    print(f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, torch "
          f"{torch.__version__}, {torch.get_num_threads()} threads, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}"
          f", load average {load_before:.1f} at start")
    if not args.skip_latency:
        latency_table(args.quick)
    if not args.skip_ism:
        ism_table(args.quick, args.brute_fraction, args.ism_lengths)
    if TM is None:
        print("\n(tangermeme is not installed: no tangermeme table)")
    elif not args.skip_tangermeme:
        tangermeme_table((600,) if args.quick else (4000,))
    if args.ig_steps:
        ig_steps_table()
    if args.ground_truth:
        ground_truth_table()
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end (1-minute; above "
          f"{os.cpu_count()} means other jobs competed for the cores)")


if __name__ == "__main__":
    main()
