"""Command line: ``python -m gemlib {train,evaluate,colour,saliency,backdrop,explain,features,download}``."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
import warnings
from pathlib import Path

from gemlib.data import DataError

#: ``evaluate --tta`` options: the keys of :data:`gemlib.evaluate.TTA_VIEWS`, written out so that
#: building the parser does not import Keras (a test keeps the two equal).
TTA_CHOICES = ["none", "hflip", "flips", "dihedral"]


def _train(args: argparse.Namespace) -> int:
    from gemlib import card as cards
    from gemlib.augment import AugmentConfig
    from gemlib.data import load_dataset
    from gemlib.evaluate import predict_logits, topk_correct
    from gemlib.train import TrainConfig, chosen_weights, finished, git_commit, train

    config = TrainConfig(
        dataset=args.dataset, image_size=args.image_size, epochs=args.epochs,
        batch_size=args.batch_size, learning_rate=args.lr, weight_decay=args.weight_decay,
        warmup_epochs=args.warmup_epochs, label_smoothing=args.label_smoothing, mixup=args.mixup,
        widths=tuple(args.widths), blocks_per_stage=args.blocks, head_units=args.head_units,
        dropout=args.dropout, stem_kernel=args.stem_kernel, ema_decay=args.ema_decay,
        backbone_lr_scale=args.backbone_lr_scale,
        patience=args.patience, val_fraction=args.val_fraction,
        seed=args.seed, split_seed=args.split_seed, max_batches=args.max_batches,
        budget_minutes=args.budget_minutes,
        augment=AugmentConfig(flip=True if args.flip == "both" else (False if args.flip == "none" else args.flip),
                              rotation=args.rotation, zoom=args.zoom, shift=args.shift),
    )
    # the code the run started from: kept in the run folder, so a resumed run records the same
    commit_file = Path(args.run_dir) / "git_commit.txt"
    commit = commit_file.read_text().strip() if commit_file.is_file() else git_commit()
    commit_file.parent.mkdir(parents=True, exist_ok=True)
    commit_file.write_text(commit + "\n")
    t0 = time.perf_counter()
    data = load_dataset(
        args.dataset, args.image_size, val_fraction=args.val_fraction, seed=args.split_seed,
        root=args.data_root,
    )
    print(
        f"[gemlib] {args.dataset}: {len(data.classes)} classes, train {len(data.train)}, "
        f"val {len(data.val)}, test {len(data.test)} at {args.image_size} px "
        f"(decoded in {time.perf_counter() - t0:.0f} s)",
        flush=True,
    )
    backbone, frozen_history, frozen_seconds = None, None, 0.0
    out = Path(args.out)
    earlier = out.with_suffix(".json")
    if args.transfer_from and finished(Path(args.run_dir)) and earlier.is_file():
        # a finished run is only rebuilt: its head-only epochs are not run again either
        backbone, _ = _transfer_model(args, data, config, fit_head=False)
        previous = json.loads(earlier.read_text())
        frozen_history, frozen_seconds = previous["frozen_history"], previous["frozen_seconds"]
    elif args.transfer_from:
        t_frozen = time.perf_counter()
        backbone, frozen_history = _transfer_model(args, data, config)
        frozen_seconds = time.perf_counter() - t_frozen
    model, history, seconds = train(config, data, args.run_dir, model=backbone, verbose=2 if args.quiet else "auto")
    out.parent.mkdir(parents=True, exist_ok=True)
    _save_without_optimizer(model, out)
    logits = predict_logits(model, data.test.images)
    weights = chosen_weights(history)  # validation decides: raw weights or their average
    val_column = "val_accuracy_ema" if weights == "ema" else "val_accuracy"
    best = history.loc[history[val_column].idxmax()]
    card = {
        "name": out.stem,
        "dataset": args.dataset,
        "classes": data.classes,
        "image_size": args.image_size,
        "test_accuracy": float(topk_correct(logits, data.test.labels, 1).mean()),
        "test_top5": float(topk_correct(logits, data.test.labels, 5).mean()),
        "n_test": len(data.test),
        "val_accuracy": float(best[val_column]),
        "weights": weights,
        "best_epoch": int(best["epoch"]) + 1,
        "epochs": int(len(history)),
        "train_seconds": round(seconds, 1),
        "n_train": len(data.train),
        "n_val": len(data.val),
        "command": "python -m gemlib " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[0].endswith(("gemlib", "__main__.py")) else " ".join(shlex.quote(a) for a in sys.argv),
        "git_commit": commit,
        "config": config.to_dict(),
        "params": int(model.count_params()),
        "history": history.to_dict(orient="list"),
    }
    card.update(data.files())  # the split, after every exclusion: anyone can check it
    if args.transfer_from:
        card["transfer_from"] = str(args.transfer_from)
        card["frozen_epochs"] = args.frozen_epochs
        card["frozen_history"] = frozen_history
        card["frozen_seconds"] = round(frozen_seconds, 1)  # not in train_seconds
    cards.save_card(out, card)
    # validation and time only: a test score read while recipes are still being compared would
    # start choosing among them (the test scores are in the card, for after the choice)
    print(json.dumps({k: card[k] for k in ("val_accuracy", "best_epoch", "epochs", "train_seconds")}))
    print(f"[gemlib] test scores written to {out.with_suffix('.json')}, not shown here", flush=True)
    return 0


def _save_without_optimizer(model, path: Path) -> None:
    """Save weights and architecture only: AdamW's moment estimates would triple the file."""
    import keras

    clean = keras.Model.from_config(model.get_config())  # uncompiled: no optimizer to save
    clean.set_weights(model.get_weights())
    clean.save(path)


