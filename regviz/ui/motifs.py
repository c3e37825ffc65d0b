"""The Motifs view's cached calls and words: a discovery run, its logos and tables."""

from __future__ import annotations

import hashlib

import streamlit as st

from regviz import costs, discovery, filters, limits, motifs, sequence
from regviz.attribution import relevant_motifs
from regviz.plotting import discovery as plots
from regviz.ui import cache
from regviz.ui import filters as filters_view

METHODS = discovery.METHODS
DATABASES = filters_view.DATABASES
SOURCES = filters_view.SOURCES
default_database = filters_view.default_database
MAX_SEQUENCES = 5000


def max_sequences(length: int) -> int:
    """Sequences of ``length`` bp one run may take (`limits.MAX_DISCOVERY_POSITIONS`)."""
    return max(1, min(MAX_SEQUENCES, limits.MAX_DISCOVERY_POSITIONS // max(int(length), 1)))


def _key(folder, n, source, records, outputs, method, database, control) -> tuple:
    digest = hashlib.sha256("\n".join(r.sequence for r in records or ()).encode()).hexdigest()
    return (str(folder), cache.checkpoint_stamp(folder), int(n), source, digest[:20],
            tuple(outputs), method, database, bool(control))


def _sequences(card, n: int, source: str, records):
    """``(X, sequences, where they come from, planted sites or None)``."""
    if source == "yours":
        return (*filters.sequences_from_records(records, int(card.input_length),
                                                max_sequences(card.input_length)), None)
    if source == "random":
        seqs = sequence.random_sequences(int(n), int(card.input_length), gc=0.42, seed=1000)
        return sequence.one_hot(seqs), seqs, f"{n:,} random sequences (42% GC)", None
    draw = filters.fresh_draw(card, n)
    if draw is None:
        return (*filters.default_sequences(card, n), None)
    return (sequence.one_hot(draw.seqs), draw.seqs, f"{n:,} fresh sequences from the model's "
            f"synthetic generator ({draw.name}, not its training data)", draw.annotations)


SCI = {**{c: st.column_config.NumberColumn(format="%.2e") for c in ("q_value", "best_q")},
       "on_sites": st.column_config.NumberColumn(
           "on planted sites", format="percent",
           help="Fraction of the pattern's seqlets that overlap a planted site")}
OUTPUTS_HELP = (
    "Each output separately finds the motifs of each task, with their sign per task (a "
    "motif can raise one output and lower another), at one run per output. All outputs "
    "added up finds every task's motifs in one run (contributions are linear in the "
    "output, so this is the sum of the per-output contributions); the default for "
    "models with more than two outputs.")
METHOD_HELP = (
    "Hypothetical contributions: for every position, what each of the four bases would "
    "contribute, mean-centred. DeepLIFT-SHAP (3 dinucleotide-shuffled references) is what "
    "BPNet and DeepSTARR used and the default where DeepLIFT is exact for the model; ISM "
    "is exact but slow on large models; the gradient is fastest and most local.")
CONTROL_HELP = (
    "The same run on contributions whose positions are permuted within each sequence (the "
    "four bases of a position kept together): the values are the model's, but they no "
    "longer line up with any motif in the sequence. A sound discovery finds no pattern "
    "that matches JASPAR here.")


def default_method(model) -> str:
    return discovery.default_method(model)


def output_choices(model, card) -> dict:
    """choice -> (label, outputs for `discover_motifs`): each output separately, all added
    up (models with several outputs), and each output alone."""
    names = list(card.task_names)
    if len(names) == 1:
        return {"o0": (names[0], (0,))}
    out = {"each": (f"Each output separately ({len(names)} runs)", tuple(range(len(names)))),
           "sum": ("All outputs added up (one run)", (discovery.SUM,))}
    out.update({f"o{k}": (f"{n} only", (k,)) for k, n in enumerate(names)})
    return out


def default_output_choice(model) -> int:
    """Index in `output_choices`: each output separately up to two outputs, else summed."""
    n_out = int(getattr(model.config, "n_outputs", 1) or 1)
    return 0 if n_out <= 2 else 1


def timing_note(d) -> str:
    s = d.seconds
    return (f"Took {s['contributions']:.0f} s for contributions, {s['modisco']:.0f} s for "
            f"TF-MoDISco, {s['matching']:.0f} s for JASPAR.")


def control_markdown(res: dict) -> str:
    t = res["discovery"].table
    n_sig = int(t["match"].notna().sum()) if len(t) else 0
    verdict = "as it should" if n_sig == 0 else "check the settings: expected none"
    return (f"Scrambled control: **{len(t)} patterns, {n_sig} matching JASPAR at q < 0.05** "
            f"({verdict}).")


def seconds_to_discover(model, folder, n, source, records, outputs, method, database,
                        control=False) -> float:
    """Expected seconds of `run` (0 when its result is kept already); AttributionError for
    a model that reads more than DNA."""
    discovery.check_model(model)
    if cache.peek("motifs", _key(folder, n, source, records, outputs, method, database,
                                 control)) is not None:
        return 0.0
    if source == "yours":
        n = len(filters.sequences_from_records(records, model.input_length,
                                               max_sequences(model.input_length))[1])
    speed = cache.model_speed(str(folder), cache.checkpoint_stamp(folder))
    return costs.discovery_seconds(speed, method, int(n), len(outputs))


def _relevant(card):
    """Names of the planted motifs the labels depend on (from the card's grammar)."""
    draw = filters.fresh_draw(card, 10)
    if draw is None or not draw.grammar:
        return None
    return sorted({m for t in draw.task_names for m in relevant_motifs(draw.grammar, t)})


def run(folder, n: int, source: str, records, outputs, method: str, database: str,
        control: bool = False):
    """`regviz.discovery.discover_motifs` for the page, kept per settings; a progress bar
    moves while it runs (Cancel stops it at the next move). Returns ``{"discovery",
    "names", "source", "key"}``."""
    cache.motif_tools_ready()
    key = _key(folder, n, source, records, outputs, method, database, control)

    def compute():
        bar = st.progress(0.0, "Motif discovery")
        with cache.using_model(folder) as (model, card):
            X, seqs, where, sites = _sequences(card, n, source, records)
        planted = card.planted_motifs if source == "model" else None
        relevant = _relevant(card) if planted else None
        res = discovery.discover_motifs(
            model, X, outputs, list(card.task_names), method, database, planted, relevant,
            sites, control=control, progress=lambda f, msg: bar.progress(min(f, 1.0), msg),
            model_lock=lambda: cache.using_model(folder))
        bar.empty()
        return {"discovery": res, "names": [f"seq{i}" for i in range(len(seqs))],
                "source": where, "key": key}

    result = cache.remembered("motifs", key, compute, limit=4)
    if not control:     # this session's labels for the Attribution page
        st.session_state[f"motifs_last_{folder}"] = key
    return result


def summary_markdown(res: dict) -> str:
    d = res["discovery"]
    t = d.table
    n_match = int(t["match"].notna().sum()) if len(t) else 0
    line = (f"**{len(t)} patterns** ({int((t['sign'] == 'positive').sum()) if len(t) else 0} "
            f"positive, {int((t['sign'] == 'negative').sum()) if len(t) else 0} negative) "
            f"from {d.n_sequences:,} sequences of {d.length:,} bp, "
            f"{n_match} matching JASPAR at q < 0.05.")
    if d.recovery is not None:
        r = d.recovery
        task = r[r["role"] == "task"]
        dis = r[r["role"] == "distractor"]
        found = ", ".join(task.loc[task["recovered"], "name"]) or "none"
        missed = ", ".join(task.loc[~task["recovered"], "name"]) or "none"
        line += (f" Planted motifs the labels depend on, recovered: **{int(task['recovered'].sum())}"
                 f" of {len(task)}** ({found}; missed: {missed}).")
        if len(dis):
            seen = ", ".join(dis.loc[dis["recovered"], "name"])
            line += (f" Label-free distractors found: {seen or 'none'} (of "
                     f"{', '.join(dis['name'])}).")
        other = t[t["planted"] == ""]
        line += f" Patterns that match nothing planted: **{len(other)}**"
        if len(other) and "on_sites" in other:
            line += (f" (their seqlets sit on planted sites {other['on_sites'].mean():.0%} of "
                     "the time: weak or mixed clusters of planted motifs)")
        line += "."
    return line


def silent_outputs_note(res: dict) -> str:
    """Which outputs gave no pattern, and the other contributions to try ("" if none)."""
    d = res["discovery"]
    found = set(d.table["output"]) if len(d.table) else set()
    silent = [o for o in d.outputs if o not in found]
    if not silent:
        return ""
    line = (f"No pattern for **{', '.join(silent)}** with {METHODS[d.method]}: too few "
            "seqlets passed the null.")
    if d.method != "ism":
        line += (" Try **In-silico mutagenesis** (Contributions): on the five-factor ENCODE "
                 "model's ELK1 output, DeepLIFT-SHAP found no pattern on 500 ELK1 peaks and "
                 "ISM found the ETS pattern (best match ELK1).")
    return line


def logos(res: dict, names) -> bytes:
    """PNG: for each named pattern its CWM, PPM and aligned best JASPAR match."""
    d = res["discovery"]
    by_name = {p.name: p for p in d.patterns}
    best = d.matches[d.matches["rank"] == 1].set_index("query_name") if len(d.matches) else None

    def figure():
        rows = []
        for name in names:
            p = by_name[name]
            s, e = p.core()
            row = {"cwm": p.cwm[:, s:e], "heights": motifs.letter_heights(p.ppm[:, s:e]),
                   "title": f"{name} ({p.n_seqlets} seqlets)"}
            b = best.loc[name] if best is not None and name in best.index else None
            if b is not None and bool(b["significant"]):
                target = motifs.jaspar(b["target_id"])
                row.update(match_heights=motifs.letter_heights(target.ppm()),
                           offset=int(b["offset"]), strand=b["strand"],
                           match_title=f"{b['target_name']} {b['target_id']} "
                                       f"(q {b['q_value']:.1e})")
            rows.append(row)
        return plots.patterns_figure(rows)

    return cache.png("motif_patterns", (res["key"], tuple(names)), figure)


def downloads(res: dict) -> dict:
    """filename -> (bytes or text, mime) of the discovery's downloads (made once)."""
    return cache.remembered("motif_downloads", res["key"], lambda: _downloads(res), limit=4)


def _downloads(res: dict) -> dict:
    d = res["discovery"]
    out = {"patterns.meme": (discovery.meme_text(d.patterns), "text/plain"),
           "seqlets.bed": (discovery.seqlets_bed(d.patterns, res["names"]), "text/plain"),
           "seqlets.tsv": (discovery.seqlets_table(d.patterns, res["names"]).to_csv(
               sep="\t", index=False), "text/tab-separated-values"),
           "patterns.csv": (d.table.to_csv(index=False), "text/csv")}
    if d.recovery is not None:
        out["recovery.csv"] = (d.recovery.to_csv(index=False), "text/csv")
    if any(p is not None for pair in d.raw.values() for p in pair):
        out["modisco_results.zip"] = (discovery.hdf5_zip(d.raw), "application/zip")
    return out


def kept_discovery(folder):
    """This session's newest discovery on this checkpoint, while it is still kept (for
    the Attribution page's labels), or None. Another session's runs are not used."""
    key = st.session_state.get(f"motifs_last_{folder}")
    if key is None or key[1] != cache.checkpoint_stamp(folder):
        return None
    res = cache.peek("motifs", key)
    return res["discovery"] if res is not None else None


def hits(folder, sequence_text: str, output: str):
    """Hits of the kept discovery's patterns on one sequence (None without a discovery):
    ``label`` short for the figure ("Dev/pos_1: FOS"), ``description`` in full."""
    d = kept_discovery(folder)
    if d is None:
        return None
    with cache.using_model(folder) as (model, _):
        found = discovery.label_hits(d, model, sequence.one_hot([sequence_text]),
                                     output if output in d.outputs else None)
    match = d.table.set_index("pattern")["match"]
    return found.assign(description=found["label"], label=[
        f"{p}: {match[p]}" if isinstance(match[p], str) else p for p in found["pattern"]])


def hits_caption(found) -> str:
    """One line under the Attribution tracks: the patterns found there, or how to get
    them (a Motifs-page run on this model)."""
    if found is None:
        return ("Run the Motifs page on this model to label these tracks with the patterns "
                "the whole model learned.")
    if not len(found):
        return "No pattern of your Motifs-page run is called in this sequence."
    where = "; ".join(f"{r.description} at {r.start + 1}-{r.end} ({r.strand})"
                      for r in found.itertuples())
    return f"Patterns of your Motifs-page run (purple boxes): {where}."
