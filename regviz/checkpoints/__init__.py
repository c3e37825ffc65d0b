"""Checkpoints: weights (safetensors) and a typed, validated model card.

* `regviz.checkpoints.card`: :class:`Card` and its sections; read-only, checked on read.
* `regviz.checkpoints.folders`: :func:`read_card`, :func:`list_checkpoints`, file names
  and ``SHIPPED_ROOT`` (the shipped models); cards only, weights are never opened.
* `regviz.checkpoints.store`: :func:`save`, :func:`load`, :func:`make_card`.
* `regviz.checkpoints.archive`: :func:`load_zip` (uploads, unpacked safely), :func:`zip_folder`.
* `regviz.checkpoints.describe`: the card in words; :func:`dataset_from_card`.
"""

from regviz.checkpoints.card import (ACTIVATION, HOW_TO_READ, MAX_CARD_BYTES, SCHEMA_VERSION, Card,
                                     DataInfo, InputSpec, Outputs, PlantedMotif, Tasks)
from regviz.checkpoints.describe import (card_markdown, dataset_from_card, escape, headline,
                                         metrics_table, synthetic_kwargs)
from regviz.checkpoints.archive import MAX_ZIP_BYTES, load_zip, zip_folder
from regviz.checkpoints.folders import (CARD, PICKLE_SUFFIXES, SHIPPED_ROOT, WEIGHTS,
                                        list_checkpoints, read_card, summarize)
from regviz.checkpoints.store import library_versions, load, make_card, save

__all__ = [
    "ACTIVATION", "CARD", "Card", "DataInfo", "HOW_TO_READ", "InputSpec", "MAX_CARD_BYTES",
    "MAX_ZIP_BYTES", "Outputs", "PICKLE_SUFFIXES", "PlantedMotif", "SCHEMA_VERSION",
    "SHIPPED_ROOT", "Tasks", "WEIGHTS", "card_markdown", "dataset_from_card", "escape",
    "headline", "library_versions", "list_checkpoints", "load", "load_zip", "make_card",
    "metrics_table", "read_card", "save", "summarize", "synthetic_kwargs", "zip_folder",
]
