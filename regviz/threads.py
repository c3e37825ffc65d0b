"""How many CPU threads torch uses while background training jobs run, so a job and the
analyses a user waits for share the cores instead of fighting over them.

torch's intra-op thread count, set from any thread, is what every thread started
afterwards uses (each Streamlit script run is a new thread). With no job running, work
uses every core; while jobs run, ``cores // (jobs + 1)`` threads (at least 1): on 2 cores a
training job and an analysis get one core each instead of four threads contending for
two cores, where each waits on the other's preempted threads.
`benchmarks/bench_pages.py` measures the foreground latency this gives.
Together with ``OMP_WAIT_POLICY=PASSIVE`` (set by ``import regviz``), waiting threads
sleep instead of spinning.
"""

from __future__ import annotations

import contextlib
import os
import threading

_LOCK = threading.Lock()
_RUNNING = 0
_BEFORE: int | None = None


def cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):       # not Linux
        return os.cpu_count() or 1


def budget(jobs: int, n_cores: int | None = None) -> int:
    """torch threads while ``jobs`` background jobs run: every core with none, else an
    equal share for each job and the foreground (at least 1)."""
    n = cores() if n_cores is None else n_cores
    return n if jobs <= 0 else max(1, n // (jobs + 1))


@contextlib.contextmanager
def background_job():
    """Hold while a background training job runs: threads shrink to `budget` for the
    job's lifetime and return to what they were when the last job ends."""
    import torch  # local: the budget arithmetic above needs no torch

    global _RUNNING, _BEFORE
    with _LOCK:
        if _RUNNING == 0:
            _BEFORE = torch.get_num_threads()
        _RUNNING += 1
        torch.set_num_threads(budget(_RUNNING, _BEFORE))
    try:
        yield
    finally:
        with _LOCK:
            _RUNNING -= 1
            torch.set_num_threads(budget(_RUNNING, _BEFORE) if _RUNNING else _BEFORE)


def running_jobs() -> int:
    """Background jobs holding `background_job` now."""
    return _RUNNING
