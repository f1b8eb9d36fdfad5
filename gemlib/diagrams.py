"""Drawn pictures of the lesson's mechanisms: boxes and arrows, grids of counts, small worked examples.

Every function returns a Figure. The numbers drawn come from the computation modules (the layer
shapes from the Keras model, the coverage counts from :func:`gemlib.models.stride_coverage`, the
hash bits from :func:`gemlib.data.perceptual_hash_steps`, the removed pixels from
:func:`gemlib.sanity.remove_most_salient`), never typed in.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

import keras
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle
from matplotlib.ticker import PercentFormatter

from gemlib import backdrop, data, models, sanity

#: Fill colour of each kind of box, the same in every diagram.
BOX_COLOURS = {"BatchNormalization": "#c6dbef", "ELU": "#c7e9c0", "Conv2D": "#fdd0a2", "MaxPooling2D": "#dadaeb",
               "stage": "#fdd0a2", "io": "#f0f0f0", "skip": "#e0e0e0", "add": "white", "dense": "#fcbba1"}
#: Colour of what the reader should look at (discordant cells, differing bits, removed fractions).
HIGHLIGHT = "tab:red"


def _shape(layer: keras.layers.Layer) -> str:
    """A layer's output shape without the batch axis, as ``32×32×16``."""
    return "×".join(str(d) for d in layer.output.shape[1:])


def _box(ax, x: float, y: float, w: float, h: float, text: str, face: str, fontsize: float = 10,
         edge: str = "0.3", lw: float = 1.0, ha: str = "center") -> FancyBboxPatch:
    """A rounded box centred on (x, y) with its text."""
    box = FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.08",
                         facecolor=face, edgecolor=edge, linewidth=lw)
    ax.add_patch(box)
    tx = x if ha == "center" else x - w / 2 + 0.15
    ax.text(tx, y, text, ha=ha, va="center", fontsize=fontsize)
    return box


def _arrow(ax, start: tuple[float, float], end: tuple[float, float], colour: str = "0.2") -> None:
    """An arrow from start to end (a patch, so tests can count it)."""
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color=colour, lw=1.2,
                                 shrinkA=0, shrinkB=0))


def _canvas(figsize: tuple[float, float], xlim: tuple[float, float], ylim: tuple[float, float]):
    """A figure with one axes in data units and no frame, for boxes and arrows."""
    fig, ax = plt.subplots(figsize=figsize)
    ax.set(xlim=xlim, ylim=ylim)
    ax.axis("off")
    return fig, ax


# ------------------------------------------------------------------ the residual block

def _describe(layer: keras.layers.Layer) -> tuple[str, str]:
    """Box text and a one-line plain description of a layer of the residual block."""
    kind = type(layer).__name__
    if kind == "BatchNormalization":
        return "BatchNorm", "BatchNorm: rescale each channel"
    if kind == "ELU":
        return "ELU", "ELU: a smooth ReLU"
    if kind == "Conv2D":
        k, s = layer.kernel_size[0], layer.strides[0]
        text = f"{k}×{k} conv, {layer.filters} filters" + (f", stride {s}" if s != 1 else "")
        return text, f"{k}×{k} conv: weighted sums over {k}×{k} pixels, all channels"
    return kind, kind


