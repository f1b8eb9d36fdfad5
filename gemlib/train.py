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
    stem_kernel: int = 4
    patience: int = 30
    val_fraction: float = 0.1
    seed: int = 0
    split_seed: int = 0
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    max_batches: int | None = None
    budget_minutes: float | None = None
    ema_decay: float = 0.998
    backbone_lr_scale: float = 1.0

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


class ScaledAdamW(keras.optimizers.AdamW):
    """AdamW whose step is ``scale`` times smaller for a pretrained backbone.

    Variables whose path starts with one of ``full_rate_prefixes`` (the new head of a transfer
    model, ``new_...``) take the full learning rate, every other variable ``scale`` times it.
    Adam divides each gradient by its own running size, so scaling gradients would change
    nothing: the rate itself must be scaled. The decoupled weight decay keeps the full rate.

    Parameters
    ----------
    learning_rate : float or schedule
        The head's rate.
    weight_decay : float
        AdamW's decay.
    scale : float
        The backbone's rate as a fraction of the head's.
    full_rate_prefixes : tuple of str
        Variable path prefixes that keep the full rate.
    """

    def __init__(self, learning_rate, weight_decay: float = 0.004, scale: float = 1.0,
                 full_rate_prefixes: tuple[str, ...] = ("new_",), **kwargs) -> None:
        super().__init__(learning_rate, weight_decay=weight_decay, **kwargs)
        self.scale, self.full_rate_prefixes = float(scale), tuple(full_rate_prefixes)

    def update_step(self, gradient, variable, learning_rate):  # noqa: D102
        # a Keras variable has a path; TensorFlow hands over its backing variable, named path:0
        name = getattr(variable, "path", None) or variable.name
        if not name.startswith(self.full_rate_prefixes):
            learning_rate = learning_rate * self.scale
        return super().update_step(gradient, variable, learning_rate)

    def get_config(self) -> dict:  # noqa: D102
        return {**super().get_config(), "scale": self.scale, "full_rate_prefixes": list(self.full_rate_prefixes)}


