"""Real-browser tests: the app served by streamlit, driven in Debian's chromium.

Skipped (with the reason) only where /usr/bin/chromium is not installed;
.ci/run installs it, so CI always runs these.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian chromium is not installed (apt-get install chromium)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    port = _free_port()
    env = dict(os.environ, REGVIZ_CACHE=str(tmp_path_factory.mktemp("cache")))
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start: " + proc.stdout.read().decode()[-2000:])
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def page(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"])
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        yield pg
        browser.close()


def test_deep_link_as_first_visit_uses_the_app_router(page, app_url):
    # the first request after the server starts is a deep link: app.py's navigation
    # (app_pages/, listed explicitly) must still build the sidebar and router
    page.goto(app_url + "/sequences")
    page.get_by_text("regviz: see inside CNNs").wait_for(timeout=30000)
    nav = page.locator("[data-testid='stSidebarNav']").inner_text()
    assert "Home" in nav and "Sequences" in nav and "app" not in nav.split()
    page.get_by_role("heading", name="Sequences").wait_for(timeout=10000)


def test_home_page_says_what_the_app_is_for(page, app_url):
    page.goto(app_url)
    page.get_by_text("See inside convolutional neural networks").wait_for(timeout=30000)
    assert page.get_by_role("link", name="Sequences").count() >= 1


def test_paste_fasta_and_see_parsed_table(page, app_url, tmp_path):
    page.goto(app_url + "/sequences")
    box = page.get_by_label("Sequences: raw (one per line) or FASTA, any case")
    box.wait_for(timeout=30000)
    box.fill(">chip_peak_1\nacgtacgtGGCCNN\n>chip_peak_2\nTTTTAAAACCCGGG\n>third\nAC")
    box.press("Control+Enter")
    page.get_by_text("3 sequence(s) read").wait_for(timeout=30000)
    # glide-data-grid draws on a canvas and mirrors the cells in an aria table
    cells = page.locator("[data-testid='stDataFrame'] td[role='gridcell']")
    cells.filter(has_text="chip_peak_2").wait_for(state="attached", timeout=10000)
    rows = [t.strip() for t in cells.all_text_contents()]
    assert rows == ["chip_peak_1", "14", "0.6667", "2",
                    "chip_peak_2", "14", "0.4286", "0",
                    "third", "2", "0.5", "0"]
    page.screenshot(path=str(tmp_path / "sequences.png"), full_page=True)


def test_bad_paste_shows_error_in_browser(page, app_url):
    page.goto(app_url + "/sequences")
    box = page.get_by_label("Sequences: raw (one per line) or FASTA, any case")
    box.wait_for(timeout=30000)
    box.fill(">bad\nACGTZ")
    box.press("Control+Enter")
    page.get_by_text("bad: character 'Z' at position 5 is not a DNA base").wait_for(timeout=30000)


def test_a_long_spacing_experiment_can_be_cancelled(page, app_url):
    page.goto(app_url + "/spacing")
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.locator("[data-testid='stSelectbox']").first.click(timeout=30000)
    page.get_by_role("option", name="enhancer-activity_deepstarr").first.click()
    page.get_by_role("heading", name="Motif spacing").wait_for(timeout=30000)
    page.get_by_text("Inferred mode").wait_for(state="detached", timeout=1000)
    n_bg = page.get_by_label("Number of backgrounds")
    n_bg.wait_for(timeout=60000)
    n_bg.fill("500")
    n_bg.press("Enter")
    page.get_by_role("button", name="Run experiment").click()
    # 500 backgrounds x ~220 designs: far longer than the cancel takes
    page.get_by_text("Predicted").first.wait_for(timeout=60000)
    page.get_by_role("button", name="Cancel").click()
    # how long the cancel takes is measured by benchmarks/bench_pages.py, not asserted here
    page.get_by_text("The spacing experiment was cancelled").wait_for(timeout=60000)
    assert page.get_by_text("Inferred mode").count() == 0
    assert page.get_by_role("button", name="Run experiment").is_visible()
