"""Motifs: what the whole model learned, by TF-MoDISco on attributions, matched to JASPAR."""

from pathlib import Path

import streamlit as st

from regviz.ui import inputs, state, widgets
from regviz.ui import motifs as view

widgets.page_header(
    "Motifs",
    "The model's attributions over thousands of sequences are cut into high-attribution "
    "stretches (seqlets), which TF-MoDISco clusters into motifs: what the whole model "
    "uses, not one filter. Each pattern is shown as its contribution (CWM) and base "
    "frequency (PPM) logos beside its best JASPAR match.",
)
model, card, folder = state.require_active_model()
name = Path(folder).name
c1, c2, c3, c4 = st.columns(4)
outputs_all = view.output_choices(model, card)
outputs = c1.selectbox("Outputs", list(outputs_all), format_func=lambda k: outputs_all[k][0],
                       index=view.default_output_choice(model), key=f"motifs_out_{name}",
                       help=view.OUTPUTS_HELP)
method = c2.selectbox("Contributions", list(view.METHODS), format_func=view.METHODS.get,
                      index=list(view.METHODS).index(view.default_method(model)),
                      key=f"motifs_method_{name}", help=view.METHOD_HELP)
database = c3.selectbox("JASPAR collection", view.DATABASES,
                        index=view.DATABASES.index(view.default_database(card)),
                        key=f"motifs_db_{name}")
source = st.radio("Sequences", list(view.SOURCES), format_func=view.SOURCES.get,
                  horizontal=True, key=f"motifs_source_{name}",
                  index=0 if card.synthetic_kwargs() is not None else 1,
                  help="The model's data: a fresh draw from its synthetic generator (planted "
                       "truth known, not the training sequences). Yours: pasted, uploaded "
                       "or a genome region, cut into windows of the model's length.")
records = None
if source == "yours":
    records = inputs.sequence_input(f"motifs_{name}", inputs.model_examples(folder, model),
                                    allow_region=True)
    if not records:
        st.stop()
most = view.max_sequences(card.input_length)
n_seq = c4.number_input("Sequences", min(200, most), most, min(2000, most), 100,
                        key=f"motifs_n_{name}", disabled=source == "yours")
settings = (folder, int(n_seq), source, records, outputs_all[outputs][1], method, database)
with widgets.user_errors("Motif discovery") as ok:
    expected = view.seconds_to_discover(model, *settings)
if not ok["ok"]:
    st.stop()
res = widgets.run_when_asked("motifs_run", "Discover motifs", expected, expected == 0,
                             lambda: view.run(*settings), "Motif discovery")
if res is None:
    st.stop()
d = res["discovery"]
st.markdown(view.summary_markdown(res))
if view.silent_outputs_note(res):
    st.info(view.silent_outputs_note(res))
st.caption(f"Data: {res['source']}. Contributions: {view.METHODS[d.method]}. "
           f"{view.timing_note(d)}")
if d.recovery is not None:
    widgets.table_with_download(d.recovery, "recovery.csv", "motifs_recovery",
                                column_config=view.SCI)
table = d.table
if len(table):
    widgets.table_with_download(table, "patterns.csv", "motifs_table",
                                column_config=view.SCI)
    shown = st.multiselect("Patterns drawn", list(table["pattern"]),
                           list(table["pattern"])[:8], key=f"motifs_shown_{res['key'][-6:]}")
    if shown:
        widgets.matplotlib_figure(view.logos(res, shown), "patterns.png", key="motifs_logos",
                                  label="Logos (PNG)")
    cols = st.columns(4)
    for k, (filename, (data, mime)) in enumerate(view.downloads(res).items()):
        cols[k % 4].download_button(filename, data, filename, mime, key=f"motifs_dl_{k}")
    st.caption("Patterns now label the Attribution page's tracks of this model for you.")
else:
    st.warning("TF-MoDISco found no pattern. Give more sequences, try other "
               "contributions, or check the model has learned something (Model card).")

with st.expander("Control: scrambled attributions (should find nothing)"):
    st.markdown(view.CONTROL_HELP)
    if st.toggle("Run the control with the same settings", key="motifs_control"):
        ctl = widgets.run_when_asked(
            "motifs_ctl", "Run the control", view.seconds_to_discover(model, *settings, True),
            False, lambda: view.run(*settings, control=True), "Control")
        if ctl is not None:
            st.markdown(view.control_markdown(ctl))
