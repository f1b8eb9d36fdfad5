"""The published attempt's test score, read from its notebook's stored training log.

    python tools/published_score.py Gemstones.ipynb

(``Gemstones.ipynb`` from github.com/loremendez/Gemstones.) Its ``model.fit`` cell validated on
the test directory (363 photos) and its ``ModelCheckpoint`` kept the epoch with the lowest
``val_loss``; the score it reports is that epoch's ``val_accuracy``: a checkpoint chosen on the
test set. Prints that epoch, its score, and the best ``val_accuracy`` of any epoch.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

EPOCH = re.compile(r"val_loss: (?P<loss>[0-9.]+) - val_accuracy: (?P<accuracy>[0-9.]+)")


def training_log(notebook: dict) -> list[tuple[float, float]]:
    """(val_loss, val_accuracy) per epoch, from the first code cell whose outputs log them."""
    for cell in notebook.get("cells", []):
        text = "".join("".join(o.get("text", "")) for o in cell.get("outputs", []))
        rows = [(float(m["loss"]), float(m["accuracy"])) for m in EPOCH.finditer(text)]
        if rows:
            return rows
    return []


def checkpoint_score(rows: list[tuple[float, float]]) -> dict:
    """The epoch (from 1) a ``val_loss`` checkpoint keeps, its accuracy, and the best accuracy."""
    best = min(range(len(rows)), key=lambda k: rows[k][0])  # the first of equal losses, as Keras
    return {"epochs": len(rows), "kept_epoch": best + 1, "val_loss": rows[best][0],
            "val_accuracy": rows[best][1], "best_val_accuracy": max(a for _, a in rows)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path, help="the published Gemstones.ipynb")
    path = parser.parse_args(argv).notebook
    try:
        rows = training_log(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as err:
        print(f"error: cannot read {path} as a notebook ({err}); pass the published "
              "Gemstones.ipynb", file=sys.stderr)
        return 2
    if not rows:
        print(f"error: {path} has no stored training log (val_loss / val_accuracy lines); pass "
              "the published Gemstones.ipynb with its outputs", file=sys.stderr)
        return 2
    s = checkpoint_score(rows)
    print(f"{s['epochs']} epochs logged; the checkpoint (lowest val_loss {s['val_loss']}) is "
          f"epoch {s['kept_epoch']}: val_accuracy {s['val_accuracy']} on the test photos "
          f"({100 * s['val_accuracy']:.1f} %); the best val_accuracy of any epoch "
          f"{s['best_val_accuracy']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
