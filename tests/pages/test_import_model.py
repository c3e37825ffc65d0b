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
    monkeypatch.setattr(limits, "MAX_IMPORT_UPLOAD_MB", 1)
    at = open_page("import_model", timeout=60)
    at.file_uploader(key="import_file").set_value(("big.h5", b"\0" * (3 * 2**19),
                                                   "application/x-hdf5"))
    at.run()
    assert not at.exception
    assert "big.h5 is 1.5 MB; the limit here is 1 MB" in at.error[0].value


def _say(folder):
    from regviz.ui import state
    state.say_loaded("Imported m.h5", folder)


def test_the_loaded_message_never_claims_a_stale_active_model(isolated_app):
    from streamlit.testing.v1 import AppTest

    from regviz.ui import state
    from support import shipped_checkpoint
    folder = str(shipped_checkpoint("tf-binding_deepbind"))
    labels = {v: k for k, v in state.available_models().items()}
    at = AppTest.from_function(_say, args=(folder,))
    at.session_state[state.ACTIVE] = labels[folder]
    at.run()
    assert at.success[0].value == "Imported m.h5; it is the active model."
    at.session_state[state.ACTIVE] = next(k for v, k in labels.items() if v != folder)
    at.run()
    assert not at.success and "Another model is active now; pick tf-binding_deepbind" in \
        at.info[0].value
