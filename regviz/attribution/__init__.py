"""Per-base attributions: captum methods, exact fast ISM, sanity checks, ground truth.

* `regviz.attribution.methods`: :func:`attribute` (saliency, input x gradient,
  integrated gradients, DeepLIFT, DeepLIFT-SHAP, GradientSHAP, ISM), references,
  :func:`importance` (a per-base track from ``(n, 4, L)`` attributions).
* `regviz.attribution.mutagenesis`: :func:`ism`, exact and fast on convolutional models.
* `regviz.attribution.sanity_checks`: completeness, reference sensitivity, strand consistency.
* `regviz.attribution.ground_truth`: scoring a track against the planted motifs.
* `regviz.attribution.inputs`: the checks every method shares.
"""

from regviz.attribution.ground_truth import (motif_mask, positional_scores, relevant_motifs,
                                             score_tracks, test_subset)
from regviz.attribution.inputs import check_target, model_name
from regviz.attribution.methods import (BASELINES, METHODS, TITLES, attribute, deeplift_exact,
                                        importance, methods_for, references)
from regviz.attribution.mutagenesis import ism, ism_brute_force, supports_fast_ism
from regviz.attribution.sanity_checks import reused_nonlinear_modules, sanity

__all__ = [
    "BASELINES", "METHODS", "TITLES", "attribute", "check_target", "deeplift_exact",
    "importance", "ism", "ism_brute_force", "methods_for", "model_name", "motif_mask",
    "positional_scores", "references", "relevant_motifs", "reused_nonlinear_modules",
    "sanity", "score_tracks", "supports_fast_ism", "test_subset",
]
