"""The training loop: learning, reproducibility, early stopping, failures, metrics, CLI;
the Train page's defaults and the comparison of a new model with the active one."""

import hashlib
import json
import math
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from regviz import checkpoints, devices, models, sequence
from regviz.data import Dataset, random_splits
from regviz.simulate import make_dataset
from regviz.training import (DEFAULTS, TrainConfig, TrainConfigError, TrainingFailed,
                             build_for_dataset, compare_cards, defaults_for, evaluate, metrics,
                             run_job, train)
from regviz.training import jobs
from regviz.training.loop import reverse_complement_batch

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tf_set():
    # 1,000 x 101 bp, a CTCF site in positives only, labels without noise
    return make_dataset("tf-binding", 1000, seed=0, noise=False)


def planted(n=240, length=40, seed=0, kind="binary"):
    """Random DNA; label = has "GATAAG" (binary) or number of copies + noise (regression)."""
    rng = np.random.default_rng(seed)
    seqs = ["".join(rng.choice(list("ACGT"), length)) for _ in range(n)]
    copies = rng.integers(0, 3, n) if kind == "regression" else (rng.random(n) < 0.5).astype(int)
    for i, c in enumerate(copies):
        s = seqs[i]
        for j in range(c):
            p = 2 + j * 18
            s = s[:p] + "GATAAG" + s[p + 6:]
        seqs[i] = s
    y = copies + (rng.normal(0, 0.1, n) if kind == "regression" else 0)
    return Dataset("planted", seqs, y.astype(np.float32), ["gata"], kind,
                   splits=random_splits(n, seed))


def tiny(dataset, **overrides):
    torch.manual_seed(0)
    return build_for_dataset("deepbind", dataset, "class", {"n_filters": 8, **overrides})


def run(model, dataset, **cfg):
    reports = list(train(model, dataset, TrainConfig(**{"num_threads": 1, **cfg})))
    return reports, [r.train_loss for r in reports if r.phase == "train"]


def test_short_training_lowers_loss_and_beats_chance(tf_set):
    model = tiny(tf_set)
    reports, losses = run(model, tf_set, epochs=6, batch_size=32, lr=1e-2, patience=None)
    assert reports[0].phase == "start" and reports[-1].phase == "done"
    assert len(losses) == reports[-1].step == 6 * 25 == reports[-1].total_steps
    assert np.mean(losses[:10]) > 0.65 and np.mean(losses[-10:]) < 0.35
    final = reports[-1]
    assert final.test_metrics["auroc_mean"] > 0.85
    assert final.best_metrics["auroc_mean"] > 0.95
    assert final.device.startswith("CPU") and final.eta == 0.0 and final.fraction == 1.0
    # the model holds the best epoch's weights: validation is scored the same again
    again = evaluate(model, tf_set, "valid")
    assert again["auroc_mean"] == pytest.approx(final.best_metrics["auroc_mean"], abs=1e-12)
    assert again["tasks"]["CTCF"]["positives"] == final.best_metrics["tasks"]["CTCF"]["positives"]
    json.dumps(final.to_dict())  # reports are JSON-ready


def test_same_seed_gives_identical_losses_on_cpu():
    ds = planted()
    a = run(tiny(ds), ds, epochs=3, batch_size=16, lr=5e-3, seed=7, rc_augment=True)[1]
    b = run(tiny(ds), ds, epochs=3, batch_size=16, lr=5e-3, seed=7, rc_augment=True)[1]
    c = run(tiny(ds), ds, epochs=3, batch_size=16, lr=5e-3, seed=8, rc_augment=True)[1]
    assert len(a) == 36 and a == b  # bit for bit
    assert a != c


def test_early_stopping_restores_best_weights():
    rng = np.random.default_rng(1)
    ds = planted(n=200)
    ds.y = rng.integers(0, 2, (200, 1)).astype(np.float32)  # nothing to learn
    model = tiny(ds)
    reports, _ = run(model, ds, epochs=40, batch_size=32, lr=3e-2, patience=2)
    final = reports[-1]
    assert final.stopped_early and final.epoch < 40
    assert final.epoch - final.best_epoch == 2  # stopped after two epochs without gain
    assert "stopped early" in final.message
    valid = evaluate(model, ds, "valid")["auroc_mean"]
    assert valid == pytest.approx(final.best_metrics["auroc_mean"], abs=1e-12)


