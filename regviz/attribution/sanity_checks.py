"""Sanity checks shown beside attribution tracks: do the numbers deserve trust?

`sanity(model, X, method, target)` returns a dict of small tables:

- ``completeness``: per sequence, the sum of the attributions, f(x) - mean f(reference),
  their difference (the convergence delta) and its size relative to the difference
  (IG should be within 1% at enough steps; DeepLIFT exact on supported models).
- ``references``: how much the per-base track changes with the reference (zeros,
  uniform 0.25, GC-matched random, dinucleotide shuffles): Pearson r of each track with
  the zeros-reference one and the mean prediction of each reference.
- ``rc``: Pearson r between the track of each sequence and the track of its reverse
  complement mapped back (a model that learned strand-symmetric motifs scores both).
- ``warnings``: nonlinear modules called more than once per forward (captum's DeepLIFT
  then goes silently wrong), DeepLIFT being approximate on this architecture.
- ``summary``: one row per check (check, value, verdict) for a panel.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from regviz import sequence
from regviz.attribution.inputs import ModelMode, as_input, check_target, device_dtype
from regviz.attribution.methods import TITLES, attribute, deeplift_exact, importance, references
from regviz.models.base import DEEPLIFT_NONLINEAR

_WITH_REFERENCE = ("integrated_gradients", "deeplift", "deeplift_shap", "gradient_shap")


def reused_nonlinear_modules(model, X) -> list[str]:
    """Names of nonlinear modules (those DeepLIFT has rules for) called more than once
    in one forward pass of ``X[:1]``."""
    counts, handles = {}, []
    for name, mod in model.named_modules():
        if type(mod) in DEEPLIFT_NONLINEAR:
            counts[name] = 0
            handles.append(mod.register_forward_hook(
                lambda m, i, o, name=name: counts.__setitem__(name, counts[name] + 1)))
    device, dtype = device_dtype(model)
    try:
        with ModelMode(model, grad=True), torch.no_grad():
            model(torch.as_tensor(X[:1], device=device, dtype=dtype))
    finally:
        for h in handles:
            h.remove()
    return [f"{k} (called {v} times)" for k, v in counts.items() if v > 1]


def _predict(model, X):
    device, dtype = device_dtype(model)
    with ModelMode(model, grad=True), torch.no_grad():
        return model(torch.as_tensor(X, device=device, dtype=dtype)).float().cpu().numpy()


def _pearson(a, b) -> float:
    a, b = a - a.mean(), b - b.mean()
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / den) if den > 0 else float("nan")


def sanity(model, X, method: str = "integrated_gradients", target: int = 0,
           checks=("completeness", "references", "rc"), **options) -> dict:
    """Run the sanity checks for ``method`` on inputs ``X (n, C, L)``.

    ``options`` go to `regviz.attribution.attribute` (n_steps, n_references, seed,
    batch_size, ...); hypothetical / gradient correction are switched off here since
    completeness is a property of the uncorrected actual contributions.
    """
    X = as_input(model, X)
    target = check_target(model, target)
    opts = {k: v for k, v in options.items()
            if k not in ("hypothetical", "gradient_correction", "rc_average")}
    out: dict = {"method": method, "warnings": []}
    rows = []
    exact, note = deeplift_exact(model)
    reused = reused_nonlinear_modules(model, X)
    if reused:
        out["warnings"].append("Nonlinear modules are reused within one forward pass: "
                               + ", ".join(reused) + ". DeepLIFT's rules assume each is "
                               "used once and give wrong numbers without an error.")
    if not exact:
        out["warnings"].append(f"DeepLIFT on this model: {note}")
    if method in ("deeplift", "deeplift_shap") and not exact:
        opts["allow_approximate"] = True
    base = attribute(model, X, method, target, **opts)
    if not np.isfinite(base).all() or not np.isfinite(_predict(model, X)).all():
        out["warnings"].append("The model's outputs or these attributions hold NaN or "
                               "infinite values (weights too large for these inputs?): no "
                               "check below can vouch for them.")
    track = importance(base, X, method, hypothetical=method == "saliency")
    if "completeness" in checks and method in _WITH_REFERENCE + ("input_x_gradient",):
        kind = opts.get("baseline") or ("shuffle" if method in ("deeplift_shap",
                                                                "gradient_shap") else "zeros")
        if method == "input_x_gradient":
            kind = "zeros"
        refs = references(X, kind, opts.get("n_references", 10), opts.get("seed", 0))
        n, r = refs.shape[:2]
        f_ref = _predict(model, refs.reshape(n * r, *X.shape[1:]))[:, target].reshape(n, r)
        diff = _predict(model, X)[:, target] - f_ref.mean(axis=1)
        total = base.reshape(len(X), -1).sum(axis=1)
        table = pd.DataFrame({"sequence": np.arange(1, len(X) + 1), "sum_attributions": total,
                              "f(x) - f(reference)": diff, "delta": total - diff})
        table["relative_delta"] = table["delta"].abs() / np.maximum(np.abs(diff), 1e-8)
        out["completeness"] = table
        worst = float(table["relative_delta"].max())
        expect = {"integrated_gradients": 0.01, "deeplift": 1e-3, "deeplift_shap": 1e-3}
        limit = expect.get(method)
        verdict = ("holds" if limit is not None and worst <= limit else
                   "approximate by design" if limit is None else "does NOT hold")
        rows.append({"check": f"completeness vs {kind} reference (worst relative delta)",
                     "value": worst, "verdict": verdict})
    if "references" in checks and method in ("integrated_gradients", "deeplift"):
        tracks, means = {}, {}
        for kind in ("zeros", "uniform", "gc", "shuffle"):
            a = attribute(model, X, method, target, **{**opts, "baseline": kind})
            tracks[kind] = importance(a, X, method)
            refs = references(X, kind, opts.get("n_references", 10), opts.get("seed", 0))
            means[kind] = float(_predict(model, refs.reshape(-1, *X.shape[1:]))[:, target].mean())
        table = pd.DataFrame([{"reference": k, "mean f(reference)": means[k],
                               "track r vs zeros": np.mean([_pearson(t, z) for t, z in
                                                            zip(tracks[k], tracks["zeros"])])}
                              for k in tracks])
        out["references"] = table
        low = float(table["track r vs zeros"].min())
        rows.append({"check": "reference sensitivity (lowest track r vs zeros)", "value": low,
                     "verdict": "robust" if low >= 0.8 else "depends on the reference"})
    if "rc" in checks and X.shape[1] == 4:
        rc_attr = attribute(model, sequence.reverse_complement(X), method, target, **opts)
        rc_track = importance(rc_attr, sequence.reverse_complement(X), method,
                              hypothetical=method == "saliency")[:, ::-1]
        rs = [_pearson(a, b) for a, b in zip(track, rc_track)]
        out["rc"] = pd.DataFrame({"sequence": np.arange(1, len(X) + 1), "pearson_r": rs})
        rows.append({"check": "forward vs reverse complement (mean track r)",
                     "value": float(np.nanmean(rs)),
                     "verdict": "consistent" if np.nanmean(rs) >= 0.7 else "strand-dependent"})
    for w in out["warnings"]:
        rows.append({"check": "warning", "value": float("nan"), "verdict": w})
    out["summary"] = pd.DataFrame(rows, columns=["check", "value", "verdict"])
    out["title"] = TITLES.get(method, method)
    return out
