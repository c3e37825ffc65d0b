"""K-fold cross-validation (`regviz.training.folds`, ``regviz-train --folds K``): folds
partition the sequences, shuffles stay with their peaks, seeds fix the folds, pooled
metrics are `metrics.score` of the out-of-fold predictions, and the CLI's files."""

import json

import numpy as np
import pytest

from regviz import checkpoints
from regviz.cli.train import main
from regviz.data import Dataset, add_shuffled_negatives
from regviz.errors import DataFormatError
from regviz.predict import predict
from regviz.sequence import one_hot
from regviz.training import metrics
from regviz.training.folds import fold_dataset, fold_groups, fold_of, fold_splits
from support import planted_peaks_fasta

MOTIF = "GGAAGTGACG"
TINY = ["--set", "n_filters=4", "--epochs", "1", "--no-baselines", "--quiet", "--threads", "1",
        "--batch-size", "32"]


def _peaks(n=60, seed=0, label=1):
    rng = np.random.default_rng(seed)
    seqs = ["".join(rng.choice(list("ACGT"), 40)) for _ in range(n)]
    return Dataset(name="peaks", seqs=seqs, y=np.full(n, label, dtype=float),
                   task_names=["bound"], task_kind="binary",
                   splits={"train": np.arange(n)}, meta={"names": [f"p{k}" for k in range(n)]})


def _mixed(n=60, seed=0):
    ds = _peaks(n, seed)
    ds.y[::3] = 0                                   # some labelled negatives of the file's own
    return add_shuffled_negatives(ds, 2, seed=seed)


@pytest.mark.parametrize("k", [2, 3, 5])
def test_folds_partition_the_sequences_and_every_sequence_is_tested_once(k):
    ds = _mixed()
    tested = np.zeros(len(ds), int)
    for fold in range(1, k + 1):
        splits = fold_splits(ds, k, fold, seed=4)
        parts = [splits[s] for s in ("train", "valid", "test")]
        assert sorted(np.concatenate(parts).tolist()) == list(range(len(ds)))   # disjoint, all
        assert all(len(p) for p in parts)
        tested[splits["test"]] += 1
    assert (tested == 1).all()
    folds = fold_of(ds, k, seed=4)
    sizes = np.bincount(folds)
    assert sizes.max() - sizes.min() <= 4                  # a peak + 2 shuffles, a negative
    positives = np.bincount(folds[ds.y[:, 0] == 1], minlength=k)
    assert positives.max() - positives.min() <= 1      # stratified by class


def test_shuffles_stay_in_their_peaks_fold_and_split():
    ds = _mixed()
    names = ds.meta["names"]
    parent = {n: n.rsplit("_shuf", 1)[0] for n in names if "_shuf" in n}
    assert len(parent) == 2 * int((ds.y[:60, 0] == 1).sum())
    groups = fold_groups(ds)
    assert all(names[g] == parent.get(names[i], names[i]) for i, g in enumerate(groups))
    folds = fold_of(ds, 4, seed=1)
    where = dict(zip(names, folds))
    assert all(where[shuf] == where[peak] for shuf, peak in parent.items())
    for fold in range(1, 5):
        split_of = {names[i]: s for s, idx in fold_splits(ds, 4, fold, 1).items() for i in idx}
        assert all(split_of[shuf] == split_of[peak] for shuf, peak in parent.items())


def test_same_seed_same_folds_and_another_seed_other_folds():
    ds = _mixed()
    np.testing.assert_array_equal(fold_of(ds, 5, seed=7), fold_of(ds, 5, seed=7))
    assert (fold_of(ds, 5, seed=7) != fold_of(ds, 5, seed=8)).any()
    a, b = fold_splits(ds, 5, 2, seed=7), fold_splits(ds, 5, 2, seed=7)
    assert all(np.array_equal(a[s], b[s]) for s in a)
    assert not np.array_equal(a["test"], fold_splits(ds, 5, 2, seed=8)["test"])


def test_fold_dataset_records_its_split_for_the_card():
    ds = fold_dataset(_mixed(), 3, 2, seed=5)
    assert ds.meta["split"] == {"folds": {"k": 3, "fold": 2, "seed": 5, "valid_fraction": 0.1}}
    assert ds.meta["seed"] == 5 and ds.meta["negatives"]["n_per_positive"] == 2


def test_bad_fold_counts_and_tampered_negatives_are_refused():
    ds = _mixed(n=6)
    for k in (1, 0, 7, True, 2.5):
        with pytest.raises(DataFormatError, match="2 to 6 folds"):
            fold_of(ds, k)
    with pytest.raises(DataFormatError, match="fold must be 1 to 3"):
        fold_splits(ds, 3, 4)
    moved = Dataset(name="x", seqs=ds.seqs[::-1], y=ds.y[::-1], task_names=ds.task_names,
                    task_kind="binary", meta={**ds.meta, "names": ds.meta["names"][::-1]})
    with pytest.raises(DataFormatError, match="shuffle with its peak"):
        fold_groups(moved)


# ----------------------------------------------------------------------------- the CLI

@pytest.fixture(scope="module")
def peaks_file(tmp_path_factory):
    """120 positives-only 50-bp peaks, each with MOTIF (labels in the headers)."""
    return planted_peaks_fasta(tmp_path_factory.mktemp("cv") / "peaks.fa", 120, 50, MOTIF)


