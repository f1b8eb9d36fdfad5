"""Drawing. Every function takes results already computed (arrays, DataFrames) and returns a Figure."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

#: One colour per saliency method, the same in every figure.
METHOD_COLOURS = {"gradient": "tab:blue", "smoothgrad": "tab:orange", "vargrad": "tab:green",
                  "random": "tab:grey"}


def class_distribution(table: pd.DataFrame, top: int | None = None) -> Figure:
    """Images per class and split (bar chart) from :func:`gemlib.data.scan`'s table."""
    counts = table.groupby(["label", "split"]).size().rename("images").reset_index()
    order = counts.groupby("label")["images"].sum().sort_values(ascending=False).index
    if top:
        order = order[:top]
    height = max(4, 0.14 * len(order))
    fig, ax = plt.subplots(figsize=(8, height))
    hue = "split" if counts["split"].nunique() > 1 else None
    sns.barplot(data=counts[counts["label"].isin(order)], y="label", x="images", hue=hue, order=order, ax=ax)
    ax.set_ylabel("")
    ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    return fig


def image_grid(images: Sequence[np.ndarray], titles: Sequence[str] | None = None, cols: int = 8, size: float = 1.6) -> Figure:
    """A grid of images with optional titles."""
    rows = int(np.ceil(len(images) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * size, rows * size * 1.12), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for i, img in enumerate(images):
        ax = axes.ravel()[i]
        ax.imshow(img)
        if titles is not None:
            ax.set_title(titles[i], fontsize=7)
    fig.tight_layout()
    return fig


def size_scatter(table: pd.DataFrame) -> Figure:
    """Width against height of every readable image, coloured by mode."""
    fig, ax = plt.subplots(figsize=(5, 4))
    ok = table[table["readable"]]
    sns.scatterplot(data=ok, x="width", y="height", hue="mode", s=10, ax=ax)
    ax.set(xscale="log", yscale="log", title="image sizes (pixels)")
    fig.tight_layout()
    return fig


def palette_strips(palettes: dict[str, np.ndarray], cols: int = 3) -> Figure:
    """One strip of dominant colours per class; ``palettes[label]`` is (k, 3) uint8."""
    labels = list(palettes)
    rows = int(np.ceil(len(labels) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 3.2, rows * 0.32), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, label in zip(axes.ravel(), labels):
        ax.imshow(palettes[label][None], aspect="auto")
        ax.text(-0.02, 0.5, label, transform=ax.transAxes, ha="right", va="center", fontsize=6)
    fig.subplots_adjust(left=0.12, wspace=0.6, hspace=0.25)
    return fig


def colour_scatter(stats: pd.DataFrame) -> Figure:
    """Mean hue against mean saturation per class, points drawn in each class's mean colour."""
    fig, ax = plt.subplots(figsize=(7, 5))
    colours = stats[["mean_r", "mean_g", "mean_b"]].to_numpy() / 255.0
    ax.scatter(stats["hue"], stats["saturation"], c=colours, s=80, edgecolor="k", linewidth=0.4)
    for _, r in stats.iterrows():
        ax.annotate(r["label"], (r["hue"], r["saturation"]), fontsize=5, alpha=0.7)
    ax.set(xlabel="mean hue (circular, degrees)", ylabel="mean saturation", title="classes in colour space")
    fig.tight_layout()
    return fig


def metric_curves(history: pd.DataFrame, columns: dict[str, str], title: str = "") -> Figure:
    """Chosen columns of one run's history against the epoch; ``columns`` maps column -> label."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for column, label in columns.items():
        ax.plot(history["epoch"] + 1, history[column], label=label)
    ax.set(xlabel="epoch", title=title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def training_curves(histories: dict[str, pd.DataFrame], metrics: Sequence[str] = ("loss", "accuracy")) -> Figure:
    """Training and validation curves of one or more runs (``history.csv`` tables).

    With more than two runs the legend names each run once (solid: training, dashed: validation)
    and sits beside the axes, so it hides no curve.
    """
    many = len(histories) > 2
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics) + (3 if many else 0), 3.5), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for name, h in histories.items():
            ep = h["epoch"] + 1
            line = ax.plot(ep, h[metric], label=name if many else f"{name} train")[0]
            ax.plot(ep, h[f"val_{metric}"], "--", color=line.get_color(), label=None if many else f"{name} validation")
        ax.set(xlabel="epoch", title=f"{metric} (solid: training, dashed: validation)" if many else metric)
        ax.legend(fontsize=7, **({"loc": "upper left", "bbox_to_anchor": (1.02, 1)} if many else {}))
    fig.tight_layout()
    return fig


def confusion(matrix: np.ndarray, classes: Sequence[str], title: str = "confusion (rows: true class, sum to 1)") -> Figure:
    """Row-normalised confusion matrix, readable for ~90 classes."""
    n = len(classes)
    side = max(6, 0.13 * n)
    fig, ax = plt.subplots(figsize=(side, side))
    sns.heatmap(matrix, cmap="viridis", vmin=0, vmax=1, square=True, ax=ax,
                xticklabels=classes, yticklabels=classes, cbar_kws={"shrink": 0.5})
    ax.tick_params(labelsize=5 if n > 40 else 8)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    fig.tight_layout()
    return fig


def learning_rate(schedule: pd.DataFrame) -> Figure:
    """The learning rate per epoch, from :func:`gemlib.train.clock_schedule`."""
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot(schedule["epoch"], schedule["learning_rate"], "o-", ms=2)
    ax.set(xlabel="epoch", ylabel="learning rate", title="warm-up, then cosine decay over the clock")
    fig.tight_layout()
    return fig


def reliability(table: pd.DataFrame, ece: float) -> Figure:
    """Reliability diagram from :func:`gemlib.evaluate.calibration`."""
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    t = table.dropna()
    ax.bar(t["low"], t["accuracy"], width=t["high"] - t["low"], align="edge", edgecolor="k", alpha=0.7, label="accuracy")
    ax.plot([0, 1], [0, 1], "k--", label="perfect calibration")
    ax.set(xlabel="confidence", ylabel="accuracy", title=f"reliability (ECE = {ece:.3f})", xlim=(0, 1), ylim=(0, 1))
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def confused_pairs(pairs: pd.DataFrame, examples: dict[str, np.ndarray], n: int = 6) -> Figure:
    """Each confused (true, predicted) pair as two example images side by side."""
    pairs = pairs.head(n)
    fig, axes = plt.subplots(len(pairs), 2, figsize=(4, 2 * len(pairs)), squeeze=False)
    for row, (_, r) in zip(axes, pairs.iterrows()):
        for ax, label, kind in ((row[0], r["true"], "true"), (row[1], r["predicted"], "taken for")):
            ax.imshow(examples[label])
            ax.set_title(f"{kind}: {label}" + (f" ({r['count']}x)" if kind == "true" else ""), fontsize=7)
            ax.axis("off")
    fig.tight_layout()
    return fig


def colour_experiments(table: pd.DataFrame, reference: float | None = None) -> Figure:
    """Top-1 with 95 % intervals for each colour experiment (horizontal bars)."""
    fig, ax = plt.subplots(figsize=(7, 3.5))
    y = np.arange(len(table))
    err = np.vstack([table["top1"] - table["top1_low"], table["top1_high"] - table["top1"]])
    ax.barh(y, table["top1"], xerr=err, color=sns.color_palette("muted", len(table)), capsize=3)
    ax.set_yticks(y, table["experiment"])
    ax.invert_yaxis()
    ax.axvline(1 / 87, color="k", ls=":", label="chance (1/87)")
    if reference is not None:
        ax.axvline(reference, color="grey", ls="--", label="original images")
    ax.set(xlabel="test top-1 accuracy (95 % bootstrap interval)", xlim=(0, 1))
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    fig.tight_layout()
    return fig


def saliency_rows(
    images: np.ndarray | None,
    maps: dict[str, np.ndarray],
    row_labels: Sequence[str] | None = None,
    cmap: str = "inferno",
    overlay: bool = True,
) -> Figure:
    """One row per image: the photo, then per method its heatmap and the heatmap over the photo.

    Column labels (photo, method, method over photo) head the first row; ``row_labels`` (say
    "true: Ruby / explained: Garnet Red") stand at the left of each row; one colourbar serves
    every heatmap, which are on the same [0, 1] scale (:func:`gemlib.explain.to_heatmap`).
    Pixels are drawn as blocks (no smoothing), so a grid seen in a map is the map's own.

    Parameters
    ----------
    images : numpy.ndarray or None
        (N, H, W, 3) ``uint8`` photos; None draws the heatmaps alone.
    maps : dict
        Method name -> (N, H, W) heatmaps in [0, 1].
    row_labels : sequence of str, optional
        One label per image.
    cmap : str
        Colour map of the heatmaps.
    overlay : bool
        Add each heatmap blended over its photo (needs ``images``).
    """
    from gemlib.explain import overlay as blend

    n = len(next(iter(maps.values())))
    with_photo = images is not None
    columns: list[tuple[str, str, str | None]] = [("photo", "photo", None)] if with_photo else []
    for name in maps:
        columns.append((name, "map", name))
        if with_photo and overlay:
            columns.append((f"{name} over photo", "overlay", name))
    fig, axes = plt.subplots(n, len(columns), figsize=(1.9 * len(columns) + 1.2, 1.9 * n + 0.3),
                             squeeze=False, layout="constrained")
    for i in range(n):
        for j, (title, kind, name) in enumerate(columns):
            ax = axes[i, j]
            if kind == "photo":
                ax.imshow(images[i], interpolation="nearest")
            elif kind == "map":
                ax.imshow(maps[name][i], cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
            else:
                ax.imshow(blend(images[i], maps[name][i], cmap=cmap), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if i == 0:
                ax.set_title(title, fontsize=8)
        if row_labels is not None:
            axes[i, 0].set_ylabel(row_labels[i], fontsize=7)
    mappable = plt.cm.ScalarMappable(norm=plt.Normalize(0, 1), cmap=cmap)
    fig.colorbar(mappable, ax=axes.ravel().tolist(), shrink=0.8, label="saliency (1 = 99th percentile)")
    return fig


def sanity_curves(table: pd.DataFrame) -> Figure:
    """Similarity to the trained model's map as layers are randomised, per method and metric."""
    mean = table.groupby(["step", "layer", "method"], sort=False)[["spearman_abs", "spearman_signed", "ssim"]].mean().reset_index()
    labels = mean.drop_duplicates("step").sort_values("step")["layer"].tolist()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4), sharey=True)
    for ax, metric in zip(axes, ["spearman_abs", "spearman_signed", "ssim"]):
        for m, g in mean.groupby("method"):
            ax.plot(g["step"], g[metric], "o-", label=m, color=METHOD_COLOURS.get(m))
        ax.set_xticks(range(len(labels)), labels, rotation=70, fontsize=7)
        ax.axhline(0, color="k", lw=0.5)
        ax.set(title=metric.replace("_", " "), xlabel="randomised down to")
    axes[0].set_ylabel("similarity to the trained model's map")
    axes[0].legend()
    fig.tight_layout()
    return fig


