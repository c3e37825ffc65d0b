"""Filters: first-layer filters as logos, matched to JASPAR, with their influence."""

from pathlib import Path

import streamlit as st

from regviz.plotting import filters as plots
from regviz.ui import cache, inputs, state, widgets
from regviz.ui import filters as view

widgets.page_header(
    "Filters",
    "Each first-layer filter is turned into a motif from the windows that activate it "
    "most, matched to JASPAR with Tomtom, and silenced in turn to see how much the "
    "predictions depend on it (Basset's influence).",
)
model, card, folder = state.require_active_model()
widgets.page_link("app_pages/motifs.py", "Filters are fragments? See the motifs the whole "
                  "model learned (Motifs page).", ":material/hub:")
c1, c2, c3, c4 = st.columns(4)
rule = c1.selectbox("Site rule", list(view.RULES), key="filters_rule",
                    format_func=view.RULES.get, help=view.RULE_HELP)
threshold = c2.slider("Threshold", 0.1, 0.9, 0.5, 0.05, key="filters_threshold",
                      disabled=rule == "top_n")
database = c3.selectbox("JASPAR collection", view.DATABASES,
                        index=view.DATABASES.index(view.default_database(card)),
                        key=f"filters_db_{folder}",  # per model: its own default
                        help="Default: the smallest collection that holds the planted motifs "
                             "of a synthetic set.")
source = st.radio("Sequences to analyze", list(view.SOURCES), format_func=view.SOURCES.get,
                  horizontal=True, key=f"filters_source_{Path(folder).name}",
                  index=0 if card.synthetic_kwargs() is not None else 1,
                  help="The model's data: a fresh draw from the synthetic generator it was "
                       "trained on (random DNA when it has none). Yours: pasted, uploaded or a "
                       "genome region, cut into windows of the model's length. Random DNA "
                       "shows only what random sequence activates best.")
records = None
if source == "yours":
    records = inputs.sequence_input(f"filters_{Path(folder).name}",
                                    inputs.model_examples(folder, model), allow_region=True)
    if not records:
        st.stop()
n_seq = c4.number_input("Sequences", 200, 5000, 2000, 100, key="filters_n",
                        disabled=source == "yours", help="Of the model's data or random DNA.")
settings = (folder, rule, float(threshold), database, int(n_seq), source, records)
with widgets.user_errors("Filter analysis") as ok:
    expected = view.seconds_to_analyze(folder, model, *settings[1:])
if not ok["ok"]:
    st.stop()
res = widgets.run_when_asked("filters_run", "Analyze the filters", expected, expected == 0,
                             lambda: view.analysis(*settings), "Filter analysis")
if res is None:
    st.stop()
st.markdown(view.summary_markdown(res, database))
st.caption(f"Data: {res['source']}. The site rules disagree: Basset's threshold takes "
           "every window above halfway between the mean and the maximum activation (often "
           "thousands, giving flat PWMs); the top-100 rule keeps only the strongest windows. "
           "Compare them with the selector above.")
st.caption(view.first_layer_note(model))
with st.expander("What the q-value means"):
    st.markdown(view.Q_VALUE_HELP)

best = res["best"]
order = st.radio("Sort logos by", ["influence", "information content"], horizontal=True,
                 key="filters_sort")
if len(best):
    best = best.sort_values("influence" if order == "influence" else "ic", ascending=False)
    shown = best.head(st.slider("Logos shown", 4, max(4, len(best)), min(16, len(best)),
                                4, key="filters_nshow") if len(best) > 4 else len(best))
    widgets.matplotlib_figure(view.logo_grid(res, shown), "filter_logos.png",
                              key="filters_logos", label="Logos (PNG)")
    sci = st.column_config.NumberColumn(format="%.2e")
    widgets.table_with_download(best[view.TABLE_COLUMNS], "filter_matches.csv",
                                "filters_best", column_config={"q_value": sci, "p_value": sci,
                                                               "tomtom_p": sci})
    d1, d2 = st.columns(2)
    d1.download_button("All matches (CSV)", res["matches"].to_csv(index=False),
                       "filter_matches_all.csv", "text/csv", key="filters_all_csv")
    d2.download_button("Filter PWMs (MEME)", view.to_meme(res["filters"]),
                       "filters.meme", "text/plain", key="filters_meme")

    st.subheader("One filter")
    pick = int(st.selectbox("Filter", list(best["filter"]), key="filters_pick"))
    aligned = view.aligned_logos(res, pick)
    if aligned is not None:
        widgets.matplotlib_figure(aligned, f"filter{pick}_match.png", key="filters_pair",
                                  label="Aligned logos (PNG)")
    k = st.number_input("Sequence (1-based, from the analysis data)", 1,
                        len(res["sequences"]), 1, key="filters_seq")
    table = view.activation(folder, cache.checkpoint_stamp(folder),
                            res["sequences"][int(k) - 1], pick)
    widgets.plotly_figure(plots.activation_track_figure(table, f"filter {pick} along "
                                                        f"sequence {k}"),
                          f"filter{pick}_activation.html", key="filters_track")
    widgets.plotly_figure(plots.influence_figure(res["influence"], pick, card.task_names),
                          f"filter{pick}_influence.html", key="filters_infl")
else:
    st.warning("No filter had enough sites under this rule; try another rule or threshold.")

st.subheader("Match your own motifs")
upload = st.file_uploader("MEME motif file (PWMs)", type=["meme", "txt"], key="filters_upload",
                          max_upload_size=view.MEME_UPLOAD_MB)
if upload is not None:
    with widgets.user_errors(upload.name):
        table = view.match_meme_upload(upload.getvalue(), upload.name, database)
        widgets.table_with_download(table, "uploaded_matches.csv", "filters_upload_table")
