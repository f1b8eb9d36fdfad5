"""The self-checks: each accepts the teacher's solution and names the usual slips, never the answer.

Every "reference" below is the teacher's solution cell run on a small input (the same lines as in
the notebook's Solutions); every wrong answer is a slip a student is likely to make.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from gemlib import selfcheck


def verdict(nb: str, n: int, answer, **objects) -> selfcheck.Verdict:
    return selfcheck.verdict(nb, n, answer, **objects)


def hides(message: str, *values) -> bool:
    """True if no value of ``values`` appears in ``message`` as the student would print it."""
    for value in values:
        for v in np.ravel(np.asarray(value, np.float64))[:5]:
            shown = {f"{v:.2f}", f"{v:.3f}", f"{v:.4f}", repr(float(v))}
            if float(v).is_integer() and abs(v) >= 10:
                shown.add(str(int(v)))
            if any(s in message for s in shown):
                return False
    return True


def assert_right(result: selfcheck.Verdict) -> None:
    assert result.right, result.message
    assert result.message.startswith("right")


def assert_hint(result: selfcheck.Verdict, words: str, *reference) -> None:
    assert not result.right, result.message
    assert words in result.message, result.message
    assert hides(result.message, *reference), result.message


def test_every_notebook_has_a_check_and_unknown_exercises_fail_loudly(capsys):
    assert {nb for nb, _ in selfcheck.CHECKS} == {f"{i:02d}" for i in range(1, 9)}
    with pytest.raises(KeyError, match="no self-check for exercise 9 of notebook 05"):
        selfcheck.verdict(5, 9, 1.0)
    for (nb, n), found in selfcheck.CHECKS.items():  # nothing assigned yet: what to put, nothing else
        result = selfcheck.verdict(nb, n, None)
        assert not result.right and result.message == f"no answer yet: {found.expects}", (nb, n)
    selfcheck.check(4, 4, None)
    assert capsys.readouterr().out.startswith("Exercise 4 of notebook 04: no answer yet")


# --- 01: Ruby's circular mean hue ---------------------------------------------------------------


@pytest.fixture(scope="module")
def gems01():
    """Two classes; Ruby's pixels straddle 0° (so the arithmetic mean is far off), with white and
    pale pixels of random hue (so weighting and dropping white matter)."""
    from skimage.color import hsv2rgb

    rng = np.random.default_rng(0)
    n = 2 * 16 * 16
    hue = np.where(rng.random(n) < 0.6, rng.uniform(330, 360, n), rng.uniform(0, 25, n)) / 360
    sat = rng.uniform(0.3, 1.0, n)
    pale = rng.random(n) < 0.25
    hue[pale], sat[pale] = rng.random(pale.sum()), 0.1
    val = np.full(n, 0.7)
    white = rng.random(n) < 0.15
    val[white], sat[white], hue[white] = 0.97, 0.06, rng.random(white.sum())  # tinted white
    ruby = np.uint8(np.round(hsv2rgb(np.stack([hue, sat, val], -1)[None])[0] * 255)).reshape(2, 16, 16, 3)
    garnet = rng.integers(0, 256, (1, 16, 16, 3), dtype=np.uint8)
    train = SimpleNamespace(images=np.concatenate([garnet, ruby]), labels=np.array([0, 1, 1]))
    return SimpleNamespace(classes=["Garnet Red", "Ruby"], train=train)


def test_01_circular_mean_hue(gems01):
    from scipy.stats import circmean
    from skimage.color import rgb2hsv

    gems = gems01
    # the teacher's solution
    ruby = gems.train.images[gems.train.labels == gems.classes.index("Ruby")].reshape(-1, 3)
    hsv = rgb2hsv(ruby[None])[0]
    hsv = hsv[~((hsv[:, 2] > 0.92) & (hsv[:, 1] < 0.08))]
    angle, weight = np.radians(hsv[:, 0] * 360), hsv[:, 1]
    sums = (weight * np.sin(angle)).sum(), (weight * np.cos(angle)).sum()
    weighted = np.degrees(np.arctan2(*sums)) % 360
    assert_right(verdict("01", 4, weighted, gems=gems))
    assert_right(verdict("01", 4, weighted - 360, gems=gems))  # the same angle
    unweighted = circmean(hsv[:, 0] * 360, high=360)
    assert_hint(verdict("01", 4, unweighted, gems=gems), "unweighted circular mean", weighted)
    arithmetic = np.average(hsv[:, 0] * 360, weights=weight)
    assert_hint(verdict("01", 4, arithmetic, gems=gems), "arithmetic mean", weighted)
    assert_hint(verdict("01", 4, np.radians(weighted), gems=gems), "radians", weighted)
    assert_hint(verdict("01", 4, weighted / 360, gems=gems), "fraction of a turn", weighted)
    everything = rgb2hsv(ruby[None])[0]
    a, w = np.radians(everything[:, 0] * 360), everything[:, 1]
    with_white = np.degrees(np.arctan2((w * np.sin(a)).sum(), (w * np.cos(a)).sum())) % 360
    assert abs(with_white - weighted) > 1e-3  # the fixture makes this slip visible
    assert_hint(verdict("01", 4, with_white, gems=gems), "near-white", weighted)
    assert_hint(verdict("01", 4, weighted + 3, gems=gems), "not Ruby's", weighted)
    assert_hint(verdict("01", 4, [weighted, unweighted], gems=gems), "one number", weighted)
    # the student edition's fill-in cell starts ``answer = None``: a check run first says so
    assert_hint(verdict("01", 4, None, gems=gems), "no answer yet", weighted)


# --- 02: per-copy mean colour -------------------------------------------------------------------


@pytest.fixture(scope="module")
def copies02():
    rng = np.random.default_rng(0)
    stone = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    shift = rng.integers(-40, 40, (32, 1, 1, 3))
    views = np.uint8(np.clip(stone.astype(int) + shift + rng.integers(-5, 5, (32, 16, 16, 3)), 0, 255))
    return stone, views


def test_02_per_copy_mean_colour(copies02):
    stone, views = copies02
    # the teacher's solution (one recipe)
    before = stone.reshape(-1, 3).mean(0)
    per_copy = views.reshape(32, -1, 3).mean(axis=1)
    far = np.linalg.norm(per_copy - before, axis=1)
    ok = {"copies": views, "original": stone}
    assert_right(verdict("02", 4, far, **ok))
    assert_right(verdict("02", 4, far.max(), **ok))
    assert_hint(verdict("02", 4, np.median(far), **ok), "the median", far.max())
    assert_hint(verdict("02", 4, far**2, **ok), "squared", far)
    assert_hint(verdict("02", 4, per_copy - before, **ok), "three numbers per copy", far)
    assert_hint(verdict("02", 4, per_copy, **ok), "mean colours", far)
    overall_colour = views.reshape(32, -1, 3).mean(axis=(0, 1))
    assert_hint(verdict("02", 4, overall_colour, **ok), "averaged over the copies", far)
    overall = np.linalg.norm(views.reshape(-1, 3).mean(0) - before)
    assert_hint(verdict("02", 4, overall, **ok), "mean over all copies", far.max())
    assert_hint(verdict("02", 4, np.linalg.norm(views.reshape(32, -1, 3) - before, axis=2).max(1), **ok),
                "not the distances", far)
    assert_hint(verdict("02", 4, far[:16], **ok), "shape (16,)", far)


# --- 03: bootstrap interval of top-5 ------------------------------------------------------------


@pytest.fixture(scope="module")
def logits03():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 87, 363)
    logits = rng.normal(size=(363, 87))
    logits[np.arange(363), labels] += rng.normal(2.5, 1.5, 363)  # right often, not always
    return logits, labels


def test_03_bootstrap_interval(logits03):
    from gemlib import evaluate

    logits, labels = logits03
    # the teacher's solution
    correct5 = evaluate.topk_correct(logits, labels, k=5)
    draws5 = np.random.default_rng(0).integers(0, len(correct5), size=(2000, len(correct5)))
    resampled5 = correct5[draws5].mean(axis=1)
    interval = np.percentile(resampled5, [2.5, 97.5])
    ok = {"logits": logits, "labels": labels}
    assert_right(verdict("03", 4, interval, **ok))
    assert_right(verdict("03", 4, [correct5.mean(), *interval], **ok))
    correct1 = evaluate.topk_correct(logits, labels, k=1)
    top1 = np.percentile(correct1[draws5].mean(axis=1), [2.5, 97.5])
    assert_hint(verdict("03", 4, top1, **ok), "top-1 interval", interval)
    assert_hint(verdict("03", 4, [correct1.mean(), *interval], **ok), "top-1 accuracy", interval)
    assert_hint(verdict("03", 4, np.percentile(resampled5, [5, 95]), **ok), "90 %", interval)
    assert_hint(verdict("03", 4, 100 * interval, **ok), "not percent", interval)
    assert_hint(verdict("03", 4, interval[::-1], **ok), "low end", interval)
    other = np.random.default_rng(1).integers(0, len(correct5), size=(2000, len(correct5)))
    seed1 = np.percentile(correct5[other].mean(axis=1), [2.5, 97.5])
    assert np.abs(seed1 - interval).max() > 5e-4  # another seed really moves it
    assert_hint(verdict("03", 4, seed1, **ok), "same seed", interval)
    p = correct5.mean()
    normal = p + np.array([-1.96, 1.96]) * np.sqrt(p * (1 - p) / len(correct5))
    assert_hint(verdict("03", 4, normal, **ok), "normal approximation", interval)


# --- 04: greyscale by hand ----------------------------------------------------------------------


def test_04_greyscale():
    from gemlib import colour

    images = np.random.default_rng(0).integers(0, 256, (6, 12, 12, 3), dtype=np.uint8)
    # the teacher's solution
    x = images.astype(np.float32)
    grey_ours = np.clip(x[..., 0] * 0.299 + x[..., 1] * 0.587 + x[..., 2] * 0.114 + 0.5, 0, 255)
    grey_ours = grey_ours.astype(np.uint8)
    ok = {"images": images}
    assert_right(verdict("04", 4, grey_ours, **ok))
    assert_right(verdict("04", 4, colour.to_greyscale(images), **ok))  # three equal channels
    w = np.array([0.299, 0.587, 0.114])
    exact = images.astype(np.float64) @ w
    assert_hint(verdict("04", 4, exact, **ok), "round to whole numbers", grey_ours)
    assert_hint(verdict("04", 4, np.floor(exact), **ok), "add 0.5", grey_ours)
    assert_hint(verdict("04", 4, np.round(images.mean(-1)), **ok), "plain mean", grey_ours)
    assert_hint(verdict("04", 4, np.floor(images @ w[::-1] + 0.5), **ok), "wrong order", grey_ours)
    assert_hint(verdict("04", 4, images * w, **ok), "did not add them up", grey_ours)
    assert_hint(verdict("04", 4, grey_ours[0], **ok), "shape (12, 12)", grey_ours)
    assert_hint(verdict("04", 4, grey_ours / 255, **ok), "0-255", grey_ours)


# --- 05 and 06: a small network -----------------------------------------------------------------


@pytest.fixture(scope="module")
def net():
    from gemlib.models import build_resnet

    model = build_resnet(3, image_size=32, widths=(4, 4, 8, 8), head_units=8, dropout=0.0)
    images = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3)).astype(np.uint8)
    return model, images


def test_05_vargrad_by_hand(net):
    import tensorflow as tf

    model, images = net
    c = 1

    def by_hand(seed=0, n=10, scale=True):
        rng = np.random.default_rng(seed)
        sigma = 0.15 * (float(images[0].max()) - float(images[0].min())) if scale else 1.0
        noise10 = rng.normal(0.0, 1.0, size=(n, *images[0].shape)).astype(np.float32) * sigma
        noisy10 = tf.constant(images[0].astype(np.float32) + noise10)
        with tf.GradientTape() as tape:
            tape.watch(noisy10)
            total = tf.reduce_sum(model(noisy10, training=False)[:, c])
        return tape.gradient(total, noisy10).numpy()

    grads = by_hand()
    mine = grads.var(axis=0)  # the teacher's solution
    ok = {"model": model, "image": images[0], "target": c}
    assert_right(verdict("05", 1, mine, **ok))
    assert_hint(verdict("05", 1, grads.std(axis=0), **ok), "standard deviation", mine)
    assert_hint(verdict("05", 1, grads.var(axis=0, ddof=1), **ok), "n - 1", mine)
    assert_hint(verdict("05", 1, grads.mean(axis=0), **ok), "negative", mine)
    assert_hint(verdict("05", 1, mine.sum(-1), **ok), "keep the three channels", mine)
    assert_hint(verdict("05", 1, grads, **ok), "variance over the copies", mine)
    assert_hint(verdict("05", 1, mine[None], **ok), "leading axis", mine)
    assert_hint(verdict("05", 1, by_hand(seed=1).var(axis=0), **ok), "not", mine)
    assert_hint(verdict("05", 1, 4 * mine, **ok), "scaled by a constant", mine)


def test_06_one_step_of_randomisation(net):
    import keras
    from scipy.stats import spearmanr

    from gemlib import explain, sanity

    model, images = net
    predicted = np.array([0, 2])

    def step(seed=0, signed=False, randomise=True):
        clone = keras.models.clone_model(model)
        clone.set_weights(model.get_weights())
        if randomise:
            sanity.randomise_layer(clone.get_layer("logits"), np.random.default_rng(seed))
        trained = explain.gradient(model, images[:2], predicted[:2])
        spoiled = explain.gradient(clone, images[:2], predicted[:2])
        f = (lambda m: m.sum(-1).ravel()) if signed else (lambda m: np.abs(m).sum(-1).ravel())
        return [spearmanr(f(a), f(b)).statistic for a, b in zip(trained, spoiled)]

    ours = step()  # the teacher's solution
    ok = {"model": model, "images": images[:2], "targets": predicted[:2]}
    assert_right(verdict("06", 3, ours, **ok))
    signed = step(signed=True)
    assert np.abs(np.subtract(signed, ours)).max() > 1e-3
    assert_hint(verdict("06", 3, signed, **ok), "signed", ours)
    assert_hint(verdict("06", 3, step(randomise=False), **ok), "correlation of 1", ours)
    assert_hint(verdict("06", 3, ours[:1], **ok), "2 photos", ours)
    assert not verdict("06", 3, step(seed=5), **ok).right
    assert hides(verdict("06", 3, step(seed=5), **ok).message, ours)


# --- 07: McNemar counts -------------------------------------------------------------------------


def test_07_mcnemar_counts():
    from scipy.stats import binomtest

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 5, 300)
    logits = {name: rng.normal(size=(300, 5)) + 2.0 * np.eye(5)[labels] * rng.random((300, 1)) * k
              for name, k in (("scratch", 2.0), ("transfer", 1.4))}
    # the teacher's solution
    ok_ = {name: lg.argmax(axis=1) == labels for name, lg in logits.items()}
    only_scratch = int((ok_["scratch"] & ~ok_["transfer"]).sum())
    only_transfer = int((~ok_["scratch"] & ok_["transfer"]).sum())
    p = binomtest(only_scratch, only_scratch + only_transfer, 0.5).pvalue
    assert only_scratch != only_transfer
    ok = {"logits": logits, "labels": labels}
    assert_right(verdict("07", 3, (only_scratch, only_transfer), **ok))
    assert_right(verdict("07", 3, (only_scratch, only_transfer, p), **ok))
    assert_hint(verdict("07", 3, (only_transfer, only_scratch), **ok), "swapped", p, only_scratch)
    both = int((ok_["scratch"] & ok_["transfer"]).sum())
    assert_hint(verdict("07", 3, (both, only_transfer), **ok), "both models get right", p,
                only_scratch)
    all_scratch = int(ok_["scratch"].sum())
    assert_hint(verdict("07", 3, (all_scratch, only_transfer), **ok), "included", p)
    n = only_scratch + only_transfer
    one_sided = binomtest(only_scratch, n, 0.5, alternative="greater").pvalue
    assert_hint(verdict("07", 3, (only_scratch, only_transfer, one_sided), **ok), "one-sided", p)
    chi = __import__("scipy.stats", fromlist=["chi2"]).chi2.sf((only_scratch - only_transfer) ** 2 / n, 1)
    assert_hint(verdict("07", 3, (only_scratch, only_transfer, chi), **ok), "chi-square", p)


# --- 08: the confusion matrix by hand -----------------------------------------------------------


def test_08_confusion_both_ways():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(5), 8)
    pred = np.where(rng.random(40) < 0.6, labels, rng.integers(0, 4, 40))  # class 4 never predicted
    pred[pred == 4] = 3
    # the teacher's solution
    counts = np.zeros((5, 5))
    np.add.at(counts, (labels, pred), 1)
    row_sums = counts.sum(axis=1, keepdims=True)
    col_sums = counts.sum(axis=0, keepdims=True)
    ours_rows = np.divide(counts, row_sums, out=np.zeros_like(counts), where=row_sums > 0)
    ours_cols = np.divide(counts, col_sums, out=np.zeros_like(counts), where=col_sums > 0)
    assert (col_sums == 0).sum() == 1
    ok = {"labels": labels, "pred": pred, "n_classes": 5}
    assert_right(verdict("08", 6, (ours_rows, ours_cols), **ok))
    assert_hint(verdict("08", 6, (ours_cols, ours_rows), **ok), "divided the other way", ours_rows)
    assert_hint(verdict("08", 6, (ours_rows.T, ours_cols), **ok), "first matrix is transposed", ours_rows)
    assert_hint(verdict("08", 6, (ours_rows, ours_cols.T), **ok), "second matrix is transposed", ours_cols)
    with np.errstate(invalid="ignore", divide="ignore"):
        assert_hint(verdict("08", 6, (ours_rows, counts / col_sums), **ok), "NaN", ours_cols)
    assert_hint(verdict("08", 6, (counts, ours_cols), **ok), "holds counts", ours_rows)
    assert_hint(verdict("08", 6, (ours_rows[:4], ours_cols), **ok), "shape (4, 5)", ours_rows)
    assert_hint(verdict("08", 6, ours_rows, **ok), "two matrices", ours_rows)
