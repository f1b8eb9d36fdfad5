"""Nearest training photos in the network's last feature layer (the global-average-pooled one).

The features of a model's training photos are computed once (``python -m gemlib features``) and
shipped beside the model as ``models/<name>.features.npz``: float16 features scaled to unit
length, the photos' paths relative to the dataset root and their labels, never the photos.
Nearness is cosine similarity, the dot product of unit-length features.
"""

from __future__ import annotations

import os
import weakref
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

#: Name of the feature layer in :func:`gemlib.models.build_resnet` (its global average pool).
FEATURE_LAYER = "gap"


def features_path(model_path: str | os.PathLike) -> Path:
    """``models/x.keras`` -> ``models/x.features.npz``."""
    path = Path(model_path)
    return path.with_name(path.stem + ".features.npz")


_FEATURE_MODELS: "weakref.WeakKeyDictionary[keras.Model, keras.Model]" = weakref.WeakKeyDictionary()


def feature_model(model: keras.Model, layer: str = FEATURE_LAYER) -> keras.Model:
    """A model sharing ``model``'s weights that outputs ``layer``'s activations (made once)."""
    if layer != FEATURE_LAYER:
        return keras.Model(model.input, model.get_layer(layer).output)
    if model not in _FEATURE_MODELS:
        _FEATURE_MODELS[model] = keras.Model(model.input, model.get_layer(layer).output)
    return _FEATURE_MODELS[model]


def normalise(features: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 length (a zero row stays zero), float32."""
    f = np.asarray(features, np.float32)
    norms = np.linalg.norm(f, axis=1, keepdims=True)
    return f / np.where(norms > 0, norms, 1.0)


def image_features(model: keras.Model, images: np.ndarray, batch_size: int = 16) -> np.ndarray:
    """Unit-length feature-layer activations of ``images`` (0-255), float32 (N, D)."""
    from gemlib.evaluate import predict_logits

    return normalise(predict_logits(feature_model(model), images, batch_size))


@dataclass
class Neighbours:
    """Unit-length features of training photos, with where the photos are and their labels."""

    features: np.ndarray
    paths: list[str]
    labels: np.ndarray

    def save(self, path: str | os.PathLike) -> Path:
        """Write float16 features, paths and labels to a compressed ``.npz``."""
        np.savez_compressed(path, features=self.features.astype(np.float16),
                            paths=np.asarray(self.paths, dtype=str), labels=self.labels.astype(np.int32))
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Neighbours":
        """Read a file written by :meth:`save` (a missing file is a clear error)."""
        from gemlib.data import DataError

        path = Path(path)
        if not path.is_file():
            model = path.with_name(path.name.replace(".features.npz", ".keras"))
            raise DataError(f"{path}: no training-photo features; make them with "
                            f"`python -m gemlib features --model {model}`.")
        with np.load(path) as z:
            return cls(z["features"].astype(np.float32), [str(p) for p in z["paths"]], z["labels"])

    def nearest(self, query: np.ndarray, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
        """Indices and cosine similarities of the ``k`` most similar training photos.

        Parameters
        ----------
        query : numpy.ndarray
            One feature vector (D,) (any length; it is normalised here).

        Returns
        -------
        indices : numpy.ndarray
            (k,) int, most similar first.
        similarities : numpy.ndarray
            (k,) cosine similarities in [-1, 1].
        """
        q = normalise(np.asarray(query, np.float32)[None])[0]
        sims = self.features @ q
        order = np.argsort(-sims, kind="stable")[:k]
        return order, sims[order]
