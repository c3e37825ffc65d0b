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
