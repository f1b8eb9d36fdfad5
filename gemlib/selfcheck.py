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

import hashlib
import weakref
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


def _left_out_by_class(root: Any) -> tuple[dict, dict, dict, dict]:
    """Per class: training files left out (all), as twins of a test photo, their test twins, and
    the extra identical copies (which are not counted as left out)."""
    import warnings
    from collections import Counter
    from pathlib import Path

    from gemlib import data

    root = Path(root)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", data.LeftOutWarning)
        _, dropped, _, copies = data.split_files(root, data.class_names(root / "train"),
                                                 return_copies=True)
    tests = sorted(str(p) for p in (root / "test").rglob("*") if p.is_file())
    twin = data.has_twin(dropped, tests)
    test_twins = [t for t, hit in zip(tests, data.has_twin(tests, dropped)) if hit]
    label = lambda p: Path(p).parent.name  # noqa: E731
    return (Counter(map(label, dropped)), Counter(label(p) for p, t in zip(dropped, twin) if t),
            Counter(map(label, test_twins)), Counter(map(label, copies)))


@_register("01", 1, "put `{class name: number of training photos left out}` in `answer`, "
           "both reasons together (classes with none may be left out)", "root=root", "left out")
def left_out_by_class(answer: Any, root: Any) -> Verdict:
    """Training photos `split_files` leaves out, per class (twins of test photos and copies
    under two classes)."""
    if not isinstance(answer, dict):
        return _not_yet("`answer` should be a dict, `{'Pearl': count, ...}`, one entry per class")
    ref, twins, test_twins, copies = _left_out_by_class(root)
    given = {}
    for name, value in answer.items():
        count = _number(value)
        if count is None:
            return _not_yet(f"give {name!r} one number, the count of its training photos left out")
        if count:
            given[name] = count
    if given == {k: v for k, v in ref.items() if v}:
        return _right()
    slips = [
        (twins, "counts only the twins of test photos: add the copies filed under two classes"),
        (ref - twins, "counts only the copies under two classes: add the twins of test photos"),
        (ref + test_twins, "counts the test photos too: only training photos are left out "
         "(`dropped` lists them)"),
        (ref + copies, "counts the extra identical copies too: of those one is kept, and "
         "`split_files` does not list them in `dropped`"),
    ]
    for wrong, hint in slips:
        if given == {k: v for k, v in wrong.items() if v}:
            return _not_yet(f"your count {hint}")
    if sum(given.values()) == sum(ref.values()):
        return _not_yet("the total is right but the classes are not: take each file's class from "
                        "its folder, `Path(f).parent.name`")
    return _not_yet("not the files `split_files` leaves out: count its second result, `dropped`, "
                    "by the class folder each file sits in")


def _groups_at(table: Any, distances: tuple[int, ...]) -> dict[int, set]:
    """Duplicate groups (sets of paths) as ``data.find_duplicates(table, near=True,
    max_distance=d)`` forms them, for each ``d``, hashing every photo once."""
    from gemlib import data

    exact = [frozenset(g["path"]) for _, g in table.groupby("sha1") if len(g) > 1]
    readable = table[table["readable"]]
    hashes = [data.perceptual_hash(p) or 0 for p in readable["path"]]
    found = {}
    for d in distances:
        near = [readable.iloc[m] for m in data._close_groups(hashes, d)]
        found[d] = exact + [frozenset(g["path"]) for g in near if g["sha1"].nunique() > 1]
    return found


@_register("01", 2, "put the number of groups the 8-bit search finds beyond the 4-bit one in "
           "`answer` (one whole number)", "table=table", "more groups")
def extra_groups(answer: Any, table: Any) -> Verdict:
    """How many more duplicate groups `find_duplicates` forms at 8 bits than at 4 (near=True)."""
    count = _number(answer)
    if count is None or count != int(count):
        return _not_yet("`answer` should be one whole number: the groups at 8 bits less those at 4")
    found = _groups_at(table, (4, 8))
    four, eight = found[4], found[8]
    exact = sum(1 for _, g in table.groupby("sha1") if len(g) > 1)
    if count == len(eight) - len(four):
        return _right()
    slips = [
        (len(eight), "is the number of groups at 8 bits: subtract the number at 4 bits"),
        (len(four) - len(eight), "is the wrong way round: the 8-bit search finds more groups"),
        (len(set(eight) - set(four)), "is the number of 8-bit groups that differ from every 4-bit "
         "group, grown old groups included: how many more groups is one count less the other"),
        (len(eight) - exact, "compares with the exact copies only: the 4-bit search is "
         "`find_duplicates(table, near=True)`, near duplicates included"),
    ]
    for wrong, hint in slips:
        if count == wrong:
            return _not_yet(f"your count {hint}")
    return _not_yet("not the difference of the two searches: count the rows of "
                    "`find_duplicates(table, near=True, max_distance=8)` and of the same call "
                    "with the default 4 bits")


@_register("01", 3, "put `{class name: grey share}` for the three least and the three most "
           "saturated classes in `answer` (shares between 0 and 1)", "gems=gems", "nearly grey")
def grey_shares(answer: Any, gems: Any) -> Verdict:
    """Share of each end class's kept (non-white) pixels that are nearly grey (saturation < 0.08)."""
    from skimage.color import rgb2hsv

    from gemlib import colour

    if not isinstance(answer, dict):
        return _not_yet("`answer` should be a dict, `{'Goshenite': share, ...}`, one entry per class")
    order = colour.class_colour_stats(gems.train.images, gems.train.labels, gems.classes)
    ends = list(order.sort_values("saturation")["label"])
    six = ends[:3] + ends[-3:]
    missing = [name for name in six if name not in answer]
    if missing:
        return _not_yet(f"{len(missing)} of the six classes at the two ends of `stats` sorted by "
                        "saturation are missing: the three least and the three most saturated")
    for name in six:
        share = _number(answer[name])
        if share is None:
            return _not_yet(f"give {name!r} one number, the share of its kept pixels that are grey")
        pixels = gems.train.images[np.asarray(gems.train.labels) == gems.classes.index(name)]
        hsv = rgb2hsv(np.asarray(pixels).reshape(1, -1, 3))[0]
        white = (hsv[:, 2] > 0.92) & (hsv[:, 1] < 0.08)
        kept = hsv[~white]
        ref = float((kept[:, 1] < 0.08).mean())
        if abs(share - ref) <= 1e-6:
            continue
        slips = [
            (float((hsv[:, 1] < 0.08).mean()), "counts the near-white pixels too: drop them first "
             "(value > 0.92 and saturation < 0.08)"),
            (100 * ref, "looks like a percentage: give a fraction between 0 and 1"),
            (1 - ref, "is the share of coloured pixels: count those with saturation below 0.08"),
        ]
        for wrong, hint in slips:
            if abs(share - wrong) <= 1e-6 * max(1.0, abs(wrong)):
                return _not_yet(f"{name}'s share {hint}")
        if abs(share - ref) <= 2e-3:
            continue  # pixels converted in float32 first: a few sit on the other side of 0.08
        return _not_yet(f"{name}'s share is not the share of its kept pixels with saturation below "
                        "0.08: keep the pixels that are not near-white, then count the grey ones")
    return _right()


@_register("01", 4, "put `{class name: length}` for two classes of your choice in `answer` "
           "(the length of the mean hue arrow, between 0 and 1)", "gems=gems", "mean arrow")
def hue_agreement(answer: Any, gems: Any) -> Verdict:
    """Length of each chosen class's saturation-weighted mean hue arrow (what `stats` lacks)."""
    from skimage.color import rgb2hsv

    if not isinstance(answer, dict) or len(answer) < 2:
        return _not_yet("`answer` should be a dict with two classes or more, "
                        "`{'Ruby': length, 'Emerald': length}`")
    unknown = [name for name in answer if name not in gems.classes]
    if unknown:
        return _not_yet(f"{unknown[0]!r} is not a class name: use the names of `gems.classes`")
    for name, value in answer.items():
        values = _array(value)
        if values is None or values.size != 1:
            return _not_yet(f"give each class one number, the arrow's length; {name!r} has "
                            f"{'no numbers' if values is None else values.size}")
        length = float(values.ravel()[0])
        pixels = gems.train.images[np.asarray(gems.train.labels) == gems.classes.index(name)]
        hsv = rgb2hsv(np.asarray(pixels).reshape(1, -1, 3))[0]
        keep = ~((hsv[:, 2] > 0.92) & (hsv[:, 1] < 0.08))

        def arrow(h: np.ndarray, w: np.ndarray) -> tuple[float, float]:
            """(summed length, summed weight) of the weighted arrows."""
            a = h * 2 * np.pi
            s, c = float((w * np.sin(a)).sum()), float((w * np.cos(a)).sum())
            return float(np.hypot(s, c)), float(w.sum())

        h, s = hsv[keep, 0], hsv[keep, 1]
        total, weight = arrow(h, s)
        ref_length = total / weight
        if abs(length - ref_length) <= 1e-4:
            continue
        unit = arrow(h, np.ones_like(h))
        length_slips = [
            (total, "is the length of the summed arrows: divide it by the sum of the weights"),
            (total / len(h), "is divided by the number of pixels: divide by the sum of the "
             "weights (the saturations)"),
            (unit[0] / unit[1], "is the length of the unweighted arrows: weight each by its "
             "saturation"),
            (arrow(hsv[:, 0], hsv[:, 1])[0] / hsv[:, 1].sum(), "still counts the near-white "
             "pixels: drop those with value > 0.92 and saturation < 0.08 first"),
            (ref_length**2, "looks squared: take the square root of the sum of squares "
             "(`np.hypot`)"),
        ]
        for wrong, hint in length_slips:
            if abs(length - wrong) <= 1e-4 * max(1.0, abs(wrong)):
                return _not_yet(f"{name}'s length {hint}")
        if not 0 <= length <= 1:
            return _not_yet(f"{name}'s length is outside 0-1: divide the summed arrow's length by "
                            "the sum of the weights")
        return _not_yet(f"{name}'s length is not the length of its mean arrow: the square root of "
                        "(sum of w·sin)² + (sum of w·cos)², divided by the sum of the weights w")
    return _right()


# ---------------------------------------------------------------------------------------------
# 02 augmentation


def _new_colour_share(copies: np.ndarray, original: np.ndarray) -> float:
    """Share of the copies' pixels more than 30 (RGB) from every colour of ``original``."""
    palette = np.unique(np.asarray(original).reshape(-1, 3), axis=0).astype(np.float64)
    pixels = np.asarray(copies, np.float64).reshape(-1, 1, 3)
    return float((np.linalg.norm(pixels - palette, axis=2).min(axis=1) > 30).mean())


@_register("02", 1, "put `{'passes': (config, share), 'fails': (config, share)}` in `answer`, each "
           "config an `augment.AugmentConfig`, each share a number 0-1", "original=stone",
           "new-colour check")
def two_recipes(answer: Any, original: np.ndarray) -> Verdict:
    """A recipe of one's own that passes the new-colour check (< 10 %), one that fails it."""
    from gemlib import augment

    if not isinstance(answer, dict) or set(answer) != {"passes", "fails"}:
        return _not_yet("`answer` should be a dict with two keys, 'passes' and 'fails'")
    shares = {}
    for key, pair in answer.items():
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            return _not_yet(f"answer[{key!r}] should be a pair, `(config, share)`")
        config, share = pair
        if not isinstance(config, augment.AugmentConfig):
            return _not_yet(f"the recipe under {key!r} should be an `augment.AugmentConfig(...)`")
        share = _number(share)
        if share is None:
            return _not_yet(f"the share under {key!r} should be one number")
        if share > 1:
            return _not_yet(f"the share under {key!r} looks like percent: give a share 0-1")
        try:
            copies = augment.augment_examples(np.asarray(original), config, n=32, seed=1)
        except ValueError:  # every strength at zero: no layer to apply
            copies = np.repeat(np.asarray(original)[None], 32, axis=0)
        measured = _new_colour_share(copies, original)
        if abs(share - measured) > 1e-6:
            return _not_yet(f"the share under {key!r} is not the new-colour share of that recipe's "
                            "32 copies (`augment.augment_examples(stone, config, n=32, seed=1)`, "
                            "pixels more than 30 from all of the original's colours)")
        shares[key] = (config, copies, measured)
    config, copies, measured = shares["passes"]
    if config == augment.AugmentConfig():
        return _not_yet("your passing recipe is the lesson's default: choose strengths of your own")
    if (copies == np.asarray(original)[None]).all():
        return _not_yet("your passing recipe leaves every copy unchanged: it must still move the "
                        "stone (a flip, a turn, a zoom or a shift)")
    if measured >= 0.10:
        return _not_yet("your 'passes' recipe makes 10 % new colours or more: it fails the check")
    if shares["fails"][2] < 0.10:
        return _not_yet("your 'fails' recipe stays under 10 % new colours: it passes the check. "
                        "Which of the strengths changes a pixel's colour rather than its place?")
    return _right()


def _opened_share(turn: float, side: int = 128) -> float:
    """Share of a white ``side`` square that comes out dark (< 128) turned by ``turn`` of a turn."""
    import keras

    white = np.full((1, side, side, 3), 255, np.float32)
    layer = keras.layers.RandomRotation((turn, turn), fill_mode="constant")
    out = np.asarray(layer(white, training=True))[0]
    return float((np.clip(np.round(out), 0, 255)[..., 0] < 128).mean())


@_register("02", 3, "put the measured `{0.125: share, 0.03: share}` in `answer`: for each turn, the "
           "share (0-1) of a turned all-white image's pixels that came out dark", "",
           "how much of the frame")
def opened_corners(answer: Any) -> Verdict:
    """Share of the frame a rotation by 0.125 and by 0.03 of a turn leaves open (constant fill)."""
    if not isinstance(answer, dict) or set(answer) != {0.125, 0.03}:
        return _not_yet("`answer` should be a dict with the two turns as keys, `{0.125: ..., 0.03: ...}`")
    shares = {t: _number(answer[t]) for t in answer}
    if any(s is None for s in shares.values()):
        return _not_yet("give each turn one number, the share of dark pixels")
    ref = {t: _opened_share(t) for t in (0.125, 0.03)}
    if all(abs(shares[t] - 100 * ref[t]) <= 0.5 for t in ref):
        return _not_yet("your shares look like percentages: give fractions between 0 and 1")
    if all(abs(shares[t] - (1 - ref[t])) <= 0.005 for t in ref):
        return _not_yet("those are the shares of pixels still white: count the dark ones (< 128)")
    if all(abs(shares[t] - ref[u]) <= 0.005 for t, u in ((0.125, 0.03), (0.03, 0.125))):
        return _not_yet("your two shares are swapped: which turn opens more of the frame?")
    for t in (0.125, 0.03):
        if abs(shares[t] - ref[t]) > 0.005:
            return _not_yet(f"the share for {t} is not what the rotation measures: turn an all-white "
                            f"128 × 128 image with `RandomRotation(({t}, {t}), fill_mode='constant')` "
                            "and count the pixels below 128")
    return _right()


@_register("02", 4, "put `{'views': distances, 'jittered': distances}` in `answer`, one distance "
           "per copy for each recipe (or only each recipe's largest)",
           "views=views, jittered=jittered, original=stone", "mean colour")
def copy_colour_distances(answer: Any, views: np.ndarray, jittered: np.ndarray,
                          original: np.ndarray) -> Verdict:
    """For both recipes, the RGB distance of each copy's mean colour from the original's."""
    if not isinstance(answer, dict) or set(answer) != {"views", "jittered"}:
        return _not_yet("`answer` should be a dict with both recipes, "
                        "`{'views': ..., 'jittered': ...}`")
    for key, copies in (("views", views), ("jittered", jittered)):
        result = _one_recipe_distances(answer[key], copies, original)
        if not result.right:
            return Verdict(False, result.message.replace("not yet: ", f"not yet ({key}): ", 1))
    return _right()


def _one_recipe_distances(answer: Any, copies: np.ndarray, original: np.ndarray) -> Verdict:
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


def _layer_kind(layer: Any) -> str:
    """'bn', 'elu', 'act' (another activation), 'conv', 'add', 'input' or the class name."""
    from keras import layers

    if isinstance(layer, layers.InputLayer):
        return "input"
    if isinstance(layer, layers.BatchNormalization):
        return "bn"
    if isinstance(layer, layers.ELU):
        return "elu"
    if isinstance(layer, layers.Activation):
        return "elu" if getattr(layer.activation, "__name__", "") == "elu" else "act"
    if isinstance(layer, (layers.ReLU, layers.LeakyReLU, layers.PReLU, layers.Softmax)):
        return "act"
    if isinstance(layer, layers.Conv2D):
        return "conv"
    if isinstance(layer, layers.Add):
        return "add"
    return type(layer).__name__


