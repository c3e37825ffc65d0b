"""Figures from finished arrays and tables (plotly; logomaker for logos); no model calls.

Shared figures live in `core` and are re-exported here (``plotting.<figure>(...)``);
each view has its own module (`attribution`, `concepts`, `filters`, `gradcam`,
`spacing`), imported as ``from regviz.plotting import gradcam as gradcam_plots``.
Positions shown to users are 1-based.
"""

from .core import (PALETTE, cooperativity_figure, curves_figure, label_distribution_figure,
                   motif_map_figure, receptive_field_figure, training_figure)

__all__ = ["PALETTE", "cooperativity_figure", "curves_figure", "label_distribution_figure",
           "motif_map_figure", "receptive_field_figure", "training_figure"]
