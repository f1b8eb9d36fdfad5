"""The published attempt's recipes, reproduced so that each can stand beside the right way.

Nothing here trains or explains the shipped models: these are the mistakes the lesson teaches
from. Each function computes one of them; :func:`compare_maps` puts numbers on two maps of the
same images, and the lesson draws them with :mod:`gemlib.plots`.
"""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import confusion_matrix

from gemlib.explain import GRADIENT_BATCH, gradients, grid_energy, noisy_gradients, vargrad
from gemlib.sanity import map_similarity


def logit_sum_model(model: keras.Model) -> keras.Model:
    """``model`` with one output, the sum of all its logits: the published target, as a "class" 0.

    Explaining class 0 of this model with :mod:`gemlib.explain` gives the published maps, with the
    same noise, batching and tracing as every other map in the lesson.
    """
    inp = keras.Input(model.input_shape[1:])
    return keras.Model(inp, keras.ops.sum(model(inp), axis=-1, keepdims=True))


def logit_sum_gradients(model: keras.Model, batch: np.ndarray, batch_size: int = GRADIENT_BATCH) -> np.ndarray:
    """Input gradient of the *sum of all logits*, one per image.

    The sum does not depend on which class is asked about, so neither does the map.
    """
    return gradients(logit_sum_model(model), batch, 0, batch_size)


def logit_sum_vargrad(
    model: keras.Model, images: np.ndarray, n_samples: int = 50, noise: float = 0.15, seed: int | None = None
) -> np.ndarray:
    """VarGrad of the sum of all logits (:func:`gemlib.explain.vargrad` of :func:`logit_sum_model`).

    Returns
    -------
    numpy.ndarray
        float32, shape of ``images``; the same noise draws as ``vargrad`` for the same seed.
    """
    return vargrad(logit_sum_model(model), images, 0, n_samples, noise, seed)


def integrated_gradients_std(
    model: keras.Model,
    images: np.ndarray,
    targets: np.ndarray,
    n_samples: int = 20,
    noise: float = 0.15,
    steps: int = 16,
    seed: int | None = None,
) -> np.ndarray:
    """The published map: the standard deviation, over noisy copies, of Integrated Gradients.

    VarGrad (Adebayo et al. 2018) is the *variance* of a base explanation; the published code
    took the standard deviation and used Integrated Gradients as the base.

    Returns
    -------
    numpy.ndarray
        float32, shape of ``images``.
    """
    rng = np.random.default_rng(seed)
    return np.stack([
        noisy_gradients(model, x, int(t), n_samples, noise, rng, base="integrated_gradients", ig_steps=steps).std(axis=0)
        for x, t in zip(np.asarray(images, np.float32), targets)
    ]).astype(np.float32)


def compare_maps(
    right: np.ndarray, published: np.ndarray, names: list[str] | None = None, photos: np.ndarray | None = None
) -> pd.DataFrame:
    """Per image: how alike the two maps are, how much grid each carries, how much each follows
    the photo's brightness.

    Parameters
    ----------
    right, published : numpy.ndarray
        (N, H, W, C) attributions of the same images.
    names : list of str, optional
        Row labels.
    photos : numpy.ndarray, optional
        (N, H, W, C) the images themselves: adds the brightness columns.

    Returns
    -------
    pandas.DataFrame
        ``spearman`` (rank correlation of the absolute maps), ``ssim`` of the heatmaps,
        ``grid_energy_right`` / ``grid_energy_published`` (:func:`gemlib.explain.grid_energy`)
        and, with ``photos``, ``brightness_right`` / ``brightness_published``: the rank
        correlation of each absolute map with the photo's brightness (channel sum).
    """
    rows = []
    for i, (a, b) in enumerate(zip(right, published)):
        sim = map_similarity(a, b)
        row = {"spearman": sim["spearman_abs"], "ssim": sim["ssim"],
               "grid_energy_right": float(grid_energy(np.abs(a).sum(-1))),
               "grid_energy_published": float(grid_energy(np.abs(b).sum(-1)))}
        if photos is not None:
            light = np.asarray(photos[i], np.float64).sum(-1).ravel()
            for name, m in (("right", a), ("published", b)):
                row[f"brightness_{name}"] = float(spearmanr(np.abs(m).sum(-1).ravel(), light).statistic)
        rows.append(row)
    return pd.DataFrame(rows, index=names)


