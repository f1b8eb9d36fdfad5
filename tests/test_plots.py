"""Every plot takes computed results and returns a Figure with the expected panels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from gemlib import plots  # noqa: E402


def test_saliency_rows_put_photo_map_and_overlay_side_by_side_with_labels():
    maps = {"a": np.zeros((2, 8, 8)), "b": np.ones((2, 8, 8))}
    photos = np.zeros((2, 8, 8, 3), np.uint8)
    fig = plots.saliency_rows(photos, maps, ["true x / explained y", "true z / explained z"])
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(panels) == 2 * 5 and len(fig.axes) == 2 * 5 + 1  # one colourbar for every map
    assert [ax.get_title() for ax in panels[:5]] == ["photo", "a", "a over photo", "b", "b over photo"]
    assert panels[0].get_ylabel() == "true x / explained y" and panels[5].get_ylabel() == "true z / explained z"
    long = plots.saliency_rows(photos, maps, ["true: Baroque architecture\npredicted: Art Nouveau architecture (wrong)"] * 2)
    label = long.axes[0].yaxis.label
    assert label.get_rotation() == 0 and max(len(line) for line in label.get_text().split("\n")) <= 22
    assert panels[5].get_title() == ""  # column labels head the first row only
    assert len(plots.saliency_rows(None, maps).axes) == 2 * 2 + 1
    bar = plots.saliency_rows(photos, maps, colorbar_label="saliency\n(1 = 99th)").axes[-1]
    assert bar.get_label() == "<colorbar>" and bar.get_ylabel() == "saliency\n(1 = 99th)"


def test_saliency_rows_marks_draw_labelled_boxes_on_the_named_panel_only():
    maps = {"a": np.zeros((2, 64, 64)), "b": np.ones((2, 64, 64))}
    photos = np.zeros((2, 64, 64, 3), np.uint8)
    plain = plots.saliency_rows(photos, maps)
    assert all(not ax.patches and not ax.texts for ax in plain.axes)  # no marks by default
    fig = plots.saliency_rows(photos, maps, marks=[(1, "b", (10, 20, 8, 4), "band"),
                                                   (1, "b", (30, 1, 4, 4), "block")])
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    marked = panels[5 + 3]  # row 1, column "b"
    assert [p.get_width() for p in marked.patches] == [8, 4]
    assert [t.get_text() for t in marked.texts] == ["band", "block"]
    assert all(not ax.patches for ax in panels if ax is not marked)


def test_metric_curves_one_line_per_column():
    hist = pd.DataFrame({"epoch": [0, 1], "val_accuracy": [0.1, 0.5], "val_accuracy_ema": [0.0, 0.6]})
    fig = plots.metric_curves(hist, {"val_accuracy": "raw", "val_accuracy_ema": "average"})
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["raw", "average"]


def test_size_scatter_draws_rare_modes_on_top_and_counts_them():
    table = pd.DataFrame({"width": [10, 20, 30, 40], "height": [10, 20, 30, 40],
                          "mode": ["RGB", "RGB", "RGB", "RGBA"], "readable": [True] * 4})
    ax = plots.size_scatter(table).axes[0]
    rgb, rgba = ax.collections
    assert len(rgb.get_offsets()) == 3 and len(rgba.get_offsets()) == 1
    assert rgba.get_zorder() > rgb.get_zorder() and rgba.get_sizes()[0] > rgb.get_sizes()[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["RGB (3)", "RGBA (1)"]


def test_tables_to_figures():
    table = pd.DataFrame({"label": ["a", "a", "b"], "split": ["train", "test", "train"],
                          "width": [10, 20, 30], "height": [10, 20, 30], "mode": ["RGB"] * 3, "readable": [True] * 3})
    assert isinstance(plots.class_distribution(table), Figure)
    assert isinstance(plots.size_scatter(table), Figure)
    hist = pd.DataFrame({"epoch": [0, 1], "loss": [2.0, 1.0], "val_loss": [2.1, 1.5], "accuracy": [0.1, 0.5], "val_accuracy": [0.1, 0.4]})
    assert len(plots.training_curves({"run": hist}).axes) == 2
    # two runs: train and validation named apiece; more runs: one legend entry per run, beside the axes
    assert len(plots.training_curves({"a": hist, "b": hist}).axes[0].get_legend().get_texts()) == 4
    below = plots.training_curves({"a": hist, "b": hist}, legend_below=True, legend_fontsize=11)
    assert all(ax.get_legend() is None for ax in below.axes) and len(below.legends) == 1
    assert len(below.legends[0].get_texts()) == 4
    fig = plots.training_curves({k: hist for k in "abc"}, metrics=("accuracy",))
    fig.canvas.draw()
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["a", "b", "c"]
    assert legend.get_window_extent().x0 > fig.axes[0].get_window_extent().x1
    assert isinstance(plots.confusion(np.eye(3), ["a", "b", "c"]), Figure)
    big = plots.confusion(np.eye(3), ["a", "b", "c"], size=7.5, labelsize=9)
    assert tuple(big.get_size_inches()) == (7.5, 7.5)
    assert big.axes[0].get_xticklabels()[0].get_fontsize() == 9
    counted = plots.confusion(np.eye(2) * 0.5, ["a", "b"], counts=np.array([[1, 0], [0, 2]]))
    assert sorted(t.get_text() for t in counted.axes[0].texts if t.get_text()) == ["1", "2"]
    exp = pd.DataFrame({"experiment": ["x", "y"], "top1": [0.7, 0.1], "top1_low": [0.6, 0.05], "top1_high": [0.8, 0.15]})
    assert isinstance(plots.colour_experiments(exp, reference=0.7), Figure)
    sanity = pd.DataFrame({"step": [0, 1], "layer": ["trained", "logits"], "method": ["vargrad"] * 2,
                           "image": [0, 0], "spearman_abs": [1, 0.5], "spearman_signed": [1, 0.4], "ssim": [1, 0.3]})
    assert len(plots.sanity_curves(sanity).axes) == 3
    curves = pd.DataFrame({"method": ["r", "r"], "fraction": [0, 1], "deletion": [1, 0], "insertion": [0, 1]})
    areas = pd.DataFrame({"method": ["r"], "image": [0], "deletion_auc": [0.5], "insertion_auc": [0.5]})
    assert len(plots.faithfulness_curves(curves, areas).axes) == 2
    rel = pd.DataFrame({"low": [0.0, 0.5], "high": [0.5, 1.0], "count": [1, 1], "confidence": [0.3, 0.8], "accuracy": [0.0, 1.0]})
    assert "0.250" in plots.reliability(rel, 0.25).axes[0].get_title()


def test_reliability_writes_each_bins_count_on_its_bar():
    rel = pd.DataFrame({"low": [0.0, 0.5, 0.9], "high": [0.5, 0.9, 1.0], "count": [4, 0, 90],
                        "confidence": [0.3, np.nan, 0.95], "accuracy": [0.5, np.nan, 1.0]})
    ax = plots.reliability(rel, 0.05).axes[0]
    assert [t.get_text() for t in ax.texts] == ["4", "90"]  # the empty bin has no bar and no count


def test_confused_pairs_shows_the_mistakes_themselves_then_the_class_taken_for():
    images = np.arange(5 * 2 * 2 * 3, dtype=np.uint8).reshape(5, 2, 2, 3)
    labels, predicted = np.array([0, 0, 1, 1, 0]), np.array([1, 1, 1, 0, 0])
    pairs = pd.DataFrame({"true": ["a", "b"], "predicted": ["b", "a"], "count": [2, 1]})
    examples = {"a": np.full((2, 2, 3), 200, np.uint8), "b": np.full((2, 2, 3), 100, np.uint8)}
    fig = plots.confused_pairs(pairs, images, labels, predicted, ["a", "b"], examples, per_row=1)
    axes = np.array(fig.axes).reshape(2, 3)  # the widest pair has 2 mistakes, then the comparison
    np.testing.assert_array_equal(axes[0, 0].images[0].get_array(), images[0])
    np.testing.assert_array_equal(axes[0, 1].images[0].get_array(), images[1])
    np.testing.assert_array_equal(axes[0, 2].images[0].get_array(), examples["b"])
    np.testing.assert_array_equal(axes[1, 0].images[0].get_array(), images[3])  # b taken for a
    assert not axes[1, 1].images and axes[1, 2].get_title() == "a a\n(for comparison)"
    assert axes[0, 0].get_title() == "a\ntaken for b"


def test_lesson_pictures_have_their_panels():
    views = {"original": np.zeros((3, 8, 8, 3), np.uint8), "greyscale": np.ones((3, 8, 8, 3), np.uint8)}
    fig = plots.transform_strip(views)
    assert len(fig.axes) == 6 and fig.axes[3].get_ylabel() == "greyscale"
    maps = {(s, n): np.zeros((8, 8)) for s in (0.1, 0.5) for n in (5, 50)}
    fig = plots.parameter_grid(maps, "noise", "samples")
    assert len(fig.axes) == 4 + 1 and fig.axes[1].get_title() == "samples 50"
    assert fig.axes[2].get_ylabel() == "noise 0.5"
    m = np.eye(4)
    fig = plots.confusion_pair(m, m, list("abcd"), keep=[1, 3])
    assert len(fig.axes) == 2 and [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["b", "d"]
    table = pd.DataFrame({"val_accuracy": [0.8, 0.7], "test_accuracy": [0.7, 0.75],
                          "chosen_on_validation": [True, False], "chosen_on_test": [False, True]},
                         index=["a", "b"])
    fig = plots.selection(table)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["chosen on validation: test 70.0%", "chosen on test: test 75.0%"]


def test_saliency_summary_draws_each_method_with_its_interval():
    ci = {"mean": 0.5, "ci95": [0.4, 0.6]}
    report = {"n_images": 32,
              "randomisation": {m: {"fully_randomised": ci, "noise_floor": ci} for m in ("gradient", "smoothgrad", "vargrad")},
              "faithfulness": {m: {"insertion_minus_random": ci, "deletion_minus_random": ci}
                               for m in ("gradient", "smoothgrad", "vargrad")}}
    fig = plots.saliency_summary(report)
    assert len(fig.axes) == 3 and "32 photos" in fig.axes[0].get_title()
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["gradient", "smoothgrad", "vargrad"]
    # randomisation: two series (with error bars); insertion and deletion: one panel each, which
    # says which side of 0 is better
    assert [len(ax.containers) for ax in fig.axes] == [2, 1, 1]
    assert "insertion" in fig.axes[1].get_title() and "right of 0" in fig.axes[1].get_title()
    assert "deletion" in fig.axes[2].get_title() and "left of 0" in fig.axes[2].get_title()


def test_learning_rate_and_faithfulness_axes():
    schedule = pd.DataFrame({"epoch": [1, 2, 3], "learning_rate": [1e-4, 1e-3, 5e-4]})
    assert plots.learning_rate(schedule).axes[0].get_ylabel() == "learning rate"
    curves = pd.DataFrame({"method": ["vargrad"] * 3, "fraction": [0, 0.01, 1.0],
                           "deletion": [1, 0.5, 0], "insertion": [0, 0.5, 1]})
    areas = pd.DataFrame({"method": ["vargrad"], "deletion_auc": [0.1], "insertion_auc": [0.9]})
    fig = plots.faithfulness_curves(curves, areas)
    assert fig.axes[0].get_xscale() == "symlog"  # the first percent is where it happens
    assert fig.axes[0].get_lines()[0].get_color() == plots.METHOD_COLOURS["vargrad"]
    fig = plots.faithfulness_curves(curves, areas, ylabel="class probability", percent=True)
    assert fig.axes[0].get_ylabel() == "class probability"
    assert "1 %" in [t.get_text() for t in fig.axes[0].get_xticklabels()]


def test_training_curves_shade_band_label_and_integer_ticks():
    hist = pd.DataFrame({"epoch": np.arange(6), "accuracy": np.linspace(0.1, 0.6, 6),
                         "val_accuracy": np.linspace(0.1, 0.5, 6)})
    fig = plots.training_curves({"a": hist, "b": hist}, metrics=("accuracy",),
                                xlabel="pass over the training photos", shade=(1, 2, "head only"))
    ax = fig.axes[0]
    fig.canvas.draw()
    assert ax.get_xlabel() == "pass over the training photos"
    band = [p for p in ax.patches if p.get_label() == "head only"]
    assert len(band) == 1
    x0, x1 = band[0].get_x(), band[0].get_x() + band[0].get_width()
    assert (x0, x1) == (0.5, 2.5)  # passes 1 and 2, whole
    assert "head only" in [t.get_text() for t in ax.get_legend().get_texts()]
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
    # without options: no band, the old label
    plain = plots.training_curves({"a": hist}, metrics=("accuracy",)).axes[0]
    assert plain.get_xlabel() == "epoch" and not plain.patches


def test_colour_scatter_draws_only_labels_that_fit_and_never_overlap():
    # six classes at one point: four places beside it, so at least two labels are left out
    names = [f"near {c}" for c in "abcdef"] + ["far"]
    stats = pd.DataFrame({"label": names, "hue": [100.0] * 6 + [300.0], "saturation": [0.5] * 6 + [0.1],
                          "mean_r": [200.0] * 7, "mean_g": [20.0] * 7, "mean_b": [20.0] * 7})
    fig = plots.colour_scatter(stats, first=["near f"], fontsize=8)
    texts = fig.axes[0].texts
    shown = [t.get_text() for t in texts]
    assert shown[0] == "near f" and "far" in shown and len(shown) <= 5
    boxes = [t.get_window_extent(fig.canvas.get_renderer()) for t in texts]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert all(t.get_fontsize() == 8 for t in texts)


def test_colour_scatter_leaders_label_every_first_class_without_overlap():
    # six classes at one point: with leaders, each of `first` is labelled further off if need be
    names = [f"near {c}" for c in "abcdef"] + ["far"]
    stats = pd.DataFrame({"label": names, "hue": [100.0] * 6 + [300.0], "saturation": [0.5] * 6 + [0.1],
                          "mean_r": [200.0] * 7, "mean_g": [20.0] * 7, "mean_b": [20.0] * 7})
    fig = plots.colour_scatter(stats, first=names[:6], leaders=True)
    from matplotlib.text import Text
    renderer = fig.canvas.get_renderer()
    texts = fig.axes[0].texts
    assert {t.get_text() for t in texts} >= set(names[:6])
    boxes = [Text.get_window_extent(t, renderer) for t in texts]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert any(t.arrow_patch is not None for t in texts)  # a far label is joined to its dot


def test_bigger_class_labels_grow_the_figure():
    table = pd.DataFrame({"label": [f"class {k}" for k in range(60)] * 2,
                          "split": ["train", "test"] * 60})
    default, big = plots.class_distribution(table), plots.class_distribution(table, labelsize=10)
    assert default.get_size_inches()[1] == pytest.approx(0.14 * 60)
    assert big.get_size_inches()[1] > default.get_size_inches()[1]
    assert big.axes[0].get_yticklabels()[0].get_fontsize() == 10
    palettes = {f"class {k}": np.zeros((5, 3), np.uint8) for k in range(9)}
    small, large = plots.palette_strips(palettes), plots.palette_strips(palettes, fontsize=9)
    assert large.get_size_inches()[0] > small.get_size_inches()[0]
    assert large.axes[0].texts[0].get_fontsize() == 9


def test_hue_circle_marks_the_circular_and_the_arithmetic_mean():
    fig = plots.hue_circle([350, 10])
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["circular mean: 0°", "arithmetic mean: 180°"]
    assert len(plots.hue_circle([80, 100, 120]).axes[0].get_legend().get_texts()) == 2
    assert "circular mean: 100°" in [t.get_text() for t in plots.hue_circle([80, 100, 120]).axes[0].get_legend().get_texts()]


def test_group_split_shows_the_leak_left_and_the_left_out_twin_right():
    fig = plots.group_split()
    left, right = fig.axes
    assert [t.get_text() for t in left.texts] == ["training", "validation", "test"]
    assert "left out" not in [t.get_text() for t in left.texts]
    assert "left out" in [t.get_text() for t in right.texts]
    assert sum(line.get_linewidth() == 3 for line in left.lines) == 2  # two leaking groups
    assert not any(line.get_linewidth() == 3 for line in right.lines)
    faded = [p for p in right.patches if p.get_alpha() == 0.3]
    assert len(faded) == 1 and len(left.patches) == len(right.patches) == 3 + 6


def test_noisy_gradients_draws_copies_their_gradients_and_the_two_summaries():
    rng = np.random.default_rng(0)
    photo = np.full((8, 8, 3), 100, np.uint8)
    noisy = photo + rng.normal(0, 20, (5, 8, 8, 3))
    grads = rng.normal(0, 1, (5, 8, 8, 3))
    fig = plots.noisy_gradients(photo, noisy, grads, grads[0], n_show=2)
    titles = [ax.get_title() for ax in fig.axes]
    assert len(fig.axes) == 2 * 4
    assert titles[:3] == ["the photo", "noisy copy 1", "noisy copy 2"]
    assert "mean of 5 gradients" in titles[3] and "variance of 5 gradients" in titles[-1]
    shown = fig.axes[1].get_images()[0].get_array()
    assert shown.dtype == np.uint8
    wild = photo + rng.normal(0, 200, (5, 8, 8, 3))  # copies far outside 0-255: clipped for display
    assert wild.min() < 0 and wild.max() > 255
    fig = plots.noisy_gradients(photo, wild, grads, grads[0], n_show=2)
    shown = fig.axes[1].get_images()[0].get_array()
    np.testing.assert_array_equal(shown, np.clip(wild[0], 0, 255).astype(np.uint8))


def test_randomisation_maps_one_row_per_photo_and_method_one_column_per_step():
    maps = {m: np.zeros((3, 2, 8, 8)) for m in ("gradient", "vargrad")}
    fig = plots.randomisation_maps(np.zeros((2, 8, 8, 3), np.uint8), maps, ["trained", "logits", "stem"])
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(panels) == 4 * 4  # 2 photos x 2 methods, photo + 3 steps
    assert [ax.get_title() for ax in panels[:4]] == ["photo", "trained", "logits", "stem"]
    assert panels[1].get_ylabel() == "gradient" and panels[5].get_ylabel() == "vargrad"


def test_layer_groups_get_the_schematics_plain_labels():
    assert [plots.layer_label(x) for x in ("final_bn", "stage4_block1", "logits")] == [
        "final BN", "stage 4", "logits"]
    maps = {"vargrad": np.zeros((3, 1, 8, 8))}
    fig = plots.randomisation_maps(np.zeros((1, 8, 8, 3), np.uint8), maps, ["trained", "final_bn", "stage1_block1"])
    assert [ax.get_title() for ax in fig.axes[:4]] == ["photo", "trained", "final BN", "stage 1"]
    sanity = pd.DataFrame({"step": [0, 1], "layer": ["trained", "stage4_block1"], "method": ["vargrad"] * 2,
                           "image": [0, 0], "spearman_abs": [1, 0.5]})
    ticks = plots.sanity_curves(sanity, metrics=("spearman_abs",)).axes[0].get_xticklabels()
    assert [t.get_text() for t in ticks] == ["trained", "stage 4"] and ticks[0].get_fontsize() >= 8


def test_map_zoom_draws_each_map_whole_and_its_box_enlarged():
    checker = (np.indices((32, 32)).sum(0) % 2).astype(float)
    fig = plots.map_zoom({"a": checker, "b": np.zeros((32, 32))}, corner=(4, 8), size=8)
    assert len(fig.axes) == 4 and "8 x 8" in fig.axes[1].get_title()
    crop = fig.axes[1].get_images()[0].get_array()
    np.testing.assert_array_equal(crop, checker[4:12, 8:16])
    assert len(fig.axes[0].patches) == 1  # the box on the whole map


def test_sanity_curves_draw_the_chosen_measures_only():
    sanity = pd.DataFrame({"step": [0, 1], "layer": ["trained", "logits"], "method": ["vargrad"] * 2,
                           "image": [0, 0], "spearman_abs": [1, 0.5], "spearman_signed": [1, 0.4], "ssim": [1, 0.3]})
    fig = plots.sanity_curves(sanity, metrics=("spearman_abs", "ssim"))
    assert [ax.get_title() for ax in fig.axes] == [plots.SIMILARITY_TITLES["spearman_abs"],
                                                    plots.SIMILARITY_TITLES["ssim"]]
    floored = plots.sanity_curves(sanity, metrics=("spearman_abs", "ssim"), floors={"vargrad": 0.8})
    dotted = [l for l in floored.axes[0].get_lines() if l.get_linestyle() == ":"]
    assert len(dotted) == 1 and dotted[0].get_ydata()[0] == 0.8  # the floor, on the first panel only
    assert not [l for l in floored.axes[1].get_lines() if l.get_linestyle() == ":"]
    assert floored.axes[0].get_legend() is not None and not floored.legends  # default: inside
    below = plots.sanity_curves(sanity, metrics=("spearman_abs", "ssim"), floors={"vargrad": 0.8},
                                legend_below=True)
    assert below.axes[0].get_legend() is None and len(below.legends) == 1
    assert len(below.legends[0].get_texts()) == 2  # the curve and its floor


def test_stone_masks_outline_the_mask_on_the_photo_and_the_map():
    photos = np.zeros((2, 8, 8, 3), np.uint8)
    masks = np.zeros((2, 8, 8), bool)
    masks[:, 2:6, 2:6] = True
    fig = plots.stone_masks(photos, masks, np.zeros((2, 8, 8)), photos, ["a", "b"])
    assert len(fig.axes) == 8 and fig.axes[3].get_title() == "backdrop replaced"
    assert fig.axes[4].get_ylabel() == "b"
    assert len(fig.axes[1].collections) == 1 and len(fig.axes[0].collections) == 0  # the outline


def test_top_classes_draws_one_labelled_bar_per_class_most_probable_on_top():
    fig = plots.top_classes([("Ruby", 0.6), ("Garnet", 0.3), ("Spinel", 0.1)])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Spinel", "Garnet", "Ruby"]
    assert [round(p.get_width(), 2) for p in ax.patches] == [0.1, 0.3, 0.6]
    assert [t.get_text() for t in ax.texts] == ["0.10", "0.30", "0.60"]


def test_top_probability_groups_marks_the_threshold_and_each_groups_share_below():
    groups = {"gems": np.array([0.2, 0.6, 0.9, 0.95]), "noise": np.array([0.05, 0.1])}
    fig = plots.top_probability_groups(groups, threshold=0.3)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["gems\n(25.0 % below the line)", "noise\n(100.0 % below the line)"]
    assert any(list(line.get_xdata()) == [0.3, 0.3] for line in ax.get_lines())
    assert "lower than 95 % of validation photos" in ax.get_legend().get_texts()[0].get_text()


def test_transfer_phases_two_panels_frozen_then_all_layers():
    fig = plots.transfer_phases(n_features=256, old_classes=87, new_classes=25, head_passes=4,
                                total_passes=20)
    left, right = fig.axes
    assert left.get_title().startswith("passes 1-4") and right.get_title().startswith("passes 5-20")
    texts = {ax: " ".join(t.get_text() for t in ax.texts).lower() for ax in (left, right)}
    assert "frozen" in texts[left] and "frozen" not in texts[right]
    assert "87 logits" in texts[left] and "87" not in texts[right]  # the old head only on the left
    assert "25 logits" in texts[left] and "25 logits" in texts[right]


def test_best_of_k_draws_both_histograms_the_true_accuracy_and_each_mean():
    single = np.array([0.70, 0.72, 0.74, 0.76])
    best = np.array([0.74, 0.76, 0.78, 0.80])
    fig = plots.best_of_k(single, best, true_accuracy=0.73, k=5)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["one candidate (mean 0.730)", "best of 5 (mean 0.770)", "true accuracy 0.730"]
    vertical = sorted(round(line.get_xdata()[0], 3) for line in ax.get_lines())
    assert vertical == [0.73, 0.73, 0.77]
    assert sum(p.get_height() for p in ax.patches) == 8  # four draws in each histogram
    import pytest

    with pytest.raises(ValueError, match="best_of_k"):
        plots.best_of_k(np.array([]), best, 0.73, 5)


def test_strands_places_each_model_s_numbers_on_its_row():
    summary = pd.DataFrame({"seed 0": [0.7, 0.4], "seed 1": [0.75, 0.35],
                            "VarGrad vs random network": [0.5, 0.6], "noise floor": [0.8, 0.9]},
                           index=["gems", "buildings"])
    fig = plots.strands(summary)
    left, right = fig.axes
    assert [t.get_text() for t in left.get_yticklabels()] == ["gems", "buildings"]
    rows = dict(zip([t.get_text() for t in left.get_yticklabels()], left.get_yticks()))
    seed0, seed1 = left.collections[0].get_offsets(), left.collections[1].get_offsets()
    np.testing.assert_allclose(seed0[:, 0], [0.7, 0.4])
    np.testing.assert_allclose(seed1[:, 0], [0.75, 0.35])
    assert seed0[0, 1] == rows["gems"] and seed0[1, 1] == rows["buildings"]
    # zoomed to the seeds' range 0.35-0.75 with 3 points either side, in steps of 5 points
    np.testing.assert_allclose(left.get_xlim(), (0.30, 0.80))
    assert "zoomed to 30%-80%" in left.get_xlabel()
    assert sorted(t.get_text() for t in left.texts) == ["5.0 points apart", "5.0 points apart"]
    bars = sorted((p.get_y() + p.get_height() / 2, p.get_width()) for p in right.patches)
    assert bars == [(rows["buildings"], 0.6), (rows["gems"], 0.5)]
    np.testing.assert_allclose(right.collections[0].get_offsets()[:, 0], [0.8, 0.9])
    fig.canvas.draw()  # the right panel's legend sits below it, over no bar and no title
    assert right.get_legend().get_window_extent().y1 < right.get_window_extent().y0
    import pytest

    with pytest.raises(ValueError, match="noise floor"):
        plots.strands(summary.drop(columns="noise floor"))


def test_weight_average_draws_both_series_and_rejects_mismatched_shapes():
    import pytest

    raw = np.array([0.0, 1.0, 0.0, 1.0])
    average = np.array([0.0, 0.5, 0.25, 0.625])  # ema = 0.5 * ema + 0.5 * w, from w[0]
    ax = plots.weight_average(raw, average, decay=0.5).axes[0]
    thin, thick = ax.get_lines()
    np.testing.assert_array_equal(thin.get_ydata(), raw)
    np.testing.assert_array_equal(thick.get_ydata(), average)
    assert thick.get_linewidth() > thin.get_linewidth()  # the average stands out
    assert [t.get_text() for t in ax.get_legend().get_texts()][1] == "moving average, decay 0.5"
    with pytest.raises(ValueError, match="same 1-D shape"):
        plots.weight_average(raw, average[:3], decay=0.5)


def test_label_smoothing_names_the_tiny_wrong_class_target():
    fig = plots.label_smoothing(num_classes=10, true_class=2, smoothing=0.1)
    assert any("each wrong class: 0.01" in t.get_text() for t in fig.axes[1].texts)


def test_training_curves_legend_fontsize():
    hist = pd.DataFrame({"epoch": [0, 1], "loss": [2.0, 1.0], "val_loss": [2.1, 1.5]})
    fig = plots.training_curves({"a": hist}, metrics=("loss",), legend_fontsize=11)
    assert fig.axes[0].get_legend().get_texts()[0].get_fontsize() == 11


def test_label_smoothing_draws_the_keras_target():
    import pytest

    fig = plots.label_smoothing(num_classes=10, true_class=2, smoothing=0.1)
    plain, smoothed = fig.axes
    np.testing.assert_allclose([p.get_height() for p in plain.patches], np.eye(10)[2])
    heights = np.array([p.get_height() for p in smoothed.patches])
    np.testing.assert_allclose(heights, [0.01] * 2 + [0.91] + [0.01] * 7)
    assert heights.sum() == pytest.approx(1.0)
    assert [t.get_text() for t in smoothed.texts][:2] == ["0.91", "0.01"]  # then the arrow note
    import keras  # the same target as the loss the lesson trains with

    loss = keras.losses.CategoricalCrossentropy(label_smoothing=0.1)
    logits = np.log(heights)[None]  # the smoothed target as a prediction: the loss's minimum
    assert float(loss(np.eye(10)[2][None], keras.ops.softmax(logits))) == pytest.approx(
        -(heights * np.log(heights)).sum(), rel=1e-5)


def test_joint_vs_separate_shows_equal_separate_histograms_and_different_joint_ones():
    dark_red_and_grey = np.zeros((4, 4, 3), np.uint8)
    dark_red_and_grey[:2], dark_red_and_grey[2:] = (120, 20, 20), (220, 220, 220)
    cyan_and_red = dark_red_and_grey.copy()
    cyan_and_red[:2], cyan_and_red[2:] = (120, 220, 220), (220, 20, 20)
    fig = plots.joint_vs_separate([dark_red_and_grey, cyan_and_red], ["a", "b"])
    assert isinstance(fig, Figure) and len(fig.axes) == 10
    heights = [[p.get_height() for p in ax.patches] for ax in fig.axes]
    assert heights[1:4] == heights[6:9]  # red, green, blue apart: the same for both images
    np.testing.assert_allclose(heights[1], np.eye(8)[3] / 2 + np.eye(8)[6] / 2)
    labels = [[t.get_text() for t in fig.axes[i].get_xticklabels()] for i in (4, 9)]
    assert labels == [["(112,16,16)", "(208,208,208)"], ["(112,208,208)", "(208,16,16)"]]


def test_seed_dots_one_panel_per_score_one_row_per_recipe_one_marker_per_seed():
    runs = {("scratch", 0): 45.7, ("transfer", 0): 39.4,
            ("scratch", 1): 43.4, ("transfer", 1): 42.2}
    fig = plots.seed_dots({"test top-1": runs,
                           "validation top-1": {k: v + 1 for k, v in runs.items()}})
    assert len(fig.axes) == 2
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["scratch", "transfer"]
    assert ax.get_xlabel() == "test top-1 (%)" and fig.axes[1].get_xlabel() == "validation top-1 (%)"
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["seed 0", "seed 1"]
    seed0 = ax.collections[0].get_offsets()
    assert np.allclose(seed0, [[45.7, 1], [39.4, 0]])  # scratch on top, transfer below
    low, high = ax.get_xlim()
    assert low < 39.4 and high > 45.7
    assert len(ax.lines) == 2  # one line per recipe joining its seeds


def test_saliency_rows_label_fontsize_is_optional():
    maps = {"a": np.zeros((1, 8, 8))}
    photos = np.zeros((1, 8, 8, 3), np.uint8)
    fig = plots.saliency_rows(photos, maps, ["true x"], label_fontsize=11)
    assert fig.axes[0].yaxis.label.get_fontsize() == 11 and fig.axes[0].title.get_fontsize() == 8
    assert plots.saliency_rows(photos, maps, ["true x"]).axes[0].yaxis.label.get_fontsize() == 8


def test_explanation_figure_adds_a_colour_bar_only_when_asked():
    image = np.zeros((8, 8, 3), np.uint8)
    heat = np.linspace(0, 1, 64).reshape(8, 8)
    assert len(plots.explanation_figure(image, heat, image).axes) == 3
    fig = plots.explanation_figure(image, heat, image, title="t", colorbar_label="saliency")
    assert len(fig.axes) == 4 and fig.axes[3].get_ylabel() == "saliency"
    assert fig.axes[3].get_ylim() == (0.0, 1.0)


def test_nearest_similarity_overlays_group_shares_and_marks_a_value():
    import pytest

    groups = {"gems": np.array([0.8, 0.9, 0.9, 0.95]), "buildings": np.array([0.7, 0.8])}
    fig = plots.nearest_similarity(groups, marks={"cathedral": 0.82}, bins=5)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["gems (4)", "buildings (2)", "cathedral: 0.82"]
    heights = [p.get_height() for p in ax.patches]
    assert np.isclose(sum(heights[:5]), 1) and np.isclose(sum(heights[5:]), 1)  # shares, not counts
    assert ax.get_lines()[0].get_xdata()[0] == 0.82
    with pytest.raises(ValueError, match="nearest_similarity"):
        plots.nearest_similarity({"empty": np.array([])})


def test_prediction_grid_titles_the_true_class_and_lists_the_top_k_marking_the_true_one():
    images = np.zeros((3, 4, 4, 3), np.uint8)
    probs = np.array([[0.7, 0.2, 0.1, 0.0], [0.1, 0.5, 0.4, 0.0], [0.6, 0.1, 0.3, 0.0]])
    fig = plots.prediction_grid(images, [0, 2, 3], probs, ["a", "b", "c", "d"], k=3, cols=2)
    axes = fig.axes
    assert len(axes) == 4 and not axes[3].images  # 2 × 2 grid, the last panel empty
    assert [ax.get_title() for ax in axes[:3]] == ["true: a", "true: c", "true: d"]
    assert axes[0].title.get_color() == "tab:green" and axes[1].title.get_color() == "tab:red"
    assert axes[0].get_xlabel() == "✓ a 0.70\nb 0.20\nc 0.10"
    assert axes[1].get_xlabel() == "b 0.50\n✓ c 0.40\na 0.10"
    assert "✓" not in axes[2].get_xlabel()  # the true class is not among the top 3


def test_accuracy_gap_is_a_rolling_mean_of_training_minus_validation():
    h = pd.DataFrame({"epoch": range(4), "accuracy": [0.5, 0.7, 0.9, 1.0],
                      "val_accuracy": [0.6, 0.6, 0.6, 0.6]})
    fig = plots.accuracy_gap({"plain, seed 0": h, "plain, seed 1": h, "other, seed 0": h}, window=2)
    runs = [line for line in fig.axes[0].get_lines() if not line.get_label().startswith("_")]
    assert len(runs) == 3
    np.testing.assert_allclose(runs[0].get_ydata(), [-0.1, 0.0, 0.2, 0.35])  # mean of 2 epochs
    np.testing.assert_allclose(runs[0].get_xdata(), [1, 2, 3, 4])
    assert runs[0].get_color() == runs[1].get_color() != runs[2].get_color()  # colour per recipe
    assert runs[0].get_linestyle() != runs[1].get_linestyle()
    matplotlib.pyplot.close(fig)
