"""Shared fixtures: tiny synthetic datasets and the real data (a loud failure under CI)."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
REPO = Path(__file__).resolve().parent.parent


def real_data_dir() -> Path | None:
    """Folder holding gemstones/ and architecture/, found as the library finds them.

    ``$GEMLIB_DATA_DIR``, then ``data/`` (where ``make all`` puts them), by
    :func:`gemlib.data.find_dataset`; last the shared copy beside the clone (``../shared/data``).
    """
    from gemlib.data import find_dataset

    shared = REPO.parent / "shared" / "data"
    roots = [find_dataset(name, also=(shared / name,)) for name in ("gemstones", "architecture")]
    if None in roots:
        return None
    if roots[0].parent != roots[1].parent:
        pytest.fail(f"the datasets lie in two folders ({roots[0]}, {roots[1]}): keep both in one, "
                    "or set GEMLIB_DATA_DIR to a folder holding gemstones/ and architecture/")
    return roots[0].parent


@pytest.fixture(scope="session")
def data_dir() -> Path:
    found = real_data_dir()
    if found is None:
        msg = "real datasets not found: set GEMLIB_DATA_DIR to a folder holding gemstones/ and architecture/"
        if os.environ.get("CI"):
            pytest.fail(msg + " (CI must have them)")
        pytest.skip(msg)
    os.environ["GEMLIB_DATA_DIR"] = str(found)
    return found


def solid(colour: tuple[int, int, int], size: int = 24, mode: str = "RGB", seed: int = 0) -> Image.Image:
    """A small image of one colour with a little noise, converted to ``mode``."""
    rng = np.random.default_rng(seed)
    arr = np.clip(np.array(colour)[None, None] + rng.integers(-10, 10, (size, size, 3)), 0, 255)
    return Image.fromarray(arr.astype(np.uint8)).convert(mode)


COLOURS = {"Red": (220, 30, 30), "Green": (30, 200, 40), "Blue": (30, 40, 220)}


def make_dataset(root: Path, n_train: int = 10, n_test: int = 3, split: bool = True) -> Path:
    """A three-class dataset of coloured squares, with or without train/test folders."""
    for name, colour in COLOURS.items():
        splits = [("train", n_train), ("test", n_test)] if split else [("", n_train + n_test)]
        for s, n in splits:
            d = root / s / name if s else root / name
            d.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                solid(colour, seed=zlib.crc32(f"{s}{name}{i}".encode())).save(d / f"{name.lower()}_{i}.jpg", quality=95)
    return root


@pytest.fixture()
def tiny(tmp_path: Path) -> Path:
    """Three-class train/test dataset of 24 px coloured squares."""
    return make_dataset(tmp_path / "tiny")
