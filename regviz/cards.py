"""Reading a checkpoint card: a model card in words, and the data it was trained on.

`card_markdown` turns ``card.json`` (see `regviz.checkpoints`) into the model card a
user reads: what the model predicts and how to read its outputs, the data (with the
planted motifs for synthetic sets), the training settings and the test metrics.
`dataset_from_card` regenerates a synthetic set from the recipe on the card, so every
view can default to the model's own held-out sequences and their ground truth.
"""

from __future__ import annotations

import math

import pandas as pd

from regviz.dataset import Dataset
from regviz.errors import CheckpointError

HEADLINE = ("auroc_mean", "auprc_mean", "pearson_mean", "spearman_mean")


def _fmt(value) -> str:
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.4f}"
    return str(value)


def metrics_table(card: dict, which: str = "test") -> pd.DataFrame:
    """Per-task metrics of a card (``which`` = "test" or "valid_best"), one row per task."""
    block = ((card.get("metrics") or {}).get(which) or {}).get("tasks") or {}
    rows = [{"task": task, **values} for task, values in block.items()]
    return pd.DataFrame(rows)


def headline(card: dict) -> str:
    """The card's test summary in one line, e.g. "test AUROC 0.968, AUPRC 0.966"."""
    test = (card.get("metrics") or {}).get("test") or {}
    names = {"auroc_mean": "AUROC", "auprc_mean": "AUPRC", "pearson_mean": "Pearson",
             "spearman_mean": "Spearman"}
    parts = [f"{names[k]} {test[k]:.3f}" for k in HEADLINE
             if isinstance(test.get(k), float) and not math.isnan(test[k])]
    return ("test " + ", ".join(parts)) if parts else "no test metrics"


def card_markdown(card: dict) -> str:
    """The model card as markdown: outputs, input, data, training, metrics, provenance."""
    cfg = card.get("config") or {}
    tasks = card.get("tasks") or {}
    outputs = card.get("outputs") or {}
    data = card.get("dataset") or {}
    train = card.get("training") or {}
    inp = card.get("input") or {}
    lines = [f"### {card.get('name') or card.get('registry_name')}",
             f"**Architecture**: `{card.get('registry_name')}`, preset `{cfg.get('preset')}`, "
             f"input {inp.get('length', cfg.get('input_length'))} "
             f"{'bins' if cfg.get('tracks_only') else 'bp'} x {inp.get('channels', 4)} channels"
             + (f" (tracks: {', '.join(inp['track_names'])})" if inp.get("track_names") else "")
             + ".",
             f"**Predicts** ({tasks.get('kind', outputs.get('kind'))}): "
             f"{', '.join(tasks.get('names') or [])}.",
             f"**How to read the outputs**: {outputs.get('how_to_read', '')}.",
             f"**Input encoding**: {inp.get('encoding', 'one-hot, ACGT order')}."]
    if card.get("source"):
        src = card["source"]
        lines.append(f"**Imported from**: {src.get('file')} ({src.get('format')}). "
                     f"{src.get('citation', '')}")
    if data:
        desc = f" {data['description']}" if data.get("description") else ""
        split = ", ".join(f"{k} {v:,}" for k, v in (data.get("splits") or {}).items())
        lines.append(f"**Data**: `{data.get('name')}` ({data.get('source', '')}, "
                     f"{data.get('n', 0):,} sequences of {data.get('length')} bp, seed "
                     f"{data.get('seed')}; splits {split}).{desc}")
        if data.get("motifs"):
            motifs = ", ".join(f"{m['key']} ({m['id']})" for m in data["motifs"])
            lines.append(f"**Planted motifs** (JASPAR 2024): {motifs}.")
    if train:
        lines.append(f"**Training**: {train.get('optimizer', 'Adam')}, lr {train.get('lr')}, "
                     f"batch {train.get('batch_size')}, {train.get('epochs_run')} of at most "
                     f"{train.get('epochs')} epochs (best epoch {train.get('best_epoch')}, "
                     f"early stopping on validation {train.get('monitor')}"
                     f"{', stopped early' if train.get('stopped_early') else ''}), loss "
                     f"{train.get('loss')}, seed {train.get('seed')}"
                     f"{', reverse-complement augmentation' if train.get('rc_augment') else ''}; "
                     f"on {card.get('device') or 'unknown device'} in "
                     f"{_fmt(card.get('duration_s'))} s.")
        if train.get("note"):
            lines.append(f"**Note**: {train['note']}")
    lines.append(f"**Quality**: {headline(card)}.")
    versions = card.get("versions") or {}
    lines.append("**Made with**: " + ", ".join(f"{k} {v}" for k, v in versions.items())
                 + f"; created {card.get('created')}.")
    return "\n\n".join(lines)


def synthetic_kwargs(card: dict, n: int | None = None, seed_offset: int = 0) -> dict | None:
    """`regviz.simulate.make_dataset` keyword arguments of the card's synthetic recipe.

    ``n`` replaces the number of sequences and ``seed_offset`` is added to the
    recipe's seed (a fresh draw from the same generator). None when the card has
    no synthetic-data recipe (user data, imported models). No version check.
    """
    recipe = (card.get("dataset") or {}).get("recipe") or {}
    if recipe.get("function") != "regviz.simulate.make_dataset":
        return None
    kwargs = dict(recipe.get("kwargs") or {})
    if n is not None:
        kwargs["n"] = int(n)
    kwargs["seed"] = int(kwargs.get("seed", 0)) + int(seed_offset)
    return kwargs


def dataset_from_card(card: dict, n: int | None = None, seed_offset: int = 0) -> Dataset:
    """Regenerate the synthetic set a model was trained on, from its card's recipe.

    ``n`` and ``seed_offset`` give a fresh draw from the same generator instead
    (see `synthetic_kwargs`), e.g. held-out data for filter analyses. Raises
    CheckpointError when the card has no recipe (user data, imported models) or
    the generator changed since the card was written.
    """
    from regviz import simulate

    kwargs = synthetic_kwargs(card, n, seed_offset)
    if kwargs is None:
        raise CheckpointError(f"{card.get('name')}: the card has no synthetic-data recipe, so "
                              "its training data cannot be regenerated here.")
    version = card["dataset"]["recipe"].get("generator_version")
    if version != simulate.GENERATOR_VERSION:
        raise CheckpointError(
            f"{card.get('name')}: trained on generator version {version} "
            f"but this regviz has version {simulate.GENERATOR_VERSION}; retrain it "
            "(python -m regviz.shipped).")
    return simulate.make_dataset(**kwargs)
