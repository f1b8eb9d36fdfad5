"""Drawn pictures of the lesson's mechanisms: boxes and arrows, grids of counts, small worked examples.

Every function returns a Figure. The numbers drawn come from the computation modules (the layer
shapes from the Keras model, the coverage counts from :func:`gemlib.models.stride_coverage`, the
hash bits from :func:`gemlib.data.perceptual_hash_steps`, the removed pixels from
:func:`gemlib.sanity.remove_most_salient`, the occlusion drops from
:func:`gemlib.occlusion.patch_drops`), never typed in.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

import keras
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import patheffects
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle
from matplotlib.ticker import PercentFormatter

from gemlib import backdrop, data, models, occlusion, sanity

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
    k = None if skip is None else skip.kernel_size[0]
    added = "adds the input back (the skip)" if k is None else f"adds the skip ({k}×{k} conv of the input)"
    ax.text(cx + bw / 2 + 0.35, y_add, f"+: {added}", fontsize=9.5, va="center")

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
    near = "near copies" if distance <= data.NEAR_DISTANCE else "not near copies"
    fig.suptitle(f"Hamming distance {distance}: the differing bits, outlined in red; these two are "
                 f"{near} ({data.NEAR_DISTANCE} or fewer differing bits make near copies)", fontsize=10.5)
    fig.tight_layout()
    return fig


def dct_waves(waves: Sequence[tuple[int, int]] = ((0, 0), (0, 1), (1, 0), (1, 1), (0, 3), (2, 5),
                                                  (7, 0), (7, 7)), side: int = 32) -> Figure:
    """Some of the 8 × 8 smoothest DCT basis waves a perceptual hash keeps, on a ``side`` grid.

    Wave ``(u, v)`` is ``cos(pi (2y + 1) u / 2n) * cos(pi (2x + 1) v / 2n)``: ``u`` half-swells
    down the picture, ``v`` across. ``(0, 0)`` is flat; the hash records how strongly each is
    present. One panel per wave, light where the wave is positive, dark where negative.
    """
    y, x = np.mgrid[0:side, 0:side]
    fig, axes = plt.subplots(1, len(waves), figsize=(1.35 * len(waves), 1.9))
    for ax, (u, v) in zip(np.atleast_1d(axes), waves):
        wave = np.cos(np.pi * (2 * y + 1) * u / (2 * side)) * np.cos(np.pi * (2 * x + 1) * v / (2 * side))
        ax.imshow(wave, cmap="gray", vmin=-1, vmax=1)
        ax.set_title(f"down {u}, across {v}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("DCT waves (numbers: half-swells down and across the picture)", fontsize=10)
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


def binomial_tails(k: int, n: int, names: tuple[str, str] | None = None) -> Figure:
    """Binomial(n, 0.5): how fair coins split n discordant photos, both tails as uneven as k shaded.

    The shaded share is McNemar's exact two-sided p-value for a split of k to n - k. ``names``
    (the two classifiers, the first one's count on the x axis) label the axis and the splits.
    """
    from scipy.stats import binom, binomtest

    if not 0 <= k <= n or n < 1:
        raise ValueError(f"k = {k} and n = {n}: need 0 <= k <= n and n >= 1 (k of the n photos)")
    low, high = min(k, n - k), max(k, n - k)
    x = np.arange(n + 1)
    tail = (x <= low) | (x >= high)
    p = binomtest(k, n, 0.5).pvalue
    fig, ax = plt.subplots(figsize=(7.0, 3.4))
    ax.bar(x, binom.pmf(x, n, 0.5), width=0.9, color=np.where(tail, HIGHLIGHT, "0.75"))
    top = float(binom.pmf(n // 2, n, 0.5))
    first = names[0] if names else "the first classifier"
    for split, side in ((high, "left"), (low, "right")):  # each label beside its line, not on it
        text = f"{split} to {n - split}" if not names else f"{split} to {n - split}\n({names[0]} to {names[1]})"
        ax.axvline(split, color="k", lw=1, ls="--")
        ax.text(split + (0.6 if side == "left" else -0.6), 1.08 * top, text, ha=side, va="bottom",
                fontsize=9.5)
    ax.set(xlim=(n / 2 - 0.3 * n, n / 2 + 0.3 * n), ylim=(0, 1.25 * top),
           xlabel=f"photos (of {n}) that a fair coin gives {first}",
           ylabel="probability")
    ax.set_title(f"Binomial({n}, 0.5): shaded tails, splits at least this uneven, p = {p:.2f}",
                 fontsize=10.5)
    fig.tight_layout()
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
    photo; ``curve`` is (fraction removed, probability), drawn twice with the strip's fractions
    marked: on a linear axis from 0 to 100 % with its area shaded (the shaded region is the area
    quoted), and its first 5 % enlarged.
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
        whole, start = (fig.add_subplot(cell) for cell in grid[1, :].subgridspec(1, 2, wspace=0.3))
        area = float(np.trapezoid(y, x))
        # left: a linear axis, so the shaded region is the area quoted; right: the first 5 %, enlarged
        whole.fill_between(x, y, color="tab:green", alpha=0.25, label=f"area {area:.3f} (lower: a more faithful map)")
        first = x <= 0.05
        for ax in (whole, start):
            ax.plot(x if ax is whole else x[first], y if ax is whole else y[first], color="tab:green", lw=1.8)
            shown = [f for f in fractions if ax is whole or f <= 0.05]
            marks = np.interp(shown, x, y)
            ax.plot(shown, marks, "o", color=HIGHLIGHT, ms=7, label="the photos above")
            right = 1.0 if ax is whole else 0.05
            for f, m in zip(shown, marks):
                near_edge = f > 0.8 * right  # label to the left, inside the panel
                ax.annotate(f"{100 * f:g} %", (f, m), xytext=(-6 if near_edge else 6, 6), textcoords="offset points",
                            fontsize=9, color=HIGHLIGHT, ha="right" if near_edge else "left")
            ax.set_ylim(0, max(1.0, float(y.max()) * 1.05))
            ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0 if ax is whole else 1))
            ax.tick_params(labelsize=9)
            ax.set_xlabel("pixels removed, most salient first", fontsize=10)
        whole.set_xlim(0, 1)
        start.set_xlim(0, 0.05)
        whole.set_ylabel("class probability", fontsize=10)
        whole.set_title("deletion curve (its area shaded, thin when it falls fast)", fontsize=10)
        start.set_title("its first 5 %, enlarged", fontsize=10)
        whole.legend(fontsize=9, loc="upper right")
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


# ------------------------------------------------------------------ grid energy, in the power spectrum

def grid_spectrum(maps: dict[str, np.ndarray],
                  marks: dict[str, Sequence[tuple[float, float, str]]] | None = None,
                  shade: tuple[str, float] = ("#ff3b3b", 0.5)) -> Figure:
    """Each map above its power spectrum, with the waves that grid energy counts shaded red.

    The spectrum is the power (squared size) of every wave of ``np.fft.fft2`` of the map with its
    mean removed, shifted so the slowest waves sit in the middle, on a log colour scale. Its axes
    are frequencies in cycles per pixel: ±0.5 is a wave that repeats every 2 pixels, ±0.25 one
    that repeats every 4. The red rows and columns are those :func:`gemlib.explain.grid_energy`
    sums; each spectrum's title gives that share.

    Parameters
    ----------
    maps : dict
        Name -> (H, W) heatmap, H and W divisible by 4.
    marks : dict, optional
        Name -> ``(down, across, label)`` frequencies to ring in that map's spectrum, each with
        its label beside it (cyan), for faint waves the text points to.
    shade : (colour, alpha), optional
        The red of the grid's rows and columns and how opaque it is (0.5 by default).
    """
    from matplotlib.colors import to_rgb

    from gemlib import explain

    fig, axes = plt.subplots(2, len(maps), figsize=(4.6 * len(maps), 9.4), squeeze=False, layout="constrained")
    for j, (name, heat) in enumerate(maps.items()):
        h = np.asarray(heat, np.float64)
        if h.ndim != 2 or h.shape[0] % 4 or h.shape[1] % 4:
            raise ValueError(f"map {name!r} must be (H, W) with H and W divisible by 4, got shape {h.shape}")
        rows, cols = h.shape
        power = np.fft.fftshift(np.abs(np.fft.fft2(h - h.mean())) ** 2)
        grid = np.zeros((rows, cols), bool)  # the same rows and columns as explain.grid_energy
        grid[[rows // 4, rows // 2, 3 * rows // 4], :] = True
        grid[:, [cols // 4, cols // 2, 3 * cols // 4]] = True
        grid = np.fft.fftshift(grid)
        fr, fc = np.fft.fftshift(np.fft.fftfreq(rows)), np.fft.fftshift(np.fft.fftfreq(cols))
        extent = (fc[0] - 0.5 / cols, fc[-1] + 0.5 / cols, fr[-1] + 0.5 / rows, fr[0] - 0.5 / rows)
        top, bottom = axes[0, j], axes[1, j]
        top.imshow(h, cmap="inferno", interpolation="nearest")
        top.set_xticks([])
        top.set_yticks([])
        top.set_title(name, fontsize=11)
        logged = np.log10(power + max(float(power.max()) * 1e-9, 1e-300))
        # dark up to the 95th-percentile wave, so the few strong waves stand out
        bottom.imshow(logged, cmap="gray", vmin=float(np.percentile(logged, 95)),
                      vmax=float(logged.max()),
                      extent=extent, interpolation="nearest")
        tint = np.zeros((rows, cols, 4))
        tint[grid] = (*to_rgb(shade[0]), shade[1])  # red, see-through: the dots on it still show
        bottom.imshow(tint, extent=extent, interpolation="nearest")
        for down, across, label in (marks or {}).get(name, ()):
            bottom.scatter([across], [down], s=150, facecolors="none", edgecolors="cyan", lw=1.3)
            if label:
                bottom.annotate(label, (across, down), xytext=(0, 9), textcoords="offset points",
                                ha="center", va="bottom", color="cyan", fontsize=9)
        pad = 3.0  # pixels of margin, so the red row and column at -0.5 (the frame's edge) show
        bottom.set_xlim(extent[0] - pad / cols, extent[1])
        bottom.set_ylim(extent[2], extent[3] - pad / rows)
        for spine in bottom.spines.values():
            spine.set_visible(False)
        ticks = [-0.5, -0.25, 0.0, 0.25]
        bottom.set_xticks(ticks, ["-0.5", "-0.25", "0", "0.25"], fontsize=9)
        bottom.set_yticks(ticks, ["-0.5", "-0.25", "0", "0.25"], fontsize=9)
        bottom.set_xlabel("waves across (cycles per pixel)", fontsize=10)
        bottom.set_ylabel("waves down (cycles per pixel)", fontsize=10)
        bottom.set_title(f"its power spectrum: grid energy {explain.grid_energy(h):.3f}\n"
                         "(the share of the power on red)", fontsize=10)
    fig.text(0.5, -0.01, "Bright: a strong wave. The red rows and columns are the waves that repeat every "
             "2 pixels (±0.5) or 4 pixels (±0.25).", ha="center", va="top", fontsize=10)
    return fig


def stripe_spectra(periods: Sequence[int] = (2, 4, 8), side: int = 16,
                   shade: tuple[str, float] = ("#ff3b3b", 0.65)) -> Figure:
    """Stripes that repeat every ``period`` pixels across, each above its power spectrum.

    Each stripe pattern is ``cos(2 pi x / period)`` on a ``side`` × ``side`` grid; its spectrum
    (``np.fft.fft2``, slowest waves in the middle) has its power in one or two dots at
    ±1/period cycles per pixel across. Period 2 gives one dot: +0.5 is the same wave as −0.5.
    The rows and columns :func:`gemlib.explain.grid_energy` counts are shaded as in
    :func:`grid_spectrum`.
    """
    from matplotlib.colors import to_rgb

    if side % 4 or any(side % p for p in periods):
        raise ValueError(f"side {side} must be divisible by 4 and by every period {tuple(periods)}")
    x = np.arange(side)
    freq = np.fft.fftshift(np.fft.fftfreq(side))
    half = 0.5 / side
    extent = (freq[0] - half, freq[-1] + half, freq[-1] + half, freq[0] - half)
    grid = np.zeros((side, side), bool)
    grid[[side // 4, side // 2, 3 * side // 4], :] = True
    grid[:, [side // 4, side // 2, 3 * side // 4]] = True
    grid = np.fft.fftshift(grid)
    fig, axes = plt.subplots(2, len(periods), figsize=(2.5 * len(periods), 5.4), squeeze=False,
                             layout="constrained")
    for j, p in enumerate(periods):
        stripes = np.cos(2 * np.pi * x / p)[None, :].repeat(side, 0)
        power = np.fft.fftshift(np.abs(np.fft.fft2(stripes - stripes.mean())) ** 2)
        top, bottom = axes[0, j], axes[1, j]
        top.imshow(stripes, cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
        top.set_xticks([])
        top.set_yticks([])
        top.set_title(f"repeats every {p} pixels", fontsize=10)
        bottom.imshow(power, cmap="gray", vmin=0, vmax=float(power.max()), extent=extent,
                      interpolation="nearest")
        tint = np.zeros((side, side, 4))
        tint[grid] = (*to_rgb(shade[0]), shade[1])
        bottom.imshow(tint, extent=extent, interpolation="nearest")
        r, c = np.nonzero(power > 1e-9 * power.max())  # the dots, drawn on top of the red
        bottom.scatter(freq[c], freq[r], s=70, marker="o", color="white", edgecolors="black", lw=0.8,
                       zorder=3)
        ticks = [-0.5, -0.25, 0.0, 0.25]
        bottom.set_xticks(ticks, ["-0.5", "-0.25", "0", "0.25"], fontsize=8)
        bottom.set_yticks(ticks, ["-0.5", "-0.25", "0", "0.25"], fontsize=8)
        bottom.set_xlabel("waves across\n(cycles per pixel)", fontsize=9)
        if j == 0:
            bottom.set_ylabel("waves down (cycles per pixel)", fontsize=9)
        dots = sorted({abs(float(f)) for f in freq[power.max(axis=0) > 1e-9 * power.max()]})
        where = " and ".join(f"±{d:g}" if d < 0.5 else "0.5 (= -0.5)" for d in dots)
        bottom.set_title(f"its spectrum: {where}", fontsize=9)
    fig.suptitle("Stripes and their spectra: one bright dot per wave, at 1 / period "
                 "(red: the waves grid energy counts)", fontsize=10)
    return fig


# ------------------------------------------------------------------ Integrated Gradients, its path

# ------------------------------------------------------------------ why noise helps, in one dimension

#: The 1-D toy score: a smooth trend plus fast bumps near x = 0 (``amplitude``, ``frequency``).
TOY_BUMPS = {"amplitude": 0.15, "frequency": 15.0}


def toy_score(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The toy score ``f(x) = sin x + a sin(k x) exp(-x²/2)`` and its exact derivative ``f'(x)``."""
    x = np.asarray(x, np.float64)
    a, k = TOY_BUMPS["amplitude"], TOY_BUMPS["frequency"]
    window = np.exp(-(x**2) / 2)
    f = np.sin(x) + a * np.sin(k * x) * window
    df = np.cos(x) + a * window * (k * np.cos(k * x) - x * np.sin(k * x))
    return f, df


def toy_noisy_gradients(x: np.ndarray, sigma: float = 0.3, n_samples: int = 50,
                        seed: int = 0) -> np.ndarray:
    """``f'`` at ``n_samples`` noisy copies ``x + ε`` (ε ~ N(0, σ²)) of every point: (n_samples, len(x))."""
    x = np.asarray(x, np.float64).reshape(-1)
    eps = np.random.default_rng(seed).normal(0.0, sigma, size=(n_samples, 1))
    return toy_score(x[None] + eps)[1]


def noise_toy(sigma: float = 0.3, n_samples: int = 200, x0: float = 0.3, seed: int = 0) -> Figure:
    """Why noise helps, in one dimension: a bumpy score, its gradient, SmoothGrad and VarGrad.

    Left: the score f and ``n_samples`` noisy copies of one input ``x0``. Middle: the exact
    gradient f' (jagged where f is bumpy), the gradients at the copies of ``x0``, and their mean at
    every x (SmoothGrad). Right: their variance at every x (VarGrad).
    """
    x = np.linspace(-3, 3, 601)
    f, df = toy_score(x)
    grads = toy_noisy_gradients(x, sigma, n_samples, seed)
    copies = x0 + np.random.default_rng(seed).normal(0.0, sigma, n_samples)
    fc, dfc = toy_score(copies)
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4), layout="constrained")
    ax = axes[0]
    ax.plot(x, f, color="0.2", lw=1.2)
    ax.plot(copies, fc, "o", color=HIGHLIGHT, ms=3, alpha=0.4, label=f"{n_samples} noisy copies of x₀")
    ax.plot([x0], toy_score(np.array([x0]))[0], "s", color="black", ms=6, label="the input x₀")
    ax.set_title(f"1. a bumpy score f(x)\n(copies: x₀ + noise, σ = {sigma:g})", fontsize=10)
    ax = axes[1]
    ax.plot(x, df, color="0.6", lw=0.8, label="gradient f′(x)")
    ax.plot(copies, dfc, "o", color=HIGHLIGHT, ms=3, alpha=0.4, label="f′ at the copies of x₀")
    ax.plot(x, grads.mean(axis=0), color="tab:blue", lw=2, label="SmoothGrad: mean over copies")
    ax.set_title("2. the gradient jumps between neighbours;\nits mean over copies is smooth", fontsize=10)
    ax = axes[2]
    ax.plot(x, grads.var(axis=0), color="tab:purple", lw=2)
    ax.set_title("3. VarGrad: variance over copies,\nlarge where the gradient keeps changing",
                 fontsize=10)
    for ax in axes:
        ax.set_xlabel("input x", fontsize=10)
        ax.tick_params(labelsize=8)
    axes[0].legend(fontsize=8, loc="upper left")
    axes[1].legend(fontsize=8, loc="upper right", framealpha=0.9)
    axes[1].set_ylim(top=float(df.max()) * 1.6)  # room for the legend above the curves
    return fig