def _transfer_model(args, data, config, fit_head: bool = True):
    """Gemstones backbone, new head; train the head frozen first (inside this call) unless
    ``fit_head`` is false (a finished run being rebuilt: its own weights are loaded later)."""
    import keras

    from gemlib.card import load_model
    from gemlib.models import replace_head
    from gemlib.train import make_tf_dataset

    base, _ = load_model(args.transfer_from)
    if base.input_shape[1] != args.image_size:
        rebuilt = keras.models.clone_model(base, input_tensors=keras.Input((args.image_size, args.image_size, 3)))
        rebuilt.set_weights(base.get_weights())
        base = rebuilt
    model = replace_head(base, len(data.classes))
    if not fit_head:
        return model, None
    for layer in model.layers:
        layer.trainable = layer.name.startswith("new_")
    model.compile(
        optimizer=keras.optimizers.Adam(args.head_lr),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")],
    )
    ds = make_tf_dataset(data.train, len(data.classes), config.batch_size, True, config.augment, seed=config.seed)
    if config.max_batches:
        ds = ds.take(config.max_batches)
    val = make_tf_dataset(data.val, len(data.classes), config.batch_size)
    if config.max_batches:
        val = val.take(config.max_batches)
    frozen = model.fit(ds, validation_data=val, epochs=args.frozen_epochs, verbose=2 if args.quiet else "auto",
                       shuffle=False)
    for layer in model.layers:
        layer.trainable = True
    return model, {k: [float(v) for v in vals] for k, vals in frozen.history.items()}


def _evaluate(args: argparse.Namespace) -> int:
    from gemlib import card as cards
    from gemlib.evaluate import TTA_VIEWS, accuracy_table, predict_logits, topk_correct

    card = cards.load_card(args.model)
    splits = ("val", "test") if args.update_card else ("test",)
    data = cards.load_data(card, splits=splits, root=args.data_root)
    model, card = cards.load_model(args.model, data.classes)
    logits = predict_logits(model, data.test.images, tta=args.tta)
    print(accuracy_table(logits, data.test.labels).to_string(index=False))
    if args.update_card:
        # the validation split alone decides which test-time augmentation to use
        val_top1 = {
            mode: float(topk_correct(predict_logits(model, data.val.images, tta=mode), data.val.labels, 1).mean())
            for mode in TTA_VIEWS
        }
        chosen = max(TTA_VIEWS, key=lambda mode: val_top1[mode])  # ties keep the fewer views
        test_logits = logits if args.tta == chosen else predict_logits(model, data.test.images, tta=chosen)
        tta = {
            "chosen_on_validation": chosen,
            "views": TTA_VIEWS[chosen] + ("" if chosen == "none" else " (logits averaged)"),
            "val_accuracy_by_option": val_top1,
            "val_accuracy_single_view": val_top1["none"],
            "val_accuracy": val_top1[chosen],
            "test_accuracy": float(topk_correct(test_logits, data.test.labels, 1).mean()),
            "test_top5": float(topk_correct(test_logits, data.test.labels, 5).mean()),
            "command": f"python -m gemlib evaluate --model {args.model} --update-card",
        }
        cards.update_card(args.model, tta=tta)
        print(json.dumps(tta, indent=2))
    return 0


def _colour(args: argparse.Namespace) -> int:
    from gemlib.colour import run_colour_experiments

    table = run_colour_experiments(args.model, data_root=args.data_root, write_card=not args.no_card)
    print(table.to_string(index=False))
    return 0


