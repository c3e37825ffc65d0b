"""Figures from finished arrays and tables (plotly; logomaker for logos); no model calls.

One module per view; everything is re-exported here, so pages call
``plotting.<figure>(...)``. Positions shown to users are 1-based.
"""

from .core import (PALETTE, cooperativity_figure, curves_figure, label_distribution_figure,
                   motif_map_figure, receptive_field_figure, training_figure)

__all__ = ["PALETTE", "cooperativity_figure", "curves_figure", "label_distribution_figure",
           "motif_map_figure", "receptive_field_figure", "training_figure"]
