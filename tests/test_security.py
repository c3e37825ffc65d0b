"""The server's side of hostile input: paths a user may open, cards that must not break
the model picker for everyone, and upload limits that agree with the server's own.
(Per-format probes live with their readers: tests/test_importers.py, test_checkpoints.py,
test_data.py, test_sequence.py; shared models under concurrency: test_concurrency.py.)"""

import json
import tomllib

import pytest
from streamlit.testing.v1 import AppTest

from regviz import limits
from regviz.errors import InputFormatError
from support import ROOT


def test_server_paths_only_inside_the_data_roots(tmp_path, monkeypatch):
    inside = tmp_path / "genomes" / "g.fa"
    inside.parent.mkdir()
    inside.write_text(">c\nACGT\n")
    monkeypatch.setenv("REGVIZ_DATA_ROOTS", str(tmp_path / "genomes"))
    assert limits.server_path(str(inside)) == inside.resolve()
    for outside in ("/etc/passwd", str(tmp_path / "genomes" / ".." / "secret.fa")):
        with pytest.raises(InputFormatError, match="outside the folders this server offers"):
            limits.server_path(outside)
    link = tmp_path / "genomes" / "passwd.fa"
    link.symlink_to("/etc/passwd")                      # a link out of a root is outside
    with pytest.raises(InputFormatError, match="outside the folders"):
        limits.server_path(str(link))


def test_the_genome_path_field_opens_nothing_outside_and_echoes_nothing(isolated_app):
    at = AppTest.from_file(str(ROOT / "app_pages" / "sequences.py"), default_timeout=60)
    at.run()
    at.radio(key="sequences_source").set_value("Genome region").run()
    at.radio(key="sequences_gsrc").set_value("Path on this machine").run()
    at.text_input(key="sequences_gpath").set_value("/etc/passwd").run()
    assert not at.exception
    assert "outside the folders this server offers" in at.error[0].value
    shown = " ".join(e.value for e in at.error) + " ".join(m.value for m in at.markdown)
    assert "root:" not in shown


def test_a_hostile_card_does_not_break_the_model_picker_for_anyone(isolated_app):
    bad_cards = {"wrong-type": {"schema_version": 1, "registry_name": "deepbind",
                                "config": {}, "tasks": "x"},
                 "too-deep": "[" * 100_000 + "]" * 100_000,
                 "huge": {"schema_version": 1, "registry_name": "deepbind", "config": {},
                          "pad": "x" * (2 * limits.MB)}}
    for name, card in bad_cards.items():
        folder = isolated_app / "checkpoints" / name
        folder.mkdir(parents=True)
        (folder / "card.json").write_text(card if isinstance(card, str) else json.dumps(card))
        (folder / "model.safetensors").write_bytes(b"")
    for _ in range(2):                                    # every new session, again
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        assert not at.exception and not at.error
        picker = at.sidebar.selectbox(key="active_model")
        assert picker.options and not any(n in o for o in picker.options for n in bad_cards)


def test_upload_limits_agree_with_the_servers_limit():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    largest = max(limits.MAX_FASTA_UPLOAD_MB, limits.MAX_DATA_UPLOAD_MB,
                  limits.MAX_GENOME_UPLOAD_MB, limits.MAX_CHECKPOINT_UPLOAD_MB,
                  limits.MAX_IMPORT_UPLOAD_MB)
    assert config["server"]["maxUploadSize"] == largest


def test_stored_uploads_stay_under_their_quota(isolated_app, monkeypatch):
    from regviz.ui import state

    class Upload:
        def __init__(self, name, data):
            self.name, self.data = name, data

        def getvalue(self):
            return self.data

    monkeypatch.setattr(limits, "MAX_STORED_UPLOADS_MB", 3)
    paths = [state.save_upload(Upload(f"g{k}.fa", bytes([k]) * limits.MB)) for k in range(5)]
    kept = sorted(p.name for p in state.uploads_dir().iterdir())
    assert kept == sorted(p.name for p in paths[-3:])       # the newest three MB
    assert state.save_upload(Upload("g4.fa", bytes([4]) * limits.MB)) == paths[-1]


def test_every_file_picker_shows_and_enforces_its_own_limit():
    """The browser's "Limit N MB per file" must be the limit the code checks, not the
    server-wide maximum (a 50 MB FASTA limit shown as 200 MB confuses)."""
    import ast
    missing = []
    for path in [*(ROOT / "app_pages").glob("*.py"), *(ROOT / "regviz" / "ui").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "file_uploader" \
                    and "max_upload_size" not in {k.arg for k in node.keywords}:
                missing.append(f"{path.name}:{node.lineno}")
    assert not missing
