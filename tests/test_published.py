"""The published attempt's recipes, checked on models and predictions whose answers are known."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from gemlib import evaluate, published


def linear_model(weights: np.ndarray) -> keras.Model:
    """Logit k = sum over pixels of weights[..., k] * x: every gradient is a constant."""
    inp = keras.Input(weights.shape[:-1])
    flat = keras.layers.Flatten()(inp)
    dense = keras.layers.Dense(weights.shape[-1], use_bias=False)
    out = dense(flat)
    model = keras.Model(inp, out)
    dense.set_weights([weights.reshape(-1, weights.shape[-1])])
    return model


@pytest.fixture(scope="module")
def weights():
    return np.random.default_rng(0).normal(size=(4, 4, 3, 5)).astype(np.float32)


@pytest.fixture(scope="module")
def model(weights):
    return linear_model(weights)


def test_the_sum_of_logits_has_one_gradient_whatever_the_class(model, weights):
    x = np.random.default_rng(1).uniform(0, 255, (3, 4, 4, 3)).astype(np.float32)
    g = published.logit_sum_gradients(model, x, batch_size=2)
    np.testing.assert_allclose(g, np.broadcast_to(weights.sum(-1), x.shape), rtol=1e-5)
    # VarGrad of a constant gradient is zero: noise changes nothing
    assert np.abs(published.logit_sum_vargrad(model, x, n_samples=8, seed=0)).max() < 1e-8


def test_std_of_integrated_gradients_of_a_linear_logit_is_sigma_times_weight(model, weights):
    x = np.zeros((1, 4, 4, 3), np.float32)
    x[0, 0, 0, 0] = 100.0  # value range 100, so sigma = 0.1 * 100 = 10
    std = published.integrated_gradients_std(model, x, np.array([2]), n_samples=400, noise=0.1, steps=4, seed=0)
    # IG from 0 of w . x is w * x exactly; over x + eps its std is |w| * sigma
    np.testing.assert_allclose(std[0], np.abs(weights[..., 2]) * 10.0, rtol=0.2)


def test_compare_maps_of_identical_maps():
    maps = np.random.default_rng(2).random((2, 16, 16, 3)).astype(np.float32)
    table = published.compare_maps(maps, maps, names=["a", "b"])
    assert list(table.index) == ["a", "b"]
    np.testing.assert_allclose(table[["spearman", "ssim"]].to_numpy(), 1.0, atol=1e-6)
    np.testing.assert_allclose(table["grid_energy_right"], table["grid_energy_published"])
    # a map that is the photo's brightness correlates 1 with it; one that is its negative, -1
    photos = np.random.default_rng(3).uniform(1, 255, (2, 16, 16, 3))
    light = np.repeat(photos.sum(-1, keepdims=True), 3, axis=-1)
    table = published.compare_maps(light, 1000.0 - light, photos=photos)
    np.testing.assert_allclose(table["brightness_right"], 1.0)
    np.testing.assert_allclose(table["brightness_published"], -1.0)


def test_columns_sum_to_one_and_the_diagonal_turns_into_precision():
    labels = np.array([0, 0, 0, 0, 1, 1])
    pred = np.array([0, 0, 0, 1, 1, 1])
    by_col = published.column_normalised_confusion(labels, pred, 3)
    np.testing.assert_allclose(by_col[:, :2].sum(axis=0), 1.0)
    np.testing.assert_allclose(by_col[:, 2], 0.0)  # never predicted: no division by zero
    # class 0: 3 of its 4 photos found (recall 0.75), every class-0 prediction right (precision 1)
    assert by_col[0, 0] == 1.0 and by_col[1, 1] == pytest.approx(2 / 3)
    by_row = evaluate.normalised_confusion(labels, pred, 3)
    summary = published.normalisation_summary(by_row, by_col)
    assert summary.loc["rows sum to 1", "row_sum_min"] == summary.loc["rows sum to 1", "row_sum_max"] == 1.0
    assert summary.loc["rows sum to 1", "mean_diagonal"] == pytest.approx((0.75 + 1.0) / 2)
    assert summary.loc["columns sum to 1", "mean_diagonal"] == pytest.approx((1.0 + 2 / 3) / 2)
    assert summary.loc["columns sum to 1", "row_sum_max"] == pytest.approx(1 + 1 / 3)


def test_selection_table_marks_each_rules_pick():
    cards = {"a": {"val_accuracy": 0.8, "test_accuracy": 0.70},
             "b": {"val_accuracy": 0.7, "test_accuracy": 0.75},
             "c": {"val_accuracy": 0.6, "test_accuracy": 0.60}}
    table = published.selection_table(cards)
    assert table["chosen_on_validation"].tolist() == [True, False, False]
    assert table["chosen_on_test"].tolist() == [False, True, False]
    # a time limit takes the over-long candidate out of both rules' reach
    for c, seconds in zip(cards.values(), (4000, 3000, 100)):
        c["train_seconds"] = seconds
    table = published.selection_table(cards, max_seconds=3600)
    assert table["within_limit"].tolist() == [False, True, True]
    assert table["chosen_on_validation"].tolist() == [False, True, False]
    assert table["chosen_on_test"].tolist() == [False, True, False]


def test_best_of_k_optimism_matches_the_expected_maximum_of_normals():
    one = published.best_of_k_optimism(1, 363, 0.725)
    assert abs(one["optimism"]) < 0.002
    five = published.best_of_k_optimism(5, 363, 0.725)
    # binomial sd sqrt(0.725 * 0.275 / 363) = 0.0234; the mean maximum of 5 standard normals is 1.163
    assert five["optimism"] == pytest.approx(1.163 * np.sqrt(0.725 * 0.275 / 363), abs=0.003)
    assert five["share_best_above_true"] > 0.9


def test_best_of_k_with_shared_photos_spans_identical_to_independent_candidates():
    acc, n = 0.725, 363
    independent = published.best_of_k_optimism(5, n, acc)
    # at the largest possible disagreement the candidates are independent draws again
    widest = published.best_of_k_optimism(5, n, acc, disagreement=2 * acc * (1 - acc), draws=4000)
    assert widest["optimism"] == pytest.approx(independent["optimism"], abs=0.002)
    # candidates that never disagree are one model: no optimism at all
    assert published.best_of_k_optimism(5, n, acc, disagreement=0.0, draws=2000)["optimism"] == pytest.approx(0, abs=0.002)
    # in between, less optimism than independent draws
    shared = published.best_of_k_optimism(5, n, acc, disagreement=0.11, draws=4000)
    assert 0.2 * independent["optimism"] < shared["optimism"] < 0.8 * independent["optimism"]
    # the flip rate gives the disagreement asked for, and the mean is kept
    q = published._flip_rate(acc, 0.11)
    b = q * acc / (1 - acc)
    assert acc * 2 * q * (1 - q) + (1 - acc) * 2 * b * (1 - b) == pytest.approx(0.11)
    assert acc * (1 - q) + (1 - acc) * b == pytest.approx(acc)
    with pytest.raises(ValueError, match="outside"):
        published.best_of_k_optimism(5, n, acc, disagreement=0.5)


def test_peak_and_plateau_of_a_known_curve():
    import pandas as pd

    curve = pd.Series([0.1, 0.5, 0.9, 0.6, 0.7, 0.8])
    stats = published.peak_and_plateau(curve, last=3)
    assert stats["maximum"] == 0.9 and stats["epoch_of_maximum"] == 3
    assert stats["mean_of_last_3"] == pytest.approx(0.7)
    assert stats["std_of_last_3"] == pytest.approx(0.1)
