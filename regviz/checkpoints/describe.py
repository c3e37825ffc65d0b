"""A card in words, and the data it was trained on.

`card_markdown` turns a `Card` into the model card a user reads: what the model
predicts and how to read its outputs, the data (with the planted motifs for synthetic
sets), the training settings and the test metrics. `dataset_from_card` regenerates a
synthetic set from the recipe on the card, so every view can default to the model's
own held-out sequences and their ground truth.
"""

from __future__ import annotations

import math

import pandas as pd

from regviz import simulate
from regviz.checkpoints.card import Card
from regviz.data.dataset import Dataset
from regviz.errors import CheckpointError


def _fmt(value) -> str:
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.4f}"
    return str(value)


def _seconds(value) -> str:
    """``347.8`` -> "348 s"; ``2.34`` -> "2.3 s"; unknown -> "unknown time"."""
    if not isinstance(value, (int, float)) or math.isnan(value):
        return "unknown time"
    return f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"


def metrics_table(card: Card, which: str = "test") -> pd.DataFrame:
    """Per-task metrics of a card (``which`` = "test" or "valid_best"), one row per task."""
    block = (card.metrics.get(which) or {}).get("tasks") or {}
    return pd.DataFrame([{"task": task, **values} for task, values in block.items()])


def headline(card: Card) -> str:
    """The card's test summary in one line, e.g. "test AUROC 0.968, AUPRC 0.966"."""
    return card.headline()


def card_markdown(card: Card) -> str:
    """The model card as markdown: outputs, input, data, training, metrics, provenance.

    Text that comes from the file (names, notes, descriptions) is escaped, so a card
    cannot show links or images to other users.
    """
    cfg, inp, data, train = card.config, card.input, card.dataset, card.training or {}
    e = escape
    lines = [f"### {e(card.title)}",
             f"**Architecture**: {code(card.registry_name)}, preset {code(cfg.get('preset'))}, "
             f"input {card.input_length} {'bins' if cfg.get('tracks_only') else 'bp'} x "
             f"{inp.channels if inp is not None else 4} channels"
             + (f" (tracks: {e(', '.join(card.track_names))})" if card.track_names else "")
             + ".",
             f"**Predicts** ({e(card.task_kind)}): {e(', '.join(card.task_names))}.",
             f"**How to read the outputs**: {e(card.how_to_read)}.",
             f"**Input encoding**: {e(inp.encoding if inp is not None else '')}."]
    if card.source:
        src = card.source
        lines.append(f"**Imported from**: {e(src.get('file'))} ({e(src.get('format'))}). "
                     f"{e(src.get('citation', ''))}")
    if data is not None:
        desc = f" {e(data.description)}" if data.description else ""
        split = ", ".join(f"{e(k)} {v:,}" for k, v in data.splits.items())
        lines.append(f"**Data**: {code(data.name)} ({e(data.source or '')}, "
                     f"{data.n or 0:,} sequences of {data.length} bp, seed {data.seed}; splits "
                     f"{split}).{desc}")
        if card.planted_motifs:
            motifs = ", ".join(e(m.label) for m in card.planted_motifs)
            lines.append(f"**Planted motifs** (JASPAR 2024): {motifs}.")
    if train:
        lines.append(f"**Training**: {e(train.get('optimizer', 'Adam'))}, lr {train.get('lr')}, "
                     f"batch {train.get('batch_size')}, {train.get('epochs_run')} of at most "
                     f"{train.get('epochs')} epochs (best epoch {train.get('best_epoch')}, "
                     f"early stopping on validation {e(train.get('monitor'))}"
                     f"{', stopped early' if train.get('stopped_early') else ''}), loss "
                     f"{e(train.get('loss'))}, seed {train.get('seed')}"
                     f"{', reverse-complement augmentation' if train.get('rc_augment') else ''}; "
                     f"on {e(card.device or 'unknown device')} in {_seconds(card.duration_s)}.")
        group = train.get("distributed")
        if group:
            lines.append(f"**Distributed**: {group.get('world_size')} processes "
                         f"({e(group.get('backend'))}, DDP), global batch "
                         f"{group.get('global_batch')} ({group.get('per_process_batch')} per "
                         "process).")
        if card.note:
            lines.append(f"**Note**: {e(card.note)}")
    lines.append(f"**Quality**: {card.headline()}.")
    base = (card.metrics or {}).get("baselines")
    if base:
        rows = []
        for task, kmer, pwm in list(zip(card.task_names, base.get("kmer", ()),
                                        base.get("pwm", ())))[:6]:
            rows.append(f"{e(task)}: {base.get('k')}-mer {_fmt(kmer)}, best PWM "
                        f"{e(pwm.get('motif'))} {_fmt(pwm.get('score'))}")
        lines.append(f"**Baselines on the same test split** ({e(base.get('metric'))}): "
                     + "; ".join(rows) + ".")
    held = (card.metrics or {}).get("encode_test")
    if held:
        lines.append(f"**Held-out ENCODE test set** ({e(held.get('set'))}): AUROC "
                     f"{_fmt(held.get('auroc'))}; the published DeepBind model "
                     f"{e(held.get('published_model'))}: {_fmt(held.get('published_deepbind_auroc'))}"
                     f"; best JASPAR PWM score ({e(held.get('pwm'))}) alone: "
                     f"{_fmt(held.get('pwm_baseline_auroc'))}.")
    by_factor = (card.metrics or {}).get("encode_test_by_factor")
    if by_factor:
        rows = ["| output | B-set AUROC | published DeepBind | single-factor DeepBind | "
                "JASPAR PWM | vs the other factors' peaks |", "|---|---:|---:|---:|---:|---:|"]
        rows += [f"| {e(name)} | {_fmt(m.get('auroc'))} | "
                 f"{_fmt(m.get('published_deepbind_auroc'))} | "
                 f"{_fmt(m.get('single_factor_deepbind_auroc'))} | "
                 f"{_fmt(m.get('pwm_baseline_auroc'))} | {_fmt(m.get('specificity_auroc'))} |"
                 for name, m in by_factor.items()]
        lines.append("**Held-out ENCODE test sets**: AUROC of each output on its factor's "
                     "B set (500 peaks, 500 shuffles), and on its factor's peaks against "
                     "the other factors' peaks.\n\n" + "\n".join(rows))
    versions = card.versions or {}
    lines.append("**Made with**: " + ", ".join(f"{e(k)} {e(v)}" for k, v in versions.items())
                 + f"; created {e(card.created)}.")
    return "\n\n".join(lines)


