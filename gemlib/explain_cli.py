"""The ``python -m gemlib explain IMAGE`` command: top-5 classes and a VarGrad figure."""

from __future__ import annotations

from pathlib import Path

from gemlib.data import DataError


def explain_image(image: str, model_path: str, samples: int = 50, noise: float = 0.15, output: str = "explanation.png") -> int:
    """Print the top-5 classes of one photo and save photo | VarGrad | overlay to ``output``.

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
    from gemlib.data import load_image

    card = cards.load_card(model_path)
    pixels = load_image(path, card["image_size"])
    model, card = cards.load_model(model_path)

    import matplotlib

    matplotlib.use("Agg")
    from gemlib import plots
    from gemlib.widgets import render

    import numpy as np

    r = render(model, pixels, None, noise, samples)
    probs = r.probabilities
    for rank, k in enumerate(np.argsort(-probs)[:5], start=1):
        print(f"{rank}. {card['classes'][k]:<24s} {probs[k]:.3f}")
    fig = plots.explanation_figure(pixels, r.heatmap, r.overlay,
                                   title=f"{path.name}: VarGrad of '{card['classes'][r.target]}' "
                                         f"(n = {samples}, noise = {noise})")
    fig.savefig(output, dpi=120)
    print(f"figure written to {output}")
    return 0
