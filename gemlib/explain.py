"""Gradient saliency written out by hand: gradient, SmoothGrad, VarGrad, Integrated Gradients.

All maps are gradients of the *target class's logit* (before softmax) with
respect to the input pixels, in the model's input units (0-255).

VarGrad (Adebayo et al. 2018, arXiv 1810.03307) is the variance, over noisy
copies ``x + eps`` with ``eps ~ N(0, sigma^2)``, of a base explanation (here the
gradient); SmoothGrad (Smilkov et al. 2017) is the mean over the same copies.
``sigma = noise * (max(x) - min(x))`` per image; the papers use noise 0.1-0.2.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

# retracing notices are not for readers of a lesson; real errors still show
tf.get_logger().setLevel("ERROR")

#: Images per gradient call. A call keeps every layer's output of its batch for the backward pass:
#: 50 noisy copies of a 128 px photo held 67 MiB more than 10 at the peak of a notebook, and the maps
#: differ by 2e-7 of their largest value (``benchmarks/README.md``, "Notebook memory").
GRADIENT_BATCH = 10

_GRAD_FNS: "weakref.WeakKeyDictionary[keras.Model, Callable]" = weakref.WeakKeyDictionary()


def _grad_fn(model: keras.Model) -> Callable:
    """A traced function: (batch, target index) -> d logit[target] / d batch."""
    if model not in _GRAD_FNS:
        # the function reaches the model through a weak reference: a strong one would keep every
        # model ever explained alive (a cache value that refers to its own key is never dropped),
        # and with it each randomised copy of the sanity checks and its traced graph
        model_ref = weakref.ref(model)

        @tf.function(reduce_retracing=True)
        def fn(x, target):
            with tf.GradientTape() as tape:
                tape.watch(x)
                logits = model_ref()(x, training=False)
                # samples do not interact at inference, so the gradient of the
                # sum over the batch is each sample's own gradient
                total = tf.reduce_sum(tf.gather(logits, target, axis=1))
            return tape.gradient(total, x)

        _GRAD_FNS[model] = fn
    return _GRAD_FNS[model]


def gradients(model: keras.Model, batch: np.ndarray, target: int, batch_size: int = GRADIENT_BATCH) -> np.ndarray:
    """Input gradient of one class's logit for every image of ``batch``.

    Parameters
    ----------
    model : keras.Model
        Outputs logits.
    batch : numpy.ndarray
        (N, H, W, C) inputs in the model's units.
    target : int
        Class index.
    batch_size : int
        Images per gradient call (bounds memory).

    Returns
    -------
    numpy.ndarray
        float32, same shape as ``batch``.
    """
    fn = _grad_fn(model)
    out = []
    t = tf.constant(int(target))
    for start in range(0, len(batch), batch_size):
        x = tf.convert_to_tensor(np.asarray(batch[start : start + batch_size], np.float32))
        out.append(fn(x, t).numpy())
    return np.concatenate(out, axis=0)


def predicted_classes(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """Arg-max class of each image."""
    return np.asarray(model.predict(np.asarray(images, np.float32), verbose=0)).argmax(axis=1)


def _targets(model: keras.Model, images: np.ndarray, targets) -> np.ndarray:
    if targets is None:
        return predicted_classes(model, images)
    t = np.broadcast_to(np.asarray(targets, dtype=np.int64), (len(images),))
    return t


def noisy_gradients(
    model: keras.Model,
    image: np.ndarray,
    target: int,
    n_samples: int = 50,
    noise: float = 0.15,
    rng: np.random.Generator | None = None,
    batch_size: int = GRADIENT_BATCH,
    base: str = "gradient",
    ig_steps: int = 16,
) -> np.ndarray:
    """Base explanations of ``n_samples`` noisy copies of one image.

    Parameters
    ----------
    model : keras.Model
        Outputs logits.
    image : numpy.ndarray
        (H, W, C) in the model's units.
    target : int
        Class whose logit is explained.
    n_samples : int
        Noisy copies.
    noise : float
        sigma as a fraction of the image's value range (max - min).
    rng : numpy.random.Generator, optional
        Source of the noise.
    batch_size : int
        Noisy copies per gradient call.
    base : {"gradient", "integrated_gradients"}
        Base explanation of each noisy copy.
    ig_steps : int
        Riemann steps when ``base`` is Integrated Gradients.

    Returns
    -------
    numpy.ndarray
        (n_samples, H, W, C).
    """
    rng = rng if rng is not None else np.random.default_rng()
    x = np.asarray(image, np.float32)
    sigma = noise * float(x.max() - x.min())
    eps = rng.normal(0.0, 1.0, size=(n_samples, *x.shape)).astype(np.float32) * sigma
    noisy = x[None] + eps
    if base == "gradient":
        return gradients(model, noisy, target, batch_size)
    if base == "integrated_gradients":
        return np.stack([integrated_gradients(model, n[None], target, ig_steps)[0] for n in noisy])
    raise ValueError(f"unknown base explanation {base!r}: use 'gradient' or 'integrated_gradients'")


def _per_image(
    reduce: Callable[[np.ndarray], np.ndarray],
    model: keras.Model,
    images: np.ndarray,
    targets,
    n_samples: int,
    noise: float,
    seed: int | None,
    batch_size: int,
    base: str,
) -> np.ndarray:
    images = np.asarray(images, np.float32)
    if images.ndim != 4:
        raise ValueError(f"images must be (N, H, W, C), got shape {images.shape}")
    targets = _targets(model, images, targets)
    rng = np.random.default_rng(seed)
    return np.stack(
        [
            reduce(noisy_gradients(model, img, int(t), n_samples, noise, rng, batch_size, base))
            for img, t in zip(images, targets)
        ]
    ).astype(np.float32)


def vargrad(
    model: keras.Model,
    images: np.ndarray,
    targets=None,
    n_samples: int = 50,
    noise: float = 0.15,
    seed: int | None = None,
    batch_size: int = GRADIENT_BATCH,
    base: str = "gradient",
) -> np.ndarray:
    """VarGrad: per pixel and channel, the variance of the base explanation over noisy copies.

    Parameters
    ----------
    model : keras.Model
        Outputs logits (before softmax).
    images : numpy.ndarray
        (N, H, W, C) in the model's units (0-255 for the shipped models).
    targets : int or array of int, optional
        Class per image; ``None`` explains the predicted class.
    n_samples : int
        Noisy copies per image.
    noise : float
        sigma = noise x (max(x) - min(x)) of each image.
    seed : int, optional
        Same seed, same result.
    batch_size : int
        Noisy copies per gradient call (bounds memory for large ``n_samples``).
    base : {"gradient", "integrated_gradients"}
        Explanation whose variance is taken.

    Returns
    -------
    numpy.ndarray
        float32, same shape as ``images``; population variance (divides by n).
    """
    return _per_image(lambda g: g.var(axis=0), model, images, targets, n_samples, noise, seed, batch_size, base)


def smoothgrad(
    model: keras.Model,
    images: np.ndarray,
    targets=None,
    n_samples: int = 50,
    noise: float = 0.15,
    seed: int | None = None,
    batch_size: int = GRADIENT_BATCH,
) -> np.ndarray:
    """SmoothGrad: the mean gradient over the same noisy copies VarGrad uses."""
    return _per_image(lambda g: g.mean(axis=0), model, images, targets, n_samples, noise, seed, batch_size, "gradient")


def gradient(model: keras.Model, images: np.ndarray, targets=None) -> np.ndarray:
    """Plain input gradient of each image's target logit, shape of ``images``."""
    images = np.asarray(images, np.float32)
    targets = _targets(model, images, targets)
    return np.stack([gradients(model, img[None], int(t))[0] for img, t in zip(images, targets)])


