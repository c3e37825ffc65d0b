"""Reference and alternative windows of the model's input length centred on variants.

The variant's first REF base sits at 0-based index ``length // 2`` of its window. The
REF allele must equal the genome (or pasted sequence) there. ALT windows keep the
window length: an insertion of ``i`` extra bases trims ``i // 2`` bases from the left
flank and the rest from the right; a deletion of ``k`` bases extends the left flank by
``k // 2`` bases and the right by the rest, so the variant stays centred. Problems
(unknown contig, REF mismatch, a window past a contig end, an indel as long as half the
window) are reported per variant, never raised.
"""

from __future__ import annotations

import pandas as pd

from regviz.genome import Region
from regviz.variants.parse import PROBLEM_COLUMNS, Variant


class SequenceSource:
    """Pasted sequences as a tiny genome: ``contigs`` (name -> length) and ``fetch``."""

    def __init__(self, records):
        self._seqs = {r.name: r.sequence.upper() for r in records}
        self.contigs = {k: len(v) for k, v in self._seqs.items()}

    def fetch(self, region: Region) -> str:
        return self._seqs[region.chrom][region.start:region.end]


def _window(v: Variant, contigs: dict, fetch, length: int):
    """``(start, ref window, alt window)`` or a reason string."""
    if v.chrom not in contigs:
        shown = ", ".join(list(contigs)[:10])
        return f"contig {v.chrom!r} is not in the sequences given (they have {shown})"
    size, c, p0 = contigs[v.chrom], length // 2, v.pos - 1
    d = len(v.alt) - len(v.ref)
    if max(len(v.ref), len(v.alt)) > length // 2:
        return f"the variant is longer than half the model's window ({length // 2:,} bp)"
    extra_left = -d // 2 if d < 0 else 0            # a deletion needs more flank
    extra_right = -d - extra_left if d < 0 else 0
    lo, hi = p0 - c - extra_left, p0 - c + length + extra_right
    if p0 + len(v.ref) > size:
        return f"position {v.pos:,} is past the end of {v.chrom} ({size:,} bp)"
    if lo < 0 or hi > size:
        return (f"too close to an end of {v.chrom} ({size:,} bp) for a full "
                f"{length:,} bp window")
    wide = fetch(Region(v.chrom, lo, hi))
    at = c + extra_left
    genome_ref = wide[at:at + len(v.ref)]
    if genome_ref != v.ref:
        return f"REF {v.ref} does not match the sequence there ({genome_ref})"
    ref = wide[extra_left:extra_left + length]
    if d <= 0:
        alt = wide[:at] + v.alt + wide[at + len(v.ref):]
    else:
        il, ir = d // 2, d - d // 2
        alt = wide[il:at] + v.alt + wide[at + len(v.ref):len(wide) - ir]
    return lo + extra_left, ref, alt


def variant_windows(variants, source, length: int):
    """``(table, ref, alt, problems)``: one row per scorable variant (chrom, pos, id, ref,
    alt, kind, window_start 0-based, label, info), its REF and ALT window texts, and a problem
    table (variant, reason) for the rest. ``source``: a `regviz.genome.Genome` or a
    `SequenceSource`."""
    rows, refs, alts, problems = [], [], [], []
    for v in variants:
        got = _window(v, source.contigs, source.fetch, int(length))
        if isinstance(got, str):
            problems.append((v.label, got))
            continue
        start, ref, alt = got
        rows.append({"chrom": v.chrom, "pos": v.pos, "id": v.id, "ref": v.ref, "alt": v.alt,
                     "kind": v.kind, "window_start": start, "label": v.label,
                     "info": v.info})
        refs.append(ref)
        alts.append(alt)
    table = pd.DataFrame(rows, columns=["chrom", "pos", "id", "ref", "alt", "kind",
                                        "window_start", "label", "info"])
    return table, refs, alts, pd.DataFrame(problems, columns=PROBLEM_COLUMNS)


def centre(length: int) -> int:
    """0-based index of the variant's first base in its window."""
    return int(length) // 2


