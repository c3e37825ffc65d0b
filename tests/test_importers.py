"""Importers of published models: DeepBind parameter files and Keras DeepSTARR .h5.

Always run: files the tests write themselves (h5py) with known weights give numbers
computed by hand; foreign, truncated and malformed files give clear errors and run
nothing. With the shared real files (``../shared/data``): DeepBind's documented
scores, the ENCODE test-set AUROCs, and the Keras model against a numpy forward
pass read straight from the h5 weights, layer by layer.
"""

from __future__ import annotations

import gzip
import json
import pickle
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from regviz import checkpoints, importers, models, sequence
from regviz.errors import CheckpointError, ImportFormatError, ModelConfigError, SequenceError
from regviz.importers import deepbind as db
from regviz.importers import keras as kr
from regviz.importers.reference import DOCUMENTED, ENCODE, ORIGINAL_TOOL, numpy_keras_forward
from regviz.models.convnets import DeepSTARRConfig
from support import (BN, CONV, HAND_AVG, HAND_AVG_SCORE, HAND_RC, SHARED_DATA, hand_keras,
                     keras_config, needs_shared_data, run_capped, write_keras_h5)

DATA = SHARED_DATA
needs_data = needs_shared_data

# --------------------------------------------------------------------- DeepBind by hand


def test_deepbind_hand_file_gives_hand_score(tmp_path):
    params = db.parse_params(HAND_AVG.encode(), "hand.txt")
    assert params.detectors.shape == (2, 4, 2)
    assert params.detectors[0, 1, 1] == 2 and params.detectors[1, 2, 0] == 1
    model = db.build_model(params, input_length=2)
    assert db.model_scores(model, ["AC"])[0] == pytest.approx(HAND_AVG_SCORE, abs=1e-5)
    assert HAND_AVG_SCORE == pytest.approx(5.7)
    # the tool's score is the same: 2 bp is shorter than its window (int(1.5 * 2) = 3)
    assert db.tool_scores(params, ["AC"])[0] == pytest.approx(5.7, abs=1e-5)


def test_deepbind_reverse_complement_and_tool_windowing():
    params = db.parse_params(HAND_RC.encode(), "rc.txt")
    # "AC": forward max x = 1 -> 2.5; reverse "GT": max x = 2 -> 0.5 + 2*2 = 4.5
    both = db.build_model(params, 2)
    forward = db.build_model(params, 2, rc_max=False)
    assert both.config.rc_max and not forward.config.rc_max
    assert db.model_scores(both, ["AC", "CA", "CC"]).tolist() == pytest.approx([4.5, 4.5, 3.5])
    assert db.model_scores(forward, ["AC", "GT"]).tolist() == pytest.approx([2.5, 4.5])
    # the tool scans 2 bp with 1-bp windows (int(1.5 * 1)): windows A -> 2.5, C -> 3.5,
    # and on the reverse strand G -> 3.5, T -> 4.5; max = 4.5, --average = max(3.0, 4.0)
    assert db.tool_scores(params, ["AC"])[0] == pytest.approx(4.5)
    assert db.tool_scores(params, ["AC"], average=True)[0] == pytest.approx(4.0)
    assert db.tool_scores(params, ["AC"], window_size=2)[0] == pytest.approx(4.5)


def _fixed_length(model, length):
    """The plain zoo DeepBind built for exactly ``length`` with ``model``'s weights."""
    cfg = {**model.config.to_dict(), "input_length": length}
    fixed = models.from_config("deepbind", cfg)
    fixed.load_state_dict(model.state_dict())
    return fixed.eval()


def test_deepbind_import_reads_any_length():
    params = db.parse_params(HAND_AVG.encode(), "hand.txt")
    model = db.build_model(params, input_length=2)
    assert model.input_length == 2                    # the nominal (card, app) length
    # "A" padded to N A N by hand: max/avg 0.5/0.25 and 0.55/0.425 -> 3.2
    assert db.model_scores(model, ["A", "AC"]).tolist() == pytest.approx([3.2, 5.7], abs=1e-5)
    for text in (HAND_AVG, HAND_RC):
        params = db.parse_params(text.encode(), "hand.txt")
        model = db.build_model(params, 2)
        seqs = sequence.random_sequences(6, 40, seed=3) + ["G", "TA", "ACGTNACG"]
        seqs = [s[:n] for s, n in zip(seqs, (40, 1, 7, 23, 101, 3, 1, 2, 8))]
        want = [_fixed_length(model, len(s))(torch.from_numpy(sequence.one_hot([s])))[0, 0]
                .item() for s in seqs]
        np.testing.assert_allclose(db.model_scores(model, seqs), want, atol=1e-5)
        # the tool's score: whole inputs up to its window, the max over windows beyond
        assert db.tool_scores(params, seqs[1:2]).tolist() == pytest.approx(want[1:2], abs=1e-5)
    with pytest.raises(SequenceError, match=r"any length L >= 1; got \(1, 4, 0\)"):
        model(torch.zeros(1, 4, 0))
    with pytest.raises(SequenceError, match=r"shape \(n, 4, L\)"):
        model(torch.zeros(1, 5, 10))


@pytest.mark.filterwarnings("ignore::UserWarning")          # captum's notes on its hooks
def test_deepbind_any_length_keeps_deeplift_exact_off_the_built_length():
    from captum.attr import DeepLift  # local: only this test calls captum directly
    params = db.parse_params(HAND_AVG.encode(), "hand.txt")
    model = db.build_model(params, 101)
    x = torch.from_numpy(sequence.one_hot(sequence.random_sequences(3, 37, seed=1)))
    zero = torch.zeros_like(x)
    with models.deeplift_guards(model):
        a = DeepLift(model).attribute(x, baselines=zero, target=0)
    with torch.no_grad():
        delta = model(x)[:, 0] - model(zero)[:, 0]
    torch.testing.assert_close(a.sum(dim=(1, 2)), delta, atol=1e-4, rtol=1e-4)
    fixed = _fixed_length(model, 37)
    with models.deeplift_guards(fixed):
        torch.testing.assert_close(a, DeepLift(fixed).attribute(x, baselines=zero, target=0))


