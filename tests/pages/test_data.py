"""The Datasets page: synthetic sets and users' data."""

from regviz.ui import inputs


def test_data_page_synthetic_sets_show_grammar_motifs_and_labels(open_page):
    at = open_page("data")
    assert not at.exception and not at.error
    # tf-binding: one rule, planted motifs of sequence 0, labels summary, preview
    rules = at.dataframe[0].value
    assert rules["rule"].tolist() == ["at least 1 CTCF site"]
    assert at.metric[0].value == "1,000" and at.metric[1].value == "101 bp"
    at.selectbox(key="set").set_value("enhancer-activity").run()
    assert not at.exception and not at.error
    rules = at.dataframe[0].value
    assert "pair GATA-twist (GATA + twist)" in rules["rule"].tolist()
    assert len(at.get("plotly_chart")) >= 3  # cooperativity, motif map, labels
    at.number_input(key="seq_index").set_value(5).run()
    assert not at.exception
    planted = at.dataframe[1].value
    assert (planted["seq_index"] == 5).all() and len(planted) >= 1


def test_data_page_upload_reader_reads_a_table():
    csv = "id,seq,Bound\n" + "".join(f"s{i},{'ACGT' * 5},{i % 2}\n" for i in range(20))
    # AppTest cannot drive file_uploader: read the same bytes through the page's helper
    ds = inputs.load_user_dataset.__wrapped__(csv.encode(), "mine.csv", None,
                                              {"length_policy": "error"}, 0)
    assert ds.task_kind == "binary" and ds.y[:, 0].sum() == 10 and ds.length == 20
