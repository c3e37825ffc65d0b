"""Grad-CAM: alignment on hand-built models, localisation on the shipped decode model,
region scans on FASTA files written here, contig ends."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from captum.attr import LayerGradCam

from regviz import checkpoints, genome, predict, sequence
from regviz import gradcam as G
from regviz.errors import InputFormatError, ModelConfigError, RegionError, SequenceError
from regviz.genome import Region, write_fasta
from regviz.models import build, empirical_receptive_field
from regviz.plotting import gradcam as gradcam_plots
from support import MOTIF, motif_model, plant, random_dna, shipped_checkpoint

torch.set_num_threads(2)
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")


# ---------------------------------------------------------------- geometry

def test_layer_resolution_matches_gradients_and_decode_numbers():
    m = build("decode", 4000, 1)
    table = G.layer_resolution(m)
    assert list(table["layer"]) == ["convs.0.conv", "convs.1.conv", "convs.2.conv"]
    assert table["bin_bp"].tolist() == [1, 8, 32]
    assert table["receptive_field_bp"].tolist() == [11, 66, 282]
    assert table["conv"].tolist() == table["layer"].tolist()
    maps = G.layer_resolution(m, feature_maps=True)
    assert maps["layer"].tolist() == ["convs.0.act", "convs.1.act", "convs.2.act"]
    assert maps["conv"].tolist() == table["layer"].tolist()
    assert maps["is_default"].tolist() == [False, False, True]
    assert G.default_layer(m) == "convs.2.act"
    assert (maps["bin_bp"] == table["bin_bp"]).all()
    for layer in table["layer"]:
        span, first, last = empirical_receptive_field(m, layer, position=40,
                                                      return_positions=True)
        assert G.position_centres(m, layer)[40] == pytest.approx((first + last) / 2)


def test_tracks_only_decode_lives_at_bin_resolution():
    m = build("decode", 200, 1, preset="paper")
    table = G.layer_resolution(m)
    assert table["bin_bp"].tolist() == [20, 40, 80]        # 20 bp bins, pools 2, 2
    assert table["receptive_field_bp"].tolist() == [100, 280, 640]
    assert G.position_centres(m, "convs.0.conv")[:2].tolist() == [9.5, 29.5]


def test_valid_padding_centres_are_not_a_stretch():
    m = motif_model(1000, padding="valid", pools=(4, 2, 1), widths=(12, 3, 9))
    centres = G.position_centres(m)
    # valid convs shift every centre right by half the receptive field
    rf = int(G.layer_resolution(m).iloc[-1]["receptive_field_bp"])
    assert centres[0] == pytest.approx((rf - 1) / 2)


# ---------------------------------------------------------------- alignment

@pytest.mark.parametrize("padding,widths", [("same", (12, 3, 5)), ("valid", (12, 3, 25))])
def test_gradcam_peak_on_the_motif(padding, widths):
    m = motif_model(4000, padding=padding, widths=widths)
    starts = [150, 1337, 2021, 3600]
    X = sequence.one_hot([plant(random_dna(4000, i), {s: MOTIF}) for i, s in enumerate(starts)])
    track, raw, centres = G.gradcam(m, X, return_raw=True)
    assert track.shape == (4, 4000)
    assert np.allclose(track.max(1), 1.0)
    peaks = track.argmax(1)
    for s, p in zip(starts, peaks):
        assert s <= p < s + len(MOTIF), (s, p)
    if padding == "valid":
        # a naive stretch of the feature map over 4 kb misses motifs near the ends by
        # about half the receptive field (219 bp); the centred map does not
        P = raw.shape[1]
        naive = (raw.argmax(1) + 0.5) * 4000 / P
        errors = [abs(n - (s + 6)) for n, s in zip(naive, starts)]
        assert errors[0] > 40 and errors[-1] > 40, errors


def test_relu_normalize_and_guided():
    m = motif_model(4000)
    X = sequence.one_hot([plant(random_dna(4000, 7), {2000: MOTIF})])
    raw = G.gradcam(m, X, normalize=False)
    assert raw.max() > 0 and raw.min() >= 0
    guided = G.gradcam(m, X, guided=True)
    assert 2000 <= np.abs(guided).argmax() < 2000 + len(MOTIF)
    assert np.abs(guided).max() == pytest.approx(1.0)
    empty = G.gradcam(m, sequence.one_hot([random_dna(4000, 8)]))
    assert not empty.any()                      # no motif, no evidence, no NaN


def track_model():
    """Tracks-only DECODE (5 tracks x 200 bins of 20 bp) that reads track 0 above 0.5."""
    m = build("decode", 200, 1, preset="paper", conv_filters=[1, 1, 1], conv_widths=[1, 1, 1],
              pools=[1, 1, 1], batchnorm=False, head="max", dense=[], dense_dropout=0.0).eval()
    with torch.no_grad():
        m.convs[0].conv.weight.zero_()
        m.convs[0].conv.weight[0, 0, 0] = 1.0      # track 0 (accessibility) only
        m.convs[0].conv.bias.fill_(-0.5)
        for block in m.convs[1:]:
            block.conv.weight.fill_(1.0)
            block.conv.bias.zero_()
        m.out.weight.fill_(10.0)
    return m


def test_tracks_only_gradcam_maps_bins_to_bp():
    m = track_model()
    X = np.zeros((1, 5, 200), np.float32)
    X[0, 0, 50:55] = [0.6, 0.8, 1.0, 0.8, 0.6]    # a peak over bins 50-54 = bp 1000-1099
    X[0, 1, 120:130] = 5.0                        # a mark the model ignores
    track = G.gradcam(m, X)
    assert track.shape == (1, 4000)
    assert 1000 <= track[0].argmax() < 1100
    cores = G.call_cores(track[0], threshold=0.5, min_width=20)
    assert len(cores) == 1 and cores["start"][0] >= 1000 - 20 and cores["end"][0] <= 1100 + 20


def test_bad_inputs_have_clear_errors():
    m = motif_model(4000)
    with pytest.raises(SequenceError, match=r"reads inputs of shape \(n, 4, 4000\).*"
                                            r"Got \(1, 4, 100\) instead"):
        G.gradcam(m, np.zeros((1, 4, 100), np.float32))
    with pytest.raises(ModelConfigError, match="layer 'dense.0' is not a layer of decode.*"
                                               "conv layers: convs.0.conv"):
        G.gradcam(m, np.zeros((1, 4, 4000), np.float32), layer="dense.0")
    with pytest.raises(SequenceError, match="threshold is a fraction.*Got 2 instead"):
        G.call_cores(np.ones(10), threshold=2)
    with pytest.raises(ModelConfigError, match="no convolution layer"):
        G.gradcam(build("lstm", 500, 1), np.zeros((1, 4, 500), np.float32))


def test_call_cores_on_known_track():
    track = np.zeros(1000, np.float32)
    track[100:300] = 1.0
    track[500:520] = 0.9          # too narrow for min_width=50
    track[700:800] = 0.6
    cores = G.call_cores(track, threshold=0.5, min_width=50)
    assert cores[["start", "end", "width", "rank"]].values.tolist() == [[100, 300, 200, 1],
                                                                        [700, 800, 100, 2]]
    two = G.call_cores(np.stack([track, track * 0]), threshold=0.5, min_width=50)
    assert two["window"].tolist() == [0, 0]


# ---------------------------------------------------------------- scanning

@pytest.fixture(scope="module")
def motif_genome(tmp_path_factory):
    """chrA 31 kb with the motif at 5,000, 17,003 and 30,950 (38 bp from its end);
    chrB 2.5 kb (shorter than a window) with the motif at 1,200."""
    folder = tmp_path_factory.mktemp("genome")
    chrA = plant(random_dna(31_000, 1), {5000: MOTIF, 17_003: MOTIF, 30_950: MOTIF})
    chrB = plant(random_dna(2_500, 2), {1200: MOTIF})
    return write_fasta([("chrA", chrA), ("chrB", chrB)], folder / "g.fa")


@pytest.mark.parametrize("edges", ["shift", "pad"])
def test_scan_region_finds_planted_motifs(motif_genome, edges):
    m = motif_model(4000)
    seen = []
    res = G.scan_region(m, motif_genome, "chrA", stride=2000, batch_size=4, edges=edges,
                        min_width=5, progress=lambda d, t: seen.append((d, t)))
    assert res.region == Region("chrA", 0, 31_000)
    assert res.track.shape == (31_000,)
    assert seen[-1][0] == seen[-1][1] == len(res.windows)
    assert all(a < b for (a, _), (b, _) in zip(seen, seen[1:]))
    starts = res.calls["start"].to_numpy()
    ends = res.calls["end"].to_numpy()
    for site in (5000, 17_003, 30_950):
        assert ((starts < site + len(MOTIF)) & (ends > site)).sum() == 1, (site, res.calls)
    assert len(res.calls) == 3
    if edges == "shift":
        assert res.windows["end"].max() == 31_000 and res.windows["padded_bp"].max() == 0
    else:
        assert res.windows["end"].max() > 31_000 and res.windows["padded_bp"].max() > 0
    bed = res.to_bed().splitlines()
    assert bed[1].split("\t")[:3] == ["chrA", str(starts[0]), str(ends[0])]
    graph = res.to_bedgraph(bin_size=10).splitlines()[1:]
    assert graph[0].startswith("chrA\t0\t") and graph[-1].split("\t")[2] == "31000"


def test_scan_short_contig_and_short_region(motif_genome):
    m = motif_model(4000)
    res = G.scan_region(m, motif_genome, "chrB", min_width=5)
    assert len(res.windows) == 1 and res.windows["padded_bp"][0] == 1500
    assert res.calls["start"][0] <= 1200 < res.calls["end"][0]
    res = G.scan_region(m, motif_genome, "chrA:16,001-18,000", min_width=5)
    assert res.windows[["start", "end"]].values.tolist() == [[15_000, 19_000]]   # centred
    assert res.track.shape == (2000,)
    assert res.calls["start"][0] <= 17_003 < res.calls["end"][0]


def test_scan_errors(motif_genome):
    m = motif_model(4000)
    with pytest.raises(RegionError, match="window must be the model's input width, 4,000 bp"):
        G.scan_region(m, motif_genome, "chrA", window=2000)
    with pytest.raises(RegionError, match="stride must be a whole number of bp from 1"):
        G.scan_region(m, motif_genome, "chrA", stride=0)
    with pytest.raises(RegionError, match="runs past the end of chrA"):
        G.scan_region(m, motif_genome, "chrA:30,001-32,000")
    with pytest.raises(RegionError, match="Contig 'chrC' is not in g.fa"):
        G.scan_region(m, motif_genome, "chrC:1-100")


def test_scan_with_extra_tracks_array_and_table(motif_genome):
    m = build("decode", 4000, 1, extra_channels=1)
    with pytest.raises(InputFormatError, match="pass tracks="):
        G.scan_region(m, motif_genome, "chrA:1-8,000")
    with pytest.raises(InputFormatError, match=r"tracks must have shape \(1, 8000\)"):
        G.scan_region(m, motif_genome, "chrA:1-8,000", tracks=np.zeros((2, 8000)))
    table = "track type=bedGraph\nchrA\t100\t200\t2.5\nchrB\t0\t50\t9\nchrA\t7990\t9000\t1\n"
    arr = G.read_track_table([table], "chrA:1-8,000")
    assert arr.shape == (1, 8000) and arr[0, 100:200].tolist() == [2.5] * 100
    assert arr[0, :100].sum() == 0 and arr[0, 7990:].tolist() == [1.0] * 10
    res = G.scan_region(m, motif_genome, "chrA:1-8,000", tracks=arr)
    assert len(res.windows) == 3 and res.track.shape == (8000,)


# ---------------------------------------------------------------- shipped decode model

@pytest.fixture(scope="module")
def decode():
    """The shipped enhancer-4kb_decode checkpoint and its regenerated dataset."""
    model, card = checkpoints.load(shipped_checkpoint("enhancer-4kb_decode"))
    auroc = card.test_metrics.get("auroc_mean")
    assert auroc is not None and auroc >= 0.8, (
        f"enhancer-4kb_decode has test AUROC {auroc}: it has not learned enhancer-4kb, and Grad-CAM "
        "cannot localise what a model has not learned. Retrain it before trusting these tests.")
    return model.eval(), card, checkpoints.dataset_from_card(card)


def test_decode_gradcam_localises_planted_cores(decode):
    model, card, dataset = decode
    table, summary = G.localisation(model, dataset, "test", threshold=0.5, min_width=50)
    print(summary)
    assert summary["n_true_positive"] >= 100          # enough windows for the fractions
    assert summary["peak_in_core_fraction"] >= 0.90
    assert summary["call_overlap_fraction"] >= 0.85
    assert summary["median_call_width"] < 600


def test_decode_scan_finds_cores_in_a_written_fasta(decode, tmp_path):
    model, card, dataset = decode
    test = np.asarray(dataset.splits["test"])
    test = test[:300]
    X = G.dataset_inputs(model, dataset, indices=test)
    with torch.no_grad():
        prob = torch.sigmoid(model(torch.from_numpy(X))[:, 0]).numpy()
    ann = dataset.annotations
    cores = ann[ann["role"] == "core"].set_index("seq_index")
    pos = [i for i, p in zip(test, prob) if p > 0.9 and i in cores.index][:4]
    neg = [i for i, p in zip(test, prob) if p < 0.2 and dataset.y[i, 0] == 0][:4]
    assert len(pos) == 4 and len(neg) == 4, "too few confident test windows to build a contig"
    order = [neg[0], pos[0], neg[1], pos[1], pos[2], neg[2], pos[3], neg[3]]
    contig = "".join(dataset.seqs[i] for i in order)
    planted = [(k * 4000 + int(cores.loc[i, "start"]), k * 4000 + int(cores.loc[i, "end"]))
               for k, i in enumerate(order) if i in pos]
    path = write_fasta([("chrT", contig)], tmp_path / "t.fa")
    res = G.scan_region(model, path, "chrT", stride=2000)
    for s, e in planted:
        hit = res.calls[(res.calls["start"] < e) & (res.calls["end"] > s)]
        assert len(hit) >= 1, (s, e, res.calls)
    false = [r for r in res.calls.itertuples()
             if not any(r.start < e and r.end > s for s, e in planted)]
    assert len(false) <= 1, res.calls




def test_scan_tracks_only_model_with_a_track_function(motif_genome):
    m = track_model()
    peaks = [(3000, 3200), (21_000, 21_300)]

    def tracks(region):                      # per-bp values; binned to 20 bp inside
        out = np.zeros((5, region.length), np.float32)
        for s, e in peaks:
            lo, hi = max(s, region.start), min(e, region.end)
            if hi > lo:
                out[0, lo - region.start:hi - region.start] = 1.0
        return out

    res = G.scan_region(m, motif_genome, "chrA", tracks=tracks, min_width=20)
    assert res.settings["bin_size"] == 20 and res.settings["window"] == 4000
    assert len(res.calls) == 2
    for (s, e), call in zip(peaks, res.calls.itertuples()):
        assert call.start < e and call.end > s


def test_window_tracks_table_reads_columns_and_names_bad_lines():
    from regviz.errors import SequenceError
    from regviz.gradcam import read_window_tracks

    rows = "".join(f"{i + 1}\t{i * 0.5}\t{i % 3}\n" for i in range(10))
    text = "position\taccessibility\tH3K27ac\n" + rows
    out = read_window_tracks(text, ["H3K27ac", "accessibility"], 10)
    assert out.shape == (2, 10) and out.dtype == np.float32
    np.testing.assert_array_equal(out[0], np.arange(10) % 3)
    np.testing.assert_array_equal(out[1], np.arange(10) * 0.5)
    with pytest.raises(SequenceError, match=r"missing H3K4me1\. Got columns position, "
                                            r"accessibility, H3K27ac instead"):
        read_window_tracks(text, ["H3K4me1"], 10)
    with pytest.raises(SequenceError, match=r"one row per base of the 12 bp window\. Got 10"):
        read_window_tracks(text, ["H3K27ac"], 12)
    bad = text.replace("\t1.5\t", "\thigh\t")
    with pytest.raises(SequenceError, match=r"line 5: column 'accessibility' holds 'high'"):
        read_window_tracks(bad.encode(), ["accessibility"], 10)


def test_held_out_cores_and_window_truth_come_from_the_test_split():
    from regviz import simulate

    ds = simulate.make_dataset("enhancer-4kb", 60, 0)
    cores = G.held_out_cores(ds)
    assert set(cores["seq_index"]) <= set(ds.splits["test"].tolist()) and len(cores) >= 1
    row = cores.iloc[0]
    planted, sites = G.window_truth(ds, row.seq_index)
    assert planted == [(int(row.start), int(row.end))]
    assert set(sites["role"]) <= {"core-motif", "scattered"} and len(sites) >= 4
    assert (sites["seq_index"] == row.seq_index).all()


def test_gradcam_is_captums_layer_gradcam_and_returns_the_forward_output(decode):
    """One forward and one backward: the map equals captum's LayerGradCam (the old
    implementation) and the returned outputs equal a separate prediction."""
    model, _, dataset = decode
    X = G.dataset_inputs(model, dataset, indices=range(6))
    layer = G.default_layer(model)
    track, raw, _, logits = G.gradcam(model, X, relu=False, normalize=False, batch_size=4,
                                      return_raw=True, return_output=True)
    ref = LayerGradCam(model, model.get_submodule(layer)).attribute(torch.from_numpy(X), target=0)
    np.testing.assert_allclose(raw, ref[:, 0].detach().numpy(), rtol=1e-5, atol=1e-6)
    assert np.abs(logits - predict.predict(model, X)[:, 0]).max() < 1e-5
    assert track.shape == (6, 4000) and logits.dtype == np.float32
    assert len(G.gradcam(model, X[:2], return_output=True)) == 2
    with torch.no_grad():                       # a caller's no_grad does not break it
        np.testing.assert_array_equal(G.gradcam(model, X, relu=False, normalize=False), track)
    with pytest.raises(ModelConfigError, match="target must be an output index from 0 to 0"):
        G.gradcam(model, X[:1], target=3)


# ---------------------------------------------------------------- single-pass scan

def two_pass_scan(model, path, region, stride):
    """The scan as it was: a no-grad forward for the probabilities, then captum's
    LayerGradCam (a second forward and the backward), max-merged."""
    with genome.Genome(path) as g:
        region = g.resolve(region)
        windows = genome.tile(region, 4000, stride, g.contigs[region.chrom])
        X = sequence.one_hot([g.fetch(w) for w in windows])
    with torch.no_grad():
        prob = torch.sigmoid(model(torch.from_numpy(X))[:, 0]).numpy()
    module = model.get_submodule(G.default_layer(model))
    raw = LayerGradCam(model, module).attribute(torch.from_numpy(X), target=0)
    cam = G.to_base_resolution(np.maximum(raw[:, 0].detach().numpy(), 0),
                               G.position_centres(model), 4000)
    peak = cam.max(axis=1, keepdims=True)
    cam = np.divide(cam, peak, out=np.zeros_like(cam), where=peak > 0) * prob[:, None]
    track = np.zeros(region.length, np.float32)
    for w, row in zip(windows, cam):
        span = slice(w.start - region.start, w.end - region.start)
        track[span] = np.maximum(track[span], row)
    return X, prob, track


@pytest.mark.parametrize("which", ["motif", "decode"])
def test_single_pass_scan_equals_predict_and_the_two_pass_scan(which, motif_genome,
                                                               demo_genome, decode):
    model, path, region = ((motif_model(4000), motif_genome, "chrA") if which == "motif" else
                           (decode[0], demo_genome, "chrDemo1:1-20,000"))
    res = G.scan_region(model, path, region, stride=2000, batch_size=4)
    X, prob, track = two_pass_scan(model, path, region, 2000)
    assert len(res.windows) == len(X)
    separate = 1 / (1 + np.exp(-predict.predict(model, X)[:, 0].astype(np.float64)))
    assert np.abs(res.windows["prob"].to_numpy() - separate).max() < 1e-5
    assert np.abs(res.windows["prob"].to_numpy() - prob).max() < 1e-5
    assert np.abs(res.track - track).max() < 1e-5
    if which == "decode":
        assert 0.5 < res.windows["prob"].max() and res.windows["prob"].min() < 0.5


# ---------------------------------------------------------------- demo genome, known cores

@pytest.fixture(scope="module")
def demo_genome(tmp_path_factory):
    """The demo genome with planted cores, written here (same bytes as the cached one)."""
    return G.make_demo_genome(tmp_path_factory.mktemp("demo") / "demo.fa")


def test_demo_genome_plants_the_decode_models_grammar(demo_genome):
    card = checkpoints.read_card(shipped_checkpoint("enhancer-4kb_decode"))
    options = card.dataset.recipe["kwargs"]
    assert card.dataset.name == "enhancer-4kb"
    assert G.DEMO_OPTIONS["sharpness"] == options["sharpness"]
    lo, hi = options["core_motifs"]
    assert lo <= G.DEMO_OPTIONS["core_motifs"][0] <= G.DEMO_OPTIONS["core_motifs"][1] <= hi
    cores = genome.read_bed(demo_genome.with_suffix(".cores.bed"))
    sites = genome.read_bed(demo_genome.with_suffix(".sites.bed"))
    assert G.cores_beside(demo_genome) == demo_genome.with_suffix(".cores.bed")
    assert list(cores.columns[:6]) == ["chrom", "start", "end", "name", "score", "strand"]
    assert cores["name"].tolist() == [f"core{i}" for i in range(1, len(cores) + 1)]
    assert cores.groupby("chrom").size().to_dict() == {"chrDemo1": 7, "chrDemo2": 5}
    assert ((cores["end"] - cores["start"]).between(200, 400)).all()
    first = cores[(cores["chrom"] == "chrDemo1") & (cores["end"] <= 20_000)]
    assert len(first) >= 2                                # the page's default region
    role = sites["name"].str.split("|").str[1]
    assert set(role) == {"core-motif", "scattered"} and set(sites["strand"]) == {"+", "-"}
    inside = [((cores["chrom"] == r.chrom) & (cores["start"] <= r.start)
               & (cores["end"] >= r.end)).any() for r in sites.itertuples()]
    assert np.array_equal(inside, role == "core-motif")
    per_core = pd.Series([cores[(cores["chrom"] == r.chrom) & (cores["start"] <= r.start)
                                & (cores["end"] >= r.end)]["name"].iloc[0]
                          for r in sites[role == "core-motif"].itertuples()]).value_counts()
    assert set(per_core.index) == set(cores["name"]) and (per_core == 10).all()
    inserts, planted, _ = G.planted_demo(0)
    with genome.Genome(demo_genome) as g:
        assert g.contigs == {"chrDemo1": 60_000, "chrDemo2": 40_000}
        for chrom, start, piece in inserts:                  # tiles written where they say
            assert g.fetch(Region(chrom, start, start + len(piece))) == piece
        seq = g.fetch("chrDemo1") + g.fetch("chrDemo2")
    assert 0.40 < (seq.count("G") + seq.count("C")) / len(seq) < 0.44
    assert [(r.chrom, r.start, r.end, r.name) for r in planted] == \
        list(cores[["chrom", "start", "end", "name"]].itertuples(index=False, name=None))


def test_demo_genome_path_builds_fasta_and_beds_once(tmp_path, monkeypatch, demo_genome):
    monkeypatch.setenv("REGVIZ_CACHE", str(tmp_path))
    path = G.demo_genome_path()
    assert path.read_bytes() == demo_genome.read_bytes()
    assert G.demo_cores_path().read_text() == demo_genome.with_suffix(".cores.bed").read_text()
    assert G.demo_sites_path().is_file() and path.with_suffix(".cores.bed") == G.demo_cores_path()
    G.demo_cores_path().unlink()                          # a missing BED rebuilds the set
    assert G.demo_genome_path() == path and G.demo_cores_path().is_file()


def test_score_calls_recall_precision_and_peak_distance():
    calls = pd.DataFrame({"chrom": ["c", "c", "c", "d"], "start": [10, 100, 500, 0],
                          "end": [60, 150, 550, 10], "peak_pos": [40, 120, 520, 5]})
    truth = "c\t0\t30\tA\nc\t140\t200\nc\t1000\t1100\tC\n"     # BED text
    per_core, s = G.score_calls(calls, truth)
    assert per_core["name"].tolist() == ["A", "core2", "C"]
    assert per_core["found"].tolist() == [True, True, False]
    assert per_core["peak_distance_bp"].tolist()[:2] == [11.0, 20.0]  # peaks 40 and 120
    assert (s["n_known"], s["n_calls"], s["n_found"], s["n_true_calls"]) == (3, 4, 2, 2)
    assert s["recall"] == pytest.approx(2 / 3) and s["precision"] == 0.5
    assert s["median_peak_distance_bp"] == 15.5
    _, s = G.score_calls(calls, [Region("c", 0, 30)], region="c:1-600")
    assert (s["n_known"], s["n_calls"], s["recall"], s["precision"]) == (1, 3, 1.0, 1 / 3)
    _, s = G.score_calls(calls.iloc[:0], truth)
    assert s["recall"] == 0 and np.isnan(s["precision"]) and np.isnan(s["median_peak_distance_bp"])
    with pytest.raises(SequenceError, match="need the columns chrom, start and end"):
        G.score_calls(calls, pd.DataFrame({"chrom": ["c"]}))


def test_decode_scan_finds_the_demo_genomes_planted_cores(decode, demo_genome):
    """The shipped model's default scan (stride 2 kb, track >= 0.5, 50 bp) of the whole
    demo genome against its planted BED (measured: recall 11/12, precision 11/11,
    median peak distance 0 bp); the page's default region finds both of its cores."""
    model = decode[0]
    bed = demo_genome.with_suffix(".cores.bed")
    found, known, true_calls, n_calls, distances = 0, 0, 0, 0, []
    for chrom in ("chrDemo1", "chrDemo2"):
        res = G.scan_region(model, demo_genome, chrom, stride=2000)
        per_core, s = G.score_calls(res.calls, bed, res.region)
        found, known = found + s["n_found"], known + s["n_known"]
        true_calls, n_calls = true_calls + s["n_true_calls"], n_calls + s["n_calls"]
        distances += per_core["peak_distance_bp"].dropna().tolist()
    print(f"recall {found}/{known}, precision {true_calls}/{n_calls}, distances {distances}")
    assert known == 12
    assert found / known >= 0.8 and true_calls / n_calls >= 0.8
    assert np.median(distances) <= 50
    res = G.scan_region(model, demo_genome, "chrDemo1:1-20,000", stride=2000)
    _, s = G.score_calls(res.calls, bed, res.region)
    assert s["n_known"] >= 2 and s["recall"] == 1.0 and s["precision"] == 1.0


def test_scan_figure_has_genomic_coordinates_and_known_cores():
    windows = pd.DataFrame({"start": [1000, 3000], "end": [5000, 7000], "prob": [0.9, 0.1]})
    fig = gradcam_plots.scan_figure(windows, np.linspace(0, 1, 6000), 1000,
                                    calls=[(2000, 2300)], planted=[(2100, 2400)],
                                    chrom="chrDemo1", threshold=0.5)
    assert fig.layout.xaxis3.title.text == "position on chrDemo1 (bp, 1-based)"
    assert fig.layout.xaxis3.tickprefix == "chrDemo1:" and fig.layout.xaxis3.tickformat == ",d"
    assert list(fig.layout.xaxis3.range) == [1000.5, 7000.5]
    names = {t.name for t in fig.data}
    assert {"called core", "known core"} <= names
