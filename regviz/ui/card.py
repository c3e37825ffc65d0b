"""The Model card view (and the Import page's card): the active model in words."""

from __future__ import annotations

import json

import streamlit as st

from regviz import checkpoints, models
from regviz.ui import cache
from regviz.ui.widgets import user_errors

card_markdown = checkpoints.card_markdown
metrics_table = checkpoints.metrics_table


def card_json(card) -> str:
    """The card as the JSON a checkpoint folder holds."""
    return json.dumps(card.to_dict(), indent=2)


@st.cache_data(max_entries=4, show_spinner=False)
def zip_checkpoint(folder: str, stamp: tuple) -> bytes:
    """The checkpoint folder as a zip (what the upload reads back); ``stamp`` keys it, so
    an overwritten checkpoint is never served from an old zip."""
    return checkpoints.zip_folder(folder)


def layer_table(model):
    """The model's layer table, or None (the error shown)."""
    with user_errors("Layer table") as ok:
        table = models.summary(model, model.input_length)
    return table if ok["ok"] else None


def downloads(card, folder: str, layers) -> None:
    """Card (JSON), checkpoint (zip) and layer table (CSV) download buttons."""
    cols = st.columns(3)
    cols[0].download_button("Card (JSON)", card_json(card), "card.json", "application/json",
                            key="dl_card")
    cols[1].download_button("Checkpoint (zip)",
                            zip_checkpoint(folder, cache.checkpoint_stamp(folder)),
                            f"{card.name or 'model'}.zip", "application/zip", key="dl_zip")
    if layers is not None:
        cols[2].download_button("Layer table (CSV)", layers.to_csv(index=False), "layers.csv",
                                "text/csv", key="dl_layers")
