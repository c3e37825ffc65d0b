"""Attribution: which bases does the active model rely on, and do they fall on motifs?"""

from pathlib import Path

import pandas as pd
import streamlit as st

from regviz import attribution, ui
from regviz.plotting import attribution as attribution_plots

ui.page_header(
    "Attribution",
    "Per-base importance of every position for one output of the active model, by several "
    "methods side by side, with the planted motifs outlined when the sequence comes from "
    "the model's own synthetic test set. The sanity panel says how far each method's "
    "numbers can be trusted; on synthetic data the ground-truth score says which methods "
    "find the motifs that are really there.",
)
model, card, folder = ui.require_active_model()
tasks = (card.get("tasks") or {}).get("names") or [f"output {k}" for k in
                                                    range(model.config.n_outputs)]
c1, c2 = st.columns([1, 2])
target = tasks.index(c1.selectbox("Output (task)", tasks, key="attr_task"))
allowed = attribution.methods_for(model)
methods = c2.multiselect("Methods", allowed, default=[m for m in ("integrated_gradients",
                         "deeplift_shap", "ism") if m in allowed] or allowed[:1],
                         format_func=attribution.TITLES.get, key="attr_methods")
exact, note = attribution.deeplift_exact(model)
if not exact:
    st.info(f"DeepLIFT methods are not offered for this model: {note}")
with st.expander("Options"):
    o1, o2, o3 = st.columns(3)
    baseline = o1.selectbox("IG / DeepLIFT reference", attribution.BASELINES, key="attr_base")
    n_refs = int(o1.number_input("Shuffled references", 1, 50, 10, key="attr_refs"))
    n_steps = int(o2.number_input("IG steps", 4, 256, 32, key="attr_steps"))
    hypothetical = o2.toggle("Hypothetical contributions", False, key="attr_hyp")
    correction = o3.toggle("Gradient correction (Majdandzic 2023)", False, key="attr_corr")
    rc = o3.toggle("Average with reverse complement", False, key="attr_rc")
default_text, default_ann = ui.attribution_default(card, target)
records = ui.sequence_input(f"attr_{Path(folder).name}",
                            default_text=default_text or ui.EXAMPLE_FASTA, allow_region=True)
if not records or not methods:
    st.stop()
names = [r.name for r in records]
pick = names.index(st.selectbox("Sequence to show", names, key="attr_pick")) if len(names) > 1 else 0
seq = records[pick].sequence
with ui.user_errors("Sequences") as state:
    attribution.encode_for(model, records)
if not state["ok"]:
    st.stop()
planted = None
if default_text and default_ann is not None and seq == default_text.split("\n")[1]:
    planted = default_ann
results, tracks = {}, {}
for method in methods:
    settings = {} if method == "ism" else {
        "baseline": baseline if method in ("integrated_gradients", "deeplift") else None,
        "n_references": n_refs, "n_steps": n_steps, "hypothetical": hypothetical,
        "gradient_correction": correction}
    settings["rc_average"] = rc
    with ui.user_errors(attribution.TITLES[method]) as state:
        results[method] = ui.attribution_for(folder, seq, method, target, settings)
    if not state["ok"]:
        st.stop()
    X = attribution.encode_for(model, [seq])
    tracks[attribution.TITLES[method]] = attribution.importance(
        results[method][None], X, method, hypothetical or method == "saliency")[0]

planted_ids = ", ".join(m["id"] for m in (card.get("dataset") or {}).get("motifs") or [])
scan = st.text_input("JASPAR motifs to scan with FIMO (names or IDs, comma-separated; hits "
                     "at p < 1e-4 drawn as dotted boxes)", planted_ids,
                     key=f"attr_fimo_{Path(folder).name}")  # per model: its own motifs
hits = None
with ui.user_errors("FIMO") as state:
    hits = ui.fimo_hits(tuple(t.strip() for t in scan.split(",") if t.strip()), seq)
fig = attribution_plots.tracks_figure(tracks, seq, planted, title=f"{records[pick].name}: "
                                      f"{tasks[target]}", hits=hits)
st.plotly_chart(fig, width="stretch", key="attr_tracks")
d = st.columns(3)
d[0].download_button("Tracks (TSV)", attribution_plots.tracks_tsv(tracks, seq),
                     "attribution_tracks.tsv", "text/tab-separated-values", key="attr_dl_tsv")
first = next(iter(tracks))
d[1].download_button(f"{first} (bedGraph)", attribution_plots.tracks_bedgraph(
    tracks[first], records[pick].name.split()[0], name=first), "attribution.bedgraph",
    "text/plain", key="attr_dl_bg")
ui.download_figure(fig, "attribution_tracks.html", key="attr_dl_fig", column=d[2])

st.subheader("Logo of a window")
w1, w2 = st.columns([1, 3])
logo_method = w1.selectbox("Method", methods, format_func=attribution.TITLES.get,
                           key="attr_logo_method")
lo, hi = w2.slider("Window (1-based)", 1, len(seq), (1, min(len(seq), 60)), key="attr_window")
logo = attribution_plots.logo_figure(results[logo_method], lo - 1, hi,
                                     title=attribution.TITLES[logo_method])
st.pyplot(logo)
st.download_button("Logo (PNG)", attribution_plots.figure_png(logo), "attribution_logo.png",
                   "image/png", key="attr_dl_logo")

if "ism" in results:
    st.subheader("In-silico mutagenesis")
    heat = attribution_plots.ism_heatmap(results["ism"], seq, start=lo - 1, end=hi)
    st.plotly_chart(heat, width="stretch", key="attr_heat")
    ui.download_figure(heat, "ism_heatmap.html", key="attr_dl_heat")

st.subheader("Sanity checks")
check = st.selectbox("Method to check", [m for m in methods if m != "ism"] or methods,
                     format_func=attribution.TITLES.get, key="attr_check")
with ui.user_errors("Sanity checks") as state:
    report = ui.attribution_sanity_for(folder, seq, check, target,
                                       {"n_steps": n_steps, "n_references": n_refs})
if state["ok"]:
    for w in report["warnings"]:
        st.warning(w)
    st.dataframe(report["summary"], hide_index=True, width="stretch")
    st.download_button("Sanity summary (CSV)", report["summary"].to_csv(index=False),
                       "attribution_sanity.csv", "text/csv", key="attr_dl_sanity")

if default_text:
    st.subheader("Ground truth: do the methods find the planted motifs?")
    n_test = int(st.number_input("Test sequences to score", 5, 500, 20, key="attr_ntest"))
    if st.button("Score the methods", key="attr_score"):
        with ui.user_errors("Scoring") as state:
            table = ui.attribution_test_scores(folder, card, tuple(methods), target, n_test,
                                               {"n_steps": n_steps, "n_references": n_refs})
        if state["ok"]:
            st.caption("Positions inside planted sites of the motifs this output depends on "
                       "are positives, all other positions negatives (|importance| ranks "
                       "them).")
            st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")
            sfig = attribution_plots.scores_figure(table)
            st.plotly_chart(sfig, width="stretch", key="attr_scores")
            st.download_button("Scores (CSV)", table.to_csv(index=False), "scores.csv",
                               "text/csv", key="attr_dl_scores")
