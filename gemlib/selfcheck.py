"""Self-checks for the exercises of the student edition: right, or what to look at.

Each check takes the student's ``answer`` and the lesson's objects it needs (passed by name),
computes the reference itself with the library, and returns a :class:`Verdict`. A verdict says
"right" or points at the likely slip (a shape, an axis, a constant factor, a seed); it never
contains the reference value. :func:`check` prints the verdict; ``tools/student_edition.py``
writes one call of it under each checked exercise.

The gemlib modules a check needs are imported inside it, so importing this module (the registry)
does not start TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: ``right`` and a short message for the student."""

    right: bool
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Check:
    """One checked exercise: its function and what the student edition writes under it.

    ``expects`` tells the student what to put in ``answer``; ``arguments`` are the lesson's objects
    the call passes (Python source); ``topic`` is a phrase the exercise's text must contain, so a
    renumbered exercise list is noticed instead of checked against the wrong exercise.
    """

    notebook: str
    exercise: int
    func: Callable[..., Verdict]
    expects: str
    arguments: str
    topic: str

    def call(self) -> str:
        """The line of Python that runs this check in the student edition."""
        extra = f", {self.arguments}" if self.arguments else ""
        return f'selfcheck.check("{self.notebook}", {self.exercise}, answer{extra})'


CHECKS: dict[tuple[str, int], Check] = {}


def _key(notebook: str | int) -> str:
    return f"{int(notebook):02d}"


def _register(notebook: str, exercise: int, expects: str, arguments: str, topic: str):
    def add(func: Callable[..., Verdict]) -> Callable[..., Verdict]:
        CHECKS[(notebook, exercise)] = Check(notebook, exercise, func, expects, arguments, topic)
        return func

    return add


def verdict(notebook: str | int, exercise: int, answer: Any, **objects: Any) -> Verdict:
    """Check ``answer`` to exercise ``exercise`` of notebook ``notebook`` ("05" or 5).

    Raises
    ------
    KeyError
        When that exercise has no self-check (the message lists those that do).
    """
    key = (_key(notebook), int(exercise))
    if key not in CHECKS:
        known = ", ".join(f"{n}.{e}" for n, e in sorted(CHECKS))
        raise KeyError(f"no self-check for exercise {key[1]} of notebook {key[0]}; checked: {known}")
    if answer is None:
        return Verdict(False, f"no answer yet: {CHECKS[key].expects}")
    return CHECKS[key].func(answer, **objects)


def check(notebook: str | int, exercise: int, answer: Any, **objects: Any) -> None:
    """Print the verdict on ``answer`` (see :func:`verdict`)."""
    result = verdict(notebook, exercise, answer, **objects)
    print(f"Exercise {int(exercise)} of notebook {_key(notebook)}: {result.message}")


# ---------------------------------------------------------------------------------------------
# small helpers


def _right(note: str = "") -> Verdict:
    return Verdict(True, "right." + (f" {note}" if note else ""))


def _not_yet(hint: str) -> Verdict:
    return Verdict(False, f"not yet: {hint}")


def _number(answer: Any) -> float | None:
    """One number out of a float, a NumPy scalar or a one-element array; else None."""
    try:
        value = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return float(value.reshape(-1)[0]) if value.size == 1 else None


def _array(answer: Any) -> np.ndarray | None:
    try:
        return np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _close(a: np.ndarray, b: np.ndarray, rtol: float = 1e-4, atol: float = 0.0) -> bool:
    """Same shape and equal up to ``rtol`` of b's largest magnitude (plus ``atol``)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape or not np.isfinite(a).all():
        return False
    scale = float(np.abs(b).max()) if b.size else 0.0
    return bool(np.abs(a - b).max() <= rtol * scale + atol) if a.size else True


def _angle_gap(a: float, b: float) -> float:
    """Smallest difference between two angles in degrees, 0-180."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


# ---------------------------------------------------------------------------------------------
# 01 data exploration


@_register("01", 4, "put Ruby's circular mean hue weighted by saturation, in degrees, in `answer`",
           "gems=gems", "circular mean hue")
