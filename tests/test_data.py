"""gemlib.data on tiny images with known answers, broken files included, and on the real data."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import COLOURS, make_dataset, solid
from gemlib import data
from gemlib.data import DataError


# ------------------------------------------------------------------ load_image

@pytest.mark.parametrize("mode", ["RGB", "L", "CMYK", "P", "RGBA", "LA", "I;16"])
def test_load_image_any_mode_gives_uint8_rgb(tmp_path, mode):
    img = solid((200, 100, 50), size=20, mode="RGB")
    if mode == "I;16":
        arr = (np.asarray(img.convert("L"), np.uint16) * 257)
        img = Image.fromarray(arr)
        assert img.mode.startswith("I;16")
    else:
        img = img.convert(mode)
    path = tmp_path / ("x.tif" if mode in ("CMYK", "I;16") else "x.png")
    img.save(path)
    out = data.load_image(path)
    assert out.dtype == np.uint8 and out.shape == (20, 20, 3)
    if mode in ("L", "LA", "I;16"):
        assert np.array_equal(out[..., 0], out[..., 1]) and np.array_equal(out[..., 1], out[..., 2])
        # grey level of (200,100,50) is about 0.299*200+0.587*100+0.114*50 = 124.5
        assert abs(out.mean() - 124.5) < 8
    else:
        assert abs(out[..., 0].mean() - 200) < 12 and abs(out[..., 2].mean() - 50) < 12


def test_transparent_pixels_become_white(tmp_path):
    arr = np.zeros((10, 10, 4), np.uint8)
    arr[..., 0] = 255  # red, fully transparent on the left half
    arr[:, 5:, 3] = 255
    Image.fromarray(arr).save(tmp_path / "a.png")
    out = data.load_image(tmp_path / "a.png")
    assert (out[:, :5] == 255).all()  # transparent -> white
    assert (out[:, 5:] == [255, 0, 0]).all()  # opaque red stays red


def test_palette_with_transparency(tmp_path):
    img = Image.new("P", (8, 8), 0)
    img.putpalette([0, 0, 255] + [0, 255, 0] * 255)
    img.info["transparency"] = 0
    img.save(tmp_path / "p.png", transparency=0)
    assert (data.load_image(tmp_path / "p.png") == 255).all()


def test_load_image_resizes(tmp_path):
    solid((10, 20, 30), size=50).save(tmp_path / "x.jpg")
    assert data.load_image(tmp_path / "x.jpg", size=16).shape == (16, 16, 3)


def test_truncated_and_non_images_raise_clear_errors(tmp_path):
    good = tmp_path / "g.jpg"
    solid((1, 2, 3), size=64).save(good, quality=95)
    trunc = tmp_path / "t.jpg"
    trunc.write_bytes(good.read_bytes()[:200])
    text = tmp_path / "notes.jpg"
    text.write_text("hello")
    for bad in (trunc, text, tmp_path / "missing.jpg"):
        with pytest.raises(DataError) as info:
            data.load_image(bad)
        assert str(bad) in str(info.value)


# ------------------------------------------------------------------ scan and duplicates

def _messy(root: Path) -> Path:
    make_dataset(root, n_train=3, n_test=1)
    tr = root / "train"
    good = tr / "Red" / "red_0.jpg"
    (tr / "Red" / "truncated.jpg").write_bytes(good.read_bytes()[:100])
    (tr / "Red" / "empty.jpg").write_bytes(b"")
    (tr / "Green" / "readme.txt").write_text("not an image")
    solid((0, 0, 0), mode="CMYK").save(tr / "Blue" / "cmyk.jpg")
    shutil.copy(good, tr / "Green" / "copy_of_red.jpg")  # conflict: same bytes, two labels
    shutil.copy(root / "test" / "Blue" / "blue_0.jpg", tr / "Blue" / "leak.jpg")  # crosses split
    return root


def test_scan_keeps_every_file_and_flags_broken_ones(tmp_path):
    root = _messy(tmp_path / "m")
    table = data.scan(root)
    n_files = sum(1 for p in root.rglob("*") if p.is_file())
    assert len(table) == n_files
    assert {"path", "split", "label", "width", "height", "mode", "readable", "sha1"} <= set(table.columns)
    unreadable = set(Path(p).name for p in table.loc[~table["readable"], "path"])
    assert unreadable == {"truncated.jpg", "empty.jpg", "readme.txt"}
    row = table[table["path"].str.endswith("cmyk.jpg")].iloc[0]
    assert row["mode"] == "CMYK" and row["readable"] and row["label"] == "Blue" and row["split"] == "train"
    assert set(table["split"]) == {"train", "test"}


def test_find_duplicates_flags_conflicts_and_cross_split(tmp_path):
    table = data.scan(_messy(tmp_path / "m"))
    dups = data.find_duplicates(table)
    assert len(dups) == 2
    conflict = dups[dups["conflict"]].iloc[0]
    assert sorted(conflict["labels"]) == ["Green", "Red"] and not conflict["cross_split"]
    cross = dups[dups["cross_split"]].iloc[0]
    assert sorted(cross["splits"]) == ["test", "train"] and not cross["conflict"]
    assert (dups["kind"] == "exact").all()


def test_near_duplicates_found_by_perceptual_hash(tmp_path):
    root = tmp_path / "n"
    (root / "A").mkdir(parents=True)
    (root / "B").mkdir()
    blocks = np.random.default_rng(0).integers(0, 255, (8, 8, 3), dtype=np.uint8)
    img = Image.fromarray(blocks).resize((64, 64), Image.Resampling.NEAREST)
    img.save(root / "A" / "x.png")
    img.save(root / "B" / "x.jpg", quality=90)  # same picture, other bytes
    dups = data.find_duplicates(data.scan(root), near=True)
    near = dups[dups["kind"] == "near"]
    assert len(near) == 1 and near.iloc[0]["conflict"]


def test_scan_of_dataset_without_split(tmp_path):
    table = data.scan(make_dataset(tmp_path / "a", n_train=2, n_test=0, split=False))
    assert set(table["split"]) == {""} and set(table["label"]) == set(COLOURS)


# ------------------------------------------------------------------ class lists and loading

def test_empty_class_folder_is_an_error(tiny):
    (tiny / "train" / "Empty").mkdir()
    with pytest.raises(DataError, match="Empty"):
        data.class_names(tiny / "train")


def test_train_and_test_class_lists_must_agree(tiny):
    shutil.rmtree(tiny / "test" / "Green")
    with pytest.raises(DataError, match="only in train \\['Green'\\]"):
        data.load_dataset("gemstones", 16, root=tiny)


def test_load_dataset_fixed_order_stratified_and_warns_once(tiny):
    (tiny / "test" / "Red" / "bad.jpg").write_bytes(b"broken")
    (tiny / "train" / "Red" / "notes.txt").write_text("stray")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = data.load_dataset("gemstones", 16, val_fraction=0.3, seed=1, root=tiny)
    messages = [str(w.message) for w in caught if "left out" in str(w.message)]
    assert len(messages) == 1 and "bad.jpg" in messages[0] and "notes.txt" in messages[0]
    assert ds.classes == ["Blue", "Green", "Red"]
    assert ds.train.images.shape[1:] == (16, 16, 3) and ds.train.images.dtype == np.uint8
    assert len(ds.test) == 9 and len(ds.train) + len(ds.val) == 30
    assert not any(p.endswith("bad.jpg") for p in ds.test.paths)
    assert sorted(np.bincount(ds.val.labels).tolist()) == [3, 3, 3]  # stratified
    assert not set(ds.val.paths) & set(ds.train.paths)
    # the label of each image is its colour: red images have the largest red channel
    red = ds.train.images[ds.train.labels == 2].mean(axis=(0, 1, 2))
    assert red.argmax() == 0
    again = data.load_dataset("gemstones", 16, val_fraction=0.3, seed=1, root=tiny)
    assert again.val.paths == ds.val.paths


def test_train_copies_of_test_images_are_left_out(tiny):
    shutil.copy(tiny / "test" / "Red" / "red_0.jpg", tiny / "train" / "Red" / "leak.jpg")
    with pytest.warns(UserWarning, match="twins of test files"):
        ds = data.load_dataset("gemstones", 16, root=tiny)
    assert not any(p.endswith("leak.jpg") for p in ds.train.paths + ds.val.paths)


def test_left_out_notice_has_its_own_category_that_can_be_silenced(tiny):
    shutil.copy(tiny / "test" / "Red" / "red_0.jpg", tiny / "train" / "Red" / "leak.jpg")
    with pytest.warns(data.LeftOutWarning, match="twins of test files"):
        data.load_dataset("gemstones", 16, root=tiny)
    assert issubclass(data.LeftOutWarning, UserWarning)  # shown by default in scripts
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=data.LeftOutWarning)
        ds = data.load_dataset("gemstones", 16, root=tiny)
    assert not [w for w in caught if "left out" in str(w.message)]
    assert any(p.endswith("leak.jpg") for p in ds.excluded)


def test_unsplit_dataset_gets_stratified_three_way_split(tmp_path):
    root = make_dataset(tmp_path / "a", n_train=17, n_test=3, split=False)
    shutil.copy(root / "Red" / "red_0.jpg", root / "Green" / "same_as_red.jpg")
    ds = data.load_dataset("architecture", 16, val_fraction=0.2, test_fraction=0.2, root=root)
    paths = ds.train.paths + ds.val.paths + ds.test.paths
    assert len(paths) == len(set(paths)) == 59  # 61 files less the conflicting pair
    assert not any(p.endswith(("same_as_red.jpg", "red_0.jpg")) for p in paths)
    assert sorted(np.bincount(ds.test.labels).tolist()) == [4, 4, 4]


def test_dataset_root_prefers_environment_and_fails_loudly_under_ci(tmp_path, monkeypatch):
    make_dataset(tmp_path / "gemstones", n_train=1, n_test=1)
    monkeypatch.setenv("GEMLIB_DATA_DIR", str(tmp_path))
    assert data.dataset_root("gemstones") == tmp_path / "gemstones"
    monkeypatch.setenv("GEMLIB_DATA_DIR", str(tmp_path / "nowhere"))
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(data, "PROJECT_ROOT", tmp_path / "project")
    with pytest.raises(DataError, match="CI"):
        data.dataset_root("gemstones")
    with pytest.raises(DataError, match="unknown dataset"):
        data.dataset_root("rocks")


def test_tests_find_the_data_where_make_all_puts_it(tmp_path, monkeypatch):
    from conftest import real_data_dir

    project = tmp_path / "project"
    for name, split in (("gemstones", True), ("architecture", False)):
        make_dataset(project / "data" / name, n_train=1, n_test=1, split=split)
    monkeypatch.delenv("GEMLIB_DATA_DIR", raising=False)
    monkeypatch.setattr(data, "PROJECT_ROOT", project)
    # no variable: data/ (the shared copy beside the clone comes only after it)
    assert data.find_dataset("gemstones") == project / "data" / "gemstones"
    assert real_data_dir() == project / "data"
    # the variable comes first
    elsewhere = tmp_path / "elsewhere"
    make_dataset(elsewhere / "gemstones", n_train=1, n_test=1)
    make_dataset(elsewhere / "architecture", n_train=1, n_test=1, split=False)
    monkeypatch.setenv("GEMLIB_DATA_DIR", str(elsewhere))
    assert real_data_dir() == elsewhere
    # a folder without train/ and test/ is not the gemstones; then `also` is tried
    assert data.find_dataset("gemstones", also=(tmp_path / "nowhere",)) == elsewhere / "gemstones"
    monkeypatch.setenv("GEMLIB_DATA_DIR", str(tmp_path / "nowhere"))
    monkeypatch.setattr(data, "PROJECT_ROOT", tmp_path / "empty")
    assert data.find_dataset("gemstones") is None
    assert data.find_dataset("gemstones", also=(elsewhere / "gemstones",)) == elsewhere / "gemstones"


# ------------------------------------------------------------------ the real data

@pytest.mark.slow
def test_real_gemstones_counts(data_dir):
    table = data.scan(data_dir / "gemstones")
    assert table["label"].nunique() == 87
    assert (table["split"] == "train").sum() == 2856 and (table["split"] == "test").sum() == 363
    assert table["readable"].all()
    assert set(table["mode"]) >= {"RGB"}


def test_real_class_lists_agree(data_dir):
    train = data.class_names(data_dir / "gemstones" / "train")
    assert len(train) == 87 and train == data.class_names(data_dir / "gemstones" / "test")


def test_real_architecture_has_25_styles(data_dir):
    assert len(data.class_names(data_dir / "architecture")) == 25


# ------------------------------------------------------------------ twins and the group-aware split

def _pattern(seed: int, size: int = 64) -> Image.Image:
    """A smooth random picture: its perceptual hash is far from any other seed's."""
    rng = np.random.default_rng(seed)
    small = Image.fromarray(rng.integers(0, 256, (6, 6, 3)).astype(np.uint8))
    return small.resize((size, size), Image.Resampling.BICUBIC)


