"""Drawing. Every function takes results already computed (arrays, DataFrames) and returns a Figure."""

from __future__ import annotations

import textwrap

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.text import Text

#: One colour per saliency method, the same in every figure.
METHOD_COLOURS = {"gradient": "tab:blue", "smoothgrad": "tab:orange", "vargrad": "tab:green",
                  "random": "tab:grey"}


def class_distribution(
    table: pd.DataFrame, top: int | None = None, labelsize: float = 7
) -> Figure:
    """Images per class and split (bar chart) from :func:`gemlib.data.scan`'s table.

    ``labelsize`` sets the class names' font size; the figure grows with it.
    """
    counts = table.groupby(["label", "split"]).size().rename("images").reset_index()
    order = counts.groupby("label")["images"].sum().sort_values(ascending=False).index
    if top:
        order = order[:top]
    height = max(4, 0.02 * labelsize * len(order))
    fig, ax = plt.subplots(figsize=(8, height))
    hue = "split" if counts["split"].nunique() > 1 else None
    sns.barplot(data=counts[counts["label"].isin(order)], y="label", x="images", hue=hue, order=order, ax=ax)
    ax.set_ylabel("")
    ax.tick_params(axis="y", labelsize=labelsize)
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
    """Width against height of every readable image, one colour per mode.

    Modes are drawn from the commonest to the rarest, so rare ones sit on top; modes other than
    the commonest get larger outlined markers, so a handful of files stays visible.
    """
    fig, ax = plt.subplots(figsize=(5, 4))
    ok = table[table["readable"]]
    modes = ok["mode"].value_counts().index
    for i, mode in enumerate(modes):
        rows = ok[ok["mode"] == mode]
        rare = i > 0
        ax.scatter(rows["width"], rows["height"], s=60 if rare else 8, marker="D" if rare else "o",
                   color=f"C{i}", edgecolor="k" if rare else "none", linewidth=0.8,
                   zorder=3 + i, label=f"{mode} ({len(rows):,})")
    ax.legend(title="mode (files)")
    ax.set(xscale="log", yscale="log", xlabel="width", ylabel="height", title="image sizes (pixels)")
    fig.tight_layout()
    return fig


def palette_strips(palettes: dict[str, np.ndarray], cols: int = 3, fontsize: float = 6) -> Figure:
    """One strip of dominant colours per class; ``palettes[label]`` is (k, 3) uint8.

    ``fontsize`` sets the class names' size; rows and label room grow with it.
    """
    labels = list(palettes)
    rows = int(np.ceil(len(labels) / cols))
    grow = fontsize / 6
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 3.2 * grow, rows * 0.32 * grow),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, label in zip(axes.ravel(), labels):
        ax.imshow(palettes[label][None], aspect="auto")
        ax.text(-0.02, 0.5, label, transform=ax.transAxes, ha="right", va="center",
                fontsize=fontsize)
    fig.subplots_adjust(left=0.12, wspace=0.6, hspace=0.25)
    return fig


def colour_scatter(
    stats: pd.DataFrame, first: Sequence[str] = (), fontsize: float = 8, leaders: bool = False
) -> Figure:
    """Mean hue against mean saturation per class, points drawn in each class's mean colour.

    A label is drawn only where it fits: beside its point (right, left, above or below), inside
    the axes, clear of every other label and point; the others are left out rather than
    overlapped. The classes in ``first`` are placed before the rest. With ``leaders``, a class
    of ``first`` whose label fits nowhere beside its point is labelled further off, joined to
    its point by a thin line.
    """
    fig, ax = plt.subplots(figsize=(10, 6.5))
    colours = stats[["mean_r", "mean_g", "mean_b"]].to_numpy() / 255.0
    ax.scatter(stats["hue"], stats["saturation"], c=colours, s=80, edgecolor="k", linewidth=0.4)
    ax.set(xlabel="mean hue (circular, degrees)", ylabel="mean saturation", xlim=(-15, 375),
           title="classes in colour space (a label is shown where it fits)")
    fig.tight_layout()
    renderer = fig.canvas.get_renderer()
    points = ax.transData.transform(stats[["hue", "saturation"]].to_numpy(float))
    radius = 5.0 * fig.dpi / 72  # the marker's radius (s=80 points squared), in pixels
    taken = [(x - radius, y - radius, x + radius, y + radius) for x, y in points]
    frame = ax.get_window_extent(renderer)
    order = [i for name in first for i in np.flatnonzero(stats["label"].to_numpy() == name)]
    order += [i for i in range(len(stats)) if i not in order]
    offsets = [(7, -3, "left"), (-7, -3, "right"), (0, 6, "center"), (0, -12, "center")]
    far = [(r * dx, r * dy, "left" if dx > 0 else "right" if dx < 0 else "center")
           for r in (18, 28, 40, 54) for dx, dy in
           ((-1, -1), (-1, 1), (1, -1), (1, 1), (-1, 0), (0, -1), (0, 1), (1, 0))]
    wanted = set(first)
    for i in order:
        extra = far if leaders and stats["label"].iloc[i] in wanted else []
        for dx, dy, ha in offsets + extra:
            line = dict(arrowstyle="-", lw=0.5, color="0.35") if (dx, dy) in {
                (a, b) for a, b, _ in extra} else None
            text = ax.annotate(stats["label"].iloc[i], tuple(stats[["hue", "saturation"]].iloc[i]),
                               xytext=(dx, dy), textcoords="offset points", ha=ha, va="center"
                               if line else "baseline", fontsize=fontsize, arrowprops=line)
            text.update_positions(renderer)
            box = Text.get_window_extent(text, renderer)  # the words only, not the leader
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            clear = all(box.x1 < a or box.x0 > c or box.y1 < b or box.y0 > d
                        for k, (a, b, c, d) in enumerate(taken) if k != i)
            if inside and clear:
                taken.append((box.x0, box.y0, box.x1, box.y1))
                break
            text.remove()
    return fig


