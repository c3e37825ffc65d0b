"""Sampling motif instances and scanning sequences with a PSSM (plain numpy/torch).

`as_motifs` and `one_hot_input` turn the many forms a caller may hand over (Motif,
``(4, w)`` array, list, dict; strings or one-hot ``(n, 4, L)``) into what the tools
need; `regviz.motifs.meme` uses them too.
"""

from __future__ import annotations

import numpy as np

from regviz.errors import MotifError
from regviz.motifs.matrix import ALPHABET, Motif, counts_to_ppm
from regviz.sequence import one_hot


def as_motifs(motifs, what: str) -> list[Motif]:
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


def one_hot_input(seqs_or_X) -> np.ndarray:
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
    X = one_hot_input(seqs_or_X)
    if hasattr(pssm, "detach"):
        pssm = pssm.detach().cpu().numpy()
    W = pssm.pssm() if isinstance(pssm, Motif) else np.asarray(pssm, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != 4 or not np.all(np.isfinite(W)):
        raise MotifError("pssm must be a finite array of shape (4, w). Got shape "
                         f"{W.shape} instead.")
    if W.shape[1] > X.shape[2]:
        raise MotifError(f"pssm is {W.shape[1]} positions wide but the sequences are "
                         f"{X.shape[2]} long; sequences must be at least as long as the motif.")
    import torch  # local: reading motifs and sampling sites do not need it

    x = torch.from_numpy(X)
    w = torch.from_numpy(np.ascontiguousarray(W, dtype=np.float32))
    with torch.no_grad():
        fwd = torch.nn.functional.conv1d(x, w[None])[:, 0]
        if not both_strands:
            return fwd.numpy()
        rev = torch.nn.functional.conv1d(x, torch.flip(w, (0, 1))[None])[:, 0]
    return torch.stack([fwd, rev], dim=1).numpy()
