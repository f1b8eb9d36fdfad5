"""Clear stored outputs that would put dataset photos into the repository.

Cells whose source contains the marker ``# photos:`` display dataset images
(or overlays on them). The images' licence is Kaggle's, so their outputs are
not committed: this script empties them, and drops stored widget state (which
would hold PNG bytes). Run it after executing the notebooks:

    python tools/notebook_hygiene.py notebooks/*.ipynb
"""

from __future__ import annotations

import sys

import nbformat

MARKER = "# photos:"


def clean(path: str) -> int:
    nb = nbformat.read(path, as_version=4)
    cleared = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and MARKER in cell.source and cell.get("outputs"):
            cell.outputs = []
            cleared += 1
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return cleared


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(f"{p}: cleared {clean(p)} photo cell(s)")
