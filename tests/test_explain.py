"""VarGrad, SmoothGrad, gradients and Integrated Gradients against answers written down by hand."""

from __future__ import annotations

import gc
import weakref

import keras
import numpy as np
import pytest

from gemlib import explain


def analytic_model(w: float = 0.5, v: float = 2.0, shape=(6, 6, 3)) -> keras.Model:
    """Logit 0 = w * sum(x^2) (gradient 2 w x); logit 1 = v * sum(x) (gradient v)."""
    inp = keras.Input(shape)
    quad = keras.layers.Lambda(lambda x: w * keras.ops.sum(x**2, axis=(1, 2, 3))[:, None])(inp)
    lin = keras.layers.Lambda(lambda x: v * keras.ops.sum(x, axis=(1, 2, 3))[:, None])(inp)
    return keras.Model(inp, keras.layers.Concatenate()([quad, lin]))


@pytest.fixture(scope="module")
def model():
    return analytic_model()


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 100, (2, 6, 6, 3)).astype(np.float32)
    x[:, 0, 0, 0], x[:, 0, 0, 1] = 0.0, 100.0  # value range exactly 100
    return x


def test_gradient_of_the_target_logit_not_the_sum(model, images):
    g0 = explain.gradient(model, images, targets=[0, 0])
    np.testing.assert_allclose(g0, 2 * 0.5 * images, rtol=1e-5)
    g1 = explain.gradient(model, images, targets=1)
    np.testing.assert_allclose(g1, np.full_like(images, 2.0))


def test_vargrad_of_quadratic_is_4w2sigma2_everywhere(model, images):
    # gradient 2w(x + eps) has variance 4 w^2 sigma^2 with sigma = noise * (max - min) = 0.1 * 100
    vg = explain.vargrad(model, images, targets=0, n_samples=4000, noise=0.1, seed=1, batch_size=500)
    expected = 4 * 0.5**2 * 10.0**2
    assert vg.shape == images.shape
    np.testing.assert_allclose(vg.mean(), expected, rtol=0.02)
    np.testing.assert_allclose(vg, expected, rtol=0.1)


def test_vargrad_of_linear_logit_is_zero(model, images):
    np.testing.assert_allclose(explain.vargrad(model, images, targets=1, n_samples=20, seed=0), 0.0, atol=1e-8)


def test_smoothgrad_is_the_mean_gradient(model, images):
    sg = explain.smoothgrad(model, images, targets=0, n_samples=4000, noise=0.1, seed=2, batch_size=1000)
    # E[2w(x+eps)] = 2wx = x for w = 0.5; the error of a mean of 4000 is sigma/sqrt(4000)
    np.testing.assert_allclose(sg, images, atol=4 * 10.0 / np.sqrt(4000))


def test_same_seed_same_map_and_batching_does_not_change_it(model, images):
    a = explain.vargrad(model, images, targets=0, n_samples=30, seed=7, batch_size=30)
    b = explain.vargrad(model, images, targets=0, n_samples=30, seed=7, batch_size=4)
    c = explain.vargrad(model, images, targets=0, n_samples=30, seed=8)
    np.testing.assert_allclose(a, b, rtol=1e-5)
    assert not np.allclose(a, c)


def test_a_model_explained_once_can_still_be_freed(images):
    temporary = analytic_model()
    explain.gradients(temporary, images, 0)
    alive = weakref.ref(temporary)
    del temporary
    gc.collect()
    assert alive() is None  # the cached traced function does not keep its model


def test_targets_none_explains_the_predicted_class(model, images):
    # for these images w*sum(x^2) >> v*sum(x), so class 0 is predicted
    np.testing.assert_allclose(
        explain.vargrad(model, images, None, n_samples=10, seed=3),
        explain.vargrad(model, images, 0, n_samples=10, seed=3),
    )


def test_integrated_gradients_exact_for_linear_and_quadratic(model, images):
    np.testing.assert_allclose(explain.integrated_gradients(model, images, 1, steps=8), 2.0 * images, rtol=1e-5)
    # IG of w*x^2 from 0 is w*x^2 per element (midpoint rule is exact for a linear gradient)
    np.testing.assert_allclose(explain.integrated_gradients(model, images, 0, steps=8), 0.5 * images**2, rtol=1e-4)


def test_vargrad_with_integrated_gradients_base(model, images):
    vg = explain.vargrad(model, images[:1], targets=1, n_samples=400, noise=0.1, seed=0, base="integrated_gradients")
    # IG of v*sum(x) is v*(x+eps): variance v^2 sigma^2 = 4 * 100
    np.testing.assert_allclose(vg.mean(), 400.0, rtol=0.1)


def test_heatmap_and_overlay():
    att = np.zeros((4, 4, 3))
    att[1, 2] = [1, -2, 0.5]
    h = explain.to_heatmap(att, clip_percentile=100)
    assert h.shape == (4, 4) and h[1, 2] == 1.0 and h.sum() == 1.0
    signed = explain.to_heatmap(att, reduce="sum", clip_percentile=100)
    assert signed[1, 2] == 0.0 and signed[0, 0] == 0.5  # the only (negative) value is the extreme: 0; zero maps to 0.5
    img = np.full((4, 4, 3), 100, np.uint8)
    o = explain.overlay(img, h, alpha=0.0)
    assert o.dtype == np.uint8 and (o == 100).all()
    with pytest.raises(ValueError, match="unknown reduce"):
        explain.to_heatmap(att, reduce="median")


def test_grid_energy_of_checkerboard_stripes_blob_and_noise():
    i, j = np.mgrid[:32, :32]
    assert explain.grid_energy((-1.0) ** (i + j)) == pytest.approx(1.0)
    assert explain.grid_energy(np.cos(np.pi * j / 2)) == pytest.approx(1.0)  # period 4, columns
    blob = np.exp(-((i - 15.5) ** 2 + (j - 15.5) ** 2) / (2 * 5.0**2))
    assert explain.grid_energy(blob) < 1e-3
    noise = np.random.default_rng(0).normal(size=(200, 32, 32))
    share = (3 * 32 + 3 * 32 - 9) / (32 * 32 - 1)  # grid rows and columns, DC excluded
    assert explain.grid_energy(noise).mean() == pytest.approx(share, rel=0.05)
    assert explain.grid_energy(np.zeros((8, 8))) == 0.0
    with pytest.raises(ValueError, match="divisible by 4"):
        explain.grid_energy(np.zeros((10, 12)))


def test_stem_kernel_divisible_by_stride_prints_no_grid():
    from PIL import Image

    from gemlib import models

    small = np.random.default_rng(0).integers(0, 256, (2, 6, 6, 3)).astype(np.uint8)
    x = np.stack([np.asarray(Image.fromarray(s).resize((64, 64), Image.Resampling.BICUBIC)) for s in small])
    energy = {}
    for k in (4, 5):
        shares = []
        for seed in (0, 1):  # two random networks of each stem
            keras.utils.set_random_seed(seed)
            net = models.build_resnet(5, 64, widths=(8, 16), head_units=8, dropout=0.0, stem_kernel=k)
            vg = explain.vargrad(net, x.astype(np.float32), targets=0, n_samples=8, seed=0)
            shares.append(explain.grid_energy(np.abs(vg).sum(-1)).mean())
        energy[k] = float(np.mean(shares))
    assert energy[4] < 0.1 and energy[5] > 2.5 * energy[4]