def residual_block(filters_in: int = 16, filters_out: int = 32, size: int = 32) -> Figure:
    """The pre-activation residual block of :func:`gemlib.models.residual_block`, drawn from a built copy.

    The block is built on a ``size × size × filters_in`` input; the boxes follow its layers in
    order and every arrow carries the shape of the tensor it carries. The skip path is the
    identity, or a 1×1 convolution where the block changes the number of channels.
    """
    inp = keras.Input((size, size, filters_in), name="input")
    block = keras.Model(inp, models.residual_block(inp, filters_out, "block"))
    named = {layer.name.removeprefix("block_"): layer for layer in block.layers[1:]}
    main = [layer for layer in block.layers[1:] if layer.name.removeprefix("block_") not in ("skip", "add")]
    skip, add = named.get("skip"), named["add"]

    n = len(main) + 3  # input, the main path, (+), output
    fig, ax = _canvas((8.6, 0.72 * n + 0.6), (0, 10), (-0.6, n - 0.3))
    cx, bw, bh = 4.3, 3.0, 0.52
    ys = [n - 1 - i for i in range(n)]  # top to bottom
    _box(ax, cx, ys[0], bw, bh, "input", BOX_COLOURS["io"])
    previous = f"{size}×{size}×{filters_in}"
    for i, layer in enumerate(main, start=1):
        text, note = _describe(layer)
        _arrow(ax, (cx, ys[i - 1] - bh / 2), (cx, ys[i] + bh / 2))
        ax.text(cx + 0.12, (ys[i - 1] + ys[i]) / 2, previous, fontsize=9, va="center", color="0.25")
        _box(ax, cx, ys[i], bw, bh, text, BOX_COLOURS.get(type(layer).__name__, "white"))
        ax.text(cx + bw / 2 + 0.35, ys[i], note, fontsize=9.5, va="center")
        previous = _shape(layer)
    y_add = ys[len(main) + 1]
    _arrow(ax, (cx, ys[len(main)] - bh / 2), (cx, y_add + 0.22))
    ax.text(cx + 0.12, (ys[len(main)] + y_add) / 2, previous, fontsize=9, va="center", color="0.25")
    ax.add_patch(plt.Circle((cx, y_add), 0.22, facecolor=BOX_COLOURS["add"], edgecolor="0.2", lw=1.2))
    ax.text(cx, y_add, "+", ha="center", va="center", fontsize=14, fontweight="bold")
    ax.text(cx + bw / 2 + 0.35, y_add, "skip: the input added back", fontsize=9.5, va="center")

    # the skip path: left from the input, down, right into (+)
    sx = 1.2
    ax.plot([cx - bw / 2, sx, sx], [ys[0], ys[0], (ys[0] + y_add) / 2 + 0.5], color="0.2", lw=1.2)
    mid = (ys[0] + y_add) / 2
    if skip is not None:
        k = skip.kernel_size[0]
        _box(ax, sx, mid, 2.0, 1.0, f"{k}×{k} conv\n{filters_in} → {skip.filters}\nchannels",
             BOX_COLOURS["Conv2D"], fontsize=9.5)
        after = _shape(skip)
    else:
        _box(ax, sx, mid, 2.0, 1.0, "identity\n(nothing\nchanged)", BOX_COLOURS["skip"], fontsize=9.5)
        after = f"{size}×{size}×{filters_in}"
    ax.plot([sx, sx], [mid - 0.5, y_add], color="0.2", lw=1.2)
    _arrow(ax, (sx, y_add), (cx - 0.22, y_add))
    ax.text(sx + 0.12, ys[0] - 0.3, f"{size}×{size}×{filters_in}", fontsize=9, va="center", color="0.25")
    ax.text(sx + 0.12, y_add + 0.25, after, fontsize=9, va="bottom", color="0.25")
    ax.text(sx - 0.12, (ys[0] + mid + 0.5) / 2, "skip path", fontsize=9.5, ha="right", va="center", rotation=90,
            style="italic")

    y_out = ys[-1]
    _arrow(ax, (cx, y_add - 0.22), (cx, y_out + bh / 2))
    ax.text(cx + 0.12, (y_add + y_out) / 2, _shape(add), fontsize=9, va="center", color="0.25")
    _box(ax, cx, y_out, bw, bh, "output", BOX_COLOURS["io"])
    ax.set_title(f"pre-activation residual block: {filters_in} → {filters_out} channels "
                 "(shapes: height × width × channels)", fontsize=10.5)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------ the whole network

_STAGE = re.compile(r"^(stage\d+)_(block\d+_|pool$)")


def _single(layer: keras.layers.Layer) -> str:
    """Plain text for one layer of the network that is drawn on its own."""
    kind = type(layer).__name__
    if kind == "InputLayer":
        return "photo: RGB values 0-255"
    if kind == "Rescaling":
        return "rescale: 0-255 → 0-1"
    if kind == "Conv2D":
        k, s = layer.kernel_size[0], layer.strides[0]
        return f"{k}×{k} conv, stride {s}, {layer.filters} filters"
    if kind == "BatchNormalization":
        return "BatchNorm: rescale each channel"
    if kind == "ELU":
        return "ELU: a smooth ReLU"
    if kind == "MaxPooling2D":
        p, s = layer.pool_size[0], layer.strides[0]
        return f"{p}×{p} max-pool, stride {s}: keep the largest"
    if kind == "GlobalAveragePooling2D":
        return "global average pooling: one number per channel"
    if kind == "Dropout":
        return f"dropout {layer.rate:.0%} (in training only)"
    if kind == "Dense":
        act = layer.get_config()["activation"]
        return f"dense {layer.units}" + (f", {act}" if act != "linear" else "")
    return kind


