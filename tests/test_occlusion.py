"""gemlib.occlusion against a logit whose answer is known, and against PAIR's Occlusion."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
import saliency.core as saliency

from gemlib import card, explain
from gemlib.data import DataError
from gemlib.occlusion import (
    agreement,
    occlusion,
    occlusion_heatmap,
    patch_drops,
    patch_starts,
    spread_drops,
)
from gemlib.pair import call_model_function

MODEL = Path(__file__).resolve().parent.parent / "models" / "gemstones.keras"
SIDE = 12
REGION = np.zeros((SIDE, SIDE, 3), np.float32)
REGION[3:8, 5:10] = 1.0  # the class-1 logit is the sum of these pixels


def region_model() -> keras.Model:
    """Logit 1 = sum of the pixels of REGION (all channels); logit 0 = sum of every pixel."""
    inp = keras.Input((SIDE, SIDE, 3))
    dense = keras.layers.Dense(2, use_bias=False)
    out = dense(keras.layers.Flatten()(inp))
    dense.set_weights([np.stack([np.ones(REGION.size), REGION.ravel()], axis=1).astype(np.float32)])
    return keras.Model(inp, out)


IMAGE = np.random.default_rng(0).integers(0, 10, (SIDE, SIDE, 3)).astype(np.float32)


def expected_map(image: np.ndarray, weights: np.ndarray, patch: int, stride: int, fill: float) -> np.ndarray:
    """Written from the definition: per pixel, the mean over covering patches of the logit's drop."""
    starts = patch_starts(SIDE, patch, stride)
    out = np.zeros((SIDE, SIDE))
    for i in range(SIDE):
        for j in range(SIDE):
            drops = [np.sum((weights * (image - fill))[r : r + patch, c : c + patch])
                     for r in starts if r <= i < r + patch for c in starts if c <= j < c + patch]
            out[i, j] = np.mean(drops)
    return out.astype(np.float32)


def test_patch_starts_cover_every_pixel():
    np.testing.assert_array_equal(patch_starts(12, 4, 2), [0, 2, 4, 6, 8])
    np.testing.assert_array_equal(patch_starts(12, 5, 3), [0, 3, 6, 7])  # last one flush with the edge
    assert len(patch_starts(128, 16, 8)) == 15
    with pytest.raises(DataError, match="patch"):
        patch_starts(12, 13, 2)


@pytest.mark.parametrize("patch, stride, fill", [(4, 2, 0.0), (5, 3, 4.0), (3, 1, 9.0)])
def test_occlusion_is_the_patch_averaged_drop_of_a_known_logit(patch, stride, fill):
    got = occlusion(region_model(), IMAGE, 1, patch=patch, stride=stride, fill=fill, batch_size=7)
    np.testing.assert_array_equal(got, expected_map(IMAGE, REGION, patch, stride, fill))
    # no patch that covers column 0 reaches the region (columns 5-9): no drop there
    assert np.all(got[:, 0] == 0) and np.any(got != 0)


def test_patch_drops_are_one_logit_drop_per_position_and_spread_back_into_the_map():
    drops = patch_drops(region_model(), IMAGE, 1, patch=4, stride=4, fill=0.0)
    assert drops.shape == (3, 3)
    for i, r in enumerate((0, 4, 8)):
        for j, c in enumerate((0, 4, 8)):  # written from the definition: the hidden pixels' sum
            assert drops[i, j] == pytest.approx(np.sum((REGION * IMAGE)[r : r + 4, c : c + 4]))
    assert drops[0, 0] == 0 and drops[1, 1] > 0  # the region is rows 3-7, columns 5-9
    # side by side, each pixel is covered once: the map is the grid blown up
    np.testing.assert_array_equal(spread_drops(drops, (SIDE, SIDE), 4, 4),
                                  np.kron(drops, np.ones((4, 4))).astype(np.float32))
    overlapping = patch_drops(region_model(), IMAGE, 1, patch=5, stride=3, fill=4.0)
    np.testing.assert_array_equal(spread_drops(overlapping, (SIDE, SIDE), 5, 3),
                                  occlusion(region_model(), IMAGE, 1, patch=5, stride=3, fill=4.0))
    with pytest.raises(DataError, match=r"\(3, 3\)"):
        spread_drops(drops[:2], (SIDE, SIDE), 4, 4)
    # one fill value per channel: channel 0 filled with 1, the others with 0 (REGION weighs all three)
    per_channel = patch_drops(region_model(), IMAGE, 1, patch=4, stride=4, fill=[1.0, 0.0, 0.0])
    np.testing.assert_allclose(per_channel[1, 1], drops[1, 1] - np.sum(REGION[4:8, 4:8, 0]), rtol=1e-6)
    with pytest.raises(DataError, match="per channel"):
        patch_drops(region_model(), IMAGE, 1, fill=[1.0, 2.0])


