"""Per-base attributions through captum, and in-silico mutagenesis.

``attribute(model, X, method, target=0, **options)`` returns ``(n, C, L)``
float32 (C = 4 for one-hot DNA, ACGT order), the same shape as ``X``:

==========================  ===============================================================
``"saliency"``              gradient of output ``target`` (captum ``Saliency``, signed)
``"input_x_gradient"``      gradient x input (captum ``InputXGradient``)
``"integrated_gradients"``  (x - reference) x path-averaged gradient (captum
                            ``IntegratedGradients``, ``n_steps`` Gauss-Legendre points)
``"deeplift"``              DeepLIFT rescale multipliers x (x - reference) (captum
                            ``DeepLift``, run inside `regviz.models.deeplift_guards`)
``"deeplift_shap"``         DeepLIFT averaged over ``n_references`` dinucleotide shuffles
                            of each input (what captum ``DeepLiftShap`` computes; run as
                            one batched ``DeepLift`` so every input gets its own shuffles)
``"gradient_shap"``         captum ``GradientShap`` against ``n_references`` shuffles
                            (``n_samples`` random points on the reference-input lines)
``"ism"``                   f(mutant) - f(reference) per substitution (`regviz.attribution.ism`)
==========================  ===============================================================

Options (keyword arguments of `attribute`):

- ``baseline``: reference of integrated gradients and DeepLIFT: "zeros" (default),
  "uniform" (0.25 per base), "shuffle" (``n_references`` dinucleotide shuffles of
  each input, results averaged; the default of deeplift_shap / gradient_shap) or
  "gc" (random sequences with the input's GC content).
- ``n_references`` (default 10), ``seed`` (default 0): shuffled references.
- ``hypothetical``: False (default) gives actual contributions (sum over a position's
  channels is that base's contribution; zero off the observed base for one-hot input
  and a zero baseline). True gives hypothetical contributions: for each position and
  each base b, the contribution base b *would* have there (DeepSHAP/TF-MoDISco
  convention: mean over references of ``m_b - sum_c ref_c m_c`` with multipliers m;
  the plain gradient for saliency / input x gradient).
- ``gradient_correction``: subtract the mean over the 4 base channels from the
  gradients/multipliers at every position before anything else (Majdandzic et al.
  2023: removes the off-simplex gradient component). Corrected attributions no longer
  add up to f(x) - f(reference).
- ``rc_average``: average with the attribution of the reverse complement, mapped back.

GradientSHAP pairs each random point with its own reference inside captum; with
``hypothetical`` or ``gradient_correction`` regviz asks captum for the expected
gradients instead and pairs them with the mean reference (an approximation; the
other methods keep every gradient paired with its own reference).
- ``batch_size`` (rows per captum call), ``n_steps`` (IG, default 50), ``n_samples``
  (GradientSHAP, default 20), ``progress(done, total)`` callback,
  ``allow_approximate`` (run DeepLIFT on models where it is not exact).

The model is run on its own device in eval mode and left in the mode it came in.
For ISM options see `regviz.attribution.ism`.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from captum.attr import DeepLift, GradientShap, InputXGradient, IntegratedGradients, Saliency
from captum.attr._core import deep_lift
from torch import nn

from regviz import sequence
from regviz.attribution.inputs import ModelMode, as_input, check_target, device_dtype, model_name
from regviz.attribution.mutagenesis import ism
from regviz.errors import AttributionError, RegvizWarning, warn_if_not_finite
from regviz.models import REGISTRY, deeplift_guards
from regviz.models.layers import Exp

METHODS = ("saliency", "input_x_gradient", "integrated_gradients", "deeplift",
           "deeplift_shap", "gradient_shap", "ism")
TITLES = {"saliency": "Saliency", "input_x_gradient": "Input x gradient",
          "integrated_gradients": "Integrated gradients", "deeplift": "DeepLIFT",
          "deeplift_shap": "DeepLIFT-SHAP", "gradient_shap": "GradientSHAP",
          "ism": "In-silico mutagenesis"}
BASELINES = ("zeros", "uniform", "shuffle", "gc")
_DEEPLIFT = ("deeplift", "deeplift_shap")
_OPTIONS = {"baseline", "n_references", "seed", "hypothetical", "gradient_correction",
            "rc_average", "batch_size", "n_steps", "n_samples", "progress",
            "allow_approximate", "chunk"}


# ----------------------------------------------------------------------------- checks


def deeplift_exact(model: nn.Module) -> tuple[bool, str]:
    """(exact, note) from the zoo registry; unknown models count as exact-unknown."""
    entry = REGISTRY.get(getattr(model, "registry_name", ""))
    if entry is None:
        return True, "Not a zoo model: exactness of DeepLIFT is not known; check the sanity panel."
    return entry.supports_deeplift, entry.deeplift_note


def methods_for(model: nn.Module) -> list[str]:
    """Methods that run exactly on ``model`` (DeepLIFT left out where it is approximate,
    ISM left out for track-only inputs)."""
    exact, _ = deeplift_exact(model)
    out = [m for m in METHODS if exact or m not in _DEEPLIFT]
    if getattr(getattr(model, "config", None), "tracks_only", False):
        out.remove("ism")
    return out


def _check_method(model, method, allow_approximate):
    if method not in METHODS:
        raise AttributionError(f"method must be one of {', '.join(METHODS)}. Got {method!r} "
                               "instead.")
    if method in _DEEPLIFT:
        exact, note = deeplift_exact(model)
        if not exact:
            others = ", ".join(methods_for(model))
            if not allow_approximate:
                raise AttributionError(
                    f"{TITLES[method]} is not exact on {model_name(model)}: {note} Methods "
                    f"that work on this model: {others}. (Pass allow_approximate=True to run "
                    "it anyway.)")
            warnings.warn(f"{TITLES[method]} on {model_name(model)} is approximate: {note}",
                          RegvizWarning, stacklevel=3)


# ----------------------------------------------------------------------------- references


def references(X: np.ndarray, kind: str = "shuffle", n_references: int = 10,
               seed: int = 0) -> np.ndarray:
    """Reference inputs ``(n, r, C, L)`` for each of the ``n`` inputs ``X (n, C, L)``.

    "zeros" and "uniform" (0.25 per base) give r = 1; "shuffle" gives ``n_references``
    dinucleotide shuffles of each input (`regviz.sequence.dinucleotide_shuffle`, seed
    ``seed + i`` for input i); "gc" gives random sequences with each input's GC
    fraction. Channels after the 4 bases (tracks) are zero for "zeros" and copied
    from the input otherwise.
    """
    X = np.asarray(X, dtype=np.float32)
    n, c, length = X.shape
    if kind not in BASELINES:
        raise AttributionError(f"baseline must be one of {', '.join(BASELINES)}. Got "
                               f"{kind!r} instead.")
    if kind in ("zeros", "uniform"):
        ref = np.zeros_like(X)[:, None] if kind == "zeros" else np.repeat(X[:, None], 1, 1)
        if kind == "uniform":
            ref[:, :, :4] = 0.25
        return ref
    if isinstance(n_references, bool) or not isinstance(n_references, (int, np.integer)) or \
            n_references < 1:
        raise AttributionError(f"n_references must be an integer >= 1. Got {n_references!r} "
                               "instead.")
    seqs = sequence.decode(X[:, :4])
    ref = np.repeat(X[:, None], n_references, axis=1)
    for i, s in enumerate(seqs):
        if kind == "shuffle":
            alts = sequence.dinucleotide_shuffle(s, n=n_references, seed=seed + i)
        else:
            alts = sequence.random_sequences(n_references, length, gc=sequence.gc_content(s),
                                             seed=seed + i)
        ref[i, :, :4] = sequence.one_hot(alts)
    return ref


# ----------------------------------------------------------------------------- captum


def _deeplift_rule_for_exp() -> None:
    """Give regviz's ``Exp`` activation DeepLIFT's rescale rule in captum.

    captum rules only the module types in its ``SUPPORTED_NON_LINEAR``; any
    other module passes plain gradients, which breaks summation-to-delta.
    ``nonlinear`` is captum's generic rescale rule, (f(x) - f(x0)) / (x - x0).
    """
    deep_lift.SUPPORTED_NON_LINEAR.setdefault(Exp, deep_lift.nonlinear)


def _multipliers(model, method, x, ref, target, n_steps, batch_size):
    """Gradients/multipliers ``(m, C, L)`` of each row of ``x`` against its reference."""
    _deeplift_rule_for_exp()

    if method in ("saliency", "input_x_gradient"):
        return Saliency(model).attribute(x, target=target, abs=False)
    if method == "integrated_gradients":
        return IntegratedGradients(model, multiply_by_inputs=False).attribute(
            x, baselines=ref, target=target, n_steps=n_steps,
            internal_batch_size=max(batch_size, len(x)))
    # the private-input guards exist only for this call (see models.deeplift_guards)
    with deeplift_guards(model), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)   # captum's "setting forward hooks"
        return DeepLift(model, multiply_by_inputs=False).attribute(x, baselines=ref,
                                                                  target=target)


def _rows(total_rows, batch_size):
    for start in range(0, total_rows, batch_size):
        yield slice(start, min(start + batch_size, total_rows))


def _gradient_shap(model, X, refs, target, n_samples, seed, hypothetical, correction,
                   device, dtype, progress):
    out = np.zeros_like(X)
    state = np.random.get_state()
    try:
        np.random.seed(seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            for i in range(len(X)):
                x = torch.as_tensor(X[i:i + 1], device=device, dtype=dtype)
                r = torch.as_tensor(refs[i], device=device, dtype=dtype)
                plain = not hypothetical and not correction
                gs = GradientShap(model, multiply_by_inputs=plain)
                a = gs.attribute(x, baselines=r, target=target, n_samples=n_samples,
                                 stdevs=0.0).detach()
                if not plain:
                    # expected gradients; paired with the mean reference (approximation)
                    a = _finish(a[None], (x - r.mean(0, keepdim=True))[None],
                                r.mean(0, keepdim=True)[None], hypothetical, correction)[0]
                out[i] = a[0].float().cpu().numpy()
                if progress is not None:
                    progress(i + 1, len(X))
    finally:
        np.random.set_state(state)
    return out


def _finish(M, D, R, hypothetical, correction):
    """Combine multipliers M, differences D = x - ref and references R, each
    ``(n, r, C, L)``, into ``(n, C, L)`` attributions."""
    M = M.clone()
    if correction:
        M[:, :, :4] = M[:, :, :4] - M[:, :, :4].mean(dim=2, keepdim=True)
    if not hypothetical:
        return (M * D).mean(dim=1)
    hyp = M.clone()
    hyp[:, :, :4] = M[:, :, :4] - (R[:, :, :4] * M[:, :, :4]).sum(dim=2, keepdim=True)
    return hyp.mean(dim=1)


def _attribute_once(model, X, method, target, opts):
    device, dtype = device_dtype(model)
    if method == "ism":
        return ism(model, X, target, batch_size=opts["batch_size"], chunk=opts.get("chunk"),
                   progress=opts["progress"])
    baseline = opts["baseline"]
    if baseline is None:
        baseline = "shuffle" if method in ("deeplift_shap", "gradient_shap") else "zeros"
    if method in ("saliency", "input_x_gradient"):
        baseline = "zeros"
    if method in ("deeplift_shap", "gradient_shap") and baseline != "shuffle":
        raise AttributionError(f"{TITLES[method]} averages over shuffled references; "
                               f"baseline must be 'shuffle'. Got {baseline!r} instead.")
    refs = references(X, baseline, opts["n_references"], opts["seed"])   # (n, r, C, L)
    if method == "gradient_shap":
        return _gradient_shap(model, X, refs, target, opts["n_samples"], opts["seed"],
                              opts["hypothetical"], opts["gradient_correction"], device,
                              dtype, opts["progress"])
    if method == "input_x_gradient" and not opts["hypothetical"] and \
            not opts["gradient_correction"]:
        out = np.zeros_like(X)
        for sl in _rows(len(X), opts["batch_size"]):
            x = torch.as_tensor(X[sl], device=device, dtype=dtype).requires_grad_(True)
            out[sl] = InputXGradient(model).attribute(x, target=target).detach().float().cpu()
        return out
    n, r = refs.shape[:2]
    x_rows = np.repeat(X[:, None], r, axis=1).reshape(n * r, *X.shape[1:])
    ref_rows = refs.reshape(n * r, *X.shape[1:])
    M = np.zeros_like(x_rows)
    per_call = opts["batch_size"]
    if method == "integrated_gradients":
        per_call = max(1, opts["batch_size"] // opts["n_steps"])
    done = 0
    for sl in _rows(n * r, per_call):
        x = torch.as_tensor(x_rows[sl], device=device, dtype=dtype).requires_grad_(True)
        ref = torch.as_tensor(ref_rows[sl], device=device, dtype=dtype)
        M[sl] = _multipliers(model, method, x, ref, target, opts["n_steps"],
                             opts["batch_size"]).detach().float().cpu().numpy()
        done = sl.stop
        if opts["progress"] is not None:
            opts["progress"](done, n * r)
    shape = (n, r) + X.shape[1:]
    Mt, xt, rt = (torch.from_numpy(a.reshape(shape)) for a in (M, x_rows, ref_rows))
    if method == "saliency":          # the gradient itself (a hypothetical form)
        return _finish(Mt, xt, rt * 0, True, opts["gradient_correction"]).numpy()
    return _finish(Mt, xt - rt, rt, opts["hypothetical"], opts["gradient_correction"]).numpy()


def attribute(model: nn.Module, X, method: str, target: int = 0, **options) -> np.ndarray:
    """Attributions of output ``target`` to every input position and channel.

    Parameters
    ----------
    model : nn.Module
        A zoo model returning ``(n, n_outputs)`` raw values.
    X : array (n, C, L) or (C, L), float32
        One-hot ACGT inputs (C = 4, or 4 + tracks).
    method : str
        One of `METHODS`.
    target : int
        Output index (default 0).
    **options
        See the module docstring. Saliency always returns the full gradient (every
        base at every position; ``hypothetical`` does not change it).

    Returns
    -------
    np.ndarray (n, C, L), float32.

    Raises
    ------
    AttributionError
        Unknown method, option or baseline; a bad target or input shape; DeepLIFT on a
        model where it is not exact (the message lists the methods that are).
    """
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        raise AttributionError(f"Unknown option(s) {unknown}; options are: "
                               f"{', '.join(sorted(_OPTIONS))}.")
    opts = {"baseline": None, "n_references": 10, "seed": 0, "hypothetical": False,
            "gradient_correction": False, "rc_average": False, "batch_size": 256,
            "n_steps": 50, "n_samples": 20, "progress": None, "allow_approximate": False,
            **options}
    X = as_input(model, X)
    target = check_target(model, target)
    _check_method(model, method, opts["allow_approximate"])
    for key in ("batch_size", "n_steps", "n_samples"):
        v = opts[key]
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise AttributionError(f"{key} must be an integer >= 1. Got {v!r} instead.")
    if opts["rc_average"] and X.shape[1] != 4:
        raise AttributionError("rc_average needs DNA-only inputs (4 channels): extra tracks "
                               f"have no reverse complement. Got {X.shape[1]} channels.")
    if method == "ism" and (opts["hypothetical"] or opts["gradient_correction"]):
        raise AttributionError("ISM already scores every base at every position "
                               "(hypothetical and gradient correction do not apply); set "
                               "hypothetical=False and gradient_correction=False.")
    with ModelMode(model, grad=True):
        out = _attribute_once(model, X, method, target, opts)
        if opts["rc_average"]:
            rc = _attribute_once(model, sequence.reverse_complement(X), method, target, opts)
            out = 0.5 * (out + sequence.reverse_complement(rc))
    return warn_if_not_finite(np.ascontiguousarray(out, dtype=np.float32),
                              f"{TITLES[method]} attributions")


# ----------------------------------------------------------------------------- summaries


def importance(attributions: np.ndarray, X: np.ndarray, method: str = "",
               hypothetical: bool = False) -> np.ndarray:
    """Per-base importance track ``(n, L)`` from attributions ``(n, 4, L)``.

    ``method="saliency"`` (the gradient at every base, whatever ``hypothetical`` says)
    and hypothetical contributions: the value at the observed base (for an N, the mean
    over the bases). Actual contributions (every other method's default, input x
    gradient included: zero off the observed base): the sum over the 4 base channels.
    ISM: minus the mean effect of the substitutions at each position (positive =
    mutating the base lowers the output, i.e. the base supports it).
    """
    A = np.asarray(attributions, dtype=np.float32)[:, :4]
    X = np.asarray(X, dtype=np.float32)[:, :4]
    if A.shape != X.shape:
        raise AttributionError(f"attributions {A.shape} and inputs {X.shape} differ in shape.")
    if method == "ism":
        n_alt = np.maximum((X != 1.0).sum(axis=1), 1)
        return -A.sum(axis=1) / n_alt
    if hypothetical or method == "saliency":
        return (A * X).sum(axis=1)
    return A.sum(axis=1)
