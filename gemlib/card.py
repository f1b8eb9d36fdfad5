"""Model cards: the JSON file beside every shipped ``.keras`` model."""

from __future__ import annotations

import json
import os
from pathlib import Path

import keras

from gemlib.data import DataError, Dataset, load_dataset


def card_path(model_path: str | os.PathLike) -> Path:
    """``models/x.keras`` -> ``models/x.json``."""
    return Path(model_path).with_suffix(".json")


def load_card(model_path: str | os.PathLike) -> dict:
    """Read the card of a model; a missing card is a clear error."""
    path = card_path(model_path)
    if not path.is_file():
        raise DataError(f"{path}: model card not found; every model needs its card (classes, image_size).")
    return json.loads(path.read_text())


def save_card(model_path: str | os.PathLike, card: dict) -> Path:
    """Write (replace) the card of a model, keys sorted, and return its path."""
    path = card_path(model_path)
    path.write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")
    return path


def update_card(model_path: str | os.PathLike, **entries) -> dict:
    """Merge ``entries`` into a model's card and save it."""
    card = load_card(model_path)
    card.update(entries)
    save_card(model_path, card)
    return card


def load_data(
    model_card: dict, splits: tuple[str, ...] = ("test",), root: str | os.PathLike | None = None
) -> Dataset:
    """The images a model was trained, validated and scored on: the split its card records.

    Parameters
    ----------
    model_card : dict
        A card with ``dataset``, ``image_size`` and ``train_files``, ``val_files``, ``test_files``.
    splits : tuple of str
        Which splits to decode.
    root : path, optional
        Dataset root; default found by name.

    Returns
    -------
    Dataset
    """
    return load_dataset(model_card["dataset"], model_card["image_size"], root=root, splits=splits,
                        files=model_card)


def load_model(
    model_path: str | os.PathLike, classes: list[str] | None = None
) -> tuple[keras.Model, dict]:
    """Load a shipped model with its card, checking that the classes agree.

    Parameters
    ----------
    model_path : path
        ``.keras`` file with a ``.json`` card beside it.
    classes : list of str, optional
        Class list of the data the model will see; must equal the card's.

    Returns
    -------
    model : keras.Model
    card : dict
    """
    model_path = Path(model_path)
    if not model_path.is_file():
        raise DataError(f"{model_path}: model file not found; train one with `python -m gemlib train`.")
    card = load_card(model_path)
    model = keras.models.load_model(model_path, compile=False)
    n_out = int(model.output_shape[-1])
    if n_out != len(card["classes"]):
        raise DataError(
            f"{model_path}: the model has {n_out} outputs but its card lists "
            f"{len(card['classes'])} classes; retrain or fix the card."
        )
    if classes is not None and list(classes) != list(card["classes"]):
        missing = sorted(set(card["classes"]) - set(classes))
        extra = sorted(set(classes) - set(card["classes"]))
        raise DataError(
            f"{model_path}: the model's classes do not match the data's "
            f"(in model only: {missing}; in data only: {extra}; or a different order); "
            "use the model trained on this dataset."
        )
    return model, card
