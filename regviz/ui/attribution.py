"""The Attribution view's cached calls: tracks, sanity checks, ground-truth scores."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from regviz import attribution, costs, motifs, predict, sequence
from regviz.attribution import ground_truth
from regviz.errors import warn_if_not_finite
from regviz.plotting import attribution as plots
from regviz.ui import cache, widgets

BASELINES = attribution.BASELINES
TITLES = attribution.TITLES
methods_for = attribution.methods_for
deeplift_exact = attribution.deeplift_exact
encode_for = predict.encode_for


@dataclass(frozen=True)
class Example:
    """A held-out sequence of the model's own synthetic set, with what was planted in it."""

    name: str
    sequence: str
    annotations: pd.DataFrame

    @property
    def fasta(self) -> str:
        return f">{self.name}\n{self.sequence}\n"


def digest(text: str) -> str:
    """A short hash of a text (cache keys, widget keys per sequence)."""
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _settings_key(settings: dict) -> str:
    return json.dumps(settings, sort_keys=True)


def default_example(folder, card, target: int = 0) -> Example | None:
    """The first test sequence of the model's synthetic set that holds a site relevant to
    output ``target``; None when the model was not trained on a synthetic set."""
    dataset, _, seqs, ann, idx = _test_subset(folder, card, target, 1)
    if dataset is None or not seqs:
        return None
    return Example(f"test_{int(idx[0])} ({dataset.name}, test split)", seqs[0], ann)


def _key(seq: str, what: str, target: int, settings: dict) -> tuple:
    return (digest(seq), what, int(target), _settings_key(settings))


def _speed(folder):
    return cache.model_speed(str(folder), cache.checkpoint_stamp(folder))


def attribution_for(folder, seq: str, method: str, target: int, settings: dict):
    """``(4, L)`` attribution of one sequence (cached by checkpoint, sequence, method,
    target and settings; progress shown while computing)."""
    def compute(model, card, progress):
        X = encode_for(model, [seq])
        return attribution.attribute(model, X, method, target, progress=progress,
                                     **settings)[0]

    return cache.model_result("attribution", folder, _key(seq, method, target, settings),
                              TITLES.get(method, method), compute, limit=64)


def logo_png(attributions, lo: int, hi: int, title: str) -> bytes:
    """PNG of the logo of ``attributions (4, L)`` over 1-based positions ``lo``-``hi``
    (kept per content and window)."""
    key = (hashlib.sha256(np.ascontiguousarray(attributions).tobytes()).hexdigest()[:20],
           int(lo), int(hi), title)
    return cache.png("attribution_logo", key, lambda: plots.logo_figure(
        attributions, lo - 1, hi, title=title))


def seconds_to_explain(folder, model, seq: str, methods, target: int, settings: dict,
                       rc: bool) -> float:
    """Expected seconds of `explain` (0 when every method's result is kept already)."""
    total = 0.0
    for method in methods:
        these = method_settings(method, settings, rc)
        if cache.peek("attribution", cache.model_key(folder, _key(seq, method, target,
                                                                  these))) is None:
            total += costs.attribution_seconds(_speed(folder), method, 1, these)
    return total


def seconds_for_sanity(folder, model, seq: str, method: str, target: int,
                       settings: dict) -> float:
    """Expected seconds of `sanity_for` (0 when its result is kept already)."""
    if cache.peek("attribution", cache.model_key(folder, _key(seq, f"sanity:{method}", target,
                                                              settings))) is not None:
        return 0.0
    return costs.sanity_seconds(_speed(folder), method, settings)


def strongest_window(track, width: int = 60) -> tuple[int, int]:
    """1-based ``(first, last)`` of the ``width`` bp window with the largest total
    |importance| of a per-base track ``(L,)``."""
    values = np.abs(np.nan_to_num(np.asarray(track, dtype=float)))
    width = min(width, len(values))
    sums = np.convolve(values, np.ones(width), mode="valid")
    start = int(np.argmax(sums))
    return start + 1, start + width


def method_settings(method: str, settings: dict, rc: bool = False) -> dict:
    """The page's settings as one method takes them: ISM takes no reference settings, and
    the chosen reference applies to integrated gradients and DeepLIFT only (the SHAP
    methods average over shuffles)."""
    if method == "ism":
        return {"rc_average": rc}
    return {**settings, "rc_average": rc,
            "baseline": settings.get("baseline") if method in ("integrated_gradients",
                                                                 "deeplift") else None}


def explain(folder, seq: str, methods, target: int, settings: dict, rc: bool) -> dict:
    """method -> ``(attributions (4, L), per-base importance (L,))`` for one sequence."""
    X = sequence.one_hot(seq)
    out = {}
    for method in methods:
        these = method_settings(method, settings, rc)
        A = warn_if_not_finite(attribution_for(folder, seq, method, target, these),
                               f"{TITLES[method]} attributions")   # kept results too
        hyp = method == "saliency" or bool(these.get("hypothetical"))
        out[method] = A, attribution.importance(A[None], X, method, hyp)[0]
    return out


def sanity_for(folder, seq: str, method: str, target: int, settings: dict) -> dict:
    """`regviz.attribution.sanity` of one sequence (cached like `attribution_for`)."""
    def compute(model, card, progress):
        return attribution.sanity(model, encode_for(model, [seq]), method, target, **settings)

    return cache.model_result("attribution", folder, _key(seq, f"sanity:{method}", target,
                                                          settings),
                              f"Sanity checks of {TITLES.get(method, method)}", compute)


