"""The Filters page on the shipped deepbind, then on the enhancer model."""

import re

import pandas as pd

from regviz.ui import state


def test_filters_page_runs_on_the_shipped_deepbind(open_page):
    at = open_page("filters", "tf-binding_deepbind", timeout=240, filters_n=400)
    assert not at.exception and not at.error
    assert not at.dataframe                                  # nothing runs by itself
    assert at.button(key="filters_run").label.startswith("Analyze the filters (about ")
    at.button(key="filters_run").click().run()
    assert not at.exception and not at.error
    text = " ".join(m.value for m in at.markdown)
    assert "q-value" in text and "match a known motif" in text
    assert re.search(r"against \d{3} PWMs of other untrained copies on the same", text)
    table = at.dataframe[0].value
    assert isinstance(table, pd.DataFrame) and len(table) == 16     # one row per filter
    assert "CTCF" in set(table["target_name"])
    # the detail view of another filter and a bad upload-free rerun keep working
    at.selectbox(key="filters_pick").set_value(int(table["filter"].iloc[1])).run()
    assert not at.exception and not at.error
    # switching to the enhancer model selects its own default collection (CORE all)
    deepstarr = [k for k, v in state.available_models().items()
                 if v.endswith("enhancer-activity_deepstarr")]
    at.session_state["active_model"] = deepstarr[0]
    at.run()
    assert not at.exception and not at.error
    folder = state.available_models()[deepstarr[0]]
    assert at.selectbox(key=f"filters_db_{folder}").value == "JASPAR2024 CORE all"


def test_filters_page_runs_on_the_users_sequences(open_page):
    """Pasted sequences are cut into windows of the model's length and analysed."""
    from regviz import sequence
    long_seqs = sequence.random_sequences(3, 101 * 70 + 30, gc=0.42, seed=5)
    fasta = "".join(f">chunk{k}\n{s}\n" for k, s in enumerate(long_seqs)) + ">tiny\nACGT\n"
    at = open_page("filters", "tf-binding_deepbind", timeout=240,
                   **{"filters_source_tf-binding_deepbind": "yours"})
    at.text_area(key="filters_tf-binding_deepbind_text").set_value(fasta).run()
    assert not at.exception and not at.error
    at.button(key="filters_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    caption = " ".join(c.value for c in at.caption)
    assert "210 windows of 101 bp from your 4 sequence(s); 1 shorter than 101 bp left out" \
        in caption
    best = next(d.value for d in at.dataframe if "influence" in d.value.columns)
    assert 0 < len(best) <= 16 and best["n_sites"].gt(0).all()   # filters with sites there