def integrated_gradients(
    model: keras.Model, images: np.ndarray, target: int, steps: int = 32, baseline: float = 0.0
) -> np.ndarray:
    """Integrated Gradients from a constant baseline (midpoint Riemann sum).

    Returns ``(x - baseline) * mean_k grad(baseline + a_k (x - baseline))`` with
    ``a_k = (k + 0.5) / steps``; for a linear logit this is exact.
    """
    images = np.asarray(images, np.float32)
    alphas = ((np.arange(steps) + 0.5) / steps).astype(np.float32)
    out = []
    for x in images:
        path = baseline + alphas[:, None, None, None] * (x[None] - baseline)
        out.append((x - baseline) * gradients(model, path, target).mean(axis=0))
    return np.stack(out)


def explain(
    method: str,
    model: keras.Model,
    images: np.ndarray,
    targets=None,
    n_samples: int = 50,
    noise: float = 0.15,
    seed: int | None = 0,
) -> np.ndarray:
    """Dispatch by name: ``"vargrad"``, ``"smoothgrad"``, ``"gradient"`` or ``"random"``."""
    if method == "vargrad":
        return vargrad(model, images, targets, n_samples, noise, seed)
    if method == "smoothgrad":
        return smoothgrad(model, images, targets, n_samples, noise, seed)
    if method == "gradient":
        return gradient(model, images, targets)
    if method == "random":
        return np.random.default_rng(seed).random(np.shape(images)).astype(np.float32)
    raise ValueError(f"unknown method {method!r}: use vargrad, smoothgrad, gradient or random")


