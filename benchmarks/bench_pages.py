"""What a user waits for in the browser: each page's first render, and how fast Cancel
stops a long experiment.

Starts the app (streamlit, a free port, a fresh cache folder), drives Debian's chromium
with Playwright, and prints:

1. first render of every page: seconds from navigation until the page's title shows
   (the first visit after the server starts is reported separately: it also imports the
   heavy modules once);
2. cancel latency: a Motif spacing experiment with 500 backgrounds (about 110,000
   predictions) is started on the shipped deepstarr, Cancel is clicked once progress
   shows, and the time until the page says it was cancelled is measured (repeated).

Run: ``.venv/bin/python benchmarks/bench_pages.py [--repeats 3]``
"""

from __future__ import annotations

import argparse
import os
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
PAGES = [("", "regviz"), ("sequences", "Sequences"), ("attribution", "Attribution"),
         ("gradcam", "Grad-CAM: locating core enhancers"), ("filters", "Filters"),
         ("spacing", "Motif spacing"), ("concepts", "Concepts"), ("models", "Model zoo"),
         ("data", "Datasets"), ("train", "Train a model"), ("card", "Model card"),
         ("import_model", "Import a published model")]


def start_app(cache: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=dict(os.environ, REGVIZ_CACHE=cache, REGVIZ_RUNS=f"{cache}/runs"),
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


def cancel_latency(page, url: str) -> float:
    page.goto(f"{url}/spacing")
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.locator("[data-testid='stSelectbox']").first.click(timeout=60_000)
    page.get_by_role("option", name="enhancer-activity_deepstarr").first.click()
    settle(page)
    n_bg = page.get_by_label("Number of backgrounds")
    n_bg.wait_for(timeout=120_000)
    n_bg.fill("500")
    n_bg.press("Enter")
    settle(page)
    seed = page.get_by_label("Seed")       # a new seed: never a kept result
    seed.fill(str(int(time.time()) % 100_000))
    seed.press("Enter")
    settle(page)
    page.get_by_role("button", name="Run experiment").click()
    page.get_by_text("Predicted").first.wait_for(timeout=120_000)
    started = time.perf_counter()
    page.get_by_role("button", name="Cancel").click()
    page.get_by_text("The spacing experiment was cancelled").wait_for(timeout=120_000)
    return time.perf_counter() - started


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=3, help="cancel measurements")
    args = p.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as cache:
        proc, url = start_app(cache)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM, headless=True,
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                first = first_render(page, url, *PAGES[0])
                print("1. First render (s), CPU threads of this machine:", os.cpu_count())
                print(f"   first visit after server start (home): {first:6.2f}")
                for path, title in PAGES:
                    print(f"   {path or 'home':<16} {first_render(page, url, path, title):6.2f}")
                times = []
                for _ in range(args.repeats):       # a fresh tab (session) each time
                    tab = browser.new_page(viewport={"width": 1400, "height": 1000})
                    times.append(cancel_latency(tab, url))
                    tab.close()
                print(f"2. Cancel of a 500-background spacing experiment: median "
                      f"{statistics.median(times):.2f} s (runs: "
                      + ", ".join(f"{t:.2f}" for t in times) + ")")
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
