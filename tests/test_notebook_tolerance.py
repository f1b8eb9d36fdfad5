"""The stated tolerance nbval applies to stored outputs (tests/nbval_tolerance.py)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tol():
    import nbval_tolerance  # loaded by pytest as a plugin (pyproject.toml's addopts)

    return nbval_tolerance


def test_last_printed_digit_may_move_by_one_unit(tol):
    assert tol.close_enough("vargrad  0.591", "vargrad  0.590")
    assert tol.close_enough("0.59", "0.60") and tol.close_enough("p = 2.1e-69", "p = 2.2e-69")
    assert not tol.close_enough("0.591", "0.589")  # two units
    assert not tol.close_enough("0.59", "0.61")
    assert tol.close_enough("0.591", "0.589", units=2)
    assert tol.differences("a 0.591 b 1.5", "a 0.590 b 1.5") == [("0.591", "0.590", pytest.approx(1.0))]


def test_integers_and_text_must_match_exactly(tol):
    assert not tol.close_enough("242 photos", "241 photos")  # a count is never rounded
    assert not tol.close_enough("1,383,255", "1,383,256")
    assert not tol.close_enough("Pearl 0.50", "Opal 0.50")
    assert not tol.close_enough("0.5", "1")  # printed as an integer on one side only
    assert not tol.close_enough("0.50 0.25", "0.50")  # a number missing
    assert not tol.close_enough("-0.25", "0.25")


def test_a_wider_number_may_shift_a_column(tol):
    assert tol.close_enough("x   9.99\ny  10.00", "x  10.00\ny  10.00")
    assert not tol.close_enough("x 9.99", "x9.99")  # spaces removed, not resized


def test_nbval_compares_through_the_tolerance(tol):
    """The patched comparison accepts a moved last digit and still rejects a real change."""
    from nbval.plugin import IPyNbCell

    class Parent:
        sanitize_patterns: dict = {}
        skip_compare = ("metadata", "traceback", "output_type", "name", "execution_count")

    cell = IPyNbCell.__new__(IPyNbCell)
    cell.parent, cell.cell = Parent(), nbformat.v4.new_code_cell("x")
    cell.colors = type("C", (), {"FAIL": "", "ENDC": "", "OKBLUE": "", "OKGREEN": ""})
    cell.format_output_compare = lambda *args: None  # nbval's report needs a pytest session

    def result(text: str) -> list:
        return [nbformat.v4.new_output("execute_result", {"text/plain": text}, execution_count=1)]

    def stream(text: str) -> list:
        return [nbformat.v4.new_output("stream", name="stdout", text=text)]

    assert getattr(IPyNbCell.compare_outputs, "tolerant", False)  # the patch is in place
    assert tol.compare_outputs(cell, result("auc 0.590"), result("auc 0.591"))
    assert tol.compare_outputs(cell, stream("auc 0.590\n"), stream("auc 0.591\n"))
    assert not tol.compare_outputs(cell, result("auc 0.580"), result("auc 0.591"))
    assert not tol.compare_outputs(cell, result("242 right"), result("241 right"))
    cell.cell.metadata["nbval-tolerance"] = {"units": 12, "why": "a test"}
    assert tol.compare_outputs(cell, result("auc 0.580"), result("auc 0.591"))


def test_every_stated_tolerance_gives_its_reason():
    for path in sorted((REPO / "notebooks").glob("0*.ipynb")):
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
            stated = cell.get("metadata", {}).get("nbval-tolerance")
            if stated is not None:
                assert set(stated) == {"units", "why"} and stated["units"] > 1 and stated["why"], (path.name, i)
