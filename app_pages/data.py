"""Datasets: browse the synthetic sets (rules, planted motifs, grammar) or summarise your own."""

import streamlit as st

from regviz.ui import datasets as view
from regviz.ui import inputs, widgets

widgets.page_header(
    "Datasets",
    "Synthetic sets carry the truth: every sequence records which JASPAR motif was "
    "planted where, and the labels follow stated rules, so each view can show whether a "
    "model found what is really there. Or upload your own labelled sequences and check "
    "them before training.",
)
synthetic, own = st.tabs(["Synthetic sets", "Your data"])

with synthetic:
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    name = c1.selectbox("Set", view.set_names(), key="set")
    n = int(c2.number_input("Sequences", 100, 20_000, 1000, step=100, key="n"))
    seed = int(c3.number_input("Seed", 0, 2**31 - 1, 0, key="seed"))
    noise = c4.toggle("Label noise", value=True, key="noise",
                      help="off: labels follow the rules exactly")
    with widgets.user_errors(name) as ok:
        dataset = view.synthetic_dataset(name, n, seed, noise)
    if ok["ok"]:
        with st.expander("Rules of this set", expanded=False):
            st.markdown(view.rules_markdown(name))
        st.subheader("Grammar")
        st.dataframe(view.grammar_table(dataset.grammar), hide_index=True, width="stretch")
        st.download_button("Grammar (JSON)", view.grammar_json(dataset),
                           f"{name}_grammar.json", "application/json", key="dl_grammar")
        coop = view.cooperativity(dataset)
        if coop is not None:
            curves, fig = coop
            st.caption("What each motif pair adds to its output beyond the two motifs' own "
                       "weights, by gap (bp between the motifs) and orientation (strands of A "
                       "then B, B downstream). Additive pairs are flat at 0.")
            widgets.plotly_figure(fig, f"{name}_cooperativity.html", key="coop_fig")
            st.download_button("Curves (CSV)", curves.to_csv(index=False),
                               f"{name}_cooperativity.csv", "text/csv", key="dl_coop")

        st.subheader("Planted motifs on one sequence")
        index = int(st.number_input("Sequence (0-based index, as in the tables)", 0,
                                    len(dataset) - 1, 0, key="seq_index"))
        fig, ann = view.motif_map(dataset, index)
        widgets.plotly_figure(fig, f"{name}_seq{index}_motifs.html", key="map_fig")
        st.dataframe(ann, hide_index=True, width="stretch")

        st.subheader("Summary")
        view.dataset_overview(dataset, key="synthetic")

with own:
    user = inputs.user_dataset_input("own")
    if user is not None:
        view.dataset_overview(user, key="own")