def hue_circle(hues: Sequence[float]) -> Figure:
    """Hues (degrees) as points on the colour wheel, their circular mean and their arithmetic mean.

    Each hue is a unit arrow at its angle; the circular mean is the direction of the arrows' sum
    (the mean of the sines against the mean of the cosines); the arithmetic mean of the numbers
    is marked beside it for contrast.
    """
    angles = np.radians(np.asarray(hues, float))
    mean_sin, mean_cos = np.sin(angles).mean(), np.cos(angles).mean()
    circular = np.degrees(np.arctan2(mean_sin, mean_cos)) % 360
    arithmetic = float(np.mean(hues))
    fig, ax = plt.subplots(figsize=(4.6, 4.6))
    ring = np.radians(np.arange(361))
    ax.scatter(np.cos(ring), np.sin(ring), c=np.arange(361) / 360, cmap="hsv", s=40, linewidths=0)
    for h, a in zip(hues, angles):
        ax.annotate("", (np.cos(a), np.sin(a)), (0, 0), arrowprops={"arrowstyle": "->", "color": "0.3"})
        ax.text(1.18 * np.cos(a), 1.18 * np.sin(a), f"{h:g}°", ha="center", va="center", fontsize=9)
    ax.annotate("", (mean_cos, mean_sin), (0, 0), arrowprops={"arrowstyle": "-|>", "color": "k", "lw": 2})
    for value, marker, name in ((circular, "o", "circular mean"), (arithmetic, "X", "arithmetic mean")):
        a = np.radians(value)
        ax.plot(np.cos(a), np.sin(a), marker, ms=11, mfc="white", mec="k",
                label=f"{name}: {round(value) % 360}°")
    ax.set(xlim=(-1.45, 1.45), ylim=(-1.45, 1.45), aspect="equal",
           title="hue is an angle: average the arrows, not the numbers")
    ax.axis("off")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, -0.12), fontsize=9, ncol=1)
    fig.tight_layout()
    return fig


def group_split() -> Figure:
    """A sketch of splitting by file (a twin leaks into test) against splitting by group.

    Each square is a photo; squares of one colour joined by a line are one duplicate group. Left,
    files are dealt out one by one and two groups straddle two sets (red lines: leaks); right, each
    group goes to one set, and a training photo grouped with a test photo is left out (crossed).
    """
    sets = ("training", "validation", "test")
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 4.6))
    colours = {"A": "tab:red", "B": "tab:blue", "C": "tab:green"}
    # (group, set index, row) of each photo; "out": left out of the split
    layouts = {
        "split by file: groups straddle sets (leaks)": [("A", 0, 0), ("A", 2, 0), ("B", 0, 1), ("B", 1, 1),
                                                   ("C", 0, 2), ("C", 0, 3)],
        "split by group: no group straddles two sets": [("A", 0, 0, "out"), ("A", 2, 0), ("B", 1, 1),
                                                        ("B", 1, 2), ("C", 0, 2), ("C", 0, 3)],
    }
    for ax, (title, photos) in zip(axes, layouts.items()):
        for k, name in enumerate(sets):
            ax.add_patch(plt.Rectangle((k * 1.2, 0), 1.0, 4.4, fc="0.95", ec="0.5"))
            ax.text(k * 1.2 + 0.5, 4.6, name, ha="center", fontsize=10)
        points: dict[str, list[tuple[float, float]]] = {}
        for group, k, row, *out in photos:
            x, y = k * 1.2 + 0.5, 3.7 - row
            points.setdefault(group, []).append((x, y))
            ax.add_patch(plt.Rectangle((x - 0.22, y - 0.22), 0.44, 0.44, fc=colours[group], ec="k",
                                       alpha=0.3 if out else 1.0))
            if out:
                ax.plot([x - 0.3, x + 0.3], [y - 0.3, y + 0.3], "k-", lw=2)
                ax.plot([x - 0.3, x + 0.3], [y + 0.3, y - 0.3], "k-", lw=2)
                ax.text(x, y - 0.45, "left out", ha="center", va="top", fontsize=9)
        for group, xy in points.items():
            (x0, y0), (x1, y1) = xy[0], xy[-1]
            leak = x1 != x0 and "leak" in title
            ax.plot([x0, x1], [y0, y1], "-", color="tab:red" if leak else "0.3", lw=3 if leak else 1,
                    zorder=0)
        ax.set(xlim=(-0.2, 3.6), ylim=(-0.4, 5.0), title=title, aspect="equal")
        ax.title.set_fontsize(10)
        ax.axis("off")
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


def training_curves(histories: dict[str, pd.DataFrame], metrics: Sequence[str] = ("loss", "accuracy"),
                    xlabel: str = "epoch", shade: tuple[float, float, str] | None = None,
                    legend_fontsize: float = 7, legend_below: bool = False) -> Figure:
    """Training and validation curves of one or more runs (``history.csv`` tables).

    ``legend_fontsize`` sets the legend's text size (points); ``legend_below=True`` draws one
    legend below all the panels instead of one in each (larger text then fits).

    With more than two runs the legend names each run once (solid: training, dashed: validation)
    and sits beside the axes, so it hides no curve. The x axis counts from 1 with integer ticks;
    ``shade = (first, last, label)`` shades those x values (inclusive) as one labelled band, e.g. a
    transfer run's head-only passes.
    """
    from matplotlib.ticker import MaxNLocator

    many = len(histories) > 2
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics) + (3 if many else 0), 3.5), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        if shade is not None:
            ax.axvspan(shade[0] - 0.5, shade[1] + 0.5, color="0.88", zorder=0, label=shade[2])
        for name, h in histories.items():
            ep = h["epoch"] + 1
            line = ax.plot(ep, h[metric], label=name if many else f"{name} train")[0]
            ax.plot(ep, h[f"val_{metric}"], "--", color=line.get_color(), label=None if many else f"{name} validation")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set(xlabel=xlabel, title=f"{metric} (solid: training, dashed: validation)" if many else metric)
        ax.legend(fontsize=legend_fontsize,
                  **({"loc": "upper left", "bbox_to_anchor": (1.02, 1)} if many else {}))
    fig.tight_layout()
    if legend_below:
        handles, names = axes[0, -1].get_legend_handles_labels()
        for ax in axes[0]:
            ax.get_legend().remove()
        fig.legend(handles, names, loc="lower center", ncol=5, fontsize=legend_fontsize,
                   bbox_to_anchor=(0.5, -0.1))
    return fig


def confusion(matrix: np.ndarray, classes: Sequence[str], title: str = "confusion (rows: true class, sum to 1)",
              size: float | None = None, labelsize: float | None = None,
              counts: np.ndarray | None = None) -> Figure:
    """Row-normalised confusion matrix, readable for ~90 classes.

    ``size`` (inches, the figure's side) and ``labelsize`` (points, the class names) override
    the defaults, which follow the number of classes. ``counts`` (same shape as ``matrix``), if
    given, is written into every non-zero cell, so that a cell of one photo can be read.
    """
    n = len(classes)
    side = size or max(6, 0.13 * n)
    fig, ax = plt.subplots(figsize=(side, side))
    annot = False
    if counts is not None:
        counts = np.asarray(counts)
        if counts.shape != np.shape(matrix):
            raise ValueError(f"counts {counts.shape} must have the matrix's shape {np.shape(matrix)}")
        annot = np.where(counts > 0, counts.astype(int).astype(str), "")
    sns.heatmap(matrix, cmap="viridis", vmin=0, vmax=1, square=True, ax=ax, annot=annot, fmt="",
                annot_kws={"fontsize": 8}, xticklabels=classes, yticklabels=classes,
                cbar_kws={"shrink": 0.5})
    ax.tick_params(labelsize=labelsize or (5 if n > 40 else 8))
    ax.set(xlabel="predicted", ylabel="true", title=title)
    fig.tight_layout()
    return fig


