"""The Import page: a DeepBind file, a Keras file, a foreign file and the size limit."""

from pathlib import Path

from regviz import checkpoints, limits
from support import HAND_RC, hand_keras


def test_import_page_imports_upload_and_refuses_foreign_files(open_page, isolated_app):
    at = open_page("import_model", timeout=60)
    assert not at.exception and "Upload a DeepBind .txt or Keras .h5" in at.info[0].value
    at.file_uploader(key="import_file").set_value(("logo.png", b"\x89PNG\r\n\x1a\n0000",
                                                   "image/png"))
    at.run()
    assert not at.exception
    assert "logo.png: not a supported model file" in at.error[0].value
    assert "Found a PNG image instead" in at.error[0].value
    at.file_uploader(key="import_file").set_value(("D12345.001.txt", HAND_RC.encode(),
                                                   "text/plain"))
    at.run()
    assert not at.exception and not at.error
    folder = Path(at.session_state["active_model_request"])
    assert folder.parent == isolated_app / "checkpoints"
    model, card = checkpoints.load(folder)
    assert card.source["file"] == "D12345.001.txt" and model.config.input_length == 101
    assert any("Imported from" in m.value for m in at.markdown)


def test_import_page_keras_upload_and_size_limit(open_page, tmp_path, monkeypatch):
    path, _ = hand_keras(tmp_path)
    at = open_page("import_model", timeout=60)
    at.file_uploader(key="import_file").set_value(("hand.h5", path.read_bytes(),
                                                   "application/x-hdf5"))
    at.run()
    assert not at.exception and not at.error
    model, card = checkpoints.load(at.session_state["active_model_request"])
    assert list(card.task_names) == ["Dev", "Hk"] and model.registry_name == "deepstarr"
    monkeypatch.setattr(limits, "MAX_IMPORT_UPLOAD_MB", 0)
    at = open_page("import_model", timeout=60)
    at.file_uploader(key="import_file").set_value(("hand.h5", path.read_bytes(),
                                                   "application/x-hdf5"))
    at.run()
    assert not at.exception
    assert "hand.h5 is" in at.error[0].value and "the limit here is 0 MB" in at.error[0].value
