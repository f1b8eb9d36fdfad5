"""Every diagram draws what the computation gives: the model's layers and shapes, counts, bits, pixels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import imagehash  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle  # noqa: E402
from PIL import Image  # noqa: E402

from gemlib import backdrop, data, diagrams, models  # noqa: E402
from gemlib.data import DataError  # noqa: E402


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [t.get_text() for t in fig.texts]


def _patches(ax, kind) -> list:
    return [p for p in ax.patches if isinstance(p, kind)]


def test_residual_block_boxes_follow_the_layers_with_shapes_on_the_arrows():
    fig = diagrams.residual_block(16, 32, 32)
    ax = fig.axes[0]
    texts = _texts(fig)
    assert texts.count("BatchNorm: rescale each channel") == 2 and texts.count("ELU: a smooth ReLU") == 2
    assert "+: adds the skip (1×1 conv of the input)" in texts and "1×1 conv\n16 → 32\nchannels" in texts
    # the main path top to bottom, in the order models.residual_block applies it
    boxes = sorted(((t.get_position()[1], t.get_text()) for t in ax.texts if t.get_position()[0] == 4.3), reverse=True)
    assert [b[1] for b in boxes] == ["input", "BatchNorm", "ELU", "3×3 conv, 32 filters", "BatchNorm", "ELU",
                                     "3×3 conv, 32 filters", "+", "output"]
    # 16 channels: input, after BN, after ELU, skip in; 32: after conv1, BN, ELU, conv2, (+), skip out
    assert texts.count("32×32×16") == 4 and texts.count("32×32×32") == 6
    assert len(_patches(ax, FancyBboxPatch)) == 9 and len(_patches(ax, FancyArrowPatch)) == 9
    same = _texts(diagrams.residual_block(8, 8, 16))
    assert "identity\n(nothing\nchanged)" in same and "+: adds the input back (the skip)" in same
    assert not any("1×1" in t for t in same)
    assert "16×16×16" not in same and same.count("16×16×8") == 10


def test_network_reads_stages_shapes_and_parameters_from_the_model():
    model = models.build_resnet(5, image_size=32, widths=(8, 16, 32, 64), blocks_per_stage=2)
    fig = diagrams.network(model)
    texts = _texts(fig)
    rows = dict(zip(texts[1::2], texts[2::2]))  # box text -> output shape, after the column heading
    assert rows["stem: 4×4 conv, stride 2, 8 filters"] == "16×16×8"
    assert rows["3×3 max-pool, stride 2: keep the largest"] == "8×8×8"
    assert rows["stage 1: 2 residual blocks, 8 channels, then 2×2 max-pool"] == "4×4×8"
    assert rows["stage 4: 2 residual blocks, 64 channels"] == "1×1×64"
    assert rows["dense 5: one logit (score) per class"] == "5" and rows["dropout 30% (in training only)"] == "256"
    assert len(rows) == 15 and len(_patches(fig.axes[0], FancyArrowPatch)) == 14
    assert f"{model.count_params():,} parameters" in fig.axes[0].get_title()
    default = _texts(diagrams.network())
    assert "128×128×3" in default and "dense 87: one logit (score) per class" in default
    assert "stem: 5×5 conv, stride 2, 8 filters" in _texts(diagrams.network(
        models.build_resnet(3, image_size=32, widths=(8, 16), stem_kernel=5)))


def test_stride_coverage_draws_the_counts_in_their_cells():
    fig = diagrams.stride_coverage((5, 4), stride=2, size=12)
    assert len(fig.axes) == 2
    for ax, k in zip(fig.axes, (5, 4)):
        counts = models.stride_coverage(k, 2, 12)
        np.testing.assert_array_equal(ax.images[0].get_array(), counts)
        assert [int(t.get_text()) for t in ax.texts] == counts.ravel().tolist()
    assert "9 / 6 / 4 times: uneven, a grid" in fig.axes[0].get_title()
    assert "every inner pixel seen\n4 times: even" in fig.axes[1].get_title()


def _pattern(seed: int, size: int = 64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = Image.fromarray(rng.integers(0, 256, (6, 6, 3)).astype(np.uint8))
    return np.asarray(small.resize((size, size), Image.Resampling.BICUBIC))


def test_perceptual_hash_counts_and_outlines_the_differing_bits():
    a, b = _pattern(1), _pattern(2)
    distance = imagehash.phash(Image.fromarray(a)) - imagehash.phash(Image.fromarray(b))
    assert distance > 10
    fig = diagrams.perceptual_hash(a, b, titles=("first", "second"))
    assert len(fig.axes) == 9 and fig.axes[0].get_ylabel() == "first" and fig.axes[4].get_ylabel() == "second"
    assert fig._suptitle.get_text().startswith(f"Hamming distance {distance}:")
    assert fig.axes[-1].get_title() == f"bits that differ:\n{distance} of 64"
    for bits_panel in (fig.axes[3], fig.axes[7]):
        assert len(_patches(bits_panel, Rectangle)) == distance
    np.testing.assert_array_equal(fig.axes[3].images[0].get_array(), imagehash.phash(Image.fromarray(a)).hash)
    # the DCT block, centred on its median: positive exactly where the bit is 1
    steps = data.perceptual_hash_steps(a)
    dct_shown = np.asarray(fig.axes[2].images[0].get_array())
    np.testing.assert_allclose(dct_shown, steps["dct"] - steps["median"])
    np.testing.assert_array_equal(dct_shown > 0, imagehash.phash(Image.fromarray(a)).hash)
    near = np.asarray(Image.fromarray(a).resize((57, 57), Image.Resampling.BILINEAR))
    fig = diagrams.perceptual_hash(a, near)
    assert "these two are near copies" in fig._suptitle.get_text()


def test_bootstrap_draws_resamples_and_the_histogram_with_its_interval():
    rng = np.random.default_rng(0)
    right = rng.random(200) < 0.7
    scores = right[rng.integers(0, 200, (500, 200))].mean(1)
    low, high = np.percentile(scores, [2.5, 97.5])
    fig = diagrams.bootstrap(scores, right.mean(), (low, high))
    idea, hist = fig.axes
    assert int(sum(p.get_height() for p in hist.containers[0])) == 500  # every resample in a bar
    labels = [t.get_text() for t in hist.get_legend().get_texts()]
    assert labels[0] == f"95 % interval {low:.1%} to {high:.1%} (2.5th and 97.5th percentiles)"
    assert labels[1] == f"observed accuracy {right.mean():.1%}"
    texts = [t.get_text() for t in idea.texts]
    assert texts[1:21] == [str(i) for i in range(1, 21)]  # the test photos, one each
    assert texts[21] == f"{round(right.mean() * 20) / 20:.0%} right"  # as many of 20 right as observed
    for row in range(1, 4):  # each resample: 20 photos drawn with replacement, sorted so repeats sit together
        drawn = [int(n) for n in texts[row * 22 + 1 : row * 22 + 21]]
        assert texts[row * 22] == f"resample {row}" and drawn == sorted(drawn) and set(drawn) <= set(range(1, 21))
    assert len(set(texts[23:43])) < 20  # some photos drawn twice
    with pytest.raises(DataError, match="between 0 and 1"):
        diagrams.bootstrap(scores * 100, 70.0, (60.0, 80.0))


def test_bootstrap_resample_accuracies_match_their_dots():
    fig = diagrams.bootstrap(np.array([0.5, 0.6]), 0.5, (0.5, 0.6), n_dots=10, seed=3)
    idea = fig.axes[0]
    filled, hollow = idea.collections[0::2], idea.collections[1::2]
    rows = [t.get_text() for t in idea.texts if t.get_text().endswith("right")]
    assert len(rows) == 4
    for f, h, text in zip(filled, hollow, rows):
        n_right, n_wrong = len(f.get_offsets()), len(h.get_offsets())
        assert n_right + n_wrong == 10 and text == f"{n_right / 10:.0%} right"


def test_mcnemar_table_highlights_the_two_discordant_cells():
    fig = diagrams.mcnemar_table(250, 40, 22, 88, names=("CNN", "forest"))
    ax = fig.axes[0]
    texts = _texts(fig)
    for t in ("250", "40", "22", "88", "only CNN right", "only forest right", "both right", "both wrong",
              "CNN right", "forest wrong"):
        assert t in texts
    assert any(t.replace("\n", " ") == diagrams.MCNEMAR_CAPTION for t in texts)
    assert "400 photos" in ax.get_title()
    cells = _patches(ax, Rectangle)
    highlighted = [c for c in cells if c.get_linewidth() == 3]
    assert len(cells) == 4 and len(highlighted) == 2
    inside = {t.get_text() for t in ax.texts for c in highlighted
              if c.contains_point(ax.transData.transform(t.get_position()))}
    assert {"40", "22"} <= inside and not {"250", "88"} & inside


def test_deletion_strip_removes_the_most_salient_pixels_and_marks_the_curve():
    image = np.full((8, 8, 3), 200, np.uint8)
    heat = np.arange(64, dtype=float).reshape(8, 8)
    x = np.linspace(0, 1, 11)
    y = 1 - x
    fig = diagrams.deletion_strip(image, heat, fractions=(0, 0.25, 0.5), probabilities=[1.0, 0.75, 0.5], curve=(x, y))
    strip, curve, start = fig.axes[:3], fig.axes[3], fig.axes[4]
    assert len(fig.axes) == 5  # the strip, the whole curve, its first 5 %
    assert curve.get_xscale() == "linear" and curve.get_xlim() == (0, 1)  # the shaded region is the area
    assert start.get_xlim() == (0, 0.05) and len(start.collections) == 0
    for ax, f in zip(strip, (0, 0.25, 0.5)):
        shown = np.asarray(ax.images[0].get_array())
        black = (shown == 0).all(-1)
        assert black.sum() == round(f * 64) and (black.ravel()[::-1][: round(f * 64)]).all()  # the hottest: last rows
    assert strip[1].get_title() == "25 % removed\nprobability 0.75"
    marks = [line for line in curve.get_lines() if line.get_marker() == "o"][0]
    np.testing.assert_allclose(marks.get_ydata(), [1.0, 0.75, 0.5])
    assert len(curve.collections) == 1  # the shaded area
    assert curve.get_legend().get_texts()[0].get_text().startswith("area 0.500")
    assert len(diagrams.deletion_strip(image, heat).axes) == 4  # the default four fractions, no curve
    with pytest.raises(ValueError, match="one per fraction"):
        diagrams.deletion_strip(image, heat, probabilities=[0.5])


def test_mask_steps_draws_five_panels_ending_in_the_stone_mask():
    yy, xx = np.mgrid[:48, :48]
    disc = (yy - 24) ** 2 + (xx - 24) ** 2 < 100
    photo = np.full((48, 48, 3), 128, np.uint8)
    photo[disc] = (20, 160, 60)
    fig = diagrams.mask_steps(photo)
    axes = fig.axes
    assert len(axes) == 5
    assert [ax.get_title().split(".")[0] for ax in axes] == ["1", "2", "3", "4", "5"]
    np.testing.assert_array_equal(axes[-1].images[0].get_array(), backdrop.stone_mask(photo))
    assert "Otsu" in axes[2].get_title()
    swatch = [p for p in axes[0].patches if isinstance(p, Rectangle)]
    assert len(swatch) == 1 and np.allclose(swatch[0].get_facecolor()[:3], 128 / 255)
    assert swatch[0].get_y() < 0  # drawn under the panel, not over the photo


def test_cascading_randomisation_spoils_one_more_block_per_row_from_the_logits_down():
    blocks = ("stem", "stage 1", "head", "logits")
    fig = diagrams.cascading_randomisation(blocks)
    ax = fig.axes[0]
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == len(blocks) * (len(blocks) + 1)  # one row per step, the trained row first
    red = np.array(matplotlib.colors.to_rgba(diagrams.HIGHLIGHT))
    spoiled = np.array([np.allclose(b.get_facecolor(), red) for b in boxes]).reshape(len(blocks) + 1, len(blocks))
    assert spoiled.sum(axis=1).tolist() == [0, 1, 2, 3, 4]
    assert spoiled[1, -1] and not spoiled[1, 0]  # step 1: the logits only
    assert spoiled[-1].all()


def test_grid_spectrum_shades_the_waves_grid_energy_counts_and_titles_its_share():
    from gemlib import explain

    n = 16
    checkerboard = (np.indices((n, n)).sum(0) % 2).astype(float)  # all its power at (n/2, n/2)
    slow = np.cos(2 * np.pi * np.arange(n) / 8)[None, :].repeat(n, 0)  # period 8: off the grid
    fig = diagrams.grid_spectrum({"checkerboard": checkerboard, "period 8": slow})
    assert len(fig.axes) == 4  # two maps above two spectra
    spectra = fig.axes[2], fig.axes[3]
    assert "grid energy 1.000" in spectra[0].get_title() and "grid energy 0.000" in spectra[1].get_title()
    assert f"{explain.grid_energy(slow):.3f}" == "0.000"
    shade = np.asarray(spectra[0].images[1].get_array())[..., 3] > 0
    freq = np.fft.fftshift(np.fft.fftfreq(n))
    on = np.isin(freq, (-0.5, -0.25, 0.25))
    np.testing.assert_array_equal(shade, on[:, None] | on[None, :])  # 3 rows and 3 columns
    # the checkerboard's brightest wave sits on the shaded corner (-0.5, -0.5); the period-8 wave's off it
    for ax, expected, on_grid in zip(spectra, ((-0.5, 0.5), (0.0, 0.125)), (True, False)):
        logged = np.asarray(ax.images[0].get_array())
        r, c = np.unravel_index(np.argmax(logged), logged.shape)
        assert (freq[r], abs(freq[c])) == expected
        assert shade[r, c] == on_grid
    with pytest.raises(ValueError, match="divisible by 4"):
        diagrams.grid_spectrum({"odd": np.zeros((6, 6))})


def test_grid_spectrum_marks_rings_the_named_waves_and_shade_sets_the_red():
    n = 16
    slow = np.cos(2 * np.pi * np.arange(n) / 8)[None, :].repeat(n, 0)
    fig = diagrams.grid_spectrum({"a": slow, "b": slow}, marks={"b": [(0.0, 0.125, "1/8")]},
                                 shade=("#ff0000", 0.8))
    spectra = fig.axes[2], fig.axes[3]
    assert not spectra[0].collections and not spectra[0].texts  # only the named map is marked
    np.testing.assert_allclose(spectra[1].collections[0].get_offsets(), [[0.125, 0.0]])
    assert [t.get_text() for t in spectra[1].texts] == ["1/8"]
    shade = np.asarray(spectra[0].images[1].get_array())
    assert shade[..., 3].max() == pytest.approx(0.8) and shade[..., 0].max() == pytest.approx(1.0)
    default = diagrams.grid_spectrum({"a": slow})  # the default red stays half see-through
    assert np.asarray(default.axes[1].images[1].get_array())[..., 3].max() == pytest.approx(0.5)


def test_stripe_spectra_puts_each_period_s_dots_at_one_over_the_period():
    fig = diagrams.stripe_spectra((2, 4, 8), side=16)
    assert len(fig.axes) == 6
    for ax, period in zip(fig.axes[3:], (2, 4, 8)):
        dots = ax.collections[0].get_offsets()
        across = sorted(np.round(dots[:, 0], 4).tolist())
        expected = [-0.5] if period == 2 else [-1 / period, 1 / period]  # +0.5 folds onto -0.5
        np.testing.assert_allclose(across, expected)
        np.testing.assert_allclose(dots[:, 1], 0.0)  # stripes across: no wave down
    assert "0.5 (= -0.5)" in fig.axes[3].get_title() and "±0.125" in fig.axes[5].get_title()
    with pytest.raises(ValueError, match="divisible"):
        diagrams.stripe_spectra((3,), side=16)


def test_integrated_gradients_path_draws_the_blends_the_gradients_and_their_product():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (6, 6, 3)).astype(np.uint8)
    grads = rng.normal(size=(4, 6, 6, 3))
    grads[3] *= 10  # the last step's gradients are larger: drawn brighter on the shared scale
    fig = diagrams.integrated_gradients_path(image, grads)
    blends, heat = fig.axes[:4], fig.axes[4:8]
    alphas = [0.125, 0.375, 0.625, 0.875]  # midpoints, as explain.integrated_gradients takes them
    for ax, a in zip(blends, alphas):
        np.testing.assert_allclose(ax.images[0].get_array(), a * image / 255.0)
        assert ax.get_title() == f"α = {a:.2f}"
    for ax, g in zip(heat, grads):
        np.testing.assert_allclose(ax.images[0].get_array(), np.abs(g).sum(-1))
    assert len({ax.images[0].get_clim() for ax in heat}) == 1  # one colour scale for every step
    average, _, photo, _, result = fig.axes[8:]
    np.testing.assert_allclose(average.images[0].get_array(), np.abs(grads.mean(0)).sum(-1))
    np.testing.assert_allclose(photo.images[0].get_array(), image / 255.0)
    ig = image * grads.mean(0)  # (photo - black) × the average gradient
    np.testing.assert_allclose(result.images[0].get_array(), np.abs(ig).sum(-1))
    assert result.get_title() == "4. Integrated Gradients" and "×" in _texts(fig)
    grey = diagrams.integrated_gradients_path(image, grads, baseline=100.0)
    np.testing.assert_allclose(grey.axes[0].images[0].get_array(), (100 + 0.125 * (image - 100.0)) / 255)
    with pytest.raises(DataError, match="one gradient per step"):
        diagrams.integrated_gradients_path(image, grads[0])


def test_occlusion_steps_hides_each_position_and_draws_the_drops_and_their_map():
    from gemlib import occlusion

    image = np.zeros((12, 12, 3), np.uint8)
    image[:, 6:] = 200  # mean colour 100 per channel
    drops = np.arange(9, dtype=float).reshape(3, 3) - 2.0  # largest at (2, 2), smallest at (0, 0)
    fig = diagrams.occlusion_steps(image, drops, patch=4, stride=4, positions=[(0, 1), (2, 2)])
    photos, grid, heat = fig.axes[:2], fig.axes[2], fig.axes[3]
    assert len(fig.axes) == 5  # two positions, the grid, the map, the colour bar
    for ax, (r, c) in zip(photos, [(0, 4), (8, 8)]):
        shown = np.asarray(ax.images[0].get_array())
        np.testing.assert_allclose(shown[r : r + 4, c : c + 4], 100 / 255)  # the patch: the mean colour
        outside = np.ones((12, 12), bool)
        outside[r : r + 4, c : c + 4] = False
        np.testing.assert_allclose(shown[outside], image[outside] / 255)  # the rest untouched
        box = _patches(ax, Rectangle)[0]
        assert (box.get_x(), box.get_y(), box.get_width()) == (c - 0.5, r - 0.5, 4)
    assert photos[0].get_title() == "1. patch at row 0, column 4\nlogit drop -1.00"
    assert photos[1].get_title() == "2. patch at row 8, column 8\nlogit drop +6.00"
    np.testing.assert_array_equal(grid.images[0].get_array(), drops)
    assert [(p.get_x(), p.get_y()) for p in _patches(grid, Rectangle)] == [(0.5, -0.5), (1.5, 1.5)]
    assert [p.get_linewidth() for p in _patches(grid, Rectangle)] == [1.5, 2.5]  # (2, 2): the largest
    assert "largest drop" in grid.get_title()
    mark = _patches(heat, Rectangle)[0]  # the largest drop's patch, outlined on the map
    assert (mark.get_x(), mark.get_y(), mark.get_width()) == (7.5, 7.5, 4)
    np.testing.assert_array_equal(heat.images[0].get_array(), occlusion.spread_drops(drops, (12, 12), 4, 4))
    # by default: the corner, the largest drop and the smallest (here the corner: drawn once)
    default = diagrams.occlusion_steps(image, drops, patch=4, stride=4)
    assert len(default.axes) == 5
    assert [ax.get_title().split("\n")[1] for ax in default.axes[:2]] == ["logit drop -2.00", "logit drop +6.00"]
    # ring: thin rings outside the cells, so each marked cell's colour stays in view
    ringed = diagrams.occlusion_steps(image, drops, patch=4, stride=4, positions=[(0, 1), (2, 2)],
                                      ring=0.3)
    rings = _patches(ringed.axes[2], Rectangle)
    assert [(p.get_x(), p.get_y(), p.get_width()) for p in rings] == [
        pytest.approx((0.2, -0.8, 1.6)), pytest.approx((1.2, 1.2, 1.6))]
    assert [p.get_linewidth() for p in rings] == [1.0, 1.0]
    assert "rings: positions 1-2" in ringed.axes[2].get_title()
    with pytest.raises(DataError, match=r"\(3, 3\)"):
        diagrams.occlusion_steps(image, drops[:2], patch=4, stride=4)


def test_best_of_k_draws_marks_each_draw_s_highest_and_the_average_gap():
    scores = np.array([[0.70, 0.74, 0.72], [0.73, 0.71, 0.69], [0.67, 0.70, 0.75]])
    fig = diagrams.best_of_k_draws(scores, true_accuracy=0.71, rows=2)
    ax = fig.axes[0]
    highest = [c.get_offsets()[0, 0] for c in ax.collections[1:4:2]]  # the filled dot of each row
    np.testing.assert_allclose(highest, [0.74, 0.73])
    averages = [c.get_offsets()[0, 0] for c in ax.collections[4:6]]
    np.testing.assert_allclose(averages, [0.70, 0.74])  # candidate 1's mean; the mean highest
    assert "+0.030" in _texts(fig)  # 0.74 - 0.71
    assert [t.get_text() for t in ax.get_yticklabels()] == ["draw 1", "draw 2", "average"]
    with pytest.raises(DataError, match="give \\(draws, k\\)"):
        diagrams.best_of_k_draws(scores[:, :1], true_accuracy=0.71)


def test_shared_answers_keeps_the_shared_answer_except_where_a_candidate_redraws():
    shared = np.array([True, True, False, False, True])
    redraw = np.array([[False, True, False, True, False], [False, False, False, False, False]])
    own = np.array([[True, False, True, True, True], [False, False, True, True, False]])
    fig = diagrams.shared_answers(shared, redraw, own)
    ax = fig.axes[0]
    filled, hollow, rings = ax.collections[0::3], ax.collections[1::3], ax.collections[2::3]
    # candidate 1 redraws photos 2 and 4: wrong (own) and right (own); candidate 2 keeps the shared row
    assert [len(f.get_offsets()) for f in filled] == [3, 3, 3]
    assert [len(h.get_offsets()) for h in hollow] == [2, 2, 2]
    assert [len(r.get_offsets()) for r in rings] == [0, 2, 0]
    np.testing.assert_array_equal(rings[1].get_offsets()[:, 0], [1, 3])
    texts = _texts(fig)
    assert texts.count("60% right") == 2 and "candidate 2" in texts and "shared answer" in texts
    with pytest.raises(DataError, match="give shared as"):
        diagrams.shared_answers(shared, redraw[:, :4], own)


def test_local_binary_pattern_kinds_match_scikit_image_and_are_drawn():
    import warnings

    from skimage.feature import local_binary_pattern

    for name, values in diagrams.LBP_EXAMPLES.items():
        patch = np.array(values, np.uint8)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = diagrams.lbp_kind(patch)[2]
            assert ours == int(local_binary_pattern(patch, P=8, R=1, method="uniform")[1, 1]), name
    assert [diagrams.lbp_kind(np.array(v))[2] for v in diagrams.LBP_EXAMPLES.values()] == [8, 0, 5, 3, 9]
    bits, changes, kind = diagrams.lbp_kind(np.array(diagrams.LBP_EXAMPLES["edge"]))
    assert bits.tolist() == [1, 1, 0, 0, 0, 1, 1, 1] and changes == 2 and kind == 5
    fig = diagrams.local_binary_pattern("edge")
    texts = _texts(fig)
    assert any("1 1 0 0 0 1 1 1" in t and "= 5" in t for t in texts)
    titles = {ax.get_title() for ax in fig.axes}
    assert {f"{n}: kind {k}" for n, k in zip(diagrams.LBP_EXAMPLES, (8, 0, 5, 3, 9))} <= titles
    speckle = diagrams.local_binary_pattern("speckle")
    assert any("kind 9" in t and "not uniform" in t for t in _texts(speckle))
    with pytest.raises(DataError, match="3 × 3"):
        diagrams.lbp_kind(np.zeros((4, 4)))
    with pytest.raises(DataError, match="unknown example"):
        diagrams.local_binary_pattern("stripes")


def test_disagreement_tree_multiplies_the_two_branches_it_draws():
    fig = diagrams.disagreement_tree(accuracy=0.7, redraw=0.2)
    texts = _texts(fig)
    # (1 - r)^2 = 0.64, so 0.36 redraw; 2a(1 - a) = 0.42; the product 0.1512
    assert any("= 0.640" in t for t in texts) and any("= 0.360" in t for t in texts)
    assert any("2a(1 - a) = 0.420" in t for t in texts)
    assert any("0.360 × 0.420 = 0.151" in t for t in texts)
    assert sum(isinstance(p, FancyArrowPatch) for p in fig.axes[0].patches) == 5
    with pytest.raises(DataError, match="must lie in"):
        diagrams.disagreement_tree(accuracy=1.5, redraw=0.2)


def test_noise_toy_gradient_smoothgrad_and_vargrad_match_their_known_answers():
    x = np.linspace(-3, 3, 2001)
    f, df = diagrams.toy_score(x)
    assert np.allclose(df[1:-1], np.gradient(f, x)[1:-1], atol=1e-3)  # the exact derivative
    far = np.array([-3.0, 3.0])  # the bumps' window is ~e^-4.5 there: only the smooth trend is left
    grads = diagrams.toy_noisy_gradients(far, sigma=0.3, n_samples=20000, seed=0)
    # E[cos(x + e)] = cos(x) exp(-sigma^2 / 2) for e ~ N(0, sigma^2)
    assert np.allclose(grads.mean(axis=0), np.cos(far) * np.exp(-0.045), atol=0.02)
    assert grads.var(axis=0).max() < 0.1
    centre = diagrams.toy_noisy_gradients(np.array([0.0]), sigma=0.3, n_samples=20000, seed=0)[:, 0]
    # at x = 0 the bumps' slope a k cos(k e) averages to ~0 (k sigma = 4.5) but varies a lot
    assert abs(centre.mean() - np.exp(-0.045)) < 0.1
    assert centre.var() > 1.5
    fig = diagrams.noise_toy(sigma=0.3, n_samples=50)
    assert len(fig.axes) == 3 and "σ = 0.3" in fig.axes[0].get_title()
    assert "VarGrad" in fig.axes[2].get_title()


def test_binomial_tails_shades_both_tails_and_tells_the_p_value():
    from scipy.stats import binomtest

    fig = diagrams.binomial_tails(48, 83)
    ax = fig.axes[0]
    bars = ax.patches
    assert len(bars) == 84
    shaded = [round(b.get_x() + b.get_width() / 2) for b in bars
              if b.get_facecolor()[:3] != (0.75, 0.75, 0.75)]
    assert shaded == list(range(0, 36)) + list(range(48, 84))
    assert np.isclose(sum(b.get_height() for b in bars), 1.0)
    shaded_mass = sum(b.get_height() for b in bars if round(b.get_x() + 0.45) in shaded)
    assert np.isclose(shaded_mass, binomtest(48, 83, 0.5).pvalue)
    assert "p = 0.19" in ax.get_title()
    assert {"48 to 35", "35 to 48"} <= {t.get_text() for t in ax.texts}
    with pytest.raises(ValueError, match="k = 90 and n = 83"):
        diagrams.binomial_tails(90, 83)
    named = diagrams.binomial_tails(48, 83, names=("CNN", "forest")).axes[0]
    assert "gives CNN" in named.get_xlabel()
    assert any("(CNN to forest)" in t.get_text() for t in named.texts)


def test_dct_waves_draws_one_panel_per_wave_the_first_flat():
    waves = ((0, 0), (0, 1), (7, 7))
    fig = diagrams.dct_waves(waves, side=32)
    assert len(fig.axes) == 3
    flat, across, finest = (np.asarray(ax.images[0].get_array()) for ax in fig.axes)
    np.testing.assert_allclose(flat, 1.0)                       # the (0, 0) wave is constant
    assert np.allclose(across, across[:1]) and across[0, 0] > 0 > across[0, -1]  # one swell across
    assert (np.diff(np.sign(finest[0])) != 0).sum() == 7         # 7 sign changes along a row
    assert fig.axes[1].get_title() == "down 0, across 1"


def test_opened_corners_legs_match_a_counted_turned_square_and_are_drawn():
    a, b, share = diagrams.opened_corner_legs(0.125)
    assert a == pytest.approx(1 - 1 / np.sqrt(2), abs=1e-9) and b == pytest.approx(a)
    assert share == pytest.approx(3 - 2 * np.sqrt(2), abs=1e-9)
    assert diagrams.opened_corner_legs(0.0) == (0.0, 0.0, 0.0)
    side = np.linspace(-0.5, 0.5, 801)
    x, y = np.meshgrid(side, side)
    for turn in (0.03, 0.1):
        t = 2 * np.pi * turn  # a frame point is open when it lies outside the turned square
        u, v = x * np.cos(t) + y * np.sin(t), -x * np.sin(t) + y * np.cos(t)
        counted = float((np.maximum(abs(u), abs(v)) > 0.5).mean())
        assert diagrams.opened_corner_legs(turn)[2] == pytest.approx(counted, abs=3e-3)
    a, b, share = diagrams.opened_corner_legs(0.03)
    assert a < 0.1 < 0.45 < b < 0.5  # one leg short, the other almost half the side
    fig = diagrams.opened_corners((0.125, 0.03))
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[1].endswith(f"= {share:.1%}") and "11°" in titles[1]
    texts = {t.get_text() for t in fig.axes[1].texts}
    assert {f"{a:.3f}", f"{b:.3f}", "side 1"} <= texts
