"""Tomtom and FIMO through memelite, and MEME motif files.

memelite compiles its numba kernels on first use (about 90 s, cached on disk);
``python -m regviz.cli.warmup`` (``regviz-warmup``) does that once at install time.
To hit that cache, every call here passes memelite the same array types: float64
motifs and float32 one-hot sequences.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control

from regviz.errors import MotifError
from regviz.motifs.database import collection
from regviz.motifs.matrix import DEFAULT_PSSM_PSEUDOCOUNT, Motif
from regviz.motifs.scan import as_motifs, one_hot_input

_QUERY_CHUNK = 512  # queries per memelite call: bounds the (q, targets, 5) result


def tomtom(queries, targets=None, n_nearest: int | None = 10, n_jobs: int = -1,
           **options) -> pd.DataFrame:
    """Compare motifs to a database with Tomtom (memelite.tomtom).

    Parameters
    ----------
    queries : Motif, (4, w) array, list of them, (n, 4, w) array, or dict name -> array
        Query motifs; arrays are counts or probabilities (columns are
        normalised). Tomtom compares the PPMs (no pseudocount).
    targets : same kinds as ``queries``, a collection name, or None
        Target motifs; default JASPAR2024 CORE vertebrates. memelite warns
        when there are fewer than 25 (p-values then depend on the set).
    n_nearest : int or None
        Rows kept per query, best p-value first (None: every target).
    n_jobs : int
        numba threads (-1: all).
    **options
        Passed to ``memelite.tomtom`` (n_score_bins, n_median_bins, ...).

    Returns
    -------
    pandas.DataFrame
        One row per (query, target) kept, sorted by query then rank:
        ``query`` (0-based index), ``query_id``, ``query_name``, ``target_id``,
        ``target_name``, ``p_value`` (best alignment over both strands),
        ``e_value`` (p x number of targets), ``q_value`` (Benjamini-Hochberg over
        that query's p-values against every target, computed before
        ``n_nearest`` cuts), ``score`` (memelite's integer-binned alignment
        score, for ranking), ``offset``, ``overlap``, ``strand``, ``rank`` (1 = best).

        Alignment: query column ``j`` lies on target column ``j + offset``
        (negative: the query starts before the target); ``overlap`` columns are
        aligned. With ``strand == '-'`` the target columns are those of
        ``target.reverse_complement()``.
    """
    import memelite  # local: numba-compiled, about 1.5 s to load; only Tomtom/FIMO need it

    qs = as_motifs(queries, "queries")
    if targets is None or isinstance(targets, str):
        ts = collection(targets or "CORE vertebrates")
    else:
        ts = as_motifs(targets, "targets")
    if n_nearest is not None and (int(n_nearest) != n_nearest or n_nearest < 1):
        raise MotifError(f"n_nearest must be a positive integer or None. Got {n_nearest!r} instead.")
    k = len(ts) if n_nearest is None else min(int(n_nearest), len(ts))
    t_ppms = [np.ascontiguousarray(m.ppm(), dtype=np.float64) for m in ts]
    t_ids = np.array([m.id for m in ts], dtype=object)
    t_names = np.array([m.name for m in ts], dtype=object)
    frames = []
    for c0 in range(0, len(qs), _QUERY_CHUNK):
        chunk = qs[c0:c0 + _QUERY_CHUNK]
        q_ppms = [np.ascontiguousarray(m.ppm(), dtype=np.float64) for m in chunk]
        p, score, offset, overlap, strand = memelite.tomtom(
            q_ppms, t_ppms, n_nearest=None, n_jobs=n_jobs, **options)[:5]
        q = false_discovery_control(np.clip(p, 0.0, 1.0), axis=-1)
        order = np.lexsort((-score, p), axis=-1)[:, :k]
        rows = np.repeat(np.arange(len(chunk)), k)
        cols = order.reshape(-1)
        take = (rows, cols)
        frames.append(pd.DataFrame({
            "query": rows + c0,
            "query_id": np.array([m.id for m in chunk], dtype=object)[rows],
            "query_name": np.array([m.name for m in chunk], dtype=object)[rows],
            "target_id": t_ids[cols],
            "target_name": t_names[cols],
            "p_value": p[take],
            "e_value": p[take] * len(ts),
            "q_value": q[take],
            "score": score[take],
            "offset": offset[take].astype(np.int64),
            "overlap": overlap[take].astype(np.int64),
            "strand": np.where(strand[take] == 1, "-", "+").astype(object),
            "rank": np.tile(np.arange(1, k + 1), len(chunk)),
        }))
    return pd.concat(frames, ignore_index=True)


_FIMO_COLUMNS = ["motif_id", "motif_name", "sequence_index", "sequence_name", "start",
                 "end", "strand", "score", "p_value"]


def fimo(motifs, seqs_or_X, threshold: float = 1e-4, names=None,
         pseudocount: float = DEFAULT_PSSM_PSEUDOCOUNT, both_strands: bool = True) -> pd.DataFrame:
    """Find motif instances with FIMO (memelite.fimo).

    Parameters
    ----------
    motifs : Motif, (4, w) array, list of them, or dict name -> array
    seqs_or_X : list of str or array, shape (n, 4, L)
        Sequences; in a one-hot array any column that is not exactly one base
        (N as 0.25 per base) is treated as N and scores 0.
    threshold : float
        Report hits with p-value at most this.
    names : list of str, optional
        Sequence names (default: ``"1"``, ``"2"``... by position).
    pseudocount : float
        Total pseudocount per column added before taking logs, as in
        :meth:`Motif.pssm`, so ``score`` is close to the ``pssm_scan`` score
        (log2 odds against a uniform background).
    both_strands : bool
        Also scan the reverse strand.

    Returns
    -------
    pandas.DataFrame
        ``motif_id``, ``motif_name``, ``sequence_index`` (0-based),
        ``sequence_name``, ``start`` (0-based), ``end`` (exclusive), ``strand``
        ('+' or '-': the reverse-complement motif matched ``X[:, start:end]``),
        ``score``, ``p_value``; sorted by sequence, start, motif.
    """
    import memelite  # local: see tomtom

    ms = as_motifs(motifs, "motifs")
    X = one_hot_input(seqs_or_X)
    if not 0 < threshold <= 1:
        raise MotifError(f"threshold must be a p-value in (0, 1]. Got {threshold!r} instead.")
    if names is not None and len(names) != len(X):
        raise MotifError(f"names must give one name per sequence ({len(X)}). "
                         f"Got {len(names)} instead.")
    X = np.where((X.max(axis=1, keepdims=True) == 1) & (X.sum(axis=1, keepdims=True) == 1),
                 X, np.float32(0))
    pwms = {str(i): np.ascontiguousarray(m.ppm(pseudocount), dtype=np.float64)
            for i, m in enumerate(ms)}
    hits = memelite.fimo(pwms, np.ascontiguousarray(X, dtype=np.float32),
                         threshold=threshold, reverse_complement=both_strands)
    hits = [h for h in hits if len(h)]
    if not hits:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
            _FIMO_COLUMNS, [object, object, np.int64, object, np.int64, np.int64, object,
                            np.float64, np.float64])})
    h = pd.concat(hits, ignore_index=True)
    mi = h["motif_name"].astype(int).to_numpy()
    si = h["sequence_name"].astype(np.int64).to_numpy()
    seq_names = np.array([str(i + 1) for i in range(len(X))] if names is None
                         else [str(n) for n in names], dtype=object)
    out = pd.DataFrame({
        "motif_id": np.array([m.id for m in ms], dtype=object)[mi],
        "motif_name": np.array([m.name for m in ms], dtype=object)[mi],
        "sequence_index": si,
        "sequence_name": seq_names[si],
        "start": h["start"].astype(np.int64).to_numpy(),
        "end": h["end"].astype(np.int64).to_numpy(),
        "strand": h["strand"].astype(object).to_numpy(),
        "score": h["score"].astype(np.float64).to_numpy(),
        "p_value": h["p-value"].astype(np.float64).to_numpy(),
    })
    out["_m"] = mi
    out = out.sort_values(["sequence_index", "start", "_m", "strand"], kind="stable")
    return out.drop(columns="_m").reset_index(drop=True)


def read_meme(path, nsites: float = 20.0) -> list[Motif]:
    """Read a MEME motif file (memelite.io.read_meme).

    Parameters
    ----------
    path : str or Path
    nsites : float
        MEME files hold probabilities; counts are ``ppm * nsites`` (see
        :meth:`Motif.from_ppm`).

    Returns
    -------
    list of Motif
        ``id`` is the first word of each MOTIF line, ``name`` the rest (or the
        id when there is none).
    """
    from memelite.io import read_meme as _read  # local: see tomtom

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"MEME file {path} does not exist.")
    out = []
    for key, ppm in _read(os.fspath(path)).items():
        ident, _, name = key.partition(" ")
        out.append(Motif.from_ppm(ident, name or ident, ppm, nsites=nsites))
    return out


def parse_meme(data: bytes, source: str = "MEME file", nsites: float = 20.0) -> list[Motif]:
    """`read_meme` of a file's bytes (an upload); MotifError naming ``source`` when they
    are not a MEME motif file or hold no motif."""
    with tempfile.NamedTemporaryFile(suffix=".meme") as handle:
        handle.write(data)
        handle.flush()
        try:
            found = read_meme(handle.name, nsites)
        except (ValueError, KeyError, IndexError, UnicodeDecodeError) as exc:
            raise MotifError(f"{source}: could not read this as a MEME motif file ({exc}). "
                             "Expected 'MOTIF' blocks with a 'letter-probability matrix' "
                             "(MEME version 4).") from None
    if not found:
        raise MotifError(f"{source}: the file has no MOTIF blocks; expected a MEME motif "
                         "file.")
    return found


def write_meme(motifs, path) -> Path:
    """Write motifs as a MEME file of probabilities (memelite.io.write_meme).

    Each motif is written as ``MOTIF <id> <name>`` with ``motif.ppm()``
    (no pseudocount); :func:`read_meme` reads it back.

    Returns
    -------
    Path of the file written.
    """
    from memelite.io import write_meme as _write  # local: see tomtom

    ms = as_motifs(motifs, "motifs")
    keys = [m.id if m.name == m.id else f"{m.id} {m.name}" for m in ms]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise MotifError(f"motifs must have distinct id and name pairs to be written to a "
                         f"MEME file. Got duplicates {dup[:5]} instead.")
    path = Path(path)
    _write(os.fspath(path), {k: m.ppm() for k, m in zip(keys, ms)})
    return path
