"""Model zoo table: size, receptive field and CPU forward throughput of every model.

For every registry model and both presets, at the preset's natural input length:

- parameters (all, including frozen ones) and the analytic receptive field of the
  last convolutional feature map and of the output (bp; see regviz.models.summary);
- forward throughput in sequences/s: batch 256, CPU, ``torch.set_num_threads(2)``,
  eval mode, no_grad, after one warm-up batch, timed for about ``--seconds``.
  ``--threads 2 1`` adds a single-thread column: on a shared machine (load average
  above the core count) two OpenMP threads can spin-wait and run many times slower
  than one, so compare the columns before trusting either.

Paper presets are timed too unless a forward pass would be huge (more than
``--max-gmac`` GMAC per sequence, estimated from the layer table: Basenji at
131 kb and Enformer at 196 kb); those rows say "skipped" and why. Sizes and
receptive fields of every preset come from meta-device builds, so no weights are
allocated for them.

Usage: python benchmarks/bench_models.py [--seconds 3] [--threads 2 [1]] [--max-gmac 5]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

import pandas as pd
import torch

from regviz.models import REGISTRY, build, list_models, summary

N_OUTPUTS = {"deepsea": 919, "basset": 164, "danq": 919, "deepstarr": 2,
             "basenji": 5313, "enformer_lite": 5313}


def estimate_macs(df: pd.DataFrame) -> float:
    """Rough multiply-accumulates per sequence: parameters x positions they slide over,
    plus the T x T products of attention."""
    total = 0.0
    for _, row in df.iterrows():
        shape = row["output_shape"]
        if row["kind"] == "conv":
            total += row["params"] * shape[-1]
        elif row["kind"] in ("dense", "dense (per position)") or row["kind"].startswith(
                "recurrent"):
            total += row["params"] * (shape[0] if len(shape) == 2 else 1)
        elif row["kind"] == "attention":
            t, c = shape
            total += row["params"] * t + 2 * t * t * c
    return total


def throughput(model: torch.nn.Module, length: int, batch: int, seconds: float) -> float:
    model.eval()
    x = torch.zeros(batch, model.in_channels, length)
    idx = torch.randint(0, model.in_channels, (batch, length))
    x.scatter_(1, idx[:, None, :], 1.0)
    with torch.no_grad():
        model(x)                                        # warm-up
        n, start = 0, time.perf_counter()
        while True:
            model(x)
            n += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                return n * batch / elapsed


def last_conv_rf(df: pd.DataFrame, path: str | None) -> str:
    if path is None:
        return "-"
    rows = df[(df["layer"] == path) | df["layer"].str.startswith(path + ".")]
    return str(int(rows["receptive_field"].iloc[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--threads", type=int, nargs="+", default=[2])
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--max-gmac", type=float, default=5.0)
    ap.add_argument("--models", nargs="*", default=list_models())
    args = ap.parse_args()
    torch.manual_seed(0)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"torch {torch.__version__}, CPU threads {args.threads}, {os.cpu_count()} cores, "
          f"load average {load:.1f} at start")

    rows = []
    for name in args.models:
        entry = REGISTRY[name]
        for preset in ("class", "paper"):
            length = entry.natural_length[preset]
            n_out = N_OUTPUTS.get(name, 1) if preset == "paper" else 1
            with torch.device("meta"):
                meta = build(name, length, n_out, preset=preset)
            df = summary(meta)
            gmac = estimate_macs(df) / 1e9
            row = {"model": name, "preset": preset, "params": df.attrs["total_params"],
                   "rf_last_conv": last_conv_rf(df, meta.last_conv_name),
                   "rf_output": df.attrs["receptive_field"], "length": length,
                   "GMAC/seq": round(gmac, 3), "batch": "-"}
            row.update({f"seq/s ({t} thr)": "-" for t in args.threads})
            row["note"] = ""
            if gmac > args.max_gmac:
                row["note"] = f"skipped: ~{gmac:.0f} GMAC per sequence"
            else:
                # keep the largest activation of a batch under ~2 GB
                biggest = max(math.prod(s) for s in df["output_shape"])
                batch = max(1, min(args.batch, int(3e9 / (4 * 3 * biggest))))
                model = build(name, length, n_out, preset=preset)
                row["batch"] = batch
                for t in args.threads:
                    torch.set_num_threads(t)
                    row[f"seq/s ({t} thr)"] = round(
                        throughput(model, length, batch, args.seconds), 1)
                if batch < args.batch:
                    row["note"] = f"batch {batch}: activations of {args.batch} > 3 GB"
                del model
            rows.append(row)
            print(f"  {name:14s} {preset:6s} done", file=sys.stderr, flush=True)

    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.1f} at end (above {os.cpu_count()} means other processes "
          f"shared the cores and seq/s is an underestimate)")


if __name__ == "__main__":
    main()
