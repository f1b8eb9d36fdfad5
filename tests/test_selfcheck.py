"""The self-checks: each accepts the teacher's solution and names the usual slips, never the answer.

Every "reference" below is the teacher's solution cell run on a small input (the same lines as in
the notebook's Solutions); every wrong answer is a slip a student is likely to make.
"""

from __future__ import annotations

from pathlib import Path
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
    lesson = {path.name[:2] for path in (Path(__file__).resolve().parent.parent / "notebooks").glob("0*.ipynb")}
    assert {nb for nb, _ in selfcheck.CHECKS} == lesson
    with pytest.raises(KeyError, match="no self-check for exercise 9 of notebook 05"):
        selfcheck.verdict(5, 9, 1.0)
    for (nb, n), found in selfcheck.CHECKS.items():  # nothing assigned yet: what to put, nothing else
        result = selfcheck.verdict(nb, n, None)
        assert not result.right and result.message == f"no answer yet: {found.expects}", (nb, n)
    selfcheck.check(4, 4, None)
    assert capsys.readouterr().out.startswith("Exercise 4 of notebook 04: no answer yet")


# --- 01: the mean arrow of two classes -----------------------------------------------------------


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


def test_01_training_photos_left_out_by_class(tmp_path):
    import shutil

    from conftest import make_dataset

    root = make_dataset(tmp_path / "gems")
    shutil.copy(root / "test/Red/red_0.jpg", root / "train/Red/leak.jpg")  # twin of a test photo
    shutil.copy(root / "train/Green/green_0.jpg", root / "train/Blue/odd.jpg")  # two classes
    shutil.copy(root / "train/Green/green_1.jpg", root / "train/Green/again.jpg")  # extra copy
    ok = {"root": root}
    right = {"Red": 1, "Green": 1, "Blue": 1}
    assert_right(verdict("01", 1, right, **ok))
    assert_right(verdict("01", 1, {**right, "Purple": 0}, **ok))  # a class with none is fine
    assert_hint(verdict("01", 1, {"Red": 1}, **ok), "only the twins")
    assert_hint(verdict("01", 1, {"Green": 1, "Blue": 1}, **ok), "only the copies")
    assert_hint(verdict("01", 1, {**right, "Red": 2}, **ok), "test photos too")
    assert_hint(verdict("01", 1, {**right, "Green": 2}, **ok), "extra identical copies")
    assert_hint(verdict("01", 1, {"Red": 3}, **ok), "classes are not")
    assert_hint(verdict("01", 1, {"Red": 5}, **ok), "not the files")
    assert_hint(verdict("01", 1, {"Red": "many"}, **ok), "one number")
    assert_hint(verdict("01", 1, [1, 1, 1], **ok), "should be a dict")
    assert_hint(verdict("01", 1, None, **ok), "no answer yet")


def test_01_extra_groups_at_eight_bits(monkeypatch):
    """Hashes set by hand: an exact pair, a 4-bit pair that stays, one that grows at 8 bits, and
    two pairs only the 8-bit search joins (4 bits: 3 groups; 8 bits: 5; 3 of those are not 4-bit
    groups)."""
    import pandas as pd

    from gemlib import data

    far = [0, 2**64 - 1, 0xFFFFFFFF00000000, 0x00000000FFFFFFFF, 0xFFFF0000FFFF0000]
    hashes = {"x1": far[0], "x2": far[0],  # byte-identical: one exact group
              "p1": far[1], "p2": far[1] ^ 0b11,  # 2 bits: a group at 4 and 8
              "n1": far[2], "n2": far[2] ^ 0b111,  # 3 bits: a group at 4 bits
              "n3": far[2] ^ 0b111 ^ 0b11111 << 9,  # 5 bits from n2: it grows at 8
              "m1": far[3], "m2": far[3] ^ 0b111111,  # 6 bits: only at 8
              "q1": far[4], "q2": far[4] ^ 0b1111111}  # 7 bits: only at 8
    table = pd.DataFrame({"path": list(hashes), "readable": True, "label": "Red", "split": "train",
                          "sha1": [("x" if p.startswith("x") else p) for p in hashes]})
    monkeypatch.setattr(data, "perceptual_hash", hashes.get)
    four = data.find_duplicates(table, near=True)
    eight = data.find_duplicates(table, near=True, max_distance=8)
    assert (len(four), len(eight)) == (3, 5)
    ok = {"table": table}
    assert_right(verdict("01", 2, len(eight) - len(four), **ok))
    assert_right(verdict("01", 2, np.int64(2), **ok))
    assert_hint(verdict("01", 2, 5, **ok), "subtract the number at 4 bits", 2)
    assert_hint(verdict("01", 2, -2, **ok), "wrong way round", 2)
    assert_hint(verdict("01", 2, 3, **ok), "grown old groups", 2)
    assert_hint(verdict("01", 2, 4, **ok), "exact copies only", 2)
    assert_hint(verdict("01", 2, 7, **ok), "not the difference", 2)
    assert_hint(verdict("01", 2, 2.5, **ok), "one whole number", 2)
    assert_hint(verdict("01", 2, "two", **ok), "one whole number", 2)
    assert_hint(verdict("01", 2, None, **ok), "no answer yet")


def test_01_grey_share_of_the_six_end_classes():
    from skimage.color import hsv2rgb

    rng = np.random.default_rng(3)
    images = []
    for k in range(7):  # class k: more coloured pixels, more saturated, as k grows
        hue, sat, val = rng.random(64), np.full(64, 0.03), np.full(64, 0.6)
        sat[: 8 + 6 * k] = 0.2 + 0.1 * k  # coloured
        val[56:], sat[56:] = 0.97, 0.02  # near-white background
        images.append(hsv2rgb(np.stack([hue, sat, val], -1).reshape(8, 8, 3)))
    images = np.uint8(np.round(np.stack(images) * 255))
    classes = [f"class {k}" for k in range(7)]
    gems = SimpleNamespace(classes=classes, train=SimpleNamespace(images=images, labels=np.arange(7)))
    from skimage.color import rgb2hsv

    def share(k, drop_white=True):
        hsv = rgb2hsv(images[k].reshape(1, -1, 3))[0]
        if drop_white:
            hsv = hsv[~((hsv[:, 2] > 0.92) & (hsv[:, 1] < 0.08))]
        return float((hsv[:, 1] < 0.08).mean())

    ends = [0, 1, 2, 4, 5, 6]  # class 3 is in the middle
    right = {classes[k]: share(k) for k in ends}
    assert right["class 0"] > right["class 6"]  # the least saturated are the greyest
    ok = {"gems": gems}
    assert_right(verdict("01", 3, right, **ok))
    assert_right(verdict("01", 3, {**right, "class 3": share(3)}, **ok))  # an extra class is fine
    wrong = lambda k, v: {**right, classes[k]: v}  # noqa: E731
    assert_hint(verdict("01", 3, {c: v for c, v in right.items() if c != "class 6"}, **ok),
                "missing", right["class 6"])
    assert_hint(verdict("01", 3, wrong(0, share(0, drop_white=False)), **ok), "near-white",
                right["class 0"])
    assert_hint(verdict("01", 3, wrong(0, 100 * right["class 0"]), **ok), "percentage")
    assert_hint(verdict("01", 3, wrong(5, 1 - right["class 5"]), **ok), "coloured pixels")
    assert_hint(verdict("01", 3, wrong(2, right["class 2"] + 0.01), **ok), "not the share")
    # pixels converted to float32 first move a share by about 1e-3: still right
    assert_right(verdict("01", 3, wrong(2, right["class 2"] + 0.0011), **ok))
    assert_hint(verdict("01", 3, wrong(2, "a lot"), **ok), "one number")
    assert_hint(verdict("01", 3, None, **ok), "no answer yet")


def test_01_mean_arrow_of_two_classes(gems01):
    from skimage.color import rgb2hsv

    from gemlib import colour

    gems = gems01

    def solution(name, weighted=True, drop_white=True, divide=True):  # the teacher's solution
        px = gems.train.images[gems.train.labels == gems.classes.index(name)].reshape(-1, 3)
        hsv = rgb2hsv(px[None])[0]
        if drop_white:
            hsv = hsv[~((hsv[:, 2] > 0.92) & (hsv[:, 1] < 0.08))]
        angle = np.radians(hsv[:, 0] * 360)
        weight = hsv[:, 1] if weighted else np.ones(len(hsv))
        sums = (weight * np.sin(angle)).sum(), (weight * np.cos(angle)).sum()
        return np.degrees(np.arctan2(*sums)) % 360, np.hypot(*sums) / (weight.sum() if divide else 1)

    ruby, garnet = solution("Ruby"), solution("Garnet Red")
    stats = colour.class_colour_stats(gems.train.images, gems.train.labels, gems.classes)
    assert np.isclose(stats.set_index("label").loc["Ruby", "hue"], ruby[0])  # hue as in `stats`
    assert "length" not in " ".join(stats.columns)  # the length is not in the library's table
    assert 0.5 < ruby[1] < 1 and garnet[1] < 0.3  # Ruby's hues agree, the random photo's do not
    ok = {"gems": gems}
    assert_right(verdict("01", 4, {"Ruby": ruby[1], "Garnet Red": garnet[1]}, **ok))
    assert_right(verdict("01", 4, {"Ruby": np.float32(ruby[1]), "Garnet Red": [garnet[1]]}, **ok))
    both = lambda r: {"Ruby": r, "Garnet Red": garnet[1]}  # noqa: E731
    assert_hint(verdict("01", 4, {"Ruby": ruby[1]}, **ok), "two classes", ruby)
    assert_hint(verdict("01", 4, {"Ruby": ruby[1], "Rubyx": garnet[1]}, **ok), "not a class", ruby)
    assert_hint(verdict("01", 4, both(ruby), **ok), "one number", ruby)
    assert_hint(verdict("01", 4, both(solution("Ruby", drop_white=False)[1]), **ok), "near-white",
                ruby)
    assert_hint(verdict("01", 4, both(solution("Ruby", divide=False)[1]), **ok),
                "divide it by the sum of the weights", ruby)
    n_kept = solution("Ruby", divide=False)[1] / ruby[1]  # the sum of the weights
    px = rgb2hsv(gems.train.images[1:].reshape(1, -1, 3))[0]
    kept = px[~((px[:, 2] > 0.92) & (px[:, 1] < 0.08))]
    assert_hint(verdict("01", 4, both(ruby[1] * n_kept / len(kept)), **ok), "number of pixels", ruby)
    assert_hint(verdict("01", 4, both(solution("Ruby", weighted=False)[1]), **ok),
                "unweighted arrows", ruby)
    assert_hint(verdict("01", 4, both(ruby[1] ** 2), **ok), "squared", ruby)
    assert_hint(verdict("01", 4, both(ruby[1] - 0.05), **ok), "not the length", ruby)
    assert_hint(verdict("01", 4, both(1.5), **ok), "outside 0-1", ruby)
    assert_hint(verdict("01", 4, None, **ok), "no answer yet", ruby)



# --- 02: two recipes; per-copy colour -------------------------------------------------------------


def test_02_two_recipes_one_passes_one_fails():
    from gemlib import augment

    stone = np.zeros((32, 32, 3), np.uint8)
    stone[8:24, 8:24] = (40, 90, 200)
    stone[:8] = (250, 250, 250)
    palette = np.unique(stone.reshape(-1, 3), axis=0).astype(float)

    def share(config):  # the teacher's solution: the lesson's check on the recipe's 32 copies
        copies = augment.augment_examples(stone, config, n=32, seed=1)
        distance = np.linalg.norm(copies.reshape(-1, 1, 3) - palette, axis=2).min(axis=1)
        return (distance > 30).mean()

    passes = augment.AugmentConfig(rotation=0.25, zoom=0.1)
    fails = augment.AugmentConfig(brightness=0.4)
    assert share(passes) < 0.10 < share(fails)
    ok = {"original": stone}
    answer = {"passes": (passes, share(passes)), "fails": (fails, share(fails))}
    assert_right(verdict("02", 1, answer, **ok))
    assert_hint(verdict("02", 1, {"passes": answer["passes"]}, **ok), "two keys")
    assert_hint(verdict("02", 1, {**answer, "fails": fails}, **ok), "a pair")
    assert_hint(verdict("02", 1, {**answer, "fails": ("brightness", 0.5)}, **ok), "AugmentConfig")
    assert_hint(verdict("02", 1, {**answer, "fails": (fails, 100 * share(fails))}, **ok), "percent")
    assert_hint(verdict("02", 1, {**answer, "fails": (fails, share(passes))}, **ok),
                "not the new-colour share")
    default = augment.AugmentConfig()
    assert_hint(verdict("02", 1, {**answer, "passes": (default, share(default))}, **ok), "default")
    still = augment.AugmentConfig(flip=False, rotation=0.0, zoom=0.0)
    assert_hint(verdict("02", 1, {**answer, "passes": (still, 0.0)}, **ok), "unchanged")
    assert_hint(verdict("02", 1, {**answer, "passes": (fails, share(fails))}, **ok), "10 % new")
    assert_hint(verdict("02", 1, {**answer, "fails": (passes, share(passes))}, **ok),
                "stays under 10 %")


