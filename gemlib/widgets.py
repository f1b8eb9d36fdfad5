"""ipywidgets sliders that redraw a VarGrad map or a strip of augmented copies; your own photo.

The drawing is done by plain functions (:func:`render`, :func:`explain_upload`,
:func:`augmentation_png`), so tests can call them without a browser.
"""

from __future__ import annotations

import hashlib
import html
import io
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
from PIL import Image

from gemlib import data
from gemlib.augment import AugmentConfig, augment_examples
from gemlib.evaluate import softmax
from gemlib.explain import GRADIENT_BATCH, noisy_gradients, overlay, to_heatmap, vargrad
from gemlib.neighbours import Neighbours, image_features

#: The files the upload button offers.
UPLOAD_ACCEPT = ".jpg,.jpeg,.png,.webp"


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
    return _png(strip, scale)


def _png(pixels: np.ndarray, scale: int = 1) -> bytes:
    img = Image.fromarray(np.asarray(pixels, np.uint8))
    if scale != 1:
        img = img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _probabilities(model: keras.Model, image: np.ndarray) -> np.ndarray:
    logits = np.asarray(model(np.asarray(image, np.float32)[None], training=False))
    return softmax(logits)[0]


def _target(probs: np.ndarray, target: int | None) -> int:
    return int(probs.argmax()) if target is None or target < 0 else int(target)


def _draw(image: np.ndarray, probs: np.ndarray, target: int, attribution: np.ndarray) -> Rendered:
    heat = to_heatmap(attribution)
    blended = overlay(image, heat)
    return Rendered(target, float(probs[target]), probs, heat, blended, panel_png(image, heat, blended))


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
    probs = _probabilities(model, image)
    t = _target(probs, target)
    vg = vargrad(model, image[None], [t], n_samples=n_samples, noise=noise, seed=seed)[0]
    return _draw(image, probs, t, vg)


# --------------------------------------------------------------------------- gradient cache


class NoisyGradients:
    """The noisy gradients of one photo, class, noise level and seed, kept as they are computed.

    The noise of ``n`` samples is the first ``n`` draws of ``numpy.random.default_rng(seed)``,
    exactly the noise :func:`gemlib.explain.vargrad` draws for one image (numpy's generator fills
    an array draw by draw, so drawing 5 and then 15 more gives the same 20 as drawing 20). So
    the VarGrad map of ``n`` samples is the variance of the first ``n`` kept gradients: fewer
    samples take a prefix, more compute only the extra ones.

    Parameters
    ----------
    model : keras.Model
        Outputs logits.
    image : numpy.ndarray
        (H, W, C) in the model's units.
    target : int
        Class whose logit is explained.
    noise : float
        sigma as a fraction of the image's value range.
    seed : int
        Noise seed.
    """

    def __init__(self, model: keras.Model, image: np.ndarray, target: int, noise: float,
                 seed: int = 0, batch_size: int = GRADIENT_BATCH) -> None:
        self.model, self.target, self.noise, self.batch_size = model, int(target), float(noise), batch_size
        self.image = np.asarray(image, np.float32)
        self._rng = np.random.default_rng(seed)
        self.gradients = np.zeros((0, *self.image.shape), np.float32)

    def vargrad(self, n_samples: int) -> np.ndarray:
        """Population variance of the first ``n_samples`` noisy gradients, float32 (H, W, C)."""
        missing = n_samples - len(self.gradients)
        if missing > 0:
            extra = noisy_gradients(self.model, self.image, self.target, missing, self.noise,
                                    self._rng, self.batch_size)
            self.gradients = np.concatenate([self.gradients, extra])
        return self.gradients[:n_samples].var(axis=0).astype(np.float32)


@dataclass(frozen=True)
class _Side:
    """The parts of the explorer beside the map, kept per photo."""

    top5: bytes
    message: str
    nearest: bytes
    nearest_caption: str
    found: list