def _network_steps(model: keras.Model) -> list[tuple[str, str, str]]:
    """(kind, text, output shape) per drawn step: residual stages and the dense head grouped."""
    steps: list[tuple[str, str, str]] = []
    groups: dict[str, list[keras.layers.Layer]] = {}
    order: list[tuple[str, object]] = []
    for layer in model.layers:
        m = _STAGE.match(layer.name)
        key = m.group(1) if m else ("head" if layer.name.startswith("head_") and type(layer).__name__ != "Dropout"
                                     else "final" if layer.name.startswith("final_") else None)
        if key is None:
            order.append(("layer", layer))
        else:
            if key not in groups:
                order.append(("group", key))
            groups.setdefault(key, []).append(layer)
    for what, item in order:
        if what == "layer":
            layer = item
            kind = type(layer).__name__
            text = _single(layer)
            if layer.name == "logits":
                text = f"dense {layer.units}: one logit (score) per class"
            elif layer.name.startswith("stem_") and kind == "Conv2D":
                text = "stem: " + text
            colour = {"InputLayer": "io", "Rescaling": "io", "Dense": "dense", "Dropout": "io",
                      "GlobalAveragePooling2D": "MaxPooling2D"}.get(kind, kind)
            steps.append((colour, text, _shape(layer)))
            continue
        layers = groups[item]
        last = layers[-1]
        if item == "head":
            dense = [ly for ly in layers if type(ly).__name__ == "Dense"]
            text = (f"head: dense {dense[0].units}, plus a residual dense {dense[-1].units}" if len(dense) > 1
                    else f"head: dense {dense[0].units}") + " (BatchNorm, ELU)"
            steps.append(("dense", text, _shape(last)))
        elif item == "final":
            steps.append(("BatchNormalization", "BatchNorm → ELU", _shape(last)))
        else:
            blocks = sorted({ly.name.split("_")[1] for ly in layers if "_block" in ly.name})
            adds = [ly for ly in layers if ly.name.endswith("_add")]
            pools = [ly for ly in layers if ly.name.endswith("_pool")]
            plural = "s" if len(blocks) > 1 else ""
            text = (f"stage {item.removeprefix('stage')}: {len(blocks)} residual block{plural}, "
                    f"{adds[-1].output.shape[-1]} channels")
            if pools:
                p = pools[0].pool_size[0]
                text += f", then {p}×{p} max-pool"
            steps.append(("stage", text, _shape(last)))
    return steps


def network(model: keras.Model | None = None, image_size: int = 128, num_classes: int = 87) -> Figure:
    """The whole network, one box per step with its output shape read from the model.

    Residual blocks are grouped by stage (with the max-pool that follows them), the dense head
    is one box; the title gives the parameter count. Without a model the lesson's network is
    built with :func:`gemlib.models.build_resnet`.
    """
    if model is None:
        model = models.build_resnet(num_classes, image_size)
    steps = _network_steps(model)
    n = len(steps)
    fig, ax = _canvas((8.6, 0.5 * n + 0.9), (0, 10), (-0.7, n - 0.2))
    cx, bw, bh = 3.6, 6.8, 0.62
    ax.text(cx + bw / 2 + 0.3, n - 0.45, "output shape", fontsize=9.5, style="italic", va="bottom")
    for i, (colour, text, shape) in enumerate(steps):
        y = n - 1 - i
        _box(ax, cx, y, bw, bh, text, BOX_COLOURS.get(colour, "white"), fontsize=10, ha="left")
        ax.text(cx + bw / 2 + 0.3, y, shape, fontsize=10, va="center", family="monospace")
        if i:
            _arrow(ax, (cx, y + 1 - bh / 2), (cx, y + bh / 2))
    params = model.count_params()
    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    running = all("moving_" in w.path for w in model.non_trainable_weights)
    rest = "the rest BatchNorm's running averages" if running else "the rest frozen"
    ax.set_title(f"{model.name}: {params:,} parameters ({trainable:,} set by training, {rest})", fontsize=10.5)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------ stride coverage

