"""The Variants page: the demo VCF on the shipped decode, then a pasted list."""

import pandas as pd


def test_variants_page_scores_the_demo_vcf_and_shows_one_variant(open_page):
    at = open_page("variants", "enhancer-4kb_decode", timeout=300)
    assert not at.exception and not at.error
    button = at.button(key="var_run")
    assert button.label.startswith("Score 280 variants (about ")
    button.click().run()
    assert not at.exception and not at.error
    text = " ".join(m.value for m in at.markdown)
    assert "**277 of 281 variants scored**; 4 not scored" in text
    problems, table = (t.value for t in at.dataframe[:2])
    assert len(problems) == 4                 # symbolic ALT, REF mismatch, contig, edge
    assert isinstance(table, pd.DataFrame) and table["effect"].abs().is_monotonic_decreasing
    assert table["info"].iloc[0].startswith("CLASS=site")     # the strongest breaks a site
    assert {"All outputs (TSV)", "VCF with effects (INFO)"} <= {
        b.label for b in at.get("download_button")}
    assert any(c.value.startswith("Truth: breaks a planted") for c in at.caption)
    motifs = at.dataframe[-1].value
    assert list(motifs.columns) == ["change", "motif", "id", "p_value", "strand"]


def test_variants_page_scores_a_pasted_list(open_page):
    at = open_page("variants", "enhancer-activity_deepstarr", timeout=300, var_source="list")
    assert not at.exception and not at.error
    box = at.text_area(key="var_enhancer-activity_deepstarr_list")
    assert ">" in box.value                      # an example variant on the first sequence
    box.set_value(box.value + "nonsense\n").run()
    run = [b for b in at.button if b.key == "var_run"]    # short runs start by themselves
    if run:
        run[0].click().run()
    assert not at.exception and not at.error
    assert any("1 of 2 variants scored" in m.value for m in at.markdown)
    assert len(at.dataframe[1].value) == 1            # the scored variant, on the Dev output
