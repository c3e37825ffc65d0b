"""Models: browse the zoo, see layer tables, parameters and receptive fields."""

import streamlit as st

from regviz import plotting, ui
from regviz.models import registry

ui.page_header(
    "Model zoo",
    "The course's architectures, built here from scratch. Pick one, a preset (`paper`: "
    "the published hyperparameters; `class`: small enough to train on a laptop CPU in "
    "about a minute) and an input length, and see its layers, parameter count and how "
    "far each layer can see (its receptive field, in bp).",
)
entries = {e.title: e for e in registry.REGISTRY.values()}


def pick(column, key, default_index=0):
    """Architecture, preset, length and outputs chosen in one column."""
    title = column.selectbox("Architecture", list(entries), index=default_index, key=f"{key}_arch")
    entry = entries[title]
    preset = column.radio("Preset", ["class", "paper"], horizontal=True, key=f"{key}_preset")
    c1, c2 = column.columns(2)
    length = c1.number_input("Input length (bp)", 1, 200_000, entry.natural_length[preset],
                             key=f"{key}_len_{entry.name}_{preset}")
    n_out = c2.number_input("Outputs", 1, 1000, 2 if entry.name == "deepstarr" else 1,
                            key=f"{key}_nout_{entry.name}")
    kind = column.selectbox("Output kind", ["binary", "multitask", "regression"],
                            index=["binary", "multitask", "regression"].index(entry.default_output_kind),
                            key=f"{key}_kind_{entry.name}")
    table = None
    with ui.user_errors(title) as state:
        table = ui.architecture_summary(entry.name, preset, int(length), int(n_out), kind)
    return entry, preset, int(length), table if state["ok"] else None


def show(column, entry, preset, length, table, key):
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
                           f"{entry.name}_{preset}_{length}bp_layers.csv", "text/csv", key=f"{key}_csv")


left, right = st.columns(2, gap="large")
a = pick(left, "a")
compare = right.toggle("Compare with a second architecture", value=True, key="compare")
b = pick(right, "b", default_index=list(entries).index("Basenji")) if compare else None
if a[3] is not None:
    show(left, *a, key="a")
if b is not None and b[3] is not None:
    show(right, *b, key="b")

tables = {f"{x[0].title} ({x[1]}, {x[2]:,} bp)": x[3] for x in (a, b) if x is not None and x[3] is not None}
if tables:
    st.subheader("Receptive field growth")
    st.caption("Each conv or pooling layer widens what one output position sees: "
               "r_out = r_in + (kernel - 1) x dilation x jump, where jump is the bp between "
               "neighbouring positions. Dilation makes it grow exponentially; recurrent and "
               "attention layers (and flatten/global pooling) see the whole input at once.")
    fig = plotting.receptive_field_figure(tables)
    st.plotly_chart(fig, width="stretch")
    ui.download_figure(fig, "receptive_field.html", key="rf_fig")
