"""The Attribution page: defaults, methods, bad input, FIMO hits of the planted motifs."""

import json

from regviz.ui import state


def test_attribution_page_defaults_method_change_and_bad_sequence(open_page):
    at = open_page("attribution", "tf-binding_deepbind")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.multiselect(key="attr_methods").value == ["integrated_gradients",
                                                        "deeplift_shap", "ism"]
    assert len(at.get("plotly_chart")) >= 2              # tracks + ISM heatmap
    at.multiselect(key="attr_methods").set_value(["saliency"]).run()
    assert not at.exception and not at.error
    at.text_area(key="attr_tf-binding_deepbind_text").set_value(">short\nACGTACGT\n").run()
    assert not at.exception
    assert ("short is 8 bp but deepbind reads exactly 101 bp. Paste or cut sequences to "
            "101 bp. Got 8 bp instead.") in at.error[0].value


def test_attribution_page_draws_fimo_hits_of_the_planted_motifs(open_page):
    def fimo_field():
        return next(t for t in at.text_input if t.key.startswith("attr_fimo"))

    at = open_page("attribution", "tf-binding_deepbind", timeout=180)
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
