"""Grad-CAM: alignment on hand-built models, localisation on the shipped decode model,
region scans on FASTA files written here, contig ends."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from regviz import checkpoints, sequence
from regviz import gradcam as G
from regviz.errors import InputFormatError, ModelConfigError, RegionError, SequenceError
from regviz.genome import Region, write_fasta
from regviz.models import build, empirical_receptive_field
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
