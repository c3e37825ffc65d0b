"""Model card: what the active model predicts, its data, training and test metrics."""

import streamlit as st

from regviz.ui import card as view
from regviz.ui import state, widgets

widgets.page_header(
    "Model card",
    "Everything regviz knows about the active model (sidebar): what it predicts and how "
    "to read its outputs, the data it learned from (for synthetic sets, the planted "
    "motifs), how it was trained, and how well it does on held-out sequences.",
)
loaded = state.active_model()
if loaded is not None:
    model, card, folder = loaded
    st.markdown(view.card_markdown(card))
    table = view.metrics_table(card, "test")
    if not table.empty:
        st.subheader("Test metrics per task")
        st.dataframe(table, hide_index=True, width="stretch")
    st.subheader("Layers")
    layers = view.layer_table(model)
    if layers is not None:
        st.dataframe(layers, hide_index=True, width="stretch", height=280)
    view.downloads(card, folder, layers)

st.subheader("Upload a checkpoint")
st.caption("A zip of a regviz checkpoint folder (model.safetensors + card.json), e.g. "
           "downloaded above. Weights are read with safetensors only: nothing in the file "
           "is executed, and pickles (.pt/.pth) are refused.")
state.checkpoint_upload("ckpt_upload")