def integrated_gradients_path(image: np.ndarray, gradients: np.ndarray, baseline: float = 0.0) -> Figure:
    """Integrated Gradients drawn: the photo blended from a black baseline in steps, the gradient at
    each step, and their average times (photo - baseline).

    ``gradients`` (steps, H, W, C) are the class logit's gradients at the blends
    ``baseline + a_k (image - baseline)`` with ``a_k = (k + 0.5) / steps``, the midpoint rule of
    :func:`gemlib.explain.integrated_gradients` (compute them with :func:`gemlib.explain.gradients`).
    Maps show the size of each pixel's value summed over the colour channels; the gradients share
    one colour scale, so a step with larger gradients is brighter.
    """
    arr = np.asarray(image, np.float64)
    grads = np.asarray(gradients, np.float64)
    if grads.ndim != 4 or grads.shape[1:] != arr.shape:
        raise data.DataError(f"integrated_gradients_path: gradients have shape {grads.shape}, the image "
                             f"{arr.shape}: give one gradient per step, shape (steps, *image.shape)")
    steps = len(grads)
    alphas = (np.arange(steps) + 0.5) / steps
    scale = 255.0 if np.asarray(image).dtype == np.uint8 or arr.max() > 1.5 else 1.0
    size = np.abs(grads).sum(-1)
    top = float(np.percentile(size, 99)) or 1.0
    mean = grads.mean(axis=0)
    ig = np.abs((arr - baseline) * mean).sum(-1)
    fig = plt.figure(figsize=(max(1.45 * steps, 7.5) + 0.6, 6.6))
    top_grid = fig.add_gridspec(2, steps, left=0.08, right=0.98, top=0.9, bottom=0.48, hspace=0.12)
    axes = np.array([[fig.add_subplot(top_grid[r, k]) for k in range(steps)] for r in range(2)])
    for k, a in enumerate(alphas):
        axes[0, k].imshow(np.clip((baseline + a * (arr - baseline)) / scale, 0, 1))
        axes[0, k].set_title(f"α = {a:.2f}", fontsize=10)
        axes[1, k].imshow(size[k], cmap="inferno", vmin=0, vmax=top)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    start = "black" if baseline == 0 else "the baseline"
    axes[0, 0].set_ylabel(f"1. the photo,\nblended from {start}", fontsize=10)
    axes[1, 0].set_ylabel("2. the class logit's\ngradient there", fontsize=10)
    fig.suptitle(f"Integrated Gradients: walk from {start} (α = 0) to the photo (α = 1) in steps", fontsize=11)
    low_grid = fig.add_gridspec(1, 5, width_ratios=(1, 0.5, 1, 0.5, 1), left=0.2, right=0.86, top=0.4,
                                bottom=0.02)
    row = [fig.add_subplot(low_grid[0, j]) for j in range(5)]
    panels = [(row[0], np.abs(mean).sum(-1), "inferno", f"3. average of\nthe {steps} gradients"),
              (row[2], np.clip((arr - baseline) / scale, 0, 1), None, f"the photo − {start}"),
              (row[4], ig, "inferno", "4. Integrated Gradients")]
    for ax, picture, cmap, title in panels:
        if cmap is None:
            ax.imshow(picture)
        else:
            ax.imshow(picture, cmap=cmap, vmin=0, vmax=float(np.percentile(picture, 99)) or 1.0)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=10)
    for ax, sign, note in ((row[1], "×", "pixel by pixel,\nchannel by channel"), (row[3], "=", "")):
        ax.axis("off")
        ax.text(0.5, 0.5, sign, ha="center", va="center", fontsize=24, transform=ax.transAxes)
        ax.text(0.5, 0.3, note, ha="center", va="top", fontsize=9, transform=ax.transAxes)
    return fig


