"""Checkpoints: exact round trips, clear errors for bad files, nothing ever executed."""

import dataclasses
import io
import json
import os
import pickle
import re
import stat
import zipfile

import numpy as np
import pytest
import safetensors.torch
import torch

from regviz import checkpoints, models
from regviz.errors import CheckpointError
from support import run_capped

X = torch.from_numpy(np.eye(4, dtype=np.float32)[np.random.default_rng(0).integers(0, 4, (8, 60))]
                     .transpose(0, 2, 1).copy())  # (8, 4, 60) one-hot


def deepbind(**kw):
    torch.manual_seed(0)
    return models.build("deepbind", 60, 1, n_filters=4, **kw).eval()


@pytest.fixture
def saved(tmp_path):
    model = deepbind()
    folder = checkpoints.save(model, {"name": "tiny"}, tmp_path / "ck")
    return model, folder


class Marker:
    """Unpickling this would create a file: proof that a loader ran code."""

    path = ""

    def __reduce__(self):
        return (open, (self.path, "w"))


def esc(path) -> str:
    return re.escape(str(path))


def test_round_trip_gives_identical_predictions(tmp_path):
    for name, length, kw in (("deepbind", 60, {"n_filters": 4}), ("basset", 600, {})):
        torch.manual_seed(1)
        model = models.build(name, length, 3, output_kind="multitask", **kw).eval()
        if name == "basset":  # give batch-norm buffers non-default values
            for m in model.modules():
                if isinstance(m, torch.nn.BatchNorm1d):
                    m.running_mean.uniform_(-1, 1)
                    m.running_var.uniform_(0.5, 2)
        x = torch.rand(5, 4, length)
        folder = checkpoints.save(model, {"tasks": {"names": ["a", "b", "c"]}}, tmp_path / name)
        loaded, card = checkpoints.load(folder)
        with torch.no_grad():
            assert torch.equal(model(x), loaded(x))
        assert not loaded.training
        assert card.schema_version == checkpoints.SCHEMA_VERSION
        assert card.registry_name == name and card.config["n_outputs"] == 3
        assert card.versions["torch"] == torch.__version__
        assert sorted(os.listdir(folder)) == ["card.json", "model.safetensors"]


def test_make_card_describes_outputs(tmp_path):
    card = checkpoints.make_card(models.build("deepbind", 60, 1, n_filters=4), device="CPU")
    assert card.outputs.to_dict() == {"kind": "binary", "activation": "sigmoid", "how_to_read":
                               checkpoints.HOW_TO_READ["binary"]}
    card = checkpoints.make_card(models.build("deepbind", 60, 2, output_kind="regression"))
    assert card.outputs.activation == "none" and list(card.task_names) == [
        "output_0", "output_1"]
    json.dumps(card.to_dict())
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.name = "changed"            # a card shared between sessions cannot be changed
    with pytest.raises(TypeError):
        card.config["n_outputs"] = 5
    card = card.replace(metrics={"test": {"auroc_mean": float("nan"), "n": np.int64(3)}})
    folder = checkpoints.save(models.build("deepbind", 60, 2, output_kind="regression"), card,
                              tmp_path / "nan")
    text = (folder / "card.json").read_text()
    assert "NaN" not in text  # standard JSON: undefined metrics are null
    assert json.loads(text)["metrics"]["test"] == {"auroc_mean": None, "n": 3}


def test_truncated_and_random_weights(saved):
    _, folder = saved
    weights = folder / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=f"model.safetensors in {esc(folder)}: truncated "
                                              "or not a safetensors file"):
        checkpoints.load(folder)
    weights.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(CheckpointError, match="truncated or not a safetensors file"):
        checkpoints.load(folder)
    weights.write_bytes(b"")
    with pytest.raises(CheckpointError, match=r"truncated or not a safetensors file \(0 bytes\)"):
        checkpoints.load(folder)


