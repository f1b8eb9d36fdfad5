"""gemlib.ood: top probability and the validation threshold, on cases with known answers."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from gemlib import ood
from gemlib.data import DataError


def test_threshold_is_the_5th_percentile_and_share_below_counts_strictly():
    p = np.arange(101) / 100  # 0.00 ... 1.00: the 5th percentile is 0.05
    assert ood.familiarity_threshold(p) == pytest.approx(0.05)
    assert ood.share_below(p, 0.05) == pytest.approx(5 / 101)  # 0.00-0.04 are below
    with pytest.raises(DataError, match=r"top_probabilities is empty.*pass top_probability"):
        ood.familiarity_threshold(np.array([]))


def test_top_probability_of_a_model_with_known_logits():
    # logits = the first 3 pixels' values of channel 0 scaled by 1/255: a softmax we can compute
    inputs = keras.Input((2, 2, 3))
    flat = keras.layers.Flatten()(inputs)
    logits = keras.layers.Lambda(lambda t: t[:, :9:3])(flat)
    model = keras.Model(inputs, logits)
    images = np.zeros((2, 2, 2, 3), np.float32)
    images[0, 0, 0, 0] = np.log(2.0)  # logits (log 2, 0, 0): top probability 2 / 4
    top = ood.top_probability(model, images)
    assert top == pytest.approx([0.5, 1 / 3])


def test_noise_images_and_summary():
    noise = ood.noise_images(4, 8, seed=1)
    assert noise.shape == (4, 8, 8, 3) and noise.dtype == np.uint8 and noise.std() > 50
    table = ood.summary({"a": np.array([0.1, 0.2, 0.9]), "b": np.array([0.8, 0.9])}, 0.5)
    assert table.loc["a", "below_threshold"] == pytest.approx(2 / 3)
    assert table.loc["b", "median"] == pytest.approx(0.85) and table.loc["b", "n"] == 2