class GradientCache:
    """The :class:`NoisyGradients` of the last few settings, least recently used dropped first.

    Parameters
    ----------
    size : int
        Settings (photo, class, noise, seed) kept; each holds as many gradients of its photo as
        the most samples asked of it (the explorer's slider stops at 200).
    """

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._entries: OrderedDict[tuple, NoisyGradients] = OrderedDict()

    def get(self, model: keras.Model, key, image: np.ndarray, target: int, noise: float,
            seed: int = 0) -> NoisyGradients:
        """The kept gradients for these settings (``key`` names the photo), made if new."""
        k = (id(model), key, int(target), round(float(noise), 9), seed)
        if k not in self._entries:
            self._entries[k] = NoisyGradients(model, image, target, noise, seed)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        self._entries.move_to_end(k)
        return self._entries[k]


# --------------------------------------------------------------------------- your own photo


@dataclass(frozen=True)
class Neighbour:
    """One nearest training photo: path relative to the dataset root, class and similarity."""

    path: str
    label: str
    similarity: float


@dataclass
class Upload:
    """What :func:`explain_upload` finds for one photo.

    Attributes
    ----------
    name : str
        The file's name.
    image : numpy.ndarray
        The photo as the model sees it: uint8 (S, S, 3) at the model's input size.
    probabilities : numpy.ndarray
        Softmax over all classes.
    top : list of (str, float)
        The five most probable classes, most probable first.
    target : int
        The explained (top) class.
    heatmap, overlay : numpy.ndarray
        VarGrad map of the top class in [0, 1] (S, S), and blended over the photo (uint8).
    png : bytes
        Photo | map | overlay panel.
    nearest : list of Neighbour
        The nearest training photos in the feature layer (empty without ``neighbours``).
    threshold : float or None
        The model's familiarity threshold (validation 5th percentile of top probability).
    unfamiliar : bool or None
        Top probability below ``threshold`` (None when no threshold is known).
    """

    name: str
    image: np.ndarray
    probabilities: np.ndarray
    top: list[tuple[str, float]]
    target: int
    heatmap: np.ndarray
    overlay: np.ndarray
    png: bytes
    nearest: list[Neighbour] = field(default_factory=list)
    threshold: float | None = None
    unfamiliar: bool | None = None


def input_size(model: keras.Model) -> int:
    """Side of the square photos ``model`` takes."""
    return int(model.input_shape[1])


def decode_upload(content: bytes | memoryview, filename: str, size: int) -> np.ndarray:
    """An uploaded file's bytes as the model sees them (the decoder of ``python -m gemlib explain``).

    Raises
    ------
    gemlib.data.DataError
        One line naming ``filename`` and the fix (see :func:`gemlib.data.decode_image`).
    """
    return data.decode_image(bytes(content), size, name=filename, min_side=data.MIN_SIDE)


def top_classes(probabilities: np.ndarray, classes: list[str], k: int = 5) -> list[tuple[str, float]]:
    """The ``k`` most probable classes with their probabilities, most probable first."""
    order = np.argsort(-np.asarray(probabilities), kind="stable")[:k]
    return [(classes[i], float(probabilities[i])) for i in order]


def nearest_photos(model: keras.Model, image: np.ndarray, neighbours: Neighbours, classes: list[str],
                   k: int = 3) -> list[Neighbour]:
    """The ``k`` training photos nearest to ``image`` in ``model``'s feature layer (cosine)."""
    query = image_features(model, np.asarray(image)[None])[0]
    idx, sims = neighbours.nearest(query, k)
    return [Neighbour(neighbours.paths[i], classes[int(neighbours.labels[i])], float(s))
            for i, s in zip(idx, sims)]


