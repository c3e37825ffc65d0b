"""The thread budget shared by background training jobs and the foreground."""

import threading

import torch

from regviz import threads


def test_budget_shares_the_cores_between_jobs_and_the_foreground():
    assert threads.budget(0, 2) == 2 and threads.budget(1, 2) == 1
    assert threads.budget(1, 16) == 8 and threads.budget(3, 16) == 4
    assert threads.budget(5, 2) == 1                      # never 0


def _threads_of_a_new_thread() -> int:
    """What a thread started now gets (each Streamlit script run is a new thread)."""
    seen = []
    t = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
    t.start()
    t.join()
    return seen[0]


def test_background_jobs_shrink_threads_and_the_last_one_restores_them():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        entered, release = threading.Event(), threading.Event()

        def job():
            with threads.background_job():
                entered.set()
                release.wait(10)

        worker = threading.Thread(target=job)
        worker.start()
        entered.wait(10)
        assert threads.running_jobs() == 1
        assert _threads_of_a_new_thread() == 1            # the next page run shares the cores
        with threads.background_job():
            assert threads.running_jobs() == 2 and torch.get_num_threads() == 1
        release.set()
        worker.join(10)
        assert threads.running_jobs() == 0 and _threads_of_a_new_thread() == 2
    finally:
        torch.set_num_threads(before)
