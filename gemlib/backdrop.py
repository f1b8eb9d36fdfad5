"""A test by intervention: a rough mask of the stone, the map's mass on it, the backdrop replaced.

A saliency map seems to say "the model looks at the stone". Two ways to put that to the test:
count how much of the map's mass lies on the stone against the share of the frame the stone
covers (what a map would put there by chance), and replace everything but the stone with a plain
colour and see whether the model's score moves, paired photo by photo.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.ndimage import binary_fill_holes
from skimage.color import rgb2lab
from skimage.filters import threshold_otsu
from skimage.measure import label
from skimage.morphology import closing, disk, opening

from gemlib.data import DataError
from gemlib.evaluate import mcnemar, predict_logits, softmax
from gemlib.saliency_report import paired, summary

#: A mask covering less than the first or more than the second share of the frame has failed
#: (no stone found, or the stone fills the frame, or the backdrop was taken for the stone).
MASK_SHARE_LIMITS = (0.05, 0.95)

#: Mid grey, the plain backdrop of the intervention.
GREY = (128, 128, 128)


def _image(image: np.ndarray) -> np.ndarray:
    x = np.asarray(image)
    if x.ndim != 3 or x.shape[-1] != 3:
        raise DataError(f"image of shape {x.shape}: expected one (H, W, 3) RGB photo, values 0-255.")
    return x


def _border(shape: tuple[int, ...], band: int) -> np.ndarray:
    """(H, W) bool: the band of ``band`` pixels along the frame's four edges."""
    h, w = shape[:2]
    if not 0 < band < min(h, w) / 2:
        raise DataError(f"band={band} for a {h}x{w} photo: pass a border band of 1 to "
                        f"{(min(h, w) - 1) // 2} pixels (more than 0, less than half the shorter side).")
    edge = np.ones((h, w), bool)
    edge[band:-band, band:-band] = False
    return edge


def border_colour(image: np.ndarray, band: int = 4) -> np.ndarray:
    """Median colour of the band of ``band`` pixels along the frame's four edges: the backdrop."""
    x = _image(image).astype(np.float64)
    return np.median(x[_border(x.shape, band)], axis=0)


def colour_distance(image: np.ndarray, band: int = 4) -> np.ndarray:
    """(H, W) distance of every pixel's colour from the backdrop's (CIE Lab, Euclidean: ΔE 1976)."""
    x = _image(image).astype(np.float64) / 255.0
    lab = rgb2lab(x)
    ref = rgb2lab(border_colour(image, band)[None, None] / 255.0)[0, 0]
    return np.sqrt(((lab - ref) ** 2).sum(-1))


def mask_steps(image: np.ndarray, band: int = 4, radius: int = 2) -> dict:
    """Every intermediate step of :func:`stone_mask`, for drawing the recipe.

    Parameters
    ----------
    image : numpy.ndarray
        (H, W, 3) photo, values 0-255.
    band, radius : int
        As in :func:`stone_mask`.

    Returns
    -------
    dict
        ``border`` (H, W) bool, the band that samples the backdrop; ``backdrop`` (3,) its median
        colour; ``distance`` (H, W) colour distance from it (CIE Lab); ``threshold`` Otsu's cut
        (``nan`` when the photo has one colour); ``marked`` the pixels beyond the cut;
        ``cleaned`` after opening, closing and filling holes; ``mask`` its largest region.
    """
    border = _border(_image(image).shape, band)
    distance = colour_distance(image, band)
    steps = {"border": border, "backdrop": border_colour(image, band), "distance": distance}
    if np.ptp(distance) < 1e-6:
        empty = np.zeros(distance.shape, bool)
        return steps | {"threshold": float("nan"), "marked": empty, "cleaned": empty, "mask": empty}
    threshold = float(threshold_otsu(distance))
    marked = distance > threshold
    cleaned = binary_fill_holes(closing(opening(marked, disk(radius)), disk(radius)))
    regions = label(cleaned)
    if regions.max() == 0:
        mask = cleaned.astype(bool)
    else:
        sizes = np.bincount(regions.ravel())
        sizes[0] = 0
        mask = regions == sizes.argmax()
    return steps | {"threshold": threshold, "marked": marked, "cleaned": cleaned, "mask": mask}