def ruby_hue(answer: Any, gems: Any) -> Verdict:
    """Ruby's saturation-weighted circular mean hue (degrees) over its training pixels."""
    from skimage.color import rgb2hsv

    from gemlib import colour

    value = _number(answer)
    if value is None:
        return _not_yet("`answer` should be one number, the hue in degrees (a float)")
    ruby = gems.train.images[gems.train.labels == gems.classes.index("Ruby")]
    reference = float(colour.class_colour_stats(ruby, np.zeros(len(ruby), int), ["Ruby"])["hue"][0])
    tol = 1e-3  # degrees: float32 arithmetic moves the answer far less
    if _angle_gap(value, reference) < tol:
        note = "" if 0 <= value < 360 else "(As an angle; `% 360` writes it between 0 and 360.)"
        return _right(note)

    hsv = rgb2hsv(ruby.reshape(1, -1, 3))[0]
    keep = ~((hsv[:, 2] > 0.92) & (hsv[:, 1] < 0.08))

    def circular(h: np.ndarray, w: np.ndarray) -> float:
        a = h * 2 * np.pi
        return float(np.degrees(np.arctan2((w * np.sin(a)).sum(), (w * np.cos(a)).sum())) % 360)

    h, s = hsv[keep, 0], hsv[keep, 1]
    slips = [
        (circular(h, np.ones_like(h)), "that is the unweighted circular mean: weight each pixel's "
         "arrow (its sine and cosine) by its saturation"),
        (float(np.average(h * 360, weights=s)), "that is an arithmetic mean of the hues: a hue is an "
         "angle, so add arrows (the weighted sines and cosines) and take `np.arctan2` of the sums"),
        (float((h * 360).mean()), "that is an unweighted arithmetic mean: hue is an angle (add arrows, "
         "weighted by saturation)"),
        (circular(hsv[:, 0], hsv[:, 1]), "the near-white pixels are still in: drop those with value "
         "> 0.92 and saturation < 0.08 first, as the lesson does"),
    ]
    for wrong, hint in slips:
        if _angle_gap(value, wrong) < tol:
            return _not_yet(hint)
    if abs(value - np.radians(reference)) < 1e-3 or _angle_gap(np.degrees(value), reference) < tol:
        return _not_yet("your number looks like radians: convert it with `np.degrees`")
    if abs(value - reference / 360) < 1e-4:
        return _not_yet("your number is a fraction of a turn (rgb2hsv's hue is 0-1): give degrees")
    return _not_yet("not Ruby's weighted circular mean hue: take Ruby's training pixels "
                    "(`gems.train.labels == gems.classes.index('Ruby')`), drop the near-white ones, "
                    "turn the hue (0-1) into radians, weight sines and cosines by saturation")


# ---------------------------------------------------------------------------------------------
# 02 augmentation


@_register("02", 4, "put the copies' distances from the original's mean colour in `answer` "
           "(an array, one per copy; or only the largest)", "copies=views, original=stone",
           "mean colour")
def copy_colour_distances(answer: Any, copies: np.ndarray, original: np.ndarray) -> Verdict:
    """Distance (RGB) of each copy's mean colour from the original's mean colour, or its maximum."""
    a = _array(answer)
    if a is None:
        return _not_yet("`answer` should be a NumPy array of distances, one per copy (or one number)")
    copies = np.asarray(copies, np.float64)
    n = len(copies)
    per_copy = copies.reshape(n, -1, 3).mean(axis=1)
    before = np.asarray(original, np.float64).reshape(-1, 3).mean(axis=0)
    reference = np.linalg.norm(per_copy - before, axis=1)

    def near(x: np.ndarray, ref: np.ndarray) -> bool:
        return _close(x, ref, rtol=1e-4, atol=1e-6)

    if a.size == 1:
        value = np.asarray(float(a.reshape(-1)[0]))
        if near(value, np.asarray(reference.max())):
            return _right()
        named = {"the smallest": reference.min(), "the median": np.median(reference),
                 "the mean": reference.mean()}
        for name, wrong in named.items():
            if near(value, np.asarray(wrong)):
                return _not_yet(f"that is {name} distance: the exercise asks for the largest")
        if near(value, np.asarray(np.linalg.norm(copies.reshape(-1, 3).mean(0) - before))):
            return _not_yet("that is the distance of the mean over all copies: take one mean per "
                            "copy (reshape to (n, -1, 3), average over axis 1)")
        if near(value, np.asarray(reference.max() ** 2)):
            return _not_yet("your number looks squared: take the square root (`np.linalg.norm`)")
        return _not_yet("not the largest distance: average each copy over its pixels, subtract the "
                        "original's mean colour, and take the length of each difference")
    if a.shape == (n, 3):
        if near(a, per_copy):
            return _not_yet("those are the copies' mean colours: now their distance from the "
                            "original's mean colour (`np.linalg.norm(..., axis=1)`)")
        return _not_yet("you have three numbers per copy: one distance per copy is the length of "
                        "the colour difference (`np.linalg.norm(..., axis=1)`)")
    if a.shape == (3,):
        return _not_yet("you averaged over the copies too: keep one mean colour per copy "
                        "(average over the pixels only, axis 1 of the (n, -1, 3) reshape)")
    if a.shape != reference.shape:
        return _not_yet(f"your array has shape {a.shape} but there are {n} copies: one distance "
                        f"per copy, shape ({n},)")
    if near(a, reference):
        return _right()
    if near(a, reference**2):
        return _not_yet("your distances look squared: take the square root (`np.linalg.norm`)")
    if near(np.sort(a), np.sort(reference)):
        return _right("(Sorted: the copies' order was lost, but the values are the right ones.)")
    return _not_yet("not the distances: average each copy over its pixels (axis 1 of "
                    "`copies.reshape(n, -1, 3)`), subtract the original's mean colour, take lengths")


