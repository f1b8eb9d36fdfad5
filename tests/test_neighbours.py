"""gemlib.neighbours: nearest photos by cosine similarity, on a case worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from gemlib.data import DataError
from gemlib.models import build_resnet
from gemlib.neighbours import Neighbours, feature_model, features_path, image_features, normalise


def test_nearest_is_cosine_similarity_worked_out_by_hand(tmp_path):
    # unit vectors at 0, 90 and 45 degrees; the query points at 30 degrees (length 5)
    feats = normalise(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    found = Neighbours(feats, ["train/A/a.jpg", "train/B/b.jpg", "train/C/c.jpg"], np.array([0, 1, 2]))
    query = 5 * np.array([np.cos(np.pi / 6), np.sin(np.pi / 6)])
    idx, sims = found.nearest(query, k=3)
    assert idx.tolist() == [2, 0, 1]  # 15, 30 and 60 degrees away
    assert sims == pytest.approx(np.cos(np.radians([15, 30, 60])), abs=1e-6)
    path = found.save(tmp_path / "m.features.npz")
    back = Neighbours.load(path)
    assert back.paths == found.paths and back.labels.tolist() == [0, 1, 2]
    assert back.features == pytest.approx(feats, abs=1e-3)  # stored as float16
    assert np.load(path)["features"].dtype == np.float16


def test_features_path_and_missing_file_message(tmp_path):
    assert features_path("models/gemstones.keras").as_posix() == "models/gemstones.features.npz"
    with pytest.raises(DataError, match="python -m gemlib features --model"):
        Neighbours.load(tmp_path / "x.features.npz")


def test_image_features_are_the_unit_length_gap_layer():
    model = build_resnet(3, image_size=32, widths=(4, 4, 8, 8), head_units=8)
    images = np.random.default_rng(0).integers(0, 256, (3, 32, 32, 3)).astype(np.uint8)
    f = image_features(model, images)
    assert f.shape == (3, 8)  # the last stage's 8 channels, pooled
    assert np.linalg.norm(f, axis=1) == pytest.approx(1.0, abs=1e-5)
    raw = np.asarray(feature_model(model)(images.astype(np.float32)))
    assert f == pytest.approx(raw / np.linalg.norm(raw, axis=1, keepdims=True), abs=1e-5)
    assert feature_model(model) is feature_model(model)  # made once per model
