"""Motif discovery (TF-MoDISco on attributions) on the shipped models: time and truth.

For each shipped synthetic model, with the Motifs page's defaults (DeepLIFT-SHAP with 3
shuffled references where DeepLIFT is exact; each output separately up to two outputs,
else all outputs added up; 2,000 fresh sequences of the model's generator, not its
training data; the smallest JASPAR collection holding the planted motifs):

- seconds for contributions, TF-MoDISco and JASPAR matching; the estimate the page
  shows (`regviz.costs.discovery_seconds`) beside them;
- planted motifs recovered (a pattern matches the planted matrix, a matrix of the same
  name, or one of its JASPAR TF family, at q < 0.05 among its top 5 matches), the
  label-free distractors found, and the patterns that stand for nothing planted;
- the control: the same run on position-scrambled contributions (``--control``):
  patterns matching JASPAR at q < 0.05 (should be 0).

``--draws K`` repeats on K fresh draws (seed offsets 1000, 2000, ...). Target: deepstarr
(2,000 x 249 bp) under 120 s on 2 CPU cores. The reference is one forward pass over the
same sequences in the same process.

Run: ``python benchmarks/bench_discovery.py [--models deepstarr basset deepbind]
[--control] [--draws 1]``.
"""

from __future__ import annotations

import argparse
import time

import regviz  # noqa: F401 - OMP_WAIT_POLICY before torch
from regviz import checkpoints, costs, discovery, filters, simulate
from regviz.attribution import relevant_motifs
from regviz.sequence import one_hot

MODELS = {"deepstarr": "enhancer-activity_deepstarr", "basset": "chromatin-multitask_basset",
          "deepbind": "tf-binding_deepbind"}
TARGET_S = 120.0


def run(name: str, draw: int, control: bool) -> dict:
    import torch

    model, card = checkpoints.load(f"checkpoints/{name}")
    fresh = filters.fresh_draw(card, 2000, seed_offset=1000 * (draw + 1))
    X = one_hot(fresh.seqs)
    grammar = simulate.make_dataset(**card.synthetic_kwargs(10, 0)).grammar
    relevant = sorted({m for t in card.task_names for m in relevant_motifs(grammar, t)})
    n_out = card.n_outputs
    outputs = None if n_out <= 2 else [discovery.SUM]
    method = discovery.default_method(model)
    t = time.perf_counter()
    with torch.no_grad():
        model(torch.as_tensor(X))
    forward = time.perf_counter() - t
    estimate = costs.discovery_seconds(costs.measure_speed(model), method, len(X),
                                       n_out if outputs is None else 1)
    t = time.perf_counter()
    d = discovery.discover_motifs(model, X, outputs, card.task_names, method,
                                  filters.collection_for(card.planted_motifs),
                                  card.planted_motifs, relevant, fresh.annotations,
                                  control=control)
    total = time.perf_counter() - t
    rec = d.recovery
    task, dis = rec[rec["role"] == "task"], rec[rec["role"] == "distractor"]
    return {"model": name, "draw": draw, "control": control, "method": d.method,
            "outputs": "+".join(d.outputs), "patterns": len(d.patterns),
            "significant": int(d.table["match"].notna().sum()),
            "recovered": f"{int(task['recovered'].sum())}/{len(task)}",
            "by family": ", ".join(task.loc[task["how"] == "family", "name"]) or "-",
            "missed": ", ".join(task.loc[~task["recovered"], "name"]) or "-",
            "distractors found": ", ".join(dis.loc[dis["recovered"], "name"]) or "-",
            "unplanted": int((d.table["planted"] == "").sum()),
            "unplanted on sites": (f"{d.table.loc[d.table['planted'] == '', 'on_sites'].mean():.0%}"
                                   if (d.table["planted"] == "").any() else "-"),
            "contributions_s": round(d.seconds["contributions"], 1),
            "modisco_s": round(d.seconds["modisco"], 1),
            "matching_s": round(d.seconds["matching"], 1), "total_s": round(total, 1),
            "estimate_s": round(estimate, 1), "x_forward": round(total / forward)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    ap.add_argument("--control", action="store_true", help="also the scrambled control")
    ap.add_argument("--draws", type=int, default=1)
    args = ap.parse_args()
    rows = []
    for key in args.models:
        for draw in range(args.draws):
            for control in (False, True) if args.control else (False,):
                rows.append(run(MODELS[key], draw, control))
                print(rows[-1], flush=True)
    import pandas as pd
    table = pd.DataFrame(rows)
    cols = list(table.columns)
    print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    for r in table.itertuples(index=False):
        print("| " + " | ".join(str(v) for v in r) + " |")
    ds = table[(table["model"] == MODELS["deepstarr"]) & ~table["control"]]
    if len(ds):
        print(f"\ndeepstarr total {ds['total_s'].max():.0f} s (target < {TARGET_S:.0f} s): "
              f"{'met' if ds['total_s'].max() < TARGET_S else 'NOT met'}")


if __name__ == "__main__":
    main()
