"""The Attribution view's cached calls: tracks, sanity checks, ground-truth scores."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from regviz import attribution, motifs, predict, sequence
from regviz.attribution import ground_truth
from regviz.errors import warn_if_not_finite
from regviz.ui import cache

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


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _settings_key(settings: dict) -> str:
    return json.dumps(settings, sort_keys=True)


def default_example(folder, card, target: int = 0) -> Example | None:
    """The first test sequence of the model's synthetic set that holds a site relevant to
    output ``target``; None when the model was not trained on a synthetic set."""
    dataset = cache.card_dataset(str(folder), cache.checkpoint_stamp(folder))
    if dataset is None:
        return None
    seqs, ann, idx = ground_truth.test_subset(dataset, 1, seed=0,
                                              only_with_sites=card.task_names[target])
    if not seqs:
        return None
    return Example(f"test_{int(idx[0])} ({dataset.name}, test split)", seqs[0], ann)


def attribution_for(folder, seq: str, method: str, target: int, settings: dict):
    """``(4, L)`` attribution of one sequence (cached by checkpoint, sequence, method,
    target and settings; progress shown while computing)."""
    def compute(model, card, progress):
        X = encode_for(model, [seq])
        return attribution.attribute(model, X, method, target, progress=progress,
                                     **settings)[0]

    return cache.model_result("attribution", folder, (_digest(seq), method, int(target),
                                                      _settings_key(settings)),
                              TITLES.get(method, method), compute, limit=64)


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

    return cache.model_result("attribution", folder, (_digest(seq), f"sanity:{method}",
                                                      int(target), _settings_key(settings)),
                              f"Sanity checks of {TITLES.get(method, method)}", compute)


def test_scores(folder, card, methods: tuple, target: int, n: int, settings: dict):
    """Positional AUROC/auPRC of each method on ``n`` test sequences of the model's
    synthetic set that hold a relevant planted site (cached per method)."""
    dataset = cache.card_dataset(str(folder), cache.checkpoint_stamp(folder))
    task = card.task_names[target]
    seqs, ann, _ = ground_truth.test_subset(dataset, n, seed=0, only_with_sites=task)
    rows = []
    for method in methods:
        these = method_settings(method, settings)

        def compute(model, card, progress, method=method, these=these):
            return ground_truth.score_method(model, encode_for(model, seqs), ann,
                                             dataset.grammar, task, method, target,
                                             progress=progress, **these)

        score = cache.model_result(
            "attribution", folder, (_digest("".join(seqs)), f"score:{method}", int(target),
                                    _settings_key(these)),
            f"Scoring {TITLES[method]} on {len(seqs)} test sequences", compute)
        rows.append({"method": TITLES[method], **score, "motifs": ", ".join(score["motifs"])})
    return pd.DataFrame(rows)


@st.cache_data(show_spinner="Scanning with FIMO...", max_entries=64)
def fimo_hits(motif_names: tuple, seq: str):
    """FIMO hits (p < 1e-4, both strands) of JASPAR motifs in one sequence, or None."""
    if not motif_names:
        return None
    return motifs.fimo([motifs.jaspar(name) for name in motif_names], [seq], threshold=1e-4)

