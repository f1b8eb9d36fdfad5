"""Peak memory and wall time of every notebook's kernel, as a reader's Binder session runs it.

Usage: python benchmarks/notebook_memory.py [notebooks/0*.ipynb ...] [--interval 0.1] [--cells]
       [--no-start]

Each notebook is executed top to bottom in a fresh kernel (a copy; the committed file is not
touched) while a thread samples the kernel process's resident memory (RSS). The kernels get the
environment Binder's ``start`` script sets (threads, malloc arenas; ``--no-start``: this
process's environment only). The baseline is the same kind of kernel after the lesson's imports
only (``from gemlib import ...``, which loads TensorFlow): what any notebook costs before it
does anything. Prints, per notebook, the peak RSS, its ratio to the baseline, the RSS when its
last cell had run (what a finished notebook's kernel keeps while the next one runs), and whether it
fits the budget for one kernel: 0.9 GiB, so that two notebooks' kernels and the Jupyter server
fit in the 2 GB a mybinder.org session gets (TensorFlow's libraries, about 0.35 GiB of each
kernel's RSS, are shared between kernels; ``benchmarks/binder_walk.py`` measures the whole
session). With ``--cells``, also the peak while each code cell ran, to find the cell that sets a
notebook's peak.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parent.parent
BUDGET_GIB = 0.9
BASELINE_SOURCE = "%matplotlib inline\nfrom gemlib import card, data, evaluate, explain, plots"


class PeakRSS:
    """Sample the summed RSS of this process's kernel children until stopped."""

    def __init__(self, interval: float) -> None:
        self.interval, self.peak, self.last, self._stop = interval, 0, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for child in me.children(recursive=True):
                try:
                    if "ipykernel" in " ".join(child.cmdline()):
                        total += child.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self.last = total or self.last  # the kernel's memory when it last ran (before shutdown)
            time.sleep(self.interval)

    def __enter__(self) -> "PeakRSS":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def run(nb: nbformat.NotebookNode, cwd: Path, interval: float, cells: bool = False) -> tuple[int, int, float]:
    """Execute a notebook; return its kernel's peak RSS and its RSS at the end (bytes), and the
    wall time (s).

    With ``cells``, print the peak while each code cell ran."""
    client = NotebookClient(nb, timeout=3600, kernel_name="python3", resources={"metadata": {"path": str(cwd)}})
    start = time.perf_counter()
    with PeakRSS(interval) as meter:
        if not cells:
            client.execute()
        else:
            with client.setup_kernel():
                for index, cell in enumerate(nb.cells):
                    if cell.cell_type != "code":
                        continue
                    with PeakRSS(interval) as cell_meter:
                        client.execute_cell(cell, index)
                    first_line = (cell.source.splitlines() or [""])[0][:60]
                    print(f"  cell {index:3d} {cell_meter.peak / 2.0**30:5.2f} G  {first_line}", flush=True)
    return meter.peak, meter.last, time.perf_counter() - start


def start_environment() -> dict[str, str]:
    """This process's environment with Binder's ``start`` script applied (it ends in exec "$@")."""
    out = subprocess.run(["bash", str(REPO / "start"), "env", "-0"], capture_output=True, check=True).stdout
    return dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("notebooks", nargs="*", type=Path)
    p.add_argument("--interval", type=float, default=0.1, help="seconds between memory samples")
    p.add_argument("--cells", action="store_true", help="also print each code cell's peak")
    p.add_argument("--no-start", action="store_true", help="leave out the environment of Binder's start")
    a = p.parse_args()
    if not a.no_start:  # kernels inherit this process's environment
        os.environ.update(start_environment())
    paths = a.notebooks or sorted((REPO / "notebooks").glob("0*.ipynb"))
    gib = 2.0**30
    base_nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(BASELINE_SOURCE)])
    base, base_end, base_s = run(base_nb, REPO / "notebooks", a.interval)
    env = "this environment" if a.no_start else "start's environment"
    print(f"machine: {os.cpu_count()} CPUs; kernel budget {BUDGET_GIB} GiB; {env}; samples every {a.interval} s")
    print(f"{'notebook':32s} {'peak RSS':>9s} {'ratio':>6s} {'at end':>7s} {'wall':>7s}  fits")
    print(f"{'baseline (imports only)':32s} {base / gib:7.2f} G {1.0:6.2f} {base_end / gib:5.2f} G {base_s:6.0f} s")
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        peak, end, seconds = run(nb, path.parent, a.interval, a.cells)
        fits = "yes" if peak <= BUDGET_GIB * gib else "NO"
        print(f"{path.name:32s} {peak / gib:7.2f} G {peak / base:6.2f} {end / gib:5.2f} G {seconds:6.0f} s  {fits}",
              flush=True)


if __name__ == "__main__":
    main()
