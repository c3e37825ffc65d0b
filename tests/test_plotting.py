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



def test_attribution_tracks_have_a_base_key_and_titles_clear_of_the_track_above():
    seq = "ACGT" * 50
    tracks = {name: np.random.default_rng(k).normal(size=len(seq))
              for k, name in enumerate(["Integrated gradients", "DeepLIFT-SHAP", "ISM"])}
    fig = attribution_plots.tracks_figure(tracks, seq, title="x")
    keyed = {t.name: t.marker.color for t in fig.data if t.showlegend}
    assert keyed == {b: attribution_plots.BASE_COLORS[b] for b in "ACGT"}
    plot_px = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    domains = [fig.layout[f"yaxis{'' if k == 1 else k}"].domain for k in (1, 2, 3)]
    titles = [a for a in fig.layout.annotations if a.text in tracks]
    assert [a.text for a in titles] == list(tracks)
    for k in (1, 2):                    # title k sits between track k's top and track k-1
        gap_px = (domains[k - 1][0] - domains[k][1]) * plot_px
        assert gap_px >= 1.5 * titles[k].font.size and titles[k].xanchor == "left"


def test_long_tracks_are_outlines_without_a_base_key():
    seq = "ACGT" * 1000
    fig = attribution_plots.tracks_figure({"ISM": np.ones(len(seq))}, seq)
    assert [t.type for t in fig.data] == ["scatter"] and not any(t.showlegend for t in fig.data)
    assert list(fig.data[0].customdata[:4]) == list("ACGT")      # hover still names the base
