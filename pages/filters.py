"""Filters: first-layer filters as logos, matched to JASPAR, with their influence."""


import streamlit as st

from regviz import filters, filters_match, motifs, ui
from regviz.models.citations import KOO2021
from regviz.plotting import filters as filters_plots

ui.page_header(
    "Filters",
    "Each first-layer filter is turned into a motif from the windows that activate it "
    "most, matched to JASPAR with Tomtom, and silenced in turn to see how much the "
    "predictions depend on it (Basset's influence).",
)
model, card, folder = ui.require_active_model()
stamp = ui.checkpoint_stamp(folder)
planted = (card.get("dataset") or {}).get("motifs") or []
dbs = list(filters.DATABASES)
default_db = filters_match.collection_for(planted) if planted else dbs[0]

c1, c2, c3, c4 = st.columns(4)
rule = c1.selectbox("Site rule", list(filters.RULES), key="filters_rule",
                    format_func=lambda r: {"basset": "Basset", "max_fraction": "0.5 x max "
                                           "(ExplaiNN)", "top_n": "top 100 (EUGENe)"}[r],
                    help="\n\n".join(f"**{k}**: {v}" for k, v in filters.RULE_HELP.items()))
threshold = c2.slider("Threshold", 0.1, 0.9, 0.5, 0.05, key="filters_threshold",
                      disabled=rule == "top_n")
database = c3.selectbox("JASPAR collection", dbs, index=dbs.index(default_db),
                        key=f"filters_db_{folder}",  # per model: its own default
                        help="Default: the smallest collection that holds the planted motifs "
                             "of a synthetic set.")
n_seq = c4.number_input("Sequences", 200, 5000, 2000, 100, key="filters_n")

bar = st.empty()
with ui.user_errors("Filter analysis") as state:
    ui.motif_tools_ready()
    bar.progress(0.0, "Filter analysis")
    res = ui.filter_analysis(folder, stamp, rule, float(threshold), database, int(n_seq),
                             progress=lambda f, msg: bar.progress(min(f, 1.0), msg))
bar.empty()
if not state["ok"]:
    st.stop()

s = res["summary"]
line = (f"**{s['n_significant']} of {s['n_filters']} filters match a known motif at "
        f"q < 0.05** ({s['fraction_annotated']:.0%}; {s['n_kept']} had at least 10 sites, "
        f"{s['n_tested']} had an informative core to test) in {database}.")
if res["recovery"] is not None:
    rec = res["recovery"]
    found = ", ".join(rec.loc[rec["recovered"], "name"]) or "none"
    missed = ", ".join(rec.loc[~rec["recovered"], "name"]) or "none"
    line += (f" Planted motifs recovered: **{s['n_recovered']} of {s['n_planted']}** "
             f"({found}; not recovered: {missed}).")
st.markdown(line)
st.caption(f"Data: {res['source']}. The site rules disagree: Basset's threshold takes "
           "every window above halfway between the mean and the maximum activation (often "
           "thousands, giving flat PWMs); the top-100 rule keeps only the strongest windows. "
           "Compare them with the selector above.")
first_activation = getattr(model.config, "first_activation", None)
if first_activation == "exp":
    st.caption("This model's first layer uses an exponential activation ([Koo & Ploenzke "
               f"2021](https://doi.org/{KOO2021.doi})), which makes its filters learn whole "
               "motifs. Basset's rule suits it: under the top-100 rule all sites are "
               "near-exact copies of one consensus, which loses the motif's shape.")
else:
    st.caption("This model's first layer uses ReLU: the top-100 rule usually gives it sharper "
               "PWMs than Basset's." + (" Deep models with small pools also spread a motif over "
                                       "several ReLU filters; train the same architecture "
                                       "with 'Exponential first layer' (Train page) to "
                                       "compare." if first_activation == "relu" else ""))
with st.expander("What the q-value means"):
    st.markdown(
        "A filter's **q-value** is the false discovery rate of calling it matched: among "
        "filters called at q < 0.05, about 5% are expected to match JASPAR only by chance. "
        "Its p-value asks how often a *scrambled* copy of the filter (same width and "
        "information per position, bases and positions shuffled) matches something in "
        "the collection as well as the filter does (past the strongest scrambles, from a "
        "tail fitted to them); Tomtom's own p-values are not used "
        "directly because long, mostly flat filters get tiny ones by chance. Flat flanks "
        "are trimmed first (information < 0.3 bits). q-values are Benjamini-Hochberg "
        "across filters. A secondary match's q-value is the one it would have as the "
        "filter's best match.")

