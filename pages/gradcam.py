"""Grad-CAM: where in a 4 kb window a classifier sees the enhancer, and scans of regions."""

from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from regviz import gradcam, sequence, ui
from regviz.errors import SequenceError
from regviz.plotting import gradcam as gradcam_plots

ui.page_header(
    "Grad-CAM: locating core enhancers",
    "DECODE's lesson: a CNN that only classifies 4 kb windows can still say *where* the "
    "enhancer is. Grad-CAM weights each channel of a conv block's rectified feature map "
    "(conv, batch norm, ReLU) by the mean gradient of the prediction and keeps the "
    "positive sum (ReLU). Each feature-map "
    "position is drawn at the centre of its receptive field, so the track is only as fine "
    "as the layer's bin size, shown beside it.",
)
model, card, folder = ui.require_active_model()
if not gradcam.is_gradcam_model(model):
    st.warning(f"The active model ({card.get('registry_name')}) has no convolution layers "
               "whose output keeps positions, so Grad-CAM cannot localise anything. Pick the "
               "shipped enhancer-4kb_decode model in the sidebar.")
    st.stop()
resolution = gradcam.layer_resolution(model, feature_maps=True)
bp = gradcam.input_bin_size(model)
width = model.config.input_length * bp
if width < 1000:
    st.info(f"This model reads {width:,} bp windows; Grad-CAM is most useful on long "
            "windows such as the shipped enhancer-4kb_decode model's 4 kb.")
    if st.button("Use the shipped enhancer-4kb_decode model", key="gc_use_decode"):
        ui.request_active_model(ui.model_roots()["shipped"] / "enhancer-4kb_decode")
        st.rerun()
cols = st.columns(3)
threshold = cols[0].slider("Core call: fraction of the peak", 0.1, 0.9, 0.5, 0.05, key="gc_thr")
min_width = cols[1].number_input("Shortest core (bp)", 10, 2000, 50, 10, key="gc_minw")
mode = cols[2].radio("Look at", ["One window", "Scan a genome region"], key="gc_mode")

if mode == "One window":
    dataset = ui.gradcam_dataset(card)
    has_cores = dataset is not None and (dataset.annotations["role"] == "core").any()
    choices = ["Held-out example"] if has_cores else []
    needs_tracks = model.in_channels != 4
    tracks_only = bool(getattr(model.config, "tracks_only", False))
    choices += ["Paste sequence + upload tracks"] if needs_tracks and not tracks_only else \
        [] if needs_tracks else ["Paste or upload"]
    source = st.radio("Window", choices, horizontal=True, key=f"gc_source_{Path(folder).name}")
    X = planted = hits = None
    if source == "Held-out example":
        test = np.asarray(dataset.splits["test"])
        ann = dataset.annotations
        cores = ann[(ann["role"] == "core") & ann["seq_index"].isin(test)]
        pick = st.selectbox("Held-out positive (test split, planted core)",
                            cores["seq_index"].tolist(), key=f"gc_pick_{Path(folder).name}",
                            format_func=lambda i: f"sequence {i}")
        row = cores[cores["seq_index"] == pick].iloc[0]
        planted = [(int(row["start"]), int(row["end"]))]
        hits = ann[(ann["seq_index"] == pick) & ann["role"].isin(["core-motif", "scattered"])]
        X = gradcam.dataset_inputs(model, dataset, indices=[int(pick)])[0]
    elif source == "Paste sequence + upload tracks":
        X = ui.sequence_with_tracks_input("gc_seqtr", card, width)
    elif source == "Paste or upload":
        records = ui.sequence_input("gc_seq", default_text="", allow_region=True)
        if records:
            rec = st.selectbox("Sequence", records, key="gc_rec", format_func=lambda r: r.name)
            with ui.user_errors(rec.name) as state:
                if len(rec.sequence) != width:
                    raise SequenceError(
                        f"{rec.name} is {len(rec.sequence):,} bp; this model reads exactly "
                        f"{width:,} bp. Got {len(rec.sequence):,} bp instead.")
                X = sequence.one_hot(rec.sequence)[0]
            X = X if state["ok"] else None
    else:
        st.info("This model reads chromatin tracks; use the held-out examples here, or "
                "regviz.gradcam.scan_region(..., tracks=...) from Python.")
    layers = st.multiselect("Layers", resolution["layer"].tolist(),
                            default=resolution["layer"].tolist(),
                            key=f"gc_layers_{Path(folder).name}")
    if X is not None and layers:
        with ui.user_errors("Grad-CAM") as state:
            prob, tracks = ui.gradcam_window(folder, X, tuple(layers))
            last = tracks[layers[-1]]
            calls = gradcam.call_cores(last, threshold=threshold, min_width=int(min_width))
        if state["ok"]:
            st.metric("Prediction (probability of an enhancer)", f"{prob:.3f}")
            st.dataframe(resolution, hide_index=True, width="stretch")
            fig = gradcam_plots.window_figure(tracks, resolution, calls, planted, hits, prob)
            st.plotly_chart(fig, width="stretch", key="gc_fig")
            st.caption(f"Cores are called on the last chosen layer ({layers[-1]}): runs at "
                       f"or above {threshold:.2f} x its peak, at least {min_width} bp.")
            st.dataframe(calls, hide_index=True, width="stretch")
            dl = st.columns(3)
            ui.download_figure(fig, "gradcam_window.html", key="gc_dl_fig", column=dl[0])
            dl[1].download_button("Cores (CSV, 0-based)", calls.to_csv(index=False),
                                  "gradcam_cores.csv", "text/csv", key="gc_dl_calls")
            table = pd.DataFrame({"position": np.arange(1, len(last) + 1), **tracks})
            dl[2].download_button("Tracks (TSV, 1-based)",
                                  table.to_csv(sep="\t", index=False, float_format="%.4f"),
                                  "gradcam_tracks.tsv",
                                  "text/tab-separated-values", key="gc_dl_tracks")
