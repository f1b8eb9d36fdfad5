"""Shape-changing, colour-keeping augmentation from Keras preprocessing layers.

A gemstone's identity lives in its colour, lustre and cut, not in which way it
faces or where it sits in the frame, so we flip, rotate, shift and zoom freely
and leave hue and saturation alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import keras
import numpy as np


@dataclass(frozen=True)
class AugmentConfig:
    """Strengths of each augmentation (0 turns one off).

    Attributes
    ----------
    flip : bool or str
        ``True`` (or ``"horizontal_and_vertical"``) flips both ways, as suits a
        gemstone; ``"horizontal"`` only, as suits a building; ``False`` none.
    rotation : float
        Maximum rotation as a fraction of a full turn (0.5 = +-180 degrees).
    shift : float
        Maximum translation as a fraction of the side.
    zoom : float
        Maximum zoom in or out as a fraction.
    brightness : float
        Maximum brightness change as a fraction (0 keeps brightness: colour kept).
    contrast : float
        Maximum contrast change as a fraction, lowered or raised (factors 1 - c to 1 + c).
    """

    flip: bool | str = True
    rotation: float = 0.5
    shift: float = 0.0
    zoom: float = 0.2
    brightness: float = 0.0
    contrast: float = 0.0

    def to_dict(self) -> dict:
        """Plain dictionary, for model cards."""
        return asdict(self)


def build_augmenter(config: AugmentConfig = AugmentConfig(), seed: int | None = None) -> keras.Sequential:
    """Build a ``keras.Sequential`` of preprocessing layers for ``config``.

    The layers work on pixel values 0-255 and are active only with
    ``training=True`` (inside ``tf.data.Dataset.map`` pass it explicitly).

    Parameters
    ----------
    config : AugmentConfig
        Strengths.
    seed : int, optional
        Seed of the random layers.

    Returns
    -------
    keras.Sequential
    """
    layers: list[keras.layers.Layer] = []
    if config.flip:
        mode = "horizontal_and_vertical" if config.flip is True else config.flip
        layers.append(keras.layers.RandomFlip(mode, seed=seed))
    if config.rotation:
        layers.append(keras.layers.RandomRotation(config.rotation, fill_mode="reflect", seed=seed))
    if config.shift:
        layers.append(
            keras.layers.RandomTranslation(config.shift, config.shift, fill_mode="reflect", seed=seed)
        )
    if config.zoom:
        layers.append(keras.layers.RandomZoom(config.zoom, fill_mode="reflect", seed=seed))
    if config.brightness:
        layers.append(
            keras.layers.RandomBrightness(config.brightness, value_range=(0, 255), seed=seed)
        )
    if config.contrast:
        # a pair: Keras 3.15 reads a single number c as factors 1 to 1 + c (raised contrast only),
        # not the documented 1 - c to 1 + c
        c = config.contrast
        layers.append(keras.layers.RandomContrast((c, c), value_range=(0, 255), seed=seed))
    return keras.Sequential(layers, name="augment")


def augment_examples(
    image: np.ndarray, config: AugmentConfig = AugmentConfig(), n: int = 8, seed: int = 0
) -> np.ndarray:
    """Return ``n`` augmented copies of one ``uint8`` image as ``uint8`` (n, H, W, 3)."""
    aug = build_augmenter(config, seed=seed)
    batch = np.repeat(image[None].astype("float32"), n, axis=0)
    out = keras.ops.convert_to_numpy(aug(batch, training=True))
    return np.clip(np.round(out), 0, 255).astype(np.uint8)
