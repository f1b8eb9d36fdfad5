"""ipywidgets sliders that redraw a VarGrad map or a strip of augmented copies.

The drawing is done by plain functions (:func:`render`, :func:`augmentation_png`), so tests can
call them without a browser.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import keras
import numpy as np
from PIL import Image

from gemlib.augment import AugmentConfig, augment_examples
from gemlib.evaluate import softmax
from gemlib.explain import overlay, to_heatmap, vargrad


@dataclass
class Rendered:
    """What one redraw produces."""

    target: int
    probability: float
    probabilities: np.ndarray
    heatmap: np.ndarray
    overlay: np.ndarray
    png: bytes


def panel_png(image: np.ndarray, heatmap: np.ndarray, blended: np.ndarray, scale: int = 2) -> bytes:
    """Photo, colour-mapped heatmap and overlay side by side, as PNG bytes (no matplotlib)."""
    import matplotlib

    heat_rgb = (matplotlib.colormaps["inferno"](heatmap)[..., :3] * 255).astype(np.uint8)
    strip = np.concatenate([np.asarray(image, np.uint8), heat_rgb, blended], axis=1)
    img = Image.fromarray(strip)
    img = img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def render(
    model: keras.Model,
    image: np.ndarray,
    target: int | None = None,
    noise: float = 0.15,
    n_samples: int = 50,
    seed: int = 0,
) -> Rendered:
    """Compute the VarGrad map for one image at the slider settings and draw the panel.

    Parameters
    ----------
    model : keras.Model
        Outputs logits; takes 0-255 RGB.
    image : numpy.ndarray
        (H, W, 3) uint8.
    target : int, optional
        Class to explain; ``None`` or a negative number means the predicted class.
    noise : float
        VarGrad noise level (fraction of the value range).
    n_samples : int
        Noisy copies.
    seed : int
        Noise seed (fixed, so only the sliders change the picture).

    Returns
    -------
    Rendered
    """
    logits = np.asarray(model(np.asarray(image, np.float32)[None], training=False))
    probs = softmax(logits)[0]
    t = int(probs.argmax()) if target is None or target < 0 else int(target)
    vg = vargrad(model, image[None], [t], n_samples=n_samples, noise=noise, seed=seed)[0]
    heat = to_heatmap(vg)
    blended = overlay(image, heat)
    return Rendered(t, float(probs[t]), probs, heat, blended, panel_png(image, heat, blended))


class VarGradExplorer:
    """Sliders for noise (0-0.5) and samples (1-200), image and target choice, redrawing VarGrad.

    Parameters
    ----------
    model : keras.Model
        The classifier.
    images : numpy.ndarray
        (N, H, W, 3) uint8 images to choose from.
    classes : list of str
        Class names in output order.
    titles : list of str, optional
        Names of the images in the chooser.
    """

    def __init__(self, model: keras.Model, images: np.ndarray, classes: list[str], titles: list[str] | None = None):
        import ipywidgets as w

        self.model, self.images, self.classes = model, images, classes
        titles = titles or [f"image {i}" for i in range(len(images))]
        self.image = w.Dropdown(options=[(t, i) for i, t in enumerate(titles)], value=0, description="image")
        self.target = w.Dropdown(options=[("predicted class", -1)] + [(c, i) for i, c in enumerate(classes)],
                                 value=-1, description="explain")
        self.noise = w.FloatSlider(value=0.15, min=0.0, max=0.5, step=0.01, description="noise σ",
                                   continuous_update=False)
        self.samples = w.IntSlider(value=50, min=1, max=200, step=1, description="samples",
                                   continuous_update=False)
        self.picture = w.Image(format="png")
        self.caption = w.HTML()
        for control in (self.image, self.target, self.noise, self.samples):
            control.observe(self._redraw, names="value")
        self.widget = w.VBox([w.HBox([self.image, self.target]), w.HBox([self.noise, self.samples]),
                              self.caption, self.picture])
        self._redraw()

    def _redraw(self, change=None) -> None:
        r = render(self.model, self.images[self.image.value], self.target.value, self.noise.value, self.samples.value)
        self.picture.value = r.png
        self.caption.value = (f"explaining <b>{self.classes[r.target]}</b> (p = {r.probability:.2f}); "
                              f"σ = {self.noise.value:.2f} × range, {self.samples.value} samples")
        self.last = r

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def augmentation_png(image: np.ndarray, config: AugmentConfig, n: int = 8, seed: int = 0, scale: int = 1) -> bytes:
    """``n`` augmented copies of one photo in a row, as PNG bytes (fixed seed: only ``config``
    changes the picture)."""
    strip = np.concatenate(list(augment_examples(image, config, n=n, seed=seed)), axis=1)
    img = Image.fromarray(strip)
    img = img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


class AugmentationExplorer:
    """Sliders for rotation, zoom, shift and brightness, redrawing a strip of augmented copies.

    Parameters
    ----------
    image : numpy.ndarray
        (H, W, 3) uint8 photo.
    n : int
        Copies in the strip.
    """

    def __init__(self, image: np.ndarray, n: int = 8) -> None:
        import ipywidgets as w

        self.image, self.n = image, n
        start = AugmentConfig()

        def slider(name: str, value: float, top: float) -> "w.FloatSlider":
            return w.FloatSlider(value=value, min=0.0, max=top, step=0.05, description=name,
                                 continuous_update=False)

        self.sliders = {"rotation": slider("rotation", start.rotation, 0.5),
                        "zoom": slider("zoom", start.zoom, 0.5),
                        "shift": slider("shift", start.shift, 0.3),
                        "brightness": slider("brightness", start.brightness, 0.5)}
        self.picture = w.Image(format="png")
        for control in self.sliders.values():
            control.observe(self._redraw, names="value")
        self.widget = w.VBox([w.HBox(list(self.sliders.values())[:2]),
                              w.HBox(list(self.sliders.values())[2:]), self.picture])
        self._redraw()

    def config(self) -> AugmentConfig:
        """The augmentation the sliders describe (flips as in the default recipe)."""
        return AugmentConfig(**{name: s.value for name, s in self.sliders.items()})

    def _redraw(self, change=None) -> None:
        self.picture.value = augmentation_png(self.image, self.config(), self.n, scale=2)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
