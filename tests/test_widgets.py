"""The slider callback, without a browser."""

from __future__ import annotations

import io

import numpy as np
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
