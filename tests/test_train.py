"""Training: data pipeline, a real tiny run, and resuming after a hard kill mid-run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gemlib.augment import AugmentConfig, augment_examples
from gemlib.data import Split, load_dataset
from gemlib.models import build_resnet
from gemlib.train import (CRASH_ENV, FINAL_LR_FRACTION, TrainConfig, WeightAverage, budget_learning_rate,
                          chosen_weights, compile_model, make_tf_dataset, train)

REPO = Path(__file__).resolve().parent.parent


def test_pipeline_batches_one_hot_and_keeps_colour():
    split = Split(np.full((10, 8, 8, 3), 200, np.uint8), np.arange(10, dtype=np.int32) % 3)
    x, y = next(iter(make_tf_dataset(split, 3, 4, training=True, augment=AugmentConfig(zoom=0))))
    assert x.shape == (4, 8, 8, 3) and y.shape == (4, 3)
    np.testing.assert_allclose(y.numpy().sum(1), 1.0)
    # flips and rotations of a uniform image leave its colour alone (reflect padding)
    np.testing.assert_allclose(x.numpy(), 200.0, atol=1e-3)


def test_mixup_mixes_image_and_label_by_the_same_weight():
    # image k is the constant k*10 and has label k, so a mixed image's value must equal
    # 10 * (sum over classes of label weight * class index), pixel for pixel
    n, k = 16, 8
    split = Split(np.repeat(np.arange(n, dtype=np.uint8) % k * 10, 4 * 4 * 3).reshape(n, 4, 4, 3),
                  np.arange(n, dtype=np.int32) % k)
    x, y = next(iter(make_tf_dataset(split, k, n, training=True, mixup=0.4, seed=1)))
    x, y = x.numpy(), y.numpy()
    np.testing.assert_allclose(y.sum(1), 1.0, atol=1e-6)
    assert (y >= 0).all() and (y.max(1) < 1 - 1e-3).any()  # some examples really are mixed
    expected = 10 * (y * np.arange(k)).sum(1)
    np.testing.assert_allclose(x, np.broadcast_to(expected[:, None, None, None], x.shape), atol=1e-3)
    # no mixup: one-hot labels and the original pixel values
    x0, y0 = next(iter(make_tf_dataset(split, k, n, training=True, mixup=0.0, seed=1)))
    assert set(np.unique(y0.numpy())) == {0.0, 1.0}


def test_adamw_decay_per_step_is_learning_rate_times_weight_decay():
    # with zero gradients Adam's own step is zero, so one step only decays: w -> w * (1 - lr * wd).
    # Keras's AdamW multiplies the decay by the learning rate, so wd = 5e-4 at lr = 2e-3 shrinks a
    # weight by 1e-6 per step (under 1 % over a whole run): practically no decay at all.
    model = build_resnet(3, image_size=16, widths=(4, 8), head_units=8)
    config = TrainConfig(learning_rate=0.01, weight_decay=0.05, warmup_epochs=0, epochs=10)
    compile_model(model, config, steps_per_epoch=1)
    before = [v.numpy().copy() for v in model.trainable_variables]
    model.optimizer.apply([np.zeros_like(b) for b in before], model.trainable_variables)
    for b, v in zip(before, model.trainable_variables):
        np.testing.assert_allclose(v.numpy(), b * (1 - 0.01 * 0.05), rtol=1e-6, atol=1e-9)


def test_augmentation_changes_pose_not_colour():
    img = np.zeros((16, 16, 3), np.uint8)
    img[:8] = (200, 30, 30)
    img[8:] = (30, 30, 200)
    out = augment_examples(img, AugmentConfig(), n=6, seed=0)
    assert out.shape == (6, 16, 16, 3) and out.dtype == np.uint8
    assert any(not np.array_equal(o, img) for o in out)  # the pose changed
    # every pixel is still (close to) one of the two colours: no hue shift
    d = np.minimum(np.abs(out.astype(int) - [200, 30, 30]).sum(-1), np.abs(out.astype(int) - [30, 30, 200]).sum(-1))
    assert np.median(d) < 5


def test_contrast_is_lowered_as_well_as_raised():
    """contrast=0.3 spreads the pixels from the mean by factors 0.7 to 1.3, both ways (Keras 3.15
    reads a single number as 1 to 1.3 only)."""
    img = np.zeros((8, 8, 3), np.uint8)
    img[:, :4], img[:, 4:] = 50, 150  # mean 100: a factor f puts the halves at 100 -+ 50 f
    out = augment_examples(img, AugmentConfig(flip=False, rotation=0, zoom=0, contrast=0.3),
                           n=64, seed=0).astype(float)
    factor = (out[:, :, 4:].mean((1, 2, 3)) - out[:, :, :4].mean((1, 2, 3))) / 100
    assert factor.min() < 0.8 and factor.max() > 1.2 and factor.min() > 0.69 and factor.max() < 1.31


def test_tiny_training_learns_colours(tiny, tmp_path):
    data = load_dataset("gemstones", 32, val_fraction=0.3, root=tiny)
    cfg = TrainConfig(image_size=32, epochs=8, batch_size=8, learning_rate=3e-3, warmup_epochs=1,
                      widths=(8, 8, 16, 16), head_units=16, dropout=0.0, label_smoothing=0.0)
    model, history, seconds = train(cfg, data, tmp_path / "run", verbose=0)
    assert list(history["epoch"]) == list(range(8)) and seconds > 0
    assert (tmp_path / "run" / "best.weights.h5").is_file()
    assert history["loss"].iloc[-1] < history["loss"].iloc[0]
    pred = np.asarray(model.predict(data.test.images.astype("float32"), verbose=0)).argmax(1)
    assert (pred == data.test.labels).mean() >= 0.6  # three colours: chance is 1/3


def test_budget_schedule_warms_up_by_steps_and_decays_by_the_clock():
    lr = lambda step, t: budget_learning_rate(1.0, step, warmup_steps=10, elapsed=t, budget=100.0)  # noqa: E731
    assert lr(0, 0) == pytest.approx(0.1)  # warm-up starts at a tenth
    assert lr(5, 0) == pytest.approx(0.55)  # and rises linearly
    assert lr(10, 0) == pytest.approx(1.0)
    assert lr(10, 50) == pytest.approx(FINAL_LR_FRACTION + (1 - FINAL_LR_FRACTION) / 2)  # cosine midpoint
    assert lr(10, 100) == pytest.approx(FINAL_LR_FRACTION) == lr(10, 500)  # floor at and after the budget


def test_time_budget_stops_the_run_and_sets_the_learning_rate(tiny, tmp_path):
    data = load_dataset("gemstones", 32, val_fraction=0.3, root=tiny)
    base = dict(image_size=32, batch_size=8, widths=(8, 8), head_units=8, warmup_epochs=0)
    # a budget far shorter than one epoch: the run stops after its first epoch, not at the cap of 5
    model, history, seconds = train(TrainConfig(epochs=5, budget_minutes=1e-4, **base), data, tmp_path / "a", verbose=0)
    assert len(history) == 1 and seconds > 1e-4 * 60
    # past the budget the clock has pushed the learning rate down to its floor
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(FINAL_LR_FRACTION * 2e-3)
    # a generous budget runs to the cap, with the rate still near its peak
    model, history, _ = train(TrainConfig(epochs=2, budget_minutes=60, **base), data, tmp_path / "b", verbose=0)
    assert len(history) == 2 and float(model.optimizer.learning_rate.numpy()) > 0.99 * 2e-3
    # run again, a finished run is not trained further, even with more epochs allowed
    weights = model.get_weights()
    again, history_again, _ = train(TrainConfig(epochs=4, budget_minutes=60, **base), data,
                                     tmp_path / "b", verbose=0)
    assert len(history_again) == 2 and len(pd.read_csv(tmp_path / "b" / "history.csv")) == 2
    for w, v in zip(weights, again.get_weights()):
        np.testing.assert_array_equal(w, v)


def _cli_train(tiny: Path, run: Path, out: Path, crash: int | None) -> subprocess.CompletedProcess:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    if crash:
        env[CRASH_ENV] = str(crash)
    cmd = [sys.executable, "-m", "gemlib", "train", "--data-root", str(tiny), "--image-size", "32",
           "--epochs", "4", "--batch-size", "8", "--widths", "8", "8", "16", "16", "--head-units", "16",
           "--val-fraction", "0.3", "--run-dir", str(run), "--out", str(out), "--quiet"]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def resumed(tmp_path_factory):
    """A tiny CLI run killed after epoch 2 and resumed: (run dir, model, first and second process)."""
    from conftest import make_dataset

    tmp = tmp_path_factory.mktemp("resumed")
    tiny = make_dataset(tmp / "tiny")
    run, out = tmp / "run", tmp / "m.keras"
    first = _cli_train(tiny, run, out, crash=2)
    after_crash = (out.exists(), pd.read_csv(run / "history.csv") if (run / "history.csv").is_file() else None)
    second = _cli_train(tiny, run, out, crash=None)
    return run, out, first, second, after_crash


def test_killed_run_resumes_where_it_stopped(resumed):
    run, out, first, second, (model_after_crash, history_after_crash) = resumed
    assert first.returncode == 3, first.stderr[-2000:]
    assert "simulated crash after epoch 2" in first.stdout
    assert not model_after_crash and len(history_after_crash) == 2
    assert second.returncode == 0, second.stderr[-2000:]
    # the resumed process ran only epochs 3 and 4
    assert "Epoch 3/4" in second.stdout and "Epoch 1/4" not in second.stdout
    # the run reports validation and time; test scores go to the card only
    assert '"val_accuracy"' in second.stdout and "test_accuracy" not in second.stdout
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["epochs"] == 4 and card["history"]["epoch"] == [0, 1, 2, 3]
    assert len(card["history"]["val_accuracy_ema"]) == 4 and card["weights"] in ("raw", "ema")
    assert card["weights"] == chosen_weights(pd.DataFrame(card["history"]))
    splits = [card[f"{s}_files"] for s in ("train", "val", "test")]
    assert [len(f) for f in splits] == [card["n_train"], card["n_val"], card["n_test"]]
    assert not set(splits[0]) & set(splits[1]) and all(f.startswith("train/") for f in splits[1])
    assert card["classes"] == ["Blue", "Green", "Red"] and card["image_size"] == 32
    assert 0 <= card["test_accuracy"] <= card["test_top5"] <= 1
    assert card["command"].startswith("python -m gemlib train")
    # the commit the run started from, kept in the run folder across the resume
    assert card["git_commit"] == (run / "git_commit.txt").read_text().strip()
    import h5py
    import zipfile
    from io import BytesIO

    with zipfile.ZipFile(out) as z, h5py.File(BytesIO(z.read("model.weights.h5")), "r") as weights:
        assert "optimizer" not in weights  # shipped models carry weights only


def test_transfer_to_an_unsplit_dataset_at_another_size(resumed, tmp_path, capsys):
    from conftest import make_dataset

    from gemlib.cli import main

    out = resumed[1]  # the tiny gemstones model of the resume test
    styles = make_dataset(tmp_path / "styles", n_train=8, n_test=2, split=False)
    # in this process (the resume test already ran the command line in its own processes)
    args = ["train", "--dataset", "architecture", "--data-root", str(styles),
            "--image-size", "48", "--epochs", "1", "--frozen-epochs", "1", "--batch-size", "8",
            "--transfer-from", str(out), "--run-dir", str(tmp_path / "run2"), "--out", str(tmp_path / "arch.keras"),
            "--flip", "horizontal", "--rotation", "0.03", "--backbone-lr-scale", "0.1", "--quiet"]
    assert main(args) == 0
    assert "/step" in capsys.readouterr().out  # each epoch trained prints its steps
    card = json.loads((tmp_path / "arch.json").read_text())
    assert card["image_size"] == 48 and card["frozen_epochs"] == 1 and card["transfer_from"] == str(out)
    assert len(card["frozen_history"]["loss"]) == 1 and card["frozen_seconds"] > 0
    assert len(card["test_files"]) == card["n_test"] and all(not f.startswith("/") for f in card["test_files"])
    assert card["config"]["augment"]["flip"] == "horizontal" and card["config"]["backbone_lr_scale"] == 0.1
    # the same command on the finished run rebuilds model and card without training anything
    assert main(args) == 0
    again = capsys.readouterr().out
    assert "has finished training" in again and "/step" not in again
    rebuilt = json.loads((tmp_path / "arch.json").read_text())
    for key in ("history", "frozen_history", "frozen_seconds", "train_seconds", "git_commit", "weights"):
        assert rebuilt[key] == card[key], key


def test_weight_average_follows_the_exponential_formula_and_restores_the_raw_weights(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, use_bias=False)])
    w = [np.eye(2, dtype=np.float32) * k for k in (1.0, 3.0, -5.0)]
    model.set_weights([w[0]])
    val = Split(np.array([[1.0, 0.0], [0.0, 1.0]], np.float32), np.array([0, 0], np.int32))
    average = WeightAverage(val, tmp_path, decay=0.5)
    average.set_model(model)
    average.on_train_begin()
    for k in (1, 2):
        model.set_weights([w[k]])
        average.on_train_batch_end(0)
    # 0.25 * 1 + 0.25 * 3 + 0.5 * (-5) = -1.5 on the diagonal
    np.testing.assert_allclose(average.average[0].numpy(), -1.5 * np.eye(2))
    # scored with the average, -1.5 * I: image [1, 0] gets logits (-1.5, 0) and is called class 1
    # (wrong), image [0, 1] gets (0, -1.5) and is called class 0 (right); two classes: top-5 is 1
    top1, top5 = average.scores()
    assert (top1, top5) == (0.5, 1.0)
    np.testing.assert_allclose(model.get_weights()[0], w[2])  # raw weights back in place
    assert (tmp_path / "ema_best.weights.h5").is_file()


def test_validation_chooses_between_raw_and_averaged_weights():
    history = pd.DataFrame({"val_accuracy": [0.5, 0.7], "val_accuracy_ema": [0.4, 0.7]})
    assert chosen_weights(history) == "raw"  # a tie keeps the raw weights
    history.loc[1, "val_accuracy_ema"] = 0.71
    assert chosen_weights(history) == "ema"
    assert chosen_weights(history.drop(columns="val_accuracy_ema")) == "raw"
    # the same 211 of 281 photos, logged in float32 (Keras) and float64 (the average): a tie
    tie = pd.DataFrame({"val_accuracy": [float(np.float32(211 / 281))], "val_accuracy_ema": [211 / 281]})
    assert tie["val_accuracy_ema"].max() > tie["val_accuracy"].max() and chosen_weights(tie) == "raw"
    tie.loc[0, "val_accuracy_ema"] = 212 / 281  # one photo more
    assert chosen_weights(tie) == "ema"


def test_scaled_adamw_moves_the_backbone_by_a_fraction_of_the_head():
    import keras

    from gemlib.train import ScaledAdamW

    inputs = keras.Input((2,))
    hidden = keras.layers.Dense(2, name="backbone_dense")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2, name="new_logits")(hidden))
    opt = ScaledAdamW(0.01, weight_decay=0.0, scale=0.1, epsilon=1e-12)
    before = [v.numpy().copy() for v in model.trainable_variables]
    # Adam's first step with a constant gradient moves every weight by exactly its rate
    opt.apply([np.ones_like(b) for b in before], model.trainable_variables)
    for b, v in zip(before, model.trainable_variables):
        rate = 0.01 if v.path.startswith("new_") else 0.001
        np.testing.assert_allclose(b - v.numpy(), rate, atol=1e-6)  # float32 weights near 1


def test_training_seed_leaves_the_split_and_split_seed_moves_it(tmp_path, capsys):
    from conftest import make_dataset

    from gemlib.cli import main

    styles = make_dataset(tmp_path / "styles", n_train=8, n_test=2, split=False)

    def run(name: str, *extra: str) -> tuple[dict, list]:
        out = tmp_path / f"{name}.keras"
        args = ["train", "--dataset", "architecture", "--data-root", str(styles), "--image-size", "32",
                "--epochs", "1", "--batch-size", "8", "--widths", "4", "4", "8", "8", "--head-units", "8",
                "--ema-decay", "0", "--run-dir", str(tmp_path / name), "--out", str(out), "--quiet", *extra]
        assert main(args) == 0
        import keras

        return json.loads(out.with_suffix(".json").read_text()), keras.models.load_model(out).get_weights()

    base, w0 = run("a")
    seed1, w1 = run("b", "--seed", "1")
    moved, _ = run("c", "--split-seed", "1")
    capsys.readouterr()
    files = [f"{s}_files" for s in ("train", "val", "test")]
    # a training seed changes the weights, not the photos
    assert [seed1[f] for f in files] == [base[f] for f in files]
    assert seed1["config"]["seed"] == 1 and seed1["config"]["split_seed"] == 0
    assert any(not np.array_equal(a, b) for a, b in zip(w0, w1))
    # the split seed draws another split of the same photos
    assert sorted(sum((moved[f] for f in files), [])) == sorted(sum((base[f] for f in files), []))
    assert moved["test_files"] != base["test_files"]


def test_clock_schedule_warms_up_then_decays_to_the_floor():
    from gemlib.train import FINAL_LR_FRACTION, clock_schedule

    card = {"config": {"learning_rate": 1e-2, "warmup_epochs": 2, "batch_size": 10, "budget_minutes": 10},
            "n_train": 100, "epochs": 10, "train_seconds": 600.0}
    s = clock_schedule(card)
    assert s["epoch"].tolist() == list(range(1, 11)) and s["minutes"].iloc[-1] == pytest.approx(9.0)
    assert s["learning_rate"].iloc[0] == pytest.approx(1e-3)  # warm-up starts at a tenth
    # epoch 2 starts half-way through the warm-up (step 10 of 20), at 0.9 of the way round the clock
    cosine = FINAL_LR_FRACTION + (1 - FINAL_LR_FRACTION) * 0.5 * (1 + np.cos(np.pi * 0.1))
    assert s["learning_rate"].iloc[1] == pytest.approx(1e-2 * cosine * 0.55)
    assert s["learning_rate"].iloc[2:].is_monotonic_decreasing
    # 9 of 10 minutes: near the floor
    end = FINAL_LR_FRACTION + (1 - FINAL_LR_FRACTION) * 0.5 * (1 + np.cos(np.pi * 0.9))
    assert s["learning_rate"].iloc[-1] == pytest.approx(1e-2 * end)


def test_history_by_pass_puts_the_head_only_epochs_first():
    from gemlib.train import history_by_pass

    scratch = {"history": {"epoch": [0, 1, 2], "val_accuracy": [0.1, 0.2, 0.3]}}
    assert history_by_pass(scratch)["epoch"].tolist() == [0, 1, 2]
    transfer = {"history": {"epoch": [0, 1], "val_accuracy": [0.5, 0.6]},
                "frozen_history": {"val_accuracy": [0.2, 0.4]}}
    h = history_by_pass(transfer)
    assert h["epoch"].tolist() == [0, 1, 2, 3] and h["val_accuracy"].tolist() == [0.2, 0.4, 0.5, 0.6]
    assert h["phase"].tolist() == ["head only"] * 2 + ["all layers"] * 2


def test_epoch_schedule_matches_the_schedule_compile_model_builds():
    from gemlib.train import epoch_schedule

    config = TrainConfig(learning_rate=2e-3, warmup_epochs=2, epochs=6, batch_size=10)
    card = {"config": config.to_dict(), "n_train": 95}  # 10 steps per epoch
    s = epoch_schedule(card, points_per_epoch=5)
    model = build_resnet(3, image_size=16, widths=(4, 8), head_units=8)
    compile_model(model, config, steps_per_epoch=10)
    keras_rate = model.optimizer._learning_rate  # the CosineDecay schedule itself
    steps = np.arange(0, 60, 2)
    assert s["epoch"].tolist() == pytest.approx((1 + steps / 10).tolist())
    assert s["learning_rate"].tolist() == pytest.approx([float(keras_rate(k)) for k in steps])
    assert s["learning_rate"].iloc[0] == pytest.approx(2e-4)  # warm-up starts at a tenth
    assert s["learning_rate"].max() == pytest.approx(2e-3, rel=1e-3)  # the peak, after warm-up
    assert s["learning_rate"].iloc[10:].is_monotonic_decreasing