def stride_coverage(kernels: Sequence[int] = (5, 4), stride: int = 2, size: int = 12) -> Figure:
    """How many windows of a strided convolution cover each input pixel, one annotated grid per kernel.

    Counts come from :func:`gemlib.models.stride_coverage` ('same' padding, as Keras pads).
    An odd kernel at stride 2 covers pixels unevenly, in a grid pattern; one divisible by the
    stride covers every inner pixel equally.
    """
    counts = {k: models.stride_coverage(k, stride, size) for k in kernels}
    top = max(int(c.max()) for c in counts.values())
    fig, axes = plt.subplots(1, len(kernels), figsize=(4.3 * len(kernels), 5.0), squeeze=False)
    for ax, (k, cov) in zip(axes[0], counts.items()):
        ax.imshow(cov, cmap="Blues", vmin=0, vmax=top * 1.15)
        for (i, j), v in np.ndenumerate(cov):
            ax.text(j, i, str(v), ha="center", va="center", fontsize=9, color="white" if v > 0.6 * top else "black")
        ax.set_xticks([])
        ax.set_yticks([])
        inner = cov[k:-k, k:-k] if size > 2 * k else cov
        values = sorted({int(v) for v in np.unique(inner)}, reverse=True)
        if len(values) > 1:
            title = f"{k}×{k} kernel: inner pixels seen\n{' / '.join(map(str, values))} times: uneven, a grid"
        else:
            title = f"{k}×{k} kernel: every inner pixel seen\n{values[0]} times: even"
        ax.set_title(title, fontsize=10)
    fig.suptitle(f"How many windows of a stride-{stride} convolution see each pixel of a {size}×{size} input "
                 "(fewer at the edges: padding)", fontsize=10.5)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------ perceptual hash

def perceptual_hash(image_a: np.ndarray, image_b: np.ndarray, titles: Sequence[str] = ("photo A", "photo B")) -> Figure:
    """Photo → small grey grid → its 8×8 smoothest waves (DCT) → 8×8 bits, for two photos,
    and the bits that differ between them.

    Steps from :func:`gemlib.data.perceptual_hash_steps` (the bits are ``imagehash.phash``'s).
    The DCT block is drawn with a symmetric colour scale around the block's median (the bits'
    threshold): red above it (bit 1), blue below (bit 0).
    The Hamming distance, the number of differing bits, is outlined in red and counted.
    """
    steps = [data.perceptual_hash_steps(image_a), data.perceptual_hash_steps(image_b)]
    differ = steps[0]["bits"] != steps[1]["bits"]
    distance = int(differ.sum())
    side = steps[0]["grey"].shape[0]
    fig = plt.figure(figsize=(11.4, 5.0))
    grid = fig.add_gridspec(2, 5, width_ratios=(1, 1, 1, 1, 1.1))
    columns = ("photo", f"{side}×{side} grey", "8×8 smoothest waves\n(red: above median)",
               "8×8 bits (1 = white)")
    for r, (img, st) in enumerate(zip((image_a, image_b), steps)):
        panels = [fig.add_subplot(grid[r, c]) for c in range(4)]
        panels[0].imshow(np.asarray(img), cmap="gray" if np.ndim(img) == 2 else None)
        panels[1].imshow(st["grey"], cmap="gray", vmin=0, vmax=255)
        centred = np.asarray(st["dct"], float) - st["median"]
        spread = float(np.percentile(np.abs(centred), 90)) or 1.0
        panels[2].imshow(centred, cmap="RdBu_r", vmin=-spread, vmax=spread)
        panels[3].imshow(st["bits"], cmap="gray", vmin=0, vmax=1)
        for i, j in zip(*np.nonzero(differ)):
            panels[3].add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor=HIGHLIGHT, lw=2))
        for c, ax in enumerate(panels):
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(columns[c], fontsize=10)
        panels[0].set_ylabel(titles[r], fontsize=10)
    ax = fig.add_subplot(grid[:, 4])
    ax.imshow(differ, cmap=ListedColormap(["white", HIGHLIGHT]), vmin=0, vmax=1)
    ax.set_xticks(np.arange(-0.5, 8, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, 8, 1), minor=True)
    ax.grid(which="minor", color="0.6", lw=0.6)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_title(f"bits that differ:\n{distance} of {differ.size}", fontsize=10)
    near = "a near copy" if distance <= data.NEAR_DISTANCE else "not near copies"
    fig.suptitle(f"Hamming distance {distance}: bits that differ, outlined in red "
                 f"({data.NEAR_DISTANCE} or fewer: a near copy; these are {near})", fontsize=10.5)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------ bootstrap

