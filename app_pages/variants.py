"""Variants: effects of SNVs and indels from a VCF or a list, with a close-up of one."""

from pathlib import Path

import streamlit as st

from regviz.plotting import attribution as tracks_plot
from regviz.plotting import variants as plots
from regviz.ui import state, widgets
from regviz.ui import filters as filters_view
from regviz.ui import variants as view

widgets.page_header(
    "Variants",
    "What does a mutation do to the prediction? Each variant gets a window of the model's "
    "input length centred on it, from a genome or your sequences; the REF allele must "
    "match. Its effect is the prediction of the ALT window minus that of the REF window; "
    "its rank places it among every possible single-base change of that window.",
)
model, card, folder = state.require_active_model()
name = Path(folder).name
kind = st.radio("Variants from", list(view.SOURCES), format_func=view.SOURCES.get,
                horizontal=True, key="var_source",
                help="The demo VCF holds variants that break planted motif sites of the "
                     "demo genome's enhancer cores, others inside cores, and background; "
                     "it suits enhancer-4kb_decode (4 kb windows).")
given = None
with widgets.user_errors("Variants") as ok:
    if kind == "demo":
        given = view.demo_input()
        if int(card.input_length) != 4000:
            st.info("The demo variants sit in the demo genome's 4 kb enhancer cores: pick "
                    "enhancer-4kb_decode in the sidebar to see them broken.")
    elif kind == "vcf":
        given = view.vcf_input(f"var_{name}")
    else:
        given = view.list_input(f"var_{name}", folder, model)
if not ok["ok"] or given is None:
    st.stop()
found, problems, where = given
c1, c2 = st.columns(2)
both = c1.checkbox("Average both strands", True, key="var_both")
rank_top = int(c2.number_input("Rank among all SNVs of their window: the strongest", 0,
                               1000, 20, 10, key="var_rank",
                               help="Fast exact ISM of each ranked variant's window."))
expected = view.seconds_to_score(folder, model, found, where, both, rank_top)
res = widgets.run_when_asked("var_run", f"Score {len(found):,} variants", expected,
                             expected == 0, lambda: view.run(folder, found, problems, where,
                                                             both, rank_top), "Scoring")
if res is None:
    st.stop()
st.markdown(view.summary_markdown(res))
scores = res["scores"]
if len(res["problems"]):
    with st.expander(f"Not scored ({len(res['problems']):,})", expanded=not len(scores)):
        widgets.table_with_download(res["problems"], "variants_not_scored.csv", "var_probs")
if not len(scores):
    st.stop()
output = st.selectbox("Output", list(card.task_names), key=f"var_out_{name}")
shown = scores[scores["output"] == output].sort_values("effect", key=abs, ascending=False)
widgets.table_with_download(shown[view.TABLE_COLUMNS], "variant_effects.csv", "var_table",
                            column_config={"info": "truth (demo) / INFO"})
d1, d2 = st.columns(2)
d1.download_button("All outputs (TSV)", scores.to_csv(sep="\t", index=False),
                   "variant_effects.tsv", "text/tab-separated-values", key="var_tsv")
d2.download_button("VCF with effects (INFO)", view.scores_vcf(scores),
                   "variant_effects.vcf", "text/plain", key="var_vcf")
widgets.plotly_figure(plots.effects_figure(scores, output), "variant_effects.html",
                      key="var_plot")

st.subheader("One variant")
pick = st.selectbox("Variant", list(shown["label"]), key=f"var_pick_{name}")
row = shown[shown["label"] == pick].iloc[0]
if view.truth(row["info"]):
    st.caption(f"Truth: {view.truth(row['info'])}.")
database = filters_view.default_database(card)
with widgets.user_errors("Close-up"):
    near = view.close_up(folder, row, where, database)
    same = len(row["ref"]) == len(row["alt"])
    tracks = {"REF: input x gradient": near["tracks"][0],
              "ALT: input x gradient": near["tracks"][1]}
    if same:
        tracks["ALT - REF"] = near["tracks"][1] - near["tracks"][0]
    centre = view.centre(len(near["ref"]))
    lo, hi = max(centre - 60, 0), min(centre + 60 + len(row["ref"]), len(near["ref"]))
    widgets.plotly_figure(tracks_plot.tracks_figure(
        {k: v[lo:hi] for k, v in tracks.items()}, near["ref"][lo:hi], view.variant_box(
            row, centre - lo), title=f"{pick}: {lo + 1:,}-{hi:,} of the window"),
        "variant_tracks.html", key="var_tracks")
    if not same:
        st.caption("Insertions and deletions shift the ALT window's flanks, so the tracks "
                   "are not subtracted.")
    st.markdown(f"JASPAR motifs ({database}) over the variant that the ALT breaks or creates:")
    widgets.table_with_download(near["motifs"], "variant_motifs.csv", "var_motifs",
                                column_config=view.SCI)
