"""An imported DeepBind model reads any length also after a checkpoint round trip.

`regviz.checkpoints.load` of an imported DeepBind (its card's ``source`` says
``any_length``) gives an `AnyLengthDeepBind` that scores every length >= 1 with the
freshly imported model's numbers; a DeepBind trained in regviz keeps its fixed length.
Hand-written parameter files always run; the published files in ``../shared/data``
run where they are present.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from regviz import checkpoints, importers, models, sequence
from regviz.errors import SequenceError
from regviz.importers import deepbind as db
from regviz.models.deepbind import AnyLengthDeepBind
from support import HAND_AVG, HAND_RC, SHARED_DATA, needs_shared_data

LENGTHS = (1, 2, 7, 23, 101, 250)


def _seqs(lengths, seed=0):
    """One random sequence per length, an N in the longer ones."""
    out = []
    for k, n in enumerate(lengths):
        s = sequence.random_sequences(1, n, seed=seed + k)[0]
        out.append(s[:n // 2] + "N" + s[n // 2 + 1:] if n > 4 else s)
    return out


def _scores(model, seqs):
    with torch.no_grad():
        return [model(torch.from_numpy(sequence.one_hot([s])))[0, 0].item() for s in seqs]


def _fixed_length(model, length):
    """The plain zoo DeepBind built for exactly ``length`` with ``model``'s weights."""
    fixed = models.from_config("deepbind", {**model.config.to_dict(), "input_length": length})
    fixed.load_state_dict(model.state_dict())
    return fixed.eval()


@pytest.mark.parametrize("text", [HAND_AVG, HAND_RC], ids=["avg-pool", "rc-hidden"])
def test_reloaded_import_scores_any_length_as_imported(tmp_path, text):
    path = tmp_path / "D00001.001.txt"
    path.write_text(text)
    fresh, card = importers.import_file(path, tmp_path / "ck", input_length=5)
    assert card.source["any_length"] is True
    loaded, card2 = checkpoints.load(tmp_path / "ck")
    assert isinstance(loaded, AnyLengthDeepBind) and loaded.input_length == 5
    assert checkpoints.store.reads_any_length(card2)
    seqs = _seqs(LENGTHS)
    want = [_scores(_fixed_length(fresh, len(s)), [s])[0] for s in seqs]
    np.testing.assert_allclose(_scores(loaded, seqs), _scores(fresh, seqs), atol=1e-6)
    np.testing.assert_allclose(_scores(loaded, seqs), want, atol=1e-5)
    # a batch of one length other than the card's, and the library's scorer
    batch = torch.from_numpy(sequence.one_hot(sequence.random_sequences(4, 40, seed=9)))
    with torch.no_grad():
        torch.testing.assert_close(loaded(batch), fresh(batch))
    with pytest.raises(SequenceError, match=r"any length L >= 1"):
        loaded(torch.zeros(1, 4, 0))
    # saved again (e.g. a copy the app writes), it still reads any length
    checkpoints.save(loaded, card2, tmp_path / "again")
    again, _ = checkpoints.load(tmp_path / "again")
    np.testing.assert_allclose(_scores(again, seqs), _scores(fresh, seqs), atol=1e-6)


def test_import_written_before_the_any_length_key_reloads_any_length(tmp_path):
    path = tmp_path / "D00002.001.txt"
    path.write_text(HAND_RC)
    fresh, _ = importers.import_file(path, tmp_path / "ck", input_length=3)
    card_file = tmp_path / "ck" / "card.json"
    card = json.loads(card_file.read_text())
    del card["source"]["any_length"]                 # as imports before this key wrote it
    card_file.write_text(json.dumps(card))
    loaded, _ = checkpoints.load(tmp_path / "ck")
    seqs = _seqs((1, 9, 60))
    np.testing.assert_allclose(_scores(loaded, seqs), _scores(fresh, seqs), atol=1e-6)


def test_trained_deepbind_keeps_its_fixed_length(tmp_path):
    torch.manual_seed(0)
    model = models.build("deepbind", 20, 1, preset="paper", n_filters=3, filter_width=5,
                         hidden=0, rc_max=True)               # pads with N's, as imported ones
    assert model.config.pad_n
    checkpoints.save(model, checkpoints.make_card(model), tmp_path / "trained")
    loaded, card = checkpoints.load(tmp_path / "trained")
    assert not isinstance(loaded, AnyLengthDeepBind)
    assert not checkpoints.store.reads_any_length(card)
    x = torch.from_numpy(sequence.one_hot(_seqs((20,))))
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model.eval()(x))
    with pytest.raises(SequenceError):
        loaded(torch.from_numpy(sequence.one_hot(_seqs((30,)))))


def test_keras_style_source_block_does_not_free_a_deepbind(tmp_path):
    model = models.build("deepbind", 12, 1, preset="paper", n_filters=2, filter_width=4)
    card = checkpoints.make_card(model).replace(source={"file": "x.h5", "format": "Keras"})
    checkpoints.save(model, card, tmp_path / "other")
    loaded, _ = checkpoints.load(tmp_path / "other")
    assert not isinstance(loaded, AnyLengthDeepBind)


@needs_shared_data
def test_published_deepbind_models_reload_any_length(tmp_path):
    files = sorted((SHARED_DATA / "deepbind" / "params").glob("*.txt"))
    if not files:
        pytest.skip(f"no DeepBind parameter files in {SHARED_DATA / 'deepbind' / 'params'}")
    seqs = _seqs(LENGTHS + (36, 500), seed=5)
    for path in files:
        fresh, _ = importers.import_file(path, tmp_path / path.stem, input_length=101)
        loaded, card = checkpoints.load(tmp_path / path.stem)
        assert isinstance(loaded, AnyLengthDeepBind), path.name
        got, want = db.model_scores(loaded, seqs), db.model_scores(fresh, seqs)
        np.testing.assert_allclose(got, want, atol=1e-5, err_msg=path.name)
        np.testing.assert_allclose(_scores(loaded, seqs), want, atol=1e-5, err_msg=path.name)
        # up to the tool's window, the whole-input score is the tool's own score
        params = db.read_params(path)
        short = [s for s in seqs if len(s) <= params.window_size]
        np.testing.assert_allclose(_scores(loaded, short), db.tool_scores(params, short),
                                   atol=1e-4, err_msg=path.name)