def test_bad_cards(saved):
    _, folder = saved
    card_path = folder / "card.json"
    card = json.loads(card_path.read_text())
    cases = [
        ("{not json", r"card.json in {}: not valid JSON \(line 1, column 2"),
        ("[1, 2]", r"card.json in {}: must hold a JSON object. Got a list instead."),
        (json.dumps({k: v for k, v in card.items() if k != "registry_name"}),
         r"card.json in {}: missing 'registry_name'"),
        (json.dumps({**card, "schema_version": 99}),
         r"schema_version 99 was written by a newer regviz"),
        (json.dumps({**card, "registry_name": "resnet50"}),
         r"card.json in {}: cannot rebuild 'resnet50' from its config: Unknown model"),
        (json.dumps({**card, "config": {**card["config"], "filter_width": -3}}),
         (r"cannot rebuild 'deepbind' from its config: deepbind: filter_width must be an "
          r"integer >= 1")),
    ]
    for text, pattern in cases:
        card_path.write_text(text)
        with pytest.raises(CheckpointError, match=pattern.format(esc(folder))):
            checkpoints.load(folder)
    card_path.unlink()
    with pytest.raises(CheckpointError, match=f"{esc(folder)} has no card.json"):
        checkpoints.load(folder)
    with pytest.raises(CheckpointError, match="does not exist"):
        checkpoints.load(folder / "nowhere")


def test_card_fields_are_checked_and_named(saved):
    _, folder = saved
    card_path = folder / "card.json"
    card = json.loads(card_path.read_text())
    deep = 0
    for _ in range(40):
        deep = {"x": deep}
    cases = [
        ({"tasks": "x"}, r"card.json in {}: tasks must be a JSON object. Got 'x' instead."),
        ({"tasks": {"names": "CTCF", "kind": "binary"}},
         r"tasks.names must be a list of texts. Got 'CTCF' instead."),
        ({"tasks": {"names": ["a"], "kind": "classes"}}, r"tasks.kind must be one of binary, "
                                                           r"multitask, regression"),
        ({"input": {"length": 1e400}}, r"input.length must be a whole number"),
        ({"input": {"length": -5}}, r"input.length must be between 1 and"),
        ({"dataset": {"motifs": [{"key": "A", "id": 3, "name": "A"}]}},
         r"dataset.motifs\[0\].id must be a text"),
        ({"training": deep}, r"nested more than 12 levels deep"),
        ({"name": "x" * 30_000}, r"name: a text of 30,000 characters \(at most 20,000\)"),
        ({"registry_name": ["deepbind"]}, r"registry_name must be a model name"),
    ]
    for change, pattern in cases:
        card_path.write_text(json.dumps({**card, **change}))
        with pytest.raises(CheckpointError, match=pattern.format(esc(folder))):
            checkpoints.read_card(folder)
    card_path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(CheckpointError, match="nested too deep to read"):
        checkpoints.read_card(folder)
    card_path.write_text(json.dumps({**card, "pad": "x" * checkpoints.MAX_CARD_BYTES}))
    with pytest.raises(CheckpointError, match=r"bytes; a card is at most 1,048,576 bytes"):
        checkpoints.read_card(folder)
    # a bad card is an error row of the listing, never an exception
    rows = checkpoints.list_checkpoints(folder.parent)
    assert [r[1]["error"] is not None for r in rows] == [True]


def test_shipped_cards_round_trip_to_the_same_json():
    from support import CHECKPOINTS

    for path in sorted(CHECKPOINTS.glob("*/card.json")):
        text = path.read_text()
        card = checkpoints.read_card(path.parent)
        assert json.dumps(card.to_dict(), indent=2) == text.rstrip("\n"), path
        assert checkpoints.Card.from_dict(card.to_dict()) == card


