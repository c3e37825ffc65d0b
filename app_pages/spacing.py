"""Motif spacing: DeepSTARR-style in-silico experiments on the active model."""

import streamlit as st

from regviz.plotting import spacing as spacing_plots
from regviz.ui import cache, state, widgets
from regviz.ui import spacing as view

widgets.page_header(
    "Motif spacing",
    "Embed two motifs in neutral backgrounds, A at the centre and B at every distance on "
    "either side, in all four orientations, and ask the model. **Cooperativity** is the "
    "joint prediction minus what A and B alone predict (DeepSTARR: AB - (A + B - "
    "background), linear scale; 0 = additive). Distances are **gaps**: bases between the "
    "end of the left motif and the start of the right one. For synthetic datasets the "
    "planted rule is drawn dashed beside what the model learned.",
)
model, card, folder = state.require_active_model()
tasks = list(card.task_names)
presets, ids = view.planted_pairs(folder)
default = next((i for i, p in enumerate(presets.values()) if p["strength"] > 0), 0)

if not presets:
    st.info("The active model's data has no planted motif pairs: choose the motifs yourself, "
            "or pick enhancer-activity_deepstarr in the sidebar to compare with planted rules.")
c1, c2, c3 = st.columns(3)
preset = c1.selectbox("Planted pair (preset)", list(presets) or ["none"], index=default,
                      key="sp_preset", help="Pairs of the model's synthetic grammar.")
p = presets.get(preset)
motif_a = c2.text_input("Motif A (centre)", ids.get(p["a"], "") if p else "MA0099.4",
                        key=f"sp_a_{preset}", help="JASPAR ID or name, a site of A/C/G/T, or "
                        "'filter N': the core of first-layer filter N's PWM (its 100 "
                        "strongest windows, as on the Filters page's top-100 rule).")
motif_b = c3.text_input("Motif B (moved)", ids.get(p["b"], "") if p else "MA2283.1",
                        key=f"sp_b_{preset}", help="As for motif A.")
c1, c2, c3, c4 = st.columns(4)
target = c1.selectbox("Target output", range(len(tasks)), format_func=lambda i: tasks[i],
                      index=tasks.index(p["output"]) if p and p["output"] in tasks else 0,
                      key=f"sp_target_{preset}")
how = c2.radio("Site", ["consensus", "sample"], horizontal=True, key="sp_how")
bg_kind = c3.selectbox("Backgrounds", ["shuffle", "random", "lowest"], key="sp_bg",
                       help="shuffle: dinucleotide shuffles of test sequences; random: i.i.d. "
                            "at their GC; lowest: the lowest-activity test sequences.")
n_bg = c4.number_input("Number of backgrounds", 1, 500, 50, key="sp_nbg")
c1, c2, c3, c4 = st.columns(4)
max_gap = c1.number_input("Largest gap (bp)", 0, 5000, 100, key="sp_max")
step = c2.number_input("Step (bp)", 1, 100, 1, key="sp_step")
convention = c3.selectbox("Convention", list(view.CONVENTIONS), key="sp_conv",
                          format_func=lambda c: f"{c}: {view.CONVENTIONS[c]['formula']}")
seed = c4.number_input("Seed", 0, 2**31 - 1, 0, key="sp_seed")
orients = st.multiselect("Orientations (strands of A, B)", list(view.ORIENTATIONS),
                         list(view.ORIENTATIONS), key="sp_orient")
st.caption(f"Predictions are the model's raw outputs: {card.how_to_read}.")
if not view.has_data(folder):
    st.caption("This model has no synthetic-data recipe: backgrounds are random at GC 0.42.")

settings = (folder, motif_a, motif_b, how, bg_kind, int(n_bg), int(seed),
            tuple(range(0, int(max_gap) + 1, int(step))), tuple(orients), int(target),
            convention, "median")
expected = view.seconds_for(folder, int(n_bg), len(settings[7]), len(orients))
if st.button(f"Run experiment (about {widgets.fmt_seconds(max(expected, 1))})", type="primary",
             key="sp_run"):
    bar = st.progress(0.0, text="Predicting...")
    cancel = st.empty()
    with cancel:
        widgets.cancel_button("sp_cancel")
    with widgets.user_errors("Spacing experiment") as ok:
        df = view.run_pair(*settings, progress=lambda d, t: bar.progress(
            d / t, text=f"Predicted {d:,} of {t:,} sequences"))
    bar.empty()
    cancel.empty()
    if ok["ok"]:
        st.session_state["sp_result"] = (settings, df)
else:
    widgets.cancelled_notice("sp_cancel", "The spacing experiment")

result = st.session_state.get("sp_result")
if result is not None:
    used, df = result
    if used != settings:
        st.caption("Showing the last run; the settings above have changed since.")
    fig = spacing_plots.spacing_figure(df)
    st.plotly_chart(fig, width="stretch", key="sp_fig")
    mode = view.infer_mode(df)
    st.markdown(f"**Inferred mode: {mode['mode']}.** {mode['text']}")
    st.caption(f"{df.attrs['distance']}. Line: {df.attrs['statistic']} over backgrounds; band: "
               f"{df.attrs['interval']}. A = {df.attrs['motif_a']}: {df.attrs['site_a']}; "
               f"B = {df.attrs['motif_b']}: {df.attrs['site_b']}."
               + (f" Skipped (B would leave the sequence): {len(df.attrs['skipped'])} "
                  "distances." if df.attrs["skipped"] else ""))
    with st.expander("Joint effect and table"):
        st.plotly_chart(spacing_plots.spacing_figure(df, value="joint"), width="stretch",
                        key="sp_joint")
        st.dataframe(df, hide_index=True, width="stretch", height=260)
    cols = st.columns(3)
    cols[0].download_button("Table (CSV)", df.to_csv(index=False), "spacing.csv", "text/csv",
                            key="sp_dl_csv")
    widgets.download_figure(fig, "spacing.html", key="sp_dl_fig", column=cols[1])

with st.expander("Single motif: position, copy number, orientation (motif A)"):
    c1, c2 = st.columns(2)
    copies = c1.number_input("Most copies", 1, 10, 5, key="sp_copies")
    gap = c2.number_input("Gap between copies (bp)", 0, 100, 10, key="sp_copy_gap")
    if st.button("Run single-motif experiments", key="sp_single"):
        with widgets.user_errors("Single-motif experiments") as ok:
            out = view.run_single(folder, cache.checkpoint_stamp(folder), motif_a, how, bg_kind,
                                  int(n_bg), int(seed), int(target), int(copies), int(gap))
        if ok["ok"]:
            marg, cn, orient = out
            st.plotly_chart(spacing_plots.marginal_figure(marg), width="stretch", key="sp_marg")
            st.plotly_chart(spacing_plots.copy_number_figure(cn), width="stretch", key="sp_cn")
            st.dataframe(orient, hide_index=True, width="stretch")
            st.download_button("Position table (CSV)", marg.to_csv(index=False),
                               "marginalisation.csv", "text/csv", key="sp_dl_marg")
            st.download_button("Copy-number table (CSV)", cn.to_csv(index=False),
                               "copy_number.csv", "text/csv", key="sp_dl_cn")
