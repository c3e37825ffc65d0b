"""Splits of a user's dataset by chromosome: contigs from coordinate names, held-out contigs.

A random split is made when a file is read (`regviz.data.load_dataset`'s ``seed``,
``valid`` and ``test``); `split_by_chrom` replaces it with one that holds out whole
contigs, read from ``meta["regions"]`` (BED input) or from names that carry coordinates
(``chr1:100-200``, ``chr1:100-200(+)``, bedtools' ``peak7::chr1:100-200``).
``meta["split"]`` says how a dataset was split, for its model card: ``{"random": {seed,
valid, test}}`` or ``{"by_chrom": {test, valid, train}}``.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from regviz.data.dataset import Dataset
from regviz.errors import DataFormatError

DEFAULT_TEST_CHROMS = ("chr8", "chr9")
_COORDINATES = re.compile(r"([^\s:]+):[0-9,]+-[0-9,]+")
_STRAND = re.compile(r"\([+.-]\)$")


def chrom_of(name: str) -> str | None:
    """The contig of a name that carries coordinates (``chr1:100-200`` -> ``chr1``), else None."""
    coords = _STRAND.sub("", str(name).rsplit("::", 1)[-1])
    match = _COORDINATES.fullmatch(coords)
    return match.group(1) if match else None


def dataset_chroms(dataset: Dataset) -> list[str]:
    """The contig of every sequence (length n), from ``meta["regions"]`` or the names."""
    names = dataset.meta.get("regions") or dataset.meta.get("names") or []
    chroms = [chrom_of(name) for name in names]
    if len(chroms) != len(dataset) or None in chroms:
        bad = names[chroms.index(None)] if None in chroms else "(no names)"
        raise DataFormatError(
            f"{dataset.name}: a split by chromosome needs coordinates in every sequence name "
            f"(e.g. chr1:100-200), but {bad!r} has none. Name the sequences by their regions "
            "(bedtools getfasta does), or use the random split.")
    return chroms


def chrom_splits(chroms, test, valid=None, seed=0, valid_fraction=0.1) -> dict:
    """train/valid/test indices: ``test`` and ``valid`` hold the named contigs' sequences.

    ``chroms`` has one contig per sequence. ``valid=None`` takes a seeded random
    ``valid_fraction`` of the other contigs' sequences instead. Returns sorted int arrays.
    """
    chroms, test, valid = np.asarray(chroms), list(test), None if valid is None else list(valid)
    present = sorted(set(chroms.tolist()))
    missing = [c for c in test + (valid or []) if c not in present]
    if missing or not test:
        shown = ", ".join(present[:30]) + (" ..." if len(present) > 30 else "")
        raise DataFormatError(f"Test and validation contigs must be contigs of the data "
                              f"({shown}); got test {test or 'none'}, valid {valid or 'random'}"
                              f" ({', '.join(missing) or 'no test contig'} not in the data).")
    if set(test) & set(valid or []):
        raise DataFormatError(f"A contig cannot be both test and validation: "
                              f"{', '.join(sorted(set(test) & set(valid)))}.")
    splits = {"test": np.flatnonzero(np.isin(chroms, test))}
    rest = np.flatnonzero(~np.isin(chroms, test))
    if valid is None:
        order = np.random.default_rng(seed).permutation(rest)
        splits["valid"] = np.sort(order[:int(round(len(rest) * valid_fraction))])
    else:
        splits["valid"] = np.flatnonzero(np.isin(chroms, valid))
    splits["train"] = np.setdiff1d(rest, splits["valid"])
    if not len(splits["train"]):
        raise DataFormatError(f"Holding out {', '.join(test + (valid or []))} leaves no "
                              "sequences to train on.")
    return splits


def split_by_chrom(dataset: Dataset, test=DEFAULT_TEST_CHROMS, valid=None, seed=0,
                   valid_fraction=0.1) -> Dataset:
    """The dataset with a split by contig (see `chrom_splits`) recorded in ``meta["split"]``.

    Split before `regviz.data.add_shuffled_negatives`, so each shuffle joins its
    positive's split.
    """
    if "negatives" in dataset.meta:
        raise DataFormatError(f"{dataset.name} already has shuffled negatives; split it by "
                              "chromosome first, then add them (each joins its positive's split).")
    splits = chrom_splits(dataset_chroms(dataset), test, valid, seed, valid_fraction)
    how = {"by_chrom": {"test": list(test), "valid": list(valid) if valid is not None else
                        {"random_fraction": valid_fraction, "seed": seed},
                        "train": "all other contigs"}}
    return dataclasses.replace(dataset, splits=splits, meta={**dataset.meta, "split": how})