def test_wrong_architecture_and_foreign_weights(saved):
    _, folder = saved
    card_path = folder / "card.json"
    card = json.loads(card_path.read_text())
    card_path.write_text(json.dumps({**card, "config": {**card["config"], "n_filters": 8}}))
    with pytest.raises(CheckpointError, match=(
            f"weights in {esc(folder)} do not fit deepbind\\(preset='class', input_length=60, "
            r"n_outputs=1, output_kind='binary'\): shape conv.weight is \(4, 4, 12\) in the file "
            r"but \(8, 4, 12\) in the model")):
        checkpoints.load(folder)
    card_path.write_text(json.dumps(card))
    safetensors.torch.save_file({"encoder.weight": torch.zeros(3)}, str(folder / "model.safetensors"))
    with pytest.raises(CheckpointError, match=r"do not fit deepbind\(.*\): missing conv.weight, "
                                              r"conv.bias, out.weight, out.bias; unexpected "
                                              r"encoder.weight\."):
        checkpoints.load(folder)
    state = {k: v.clone() for k, v in deepbind().state_dict().items()}
    state["out.bias"][0] = float("nan")
    safetensors.torch.save_file(state, str(folder / "model.safetensors"))
    with pytest.raises(CheckpointError, match="tensor out.bias holds NaN or infinite values"):
        checkpoints.load(folder)


def test_pickles_are_refused_and_never_run(saved, tmp_path):
    _, folder = saved
    marker = tmp_path / "pwned"
    Marker.path = str(marker)
    payload = pickle.dumps(Marker())
    message = "is a PyTorch pickle; regviz only loads safetensors because pickles can run code"
    # 1. a pickle posing as model.safetensors
    (folder / "model.safetensors").write_bytes(payload)
    with pytest.raises(CheckpointError, match=f"{esc(folder / 'model.safetensors')} {message}"):
        checkpoints.load(folder)
    # 2. a torch.save zip archive posing as model.safetensors
    torch.save({"x": Marker()}, folder / "model.safetensors")
    with pytest.raises(CheckpointError, match=message):
        checkpoints.load(folder)
    # 3. a folder holding model.pt instead, and the .pt file given directly
    (folder / "model.safetensors").unlink()
    (folder / "model.pt").write_bytes(payload)
    with pytest.raises(CheckpointError, match=f"{esc(folder / 'model.pt')} {message}"):
        checkpoints.load(folder)
    with pytest.raises(CheckpointError, match=message):
        checkpoints.load(folder / "model.pt")
    assert not marker.exists()
    pickle.loads(payload)  # the control: unpickling really would have made the marker
    assert marker.exists()


def make_zip(entries: dict, links=()) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return buf.getvalue()


def test_load_zip_round_trip_and_refusals(saved, tmp_path):
    model, folder = saved
    files = {n: (folder / n).read_bytes() for n in ("model.safetensors", "card.json")}
    loaded, _ = checkpoints.load_zip(make_zip({f"tiny/{k}": v for k, v in files.items()}),
                                        tmp_path / "up1")
    with torch.no_grad():
        assert torch.equal(loaded(X), model(X))
    archive = tmp_path / "ck.zip"
    archive.write_bytes(make_zip(files))
    assert checkpoints.load_zip(archive, tmp_path / "up2")[1].registry_name == "deepbind"
    with open(archive, "rb") as handle:
        assert checkpoints.load_zip(handle, tmp_path / "up3")[1].name == "tiny"

    marker = tmp_path / "pwned"
    Marker.path = str(marker)
    bad = {
        "traversal": (make_zip({**files, "../evil.txt": b"x"}),
                      r"entry '../evil.txt' points outside the folder"),
        "absolute": (make_zip({**files, "/tmp/evil.txt": b"x"}), "points outside the folder"),
        "link": (make_zip(files, links=["tiny/card.json.lnk"]), "is a symbolic link"),
        "extra": (make_zip({**files, "notes.txt": b"x"}), r"unexpected entry 'notes.txt'"),
        "pickle": (make_zip({**files, "model.pt": pickle.dumps(Marker())}), "is a PyTorch pickle"),
        "missing": (make_zip({"card.json": files["card.json"]}), "model.safetensors missing"),
        "deep": (make_zip({f"a/b/{k}": v for k, v in files.items()}), "nested too deep"),
        "not zip": (b"hello", "is not a zip archive"),
    }
    for label, (blob, pattern) in bad.items():
        out = tmp_path / f"bad-{label.replace(' ', '_')}"
        with pytest.raises(CheckpointError, match=pattern):
            checkpoints.load_zip(blob, out)
        assert not out.exists(), label  # refused before anything was written
    assert not (tmp_path / "evil.txt").exists() and not marker.exists()
    with pytest.raises(CheckpointError, match=r"over the 1000-byte limit"):
        checkpoints.load_zip(make_zip(files), tmp_path / "big", max_bytes=1000)