# ---------------------------------------------------------------------------------------------
# 03 training


@_register("03", 4, "put the top-5 interval `(low, high)`, as shares (0-1), in `answer` "
           "(`(accuracy, low, high)` works too)", "logits=logits, labels=test.test.labels",
           "bootstrap interval")
def top5_interval(answer: Any, logits: np.ndarray, labels: np.ndarray) -> Verdict:
    """Percentile bootstrap 95 % interval of the top-5 accuracy (2000 draws, seed 0)."""
    from gemlib import evaluate

    a = _array(answer)
    if a is None or a.ndim != 1 or len(a) not in (2, 3):
        return _not_yet("`answer` should be two numbers, `(low, high)`, or three, "
                        "`(accuracy, low, high)`")
    if (a > 1).any():
        return _not_yet("give shares between 0 and 1, not percent")
    correct5 = evaluate.topk_correct(logits, labels, k=5)
    correct1 = evaluate.topk_correct(logits, labels, k=1)
    top5 = np.array(evaluate.bootstrap_ci(correct5))
    top1 = np.array(evaluate.bootstrap_ci(correct1))
    tol = 5e-4
    if len(a) == 3:
        if abs(a[0] - top5[0]) > 1e-9:
            if abs(a[0] - top1[0]) < 1e-9:
                return _not_yet("your accuracy is the top-1 accuracy: use `k=5`")
            return _not_yet("your first number is not the top-5 accuracy: the share of photos whose "
                            "true class is among the five highest logits")
        a = a[1:]
    low, high = a
    if low > high:
        return _not_yet("your low end is above your high end: `(low, high)`")
    if np.abs(a - top5[1:]).max() <= tol:
        return _right()
    if np.abs(a - top1[1:]).max() <= tol:
        return _not_yet("that is the top-1 interval: use `evaluate.topk_correct(..., k=5)`")
    if np.abs(a - np.array(evaluate.bootstrap_ci(correct5, level=0.90)[1:])).max() <= tol:
        return _not_yet("that is a 90 % interval: take the 2.5th and 97.5th percentiles")
    p, n = correct5.mean(), len(correct5)
    normal = [p + np.array([-z, z]) * np.sqrt(p * (1 - p) / n) for z in (1.96, 1.959963984540054)]
    if min(np.abs(a - x).max() for x in normal) <= 1e-4:
        return _not_yet("that is the normal approximation: the exercise asks for the bootstrap "
                        "(resample the photos with replacement, take percentiles of the means)")
    if np.abs(a - top5[1:]).max() <= 0.01:
        return _not_yet("close, but not equal: did you use the same seed and draws? "
                        "`np.random.default_rng(0)`, 2000 resamples of all the test photos")
    return _not_yet("not the top-5 interval: resample the 0/1 top-5 results with replacement "
                    "2000 times, average each resample, take the 2.5th and 97.5th percentiles")


# ---------------------------------------------------------------------------------------------
# 04 evaluation


@_register("04", 4, "put your grey photos (one whole number per pixel, 0-255) in `answer`",
           "images=gems.test.images", "luminance weights")