def test_lr_plateau_halves_the_rate_after_epochs_without_gain(monkeypatch):
    ds = planted(n=120)
    # validation AUROC of epochs 1-8, then the test split's
    scripted = iter([0.5, 0.6, 0.6, 0.6, 0.7, 0.7, 0.65, 0.7, 0.5])
    monkeypatch.setattr(metrics, "evaluate_tensors", lambda *a, **k: {"auroc_mean": next(scripted)})
    reports, _ = run(tiny(ds), ds, epochs=8, batch_size=32, lr=1e-2, patience=None, lr_plateau=2)
    lrs = [r.lr for r in reports if r.phase == "validate"]
    # epochs 3 and 4 bring no gain: halved after epoch 4; again after epochs 6-7 (0.7 is not > 0.7)
    assert lrs == pytest.approx([1e-2] * 3 + [5e-3] * 3 + [2.5e-3] * 2)
    with pytest.raises(TrainConfigError, match="lr_plateau must be an integer >= 1 or None"):
        TrainConfig(lr_plateau=0).validate()


def test_regression_uses_mse_and_pearson():
    ds = planted(n=300, kind="regression")
    reports, losses = run(tiny(ds), ds, epochs=15, batch_size=16, lr=1e-2, patience=None)
    final = reports[-1]
    assert final.monitor == "pearson_mean"
    assert losses[-1] < losses[0] / 3
    assert final.test_metrics["pearson_mean"] > 0.8 and "spearman_mean" in final.test_metrics


def test_max_steps_and_stop_event():
    ds = planted()
    reports, losses = run(tiny(ds), ds, epochs=50, batch_size=16, max_steps=5)
    assert len(losses) == 5 and reports[-1].phase == "done" and reports[-1].epoch == 1
    stop, phases = threading.Event(), []
    for r in train(tiny(ds), ds, TrainConfig(epochs=50, batch_size=16), stop=stop):
        phases.append(r.phase)
        if r.step == 3:
            stop.set()
    assert phases[-1] == "cancelled" and phases.count("train") == 3


def test_reverse_complement_batch_matches_sequence_module():
    seqs = ["ACGTTGCAAN", "GGGATTACAA"]
    X = torch.from_numpy(sequence.one_hot(seqs))
    rc = reverse_complement_batch(X).numpy()
    assert sequence.decode(rc) == sequence.reverse_complement(seqs)
    tracks = torch.arange(20.0).reshape(2, 1, 10)
    both = reverse_complement_batch(torch.cat([X, tracks], 1))
    assert torch.equal(both[:, 4], tracks[:, 0].flip(-1))  # tracks are only reversed