def _near_copy(src: Path, dest: Path) -> None:
    """The same picture, resized and recompressed: other bytes, same perceptual hash."""
    with Image.open(src) as img:
        img.convert("RGB").resize((57, 57), Image.Resampling.BILINEAR).save(dest, quality=70)


def _plant_twins(root: Path) -> None:
    """Plant twins in the tiny train/test set: of a test photo, same-class, across classes."""
    tr, te = root / "train", root / "test"
    for i, (d, name) in enumerate([(te / "Red", "p_test.jpg"), (tr / "Blue", "p_exact.jpg"),
                                   (tr / "Green", "p_near.jpg"), (tr / "Red", "p_cross.jpg")]):
        _pattern(100 + i).save(d / name, quality=95)
    _near_copy(te / "Red" / "p_test.jpg", tr / "Red" / "near_test.jpg")  # near twin of a test file
    shutil.copy(tr / "Blue" / "p_exact.jpg", tr / "Blue" / "p_exact_copy.jpg")  # same class, same bytes
    _near_copy(tr / "Green" / "p_near.jpg", tr / "Green" / "p_near_copy.jpg")  # same class, near
    shutil.copy(tr / "Red" / "p_cross.jpg", tr / "Blue" / "p_cross_copy.jpg")  # one picture, two classes