def _saliency(args: argparse.Namespace) -> int:
    from gemlib import card as cards
    from gemlib.explain import predicted_classes
    from gemlib.saliency_report import pick_images, report_table, saliency_report

    card = cards.load_card(args.model)
    data = cards.load_data(card, splits=("test",), root=args.data_root)
    model, card = cards.load_model(args.model, data.classes)
    pick = pick_images(len(data.test), args.n_images, args.seed)
    images = data.test.images[pick]
    report = saliency_report(model, images, predicted_classes(model, images), seed=args.seed)
    files = data.test_files()
    report["test_files"] = [files[i] for i in pick]
    report["command"] = f"python -m gemlib saliency --model {args.model} --n-images {args.n_images}"
    if not args.no_card:
        cards.update_card(args.model, saliency=report)
    print(report_table(report).to_string())
    print(f"grid energy (VarGrad): {report['grid_energy']['mean']:.4f} {report['grid_energy']['ci95']}")
    return 0


def _backdrop(args: argparse.Namespace) -> int:
    import json
    import time

    from gemlib import card as cards
    from gemlib.backdrop import backdrop_report
    from gemlib.saliency_report import pick_images

    start = time.perf_counter()
    card = cards.load_card(args.model)
    data = cards.load_data(card, splits=("test",), root=args.data_root)
    model, card = cards.load_model(args.model, data.classes)
    pick = pick_images(len(data.test), args.n_images, args.seed)
    report = backdrop_report(model, data.test.images, data.test.labels, pick, args.n_samples,
                             seed=args.seed)
    files = data.test_files()
    report["map_test_files"] = [files[i] for i in pick]
    report["n_test"] = int(len(data.test))
    report["command"] = (f"python -m gemlib backdrop --model {args.model} --n-images {args.n_images}"
                         f" --n-samples {args.n_samples}")
    report["seconds"] = round(time.perf_counter() - start, 1)
    if not args.no_card:
        cards.update_card(args.model, backdrop=report)
    print(json.dumps({k: v for k, v in report.items() if k != "map_test_files"}, indent=2))
    return 0


def _explain(args: argparse.Namespace) -> int:
    from gemlib.explain_cli import explain_image

    return explain_image(args.image, args.model, args.samples, args.noise, args.output)


def _features(args: argparse.Namespace) -> int:
    from gemlib import card as cards
    from gemlib.neighbours import Neighbours, features_path, image_features
    from gemlib.ood import PERCENTILE, familiarity_threshold, top_probability

    card = cards.load_card(args.model)
    data = cards.load_data(card, splits=("train", "val"), root=args.data_root)
    model, card = cards.load_model(args.model, data.classes)
    found = Neighbours(image_features(model, data.train.images), data.files()["train_files"],
                       data.train.labels)
    out = found.save(features_path(args.model))
    val_top = top_probability(model, data.val.images)
    familiarity = {"threshold": familiarity_threshold(val_top, PERCENTILE), "percentile": PERCENTILE,
                   "split": "val", "n": len(val_top), "features_file": out.name,
                   "command": f"python -m gemlib features --model {args.model}"}
    cards.update_card(args.model, familiarity=familiarity)
    print(f"{len(found.paths)} training photos' features ({found.features.shape[1]} each) -> {out}")
    print(json.dumps(familiarity))
    return 0


