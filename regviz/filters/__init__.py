"""First-layer filters: PWMs from activating sites, calibrated JASPAR matches, influence.

* `regviz.filters.pwms`: :func:`filter_pwms` (Basset, 0.5 x max or top-N site rules),
  :func:`activation_track`, MEME export.
* `regviz.filters.match`: :func:`match_filters` (Tomtom with scramble-calibrated
  q-values; optionally a reference null, :func:`reference_scores`), :func:`planted_recovery`.
* `regviz.filters.influence`: :func:`filter_influence` (Basset's mean-replacement).
* `regviz.filters.analysis`: :func:`analyze_filters`, the whole analysis in one call, with
  its untrained controls (:func:`untrained_reference`, :func:`untrained_control`).
"""

from regviz.filters.analysis import (analyze_filters, default_sequences, fresh_draw,
                                     reference_copies, sequences_from_records, untrained_control,
                                     untrained_copy, untrained_reference)
from regviz.filters.influence import filter_influence
from regviz.filters.match import (DATABASES, Reference, best_matches, collection_for, database_name,
                                  match_filters, planted_recovery, reference_scores, scramble)
from regviz.filters.pwms import (RULE_HELP, RULES, FilterMotif, check_X, filter_pwms, first_layer,
                                 first_layer_outputs, to_meme)
from regviz.filters.tracks import activation_table, activation_track

__all__ = [
    "DATABASES", "RULES", "RULE_HELP", "FilterMotif", "Reference", "activation_table", "activation_track",
    "analyze_filters", "best_matches", "check_X", "collection_for", "database_name",
    "default_sequences", "filter_influence", "filter_pwms", "first_layer", "fresh_draw",
    "first_layer_outputs", "match_filters", "planted_recovery", "reference_copies",
    "reference_scores", "scramble",
    "sequences_from_records", "to_meme", "untrained_control", "untrained_copy",
    "untrained_reference",
]
