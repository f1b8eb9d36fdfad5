"""Colour transforms and the colour-only baseline, on images whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from gemlib import colour


def test_greyscale_uses_luminance_weights():
    img = np.zeros((1, 2, 2, 3), np.uint8)
    img[..., 0] = 255
    out = colour.to_greyscale(img)
    assert (out == 76).all()  # 0.299 * 255 = 76.2


def test_hue_rotation_by_120_maps_red_to_green_and_keeps_grey():
    img = np.zeros((1, 2, 2, 3), np.uint8)
    img[0, 0, 0] = (255, 0, 0)
    img[0, 0, 1] = (128, 128, 128)
    img[0, 1, :] = (0, 0, 255)
    out = colour.rotate_hue(img, 120)
    assert out[0, 0, 0].tolist() == [0, 255, 0]
    assert out[0, 0, 1].tolist() == [128, 128, 128]
    assert out[0, 1, 0].tolist() == [255, 0, 0]  # blue + 120 degrees = red
    np.testing.assert_array_equal(colour.rotate_hue(img, 360), img)
    many = np.random.default_rng(0).integers(0, 256, (5, 3, 3, 3)).astype(np.uint8)
    np.testing.assert_array_equal(colour.rotate_hue(many, 77, batch=2), colour.rotate_hue(many, 77, batch=5))


def test_patch_shuffle_keeps_pixels_moves_tiles():
    img = np.arange(8 * 8 * 3, dtype=np.uint8).reshape(1, 8, 8, 3)
    out = colour.shuffle_patches(img, grid=2, seed=3)
    assert sorted(out.ravel().tolist()) == sorted(img.ravel().tolist())
    tiles_in = {img[0, r:r + 4, c:c + 4].tobytes() for r in (0, 4) for c in (0, 4)}
    tiles_out = {out[0, r:r + 4, c:c + 4].tobytes() for r in (0, 4) for c in (0, 4)}
    assert tiles_in == tiles_out and not np.array_equal(img, out)


def test_colour_features_are_normalised_histograms():
    img = np.full((1, 8, 8, 3), 10, np.uint8)
    f = colour.colour_features(img, bins=4, lbp=True)
    assert f.shape == (1, 6 * 4 + 10)
    np.testing.assert_allclose(f[0, :4], [1, 0, 0, 0])  # all red values in the first bin
    np.testing.assert_allclose(f.reshape(-1)[:24].reshape(6, 4).sum(1), 1.0)


def test_texture_histogram_of_a_flat_and_a_striped_image():
    flat = np.full((1, 6, 6, 3), 90, np.uint8)
    # inside, every neighbour equals the centre: all 8 bits set, code 8 (16 of 36 pixels); outside
    # the image counts as darker, so an edge pixel sets 5 bits (16 pixels) and a corner 3 (4 pixels)
    expected = np.zeros(10)
    expected[[8, 5, 3]] = [16 / 36, 16 / 36, 4 / 36]
    np.testing.assert_allclose(colour.texture_histograms(flat), [expected], rtol=1e-6)
    stripes = np.zeros((1, 6, 6, 3), np.uint8)
    stripes[:, :, ::2] = 200  # bright columns 0, 2, 4
    h = colour.texture_histograms(stripes)[0]
    # a bright pixel inside sees only the pixels above and below as not darker: two separate bits,
    # a non-uniform pattern (bin 9), at least the 8 inside the image; a dark one inside sees none darker
    assert h.sum() == pytest.approx(1.0) and h[9] >= 8 / 36 and h[8] >= 8 / 36


def test_features_are_their_blocks_side_by_side():
    images = np.random.default_rng(0).integers(0, 256, (3, 8, 8, 3)).astype(np.uint8)
    np.testing.assert_array_equal(
        colour.colour_features(images),
        np.hstack([colour.marginal_histograms(images), colour.texture_histograms(images)]))
    np.testing.assert_array_equal(
        colour.chow_features(images),
        np.hstack([colour.joint_rgb_histograms(images), colour.texture_histograms(images)]))


def test_forest_probabilities_leave_classes_absent_from_training_at_zero():
    x = np.array([[0.0], [0.1], [1.0], [1.1]])
    proba = colour.forest_probabilities(x, np.array([0, 0, 2, 2]), np.array([[0.05], [1.05]]), n_estimators=10)
    assert proba.shape == (2, 3) and (proba[:, 1] == 0).all()
    assert proba.argmax(1).tolist() == [0, 2]


@pytest.mark.parametrize("n_estimators", [colour.TREES_AT_ONCE * 3, 25, 7])
def test_forest_grown_a_few_trees_at_a_time_is_scikit_learns_forest_bit_for_bit(n_estimators):
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(0)
    x, y, x_test = rng.random((300, 12)), rng.integers(0, 9, 300), rng.random((40, 12))
    y[y == 4] = 5  # a class absent from training
    one_fit = RandomForestClassifier(n_estimators, random_state=3, n_jobs=1).fit(x, y)
    expected = np.zeros((40, 9), np.float32)
    expected[:, one_fit.classes_] = one_fit.predict_proba(x_test)
    ours = colour.forest_probabilities(x, y, x_test, seed=3, n_estimators=n_estimators)
    np.testing.assert_array_equal(ours, expected)


def test_histogram_forest_separates_colours():
    rng = np.random.default_rng(0)
    base = np.array([[220, 30, 30], [30, 200, 40], [30, 40, 220]])
    y = np.repeat(np.arange(3), 10)
    x = np.clip(base[y][:, None, None, :] + rng.integers(-20, 20, (30, 8, 8, 3)), 0, 255).astype(np.uint8)
    proba = colour.histogram_baseline(x[::2], y[::2], x[1::2], n_estimators=50)
    assert (proba.argmax(1) == y[1::2]).all()


def test_class_colour_stats_hue_of_pure_colours():
    imgs = np.zeros((2, 4, 4, 3), np.uint8)
    imgs[0] = (255, 0, 0)
    imgs[1] = (0, 0, 255)
    stats = colour.class_colour_stats(imgs, np.array([0, 1]), ["red", "blue"]).set_index("label")
    assert abs(stats.loc["red", "hue"] % 360) < 1e-6 or abs(stats.loc["red", "hue"] - 360) < 1e-6
    assert abs(stats.loc["blue", "hue"] - 240) < 1e-6
    pal = colour.class_palettes(imgs, np.array([0, 1]), ["red", "blue"], k=1)
    assert pal["blue"].tolist() == [[0, 0, 255]]


def test_chow_features_count_joint_colour_cells():
    img = np.zeros((1, 4, 4, 3), np.uint8)
    img[0, :2] = (255, 0, 0)  # half the pixels pure red: cell (7, 0, 0)
    img[0, 2:] = (0, 0, 40)  # half dark blue: cell (0, 0, 1)
    f = colour.chow_features(img, lbp=False)
    assert f.shape == (1, 512)
    assert f[0, 7 * 64] == 0.5 and f[0, 1] == 0.5 and f.sum() == 1.0
    # a joint histogram tells apart what marginal histograms cannot: swap the pairing of channels
    a = np.zeros((1, 2, 1, 3), np.uint8)
    a[0, 0, 0], a[0, 1, 0] = (255, 255, 0), (0, 0, 0)  # yellow and black
    b = np.zeros((1, 2, 1, 3), np.uint8)
    b[0, 0, 0], b[0, 1, 0] = (255, 0, 0), (0, 255, 0)  # red and green: same marginals
    marginal_rgb = slice(0, 3 * 16)  # colour_features' R, G and B histograms
    np.testing.assert_array_equal(colour.colour_features(a, lbp=False)[:, marginal_rgb],
                                  colour.colour_features(b, lbp=False)[:, marginal_rgb])
    assert not np.array_equal(colour.chow_features(a, lbp=False), colour.chow_features(b, lbp=False))
    assert colour.chow_features(img).shape == (1, 522)


def test_blend_weight_is_chosen_by_accuracy_and_ties_keep_the_cnn():
    labels = np.array([0, 1, 1])
    cnn = np.array([[0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])  # right on image 0 only
    other = np.array([[0.35, 0.65], [0.1, 0.9], [0.1, 0.9]])  # right on images 1 and 2
    weight, table = colour.blend_weight(cnn, other, labels)
    # image 0 is right when 0.35 + 0.55 w > 0.65 - 0.55 w (w > 0.27), images 1 and 2 when
    # 0.9 - 0.5 w > 0.1 + 0.5 w (w < 0.8; at 0.8 a tie goes to class 0): all three for w = 0.3 ... 0.7
    assert set(table.loc[table["accuracy"] == 1.0, "weight"].round(1)) == {0.3, 0.4, 0.5, 0.6, 0.7}
    assert weight == pytest.approx(0.7)  # the tie goes to the larger weight
    assert colour.blend_weight(cnn, cnn, labels)[0] == 1.0
