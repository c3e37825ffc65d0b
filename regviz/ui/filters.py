"""The Filters view's cached calls and words: the analysis, logos, one filter's views."""

from __future__ import annotations

import hashlib

import streamlit as st

from regviz import costs, filters, motifs, sequence
from regviz.models.citations import KOO2021
from regviz.plotting import filters as plots
from regviz.ui import cache

DATABASES = list(filters.DATABASES)
RULES = {"basset": "Basset", "max_fraction": "0.5 x max (ExplaiNN)", "top_n": "top 100 (EUGENe)"}
RULE_HELP = "\n\n".join(f"**{k}**: {v}" for k, v in filters.RULE_HELP.items())
to_meme = filters.to_meme
TABLE_COLUMNS = ["filter", "target_id", "target_name", "q_value", "p_value", "tomtom_p",
                 "offset", "strand", "n_sites", "ic", "influence", "influence_rank"]
Q_VALUE_HELP = (
    "A filter's **q-value** is the false discovery rate of calling it matched: among "
    "filters called at q < 0.05, about 5% are expected to match JASPAR only by chance. "
    "Its p-value asks how often a *scrambled* copy of the filter (same width, "
    "information and GC content per position, positions shuffled) matches something in "
    "the collection as well as the filter does, and how often a filter of an "
    "*untrained* copy of the model, built from the same sequences by the same rule, "
    "does (the larger of the two; past the strongest, from a tail fitted to them). "
    "The second asks whether the filter learned the motif or the sequences merely "
    "carry it: on REST peaks a random filter's top sites include aligned REST sites. "
    "Tomtom's own p-values are not used "
    "directly because long, mostly flat filters get tiny ones by chance. Flat flanks "
    "are trimmed first (information < 0.3 bits). q-values are Benjamini-Hochberg "
    "across filters. A secondary match's q-value is the one it would have as the "
    "filter's best match.")


def default_database(card) -> str:
    """The smallest JASPAR collection holding the planted motifs (vertebrates otherwise)."""
    return filters.collection_for(card.planted_motifs) if card.planted_motifs else DATABASES[0]


SOURCES = {"model": "The model's data", "yours": "Your sequences", "random": "Random DNA"}


def _key(folder, rule, threshold, database, n_sequences, source, records) -> tuple:
    digest = hashlib.sha256("\n".join(r.sequence for r in records or ()).encode()).hexdigest()
    return (str(folder), cache.checkpoint_stamp(folder), rule, float(threshold), database,
            int(n_sequences), source, digest[:20])


def _sequences(card, n_sequences: int, source: str, records):
    if source == "yours":
        return filters.sequences_from_records(records, int(card.input_length))
    if source == "random":
        seqs = sequence.random_sequences(int(n_sequences), int(card.input_length), gc=0.42,
                                         seed=1000)
        return sequence.one_hot(seqs), seqs, f"{n_sequences:,} random sequences (42% GC)"
    return filters.default_sequences(card, n_sequences)


def seconds_to_analyze(folder, model, rule, threshold, database, n_sequences, source,
                       records=None) -> float:
    """Expected seconds of `analysis` (0 when its result is kept already)."""
    if cache.peek("filters", _key(folder, rule, threshold, database, n_sequences, source,
                                  records)) is not None:
        return 0.0
    n = len(filters.sequences_from_records(records, model.input_length)[1]) \
        if source == "yours" else n_sequences
    conv, _ = filters.first_layer(model)
    speed = cache.model_speed(str(folder), cache.checkpoint_stamp(folder))
    trained = costs.filters_seconds(speed, n, conv.out_channels)
    control = costs.filters_seconds(speed, n, conv.out_channels, 0)
    copies = filters.reference_copies(conv.out_channels)
    return trained + control + costs.filter_reference_seconds(speed, n, conv.out_channels,
                                                               copies)


def analysis(folder, rule: str, threshold: float, database: str, n_sequences: int,
             source: str = "model", records=None) -> dict:
    """`regviz.filters.analyze_filters` on the chosen sequences (``source``: the model's
    data, the user's ``records`` cut to the model's length, or random DNA), kept per
    settings; a progress bar moves while it runs. Adds ``sequences`` and ``source``."""
    cache.motif_tools_ready()

    def run():
        bar = st.progress(0.0, "Filter analysis")
        with cache.using_model(folder) as (model, card):
            X, seqs, where = _sequences(card, n_sequences, source, records)
            out = filters.analyze_filters(model, X, rule=rule, threshold=threshold,
                                          database=database, planted=card.planted_motifs,
                                          task_names=list(card.task_names),
                                          progress=lambda f, msg: bar.progress(
                                              min(0.8 * f, 1.0), msg))
            bar.progress(0.85, "Control: the same on an untrained copy of the model")
            control = filters.untrained_control(model, X, rule, threshold, database,
                                                reference=out["reference"])
        bar.empty()
        return {**out, "control": control, "sequences": seqs, "source": where, "key": key}

    key = _key(folder, rule, threshold, database, n_sequences, source, records)
    return cache.remembered("filters", key, run)


