"""Collect the cards of the gemstones recipe candidates into ``docs/history/gemstones_candidates_round1.json``.

    python tools/collect_candidates.py CARD [CARD ...]

A CARD is a path to a model card, or ``COMMIT:PATH`` to read one from git history (the model it
describes may have been replaced since). This is how round 1 of the recipe search was recorded:
the model shipped then was the candidate with the best *validation* accuracy among those trained
within the 60-minute budget (docs/how_the_models_were_chosen.md tells the story).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "history" / "gemstones_candidates_round1.json"


def read_card(spec: str) -> dict:
    """A card from a file, or from ``COMMIT:PATH`` in git history."""
    path = Path(spec)
    if path.is_file():
        return json.loads(path.read_text())
    if ":" in spec:
        shown = subprocess.run(["git", "show", spec], cwd=ROOT, capture_output=True, text=True)
        if shown.returncode == 0:
            return json.loads(shown.stdout)
    sys.exit(f"error: no card at {spec!r} (give a file, or COMMIT:PATH known to git)")


def label(card: dict, base_decay: float) -> str:
    """A short name from the recipe: image size, epochs, and mixup, time budget and a weight decay
    other than ``base_decay`` (the first candidate's) if used."""
    cfg = card["config"]
    name = f"{cfg['image_size']} px, {card['epochs']} epochs"
    if cfg.get("mixup"):
        name += f", mixup {cfg['mixup']}"
    if cfg["weight_decay"] != base_decay:
        name += f", weight decay {cfg['weight_decay']:g}"
    if cfg.get("budget_minutes"):
        name += f", {cfg['budget_minutes']:g}-minute clock"
    return name


def main(specs: list[str]) -> None:
    if not specs:
        sys.exit(__doc__)
    runs = {}
    cards = [read_card(spec) for spec in specs]
    for spec, card in zip(specs, cards):
        card.pop("classes", None)
        card["source"] = spec
        name = label(card, cards[0]["config"]["weight_decay"])
        if name in runs:
            sys.exit(f"error: two candidates are both {name!r}; the table needs a distinct name for each")
        runs[name] = card
    OUT.write_text(json.dumps({"command": "python tools/collect_candidates.py " + " ".join(specs),
                               "runs": runs}, indent=1) + "\n")
    for name, c in runs.items():
        print(f"{name}: validation {c['val_accuracy']:.3f}, {c['train_seconds'] / 60:.1f} min")


if __name__ == "__main__":
    main(sys.argv[1:])
