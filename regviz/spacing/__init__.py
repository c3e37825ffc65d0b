"""In-silico motif experiments on a trained model (DeepSTARR-style).

* `regviz.spacing.pairs`: :func:`spacing_experiment` (motif pairs at every distance and
  orientation, cooperativity with 95% intervals, the planted truth beside it).
* `regviz.spacing.single`: :func:`marginalize`, :func:`copy_number`,
  :func:`orientation_effect`, :func:`infer_mode`.
* `regviz.spacing.inputs`: motifs to insert (JASPAR, a site, a PWM, a filter) and
  backgrounds (:func:`make_backgrounds`).
* `regviz.spacing.design`: the shared engine (batched predictions, summaries).
"""

from regviz.simulate.engine import ORIENTATIONS
from regviz.spacing.design import ExperimentCancelled, summarize
from regviz.spacing.inputs import (FILTER_SPEC, InsertMotif, filter_site, insert_motif,
                                   make_backgrounds, model_backgrounds)
from regviz.spacing.pairs import CONVENTIONS, DISTANCE_NOTE, spacing_experiment
from regviz.spacing.single import copy_number, infer_mode, marginalize, orientation_effect

__all__ = [
    "CONVENTIONS", "DISTANCE_NOTE", "FILTER_SPEC", "ORIENTATIONS", "ExperimentCancelled",
    "InsertMotif", "copy_number", "filter_site", "infer_mode", "insert_motif",
    "make_backgrounds", "marginalize", "model_backgrounds", "orientation_effect", "spacing_experiment",
    "summarize",
]
