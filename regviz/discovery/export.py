"""A discovery's downloads: patterns as MEME, seqlets as BED and TSV, modisco's HDF5."""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile

import pandas as pd

from regviz.motifs import write_meme


def _field(text) -> str:
    """``text`` safe as a BED field or a file name: letters, digits and ``_.-`` kept."""
    return re.sub(r"[^A-Za-z0-9_.:-]", "_", str(text))[:200] or "_"


def meme_text(patterns, trimmed: bool = True) -> str:
    """MEME file of the patterns' PPMs (trimmed to their CWM cores by default)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "patterns.meme")
        write_meme([p.motif(trimmed) for p in patterns], path)
        with open(path) as handle:
            return handle.read()


def seqlets_table(patterns, names=None) -> pd.DataFrame:
    """Every pattern's seqlets: pattern, output, sequence (index), name, start, end,
    strand (0-based, end exclusive)."""
    rows = [p.seqlets.assign(output=p.output) for p in patterns]
    if not rows:
        return pd.DataFrame(columns=["pattern", "output", "sequence", "name", "start", "end",
                                     "strand"])
    t = pd.concat(rows, ignore_index=True)
    t["name"] = [names[i] if names is not None else f"seq{i}" for i in t["sequence"]]
    return t[["pattern", "output", "sequence", "name", "start", "end", "strand"]]


def seqlets_bed(patterns, names=None) -> str:
    """BED6 of the seqlets: chrom = the sequence's name, name = the pattern."""
    t = seqlets_table(patterns, names)
    return "".join(f"{_field(r.name)}\t{r.start}\t{r.end}\t{r.pattern}\t0\t{r.strand}\n"
                   for r in t.itertuples())


def hdf5_zip(raw: dict, window: int = 21) -> bytes:
    """A ZIP with one modisco-lite HDF5 result per output (``<output>.modisco.h5``, as
    ``modisco motifs`` writes it: readable by ``modisco report``)."""
    from modiscolite.io import save_hdf5  # local: numba-heavy package

    buf = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(buf, "w",
                                                               zipfile.ZIP_DEFLATED) as z:
        for k, (name, (pos, neg)) in enumerate(raw.items()):
            path = os.path.join(tmp, f"{k}.h5")
            save_hdf5(path, pos, neg, window)
            z.write(path, f"{_field(name)}.modisco.h5")
    return buf.getvalue()
