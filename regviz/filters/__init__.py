"""First-layer filters: PWMs from activating sites, calibrated JASPAR matches, influence.

* `regviz.filters.pwms`: :func:`filter_pwms` (Basset, 0.5 x max or top-N site rules),
  :func:`activation_track`, MEME export.
* `regviz.filters.match`: :func:`match_filters` (Tomtom with scramble-calibrated
  q-values), :func:`planted_recovery`.
* `regviz.filters.influence`: :func:`filter_influence` (Basset's mean-replacement).
* `regviz.filters.analysis`: :func:`analyze_filters`, the whole analysis in one call.
"""

from regviz.filters.analysis import (analyze_filters, default_sequences, fresh_draw,
                                     sequences_from_records, untrained_control, untrained_copy)
from regviz.filters.influence import filter_influence
from regviz.filters.match import (DATABASES, best_matches, collection_for, database_name,
                                  match_filters, planted_recovery, scramble)
from regviz.filters.pwms import (RULE_HELP, RULES, FilterMotif, check_X, filter_pwms, first_layer,
                                 first_layer_outputs, to_meme)
from regviz.filters.tracks import activation_table, activation_track

__all__ = [
    "DATABASES", "RULES", "RULE_HELP", "FilterMotif", "activation_table", "activation_track",
    "analyze_filters", "best_matches", "check_X", "collection_for", "database_name",
    "default_sequences", "filter_influence", "filter_pwms", "first_layer", "fresh_draw",
    "first_layer_outputs", "match_filters", "planted_recovery", "scramble",
    "sequences_from_records", "to_meme", "untrained_control", "untrained_copy",
]