def faithfulness_curves(curves: pd.DataFrame, areas: pd.DataFrame) -> Figure:
    """Mean deletion and insertion curves per method, with mean areas in the legend."""
    mean_area = areas.groupby("method")[["deletion_auc", "insertion_auc"]].mean()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for m, g in curves.groupby("method", sort=False):
        colour = METHOD_COLOURS.get(m)
        axes[0].plot(g["fraction"], g["deletion"], color=colour,
                     label=f"{m} (area {mean_area.loc[m, 'deletion_auc']:.3f})")
        axes[1].plot(g["fraction"], g["insertion"], color=colour,
                     label=f"{m} (area {mean_area.loc[m, 'insertion_auc']:.3f})")
    axes[0].set(title="deletion (lower is better)", xlabel="fraction of pixels removed (log scale)",
                ylabel="target probability")
    axes[1].set(title="insertion (higher is better)", xlabel="fraction of pixels revealed (log scale)")
    for ax in axes:
        # most happens in the first few percent: a log axis (linear below 0.25 %) spreads it out
        ax.set_xscale("symlog", linthresh=0.0025)
        ax.set_xlim(0, 1)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def explanation_figure(image: np.ndarray, heatmap: np.ndarray, overlay: np.ndarray, title: str = "") -> Figure:
    """Photo, heatmap and overlay side by side (the ``explain`` command's figure)."""
    fig, axes = plt.subplots(1, 3, figsize=(9, 3.3))
    for ax, img, name in zip(axes, (image, heatmap, overlay), ("photo", "VarGrad", "overlay")):
        ax.imshow(img, cmap="inferno" if img.ndim == 2 else None, vmin=0, vmax=1 if img.ndim == 2 else None)
        ax.set_title(name, fontsize=9)
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def transform_strip(views: dict[str, np.ndarray], size: float = 1.4) -> Figure:
    """One row per transform, one column per photo: what each colour experiment feeds the model.

    Parameters
    ----------
    views : dict
        Transform name -> (N, H, W, 3) uint8 images (the same N photos in every row).
    """
    names = list(views)
    n = len(views[names[0]])
    fig, axes = plt.subplots(len(names), n, figsize=(size * n + 1.2, size * len(names)), squeeze=False,
                             layout="constrained")
    for i, name in enumerate(names):
        for j in range(n):
            ax = axes[i, j]
            ax.imshow(views[name][j])
            ax.set_xticks([])
            ax.set_yticks([])
        axes[i, 0].set_ylabel(name, fontsize=8)
    return fig


