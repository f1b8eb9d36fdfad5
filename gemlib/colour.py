"""The colour hypothesis, tested: image transforms that remove colour or shape, and a colour-only classifier."""

from __future__ import annotations

import numpy as np
import pandas as pd
from skimage.color import hsv2rgb, rgb2gray, rgb2hsv
from skimage.feature import local_binary_pattern


def to_greyscale(images: np.ndarray) -> np.ndarray:
    """Luminance (ITU-R 601) copied into three channels; ``uint8`` in, ``uint8`` out."""
    x = np.asarray(images)
    # one channel in float32 at a time: a float32 copy of all three held 0.13 GiB more for the test set
    grey = x[..., 0].astype(np.float32) * 0.299
    grey += x[..., 1].astype(np.float32) * 0.587
    grey += x[..., 2].astype(np.float32) * 0.114
    return np.repeat(np.clip(grey + 0.5, 0, 255).astype(np.uint8)[..., None], 3, axis=-1)


def rotate_hue(images: np.ndarray, degrees: float, batch: int = 8) -> np.ndarray:
    """Shift the hue of every pixel by ``degrees``; saturation, value and shape untouched.

    Works ``batch`` images at a time: scikit-image's colour conversions hold several float64
    copies of their input, about a gigabyte for the whole test set at once (and 0.14 GiB for 32
    images at 128 px; 8 hold a quarter of that). Each image's result does not depend on ``batch``.
    """
    x = np.asarray(images, np.uint8)
    out = np.empty_like(x)
    for start in range(0, len(x), batch):
        hsv = rgb2hsv(x[start : start + batch])
        hsv[..., 0] = (hsv[..., 0] + degrees / 360.0) % 1.0
        out[start : start + batch] = np.clip(hsv2rgb(hsv) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return out


def shuffle_patches(images: np.ndarray, grid: int = 4, seed: int = 0) -> np.ndarray:
    """Cut each image into ``grid`` x ``grid`` tiles and shuffle them.

    Colour and local texture stay, global shape goes. The image side must be a
    multiple of ``grid``.
    """
    x = np.asarray(images)
    n, h, w, c = x.shape
    if h % grid or w % grid:
        raise ValueError(f"image side {h}x{w} is not a multiple of grid={grid}")
    th, tw = h // grid, w // grid
    tiles = x.reshape(n, grid, th, grid, tw, c).transpose(0, 1, 3, 2, 4, 5).reshape(n, grid * grid, th, tw, c)
    rng = np.random.default_rng(seed)
    out = np.stack([t[rng.permutation(grid * grid)] for t in tiles])
    return out.reshape(n, grid, grid, th, tw, c).transpose(0, 1, 3, 2, 4, 5).reshape(n, h, w, c)


def marginal_histograms(images: np.ndarray, bins: int = 16) -> np.ndarray:
    """Histograms of R, G, B and of H, S, V seen apart, ``bins`` each, each normalised to sum 1.

    Returns
    -------
    numpy.ndarray
        (N, 6 * bins) float32.
    """
    feats = []
    for img in np.asarray(images, np.uint8):
        hsv = rgb2hsv(img)
        parts = [np.histogram(img[..., k], bins=bins, range=(0, 256))[0] for k in range(3)]
        parts += [np.histogram(hsv[..., k], bins=bins, range=(0, 1))[0] for k in range(3)]
        feats.append(np.concatenate([p / max(1, p.sum()) for p in parts]))
    return np.asarray(feats, np.float32).reshape(len(feats), 6 * bins)


def texture_histograms(images: np.ndarray) -> np.ndarray:
    """Uniform LBP codes (P = 8, R = 1) of each grey image, counted in their 10 bins, normalised.

    Returns
    -------
    numpy.ndarray
        (N, 10) float32.
    """
    def counts(img: np.ndarray) -> np.ndarray:
        codes = local_binary_pattern((rgb2gray(img) * 255).astype(np.uint8), P=8, R=1, method="uniform")
        return np.histogram(codes, bins=10, range=(0, 10))[0]

    return _normalised_counts(images, counts, 10)


def joint_rgb_histograms(images: np.ndarray) -> np.ndarray:
    """Each pixel in one of 8 x 8 x 8 = 512 colour cells (8 bins per channel counted together, so
    "red and dark" differs from "red" and "dark" seen apart), normalised to sum 1.

    Returns
    -------
    numpy.ndarray
        (N, 512) float32.
    """
    def counts(img: np.ndarray) -> np.ndarray:
        cell = (img[..., 0] // 32).astype(np.int32) * 64 + (img[..., 1] // 32) * 8 + img[..., 2] // 32
        return np.bincount(cell.ravel(), minlength=512)

    return _normalised_counts(images, counts, 512)


def _normalised_counts(images: np.ndarray, counts, width: int) -> np.ndarray:
    """``counts(image)`` for each ``uint8`` image, each row divided by its sum: (N, width) float32."""
    rows = [c / max(1, c.sum()) for c in map(counts, np.asarray(images, np.uint8))]
    return np.asarray(rows, np.float32).reshape(len(rows), width)


def colour_features(images: np.ndarray, bins: int = 16, lbp: bool = True) -> np.ndarray:
    """Colour histograms (RGB and HSV, ``bins`` per channel) and an optional LBP texture histogram.

    In the spirit of Chow & Reyes-Aldasoro (Minerals 2022): every histogram is
    normalised to sum 1, so image size does not matter.

    Returns
    -------
    numpy.ndarray
        (N, 6 * bins [+ 10]) float32 features: :func:`marginal_histograms`, then
        :func:`texture_histograms`.
    """
    parts = [marginal_histograms(images, bins)] + ([texture_histograms(images)] if lbp else [])
    return np.concatenate(parts, axis=1)


def chow_features(images: np.ndarray, lbp: bool = True) -> np.ndarray:
    """Chow & Reyes-Aldasoro's (Minerals 2022) winning features: a *joint* RGB histogram.

    Returns
    -------
    numpy.ndarray
        (N, 512 [+ 10]) float32 features: :func:`joint_rgb_histograms`, then with ``lbp``
        :func:`texture_histograms`.
    """
    parts = [joint_rgb_histograms(images)] + ([texture_histograms(images)] if lbp else [])
    return np.concatenate(parts, axis=1)


#: Trees :func:`forest_probabilities` holds at once.
TREES_AT_ONCE = 10


def forest_probabilities(
    train_features: np.ndarray, train_labels: np.ndarray, test_features: np.ndarray,
    seed: int = 0, n_estimators: int = 100,
) -> np.ndarray:
    """A random forest fitted on ``train_features``; class probabilities for ``test_features``.

    Returns
    -------
    numpy.ndarray
        (N_test, max label + 1) float32; a class absent from training gets probability 0.
    """
    from sklearn.ensemble import RandomForestClassifier

    # A tree of 87 classes stores 87 probabilities at each of its thousands of nodes: 100 trees
    # hold about 200 MiB. So the forest grows TREES_AT_ONCE trees at a time (warm_start draws the
    # same tree seeds as one fit), each batch's probabilities are added up in scikit-learn's
    # order and its trees let go: the same probabilities, bit for bit, for a tenth of the memory.
    # One job: with two, each thread kept its own memory (benchmarks/README.md).
    forest = RandomForestClassifier(n_estimators=0, random_state=seed, n_jobs=1, warm_start=True)
    test_features = np.ascontiguousarray(test_features, np.float32)  # what the trees read
    for grown in range(0, n_estimators, TREES_AT_ONCE):
        forest.n_estimators = min(n_estimators, grown + TREES_AT_ONCE)
        forest.fit(train_features, train_labels)
        if grown == 0:
            proba = np.zeros((len(test_features), forest.n_classes_))
        for k in range(grown, forest.n_estimators):
            proba += forest.estimators_[k].predict_proba(test_features)
            forest.estimators_[k] = None  # warm_start only counts the trees grown so far
    proba /= n_estimators
    full = np.zeros((len(test_features), int(max(train_labels.max(), 0)) + 1), np.float32)
    full[:, forest.classes_] = proba
    return full


def histogram_baseline(
    train_images: np.ndarray,
    train_labels: np.ndarray,
    test_images: np.ndarray,
    lbp: bool = True,
    seed: int = 0,
    n_estimators: int = 100,
    features=None,
) -> np.ndarray:
    """Random forest on colour features; returns class probabilities for the test images.

    Parameters
    ----------
    train_images, train_labels, test_images : numpy.ndarray
        Decoded images and labels.
    lbp : bool
        Append the LBP texture histogram.
    seed : int
        Forest seed.
    n_estimators : int
        Trees (scikit-learn's default, 100). A forest of 87-class trees stores a probability
        per class at every node: 500 trees cost well over a gigabyte.
    features : callable, optional
        ``(images, lbp=) -> (N, F)``; default :func:`colour_features` (marginal histograms),
        :func:`chow_features` for the joint RGB histogram.
    """
    features = features or colour_features
    return forest_probabilities(features(train_images, lbp=lbp), train_labels,
                                features(test_images, lbp=lbp), seed=seed, n_estimators=n_estimators)


def blend_weight(
    cnn_probs: np.ndarray, other_probs: np.ndarray, labels: np.ndarray, grid: np.ndarray | None = None
) -> tuple[float, pd.DataFrame]:
    """The weight ``w`` of ``w * cnn + (1 - w) * other`` that is most accurate on ``labels``.

    Meant for the validation split: the weight is chosen there, then applied to the test set.
    Ties go to the larger ``w`` (the CNN alone wins a tie).

    Returns
    -------
    weight : float
    table : pandas.DataFrame
        ``weight`` and ``accuracy`` for every weight of ``grid`` (default 0, 0.1, ..., 1).
    """
    grid = np.linspace(0, 1, 11) if grid is None else np.asarray(grid)
    acc = [float(((w * cnn_probs + (1 - w) * other_probs).argmax(1) == labels).mean()) for w in grid]
    table = pd.DataFrame({"weight": grid, "accuracy": acc})
    best = max(range(len(grid)), key=lambda i: (acc[i], grid[i]))
    return float(grid[best]), table


# The row names of :func:`colour_experiments` as notebook 04 writes them, each starting with the
# letter of its experiment (a to e).
LESSON_NAMES = {
    "original": "original",
    "greyscale": "a: greyscale",
    "hue rotated 90°": "b: hue rotated 90°",
    "hue rotated 180°": "b: hue rotated 180°",
    "patches shuffled 4×4": "c: tiles shuffled 4 × 4",
    "colour histogram + LBP forest": "d: separate-histogram forest + LBP",
    "colour histogram forest (no LBP)": "d: separate-histogram forest, no LBP",
    "joint RGB histogram + LBP forest (Chow)": "e: Chow forest (joint RGB + LBP)",
    "joint RGB histogram forest (Chow)": "e: Chow forest without LBP",
    "CNN + Chow forest, averaged": "e + CNN: CNN and Chow forest averaged",
}


def colour_experiments(model, data, seed: int = 0) -> pd.DataFrame:
    """Top-1 (and top-5) with 95 % intervals on the test set under each colour experiment.

    Parameters
    ----------
    model : keras.Model
        The colour-trained CNN (takes 0-255 RGB).
    data : gemlib.data.Dataset
        With decoded train, validation and test splits.
    seed : int
        Patch-shuffle, forest and bootstrap seed.

    Returns
    -------
    pandas.DataFrame
        Rows: original, greyscale, hue +90, hue +180, patch shuffle 4x4, colour
        histogram + LBP forest, colour histogram forest, and Chow & Reyes-Aldasoro's joint RGB
        histogram forest with and without LBP, and the CNN's and Chow's forest's probabilities
        averaged with the weight validation prefers (:func:`blend_weight`, stored in
        ``table.attrs["blend_weight"]``); columns ``experiment``, ``key``, ``top1``,
        ``top1_low``, ``top1_high``, ``top5``, ``p_vs_cnn`` (McNemar's exact p-value for the
        difference from the CNN on the same images, :func:`gemlib.evaluate.mcnemar`),
        ``only_cnn_right`` and ``only_this_right`` (the discordant images).
    """
    from gemlib.evaluate import bootstrap_ci, mcnemar, predict_logits, softmax, topk_correct

    x, y = data.test.images, data.test.labels
    # each histogram once per split (the LBP and HSV passes are the slow part), then four forests
    val_test = np.concatenate([data.val.images, x])
    texture = {"train": texture_histograms(data.train.images), "val_test": texture_histograms(val_test)}
    joint = {"train": joint_rgb_histograms(data.train.images), "val_test": joint_rgb_histograms(val_test)}
    marginal = {"train": marginal_histograms(data.train.images), "test": marginal_histograms(x)}
    n_val, labels = len(data.val), data.train.labels

    def forest(train_features, test_features):
        return forest_probabilities(train_features, labels, test_features, seed=seed)

    runs = {
        ("original", "original_top1"): lambda: predict_logits(model, x),
        ("greyscale", "greyscale_top1"): lambda: predict_logits(model, to_greyscale(x)),
        ("hue rotated 90°", "hue_rotated_top1"): lambda: predict_logits(model, rotate_hue(x, 90)),
        ("hue rotated 180°", "hue_rotated_180_top1"): lambda: predict_logits(model, rotate_hue(x, 180)),
        ("patches shuffled 4×4", "patch_shuffled_top1"): lambda: predict_logits(model, shuffle_patches(x, 4, seed)),
        ("colour histogram + LBP forest", "colour_histogram_top1"): lambda: forest(
            np.hstack([marginal["train"], texture["train"]]), np.hstack([marginal["test"], texture["val_test"][n_val:]])),
        ("colour histogram forest (no LBP)", "colour_only_histogram_top1"): lambda: forest(
            marginal["train"], marginal["test"]),
        ("joint RGB histogram + LBP forest (Chow)", "chow_rgb_lbp_top1"): lambda: chow[n_val:],
        ("joint RGB histogram forest (Chow)", "chow_rgb_top1"): lambda: forest(
            joint["train"], joint["val_test"][n_val:]),
        ("CNN + Chow forest, averaged", "cnn_plus_chow_top1"): lambda: blended,
    }
    # Chow's forest scores validation and test at once; validation chooses the blend's weight
    chow = forest(np.hstack([joint["train"], texture["train"]]), np.hstack([joint["val_test"], texture["val_test"]]))
    cnn_val = softmax(predict_logits(model, data.val.images))
    weight, _ = blend_weight(cnn_val, chow[:n_val], data.val.labels)
    blended = weight * softmax(predict_logits(model, x)) + (1 - weight) * chow[n_val:]
    rows, cnn_right = [], None
    for (name, key), run in runs.items():
        scores = run()
        right = topk_correct(scores, y, 1)
        cnn_right = right if cnn_right is None else cnn_right  # the first row is the CNN itself
        m, lo, hi = bootstrap_ci(right, seed=seed)
        vs_cnn = mcnemar(cnn_right, right)
        rows.append({"experiment": name, "key": key, "top1": m, "top1_low": lo, "top1_high": hi,
                     "top5": float(topk_correct(scores, y, 5).mean()), "p_vs_cnn": vs_cnn["p_value"],
                     "only_cnn_right": vs_cnn["a_only"], "only_this_right": vs_cnn["b_only"]})
    table = pd.DataFrame(rows)
    table.attrs["blend_weight"] = weight  # the CNN's weight in the blend, chosen on validation
    return table


def run_colour_experiments(model_path: str = "models/gemstones.keras", data_root=None, write_card: bool = True) -> pd.DataFrame:
    """Load the shipped model and its data, run :func:`colour_experiments`, store the figures in its card."""
    from gemlib import card as cards

    card = cards.load_card(model_path)
    data = cards.load_data(card, splits=("train", "val", "test"), root=data_root)
    model, card = cards.load_model(model_path, data.classes)
    table = colour_experiments(model, data)
    if write_card:
        evaluation = dict(card.get("evaluation", {}))
        for row in table.itertuples():
            evaluation[row.key] = round(float(row.top1), 6)
            evaluation[row.key.replace("top1", "top1_ci95")] = [round(row.top1_low, 6), round(row.top1_high, 6)]
            evaluation[row.key.replace("top1", "top5")] = round(float(row.top5), 6)
            if row.key != "original_top1":
                evaluation[row.key.replace("top1", "p_vs_cnn")] = float(f"{row.p_vs_cnn:.3g}")
        evaluation["cnn_plus_chow_weight"] = round(table.attrs["blend_weight"], 2)
        evaluation["command"] = f"python -m gemlib colour --model {model_path}"
        cards.update_card(model_path, evaluation=evaluation)
    return table


def class_colour_stats(images: np.ndarray, labels: np.ndarray, classes: list[str]) -> pd.DataFrame:
    """Mean colour of each class: circular mean hue (degrees), saturation, value, mean RGB.

    Pixels close to white (value > 0.92 and saturation < 0.08) are ignored, so the
    common white photo backgrounds do not wash every class out to grey.
    """
    rows = []
    for k, name in enumerate(classes):
        px = np.asarray(images[labels == k], np.uint8).reshape(-1, 3)
        if len(px) == 0:
            continue
        hsv = rgb2hsv(px[None])[0]
        keep = ~((hsv[:, 2] > 0.92) & (hsv[:, 1] < 0.08))
        hsv, px = (hsv[keep], px[keep]) if keep.any() else (hsv, px)
        angle = hsv[:, 0] * 2 * np.pi
        weight = hsv[:, 1]  # grey pixels carry no hue
        hue = np.degrees(np.arctan2((weight * np.sin(angle)).sum(), (weight * np.cos(angle)).sum())) % 360
        rows.append({"label": name, "hue": hue, "saturation": float(hsv[:, 1].mean()),
                     "value": float(hsv[:, 2].mean()), "mean_r": float(px[:, 0].mean()),
                     "mean_g": float(px[:, 1].mean()), "mean_b": float(px[:, 2].mean())})
    return pd.DataFrame(rows)


def class_palettes(
    images: np.ndarray, labels: np.ndarray, classes: list[str], k: int = 6, seed: int = 0,
    threads: int | None = 1,
) -> dict[str, np.ndarray]:
    """Dominant colours of each class: k-means (scikit-learn) on its pixels, most frequent first.

    ``threads`` caps k-means' threads (None: the libraries' default, one per core). One is the
    default: 4,000 pixels are too few to share out, and when something else keeps the cores busy,
    k-means' threads spend their time waiting for each other (``benchmarks/palettes_under_load.py``).

    Returns
    -------
    dict
        ``label -> (k, 3) uint8``.
    """
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(seed)
    out = {}
    with threadpool_limits(limits=threads):
        for c, name in enumerate(classes):
            px = np.asarray(images[labels == c], np.float32).reshape(-1, 3)
            if len(px) == 0:
                continue
            px = px[rng.choice(len(px), size=min(len(px), 4000), replace=False)]
            km = KMeans(n_clusters=k, n_init=2, random_state=seed).fit(px)
            order = np.argsort(-np.bincount(km.labels_, minlength=k))
            out[name] = np.clip(km.cluster_centers_[order] + 0.5, 0, 255).astype(np.uint8)
    return out
