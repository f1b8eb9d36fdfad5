"""Checks on saliency maps: cascading randomisation (Adebayo et al. 2018) and deletion/insertion."""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import pandas as pd
from scipy.ndimage import gaussian_filter
from scipy.stats import spearmanr
from skimage.metrics import structural_similarity

from gemlib.explain import explain, to_heatmap


def weighted_groups(model: keras.Model) -> list[tuple[str, list[keras.layers.Layer]]]:
    """Layers with weights, grouped by name prefix (``stage3_block1``, ``head``...), output first.

    Cascading randomisation walks this list from the logits down to the stem.
    """
    groups: dict[str, list[keras.layers.Layer]] = {}
    for layer in model.layers:
        if not layer.weights:
            continue
        name = layer.name
        key = name if name in ("logits", "new_logits") else name.rsplit("_", 1)[0]
        if key.startswith("head") or key.startswith("new_head"):
            key = "head"
        if key.startswith("final"):
            key = "final_bn"
        groups.setdefault(key, []).append(layer)
    return list(reversed(list(groups.items())))


def randomise_layer(layer: keras.layers.Layer, rng: np.random.Generator) -> None:
    """Re-initialise one layer's weights in place (kernels like Glorot, BN as fresh)."""
    new = []
    for w in layer.weights:
        shape = tuple(w.shape)
        name = w.path.split("/")[-1] if hasattr(w, "path") else w.name
        if "kernel" in name:
            fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else shape[0]
            fan_out = shape[-1]
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            new.append(rng.uniform(-limit, limit, shape))
        elif "gamma" in name or "moving_variance" in name:
            new.append(np.ones(shape))
        else:  # bias, beta, moving_mean
            new.append(np.zeros(shape))
    layer.set_weights([np.asarray(v, dtype=np.float32) for v in new])


