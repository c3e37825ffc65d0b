"""The Motif spacing view's cached calls: planted pairs, sites, backgrounds, experiments."""

from __future__ import annotations

import streamlit as st

from regviz import costs, filters, spacing
from regviz.ui import cache

CONVENTIONS = spacing.CONVENTIONS
ORIENTATIONS = spacing.ORIENTATIONS
infer_mode = spacing.infer_mode


def _dataset(folder):
    return cache.card_dataset(str(folder), cache.checkpoint_stamp(folder))


def planted_pairs(folder) -> tuple[dict, dict]:
    """(label -> planted pair of the model's synthetic grammar, motif key -> JASPAR ID);
    empty for models without one."""
    dataset = _dataset(folder)
    grammar = (dataset.grammar if dataset is not None else None) or {}
    pairs = {f"{p['name']} ({p['kind']}, {p['output']})": p for p in grammar.get("pairs") or []}
    return pairs, {k: m["id"] for k, m in (grammar.get("motifs") or {}).items()}


def has_data(folder) -> bool:
    return _dataset(folder) is not None


def _backgrounds(folder, card, kind: str, n: int, seed: int, target: int):
    return spacing.model_backgrounds(card.input_length, kind, n, seed, target, _dataset(folder))


def _filter_motifs(folder, model, card) -> list:
    """First-layer filter PWMs (top-100 rule, 1,000 sequences) for "filter N" motifs."""
    def run():
        X, _, _ = filters.default_sequences(card, 1000)
        return filters.filter_pwms(model, X, rule="top_n")

    return cache.remembered("spacing_filters", (str(folder), cache.checkpoint_stamp(folder)),
                            run, limit=4)


def _site(folder, model, card, text: str, how: str, seed: int):
    """The site to insert for a motif text: "filter N" (a first-layer filter's PWM core)
    or what `regviz.spacing.insert_motif` reads (JASPAR ID or name, A/C/G/T site)."""
    named = spacing.FILTER_SPEC.fullmatch(text or "")
    if named:
        return spacing.filter_site(_filter_motifs(folder, model, card), int(named.group(1)),
                                   how, seed)
    planted = {m.id.upper(): m.label for m in card.planted_motifs}   # one name everywhere
    return spacing.insert_motif(text, how, seed, name=planted.get((text or "").strip().upper()))


def seconds_for(folder, n_backgrounds: int, n_distances: int, n_orientations: int) -> float:
    """Expected seconds of `run_pair` with these numbers of designs."""
    speed = cache.model_speed(str(folder), cache.checkpoint_stamp(folder))
    return costs.spacing_seconds(speed, n_backgrounds, n_distances, n_orientations)


def run_pair(folder, motif_a: str, motif_b: str, how: str, bg_kind: str, n_bg: int,
             seed: int, distances: tuple, orientations: tuple, target: int, convention: str,
             statistic: str = "median", progress=None):
    """`regviz.spacing.spacing_experiment` for the page, kept per settings (`remembered`).
    ``progress(done, total)`` may drive a progress bar the page made."""
    def run():
        with cache.using_model(folder) as (model, card):
            dataset = _dataset(folder)
            bgs = _backgrounds(folder, card, bg_kind, n_bg, seed, target)
            a = _site(folder, model, card, motif_a, how, seed)
            b = _site(folder, model, card, motif_b, how, seed + 1)
            return spacing.spacing_experiment(
                model, a, b, bgs, distances, orientations, target, convention=convention,
                statistic=statistic, grammar=dataset.grammar if dataset else None,
                progress=progress)

    key = (str(folder), cache.checkpoint_stamp(folder), motif_a, motif_b, how, bg_kind,
           int(n_bg), int(seed), tuple(distances), tuple(orientations), int(target),
           convention, statistic)
    return cache.remembered("spacing", key, run, limit=16)


@st.cache_data(show_spinner="Inserting the motif at every position...", max_entries=16)
def run_single(folder: str, stamp: tuple, motif: str, how: str, bg_kind: str, n_bg: int,
               seed: int, target: int, max_copies: int, copy_gap: int):
    """(marginalisation by position on both strands, copy number, orientation effect)."""
    with cache.using_model(folder) as (model, card):
        dataset = _dataset(folder)
        grammar = dataset.grammar if dataset is not None else None
        bgs = _backgrounds(folder, card, bg_kind, n_bg, seed, target)
        m = _site(folder, model, card, motif, how, seed)
        kw = {"target": target, "grammar": grammar}
        return (spacing.marginalize(model, m, bgs, strands=("+", "-"), **kw),
                spacing.copy_number(model, m, bgs, max_copies, copy_gap, **kw),
                spacing.orientation_effect(model, m, bgs, target=target))