# ------------------------------------------------------------------ occlusion, step by step

def occlusion_steps(
    image: np.ndarray,
    drops: np.ndarray,
    patch: int = 16,
    stride: int = 8,
    positions: Sequence[tuple[int, int]] | None = None,
    fill: str | float | np.ndarray = "mean",
    ring: float = 0.0,
) -> Figure:
    """Occlusion as it is computed: the patch at three positions, the drop per position, the map.

    ``drops`` is the (R, C) grid of :func:`gemlib.occlusion.patch_drops` for the same ``patch``,
    ``stride`` and ``fill``. ``positions`` are (row, column) indexes into that grid; by default
    the top-left corner, the largest drop and the smallest (each drawn once). The last panel spreads the drops back
    onto the pixels (:func:`gemlib.occlusion.spread_drops`): the occlusion map.
    ``ring`` (optional, in grid cells): above 0, each position is marked on the grid by a thin
    ring that far outside its cell, so the cell's own colour stays in view; 0 outlines the cell
    itself, the largest drop thicker.
    """
    arr = np.asarray(image)
    scale = 255.0 if arr.dtype == np.uint8 or arr.max() > 1.5 else 1.0
    drops = np.asarray(drops, np.float64)
    h, w = arr.shape[:2]
    heat = occlusion.spread_drops(drops, (h, w), patch, stride)
    rows, cols = occlusion.patch_starts(h, patch, stride), occlusion.patch_starts(w, patch, stride)
    if positions is None:
        positions = [(0, 0), np.unravel_index(drops.argmax(), drops.shape),
                     np.unravel_index(drops.argmin(), drops.shape)]
    positions = list(dict.fromkeys((int(i), int(j)) for i, j in positions))  # each position once
    value = arr.reshape(-1, arr.shape[-1]).mean(axis=0) if isinstance(fill, str) else np.asarray(fill, float)
    top = float(np.abs(drops).max()) or 1.0
    fig, axes = plt.subplots(1, len(positions) + 2, figsize=(2.55 * (len(positions) + 2) + 0.9, 3.0),
                             layout="constrained")
    fig.get_layout_engine().set(wspace=0.06)  # room between the panels' two-line titles
    for k, (ax, (i, j)) in enumerate(zip(axes, positions), start=1):
        r, c = rows[i], cols[j]
        hidden = arr.astype(np.float64).copy()
        hidden[r : r + patch, c : c + patch] = value
        ax.imshow(np.clip(hidden / scale, 0, 1))
        ax.add_patch(Rectangle((c - 0.5, r - 0.5), patch, patch, fill=False, edgecolor=HIGHLIGHT, lw=2))
        ax.text(c + patch / 2 - 0.5, r + patch / 2 - 0.5, str(k), ha="center", va="center", fontsize=10,
                color="white", fontweight="bold")
        ax.set_title(f"{k}. patch at row {r}, column {c}\nlogit drop {drops[i, j]:+.2f}", fontsize=10)
    grid_ax, map_ax = axes[len(positions)], axes[len(positions) + 1]
    shown = grid_ax.imshow(drops, cmap="coolwarm", vmin=-top, vmax=top, interpolation="nearest")
    best = tuple(int(k) for k in np.unravel_index(drops.argmax(), drops.shape))
    halo = [patheffects.withStroke(linewidth=4.5, foreground="white")]  # visible on dark red too
    for k, (i, j) in enumerate(positions, start=1):
        largest = (i, j) == best  # the position whose hiding lowers the score most: drawn thicker
        if ring > 0:  # a thin ring outside the cell, white-edged so it shows on dark red and blue
            grid_ax.add_patch(Rectangle((j - 0.5 - ring, i - 0.5 - ring), 1 + 2 * ring, 1 + 2 * ring,
                                        fill=False, edgecolor="black", lw=1.0,
                                        path_effects=[patheffects.withStroke(linewidth=2.5,
                                                                             foreground="white")]))
        else:
            grid_ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black",
                                        lw=2.5 if largest else 1.5,
                                        path_effects=halo if largest else None))
        dx = 2.2 if j < drops.shape[1] / 2 else -2.2  # the label sits beside the cell, toward the middle
        dy = 2.2 if i < drops.shape[0] / 2 else -2.2
        grid_ax.annotate(str(k), xy=(j, i), xytext=(j + dx, i + dy), ha="center", va="center", fontsize=9,
                         fontweight="bold", color="black", annotation_clip=False,
                         bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "0.3", "lw": 0.6},
                         arrowprops={"arrowstyle": "-", "color": "black", "lw": 1.0, "shrinkB": 4})
    marks = f"rings: positions 1-{len(positions)}" if ring > 0 else "thick outline: the largest drop"
    grid_ax.set_title(f"one drop per position ({drops.shape[0]} × {drops.shape[1]})\n{marks}",
                      fontsize=10)
    map_ax.imshow(heat, cmap="coolwarm", vmin=-top, vmax=top, interpolation="nearest")
    r, c = rows[best[0]], cols[best[1]]  # the patch of the largest drop, on the map as well
    map_ax.add_patch(Rectangle((c - 0.5, r - 0.5), patch, patch, fill=False, edgecolor="black", lw=2.0,
                               path_effects=halo))
    map_ax.set_title("per pixel: mean drop of\nthe patches covering it", fontsize=10)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    bar = fig.colorbar(shown, ax=[grid_ax, map_ax], fraction=0.04, pad=0.02, shrink=0.9)
    bar.set_label("logit drop (photo minus hidden)\nred: hiding lowers it, blue: raises it",
                  fontsize=9)
    bar.ax.tick_params(labelsize=8)
    return fig


