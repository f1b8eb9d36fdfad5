"""Scores of a trained model: accuracy with intervals, per-class table, confusions, calibration."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support


TTA_VIEWS = {
    "none": "identity",
    "hflip": "identity and horizontal flip",
    "flips": "identity, horizontal flip, vertical flip, both",
    "dihedral": "the 8 symmetries of the square: 4 quarter turns, each with and without a flip",
}


def tta_views(images: np.ndarray, tta: str = "none") -> list[np.ndarray]:
    """Transformed copies of a batch (N, H, W, C) for test-time augmentation.

    Parameters
    ----------
    images : numpy.ndarray
        Batch of images; ``dihedral`` needs square ones.
    tta : str
        One of :data:`TTA_VIEWS`.

    Returns
    -------
    list of numpy.ndarray
        The views, the identity first.
    """
    if tta not in TTA_VIEWS:
        raise ValueError(f"unknown test-time augmentation {tta!r}; choose one of {sorted(TTA_VIEWS)}")
    x = images
    if tta == "none":
        return [x]
    if tta == "hflip":
        return [x, x[:, :, ::-1]]
    if tta == "flips":
        return [x, x[:, :, ::-1], x[:, ::-1], x[:, ::-1, ::-1]]
    if x.shape[1] != x.shape[2]:
        raise ValueError(f"dihedral test-time augmentation needs square images, got {x.shape[1]}x{x.shape[2]}")
    turns = [np.rot90(x, k, axes=(1, 2)) for k in range(4)]
    return turns + [t[:, :, ::-1] for t in turns]


def predict_logits(
    model: keras.Model, images: np.ndarray, batch_size: int = 16, tta: bool | str = False
) -> np.ndarray:
    """Logits for ``uint8`` or float images 0-255 (N, H, W, 3).

    Parameters
    ----------
    model : keras.Model
        Takes pixel values 0-255.
    images : numpy.ndarray
        Batch of images.
    batch_size : int
        Prediction batch size. 16 keeps a 128 px batch's activations near 30 MB (64 held
        0.12 GiB more at the peak); the logits do not depend on it.
    tta : bool or str
        Test-time augmentation: a key of :data:`TTA_VIEWS` (logits averaged over
        the views); ``True`` means ``"flips"``, ``False`` ``"none"``.

    Returns
    -------
    numpy.ndarray
        (N, n_classes) float32.

    Notes
    -----
    Works one batch at a time, views included, so memory does not grow with the number of
    images: the 1,287 architecture test images at 128 px are 250 MB as float32, and each view of
    the whole set would be another copy.
    """
    mode = ("flips" if tta else "none") if isinstance(tta, bool) else tta
    out = []
    for start in range(0, len(images), batch_size):
        x = np.asarray(images[start : start + batch_size], dtype=np.float32)
        views = tta_views(x, mode)
        out.append(np.mean([np.asarray(model.predict_on_batch(np.ascontiguousarray(v))) for v in views], axis=0))
    if not out:
        return np.zeros((0, int(model.output_shape[-1])), np.float32)
    return np.concatenate(out).astype(np.float32)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, numerically stable."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def topk_correct(logits: np.ndarray, labels: np.ndarray, k: int = 1) -> np.ndarray:
    """Boolean (N,): is the true label among the ``k`` highest scores."""
    top = np.argsort(-logits, axis=1)[:, :k]
    return (top == np.asarray(labels)[:, None]).any(axis=1)


def bootstrap_ci(
    correct: np.ndarray, n_boot: int = 2000, level: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """Mean of a 0/1 vector with a percentile bootstrap interval.

    Returns
    -------
    (mean, low, high) : tuple of float
    """
    correct = np.asarray(correct, dtype=np.float64)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(correct), size=(n_boot, len(correct)))
    means = correct[idx].mean(axis=1)
    a = (1 - level) / 2
    return float(correct.mean()), float(np.quantile(means, a)), float(np.quantile(means, 1 - a))


def mcnemar(correct_a: np.ndarray, correct_b: np.ndarray) -> dict[str, float]:
    """McNemar's exact test of two classifiers scored on the same images.

    Only the discordant images count: ``a_only`` (A right, B wrong) and ``b_only``. Under the null
    hypothesis that A and B are equally accurate each discordant image is a fair coin, so the
    two-sided p-value is that of a binomial test of ``a_only`` in ``a_only + b_only`` trials at 1/2.

    Parameters
    ----------
    correct_a, correct_b : numpy.ndarray
        Boolean (N,): is each image right, for A and for B (same images, same order).

    Returns
    -------
    dict
        ``a_only``, ``b_only``, ``difference`` (accuracy of A minus B) and ``p_value``.
    """
    from scipy.stats import binomtest

    a, b = np.asarray(correct_a, bool), np.asarray(correct_b, bool)
    if a.shape != b.shape:
        raise ValueError(f"McNemar needs the same images for both: shapes {a.shape} and {b.shape}")
    a_only, b_only = int((a & ~b).sum()), int((~a & b).sum())
    p = binomtest(a_only, a_only + b_only, 0.5).pvalue if a_only + b_only else 1.0
    return {"a_only": a_only, "b_only": b_only, "difference": float(a.mean() - b.mean()), "p_value": float(p)}


def accuracy_table(logits: np.ndarray, labels: np.ndarray, seed: int = 0) -> pd.DataFrame:
    """Top-1 and top-5 accuracy with bootstrap 95 % intervals, one row each."""
    rows = []
    for k in (1, 5):
        m, lo, hi = bootstrap_ci(topk_correct(logits, labels, k), seed=seed)
        rows.append({"metric": f"top{k}", "accuracy": m, "ci_low": lo, "ci_high": hi, "n": len(labels)})
    return pd.DataFrame(rows)


def per_class_table(labels: np.ndarray, predicted: np.ndarray, classes: list[str]) -> pd.DataFrame:
    """Precision, recall, F1 and support per class (scikit-learn), sorted by F1."""
    p, r, f, s = precision_recall_fscore_support(
        labels, predicted, labels=np.arange(len(classes)), zero_division=0
    )
    table = pd.DataFrame({"class": classes, "precision": p, "recall": r, "f1": f, "support": s})
    return table.sort_values(["f1", "class"]).reset_index(drop=True)


def normalised_confusion(labels: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """Confusion matrix normalised per true class: row i sums to 1 (recall on the diagonal)."""
    cm = confusion_matrix(labels, predicted, labels=np.arange(n_classes)).astype(np.float64)
    rows = cm.sum(axis=1, keepdims=True)
    return np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)


def _mistakes(labels: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """Confusion counts with the diagonal (the right answers) set to 0."""
    cm = confusion_matrix(labels, predicted, labels=np.arange(n_classes))
    np.fill_diagonal(cm, 0)
    return cm


def most_confused(labels: np.ndarray, predicted: np.ndarray, classes: list[str], top: int | None = 10) -> pd.DataFrame:
    """The most frequent (true, predicted) mistakes, with counts and the share of the true class.

    Sorted by count, ties in alphabetical order of the true, then the predicted class (so among
    tied pairs the first ``top`` are an alphabetical cut, not a ranking); ``top=None`` keeps all.
    """
    cm = _mistakes(labels, predicted, len(classes))
    support = np.bincount(labels, minlength=len(classes))
    pairs = [
        (classes[i], classes[j], int(cm[i, j]), cm[i, j] / max(1, support[i]))
        for i, j in zip(*np.nonzero(cm))
    ]
    table = pd.DataFrame(pairs, columns=["true", "predicted", "count", "share_of_true"])
    table = table.sort_values(["count", "true", "predicted"], ascending=[False, True, True])
    return (table if top is None else table.head(top)).reset_index(drop=True)


def confused_block(labels: np.ndarray, predicted: np.ndarray, n_classes: int, size: int = 15) -> list[int]:
    """The classes of the most frequent mistakes, each pair next to each other: a readable block.

    Walks the (true, predicted) mistakes from the most to the least frequent (ties by class
    index) and adds both classes of each until ``size`` classes are in.

    Returns
    -------
    list of int
        Class indices, at most ``size``.
    """
    cm = _mistakes(labels, predicted, n_classes)
    order = sorted(zip(*np.nonzero(cm)), key=lambda ij: (-cm[ij], ij[0], ij[1]))
    block: list[int] = []
    for i, j in order:
        for k in (int(i), int(j)):
            if k not in block and len(block) < size:
                block.append(k)
        if len(block) >= size:
            break
    return block


def right_and_wrong(labels: np.ndarray, predicted: np.ndarray, n_right: int, n_wrong: int,
                    seed: int = 0) -> np.ndarray:
    """Indices of ``n_right`` correctly and ``n_wrong`` wrongly predicted images, drawn at random.

    For example figures that show a model's mistakes beside its successes (right ones first).
    """
    rng = np.random.default_rng(seed)
    right = np.flatnonzero(labels == predicted)
    wrong = np.flatnonzero(labels != predicted)
    return np.concatenate([rng.choice(right, n_right, replace=False),
                           rng.choice(wrong, n_wrong, replace=False)])


def calibration(probabilities: np.ndarray, labels: np.ndarray, n_bins: int = 10) -> tuple[float, pd.DataFrame]:
    """Expected calibration error and the reliability table.

    Parameters
    ----------
    probabilities : numpy.ndarray
        (N, C) softmax outputs.
    labels : numpy.ndarray
        True classes.
    n_bins : int
        Equal-width confidence bins over [0, 1].

    Returns
    -------
    ece : float
        Sum over bins of (bin share) x |accuracy - confidence|.
    table : pandas.DataFrame
        Per bin: ``low``, ``high``, ``count``, ``confidence``, ``accuracy``.
    """
    conf = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0, 1, n_bins + 1)
    idx = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, n_bins - 1)
    rows, ece = [], 0.0
    for b in range(n_bins):
        m = idx == b
        c = int(m.sum())
        acc = float(correct[m].mean()) if c else np.nan
        cf = float(conf[m].mean()) if c else np.nan
        if c:
            ece += c / len(labels) * abs(acc - cf)
        rows.append({"low": edges[b], "high": edges[b + 1], "count": c, "confidence": cf, "accuracy": acc})
    return float(ece), pd.DataFrame(rows)
