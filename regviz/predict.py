"""Inference: one-hot sequences in, outputs out, raw or in the units the card describes.

`predict` gives raw outputs in batches and leaves the model as it found it (device and
train/eval mode). `predict_table` reads sequences and reports both strands in the card's
units; `tile_table` scores windows along a longer sequence; `true_labels` finds a
synthetic set's labels. `encode_for` and `check_length` say "sequence is N bp, the model
reads M bp" in one place; `fit_examples` makes example sequences fit a model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from regviz import devices
from regviz.errors import SequenceError, warn_if_not_finite
from regviz.sequence import SequenceRecord, one_hot, random_sequences, reverse_complement


def predict(model: torch.nn.Module, X, batch_size: int = 256, device=None) -> np.ndarray:
    """Raw outputs of ``model`` for ``X``.

    Parameters
    ----------
    model : nn.Module
        A zoo model (or any module mapping ``(b, C, L)`` to ``(b, n_outputs)``).
    X : np.ndarray or torch.Tensor, shape (n, C, L)
        One-hot DNA (C = 4, ACGT) plus any extra track channels, float32.
    batch_size : int
        Sequences per forward pass (memory grows with it; results do not change).
    device : torch.device or str, optional
        Where the model is; default: where its parameters are.

    Returns
    -------
    np.ndarray, shape (n, n_outputs), float32: logits for binary/multitask models (apply
    a sigmoid for probabilities), values for regression.
    """
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise SequenceError(f"batch_size must be a whole number >= 1. Got {batch_size!r} "
                            "instead.")
    tensor = torch.as_tensor(np.asarray(X, dtype=np.float32) if not torch.is_tensor(X) else X,
                             dtype=torch.float32)
    if tensor.dim() != 3:
        raise SequenceError(f"predict expects X of shape (n, channels, length); got "
                            f"{tuple(tensor.shape)}.")
    was_training = model.training
    try:
        out = predict_tensor(model, tensor, batch_size=batch_size, device=device).numpy()
    finally:
        model.train(was_training)
    return warn_if_not_finite(out, "Predictions")


@torch.no_grad()
def predict_tensor(model: torch.nn.Module, X: torch.Tensor, batch_size: int = 256,
                   device=None) -> torch.Tensor:
    """Raw outputs of ``model`` for ``X`` (n, C, L), batched, in eval mode, on CPU float32.

    The model is put in eval mode (and left there) and must already be on
    ``device`` (default: the device of its first parameter).
    """
    if device is None:
        first = next(model.parameters(), None)
        device = first.device if first is not None else torch.device("cpu")
    device = torch.device(device)
    model.eval()
    outs = []
    for start in range(0, len(X), batch_size):
        xb = X[start:start + batch_size].to(device, non_blocking=True)
        with devices.autocast(device):
            out = model(xb)
        outs.append(out.float().reshape(len(xb), -1).cpu())
    return torch.cat(outs) if outs else torch.zeros(0, 0)


def encode_for(model: torch.nn.Module, records) -> np.ndarray:
    """One-hot ``(n, 4, L)`` of SequenceRecords/strings, checked against the model's length.

    This is the one place that says "sequence is N bp, the model reads M bp".
    Raises SequenceError naming the first sequence whose length is not the model's,
    or when the model reads more than DNA (chromatin tracks).
    """
    name_of_model = getattr(model, "registry_name", type(model).__name__)
    if getattr(getattr(model, "config", None), "tracks_only", False) or \
            getattr(model, "in_channels", 4) != 4:
        raise SequenceError(f"{name_of_model} reads more than DNA (chromatin tracks), so "
                            "sequences alone cannot be given to it here.")
    items = [records] if isinstance(records, (str, SequenceRecord)) else list(records)
    if not items:
        raise SequenceError("No sequences given; paste at least one.")
    for k, r in enumerate(items):
        seq = r.sequence if isinstance(r, SequenceRecord) else r
        check_length(model, r.name if isinstance(r, SequenceRecord) else f"sequence {k + 1}",
                     len(seq))
    return one_hot(items)


def check_length(model: torch.nn.Module, name: str, length: int, bp_per_position: int = 1):
    """SequenceError unless a sequence of ``length`` bp fits the model's input length."""
    want = getattr(model, "input_length", None)
    if want is not None and length != want * bp_per_position:
        want *= bp_per_position
        model_name = getattr(model, "registry_name", type(model).__name__)
        raise SequenceError(f"{name} is {length:,} bp but {model_name} reads exactly "
                            f"{want:,} bp. Paste or cut sequences to {want:,} bp. Got "
                            f"{length:,} bp instead.")


def readable(values, card) -> np.ndarray:
    """Raw outputs ``(n, n_outputs)`` in the units the card describes: sigmoid of the
    logits for binary and multitask models (probabilities), unchanged for regression."""
    values = np.asarray(values, dtype=np.float64)
    if card.reads_as_probability:
        return 1.0 / (1.0 + np.exp(-values))
    return values


def fit_examples(records, length: int, seed: int = 0) -> list[SequenceRecord]:
    """Example sequences made to fit a model that reads ``length`` bp: longer ones are
    centre-cropped, shorter ones centred in random background (42% GC, seeded). The
    names say what was done, so a user never mistakes the filler for their sequence."""
    out = []
    for k, r in enumerate(records):
        seq, n = r.sequence, len(r.sequence)
        if n > length:
            lo = (n - length) // 2
            seq, note = seq[lo:lo + length], f"centre {length:,} bp of {n:,}"
        elif n < length:
            fill = random_sequences(1, length - n, 0.42, seed=seed + k)[0]
            left = (length - n) // 2
            seq = fill[:left] + seq + fill[left:]
            note = f"in random background, at {left + 1:,}-{left + n:,} of {length:,} bp"
        else:
            out.append(r)
            continue
        out.append(SequenceRecord(r.name, seq, f"{r.description} ({note})".strip()))
    return out


