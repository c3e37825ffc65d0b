"""Figures: matplotlib logos are plain Figures (no pyplot state, nothing leaks in a
long-running server) that turn into PNG bytes."""

import matplotlib.pyplot as plt
import numpy as np

from regviz import concepts, motifs
from regviz.plotting import attribution as attribution_plots
from regviz.plotting import concepts as concepts_plots
from regviz.plotting import figure_png
from regviz.plotting import filters as filters_plots


def test_logo_figures_leave_no_pyplot_figures_behind():
    before = plt.get_fignums()
    ctcf = motifs.jaspar("CTCF")
    heights = motifs.letter_heights(ctcf.ppm())
    figures = [
        attribution_plots.logo_figure(np.random.default_rng(0).normal(size=(4, 40)), 5, 30),
        filters_plots.logo_grid_figure([heights, heights[:, :6]], ["a", "b"]),
        filters_plots.aligned_match_figure(heights[:, 2:12], heights, 2, "-", "f", "CTCF"),
        concepts_plots.matrix_logos_figure(concepts.motif_matrices(concepts.course_motif())),
    ]
    for _ in range(3):       # reruns of a page build the same figures again
        for fig in figures:
            assert figure_png(fig, dpi=30)[:8] == b"\x89PNG\r\n\x1a\n"
    assert plt.get_fignums() == before

