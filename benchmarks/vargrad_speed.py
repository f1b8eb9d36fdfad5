"""Time one VarGrad map (n = 50) batched, against a loop of single-sample gradient calls.

Usage: python benchmarks/vargrad_speed.py [--model models/gemstones.keras] [--samples 50] [--repeats 5]

All paths compute the same noisy gradients (checked). Two baselines: a loop
that calls the same traced gradient function once per noisy copy, and a loop
that opens one eager ``tf.GradientTape`` per noisy copy, the way the published
notebook did. Prints the median time of each, the ratios batched / loop, and
the time of one redraw of the notebook's VarGrad sliders at default settings.

Then the explorer's redraws (``gemlib.widgets.VarGradExplorer``, which keeps the noisy
gradients of a photo, class and noise level): a samples-slider move to fewer samples (a
prefix of the kept gradients), to 10 more samples (only those computed), a noise move and a
photo move (all new gradients; a photo move also redraws the top-5 chart and, for a shipped
model with its features file, the nearest photos), each beside today's full redraw
(``gemlib.widgets.render``: every gradient computed again), with ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from gemlib.explain import gradients, vargrad  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", default="models/gemstones.keras")
    p.add_argument("--samples", type=int, default=50)
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args()
    if Path(a.model).is_file():
        from gemlib.card import load_model

        model, card = load_model(a.model)
        size, label = card["image_size"], a.model
    else:
        from gemlib.models import build_resnet

        size, label = 128, "untrained build_resnet(87, 128) (no shipped model found)"
        model = build_resnet(87, size)
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (1, size, size, 3)).astype(np.float32)
    print(f"model: {label}; image {size} px; n = {a.samples}; {os.cpu_count()} CPUs")

    def batched() -> np.ndarray:
        return vargrad(model, image, targets=[0], n_samples=a.samples, noise=0.15, seed=0)

    def loop() -> np.ndarray:
        r = np.random.default_rng(0)
        sigma = 0.15 * float(image.max() - image.min())
        eps = r.normal(0.0, 1.0, size=(a.samples, *image.shape[1:])).astype(np.float32) * sigma
        grads = [gradients(model, image + e[None], 0) for e in eps]
        return np.concatenate(grads).var(axis=0)[None]

    def eager_loop() -> np.ndarray:
        import tensorflow as tf

        r = np.random.default_rng(0)
        sigma = 0.15 * float(image.max() - image.min())
        eps = r.normal(0.0, 1.0, size=(a.samples, *image.shape[1:])).astype(np.float32) * sigma
        grads = []
        for e in eps:
            x = tf.convert_to_tensor(image + e[None])
            with tf.GradientTape() as tape:
                tape.watch(x)
                logit = model(x, training=False)[:, 0]
            grads.append(tape.gradient(logit, x).numpy())
        return np.concatenate(grads).var(axis=0)[None]

    reference = batched()  # also warms up
    np.testing.assert_allclose(reference, loop(), rtol=1e-3, atol=1e-9)
    np.testing.assert_allclose(reference, eager_loop(), rtol=1e-3, atol=1e-9)
    b = statistics.median(_time(batched) for _ in range(a.repeats))
    lp = statistics.median(_time(loop) for _ in range(a.repeats))
    le = statistics.median(_time(eager_loop) for _ in range(a.repeats))
    print(f"batched VarGrad map            : {b:.3f} s (median of {a.repeats})")
    print(f"loop, traced call per sample   : {lp:.3f} s   batched / loop = {b / lp:.3f}")
    print(f"loop, eager tape per sample    : {le:.3f} s   batched / loop = {b / le:.3f}")

    from gemlib.widgets import render

    pixels = image[0].astype(np.uint8)
    render(model, pixels)  # warm up
    r = statistics.median(_time(lambda: render(model, pixels, None, 0.15, a.samples)) for _ in range(a.repeats))
    print(f"slider redraw (map + PNG panel): {r:.3f} s (median of {a.repeats}, default settings)")
    _explorer_redraws(a, model, size, r)


def _explorer_redraws(a, model, size: int, full: float) -> None:
    """Time the explorer's redraws against ``full``, today's full redraw (render)."""
    from gemlib.widgets import ModelChoice, VarGradExplorer

    images = np.random.default_rng(1).integers(0, 256, (a.repeats + 6, size, size, 3)).astype(np.uint8)
    classes = [f"class {i}" for i in range(int(model.output_shape[-1]))]
    if Path(a.model).is_file():
        choice = ModelChoice.from_path(a.model, images=images, model=model)
    else:
        choice = ModelChoice("untrained", model, classes, images)
    ex = VarGradExplorer.from_models([choice])  # image 0, predicted class, noise 0.15, 50 samples
    ex.samples.value = a.samples

    def move(control, values) -> float:
        times = []
        for v in values:
            t = time.perf_counter()
            control.value = v
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    fewer = move(ex.samples, [a.samples - 1 - i for i in range(a.repeats)])
    ex.samples.value = a.samples
    more = move(ex.samples, [a.samples + 10 * (i + 1) for i in range(a.repeats)])
    ex.samples.value = a.samples
    noise = move(ex.noise, [0.16 + 0.01 * i for i in range(a.repeats)])
    photo = move(ex.image, [1 + i for i in range(a.repeats)])
    print(f"explorer, samples slider to fewer  : {fewer:.3f} s   / full redraw = {fewer / full:.3f}")
    print(f"explorer, samples slider +10       : {more:.3f} s   / full redraw = {more / full:.3f}")
    print(f"explorer, noise slider moved       : {noise:.3f} s   / full redraw = {noise / full:.3f}")
    print(f"explorer, another photo (+ top-5{', nearest' if choice.neighbours else ''}): "
          f"{photo:.3f} s   / full redraw = {photo / full:.3f}")


def _time(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
