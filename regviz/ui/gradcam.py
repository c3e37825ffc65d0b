"""The Grad-CAM view's inputs and cached calls: one window, and scans of genome regions."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from regviz import genome, gradcam, limits, predict, sequence
from regviz.errors import warn_if_not_finite
from regviz.ui import cache, inputs
from regviz.ui.widgets import too_big, user_errors

is_gradcam_model = gradcam.is_gradcam_model
call_cores = gradcam.call_cores


def geometry(model) -> tuple[pd.DataFrame, int]:
    """(each conv layer's bin size and receptive field, the window in bp)."""
    return (gradcam.layer_resolution(model, feature_maps=True),
            model.config.input_length * gradcam.input_bin_size(model))


def _held_out_cores(folder):
    dataset = cache.card_dataset(str(folder), cache.checkpoint_stamp(folder))
    return dataset, None if dataset is None else gradcam.held_out_cores(dataset)


def window_sources(folder, model) -> list[str]:
    """How a window can be given: a held-out example (when the model's synthetic set has
    planted cores), a pasted sequence (DNA models) or a sequence with its tracks."""
    _, cores = _held_out_cores(folder)
    out = ["Held-out example"] if cores is not None and not cores.empty else []
    if model.in_channels == 4:
        return out + ["Paste or upload"]
    return out if getattr(model.config, "tracks_only", False) else \
        out + ["Paste sequence + upload tracks"]


def held_out_window(folder, model, key: str):
    """A held-out positive of the model's synthetic set (picked here): ``(X (C, L),
    planted cores, planted sites)``."""
    dataset, cores = _held_out_cores(folder)
    pick = st.selectbox("Held-out positive (test split, planted core)",
                        cores["seq_index"].tolist(), key=key,
                        format_func=lambda i: f"sequence {i}")
    planted, hits = gradcam.window_truth(dataset, pick)
    return gradcam.dataset_inputs(model, dataset, indices=[int(pick)])[0], planted, hits


def pasted_window(model, key: str):
    """A pasted, uploaded or fetched sequence as one window ``(4, L)``, or None."""
    records = inputs.sequence_input(key, default_text="", allow_region=True)
    if not records:
        return None
    rec = st.selectbox("Sequence", records, key=f"{key}_rec", format_func=lambda r: r.name)
    with user_errors(rec.name) as ok:
        X = predict.encode_for(model, [rec])[0]
    return X if ok["ok"] else None


def window_with_tracks(model, card, key: str):
    """One window for a model that reads DNA + per-bp tracks: a sequence and a table of
    its tracks (one row per base, a column per track); ``(4 + n_tracks, L)`` or None."""
    names, width = list(card.track_names), model.config.input_length
    records = inputs.sequence_input(f"{key}_seq", default_text="", allow_region=True)
    upload = st.file_uploader(f"Tracks of this window: TSV/CSV with a header, one row per "
                              f"base ({width:,} rows) and a column for each of "
                              f"{', '.join(names)}", type=["tsv", "csv", "txt"],
                              key=f"{key}_tracks", max_upload_size=limits.MAX_DATA_UPLOAD_MB)
    if not records or upload is None:
        return None
    rec = records[0]
    with user_errors(upload.name) as ok:
        predict.check_length(model, rec.name, len(rec.sequence))
        tracks = gradcam.read_window_tracks(upload.getvalue(), names, width, upload.name)
        X = np.concatenate([sequence.one_hot(rec.sequence)[0], tracks], axis=0)
    return X if ok["ok"] else None


def gradcam_window(folder, X, layers: tuple, target: int = 0):
    """(prediction in the card's units, {layer: (L,) Grad-CAM}) of one window ``X (C, L)``;
    cached by checkpoint, input and layers, progress shown per layer."""
    X = np.ascontiguousarray(X, dtype=np.float32)

    def compute(model, card, progress):
        value = predict.readable(predict.predict(model, X[None]), card)[0, target]
        tracks = {}
        for i, layer in enumerate(layers):
            tracks[layer] = gradcam.gradcam(model, X[None], layer=layer, target=target)[0]
            progress(i + 1, len(layers))
        return float(value), tracks

    key = ("window", hashlib.sha256(X.tobytes()).hexdigest()[:20], tuple(layers), int(target))
    value, tracks = cache.model_result("gradcam", folder, key, "Grad-CAM per layer", compute)
    warn_if_not_finite(np.array([value]), "Prediction")      # kept results warn too
    return value, tracks


def gradcam_scan(folder, genome_path, region: str, stride: int, threshold: float,
                 min_width: int, edges: str = "shift"):
    """`regviz.gradcam.scan_region` of a genome region (cached by checkpoint, genome file,
    region and settings; a progress bar counts windows)."""
    path = Path(genome_path)
    size = path.stat()

    def compute(model, card, progress):
        return gradcam.scan_region(model, cache.open_genome(str(path)), region, stride=stride,
                                   threshold=threshold, min_width=min_width, edges=edges,
                                   progress=progress)

    key = ("scan", str(path.resolve()), size.st_size, size.st_mtime_ns, region, int(stride),
           float(threshold), int(min_width), edges)
    return cache.model_result("gradcam", folder, key, "Scanning windows", compute)


def seconds_for_scan(folder, region: str, stride: int) -> float:
    """Expected seconds of `gradcam_scan`: one forward and backward pass per window
    (0 when the region text does not parse; the scan then says why)."""
    try:
        length = genome.parse_region(region).length
    except Exception:  # noqa: BLE001 - a bad region is reported by the scan itself
        return 0.0
    speed = cache.model_speed(str(folder), cache.checkpoint_stamp(folder))
    return 0.3 + (length // max(int(stride), 1) + 1) * speed.backward


def known_cores(genome_path, key: str):
    """Known cores to score a scan against: an uploaded BED, else the ``.cores.bed``
    beside the genome (the demo genome's planted cores). ``(DataFrame or None, where
    they come from)``."""
    upload = st.file_uploader("Known cores (BED, 0-based, end exclusive; optional): recall "
                              "and precision of the calls against them", key=key,
                              type=["bed", "txt", "tsv", "gz"],
                              max_upload_size=limits.MAX_DATA_UPLOAD_MB)
    if upload is not None and not too_big(upload, limits.MAX_DATA_UPLOAD_MB):
        with user_errors(upload.name) as ok:
            table = genome.read_bed(limits.gunzip(upload.getvalue(), upload.name))
        return (table, upload.name) if ok["ok"] else (None, "")
    beside = gradcam.cores_beside(genome_path)
    if beside is None:
        return None, ""
    return genome.read_bed(beside), f"planted cores ({beside.name})"


def scan_scores(result, truth) -> tuple[pd.DataFrame, dict]:
    """`regviz.gradcam.score_calls` of a scan's calls against known cores in its region."""
    return gradcam.score_calls(result.calls, truth, result.region)


def show_scores(per_core: pd.DataFrame, summary: dict, source: str) -> None:
    """Recall, precision and peak distance of a scan's calls against known cores."""
    cols = st.columns(3)
    cols[0].metric("Recall (known cores hit by a call)", f"{summary['recall']:.0%}"
                   if summary["n_known"] else "no known core here",
                   help=f"{summary['n_found']} of {summary['n_known']} known cores in the "
                        "region overlap a call")
    cols[1].metric("Precision (calls on a known core)", f"{summary['precision']:.0%}"
                   if summary["n_calls"] else "no calls",
                   help=f"{summary['n_true_calls']} of {summary['n_calls']} calls overlap a "
                        "known core")
    distance = summary["median_peak_distance_bp"]
    cols[2].metric("Median peak distance to its core", "-" if np.isnan(distance)
                   else f"{distance:,.0f} bp", help="from the peak of each call on a known "
                                                    "core to that core (0 = inside)")
    st.caption(f"Known cores: {source}; those overlapping the scanned region are counted.")
    st.dataframe(per_core, hide_index=True, width="stretch")


def tracks_table(tracks: dict) -> str:
    """Per-layer Grad-CAM tracks as TSV (position 1-based, a column per layer)."""
    n = len(next(iter(tracks.values())))
    return pd.DataFrame({"position": np.arange(1, n + 1), **tracks}).to_csv(
        sep="\t", index=False, float_format="%.4f")
