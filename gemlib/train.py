"""Honest, resumable training: validation split for early stopping, test set untouched."""

from __future__ import annotations

import json
import math
import os
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

# retracing notices are not for readers of a lesson; real errors still show
tf.get_logger().setLevel("ERROR")

from gemlib.augment import AugmentConfig, build_augmenter
from gemlib.data import Dataset, Split
from gemlib.models import build_resnet

#: Environment variable that makes training exit hard after an epoch (tests use it).
CRASH_ENV = "GEMLIB_CRASH_AFTER_EPOCH"


@dataclass
class TrainConfig:
    """Everything that decides a training run.

    Attributes are the command-line options of ``python -m gemlib train``.
    """

    dataset: str = "gemstones"
    image_size: int = 128
    epochs: int = 100
    batch_size: int = 32
    learning_rate: float = 2e-3
    weight_decay: float = 5e-4
    warmup_epochs: int = 3
    label_smoothing: float = 0.1
    mixup: float = 0.0
    widths: tuple[int, ...] = (32, 64, 128, 256)
    blocks_per_stage: int = 1
    head_units: int = 256
    dropout: float = 0.3
    patience: int = 30
    val_fraction: float = 0.1
    seed: int = 0
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    max_batches: int | None = None
    budget_minutes: float | None = None

    def to_dict(self) -> dict:
        """JSON-ready dictionary."""
        d = asdict(self)
        d["widths"] = list(self.widths)
        return d


