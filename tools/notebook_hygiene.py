"""Keep stored notebook outputs fit to commit: no dataset photos at full size, no library logs.

Cells whose source contains the marker ``# photos:`` display dataset images at full size (or
widgets that hold them): this script empties their outputs and drops stored widget state (which
would hold PNG bytes). It also deletes TensorFlow's C++ log lines (timestamps and process ids,
different every run) from stored text streams, using the patterns of the ``[library log lines]``
section of ``notebooks/nbval_sanitize.cfg``, the same ones nbval applies when it compares.
Run it after executing the notebooks (``make notebooks`` does):

    python tools/notebook_hygiene.py notebooks/0*.ipynb
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

MARKER = "# photos:"
SANITIZE_CFG = Path(__file__).resolve().parent.parent / "notebooks" / "nbval_sanitize.cfg"
LOG_SECTION = "[library log lines]"


def log_patterns(cfg: Path = SANITIZE_CFG) -> list[re.Pattern]:
    """The regexes of the ``[library log lines]`` section of nbval's sanitiser file."""
    patterns, inside = [], False
    for line in cfg.read_text().splitlines():
        if line.startswith("["):
            inside = line.strip() == LOG_SECTION
        elif inside and line.startswith("regex:"):
            patterns.append(re.compile(line.split(":", 1)[1].strip()))
    return patterns


def strip_logs(text: str, patterns: list[re.Pattern]) -> str:
    """``text`` without the lines that any of ``patterns`` matches."""
    for p in patterns:
        text = p.sub("", text)
    return text


def clean(path: str | Path, patterns: list[re.Pattern] | None = None) -> tuple[int, int]:
    """Clean one notebook in place; return (photo cells emptied, log lines removed)."""
    patterns = log_patterns() if patterns is None else patterns
    nb = nbformat.read(path, as_version=4)
    cleared = removed = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if MARKER in cell.source and cell.get("outputs"):
            cell.outputs = []
            cleared += 1
        kept = []
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                text = strip_logs(out.text, patterns)
                removed += out.text.count("\n") - text.count("\n")
                out.text = text
                if not text:
                    continue
            kept.append(out)
        if "outputs" in cell:
            cell.outputs = kept
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return cleared, removed


if __name__ == "__main__":
    for p in sys.argv[1:]:
        photos, logs = clean(p)
        print(f"{p}: cleared {photos} photo cell(s), removed {logs} library log line(s)")
