"""What a user waits for in the browser: each page's first render, how fast Cancel stops
a long experiment, and each analysis's page time against its library time, idle and
while a training job runs in the same server.

Starts the app (streamlit, a free port, a fresh cache folder), drives Debian's chromium
with Playwright, and prints:

1. first render of every page: seconds from navigation until the page's title shows
   (the first visit after the server starts is reported separately: it also imports the
   heavy modules once);
2. cancel latency: a Motif spacing experiment with 500 backgrounds (about 110,000
   predictions) is started on the shipped deepstarr, Cancel is clicked once progress
   shows, and the time until the page says it was cancelled is measured (repeated);
3. analyses: the seconds from clicking an analysis's button until its results show
   (page time), beside the same computation called from Python in this process
   (library time), for: five attribution methods (integrated gradients, DeepLIFT-SHAP,
   ISM, saliency, input x gradient) on one 249 bp sequence (deepstarr) and on one 4 kb
   window (decode, where ISM dominates), and the filter analysis of the
   shipped deepbind on 2,000 sequences. Each is measured idle, then again while a
   training job (Basset on chromatin-multitask, started from the Train page of a second
   tab) runs in the server; every measurement uses a fresh random sequence or sequence
   count, so nothing comes from a cache. The server runs with REGVIZ_AUTO_RUN_SECONDS=0
   (every analysis waits for its button).

Run: ``.venv/bin/python benchmarks/bench_pages.py [--repeats 3] [--skip-pages]``
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PAGES = [("", "regviz"), ("sequences", "Sequences"), ("predict", "Predict"),
         ("attribution", "Attribution"),
         ("gradcam", "Grad-CAM: locating core enhancers"), ("filters", "Filters"),
         ("motifs", "Motifs"), ("spacing", "Motif spacing"), ("concepts", "Concepts"),
         ("models", "Model zoo"),
         ("data", "Datasets"), ("train", "Train a model"), ("card", "Model card"),
         ("import_model", "Import a published model")]


def start_app(cache: str, **env) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=dict(os.environ, REGVIZ_CACHE=cache, REGVIZ_RUNS=f"{cache}/runs", **env),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("streamlit did not start")


def first_render(page, url: str, path: str, title: str) -> float:
    started = time.perf_counter()
    page.goto(f"{url}/{path}")
    page.get_by_role("heading", name=title).first.wait_for(timeout=180_000)
    return time.perf_counter() - started


def settle(page) -> None:
    """Wait until the script run has finished (no stale elements left on the page)."""
    page.wait_for_timeout(300)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=180_000)


def only(locator, timeout_s: float = 120):
    """``locator`` once it matches one element (a field of the last run can linger for a
    moment after a rerun that replaces it)."""
    deadline = time.monotonic() + timeout_s
    while locator.count() != 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    return locator


def cancel_latency(page, url: str) -> float:
    page.goto(f"{url}/spacing")
    page.get_by_role("heading", name="Motif spacing").first.wait_for(timeout=120_000)
    pick_model(page, "enhancer-activity_deepstarr")
    n_bg = only(page.get_by_role("spinbutton", name="Number of backgrounds"))
    n_bg.fill("500")
    n_bg.press("Enter")
    settle(page)
    seed = only(page.get_by_role("spinbutton", name="Seed"))   # new seed: never kept
    seed.fill(str(int(time.time()) % 100_000))
    seed.press("Enter")
    settle(page)
    page.get_by_role("button", name="Run experiment").click()
    page.get_by_text("Predicted").first.wait_for(timeout=120_000)
    started = time.perf_counter()
    page.get_by_role("button", name="Cancel").click()
    page.get_by_text("The spacing experiment was cancelled").wait_for(timeout=120_000)
    return time.perf_counter() - started


PASTE = "Sequences: raw (one per line) or FASTA, any case"


def open_page(page, title: str) -> None:
    """Open a page from the sidebar (keeps the session, unlike a new URL)."""
    page.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
    settle(page)


def pick_model(page, name: str) -> None:
    page.get_by_role("combobox", name="Active model").click(timeout=60_000)
    page.get_by_role("option", name=name).first.click()
    page.wait_for_timeout(1000)               # the rerun starts
    settle(page)


def pick_options(page, label: str, options) -> None:
    """Add ``options`` to the multiselect ``label`` (those already chosen are skipped)."""
    if not options:
        return
    chosen = page.locator("[data-testid='stMultiSelect']", has_text=label).first.inner_text()
    for option in (o for o in options if o not in chosen):
        page.get_by_role("combobox", name=label).click()
        page.get_by_role("option", name=option, exact=True).click()
        settle(page)
    page.keyboard.press("Escape")


def timed_click(page, button: str, first, done: str) -> tuple[float, float]:
    """Seconds from clicking the button whose name starts with ``button`` until the
    locator ``first`` (the first result) shows, and until the heading ``done`` (the last
    section) shows and the script run has finished."""
    started = time.perf_counter()
    page.get_by_role("button", name=re.compile("^" + re.escape(button))).click()
    first.first.wait_for(timeout=600_000)
    shown = time.perf_counter() - started
    page.get_by_role("heading", name=done).first.wait_for(timeout=600_000)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=600_000)
    return shown, time.perf_counter() - started


def library_seconds(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


class Analyses:
    """The three analyses, each on fresh input per call: ((first result s, whole page s),
    library s)."""

    SETTINGS = {"baseline": "zeros", "n_references": 10, "n_steps": 32,
                "hypothetical": False, "gradient_correction": False}   # the page's defaults
    METHODS = ("integrated_gradients", "deeplift_shap", "ism", "saliency", "input_x_gradient")

    def __init__(self):
        from regviz import checkpoints
        self.models = {name: checkpoints.load(checkpoints.SHIPPED_ROOT / name) for name in
                       ("enhancer-activity_deepstarr", "enhancer-4kb_decode",
                        "tf-binding_deepbind")}
        self.calls = 0

    def _sequence(self, length: int) -> str:
        from regviz import sequence
        self.calls += 1
        return sequence.random_sequences(1, length, 0.42, seed=int(time.time()) + self.calls)[0]

    def _explain(self, page, name: str, methods, length: int) -> tuple[float, float]:
        from regviz import attribution, sequence
        from regviz.ui.attribution import method_settings
        seq = self._sequence(length)
        field = only(page.get_by_label(PASTE)).element_handle()   # this very field
        field.fill(f">bench{self.calls}\n{seq}\n")
        field.press("Control+Enter")
        settle(page)
        page_s = timed_click(page, "Explain", page.get_by_test_id("stPlotlyChart"),
                             "In-silico mutagenesis")
        model, _ = self.models[name]
        X = sequence.one_hot([seq])
        lib_s = library_seconds(lambda: [attribution.attribute(
            model, X, m, 0, **method_settings(m, self.SETTINGS)) for m in methods])
        return page_s, lib_s

    def attribution(self, page) -> tuple[float, float]:
        return self._explain(page, "enhancer-activity_deepstarr", self.METHODS, 249)

    def ism_4kb(self, page) -> tuple[float, float]:
        return self._explain(page, "enhancer-4kb_decode", self.METHODS, 4000)

    def filters(self, page) -> tuple[float, float]:
        from regviz import filters
        from regviz.ui.filters import default_database
        self.calls += 1
        n = 2000 + self.calls                 # a count not analysed before: no kept result
        field = page.get_by_role("spinbutton", name="Sequences", exact=True)
        field.fill(str(n))
        field.press("Enter")
        settle(page)
        page_s = timed_click(page, "Analyze the filters",
                             page.get_by_text(re.compile("filters match a known motif")),
                             "One filter")
        model, card = self.models["tf-binding_deepbind"]

        def run():
            X, _, _ = filters.default_sequences(card, n)
            filters.analyze_filters(model, X, database=default_database(card),
                                    planted=card.planted_motifs, task_names=list(card.task_names))
        return page_s, library_seconds(run)


def measure_analyses(page, analyses: Analyses, repeats: int) -> dict:
    """{analysis: [(page s, library s), ...]} on one tab (session)."""
    out = {}
    for label, model, page_title, run, extra in (
            ("5 attribution methods, 249 bp (deepstarr)", "enhancer-activity_deepstarr",
             "Attribution", analyses.attribution, ("Saliency", "Input x gradient")),
            ("the same five with ISM at 4 kb (decode)", "enhancer-4kb_decode",
             "Attribution", analyses.ism_4kb, ()),
            ("filter analysis, 2,000+ sequences (deepbind)", "tf-binding_deepbind",
             "Filters", analyses.filters, ())):
        pick_model(page, model)
        open_page(page, page_title)
        pick_options(page, "Methods", extra)
        out[label] = [run(page) for _ in range(repeats)]
    return out


def start_training(page) -> None:
    """Start a long Basset job on chromatin-multitask from the Train page."""
    open_page(page, "Train")
    for label, option in (("Architecture", "Basset"), ("Set", "chromatin-multitask")):
        page.get_by_role("combobox", name=label).click()
        page.get_by_role("option", name=option, exact=True).click()
        settle(page)
    for label, value in (("Epochs (at most)", "200"), ("Early-stopping patience", "0")):
        field = page.get_by_role("spinbutton", name=label)
        field.fill(value)
        field.press("Enter")
        settle(page)
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("Device: CPU").first.wait_for(timeout=120_000)


def report_analyses(idle: dict, busy: dict) -> None:
    print("3. Analyses: median seconds from the click to the first result / to the whole "
          "page, the library call alone, and page / library; idle, then while a training "
          "job runs in the server")
    print(f"   {'analysis':<44} {'first':>5} {'page':>5} {'lib':>5} {'ratio':>5} | "
          f"{'first':>5} {'page':>5} {'lib':>5} {'ratio':>5} | page busy/idle")
    for label in idle:
        cols = []
        for runs in (idle[label], busy[label]):
            first = statistics.median(p[0] for p, _ in runs)
            whole = statistics.median(p[1] for p, _ in runs)
            lib = statistics.median(v for _, v in runs)
            cols.append(f"{first:5.2f} {whole:5.2f} {lib:5.2f} {whole / lib:5.2f}")
        ratio = (statistics.median(p[1] for p, _ in busy[label])
                 / statistics.median(p[1] for p, _ in idle[label]))
        print(f"   {label:<44} {cols[0]} | {cols[1]} | {ratio:5.2f}")


def first_renders_and_cancel(browser, page, url: str, repeats: int) -> None:
    first = first_render(page, url, *PAGES[0])
    print("1. First render (s), CPU threads of this machine:", os.cpu_count())
    print(f"   first visit after server start (home): {first:6.2f}")
    for path, title in PAGES:
        print(f"   {path or 'home':<16} {first_render(page, url, path, title):6.2f}")
    times = []
    for _ in range(repeats):       # a fresh tab (session) each time
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        times.append(cancel_latency(tab, url))
        tab.close()
    print(f"2. Cancel of a 500-background spacing experiment: median "
          f"{statistics.median(times):.2f} s (runs: " + ", ".join(f"{t:.2f}" for t in times)
          + ")")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=3, help="measurements of each kind")
    p.add_argument("--skip-pages", action="store_true", help="only part 3 (analyses)")
    args = p.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as cache:
        proc, url = start_app(cache, REGVIZ_AUTO_RUN_SECONDS="0")
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM, headless=True,
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                if not args.skip_pages:
                    first_renders_and_cancel(browser, page, url, args.repeats)
                analyses = Analyses()
                page.goto(url)
                settle(page)
                idle = measure_analyses(page, analyses, args.repeats)
                trainer = browser.new_page(viewport={"width": 1400, "height": 1000})
                trainer.goto(url)
                settle(trainer)
                start_training(trainer)
                busy = measure_analyses(page, analyses, args.repeats)
                trainer.get_by_role("button", name="Cancel this job").click()
                report_analyses(idle, busy)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
