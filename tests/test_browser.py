"""JupyterLab in a real browser: run notebook 05's explorer, move the noise slider, see the VarGrad
image change.

The browser runs the notebook's own cells that the explorer needs (imports, data and model, the
explorer itself), unchanged; the rest of notebook 05 is nbval's to run, and leaving it out keeps
it from competing with the slider for the two cores.

Needs Debian's Chromium at /usr/bin/chromium (.ci/run installs it; Playwright's own browser
download does not work here). Outside CI, a machine without it skips this test.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
# notebook 05's cells the explorer needs, each found by a line it holds
EXPLORER_CELLS = ("from gemlib.widgets import VarGradExplorer", "gems = card.load_data(", "VarGradExplorer(model,")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def jupyterlab(tmp_path, data_dir):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} missing under CI: .ci/run must apt-get install chromium")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    work = tmp_path / "lab"
    work.mkdir()
    nb = nbformat.read(REPO / "notebooks" / "05_vargrad.ipynb", as_version=4)
    nb.cells = [c for c in nb.cells if c.cell_type == "code" and any(k in c.source for k in EXPLORER_CELLS)]
    assert len(nb.cells) == len(EXPLORER_CELLS), f"notebook 05 no longer has one cell for each of {EXPLORER_CELLS}"
    nbformat.write(nb, work / "05_vargrad.ipynb")  # a copy: never touch the committed notebook
    port, token = _free_port(), secrets.token_hex(16)
    log = open(tmp_path / "jupyterlab.log", "w")
    env = dict(os.environ, GEMLIB_DATA_DIR=str(data_dir), JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"), TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
         "--allow-root", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5)
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"JupyterLab did not start: {(tmp_path / 'jupyterlab.log').read_text()[-2000:]}")
                time.sleep(1)
        yield url, token
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.mark.slow
def test_noise_slider_changes_the_vargrad_image(jupyterlab):
    from playwright.sync_api import sync_playwright

    url, token = jupyterlab
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/lab/tree/05_vargrad.ipynb?token={token}")
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=120_000)
            started = page.locator(".jp-InputPrompt", has_text=re.compile(r"\[(\*|\d+)\]")).first
            for _ in range(5):  # a Run All sent before the kernel is ready is lost: send it again
                page.wait_for_timeout(3000)
                page.get_by_role("menuitem", name="Run", exact=True).click()
                page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
                try:
                    started.wait_for(timeout=30_000)
                    break
                except Exception:
                    continue
            image = page.locator("img.widget-image").first
            image.wait_for(state="visible", timeout=900_000)
            caption = page.locator(".widget-html-content", has_text="σ =").first
            caption.wait_for(timeout=60_000)
            before_caption = caption.inner_text()
            image.scroll_into_view_if_needed()
            before = image.screenshot()
            slider = page.locator(".widget-slider", has=page.locator("label", has_text="noise")).first
            handle = slider.locator(".noUi-handle").first
            box = handle.bounding_box()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.mouse.down()
            page.mouse.move(box["x"] + box["width"] / 2 + 80, box["y"] + box["height"] / 2, steps=8)
            page.mouse.up()
            deadline = time.time() + 120
            after = before
            while after == before and time.time() < deadline:
                page.wait_for_timeout(1000)
                after = image.screenshot()
            assert after != before, "the VarGrad image did not change when the noise slider moved"
            assert caption.inner_text() != before_caption
            (REPO / "figures").mkdir(exist_ok=True)
            page.screenshot(path=str(REPO / "figures" / "jupyterlab_vargrad_slider.png"))
        finally:
            browser.close()
