"""How long an analysis will take on a model, said before it starts.

`measure_speed` times one batched forward pass and one forward + backward pass of the
model on random input (a fraction of a second); the estimators turn those per-sequence
costs into seconds for an attribution method, the filter analysis or a spacing
experiment, from the number of passes each needs. They are estimates ("about 12 s"):
the page says "about", and benchmarks/bench_pages.py compares them with what a user waits.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from regviz.attribution.inputs import ModelMode
from regviz.attribution.mutagenesis import ism


@dataclass(frozen=True)
class Speed:
    """Seconds per sequence of one model on this machine: a forward pass, and a forward
    plus a backward pass (gradients to the input), both batched; and in-silico
    mutagenesis of one sequence, extrapolated from its first step (`ism_seconds`)."""

    forward: float
    backward: float
    length: int
    ism: float = 0.0       # seconds of `regviz.attribution.ism` on one sequence


def measure_speed(model, batch: int | None = None, repeats: int = 2) -> Speed:
    """`Speed` of ``model``, timed on random one-hot input of its length in batches of
    ``batch`` (default: 32, fewer for inputs over 1 kb); the model is left as it came."""
    length = int(getattr(model, "input_length"))
    batch = batch or max(4, min(32, 32_000 // length))
    channels = int(getattr(model, "in_channels", 4))
    p = next(model.parameters(), None)
    device = p.device if p is not None else torch.device("cpu")
    x = torch.zeros(batch, channels, length, device=device)
    x[:, torch.randint(0, min(channels, 4), (length,)), torch.arange(length)] = 1.0

    def best(fn):
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times) / batch

    with ModelMode(model, grad=False):
        fwd = best(lambda: model(x))
    with ModelMode(model, grad=True):
        xg = x.clone().requires_grad_(True)
        bwd = best(lambda: torch.autograd.grad(model(xg)[:, 0].sum(), xg))
    return Speed(fwd, max(bwd, fwd), length, ism_seconds(model, x[:1].cpu().numpy()))


class _FirstStep(Exception):
    pass


def ism_seconds(model, X, batch_size: int = 64) -> float:
    """Seconds `regviz.attribution.ism` takes on ``X (1, C, L)``, extrapolated from the
    time to its first progress step (fast path: one chunk of positions; brute force:
    ``batch_size`` mutants) times the number of steps."""
    seen = {}
    t0 = time.perf_counter()

    def first(done, total):
        seen.update(done=done, total=total, seconds=time.perf_counter() - t0)
        raise _FirstStep

    try:
        ism(model, X, batch_size=batch_size, progress=first)
    except _FirstStep:
        return seen["seconds"] * seen["total"] / max(seen["done"], 1)
    return time.perf_counter() - t0


def attribution_seconds(speed: Speed, method: str, n_sequences: int = 1,
                        settings: dict | None = None) -> float:
    """Seconds `regviz.attribution.attribute` takes for ``n_sequences`` with ``settings``
    (n_steps, n_references, n_samples, baseline, rc_average)."""
    s = settings or {}
    refs = int(s.get("n_references", 10))
    shuffled = refs if s.get("baseline") == "shuffle" else 1
    # gradient passes per sequence; DeepLIFT's rescale hooks cost about a second pass
    passes = {"saliency": 1, "input_x_gradient": 1,
              "integrated_gradients": int(s.get("n_steps", 50)) * shuffled,
              "deeplift": 2 * shuffled, "deeplift_shap": 2 * refs,
              "gradient_shap": int(s.get("n_samples", 20))}
    if method == "ism":
        seconds = speed.ism
    else:
        seconds = passes.get(method, 1) * speed.backward
    return (0.2 + seconds * n_sequences) * (2 if s.get("rc_average") else 1)


def sanity_seconds(speed: Speed, method: str, settings: dict | None = None) -> float:
    """Seconds of `regviz.attribution.sanity` on one sequence: the method itself, its
    reverse complement, and for integrated gradients and DeepLIFT the method again from
    each of four references (one of them shuffles)."""
    s = {**(settings or {}), "rc_average": False}
    once = attribution_seconds(speed, method, 1, s)
    total = 2 * once
    if method in ("integrated_gradients", "deeplift"):
        total += 3 * attribution_seconds(speed, method, 1, {**s, "baseline": "zeros"})
        total += attribution_seconds(speed, method, 1, {**s, "baseline": "shuffle"})
    return total


def filters_seconds(speed: Speed, n_sequences: int, n_filters: int,
                    influence_sequences: int = 500) -> float:
    """Seconds of `regviz.filters.analyze_filters`: the first layer over the sequences,
    Tomtom of every filter with its scrambles (about 1 s + 0.1 s per filter on 2 cores,
    measured on the shipped models), and each filter silenced in turn over the
    influence sequences."""
    tomtom = 1.0 + 0.1 * n_filters
    influence = n_filters * min(influence_sequences, n_sequences) * speed.forward * 0.25
    return n_sequences * speed.forward + tomtom + influence


def filter_reference_seconds(speed: Speed, n_sequences: int, n_filters: int,
                             copies: int, n_null: int = 20) -> float:
    """Seconds of `regviz.filters.untrained_reference`: ``copies`` untrained copies of a
    first layer of ``n_filters``, each over the sequences, then Tomtom of every PWM with
    its ``n_null`` scrambles (about 1.2 ms per motif on 2 cores)."""
    return copies * n_sequences * speed.forward + 1.2e-3 * copies * n_filters * (n_null + 1)


DISCOVERY_PASSES = {"deeplift_shap": ("deeplift_shap", {}),
                    "gradient": ("saliency", {}), "ism": ("ism", {})}


def discovery_seconds(speed: Speed, method: str, n_sequences: int, n_outputs: int) -> float:
    """Seconds of `regviz.discovery.discover_motifs`: contributions per output
    (`attribution_seconds`), TF-MoDISco per output (seqlet calling grows with the
    positions; clustering is bounded by the 1,000-seqlet cap: about 30 s per output for
    2,000 x 249 bp on 2 cores) and the JASPAR matching (a few seconds)."""
    name, settings = DISCOVERY_PASSES[method]
    if name == "deeplift_shap":                # discover_motifs' default number of shuffles
        settings = {"n_references": max(3, min(10, 6000 // max(n_sequences, 1)))}
    positions = n_sequences * speed.length
    modisco = 6.0 + 4.5e-5 * min(positions, 600_000) + 3e-6 * positions
    per_output = attribution_seconds(speed, name, n_sequences, settings) + modisco
    return n_outputs * per_output + 4.0


def variants_seconds(speed: Speed, windows: int, ranked: int) -> float:
    """Seconds of `regviz.variants.score_variant_set`: a forward pass per window (REF and
    ALT, each strand) and, for each ranked variant and output, fast ISM of its window."""
    return 0.5 + windows * speed.forward * 1.3 + ranked * speed.ism


def spacing_seconds(speed: Speed, n_backgrounds: int, n_distances: int,
                    n_orientations: int) -> float:
    """Seconds of `regviz.spacing.spacing_experiment`: background, A and B alone, and A+B
    at every distance on both sides in every orientation, for every background."""
    designs = 2 + 2 * n_orientations + 2 * n_distances * n_orientations
    return designs * n_backgrounds * speed.forward

