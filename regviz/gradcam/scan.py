"""Scan a genomic region with a window classifier: predictions, one Grad-CAM track, cores.

`scan_region` tiles a region of a FASTA genome into windows of the model's input
width, predicts each window and computes its Grad-CAM (`regviz.gradcam.gradcam`,
ReLU, peak-normalised per window) in one pass (one forward and one backward per
batch: the prediction is the output of Grad-CAM's own forward), weights the track
by the window's predicted probability and merges overlapping windows into one
per-bp track (``merge``: "max", the default, keeps the best window covering each
base, so a core cut in half by one window is still seen whole by its neighbour;
"mean" averages them); core regions are the runs of that track at or above
``threshold`` (absolute: a core needs a confident window *and* a high Grad-CAM).
Windows stream through the model ``batch_size`` at a time, so memory is one batch
plus the track (6 bytes per bp of the region while scanning, 4 in the result).

Contig ends (``edges``):

``"shift"`` (default)
    Windows stay inside the contig: the last window is shifted left to end at
    the region end, and a region shorter than a window gets one window centred
    on it, moved inside the contig (`regviz.genome.tile`). Only a contig shorter
    than one window is padded with N.
``"pad"``
    Windows start every ``stride`` bp from the region start; the part of a
    window past the contig end is filled with N (one-hot 0.25 each, the house
    encoding; extra tracks 0). Windows' ``padded_bp`` says how much.

Bases other than A, C, G, T (IUPAC codes such as R or Y, found in some genome
builds) are read as N. Coordinates: `Region` and every table here are 0-based
half-open (BED).
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from regviz import genome as genome_mod
from regviz.errors import InputFormatError, RegionError, SequenceError
from regviz.gradcam.cam import call_cores, default_layer, gradcam, input_bin_size
from regviz.sequence import one_hot

EDGES = ("shift", "pad")
_NOT_ACGTN = re.compile("[^ACGTN]")  # IUPAC codes in a genome (R, Y, ...) are read as N


@dataclass
class ScanResult:
    """What `scan_region` found.

    Attributes
    ----------
    region : Region
        The scanned region (resolved against the genome; 0-based half-open).
    windows : pandas.DataFrame
        One row per window: chrom, start, end, logit, prob (sigmoid of the
        logit; 1 for regression models), cam_peak (largest raw Grad-CAM value),
        padded_bp.
    track : np.ndarray, shape (region.length,), float32
        Max (or mean, see ``merge``) over covering windows of prob x peak-normalised
        Grad-CAM, in [0, 1].
    calls : pandas.DataFrame
        chrom, start, end, width, peak, peak_pos, mean, rank (genomic, 0-based).
    settings : dict
        window, stride, layer, threshold, min_width, edges, bin_size.
    """

    region: genome_mod.Region
    windows: pd.DataFrame
    track: np.ndarray
    calls: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def to_bed(self, name: str = "gradcam_core") -> str:
        """Called cores as BED (0-based half-open): chrom start end name score(0-1000)."""
        lines = [f"track name={name} description=\"Grad-CAM core calls\""]
        for i, r in enumerate(self.calls.itertuples(index=False), start=1):
            score = int(round(1000 * min(max(r.peak, 0.0), 1.0)))
            lines.append(f"{r.chrom}\t{r.start}\t{r.end}\t{name}_{i}\t{score}")
        return "\n".join(lines) + "\n"

    def windows_bed(self) -> str:
        """Windows as BED with their probability x 1000 as score."""
        return "".join(f"{r.chrom}\t{r.start}\t{r.end}\twindow_{i}\t"
                       f"{int(round(1000 * r.prob))}\n"
                       for i, r in enumerate(self.windows.itertuples(index=False), start=1))

    def to_bedgraph(self, bin_size: int = 10, digits: int = 3) -> str:
        """The track as BEDGraph: means over ``bin_size`` bp, equal neighbours merged."""
        return track_to_bedgraph(self.track, self.region.chrom, self.region.start,
                                 bin_size, digits)


def track_to_bedgraph(track, chrom: str, start: int = 0, bin_size: int = 10,
                      digits: int = 3) -> str:
    """BEDGraph text of a per-bp track starting at ``start`` (0-based) on ``chrom``."""
    if isinstance(bin_size, bool) or not isinstance(bin_size, (int, np.integer)) or bin_size < 1:
        raise InputFormatError(f"bin_size must be a whole number of bp, 1 or more. "
                               f"Got {bin_size!r} instead.")
    track = np.asarray(track, dtype=np.float64)
    n_bins = math.ceil(len(track) / bin_size)
    padded = np.full(n_bins * bin_size, np.nan)
    padded[:len(track)] = track
    values = np.round(np.nanmean(padded.reshape(n_bins, bin_size), axis=1), digits)
    lines = ["track type=bedGraph name=gradcam description=\"Grad-CAM track\""]
    i = 0
    while i < n_bins:
        j = i
        while j + 1 < n_bins and values[j + 1] == values[i]:
            j += 1
        s, e = start + i * bin_size, start + min((j + 1) * bin_size, len(track))
        lines.append(f"{chrom}\t{s}\t{e}\t{values[i]:g}")
        i = j + 1
    return "\n".join(lines) + "\n"


def read_track_table(sources, region, fill: float = 0.0) -> np.ndarray:
    """Per-bp tracks over ``region`` from bedGraph-like tables (one source per track).

    Parameters
    ----------
    sources : list of (path, text or pandas.DataFrame)
        Each a table of chrom, start (0-based), end (exclusive), value, tab or
        space separated, "track"/"browser"/"#" lines skipped.
    region : Region or str
        Region to fill (0-based half-open Region, or a 1-based region string).
    fill : float
        Value of bases no interval covers.

    Returns
    -------
    np.ndarray, shape (len(sources), region.length), float32
    """
    region = genome_mod.parse_region(region)
    if region.end is None:
        raise RegionError(f"Region {region.chrom} is a whole contig; give start and end "
                          "(or resolve it against the genome) to read tracks.")
    if isinstance(sources, (str, Path, pd.DataFrame)):
        sources = [sources]
    out = np.full((len(sources), region.length), fill, np.float32)
    for k, src in enumerate(sources):
        if isinstance(src, pd.DataFrame):
            table = src.iloc[:, :4].copy()
        else:
            text = Path(src).read_text() if (isinstance(src, Path) or "\n" not in str(src)
                                             and Path(str(src)).is_file()) else str(src)
            rows = [ln.split() for ln in text.splitlines()
                    if ln.strip() and not ln.startswith(("#", "track", "browser"))]
            if any(len(r) < 4 for r in rows):
                raise InputFormatError(f"Track table {k + 1}: every line needs 4 columns "
                                       "(chrom, start, end, value; 0-based, end exclusive).")
            table = pd.DataFrame([r[:4] for r in rows])
        table.columns = ["chrom", "start", "end", "value"]
        try:
            table = table.astype({"start": "int64", "end": "int64", "value": "float64"})
        except (ValueError, TypeError) as error:
            raise InputFormatError(f"Track table {k + 1}: start and end must be whole numbers "
                                   f"and value a number ({error}).") from error
        table = table[(table["chrom"] == region.chrom) & (table["end"] > region.start)
                      & (table["start"] < region.end)]
        for s, e, v in zip(table["start"], table["end"], table["value"]):
            out[k, max(s, region.start) - region.start:min(e, region.end) - region.start] = v
    return out


def _window_starts(region, contig_length, width, stride, edges):
    """(starts, pad) for the windows; pad = True where a window runs past the contig."""
    if edges == "pad" or contig_length < width:
        n = max(1, math.ceil((region.length - width) / stride) + 1)
        starts = [region.start + k * stride for k in range(n)]
        if contig_length < width:
            starts = [0]
        return starts
    return [w.start for w in genome_mod.tile(region, width, stride, contig_length)]


def _extra_tracks(model, tracks, region, windows, contig_length, width_in, bp):
    """(n_windows, n_tracks, width_in) extra input for these windows, or None."""
    cfg = model.config
    need = cfg.n_tracks if getattr(cfg, "tracks_only", False) else getattr(cfg, "extra_channels", 0)
    if not need:
        return None
    if tracks is None:
        kind = "tracks-only (DECODE)" if cfg.tracks_only else f"{need} extra-channel"
        raise InputFormatError(f"This {kind} model reads {need} track(s) beside or instead of "
                               "DNA; pass tracks= (an array over the region, a function of "
                               "a window Region, or read_track_table(...)).")
    out = []
    for s in windows:
        e = s + width_in * bp
        if callable(tracks):
            inside = genome_mod.Region(region.chrom, s, min(e, contig_length))
            part = np.asarray(tracks(inside), np.float32)
        else:
            arr = np.asarray(tracks, np.float32)
            if arr.ndim != 2 or arr.shape != (need, region.length):
                raise InputFormatError(f"tracks must have shape ({need}, {region.length}) "
                                       f"(tracks x bp of the region). Got {arr.shape} instead.")
            lo, hi = max(s, region.start), min(e, region.end)
            part = np.zeros((need, e - s), np.float32)
            if hi > lo:
                part[:, lo - s:hi - s] = arr[:, lo - region.start:hi - region.start]
        if part.shape[0] != need:
            raise InputFormatError(f"tracks gave {part.shape[0]} track(s); the model reads "
                                   f"{need}.")
        full = np.zeros((need, e - s), np.float32)
        full[:, :min(part.shape[1], e - s)] = part[:, :e - s]
        out.append(full.reshape(need, width_in, bp).mean(axis=2) if bp > 1 else full)
    return np.stack(out)


def scan_region(model, genome, region, window=None, stride=None, layer=None, target=0,
                threshold: float = 0.5, min_width: int = 50, batch_size: int = 32,
                tracks=None, edges: str = "shift", bin_size=None, progress=None,
                max_length: int = 50_000_000, device=None, merge: str = "max") -> ScanResult:
    """Tile a region, predict each window, merge Grad-CAM into one track, call cores.

    Parameters
    ----------
    model : RegvizModel
        A conv window classifier (e.g. the shipped enhancer-4kb_decode).
    genome : Genome or path
        FASTA genome (pyfaidx); for tracks-only models only its contig lengths
        are used.
    region : Region or str
        ``chr:start-end`` (1-based inclusive) or a contig name.
    window : int, optional
        Window width in bp; must equal the model's input (input_length x
        bin_size); default that.
    stride : int, optional
        bp between window starts; default half a window.
    layer, target, bin_size, device
        As in `regviz.gradcam.gradcam`.
    threshold, min_width : float, int
        Core calls: track >= threshold (absolute, the track is in [0, 1]) for
        at least min_width bp.
    batch_size : int
        Windows per forward/backward pass (memory bound).
    tracks : np.ndarray (n_tracks, region bp), callable(Region) -> (n_tracks, bp), optional
        Extra per-bp tracks for models that read them (decode with
        extra_channels, or tracks-only DECODE, whose bins are bp means).
    edges : str
        "shift" or "pad" (module docstring).
    merge : str
        "max" (default) or "mean" of the windows covering a base.
    progress : callable(done, total), optional
        Called after each batch with windows done and total.
    max_length : int
        Longest region accepted (the track takes 4 bytes per bp).

    Returns
    -------
    ScanResult
    """
    if edges not in EDGES:
        raise RegionError(f"edges must be one of {EDGES}. Got {edges!r} instead.")
    if merge not in ("max", "mean"):
        raise RegionError(f"merge must be 'max' or 'mean'. Got {merge!r} instead.")
    owned = not isinstance(genome, genome_mod.Genome)
    g = genome_mod.Genome(genome) if owned else genome
    try:
        region = g.resolve(region)
        if region.length < 1:
            raise RegionError(f"Region {region.to_string()} is empty.")
        if region.length > max_length:
            raise RegionError(f"Region {region.to_string()} is {region.length:,} bp; the most "
                              f"one scan takes is max_length={max_length:,} bp. Scan it in parts.")
        bp = input_bin_size(model, bin_size)
        width_in = model.config.input_length
        width = width_in * bp
        if window is not None and window != width:
            raise RegionError(f"window must be the model's input width, {width:,} bp "
                              f"({width_in} x {bp} bp). Got {window!r} instead.")
        stride = width // 2 if stride is None else stride
        if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or \
                not 0 < stride <= width:
            raise RegionError(f"stride must be a whole number of bp from 1 to the window "
                              f"({width:,}). Got {stride!r} instead.")
        contig = g.contigs[region.chrom]
        starts = _window_starts(region, contig, width, int(stride), edges)
        tracks_only = bool(getattr(model.config, "tracks_only", False))
        binary = getattr(model.config, "output_kind", "binary") in ("binary", "multitask")
        total = np.zeros(region.length, np.float32)
        count = np.zeros(region.length, np.uint16)
        rows = []
        for b in range(0, len(starts), batch_size):
            chunk = starts[b:b + batch_size]
            extra = _extra_tracks(model, tracks, region, chunk, contig, width_in, bp)
            seq_x = None
            if not tracks_only:
                lo, hi = chunk[0], min(chunk[-1] + width, contig)
                text = _NOT_ACGTN.sub("N", g.fetch(genome_mod.Region(region.chrom, lo, hi)))
                seqs = [(text[s - lo:s - lo + width]).ljust(width, "N") for s in chunk]
                seq_x = one_hot(seqs)
            X = extra if tracks_only else (seq_x if extra is None
                                           else np.concatenate([seq_x, extra], axis=1))
            cam, raw, _, logits = gradcam(model, X, layer=layer, target=target, relu=True,
                                          normalize=True, bin_size=bp, batch_size=batch_size,
                                          device=device, return_raw=True, return_output=True)
            prob = 1 / (1 + np.exp(-logits)) if binary else np.ones_like(logits)
            cam *= prob[:, None]
            for k, s in enumerate(chunk):
                lo, hi = max(s, region.start), min(s + width, region.end)
                if hi > lo:
                    span = slice(lo - region.start, hi - region.start)
                    if merge == "max":
                        np.maximum(total[span], cam[k, lo - s:hi - s], out=total[span])
                    else:
                        total[span] += cam[k, lo - s:hi - s]
                    count[span] += 1
                rows.append({"chrom": region.chrom, "start": s, "end": s + width,
                             "logit": float(logits[k]), "prob": float(prob[k]),
                             "cam_peak": float(raw[k].max()),
                             "padded_bp": max(0, s + width - contig)})
            if progress is not None:
                progress(min(b + batch_size, len(starts)), len(starts))
    finally:
        if owned:
            g.close()
    track = total if merge == "max" else np.divide(total, count, out=np.zeros_like(total),
                                                    where=count > 0)

    calls = call_cores(track, threshold=threshold, min_width=min_width, relative=False,
                       offset=region.start).drop(columns="window")
    calls.insert(0, "chrom", region.chrom)
    settings = {"window": width, "stride": int(stride), "layer": layer or default_layer(model),
                "threshold": threshold, "min_width": min_width, "edges": edges, "bin_size": bp}
    return ScanResult(region, pd.DataFrame(rows), track, calls, settings)


def bigwig_tracks(paths):
    """A ``tracks`` function reading bigWig files with pyBigWig (not installed by default)."""
    try:
        import pyBigWig  # noqa: F401  (local: optional, not a dependency)
    except ImportError as error:
        raise InputFormatError("Reading bigWig needs the pyBigWig package, which is not "
                               "installed here. Convert to bedGraph (bigWigToBedGraph) and "
                               "use read_track_table instead.") from error
    handles = [pyBigWig.open(str(p)) for p in paths]

    def read(region):
        return np.nan_to_num(np.stack([np.asarray(h.values(region.chrom, region.start,
                                                           region.end), np.float32)
                                       for h in handles]))
    return read


def read_window_tracks(data, names, length: int, source: str = "track table") -> np.ndarray:
    """Per-bp tracks of one window from a table with one row per base.

    Parameters
    ----------
    data : str or bytes
        Tab- or comma-separated text with a header line naming the columns; it must hold
        one column per name in ``names`` (other columns, e.g. ``position``, are ignored)
        and exactly ``length`` data rows, in base order.
    names : list of str
        Track names the model reads, in its channel order (the card's
        ``input.track_names``).
    length : int
        Window length in bp.

    Returns
    -------
    np.ndarray, shape (len(names), length), float32.
    """
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else str(data)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    sep = "\t" if "\t" in first else ","
    try:
        table = pd.read_csv(io.StringIO(text), sep=sep)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SequenceError(f"{source}: not a readable table ({exc}).") from None
    missing = [n for n in names if n not in table.columns]
    if missing:
        raise SequenceError(f"{source}: needs a column per track ({', '.join(names)}); "
                            f"missing {', '.join(missing)}. Got columns "
                            f"{', '.join(map(str, table.columns))} instead.")
    if len(table) != length:
        raise SequenceError(f"{source}: needs one row per base of the {length:,} bp window. "
                            f"Got {len(table):,} rows instead.")
    out = np.empty((len(names), length), np.float32)
    for k, name in enumerate(names):
        values = pd.to_numeric(table[name], errors="coerce").to_numpy(np.float64)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise SequenceError(f"{source}, line {bad[0] + 2}: column {name!r} holds "
                                f"{table[name].iloc[bad[0]]!r}, not a number.")
        out[k] = values
    return out
