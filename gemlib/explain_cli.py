"""The ``python -m gemlib explain IMAGE`` command: top-5 classes and a VarGrad figure."""

from __future__ import annotations

from pathlib import Path

from gemlib.data import DataError


def explain_image(image: str, model_path: str, samples: int = 50, noise: float = 0.15, output: str = "explanation.png") -> int:
    """Print the top-5 classes of one photo and save photo | VarGrad | overlay to ``output``.

    The photo is read as the notebook's upload button reads it (:func:`gemlib.widgets.explain_upload`,
    one decoder and the same checks); the nearest training photos and the familiarity flag are
    printed when the model's features file and card have them.

    Raises
    ------
    DataError
        For a missing path, a directory or a file that is not an image (exit code 2).
    """
    path = Path(image)
    if not path.exists():
        raise DataError(f"{path}: no such file; give the path of a photo.")
    if path.is_dir():
        raise DataError(f"{path}: is a directory; give the path of one photo inside it.")
    if samples < 1 or not 0 <= noise <= 1:
        raise DataError(f"--samples must be >= 1 and --noise in [0, 1] (got {samples}, {noise}).")
    from gemlib import card as cards
    from gemlib import data
    from gemlib.neighbours import Neighbours, features_path

    card = cards.load_card(model_path)
    content = path.read_bytes()
    data.decode_image(content, card["image_size"], name=str(path), min_side=data.MIN_SIDE)  # fail fast
    model, card = cards.load_model(model_path)
    feats = features_path(model_path)
    neighbours = Neighbours.load(feats) if feats.is_file() else None

    import matplotlib

    matplotlib.use("Agg")
    from gemlib import plots
    from gemlib.widgets import explain_upload, familiarity_note

    u = explain_upload(model, card["classes"], content, str(path), image_size=card["image_size"],
                       noise=noise, n_samples=samples, neighbours=neighbours,
                       threshold=card.get("familiarity", {}).get("threshold"))
    for rank, (name, p) in enumerate(u.top, start=1):
        print(f"{rank}. {name:<24s} {p:.3f}")
    if u.threshold is not None:
        print(familiarity_note(float(u.probabilities.max()), u.threshold))
    for n in u.nearest:
        print(f"nearest training photo: {n.path} ({n.label}, cosine {n.similarity:.2f})")
    fig = plots.explanation_figure(u.image, u.heatmap, u.overlay,
                                   title=f"{path.name}: VarGrad of '{card['classes'][u.target]}' "
                                         f"(n = {samples}, noise = {noise})")
    fig.savefig(output, dpi=120)
    print(f"figure written to {output}")
    return 0
