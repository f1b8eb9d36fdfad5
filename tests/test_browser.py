"""JupyterLab in a real browser: run the VarGrad explorer, move the noise slider and see the image
change; upload a photo and see the top-5 chart and map appear, a broken file and see its one-line
message, then a good photo again.

The browser runs a small notebook this test writes (imports, the model with its card, features
and a few test photos, the explorer), so the test does not depend on notebook 05's cells; nbval
runs notebook 05 itself, and leaving the rest out keeps it from competing for the two cores.

Needs Debian's Chromium at /usr/bin/chromium (.ci/run installs it; Playwright's own browser
download does not work here). Outside CI, a machine without it skips this test.
"""

from __future__ import annotations

import json
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
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NOTEBOOK = "explorer.ipynb"
# the cells a learner would run: what the explorer needs, and the explorer
CELLS = [
    "from gemlib import card, data\nfrom gemlib.widgets import ModelChoice, VarGradExplorer",
    'model_path = data.PROJECT_ROOT / "models" / "gemstones.keras"\n'
    "gems = card.load_data(card.load_card(model_path))\n"
    "images, labels = gems.test.images[:4], gems.test.labels[:4]",
    "VarGradExplorer.from_models([\n"
    "    ModelChoice.from_path(model_path, images, [f\"{i}: {gems.classes[t]}\" for i, t in enumerate(labels)]),\n"
    '    ModelChoice.from_path(data.PROJECT_ROOT / "models" / "architecture_scratch.keras"),\n'
    "])",
]


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
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, work / NOTEBOOK)
    port, token = _free_port(), secrets.token_hex(16)
    log = open(tmp_path / "jupyterlab.log", "w")
    env = dict(os.environ, GEMLIB_DATA_DIR=str(data_dir), JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"), TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
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


def _changed(page, locator, before: bytes, seconds: float = 180) -> bytes:
    """Screenshots of ``locator`` until it differs from ``before`` (or time runs out)."""
    deadline = time.time() + seconds
    after = before
    while after == before and time.time() < deadline:
        page.wait_for_timeout(1000)
        after = locator.screenshot()
    return after


def _upload(page, files) -> None:
    """Choose ``files`` in the dialog the upload button opens (its file input is not in the page)."""
    with page.expect_file_chooser(timeout=60_000) as chooser:
        page.locator(".gemlib-upload").first.click()
    chooser.value.set_files(files)


@pytest.mark.slow
def test_explorer_slider_and_upload_in_jupyterlab(jupyterlab, data_dir):
    from playwright.sync_api import sync_playwright

    url, token = jupyterlab
    card = json.loads((REPO / "models" / "gemstones.json").read_text())
    photo = data_dir / "gemstones" / card["train_files"][0]  # a real photo, uploaded as a learner would
    other = data_dir / "gemstones" / card["train_files"][-1]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1400})
            page.goto(f"{url}/lab/tree/{NOTEBOOK}?token={token}")
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
            image = page.locator(".gemlib-map img, img.gemlib-map").first
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
            after = _changed(page, image, before)
            assert after != before, "the VarGrad image did not change when the noise slider moved"
            assert caption.inner_text() != before_caption

            top5 = page.locator(".gemlib-top5 img, img.gemlib-top5").first
            top5_before = top5.screenshot()
            _upload(page, str(photo))
            chooser = page.locator("select", has=page.locator("option", has_text="your photo")).first
            chooser.wait_for(timeout=300_000)
            assert photo.name in chooser.locator("option:checked").inner_text()
            assert _changed(page, top5, top5_before) != top5_before, "no top-5 chart for the upload"
            map_upload = _changed(page, image, after)
            assert map_upload != after, "no VarGrad map for the upload"

            message = page.locator(".gemlib-message").first
            _upload(page, [{"name": "broken.jpg", "mimeType": "image/jpeg", "buffer": photo.read_bytes()[:300]}])
            page.get_by_text(re.compile(r"broken\.jpg: .*truncated")).wait_for(timeout=120_000)
            assert message.inner_text().count("\n") == 0

            _upload(page, str(other))  # the explorer is still usable
            page.locator("option:checked", has_text=other.name).wait_for(state="attached", timeout=300_000)
            deadline = time.time() + 300
            while "broken.jpg" in message.inner_text() and time.time() < deadline:
                page.wait_for_timeout(1000)
            assert "broken.jpg" not in message.inner_text(), "the error stayed after a good upload"
            assert _changed(page, image, map_upload) != map_upload
            (REPO / "figures").mkdir(exist_ok=True)
            page.screenshot(path=str(REPO / "figures" / "jupyterlab_vargrad_slider.png"))
        finally:
            browser.close()
