"""Unpack, verify and move logic of gemlib.download on archives the tests build (no network)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from conftest import make_dataset
from gemlib import download as dl
from gemlib.data import DataError, DatasetSpec


@pytest.fixture()
def small_spec(monkeypatch):
    """Make 'gemstones' and 'architecture' expect three classes, like the tiny sets."""
    monkeypatch.setitem(dl.spec.__globals__["DATASETS"], "gemstones", DatasetSpec("gemstones", "x/y", True, 3))
    monkeypatch.setitem(dl.spec.__globals__["DATASETS"], "architecture", DatasetSpec("architecture", "x/z", False, 3))


def _zip(folder: Path, archive: Path, prefix: str = "", drop: str | None = None) -> Path:
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file() and (drop is None or drop not in str(p)):
                zf.write(p, prefix + str(p.relative_to(folder)))
    return archive


def test_install_archive_moves_a_verified_dataset_into_place(tmp_path, small_spec):
    src = make_dataset(tmp_path / "src", n_train=2, n_test=1)
    archive = _zip(src, tmp_path / "g.zip", prefix="Gemstones/")
    dest = tmp_path / "data" / "gemstones"
    assert dl.install_archive(archive, dest, "gemstones") == dest
    assert sorted(p.name for p in (dest / "train").iterdir()) == ["Blue", "Green", "Red"]
    assert len(list(dest.rglob("*.jpg"))) == 9
    assert [p.name for p in dest.parent.iterdir()] == ["gemstones"]  # no staging left


def test_incomplete_archive_leaves_nothing_behind(tmp_path, small_spec):
    src = make_dataset(tmp_path / "src", n_train=2, n_test=1)
    archive = _zip(src, tmp_path / "g.zip", drop="test")
    dest = tmp_path / "data" / "gemstones"
    with pytest.raises(DataError, match="does not look like"):
        dl.install_archive(archive, dest, "gemstones")
    assert not dest.exists() and list(dest.parent.iterdir()) == []


def test_truncated_archive_is_a_clear_error(tmp_path, small_spec):
    src = make_dataset(tmp_path / "src", n_train=2, n_test=1)
    archive = _zip(src, tmp_path / "g.zip")
    archive.write_bytes(archive.read_bytes()[:300])
    with pytest.raises(DataError, match="broken or truncated"):
        dl.install_archive(archive, tmp_path / "data" / "gemstones", "gemstones")
    assert not (tmp_path / "data" / "gemstones").exists()


def test_missing_class_folder_fails_verification(tmp_path, small_spec):
    src = make_dataset(tmp_path / "src", n_train=2, n_test=1)
    archive = _zip(src, tmp_path / "g.zip", drop="test/Red")
    with pytest.raises(DataError, match="found 2 class folders, expected 3"):
        dl.install_archive(archive, tmp_path / "d" / "gemstones", "gemstones")


def test_kagglehub_path_copies_its_cache(tmp_path, small_spec, monkeypatch):
    cache = make_dataset(tmp_path / "cache" / "architectural-styles-dataset", n_train=2, n_test=0, split=False)
    import kagglehub

    calls = []
    monkeypatch.setattr(kagglehub, "dataset_download", lambda ref: calls.append(ref) or str(cache.parent))
    monkeypatch.setattr(dl, "kaggle_credentials", lambda: False)
    dest = tmp_path / "data" / "architecture"
    assert dl.download("architecture", dest) == dest
    assert calls == ["x/z"] and len(list(dest.rglob("*.jpg"))) == 6


def test_missing_credentials_say_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv("KAGGLE_USERNAME", raising=False)
    monkeypatch.delenv("KAGGLE_KEY", raising=False)
    monkeypatch.delenv("KAGGLE_API_TOKEN", raising=False)
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path))
    assert not dl.kaggle_credentials()
    with pytest.raises(DataError, match="kaggle.json"):
        dl.download("gemstones", tmp_path / "g", method="kaggle")


def test_network_failure_is_a_clear_error(tmp_path, monkeypatch):
    import kagglehub

    def offline(ref):
        raise ConnectionError("no route to host")

    monkeypatch.setattr(kagglehub, "dataset_download", offline)
    with pytest.raises(DataError, match="GEMLIB_DATA_DIR"):
        dl.download("gemstones", tmp_path / "g", method="kagglehub")
