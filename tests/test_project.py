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


def test_binder_settings_shut_down_and_cull_kernels(tmp_path):
    """postBuild installs jupyter-config/: closing a tab shuts its kernel, idle kernels are culled."""
    import json
    import os
    import subprocess
    import sys

    import jupyterlab

    post_build = (REPO / "postBuild").read_text()
    assert re.search(r"^python jupyter-config/install\.py$", post_build, re.M), "postBuild must install jupyter-config"
    assert re.search(r"^export MALLOC_ARENA_MAX=", (REPO / "start").read_text(), re.M)
    subprocess.run([sys.executable, str(REPO / "jupyter-config" / "install.py"), str(tmp_path)], check=True)
    overrides = json.loads((tmp_path / "share/jupyter/lab/settings/overrides.json").read_text())
    assert overrides["@jupyterlab/notebook-extension:tracker"]["kernelShutdown"] is True
    # the setting's name and plugin must be JupyterLab's own, or the override is silently ignored
    schema = Path(jupyterlab.__file__).parent / "schemas/@jupyterlab/notebook-extension/tracker.json"
    assert "kernelShutdown" in json.loads(schema.read_text())["properties"]
    # as JupyterLab reads the overrides (its public get_settings applies them to the schema's
    # defaults), and as Jupyter Server builds its kernel manager from its config files (a file it
    # does not read, e.g. under jupyter_server_config.d/, would pass a JSON check)
    from jupyterlab_server.settings_utils import get_settings

    (tmp_path / "user").mkdir()
    read, _ = get_settings(str(tmp_path / "share/jupyter/lab/settings"), str(schema.parents[2]),
                           str(tmp_path / "user"), schema_name="@jupyterlab/notebook-extension:tracker")
    assert read["schema"]["properties"]["kernelShutdown"]["default"] is True
    probe = (
        "from jupyter_server.serverapp import ServerApp\n"
        "from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager as K\n"
        "app = ServerApp(); app.load_config_file(); km = K(config=app.config)\n"
        "print(km.cull_idle_timeout, km.cull_interval, km.cull_busy, km.cull_connected)\n"
    )
    env = dict(os.environ, JUPYTER_CONFIG_PATH=str(tmp_path / "etc/jupyter"), JUPYTER_CONFIG_DIR=str(tmp_path / "user"))
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True).stdout
    timeout, interval, busy, connected = out.split()
    assert 0 < int(interval) <= int(timeout) and busy == "False"  # culled when idle, never while running
    # a notebook still open in a tab keeps its kernel (and the reader's state); one whose browser
    # went away is disconnected, so it is still culled
    assert connected == "False"


def test_binder_settings_install_merges_existing_overrides(tmp_path):
    import json
    import subprocess
    import sys

    overrides = tmp_path / "share/jupyter/lab/settings/overrides.json"
    overrides.parent.mkdir(parents=True)
    overrides.write_text(json.dumps({"@jupyterlab/notebook-extension:tracker": {"autoRenderMarkdownCells": True},
                                     "@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}}))
    subprocess.run([sys.executable, str(REPO / "jupyter-config" / "install.py"), str(tmp_path)], check=True)
    assert json.loads(overrides.read_text()) == {
        "@jupyterlab/notebook-extension:tracker": {"autoRenderMarkdownCells": True, "kernelShutdown": True},
        "@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
    }


def test_readme_stays_within_a_thousand_words():
    """A newcomer reads the README whole: 1,000 words at most, counted as ``wc -w`` does."""
    words = (REPO / "README.md").read_text().split()
    assert len(words) <= 1000, f"README.md has {len(words)} words; cut it to 1,000"
