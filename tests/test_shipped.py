"""Shipped checkpoints: every recipe is shipped, loads, is small, and still scores what
its card says on the test split regenerated from the card's recipe."""

import hashlib
import math

import numpy as np
import pytest

from regviz import checkpoints
from regviz.training import metrics, shipped
from support import CHECKPOINTS, shipped_checkpoint

NAMES = [r.name for r in shipped.RECIPES]


@pytest.fixture(scope="module", params=NAMES)
def loaded(request):
    model, card = checkpoints.load(shipped_checkpoint(request.param))
    return request.param, model, card


def test_every_checkpoint_is_small_and_safetensors_only(loaded):
    name, _, _ = loaded
    folder = CHECKPOINTS / name
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["card.json", "model.safetensors"]
    assert (folder / "model.safetensors").stat().st_size < 5 * 2**20


def test_card_names_its_recipe_and_dataset(loaded):
    name, model, card = loaded
    recipe = shipped.get_recipe(name)
    assert card.registry_name == recipe.model == model.registry_name
    assert card.dataset.name == recipe.dataset
    assert card.dataset.recipe["kwargs"]["n"] == recipe.n
    assert card.training["note"] == recipe.note
    assert card.dataset.motifs, "synthetic cards list their planted motifs"


def test_checkpoint_matches_its_card_on_the_regenerated_test_split(loaded):
    name, model, card = loaded
    dataset = checkpoints.dataset_from_card(card)
    test = np.sort(np.asarray(dataset.splits["test"], dtype="<i8"))
    assert hashlib.sha256(test.tobytes()).hexdigest() == card.dataset.test_indices_sha256
    got = metrics.evaluate(model, dataset, "test")
    want = card.metrics["test"]
    key = metrics.primary_metric(dataset.task_kind)
    assert got[key] == pytest.approx(want[key], abs=1e-3)
    for task, values in want["tasks"].items():
        for metric, value in values.items():
            if isinstance(value, float) and not math.isnan(value):
                assert got["tasks"][task][metric] == pytest.approx(value, abs=1e-3), (task, metric)


# the quality each shipped model reaches on its test split (README table); a retrained
# model that falls below these is a regression
FLOORS = {
    "tf-binding_deepbind": ("auroc_mean", 0.95),
    "tf-binding_kmer_logreg": ("auroc_mean", 0.8),
    "enhancer-activity_deepstarr": ("pearson_mean", 0.75),
    "enhancer-4kb_decode": ("auroc_mean", 0.95),
    "enhancer-4kb_decode_tracks": ("auroc_mean", 0.95),
    "chromatin-multitask_basset": ("auroc_mean", 0.93),
    "chromatin-multitask_deepsea": ("auroc_mean", 0.68),
    "chromatin-multitask_danq": ("auroc_mean", 0.57),
}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_shipped_models_reach_their_stated_quality(name):
    key, floor = FLOORS[name]
    assert checkpoints.read_card(CHECKPOINTS / name).metrics["test"][key] >= floor


def test_shipped_basset_learns_every_chromatin_rule():
    # single motif, AND, homotypic cluster, two spacing rules, repressor: each task learned
    # (with the published dense layers and a plain mean of the losses, liver, stem and
    # erythroid stayed at 0.50; see benchmarks/bench_learnability.py --train)
    tasks = checkpoints.read_card(CHECKPOINTS / "chromatin-multitask_basset").metrics[
        "test"]["tasks"]
    assert len(tasks) == 6
    assert all(v["auroc"] > 0.9 for v in tasks.values()), tasks


def _test_auroc(name):
    return checkpoints.read_card(CHECKPOINTS / name).metrics["test"]["auroc_mean"]


def test_long_range_lesson_dilation_reaches_what_a_plain_cnn_cannot():
    # the label needs sites 1.1-1.7 kb apart: the plain CNN (232 bp per feature) is at
    # chance, Basenji's dilated blocks (receptive field 2,094 bp) relate the two sites
    assert _test_auroc("long-range_cnn") < 0.6
    assert _test_auroc("long-range_basenji") > _test_auroc("long-range_cnn") + 0.2


@pytest.mark.xfail(strict=True, reason="with 16,000 sequences and 10 CPU epochs the shipped "
                   "enformer_lite stopped at test AUROC 0.55 and the lstm (3,000 sequences) "
                   "at 0.53: attention and recurrence can reach 1.5 kb, but these small runs "
                   "did not learn to")
def test_long_range_lesson_attention_and_recurrence_beat_the_plain_cnn():
    for name in ("long-range_enformer_lite", "long-range_lstm"):
        assert _test_auroc(name) > _test_auroc("long-range_cnn") + 0.2, name
