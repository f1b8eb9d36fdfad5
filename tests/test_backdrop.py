"""The stone mask, the map's mass on it and the backdrop intervention on cases with known answers."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from gemlib import backdrop
from gemlib.data import DataError


def disc_photo(noise: float = 0.0, size: int = 48, radius: int = 10, seed: int = 0):
    """A green disc on a mid-grey backdrop, optionally with Gaussian noise; and the true disc."""
    yy, xx = np.mgrid[:size, :size]
    disc = (yy - size // 2) ** 2 + (xx - size // 2 + 4) ** 2 < radius ** 2
    photo = np.full((size, size, 3), 128.0)
    photo[disc] = (20, 160, 60)
    photo += np.random.default_rng(seed).normal(0, noise, photo.shape)
    return np.clip(photo, 0, 255).astype(np.uint8), disc


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


@pytest.mark.parametrize("noise", [0.0, 8.0])
def test_stone_mask_finds_a_disc_on_a_plain_or_noisy_backdrop(noise):
    photo, disc = disc_photo(noise)
    mask = backdrop.stone_mask(photo)
    assert mask.dtype == bool and mask.shape == disc.shape
    assert iou(mask, disc) > 0.9


def test_stone_mask_fills_holes_and_keeps_the_largest_region():
    photo, disc = disc_photo()
    photo[22:26, 18:22] = 128  # a spot of backdrop colour inside the stone: a hole
    photo[2:6, 40:44] = (200, 30, 30)  # a small speck far from the stone
    mask = backdrop.stone_mask(photo)
    assert mask[22:26, 18:22].all()  # filled
    assert not mask[2:6, 40:44].any()  # dropped: not the largest region
    assert iou(mask, disc) > 0.9


def test_mask_steps_show_each_step_of_the_recipe_and_end_in_the_stone_mask():
    photo, disc = disc_photo()
    photo[22:26, 18:22] = 128  # a hole in the stone
    photo[2:6, 40:44] = (200, 30, 30)  # a speck: marked, but not the largest region
    steps = backdrop.mask_steps(photo)
    assert steps["border"][0].all() and steps["border"][:, -4:].all() and not steps["border"][4:-4, 4:-4].any()
    np.testing.assert_allclose(steps["backdrop"], 128)  # the band's median: the grey backdrop
    assert steps["distance"][~disc & ~steps["marked"]].max() < 1e-6  # backdrop pixels: distance 0
    hole = np.zeros_like(disc)
    hole[22:26, 18:22] = True
    assert steps["distance"][disc & ~hole].min() > steps["threshold"] > 0
    assert steps["marked"][2:6, 40:44].all() and not steps["marked"][22:26, 18:22].any()
    assert steps["cleaned"][22:26, 18:22].all()  # the hole filled
    assert not steps["mask"][2:6, 40:44].any()  # the speck dropped
    np.testing.assert_array_equal(steps["mask"], backdrop.stone_mask(photo))
    flat = backdrop.mask_steps(np.full((16, 16, 3), 77, np.uint8))
    assert np.isnan(flat["threshold"]) and not flat["mask"].any()


@pytest.mark.parametrize("band", [0, -1, 5, 8])
def test_a_band_outside_the_frame_is_a_clear_error(band):
    photo = np.full((16, 10, 3), 77, np.uint8)  # the shorter side is 10: bands of 1 to 4 pixels
    for step in (backdrop.border_colour, backdrop.mask_steps, backdrop.stone_mask):
        with pytest.raises(DataError, match=rf"^band={band} for a 16x10 photo: .* 1 to 4 pixels"):
            step(photo, band=band)
    np.testing.assert_allclose(backdrop.border_colour(photo, band=4), 77)  # the widest band works
    assert backdrop.mask_steps(photo, band=1)["border"].sum() == 16 * 10 - 14 * 8


def test_a_photo_of_one_colour_has_an_empty_mask_which_counts_as_failed():
    mask = backdrop.stone_mask(np.full((16, 16, 3), 77, np.uint8))
    assert not mask.any() and backdrop.mask_failed(mask)
    assert backdrop.mask_failed(np.ones((10, 10), bool))  # the whole frame: failed too
    half = np.zeros((10, 10), bool)
    half[:5] = True
    assert not backdrop.mask_failed(half)


def test_mass_on_mask_is_the_share_for_a_flat_map_and_one_for_a_map_inside():
    mask = np.zeros((4, 4), bool)
    mask[:1] = True  # a quarter of the frame
    assert backdrop.mass_on_mask(np.ones((4, 4)), mask) == pytest.approx(0.25)
    inside = np.where(mask, 3.0, 0.0)
    assert backdrop.mass_on_mask(inside, mask) == pytest.approx(1.0)
    table = backdrop.map_mass(np.stack([np.ones((4, 4)), inside]), np.stack([mask, mask]))
    np.testing.assert_allclose(table["excess"], [0.0, 0.75])
    with pytest.raises(DataError, match="negative"):
        backdrop.mass_on_mask(-np.ones((4, 4)), mask)
    with pytest.raises(DataError, match="same"):
        backdrop.mass_on_mask(np.ones((3, 3)), mask)


def test_replace_backdrop_keeps_the_stone_and_paints_the_rest():
    photo, disc = disc_photo(noise=5.0)
    out = backdrop.replace_backdrop(photo, disc, (10, 20, 30))
    np.testing.assert_array_equal(out[disc], photo[disc])
    assert (out[~disc] == (10, 20, 30)).all() and out.dtype == np.uint8
    own = backdrop.backdrop_mean_colour(photo, disc)
    np.testing.assert_allclose(own, photo[~disc].mean(0))
    with pytest.raises(DataError, match="mask"):
        backdrop.replace_backdrop(photo, disc[:10], (0, 0, 0))


def brightness_model() -> keras.Model:
    """Logits (0, mean red / 255 * 10): class 1 grows with the photo's mean red."""
    inputs = keras.Input((48, 48, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(inputs)
    logits = keras.layers.Dense(2)(pooled)
    model = keras.Model(inputs, logits)
    kernel = np.zeros((3, 2), np.float32)
    kernel[0, 1] = 10 / 255
    model.layers[-1].set_weights([kernel, np.zeros(2, np.float32)])
    return model


def test_backdrop_change_pairs_each_photo_with_its_replaced_copy():
    photo, disc = disc_photo()
    photo[~disc] = (250, 128, 128)  # a red backdrop: class 1 is likely
    images = np.stack([photo, photo])
    model = brightness_model()
    table = backdrop.backdrop_change(model, images, np.array([1, 0]), colour="grey")
    assert (table["predicted"] == 1).all()
    assert (table["change"] < 0).all()  # grey removes the red: class 1 less likely
    assert table["right_before"].tolist() == [True, False]
    same = backdrop.backdrop_change(model, images, np.array([1, 0]), colour="own mean")
    np.testing.assert_allclose(same["change"], 0, atol=1e-3)  # a plain backdrop is its own mean
    summary = backdrop.change_summary(table)
    assert summary["n_photos"] == 2 and summary["n_mask_failed"] == 0
    assert summary["change"]["mean"] == pytest.approx(table["change"].mean(), abs=1e-4)
    with pytest.raises(DataError, match="colour"):
        backdrop.backdrop_change(model, images, np.array([1, 0]), colour="pink")


def test_backdrop_report_summarises_both_backdrops_and_the_maps_mass():
    photo, disc = disc_photo(noise=3.0)
    images = np.stack([photo, photo[:, ::-1]])
    report = backdrop.backdrop_report(brightness_model(), images, np.array([0, 1]), np.array([1]),
                                      n_samples=2)
    assert report["grey"]["n_photos"] == 2 and report["own_mean"]["n_photos"] == 2
    assert report["map_mass"]["n_photos"] == 1
    assert 0 <= report["map_mass"]["mass_on_stone"]["mean"] <= 1
    assert report["mask_share_limits"] == list(backdrop.MASK_SHARE_LIMITS)
