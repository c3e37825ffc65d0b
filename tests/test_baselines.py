"""Baselines on a model's own test split: k-mer model and best JASPAR PWM (issue 24)."""

import itertools

import numpy as np

from regviz import checkpoints, motifs, simulate
from regviz.sequence import one_hot, reverse_complement
from regviz.training import JobSpec, TrainConfig, baselines, run_job


def test_kmer_features_count_every_kmer_and_skip_windows_with_n():
    seqs = ["ACGTACGTAC", "AAAANAAAAC"]
    F = baselines.kmer_features(one_hot(seqs), k=2)
    names = ["".join(p) for p in itertools.product("ACGT", repeat=2)]
    for row, s in zip(F, seqs):
        want = [sum(s[i:i + 2] == k for i in range(len(s) - 1)) for k in names]
        assert list(row) == want


def test_best_pwm_scores_equal_a_scan_of_both_strands():
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 60)) for _ in range(5)]
    X = one_hot(seqs)
    ms = [motifs.jaspar("CTCF"), motifs.jaspar("GATA1")]
    got = baselines.best_pwm_scores(X, ms)
    for j, m in enumerate(ms):
        fwd = motifs.pssm_scan(X, m, both_strands=False).reshape(5, -1).max(axis=1)
        rev = motifs.pssm_scan(reverse_complement(X), m, both_strands=False).reshape(
            5, -1).max(axis=1)
        np.testing.assert_allclose(got[:, j], np.maximum(fwd, rev), rtol=1e-5, atol=1e-4)


def test_baselines_of_the_ctcf_set_pick_ctcf_and_land_on_the_card(tmp_path):
    ds = simulate.make_dataset("tf-binding", 2000, seed=0)
    found = baselines.baselines(ds)
    assert found["metric"] == "auroc" and len(found["kmer"]) == 1
    assert found["pwm"][0]["motif"] == "CTCF" and found["pwm"][0]["score"] > 0.9
    assert 0.6 < found["kmer"][0] < found["pwm"][0]["score"]
    out = tmp_path / "ck"
    for _ in run_job(JobSpec(model="deepbind", dataset="tf-binding", n=1000,
                             config=TrainConfig(epochs=1), out=str(out))):
        pass
    _, card = checkpoints.load(out)
    assert dict(card.metrics)["baselines"]["pwm"][0]["motif"] == "CTCF"
    assert "Baselines on the same test split" in checkpoints.card_markdown(card)
    for _ in run_job(JobSpec(model="deepbind", dataset="tf-binding", n=1000,
                             config=TrainConfig(epochs=1), out=str(tmp_path / "no"),
                             baselines=False)):
        pass
    assert "baselines" not in dict(checkpoints.load(tmp_path / "no")[1].metrics)


def test_shipped_cards_get_their_baselines_without_retraining(tmp_path):
    """regviz-shipped --add-baselines: the set rebuilt from the card's recipe, the weights
    untouched, the baselines equal to those of that set."""
    import shutil

    import torch

    from regviz.cli import shipped as cli
    from support import shipped_checkpoint
    folder = tmp_path / "tf-binding_kmer_logreg"
    shutil.copytree(shipped_checkpoint("tf-binding_kmer_logreg"), folder)
    before, card = checkpoints.load(folder)
    assert cli.main(["--add-baselines", "--out", str(tmp_path)]) == 0
    after, card = checkpoints.load(folder)
    assert all(torch.equal(v, after.state_dict()[k]) for k, v in before.state_dict().items())
    found = dict(card.metrics)["baselines"]
    data = simulate.make_dataset(**dict(card.dataset.recipe)["kwargs"])
    assert list(found["kmer"]) == baselines.baselines(data)["kmer"]
    assert "CTCF" in found["pwm"][0]["motif"]
    assert cli.main(["--add-baselines", "--out", str(tmp_path), "--only", "nope"]) == 1
