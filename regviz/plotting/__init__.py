"""Figures from finished arrays and tables; no model calls, no regviz imports but errors.

Plotly for tracks, curves and heatmaps; logomaker on plain matplotlib Figures for logos
(`regviz.plotting.figures`: `new_figure`, `draw_logo`, `figure_png`, `figure_inches`). Shared figures
live in `core` and are re-exported here; each view has its own module (`attribution`,
`concepts`, `filters`, `gradcam`, `spacing`), imported as
``from regviz.plotting import gradcam as gradcam_plots``. Positions shown to users are
1-based.
"""

from .core import (PALETTE, cooperativity_figure, curves_figure, label_distribution_figure,
                   motif_map_figure, receptive_field_figure, training_figure)
from .figures import BASE_COLORS, draw_logo, figure_inches, figure_png, new_figure

__all__ = ["BASE_COLORS", "PALETTE", "cooperativity_figure", "curves_figure", "draw_logo",
           "figure_inches", "figure_png", "label_distribution_figure", "motif_map_figure", "new_figure",
           "receptive_field_figure", "training_figure"]
