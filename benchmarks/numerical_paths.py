"""How far the model's figures move between TensorFlow's numerical paths (issue 23).

TensorFlow runs a convolution on oneDNN (x86, with or without AVX-512), on Eigen
(``TF_ENABLE_ONEDNN_OPTS=0``) or on other kernels elsewhere; the results differ in the last bits.
This script computes, on one path, the figures the notebooks print from the model's arithmetic:
every shipped model's logits on its validation and test photos (one view and the test-time
augmentation its card chose; for the gemstones also greyscale, hue-turned and tile-shuffled),
VarGrad maps of notebook 05's six photos, and the deletion and insertion areas of notebook
06's eight (black and blur). Run it on two paths, then compare:

    python benchmarks/numerical_paths.py compute /tmp/on.npz
    TF_ENABLE_ONEDNN_OPTS=0 python benchmarks/numerical_paths.py compute /tmp/off.npz
    python benchmarks/numerical_paths.py compare /tmp/on.npz /tmp/off.npz

``compare`` prints, per figure, the largest difference between the paths and, for logits, how
many top-1 predictions flipped and top-5 sets changed, and the closest call (the smallest gap
between a photo's first and second, or fifth and sixth, logits): a prediction can flip only
where that gap is within the paths' difference.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd


def compute(out: str) -> None:
    from gemlib import card, colour, data, explain, sanity
    from gemlib.evaluate import predict_logits

    figures: dict[str, np.ndarray] = {}
    for name in ("gemstones", "architecture_scratch", "architecture_transfer"):
        path = data.PROJECT_ROOT / "models" / f"{name}.keras"
        model_card = card.load_card(path)
        split = card.load_data(model_card, splits=("val", "test"))
        model, _ = card.load_model(path, split.classes)
        figures[f"logits {name} val"] = predict_logits(model, split.val.images)
        figures[f"logits {name} test"] = predict_logits(model, split.test.images)
        tta = model_card["tta"]["chosen_on_validation"]
        figures[f"logits {name} test, {tta}"] = predict_logits(model, split.test.images, tta=tta)
        if name == "gemstones":  # notebook 04's colour experiments
            test = split.test.images
            for label, changed in (("greyscale", colour.to_greyscale(test)),
                                   ("hue 90", colour.rotate_hue(test, 90)),
                                   ("hue 180", colour.rotate_hue(test, 180)),
                                   ("tiles shuffled", colour.shuffle_patches(test, 4))):
                figures[f"logits gemstones test, {label}"] = predict_logits(model, changed)
            # notebook 05's photos and settings
            pick = np.random.default_rng(0).choice(len(split.test), size=6, replace=False)
            images = split.test.images[pick]
            targets = explain.predicted_classes(model, images)
            figures["VarGrad maps (6 photos)"] = explain.vargrad(model, images, targets, seed=0)
            # notebook 06's eight photos for deletion and insertion
            sample = np.random.default_rng(1).choice(len(split.test), size=8, replace=False)
            f_images = split.test.images[sample]
            f_targets = explain.predicted_classes(model, f_images)
            for fill in ("black", "blur"):
                areas, _ = sanity.faithfulness(model, f_images, f_targets, n_samples=50, noise=0.15,
                                               seed=0, fill=fill)
                means = areas.groupby("method")[["deletion_auc", "insertion_auc"]].mean()
                figures[f"deletion/insertion areas ({fill})"] = means.to_numpy()
    np.savez(out, **figures)
    print(f"{len(figures)} figures written to {out}")


def compare(a: str, b: str) -> pd.DataFrame:
    """One row per figure: the largest difference between two paths and, for logits, flips."""
    first, second = np.load(a), np.load(b)
    rows = []
    for key in first.files:
        x, y = first[key], second[key]
        row = {"figure": key, "max |difference|": float(np.abs(x - y).max()),
               "max |value|": float(np.abs(x).max())}
        if key.startswith("logits"):
            ranked = np.sort(x, axis=1)[:, ::-1]
            top5 = np.argsort(-x, axis=1)[:, :5], np.argsort(-y, axis=1)[:, :5]
            row["top-1 flipped"] = int((x.argmax(1) != y.argmax(1)).sum())
            row["top-5 sets changed"] = int((np.sort(top5[0], 1) != np.sort(top5[1], 1)).any(1).sum())
            gap = min((ranked[:, 0] - ranked[:, 1]).min(), (ranked[:, 4] - ranked[:, 5]).min())
            row["closest call (logit gap)"] = float(gap)
            row["closest call / difference"] = float(gap) / max(row["max |difference|"], 1e-12)
        rows.append(row)
    return pd.DataFrame(rows).set_index("figure")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "compute":
        compute(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        with pd.option_context("display.width", 160, "display.float_format", "{:.3g}".format):
            print(compare(sys.argv[2], sys.argv[3]).to_string())
    else:
        sys.exit("usage: numerical_paths.py compute OUT.npz | compare A.npz B.npz")
