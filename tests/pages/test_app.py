"""The app router, the static pages and the Model card (AppTest, no browser)."""

from streamlit.testing.v1 import AppTest

from support import ROOT


def test_app_router_shows_home(isolated_app):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "regviz"
    assert "See inside convolutional neural networks" in at.markdown[0].value


def test_home_page_renders(open_page):
    assert not open_page("home").exception


def test_card_page_shows_the_active_models_card(isolated_app):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/card.py").run()
    assert not at.exception and not at.error
    text = " ".join(m.value for m in at.markdown)
    assert "How to read the outputs" in text and "Planted motifs" in text
