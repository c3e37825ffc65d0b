"""Tests of the model zoo (regviz.models): shapes, errors, parameter counts by hand,
receptive fields (analytic = empirical), captum attributions, k-mer counting."""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from captum.attr import DeepLift, IntegratedGradients
from torch import nn

from regviz.errors import ModelConfigError, SequenceError
from regviz.models import (REGISTRY, build, deeplift_guards, dense_net, describe,
                           empirical_receptive_field, first_conv, from_config, last_conv,
                           list_models, receptive_field, summary)
from regviz.models.kmer import all_kmers
from regviz.models.layers import FlattenFeatures

ALL = list_models()
EXPECTED = ["deepbind", "deepsea", "basset", "danq", "deepstarr", "decode", "basenji",
            "resnet", "enformer_lite", "rnn", "lstm", "kmer_logreg", "cnn"]


def one_hot(seqs: list[str]) -> torch.Tensor:
    idx = torch.tensor([["ACGT".index(b) for b in s] for s in seqs])
    return nn.functional.one_hot(idx, 4).permute(0, 2, 1).float()


def random_x(n: int, channels: int, length: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    if channels == 4:
        idx = torch.randint(0, 4, (n, length), generator=g)
        return nn.functional.one_hot(idx, 4).permute(0, 2, 1).float()
    return torch.rand(n, channels, length, generator=g)


def natural(name: str) -> int:
    return REGISTRY[name].natural_length["class"]


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Recurrent layers sync threads at every base: on a busy 2-core machine two
    threads can be 100x slower than one, so these small models run single-threaded."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _quiet_captum():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


# ----------------------------------------------------------------------------
# registry


def test_registry_lists_every_architecture():
    assert ALL == EXPECTED


@pytest.mark.parametrize("name", ALL)
def test_registry_entry_is_complete(name):
    e = REGISTRY[name]
    assert set(e.presets) == {"class", "paper"}
    assert set(e.natural_length) == {"class", "paper"}
    assert 2 <= len(re.findall(r"[.!?](\s|$)", e.description)) <= 4
    c = e.citation
    assert c.authors and c.title and c.journal and 1980 < c.year < 2030
    assert re.fullmatch(r"10\.\d{4,5}/\S+", c.doi)
    assert e.default_output_kind in ("binary", "multitask", "regression")
    assert isinstance(e.supports_deeplift, bool) and e.deeplift_note
    m = build(name, natural(name), 1)
    assert m.registry_name == name and m.config.preset == "class"
    if name in ("rnn", "lstm"):
        assert e.first_conv(m) is None and e.last_conv(m) is None
        with pytest.raises(ModelConfigError, match="has no convolution layer"):
            first_conv(m)
    else:
        assert isinstance(first_conv(m), nn.Conv1d)
        assert first_conv(m) is m.get_submodule(e.first_conv(m))
        assert last_conv(m) is m.get_submodule(e.last_conv(m))


@pytest.mark.parametrize("name", ALL)
def test_config_round_trips_through_json(name):
    m = build(name, natural(name), 2, output_kind="regression").eval()
    card = json.loads(json.dumps({"name": m.registry_name,
                                  "config": dataclasses.asdict(m.config)}))
    m2 = from_config(card["name"], card["config"]).eval()
    assert m2.config == m.config
    m2.load_state_dict(m.state_dict())
    x = random_x(2, m.in_channels, natural(name))
    with torch.no_grad():
        torch.testing.assert_close(m2(x), m(x))


def test_numpy_numbers_become_plain_python_in_the_config():
    m = build("deepsea", np.int64(1000), np.int64(3), dense=[np.int64(16)])
    cfg = dataclasses.asdict(m.config)
    assert cfg["input_length"] == 1000 and type(cfg["input_length"]) is int
    assert type(cfg["dense"][0]) is int and cfg["output_kind"] == "multitask"
    json.dumps(cfg)


def test_from_config_rejects_foreign_settings():
    cfg = dataclasses.asdict(build("deepbind", 101, 1).config)
    with pytest.raises(ModelConfigError, match=r"unknown \['colour'\], missing none"):
        from_config("deepbind", {**cfg, "colour": "red"})


# ----------------------------------------------------------------------------
# shapes


LENGTHS = [249, 600, 1000, 4000]


@pytest.mark.parametrize("name", ALL)
def test_forward_shapes_at_several_lengths(name):
    minimum = REGISTRY[name].config_class.from_preset("class", 10_000).minimum_length()
    for length in [natural(name)] + [n for n in LENGTHS if n >= minimum]:
        m = build(name, length, 3, output_kind="multitask").eval()
        with torch.no_grad():
            y = m(random_x(2, m.in_channels, length))
        assert y.shape == (2, 3), (name, length)
        assert torch.isfinite(y).all()


@pytest.mark.parametrize("kind,n_out", [("binary", 1), ("multitask", 4), ("regression", 2)])
@pytest.mark.parametrize("name", ["deepbind", "deepstarr", "danq", "enformer_lite",
                                  "kmer_logreg"])
def test_output_kinds(name, kind, n_out):
    m = build(name, natural(name), n_out, output_kind=kind)
    assert m.config.output_kind == kind
    with torch.no_grad():
        assert m.eval()(random_x(3, 4, natural(name))).shape == (3, n_out)


def test_binary_with_several_outputs_means_multitask():
    assert build("deepsea", 1000, 5).config.output_kind == "multitask"


@pytest.mark.parametrize("name", ALL)
def test_shortest_allowed_length_runs_and_one_less_fails(name):
    cfg = REGISTRY[name].config_class.from_preset("class", 10_000)
    minimum = cfg.minimum_length()
    m = build(name, minimum, 1).eval()
    with torch.no_grad():
        assert m(random_x(1, m.in_channels, minimum)).shape == (1, 1)
    if minimum > 1:
        with pytest.raises(ModelConfigError,
                           match=rf"^{name} needs at least {minimum} bp; got input_length="
                                 rf"{minimum - 1}\. Why: "):
            build(name, minimum - 1, 1)


def test_too_short_messages_say_why():
    with pytest.raises(ModelConfigError, match=r"basset needs at least 168 bp; got "
                       r"input_length=100\. Why: three conv/pool stages shrink shorter "
                       r"sequences to nothing \(conv 19, pool 3, conv 11, pool 4, conv 7, "
                       r"pool 4\)\. Use longer sequences"):
        build("basset", 100, 1)
    with pytest.raises(ModelConfigError, match=r"deepbind needs at least 24 bp.*each motif "
                       r"detector must fit inside the sequence \(conv 24\)"):
        build("deepbind", 20, 1, filter_width=24)
    # DeepBind's own 'N' padding lets detectors overhang: any length works
    assert build("deepbind", 20, 1, preset="paper").config.pad_n


def test_wrong_input_shape_is_a_sequence_error():
    m = build("deepstarr", 249, 2, output_kind="regression")
    with pytest.raises(SequenceError, match=r"deepstarr was built for inputs of shape "
                       r"\(n, 4, 249\).*got \(2, 4, 250\)"):
        m(torch.zeros(2, 4, 250))


# ----------------------------------------------------------------------------
# configuration errors


def test_unknown_model_lists_names():
    with pytest.raises(ModelConfigError, match=r"Unknown model 'deepbnd'\. Did you mean "
                       r"'deepbind'\? Available models: deepbind, deepsea, basset, .*, cnn\."):
        build("deepbnd", 101, 1)


def test_unknown_preset():
    with pytest.raises(ModelConfigError, match=r"Unknown preset 'huge' for basset\. Choose "
                       r"one of: class, paper\."):
        build("basset", 600, 1, preset="huge")


def test_unknown_setting_suggests_the_right_one():
    with pytest.raises(ModelConfigError, match=r"deepbind has no setting 'n_filter'\. Did "
                       r"you mean 'n_filters'\? Its settings are: n_filters, filter_width, "
                       r"avg_pool, hidden, pad_n, dropout, rc_max\."):
        build("deepbind", 101, 1, n_filter=8)


@pytest.mark.parametrize("name,override,message", [
    ("deepbind", {"n_filters": 0}, r"deepbind: n_filters must be an integer >= 1\. Got 0"),
    ("deepbind", {"filter_width": 12.5}, r"filter_width must be an integer >= 1\. Got 12\.5"),
    ("deepstarr", {"conv_widths": [7, 3, 5]}, r"conv_widths must have 4 entries"),
    ("deepstarr", {"first_activation": "tanh"}, r"first_activation must be one of 'relu', "
                                                r"'exp'\. Got 'tanh'"),
    ("deepstarr", {"flatten": "keras"}, r"flatten must be one of 'channel_major', "
                                        r"'position_major'\. Got 'keras'"),
    ("basenji", {"dilation_mult": 0.5}, r"dilation_mult must be a number in \[1\.0, 16\.0\)"),
    ("enformer_lite", {"n_heads": 3}, r"token width \(64.*divisible by n_heads \(3\)"),
    ("decode", {"tracks_only": True, "extra_channels": 2}, r"cannot be combined"),
    ("kmer_logreg", {"k": 9}, r"k must be at most 8"),
    ("lstm", {"readout": "first"}, r"readout must be one of 'last', 'max', 'mean', "
                                   r"'flatten'"),
])
def test_bad_values_are_named(name, override, message):
    with pytest.raises(ModelConfigError, match=message):
        build(name, natural(name), 1, **override)


def test_bad_output_kind_and_config_errors_are_value_errors():
    with pytest.raises(ValueError, match=r"output_kind must be one of 'binary', "
                       r"'multitask', 'regression'\. Got 'probability'"):
        build("cnn", 2000, 1, output_kind="probability")


# ----------------------------------------------------------------------------
# parameter counts by hand


def n_params(model: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def test_deepbind_801_parameters():
    m = build("deepbind", 101, 1, n_filters=16, filter_width=12)
    # conv: 4 channels x 12 wide x 16 filters + 16 thresholds; linear: 16 + 1
    assert n_params(m) == 4 * 12 * 16 + 16 + 16 + 1 == 801
    df = summary(m)
    assert df.attrs["total_params"] == df["params"].sum() == 801
    assert build("deepbind", 101, 1).config.filter_width == 12   # class preset = course


def test_deepbind_paper_parameters_and_interleaved_pooling():
    m = build("deepbind", 101, 1, preset="paper").eval()
    # conv 4*24*16+16; hidden (max+avg = 32 features) 32*32+32; output 32+1
    assert n_params(m) == (4 * 24 * 16 + 16) + (32 * 32 + 32) + (32 + 1) == 2641
    seen = {}
    m.max_pool.register_forward_hook(lambda mod, i, o: seen.__setitem__("max", o))
    m.avg_pool.register_forward_hook(lambda mod, i, o: seen.__setitem__("avg", o))
    m.hidden.register_forward_hook(lambda mod, i, o: seen.__setitem__("features", i[0]))
    with torch.no_grad():
        m(random_x(2, 4, 101))
    mx, av = seen["max"][:, :, 0], seen["avg"][:, :, 0]
    expected = torch.stack([mx, av], dim=2).reshape(2, 32)   # [max0, avg0, max1, avg1, ...]
    torch.testing.assert_close(seen["features"], expected)
    torch.testing.assert_close(seen["features"][:, 2], mx[:, 1])
    torch.testing.assert_close(seen["features"][:, 3], av[:, 1])


def test_dense_net_of_the_lecture_has_32_parameters():
    net = dense_net([3, 4, 4, 1], bias=False)
    df = summary(net)
    # 3x4 + 4x4 + 4x1 = 12 + 16 + 4 = 32
    assert df.attrs["total_params"] == df["params"].sum() == 3 * 4 + 4 * 4 + 4 * 1 == 32
    assert list(df["params"]) == [12, 0, 16, 0, 4]
    assert df["receptive_field"].isna().all()
    assert n_params(dense_net([3, 4, 4, 1])) == 32 + 4 + 4 + 1
    with pytest.raises(ModelConfigError, match="at least two positive integers"):
        dense_net([3])


def test_deepstarr_paper_matches_the_published_keras_model():
    m = build("deepstarr", 249, 2, preset="paper", output_kind="regression")
    convs = [(4, 256, 7), (256, 60, 3), (60, 60, 5), (60, 120, 3)]   # (in, out, kernel)
    conv = sum(cin * k * cout + cout for cin, cout, k in convs)      # 7424+46140+18060+21720
    bn_conv = sum(2 * cout for _, cout, _ in convs)                  # gamma, beta
    length = 249
    for _ in convs:
        length //= 2                                                 # 124, 62, 31, 15
    flat = length * 120                                              # 1800
    dense = (flat * 256 + 256) + 2 * 256 + (256 * 256 + 256) + 2 * 256  # Dense+BN x2
    heads = 2 * (256 + 1)                                            # Dense_Dev, Dense_Hk
    trainable = conv + bn_conv + dense + heads
    assert trainable == 622_722 == n_params(m)
    # Keras also counts BN moving mean/variance: its model.summary() total
    running = sum(b.numel() for name, b in m.named_buffers() if name.endswith(("running_mean",
                                                                            "running_var")))
    assert running == 2 * (256 + 60 + 60 + 120 + 256 + 256) == 2016
    assert trainable + running == 624_738
    bns = [mod for mod in m.modules() if isinstance(mod, nn.BatchNorm1d)]
    assert len(bns) == 6 and all(b.eps == 1e-3 and b.momentum == 0.01 for b in bns)
    assert m.flatten.order == "position_major" and m.out.out_features == 2
    assert summary(m).set_index("layer").loc["flatten", "output_shape"] == (1800,)


def test_deepstarr_small_keras_variant_is_expressible():
    m = build("deepstarr", 249, 2, preset="paper", output_kind="regression",
              conv_filters=[128, 60, 60, 120], dense=[64])
    convs = [(4, 128, 7), (128, 60, 3), (60, 60, 5), (60, 120, 3)]
    expected = (sum(cin * k * cout + cout + 2 * cout for cin, cout, k in convs)
                + (1800 * 64 + 64 + 2 * 64) + 2 * (64 + 1))
    assert n_params(m) == expected == 182_850


def test_position_major_flatten_is_keras_order():
    x = torch.arange(3 * 5).float().view(1, 3, 5)          # (n, C=3, L=5)
    keras = x.transpose(1, 2).reshape(1, -1)               # Keras Flatten of (L, C)
    torch.testing.assert_close(FlattenFeatures("position_major")(x), keras)
    torch.testing.assert_close(FlattenFeatures("channel_major")(x), x.reshape(1, -1))


def test_published_sizes_of_large_paper_presets():
    with torch.device("meta"):   # shapes only: no memory for 50M weights
        deepsea = build("deepsea", 1000, 919, preset="paper")
        basset = build("basset", 600, 164, preset="paper")
        danq = build("danq", 1000, 919, preset="paper")
    # DeepSEA: convs 320x8, 480x8, 960x8; 1000 -> 993 -> 248 -> 241 -> 60 -> 53 positions
    deepsea_n = ((4 * 8 * 320 + 320) + (320 * 8 * 480 + 480) + (480 * 8 * 960 + 960)
                 + (960 * 53 * 925 + 925) + (925 * 919 + 919))
    assert n_params(deepsea) == deepsea_n == 52_843_119
    # Basset: 600 -> 582 -> 194 -> 184 -> 46 -> 40 -> 10 positions; BN everywhere
    basset_n = ((4 * 19 * 300 + 300 + 600) + (300 * 11 * 200 + 200 + 400)
                + (200 * 7 * 200 + 200 + 400) + (2000 * 1000 + 1000 + 2000)
                + (1000 * 1000 + 1000 + 2000) + (1000 * 164 + 164))
    assert n_params(basset) == basset_n == 4_135_064
    # DanQ: Keras counts one bias per LSTM gate (46,926,479); PyTorch has two
    lstm_keras = 2 * 4 * (320 * (320 + 320) + 320)
    keras = (4 * 26 * 320 + 320) + lstm_keras + (75 * 640 * 925 + 925) + (925 * 919 + 919)
    assert keras == 46_926_479
    assert n_params(danq) == keras + 2 * 4 * 320


@pytest.mark.parametrize("name", ALL)
def test_summary_rows_cover_every_parameter(name):
    m = build(name, natural(name), 1)
    df = summary(m)
    assert list(df.columns) == ["layer", "kind", "output_shape", "params",
                                "receptive_field", "jump", "scope"]
    assert df["params"].sum() == df.attrs["total_params"] == n_params(m)
    assert df.attrs["receptive_field"] == df["receptive_field"].iloc[-1]
    assert df["layer"].iloc[-1] in ("out", "linear")


# ----------------------------------------------------------------------------
# receptive fields


def test_receptive_fields_by_hand():
    deepsea = build("deepsea", 1000, 1)
    # conv 8 -> 8; pool 4: +3 -> 11 (jump 4); conv 8: +7*4 -> 39; pool: +3*4 -> 51 (jump 16);
    # conv 8: +7*16 -> 163
    assert receptive_field(deepsea, layer=deepsea.last_conv_name) == 163
    # 53 last-conv positions x jump 16 cover 52*16 + 163 = 995 bp: the last 5 bp are unread
    assert receptive_field(deepsea) == 995
    basset = build("basset", 600, 1)
    # 19; pool 3: +2 (jump 3); conv 11: +10*3; pool 4: +3*3 (jump 12); conv 7: +6*12
    assert receptive_field(basset, layer="convs.2.conv") == 19 + 2 + 30 + 9 + 72 == 132
    cnn = build("cnn", 2000, 1)
    # 9; +3 (j4); +8*4; +3*4 (j16); +8*16 -> 184; the global max pool sees everything
    assert receptive_field(cnn, layer=cnn.last_conv_name) == 184
    assert receptive_field(cnn) == 2000
    basenji = build("basenji", 2000, 1)
    # stem 15 + pool 4 (+3, j4) = 18; tower: +4*4 +1*4 (j8) = 38; +4*8 +1*8 (j16) = 78;
    # six dilated width-3 blocks, dilation 1..32: +2*(1+2+...+32)*16 = +2016
    assert receptive_field(basenji, layer="final.conv") == 78 + 2 * 63 * 16 == 2094
    enformer = build("enformer_lite", 2000, 1)
    assert receptive_field(enformer, layer="final.conv") == 2000    # attention: everything
    lstm = build("lstm", 200, 1)
    assert receptive_field(lstm) == 200


RF_LENGTHS = {"basenji": 4200, "enformer_lite": 2000, "decode": 2000, "cnn": 1000}


@pytest.mark.parametrize("name,preset", [(n, "class") for n in ALL]
                         + [("deepbind", "paper"), ("deepstarr", "paper")])
def test_analytic_receptive_field_equals_empirical(name, preset):
    length = RF_LENGTHS.get(name, natural(name))
    m = build(name, length, 1, preset=preset)
    assert receptive_field(m) == empirical_receptive_field(m)
    if m.last_conv_name is not None:
        analytic = receptive_field(m, layer=m.last_conv_name)
        assert analytic < length or name == "enformer_lite"  # the window fits
        assert analytic == empirical_receptive_field(m, layer=m.last_conv_name)


def test_empirical_receptive_field_without_linearizing_can_undercount():
    m = build("deepsea", 1000, 1)
    # max pooling passes gradient to one position per window only
    assert empirical_receptive_field(m, layer="convs.2.conv", linearize=False) <= 163
    span, first, last = empirical_receptive_field(m, layer="convs.2.conv",
                                                  return_positions=True)
    assert (span, last - first + 1) == (163, 163)


def test_describe_needs_no_weights():
    df = describe("enformer_lite", 196608, 5313, preset="paper", output_kind="regression")
    assert df.attrs["total_params"] > 200_000_000 and df.attrs["receptive_field"] == 196608
    table = describe("deepbind", 101)
    assert table.attrs["total_params"] == 801
    with pytest.raises(ModelConfigError, match="Unknown preset"):
        describe("deepbind", 101, preset="big")


def test_summary_of_paper_presets_is_instant_and_exact():
    with torch.device("meta"):
        basenji = build("basenji", 131072, 5313, preset="paper", output_kind="regression")
    df = summary(basenji)
    assert df.attrs["total_params"] == n_params(basenji)
    assert df.attrs["receptive_field"] == 131072
    assert df.set_index("layer").loc["final.conv", "output_shape"] == (1536, 1024)


# ----------------------------------------------------------------------------
# captum


def _relative_deltas(model, x, baseline, target=0, guards=True):
    if guards:
        with deeplift_guards(model):
            return _relative_deltas(model, x, baseline, target, guards=False)
    attr, delta = DeepLift(model).attribute(x, baselines=baseline, target=target,
                                            return_convergence_delta=True)
    with torch.no_grad():
        diff = model(x)[:, target] - model(baseline)[:, target]
    assert attr.shape == x.shape and torch.isfinite(attr).all()
    # delta = sum(attr) - (f(x) - f(baseline))
    torch.testing.assert_close(attr.sum(dim=(1, 2)) - diff, delta.to(diff.dtype))
    return (delta.abs() / diff.abs().clamp_min(1e-12)).max().item()


ATTR_LENGTHS = {"basenji": 600, "enformer_lite": 600, "decode": 600, "cnn": 600,
                "resnet": 600}


@pytest.mark.parametrize("name", ALL)
def test_captum_deeplift_and_integrated_gradients(name):
    length = ATTR_LENGTHS.get(name, natural(name))
    torch.manual_seed(0)
    m = build(name, length, 2, output_kind="multitask").double().eval()
    x = random_x(4, m.in_channels, length).double()
    shuffled = x[torch.tensor([1, 2, 3, 0])]
    worst = max(_relative_deltas(m, x, b, target=1) for b in (torch.zeros_like(x), shuffled))
    if REGISTRY[name].supports_deeplift:
        assert worst < 1e-6, worst       # summation-to-delta holds
    else:
        assert worst > 1e-3, worst       # runs, but recurrent/attention parts are not DeepLIFT
    ig, delta = IntegratedGradients(m).attribute(x, baselines=torch.zeros_like(x), target=1,
                                                 n_steps=8, return_convergence_delta=True)
    assert ig.shape == x.shape and torch.isfinite(ig).all() and torch.isfinite(delta).all()


def _hooks(model):
    """(module name, kind) of every forward hook / forward pre-hook in ``model``."""
    return [(n, kind) for n, mod in model.named_modules()
            for kind in ("_forward_hooks", "_forward_pre_hooks", "_forward_hooks_with_kwargs",
                         "_forward_pre_hooks_with_kwargs") if getattr(mod, kind)]


@pytest.mark.parametrize("name", ALL)
def test_zoo_models_carry_no_forward_hooks(name):
    # tangermeme, captum and users' code see a plain nn.Module (issue #21)
    m = build(name, natural(name), 1)
    assert _hooks(m) == []
    assert _hooks(from_config(name, dataclasses.asdict(m.config))) == []


def test_private_inputs_are_what_makes_deeplift_exact():
    torch.manual_seed(0)
    m = build("deepsea", 1000, 1).double().eval()
    x = random_x(4, 4, 1000).double()
    shuffled = x[torch.tensor([1, 2, 3, 0])]
    assert _relative_deltas(m, x, shuffled) < 1e-6          # inside deeplift_guards
    assert _hooks(m) == []                                   # ... removed afterwards
    # without the guards ReLU -> MaxPool share a tensor and DeepLIFT goes wrong silently
    assert _relative_deltas(m, x, shuffled, guards=False) > 1e-2


def test_deeplift_guards_are_removed_on_errors_and_nest():
    m = build("deepbind", 101, 1).eval()
    with pytest.raises(RuntimeError, match="boom"):
        with deeplift_guards(m):
            assert ("act", "_forward_pre_hooks") in _hooks(m)
            raise RuntimeError("boom")
    assert _hooks(m) == []
    with deeplift_guards(m):
        with deeplift_guards(m):
            n_inner = len(m.act._forward_pre_hooks)
        assert len(m.act._forward_pre_hooks) == n_inner == 1   # still guarded: outer open
    assert _hooks(m) == []
    with pytest.raises(SequenceError), deeplift_guards(m):   # a failing forward inside
        DeepLift(m).attribute(random_x(1, 4, 50), baselines=torch.zeros(1, 4, 50))
    assert _hooks(m) == []


def test_private_input_copies_only_during_attribution():
    m = build("deepbind", 101, 1)
    seen = {}
    m.act.register_forward_hook(lambda mod, i, o: seen.__setitem__("relu_out", o))
    # the guard goes before this pre-hook, so it sees what the pool really receives
    m.max_pool.register_forward_pre_hook(lambda mod, i: seen.__setitem__("pool_in", i[0]))
    x = random_x(1, 4, 101)
    m.eval()(x)                                       # no guards: no copy
    assert seen["pool_in"] is seen["relu_out"]
    with deeplift_guards(m):
        m.train()(x)                                  # training: no copy
        assert seen["pool_in"] is seen["relu_out"]
        with torch.no_grad():                         # inference: no copy
            m.eval()(x)
        assert seen["pool_in"] is seen["relu_out"]
        m.eval()(x)                                   # eval + gradients = attribution
        assert seen["pool_in"] is not seen["relu_out"]
        torch.testing.assert_close(seen["pool_in"], seen["relu_out"])
    m.eval()(x)
    assert seen["pool_in"] is seen["relu_out"]


@pytest.mark.parametrize("name", ALL)
def test_every_module_runs_once_per_forward(name):
    m = build(name, natural(name), 1).eval()
    calls: dict[str, int] = {}
    hooks = [mod.register_forward_hook(lambda mod, i, o, n=n: calls.__setitem__(
        n, calls.get(n, 0) + 1)) for n, mod in m.named_modules() if n]
    with torch.no_grad():
        m(random_x(1, m.in_channels, natural(name)))
    for h in hooks:
        h.remove()
    assert calls and set(calls.values()) == {1}
    relus = [n for n, mod in m.named_modules() if isinstance(mod, nn.ReLU)]
    assert all(n in calls for n in relus)


def test_no_functional_activations_in_the_zoo():
    source = "\n".join(p.read_text() for p in Path(__file__).parents[1].joinpath(
        "regviz", "models").glob("*.py"))
    for pattern in (r"F\.relu", r"torch\.relu", r"\.relu\(", r"F\.max_pool", r"torch\.sigmoid",
                    r"inplace=True", r"import streamlit"):
        assert not re.search(pattern, source), pattern


# ----------------------------------------------------------------------------
# k-mer logistic regression


def test_kmer_counts_are_exact():
    seq = "AGAGATCGAGA"
    m = build("kmer_logreg", len(seq), 1, k=3)
    counts = m.counts(one_hot([seq]))[0]
    kmers = all_kmers(3)
    assert len(kmers) == 64 and kmers[:3] == ["AAA", "AAC", "AAG"]
    brute = {k: sum(seq[i:i + 3] == k for i in range(len(seq) - 2)) for k in kmers}
    assert counts.tolist() == [brute[k] for k in kmers]
    assert counts[kmers.index("AGA")] == 3 and counts[kmers.index("GAG")] == 2
    assert counts[kmers.index("GAT")] == 1 and counts.sum() == len(seq) - 3 + 1


def test_kmer_counting_layer_is_fixed_and_the_rest_is_logistic_regression():
    m = build("kmer_logreg", 200, 1)                    # class preset: k = 4
    assert not m.count.weight.requires_grad and not m.count.bias.requires_grad
    assert n_params(m, trainable_only=True) == 4 ** 4 + 1
    x = random_x(3, 4, 200)
    counts = m.counts(x)
    seqs = ["".join("ACGT"[i] for i in row.argmax(0)) for row in x]
    for seq, c in zip(seqs, counts, strict=True):
        assert c[all_kmers(4).index(seq[:4])] >= 1
        assert c.sum() == 200 - 4 + 1
    with torch.no_grad():
        logit = m.linear.weight @ counts.T + m.linear.bias[:, None]
        torch.testing.assert_close(m(x), logit.T)


def test_kmer_normalize_gives_frequencies():
    m = build("kmer_logreg", 50, 1, k=2, normalize=True)
    assert m.counts(random_x(2, 4, 50)).sum(1).tolist() == pytest.approx([1.0, 1.0])


# ----------------------------------------------------------------------------
# DECODE inputs


def test_decode_extra_channels_and_tracks_only():
    m = build("decode", 4000, 1, extra_channels=5)
    assert m.in_channels == 9
    with torch.no_grad():
        assert m.eval()(torch.rand(2, 9, 4000)).shape == (2, 1)
    tracks = build("decode", 200, 1, preset="paper")
    assert tracks.config.tracks_only and tracks.in_channels == 5
    with torch.no_grad():
        assert tracks.eval()(torch.rand(2, 5, 200)).shape == (2, 1)
    # Grad-CAM resolution: positions of the last conv feature map
    assert summary(tracks).set_index("layer").loc["convs.2.conv", "output_shape"] == (128, 50)


def test_receptive_field_of_everything_is_reported_for_every_row():
    df = summary(build("danq", 1000, 1))
    lstm = df.set_index("layer").loc["lstm.rnn"]
    assert lstm["kind"] == "recurrent (LSTM)" and lstm["scope"] == "global"
    assert lstm["receptive_field"] == 1000
    assert np.all(df["receptive_field"].to_numpy() >= 26)


def test_dilations_double():
    from regviz.models.residual import dilation_rates
    assert dilation_rates(6, 2.0) == [1, 2, 4, 8, 16, 32]
    assert dilation_rates(11, 1.5) == [1, 2, 2, 3, 5, 8, 11, 17, 26, 38, 58]
    assert [m.conv1.dilation[0] for m in build("basenji", 2000, 1).dilated] == [1, 2, 4, 8,
                                                                                  16, 32]


def test_itertools_product_order_matches_kmers():
    assert all_kmers(2) == ["".join(p) for p in itertools.product("ACGT", repeat=2)]


def test_the_zoos_notes_speak_to_users_not_to_the_code():
    """The Model zoo page shows these notes: no module paths or function names."""
    from regviz.models import get_entry, list_models
    for name in list_models():
        entry = get_entry(name)
        for note in (entry.deeplift_note, entry.input_note, entry.paper_note or ""):
            assert not re.search(r"regviz\.|models\.|_guards|\w+\(\)", note), (name, note)
