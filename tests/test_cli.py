"""The command line: clear one-line errors with exit code 2, and the explain figure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gemlib import cli
from gemlib.card import load_model, save_card
from gemlib.data import DataError
from gemlib.models import build_resnet

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture()
def small_model(tmp_path):
    model = build_resnet(3, image_size=32, widths=(4, 4, 8, 8), head_units=8)
    path = tmp_path / "m.keras"
    model.save(path)
    save_card(path, {"classes": ["Blue", "Green", "Red"], "image_size": 32, "dataset": "gemstones"})
    return path


@pytest.mark.parametrize("kind", ["missing", "directory", "not_an_image", "decompression_bomb"])
def test_explain_bad_paths_exit_2_with_one_line(tmp_path, small_model, capsys, kind):
    target = {"missing": tmp_path / "nope.jpg", "directory": tmp_path, "not_an_image": tmp_path / "notes.jpg",
              "decompression_bomb": tmp_path / "bomb.png"}[kind]
    if kind == "not_an_image":
        target.write_text("hello")
    if kind == "decompression_bomb":  # 20,000 x 20,000 pixels in a 48 kB file
        Image.new("1", (20_000, 20_000)).save(target)
    code = cli.main(["explain", str(target), "--model", str(small_model), "-o", str(tmp_path / "o.png")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: ") and str(target) in err


def test_explain_prints_top5_and_writes_figure(tmp_path, small_model, capsys):
    img = tmp_path / "stone.png"
    Image.fromarray(np.full((50, 40, 4), 120, np.uint8)).save(img)  # RGBA, odd size: handled
    out = tmp_path / "fig.png"
    code = cli.main(["explain", str(img), "--model", str(small_model), "--samples", "4", "-o", str(out)])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0 and out.is_file()
    ranked = [line for line in lines if line[:2] in ("1.", "2.", "3.")]
    assert len(ranked) == 3  # only three classes exist
    probs = [float(line.split()[-1]) for line in ranked]
    assert probs == sorted(probs, reverse=True) and abs(sum(probs) - 1) < 0.01


def test_model_whose_classes_do_not_match_is_refused(small_model):
    with pytest.raises(DataError, match="do not match"):
        load_model(small_model, ["Blue", "Green", "Ruby"])
    card = json.loads(small_model.with_suffix(".json").read_text())
    card["classes"] = ["a", "b"]
    small_model.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(DataError, match="3 outputs but its card lists 2"):
        load_model(small_model)


def test_help_runs_as_a_module():
    r = subprocess.run([sys.executable, "-m", "gemlib", "--help"], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0 and "train" in r.stdout and "explain" in r.stdout


def test_evaluate_tta_choices_match_the_views_evaluate_knows():
    from gemlib.evaluate import TTA_VIEWS

    assert cli.TTA_CHOICES == list(TTA_VIEWS)
    assert cli.build_parser().parse_args(["evaluate", "--tta", "dihedral"]).tta == "dihedral"


def test_features_writes_neighbours_and_the_familiarity_threshold(tmp_path, tiny):
    from gemlib import card as cards
    from gemlib.data import load_dataset
    from gemlib.neighbours import Neighbours, image_features
    from gemlib.ood import familiarity_threshold, top_probability

    ds = load_dataset("gemstones", 32, root=tiny, val_fraction=0.2)
    model = build_resnet(3, image_size=32, widths=(4, 4, 8, 8), head_units=8)
    path = tmp_path / "m.keras"
    model.save(path)
    save_card(path, {"classes": ds.classes, "image_size": 32, "dataset": "gemstones", **ds.files()})
    assert cli.main(["features", "--model", str(path), "--data-root", str(tiny)]) == 0
    found = Neighbours.load(tmp_path / "m.features.npz")
    assert found.paths == ds.files()["train_files"] and found.paths[0].startswith("train/")
    assert found.labels.tolist() == ds.train.labels.tolist()
    np.testing.assert_allclose(found.features, image_features(model, ds.train.images), atol=2e-3)
    fam = cards.load_card(path)["familiarity"]
    assert (fam["percentile"], fam["split"], fam["n"]) == (5.0, "val", len(ds.val))
    assert fam["threshold"] == pytest.approx(familiarity_threshold(top_probability(model, ds.val.images)))
