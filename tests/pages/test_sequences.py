"""The Sequences page: the shared sequence input on its own."""


def test_sequences_page_parses_default_example(open_page):
    at = open_page("sequences")
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert list(table["name"]) == ["enhancer_demo", "promoter_demo"]
    assert list(table.columns) == ["name", "length", "GC", "N count"]


def test_sequences_page_bad_input_shows_error_not_exception(open_page):
    at = open_page("sequences")
    at.text_area(key="sequences_text").set_value(">a\nACGTQ\n").run()
    assert not at.exception
    assert "a: character 'Q' at position 5 is not a DNA base" in at.error[0].value
    assert len(at.dataframe) == 0


def test_sequences_page_warns_on_iupac_and_shows_table(open_page):
    at = open_page("sequences")
    at.text_area(key="sequences_text").set_value("acgtrn\nGGCC").run()
    assert not at.exception and not at.error
    assert "IUPAC" in at.warning[0].value
    table = at.dataframe[0].value
    assert table.to_dict("records")[0] == {"name": "seq1", "length": 6, "GC": 0.5, "N count": 2}


def test_sequences_page_genome_region_from_demo_genome(open_page):
    at = open_page("sequences")
    at.radio(key="sequences_source").set_value("Genome region").run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert table["length"].tolist() == [4000]
    at.text_input(key="sequences_region").set_value("chrDemo1:10-1").run()
    assert not at.exception
    assert at.error and "start" in at.error[0].value.lower()
