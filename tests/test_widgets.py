"""The slider callback, without a browser."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from gemlib.models import build_resnet
from gemlib.widgets import VarGradExplorer, render


def _model_and_images():
    model = build_resnet(3, image_size=32, widths=(4, 4, 8, 8), head_units=8)
    images = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3)).astype(np.uint8)
    return model, images


def test_render_gives_heatmap_overlay_and_png():
    model, images = _model_and_images()
    r = render(model, images[0], target=2, noise=0.2, n_samples=5)
    assert r.target == 2 and 0 < r.probability < 1
    assert r.heatmap.shape == (32, 32) and 0 <= r.heatmap.min() and r.heatmap.max() <= 1
    png = Image.open(io.BytesIO(r.png))
    assert png.size == (32 * 3 * 2, 32 * 2)
    again = render(model, images[0], target=2, noise=0.2, n_samples=5)
    assert again.png == r.png  # fixed seed: only the settings change the picture
    assert render(model, images[0], target=2, noise=0.45, n_samples=5).png != r.png


def test_predicted_class_is_the_default_target():
    model, images = _model_and_images()
    p = np.asarray(model(images[:1].astype("float32"))).argmax()
    assert render(model, images[0], target=-1, n_samples=2).target == p


def test_explorer_redraws_when_a_slider_moves():
    model, images = _model_and_images()
    ex = VarGradExplorer(model, images, ["a", "b", "c"])
    first = ex.picture.value
    ex.noise.value = 0.4
    assert ex.picture.value != first
    ex.samples.value = 3
    ex.target.value = 1
    assert ex.last.target == 1 and "b" in ex.caption.value
    assert (ex.noise.min, ex.noise.max, ex.samples.min, ex.samples.max) == (0.0, 0.5, 1, 200)


def test_augmentation_explorer_redraws_a_strip_when_a_slider_moves():
    from gemlib.augment import AugmentConfig
    from gemlib.widgets import AugmentationExplorer, augmentation_png

    photo = np.zeros((16, 16, 3), np.uint8)
    photo[4:8, 2:14] = (200, 40, 40)  # an off-centre bar: rotations and zooms move it
    png = Image.open(io.BytesIO(augmentation_png(photo, AugmentConfig(), n=4, scale=2)))
    assert png.size == (16 * 4 * 2, 16 * 2)
    ex = AugmentationExplorer(photo, n=4)
    assert ex.config() == AugmentConfig()  # starts at the shipped recipe
    first = ex.picture.value
    ex.sliders["rotation"].value = 0.0
    ex.sliders["zoom"].value = 0.0
    assert ex.picture.value != first and ex.config().rotation == 0.0


# ------------------------------------------------------------------ cached gradients


def test_cached_gradients_equal_vargrad_for_5_then_20_then_3_samples():
    from gemlib import explain
    from gemlib.widgets import GradientCache, NoisyGradients

    model, images = _model_and_images()
    kept = NoisyGradients(model, images[0], 1, noise=0.2, seed=3)
    for n in (5, 20, 3):
        expected = explain.vargrad(model, images[:1], [1], n_samples=n, noise=0.2, seed=3)[0]
        got = kept.vargrad(n)
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6 * float(np.abs(expected).max()))
    assert len(kept.gradients) == 20  # 5, then only the 15 more; 3 is a prefix
    cache = GradientCache(size=2)
    a = cache.get(model, "photo", images[0], 1, 0.2, 3)
    assert cache.get(model, "photo", images[0], 1, 0.2, 3) is a
    cache.get(model, "photo", images[0], 2, 0.2, 3)
    cache.get(model, "photo", images[0], 1, 0.3, 3)  # third setting: the oldest (a) is dropped
    assert cache.get(model, "photo", images[0], 1, 0.2, 3) is not a


def test_explorer_samples_slider_reuses_gradients():
    model, images = _model_and_images()
    ex = VarGradExplorer(model, images, ["a", "b", "c"])
    kept = ex.cache.get(model, (0, ("image", 0)), images[0], ex.last.target, 0.15, 0)
    assert len(kept.gradients) == 50
    ex.samples.value = 10
    assert len(kept.gradients) == 50  # a prefix: nothing recomputed
    ex.samples.value = 60
    assert len(kept.gradients) == 60


# ------------------------------------------------------------------ your own photo


def _bytes(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _photo(size: int = 40, seed: int = 1) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (size, size + 6, 3)).astype(np.uint8))


def _good(kind: str) -> bytes:
    photo = _photo()
    if kind == "png16":
        return _bytes(Image.fromarray((np.asarray(photo.convert("L"), np.uint16) * 257)), "PNG")
    if kind == "palette":
        return _bytes(photo.convert("P"), "PNG")
    if kind == "cmyk":
        return _bytes(photo.convert("CMYK"), "JPEG")
    if kind == "transparent":
        return _bytes(photo.convert("RGBA"), "PNG")
    if kind == "exif":  # wide, red left half, blue right, stored sideways: upright, red is on top
        arr = np.zeros((40, 60, 3), np.uint8)
        arr[:, :30, 0], arr[:, 30:, 2] = 255, 255
        sideways = Image.fromarray(arr)
        exif = sideways.getexif()
        exif[0x0112] = 6  # "rotate 90 degrees clockwise to view"
        return _bytes(sideways, "JPEG", quality=95, exif=exif.tobytes())
    if kind == "huge":
        return _bytes(_photo(size=2400), "JPEG", quality=60)
    return _bytes(photo, {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}[kind])


def _bad(kind: str) -> bytes:
    return {"empty": b"", "truncated": _good("jpeg")[:200], "text": b"my holiday notes",
            "bomb": _bytes(Image.new("L", (300, 300)), "PNG"),
            "tiny": _bytes(_photo(size=8), "PNG")}[kind]


@pytest.mark.parametrize("kind", ["jpeg", "png", "webp", "png16", "palette", "cmyk", "transparent",
                                  "exif", "huge"])
def test_explain_upload_accepts_good_photos(kind):
    from gemlib.widgets import explain_upload

    model, _ = _model_and_images()
    classes = ["a", "b", "c"]
    u = explain_upload(model, classes, _good(kind), f"mine.{kind}", n_samples=2)
    assert u.image.shape == (32, 32, 3) and u.image.dtype == np.uint8  # as the model sees it
    assert [name for name, _ in u.top] == [classes[i] for i in np.argsort(-u.probabilities)]
    assert u.target == int(u.probabilities.argmax()) and u.heatmap.shape == (32, 32)
    assert u.unfamiliar is None and u.nearest == []
    if kind == "exif":
        assert u.image[:12, :, 0].mean() > 200 and u.image[20:, :, 0].mean() < 50


@pytest.mark.parametrize("kind", ["empty", "truncated", "text", "bomb", "tiny"])
def test_explain_upload_refuses_bad_files_with_one_line(kind, monkeypatch):
    from gemlib.data import DataError
    from gemlib.widgets import explain_upload

    if kind == "bomb":
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 200 * 200)
    model, _ = _model_and_images()
    with pytest.raises(DataError) as info:
        explain_upload(model, ["a", "b", "c"], _bad(kind), "holiday.jpg", n_samples=2)
    assert str(info.value).startswith("holiday.jpg: ") and "\n" not in str(info.value)


def _neighbour_setup(tmp_path, model):
    """Three 'training photos' on disk and their features; the first is the query photo."""
    from gemlib.neighbours import Neighbours, image_features

    photos = [np.asarray(_photo(seed=s).resize((32, 32))) for s in (1, 2, 3)]
    rels = [f"train/{c}/{c.lower()}_0.png" for c in ("a", "b", "c")]
    for rel, p in zip(rels, photos):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(p).save(tmp_path / rel)
    feats = image_features(model, np.stack(photos))
    return Neighbours(feats, rels, np.array([0, 1, 2])), photos


def test_explain_upload_nearest_photo_of_a_training_photo_is_itself_and_flags(tmp_path):
    from gemlib.widgets import explain_upload

    model, _ = _model_and_images()
    found, photos = _neighbour_setup(tmp_path, model)
    raw = _bytes(Image.fromarray(photos[1]), "PNG")
    u = explain_upload(model, ["a", "b", "c"], raw, "b.png", n_samples=2, neighbours=found, threshold=1.01)
    assert u.nearest[0].path == "train/b/b_0.png" and u.nearest[0].label == "b"
    assert u.nearest[0].similarity == pytest.approx(1.0, abs=1e-3) and len(u.nearest) == 3
    assert u.unfamiliar is True  # no probability reaches 1.01
    assert explain_upload(model, ["a", "b", "c"], raw, "b.png", n_samples=2, threshold=0.0).unfamiliar is False


def _file(name: str, content: bytes) -> tuple[dict]:
    import datetime

    return ({"name": name, "type": "image/png", "size": len(content), "content": memoryview(content),
             "last_modified": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)},)


def test_explorer_upload_bad_then_good_and_model_switch(tmp_path):
    from gemlib.widgets import ModelChoice, UPLOAD_ACCEPT

    model, images = _model_and_images()
    found, _ = _neighbour_setup(tmp_path, model)
    other = build_resnet(2, image_size=64, widths=(4, 4, 8, 8), head_units=8)
    ex = VarGradExplorer.from_models([
        ModelChoice("gems", model, ["a", "b", "c"], images, ["one", "two"], found, tmp_path, 0.5),
        ModelChoice("buildings", other, ["x", "y"]),
    ])
    assert ex.upload.accept == UPLOAD_ACCEPT == ".jpg,.jpeg,.png,.webp"
    assert ex.top5.value[:4] == b"\x89PNG" and ex.nearest.value[:4] == b"\x89PNG"
    assert "nearest training photos" in ex.nearest_caption.value
    shown = ex.picture.value
    ex.upload.value = _file("broken.jpg", _bad("truncated"))
    assert "broken.jpg" in ex.message.value and "<br" not in ex.message.value
    assert ex.error.startswith("broken.jpg: ") and "\n" not in ex.error
    assert ex.picture.value == shown  # the last good picture stays
    ex.upload.value = _file("mine.png", _good("png"))
    assert ex.error == "" and "broken" not in ex.message.value
    assert ex.image.value == -1 and "mine.png" in ex.image.label
    assert ex.last.heatmap.shape == (32, 32) and ex.picture.value != shown
    assert "threshold" in ex.message.value  # the familiarity line
    ex.upload.value = _file("empty.png", b"")
    assert ex.error.startswith("empty.png: ") and "empty.png" in ex.message.value
    ex.upload.value = _file("mine.png", _good("png"))  # the same photo again: the message goes
    assert ex.error == "" and "empty.png" not in ex.message.value and "threshold" in ex.message.value
    ex.model_choice.value = 1  # the same upload, now at the other model's 64 px, its classes
    assert ex.last.heatmap.shape == (64, 64) and ex.target.options[1] == ("x", 0)
    assert ex.nearest.value == b"" and ex.message.value == ""
    assert [v for _, v in ex.image.options] == [-1]  # no chooser photos for this model
    ex.model_choice.value = 0
    ex.image.value = 1
    assert ex.last.heatmap.shape == (32, 32)


def test_choosing_another_photo_reuses_what_was_prepared(monkeypatch):
    """After prepare() a photo move draws only the map: no new top-5 chart, no new probabilities."""
    import keras

    from gemlib import widgets

    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(3)])
    images = np.random.default_rng(0).integers(0, 256, (3, 8, 8, 3)).astype(np.uint8)
    ex = widgets.VarGradExplorer(model, images, ["a", "b", "c"])
    charts = []
    monkeypatch.setattr(widgets, "top_classes_png", lambda top: charts.append(top) or b"png")
    monkeypatch.setattr(widgets, "_probabilities", lambda *a: (_ for _ in ()).throw(AssertionError))
    ex.image.value = 2
    ex.image.value = 1
    assert charts == []  # every photo's side panel was made once, by prepare()
    assert ex.top5.value == ex._sides[(0, ("image", 1))].top5
