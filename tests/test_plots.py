"""Every plot takes computed results and returns a Figure with the expected panels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
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
    assert panels[5].get_title() == ""  # column labels head the first row only
    assert len(plots.saliency_rows(None, maps).axes) == 2 * 2 + 1


def test_metric_curves_one_line_per_column():
    hist = pd.DataFrame({"epoch": [0, 1], "val_accuracy": [0.1, 0.5], "val_accuracy_ema": [0.0, 0.6]})
    fig = plots.metric_curves(hist, {"val_accuracy": "raw", "val_accuracy_ema": "average"})
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["raw", "average"]


def test_tables_to_figures():
    table = pd.DataFrame({"label": ["a", "a", "b"], "split": ["train", "test", "train"],
                          "width": [10, 20, 30], "height": [10, 20, 30], "mode": ["RGB"] * 3, "readable": [True] * 3})
    assert isinstance(plots.class_distribution(table), Figure)
    assert isinstance(plots.size_scatter(table), Figure)
    hist = pd.DataFrame({"epoch": [0, 1], "loss": [2.0, 1.0], "val_loss": [2.1, 1.5], "accuracy": [0.1, 0.5], "val_accuracy": [0.1, 0.4]})
    assert len(plots.training_curves({"run": hist}).axes) == 2
    # two runs: train and validation named apiece; more runs: one legend entry per run, beside the axes
    assert len(plots.training_curves({"a": hist, "b": hist}).axes[0].get_legend().get_texts()) == 4
    fig = plots.training_curves({k: hist for k in "abc"}, metrics=("accuracy",))
    fig.canvas.draw()
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["a", "b", "c"]
    assert legend.get_window_extent().x0 > fig.axes[0].get_window_extent().x1
    assert isinstance(plots.confusion(np.eye(3), ["a", "b", "c"]), Figure)
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
    assert len(fig.axes) == 2 and "32 photos" in fig.axes[0].get_title()
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["gradient", "smoothgrad", "vargrad"]
    # two series (with error bars) per panel
    assert all(len(ax.containers) == 2 for ax in fig.axes)


def test_learning_rate_and_faithfulness_axes():
    schedule = pd.DataFrame({"epoch": [1, 2, 3], "learning_rate": [1e-4, 1e-3, 5e-4]})
    assert plots.learning_rate(schedule).axes[0].get_ylabel() == "learning rate"
    curves = pd.DataFrame({"method": ["vargrad"] * 3, "fraction": [0, 0.01, 1.0],
                           "deletion": [1, 0.5, 0], "insertion": [0, 0.5, 1]})
    areas = pd.DataFrame({"method": ["vargrad"], "deletion_auc": [0.1], "insertion_auc": [0.9]})
    fig = plots.faithfulness_curves(curves, areas)
    assert fig.axes[0].get_xscale() == "symlog"  # the first percent is where it happens
    assert fig.axes[0].get_lines()[0].get_color() == plots.METHOD_COLOURS["vargrad"]
