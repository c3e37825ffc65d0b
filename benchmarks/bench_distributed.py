"""Training and scanning on several processes (torch.distributed): throughput and time.

1. Training throughput: ``regviz-train MODEL SET --nproc N --max-steps S`` for N = 1 and
   2 (gloo on the CPU), sequences per second over the training steps (from the run's
   progress log: steps x global batch / seconds between the first and the last step),
   in all and per process (validation between epochs included: 4,000 sequences, 50
   steps an epoch). The paper presets of deepsea and basset are also timed on one
   process, on the CPU and, where a GPU is here, on the GPU with mixed precision (the
   comparison the issue asks for; ``--skip-paper`` leaves them out).
2. Scans: ``regviz-scan`` of the demo genome on 1 and 2 processes, the seconds each
   takes (whole command, process start included) and whether the outputs are the same
   bytes.

On a 2-core CPU machine two processes share the same two cores: expect no speed-up there,
only the check that it works; the numbers that matter come from a machine with more cores
or GPUs. Run: ``.venv/bin/python benchmarks/bench_distributed.py [--skip-paper]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
CASES = [("deepbind", "tf-binding", "class", 64, 1000),
         ("basset", "chromatin-multitask", "class", 64, 120)]
PAPER = [("deepsea", "chromatin-multitask", "paper", 64, 12),
         ("basset", "chromatin-multitask", "paper", 64, 12)]


def train_rate(model, dataset, preset, batch, nproc, steps, device="cpu") -> dict:
    """Sequences/s over the training steps of one ``regviz-train`` run."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "progress.jsonl"
        cmd = [sys.executable, "-m", "regviz.train", model, dataset, "--preset", preset,
               "--n", "4000", "--batch-size", str(batch),
               "--max-steps", str(steps), "--epochs", "100", "--quiet", "--no-baselines",
               "--device", device, "--out", f"{tmp}/out", "--progress-log", str(log),
               "--nproc", str(nproc)]
        done = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-2000:])
        steps_seen = [json.loads(x) for x in log.read_text().splitlines()]
        train = [r for r in steps_seen if r["phase"] == "train"]
        first, last = train[0], train[-1]
        seconds = last["elapsed"] - first["elapsed"]
        rate = (last["step"] - first["step"]) * batch / seconds
        return {"model": model, "preset": preset, "device": device, "processes": nproc,
                "seq_per_s": rate, "per_process": rate / nproc, "where": last["device"]}


def scan_time(nproc, out) -> float:
    from regviz.gradcam import demo
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "regviz.scan",
                           str(ROOT / "checkpoints/enhancer-4kb_decode"),
                           str(demo.demo_genome_path()), "--out", str(out), "--block-bp",
                           "20000", "--quiet", "--nproc", str(nproc)], cwd=ROOT, env=ENV,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return time.perf_counter() - start


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--skip-paper", action="store_true")
    args = p.parse_args()
    print(f"torch {torch.__version__}, {os.cpu_count()} CPU cores, "
          f"{torch.cuda.device_count() if torch.cuda.is_available() else 0} GPU(s)")
    print("\n1. training throughput (sequences/s over the training steps)")
    for model, dataset, preset, batch, steps in CASES:
        for nproc in (1, 2):
            r = train_rate(model, dataset, preset, batch, nproc, steps)
            print(f"  {model:9s} {preset:6s} {nproc} process(es): {r['seq_per_s']:8.0f} seq/s "
                  f"({r['per_process']:.0f} per process) on {r['where']}")
    if not args.skip_paper:
        devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
        for model, dataset, preset, batch, steps in PAPER:
            for device in devices:
                r = train_rate(model, dataset, preset, batch, 1, steps * (
                    20 if device == "cuda" else 1), device)
                print(f"  {model:9s} {preset:6s} 1 process on {device}: {r['seq_per_s']:8.1f} "
                      f"seq/s on {r['where']}")
        if len(devices) == 1:
            print("  (no GPU here: the GPU column of the paper presets is not measured)")
    print("\n2. scan of the demo genome (100 kb, 5 blocks), whole command")
    with tempfile.TemporaryDirectory() as tmp:
        times = {n: scan_time(n, Path(tmp) / f"p{n}") for n in (1, 2)}
        same = all((Path(tmp) / f"p1{s}").read_bytes() == (Path(tmp) / f"p2{s}").read_bytes()
                   for s in (".bedgraph", ".cores.bed", ".windows.bed"))
    print(f"  1 process {times[1]:.1f} s, 2 processes {times[2]:.1f} s; outputs identical: "
          f"{same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