def column_normalised_confusion(labels: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """The published normalisation: each *predicted* column sums to 1 (precision on the diagonal).

    Compare :func:`gemlib.evaluate.normalised_confusion`, whose true-class rows sum to 1.
    """
    cm = confusion_matrix(labels, predicted, labels=np.arange(n_classes)).astype(np.float64)
    cols = cm.sum(axis=0, keepdims=True)
    return np.divide(cm, cols, out=np.zeros_like(cm), where=cols > 0)


def normalisation_summary(by_row: np.ndarray, by_column: np.ndarray) -> pd.DataFrame:
    """What each normalisation's rows and diagonal say.

    Returns
    -------
    pandas.DataFrame
        Index ``rows sum to 1`` (right) and ``columns sum to 1`` (published); columns
        ``row_sum_min``, ``row_sum_max`` (over classes seen in the test set) and
        ``mean_diagonal`` (mean recall for the first, mean precision of the predicted classes
        for the second).
    """
    seen = by_row.sum(axis=1) > 0
    predicted = by_column.sum(axis=0) > 0
    out = {}
    for name, m, diag_mask in (("rows sum to 1", by_row, seen), ("columns sum to 1", by_column, predicted)):
        sums = m.sum(axis=1)[seen]
        out[name] = {"row_sum_min": float(sums.min()), "row_sum_max": float(sums.max()),
                     "mean_diagonal": float(np.diag(m)[diag_mask].mean())}
    return pd.DataFrame(out).T


def selection_table(candidates: dict[str, dict], max_seconds: float | None = None) -> pd.DataFrame:
    """Validation and test top-1 of several candidates, and which each rule would pick.

    Parameters
    ----------
    candidates : dict
        Name -> card with ``val_accuracy`` and ``test_accuracy`` (and ``train_seconds`` when
        ``max_seconds`` is given).
    max_seconds : float, optional
        The rule's time limit: a candidate that trained longer cannot be chosen (by either rule).

    Returns
    -------
    pandas.DataFrame
        One row per candidate: ``val_accuracy``, ``test_accuracy``, ``within_limit``,
        ``chosen_on_validation`` and ``chosen_on_test`` (booleans).
    """
    table = pd.DataFrame({n: {"val_accuracy": c["val_accuracy"], "test_accuracy": c["test_accuracy"]}
                          for n, c in candidates.items()}).T.astype(float)
    table["within_limit"] = [max_seconds is None or c["train_seconds"] <= max_seconds
                             for c in candidates.values()]
    eligible = table[table["within_limit"]]
    table["chosen_on_validation"] = table.index == eligible["val_accuracy"].idxmax()
    table["chosen_on_test"] = table.index == eligible["test_accuracy"].idxmax()
    return table


def _flip_rate(accuracy: float, disagreement: float) -> float:
    """Chance that a candidate flips a right answer of the shared base, for a pair disagreement."""
    from scipy.optimize import brentq

    def pair_disagreement(q: float) -> float:
        b = q * accuracy / (1 - accuracy)  # wrong answers flip at the rate that keeps the mean
        return accuracy * 2 * q * (1 - q) + (1 - accuracy) * 2 * b * (1 - b)

    top = 1 - accuracy  # at this rate the candidates are independent draws
    if not 0 <= disagreement <= pair_disagreement(top) + 1e-12:
        raise ValueError(f"disagreement {disagreement} is outside 0-{pair_disagreement(top):.3f}, "
                         "the range possible at this accuracy")
    if disagreement == 0:
        return 0.0
    return float(brentq(lambda q: pair_disagreement(q) - disagreement, 0.0, top))


def best_of_k_optimism(k: int, n_images: int, accuracy: float, draws: int = 20000, seed: int = 0,
                       disagreement: float | None = None) -> pd.Series:
    """How far the best of ``k`` equally good models' test scores sits above their true accuracy.

    Without ``disagreement`` each model's score is an independent binomial draw. Real candidates
    are scored on the *same* photos and get most of them equally right or wrong; with
    ``disagreement`` (the share of photos on which two candidates differ, measured for instance
    between two training seeds) the candidates share a base answer per photo (right with
    probability ``accuracy``) and each flips it independently, at the rate that gives that
    disagreement and keeps the mean. Picking the highest score and quoting it reports the
    maximum of ``k`` such scores; simulated ``draws`` times.

    Returns
    -------
    pandas.Series
        ``true_accuracy``, ``mean_best_score``, ``optimism`` (their difference) and
        ``share_best_above_true``.
    """
    rng = np.random.default_rng(seed)
    if disagreement is None:
        best = rng.binomial(n_images, accuracy, size=(draws, k)).max(axis=1) / n_images
    else:
        q = _flip_rate(accuracy, disagreement)
        rates = np.array([q * accuracy / (1 - accuracy), q])  # flip chance given base wrong, right
        best = np.empty(draws)
        for start in range(0, draws, 500):
            n = min(500, draws - start)
            base = rng.random((n, n_images)) < accuracy
            flip_rate = rates[base.astype(int)]
            scores = [(base ^ (rng.random((n, n_images)) < flip_rate)).mean(axis=1) for _ in range(k)]
            best[start:start + n] = np.max(scores, axis=0)
    return pd.Series({"true_accuracy": accuracy, "mean_best_score": float(best.mean()),
                      "optimism": float(best.mean() - accuracy), "share_best_above_true": float((best > accuracy).mean())})


def peak_and_plateau(curve: pd.Series, last: int = 10) -> pd.Series:
    """The maximum of a validation curve, where it falls, and the mean of its last ``last`` epochs.

    The maximum over many noisy epochs is an optimistic statistic; the plateau's mean is steadier.
    """
    values = curve.dropna().to_numpy(float)
    return pd.Series({"maximum": float(values.max()), "epoch_of_maximum": int(values.argmax()) + 1,
                      f"mean_of_last_{last}": float(values[-last:].mean()),
                      f"std_of_last_{last}": float(values[-last:].std(ddof=1))})
