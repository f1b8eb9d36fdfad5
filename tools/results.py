"""Print the README's results table from the model cards (every number comes from a card).

    python tools/results.py
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

MODELS = Path(__file__).resolve().parent.parent / "models"


def dec(x: float, places: int, sign: bool = False, scale: int = 1) -> str:
    """``x * scale`` with ``places`` decimals, from the digits the card stores, halves to even.

    A card keeps four digits (0.3915, 0.0505) of values the notebooks print unrounded (0.392,
    0.050); formatting the binary float would round the card's halves the other way.
    """
    text = str((Decimal(repr(x)) * scale).quantize(Decimal(1).scaleb(-places),
                                                   rounding=ROUND_HALF_EVEN))
    return "+" + text if sign and not text.startswith("-") else text


def pct(x: float) -> str:
    return f"{dec(x, 1, scale=100)} %"


def tta_row(label: str, t: dict) -> None:
    """The test-time augmentation row of a card; nothing when validation chose a single view."""
    if t.get("chosen_on_validation") == "none":
        return
    print(f"| {label} with test-time augmentation ({t['views']}; chosen on validation: {pct(t['val_accuracy_single_view'])} → {pct(t['val_accuracy'])}) | {pct(t['test_accuracy'])} / {pct(t['test_top5'])} | `{t['command']}` |")


def main() -> None:
    gem = json.loads((MODELS / "gemstones.json").read_text())
    print("| result | value | produced by |")
    print("|---|---|---|")
    print(f"| gemstones test top-1 / top-5 (363 images) | {pct(gem['test_accuracy'])} / {pct(gem['test_top5'])} | `{gem['command']}` |")
    weights = {"ema": "moving average of the weights", "raw": "raw weights"}.get(gem.get("weights", "raw"))
    print(f"| gemstones validation top-1 ({weights}, best epoch {gem['best_epoch']} of {gem['epochs']}) | {pct(gem['val_accuracy'])} | same run, {gem['train_seconds'] / 60:.0f} min of training |")
    if "tta" in gem:
        tta_row("gemstones test top-1 / top-5", gem["tta"])
    ev = gem.get("evaluation", {})
    names = {"original_top1": "original", "greyscale_top1": "a: greyscale", "hue_rotated_top1": "b: hue rotated 90°",
             "hue_rotated_180_top1": "b: hue rotated 180°", "patch_shuffled_top1": "c: tiles shuffled 4 × 4",
             "colour_histogram_top1": "d: separate-histogram forest + LBP",
             "colour_only_histogram_top1": "d: separate-histogram forest, no LBP",
             "chow_rgb_lbp_top1": "e: Chow forest (joint RGB + LBP)",
             "chow_rgb_top1": "e: Chow forest without LBP",
             "cnn_plus_chow_top1": "e + CNN: CNN and Chow forest averaged"}  # notebook 04's names
    for key, label in names.items():
        if key in ev:
            lo, hi = ev[key.replace("top1", "top1_ci95")]
            top5 = ev.get(key.replace("top1", "top5"))
            p = ev.get(key.replace("top1", "p_vs_cnn"))
            value = f"{pct(ev[key])} ({pct(lo)}-{pct(hi)})" + (f", top-5 {pct(top5)}" if top5 is not None else "")
            value += f"; McNemar p = {p:.2g} against the CNN" if p is not None else ""
            print(f"| colour test: {label} | {value} | `{ev['command']}` |")
    if "cnn_plus_chow_weight" in ev:
        print(f"| (the blend: CNN weight {ev['cnn_plus_chow_weight']}, chosen on validation) | | `{ev['command']}` |")
    for name in ("gemstones", "architecture_scratch", "architecture_transfer"):
        path = MODELS / f"{name}.json"
        s = json.loads(path.read_text()).get("saliency") if path.is_file() else None
        if s:
            g, r = s["grid_energy"], s["randomisation"]["vargrad"]
            ins = s["faithfulness"]["vargrad"]["insertion_minus_random"]
            print(f"| {name.replace('_', ' ')}: VarGrad on {s['n_images']} test images: grid energy; rank correlation "
                  f"with a fully randomised network (noise floor); insertion area minus a random map's | "
                  f"{g['mean']:.4f} ({g['ci95'][0]:.4f}-{g['ci95'][1]:.4f}); {r['fully_randomised']['mean']:.2f} "
                  f"({r['noise_floor']['mean']:.2f}); {dec(ins['mean'], 3, sign=True)} (p = {ins['p_wilcoxon']:.2g}) | `{s['command']}` |")
    if "backdrop" in gem:
        b = gem["backdrop"]
        m = b["map_mass"]
        print(f"| gemstones: VarGrad's mass on a rough mask of the stone, against the stone's share of the frame "
              f"({m['n_photos']} test images kept; masks that failed: {m['n_mask_failed']}) | {pct(m['mass_on_stone']['mean'])} against "
              f"{pct(m['stone_share']['mean'])}; excess {dec(m['excess']['mean'], 3, sign=True)} ({dec(m['excess']['ci95'][0], 3, sign=True)} to "
              f"{dec(m['excess']['ci95'][1], 3, sign=True)}), Wilcoxon p = {m['excess']['p_wilcoxon']:.2g} | `{b['command']}` |")
        for kind, label in (("grey", "plain grey"), ("own_mean", "the photo's own mean backdrop colour")):
            if kind in b:
                r = b[kind]
                ch, mc = r["change"], r["mcnemar"]
                print(f"| gemstones: backdrop replaced by {label} ({r['n_photos']} test images, paired) | top-1 "
                      f"{pct(r['accuracy_before'])} → {pct(r['accuracy_after'])} (McNemar p = {mc['p_value']:.2g}; "
                      f"{mc['b_only']} right → wrong, {mc['a_only']} wrong → right); probability of the predicted class "
                      f"{dec(ch['mean'], 3, sign=True)} ({dec(ch['ci95'][0], 3, sign=True)} to {dec(ch['ci95'][1], 3, sign=True)}), Wilcoxon p = {ch['p_wilcoxon']:.2g} "
                      f"| `{b['command']}` |")
    for name in ("architecture_scratch", "architecture_transfer"):
        path = MODELS / f"{name}.json"
        if path.is_file():
            c = json.loads(path.read_text())
            print(f"| {name.replace('_', ' ')} test top-1 / top-5 ({c['n_test']} images) | {pct(c['test_accuracy'])} / {pct(c['test_top5'])} | `{c['command']}` |")
            if "tta" in c:
                tta_row(name.replace("_", " "), c["tta"])


if __name__ == "__main__":
    main()
