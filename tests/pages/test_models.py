"""The Model zoo page."""


def test_models_page_layer_table_and_comparison(open_page):
    at = open_page("models")
    assert not at.exception and not at.error
    # default: DeepBind (class preset, 101 bp) beside Basenji
    metrics = [m.value for m in at.metric]
    assert metrics[:2] == ["801", "101 bp"]
    assert metrics[4] == "2,000 bp"
    assert len(at.dataframe) == 2
    at.selectbox(key="a_arch").set_value("Basset").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table["layer"].iloc[0] == "convs.0.conv"
    assert int(table["params"].sum()) == int(at.metric[0].value.replace(",", ""))


def test_models_page_too_short_input_shows_error(open_page):
    at = open_page("models")
    at.selectbox(key="a_arch").set_value("Basset").run()
    at.number_input(key="a_len_basset_class").set_value(10).run()
    assert not at.exception
    assert "basset" in at.error[0].value.lower() and "at least" in at.error[0].value
