"""Grad-CAM speed on CPU: latency per 4 kb window, and a 1 Mb region scan.

1. Latency: `regviz.gradcam.gradcam` on the decode class model (4 kb, default
   layer: the last conv block's rectified output) for batches of 1, 8 and 32
   windows; ms per window, against a plain no-grad forward pass of the same batch in
   the same process (ratio = Grad-CAM / forward; Grad-CAM is a forward plus a backward
   only as far as that layer, so close to 1x at large batches; at batch 1 per-call
   overhead dominates).
   Guided Grad-CAM (one more backward to the input) for batch 8.
2. Scan: `regviz.gradcam.scan_region` over a random 1 Mb contig at stride 2 kb
   (499 windows of 4 kb), batch 32: seconds per Mb and windows per second, with
   the forward-only time of the same windows as the reference.

3. ``--localisation``: the localisation figures (`regviz.gradcam.localisation`:
   Grad-CAM peak inside the planted core, top call overlapping it, median call
   width, over the test split's true positives) for the decode checkpoint
   (``--checkpoint``, default the shipped one) and for DECODE's tracks-only form
   (paper preset narrowed to 16 filters, max head) trained here for 8 epochs on
   1,500 synthetic windows of 5 binned tracks (``tracks="binned"``, seed 3).

Weights do not change the timing: the shipped checkpoint is used when present
(``checkpoints/enhancer-4kb_decode``), else a freshly built model.
Targets (CPU, 2 threads): < 50 ms per window at batch 32; a 1 Mb scan < 60 s.

Usage: python benchmarks/bench_gradcam.py [--threads 2] [--repeats 3] [--mb 1]
       [--localisation [--checkpoint DIR]]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from regviz import checkpoints, gradcam
from regviz.genome import write_fasta
from regviz.models import build
from regviz.sequence import random_sequences


def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--mb", type=float, default=1.0, help="region size to scan (Mb)")
    p.add_argument("--localisation", action="store_true", help="also score localisation")
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

    length = int(args.mb * 1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_fasta([("chrBench", random_sequences(1, length, 0.42, seed=1)[0])],
                           Path(tmp) / "bench.fa")
        t = time.perf_counter()
        res = gradcam.scan_region(model, path, "chrBench", stride=2000, batch_size=32)
        t_scan = time.perf_counter() - t
        n = len(res.windows)
        Xs = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (32, 4000))].transpose(0, 2, 1)
        xb = torch.from_numpy(Xs.copy())

        def fwd32():
            with torch.no_grad():
                model(xb)

        t_fwd = best_of(fwd32, args.repeats) / 32 * n
    print(f"\n2. scan of {length / 1e6:g} Mb at stride 2 kb: {n} windows in {t_scan:.1f} s "
          f"({t_scan / (length / 1e6):.1f} s per Mb, {n / t_scan:.1f} windows/s); forward "
          f"only would take {t_fwd:.1f} s (ratio {t_scan / t_fwd:.1f}); "
          f"{len(res.calls)} cores called; track {res.track.nbytes / 2**20:.1f} MiB")
    if args.localisation:
        localisation_figures(model, source)
    return 0


def _show(name, summary):
    print(f"{name}: {summary['n_true_positive']} true positives of {summary['n_positive']} "
          f"test positives; peak in core {summary['peak_in_core_fraction']:.1%}; top call "
          f"overlaps core {summary['call_overlap_fraction']:.1%}; median call width "
          f"{summary['median_call_width']:.0f} bp; all calls touching a core "
          f"{summary['all_calls_overlap_fraction']:.1%}")


def localisation_figures(model, source):
    from regviz import checkpoints, simulate

    print("\n3. localisation on the test split (threshold 0.5 x peak, min width 50 bp)")
    try:
        card = checkpoints.read_card(source)
        _, summary = gradcam.localisation(model, checkpoints.dataset_from_card(card), "test")
        _show(f"{source} (test AUROC {card['metrics']['test'].get('auroc_mean')})", summary)
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
