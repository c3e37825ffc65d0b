"""Batched inference: batch-size independence, mode restored, shape errors."""

import numpy as np
import pytest
import torch

from regviz import checkpoints, models, sequence
from regviz.errors import SequenceError
from regviz.predict import check_length, encode_for, predict, readable


def test_predict_is_batch_size_independent_and_restores_mode():
    torch.manual_seed(0)
    model = models.build("basset", 600, 3)
    model.train()
    X = sequence.one_hot(sequence.random_sequences(10, 600, seed=1))
    a = predict(model, X, batch_size=3)
    b = predict(model, torch.from_numpy(X), batch_size=10)
    assert a.shape == (10, 3) and a.dtype == np.float32
    np.testing.assert_allclose(a, b, atol=1e-5)
    assert model.training  # left as found


def test_predict_rejects_bad_shapes_and_batch_sizes():
    model = models.build("deepbind", 101)
    with pytest.raises(SequenceError, match=r"shape \(n, channels, length\); got \(4, 101\)"):
        predict(model, np.zeros((4, 101), np.float32))
    with pytest.raises(SequenceError, match="batch_size must be a whole number >= 1. Got 0"):
        predict(model, np.zeros((1, 4, 101), np.float32), batch_size=0)


def test_readable_outputs_follow_the_card():
    binary = checkpoints.make_card(models.build("deepbind", 20, 1))
    regression = checkpoints.make_card(models.build("deepbind", 20, 2, output_kind="regression"))
    logits = np.array([[0.0, np.log(3.0)]])
    np.testing.assert_allclose(readable(logits, binary), [[0.5, 0.75]])
    np.testing.assert_array_equal(readable(logits, regression), logits)


def test_the_length_rule_is_said_once():
    model = models.build("deepbind", 101)
    with pytest.raises(SequenceError, match=r"^peak is 99 bp but deepbind reads exactly 101 bp\. "
                       r"Paste or cut sequences to 101 bp\. Got 99 bp instead\.$"):
        encode_for(model, [sequence.SequenceRecord("peak", "A" * 99)])
    with pytest.raises(SequenceError, match="window is 4,001 bp but decode reads exactly 4,000"):
        check_length(models.build("decode", 4000), "window", 4001)
    assert encode_for(model, ["A" * 101]).shape == (1, 4, 101)


class _Sum(torch.nn.Module):
    """Logit = (number of G on the forward strand) - 3; reads 8 bp."""

    input_length, in_channels = 8, 4

    def forward(self, x):
        return x[:, 2:3, :].sum(-1) - 3.0


def _card(model, output_kind="binary"):
    """A one-output card (its task name is the zoo's default; its length is not used)."""
    return checkpoints.make_card(models.build("deepbind", 20, 1, output_kind=output_kind))


def test_predict_table_gives_both_strands_in_card_units():
    from regviz.predict import predict_table
    model = _Sum()
    records = [sequence.SequenceRecord("g3", "GGGAAAAA"), sequence.SequenceRecord("c2", "CCTTTTTT")]
    table = predict_table(model, _card(model), records)
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    # g3: 3 G forward, 0 on the reverse strand; c2: 0 forward, 2 on the reverse
    np.testing.assert_allclose(table["forward"], [sig(0), sig(-3)], rtol=1e-6)
    np.testing.assert_allclose(table["reverse"], [sig(-3), sig(-1)], rtol=1e-6)
    np.testing.assert_allclose(table["mean"], (table["forward"] + table["reverse"]) / 2)
    assert list(table["sequence"]) == ["g3", "c2"] and len(set(table["output"])) == 1
    one = predict_table(model, _card(model, "regression"), records, both_strands=False)
    assert one["reverse"].isna().all()
    np.testing.assert_allclose(one["mean"], [0.0, -3.0])


def test_tile_table_windows_cover_the_sequence_and_end_at_its_end():
    from regviz.predict import tile_table
    model = _Sum()
    seq = "A" * 10 + "GGGG" + "A" * 7    # 21 bp
    table = tile_table(model, _card(model, "regression"), seq, stride=4, both_strands=False)
    assert list(table["start"]) == [1, 5, 9, 13, 14]          # last window ends at 21
    assert list(table["end"]) == [8, 12, 16, 20, 21]
    np.testing.assert_allclose(table["forward"], [-3, -1, 1, -1, -2])
    with pytest.raises(SequenceError, match="at least as long"):
        tile_table(model, _card(model), "ACGT")


def test_fit_examples_crop_and_pad_and_say_so():
    from regviz.predict import fit_examples
    records = [sequence.SequenceRecord("long", "AC" * 10), sequence.SequenceRecord("short", "GGG"),
               sequence.SequenceRecord("same", "T" * 8)]
    out = fit_examples(records, 8)
    assert [len(r.sequence) for r in out] == [8, 8, 8]
    assert out[0].sequence == ("AC" * 10)[6:14] and "centre 8 bp of 20" in out[0].description
    assert out[1].sequence[2:5] == "GGG" and "at 3-5 of 8 bp" in out[1].description
    assert out[2] is records[2]
    assert fit_examples(records, 8)[1].sequence == out[1].sequence     # seeded


def test_true_labels_match_by_sequence():
    from regviz.predict import true_labels
    from regviz.simulate import make_dataset
    data = make_dataset("tf-binding", n=40, seed=0)
    i = int(data.splits["test"][0])
    records = [sequence.SequenceRecord("mine", data.seqs[i]),
               sequence.SequenceRecord("other", "A" * len(data.seqs[i]))]
    truth = true_labels(data, records)
    assert truth.loc[0, "label"] == data.y[i, 0] and truth.loc[0, "split"] == "test"
    assert np.isnan(truth.loc[1, "label"]) and truth.loc[1, "split"] == ""


def test_predictions_are_the_same_chunk_by_chunk(monkeypatch):
    """Long pastes and tiled regions are encoded a chunk at a time (memory of one chunk);
    the numbers do not depend on the chunk size."""
    from regviz import predict as module
    model = models.build("deepbind", 30)
    card = checkpoints.make_card(model)
    seqs = sequence.random_sequences(7, 30, seed=4)
    long = "".join(sequence.random_sequences(1, 200, seed=5))
    whole = module.predict_table(model, card, seqs), module.tile_table(model, card, long, 17)
    monkeypatch.setattr(module, "CHUNK", 2)
    chunked = module.predict_table(model, card, seqs), module.tile_table(model, card, long, 17)
    for a, b in zip(whole, chunked):
        np.testing.assert_allclose(a[["forward", "reverse", "mean"]], b[["forward", "reverse",
                                                                         "mean"]], rtol=1e-6)