def test_deepbind_import_writes_a_loadable_checkpoint_with_source(tmp_path):
    path = tmp_path / "D12345.001.txt"
    path.write_text(HAND_RC)
    model, card = importers.import_file(path, tmp_path / "ck", input_length=5)
    loaded, card2 = checkpoints.load(tmp_path / "ck")
    x = torch.from_numpy(sequence.one_hot(["ACGTN", "TTTTA"]))
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x))
    assert card2.source["file"] == "D12345.001.txt"
    assert card2.source["model_id"] == "D12345.001"
    assert "Alipanahi" in card2.source["citation"]
    assert "ACGT order" in card2.input.encoding
    text = checkpoints.card_markdown(card2)
    esc = checkpoints.escape
    assert f"**Imported from**: {esc('D12345.001.txt')} ({esc('DeepBind parameter file')}" in text
    assert checkpoints.escape("max of both strands") in text
    assert "reads any length L >= 1" in card2.input.encoding
    # the checkpoint reloads reading any length, as imported (tests/test_deepbind_reload.py)
    long = torch.from_numpy(sequence.one_hot(["ACGTTGCAAC", "AAAAAAAAAA"]))
    with torch.no_grad():
        torch.testing.assert_close(loaded(long), model(long))
    assert db.model_scores(loaded, ["ACGTTGCAAC", "A"]) == pytest.approx(
        db.model_scores(model, ["ACGTTGCAAC", "A"]))


# --------------------------------------------------------------------- DeepBind errors

@pytest.mark.parametrize("text,match", [
    ("# deepbind 0.2\n", r"bad\.txt: is for deepbind 0\.2; regviz reads the 0\.1 format"),
    ("hello\n", r"bad\.txt: is not a DeepBind parameter file: the first line must be "
                r"'# deepbind 0\.1'\. Found text whose first line is 'hello' instead"),
    (HAND_AVG.replace("weights1 = 1,3,-2,6", "weights1 = 1,3"),
     r"weights1 has 2 value\(s\) but a model with 2 detectors of length 2, has_avg_pooling=1, "
     r"num_hidden=0 needs 4; the file is truncated or malformed"),
    (HAND_AVG.split("biases1")[0], r"missing field 'biases1'; the file is truncated"),
    (HAND_AVG.replace("thresholds = -1,-0.2", "thresholds = -1,abc"),
     r"thresholds must hold comma-separated numbers\. Got 'abc' instead"),
    (HAND_AVG.replace("thresholds = -1,-0.2", "thresholds = -1,nan"),
     r"thresholds holds NaN or infinite values"),
    (HAND_AVG.replace("has_avg_pooling = 1", "has_avg_pooling = 2"),
     r"has_avg_pooling must be 0 or 1\. Got 2 instead"),
    (HAND_AVG.replace("num_hidden = 0", "num_hidden = x"),
     r"num_hidden must be a whole number >= 0\. Got 'x' instead"),
    (HAND_AVG + "import os\n", r"line 13 \('import os'\) is not one of the DeepBind fields"),
    (HAND_AVG + "biases1 = 1\n", r"field 'biases1' appears twice \(again on line 13\)"),
])
def test_deepbind_malformed_and_truncated_files(text, match):
    with pytest.raises(ImportFormatError, match=match):
        db.parse_params(text.encode(), "bad.txt")


