"""What the probabilities do not say: a photo unlike the training photos still gets a top class.

The softmax always sums to one, so every photo, a cathedral or pure noise, gets some class with
some probability. The one signal the network gives for free is how high its top probability is.
:func:`familiarity_threshold` turns the validation photos' top probabilities into a line: a photo
whose top probability is lower than that of 95 % of validation photos is flagged as unfamiliar.
"""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd

from gemlib.data import DataError
from gemlib.evaluate import predict_logits, softmax

#: Percentile of the validation photos' top probabilities used as the familiarity threshold.
PERCENTILE = 5.0


def top_probability(model: keras.Model, images: np.ndarray, batch_size: int = 16) -> np.ndarray:
    """Highest softmax probability of each image (float64, shape (N,))."""
    logits = predict_logits(model, images, batch_size)
    return softmax(logits.astype(np.float64)).max(axis=1)


def familiarity_threshold(top_probabilities: np.ndarray, percentile: float = PERCENTILE) -> float:
    """The ``percentile``-th percentile of (validation) top probabilities (numpy's linear rule).

    Raises
    ------
    DataError
        When ``top_probabilities`` is empty.
    """
    p = np.asarray(top_probabilities, np.float64)
    if p.size == 0:
        raise DataError("top_probabilities is empty, so there is no percentile to take: pass "
                        "top_probability(model, images) of at least one validation photo")
    return float(np.percentile(p, percentile))


def share_below(top_probabilities: np.ndarray, threshold: float) -> float:
    """Fraction of photos whose top probability is below ``threshold`` (flagged unfamiliar)."""
    return float(np.mean(np.asarray(top_probabilities) < threshold))


def noise_images(n: int, size: int, seed: int = 0) -> np.ndarray:
    """``n`` uniform random-noise RGB images (uint8, (n, size, size, 3)): no photo at all."""
    return np.random.default_rng(seed).integers(0, 256, (n, size, size, 3), dtype=np.uint8)


def summary(groups: dict[str, np.ndarray], threshold: float) -> pd.DataFrame:
    """Per group of top probabilities: count, median and share below ``threshold``."""
    return pd.DataFrame(
        {name: {"n": len(p), "median": float(np.median(p)), "below_threshold": share_below(p, threshold)}
         for name, p in groups.items()}
    ).T