def test_duplicate_groups_join_exact_and_near_copies_transitively(tmp_path):
    paths = []
    for i in range(3):
        _pattern(i).save(tmp_path / f"a{i}.png")
        paths.append(str(tmp_path / f"a{i}.png"))
    shutil.copy(paths[0], tmp_path / "a0_copy.png")
    _near_copy(tmp_path / "a0_copy.png", tmp_path / "a0_near.jpg")
    paths += [str(tmp_path / "a0_copy.png"), str(tmp_path / "a0_near.jpg")]
    assert data.duplicate_groups(paths) == [[0, 3, 4], [1], [2]]
    assert data.duplicate_groups(paths, near=False) == [[0, 3], [1], [2], [4]]


def test_group_aware_split_keeps_twins_on_one_side(tiny):
    _plant_twins(tiny)
    with pytest.warns(UserWarning, match="left out of the split"):
        ds = data.load_dataset("gemstones", 16, val_fraction=0.3, seed=0, root=tiny)
    files = ds.files()
    used = files["train_files"] + files["val_files"]
    assert "train/Red/near_test.jpg" not in used  # near twin of a test photo
    assert not {"train/Red/p_cross.jpg", "train/Blue/p_cross_copy.jpg"} & set(used)
    assert len({"train/Blue/p_exact.jpg", "train/Blue/p_exact_copy.jpg"} & set(used)) == 1
    near = {"train/Green/p_near.jpg", "train/Green/p_near_copy.jpg"}
    assert near <= set(files["train_files"]) or near <= set(files["val_files"])
    assert files["test_files"][0].startswith("test/") and len(files["test_files"]) == 10
    # no group of the whole set has members on two sides
    side = {f: s for s, fs in files.items() for f in fs}
    everything = sorted(side)
    for group in data.duplicate_groups([str(tiny / f) for f in everything]):
        assert len({side[everything[i]] for i in group}) == 1


