"""Grad-CAM speed on CPU: latency per 4 kb window, and a 1 Mb region scan.

1. Latency: `regviz.gradcam.gradcam` on the decode class model (4 kb, default
   layer: the last conv block's rectified output) for batches of 1, 8 and 32
   windows; ms per window, against a plain no-grad forward pass of the same batch in
   the same process (ratio = Grad-CAM / forward; Grad-CAM is a forward plus a backward
   only as far as that layer, so close to 1x at large batches; at batch 1 per-call
   overhead dominates).
   Guided Grad-CAM (one more backward to the input) for batch 8. Then, for one batch
   of 32, the model part of a scan: no-grad forward, one pass (`gradcam` with
   ``return_output``) and the old two passes (no-grad forward + captum's
   LayerGradCam), interleaved for 25 rounds, minimum of each.
2. Scan: `regviz.gradcam.scan_region` over a random 1 Mb contig at stride 2 kb
   (499 windows of 4 kb), batch 32: seconds per Mb, Mb per minute and windows per
   second, best of ``--repeats``. "one pass" is the scan as it is (the prediction
   comes from Grad-CAM's own forward: one forward + one backward per batch); "two
   passes" is the same scan with the old per-batch work patched in (a no-grad
   forward for the probabilities, then captum's LayerGradCam: a second forward and
   the backward); "forward only" is the no-grad forward of the same windows, one-hot
   already (the floor); the three interleaved in the same process.

3. ``--localisation``: the localisation figures (`regviz.gradcam.localisation`:
   Grad-CAM peak inside the planted core, top call overlapping it, median call
   width, over the test split's true positives) for the decode checkpoint
   (``--checkpoint``, default the shipped one) and for DECODE's tracks-only form
   (paper preset narrowed to 16 filters, max head) trained here for 8 epochs on
   1,500 synthetic windows of 5 binned tracks (``tracks="binned"``, seed 3).

4. ``--demo``: recall and precision of the default scan (stride 2 kb, track >= 0.5,
   50 bp; and >= 0.3) of whole demo genomes (`regviz.gradcam.demo`, seeds 0-5)
   against their planted cores, for the demo's 10-site cores and for cores of the
   model's whole training range (6-10 sites).

Weights do not change the timing: the shipped checkpoint is used when present
(``checkpoints/enhancer-4kb_decode``), else a freshly built model.
Targets (CPU, 2 threads): < 50 ms per window at batch 32; a 1 Mb scan < 60 s.

Usage: python benchmarks/bench_gradcam.py [--threads 2] [--repeats 3] [--mb 1]
       [--localisation] [--demo] [--checkpoint DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from captum.attr import LayerGradCam

import regviz.gradcam.scan as scan_module
from regviz import checkpoints, gradcam, simulate
from regviz.genome import Genome, Region, make_demo_genome, tile, write_fasta
from regviz.models import build
from regviz.sequence import one_hot, random_sequences


def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def two_pass_gradcam(model, X, layer=None, target=0, relu=True, normalize=True, bin_size=1,
                     batch_size=32, device=None, return_raw=True, return_output=True):
    """What scan_region ran per batch before: a no-grad forward for the outputs, then
    captum's LayerGradCam (forward + backward), mapped and scaled as `gradcam` does."""
    x = torch.from_numpy(np.ascontiguousarray(X))
    with torch.no_grad():
        logits = model(x)[:, target].float().numpy()
    module = model.get_submodule(layer or gradcam.default_layer(model))
    raw = LayerGradCam(model, module).attribute(x, target=target)[:, 0].detach().numpy()
    raw = np.maximum(raw, 0) if relu else raw
    centres = gradcam.position_centres(model, layer, bin_size)
    track = gradcam.to_base_resolution(raw, centres, x.shape[-1] * bin_size)
    peak = np.abs(track).max(axis=1, keepdims=True)
    track = np.divide(track, peak, out=np.zeros_like(track), where=peak > 0)
    return track, raw, centres, logits


