"""Manifests: the relative path and SHA-256 of every file of a dataset's reference copy.

The lesson's stored outputs and shipped models come from one copy of each dataset. A manifest
(``gemlib/manifests/<name>.csv.gz``) lists that copy's files, so any copy on disk can be checked
against it and told apart in one line: a download from Kaggle, an older release, a copy with a
file missing or changed.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from gemlib.data import DataError

#: Folder of the shipped manifests.
MANIFEST_DIR = Path(__file__).resolve().parent / "manifests"


def sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def build_manifest(root: str | os.PathLike, workers: int = 4) -> pd.DataFrame:
    """Every file under ``root`` (hidden files left out), sorted: columns ``path``, ``sha256``.

    Paths are relative to ``root``, with ``/`` separators.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: folder not found; give the dataset root.")
    files = sorted(
        p for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    with ThreadPoolExecutor(max_workers=workers) as pool:
        digests = list(pool.map(sha256, files))
    return pd.DataFrame({"path": [p.relative_to(root).as_posix() for p in files], "sha256": digests})


def manifest_path(name: str) -> Path:
    """Where the shipped manifest of dataset ``name`` lives."""
    return MANIFEST_DIR / f"{name}.csv.gz"


def read_manifest(name_or_path: str | os.PathLike) -> pd.DataFrame:
    """A shipped manifest by dataset name, or a manifest file by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = manifest_path(str(name_or_path))
    if not path.is_file():
        raise DataError(f"{path}: manifest not found; reinstall gemlib (pip install -e .).")
    return pd.read_csv(path, dtype=str)


def write_manifest(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a manifest (gzip CSV when the name ends in ``.gz``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False, compression={"method": "gzip", "mtime": 0} if path.suffix == ".gz" else None)
    return path


@dataclass(frozen=True)
class Comparison:
    """How a copy differs from a manifest (lists of relative paths)."""

    n_reference: int
    missing: list[str]
    extra: list[str]
    changed: list[str]

    @property
    def matches(self) -> bool:
        """True when the copy holds exactly the reference files, byte for byte."""
        return not (self.missing or self.extra or self.changed)

    def summary(self) -> str:
        """One line: matches, or the counts of missing, extra and changed files with an example."""
        if self.matches:
            return f"matches the reference copy ({self.n_reference:,} files)"
        parts = [
            f"{len(files):,} {what} (e.g. {files[0]})"
            for what, files in (("missing", self.missing), ("extra", self.extra),
                                ("changed", self.changed)) if files
        ]
        return f"differs from the reference copy of {self.n_reference:,} files: " + ", ".join(parts)


def compare(root: str | os.PathLike, reference: pd.DataFrame) -> Comparison:
    """Compare the copy under ``root`` with a manifest.

    Parameters
    ----------
    root : path
        Dataset root on disk.
    reference : pandas.DataFrame
        A manifest (``path``, ``sha256``).

    Returns
    -------
    Comparison
    """
    here = build_manifest(root)
    ref = dict(zip(reference["path"], reference["sha256"]))
    got = dict(zip(here["path"], here["sha256"]))
    return Comparison(
        n_reference=len(ref),
        missing=sorted(set(ref) - set(got)),
        extra=sorted(set(got) - set(ref)),
        changed=sorted(p for p in set(ref) & set(got) if ref[p] != got[p]),
    )


def check(name: str, root: str | os.PathLike) -> Comparison:
    """Compare a copy of dataset ``name`` with its shipped manifest."""
    return compare(root, read_manifest(name))
