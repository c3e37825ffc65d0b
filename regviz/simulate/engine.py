"""Engine of the synthetic sets: backgrounds, motif sampling, placement, tracks.

`regviz.simulate.sets` builds the sets from these vectorised parts;
`regviz.simulate.rules` evaluates a set's JSON grammar on the planted instances.

Conventions (the same everywhere in regviz.simulate)
-----------------------------------------------------
Distance
    The *gap* between two motif instances: ``start(right) - end(left)`` in bp,
    with 0-based starts and exclusive ends, i.e. the number of background bases
    between them (0 = abutting). It does not depend on which motif is left.
Orientation
    Two characters, the strands of motif A then motif B of a pair (``"++"``,
    ``"+-"``, ``"-+"``, ``"--"``), read with B to the right of A. A pair with B
    to the left is the reverse complement of one with B to the right and both
    strands flipped, so ``(s_A, s_B, B left)`` is read as
    ``(flip s_A, flip s_B, B right)``: DNA has no preferred strand.
Instances
    A padded per-sequence table (:class:`Instances`): motif index (-1 = empty
    slot), start, strand (+1/-1) and role index, shape ``(n, K)`` each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from regviz.errors import DataFormatError

ORIENTATIONS = ("++", "+-", "-+", "--")
CONVENTIONS = {
    "distance": "gap in bp: start of the right motif minus end (exclusive) of the left one; "
                "0 = abutting",
    "orientation": "strands of motif A then motif B with B to the right of A; B on the left is "
                   "read as the reverse complement (both strands flipped)",
    "coordinates": "0-based starts, exclusive ends",
}
_LETTERS = np.frombuffer(b"ACGT", dtype=np.uint8)
_CHUNK_BASES = 4_000_000  # background bases drawn per chunk (bounds temporary memory)


@dataclass
class Instances:
    """Planted motif instances of n sequences, padded to K slots per sequence.

    Attributes
    ----------
    motif : np.ndarray, shape (n, K), int16
        Index into the set's motif list; -1 marks an empty slot.
    start : np.ndarray, shape (n, K), int64
        0-based start (meaningless where ``motif == -1``).
    strand : np.ndarray, shape (n, K), int8
        +1 or -1.
    role : np.ndarray, shape (n, K), int8
        Index into the set's role names.
    widths : np.ndarray, shape (M,), int64
        Width of each motif of the list.
    """

    motif: np.ndarray
    start: np.ndarray
    strand: np.ndarray
    role: np.ndarray
    widths: np.ndarray

    @property
    def end(self) -> np.ndarray:
        """Exclusive ends, shape (n, K)."""
        return self.start + self.widths[np.maximum(self.motif, 0)]

    @property
    def valid(self) -> np.ndarray:
        return self.motif >= 0

    def compact(self) -> Instances:
        """Same sites with each row's valid slots first and empty columns dropped."""
        order = np.argsort(~self.valid, axis=1, kind="stable")
        k = max(int(self.valid.sum(axis=1).max(initial=0)), 1)
        take = [np.take_along_axis(getattr(self, a), order, axis=1)[:, :k]
                for a in ("motif", "start", "strand", "role")]
        return Instances(*take, self.widths)

    @staticmethod
    def concat(parts: list[Instances]) -> Instances:
        """Join several (n, K_i) tables slot-wise into one (n, sum K_i)."""
        return Instances(*(np.concatenate([getattr(p, a) for p in parts], axis=1)
                           for a in ("motif", "start", "strand", "role")), parts[0].widths)


def empty_instances(n: int, k: int, widths: np.ndarray) -> Instances:
    return Instances(np.full((n, k), -1, np.int16), np.zeros((n, k), np.int64),
                     np.ones((n, k), np.int8), np.zeros((n, k), np.int8), widths)


# ---------------------------------------------------------------- sampling

def sharpen(ppm: np.ndarray, sharpness: float) -> np.ndarray:
    """PPM raised to ``sharpness`` and renormalised (1: as is; large: consensus)."""
    p = np.power(np.asarray(ppm, dtype=np.float64), float(sharpness))
    return p / p.sum(axis=0, keepdims=True)