def scan_timings(model, path, repeats):
    """Best-of-``repeats`` seconds of the one-pass scan, the old two-pass one and the
    no-grad forward of the same windows (already one-hot, batches of 32), interleaved;
    and the largest difference in track or probability between the two scans."""
    one, two, floor, diff = [], [], [], 0.0
    with Genome(path) as g:
        windows = tile(Region("chrBench", 0, g.contigs["chrBench"]), 4000, 2000)
        batches = [torch.from_numpy(one_hot([g.fetch(w) for w in windows[i:i + 32]]))
                   for i in range(0, len(windows), 32)]
    for _ in range(repeats):
        start = time.perf_counter()
        with torch.no_grad():
            for xb in batches:
                model(xb)
        floor.append(time.perf_counter() - start)
        start = time.perf_counter()
        res = gradcam.scan_region(model, path, "chrBench", stride=2000, batch_size=32)
        one.append(time.perf_counter() - start)
        scan_module.gradcam = two_pass_gradcam
        try:
            start = time.perf_counter()
            old = gradcam.scan_region(model, path, "chrBench", stride=2000, batch_size=32)
            two.append(time.perf_counter() - start)
        finally:
            scan_module.gradcam = gradcam.gradcam
        diff = max(diff, float(np.abs(res.track - old.track).max()),
                   float(np.abs(res.windows["prob"] - old.windows["prob"]).max()))
    return res, min(one), min(two), min(floor), diff