def test_seed_split_changes_across_seeds_but_files_reproduce_it(tiny):
    ds = data.load_dataset("gemstones", 16, val_fraction=0.3, seed=0, root=tiny)
    other = data.load_dataset("gemstones", 16, val_fraction=0.3, seed=1, root=tiny)
    assert ds.files()["val_files"] != other.files()["val_files"]
    again = data.load_dataset("gemstones", 16, root=tiny, files=ds.files(), splits=("val",))
    assert again.files() == ds.files() and len(again.val.images) == len(ds.val)
    np.testing.assert_array_equal(again.val.labels, ds.val.labels)
    (tiny / ds.files()["val_files"][0]).unlink()
    with pytest.raises(DataError, match="missing.*--check"):
        data.load_dataset("gemstones", 16, root=tiny, files=ds.files())


def test_keep_classes_relabels_in_the_given_order_and_keeps_the_full_split(tiny):
    full = data.load_dataset("gemstones", 16, val_fraction=0.3, seed=0, root=tiny)
    few = data.load_dataset("gemstones", 16, val_fraction=0.3, seed=0, root=tiny,
                            keep_classes=["Red", "Blue"])
    assert few.classes == ["Red", "Blue"]
    for name in ("train", "val", "test"):
        part, whole = getattr(few, name), getattr(full, name)
        # the same photos of those two classes, in the same split: Red (2 in full) is now 0
        assert part.paths == [p for p, lab in zip(whole.paths, whole.labels) if lab in (0, 2)]
        np.testing.assert_array_equal(part.labels, [{2: 0, 0: 1}[lab] for lab in whole.labels
                                                    if lab in (0, 2)])
        assert len(part.images) == len(part.paths)
    red = few.train.images[few.train.labels == 0].mean(axis=(0, 1, 2))
    assert red.argmax() == 0  # label 0 is the red squares
    again = data.load_dataset("gemstones", 16, root=tiny, files=full.files(), keep_classes=["Green"])
    assert again.classes == ["Green"] and set(again.val.labels) == {0}
    with pytest.raises(DataError, match="not found: \\['Purple'\\]"):
        data.load_dataset("gemstones", 16, root=tiny, keep_classes=["Red", "Purple"])
    with pytest.raises(DataError, match="distinct"):
        data.load_dataset("gemstones", 16, root=tiny, keep_classes=["Red", "Red"])


