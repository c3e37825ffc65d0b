"""The whole filter analysis in one call (what the Filters page and the benchmark run),
and the sequences it runs on by default."""

from __future__ import annotations

from copy import deepcopy

import numpy as np
import pandas as pd
import torch
from torch import nn

from regviz import simulate
from regviz.checkpoints import Card
from regviz.filters.influence import filter_influence
from regviz.filters.match import best_matches, match_filters, planted_recovery
from regviz.filters.pwms import filter_pwms, first_layer
from regviz.errors import SequenceError
from regviz.sequence import SequenceRecord, one_hot, random_sequences


def analyze_filters(model: nn.Module, X, rule: str = "basset", threshold: float = 0.5,
                    database: str = "JASPAR2024 CORE vertebrates", planted=None,
                    max_influence_sequences: int | None = 500, task_names=None,
                    progress=None, **match_options) -> dict:
    """The whole analysis: PWMs, JASPAR matches, influence, and a summary.

    Parameters
    ----------
    model, X, rule, threshold
        As in :func:`filter_pwms`.
    database : str
        As in :func:`match_filters`.
    planted : list of dict or Motif, optional
        Planted motifs of a synthetic set (``card["dataset"]["motifs"]``).
    max_influence_sequences, task_names
        As in :func:`filter_influence` (``max_sequences``).
    progress : callable, optional
        ``progress(fraction, message)``.
    **match_options
        Passed to :func:`match_filters`.

    Returns
    -------
    dict
        ``filters`` (list of FilterMotif), ``matches`` (match table, query =
        position in ``filters``), ``best`` (one row per kept filter, with its
        influence), ``influence`` (all filters), ``recovery`` (DataFrame or
        None), ``summary`` (dict of counts).
    """
    def say(frac, msg):
        if progress is not None:
            progress(frac, msg)

    say(0.0, "Collecting the sites that activate each filter")
    fms = filter_pwms(model, X, rule=rule, threshold=threshold)
    conv, _ = first_layer(model)
    say(0.2, f"Matching {len(fms)} filter PWMs to {database} with Tomtom (and scrambled nulls)")
    if fms:
        table = match_filters(fms, database, **match_options)
    else:
        table = pd.DataFrame(columns=["query", "query_name", "rank", "target_id",
                                      "target_name", "q_value", "significant", "tested"])
    say(0.6, "Silencing each filter in turn (influence)")
    infl = filter_influence(model, X, max_sequences=max_influence_sequences,
                            task_names=task_names,
                            progress=(lambda d, t: say(0.6 + 0.4 * d / t, "Influence"))
                            if progress else None)
    best = best_matches(table) if len(table) else table.copy()
    if len(best):
        idx = np.array([fms[q].index for q in best["query"]])
        best.insert(0, "filter", idx)
        best["n_sites"] = [fms[q].n_sites for q in best["query"]]
        best["ic"] = [fms[q].total_ic for q in best["query"]]
        best = best.merge(infl[["filter", "influence", "rank"]].rename(
            columns={"rank": "influence_rank"}), on="filter", how="left")
    recovery = planted_recovery(table, planted) if planted and len(table) else None
    n_sig = int(best["significant"].sum()) if len(best) else 0
    summary = {"n_filters": conv.out_channels, "n_kept": len(fms),
               "n_tested": int(best["tested"].sum()) if len(best) else 0,
               "n_significant": n_sig, "fraction_annotated": n_sig / conv.out_channels,
               "database": database, "rule": rule}
    if recovery is not None:
        summary.update(n_planted=len(recovery), n_recovered=int(recovery["recovered"].sum()))
    say(1.0, "Done")
    return {"filters": fms, "matches": table, "best": best, "influence": infl,
            "recovery": recovery, "summary": summary}


def untrained_copy(model: nn.Module, seed: int = 0) -> nn.Module:
    """A copy of ``model`` with every layer re-initialised (seeded; batch-norm statistics
    reset), in eval mode: the same architecture, having learned nothing."""
    copy = deepcopy(model)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for module in copy.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
            if hasattr(module, "reset_running_stats"):
                module.reset_running_stats()
    return copy.eval()


def untrained_control(model: nn.Module, X, rule: str = "basset", threshold: float = 0.5,
                      database: str = "JASPAR2024 CORE vertebrates", seed: int = 0,
                      **match_options) -> dict:
    """The control for a filter analysis: the same PWMs and matching on an untrained copy
    of the model (`untrained_copy`) over the same sequences ``X``. Its filters learned
    nothing, so every call is a false one. Returns ``n_filters``, ``n_kept``,
    ``n_significant`` and the ``called`` rows of its best-match table."""
    copy = untrained_copy(model, seed)
    fms = filter_pwms(copy, X, rule=rule, threshold=threshold)
    conv, _ = first_layer(copy)
    best = best_matches(match_filters(fms, database, **match_options)) if fms else None
    called = best[best["significant"]] if best is not None else pd.DataFrame()
    return {"n_filters": conv.out_channels, "n_kept": len(fms), "n_significant": len(called),
            "called": called}


def fresh_draw(card: Card, n: int, seed_offset: int = 1000):
    """``n`` fresh sequences of a synthetic model's generator (its seed + ``seed_offset``:
    held out from training) as a Dataset with their planted sites (``annotations``), or
    None for a model without a synthetic recipe."""
    kwargs = card.synthetic_kwargs(n, seed_offset)
    return None if kwargs is None else simulate.make_dataset(**kwargs)


def default_sequences(card: Card, n: int, seed_offset: int = 1000):
    """``(X (n, 4, L), sequences, where they come from)`` for a model's filter analysis.

    Synthetic models: a fresh draw of ``n`` sequences from the card's generator (its
    seed + ``seed_offset``: held out from training, planted truth known). Others:
    random sequences at 42% GC of the model's length (the PWMs then show what random
    DNA activates best, which is why users should give their own sequences).
    """
    ds = fresh_draw(card, n, seed_offset)
    if ds is not None:
        return one_hot(ds.seqs), ds.seqs, (
            f"{n:,} fresh sequences from the model's synthetic generator "
            f"({ds.name}, seed {card.synthetic_kwargs(n, seed_offset)['seed']})")
    seqs = random_sequences(int(n), int(card.input_length), gc=0.42, seed=int(seed_offset))
    return one_hot(seqs), seqs, (f"{n:,} random sequences (42% GC): this model has no "
                                 "synthetic data to regenerate")


def sequences_from_records(records, length: int, max_windows: int = 5000):
    """``(X (n, 4, length), windows, where they come from)`` of the user's sequences for
    the filter analysis: sequences of the model's length as they are, longer ones cut
    into consecutive windows of ``length`` (the tail shorter than a window is left out),
    at most ``max_windows``; shorter ones are left out and counted in the description.
    Raises SequenceError when no window is left."""
    windows, short, cut = [], 0, False
    for r in records:
        seq = r.sequence if isinstance(r, SequenceRecord) else str(r)
        if len(seq) < length:
            short += 1
        for s in range(0, len(seq) - length + 1, length):
            if len(windows) == max_windows:     # enough: the rest is not copied
                cut = True
                break
            windows.append(seq[s:s + length])
    if not windows:
        raise SequenceError(f"None of the {len(records)} sequence(s) is {length:,} bp or "
                            f"longer, the model's input; give sequences of at least "
                            f"{length:,} bp.")
    note = (f"{len(windows):,} windows of {length:,} bp from your {len(records):,} "
            f"sequence(s)" + (f", the first {max_windows:,}" if cut else "")
            + (f"; {short} shorter than {length:,} bp left out" if short else ""))
    return one_hot(windows), windows, note
