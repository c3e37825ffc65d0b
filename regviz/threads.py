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
import sys
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
    """Hold, in the thread that runs a background training job, while it runs: torch's
    threads shrink to `budget` and return to what they were when the last job ends, and
    this thread runs at a lower scheduling priority (nice +10, Linux), so a page a user
    waits for gets the CPU first when both want it."""
    import torch  # local: the budget arithmetic above needs no torch

    global _RUNNING, _BEFORE
    with _LOCK:
        if _RUNNING == 0:
            _BEFORE = torch.get_num_threads()
        _RUNNING += 1
        torch.set_num_threads(budget(_RUNNING, _BEFORE))
    niced = _nice(10)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    try:
        yield
    finally:
        sys.setswitchinterval(switch)
        _nice(-niced)                     # back to where it was (only if it was raised)
        with _LOCK:
            _RUNNING -= 1
            torch.set_num_threads(budget(_RUNNING, _BEFORE) if _RUNNING else _BEFORE)


def _nice(step: int) -> int:
    """Change this thread's nice value by ``step``; the change made (0 where the system
    does not allow it, e.g. lowering it again without privileges)."""
    try:
        tid = threading.get_native_id()
        now = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, now + step)
        return step
    except (AttributeError, OSError):
        return 0


def running_jobs() -> int:
    """Background jobs holding `background_job` now."""
    return _RUNNING
