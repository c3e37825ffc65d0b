"""The Train page: a job started from the page, followed live, cancelled."""

import time

from regviz.models import registry
from regviz.training import get_manager


def test_train_page_starts_a_job_shows_progress_and_cancels(open_page):
    at = open_page("train")
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
    manager = get_manager()
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
