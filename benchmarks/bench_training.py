"""Training throughput (sequences/s) of every zoo model, class preset, natural length.

Each model trains through `regviz.training.train` (Adam, its task kind's loss,
no validation split) on random one-hot DNA for at most ``--steps`` optimizer
steps or ``--budget`` seconds, after ``--warmup`` untimed steps. Prints one row
per model: input length, parameters, ms per step, sequences per second, and
the ratio to DeepBind measured in the same process. Default: CPU, 2 threads.

Run: ``python benchmarks/bench_training.py [--models deepbind basset] [--device auto]``.
On a machine whose cores are busy with other work, multi-threaded torch can be many
times slower than one thread unless ``OMP_WAIT_POLICY=PASSIVE`` is set before start
(the header line says which was in effect).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np
import torch

N_OUTPUTS = {"binary": 1, "multitask": 4, "regression": 2}


def bench(name: str, args) -> dict:
    from regviz import models
    from regviz.data import Dataset
    from regviz.training import TrainConfig, train

    entry = models.get_entry(name)
    length, kind = entry.natural_length["class"], entry.default_output_kind
    n_out = N_OUTPUTS[kind]
    n = args.batch_size * 8
    rng = np.random.default_rng(0)
    letters = np.frombuffer(b"ACGT", np.uint8)
    seqs = [row.tobytes().decode() for row in letters[rng.integers(0, 4, (n, length))]]
    y = rng.normal(size=(n, n_out)) if kind == "regression" else rng.integers(0, 2, (n, n_out))
    ds = Dataset(f"random-{length}", seqs, y, [f"t{k}" for k in range(n_out)], kind,
                 splits={"train": np.arange(n)})
    torch.manual_seed(0)
    model = models.build(name, length, n_out, preset="class", output_kind=kind)
    params = sum(p.numel() for p in model.parameters())
    cfg = TrainConfig(epochs=10_000, batch_size=args.batch_size, device=args.device,
                      max_steps=args.warmup + args.steps, num_threads=args.threads,
                      patience=None)
    t0 = steps = None
    device = ""
    for rep in train(model, ds, cfg):
        device = rep.device
        if rep.phase != "train":
            continue
        if rep.step == args.warmup:
            t0, steps = time.perf_counter(), 0
        elif t0 is not None:
            steps += 1
            if time.perf_counter() - t0 > args.budget:
                break
    if rep.device.startswith("CUDA"):
        torch.cuda.synchronize()
    sec = time.perf_counter() - t0
    return {"model": name, "length": length, "kind": kind, "params": params, "steps": steps,
            "ms_per_step": sec / steps * 1e3, "seq_per_s": steps * args.batch_size / sec,
            "device": device}


def main(argv=None) -> None:
    from regviz import models

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="*", default=None, help="default: all")
    p.add_argument("--steps", type=int, default=200, help="timed steps at most per model")
    p.add_argument("--budget", type=float, default=15.0, help="timed seconds at most per model")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu")
    args = p.parse_args(argv)
    names = args.models or models.list_models()
    if "deepbind" not in names:
        names = ["deepbind", *names]
    rows = []
    for name in names:
        rows.append(bench(name, args))
        print(f"  {name}: {rows[-1]['seq_per_s']:.0f} seq/s", file=sys.stderr, flush=True)
    ref = rows[0]["seq_per_s"]
    print(f"Training throughput, class presets at natural length, batch {args.batch_size}, "
          f"torch {torch.__version__}, {platform.machine()}, {os.cpu_count()} CPUs, "
          f"device: {rows[0]['device']}, OMP_WAIT_POLICY="
          f"{os.environ.get('OMP_WAIT_POLICY', 'unset')}")
    head = (f"{'model':<14}{'length':>7}  {'kind':<11}{'params':>10}{'steps':>7}"
            f"{'ms/step':>10}{'seq/s':>10}{'vs deepbind':>13}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['model']:<14}{r['length']:>7}  {r['kind']:<11}{r['params']:>10,}"
              f"{r['steps']:>7}{r['ms_per_step']:>10.1f}{r['seq_per_s']:>10.0f}"
              f"{r['seq_per_s'] / ref:>13.3f}")


if __name__ == "__main__":
    main()
