"""How well Grad-CAM finds planted cores: inputs from a Dataset, localisation scores,
and core calls scored against a BED of known cores.

The truth is the "core" annotation of the synthetic ``enhancer-4kb`` set
(`regviz.simulate`): one 200-400 bp interval per positive window; in a genome, a BED
of known cores (the demo genome's planted ones: `regviz.gradcam.demo`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from regviz import genome as genome_mod
from regviz.errors import SequenceError
from regviz.gradcam.cam import call_cores, gradcam, input_bin_size
from regviz.sequence import one_hot


def dataset_inputs(model, dataset, indices=None) -> np.ndarray:
    """A Dataset (or its rows ``indices``) as the model's input, float32
    ``(n, channels, length)``: one-hot (+ per-bp tracks), or the tracks alone."""
    if indices is not None:
        idx = np.asarray(indices, dtype=int)
        dataset = type(dataset)(name=dataset.name, seqs=[dataset.seqs[i] for i in idx],
                                y=dataset.y[idx], task_names=dataset.task_names,
                                task_kind=dataset.task_kind,
                                tracks=None if dataset.tracks is None else dataset.tracks[idx],
                                track_names=dataset.track_names)
    cfg = model.config
    if getattr(cfg, "tracks_only", False):
        if dataset.tracks is None:
            raise SequenceError("This tracks-only model needs the dataset's binned tracks; "
                                "this dataset has none (make it with tracks='binned').")
        return np.asarray(dataset.tracks, np.float32)
    X = one_hot(dataset.seqs)
    if getattr(cfg, "extra_channels", 0):
        if dataset.tracks is None or dataset.tracks.shape[-1] != X.shape[-1]:
            raise SequenceError(f"This model reads {cfg.extra_channels} per-bp track(s) "
                                "beside DNA; the dataset has none (make it with "
                                "tracks='per_bp').")
        X = np.concatenate([X, np.asarray(dataset.tracks, np.float32)], axis=1)
    return X


def held_out_cores(dataset) -> pd.DataFrame:
    """The planted cores of a synthetic set's test split: ``seq_index`` (row in the
    dataset), ``start``, ``end`` (0-based, end exclusive); empty when it has none."""
    ann = dataset.annotations
    test = np.asarray(dataset.splits.get("test", []))
    cores = ann[(ann["role"] == "core") & ann["seq_index"].isin(test)]
    return cores[["seq_index", "start", "end"]].reset_index(drop=True)


def window_truth(dataset, index: int) -> tuple[list, pd.DataFrame]:
    """What was planted in window ``index``: its cores as ``[(start, end)]`` (0-based,
    end exclusive) and the planted motif sites (roles "core-motif" and "scattered")."""
    ann = dataset.annotations[dataset.annotations["seq_index"] == int(index)]
    cores = [(int(r.start), int(r.end)) for r in ann[ann["role"] == "core"].itertuples()]
    return cores, ann[ann["role"].isin(["core-motif", "scattered"])].reset_index(drop=True)


def localisation(model, dataset, split: str = "test", layer=None, threshold: float = 0.5,
                 min_width: int = 50, cutoff: float = 0.5, batch_size: int = 64):
    """How well Grad-CAM finds the planted cores of a synthetic enhancer-4kb split.

    For every true positive (label 1, sigmoid(logit) >= ``cutoff``) with a "core"
    annotation: the Grad-CAM peak (`gradcam`, last conv layer by default) and the
    top call (`call_cores` with ``threshold`` relative to the peak, ``min_width``).

    Returns
    -------
    (pandas.DataFrame, dict)
        Per window: index (row in the full dataset), prob, core_start, core_end,
        peak_pos, peak_in_core,
        peak_distance_bp (0 inside), call_start, call_end, call_width,
        call_overlaps_core, n_calls. Summary: n_true_positive,
        peak_in_core_fraction, call_overlap_fraction, median_call_width,
        all_calls_overlap_fraction (share of every call that touches the core).
    """
    part = dataset.subset(split)
    part_index = np.asarray(dataset.splits[split])
    cores = part.annotations[part.annotations["role"] == "core"].set_index("seq_index")
    X = dataset_inputs(model, part)
    with torch.no_grad():
        model.eval()
        logits = torch.cat([model(torch.from_numpy(X[i:i + batch_size]))
                            for i in range(0, len(X), batch_size)])[:, 0].numpy()
    prob = 1 / (1 + np.exp(-logits))
    tp = np.flatnonzero((part.y[:, 0] == 1) & (prob >= cutoff) & np.isin(
        np.arange(len(X)), cores.index))

    track = gradcam(model, X[tp], layer=layer, batch_size=batch_size) if len(tp) else \
        np.zeros((0, X.shape[-1] * input_bin_size(model)), np.float32)
    calls = call_cores(track, threshold=threshold, min_width=min_width)
    rows, touching = [], 0
    for k, i in enumerate(tp):
        cs, ce = int(cores.loc[i, "start"]), int(cores.loc[i, "end"])
        peak = int(track[k].argmax())
        mine = calls[calls["window"] == k]
        touching += int(((mine["start"] < ce) & (mine["end"] > cs)).sum())
        top = mine[mine["rank"] == 1]
        s, e = (int(top["start"].iloc[0]), int(top["end"].iloc[0])) if len(top) else (-1, -1)
        rows.append({"index": int(part_index[i]),
                     "prob": float(prob[i]), "core_start": cs, "core_end": ce,
                     "peak_pos": peak, "peak_in_core": cs <= peak < ce,
                     "peak_distance_bp": max(0, cs - peak, peak - ce + 1),
                     "call_start": s, "call_end": e, "call_width": e - s if s >= 0 else 0,
                     "call_overlaps_core": s >= 0 and s < ce and e > cs, "n_calls": len(mine)})
    table = pd.DataFrame(rows)
    n = len(table)
    summary = {"n_true_positive": n, "n_positive": int((part.y[:, 0] == 1).sum()),
               "peak_in_core_fraction": float(table["peak_in_core"].mean()) if n else float("nan"),
               "call_overlap_fraction": float(table["call_overlaps_core"].mean()) if n else
               float("nan"),
               "median_call_width": float(table["call_width"].median()) if n else float("nan"),
               "all_calls_overlap_fraction": touching / max(len(calls), 1)}
    return table, summary


def _truth_table(truth) -> pd.DataFrame:
    """Known cores as chrom, start, end, name from a DataFrame, Regions or BED text/path."""
    if isinstance(truth, pd.DataFrame):
        table = truth.copy()
    elif isinstance(truth, (str, bytes, Path)) or hasattr(truth, "read"):
        table = genome_mod.read_bed(truth)
    else:
        table = pd.DataFrame([{"chrom": r.chrom, "start": r.start, "end": r.end,
                               "name": r.name} for r in truth],
                             columns=["chrom", "start", "end", "name"])
    missing = {"chrom", "start", "end"} - set(table.columns)
    if missing:
        raise SequenceError(f"Known cores need the columns chrom, start and end (BED, 0-based, "
                            f"end exclusive); missing {', '.join(sorted(missing))}.")
    names = table["name"] if "name" in table else [None] * len(table)
    table["name"] = [n if isinstance(n, str) and n else f"core{i}"
                     for i, n in enumerate(names, start=1)]
    return table[["chrom", "start", "end", "name"]].astype({"start": "int64", "end": "int64"})


def score_calls(calls, truth, region=None) -> tuple[pd.DataFrame, dict]:
    """Score called cores against known cores (e.g. a planted BED).

    Parameters
    ----------
    calls : pandas.DataFrame
        chrom, start, end (0-based, end exclusive) and peak_pos, as in
        `ScanResult.calls`.
    truth : pandas.DataFrame, list of Region, BED text or path
        Known cores (BED: 0-based half-open); nameless ones are named core1, ...
    region : Region or str, optional
        The scanned region: only known cores overlapping it are counted (and
        calls inside it).

    Returns
    -------
    (pandas.DataFrame, dict)
        Per known core: chrom, start, end, name, found (a call overlaps it),
        n_calls, peak_distance_bp (from the nearest overlapping call's peak; 0
        inside, NaN when missed). Summary: n_known, n_calls, n_found,
        n_true_calls, recall (share of known cores overlapped by a call),
        precision (share of calls overlapping a known core), and
        median_peak_distance_bp (from each overlapping call's peak to its core,
        0 inside; NaN without such calls).
    """
    known = _truth_table(truth)
    calls = calls[["chrom", "start", "end", "peak_pos"]].copy()
    if region is not None:
        region = genome_mod.parse_region(region)
        end = np.inf if region.end is None else region.end

        def inside(t):
            return (t["chrom"] == region.chrom) & (t["end"] > region.start) & (t["start"] < end)
        known, calls = known[inside(known)], calls[inside(calls)]
    known, calls = known.reset_index(drop=True), calls.reset_index(drop=True)
    hits = np.zeros((len(known), len(calls)), bool)
    dist = np.full((len(known), len(calls)), np.inf)
    for i, k in enumerate(known.itertuples(index=False)):
        same = (calls["chrom"] == k.chrom).to_numpy()
        hits[i] = same & (calls["start"] < k.end).to_numpy() & (calls["end"] > k.start).to_numpy()
        peak = calls["peak_pos"].to_numpy()
        dist[i] = np.where(hits[i], np.maximum(0, np.maximum(k.start - peak, peak - k.end + 1)),
                           np.inf)
    found, true_calls = hits.any(axis=1), hits.any(axis=0)
    nearest = dist.min(axis=1) if len(calls) else np.full(len(known), np.inf)
    per_core = known.assign(found=found, n_calls=hits.sum(axis=1),
                            peak_distance_bp=np.where(found, nearest, np.nan))
    call_dist = dist.min(axis=0)[true_calls] if len(known) else np.zeros(0)
    summary = {"n_known": len(known), "n_calls": len(calls), "n_found": int(found.sum()),
               "n_true_calls": int(true_calls.sum()),
               "recall": float(found.mean()) if len(known) else float("nan"),
               "precision": float(true_calls.mean()) if len(calls) else float("nan"),
               "median_peak_distance_bp": float(np.median(call_dist)) if len(call_dist)
               else float("nan")}
    return per_core, summary