_MARKDOWN = set("\\`*_{}[]()<>#+-.!|~$:/")


def escape(text) -> str:
    """``text`` with every markdown (and HTML) special character backslash-escaped."""
    return "".join("\\" + c if c in _MARKDOWN else c for c in str(text))


def code(text) -> str:
    """``text`` as a markdown code span (backticks inside it become quotes)."""
    return "`" + str(text).replace("`", "'").replace("\n", " ") + "`"


def synthetic_kwargs(card: Card, n: int | None = None, seed_offset: int = 0) -> dict | None:
    """`Card.synthetic_kwargs` (kept as a function for callers that map over cards)."""
    return card.synthetic_kwargs(n, seed_offset)


def dataset_from_card(card: Card, n: int | None = None, seed_offset: int = 0) -> Dataset:
    """Regenerate the synthetic set a model was trained on, from its card's recipe.

    ``n`` and ``seed_offset`` give a fresh draw from the same generator instead
    (see `Card.synthetic_kwargs`), e.g. held-out data for filter analyses. Raises
    CheckpointError when the card has no recipe (user data, imported models) or
    the generator changed since the card was written.
    """
    kwargs = card.synthetic_kwargs(n, seed_offset)
    if kwargs is None:
        raise CheckpointError(f"{card.title}: the card has no synthetic-data recipe, so "
                              "its training data cannot be regenerated here.")
    version = card.dataset.recipe.get("generator_version")
    if version != simulate.GENERATOR_VERSION:
        raise CheckpointError(
            f"{card.title}: trained on generator version {version} "
            f"but this regviz has version {simulate.GENERATOR_VERSION}; retrain it "
            "(regviz-shipped).")
    return simulate.make_dataset(**kwargs)