def accuracy_gap(histories: dict[str, pd.DataFrame], window: int = 5) -> Figure:
    """Training minus validation accuracy, epoch by epoch, as a mean over the last ``window`` epochs.

    Above 0 the training scores pull ahead of validation (overfitting), below 0 validation leads.
    Runs whose names share the part before the first comma ("augmented, seed 0" and "augmented,
    seed 1") share a colour and differ in line style.
    """
    fig, ax = plt.subplots(figsize=(7, 3.3))
    recipes: dict[str, int] = {}
    for name, h in histories.items():
        recipe = name.split(",")[0]
        k = recipes.setdefault(recipe, 0)
        recipes[recipe] += 1
        gap = (h["accuracy"] - h["val_accuracy"]).rolling(window, min_periods=1).mean()
        ax.plot(h["epoch"] + 1, gap, color=f"C{list(recipes).index(recipe)}",
                ls=("-", "--", ":", "-.")[k % 4], label=name)
    ax.axhline(0, color="black", lw=0.8)
    ax.set(xlabel="epoch", ylabel=f"training − validation accuracy\n(mean of the last {window} epochs)")
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig


def learning_rate(schedule: pd.DataFrame) -> Figure:
    """The learning rate per epoch, from :func:`gemlib.train.clock_schedule`."""
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot(schedule["epoch"], schedule["learning_rate"], "o-", ms=2)
    ax.set(xlabel="epoch", ylabel="learning rate", title="warm-up, then cosine decay over the clock")
    fig.tight_layout()
    return fig


def weight_average(raw: np.ndarray, average: np.ndarray, decay: float) -> Figure:
    """One weight's value at each step beside its exponential moving average (both computed)."""
    raw, average = np.asarray(raw, np.float64), np.asarray(average, np.float64)
    if raw.shape != average.shape or raw.ndim != 1:
        raise ValueError(f"raw {raw.shape} and average {average.shape} must be the same 1-D shape")
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot(np.arange(len(raw)), raw, color="0.6", lw=0.8, label="raw weight (after each step)")
    ax.plot(np.arange(len(average)), average, color="tab:blue", lw=2,
            label=f"moving average, decay {decay:g}")
    ax.set(xlabel="step", ylabel="weight value", title="a weight and its moving average")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def label_smoothing(num_classes: int = 10, true_class: int = 2, smoothing: float = 0.1) -> Figure:
    """The training target of one photo without and with label smoothing, side by side.

    Smoothing as Keras does it: ``(1 - smoothing) * one_hot + smoothing / num_classes``, so the
    right class keeps ``1 - smoothing + smoothing / num_classes`` and every other gets
    ``smoothing / num_classes``.
    """
    one_hot = np.eye(num_classes)[true_class]
    targets = {"one-hot target": one_hot,
               f"label smoothing {smoothing:g}": (1 - smoothing) * one_hot + smoothing / num_classes}
    fig, axes = plt.subplots(1, 2, figsize=(8, 2.6), sharey=True)
    for ax, (title, target) in zip(axes, targets.items()):
        ax.bar(np.arange(num_classes), target, color=["tab:green" if k == true_class else "0.6"
                                                      for k in range(num_classes)])
        for k in (true_class, (true_class + 1) % num_classes):
            ax.text(k, target[k] + 0.02, f"{target[k]:.2f}", ha="center", fontsize=8)
        ax.set(title=title, xlabel="class (green: the right one)", xticks=range(num_classes))
        ax.scatter(np.arange(num_classes), target, marker="_", s=150, color="k", zorder=3)
    other = (true_class + 3) % num_classes  # point at a wrong class's tiny bar
    axes[1].annotate(f"each wrong class: {smoothing / num_classes:.2f}",
                     xy=(other, smoothing / num_classes), xytext=(other, 0.45), ha="center",
                     fontsize=9, arrowprops={"arrowstyle": "->"})
    axes[0].set(ylabel="target probability", ylim=(0, 1.12))
    fig.tight_layout()
    return fig


def reliability(table: pd.DataFrame, ece: float) -> Figure:
    """Reliability diagram from :func:`gemlib.evaluate.calibration`, each bar labelled with its count.

    A bin of few images gives a noisy bar, so the number of images in each bin is written at its foot.
    """
    fig, ax = plt.subplots(figsize=(5, 5.4))
    t = table.dropna()
    bars = ax.bar(t["low"], t["accuracy"], width=t["high"] - t["low"], align="edge", edgecolor="k", alpha=0.7,
                  label="accuracy in the bin")
    for bar, count in zip(bars, t["count"]):  # at the foot of the bar, clear of the diagonal
        ax.text(bar.get_x() + bar.get_width() / 2, 0.015, str(int(count)), ha="center", va="bottom", fontsize=8,
                color="white", fontweight="bold")
    ax.plot([0, 1], [0, 1], "k--", label="perfect calibration")
    ax.plot([], [], " ", label="number at a bar's foot: images in the bin")
    ax.set(xlabel="confidence (highest probability)", ylabel="accuracy", title=f"reliability (ECE = {ece:.3f})",
           xlim=(0, 1), ylim=(0, 1))
    ax.legend(fontsize=9.5, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=1)  # below: clear of bars
    fig.tight_layout()
    return fig