def make_tf_dataset(
    split: Split,
    num_classes: int,
    batch_size: int,
    training: bool = False,
    augment: AugmentConfig | None = None,
    mixup: float = 0.0,
    seed: int = 0,
) -> tf.data.Dataset:
    """A ``tf.data`` pipeline of (float images 0-255, one-hot labels).

    Parameters
    ----------
    split : Split
        Decoded images and labels.
    num_classes : int
        Width of the one-hot labels.
    batch_size : int
        Batch size.
    training : bool
        Shuffle every epoch and augment.
    augment : AugmentConfig, optional
        Augmentation applied when ``training``.
    mixup : float
        Beta(a, a) mixup strength when ``training`` (0 = off).
    seed : int
        Shuffle and augmentation seed.

    Returns
    -------
    tf.data.Dataset
    """
    ds = tf.data.Dataset.from_tensor_slices((split.images, split.labels))
    if training:
        ds = ds.shuffle(len(split), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    ds = ds.map(
        lambda x, y: (tf.cast(x, tf.float32), tf.one_hot(y, num_classes)),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    if training and augment is not None:
        aug = build_augmenter(augment, seed=seed)
        ds = ds.map(lambda x, y: (aug(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE)
    if training and mixup > 0:
        def _mix(x, y):
            n = tf.shape(x)[0]
            g1 = tf.random.gamma([n], mixup)
            g2 = tf.random.gamma([n], mixup)
            lam = g1 / (g1 + g2)
            perm = tf.random.shuffle(tf.range(n))
            lx = tf.reshape(lam, [-1, 1, 1, 1])
            ly = tf.reshape(lam, [-1, 1])
            return lx * x + (1 - lx) * tf.gather(x, perm), ly * y + (1 - ly) * tf.gather(y, perm)

        ds = ds.map(_mix, num_parallel_calls=tf.data.AUTOTUNE)
    # On a 2-core machine tf.data's own thread pool fights the training ops for
    # the cores; one private thread for the pipeline doubles throughput
    # (benchmarks/train_throughput.py).
    options = tf.data.Options()
    options.threading.private_threadpool_size = 1
    options.threading.max_intra_op_parallelism = 1
    return ds.prefetch(tf.data.AUTOTUNE).with_options(options)


#: The cosine schedules end at this fraction of the peak learning rate.
FINAL_LR_FRACTION = 0.01


def budget_learning_rate(peak: float, step: int, warmup_steps: int, elapsed: float, budget: float) -> float:
    """Learning rate of a run that follows the clock instead of an epoch count.

    Cosine decay over the *time* budget (from ``peak`` at 0 s to ``FINAL_LR_FRACTION * peak`` at
    ``budget`` seconds), times a linear warm-up over the first ``warmup_steps`` steps that starts
    at a tenth of the rate.

    Parameters
    ----------
    peak : float
        Peak learning rate.
    step : int
        Optimizer steps taken so far.
    warmup_steps : int
        Length of the warm-up in steps (0 for none).
    elapsed, budget : float
        Seconds of training so far, and in all.

    Returns
    -------
    float
    """
    progress = min(max(elapsed / budget, 0.0), 1.0)
    cosine = FINAL_LR_FRACTION + (1 - FINAL_LR_FRACTION) * 0.5 * (1 + math.cos(math.pi * progress))
    warm = 1.0 if step >= warmup_steps else 0.1 + 0.9 * step / warmup_steps
    return peak * cosine * warm


def compile_model(model: keras.Model, config: TrainConfig, steps_per_epoch: int) -> None:
    """Compile with AdamW, linear warm-up then cosine decay, label-smoothed loss.

    With ``config.budget_minutes`` the optimizer gets a plain learning rate, which
    :class:`TimeBudget` sets before every batch; otherwise a step-based schedule over
    ``config.epochs``.
    """
    total = max(1, config.epochs * steps_per_epoch)
    warm = min(config.warmup_epochs * steps_per_epoch, total - 1)
    if config.budget_minutes:
        schedule = config.learning_rate  # a variable that TimeBudget sets before every batch
    else:
        schedule = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=config.learning_rate * 0.1 if warm else config.learning_rate,
            decay_steps=max(1, total - warm),
            alpha=FINAL_LR_FRACTION,
            warmup_target=config.learning_rate if warm else None,
            warmup_steps=warm,
        )
    model.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=config.label_smoothing),
        metrics=[
            keras.metrics.CategoricalAccuracy(name="accuracy"),
            keras.metrics.TopKCategoricalAccuracy(k=5, name="top5"),
        ],
    )


class _CrashAfter(keras.callbacks.Callback):
    """Exit the process hard after an epoch, to prove resuming works."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):  # noqa: D102
        if epoch + 1 >= self.epoch:
            print(f"[gemlib] simulated crash after epoch {epoch + 1}", flush=True)
            os._exit(3)


class _Clock(keras.callbacks.Callback):
    """Wall time of a run across resumes, saved to ``seconds.json`` after every epoch."""

    def __init__(self, seconds_file: Path) -> None:
        super().__init__()
        self.file = seconds_file
        self.previous = json.loads(seconds_file.read_text())["seconds"] if seconds_file.is_file() else 0.0
        self.start = time.perf_counter()

    def on_train_begin(self, logs=None):  # noqa: D102
        self.start = time.perf_counter()

    def session(self) -> float:
        """Seconds since this session began training."""
        return time.perf_counter() - self.start

    def elapsed(self) -> float:
        """Seconds of the whole run so far, earlier sessions included."""
        return self.previous + self.session()

    def on_epoch_end(self, epoch, logs=None):  # noqa: D102
        self.file.write_text(json.dumps({"seconds": self.elapsed(), "epoch": epoch + 1}))


class TimeBudget(keras.callbacks.Callback):
    """Follow :func:`budget_learning_rate` and stop before an epoch would overrun the budget.

    Parameters
    ----------
    budget : float
        Seconds of training in all (validation included), across resumes.
    peak : float
        Peak learning rate.
    warmup_steps : int
        Warm-up length in optimizer steps.
    clock : _Clock
        The run's clock (it counts earlier sessions when resuming).
    """

    def __init__(self, budget: float, peak: float, warmup_steps: int, clock: _Clock) -> None:
        super().__init__()
        self.budget, self.peak, self.warmup_steps, self.clock = budget, peak, warmup_steps, clock
        self.epochs_done = 0

    def on_train_batch_begin(self, batch, logs=None):  # noqa: D102
        opt = self.model.optimizer
        opt.learning_rate.assign(
            budget_learning_rate(self.peak, int(opt.iterations.numpy()), self.warmup_steps,
                                 self.clock.elapsed(), self.budget)
        )

    def on_epoch_end(self, epoch, logs=None):  # noqa: D102
        self.epochs_done += 1
        per_epoch = self.clock.session() / self.epochs_done
        if self.clock.elapsed() + per_epoch > self.budget:
            print(f"[gemlib] time budget: stopping after epoch {epoch + 1} "
                  f"({self.clock.elapsed() / 60:.1f} of {self.budget / 60:.1f} min)", flush=True)
            self.model.stop_training = True


def git_commit() -> str:
    """The current git commit of the project, or ``"unknown"``."""
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
            cwd=Path(__file__).resolve().parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _best_so_far(history_csv: Path) -> float | None:
    if not history_csv.is_file() or history_csv.stat().st_size == 0:
        return None
    hist = pd.read_csv(history_csv)
    return float(hist["val_accuracy"].max()) if "val_accuracy" in hist and len(hist) else None


def train(
    config: TrainConfig,
    data: Dataset,
    run_dir: str | os.PathLike,
    model: keras.Model | None = None,
    verbose: int | str = "auto",
) -> tuple[keras.Model, pd.DataFrame, float]:
    """Train with early stopping on the validation split, resumably.

    ``run_dir`` receives ``backup/`` (state for resuming after an interruption),
    ``best.weights.h5`` (best validation accuracy so far), ``history.csv`` and
    ``config.json``. Running again with the same ``run_dir`` resumes.

    Parameters
    ----------
    config : TrainConfig
        The recipe.
    data : Dataset
        Decoded splits; the test split is not looked at.
    run_dir : path
        Working folder of this run.
    model : keras.Model, optional
        A model to train (default: :func:`gemlib.models.build_resnet` from ``config``).
    verbose : int or str
        Keras progress output.

    Returns
    -------
    model : keras.Model
        With the best validation weights restored.
    history : pandas.DataFrame
        One row per epoch.
    seconds : float
        Wall time of all sessions of this run (summed across resumes).
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(config.seed)
    n_classes = len(data.classes)
    train_ds = make_tf_dataset(
        data.train, n_classes, config.batch_size, True, config.augment, config.mixup, config.seed
    )
    val_ds = make_tf_dataset(data.val, n_classes, config.batch_size)
    if config.max_batches:
        train_ds = train_ds.take(config.max_batches)
        val_ds = val_ds.take(config.max_batches)
    steps = config.max_batches or int(np.ceil(len(data.train) / config.batch_size))
    if model is None:
        model = build_resnet(
            n_classes, config.image_size, config.widths, config.blocks_per_stage,
            config.head_units, config.dropout,
        )
    compile_model(model, config, steps)
    (run_dir / "config.json").write_text(json.dumps(config.to_dict(), indent=2))
    history_csv = run_dir / "history.csv"
    best_path = run_dir / "best.weights.h5"
    best = _best_so_far(history_csv)
    callbacks: list[keras.callbacks.Callback] = [
        keras.callbacks.BackupAndRestore(str(run_dir / "backup")),
        keras.callbacks.ModelCheckpoint(
            str(best_path), monitor="val_accuracy", mode="max", save_best_only=True,
            save_weights_only=True, initial_value_threshold=best,
        ),
        keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=config.patience),
        keras.callbacks.CSVLogger(str(history_csv), append=True),
    ]
    if os.environ.get(CRASH_ENV):
        callbacks.append(_CrashAfter(int(os.environ[CRASH_ENV])))
    seconds_file = run_dir / "seconds.json"
    clock = _Clock(seconds_file)
    callbacks.insert(1, clock)
    if config.budget_minutes:
        callbacks.insert(2, TimeBudget(60 * config.budget_minutes, config.learning_rate,
                                       config.warmup_epochs * steps, clock))
    model.fit(train_ds, validation_data=val_ds, epochs=config.epochs, callbacks=callbacks, verbose=verbose)
    if best_path.is_file():
        model.load_weights(str(best_path))
    history = pd.read_csv(history_csv)
    history = history.drop_duplicates("epoch", keep="last").reset_index(drop=True)
    seconds = json.loads(seconds_file.read_text())["seconds"] if seconds_file.is_file() else 0.0
    return model, history, seconds