def compile_model(model: keras.Model, config: TrainConfig, steps_per_epoch: int) -> None:
    """Compile with AdamW, linear warm-up then cosine decay, label-smoothed loss.

    With ``config.backbone_lr_scale`` other than 1 the optimizer is :class:`ScaledAdamW`: a
    transfer model's backbone learns at that fraction of its new head's rate.

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
    if config.backbone_lr_scale != 1.0:
        optimizer = ScaledAdamW(schedule, weight_decay=config.weight_decay, scale=config.backbone_lr_scale)
    else:
        optimizer = keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay)
    model.compile(
        optimizer=optimizer,
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


def history_by_pass(card: dict) -> pd.DataFrame:
    """A run's history indexed by passes over the training photos, head-only epochs included.

    A transfer run's card keeps its head-only epochs apart (``frozen_history``); lined up by
    epoch alone, its fine-tuning curve would start 4 passes early. Here they come first, and
    ``epoch`` counts every pass (0-based, as in Keras's history).

    Returns
    -------
    pandas.DataFrame
        ``epoch``, ``phase`` ("head only" or "all layers") and the metrics both phases logged.
    """
    history = pd.DataFrame(card["history"]).assign(phase="all layers")
    frozen = card.get("frozen_history")
    if not frozen:
        return history
    head = pd.DataFrame(frozen).assign(phase="head only")
    head["epoch"] = np.arange(len(head))
    history["epoch"] = history["epoch"] + len(head)
    return pd.concat([head, history], ignore_index=True)


def clock_schedule(card: dict) -> pd.DataFrame:
    """The learning rate a clock-following run used at the start of each epoch, from its card.

    Assumes the epochs took equal time (the card keeps only the total), which is close enough to
    draw the schedule: warm-up over ``warmup_epochs``, then cosine decay over the time budget.

    Parameters
    ----------
    card : dict
        A model card with ``config`` (``learning_rate``, ``warmup_epochs``, ``batch_size``,
        ``budget_minutes``), ``n_train``, ``epochs`` and ``train_seconds``.

    Returns
    -------
    pandas.DataFrame
        ``epoch`` (1-based), ``minutes`` (elapsed at its start) and ``learning_rate``.
    """
    config = card["config"]
    steps_per_epoch = math.ceil(card["n_train"] / config["batch_size"])
    per_epoch = card["train_seconds"] / card["epochs"]
    budget = 60 * (config["budget_minutes"] or card["train_seconds"] / 60)
    rows = []
    for epoch in range(card["epochs"]):
        rate = budget_learning_rate(config["learning_rate"], epoch * steps_per_epoch,
                                    config["warmup_epochs"] * steps_per_epoch, epoch * per_epoch, budget)
        rows.append({"epoch": epoch + 1, "minutes": epoch * per_epoch / 60, "learning_rate": rate})
    return pd.DataFrame(rows)


def epoch_schedule(card: dict, points_per_epoch: int = 4) -> pd.DataFrame:
    """The learning rate of an epoch-counting run, rebuilt from its card as :func:`compile_model` sets it.

    Warm-up over ``warmup_epochs``, then cosine decay over the rest of ``config.epochs`` (the
    Keras ``CosineDecay`` schedule that :func:`compile_model` builds), read ``points_per_epoch``
    times per epoch. For a transfer card, ``config`` is the fine-tuning phase's settings.

    Parameters
    ----------
    card : dict
        A model card with ``config`` (``learning_rate``, ``warmup_epochs``, ``batch_size``,
        ``epochs``) and ``n_train``.
    points_per_epoch : int
        How many points to read per epoch.

    Returns
    -------
    pandas.DataFrame
        ``epoch`` (1 at the first step, fractional between epochs) and ``learning_rate``.
    """
    config = card["config"]
    steps = math.ceil(card["n_train"] / config["batch_size"])
    total = max(1, config["epochs"] * steps)
    warm = min(config["warmup_epochs"] * steps, total - 1)
    peak = config["learning_rate"]
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=peak * 0.1 if warm else peak, decay_steps=max(1, total - warm),
        alpha=FINAL_LR_FRACTION, warmup_target=peak if warm else None, warmup_steps=warm)
    at = np.arange(0, total, max(1, steps // points_per_epoch))
    return pd.DataFrame({"epoch": 1 + at / steps, "learning_rate": [float(schedule(s)) for s in at]})


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


class WeightAverage(keras.callbacks.Callback):
    """An exponential moving average (EMA) of the weights, scored on validation every epoch.

    After every optimizer step ``ema = decay * ema + (1 - decay) * w`` for every float weight
    (BatchNorm's moving statistics included). After every epoch the averaged weights are scored
    on the validation images and the scores are added to the epoch's logs as ``val_accuracy_ema``
    and ``val_top5_ema``; the best averaged weights so far go to ``ema_best.weights.h5``, and the
    average itself to ``ema.npz`` so that a resumed run continues it. Validation then decides
    whether the average or the raw weights are kept (:func:`train`).

    Parameters
    ----------
    validation : Split
        Validation images and labels.
    run_dir : pathlib.Path
        The run's folder.
    decay : float
        Weight of the old average at each step (0.998: about 500 steps of memory).
    batch_size : int
        Images per prediction batch.
    """

    def __init__(self, validation: Split, run_dir: Path, decay: float = 0.998, batch_size: int = 64) -> None:
        super().__init__()
        self.validation, self.decay, self.batch_size = validation, decay, batch_size
        self.state_file, self.best_file = run_dir / "ema.npz", run_dir / "ema_best.weights.h5"
        self.best = -1.0
        self.average: list[tf.Variable] = []

    def _weights(self) -> list:
        return [w for w in self.model.weights if "float" in str(w.dtype)]

    def on_train_begin(self, logs=None):  # noqa: D102
        weights = self._weights()
        start = [np.asarray(w.numpy()) for w in weights]
        if self.state_file.is_file():
            saved = np.load(self.state_file)
            start = [saved[f"w{i}"] for i in range(len(weights))]
            self.best = float(saved["best"])
        self.average = [tf.Variable(v, trainable=False) for v in start]
        decay = self.decay

        @tf.function
        def update():
            for a, w in zip(self.average, weights):
                a.assign(decay * a + (1.0 - decay) * tf.cast(w, a.dtype))

        self._update = update

    def on_train_batch_end(self, batch, logs=None):  # noqa: D102
        self._update()

    def scores(self) -> tuple[float, float]:
        """Top-1 and top-5 validation accuracy of the averaged weights."""
        weights = self._weights()
        raw = [w.numpy() for w in weights]
        for w, a in zip(weights, self.average):
            w.assign(a.numpy())
        try:
            logits = np.concatenate([
                self.model(self.validation.images[i : i + self.batch_size].astype(np.float32),
                           training=False).numpy()
                for i in range(0, len(self.validation), self.batch_size)
            ])
            labels = self.validation.labels
            top5 = np.argsort(-logits, axis=1)[:, :5]
            top1 = float((logits.argmax(1) == labels).mean())
            in_top5 = float((top5 == labels[:, None]).any(1).mean())
            if top1 > self.best:
                self.best = top1
                self.model.save_weights(str(self.best_file))
        finally:
            for w, r in zip(weights, raw):
                w.assign(r)
        return top1, in_top5

    def on_epoch_end(self, epoch, logs=None):  # noqa: D102
        top1, top5 = self.scores()
        if logs is not None:
            logs["val_accuracy_ema"], logs["val_top5_ema"] = top1, top5
        np.savez(self.state_file, best=self.best, **{f"w{i}": a.numpy() for i, a in enumerate(self.average)})


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


def finished(run_dir: Path) -> bool:
    """Whether the run in ``run_dir`` ended its training (not interrupted): epochs are logged and
    ``backup/`` is gone (``keras.callbacks.BackupAndRestore`` removes it when training ends)."""
    history_csv = run_dir / "history.csv"
    if not history_csv.is_file() or history_csv.stat().st_size == 0:
        return False
    return len(pd.read_csv(history_csv)) > 0 and not (run_dir / "backup").exists()


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
    ``config.json``; with ``config.ema_decay`` also the weight average's files
    (:class:`WeightAverage`). Running again with the same ``run_dir`` resumes; a run that has
    finished (epochs logged, and Keras has removed ``backup/`` at the end of training) is not
    trained further: its chosen weights are loaded again.

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
        With the best validation weights restored: raw or averaged, whichever scored higher
        on validation (:func:`chosen_weights`).
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
            config.head_units, config.dropout, stem_kernel=config.stem_kernel,
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
    average = None
    if config.ema_decay:
        # before the checkpoint, early stopping and the CSV log, which read the logs it extends
        average = WeightAverage(data.val, run_dir, config.ema_decay)
        callbacks.insert(2, average)
    if not finished(run_dir):
        # shuffle=False: tf.data already shuffles every epoch (Keras would warn that it ignores True)
        model.fit(train_ds, validation_data=val_ds, epochs=config.epochs, callbacks=callbacks,
                  verbose=verbose, shuffle=False)
    else:
        model.optimizer.build(model.trainable_variables)  # the saved weights include its state
        if verbose:
            print(f"[gemlib] {run_dir} has finished training; loading its chosen weights", flush=True)
    history = pd.read_csv(history_csv)
    history = history.drop_duplicates("epoch", keep="last").reset_index(drop=True)
    weights = chosen_weights(history)
    best_file = average.best_file if weights == "ema" else best_path
    if best_file.is_file():
        model.load_weights(str(best_file))
    seconds = json.loads(seconds_file.read_text())["seconds"] if seconds_file.is_file() else 0.0
    return model, history, seconds


#: Accuracies closer than this are a tie. Keras logs the raw weights' accuracy in float32 and
#: :class:`WeightAverage` the average's in float64, so the same count of right photos differs in
#: the eighth digit (211/281: 0.75088966 against 0.75088968); one photo more is at least 1/n.
TIE_TOLERANCE = 1e-6


def chosen_weights(history: pd.DataFrame) -> str:
    """``"ema"`` when the weight average's best validation accuracy beats the raw weights',
    else ``"raw"`` (ties, up to :data:`TIE_TOLERANCE`, keep the raw weights)."""
    if ("val_accuracy_ema" in history
            and history["val_accuracy_ema"].max() > history["val_accuracy"].max() + TIE_TOLERANCE):
        return "ema"
    return "raw"
