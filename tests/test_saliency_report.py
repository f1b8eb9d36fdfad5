"""Saliency checks at scale: summaries, paired tests and the card's report on a tiny model."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from gemlib import saliency_report as sr
from gemlib.models import build_resnet


def test_paired_difference_and_wilcoxon_on_known_values():
    a = np.array([0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2])
    out = sr.paired(a, a - 0.1 * np.arange(1, 9))  # differences 0.1, 0.2, ..., 0.8
    assert out["mean"] == pytest.approx(0.45) and out["ci95"][0] > 0
    assert out["p_wilcoxon"] == pytest.approx(2 / 2**8, rel=1e-2)  # all 8 positive: exact two-sided p
    assert sr.paired(a, a)["p_wilcoxon"] == 1.0
    s = sr.summary(np.full(10, 0.25))
    assert s == {"mean": 0.25, "ci95": [0.25, 0.25]}


def test_pick_images_is_a_seeded_sorted_sample():
    a = sr.pick_images(100, 32, seed=3)
    assert len(a) == len(set(a)) == 32 and (np.diff(a) > 0).all()
    assert (a == sr.pick_images(100, 32, seed=3)).all() and sr.pick_images(5, 32).tolist() == [0, 1, 2, 3, 4]


def test_report_on_a_tiny_model_has_every_summary_and_the_gradient_floor_is_one():
    keras.utils.set_random_seed(0)
    model = build_resnet(3, image_size=16, widths=(4, 8), head_units=8)
    images = np.random.default_rng(0).uniform(0, 255, (4, 16, 16, 3)).astype(np.float32)
    report = sr.saliency_report(model, images, np.zeros(4, int), n_samples=4, randomisation_samples=4)
    assert report["n_images"] == 4 and 0 <= report["grid_energy"]["mean"] <= 1
    assert set(report["randomisation"]) == set(sr.METHODS)
    assert set(report["faithfulness"]) == set(sr.METHODS) | {"random"}
    # the plain gradient has no noise: its map under another seed is the same map
    assert report["randomisation"]["gradient"]["noise_floor"]["mean"] == pytest.approx(1.0)
    for m in sr.METHODS:
        r = report["randomisation"][m]
        assert -1 <= r["fully_randomised"]["mean"] <= 1 and "p_wilcoxon" in r["fully_randomised_minus_random_map"]
        lo, hi = report["faithfulness"][m]["insertion_auc"]["ci95"]
        assert 0 <= lo <= report["faithfulness"][m]["insertion_auc"]["mean"] <= hi <= 1
    table = sr.report_table(report)
    assert list(table.index) == list(sr.METHODS) + ["random"]