@pytest.fixture(scope="module")
def cv_run(peaks_file):
    out = peaks_file.parent / "cv"
    code = main(["deepbind", str(peaks_file), "--shuffled-negatives", "1", "--folds", "3",
                 "--split-seed", "2", *TINY, "--out", str(out)])
    return code, out


def test_cli_folds_write_three_checkpoints_and_cv_json(cv_run, capsys):
    code, out = cv_run
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["cv.json", "fold-1", "fold-2", "fold-3",
                                                     "predictions.tsv"]
    summary = json.loads((out / "cv.json").read_text())
    assert (summary["k"], summary["seed"], summary["n"]) == (3, 2, 240)
    assert [row["fold"] for row in summary["per_fold"]] == [1, 2, 3]
    assert sum(row["n_test"] for row in summary["per_fold"]) == 240
    for key in ("auroc_mean", "auprc_mean"):
        values = [row[key] for row in summary["per_fold"]]
        assert summary["mean"][key] == pytest.approx(np.mean(values))
        assert summary["sd"][key] == pytest.approx(np.std(values, ddof=1))
    for fold in (1, 2, 3):
        card = checkpoints.read_card(out / f"fold-{fold}")
        assert card.dataset.extra["split"] == {"folds": {"k": 3, "fold": fold, "seed": 2,
                                                         "valid_fraction": 0.1}}
        assert card.dataset.n == 240 and card.dataset.seed == 2


def test_pooled_metrics_are_score_of_the_concatenated_out_of_fold_predictions(cv_run):
    _, out = cv_run
    summary = json.loads((out / "cv.json").read_text())
    rows = (out / "predictions.tsv").read_text().splitlines()
    assert rows[0].split("\t") == ["index", "name", "fold", "label", "label_prediction"]
    table = [r.split("\t") for r in rows[1:]]
    names = [r[1] for r in table]
    y, pred = [], []
    for fold in (1, 2, 3):
        card = checkpoints.read_card(out / f"fold-{fold}")
        part = [r for r in table if r[2] == str(fold)]
        assert len(part) == summary["per_fold"][fold - 1]["n_test"]
        assert card.dataset.splits["test"] == len(part)
        y.append([float(r[3]) for r in part])
        pred.append(np.asarray([float(r[4]) for r in part]))
    # every sequence once, with a shuffle in its peak's fold
    assert sorted(names) == sorted(set(names)) and len(names) == 240
    fold_of_name = {r[1]: r[2] for r in table}
    assert all(fold_of_name[n] == fold_of_name[n.rsplit("_shuf", 1)[0]]
               for n in names if "_shuf" in n)
    y_all, p_all = np.concatenate(y)[:, None], np.concatenate(pred)[:, None]
    want = metrics.score(y_all, p_all, "binary", ["label"])
    assert summary["pooled"]["auroc_mean"] == pytest.approx(want["auroc_mean"], abs=1e-5)
    assert summary["pooled"]["auprc_mean"] == pytest.approx(want["auprc_mean"], abs=1e-5)
    assert summary["pooled"]["n"] == 240


def test_pooled_predictions_are_the_fold_models_outputs(cv_run, peaks_file):
    """The predictions behind the pooled metrics are `regviz.predict.predict` of each
    fold's checkpoint on the sequences it was tested on."""
    _, out = cv_run
    from regviz.data import load_dataset  # local: only this test reads the file back
    data = add_shuffled_negatives(load_dataset(peaks_file, seed=2), 1, seed=2)
    by_name = dict(zip(data.meta["names"], data.seqs))
    table = [r.split("\t") for r in (out / "predictions.tsv").read_text().splitlines()[1:]]
    y, p = [], []
    for fold in (1, 2, 3):
        model, _ = checkpoints.load(out / f"fold-{fold}")
        part = [r for r in table if r[2] == str(fold)]
        got = predict(model, one_hot([by_name[r[1]] for r in part]))
        np.testing.assert_allclose(got[:, 0], [float(r[4]) for r in part], rtol=1e-4,
                                   atol=1e-5)
        y.append(np.asarray([float(r[3]) for r in part]))
        p.append(got)
    want = metrics.score(np.concatenate(y)[:, None], np.concatenate(p), "binary", ["label"])
    summary = json.loads((out / "cv.json").read_text())
    assert summary["pooled"]["auroc_mean"] == pytest.approx(want["auroc_mean"], abs=1e-4)


@pytest.mark.parametrize("argv,message", [
    (["--folds", "1"], "--folds takes 2 or more folds"),
    (["--folds", "3", "--split", "chrom"], "does not combine with --split chrom"),
])
def test_cli_refuses_bad_folds_on_a_file(peaks_file, tmp_path, capsys, argv, message):
    assert main(["deepbind", str(peaks_file), "--shuffled-negatives", "1", *argv, *TINY,
                 "--out", str(tmp_path / "m")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_cli_refuses_folds_on_a_synthetic_set(tmp_path, capsys):
    assert main(["deepbind", "tf-binding", "--folds", "3", *TINY,
                 "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert "--folds apply to data files" in err
    assert not (tmp_path / "m").exists()