def greyscale(answer: Any, images: np.ndarray) -> Verdict:
    """Luminance 0.299 R + 0.587 G + 0.114 B of every pixel, rounded to whole numbers."""
    from gemlib import colour

    a = _array(answer)
    if a is None:
        return _not_yet("`answer` should be a NumPy array of grey values")
    images = np.asarray(images)
    reference = colour.to_greyscale(images)[..., 0].astype(np.float64)
    x = images.astype(np.float64)
    if a.shape == images.shape:
        if (a == a[..., :1]).all():
            a = a[..., 0]
        elif _close(a, x * np.array([0.299, 0.587, 0.114]), rtol=1e-3):
            return _not_yet("you weighted the three channels but did not add them up: "
                            "sum over the last axis (or use `@` with the weights)")
        else:
            return _not_yet("your three channels differ: a grey photo has one value per pixel")
    if a.shape != reference.shape:
        return _not_yet(f"your array has shape {a.shape} but the photos are {images.shape}: one grey "
                        f"value per pixel of every photo, shape {reference.shape}")
    if not np.isfinite(a).all():
        return _not_yet("your array has NaN or infinite values")
    if a.max() <= 1.0 < reference.max():
        return _not_yet("your values are 0-1: keep the photos' scale, 0-255")
    if np.array_equal(a, reference):
        return _right()
    if (a != np.round(a)).any():
        return _not_yet("round to whole numbers (add 0.5 and cut the decimals, or `np.round`)")
    diff = a - reference
    if np.abs(diff).max() <= 1 and (diff != 0).mean() < 1e-3:
        return _right("(A few pixels differ by one where the sum ends in exactly .5: `np.round` "
                      "rounds halves to even, the library rounds them up.)")
    if np.abs(diff).max() <= 1 and (diff <= 0).all():
        return _not_yet("off by one on many pixels: cutting the decimals rounds down; "
                        "add 0.5 first (or use `np.round`)")
    equal = np.floor(x.mean(axis=-1) + 0.5)
    if np.abs(a - equal).max() <= 1:
        return _not_yet("that is the plain mean of the channels: weigh them 0.299, 0.587, 0.114")
    backwards = np.floor(x @ np.array([0.114, 0.587, 0.299]) + 0.5)
    if np.abs(a - backwards).max() <= 1:
        return _not_yet("the weights are in the wrong order: 0.299 goes with red, channel 0")
    return _not_yet("not the luminance: 0.299 × red + 0.587 × green + 0.114 × blue, per pixel, "
                    "rounded to a whole number")


# ---------------------------------------------------------------------------------------------
# 05 saliency maps


@_register("05", 1, "put your VarGrad map (one photo, the shape of `images[0]`) in `answer`",
           "model=model, image=images[0], target=c", "VarGrad with 10 noisy copies")
def vargrad_by_hand(answer: Any, model: Any, image: np.ndarray, target: int) -> Verdict:
    """VarGrad of ``target`` on one photo: 10 copies, noise 0.15 of its range, seed 0."""
    from scipy.stats import spearmanr

    from gemlib import explain

    a = _array(answer)
    if a is None:
        return _not_yet("`answer` should be a NumPy array (`.numpy()` turns a tensor into one)")
    image = np.asarray(image)
    if a.shape != image.shape:
        if a.shape == (1, *image.shape):
            return _not_yet(f"your array has shape {a.shape} but the photo is {image.shape}: "
                            "drop the leading axis (`[0]`)")
        if a.shape == (10, *image.shape):
            return _not_yet(f"your array has shape {a.shape}: one map per copy; take the variance "
                            "over the copies (`axis=0`)")
        if a.shape == image.shape[:-1]:
            return _not_yet(f"your array has shape {a.shape} but the photo is {image.shape}: keep "
                            "the three channels (the variance is over the copies only, `axis=0`)")
        return _not_yet(f"your array has shape {a.shape} but the photo is {image.shape}: "
                        "one variance per pixel and channel")
    reference = explain.vargrad(model, image[None], [int(target)], n_samples=10, seed=0)[0]
    reference = reference.astype(np.float64)
    if _close(a, reference, rtol=1e-3):
        return _right()
    if (a < -1e-12 * max(np.abs(a).max(), 1e-30)).any():
        return _not_yet("your map has negative values, and a variance never has: is it the mean "
                        "of the gradients (SmoothGrad) or a single gradient?")
    if _close(a**2, reference, rtol=1e-3):
        return _not_yet("that is the standard deviation: take the variance (`.var(axis=0)`)")
    if _close(a, reference * 10 / 9, rtol=1e-3):
        return _not_yet("off by the factor n/(n - 1): the library divides by n (`ddof=0`, "
                        "NumPy's default), not by n - 1")
    scale = float((a * reference).sum() / max((reference**2).sum(), 1e-300))
    if scale > 0 and _close(a / scale, reference, rtol=1e-3):
        return _not_yet("the right pattern, scaled by a constant: is sigma 15 % of the photo's "
                        "range (`0.15 * (image.max() - image.min())`)?")
    rho = spearmanr(a.ravel(), reference.ravel()).statistic
    if rho > 0.8:
        return _not_yet("close, but not equal: did you use the same seed? Noise from "
                        "`np.random.default_rng(0)`, `rng.normal(0.0, 1.0, size=(10, ...))` times "
                        "sigma, one tape over the 10 copies")
    return _not_yet("not the VarGrad map of this photo and class: the gradient of class c's logit "
                    "(not the sum of all logits) at 10 noisy copies, its variance over the copies")