def test_mean_fill_hides_a_plain_image_without_changing_its_score():
    plain = np.full((SIDE, SIDE, 3), 2.0, np.float32)
    np.testing.assert_array_equal(occlusion(region_model(), plain, 0, patch=4, stride=2), 0.0)
    # a mean-coloured patch over the image's brighter half lowers the all-pixel logit there
    half = plain.copy()
    half[:, SIDE // 2 :] = 6.0
    got = occlusion(region_model(), half, 0, patch=3, stride=3, fill="mean")
    assert np.all(got[:, SIDE // 2 :] > 0) and np.all(got[:, : SIDE // 2] < 0)


def test_stride_one_equals_pair_occlusion_divided_by_the_patch_count():
    """PAIR's Occlusion slides a zero window one pixel at a time and sums the drops."""
    model, patch = region_model(), 4
    theirs = saliency.Occlusion().GetMask(IMAGE, call_model_function(model, 1), size=patch, value=0)
    ours = occlusion(model, IMAGE, 1, patch=patch, stride=1, fill=0.0)
    starts = patch_starts(SIDE, patch, 1)
    per_side = np.array([np.sum((starts <= i) & (i < starts + patch)) for i in range(SIDE)])
    np.testing.assert_allclose(ours * np.outer(per_side, per_side), theirs[..., 0], rtol=1e-6)


def test_bad_input_is_named():
    with pytest.raises(DataError, match="fill"):
        occlusion(region_model(), IMAGE, 1, fill="median")
    with pytest.raises(DataError, match="one"):
        occlusion(region_model(), IMAGE[None], 1)
    with pytest.raises(DataError, match="same image"):
        agreement(np.zeros((4, 4)), np.zeros((5, 5)))


def test_heatmap_keeps_the_drops_scaled_to_one():
    maps = np.array([[[-5.0, 0.0], [1.0, 2.0]], [[0.0, 0.0], [0.0, -1.0]]])
    heat = occlusion_heatmap(maps, clip_percentile=100)
    np.testing.assert_array_equal(heat, [[[0, 0], [0.5, 1]], [[0, 0], [0, 0]]])
    assert occlusion_heatmap(maps[0]).shape == (2, 2)


def test_agreement_ranks_absolute_and_signed_values():
    a = np.random.default_rng(0).normal(size=(8, 8))
    assert agreement(a, a)["spearman_abs"] == pytest.approx(1.0)
    opposite = agreement(a, -a)
    assert opposite["spearman_abs"] == pytest.approx(1.0) and opposite["spearman_signed"] == pytest.approx(-1.0)


@pytest.mark.slow
def test_shipped_model_patch_drop_is_the_logit_drop(data_dir):
    gems = card.load_data(card.load_card(MODEL))
    model, _ = card.load_model(MODEL, gems.classes)
    image = gems.test.images[0].astype(np.float32)
    target = int(explain.predicted_classes(model, image[None])[0])
    got = occlusion(model, image, target, patch=64, stride=64, fill=0.0)
    hidden = image.copy()
    hidden[:64, :64] = 0.0
    logits = np.asarray(model(np.stack([image, hidden]), training=False))[:, target]
    assert got.shape == (128, 128)
    assert got[0, 0] == pytest.approx(logits[0] - logits[1], rel=1e-5, abs=1e-5)