def parameter_grid(
    maps: dict[tuple[float, int], np.ndarray], row_name: str, col_name: str, cmap: str = "inferno"
) -> Figure:
    """Heatmaps of one image on a grid of two settings (say noise x samples).

    Parameters
    ----------
    maps : dict
        (row value, column value) -> (H, W) heatmap in [0, 1].
    row_name, col_name : str
        What the row and column values are.
    """
    rows = sorted({r for r, _ in maps})
    cols = sorted({c for _, c in maps})
    fig, axes = plt.subplots(len(rows), len(cols), figsize=(1.7 * len(cols) + 1.4, 1.7 * len(rows) + 0.3),
                             squeeze=False, layout="constrained")
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            ax = axes[i, j]
            ax.imshow(maps[(r, c)], cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(f"{col_name} {c}", fontsize=8)
            if j == 0:
                ax.set_ylabel(f"{row_name} {r}", fontsize=8)
    mappable = plt.cm.ScalarMappable(norm=plt.Normalize(0, 1), cmap=cmap)
    fig.colorbar(mappable, ax=axes.ravel().tolist(), shrink=0.8, label="saliency (1 = 99th percentile)")
    return fig


def saliency_summary(report: dict) -> Figure:
    """The saliency checks at scale (a card's ``saliency`` entry) as points with 95 % intervals.

    Left: rank correlation of each method's map with the map of a fully randomised network,
    beside the noise floor (two noise draws of the same method). Right: insertion and deletion
    areas minus a random map's (above 0 on insertion and below 0 on deletion is better).
    """
    methods = ["gradient", "smoothgrad", "vargrad"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    y = np.arange(len(methods))
    for offset, key, label, marker in ((-0.12, "fully_randomised", "vs a fully random network", "o"),
                                       (0.12, "noise_floor", "noise floor (another noise draw)", "s")):
        stats = [report["randomisation"][m][key] for m in methods]
        mean = np.array([st["mean"] for st in stats])
        err = np.abs(np.array([st["ci95"] for st in stats]).T - mean)
        axes[0].errorbar(mean, y + offset, xerr=err, fmt=marker, capsize=3, label=label,
                         color="k" if key == "noise_floor" else None)
    for ax in axes:
        ax.set_yticks(y, methods)
        ax.invert_yaxis()
    axes[0].set(xlim=(0, 1.05), xlabel="rank correlation with the trained model's map",
                title=f"randomisation ({report['n_images']} photos)")
    for offset, key, label in ((-0.12, "insertion_minus_random", "insertion"),
                               (0.12, "deletion_minus_random", "deletion (to black)")):
        stats = [report["faithfulness"][m][key] for m in methods]
        mean = np.array([st["mean"] for st in stats])
        err = np.abs(np.array([st["ci95"] for st in stats]).T - mean)
        axes[1].errorbar(mean, y + offset, xerr=err, fmt="o", capsize=3, label=label)
    axes[1].axvline(0, color="grey", lw=0.8)
    axes[1].set(xlabel="area minus the random map's",
                title="faithfulness (insertion: right is better; deletion: left)")
    for ax in axes:
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)
    fig.tight_layout()
    return fig


def confusion_pair(by_row: np.ndarray, by_column: np.ndarray, classes: Sequence[str], keep: Sequence[int]) -> Figure:
    """The same block of a confusion matrix normalised two ways, side by side, values written in.

    Parameters
    ----------
    by_row, by_column : numpy.ndarray
        Full matrices whose rows (true classes) or columns (predicted classes) sum to 1.
    classes : sequence of str
        All class names.
    keep : sequence of int
        Class indices of the block to show (rows and columns).
    """
    keep = list(keep)
    names = [classes[i] for i in keep]
    fig, axes = plt.subplots(1, 2, figsize=(2 + 0.62 * len(keep) * 2, 1.5 + 0.5 * len(keep)), layout="constrained")
    titles = ("divided by each true class's total: recall on the diagonal",
              "divided by each predicted class's total: the published axis")
    for ax, m, title in zip(axes, (by_row, by_column), titles):
        sns.heatmap(m[np.ix_(keep, keep)], cmap="viridis", vmin=0, vmax=1, annot=True, fmt=".2f",
                    annot_kws={"fontsize": 7}, xticklabels=names, yticklabels=names, cbar=False, ax=ax)
        ax.set(xlabel="predicted", ylabel="true", title=title)
        ax.title.set_fontsize(9)
        ax.tick_params(labelsize=7)
    return fig


def selection(table: pd.DataFrame) -> Figure:
    """Candidates' validation against test top-1, with the pick of each rule marked.

    ``table`` comes from :func:`gemlib.published.selection_table`.
    """
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.scatter(table["val_accuracy"], table["test_accuracy"], color="grey", zorder=2)
    ax.margins(x=0.45, y=0.15)
    for name, r in table.iterrows():
        ax.annotate(name, (r["val_accuracy"], r["test_accuracy"]), fontsize=7, xytext=(4, 3),
                    textcoords="offset points")
    if "within_limit" in table and not table["within_limit"].all():
        over = table[~table["within_limit"]]
        ax.scatter(over["val_accuracy"], over["test_accuracy"], color="white", edgecolors="grey",
                   zorder=2, label="over the time limit: not eligible")
    for column, marker, label in (("chosen_on_validation", "o", "chosen on validation"),
                                  ("chosen_on_test", "s", "chosen on test")):
        r = table[table[column]].iloc[0]
        ax.scatter(r["val_accuracy"], r["test_accuracy"], s=160, facecolors="none", edgecolors="k",
                   marker=marker, label=f"{label}: test {r['test_accuracy']:.1%}", zorder=3)
    ax.set(xlabel="validation top-1", ylabel="test top-1", title="candidates, two ways to choose")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2)
    fig.tight_layout()
    return fig
