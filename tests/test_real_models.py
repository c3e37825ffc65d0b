"""The shipped real-data models: DeepBind per ENCODE factor (regviz-shipped --real).

Their cards and example peaks are part of the repository; the checks against the ENCODE
sets themselves skip where ../shared is absent.
"""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from regviz import checkpoints, discovery, filters, motifs, predict
from regviz.sequence import one_hot, parse_sequences
from regviz.training import real
from support import SHARED_DATA, shipped_checkpoint

FACTORS = [f.name for f in real.FACTORS]


def _load(name):
    return checkpoints.load(shipped_checkpoint(real.BY_NAME[name].checkpoint))


@pytest.mark.parametrize("name", FACTORS)
def test_card_gives_the_held_out_auroc_beside_the_published_model_and_the_pwm(name):
    model, card = _load(name)
    held = dict(card.metrics)["encode_test"]
    factor = real.BY_NAME[name]
    assert held["published_deepbind_auroc"] == factor.published_auroc
    assert held["auroc"] >= factor.published_auroc - 0.05, held
    assert held["auroc"] > held["pwm_baseline_auroc"] - 0.01, held
    text = checkpoints.card_markdown(card).replace("\\", "")     # unescaped
    assert "Held-out ENCODE test set" in text and factor.deepbind_id in text
    assert "DeepBind (Alipanahi" in (card.dataset.source or "")
    # the one-line summary (sidebar, zoo) gives the B set beside the lower own-split AUROC
    assert card.headline().endswith(f"; ENCODE B set AUROC {held['auroc']:.3f}")


@pytest.mark.parametrize("name", FACTORS)
def test_shipped_example_peaks_score_above_their_shuffles(name):
    model, card = _load(name)
    folder = shipped_checkpoint(real.BY_NAME[name].checkpoint)
    records = parse_sequences(real.example_fasta(folder))
    assert len(records) == 6 and all(len(r.sequence) == card.input_length for r in records)
    score = predict.predict(model, one_hot([r.sequence for r in records]))[:, 0]
    peaks = ["peak" in r.description for r in records]
    assert score[peaks].mean() > score[~np.array(peaks)].mean()


needs_encode = pytest.mark.skipif(not (SHARED_DATA / "encode_chip").is_dir(),
                                  reason=f"the ENCODE sets ({SHARED_DATA}) are only present "
                                         "in the regviz workplace")


@needs_encode
@pytest.mark.parametrize("name", FACTORS)
def test_the_card_auroc_is_the_b_set_auroc(name):
    model, card = _load(name)
    test = real.test_set(real.BY_NAME[name], SHARED_DATA)
    raw = predict.predict(model, one_hot(test["seq"].tolist()))[:, 0]
    assert roc_auc_score(test["Bound"], raw) == pytest.approx(
        dict(card.metrics)["encode_test"]["auroc"], abs=1e-4)


def _matches(model, X):
    """Filter matches (top-100 rule) against scrambles and the untrained reference, as the
    Filters page runs them."""
    reference = filters.untrained_reference(model, X, rule="top_n")
    return filters.match_filters(filters.filter_pwms(model, X, rule="top_n"),
                                 reference=reference)


def _family(ids, family):
    return any(family in (motifs.jaspar(t).tf_family or "") for t in ids if isinstance(t, str))


@needs_encode
@pytest.mark.parametrize("name", FACTORS)
def test_filters_and_motifs_find_the_factor(name):
    """Filters (top-100 rule) and Motifs (TF-MoDISco) on the held-out peaks find the
    factor's JASPAR family: ETS for ELK1/GABPA, forkhead, REST, E-box (bHLH-ZIP)."""
    factor = real.BY_NAME[name]
    model, card = _load(name)
    test = real.test_set(factor, SHARED_DATA)
    X = one_hot(test.loc[test["Bound"] == 1, "seq"].tolist())
    table = _matches(model, X)
    called = table[table["significant"] & (table["rank"] <= 5)]
    assert _family(called["target_id"], factor.family), called
    d = discovery.discover_motifs(model, X, output_names=card.task_names)
    top = d.matches[(d.matches["query"] == 0) & d.matches["significant"]]
    assert d.patterns[0].sign == 1 and _family(top["target_id"], factor.family), d.table