def bootstrap(scores: np.ndarray, observed: float, interval: tuple[float, float], n_dots: int = 20,
              seed: int = 0) -> Figure:
    """The bootstrap: the idea on a row of ``n_dots`` photos, then the histogram of resampled accuracies.

    Top: photos right (filled) or wrong (open), as many right as ``observed`` says, and three
    resamples drawn with replacement (numbers: which photo; repeats show), each with its
    accuracy. Bottom: ``scores`` (accuracies 0-1, computed by the caller), the observed accuracy
    and the 95 % interval (2.5th and 97.5th percentiles) marked.
    """
    scores = np.asarray(scores, np.float64).ravel()
    if scores.size == 0 or not np.all((scores >= 0) & (scores <= 1)):
        raise data.DataError("bootstrap: scores must be a non-empty array of accuracies between 0 and 1 "
                             "(fractions, not percent)")
    rng = np.random.default_rng(seed)
    right = np.zeros(n_dots, bool)
    right[rng.permutation(n_dots)[: int(round(observed * n_dots))]] = True
    fig = plt.figure(figsize=(9.4, 7.0))
    grid = fig.add_gridspec(2, 1, height_ratios=(1.15, 1))
    ax = fig.add_subplot(grid[0])
    ax.set(xlim=(-4.2, n_dots + 3.2), ylim=(-0.6, 3.7))
    ax.axis("off")
    rows = [("test photos", np.arange(n_dots))]
    rows += [(f"resample {k}", np.sort(rng.integers(0, n_dots, n_dots))) for k in (1, 2, 3)]
    for r, (label, idx) in enumerate(rows):
        y = 3 - r
        ax.text(-4.1, y, label, fontsize=10, va="center", fontweight="bold" if r == 0 else None)
        ok = right[idx]
        ax.scatter(np.arange(n_dots)[ok], np.full(ok.sum(), y), s=330, color="tab:blue", edgecolor="tab:blue")
        ax.scatter(np.arange(n_dots)[~ok], np.full((~ok).sum(), y), s=330, color="white", edgecolor="tab:blue", lw=1.5)
        for x, (i, good) in enumerate(zip(idx, ok)):
            ax.text(x, y, str(i + 1), ha="center", va="center", fontsize=9, color="white" if good else "black")
        ax.text(n_dots + 0.2, y, f"{ok.mean():.0%} right", fontsize=10, va="center")
    ax.plot([-4.1, n_dots + 3], [2.5, 2.5], color="0.6", lw=0.8)
    ax.set_title(f"the idea: draw {n_dots} of the {n_dots} photos with replacement (some twice, some not at all), "
                 "score each draw\n(filled: right, open: wrong; the number says which photo)", fontsize=10)
    hist = fig.add_subplot(grid[1])
    values = np.unique(np.round(scores, 9))
    if 1 < values.size <= 80:  # accuracies of n photos are multiples of 1/n: one bar per value
        step = float(np.diff(values).min())
        bins = np.append(values - step / 2, values[-1] + step / 2)
    else:
        bins = 40
    counts, _, _ = hist.hist(scores, bins=bins, color="tab:blue", alpha=0.6, edgecolor="white")
    low, high = interval
    hist.axvspan(low, high, color="tab:orange", alpha=0.15, zorder=0)
    hist.axvline(low, color="tab:orange", ls="--", lw=1.5,
                 label=f"95 % interval {low:.1%} to {high:.1%} (2.5th and 97.5th percentiles)")
    hist.axvline(high, color="tab:orange", ls="--", lw=1.5)
    hist.axvline(observed, color="black", lw=2, label=f"observed accuracy {observed:.1%}")
    hist.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    hist.set_ylim(0, counts.max() * 1.35)  # room for the legend above the bars
    hist.tick_params(labelsize=9)
    hist.set_xlabel("accuracy of a resample", fontsize=10)
    hist.set_ylabel("resamples", fontsize=10)
    hist.set_title(f"{scores.size:,} resamples of the test set", fontsize=10)
    hist.legend(fontsize=9, loc="upper left")
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------ McNemar

MCNEMAR_CAPTION = ("only these two cells carry evidence: if the two classifiers were equally good, "
                   "each discordant photo would be a coin flip")


