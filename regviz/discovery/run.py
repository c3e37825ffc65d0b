"""Motif discovery in one call: contributions, TF-MoDISco per output, JASPAR, truth.

`discover_motifs` is what the Motifs page and the benchmarks run; `label_hits` calls
a finished discovery's patterns back onto new sequences (the Attribution page's labels).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from regviz import limits
from regviz.discovery.annotate import match_patterns, pattern_table, recovery, site_overlap
from regviz.discovery.contributions import (SUM, actual_track, default_method,
                                            hypothetical_contributions, scrambled)
from regviz.discovery.hits import call_hits, thresholds
from regviz.discovery.patterns import DEFAULTS, Pattern, find_patterns
from regviz.errors import AttributionError


@dataclass(frozen=True)
class Discovery:
    """A finished run. ``patterns``: every output's, positive then negative; ``table``:
    one row per pattern (`regviz.discovery.annotate.pattern_table`); ``matches``: the
    calibrated Tomtom table; ``recovery``: planted truth (None without it);
    ``thresholds``: output -> (positive, negative) seqlet thresholds for `label_hits`;
    ``raw``: output -> modisco's (pos, neg) SeqletSets (for the HDF5 file);
    ``seconds``: time per step."""

    patterns: tuple[Pattern, ...]
    table: pd.DataFrame
    matches: pd.DataFrame
    recovery: pd.DataFrame | None
    method: str
    outputs: tuple[str, ...]
    output_index: dict
    thresholds: dict
    n_sequences: int
    length: int
    scrambled: bool
    seconds: dict
    raw: dict = field(repr=False, default_factory=dict)

    def labels(self) -> dict:
        """pattern name -> "dev/pos_0 = srp (q 2e-06)" (or "... = no JASPAR match")."""
        out = {}
        for r in self.table.itertuples():
            what = f"{r.match} (q {r.q_value:.0e})" if isinstance(r.match, str) else \
                "no JASPAR match"
            out[r.pattern] = f"{r.pattern} = {what}"
        return out


def check_model(model) -> None:
    """AttributionError unless the model reads one-hot DNA alone (discovery clusters
    sequence patterns; extra input tracks have no bases to make a motif of)."""
    channels = int(getattr(model, "in_channels", 4))
    if channels != 4:
        raise AttributionError(
            f"This model reads DNA plus {channels - 4} input track(s); motif discovery "
            "works on models that read DNA alone. Pick a DNA-only model (e.g. "
            "enhancer-4kb_decode instead of its _tracks form).")


def discover_motifs(model, X: np.ndarray, outputs=None, output_names=None, method=None,
                    database: str = "JASPAR2024 CORE vertebrates", planted=None,
                    relevant=None, annotations=None, n_references: int | None = None,
                    control: bool = False,
                    seed: int = 0, progress=None, model_lock=None,
                    **modisco_options) -> Discovery:
    """Patterns the model learned from sequences ``X (n, 4, L)``.

    Parameters
    ----------
    outputs : list of output indices, or of `SUM` (every output added up: one run for
        all tasks; default: each output); output_names : their names (default
        "output<i>"); pattern names get "<name>/" in front with several.
    method : `regviz.discovery.METHODS` key (default `default_method(model)`).
    n_references : DeepLIFT-SHAP's shuffles per sequence (default: about 6,000 sequence-
        references in all, 3 to 10: 3 for 2,000 sequences, 10 for 600 or fewer; with 3 on
        500 ENCODE GABPA peaks the contributions were too noisy to cluster, with 10 the
        top pattern matched ELF4 at q 2e-10).
    database : JASPAR collection label; planted / relevant : a synthetic set's
        planted motifs and the names the labels depend on (for `recovery`);
        annotations : the planted sites of ``X`` (seq_index, start, end, motif_name), for
        where each pattern's seqlets sit (`site_overlap`).
    control : run on position-scrambled contributions (the null control).
    progress : ``progress(fraction, message)``, called between steps and batches.
    model_lock : a callable returning a context manager held while the model runs (the
        app's per-model lock); TF-MoDISco itself runs without it.
    **modisco_options : override `regviz.discovery.patterns.DEFAULTS`.
    """
    check_model(model)
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 3 or X.shape[0] * X.shape[2] > limits.MAX_DISCOVERY_POSITIONS:
        raise AttributionError(
            f"Motif discovery takes (n, 4, L) one-hot sequences of at most "
            f"{limits.MAX_DISCOVERY_POSITIONS:,} positions in all (n x L); got {X.shape}. "
            "Give fewer or shorter sequences.")
    n_out = int(getattr(getattr(model, "config", None), "n_outputs", None) or 1)
    outputs = list(range(n_out)) if outputs is None else [o if o == SUM else int(o)
                                                          for o in outputs]
    if not outputs or any(o != SUM and not 0 <= o < n_out for o in outputs):
        raise AttributionError(f"outputs must be indices between 0 and {n_out - 1} (or "
                               f"{SUM!r}); got {outputs}.")
    names = {o: n for o, n in enumerate(output_names or [f"output{o}" for o in range(n_out)])}
    names[SUM] = "all outputs"
    method = method or default_method(model)
    n_references = n_references or max(3, min(10, 6000 // max(len(X), 1)))
    step = 1.0 / (2 * len(outputs) + 1)
    say = progress or (lambda f, m: None)
    patterns, raw, cuts, seconds = [], {}, {}, {"contributions": 0.0, "modisco": 0.0}
    for k, o in enumerate(outputs):
        name = names[o]
        t = time.perf_counter()
        say(2 * k * step, f"{name}: contributions of {len(X):,} sequences")
        with (model_lock or contextlib.nullcontext)():
            H = hypothetical_contributions(
                model, X, o, method, n_references, seed,
                progress=lambda d, total: say((2 * k + d / max(total, 1)) * step,
                                              f"{name}: contributions, {d / max(total, 1):.0%}"))
        if control:
            H = scrambled(H, seed)
        seconds["contributions"] += time.perf_counter() - t
        t = time.perf_counter()
        say((2 * k + 1) * step, f"{name}: TF-MoDISco (seqlets, clustering)")
        try:
            found, raw[name] = find_patterns(X, H, name, f"{name}/" if len(outputs) > 1
                                             else "", threads=torch.get_num_threads(),
                                             **modisco_options)
        except AttributionError:
            if not control:
                raise
            found, raw[name] = [], (None, None)     # the control may find nothing to cluster
        cuts[name] = thresholds(actual_track(X, H), found,
                                modisco_options.get("sliding_window_size",
                                                    DEFAULTS["sliding_window_size"]))
        patterns += found
        seconds["modisco"] += time.perf_counter() - t
    t = time.perf_counter()
    say(1 - step, f"Matching {len(patterns)} patterns to JASPAR")
    matches = match_patterns(patterns, database, seed=seed)
    rec = recovery(matches, planted, relevant) if planted else None
    sites = site_overlap(patterns, annotations) if annotations is not None else None
    seconds["matching"] = time.perf_counter() - t
    say(1.0, "Done")
    return Discovery(tuple(patterns), pattern_table(patterns, matches, rec, sites), matches,
                     rec,
                     method, tuple(names[o] for o in outputs),
                     {names[o]: o for o in outputs}, cuts, len(X), X.shape[2], control,
                     seconds, raw)


def label_hits(discovery: Discovery, model, X: np.ndarray, output: str | None = None,
               p_value: float = 1e-3) -> pd.DataFrame:
    """Hits of the discovery's patterns of ``output`` (default its first) on ``X (n, 4,
    L)``, judged by the discovery's own contribution method and thresholds
    (`regviz.discovery.hits.call_hits`)."""
    output = output or discovery.outputs[0]
    if output not in discovery.output_index:
        raise AttributionError(f"This discovery has no output {output!r}; it has "
                               f"{', '.join(discovery.outputs)}.")
    X = np.asarray(X, dtype=np.float32)
    H = hypothetical_contributions(model, X, discovery.output_index[output], discovery.method)
    pats = [p for p in discovery.patterns if p.output == output]
    pos, neg = discovery.thresholds[output]
    return call_hits(pats, discovery.labels(), X, actual_track(X, H), pos, neg, p_value)
