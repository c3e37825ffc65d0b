"""``regviz-train MODEL DATASET [options]`` (or ``python -m regviz.train``): train from a shell.

The same work as a job in the app (`regviz.training.run_job`): make or read the
dataset, build the model for it, train with early stopping, score the test
split, and write a checkpoint folder (``model.safetensors`` + ``card.json``).

Examples::

    regviz-train deepbind tf-binding --epochs 5 --n 2000 --out runs/db
    regviz-train basset chromatin-multitask --preset class --lr 3e-3
    regviz-train deepbind my_peaks.fa --set n_filters=32 --set filter_width=16
    regviz-train deepbind TF_AC.seq.gz --shuffled-negatives 1 --split-seed 3
    regviz-train deepbind peaks.fa --split chrom --test-chroms chr8,chr9 --val-chroms chr10
    regviz-train deepbind TF_AC.seq.gz --shuffled-negatives 1 --folds 5 --out runs/cv

``--folds K`` trains K models (``<out>/fold-1`` ...), each tested on its own 1/K of
the sequences (shuffles stay with their peaks), and writes ``<out>/cv.json`` (per-fold,
pooled and mean +- sd metrics) and ``<out>/predictions.tsv`` (out-of-fold predictions).

Exit status: 0 done, 1 training failed (NaN loss, out of memory), 2 bad input,
130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from tqdm import tqdm

from regviz import distributed, models, simulate
from regviz.data import DEFAULT_TEST_CHROMS, add_shuffled_negatives, load_dataset, split_by_chrom
from regviz.errors import DataFormatError, RegvizError
from regviz.training import JobSpec, TrainConfig, TrainingFailed, run_job
from regviz.training.defaults import STRAND_AWARE
from regviz.training.group_job import ProgressLog
from regviz.training.folds import PREDICTIONS, SUMMARY, cross_validate


def _epilog() -> str:
    return (f"models: {', '.join(models.list_models())}\n"
            f"synthetic datasets: {', '.join(simulate.list_datasets())} (or a path to a "
            "FASTA/CSV/TSV file of labelled sequences)")


def _setting(text: str):
    """``key=value`` with value read as JSON where possible (8, 0.2, [9, 5], true)."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"--set takes key=value (e.g. n_filters=32). "
                                         f"Got {text!r} instead.")
    key, value = text.split("=", 1)
    try:
        return key.strip(), json.loads(value)
    except json.JSONDecodeError:
        return key.strip(), value


def _contigs(text: str) -> list[str]:
    """``chr8,chr9`` -> ["chr8", "chr9"]."""
    names = [c.strip() for c in text.split(",") if c.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"takes contig names separated by commas (e.g. "
                                         f"chr8,chr9). Got {text!r} instead.")
    return names