best = res["best"]
order = st.radio("Sort logos by", ["influence", "information content"], horizontal=True,
                 key="filters_sort")
if len(best):
    best = best.sort_values("influence" if order == "influence" else "ic", ascending=False)
    show = best.head(st.slider("Logos shown", 4, max(4, len(best)), min(16, len(best)),
                               4, key="filters_nshow") if len(best) > 4 else len(best))
    fms = {f.index: f for f in res["filters"]}
    titles = [f"filter {r.filter} | " + (f"{r.target_name} {r.target_id} q={r.q_value:.2g}"
                                         if r.significant else "no match")
              for r in show.itertuples()]
    fig = filters_plots.logo_grid_figure([fms[i].ppm for i in show["filter"]], titles)
    st.pyplot(fig)
    st.download_button("Logos (PNG)", filters_plots.figure_png(fig), "filter_logos.png",
                       "image/png", key="filters_logos_png")
    cols = ["filter", "target_id", "target_name", "q_value", "p_value", "tomtom_p", "offset",
            "strand", "n_sites", "ic", "influence", "influence_rank"]
    sci = st.column_config.NumberColumn(format="%.2e")
    st.dataframe(best[cols], hide_index=True, width="stretch",
                 column_config={"q_value": sci, "p_value": sci, "tomtom_p": sci})
    st.download_button("Table (CSV)", best[cols].to_csv(index=False), "filter_matches.csv",
                       "text/csv", key="filters_best_csv")
    st.download_button("All matches (CSV)", res["matches"].to_csv(index=False),
                       "filter_matches_all.csv", "text/csv", key="filters_all_csv")
    st.download_button("Filter PWMs (MEME)", filters.to_meme(res["filters"]),
                       "filters.meme", "text/plain", key="filters_meme")

    st.subheader("One filter")
    pick = st.selectbox("Filter", list(best["filter"]), key="filters_pick")
    fm, row = fms[pick], best.set_index("filter").loc[pick]
    if row["tested"] and isinstance(row["target_id"], str):
        fig2 = filters_plots.aligned_match_figure(
            fm.ppm, motifs.jaspar(row["target_id"]).ppm(), int(row["offset"]), row["strand"],
            f"filter {pick} ({fm.n_sites} sites)",
            f"{row['target_name']} {row['target_id']} (q = {row['q_value']:.2g})",
            core=(int(row["core_start"]), int(row["core_end"])))
        st.pyplot(fig2)
        st.download_button("Aligned logos (PNG)", filters_plots.figure_png(fig2),
                           f"filter{pick}_match.png", "image/png", key="filters_pair_png")
    k = st.number_input("Sequence (1-based, from the analysis data)", 1,
                        len(res["sequences"]), 1, key="filters_seq")
    seq = res["sequences"][int(k) - 1]
    act = ui.filter_activation(folder, stamp, seq, int(pick))
    w = fm.ppm.shape[1]
    pad = (len(act) - (len(seq) - w + 1)) // 2   # 0 'valid', (w-1)/2 'same', w-1 'N'-padded
    fig3 = filters_plots.activation_track_figure(act, seq, w, -pad,
                                                 f"filter {pick} along sequence {k}")
    st.plotly_chart(fig3, key="filters_track")
    ui.download_figure(fig3, f"filter{pick}_activation.html", "filters_track_dl")
    tasks = (card.get("tasks") or {}).get("names") or []
    fig4 = filters_plots.influence_figure(res["influence"], int(pick), tasks)
    st.plotly_chart(fig4, key="filters_infl")
    ui.download_figure(fig4, f"filter{pick}_influence.html", "filters_infl_dl")
else:
    st.warning("No filter had enough sites under this rule; try another rule or threshold.")

st.subheader("Match your own motifs")
upload = st.file_uploader("MEME motif file (PWMs)", type=["meme", "txt"], key="filters_upload")
if upload is not None:
    with ui.user_errors(upload.name):
        found, table = ui.match_meme_upload(upload.getvalue(), database)
        ui.table_with_download(table, "uploaded_matches.csv", "filters_upload_table")
