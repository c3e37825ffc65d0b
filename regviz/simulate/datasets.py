"""Synthetic datasets with planted JASPAR motifs and a known grammar.

Every set is deterministic for a seed and carries the truth of what was
planted where (``Dataset.annotations``) and the rules its labels follow
(``Dataset.grammar``, JSON). :func:`describe` gives each set's rules as
markdown; in short:

``tf-binding``
    101 bp, binary (DeepBind-style): positives hold one site of the target TF
    (default CTCF), negatives none; both classes hold decoy sites of other TFs
    so that the number of planted sites is the same in both.
``chromatin-multitask``
    600 bp, six binary tasks (Basset/DeepSEA-style "cell types"), each with its
    own rule: a single motif, a homotypic cluster (>= 3 copies), a heterotypic
    AND, two spacing-constrained pairs and an activator without its repressor.
``enhancer-activity``
    249 bp, regression of two outputs, Dev and Hk (DeepSTARR-style): additive
    motif contributions plus pairwise terms that depend on distance and
    orientation (additive, decaying synergy, close-only synergy with helical
    phasing, orientation-dependent synergy) plus Gaussian noise.
``enhancer-4kb``
    4,000 bp, binary (DECODE-style): a positive holds a motif-cluster core of
    200-400 bp at a random place; negatives hold the same motifs scattered.
    Optional synthetic chromatin tracks (``tracks="binned"`` or ``"per_bp"``).
``long-range``
    2,000 bp, binary: both classes hold motifs A and B; positives have them
    more than 1,000 bp apart, negatives closer (<= 300 bp) or two copies of one.

Conventions: backgrounds are i.i.d. bases whose GC fraction is drawn per
sequence (``gc``, ``gc_sd``), independently of the label. Sites are sampled
from the JASPAR PPM (raised to ``sharpness`` and renormalised; 1 = faithful,
large = consensus) on a random strand, and never overlap. Distances are *gaps*
(``start(right) - end(left)``, 0 = abutting); orientations are the strands of A
then B with B read on the right (see `regviz.simulate.engine`).
``noise=False`` gives labels that follow the rules exactly
(:func:`labels_from_annotations`); ``noise=True`` flips ``label_noise`` of binary
labels or adds Gaussian noise (``noise_sd``) to regression outputs.
"""

from __future__ import annotations

import inspect
import json

import numpy as np
import pandas as pd

from regviz.data.dataset import Dataset, random_splits
from regviz.errors import DataFormatError
from regviz.simulate import engine as G
from regviz.simulate import rules
from regviz.simulate.engine import ORIENTATIONS
from regviz.simulate.sets import BUILDERS, COMMON_OPTIONS, RANGES

GENERATOR_VERSION = 1


def list_datasets() -> list[str]:
    """Names of the synthetic sets, in the order the app lists them."""
    return list(BUILDERS)


def _check_name(name) -> str:
    if name not in BUILDERS:
        raise DataFormatError(f"Unknown synthetic dataset {name!r}; choose one of "
                              f"{', '.join(BUILDERS)}.")
    return name


def describe(name: str) -> str:
    """Markdown text of a set's rules, motifs and options (for the Data page and README)."""
    builder, defaults, ids = BUILDERS[_check_name(name)]
    motif_rows = "\n".join(f"| {k} | {v} |" for k, v in ids.items())
    opts = ", ".join(f"`{k}={v!r}`" for k, v in {**COMMON_OPTIONS, **defaults}.items())
    return (f"### {name}\n\n{inspect.cleandoc(builder.__doc__)}\n\n"
            f"| motif | JASPAR ID |\n|---|---|\n{motif_rows}\n\n"
            f"Options of `make_dataset({name!r}, n, seed, noise, ...)`: {opts}.\n\n"
            "Distances are gaps (start of the right site minus end of the left one, 0 = "
            "abutting); coordinates are 0-based, ends exclusive.\n")