def test_a_zip_that_does_not_load_leaves_nothing_behind(saved, tmp_path):
    _, folder = saved
    files = {n: (folder / n).read_bytes() for n in ("model.safetensors", "card.json")}
    broken = make_zip({**files, "card.json": b'{"schema_version": 1, "registry_name": '
                                             b'"deepbind", "tasks": "x", "config": {}}'})
    for _ in range(2):   # the second upload of the same broken zip is refused again
        with pytest.raises(CheckpointError, match="tasks must be a JSON object"):
            checkpoints.load_zip(broken, tmp_path / "up" / "broken-1234")
        assert list((tmp_path / "up").iterdir()) == []
        assert checkpoints.list_checkpoints(tmp_path / "up") == []


def test_sizes_on_a_card_are_checked_before_anything_is_allocated(saved, tmp_path):
    _, folder = saved
    card = json.loads((folder / "card.json").read_text())
    hostile = tmp_path / "hostile"
    hostile.mkdir()
    (hostile / "model.safetensors").write_bytes((folder / "model.safetensors").read_bytes())
    (hostile / "card.json").write_text(json.dumps(
        {**card, "config": {**card["config"], "n_filters": 30_000_000, "filter_width": 30}}))
    code = ("from regviz import checkpoints\n"
            "from regviz.errors import CheckpointError\n"
            "try:\n"
            f"    checkpoints.load({str(hostile)!r})\n"
            "except CheckpointError as exc:\n"
            "    print('refused:', exc)\n")
    proc = run_capped(code, mem_mb=1500, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "parameters, over this server's limit of 100,000,000" in proc.stdout
    cases = [({"input_length": 10**9}, r"input_length 1,000,000,000 is over this server's "
                                        r"limit of 250,000"),
             ({"filter_width": 1e400}, r"cannot rebuild 'deepbind' from its config"),
             ({"n_filters": 8}, r"shape conv.weight is \(4, 4, 12\) in the file but "
                                r"\(8, 4, 12\) in the model")]
    for change, pattern in cases:
        text = json.dumps({**card, "config": {**card["config"], **change}})
        (hostile / "card.json").write_text(text.replace("Infinity", "1e400"))
        with pytest.raises(CheckpointError, match=pattern):
            checkpoints.load(hostile)


def test_list_checkpoints(tmp_path):
    checkpoints.save(deepbind(), {"name": "a"}, tmp_path / "a")
    checkpoints.save(deepbind(), {"name": "b", "metrics": {"test": {"auroc_mean": 0.9}}},
                     tmp_path / "group" / "b")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "card.json").write_text("{")
    (tmp_path / "empty").mkdir()
    listed = dict(checkpoints.list_checkpoints([tmp_path, tmp_path / "missing"]))
    assert sorted(p.name for p in listed) == ["a", "b", "broken"]
    b = listed[tmp_path / "group" / "b"]
    assert b["registry_name"] == "deepbind" and b["test"] == {"auroc_mean": 0.9}
    assert b["error"] is None and b["input_length"] == 60
    assert "not valid JSON" in listed[tmp_path / "broken"]["error"]
    assert checkpoints.list_checkpoints(tmp_path / "missing") == []


def test_planted_motifs_have_one_label_everywhere():
    from regviz.checkpoints.card import PlantedMotif
    assert PlantedMotif("GATA", "MA2283.1", "srp").label == "GATA (srp, MA2283.1)"
    assert PlantedMotif("Trl", "MA0205.3", "Trl").label == "Trl (MA0205.3)"