def _producer(tensor: Any) -> tuple[Any, list]:
    """The layer that made a Keras tensor, and the tensors it was called on."""
    history = tensor._keras_history
    node = history.operation._inbound_nodes[history.node_index]
    return history.operation, list(node.input_tensors)


def _conv_slip(conv: Any, kernel: int, filters: int, where: str) -> str | None:
    """What is wrong with one convolution of the block, or None."""
    size = tuple(conv.kernel_size)
    if size != (kernel, kernel):
        return f"{where} is {size[0]}×{size[1]}: it should be {kernel}×{kernel}"
    if conv.filters != filters:
        return (f"{where} has {conv.filters} filters: every convolution of this block gives "
                f"{filters} channels (the first one widens the input)")
    if tuple(conv.strides) != (1, 1):
        return (f"{where} has strides={tuple(conv.strides)}: the block keeps height and width "
                "(stride 1); the max-pool after the stage halves them")
    if conv.use_bias:
        if "skip" in where or "convolution 2" in where:  # feeds the +, not a BatchNorm
            return (f"{where} has a bias: use_bias=False. Its output goes into the +, and the next "
                    "block's BatchNorm, after the +, subtracts the mean, which cancels any bias")
        return (f"{where} has a bias: use_bias=False, since the next BatchNorm subtracts the "
                "mean and adds its own learned shift, which cancels any bias")
    if getattr(conv.activation, "__name__", "linear") != "linear":
        return (f"{where} has activation={conv.activation.__name__!r}: the convolutions are "
                "linear; the ELU is a layer of its own, after each BatchNorm")
    return None


@_register("03", 1, "put your stage-2 block in `answer`: a `keras.Model` from "
           "`keras.Input((16, 16, 32))` to the output of its `layers.Add`", "",
           "residual block")
def widening_block(answer: Any) -> Verdict:
    """Stage 2's pre-activation block, 32 channels in and 64 out, with its 1×1 skip convolution.

    Compared layer by layer with :func:`gemlib.models.residual_block`, then on one input with the
    same weights copied in.
    """
    import keras

    from gemlib import models

    shape_in, filters = (16, 16, 32), 64
    if not isinstance(answer, keras.Model):
        return _not_yet("`answer` should be a `keras.Model(block_in, output)`, from the block's "
                        "`keras.Input` to its output (a tensor alone is not a model)")
    if len(answer.inputs) != 1 or tuple(answer.inputs[0].shape[1:]) != shape_in:
        return _not_yet("start from `keras.Input((16, 16, 32))`: stage 2's input, 16 × 16 pixels "
                        "with 32 channels")
    out = tuple(answer.outputs[0].shape[1:])
    if out[:2] != shape_in[:2]:
        return _not_yet(f"your block gives {out[0]} × {out[1]} maps: a block keeps height and "
                        "width (padding='same', stride 1); the max-pool after it halves them")
    if out[2] != filters:
        return _not_yet(f"your block gives {out[2]} channels: stage 2's block gives 64")
    kinds = [_layer_kind(layer) for layer in answer.layers]
    if "add" not in kinds:
        return _not_yet("there is no `layers.Add`: the skip path is added to the convolutions' "
                        "output, `layers.Add()([shortcut, y])`")
    last, add_inputs = _producer(answer.outputs[0])
    if _layer_kind(last) != "add":
        return _not_yet(f"a layer ({type(last).__name__}) follows the +: in the pre-activation "
                        "block nothing does; the Add's output is the block's output")
    skip, path_end = None, None
    for k, tensor in enumerate(add_inputs):
        layer, inputs = _producer(tensor)
        if _layer_kind(layer) == "input" or (
                _layer_kind(layer) == "conv" and inputs
                and _layer_kind(_producer(inputs[0])[0]) == "input"):
            skip, path_end = layer, add_inputs[1 - k] if len(add_inputs) == 2 else None
            break
    if skip is None or path_end is None:
        return _not_yet("one input of the Add must be the skip: the block's input itself, or a "
                        "1×1 convolution that reads the block's input (not its BatchNorm or ELU)")
    if _layer_kind(skip) == "conv":
        slip = _conv_slip(skip, 1, filters, "the skip's convolution")
        if slip:
            return _not_yet(slip)
    path: list = []
    tensor = path_end
    while True:
        layer, inputs = _producer(tensor)
        if _layer_kind(layer) == "input":
            break
        if len(inputs) != 1 or len(path) > 20:
            return _not_yet("the path of the convolutions should run from the block's input, "
                            "layer after layer, to the Add")
        path.insert(0, layer)
        tensor = inputs[0]
    order = [_layer_kind(layer) for layer in path]
    if "act" in order:
        return _not_yet("the lesson's block uses `layers.ELU()`, not ReLU or another activation")
    convs = [layer for layer in path if _layer_kind(layer) == "conv"]
    for k, conv in enumerate(convs):
        if getattr(conv.activation, "__name__", "linear") != "linear":
            return _not_yet(_conv_slip(conv, 3, filters, f"convolution {k + 1} of the path") or "")
    if len(convs) != 2:
        return _not_yet(f"the path has {len(convs)} convolutions: the block has two 3×3 ones")
    if order.count("bn") < 2:
        return _not_yet("a BatchNormalization is missing: one comes before each ELU "
                        "(BatchNorm, ELU, conv, twice)")
    if order.count("elu") < 2:
        return _not_yet("an ELU is missing: one comes after each BatchNorm, before each conv")
    if order == ["conv", "bn", "elu", "conv", "bn", "elu"]:
        return _not_yet("that is the post-activation order (conv, BatchNorm, ELU): here BatchNorm "
                        "and ELU come before each convolution, and nothing follows the second one")
    if order != ["bn", "elu", "conv", "bn", "elu", "conv"]:
        return _not_yet(f"the path runs {', '.join(order)}: it should be BatchNorm, ELU, conv, "
                        "BatchNorm, ELU, conv")
    for k, conv in enumerate(convs):
        slip = _conv_slip(conv, 3, filters, f"convolution {k + 1} of the path")
        if slip:
            return _not_yet(slip)
    if _layer_kind(skip) == "input":
        return _not_yet("the skip is the input itself, but 32 channels cannot be added to 64: "
                        "give the skip a 1×1 convolution to 64 channels")
    x = keras.Input(shape_in)
    reference = keras.Model(x, models.residual_block(x, filters, name="ref"))
    if answer.count_params() != reference.count_params():
        return _not_yet(f"your block has {answer.count_params():,} parameters, not as many as "
                        "gemlib's stage-2 block (the `stage2` row of the parameter table): check "
                        "the BatchNorms' options")
    roles = {"ref_skip": skip, "ref_bn1": path[0], "ref_conv1": path[2], "ref_bn2": path[3],
             "ref_conv2": path[5]}
    for name, layer in roles.items():
        reference.get_layer(name).set_weights(layer.get_weights())
    probe = np.random.default_rng(0).normal(size=(2, *shape_in)).astype(np.float32)
    ours = np.asarray(answer(probe, training=False))
    theirs = np.asarray(reference(probe, training=False))
    if not _close(ours, theirs, rtol=1e-4, atol=1e-5):
        return _not_yet("the right layers, but with the same weights your block's output differs "
                        "from gemlib's: check the BatchNorms' options (epsilon, scale, center)")
    return _right()


@_register("03", 2, "put `{'history': what fit returns, 'callbacks': the list you gave fit}` in "
           "`answer`", "config=config, few=few", "compile and fit")
def compile_and_fit(answer: Any, config: Any, few: Any) -> Verdict:
    """A short watched run compiled and fitted by hand: optimiser, loss, metrics, callbacks."""
    import math

    import keras

    if not isinstance(answer, dict) or set(answer) != {"history", "callbacks"}:
        return _not_yet("`answer` should be a dict with two keys, 'history' and 'callbacks'")
    history, callbacks = answer["history"], answer["callbacks"]
    if not isinstance(history, keras.callbacks.History):
        return _not_yet("answer['history'] should be what `model.fit(...)` returns (a History)")
    model = history.model
    if model is None or model.optimizer is None:
        return _not_yet("answer['history'] has no compiled model: compile, then fit")
    if int(model.outputs[0].shape[-1]) != len(few.classes):
        return _not_yet(f"the network has {model.outputs[0].shape[-1]} outputs: build it for the "
                        f"{len(few.classes)} classes of `few`")
    optimizer = model.optimizer
    if not isinstance(optimizer, keras.optimizers.AdamW):
        return _not_yet(f"the optimiser is {type(optimizer).__name__}: the lesson's is "
                        "`keras.optimizers.AdamW` (Adam plus weight decay)")
    if not math.isclose(float(optimizer.weight_decay or 0.0), config.weight_decay, rel_tol=1e-6):
        return _not_yet(f"AdamW's weight decay is {optimizer.weight_decay}: pass "
                        "`weight_decay=config.weight_decay`")
    rate = optimizer._learning_rate
    if not isinstance(rate, keras.optimizers.schedules.LearningRateSchedule):
        if not math.isclose(float(np.asarray(rate)), config.learning_rate, rel_tol=1e-5):
            return _not_yet(f"the learning rate is {float(np.asarray(rate)):g}: pass "
                            "`config.learning_rate`")
    loss = model.loss
    if isinstance(loss, str) or not isinstance(loss, keras.losses.Loss):
        return _not_yet("give the loss as `keras.losses.CategoricalCrossentropy(...)`: a name or a "
                        "function has no `from_logits` or label smoothing")
    if isinstance(loss, keras.losses.SparseCategoricalCrossentropy):
        return _not_yet("the datasets give one-hot labels: use CategoricalCrossentropy, "
                        "not the sparse one")
    if not isinstance(loss, keras.losses.CategoricalCrossentropy):
        return _not_yet(f"the loss is {type(loss).__name__}: the lesson's is the cross-entropy, "
                        "`keras.losses.CategoricalCrossentropy`")
    settings = loss.get_config()
    if not settings.get("from_logits"):
        return _not_yet("the network gives logits (no softmax): pass `from_logits=True` to the "
                        "loss")
    if not math.isclose(float(settings.get("label_smoothing", 0.0)), config.label_smoothing,
                        rel_tol=1e-6):
        return _not_yet(f"the loss smooths labels by {settings.get('label_smoothing')}: pass "
                        "`label_smoothing=config.label_smoothing`")
    logged = set(history.history)
    for name, hint in [("accuracy", "add the metric 'accuracy'"),
                       ("top5", "add `keras.metrics.TopKCategoricalAccuracy(k=5, name='top5')`"),
                       ("val_loss", "pass `validation_data=` a dataset of `few.val`, so the `val_` "
                        "scores are logged")]:
        if name not in logged:
            return _not_yet(f"no '{name}' in the history: {hint}")
    steps = math.ceil(len(few.train) / config.batch_size)
    if history.params.get("steps") != steps:
        return _not_yet(f"an epoch took {history.params.get('steps')} batches: make the training "
                        "set from `few.train` in batches of `config.batch_size`")
    if history.params.get("epochs") != 3:
        return _not_yet(f"fit ran for epochs={history.params.get('epochs')}: the exercise asks for "
                        "3 (`epochs=3`)")
    stops = [c for c in (callbacks or []) if isinstance(c, keras.callbacks.EarlyStopping)]
    if not stops:
        return _not_yet("answer['callbacks'] has no `keras.callbacks.EarlyStopping`")
    stop = stops[0]
    if stop.monitor != "val_accuracy":
        return _not_yet(f"EarlyStopping watches {stop.monitor!r}: the lesson chooses by validation "
                        "accuracy, `monitor='val_accuracy'`")
    if stop.mode == "min":
        return _not_yet("EarlyStopping has mode='min': higher accuracy is better, so 'max'")
    if not stop.restore_best_weights:
        return _not_yet("without `restore_best_weights=True` the model keeps the last epoch's "
                        "weights, not the best epoch's")
    return _right()


def _two_epochs(answer: Any) -> tuple[int, int] | None:
    """``(best epoch, window end)`` out of the dict the exercise asks for, or a pair; else None."""
    if isinstance(answer, dict):
        keys = {" ".join(str(k).lower().replace("_", " ").split()): v for k, v in answer.items()}
        answer = (keys.get("best epoch"), keys.get("window ends at"))
    try:
        pair = [float(v) for v in answer]
    except (TypeError, ValueError):
        return None
    if len(pair) != 2 or not all(np.isfinite(pair)) or not all(v.is_integer() for v in pair):
        return None
    return int(pair[0]), int(pair[1])


@_register("03", 4, "put `{'best epoch': ..., 'window ends at': ...}` in `answer`: two epoch "
           "numbers of the raw weights' validation accuracy, counted from 1",
           "seed1_card=seed1_card", "10-epoch window")
def best_epoch_and_window(answer: Any, seed1_card: dict, length: int = 10) -> Verdict:
    """The best single epoch of ``val_accuracy`` and the last epoch of its best 10-epoch window.

    Both counted from 1, as the lesson counts epochs; the window is a trailing mean
    (``rolling(10)``), so it is named by the epoch it ends at.
    """
    import pandas as pd

    pair = _two_epochs(answer)
    if pair is None:
        return _not_yet("give two whole epoch numbers, `{'best epoch': ..., 'window ends at': ...}`")
    history = pd.DataFrame(seed1_card["history"])

    def epochs(column: str, window: int = length, **rolling: Any) -> tuple[int, int]:
        curve = history[column]
        return int(curve.to_numpy().argmax()) + 1, int(curve.rolling(window, **rolling).mean().idxmax()) + 1

    best, end = epochs("val_accuracy")
    if pair == (best, end):
        return _right()
    if pair == (end, best):
        return _not_yet("the two numbers are swapped: the best single epoch first, then where the "
                        "best window ends")
    if pair == (best - 1, end - 1):
        return _not_yet("counted from 0: the history's index starts at 0, the lesson's epochs at 1 "
                        "(add 1)")
    ema = epochs("val_accuracy_ema") if "val_accuracy_ema" in history else None
    if ema is not None and (pair == ema or (pair[0] != best and pair[0] == ema[0])):
        return _not_yet("that is the moving average's curve (`val_accuracy_ema`): the exercise asks "
                        "for the raw weights, `val_accuracy`")
    if pair[0] != best:
        if pair[0] == int(history["val_loss"].to_numpy().argmin()) + 1:
            return _not_yet("that is the lowest validation loss: the exercise asks for the highest "
                            "validation accuracy")
        return _not_yet("your best single epoch is not the one of highest `val_accuracy` "
                        "(counted from 1)")
    if pair[1] == end - length + 1:
        return _not_yet("that is the first epoch of the best window: give the epoch it ends at")
    if pair[1] == epochs("val_accuracy", center=True)[1]:
        return _not_yet("a centred window: use the trailing mean `rolling(10)`, which ends at "
                        "each epoch")
    if pair[1] == best:
        return _not_yet("that is the best single epoch again: the window rule takes the epoch "
                        "where the mean of 10 consecutive epochs is highest")
    if pair[1] in {epochs("val_accuracy", n)[1] for n in (5, 9, 11, 20)}:
        return _not_yet("check the window's length: 10 epochs, `rolling(10)`")
    return _not_yet("your window's end is not where the mean of 10 consecutive epochs of "
                    "`val_accuracy` is highest (`rolling(10).mean()`, then `idxmax()`, plus 1)")


@_register("03", 5, "put your table in `answer`: a DataFrame with the minutes elapsed as its index "
           "and one column per budget, '55 min' and '30 min' (peak 2e-3, a step past the warm-up)",
           "", "learning rate")
