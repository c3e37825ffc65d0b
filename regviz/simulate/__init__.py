"""Synthetic sets with planted JASPAR motifs and a known grammar (the truth every view
is scored against).

* `regviz.simulate.datasets`: :func:`make_dataset` (deterministic for a seed),
  :func:`list_datasets`, :func:`describe`, :func:`labels_from_annotations`,
  :func:`planted_cooperativity`.
* `regviz.simulate.sets`: the five sets' motifs, grammars and builders.
* `regviz.simulate.engine`: backgrounds, site sampling, placement, chromatin tracks.
* `regviz.simulate.rules`: a grammar evaluated on planted instances (labels, activity).
* `regviz.simulate.tables`: the grammar as tables and cooperativity curves.
"""

from regviz.simulate.datasets import (GENERATOR_VERSION, describe, labels_from_annotations,
                                      list_datasets, make_dataset, planted_cooperativity)
from regviz.simulate.engine import CONVENTIONS, ORIENTATIONS
from regviz.simulate.sets import ACTIVITY_GRAMMAR, BUILDERS, COMMON_OPTIONS
from regviz.simulate.tables import cooperativity_table, describe_rule, grammar_table

__all__ = [
    "ACTIVITY_GRAMMAR", "BUILDERS", "COMMON_OPTIONS", "CONVENTIONS", "GENERATOR_VERSION",
    "ORIENTATIONS", "cooperativity_table", "describe", "describe_rule", "grammar_table",
    "labels_from_annotations", "list_datasets", "make_dataset", "planted_cooperativity",
]
