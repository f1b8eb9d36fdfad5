"""Downloading the datasets, safely, into the form the lesson uses.

A download lands in a temporary folder beside its destination, is verified,
and only then renamed into place, so an interrupted download never leaves half
a dataset where a whole one is expected.

Architecture: by default the lesson's reference copy itself (greyscale, 128 px, 8,836 files),
fetched over HTTPS as a pinned archive of its public source and checked file by file against
the shipped manifest (:mod:`gemlib.manifest`). The Kaggle release can be had instead; it is
turned into the lesson's form (greyscale, 128 x 128), but it holds other photos, so the
notebooks' numbers will differ from the stored ones. Gemstones: the Kaggle release, checked
against its manifest.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.error
import urllib.request
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from PIL import Image
from tqdm.auto import tqdm

from gemlib import manifest
from gemlib.data import (DATA_ENV, IMAGE_SUFFIXES, PROJECT_ROOT, DataError, DatasetSpec, dataset_root,
                         load_image, spec)


@dataclass(frozen=True)
class Reference:
    """A pinned public archive that holds a dataset's reference copy.

    Attributes
    ----------
    url : str
        HTTPS address of a zip archive of one commit.
    folder : str
        The dataset's folder inside the archive's top folder.
    """

    url: str
    folder: str


#: The architecture lesson's copy: GitHub samgr55/ArchitecturalStyles_RBM at commit 00a864f, dataset/.
REFERENCES: dict[str, Reference] = {
    "architecture": Reference(
        "https://github.com/samgr55/ArchitecturalStyles_RBM/archive/"
        "00a864f981ad95fbd09f87b2ffb4dc53553d1209.zip",
        "dataset",
    ),
}

#: Where ``download`` may fetch from; ``auto`` is the reference copy where one exists, else Kaggle.
SOURCES = ("auto", "reference", "kaggle", "kagglehub")

#: Side length of the lesson's architecture images (the reference copy's).
LESSON_SIZE = 128

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
        _unzip(archive, staging, name)
        root = find_root(staging, dataset)
        verify(root, dataset)
        return _move_into_place(root, dest, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _unzip(archive: str | os.PathLike, folder: Path, name: str, keep=lambda member: True) -> None:
    """Extract the members ``keep`` accepts; a broken archive is a one-line :class:`DataError`."""
    try:
        with zipfile.ZipFile(archive) as zf:
            members = [m for m in zf.infolist() if keep(m)]
            for member in tqdm(members, desc=f"unpacking {name}", unit="file"):
                zf.extract(member, folder)
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise DataError(f"{archive}: broken or truncated archive ({exc}); download it again.") from exc


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


def fetch(url: str, target: str | os.PathLike, timeout: float = 60.0) -> Path:
    """Stream ``url`` (https, http or file) into the file ``target``, with a progress bar.

    Raises
    ------
    DataError
        One line naming the address, the reason and the way around it.
    """
    target = Path(target)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(target, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=f"fetching {target.name}") as bar:
                for chunk in iter(lambda: response.read(1 << 20), b""):
                    out.write(chunk)
                    bar.update(len(chunk))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DataError(
            f"could not fetch {url} ({type(exc).__name__}: {exc}); check the network connection, "
            f"or put a copy in a folder and set {DATA_ENV} to it."
        ) from exc
    return target


def install_reference(
    archive: str | os.PathLike, dest: str | os.PathLike, name: str, folder: str,
    reference: pd.DataFrame | None = None,
) -> Path:
    """Unpack a reference archive's ``<top>/<folder>/``, check it against the manifest, move it.

    Parameters
    ----------
    archive : path
        The zip of the source repository at its pinned commit.
    dest : path
        Final dataset root (must not exist yet).
    name : str
        Dataset name (layout and manifest).
    folder : str
        The dataset's folder inside the archive's top folder.
    reference : pandas.DataFrame, optional
        Manifest to check against; default the shipped one of ``name``.

    Returns
    -------
    pathlib.Path
        ``dest``.
    """
    dataset = spec(name)
    dest = Path(dest)
    reference = manifest.read_manifest(name) if reference is None else reference
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.partial-", dir=dest.parent))
    try:
        _unzip(archive, staging, name, keep=lambda m: m.filename.split("/")[1:2] == [folder])
        roots = [d / folder for d in staging.iterdir() if (d / folder).is_dir()]
        if len(roots) != 1:
            raise DataError(f"{archive}: no '{folder}/' folder in the archive; is this the right archive?")
        verify(roots[0], dataset)
        comparison = manifest.compare(roots[0], reference)
        if not comparison.matches:
            raise DataError(f"{archive}: the archive's '{folder}/' {comparison.summary()}; "
                            "nothing was installed: download it again.")
        return _move_into_place(roots[0], dest, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def to_lesson_form(source: str | os.PathLike, out: str | os.PathLike, size: int = LESSON_SIZE) -> list[str]:
    """Write every image of ``<Class>/`` folders as a ``size`` x ``size`` greyscale JPEG.

    The lesson's architecture copy is greyscale at 128 px: a colour, full-size download (the
    Kaggle release) is turned into that form, so colour cannot help there either.

    Parameters
    ----------
    source : path
        A root of ``<Class>/`` folders.
    out : path
        Where to write ``<Class>/<stem>.jpg`` (created).
    size : int
        Side length.

    Returns
    -------
    list of str
        Files that did not decode and were left out.
    """
    source, out = Path(source), Path(out)
    skipped = []
    for cls in _class_dirs(source):
        (out / cls.name).mkdir(parents=True, exist_ok=True)
        for f in sorted(p for p in cls.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
            try:
                rgb = load_image(f)
            except DataError:
                skipped.append(str(f))
                continue
            grey = Image.fromarray(rgb).convert("L").resize((size, size), Image.Resampling.BILINEAR)
            grey.save(out / cls.name / f"{f.stem}.jpg", quality=95)
    if skipped:
        warnings.warn(f"{len(skipped)} file(s) did not decode and were left out: {skipped}", stacklevel=2)
    return skipped


def _from_kaggle(name: str, dest: Path, source: str) -> Path:
    dataset = spec(name)
    if source == "kaggle" and not kaggle_credentials():
        raise DataError("no Kaggle credentials found. " + HELP.format(name=name))
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{name}.kaggle-", dir=dest.parent) as tmp:
        if source == "kaggle":
            from kaggle.api.kaggle_api_extended import KaggleApi

            api = KaggleApi()
            api.authenticate()
            api.dataset_download_files(dataset.kaggle_ref, path=tmp, unzip=False, quiet=False)
            archive = next(Path(tmp).glob("*.zip"))
            if name != "architecture":
                return install_archive(archive, dest, name)
            unpacked = Path(tmp) / "unpacked"
            _unzip(archive, unpacked, name)
        else:
            import kagglehub

            unpacked = Path(kagglehub.dataset_download(dataset.kaggle_ref))
        if name != "architecture":
            return install_tree(unpacked, dest, name)
        lesson = Path(tmp) / "lesson"
        to_lesson_form(find_root(unpacked, dataset), lesson)
        return install_tree(lesson, dest, name)


def download(name: str, dest: str | os.PathLike | None = None, source: str = "auto") -> Path:
    """Download a dataset into ``dest`` (default ``data/<name>``) and say how it compares.

    Parameters
    ----------
    name : str
        ``"gemstones"`` or ``"architecture"``.
    dest : path, optional
        Final dataset root.
    source : {"auto", "reference", "kaggle", "kagglehub"}
        ``reference``: the pinned archive of the lesson's copy (architecture only). ``kaggle``:
        the Kaggle release with the ``kaggle`` package (needs credentials); ``kagglehub``: the
        same anonymously. ``auto``: the reference copy where one exists, else ``kaggle`` when
        credentials exist, else ``kagglehub``.

    Returns
    -------
    pathlib.Path
        The dataset root.
    """
    dataset = spec(name)
    dest = Path(dest) if dest is not None else PROJECT_ROOT / "data" / name
    if source not in SOURCES:
        raise DataError(f"unknown download source {source!r}: use one of {', '.join(SOURCES)}.")
    if source == "auto":
        source = "reference" if name in REFERENCES else ("kaggle" if kaggle_credentials() else "kagglehub")
    if source == "reference" and name not in REFERENCES:
        raise DataError(f"'{name}' has no reference archive: use --source kaggle or kagglehub.")
    where = REFERENCES[name].url if source == "reference" else dataset.kaggle_ref
    print(f"[gemlib] downloading {where} ({source}) into {dest} ...", flush=True)
    if source == "reference":
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=f".{name}.fetch-", dir=dest.parent) as tmp:
            archive = fetch(REFERENCES[name].url, Path(tmp) / f"{name}.zip")
            return install_reference(archive, dest, name, REFERENCES[name].folder)
    try:
        root = _from_kaggle(name, dest, source)
    except DataError:
        raise
    except Exception as exc:  # network, HTTP and auth errors from either client
        raise DataError(
            f"could not download {dataset.kaggle_ref} ({type(exc).__name__}: {exc}). "
            "Check the network connection. " + HELP.format(name=name)
        ) from exc
    comparison = manifest.check(name, root)
    print(f"[gemlib] {root}: {comparison.summary()}", flush=True)
    if not comparison.matches:
        print("[gemlib] the notebooks' stored numbers come from the reference copy; "
              "with this one they will differ.", flush=True)
    return root


def ensure(name: str) -> Path:
    """The dataset's root on disk (:func:`gemlib.data.dataset_root`), downloaded if not found.

    Under CI with ``GEMLIB_DATA_DIR`` set, a missing copy is an error, never a download.
    """
    try:
        return dataset_root(name)
    except DataError:
        if os.environ.get("CI") and os.environ.get(DATA_ENV):
            raise
        return download(name)
