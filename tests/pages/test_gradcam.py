"""The Grad-CAM page: one window of a hand-built motif model, region scans, and a model
without positional conv layers."""

import pytest

from regviz import checkpoints, simulate
from regviz.models import build
from support import motif_model

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")


def motif_card():
    """A card that ties the motif model to a small enhancer-4kb set (planted cores)."""
    kwargs = {"name": "enhancer-4kb", "n": 40, "seed": 0, "noise": True}
    recipe = {"function": "regviz.simulate.make_dataset", "kwargs": kwargs,
              "generator_version": simulate.GENERATOR_VERSION}
    return checkpoints.make_card(motif_model(4000), simulate.make_dataset(**kwargs),
                                 recipe=recipe, name="motif_decode")


def test_gradcam_page_window_and_scan(open_page):
    at = open_page("gradcam", (motif_model(4000), motif_card()), timeout=180)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.radio(key="gc_source_motif_decode").value == "Held-out example"
    assert len(at.get("plotly_chart")) == 1
    table = at.dataframe[0].value
    assert table["bin_bp"].tolist() == [1, 4, 8]          # the motif model's layers
    assert at.multiselect(key="gc_layers_motif_decode").value == ["convs.0.act", "convs.1.act",
                                                      "convs.2.act"]
    at.radio(key="gc_source_motif_decode").set_value("Paste or upload").run()
    at.text_area(key="gc_seq_text").set_value(">short\nACGTACGT\n").run()
    assert not at.exception
    assert "short is 8 bp but decode reads exactly 4,000 bp" in at.error[0].value
    at.radio(key="gc_mode").set_value("Scan a genome region").run()
    assert not at.exception and not at.error
    at.text_input(key="gc_region").set_value("chrDemo1:1-12,000").run()
    at.button(key="gc_scan").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(at.get("plotly_chart")) == 1
    at.text_input(key="gc_region").set_value("chrDemo1:59,001-61,000").run()
    at.button(key="gc_scan").click().run()
    assert not at.exception
    assert "runs past the end of chrDemo1" in at.error[0].value


def test_gradcam_page_explains_a_model_without_conv_layers(open_page):
    at = open_page("gradcam", (build("lstm", 500, 1), {"name": "lstm"}))
    assert not at.exception
    assert "enhancer-4kb_decode" in at.warning[0].value


def test_gradcam_page_default_scan_finds_the_demo_genomes_planted_cores(open_page):
    """The shipped decode model, the demo genome and the default region: both planted
    cores found (recall and precision shown from the BED beside the genome)."""
    at = open_page("gradcam", "enhancer-4kb_decode", timeout=180)
    at.radio(key="gc_mode").set_value("Scan a genome region").run()
    assert at.text_input(key="gc_region").value == "chrDemo1:1-20,000"
    at.button(key="gc_scan").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Recall (known cores hit by a call)"] == "100%"
    assert metrics["Precision (calls on a known core)"] == "100%"
    assert metrics["Median peak distance to its core"] == "0 bp"
    assert any("regviz_demo_genome_v" in c.value and "cores.bed" in c.value for c in at.caption)
    figure = at.get("plotly_chart")[0].proto.spec
    assert "chrDemo1:" in figure and "known core" in figure
