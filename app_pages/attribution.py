"""Attribution: which bases does the active model rely on, and do they fall on motifs?"""

from pathlib import Path

import streamlit as st

from regviz.plotting import attribution as plots
from regviz.ui import attribution as view
from regviz.ui import predict as predicted
from regviz.ui import motifs as learned
from regviz.ui import inputs, state, widgets

widgets.page_header(
    "Attribution",
    "Per-base importance of every position for one output of the active model, by several "
    "methods side by side, with the planted motifs outlined when the sequence comes from "
    "the model's own synthetic test set. The sanity panel says how far each method's "
    "numbers can be trusted; on synthetic data the ground-truth score says which methods "
    "find the motifs that are really there.",
)
model, card, folder = state.require_active_model()
tasks = list(card.task_names)
c1, c2 = st.columns([1, 2])
target = tasks.index(c1.selectbox("Output (task)", tasks, key="attr_task"))
allowed = view.methods_for(model)
methods = c2.multiselect("Methods", allowed, default=[m for m in ("integrated_gradients",
                         "deeplift_shap", "ism") if m in allowed] or allowed[:1],
                         format_func=view.TITLES.get, key="attr_methods")
exact, note = view.deeplift_exact(model)
if not exact:
    st.info(f"DeepLIFT methods are not offered for this model: {note}")
with st.expander("Options"):
    o1, o2, o3 = st.columns(3)
    settings = {
        "baseline": o1.selectbox("IG / DeepLIFT reference", view.BASELINES, key="attr_base"),
        "n_references": int(o1.number_input("Shuffled references", 1, 50, 10, key="attr_refs")),
        "n_steps": int(o2.number_input("IG steps", 4, 1024, 32, key="attr_steps")),
        "hypothetical": o2.toggle("Hypothetical contributions", False, key="attr_hyp"),
        "gradient_correction": o3.toggle("Gradient correction (Majdandzic 2023)", False,
                                         key="attr_corr")}
    rc = o3.toggle("Average with reverse complement", False, key="attr_rc")
example = view.default_example(folder, card, target)
records = inputs.sequence_input(f"attr_{Path(folder).name}", allow_region=True,
                                default_text=example.fasta if example
                                else inputs.model_examples(folder, model))
if not records or not methods:
    st.stop()
names = [r.name for r in records]
pick = names.index(st.selectbox("Sequence to show", names, key="attr_pick")) if len(names) > 1 else 0
seq = records[pick].sequence
with widgets.user_errors("Sequences") as ok:
    view.encode_for(model, records)
    said = predicted.predictions(folder, [records[pick]])
if not ok["ok"]:
    st.stop()
row = said[said["output"] == tasks[target]].iloc[0]
units = "probability" if card.reads_as_probability else "prediction"
st.metric(f"{tasks[target]}: {units} (forward strand)", f"{row['forward']:.4f}",
          help=f"Reverse complement {row['reverse']:.4f}, mean {row['mean']:.4f}; all outputs "
               "on the Predict page.")
planted = example.annotations if example is not None and seq == example.sequence else None
scan = st.text_input("JASPAR motifs to scan with FIMO (names or IDs, comma-separated; hits "
                     "at p < 1e-4 drawn as dotted boxes)",
                     ", ".join(m.id for m in card.planted_motifs),
                     key=f"attr_fimo_{Path(folder).name}")  # per model: its own motifs
hits = None
with widgets.user_errors("FIMO"):
    hits = view.fimo_hits(tuple(t.strip() for t in scan.split(",") if t.strip()), seq)
expected = view.seconds_to_explain(folder, model, seq, methods, target, settings, rc)
results = widgets.run_when_asked(
    "attr_run", "Explain", expected, expected == 0,
    lambda: view.explain(folder, seq, methods, target, settings, rc), "Attribution")
if results is None:
    st.stop()
tracks = {view.TITLES[m]: track for m, (_, track) in results.items()}

found = learned.hits(folder, seq, tasks[target])      # this session's Motifs-page patterns
fig = plots.tracks_figure(tracks, seq, planted, title=f"{records[pick].name}: {tasks[target]}",
                          hits=hits, patterns=found)
widgets.plotly_figure(fig, "attribution_tracks.html", key="attr_tracks")
st.caption(learned.hits_caption(found))
d = st.columns(2)
d[0].download_button("Tracks (TSV)", plots.tracks_tsv(tracks, seq), "attribution_tracks.tsv",
                     "text/tab-separated-values", key="attr_dl_tsv")
first = next(iter(tracks))
d[1].download_button(f"{first} (bedGraph)", plots.tracks_bedgraph(
    tracks[first], records[pick].name.split()[0], name=first), "attribution.bedgraph",
    "text/plain", key="attr_dl_bg")

st.subheader("Logo of a window")
w1, w2 = st.columns([1, 3])
logo_method = w1.selectbox("Method", methods, format_func=view.TITLES.get,
                           key="attr_logo_method")
lo, hi = w2.slider("Window (1-based; starts on the strongest 60 bp)", 1, len(seq),
                   view.strongest_window(results[logo_method][1]),
                   key=f"attr_window_{view.digest(seq)}_{logo_method}")
widgets.matplotlib_figure(view.logo_png(results[logo_method][0], lo, hi,
                                        view.TITLES[logo_method]),
                          "attribution_logo.png", key="attr_dl_logo", label="Logo (PNG)")
if "ism" in results:
    st.subheader("In-silico mutagenesis")
    widgets.plotly_figure(plots.ism_heatmap(results["ism"][0], seq, start=lo - 1, end=hi),
                          "ism_heatmap.html", key="attr_heat")

view.sanity_panel(folder, model, seq, methods, target, settings)

if example is not None:
    st.subheader("Ground truth: do the methods find the planted motifs?")
    n_test = int(st.number_input("Test sequences to score", 5, 500, 20, key="attr_ntest"))
    expected = view.seconds_to_score(folder, model, methods, target, n_test, settings)
    table = widgets.run_when_asked(
        "attr_score", "Score the methods", expected, expected == 0,
        lambda: view.test_scores(folder, card, tuple(methods), target, n_test, settings),
        "Scoring")
    if table is not None:
        st.caption("Positions inside planted sites of the motifs this output depends on "
                   "are positives, all other positions negatives (|importance| ranks them).")
        widgets.table_with_download(table, "scores.csv", "attr_scores_table")
        widgets.plotly_figure(plots.scores_figure(table), "scores.html", key="attr_scores")
