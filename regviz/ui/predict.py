"""The Predict view's cached calls: outputs per sequence, tiles along long sequences, and
the true labels of sequences from the model's own synthetic set."""

from __future__ import annotations

import hashlib

from regviz import predict
from regviz.ui import cache


def _digest(records) -> str:
    return hashlib.sha256("\n".join(f"{r.name}\t{r.sequence}" for r in records)
                          .encode()).hexdigest()[:20]


def predictions(folder, records, both_strands: bool = True):
    """`regviz.predict.predict_table` of the records (kept per checkpoint, records and
    strand setting)."""
    def compute(model, card, progress):
        return predict.predict_table(model, card, records, both_strands)

    return cache.model_result("predict", folder, ("table", _digest(records), both_strands),
                              "Predicting", compute, limit=32)


def tiles(folder, record, stride: int, both_strands: bool = True):
    """`regviz.predict.tile_table` along one long sequence (kept like `predictions`)."""
    def compute(model, card, progress):
        return predict.tile_table(model, card, record, stride, both_strands)

    return cache.model_result("predict", folder, ("tiles", _digest([record]), int(stride),
                                                  both_strands), "Scoring windows", compute)


def with_labels(folder, table, records):
    """``table`` with the true ``label`` and ``split`` of sequences that belong to the
    model's synthetic set (unchanged when it has none or none belong)."""
    dataset = cache.card_dataset(str(folder), cache.checkpoint_stamp(folder))
    if dataset is None:
        return table
    truth = predict.true_labels(dataset, records)
    if truth["label"].isna().all():
        return table
    return table.merge(truth, on=["sequence", "output"], how="left")


def split_by_length(records, length: int):
    """(records of the model's length, longer ones to tile, shorter ones that cannot be
    scored)."""
    fit = [r for r in records if len(r.sequence) == length]
    longer = [r for r in records if len(r.sequence) > length]
    shorter = [r for r in records if len(r.sequence) < length]
    return fit, longer, shorter
