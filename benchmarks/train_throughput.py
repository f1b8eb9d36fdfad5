"""Training throughput: input pipeline alone and full train steps, with peak memory.

Usage: python benchmarks/train_throughput.py [--image-size 128] [--batch-size 32] [--batches 30]

Prints images/s for the tf.data pipeline without and with augmentation, for
train steps on cached tensors (no augmentation: the baseline) and for the real
pipeline (augmentation in tf.data), their ratio, and the process's peak
resident memory, and the train steps of one epoch of the shipped model's training photos (the
validation pass and checkpoints of a real epoch come on top). Uses random images of the real
shape, so no data is needed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from gemlib.augment import AugmentConfig  # noqa: E402
from gemlib.data import Split  # noqa: E402
from gemlib.models import build_resnet  # noqa: E402
from gemlib.train import TrainConfig, compile_model, make_tf_dataset  # noqa: E402


def images_per_second(ds, n_batches: int, batch_size: int) -> float:
    it = iter(ds.repeat())
    next(it)
    t = time.perf_counter()
    for _ in range(n_batches):
        next(it)
    return n_batches * batch_size / (time.perf_counter() - t)


def train_rate(model, ds, n_batches: int, batch_size: int) -> float:
    model.fit(ds.take(3), epochs=1, verbose=0)  # trace and warm up
    t = time.perf_counter()
    model.fit(ds.repeat().take(n_batches), epochs=1, verbose=0)
    return n_batches * batch_size / (time.perf_counter() - t)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--image-size", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--batches", type=int, default=30)
    a = p.parse_args()
    n = a.batch_size * 8
    rng = np.random.default_rng(0)
    split = Split(rng.integers(0, 256, (n, a.image_size, a.image_size, 3), dtype=np.uint8),
                  rng.integers(0, 87, n).astype(np.int32))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"image {a.image_size} px, batch {a.batch_size}")
    plain = make_tf_dataset(split, 87, a.batch_size, training=True, augment=None)
    augmented = make_tf_dataset(split, 87, a.batch_size, training=True, augment=AugmentConfig())
    p0 = images_per_second(plain, a.batches * 3, a.batch_size)
    p1 = images_per_second(augmented, a.batches, a.batch_size)
    print(f"pipeline alone, no augmentation : {p0:8.1f} images/s")
    print(f"pipeline alone, augmentation    : {p1:8.1f} images/s")
    cfg = TrainConfig(image_size=a.image_size, batch_size=a.batch_size)
    model = build_resnet(87, a.image_size)
    compile_model(model, cfg, steps_per_epoch=100)
    t0 = train_rate(model, plain.cache(), a.batches, a.batch_size)
    t1 = train_rate(model, augmented, a.batches, a.batch_size)
    print(f"train steps, no augmentation    : {t0:8.1f} images/s (baseline)")
    print(f"train steps, augmentation       : {t1:8.1f} images/s (ratio to baseline {t1 / t0:.2f})")
    card = Path(__file__).resolve().parent.parent / "models" / "gemstones.json"
    n_train = json.loads(card.read_text())["n_train"]  # the shipped model's training photos
    print(f"epoch of {n_train:,} images, steps only: {n_train / t1:8.1f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory            : {peak:8.0f} MiB")


if __name__ == "__main__":
    main()
