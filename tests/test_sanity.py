"""Sanity checks and deletion/insertion on cases with known outcomes."""

from __future__ import annotations

import numpy as np
import pytest

from gemlib import sanity
from gemlib.models import build_resnet


def test_identical_maps_are_perfectly_similar_and_noise_is_not():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(16, 16, 3))
    same = sanity.map_similarity(a, a)
    assert same["spearman_abs"] == pytest.approx(1) and same["ssim"] == pytest.approx(1)
    other = sanity.map_similarity(a, rng.normal(size=(16, 16, 3)))
    assert abs(other["spearman_abs"]) < 0.2 and other["ssim"] < 0.3


def test_deletion_of_the_only_informative_pixel():
    image = np.zeros((4, 4, 3), np.float32)
    image[2, 1] = 255.0

    def proba(batch):  # probability of class 0 = brightness of pixel (2, 1)
        p = batch[:, 2, 1, 0] / 255.0
        return np.stack([p, 1 - p], 1)

    good = np.zeros((4, 4))
    good[2, 1] = 1.0
    sixteenths = np.linspace(0, 1, 17)
    r = sanity.deletion_insertion(proba, image, good, target=0, fractions=sixteenths)
    assert r["deletion"][0] == 1.0 and (r["deletion"][1:] == 0).all()
    assert r["deletion_auc"] == pytest.approx(1 / 32)  # one trapezoid from 1 to 0 over 1/16
    bad = 1.0 - good  # the informative pixel last
    r_bad = sanity.deletion_insertion(proba, image, bad, target=0, fractions=sixteenths)
    assert r_bad["deletion_auc"] > 0.9 and r_bad["insertion_auc"] < r["insertion_auc"]
    # an uneven grid: the pixel goes at the first step, 1/16 of the image; trapezoid 1 -> 0 over it
    uneven = sanity.deletion_insertion(proba, image, good, target=0, fractions=[0, 1 / 16, 0.5, 1])
    assert uneven["deletion_auc"] == pytest.approx(1 / 32)
    # deleted into the blurred copy, the pixel keeps a trace of its brightness instead of black
    blurred = sanity.deletion_insertion(proba, image, good, target=0, fractions=sixteenths, fill="blur")
    assert 0 < blurred["deletion"][1] < 1


def test_cascading_randomisation_covers_every_group_and_leaves_model_alone():
    model = build_resnet(3, image_size=32, widths=(4, 4, 8, 8), head_units=8)
    before = [w.copy() for w in model.get_weights()]
    x = np.random.default_rng(0).integers(0, 256, (1, 32, 32, 3)).astype(np.float32)
    table = sanity.cascading_randomisation(model, x, np.array([1]), methods=("gradient",), n_samples=2)
    groups = [g for g, _ in sanity.weighted_groups(model)]
    assert groups[0] == "logits" and groups[-1] == "stem"
    assert table["layer"].tolist() == ["trained"] + groups
    assert table.loc[0, "spearman_abs"] == pytest.approx(1.0)
    assert table["spearman_abs"].iloc[-1] < 0.9  # a fully random network explains differently
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_cascading_randomisation_can_return_each_steps_maps():
    model = build_resnet(3, image_size=32, widths=(4, 4, 8, 8), head_units=8)
    x = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3)).astype(np.float32)
    table, maps = sanity.cascading_randomisation(model, x, np.array([1, 2]), methods=("gradient",),
                                                 n_samples=2, return_maps=True)
    steps = len(sanity.weighted_groups(model)) + 1
    assert list(maps) == ["gradient"] and maps["gradient"].shape == (steps, 2, 32, 32, 3)
    # step 0 is the trained model's own map; each later map gives the similarity in the table
    from gemlib.explain import gradient
    np.testing.assert_allclose(maps["gradient"][0], gradient(model, x, np.array([1, 2])), rtol=1e-5)
    last = table[table["step"] == steps - 1].set_index("image")
    assert last.loc[1, "spearman_abs"] == pytest.approx(
        sanity.map_similarity(maps["gradient"][0][1], maps["gradient"][-1][1])["spearman_abs"])
    # without the option, the table alone, the same as before
    alone = sanity.cascading_randomisation(model, x, np.array([1, 2]), methods=("gradient",), n_samples=2)
    assert alone.equals(table)


def test_noise_sweep_compares_each_level_with_an_independent_reference():
    model = build_resnet(3, image_size=32, widths=(4, 4, 8, 8), head_units=8)
    x = np.random.default_rng(1).integers(0, 256, (2, 32, 32, 3)).astype(np.float32)
    maps, table = sanity.noise_sweep(model, x, np.array([0, 1]), levels=(0.15, 1.0), n_samples=8)
    assert sorted(maps) == [0.15, 1.0] and maps[1.0].shape == x.shape
    assert table["noise"].tolist() == [0.15, 1.0]
    assert table["spearman_vs_reference"].between(-1, 1).all()
    # same level, another seed: the maps agree better than with noise 100 % of the range
    assert table.loc[0, "spearman_vs_reference"] > table.loc[1, "spearman_vs_reference"]


def test_stem_fingerprint_compares_random_networks_that_differ_only_in_the_stem():
    from PIL import Image

    small = np.random.default_rng(0).integers(0, 256, (2, 6, 6, 3)).astype(np.uint8)
    photos = np.stack([np.asarray(Image.fromarray(s).resize((32, 32), Image.Resampling.BICUBIC)) for s in small])
    maps, table = sanity.stem_fingerprint(photos, num_classes=3, n_samples=4, widths=(4, 8))
    assert list(maps) == ["stem 5 x 5", "stem 4 x 4"] and maps["stem 4 x 4"].shape == photos.shape
    assert table.shape == (4, 3) and table["grid_energy"].between(0, 1).all()
    again, _ = sanity.stem_fingerprint(photos, num_classes=3, n_samples=4, widths=(4, 8))
    np.testing.assert_array_equal(again["stem 4 x 4"], maps["stem 4 x 4"])  # seeded: reproducible


def test_remove_most_salient_blanks_what_deletion_removes():
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 255, (6, 6, 3)).astype(np.float32)
    heat = rng.uniform(size=(6, 6))
    fractions = [0, 0.1, 0.5, 1.0]
    seen = []

    def proba(batch):
        seen.append(batch)
        return np.ones((len(batch), 1))

    for fill in ("black", "blur"):
        seen.clear()
        sanity.deletion_insertion(proba, image, heat, target=0, fractions=fractions, fill=fill)
        for k, f in enumerate(fractions):  # the first len(fractions) images are the deletion steps
            np.testing.assert_array_equal(sanity.remove_most_salient(image, heat, f, fill), seen[0][k])
    out = sanity.remove_most_salient(image, heat, 2 / 36)
    top2 = np.unravel_index(np.argsort(-heat.ravel())[:2], heat.shape)
    assert (out[top2] == 0).all() and (out != 0).all(-1).sum() == 34  # exactly the two hottest pixels go
    with pytest.raises(ValueError, match="heatmap shape"):
        sanity.remove_most_salient(image, heat[:3], 0.1)