def map_similarity(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """Spearman rank correlation of absolute and signed maps, and SSIM of the heatmaps.

    Parameters
    ----------
    a, b : numpy.ndarray
        (H, W, C) attributions of the same image.

    Returns
    -------
    dict
        ``spearman_abs``, ``spearman_signed``, ``ssim``.
    """
    abs_a, abs_b = np.abs(a).sum(-1).ravel(), np.abs(b).sum(-1).ravel()
    sig_a, sig_b = a.sum(-1).ravel(), b.sum(-1).ravel()
    ha, hb = to_heatmap(a), to_heatmap(b)
    return {
        "spearman_abs": float(spearmanr(abs_a, abs_b).statistic),
        "spearman_signed": float(spearmanr(sig_a, sig_b).statistic),
        "ssim": float(structural_similarity(ha, hb, data_range=1.0)),
    }


def cascading_randomisation(
    model: keras.Model,
    images: np.ndarray,
    targets: np.ndarray,
    methods: tuple[str, ...] = ("vargrad", "gradient", "smoothgrad"),
    n_samples: int = 20,
    noise: float = 0.15,
    seed: int = 0,
    return_maps: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Randomise weights from the logits down, one group at a time, comparing maps each step.

    The model is cloned, never changed. Targets are fixed (the trained model's
    classes) so every step explains the same logit.

    Parameters
    ----------
    return_maps : bool
        Also return every step's maps (the pictures of Adebayo et al.'s figure).

    Returns
    -------
    pandas.DataFrame
        Rows ``step`` (0 = trained model), ``layer`` (last group randomised),
        ``method``, ``image``, ``spearman_abs``, ``spearman_signed``, ``ssim``.
    dict, only with ``return_maps``
        Method -> (steps, N, H, W, C) maps, step 0 the trained model's.
    """
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    rng = np.random.default_rng(seed)
    reference = {m: explain(m, model, images, targets, n_samples, noise, seed) for m in methods}
    rows = []
    kept: dict[str, list[np.ndarray]] = {m: [] for m in methods}
    steps = [("trained", [])] + weighted_groups(clone)
    for step, (group, layers) in enumerate(steps):
        for layer in layers:
            randomise_layer(layer, rng)
        for m in methods:
            maps = reference[m] if step == 0 else explain(m, clone, images, targets, n_samples, noise, seed)
            if return_maps:
                kept[m].append(np.asarray(maps, np.float32))
            for i in range(len(images)):
                rows.append({"step": step, "layer": group, "method": m, "image": i,
                             **map_similarity(reference[m][i], maps[i])})
    if return_maps:
        return pd.DataFrame(rows), {m: np.stack(v) for m, v in kept.items()}
    return pd.DataFrame(rows)


def noise_sweep(
    model: keras.Model,
    images: np.ndarray,
    targets: np.ndarray,
    levels: tuple[float, ...] = (0.05, 0.15, 0.3, 1.0),
    reference: float = 0.15,
    n_samples: int = 50,
    seed: int = 0,
) -> tuple[dict[float, np.ndarray], pd.DataFrame]:
    """VarGrad at several noise levels, each compared with a reference map.

    The reference is VarGrad at ``reference`` noise with another seed, so the
    row for ``reference`` itself shows how much two draws of the noise agree.

    Returns
    -------
    maps : dict
        ``noise -> (N, H, W, C)`` VarGrad maps.
    table : pandas.DataFrame
        ``noise`` and ``spearman_vs_reference`` (mean over images of the
        Spearman correlation of absolute maps).
    """
    from gemlib.explain import vargrad

    ref = vargrad(model, images, targets, n_samples=n_samples, noise=reference, seed=seed + 1)
    maps = {s: vargrad(model, images, targets, n_samples=n_samples, noise=s, seed=seed) for s in levels}
    table = pd.DataFrame([
        {"noise": s, "spearman_vs_reference": float(np.mean([map_similarity(r, m)["spearman_abs"] for r, m in zip(ref, maps[s])]))}
        for s in levels
    ])
    return maps, table


def blurred(image: np.ndarray, sigma: float = 5.0) -> np.ndarray:
    """Gaussian-blurred copy of an (H, W, C) image (the insertion start)."""
    return gaussian_filter(np.asarray(image, np.float32), sigma=(sigma, sigma, 0))


def _most_salient(heatmap: np.ndarray, fraction: float) -> np.ndarray:
    """(H, W, 1) mask of the ``fraction`` most salient pixels (rounded to whole pixels; ties in
    raster order)."""
    h, w = heatmap.shape
    mask = np.zeros(h * w, bool)
    mask[np.argsort(-heatmap.ravel(), kind="stable")[: int(round(fraction * h * w))]] = True
    return mask.reshape(h, w, 1)


def remove_most_salient(image: np.ndarray, heatmap: np.ndarray, fraction: float, fill: str = "black") -> np.ndarray:
    """The image with its ``fraction`` most salient pixels removed, as :func:`deletion_insertion` removes them.

    Parameters
    ----------
    image : numpy.ndarray
        (H, W, C) in the model's units.
    heatmap : numpy.ndarray
        (H, W) saliency, larger = more important (ties: the earlier pixel first).
    fraction : float
        Share of pixels removed, 0 to 1 (rounded to whole pixels).
    fill : {"black", "blur"}
        What removed pixels become: black, or the pixels of the blurred copy (:func:`blurred`).

    Returns
    -------
    numpy.ndarray
        (H, W, C) float32 copy.
    """
    x = np.asarray(image, np.float32)
    if heatmap.shape != x.shape[:2]:
        raise ValueError(f"heatmap shape {heatmap.shape} does not match the image's {x.shape[:2]}: "
                         "pass the (H, W) map of this image")
    if not 0 <= fraction <= 1 or fill not in ("black", "blur"):
        raise ValueError(f"fraction must lie in [0, 1] and fill be 'black' or 'blur', got {fraction}, {fill!r}")
    gone = blurred(x) if fill == "blur" else np.zeros_like(x)
    return np.where(_most_salient(heatmap, fraction), gone, x)


#: Fractions of pixels at which deletion and insertion curves are read: fine at the start, where
#: a colour-driven model's curves move most, then every 10 %.
FRACTIONS = np.array([0, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5,
                      0.6, 0.7, 0.8, 0.9, 1.0])


def deletion_insertion(
    predict_proba: Callable[[np.ndarray], np.ndarray],
    image: np.ndarray,
    heatmap: np.ndarray,
    target: int,
    fractions: np.ndarray = FRACTIONS,
    fill: str = "black",
) -> dict[str, np.ndarray | float]:
    """Deletion and insertion curves (Petsiuk et al. 2018, RISE) for one map.

    Deletion removes the most salient pixels first and watches the target probability fall;
    insertion reveals them first on a blurred copy and watches it rise. A faithful map has a low
    deletion area and a high insertion area.

    Parameters
    ----------
    predict_proba : callable
        (N, H, W, C) -> (N, n_classes) probabilities.
    image : numpy.ndarray
        (H, W, C) in the model's units.
    heatmap : numpy.ndarray
        (H, W) saliency, larger = more important.
    target : int
        Class whose probability is tracked.
    fractions : numpy.ndarray
        Increasing fractions of pixels, from 0 to 1, at which the curves are read.
    fill : {"black", "blur"}
        What deleted pixels become: black (as in RISE), or the blurred copy's pixels, which
        keeps the colours roughly in place and so does not upset a colour-driven model by
        itself.

    Returns
    -------
    dict
        ``fraction``, ``deletion``, ``insertion`` curves and their trapezoid areas
        ``deletion_auc``, ``insertion_auc``.
    """
    x = np.asarray(image, np.float32)
    fractions = np.asarray(fractions, np.float64)
    start = blurred(x)
    gone = start if fill == "blur" else np.zeros_like(x)
    dele, ins = [], []
    for f in fractions:
        mask = _most_salient(heatmap, f)  # the pixels remove_most_salient removes
        dele.append(np.where(mask, gone, x))
        ins.append(np.where(mask, x, start))
    probs = predict_proba(np.stack(dele + ins))[:, target]
    d, i = probs[: len(fractions)], probs[len(fractions) :]
    return {
        "fraction": fractions,
        "deletion": d,
        "insertion": i,
        "deletion_auc": float(np.trapezoid(d, fractions)),
        "insertion_auc": float(np.trapezoid(i, fractions)),
    }


def faithfulness(
    model: keras.Model,
    images: np.ndarray,
    targets: np.ndarray,
    methods: tuple[str, ...] = ("vargrad", "gradient", "smoothgrad", "random"),
    n_samples: int = 50,
    noise: float = 0.15,
    fractions: np.ndarray = FRACTIONS,
    seed: int = 0,
    fill: str = "black",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Deletion/insertion areas and mean curves for several methods on the same images.

    ``fractions`` and ``fill`` are :func:`deletion_insertion`'s.

    Returns
    -------
    areas : pandas.DataFrame
        One row per (method, image): ``deletion_auc``, ``insertion_auc``.
    curves : pandas.DataFrame
        Mean curves: ``method``, ``fraction``, ``deletion``, ``insertion``.
    """
    from gemlib.evaluate import softmax

    def proba(batch: np.ndarray) -> np.ndarray:
        return softmax(np.asarray(model.predict(batch, batch_size=16, verbose=0)))

    areas, curves = [], []
    for m in methods:
        heat = to_heatmap(explain(m, model, images, targets, n_samples, noise, seed), clip_percentile=100)
        results = [deletion_insertion(proba, img, hm, int(t), fractions, fill)
                   for img, hm, t in zip(images, heat, targets)]
        for i, r in enumerate(results):
            areas.append({"method": m, "image": i, "deletion_auc": r["deletion_auc"], "insertion_auc": r["insertion_auc"]})
        curves.append(pd.DataFrame({
            "method": m,
            "fraction": results[0]["fraction"],
            "deletion": np.mean([r["deletion"] for r in results], axis=0),
            "insertion": np.mean([r["insertion"] for r in results], axis=0),
        }))
    return pd.DataFrame(areas), pd.concat(curves, ignore_index=True)


def stem_fingerprint(
    images: np.ndarray,
    num_classes: int,
    kernels: tuple[int, ...] = (5, 4),
    target: int = 0,
    n_samples: int = 50,
    noise: float = 0.15,
    seed: int = 0,
    widths: tuple[int, ...] = (32, 64, 128, 256),
) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """VarGrad maps of *untrained* networks that differ only in the stem's kernel size.

    A random network has learned nothing, so whatever structure its maps share across photos is
    the architecture's: with a stride-2 stem whose kernel is not divisible by 2 that is a
    2-pixel checkerboard (:func:`gemlib.explain.grid_energy`).

    Parameters
    ----------
    images : numpy.ndarray
        (N, H, W, 3) photos, H and W divisible by 4.
    num_classes : int
        Logits of the networks.
    kernels : tuple of int
        Stem kernel sizes to compare (5: the published stem; 4: divisible by the stride).
    target : int
        Logit explained (any: the networks are random).
    n_samples, noise : int, float
        VarGrad settings.
    seed : int
        Seeds the weights (the same for every kernel size) and the noise.
    widths : tuple of int
        Filters per stage (the lesson's network by default).

    Returns
    -------
    maps : dict
        ``"stem k x k"`` -> (N, H, W, 3) VarGrad maps.
    table : pandas.DataFrame
        ``stem``, ``image``, ``grid_energy``.
    """
    from gemlib.explain import grid_energy
    from gemlib.models import build_resnet

    maps, rows = {}, []
    for k in kernels:
        keras.utils.set_random_seed(seed)
        net = build_resnet(num_classes, images.shape[1], widths, stem_kernel=k)
        name = f"stem {k} x {k}"
        maps[name] = explain("vargrad", net, images, target, n_samples, noise, seed)
        for i, e in enumerate(np.atleast_1d(grid_energy(np.abs(maps[name]).sum(-1)))):
            rows.append({"stem": name, "image": i, "grid_energy": float(e)})
    return maps, pd.DataFrame(rows)