else:
    if model.in_channels != 4:
        st.info("This model reads chromatin tracks beside or instead of DNA; scan with "
                "regviz.gradcam.scan_region(..., tracks=...) from Python.")
        st.stop()
    path = ui.genome_path_input("gc_genome")
    if path is None:
        st.stop()
    c = st.columns([3, 1, 1])
    region = c[0].text_input("Region (1-based, inclusive)", "chrDemo1:1-20,000",
                             key="gc_region")
    stride = c[1].number_input("Stride (bp)", 100, width, width // 2, 100, key="gc_stride")
    edges = c[2].radio("Contig ends", ["shift", "pad"], key="gc_edges",
                       help="shift: windows stay inside the contig; pad: fill with N")
    if st.button("Scan", key="gc_scan") or st.session_state.get("gc_scanned") == region:
        st.session_state["gc_scanned"] = region
        with ui.user_errors("Scan") as state:
            res = ui.gradcam_scan(folder, path, region, int(stride), threshold,
                                  int(min_width), edges)
        if state["ok"]:
            fig = gradcam_plots.scan_figure(res.windows, res.track, res.region.start,
                                            res.calls, chrom=res.region.chrom, threshold=threshold)
            st.plotly_chart(fig, width="stretch", key="gc_scan_fig")
            st.caption(f"{len(res.windows)} windows of {width:,} bp; track = probability x "
                       "peak-normalised Grad-CAM, the best window where windows overlap; cores are "
                       f"runs >= {threshold:.2f} for at least {min_width} bp (BED: 0-based, end "
                       "exclusive).")
            st.dataframe(res.calls, hide_index=True, width="stretch")
            dl = st.columns(4)
            ui.download_figure(fig, "gradcam_scan.html", key="gc_dl_scanfig", column=dl[0])
            dl[1].download_button("Cores (BED)", res.to_bed(), "gradcam_cores.bed",
                                  "text/plain", key="gc_dl_bed")
            dl[2].download_button("Track (BEDGraph)", res.to_bedgraph(), "gradcam.bedgraph",
                                  "text/plain", key="gc_dl_bg")
            dl[3].download_button("Windows (CSV)", res.windows.to_csv(index=False),
                                  "gradcam_windows.csv", "text/csv", key="gc_dl_win")