# ------------------------------------------------------------------ candidates that share their answers

def best_of_k_draws(scores: np.ndarray, true_accuracy: float, rows: int = 8) -> Figure:
    """Why the best of k test scores is optimistic, draw by draw.

    One row per draw (the first ``rows`` of ``scores``, (draws, k) test scores): the k candidates'
    scores as open dots, the highest filled in orange, and a line at the true accuracy. A last row
    gives the averages over all draws: of one candidate's score, and of the highest.
    """
    scores = np.asarray(scores, float)
    if scores.ndim != 2 or scores.shape[1] < 2 or len(scores) < 1 or rows < 1:
        raise data.DataError(f"best_of_k_draws: scores has shape {scores.shape}: give (draws, k) "
                             "test scores with k >= 2, and rows >= 1")
    rows = min(rows, len(scores))
    k = scores.shape[1]
    highest = scores.max(axis=1)
    fig, ax = plt.subplots(figsize=(8.4, 0.36 * rows + 3.0))
    for r in range(rows):
        y = rows - r
        top = int(scores[r].argmax())
        others = np.delete(scores[r], top)
        ax.scatter(others, np.full(k - 1, y), s=60, facecolor="white", edgecolor="tab:blue", lw=1.5,
                   label=f"a candidate's test score ({k} per draw)" if r == 0 else None, zorder=3)
        ax.scatter([scores[r, top]], [y], s=110, color="tab:orange", edgecolor="black", lw=0.8,
                   label="the highest of the draw (the one quoted)" if r == 0 else None, zorder=4)
    ax.axhline(0.5, color="0.6", lw=0.8)
    mean_one, mean_top = float(scores[:, 0].mean()), float(highest.mean())
    ax.scatter([mean_one], [-0.2], marker="D", s=90, color="tab:blue", zorder=4,
               label=f"one candidate, averaged over {len(scores):,} draws ({mean_one:.3f})")
    ax.scatter([mean_top], [-0.2], marker="D", s=90, color="tab:orange", edgecolor="black", zorder=4,
               label=f"the highest, averaged over {len(scores):,} draws ({mean_top:.3f})")
    ax.annotate("", xy=(mean_top, -0.75), xytext=(true_accuracy, -0.75),
                arrowprops={"arrowstyle": "->", "color": HIGHLIGHT, "lw": 1.8})
    ax.text((mean_top + true_accuracy) / 2, -1.0, f"{mean_top - true_accuracy:+.3f}", ha="center",
            va="top", fontsize=10, color=HIGHLIGHT, fontweight="bold")
    ax.axvline(true_accuracy, color="black", lw=1.8, label=f"true accuracy {true_accuracy:.3f}",
               zorder=2)
    ax.set_yticks([*range(rows, 0, -1), -0.2], [*(f"draw {r + 1}" for r in range(rows)), "average"],
                  fontsize=10)
    ax.set_ylim(-1.7, rows + 0.7)
    ax.set_xlabel("test score (share of the test photos right)", fontsize=10)
    ax.tick_params(axis="x", labelsize=10)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    fig.tight_layout()
    return fig