def stone_mask(image: np.ndarray, band: int = 4, radius: int = 2) -> np.ndarray:
    """A rough (H, W) boolean mask of the stone.

    The backdrop's colour is the median of a band along the frame's edges; pixels whose colour is
    far from it (Otsu's threshold on the colour distance) are marked, the mark is cleaned by a
    morphological opening and closing with a disc of ``radius`` pixels, its holes are filled, and
    only its largest connected region is kept (each step: :func:`mask_steps`).

    Parameters
    ----------
    image : numpy.ndarray
        (H, W, 3) photo, values 0-255.
    band : int
        Width in pixels of the border band that samples the backdrop.
    radius : int
        Radius of the disc used to open and close the mask.

    Returns
    -------
    numpy.ndarray
        (H, W) bool, True on the stone; all False when the photo has one colour only.
    """
    return mask_steps(image, band, radius)["mask"]


def mask_failed(mask: np.ndarray, limits: tuple[float, float] = MASK_SHARE_LIMITS) -> bool:
    """True when the mask covers less than ``limits[0]`` or more than ``limits[1]`` of the frame."""
    share = float(np.mean(mask))
    return not limits[0] <= share <= limits[1]


def mass_on_mask(heatmap: np.ndarray, mask: np.ndarray) -> float:
    """Share of a non-negative (H, W) map's total that lies on the mask (0 for an empty map)."""
    h = np.asarray(heatmap, np.float64)
    if h.shape != np.shape(mask):
        raise DataError(f"heatmap of shape {h.shape} and mask of shape {np.shape(mask)}: "
                        "they must be the same (H, W).")
    if (h < 0).any():
        raise DataError("heatmap has negative values: pass a map of magnitudes "
                        "(np.abs(attribution).sum(-1) or explain.to_heatmap).")
    total = h.sum()
    return float(h[np.asarray(mask, bool)].sum() / total) if total > 0 else 0.0


