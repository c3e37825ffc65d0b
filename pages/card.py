"""Model card: what the active model predicts, its data, training and test metrics."""

import json

import streamlit as st

from regviz import cards, models, ui

ui.page_header(
    "Model card",
    "Everything regviz knows about the active model (sidebar): what it predicts and how "
    "to read its outputs, the data it learned from (for synthetic sets, the planted "
    "motifs), how it was trained, and how well it does on held-out sequences.",
)
loaded = ui.active_model()
if loaded is not None:
    model, card, folder = loaded
    st.markdown(cards.card_markdown(card))
    table = cards.metrics_table(card, "test")
    if not table.empty:
        st.subheader("Test metrics per task")
        st.dataframe(table, hide_index=True, width="stretch")
    st.subheader("Layers")
    with ui.user_errors("Layer table") as state:
        layers = models.summary(model, model.input_length)
    if state["ok"]:
        st.dataframe(layers, hide_index=True, width="stretch", height=280)
    cols = st.columns(3)
    cols[0].download_button("Card (JSON)", json.dumps(card, indent=2), "card.json",
                            "application/json", key="dl_card")
    cols[1].download_button("Checkpoint (zip)", ui.zip_checkpoint(folder),
                            f"{card.get('name') or 'model'}.zip", "application/zip",
                            key="dl_zip")
    if state["ok"]:
        cols[2].download_button("Layer table (CSV)", layers.to_csv(index=False),
                                "layers.csv", "text/csv", key="dl_layers")

st.subheader("Upload a checkpoint")
st.caption("A zip of a regviz checkpoint folder (model.safetensors + card.json), e.g. "
           "downloaded above. Weights are read with safetensors only: nothing in the file "
           "is executed, and pickles (.pt/.pth) are refused.")
ui.checkpoint_upload("ckpt_upload")