def explain_upload(
    model: keras.Model,
    classes: list[str],
    content: bytes | memoryview,
    filename: str,
    *,
    image_size: int | None = None,
    noise: float = 0.15,
    n_samples: int = 50,
    seed: int = 0,
    neighbours: Neighbours | None = None,
    threshold: float | None = None,
) -> Upload:
    """Top-5 classes, VarGrad of the top class and the nearest training photos of one photo file.

    Parameters
    ----------
    model : keras.Model
        Outputs logits; takes 0-255 RGB.
    classes : list of str
        Class names in output order.
    content : bytes
        The file's bytes (JPEG, PNG or WebP; any format Pillow reads).
    filename : str
        Its name, used in error messages.
    image_size : int, optional
        Side the photo is resized to (default: the model's input size).
    noise, n_samples, seed
        VarGrad settings, as :func:`gemlib.explain.vargrad`.
    neighbours : Neighbours, optional
        The model's training-photo features (:meth:`Neighbours.load`).
    threshold : float, optional
        The model card's ``familiarity["threshold"]``.

    Returns
    -------
    Upload

    Raises
    ------
    gemlib.data.DataError
        An empty, truncated, non-image, too large (pixel count) or too small file.
    """
    pixels = decode_upload(content, filename, image_size or input_size(model))
    r = render(model, pixels, None, noise, n_samples, seed)
    near = nearest_photos(model, pixels, neighbours, classes) if neighbours is not None else []
    unfamiliar = None if threshold is None else bool(r.probabilities.max() < threshold)
    return Upload(filename, pixels, r.probabilities, top_classes(r.probabilities, classes), r.target,
                  r.heatmap, r.overlay, r.png, near, threshold, unfamiliar)


def top_classes_png(top: list[tuple[str, float]]) -> bytes:
    """Horizontal bar chart of the top classes (:func:`gemlib.plots.top_classes`), as PNG bytes."""
    from gemlib import plots

    fig = plots.top_classes(top)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def nearest_png(root: str | os.PathLike, found: list[Neighbour], size: int, scale: int = 1) -> bytes:
    """The nearest training photos side by side, decoded now from ``root`` (PNG bytes)."""
    photos = [data.load_image(Path(root) / n.path, size) for n in found]
    gap = np.full((size, 4, 3), 255, np.uint8)
    strip = np.concatenate([p for photo in photos for p in (photo, gap)][:-1], axis=1)
    return _png(strip, scale)


def familiarity_note(probability: float, threshold: float | None) -> str:
    """One line saying whether a top probability is below the familiarity threshold."""
    if threshold is None:
        return ""
    if probability < threshold:
        return (f"unfamiliar: top probability {probability:.2f} is lower than that of 95 % of "
                f"validation photos (the threshold, {threshold:.2f}); the top class may mean little")
    return f"top probability {probability:.2f}, above the familiarity threshold {threshold:.2f}"


# --------------------------------------------------------------------------- the explorer


@dataclass
class ModelChoice:
    """One model the explorer can switch to, with what it needs beside it.

    Attributes
    ----------
    name : str
        Label in the model chooser.
    model : keras.Model
    classes : list of str
    images : numpy.ndarray, optional
        (N, S, S, 3) uint8 photos for the image chooser.
    titles : list of str, optional
        Their names in the chooser.
    neighbours : Neighbours, optional
        Training-photo features, for the nearest photos.
    photo_root : path, optional
        Dataset root the neighbours' paths are relative to.
    threshold : float, optional
        Familiarity threshold (the card's ``familiarity["threshold"]``).
    """

    name: str
    model: keras.Model
    classes: list[str]
    images: np.ndarray | None = None
    titles: list[str] | None = None
    neighbours: Neighbours | None = None
    photo_root: Path | None = None
    threshold: float | None = None

    @classmethod
    def from_path(cls, model_path: str | os.PathLike, images: np.ndarray | None = None,
                  titles: list[str] | None = None, name: str | None = None,
                  model: keras.Model | None = None) -> "ModelChoice":
        """A shipped model with its card, features file (if made) and dataset root.

        ``model`` skips loading when the caller has already loaded it.
        """
        from gemlib import card as cards
        from gemlib.neighbours import features_path

        card = cards.load_card(model_path)
        if model is None:
            model, card = cards.load_model(model_path)
        feats = features_path(model_path)
        neighbours = Neighbours.load(feats) if feats.is_file() else None
        root = data.find_dataset(card["dataset"]) if neighbours is not None else None
        threshold = card.get("familiarity", {}).get("threshold")
        return cls(name or Path(model_path).stem, model, list(card["classes"]), images, titles,
                   neighbours, root, threshold)


