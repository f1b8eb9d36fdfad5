"""Saliency checks at scale: randomisation and faithfulness on many images, with intervals.

:mod:`gemlib.sanity` holds the checks themselves; this module runs them on a seeded sample of
test images and summarises each quantity as a mean with a 95 % bootstrap interval, with the noise
floor (a map against itself under another noise seed) and paired comparisons against a random
map, in the form the model cards store under ``saliency``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import wilcoxon

from gemlib.evaluate import bootstrap_ci
from gemlib.explain import explain, grid_energy
from gemlib.sanity import FRACTIONS, cascading_randomisation, faithfulness, map_similarity

#: The methods compared; ``random`` is the control every method must beat.
METHODS = ("vargrad", "smoothgrad", "gradient")


def summary(values: np.ndarray, seed: int = 0) -> dict:
    """Mean of per-image values with a 95 % percentile-bootstrap interval."""
    mean, low, high = bootstrap_ci(np.asarray(values, np.float64), seed=seed)
    return {"mean": round(mean, 4), "ci95": [round(low, 4), round(high, 4)]}


def paired(a: np.ndarray, b: np.ndarray, seed: int = 0) -> dict:
    """Per-image difference ``a - b``: mean, 95 % bootstrap interval, Wilcoxon signed-rank p."""
    diff = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    out = summary(diff, seed)
    out["p_wilcoxon"] = float(f"{wilcoxon(diff).pvalue:.3g}") if np.any(diff != 0) else 1.0
    return out


def noise_floor(model, images: np.ndarray, targets: np.ndarray, methods=METHODS, n_samples: int = 20,
                noise: float = 0.15, seed: int = 0) -> pd.DataFrame:
    """Each method's map against itself under another noise seed: the best similarity to expect.

    Returns
    -------
    pandas.DataFrame
        ``method``, ``image``, ``spearman_abs``, ``spearman_signed``, ``ssim``.
    """
    rows = []
    for m in methods:
        a = explain(m, model, images, targets, n_samples, noise, seed)
        b = explain(m, model, images, targets, n_samples, noise, seed + 1)
        rows += [{"method": m, "image": i, **map_similarity(x, y)} for i, (x, y) in enumerate(zip(a, b))]
    return pd.DataFrame(rows)


def pick_images(n_test: int, n_images: int = 32, seed: int = 0) -> np.ndarray:
    """A seeded sample of test indices, sorted."""
    return np.sort(np.random.default_rng(seed).choice(n_test, size=min(n_images, n_test), replace=False))


def saliency_report(
    model,
    images: np.ndarray,
    targets: np.ndarray,
    n_samples: int = 50,
    noise: float = 0.15,
    randomisation_samples: int = 20,
    seed: int = 0,
) -> dict:
    """Grid energy, cascading randomisation and deletion/insertion on the same images.

    Parameters
    ----------
    model : keras.Model
        Outputs logits.
    images : numpy.ndarray
        (N, H, W, 3) test images in the model's units.
    targets : numpy.ndarray
        Classes explained (usually the predicted ones).
    n_samples, noise : int, float
        SmoothGrad and VarGrad settings for grid energy and faithfulness (the defaults).
    randomisation_samples : int
        Noisy copies per map in the randomisation check (one map per layer group and image).
    seed : int
        Noise and bootstrap seed.

    Returns
    -------
    dict
        ``n_images``, ``settings``, ``grid_energy`` (VarGrad at the defaults), and per method
        ``randomisation`` (rank correlation of absolute maps with the trained model's map once the
        logits and once every layer are randomised, the noise floor, and the fully randomised
        similarity minus a random map's, paired) and ``faithfulness`` (deletion and insertion
        areas, each paired against the random map's on the same images).
    """
    vg = explain("vargrad", model, images, targets, n_samples, noise, seed)
    cascade = cascading_randomisation(model, images, targets, METHODS, randomisation_samples, noise, seed)
    last = cascade["step"].max()
    floor = noise_floor(model, images, targets, METHODS, randomisation_samples, noise, seed)
    trained_random = explain("random", model, images, targets, seed=seed)
    reference = {m: explain(m, model, images, targets, randomisation_samples, noise, seed) for m in METHODS}
    areas, _ = faithfulness(model, images, targets, METHODS + ("random",), n_samples, noise, FRACTIONS, seed)
    report: dict = {
        "n_images": int(len(images)),
        "settings": {"n_samples": n_samples, "noise": noise, "randomisation_samples": randomisation_samples,
                     "fractions": [float(f) for f in FRACTIONS], "deletion_fill": "black", "seed": seed,
                     "similarity": "Spearman rank correlation of absolute maps"},
        "grid_energy": summary(grid_energy(np.abs(vg).sum(-1)), seed),
        "randomisation": {},
        "faithfulness": {},
    }
    rand_area = areas[areas["method"] == "random"].set_index("image")
    for m in METHODS:
        at = cascade[cascade["method"] == m].set_index(["step", "image"])["spearman_abs"]
        random_map = [map_similarity(r, x)["spearman_abs"] for r, x in zip(reference[m], trained_random)]
        report["randomisation"][m] = {
            "logits_randomised": summary(at.loc[1].to_numpy(), seed),
            "fully_randomised": summary(at.loc[last].to_numpy(), seed),
            "noise_floor": summary(floor[floor["method"] == m]["spearman_abs"].to_numpy(), seed),
            "fully_randomised_minus_random_map": paired(at.loc[last].to_numpy(), random_map, seed),
        }
        own = areas[areas["method"] == m].set_index("image")
        report["faithfulness"][m] = {
            "deletion_auc": summary(own["deletion_auc"].to_numpy(), seed),
            "insertion_auc": summary(own["insertion_auc"].to_numpy(), seed),
            "deletion_minus_random": paired(own["deletion_auc"], rand_area["deletion_auc"], seed),
            "insertion_minus_random": paired(own["insertion_auc"], rand_area["insertion_auc"], seed),
        }
    report["faithfulness"]["random"] = {
        "deletion_auc": summary(rand_area["deletion_auc"].to_numpy(), seed),
        "insertion_auc": summary(rand_area["insertion_auc"].to_numpy(), seed),
    }
    return report


def report_table(report: dict) -> pd.DataFrame:
    """The card's ``saliency`` block as one row per method: means with their intervals."""
    def fmt(s: dict) -> str:
        return f"{s['mean']:.3f} [{s['ci95'][0]:.3f}, {s['ci95'][1]:.3f}]"

    rows = []
    for m, faith in report["faithfulness"].items():
        rand = report["randomisation"].get(m, {})
        rows.append({
            "method": m,
            "similarity, logits random": fmt(rand["logits_randomised"]) if rand else "",
            "similarity, all random": fmt(rand["fully_randomised"]) if rand else "",
            "noise floor": fmt(rand["noise_floor"]) if rand else "",
            "deletion area": fmt(faith["deletion_auc"]),
            "insertion area": fmt(faith["insertion_auc"]),
            "deletion vs random, p": faith.get("deletion_minus_random", {}).get("p_wilcoxon", ""),
            "insertion vs random, p": faith.get("insertion_minus_random", {}).get("p_wilcoxon", ""),
        })
    return pd.DataFrame(rows).set_index("method")