def mcnemar_table(both_right: int, only_a: int, only_b: int, both_wrong: int,
                  names: Sequence[str] = ("CNN", "forest")) -> Figure:
    """The 2×2 table of two classifiers on the same photos, the discordant cells highlighted."""
    a, b = names
    fig, ax = _canvas((7.0, 5.0), (-1.0, 2.05), (-0.05, 2.45))
    cells = [(0, 1, both_right, "both right", False), (1, 1, only_a, f"only {a} right", True),
             (0, 0, only_b, f"only {b} right", True), (1, 0, both_wrong, "both wrong", False)]
    for col, row, count, label, discordant in cells:
        ax.add_patch(Rectangle((col + 0.04, row + 0.04), 0.92, 0.92, facecolor="#fdd0a2" if discordant else "#f0f0f0",
                               edgecolor=HIGHLIGHT if discordant else "0.6", lw=3 if discordant else 1))
        ax.text(col + 0.5, row + 0.58, f"{count:,}", ha="center", va="center", fontsize=20, fontweight="bold")
        ax.text(col + 0.5, row + 0.28, label, ha="center", va="center", fontsize=10)
    for col, text in enumerate((f"{b} right", f"{b} wrong")):
        ax.text(col + 0.5, 2.12, text, ha="center", va="center", fontsize=10.5, fontweight="bold")
    for row, text in enumerate((f"{a} wrong", f"{a} right")):
        ax.text(-0.05, row + 0.5, text, ha="right", va="center", fontsize=10.5, fontweight="bold")
    ax.set_title(f"{a} against {b} on the same {both_right + only_a + only_b + both_wrong:,} photos",
                 fontsize=10.5)
    fig.text(0.5, 0.03, textwrap.fill(MCNEMAR_CAPTION, 75), ha="center", va="bottom", fontsize=10)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


# ------------------------------------------------------------------ deletion strip

def deletion_strip(
    image: np.ndarray,
    heatmap: np.ndarray,
    fractions: Sequence[float] = (0, 0.01, 0.05, 0.2),
    probabilities: Sequence[float] | None = None,
    curve: tuple[np.ndarray, np.ndarray] | None = None,
    fill: str = "black",
) -> Figure:
    """The photo with its most salient pixels removed at each fraction, and the deletion curve below.

    The pixels go as :func:`gemlib.sanity.deletion_insertion` removes them
    (:func:`gemlib.sanity.remove_most_salient`). ``probabilities`` (one per fraction) head each
    photo; ``curve`` is (fraction removed, probability), drawn with its area shaded and the
    strip's fractions marked.
    """
    if probabilities is not None and len(probabilities) != len(fractions):
        raise ValueError(f"{len(probabilities)} probabilities for {len(fractions)} fractions: give one per fraction")
    arr = np.asarray(image)
    scale = 255.0 if arr.dtype == np.uint8 or arr.max() > 1.5 else 1.0
    n = len(fractions)
    fig = plt.figure(figsize=(max(2.3 * n, 7.0), 2.7 + (3.4 if curve is not None else 0)))
    grid = fig.add_gridspec(2 if curve is not None else 1, n, height_ratios=(2.5, 3.0) if curve is not None else None)
    for i, f in enumerate(fractions):
        ax = fig.add_subplot(grid[0, i])
        shown = sanity.remove_most_salient(arr, heatmap, float(f), fill) / scale
        ax.imshow(np.clip(shown, 0, 1))
        ax.set_xticks([])
        ax.set_yticks([])
        title = f"{100 * f:g} % removed"
        if probabilities is not None:
            title += f"\nprobability {probabilities[i]:.2f}"
        ax.set_title(title, fontsize=10)
    if curve is not None:
        x, y = (np.asarray(c, np.float64) for c in curve)
        ax = fig.add_subplot(grid[1, :])
        area = float(np.trapezoid(y, x))
        ax.fill_between(x, y, color="tab:green", alpha=0.25, label=f"area {area:.3f} (lower: a more faithful map)")
        ax.plot(x, y, color="tab:green", lw=1.8)
        marks = np.interp(fractions, x, y)
        ax.plot(fractions, marks, "o", color=HIGHLIGHT, ms=7, label="the photos above")
        for f, m in zip(fractions, marks):
            ax.annotate(f"{100 * f:g} %", (f, m), xytext=(6, 6), textcoords="offset points", fontsize=9,
                        color=HIGHLIGHT)
        ax.set_xscale("symlog", linthresh=0.01)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, max(1.0, float(y.max()) * 1.05))
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.tick_params(labelsize=9)
        ax.set_xlabel("pixels removed, most salient first (log scale above 1 %)", fontsize=10)
        ax.set_ylabel("class probability", fontsize=10)
        ax.set_title("deletion curve", fontsize=10)
        ax.legend(fontsize=9, loc="upper right")
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------ the stone mask, step by step

