"""Time estimates said before slow analyses: the arithmetic of passes, and the timing
leaves the model as it was (how close estimates come is measured in bench_pages.py)."""

import pytest

from regviz import costs, models


def test_measure_speed_times_forward_and_backward_and_restores_mode():
    model = models.build("deepbind", 101)
    model.train()
    speed = costs.measure_speed(model, batch=4, repeats=1)
    assert speed.length == 101 and 0 < speed.forward <= speed.backward < 1
    assert 0 < speed.ism < 10
    assert model.training and all(p.grad is None for p in model.parameters())


def test_attribution_seconds_count_the_passes_of_each_method():
    speed = costs.Speed(forward=0.01, backward=0.02, length=100, ism=1.5)
    est = lambda method, **s: costs.attribution_seconds(speed, method, 1, s)  # noqa: E731
    assert est("saliency") == pytest.approx(0.2 + 0.02)
    assert est("integrated_gradients", n_steps=50) == pytest.approx(0.2 + 50 * 0.02)
    assert est("integrated_gradients", n_steps=50, baseline="shuffle", n_references=4) == \
        pytest.approx(0.2 + 200 * 0.02)
    assert est("deeplift_shap", n_references=10) == pytest.approx(0.2 + 20 * 0.02)
    assert est("saliency", rc_average=True) == pytest.approx(2 * (0.2 + 0.02))
    assert est("ism") == pytest.approx(0.2 + 1.5)      # ISM is timed, not counted
    assert costs.attribution_seconds(speed, "saliency", 10) == pytest.approx(0.2 + 0.2)


def test_filters_and_spacing_estimates_grow_with_the_work():
    speed = costs.Speed(forward=0.001, backward=0.002, length=100)
    small = costs.filters_seconds(speed, 100, 16)
    assert costs.filters_seconds(speed, 1000, 16) > small
    assert costs.filters_seconds(speed, 100, 64) > small
    # the reference null: 32 copies of a 16-filter layer, 1 of a 300-filter one
    assert costs.filter_reference_seconds(speed, 100, 16, 32) == pytest.approx(
        32 * 100 * 0.001 + 1.2e-3 * 512 * 21)
    assert costs.filter_reference_seconds(speed, 100, 300, 1) == pytest.approx(
        100 * 0.001 + 1.2e-3 * 300 * 21)
    # background, A, B (each orientation) and A+B at each distance on both sides
    assert costs.spacing_seconds(speed, 10, 5, 2) == pytest.approx((2 + 4 + 20) * 10 * 0.001)



def test_sanity_seconds_add_the_references_ig_and_deeplift_are_checked_from():
    speed = costs.Speed(forward=0.01, backward=0.02, length=100)
    one = costs.attribution_seconds(speed, "saliency")
    assert costs.sanity_seconds(speed, "saliency") == pytest.approx(2 * one)
    ig = costs.sanity_seconds(speed, "integrated_gradients",
                              {"n_steps": 10, "n_references": 5})
    assert ig == pytest.approx(5 * (0.2 + 10 * 0.02) + (0.2 + 50 * 0.02))


@pytest.mark.parametrize("arch, length", [("deepbind", 101), ("lstm", 60)])
def test_ism_seconds_extrapolates_from_the_first_step_of_either_path(arch, length, monkeypatch):
    """With a clock that ticks once per call, the estimate is the ticks to the first
    progress step times the number of steps: it follows the steps ISM really takes."""
    from regviz import sequence
    from regviz.attribution import mutagenesis

    seen = []
    real = mutagenesis.ism

    def spy(model, X, **kw):
        progress = kw.pop("progress")

        def record(done, total):
            seen.append((done, total))
            progress(done, total)
        return real(model, X, progress=record, **kw)

    monkeypatch.setattr(costs, "ism", spy)
    ticks = iter(range(1000))
    monkeypatch.setattr(costs.time, "perf_counter", lambda: float(next(ticks)))
    model = models.build(arch, length)
    X = sequence.one_hot(sequence.random_sequences(1, length, seed=0))
    seconds = costs.ism_seconds(model, X, batch_size=64)
    (done, total), = seen                                   # stopped at the first step
    assert total == 3 * length and done < total
    assert seconds == pytest.approx(1.0 * total / done)     # one tick between start and step
