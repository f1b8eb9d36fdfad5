"""Unpack, verify and move logic of gemlib.download on archives the tests build (no network)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from PIL import Image

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


def test_kagglehub_architecture_is_turned_into_the_lesson_form(tmp_path, small_spec, monkeypatch, capsys):
    cache = make_dataset(tmp_path / "cache" / "architectural-styles-dataset", n_train=2, n_test=0, split=False)
    import kagglehub

    calls = []
    monkeypatch.setattr(kagglehub, "dataset_download", lambda ref: calls.append(ref) or str(cache.parent))
    monkeypatch.setattr(dl, "kaggle_credentials", lambda: False)
    dest = tmp_path / "data" / "architecture"
    assert dl.download("architecture", dest, source="kagglehub") == dest
    assert calls == ["x/z"] and len(list(dest.rglob("*.jpg"))) == 6
    # the Kaggle release is turned into the lesson's form: greyscale, 128 x 128
    with Image.open(next(dest.rglob("*.jpg"))) as img:
        assert img.mode == "L" and img.size == (128, 128)
    assert "differs from the reference copy" in capsys.readouterr().out


def test_missing_credentials_say_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv("KAGGLE_USERNAME", raising=False)
    monkeypatch.delenv("KAGGLE_KEY", raising=False)
    monkeypatch.delenv("KAGGLE_API_TOKEN", raising=False)
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path))
    assert not dl.kaggle_credentials()
    with pytest.raises(DataError, match="kaggle.json"):
        dl.download("gemstones", tmp_path / "g", source="kaggle")


def test_network_failure_is_a_clear_error(tmp_path, monkeypatch):
    import kagglehub

    def offline(ref):
        raise ConnectionError("no route to host")

    monkeypatch.setattr(kagglehub, "dataset_download", offline)
    with pytest.raises(DataError, match="GEMLIB_DATA_DIR"):
        dl.download("gemstones", tmp_path / "g", source="kagglehub")



# ------------------------------------------------------------------ the reference archive, served locally

@pytest.fixture()
def served(tmp_path):
    """A local HTTP server over tmp_path/www; yields its base URL (stopped afterwards)."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield www, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _reference_archive(tmp_path: Path, www: Path) -> tuple[Path, "object"]:
    """A GitHub-style archive (<repo>-<commit>/dataset/<Style>/..., plus other files) and the
    manifest of its dataset/ folder."""
    from gemlib import manifest

    repo = tmp_path / "repo"
    make_dataset(repo / "dataset", n_train=2, n_test=1, split=False)
    (repo / "README.md").write_text("a repository with more than the data\n")
    table = manifest.build_manifest(repo / "dataset")
    archive = _zip(repo, www / "abc123.zip", prefix="ArchitecturalStyles_RBM-abc123/")
    return archive, table


def test_reference_download_over_http_is_verified_and_moved_into_place(tmp_path, small_spec, served, monkeypatch):
    from gemlib import manifest

    www, base = served
    archive, table = _reference_archive(tmp_path, www)
    monkeypatch.setitem(dl.REFERENCES, "architecture", dl.Reference(f"{base}/{archive.name}", "dataset"))
    monkeypatch.setattr(manifest, "read_manifest", lambda name: table)
    dest = tmp_path / "data" / "architecture"
    assert dl.download("architecture", dest) == dest
    assert sorted(p.name for p in dest.iterdir()) == ["Blue", "Green", "Red"]  # dataset/ only
    assert manifest.compare(dest, table).matches
    assert [p.name for p in dest.parent.iterdir()] == ["architecture"]  # no staging, no archive left


def test_reference_archive_that_differs_from_the_manifest_installs_nothing(tmp_path, small_spec, served, monkeypatch):
    www, base = served
    archive, table = _reference_archive(tmp_path, www)
    table.loc[0, "sha256"] = "0" * 64  # the archive no longer matches the reference
    dest = tmp_path / "data" / "architecture"
    with pytest.raises(DataError, match=r"1 changed \(e\.g\. Blue/blue_0\.jpg\).*nothing was installed"):
        dl.install_reference(archive, dest, "architecture", "dataset", reference=table)
    assert not dest.exists() and list(dest.parent.iterdir()) == []


def test_fetch_reads_file_urls_and_names_unreachable_servers(tmp_path):
    src = tmp_path / "a.bin"
    src.write_bytes(b"x" * 3000)
    assert dl.fetch(src.as_uri(), tmp_path / "b.bin").read_bytes() == b"x" * 3000
    import socket

    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DataError, match=rf"could not fetch http://127.0.0.1:{port}/x.zip .*GEMLIB_DATA_DIR"):
        dl.fetch(f"http://127.0.0.1:{port}/x.zip", tmp_path / "c.zip", timeout=5)


def test_manifest_comparison_names_missing_extra_and_changed_files(tmp_path):
    from gemlib import manifest

    root = make_dataset(tmp_path / "copy", n_train=2, n_test=0, split=False)
    table = manifest.build_manifest(root)
    path = manifest.write_manifest(table, tmp_path / "m.csv.gz")
    assert manifest.compare(root, manifest.read_manifest(path)).summary() == "matches the reference copy (6 files)"
    (root / "Red" / "red_0.jpg").unlink()
    (root / "Red" / "new.jpg").write_bytes(b"new")
    (root / "Blue" / "blue_1.jpg").write_bytes(b"changed")
    assert manifest.compare(root, table).summary() == (
        "differs from the reference copy of 6 files: 1 missing (e.g. Red/red_0.jpg), "
        "1 extra (e.g. Red/new.jpg), 1 changed (e.g. Blue/blue_1.jpg)")


@pytest.mark.parametrize("name", ["gemstones", "architecture"])
def test_the_shared_copies_match_the_shipped_manifests(data_dir, name):
    from gemlib import manifest

    assert manifest.check(name, data_dir / name).matches


def test_check_on_the_command_line_says_how_a_copy_differs(tmp_path, capsys):
    from gemlib import manifest
    from gemlib.cli import main

    root = make_dataset(tmp_path / "architecture", n_train=1, n_test=0, split=False)
    assert main(["download", "architecture", "--dest", str(root), "--check"]) == 1
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"{root}: differs from the reference copy of {len(manifest.read_manifest('architecture')):,}")
    assert "\n" not in line


def test_data_does_not_import_download():
    import ast

    tree = ast.parse((Path(dl.__file__).parent / "data.py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m and m.startswith("gemlib.download") for m in imported)
