"""The Filters page on the shipped deepbind, then on the enhancer model."""

import pandas as pd

from regviz.ui import state


def test_filters_page_runs_on_the_shipped_deepbind(open_page):
    at = open_page("filters", "tf-binding_deepbind", timeout=240, filters_n=400)
    assert not at.exception and not at.error
    text = " ".join(m.value for m in at.markdown)
    assert "q-value" in text and "match a known motif" in text
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
