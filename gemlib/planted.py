"""A known answer for saliency checks: photos whose only clue is a small planted square.

Each image is grey noise with one small square of colour at a random place: a red square makes
class 0, a blue one class 1. Nothing else differs between the classes, so a network that tells
them apart must read the square, and a map that explains it should lie on the square. The checks
of notebook 06 (mass on a mask, randomised weights) can then be seen to pass before they are
run on gemstones, where nobody knows the right answer.
"""

from __future__ import annotations

import keras
import numpy as np

#: The square's colour per class (RGB, 0-255): red for class 0, blue for class 1.
COLOURS = np.array([[220, 40, 40], [40, 40, 220]], np.float32)


def planted_images(n: int, size: int = 32, patch: int = 6, seed: int = 0
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grey-noise images, each with one coloured square at a random place.

    Parameters
    ----------
    n : int
        Number of images; classes alternate 0, 1, 0, ...
    size : int
        Side of each image in pixels.
    patch : int
        Side of the square in pixels.
    seed : int
        Same seed, same images.

    Returns
    -------
    images : numpy.ndarray
        float32 (n, size, size, 3), 0-255.
    labels : numpy.ndarray
        int32 (n,): 0 for a red square, 1 for a blue one.
    masks : numpy.ndarray
        bool (n, size, size): True on the square (the known answer).
    """
    if patch >= size:
        raise ValueError(f"patch={patch} must be smaller than size={size}")
    rng = np.random.default_rng(seed)
    labels = (np.arange(n) % 2).astype(np.int32)
    level = rng.uniform(60, 190, (n, 1, 1, 1))  # each image its own grey
    images = np.clip(level + rng.normal(0, 25, (n, size, size, 1)), 0, 255).repeat(3, axis=-1)
    masks = np.zeros((n, size, size), bool)
    corners = rng.integers(0, size - patch + 1, (n, 2))
    for i, (r, c) in enumerate(corners):
        masks[i, r:r + patch, c:c + patch] = True
        images[i, r:r + patch, c:c + patch] = COLOURS[labels[i]]
    return images.astype(np.float32), labels, masks


def planted_model(size: int = 32, seed: int = 0) -> keras.Model:
    """A small CNN for :func:`planted_images`: two 3 x 3 convolutions, a global max-pool, logits.

    The global max-pool lets it find the square wherever it lies.
    """
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((size, size, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    x = keras.layers.GlobalMaxPooling2D()(x)
    outputs = keras.layers.Dense(2)(x)  # logits, as the lesson's models give
    return keras.Model(inputs, outputs, name="planted")


def train_planted(n_train: int = 512, size: int = 32, epochs: int = 8, seed: int = 0
                  ) -> tuple[keras.Model, float]:
    """Train :func:`planted_model` on fresh planted images; return it and its accuracy on 200 new ones.

    Parameters
    ----------
    n_train : int
        Training images.
    size : int
        Image side in pixels.
    epochs : int
        Passes over the training images.
    seed : int
        Seed of the images and the weights (the test images use ``seed + 1``).

    Returns
    -------
    model : keras.Model
        Outputs two logits.
    accuracy : float
        Share of 200 unseen planted images classified right.
    """
    images, labels, _ = planted_images(n_train, size, seed=seed)
    model = planted_model(size, seed)
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(images, labels, batch_size=32, epochs=epochs, verbose=0)
    test, test_labels, _ = planted_images(200, size, seed=seed + 1)
    predicted = np.asarray(model.predict_on_batch(test)).argmax(1)
    return model, float((predicted == test_labels).mean())
