"""Motifs: JASPAR matrices, PPM/PSSM/information content, scanning, Tomtom, FIMO.

This is the module to import; it gathers

* the matrix maths and :class:`Motif` (from :mod:`regviz.motif_matrix`):
  ``counts_to_ppm``, ``ppm_to_pssm``, ``information_content``,
  ``letter_heights``, ``gc_background``. Pseudocount convention: a total
  pseudocount per column shared by the background (``Motif.pssm`` uses 0.8,
  ``Motif.ppm``/``Motif.ic`` 0). Information content is the relative entropy to
  the background, ``2 - (H + e_n)`` bits for the uniform one.
* JASPAR (from :mod:`regviz.motif_db`), pinned to ``JASPAR_RELEASE =
  "JASPAR2024"`` as shipped by pyjaspar: ``collection(name)``, ``jaspar(name_or_id)``.
* sampling and scanning: :func:`sample_instances`, :func:`pssm_scan`;
* Tomtom and FIMO through memelite (:func:`tomtom`, :func:`fimo`) and MEME
  files (:func:`read_meme`, :func:`write_meme`).

memelite compiles its numba kernels on first use (about 90 s, cached on disk);
``python -m regviz.warmup`` does that once at install time. To hit that cache,
every call here passes memelite the same array types: float64 motifs and
float32 one-hot sequences.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from regviz.errors import MotifError
from regviz.motif_db import COLLECTIONS, JASPAR_RELEASE, collection, jaspar, jaspar_path
from regviz.motif_matrix import (ALPHABET, DEFAULT_PSSM_PSEUDOCOUNT, UNIFORM, Motif,
                                 consensus, counts_to_ppm, gc_background,
                                 information_content, letter_heights, ppm_to_pssm,
                                 small_sample_correction)
from regviz.sequence import one_hot

__all__ = [
    "ALPHABET", "COLLECTIONS", "DEFAULT_PSSM_PSEUDOCOUNT", "JASPAR_RELEASE", "UNIFORM",
    "Motif", "collection", "consensus", "counts_to_ppm", "fimo", "gc_background",
    "information_content", "jaspar", "jaspar_path", "letter_heights", "ppm_to_pssm",
    "pssm_scan", "read_meme", "sample_instances", "small_sample_correction", "tomtom",
    "write_meme",
]

_QUERY_CHUNK = 512  # queries per memelite call: bounds the (q, targets, 5) result


def _motif_list(motifs, what: str) -> list[Motif]:
    """Motif, (4, w) array, (n, 4, w) array, dict name -> array/Motif, or a list
    of those -> Motifs.

    Arrays are taken as counts or probabilities (columns are normalised
    later); an array in a list is named by its index, one in a dict by its key.
    """
    if hasattr(motifs, "detach"):
        motifs = motifs.detach().cpu().numpy()
    if isinstance(motifs, np.ndarray) and motifs.ndim == 3:
        motifs = list(motifs)  # (n, 4, w), e.g. first-layer filters
    elif isinstance(motifs, (Motif, np.ndarray)):
        motifs = [motifs]
    if isinstance(motifs, dict):
        items = list(motifs.items())
    else:
        try:
            items = [(str(i), m) for i, m in enumerate(motifs)]
        except TypeError:
            raise MotifError(f"{what} must be a Motif, a (4, w) array, a list of them or a "
                             f"dict name -> array. Got {type(motifs).__name__} instead.") from None
    if not items:
        raise MotifError(f"{what} is empty; give at least one motif.")
    out = []
    for key, m in items:
        if isinstance(m, Motif):
            out.append(m)
        else:
            if hasattr(m, "detach"):
                m = m.detach().cpu().numpy()
            out.append(Motif(str(key), str(key), m))
    return out


def _one_hot_input(seqs_or_X) -> np.ndarray:
    """List of strings or a (n, 4, L) array -> C-contiguous float32 (n, 4, L)."""
    if isinstance(seqs_or_X, str) or (isinstance(seqs_or_X, (list, tuple)) and seqs_or_X and all(
            isinstance(s, str) or hasattr(s, "sequence") for s in seqs_or_X)):
        return one_hot(seqs_or_X)
    if hasattr(seqs_or_X, "detach"):
        seqs_or_X = seqs_or_X.detach().cpu().numpy()
    X = np.asarray(seqs_or_X)
    if X.ndim == 2 and X.shape[0] == 4:
        X = X[None]
    if X.ndim != 3 or X.shape[1] != 4:
        raise MotifError("seqs_or_X must be DNA strings or a one-hot array of shape "
                         f"(n, 4, L) in A, C, G, T order. Got shape {X.shape} instead.")
    return np.ascontiguousarray(X, dtype=np.float32)


def sample_instances(ppm, n: int, seed=None) -> list[str]:
    """Sample sequences from a position probability matrix.

    Parameters
    ----------
    ppm : Motif or array-like, shape (4, w)
        Probabilities (columns are normalised); a Motif uses ``motif.ppm()``.
    n : int
        Number of sequences.
    seed : int or numpy.random.Generator, optional
        Same seed, same sequences.

    Returns
    -------
    list of n strings of length w over A, C, G, T.
    """
    p = ppm.ppm() if isinstance(ppm, Motif) else counts_to_ppm(ppm)
    if int(n) != n or n < 0:
        raise MotifError(f"n must be a non-negative integer. Got {n!r} instead.")
    rng = np.random.default_rng(seed)
    u = rng.random((int(n), p.shape[1]))
    idx = (u[:, None, :] >= np.cumsum(p, axis=0)[None, :3, :]).sum(axis=1)
    letters = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)[idx]
    return [row.tobytes().decode() for row in letters]


def pssm_scan(seqs_or_X, pssm, both_strands: bool = True) -> np.ndarray:
    """Score a PSSM at every start position (a cross-correlation, like conv1d).

    Parameters
    ----------
    seqs_or_X : list of str or array, shape (n, 4, L)
        Sequences of one length, or their one-hot encoding (float32, A, C, G,
        T; N as 0.25 per base, so it scores the column mean).
    pssm : Motif or array-like, shape (4, w)
        Scoring matrix; a Motif uses ``motif.pssm()`` (log2 odds, uniform
        background, pseudocount 0.8).
    both_strands : bool
        Also score the reverse strand.

    Returns
    -------
    np.ndarray, float32
        ``(n, L - w + 1)`` with ``both_strands=False``, else ``(n, 2, L - w + 1)``.
        Strand 0 is exactly ``torch.nn.functional.conv1d(X, pssm[None])[:, 0]``
        (float32): ``out[k, 0, i] = sum(pssm * X[k, :, i:i+w])``. Strand 1 scores
        the reverse-complement PSSM on the same window ``i:i+w``, which equals
        the forward PSSM on the reverse-complemented sequence at start
        ``L - w - i``; a window's two scores share its forward-strand start.
    """
    import torch

    X = _one_hot_input(seqs_or_X)
    if hasattr(pssm, "detach"):
        pssm = pssm.detach().cpu().numpy()
    W = pssm.pssm() if isinstance(pssm, Motif) else np.asarray(pssm, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != 4 or not np.all(np.isfinite(W)):
        raise MotifError("pssm must be a finite array of shape (4, w). Got shape "
                         f"{W.shape} instead.")
    if W.shape[1] > X.shape[2]:
        raise MotifError(f"pssm is {W.shape[1]} positions wide but the sequences are "
                         f"{X.shape[2]} long; sequences must be at least as long as the motif.")
    x = torch.from_numpy(X)
    w = torch.from_numpy(np.ascontiguousarray(W, dtype=np.float32))
    with torch.no_grad():
        fwd = torch.nn.functional.conv1d(x, w[None])[:, 0]
        if not both_strands:
            return fwd.numpy()
        rev = torch.nn.functional.conv1d(x, torch.flip(w, (0, 1))[None])[:, 0]
    return torch.stack([fwd, rev], dim=1).numpy()


def _bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values along the last axis."""
    m = p.shape[-1]
    order = np.argsort(p, axis=-1, kind="stable")
    ps = np.take_along_axis(p, order, axis=-1) * m / np.arange(1, m + 1)
    qs = np.minimum(np.minimum.accumulate(ps[..., ::-1], axis=-1)[..., ::-1], 1.0)
    q = np.empty_like(qs)
    np.put_along_axis(q, order, qs, axis=-1)
    return q


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
    import memelite

    qs = _motif_list(queries, "queries")
    if targets is None or isinstance(targets, str):
        ts = collection(targets or "CORE vertebrates")
    else:
        ts = _motif_list(targets, "targets")
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
        q = _bh(p)
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
    import memelite

    ms = _motif_list(motifs, "motifs")
    X = _one_hot_input(seqs_or_X)
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
    from memelite.io import read_meme as _read

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"MEME file {path} does not exist.")
    out = []
    for key, ppm in _read(os.fspath(path)).items():
        ident, _, name = key.partition(" ")
        out.append(Motif.from_ppm(ident, name or ident, ppm, nsites=nsites))
    return out


def write_meme(motifs, path) -> Path:
    """Write motifs as a MEME file of probabilities (memelite.io.write_meme).

    Each motif is written as ``MOTIF <id> <name>`` with ``motif.ppm()``
    (no pseudocount); :func:`read_meme` reads it back.

    Returns
    -------
    Path of the file written.
    """
    from memelite.io import write_meme as _write

    ms = _motif_list(motifs, "motifs")
    keys = [m.id if m.name == m.id else f"{m.id} {m.name}" for m in ms]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise MotifError(f"motifs must have distinct id and name pairs to be written to a "
                         f"MEME file. Got duplicates {dup[:5]} instead.")
    path = Path(path)
    _write(os.fspath(path), {k: m.ppm() for k, m in zip(keys, ms)})
    return path
