"""One shared model, many sessions at once: what the app's cache hands every session.

The app keeps one loaded model per checkpoint (`regviz.ui.cache.load_checkpoint`) and
every view runs it inside `cache.using_model` (that model's lock). DeepLIFT and the filter
analysis install hooks, and predictions switch modules to eval mode, so without the lock
concurrent sessions corrupt each other's results. Here 8 threads run spacing, DeepLIFT,
filters, ISM, Grad-CAM and plain predictions on the same cached model for 30 s, and every
result must equal the one computed serially on a private copy.
"""

import threading
import time
import traceback

import numpy as np
import pytest

from regviz import attribution, checkpoints, filters, gradcam, predict, spacing
from regviz.sequence import one_hot, random_sequences
from regviz.ui import cache
from support import shipped_checkpoint

DURATION_S, THREADS = 30, 8
BACKGROUNDS = random_sequences(4, 249, 0.42, seed=3)
X = one_hot(random_sequences(3, 249, 0.42, seed=4))
X_FILTERS = one_hot(random_sequences(200, 249, 0.42, seed=5))


def _tables(out):
    """An analysis result as a list of float arrays (to compare runs)."""
    if isinstance(out, np.ndarray):
        return [out]
    if isinstance(out, list):                                      # filter PWMs
        return [np.asarray(f.ppm) for f in out] + [np.array([f.n_sites for f in out])]
    return [out[c].to_numpy(dtype=float) for c in ("mean", "median", "ci_low", "ci_high")]


ANALYSES = {
    "deeplift_shap": lambda m: attribution.attribute(m, X, "deeplift_shap", n_references=3),
    "ism": lambda m: attribution.ism(m, X[:1]),
    "filters": lambda m: filters.filter_pwms(m, X_FILTERS, rule="basset"),
    "spacing": lambda m: spacing.spacing_experiment(m, "MA2283.1", "MA0249.3", BACKGROUNDS,
                                                    range(0, 21, 4), ("++", "+-")),
    "gradcam": lambda m: gradcam.gradcam(m, X),
    "predict": lambda m: predict.predict(m, X_FILTERS),
}


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_many_sessions_on_one_cached_model_get_the_serial_results():
    folder = str(shipped_checkpoint("enhancer-activity_deepstarr"))
    private, _ = checkpoints.load(folder)
    serial = {name: _tables(run(private)) for name, run in ANALYSES.items()}
    names = list(ANALYSES)
    runs, problems = {n: 0 for n in names}, []
    counter = threading.Lock()
    deadline = time.monotonic() + DURATION_S

    def session(k: int) -> None:
        i = k
        while time.monotonic() < deadline and not problems:
            name = names[i % len(names)]
            i += 1
            try:
                with cache.using_model(folder) as (model, _card):
                    got = _tables(ANALYSES[name](model))
            except Exception:  # noqa: BLE001 - reported below
                problems.append(f"{name}: {traceback.format_exc()}")
                return
            same = len(got) == len(serial[name]) and all(
                np.allclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True)
                for a, b in zip(got, serial[name]))
            if not same:
                problems.append(f"{name}: differs from the serial run")
            with counter:
                runs[name] += 1

    threads = [threading.Thread(target=session, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert problems == [], problems[:3]
    assert all(n >= 2 for n in runs.values()), runs