def mask_steps(image: np.ndarray, band: int = 4, radius: int = 2) -> Figure:
    """The five steps of :func:`gemlib.backdrop.stone_mask` on one photo, one panel each.

    Border band (which samples the backdrop's colour), colour distance from it, the pixels beyond
    Otsu's threshold, the marks cleaned (opening, closing, holes filled), the largest region kept.
    Steps from :func:`gemlib.backdrop.mask_steps`.
    """
    steps = backdrop.mask_steps(image, band, radius)
    photo = np.asarray(image)
    shaded = photo.astype(np.float64) / 255.0
    shaded[steps["border"]] = 0.5 * shaded[steps["border"]] + 0.5 * np.array([0.0, 1.0, 1.0])
    panels = [
        (shaded, None, f"1. border band ({band} px):\nits median = backdrop colour"),
        (steps["distance"], "viridis", "2. colour distance\nfrom the backdrop (Lab)"),
        (steps["marked"], "gray", f"3. beyond Otsu's\nthreshold ({steps['threshold']:.1f})"),
        (steps["cleaned"], "gray", "4. cleaned: opened,\nclosed, holes filled"),
        (steps["mask"], "gray", "5. largest region:\nthe mask"),
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(2.3 * len(panels), 3.2))
    for ax, (picture, cmap, title) in zip(axes, panels):
        ax.imshow(picture, cmap=cmap, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=10)
    axes[-1].contour(steps["mask"].astype(float), levels=[0.5], colors="cyan", linewidths=1.2)
    # the median colour as a swatch under the panel (outside the photo, so not read as a region)
    swatch = Rectangle((0.0, -0.2), 0.16, 0.14, transform=axes[0].transAxes, clip_on=False,
                       facecolor=np.clip(steps["backdrop"] / 255.0, 0, 1), edgecolor="black")
    axes[0].add_patch(swatch)
    axes[0].text(0.2, -0.13, "= the median colour", transform=axes[0].transAxes, ha="left",
                 va="center", fontsize=9)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------ cascading randomisation

#: The shipped network's blocks as cascading randomisation spoils them, input side first.
CASCADE_BLOCKS = ("stem", "stage 1", "stage 2", "stage 3", "stage 4", "final BN", "head", "logits")


def cascading_randomisation(blocks: Sequence[str] = CASCADE_BLOCKS) -> Figure:
    """The network's blocks as boxes, one row per step, randomised from the logits down.

    Row 0 is the trained network; at step ``s`` the last ``s`` blocks hold random weights (red),
    the rest their trained ones (green). Each row's map is compared with row 0's.
    """
    n = len(blocks)
    fig, ax = _canvas((1.1 * n + 1.6, 0.5 * (n + 1) + 1.0), (-1.7, n), (-n - 0.6, 1.1))
    for j, name in enumerate(blocks):
        ax.text(j + 0.5, 0.75, name, ha="center", va="bottom", fontsize=9.5)
    for s in range(n + 1):
        y = -s
        ax.text(-0.15, y, "trained" if s == 0 else f"step {s}", ha="right", va="center", fontsize=9.5)
        for j in range(n):
            spoiled = j >= n - s
            _box(ax, j + 0.5, y, 0.9, 0.7, "random" if spoiled else "", HIGHLIGHT if spoiled else "#c7e9c0",
                 fontsize=9)
    ax.annotate("", xy=(-1.3, -n), xytext=(-1.3, 0),
                arrowprops={"arrowstyle": "-|>", "color": "0.3", "lw": 1.2})
    ax.text(-1.5, -n / 2, "one more block\nrandom each step", rotation=90, ha="center", va="center", fontsize=9)
    ax.set_title("Cascading randomisation: green = trained weights, red = random; input (photo) at the left,\n"
                 "class scores at the right. Each row's map is compared with the trained row's.", fontsize=10)
    fig.tight_layout()
    return fig
