"""Fixtures shared by every test file (plain helpers and toy models live in support.py)."""

import pytest
import torch

torch.set_num_threads(2)


@pytest.fixture
def isolated_app(tmp_path, monkeypatch):
    """The app's writable folders (uploads, caches, trained models) moved into tmp_path, so
    a test never sees another test's uploads or runs. Returns tmp_path."""
    monkeypatch.setenv("REGVIZ_CACHE", str(tmp_path))
    monkeypatch.setenv("REGVIZ_RUNS", str(tmp_path / "runs"))
    return tmp_path