def _strands(model, X: np.ndarray, card, both: bool, batch_size: int):
    fwd = readable(predict(model, X, batch_size=batch_size), card)
    if not both:
        return fwd, np.full_like(fwd, np.nan), fwd
    rev = readable(predict(model, reverse_complement(X), batch_size=batch_size), card)
    return fwd, rev, (fwd + rev) / 2


CHUNK = 1024   # sequences one-hot encoded at a time: memory stays that of one chunk


def _in_chunks(model, card, n: int, sequences_of, both: bool, batch_size: int):
    """`_strands` of ``n`` sequences given chunk by chunk by ``sequences_of(lo, hi)``."""
    parts = [_strands(model, one_hot(sequences_of(lo, min(lo + CHUNK, n))), card, both,
                      batch_size) for lo in range(0, n, CHUNK)]
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))


def predict_table(model, card, records, both_strands: bool = True,
                  batch_size: int = 256) -> pd.DataFrame:
    """What the model predicts for each sequence, in the units its card describes.

    Parameters
    ----------
    records : SequenceRecord or str, or a list of them, each of the model's length
    both_strands : bool
        Also score each sequence's reverse complement (DNA has no preferred strand).

    Returns
    -------
    DataFrame, one row per (sequence, output): ``sequence`` (name), ``output``,
    ``forward``, ``reverse`` (NaN with ``both_strands=False``) and ``mean`` (of the two,
    in the card's units: probabilities for binary and multitask models, raw values for
    regression).
    """
    items = [records] if isinstance(records, (str, SequenceRecord)) else list(records)
    encode_for(model, items[:1])                       # the length rule, said once
    for k, r in enumerate(items):
        check_length(model, r.name if isinstance(r, SequenceRecord) else f"sequence {k + 1}",
                     len(r.sequence if isinstance(r, SequenceRecord) else r))
    fwd, rev, mean = _in_chunks(model, card, len(items), lambda lo, hi: items[lo:hi],
                                both_strands, batch_size)
    names = [r.name if isinstance(r, SequenceRecord) else f"sequence {k + 1}"
             for k, r in enumerate(items)]
    tasks = list(card.task_names)
    return pd.DataFrame({"sequence": np.repeat(names, len(tasks)),
                         "output": tasks * len(items), "forward": fwd.ravel(),
                         "reverse": rev.ravel(), "mean": mean.ravel()})


def tile_table(model, card, record, stride: int | None = None, both_strands: bool = True,
               batch_size: int = 256) -> pd.DataFrame:
    """The model's prediction along a sequence longer than its input: windows of its
    length every ``stride`` bp (default: half a window; the last window ends at the
    sequence end).

    Returns
    -------
    DataFrame, one row per (window, output): ``start``, ``end`` (1-based, inclusive),
    ``centre``, ``output``, ``forward``, ``reverse``, ``mean`` (card units).
    """
    seq = record.sequence if isinstance(record, SequenceRecord) else str(record)
    name = record.name if isinstance(record, SequenceRecord) else "sequence"
    width = getattr(model, "input_length", None)
    if width is None or len(seq) < width:
        raise SequenceError(f"{name} is {len(seq):,} bp; tiling needs a sequence at least as "
                            f"long as the model's input ({width or '?'} bp).")
    stride = max(1, int(stride or width // 2))
    starts = list(range(0, len(seq) - width + 1, stride))
    if starts[-1] != len(seq) - width:
        starts.append(len(seq) - width)
    if len(starts) > 100_000:
        raise SequenceError(f"{name}: {len(starts):,} windows at stride {stride}; use a larger "
                            "stride (at most 100,000 windows).")
    fwd, rev, mean = _in_chunks(model, card, len(starts),
                                lambda lo, hi: [seq[s:s + width] for s in starts[lo:hi]],
                                both_strands, batch_size)
    tasks = list(card.task_names)
    s = np.repeat(np.array(starts), len(tasks))
    return pd.DataFrame({"start": s + 1, "end": s + width, "centre": s + (width + 1) / 2,
                         "output": tasks * len(starts), "forward": fwd.ravel(),
                         "reverse": rev.ravel(), "mean": mean.ravel()})


def true_labels(dataset, records) -> pd.DataFrame:
    """Labels of the sequences that belong to ``dataset`` (matched by sequence), one row
    per (sequence, task): ``sequence``, ``output``, ``label`` and ``split`` (NaN and ""
    for sequences not in it)."""
    where = {s: i for i, s in enumerate(dataset.seqs)}
    split_of = {int(i): name for name, idx in dataset.splits.items() for i in idx}
    rows = []
    for k, r in enumerate(records):
        seq = r.sequence if isinstance(r, SequenceRecord) else r
        name = r.name if isinstance(r, SequenceRecord) else f"sequence {k + 1}"
        i = where.get(seq)
        for t, task in enumerate(dataset.task_names):
            rows.append({"sequence": name, "output": task,
                         "label": float(dataset.y[i, t]) if i is not None else np.nan,
                         "split": split_of.get(i, "") if i is not None else ""})
    return pd.DataFrame(rows)