def shared_answers(shared: np.ndarray, redraw: np.ndarray, own: np.ndarray) -> Figure:
    """The best-of-k model of :func:`gemlib.published.best_of_k_optimism` on a few photos.

    Top row: the shared answer per photo (filled: right, open: wrong). One row per candidate: it
    keeps the shared answer, or where ``redraw`` is True (outlined in red) gives its own answer
    from ``own``. Each row ends with that candidate's share right on these photos.
    ``shared`` is (n,), ``redraw`` and ``own`` (k, n), all boolean.
    """
    shared = np.asarray(shared, bool)
    redraw, own = np.asarray(redraw, bool), np.asarray(own, bool)
    if shared.ndim != 1 or redraw.shape != own.shape or redraw.shape[1:] != shared.shape:
        raise data.DataError(f"shared_answers: shared {shared.shape}, redraw {redraw.shape}, own {own.shape}: "
                             "give shared as (n,) and redraw, own as (k, n)")
    k, n = redraw.shape
    answers = np.where(redraw, own, shared[None])
    fig, ax = _canvas((0.42 * n + 3.6, 0.5 * (k + 1) + 1.3), (-3.3, n + 1.6), (-k - 0.7, 1.0))
    rows = [("shared answer", shared, np.zeros(n, bool))]
    rows += [(f"candidate {c + 1}", answers[c], redraw[c]) for c in range(k)]
    for r, (label, right, mark) in enumerate(rows):
        y = -r - (0.25 if r else 0)
        ax.text(-3.2, y, label, fontsize=10, va="center", fontweight="bold" if r == 0 else None)
        x = np.arange(n)
        ax.scatter(x[right], np.full(right.sum(), y), s=150, color="tab:blue", edgecolor="tab:blue")
        ax.scatter(x[~right], np.full((~right).sum(), y), s=150, color="white", edgecolor="tab:blue", lw=1.5)
        ax.scatter(x[mark], np.full(mark.sum(), y), s=330, facecolor="none", edgecolor=HIGHLIGHT, lw=2)
        if r:
            ax.text(n + 0.2, y, f"{right.mean():.0%} right", fontsize=10, va="center")
    ax.plot([-3.2, n + 1.5], [-0.6, -0.6], color="0.6", lw=0.8)
    ax.set_title(f"{n} photos (filled: right, open: wrong). Each candidate keeps the shared answer, "
                 "except where it draws its own (red rings)", fontsize=10)
    fig.tight_layout()
    return fig

