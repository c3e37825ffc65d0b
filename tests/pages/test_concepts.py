"""The Concepts page: every tab, the slides' numbers, and bad settings."""

from regviz.ui.concepts import CONCEPTS_MOTIFS as ui_motifs


def test_concepts_page_every_tab(open_page):
    at = open_page("concepts", timeout=240)
    assert not at.exception and not at.error
    assert [t.label for t in at.tabs][:6] == [
        "1. Conv = PSSM scan", "2. Padding & stride", "3. Receptive field", "4. Parameters",
        "5. k-mers", "6. Backprop"]
    md = " ".join(m.value for m in at.markdown)
    assert "score = 0.87 + 1.81 + 1.81 + 1.81 + 1.81 + 0.87 = **8.98**" in md   # tab 1
    assert "largest difference" in at.success[0].value
    assert "Conv: floor((13 + 2x0 - 1x(4-1) - 1) / 2) + 1 = **5**" in md          # tab 2
    assert "torch measures 5 and 4. Input bp seen by no output: 13." in md
    frames = {tuple(d.value.columns): d.value for d in at.dataframe}
    assert any("receptive_field" in c for c in frames) and any("checkpoint" in c for c in frames)
    course = next(v for k, v in frames.items() if k[0] == "example")            # tab 4
    assert (course["computed"] == course["torch"]).all()
    counts = next(v for k, v in frames.items() if "AGA" in k)                      # tab 5
    assert counts.loc["seq1"].sum() == 8
    deriv = next(v for k, v in frames.items() if "d node / da" in k)               # tab 6
    assert deriv.set_index("node").loc["b", "de / d node"] == 5

    at.selectbox(key="c1_motif").set_value("GATA1")
    at.radio(key="c1_seq_source").set_value("Paste")
    at.text_area(key="c1_seq_text").set_value(">bad\nACGTQACGT\n")
    at.number_input(key="c2_d").set_value(2)
    at.number_input(key="c2_p").set_value(1)
    at.number_input(key="c6_a").set_value(3.0)
    at.number_input(key="c6_b").set_value(-2.0)
    at.radio(key="c6_mode").set_value("forward a")
    at.run()
    assert not at.exception
    assert any("character 'Q' at position 5" in e.value for e in at.error)
    md = " ".join(m.value for m in at.markdown)
    assert "floor((13 + 2x1 - 2x(4-1) - 1) / 2) + 1 = **5**" in md
    deriv = next(d.value for d in at.dataframe if "d node / da" in d.value.columns)
    assert deriv.set_index("node").loc["b", "de / d node"] == 3 + 2 * -2 + 1

    at.number_input(key="c2_k").set_value(20)             # kernel longer than the input
    at.selectbox(key="c1_motif").set_value(ui_motifs[0])  # the course motif has zero counts
    at.slider(key="c1_pc").set_value(0.0)                 # log(0) without a pseudocount
    at.run()
    assert not at.exception
    assert any("kernel spans" in e.value for e in at.error)
    assert any("zero probabilities" in e.value for e in at.error)