def test_has_twin_marks_the_paths_whose_group_holds_another_list(tmp_path):
    for i in range(3):
        _pattern(i).save(tmp_path / f"p{i}.png")
    _near_copy(tmp_path / "p0.png", tmp_path / "p0_near.jpg")
    shutil.copy(tmp_path / "p2.png", tmp_path / "p2_copy.png")
    train = [str(tmp_path / "p0_near.jpg"), str(tmp_path / "p2_copy.png")]
    test = [str(tmp_path / f"p{i}.png") for i in range(3)]
    assert data.has_twin(test, train).tolist() == [True, False, True]
    assert data.has_twin(test, train, near=False).tolist() == [False, False, True]


# ------------------------------------------------------------------ decode_image (uploads and paths)

def _encoded(img: Image.Image, fmt: str, **kw) -> bytes:
    import io

    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_decode_image_reads_bytes_and_paths_alike(tmp_path, fmt):
    raw = _encoded(solid((200, 100, 50), size=40), fmt, **({"quality": 95} if fmt != "PNG" else {}))
    (tmp_path / "x").write_bytes(raw)
    from_bytes = data.decode_image(raw, 32, name="x")
    assert from_bytes.shape == (32, 32, 3) and from_bytes.dtype == np.uint8
    assert np.array_equal(from_bytes, data.decode_image(tmp_path / "x", 32))
    assert np.array_equal(from_bytes, data.load_image(tmp_path / "x", 32))
    assert abs(from_bytes[..., 0].mean() - 200) < 12 and abs(from_bytes[..., 2].mean() - 50) < 12


