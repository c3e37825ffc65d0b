"""AppTest smoke tests of the app router and of each page (no browser)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def run_page(name: str, timeout: float = 60) -> AppTest:
    at = AppTest.from_file(str(ROOT / name), default_timeout=timeout)
    at.run()
    return at


def test_app_router_shows_home():
    at = run_page("app.py")
    assert not at.exception
    assert at.title[0].value == "regviz"
    assert "See inside convolutional neural networks" in at.markdown[0].value


def test_sequences_page_parses_default_example():
    at = run_page("pages/sequences.py")
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert list(table["name"]) == ["enhancer_demo", "promoter_demo"]
    assert list(table.columns) == ["name", "length", "GC", "N count"]


def test_sequences_page_bad_input_shows_error_not_exception():
    at = run_page("pages/sequences.py")
    at.text_area(key="sequences_text").set_value(">a\nACGTQ\n").run()
    assert not at.exception
    assert "a: character 'Q' at position 5 is not a DNA base" in at.error[0].value
    assert len(at.dataframe) == 0


def test_sequences_page_warns_on_iupac_and_shows_table():
    at = run_page("pages/sequences.py")
    at.text_area(key="sequences_text").set_value("acgtrn\nGGCC").run()
    assert not at.exception and not at.error
    assert "IUPAC" in at.warning[0].value
    table = at.dataframe[0].value
    assert table.to_dict("records")[0] == {"name": "seq1", "length": 6, "GC": 0.5, "N count": 2}


def test_sequences_page_genome_region_from_demo_genome(tmp_path, monkeypatch):
    monkeypatch.setenv("REGVIZ_CACHE", str(tmp_path))
    at = run_page("pages/sequences.py")
    at.radio(key="sequences_source").set_value("Genome region").run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert table["length"].tolist() == [4000]
    at.text_input(key="sequences_region").set_value("chrDemo1:10-1").run()
    assert not at.exception
    assert at.error and "start" in at.error[0].value.lower()


@pytest.mark.parametrize("page", ["pages/home.py"])
def test_static_pages_render(page):
    at = run_page(page)
    assert not at.exception


def test_models_page_layer_table_and_comparison():
    at = run_page("pages/models.py", timeout=120)
    assert not at.exception and not at.error
    # default: DeepBind (class preset, 101 bp) beside Basenji
    metrics = [m.value for m in at.metric]
    assert metrics[:2] == ["801", "101 bp"]
    assert metrics[4] == "2,000 bp"
    assert len(at.dataframe) == 2
    at.selectbox(key="a_arch").set_value("Basset").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table["layer"].iloc[0] == "convs.0.conv"
    assert int(table["params"].sum()) == int(at.metric[0].value.replace(",", ""))


def test_models_page_too_short_input_shows_error():
    at = run_page("pages/models.py", timeout=120)
    at.selectbox(key="a_arch").set_value("Basset").run()
    at.number_input(key="a_len_basset_class").set_value(10).run()
    assert not at.exception
    assert "basset" in at.error[0].value.lower() and "at least" in at.error[0].value
