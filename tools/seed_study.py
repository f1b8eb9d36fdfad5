"""How much a second training seed moves each shipped recipe (issue 25): a table for docs/.

    python tools/seed_study.py            # prints the Markdown tables of docs/seed_study.md
    python tools/seed_study.py --figure docs/seed_study_curves.png   # and draws the curves

For each recipe it compares the shipped model (seed 0) with its second seed
(``docs/history/*_seed1``, made by ``bash tools/seed_runs.sh``) on the same recorded split:
validation and test top-1, the difference between the seeds, and on how many test photos they
disagree. For the architecture pair it then sets the difference between the recipes (scratch
against transfer, all four pairings of seeds) beside the difference between seeds of one recipe.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
RUNS = {
    "gemstones": ("models/gemstones.keras", "docs/history/gemstones_seed1.keras"),
    "architecture scratch": ("models/architecture_scratch.keras", "docs/history/architecture_scratch_seed1.keras"),
    "architecture transfer": ("models/architecture_transfer.keras", "docs/history/architecture_transfer_seed1.keras"),
}


def right_on_test(model_path: str, data) -> tuple[dict, np.ndarray, np.ndarray]:
    """A model's card, its predictions on ``data``'s test photos and which of them are right."""
    from gemlib import card
    from gemlib.evaluate import predict_logits

    model, c = card.load_model(REPO / model_path, data.classes)
    predicted = predict_logits(model, data.test.images).argmax(1)
    return c, predicted, predicted == data.test.labels


def seed_table() -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """One row per recipe and seed, and each run's per-photo correctness."""
    from gemlib import card
    from gemlib.published import peak_and_plateau

    rows, right = [], {}
    for recipe, paths in RUNS.items():
        data = card.load_data(card.load_card(REPO / paths[0]), splits=("test",))  # decoded once
        runs = [right_on_test(p, data) for p in paths]
        first = runs[0]
        for seed, (c, predicted, ok) in enumerate(runs):
            if c["test_files"] != first[0]["test_files"] or c["val_files"] != first[0]["val_files"]:
                raise SystemExit(f"{paths[seed]}: not the shipped model's split; retrain with --split-seed 0")
            last = 10 if recipe == "gemstones" else 5
            plateau = peak_and_plateau(pd.Series(c["history"]["val_accuracy"]), last=last)
            # a transfer run's head-only passes (frozen_epochs, frozen_seconds) come before the
            # fine-tuning its "epochs" and "train_seconds" count: passes and minutes hold both
            rows.append({"recipe": recipe, "seed": c["config"]["seed"],
                         "passes": c["epochs"] + c.get("frozen_epochs", 0),
                         "minutes": f"{(c['train_seconds'] + c.get('frozen_seconds', 0)) / 60:.1f}",
                         "val top-1 (chosen weights)": c["val_accuracy"],
                         "val mean of last epochs (raw)": plateau.iloc[2],
                         "test top-1": float(ok.mean()), "test top-5": c["test_top5"],
                         "test photos predicted differently from seed 0": int((predicted != first[1]).sum()),
                         "right for one seed only": int((ok != first[2]).sum())})
            right[f"{recipe}, seed {c['config']['seed']}"] = ok
    return pd.DataFrame(rows), right


def recipe_differences(right: dict[str, np.ndarray]) -> pd.DataFrame:
    """Transfer minus scratch for every pairing of seeds, beside seed 1 minus seed 0 of each."""
    from gemlib.evaluate import bootstrap_ci

    pairs = {f"transfer seed {t} - scratch seed {s}": (f"architecture transfer, seed {t}", f"architecture scratch, seed {s}")
             for s in (0, 1) for t in (0, 1)}
    pairs["scratch seed 1 - scratch seed 0"] = ("architecture scratch, seed 1", "architecture scratch, seed 0")
    pairs["transfer seed 1 - transfer seed 0"] = ("architecture transfer, seed 1", "architecture transfer, seed 0")
    pairs["gemstones seed 1 - gemstones seed 0"] = ("gemstones, seed 1", "gemstones, seed 0")
    rows = {}
    for name, (a, b) in pairs.items():
        diff = right[a].astype(float) - right[b].astype(float)
        mean, low, high = bootstrap_ci(diff)
        rows[name] = {"difference (points)": 100 * mean, "95 % interval low": 100 * low,
                      "95 % interval high": 100 * high, "photos right only for the first": int((diff > 0).sum()),
                      "photos right only for the second": int((diff < 0).sum())}
    return pd.DataFrame.from_dict(rows, orient="index")


def markdown(table: pd.DataFrame, digits: int) -> str:
    """A DataFrame as a Markdown table, floats to ``digits`` decimals."""
    def cell(v) -> str:
        return f"{v:.{digits}f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(map(str, table.columns)) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def curves_figure(path: Path) -> None:
    """Validation top-1 pass by pass (raw weights), both seeds of each recipe, one panel each."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gemlib import card
    from gemlib.train import history_by_pass

    fig, axes = plt.subplots(1, len(RUNS), figsize=(5 * len(RUNS), 3.4), sharey=False)
    for ax, (recipe, paths) in zip(axes, RUNS.items()):
        for seed, p in enumerate(paths):
            h = history_by_pass(card.load_card(REPO / p))
            ax.plot(h["epoch"] + 1, h["val_accuracy"], label=f"seed {seed}")
        ax.set(title=recipe, xlabel="pass over the training photos", ylabel="validation top-1")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"{path} written")


def main(argv: list[str]) -> None:
    if "--figure" in argv:
        curves_figure(REPO / argv[argv.index("--figure") + 1])
    table, right = seed_table()
    print(markdown(table, 3))
    print()
    print(markdown(recipe_differences(right).reset_index(names="comparison"), 1))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
