"""Sanity checks shown beside attribution tracks: do the numbers deserve trust?

`sanity(model, X, method, target)` returns a dict:

- ``completeness``: per sequence, the sum of the attributions, f(x) - mean f(reference),
  their difference (the convergence delta) and its size relative to the difference
  (IG should be within 1% at enough steps; DeepLIFT exact on supported models).
- ``references``: how much the per-base track changes with the reference (zeros,
  uniform 0.25, GC-matched random, dinucleotide shuffles): Pearson r of each track with
  the zeros-reference one and the mean prediction of each reference.
- ``rc``: Pearson r between the track of each sequence and the track of its reverse
  complement mapped back (a model that learned strand-symmetric motifs scores both).
- ``warnings``: list of str: nonlinear modules called more than once per forward (said
  for every method, with whom it concerns), DeepLIFT being approximate on this
  architecture (only when ``method`` is a DeepLIFT method), non-finite values.
- ``summary``: one row per check with the columns ``check`` (what was measured),
  ``value``, ``verdict``, ``advice`` (plain words: what the verdict means and what to
  change) and ``check_id`` (a stable key: "completeness", "references", "rc",
  "reused_nonlinear", "deeplift_approximate", "not_finite").
- ``suggestions``: ``{check_id: {option: value}}`` for the checks whose verdict has a
  remedy, e.g. ``{"completeness": {"n_steps": 256}, "references": {"baseline":
  "shuffle"}, "rc": {"rc_average": True}, "deeplift_approximate": {"method":
  "integrated_gradients"}}``. Keys are `regviz.attribution.attribute` options
  (``n_steps``, ``baseline``, ``n_references``, ``n_samples``, ``rc_average``), except
  ``"method"``, which names the method to use instead. Checks without a remedy (or
  that passed) have no entry.
- ``settings``: the options the checks ran with (``n_steps``, ``baseline``,
  ``n_references``, ``n_samples``), so a suggestion can be compared with them.
- ``method``, ``title``.

Why 256 steps: on the shipped ``enhancer-activity_deepstarr`` (zeros reference, Gauss-
Legendre points) the page's example sequence misses completeness by 2.5% (Dev) and 4.0%
(Hk) at 32 steps, 2.3% / 0.8% at 128 and 0.5% / 0.2% at 256; over 20 test sequences the
worst is 19% / 13% at 32 steps, 4.9% / 3.1% at 128, 2.1% / 1.7% at 256 and 1.1% / 0.85% at
512, while the track itself changes little (r >= 0.998 between 32 and 512 steps).
ReLU and max-pool kinks make the path's gradient jump, so the quadrature converges
slowly (docs/results/attribution.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from regviz import sequence
from regviz.attribution.inputs import ModelMode, as_input, check_target, device_dtype
from regviz.attribution.methods import (TITLES, attribute, deeplift_exact, importance,
                                        references)
from regviz.models.base import DEEPLIFT_NONLINEAR

_WITH_REFERENCE = ("integrated_gradients", "deeplift", "deeplift_shap", "gradient_shap")
_DEEPLIFT = ("deeplift", "deeplift_shap")
SUMMARY_COLUMNS = ["check", "value", "verdict", "advice", "check_id"]
#: IG steps suggested when completeness fails below this many (measured, see above)
IG_STEPS_SUGGESTED = 256
#: largest n_steps / n_references / n_samples a suggestion asks for
MAX_STEPS, MAX_REFERENCES, MAX_SAMPLES = 1024, 50, 200


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


def more_ig_steps(n_steps: int) -> int | None:
    """IG steps to suggest when completeness fails at ``n_steps``: 256 below 256 (on the
    shipped DeepSTARR 128 is not enough, 256 is; see the module docstring), then double,
    up to 1024; None beyond."""
    if n_steps < IG_STEPS_SUGGESTED:
        return IG_STEPS_SUGGESTED
    return min(2 * n_steps, MAX_STEPS) if n_steps < MAX_STEPS else None


_NO_R = ("No correlation could be computed: a track is constant (e.g. all zero) or not "
         "finite, so this check says nothing here; changing the settings will not help.")


def _instead(model) -> str:
    """The exact reference-based method to switch to."""
    return "deeplift" if deeplift_exact(model)[0] else "integrated_gradients"


# ----------------------------------------------------------------------------- advice


def _completeness_advice(model, method, verdict, worst_row, s) -> tuple[str, dict | None]:
    """(advice, suggestion) for the completeness verdict; ``worst_row`` is the table's
    row with the largest relative delta."""
    diff, delta = float(worst_row["f(x) - f(reference)"]), float(worst_row["delta"])
    where = (f"Worst: sequence {int(worst_row['sequence'])}, sum of attributions off by "
             f"{delta:.3g} on f(x) - f(reference) = {diff:.3g}.")
    if method == "integrated_gradients":
        if verdict == "holds":
            return (f"The attributions add up to f(x) - f(reference) within 1%: the path "
                    f"integral has converged at {s['n_steps']} steps. {where}"), None
        steps = more_ig_steps(s["n_steps"])
        text = (f"The attributions do not add up to f(x) - f(reference): the path integral "
                f"over {s['n_steps']} steps has not converged (ReLU and max-pool kinks make "
                f"the gradient jump along the path). The track's shape is usually right "
                f"already, its scale is off by about this much. {where} ")
        if steps is not None:
            return (text + f"Use more steps: {steps} (about {steps / s['n_steps']:.0f}x the "
                           f"time)."), {"n_steps": steps}
        text += "More steps help only slowly from here"
        if _instead(model) == "deeplift":
            return text + "; DeepLIFT adds up exactly on this model.", {"method": "deeplift"}
        return text + ": judge by the absolute delta.", None
    if method in _DEEPLIFT:
        if verdict == "holds":
            return (f"The attributions add up to f(x) - f(reference) (DeepLIFT's summation-"
                    f"to-delta): {TITLES[method]} is exact on this model. {where}"), None
        why = ("Expected: DeepLIFT has no exact rule for some layers of this architecture "
               "(see the warning)." if not deeplift_exact(model)[0] else
               "Something in this model breaks DeepLIFT's rules (a reused nonlinearity or "
               "an operation captum has no rule for).")
        return (f"The attributions do not add up to f(x) - f(reference). {why} {where} Use "
                f"integrated gradients (exact sums at enough steps) or ISM instead."), {
            "method": "integrated_gradients"}
    if method == "gradient_shap":
        more = min(2 * s["n_samples"], MAX_SAMPLES)
        return (f"GradientSHAP averages gradients at {s['n_samples']} random points, so its "
                f"sum matches f(x) - mean f(reference) only on average; this is not an "
                f"error. {where} More samples bring it closer ({more}); "
                f"{TITLES[_instead(model)]} adds up exactly."), (
            {"n_samples": more} if more > s["n_samples"] else None)
    return (f"Gradient x input is a first-order (linear) approximation: it adds up to "
            f"f(x) - f(0) only for a linear model; this is not an error. {where} For "
            f"attributions that add up, use integrated gradients."), {
        "method": "integrated_gradients"}


def _reference_advice(table, s) -> tuple[str, str, dict | None]:
    """(verdict, advice, suggestion) of the reference-sensitivity check."""
    r = table["track r vs zeros"]
    low = float(r.min())                       # NaN (a constant track) is left out
    if not np.isfinite(low):
        return "depends on the reference", _NO_R, None
    low_row = table.loc[r.idxmin()]
    if low >= 0.8:
        return "robust", ("Every reference gives nearly the same track as the all-zeros one "
                          "(r >= 0.8): the choice of reference does not matter here."), None
    text = (f"The track changes with the reference (r = {low:.2f} between the zeros and the "
            f"{low_row['reference']} reference): attributions explain f(x) - f(reference), and "
            f"the all-zeros reference is not DNA (its own prediction: "
            f"{float(table.loc[table['reference'] == 'zeros', 'mean f(reference)'].iloc[0]):.3g}"
            "). ")
    if s["baseline"] != "shuffle":
        return "depends on the reference", text + (
            "Dinucleotide shuffles of the input, averaged, are the usual neutral reference "
            "for DNA: use the shuffle reference."), {"baseline": "shuffle"}
    more = min(2 * s["n_references"], MAX_REFERENCES)
    return "depends on the reference", text + (
        f"You use shuffles already; more of them ({more}) steady the average."), (
        {"n_references": more} if more > s["n_references"] else None)


def _rc_advice(mean_r) -> tuple[str, str, dict | None]:
    if not np.isfinite(mean_r):
        return "strand-dependent", _NO_R, None
    if mean_r >= 0.7:
        return "consistent", ("The reverse complement's track, mapped back, matches "
                              "(r >= 0.7): the model reads these motifs on both strands "
                              "alike."), None
    return "strand-dependent", (
        f"The reverse complement's track differs (mean r = {mean_r:.2f}): the model scores "
        "the two strands differently (strand-specific features, or no reverse-complement "
        "augmentation in training). Averaging with the reverse complement gives a "
        "strand-symmetric track."), {"rc_average": True}


def _warning_rows(model, method, reused, not_finite) -> list[tuple[str, str, str, dict]]:
    """(check_id, warning, advice, suggestion) for each warning that applies to
    ``method``."""
    out = []
    title = TITLES.get(method, method)
    if reused:
        text = ("Nonlinear modules are reused within one forward pass: " + ", ".join(reused)
                + ". DeepLIFT's rules assume each is used once and give wrong numbers "
                "without an error.")
        if method in _DEEPLIFT:
            out.append(("reused_nonlinear", text, "Do not trust DeepLIFT here: use "
                        "integrated gradients or ISM.", {"method": "integrated_gradients"}))
        else:
            out.append(("reused_nonlinear", text, f"{title} is not affected; only avoid "
                        "DeepLIFT and DeepLIFT-SHAP on this model.", None))
    exact, note = deeplift_exact(model)
    if method in _DEEPLIFT and not exact:
        out.append(("deeplift_approximate", f"DeepLIFT on this model: {note}",
                    "Use integrated gradients (exact sums at enough steps) or ISM.",
                    {"method": "integrated_gradients"}))
    if not_finite:
        out.append(("not_finite", "The model's outputs or these attributions hold NaN or "
                    "infinite values (weights too large for these inputs?): no check below "
                    "can vouch for them.", "Check the checkpoint (a diverged training run?); "
                    "retrain with a lower learning rate.", None))
    return out


# ----------------------------------------------------------------------------- sanity


def sanity(model, X, method: str = "integrated_gradients", target: int = 0,
           checks=("completeness", "references", "rc"), **options) -> dict:
    """Run the sanity checks for ``method`` on inputs ``X (n, C, L)``.

    ``options`` go to `regviz.attribution.attribute` (n_steps, n_references, seed,
    batch_size, ...); hypothetical / gradient correction are switched off here since
    completeness is a property of the uncorrected actual contributions. The returned
    dict is described in the module docstring (``summary`` with ``advice``,
    ``suggestions`` per check).
    """
    X = as_input(model, X)
    target = check_target(model, target)
    opts = {k: v for k, v in options.items()
            if k not in ("hypothetical", "gradient_correction", "rc_average")}
    kind = opts.get("baseline") or ("shuffle" if method in ("deeplift_shap",
                                                            "gradient_shap") else "zeros")
    if method == "input_x_gradient":
        kind = "zeros"
    s = {"n_steps": int(opts.get("n_steps", 50)), "baseline": kind,
         "n_references": int(opts.get("n_references", 10)),
         "n_samples": int(opts.get("n_samples", 20))}
    out: dict = {"method": method, "warnings": [], "suggestions": {}, "settings": s}
    rows = []

    def add(check_id, check, value, verdict, advice, suggestion):
        rows.append({"check": check, "value": value, "verdict": verdict, "advice": advice,
                     "check_id": check_id})
        if suggestion:
            out["suggestions"][check_id] = suggestion

    exact, _ = deeplift_exact(model)
    reused = reused_nonlinear_modules(model, X)
    if method in _DEEPLIFT and not exact:
        opts["allow_approximate"] = True
    base = attribute(model, X, method, target, **opts)
    not_finite = not np.isfinite(base).all() or not np.isfinite(_predict(model, X)).all()
    warned = _warning_rows(model, method, reused, not_finite)
    out["warnings"] = [w for _, w, _, _ in warned]
    track = importance(base, X, method, hypothetical=method == "saliency")
    if "completeness" in checks and method in _WITH_REFERENCE + ("input_x_gradient",):
        refs = references(X, kind, s["n_references"], opts.get("seed", 0))
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
        worst_row = table.loc[table["relative_delta"].fillna(np.inf).idxmax()]
        advice = (("The sums are not finite (see the warning): no number of steps or "
                   "reference can fix that.", None) if not np.isfinite(worst) else
                  _completeness_advice(model, method, verdict, worst_row, s))
        add("completeness", f"completeness vs {kind} reference (worst relative delta)", worst,
            verdict, *advice)
    if "references" in checks and method in ("integrated_gradients", "deeplift"):
        tracks, means = {}, {}
        for ref_kind in ("zeros", "uniform", "gc", "shuffle"):
            a = attribute(model, X, method, target, **{**opts, "baseline": ref_kind})
            tracks[ref_kind] = importance(a, X, method)
            refs = references(X, ref_kind, s["n_references"], opts.get("seed", 0))
            means[ref_kind] = float(
                _predict(model, refs.reshape(-1, *X.shape[1:]))[:, target].mean())
        table = pd.DataFrame([{"reference": k, "mean f(reference)": means[k],
                               "track r vs zeros": np.mean([_pearson(t, z) for t, z in
                                                            zip(tracks[k], tracks["zeros"])])}
                              for k in tracks])
        out["references"] = table
        add("references", "reference sensitivity (lowest track r vs zeros)",
            float(table["track r vs zeros"].min()), *_reference_advice(table, s))
    if "rc" in checks and X.shape[1] == 4:
        rc_attr = attribute(model, sequence.reverse_complement(X), method, target, **opts)
        rc_track = importance(rc_attr, sequence.reverse_complement(X), method,
                              hypothetical=method == "saliency")[:, ::-1]
        rs = [_pearson(a, b) for a, b in zip(track, rc_track)]
        out["rc"] = pd.DataFrame({"sequence": np.arange(1, len(X) + 1), "pearson_r": rs})
        mean_r = float(np.nanmean(rs))
        add("rc", "forward vs reverse complement (mean track r)", mean_r, *_rc_advice(mean_r))
    for check_id, text, advice, suggestion in warned:
        add(check_id, "warning", float("nan"), text, advice, suggestion)
    out["summary"] = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    out["title"] = TITLES.get(method, method)
    return out