def demo_scores(model, seeds=range(6)):
    """Recall / precision of whole-demo-genome scans against their planted cores."""
    print("\n4. demo genomes (chrDemo1 + chrDemo2: 12 planted cores each), stride 2 kb, 50 bp")
    print(f"{'cores':>11} {'threshold':>9} {'recall':>12} {'precision':>12} {'median bp':>9}")
    variants = (("10 sites", gradcam.DEMO_OPTIONS),
                ("6-10 sites", {**gradcam.DEMO_OPTIONS, "core_motifs": (6, 10)}))
    with tempfile.TemporaryDirectory() as tmp:
        for label, options in variants:
            totals = {0.5: [0, 0, 0, 0, []], 0.3: [0, 0, 0, 0, []]}
            for seed in seeds:
                inserts, cores, _ = gradcam.planted_demo(seed, options)
                path = make_demo_genome(Path(tmp) / f"demo{seed}.fa", seed, insert=inserts)
                for chrom in ("chrDemo1", "chrDemo2"):
                    res = gradcam.scan_region(model, path, chrom, stride=2000)
                    for threshold, tot in totals.items():
                        calls = gradcam.call_cores(res.track, threshold, 50, relative=False)
                        per_core, sc = gradcam.score_calls(calls.assign(chrom=chrom), cores,
                                                           res.region)
                        for k, key in enumerate(("n_found", "n_known", "n_true_calls",
                                                 "n_calls")):
                            tot[k] += sc[key]
                        tot[4] += per_core["peak_distance_bp"].dropna().tolist()
            for threshold, (f, k, t, c, d) in totals.items():
                print(f"{label:>11} {threshold:>9} {f:>4}/{k:<3}{f / k:>5.0%} "
                      f"{t:>4}/{c:<3}{t / max(c, 1):>5.0%} "
                      f"{np.median(d) if d else float('nan'):>9.0f}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--mb", type=float, default=1.0, help="region size to scan (Mb)")
    p.add_argument("--localisation", action="store_true", help="also score localisation")
    p.add_argument("--demo", action="store_true", help="also score scans of demo genomes")
    p.add_argument("--checkpoint", default=str(checkpoints.SHIPPED_ROOT / "enhancer-4kb_decode"))
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    folder = Path(args.checkpoint)
    if (folder / "model.safetensors").exists():
        model, _ = checkpoints.load(folder)
        source = str(folder)
    else:
        torch.manual_seed(0)
        model, source = build("decode", 4000, 1), "fresh decode (class preset)"
    model.eval()
    print(f"model: {source}; threads {args.threads}; best of {args.repeats}")
    print(gradcam.layer_resolution(model, feature_maps=True).to_string(index=False))

    rng = np.random.default_rng(0)
    X = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (32, 4000))].transpose(0, 2, 1).copy()
    gradcam.gradcam(model, X[:2])  # warm-up (layer geometry is cached after this)
    print(f"\n1. Grad-CAM latency per 4 kb window (default layer {gradcam.default_layer(model)})")
    print(f"{'batch':>6} {'forward ms/win':>15} {'Grad-CAM ms/win':>16} {'ratio':>6}")
    for b in (1, 8, 32):
        xb = torch.from_numpy(X[:b])

        def fwd():
            with torch.no_grad():
                model(xb)

        t_f = best_of(fwd, args.repeats) / b
        t_g = best_of(lambda: gradcam.gradcam(model, X[:b], batch_size=b), args.repeats) / b
        print(f"{b:>6} {1e3 * t_f:>15.2f} {1e3 * t_g:>16.2f} {t_g / t_f:>6.1f}")
    t_gg = best_of(lambda: gradcam.gradcam(model, X[:8], guided=True, batch_size=8),
                   args.repeats) / 8
    print(f"guided Grad-CAM, batch 8: {1e3 * t_gg:.2f} ms/window")
    xb = torch.from_numpy(X)
    calls = {"no-grad forward": lambda: model(xb),
             "one pass": lambda: gradcam.gradcam(model, X, batch_size=32, return_output=True),
             "two passes": lambda: two_pass_gradcam(model, X)}
    times = {k: [] for k in calls}
    for _ in range(25):
        for k, f in calls.items():
            with torch.no_grad() if k == "no-grad forward" else torch.enable_grad():
                times[k].append(best_of(f, 1))
    floor = min(times["no-grad forward"])
    print("batch of 32, min of 25 interleaved rounds: " + "; ".join(
        f"{k} {1e3 * min(v):.1f} ms ({min(v) / floor:.2f}x)" for k, v in times.items()))

    length = int(args.mb * 1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_fasta([("chrBench", random_sequences(1, length, 0.42, seed=1)[0])],
                           Path(tmp) / "bench.fa")
        res, t_scan, t_two, t_fwd, diff = scan_timings(model, path, args.repeats)
        n = len(res.windows)
    mb = length / 1e6
    print(f"\n2. scan of {mb:g} Mb at stride 2 kb: {n} windows, {len(res.calls)} cores "
          f"called, track {res.track.nbytes / 2**20:.1f} MiB; best of {args.repeats}")
    print(f"{'':>13} {'s':>6} {'s per Mb':>9} {'Mb/min':>7} {'windows/s':>10} {'x floor':>8}")
    for label, sec in (("one pass", t_scan), ("two passes", t_two), ("forward only", t_fwd)):
        print(f"{label:>13} {sec:>6.2f} {sec / mb:>9.2f} {60 * mb / sec:>7.1f} "
              f"{n / sec:>10.1f} {sec / t_fwd:>8.2f}")
    print(f"one pass: {t_two / t_scan:.2f}x the speed of two passes; largest difference in "
          f"track or probability {diff:.1e}")
    if args.localisation:
        localisation_figures(model, source)
    if args.demo:
        demo_scores(model)
    return 0


def _show(name, summary):
    print(f"{name}: {summary['n_true_positive']} true positives of {summary['n_positive']} "
          f"test positives; peak in core {summary['peak_in_core_fraction']:.1%}; top call "
          f"overlaps core {summary['call_overlap_fraction']:.1%}; median call width "
          f"{summary['median_call_width']:.0f} bp; all calls touching a core "
          f"{summary['all_calls_overlap_fraction']:.1%}")


def localisation_figures(model, source):
    print("\n3. localisation on the test split (threshold 0.5 x peak, min width 50 bp)")
    try:
        card = checkpoints.read_card(source)
        _, summary = gradcam.localisation(model, checkpoints.dataset_from_card(card), "test")
        _show(f"{source} (test AUROC {card.test_metrics.get('auroc_mean')})", summary)
    except Exception as error:  # noqa: BLE001 - a fresh model has no card
        print(f"{source}: skipped ({error})")
    t = time.perf_counter()
    ds = simulate.make_dataset("enhancer-4kb", 1500, seed=3, tracks="binned")
    X = torch.from_numpy(np.asarray(ds.tracks, np.float32))
    y = torch.from_numpy(ds.y[:, :1])
    torch.manual_seed(0)
    m = build("decode", 200, 1, preset="paper", conv_filters=[16, 16, 16], dense=[16],
              head="max")
    opt = torch.optim.Adam(m.parameters(), 3e-3)
    loss = torch.nn.BCEWithLogitsLoss()
    train = ds.splits["train"]
    for epoch in range(8):
        m.train()
        order = np.random.default_rng(epoch).permutation(train)
        for i in range(0, len(order), 64):
            b = order[i:i + 64]
            opt.zero_grad()
            loss(m(X[b]), y[b]).backward()
            opt.step()
    m.eval()
    from sklearn.metrics import roc_auc_score

    with torch.no_grad():
        p = torch.sigmoid(m(X[ds.splits["test"]]))[:, 0].numpy()
    auc = roc_auc_score(ds.y[ds.splits["test"], 0], p)
    _, summary = gradcam.localisation(m, ds, "test")
    _show(f"tracks-only DECODE (5 x 200 bins, trained in {time.perf_counter() - t:.0f} s, "
          f"test AUROC {auc:.3f})", summary)
    print(gradcam.layer_resolution(m, feature_maps=True).to_string(index=False))


if __name__ == "__main__":
    sys.exit(main())
