"""Grad-CAM: where in a 4 kb window a classifier sees the enhancer, and scans of regions."""

from pathlib import Path

import streamlit as st

from regviz.plotting import gradcam as plots
from regviz.ui import gradcam as view
from regviz.ui import inputs, state, widgets

widgets.page_header(
    "Grad-CAM: locating core enhancers",
    "DECODE's lesson: a CNN that only classifies 4 kb windows can still say *where* the "
    "enhancer is. Grad-CAM weights each channel of a conv block's rectified feature map "
    "(conv, batch norm, ReLU) by the mean gradient of the prediction and keeps the "
    "positive sum (ReLU). Each feature-map "
    "position is drawn at the centre of its receptive field, so the track is only as fine "
    "as the layer's bin size, shown beside it.",
)
model, card, folder = state.require_active_model()
if not view.is_gradcam_model(model):
    st.warning(f"The active model ({card.registry_name}) has no convolution layers whose "
               "output keeps positions, so Grad-CAM cannot localise anything. Pick the "
               "shipped enhancer-4kb_decode model in the sidebar.")
    st.stop()
name = Path(folder).name
resolution, width = view.geometry(model)
if width < 1000:
    st.info(f"This model reads {width:,} bp windows; Grad-CAM is most useful on long "
            "windows such as the shipped enhancer-4kb_decode model's 4 kb.")
    if st.button("Use the shipped enhancer-4kb_decode model", key="gc_use_decode"):
        state.request_active_model(state.model_roots()["shipped"] / "enhancer-4kb_decode")
        st.rerun()
cols = st.columns(3)
threshold = cols[0].slider("Core call: fraction of the peak", 0.1, 0.9, 0.5, 0.05, key="gc_thr")
min_width = cols[1].number_input("Shortest core (bp)", 10, 2000, 50, 10, key="gc_minw")
mode = cols[2].radio("Look at", ["One window", "Scan a genome region"], key="gc_mode")

if mode == "One window":
    source = st.radio("Window", view.window_sources(folder, model), horizontal=True,
                      key=f"gc_source_{name}")
    X = planted = hits = None
    if source == "Held-out example":
        X, planted, hits = view.held_out_window(folder, model, key=f"gc_pick_{name}")
    elif source == "Paste or upload":
        X = view.pasted_window(model, "gc_seq")
    elif source == "Paste sequence + upload tracks":
        X = view.window_with_tracks(model, card, "gc_seqtr")
    else:
        st.info("This model reads binned chromatin tracks only; its data has no held-out "
                "windows here. Use regviz.gradcam.gradcam(...) from Python.")
    layers = st.multiselect("Layers", resolution["layer"].tolist(),
                            default=resolution["layer"].tolist(), key=f"gc_layers_{name}")
    if X is not None and layers:
        with widgets.user_errors("Grad-CAM") as ok:
            value, tracks = view.gradcam_window(folder, X, tuple(layers))
            last = tracks[layers[-1]]
            calls = view.call_cores(last, threshold=threshold, min_width=int(min_width))
        if ok["ok"]:
            st.metric(f"Prediction ({card.task_names[0]}"
                      f"{', probability' if card.reads_as_probability else ''})", f"{value:.3f}")
            st.dataframe(resolution, hide_index=True, width="stretch")
            fig = plots.window_figure(tracks, resolution, calls, planted, hits, value)
            widgets.plotly_figure(fig, "gradcam_window.html", key="gc_fig")
            st.caption(f"Cores are called on the last chosen layer ({layers[-1]}): runs at "
                       f"or above {threshold:.2f} x its peak, at least {min_width} bp.")
            widgets.table_with_download(calls, "gradcam_cores.csv", "gc_calls")
            st.download_button("Tracks (TSV, 1-based)", view.tracks_table(tracks),
                               "gradcam_tracks.tsv", "text/tab-separated-values",
                               key="gc_dl_tracks")
else:
    if model.in_channels != 4:
        st.info("This model reads chromatin tracks beside or instead of DNA; scan with "
                "regviz.gradcam.scan_region(..., tracks=...) from Python.")
        st.stop()
    path = inputs.genome_path_input("gc_genome")
    if path is None:
        st.stop()
    c = st.columns([3, 1, 1])
    region = c[0].text_input("Region (1-based, inclusive)", "chrDemo1:1-20,000",
                             key="gc_region")
    stride = c[1].number_input("Stride (bp)", 100, width, width // 2, 100, key="gc_stride")
    edges = c[2].radio("Contig ends", ["shift", "pad"], key="gc_edges",
                       help="shift: windows stay inside the contig; pad: fill with N")
    truth, source = view.known_cores(path, "gc_truth")
    if st.session_state.get("gc_cancel"):       # a cancelled scan does not restart itself
        st.session_state.pop("gc_scanned", None)
        widgets.cancelled_notice("gc_cancel", "The scan")
    expected = widgets.fmt_seconds(max(1, view.seconds_for_scan(folder, region, int(stride))))
    if st.button(f"Scan (about {expected})", key="gc_scan") or \
            st.session_state.get("gc_scanned") == region:
        st.session_state["gc_scanned"] = region
        cancel = st.empty()
        with cancel:
            widgets.cancel_button("gc_cancel")
        with widgets.user_errors("Scan") as ok:
            res = view.gradcam_scan(folder, path, region, int(stride), threshold,
                                    int(min_width), edges)
            per_core, scores = view.scan_scores(res, truth) if truth is not None else (None, {})
        cancel.empty()
        if ok["ok"]:
            fig = plots.scan_figure(res.windows, res.track, res.region.start, res.calls,
                                    per_core, chrom=res.region.chrom, threshold=threshold)
            widgets.plotly_figure(fig, "gradcam_scan.html", key="gc_scan_fig")
            if per_core is not None:
                view.show_scores(per_core, scores, source)
            st.caption(f"{len(res.windows)} windows of {width:,} bp; track = probability x "
                       "peak-normalised Grad-CAM, the best window where windows overlap; "
                       f"cores are runs >= {threshold:.2f} for at least {min_width} bp (BED: "
                       "0-based, end exclusive).")
            widgets.table_with_download(res.calls, "gradcam_cores.csv", "gc_scan_calls")
            dl = st.columns(3)
            dl[0].download_button("Cores (BED)", res.to_bed(), "gradcam_cores.bed",
                                  "text/plain", key="gc_dl_bed")
            dl[1].download_button("Track (BEDGraph)", res.to_bedgraph(), "gradcam.bedgraph",
                                  "text/plain", key="gc_dl_bg")
            dl[2].download_button("Windows (CSV)", res.windows.to_csv(index=False),
                                  "gradcam_windows.csv", "text/csv", key="gc_dl_win")