def backdrop_mean_colour(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean colour (3,) of the photo's pixels off the mask: its own backdrop, averaged."""
    x = _image(image).astype(np.float64)
    off = ~np.asarray(mask, bool)
    return x[off].mean(axis=0) if off.any() else x.reshape(-1, 3).mean(axis=0)


def replace_backdrop(image: np.ndarray, mask: np.ndarray, colour=GREY) -> np.ndarray:
    """The photo with every pixel off the mask set to one plain ``colour`` (RGB 0-255)."""
    x = _image(image)
    m = np.asarray(mask, bool)
    if m.shape != x.shape[:2]:
        raise DataError(f"mask of shape {m.shape} for an image of shape {x.shape}: "
                        "the mask must be the image's (H, W).")
    fill = np.clip(np.round(np.asarray(colour, np.float64)), 0, 255).astype(x.dtype)
    return np.where(m[..., None], x, fill).astype(x.dtype)


def map_mass(heatmaps: np.ndarray, masks: np.ndarray) -> pd.DataFrame:
    """Per map: its mass on the mask, the mask's share of the frame, and their difference.

    A map that ignored the stone would put on it about the stone's share of the frame; ``excess``
    (mass minus share) says how much more (or less) it puts there.

    Returns
    -------
    pandas.DataFrame
        ``image``, ``mass_on_stone``, ``stone_share``, ``excess``, ``mask_failed``.
    """
    rows = []
    for i, (h, m) in enumerate(zip(heatmaps, masks)):
        mass, share = mass_on_mask(h, m), float(np.mean(m))
        rows.append({"image": i, "mass_on_stone": mass, "stone_share": share,
                     "excess": mass - share, "mask_failed": mask_failed(m)})
    return pd.DataFrame(rows)


def backdrop_change(model, images: np.ndarray, labels: np.ndarray, masks: np.ndarray | None = None,
                    colour: str | tuple = "grey") -> pd.DataFrame:
    """Each photo scored before and after its backdrop is replaced by a plain colour.

    Parameters
    ----------
    model : keras.Model
        Outputs logits; takes pixel values 0-255.
    images : numpy.ndarray
        (N, H, W, 3) photos.
    labels : numpy.ndarray
        True classes (N,).
    masks : numpy.ndarray, optional
        (N, H, W) stone masks; default :func:`stone_mask` of each photo.
    colour : "grey", "own mean" or an RGB triple
        The new backdrop: mid grey, the photo's own backdrop colour averaged, or any colour.

    Returns
    -------
    pandas.DataFrame
        One row per photo: ``image``, ``stone_share``, ``mask_failed``, ``predicted`` (class
        predicted on the original), ``p_before`` and ``p_after`` (that class's probability on the
        original and on the replaced photo), ``change`` (after minus before), ``right_before``,
        ``right_after`` (top-1 correct).
    """
    images = np.asarray(images)
    if masks is None:
        masks = np.stack([stone_mask(x) for x in images])
    if isinstance(colour, str) and colour not in ("grey", "own mean"):
        raise DataError(f"backdrop colour {colour!r}: use 'grey', 'own mean' or an RGB triple.")
    replaced = []
    for x, m in zip(images, masks):
        if colour == "own mean":
            fill = backdrop_mean_colour(x, m)
        else:
            fill = GREY if colour == "grey" else colour
        replaced.append(replace_backdrop(x, m, fill))
    before = softmax(predict_logits(model, images))
    after = softmax(predict_logits(model, np.stack(replaced)))
    predicted = before.argmax(1)
    rows = np.arange(len(images))
    return pd.DataFrame({
        "image": rows,
        "stone_share": [float(np.mean(m)) for m in masks],
        "mask_failed": [mask_failed(m) for m in masks],
        "predicted": predicted,
        "p_before": before[rows, predicted],
        "p_after": after[rows, predicted],
        "change": after[rows, predicted] - before[rows, predicted],
        "right_before": predicted == np.asarray(labels),
        "right_after": after.argmax(1) == np.asarray(labels),
    })


def change_summary(table: pd.DataFrame, seed: int = 0) -> dict:
    """The paired test of :func:`backdrop_change`'s table, on the photos whose mask did not fail.

    Returns
    -------
    dict
        ``n_photos``, ``n_mask_failed``, ``p_before`` and ``p_after`` (means with 95 % bootstrap
        intervals), ``change`` (mean after minus before, interval, Wilcoxon signed-rank p),
        ``accuracy_before``, ``accuracy_after`` and ``mcnemar`` (after against before).
    """
    kept = table[~table["mask_failed"]]
    return {
        "n_photos": int(len(kept)),
        "n_mask_failed": int(table["mask_failed"].sum()),
        "p_before": summary(kept["p_before"].to_numpy(), seed),
        "p_after": summary(kept["p_after"].to_numpy(), seed),
        "change": paired(kept["p_after"].to_numpy(), kept["p_before"].to_numpy(), seed),
        "accuracy_before": round(float(kept["right_before"].mean()), 4),
        "accuracy_after": round(float(kept["right_after"].mean()), 4),
        "mcnemar": mcnemar(kept["right_after"].to_numpy(), kept["right_before"].to_numpy()),
    }


def mass_summary(table: pd.DataFrame, seed: int = 0) -> dict:
    """Mean mass on the stone, stone share and excess (paired, Wilcoxon) over unfailed masks."""
    kept = table[~table["mask_failed"]]
    return {
        "n_photos": int(len(kept)),
        "n_mask_failed": int(table["mask_failed"].sum()),
        "mass_on_stone": summary(kept["mass_on_stone"].to_numpy(), seed),
        "stone_share": summary(kept["stone_share"].to_numpy(), seed),
        "excess": paired(kept["mass_on_stone"].to_numpy(), kept["stone_share"].to_numpy(), seed),
    }


def backdrop_report(model, images: np.ndarray, labels: np.ndarray, map_images: np.ndarray,
                    n_samples: int = 20, noise: float = 0.15, seed: int = 0) -> dict:
    """The intervention on every photo and VarGrad's mass on the stone on a sample of them.

    Parameters
    ----------
    model : keras.Model
        Outputs logits.
    images, labels : numpy.ndarray
        All the test photos and their classes.
    map_images : numpy.ndarray
        Indices of the photos whose VarGrad maps are drawn (maps cost a few seconds each).
    n_samples, noise, seed : int, float, int
        VarGrad's settings and the noise and bootstrap seed.

    Returns
    -------
    dict
        ``mask_share_limits``, ``grey`` and ``own_mean`` (:func:`change_summary` of each
        backdrop), ``map_mass`` (:func:`mass_summary` of VarGrad's heatmaps, as drawn) and
        ``settings``.
    """
    from gemlib.explain import predicted_classes, to_heatmap, vargrad

    masks = np.stack([stone_mask(x) for x in images])
    report = {"mask_share_limits": list(MASK_SHARE_LIMITS)}
    for key, colour in (("grey", "grey"), ("own_mean", "own mean")):
        report[key] = change_summary(backdrop_change(model, images, labels, masks, colour), seed)
    picked = images[map_images]
    heat = to_heatmap(vargrad(model, picked, predicted_classes(model, picked), n_samples=n_samples,
                              noise=noise, seed=seed))
    report["map_mass"] = mass_summary(map_mass(heat, masks[map_images]), seed)
    report["settings"] = {"n_samples": n_samples, "noise": noise, "seed": seed,
                          "map": "VarGrad heatmap as drawn (explain.to_heatmap)"}
    return report
