"""The lesson's arithmetic (the Concepts page): numbers a class can check by hand.

* `regviz.concepts.convolution`: motif matrices, a convolution as a PSSM scan, layer
  output lengths and connectivity, receptive-field growth.
* `regviz.concepts.learning`: parameter counts, bag of k-mers vs convolution,
  backpropagation on a small graph.
"""

from regviz.concepts.convolution import (COURSE_SEQUENCE, COURSE_SITES, COURSE_SLIDE_PSSM,
                                         LONG_RANGE, RF_MODELS, connectivity, conv1d_scores,
                                         conv_output_length, course_motif, course_neuron_check,
                                         long_range_results, motif_matrices, pool_output_length,
                                         pssm_walkthrough, receptive_field_growth,
                                         torch_output_lengths, window_terms)
from regviz.concepts.learning import (GRAPH_NODES, backprop_example, conv_params, conv_view,
                                      course_parameter_counts, dense_params, dense_vs_conv,
                                      kmer_counts, kmer_vs_cnn, params_vs_length, torch_backprop,
                                      torch_params)

__all__ = [
    "COURSE_SEQUENCE", "COURSE_SITES", "COURSE_SLIDE_PSSM", "GRAPH_NODES", "LONG_RANGE",
    "RF_MODELS", "backprop_example", "connectivity", "conv1d_scores", "conv_output_length",
    "conv_params", "conv_view", "course_motif", "course_neuron_check",
    "course_parameter_counts", "dense_params", "dense_vs_conv", "kmer_counts", "kmer_vs_cnn",
    "long_range_results", "motif_matrices", "params_vs_length", "pool_output_length",
    "pssm_walkthrough", "receptive_field_growth", "torch_backprop", "torch_output_lengths",
    "torch_params", "window_terms",
]