@pytest.fixture(scope="module")
def copies02():
    rng = np.random.default_rng(0)
    stone = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    shift = rng.integers(-40, 40, (32, 1, 1, 3))
    views = np.uint8(np.clip(stone.astype(int) + shift + rng.integers(-5, 5, (32, 16, 16, 3)), 0, 255))
    jittered = np.uint8(np.clip(views.astype(int) + rng.integers(-60, 60, (32, 1, 1, 3)), 0, 255))
    return stone, views, jittered


def test_02_share_of_the_frame_a_turn_opens():
    import keras

    ref = {}
    for t in (0.125, 0.03):  # the teacher's solution
        white = np.full((1, 128, 128, 3), 255, np.float32)
        out = keras.layers.RandomRotation((t, t), fill_mode="constant")(white, training=True)[0]
        ref[t] = float((np.uint8(np.clip(np.round(out), 0, 255))[..., 0] < 128).mean())
    assert 0.16 < ref[0.125] < 0.18 and 0.07 < ref[0.03] < 0.09
    values = list(ref.values())
    assert_right(verdict("02", 3, ref))
    assert_right(verdict("02", 3, {t: np.float32(v) for t, v in ref.items()}))
    assert_hint(verdict("02", 3, {t: 100 * v for t, v in ref.items()}), "percentages", *values)
    assert_hint(verdict("02", 3, {t: 1 - v for t, v in ref.items()}), "still white", *values)
    assert_hint(verdict("02", 3, {0.125: ref[0.03], 0.03: ref[0.125]}), "swapped", *values)
    assert_hint(verdict("02", 3, {0.125: ref[0.125], 0.03: 0.04}), "the share for 0.03", *values)
    assert_hint(verdict("02", 3, {0.125: 0.17}), "two turns", *values)
    assert_hint(verdict("02", 3, {0.125: ref[0.125], 0.03: "small"}), "one number", *values)
    assert_hint(verdict("02", 3, None), "no answer yet", *values)


def test_02_per_copy_mean_colour_of_both_recipes(copies02):
    stone, views, jittered = copies02

    def far(copies):  # the teacher's solution, for one recipe
        before = stone.reshape(-1, 3).mean(0)
        per_copy = copies.reshape(32, -1, 3).mean(axis=1)
        return np.linalg.norm(per_copy - before, axis=1)

    ok = {"views": views, "jittered": jittered, "original": stone}
    right = {"views": far(views), "jittered": far(jittered)}
    assert_right(verdict("02", 4, right, **ok))
    assert_right(verdict("02", 4, {k: v.max() for k, v in right.items()}, **ok))
    assert_hint(verdict("02", 4, far(views), **ok), "both recipes", far(views))
    assert_hint(verdict("02", 4, {"views": far(views)}, **ok), "both recipes", far(views))
    swapped = {"views": far(views), "jittered": far(views)}
    assert_hint(verdict("02", 4, swapped, **ok), "(jittered)", far(jittered))

    def one(answer, words, *reference):
        assert_hint(verdict("02", 4, {"views": answer, "jittered": far(jittered)}, **ok), words,
                    *reference)

    before = stone.reshape(-1, 3).mean(0)
    per_copy = views.reshape(32, -1, 3).mean(axis=1)
    one(np.median(far(views)), "the median", far(views).max())
    one(far(views) ** 2, "squared", far(views))
    one(per_copy - before, "three numbers per copy", far(views))
    one(per_copy, "mean colours", far(views))
    one(views.reshape(32, -1, 3).mean(axis=(0, 1)), "averaged over the copies", far(views))
    one(np.linalg.norm(views.reshape(-1, 3).mean(0) - before), "mean over all copies", far(views).max())
    one(np.linalg.norm(views.reshape(32, -1, 3) - before, axis=2).max(1), "not the distances", far(views))
    one(far(views)[:16], "shape (16,)", far(views))
    assert verdict("02", 4, {"views": far(views)[:16], "jittered": far(jittered)}, **ok).message \
        .startswith("not yet (views): ")


# --- 03: a residual block in Keras; compile and fit by hand; paired bootstrap --------------------


def _block(widen: bool = True, order: str = "pre", kernel: int = 3, bias: bool = False,
           bn: bool = True, act: str = "elu", skip: str = "input", tail: bool = False,
           strides: int = 1):
    """The teacher's solution for the stage-2 block (``widen``), and the usual slips."""
    import keras
    from keras import layers

    filters = 64 if widen else 32
    block_in = keras.Input((16, 16, 32))
    y = block_in
    for k in range(2):
        steps = [layers.BatchNormalization() if bn or k else None,
                 layers.ELU() if act == "elu" else layers.ReLU(),
                 layers.Conv2D(filters, kernel, padding="same", use_bias=bias,
                               strides=strides if k == 0 else 1)]
        if order == "post":
            steps = steps[2:] + steps[:2]
        for layer in steps:
            y = layer(y) if layer is not None else y
    shortcut = block_in
    if skip == "input" and widen:
        shortcut = layers.Conv2D(filters, 1, use_bias=bias, strides=strides)(block_in)
    elif skip == "3x3":
        shortcut = layers.Conv2D(filters, 3, padding="same", use_bias=False)(block_in)
    elif skip == "after bn":
        shortcut = layers.Conv2D(filters, 1, use_bias=False)(layers.BatchNormalization()(block_in))
    if skip == "none":
        return keras.Model(block_in, y)
    out = layers.Add()([shortcut, y])
    if tail:
        out = layers.ELU()(out)
    return keras.Model(block_in, out)


def test_03_the_students_stage2_block_against_gemlibs():
    import keras
    from keras import layers

    from gemlib import models

    reference = _block()
    assert reference.count_params() == 57_728  # the stage2 row of the lesson's parameter table
    assert_right(verdict("03", 1, reference))
    # the skip written after the path, or the inputs of the Add the other way round: still right
    block_in = keras.Input((16, 16, 32))
    y = layers.ELU()(layers.BatchNormalization()(block_in))
    y = layers.Conv2D(64, 3, padding="same", use_bias=False)(y)
    y = layers.ELU()(layers.BatchNormalization()(y))
    y = layers.Conv2D(64, 3, padding="same", use_bias=False)(y)
    shortcut = layers.Conv2D(64, 1, use_bias=False)(block_in)
    assert_right(verdict("03", 1, keras.Model(block_in, layers.Add()([y, shortcut]))))
    x = keras.Input((16, 16, 32))  # gemlib's own block passes too
    assert_right(verdict("03", 1, keras.Model(x, models.residual_block(x, 64, name="s2"))))
    # the lesson's stage-1 block (no widening) is not this one
    assert_hint(verdict("03", 1, _block(widen=False)), "32 channels")
    assert_hint(verdict("03", 1, reference.outputs[0]), "keras.Model")
    assert_hint(verdict("03", 1, _block(bn=False)), "BatchNormalization is missing")
    assert_hint(verdict("03", 1, _block(bias=True)), "use_bias=False")
    assert "after the +" in verdict("03", 1, _block(bias=True)).message  # the skip feeds the Add
    x = keras.Input((16, 16, 32))  # a bias on the first convolution only: a BatchNorm follows it
    y = layers.ELU()(layers.BatchNormalization()(x))
    y = layers.Conv2D(64, 3, padding="same", use_bias=True)(y)
    y = layers.ELU()(layers.BatchNormalization()(y))
    y = layers.Conv2D(64, 3, padding="same", use_bias=False)(y)
    biased = keras.Model(x, layers.Add()([layers.Conv2D(64, 1, use_bias=False)(x), y]))
    assert_hint(verdict("03", 1, biased), "convolution 1 of the path has a bias")
    assert "after the +" not in verdict("03", 1, biased).message
    assert_hint(verdict("03", 1, _block(kernel=5)), "5×5")
    assert_hint(verdict("03", 1, _block(order="post")), "post-activation")
    assert_hint(verdict("03", 1, _block(act="relu")), "ELU")
    assert_hint(verdict("03", 1, _block(skip="none")), "no `layers.Add`")
    assert_hint(verdict("03", 1, _block(skip="3x3")), "3×3: it should be 1×1")
    assert_hint(verdict("03", 1, _block(skip="after bn")), "reads the block's input")
    assert_hint(verdict("03", 1, _block(tail=True)), "follows the +")
    assert_hint(verdict("03", 1, _block(strides=2)), "8 × 8")
    with pytest.raises(ValueError):  # no projection where the widths differ: Keras itself refuses
        z = keras.Input((16, 16, 32))
        layers.Add()([z, layers.Conv2D(64, 3, padding="same")(z)])
    other = keras.Input((32, 32, 32))
    assert_hint(verdict("03", 1, keras.Model(other, layers.Conv2D(64, 1)(other))), "16, 16, 32")
    # the right layers with other BatchNorm settings: the outputs tell
    x = keras.Input((16, 16, 32))
    y = layers.ELU()(layers.BatchNormalization(epsilon=0.5)(x))
    y = layers.Conv2D(64, 3, padding="same", use_bias=False)(y)
    y = layers.ELU()(layers.BatchNormalization()(y))
    y = layers.Conv2D(64, 3, padding="same", use_bias=False)(y)
    odd = keras.Model(x, layers.Add()([layers.Conv2D(64, 1, use_bias=False)(x), y]))
    assert odd.count_params() == reference.count_params()
    assert_hint(verdict("03", 1, odd), "output differs")


@pytest.fixture(scope="module")
def watched03():
    """A tiny stand-in for the watched run: 20 photos of 3 classes, batches of 8."""
    import keras

    from gemlib import train

    rng = np.random.default_rng(0)
    few = SimpleNamespace(train=list(range(20)), val=list(range(6)), classes=["a", "b", "c"])
    config = train.TrainConfig(image_size=8, batch_size=8)
    x = rng.normal(size=(20, 8, 8, 3)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 20)]
    return few, config, x, y, keras


def _net(keras, outputs: int = 3):
    inputs = keras.Input((8, 8, 3))
    return keras.Model(inputs, keras.layers.Dense(outputs)(keras.layers.Flatten()(inputs)))


def _compiled(keras, config, optimizer=None, loss=None, metrics=None, outputs: int = 3):
    model = _net(keras, outputs)
    model.compile(
        optimizer=optimizer or keras.optimizers.AdamW(config.learning_rate,
                                                      weight_decay=config.weight_decay),
        loss=loss or keras.losses.CategoricalCrossentropy(from_logits=True,
                                                          label_smoothing=config.label_smoothing),
        metrics=metrics or ["accuracy", keras.metrics.TopKCategoricalAccuracy(k=5, name="top5")])
    return model


def _history(keras, model, keys=("loss", "accuracy", "top5", "val_loss", "val_accuracy",
                                 "val_top5"), epochs: int = 3, steps: int = 3):
    """A History as fit leaves it, without the fit (the real one is tested once, below)."""
    history = keras.callbacks.History()
    history.set_model(model)
    history.set_params({"epochs": epochs, "steps": steps, "verbose": 0})
    history.history = {k: [0.5] * epochs for k in keys}
    return history


def test_03_compile_and_fit_by_hand(watched03):
    few, config, x, y, keras = watched03
    ok = {"config": config, "few": few}
    # the teacher's solution, on the stand-in data
    model = _compiled(keras, config)
    stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=3,
                                         restore_best_weights=True)
    history = model.fit(x, y, batch_size=config.batch_size, validation_data=(x[:6], y[:6]),
                        epochs=3, callbacks=[stop], verbose=0)
    right = {"history": history, "callbacks": [stop]}
    assert_right(verdict("03", 2, right, **ok))
    schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate / 10, 6,
                                                      warmup_target=config.learning_rate,
                                                      warmup_steps=3)
    scheduled = _compiled(keras, config, keras.optimizers.AdamW(schedule, config.weight_decay))
    assert_right(verdict("03", 2, {"history": _history(keras, scheduled), "callbacks": [stop]},
                         **ok))

    def slip(words, model=None, callbacks=(stop,), **history):
        made = _history(keras, model or _compiled(keras, config), **history)
        assert_hint(verdict("03", 2, {"history": made, "callbacks": list(callbacks)}, **ok), words)

    assert_hint(verdict("03", 2, history, **ok), "two keys")
    assert_hint(verdict("03", 2, {"history": model, "callbacks": [stop]}, **ok), "History")
    slip("outputs", _compiled(keras, config, outputs=5))
    slip("AdamW", _compiled(keras, config, keras.optimizers.Adam(config.learning_rate)))
    slip("weight_decay=config.weight_decay",
         _compiled(keras, config, keras.optimizers.AdamW(config.learning_rate)))
    slip("config.learning_rate",
         _compiled(keras, config, keras.optimizers.AdamW(weight_decay=config.weight_decay)))
    slip("from_logits=True",
         _compiled(keras, config, loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1)))
    slip("label_smoothing=config.label_smoothing",
         _compiled(keras, config, loss=keras.losses.CategoricalCrossentropy(from_logits=True)))
    slip("one-hot", _compiled(keras, config,
                              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)))
    slip("a name or a function", _compiled(keras, config, loss="categorical_crossentropy"))
    slip("TopKCategoricalAccuracy", keys=("loss", "accuracy", "val_loss", "val_accuracy"))
    slip("validation_data", keys=("loss", "accuracy", "top5"))
    slip("batches", steps=5)
    slip("epochs=3", epochs=8)
    slip("no `keras.callbacks.EarlyStopping`", callbacks=())
    slip("monitor='val_accuracy'", callbacks=[keras.callbacks.EarlyStopping(patience=3)])
    slip("'max'", callbacks=[keras.callbacks.EarlyStopping("val_accuracy", mode="min")])
    slip("restore_best_weights", callbacks=[keras.callbacks.EarlyStopping("val_accuracy")])