# ---------------------------------------------------------------------------------------------
# 06 trusting the maps


@_register("06", 3, "put the two Spearman correlations (one per photo) in `answer`",
           "model=model, images=images[:2], targets=predicted[:2]", "randomisation")
def one_randomisation_step(answer: Any, model: Any, images: np.ndarray, targets: np.ndarray) -> Verdict:
    """Spearman correlation of |gradient| maps, trained against logits-randomised, per photo."""
    from gemlib import sanity

    try:
        values = [getattr(v, "statistic", v) for v in np.atleast_1d(np.asarray(answer, dtype=object))]
        a = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return _not_yet("`answer` should be a list of numbers, one correlation per photo "
                        "(`spearmanr(...).statistic`)")
    n = len(images)
    if a.shape != (n,):
        return _not_yet(f"your answer has shape {a.shape} but there are {n} photos: one "
                        f"correlation per photo, shape ({n},)")
    table = sanity.cascading_randomisation(model, np.asarray(images), np.asarray(targets),
                                           methods=("gradient",))
    step = {s: t.sort_values("image") for s, t in table.groupby("step")}
    tol = 1e-3
    if np.abs(a - step[1]["spearman_abs"].to_numpy()).max() <= tol:
        return _right()
    if np.abs(a - step[1]["spearman_signed"].to_numpy()).max() <= tol:
        return _not_yet("you ranked the signed gradients: take `np.abs` of each map, then sum "
                        "over the channels")
    if np.abs(a - 1.0).max() <= tol:
        return _not_yet("a correlation of 1: the copy still explains like the model. Randomise the "
                        "copy's `logits` layer after `set_weights`, and draw the maps with the copy")
    for s in sorted(step)[2:]:
        if np.abs(a - step[s]["spearman_abs"].to_numpy()).max() <= tol:
            return _not_yet("that is what randomising more than the last layer gives: re-initialise "
                            "only the copy's `logits` layer")
    if np.abs(a - step[1]["spearman_abs"].to_numpy()).max() <= 0.1:
        return _not_yet("close, but not equal: did you use the same seed? "
                        "`sanity.randomise_layer(layer, np.random.default_rng(0))`, maps from "
                        "`explain.gradient`")
    return _not_yet("not yet the correlation of step 1: rank-correlate (Spearman) the absolute "
                    "gradient maps summed over the channels, trained model against the copy")


# ---------------------------------------------------------------------------------------------
# 07 transfer


@_register("07", 3, "put the two counts `(only_scratch, only_transfer)` in `answer` "
           "(add the p-value as a third if you like)", 'logits=logits, labels=arch.test.labels',
           "McNemar counts")