def budget_rates(answer: Any, peak: float = 2e-3) -> Verdict:
    """The learning rate of a 55- and a 30-minute budget at the minutes in the index.

    Each column is compared with :func:`gemlib.train.budget_learning_rate` at its budget, a step
    long past the warm-up; the index may be rounded to a tenth of a minute.
    """
    import re

    import pandas as pd

    from gemlib import train

    if not isinstance(answer, pd.DataFrame):
        return _not_yet("`answer` should be a pandas DataFrame: the minutes as its index, one "
                        "column per budget")
    budgets: dict[int, Any] = {}
    for column in answer.columns:
        numbers = [int(n) for n in re.findall(r"\d+", str(column))]
        if len(numbers) == 1 and numbers[0] in (30, 55):
            budgets[numbers[0]] = column
    if set(budgets) != {30, 55}:
        return _not_yet("name the columns by their budgets, '55 min' and '30 min'")
    try:
        minutes = np.asarray(answer.index, dtype=np.float64)
    except (TypeError, ValueError):
        return _not_yet("the index should be the minutes elapsed, as numbers")
    if len(minutes) < 5:
        return _not_yet("take more moments: at least 5 rows, spread over the 55 minutes")
    if minutes.max() > 60:
        return _not_yet("the index runs past 60: put the minutes elapsed in it, not seconds")

    def rates(budget: float, scale: float = 60.0, over: float = 60.0) -> np.ndarray:
        return np.array([train.budget_learning_rate(peak, 10**6, 1, scale * m, over * budget)
                         for m in minutes])

    mine = {b: _array(answer[budgets[b]]) for b in (55, 30)}
    if any(v is None or not np.isfinite(v).all() for v in mine.values()):
        return _not_yet("every cell of the table should be a learning rate, a number")
    tol = 0.005 * peak

    def same(a: np.ndarray, b: np.ndarray) -> bool:
        return bool(np.abs(a - b).max() <= tol)

    if all(same(mine[b], rates(b)) for b in (55, 30)):
        return _right()
    if same(mine[55], rates(30)) and same(mine[30], rates(55)):
        return _not_yet("the two columns are swapped: each budget's rates belong under its name")
    def mostly(a: np.ndarray, b: np.ndarray) -> bool:  # a rounded index moves a steep curve
        return bool(np.median(np.abs(a - b)) <= tol)

    if all(mostly(mine[b], rates(b, scale=1.0)) for b in (55, 30)) or all(
            mostly(mine[b], rates(b, over=1.0)) for b in (55, 30)):
        return _not_yet("give `elapsed` and `budget` in the same unit, seconds (60 × minutes)")
    factor = float(np.median(np.concatenate([mine[b] / rates(b) for b in (55, 30)])))
    if factor > 0 and all(np.abs(mine[b] - factor * rates(b)).max() <= tol * max(1.0, factor)
                          for b in (55, 30)):
        if 0.09 < factor < 0.999:
            return _not_yet("every rate is the same share of the right one: your `step` is "
                            "inside the warm-up (take one long past it, e.g. 10_000), or the "
                            "peak is not the shipped run's, `peak=2e-3`")
        return _not_yet("the shape is right but the height is not: use the shipped run's peak, "
                        "`peak=2e-3`")
    return _not_yet("some rates differ from `train.budget_learning_rate` at those minutes: pass "
                    "the peak, a step past the warm-up, the warm-up's steps, then the seconds "
                    "elapsed and the budget in seconds")


@_register("03", 6, "put the 2,000 resampled gaps (seed 1's top-1 accuracy minus seed 0's on each "
           "resample, as shares, in the order drawn) in `answer`: an array of shape (2000,)",
           "logits=logits, seed1_logits=seed1_logits, labels=test.test.labels", "paired bootstrap")
def seed_gap_resamples(answer: Any, logits: np.ndarray, seed1_logits: np.ndarray,
                       labels: np.ndarray) -> Verdict:
    """The 2,000 paired resampled gaps top-1(seed 1) - top-1(seed 0), draws from rng(0).

    The library returns only the interval (:func:`gemlib.evaluate.bootstrap_ci`), so the gaps
    themselves have to be written out.
    """
    from gemlib import evaluate

    a = _array(answer)
    n_boot = 2000
    if a is None or a.ndim != 1 or len(a) != n_boot:
        shape = "?" if a is None else a.shape
        return _not_yet(f"`answer` has shape {shape}: give the {n_boot} resampled gaps themselves "
                        "(one per resample), not an interval or a summary")
    if (np.abs(a) > 1).any():
        return _not_yet("give shares between -1 and 1, not percentage points")
    right = {k: (evaluate.topk_correct(logits, labels, k=k).astype(float),
                 evaluate.topk_correct(seed1_logits, labels, k=k).astype(float)) for k in (1, 5)}
    n = len(labels)
    draws = np.random.default_rng(0).integers(0, n, size=(n_boot, n))

    def paired(k: int, idx: np.ndarray = draws) -> np.ndarray:
        c0, c1 = right[k]
        return c1[idx].mean(axis=1) - c0[idx].mean(axis=1)

    ref = paired(1)
    tol = 1e-9
    if np.abs(a - ref).max() <= tol:
        return _right()
    if np.abs(-a - ref).max() <= tol:
        return _not_yet("those are seed 0 minus seed 1: subtract the other way round")
    if np.abs(np.sort(a) - np.sort(ref)).max() <= tol:
        return _not_yet("the right values in another order: keep them in the order drawn "
                        "(do not sort them)")
    if np.abs(a - paired(5)).max() <= tol:
        return _not_yet("those are top-5 gaps: the exercise asks for top-1")
    if abs(a.mean() - ref.mean()) < 3 * ref.std() and a.std() > 1.3 * ref.std():
        return _not_yet("your gaps spread too widely: draw the SAME photos for both models in each "
                        "resample (one set of draws), so the luck of the photos cancels")
    if abs(a.mean() - ref.mean()) < 3 * ref.std() and abs(a.std() - ref.std()) < 0.3 * ref.std():
        return _not_yet("the right kind of numbers, but other draws: use "
                        "`np.random.default_rng(0).integers(0, n, size=(2000, n))` once, "
                        "n the number of test photos, and index both models with it")
    return _not_yet("not the resampled gaps: for each resample (a row of draws), seed 1's mean "
                    "top-1 result on those photos minus seed 0's")


# ---------------------------------------------------------------------------------------------
# 04 evaluation


@_register("04", 1, "put `{'prediction': your three guesses (class names), 'recall': a table with "
           "the columns 'colour' and 'greyscale', one row per class}` in `answer`; the guesses first",
           "model=model, images=gems.test.images, labels=gems.test.labels, "
           "predicted=predicted, classes=gems.classes", "survive greyscale")
def greyscale_survivors(answer: Any, model: Any, images: np.ndarray, labels: np.ndarray,
                        predicted: np.ndarray, classes: list[str]) -> Verdict:
    """Per-class recall in colour and in greyscale, indexed by class, after three named guesses.

    ``predicted`` are the CNN's classes on the untouched photos; rounding to 2 decimals passes.
    """
    import pandas as pd

    from gemlib import colour, evaluate

    classes = list(classes)
    if not isinstance(answer, dict) or not answer.get("prediction"):
        return _not_yet("write your three guesses first: `answer = {'prediction': [three class "
                        "names]}`; measure after that")
    guesses = answer["prediction"]
    if isinstance(guesses, str) or len(list(guesses)) != 3:
        return _not_yet("`answer['prediction']` should be a list of three class names")
    unknown = [g for g in guesses if g not in classes]
    if unknown:
        return _not_yet(f"{unknown[0]!r} is not a class name: spell the guesses as "
                        "`gems.classes` does ('Garnet Red', not 'red garnet')")
    table = answer.get("recall")
    if table is None:
        return _not_yet("guesses recorded; now put the per-class recall table in answer['recall']")
    if not isinstance(table, pd.DataFrame) or not {"colour", "greyscale"} <= set(table.columns):
        return _not_yet("answer['recall'] should be a DataFrame with the columns 'colour' and "
                        "'greyscale'")
    if len(table) != len(classes):
        return _not_yet(f"your table has {len(table)} rows: one row per class, {len(classes)} in "
                        "all (`head()` is for looking, not for the answer)")
    if set(map(str, table.index)) != set(classes):
        return _not_yet("index the rows by class name (`.set_index('class')`): "
                        "`per_class_table` sorts its rows by F1, so rows matched by position "
                        "belong to different classes in colour and in greyscale")
    grey = evaluate.predict_logits(model, colour.to_greyscale(np.asarray(images))).argmax(1)
    labels = np.asarray(labels)

    def score(pred: np.ndarray, column: str) -> pd.Series:
        return evaluate.per_class_table(labels, pred, classes).set_index("class")[column]

    def near(column: str, reference: pd.Series) -> bool:
        try:
            got = table[column].astype(float).reindex(reference.index).to_numpy()
        except (TypeError, ValueError):
            return False
        return _close(got, reference.to_numpy(), rtol=0.0, atol=0.0051)

    want = {"colour": score(np.asarray(predicted), "recall"), "greyscale": score(grey, "recall")}
    if near("colour", want["colour"]) and near("greyscale", want["greyscale"]):
        hits = sum(float(want["greyscale"][g]) > 0 for g in guesses)
        return _right(f"({hits} of your three guesses keep some recall in greyscale.)")
    if near("colour", want["greyscale"]) and near("greyscale", want["colour"]):
        return _not_yet("the two columns are swapped: the untouched photos under 'colour'")
    try:
        in_percent = float(table[["colour", "greyscale"]].astype(float).to_numpy().max()) > 1
    except (TypeError, ValueError):
        in_percent = False
    if in_percent:
        return _not_yet("your recalls look like percent: give shares 0-1, as `per_class_table`")
    if near("greyscale", want["colour"]):
        return _not_yet("your 'greyscale' column is the colour recall: predict on "
                        "`colour.to_greyscale(gems.test.images)`, then score those predictions")
    for column, name in (("precision", "precision"), ("f1", "F1")):
        if near("greyscale", score(grey, column)) or near("colour", score(np.asarray(predicted),
                                                                           column)):
            return _not_yet(f"that is {name}: the exercise asks for recall, the share of each "
                            "class's photos the model finds")
    if not near("colour", want["colour"]):
        return _not_yet("your 'colour' column is not the CNN's recall on the untouched test "
                        "photos (`predicted`)")
    return _not_yet("your 'greyscale' column is not the recall on the greyscale photos: every "
                    "test photo through `colour.to_greyscale`, predicted by the same model")


@_register("04", 3, "put `{'prediction': your guess, 'measured': the test top-1}` in `answer`, "
           "both shares (0-1); the guess first", "model=model, images=gems.test.images, "
           "labels=gems.test.labels", "turn of only 20°")
def hue_turn_20(answer: Any, model: Any, images: np.ndarray, labels: np.ndarray) -> Verdict:
    """Test top-1 of the model on photos whose hue is turned by 20°, after a recorded guess."""
    from gemlib import colour, evaluate

    if not isinstance(answer, dict) or answer.get("prediction") is None:
        return _not_yet("write your guess first: `answer = {'prediction': your share}` (a share 0-1); "
                        "measure after that")
    guess = _number(answer["prediction"])
    if guess is None or not 0 <= guess <= 1:
        return _not_yet("your prediction should be one share between 0 and 1 (not percent)")
    if answer.get("measured") is None:
        return _not_yet("prediction recorded; now measure the top-1 at 20° and add it as "
                        "answer['measured']")
    measured = _number(answer["measured"])
    if measured is None:
        return _not_yet("answer['measured'] should be one number, a share 0-1")
    if measured > 1:
        return _not_yet("answer['measured'] looks like percent: give a share 0-1")
    logits = evaluate.predict_logits(model, colour.rotate_hue(np.asarray(images), 20))
    labels = np.asarray(labels)
    reference = float(evaluate.topk_correct(logits, labels).mean())
    if abs(measured - reference) < 5e-4 + 1e-9:  # the printed value, retyped to 3 decimals
        gap = 100 * (guess - reference)
        how = "spot on" if abs(gap) < 0.5 else f"{abs(gap):.0f} points {'above' if gap > 0 else 'below'}"
        return _right(f"(Your prediction was {how}.)")
    if abs(measured - float(evaluate.topk_correct(logits, labels, k=5).mean())) < 5e-4 + 1e-9:
        return _not_yet("that is the top-5 accuracy: top-1 counts only the highest logit")
    if abs(measured - (1 - reference)) < 5e-4 + 1e-9:
        return _not_yet("that is the error rate (the share wrong): give the share of photos the "
                        "model gets right")
    return _not_yet("not the top-1 at 20°: turn the hue of every test photo by 20° "
                    "(`colour.rotate_hue`), predict, and take the share whose highest logit is "
                    "the true class")


@_register("04", 2, "put `{'shared': ..., 'same_wrong': ...}` in `answer`, two counts",
           "labels=gems.test.labels, logits=logits, forest=forest, classes=gems.classes",
           "confuse the same pairs")
def shared_confusions(answer: Any, labels: np.ndarray, logits: np.ndarray, forest: np.ndarray,
                      classes: list[str]) -> Verdict:
    """Pairs both classifiers confused more than once; photos both got wrong the same way.

    ``logits`` are the CNN's and ``forest`` the forest's class probabilities, as in the lesson.
    """
    from gemlib import evaluate

    if not isinstance(answer, dict) or not {"shared", "same_wrong"} <= set(answer):
        return _not_yet("`answer` should be a dict with the keys 'shared' and 'same_wrong'")
    shared, same_wrong = _number(answer["shared"]), _number(answer["same_wrong"])
    if shared is None or same_wrong is None:
        return _not_yet("answer['shared'] and answer['same_wrong'] should each be one count")
    labels, logits, forest = np.asarray(labels), np.asarray(logits), np.asarray(forest)
    cnn, trees = logits.argmax(axis=1), forest.argmax(axis=1)

    def pairs(predicted: np.ndarray, at_least: int) -> set:
        table = evaluate.most_confused(labels, predicted, list(classes), top=None)
        table = table[table["count"] >= at_least]
        return set(zip(table["true"], table["predicted"]))

    if shared != len(pairs(cnn, 2) & pairs(trees, 2)):
        if shared == len(pairs(cnn, 1) & pairs(trees, 1)):
            return _not_yet("that counts pairs confused at least once: keep the pairs each "
                            "classifier confused more than once (`count >= 2`)")
        if shared in (len(pairs(cnn, 2)), len(pairs(trees, 2))):  # one list, not both
            return _not_yet("that is how many pairs ONE classifier confused more than once: "
                            "count the pairs on both lists")
        return _not_yet("not the shared pairs: the (true, predicted) pairs that both the CNN and "
                        "the forest confused more than once")
    # wrong by the lesson's rule (evaluate.topk_correct) or by the predicted class: both accepted
    wrong = [(~evaluate.topk_correct(logits, labels), ~evaluate.topk_correct(forest, labels)),
             (cnn != labels, trees != labels)]
    if same_wrong in [int((a & b & (cnn == trees)).sum()) for a, b in wrong]:
        return _right()
    if same_wrong in [int((a & b).sum()) for a, b in wrong]:
        return _not_yet("that counts every photo both get wrong: keep those where the two "
                        "wrong answers are the same class")
    if same_wrong == int((cnn == trees).sum()):
        return _not_yet("that counts every photo where the two answers agree, right ones "
                        "included: keep the photos both get wrong")
    return _not_yet("not the count: photos that both get wrong AND on which both name the "
                    "same wrong class")


def _colour_moments(images: np.ndarray, ddof: int = 0) -> np.ndarray:
    """Mean, standard deviation and skewness of R, then of G, then of B (0-255): (N, 9).

    The colour moments of Stricker & Orengo (1995), a feature no gemlib function returns.
    """
    from scipy.stats import skew

    rows = (np.asarray(img, np.float64).reshape(-1, 3) for img in images)  # one photo at a time
    return np.array([np.stack([p.mean(0), p.std(0, ddof=ddof), skew(p)], axis=1).ravel()
                     for p in rows]).reshape(len(images), 9)


@_register("04", 4, "put `{'features': ..., 'predicted': ..., 'only_cnn': ..., 'only_forest': ..., "
           "'p_value': ...}` in `answer`", "logits=logits, train=gems.train, test=gems.test",
           "colour-moment forest")