def to_heatmap(attribution: np.ndarray, reduce: str = "abs_sum", clip_percentile: float = 99.0) -> np.ndarray:
    """Turn (H, W, C) or (N, H, W, C) attributions into 2-D heatmaps in [0, 1].

    Parameters
    ----------
    attribution : numpy.ndarray
        Per-channel map(s).
    reduce : {"abs_sum", "sum", "max_abs"}
        Channel aggregation (``sum`` keeps sign before scaling by the largest magnitude).
    clip_percentile : float
        Values above this percentile of each map are clipped, so a few hot
        pixels do not wash out the rest.

    Returns
    -------
    numpy.ndarray
        (H, W) or (N, H, W) float32 in [0, 1].
    """
    a = np.asarray(attribution, np.float64)
    single = a.ndim == 3
    if single:
        a = a[None]
    if reduce == "abs_sum":
        m = np.abs(a).sum(-1)
    elif reduce == "sum":
        m = a.sum(-1)
    elif reduce == "max_abs":
        m = np.abs(a).max(-1)
    else:
        raise ValueError(f"unknown reduce {reduce!r}")
    out = np.empty_like(m)
    for i, h in enumerate(m):
        if reduce == "sum":
            top = np.percentile(np.abs(h), clip_percentile) or 1.0
            out[i] = (np.clip(h / top, -1, 1) + 1) / 2
        else:
            h = h - h.min()
            top = np.percentile(h, clip_percentile)
            out[i] = np.clip(h / top, 0, 1) if top > 0 else np.zeros_like(h)
    out = out.astype(np.float32)
    return out[0] if single else out


def grid_energy(heatmap: np.ndarray) -> float | np.ndarray:
    """Share of a map's power on the 2- and 4-pixel grid: the checkerboard fingerprint.

    The map's mean is removed and its 2-D power spectrum taken; the result is the share of
    power (DC excluded) on the rows and columns of frequency n/4, n/2 and 3n/4 along either
    axis, i.e. on patterns that repeat every 2 or 4 pixels. A strided convolution whose kernel
    is not divisible by its stride prints exactly such a pattern into every input gradient
    (Odena, Dumoulin & Olah, "Deconvolution and Checkerboard Artifacts", Distill 2016).
    A pure checkerboard scores 1, white noise about ``6/n`` (the share of those frequencies),
    and a smooth blob about 0.

    Parameters
    ----------
    heatmap : numpy.ndarray
        (H, W) map, or (N, H, W) maps; H and W divisible by 4. For an attribution, pass
        ``np.abs(attribution).sum(-1)``.

    Returns
    -------
    float or numpy.ndarray
        One share in [0, 1] per map.
    """
    h = np.asarray(heatmap, np.float64)
    if h.ndim == 2:
        return float(grid_energy(h[None])[0])
    if h.ndim != 3 or h.shape[1] % 4 or h.shape[2] % 4:
        raise ValueError(f"heatmaps must be (H, W) or (N, H, W) with H, W divisible by 4, got {h.shape}")
    n_rows, n_cols = h.shape[1:]
    power = np.abs(np.fft.fft2(h - h.mean(axis=(1, 2), keepdims=True))) ** 2
    power[:, 0, 0] = 0.0
    grid = np.zeros((n_rows, n_cols), bool)
    grid[[n_rows // 4, n_rows // 2, 3 * n_rows // 4], :] = True
    grid[:, [n_cols // 4, n_cols // 2, 3 * n_cols // 4]] = True
    total = power.sum(axis=(1, 2))
    return np.where(total > 0, power[:, grid].sum(axis=1) / np.where(total > 0, total, 1.0), 0.0)


def overlay(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.5, cmap: str = "inferno") -> np.ndarray:
    """Blend a [0, 1] heatmap (colour-mapped) over a ``uint8`` image; returns ``uint8`` RGB."""
    import matplotlib

    colours = matplotlib.colormaps[cmap](np.clip(heatmap, 0, 1))[..., :3] * 255.0
    blended = (1 - alpha) * np.asarray(image, np.float32) + alpha * colours
    return np.clip(blended + 0.5, 0, 255).astype(np.uint8)
