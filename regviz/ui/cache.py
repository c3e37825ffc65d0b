"""Process-wide caches of the app: models, genomes, datasets and finished results.

Everything here is shared by every session of the server, so it is read-only once
made, or used under a lock:

* `load_checkpoint` keeps one ``(model, card)`` per checkpoint, keyed by `checkpoint_stamp`
  (so a retrained or replaced checkpoint is never served from an old entry). The card
  is frozen. A view never changes the model: every analysis runs it inside
  `using_model`, which holds that model's lock (hook-installing methods such as
  DeepLIFT and the filter analysis would otherwise see each other's hooks).
* `remembered` keeps finished slow results per (kind, key), computing each key once
  even when several sessions ask at the same time; a run stopped midway stores nothing.
* Datasets regenerated from a card (`card_dataset`) and opened genomes are shared as
  they are: views only read them.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
import streamlit as st

from regviz import checkpoints, costs, genome, motifs, simulate
from regviz.errors import RegvizError
from regviz.plotting import figure_png
from regviz.ui import widgets


def checkpoint_stamp(folder) -> tuple:
    """What identifies a checkpoint's contents: size and modification time (ns) of its
    weights and card. Part of every cache key, so an overwritten checkpoint in the same
    folder is never served from an old cache entry."""
    stamps = []
    for name in (checkpoints.WEIGHTS, checkpoints.CARD):
        st_ = (Path(folder) / name).stat()
        stamps += [st_.st_size, st_.st_mtime_ns]
    return tuple(stamps)


@st.cache_resource(show_spinner="Loading the model...", max_entries=16)
def load_checkpoint(folder: str, stamp: tuple):
    """``(model, card)`` of a checkpoint folder, shared; ``stamp`` keys the entry."""
    return checkpoints.load(folder)


@st.cache_resource
def _model_locks() -> dict:
    return {}


_LOCKS_GUARD = threading.Lock()


@contextlib.contextmanager
def using_model(folder):
    """``(model, card)`` of a checkpoint, held under that model's lock for the block."""
    folder = str(folder)
    stamp = checkpoint_stamp(folder)
    with _LOCKS_GUARD:
        lock = _model_locks().setdefault((folder, stamp), threading.RLock())
    model, card = load_checkpoint(folder, stamp)
    with lock:
        yield model, card


@st.cache_resource(show_spinner="Opening genome FASTA (building its index if needed)...")
def open_genome(path: str) -> genome.Genome:
    """One pyfaidx-backed Genome per path, shared across reruns and sessions."""
    return genome.Genome(path)


@st.cache_data(show_spinner="Generating the synthetic set...", max_entries=16)
def synthetic_dataset(name: str, n: int, seed: int, noise: bool = True, **options):
    """A synthetic set from `regviz.simulate.make_dataset` (a copy per caller)."""
    return simulate.make_dataset(name, n, seed, noise, **options)


@st.cache_resource(show_spinner="Regenerating the model's data from its card...",
                   max_entries=4)
def card_dataset(folder: str, stamp: tuple):
    """The synthetic set a checkpoint was trained on (shared, read-only), or None when its
    card has no recipe (user data, imported models) or the generator changed."""
    _, card = load_checkpoint(folder, stamp)
    try:
        return checkpoints.dataset_from_card(card)
    except RegvizError:
        return None


@st.cache_resource(show_spinner="Loading the motif tools (memelite). Right after install "
                                "the first use compiles them, up to 90 s; `regviz-warmup` "
                                "does that ahead of time...")
def motif_tools_ready() -> bool:
    """Run one tiny Tomtom so numba's compile/cache load happens behind a visible spinner."""
    motifs.tomtom([np.full((4, 6), 0.25) + np.eye(4, 6)], n_nearest=1)
    return True


# ------------------------------------------------------------------ finished results

class _Store:
    """Finished results of one kind: at most ``limit`` kept, oldest dropped first."""

    def __init__(self):
        self.lock = threading.Lock()
        self.values: OrderedDict = OrderedDict()
        self.computing: dict = {}


@st.cache_resource
def _stores() -> dict:
    return {}


def _store(kind: str) -> _Store:
    with _LOCKS_GUARD:
        return _stores().setdefault(kind, _Store())


def remembered(kind: str, key: tuple, compute, limit: int = 6):
    """``compute()`` once per key, kept process-wide (at most ``limit`` of a kind).

    Used instead of st.cache_data where a progress bar made by the page moves while
    ``compute`` runs (st.cache_data replays element calls on a hit, which fails once
    that bar is gone). A second session asking for a key being computed waits for it.
    A run stopped midway (cancel, rerun) stores nothing. Callers must not change the
    result.
    """
    store = _store(kind)
    with store.lock:
        if key in store.values:
            store.values.move_to_end(key)
            return store.values[key]
        key_lock = store.computing.setdefault(key, threading.Lock())
    with key_lock:
        with store.lock:
            if key in store.values:
                return store.values[key]
        value = compute()
        with store.lock:
            store.values[key] = value
            while len(store.values) > limit:
                store.values.popitem(last=False)
            store.computing.pop(key, None)
    return value


def peek(kind: str, key: tuple):
    """The kept result of ``key`` (see `remembered`), or None when it was not computed."""
    store = _store(kind)
    with store.lock:
        return store.values.get(key)


def png(kind: str, key: tuple, make_figure) -> bytes:
    """PNG bytes of the matplotlib figure ``make_figure()`` draws, kept per (kind, key):
    logos take a fraction of a second each to draw, and pages redraw on every rerun."""
    return remembered(f"png:{kind}", key, lambda: figure_png(make_figure()), limit=64)


def with_progress(label: str, compute):
    """``compute(progress)`` with a progress bar that ``progress(done, total)`` moves."""
    bar, progress = widgets.progress_bar(label)
    result = compute(progress)
    bar.empty()
    return result


def model_key(folder, key: tuple) -> tuple:
    """The full key `model_result` keeps a result under (checkpoint contents + ``key``)."""
    return (str(folder), checkpoint_stamp(folder), *key)


@st.cache_resource(show_spinner="Timing the model on this machine...", max_entries=32)
def model_speed(folder: str, stamp: tuple):
    """`regviz.costs.Speed` of a checkpoint's model (timed once per checkpoint)."""
    with using_model(folder) as (model, _):
        return costs.measure_speed(model)


def model_result(kind: str, folder, key: tuple, label: str, compute, limit: int = 32):
    """``compute(model, card, progress)`` on a checkpoint, once per (checkpoint contents,
    ``key``), kept process-wide (`remembered`); the model's lock is held and a progress
    bar labelled ``label`` moves while it runs."""
    folder = str(folder)

    def run():
        with using_model(folder) as (model, card):
            return with_progress(label, lambda progress: compute(model, card, progress))

    return remembered(kind, model_key(folder, key), run, limit)