def test_03_the_learning_rate_of_two_clock_budgets():
    import pandas as pd

    from gemlib import train

    minutes = np.arange(0, 55, 55 / 80)

    def table(peak=2e-3, step=10_000, scale=60, over=60, names=("55 min", "30 min"),
              index=minutes.round(1)):
        rates = {name: [train.budget_learning_rate(peak, step, 3 * 79, scale * m, over * b)
                        for m in minutes] for name, b in zip(names, (55, 30))}
        return pd.DataFrame(rates, index=index)

    reference = table()
    values = [f"{v:.2e}" for v in reference["30 min"].iloc[20:40:5]]
    assert_right(verdict("03", 5, reference))
    assert_right(verdict("03", 5, table(index=minutes)))  # the index unrounded
    assert_right(verdict("03", 5, table(names=(55, 30))[[30, 55]]))  # numbers as names
    assert_right(verdict("03", 5, table(scale=1, over=1)))  # minutes for both: the same shares
    assert hides(verdict("03", 5, reference).message, *values)
    assert_hint(verdict("03", 5, table(names=("30 min", "55 min"))), "swapped", *values)
    assert_hint(verdict("03", 5, table(scale=1)), "same unit", *values)
    assert_hint(verdict("03", 5, table(over=1)), "same unit", *values)
    assert_hint(verdict("03", 5, table(step=50)), "inside the warm-up", *values)
    assert_hint(verdict("03", 5, table(peak=1e-3)), "peak=2e-3", *values)
    assert_hint(verdict("03", 5, table(peak=1e-2)), "peak=2e-3", *values)
    assert_hint(verdict("03", 5, table(index=60 * minutes)), "not seconds", *values)
    assert_hint(verdict("03", 5, table(names=("long", "short"))), "'55 min' and '30 min'")
    assert_hint(verdict("03", 5, reference.to_numpy()), "DataFrame")
    assert_hint(verdict("03", 5, reference.iloc[:3]), "at least 5 rows")
    shifted = reference.copy()
    shifted.iloc[40:, 1] = 2e-5
    assert_hint(verdict("03", 5, shifted), "some rates differ", *values)


@pytest.fixture(scope="module")
def logits03():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 87, 363)
    logits = rng.normal(size=(363, 87))
    logits[np.arange(363), labels] += rng.normal(2.5, 1.5, 363)  # right often, not always
    seed1 = logits + rng.normal(0, 0.8, logits.shape)  # a second model: mostly the same answers
    seed1[np.arange(363), labels] += 0.2
    return logits, seed1, labels


def test_03_the_paired_resampled_gaps_of_two_seeds(logits03):
    from gemlib import evaluate

    logits, seed1_logits, labels = logits03
    ok = {"logits": logits, "seed1_logits": seed1_logits, "labels": labels}
    # the teacher's solution: one set of draws for both models
    c0 = evaluate.topk_correct(logits, labels)
    c1 = evaluate.topk_correct(seed1_logits, labels)
    draws = np.random.default_rng(0).integers(0, len(c0), size=(2000, len(c0)))
    gaps = c1[draws].mean(axis=1) - c0[draws].mean(axis=1)
    gap = c1.mean() - c0.mean()
    assert gap != 0 and gaps.std() > 0
    assert_right(verdict("03", 6, gaps, **ok))
    assert_right(verdict("03", 6, list(gaps), **ok))
    # the library's one-call path gives an interval, not the gaps
    library = evaluate.bootstrap_ci(c1.astype(float) - c0)
    assert_hint(verdict("03", 6, library, **ok), "shape (3,)", gaps[:5])
    assert_hint(verdict("03", 6, np.percentile(gaps, [2.5, 97.5]), **ok), "not an interval", gaps[:5])
    assert_hint(verdict("03", 6, -gaps, **ok), "other way round", gaps[:5])
    assert_hint(verdict("03", 6, np.sort(gaps), **ok), "order drawn", gaps[:5])
    assert_hint(verdict("03", 6, 100 * gaps, **ok), "not percentage", gaps[:5])
    # unpaired: each model's photos drawn on their own
    rng = np.random.default_rng(0)
    a, b = (rng.integers(0, len(c0), size=(2000, len(c0))) for _ in range(2))
    assert_hint(verdict("03", 6, c1[a].mean(axis=1) - c0[b].mean(axis=1), **ok), "SAME photos", gaps[:5])
    other = np.random.default_rng(1).integers(0, len(c0), size=(2000, len(c0)))
    assert_hint(verdict("03", 6, c1[other].mean(axis=1) - c0[other].mean(axis=1), **ok), "other draws",
                gaps[:5])
    c0_5 = evaluate.topk_correct(logits, labels, k=5)
    c1_5 = evaluate.topk_correct(seed1_logits, labels, k=5)
    assert_hint(verdict("03", 6, c1_5[draws].mean(axis=1) - c0_5[draws].mean(axis=1), **ok), "top-5",
                gaps[:5])


def test_03_best_epoch_against_the_best_10_epoch_window():
    import json

    import pandas as pd

    path = Path(__file__).resolve().parent.parent / "docs" / "history" / "gemstones_seed1.json"
    seed1_card = json.loads(path.read_text())
    ok = {"seed1_card": seed1_card}
    # the teacher's solution
    history = pd.DataFrame(seed1_card["history"])
    best = int(history["val_accuracy"].to_numpy().argmax()) + 1
    end = int(history["val_accuracy"].rolling(10).mean().idxmax()) + 1
    assert best != end
    assert_right(verdict("03", 4, {"best epoch": best, "window ends at": end}, **ok))
    assert_right(verdict("03", 4, (np.int64(best), float(end)), **ok))
    assert_right(verdict("03", 4, {"best_epoch": best, "Window ends at": end}, **ok))
    ema = history["val_accuracy_ema"]
    ema_pair = (int(ema.to_numpy().argmax()) + 1, int(ema.rolling(10).mean().idxmax()) + 1)
    centred = int(history["val_accuracy"].rolling(10, center=True).mean().idxmax()) + 1
    loss = int(history["val_loss"].to_numpy().argmin()) + 1
    for wrong, words in [((end, best), "swapped"), ((best - 1, end - 1), "counted from 0"),
                         (ema_pair, "val_accuracy_ema"), ((loss, end), "lowest validation loss"),
                         ((best, end - 9), "first epoch of the best window"),
                         ((best, centred), "centred window"), ((best, best), "best single epoch again"),
                         ((best + 3, end), "not the one of highest"),
                         ((best, end - 2), "not where the mean of 10")]:
        assert_hint(verdict("03", 4, {"best epoch": wrong[0], "window ends at": wrong[1]}, **ok), words,
                    best, end)
    assert_hint(verdict("03", 4, history["val_accuracy"].rolling(10).mean(), **ok), "two whole", best, end)
    assert_hint(verdict("03", 4, {"best epoch": best + 0.5, "window ends at": end}, **ok), "two whole")


# --- 04: a turn of 20°; a forest ----------------------------------------------------------------


@pytest.fixture(scope="module")
def small_net():
    from gemlib.models import build_resnet

    model = build_resnet(3, image_size=32, widths=(4, 4, 8, 8), head_units=8, dropout=0.0)
    rng = np.random.default_rng(0)
    return model, rng.integers(0, 256, (12, 32, 32, 3)).astype(np.uint8), rng.integers(0, 3, 12)


def test_04_a_turn_of_20_degrees_after_a_prediction(small_net):
    from gemlib import colour, evaluate

    model, images, labels = small_net
    # the teacher's solution
    logits = evaluate.predict_logits(model, colour.rotate_hue(images, 20))
    measured = evaluate.topk_correct(logits, labels).mean()
    ok = {"model": model, "images": images, "labels": labels}
    result = verdict("04", 3, {"prediction": 0.5, "measured": measured}, **ok)
    assert_right(result)
    assert "points" in result.message or "spot on" in result.message
    # the printed value retyped, rounded to 3 decimals, passes; 0.001 off does not
    assert_right(verdict("04", 3, {"prediction": 0.5, "measured": round(measured, 3)}, **ok))
    assert not verdict("04", 3, {"prediction": 0.5, "measured": measured + 0.0011}, **ok).right
    assert_hint(verdict("04", 3, {"measured": measured}, **ok), "guess first", measured)
    assert_hint(verdict("04", 3, {"prediction": None, "measured": measured}, **ok), "guess first")
    assert_hint(verdict("04", 3, {"prediction": 50, "measured": measured}, **ok), "between 0 and 1")
    assert_hint(verdict("04", 3, {"prediction": 0.5}, **ok), "prediction recorded", measured)
    assert_hint(verdict("04", 3, {"prediction": 0.5, "measured": 100 * measured + 100}, **ok),
                "percent", measured)
    top5 = evaluate.topk_correct(logits, labels, k=5).mean()
    assert top5 != measured
    assert_hint(verdict("04", 3, {"prediction": 0.5, "measured": top5}, **ok), "top-5", measured)
    assert 1 - measured != measured
    wrong = verdict("04", 3, {"prediction": 0.5, "measured": 1 - measured}, **ok)
    assert_hint(wrong, "error rate")
    assert "share wrong" in wrong.message and "gets right" in wrong.message
    untouched = evaluate.topk_correct(evaluate.predict_logits(model, images), labels).mean()
    if untouched != measured:  # the untouched photos' score does not pass
        assert not verdict("04", 3, {"prediction": 0.5, "measured": untouched}, **ok).right


def test_04_which_classes_survive_greyscale(small_net):
    import pandas as pd

    from gemlib import colour, evaluate

    model, images, labels = small_net
    classes = ["Alpha", "Beta", "Gamma"]
    predicted = evaluate.predict_logits(model, images).argmax(1)
    # the teacher's solution
    grey = evaluate.predict_logits(model, colour.to_greyscale(images)).argmax(1)
    recall = pd.DataFrame({
        "colour": evaluate.per_class_table(labels, predicted, classes).set_index("class")["recall"],
        "greyscale": evaluate.per_class_table(labels, grey, classes).set_index("class")["recall"]})
    recall["lost"] = recall["colour"] - recall["greyscale"]
    guesses = ["Alpha", "Beta", "Gamma"]
    ok = {"model": model, "images": images, "labels": labels, "predicted": predicted,
          "classes": classes}
    ref = recall[["colour", "greyscale"]].to_numpy()
    result = verdict("04", 1, {"prediction": guesses, "recall": recall}, **ok)
    assert_right(result)
    assert "of your three guesses" in result.message
    assert_right(verdict("04", 1, {"prediction": guesses, "recall": recall.round(2)}, **ok))
    assert_hint(verdict("04", 1, {"recall": recall}, **ok), "guesses first", ref)
    assert_hint(verdict("04", 1, {"prediction": ["Alpha"], "recall": recall}, **ok), "three")
    assert_hint(verdict("04", 1, {"prediction": ["alpha", "Beta", "Gamma"], "recall": recall}, **ok),
                "not a class name")
    assert_hint(verdict("04", 1, {"prediction": guesses}, **ok), "guesses recorded")
    with_guess = {"prediction": guesses}
    assert_hint(verdict("04", 1, {**with_guess, "recall": recall["greyscale"]}, **ok), "columns")
    assert_hint(verdict("04", 1, {**with_guess, "recall": recall.head(2)}, **ok), "one row per class")
    by_position = pd.DataFrame({
        "colour": evaluate.per_class_table(labels, predicted, classes)["recall"],
        "greyscale": evaluate.per_class_table(labels, grey, classes)["recall"]})
    assert_hint(verdict("04", 1, {**with_guess, "recall": by_position}, **ok), "set_index", ref)
    swapped = recall.rename(columns={"colour": "greyscale", "greyscale": "colour"})
    if not np.allclose(recall["colour"], recall["greyscale"]):
        assert_hint(verdict("04", 1, {**with_guess, "recall": swapped}, **ok), "swapped", ref)
        same = recall.assign(greyscale=recall["colour"])
        assert_hint(verdict("04", 1, {**with_guess, "recall": same}, **ok), "to_greyscale", ref)
    assert_hint(verdict("04", 1, {**with_guess, "recall": 100 * recall}, **ok), "percent", ref)
    precision = pd.DataFrame({
        "colour": evaluate.per_class_table(labels, predicted, classes).set_index("class")["precision"],
        "greyscale": evaluate.per_class_table(labels, grey, classes).set_index("class")["precision"]})
    if not np.allclose(precision.to_numpy(), ref):
        assert_hint(verdict("04", 1, {**with_guess, "recall": precision}, **ok), "precision", ref)