def _download(args: argparse.Namespace) -> int:
    from gemlib import manifest
    from gemlib.data import dataset_root
    from gemlib.download import download, ensure

    if args.check:
        root = Path(args.dest) if args.dest else dataset_root(args.dataset)
        comparison = manifest.check(args.dataset, root)
        print(f"{root}: {comparison.summary()}")
        return 0 if comparison.matches else 1
    if args.dest or args.source != "auto":
        path = download(args.dataset, Path(args.dest) if args.dest else None, source=args.source)
    else:
        path = ensure(args.dataset)
    print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and ``--help``)."""
    p = argparse.ArgumentParser(prog="python -m gemlib", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train the residual CNN (resumable)")
    t.add_argument("--dataset", default="gemstones", choices=["gemstones", "architecture"])
    t.add_argument("--data-root", default=None, help="dataset root (default: found by name)")
    t.add_argument("--image-size", type=int, default=128)
    t.add_argument("--epochs", type=int, default=100)
    t.add_argument("--batch-size", type=int, default=32)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--weight-decay", type=float, default=5e-4)
    t.add_argument("--warmup-epochs", type=int, default=3)
    t.add_argument("--label-smoothing", type=float, default=0.1)
    t.add_argument("--mixup", type=float, default=0.0)
    t.add_argument("--widths", type=int, nargs="+", default=[32, 64, 128, 256])
    t.add_argument("--blocks", type=int, default=1)
    t.add_argument("--head-units", type=int, default=256)
    t.add_argument("--dropout", type=float, default=0.3)
    t.add_argument("--stem-kernel", type=int, default=4,
                   help="side of the stride-2 stem convolution (5: the old, checkerboard stem)")
    t.add_argument("--flip", default="both", choices=["both", "horizontal", "none"])
    t.add_argument("--rotation", type=float, default=0.5, help="max rotation, fraction of a turn")
    t.add_argument("--zoom", type=float, default=0.2)
    t.add_argument("--shift", type=float, default=0.0)
    t.add_argument("--patience", type=int, default=30)
    t.add_argument("--budget-minutes", type=float, default=None,
                   help="follow the clock: cosine learning rate over this many minutes, stop before "
                        "an epoch would overrun them (--epochs is then a cap)")
    t.add_argument("--ema-decay", type=float, default=0.998,
                   help="also keep an average of the weights; validation picks it or the raw ones "
                        "(0: off)")
    t.add_argument("--val-fraction", type=float, default=0.1)
    t.add_argument("--seed", type=int, default=0,
                   help="training seed: initial weights, augmentation, batch order (not the split)")
    t.add_argument("--split-seed", type=int, default=0,
                   help="seed of the train/validation(/test) split; keep it to compare training seeds "
                        "on the same photos")
    t.add_argument("--max-batches", type=int, default=None, help="cap batches per epoch (smoke runs)")
    t.add_argument("--transfer-from", default=None, help="start from this model's backbone")
    t.add_argument("--frozen-epochs", type=int, default=3)
    t.add_argument("--head-lr", type=float, default=1e-3, help="rate of the head-only epochs of a transfer run")
    t.add_argument("--backbone-lr-scale", type=float, default=1.0,
                   help="after the head-only epochs, the backbone learns at this fraction of --lr")
    t.add_argument("--run-dir", required=True, help="checkpoints and history; reuse to resume")
    t.add_argument("--out", required=True, help="where to save the .keras model (card beside it)")
    t.add_argument("--quiet", action="store_true", help="one line per epoch")
    t.set_defaults(func=_train)

    e = sub.add_parser("evaluate", help="test accuracy with 95 %% intervals")
    e.add_argument("--model", default="models/gemstones.keras")
    e.add_argument("--data-root", default=None)
    e.add_argument("--tta", default="none", choices=TTA_CHOICES,
                   help="average the logits over these views of each image")
    e.add_argument("--update-card", action="store_true",
                   help="choose the test-time augmentation on validation; store it and its test score in the card")
    e.set_defaults(func=_evaluate)

    c = sub.add_parser("colour", help="the four colour experiments; stored in the model card")
    c.add_argument("--model", default="models/gemstones.keras")
    c.add_argument("--data-root", default=None)
    c.add_argument("--no-card", action="store_true")
    c.set_defaults(func=_colour)

    r = sub.add_parser("saliency", help="saliency checks at scale on test images; stored in the model card")
    r.add_argument("--model", default="models/gemstones.keras")
    r.add_argument("--data-root", default=None)
    r.add_argument("--n-images", type=int, default=32)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--no-card", action="store_true")
    r.set_defaults(func=_saliency)

    b = sub.add_parser("backdrop", help="the backdrop replaced on every test photo, and VarGrad's "
                                        "mass on the stone on a sample; stored in the model card")
    b.add_argument("--model", default="models/gemstones.keras")
    b.add_argument("--data-root", default=None)
    b.add_argument("--n-images", type=int, default=64, help="photos whose VarGrad maps are drawn")
    b.add_argument("--n-samples", type=int, default=20, help="noisy copies per VarGrad map")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--no-card", action="store_true")
    b.set_defaults(func=_backdrop)

    x = sub.add_parser("explain", help="top-5 classes and a VarGrad figure for one image")
    x.add_argument("image")
    x.add_argument("--model", default="models/gemstones.keras")
    x.add_argument("--samples", type=int, default=50)
    x.add_argument("--noise", type=float, default=0.15)
    x.add_argument("-o", "--output", default="explanation.png")
    x.set_defaults(func=_explain)

    f = sub.add_parser("features", help="training photos' features (nearest photos) and the "
                                        "familiarity threshold; threshold stored in the model card")
    f.add_argument("--model", default="models/gemstones.keras")
    f.add_argument("--data-root", default=None)
    f.set_defaults(func=_features)

    d = sub.add_parser("download", help="find a dataset, downloading it if it is not on disk")
    d.add_argument("dataset", choices=["gemstones", "architecture"])
    d.add_argument("--dest", default=None, help="download into this folder (default data/<dataset>)")
    d.add_argument("--source", default="auto", choices=["auto", "reference", "kaggle", "kagglehub"],
                   help="auto: the lesson's reference copy for architecture, Kaggle for gemstones")
    d.add_argument("--check", action="store_true",
                   help="compare the copy on disk with the lesson's manifest (exit 1 if it differs)")
    d.set_defaults(func=_download)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command line; errors about data or files exit 2 with one line."""
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            return int(args.func(args))
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