def test_deepbind_truncated_real_layout_file(tmp_path):
    path = tmp_path / "cut.txt"
    cut = HAND_RC.index("weights2 = 2,3") + len("weights2 = 2")   # a download cut short
    path.write_bytes(HAND_RC.encode()[:cut])
    with pytest.raises(ImportFormatError, match=r"cut\.txt: weights2 has 1 value\(s\) but "
                                                r"a model with 1 detectors of length 1, "
                                                r"has_avg_pooling=0, num_hidden=2 needs 2; "
                                                r"the file is truncated or malformed"):
        importers.import_file(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_deepbind_sizes_are_checked_before_anything_is_allocated(tmp_path):
    """Small hostile files (1 kB to 2 MB) end with an ImportFormatError in a 1.5 GB
    process, not a MemoryError, a ValueError from int() or a killed process."""
    files = {
        "huge.txt": HAND_AVG.replace("num_detectors = 2", "num_detectors = 30000000"),
        "digits.txt": HAND_AVG.replace("num_detectors = 2", "num_detectors = " + "9" * 5000),
        "commas.txt": HAND_AVG.replace("weights1 = 1,3,-2,6", "weights1 = " + "," * 2_000_000),
        "lines.txt": HAND_AVG + "\n" * 2_000_000,
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    code = (f"from pathlib import Path\nfrom regviz import importers\n"
            f"for name in {sorted(files)!r}:\n"
            f"    try:\n"
            f"        importers.import_file(Path({str(tmp_path)!r}) / name, "
            f"Path({str(tmp_path)!r}) / ('ck_' + name))\n"
            f"        print('IMPORTED', name)\n"
            f"    except importers.ImportFormatError as exc:\n"
            f"        print('REFUSED', exc)\n")
    out = run_capped(code, mem_mb=1500, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "REFUSED huge.txt: num_detectors must be between 1 and 4096. Got 30000000 " \
           "instead." in out.stdout
    assert "REFUSED digits.txt: num_detectors must be between 1 and 4096. Got a 5,000-digit " \
           "number instead." in out.stdout
    assert "REFUSED commas.txt: weights1 has 2000001 value(s) but a model with 2 detectors " \
           "of length 2, has_avg_pooling=1, num_hidden=0 needs 4" in out.stdout
    assert "REFUSED lines.txt: has 2,000,012 lines" in out.stdout
    assert "IMPORTED" not in out.stdout and not list(tmp_path.glob("ck_*"))


def test_deepbind_parameter_and_input_length_limits(monkeypatch):
    monkeypatch.setattr(db, "MAX_PARAMETERS", 10)
    with pytest.raises(ImportFormatError, match=r"bad\.txt: a model with 2 detectors of "
                                                r"length 2, has_avg_pooling=1, num_hidden=0 "
                                                r"has 23 parameters, over the 10 allowed here "
                                                r"\(REGVIZ_MAX_PARAMETERS\)"):
        db.parse_params(HAND_AVG.encode(), "bad.txt")
    monkeypatch.undo()
    params = db.parse_params(HAND_AVG.encode(), "hand.txt")
    top = db.MAX_INPUT_LENGTH
    with pytest.raises(ModelConfigError, match=rf"deepbind: input_length must be a whole "
                                               rf"number from 1 to {top:,} "
                                               rf"\(REGVIZ_MAX_INPUT_LENGTH\)\. Got {top + 1} "
                                               rf"instead"):
        db.build_model(params, input_length=top + 1)


# --------------------------------------------------------------------- Keras by hand


def test_keras_hand_file_gives_hand_numbers(tmp_path):
    path, _ = hand_keras(tmp_path)
    model, card = importers.import_file(path, tmp_path / "ck")
    # "ACGT": filter 0 = 1,2,3,4 and filter 1 = 0,0,0,10 -> BN /1 and /2 -> 0,0,0,5;
    # max pool 2 -> f0 = 2,4; f1 = 0,5; Keras flatten (position-major) = [2, 0, 4, 5]
    # Dev = 0.5 + 2 + 0 + 400 + 5000 = 5402.5 (channel-major would give 5042.5)
    # Hk = -1 + 11 = 10
    x = torch.from_numpy(sequence.one_hot(["ACGT"]))
    with torch.no_grad():
        assert model(x)[0].tolist() == pytest.approx([5402.5, 10.0], abs=1e-3)
    assert list(card.task_names) == ["Dev", "Hk"]
    assert model.config.bn_eps == 1e-3 and model.config.flatten == "position_major"
    assert model.config.conv_dropout == [0.4] and model.config.dense == []
    loaded, card2 = checkpoints.load(tmp_path / "ck")
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x))
    assert card2.source["file"] == "hand.h5" and "de Almeida" in card2.source["citation"]
    assert "Keras 2.15.0" in card2.source["format"]


def test_keras_weights_only_file_needs_and_uses_the_json(tmp_path):
    path, config = hand_keras(tmp_path, weights_only=True)
    with pytest.raises(ImportFormatError, match=r"hand\.h5: holds weights only \(no "
                                                r"'model_config' attribute\)"):
        kr.read_keras(path)
    spec = kr.read_keras(path, config_json=json.dumps(config))
    assert spec.task_names == ["Dev", "Hk"]
    (tmp_path / "hand.json").write_text(json.dumps(config))   # sidecar next to the file
    model, _ = kr.import_keras(path, tmp_path / "ck")
    with torch.no_grad():
        out = model(torch.from_numpy(sequence.one_hot(["ACGT"])))
    assert out[0].tolist() == pytest.approx([5402.5, 10.0], abs=1e-3)


def test_keras_sequential_and_keras3_json_layouts(tmp_path):
    """The same hand model written as a Keras 2 Sequential and as Keras 3 Functional JSON."""
    path, config = hand_keras(tmp_path)
    layers = config["config"]["layers"]
    sequential = {"class_name": "Sequential", "config": {"name": "seq", "layers": [
        {"class_name": ly["class_name"], "config": ly["config"]}
        for ly in layers if ly["name"] != "Dense_Hk"]}}
    keras3 = json.loads(json.dumps(config))
    for ly in keras3["config"]["layers"]:
        if ly["class_name"] == "InputLayer":
            ly["config"] = {"batch_shape": ly["config"].pop("batch_input_shape"),
                            "name": ly["name"]}
        ly["inbound_nodes"] = [{"args": [{"class_name": "__keras_tensor__", "config": {
            "keras_history": [node[0][0], 0, 0]}}], "kwargs": {}}
            for node in ly["inbound_nodes"]]
        if ly["class_name"] == "BatchNormalization":
            ly["config"]["axis"] = -1
    x = torch.from_numpy(sequence.one_hot(["ACGT"]))
    for cfg, expected in ((sequential, [5402.5]), (keras3, [5402.5, 10.0])):
        spec = kr.read_keras(path, config_json=json.dumps(cfg))
        with torch.no_grad():
            assert kr.build_model(spec)(x)[0].tolist() == pytest.approx(expected, abs=1e-3)
    assert kr.read_keras(path, config_json=json.dumps(sequential)).task_names == ["Dev"]


def random_keras(tmp_path, length=24, seed=0):
    """A random small DeepSTARR-like h5: 2 conv blocks (same padding), dense + BN, 2 heads."""
    rng = np.random.default_rng(seed)
    chain = [("Conv1D", "Conv1D_1", dict(CONV, filters=6, kernel_size=[5], padding="same")),
             ("BatchNormalization", "bn_1", BN),
             ("Activation", "act_1", {"activation": "relu"}),
             ("MaxPooling1D", "pool_1", dict(pool_size=[2], strides=[2], padding="valid")),
             ("Conv1D", "Conv1D_2", dict(CONV, filters=5, kernel_size=[4], padding="same")),
             ("BatchNormalization", "bn_2", BN),
             ("Activation", "act_2", {"activation": "relu"}),
             ("MaxPooling1D", "pool_2", dict(pool_size=[3], strides=[3], padding="valid")),
             ("Flatten", "flatten", {}),
             ("Dense", "Dense_1", {"units": 7, "activation": "linear"}),
             ("BatchNormalization", "bn_3", dict(BN, axis=[1])),
             ("Activation", "act_3", {"activation": "relu"}),
             ("Dropout", "drop", {"rate": 0.4})]
    config = keras_config(chain, [("Dense_Dev", 1, "linear"), ("Dense_Hk", 1, "linear")],
                          length)
    n_flat = 5 * ((length // 2) // 3)

    def bn(n):
        return {"gamma": rng.uniform(0.5, 2, n), "beta": rng.normal(size=n),
                "moving_mean": rng.normal(size=n), "moving_variance": rng.uniform(0.01, 2, n)}

    weights = {"Conv1D_1": {"kernel": rng.normal(size=(5, 4, 6)), "bias": rng.normal(size=6)},
               "bn_1": bn(6),
               "Conv1D_2": {"kernel": rng.normal(size=(4, 6, 5)), "bias": rng.normal(size=5)},
               "bn_2": bn(5),
               "Dense_1": {"kernel": rng.normal(size=(n_flat, 7)), "bias": rng.normal(size=7)},
               "bn_3": bn(7),
               "Dense_Dev": {"kernel": rng.normal(size=(7, 1)), "bias": rng.normal(size=1)},
               "Dense_Hk": {"kernel": rng.normal(size=(7, 1)), "bias": rng.normal(size=1)}}
    path = tmp_path / "random.h5"
    write_keras_h5(path, config, weights)
    return path


def torch_trace(model, X):
    """Outputs of each conv block's conv/bn/act/pool, the flatten and dense parts."""
    seen = []
    hooks = []
    for i, block in enumerate(model.convs):
        for part in ("conv", "bn", "act", "pool"):
            mod = getattr(block, part)
            if mod is not None:
                hooks.append(mod.register_forward_hook(
                    lambda m, a, o, tag=f"conv{i}.{part}": seen.append((tag, o.detach()))))
    hooks.append(model.flatten.register_forward_hook(
        lambda m, a, o: seen.append(("flatten", o.detach()))))
    for i, block in enumerate(model.dense):
        for part in ("linear", "bn", "act"):
            mod = getattr(block, part)
            if mod is not None:
                hooks.append(mod.register_forward_hook(
                    lambda m, a, o, tag=f"dense{i}.{part}": seen.append((tag, o.detach()))))
    with torch.no_grad():
        out = model(torch.from_numpy(X)).numpy()
    for h in hooks:
        h.remove()
    return seen, out


def assert_layerwise(path, X, tol=1e-4):
    """Compare every layer of the imported model with the numpy reference; max diff."""
    model, _ = kr.import_keras(path, path.parent / f"ck_{path.stem}")
    ref, ref_out = numpy_keras_forward(path, X)
    ours, out = torch_trace(model, X)
    assert len(ours) == len(ref)
    worst = 0.0
    for (tag, mine), (name, kind, theirs) in zip(ours, ref):
        mine = mine.numpy()
        if mine.ndim == 3:                       # (n, C, L) -> Keras (n, L, C)
            mine = mine.transpose(0, 2, 1)
        assert mine.shape == theirs.shape, (tag, name)
        scale = max(1.0, float(np.abs(theirs).max()))
        diff = float(np.abs(mine - theirs).max()) / scale
        assert diff < tol, f"{tag} vs Keras {kind} {name}: relative diff {diff:.2e}"
        worst = max(worst, diff)
    np.testing.assert_allclose(out, ref_out, atol=tol * max(1.0, np.abs(ref_out).max()))
    return model, out, worst


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
def test_keras_random_model_matches_numpy_reference_layer_by_layer(tmp_path):
    path = random_keras(tmp_path)
    X = sequence.one_hot(sequence.random_sequences(8, 24, seed=3) + ["ACGTN" * 4 + "NNNN"])
    model, _, _ = assert_layerwise(path, X)
    assert model.config.pools == [2, 3] and model.config.dense_batchnorm


def test_keras_published_deepstarr_layout_is_the_paper_preset(tmp_path):
    """A file with the published DeepSTARR layers (random weights) fills the paper preset."""
    rng = np.random.default_rng(1)
    chain, weights, prev = [], {}, 4
    for i, (filters, width) in enumerate(zip([256, 60, 60, 120], [7, 3, 5, 3])):
        name = "Conv1D_1st" if i == 0 else f"Conv1D_{i + 1}"
        chain += [("Conv1D", name, dict(CONV, filters=filters, kernel_size=[width],
                                        padding="same")),
                  ("BatchNormalization", f"batch_normalization_{i}", BN),
                  ("Activation", f"activation_{i}", {"activation": "relu"}),
                  ("MaxPooling1D", f"max_pooling1d_{i}",
                   dict(pool_size=[2], strides=[2], padding="valid"))]
        weights[name] = {"kernel": rng.normal(0, 0.1, (width, prev, filters)),
                         "bias": rng.normal(0, 0.1, filters)}
        weights[f"batch_normalization_{i}"] = {
            "gamma": np.ones(filters), "beta": np.zeros(filters),
            "moving_mean": np.zeros(filters), "moving_variance": np.ones(filters)}
        prev = filters
    chain.append(("Flatten", "flatten", {}))
    n_in = 120 * 15
    for j in (1, 2):
        chain += [("Dense", f"Dense_{j}", {"units": 256, "activation": "linear"}),
                  ("BatchNormalization", f"bn_dense_{j}", dict(BN, axis=[1])),
                  ("Activation", f"act_dense_{j}", {"activation": "relu"}),
                  ("Dropout", f"dropout_{j}", {"rate": 0.4})]
        weights[f"Dense_{j}"] = {"kernel": rng.normal(0, 0.05, (n_in, 256)),
                                 "bias": np.zeros(256)}
        weights[f"bn_dense_{j}"] = {"gamma": np.ones(256), "beta": np.zeros(256),
                                    "moving_mean": np.zeros(256), "moving_variance": np.ones(256)}
        n_in = 256
    for task in ("Dev", "Hk"):
        weights[f"Dense_{task}"] = {"kernel": rng.normal(0, 0.1, (256, 1)), "bias": [0.0]}
    config = keras_config(chain, [("Dense_Dev", 1, "linear"), ("Dense_Hk", 1, "linear")], 249)
    path = tmp_path / "DeepSTARR.model.h5"
    write_keras_h5(path, config, weights)
    X = sequence.one_hot(sequence.random_sequences(2, 249, seed=0))
    model, _, _ = assert_layerwise(path, X)
    paper = DeepSTARRConfig.PRESETS["paper"]
    cfg = model.config.to_dict()
    assert {k: cfg[k] for k in paper} == paper
    card = checkpoints.read_card(path.parent / f"ck_{path.stem}")
    assert card.source["architecture"] == ("the published DeepSTARR architecture "
                                              "(deepstarr 'paper' preset)")
    # the Zenodo release: weights-only DeepSTARR.model.h5 + DeepSTARR.model.json (Keras 2.2
    # "Model" JSON, batch-norm axis -1), loaded together
    zenodo = tmp_path / "zenodo"
    zenodo.mkdir()
    old_style = json.loads(json.dumps(config))
    old_style["class_name"] = "Model"
    for ly in old_style["config"]["layers"]:
        if ly["class_name"] == "BatchNormalization":
            ly["config"]["axis"] = -1
    (zenodo / "DeepSTARR.model.json").write_text(json.dumps(old_style))
    write_keras_h5(zenodo / "DeepSTARR.model.h5", config, weights, weights_only=True)
    released, _ = importers.import_file(zenodo / "DeepSTARR.model.h5", zenodo / "ck")
    with torch.no_grad():
        x = torch.from_numpy(X)
        torch.testing.assert_close(released(x), model(x))
    assert released.config.to_dict() == model.config.to_dict()


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_views_work_on_imported_models(tmp_path):
    """Attribution, ISM, filters and Grad-CAM run on imported models and agree with checks."""
    from captum.attr import DeepLift

    from regviz import attribution, filters, gradcam
    from regviz.attribution import mutagenesis as ism

    (tmp_path / "D00001.001.txt").write_text(HAND_AVG.replace("reverse_complement = 0",
                                                              "reverse_complement = 1"))
    strands, _ = importers.import_file(tmp_path / "D00001.001.txt", tmp_path / "db",
                                       input_length=30)
    starr, _ = kr.import_keras(random_keras(tmp_path), tmp_path / "k")
    for model in (strands, starr):
        X = sequence.one_hot(sequence.random_sequences(6, model.input_length, seed=2))
        x = torch.from_numpy(X)
        base = torch.full_like(x, 0.25)
        with models.deeplift_guards(model):      # captum's DeepLift, called directly
            attr, delta = DeepLift(model).attribute(x, base, target=0,
                                                    return_convergence_delta=True)
        assert float(delta.abs().max()) < 1e-4       # DeepLIFT adds up to f(x) - f(base)
        np.testing.assert_allclose(ism.ism(model, X[:2]), ism.ism_brute_force(model, X[:2]),
                                   rtol=1e-5, atol=1e-4)
        assert gradcam.gradcam(model, X[:2]).shape == (2, model.input_length)
        ig = attribution.attribute(model, X[:2], "integrated_gradients")
        assert ig.shape == (2, 4, model.input_length) and np.isfinite(ig).all()
        assert len(filters.filter_pwms(model, X)) >= 1
    # both strands: the score equals scoring the reverse complement when that is better
    X = sequence.one_hot(sequence.random_sequences(20, 30, seed=4))
    x, rc = torch.from_numpy(X), sequence.reverse_complement(X)
    forward_only = db.build_model(db.parse_params(HAND_AVG.encode()), 30)
    with torch.no_grad():
        expected = torch.maximum(forward_only(x), forward_only(torch.from_numpy(rc.copy())))
        torch.testing.assert_close(strands(x), expected)


# --------------------------------------------------------------------- foreign files

def test_foreign_files_are_named_and_nothing_runs(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    cases = [(pickle.dumps(Evil()), "model.pt", r"Found a Python pickle \(refused: pickles "
                                                r"can run code\) instead"),
             (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "logo.png", r"Found a PNG image instead"),
             (b">seq1\nACGT\n", "x.fa", r"Found a FASTA file \(first line '>seq1'\) instead"),
             (b"", "empty.txt", r"Found an empty file instead"),
             (b"PK\x03\x04rest", "m.keras", r"Found a zip archive")]
    for data, name, match in cases:
        with pytest.raises(ImportFormatError, match=r"not a supported model file\. regviz "
                                                    r"imports DeepBind parameter files"):
            importers.import_file(data, tmp_path / "out", label=name)
        with pytest.raises(ImportFormatError, match=rf"{name.replace('.', chr(92) + '.')}: .*"
                                                    rf"{match}"):
            importers.import_file(data, tmp_path / "out", label=name)
    assert not marker.exists() and not (tmp_path / "out").exists()
    # a pickle given straight to the Keras reader is refused as well
    with pytest.raises(ImportFormatError, match=r"model\.pt: is not a Keras HDF5 \(\.h5\) file"):
        kr.read_keras(pickle.dumps(Evil()), label="model.pt")
    assert not marker.exists()
    assert issubclass(ImportFormatError, CheckpointError)


def test_keras_truncated_and_malformed_files(tmp_path):
    path, config = hand_keras(tmp_path)
    data = path.read_bytes()
    with pytest.raises(ImportFormatError, match=r"cut\.h5: is an HDF5 file that cannot be "
                                                r"opened .*truncated or corrupted"):
        kr.read_keras(data[: len(data) // 2], label="cut.h5")

    def variant(name, edit=None, weights_edit=None, raw_config=None):
        cfg = json.loads(json.dumps(config))
        if edit:
            edit(cfg["config"]["layers"])
        p = tmp_path / name
        with h5py.File(path, "r") as src, h5py.File(p, "w") as dst:
            src.copy("model_weights", dst)
            dst.attrs["model_config"] = raw_config if raw_config is not None else json.dumps(cfg)
            if weights_edit:
                weights_edit(dst["model_weights"])
        return p

    lstm = variant("lstm.h5", lambda ls: ls[1].update(class_name="LSTM"))
    with pytest.raises(ImportFormatError, match=r"lstm\.h5: layer 'Conv1D_1' is a Keras LSTM, "
                                                r"which regviz cannot rebuild"):
        kr.read_keras(lstm)
    bad_json = variant("json.h5", raw_config="{not json")
    with pytest.raises(ImportFormatError, match=r"json\.h5: its architecture JSON is malformed"):
        kr.read_keras(bad_json)

    def wrong_shape(root):
        del root["Conv1D_1/Conv1D_1/kernel:0"]
        root["Conv1D_1/Conv1D_1/kernel:0"] = np.zeros((3, 4, 2), np.float32)

    shape = variant("shape.h5", weights_edit=wrong_shape)
    with pytest.raises(ImportFormatError, match=r"shape\.h5: Conv1D 'Conv1D_1': kernel has "
                                                r"shape \(3, 4, 2\) but the architecture "
                                                r"needs \(1, 4, 2\)"):
        kr.build_model(kr.read_keras(shape))
    missing = variant("missing.h5", weights_edit=lambda root: root.__delitem__("bn_1"))
    with pytest.raises(ImportFormatError, match=r"missing\.h5: has no weights for layer "
                                                r"'bn_1'"):
        kr.read_keras(missing)
    relu_first = variant("order.h5", lambda ls: ls[1]["config"].update(activation="relu"))
    with pytest.raises(ImportFormatError, match=r"BatchNormalization 'bn_1' must directly "
                                                r"follow a Conv1D or Dense layer, before its "
                                                r"ReLU"):
        kr.read_keras(relu_first)
    causal = variant("causal.h5", lambda ls: ls[1]["config"].update(padding="causal"))
    with pytest.raises(ImportFormatError, match=r"Conv1D 'Conv1D_1' uses padding 'causal'"):
        kr.read_keras(causal)


# --------------------------------------------------------------------- hostile Keras files

KERNEL = "model_weights/Conv1D_1/Conv1D_1/kernel:0"


def keras_variant(tmp_path, name, config_edit=None, raw_config=None, file_edit=None):
    """The hand-written Keras file (`hand_keras`) with its config and/or HDF5 content
    edited, written as ``tmp_path / name``."""
    path, config = hand_keras(tmp_path)
    cfg = json.loads(json.dumps(config))
    if config_edit:
        config_edit(cfg)
    out = tmp_path / name
    with h5py.File(path, "r") as src, h5py.File(out, "w") as dst:
        src.copy("model_weights", dst)
        dst.attrs["model_config"] = raw_config if raw_config is not None else json.dumps(cfg)
        if file_edit:
            file_edit(dst, tmp_path)
    return out


def _external_storage(f, tmp_path):        # the kernel's bytes are a file on the server
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(8, dtype=np.float32).tobytes())
    del f[KERNEL]
    f.create_dataset(KERNEL, (1, 4, 2), "<f4", external=[(str(secret), 0, 32)])


def _virtual(f, tmp_path):
    with h5py.File(tmp_path / "source.h5", "w") as other:
        other["x"] = np.ones((1, 4, 2), np.float32)
    layout = h5py.VirtualLayout((1, 4, 2), "<f4")
    layout[:] = h5py.VirtualSource(str(tmp_path / "source.h5"), "x", (1, 4, 2))
    del f[KERNEL]
    f.create_virtual_dataset(KERNEL, layout)


def _soft_link(f, tmp_path):
    f["model_weights/stash"] = f[KERNEL]
    del f[KERNEL]
    f[KERNEL] = h5py.SoftLink("/model_weights/stash")


def _external_link(f, tmp_path):        # never read by the import, refused all the same
    with h5py.File(tmp_path / "source.h5", "w") as other:
        other["x"] = np.ones(3, np.float32)
    f["model_weights/extra"] = h5py.ExternalLink(str(tmp_path / "source.h5"), "/x")


@pytest.mark.parametrize("edit,match", [
    (_external_storage, r"evil\.h5: dataset '/model_weights/Conv1D_1/Conv1D_1/kernel:0' keeps "
                        r"its data in another file \(HDF5 external storage\)"),
    (_virtual, r"evil\.h5: dataset '/model_weights/Conv1D_1/Conv1D_1/kernel:0' is a virtual "
               r"dataset"),
    (_soft_link, r"evil\.h5: '/model_weights/Conv1D_1/Conv1D_1/kernel:0' is a soft link \(to "
                 r"'/model_weights/stash'\); regviz refuses links in uploaded HDF5 files"),
    (_external_link, r"evil\.h5: '/model_weights/extra' is an external link \(to '/x' in file "
                     r"'.*source\.h5'\); regviz refuses links"),
], ids=["external-storage", "virtual-dataset", "soft-link", "external-link"])
def test_keras_refuses_files_that_point_outside_themselves(tmp_path, edit, match):
    path = keras_variant(tmp_path, "evil.h5", file_edit=edit)
    with pytest.raises(ImportFormatError, match=match):
        importers.import_file(path, tmp_path / "ck")
    with pytest.raises(ImportFormatError, match=match):     # as an upload (bytes)
        importers.import_file(path.read_bytes(), tmp_path / "ck", label="evil.h5")
    assert not (tmp_path / "ck").exists()


def test_keras_sizes_are_checked_before_anything_is_read_or_built(tmp_path):
    """Tiny hostile files end with an ImportFormatError in a 1.5 GB process: a kernel
    declared as 8 GB of compressed chunks, a layer of 30 million filters, a weight stored
    as integers."""

    def huge(f, _):
        del f[KERNEL]
        f.create_dataset(KERNEL, shape=(2**31,), dtype="f4", chunks=(2**20,),
                         compression="gzip")

    def integers(f, _):
        del f[KERNEL]
        f[KERNEL] = np.zeros((1, 4, 2), np.int32)

    def filters(cfg):
        cfg["config"]["layers"][1]["config"]["filters"] = 30_000_000

    paths = [keras_variant(tmp_path, "huge.h5", file_edit=huge),
             keras_variant(tmp_path, "filters.h5", config_edit=filters),
             keras_variant(tmp_path, "ints.h5", file_edit=integers)]
    assert max(p.stat().st_size for p in paths) < 64_000
    code = (f"from regviz import importers\n"
            f"for path in {[str(p) for p in paths]!r}:\n"
            f"    try:\n"
            f"        importers.import_file(path, path + '.ck')\n"
            f"        print('IMPORTED', path)\n"
            f"    except importers.ImportFormatError as exc:\n"
            f"        print('REFUSED', exc)\n")
    out = run_capped(code, mem_mb=1500, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert ("REFUSED huge.h5: Conv1D 'Conv1D_1': kernel has shape (2147483648,) but the "
            "architecture needs (1, 4, 2).") in out.stdout
    assert (f"REFUSED filters.h5: its architecture has 390,000,002 parameters, over the "
            f"{kr.MAX_PARAMETERS:,} allowed here (REGVIZ_MAX_PARAMETERS)") in out.stdout
    assert ("REFUSED ints.h5: weight 'Conv1D_1/kernel:0' of layer 'Conv1D_1' is stored as "
            "int32; weights must be floating-point numbers") in out.stdout
    assert "IMPORTED" not in out.stdout and not list(tmp_path.glob("*.ck"))


def _conv(cfg):
    return cfg["config"]["layers"][1]["config"]


@pytest.mark.parametrize("edit,match", [
    (lambda c: _conv(c).update(filters=None),
     r"Conv1D 'Conv1D_1': filters must be a whole number from 1 to [\d,]+\. Got None instead"),
    (lambda c: _conv(c).update(filters="64"),
     r"Conv1D 'Conv1D_1': filters must be a whole number from 1 to [\d,]+\. Got '64' instead"),
    (lambda c: _conv(c).update(kernel_size="INF"),      # written as the JSON number 1e400
     r"Conv1D 'Conv1D_1': kernel_size must be a whole number from 1 to [\d,]+\. Got \[inf\] "
     r"instead"),
    (lambda c: _conv(c).update(use_bias="no"),
     r"Conv1D 'Conv1D_1': use_bias must be true or false\. Got 'no' instead"),
    (lambda c: c["config"]["layers"][-1]["config"].update(units=-3),
     r"Dense 'Dense_Hk': units must be a whole number from 1 to [\d,]+\. Got -3 instead"),
    (lambda c: c["config"]["layers"][-1]["config"].update(activation=["sigmoid"]),
     r"Dense 'Dense_Hk': activation must be a name such as 'relu'\. Got \['sigmoid'\] instead"),
    (lambda c: c["config"]["layers"][2]["config"].update(epsilon="1e-3"),
     r"BatchNormalization 'bn_1': epsilon must be a number in \(0\.0, 1\.0\)\. Got '1e-3' "
     r"instead"),
    (lambda c: c["config"]["layers"][4]["config"].update(pool_size=[0]),
     r"MaxPooling1D 'pool_1': pool_size must be a whole number from 1 to [\d,]+\. Got \[0\] "
     r"instead"),
    (lambda c: c["config"]["layers"][5]["config"].update(rate=7),
     r"Dropout 'drop_1': rate must be a number in \[0\.0, 1\.0\)\. Got 7 instead"),
    (lambda c: c["config"]["layers"][0]["config"].update(batch_input_shape=[None, 10**9, 4]),
     r"InputLayer 'input_1': length must be a whole number from 1 to [\d,]+\. Got 1000000000 "
     r"instead"),
    (lambda c: c["config"].update(layers="all of them"),
     r"the Functional model's 'layers' must be a non-empty list of layers\. Got 'all of "
     r"them' instead"),
    (lambda c: c["config"]["layers"].__setitem__(3, 42),
     r"entry 4 of the model's 'layers' must be a layer description \(a JSON object\)\. Got "
     r"42 instead"),
    (lambda c: c["config"]["layers"][1].update(inbound_nodes=[[[["input_1"], 0, 0, {}]]]),
     r"layer 'Conv1D_1': 'inbound_nodes' must name the layers it reads\. Got \['input_1'\] "
     r"instead"),
    (lambda c: (c["config"]["layers"].pop(),     # ... -> Dense_Dev -> input_1 -> ...
                c["config"]["layers"][0].update(inbound_nodes=[[["Dense_Dev", 0, 0, {}]]])),
     r"the layers' 'inbound_nodes' form a loop \(through 'input_1'\)"),
    (lambda c: c["config"].update(output_layers=[[7, 0, 0]]),
     r"the model's 'output_layers' must list \[layer name, 0, 0\] entries\. Got \[\[7, 0, 0\]\] "
     r"instead"),
], ids=["filters-null", "filters-text", "kernel_size-inf", "use_bias-text", "units-negative",
        "activation-list", "epsilon-text", "pool_size-zero", "rate-7", "input-length",
        "layers-text", "layer-number", "inbound-list", "inbound-loop", "output_layers-number"])
def test_keras_config_values_of_the_wrong_type_are_named(tmp_path, edit, match):
    _, base = hand_keras(tmp_path)
    cfg = json.loads(json.dumps(base))
    edit(cfg)
    raw = json.dumps(cfg).replace('"INF"', "[1e400]")
    path = keras_variant(tmp_path, "typed.h5", raw_config=raw)
    with pytest.raises(ImportFormatError, match=r"typed\.h5: " + match):
        importers.import_file(path, tmp_path / "ck")
    assert not (tmp_path / "ck").exists()


def test_keras_architecture_json_limits(tmp_path):
    path, config = hand_keras(tmp_path)
    with pytest.raises(ImportFormatError, match=r"hand\.h5: its architecture JSON is nested "
                                                r"too deeply"):
        kr.read_keras(path, config_json="[" * 100_000)
    with pytest.raises(ImportFormatError, match=r"hand\.h5: its architecture JSON is "
                                                r"4,194,305 bytes, over the 4,194,304-byte "
                                                r"limit"):
        kr.read_keras(path, config_json=b" " * (4 * 2**20 + 1))
    # Keras 3 writes a single output as one flat [name, 0, 0] entry
    single = json.loads(json.dumps(config))
    single["config"]["layers"].pop()
    single["config"]["output_layers"] = ["Dense_Dev", 0, 0]
    assert kr.read_keras(path, config_json=json.dumps(single)).task_names == ["Dev"]


# --------------------------------------------------------------------- real files


def example_seqs():
    return (DATA / "deepbind" / "example.seq").read_text().split()


@needs_data
def test_deepbind_documented_scores():
    seqs = example_seqs()
    for model_id, documented in DOCUMENTED.items():
        params = db.read_params(DATA / "deepbind" / "params" / f"{model_id}.txt")
        whole = [db.model_scores(db.build_model(params, len(s)), [s])[0] for s in seqs]
        # one model built for 101 bp scores the 39- and 21-nt rows alike
        np.testing.assert_allclose(db.model_scores(db.build_model(params), seqs), whole,
                                   atol=1e-5, err_msg=model_id)
        if params.reverse_complement:      # the DNA models: every row, full-sequence scan
            np.testing.assert_allclose(whole, documented, atol=1e-4, err_msg=model_id)
        else:                              # RNA: rows within the window agree exactly
            np.testing.assert_allclose(whole[2:], documented[2:], atol=1e-4, err_msg=model_id)
        tool = db.tool_scores(params, seqs)
        np.testing.assert_allclose(tool[:2], ORIGINAL_TOOL[model_id], atol=1e-4,
                                   err_msg=model_id)
        np.testing.assert_allclose(tool[2:], documented[2:], atol=1e-4, err_msg=model_id)


@needs_data
def test_deepbind_import_names_the_protein_from_db_tsv(tmp_path):
    _, card = importers.import_file(DATA / "deepbind" / "params" / "D00328.003.txt",
                                    tmp_path / "ctcf")
    assert card.name == "deepbind_D00328.003_CTCF"
    assert list(card.task_names) == ["CTCF binding score"]
    assert card.source["database"]["Experiment"] == "SELEX"


def read_encode(path):
    with gzip.open(path, "rt") as handle:
        rows = [line.rstrip("\n").split("\t") for line in handle][1:]
    return [r[2] for r in rows], np.array([int(r[3]) for r in rows])


@needs_data
@pytest.mark.parametrize("tf", list(ENCODE))
def test_deepbind_encode_test_auroc(tf):
    model_id, noted = ENCODE[tf]
    seqs, y = read_encode(next((DATA / "deepbind" / "encode_test").glob(f"{tf}_*_B.seq.gz")))
    params = db.read_params(DATA / "deepbind" / "params" / f"{model_id}.txt")
    auroc = roc_auc_score(y, db.model_scores(db.build_model(params, 101), seqs))
    assert len(y) == 1000 and y.sum() == 500
    assert abs(auroc - noted) <= 0.01, f"{tf}: AUROC {auroc:.4f}, noted {noted}"


@needs_data
def test_keras_baseline_dev_enhancers_and_layerwise_agreement(tmp_path):
    src = DATA / "deepstarr_keras" / "baseline.h5"
    path = tmp_path / "baseline.h5"
    path.write_bytes(src.read_bytes())
    records = sequence.read_fasta(DATA / "deepstarr_keras" / "dev_enhancers_example.fa")
    X = sequence.one_hot([r.sequence for r in records])
    model, out, _ = assert_layerwise(path, X)
    assert len(records) == 10
    assert (out[:, 0] > 1.3).all(), out[:, 0]
    cfg = model.config
    assert cfg.conv_filters == [128, 60, 60, 120] and cfg.dense == [64]
    assert cfg.conv_widths == [7, 3, 5, 3] and cfg.input_length == 249
