"""The planted-square images and their small network: the known answer the saliency checks need."""

from __future__ import annotations

import numpy as np
import pytest

from gemlib import backdrop, explain, planted


def test_each_image_has_one_square_of_its_class_colour_and_nothing_else_differs():
    images, labels, masks = planted.planted_images(6, size=16, patch=4, seed=3)
    assert images.shape == (6, 16, 16, 3) and images.dtype == np.float32
    assert list(labels) == [0, 1, 0, 1, 0, 1]
    assert (masks.sum((1, 2)) == 16).all()  # one 4 x 4 square each
    for image, label, mask in zip(images, labels, masks):
        assert (image[mask] == planted.COLOURS[label]).all()
        rest = image[~mask]
        assert (rest[:, 0] == rest[:, 1]).all() and (rest[:, 1] == rest[:, 2]).all()  # grey
    again, _, _ = planted.planted_images(6, size=16, patch=4, seed=3)
    assert np.array_equal(images, again)
    with pytest.raises(ValueError, match="patch=16 must be smaller than size=16"):
        planted.planted_images(2, size=16, patch=16)


def test_the_network_reads_the_square_and_its_gradient_map_lies_on_it():
    model, accuracy = planted.train_planted(n_train=256, epochs=8, seed=0)
    assert accuracy >= 0.95  # chance is 0.5
    images, labels, masks = planted.planted_images(16, seed=5)
    heat = explain.to_heatmap(explain.gradient(model, images, labels))
    mass = np.mean([backdrop.mass_on_mask(h, m) for h, m in zip(heat, masks)])
    assert mass > 5 * masks.mean()  # the square is 3.5 % of the frame