def confused_pairs(pairs: pd.DataFrame, images: np.ndarray, labels: np.ndarray, predicted: np.ndarray,
                   classes: Sequence[str], examples: dict[str, np.ndarray], per_row: int = 2) -> Figure:
    """The mistakes behind each confused pair, beside a photo of the class they were taken for.

    Parameters
    ----------
    pairs : pandas.DataFrame
        ``true`` and ``predicted`` class names, e.g. from :func:`gemlib.evaluate.most_confused`.
    images, labels, predicted : numpy.ndarray
        The scored images, their true classes and the model's classes (indices into ``classes``).
    classes : sequence of str
        Class names.
    examples : dict
        Class name -> one photo of that class (e.g. a training photo), drawn after the mistakes.
    per_row : int
        Pairs side by side in one row of the figure.

    Returns
    -------
    matplotlib.figure.Figure
        Per pair: every image of ``true`` predicted as ``predicted``, then ``examples[predicted]``.
    """
    index = {c: i for i, c in enumerate(classes)}
    rows_of = list(pairs[["true", "predicted"]].itertuples(index=False))
    shown = [np.flatnonzero((labels == index[t]) & (predicted == index[p])) for t, p in rows_of]
    width = max((len(s) for s in shown), default=0) + 1
    n_rows = max(1, -(-len(rows_of) // per_row))
    fig, axes = plt.subplots(n_rows, per_row * width, figsize=(1.55 * per_row * width, 1.95 * n_rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for k, ((true, pred), photos) in enumerate(zip(rows_of, shown)):
        group = axes[k // per_row, (k % per_row) * width : (k % per_row + 1) * width]
        for ax, i in zip(group, photos):
            ax.imshow(images[i])
            ax.set_title(f"{true}\ntaken for {pred}", fontsize=7)
        group[-1].imshow(examples[pred])
        group[-1].set_title(f"a {pred}\n(for comparison)", fontsize=7, color="0.35")
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
    ax.legend(fontsize=10, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    fig.tight_layout()
    return fig


def saliency_rows(
    images: np.ndarray | None,
    maps: dict[str, np.ndarray],
    row_labels: Sequence[str] | None = None,
    cmap: str = "inferno",
    overlay: bool = True,
    colorbar_label: str = "saliency (1 = 99th percentile)",
    marks: Sequence[tuple[int, str, tuple[float, float, float, float], str]] | None = None,
    label_fontsize: float = 8,
    title_fontsize: float = 8,
) -> Figure:
    """One row per image: the photo, then per method its heatmap and the heatmap over the photo.

    ``colorbar_label`` (optional) names the colour bar; break it over lines for a one-row figure.
    ``marks`` (optional) draws labelled boxes on panels: each is ``(row, column title, (x, y,
    width, height) in pixels, label)``, the column title as it heads the figure ("VarGrad").

    Column labels (photo, method, method over photo) head the first row; ``row_labels`` (say
    "true: Ruby / explained: Garnet Red") stand, horizontal and wrapped, at the left of each row; one colourbar serves
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
    label_fontsize : float
        Font size of the row labels (optional; 8 by default, as the column titles).
    title_fontsize : float
        Font size of the column titles (optional; 8 by default).
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
                ax.set_title(title, fontsize=title_fontsize)
        if row_labels is not None:  # horizontal and wrapped, so long labels never collide
            label = "\n".join(textwrap.fill(line, 22) for line in row_labels[i].split("\n"))
            axes[i, 0].set_ylabel(label, fontsize=label_fontsize, rotation=0, ha="right",
                                  va="center", labelpad=6)
    titles = [title for title, _, _ in columns]
    for row, column, (x, y, w, h), text in marks or ():
        ax = axes[row, titles.index(column)]
        ax.add_patch(plt.Rectangle((x - 0.5, y - 0.5), w, h, fill=False, edgecolor="cyan", lw=1.2))
        above = y > 0.08 * ax.get_ylim()[0]  # label above the box unless it touches the top
        ax.text(x + w / 2, y - 1.5 if above else y + h + 0.5, text, color="cyan", fontsize=7,
                ha="center", va="bottom" if above else "top", fontweight="bold")
    mappable = plt.cm.ScalarMappable(norm=plt.Normalize(0, 1), cmap=cmap)
    fig.colorbar(mappable, ax=axes.ravel().tolist(), shrink=0.8, label=colorbar_label)
    return fig


#: Panel titles of the similarity measures of :func:`gemlib.sanity.map_similarity`.
SIMILARITY_TITLES = {"spearman_abs": "Spearman rank correlation (absolute maps)",
                     "spearman_signed": "Spearman rank correlation (signed maps)",
                     "ssim": "SSIM (structural similarity)"}

#: Plain labels for the layer groups of :func:`gemlib.sanity.cascading_randomisation`, as the
#: schematic :func:`gemlib.diagrams.cascading_randomisation` names them.
LAYER_LABELS = {"final_bn": "final BN", "stage1_block1": "stage 1", "stage2_block1": "stage 2",
                "stage3_block1": "stage 3", "stage4_block1": "stage 4"}


def layer_label(name: str) -> str:
    """The plain label of a layer group ("stage4_block1" -> "stage 4"); other names unchanged."""
    return LAYER_LABELS.get(name, name)


def sanity_curves(table: pd.DataFrame,
                  metrics: Sequence[str] = ("spearman_abs", "spearman_signed", "ssim"),
                  floors: dict[str, float] | None = None,
                  legend_below: bool = False) -> Figure:
    """Similarity to the trained model's map as layers are randomised, per method and metric.

    ``floors`` (optional): method -> its noise floor in the first metric, drawn there as a dotted
    line in the method's colour. ``legend_below``: put the legend under the panels, clear of the
    curves, instead of inside the first panel.
    """
    metrics = list(metrics)
    mean = table.groupby(["step", "layer", "method"], sort=False)[metrics].mean().reset_index()
    labels = mean.drop_duplicates("step").sort_values("step")["layer"].tolist()
    height = 4.6 if legend_below else 4
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), height), sharey=True,
                             squeeze=False)
    axes = axes[0]
    for ax, metric in zip(axes, metrics):
        for m, g in mean.groupby("method"):
            ax.plot(g["step"], g[metric], "o-", label=m, color=METHOD_COLOURS.get(m))
        ax.set_xticks(range(len(labels)), [layer_label(x) for x in labels], rotation=45, ha="right",
                      rotation_mode="anchor", fontsize=9)
        ax.axhline(0, color="k", lw=0.5)
        ax.set(title=SIMILARITY_TITLES.get(metric, metric), xlabel="randomised down to")
    where = " (left panel only)" if len(metrics) > 1 else ""  # the floors are the first metric's
    for m, floor in (floors or {}).items():
        axes[0].axhline(floor, color=METHOD_COLOURS.get(m), ls=":", lw=1.2,
                        label=f"{m}'s noise floor{where}")
    axes[0].set_ylabel("similarity to the trained model's map")
    if not legend_below:
        axes[0].legend()
        fig.tight_layout()
        return fig
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=3, frameon=False)
    fig.tight_layout(rect=(0, 0.11, 1, 1))
    return fig


def randomisation_maps(
    images: np.ndarray,
    maps: dict[str, np.ndarray],
    layers: Sequence[str],
    cmap: str = "inferno",
) -> Figure:
    """The maps themselves as layers are randomised (Adebayo et al. 2018, their Figure 2).

    One row per photo and method, one column per step: the photo, then the trained model's map,
    then the map once every group down to the column's layer is random.

    Parameters
    ----------
    images : numpy.ndarray
        (N, H, W, 3) ``uint8`` photos.
    maps : dict
        Method name -> (steps, N, H, W) heatmaps in [0, 1] (step 0: the trained model).
    layers : sequence of str
        One label per step ("trained", "logits", ..., "stem").
    """
    names = list(maps)
    n_steps, n = maps[names[0]].shape[:2]
    rows = [(i, name) for i in range(n) for name in names]
    fig, axes = plt.subplots(len(rows), n_steps + 1, figsize=(1.0 * (n_steps + 1) + 1.0, 1.05 * len(rows) + 0.6),
                             squeeze=False, layout="constrained")
    for r, (i, name) in enumerate(rows):
        for j in range(n_steps + 1):
            ax = axes[r, j]
            if j == 0:
                if name == names[0]:
                    ax.imshow(images[i], interpolation="nearest")
                else:
                    ax.axis("off")
            else:
                ax.imshow(maps[name][j - 1, i], cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title("photo" if j == 0 else layer_label(layers[j - 1]), fontsize=9)
        axes[r, 1].set_ylabel(name, fontsize=9)
    fig.supxlabel("randomised from the logits down to this block (left to right)", fontsize=9)
    mappable = plt.cm.ScalarMappable(norm=plt.Normalize(0, 1), cmap=cmap)
    fig.colorbar(mappable, ax=axes.ravel().tolist(), shrink=0.6, label="saliency (1 = 99th percentile)")
    return fig


def map_zoom(
    maps: dict[str, np.ndarray], corner: tuple[int, int] = (56, 56), size: int = 16, cmap: str = "inferno"
) -> Figure:
    """Each heatmap whole, with a box, beside the box's pixels enlarged (a fine grid shows there).

    Parameters
    ----------
    maps : dict
        Name -> (H, W) heatmap in [0, 1].
    corner : tuple of int
        Row and column of the crop's top-left pixel.
    size : int
        Side of the square crop, in pixels.
    """
    from matplotlib.patches import Rectangle

    r, c = corner
    fig, axes = plt.subplots(1, 2 * len(maps), figsize=(2.6 * 2 * len(maps), 3.0), squeeze=False,
                             layout="constrained")
    for k, (name, heat) in enumerate(maps.items()):
        whole, crop = axes[0, 2 * k], axes[0, 2 * k + 1]
        whole.imshow(heat, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
        whole.add_patch(Rectangle((c - 0.5, r - 0.5), size, size, fill=False, edgecolor="cyan", lw=1.5))
        whole.set_title(name, fontsize=9)
        crop.imshow(heat[r : r + size, c : c + size], cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
        crop.set_title(f"{name}: the box, {size} x {size} pixels", fontsize=9)
        for spine in crop.spines.values():
            spine.set_edgecolor("cyan")
            spine.set_linewidth(1.5)
        for ax in (whole, crop):
            ax.set_xticks([])
            ax.set_yticks([])
    return fig


def stone_masks(
    images: np.ndarray,
    masks: np.ndarray,
    heatmaps: np.ndarray,
    replaced: np.ndarray,
    row_labels: Sequence[str] | None = None,
    cmap: str = "inferno",
    titles: Sequence[str] | None = None,
    replaced_too: np.ndarray | None = None,
) -> Figure:
    """Per photo: the photo, the mask's outline on it, the map with the outline, the backdrop replaced.

    Parameters
    ----------
    images, replaced : numpy.ndarray
        (N, H, W, 3) ``uint8`` photos, and the same with the backdrop replaced.
    masks : numpy.ndarray
        (N, H, W) bool stone masks.
    heatmaps : numpy.ndarray
        (N, H, W) maps in [0, 1].
    row_labels : sequence of str, optional
        One label per photo.
    titles : sequence of str, optional
        The column titles (four, or five with ``replaced_too``).
    replaced_too : numpy.ndarray, optional
        (N, H, W, 3) a second replaced backdrop, drawn as a fifth column.
    """
    ncol = 4 if replaced_too is None else 5
    if titles is None:
        titles = ["photo", "mask outline", "map and mask outline", "backdrop replaced",
                  "second backdrop"][:ncol]
    n = len(images)
    fig, axes = plt.subplots(n, ncol, figsize=(1.85 * ncol, 2.2 * n + 0.3), squeeze=False,
                             layout="constrained")
    for i in range(n):
        for j, ax in enumerate(axes[i]):
            if j == 2:
                ax.imshow(heatmaps[i], cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
            else:
                shown = {3: replaced, 4: replaced_too}.get(j, images)
                ax.imshow(shown[i], interpolation="nearest")
            if j in (1, 2):
                ax.contour(masks[i].astype(float), levels=[0.5], colors="cyan", linewidths=1.2)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(titles[j], fontsize=10)
        if row_labels is not None:
            axes[i, 0].set_ylabel(row_labels[i], fontsize=8)  # two lines, within its row
    return fig


def faithfulness_curves(curves: pd.DataFrame, areas: pd.DataFrame,
                        ylabel: str = "target probability", percent: bool = False) -> Figure:
    """Mean deletion and insertion curves per method, with mean areas in the legend."""
    mean_area = areas.groupby("method")[["deletion_auc", "insertion_auc"]].mean()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for m, g in curves.groupby("method", sort=False):
        colour = METHOD_COLOURS.get(m)
        axes[0].plot(g["fraction"], g["deletion"], color=colour,
                     label=f"{m} (area {mean_area.loc[m, 'deletion_auc']:.3f})")
        axes[1].plot(g["fraction"], g["insertion"], color=colour,
                     label=f"{m} (area {mean_area.loc[m, 'insertion_auc']:.3f})")
    axes[0].set(title="deletion (lower is better)", xlabel="fraction of pixels removed\n(linear up to 0.25 %, log scale above)",
                ylabel=ylabel)
    axes[1].set(title="insertion (higher is better)", xlabel="fraction of pixels revealed\n(linear up to 0.25 %, log scale above)")
    for ax in axes:
        # most happens in the first few percent: a log axis (linear below 0.25 %) spreads it out
        ax.set_xscale("symlog", linthresh=0.0025)
        ax.set_xlim(0, 1)
        if percent:
            ax.set_xticks([0, 0.0025, 0.01, 0.1, 1], ["0", "0.25 %", "1 %", "10 %", "100 %"])
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def explanation_figure(image: np.ndarray, heatmap: np.ndarray, overlay: np.ndarray, title: str = "",
                       colorbar_label: str | None = None) -> Figure:
    """Photo, heatmap and overlay side by side (the ``explain`` command's figure).

    ``colorbar_label`` (optional) adds a colour bar with that label beside the heatmap, as the
    other saliency figures have (say "saliency (1 = 99th percentile)"); None draws none.
    """
    fig, axes = plt.subplots(1, 3, figsize=(9, 3.3))
    shown = None
    for ax, img, name in zip(axes, (image, heatmap, overlay), ("photo", "VarGrad", "overlay")):
        drawn = ax.imshow(img, cmap="inferno" if img.ndim == 2 else None, vmin=0,
                          vmax=1 if img.ndim == 2 else None)
        shown = drawn if name == "VarGrad" else shown
        ax.set_title(name, fontsize=9)
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.93) if title else None)
    if colorbar_label is not None:
        fig.colorbar(shown, ax=list(axes), shrink=0.75, pad=0.02, label=colorbar_label)
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
    beside the noise floor (two noise draws of the same method). Middle: insertion area minus a
    random order's (right of 0: better than random). Right: deletion area minus a random order's
    (left of 0: better than random).
    """
    methods = ["gradient", "smoothgrad", "vargrad"]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
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
                title=f"randomisation ({report['n_images']} photos)\nmap of a fully random network")
    axes[0].legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=1)
    for ax, key, title in ((axes[1], "insertion_minus_random",
                            "insertion\n(area minus the random order's)\nright of 0: better than random"),
                           (axes[2], "deletion_minus_random",
                            "deletion to black\n(area minus the random order's)\n"
                            "left of 0: better than random")):
        stats = [report["faithfulness"][m][key] for m in methods]
        mean = np.array([st["mean"] for st in stats])
        err = np.abs(np.array([st["ci95"] for st in stats]).T - mean)
        ax.errorbar(mean, y, xerr=err, fmt="o", capsize=3, color="k")
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_xlabel("area difference (mean, 95 % interval)")
        ax.set_title(title, fontsize=10)
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
    side = 0.8 * len(keep)
    fig, axes = plt.subplots(1, 2, figsize=(2.4 + 2 * side, 1.8 + side), layout="constrained")
    titles = ("divided by each true class's total: recall on the diagonal",
              "divided by each predicted class's total: the published axis")
    for ax, m, title in zip(axes, (by_row, by_column), titles):
        sns.heatmap(m[np.ix_(keep, keep)], cmap="viridis", vmin=0, vmax=1, annot=True, fmt=".2f",
                    annot_kws={"fontsize": 9}, xticklabels=names, yticklabels=names, cbar=False, ax=ax)
        ax.set(xlabel="predicted", ylabel="true", title=title)
        ax.title.set_fontsize(10)
        ax.tick_params(labelsize=9)
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


def top_classes(top: Sequence[tuple[str, float]], title: str = "top 5 classes") -> Figure:
    """Horizontal bars of the most probable classes, most probable on top (not via pyplot, so a
    widget can draw it without the notebook showing it twice)."""
    fig = Figure(figsize=(4.2, 2.4))
    ax = fig.subplots()
    names, probs = [n for n, _ in top][::-1], [p for _, p in top][::-1]
    bars = ax.barh(names, probs, color="tab:blue")
    ax.bar_label(bars, labels=[f"{p:.2f}" for p in probs], padding=3, fontsize=9)
    ax.set(xlim=(0, 1.15), xlabel="probability", title=title)
    ax.tick_params(labelsize=9)
    fig.tight_layout()
    return fig


def nearest_similarity(groups: dict[str, np.ndarray], marks: dict[str, float] | None = None,
                       bins: int = 30) -> Figure:
    """Overlaid histograms of each photo's similarity to its nearest training photo, one per group.

    Each histogram is scaled to the share of its group (groups differ in size); ``marks``
    (optional) draws a labelled vertical line per named value, say one photo's similarity.
    """
    if not groups or any(len(v) == 0 for v in groups.values()):
        raise ValueError("nearest_similarity: give at least one non-empty group of similarities")
    values = np.concatenate([np.asarray(v, float) for v in groups.values()])
    edges = np.linspace(values.min(), values.max(), bins + 1)
    fig, ax = plt.subplots(figsize=(7, 3.2))
    for (name, v), colour in zip(groups.items(), ("tab:blue", "tab:orange", "tab:green")):
        v = np.asarray(v, float)
        ax.hist(v, bins=edges, weights=np.full(len(v), 1 / len(v)), alpha=0.55, color=colour,
                label=f"{name} ({len(v)})")
    for (name, value), style in zip((marks or {}).items(), ("-", "--", ":")):
        ax.axvline(value, color="black", ls=style, lw=1.5, label=f"{name}: {value:.2f}")
    ax.set(xlabel="cosine similarity to the nearest training photo", ylabel="share of the group")
    ax.legend(fontsize=9, loc="upper left")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def top_probability_groups(groups: dict[str, np.ndarray], threshold: float,
                           title: str = "highest probability the model gives each photo") -> Figure:
    """Box and strip plot of each group's top softmax probability, with the familiarity threshold.

    ``groups`` maps a group's name to its top probabilities (:func:`gemlib.ood.top_probability`);
    ``threshold`` is the 5th percentile of the validation photos' (:func:`gemlib.ood.familiarity_threshold`).
    """
    rows = pd.DataFrame([(name, float(p)) for name, ps in groups.items() for p in ps],
                        columns=["group", "top probability"])
    labels = {name: f"{name}\n({100 * np.mean(np.asarray(ps) < threshold):.1f} % below the line)"
              for name, ps in groups.items()}
    rows["group"] = rows["group"].map(labels)
    fig, ax = plt.subplots(figsize=(8, 1.2 + 1.1 * len(groups)))
    sns.boxplot(data=rows, x="top probability", y="group", ax=ax, color="white", showfliers=False,
                width=0.5)
    sns.stripplot(data=rows, x="top probability", y="group", ax=ax, size=2.5, alpha=0.45,
                  jitter=0.2, hue="group", legend=False, palette="deep")
    ax.axvline(threshold, color="tab:red", linestyle="--",
               label=f"threshold {threshold:.2f}: lower than 95 % of validation photos")
    ax.set(xlim=(0, 1), ylabel="", title=title)
    ax.tick_params(labelsize=9)
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.14 - 0.1 / len(groups)))
    fig.tight_layout()
    return fig


def noisy_gradients(
    photo: np.ndarray,
    noisy: np.ndarray,
    gradients: np.ndarray,
    gradient: np.ndarray,
    n_show: int = 3,
) -> Figure:
    """How SmoothGrad and VarGrad are made, drawn from real numbers.

    Top row: the photo and ``n_show`` of its noisy copies, then SmoothGrad (the mean of all the
    copies' gradients). Bottom row: the photo's own gradient, each shown copy's gradient, then
    VarGrad (their variance). Every map is drawn with :func:`gemlib.explain.to_heatmap`.

    Parameters
    ----------
    photo : numpy.ndarray
        (H, W, 3) photo, 0-255.
    noisy : numpy.ndarray
        (N, H, W, 3) noisy copies (float; clipped to 0-255 for display only).
    gradients : numpy.ndarray
        (N, H, W, 3) gradient of the explained logit at each copy.
    gradient : numpy.ndarray
        (H, W, 3) gradient at the photo itself.
    n_show : int
        How many copies to draw.
    """
    from gemlib.explain import to_heatmap

    heat = lambda g: to_heatmap(np.asarray(g)[None])[0]  # noqa: E731
    fig, axes = plt.subplots(2, n_show + 2, figsize=(1.75 * (n_show + 2), 4.1), layout="constrained")
    top = [(photo, "the photo")] + [(np.clip(noisy[k], 0, 255).astype(np.uint8), f"noisy copy {k + 1}")
                                    for k in range(n_show)]
    bottom = [(heat(gradient), "its gradient")] + [(heat(gradients[k]), f"gradient at copy {k + 1}")
                                                   for k in range(n_show)]
    for ax, (img, title) in zip(axes[0], top):
        ax.imshow(img, interpolation="nearest")
        ax.set_title(title, fontsize=9)
    for ax, (img, title) in zip(axes[1], bottom):
        ax.imshow(img, cmap="inferno", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(title, fontsize=9)
    n = len(gradients)
    axes[0, -1].imshow(heat(gradients.mean(axis=0)), cmap="inferno", vmin=0, vmax=1, interpolation="nearest")
    axes[0, -1].set_title(f"SmoothGrad:\nmean of {n} gradients", fontsize=9)
    axes[1, -1].imshow(heat(gradients.var(axis=0)), cmap="inferno", vmin=0, vmax=1, interpolation="nearest")
    axes[1, -1].set_title(f"VarGrad:\nvariance of {n} gradients", fontsize=9)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def transfer_phases(n_features: int = 256, old_classes: int = 87, new_classes: int = 25,
                    head_passes: int = 4, total_passes: int = 20, image_size: int = 96) -> Figure:
    """Transfer learning in two phases: a trained backbone under a new head, frozen then fine-tuned.

    Left: passes 1 to ``head_passes``, the backbone frozen (grey) and only the new head training;
    the old head is dropped. Right: the remaining passes, every layer training.
    """
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    fig, axes = plt.subplots(1, 2, figsize=(12, 3.6))
    train_colour, frozen_colour, photo_colour = "#fdd0a2", "#d9d9d9", "#f0f0f0"

    def box(ax, x, y, w, h, text, face, edge="0.3", style="-"):
        ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.1",
                                    facecolor=face, edgecolor=edge, linestyle=style))
        ax.text(x, y, text, ha="center", va="center", fontsize=9.5)

    def arrow(ax, start, end, style="-"):
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color="0.2",
                                     linestyle=style))

    phases = ((f"passes 1-{head_passes}: head only (backbone frozen)", False),
              (f"passes {head_passes + 1}-{total_passes}: fine-tuning (every layer trains)", True))
    for ax, (title, backbone_trains) in zip(axes, phases):
        ax.set(xlim=(0, 10), ylim=(0.4, 4.2), title=title)
        ax.axis("off")
        box(ax, 1.1, 1.6, 1.9, 1.5, f"grey photo\n{image_size}×{image_size}×3\n(3 equal\nchannels)",
            photo_colour)
        box(ax, 4.4, 1.6, 3.0, 2.0, f"backbone\n(gemstone weights)\nstem +\nresidual stages\n"
            f"→ {n_features} features\n" + ("trains" if backbone_trains else "FROZEN: weights fixed"),
            train_colour if backbone_trains else frozen_colour)
        box(ax, 8.2, 1.6, 2.6, 1.5, f"new head\n{n_features} units\n→ {new_classes} logits\ntrains",
            train_colour)
        arrow(ax, (2.05, 1.6), (2.9, 1.6))
        arrow(ax, (5.9, 1.6), (6.9, 1.6))
        if not backbone_trains:
            box(ax, 8.2, 3.5, 2.6, 0.9, f"gemstone head\n→ {old_classes} logits: dropped", "white",
                edge="tab:red", style="--")
            arrow(ax, (5.9, 2.4), (6.9, 3.3), style="--")
    fig.tight_layout()
    return fig