def disagreement_tree(accuracy: float, redraw: float) -> Figure:
    """Why two equally good candidates disagree on a share 2a(1 - a)(1 - (1 - r)^2) of the photos.

    The model of :func:`shared_answers`: each candidate keeps a photo's shared answer, or with
    chance ``redraw`` (r) draws its own, right with chance ``accuracy`` (a). The tree splits one
    photo and two candidates into "both keep it" (they agree) and "at least one redraws" (then one
    right, one wrong with chance 2a(1 - a)), each branch with its numbers.
    """
    a, r = float(accuracy), float(redraw)
    if not (0 <= a <= 1 and 0 <= r <= 1):
        raise data.DataError(f"disagreement_tree: accuracy {a} and redraw {r} must lie in [0, 1]")
    keep, some = (1 - r) ** 2, 1 - (1 - r) ** 2
    split = 2 * a * (1 - a)
    fig, ax = _canvas((8.6, 4.4), (0, 10), (0, 6.2))
    _box(ax, 5, 5.5, 3.6, 0.8, "one photo, two candidates", "#eeeeee")
    _box(ax, 2.3, 3.6, 3.9, 0.95, f"1. both keep the shared answer\n(1 - r)² = {keep:.3f}", "#dbe9f6")
    _box(ax, 7.6, 3.6, 3.9, 0.95, f"2. at least one draws its own\n1 - (1 - r)² = {some:.3f}", "#fde6cc")
    _box(ax, 2.3, 1.6, 3.2, 0.8, "same answer: they agree", "#eeeeee")
    _box(ax, 6.1, 1.6, 3.0, 0.95, f"3. one right, one wrong\n2a(1 - a) = {split:.3f}", "#f8c9c9")
    _box(ax, 9.0, 1.6, 1.9, 0.95, f"they agree\n{1 - split:.3f}", "#eeeeee", fontsize=9)
    for start, end in [((4.2, 5.1), (2.6, 4.08)), ((5.8, 5.1), (7.3, 4.08)), ((2.3, 3.12), (2.3, 2.0)),
                       ((7.0, 3.12), (6.3, 2.08)), ((8.3, 3.12), (8.9, 2.08))]:
        _arrow(ax, start, end)
    ax.text(5, 0.45, f"4. right for one candidate only: {some:.3f} × {split:.3f} = {some * split:.3f}"
            f"   (a = {a:.3f}, r = {r:.3f})", ha="center", va="center", fontsize=10, fontweight="bold")
    return fig


