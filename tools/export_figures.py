"""Copy the README's figures out of the executed notebooks into figures/.

Photos appear only at the models' input size (96 or 128 px), from cells without the ``# photos:``
marker (the marker flags cells whose photos are not stored).

    python tools/export_figures.py
"""

from __future__ import annotations

import base64
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
FIGURES = {
    # file name: (notebook, a line of the cell that draws it)
    "class_colours.png": ("01_data_exploration.ipynb", "fig = plots.colour_scatter(stats"),
    "training_curves.png": ("03_training.ipynb", "fig = plots.training_curves({\"gemstones\""),
    "colour_experiments.png": ("04_evaluation.ipynb", "fig = plots.colour_experiments(table"),
    "colour_transforms.png": ("04_evaluation.ipynb", "fig = plots.transform_strip(views)"),
    "saliency_gemstones.png": ("05_saliency_maps.ipynb", "fig = plots.saliency_rows(images, maps, rows,"),
    "saliency_gemstones_and_buildings.png": ("05_saliency_maps.ipynb", "fig = plots.saliency_rows(list(images[:3])"),
    "stem_fingerprint.png": ("06_trusting_the_maps.ipynb", "fp_maps, fingerprint = sanity.stem_fingerprint("),
    "sanity_checks.png": ("06_trusting_the_maps.ipynb", "fig = plots.sanity_curves(sanity_table"),
    "randomisation_maps.png": ("06_trusting_the_maps.ipynb", "fig = plots.randomisation_maps("),
    "faithfulness.png": ("06_trusting_the_maps.ipynb", "fig = plots.faithfulness_curves(curves, areas"),
    "stone_masks.png": ("06_trusting_the_maps.ipynb", "fig = plots.stone_masks("),
    "architecture_curves.png": ("07_transfer_architecture.ipynb", "fig = plots.training_curves("),
    "published_noise.png": ("08_published_mistakes.ipynb", "wide = explain.vargrad(model, photos"),
    "published_confusion.png": ("08_published_mistakes.ipynb", "fig = plots.confusion_pair("),
}


def main(out: Path = REPO / "figures") -> None:
    """Write each figure of ``FIGURES`` into ``out`` (the README's ``figures/``)."""
    out.mkdir(exist_ok=True)
    for name, (notebook, marker) in FIGURES.items():
        nb = nbformat.read(REPO / "notebooks" / notebook, as_version=4)
        cell = next((c for c in nb.cells if c.cell_type == "code" and marker in c.source), None)
        if cell is None:
            raise SystemExit(f"error: no code cell of notebooks/{notebook} holds {marker!r}, the "
                             f"cell of figures/{name}; update FIGURES in tools/export_figures.py")
        assert "# photos:" not in cell.source, f"{name}: photo cells are never exported"
        png = next(o["data"]["image/png"] for o in cell.outputs if "image/png" in o.get("data", {}))
        (out / name).write_bytes(base64.b64decode(png))
        print(f"{out.name}/{name} <- notebooks/{notebook}")


if __name__ == "__main__":
    main()