def test_regenerating_without_the_data_says_where_to_put_it(monkeypatch, tmp_path):
    from regviz.cli import shipped
    monkeypatch.setenv("REGVIZ_ENCODE_DATA", str(tmp_path / "nowhere"))
    assert shipped.main(["--real", "--out", str(tmp_path)]) == 2
    assert shipped.main(["--real", "--only", "NOPE", "--out", str(tmp_path)]) == 2




# the five-factor DeepSEA-style multi-task model (regviz-shipped --real --only 5TF)

def test_five_factor_card_gives_each_output_beside_the_published_and_single_models():
    from regviz.training import real_multitask
    model, card = checkpoints.load(shipped_checkpoint(real_multitask.CHECKPOINT))
    assert list(card.task_names) == FACTORS and card.registry_name == "deepsea"
    by_factor = dict(card.metrics)["encode_test_by_factor"]
    for name in FACTORS:
        held = by_factor[name]
        assert held["auroc"] >= real.BY_NAME[name].published_auroc - 0.05, (name, held)
        assert held["auroc"] > held["pwm_baseline_auroc"], (name, held)
        assert held["single_factor_deepbind_auroc"] is not None
    text = checkpoints.card_markdown(card).replace("\\", "")
    assert "Held-out ENCODE test sets" in text and "against the other factors" in text
    low, high = (f"{f(h['auroc'] for h in by_factor.values()):.3f}" for f in (min, max))
    assert card.headline().endswith(f"; ENCODE B sets AUROC {low}-{high}")
    records = parse_sequences(real.example_fasta(shipped_checkpoint(real_multitask.CHECKPOINT)))
    assert len(records) == 12
    score = predict.predict(model, one_hot([r.sequence for r in records]))
    for t, name in enumerate(FACTORS):          # each factor's own peaks score highest on
        own = [k for k, r in enumerate(records) if r.description.startswith(f"({name} ")
               and "peak" in r.description]     # its output, above the shuffles
        shuffles = [k for k, r in enumerate(records) if "shuffle" in r.description]
        assert score[own, t].mean() > score[shuffles, t].max(), name


@needs_encode
def test_five_factor_card_aurocs_are_the_b_set_aurocs():
    from regviz.training import real_multitask
    model, card = checkpoints.load(shipped_checkpoint(real_multitask.CHECKPOINT))
    found = real_multitask.b_set_scores(model, SHARED_DATA)
    for name, held in dict(card.metrics)["encode_test_by_factor"].items():
        assert found[name]["auroc"] == pytest.approx(held["auroc"], abs=1e-4)
        assert found[name]["specificity_auroc"] == pytest.approx(held["specificity_auroc"],
                                                                 abs=1e-4)


@needs_encode
def test_five_factor_filters_and_motifs_find_the_factors():
    """Filters on all five B sets' peaks call every factor's family among the top-5 filter
    matches; Motifs on an output's own peaks finds its factor (GABPA, REST here; FOXA1 and
    USF1 too, in 33 s more; the ELK1 output gives no pattern: docs/results/shipped-models.md)."""
    from regviz.training import real_multitask
    model, card = checkpoints.load(shipped_checkpoint(real_multitask.CHECKPOINT))
    tests = {f.name: real.test_set(f, SHARED_DATA) for f in real.FACTORS}
    peaks = {n: t.loc[t["Bound"] == 1, "seq"].tolist() for n, t in tests.items()}
    X = one_hot([s for n in FACTORS for s in peaks[n]])
    table = _matches(model, X)
    called = table[table["significant"] & (table["rank"] <= 5)]
    for name in FACTORS:
        assert _family(called["target_id"], real.BY_NAME[name].family), name
    # the ELK1 output: DeepLIFT-SHAP gives no pattern on its peaks, ISM the ETS one (the
    # Motifs page says so when an output gives none)
    elk1 = discovery.discover_motifs(model, one_hot(peaks["ELK1"]), outputs=[0],
                                     method="ism", output_names=card.task_names)
    top = elk1.matches[(elk1.matches["query"] == 0) & elk1.matches["significant"]]
    assert elk1.patterns[0].sign == 1 and _family(top["target_id"],
                                                  real.BY_NAME["ELK1"].family), elk1.table
    for name in ("GABPA", "REST"):
        t = FACTORS.index(name)
        d = discovery.discover_motifs(model, one_hot(peaks[name]), outputs=[t],
                                      output_names=card.task_names)
        top = d.matches[(d.matches["query"] == 0) & d.matches["significant"]]
        assert d.patterns[0].sign == 1 and _family(top["target_id"],
                                                   real.BY_NAME[name].family), d.table
