"""Tomtom speed: 256 random 19-bp PPMs against JASPAR2024 CORE vertebrates.

Prints a table of seconds for loading the JASPAR collection, the first Tomtom
call in this (fresh) process, which loads memelite's compiled kernels from the
numba disk cache (or compiles them, ~90 s, if ``regviz-warmup`` has
not run), and a second, warm call. Run: ``python benchmarks/bench_tomtom.py``.
"""

from __future__ import annotations

import os
import platform
import time

import numpy as np

N_QUERIES, WIDTH, SEED = 256, 19, 0


def main() -> None:
    t0 = time.perf_counter()
    from regviz import motifs
    t_import = time.perf_counter() - t0

    t0 = time.perf_counter()
    targets = motifs.collection("CORE vertebrates")
    t_load = time.perf_counter() - t0

    rng = np.random.default_rng(SEED)
    queries = [rng.dirichlet(np.full(4, 0.5), size=WIDTH).T for _ in range(N_QUERIES)]

    t0 = time.perf_counter()
    first = motifs.tomtom(queries, targets)
    t_first = time.perf_counter() - t0

    t0 = time.perf_counter()
    second = motifs.tomtom(queries, targets)
    t_warm = time.perf_counter() - t0
    assert first.equals(second)

    print(f"Tomtom benchmark ({motifs.JASPAR_RELEASE}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs)")
    rows = [
        ("import regviz.motifs", t_import),
        (f"load CORE vertebrates ({len(targets)} motifs)", t_load),
        (f"tomtom {N_QUERIES} x {WIDTH}-bp PPMs, first call", t_first),
        (f"tomtom {N_QUERIES} x {WIDTH}-bp PPMs, warm call", t_warm),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'step':<{width}}  seconds")
    for name, sec in rows:
        print(f"{name:<{width}}  {sec:7.3f}")
    print(f"warm per query: {t_warm / N_QUERIES * 1e3:.2f} ms; rows returned: {len(first)}")


if __name__ == "__main__":
    main()