def test_decode_image_16_bit_png_is_scaled_not_refused():
    arr = np.zeros((20, 20), np.uint16)
    arr[:, 10:] = 65535
    arr[:10, :10] = 32768
    img = Image.fromarray(arr)
    assert img.mode.startswith("I;16")
    out = data.decode_image(_encoded(img, "PNG"), name="deep.png")
    assert (out[:, 10:] == 255).all() and (out[10:, :10] == 0).all() and (out[:10, :10] == 128).all()


def test_decode_image_palette_cmyk_and_transparent():
    pal = Image.new("P", (20, 20), 1)
    pal.putpalette([0, 0, 0, 10, 200, 30] + [0, 0, 0] * 254)
    assert (data.decode_image(_encoded(pal, "PNG")) == [10, 200, 30]).all()
    cmyk = Image.new("CMYK", (20, 20), (0, 255, 255, 0))  # pure red in CMYK
    out = data.decode_image(_encoded(cmyk, "JPEG", quality=95))
    assert out[..., 0].mean() > 230 and out[..., 1:].mean() < 25
    rgba = np.zeros((20, 20, 4), np.uint8)
    rgba[..., 2] = 255
    rgba[:, 10:, 3] = 255  # left half transparent
    out = data.decode_image(_encoded(Image.fromarray(rgba), "WEBP", lossless=True))
    assert (out[:, :10] == 255).all() and (out[:, 10:] == [0, 0, 255]).all()


def test_decode_image_applies_exif_rotation():
    arr = np.zeros((20, 40, 3), np.uint8)  # wide, red on the left
    arr[:, :20, 0] = 255
    img = Image.fromarray(arr)
    exif = img.getexif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to view"
    out = data.decode_image(_encoded(img, "PNG", exif=exif.tobytes()))
    assert out.shape == (40, 20, 3)  # upright: tall
    assert out[:20, :, 0].mean() > 200 and out[20:, :, 0].mean() < 50  # red now on top
    assert np.array_equal(out, np.asarray(data._exif_upright(Image.open(
        __import__("io").BytesIO(_encoded(img, "PNG", exif=exif.tobytes()))))))


def test_decode_image_huge_jpeg_is_decoded_at_reduced_scale(monkeypatch):
    raw = _encoded(solid((30, 60, 200), size=1600), "JPEG", quality=80)
    seen = []
    real_load = Image.Image.load

    def load(self):
        seen.append(self.size)
        return real_load(self)

    monkeypatch.setattr(Image.Image, "load", load)
    out = data.decode_image(raw, 64, name="big.jpg")
    assert out.shape == (64, 64, 3) and abs(out[..., 2].mean() - 200) < 12
    assert max(seen[0]) <= 200  # decoded at 1/8 scale (200 px), never at 1600