def make_dataset(name: str, n: int, seed: int = 0, noise: bool = True, **options) -> Dataset:
    """Generate a synthetic set.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets`.
    n : int
        Number of sequences (at least 10).
    seed : int
        Same (name, n, seed, noise, options), same dataset, bit for bit.
    noise : bool
        False: labels follow the grammar exactly. True: ``label_noise`` of
        binary labels flipped, or ``noise_sd`` Gaussian noise on regression.
    **options
        Common: ``gc`` (mean background GC, default 0.42), ``gc_sd`` (its
        spread across sequences), ``sharpness`` (PPM exponent; 1 = faithful
        sampling), ``label_noise`` or ``noise_sd``. Set-specific options are
        listed by :func:`describe`.

    Returns
    -------
    Dataset
        ``seqs`` (upper-case ACGT strings), ``y`` (n, n_tasks) float32,
        ``splits`` (80/10/10 from :func:`regviz.data.random_splits`),
        ``annotations`` (every planted site; intervals such as DECODE cores
        with strand "."), ``grammar`` (JSON), ``tracks`` (enhancer-4kb with
        ``tracks`` set), ``meta`` (seed, generator_version, description,
        motifs, gc, options).
    """
    builder, defaults, _ = BUILDERS[_check_name(name)]
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 10:
        raise DataFormatError(f"n must be an integer of at least 10 (sequences to make). "
                              f"Got {n!r} instead.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DataFormatError(f"seed must be a non-negative integer. Got {seed!r} instead.")
    allowed = {**COMMON_OPTIONS, **defaults}
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise DataFormatError(f"Unknown option(s) {unknown} for {name!r}; allowed: "
                              f"{', '.join(sorted(allowed))}.")
    opts = {**allowed, **options}
    for key, (lo, hi) in RANGES.items():
        v = opts[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
            raise DataFormatError(f"{key} must be a number from {lo} to {hi}. Got {v!r} instead.")
    n = int(n)
    r_plan, r_site, r_bg, r_noise, r_track = (np.random.default_rng(s) for s in
                                              np.random.SeedSequence(int(seed)).spawn(5))
    part = builder(n, r_plan, opts)
    motifs = part["motifs"]  # key -> Motif
    grammar = json.loads(json.dumps({  # a JSON copy: no aliasing of the module's constants
        "set": name, "generator_version": GENERATOR_VERSION, **G.CONVENTIONS,
        "motifs": {k: {"id": m.id, "name": m.name, "width": m.width} for k, m in motifs.items()},
        **part["grammar"]}))
    inst = part["inst"].compact()
    clean = rules.labels_from_instances(grammar, inst)
    y = clean.copy()
    if noise:
        if part["kind"] == "regression":
            y += r_noise.normal(0, opts["noise_sd"], y.shape).astype(np.float32)
        else:
            flip = r_noise.random(y.shape) < opts["label_noise"]
            y[flip] = 1 - y[flip]
    gc_row = np.clip(r_plan.normal(opts["gc"], opts["gc_sd"], n), 0.2, 0.8)
    ppms = [G.sharpen(m.ppm(), opts["sharpness"]) for m in motifs.values()]
    seqs, gc_obs = G.render(r_bg, inst, G.sample_all(r_site, inst, ppms), gc_row, part["length"])
    ann = G.annotation_table(inst, [m.id for m in motifs.values()],
                             [m.name for m in motifs.values()], part["roles"])
    tracks, track_names = None, []
    if "tracks" in part:
        tracks, track_names, extra = part["tracks"](r_track, noise)
        part["extra"] = pd.concat([part.get("extra"), extra], ignore_index=True)
    if part.get("extra") is not None and len(part["extra"]):
        ann = pd.concat([ann, part["extra"]], ignore_index=True)
    ann = ann.sort_values(["seq_index", "start", "end"], kind="stable").reset_index(drop=True)
    meta = {
        "seed": int(seed), "generator_version": GENERATOR_VERSION, "n": n,
        "length": part["length"], "noise": bool(noise),
        "description": inspect.cleandoc(builder.__doc__).split("\n\n")[0],
        "motifs": [{"key": k, "id": m.id, "name": m.name} for k, m in motifs.items()],
        "gc": {"mean_target": float(opts["gc"]), "sd_target": float(opts["gc_sd"]),
               "observed": round(float(gc_obs), 4)},
        "options": {k: (list(v) if isinstance(v, tuple) else v) for k, v in opts.items()},
        "label_means": [round(float(v), 4) for v in y.mean(axis=0)],
    }
    tasks = list(grammar["tasks"] if "tasks" in grammar else grammar["outputs"])
    return Dataset(name=name, seqs=seqs, y=y, task_names=tasks, task_kind=part["kind"],
                   splits=random_splits(n, int(seed)), annotations=ann, grammar=grammar,
                   tracks=tracks, track_names=track_names, meta=meta)


def labels_from_annotations(dataset: Dataset) -> np.ndarray:
    """Recompute the noiseless labels of a synthetic set from its annotations.

    Parameters
    ----------
    dataset : Dataset
        A set from :func:`make_dataset` (its ``grammar`` and ``annotations``).

    Returns
    -------
    np.ndarray, shape (n, n_tasks), float32: equal to ``dataset.y`` when the
    set was made with ``noise=False``.
    """
    if not dataset.grammar or "motifs" not in dataset.grammar:
        raise DataFormatError(f"{dataset.name!r} has no synthetic grammar; labels can be "
                              "recomputed only for sets made by regviz.simulate.")
    inst = G.instances_from_table(dataset.annotations, len(dataset), dataset.grammar)
    return rules.labels_from_instances(dataset.grammar, inst)


def planted_cooperativity(grammar: dict, pair, distances, orientation: str = "++",
                          b_side: str = "right") -> np.ndarray:
    """The planted pairwise term of an activity grammar at given gaps.

    Parameters
    ----------
    grammar : dict
        ``Dataset.grammar`` of an ``enhancer-activity`` set.
    pair : str, int or (str, str)
        Pair name (e.g. ``"GATA-twist"``), index in ``grammar["pairs"]``, or
        the two motif keys; given as (B, A) the arguments are read for that
        order.
    distances : array-like of int
        Gaps in bp (``start(right) - end(left)``, >= 0).
    orientation : str
        Strands of the first then the second motif: "++", "+-", "-+", "--".
    b_side : str
        "right" (second motif downstream) or "left".

    Returns
    -------
    np.ndarray, shape of ``distances``, float64: the amount the pair adds to
    its output (0 for an additive pair), on top of the two motifs' own weights.
    """
    if not grammar or not grammar.get("pairs"):
        raise DataFormatError("This grammar has no motif pairs; planted_cooperativity needs "
                              "an enhancer-activity set's grammar.")
    pairs = grammar["pairs"]
    swap = False
    if isinstance(pair, (int, np.integer)) and not isinstance(pair, bool):
        if not 0 <= pair < len(pairs):
            raise DataFormatError(f"pair index must be in 0..{len(pairs) - 1}; got {pair}.")
        spec = pairs[pair]
    else:
        key = tuple(pair) if isinstance(pair, (tuple, list)) else pair
        spec = next((p for p in pairs if key in (p["name"], (p["a"], p["b"]))), None)
        if spec is None:
            spec = next((p for p in pairs if key == (p["b"], p["a"])), None)
            swap = spec is not None
        if spec is None:
            raise DataFormatError(f"Unknown pair {pair!r}; the grammar has "
                                  f"{', '.join(p['name'] for p in pairs)}.")
    if orientation not in ORIENTATIONS or b_side not in ("right", "left"):
        raise DataFormatError(f"orientation must be one of {ORIENTATIONS} and b_side 'right' or "
                              f"'left'; got {orientation!r}, {b_side!r}.")
    d = np.asarray(distances)
    if d.size and (not np.issubdtype(d.dtype, np.number) or (d < 0).any()):
        raise DataFormatError("distances must be gaps in bp, numbers >= 0 (start of the right "
                              "motif minus end of the left one).")
    s1, s2 = orientation
    if swap:
        s1, s2, b_side = s2, s1, "left" if b_side == "right" else "right"
    if b_side == "left":
        flip = {"+": "-", "-": "+"}
        s1, s2 = flip[s1], flip[s2]
    idx = np.full(d.shape, ORIENTATIONS.index(s1 + s2))
    return rules.pair_term(spec, d, idx)