def best_of_k(single: np.ndarray, best: np.ndarray, true_accuracy: float, k: int) -> Figure:
    """Histograms of one candidate's test score and of the best of ``k``, over simulated draws.

    Both share bins of whole score steps (scores are counts over photos, so other bins would
    alias); a vertical line marks the true accuracy, and each histogram's mean is
    marked by a dotted line in its colour.
    """
    single, best = np.asarray(single, float), np.asarray(best, float)
    if single.ndim != 1 or best.ndim != 1 or len(single) == 0 or len(best) == 0:
        raise ValueError("best_of_k: single and best must be non-empty 1-D arrays of scores")
    fig, ax = plt.subplots(figsize=(7, 3.2))
    values = np.unique(np.concatenate([single, best]))  # scores are counts / n: a lattice
    step = float(np.diff(values).min()) if len(values) > 1 else 1.0
    width = step * max(1, round((values[-1] - values[0]) / step / 30))  # whole steps per bin
    bins = np.arange(values[0] - step / 2, values[-1] + width, width)
    for scores, label, colour in ((single, "one candidate", "tab:blue"),
                                  (best, f"best of {k}", "tab:orange")):
        ax.hist(scores, bins=bins, alpha=0.55, color=colour, label=f"{label} (mean {scores.mean():.3f})")
        ax.axvline(scores.mean(), color=colour, linestyle=":", linewidth=2)
    ax.axvline(true_accuracy, color="black", linewidth=2, label=f"true accuracy {true_accuracy:.3f}")
    ax.set(xlabel="test score", ylabel="simulated draws")
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def strands(summary: pd.DataFrame) -> Figure:
    """The lesson's numbers per model, side by side: test top-1 of two seeds, and how much of a
    VarGrad map survives a fully randomised network, against the noise floor.

    The accuracy axis is zoomed to the seeds' range (in steps of 5 points, said in its label), and
    each pair is labelled with its gap in points, so gaps of one or two points stay visible.

    ``summary`` is indexed by model, with columns ``seed 0``, ``seed 1`` (test top-1, 0-1),
    ``VarGrad vs random network`` and ``noise floor`` (Spearman rank correlations).
    """
    from matplotlib.ticker import PercentFormatter

    need = ["seed 0", "seed 1", "VarGrad vs random network", "noise floor"]
    missing = [c for c in need if c not in summary.columns]
    if missing:
        raise ValueError(f"strands: summary lacks the columns {missing}: give {need}")
    y = np.arange(len(summary))[::-1]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11.2, 0.7 * len(summary) + 1.9), sharey=True)
    left.scatter(summary["seed 0"], y, s=80, color="tab:blue", label="seed 0 (shipped)", zorder=3)
    left.scatter(summary["seed 1"], y, s=80, facecolor="white", edgecolor="tab:blue", lw=1.8,
                 label="seed 1", zorder=3)
    for yy, a, b in zip(y, summary["seed 0"], summary["seed 1"]):
        left.plot([a, b], [yy, yy], color="tab:blue", lw=1, alpha=0.5)
        left.text((a + b) / 2, yy + 0.22, f"{abs(b - a) * 100:.1f} points apart", ha="center",
                  va="bottom", fontsize=9, color="0.25")
    seeds = summary[["seed 0", "seed 1"]].to_numpy(float)
    low = np.floor((seeds.min() - 0.03) / 0.05) * 0.05  # zoomed to the data, in steps of 5 points
    high = np.ceil((seeds.max() + 0.03) / 0.05) * 0.05
    left.set(xlim=(max(low, 0.0), min(high, 1.0)), ylim=(y.min() - 0.6, y.max() + 0.6),
             xlabel=f"test top-1 accuracy (axis zoomed to {max(low, 0):.0%}-{min(high, 1):.0%})",
             yticks=y, yticklabels=list(summary.index))
    left.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    left.set_title("accuracy: two seeds of each recipe", fontsize=10.5)
    left.legend(fontsize=9, loc="lower right")
    right.barh(y, summary["VarGrad vs random network"], height=0.5, color="tab:orange",
               label="trained map vs random network's map")
    right.scatter(summary["noise floor"], y, marker="|", s=600, color="black", lw=2.5,
                  label="noise floor (two draws of one map)", zorder=3)
    right.set(xlim=(0, 1), xlabel="Spearman rank correlation")
    right.set_title("VarGrad: trained vs random weights (lower is better)", fontsize=10.5)
    # below the panel, under its axis label, so that it covers no bar and floats over no title
    right.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1)
    for ax in (left, right):
        ax.tick_params(labelsize=10)
        ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def seed_dots(scores: dict[str, dict[tuple[str, int], float]], unit: str = "%") -> Figure:
    """Each training run as one dot: a panel per score, a row per recipe, a marker per seed.

    ``scores`` maps a score's name (say "test top-1") to ``{(recipe, seed): value}``; each row
    joins its recipe's seeds by a grey line, so the spread between seeds and the gap between
    recipes are seen on one axis.
    """
    markers = ["o", "s", "^", "D"]
    fig, axes = plt.subplots(1, len(scores), figsize=(4.2 * len(scores), 2.4), squeeze=False,
                             layout="constrained")
    for ax, (title, runs) in zip(axes[0], scores.items()):
        recipes = list(dict.fromkeys(r for r, _ in runs))
        seeds = sorted({s for _, s in runs})
        y = {r: len(recipes) - 1 - i for i, r in enumerate(recipes)}
        for r in recipes:
            values = [runs[r, s] for s in seeds if (r, s) in runs]
            ax.plot([min(values), max(values)], [y[r]] * 2, color="0.7", lw=2, zorder=1)
        for k, s in enumerate(seeds):  # later seeds hollow and larger: a dot hidden shows through
            found = [r for r in recipes if (r, s) in runs]
            colour = f"C{k}"
            ax.scatter([runs[r, s] for r in found], [y[r] for r in found], s=70 + 40 * k,
                       zorder=3 + k, marker=markers[k % len(markers)], lw=1.8,
                       facecolors=colour if k == 0 else "none", edgecolors=colour,
                       label=f"seed {s}")
        values = np.array(list(runs.values()), dtype=float)
        pad = max(1.0, 0.15 * float(np.ptp(values)))
        ax.set(xlim=(values.min() - pad, values.max() + pad), ylim=(-0.6, len(recipes) - 0.4),
               yticks=list(y.values()), yticklabels=list(y), xlabel=f"{title} ({unit})")
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(labelsize=10)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=9)
    return fig