def sample_sites(rng: np.random.Generator, ppm: np.ndarray, strand: np.ndarray) -> np.ndarray:
    """Sample motif instances by inverse CDF, reverse-complemented where strand is -1.

    Parameters
    ----------
    ppm : np.ndarray, shape (4, w)
    strand : np.ndarray, shape (k,), +1/-1

    Returns
    -------
    np.ndarray, shape (k, w), uint8 codes 0..3 (A, C, G, T) as they read on
    the + strand of the sequence.
    """
    cdf = np.cumsum(ppm, axis=0)[:3]
    u = rng.random((len(strand), ppm.shape[1]))
    codes = (u[:, None, :] >= cdf[None]).sum(axis=1).astype(np.uint8)
    minus = strand < 0
    codes[minus] = 3 - codes[minus, ::-1]
    return codes


def backgrounds(rng: np.random.Generator, gc: np.ndarray, length: int, r0: int,
                r1: int) -> np.ndarray:
    """I.i.d. background codes for rows r0..r1, each at its own GC fraction.

    Returns uint8 codes of shape (r1 - r0, length); A/T and C/G are equally
    likely within their pair. Probabilities are resolved to 1/65536.
    """
    u = rng.integers(0, 65536, size=(r1 - r0, length), dtype=np.uint16)
    g = gc[r0:r1, None]
    t1 = np.round((1 - g) / 2 * 65536).astype(np.uint32)
    t3 = np.round((1 + g) / 2 * 65536).astype(np.uint32)
    codes = (u >= t1).astype(np.uint8)
    codes += u >= 32768
    codes += u >= t3
    return codes


