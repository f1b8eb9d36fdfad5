"""Metrics on hand-made predictions whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from gemlib import evaluate as ev


def test_topk_and_bootstrap():
    logits = np.array([[3, 2, 1, 0], [0, 3, 2, 1], [0, 1, 2, 3], [3, 0, 1, 2]], float)
    labels = np.array([0, 2, 0, 1])
    assert ev.topk_correct(logits, labels, 1).tolist() == [True, False, False, False]
    assert ev.topk_correct(logits, labels, 2).tolist() == [True, True, False, False]
    m, lo, hi = ev.bootstrap_ci(np.r_[np.ones(70), np.zeros(30)], seed=0)
    assert m == 0.7 and lo < 0.7 < hi
    # binomial standard error sqrt(0.21/100) = 0.046: the 95 % interval is about +-0.09
    assert 0.07 < hi - m < 0.11 and 0.07 < m - lo < 0.11


def test_confusion_rows_sum_to_one_per_true_class():
    labels = np.array([0, 0, 0, 0, 1, 1])
    pred = np.array([0, 0, 0, 1, 1, 0])
    cm = ev.normalised_confusion(labels, pred, 3)
    np.testing.assert_allclose(cm[0], [0.75, 0.25, 0])
    np.testing.assert_allclose(cm[1], [0.5, 0.5, 0])
    np.testing.assert_allclose(cm[2], 0)  # a class never seen stays zero, no division by zero


def test_per_class_and_most_confused():
    labels = np.array([0, 0, 1, 1, 2, 2])
    pred = np.array([0, 1, 1, 1, 1, 2])
    table = ev.per_class_table(labels, pred, ["a", "b", "c"])
    row = table.set_index("class").loc["b"]
    assert row["precision"] == pytest.approx(0.5) and row["recall"] == 1.0
    pairs = ev.most_confused(labels, pred, ["a", "b", "c"])
    assert len(pairs) == 2 and set(pairs["predicted"]) == {"b"}
    assert pairs["share_of_true"].tolist() == [0.5, 0.5]


def test_most_confused_breaks_ties_alphabetically_and_keeps_all_with_top_none():
    labels = np.array([2, 2, 0, 1, 1])
    pred = np.array([0, 0, 1, 0, 2])  # c->a twice, then a->b, b->a, b->c once each
    pairs = ev.most_confused(labels, pred, ["a", "b", "c"], top=None)
    assert list(zip(pairs["true"], pairs["predicted"], pairs["count"])) == [
        ("c", "a", 2), ("a", "b", 1), ("b", "a", 1), ("b", "c", 1)]
    assert len(ev.most_confused(labels, pred, ["a", "b", "c"], top=2)) == 2


def test_calibration_of_a_perfectly_calibrated_toy():
    # 10 predictions at confidence 0.8 of which 8 are right: ECE 0
    probs = np.tile([0.8, 0.2], (10, 1))
    labels = np.array([0] * 8 + [1] * 2)
    ece, table = ev.calibration(probs, labels)
    assert ece == pytest.approx(0.0, abs=1e-9)
    assert table["count"].sum() == 10
    # all wrong at confidence 0.8: ECE 0.8
    assert ev.calibration(probs, np.ones(10, int))[0] == pytest.approx(0.8)


def test_softmax_rows():
    p = ev.softmax(np.array([[1000.0, 1000.0], [0.0, np.log(3.0)]]))
    np.testing.assert_allclose(p, [[0.5, 0.5], [0.25, 0.75]])


def _position_sensitive_model():
    """A model whose output depends on where the pixels are (no symmetry of its own)."""
    import keras

    inp = keras.Input((6, 6, 3))
    out = keras.layers.Dense(4)(keras.layers.Flatten()(inp))
    return keras.Model(inp, out)


def test_tta_views_are_the_group_elements():
    x = np.arange(2 * 3 * 3 * 1, dtype=np.float32).reshape(2, 3, 3, 1)
    views = {m: ev.tta_views(x, m) for m in ev.TTA_VIEWS}
    assert [len(views[m]) for m in ("none", "hflip", "flips", "dihedral")] == [1, 2, 4, 8]
    # the 8 symmetries of a square with distinct pixels are 8 different images
    assert len({v[0].tobytes() for v in views["dihedral"]}) == 8
    np.testing.assert_array_equal(views["flips"][3], x[:, ::-1, ::-1])
    with pytest.raises(ValueError, match="choose one of"):
        ev.tta_views(x, "rot45")
    with pytest.raises(ValueError, match="square"):
        ev.tta_views(np.zeros((1, 3, 4, 1)), "dihedral")


def test_averaging_over_a_group_makes_the_prediction_invariant_to_it():
    model = _position_sensitive_model()
    x = np.random.default_rng(0).uniform(0, 255, (3, 6, 6, 3)).astype(np.float32)
    turned, mirrored = np.rot90(x, 1, axes=(1, 2)), x[:, :, ::-1]
    plain = ev.predict_logits(model, x)
    assert np.abs(ev.predict_logits(model, turned) - plain).max() > 1e-2  # the model itself is not invariant
    d = ev.predict_logits(model, x, tta="dihedral")
    np.testing.assert_allclose(ev.predict_logits(model, turned, tta="dihedral"), d, atol=1e-4)
    np.testing.assert_allclose(ev.predict_logits(model, mirrored, tta="dihedral"), d, atol=1e-4)
    f = ev.predict_logits(model, x, tta=True)  # True is the four flips
    np.testing.assert_allclose(ev.predict_logits(model, mirrored, tta="flips"), f, atol=1e-4)
    assert np.abs(ev.predict_logits(model, turned, tta="flips") - f).max() > 1e-3  # flips alone are not rotations


def test_mcnemar_exact_on_a_case_worked_by_hand():
    # 10 images: both right on 3, both wrong on 1, A alone right on 1, B alone right on 5.
    a = np.array([1, 1, 1, 0, 1, 0, 0, 0, 0, 0], bool)
    b = np.array([1, 1, 1, 0, 0, 1, 1, 1, 1, 1], bool)
    r = ev.mcnemar(a, b)
    assert (r["a_only"], r["b_only"]) == (1, 5) and r["difference"] == pytest.approx(-0.4)
    # two-sided exact binomial: 2 * P(X <= 1), X ~ Bin(6, 1/2) = 2 * (1 + 6) / 64
    assert r["p_value"] == pytest.approx(14 / 64)
    assert ev.mcnemar(a, a)["p_value"] == 1.0  # no discordant image: no evidence either way
    with pytest.raises(ValueError, match="same images"):
        ev.mcnemar(a, b[:5])


def test_predict_logits_batch_by_batch_gives_the_whole_set_answer():
    model = _position_sensitive_model()
    x = np.random.default_rng(1).integers(0, 256, (7, 6, 6, 3)).astype(np.uint8)
    whole = np.asarray(model.predict(x.astype(np.float32), verbose=0))
    np.testing.assert_allclose(ev.predict_logits(model, x, batch_size=3), whole, rtol=1e-5, atol=1e-5)
    flips = ev.predict_logits(model, x, batch_size=2, tta="flips")
    np.testing.assert_allclose(flips, ev.predict_logits(model, x, batch_size=64, tta="flips"), rtol=1e-5, atol=1e-5)
    assert ev.predict_logits(model, x[:0]).shape == (0, 4)


def test_confused_block_puts_the_most_frequent_mistakes_side_by_side():
    from gemlib.evaluate import confused_block

    # class 3 taken for 1 three times, 0 for 2 twice, 4 for 1 once; class 5 never wrong
    labels = np.array([3, 3, 3, 0, 0, 4, 5, 1, 2])
    predicted = np.array([1, 1, 1, 2, 2, 1, 5, 1, 2])
    assert confused_block(labels, predicted, 6, size=15) == [3, 1, 0, 2, 4]
    assert confused_block(labels, predicted, 6, size=3) == [3, 1, 0]
    assert confused_block(labels, labels, 6) == []


def test_right_and_wrong_draws_each_kind_from_its_own_side():
    from gemlib.evaluate import right_and_wrong

    labels = np.arange(10)
    predicted = np.where(labels < 6, labels, 0)  # 0-5 right, 6-9 wrong
    pick = right_and_wrong(labels, predicted, 3, 2, seed=1)
    assert len(pick) == 5 and len(set(pick)) == 5
    assert all(p < 6 for p in pick[:3]) and all(p >= 6 for p in pick[3:])