def colour_moment_forest(answer: Any, logits: np.ndarray, train: Any, test: Any) -> Verdict:
    """The student's colour-moment forest: its test features, its predictions, McNemar vs the CNN."""
    from scipy.stats import binomtest, chi2
    from sklearn.ensemble import RandomForestClassifier

    keys = {"features", "predicted", "only_cnn", "only_forest", "p_value"}
    if not isinstance(answer, dict) or not keys <= set(answer):
        missing = sorted(keys - set(answer)) if isinstance(answer, dict) else sorted(keys)
        return _not_yet(f"`answer` should be a dict with the keys {sorted(keys)}; "
                        f"missing: {missing}")
    features = _array(answer["features"])
    reference = _colour_moments(test.images)
    if features is None or features.shape != reference.shape:
        shape = None if features is None else features.shape
        return _not_yet(f"the test features have shape {shape}: one row per test photo, the mean, "
                        f"standard deviation and skewness of R, G and B, shape {reference.shape}")
    # float32 or float64 arithmetic both pass: a tolerance relative to each column's scale
    scale = np.abs(reference).max(axis=0, keepdims=True) + 1e-12
    in_tolerance = bool(np.all(np.abs(features - reference) <= 1e-3 * scale))
    sample_std = _colour_moments(test.images, ddof=1)
    if _close(features, sample_std, rtol=1e-5, atol=1e-6) and not _close(
            features, reference, rtol=1e-5, atol=1e-6):
        return _not_yet("the standard deviations use n - 1: use NumPy's default (`ddof=0`)")
    if not in_tolerance:
        by_kind = reference.reshape(-1, 3, 3).transpose(0, 2, 1).reshape(reference.shape)
        squared = reference.reshape(-1, 3, 3).copy()
        squared[..., 1] **= 2
        if _close(features, by_kind, rtol=1e-5, atol=1e-6):
            return _not_yet("the right numbers in another order: per channel its mean, standard "
                            "deviation and skewness (R's three, then G's, then B's)")
        if _close(features, squared.reshape(reference.shape), rtol=1e-5, atol=1e-6):
            return _not_yet("the second moment is the variance: take its square root, the "
                            "standard deviation")
        scaled = reference.reshape(-1, 3, 3) / [255, 255, 1]
        if _close(features, scaled.reshape(reference.shape), rtol=1e-5, atol=1e-6):
            return _not_yet("the values are on 0-1: keep the photos' own 0-255 scale")
        return _not_yet("not the features: for each photo and each of R, G and B, the mean, the "
                        "standard deviation and the skewness (`scipy.stats.skew`) of its pixels")
    predicted = _array(answer["predicted"])
    labels = np.asarray(test.labels)
    if predicted is None or predicted.shape != labels.shape:
        return _not_yet(f"answer['predicted'] should hold one class index per test photo, shape "
                        f"{labels.shape} (the forest's `predict`, or `argmax(1)` of its "
                        "probabilities)")
    forest = RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1)
    forest.fit(_colour_moments(train.images), np.asarray(train.labels))
    ours = forest.predict(reference)
    if (predicted == ours).mean() < 0.99:
        return _not_yet("not the predictions of your forest: 100 trees, `random_state=0`, fitted on "
                        "the training photos' features with their labels, then asked about the "
                        "test features")
    cnn = np.asarray(logits).argmax(axis=1) == labels
    mine = predicted == labels
    counts = (int((cnn & ~mine).sum()), int((~cnn & mine).sum()))
    got = (_number(answer["only_cnn"]), _number(answer["only_forest"]))
    if got != tuple(float(c) for c in counts):
        if got == tuple(float(c) for c in counts[::-1]):
            return _not_yet("your two counts are swapped: `only_cnn` counts the photos only the "
                            "CNN gets right")
        if float(int((cnn & mine).sum())) in got or float(int((~cnn & ~mine).sum())) in got:
            return _not_yet("a count includes the photos both get right (or both wrong): count "
                            "only the photos exactly one of the two gets right")
        return _not_yet("not the discordant counts: compare each classifier's predictions with "
                        "the labels, then count where only the CNN is right, and only the forest")
    p = _number(answer["p_value"])
    n = counts[0] + counts[1]
    if p is None:
        return _not_yet("answer['p_value'] should be one number")
    if np.isclose(p, binomtest(counts[0], n, 0.5).pvalue, rtol=1e-6, atol=1e-300):
        return _right()
    for alternative in ("greater", "less"):
        if np.isclose(p, binomtest(counts[0], n, 0.5, alternative=alternative).pvalue, rtol=1e-6):
            return _not_yet("your p-value is one-sided: keep the test two-sided")
    if np.isclose(p, chi2.sf((counts[0] - counts[1]) ** 2 / max(n, 1), 1), rtol=1e-6):
        return _not_yet("that is the chi-square approximation: use the exact test, a binomial "
                        "test of one count in their sum at one half")
    return _not_yet("the counts are right, the p-value is not: McNemar's exact test, as in the "
                    "lesson")


# ---------------------------------------------------------------------------------------------
# 05 saliency maps


@_register("05", 1, "put your map (one photo, the shape of `images[0]`) in `answer`",
           "model=model, image=images[0], target=runner_up[0]", "VarGrad with 10 noisy copies")
