"""Synthetic sets: generation time and a bag-of-k-mers baseline.

Prints two tables:

1. Time to generate ``--n`` (default 100,000) sequences of each set, next to
   the time to draw the same number of bare i.i.d. backgrounds and turn them
   into strings (the floor any generator pays), plus the size of the result.
   enhancer-4kb is also timed with its tracks (binned at 100,000; per-bp at
   10,000, as 100,000 per-bp tracks would take 3.2 GB).
2. The ``kmer_logreg`` baseline: k-mer counts (k = 4 and 5, standardised) with
   logistic regression (binary, multitask: AUROC per task) or ridge regression
   (enhancer-activity: Pearson r per output), trained on the train split of
   ``--train-n`` (default 20,000) sequences and scored on the test split. The
   "ceiling" column scores the noiseless labels against the noisy test labels:
   the best any model can do given the label noise.

Run: ``.venv/bin/python benchmarks/bench_simulate.py [--n 100000] [--train-n 20000]``
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from regviz import simulate
from regviz.simulate import engine as G

_CODE = np.zeros(256, dtype=np.int64)
for _i, _b in enumerate(b"ACGT"):
    _CODE[_b] = _i


def kmer_counts(seqs: list, k: int) -> np.ndarray:
    """Counts of every k-mer (4**k columns, lexicographic), shape (n, 4**k), float32."""
    n, L = len(seqs), len(seqs[0])
    out = np.empty((n, 4 ** k), dtype=np.float32)
    step = max(1, 20_000_000 // L)
    for r0 in range(0, n, step):
        chunk = seqs[r0:r0 + step]
        codes = _CODE[np.frombuffer("".join(chunk).encode(), dtype=np.uint8)].reshape(len(chunk), L)
        idx = np.zeros((len(chunk), L - k + 1), dtype=np.int64)
        for j in range(k):
            idx = idx * 4 + codes[:, j:L - k + 1 + j]
        flat = (np.arange(len(chunk))[:, None] * 4 ** k + idx).ravel()
        counts = np.bincount(flat, minlength=len(chunk) * 4 ** k)
        out[r0:r0 + len(chunk)] = counts.reshape(-1, 4 ** k)
    return out


def kmer_baseline(d, k: int) -> list:
    """Test-split scores of k-mer logistic (or ridge) regression, one per task."""
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.metrics import roc_auc_score
    from sklearn.preprocessing import StandardScaler

    X = kmer_counts(d.seqs, k)
    tr, te = d.splits["train"], d.splits["test"]
    scaler = StandardScaler().fit(X[tr])
    Xtr, Xte = scaler.transform(X[tr]), scaler.transform(X[te])
    scores = []
    for t in range(d.y.shape[1]):
        if d.task_kind == "regression":
            p = Ridge(alpha=10.0).fit(Xtr, d.y[tr, t]).predict(Xte)
            scores.append(float(np.corrcoef(p, d.y[te, t])[0, 1]))
        else:
            model = LogisticRegression(C=0.05, max_iter=3000).fit(Xtr, d.y[tr, t])
            scores.append(float(roc_auc_score(d.y[te, t], model.decision_function(Xte))))
    return scores


def ceiling(d) -> list:
    """Score of the noiseless labels against the (noisy) test labels."""
    from sklearn.metrics import roc_auc_score

    truth = simulate.labels_from_annotations(d)
    te = d.splits["test"]
    if d.task_kind == "regression":
        return [float(np.corrcoef(truth[te, t], d.y[te, t])[0, 1]) for t in range(d.y.shape[1])]
    return [float(roc_auc_score(d.y[te, t], truth[te, t])) for t in range(d.y.shape[1])]


def size_mb(d) -> float:
    seq_bytes = len(d) * (sys.getsizeof("") + d.length)
    extra = 0 if d.tracks is None else d.tracks.nbytes
    return (seq_bytes + d.annotations.memory_usage(deep=True).sum() + extra) / 1e6


def background_floor(n: int, length: int) -> float:
    """Seconds to draw n bare i.i.d. backgrounds and make strings (no sites)."""
    rng = np.random.default_rng(0)
    gc = np.full(n, 0.42)
    empty = G.empty_instances(n, 1, np.array([1]))
    t = time.perf_counter()
    G.render(rng, empty, {}, gc, length)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="sequences per timed set")
    ap.add_argument("--train-n", type=int, default=20_000, help="sequences for the baseline")
    ap.add_argument("--skip-baseline", action="store_true")
    args = ap.parse_args()
    simulate.make_dataset("tf-binding", 10)  # load JASPAR, import once

    print(f"Generation of {args.n:,} sequences (seconds; 'floor' = bare backgrounds to strings)")
    print(f"{'set':40s} {'length':>6s} {'seconds':>8s} {'floor':>7s} {'ratio':>6s} {'MB':>7s} "
          f"{'sites/seq':>9s}")
    runs = [(name, {}, args.n) for name in simulate.list_datasets()]
    runs += [("enhancer-4kb", {"tracks": "binned"}, args.n),
             ("enhancer-4kb", {"tracks": "per_bp"}, min(args.n, 10_000))]
    for name, opts, n in runs:
        t = time.perf_counter()
        d = simulate.make_dataset(name, n, seed=0, **opts)
        sec = time.perf_counter() - t
        floor = background_floor(n, d.length)
        label = name + (f" tracks={opts['tracks']}" if opts else "")
        label += "" if n == args.n else f" (n={n:,})"
        n_sites = int((d.annotations["motif_id"] != "").sum())
        print(f"{label:40s} {d.length:6d} {sec:8.2f} {floor:7.2f} {sec / floor:6.1f} "
              f"{size_mb(d):7.0f} {n_sites / n:9.2f}", flush=True)
        del d

    if args.skip_baseline:
        return
    print(f"\nkmer_logreg baseline, {args.train_n:,} sequences (80/10/10 split), test-split "
          "scores per task (AUROC; Pearson r for enhancer-activity)")
    print(f"{'set':22s} {'task':10s} {'metric':8s} {'k=4':>6s} {'k=5':>6s} {'ceiling':>8s} "
          f"{'seconds':>8s}")
    for name in simulate.list_datasets():
        t = time.perf_counter()
        d = simulate.make_dataset(name, args.train_n, seed=0)
        s4, s5, top = kmer_baseline(d, 4), kmer_baseline(d, 5), ceiling(d)
        metric = "pearson" if d.task_kind == "regression" else "auroc"
        sec = time.perf_counter() - t
        for i, task in enumerate(d.task_names):
            print(f"{name if i == 0 else '':22s} {task:10s} {metric:8s} {s4[i]:6.3f} {s5[i]:6.3f} "
                  f"{top[i]:8.3f} {f'{sec:.1f}' if i == 0 else '':>8s}", flush=True)


if __name__ == "__main__":
    main()
