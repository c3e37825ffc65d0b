"""The Attribution page: defaults, methods, bad input, FIMO hits of the planted motifs."""

import json

from regviz.ui import state
from support import click_if_asked


def test_attribution_page_defaults_method_change_and_bad_sequence(open_page):
    at = click_if_asked(open_page("attribution", "tf-binding_deepbind"), "attr_run")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.multiselect(key="attr_methods").value == ["integrated_gradients",
                                                        "deeplift_shap", "ism"]
    assert len(at.get("plotly_chart")) >= 2              # tracks + ISM heatmap
    click_if_asked(at.multiselect(key="attr_methods").set_value(["saliency"]).run(), "attr_run")
    assert not at.exception and not at.error
    at.text_area(key="attr_tf-binding_deepbind_text").set_value(">short\nACGTACGT\n").run()
    assert not at.exception
    assert ("short is 8 bp but deepbind reads exactly 101 bp. Paste or cut sequences to "
            "101 bp. Got 8 bp instead.") in at.error[0].value


def test_attribution_page_draws_fimo_hits_of_the_planted_motifs(open_page):
    def fimo_field():
        return next(t for t in at.text_input if t.key.startswith("attr_fimo"))

    at = click_if_asked(open_page("attribution", "tf-binding_deepbind", timeout=180), "attr_run")
    models = state.available_models()
    assert not at.exception and not at.error
    assert fimo_field().value.startswith("MA0139.2")  # CTCF first
    layout = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]
    dotted = [s for s in layout.get("shapes", []) if s.get("line", {}).get("dash") == "dot"]
    assert len(dotted) >= 3  # at least one FIMO hit, outlined on each of the 3 tracks
    fimo_field().set_value("NOTAMOTIF").run()
    assert not at.exception and "No JASPAR motif named" in at.error[0].value
    # another model: the field offers that model's planted motifs, not the last ones typed
    at.session_state["active_model"] = next(k for k in models
                                            if k.startswith("enhancer-activity_deepstarr"))
    at.run()
    assert not at.exception and not at.error
    assert fimo_field().value.startswith("MA2283.1")  # srp (GATA) first



def test_slow_attribution_waits_for_its_button_and_says_the_time(open_page, monkeypatch):
    from regviz.ui import widgets
    monkeypatch.setattr(widgets, "AUTO_SECONDS", 1e-9)   # every uncached analysis is "slow"
    at = open_page("attribution", "tf-binding_deepbind", attr_steps=17)  # settings not cached
    assert not at.exception and not at.error, [e.value for e in at.error]
    run = at.button(key="attr_run")
    assert run.label.startswith("Explain (about ") and run.label.endswith(" s)")
    assert not at.get("plotly_chart")                      # nothing computed yet
    assert at.metric[0].label.endswith("(forward strand)")  # the prediction is shown at once
    at.button(key="attr_run").click().run()
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) >= 2                 # tracks + ISM heatmap
    assert at.button(key="attr_sanity_run").label.startswith("Check Integrated gradients")
    at.button(key="attr_sanity_run").click().run()
    assert not at.exception and at.dataframe[-1].value["check"].str.contains("completeness").any()
    at.multiselect(key="attr_methods").set_value(["ism"]).run()
    assert at.get("plotly_chart")                           # kept: no button again
    at.number_input(key="attr_steps").set_value(18).run()   # ISM takes no steps: still kept
    assert at.get("plotly_chart")


def test_the_logo_window_starts_on_the_strongest_signal():
    import numpy as np

    from regviz.ui.attribution import strongest_window
    track = np.zeros(300)
    track[200:210] = -3.0                                   # strong negative signal counts
    track[20:25] = 1.0
    lo, hi = strongest_window(track, 60)
    assert hi - lo == 59 and lo <= 201 and hi >= 210
    assert strongest_window(np.ones(30), 60) == (1, 30)     # short sequences: all of it


def test_a_failed_sanity_check_says_what_to_change_and_offers_it(open_page):
    """IG with 32 steps on the shipped deepstarr's example does not add up: the verdict
    explains it, and the offered change sets the steps the check suggests."""
    at = open_page("attribution", "enhancer-activity_deepstarr", timeout=240,
                   attr_methods=["integrated_gradients"])
    at = click_if_asked(click_if_asked(at, "attr_run"), "attr_sanity_run")
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = next(d.value for d in at.dataframe if "advice" in d.value.columns)
    row = table[table["check"].str.startswith("completeness")].iloc[0]
    assert row["verdict"] == "does NOT hold" and "Use more steps: 256" in row["advice"]
    apply = next(b for b in at.button if b.key == "attr_apply_completeness")
    assert apply.label == "Apply: 256 integrated-gradients steps"
    apply.click().run()
    assert not at.exception and at.number_input(key="attr_steps").value == 256
