"""Data: browse the synthetic sets (rules, planted motifs, grammar) or summarise your own."""

import json

import streamlit as st

from regviz import grammar, plotting, simulate, ui

ui.page_header(
    "Datasets",
    "Synthetic sets carry the truth: every sequence records which JASPAR motif was "
    "planted where, and the labels follow stated rules, so each view can show whether a "
    "model found what is really there. Or upload your own labelled sequences and check "
    "them before training.",
)
synthetic, own = st.tabs(["Synthetic sets", "Your data"])

with synthetic:
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    name = c1.selectbox("Set", simulate.list_datasets(), key="set")
    n = int(c2.number_input("Sequences", 100, 20_000, 1000, step=100, key="n"))
    seed = int(c3.number_input("Seed", 0, 2**31 - 1, 0, key="seed"))
    noise = c4.toggle("Label noise", value=True, key="noise",
                      help="off: labels follow the rules exactly")
    with ui.user_errors(name) as state:
        dataset = ui.synthetic_dataset(name, n, seed, noise)
    if state["ok"]:
        with st.expander("Rules of this set", expanded=False):
            st.markdown(simulate.describe(name))
        st.subheader("Grammar")
        rules = grammar.grammar_table(dataset.grammar)
        st.dataframe(rules, hide_index=True, width="stretch")
        st.download_button("Grammar (JSON)", json.dumps(dataset.grammar, indent=2),
                           f"{name}_grammar.json", "application/json", key="dl_grammar")
        if dataset.grammar.get("pairs"):
            curves = grammar.cooperativity_table(dataset.grammar)
            fig = plotting.cooperativity_figure(curves)
            st.caption("What each motif pair adds to its output beyond the two motifs' own "
                       "weights, by gap (bp between the motifs) and orientation (strands of A "
                       "then B, B downstream). Additive pairs are flat at 0.")
            st.plotly_chart(fig, width="stretch", key="coop_fig")
            d1, d2 = st.columns(2)
            d1.download_button("Curves (CSV)", curves.to_csv(index=False),
                               f"{name}_cooperativity.csv", "text/csv", key="dl_coop")
            ui.download_figure(fig, f"{name}_cooperativity.html", key="dl_coop_fig", column=d2)

        st.subheader("Planted motifs on one sequence")
        index = int(st.number_input("Sequence index (0-based)", 0, len(dataset) - 1, 0,
                                    key="seq_index"))
        ann = dataset.annotations[dataset.annotations["seq_index"] == index]
        core = ann[ann["role"] == "core"]
        sites = ann[ann["strand"] != "."]
        labels = ", ".join(f"{t} = {v:.3g}" for t, v in zip(dataset.task_names,
                                                             dataset.y[index]))
        fig = plotting.motif_map_figure(
            dataset.length, sites, title=f"sequence {index}: {labels}",
            core=None if core.empty else (int(core["start"].iloc[0]), int(core["end"].iloc[0])))
        st.plotly_chart(fig, width="stretch", key="map_fig")
        st.dataframe(ann, hide_index=True, width="stretch")
        ui.download_figure(fig, f"{name}_seq{index}_motifs.html", key="dl_map")

        st.subheader("Summary")
        ui.dataset_overview(dataset, key="synthetic")

with own:
    user = ui.user_dataset_input("own")
    if user is not None:
        ui.dataset_overview(user, key="own")
