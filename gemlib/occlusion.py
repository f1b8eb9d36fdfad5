"""Occlusion: a saliency map outside the gradient family, written out by hand.

Slide a plain grey (or any constant) square over the photo; at each position,
ask the model for the class's *logit* (the same score the lesson's gradient maps
explain) and record how much it drops. A pixel's value is the mean drop over all
the squares that covered it. Positive: hiding the region lowers the class's
score (evidence for the class); negative: hiding it raises the score.
Zeiler & Fergus, "Visualizing and Understanding Convolutional Networks" (2014).
"""

from __future__ import annotations

import keras
import numpy as np

from gemlib.data import DataError
from gemlib.sanity import map_similarity


def patch_starts(size: int, patch: int, stride: int) -> np.ndarray:
    """Top (or left) edges of the patches along one side of ``size`` pixels.

    Every ``stride`` pixels from 0; if the last patch stops short of the edge, one more patch
    is put flush with the edge, so every pixel is covered.
    """
    if not 0 < patch <= size or stride < 1:
        raise DataError(f"occlusion patch {patch} and stride {stride} do not fit an image side of "
                        f"{size} px: use 1 <= patch <= {size} and stride >= 1")
    starts = list(range(0, size - patch + 1, stride))
    if starts[-1] != size - patch:
        starts.append(size - patch)
    return np.array(starts)


def patch_drops(
    model: keras.Model,
    image: np.ndarray,
    target: int,
    patch: int = 16,
    stride: int = 8,
    fill: str | float | np.ndarray = "mean",
    batch_size: int = 16,
) -> np.ndarray:
    """The drop in the target's logit for every position of the patch: one number per position.

    Parameters are those of :func:`occlusion`. Returns an (R, C) float64 grid:
    ``logit(image) - logit(image hidden by the patch at top edge rows[i], left edge cols[j])``,
    with ``rows, cols = patch_starts(H, patch, stride), patch_starts(W, patch, stride)``.
    """
    x = np.asarray(image, np.float32)
    if x.ndim != 3:
        raise DataError(f"occlusion takes one (H, W, C) image, got shape {x.shape}: pass images[i]")
    if isinstance(fill, str):
        if fill != "mean":
            raise DataError(f"occlusion fill {fill!r} is unknown: use 'mean' or a number")
        value = x.mean(axis=(0, 1))
    else:
        value = np.asarray(fill, np.float32).reshape(-1)
        if value.size not in (1, x.shape[-1]):
            raise DataError(f"occlusion fill has {value.size} values for {x.shape[-1]} channels: "
                            "give 'mean', one number, or one number per channel")
        value = np.broadcast_to(value, (x.shape[-1],))
    h, w = x.shape[:2]
    rows, cols = patch_starts(h, patch, stride), patch_starts(w, patch, stride)
    corners = [(r, c) for r in rows for c in cols]

    def logits(batch: np.ndarray) -> np.ndarray:
        return np.asarray(model(batch, training=False))[:, int(target)]

    base = logits(x[None])[0]
    drops = np.empty(len(corners), np.float64)
    for start in range(0, len(corners), batch_size):
        chunk = corners[start : start + batch_size]
        copies = np.repeat(x[None], len(chunk), axis=0)
        for k, (r, c) in enumerate(chunk):
            copies[k, r : r + patch, c : c + patch] = value
        drops[start : start + len(chunk)] = base - logits(copies)
    return drops.reshape(len(rows), len(cols))


def spread_drops(drops: np.ndarray, size: tuple[int, int], patch: int, stride: int) -> np.ndarray:
    """Per pixel, the mean of the :func:`patch_drops` of the patches that cover it: (H, W) float32."""
    h, w = size
    rows, cols = patch_starts(h, patch, stride), patch_starts(w, patch, stride)
    drops = np.asarray(drops, np.float64)
    if drops.shape != (len(rows), len(cols)):
        raise DataError(f"drops of shape {drops.shape} do not fit patch {patch}, stride {stride} on "
                        f"{h}x{w} px: pass the grid patch_drops gives, ({len(rows)}, {len(cols)})")
    total = np.zeros((h, w), np.float64)
    count = np.zeros((h, w), np.int64)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            total[r : r + patch, c : c + patch] += drops[i, j]
            count[r : r + patch, c : c + patch] += 1
    return (total / count).astype(np.float32)


def occlusion(
    model: keras.Model,
    image: np.ndarray,
    target: int,
    patch: int = 16,
    stride: int = 8,
    fill: str | float | np.ndarray = "mean",
    batch_size: int = 16,
) -> np.ndarray:
    """Occlusion map of one image: the mean drop in the target's logit when a patch hides a pixel.

    Parameters
    ----------
    model : keras.Model
        Outputs logits (before softmax).
    image : numpy.ndarray
        (H, W, C) in the model's units (0-255 for the shipped models).
    target : int
        Class whose logit is watched.
    patch : int
        Side of the square patch, in pixels.
    stride : int
        Step between patch positions (see :func:`patch_starts`).
    fill : "mean", float or sequence of floats
        What the patch holds: the image's mean colour (per channel), one constant value, or one
        value per channel.
    batch_size : int
        Occluded copies per model call (bounds memory).

    Returns
    -------
    numpy.ndarray
        (H, W) float32: per pixel, ``logit(image) - logit(occluded)`` averaged over the
        patches that cover the pixel (:func:`patch_drops` spread by :func:`spread_drops`).
    """
    drops = patch_drops(model, image, target, patch, stride, fill, batch_size)
    return spread_drops(drops, np.asarray(image).shape[:2], patch, stride)


def occlusion_heatmap(maps: np.ndarray, clip_percentile: float = 99.0) -> np.ndarray:
    """Scale occlusion maps to [0, 1] for :func:`gemlib.plots.saliency_rows`.

    Only drops count (a region whose hiding *raises* the score shows as 0); each map is divided
    by its ``clip_percentile`` percentile and clipped, as :func:`gemlib.explain.to_heatmap` does.

    Parameters
    ----------
    maps : numpy.ndarray
        (H, W) or (N, H, W) occlusion maps.

    Returns
    -------
    numpy.ndarray
        Same shape, float32 in [0, 1].
    """
    m = np.clip(np.asarray(maps, np.float64), 0, None)
    single = m.ndim == 2
    m = m[None] if single else m
    out = np.zeros_like(m)
    for i, h in enumerate(m):
        top = np.percentile(h, clip_percentile)
        if top > 0:
            out[i] = np.clip(h / top, 0, 1)
    out = out.astype(np.float32)
    return out[0] if single else out


def agreement(map_a: np.ndarray, map_b: np.ndarray) -> dict[str, float]:
    """How alike two maps of one image are: :func:`gemlib.sanity.map_similarity` of (H, W) maps.

    Returns ``spearman_abs`` (ranks of the absolute values), ``spearman_signed`` and ``ssim``.
    (H, W, C) attributions are accepted too.
    """
    a, b = np.asarray(map_a, np.float64), np.asarray(map_b, np.float64)
    if a.shape[:2] != b.shape[:2]:
        raise DataError(f"maps of shapes {a.shape} and {b.shape} cannot be compared: "
                        "pass two maps of the same image")
    return map_similarity(a[..., None] if a.ndim == 2 else a, b[..., None] if b.ndim == 2 else b)
