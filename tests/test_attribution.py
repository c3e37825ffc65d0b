"""Attribution and ISM: analytic values, completeness, fast == brute force, invariances,
ground truth on the shipped synthetic models, and the page."""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from regviz import attribution as A
from regviz import checkpoints, predict, sequence
from regviz.attribution import ground_truth as G
from regviz.attribution import mutagenesis as I
from regviz.attribution import sanity_checks as S
from regviz.errors import AttributionError, SequenceError
from regviz.models import build, deeplift_guards
from support import shipped_checkpoint


@pytest.fixture(autouse=True, scope="module")
def _two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


def random_x(n, length, seed=0, n_at=None):
    idx = np.random.default_rng(seed).integers(0, 4, (n, length))
    X = np.eye(4, dtype=np.float32)[idx].transpose(0, 2, 1).copy()
    if n_at is not None:
        X[-1, :, n_at] = 0.25          # an N
    return X


class LinearConvSum(nn.Module):
    """f(x) = sum over windows of (w * x) + b: one linear convolution and a sum."""

    def __init__(self, length=20, width=5, seed=0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.conv = nn.Conv1d(4, 1, width)
        with torch.no_grad():
            self.conv.weight.copy_(torch.randn(1, 4, width, generator=g))
            self.conv.bias.fill_(0.3)
        self.input_length, self.in_channels = length, 4

    def forward(self, x):
        return self.conv(x).sum(dim=2)

    def gradient(self):
        """d f / d x[c, p] = sum of w[c, j] over the windows covering p: (4, L)."""
        w = self.conv.weight.detach()[0].numpy()
        k, length = w.shape[1], self.input_length
        G = np.zeros((4, length), np.float32)
        for o in range(length - k + 1):
            G[:, o:o + k] += w
        return G


# ----------------------------------------------------------------------------- analytic


def test_linear_model_saliency_ig_deeplift_ism_are_analytic():
    m = LinearConvSum()
    X = random_x(3, 20)
    G_ = m.gradient()
    np.testing.assert_allclose(A.attribute(m, X, "saliency"), np.broadcast_to(G_, X.shape),
                               rtol=0, atol=1e-5)
    for method in ("input_x_gradient", "integrated_gradients", "deeplift"):
        np.testing.assert_allclose(A.attribute(m, X, method, n_steps=4), X * G_, atol=1e-5,
                                   err_msg=method)
    expected_ism = G_[None] - (X * G_).sum(axis=1, keepdims=True)
    for how in ("fast", "brute"):
        np.testing.assert_allclose(I.ism(m, X, method="brute") if how == "brute" else
                                   A.attribute(m, X, "ism"), expected_ism, atol=1e-5)
    # hypothetical DeepLIFT against zeros = the multipliers = the gradient
    np.testing.assert_allclose(A.attribute(m, X, "deeplift", hypothetical=True),
                               np.broadcast_to(G_, X.shape), atol=1e-5)
    # gradient correction removes the mean over the four bases
    corr = A.attribute(m, X, "saliency", gradient_correction=True)
    np.testing.assert_allclose(corr, np.broadcast_to(G_ - G_.mean(0), X.shape), atol=1e-5)
    np.testing.assert_allclose(corr.sum(axis=1), 0, atol=1e-5)


def test_importance_tracks():
    m = LinearConvSum()
    X = random_x(2, 20)
    G_ = m.gradient()
    at_base = (X * G_).sum(axis=1)
    np.testing.assert_allclose(A.importance(A.attribute(m, X, "deeplift"), X), at_base, atol=1e-5)
    np.testing.assert_allclose(A.importance(A.attribute(m, X, "saliency"), X, "saliency",
                                            hypothetical=True), at_base, atol=1e-5)
    # ISM: minus the mean effect of the three substitutions
    np.testing.assert_allclose(A.importance(A.attribute(m, X, "ism"), X, "ism"),
                               at_base - (G_.sum(0) - at_base) / 3, atol=1e-5)


def test_saliency_importance_is_the_gradient_at_the_observed_base_by_default():
    m = LinearConvSum()
    X = random_x(3, 20, n_at=7)                      # one N (0.25 of each base) too
    G_ = m.gradient()
    S_ = A.attribute(m, X, "saliency")
    at_base = (X * G_).sum(axis=1)
    for hyp in (False, True):                        # saliency ignores the flag
        np.testing.assert_allclose(A.importance(S_, X, "saliency", hypothetical=hyp),
                                   at_base, atol=1e-5)
    assert not np.allclose(at_base, np.broadcast_to(G_.sum(0), at_base.shape), atol=1e-3)
    # input x gradient is zero off the observed base: the sum is that base's value
    IxG = A.attribute(m, X, "input_x_gradient")
    np.testing.assert_allclose(A.importance(IxG, X, "input_x_gradient"), at_base, atol=1e-5)


def _scaled(model, seed=0):
    """Random weights with O(1) activations (default init gives ISM effects ~1e-4, which
    would make a < 1e-4 comparison meaningless), random batch-norm statistics."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, (nn.Conv1d, nn.Linear)) and mod.weight.requires_grad:
                fan_in = mod.weight[0].numel()
                mod.weight.copy_(torch.randn(mod.weight.shape, generator=g) * 1.6 / fan_in ** .5)
                mod.bias.copy_(torch.randn(mod.bias.shape, generator=g) * 0.1)
            if isinstance(mod, nn.BatchNorm1d):
                mod.running_mean.copy_(torch.randn(mod.num_features, generator=g) * 0.2)
                mod.running_var.copy_(torch.rand(mod.num_features, generator=g) + 0.5)
                mod.weight.copy_(torch.rand(mod.num_features, generator=g) + 0.5)
                mod.bias.copy_(torch.randn(mod.num_features, generator=g) * 0.2)
    return model.eval()


def test_ig_completeness_within_one_percent_and_deeplift_summation_to_delta():
    m = _scaled(build("deepstarr", 120, 2, output_kind="regression"))
    X = random_x(3, 120)
    rep = A.sanity(m, X, "integrated_gradients", target=1, n_steps=256,
                   checks=("completeness",))
    table = rep["completeness"]
    assert (table["f(x) - f(reference)"].abs() > 0.5).all()        # a real difference
    assert table["relative_delta"].max() < 0.01
    coarse = A.sanity(m, X, "integrated_gradients", target=1, n_steps=8,
                      checks=("completeness",))
    assert coarse["completeness"]["relative_delta"].max() > 0.01   # the check can fail
    assert coarse["summary"]["verdict"].iloc[0] == "does NOT hold"
    for method, base in (("deeplift", "shuffle"), ("deeplift_shap", None), ("deeplift", "gc")):
        rep = A.sanity(m, X, method, target=0, baseline=base, n_references=3,
                       checks=("completeness",))
        assert rep["completeness"]["relative_delta"].max() < 1e-3, method
        assert rep["summary"]["verdict"].iloc[0] == "holds"


def test_deeplift_summation_to_delta_through_an_exponential_first_layer():
    """captum rules only its own nonlinearities; regviz registers Exp (plain gradients
    through exp miss f(x) - f(reference) by about the difference itself)."""
    m = _scaled(build("deepstarr", 120, 2, output_kind="regression", first_activation="exp",
                      conv_widths=[11, 3, 5, 3]))
    X = random_x(3, 120)
    for method, base in (("deeplift", "shuffle"), ("deeplift_shap", None)):
        rep = A.sanity(m, X, method, target=0, baseline=base, n_references=3,
                       checks=("completeness",))
        assert (rep["completeness"]["f(x) - f(reference)"].abs() > 0.5).all()
        assert rep["completeness"]["relative_delta"].max() < 1e-3, method


def test_deeplift_shap_is_captums_deepliftshap_and_hypothetical_adds_up():
    from captum.attr import DeepLiftShap

    m = _scaled(build("deepbind", 50, 1))
    X = random_x(2, 50)
    ours = A.attribute(m, X, "deeplift_shap", n_references=4, seed=3)
    refs = A.references(X, "shuffle", 4, seed=3)
    for i in range(2):
        with deeplift_guards(m):     # what regviz opens around captum's DeepLift
            theirs = DeepLiftShap(m).attribute(torch.from_numpy(X[i:i + 1]),
                                               baselines=torch.from_numpy(refs[i]), target=0)
        np.testing.assert_allclose(ours[i], theirs[0].detach().numpy(), atol=1e-5)
    hyp = A.attribute(m, X, "deeplift_shap", n_references=4, seed=3, hypothetical=True)
    np.testing.assert_allclose((hyp * X).sum(1), ours.sum(1), atol=1e-5)
    assert np.abs(hyp * (1 - X)).max() > 1e-3          # other bases get values too


def _hooks(model):
    return [(n, kind) for n, mod in model.named_modules()
            for kind in ("_forward_hooks", "_forward_pre_hooks") if getattr(mod, kind)]


def test_shipped_checkpoints_load_without_hooks():
    for folder in sorted(shipped_checkpoint("tf-binding_deepbind").parent.iterdir()):
        if (folder / "card.json").is_file():
            model, _ = checkpoints.load(folder)
            assert _hooks(model) == [], folder.name


def test_tangermeme_would_take_its_fast_path():
    """tangermeme's fast ISM refuses models with forward hooks (issue #21). Runs only where
    the optional tangermeme is installed."""
    fastism = pytest.importorskip("tangermeme._fastism")
    has_hooks = getattr(fastism, "_has_hooks", None)
    if has_hooks is None:
        pytest.skip("this tangermeme has no _has_hooks check")
    model = build("deepstarr", 249, 1).eval()
    assert not has_hooks(model)
    with deeplift_guards(model):
        assert has_hooks(model)           # what every zoo model looked like before
    assert not has_hooks(model)


def test_deeplift_leaves_no_hooks_behind_even_when_it_fails():
    """Issue #21: the DeepLIFT guards exist only during the call, so tangermeme / captum /
    users' code see a plain nn.Module before and after."""
    model, _ = checkpoints.load(shipped_checkpoint("tf-binding_deepbind"))
    assert _hooks(model) == []
    X = random_x(2, model.input_length)
    for method in ("deeplift", "deeplift_shap"):
        A.attribute(model, X, method, n_references=2)
        assert _hooks(model) == [], method

    def stop(done, total):
        assert _hooks(model) == []            # between batches: captum's call is over
        raise KeyboardInterrupt("cancelled")

    with pytest.raises(KeyboardInterrupt):
        A.attribute(model, X, "deeplift_shap", n_references=2, batch_size=1, progress=stop)
    assert _hooks(model) == []

    def fail(module, inputs, output):
        raise RuntimeError("inside the forward")

    handle = model.out.register_forward_hook(fail)
    with pytest.raises(RuntimeError, match="inside the forward"):
        A.attribute(model, X, "deeplift")
    handle.remove()
    assert _hooks(model) == []
    A.sanity(model, X[:1], "deeplift", n_references=2)
    assert _hooks(model) == []


def test_references_are_dinucleotide_shuffles_and_seeded():
    X = random_x(2, 60)
    r1, r2 = A.references(X, "shuffle", 3, seed=1), A.references(X, "shuffle", 3, seed=1)
    np.testing.assert_array_equal(r1, r2)
    seq = sequence.decode(X)[0]
    assert sequence.decode(r1[0]) == sequence.dinucleotide_shuffle(seq, 3, seed=1)
    assert A.references(X, "uniform")[0, 0, :, 0].tolist() == [0.25] * 4
    assert A.references(X, "zeros").shape == (2, 1, 4, 60)


# ----------------------------------------------------------------------------- fast ISM

ISM_CASES = [
    ("deepbind", 40, {}), ("deepbind", 101, {}),
    ("deepbind", 45, {"pad_n": True, "avg_pool": True, "hidden": 8}),
    ("deepsea", 163, {}), ("deepsea", 203, {}),
    ("basset", 240, {}), ("basset", 301, {}),
    ("deepstarr", 64, {}), ("deepstarr", 249, {"flatten": "position_major"}),
    ("deepstarr", 249, {"first_activation": "exp", "conv_widths": [19, 3, 5, 3]}),
    ("decode", 300, {}), ("decode", 517, {}),
    ("cnn", 150, {}), ("cnn", 403, {"head": "mean"}),
    ("kmer_logreg", 50, {}),
]


@pytest.mark.parametrize("name,length,overrides", ISM_CASES)
def test_fast_ism_equals_brute_force(name, length, overrides):
    m = _scaled(build(name, length, 2, output_kind="multitask", **overrides), seed=length)
    assert I.supports_fast_ism(m)
    X = random_x(2, length, seed=length, n_at=length // 3)
    fast = I.ism(m, X, target=1, method="fast", chunk=7)
    brute = I.ism_brute_force(m, X, target=1)
    assert np.abs(brute).max() > 0.01                    # effects big enough to compare
    assert np.abs(fast - brute).max() < 1e-4
    assert (fast[X == 1] == 0).all()                      # 0 at the reference base
    assert (fast[1, :, length // 3] != 0).any()           # all four scored at the N


def test_ism_batch_size_and_chunk_independence_and_model_state_kept():
    m = _scaled(build("decode", 300, 1)).train()
    X = random_x(3, 300)
    before = {k: v.clone() for k, v in m.state_dict().items()}
    a = I.ism(m, X, batch_size=50, chunk=5)
    b = I.ism(m, X, batch_size=4096, chunk=64)
    c = I.ism(m, X, method="brute", batch_size=33)
    assert np.abs(a - b).max() < 1e-5 and np.abs(a - c).max() < 1e-4
    assert m.training and all(mod.training for mod in m.modules())
    for k, v in m.state_dict().items():                 # batch-norm stats untouched
        assert torch.equal(v, before[k]), k
    calls = []
    I.ism(m, X[:1], progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (900, 900)


def test_recurrent_models_fall_back_to_brute_force():
    m = build("lstm", 30, 1)
    assert not I.supports_fast_ism(m)
    X = random_x(1, 30)
    with pytest.raises(AttributionError, match="has no fast ISM path"):
        I.ism(m, X, method="fast")
    np.testing.assert_allclose(I.ism(m, X), I.ism_brute_force(m, X), atol=1e-6)


# ----------------------------------------------------------------------------- invariances


@pytest.mark.parametrize("method", ["integrated_gradients", "deeplift", "deeplift_shap",
                                    "input_x_gradient"])
def test_batch_size_independence_and_mode_device_unchanged(method):
    m = _scaled(build("basset", 200, 3, output_kind="multitask")).train()
    X = random_x(3, 200)
    small = A.attribute(m, X, method, target=2, batch_size=2, n_steps=8, n_references=3)
    large = A.attribute(m, X, method, target=2, batch_size=512, n_steps=8, n_references=3)
    assert np.abs(small - large).max() < 1e-5
    assert m.training and next(m.parameters()).device.type == "cpu"
    assert torch.is_grad_enabled()


def test_reverse_complement_average_is_strand_symmetric():
    m = _scaled(build("deepbind", 40, 1))
    X = random_x(2, 40)
    fwd = A.attribute(m, X, "integrated_gradients", n_steps=8, rc_average=True)
    rev = A.attribute(m, sequence.reverse_complement(X), "integrated_gradients", n_steps=8,
                      rc_average=True)
    np.testing.assert_allclose(fwd, sequence.reverse_complement(rev), atol=1e-5)
    plain = A.attribute(m, X, "integrated_gradients", n_steps=8)
    assert np.abs(plain - fwd).max() > 1e-3


def test_gradient_shap_seeded():
    m = _scaled(build("deepbind", 40, 1))
    X = random_x(2, 40)
    a = A.attribute(m, X, "gradient_shap", n_references=4, n_samples=8, seed=1)
    b = A.attribute(m, X, "gradient_shap", n_references=4, n_samples=8, seed=1)
    c = A.attribute(m, X, "gradient_shap", n_references=4, n_samples=8, seed=2)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 0


# ----------------------------------------------------------------------------- errors


def test_deeplift_through_an_lstm_is_refused_with_alternatives():
    m = build("lstm", 30, 1)
    X = random_x(1, 30)
    with pytest.raises(AttributionError, match=r"DeepLIFT is not exact on lstm: .* Methods "
                       r"that work on this model: saliency, input_x_gradient, "
                       r"integrated_gradients, gradient_shap, ism"):
        A.attribute(m, X, "deeplift")
    assert "deeplift_shap" not in A.methods_for(m)
    assert A.attribute(m, X, "deeplift", allow_approximate=True).shape == (1, 4, 30)


def test_bad_arguments_have_clear_messages():
    m = build("deepbind", 40, 1)
    X = random_x(1, 40)
    with pytest.raises(AttributionError, match="method must be one of saliency.*Got 'shap'"):
        A.attribute(m, X, "shap")
    with pytest.raises(AttributionError, match=r"target must be an output index from 0 to 0 "
                       r"\(deepbind has 1 output\(s\)\). Got 3 instead"):
        A.attribute(m, X, "saliency", target=3)
    with pytest.raises(AttributionError, match="baseline must be one of zeros, uniform, "
                       "shuffle, gc. Got 'ones' instead"):
        A.attribute(m, X, "deeplift", baseline="ones")
    with pytest.raises(AttributionError, match=r"takes inputs of shape \(n, 4, 40\)"):
        A.attribute(m, random_x(1, 41), "saliency")
    with pytest.raises(AttributionError, match=r"Unknown option\(s\) \['steps'\]"):
        A.attribute(m, X, "integrated_gradients", steps=3)
    with pytest.raises(SequenceError, match="seq1 is 12 bp but deepbind reads exactly 40 bp"):
        predict.encode_for(m, sequence.parse_sequences("ACGTACGTACGT"))


def test_sanity_flags_reused_nonlinear_modules():
    class Reuse(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.act = nn.Conv1d(4, 2, 3), nn.ReLU()
            self.input_length, self.in_channels = 20, 4

        def forward(self, x):
            return self.act(self.act(self.conv(x)) - 0.1).sum(dim=(1, 2))[:, None]

    rep = A.sanity(Reuse(), random_x(1, 20), "integrated_gradients", n_steps=8,
                   checks=("completeness",))
    assert any("act (called 2 times)" in w for w in rep["warnings"])
    rep = A.sanity(build("deepbind", 40, 1), random_x(1, 40), "integrated_gradients",
                   n_steps=8)
    assert rep["warnings"] == [] and set(rep["references"]["reference"]) == {
        "zeros", "uniform", "gc", "shuffle"}
    assert len(rep["summary"]) == 3


def test_sanity_verdicts_say_what_to_change_and_offer_it():
    """Issue #21 item 8: every row has advice; a failing verdict carries a suggestion the
    page can apply (measured: 256 steps make IG complete on the shipped DeepSTARR)."""
    m = _scaled(build("deepstarr", 120, 2, output_kind="regression"))
    X = random_x(3, 120)
    coarse = A.sanity(m, X, "integrated_gradients", target=1, n_steps=8)
    summary = coarse["summary"]
    assert list(summary.columns[:3]) == ["check", "value", "verdict"]
    assert {"advice", "check_id"} <= set(summary.columns)
    assert summary["advice"].str.len().gt(40).all()
    assert list(summary["check_id"]) == ["completeness", "references", "rc"]
    row = summary.iloc[0]
    assert row["verdict"] == "does NOT hold" and "Use more steps: 256" in row["advice"]
    assert coarse["suggestions"]["completeness"] == {"n_steps": 256}
    assert coarse["settings"] == {"n_steps": 8, "baseline": "zeros", "n_references": 10,
                                  "n_samples": 20}
    fine = A.sanity(m, X, "integrated_gradients", target=1, checks=("completeness",),
                    **coarse["suggestions"]["completeness"])
    assert fine["summary"]["verdict"].iloc[0] == "holds" and fine["suggestions"] == {}
    assert "converged at 256 steps" in fine["summary"]["advice"].iloc[0]
    assert [S.more_ig_steps(n) for n in (8, 32, 128, 256, 512, 1024)] == [
        256, 256, 256, 512, 1024, None]
    # the other verdicts' remedies, from their tables
    refs = pd.DataFrame({"reference": ["zeros", "uniform", "gc", "shuffle"],
                         "mean f(reference)": [2.0, 1.0, 0.5, 0.4],
                         "track r vs zeros": [1.0, 0.9, 0.3, 0.5]})
    settings = {"baseline": "zeros", "n_references": 10}
    verdict, advice, suggestion = S._reference_advice(refs, settings)
    assert verdict == "depends on the reference" and suggestion == {"baseline": "shuffle"}
    assert "r = 0.30 between the zeros and the gc reference" in advice
    assert S._reference_advice(refs, {**settings, "baseline": "shuffle"})[2] == {
        "n_references": 20}
    assert S._reference_advice(refs.assign(**{"track r vs zeros": 0.9}), settings)[2] is None
    assert S._rc_advice(0.2)[0::2] == ("strand-dependent", {"rc_average": True})
    assert S._rc_advice(0.9)[0::2] == ("consistent", None)
    assert S._rc_advice(float("nan"))[2] is None          # nothing to apply
    assert S._reference_advice(refs.assign(**{"track r vs zeros": np.nan}), settings)[2] is None


def test_deeplift_warnings_only_where_deeplift_is_checked():
    lstm = build("lstm", 30, 1)
    X = random_x(1, 30)
    ig = A.sanity(lstm, X, "integrated_gradients", n_steps=8, checks=("completeness",))
    assert ig["warnings"] == [] and "deeplift_approximate" not in set(ig["summary"]["check_id"])
    dl = A.sanity(lstm, X, "deeplift", checks=("completeness",))
    assert any(w.startswith("DeepLIFT on this model") for w in dl["warnings"])
    assert dl["suggestions"]["deeplift_approximate"] == {"method": "integrated_gradients"}
    assert dl["summary"].set_index("check_id").loc["deeplift_approximate", "verdict"] == \
        dl["warnings"][0]
    gs = A.sanity(build("deepbind", 40, 1), random_x(1, 40), "gradient_shap", n_references=2,
                  checks=("completeness",))
    assert gs["summary"]["verdict"].iloc[0] == "approximate by design"
    assert gs["suggestions"]["completeness"] == {"n_samples": 40}


# ----------------------------------------------------------------------------- ground truth


def test_positional_scores_by_hand():
    tracks = np.array([[0.1, 0.9, 0.8, 0.2, -0.7], [0.0, 0.0, 0.0, 0.0, 0.0]])
    mask = np.array([[0, 1, 1, 0, 0], [0, 0, 0, 0, 0]], bool)
    s = G.positional_scores(tracks, mask)             # |-0.7| outranks nothing inside
    assert s["n_sequences"] == 1 and s["n_positive"] == 2 and s["n_negative"] == 3
    assert s["auroc"] == pytest.approx(1.0)
    s = G.positional_scores(tracks, mask, absolute=False)
    assert s["auroc"] == pytest.approx(1.0)
    tracks[0, 4] = 0.85
    assert G.positional_scores(tracks, mask)["auroc"] == pytest.approx(5 / 6)


def test_relevant_motifs_from_grammar():
    from regviz import simulate

    tf = simulate.make_dataset("tf-binding", 20, 0)
    assert G.relevant_motifs(tf.grammar, "CTCF") == ["CTCF"]
    act = simulate.make_dataset("enhancer-activity", 20, 0)
    assert G.relevant_motifs(act.grammar, "Dev") == ["FOS::JUN", "Trl", "srp", "twi"]
    with pytest.raises(AttributionError, match="Task 'Foo' is not in this dataset"):
        G.relevant_motifs(act.grammar, "Foo")


def _shipped(name):
    model, card = checkpoints.load(shipped_checkpoint(name))
    return model, card, checkpoints.dataset_from_card(card)


def test_score_method_is_attribute_then_importance_then_score():
    model, card, dataset = _shipped("tf-binding_deepbind")
    seqs, ann, _ = G.test_subset(dataset, 10, seed=0, only_with_sites="CTCF")
    X = sequence.one_hot(seqs)
    for method in ("saliency", "deeplift"):
        got = G.score_method(model, X, ann, dataset.grammar, "CTCF", method)
        track = A.importance(A.attribute(model, X, method), X, method,
                             hypothetical=method == "saliency")
        want = G.score_tracks(track, ann, dataset.grammar, "CTCF")
        assert got == want


def _auroc(model, card, dataset, method, task_index=0, n=200):
    task = card.task_names[task_index]
    seqs, ann, _ = G.test_subset(dataset, n, seed=0, only_with_sites=task)
    X = sequence.one_hot(seqs)
    a = A.attribute(model, X, method, task_index, n_steps=32, n_references=10)
    return G.score_tracks(A.importance(a, X, method), ann, dataset.grammar, task)["auroc"]


@pytest.mark.parametrize("method", ["integrated_gradients", "deeplift_shap", "ism"])
def test_tf_binding_deepbind_finds_planted_ctcf(method):
    model, card, dataset = _shipped("tf-binding_deepbind")
    assert _auroc(model, card, dataset, method) >= 0.9


@pytest.mark.parametrize("method", ["integrated_gradients", "deeplift_shap", "ism"])
def test_enhancer_activity_deepstarr_finds_planted_hk_motifs(method):
    model, card, dataset = _shipped("enhancer-activity_deepstarr")
    assert card.task_names[1] == "Hk"
    assert _auroc(model, card, dataset, method, task_index=1) >= 0.9


@pytest.mark.parametrize("method", ["integrated_gradients", "deeplift_shap", "ism"])
def test_enhancer_activity_deepstarr_finds_planted_dev_motifs(method):
    model, card, dataset = _shipped("enhancer-activity_deepstarr")
    assert _auroc(model, card, dataset, method, task_index=0) >= 0.9


def test_enhancer_activity_deepstarr_dev_is_well_above_chance():
    model, card, dataset = _shipped("enhancer-activity_deepstarr")
    assert _auroc(model, card, dataset, "deeplift", task_index=0) >= 0.85


def test_non_finite_outputs_and_tracks_are_said_not_silent():
    """Finite but huge weights give NaN outputs: predictions, attributions, Grad-CAM and
    the sanity panel all say so."""
    from regviz import gradcam, predict
    from regviz.errors import RegvizWarning

    model = build("deepstarr", 249, 2, output_kind="regression").eval()
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(3e38)
    X = sequence.one_hot(sequence.random_sequences(2, 249, seed=0))
    with pytest.warns(RegvizWarning, match="Predictions: .* values are not finite"):
        predict.predict(model, X)
    with pytest.warns(RegvizWarning, match="Saliency attributions: .* not finite"):
        A.attribute(model, X, "saliency")
    with pytest.warns(RegvizWarning, match="Grad-CAM: .* not finite"):
        gradcam.gradcam(model, X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = A.sanity(model, X[:1], "saliency")
    assert any("NaN or infinite" in w for w in report["warnings"])
    assert report["summary"]["verdict"].str.contains("NaN or infinite").any()