# ------------------------------------------------------------------ local binary patterns

LBP_RING = ((0, 0), (0, 1), (0, 2), (1, 2), (2, 2), (2, 1), (2, 0), (1, 0))  # clockwise from top left
LBP_EXAMPLES = {
    "flat": ((100, 100, 100), (100, 100, 100), (100, 100, 100)),
    "bright spot": ((60, 60, 60), (60, 200, 60), (60, 60, 60)),
    "edge": ((200, 200, 60), (200, 200, 60), (200, 200, 60)),
    "corner": ((200, 200, 60), (200, 200, 60), (60, 60, 60)),
    "speckle": ((200, 60, 200), (60, 120, 60), (200, 60, 200)),
}


def lbp_kind(patch: np.ndarray) -> tuple[np.ndarray, int, int]:
    """The 8 ring bits (neighbour at least as bright as the centre), their 0/1 changes round the
    ring, and the uniform kind: the number of ones if there are at most 2 changes, else 9."""
    arr = np.asarray(patch)
    if arr.shape != (3, 3):
        raise data.DataError(f"lbp_kind: patch has shape {arr.shape}; give a 3 × 3 grey patch")
    bits = np.array([int(arr[r, c] >= arr[1, 1]) for r, c in LBP_RING])
    changes = int((bits != np.roll(bits, 1)).sum())
    return bits, changes, int(bits.sum()) if changes <= 2 else 9


def _lbp_patch(ax, patch: np.ndarray, bits: np.ndarray | None = None, fontsize: float = 11) -> None:
    """A 3 × 3 grey patch with its values, or (with ``bits``) its ring bits on black and white."""
    arr = np.asarray(patch, float)
    if bits is None:
        ax.imshow(arr, cmap="gray", vmin=0, vmax=255)
        for r in range(3):
            for c in range(3):
                ax.text(c, r, f"{arr[r, c]:.0f}", ha="center", va="center", fontsize=fontsize,
                        color="black" if arr[r, c] > 127 else "white")
    else:
        shown = np.full((3, 3), 0.5)
        for (r, c), b in zip(LBP_RING, bits):
            shown[r, c] = b
        ax.imshow(shown, cmap="gray", vmin=0, vmax=1)
        for (r, c), b in zip(LBP_RING, bits):
            ax.text(c, r, str(b), ha="center", va="center", fontsize=fontsize + 3,
                    color="black" if b else "white", fontweight="bold")
        ax.text(1, 1, f"≥ {arr[1, 1]:.0f}?", ha="center", va="center", fontsize=fontsize - 1)
    ax.add_patch(Rectangle((0.5, 0.5), 1, 1, fill=False, edgecolor=HIGHLIGHT, lw=2.5))
    ax.set_xticks([])
    ax.set_yticks([])


