"""AppTest fixtures for the page tests: open a page with a chosen active model."""

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from regviz import checkpoints
from regviz.ui import state
from support import ROOT, shipped_checkpoint

PAGES = ROOT / "app_pages"


def _label_of(folder: Path) -> str:
    """The sidebar picker's label of a checkpoint folder."""
    found = [k for k, v in state.available_models().items() if Path(v) == Path(folder)]
    assert found, f"{folder} is not offered by the model picker"
    return found[0]


@pytest.fixture
def open_page(isolated_app):
    """``open_page(name, model=None, timeout=120, **session)``: an AppTest of
    ``app_pages/<name>.py``, run once. ``model`` (the active model) is a shipped
    checkpoint's name, a checkpoint folder, or a ``(zoo model, card)`` pair saved into the
    uploads folder first; ``session`` presets widget values by key."""
    uploads = isolated_app / "checkpoints"

    def make(name: str, model=None, timeout: float = 120, **session) -> AppTest:
        at = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=timeout)
        for key, value in session.items():
            at.session_state[key] = value
        if isinstance(model, tuple):
            net, card = model
            title = card["name"] if isinstance(card, dict) else card.name
            model = checkpoints.save(net, card, uploads / title)
        elif isinstance(model, str):
            folder = shipped_checkpoint(model)
            if folder.parent != checkpoints.SHIPPED_ROOT:   # REGVIZ_TEST_CHECKPOINTS
                model = uploads / model
                shutil.copytree(folder, model)
            else:
                model = folder
        if model is not None:
            at.session_state[state.ACTIVE] = _label_of(model)
        return at.run()

    return make