def _test_subset(folder, card, target: int, n: int):
    """(dataset, task, sequences, annotations, indices) of ``n`` test sequences with a
    site relevant to output ``target`` (kept per checkpoint; dataset None without one)."""
    dataset = cache.card_dataset(str(folder), cache.checkpoint_stamp(folder))
    task = card.task_names[target]
    if dataset is None:
        return None, task, [], None, []
    return (dataset, task, *cache.remembered(
        "test_subset", cache.model_key(folder, (task, int(n))),
        lambda: ground_truth.test_subset(dataset, n, seed=0, only_with_sites=task)))


def _score_key(seqs, method: str, target: int, settings: dict) -> tuple:
    return (digest("".join(seqs)), f"score:{method}", int(target), _settings_key(settings))


def seconds_to_score(folder, model, methods, target: int, n: int, settings: dict) -> float:
    """Expected seconds of `test_scores` (methods whose scores are kept cost nothing)."""
    card = cache.load_checkpoint(str(folder), cache.checkpoint_stamp(folder))[1]
    _, _, seqs, _, _ = _test_subset(folder, card, target, n)
    total = 0.0
    for method in methods:
        these = method_settings(method, settings)
        if cache.peek("attribution", cache.model_key(folder, _score_key(seqs, method, target,
                                                                        these))) is None:
            total += costs.attribution_seconds(_speed(folder), method, len(seqs), these)
    return total


def sanity_panel(folder, model, seq: str, methods, target: int, settings: dict) -> None:
    """The Sanity checks section: one method's checks on one sequence, on a button when
    they take a while, with every warning and the verdict table."""
    st.subheader("Sanity checks")
    check = st.selectbox("Method to check", [m for m in methods if m != "ism"] or methods,
                         format_func=TITLES.get, key="attr_check")
    these = {"n_steps": settings["n_steps"], "n_references": settings["n_references"]}
    expected = seconds_for_sanity(folder, model, seq, check, target, these)
    report = widgets.run_when_asked(
        "attr_sanity_run", f"Check {TITLES[check]}", expected, expected == 0,
        lambda: sanity_for(folder, seq, check, target, these), "Sanity checks")
    if report is not None:
        for w in report["warnings"]:
            st.warning(w)
        columns = [c for c in ("check", "value", "verdict", "advice") if c in report["summary"]]
        widgets.table_with_download(report["summary"][columns], "attribution_sanity.csv",
                                    "attr_sanity", column_config={"advice": st.column_config.
                                                                  TextColumn(width="large")})
        for check_id, change in report.get("suggestions", {}).items():
            words = describe_change(change)
            if words:
                st.button(f"Apply: {words}", key=f"attr_apply_{check_id}",
                          on_click=apply_change, args=(change,),
                          help="Changes the options above; press Explain again to see it.")


#: the page's widget keys of the `attribute` options a sanity check may suggest
WIDGETS = {"n_steps": "attr_steps", "baseline": "attr_base", "n_references": "attr_refs",
           "rc_average": "attr_rc"}


def describe_change(change: dict) -> str:
    """A suggestion of `regviz.attribution.sanity` in words ("" when the page cannot
    apply it)."""
    words = {"n_steps": "{} integrated-gradients steps", "baseline": "the {} reference",
             "n_references": "{} shuffled references",
             "rc_average": "average with the reverse complement",
             "method": "switch to {}"}
    parts = [words[k].format(TITLES.get(v, v) if k == "method" else v)
             for k, v in change.items() if k in words]
    return "; ".join(parts) if len(parts) == len(change) else ""


def apply_change(change: dict) -> None:
    """Set the page's options to a suggestion (a button callback: before the widgets)."""
    for option, value in change.items():
        if option == "method":
            chosen = list(st.session_state.get("attr_methods", []))
            st.session_state["attr_methods"] = chosen + [value] * (value not in chosen)
            st.session_state["attr_check"] = value
        else:
            st.session_state[WIDGETS[option]] = value


def test_scores(folder, card, methods: tuple, target: int, n: int, settings: dict):
    """Positional AUROC/auPRC of each method on ``n`` test sequences of the model's
    synthetic set that hold a relevant planted site (cached per method)."""
    dataset, task, seqs, ann, _ = _test_subset(folder, card, target, n)
    rows = []
    for method in methods:
        these = method_settings(method, settings)

        def compute(model, card, progress, method=method, these=these):
            return ground_truth.score_method(model, encode_for(model, seqs), ann,
                                             dataset.grammar, task, method, target,
                                             progress=progress, **these)

        score = cache.model_result(
            "attribution", folder, _score_key(seqs, method, target, these),
            f"Scoring {TITLES[method]} on {len(seqs)} test sequences", compute)
        rows.append({"method": TITLES[method], **score, "motifs": ", ".join(score["motifs"])})
    return pd.DataFrame(rows)


@st.cache_data(show_spinner="Scanning with FIMO...", max_entries=64)
def fimo_hits(motif_names: tuple, seq: str):
    """FIMO hits (p < 1e-4, both strands) of JASPAR motifs in one sequence, or None."""
    if not motif_names:
        return None
    return motifs.fimo([motifs.jaspar(name) for name in motif_names], [seq], threshold=1e-4)

