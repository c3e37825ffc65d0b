"""Import a published model: DeepBind database files and Keras DeepSTARR-style .h5."""

import streamlit as st

from regviz.ui import card as card_view
from regviz.ui import state, widgets

widgets.page_header(
    "Import a published model",
    "Load a model someone else trained and use every view on it. regviz rebuilds the "
    "network in its own zoo and copies the published weights; it reads numbers only, so "
    "nothing in the file is ever executed.",
)
st.markdown(
    "- **DeepBind** (Alipanahi et al. 2015): a parameter file from the DeepBind database "
    "(`D00328.003.txt`, text starting `# deepbind 0.1`). Scores equal the DeepBind tool's "
    "for inputs up to its window (1.5 x detector length); DNA models score both strands.\n"
    "- **Keras HDF5** (`.h5`) of a DeepSTARR-style CNN (de Almeida et al. 2022): Conv1D, "
    "BatchNormalization, ReLU, MaxPooling1D, Dropout, Flatten, Dense layers and one or "
    "more Dense output heads (DeepSTARR's Dev and Hk). TensorFlow is not needed.")

upload = st.file_uploader("Model file", key="import_file",
                          max_upload_size=state.import_limit_mb(),
                          help="Any file can be chosen; regviz checks what it is and says so.")
c1, c2 = st.columns(2)
length = c1.number_input("DeepBind: sequence length to build the model for (bp)", 1, 10_000,
                         101, key="import_length",
                         help="The imported model reads sequences of exactly this length "
                              "(the pages' examples are cropped or padded to it); 101 bp is "
                              "the ENCODE peak width DeepBind's ChIP-seq models were trained "
                              "on. Keras models keep the length stored in the file.")
with c2.expander("Keras weights-only file?"):
    config = st.file_uploader("Architecture JSON (model.to_json(), e.g. "
                              "DeepSTARR.model.json)", type=["json"], key="import_json",
                              max_upload_size=1)

if upload is None:
    st.info("Upload a DeepBind .txt or Keras .h5 file to import it.")
else:
    result = state.import_published_upload(upload, length, config)
    if result is not None:
        folder, card = result
        state.say_loaded(f"Imported {upload.name}", folder)
        st.caption(f"Checkpoint: {folder}")
        st.markdown(card_view.card_markdown(card))
