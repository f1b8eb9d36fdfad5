"""Notebook 03's watched run, longer and twice: with and without augmentation, two seeds each.

    python tools/watched_pair.py [--epochs 30] [--out docs/history/watched_pair.json]

The notebook trains the watched recipe (10 classes at 64 px, batch 16) for 8 epochs, too few for
training to pull away from validation. This trains the same recipe for ``--epochs`` epochs with
the shipped augmentation and with ``augment=None``, seeds 0 and 1 (a claim about a recipe needs
more than one run of it), and writes every run's history to one JSON file that notebook 03
plots. Validation photos only; the test photos are not loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

#: The ten classes of notebook 03's watched run.
WATCH_CLASSES = ["Amethyst", "Citrine", "Emerald", "Lapis Lazuli", "Malachite", "Onyx Black",
                 "Pearl", "Ruby", "Sapphire Blue", "Turquoise"]


def watched_net(num_classes: int):
    """Notebook 03's watched network: the lesson's ResNet at 64 px, BatchNorm momentum 0.9."""
    import keras

    from gemlib import models

    net = models.build_resnet(num_classes=num_classes, image_size=64)
    for layer in net.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = 0.9
    return net


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--out", type=Path, default=REPO / "docs" / "history" / "watched_pair.json")
    a = p.parse_args(argv)
    from gemlib import data, train

    gems = data.load_dataset("gemstones", image_size=128, val_fraction=0.1, seed=0, splits=("val",))
    few = data.load_dataset("gemstones", image_size=64, files=gems.files(),
                            keep_classes=WATCH_CLASSES, splits=("train", "val"))
    runs = []
    for augmented in (True, False):
        for seed in a.seeds:
            kwargs = {} if augmented else {"augment": None}
            config = train.TrainConfig(image_size=64, epochs=a.epochs, batch_size=16,
                                       warmup_epochs=1, ema_decay=0, patience=a.epochs,
                                       seed=seed, **kwargs)
            _, history, seconds = train.train(config, few, tempfile.mkdtemp(),
                                              model=watched_net(len(WATCH_CLASSES)), verbose=0)
            runs.append({"augmented": augmented, "seed": seed, "seconds": round(seconds, 1),
                         "history": history[["epoch", "loss", "accuracy", "val_loss",
                                             "val_accuracy"]].to_dict(orient="list")})
            last = history.tail(5)[["accuracy", "val_accuracy"]].mean()
            print(f"augmented={augmented} seed={seed}: last 5 epochs training "
                  f"{last['accuracy']:.3f}, validation {last['val_accuracy']:.3f} ({seconds:.0f} s)",
                  flush=True)
    record = {"command": "python tools/watched_pair.py " + " ".join(argv or sys.argv[1:]),
              "classes": WATCH_CLASSES, "image_size": 64, "epochs": a.epochs,
              "n_train": len(few.train), "n_val": len(few.val), "runs": runs}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(record, indent=1))
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