def mcnemar_counts(answer: Any, logits: dict, labels: np.ndarray) -> Verdict:
    """The photos only scratch gets right, only transfer gets right, and McNemar's exact p."""
    from scipy.stats import binomtest, chi2

    from gemlib import evaluate

    a = _array(answer)
    if a is None or a.ndim != 1 or len(a) not in (2, 3):
        return _not_yet("`answer` should be two counts, `(only_scratch, only_transfer)`, or the two "
                        "counts and the p-value")
    ok = {name: np.asarray(lg).argmax(axis=1) == np.asarray(labels) for name, lg in logits.items()}
    s, t = ok["scratch"], ok["transfer"]
    ref = evaluate.mcnemar(s, t)
    counts = np.array([ref["a_only"], ref["b_only"]], np.float64)
    got = a[:2]
    if not np.array_equal(got, counts):
        if np.array_equal(got, counts[::-1]):
            return _not_yet("your two counts are swapped: scratch's first")
        others = {int((s & t).sum()): "photos both models get right",
                  int((~s & ~t).sum()): "photos both models get wrong",
                  int(s.sum()): "all the photos scratch gets right (those transfer also gets right "
                                "included)",
                  int(t.sum()): "all the photos transfer gets right (those scratch also gets right "
                                "included)"}
        for value in got:
            if int(value) in others and value not in counts:
                return _not_yet(f"one count is of {others[int(value)]}: McNemar counts only the "
                                "photos exactly one model gets right (`a & ~b`)")
        return _not_yet("not the McNemar counts: compare each model's top-1 (`argmax(axis=1)`) "
                        "with the labels; count where scratch is right and transfer wrong, and "
                        "the other way round")
    if len(a) == 2:
        return _right()
    p, n = a[2], int(counts.sum())
    if np.isclose(p, ref["p_value"], rtol=1e-6, atol=1e-300):
        return _right()
    for alternative in ("greater", "less"):
        if np.isclose(p, binomtest(int(counts[0]), n, 0.5, alternative=alternative).pvalue, rtol=1e-6):
            return _not_yet("your p-value is one-sided: keep `binomtest`'s default, two-sided")
    approx = chi2.sf((counts[0] - counts[1]) ** 2 / n, 1)
    corrected = chi2.sf((abs(counts[0] - counts[1]) - 1) ** 2 / n, 1)
    if np.isclose(p, approx, rtol=1e-6) or np.isclose(p, corrected, rtol=1e-6):
        return _not_yet("that is the chi-square approximation: the exact test is "
                        "`binomtest(only_scratch, only_scratch + only_transfer, 0.5)`")
    return _not_yet("the counts are right, the p-value is not: a binomial test of the first count "
                    "in the sum of the two, at one half (`.pvalue`)")


# ---------------------------------------------------------------------------------------------
# 08 published mistakes


@_register("08", 6, "put `(divided by row sums, divided by column sums)` in `answer`",
           "labels=gems.test.labels, pred=pred, n_classes=len(gems.classes)", "confusion matrix")
def confusion_both_ways(answer: Any, labels: np.ndarray, pred: np.ndarray, n_classes: int) -> Verdict:
    """The confusion matrix divided by its row sums and by its column sums (zero sums left at 0)."""
    from gemlib import evaluate, published

    by_row = evaluate.normalised_confusion(labels, pred, n_classes)
    by_col = published.column_normalised_confusion(labels, pred, n_classes)
    counts = np.zeros((n_classes, n_classes))
    np.add.at(counts, (np.asarray(labels), np.asarray(pred)), 1)
    try:
        parts = [np.asarray(m, np.float64) for m in answer] if isinstance(answer, (tuple, list)) \
            else [np.asarray(answer, np.float64)]
    except (TypeError, ValueError):
        return _not_yet("`answer` should be two arrays, `(ours_rows, ours_cols)`")
    if len(parts) != 2:
        return _not_yet("`answer` should be two matrices, `(by rows, by columns)`")
    names = {0: ("first", "row", by_row, by_col), 1: ("second", "column", by_col, by_row)}
    for i, m in enumerate(parts):
        which, axis, ref, other = names[i]
        if m.shape != ref.shape:
            return _not_yet(f"your {which} matrix has shape {m.shape}: it should be "
                            f"{n_classes} × {n_classes}, a row per true class, a column per "
                            "predicted one")
        if np.isnan(m).any():
            return _not_yet(f"your {which} matrix has NaN where a sum is zero: leave those cells "
                            "at 0 (`np.divide(..., out=np.zeros_like(counts), where=sums > 0)`)")
        if np.allclose(m, ref):
            continue
        if np.allclose(m, other):
            return _not_yet(f"your {which} matrix is divided the other way: it should be divided by "
                            f"its {axis} sums")
        if np.allclose(m, ref.T):
            return _not_yet(f"your {which} matrix is transposed: rows are the true classes "
                            "(`np.add.at(counts, (labels, pred), 1)`)")
        if np.allclose(m, counts):
            return _not_yet(f"your {which} matrix holds counts: divide by the {axis} sums")
        return _not_yet(f"your {which} matrix is not the confusion matrix divided by its {axis} "
                        "sums: count (true, predicted) pairs, then divide")
    return _right()
