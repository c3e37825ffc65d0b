"""The Dataset record shared by synthetic sets (simulate.py) and users' data (data.py).

A Dataset is plain arrays and tables: sequences, labels, task names and kind,
splits, and, for synthetic sets, the ground truth (planted motifs and grammar).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from regviz.errors import DataFormatError

TASK_KINDS = ("binary", "multitask", "regression")
ANNOTATION_COLUMNS = ["seq_index", "motif_id", "motif_name", "start", "end", "strand", "role"]


@dataclass
class Dataset:
    """Sequences with labels and, where known, the truth of what was planted.

    Attributes
    ----------
    name : str
        Short identifier, e.g. "tf-binding" or the uploaded file's name.
    seqs : list of str
        Upper-case ACGTN sequences, all of one length.
    y : np.ndarray, shape (n, n_tasks), float32
        Labels: 0/1 for binary and multitask, real values for regression.
    task_names : list of str
        One name per column of ``y``.
    task_kind : str
        "binary" (one task), "multitask" (several binary tasks) or "regression".
    splits : dict of str -> np.ndarray of int
        Indices of "train", "valid" and "test" sequences (disjoint).
    annotations : pandas.DataFrame
        Planted motifs: seq_index, motif_id, motif_name, start (0-based), end
        (exclusive), strand ("+"/"-"), role; empty for user data.
    grammar : dict or None
        The rules the labels follow (JSON-serialisable), for synthetic sets.
    tracks : np.ndarray or None
        Extra input channels, shape (n, n_tracks, L_tracks), with
        ``track_names`` naming them (e.g. chromatin tracks for DECODE).
    meta : dict
        Seed, generator version, description, and anything a card should show.
    """

    name: str
    seqs: list
    y: np.ndarray
    task_names: list
    task_kind: str
    splits: dict = field(default_factory=dict)
    annotations: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ANNOTATION_COLUMNS))
    grammar: dict | None = None
    tracks: np.ndarray | None = None
    track_names: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.y = np.asarray(self.y, dtype=np.float32)
        if self.y.ndim == 1:
            self.y = self.y[:, None]
        if self.task_kind not in TASK_KINDS:
            raise DataFormatError(f"task_kind must be one of {TASK_KINDS}; got {self.task_kind!r} instead.")
        if len(self.seqs) != len(self.y):
            raise DataFormatError(f"{len(self.seqs)} sequences but {len(self.y)} label rows.")
        if self.y.shape[1] != len(self.task_names):
            raise DataFormatError(f"{self.y.shape[1]} label columns but {len(self.task_names)} task names.")

    def __len__(self) -> int:
        return len(self.seqs)

    @property
    def length(self) -> int:
        """Sequence length in bp (all sequences share it)."""
        return len(self.seqs[0]) if self.seqs else 0

    def subset(self, split: str) -> "Dataset":
        """A new Dataset holding one split's sequences (annotations re-indexed)."""
        if split not in self.splits:
            raise DataFormatError(f"Unknown split {split!r}; this dataset has {sorted(self.splits)}.")
        idx = np.asarray(self.splits[split])
        remap = {int(old): new for new, old in enumerate(idx)}
        ann = self.annotations[self.annotations["seq_index"].isin(remap)].copy()
        ann["seq_index"] = ann["seq_index"].map(remap)
        return Dataset(
            name=f"{self.name}[{split}]", seqs=[self.seqs[i] for i in idx], y=self.y[idx],
            task_names=list(self.task_names), task_kind=self.task_kind,
            splits={split: np.arange(len(idx))}, annotations=ann.reset_index(drop=True),
            grammar=self.grammar, tracks=None if self.tracks is None else self.tracks[idx],
            track_names=list(self.track_names), meta=dict(self.meta))


def random_splits(n: int, seed: int, valid: float = 0.1, test: float = 0.1) -> dict:
    """Disjoint train/valid/test index arrays from a seeded permutation."""
    order = np.random.default_rng(seed).permutation(n)
    n_test, n_valid = int(round(n * test)), int(round(n * valid))
    return {"test": np.sort(order[:n_test]), "valid": np.sort(order[n_test:n_test + n_valid]),
            "train": np.sort(order[n_test + n_valid:])}
