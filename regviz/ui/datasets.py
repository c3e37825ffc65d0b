"""The Datasets view: the synthetic sets (rules, grammar, planted motifs) and users' data."""

from __future__ import annotations

import json

import streamlit as st

from regviz import data as user_data
from regviz import plotting, simulate
from regviz.ui.cache import synthetic_dataset  # noqa: F401  (the page's cached call)
from regviz.ui.widgets import download_figure

set_names = simulate.list_datasets
rules_markdown = simulate.describe
grammar_table = simulate.grammar_table


def grammar_json(dataset) -> str:
    return json.dumps(dataset.grammar, indent=2)


def cooperativity(dataset):
    """(curves table, figure) of the set's planted pair terms, or None without pairs."""
    if not dataset.grammar.get("pairs"):
        return None
    curves = simulate.cooperativity_table(dataset.grammar)
    return curves, plotting.cooperativity_figure(curves)


def motif_map(dataset, index: int):
    """(figure, annotation rows) of what was planted in sequence ``index`` (0-based)."""
    ann = dataset.annotations[dataset.annotations["seq_index"] == index]
    core = ann[ann["role"] == "core"]
    labels = ", ".join(f"{t} = {v:.3g}" for t, v in zip(dataset.task_names, dataset.y[index]))
    fig = plotting.motif_map_figure(
        dataset.length, ann[ann["strand"] != "."], title=f"sequence {index}: {labels}",
        core=None if core.empty else (int(core["start"].iloc[0]), int(core["end"].iloc[0])))
    return fig, ann


def dataset_overview(dataset, key: str) -> None:
    """Summary of a Dataset: size, tasks, labels (table and figure), splits, preview,
    and downloads of the sequences with labels and of any planted-motif annotations."""
    info = user_data.summarize(dataset)
    m = st.columns(4)
    m[0].metric("Sequences", f"{info['n']:,}")
    m[1].metric("Length", f"{info['length']:,} bp")
    m[2].metric("Task kind", info["task_kind"])
    m[3].metric("Mean GC", f"{info['gc_mean']:.1%}")
    inferred = info["task_kind_inferred"]
    st.caption(f"Tasks: {', '.join(info['tasks'])}. Splits: "
               + ", ".join(f"{k} {v:,}" for k, v in info["splits"].items())
               + (f". Task kind inferred from the labels: {inferred}." if inferred else "")
               + (f" Sequences with N: {info['n_with_N']:,}." if info["n_with_N"] else ""))
    if info.get("length_policy"):
        st.caption(f"Lengths: {info['length_policy']}")
    left, right = st.columns([2, 3])
    left.dataframe(info["labels"], hide_index=True, width="stretch")
    fig = plotting.label_distribution_figure(dataset.y, dataset.task_names, dataset.task_kind)
    right.plotly_chart(fig, width="stretch", key=f"{key}_labels_fig")
    table = user_data.dataset_table(dataset)
    st.dataframe(table.head(200), hide_index=True, width="stretch", height=240)
    cols = st.columns(3)
    cols[0].download_button("Sequences and labels (CSV)", table.to_csv(index=False),
                            f"{dataset.name}_sequences.csv", "text/csv", key=f"{key}_dl_seq")
    if len(dataset.annotations):
        cols[1].download_button("Planted motifs (CSV, 0-based, end exclusive)",
                                dataset.annotations.to_csv(index=False),
                                f"{dataset.name}_annotations.csv", "text/csv",
                                key=f"{key}_dl_ann")
    download_figure(fig, f"{dataset.name}_labels.html", key=f"{key}_dl_fig", column=cols[2])
