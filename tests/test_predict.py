"""Batched inference: batch-size independence, mode restored, shape errors."""

import numpy as np
import pytest
import torch

from regviz import models, sequence
from regviz.errors import SequenceError
from regviz.predict import predict


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
