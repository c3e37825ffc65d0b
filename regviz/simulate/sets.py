"""The five synthetic sets: their motifs, grammars and builders (see `regviz.simulate`).

Each builder takes ``(n, rng, options)`` and returns the planted instances, the
motifs, the task kind and the grammar; `regviz.simulate.datasets.make_dataset`
turns that into a Dataset. ``BUILDERS`` maps a set's name to its builder, default
options and JASPAR IDs.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from regviz.errors import DataFormatError
from regviz.motifs import jaspar
from regviz.simulate import engine as G
from regviz.simulate.engine import ORIENTATIONS
from regviz.simulate.rules import profile

COMMON_OPTIONS = {"gc": 0.42, "gc_sd": 0.03, "sharpness": 1.0, "label_noise": 0.02,
                  "noise_sd": 0.5}
RANGES = {"gc": (0.2, 0.8), "gc_sd": (0, 0.2), "sharpness": (0, 100), "label_noise": (0, 0.5),
           "noise_sd": (0, 100)}


def _load(ids: dict) -> dict:
    """key -> Motif from pinned JASPAR IDs (or TF names)."""
    return {k: jaspar(v) for k, v in ids.items()}


def _widths(mot: dict) -> np.ndarray:
    return np.array([m.width for m in mot.values()], dtype=np.int64)


def _strands(rng, shape) -> np.ndarray:
    return np.where(rng.random(shape) < 0.5, 1, -1).astype(np.int8)


TF_IDS = {"CTCF": "MA0139.2", "EBF1": "MA0154.5", "SP1": "MA0079.5", "NRF1": "MA0506.3",
          "YY1": "MA0095.4", "ELF1": "MA0473.4"}


def _tf_binding(n, rng, o):
    """DeepBind-style binding of one TF: 101 bp, binary, about half positive.

    Positives hold one site of the target TF (option `tf`, default CTCF; any
    JASPAR name or ID). Every sequence also holds decoy sites of other TFs
    (options `decoys`, `max_decoys`): a positive holds the target plus k
    decoys, a negative k + 1 decoys (k uniform in 0..max_decoys), so both
    classes carry the same number of planted sites and only the target's
    identity tells them apart. EBF1 (TCCCCAGGGGA) shares CTCF's CCAGGGG core:
    a hard decoy. Rule: label 1 exactly when a target site was planted
    (roles "positive-motif" and "decoy").
    """
    target = _load({"t": o["tf"]})["t"]
    mot = {target.name: target}
    for m in _load(dict(enumerate(o["decoys"]))).values():
        if m.id != target.id:
            mot[m.name if m.name not in mot else m.id] = m
    if len(mot) < 2:
        raise DataFormatError("decoys must name at least one JASPAR motif other than the target.")
    b = G.Blocks(n, _widths(mot))
    pos = rng.random(n) < o["positive_fraction"]
    k = rng.integers(0, o["max_decoys"] + 1, n)
    b.single(True, np.where(pos, 0, rng.integers(1, len(mot), n)), np.where(pos, 0, 1))
    for j in range(o["max_decoys"]):
        b.single(k > j, rng.integers(1, len(mot), n), 1)
    return {"motifs": mot, "inst": b.place(rng, o["length"], o["min_gap"]), "kind": "binary",
            "roles": ["positive-motif", "decoy"], "length": o["length"],
            "grammar": {"tasks": {target.name: {"kind": "count", "motif": target.name, "min": 1}}}}


CHROMATIN_IDS = {"SPI1": "MA0080.7", "HNF4A": "MA0114.5", "HNF1A": "MA0046.3",
                 "FOXA2": "MA0047.4", "SOX2": "MA0143.5", "POU5F1": "MA1115.2",
                 "TAL1::TCF3": "MA0091.2", "GATA2": "MA0036.4", "RUNX1": "MA0002.3",
                 "REST": "MA0138.3", "CTCF": "MA0139.2", "YY1": "MA0095.4"}
CHROMATIN_TASKS = {
    "myeloid": {"kind": "count", "motif": "SPI1", "min": 1},
    "liver": {"kind": "all", "rules": [{"kind": "count", "motif": "HNF4A", "min": 1},
                                       {"kind": "count", "motif": "HNF1A", "min": 1}]},
    "endoderm": {"kind": "count", "motif": "FOXA2", "min": 3},
    "stem": {"kind": "pair", "a": "SOX2", "b": "POU5F1", "gap": [0, 5]},
    "erythroid": {"kind": "pair", "a": "TAL1::TCF3", "b": "GATA2", "gap": [6, 10]},
    "lymphoid": {"kind": "all", "rules": [{"kind": "count", "motif": "RUNX1", "min": 1},
                                          {"kind": "not", "rule": {"kind": "count",
                                                                   "motif": "REST", "min": 1}}]},
}


def _chromatin(n, rng, o):
    """Basset/DeepSEA-style accessibility in six "cell types": 600 bp, six binary tasks.

    Each task has its own rule (about 30% positive each, independently):
    myeloid = at least one SPI1 site (single motif); liver = HNF4A and HNF1A
    (heterotypic AND, any distance); endoderm = at least 3 FOXA2 sites
    (homotypic cluster); stem = SOX2 and POU5F1 with a gap of 0-5 bp (either
    order and strand: the Oct-Sox composite); erythroid = TAL1::TCF3 (E-box)
    and GATA2 with a gap of 6-10 bp; lymphoid = RUNX1 and no REST (repressor).
    Sequences that miss a task get near misses in about half the cases: one
    of the two liver partners, 1-2 FOXA2 sites, both spacing partners placed
    independently (erythroid: half of them as a block with a 20-60 bp gap),
    RUNX1 with REST (REST also stands alone in some sequences). CTCF and YY1
    are distractors that no task uses. Roles name the task a site was
    planted for ("liver", "liver (near miss)"), "repressor" or "distractor".
    Sites are sampled from PPM**2 (`sharpness` 2): the short SOX2, POU5F1,
    GATA2 and FOXA2 motifs would otherwise be matched as well by chance in
    600 bp of background.
    """
    mot = _load(CHROMATIN_IDS)
    ix = {k: i for i, k in enumerate(mot)}
    tasks = list(CHROMATIN_TASKS)
    roles = tasks + [f"{t} (near miss)" for t in tasks] + ["repressor", "distractor"]
    R = {r: i for i, r in enumerate(roles)}
    pa, pn = o["p_active"], (1 - o["p_active"]) / 2
    b = G.Blocks(n, _widths(mot))

    def state():  # 0 active, 1 near miss, 2 absent
        return rng.choice(3, n, p=[pa, pn, 1 - pa - pn])

    def role(s, task):
        return np.where(s == 0, R[task], R[f"{task} (near miss)"])

    s = (rng.random(n) >= pa) * 2
    b.single(s == 0, ix["SPI1"], R["myeloid"])
    b.single((s == 0) & (rng.random(n) < 0.3), ix["SPI1"], R["myeloid"])
    s, one = state(), rng.random(n) < 0.5
    b.single((s == 0) | ((s == 1) & one), ix["HNF4A"], role(s, "liver"))
    b.single((s == 0) | ((s == 1) & ~one), ix["HNF1A"], role(s, "liver"))
    s = state()
    copies = np.where(s == 0, rng.integers(3, 5, n), np.where(s == 1, rng.integers(1, 3, n), 0))
    for j in range(4):
        b.single(copies > j, ix["FOXA2"], role(s, "endoderm"))
    for task, (a, c), gap, far in (("stem", ("SOX2", "POU5F1"), (0, 5), None),
                                   ("erythroid", ("TAL1::TCF3", "GATA2"), (6, 10), (20, 60))):
        s, swap = state(), rng.random(n) < 0.5
        m1, m2 = np.where(swap, ix[c], ix[a]), np.where(swap, ix[a], ix[c])
        b.pair(s == 0, m1, m2, rng.integers(gap[0], gap[1] + 1, n), R[task], R[task])
        as_pair = (s == 1) & (rng.random(n) < 0.5) if far else np.zeros(n, bool)
        if far:
            nm = R[f"{task} (near miss)"]
            b.pair(as_pair, m1, m2, rng.integers(far[0], far[1] + 1, n), nm, nm)
        b.single((s == 1) & ~as_pair, ix[a], R[f"{task} (near miss)"])
        b.single((s == 1) & ~as_pair, ix[c], R[f"{task} (near miss)"])
    s = state()
    b.single(s <= 1, ix["RUNX1"], role(s, "lymphoid"))
    b.single((s == 1) | ((s == 2) & (rng.random(n) < 0.3)), ix["REST"], R["repressor"])
    for key in ("CTCF", "YY1"):
        b.single(rng.random(n) < 0.4, ix[key], R["distractor"])
    return {"motifs": mot, "inst": b.place(rng, o["length"], o["min_gap"]), "kind": "multitask",
            "roles": roles, "length": o["length"], "grammar": {"tasks": CHROMATIN_TASKS}}


ACTIVITY_IDS = {"GATA": "MA2283.1", "AP-1": "MA0099.4", "twist": "MA0249.3", "Trl": "MA0205.3",
                "ETS": "MA2230.1", "DRE": "MA1456.2", "SREBP": "MA2281.1", "M1BP": "MA1459.2"}
_ALL = {o: 1.0 for o in ORIENTATIONS}
ACTIVITY_GRAMMAR = {
    "outputs": {
        "Dev": {"intercept": 0.0, "weights": {"GATA": 0.5, "AP-1": 0.6, "twist": 0.4, "Trl": 0.4}},
        "Hk": {"intercept": 0.0, "weights": {"ETS": 0.6, "DRE": 0.7, "SREBP": 0.4, "M1BP": 0.5}},
    },
    "pairs": [
        {"name": "Trl-GATA", "a": "Trl", "b": "GATA", "output": "Dev", "kind": "additive",
         "strength": 0.0, "profile": {"shape": "flat"}, "orientation_weights": _ALL},
        {"name": "GATA-twist", "a": "GATA", "b": "twist", "output": "Dev", "kind": "decaying",
         "strength": 1.5, "profile": {"shape": "exp_decay", "scale": 30.0},
         "orientation_weights": _ALL},
        {"name": "AP-1-GATA", "a": "AP-1", "b": "GATA", "output": "Dev", "kind": "close",
         "strength": 1.5, "profile": {"shape": "window", "max_gap": 20},
         "orientation_weights": _ALL},
        {"name": "ETS-DRE", "a": "ETS", "b": "DRE", "output": "Hk", "kind": "additive",
         "strength": 0.0, "profile": {"shape": "flat"}, "orientation_weights": _ALL},
        {"name": "DRE-SREBP", "a": "DRE", "b": "SREBP", "output": "Hk", "kind": "close-phased",
         "strength": 1.5,
         "profile": {"shape": "window", "max_gap": 40, "period": 10.5, "phase": 0.0},
         "orientation_weights": _ALL},
        {"name": "ETS-M1BP", "a": "ETS", "b": "M1BP", "output": "Hk", "kind": "orientation",
         "strength": 1.5, "profile": {"shape": "exp_decay", "scale": 50.0},
         "orientation_weights": {"++": 1.0, "+-": 0.0, "-+": 0.0, "--": 1.0}},
    ],
}


def _activity(n, rng, o):
    """DeepSTARR-style enhancer activity: 249 bp, two regression outputs (Dev, Hk).

    Dev responds to GATA (srp), AP-1 (FOS::JUN), twist (twi) and Trl (GAGA);
    Hk to ETS (Ets97D), DRE (Dref), SREBP and M1BP (JASPAR has no Ohler
    motifs). Each output = sum of its motifs' weights over their sites + the
    pair terms of its pairs over every (A site, B site) pair + Gaussian noise
    (`noise_sd`). The pairs cover the cooperativity modes of the course:
    Trl-GATA and ETS-DRE are additive at any distance (term 0; ETS is "always
    mode 1"); GATA-twist synergy decays with distance (exp(-gap/30)); AP-1-GATA
    synergy only at close spacing (gap <= 20; AP-1 is "mode 3"); DRE-SREBP only
    at close spacing and helically phased (gap <= 40, (1 + cos(2 pi gap / 10.5))
    / 2); ETS-M1BP synergy needs both sites on the same strand (orientation
    "++" or "--", decaying with exp(-gap/50)). About 60% of sequences hold one
    grammar pair planted at a gap of 0-30 bp (half) or 0-120 bp (half), with
    role "pair <name>"; 0-4 further single sites of any of the eight motifs
    have role "single". `planted_cooperativity(grammar, pair, gaps,
    orientation)` draws each pair's truth. `pair_overrides` replaces the kind
    and distance profile of named pairs, e.g. ``{"DRE-SREBP": {"kind":
    "close", "profile": {"shape": "window", "max_gap": 30}}}``. `pair_weights`
    makes named pairs more (or less) often the planted pair, e.g.
    ``{"ETS-M1BP": 3}`` (others weigh 1); the rules stay the same.
    """
    mot = _load(ACTIVITY_IDS)
    ix = {k: i for i, k in enumerate(mot)}
    grammar = _override_pairs(ACTIVITY_GRAMMAR, o["pair_overrides"])
    pairs = grammar["pairs"]
    b = G.Blocks(n, _widths(mot))
    if o["pair_weights"] is None:
        which = rng.integers(0, len(pairs), n)
    else:
        w = _pair_weights(pairs, o["pair_weights"])
        which = rng.choice(len(pairs), n, p=w / w.sum())
    a = np.array([ix[p["a"]] for p in pairs])[which]
    c = np.array([ix[p["b"]] for p in pairs])[which]
    swap = rng.random(n) < 0.5
    gap = np.where(rng.random(n) < 0.5, rng.integers(0, 31, n),
                   rng.integers(0, o["max_pair_gap"] + 1, n))
    b.pair(rng.random(n) < o["pair_fraction"], np.where(swap, c, a), np.where(swap, a, c), gap,
           which, which)
    k = rng.integers(0, o["max_singles"] + 1, n)
    for j in range(o["max_singles"]):
        b.single(k > j, rng.integers(0, len(mot), n), len(pairs))
    return {"motifs": mot, "inst": b.place(rng, o["length"], o["min_gap"]), "kind": "regression",
            "roles": [f"pair {p['name']}" for p in pairs] + ["single"], "length": o["length"],
            "grammar": grammar}


def _override_pairs(grammar: dict, overrides: dict | None) -> dict:
    """A copy of an activity grammar with some pairs' ``kind`` and ``profile`` replaced."""
    out = json.loads(json.dumps(grammar))
    if overrides is None:
        return out
    if not isinstance(overrides, dict):
        raise DataFormatError("pair_overrides must map pair names to {'kind': ..., 'profile': "
                              f"...}}. Got {overrides!r} instead.")
    for name, change in overrides.items():
        index = _pair_index(out["pairs"], name, "pair_overrides")
        if not isinstance(change, dict) or not set(change) <= {"kind", "profile"} or not change:
            raise DataFormatError(f"pair_overrides[{name!r}] may set 'kind' and 'profile' only. "
                                  f"Got {change!r} instead.")
        pair = out["pairs"][index]
        pair.update(change)  # make_dataset stores a JSON copy of the whole grammar
        profile(pair["profile"], np.arange(3))  # raises on an unknown shape
    return out


def _pair_index(pairs: list, name, option: str) -> int:
    """Position of the pair called ``name``; DataFormatError naming ``option`` if none."""
    names = [p["name"] for p in pairs]
    if name not in names:
        raise DataFormatError(f"{option}: unknown pair {name!r}; the pairs are "
                              f"{', '.join(names)}.")
    return names.index(name)


def _pair_weights(pairs: list, weights) -> np.ndarray:
    """(n_pairs,) relative planting weights: the named ones from ``weights``, others 1."""
    if not isinstance(weights, dict) or not weights:
        raise DataFormatError("pair_weights must map pair names to relative weights, e.g. "
                              f"{{'ETS-M1BP': 3}}. Got {weights!r} instead.")
    out = np.ones(len(pairs))
    for name, w in weights.items():
        index = _pair_index(pairs, name, "pair_weights")
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not 0 <= w < 1e6:
            raise DataFormatError(f"pair_weights[{name!r}] must be a number >= 0. Got {w!r} "
                                  "instead.")
        out[index] = float(w)
    if out.sum() <= 0:
        raise DataFormatError("pair_weights: at least one pair needs a weight above 0.")
    return out


DECODE_IDS = {"GATA1::TAL1": "MA0140.3", "TAL1::TCF3": "MA0091.2", "KLF1": "MA0493.3",
              "NFE2": "MA0841.2"}
DECODE_MARKS = ["accessibility", "H3K27ac", "H3K4me1", "H3K4me3", "H3K9ac"]


def _decode(n, rng, o):
    """DECODE-style enhancer windows: 4,000 bp, binary, about half positive.

    A positive holds one core of 200-400 bp (uniform width, random place)
    with 4-6 sites of GATA1::TAL1, TAL1::TCF3, KLF1 and NFE2 (role "core-motif"),
    plus 0-2 sites scattered elsewhere. A negative holds 1-4 scattered sites
    of the same motifs (role "scattered"). Scattered sites and the core keep
    at least 450 bp apart, so no 400 bp window of a negative holds two sites.
    Rule: positive exactly when some 400 bp window holds at least 4 planted
    sites; composition alone overlaps between classes (4-8 vs 1-4 sites).
    The core's interval is an annotation row with role "core" (motif_id "",
    strand "."): the truth for Grad-CAM localisation. `tracks`: "none"
    (default), "binned" (five tracks accessibility, H3K27ac, H3K4me1,
    H3K4me3, H3K9ac as 20 bp bin values: shape (n, 5, 200)) or "per_bp"
    (accessibility and H3K27ac per base: (n, 2, 4000)). Tracks rise over the
    core (accessibility sharply, histone marks more broadly); any window may
    also hold a promoter-like peak (strong H3K4me3, H3K9ac, accessibility) or
    a poised peak (accessibility, H3K4me1, no H3K27ac), recorded with roles
    "promoter-like peak" and "poised peak". Tracks are made only when asked
    (binned: 4 kB per sequence; per_bp: 32 kB per sequence).
    """
    mot = _load(DECODE_IDS)
    L, (w_lo, w_hi), M = o["length"], o["core_width"], len(mot)
    if o["tracks"] not in ("none", "binned", "per_bp"):
        raise DataFormatError("tracks must be 'none', 'binned' or 'per_bp'. "
                              f"Got {o['tracks']!r} instead.")
    if L % 20:
        raise DataFormatError(f"length must be a multiple of 20 (the track bin). Got {L} instead.")
    pos = rng.random(n) < o["positive_fraction"]
    cw = rng.integers(w_lo, w_hi + 1, n)
    n_sc = np.where(pos, rng.integers(0, 3, n), rng.integers(1, 5, n))
    sc = rng.integers(0, M, (n, 4))
    widths = np.concatenate([np.where(pos, cw, 0)[:, None],
                             np.where(np.arange(4) < n_sc[:, None], _widths(mot)[sc], 0)], axis=1)
    starts = G.pack(rng, widths, L, gap=o["far_gap"])
    scattered = G.Instances(np.where(widths[:, 1:] > 0, sc, -1).astype(np.int16),
                            np.maximum(starts[:, 1:], 0), _strands(rng, (n, 4)),
                            np.ones((n, 4), np.int8), _widths(mot))
    b = G.Blocks(n, _widths(mot))
    n_core = rng.integers(o["core_motifs"][0], o["core_motifs"][1] + 1, n)
    for j in range(o["core_motifs"][1]):
        b.single(pos & (n_core > j), rng.integers(0, M, n), 0)
    core = b.place(rng, cw, gap=3, lo=np.maximum(starts[:, 0], 0))
    rows = np.flatnonzero(pos)
    extra = pd.DataFrame({"seq_index": rows, "motif_id": "", "motif_name": "core",
                          "start": starts[rows, 0], "end": starts[rows, 0] + cw[rows],
                          "strand": ".", "role": "core"})
    part = {"motifs": mot, "inst": G.Instances.concat([core, scattered]), "kind": "binary",
            "roles": ["core-motif", "scattered"], "length": L, "extra": extra,
            "grammar": {"tasks": {"enhancer": {"kind": "cluster", "motifs": list(mot),
                                               "min": o["min_sites"], "window": w_hi}}}}
    if o["tracks"] != "none":
        marks, bin_size = (DECODE_MARKS, 20) if o["tracks"] == "binned" else (DECODE_MARKS[:2], 1)
        size = n * len(marks) * (L // bin_size) * 4
        if size > o["max_track_bytes"]:
            raise DataFormatError(f"tracks={o['tracks']!r} for {n} sequences would take "
                                  f"{size / 2**30:.1f} GiB (limit max_track_bytes="
                                  f"{o['max_track_bytes']}); make fewer sequences or use "
                                  "tracks='binned'.")

        def tracks(r, noise):
            centre = np.where(pos, starts[:, 0] + cw / 2, np.nan)
            peaks = {"enhancer": (centre, cw.astype(float))}
            extras = [pd.DataFrame(columns=list(extra.columns))]
            for kind, p, width in (("promoter", 0.3, 600.0), ("poised", 0.3, 300.0)):
                c = np.where(r.random(n) < p, r.uniform(width / 2, L - width / 2, n), np.nan)
                peaks[kind] = (c, np.full(n, width))
                i = np.flatnonzero(~np.isnan(c))
                s = np.round(c[i] - width / 2).astype(np.int64)
                extras.append(pd.DataFrame({"seq_index": i, "motif_id": "", "motif_name": kind,
                                            "start": s, "end": s + int(width), "strand": ".",
                                            "role": f"{kind}-like peak" if kind == "promoter" else
                                            "poised peak"}))
            arr = G.chromatin_tracks(r, peaks, marks, L, bin_size, noise)
            return arr, list(marks), pd.concat(extras, ignore_index=True)

        part["tracks"] = tracks
    return part


LONG_IDS = {"CTCF": "MA0139.2", "ZNF143": "MA0088.2", "YY1": "MA0095.4", "NRF1": "MA0506.3",
            "SP1": "MA0079.5", "ELF1": "MA0473.4"}


def _long_range(n, rng, o):
    """A long-range pair: 2,000 bp, binary, about half positive.

    Every sequence holds two sites (roles "A" for CTCF, "B" for ZNF143) plus
    0-3 decoy sites (YY1, NRF1, SP1, ELF1; role "decoy") anywhere, also
    between them. Positives: A and B (random order and strands) with a gap
    of 1,100-1,700 bp. Negatives: A and B with a gap of 0-300 bp (80%), or two
    copies of A or of B 1,100-1,700 bp apart (20%). Rule: positive exactly when
    an A and a B site are more than `far` = 1,000 bp apart (gap). Both classes
    hold the same kinds of sites, so k-mer counts are close to useless; a
    model must relate sites about 1.1-1.7 kb apart, which dilated, recurrent
    and attention models can and a plain CNN with a short receptive field
    cannot.
    """
    mot = _load(LONG_IDS)
    A, B = 0, 1
    pos = rng.random(n) < o["positive_fraction"]
    single = ~pos & (rng.random(n) < o["single_fraction"])
    far = rng.integers(o["far_gap"][0], o["far_gap"][1] + 1, n)
    gap = np.where(pos | single, far, rng.integers(o["near_gap"][0], o["near_gap"][1] + 1, n))
    swap = rng.random(n) < 0.5
    m1 = np.where(single, np.where(swap, B, A), np.where(swap, B, A))
    m2 = np.where(single, m1, np.where(swap, A, B))
    b = G.Blocks(n, _widths(mot))
    b.pair(True, m1, m2, gap, m1, m2)  # role index = motif index: 0 "A", 1 "B"
    inst = b.place(rng, o["length"], o["min_gap"])
    k = rng.integers(0, o["max_decoys"] + 1, n)
    dec = G.empty_instances(n, o["max_decoys"], _widths(mot))
    dec.motif[:] = np.where(np.arange(o["max_decoys"]) < k[:, None],
                            rng.integers(2, len(mot), (n, o["max_decoys"])), -1)
    dec.strand[:], dec.role[:] = _strands(rng, dec.motif.shape), 2
    inst = G.Instances.concat([inst, dec])
    G.scatter(rng, inst, range(2, inst.motif.shape[1]), o["length"], o["min_gap"])
    return {"motifs": mot, "inst": inst, "kind": "binary", "roles": ["A", "B", "decoy"],
            "length": o["length"],
            "grammar": {"tasks": {"far_pair": {"kind": "pair", "a": "CTCF", "b": "ZNF143",
                                               "gap": [o["far"] + 1, None]}}}}


BUILDERS = {
    "tf-binding": (_tf_binding, {"length": 101, "tf": "CTCF", "decoys": tuple(TF_IDS.values())[1:],
                                 "max_decoys": 1, "positive_fraction": 0.5, "min_gap": 2}, TF_IDS),
    "chromatin-multitask": (_chromatin, {"length": 600, "p_active": 0.3, "min_gap": 3,
                                          "sharpness": 2.0}, CHROMATIN_IDS),
    "enhancer-activity": (_activity, {"length": 249, "pair_fraction": 0.6, "max_pair_gap": 120,
                                      "max_singles": 4, "min_gap": 2, "pair_overrides": None,
                                      "pair_weights": None},
                          ACTIVITY_IDS),
    "enhancer-4kb": (_decode, {"length": 4000, "tracks": "none", "positive_fraction": 0.5,
                               "sharpness": 1.5,
                               "core_width": (200, 400), "core_motifs": (4, 6), "min_sites": 4,
                               "far_gap": 450, "max_track_bytes": 2**31}, DECODE_IDS),
    "long-range": (_long_range, {"length": 2000, "far": 1000, "far_gap": (1100, 1700),
                                 "near_gap": (0, 300), "single_fraction": 0.2, "max_decoys": 3,
                                 "positive_fraction": 0.5, "min_gap": 2}, LONG_IDS),
}
