"""Match filter PWMs (or any PPMs) to JASPAR with Tomtom, with calibrated q-values.

Why not plain Tomtom + Benjamini-Hochberg
-----------------------------------------
Tomtom's p-value for a (query, target) pair comes from a null built by
aligning the query against target *columns drawn independently*. Real
databases are not like that: JASPAR matrices have runs of flat flank
columns, and first-layer filters are long and mostly flat. A flat query
aligned to flat flanks scores "better than chance" under that null, so the
best of 879 p-values is tiny even for a filter that means nothing (issue 8:
308 of 320 *scrambled* 26-bp filters of a real model called by naive BH over
all pairs; ``benchmarks/bench_filters.py --calibration`` measures it here).
How tiny depends strongly on the query's width and information content, so
no single cut-off on Tomtom's p-values is calibrated.

The procedure here
------------------
1. Trim each query to its informative core: from the first to the last
   column with information content >= ``trim_ic`` bits (uniform background;
   default 0.3). Queries with fewer than ``min_width`` (5) columns left are
   not tested (too little information to match anything); their q-value is
   NaN.
2. Tomtom (memelite, complete score, Euclidean column distance, both
   strands) of each trimmed query against the chosen JASPAR collection; the
   statistic is ``s = -log10(best Tomtom p-value over all targets)``.
3. Null: ``n_null`` scrambled copies of every trimmed query (columns shuffled, each
   column complemented (A<->T, C<->G) with probability 1/2: same width, same column
   information content and the same GC content in every column, no motif) are compared
   the same way. Keeping the composition matters: a null that permuted the bases within
   each column lost a GC-rich query's GC, so flat GC-rich PWMs of *untrained* filters
   matched the long GC-rich CTCF matrices better than their scrambles and were called
   (2 of 128 untrained 26-bp filters on 70%-GC DNA; 0 with this null, issue 24;
   ``benchmarks/bench_filters.py --untrained``). Each query's
   ``s`` is standardised by its own scrambles' mean and standard deviation,
   ``z = (s - mean) / sd``; each scramble's ``z`` is standardised the same
   way by its query's other scrambles (leave one out). This removes the
   width / information-content dependence.
4. The p-value of a query is its ``z``'s upper tail in the pooled null ``z``
   of all scrambles of all queries in the call (``null_total`` = 2,000
   scrambles by default): ``p = (1 + #{z_null >= z}) / (1 + N_null)`` while
   at least 10 null values reach ``z``; beyond that, a generalized Pareto
   tail fitted to the top 10% of the null (:func:`null_tail`), so that a
   lone strong match among m filters is not held at q >= m / (1 + N_null).
5. Optionally a second, data-aware null (``reference``; the filter analysis builds it by
   default, `regviz.filters.analysis.untrained_reference`): the ``z`` of PWMs that
   learned nothing, built from the *same sequences* by the same rule (the filters of
   untrained copies of the model), each standardised by 20 of its own scrambles. A
   query's p-value is the larger of step 4's and the upper tail, among these, of its own
   ``z`` against its first 20 scrambles (standardised alike, so that under the null the
   two are exchangeable; the same tail fit). Scrambles keep a PWM's columns, not what
   the sequences are rich in: on real REST peaks an untrained 26-bp filter's top sites
   include aligned REST sites, so its PWM is REST-like and beat its scrambles (13 of 640
   untrained filters called over five initialisations; 0 with the reference, and every
   shipped model kept its factor's or planted motifs).
6. q-values: Benjamini-Hochberg across the tested queries (one test per
   filter: "does this filter match anything in the collection?"). A
   secondary match of a filter (rank > 1) gets the p- and q-value its
   Tomtom p-value would have as that filter's best match.

A query that is itself a scrambled filter is exchangeable with its scrambles,
so its p-value is uniform and BH over such queries calls about ``alpha`` of
them at most (tests/test_filters.py checks this).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control, genpareto

from regviz import motifs
from regviz.errors import MotifError
from regviz.motifs.matrix import Motif, counts_to_ppm, information_content, trim

DATABASES = {"JASPAR2024 CORE vertebrates": "CORE vertebrates",
             "JASPAR2024 CORE insects": "CORE insects",
             "JASPAR2024 CORE all": "CORE all"}
_ALIASES = {"vertebrates": "CORE vertebrates", "insects": "CORE insects", "all": "CORE all",
            "core vertebrates": "CORE vertebrates", "core insects": "CORE insects",
            "core all": "CORE all"}
COLUMNS = ["query", "query_name", "rank", "target_id", "target_name", "tomtom_p", "p_value",
           "q_value", "significant", "offset", "overlap", "strand", "width", "core_start",
           "core_end", "core_ic", "tested"]


def database_name(database: str) -> str:
    """Collection name (``"CORE vertebrates"``...) for a database label or alias."""
    if not isinstance(database, str):
        raise MotifError(f"database must be one of {list(DATABASES)}. Got {database!r} instead.")
    key = database.strip()
    if key in DATABASES:
        return DATABASES[key]
    if key in DATABASES.values():
        return key
    low = key.lower().removeprefix("jaspar2024").strip()
    if low in _ALIASES:
        return _ALIASES[low]
    raise MotifError(f"database must be one of {list(DATABASES)} (or 'vertebrates', "
                     f"'insects', 'all'). Got {database!r} instead.")


def collection_for(planted) -> str:
    """The smallest JASPAR collection label that holds every planted motif.

    ``planted``: list of dict with "id" (a card's ``dataset.motifs``) or Motif.
    CORE insects or CORE vertebrates when all come from one, else CORE all
    (e.g. enhancer-activity plants the vertebrate FOS::JUN beside fly motifs).
    """
    groups = set()
    for m in planted:
        mid = m["id"] if isinstance(m, dict) else m.id
        groups.add(motifs.jaspar(mid).tax_group or "")
    for label, group in (("JASPAR2024 CORE insects", "insects"),
                         ("JASPAR2024 CORE vertebrates", "vertebrates")):
        if groups == {group}:
            return label
    return "JASPAR2024 CORE all"


def _is_filter_motif(f) -> bool:
    """A `regviz.filters.pwms.FilterMotif`, told by its fields (a ``ppm`` array and a
    ``name``) so that matching plain arrays needs neither pwms nor torch."""
    return isinstance(getattr(f, "ppm", None), np.ndarray) and isinstance(
        getattr(f, "name", None), str)


def _array(f) -> np.ndarray:
    """A numpy array from an array-like; a tensor (anything with ``detach``, e.g. first-
    layer weights) is detached and copied to the CPU without this module importing torch."""
    if hasattr(f, "detach"):
        f = f.detach().cpu().numpy()
    return np.asarray(f, dtype=np.float64)


def _queries(filters) -> list[tuple[str, np.ndarray]]:
    """(name, ppm) pairs from FilterMotifs, Motifs, (4, w) arrays or a (n, 4, w) array."""
    if hasattr(filters, "detach"):
        filters = _array(filters)
    if isinstance(filters, Motif) or _is_filter_motif(filters) or (
            isinstance(filters, np.ndarray) and filters.ndim == 2):
        filters = [filters]
    out = []
    for i, f in enumerate(filters):
        if _is_filter_motif(f):
            out.append((f.name, np.asarray(f.ppm, dtype=np.float64)))
        elif isinstance(f, Motif):
            out.append((f.id, f.ppm()))
        else:
            out.append((f"motif{i}", counts_to_ppm(_array(f))))
    if not out:
        raise MotifError("filters is empty; give at least one filter motif or (4, w) PPM.")
    return out


def scramble(ppm: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Columns shuffled, each complemented (A<->T, C<->G) with probability 1/2; shape,
    column information content and per-column GC content kept (rows A, C, G, T)."""
    p = np.array(ppm[:, rng.permutation(ppm.shape[1])], dtype=np.float64)
    flip = rng.random(p.shape[1]) < 0.5
    p[:, flip] = p[::-1][:, flip]                # rows A,C,G,T reversed = complement
    return np.ascontiguousarray(p)


REFERENCE_NULL = 20
"""Scrambles that standardise each reference PWM (and, for that comparison, each query)."""
REFERENCE_MIN_TAIL = 30
"""The reference null's tail is fitted from 300 values (its top 10%, at least 30)."""

P_FLOOR = 1e-10
"""Smallest p-value reported: beyond it the fitted tail says nothing useful."""


def null_tail(z_null: np.ndarray, min_exceed: int = 10, tail_fraction: float = 0.1,
              min_tail: int = 50):
    """Upper-tail p-value function of a sorted null sample ``z_null`` (N,).

    ``p(z) = (1 + #{z_null >= z}) / (1 + N)`` where at least ``min_exceed`` null
    values reach ``z``. Further out, where that count says little, a generalized
    Pareto distribution fitted to the top ``tail_fraction`` of the null gives
    ``p(z) = N_tail / N * GPD.sf(z - u)`` (Knijnenburg et al. 2009,
    Bioinformatics 25:i161), floored at `P_FLOOR`, when that top holds at least
    ``min_tail`` values. Without it a lone strong match among m filters could never get
    q below m / (1 + N).
    """
    z_null = np.asarray(z_null, dtype=np.float64)
    n = len(z_null)
    n_tail = int(n * tail_fraction)
    fit = None
    if n_tail >= min_tail:
        u = z_null[n - n_tail - 1]
        shape, _, scale = genpareto.fit(z_null[n - n_tail:] - u, floc=0)
        fit = (u, shape, scale)

    def p_of(z):
        z = np.asarray(z, dtype=np.float64)
        ge = n - np.searchsorted(z_null, z, side="left")
        p = (1 + ge) / (1 + n)
        sparse = ge < min_exceed
        if fit is not None and sparse.any():
            u, shape, scale = fit
            tail = n_tail / n * genpareto.sf(z[sparse] - u, shape, loc=0, scale=scale)
            p[sparse] = np.maximum(tail, P_FLOOR)
        return p

    return p_of


def _best_log_p(ppms, targets, n_jobs) -> np.ndarray:
    """-log10 of each query's best Tomtom p-value over ``targets``."""
    best = motifs.tomtom(ppms, targets, n_nearest=1, n_jobs=n_jobs)["p_value"].to_numpy()
    return -np.log10(np.maximum(best, 1e-300))


def _scramble_scores(core_ppms, targets, n_null: int, rng, n_jobs) -> np.ndarray:
    """``s`` (m, n_null) of ``n_null`` scrambles of each of ``m`` query cores."""
    null = [scramble(p, rng) for p in core_ppms for _ in range(n_null)]
    return _best_log_p(null, targets, n_jobs).reshape(len(core_ppms), n_null)


def _scramble_null(s_null: np.ndarray):
    """Each query's scramble statistics from ``s_null`` (m, n): ``(loc (m,), sd (m,),
    z_null (m * n,) sorted)``; ``loc``/``sd`` are the mean and sd of its scrambles' ``s``,
    and every scramble's ``z`` is standardised by its query's other scrambles (leave one
    out)."""
    n = s_null.shape[1]
    loc, sd = s_null.mean(axis=1), s_null.std(axis=1, ddof=1)
    loo_mean = (s_null.sum(axis=1, keepdims=True) - s_null) / (n - 1)
    sq = (s_null ** 2).sum(axis=1, keepdims=True) - s_null ** 2
    loo_sd = np.sqrt(np.maximum((sq - (n - 1) * loo_mean ** 2) / (n - 2), 1e-12))
    return loc, np.maximum(sd, 1e-6), np.sort(((s_null - loo_mean) / loo_sd).ravel())


@dataclass(frozen=True)
class Reference:
    """A second null for `match_filters`: scores ``z`` (k,) of PWMs that stand for
    "learned nothing", each standardised by the first ``n_null`` of its own scrambles;
    a query is compared with them standardised the same way (its first ``n_null``
    scrambles), so that under the null the two are exchangeable."""

    z: np.ndarray
    n_null: int

    def __post_init__(self):
        z = np.array(self.z, dtype=np.float64)          # a sorted, read-only copy
        z.sort()
        z.setflags(write=False)
        object.__setattr__(self, "z", z)

    def __len__(self) -> int:
        return len(self.z)


def reference_scores(filters, database: str = "JASPAR2024 CORE vertebrates",
                     trim_ic: float = 0.3, min_width: int = 5, n_null: int = REFERENCE_NULL,
                     seed: int = 0, targets=None, n_jobs: int = -1) -> Reference:
    """The `Reference` of PWMs that stand for "learned nothing" (e.g. the filters of
    untrained copies of the model on the same sequences): each trimmed and compared with
    the collection and with ``n_null`` of its own scrambles as `match_filters` compares a
    query; PWMs without an informative core are left out. Pass it as ``reference``."""
    qs = _queries(filters)
    ts = motifs.collection(database_name(database)) if targets is None else list(targets)
    cores = [trim(p, trim_ic) for _, p in qs]
    core_ppms = [np.ascontiguousarray(p[:, s:e]) for (_, p), (s, e) in zip(qs, cores)
                 if e - s >= min_width]
    n_null = int(n_null)
    if n_null < 3:
        raise MotifError(f"n_null must be an integer of at least 3. Got {n_null!r} instead.")
    if not core_ppms:
        return Reference(np.zeros(0), n_null)
    s_obs = _best_log_p(core_ppms, ts, n_jobs)
    s_null = _scramble_scores(core_ppms, ts, n_null, np.random.default_rng(seed), n_jobs)
    loc, sd = _first_scrambles(s_null, n_null)
    return Reference((s_obs - loc) / sd, n_null)


def _first_scrambles(s_null: np.ndarray, k: int):
    """Mean and sd (m,) of the first ``k`` scrambles of each query (``s_null`` (m, n))."""
    first = s_null[:, :k]
    return first.mean(axis=1), np.maximum(first.std(axis=1, ddof=1), 1e-6)


def _q_of(x: np.ndarray, p_sorted: np.ndarray) -> np.ndarray:
    """BH q-value of p-values ``x`` inserted into a family of sorted p-values."""
    m = len(p_sorted)
    tail = np.append(false_discovery_control(p_sorted), 1.0)    # the family's own q-values
    r = np.searchsorted(p_sorted, x, side="left")            # p's strictly below x
    return np.minimum(np.minimum(x * m / (r + 1), tail[r]), 1.0)


def match_filters(filters, database: str = "JASPAR2024 CORE vertebrates", top: int = 5,
                  trim_ic: float = 0.3, min_width: int = 5, null_total: int = 2000,
                  min_null: int = 10, alpha: float = 0.05, seed: int = 0,
                  targets=None, reference=None, n_jobs: int = -1) -> pd.DataFrame:
    """Tomtom matches of filter PWMs to JASPAR with calibrated p- and q-values.

    Parameters
    ----------
    filters : list of FilterMotif, Motif or (4, w) arrays, or an (n, 4, w) array
        Queries (PPMs; counts are normalised). Plain arrays are named
        ``motif<i>``, FilterMotifs ``filter<index>``, Motifs by their id.
    database : str
        ``"JASPAR2024 CORE vertebrates"`` (default), ``"... CORE insects"`` or
        ``"... CORE all"`` (or ``"vertebrates"``, ``"insects"``, ``"all"``);
        the pinned JASPAR2024 release shipped with pyjaspar.
    top : int
        Matches kept per query, best Tomtom p-value first.
    trim_ic, min_width : float, int
        Flank trimming (bits) and the narrowest core that is tested.
    null_total, min_null : int
        Scrambled copies in all (shared out among the tested queries, at least
        ``min_null`` each); sets the p-value resolution ``1 / (1 + N_null)``.
    alpha : float
        q-value cut-off for ``significant``.
    seed : int
        Seed of the scrambles (same inputs and seed, same table).
    targets : list of Motif, optional
        Compare against these instead of ``database`` (at least 25).
    reference : Reference, optional
        A second null: `reference_scores` of PWMs that learned nothing (an untrained
        copy's filters on the same sequences). A query's p-value is then the larger of
        its scramble p-value and its upper tail among these, standardised alike (the
        same tail fit; every query gets at least ``reference.n_null`` scrambles).
    n_jobs : int
        numba threads for Tomtom (-1: all).

    Returns
    -------
    pandas.DataFrame
        ``top`` rows per tested query (one row with NaN target for an untested
        one), sorted by query then rank: ``query`` (0-based position in
        ``filters``), ``query_name``, ``rank``, ``target_id``, ``target_name``,
        ``tomtom_p`` (memelite's pair p-value for the trimmed core),
        ``p_value`` and ``q_value`` (calibrated, see the module docstring),
        ``significant`` (q < alpha), ``offset`` (filter column ``j`` lies on
        target column ``j + offset``, in the untrimmed filter's coordinates),
        ``overlap``, ``strand`` ('-': the target's reverse complement),
        ``width`` (untrimmed), ``core_start``/``core_end`` (0-based,
        half-open), ``core_ic`` (bits), ``tested``. Runtime: about 1 ms per
        query and scramble against CORE vertebrates on 2 cores.
    """
    qs = _queries(filters)
    for name, v, lo in (("top", top, 1), ("min_width", min_width, 1),
                        ("null_total", null_total, 1), ("min_null", min_null, 3)):
        if isinstance(v, bool) or int(v) != v or v < lo:
            raise MotifError(f"{name} must be an integer of at least {lo}. Got {v!r} instead.")
    if not 0 < alpha < 1:
        raise MotifError(f"alpha must be a fraction between 0 and 1. Got {alpha!r} instead.")
    ts = motifs.collection(database_name(database)) if targets is None else list(targets)
    cores = [trim(p, trim_ic) for _, p in qs]
    tested = [i for i, (s, e) in enumerate(cores) if e - s >= min_width]
    rng = np.random.default_rng(seed)
    rows = []
    if tested:
        core_ppms = [np.ascontiguousarray(qs[i][1][:, cores[i][0]:cores[i][1]]) for i in tested]
        n_null = max(int(min_null), -(-int(null_total) // len(tested)),
                     reference.n_null if reference is not None else 0)
        hits = motifs.tomtom(core_ppms, ts, n_nearest=max(int(top), 1), n_jobs=n_jobs)
        s_obs = -np.log10(np.maximum(hits.loc[hits["rank"] == 1, "p_value"].to_numpy(),
                                     1e-300))
        s_null = _scramble_scores(core_ppms, ts, n_null, rng, n_jobs)
        loc, sd, z_null = _scramble_null(s_null)
        upper_tail = null_tail(z_null)
        if reference is not None:
            reference_tail = null_tail(reference.z, min_tail=REFERENCE_MIN_TAIL)
            ref_loc, ref_sd = _first_scrambles(s_null, reference.n_null)

        def calibrated(s, k):
            p = upper_tail((s - loc[k]) / sd[k])
            if reference is None:
                return p
            return np.maximum(p, reference_tail((s - ref_loc[k]) / ref_sd[k]))

        p_best = calibrated(s_obs, np.arange(len(tested)))
        p_sorted = np.sort(p_best)
        for k, i in enumerate(tested):
            h = hits[hits["query"] == k]
            s_row = -np.log10(np.maximum(h["p_value"].to_numpy(), 1e-300))
            p_row = calibrated(s_row, np.full(len(h), k))
            p_row[0] = p_best[k]
            q_row = _q_of(p_row, p_sorted)
            start, end = cores[i]
            rows.append(pd.DataFrame({
                "query": i, "query_name": qs[i][0], "rank": h["rank"].to_numpy(),
                "target_id": h["target_id"].to_numpy(), "target_name": h["target_name"].to_numpy(),
                "tomtom_p": h["p_value"].to_numpy(), "p_value": p_row, "q_value": q_row,
                "offset": h["offset"].to_numpy() - start, "overlap": h["overlap"].to_numpy(),
                "strand": h["strand"].to_numpy(), "width": qs[i][1].shape[1],
                "core_start": start, "core_end": end,
                "core_ic": float(information_content(core_ppms[k]).sum()), "tested": True}))
    for i in sorted(set(range(len(qs))) - set(tested)):
        start, end = cores[i]
        rows.append(pd.DataFrame({
            "query": [i], "query_name": [qs[i][0]], "rank": [1], "target_id": [None],
            "target_name": [None], "tomtom_p": [np.nan], "p_value": [np.nan],
            "q_value": [np.nan], "offset": [0], "overlap": [0], "strand": [None],
            "width": [qs[i][1].shape[1]], "core_start": [start], "core_end": [end],
            "core_ic": [float(information_content(qs[i][1][:, start:end]).sum())
                        if end > start else 0.0], "tested": [False]}))
    out = pd.concat(rows, ignore_index=True)
    out["significant"] = out["q_value"] < alpha
    out = out.sort_values(["query", "rank"], kind="stable").reset_index(drop=True)
    out.attrs.update(database=database_name(database) if targets is None else "custom",
                     trim_ic=trim_ic, min_width=min_width, alpha=alpha,
                     n_null=n_null if tested else 0, n_tested=len(tested), n_queries=len(qs))
    return out[COLUMNS]


def best_matches(table: pd.DataFrame) -> pd.DataFrame:
    """One row per query: its rank-1 match (or the untested row)."""
    return table[table["rank"] == 1].reset_index(drop=True)


def planted_recovery(table: pd.DataFrame, planted, top: int = 5,
                     alpha: float = 0.05) -> pd.DataFrame:
    """Which planted motifs a significant filter matches.

    A planted motif counts as recovered when some filter has it (same JASPAR
    ID, or a matrix of the same TF name, case-insensitive, e.g. CTCF MA1929.2
    for CTCF MA0139.2) among its ``top`` best matches with q < ``alpha``.

    Parameters
    ----------
    table : DataFrame from :func:`match_filters`
    planted : list of dict with "id" and "name" (a card's ``dataset.motifs``),
        or list of Motif

    Returns
    -------
    pandas.DataFrame
        ``id``, ``name``, ``recovered``, ``filters`` (query names matching it),
        ``best_q``.
    """
    rows = []
    sig = table[(table["q_value"] < alpha) & (table["rank"] <= top)]
    for m in planted:
        mid, name = (m["id"], m["name"]) if isinstance(m, dict) else (m.id, m.name)
        base = str(mid).split(".")[0]
        hit = sig[(sig["target_id"].astype(str).str.split(".").str[0] == base)
                  | (sig["target_name"].astype(str).str.lower() == str(name).lower())]
        rows.append({"id": mid, "name": name, "recovered": len(hit) > 0,
                     "filters": ", ".join(dict.fromkeys(hit["query_name"].astype(str))),
                     "best_q": float(hit["q_value"].min()) if len(hit) else np.nan})
    return pd.DataFrame(rows, columns=["id", "name", "recovered", "filters", "best_q"])