@pytest.fixture(scope="module")
def colours04():
    """Four classes, each a base colour plus noise, 12 training and 6 test photos each."""
    rng = np.random.default_rng(0)
    base = np.array([(150, 100, 100), (100, 140, 100), (100, 100, 150), (130, 130, 100)])

    def photos(per_class):
        labels = np.repeat(np.arange(4), per_class)
        noise = rng.normal(0, 70, (len(labels), 8, 8, 3))
        return SimpleNamespace(images=np.uint8(np.clip(base[labels, None, None] + noise, 0, 255)),
                               labels=labels)

    train, test = photos(12), photos(6)
    logits = rng.normal(size=(24, 4)) + 1.5 * np.eye(4)[test.labels]
    return train, test, logits


def test_04_a_colour_moment_forest_against_the_cnn(colours04):
    from scipy.stats import binomtest, skew
    from sklearn.ensemble import RandomForestClassifier

    from gemlib import colour

    train, test, logits = colours04

    def moments(images, ddof=0):  # the teacher's solution, written another way
        return np.array([[f(img[..., c].ravel().astype(float)) for c in range(3)
                          for f in (np.mean, lambda v: np.std(v, ddof=ddof), skew)]
                         for img in images])

    train_f, test_f = moments(train.images), moments(test.images)
    # a known answer: a photo half 0, half 100 in every channel has mean 50, std 50, skew 0
    half = np.zeros((1, 2, 2, 3), np.uint8)
    half[0, 1] = 100
    assert np.allclose(moments(half), [[50, 50, 0] * 3])
    forest = RandomForestClassifier(n_estimators=100, random_state=0).fit(train_f, train.labels)
    predicted = forest.predict(test_f)
    cnn_right, forest_right = logits.argmax(1) == test.labels, predicted == test.labels
    only_cnn, only_forest = int((cnn_right & ~forest_right).sum()), int((~cnn_right & forest_right).sum())
    assert only_cnn != only_forest and 0.3 < forest_right.mean() < 1
    p = binomtest(only_cnn, only_cnn + only_forest, 0.5).pvalue
    answer = {"features": test_f, "predicted": predicted, "only_cnn": only_cnn,
              "only_forest": only_forest, "p_value": p}
    ok = {"logits": logits, "train": train, "test": test}
    assert_right(verdict("04", 4, answer, **ok))
    assert_right(verdict("04", 4, {**answer, "predicted": forest.predict_proba(test_f).argmax(1)}, **ok))
    # moments in float32 (a std off by ~2e-4 of its size on real photos) pass too
    single = np.array([[f(img[..., c].ravel().astype(np.float32)) for c in range(3)
                        for f in (np.mean, np.std, skew)] for img in test.images])
    assert_right(verdict("04", 4, {**answer, "features": single}, **ok))
    assert_right(verdict("04", 4, {**answer, "features": test_f * (1 + 2e-4)}, **ok))
    assert not verdict("04", 4, {**answer, "features": test_f * (1 + 5e-3)}, **ok).right
    assert_hint(verdict("04", 4, {"features": test_f}, **ok), "missing", p)
    assert_hint(verdict("04", 4, {**answer, "features": test_f[:, :3]}, **ok), "shape (24, 9)", p)
    library = colour.marginal_histograms(test.images, bins=3)[:, :9]  # no library call gives it
    assert_hint(verdict("04", 4, {**answer, "features": library}, **ok), "not the features", p)
    by_kind = test_f.reshape(-1, 3, 3).transpose(0, 2, 1).reshape(-1, 9)
    assert_hint(verdict("04", 4, {**answer, "features": by_kind}, **ok), "another order", p)
    variance = test_f.copy()
    variance[:, 1::3] **= 2
    assert_hint(verdict("04", 4, {**answer, "features": variance}, **ok), "variance", p)
    assert_hint(verdict("04", 4, {**answer, "features": moments(test.images, ddof=1)}, **ok),
                "n - 1", p)
    scaled = test_f / np.tile([255, 255, 1], 3)
    assert_hint(verdict("04", 4, {**answer, "features": scaled}, **ok), "0-1", p)
    lesson = colour.histogram_baseline(train.images, train.labels, test.images, lbp=False, seed=0)
    if (lesson.argmax(1) != predicted).mean() > 0.01:  # the library's forest is not the student's
        assert_hint(verdict("04", 4, {**answer, "predicted": lesson.argmax(1)}, **ok), "your forest")
    assert_hint(verdict("04", 4, {**answer, "predicted": predicted[:5]}, **ok), "shape (24,)")
    swapped = {**answer, "only_cnn": only_forest, "only_forest": only_cnn}
    assert_hint(verdict("04", 4, swapped, **ok), "swapped", p)
    both = int((cnn_right & forest_right).sum())
    assert_hint(verdict("04", 4, {**answer, "only_cnn": both}, **ok), "both get right", p)
    one_sided = binomtest(only_cnn, only_cnn + only_forest, 0.5, alternative="greater").pvalue
    assert_hint(verdict("04", 4, {**answer, "p_value": one_sided}, **ok), "one-sided", p)
    assert_hint(verdict("04", 4, {**answer, "p_value": p / 3}, **ok), "p-value is not", p)


def test_04_pairs_both_classifiers_confuse():
    classes = ["a", "b", "c", "d"]
    labels = np.array([0, 0, 0, 1, 1, 2, 2, 3, 3, 3, 0])
    cnn = np.array([1, 1, 0, 2, 2, 2, 3, 3, 0, 3, 0])
    forest = np.array([1, 1, 2, 2, 2, 1, 3, 1, 1, 3, 0])
    ok = {"labels": labels, "logits": np.eye(4)[cnn], "forest": np.eye(4)[forest] * 0.9 + 0.025,
          "classes": classes}  # scores whose highest entry is each photo's answer
    # confused twice by both: (a, b) and (b, c); by one (the forest): (d, b) too; at least once by
    # both: (c, d) too; both wrong on photos 0, 1, 3, 4, 6, 8, the same wrong answer on all but 8;
    # the same answer on 7 photos, the both-right 9 and 10 included
    assert_right(verdict("04", 2, {"shared": 2, "same_wrong": 5}, **ok))
    assert_right(verdict("04", 2, {"shared": np.int64(2), "same_wrong": 5.0}, **ok))
    assert_hint(verdict("04", 2, {"shared": 2}, **ok), "keys", 5)
    assert_hint(verdict("04", 2, {"shared": 3, "same_wrong": 5}, **ok), "at least once", 2, 5)
    assert_hint(verdict("04", 2, {"shared": 4, "same_wrong": 5}, **ok), "not the shared", 2, 5)
    assert_hint(verdict("04", 2, {"shared": 2, "same_wrong": 6}, **ok), "every photo both", 2, 5)
    assert_hint(verdict("04", 2, {"shared": 2, "same_wrong": 7}, **ok), "right ones", 2, 5)
    assert_hint(verdict("04", 2, {"shared": 2, "same_wrong": 1}, **ok), "not the count", 2, 5)
    assert_hint(verdict("04", 2, {"shared": [1, 2], "same_wrong": 5}, **ok), "one count", 2, 5)
    tied = {**ok, "forest": np.full((11, 4), 0.25)}  # all tied: the forest answers class a
    assert_right(verdict("04", 2, {"shared": 0, "same_wrong": 1}, **tied))  # photo 8 only


# --- 05 and 06: a small network -----------------------------------------------------------------


@pytest.fixture(scope="module")
def net():
    import keras

    from gemlib.models import build_resnet

    # seeded: with other weights two of the checks' answers can fall within their tolerance of
    # each other (05.2's two lists once did), and a test of which hint comes would then flake
    keras.utils.set_random_seed(0)
    model = build_resnet(3, image_size=32, widths=(4, 4, 8, 8), head_units=8, dropout=0.0)
    images = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3)).astype(np.uint8)
    return model, images


def test_05_vargrad_by_hand(net):
    import tensorflow as tf

    model, images = net
    top = int(np.asarray(model(images[:1].astype(np.float32), training=False)).argmax())
    c = (top + 1) % 3  # not the predicted class, as the runner-up is not

    def by_hand(seed=0, n=10, scale=True, noise=0.1, cls=None):
        cls = c if cls is None else cls
        rng = np.random.default_rng(seed)
        sigma = noise * (float(images[0].max()) - float(images[0].min())) if scale else 1.0
        noise10 = rng.normal(0.0, 1.0, size=(n, *images[0].shape)).astype(np.float32) * sigma
        noisy10 = tf.constant(images[0].astype(np.float32) + noise10)
        with tf.GradientTape() as tape:
            tape.watch(noisy10)
            total = tf.reduce_sum(model(noisy10, training=False)[:, cls])
        return tape.gradient(total, noisy10).numpy()

    def times_input(**kw):
        grads = by_hand(**kw)
        rng = np.random.default_rng(kw.get("seed", 0))
        x = images[0].astype(np.float32)
        sigma = kw.get("noise", 0.1) * float(x.max() - x.min())
        noisy = x + rng.normal(0.0, 1.0, size=(10, *x.shape)).astype(np.float32) * sigma
        return grads, grads * noisy

    grads, products = times_input()
    mine = products.var(axis=0)  # the teacher's solution
    ok = {"model": model, "image": images[0], "target": c}
    assert_right(verdict("05", 1, mine, **ok))
    assert_hint(verdict("05", 1, grads.var(axis=0), **ok), "plain VarGrad", mine)
    assert_hint(verdict("05", 1, (grads * images[0]).var(axis=0), **ok), "own noisy copy", mine)
    assert_hint(verdict("05", 1, products.std(axis=0), **ok), "standard deviation", mine)
    assert_hint(verdict("05", 1, products.var(axis=0, ddof=1), **ok), "n - 1", mine)
    assert_hint(verdict("05", 1, products.mean(axis=0), **ok), "negative", mine)
    assert_hint(verdict("05", 1, mine.sum(-1), **ok), "keep the three channels", mine)
    assert_hint(verdict("05", 1, products, **ok), "variance over the copies", mine)
    assert_hint(verdict("05", 1, mine[None], **ok), "leading axis", mine)
    assert_hint(verdict("05", 1, times_input(seed=1)[1].var(axis=0), **ok), "not", mine)
    noisy = tf.constant(images[0].astype(np.float32) + (
        np.random.default_rng(0).normal(0.0, 1.0, size=(10, *images[0].shape)).astype(np.float32)
        * 0.1 * (float(images[0].max()) - float(images[0].min()))))
    with tf.GradientTape() as tape:
        tape.watch(noisy)
        total = tf.reduce_sum(tf.nn.softmax(model(noisy, training=False))[:, c])
    soft = (tape.gradient(total, noisy).numpy() * noisy.numpy()).var(axis=0)
    assert_hint(verdict("05", 1, soft, **ok), "softmax probability", mine)
    assert_hint(verdict("05", 1, 4 * mine, **ok), "scaled by a constant", mine)
    assert_hint(verdict("05", 1, times_input(noise=0.15)[1].var(axis=0), **ok), "0.15", mine)
    assert_hint(verdict("05", 1, times_input(cls=top)[1].var(axis=0), **ok), "predicted class", mine)
    # no single library call returns it: plain VarGrad with the same noise is refused
    from gemlib import explain
    plain = explain.vargrad(model, images[:1], [c], n_samples=10, noise=0.1, seed=0)[0]
    assert not verdict("05", 1, plain, **ok).right