def vargrad_by_hand(answer: Any, model: Any, image: np.ndarray, target: int) -> Verdict:
    """Variance over 10 noisy copies (noise 0.1, seed 0) of each copy's gradient times that copy.

    The class is ``target`` (the runner-up). No single gemlib call returns this map.
    """
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

    def parts(cls: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
        """The 10 noisy copies and their gradients, the noise drawn as the lesson draws it."""
        x = image.astype(np.float32)
        rng = np.random.default_rng(0)
        sigma = noise * float(x.max() - x.min())
        noisy = x[None] + rng.normal(0.0, 1.0, size=(10, *x.shape)).astype(np.float32) * sigma
        return noisy, explain.gradients(model, noisy, int(cls)).astype(np.float64)

    def times_input(cls: int, noise: float) -> np.ndarray:
        noisy, grads = parts(cls, noise)
        return (grads * noisy).var(axis=0)

    noisy, grads = parts(int(target), 0.1)
    reference = (grads * noisy).var(axis=0)
    if _close(a, reference, rtol=1e-3):
        return _right()
    if _close(a, grads.var(axis=0), rtol=1e-3):
        return _not_yet("that is plain VarGrad: multiply each copy's gradient by that copy "
                        "(gradient × input) before taking the variance")
    if _close(a, (grads * image.astype(np.float64)).var(axis=0), rtol=1e-3):
        return _not_yet("you multiplied every gradient by the photo itself: multiply each by its "
                        "own noisy copy (the input the gradient was taken at)")
    if _close(a, times_input(int(target), 0.15), rtol=1e-3):
        return _not_yet("that uses the lesson's noise, 0.15: this exercise asks for 0.1 "
                        "(sigma = 0.1 of the photo's range)")
    top = int(explain.predicted_classes(model, image[None])[0])
    if top != int(target) and _close(a, times_input(top, 0.1), rtol=1e-3):
        return _not_yet("that is the map of the predicted class: explain the runner-up "
                        "(`runner_up[0]`), the class with the second-highest logit")
    if (a < -1e-12 * max(np.abs(a).max(), 1e-30)).any():
        return _not_yet("your map has negative values, and a variance never has: is it a mean "
                        "over the copies, or a single copy's map?")
    if _close(a**2, reference, rtol=1e-3):
        return _not_yet("that is the standard deviation: take the variance (`.var(axis=0)`)")
    if _close(a, reference * 10 / 9, rtol=1e-3):
        return _not_yet("off by the factor n/(n - 1): the library divides by n (`ddof=0`, "
                        "NumPy's default), not by n - 1")
    scale = float((a * reference).sum() / max((reference**2).sum(), 1e-300))
    if scale > 0 and _close(a / scale, reference, rtol=1e-3):
        return _not_yet("the right pattern, scaled by a constant: check sigma (10 % of the "
                        "photo's range) and that each gradient is multiplied once")
    import tensorflow as tf

    x = tf.constant(noisy.astype(np.float32))
    with tf.GradientTape() as tape:  # the slip of explaining the softmax probability
        tape.watch(x)
        total = tf.reduce_sum(tf.nn.softmax(model(x, training=False))[:, int(target)])
    soft = tape.gradient(total, x).numpy().astype(np.float64)
    if _close(a, (soft * noisy).var(axis=0), rtol=1e-3):
        return _not_yet("that explains the softmax probability: differentiate the runner-up's "
                        "logit, the model's output before any softmax")
    rho = spearmanr(a.ravel(), reference.ravel()).statistic
    if rho > 0.8:
        return _not_yet("close, but not equal: did you use the same seed? Noise from "
                        "`np.random.default_rng(0)`, `rng.normal(0, 1, size=(10, ...))` times "
                        "sigma, one tape over the 10 copies")
    return _not_yet("not this map: the gradient of the runner-up's logit (not the sum of all "
                    "logits) at 10 noisy copies, each times its copy, the variance over them")


@_register("05", 2, "put `{'runner-up vs predicted': [...], 'noise floor': [...]}` in `answer`, "
           "one number per photo (the first three)",
           "model=model, images=images[:3], predicted=predicted[:3], runner_up=runner_up",
           "noise floor")
def runner_up_against_floor(answer: Any, model: Any, images: np.ndarray, predicted: Any,
                            runner_up: Any) -> Verdict:
    """Spearman (absolute maps) of the runner-up's VarGrad map and of a second draw (seed 1)
    against the predicted class's VarGrad map (seed 0), per photo; rounding to 2 decimals passes.
    """
    from gemlib import explain, sanity

    keys = ("runner-up vs predicted", "noise floor")
    try:
        got = {k: np.asarray(list(answer[k]), dtype=np.float64).ravel() for k in keys}
    except (KeyError, TypeError, ValueError, IndexError):
        return _not_yet("`answer` should hold two lists of numbers, under the keys "
                        "'runner-up vs predicted' and 'noise floor' (a dict or a DataFrame)")
    n = len(images)
    if any(len(v) != n for v in got.values()):
        return _not_yet(f"one number per photo: the first {n} photos, so {n} numbers under each key")
    mine, floor = got[keys[0]], got[keys[1]]
    pred = explain.vargrad(model, images, predicted, seed=0)
    other = explain.vargrad(model, images, runner_up, seed=0)
    again = explain.vargrad(model, images, predicted, seed=1)

    def similarity(a: np.ndarray, b: np.ndarray, key: str = "spearman_abs") -> np.ndarray:
        return np.array([sanity.map_similarity(x, y)[key] for x, y in zip(a, b)])

    ref_mine, ref_floor = similarity(pred, other), similarity(pred, again)

    def near(a: np.ndarray, b: np.ndarray) -> bool:
        return _close(a, b, rtol=0.0, atol=0.0051)

    if near(mine, ref_mine) and near(floor, ref_floor):
        return _right("Compare the two columns photo by photo.")
    if near(mine, ref_floor) and near(floor, ref_mine):
        return _not_yet("the two lists are swapped: the runner-up's comparison first, the second "
                        "draw of the predicted class's map under 'noise floor'")
    if np.allclose(floor, 1.0, atol=0.0051):
        return _not_yet("a noise floor of 1 means the two maps were drawn with the same noise: "
                        "draw the second map of the predicted class with `seed=1`")
    if near(floor, similarity(other, explain.vargrad(model, images, runner_up, seed=1))):
        return _not_yet("that noise floor is the runner-up's: the floor is a second draw of the "
                        "*predicted* class's map, compared with its first")
    if near(mine, similarity(pred, other, "ssim")) or near(floor, similarity(pred, again, "ssim")):
        return _not_yet("that is SSIM: take `\"spearman_abs\"`, the rank correlation of the "
                        "absolute maps")
    if near(floor, ref_floor):
        return _not_yet("the noise floor is right, the runner-up's numbers are not: the map of "
                        "`runner_up` (seed 0) against the predicted class's map (seed 0)")
    if near(mine, ref_mine):
        return _not_yet("the runner-up's numbers are right, the noise floor is not: the predicted "
                        "class's map drawn with `seed=1` against the one with `seed=0`")
    return _not_yet("not these numbers: VarGrad maps as in the runner-up figure (`explain.vargrad`, "
                    "its defaults, seed 0), compared with `sanity.map_similarity(...)[\"spearman_abs\"]`")


@_register("05", 3, "put your gradient × input map of the first photo (the shape of `images[0]`) in "
           "`answer`", "grad=grad, image=images[0]", "Predict, then draw")
def gradient_times_input(answer: Any, grad: np.ndarray, image: np.ndarray) -> Verdict:
    """The first tape cell's gradient times the photo itself, no noise: ``grad * images[0]``.

    A leading axis of 1 (the batch the figure is drawn from) passes too.
    """
    from gemlib import explain

    a = _array(answer)
    if a is None:
        return _not_yet("`answer` should be a NumPy array (`.numpy()` turns a tensor into one)")
    g, x = np.asarray(grad, np.float64), np.asarray(image, np.float64)
    reference = g * x
    if a.shape == (1, *reference.shape):
        a = a[0]
    if a.shape != reference.shape:
        if a.shape in {reference.shape[:-1], (1, *reference.shape[:-1])}:
            if _close(a.reshape(reference.shape[:-1]),
                      explain.to_heatmap(reference[None])[0], rtol=1e-3):
                return _not_yet("that is the heatmap drawn from the map: put the map itself, before "
                                "`explain.to_heatmap`, in `answer`")
            return _not_yet(f"your array has shape {a.shape}: keep the three channels, one product "
                            "per pixel and channel")
        return _not_yet(f"your array has shape {a.shape} but the photo is {reference.shape}: one "
                        "product per pixel and channel")
    if _close(a, reference, rtol=1e-4):
        return _right("Is it bright where you predicted?")
    if _close(a, g, rtol=1e-4):
        return _not_yet("that is the gradient alone: multiply it by the photo, `images[0]`")
    if _close(a, reference / 255.0, rtol=1e-4):
        return _not_yet("you scaled the photo to 0-1: the model takes pixel values 0-255, so "
                        "multiply by `images[0]` as it is")
    if _close(a, np.abs(g) * x, rtol=1e-4):
        return _not_yet("that multiplies the gradient's absolute value: keep its sign, "
                        "`grad * images[0]`")
    if _close(a, g + x, rtol=1e-4):
        return _not_yet("that adds the photo to the gradient: multiply them")
    return _not_yet("not this map: the first tape cell's `grad` times the first photo, pixel by "
                    "pixel and channel by channel, with no noise")


# ---------------------------------------------------------------------------------------------
# 06 trusting the maps


# maps a check has drawn for a model, kept while the model lives (a student runs a check again
# and again; each randomised copy would be traced anew): model -> {key: array}
_MAPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _model_maps(model: Any, key: tuple, compute: Callable[[], np.ndarray]) -> np.ndarray:
    """``compute()``, once per model and ``key`` (arrays in the key count by their bytes)."""
    digest = tuple(hashlib.sha1(np.ascontiguousarray(k).tobytes()).hexdigest() + str(k.shape)
                   if isinstance(k, np.ndarray) else k for k in key)
    store = _MAPS.setdefault(model, {})
    if digest not in store:
        store[digest] = compute()
    return store[digest]


@_register("06", 3, "put the two Spearman correlations (one per photo) in `answer`",
           "model=model, images=images[:2], targets=predicted[:2]", "randomisation")
def one_layer_randomised(answer: Any, model: Any, images: np.ndarray, targets: np.ndarray) -> Verdict:
    """Spearman correlation of |gradient| maps, trained against ``stem_conv`` alone randomised, per photo."""
    import keras
    from scipy.stats import spearmanr

    from gemlib import explain, sanity

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
    images, targets = np.asarray(images), np.asarray(targets)
    trained = _model_maps(model, ("trained", images, targets),
                          lambda: explain.gradient(model, images, targets))

    def spoiled(layer: str, seed: int = 0) -> np.ndarray:
        def compute() -> np.ndarray:
            clone = keras.models.clone_model(model)
            clone.set_weights(model.get_weights())
            sanity.randomise_layer(clone.get_layer(layer), np.random.default_rng(seed))
            return explain.gradient(clone, images, targets)

        return _model_maps(model, (layer, seed, images, targets), compute)

    def rho(x: np.ndarray, y: np.ndarray, signed: bool = False) -> np.ndarray:
        f = (lambda m: m.sum(-1).ravel()) if signed else (lambda m: np.abs(m).sum(-1).ravel())
        return np.array([spearmanr(f(p), f(q)).statistic for p, q in zip(x, y)])

    stem = spoiled("stem_conv")
    tol = 1e-5  # the same calls give the same floats; a value retyped from a printout does not pass
    if np.abs(a - rho(trained, stem)).max() <= tol:
        return _right()
    if np.abs(a - rho(trained, stem, signed=True)).max() <= tol:
        return _not_yet("you ranked the signed gradients: take `np.abs` of each map, then sum "
                        "over the channels")
    if np.abs(a - 1.0).max() <= tol:
        return _not_yet("a correlation of 1: the copy still explains like the model. Randomise the "
                        "copy's `stem_conv` layer after `set_weights`, and draw the maps with the copy")
    if np.abs(a - rho(trained, spoiled("logits"))).max() <= tol:
        return _not_yet("that is the logits layer randomised: re-initialise only the copy's "
                        "`stem_conv` layer, the first convolution")
    decimals = next((d for d in (2, 3, 4) if np.allclose(np.round(rho(trained, stem), d), a,
                                                         rtol=0, atol=1e-9)), None)
    if decimals is not None:
        return _not_yet(f"right to {decimals} decimals, but rounded: put the computed correlations "
                        "themselves in `answer` (e.g. the list of `spearmanr(...).statistic`), "
                        "not numbers copied from a printout")
    if np.abs(a - rho(trained, stem)).max() <= 0.1:
        return _not_yet("close, but not equal: did you use the same seed? "
                        "`sanity.randomise_layer(layer, np.random.default_rng(0))`, maps from "
                        "`explain.gradient`")
    return _not_yet("not yet: rank-correlate (Spearman) the absolute gradient maps summed over the "
                    "channels, trained model against the copy whose `stem_conv` alone is random")


@_register("06", 2, "put `{'vargrad': area, 'random': area}` in `answer`: photo 0's deletion area "
           "with blurred pixels, for VarGrad's order and for the random one",
           "model=model, image=images[0], heat=heat, target=predicted[0]", "blur")
def deletion_with_blur(answer: Any, model: Any, image: np.ndarray, heat: np.ndarray,
                       target: int) -> Verdict:
    """Deletion areas with a blurred fill, for VarGrad's order (most salient first) and a random one."""
    from gemlib import evaluate, sanity

    if not isinstance(answer, dict):
        return _not_yet("`answer` should be a dict: `{'vargrad': area, 'random': area}`")
    given = {str(k).lower(): _number(v) for k, v in answer.items()}
    if set(given) != {"vargrad", "random"} or any(v is None for v in given.values()):
        return _not_yet("`answer` should have two keys, 'vargrad' and 'random', each one number "
                        "(the area under that order's deletion curve)")
    image, heat = np.asarray(image), np.asarray(heat)
    h, w = heat.shape

    def areas(fill: str = "blur", ascending: bool = False, logits: bool = False,
              indices: bool = False) -> dict:
        backdrop = sanity.blurred(image) if fill == "blur" else np.zeros_like(image, np.float32)
        orders = {"vargrad": np.argsort(heat.ravel() if ascending else -heat.ravel(), kind="stable"),
                  "random": np.random.default_rng(0).permutation(heat.size)}
        out = {}
        for name, order in orders.items():
            copies = []
            for f in sanity.FRACTIONS:
                gone = np.zeros(heat.size, bool)
                gone[order[: int(round(f * heat.size))]] = True
                copies.append(np.where(gone.reshape(h, w, 1), backdrop, image))
            scores = evaluate.predict_logits(model, np.stack(copies))
            curve = (scores if logits else evaluate.softmax(scores))[:, int(target)]
            out[name] = float(np.trapezoid(curve) if indices else np.trapezoid(curve, sanity.FRACTIONS))
        return out

    def same(ref: dict, keys: tuple = ("vargrad", "random")) -> bool:
        # exact, or rounded to 3 decimals as a printout shows it
        return all(abs(given[k] - ref[k]) <= 1e-6 * max(1.0, abs(ref[k])) or
                   abs(given[k] - round(ref[k], 3)) <= 1e-9 for k in keys)

    ref = _model_maps(model, ("blur areas", image, heat, int(target)), lambda: areas())
    if same(ref):
        winner = "VarGrad's" if ref["vargrad"] < ref["random"] else "the random"
        return _right(f"{winner} order gives the smaller area: compare it with your prediction")
    if same({"vargrad": ref["random"], "random": ref["vargrad"]}):
        return _not_yet("your two areas are swapped: 'vargrad' is the order from the map, "
                        "'random' the permutation")
    if same(areas(fill="black")):
        return _not_yet("those are the areas with black pixels: take the removed pixels from "
                        "`sanity.blurred(images[0])` instead of 0")
    if same(areas(ascending=True), ("vargrad",)):
        return _not_yet("your VarGrad order removes the least salient pixels first: sort by "
                        "`-heat.ravel()` so the most salient go first")
    if same(areas(logits=True)):
        return _not_yet("those are areas under the logits: turn them into probabilities "
                        "(`evaluate.softmax`) before taking the class's column")
    if same(areas(indices=True)):
        return _not_yet("the trapezoid ran over the copies' indices (0, 1, 2, ...): pass the "
                        "fractions too, `np.trapezoid(probs, sanity.FRACTIONS)`")
    if same(ref, ("vargrad",)):
        return _not_yet("VarGrad's area is right; the random one is not: use "
                        "`np.random.default_rng(0).permutation(heat.size)`")
    if same(ref, ("random",)):
        return _not_yet("the random order's area is right; VarGrad's is not: rank the pixels of "
                        "`heat` (section 3's unclipped map), most salient first")
    return _not_yet("not yet: for each order, replace the top fraction of `sanity.FRACTIONS` with "
                    "the blurred copy's pixels, score the copies' class probability, and take "
                    "`np.trapezoid` over the fractions")


NOISE_LEVELS = (0.05, 0.15, 0.3, 1.0)  # exercise 1's four noise levels


def _by_key(answer: Any, aliases: dict) -> dict | None:
    """A dict, Series or DataFrame (columns) as ``{canonical key: value}``; None if not one."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover
        pd = None
    if pd is not None and isinstance(answer, pd.DataFrame):
        answer = ({k: v for k, v in answer["mean"].items()} if "mean" in answer.columns
                  else {k: answer[k].to_numpy() for k in answer.columns})
    elif pd is not None and isinstance(answer, pd.Series):
        answer = dict(answer.items())
    if not isinstance(answer, dict):
        return None
    out = {}
    for k, v in answer.items():
        key = aliases.get(k.lower() if isinstance(k, str) else k, k)
        if isinstance(key, (int, float, np.floating, np.integer)) and not isinstance(key, bool):
            key = round(float(key), 6)
        out[key] = v
    return out


@_register("06", 1, "put the grid energies in `answer`, as `{noise: [one per photo]}` for the "
           "noise levels 0.05, 0.15, 0.3 and 1.0",
           "model=model, images=images[:3], targets=predicted[:3]", "noise")
def grid_energy_by_noise(answer: Any, model: Any, images: np.ndarray, targets: np.ndarray) -> Verdict:
    """Grid energy of |VarGrad| summed over the channels, 50 copies, seed 0, at four noise levels."""
    from gemlib import explain

    given = _by_key(answer, {})
    if given is None:
        return _not_yet("`answer` should be a dict from each noise level to its grid energies "
                        "(or a DataFrame with one column per noise level)")
    if set(given) != set(NOISE_LEVELS):
        return _not_yet("`answer` needs exactly the four noise levels 0.05, 0.15, 0.3 and 1.0 as "
                        "its keys, each with one grid energy per photo")
    n = len(images)
    values = {k: _array(v) for k, v in given.items()}
    if any(v is None or v.shape != (n,) for v in values.values()):
        return _not_yet(f"each noise level needs {n} grid energies, one per photo, as numbers")
    images, targets = np.asarray(images), np.asarray(targets)

    def maps(method: str, noise: float) -> np.ndarray:
        run = explain.vargrad if method == "vargrad" else explain.smoothgrad
        return _model_maps(model, (method, noise, images, targets),
                           lambda: run(model, images, targets, n_samples=50, noise=noise, seed=0))

    def energies(method: str = "vargrad", score: str = "abs") -> dict:
        def one(m: np.ndarray) -> np.ndarray:
            return np.abs(m).sum(-1) if score == "abs" else explain.to_heatmap(m)
        return {s: np.asarray(explain.grid_energy(one(maps(method, s))), np.float64)
                for s in NOISE_LEVELS}

    def same(ref: dict) -> bool:  # exact, or rounded to 3 decimals as the table prints it
        return all(np.abs(values[s] - ref[s]).max() <= 1e-4 * max(1e-3, np.abs(ref[s]).max()) or
                   np.abs(values[s] - np.round(ref[s], 3)).max() <= 1e-9 for s in NOISE_LEVELS)

    ref = energies()
    if same(ref):
        return _right("Compare the σ = 1.0 values with white noise's and the untrained 5 × 5 "
                      "stem's (section 1), then with your prediction")
    if same(energies(score="heatmap")):
        return _not_yet("you scored the drawn heatmaps (`explain.to_heatmap` clips the brightest "
                        "1 %): score `np.abs(maps).sum(-1)` instead")
    if same(energies(method="smoothgrad")):
        return _not_yet("those are SmoothGrad's maps: the exercise asks for VarGrad "
                        "(`explain.vargrad`)")
    swapped = [a for a in NOISE_LEVELS for b in NOISE_LEVELS
               if a != b and np.abs(values[a] - ref[b]).max() <= 1e-4 * max(1e-3, np.abs(ref[b]).max())]
    if swapped:
        return _not_yet("some values sit under the wrong noise level: pair each key with the "
                        "maps drawn at that `noise`")
    if all(np.abs(values[s] - ref[s]).max() <= 0.3 * max(1e-3, np.abs(ref[s]).max())
           for s in NOISE_LEVELS):
        return _not_yet("close, but not equal: use `n_samples=50` and `seed=0` in "
                        "`explain.vargrad`, and the first three photos with their predicted classes")
    return _not_yet("for each noise level, draw VarGrad maps with that `noise`, take "
                    "`np.abs(...).sum(-1)` and score them with `explain.grid_energy`")


@_register("06", 4, "put the two mean changes in `answer`, as `{'nearer': mean, 'farther': mean}` "
           "(the kept photos below and above the median distance from mid grey)",
           'images=gems.test.images, changes=changes["grey"]', "median")
def backdrop_distance_split(answer: Any, images: np.ndarray, changes: Any) -> Verdict:
    """Mean ``change`` of the kept photos at or below and above the median backdrop distance."""
    from gemlib import backdrop

    given = _by_key(answer, {"nearer": "nearer", "farther": "farther", False: "nearer",
                             True: "farther"})
    if given is None or set(given) != {"nearer", "farther"}:
        return _not_yet("`answer` should be `{'nearer': mean, 'farther': mean}` (or the groupby's "
                        "result, indexed False and True)")
    a = {k: _number(v) for k, v in given.items()}
    if any(v is None for v in a.values()):
        return _not_yet("each of 'nearer' and 'farther' should be one number, a mean change")
    images = np.asarray(images)
    colours = np.stack([backdrop.border_colour(x) for x in images])

    def split(centre: float = 128.0, drop: bool = True, kept_median: bool = True,
              sign: float = 1.0) -> dict:
        distance = np.linalg.norm(colours - centre, axis=1)
        kept = changes[~changes["mask_failed"].to_numpy()] if drop else changes
        d = distance[kept["image"].to_numpy()]
        farther = d > np.median(d if kept_median else distance)
        change = sign * kept["change"].to_numpy()
        return {"nearer": float(change[~farther].mean()), "farther": float(change[farther].mean())}

    def same(ref: dict) -> bool:
        return all(abs(a[k] - ref[k]) <= 1e-6 or abs(a[k] - round(ref[k], 3)) <= 1e-9
                   for k in ("nearer", "farther"))

    ref = split()
    if same(ref):
        return _right("Do the farther photos lose more? Compare with your prediction")
    if same({"nearer": ref["farther"], "farther": ref["nearer"]}):
        return _not_yet("your two means are swapped: 'farther' is the half above the median "
                        "distance")
    if same(split(sign=-1.0)):
        return _not_yet("the sign is flipped: `change` is after minus before, so a loss is "
                        "negative; use the column as it is")
    if same(split(drop=False)):
        return _not_yet("drop the photos whose mask failed (`mask_failed`) before splitting")
    if same(split(centre=0.0)):
        return _not_yet("that is the distance from black: subtract mid grey, (128, 128, 128), "
                        "from each colour first")
    if same(split(kept_median=False)):
        return _not_yet("take the median over the kept photos' distances, not over all photos")
    return _not_yet("each photo's `backdrop.border_colour`, its distance from (128, 128, 128) "
                    "with `np.linalg.norm`, then the mean `change` of the kept photos at or "
                    "below and above the median distance")


# ---------------------------------------------------------------------------------------------
# 07 transfer


def _leaf_layers(model: Any) -> list:
    """The layers of ``model``, with those of any model nested in it in their place."""
    import keras

    found = []
    for layer in model.layers:
        found.extend(_leaf_layers(layer) if isinstance(layer, keras.Model) else [layer])
    return found


def _size(weights: list) -> int:
    return int(sum(np.prod(w.shape) for w in weights))


@_register("07", 1, "put a table of per-style test recall in `answer`: a pandas DataFrame indexed "
           "by style name, with the columns 'scratch' and 'transfer'",
           "logits=logits, labels=arch.test.labels, classes=arch.classes", "compare recall")
def per_style_recall(answer: Any, logits: dict, labels: np.ndarray, classes: list) -> Verdict:
    """Each model's recall per style on the test photos, from its predicted class.

    ``logits`` maps "scratch" and "transfer" to test logits. Further columns (a difference, say)
    are allowed; rows are matched by style name, so any order is fine.
    """
    import pandas as pd

    from gemlib import evaluate

    names = ("scratch", "transfer")
    if not isinstance(answer, pd.DataFrame):
        return _not_yet("`answer` should be a pandas DataFrame: one row per style, a column per "
                        "model ('scratch' and 'transfer')")
    missing = [n for n in names if n not in answer.columns]
    if missing:
        return _not_yet(f"your table has no column {missing[0]!r}: name the columns after the "
                        "models, 'scratch' and 'transfer'")
    if ("recall" in answer.columns or "precision" in answer.columns
            or any(np.ndim(answer[n]) != 1 for n in names)):
        return _not_yet("keep one recall column per model: take `['recall']` of each model's "
                        "`per_class_table` and put the two side by side")
    labels = np.asarray(labels)
    tables = {n: evaluate.per_class_table(labels, np.asarray(logits[n]).argmax(1), list(classes))
              .set_index("class") for n in names}
    if len(answer) != len(classes):
        return _not_yet(f"your table has {len(answer)} rows: give one per style ({len(classes)})")
    if set(map(str, answer.index)) != set(classes):
        return _not_yet("index the rows by style name (`.set_index('class')` on each "
                        "`per_class_table`), so the two models' rows line up style by style")
    got = {n: _array(answer[n].reindex(list(classes))) for n in names}
    if any(g is None or not np.isfinite(g).all() for g in got.values()):
        return _not_yet("each model's column should hold one number per style, for every style")

    def same(column: str, flip: bool = False, scale: float = 1.0) -> bool:
        return all(np.allclose(got[n], scale * tables[names[1 - i] if flip else n][column]
                               .reindex(list(classes)).to_numpy(np.float64), atol=1e-6)
                   for i, n in enumerate(names))

    if same("recall"):
        return _right("Which styles lose most, and are the gains larger than a photo or two "
                      "of a style's test photos?")
    if same("recall", scale=100):
        return _not_yet("your recalls are in %: give them as shares between 0 and 1")
    if same("recall", flip=True):
        return _not_yet("your two columns are swapped: 'scratch' goes with logits['scratch']")
    if same("precision"):
        return _not_yet("that is precision (of the photos given a style, the share right); recall "
                        "is of the photos of a style, the share found: take the 'recall' column")
    if same("f1"):
        return _not_yet("that is the F1 score: take the 'recall' column of `per_class_table`")
    if any(np.allclose(got[n], tables[n]["recall"].to_numpy(np.float64), atol=1e-6) for n in names):
        return _not_yet("the values are right but in another order than the style names: "
                        "`per_class_table` sorts its rows by F1, so index each by 'class' before "
                        "putting them side by side")
    return _not_yet("per model: `evaluate.per_class_table(arch.test.labels, logits[name].argmax(1), "
                    "arch.classes)`, its 'recall' column indexed by 'class'")


@_register("07", 2, "put `{'prediction': your count, 'model': your Keras model}` in `answer`; "
           "the count first", "backbone=backbone, images=small.val.images[:2], "
           "n_classes=len(arch.classes)", "the recipe's head")
def frozen_backbone_head(answer: Any, backbone: Any, images: np.ndarray, n_classes: int) -> Verdict:
    """A head of two dense layers (256 units, ELU; then softmax) on the frozen pooled features.

    The model must reuse ``backbone``'s layers up to ``gap`` with their gemstone weights, none of
    them trainable, and none of the gemstone head after ``gap``; its trainable weights are then
    the new head's alone, and the count predicted first is compared with theirs.
    """
    import keras

    if not isinstance(answer, dict) or answer.get("prediction") is None:
        return _not_yet("write your count first: `answer = {'prediction': ...}`, the number of "
                        "weights the new head trains; build the model after that")
    guess = _number(answer["prediction"])
    if guess is None:
        return _not_yet("answer['prediction'] should be one number: the weights the head trains")
    model = answer.get("model")
    if model is None:
        return _not_yet("prediction recorded; now build the model and add it as answer['model']")
    if not isinstance(model, keras.Model):
        return _not_yet("answer['model'] should be a `keras.Model` (or `keras.Sequential`) from "
                        "the photo to the style probabilities")
    names = [layer.name for layer in backbone.layers]
    cut = names.index("gap") + 1
    ours = {layer.name: layer for layer in _leaf_layers(model)}
    outputs = int(model.output_shape[-1])
    if outputs != n_classes:
        return _not_yet(f"your model gives {outputs} outputs: the new head needs one per "
                        f"building style ({n_classes})")
    if set(names[cut:]) & set(ours):
        return _not_yet("your head sits on the gemstone head (its `head_dense0` ... `logits` are "
                        "in your model): take the features at `backbone.get_layer('gap').output`")
    if "gap" not in ours:
        return _not_yet("your head does not read the pooled features: take them at "
                        "`backbone.get_layer('gap').output`, 256 numbers per photo")
    trains = [n for n in names[:cut] if n in ours and ours[n].trainable_weights]
    if trains:
        return _not_yet(f"the backbone still trains ({trains[0]} and others): set `trainable = "
                        "False` on it before `compile`, so that only the new head learns")
    if "stem_conv" in ours and not all(
            np.array_equal(a, b) for a, b in zip(ours["stem_conv"].get_weights(),
                                                 backbone.get_layer("stem_conv").get_weights())):
        return _not_yet("the frozen layers do not hold the gemstone weights: build on `backbone` "
                        "itself, not on a clone of it")
    probabilities = np.asarray(model(np.asarray(images), training=False), dtype=np.float64)
    if (probabilities < 0).any() or not np.allclose(probabilities.sum(axis=1), 1, atol=1e-4):
        return _not_yet("the outputs are not probabilities: give the last `Dense` "
                        "`activation='softmax'`")
    head = [layer for name, layer in ours.items() if name not in names[:cut]
            and isinstance(layer, keras.layers.Dense)]
    if len(head) == 1:
        return _not_yet("that is the single softmax layer of 'The head-only phase in Keras': "
                        "put a `Dense(256, activation='elu')` before the softmax layer")
    if len(head) != 2 or head[0].units != 256:
        return _not_yet("the head should be two `Dense` layers: 256 units with "
                        "`activation='elu'`, then one output per style with softmax")
    if head[0].get_config().get("activation") != "elu":
        return _not_yet("the 256-unit layer should bend with ELU, as `models.replace_head`'s "
                        "does: `Dense(256, activation='elu')`")
    features = int(backbone.get_layer("gap").output.shape[-1])
    reference = features * 256 + 256 + 256 * n_classes + n_classes
    counted = _size(model.trainable_weights)
    if counted != reference:  # a head of the right shape trains these alone
        return _not_yet("the model trains other weights than the new head's: freeze everything "
                        "up to `gap` and add only the two new `Dense` layers")
    if guess == reference:
        return _right("(Your count was spot on.)")
    if guess == reference - 256 - n_classes:
        return _not_yet("your model is right, but your count is off: it left out the biases, "
                        "one per output of each layer")
    if guess == 256 * n_classes + n_classes:
        return _not_yet("your model is right, but your count is off: it has the last layer "
                        "only, and the 256-unit layer trains too")
    return _not_yet("your model is right, but your count is off: count each `Dense` layer's "
                    "`a × b` weights and `b` biases, then add the two layers")


@_register("07", 3, "put the 2,000 resampled mean gaps, in points, in `answer` (photo indices from "
           "`np.random.default_rng(0).integers(0, n, size=(2000, n))`)",
           "logits=seed_logits, labels=arch.test.labels", "paired bootstrap")
def recipe_gap_resamples(answer: Any, logits: dict, labels: np.ndarray) -> Verdict:
    """The 2,000 paired bootstrap means of scratch minus transfer, in points, over the test photos.

    Each photo scores the mean right-or-wrong of a recipe's two seeds (0, 0.5 or 1); ``logits`` maps
    ``(recipe, seed)`` to test logits. Resample ``r`` uses the photos
    ``np.random.default_rng(0).integers(0, n, size=(2000, n))[r]`` for both recipes (paired).
    """
    a = _array(answer)
    labels = np.asarray(labels)
    n = len(labels)
    ok = {run: np.asarray(lg).argmax(axis=1) == labels for run, lg in logits.items()}
    score = {r: (ok[r, 0].astype(np.float64) + ok[r, 1]) / 2 for r in ("scratch", "transfer")}
    idx = np.random.default_rng(0).integers(0, n, size=(2000, n))
    gap = 100 * (score["scratch"] - score["transfer"])
    ref = gap[idx].mean(axis=1)
    if a is not None and a.shape == (2,):
        return _not_yet("that looks like an interval: put the 2,000 resampled means themselves in "
                        "`answer` (the interval is their 2.5th and 97.5th percentiles)")
    if a is None or a.shape != (2000,):
        return _not_yet("`answer` should be 2,000 numbers, one mean gap per resample, in points")

    def near(x: np.ndarray) -> bool:
        return bool(np.allclose(a, x, rtol=0, atol=1e-6))

    if near(ref):
        return _right()
    if near(ref / 100):
        return _not_yet("your gaps are in fractions: give them in points (times 100)")
    if near(-ref):
        return _not_yet("the sign is turned round: scratch minus transfer")
    if np.allclose(np.sort(a), np.sort(ref), rtol=0, atol=1e-6):
        return _not_yet("the right numbers in another order: keep the resamples in the order drawn")
    for seed in (0, 1):
        if near(100 * (ok["scratch", seed].astype(np.float64) - ok["transfer", seed])[idx].mean(axis=1)):
            return _not_yet(f"that is seed {seed}'s pair alone: average each recipe's two seeds "
                            "photo by photo first")
    if near(100 * (score["scratch"][idx].mean(axis=1) - score["transfer"][idx[::-1]].mean(axis=1))):
        return _not_yet("each recipe got other photo indices: use one set per resample for both "
                        "recipes (paired)")
    if abs(float(a.mean()) - float(gap.mean())) < 0.5:
        return _not_yet("close, but not these resamples: use the same photo indices for both "
                        "recipes (paired), one row of "
                        "`np.random.default_rng(0).integers(0, n, size=(2000, n))` per resample, "
                        "and average the per-photo gap over each row")
    return _not_yet("per photo, average each recipe's two seeds, take scratch minus transfer, and "
                    "average it over each resample's photos (one set of indices for both recipes)")


def _pair_set(answer: Any, classes: list) -> set | str:
    """The answer's pairs as a set of frozensets of style names, or a hint on its shape."""
    import pandas as pd

    if isinstance(answer, pd.DataFrame):
        if not {"true", "predicted"} <= set(answer.columns):
            return "a DataFrame answer needs the columns 'true' and 'predicted'"
        answer = list(zip(answer["true"], answer["predicted"]))
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__iter__"):
        return "`answer` should be a set of (style, style) pairs"
    names = {c: c for c in classes}
    names.update({c.replace(" architecture", "").replace(" style", ""): c for c in classes})
    pairs = set()
    for pair in answer:
        if isinstance(pair, (str, bytes)) or not hasattr(pair, "__len__") or len(pair) != 2:
            return "each element of `answer` should be one pair, a tuple of two style names"
        both = []
        for style in pair:
            if isinstance(style, (int, np.integer)) and 0 <= int(style) < len(classes):
                style = classes[int(style)]
            if style not in names:
                return "write each style by its name, as `arch.classes` spells it"
            both.append(names[style])
        if both[0] == both[1]:
            return "a pair joins two different styles (a style taken for another)"
        pairs.add(frozenset(both))
    return pairs


@_register("07", 4, "put the pairs confused both ways in `answer`: a set of (style, style) tuples, "
           "each pair once, from the scratch model's 40 most frequent confusions",
           'labels=arch.test.labels, predicted=pred, classes=arch.classes, '
           'transfer_logits=logits["transfer"]', "both ways")
def both_way_confusions(answer: Any, labels: np.ndarray, predicted: np.ndarray, classes: list,
                        transfer_logits: np.ndarray | None = None) -> Verdict:
    """The pairs {A, B} with A taken for B and B for A among the 40 most frequent confusions.

    ``predicted`` is the scratch model's predicted class per test photo; a pair may be given in
    either order, by full or short style name, or as a DataFrame with 'true' and 'predicted'.
    """
    from gemlib.evaluate import most_confused

    got = _pair_set(answer, list(classes))
    if isinstance(got, str):
        return _not_yet(got)
    labels = np.asarray(labels)

    def mixups(pred: np.ndarray, top: int | None = 40, both_ways: bool = True) -> set:
        table = most_confused(labels, np.asarray(pred), list(classes), top=top)
        one_way = set(zip(table["true"], table["predicted"]))
        return {frozenset(p) for p in one_way if not both_ways or (p[1], p[0]) in one_way}

    ref = mixups(predicted)
    if got == ref:
        return _right("Are the pairs styles that are historically or visually related?")
    if got == mixups(predicted, top=10):
        return _not_yet("those are the pairs among the 10 most frequent confusions "
                        "(`most_confused`'s default): ask for `top=40`")
    if got == mixups(predicted, top=None):
        return _not_yet("those are the pairs among all the confusions: keep the 40 most "
                        "frequent, `top=40`")
    if transfer_logits is not None and got == mixups(np.asarray(transfer_logits).argmax(1)):
        return _not_yet("those are the transfer model's confusions: use the scratch model's "
                        "predictions, `pred`")
    if got == mixups(predicted, both_ways=False) or (got > ref):
        return _not_yet("some of your pairs go only one way: keep A and B only if A is taken for "
                        "B and B for A, both among the 40 (merge the table with itself, "
                        "columns swapped)")
    if got < ref:
        return _not_yet("all your pairs go both ways, but some are missing: look through all "
                        "40 confusions, not only the first few")
    return _not_yet("merge `evaluate.most_confused(arch.test.labels, pred, arch.classes, top=40)` "
                    "with itself, 'true' matched to 'predicted' and 'predicted' to 'true', and "
                    "keep each pair once")


@_register("07", 5, "put `{'prediction': 'more' or 'less', 'gemstone weights': ..., 'random weights': "
           "...}` in `answer`: your guess first, then each head's validation accuracy",
           "feats=feats, train_labels=small.train.labels, val_labels=small.val.labels",
           "10 training photos per style")
def ten_per_style_probe(answer: Any, feats: dict, train_labels: np.ndarray,
                        val_labels: np.ndarray) -> Verdict:
    """Both linear probes refitted on the first 10 photos of each style, scored on validation.

    ``feats[name]`` holds (training features, validation features) for "gemstone weights" and
    "random weights"; each head is the lesson's probe, ``StandardScaler`` then
    ``LogisticRegression(C=0.01, max_iter=1000)``. The scores are checked only once the guess
    ("more" or "less": does the gemstone head lead by more than with 40 photos?) is written.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    names = ("gemstone weights", "random weights")
    if not isinstance(answer, dict) or answer.get("prediction") is None:
        return _not_yet("write your guess first: `answer = {'prediction': 'more'}` (or 'less'); "
                        "then add the two validation accuracies")
    if answer["prediction"] not in ("more", "less"):
        return _not_yet("your prediction should be the word 'more' or 'less'")
    if any(answer.get(name) is None for name in names):
        return _not_yet("prediction recorded; now fit both heads and add answer['gemstone weights'] "
                        "and answer['random weights'], one validation accuracy each")
    got = {name: _number(answer[name]) for name in names}
    if any(v is None for v in got.values()):
        return _not_yet("each accuracy should be one number, what `head.score(...)` returns")
    if any(1 < v <= 100 for v in got.values()):
        return _not_yet("give each accuracy as a share between 0 and 1, not in %")
    train_labels, val_labels = np.asarray(train_labels), np.asarray(val_labels)
    ten = np.concatenate([np.flatnonzero(train_labels == s)[:10] for s in np.unique(train_labels)])
    every = np.arange(len(train_labels))
    scores: dict = {}

    def score(name: str, rows: np.ndarray, scaled: bool = True, c: float = 0.01,
              on: str = "val") -> float:
        key = (name, len(rows), scaled, c, on)
        if key not in scores:
            f_train, f_val = (np.asarray(f) for f in feats[name])
            steps = [StandardScaler()] if scaled else []
            head = make_pipeline(*steps, LogisticRegression(C=c, max_iter=1000))
            head.fit(f_train[rows], train_labels[rows])
            scores[key] = (head.score(f_val, val_labels) if on == "val"
                           else head.score(f_train[rows], train_labels[rows]))
        return scores[key]

    tolerance = 0.5 / len(val_labels)  # less than one validation photo

    def same(value: float, name: str, **how: Any) -> bool:
        return abs(value - score(name, how.pop("rows", ten), **how)) < tolerance

    def both(**how: Any) -> bool:
        return all(same(got[name], name, **dict(how)) for name in names)

    if both():
        lead = score(names[0], ten) - score(names[1], ten)
        lead_40 = score(names[0], every) - score(names[1], every)
        was = "more" if lead > lead_40 else "less"
        how = "right" if answer["prediction"] == was else "off"
        return _right(f"(Your prediction was {how}.) Is the lead larger than a photo or two of "
                      f"the {len(val_labels)}?")
    if same(got[names[0]], names[1]) and same(got[names[1]], names[0]):
        return _not_yet("your two accuracies are swapped: 'gemstone weights' goes with "
                        "feats['gemstone weights']")
    if both(rows=every):
        return _not_yet("those are the scores with all the photos of `small.train` (40 per style): "
                        "fit on the first 10 of each style, "
                        "`np.flatnonzero(small.train.labels == s)[:10]`")
    if both(on="train"):
        return _not_yet("you scored the heads on the photos they were fitted on: score them on "
                        "the validation features, `head.score(f_val, small.val.labels)`")
    if both(scaled=False):
        return _not_yet("your heads have no `StandardScaler()`: the probe scales each feature "
                        "before the logistic regression, `make_pipeline(StandardScaler(), ...)`")
    if both(c=1.0):
        return _not_yet("your heads are regularised with scikit-learn's default `C=1.0`: the probe "
                        "uses `LogisticRegression(C=0.01, max_iter=1000)`")
    ok = [name for name in names if same(got[name], name)]
    if len(ok) == 1:
        wrong = names[1 - names.index(ok[0])]
        return _not_yet(f"your '{ok[0]}' head is right, your '{wrong}' one is not: fit it the same "
                        f"way on feats['{wrong}']")
    return _not_yet("these are not the probe's scores: the first 10 photos of each style in `small.train`, "
                    "`StandardScaler()` then `LogisticRegression(C=0.01, max_iter=1000)`, scored "
                    "on all the validation photos")


# ---------------------------------------------------------------------------------------------
# 08 published mistakes


@_register("08", 1, "put `(validation, chosen, quoted, best)` in `answer`: per draw, every "
           "candidate's validation score (an array shaped like `scores`), the candidate chosen on "
           "them, its test score, and the best test score",
           "accuracy=a, n_images=n, scores=scores, disagreement=one_only", "a validation score too")
def chosen_on_validation(answer: Any, accuracy: float, n_images: int, scores: np.ndarray,
                         disagreement: float) -> Verdict:
    """The best-of-k simulation with a validation score: choose on validation, quote the test score.

    ``scores`` (draws, k) are the lesson's test scores. ``validation`` must have that shape and
    hold shares of ``n_images`` validation photos with luck of their own, its candidates sharing
    their answers as the lesson's do: two candidates disagree on a share ``disagreement`` of the
    photos, so the variance of two scores' difference is ``disagreement / n_images``. ``chosen`` (draws,) must
    be the candidate with the highest validation score of each draw, ``quoted`` its test score and
    ``best`` the highest test score. Chosen so, the quoted score's mean sits at the true accuracy.
    """
    scores = np.asarray(scores, float)
    draws, k = scores.shape
    if not isinstance(answer, (tuple, list)) or len(answer) != 4:
        return _not_yet("`answer` should be four arrays, `(validation, chosen, quoted, best)`")
    validation = _array(answer[0])
    if validation is None or validation.shape != scores.shape:
        return _not_yet(f"`validation` should be a {draws} x {k} array, shaped like `scores`: one "
                        "validation score per draw and candidate")
    parts = [_array(part) for part in answer[1:]]
    if any(p is None or p.shape != (draws,) for p in parts):
        return _not_yet(f"`chosen`, `quoted` and `best` should be 1-D arrays of {draws} values, "
                        "one per draw")
    chosen, quoted, best = parts
    counts = validation * n_images
    if validation.min() < 0 or validation.max() > 1 or not np.allclose(counts, np.round(counts),
                                                                         atol=1e-6):
        return _not_yet(f"`validation` should hold scores: shares right of {n_images} validation "
                        "photos, the mean over the photos' axis of their right-or-wrong answers")
    if np.allclose(validation, scores):
        return _not_yet("your validation scores are the test scores: give the validation photos "
                        "answers of their own (new shared, own and redraw arrays)")
    if k > 1:
        gaps = np.diff(validation, axis=1)  # neighbouring candidates' score differences
        ratio = float(np.mean(gaps**2)) / (disagreement / n_images)
        if ratio > 1.3:
            return _not_yet(f"your validation candidates disagree {ratio:.1f} times as much as the "
                            f"lesson's (right for one only on {disagreement:.3f} of the photos): "
                            "keep the shared answer and redraw only a share `r` of the photos")
        if ratio < 0.75:
            return _not_yet("your validation candidates agree more than the lesson's: each should "
                            "redraw its own answer on a share `r` of the photos, as in mistake 5")
    if not np.allclose(best, scores.max(axis=1)):
        return _not_yet("`best` should be the highest test score of each draw (`scores.max(axis=1)`)")
    if not np.allclose(chosen, np.round(chosen)) or chosen.min() < 0 or chosen.max() > k - 1:
        return _not_yet(f"`chosen` should hold candidate indices, 0 to {k - 1}: the `argmax` over "
                        "the candidates' validation scores")
    rows, picked = np.arange(draws), np.round(chosen).astype(int)
    on_top = validation[rows, picked] >= validation.max(axis=1) - 1e-9
    if not on_top.all():
        if np.allclose(scores[rows, picked], best):
            return _not_yet("you chose the candidate with the best *test* score: choose on the "
                            "validation scores (`validation.argmax(axis=1)`)")
        return _not_yet(f"in {int((~on_top).sum())} of {draws} draws `chosen` is not the candidate "
                        "with the best validation score: `validation.argmax(axis=1)`")
    if not np.allclose(quoted, scores[rows, picked]):
        if np.allclose(quoted, validation[rows, picked]):
            return _not_yet("you quoted the validation score: quote the chosen candidate's *test* "
                            "score, `scores[np.arange(draws), chosen]`")
        return _not_yet("`quoted` should be the chosen candidate's test score, "
                        "`scores[np.arange(draws), chosen]`")
    if abs(float(validation.mean()) - accuracy) > 0.004:
        return _not_yet("your validation scores average away from `a`: every candidate's true "
                        "accuracy is `a` on the validation photos too")
    if np.corrcoef(validation.mean(axis=1), scores.mean(axis=1))[0, 1] > 0.3:
        return _not_yet("your validation scores rise and fall with the test scores: draw the "
                        "validation photos' shared answers anew, rather than reusing `shared`")
    if abs(float(quoted.mean()) - accuracy) <= 0.004:
        return _right()
    return _not_yet("your quoted scores sit away from the true accuracy: choose on validation scores "
                    "whose luck is not the test photos' (their own shared and own answers)")


@_register("08", 6, "put `(counts, recall, precision)` of the seed-1 model in `answer`: the "
           "87 x 87 count matrix (rows true, columns predicted), then one number per class each",
           "labels=gems.test.labels, logits=logits_1, shipped=pred",
           "recall and precision")
def recall_precision(answer: Any, labels: np.ndarray, logits: np.ndarray, shipped: np.ndarray) -> Verdict:
    """The count matrix of the predictions ``logits.argmax(1)``, and each class's recall and precision.

    A class never predicted has precision 0 (no division by zero). ``shipped`` are the shipped
    model's predictions, to notice an answer computed from the wrong model.
    """
    labels = np.asarray(labels)
    logits = np.asarray(logits)
    n = logits.shape[1]

    def both(pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        counts = np.zeros((n, n))
        np.add.at(counts, (labels, np.asarray(pred)), 1)
        hits, rows, cols = np.diag(counts), counts.sum(axis=1), counts.sum(axis=0)
        return (np.divide(hits, rows, out=np.zeros(n), where=rows > 0),
                np.divide(hits, cols, out=np.zeros(n), where=cols > 0))

    counts = np.zeros((n, n))
    np.add.at(counts, (labels, logits.argmax(axis=1)), 1)
    recall, precision = both(logits.argmax(axis=1))
    if not isinstance(answer, (tuple, list)) or len(answer) != 3:
        return _not_yet("`answer` should be three arrays, `(counts, recall, precision)`")
    got_counts = _array(answer[0])
    if got_counts is None or got_counts.shape != (n, n):
        return _not_yet(f"your counts should be an {n} x {n} array: rows the true class, columns "
                        "the predicted one")
    if not np.array_equal(got_counts, counts):
        if np.array_equal(got_counts, counts.T):
            return _not_yet("your counts are transposed: rows are the true class, columns the "
                            "predicted one (`np.add.at(counts, (labels, predicted), 1)`)")
        shipped_counts = np.zeros((n, n))
        np.add.at(shipped_counts, (labels, np.asarray(shipped)), 1)
        if np.array_equal(got_counts, shipped_counts):
            return _not_yet("those are the shipped model's counts (`pred`): use seed 1's "
                            "predictions, `logits_1.argmax(axis=1)`")
        return _not_yet("your counts are not yet right: add 1 at (true, predicted) for every photo, "
                        "with `np.add.at` on an array of zeros")
    parts = [_array(part) for part in answer[1:]]
    if any(part is None for part in parts):
        return _not_yet("`answer` should be three arrays of numbers, `(counts, recall, precision)`")
    for part, name in zip(parts, ("recall", "precision")):
        if part.shape == (n, n):
            return _not_yet(f"your {name} is a whole matrix: one number per class, read on the "
                            "diagonal of the counts")
        if part.shape != (n,):
            return _not_yet(f"your {name} has shape {part.shape}: one number per class, shape ({n},)")
        if np.isnan(part).any():
            return _not_yet(f"your {name} has NaN where a class was never predicted: leave it at 0 "
                            "(`np.divide(..., out=np.zeros(...), where=sums > 0)`)")
    got_recall, got_precision = parts

    def near(a: np.ndarray, b: np.ndarray) -> bool:
        return bool(np.allclose(a, b, rtol=0, atol=1e-9))

    if near(got_recall, recall) and near(got_precision, precision):
        return _right()
    if near(got_recall, precision) and near(got_precision, recall):
        return _not_yet("your two arrays are swapped (or the counts transposed): recall divides by a "
                        "row sum (the photos of the class), precision by a column sum")
    seed0 = both(shipped)
    if near(got_recall, seed0[0]) or near(got_precision, seed0[1]):
        return _not_yet("those are the shipped model's numbers (`pred`): use seed 1's predictions, "
                        "`logits_1.argmax(axis=1)`")
    if near(got_recall, recall):
        return _not_yet("your recall is right, your precision is not: the right answers of a class "
                        "over the photos *predicted* as it (the column sum)")
    if near(got_precision, precision):
        return _not_yet("your precision is right, your recall is not: the right answers of a class "
                        "over its photos (the row sum)")
    return _not_yet("count (true, predicted) pairs with `np.add.at`; a class's right answers "
                    "sit on the diagonal; recall divides them by the row sum, precision by the column sum")


@_register("08", 2, "put `{0.15: ..., 1.0: ...}` in `answer`: for each σ, the rank correlation of "
           "one unclipped noisy copy's brightness with the photo's", "image=photos[0]",
           "brightness")
def noisy_copy_brightness(answer: Any, image: np.ndarray) -> Verdict:
    """Spearman correlation of an unclipped noisy copy's brightness (channel sum) with the photo's.

    The noise is Gaussian with σ times the photo's range (``np.ptp``). The copy is random, so the
    reference is the mean over six draws, and an answer within 0.008 of it, or within four of the
    draws' standard deviations, is right (draws of the lesson's photo scatter by about 0.005 at
    σ = 1.0). A clipped copy moves the value by about as much, so it is not told apart.
    """
    from scipy.stats import pearsonr, spearmanr

    if not isinstance(answer, dict) or set(answer) != {0.15, 1.0}:
        return _not_yet("`answer` should be a dict with the keys 0.15 and 1.0, one rank correlation "
                        "per σ")
    got = {s: _number(v) for s, v in answer.items()}
    if any(v is None for v in got.values()):
        return _not_yet("each value should be one number: the `.statistic` of `spearmanr`")
    x = np.asarray(image, np.float64)
    spread = float(np.ptp(x))
    light = x.sum(axis=-1).ravel()

    noises = [np.random.default_rng([8, 2, seed]).normal(0, 1, x.shape) for seed in range(6)]
    scatter = {}

    def mean_over_draws(measure: Callable[[np.ndarray, float], float]) -> dict[float, float]:
        out = {}
        for s in (0.15, 1.0):
            values = [measure(x + noise * s * spread, s) for noise in noises]
            out[s] = float(np.mean(values))
            scatter.setdefault(s, float(np.std(values)))  # the first measure: the right one
        return out

    def rank(copy: np.ndarray, s: float) -> float:
        return float(spearmanr(light, copy.sum(axis=-1).ravel()).statistic)

    ref = mean_over_draws(rank)
    near = {s: max(0.008, 4 * scatter[s]) for s in ref}
    if all(abs(got[s] - ref[s]) <= near[s] for s in ref):
        return _right()
    if all(abs(got[s] - ref[t]) <= near[t] for s, t in ((0.15, 1.0), (1.0, 0.15))):
        return _not_yet("your two values are swapped: the larger noise, σ = 1.0, leaves less of the "
                        "photo's order")
    slips = {
        "your noise is σ itself, far too small on pixel values of 0-255: draw it with a standard "
        "deviation of σ times the photo's range, `s * spread`":
            mean_over_draws(lambda c, s: rank(x + (c - x) / spread, s)),
        "that is Pearson's correlation: rank-correlate with `spearmanr`":
            mean_over_draws(lambda c, s: float(pearsonr(light, c.sum(axis=-1).ravel()).statistic)),
        "that compares one channel: brightness is the sum of the three channels":
            mean_over_draws(lambda c, s: float(spearmanr(x[..., 0].ravel(),
                                                         c[..., 0].ravel()).statistic)),
    }
    for hint, values in slips.items():
        if all(abs(got[s] - values[s]) <= near[s] for s in values):
            return _not_yet(hint)
    return _not_yet("add Gaussian noise of σ times the photo's range to `photos[0]`, sum "
                    "the three channels of the copy and of the photo, and rank-correlate the two")


@_register("08", 5, "put the classes whose two diagonals agree in `answer`: a boolean array with one "
           "value per class (or their indices)", "labels=gems.test.labels, pred=pred",
           "two matrices agree")
def diagonals_agree(answer: Any, labels: np.ndarray, pred: np.ndarray) -> Verdict:
    """The classes whose recall (row-normalised diagonal) equals their precision (column-normalised)."""
    labels, pred = np.asarray(labels), np.asarray(pred)
    n = int(max(labels.max(), pred.max())) + 1
    counts = np.zeros((n, n))
    np.add.at(counts, (labels, pred), 1)
    hits, rows, cols = np.diag(counts), counts.sum(axis=1), counts.sum(axis=0)
    recall = np.divide(hits, rows, out=np.zeros(n), where=rows > 0)
    precision = np.divide(hits, cols, out=np.zeros(n), where=cols > 0)
    same = np.isclose(recall, precision)
    got = np.asarray(answer)
    if got.ndim == 0:
        return _not_yet("that is one number: give the classes themselves, the boolean array of "
                        "`np.isclose` on the two diagonals")
    if got.shape == (n, n):
        return _not_yet("that compares the whole matrices: compare their diagonals, `np.diag(...)`")
    if got.dtype == bool:
        if got.shape != (n,):
            return _not_yet(f"a boolean answer should hold one value per class, shape ({n},)")
        mask = got
    elif np.issubdtype(got.dtype, np.integer) and got.ndim == 1:
        if got.size and (got.min() < 0 or got.max() >= n):
            return _not_yet(f"class indices run from 0 to {n - 1}")
        mask = np.zeros(n, bool)
        mask[got] = True
    else:
        return _not_yet("give a boolean array, one value per class, or the classes' indices")
    if np.array_equal(mask, same):
        return _right()
    if np.array_equal(mask, ~same):
        return _not_yet("those are the classes whose diagonals differ: keep those that agree")
    if np.array_equal(mask, rows == cols):
        return _not_yet("equal counts are not the only reason: a class never predicted right has "
                        "0 on both diagonals, so compare the diagonals themselves")
    if np.array_equal(mask, same & (hits > 0)):
        return _not_yet("you left out classes with no right answer: their recall and precision are "
                        "both 0, so they agree too")
    return _not_yet("compare the two diagonals, `np.isclose(np.diag(by_row), "
                    "np.diag(by_column))`")


def _two_columns(answer: Any, columns: tuple[str, str]) -> Any:
    """``answer`` as a pandas DataFrame with ``columns``, or a hint (str) saying what is wrong."""
    import pandas as pd

    want = " and ".join(f"`{c}`" for c in columns)
    if isinstance(answer, dict):
        try:
            answer = pd.DataFrame(answer)
        except (TypeError, ValueError):
            return f"`answer` should be a table with the columns {want}"
    if not isinstance(answer, pd.DataFrame):
        return f"`answer` should be a table (a pandas DataFrame) with the columns {want}"
    if not set(columns) <= set(answer.columns):
        return f"your table's columns are {list(answer.columns)}: name them {want}"
    table = answer[list(columns)]
    try:
        return table.astype(np.float64)
    except (TypeError, ValueError):
        return "each cell of the table should be one number"


@_register("08", 3, "put a table in `answer`, one row per photo, with the columns `VarGrad` and "
           "`variance of IG`: the rank correlation of each map's size (summed over the channels) "
           "with the photo's brightness", "right=right, ig_var=ig_var, photos=photos",
           "variance of IG")
def map_brightness(answer: Any, right: np.ndarray, ig_var: np.ndarray, photos: np.ndarray) -> Verdict:
    """Per photo, Spearman's correlation of ``|map|`` summed over the channels with the photo's
    brightness (its channel sum), for VarGrad (``right``) and the variance of IG (``ig_var``)."""
    from scipy.stats import pearsonr, spearmanr

    columns = ("VarGrad", "variance of IG")
    table = _two_columns(answer, columns)
    if isinstance(table, str):
        return _not_yet(table)
    x = np.asarray(photos, np.float64)
    if len(table) != len(x):
        return _not_yet(f"your table has {len(table)} rows: one per photo, {len(x)} in all, each "
                        "with its own correlation (not one over all the photos together)")
    got = table.to_numpy()
    maps = [np.abs(np.asarray(m, np.float64)) for m in (right, ig_var)]

    def per_photo(measure: Callable[[np.ndarray, np.ndarray], float],
                  change: Callable[[np.ndarray], np.ndarray] = lambda m: m) -> np.ndarray:
        return np.array([[measure(change(m[i]), x[i]) for m in maps] for i in range(len(x))])

    def rank(m: np.ndarray, photo: np.ndarray) -> float:
        return float(spearmanr(m.sum(axis=-1).ravel(), photo.sum(axis=-1).ravel()).statistic)

    def near(ref: np.ndarray) -> bool:
        return bool(np.all(np.abs(got - ref) <= 0.006))  # the table may be rounded to 2 decimals

    ref = per_photo(rank)
    if near(ref):
        return _right()
    if near(ref[:, ::-1]):
        return _not_yet("your two columns are swapped: `VarGrad` is `right`, `variance of IG` is "
                        "`ig_var`")
    slips = {
        "that is Pearson's correlation: rank-correlate with `spearmanr`":
            per_photo(lambda m, p: float(pearsonr(m.sum(axis=-1).ravel(),
                                                  p.sum(axis=-1).ravel()).statistic)),
        "that compares one channel: sum the map's size and the photo over the three channels":
            per_photo(lambda m, p: float(spearmanr(m[..., 0].ravel(), p[..., 0].ravel()).statistic)),
        "that pairs every channel separately: sum the map's size and the photo over the channels "
        "first, one value per pixel":
            per_photo(lambda m, p: float(spearmanr(m.ravel(), p.ravel()).statistic)),
        "those are the standard deviations' maps (the published reduction): take the variances, "
        "`right` and `ig_var`":
            per_photo(rank, np.sqrt),
    }
    for hint, values in slips.items():
        if near(values):
            return _not_yet(hint)
    for j, name in enumerate(columns):
        if np.all(np.abs(got[:, j] - ref[:, j]) <= 0.006):
            other = columns[1 - j]
            return _not_yet(f"your `{name}` column is right, your `{other}` column is not: the same "
                            "measure on the other map")
    return _not_yet("per photo, sum the map's size (`np.abs`) over the channels and rank-correlate it "
                    "(`spearmanr`) with the photo's brightness, the sum of its three channels")


@_register("08", 4, "put a table in `answer`, indexed by the number of candidates k (1 to 100), "
           "with the columns `shared photos` and `independent`: the optimism of the best of k",
           "n_images=n, accuracy=a, disagreement=one_only", "independent candidates")
def optimism_by_k(answer: Any, n_images: int, accuracy: float, disagreement: float) -> Verdict:
    """The optimism of the best of k (:func:`gemlib.published.best_of_k_optimism`) for candidates
    that share the photos (``disagreement``) and for independent ones, for the k of the table.

    The simulation is random: an answer within 0.003 of the reference (2,000 draws) is right,
    several times the scatter between seeds (about 0.001 on 363 photos).
    """
    from gemlib.published import best_of_k_optimism

    columns = ("shared photos", "independent")
    table = _two_columns(answer, columns)
    if isinstance(table, str):
        return _not_yet(table)
    try:
        ks = np.asarray(table.index, np.float64)
    except (TypeError, ValueError):
        ks = np.array([np.nan])
    if (not np.isfinite(ks).all() or not np.allclose(ks, np.round(ks)) or ks.min() < 1
            or ks.max() > 100):
        return _not_yet("index your table by the number of candidates k, whole numbers from 1 to 100")
    if len(set(ks)) < 3 or ks.max() < 20:
        return _not_yet("take several k, from 1 up to 100, enough to see the curve's shape")
    ks = [int(k) for k in np.round(ks)]
    got = table.to_numpy()

    def optimism(disagree: float | None) -> np.ndarray:
        return np.array([best_of_k_optimism(k, n_images, accuracy, draws=2000,
                                            disagreement=disagree)["optimism"] for k in ks])

    def near(values: np.ndarray, ref: np.ndarray, tol: float = 0.003) -> bool:
        return bool(np.all(np.abs(values - ref) <= tol))

    shared, independent = optimism(disagreement), optimism(None)
    ref = np.stack([shared, independent], axis=1)
    if near(got, ref):
        return _right()
    if near(got, ref[:, ::-1]):
        return _not_yet("your two columns are swapped: `shared photos` passes `disagreement`, "
                        "`independent` does not")
    if near(got, ref + accuracy):
        return _not_yet("those are the mean best scores: the optimism is the best score's mean "
                        "minus the true accuracy (`[\"optimism\"]`)")
    if near(got / 100, ref, 0.003):
        return _not_yet("those are points: give the optimism as a share, as the library does")
    if near(got[:, 0], independent) and near(got[:, 1], independent):
        return _not_yet("both columns are independent candidates: for `shared photos` pass "
                        "`disagreement=one_only`")
    if near(got[:, 0], shared) and near(got[:, 1], shared):
        return _not_yet("both columns share the photos: leave `disagreement` out for `independent`")
    if np.nanmin(got) > 0.3:
        return _not_yet("the optimism is a few points at most: the best score's mean minus the true "
                        "accuracy, `[\"optimism\"]`, not a share of draws")
    a = float(accuracy)
    r = 1 - np.sqrt(1 - disagreement / (2 * a * (1 - a)))
    if near(got[:, 1], independent) and near(got[:, 0], optimism(float(r))):
        return _not_yet("your `shared photos` column passes `r`: `disagreement` is the share right "
                        "for one candidate only, `one_only`")
    if near(got[:, 1], independent):
        return _not_yet("your `independent` column is right; for `shared photos` call "
                        "`published.best_of_k_optimism` with `disagreement=one_only`")
    if near(got[:, 0], shared):
        return _not_yet("your `shared photos` column is right; for `independent` call "
                        "`published.best_of_k_optimism` without `disagreement`")
    return _not_yet("for each k call `published.best_of_k_optimism(k, n, a, ...)` and keep its "
                    "`\"optimism\"`, once with `disagreement=one_only` and once without")


# ---------------------------------------------------------------------------------------------
# 09 more tools, and your own photo


@_register("09", 1, "put `{'prediction': (row, column) you expect, 'drops': your 4 × 4 grid}` in "
           "`answer`", "model=model, image=images[0], target=c", "occlusion by hand")
def occlusion_by_hand(answer: Any, model: Any, image: np.ndarray, target: int) -> Verdict:
    """Drops of ``target``'s logit for 16 side-by-side squares, each filled with its OWN mean colour.

    A square keeps its colour and loses its detail, a fill :func:`gemlib.occlusion.patch_drops`
    does not do. The drops are checked only once a prediction (which square matters most) is written.
    """
    from scipy.stats import spearmanr

    if not isinstance(answer, dict) or answer.get("prediction") is None:
        return _not_yet("write your guess first: `answer = {'prediction': (1, 2)}` (the row and "
                        "column, 0-3, of the square you expect to matter most); then add 'drops'")
    guess = _array(answer["prediction"])
    if guess is None or guess.shape != (2,) or not np.isin(guess, np.arange(4)).all():
        return _not_yet("your prediction should be a (row, column) pair, each 0-3")
    if answer.get("drops") is None:
        return _not_yet("prediction recorded; now hide the squares and add your grid as 'drops'")
    a = _array(answer["drops"])
    if a is None:
        return _not_yet("'drops' should be a NumPy array of 16 drops, shape (4, 4)")
    image = np.asarray(image)
    side = image.shape[0] // 4
    x = image.astype(np.float32)

    def logit(batch: np.ndarray) -> np.ndarray:
        return np.asarray(model(batch, training=False))[:, int(target)].astype(np.float64)

    def own_fill_drops(fill_of) -> np.ndarray:
        """Drops when square (i, j) is filled with ``fill_of(square)``."""
        hidden = np.repeat(x[None], 16, axis=0)
        for k in range(16):
            i, j = divmod(k, 4)
            square = hidden[k, i * side : (i + 1) * side, j * side : (j + 1) * side]
            square[...] = fill_of(x[i * side : (i + 1) * side, j * side : (j + 1) * side])
        return (logit(x[None])[0] - logit(hidden)).reshape(4, 4)

    drops = own_fill_drops(lambda sq: sq.mean(axis=(0, 1)))
    best = tuple(int(k) for k in np.unravel_index(drops.argmax(), drops.shape))
    how = "right" if tuple(int(g) for g in guess) == best else f"off: the largest drop is at {best}"

    def near(v: np.ndarray, ref: np.ndarray) -> bool:
        return _close(v, ref, rtol=1e-3, atol=1e-4)

    if a.shape == image.shape[:2]:
        if near(a, np.kron(drops, np.ones((side, side)))):
            return _right(f"(A map, one value per pixel; the grid is `[::{side}, ::{side}]` of it. "
                          f"Your prediction was {how}.)")
        return _not_yet(f"your array is a map of the photo, {a.shape}: give the 4 × 4 grid, one "
                        "drop per square")
    if a.shape == (16,):
        return _not_yet("your 16 drops are in a flat list: arrange them as a 4 × 4 grid, one row per "
                        "top edge (`np.reshape(drops, (4, 4))` if you went row by row)")
    if a.shape != drops.shape:
        return _not_yet(f"your array has shape {a.shape}: one drop per square, a 4 × 4 grid "
                        "(row i: the squares whose top edge is i quarters down)")
    if near(a, drops):
        return _right(f"(Your prediction was {how}.)")
    if near(a, -drops):
        return _not_yet("your drops have the wrong sign: a drop is the photo's logit minus the "
                        "hidden copy's (positive when hiding lowers the score)")
    if near(a, drops.T):
        return _not_yet("your grid is transposed: rows go down the photo (the square's top edge), "
                        "columns across it (its left edge)")
    if near(a, logit(x[None])[0] - drops):
        return _not_yet("those are the hidden copies' logits: subtract each from the logit of the "
                        "photo itself")
    slips = [
        (lambda sq: x.mean(axis=(0, 1)),
         "that fills every square with the whole photo's mean colour (what `occlusion.patch_drops` "
         "does): fill each square with its own mean colour, `square.mean(axis=(0, 1))`"),
        (lambda sq: 0.0, "your squares are black (0): fill each with its own mean colour"),
        (lambda sq: sq.mean(), "your squares hold one mean over all three channels: take the mean "
                               "of each channel (`axis=(0, 1)`)"),
        (lambda sq: np.floor(sq.mean(axis=(0, 1))),
         "close: the mean colour lost its decimals. Is your copy of the photo `uint8`? Make it "
         "`float32` before you paste the square in"),
    ]
    for fill_of, hint in slips:
        if near(a, own_fill_drops(fill_of)):
            return _not_yet(hint)
    rho = spearmanr(a.ravel(), drops.ravel()).statistic if np.ptp(a) > 0 else 0.0
    if rho > 0.9:
        return _not_yet(f"close, but not equal: one square at a time, {side} × {side} pixels, "
                        "filled with that square's own mean colour; the logit of class c (the "
                        "model's output before the softmax)")
    return _not_yet(f"not the drops of class c's logit: hide one {side} × {side} square at a time "
                    "(16 positions, side by side, each filled with its own mean colour), and "
                    "record the photo's logit minus the hidden copy's")


@_register("09", 2, "put `{'IG vs VarGrad': ..., 'noise floor': ...}` in `answer`, for the second "
           "photo (`images[1]`): the Spearman agreement (`spearman_abs`) of PAIR's IG heatmap with "
           "VarGrad, and of VarGrad with its draw at `seed=2`",
           "model=model, images=images, targets=predicted, vargrad=vargrad", "Another PAIR method")
def pair_ig_against_floor(answer: Any, model: Any, images: np.ndarray, targets: Any,
                          vargrad: np.ndarray) -> Verdict:
    """PAIR's Integrated Gradients (black baseline, 25 steps) of the second photo, against VarGrad.

    ``vargrad`` holds the photos' VarGrad heatmaps (seed 0). The floor is the second photo's VarGrad
    drawn again with ``seed=2`` (alone, or as the second of all the photos), against ``vargrad[1]``.
    Both numbers may lie within 0.0051 of the reference, so two-decimal rounding passes; 50 IG
    steps instead of 25 move the IG agreement by far less.
    """
    import saliency.core as saliency

    from gemlib import explain, occlusion, pair

    keys = {"IG vs VarGrad", "noise floor"}
    if not isinstance(answer, dict) or set(answer) != keys:
        return _not_yet("`answer` should be a dict with the keys 'IG vs VarGrad' and 'noise floor'")
    got = {k: _number(v) for k, v in answer.items()}
    if any(v is None for v in got.values()):
        return _not_yet("each value should be one number: the `spearman_abs` of `occlusion.agreement`")
    targets = np.asarray(targets).ravel()

    def near(a: float, b: float) -> bool:
        return abs(a - b) <= 0.0051

    def ig_agreement(k: int, cls: int) -> float:
        x = np.asarray(images[k], np.float32)
        ig = saliency.IntegratedGradients().GetMask(x, pair.call_model_function(model, int(cls)),
                                                    x_baseline=np.zeros_like(x), x_steps=25,
                                                    batch_size=5)
        return occlusion.agreement(explain.to_heatmap(ig[None])[0], vargrad[k])["spearman_abs"]

    def floors(k: int, seed: int) -> list[float]:
        alone = explain.vargrad(model, images[k : k + 1], targets[k : k + 1], seed=seed)[0]
        batch = explain.vargrad(model, images, targets, seed=seed)[k]
        return [occlusion.agreement(explain.to_heatmap(m[None])[0], vargrad[k])["spearman_abs"]
                for m in (alone, batch)]

    ig_ref, floor_refs = ig_agreement(1, targets[1]), floors(1, 2)
    ig_ok = near(got["IG vs VarGrad"], ig_ref)
    floor_ok = any(near(got["noise floor"], f) for f in floor_refs)
    if ig_ok and floor_ok:
        return _right("Is Integrated Gradients above or below the noise floor?")
    if near(got["noise floor"], ig_ref) and any(near(got["IG vs VarGrad"], f) for f in floor_refs):
        return _not_yet("your two values are swapped: the noise floor is VarGrad against its second "
                        "draw, the IG agreement goes under 'IG vs VarGrad'")
    if not floor_ok:
        if near(got["noise floor"], 1.0):
            return _not_yet("your noise floor compares VarGrad with itself: draw the second map with "
                            "`seed=2`, not the seed of `vargrad` (0)")
        if any(near(got["noise floor"], f) for f in floors(0, 2)):
            return _not_yet("that is the first photo's noise floor: this exercise is about the "
                            "second photo, `images[1]`, against `vargrad[1]`")
        return _not_yet("the noise floor should be the `spearman_abs` of `occlusion.agreement` of "
                        "VarGrad of `images[1:2]` (class `predicted[1:2]`, `seed=2`) as a heatmap "
                        "with `vargrad[1]`")
    if int(targets[0]) != int(targets[1]) and near(got["IG vs VarGrad"], ig_agreement(1, targets[0])):
        return _not_yet("your `call_model` explains class `c`, the first photo's class: build one "
                        "for the second photo's class, `pair.call_model_function(model, "
                        "int(predicted[1]))`")
    if near(got["IG vs VarGrad"], ig_agreement(0, targets[0])):
        return _not_yet("that is the first photo's IG agreement: compute IG of `images[1]` and "
                        "compare it with `vargrad[1]`")
    return _not_yet("your IG agreement is not yet right: PAIR's `IntegratedGradients().GetMask` of "
                    "the second photo (as float32) with a `call_model` for `predicted[1]`, a black "
                    "baseline (`np.zeros_like`) and `x_steps=25`, then "
                    "`explain.to_heatmap(ig[None])[0]` against `vargrad[1]`")


@_register("09", 3, "put `{'per side': {(p, s): your formula's count}, 'passes': {(p, s): forward "
           "passes}}` in `answer`, for the four (patch, stride) settings", "",
           "Count before you run")
def occlusion_grid_counts(answer: Any, size: int = 128) -> Verdict:
    """Positions per side predicted by a formula, and the forward passes the library's grids cost.

    The formula is ``(size - p) // s + 1``; the library adds a patch flush with the edge where
    the last one stops short, so the passes (every position, and one for the photo itself) are
    counted from :func:`gemlib.occlusion.patch_starts`, not from the formula.
    """
    from gemlib.occlusion import patch_starts

    settings = [(32, 16), (64, 32), (8, 8), (48, 32)]
    if not isinstance(answer, dict) or not isinstance(answer.get("per side"), dict):
        return _not_yet("`answer['per side']` should be a dict from each (patch, stride) pair to "
                        "the positions per side your formula predicts")
    per_side = {tuple(int(v) for v in key): value for key, value in answer["per side"].items()}
    missing = [key for key in settings if key not in per_side]
    if missing:
        return _not_yet(f"'per side' has no prediction for {missing}: give all four settings, "
                        "keyed by (patch, stride)")
    formula = {(p, s): (size - p) // s + 1 for p, s in settings}
    measured = {(p, s): len(patch_starts(size, p, s)) for p, s in settings}
    got = {key: _number(per_side[key]) for key in settings}
    if any(v is None for v in got.values()):
        return _not_yet("each prediction should be one number: the positions along one side")
    if all(got[k] == formula[k] ** 2 for k in settings):
        return _not_yet("those are whole grids (positions squared): 'per side' counts the "
                        "positions along one side")
    if all(got[k] == measured[k] for k in settings):
        return _not_yet("those are the library's measured counts, not your formula's: a formula of "
                        "p and s predicts before you run, and one setting will then miss")
    if any(not float(got[k]).is_integer() for k in settings):
        return _not_yet("a count of positions is a whole number: divide with `//` (whole steps)")
    wrong = [k for k in settings if got[k] != formula[k]]
    if wrong:
        if all(got[k] == size // k[1] for k in wrong):
            return _not_yet(f"for {wrong} your formula lets a patch start where it no longer fits: "
                            "the last start is at most 128 - p")
        if all(got[k] == formula[k] - 1 for k in wrong):
            return _not_yet(f"for {wrong} your formula misses one position: count the patch that "
                            "starts at 0 too")
        return _not_yet(f"your formula's counts for {wrong} are not yet right: the starts are "
                        "0, s, 2s, ... as long as start + p <= 128")
    if not isinstance(answer.get("passes"), dict):
        return _not_yet("formula right; now add `answer['passes']`, the forward passes of each "
                        "grid the library ran (`occlusion.patch_drops`)")
    passes = {tuple(int(v) for v in key): _number(value) for key, value in answer["passes"].items()}
    if any(passes.get(key) is None for key in settings):
        return _not_yet("'passes' needs one number for each of the four (patch, stride) settings")
    need = {key: measured[key] ** 2 + 1 for key in settings}
    if all(passes[k] == need[k] for k in settings):
        return _right("Where does the formula miss, and why does the library add that patch?")
    if all(passes[k] == measured[k] ** 2 for k in settings):
        return _not_yet("one pass short each time: the photo itself runs through the model once "
                        "too, for the logit the drops are taken from")
    if all(passes[k] == formula[k] ** 2 + 1 for k in settings):
        return _not_yet("those are your formula's passes: count the grid the library ran (its "
                        "shape), which differs from the formula for one setting")
    return _not_yet("'passes' should count one forward pass per position of the library's grid, "
                    "plus one for the photo itself")
