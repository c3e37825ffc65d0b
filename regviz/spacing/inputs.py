"""Inputs of in-silico motif experiments: the sites to insert and the backgrounds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from regviz.errors import ExperimentError, MotifError
from regviz.motifs import Motif, jaspar, sample_instances, trim
from regviz.sequence import dinucleotide_shuffle, gc_content, random_sequences

_DNA = re.compile(r"^[ACGTacgt]+$")
FILTER_SPEC = re.compile(r"\s*filter\s*(\d+)\s*", re.IGNORECASE)
"""Text naming a first-layer filter, e.g. "filter 7" (group 1: its index)."""


@dataclass(frozen=True)
class InsertMotif:
    """A motif site to insert: ``site`` as read on the + strand for strand "+"."""

    name: str
    site: str
    source: str
    jaspar_id: str = ""

    @property
    def width(self) -> int:
        return len(self.site)


def insert_motif(spec, how: str = "consensus", seed: int = 0, name: str | None = None
                 ) -> InsertMotif:
    """The site to insert, from a JASPAR ID or name, a DNA string or a PWM.

    Parameters
    ----------
    spec : str, Motif, InsertMotif, array-like (4, w) or object with ``ppm``
        A string of only A/C/G/T is a custom site (so "GATA" is the 4 bp site,
        not a name); ``MA0099.4``-style strings are JASPAR matrix IDs; any other
        string is a JASPAR TF name. Arrays are PWMs of a first-layer filter or a
        PPM (rows A, C, G, T).
    how : str
        "consensus" (most likely base per column; default) or "sample" (one site
        drawn from the PPM with ``seed``; PWMs must then be non-negative).
    """
    if isinstance(spec, InsertMotif):
        return spec
    if how not in ("consensus", "sample"):
        raise ExperimentError(f"how must be 'consensus' or 'sample'. Got {how!r} instead.")
    jid = ""
    if isinstance(spec, str):
        text = spec.strip()
        if _DNA.match(text):
            return InsertMotif(name or text.upper(), text.upper(), "custom site")
        if not text:
            raise ExperimentError("A motif is needed: a JASPAR ID (e.g. MA0099.4), a TF name "
                                  "or a site of A/C/G/T. Got an empty text instead.")
        spec = jaspar(text)
    if isinstance(spec, Motif):
        ppm, jid, label, src = spec.ppm(), spec.id, f"{spec.name} ({spec.id})", f"JASPAR {spec.id}"
    else:
        raw = spec.ppm() if callable(getattr(spec, "ppm", None)) else getattr(spec, "ppm", spec)
        ppm = np.asarray(raw, dtype=np.float64)
        if ppm.ndim != 2 or ppm.shape[0] != 4 or ppm.shape[1] < 1 or not np.isfinite(ppm).all():
            raise MotifError("A motif matrix must have shape (4, width) with rows A, C, G, T "
                             f"and finite values. Got shape {ppm.shape} instead.")
        label, src = getattr(spec, "name", None) or "filter PWM", "PWM"
        if how == "sample":
            if (ppm < 0).any() or (ppm.sum(axis=0) <= 0).any():
                raise MotifError("Sampling a site needs a non-negative matrix (counts or "
                                 "probabilities); this one has negative weights. Use "
                                 "how='consensus'.")
            ppm = ppm / ppm.sum(axis=0, keepdims=True)
    site = ("".join("ACGT"[i] for i in ppm.argmax(axis=0)) if how == "consensus"
            else sample_instances(ppm, 1, seed)[0])
    return InsertMotif(name or str(label), site, f"{src} ({how})", jid)


def filter_site(filter_motifs, index: int, how: str = "consensus", seed: int = 0
                ) -> InsertMotif:
    """The site of first-layer filter ``index``, from its PWM trimmed to the informative core.

    Parameters
    ----------
    filter_motifs : list of `regviz.filters.FilterMotif`
        From :func:`regviz.filters.filter_pwms` (filters with too few sites are absent).
    index : int
        The filter's channel in the first layer.
    how, seed
        As in :func:`insert_motif`.
    """
    found = {int(f.index): f for f in filter_motifs}
    if index not in found:
        raise ExperimentError(
            f"Filter {index} has no PWM here: the model's filters with PWMs are "
            f"{', '.join(map(str, sorted(found))) or 'none'} (a filter needs at least 10 "
            "activating windows).")
    start, end = trim(found[index].ppm)
    if end <= start:
        raise ExperimentError(f"Filter {index}'s PWM has no column with 0.3 bits or more; "
                              "there is no site to insert.")
    return insert_motif(found[index].ppm[:, start:end], how, seed, name=f"filter {index}")


def make_backgrounds(seqs, n: int = 50, kind: str = "shuffle", seed: int = 0, y=None,
                     target: int = 0) -> list[str]:
    """Neutral sequences to embed motifs in.

    Parameters
    ----------
    seqs : list of str
        Sequences of one length, e.g. a dataset's test split.
    n : int
        Number of backgrounds (default 50).
    kind : str
        "shuffle": dinucleotide shuffles of ``n`` sequences drawn with ``seed``
        (motifs destroyed, composition kept); "random": i.i.d. bases, each at the
        GC fraction of a drawn sequence; "lowest": the ``n`` sequences with the
        lowest label ``y[:, target]`` (as DeepSTARR did; ``y`` needed).
    """
    seqs = [s.sequence if hasattr(s, "sequence") else s for s in seqs]
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ExperimentError(f"n (number of backgrounds) must be a positive integer. "
                              f"Got {n!r} instead.")
    if not seqs or len({len(s) for s in seqs}) != 1:
        raise ExperimentError("Backgrounds come from a non-empty list of sequences of one "
                              "length.")
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(seqs), size=n, replace=len(seqs) < n)
    if kind == "shuffle":
        return [dinucleotide_shuffle(seqs[i], 1, seed=int(rng.integers(2**31)))[0] for i in pick]
    if kind == "random":
        return [random_sequences(1, len(seqs[i]), gc_content(seqs[i]),
                                 seed=int(rng.integers(2**31)))[0] for i in pick]
    if kind == "lowest":
        if y is None:
            raise ExperimentError("kind='lowest' needs the labels y of the sequences.")
        col = np.asarray(y, dtype=np.float64).reshape(len(seqs), -1)[:, target]
        return [seqs[i] for i in np.argsort(col, kind="stable")[:n]]
    raise ExperimentError(f"kind must be 'shuffle', 'random' or 'lowest'. Got {kind!r} instead.")


def model_backgrounds(length: int, kind: str = "shuffle", n: int = 50, seed: int = 0,
                      target: int = 0, dataset=None) -> list[str]:
    """Backgrounds for experiments on a model: from the test split of its synthetic
    ``dataset`` when given (`make_backgrounds`), else ``n`` random sequences of
    ``length`` bp at 42% GC (the model has no data to draw from)."""
    if dataset is None:
        return random_sequences(n, length, 0.42, seed=seed)
    test = np.asarray(dataset.splits.get("test", range(len(dataset.seqs))))
    return make_backgrounds([dataset.seqs[i] for i in test], n, kind, seed, dataset.y[test],
                            target)
