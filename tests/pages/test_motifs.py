"""The Motifs page on the shipped deepbind: a run on the button, the truth, downloads."""

import pandas as pd


def test_motifs_page_discovers_ctcf_with_the_shipped_deepbind(open_page):
    at = open_page("motifs", "tf-binding_deepbind", timeout=300)
    assert not at.exception and not at.error
    assert not at.dataframe                                  # nothing runs by itself
    button = at.button(key="motifs_run")
    assert button.label.startswith("Discover motifs (about ")
    button.click().run()
    assert not at.exception and not at.error
    text = " ".join(m.value for m in at.markdown)
    assert "Planted motifs the labels depend on, recovered: **1 of 1**" in text
    recovery, patterns = (t.value for t in at.dataframe[:2])
    assert isinstance(patterns, pd.DataFrame) and "CTCF" in set(patterns["match"])
    assert bool(recovery.set_index("name").loc["CTCF", "recovered"])
    labels = {b.label for b in at.get("download_button")}
    assert {"patterns.meme", "seqlets.bed", "seqlets.tsv", "modisco_results.zip"} <= labels
    # the scrambled control, with the same settings, finds no significant pattern
    at.toggle(key="motifs_control").set_value(True).run()
    ctl = at.button(key="motifs_ctl")
    ctl.click().run()
    assert not at.exception and not at.error
    assert any("Scrambled control" in m.value and "0 matching JASPAR" in m.value
               for m in at.markdown)


def test_filters_page_points_to_the_motifs_page(open_page):
    at = open_page("filters", "tf-binding_deepbind")
    assert not at.exception
    assert any("Motifs page" in c.value for c in at.caption)     # a link in the app


def test_an_output_without_patterns_is_named_with_what_to_try():
    from types import SimpleNamespace

    import pandas as pd

    from regviz.ui import motifs as view
    table = pd.DataFrame({"pattern": ["GABPA/pos_0"], "output": ["GABPA"]})
    d = SimpleNamespace(table=table, outputs=("ELK1", "GABPA"), method="deeplift_shap")
    note = view.silent_outputs_note({"discovery": d})
    assert "No pattern for **ELK1** with DeepLIFT-SHAP" in note and "In-silico" in note
    ism = SimpleNamespace(table=table, outputs=("ELK1", "GABPA"), method="ism")
    assert "Try" not in view.silent_outputs_note({"discovery": ism})
    both = SimpleNamespace(table=table, outputs=("GABPA",), method="deeplift_shap")
    assert view.silent_outputs_note({"discovery": both}) == ""
