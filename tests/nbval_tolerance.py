"""nbval compares the stored outputs with a stated tolerance on printed decimals.

A pytest plugin, loaded for every run by ``-p nbval_tolerance`` in pyproject.toml (whose
``pythonpath`` puts tests/ on the path), so ``pytest notebooks`` applies it too.

TensorFlow computes a convolution with other kernels on other CPUs (oneDNN with or without
AVX-512, Eigen with ``TF_ENABLE_ONEDNN_OPTS=0``, Apple silicon), so a figure computed from the
model's arithmetic can land on the other side of a rounding boundary: 0.5905 is printed 0.591 on
one machine and 0.590 on another. The rule here, for every stored output nbval compares:

- text and integers must match exactly (counts, labels, file lists, shapes);
- a number printed with decimals may differ by at most one unit of its last printed digit
  (0.590 against 0.591, 0.59 against 0.60, 2.1e-69 against 2.2e-69), so each cell prints a figure
  at the precision that means something and the digit below it may fall either way;
- a cell whose figures can move further says so in its metadata,
  ``{"nbval-tolerance": {"units": N, "why": "..."}}``: N units of the last printed digit.

Predictions are left exact: on every shipped model the two highest logits of a test or
validation photo are further apart than the paths differ (``docs/testing.md``), so no prediction,
count or accuracy moves. Set ``GEMLIB_TOLERANCE_REPORT`` to a file to log every difference that
the rule accepted (``docs/testing.md`` lists what a oneDNN-off run moved).
"""

from __future__ import annotations

import copy
import json
import os
import re

from nbval.plugin import IPyNbCell

#: A number as printed by Python, NumPy or pandas: optional sign, digits (with thousands commas),
#: decimals, exponent.
NUMBER = re.compile(r"[-+]?\d+(?:,\d{3})*(?:\.(\d+))?(?:[eE]([-+]?\d+))?")
SPACES = re.compile(r"[ \t]+")
TEXT_FIELDS = ("text/plain", "text/html", "text/markdown")


def _unit(match: re.Match) -> float | None:
    """One unit of the last printed digit, or None for an integer (compared exactly)."""
    decimals, exponent = match.group(1), match.group(2)
    if decimals is None and exponent is None:
        return None
    return 10.0 ** (int(exponent or 0) - len(decimals or ""))


def _value(match: re.Match) -> float:
    return float(match.group(0).replace(",", ""))


def differences(ref: str, test: str) -> list[tuple[str, str, float]] | None:
    """Numeric differences between two printed outputs, or None if they differ otherwise.

    The texts between numbers must match (runs of spaces aside: a wider number shifts a column),
    integers must match, and every pair of decimal numbers is returned as
    ``(ref, test, difference in units of the last printed digit)``.
    """
    ref_numbers, test_numbers = list(NUMBER.finditer(ref)), list(NUMBER.finditer(test))
    if len(ref_numbers) != len(test_numbers):
        return None
    if [SPACES.sub(" ", t) for t in NUMBER.split(ref)[::3]] != [
        SPACES.sub(" ", t) for t in NUMBER.split(test)[::3]
    ]:
        return None
    found = []
    for a, b in zip(ref_numbers, test_numbers):
        if a.group(0) == b.group(0):
            continue
        units = [u for u in (_unit(a), _unit(b)) if u is not None]
        if len(units) < 2:  # an integer, or a number printed as one on one side only
            return None
        found.append((a.group(0), b.group(0), abs(_value(a) - _value(b)) / max(units)))
    return found


def _within(found: list[tuple[str, str, float]] | None, units: float) -> bool:
    return found is not None and all(d <= units * (1 + 1e-9) for _, _, d in found)


def close_enough(ref: str, test: str, units: float = 1.0) -> bool:
    """True when ``test`` prints ``ref`` up to ``units`` of each number's last digit."""
    return _within(differences(ref, test), units)


def _report(cell: IPyNbCell, found: list[tuple[str, str, float]]) -> None:
    path = os.environ.get("GEMLIB_TOLERANCE_REPORT")
    if path and found:
        with open(path, "a") as f:
            for ref, test, units in found:
                record = {"cell": cell.name, "notebook": str(cell.fspath.basename),
                          "stored": ref, "computed": test, "units": round(units, 3)}
                f.write(json.dumps(record) + "\n")


def _snap(cell: IPyNbCell, test: list, ref: list, units: float) -> list:
    """``test`` with each text that is close enough to its stored counterpart replaced by it."""
    snapped = []
    for i, out in enumerate(test):
        stored = ref[i] if i < len(ref) else None
        if stored is None or stored.get("output_type") != out.get("output_type"):
            snapped.append(out)
            continue
        out = copy.deepcopy(out)
        if isinstance(out.get("text"), str) and isinstance(stored.get("text"), str):
            out["text"] = _snap_text(cell, stored["text"], out["text"], units)
        for key in TEXT_FIELDS:
            computed, kept = out.get("data", {}).get(key), stored.get("data", {}).get(key)
            if isinstance(computed, str) and isinstance(kept, str):
                out["data"][key] = _snap_text(cell, kept, computed, units)
        snapped.append(out)
    return snapped


def _snap_text(cell: IPyNbCell, stored: str, computed: str, units: float) -> str:
    stored_clean, computed_clean = cell.sanitize(stored), cell.sanitize(computed)
    if stored_clean == computed_clean:
        return computed
    found = differences(stored_clean, computed_clean)
    if _within(found, units):
        _report(cell, found)
        return stored
    return computed


def compare_outputs(self: IPyNbCell, test, ref, skip_compare=None):
    """nbval's comparison, after snapping figures that agree within the stated tolerance."""
    units = float(self.cell.get("metadata", {}).get("nbval-tolerance", {}).get("units", 1))
    return NBVAL_COMPARE(self, _snap(self, test, ref, units), ref, skip_compare)


compare_outputs.tolerant = True
#: nbval's own comparison, kept once however often this file is imported
NBVAL_COMPARE = getattr(IPyNbCell, "nbval_compare_outputs", IPyNbCell.compare_outputs)
IPyNbCell.nbval_compare_outputs = NBVAL_COMPARE
IPyNbCell.compare_outputs = compare_outputs
