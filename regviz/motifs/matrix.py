"""Motif matrices: counts -> PPM -> PSSM, information content, the Motif class.

Everything here is plain numpy on arrays of shape ``(4, w)`` (rows A, C, G, T;
one column per motif position). Import these names from :mod:`regviz.motifs`,
which re-exports them.

Conventions
-----------
Pseudocount
    A *total* pseudocount ``p`` is added to each column and shared out by the
    background: ``ppm[a, i] = (counts[a, i] + p * bg[a]) / (N_i + p)`` with
    ``N_i`` the column's count sum (MEME's convention). ``p = 0`` gives the raw
    frequencies. :meth:`Motif.ppm` and :meth:`Motif.ic` default to ``p = 0``
    (what a logo and Tomtom show); :meth:`Motif.pssm` defaults to ``p = 0.8``
    so that no log-odds score is minus infinity.
Information content
    ``IC_i = sum_a f[a, i] * log2(f[a, i] / bg[a]) - e_n`` bits (relative
    entropy to the background), with ``0 * log 0 = 0``. For the uniform
    background this is the course formula ``R_i = log2(4) - (H_i + e_n)`` with
    ``H_i = -sum_a f log2 f``. ``e_n`` is the small-sample correction, 0 by
    default; :func:`small_sample_correction` gives the usual approximation
    ``(4 - 1) / (2 ln 2 * N)``. Letter heights in a logo are ``f * IC``.
Consensus
    The most frequent base of each column (ties go to the first of A, C, G, T);
    no IUPAC codes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from regviz.errors import MotifError

ALPHABET = "ACGT"
UNIFORM = (0.25, 0.25, 0.25, 0.25)
DEFAULT_PSSM_PSEUDOCOUNT = 0.8


def _matrix(values, what: str = "counts") -> np.ndarray:
    """Check a (4, w) non-negative finite matrix and return it as float64."""
    try:
        m = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise MotifError(f"{what} must be a numeric array of shape (4, w); "
                         f"got {type(values).__name__} instead.") from None
    if m.ndim != 2 or m.shape[0] != 4 or m.shape[1] < 1:
        raise MotifError(f"{what} must have shape (4, w): rows A, C, G, T and one "
                         f"column per position. Got shape {m.shape} instead.")
    if not np.all(np.isfinite(m)) or (m < 0).any():
        raise MotifError(f"{what} must be finite and non-negative. Got minimum "
                         f"{np.nanmin(m):g} and {int((~np.isfinite(m)).sum())} "
                         "non-finite values instead.")
    zero = np.flatnonzero(m.sum(axis=0) <= 0)
    if len(zero):
        raise MotifError(f"{what} has columns that sum to 0 (1-based positions "
                         f"{(zero + 1).tolist()[:5]}); every position needs counts.")
    return m


def _background(background) -> np.ndarray:
    """Check a background distribution over A, C, G, T; return float64 (4,)."""
    if background is None:
        return np.array(UNIFORM)
    bg = np.asarray(background, dtype=np.float64).reshape(-1)
    if bg.shape != (4,) or (bg <= 0).any() or abs(bg.sum() - 1) > 1e-6:
        raise MotifError("background must be 4 positive probabilities for A, C, G, T "
                         f"summing to 1. Got {np.asarray(background).tolist()} instead.")
    return bg


def gc_background(gc: float) -> np.ndarray:
    """Background base frequencies for a GC content.

    Parameters
    ----------
    gc : float
        GC fraction, strictly between 0 and 1.

    Returns
    -------
    np.ndarray, shape (4,)
        ``[(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]`` for A, C, G, T.
    """
    if not 0 < float(gc) < 1:
        raise MotifError(f"gc must be a fraction strictly between 0 and 1. Got {gc!r} instead.")
    gc = float(gc)
    return np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])


def counts_to_ppm(counts, pseudocount: float = 0.0, background=None) -> np.ndarray:
    """Position probability matrix from counts (or from unnormalised weights).

    Parameters
    ----------
    counts : array-like, shape (4, w)
        Non-negative counts, rows A, C, G, T. Columns may have different sums.
    pseudocount : float
        Total pseudocount added to each column, shared by ``background``
        (default 0: raw frequencies).
    background : array-like of 4 floats, optional
        Base frequencies the pseudocount is distributed by (uniform if None).

    Returns
    -------
    np.ndarray, shape (4, w), float64; every column sums to 1.
    """
    m = _matrix(counts)
    if not pseudocount >= 0:
        raise MotifError(f"pseudocount must be >= 0. Got {pseudocount!r} instead.")
    bg = _background(background)
    return (m + pseudocount * bg[:, None]) / (m.sum(axis=0) + pseudocount)


def ppm_to_pssm(ppm, background=None) -> np.ndarray:
    """Log2-odds position-specific scoring matrix, ``log2(ppm / background)``.

    Parameters
    ----------
    ppm : array-like, shape (4, w)
        Probabilities, each column summing to 1, without zeros (add a
        pseudocount with :func:`counts_to_ppm` first).
    background : array-like of 4 floats, optional
        Base frequencies for A, C, G, T (uniform if None).

    Returns
    -------
    np.ndarray, shape (4, w), float64, in bits.
    """
    p = _matrix(ppm, "ppm")
    if (p == 0).any():
        raise MotifError("ppm has zero probabilities, whose log-odds would be -inf; add "
                         "a pseudocount first, e.g. counts_to_ppm(ppm, pseudocount=0.8). "
                         f"Got {int((p == 0).sum())} zero entries instead.")
    return np.log2(p / _background(background)[:, None])


def information_content(ppm, background=None, e_n=0.0) -> np.ndarray:
    """Information content of each motif position, in bits.

    ``IC_i = sum_a f[a, i] log2(f[a, i] / bg[a]) - e_n`` with ``0 log 0 = 0``;
    with the uniform background this is ``2 - (H_i + e_n)``. Not clipped at 0.

    Parameters
    ----------
    ppm : array-like, shape (4, w)
        Probabilities (columns are renormalised to sum to 1).
    background : array-like of 4 floats, optional
        Base frequencies (uniform if None).
    e_n : float or array-like of shape (w,)
        Small-sample correction subtracted from each position (default 0).

    Returns
    -------
    np.ndarray, shape (w,), float64.
    """
    p = _matrix(ppm, "ppm")
    p = p / p.sum(axis=0)
    bg = _background(background)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log2(p / bg), 0.0)
    return terms.sum(axis=0) - np.asarray(e_n, dtype=np.float64)


def small_sample_correction(n_sites) -> np.ndarray:
    """Approximate small-sample correction ``e_n = 3 / (2 ln 2 * n)`` in bits.

    Parameters
    ----------
    n_sites : float or array-like
        Number of aligned sites (column count sums).

    Returns
    -------
    np.ndarray with the shape of ``n_sites``.
    """
    n = np.asarray(n_sites, dtype=np.float64)
    return (4 - 1) / (2 * math.log(2) * n)


def letter_heights(ppm, background=None, e_n=0.0) -> np.ndarray:
    """Logo letter heights ``f[a, i] * IC_i``, shape (4, w), in bits."""
    p = _matrix(ppm, "ppm")
    p = p / p.sum(axis=0)
    return p * information_content(p, background, e_n)[None, :]


def consensus(matrix) -> str:
    """Most frequent base per column (ties: first of A, C, G, T)."""
    m = _matrix(matrix, "matrix")
    return "".join(ALPHABET[i] for i in m.argmax(axis=0))



def trim(ppm: np.ndarray, trim_ic: float = 0.3) -> tuple[int, int]:
    """0-based half-open ``(start, end)`` of the informative core of a PPM.

    From the first to the last column with information content >= ``trim_ic``
    bits against the uniform background; ``(0, 0)`` when no column is.
    """
    keep = np.flatnonzero(information_content(ppm) >= trim_ic)
    return (0, 0) if len(keep) == 0 else (int(keep[0]), int(keep[-1]) + 1)


@dataclass(frozen=True, eq=False)
class Motif:
    """A DNA motif as a count matrix.

    Parameters
    ----------
    id : str
        Matrix ID, e.g. ``"MA0139.2"`` for JASPAR.
    name : str
        Factor name, e.g. ``"CTCF"``.
    counts : array-like, shape (4, w)
        Counts (or any non-negative weights), rows A, C, G, T. Stored as a
        read-only float64 array.
    tax_group, tf_class, tf_family : str, optional
        JASPAR annotations ("vertebrates", "C2H2 zinc finger factors", "Ets-related"...;
        several joined by "::" for dimers).

    Notes
    -----
    Equality compares id, name and counts; motifs are hashable.
    Build one from probabilities with :meth:`from_ppm`.
    """

    id: str
    name: str
    counts: np.ndarray
    tax_group: str | None = None
    tf_class: str | None = None
    tf_family: str | None = None

    def __post_init__(self):
        m = _matrix(self.counts)
        m.setflags(write=False)
        object.__setattr__(self, "counts", m)
        object.__setattr__(self, "id", str(self.id))
        object.__setattr__(self, "name", str(self.name))

    @classmethod
    def from_ppm(cls, id: str, name: str, ppm, nsites: float = 20.0, **kwargs) -> "Motif":
        """Motif from probabilities; counts are ``ppm * nsites``.

        ``nsites`` sets how strongly pseudocounts act (the default 20 is a
        typical JASPAR site count).
        """
        if not nsites > 0:
            raise MotifError(f"nsites must be > 0. Got {nsites!r} instead.")
        p = _matrix(ppm, "ppm")
        return cls(id, name, p / p.sum(axis=0) * nsites, **kwargs)

    def __eq__(self, other):
        if not isinstance(other, Motif):
            return NotImplemented
        return (self.id, self.name) == (other.id, other.name) and \
            np.array_equal(self.counts, other.counts)

    def __hash__(self):
        return hash((self.id, self.name, self.counts.shape, self.counts.tobytes()))

    def __repr__(self):
        return f"Motif(id={self.id!r}, name={self.name!r}, width={self.width}, " \
               f"consensus={self.consensus!r})"

    @property
    def width(self) -> int:
        """Number of positions ``w``."""
        return self.counts.shape[1]

    @property
    def nsites(self) -> np.ndarray:
        """Count sum of each column, shape (w,)."""
        return self.counts.sum(axis=0)

    @property
    def consensus(self) -> str:
        """Most frequent base per position (no IUPAC codes)."""
        return consensus(self.counts)

    def ppm(self, pseudocount: float = 0.0, background=None) -> np.ndarray:
        """Position probability matrix, shape (4, w); see :func:`counts_to_ppm`."""
        return counts_to_ppm(self.counts, pseudocount, background)

    def pssm(self, background=UNIFORM, pseudocount: float = DEFAULT_PSSM_PSEUDOCOUNT) -> np.ndarray:
        """Log2-odds scoring matrix, shape (4, w), in bits.

        The pseudocount (total per column, default 0.8) is shared by
        ``background``, which is also the denominator of the odds.
        """
        return ppm_to_pssm(self.ppm(pseudocount, background), background)

    def ic(self, background=None, pseudocount: float = 0.0,
           small_sample: bool = False) -> np.ndarray:
        """Information content per position, shape (w,), in bits.

        ``small_sample=True`` subtracts :func:`small_sample_correction` of
        each column's count sum.
        """
        e_n = small_sample_correction(self.nsites) if small_sample else 0.0
        return information_content(self.ppm(pseudocount, background), background, e_n)

    def reverse_complement(self) -> "Motif":
        """The motif on the other strand (same id, name and annotations)."""
        return Motif(self.id, self.name, self.counts[::-1, ::-1], self.tax_group, self.tf_class,
                     self.tf_family)
