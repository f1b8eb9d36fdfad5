"""The whole lesson in one Binder session, walked in a real browser as a learner walks it.

Usage: python benchmarks/binder_walk.py [notebooks/0*.ipynb ...] [--interval 0.5] [--limit 2.0e9] [--close-first]

Starts JupyterLab with the Binder image's settings (``jupyter-config/`` installed into a
temporary prefix by ``jupyter-config/install.py``, the environment of ``start``), on copies of
the notebooks (the committed files are not touched), and drives it with Playwright and Debian's
Chromium like a learner: open 01, Run All Cells, wait until every cell ran; open 02, run it,
close 01 (its tab: ``kernelShutdown`` must shut its kernel down); ... to the last notebook, which
is closed at the end. With ``--close-first`` the previous tab is closed before the next notebook
is opened, as the README asks of a Binder learner. A thread samples the memory of the Jupyter
server and every kernel together every ``--interval`` seconds: RSS, and PSS (each shared page
split between the processes that map it, so the sum counts TensorFlow's libraries once: the
figure closest to what Binder's 2 GB limit counts). Prints each notebook's run time and its
kernel's peak, the peak of the session's total and how many kernels were alive at that moment,
and whether any kernel died or was left running.

Exit status 1 if the total PSS passes ``--limit`` bytes (mybinder.org's 2 GB, decimal), a kernel
died or restarted, a cell did not run, a notebook was still running after ``--timeout`` seconds,
or a closed notebook's kernel kept running.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
RUNNING = re.compile(r"\[\*\]")


def start_environment() -> dict[str, str]:
    """This process's environment with Binder's ``start`` script applied (it ends in exec "$@")."""
    out = subprocess.run(["bash", str(REPO / "start"), "env", "-0"], capture_output=True, check=True).stdout
    return dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)


def install_settings(prefix: Path) -> None:
    spec = importlib.util.spec_from_file_location("install", REPO / "jupyter-config" / "install.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.install(prefix)


class Meter:
    """Sample the server and its kernels (all descendants) until stopped."""

    def __init__(self, server: psutil.Process, interval: float) -> None:
        self.server, self.interval = server, interval
        self.peak_pss = self.peak_rss = self.peak_kernels = 0
        self.kernel_peak: dict[str, int] = {}  # kernel id -> peak PSS
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            pss = rss = kernels = 0
            try:
                procs = [self.server, *self.server.children(recursive=True)]
            except psutil.Error:
                procs = []
            for proc in procs:
                try:
                    info = proc.memory_full_info()
                    cmd = " ".join(proc.cmdline())
                except psutil.Error:
                    continue
                pss, rss = pss + info.pss, rss + info.rss
                found = re.search(r"kernel-([0-9a-f-]{36})\.json", cmd)
                if found:
                    kernels += 1
                    kid = found.group(1)
                    self.kernel_peak[kid] = max(self.kernel_peak.get(kid, 0), info.pss)
            if pss > self.peak_pss:
                self.peak_pss, self.peak_kernels = pss, kernels
            self.peak_rss = max(self.peak_rss, rss)
            self._stop.wait(self.interval)

    def total_pss(self) -> int:
        """PSS of the server and its descendants now (a process exiting meanwhile counts 0)."""
        try:
            procs = [self.server, *self.server.children(recursive=True)]
        except psutil.Error:
            return 0
        total = 0
        for proc in procs:
            try:
                total += proc.memory_full_info().pss
            except psutil.Error:
                continue
        return total

    def __enter__(self) -> "Meter":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


class Lab:
    """A JupyterLab server with the Binder settings, on a copy of the notebooks."""

    def __init__(self, work: Path, notebooks: list[Path], settings: bool = True) -> None:
        self.work = work
        (work / "lab").mkdir()
        for path in notebooks:
            shutil.copy(path, work / "lab" / path.name)
        if settings:
            install_settings(work / "prefix")
        self.port, self.token = _free_port(), secrets.token_hex(16)
        env = start_environment()
        env.update(JUPYTER_CONFIG_DIR=str(work / "cfg"), JUPYTER_RUNTIME_DIR=str(work / "rt"),
                   JUPYTER_CONFIG_PATH=str(work / "prefix/etc/jupyter"),
                   JUPYTERLAB_SETTINGS_DIR=str(work / "user-settings"),
                   JUPYTERLAB_WORKSPACES_DIR=str(work / "workspaces"))
        self.log = open(work / "jupyterlab.log", "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
             f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={work / 'lab'}",
             f"--LabApp.app_settings_dir={work / 'prefix/share/jupyter/lab/settings'}",
             "--allow-root", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 180
        while True:
            try:
                self.api("status")
                break
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"JupyterLab did not start: {(work / 'jupyterlab.log').read_text()[-2000:]}")
                time.sleep(1)

    def api(self, route: str):
        with urllib.request.urlopen(f"{self.url}/api/{route}?token={self.token}", timeout=10) as r:
            return json.loads(r.read())

    def sessions(self) -> dict[str, dict]:
        """Notebook name -> its kernel (id, execution_state)."""
        return {Path(s["path"]).name: s["kernel"] for s in self.api("sessions") if s.get("kernel")}

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prompts(panel) -> list[str]:
    """Every code cell's prompt ("[12]:", "[*]:", "[ ]:"), also of cells scrolled out of view
    (textContent: JupyterLab does not lay out cells off screen, so their innerText is empty)."""
    return panel.locator(".jp-CodeCell .jp-InputPrompt").evaluate_all("els => els.map(e => e.textContent)")


def run_all(page, lab: Lab, name: str, timeout: float) -> tuple[float, int, str, bool]:
    """Open a notebook from the file browser, Run All Cells, wait until done or ``timeout``.

    Returns the seconds, the number of code cells left unrun (``[ ]`` or still ``[*]``), the
    kernel id, and whether it finished before the timeout."""
    page.locator(".jp-DirListing-itemName", has_text=name).first.dblclick()
    panel = page.locator(".jp-NotebookPanel:has(.jp-Notebook):visible").last
    panel.locator(".jp-Cell").first.wait_for(timeout=120_000)
    start = time.perf_counter()
    kernel = ""
    for _ in range(10):  # a Run All sent before the kernel is ready is lost: send it again
        page.wait_for_timeout(3000)
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        try:
            panel.locator(".jp-InputPrompt", has_text=re.compile(r"\[(\*|\d+)\]")).first.wait_for(timeout=30_000)
            break
        except Exception:
            continue
    idle_since, finished = None, False
    while time.perf_counter() - start < timeout:
        page.wait_for_timeout(1000)
        kernel_info = lab.sessions().get(name, {})
        kernel = kernel_info.get("id", kernel)
        busy = kernel_info.get("execution_state") != "idle" or any(RUNNING.search(t) for t in _prompts(panel))
        if busy:
            idle_since = None
        elif idle_since is None:
            idle_since = time.perf_counter()
        elif time.perf_counter() - idle_since > 5:
            finished = True
            break
    # "[ ]:" never ran, "[*]:" still runs or waits; a cell whose input is hidden (the exercises'
    # solutions) shows no prompt
    unrun = sum(1 for t in _prompts(panel) if re.search(r"\[\s*\]", t) or RUNNING.search(t))
    return time.perf_counter() - start - (5 if finished else 0), unrun, kernel, finished


def close_tab(page, name: str) -> None:
    """Close a notebook's tab as a learner does (its close icon); discard unsaved changes."""
    tab = page.locator(".jp-mod-current.lm-DockPanel-tabBar .lm-TabBar-tab, .lm-DockPanel-tabBar .lm-TabBar-tab",
                       has_text=name).first
    tab.locator(".lm-TabBar-tabCloseIcon").click()
    dialog = page.locator(".jp-Dialog")
    try:
        dialog.wait_for(timeout=5000)
        dialog.get_by_role("button", name=re.compile(r"Discard|Don.t Save", re.I)).click()
    except Exception:
        pass


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("notebooks", nargs="*", type=Path)
    p.add_argument("--interval", type=float, default=0.5, help="seconds between memory samples")
    p.add_argument("--limit", type=float, default=2.0e9, help="bytes the session may hold (Binder: 2 GB)")
    p.add_argument("--timeout", type=float, default=3600, help="seconds one notebook may run")
    p.add_argument("--close-first", action="store_true",
                   help="close the previous notebook's tab before opening the next (as the README asks)")
    p.add_argument("--default-settings", action="store_true",
                   help="leave jupyter-config/ out (JupyterLab's defaults), to compare")
    a = p.parse_args()
    paths = a.notebooks or sorted((REPO / "notebooks").glob("0*.ipynb"))
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    gib, problems, kernels = 2.0**30, [], {}
    work = Path(tempfile.mkdtemp(prefix="binder_walk_"))
    lab = Lab(work, paths, settings=not a.default_settings)
    settings = "JupyterLab's default settings" if a.default_settings else "jupyter-config/"
    print(f"machine: {os.cpu_count()} CPUs; JupyterLab with {settings} and start's environment; "
          f"samples every {a.interval} s", flush=True)
    print(f"{'notebook':32s} {'run all':>8s} {'kernel peak PSS':>16s}  after it: kernels, session PSS", flush=True)
    try:
        with sync_playwright() as pw, Meter(psutil.Process(lab.proc.pid), a.interval) as meter:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{lab.url}/lab?token={lab.token}")
            page.locator(".jp-DirListing-itemName").first.wait_for(timeout=180_000)
            names = [path.name for path in paths]
            for i, name in enumerate(names):
                if a.close_first and i > 0:
                    close_tab(page, names[i - 1])
                    page.wait_for_timeout(5000)
                seconds, unrun, kernels[name], finished = run_all(page, lab, name, a.timeout)
                if not finished:
                    problems.append(f"{name}: still running after {a.timeout:.0f} s")
                if unrun:
                    problems.append(f"{name}: {unrun} code cells did not run")
                if i > 0:
                    if not a.close_first:
                        close_tab(page, names[i - 1])
                    page.wait_for_timeout(5000)
                    if kernels[names[i - 1]] in {k["id"] for k in lab.api("kernels")}:
                        problems.append(f"closing {names[i - 1]} left its kernel running")
                alive = lab.api("kernels")
                total = meter.total_pss()
                peak = meter.kernel_peak.get(kernels[name], 0)
                print(f"{name:32s} {seconds:6.0f} s {peak / gib:12.2f} GiB  {len(alive)} kernel(s), "
                      f"{total / gib:.2f} GiB", flush=True)
            close_tab(page, names[-1])
            page.wait_for_timeout(5000)
            left = lab.api("kernels")
            if left:
                problems.append(f"{len(left)} kernel(s) left running after every tab was closed")
            browser.close()
        log = (work / "jupyterlab.log").read_text()
        died = re.findall(r".*(?:restarting|died|dead).*", log, re.I)
        problems += [f"server log: {line.strip()[:160]}" for line in died]
    finally:
        lab.close()
    print(f"session peak: {meter.peak_pss / gib:.2f} GiB PSS ({meter.peak_pss / 1e9:.2f} GB; RSS summed "
          f"{meter.peak_rss / gib:.2f} GiB), {meter.peak_kernels} kernel(s) alive at the peak; "
          f"limit {a.limit / 1e9:.2f} GB", flush=True)
    if meter.peak_pss > a.limit:
        problems.append(f"the session passed {a.limit / 1e9:.2f} GB")
    for problem in problems:
        print("PROBLEM:", problem)
    print("fits Binder: " + ("no" if problems else "yes"))
    shutil.rmtree(work, ignore_errors=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
