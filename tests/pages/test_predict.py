"""The Predict page: outputs per sequence in card units, true labels, tiles along longer
sequences, and sequences too short said, not dropped silently."""

import numpy as np

from regviz import checkpoints, predict
from support import shipped_checkpoint


def _table_with(at, column):
    """The page's first table that has ``column`` (the sequence list comes first)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_predict_page_scores_test_sequences_with_their_labels(open_page):
    at = open_page("predict", "tf-binding_deepbind")
    assert not at.exception and not at.error
    table = _table_with(at, "mean")
    assert {"sequence", "output", "forward", "reverse", "mean", "label", "split"} <= set(table)
    assert (table["split"] == "test").all() and table["label"].notna().all()
    assert table["mean"].between(0, 1).all()          # a binary model reads as probability
    model, card = checkpoints.load(shipped_checkpoint("tf-binding_deepbind"))
    first = table["sequence"].iloc[0]
    text = at.text_area(key="predict_tf-binding_deepbind_text").value
    seq = text.split("\n")[1]
    expected = predict.predict_table(model, card, [seq])["mean"].iloc[0]
    assert first.startswith("test_")
    np.testing.assert_allclose(table["mean"].iloc[0], expected, rtol=1e-5)


def test_predict_page_tiles_longer_sequences_and_names_short_ones(open_page):
    at = open_page("predict", "tf-binding_deepbind")
    key = "predict_tf-binding_deepbind_text"
    at.text_area(key=key).set_value(">long\n" + "ACGTTGCA" * 40 + "\n>short\nACGT\n").run()
    assert not at.exception
    assert "short" in at.warning[0].value and "101 bp" in at.warning[0].value
    tiles = _table_with(at, "start")
    assert tiles["start"].iloc[0] == 1 and tiles["end"].iloc[-1] == 320
    at.number_input(key="pr_stride").set_value(50).run()
    assert _table_with(at, "start")["start"].tolist()[:3] == [1, 51, 101]
