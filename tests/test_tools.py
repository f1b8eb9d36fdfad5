"""The project's tools on small inputs whose answers are known."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _card(scale: float, curve: list[float], path: Path) -> str:
    card = {"config": {"image_size": 96, "weight_decay": 0.05, "backbone_lr_scale": scale},
            "transfer_from": "models/gemstones.keras", "epochs": len(curve), "val_accuracy": max(curve),
            "train_seconds": 60.0, "history": {"val_accuracy": curve}}
    path.write_text(json.dumps(card))
    return str(path)


def test_collect_candidates_chooses_the_steadier_plateau_not_the_peak(tmp_path, capsys):
    tool = _tool("collect_candidates")
    # a peaks higher (0.9) but its last three epochs average 0.5; b never peaks but holds 0.6
    a = _card(1.0, [0.1, 0.9, 0.5, 0.5, 0.5], tmp_path / "a.json")
    b = _card(0.1, [0.1, 0.2, 0.6, 0.6, 0.6], tmp_path / "b.json")
    out = tmp_path / "candidates.json"
    tool.main(["--out", str(out), "--last", "3", a, b])
    record = json.loads(out.read_text())
    assert record["chosen"] == "transfer, backbone at 0.1 x the rate"
    assert record["plateau"] == {"transfer, backbone at 1 x the rate": 0.5, "transfer, backbone at 0.1 x the rate": 0.6}
    assert "chosen by the rule: transfer, backbone at 0.1 x the rate" in capsys.readouterr().out
    # without a rule nothing is chosen, the cards are still collected
    tool.main(["--out", str(out), a, b])
    assert "chosen" not in json.loads(out.read_text()) and len(json.loads(out.read_text())["runs"]) == 2


def test_results_table_is_what_the_cards_print(capsys):
    _tool("results").main()
    table = capsys.readouterr().out.strip().splitlines()
    results = (REPO / "docs" / "results.md").read_text()
    assert len(table) > 10
    stale = [row for row in table if row not in results]
    assert stale == [], "docs/results.md's table is stale: run python tools/results.py and paste it"


def test_results_names_the_colour_tests_as_notebook_04_does(capsys):
    from gemlib.colour import LESSON_NAMES

    _tool("results").main()
    labels = [row.split(" | ")[0].removeprefix("| colour test: ")
              for row in capsys.readouterr().out.splitlines() if row.startswith("| colour test:")]
    assert len(labels) == 10 and set(labels) <= set(LESSON_NAMES.values())


def test_results_rounds_a_cards_four_digits_as_the_notebooks_do():
    tool = _tool("results")
    # a card keeps 0.3915 and 0.0505 where the notebooks printed 0.392 and 0.050
    assert tool.pct(0.3915) == "39.2 %" and tool.pct(0.725) == "72.5 %"
    assert tool.dec(0.0505, 3, sign=True) == "+0.050" and tool.dec(-0.013, 3, sign=True) == "-0.013"


def test_binder_badge_from_a_github_remote(tmp_path, capsys):
    tool = _tool("binder_badge")
    want = "https://mybinder.org/v2/gh/alice/gem-stones/HEAD?urlpath=lab/tree/notebooks/01_data_exploration.ipynb"
    for remote in ("https://github.com/alice/gem-stones.git", "https://github.com/alice/gem-stones",
                   "git@github.com:alice/gem-stones.git", "ssh://git@github.com/alice/gem-stones.git\n"):
        assert tool.binder_url(remote) == want
    for bad in ("https://gitlab.com/alice/gem-stones.git", "OWNER/gemstones", ""):
        try:
            tool.binder_url(bad)
        except ValueError as exc:
            assert "not a GitHub repository address" in str(exc)
        else:
            raise AssertionError(bad)
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n{tool.START}old{tool.END}\nrest\n")
    tool.write(readme, tool.badge("https://github.com/alice/gem-stones.git"))
    assert readme.read_text() == f"# x\n{tool.START}[![Launch on Binder](https://mybinder.org/badge_logo.svg)]({want}){tool.END}\nrest\n"
    assert tool.main(["gitlab.com/x/y"]) == 2 and capsys.readouterr().err.startswith("error: ")


def test_readme_links_to_no_placeholder():
    readme = (REPO / "README.md").read_text()
    tool = _tool("binder_badge")
    outside = readme.split(tool.START)[0] + readme.split(tool.END)[-1]
    assert "OWNER" not in readme and "/v2/gh/" not in outside  # a badge comes only from the tool
    assert (REPO / "LICENSE").read_text().startswith("MIT License")


def test_seed_study_sets_recipe_gaps_beside_seed_gaps():
    import numpy as np

    tool = _tool("seed_study")
    n = 100
    right = {}
    for recipe, top in (("architecture scratch", 50), ("architecture transfer", 40)):
        for seed, shift in ((0, 0), (1, 2)):
            r = np.zeros(n, bool)
            r[shift:top + shift] = True
            right[f"{recipe}, seed {seed}"] = r
    right["gemstones, seed 0"] = right["gemstones, seed 1"] = np.ones(n, bool)
    table = tool.recipe_differences(right)
    # transfer seed 0 (photos 0-39) against scratch seed 0 (0-49): 10 photos right only for scratch
    row = table.loc["transfer seed 0 - scratch seed 0"]
    assert row["difference (points)"] == 100 * (40 - 50) / n
    assert (row["photos right only for the first"], row["photos right only for the second"]) == (0, 10)
    # seed 1 shifts the same count by two photos: no gap in accuracy, four photos change sides
    row = table.loc["scratch seed 1 - scratch seed 0"]
    assert row["difference (points)"] == 0 and row["photos right only for the first"] == 2
    assert table.loc["gemstones seed 1 - gemstones seed 0", "difference (points)"] == 0
    text = tool.markdown(table.reset_index(names="comparison"), 1)
    assert text.splitlines()[0].startswith("| comparison | difference (points)") and "| 10 |" in text


def test_published_score_is_the_val_loss_checkpoints_accuracy_not_the_best(tmp_path, capsys):
    tool = _tool("published_score")
    log = ("Epoch 1/3\n10/10 - loss: 2.0 - accuracy: 0.3 - val_loss: 1.50 - val_accuracy: 0.60\n"
           "Epoch 2/3\n10/10 - loss: 1.0 - accuracy: 0.5 - val_loss: 0.90 - val_accuracy: 0.55\n"
           "Epoch 3/3\n10/10 - loss: 0.5 - accuracy: 0.7 - val_loss: 0.90 - val_accuracy: 0.70\n")
    nb = {"cells": [{"cell_type": "code", "outputs": [{"name": "stdout", "text": "Found 3 images"}]},
                    {"cell_type": "code", "outputs": [{"name": "stdout", "text": log}]}]}
    path = tmp_path / "Gemstones.ipynb"
    path.write_text(json.dumps(nb))
    # the lowest loss (0.90, first reached at epoch 2) is kept, at 0.55; not the best 0.70
    assert tool.checkpoint_score(tool.training_log(nb)) == {
        "epochs": 3, "kept_epoch": 2, "val_loss": 0.9, "val_accuracy": 0.55, "best_val_accuracy": 0.7}
    assert tool.main([str(path)]) == 0
    assert "epoch 2: val_accuracy 0.55 on the test photos (55.0 %)" in capsys.readouterr().out
    (tmp_path / "empty.ipynb").write_text(json.dumps({"cells": []}))
    for bad in (tmp_path / "empty.ipynb", tmp_path / "missing.ipynb"):
        assert tool.main([str(bad)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and str(bad) in err and "Gemstones.ipynb" in err


def test_the_committed_figures_are_the_notebooks_stored_ones(tmp_path, capsys):
    """figures/ holds what tools/export_figures.py copies out of the executed notebooks: a
    notebook re-executed without exporting again leaves a README figure that no longer matches."""
    tool = _tool("export_figures")
    tool.main(tmp_path)
    stale = [name for name in tool.FIGURES
             if (tmp_path / name).read_bytes() != (REPO / "figures" / name).read_bytes()]
    assert stale == [], f"figures/ is stale ({stale}): run python tools/export_figures.py"


def test_the_stored_watched_pair_holds_both_recipes_twice_for_every_epoch():
    """docs/history/watched_pair.json, written by tools/watched_pair.py and plotted by notebook
    03: two seeds with augmentation and two without, each with a full history."""
    tool = _tool("watched_pair")
    record = json.loads((REPO / "docs" / "history" / "watched_pair.json").read_text())
    assert record["command"].startswith("python tools/watched_pair.py")
    assert record["classes"] == tool.WATCH_CLASSES and record["n_val"] == 32
    assert sorted((r["augmented"], r["seed"]) for r in record["runs"]) == \
        [(False, 0), (False, 1), (True, 0), (True, 1)]
    for run in record["runs"]:
        assert run["history"]["epoch"] == list(range(record["epochs"]))
        assert all(0 <= a <= 1 for a in run["history"]["val_accuracy"])