def test_05_runner_up_against_the_noise_floor(net):
    import pandas as pd

    from gemlib import explain, sanity
    model, images = net
    predicted, runner_up = [0, 1], [2, 0]
    ok = dict(model=model, images=images, predicted=predicted, runner_up=runner_up)
    pred = explain.vargrad(model, images, predicted, seed=0)
    other = explain.vargrad(model, images, runner_up, seed=0)
    again = explain.vargrad(model, images, predicted, seed=1)

    def sim(a, b, key="spearman_abs"):
        return [sanity.map_similarity(x, y)[key] for x, y in zip(a, b)]

    mine, floor = sim(pred, other), sim(pred, again)
    ref = mine + floor
    # the worked solution: a DataFrame rounded to 2 decimals
    table = pd.DataFrame({"runner-up vs predicted": mine, "noise floor": floor}).round(2)
    assert_right(verdict("05", 2, table, **ok))
    assert_right(verdict("05", 2, {"runner-up vs predicted": mine, "noise floor": floor}, **ok))
    swapped = {"runner-up vs predicted": floor, "noise floor": mine}
    assert_hint(verdict("05", 2, swapped, **ok), "swapped", *ref)
    same_seed = {"runner-up vs predicted": mine, "noise floor": [1.0, 1.0]}
    assert_hint(verdict("05", 2, same_seed, **ok), "seed=1", *ref)
    their_floor = sim(other, explain.vargrad(model, images, runner_up, seed=1))
    assert_hint(verdict("05", 2, {"runner-up vs predicted": mine, "noise floor": their_floor},
                        **ok), "runner-up's", *ref)
    ssim = {"runner-up vs predicted": sim(pred, other, "ssim"), "noise floor": sim(pred, again, "ssim")}
    assert_hint(verdict("05", 2, ssim, **ok), "SSIM", *ref)
    assert_hint(verdict("05", 2, {"runner-up vs predicted": mine[:1], "noise floor": floor[:1]},
                        **ok), "one number per photo", *ref)
    assert_hint(verdict("05", 2, mine, **ok), "two lists", *ref)
    wrong = {"runner-up vs predicted": [0.0, 0.0], "noise floor": floor}
    assert_hint(verdict("05", 2, wrong, **ok), "the noise floor is right", *ref)

def test_05_gradient_times_input(net):
    from gemlib import explain

    model, images = net
    grad = explain.gradient(model, images[:1], [1])[0]  # as the first tape cell's `grad`
    ok = {"grad": grad, "image": images[0]}
    mine = grad * images[0]  # the teacher's solution
    ref = [mine]
    assert_right(verdict("05", 3, mine, **ok))
    assert_right(verdict("05", 3, mine[None], **ok))  # the batch of one the figure is drawn from
    assert_hint(verdict("05", 3, grad, **ok), "gradient alone", *ref)
    assert_hint(verdict("05", 3, grad * images[0] / 255.0, **ok), "0-1", *ref)
    assert_hint(verdict("05", 3, np.abs(grad) * images[0], **ok), "absolute value", *ref)
    assert_hint(verdict("05", 3, grad + images[0], **ok), "adds", *ref)
    assert_hint(verdict("05", 3, explain.to_heatmap(mine[None])[0], **ok), "heatmap", *ref)
    assert_hint(verdict("05", 3, mine.sum(-1), **ok), "three channels", *ref)
    assert_hint(verdict("05", 3, mine[:4], **ok), "one product per pixel", *ref)
    assert_hint(verdict("05", 3, mine * 2, **ok), "not this map", *ref)
    assert_hint(verdict("05", 3, "map", **ok), "NumPy array")


def test_09_occlusion_by_hand(net):
    model, images = net
    c, side = 1, 8  # a quarter of the 32-pixel side

    def by_hand(fill="own", as_uint8=False):
        image = images[0] if as_uint8 else images[0].astype(np.float32)
        base = float(model(images[0][None].astype(np.float32), training=False)[0, c])
        drops = np.zeros((4, 4))
        for i in range(4):
            for j in range(4):
                hidden = image.copy()
                square = hidden[i * side : (i + 1) * side, j * side : (j + 1) * side]
                square[...] = square.mean(axis=(0, 1)) if isinstance(fill, str) else fill
                drops[i, j] = base - float(model(hidden[None].astype(np.float32), training=False)[0, c])
        return drops

    mine = by_hand()  # the teacher's solution
    ok = {"model": model, "image": images[0], "target": c}
    best = tuple(int(k) for k in np.unravel_index(mine.argmax(), mine.shape))
    worst = tuple(int(k) for k in np.unravel_index(mine.argmin(), mine.shape))

    def check(drops, prediction=best):
        return verdict("09", 1, {"prediction": prediction, "drops": drops}, **ok)

    # the drops are looked at only once a prediction is written
    assert_hint(verdict("09", 1, mine, **ok), "guess first", mine)
    assert_hint(verdict("09", 1, {"drops": mine}, **ok), "guess first", mine)
    assert_hint(verdict("09", 1, {"prediction": (1, 2)}, **ok), "prediction recorded", mine)
    assert_hint(check(mine, prediction=(4, 0)), "each 0-3", mine)
    assert_right(check(mine))
    assert "prediction was right" in check(mine).message
    assert f"off: the largest drop is at {best}" in check(mine, prediction=worst).message
    assert_right(check(np.kron(mine, np.ones((side, side)))))  # the map is fine too
    assert_hint(check(-mine), "wrong sign", mine)
    assert_hint(check(mine.T), "transposed", mine)
    assert_hint(check(mine.ravel()), "flat list", mine)
    assert_hint(check(mine[:2]), "shape (2, 4)", mine)
    assert_hint(check(by_hand(fill=images[0].mean(axis=(0, 1)))), "whole photo's mean", mine)
    assert_hint(check(by_hand(fill=0.0)), "black", mine)
    assert_hint(check(by_hand(as_uint8=True)), "uint8", mine)
    base = float(model(images[0][None].astype(np.float32), training=False)[0, c])
    assert_hint(check(base - mine), "hidden copies' logits", mine)
    assert_hint(check(mine * 0 + 1.0), "not the drops", mine)


def test_06_one_layer_randomised(net):
    import keras
    from scipy.stats import spearmanr

    from gemlib import explain, sanity

    model, images = net
    predicted = np.array([0, 2])

    def step(seed=0, signed=False, randomise=True, layer="stem_conv"):
        clone = keras.models.clone_model(model)
        clone.set_weights(model.get_weights())
        if randomise:
            sanity.randomise_layer(clone.get_layer(layer), np.random.default_rng(seed))
        trained = explain.gradient(model, images[:2], predicted[:2])
        spoiled = explain.gradient(clone, images[:2], predicted[:2])
        f = (lambda m: m.sum(-1).ravel()) if signed else (lambda m: np.abs(m).sum(-1).ravel())
        return [spearmanr(f(a), f(b)).statistic for a, b in zip(trained, spoiled)]

    ours = step()  # the teacher's solution
    ok = {"model": model, "images": images[:2], "targets": predicted[:2]}
    assert_right(verdict("06", 3, ours, **ok))
    retyped = np.round(ours, 3)  # as a printout shows it
    assert np.abs(retyped - ours).max() > 1e-5 and not verdict("06", 3, retyped, **ok).right
    assert_hint(verdict("06", 3, retyped, **ok), "rounded", ours)  # told why, not "seed?"
    assert_hint(verdict("06", 3, np.round(ours, 2), **ok), "2 decimals", ours)
    # the notebook's cascading table (logits first) is not the answer
    table = sanity.cascading_randomisation(model, images[:2], predicted[:2], methods=("gradient",))
    for s in range(1, table.step.max() + 1):
        assert not verdict("06", 3, table[table.step == s].sort_values("image").spearman_abs.to_numpy(), **ok).right
    signed = step(signed=True)
    assert np.abs(np.subtract(signed, ours)).max() > 1e-3
    assert_hint(verdict("06", 3, signed, **ok), "signed", ours)
    assert_hint(verdict("06", 3, step(randomise=False), **ok), "correlation of 1", ours)
    assert_hint(verdict("06", 3, step(layer="logits"), **ok), "logits layer", ours)
    assert_hint(verdict("06", 3, ours[:1], **ok), "2 photos", ours)
    assert not verdict("06", 3, step(seed=5), **ok).right
    assert hides(verdict("06", 3, step(seed=5), **ok).message, ours)


def test_06_deletion_with_blur(net):
    from gemlib import evaluate, sanity

    model, images = net
    heat = np.random.default_rng(3).random((32, 32))
    target = int(np.asarray(model(images[:1].astype(np.float32), training=False)).argmax())

    def by_hand(fill="blur", ascending=False, logits=False, indices=False, seed=0):
        filler = sanity.blurred(images[0]) if fill == "blur" else 0
        out = {}
        for name, order in {"vargrad": np.argsort(heat.ravel() if ascending else -heat.ravel(),
                                                  kind="stable"),
                            "random": np.random.default_rng(seed).permutation(heat.size)}.items():
            copies = []
            for f in sanity.FRACTIONS:
                gone = np.zeros(heat.size, bool)
                gone[order[: int(round(f * heat.size))]] = True
                copies.append(np.where(gone.reshape(32, 32, 1), filler, images[0]))
            scores = evaluate.predict_logits(model, np.stack(copies))
            curve = (scores if logits else evaluate.softmax(scores))[:, target]
            out[name] = float(np.trapezoid(curve) if indices else np.trapezoid(curve, sanity.FRACTIONS))
        return out

    mine = by_hand()  # the teacher's solution
    values = list(mine.values())
    ok = {"model": model, "image": images[0], "heat": heat, "target": target}
    assert_right(verdict("06", 2, mine, **ok))
    assert_right(verdict("06", 2, {k: round(v, 3) for k, v in mine.items()}, **ok))  # as printed
    assert hides(verdict("06", 2, mine, **ok).message, values)
    assert_hint(verdict("06", 2, by_hand(fill="black"), **ok), "black", values)
    assert_hint(verdict("06", 2, by_hand(ascending=True), **ok), "least salient", values)
    assert_hint(verdict("06", 2, by_hand(logits=True), **ok), "logits", values)
    assert_hint(verdict("06", 2, by_hand(indices=True), **ok), "fractions", values)
    assert_hint(verdict("06", 2, {"vargrad": mine["random"], "random": mine["vargrad"]}, **ok),
                "swapped", values)
    assert_hint(verdict("06", 2, by_hand(seed=5), **ok), "permutation", values)
    assert_hint(verdict("06", 2, values, **ok), "dict", values)
    assert_hint(verdict("06", 2, {"vargrad": 0.5}, **ok), "two keys", values)


def test_06_grid_energy_by_noise(net):
    import pandas as pd

    from gemlib import explain

    model, images = net
    targets = np.array([0, 2])
    ok = {"model": model, "images": images, "targets": targets}
    levels = (0.05, 0.15, 0.3, 1.0)

    def by_hand(method=explain.vargrad, score=lambda m: np.abs(m).sum(-1), seed=0):
        return {s: explain.grid_energy(score(method(model, images, targets, n_samples=50, noise=s,
                                                    seed=seed))) for s in levels}

    mine = by_hand()  # the teacher's solution
    values = [v for s in levels for v in mine[s]]

    def assert_hint(result, words, values):  # the exercise's noise levels may be named in a hint
        assert not result.right and words in result.message, result.message
        assert hides(result.message.replace("0.05, 0.15, 0.3 and 1.0", ""), values), result.message

    assert_right(verdict("06", 1, mine, **ok))
    assert_right(verdict("06", 1, pd.DataFrame(mine).round(3), **ok))  # the printed table
    assert hides(verdict("06", 1, mine, **ok).message, values)
    assert_hint(verdict("06", 1, by_hand(score=explain.to_heatmap), **ok), "to_heatmap", values)
    assert_hint(verdict("06", 1, by_hand(method=explain.smoothgrad), **ok), "SmoothGrad", values)
    assert_hint(verdict("06", 1, dict(zip(levels, [mine[s] for s in reversed(levels)])), **ok),
                "wrong noise level", values)
    assert_hint(verdict("06", 1, {s: mine[s] for s in levels[:3]}, **ok), "four noise levels", values)
    assert_hint(verdict("06", 1, {s: mine[s][:1] for s in levels}, **ok), "2 grid energies", values)
    assert_hint(verdict("06", 1, list(mine.values()), **ok), "dict", values)
    other = by_hand(seed=5)
    assert not verdict("06", 1, other, **ok).right
    assert hides(verdict("06", 1, other, **ok).message, values)


