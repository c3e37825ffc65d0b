"""The Motif spacing page on the shipped deepstarr: the default pair, the single-motif
experiments, a filter as motif A, and the same experiment again from a second session."""


def test_page_runs_the_default_pair(open_page):
    def run_small_default():
        """A new session's page with 3 backgrounds and gaps 0-20, after Run experiment."""
        page = open_page("spacing", "enhancer-activity_deepstarr")
        assert not page.exception and not page.error
        assert page.selectbox(key="sp_preset").value.startswith("GATA-twist")
        page.number_input(key="sp_nbg").set_value(3)
        page.number_input(key="sp_max").set_value(20)
        return page.button(key="sp_run").click().run()

    at = run_small_default()
    assert not at.exception and not at.error
    assert "Inferred mode" in " ".join(m.value for m in at.markdown)
    table = at.dataframe[0].value
    assert len(table) == 2 * 21 * 4 and table["planted"].notna().all()
    # the planted motifs carry the name the model card gives them, with the JASPAR name and ID
    caption = " ".join(c.value for c in at.caption)
    assert "A = GATA (srp, MA2283.1)" in caption and "B = twist (twi, MA0249.3)" in caption
    assert at.button(key="sp_run").label.startswith("Run experiment (about ")
    at.button(key="sp_single").click().run()
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) == 4  # spacing, joint, position, copy number
    # a first-layer filter's PWM as motif A
    at.text_input(key=at.text_input[0].key).set_value("filter 3")
    at.button(key="sp_run").click().run()
    assert not at.exception and not at.error
    assert "A = filter 3" in " ".join(c.value for c in at.caption)
    # the same experiment again, as a second visitor would: the kept result, no replay error
    again = run_small_default()
    assert not again.exception and not again.error, again.exception or again.error
    assert again.dataframe[0].value.equals(table)
