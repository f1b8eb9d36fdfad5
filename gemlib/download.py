"""Downloading the datasets from Kaggle, safely.

A download lands in a temporary folder beside its destination, is verified,
and only then renamed into place, so an interrupted download never leaves half
a dataset where a whole one is expected.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from tqdm.auto import tqdm

from gemlib.data import PROJECT_ROOT, DataError, DatasetSpec, spec

HELP = (
    "Either put a copy of the data in a folder and set GEMLIB_DATA_DIR to it "
    "(it must hold '{name}/'), or give Kaggle credentials: download kaggle.json from "
    "https://www.kaggle.com/settings (API, 'Create New Token') into ~/.kaggle/kaggle.json "
    "or set KAGGLE_USERNAME and KAGGLE_KEY."
)


def kaggle_credentials() -> bool:
    """True when the ``kaggle`` package would find credentials."""
    if os.environ.get("KAGGLE_USERNAME") and os.environ.get("KAGGLE_KEY"):
        return True
    if os.environ.get("KAGGLE_API_TOKEN"):
        return True
    config = Path(os.environ.get("KAGGLE_CONFIG_DIR", Path.home() / ".kaggle"))
    return (config / "kaggle.json").is_file() or (config / "access_token").is_file()


def _class_dirs(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "__"))]


def find_root(folder: Path, dataset: DatasetSpec, max_depth: int = 3) -> Path:
    """Locate the dataset root inside an unpacked download.

    Parameters
    ----------
    folder : pathlib.Path
        Where the archive was unpacked.
    dataset : DatasetSpec
        What to look for: ``train/`` and ``test/``, or ``n_classes`` class folders.
    max_depth : int
        How deep to search.

    Returns
    -------
    pathlib.Path
    """
    frontier = [folder]
    for _ in range(max_depth + 1):
        nxt = []
        for d in frontier:
            if dataset.has_split and (d / "train").is_dir() and (d / "test").is_dir():
                return d
            subdirs = _class_dirs(d)
            if not dataset.has_split and len(subdirs) >= dataset.n_classes:
                return d
            nxt.extend(subdirs)
        frontier = nxt
    raise DataError(
        f"{folder}: the download does not look like '{dataset.name}' "
        f"({'train/ and test/ folders' if dataset.has_split else f'{dataset.n_classes} class folders'} "
        "not found); delete it and download again."
    )


def verify(root: Path, dataset: DatasetSpec) -> None:
    """Check class folder counts and that no class folder is empty; raise :class:`DataError`."""
    folders = [root / "train", root / "test"] if dataset.has_split else [root]
    for f in folders:
        classes = _class_dirs(f)
        if len(classes) != dataset.n_classes:
            raise DataError(
                f"{f}: found {len(classes)} class folders, expected {dataset.n_classes}; "
                "the download is incomplete, delete it and download again."
            )
        empty = sorted(c.name for c in classes if not any(c.iterdir()))
        if empty:
            raise DataError(f"{f}: empty class folders {empty}; the download is incomplete.")


def _move_into_place(root: Path, dest: Path, staging: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        raise DataError(f"{dest}: already exists; delete it first to download again.")
    os.replace(root, dest)
    shutil.rmtree(staging, ignore_errors=True)
    return dest


def install_archive(archive: str | os.PathLike, dest: str | os.PathLike, name: str) -> Path:
    """Unpack a Kaggle zip into a staging folder, verify, then move it to ``dest``.

    Parameters
    ----------
    archive : path
        The ``.zip`` Kaggle serves.
    dest : path
        Final dataset root (must not exist yet).
    name : str
        Dataset name, for the layout to verify.

    Returns
    -------
    pathlib.Path
        ``dest``.
    """
    dataset = spec(name)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.partial-", dir=dest.parent))
    try:
        try:
            with zipfile.ZipFile(archive) as zf:
                for member in tqdm(zf.infolist(), desc=f"unpacking {name}", unit="file"):
                    zf.extract(member, staging)
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise DataError(f"{archive}: broken or truncated archive ({exc}); download it again.") from exc
        root = find_root(staging, dataset)
        verify(root, dataset)
        return _move_into_place(root, dest, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def install_tree(source: str | os.PathLike, dest: str | os.PathLike, name: str) -> Path:
    """Copy an unpacked download (kagglehub's cache) into place, verified, via staging."""
    dataset = spec(name)
    dest = Path(dest)
    root = find_root(Path(source), dataset)
    verify(root, dataset)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.partial-", dir=dest.parent))
    try:
        shutil.copytree(root, staging / "root")
        return _move_into_place(staging / "root", dest, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def download(name: str, dest: str | os.PathLike | None = None, method: str = "auto") -> Path:
    """Download a dataset from Kaggle into ``dest`` (default ``data/<name>``).

    Parameters
    ----------
    name : str
        ``"gemstones"`` or ``"architecture"``.
    dest : path, optional
        Final dataset root.
    method : {"auto", "kaggle", "kagglehub"}
        ``auto`` uses the ``kaggle`` package when credentials exist, else
        ``kagglehub`` (public datasets need no credentials).

    Returns
    -------
    pathlib.Path
        The dataset root.
    """
    dataset = spec(name)
    dest = Path(dest) if dest is not None else PROJECT_ROOT / "data" / name
    if method == "auto":
        method = "kaggle" if kaggle_credentials() else "kagglehub"
    print(f"[gemlib] downloading {dataset.kaggle_ref} with {method} into {dest} ...", flush=True)
    try:
        if method == "kaggle":
            if not kaggle_credentials():
                raise DataError("no Kaggle credentials found. " + HELP.format(name=name))
            from kaggle.api.kaggle_api_extended import KaggleApi

            api = KaggleApi()
            api.authenticate()
            with tempfile.TemporaryDirectory(dir=dest.parent if dest.parent.exists() else None) as tmp:
                api.dataset_download_files(dataset.kaggle_ref, path=tmp, unzip=False, quiet=False)
                archive = next(Path(tmp).glob("*.zip"))
                return install_archive(archive, dest, name)
        if method == "kagglehub":
            import kagglehub

            folder = kagglehub.dataset_download(dataset.kaggle_ref)
            return install_tree(folder, dest, name)
        raise DataError(f"unknown download method {method!r}: use auto, kaggle or kagglehub.")
    except DataError:
        raise
    except Exception as exc:  # network, HTTP and auth errors from either client
        raise DataError(
            f"could not download {dataset.kaggle_ref} ({type(exc).__name__}: {exc}). "
            "Check the network connection. " + HELP.format(name=name)
        ) from exc
