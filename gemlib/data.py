"""Finding, auditing and loading the image datasets.

Everything that reads an image goes through :func:`decode_image` (:func:`load_image` for a
path), so training, evaluation, explanation and an uploaded photo all see the same pixels.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageOps, UnidentifiedImageError

#: File name suffixes treated as images when building training sets.
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}

#: Environment variable naming a folder that holds ``gemstones/`` and ``architecture/``.
DATA_ENV = "GEMLIB_DATA_DIR"

#: Repository root (the folder above the package), used for ``data/<name>``.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class DataError(ValueError):
    """A dataset or image problem, with a message naming the file and the fix."""


@dataclass(frozen=True)
class DatasetSpec:
    """What is known about one named dataset.

    Attributes
    ----------
    name : str
        Short name used by the project (``gemstones``).
    kaggle_ref : str
        ``owner/dataset`` on Kaggle.
    has_split : bool
        True when the release has ``train/`` and ``test/`` folders.
    n_classes : int
        Number of class folders expected.
    """

    name: str
    kaggle_ref: str
    has_split: bool
    n_classes: int


DATASETS: dict[str, DatasetSpec] = {
    "gemstones": DatasetSpec("gemstones", "lsind18/gemstones-images", True, 87),
    "architecture": DatasetSpec(
        "architecture", "dumitrux/architectural-styles-dataset", False, 25
    ),
}


def spec(name: str) -> DatasetSpec:
    """Return the :class:`DatasetSpec` for ``name`` or raise a clear error."""
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}: choose one of {sorted(DATASETS)}")
    return DATASETS[name]


def _looks_like(name: str, root: Path) -> bool:
    if not root.is_dir():
        return False
    if spec(name).has_split:
        return (root / "train").is_dir() and (root / "test").is_dir()
    return any(p.is_dir() for p in root.iterdir())


def dataset_roots(name: str) -> list[Path]:
    """Where a dataset is looked for, in order: ``$GEMLIB_DATA_DIR/<name>``, then ``data/<name>``."""
    spec(name)
    env = os.environ.get(DATA_ENV)
    return ([Path(env).expanduser() / name] if env else []) + [PROJECT_ROOT / "data" / name]


def find_dataset(name: str, also: tuple[Path, ...] = ()) -> Path | None:
    """The first of :func:`dataset_roots` (then ``also``) that holds the dataset, else None.

    Parameters
    ----------
    name : str
        ``"gemstones"`` or ``"architecture"``.
    also : tuple of Path
        Further dataset roots to try last (the tests add the shared copy beside the clone).

    Returns
    -------
    pathlib.Path or None
    """
    for root in [*dataset_roots(name), *also]:
        if _looks_like(name, root):
            return root
    return None


def dataset_root(name: str) -> Path:
    """Find a dataset on disk (see :func:`dataset_roots`); downloading is :mod:`gemlib.download`'s.

    Parameters
    ----------
    name : str
        ``"gemstones"`` or ``"architecture"``.

    Returns
    -------
    pathlib.Path
        The dataset root.

    Raises
    ------
    DataError
        When no copy is found, naming the places looked in and the command that fetches it.
    """
    found = find_dataset(name)
    if found is not None:
        return found
    candidates = dataset_roots(name)
    env = os.environ.get(DATA_ENV)
    if env and os.environ.get("CI"):
        raise DataError(
            f"dataset {name!r} not found at {candidates[0]} under CI: "
            f"{DATA_ENV}={env} must hold a '{name}/' folder (CI never downloads)."
        )
    raise DataError(
        f"dataset {name!r} not found (looked in {', '.join(map(str, candidates))}); "
        f"run `python -m gemlib download {name}` or set {DATA_ENV} to a folder holding '{name}/'."
    )


# --------------------------------------------------------------------------- images


def _to_rgb(img: Image.Image) -> Image.Image:
    """Convert any Pillow mode to 8-bit RGB; alpha is composited onto white."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        arr = np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        img = Image.fromarray(arr)
    elif img.mode == "F":
        arr = np.asarray(img, dtype=np.float64)
        top = 1.0 if arr.max() <= 1.0 else 255.0
        img = Image.fromarray(np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8))
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("RGBA", "LA", "RGBa", "La", "PA"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, rgba)
    if img.mode != "RGB":
        img = img.convert("RGB")
    return img


