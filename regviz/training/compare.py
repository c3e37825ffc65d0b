"""Is a newly trained model better than the active one? Compare two cards' test metrics.

Two models are comparable when they were tested on the same data: the same dataset name
and task kind. The headline metric is the cards' test AUROC mean (binary, multitask) or
Pearson mean (regression), as `regviz.training.metrics.primary_metric` watches it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from regviz.checkpoints import Card
from regviz.errors import RegvizError
from regviz.training import metrics

LABELS = {"auroc_mean": "AUROC", "pearson_mean": "Pearson"}
TOLERANCE = 0.005


@dataclass(frozen=True)
class Comparison:
    """Two models' headline test metric on the same data.

    Attributes
    ----------
    dataset : str
        The data both were tested on.
    metric : str
        "AUROC" or "Pearson" (the mean over tasks).
    new, old : float
        The new model's and the active model's test metric.
    worse : bool
        True when the new model is below the active one by more than the tolerance.
    """

    dataset: str
    metric: str
    new: float
    old: float
    worse: bool

    def describe(self) -> str:
        """One line, e.g. "test AUROC 0.643, against 0.975 for the active model on the same
        data (tf-binding)"."""
        return (f"test {self.metric} {self.new:.3f}, against {self.old:.3f} for the active "
                f"model on the same data ({self.dataset})")


def headline_metric(card: Card) -> tuple[str, float] | None:
    """(metric key, value) of a card's headline test metric, or None when it has none."""
    try:
        key = metrics.primary_metric(card.task_kind)
    except RegvizError:
        return None
    value = card.test_metrics.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return key, float(value)


def compare_cards(new: Card, old: Card, tolerance: float = TOLERANCE) -> Comparison | None:
    """The new model's test metric against the old one's, or None when they were not
    tested on the same data (dataset name and task kind) or a card has no test metric.

    ``worse`` is set when ``new`` is below ``old`` by more than ``tolerance``.
    """
    same = (new.dataset is not None and old.dataset is not None and new.dataset.name
            and new.dataset.name == old.dataset.name and new.task_kind == old.task_kind)
    a, b = headline_metric(new), headline_metric(old)
    if not same or a is None or b is None or a[0] != b[0]:
        return None
    return Comparison(dataset=str(new.dataset.name), metric=LABELS.get(a[0], a[0]),
                      new=a[1], old=b[1], worse=a[1] < b[1] - tolerance)
