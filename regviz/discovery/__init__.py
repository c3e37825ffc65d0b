"""Motif discovery from attributions: seqlets, TF-MoDISco patterns, JASPAR, truth, hits.

* `regviz.discovery.contributions`: mean-centred hypothetical contributions
  (DeepLIFT-SHAP, ISM or gradient) and the position-scrambled control.
* `regviz.discovery.patterns`: :func:`find_patterns` (modisco-lite) and :class:`Pattern`.
* `regviz.discovery.annotate`: calibrated JASPAR matches, planted recovery (exact or
  TF family), the per-pattern table.
* `regviz.discovery.hits`: seqlets at a given threshold and pattern hits on sequences.
* `regviz.discovery.run`: :func:`discover_motifs` (all steps) and :func:`label_hits`.
* `regviz.discovery.export`: MEME, BED/TSV and modisco HDF5 downloads.
"""

from regviz.discovery.annotate import match_patterns, pattern_table, recovery, site_overlap
from regviz.discovery.contributions import (METHODS, SUM, SummedOutputs, actual_track,
                                            default_method,
                                            hypothetical_contributions, scrambled)
from regviz.discovery.export import hdf5_zip, meme_text, seqlets_bed, seqlets_table
from regviz.discovery.hits import call_hits, call_seqlets, thresholds, window_sums
from regviz.discovery.patterns import DEFAULTS, Pattern, find_patterns
from regviz.discovery.run import Discovery, check_model, discover_motifs, label_hits

__all__ = [
    "DEFAULTS", "METHODS", "SUM", "actual_track", "call_hits", "call_seqlets", "check_model",
    "default_method", "discover_motifs", "Discovery", "find_patterns", "hdf5_zip",
    "hypothetical_contributions", "label_hits", "match_patterns", "meme_text", "Pattern",
    "pattern_table", "recovery", "scrambled", "seqlets_bed", "seqlets_table",
    "site_overlap", "SummedOutputs", "thresholds", "window_sums"
]