def local_binary_pattern(example: str = "edge") -> Figure:
    """What a uniform local binary pattern (P = 8, R = 1) measures, drawn on 3 × 3 grey patches.

    Top: one patch worked through: each of the 8 neighbours gets a 1 when it is at least as
    bright as the centre; the ring of bits is read round; at most 2 changes between 0 and 1
    make a "uniform" pattern, whose kind is its number of ones (0-8); any other is kind 9.
    Bottom: the kinds of :data:`LBP_EXAMPLES` (the same as ``skimage.feature.local_binary_pattern``
    gives at their centre, checked in the tests).
    """
    if example not in LBP_EXAMPLES:
        raise data.DataError(f"local_binary_pattern: unknown example {example!r}; "
                             f"choose one of {sorted(LBP_EXAMPLES)}")
    patch = np.array(LBP_EXAMPLES[example])
    bits, changes, kind = lbp_kind(patch)
    fig = plt.figure(figsize=(10.5, 5.6))
    grid = fig.add_gridspec(2, 15, height_ratios=(1.25, 1), hspace=0.4)
    first = fig.add_subplot(grid[0, 0:5])
    _lbp_patch(first, patch)
    first.set_title(f"1. a 3 × 3 patch of a grey photo\n({example}; red: the centre pixel)", fontsize=10.5)
    second = fig.add_subplot(grid[0, 5:10])
    _lbp_patch(second, patch, bits)
    second.set_title("2. each neighbour: 1 if at least\nas bright as the centre, else 0", fontsize=10.5)
    third = fig.add_subplot(grid[0, 10:15])
    third.axis("off")
    ring = " ".join(map(str, bits))
    verdict = (f"at most 2 changes: uniform\nkind = number of ones = {kind}" if changes <= 2
               else "more than 2 changes: not uniform\nkind 9")
    third.text(0.0, 0.62, f"3. read round the ring,\nclockwise from top left:\n\n{ring}\n\n"
               f"{changes} changes between 0 and 1\n{verdict}", ha="left", va="center", fontsize=10.5,
               family="monospace", transform=third.transAxes)
    for k, (name, values) in enumerate(LBP_EXAMPLES.items()):
        ax = fig.add_subplot(grid[1, 3 * k: 3 * k + 3])
        _lbp_patch(ax, np.array(values), fontsize=8.5)
        ax.set_title(f"{name}: kind {lbp_kind(np.array(values))[2]}", fontsize=10.5)
    fig.suptitle("A local binary pattern, pixel by pixel; a photo's texture feature is the share "
                 "of its pixels of each kind 0-9", fontsize=11)
    fig.subplots_adjust(top=0.84, bottom=0.03, left=0.02, right=0.98)
    return fig


def opened_corner_legs(turn: float) -> tuple[float, float, float]:
    """The corner a turn of ``turn`` (a fraction of a full turn, 0 to 0.25) opens in a square
    frame of side 1: the legs of one open right triangle along the bottom and the left edge, and
    the share of the frame the four triangles cover (``4 * a * b / 2``)."""
    theta = 2 * np.pi * float(turn)
    if not 0 < theta < np.pi / 2:
        return 0.0, 0.0, 0.0
    s, c = np.sin(theta), np.cos(theta)
    a, b = 0.5 * (s + c - 1) / c, 0.5 * (s + c - 1) / s
    return float(a), float(b), float(2 * a * b)


def opened_corners(turns: Sequence[float] = (0.125, 0.03)) -> Figure:
    """A square photo turned inside its upright frame, one panel per turn: the four corners it
    opens shaded dark, the two legs of the bottom-left one labelled as fractions of the side."""
    from matplotlib.patches import Polygon

    fig, axes = plt.subplots(1, len(turns), figsize=(3.0 * len(turns), 3.4), squeeze=False,
                             layout="constrained")
    for ax, turn in zip(axes[0], turns):
        theta = 2 * np.pi * turn
        a, b, share = opened_corner_legs(turn)
        frame = Rectangle((-0.5, -0.5), 1, 1, facecolor="0.3", edgecolor="none")
        ax.add_patch(frame)
        corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])
        turned = corners @ np.array([[np.cos(theta), np.sin(theta)], [-np.sin(theta), np.cos(theta)]])
        photo = Polygon(turned, closed=True, facecolor="#cfe0f3", edgecolor="tab:blue", lw=1)
        ax.add_patch(photo)
        photo.set_clip_path(frame)
        ax.add_patch(Rectangle((-0.5, -0.5), 1, 1, fill=False, edgecolor="black", lw=1.5))
        ax.plot([-0.5, -0.5 + a], [-0.56, -0.56], color="tab:red", lw=2)
        ax.text(-0.5 + a / 2, -0.6, f"{a:.3f}", color="tab:red", ha="center", va="top", fontsize=10)
        ax.plot([-0.56, -0.56], [-0.5, -0.5 + b], color="tab:red", lw=2)
        ax.text(-0.6, -0.5 + b / 2, f"{b:.3f}", color="tab:red", ha="right", va="center",
                fontsize=10)
        ax.text(0, 0.55, "side 1", ha="center", va="bottom", fontsize=10)
        ax.text(0, 0, "turned\nphoto", ha="center", va="center", fontsize=10, color="tab:blue")
        ax.set_title(f"turned {np.degrees(theta):.0f}° ({turn} of a turn)\n"
                     f"open: 4 × {a:.3f} × {b:.3f} / 2 = {share:.1%}", fontsize=10)
        ax.set_xlim(-0.78, 0.62)
        ax.set_ylim(-0.75, 0.68)
        ax.set_aspect("equal")
        ax.axis("off")
    return fig