@pytest.mark.parametrize("kind", ["empty", "truncated", "text", "bomb", "tiny"])
def test_decode_image_bad_bytes_give_one_line_naming_the_file_and_fix(kind, monkeypatch):
    good = _encoded(solid((1, 2, 3), size=64), "JPEG", quality=95)
    raw = {"empty": b"", "truncated": good[:300], "text": b"hello, not a photo",
           "bomb": _encoded(Image.new("L", (400, 400)), "PNG"),
           "tiny": _encoded(solid((1, 2, 3), size=8), "PNG")}[kind]
    if kind == "bomb":
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100 * 100)
    with pytest.raises(DataError) as info:
        data.decode_image(raw, 32, name="holiday.jpg", min_side=data.MIN_SIDE)
    msg = str(info.value)
    assert msg.startswith("holiday.jpg: ") and "\n" not in msg
    expected = {"empty": "empty", "truncated": "truncated", "text": "not a readable image",
                "bomb": "too many pixels", "tiny": "too small"}[kind]
    fix = {"empty": "again", "truncated": "good copy", "text": "JPEG, PNG or WebP",
           "bomb": "smaller copy", "tiny": "larger photo"}[kind]
    assert expected in msg and fix in msg


@pytest.mark.parametrize("side", [120, 300])  # Pillow warns between 1 and 2 x its limit, raises above
def test_decode_image_refuses_more_pixels_than_the_limit_from_bytes_and_paths(tmp_path, monkeypatch, side):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100 * 100)
    raw = _encoded(Image.new("L", (side, side)), "PNG")
    (tmp_path / "big.png").write_bytes(raw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the upload path shows one line, no warning besides
        with pytest.raises(DataError, match="big.png: refused, too many pixels"):
            data.decode_image(raw, 32, name="big.png")
    with warnings.catch_warnings(), pytest.raises(DataError, match="too many pixels"):
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # Pillow's own, for paths
        data.load_image(tmp_path / "big.png", 32)
    ok = _encoded(Image.new("L", (100, 100)), "PNG")  # at the limit: decoded
    assert data.decode_image(ok, 32).shape == (32, 32, 3)


def test_decode_image_bomb_over_twice_the_limit_is_refused_too():
    raw = _encoded(Image.new("1", (20_000, 20_000)), "PNG")  # 400 Mpx in a few kB
    with pytest.raises(DataError, match="too many pixels"):
        data.decode_image(raw, 32, name="bomb.png")


def test_perceptual_hash_steps_give_imagehash_bits(tmp_path):
    import imagehash

    for seed in range(5):
        picture = _pattern(seed, size=80)
        steps = data.perceptual_hash_steps(np.asarray(picture))
        np.testing.assert_array_equal(steps["bits"], imagehash.phash(picture).hash)
        assert steps["grey"].shape == (32, 32) and steps["dct"].shape == (8, 8)
        assert steps["bits"].sum() == 32  # half the block lies above its median
        picture.save(tmp_path / f"p{seed}.png")
        assert steps["hash"] == data.perceptual_hash(tmp_path / f"p{seed}.png")
    grey = np.asarray(_pattern(0).convert("L"))
    np.testing.assert_array_equal(data.perceptual_hash_steps(grey)["bits"],
                                  imagehash.phash(Image.fromarray(grey)).hash)
    with pytest.raises(DataError, match="one photo"):
        data.perceptual_hash_steps(np.zeros((2, 8, 8, 3), np.uint8))


def test_split_files_can_return_the_extra_identical_copies(tiny):
    """Of byte-identical copies under one class one is kept; return_copies names the others."""
    shutil.copy(tiny / "train" / "Red" / "red_0.jpg", tiny / "train" / "Red" / "again.jpg")
    classes = data.class_names(tiny / "train")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", data.LeftOutWarning)
        plain = data.split_files(tiny, classes, val_fraction=0.3)
        lists, dropped, stray, copies = data.split_files(tiny, classes, val_fraction=0.3,
                                                         return_copies=True)
    assert (lists, dropped, stray) == plain  # the usual three results are unchanged
    assert len(copies) == 1 and Path(copies[0]).name in {"red_0.jpg", "again.jpg"}
    kept = lists["train"][0] + lists["val"][0]
    assert copies[0] not in kept and len(kept) + len(copies) + len(dropped) == len(
        list((tiny / "train").rglob("*.jpg")))
