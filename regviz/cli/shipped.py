"""``regviz-shipped`` (``python -m regviz.shipped``): regenerate the shipped checkpoints.

    regviz-shipped                            # every recipe into checkpoints/
    regviz-shipped --only tf-binding_deepbind --out /tmp/ck
    regviz-shipped --list
    regviz-shipped --real                     # the ENCODE models (needs the data)
    regviz-shipped --real --only 5TF          # just the five-factor multi-task model
    regviz-shipped --add-baselines            # baselines on the cards, no retraining

The recipes are in `regviz.training.shipped`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from regviz.checkpoints import SHIPPED_ROOT
from regviz.checkpoints.folders import read_card
from regviz.errors import RegvizError
from regviz.training import real, real_multitask
from regviz.training.shipped import (RECIPES, RECIPES_BY_NAME, add_baselines, get_recipe,
                                     regenerate)

FIVE = "5TF"                  # --only name of the five-factor multi-task model


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="regviz-shipped",
                                description="Regenerate the shipped checkpoints.")
    p.add_argument("--only", nargs="*", default=None, help="recipe names (default: all)")
    p.add_argument("--out", default=str(SHIPPED_ROOT), help="root folder (default: checkpoints/)")
    p.add_argument("--list", action="store_true", help="list recipes and exit")
    p.add_argument("--real", action="store_true",
                   help="the real-data models instead: one DeepBind per ENCODE factor "
                        f"({', '.join(real.BY_NAME)}) and the five-factor multi-task model "
                        f"({FIVE}); --only picks them; where the ENCODE sets are "
                        "(../shared/data or REGVIZ_ENCODE_DATA)")
    p.add_argument("--add-baselines", action="store_true",
                   help="write the baselines (4-mer model, best JASPAR PWM) on the cards of "
                        "the checkpoints in --out (or those named with --only), computed on "
                        "each model's own test split, without retraining")
    args = p.parse_args(argv)
    if args.add_baselines:
        return _add_baselines(args.only, args.out)
    if args.real:
        return _real(args.only or [*real.BY_NAME, FIVE], args.out)
    if args.list:
        for r in RECIPES:
            print(f"{r.name:32s} {r.model:14s} {r.dataset:20s} n={r.n} epochs<={r.epochs}")
        return 0
    names = args.only or list(RECIPES_BY_NAME)
    total = time.perf_counter()
    for name in names:
        recipe = get_recipe(name)
        start = time.perf_counter()
        final = None
        for report in regenerate(recipe, args.out):
            if report.phase in ("start", "validate"):
                print(f"[{name}] {report.message}", flush=True)
            final = report
        test = final.test_metrics or {}
        head = {k: round(v, 4) for k, v in test.items()
                if k in ("auroc_mean", "auprc_mean", "pearson_mean", "spearman_mean")}
        print(f"[{name}] done in {time.perf_counter() - start:.0f} s: test {head}", flush=True)
    print(f"all done in {time.perf_counter() - total:.0f} s")
    return 0


def _add_baselines(names, out) -> int:
    folders = [Path(out) / n for n in names] if names else sorted(
        f.parent for f in Path(out).glob("*/card.json"))
    failed = 0
    for folder in folders:
        start = time.perf_counter()
        try:
            found = add_baselines(folder)
        except RegvizError as exc:
            print(f"[{folder.name}] skipped: {exc}", file=sys.stderr)
            failed += 1
            continue
        if not found:
            print(f"[{folder.name}] no baselines: it reads tracks besides DNA", flush=True)
            continue
        print(f"[{folder.name}] {found['metric']}: {found['k']}-mer {found['kmer']}, best PWM "
              f"{[p['motif'] for p in found['pwm']]} {[p['score'] for p in found['pwm']]} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
    return 1 if failed else 0


def _real(names, out) -> int:
    unknown = [n for n in names if n not in real.BY_NAME and n != FIVE]
    if unknown:
        print(f"unknown factor(s) {unknown}; choose from {', '.join([*real.BY_NAME, FIVE])}",
              file=sys.stderr)
        return 2
    if real.data_root() is None:
        print("The ENCODE sets are not here: set REGVIZ_ENCODE_DATA to the folder holding "
              "encode_chip/ and deepbind/encode_test/.", file=sys.stderr)
        return 2
    for name in sorted(names, key=lambda n: n == FIVE):     # 5TF reads the single cards
        start = time.perf_counter()
        if name == FIVE:
            for report in real_multitask.train_five_factor(out):
                if report.phase in ("start", "validate"):
                    print(f"[{FIVE}] {report.message}", flush=True)
            folder, key = real_multitask.CHECKPOINT, "encode_test_by_factor"
        else:
            folder, key = real.BY_NAME[name].checkpoint, "encode_test"
            for _ in real.train_real(real.BY_NAME[name], out):
                pass
        card = read_card(f"{out}/{folder}")
        print(f"[{folder}] done in {time.perf_counter() - start:.0f} s: "
              f"{dict(card.metrics)[key]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