def file_dataset(args):
    """The data file of ``args`` read, split and given negatives as asked; None for a
    synthetic set (DataFormatError when file options are given for one)."""
    given = {"--shuffled-negatives": args.shuffled_negatives or None, "--split": args.split,
             "--split-seed": args.split_seed, "--test-chroms": args.test_chroms,
             "--val-chroms": args.val_chroms, "--folds": args.folds}
    asked = [flag for flag, value in given.items() if value is not None]
    if args.dataset in simulate.list_datasets():
        if asked:
            raise DataFormatError(f"{', '.join(asked)} apply to data files; a synthetic set's "
                                  "split follows --data-seed (default --seed).")
        return None
    if args.folds is not None and args.folds < 2:
        raise DataFormatError(f"--folds takes 2 or more folds (5 is usual); got {args.folds} "
                              "instead.")
    if not Path(args.dataset).is_file():
        if args.folds is not None:
            raise DataFormatError(f"--folds needs a data file; {args.dataset!r} is neither a "
                                  f"file nor a synthetic set ({', '.join(simulate.list_datasets())}).")
        return None                                  # run_job says what is wrong
    if args.data_seed is not None:
        raise DataFormatError("--data-seed is for synthetic sets; the split of a data file "
                              "follows --split-seed.")
    if args.shuffled_negatives < 0:
        raise DataFormatError(f"--shuffled-negatives takes 0 or more shuffles per positive; "
                              f"got {args.shuffled_negatives} instead.")
    seed = args.split_seed or 0
    contigs = bool(args.test_chroms or args.val_chroms)
    by_chrom = args.split == "chrom" or (args.split is None and contigs)
    if contigs and not by_chrom:
        raise DataFormatError("--test-chroms and --val-chroms go with --split chrom.")
    if by_chrom and args.folds is not None:
        raise DataFormatError("--folds makes its own random folds (each sequence tested once); "
                              "it does not combine with --split chrom or held-out contigs.")
    dataset = load_dataset(args.dataset, seed=seed)
    if by_chrom:
        dataset = split_by_chrom(dataset, args.test_chroms or DEFAULT_TEST_CHROMS,
                                 args.val_chroms, seed=seed)
    if args.shuffled_negatives:
        dataset = add_shuffled_negatives(dataset, args.shuffled_negatives, seed=seed)
    return dataset


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="regviz-train", description="Train a regviz zoo model and write a "
        "checkpoint folder (model.safetensors + card.json).", epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="registry name, e.g. deepbind")
    p.add_argument("dataset", help="synthetic set name (e.g. tf-binding) or a data file")
    p.add_argument("--preset", default="class", help="class (small, default) or paper")
    p.add_argument("--set", dest="overrides", action="append", type=_setting, default=[],
                   metavar="KEY=VALUE", help="change a model setting (repeatable)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--patience", type=int, default=3,
                   help="epochs without validation improvement before stopping (0: never)")
    p.add_argument("--lr-plateau", type=int, default=0,
                   help="halve the learning rate after this many epochs without validation "
                        "improvement (0: constant rate)")
    p.add_argument("--rc-augment", action=argparse.BooleanOptionalAction, default=None,
                   help="reverse-complement augmentation (default: on for data files, where "
                        "a site may sit on either strand; off for synthetic sets)")
    p.add_argument("--task-balance", type=float, default=0.0,
                   help="several tasks: weight each task's loss by (its loss / mean loss) ** "
                        "this, so tasks still at chance pull harder (0: plain mean; try 2)")
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--seed", type=int, default=0,
                   help="training seed (and the synthetic set's seed)")
    p.add_argument("--data-seed", type=int, default=None,
                   help="seed of the synthetic set (default: --seed)")
    p.add_argument("--n", type=int, default=2000, help="sequences to simulate (synthetic sets)")
    p.add_argument("--no-noise", action="store_true", help="synthetic labels without noise")
    files = p.add_argument_group("data files")
    files.add_argument("--shuffled-negatives", type=int, default=0, metavar="K",
                       help="add K dinucleotide shuffles of every positive, labelled 0, each "
                            "in its positive's split (for positives-only peaks)")
    files.add_argument("--split", choices=("random", "chrom"), default=None,
                       help="random 80/10/10 (default), or chrom: hold out whole contigs, "
                            "read from names like chr1:100-200")
    files.add_argument("--split-seed", type=int, default=None, metavar="N",
                       help="seed of the random split and of the shuffles (default 0; "
                            "independent of --seed, so the test set stays put)")
    files.add_argument("--test-chroms", type=_contigs, default=None, metavar="C1,C2",
                       help=f"test contigs of --split chrom (default "
                            f"{','.join(DEFAULT_TEST_CHROMS)})")
    files.add_argument("--val-chroms", type=_contigs, default=None, metavar="C1,C2",
                       help="validation contigs of --split chrom (default: a random 10%% "
                            "of the other contigs' sequences)")
    files.add_argument("--folds", type=int, default=None, metavar="K",
                       help="K-fold cross-validation: K models, each tested on 1/K of the "
                            "sequences (seeded by --split-seed); writes <out>/fold-1 ... and "
                            "<out>/cv.json with per-fold and pooled metrics")
    p.add_argument("--no-baselines", action="store_true",
                   help="skip the card's baselines on the test split (k-mer model, best "
                        "JASPAR PWM; a few seconds)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    p.add_argument("--out", default=None,
                   help="checkpoint folder (default: runs/<model>-<dataset>-<time>)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    group = p.add_argument_group("several processes (torch.distributed)")
    group.add_argument("--nproc", type=int, default=1, metavar="N",
                       help="train on N processes of this machine with DDP, through torchrun "
                            "(one GPU each where there are GPUs, else gloo on the CPU); "
                            "--batch-size stays the global batch")
    group.add_argument("--snapshot", default=None, metavar="PATH",
                       help="keep the training state here after every epoch; a run started "
                            "again with it resumes (torchrun --max-restarts needs it)")
    group.add_argument("--progress-log", default=None, metavar="PATH",
                       help="append every progress report as a JSON line (what the app reads)")
    return p


def _fmt(metrics: dict | None, sd: dict | None = None) -> str:
    if not metrics:
        return "none"
    keys = [k for k in ("auroc_mean", "auprc_mean", "pearson_mean", "spearman_mean", "loss")
            if isinstance(metrics.get(k), float) and not math.isnan(metrics[k])]
    if sd is None:
        return ", ".join(f"{k} {metrics[k]:.4f}" for k in keys)
    sd = {k: float("nan") if sd.get(k) is None else sd[k] for k in keys}
    return ", ".join(f"{k} {metrics[k]:.4f} +- {sd[k]:.4f}" for k in keys)


class _Progress:
    """run_job's reports on stderr: messages, and a progress bar per job unless quiet;
    with ``log``, every report also as a JSON line (train steps at most every 0.5 s)."""

    def __init__(self, model: str, quiet: bool, log: str | None = None, silent=False):
        self.model, self.quiet, self.bar = model, quiet, None
        self.log = ProgressLog(log) if log else None
        self.silent = silent                # ranks other than 0 of a distributed run

    def show(self, rep, prefix: str = "") -> None:
        if self.log is not None:
            self.log.write(rep)
        if self.silent:
            return
        if rep.phase in ("prepare", "start"):
            tqdm.write(prefix + rep.message, file=sys.stderr)
        if rep.phase == "start" and not self.quiet:
            self.close()
            self.bar = tqdm(total=rep.total_steps, unit="step", file=sys.stderr,
                            desc=f"{prefix}{self.model}", dynamic_ncols=True)
        elif rep.phase == "train" and self.bar is not None:
            self.bar.update(rep.step - self.bar.n)
            self.bar.set_postfix(loss=f"{rep.train_loss:.4f}", refresh=False)
        elif rep.phase == "validate":
            (self.bar.write if self.bar is not None else print)(prefix + rep.message,
                                                                file=sys.stderr)
        elif rep.phase in ("done", "cancelled"):
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _cross_validate(spec: JobSpec, args, progress: _Progress) -> int:
    """``--folds K``: one model per fold, then per-fold, pooled and mean +- sd metrics."""
    summary = folder = None
    for item in cross_validate(spec, args.folds, args.split_seed or 0, out=args.out):
        if item.report is not None:
            progress.show(item.report, f"[fold {item.fold}/{item.k}] ")
            if item.report.phase == "done":
                print(f"fold {item.fold}/{item.k} test: {_fmt(item.report.test_metrics)}")
        summary, folder = item.summary, item.folder
    if summary is None:
        print("cross-validation stopped before its last fold", file=sys.stderr)
        return 1
    print(f"{summary['k']}-fold cross-validation of {args.model} on {summary['n']:,} "
          f"sequences (folds seeded by --split-seed {summary['seed']}):")
    for row in summary["per_fold"]:
        print(f"  fold {row['fold']} ({row['n_test']:,} test): {_fmt(row)}")
    print(f"pooled out-of-fold: {_fmt(summary['pooled'])}")
    print(f"mean +- sd over folds: {_fmt(summary['mean'], summary['sd'])}")
    base = summary.get("baselines_mean") or {}
    if base:
        show = lambda values: "/".join("-" if v is None else f"{v:.4f}" for v in values)  # noqa: E731
        print(f"baselines, mean over folds ({base.get('metric')}): 4-mer model "
              f"{show(base.get('kmer', []))}, best JASPAR PWM {show(base.get('pwm', []))}")
    print(f"checkpoints: {folder}/fold-1 ... fold-{summary['k']}; summary: {folder}/{SUMMARY}; "
          f"out-of-fold predictions: {folder}/{PREDICTIONS}")
    return 0


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    if args.nproc < 1 or (args.nproc > 1 and args.folds is not None):
        print("error: --nproc takes 1 or more processes, and trains one model (not --folds)",
              file=sys.stderr)
        return 2
    if args.nproc > 1 and not distributed.launched_by_torchrun():
        return distributed.run_group("regviz.train", distributed.drop_option(argv, "--nproc"),
                                     args.nproc)
    try:
        group = distributed.init_from_env(args.device) if \
            distributed.launched_by_torchrun() else None
        return _train(args, group)
    except RegvizError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        distributed.shutdown()


def _train(args, group) -> int:
    main_rank = group is None or group.is_main
    progress = _Progress(args.model, args.quiet, args.progress_log if main_rank else None,
                         silent=not main_rank)
    try:
        data = file_dataset(args)
        rc_augment = args.rc_augment if args.rc_augment is not None else data is not None
        config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                             weight_decay=args.weight_decay, patience=args.patience or None,
                             lr_plateau=args.lr_plateau or None, rc_augment=rc_augment,
                             task_balance=args.task_balance, seed=args.seed,
                             device=args.device, max_steps=args.max_steps,
                             num_threads=args.threads, snapshot=args.snapshot)
        overrides = dict(args.overrides)
        if data is not None:        # DNA binding on real data: both strands, as DeepBind
            overrides = {**STRAND_AWARE.get(args.model, {}), **overrides}
        spec = JobSpec(model=args.model, dataset=args.dataset if data is None else data,
                       preset=args.preset, overrides=overrides, n=args.n,
                       dataset_seed=args.data_seed, noise=not args.no_noise, config=config,
                       out=args.out, baselines=not args.no_baselines)
        if args.folds is not None:
            return _cross_validate(spec, args, progress)
        final = None
        for rep in run_job(spec):
            progress.show(rep)
            final = rep
        progress.close()
        if not main_rank:
            return 0
        print(final.message)
        print(f"best validation: {_fmt(final.best_metrics)}")
        print(f"test: {_fmt(final.test_metrics)}")
        print(f"checkpoint: {final.checkpoint}")
        return 0
    except TrainingFailed as exc:
        progress.close()
        print(f"training failed: {exc}", file=sys.stderr)
        return 1
    except RegvizError as exc:
        progress.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        progress.close()
        print("interrupted; " + ("the folds finished so far are kept, no cv.json written"
                                 if args.folds else "no checkpoint written"), file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