def joint_vs_separate(images: Sequence[np.ndarray], titles: Sequence[str]) -> Figure:
    """One row per image: the image, its R, G and B histograms apart (8 bins of 32 values), and
    its joint RGB histogram (the 8 x 8 x 8 colour cells it uses, each bar in the cell's colour)."""
    from gemlib import colour

    fig, axes = plt.subplots(len(images), 5, figsize=(11, 2.3 * len(images)),
                             gridspec_kw={"width_ratios": [1, 1.3, 1.3, 1.3, 1.8]}, squeeze=False)
    joint = colour.joint_rgb_histograms(np.asarray(images, np.uint8))
    for row, image, title, cells in zip(axes, images, titles, joint):
        row[0].imshow(np.asarray(image, np.uint8), interpolation="nearest")
        row[0].set_title(title, fontsize=11)
        row[0].axis("off")
        pixels = np.asarray(image).reshape(-1, 3)
        for k, (ax, name) in enumerate(zip(row[1:4], ("red", "green", "blue"))):
            shares = np.histogram(pixels[:, k], bins=8, range=(0, 256))[0] / len(pixels)
            ax.bar(np.arange(8), shares, color=f"tab:{name}")
            ax.set_xticks(np.arange(0, 8, 2) - 0.5, [f"{64 * i}" for i in range(4)], fontsize=9)
            ax.set_xlabel("value (bins of 32)", fontsize=9)
            ax.set_ylim(0, 1.05)
            ax.set_title(f"{name} values apart", fontsize=10)
            ax.tick_params(axis="y", labelsize=9)
        used = np.flatnonzero(cells)
        centres = np.stack([used // 64, used // 8 % 8, used % 8], axis=1) * 32 + 16
        row[4].bar(np.arange(len(used)), cells[used], color=centres / 255, edgecolor="black")
        row[4].set_xticks(range(len(used)), [f"({r},{g},{b})" for r, g, b in centres], fontsize=9)
        row[4].set_ylim(0, 1.05)
        row[4].set_title("joint: colour cells used", fontsize=10)
        row[4].tick_params(axis="y", labelsize=9)
    fig.tight_layout()
    return fig


def prediction_grid(images: Sequence[np.ndarray], labels: Sequence[int], probabilities: np.ndarray,
                    classes: Sequence[str], k: int = 3, cols: int = 5, size: float = 2.2) -> Figure:
    """Photos with their true class and the model's ``k`` most probable classes beneath.

    ``probabilities`` holds one row per photo (e.g. :func:`gemlib.evaluate.softmax` of the logits).
    A photo's title is green when its most probable class is the true one, red when not; the
    true class is marked with a ✓ wherever it appears among the ``k``.
    """
    rows = int(np.ceil(len(images) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * size, rows * (size + 0.2 * (k + 2))),
                             squeeze=False)
    for ax in axes.ravel()[len(images):]:
        ax.axis("off")
    for ax, image, label, probs in zip(axes.ravel(), images, labels, probabilities):
        ax.imshow(image)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        top = np.argsort(probs)[::-1][:k]
        lines = [f"{'✓ ' if c == label else ''}{classes[c]} {probs[c]:.2f}" for c in top]
        colour = "tab:green" if top[0] == label else "tab:red"
        ax.set_title(f"true: {classes[label]}", fontsize=10, color=colour, fontweight="bold")
        ax.set_xlabel("\n".join(lines), fontsize=9.5)
    fig.tight_layout()
    return fig
