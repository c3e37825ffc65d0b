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
from regviz.filters.match import (REFERENCE_NULL, Reference, best_matches, match_filters,
                                  planted_recovery, reference_scores)
from regviz.filters.pwms import filter_pwms, first_layer
from regviz.errors import MotifError, SequenceError
from regviz.sequence import SequenceRecord, one_hot, random_sequences


REFERENCE_FILTERS = 512
"""Untrained filters in the reference null: copies of a small first layer until there are
this many (the tail is fitted from its top 10%)."""
REFERENCE_ONE_COPY = 300
"""A first layer this wide gives the reference in one copy (its tail fitted from at least
`match.REFERENCE_MIN_TAIL` values): a second copy would cost as much as the analysis."""
REFERENCE_MAX_COPIES = 32
"""At most this many copies (a 16-filter DeepBind's 512; a narrower uploaded first layer
gets fewer reference filters rather than hundreds of model copies)."""
REFERENCE_SEED = 10_000
"""Seed of the first untrained copy in the reference (controls use 0, 1, ...)."""


def reference_copies(n_layer_filters: int, n_filters: int = REFERENCE_FILTERS) -> int:
    """Untrained copies in the reference of a first layer of ``n_layer_filters``: enough
    for ``n_filters`` filters (at most `REFERENCE_MAX_COPIES`), one where the layer has
    `REFERENCE_ONE_COPY` or more."""
    if n_layer_filters >= REFERENCE_ONE_COPY:
        return 1
    return min(REFERENCE_MAX_COPIES, max(1, -(-int(n_filters) // max(int(n_layer_filters), 1))))


def untrained_reference(model: nn.Module, X, rule: str = "basset", threshold: float = 0.5,
                        database: str = "JASPAR2024 CORE vertebrates",
                        n_filters: int = REFERENCE_FILTERS, n_null: int = REFERENCE_NULL,
                        seed: int = REFERENCE_SEED, **match_options) -> Reference:
    """The data-aware null of a filter analysis: `match.reference_scores` (k,) of the PWMs
    of untrained copies of ``model`` (seeds ``seed``, ``seed + 1``, ...; `reference_copies`
    of them) built from the same sequences ``X`` by the same rule.

    Scrambles keep a PWM's columns but not what the sequences are rich in: on REST peaks
    a random 26-bp filter's top sites include aligned REST sites, so its PWM is REST-like
    (13 of 640 untrained filters called without this null; 0 with it, issue 24)."""
    conv, _ = first_layer(model)
    copies = reference_copies(conv.out_channels, n_filters)
    fms, copy = [], deepcopy(model)             # one copy, re-initialised per seed
    for c in range(copies):
        fms += filter_pwms(_reinitialise(copy, seed + c), X, rule=rule, threshold=threshold)
    options = {k: v for k, v in match_options.items()
               if k in ("trim_ic", "min_width", "targets", "n_jobs")}
    return reference_scores(fms, database, n_null=n_null, seed=seed, **options)


def _reference(reference, model, X, rule, threshold, database, match_options):
    """``reference`` as `match_filters` takes it: "untrained" builds `untrained_reference`;
    None (scrambles only) and a `Reference` pass through."""
    if isinstance(reference, str) and reference == "untrained":
        return untrained_reference(model, X, rule, threshold, database, **match_options)
    if reference is None or isinstance(reference, Reference):
        return reference
    raise MotifError(f"reference must be 'untrained', None or a Reference (from "
                     f"untrained_reference). Got {reference!r} instead.")


def analyze_filters(model: nn.Module, X, rule: str = "basset", threshold: float = 0.5,
                    database: str = "JASPAR2024 CORE vertebrates", planted=None,
                    max_influence_sequences: int | None = 500, task_names=None,
                    progress=None, reference="untrained", **match_options) -> dict:
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
    reference : "untrained", None or Reference
        The second null (`untrained_reference`, built here by default; None: the
        scrambles alone; a Reference: one already built for the same ``X`` and rule).
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
    if isinstance(reference, str) and fms:
        say(0.1, "Reference null: the same PWMs from untrained copies of the model")
    reference = _reference(reference, model, X, rule, threshold, database, match_options) \
        if fms else None
    say(0.3, f"Matching {len(fms)} filter PWMs to {database} with Tomtom (and scrambled nulls)")
    if fms:
        table = match_filters(fms, database, reference=reference, **match_options)
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
               "database": database, "rule": rule,
               "n_reference": 0 if reference is None else len(reference)}
    if recovery is not None:
        summary.update(n_planted=len(recovery), n_recovered=int(recovery["recovered"].sum()))
    say(1.0, "Done")
    return {"filters": fms, "matches": table, "best": best, "influence": infl,
            "recovery": recovery, "reference": reference, "summary": summary}


def untrained_copy(model: nn.Module, seed: int = 0) -> nn.Module:
    """A copy of ``model`` with every layer re-initialised (seeded; batch-norm statistics
    reset), in eval mode: the same architecture, having learned nothing."""
    return _reinitialise(deepcopy(model), seed)


def _reinitialise(model: nn.Module, seed: int) -> nn.Module:
    """``model`` itself with every layer re-initialised from ``seed`` (the weights depend
    on the seed alone, not on what was there), in eval mode."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for module in model.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
            if hasattr(module, "reset_running_stats"):
                module.reset_running_stats()
    return model.eval()


def untrained_control(model: nn.Module, X, rule: str = "basset", threshold: float = 0.5,
                      database: str = "JASPAR2024 CORE vertebrates", seed: int = 0,
                      reference="untrained", **match_options) -> dict:
    """The control for a filter analysis: the same PWMs and matching on an untrained copy
    of the model (`untrained_copy`, ``seed``) over the same sequences ``X``, with the same
    ``reference`` null (pass the analysis's own to save building it again; its copies'
    seeds start at `REFERENCE_SEED`, so the control is not part of it). Its filters learned
    nothing, so every call is a false one. Returns ``n_filters``, ``n_kept``,
    ``n_significant`` and the ``called`` rows of its best-match table."""
    copy = untrained_copy(model, seed)
    fms = filter_pwms(copy, X, rule=rule, threshold=threshold)
    conv, _ = first_layer(copy)
    if fms:
        reference = _reference(reference, model, X, rule, threshold, database, match_options)
    best = best_matches(match_filters(fms, database, reference=reference, **match_options)) \
        if fms else None
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
