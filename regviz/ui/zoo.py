"""The Model zoo view: pick an architecture, see its layer table and receptive fields."""

from __future__ import annotations

import streamlit as st

from regviz import models
from regviz.models import registry
from regviz.plotting import receptive_field_figure
from regviz.ui.widgets import user_errors

ENTRIES = {e.title: e for e in registry.REGISTRY.values()}
OUTPUT_KINDS = ["binary", "multitask", "regression"]


@st.cache_data(show_spinner="Building the model and tracing its layers...", max_entries=64)
def architecture_summary(name: str, preset: str, input_length: int, n_outputs: int,
                         output_kind: str):
    """Layer table of a zoo architecture (`regviz.models.describe`, on the meta device)."""
    return models.describe(name, input_length, n_outputs, preset, output_kind)


def architecture_picker(column, key: str, default: str = "DeepBind"):
    """Architecture, preset, length and outputs chosen in one column; returns
    ``(entry, preset, length, layer table or None)`` (an error shown for bad settings)."""
    title = column.selectbox("Architecture", list(ENTRIES), index=list(ENTRIES).index(default),
                             key=f"{key}_arch")
    entry = ENTRIES[title]
    preset = column.radio("Preset", ["class", "paper"], horizontal=True, key=f"{key}_preset")
    c1, c2 = column.columns(2)
    length = c1.number_input("Input length (bp)", 1, 200_000, entry.natural_length[preset],
                             key=f"{key}_len_{entry.name}_{preset}")
    n_out = c2.number_input("Outputs", 1, 1000, 2 if entry.name == "deepstarr" else 1,
                            key=f"{key}_nout_{entry.name}")
    kind = column.selectbox("Output kind", OUTPUT_KINDS,
                            index=OUTPUT_KINDS.index(entry.default_output_kind),
                            key=f"{key}_kind_{entry.name}")
    table = None
    with user_errors(title) as ok:
        table = architecture_summary(entry.name, preset, int(length), int(n_out), kind)
    return entry, preset, int(length), table if ok["ok"] else None


def architecture_panel(column, entry, preset: str, length: int, table, key: str) -> None:
    """Description, citation, headline numbers and the layer table of one architecture."""
    column.markdown(f"**{entry.title}**: {entry.description}")
    column.caption(f"Citation: {entry.citation}")
    if preset == "paper" and entry.paper_note:
        column.caption(f"Paper preset: {entry.paper_note}")
    column.caption(f"Input: {entry.input_note}. DeepLIFT: {entry.deeplift_note}")
    m1, m2, m3 = column.columns(3)
    m1.metric("Parameters", f"{int(table['params'].sum()):,}")
    m2.metric("Receptive field at output", f"{int(table['receptive_field'].iloc[-1]):,} bp")
    m3.metric("Layers (leaf modules)", len(table))
    column.dataframe(table, hide_index=True, width="stretch", height=320)
    column.download_button("Layer table (CSV)", table.to_csv(index=False),
                           f"{entry.name}_{preset}_{length}bp_layers.csv", "text/csv",
                           key=f"{key}_csv")


def growth_figure(picked: list):
    """Receptive field by layer of the picked architectures (entries with a table)."""
    return receptive_field_figure({f"{e.title} ({p}, {n:,} bp)": t for e, p, n, t in picked
                                   if t is not None})