def _exif_upright(img: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; a malformed EXIF block is ignored, not fatal."""
    try:
        return ImageOps.exif_transpose(img)
    except Exception:  # noqa: BLE001 - Pillow raises many types on broken EXIF
        return img


#: Photos smaller than this many pixels on a side are refused by the photo paths (``min_side``).
MIN_SIDE = 16


def _describe(source: bytes | str | os.PathLike, name: str | None) -> str:
    return name if name is not None else ("uploaded file" if isinstance(source, bytes) else str(source))


def decode_image(
    source: bytes | str | os.PathLike,
    size: int | None = None,
    name: str | None = None,
    min_side: int = 0,
) -> np.ndarray:
    """Decode an image file or its bytes into an 8-bit RGB array: the one decoder.

    EXIF rotation is applied (:func:`_exif_upright`); every mode becomes RGB (:func:`_to_rgb`:
    greyscale gives three equal channels, 16-bit is scaled to 8 bits, CMYK and palettes are
    converted, transparency is composited onto white). A JPEG is decoded at reduced scale
    (Pillow's ``draft``) when ``size`` is given, so a huge photo costs little memory. Photos
    with more pixels than ``PIL.Image.MAX_IMAGE_PIXELS`` are refused before decoding.

    Parameters
    ----------
    source : bytes or str or os.PathLike
        The file's bytes (an upload) or its path.
    size : int, optional
        Resize (the whole image, aspect not kept) to ``size`` x ``size``.
    name : str, optional
        What error messages call the file (default: its path, or "uploaded file").
    min_side : int
        Refuse photos narrower or lower than this (0: accept any).

    Returns
    -------
    numpy.ndarray
        ``uint8`` array of shape (H, W, 3).

    Raises
    ------
    DataError
        One line naming the file and the fix: missing, empty, not an image, truncated,
        too many pixels, or smaller than ``min_side``.
    """
    label = _describe(source, name)
    if isinstance(source, bytes):
        stream, n_bytes = io.BytesIO(source), len(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise DataError(f"{label}: no such image file; check the path.")
        stream, n_bytes = path, path.stat().st_size
    if n_bytes == 0:
        raise DataError(f"{label}: the file is empty (0 bytes); give the photo again or another copy.")
    limit = Image.MAX_IMAGE_PIXELS
    try:
        if isinstance(source, bytes):  # an upload, in the notebook's thread: its one line suffices
            with warnings.catch_warnings():  # (not around paths: datasets decode in threads)
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                img = Image.open(stream)
        else:
            img = Image.open(stream)
        with img:
            if limit and img.width * img.height > limit:
                raise Image.DecompressionBombError(f"{img.width} x {img.height} pixels")
            if min(img.size) < min_side:
                raise DataError(
                    f"{label}: {img.width} x {img.height} pixels is too small (under {min_side} "
                    f"on a side); give a larger photo, at least {min_side} x {min_side}."
                )
            if size is not None and img.format == "JPEG":
                img.draft("RGB", (size, size))
            img.load()
            img = _to_rgb(_exif_upright(img))
            if size is not None:
                img = img.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=3.0)
            return np.asarray(img, dtype=np.uint8).copy()
    except Image.DecompressionBombError as exc:
        raise DataError(
            f"{label}: refused, too many pixels to decode safely (limit {limit} pixels; {exc}); "
            "give a smaller copy of the photo."
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, DataError):
            raise
        if isinstance(exc, UnidentifiedImageError):  # its message names a BytesIO's address
            why = "not a readable image (no image format recognised)"
        else:
            why = ("cut short (truncated)" if "truncat" in str(exc).lower() else "not a readable image")
            why += f" ({exc})"
        raise DataError(
            f"{label}: {why}; replace the file with a good copy (JPEG, PNG or WebP)."
        ) from exc


def load_image(path: str | os.PathLike, size: int | None = None) -> np.ndarray:
    """Decode one image file into an 8-bit RGB array: :func:`decode_image` of a path.

    Training, evaluation, explanation and uploads all decode through :func:`decode_image`, whose
    docstring says what happens to each mode and which files raise :class:`DataError`.
    """
    return decode_image(Path(path), size)


# --------------------------------------------------------------------------- audit


def _split_and_label(rel: Path, has_split: bool) -> tuple[str, str]:
    parts = rel.parts
    if has_split:
        split = parts[0] if parts[0] in ("train", "test") else ""
        label = parts[1] if split and len(parts) > 2 else (parts[-2] if len(parts) > 1 else "")
    else:
        split = ""
        label = parts[-2] if len(parts) > 1 else ""
    return split, label


def _inspect(path: Path) -> dict:
    data = path.read_bytes()
    row = {
        "width": 0,
        "height": 0,
        "mode": "",
        "readable": False,
        "sha1": hashlib.sha1(data).hexdigest(),
        "bytes": len(data),
    }
    try:
        with Image.open(path) as img:
            row.update(width=img.width, height=img.height, mode=img.mode)
            img.load()
        row["readable"] = True
    except Exception:  # noqa: BLE001 - any decoder failure means "not readable"
        row["readable"] = False
    return row


def scan(root: str | os.PathLike, workers: int = 4) -> pd.DataFrame:
    """Audit every file under a dataset root.

    Parameters
    ----------
    root : str or os.PathLike
        Dataset root, with ``train/<Class>/`` and ``test/<Class>/`` or ``<Class>/``.
    workers : int
        Threads used to decode files.

    Returns
    -------
    pandas.DataFrame
        One row per file with columns ``path``, ``split``, ``label``, ``width``,
        ``height``, ``mode``, ``readable``, ``sha1``, ``bytes``. Broken files are
        rows with ``readable`` False, never exceptions.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: dataset folder not found; check {DATA_ENV} or the path.")
    has_split = (root / "train").is_dir() and (root / "test").is_dir()
    files = sorted(p for p in root.rglob("*") if p.is_file())
    with ThreadPoolExecutor(max_workers=workers) as pool:
        rows = list(pool.map(_inspect, files))
    table = pd.DataFrame(rows, columns=["width", "height", "mode", "readable", "sha1", "bytes"])
    splits_labels = [_split_and_label(p.relative_to(root), has_split) for p in files]
    table.insert(0, "path", [str(p) for p in files])
    table.insert(1, "split", [s for s, _ in splits_labels])
    table.insert(2, "label", [lab for _, lab in splits_labels])
    table["readable"] = table["readable"].astype(bool)
    return table


#: Perceptual-hash distance (bits of 64) under which two photos count as near duplicates; the
#: threshold notebook 01 uses and the group-aware split applies.
NEAR_DISTANCE = 4


def _groups(n: int, pairs: list[tuple[int, int]]) -> list[list[int]]:
    """Connected components of the graph on 0..n-1 with edges ``pairs`` (scipy), in index order."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    i, j = (np.asarray(side, dtype=np.int64) for side in zip(*pairs)) if pairs else (np.zeros(0, int),) * 2
    graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    out: dict[int, list[int]] = {}
    for k, label in enumerate(labels):
        out.setdefault(int(label), []).append(k)
    return list(out.values())


def _close_pairs(hashes: list[int], max_distance: int) -> list[tuple[int, int]]:
    """Index pairs of 64-bit hashes within ``max_distance`` bits of each other."""
    h = np.asarray(hashes, dtype=np.uint64)
    popcount = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)
    pairs = []
    for start in range(0, len(h), 512):
        block = h[start : start + 512, None] ^ h[None, :]
        dist = popcount[block.view(np.uint8).reshape(*block.shape, 8)].sum(-1)
        pairs += [(start + int(i), int(j)) for i, j in zip(*np.nonzero(dist <= max_distance))]
    return pairs


def _close_groups(hashes: list[int], max_distance: int) -> list[list[int]]:
    """Connected groups of 64-bit hashes within ``max_distance`` bits of each other."""
    return [g for g in _groups(len(hashes), _close_pairs(hashes, max_distance)) if len(g) > 1]


def perceptual_hash(path: str | os.PathLike) -> int | None:
    """64-bit ``imagehash.phash`` of an image as an int; None when it does not decode."""
    import imagehash

    try:
        with Image.open(path) as img:
            img.draft("RGB", (64, 64))
            bits = imagehash.phash(_to_rgb(img)).hash.flatten()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    return int("".join("1" if b else "0" for b in bits), 2)


def perceptual_hash_steps(image: np.ndarray, hash_size: int = 8, highfreq_factor: int = 4) -> dict:
    """The steps of ``imagehash.phash`` on an image array, each kept for drawing.

    The photo is turned grey and shrunk to a small grid (32 x 32), the grid's 2-D discrete cosine
    transform is taken, and its top-left 8 x 8 block (the lowest frequencies: the coarse layout
    of light and dark) is compared with its own median: above is 1, below is 0.

    Parameters
    ----------
    image : numpy.ndarray
        (H, W, 3) RGB or (H, W) grey, uint8.
    hash_size, highfreq_factor : int
        ``imagehash.phash``'s settings (bits per side; the grid is their product per side).

    Returns
    -------
    dict
        ``grey`` (small grey grid, uint8), ``dct`` (its low-frequency block), ``median``,
        ``bits`` (hash_size x hash_size bool, the same as ``imagehash.phash(...).hash``) and
        ``hash`` (the bits read as one int, as :func:`perceptual_hash` gives).
    """
    from scipy.fft import dct

    arr = np.asarray(image)
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[-1] not in (1, 3, 4)):
        raise DataError(f"perceptual_hash_steps: expected an (H, W) or (H, W, 3) image, got shape {arr.shape}; "
                        "pass one photo, not a batch")
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    side = hash_size * highfreq_factor
    img = Image.fromarray(arr.astype(np.uint8))
    grey = np.asarray(img.convert("L").resize((side, side), Image.Resampling.LANCZOS))
    low = dct(dct(grey, axis=0), axis=1)[:hash_size, :hash_size]
    median = float(np.median(low))
    bits = low > median
    return {"grey": grey, "dct": low, "median": median, "bits": bits,
            "hash": int("".join("1" if b else "0" for b in bits.ravel()), 2)}


def duplicate_groups(
    paths: list[str], near: bool = True, max_distance: int = NEAR_DISTANCE, sha1=None
) -> list[list[int]]:
    """Group files that are byte-identical or, with ``near``, perceptually identical.

    Groups are connected components: if a is near b and b near c, all three are one group.

    Parameters
    ----------
    paths : list of str
        Image files.
    near : bool
        Also join files whose perceptual hashes differ by at most ``max_distance`` bits.
    max_distance : int
        Hamming distance for near duplicates.
    sha1 : callable, optional
        Path -> hex digest (a caching hasher); default reads each file.

    Returns
    -------
    list of list of int
        Every index of ``paths`` in exactly one group; singletons included, in file order.
    """
    sha1 = sha1 or _sha1
    first: dict[str, int] = {}
    pairs = [(i, first.setdefault(sha1(p), i)) for i, p in enumerate(paths)]
    if near:
        hashes = [perceptual_hash(p) for p in paths]
        ok = [i for i, h in enumerate(hashes) if h is not None]
        pairs += [(ok[a], ok[b]) for a, b in _close_pairs([hashes[i] for i in ok], max_distance)]
    return _groups(len(paths), pairs)


def has_twin(paths: list[str], others: list[str], near: bool = True) -> np.ndarray:
    """For each of ``paths``: does its duplicate group (:func:`duplicate_groups`) hold one of ``others``?

    Asks, say, which test photos had an exact or near twin in a model's training set.

    Returns
    -------
    numpy.ndarray
        Boolean, one per path of ``paths``.
    """
    groups = duplicate_groups(list(others) + list(paths), near=near)
    n = len(others)
    out = np.zeros(len(paths), bool)
    for group in groups:
        if any(i < n for i in group):
            out[[i - n for i in group if i >= n]] = True
    return out


def find_duplicates(
    table: pd.DataFrame, near: bool = False, max_distance: int = NEAR_DISTANCE
) -> pd.DataFrame:
    """Group byte-identical files (and, optionally, perceptually identical ones).

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`scan`.
    near : bool
        Also group readable images whose perceptual hashes (``imagehash.phash``)
        differ by at most ``max_distance`` of 64 bits but whose bytes differ;
        those rows have ``kind == "near"``.
    max_distance : int
        Hamming distance for near-duplicates.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``kind``, ``paths``, ``labels``, ``splits`` (lists),
        ``conflict`` (more than one label) and ``cross_split`` (train and test).
    """
    groups = []
    for _, grp in table.groupby("sha1", sort=True):
        if len(grp) > 1:
            groups.append(("exact", grp))
    if near:
        readable = table[table["readable"]].copy()
        hashes = [perceptual_hash(p) or 0 for p in readable["path"]]
        for members in _close_groups(hashes, max_distance):
            grp = readable.iloc[members]
            if grp["sha1"].nunique() > 1:
                groups.append(("near", grp))
    rows = []
    for kind, grp in groups:
        labels = sorted(set(grp["label"]))
        splits = sorted(set(grp["split"]))
        rows.append(
            {
                "kind": kind,
                "paths": list(grp["path"]),
                "labels": list(grp["label"]),
                "splits": list(grp["split"]),
                "conflict": len(labels) > 1,
                "cross_split": {"train", "test"} <= set(splits),
            }
        )
    return pd.DataFrame(
        rows, columns=["kind", "paths", "labels", "splits", "conflict", "cross_split"]
    )


# --------------------------------------------------------------------------- class lists


def class_names(folder: str | os.PathLike) -> list[str]:
    """Sorted class folder names under ``folder``; empty class folders are errors."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: folder not found; check the dataset path.")
    names = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not names:
        raise DataError(f"{folder}: no class folders; expected <Class>/ folders of images.")
    empty = [n for n in names if not any(_is_image_name(f) for f in (folder / n).iterdir())]
    if empty:
        raise DataError(
            f"{folder}: empty class folder(s) {empty}; add images to them or remove them."
        )
    return names


def check_same_classes(train: list[str], test: list[str]) -> None:
    """Raise :class:`DataError` naming the classes when two class lists differ."""
    if list(train) != list(test):
        only_train = sorted(set(train) - set(test))
        only_test = sorted(set(test) - set(train))
        raise DataError(
            "train and test class folders differ: "
            f"only in train {only_train}, only in test {only_test}; "
            "make both splits hold the same class folders."
        )


def _is_image_name(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES


# --------------------------------------------------------------------------- arrays


@dataclass
class Split:
    """Decoded images of one split.

    Attributes
    ----------
    images : numpy.ndarray
        ``uint8`` (N, H, W, 3).
    labels : numpy.ndarray
        ``int32`` (N,) indices into the class list.
    paths : list of str
        Source files, same order.
    """

    images: np.ndarray
    labels: np.ndarray
    paths: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.labels)


class LeftOutWarning(UserWarning):
    """Files left out of a split as twins (copies of a test file or under two classes).

    Shown by default; a lesson that reports ``Dataset.excluded`` itself can silence it with
    ``warnings.filterwarnings("ignore", category=LeftOutWarning)``.
    """


@dataclass
class Dataset:
    """Train, validation and test splits sharing one class order."""

    name: str
    root: Path
    classes: list[str]
    image_size: int
    train: Split
    val: Split
    test: Split
    excluded: list[str] = field(default_factory=list)

    def test_files(self) -> list[str]:
        """Test file paths relative to the dataset root."""
        return self.files()["test_files"]

    def files(self) -> dict[str, list[str]]:
        """``train_files``, ``val_files``, ``test_files``: each split's paths relative to the
        root, after every exclusion (what model cards record, and ``load_dataset(files=)`` reads).
        """
        return {
            f"{name}_files": [Path(p).relative_to(self.root).as_posix() for p in split.paths]
            for name, split in (("train", self.train), ("val", self.val), ("test", self.test))
        }


def _decode_many(paths: list[str], size: int, workers: int = 4) -> tuple[np.ndarray, list[str]]:
    """Decode paths; return the stacked images and the paths that failed.

    Each image is written into one array as it is decoded (no list of images to stack: that
    held every split twice at its peak, 158 MB more for the gemstones at 128 px)."""
    arr = np.empty((len(paths), size, size, 3), np.uint8)

    def one(i: int) -> bool:
        try:
            arr[i] = load_image(paths[i], size)
        except DataError:
            return False
        return True

    with ThreadPoolExecutor(max_workers=workers) as pool:
        ok = np.fromiter(pool.map(one, range(len(paths))), bool, count=len(paths))
    bad = [p for p, good in zip(paths, ok) if not good]
    return (arr if ok.all() else arr[ok]), bad


def _files_by_class(folder: Path, classes: list[str]) -> tuple[list[str], list[int], list[str]]:
    paths, labels, stray = [], [], []
    for i, c in enumerate(classes):
        for f in sorted((folder / c).iterdir()):
            if _is_image_name(f):
                paths.append(str(f))
                labels.append(i)
            elif f.is_file():
                stray.append(str(f))
    return paths, labels, stray


def _sha1(path: str) -> str:
    return hashlib.sha1(Path(path).read_bytes()).hexdigest()


def _hasher() -> Callable[[str], str]:
    """SHA-1 of a file's bytes, each file read once per call of :func:`load_dataset`."""
    seen: dict[str, str] = {}

    def sha1(path: str) -> str:
        if path not in seen:
            seen[path] = _sha1(path)
        return seen[path]

    return sha1


def _make_split(
    paths: list[str], labels: list[int], size: int, excluded: list[str]
) -> Split:
    images, bad = _decode_many(paths, size)
    excluded.extend(bad)
    bad_set = set(bad)
    keep = [i for i, p in enumerate(paths) if p not in bad_set]
    return Split(images, np.asarray([labels[i] for i in keep], np.int32), [paths[i] for i in keep])


def load_dataset(
    name: str = "gemstones",
    image_size: int = 128,
    val_fraction: float = 0.1,
    test_fraction: float = 0.15,
    seed: int = 0,
    root: str | os.PathLike | None = None,
    splits: tuple[str, ...] = ("train", "val", "test"),
    group_twins: bool = True,
    files: dict | None = None,
    keep_classes: Sequence[str] | None = None,
) -> Dataset:
    """Load a dataset into memory as fixed-size RGB arrays.

    For a dataset with ``train/`` and ``test/`` folders the test folder is the
    test set and a stratified validation split is carved from train. For a
    dataset of ``<Class>/`` folders only, a stratified train/validation/test
    split is made. Both use ``seed``.

    With ``group_twins`` the split is group-aware (:func:`split_files`): byte-identical
    files and near duplicates (perceptual hash within :data:`NEAR_DISTANCE` bits) form
    groups that never straddle train, validation and test. Training files twinned with a
    test file are left out; byte-identical copies filed under two classes are left out of
    training and validation (a test copy stays in the official test folder); of other
    byte-identical copies one is kept.

    Parameters
    ----------
    name : str
        Dataset name (``"gemstones"`` or ``"architecture"``).
    image_size : int
        Side length in pixels.
    val_fraction, test_fraction : float
        Fractions of the images for validation (and test, when no split exists).
    seed : int
        Seed of the stratified splits.
    root : path, optional
        Dataset root; default :func:`dataset_root`.
    splits : tuple of str
        Which splits to decode (others come back with paths only, saving time).
    group_twins : bool
        Make the split group-aware as described above (False: plain stratified split).
    files : dict, optional
        A model card (or any mapping) with ``train_files``, ``val_files`` and ``test_files``,
        paths relative to the dataset root: use exactly that split instead of drawing one.
    keep_classes : sequence of str, optional
        Keep only these classes, labelled 0, 1, ... in this order; only their images are decoded.
        The split is the one drawn over all classes, so every kept photo stays in its split.

    The splits are drawn over the candidate file names, before decoding, so a
    split never changes because some other file was repaired or broken.

    Returns
    -------
    Dataset
        Unreadable files are excluded, listed in ``excluded`` and warned about once.
    """
    root = Path(root) if root is not None else dataset_root(name)
    has_split = (root / "train").is_dir() and (root / "test").is_dir()
    classes = class_names(root / "train" if has_split else root)
    if has_split:
        check_same_classes(classes, class_names(root / "test"))
    if files is not None:
        lists, dropped, stray = _listed_files(name, root, classes, files, splits), [], []
    else:
        lists, dropped, stray = split_files(
            root, classes, val_fraction, test_fraction, seed, group_twins
        )
    if keep_classes is not None:
        lists, classes = _kept(lists, classes, list(keep_classes), name)
    excluded: list[str] = []
    parts = {}
    for split_name in ("train", "val", "test"):
        p, lab = lists[split_name]
        if split_name in splits:
            parts[split_name] = _make_split(p, lab, image_size, excluded)
        else:
            empty = np.zeros((0, image_size, image_size, 3), np.uint8)
            parts[split_name] = Split(empty, np.zeros(0, np.int32), list(p))
    if stray or excluded:
        warnings.warn(
            "left out of the dataset: "
            + (f"non-image files {stray}; " if stray else "")
            + (f"unreadable images {excluded} (replace or delete them)" if excluded else ""),
            stacklevel=2,
        )
    return Dataset(
        name, root, classes, image_size, parts["train"], parts["val"], parts["test"],
        excluded=excluded + stray + dropped,
    )


Lists = dict[str, tuple[list[str], list[int]]]


def _kept(lists: Lists, classes: list[str], keep: list[str], name: str) -> tuple[Lists, list[str]]:
    """Each split's files of the ``keep`` classes only, relabelled in the order of ``keep``."""
    unknown = [c for c in keep if c not in classes]
    if unknown or not keep or len(set(keep)) != len(keep):
        raise DataError(
            f"keep_classes={keep!r}: give distinct class names of '{name}' "
            f"(not found: {unknown}); the names are load_dataset('{name}').classes."
        )
    new_label = {classes.index(c): i for i, c in enumerate(keep)}
    out: Lists = {
        split: ([p for p, lab in zip(paths, labels) if lab in new_label],
                [new_label[lab] for lab in labels if lab in new_label])
        for split, (paths, labels) in lists.items()
    }
    return out, keep


def _listed_files(
    name: str, root: Path, classes: list[str], files: dict, splits: tuple[str, ...]
) -> Lists:
    """The split a model card records, checked against the copy on disk."""
    out: Lists = {}
    for split_name in ("train", "val", "test"):
        rels = files.get(f"{split_name}_files")
        if rels is None:
            if split_name in splits:
                raise DataError(
                    f"the model card has no {split_name}_files: it predates recorded splits; "
                    f"retrain the model or load '{name}' with its seed instead of files=."
                )
            rels = []
        missing = [r for r in rels if not (root / r).is_file()]
        if missing:
            raise DataError(
                f"{root}: {len(missing)} file(s) of the model's {split_name} split are missing "
                f"(first: {missing[0]}); this copy of '{name}' is not the one the model was "
                f"trained on: check it with `python -m gemlib download {name} --check`."
            )
        labels = []
        for r in rels:
            label = Path(r).parts[-2]
            if label not in classes:
                raise DataError(f"{root / r}: class folder {label!r} is not among the dataset's classes.")
            labels.append(classes.index(label))
        out[split_name] = ([str(root / r) for r in rels], labels)
    return out


def split_files(
    root: Path,
    classes: list[str],
    val_fraction: float = 0.1,
    test_fraction: float = 0.15,
    seed: int = 0,
    group_twins: bool = True,
    return_copies: bool = False,
) -> tuple[Lists, list[str], list[str]] | tuple[Lists, list[str], list[str], list[str]]:
    """Draw a stratified (and, with ``group_twins``, group-aware) split over file names.

    Parameters
    ----------
    root : pathlib.Path
        Dataset root, with ``train/`` and ``test/`` or ``<Class>/`` folders.
    classes : list of str
        Class order.
    val_fraction, test_fraction : float
        Validation fraction of the training pool; test fraction when no test folder exists.
    seed : int
        Seed of the stratified draws.
    group_twins : bool
        Keep duplicate groups (see :func:`duplicate_groups`) on one side of every split.
    return_copies : bool
        Also return the extra byte-identical copies left out (of identical copies under one
        class, one is kept; the others add nothing).

    Returns
    -------
    lists : dict
        ``{"train" | "val" | "test": (paths, labels)}``.
    dropped : list of str
        Files left out as twins (each also warned about).
    stray : list of str
        Non-image files in class folders.
    copies : list of str
        Only with ``return_copies``: the extra identical copies left out (not warned about).
    """
    from sklearn.model_selection import train_test_split

    has_split = (root / "train").is_dir() and (root / "test").is_dir()
    if has_split:
        pool, pool_labels, stray = _files_by_class(root / "train", classes)
        te_paths, te_labels, stray2 = _files_by_class(root / "test", classes)
        stray += stray2
    else:
        pool, pool_labels, stray = _files_by_class(root, classes)
        te_paths, te_labels = [], []
    dropped: dict[str, list[str]] = {"twins of test files": [], "copies under two classes": []}
    copies: list[str] = []
    if group_twins:
        units = _twin_free_units(pool, pool_labels, te_paths, dropped, copies)
    else:
        units = [[i] for i in range(len(pool))]
    unit_labels = [Counter(pool_labels[i] for i in u).most_common(1)[0][0] for u in units]

    def expand(chosen) -> tuple[list[str], list[int]]:
        idx = sorted(i for k in chosen for i in units[k])
        return [pool[i] for i in idx], [pool_labels[i] for i in idx]

    keys = list(range(len(units)))
    if not has_split:
        keys, test_keys = train_test_split(
            keys, test_size=test_fraction, stratify=unit_labels, random_state=seed
        )
        te_paths, te_labels = expand(test_keys)
    tr_keys, va_keys = train_test_split(
        keys, test_size=val_fraction, stratify=[unit_labels[k] for k in keys], random_state=seed
    )
    for why, paths in dropped.items():
        if paths:  # named relative to the root; Dataset.excluded keeps the full list
            names = [Path(p).relative_to(root).as_posix() for p in paths]
            shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
            warnings.warn(
                f"{len(paths)} file(s) left out of the split as {why}: {shown}",
                LeftOutWarning, stacklevel=3,
            )
    lists = {"train": expand(tr_keys), "val": expand(va_keys), "test": (te_paths, te_labels)}
    left_out = [p for paths in dropped.values() for p in paths]
    if return_copies:
        return lists, left_out, stray, copies
    return lists, left_out, stray


def _twin_free_units(
    pool: list[str], labels: list[int], test: list[str], dropped: dict[str, list[str]],
    extra: list[str] | None = None,
) -> list[list[int]]:
    """Groups of pool indices to split as units, after leaving out twins (see load_dataset).

    ``extra``, if given, collects the byte-identical copies beyond the one kept.
    """
    sha1 = _hasher()
    units = []
    for group in duplicate_groups(pool + test, sha1=sha1):
        members = [i for i in group if i < len(pool)]
        if not members:
            continue
        if len(members) < len(group):
            dropped["twins of test files"].extend(pool[i] for i in members)
            continue
        by_hash: dict[str, list[int]] = {}
        for i in members:
            by_hash.setdefault(sha1(pool[i]), []).append(i)
        keep = []
        for copies in by_hash.values():
            if len({labels[i] for i in copies}) > 1:  # one picture, two classes: no right answer
                dropped["copies under two classes"].extend(pool[i] for i in copies)
            else:
                keep.append(copies[0])  # byte-identical copies add nothing
                if extra is not None:
                    extra.extend(pool[i] for i in copies[1:])
        if keep:
            units.append(sorted(keep))
    return units