def render(rng: np.random.Generator, inst: Instances, sites: dict, gc: np.ndarray,
           length: int) -> tuple[list, float]:
    """Backgrounds with the sampled sites written in, as strings.

    Parameters
    ----------
    sites : dict motif index -> (rows, cols, codes (k, w))
        From :func:`sample_all`.

    Returns
    -------
    (list of str, mean GC fraction of the final sequences)
    """
    n = len(gc)
    step = max(1, _CHUNK_BASES // max(length, 1))
    seqs, gc_sum = [], 0
    for r0 in range(0, n, step):
        r1 = min(n, r0 + step)
        codes = backgrounds(rng, gc, length, r0, r1)
        for rows, cols, site in sites.values():
            lo, hi = np.searchsorted(rows, [r0, r1])
            if hi > lo:
                w = site.shape[1]
                pos = inst.start[rows[lo:hi], cols[lo:hi]][:, None] + np.arange(w)
                codes[(rows[lo:hi] - r0)[:, None], pos] = site[lo:hi]
        gc_sum += int(np.count_nonzero((codes == 1) | (codes == 2)))
        text = _LETTERS[codes].tobytes().decode("ascii")
        seqs.extend(text[i * length:(i + 1) * length] for i in range(r1 - r0))
    return seqs, gc_sum / max(n * length, 1)


def sample_all(rng: np.random.Generator, inst: Instances, ppms: list) -> dict:
    """Sample every planted site; ``ppms[m]`` is motif m's (sharpened) PPM."""
    out = {}
    for m, ppm in enumerate(ppms):
        rows, cols = np.nonzero(inst.motif == m)
        if len(rows):
            out[m] = (rows, cols, sample_sites(rng, ppm, inst.strand[rows, cols]))
    return out


# ---------------------------------------------------------------- placement

def pack(rng: np.random.Generator, widths: np.ndarray, length: int, gap: int = 2,
         edge: int = 0, lo=None) -> np.ndarray:
    """Place blocks without overlap, in random order at random offsets.

    Parameters
    ----------
    widths : np.ndarray, shape (n, B), int
        Width of each block; 0 = no block in that slot.
    length : int or np.ndarray of shape (n,)
        Window length (per row, to place inside a sub-window).
    gap : int
        Minimum number of bases between neighbouring blocks.
    edge : int
        Bases kept free at each end of the window.
    lo : np.ndarray of shape (n,), optional
        Window start per row (default 0).

    Returns
    -------
    np.ndarray, shape (n, B), int64 starts (-1 where width is 0).
    """
    widths = np.asarray(widths, dtype=np.int64)
    n, b = widths.shape
    present = widths > 0
    k = present.sum(axis=1)
    free = np.asarray(length) - 2 * edge - widths.sum(axis=1) - gap * np.maximum(k - 1, 0)
    if (free < 0).any():
        raise DataFormatError(f"Motifs do not fit: up to {int(widths.sum(axis=1).max())} bp of "
                              f"motifs in a {int(np.min(length))} bp window with gaps of {gap} "
                              "bp; use a longer sequence or fewer sites.")
    perm = np.argsort(rng.random((n, b)), axis=1)
    off = np.sort(np.floor(rng.random((n, b)) * (free[:, None] + 1)).astype(np.int64), axis=1)
    w_p = np.take_along_axis(widths, perm, axis=1)
    step = w_p + gap * (w_p > 0)
    start_p = edge + off + np.cumsum(step, axis=1) - step
    if lo is not None:
        start_p += np.asarray(lo)[:, None]
    starts = np.empty_like(start_p)
    np.put_along_axis(starts, perm, start_p, axis=1)
    return np.where(present, starts, -1)


def scatter(rng: np.random.Generator, inst: Instances, slots, length: int,
            gap: int = 2, edge: int = 0, tries: int = 40) -> None:
    """Place the sites in columns ``slots`` at random free positions (in place).

    Rejection sampling against every site already placed in the row; a site
    that finds no room after ``tries`` draws is dropped (motif set to -1).
    """
    pending = {c: inst.motif[:, c].copy() for c in slots}
    for c in slots:
        inst.motif[:, c] = -1
    for c in slots:
        todo = np.flatnonzero(pending[c] >= 0)
        mot = pending[c][todo]
        for _ in range(tries):
            if not len(todo):
                break
            w = inst.widths[mot]
            room = length - 2 * edge - w + 1
            s = edge + np.floor(rng.random(len(todo)) * room).astype(np.int64)
            m, st = inst.motif[todo], inst.start[todo]
            en = st + inst.widths[np.maximum(m, 0)]
            clash = (m >= 0) & (s[:, None] < en + gap) & (st < (s + w)[:, None] + gap)
            ok = ~clash.any(axis=1)
            inst.start[todo[ok], c] = s[ok]
            inst.motif[todo[ok], c] = mot[ok]
            todo, mot = todo[~ok], mot[~ok]



def instances_from_table(ann, n: int, grammar: dict) -> Instances:
    """Rebuild the padded instance table from an annotations DataFrame.

    Rows whose motif_id is not among the grammar's motifs (e.g. role "core")
    are skipped.
    """
    ids = {spec["id"]: i for i, spec in enumerate(grammar["motifs"].values())}
    widths = np.array([spec["width"] for spec in grammar["motifs"].values()], dtype=np.int64)
    a = ann[ann["motif_id"].isin(ids)]
    rows = a["seq_index"].to_numpy(np.int64)
    if len(rows) and (rows.min() < 0 or rows.max() >= n):
        raise DataFormatError(f"annotations name sequences outside 0..{n - 1}.")
    order = np.argsort(rows, kind="stable")
    rows = rows[order]
    first = np.searchsorted(rows, rows, side="left")
    cols = np.arange(len(rows)) - first
    k = int(cols.max()) + 1 if len(cols) else 1
    inst = empty_instances(n, k, widths)
    inst.motif[rows, cols] = a["motif_id"].map(ids).to_numpy(np.int16)[order]
    inst.start[rows, cols] = a["start"].to_numpy(np.int64)[order]
    inst.strand[rows, cols] = np.where(a["strand"].to_numpy()[order] == "-", -1, 1)
    return inst


class Blocks:
    """Slots of one or two motifs (a pair keeps its inner gap), placed together.

    Each call to :meth:`single` or :meth:`pair` adds one column of blocks;
    ``mask`` says in which sequences the block exists. :meth:`place` packs
    the blocks (:func:`pack`) and returns the sites as :class:`Instances`
    with random strands.
    """

    def __init__(self, n: int, widths: np.ndarray):
        self.n, self.widths, self.cols = n, np.asarray(widths, dtype=np.int64), []

    def _arr(self, v, dtype=np.int64):
        return np.broadcast_to(np.asarray(v, dtype=dtype), (self.n,))

    def single(self, mask, motif, role) -> None:
        m = np.where(mask, self._arr(motif), -1)
        self.cols.append((m, np.full(self.n, -1), np.zeros(self.n, np.int64),
                          self._arr(role), self._arr(0)))

    def pair(self, mask, m1, m2, inner_gap, role1, role2) -> None:
        """A block ``m1 [inner_gap bases] m2``; swap m1/m2 per row for random order."""
        self.cols.append((np.where(mask, self._arr(m1), -1), np.where(mask, self._arr(m2), -1),
                          self._arr(inner_gap), self._arr(role1), self._arr(role2)))

    def place(self, rng: np.random.Generator, length, gap: int = 2, edge: int = 0,
              lo=None) -> Instances:
        m1, m2, g, r1, r2 = (np.stack(x, axis=1) for x in zip(*self.cols))
        w1 = np.where(m1 >= 0, self.widths[np.maximum(m1, 0)], 0)
        w2 = np.where(m2 >= 0, g + self.widths[np.maximum(m2, 0)], 0)
        starts = pack(rng, w1 + w2, length, gap, edge, lo)
        both = np.concatenate([m1, np.where(m1 >= 0, m2, -1)], axis=1)
        inst = Instances(both.astype(np.int16), np.concatenate([starts, starts + w1 + g], axis=1),
                         np.where(rng.random(both.shape) < 0.5, 1, -1).astype(np.int8),
                         np.concatenate([r1, r2], axis=1).astype(np.int8), self.widths)
        inst.start[~inst.valid] = 0
        return inst


def annotation_table(inst: Instances, ids: list, names: list, roles: list):
    """The annotations DataFrame (columns of regviz.dataset.ANNOTATION_COLUMNS)."""
    rows, cols = np.nonzero(inst.valid)
    m = inst.motif[rows, cols]
    start = inst.start[rows, cols]
    df = pd.DataFrame({
        "seq_index": rows.astype(np.int64),
        "motif_id": np.asarray(ids, dtype=object)[m],
        "motif_name": np.asarray(names, dtype=object)[m],
        "start": start,
        "end": start + inst.widths[m],
        "strand": np.where(inst.strand[rows, cols] > 0, "+", "-").astype(object),
        "role": np.asarray(roles, dtype=object)[inst.role[rows, cols]],
    })
    return df


# mark -> {peak kind: (amplitude, sd as a fraction of the peak width)}
TRACK_MARKS = {
    "accessibility": {"enhancer": (1.0, 0.25), "promoter": (1.0, 0.15), "poised": (0.6, 0.25)},
    "H3K27ac": {"enhancer": (0.8, 0.8), "promoter": (0.6, 0.8), "poised": (0.05, 0.8)},
    "H3K4me1": {"enhancer": (0.7, 1.2), "promoter": (0.15, 1.2), "poised": (0.6, 1.2)},
    "H3K4me3": {"enhancer": (0.05, 0.5), "promoter": (1.0, 0.8), "poised": (0.0, 0.5)},
    "H3K9ac": {"enhancer": (0.4, 0.6), "promoter": (0.9, 0.8), "poised": (0.05, 0.6)},
}


def chromatin_tracks(rng: np.random.Generator, peaks: dict, marks: list, length: int,
                     bin_size: int, noise: bool) -> np.ndarray:
    """Synthetic chromatin tracks: Gaussian bumps over peaks, baseline, noise.

    Parameters
    ----------
    peaks : dict kind -> (centre (n,), width (n,)) with NaN centre = no peak
        Kinds "enhancer", "promoter", "poised" (see ``TRACK_MARKS``).
    marks : list of str
        Track names (keys of ``TRACK_MARKS``).
    bin_size : int
        1 for per-bp tracks; else one value per ``bin_size`` bp bin (the
        smooth signal at the bin centre, plus noise).

    Returns
    -------
    np.ndarray, shape (n, len(marks), length // bin_size), float32, >= 0.
    With ``noise`` each bump's height varies (log-normal, sigma 0.3) and
    Gaussian noise (sd 0.08) is added; without it tracks are smooth.
    """
    n = len(next(iter(peaks.values()))[0])
    x = ((np.arange(length // bin_size) + 0.5) * bin_size).astype(np.float32)
    out = np.empty((n, len(marks), len(x)), dtype=np.float32)
    step = max(1, 2_000_000 // (len(x) * len(marks)))
    for r0 in range(0, n, step):
        r1 = min(n, r0 + step)
        for t, mark in enumerate(marks):
            v = np.full((r1 - r0, len(x)), 0.05, dtype=np.float32)
            for kind, (centre, width) in peaks.items():
                amp, frac = TRACK_MARKS[mark][kind]
                c, w = centre[r0:r1], width[r0:r1]
                has = ~np.isnan(c)
                if not amp or not has.any():
                    continue
                a = amp * (rng.lognormal(0, 0.3, has.sum()) if noise else np.ones(has.sum()))
                a = a.astype(np.float32)
                sd = (frac * w[has, None]).astype(np.float32)
                z = (x[None] - c[has, None].astype(np.float32)) / sd
                v[has] += a[:, None] * np.exp(-0.5 * z ** 2)
            if noise:
                v += rng.normal(0, 0.08, v.shape).astype(np.float32)
            out[r0:r1, t] = np.maximum(v, 0)
    return out
