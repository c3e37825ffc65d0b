"""Torch access to a Dataset split: one-hot tensors encoded once, sliced batches."""

from __future__ import annotations

import numpy as np
import torch

from regviz.data.dataset import Dataset
from regviz.errors import DataFormatError
from regviz.sequence import one_hot


class TorchDataset(torch.utils.data.Dataset):
    """One split as tensors: ``X`` (n, 4 + n_tracks, L) float32 one-hot, ``y`` (n, n_tasks).

    Encoded once here (about 16 bytes per base: 1.6 GB for 100k x 1 kb). An int index
    gives one ``(X (C, L), y (n_tasks,))`` pair; a list of indices a whole batch.
    ``split=None`` takes all sequences; ``indices`` maps rows back to the Dataset.
    """

    def __init__(self, dataset: Dataset, split="train"):
        if split is not None and split not in dataset.splits:
            raise DataFormatError(f"Unknown split {split!r}; {dataset.name} has "
                                  f"{sorted(dataset.splits)}.")
        idx = np.arange(len(dataset)) if split is None else np.asarray(dataset.splits[split])
        if len(idx) == 0:
            raise DataFormatError(f"Split {split!r} of {dataset.name} has no sequences.")
        X = one_hot([dataset.seqs[i] for i in idx])
        if dataset.tracks is not None:
            tracks = np.asarray(dataset.tracks, dtype=np.float32)[idx]
            if tracks.shape[-1] != X.shape[-1]:
                raise DataFormatError(f"Tracks are {tracks.shape[-1]} long but sequences "
                                      f"{X.shape[-1]} bp; they must match.")
            X = np.concatenate([X, tracks], axis=1)
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(dataset.y[idx].astype(np.float32))
        self.indices, self.split = idx, split

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.X[i], self.y[i]


def dataloader(dataset, split="train", batch_size=64, shuffle=None, seed=0, drop_last=False):
    """A torch DataLoader of ``(X (b, 4 + n_tracks, L), y (b, n_tasks))`` float32 batches.

    ``dataset`` is a Dataset (encoded here) or a TorchDataset (reused). ``shuffle=None``
    shuffles the train split only; the order is fixed by ``seed``. Batches are sliced
    from the encoded tensors in one step (no per-item collation).
    """
    tds = dataset if isinstance(dataset, TorchDataset) else TorchDataset(dataset, split)
    shuffle = (tds.split == "train") if shuffle is None else shuffle
    sampler = (torch.utils.data.RandomSampler(tds, generator=torch.Generator().manual_seed(seed))
               if shuffle else torch.utils.data.SequentialSampler(tds))
    batches = torch.utils.data.BatchSampler(sampler, batch_size, drop_last)
    return torch.utils.data.DataLoader(tds, sampler=batches, batch_size=None)
