"""Collect candidates' model cards into one file of ``docs/history/``, and say which one a rule picks.

    python tools/collect_candidates.py [--out NAME.json] [--last N] CARD [CARD ...]

A CARD is a path to a model card, or ``COMMIT:PATH`` to read one from git history (the model it
describes may have been replaced since). Round 1 of the gemstones recipe search was recorded this
way (the default ``--out``): the model shipped then was the candidate with the best *validation*
accuracy among those trained within the 60-minute budget. With ``--last N`` the tool also applies
the steadier rule of round 3 (the architecture transfer rate): the candidate with the highest mean
validation top-1 of its raw weights over its last N epochs, ties to the first given. The rule and
its result are stored with the cards (docs/how_the_models_were_chosen.md tells the story).
"""

from __future__ import annotations

import argparse
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
    if card.get("transfer_from"):
        return f"transfer, backbone at {cfg.get('backbone_lr_scale', 1.0):g} x the rate"
    name = f"{cfg['image_size']} px, {card['epochs']} epochs"
    if cfg.get("mixup"):
        name += f", mixup {cfg['mixup']}"
    if cfg["weight_decay"] != base_decay:
        name += f", weight decay {cfg['weight_decay']:g}"
    if cfg.get("budget_minutes"):
        name += f", {cfg['budget_minutes']:g}-minute clock"
    return name


def plateau(card: dict, last: int) -> float:
    """Mean validation top-1 of the raw weights over the last ``last`` epochs of a card's history."""
    curve = card["history"]["val_accuracy"]
    return float(sum(curve[-last:]) / len(curve[-last:]))


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=OUT.name, help="file name under docs/history/ (or an absolute path)")
    p.add_argument("--last", type=int, default=0, help="choose by the mean of the last N validation epochs")
    p.add_argument("cards", nargs="+")
    a = p.parse_args(argv)
    runs = {}
    cards = [read_card(spec) for spec in a.cards]
    for spec, card in zip(a.cards, cards):
        card.pop("classes", None)
        for split in ("train_files", "val_files", "test_files"):  # the shipped model's card lists them
            card.pop(split, None)
        card["source"] = spec
        name = label(card, cards[0]["config"]["weight_decay"])
        if name in runs:
            sys.exit(f"error: two candidates are both {name!r}; the table needs a distinct name for each")
        runs[name] = card
    record = {"command": "python tools/collect_candidates.py " + " ".join(argv), "runs": runs}
    if a.last:
        scores = {name: plateau(c, a.last) for name, c in runs.items()}
        record["rule"] = f"highest mean validation top-1 (raw weights) over the last {a.last} epochs"
        record["plateau"] = scores
        record["chosen"] = max(scores, key=scores.get)  # ties: the first given
    (OUT.parent / a.out).write_text(json.dumps(record, indent=1) + "\n")
    for name, c in runs.items():
        extra = f", last {a.last} epochs {record['plateau'][name]:.3f}" if a.last else ""
        print(f"{name}: validation {c['val_accuracy']:.3f}{extra}, {c['train_seconds'] / 60:.1f} min")
    if a.last:
        print(f"chosen by the rule: {record['chosen']}")


if __name__ == "__main__":
    main(sys.argv[1:])