class VarGradExplorer:
    """Sliders for noise (0-0.5) and samples (1-200), image, model and target choice, an upload
    button for your own photo, redrawing VarGrad, the top-5 classes and the nearest photos.

    Moving the samples slider reuses the gradients already computed for this photo, class and
    noise (:class:`GradientCache`); the map equals :func:`gemlib.explain.vargrad`'s.

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

    See Also
    --------
    VarGradExplorer.from_models : several models, with nearest photos and familiarity.
    """

    def __init__(self, model: keras.Model, images: np.ndarray, classes: list[str],
                 titles: list[str] | None = None) -> None:
        self._setup([ModelChoice(model.name, model, list(classes), images, titles)])

    @classmethod
    def from_models(cls, choices: list[ModelChoice]) -> "VarGradExplorer":
        """An explorer over several models; the first is shown first."""
        if not choices:
            raise ValueError("give at least one ModelChoice")
        self = cls.__new__(cls)
        self._setup(list(choices))
        return self

    def _setup(self, choices: list[ModelChoice]) -> None:
        import ipywidgets as w

        self.choices, self.cache, self.seed = choices, GradientCache(), 0
        self._upload: tuple[str, bytes] | None = None
        self._decoded: dict[tuple, np.ndarray] = {}
        self._probs: dict[tuple, np.ndarray] = {}
        self._sides: dict[tuple, _Side] = {}
        self._side_key = None
        self._quiet = True
        self.model_choice = w.Dropdown(options=[(c.name, i) for i, c in enumerate(choices)], value=0,
                                       description="model")
        self.image = w.Dropdown(description="image")
        self.upload = w.FileUpload(accept=UPLOAD_ACCEPT, multiple=False, description="your photo")
        self.target = w.Dropdown(description="explain")
        self.noise = w.FloatSlider(value=0.15, min=0.0, max=0.5, step=0.01, description="noise σ",
                                   continuous_update=False)
        self.samples = w.IntSlider(value=50, min=1, max=200, step=1, description="samples",
                                   continuous_update=False)
        self.message = w.HTML()
        self.picture = w.Image(format="png")
        self.caption = w.HTML()
        self.top5 = w.Image(format="png")
        self.nearest = w.Image(format="png")
        self.nearest_caption = w.HTML()
        self.error = ""
        for part, name in ((self.upload, "upload"), (self.message, "message"), (self.picture, "map"),
                           (self.top5, "top5"), (self.nearest, "nearest")):
            part.add_class(f"gemlib-{name}")  # names a browser (and its test) can find
        self._options()
        for control in (self.image, self.target, self.noise, self.samples):
            control.observe(self._redraw, names="value")
        self.model_choice.observe(self._switch_model, names="value")
        self.upload.observe(self._on_upload, names="value")
        self.widget = w.VBox([
            w.HBox([self.model_choice, self.image, self.upload]),
            w.HBox([self.target, self.noise, self.samples]),
            self.message, self.caption, self.picture,
            w.HBox([self.top5, w.VBox([self.nearest_caption, self.nearest])]),
        ])
        self._quiet = False
        self.prepare()
        self._redraw()

    @property
    def choice(self) -> ModelChoice:
        """The model now chosen."""
        return self.choices[self.model_choice.value]

    def _options(self) -> None:
        """Image and class lists of the chosen model (without redrawing)."""
        c = self.choice
        n = 0 if c.images is None else len(c.images)
        titles = c.titles or [f"image {i}" for i in range(n)]
        options = [(t, i) for i, t in enumerate(titles[:n])]
        if self._upload is not None:
            options.append((f"your photo: {self._upload[0]}", -1))
        self.image.options = options
        self.image.value = -1 if self._upload is not None else (0 if n else None)
        self.target.options = [("predicted class", -1)] + [(name, i) for i, name in enumerate(c.classes)]
        self.target.value = -1

    def _switch_model(self, change=None) -> None:
        self._quiet = True
        try:
            self._options()
            self._side_key = None
        finally:
            self._quiet = False
        self.prepare()
        self._redraw()

    def _on_upload(self, change) -> None:
        files = change["new"]
        if not files:
            return
        name, content = files[0]["name"], bytes(files[0]["content"])
        try:
            pixels = decode_upload(content, name, input_size(self.choice.model))
        except data.DataError as exc:
            self.error = str(exc)
            self.message.value = f'<span style="color:#b00020">{html.escape(self.error)}</span>'
            return
        self.error, self.message.value = "", ""
        self._upload = (name, content)
        self._decoded[(self.model_choice.value, self._upload_key())] = pixels
        self._side_key = None  # the message, top-5 and nearest photos are redrawn
        self._quiet = True
        try:
            self._options()
        finally:
            self._quiet = False
        self._redraw()

    def _upload_key(self) -> tuple:
        return ("upload", self._upload[0], hashlib.sha1(self._upload[1]).hexdigest())

    def _photo_key(self) -> tuple:
        if self.image.value == -1 and self._upload is not None:
            return self._upload_key()
        return ("image", self.image.value)

    def photo(self) -> np.ndarray | None:
        """The photo now explained, as the chosen model sees it."""
        c, key = self.choice, self._photo_key()
        if key[0] == "image":
            return None if key[1] is None else c.images[key[1]]
        k = (self.model_choice.value, key)
        if k not in self._decoded:
            self._decoded[k] = decode_upload(self._upload[1], self._upload[0], input_size(c.model))
        return self._decoded[k]

    def _redraw(self, change=None) -> None:
        if self._quiet:
            return
        c, pixels = self.choice, self.photo()
        if pixels is None:
            self.caption.value = "choose an image or upload a photo"
            return
        key = (self.model_choice.value, self._photo_key())
        if key not in self._probs:
            self._probs[key] = _probabilities(c.model, pixels)
        probs = self._probs[key]
        t = _target(probs, self.target.value)
        grads = self.cache.get(c.model, key, pixels, t, self.noise.value, self.seed)
        r = _draw(pixels, probs, t, grads.vargrad(self.samples.value))
        self.picture.value = r.png
        self.caption.value = (f"explaining <b>{html.escape(c.classes[r.target])}</b> (p = {r.probability:.2f}); "
                              f"σ = {self.noise.value:.2f} × range, {self.samples.value} samples")
        self.last = r
        if key != self._side_key:  # the photo or model changed: the parts that do not move
            self._side_key = key
            if key not in self._sides:
                self._sides[key] = self._side(c, pixels, probs)
            side = self._sides[key]
            self.top5.value, self.message.value = side.top5, side.message
            self.nearest.value, self.nearest_caption.value = side.nearest, side.nearest_caption
            self.last_nearest = side.found

    def _side(self, c: ModelChoice, pixels: np.ndarray, probs: np.ndarray) -> "_Side":
        """What a photo shows beside its map: top-5 chart, familiarity line, nearest photos."""
        top5 = top_classes_png(top_classes(probs, c.classes))
        message = html.escape(familiarity_note(float(probs.max()), c.threshold))
        if c.neighbours is None or c.photo_root is None:
            return _Side(top5, message, b"", "", [])
        found = nearest_photos(c.model, pixels, c.neighbours, c.classes)
        caption = "nearest training photos: " + "; ".join(
            f"{html.escape(n.label)} ({n.similarity:.2f})" for n in found)
        return _Side(top5, message, nearest_png(c.photo_root, found, input_size(c.model)), caption, found)

    def prepare(self) -> None:
        """Compute, for every photo of the chooser, what does not move with the sliders.

        The probabilities (one batch), the top-5 chart and the nearest photos of each photo are
        kept, so choosing another photo then costs only its VarGrad map, as a slider move does.
        """
        c = self.choice
        if c.images is None or len(c.images) == 0:
            return
        logits = np.asarray(c.model(np.asarray(c.images, np.float32), training=False))
        for i, probs in enumerate(softmax(logits)):
            key = (self.model_choice.value, ("image", i))
            self._probs.setdefault(key, probs)
            if key not in self._sides:
                self._sides[key] = self._side(c, c.images[i], self._probs[key])

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
