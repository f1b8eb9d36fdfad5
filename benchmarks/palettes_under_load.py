"""Time notebook 01's class palettes (k-means per class) with k-means' default threads and with one,
on idle cores and while other processes keep every core busy (as pytest's second worker, or a
second notebook of ``make all``, does).

Usage: python benchmarks/palettes_under_load.py [--size 64] [--repeats 3]

Prints the median time of each and the ratio default / one thread. The busy processes are plain
Python loops, one per core.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from gemlib import colour, data  # noqa: E402


def _spin() -> None:
    while True:
        pass


def _median_seconds(images, labels, classes, threads: int | None, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        colour.class_palettes(images, labels, classes, k=5, threads=threads)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--size", type=int, default=64, help="image size, as notebook 01 loads it")
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    gems = data.load_dataset("gemstones", image_size=a.size, val_fraction=0.1, splits=("train",))
    x, y = gems.train.images, gems.train.labels
    print(f"class palettes of {len(gems.classes)} classes ({len(x)} photos at {a.size} px), "
          f"{os.cpu_count()} cores, median of {a.repeats}")
    for load in ("idle cores", "every core busy"):
        busy = [mp.Process(target=_spin, daemon=True) for _ in range(os.cpu_count() or 1)] if load != "idle cores" else []
        for proc in busy:
            proc.start()
        try:
            default = _median_seconds(x, y, gems.classes, threads=None, repeats=a.repeats)
            single = _median_seconds(x, y, gems.classes, threads=1, repeats=a.repeats)
        finally:
            for proc in busy:
                proc.terminate()
        print(f"{load:16s}: default threads {default:6.2f} s   one thread {single:6.2f} s   "
              f"default / one = {default / single:.2f}")


if __name__ == "__main__":
    main()
