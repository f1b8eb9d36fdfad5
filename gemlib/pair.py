"""The lesson's gradient and SmoothGrad computed with Google PAIR's ``saliency`` package.

PAIR's methods (``saliency.core``) never touch the model: they call a
*call model function* that the user writes for their framework,
``fn(x_value_batch, call_model_args=None, expected_keys=None) -> dict``, and ask it
for gradients (``INPUT_OUTPUT_GRADIENTS``) or outputs (``OUTPUT_LAYER_VALUES``).
:func:`call_model_function` is that adapter for a Keras model and one class's
logit, written as PAIR's own examples write it (an eager ``tf.GradientTape``), so
it shares no code with :mod:`gemlib.explain`.

PAIR's SmoothGrad (``GetSmoothedMask``) uses the same noise convention as the
lesson, ``sigma = stdev_spread * (max(x) - min(x))``, but draws the noise from
NumPy's global generator and, by default (``magnitude=True``), averages the
*squared* gradients, which is VarGrad plus the square of SmoothGrad.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import saliency.core as saliency
import tensorflow as tf

_KEYS = (saliency.INPUT_OUTPUT_GRADIENTS, saliency.OUTPUT_LAYER_VALUES)


def call_model_function(model: keras.Model, target: int) -> Callable[..., dict[str, np.ndarray]]:
    """A PAIR call model function for the logit of class ``target``.

    Parameters
    ----------
    model : keras.Model
        Outputs logits (before softmax).
    target : int
        Class index whose logit is explained.

    Returns
    -------
    callable
        ``fn(x_value_batch, call_model_args=None, expected_keys=None)`` returning
        ``{INPUT_OUTPUT_GRADIENTS: (N, H, W, C) gradients}`` and/or
        ``{OUTPUT_LAYER_VALUES: (N,) logits}``; ``call_model_args`` is not used.
    """
    target = int(target)

    def fn(x_value_batch, call_model_args=None, expected_keys=None) -> dict[str, np.ndarray]:
        keys = list(expected_keys or [saliency.INPUT_OUTPUT_GRADIENTS])
        unknown = [k for k in keys if k not in _KEYS]
        if unknown:
            raise ValueError(f"call_model_function gives {list(_KEYS)}, not {unknown}: "
                             "use a gradient, integrated-gradient or occlusion method")
        x = tf.convert_to_tensor(np.asarray(x_value_batch, np.float32))
        with tf.GradientTape() as tape:
            tape.watch(x)
            logit = model(x, training=False)[:, target]
        out: dict[str, np.ndarray] = {}
        if saliency.INPUT_OUTPUT_GRADIENTS in keys:
            out[saliency.INPUT_OUTPUT_GRADIENTS] = tape.gradient(logit, x).numpy()
        if saliency.OUTPUT_LAYER_VALUES in keys:
            out[saliency.OUTPUT_LAYER_VALUES] = logit.numpy()
        return out

    return fn


def pair_gradient(model: keras.Model, image: np.ndarray, target: int) -> np.ndarray:
    """PAIR's ``GradientSaliency`` of one image: d logit[target] / d pixels, shape of ``image``."""
    x = np.asarray(image, np.float32)
    if x.ndim != 3:
        raise ValueError(f"image must be one (H, W, C) photo, got shape {x.shape}")
    grad = saliency.GradientSaliency().GetMask(x, call_model_function(model, target))
    return np.asarray(grad, np.float32)


def pair_smoothgrad(
    model: keras.Model,
    image: np.ndarray,
    target: int,
    n_samples: int = 50,
    noise: float = 0.15,
    seed: int | None = None,
    magnitude: bool = False,
) -> np.ndarray:
    """PAIR's SmoothGrad (``GradientSaliency().GetSmoothedMask``) of one image.

    Parameters
    ----------
    model : keras.Model
        Outputs logits.
    image : numpy.ndarray
        (H, W, C) in the model's units.
    target : int
        Class whose logit is explained.
    n_samples : int
        Noisy copies (PAIR's ``nsamples``; PAIR's default is 25).
    noise : float
        PAIR's ``stdev_spread``: sigma as a fraction of ``max(x) - min(x)``.
    seed : int, optional
        Seeds NumPy's global generator, which PAIR draws from, for this call only
        (the generator's state is restored afterwards).
    magnitude : bool
        False (the lesson's SmoothGrad): the mean gradient. True (PAIR's default):
        the mean squared gradient.

    Returns
    -------
    numpy.ndarray
        float32, shape of ``image``.
    """
    x = np.asarray(image, np.float32)
    if x.ndim != 3:
        raise ValueError(f"image must be one (H, W, C) photo, got shape {x.shape}")
    state = np.random.get_state()
    try:
        if seed is not None:
            np.random.seed(seed)
        mask = saliency.GradientSaliency().GetSmoothedMask(
            x, call_model_function(model, target), stdev_spread=noise, nsamples=n_samples,
            magnitude=magnitude)
    finally:
        np.random.set_state(state)
    return np.asarray(mask, np.float32)
