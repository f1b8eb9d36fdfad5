"""Project hygiene: the Binder environment agrees with pip, notebooks follow the house rules."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ]", req, maxsplit=1)[0].lower()


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pip_reqs = project["dependencies"] + project["optional-dependencies"]["test"]
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    conda_pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    conda_by_name = {_name(r): r for r in conda_pip}
    for req in pip_reqs:
        assert _name(req) in conda_by_name, f"{req} missing from environment.yml"
        assert conda_by_name[_name(req)].replace(" ", "") == req.replace(" ", ""), f"{req} pinned differently"
    assert set(conda_by_name) == {_name(r) for r in pip_reqs}
    assert "python=3.11" in env["dependencies"]


def test_notebooks_are_numbered_in_reading_order():
    numbers = [p.name[:2] for p in NOTEBOOKS]
    assert numbers == [f"{i:02d}" for i in range(1, len(numbers) + 1)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_house_rules(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a notebook without code"
    for cell in code:
        assert not re.search(r"^\s*(def|class) ", cell.source, re.M), f"define functions in gemlib, not in {path.name}"
        long = [line for line in cell.source.splitlines() if len(line) > 100]
        assert not long, f"{path.name}: code lines over 100 characters: {long}"
        assert cell.get("execution_count") is not None or "# photos:" in cell.source, "commit notebooks executed"
        if "# photos:" in cell.source:
            assert not cell.outputs, "dataset photos must not be stored in the repository"
            assert "NBVAL_IGNORE_OUTPUT" in cell.source
    assert "widgets" not in nb.metadata, "stored widget state can hold photos"
    assert sum(c.cell_type == "markdown" for c in nb.cells) >= 3


def test_no_dataset_images_committed():
    import subprocess

    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True).stdout.split()
    images = [f for f in files if f.lower().endswith((".jpg", ".jpeg")) or f.startswith("data/") and f not in ("data/README.md", "data/.gitignore")]
    assert images == []


def _hygiene():
    import importlib.util

    spec = importlib.util.spec_from_file_location("notebook_hygiene", REPO / "tools" / "notebook_hygiene.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TF_LOG = (
    "E0000 00:00:1764450000.123456   41234 tfg_optimizer_hook.cc:135] tfg_optimizer{any(tfg-consolidate-attrs)}"
    " failed: INVALID_ARGUMENT: Node x has an empty op name\n"
)


def test_hygiene_strips_library_log_lines_and_keeps_the_rest(tmp_path):
    hygiene = _hygiene()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1", outputs=[
        nbformat.v4.new_output("stream", name="stderr", text=TF_LOG),
        nbformat.v4.new_output("stream", name="stderr", text="UserWarning: 4 files left out\n" + TF_LOG),
        nbformat.v4.new_output("stream", name="stdout", text="2024-01-02 03:04:05.678901: I tensorflow/core/x.cc:1] hi\n42\n"),
    ])]
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    assert hygiene.clean(path) == (0, 3)
    outs = nbformat.read(path, as_version=4).cells[0].outputs
    assert [(o.name, o.text) for o in outs] == [("stderr", "UserWarning: 4 files left out\n"), ("stdout", "42\n")]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_library_log_line_is_stored(path):
    patterns = _hygiene().log_patterns()
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                assert not any(p.search(out.text) for p in patterns), f"a library log line in {path.name}"
                # a library's Python warning names its file under site-packages
                assert "site-packages" not in out.text, f"a library warning in {path.name}: {out.text[:200]}"
