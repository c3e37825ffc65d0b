"""Variant effects: SNVs and indels from a list or a VCF, scored in windows of a genome.

* `regviz.variants.parse`: :class:`Variant`, :func:`parse_variant_list`, :func:`read_vcf`
  (cyvcf2; multi-allelic records split; problems per variant).
* `regviz.variants.windows`: :func:`variant_windows` (REF check, centred REF/ALT windows,
  indels keep the window length), :class:`SequenceSource` for pasted sequences.
* `regviz.variants.score`: :func:`score_variants` (alt - ref per output and strand-averaged,
  log2 ratio, rank among all SNVs of the window by fast ISM).
* `regviz.variants.run`: :func:`score_variant_set` (a whole run), :func:`scores_vcf`.
* `regviz.variants.demo`: the demo genome's VCF with known meaning.
"""

from regviz.variants.demo import (breaking_snv, demo_variants, demo_vcf_path, padded_truth_set,
                                  truth_variants, write_demo_vcf)
from regviz.variants.parse import Variant, allele_problem, parse_variant_list, read_vcf
from regviz.variants.run import score_variant_set, scores_vcf
from regviz.variants.score import score_variants
from regviz.variants.windows import SequenceSource, centre, variant_windows

__all__ = [
    "SequenceSource", "Variant", "allele_problem", "breaking_snv", "centre", "demo_variants",
    "demo_vcf_path", "padded_truth_set", "parse_variant_list", "read_vcf",
    "score_variant_set", "score_variants", "scores_vcf", "truth_variants", "variant_windows",
    "write_demo_vcf",
]
