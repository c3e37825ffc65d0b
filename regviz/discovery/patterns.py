"""Patterns: TF-MoDISco (modisco-lite) run on hypothetical contributions.

`find_patterns` calls ``modiscolite.tfmodisco.TFMoDISco`` (seqlet calling against a
Laplace null at ``target_seqlet_fdr``, affinity clustering with Leiden, merging, and
trimming: the algorithm of Shrikumar et al. 2018, modisco-lite by Schreiber) and turns
its SeqletSets into frozen `Pattern` records in regviz's ``(4, w)`` ACGT orientation.
One run per model output. Runs are serialised by a lock: modisco fills every core,
and two at once on a shared server would only slow both.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from regviz.errors import AttributionError
from regviz.motifs.matrix import Motif

_RUN_LOCK = threading.Lock()
SEQLET_COLUMNS = ["pattern", "sequence", "start", "end", "strand"]

# modisco-lite's defaults, except the two that set the run time on 2 cores: Leiden
# runs per clustering (50) and seqlets kept per sign (20,000). 10 runs and 1,000
# seqlets found the same planted motifs on the shipped models in 20 s instead of
# 290 s per output (benchmarks/bench_discovery.py).
DEFAULTS = {"sliding_window_size": 21, "flank_size": 10, "target_seqlet_fdr": 0.2,
            "n_leiden_runs": 10, "max_seqlets_per_metacluster": 1000,
            "final_min_cluster_size": 20, "min_metacluster_size": 100}


@dataclass(frozen=True)
class Pattern:
    """One discovered motif. Matrices are ``(4, w)`` ACGT float64, read-only.

    ``cwm``: mean actual contribution per base (contribution weight matrix);
    ``hcwm``: mean hypothetical contribution; ``ppm``: base frequencies of the aligned
    seqlets; ``seqlets``: DataFrame of SEQLET_COLUMNS (0-based, end exclusive; strand
    '-' when the seqlet was aligned as its reverse complement). ``sign`` is +1 when the
    bases raise the output, -1 when they lower it.
    """

    name: str
    output: str
    sign: int
    cwm: np.ndarray
    hcwm: np.ndarray
    ppm: np.ndarray
    seqlets: pd.DataFrame = field(repr=False)

    def __post_init__(self):
        for key in ("cwm", "hcwm", "ppm"):
            a = np.array(getattr(self, key), dtype=np.float64)
            a.setflags(write=False)
            object.__setattr__(self, key, a)

    @property
    def n_seqlets(self) -> int:
        return len(self.seqlets)

    def core(self, fraction: float = 0.3) -> tuple[int, int]:
        """``(start, end)`` of the columns from the first to the last whose total
        |CWM| is at least ``fraction`` of the largest (modisco's report trimming)."""
        score = np.abs(self.cwm).sum(axis=0)
        keep = np.flatnonzero(score >= fraction * score.max())
        return (int(keep[0]), int(keep[-1]) + 1) if len(keep) else (0, self.cwm.shape[1])

    def motif(self, trimmed: bool = True) -> Motif:
        """The PPM as a `Motif` (id = name), trimmed to :meth:`core` by default."""
        s, e = self.core() if trimmed else (0, self.ppm.shape[1])
        return Motif.from_ppm(self.name, self.name, self.ppm[:, s:e] + 1e-3,
                              nsites=max(self.n_seqlets, 1))


def _seqlet_table(name: str, seqlet_set) -> pd.DataFrame:
    s = seqlet_set.seqlets
    return pd.DataFrame({"pattern": name, "sequence": [q.example_idx for q in s],
                         "start": [q.start for q in s], "end": [q.end for q in s],
                         "strand": ["-" if q.is_revcomp else "+" for q in s]},
                        columns=SEQLET_COLUMNS)


def _convert(seqlet_sets, output: str, sign: int, prefix: str) -> list[Pattern]:
    out = []
    for k, p in enumerate(seqlet_sets or []):
        name = f"{prefix}{'pos' if sign > 0 else 'neg'}_{k}"
        ppm = p.sequence.T / np.maximum(p.sequence.T.sum(axis=0, keepdims=True), 1e-12)
        out.append(Pattern(name, output, sign, p.contrib_scores.T, p.hypothetical_contribs.T,
                           ppm, _seqlet_table(name, p)))
    return out


def find_patterns(X: np.ndarray, H: np.ndarray, output: str = "output", prefix: str = "",
                  threads: int | None = None, **options):
    """TF-MoDISco patterns of one output.

    Parameters
    ----------
    X : (n, 4, L) one-hot inputs; H : (n, 4, L) mean-centred hypothetical
        contributions (`regviz.discovery.hypothetical_contributions`).
    output : name recorded on every pattern; prefix : put before pattern names
        ("dev/" gives "dev/pos_0").
    threads : numba threads for the run (default: numba's current setting).
    **options : modisco-lite TFMoDISco arguments overriding `DEFAULTS`.

    Returns
    -------
    (patterns, raw) : list of `Pattern` (positive first, each sign by seqlet count as
        modisco orders them) and modisco's ``(pos_patterns, neg_patterns)`` for its
        HDF5 writer.
    """
    from modiscolite.tfmodisco import TFMoDISco  # local: loads numba kernels (~2 s)
    import numba  # local: only a run sets its threads

    X = np.asarray(X, dtype=np.float32)
    H = np.asarray(H, dtype=np.float32)
    if X.ndim != 3 or X.shape[1] < 4 or H.shape != (X.shape[0], 4, X.shape[2]):
        raise AttributionError(f"X must be (n, 4, L) and H the same shape; got {X.shape} "
                               f"and {H.shape}.")
    if not np.isfinite(H).all():
        raise AttributionError("The contributions hold NaN or infinite values; TF-MoDISco "
                               "cannot run on them.")
    width = DEFAULTS["sliding_window_size"] + 2 * DEFAULTS["flank_size"]
    if X.shape[2] < width + 2:
        raise AttributionError(f"Sequences must be longer than {width + 2} bp for "
                               f"TF-MoDISco's seqlet windows; got {X.shape[2]} bp.")
    opts = {**DEFAULTS, **options}
    one_hot = np.ascontiguousarray(X[:, :4].transpose(0, 2, 1))
    hyp = np.ascontiguousarray(H.transpose(0, 2, 1))
    with _RUN_LOCK:
        before = numba.get_num_threads()
        if threads:
            numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
        try:
            pos, neg = TFMoDISco(one_hot=one_hot, hypothetical_contribs=hyp, **opts)
        except ValueError as err:   # too few windows pass the null to estimate a threshold
            raise AttributionError(f"TF-MoDISco found no seqlets to cluster ({err}); give "
                                   "more sequences or a model that learned something.") from err
        finally:
            numba.set_num_threads(before)
    patterns = _convert(pos, output, 1, prefix) + _convert(neg, output, -1, prefix)
    return patterns, (pos, neg)