def summary_markdown(res: dict, database: str) -> str:
    """How many filters match JASPAR, and which planted motifs were recovered."""
    s = res["summary"]
    line = (f"**{s['n_significant']} of {s['n_filters']} filters match a known motif at "
            f"q < 0.05** ({s['fraction_annotated']:.0%}; {s['n_kept']} had at least 10 sites, "
            f"{s['n_tested']} had an informative core to test) in {database}.")
    if res["recovery"] is not None:
        rec = res["recovery"]
        found = ", ".join(rec.loc[rec["recovered"], "name"]) or "none"
        missed = ", ".join(rec.loc[~rec["recovered"], "name"]) or "none"
        line += (f" Planted motifs recovered: **{s['n_recovered']} of {s['n_planted']}** "
                 f"({found}; not recovered: {missed}).")
    if len(res.get("sequences") or ()) < 200:
        line += (f"\n\nOnly {len(res['sequences'])} sequences: too few windows to build "
                 "reliable PWMs. Paste or upload hundreds (e.g. a FASTA of peaks).")
    c = res.get("control")
    if c is not None:
        names = ", ".join(dict.fromkeys(c["called"]["target_name"].astype(str))) if len(
            c["called"]) else ""
        line += (f"\n\nControl: an untrained copy of this model, same sequences and rule: "
                 f"**{c['n_significant']} of {c['n_filters']} filters called** (each a false "
                 f"call{': ' + names if names else ''}).")
    if s.get("n_reference"):
        line += (f" Both are tested against scrambles and against {s['n_reference']} PWMs "
                 "of other untrained copies on the same sequences, so a call says the "
                 "filter matches better than what these sequences alone give a random "
                 "filter.")
    return line


def first_layer_note(model) -> str:
    """Which site rule suits the model's first-layer activation, and why."""
    first_activation = getattr(model.config, "first_activation", None)
    if first_activation == "exp":
        return ("This model's first layer uses an exponential activation ([Koo & Ploenzke "
                f"2021](https://doi.org/{KOO2021.doi})), which makes its filters learn whole "
                "motifs. Basset's rule suits it: under the top-100 rule all sites are "
                "near-exact copies of one consensus, which loses the motif's shape.")
    return ("This model's first layer uses ReLU: the top-100 rule usually gives it sharper "
            "PWMs than Basset's." + (" Deep models with small pools also spread a motif over "
                                    "several ReLU filters; train the same architecture with "
                                    "'Exponential first layer' (Train page) to compare."
                                    if first_activation == "relu" else ""))


def logo_grid(res: dict, shown) -> bytes:
    """PNG of the logos of the shown filters (rows of the best-match table), titled with
    their match (kept per analysis and filters shown)."""
    by_index = {f.index: f for f in res["filters"]}
    titles = [f"filter {r.filter} | " + (f"{r.target_name} {r.target_id} q={r.q_value:.2g}"
                                         if r.significant else "no match")
              for r in shown.itertuples()]
    return cache.png("filter_logos", (res["key"], tuple(titles)), lambda: plots.logo_grid_figure(
        [by_index[i].heights for i in shown["filter"]], titles))


def aligned_logos(res: dict, index: int) -> bytes | None:
    """PNG of the filter above its best JASPAR match, aligned as Tomtom aligned them;
    None when it was not tested or matched nothing."""
    fm = {f.index: f for f in res["filters"]}[index]
    row = res["best"].set_index("filter").loc[index]
    if not row["tested"] or not isinstance(row["target_id"], str):
        return None
    target = motifs.jaspar(row["target_id"])
    return cache.png("filter_match", (res["key"], index), lambda: plots.aligned_match_figure(
        fm.heights, motifs.letter_heights(target.ppm()), int(row["offset"]), row["strand"],
        f"filter {index} ({fm.n_sites} sites)",
        f"{row['target_name']} {row['target_id']} (q = {row['q_value']:.2g})",
        core=(int(row["core_start"]), int(row["core_end"]))))


@st.cache_data(max_entries=32, show_spinner=False)
def activation(folder: str, stamp: tuple, sequence_text: str, index: int):
    """One filter's activation along one sequence (`regviz.filters.activation_table`)."""
    with cache.using_model(folder) as (model, _):
        return filters.activation_table(model, sequence_text, index)


MEME_UPLOAD_MB = 5   # a MEME file of a few hundred motifs is well under 1 MB


@st.cache_data(max_entries=8, show_spinner="Matching the uploaded motifs with Tomtom...")
def match_meme_upload(data: bytes, name: str, database: str):
    """Calibrated JASPAR matches of the motifs in an uploaded MEME file."""
    return filters.match_filters(motifs.parse_meme(data, name), database)
