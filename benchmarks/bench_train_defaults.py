"""Train-page defaults: time and test quality of each (architecture, set) default.

Trains every entry of `regviz.training.defaults.DEFAULTS` (seed 0, CPU) exactly as the
Train page would (`Defaults.spec`), and prints one row per pair: sequences, epochs run
(of the maximum), wall seconds, CPU seconds of the process, the test metric (AUROC mean,
or Pearson mean on enhancer-activity), the quality recorded in the table, and the
shipped checkpoint's metric for comparison.

Run: ``python benchmarks/bench_train_defaults.py [--pairs deepbind:tf-binding ...]
[--threads 2]``. On a machine whose cores are shared with other work, wall time varies a
lot from run to run (and multi-threaded torch suffers most); the header prints the load
average before and after, and the CPU seconds are the steadier number.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import regviz  # noqa: F401 - before torch: sets OMP_WAIT_POLICY=PASSIVE
import torch

from regviz import checkpoints
from regviz.training import DEFAULTS, run_job
from regviz.training.compare import headline_metric


def shipped_metric(model: str, dataset: str) -> str:
    folder = checkpoints.SHIPPED_ROOT / f"{dataset}_{model}"
    if not (folder / checkpoints.CARD).is_file():
        return "-"
    found = headline_metric(checkpoints.read_card(folder))
    return f"{found[1]:.3f}" if found else "-"


def bench(d, threads: int, seed: int, out: Path) -> dict:
    wall, cpu = time.perf_counter(), time.process_time()
    last = None
    for last in run_job(d.spec(seed=seed, num_threads=threads, device="cpu",
                               out=out / f"{d.dataset}_{d.model}")):
        pass
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    key = "pearson_mean" if "pearson_mean" in last.test_metrics else "auroc_mean"
    tasks = last.test_metrics.get("tasks") or {}
    per_task = " ".join(f"{v.get('auroc', v.get('pearson', float('nan'))):.2f}"
                        for v in tasks.values()) if len(tasks) > 1 else ""
    return {"model": d.model, "set": d.dataset, "n": d.n, "epochs": last.epoch,
            "max_epochs": d.epochs, "best": last.best_epoch, "wall": wall, "cpu": cpu,
            "metric": d.metric, "test": last.test_metrics[key], "table": d.quality,
            "shipped": shipped_metric(d.model, d.dataset), "tasks": per_task}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pairs", nargs="*", default=None,
                   help="model:set pairs (default: every entry of DEFAULTS)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    pairs = [tuple(s.split(":", 1)) for s in args.pairs] if args.pairs else list(DEFAULTS)
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory(prefix="regviz-bench-defaults-") as tmp:
        for pair in pairs:
            rows.append(bench(DEFAULTS[pair], args.threads, args.seed, Path(tmp)))
            r = rows[-1]
            print(f"  {r['model']} on {r['set']}: {r['wall']:.0f} s, test {r['metric']} "
                  f"{r['test']:.3f}", file=sys.stderr, flush=True)
    print(f"Train-page defaults, seed {args.seed}, CPU with {args.threads} thread(s), torch "
          f"{torch.__version__}, {platform.machine()}, {os.cpu_count()} CPUs, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}, load average "
          f"{load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after (shared machine)")
    head = (f"{'model':<14}{'set':<21}{'n':>7}{'epochs':>8}{'wall s':>8}{'CPU s':>7}"
            f"  {'metric':<8}{'test':>6}{'table':>7}{'shipped':>8}  tasks")
    print(head)
    print("-" * len(head))
    for r in rows:
        table = f"{r['table']:.3f}" if r["table"] is not None else "-"
        print(f"{r['model']:<14}{r['set']:<21}{r['n']:>7,}{r['epochs']:>4}/{r['max_epochs']:<3}"
              f"{r['wall']:>8.0f}{r['cpu']:>7.0f}  {r['metric']:<8}{r['test']:>6.3f}"
              f"{table:>7}{r['shipped']:>8}  {r['tasks']}")


if __name__ == "__main__":
    main()
