"""AppTest smoke tests of the app router and of each page (no browser)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def run_page(name: str, timeout: float = 60) -> AppTest:
    at = AppTest.from_file(str(ROOT / name), default_timeout=timeout)
    at.run()
    return at


def test_app_router_shows_home():
    at = run_page("app.py")
    assert not at.exception
    assert at.title[0].value == "regviz"
    assert "See inside convolutional neural networks" in at.markdown[0].value


def test_sequences_page_parses_default_example():
    at = run_page("pages/sequences.py")
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert list(table["name"]) == ["enhancer_demo", "promoter_demo"]
    assert list(table.columns) == ["name", "length", "GC", "N count"]


def test_sequences_page_bad_input_shows_error_not_exception():
    at = run_page("pages/sequences.py")
    at.text_area(key="sequences_text").set_value(">a\nACGTQ\n").run()
    assert not at.exception
    assert "a: character 'Q' at position 5 is not a DNA base" in at.error[0].value
    assert len(at.dataframe) == 0


def test_sequences_page_warns_on_iupac_and_shows_table():
    at = run_page("pages/sequences.py")
    at.text_area(key="sequences_text").set_value("acgtrn\nGGCC").run()
    assert not at.exception and not at.error
    assert "IUPAC" in at.warning[0].value
    table = at.dataframe[0].value
    assert table.to_dict("records")[0] == {"name": "seq1", "length": 6, "GC": 0.5, "N count": 2}


def test_sequences_page_genome_region_from_demo_genome(tmp_path, monkeypatch):
    monkeypatch.setenv("REGVIZ_CACHE", str(tmp_path))
    at = run_page("pages/sequences.py")
    at.radio(key="sequences_source").set_value("Genome region").run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert table["length"].tolist() == [4000]
    at.text_input(key="sequences_region").set_value("chrDemo1:10-1").run()
    assert not at.exception
    assert at.error and "start" in at.error[0].value.lower()


@pytest.mark.parametrize("page", ["pages/home.py"])
def test_static_pages_render(page):
    at = run_page(page)
    assert not at.exception


def test_models_page_layer_table_and_comparison():
    at = run_page("pages/models.py", timeout=120)
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


def test_models_page_too_short_input_shows_error():
    at = run_page("pages/models.py", timeout=120)
    at.selectbox(key="a_arch").set_value("Basset").run()
    at.number_input(key="a_len_basset_class").set_value(10).run()
    assert not at.exception
    assert "basset" in at.error[0].value.lower() and "at least" in at.error[0].value


def test_data_page_synthetic_sets_show_grammar_motifs_and_labels():
    at = run_page("pages/data.py", timeout=120)
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
    from regviz import ui
    ds = ui._load_user_dataset.__wrapped__(csv.encode(), "mine.csv", None,
                                           {"length_policy": "error"}, 0)
    assert ds.task_kind == "binary" and ds.y[:, 0].sum() == 10 and ds.length == 20


def test_train_page_starts_a_job_shows_progress_and_cancels(tmp_path, monkeypatch):
    import time

    from regviz import jobs
    from regviz.models import registry

    monkeypatch.setenv("REGVIZ_RUNS", str(tmp_path))
    at = run_page("pages/train.py", timeout=120)
    assert not at.exception and not at.error
    assert not [c for c in at.checkbox if c.key == "exp_first"]   # DeepBind: no choice
    at.selectbox(key="arch").select(registry.get_entry("deepstarr").title).run()
    assert not at.checkbox(key="exp_first").value                 # ReLU unless asked
    at.checkbox(key="exp_first").check().run()
    at.number_input(key="n").set_value(2000).run()
    at.number_input(key="epochs").set_value(200).run()
    at.number_input(key="patience").set_value(0).run()
    at.number_input(key="lr_plateau").set_value(2).run()
    at.button(key="start").click().run()
    assert not at.exception and not at.error
    job_id = at.session_state["watch_job"]
    manager = jobs.get_manager()
    spec = manager._get(job_id).spec
    config = spec.config
    assert (config.epochs, config.patience, config.lr_plateau) == (200, None, 2)
    assert (spec.model, spec.overrides) == ("deepstarr", {"first_activation": "exp"})
    deadline = time.time() + 60
    while manager.status(job_id).state != "running" or not manager.status(job_id).history["step"]:
        assert time.time() < deadline, manager.status(job_id)
        time.sleep(0.2)
    at.run()
    table = at.dataframe[0].value
    assert table.set_index("job").loc[job_id, "state"] == "running"
    assert len(at.get("progress")) == 1  # the progress bar of the watched job
    at.button(key=f"cancel_{job_id}").click().run()
    status = manager.wait(job_id, timeout=60)
    assert status.state == "cancelled"
    at.run()
    assert at.dataframe[0].value.set_index("job").loc[job_id, "state"] == "cancelled"


def test_card_page_shows_the_active_models_card():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/card.py").run()
    assert not at.exception and not at.error
    text = " ".join(m.value for m in at.markdown)
    assert "How to read the outputs" in text and "Planted motifs" in text


def test_attribution_page_draws_fimo_hits_of_the_planted_motifs():
    import json

    from regviz import ui

    at = AppTest.from_file(str(ROOT / "pages" / "attribution.py"), default_timeout=180)
    def fimo_field():
        return next(t for t in at.text_input if t.key.startswith("attr_fimo"))

    models = ui.available_models()
    at.session_state["active_model"] = next(k for k in models
                                            if k.startswith("tf-binding_deepbind"))
    at.run()
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