def test_06_backdrop_distance_split():
    import pandas as pd

    from gemlib import backdrop

    rng = np.random.default_rng(0)
    n = 40
    images = np.empty((n, 16, 16, 3), np.uint8)
    shades = rng.integers(0, 256, n)
    images[:] = shades[:, None, None, None]  # each photo one flat colour: its backdrop
    changes = pd.DataFrame({"image": np.arange(n), "change": rng.normal(-0.2, 0.2, n),
                            "mask_failed": np.arange(n) % 9 == 4})
    ok = {"images": images, "changes": changes}

    def by_hand(centre=128.0, drop=True, sign=1.0):
        colours = np.stack([backdrop.border_colour(x) for x in images])
        distance = np.linalg.norm(colours - centre, axis=1)
        kept = changes[~changes["mask_failed"]] if drop else changes
        farther = distance[kept.image] > np.median(distance[kept.image])
        return (sign * kept["change"]).groupby(farther).mean()

    mine = by_hand()  # the teacher's solution: a Series indexed False, True
    values = mine.to_numpy()
    assert_right(verdict("06", 4, mine, **ok))
    assert_right(verdict("06", 4, {"nearer": mine[False], "farther": round(mine[True], 3)}, **ok))
    assert hides(verdict("06", 4, mine, **ok).message, values)
    assert_hint(verdict("06", 4, {"nearer": mine[True], "farther": mine[False]}, **ok),
                "swapped", values)
    assert_hint(verdict("06", 4, by_hand(sign=-1.0), **ok), "sign", values)
    assert_hint(verdict("06", 4, by_hand(drop=False), **ok), "mask failed", values)
    assert_hint(verdict("06", 4, by_hand(centre=0.0), **ok), "from black", values)
    assert_hint(verdict("06", 4, {"nearer": 0.1}, **ok), "'nearer'", values)
    assert not verdict("06", 4, {"nearer": 0.0, "farther": 0.0}, **ok).right


# --- 09: counting occlusion grids before running them -------------------------------------------