def test_nan_loss_is_a_readable_failure():
    ds = planted()

    class GoesNaN(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin, self.calls = nn.Linear(4 * 40, 1), 0

        def forward(self, x):
            self.calls += 1
            out = self.lin(x.flatten(1))
            return out * float("nan") if self.calls > 4 and self.training else out

    with pytest.raises(TrainingFailed, match=r"epoch 1, step 4: the loss became NaN .*lr=0.001"):
        run(GoesNaN(), ds, epochs=2, batch_size=16)
    with pytest.raises(TrainingFailed, match="step 2: the loss became (NaN|infinite)"):
        run(tiny(ds), ds, epochs=2, batch_size=16, lr=1e20)


def test_out_of_memory_is_a_readable_failure():
    ds = planted()

    class Greedy(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4 * 40, 1)

        def forward(self, x):
            if self.training:
                raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 80 GiB")
            return self.lin(x.flatten(1))

    with pytest.raises(TrainingFailed, match=r"ran out of memory at batch size 64\. Lower the "
                                             r"batch size \(e\.g\. 16\)"):
        run(Greedy(), ds)


def test_bad_settings_and_mismatched_model():
    ds = planted()
    with pytest.raises(TrainConfigError, match=r"TrainConfig.lr must be a finite number > 0 "
                                               r".*Got -1 instead\."):
        TrainConfig(lr=-1).validate()
    with pytest.raises(TrainConfigError, match=r"TrainConfig.epochs must be an integer >= 1\. "
                                               r"Got 0 instead\."):
        TrainConfig(epochs=0).validate()
    with pytest.raises(TrainConfigError, match="rc_augment must be True or False"):
        TrainConfig(rc_augment="yes").validate()
    with pytest.raises(TrainConfigError, match=r"gives 2 output\(s\) per sequence but planted "
                                               r"has 1 task\(s\) \(gata\); .*n_outputs=1"):
        run(models.build("deepbind", 40, 2, output_kind="multitask", n_filters=4), ds)
    bad = planted()
    bad.y[bad.splits["train"][3], 0] = np.nan
    with pytest.raises(Exception, match=r"label of task 'gata' for sequence \d+ \(train split\) "
                                        r"is nan; labels must be finite"):
        run(tiny(bad), bad)


@pytest.mark.skipif(torch.cuda.is_available() or devices._mps_available(),
                    reason="checks the CPU-only path")
def test_device_choice_on_a_cpu_only_machine():
    assert devices.pick_device("auto") == torch.device("cpu")
    assert devices.describe(torch.device("cpu")).startswith("CPU (")
    assert devices.device_key("cpu") == "cpu"
    assert isinstance(devices.autocast(torch.device("cpu")), type(__import__("contextlib")
                                                                   .nullcontext()))
    with pytest.raises(devices.DeviceError, match="no usable CUDA GPU"):
        devices.pick_device("cuda")
    with pytest.raises(devices.DeviceError, match=r"device must be one of auto, cpu, cuda, "
                                                  r"cuda:N, mps\. Got 'tpu' instead\."):
        devices.pick_device("tpu")


def test_metrics_on_known_values():
    y = np.array([[0, 1], [0, 1], [1, 1], [1, 1]], dtype=float)
    p = np.array([[0.1, 0.3], [0.2, 0.1], [0.8, 0.2], [0.9, 0.4]])
    m = metrics.score(y, p, "multitask", ["a", "b"])
    assert m["tasks"]["a"] == {"auroc": 1.0, "auprc": 1.0, "positives": 2}
    assert math.isnan(m["tasks"]["b"]["auroc"])  # one class only
    assert m["auroc_mean"] == 1.0 and m["n"] == 4  # NaN tasks are skipped
    p2 = np.array([[0.9], [0.8], [0.2], [0.1]])
    assert metrics.score(y[:, :1], p2, "binary")["auroc_mean"] == 0.0
    t = np.arange(10.0)[:, None]
    r = metrics.score(t, 2 * t + 1, "regression", ["x"])
    assert r["pearson_mean"] == pytest.approx(1.0) and r["spearman_mean"] == pytest.approx(1.0)
    assert r["mse"] == pytest.approx(np.mean((t + 1) ** 2))
    assert r["tasks"]["x"]["pearson"] == pytest.approx(1.0)
    assert metrics.primary_metric("regression") == "pearson_mean"


def test_balanced_task_loss_weights_the_tasks_behind():
    y = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    out = torch.tensor([[3.0, 0.5, 0.0], [-2.0, -0.5, 0.0]], requires_grad=True)
    per_task = nn.BCEWithLogitsLoss(reduction="none")(out, y).mean(0).detach()
    plain = metrics.loss_function("multitask")(out, y).item()
    assert metrics.loss_function("multitask", 0.0)(out, y).item() == plain   # 0: plain mean
    assert metrics.BalancedTaskLoss("multitask", 0.0)(out, y).item() == pytest.approx(plain)
    w = (per_task / per_task.mean()) ** 2
    loss = metrics.loss_function("multitask", 2.0)(out, y)
    assert loss.item() == pytest.approx(float((w * per_task).sum() / w.sum()))
    assert loss.item() > plain                   # the worst task (at chance, 0.69) dominates
    loss.backward()    # the weights are constants: d loss / d out[i, t] = w_t / sum(w) *
    expected = w / w.sum() * (torch.sigmoid(out.detach()) - y) / len(y)   # (p - y) / n
    assert torch.allclose(out.grad, expected, atol=1e-7)
    with pytest.raises(TrainConfigError, match="task_balance must be a number from 0 to 10"):
        TrainConfig(task_balance=-1).validate()


def test_cli_writes_a_loadable_checkpoint(tmp_path, capsys):
    out = tmp_path / "db"
    proc = subprocess.run(
        [sys.executable, "-m", "regviz.train", "deepbind", "tf-binding", "--epochs", "1",
         "--n", "500", "--out", str(out), "--threads", "1", "--set", "n_filters=4",
         "--lr-plateau", "2", "--task-balance", "2"],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert f"checkpoint: {out}" in proc.stdout and "test: auroc_mean" in proc.stdout
    model, card = checkpoints.load(out)
    assert card.registry_name == "deepbind" and card.config["n_filters"] == 4
    assert card.dataset.recipe["kwargs"] == {"name": "tf-binding", "n": 500, "seed": 0,
                                                   "noise": True}
    assert card.training["epochs"] == 1 and card.training["steps"] == 7
    assert card.training["lr_plateau"] == 2 and card.training["task_balance"] == 2.0
    assert card.training["loss"] == "BCEWithLogitsLoss, task-balanced (power 2)"
    again = make_dataset(**card.synthetic_kwargs())  # the recipe regenerates
    test = np.sort(again.splits["test"]).astype("<i8")
    assert hashlib.sha256(test.tobytes()).hexdigest() == card.dataset.test_indices_sha256
    assert evaluate(model, again, "test")["auroc_mean"] == pytest.approx(
        card.metrics["test"]["auroc_mean"], abs=1e-6)
    from regviz.cli.train import main

    assert main(["deepbind", "no-such-set"]) == 2  # bad input: exit status 2, one line
    assert "error: Unknown dataset 'no-such-set'" in capsys.readouterr().err
    assert main(["deepbind", "tf-binding", "--n", "100", "--lr", "1e20", "--quiet",
                 "--out", str(tmp_path / "nan")]) == 1
    assert "training failed: " in capsys.readouterr().err
    assert not (tmp_path / "nan").exists()


def test_deepbind_default_trains_a_useful_model_in_seconds(tmp_path):
    d = defaults_for("deepbind", "tf-binding")
    assert d.measured and d.useful and d.quality >= 0.95 and d.seconds < 60
    assert "on 2 CPU cores; test AUROC about 0.97" in d.expectation()
    last = None
    # one thread: on 2 cores shared with other work (CI runs 2 test workers) it is steadier
    for last in run_job(d.spec(seed=0, num_threads=1, device="cpu", out=tmp_path / "db")):
        pass
    assert last.phase == "done" and last.elapsed < 60, last.elapsed   # ~7 s
    assert last.test_metrics["auroc_mean"] >= 0.9                   # measured: 0.97
    card = checkpoints.read_card(tmp_path / "db")
    assert card.training["epochs"] == d.epochs and card.dataset.n == d.n


def test_every_default_builds_and_unmeasured_pairs_get_generic_settings():
    natural = {"deepbind": "tf-binding", "kmer_logreg": "tf-binding", "basset":
               "chromatin-multitask", "deepsea": "chromatin-multitask",
               "danq": "chromatin-multitask", "deepstarr": "enhancer-activity",
               "decode": "enhancer-4kb", "basenji": "long-range", "cnn": "long-range",
               "enformer_lite": "long-range", "lstm": "long-range", "rnn": "long-range",
               "resnet": "long-range"}
    assert {m: s for m, s in DEFAULTS} == natural and set(natural) == set(models.list_models())
    for d in DEFAULTS.values():
        assert d.measured and d.seconds < 150, d             # about a minute, measured
        assert d.config().validate() is None
        jobs.preflight(d.spec())                               # the model fits the set
        assert (d.useful or "not a useful model" in d.expectation())
    generic = defaults_for("deepstarr", "long-range")           # 8x longer than its own set
    own = defaults_for("deepstarr", "enhancer-activity")
    assert not generic.measured and "not measured" in generic.expectation()
    assert generic.n < own.n and generic.lr == own.lr and generic.dataset_options == {}
    assert dict(generic.overrides) == {"first_activation": "exp"}  # conv_widths stay behind
    assert defaults_for("deepsea", "tf-binding").task_balance == 0.0
    assert defaults_for("deepstarr", "chromatin-multitask").task_balance == 2.0
    mine = defaults_for("basset", None)                         # the user's own data
    assert mine.dataset is None and not mine.measured and mine.lr == 2e-3
    assert defaults_for("deepbind", None).overrides["rc_max"] is True   # both strands
    assert "rc_max" not in defaults_for("deepbind", "tf-binding").overrides
    jobs.preflight(jobs.JobSpec("basset", make_dataset("chromatin-multitask", 10, 0),
                                overrides=dict(mine.overrides)))
    for d in (generic, defaults_for("lstm", "tf-binding")):
        jobs.preflight(d.spec())


def _card(dataset="tf-binding", kind="binary", **test):
    return checkpoints.Card.from_dict({
        "schema_version": 1, "registry_name": "deepbind", "config": {},
        "tasks": {"names": ["CTCF"], "kind": kind}, "dataset": {"name": dataset},
        "metrics": {"test": test}})


def test_a_new_model_is_compared_with_the_active_one_on_the_same_data():
    weak, good = _card(auroc_mean=0.643), _card(auroc_mean=0.975)
    verdict = compare_cards(weak, good)
    assert verdict.worse and (verdict.metric, verdict.new, verdict.old) == ("AUROC", 0.643, 0.975)
    assert verdict.describe() == ("test AUROC 0.643, against 0.975 for the active model on "
                                  "the same data (tf-binding)")
    assert not compare_cards(good, weak).worse
    assert not compare_cards(_card(auroc_mean=0.972), good).worse     # within 0.005
    assert compare_cards(weak, _card("long-range", auroc_mean=0.9)) is None   # other data
    assert compare_cards(weak, _card(kind="regression", pearson_mean=0.9)) is None
    assert compare_cards(_card(), good) is None                        # no test metric
    starr = compare_cards(_card("enhancer-activity", "regression", pearson_mean=0.6),
                          _card("enhancer-activity", "regression", pearson_mean=0.8))
    assert starr.worse and starr.metric == "Pearson"
