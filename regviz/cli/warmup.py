"""One-time set-up: compile memelite's numba kernels and load JASPAR.

Run ``regviz-warmup`` (``make install`` does). memelite compiles
Tomtom and FIMO with numba the first time they run, about 90 s on 2 cores, and
caches the machine code next to its sources (``cache=True``), so later
processes start in well under a second. The calls below go through
:func:`regviz.motifs.tomtom` and :func:`regviz.motifs.fimo` themselves, with the
array types regviz always passes (float64 motifs, float32 one-hot sequences),
so the kernels compiled here are the ones the app and the tests load.
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np

from regviz import motifs


def warmup(verbose: bool = True) -> dict[str, float]:
    """Compile the motif tools and load the JASPAR collections.

    Parameters
    ----------
    verbose : bool
        Print what is happening and how long it took.

    Returns
    -------
    dict
        Seconds spent on ``"jaspar"``, ``"tomtom"``, ``"fimo"`` and ``"total"``.
    """
    def say(msg):
        if verbose:
            print(msg, flush=True)

    say("Compiling motif tools (memelite/numba), one time, about 90 s...")
    t0 = time.perf_counter()
    for name in motifs.COLLECTIONS:
        motifs.collection(name)
    t_jaspar = time.perf_counter() - t0
    say(f"  JASPAR ({motifs.JASPAR_RELEASE}) collections loaded in {t_jaspar:.1f} s")

    # Queries of several widths, random PPMs and real motifs, against the full
    # default target set, so the run-time paths of a real call are exercised.
    rng = np.random.default_rng(0)
    targets = motifs.collection("CORE vertebrates")
    queries = [rng.dirichlet(np.ones(4) * 0.5, size=w).T for w in (6, 12, 19, 25)]
    queries += [targets[i] for i in (0, 100, 500)]
    t1 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        motifs.tomtom(queries)
        motifs.tomtom(queries[:1], n_nearest=None)
    t_tomtom = time.perf_counter() - t1
    say(f"  Tomtom ready in {t_tomtom:.1f} s")

    t2 = time.perf_counter()
    seqs = ["".join(rng.choice(list("ACGT"), size=500)) for _ in range(3)]
    seqs[0] = seqs[0][:100] + "N" * 10 + seqs[0][110:]
    motifs.fimo(targets[:5], seqs, threshold=1e-3)
    t_fimo = time.perf_counter() - t2
    say(f"  FIMO ready in {t_fimo:.1f} s")

    total = time.perf_counter() - t0
    say(f"Motif tools ready in {total:.1f} s (compiled code is cached for later runs).")
    return {"jaspar": t_jaspar, "tomtom": t_tomtom, "fimo": t_fimo, "total": total}


def main() -> int:
    warmup(verbose=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