def test_09_occlusion_grid_counts():
    from gemlib.occlusion import patch_starts

    settings = [(32, 16), (64, 32), (8, 8), (48, 32)]
    formula = {(p, s): (128 - p) // s + 1 for p, s in settings}  # the teacher's solution
    passes = {(p, s): len(patch_starts(128, p, s)) ** 2 + 1 for p, s in settings}
    # the answer's numbers, less those the question itself names (patch and stride sizes)
    reference = [v for v in [*formula.values(), *passes.values()] if v not in (8, 16, 32, 48, 64)]
    assert_right(verdict("09", 3, {"per side": formula, "passes": passes}))
    assert_right(verdict("09", 3, {"per side": {k: float(v) for k, v in formula.items()},
                                   "passes": {k: np.int64(v) for k, v in passes.items()}}))
    measured = {k: len(patch_starts(128, *k)) for k in settings}

    def per(values):
        return {"per side": values, "passes": passes}

    assert_hint(verdict("09", 3, {"passes": passes}), "'per side'")
    assert_hint(verdict("09", 3, per({(32, 16): 7})), "no prediction for")
    assert_hint(verdict("09", 3, per(measured)), "measured counts", *reference)
    assert_hint(verdict("09", 3, per({k: v * v for k, v in formula.items()})), "whole grids",
                *reference)
    assert_hint(verdict("09", 3, per({k: (128 - k[0]) / k[1] + 1 for k in settings})), "`//`",
                *reference)
    assert_hint(verdict("09", 3, per({k: 128 // k[1] for k in settings})), "no longer fits",
                *reference)
    assert_hint(verdict("09", 3, per({k: (128 - k[0]) // k[1] for k in settings})),
                "starts at 0", *reference)
    assert_hint(verdict("09", 3, {"per side": formula}), "formula right")
    assert_hint(verdict("09", 3, {"per side": formula,
                                  "passes": {k: v - 1 for k, v in passes.items()}}),
                "one pass short", *reference)
    assert_hint(verdict("09", 3, {"per side": formula,
                                  "passes": {k: v * v + 1 for k, v in formula.items()}}),
                "your formula's passes", *reference)
    assert_hint(verdict("09", 3, {"per side": formula, "passes": {k: 1 for k in settings}}),
                "plus one for the photo", *reference)


# --- 07: per-style recall of both models --------------------------------------------------------


def test_07_per_style_recall_of_both_models():
    import pandas as pd

    from gemlib import evaluate

    rng = np.random.default_rng(0)
    classes = [f"style {c}" for c in "ABCDE"]
    labels = rng.integers(0, 5, 300)
    logits = {name: rng.normal(size=(300, 5)) + skill * np.eye(5)[labels]
              for name, skill in (("scratch", 1.5), ("transfer", 1.0))}
    ok = {"logits": logits, "labels": labels, "classes": classes}
    # the teacher's solution
    recall = pd.DataFrame({
        name: evaluate.per_class_table(labels, lg.argmax(1), classes)
        .set_index("class")["recall"] for name, lg in logits.items()})
    recall["transfer - scratch"] = recall["transfer"] - recall["scratch"]
    reference = recall[["scratch", "transfer"]].to_numpy()
    assert_right(verdict("07", 1, recall, **ok))
    assert_right(verdict("07", 1, recall[["scratch", "transfer"]].sort_values("scratch"), **ok))

    def table(column, flip=False, by_name=True):
        out = {}
        for name, other in (("scratch", "transfer"), ("transfer", "scratch")):
            t = evaluate.per_class_table(labels, logits[other if flip else name].argmax(1), classes)
            out[name] = t.set_index("class")[column] if by_name else t[column]
        return pd.DataFrame(out)

    assert not np.allclose(table("precision").to_numpy(), table("recall").to_numpy())
    assert_hint(verdict("07", 1, recall * 100, **ok), "in %", reference)
    assert_hint(verdict("07", 1, table("recall", flip=True), **ok), "swapped", reference)
    assert_hint(verdict("07", 1, table("precision"), **ok), "precision", reference)
    swapped_args = pd.DataFrame({  # labels and predictions swapped: each model's precision
        name: evaluate.per_class_table(lg.argmax(1), labels, classes).set_index("class")["recall"]
        for name, lg in logits.items()})
    assert_hint(verdict("07", 1, swapped_args, **ok), "precision", reference)
    assert_hint(verdict("07", 1, table("f1"), **ok), "F1", reference)
    assert_hint(verdict("07", 1, table("recall", by_name=False), **ok), "style name", reference)
    misplaced = table("recall", by_name=False).set_index(pd.Index(classes))
    assert_hint(verdict("07", 1, misplaced, **ok), "sorts its rows by F1", reference)
    assert_hint(verdict("07", 1, recall["transfer - scratch"], **ok), "DataFrame", reference)
    assert_hint(verdict("07", 1, recall.rename(columns={"scratch": "a"}), **ok), "'scratch'")
    assert_hint(verdict("07", 1, recall.iloc[:3], **ok), "one per style")
    per_model = pd.concat({n: evaluate.per_class_table(labels, lg.argmax(1), classes)
                           for n, lg in logits.items()}, axis=1)
    assert_hint(verdict("07", 1, per_model, **ok), "one recall column per model")
    wrong = recall.assign(scratch=recall["scratch"] * 0.5 + 0.1)
    assert_hint(verdict("07", 1, wrong, **ok), "per_class_table", reference)


# --- 07: a two-layer head on a frozen backbone --------------------------------------------------


def test_07_a_two_layer_head_on_the_frozen_backbone():
    import keras

    from gemlib.models import build_resnet

    keras.utils.set_random_seed(0)
    backbone = build_resnet(3, image_size=32, widths=(4, 4, 8, 8), head_units=8, dropout=0.0)
    images = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3)).astype(np.uint8)
    ok = {"backbone": backbone, "images": images, "n_classes": 5}

    def build(layer="gap", units=(256,), classes=5, freeze=True, softmax=True, net=None,
              bend="elu"):
        net = backbone if net is None else net
        features = keras.Model(net.input, net.get_layer(layer).output)
        for shared in features.layers:  # the layers are the backbone's: set each one every time
            shared.trainable = not freeze
        features.trainable = not freeze
        head = [keras.layers.Flatten()] if len(features.output.shape) > 2 else []
        head += [keras.layers.Dense(u, activation=bend) for u in units]
        head += [keras.layers.Dense(classes, activation="softmax" if softmax else None)]
        return keras.Sequential([features, *head])

    # the teacher's solution: 8 pooled features here (256 in the lesson), 5 styles (25)
    prediction = 8 * 256 + 256 + 256 * 5 + 5
    model = build()
    assert sum(w.numpy().size for w in model.trainable_weights) == prediction
    result = verdict("07", 2, {"prediction": prediction, "model": model}, **ok)
    assert_right(result)
    assert "spot on" in result.message
    # the same head written as one functional model on the backbone's own layers, then frozen
    flat = keras.Model(backbone.input, keras.layers.Dense(5, activation="softmax")(
        keras.layers.Dense(256, activation="elu")(backbone.get_layer("gap").output)))
    for layer in flat.layers[:-2]:
        layer.trainable = False
    assert_right(verdict("07", 2, {"prediction": prediction, "model": flat}, **ok))
    # a wrong count is "not yet" even with the right model, and the count is not given away
    assert_hint(verdict("07", 2, {"prediction": 8 * 256 + 256 * 5, "model": model}, **ok),
                "biases", prediction)
    assert_hint(verdict("07", 2, {"prediction": 256 * 5 + 5, "model": model}, **ok),
                "last layer", prediction)
    assert_hint(verdict("07", 2, {"prediction": 12345, "model": model}, **ok),
                "count is off", prediction)
    assert_hint(verdict("07", 2, {"prediction": 1, "model": model}, **ok),
                "count is off", prediction)
    assert_hint(verdict("07", 2, {"prediction": prediction, "model": build(bend="relu")}, **ok),
                "ELU", prediction)
    # the slips
    assert_hint(verdict("07", 2, {"model": model}, **ok), "count first")
    assert_hint(verdict("07", 2, {"prediction": prediction}, **ok), "prediction recorded")
    assert_hint(verdict("07", 2, {"prediction": prediction, "model": build(freeze=False)}, **ok),
                "trainable = False", prediction)
    assert_hint(verdict("07", 2, {"prediction": prediction, "model": build(classes=3)}, **ok),
                "one per building style (5)", prediction)
    assert_hint(verdict("07", 2, {"prediction": prediction, "model": build("final_elu")}, **ok),
                "pooled features", prediction)
    assert_hint(verdict("07", 2, {"prediction": prediction, "model": build("head_out_elu")}, **ok),
                "gemstone head", prediction)
    assert_hint(verdict("07", 2, {"prediction": prediction, "model": build(softmax=False)}, **ok),
                "softmax", prediction)
    assert_hint(verdict("07", 2, {"prediction": prediction, "model": build(units=())}, **ok),
                "single softmax layer", prediction)
    assert_hint(verdict("07", 2, {"prediction": prediction, "model": build(units=(128,))}, **ok),
                "256 units", prediction)
    clone = keras.models.clone_model(backbone)
    assert_hint(verdict("07", 2, {"prediction": prediction, "model": build(net=clone)}, **ok),
                "gemstone weights", prediction)
    assert_hint(verdict("07", 2, {"prediction": "many", "model": model}, **ok), "one number")
    assert_hint(verdict("07", 2, {"prediction": prediction, "model": "mine"}, **ok), "keras.Model")


# --- 07: a paired bootstrap of the recipe gap ---------------------------------------------------


def test_07_paired_bootstrap_of_the_recipe_gap():
    rng = np.random.default_rng(0)
    n, k = 1200, 5
    labels = rng.integers(0, k, n)
    hard = rng.random(n)  # a photo's difficulty, shared by all runs: what makes the pairing matter
    logits = {}
    for (recipe, seed), skill in {("scratch", 0): 0.55, ("scratch", 1): 0.5,
                                  ("transfer", 0): 0.4, ("transfer", 1): 0.45}.items():
        right = (hard + 0.3 * rng.random(n)) < skill + 0.15
        logits[recipe, seed] = rng.normal(size=(n, k)) + 10.0 * np.eye(k)[labels] * right[:, None]
    # the teacher's solution
    ok_ = {run: lg.argmax(axis=1) == labels for run, lg in logits.items()}
    per_photo = {r: (ok_[r, 0].astype(float) + ok_[r, 1]) / 2 for r in ("scratch", "transfer")}
    gap = 100 * (per_photo["scratch"] - per_photo["transfer"])
    idx = np.random.default_rng(0).integers(0, len(gap), size=(2000, len(gap)))
    resampled = gap[idx].mean(axis=1)
    low, high = np.quantile(resampled, [0.025, 0.975])
    assert high - low > 1.5  # wide enough for the slips below to be told apart
    ok = {"logits": logits, "labels": labels}
    assert_right(verdict("07", 3, resampled, **ok))
    assert_right(verdict("07", 3, list(resampled), **ok))
    # the interval alone, which evaluate.bootstrap_ci would give in one call, is not the answer
    assert_hint(verdict("07", 3, (low, high), **ok), "interval", resampled)
    assert_hint(verdict("07", 3, resampled / 100, **ok), "fractions", resampled)
    assert_hint(verdict("07", 3, -resampled, **ok), "sign", resampled)
    assert_hint(verdict("07", 3, np.sort(resampled), **ok), "order", resampled)
    seed0 = 100 * (ok_["scratch", 0].astype(float) - ok_["transfer", 0])
    assert_hint(verdict("07", 3, seed0[idx].mean(axis=1), **ok), "seed 0", resampled)
    unpaired = 100 * (per_photo["scratch"][idx].mean(axis=1)
                      - per_photo["transfer"][idx[::-1]].mean(axis=1))
    assert_hint(verdict("07", 3, unpaired, **ok), "paired", resampled)
    draw = np.random.default_rng(0)  # one draw of indices per recipe: not paired
    two_draws = 100 * (per_photo["scratch"][draw.integers(0, n, (2000, n))].mean(axis=1)
                       - per_photo["transfer"][draw.integers(0, n, (2000, n))].mean(axis=1))
    assert_hint(verdict("07", 3, two_draws, **ok), "same photo indices for both", resampled)
    other_rng = gap[np.random.default_rng(1).integers(0, n, (2000, n))].mean(axis=1)
    assert_hint(verdict("07", 3, other_rng, **ok), "default_rng(0)", resampled)
    assert_hint(verdict("07", 3, resampled + 5, **ok), "resample", resampled)
    assert_hint(verdict("07", 3, 3.0, **ok), "2,000 numbers", resampled)
    for message in (verdict("07", 3, resampled / 100, **ok).message,
                    verdict("07", 3, (low, high), **ok).message):
        assert hides(message, low, high)


# --- 07: the confusions that go both ways -------------------------------------------------------


def test_07_confusions_that_go_both_ways():
    from gemlib import evaluate

    rng = np.random.default_rng(0)
    k = 12
    classes = [f"style {c} architecture" for c in "ABCDEFGHIJKL"]
    labels = rng.integers(0, k, 1500)
    pred = np.where(rng.random(1500) < 0.55, labels, rng.integers(0, k, 1500))
    other = np.where(rng.random(1500) < 0.55, labels, rng.integers(0, k, 1500))
    transfer_logits = np.eye(k)[other]
    ok = {"labels": labels, "predicted": pred, "classes": classes,
          "transfer_logits": transfer_logits}
    # the teacher's solution
    mixups = evaluate.most_confused(labels, pred, classes, top=40)
    both = mixups.merge(mixups, left_on=["true", "predicted"], right_on=["predicted", "true"],
                        suffixes=("", "_back"))
    kept = both[both["true"] < both["predicted"]]
    answer = set(zip(kept["true"], kept["predicted"]))
    assert 3 <= len(answer) < 20  # some pairs go both ways, not all of the 40

    def pairs(pred_, top=40, both_ways=True):
        t = evaluate.most_confused(labels, pred_, classes, top=top)
        one = set(zip(t["true"], t["predicted"]))
        return {p for p in one if not both_ways or (p[1], p[0]) in one}

    def message_hides(result):
        return not any(c in result.message for c in classes)

    for right in (answer, list(answer), {(b, a) for a, b in answer}, both, kept,
                  {(a.replace(" architecture", ""), b) for a, b in answer},
                  {(classes.index(a), classes.index(b)) for a, b in answer}):
        assert_right(verdict("07", 4, right, **ok))
    slips = [(pairs(pred, top=10), "top=40"), (pairs(pred, top=None), "all the confusions"),
             (pairs(other), "transfer model's"), (pairs(pred, both_ways=False), "only one way"),
             (set(list(answer)[1:]), "some are missing"),
             ({("style A", "nowhere")}, "arch.classes"), ({("style A", "style A")}, "two different"),
             ("style A", "set of"), ([("style A",)], "one pair"),
             (mixups[["count"]], "'true' and 'predicted'")]
    one_way = next(iter(pairs(pred, both_ways=False) - pairs(pred)))
    swapped = set(list(answer)[1:]) | {one_way}  # one right pair replaced by a one-way pair
    slips.append((swapped, "merge"))
    for wrong, words in slips:
        if words == "transfer model's":
            assert pairs(other) != answer
        result = verdict("07", 4, wrong, **ok)
        assert_hint(result, words)
        assert message_hides(result), result.message


# --- 07: both probes refitted on 10 training photos per style ----------------------------------


def test_07_ten_photos_per_style_probe():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    k, d = 5, 12
    train_labels, val_labels = np.repeat(np.arange(k), 40), rng.integers(0, k, 400)
    centres = rng.normal(size=(k, d))
    scales = rng.uniform(0.5, 20, d)  # unequal feature scales, so the scaler matters

    def features(labels, signal):
        return (signal * centres[labels] + rng.normal(size=(len(labels), d))) * scales

    feats = {"gemstone weights": [features(train_labels, 0.6), features(val_labels, 0.6)],
             "random weights": [features(train_labels, 0.5), features(val_labels, 0.5)]}
    ok = {"feats": feats, "train_labels": train_labels, "val_labels": val_labels}
    # the teacher's solution
    ten = np.concatenate([np.flatnonzero(train_labels == s)[:10] for s in range(k)])
    fewer = {}
    for name, (f_train, f_val) in feats.items():
        head = make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=1000))
        head.fit(f_train[ten], train_labels[ten])
        fewer[name] = head.score(f_val, val_labels)
    assert_right(verdict("07", 5, {"prediction": "more", **fewer}, **ok))
    assert_right(verdict("07", 5, {"prediction": "less", **fewer}, **ok))
    reference = list(fewer.values())

    def slip(rows=ten, scaled=True, c=0.01, on_train=False):
        out = {}
        for name, (f_train, f_val) in feats.items():
            steps = [StandardScaler()] if scaled else []
            head = make_pipeline(*steps, LogisticRegression(C=c, max_iter=1000))
            head.fit(f_train[rows], train_labels[rows])
            out[name] = (head.score(f_train[rows], train_labels[rows]) if on_train
                         else head.score(f_val, val_labels))
        assert all(abs(out[n] - fewer[n]) > 1e-3 for n in out), out  # a slip that shows
        return {"prediction": "more", **out}

    assert_hint(verdict("07", 5, {"gemstone weights": 0.3}, **ok), "guess first")
    assert_hint(verdict("07", 5, {"prediction": "bigger", **fewer}, **ok), "'more' or 'less'",
                *reference)
    assert_hint(verdict("07", 5, {"prediction": "more"}, **ok), "prediction recorded", *reference)
    assert_hint(verdict("07", 5, {"prediction": "more", "gemstone weights": fewer["random weights"],
                                  "random weights": fewer["gemstone weights"]}, **ok), "swapped",
                *reference)
    assert_hint(verdict("07", 5, {"prediction": "more", **{n: 100 * v for n, v in fewer.items()}},
                        **ok), "not in %", *reference)
    assert_hint(verdict("07", 5, slip(rows=np.arange(len(train_labels))), **ok), "first 10",
                *reference)
    assert_hint(verdict("07", 5, slip(on_train=True), **ok), "validation features", *reference)
    assert_hint(verdict("07", 5, slip(scaled=False), **ok), "StandardScaler", *reference)
    assert_hint(verdict("07", 5, slip(c=1.0), **ok), "C=0.01", *reference)
    half = {"prediction": "more", "gemstone weights": fewer["gemstone weights"],
            "random weights": slip(c=1.0)["random weights"]}
    assert_hint(verdict("07", 5, half, **ok), "'random weights' one is not", *reference)
    assert_hint(verdict("07", 5, slip(rows=ten[::2]), **ok), "first 10 photos", *reference)


# --- 08: choosing on validation, then quoting the test score -----------------------------------


def _best_of_k_draws(a, n, k, r, draws, reuse_shared=False):
    rng = np.random.default_rng(0)

    def scores(shared):
        own, redraw = rng.random((draws, k, n)) < a, rng.random((draws, k, n)) < r
        return np.where(redraw, own, shared).mean(axis=2)

    shared = rng.random((draws, 1, n)) < a
    test = scores(shared)
    validation = scores(shared if reuse_shared else rng.random((draws, 1, n)) < a)
    return test, validation


def test_08_choosing_on_validation_quotes_a_fair_test_score():
    a, n, k, one_only, draws = 0.725, 363, 5, 0.099, 3000
    r = 1 - np.sqrt(1 - one_only / (2 * a * (1 - a)))
    scores, validation = _best_of_k_draws(a, n, k, r, draws)
    ok = {"accuracy": a, "n_images": n, "scores": scores, "disagreement": one_only}
    rows, best = np.arange(draws), scores.max(axis=1)
    chosen = validation.argmax(axis=1)
    quoted = scores[rows, chosen]
    assert abs(quoted.mean() - a) < 0.002 and best.mean() - a > 0.01  # the point of the exercise
    assert_right(verdict("08", 1, (validation, chosen, quoted, best), **ok))
    # a random choice is fair too, but it is not a choice on validation
    luck = np.random.default_rng(5).integers(0, k, draws)
    assert abs(scores[rows, luck].mean() - a) < 0.004
    assert_hint(verdict("08", 1, (validation, luck, scores[rows, luck], best), **ok),
                "best validation score")
    # chosen on the test set
    assert_hint(verdict("08", 1, (validation, scores.argmax(axis=1), best, best), **ok),
                "best *test* score")
    # "validation" scores that are the test scores, or that reuse the test photos' shared answers
    assert_hint(verdict("08", 1, (scores, scores.argmax(axis=1), best, best), **ok),
                "are the test scores")
    reused = _best_of_k_draws(a, n, k, r, draws, reuse_shared=True)[1]
    pick = reused.argmax(axis=1)
    assert_hint(verdict("08", 1, (reused, pick, scores[rows, pick], best), **ok), "anew")
    # validation not shares of 363 photos; the validation score quoted; best not the best
    assert_hint(verdict("08", 1, (validation + 0.0001, chosen, quoted, best), **ok),
                "shares right of 363")
    assert_hint(verdict("08", 1, (validation, chosen, validation[rows, chosen], best), **ok),
                "quoted the validation score")
    assert_hint(verdict("08", 1, (validation, chosen, quoted, quoted), **ok), "highest test score")
    assert_hint(verdict("08", 1, (validation[:, :4], chosen, quoted, best), **ok), "3000 x 5")
    assert_hint(verdict("08", 1, (chosen, quoted, best), **ok), "four arrays")
    assert_hint(verdict("08", 1, (validation, chosen[:500], quoted, best), **ok), "1-D arrays")
    # validation candidates that share too little (r = 0.9, or independent) or everything (r = 0)
    for wrong_r, hint in ((0.9, "disagree"), (1.0, "disagree"), (0.0, "agree more")):
        loose = _best_of_k_draws(a, n, k, wrong_r, draws)[1]
        pick = loose.argmax(axis=1)
        assert_hint(verdict("08", 1, (loose, pick, scores[rows, pick], best), **ok), hint)


# --- 08: recall and precision from the counts, for the seed-1 model ----------------------------


def test_08_recall_precision_from_the_counts():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(5), 8)
    pred_1 = np.where(rng.random(40) < 0.6, labels, rng.integers(0, 4, 40))
    pred_1[pred_1 == 4] = 3  # class 4 never predicted: its precision is 0, not a division by zero
    logits_1 = np.eye(5)[pred_1] + rng.normal(0, 0.01, (40, 5))
    shipped = np.where(rng.random(40) < 0.7, labels, rng.integers(0, 5, 40))
    # the teacher's solution
    counts = np.zeros((5, 5))
    np.add.at(counts, (labels, logits_1.argmax(axis=1)), 1)
    hits, in_row, in_col = np.diag(counts), counts.sum(axis=1), counts.sum(axis=0)
    recall = hits / in_row
    precision = np.divide(hits, in_col, out=np.zeros_like(hits), where=in_col > 0)
    assert (in_col == 0).sum() == 1 and not np.allclose(recall, precision)
    ok = {"labels": labels, "logits": logits_1, "shipped": shipped}
    seed0 = np.zeros((5, 5))
    np.add.at(seed0, (labels, shipped), 1)
    assert_right(verdict("08", 6, (counts, recall, precision), **ok))
    assert_right(verdict("08", 6, [counts.tolist(), list(recall), list(precision)], **ok))
    # the diagonals alone, which the library's normalised matrices give, are not the answer
    assert_hint(verdict("08", 6, (recall, precision), **ok), "three arrays", recall)
    assert_hint(verdict("08", 6, (counts.T, recall, precision), **ok), "transposed", recall)
    assert_hint(verdict("08", 6, (seed0, recall, precision), **ok), "shipped model's counts", recall)
    assert_hint(verdict("08", 6, (counts / in_row[:, None], recall, precision), **ok),
                "counts are not", recall)
    assert_hint(verdict("08", 6, (counts[:4], recall, precision), **ok), "5 x 5", recall)
    assert_hint(verdict("08", 6, (counts, precision, recall), **ok), "swapped", recall, precision)
    with np.errstate(invalid="ignore", divide="ignore"):
        assert_hint(verdict("08", 6, (counts, recall, hits / in_col), **ok), "NaN", precision)
    assert_hint(verdict("08", 6, (counts, counts / in_row[:, None], precision), **ok),
                "whole matrix", recall)
    assert_hint(verdict("08", 6, (counts, np.diag(seed0) / seed0.sum(axis=1), precision), **ok),
                "shipped model", recall)
    assert_hint(verdict("08", 6, (counts, recall, hits / len(labels)), **ok), "precision is not",
                precision)
    assert_hint(verdict("08", 6, (counts, hits / in_row.sum(), precision), **ok), "recall is not",
                recall)
    assert_hint(verdict("08", 6, (counts, recall[:4], precision), **ok), "shape (4,)", recall)
    assert_hint(verdict("08", 6, recall, **ok), "three arrays", recall)


# --- 08: how much of the photo survives in one noisy copy --------------------------------------


def _photo_like(seed: int = 0) -> np.ndarray:
    """A 128-pixel uint8 'photo': a smooth bright blob on a dark ground, some texture, range 0-255."""
    yy, xx = np.mgrid[:128, :128]
    blob = np.exp(-((yy - 60) ** 2 + (xx - 70) ** 2) / 900.0)
    texture = np.random.default_rng([seed, 99]).normal(0, 0.08, (128, 128, 3))
    image = blob[..., None] * np.array([0.9, 0.7, 0.5]) + texture
    image = (image - image.min()) / np.ptp(image) * 255
    return image.astype(np.uint8)


def test_08_noisy_copy_brightness():
    from scipy.stats import pearsonr, spearmanr

    photo = _photo_like()
    spread = float(np.ptp(photo))
    light = photo.astype(float).sum(axis=-1).ravel()

    def solution(noise_scale=None, channel=None, pearson=False, seed=0):
        rng, out = np.random.default_rng(seed), {}
        for s in (0.15, 1.0):
            copy = photo + rng.normal(0, s * spread if noise_scale is None else s, photo.shape)
            a, b = ((light, copy.sum(axis=-1).ravel()) if channel is None else
                    (photo[..., channel].ravel().astype(float), copy[..., channel].ravel()))
            out[s] = (pearsonr if pearson else spearmanr)(a, b).statistic
        return out

    ok = {"image": photo}
    right = solution()
    assert_right(verdict("08", 2, right, **ok))
    assert_right(verdict("08", 2, solution(seed=7), **ok))  # another draw of the copy
    assert_right(verdict("08", 2, {k: np.float64(v) for k, v in right.items()}, **ok))
    assert_hint(verdict("08", 2, {0.15: right[1.0], 1.0: right[0.15]}, **ok), "swapped", *right.values())
    assert_hint(verdict("08", 2, solution(noise_scale=1), **ok), "range", *right.values())
    assert_hint(verdict("08", 2, solution(pearson=True), **ok), "spearmanr", *right.values())
    assert_hint(verdict("08", 2, solution(channel=0), **ok), "three channels", *right.values())
    assert_hint(verdict("08", 2, {0.15: 0.3, 1.0: 0.1}, **ok), "add Gaussian noise", *right.values())
    assert_hint(verdict("08", 2, [right[0.15], right[1.0]], **ok), "keys 0.15 and 1.0")
    assert_hint(verdict("08", 2, {0.15: "high", 1.0: "low"}, **ok), "one number")


# --- 08: the classes whose two diagonals agree -------------------------------------------------


def test_08_diagonals_agree():
    labels = np.repeat(np.arange(6), 4)
    pred = labels.copy()
    pred[8:12], pred[12:16] = 3, 2  # classes 2 and 3 swapped: never right, counts equal
    pred[19] = 5                    # class 4: 3 of 4 right, predicted 3 times
    pred[20:24] = 0                 # class 5 never right, predicted once: 0 both ways
    # the teacher's solution, with the lesson's matrices
    counts = np.zeros((6, 6))
    np.add.at(counts, (labels, pred), 1)
    by_row = counts / counts.sum(axis=1, keepdims=True)
    cols = counts.sum(axis=0, keepdims=True)
    by_column = np.divide(counts, cols, out=np.zeros_like(counts), where=cols > 0)
    same = np.isclose(np.diag(by_row), np.diag(by_column))
    n_true, n_pred = np.bincount(labels, minlength=6), np.bincount(pred, minlength=6)
    hits = np.diag(counts)
    masks = [same, n_true == n_pred, same & (hits > 0)]
    assert len({m.tobytes() for m in masks}) == 3 and not same.all()
    ok = {"labels": labels, "pred": pred}
    assert_right(verdict("08", 5, same, **ok))
    assert_right(verdict("08", 5, np.flatnonzero(same), **ok))
    assert_hint(verdict("08", 5, ~same, **ok), "differ")
    assert_hint(verdict("08", 5, n_true == n_pred, **ok), "never predicted right")
    assert_hint(verdict("08", 5, same & (hits > 0), **ok), "no right answer")
    assert_hint(verdict("08", 5, np.isclose(by_row, by_column), **ok), "whole matrices")
    assert_hint(verdict("08", 5, int(same.sum()), **ok), "one number")
    assert_hint(verdict("08", 5, same[:4], **ok), "shape (6,)")
    assert_hint(verdict("08", 5, np.zeros(6, bool), **ok), "compare the two diagonals")


# --- 08: how much each map follows the photo's brightness --------------------------------------


def test_08_map_brightness_per_photo():
    import pandas as pd
    from scipy.stats import spearmanr

    photos = np.stack([_photo_like(seed) for seed in range(3)])
    rng = np.random.default_rng(3)
    right = rng.gamma(2.0, 1.0, photos.shape) * (1 + photos[..., :1] / 255)
    ig_var = (photos / 255.0 * rng.gamma(1.0, 1.0, photos.shape)) ** 2
    names = ["a", "b", "c"]

    def table(change=np.abs, channels=True):
        def one(m, x):
            m, x = change(m), x.astype(float)
            if channels:
                m, x = m.sum(axis=-1), x.sum(axis=-1)
            return spearmanr(m.ravel(), x.ravel()).statistic
        return pd.DataFrame({"VarGrad": [one(m, x) for m, x in zip(right, photos)],
                             "variance of IG": [one(m, x) for m, x in zip(ig_var, photos)]},
                            index=names)

    ok = {"right": right, "ig_var": ig_var, "photos": photos}
    ref = table()
    ref_values = ref.to_numpy().ravel()
    assert_right(verdict("08", 3, ref, **ok))
    assert_right(verdict("08", 3, ref.round(2), **ok))  # the solution's rounded table
    assert_right(verdict("08", 3, {c: list(ref[c]) for c in ref}, **ok))
    swapped = ref.rename(columns={"VarGrad": "variance of IG", "variance of IG": "VarGrad"})
    assert_hint(verdict("08", 3, swapped, **ok), "swapped", *ref_values)
    std = table(change=lambda m: np.sqrt(np.abs(m)))
    assert np.abs(std.to_numpy() - ref.to_numpy()).max() > 0.006  # beyond rounding: told apart
    assert_hint(verdict("08", 3, std, **ok), "standard deviations", *ref_values)
    assert_hint(verdict("08", 3, table(channels=False), **ok), "channel separately", *ref_values)
    pooled = ref.mean().to_frame().T
    assert_hint(verdict("08", 3, pooled, **ok), "one per photo", *ref_values)
    half = ref.assign(**{"variance of IG": ref["variance of IG"] + 0.1})
    assert_hint(verdict("08", 3, half, **ok), "`VarGrad` column is right", *ref_values)
    assert_hint(verdict("08", 3, ref.rename(columns={"VarGrad": "vargrad"}), **ok), "name them")
    assert_hint(verdict("08", 3, ref.to_numpy(), **ok), "DataFrame")
    assert_hint(verdict("08", 3, ref * 0.5, **ok), "rank-correlate", *ref_values)


# --- 08: the optimism of the best of k, shared photos against independent candidates ------------


def test_08_optimism_by_number_of_candidates():
    import pandas as pd

    from gemlib import published

    n, a, one_only, ks = 100, 0.7, 0.12, (1, 2, 5, 20, 100)

    def table(seed=0, draws=2000, shared=one_only, independent=None, key="optimism"):
        return pd.DataFrame({
            "shared photos": {k: published.best_of_k_optimism(k, n, a, draws=draws, seed=seed,
                                                              disagreement=shared)[key] for k in ks},
            "independent": {k: published.best_of_k_optimism(k, n, a, draws=draws, seed=seed,
                                                            disagreement=independent)[key]
                            for k in ks}})

    ok = {"n_images": n, "accuracy": a, "disagreement": one_only}
    ref = table()
    values = ref.to_numpy().ravel()
    assert (ref["independent"] - ref["shared photos"]).iloc[-1] > 0.01  # the two curves differ
    assert_right(verdict("08", 4, ref, **ok))
    assert_right(verdict("08", 4, ref.round(3), **ok))
    assert_right(verdict("08", 4, table(seed=5), **ok))  # other random numbers
    swapped = ref[["independent", "shared photos"]].set_axis(["shared photos", "independent"], axis=1)
    assert_hint(verdict("08", 4, swapped, **ok), "swapped", *values)
    assert_hint(verdict("08", 4, table(shared=None), **ok), "both columns are independent", *values)
    assert_hint(verdict("08", 4, table(independent=one_only), **ok), "both columns share", *values)
    assert_hint(verdict("08", 4, table(key="mean_best_score"), **ok), "mean best scores", *values)
    assert_hint(verdict("08", 4, table(key="share_best_above_true"), **ok), "share of draws", *values)
    assert_hint(verdict("08", 4, ref * 100, **ok), "points", *values)
    r = 1 - np.sqrt(1 - one_only / (2 * a * (1 - a)))
    assert_hint(verdict("08", 4, table(shared=float(r)), **ok), "passes `r`", *values)
    assert_hint(verdict("08", 4, ref.loc[[1, 2]], **ok), "several k", *values)
    assert_hint(verdict("08", 4, ref.set_axis(["a", "b", "c", "d", "e"]), **ok), "index your table")
    assert_hint(verdict("08", 4, ref.rename(columns={"independent": "indep"}), **ok), "name them")
    assert_hint(verdict("08", 4, list(values), **ok), "DataFrame")


# --- 09: PAIR's Integrated Gradients against the VarGrad noise floor ----------------------------


def test_09_pair_ig_against_floor(net):
    import saliency.core as saliency

    from gemlib import explain, occlusion, pair

    model, images = net
    predicted = explain.predicted_classes(model, images)
    vargrad = explain.to_heatmap(explain.vargrad(model, images, predicted, seed=0))
    # the teacher's solution: the second photo, its own class, a second draw with seed 2
    x = images[1].astype(np.float32)
    call_model = pair.call_model_function(model, int(predicted[1]))
    ig = saliency.IntegratedGradients().GetMask(x, call_model, x_baseline=np.zeros_like(x),
                                                x_steps=25, batch_size=5)
    ig_heat = explain.to_heatmap(ig[None])[0]
    again = explain.to_heatmap(explain.vargrad(model, images[1:2], predicted[1:2], seed=2))[0]
    answer = {"IG vs VarGrad": occlusion.agreement(ig_heat, vargrad[1])["spearman_abs"],
              "noise floor": occlusion.agreement(again, vargrad[1])["spearman_abs"]}
    ok = {"model": model, "images": images, "targets": predicted, "vargrad": vargrad}
    ref = list(answer.values())
    assert_right(verdict("09", 2, answer, **ok))
    assert_right(verdict("09", 2, {k: np.float64(v) for k, v in answer.items()}, **ok))
    assert_right(verdict("09", 2, {k: round(float(v), 2) for k, v in answer.items()}, **ok))
    in_batch = explain.to_heatmap(explain.vargrad(model, images, predicted, seed=2))[1]
    batch_floor = occlusion.agreement(in_batch, vargrad[1])["spearman_abs"]
    assert_right(verdict("09", 2, {**answer, "noise floor": batch_floor}, **ok))
    swapped = {"IG vs VarGrad": answer["noise floor"], "noise floor": answer["IG vs VarGrad"]}
    assert_hint(verdict("09", 2, swapped, **ok), "swapped", *ref)
    assert_hint(verdict("09", 2, {**answer, "noise floor": 1.0}, **ok), "with itself", *ref)
    first = explain.to_heatmap(explain.vargrad(model, images[:1], predicted[:1], seed=2))[0]
    first_floor = occlusion.agreement(first, vargrad[0])["spearman_abs"]
    if abs(first_floor - answer["noise floor"]) > 0.0051:
        assert_hint(verdict("09", 2, {**answer, "noise floor": first_floor}, **ok),
                    "first photo's noise floor", *ref)
    assert_hint(verdict("09", 2, {**answer, "noise floor": answer["noise floor"] - 0.1}, **ok),
                "seed=2", *ref)
    assert_hint(verdict("09", 2, {**answer, "IG vs VarGrad": answer["IG vs VarGrad"] + 0.2}, **ok),
                "IG agreement is not yet right", *ref)
    assert_hint(verdict("09", 2, {"IG": 0.3}, **ok), "keys")
    assert_hint(verdict("09", 2, {"IG vs VarGrad": "low", "noise floor": 0.9}, **ok), "one number")
