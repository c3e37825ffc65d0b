"""Genome access: region strings, BED, pyfaidx-backed FASTA, window tiling.

Coordinates: a `Region` is 0-based half-open inside (BED convention); region
strings such as ``chr2L:1,001-5,000`` are 1-based inclusive, as genome browsers
show them. Both describe the same 4,000 bases.
"""

import difflib
import gzip
import hashlib
import os
import re
import tempfile
import threading
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyfaidx

from regviz.errors import GenomeFileError, InputFormatError, RegionError, RegvizWarning
from regviz.sequence import reverse_complement

EXPECTED = "contig:start-end, 1-based inclusive, e.g. chr2L:1,001-5,000"
BED_COLUMNS = ("chrom", "start", "end", "name", "score", "strand", "thickStart",
               "thickEnd", "itemRgb", "blockCount", "blockSizes", "blockStarts")
DEMO_VERSION = 2  # 2: the app's demo genome holds planted enhancer cores
DEMO_CONTIGS = {"chrDemo1": 60_000, "chrDemo2": 40_000}
_DEMO_LOCK = threading.Lock()
_ONES = ("", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX")
#: Roman numeral -> number, chromosomes 1-99 (yeast's chrIV is chr4 in some assemblies)
ROMAN = {t.translate(str.maketrans("IVX", "XLC")) + o: str(10 * i + j)
         for i, t in enumerate(_ONES) for j, o in enumerate(_ONES) if i or j}
_CHR = re.compile("^chr", re.IGNORECASE)


@dataclass(frozen=True)
class Region:
    """A genomic interval, 0-based half-open (BED convention).

    ``end=None`` (with ``start=0``) means the whole contig, as from
    ``parse_region("chr2L")``; `Genome.resolve` fills in the end. ``extra`` holds BED columns after the name.
    """

    chrom: str
    start: int = 0
    end: int | None = None
    name: str | None = None
    extra: tuple = ()

    def __post_init__(self):
        if not isinstance(self.chrom, str) or not self.chrom:
            raise RegionError(f"A region needs a contig name; got {self.chrom!r} instead.")
        if self.start < 0:
            raise RegionError(f"Region start must be 0 or more (0-based); got {self.start} instead.")
        if self.end is None and self.start != 0:
            raise RegionError(f"A whole-contig region (end=None) starts at 0; "
                              f"got start={self.start} instead.")
        if self.end is not None and self.end < self.start:
            raise RegionError(f"Region end ({self.end}) is before its start ({self.start}).")

    @property
    def length(self):
        """Number of bases, or None while the end is unresolved."""
        return None if self.end is None else self.end - self.start

    def to_string(self):
        """1-based inclusive region string, e.g. ``chr2L:1,001-5,000``."""
        if self.end is None:
            return self.chrom
        return f"{self.chrom}:{self.start + 1:,}-{self.end:,}"

    def to_bed_fields(self):
        """``[chrom, start, end(, name, *extra)]`` for a BED line (0-based half-open)."""
        if self.end is None:
            raise RegionError(f"Region {self.chrom} has no end yet; resolve it against a genome first.")
        fields = [self.chrom, self.start, self.end]
        if self.name is not None or self.extra:
            fields += [self.name if self.name is not None else ".", *self.extra]
        return fields

    def __str__(self):
        return self.to_string()


def _position(text, what, original):
    if not re.fullmatch(r"\d+", text):
        shown = f"'{text}'" if text else "nothing"
        raise RegionError(f"Region '{original}': the {what} position must be a whole number; "
                          f"got {shown} instead. Expected {EXPECTED}.")
    value = int(text)
    if value < 1:
        raise RegionError(f"Region '{original}': {what} {value} is before the first base; "
                          "positions are 1-based; the first base is 1.")
    return value


def parse_region(text):
    """Parse ``chr2L:1,001-5,000`` (1-based inclusive) into a 0-based `Region`.

    Commas, spaces and en/em dashes are tolerated. ``chr2L:1001`` is one base;
    ``chr2L`` alone is the whole contig (``end=None`` until `Genome.resolve`).
    """
    if isinstance(text, Region):
        return text
    original = str(text).strip() if text is not None else ""
    cleaned = re.sub(r"\s+", "", original).replace("\u2013", "-").replace("\u2014", "-")
    if not cleaned:
        raise RegionError(f"Region is empty. Expected {EXPECTED}.")
    chrom, colon, span = cleaned.rpartition(":")
    if not colon:
        return Region(cleaned, 0, None)
    if not chrom:
        raise RegionError(f"Region '{original}' has no contig name before ':'. Expected {EXPECTED}.")
    span = span.replace(",", "")
    first, dash, last = span.partition("-")
    start = _position(first, "start", original)
    end = _position(last, "end", original) if dash else start
    if start > end:
        raise RegionError(f"Region '{original}': start ({start:,}) is after end ({end:,}). "
                          f"Expected {EXPECTED}.")
    return Region(chrom, start - 1, end)


def _read_text(text_or_path):
    if hasattr(text_or_path, "read"):
        text_or_path = text_or_path.read()
    if isinstance(text_or_path, bytes):
        return text_or_path.decode("utf-8", errors="replace")
    if isinstance(text_or_path, str):
        looks_like_bed = any(c in text_or_path for c in "\n\t") or len(text_or_path.split()) > 2
        if looks_like_bed and not ("\n" not in text_or_path and os.path.isfile(text_or_path)):
            return text_or_path
    path = Path(text_or_path).expanduser()
    if not path.is_file():
        raise GenomeFileError(f"BED file not found: {path}.")
    opener = gzip.open if path.suffix in (".gz", ".bgz") else open
    with opener(path, "rt") as handle:
        return handle.read()


def parse_bed(text_or_path):
    """Read BED text, bytes, a file object or a path into a list of `Region`.

    BED is 0-based half-open. 'track', 'browser', '#' and blank lines are skipped,
    as is a first line whose start and end columns are both words (a header).
    Column 4 is the name ('.' = none); later columns are kept in ``Region.extra``.
    """
    regions, first = [], True
    for number, line in enumerate(_read_text(text_or_path).splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "track", "browser")):
            continue
        fields = line.rstrip("\r\n").split("\t") if "\t" in line else stripped.split()
        if first and len(fields) >= 3 and not any(f.strip().isdecimal() for f in fields[1:3]):
            first = False
            continue  # a header line such as "chrom start end"
        first = False
        where = f"BED line {number}", f"Got '{stripped[:80]}' instead."
        if len(fields) < 3:
            raise RegionError(f"{where[0]} has {len(fields)} column(s); BED needs at least 3: "
                              f"contig, start, end (0-based, end exclusive). {where[1]}")
        chrom, start, end = (f.strip() for f in fields[:3])
        if not (start.isdecimal() and end.isdecimal()):
            raise RegionError(f"{where[0]}: start and end must be whole numbers 0 or more "
                              f"(0-based, end exclusive). {where[1]}")
        if int(end) <= int(start):
            raise RegionError(f"{where[0]}: end ({end}) must be greater than start ({start}). {where[1]}")
        name = fields[3].strip() if len(fields) > 3 and fields[3].strip() not in ("", ".") else None
        regions.append(Region(chrom, int(start), int(end), name,
                              tuple(f.strip() for f in fields[4:])))
    return regions


def read_bed(text_or_path):
    """`parse_bed` as a DataFrame: chrom, start, end, name, then score, strand, ..."""
    rows = [r.to_bed_fields() for r in parse_bed(text_or_path)]
    width = max([3, *map(len, rows)])
    columns = [BED_COLUMNS[i] if i < len(BED_COLUMNS) else f"col{i + 1}" for i in range(width)]
    frame = pd.DataFrame([r + [None] * (width - len(r)) for r in rows], columns=columns)
    if "name" in frame:
        frame["name"] = frame["name"].replace(".", None)
    return frame.astype({"start": "int64", "end": "int64"})


def cache_dir():
    """Folder for regviz's cached files: ``$REGVIZ_CACHE``, else ``~/.cache/regviz``."""
    if os.environ.get("REGVIZ_CACHE"):
        return Path(os.environ["REGVIZ_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "regviz"


def _sniff(path):
    """Raise GenomeFileError unless `path` is plain FASTA or BGZF-compressed FASTA."""
    with open(path, "rb") as handle:
        head = handle.read(18)
    if head[:2] == b"\x1f\x8b":
        if not (len(head) >= 14 and head[3] & 4 and head[12:14] == b"BC"):
            raise GenomeFileError(
                f"{path} is gzip-compressed, but indexed access needs bgzip (BGZF) compression. "
                f"Decompress it (gunzip {path.name}) or recompress it with bgzip "
                f"(gunzip {path.name}; bgzip {path.with_suffix('').name}).")
        if path.suffix.lower() not in (".gz", ".bgz"):
            raise GenomeFileError(f"{path} is bgzip-compressed; name it with a .gz ending.")
        opener = gzip.open
    else:
        opener = open
    with opener(path, "rb") as handle:
        chunk = handle.read(65536)
    if b"\x00" in chunk:
        raise GenomeFileError(f"{path} is not a FASTA file (it looks binary, e.g. an image "
                              "or archive). A FASTA file is text starting with '>name'.")
    for line in chunk.decode("utf-8", errors="replace").splitlines():
        if line.strip() and not line.startswith(";"):
            if line.startswith(">"):
                return
            raise GenomeFileError(f"{path} is not a FASTA file: the first line should start with "
                                  f"'>' and the sequence name. Got '{line[:60]}' instead.")
    raise GenomeFileError(f"{path} is empty: a FASTA file needs at least one '>name' line.")


def _index_fits(fai: Path, size: int) -> bool:
    """True when a ``.fai`` index describes a plain FASTA file of ``size`` bytes: its last
    record's bases end where the file ends (give or take the last line break). An index
    left from another file (a FASTA replaced by one with an older time stamp) does not."""
    try:
        rows = [line.split("\t") for line in fai.read_text().splitlines() if line.strip()]
        name, length, offset, bases, width = rows[-1][:5]
        length, offset, bases, width = int(length), int(offset), int(bases), int(width)
    except (OSError, ValueError, IndexError):
        return False
    full, rest = divmod(length, bases) if bases else (0, length)
    end = offset + full * width + rest
    return end <= size <= end + (width - bases) + 1


class Genome:
    """A FASTA genome (plain or bgzipped) read through pyfaidx.

    The ``.fai`` (and for bgzip ``.gzi``) index is built if missing, next to the
    FASTA when that folder is writable, otherwise in ``cache_dir()/"fai"`` (see
    ``.index_path``). Use as a context manager, or call `close`.
    """

    def __init__(self, path):
        self.path = Path(path).expanduser()
        if not self.path.is_file():
            raise GenomeFileError(f"Genome FASTA not found: {self.path}. Check the path, or use "
                                  "regviz.gradcam.demo_genome_path() for the built-in demo genome.")
        _sniff(self.path)
        bgzf = self.path.suffix.lower() in (".gz", ".bgz")
        fai, gzi = Path(f"{self.path}.fai"), Path(f"{self.path}.gzi")
        mtime = self.path.stat().st_mtime
        fresh = all(p.is_file() and p.stat().st_mtime >= mtime
                    for p in ([fai, gzi] if bgzf else [fai]))
        fresh = fresh and (bgzf or _index_fits(fai, self.path.stat().st_size))
        cached = not fresh and not os.access(self.path.parent, os.W_OK)
        try:
            if cached:
                stat = self.path.stat()
                key = hashlib.sha1(f"{self.path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
                                   .encode()).hexdigest()[:12]
                fai, gzi = (cache_dir() / "fai" / f"{key}-{self.path.name}{ext}" for ext in (".fai", ".gzi"))
                fai.parent.mkdir(parents=True, exist_ok=True)
            elif not fresh:
                for stale in (fai, gzi):
                    stale.unlink(missing_ok=True)
            self.index_path = fai
            self._fasta = pyfaidx.Fasta(str(self.path), indexname=str(fai),
                                        gzi_indexname=str(gzi), as_raw=True,
                                        sequence_always_upper=True)
        except (pyfaidx.FastaIndexingError, ValueError, OSError) as exc:
            detail = str(exc)
            if detail.startswith("Duplicate key"):
                detail = f"two sequences share the name {detail[14:]}; names must be unique"
            elif isinstance(exc, OSError) and cached:
                detail = (f"its folder is read-only, and so is the index cache {fai.parent} "
                          f"({exc.strerror or 'not writable'}). Set REGVIZ_CACHE to a writable folder.")
            raise GenomeFileError(f"Could not read or index the genome FASTA {self.path}: {detail}") from exc
        self.contigs = {name: rec.rlen for name, rec in self._fasta.faidx.index.items()}

    def _unknown(self, chrom):
        names, bare = list(self.contigs), _CHR.sub("", chrom)
        lower, up = {n.lower(): n for n in names}, bare.upper()
        if up in ("M", "MT", "MITO"):
            aliases = [bare, "M", "MT", "Mito"]
        elif up == "X" and any(_CHR.sub("", n).upper() == "Y" for n in names):
            aliases = [bare]                  # X is a sex chromosome there, not chr10
        else:                                 # chrIV <-> chr4 (yeast assemblies differ)
            aliases = [bare, ROMAN.get(up), {v: k for k, v in ROMAN.items()}.get(bare)]
        hints = [lower[a.lower()] for b in aliases if b for a in (b, "chr" + b)
                 if a.lower() in lower]
        # near names (typos) only with the same numbers: chrM -> chr9 would be noise
        bares = {_CHR.sub("", n).lower(): n for n in names}
        hints = hints or [bares[m] for m in difflib.get_close_matches(bare.lower(), bares, 3, 0.7)
                          if re.findall(r"\d+", m) == re.findall(r"\d+", bare)]
        hint = f" Did you mean {' or '.join(map(repr, dict.fromkeys(hints)))}?" if hints else ""
        shown = ", ".join(names[:20]) + (f", ... ({len(names)} in all)" if len(names) > 20 else "")
        return RegionError(f"Contig '{chrom}' is not in {self.path.name}.{hint} Contigs: {shown}.")

    def resolve(self, region, clip=False):
        """Check `region` against the genome; fill in the end of a whole-contig region.

        A region past the contig end raises RegionError, or with ``clip=True`` is
        clipped to the contig end with a RegvizWarning.
        """
        region = parse_region(region)
        if region.chrom not in self.contigs:
            raise self._unknown(region.chrom)
        size = self.contigs[region.chrom]
        if region.end is None:
            return replace(region, end=size)
        if region.end <= size:
            return region
        if clip and region.start < size:
            warnings.warn(f"Region {region.to_string()} runs past the end of {region.chrom} "
                          f"({size:,} bp); clipped to {region.chrom}:{region.start + 1:,}-{size:,}.",
                          RegvizWarning, stacklevel=3)
            return replace(region, end=size)
        raise RegionError(f"Region {region.to_string()} runs past the end of {region.chrom}, "
                          f"which is {size:,} bp long; the last base is {region.chrom}:{size:,}.")

    def fetch(self, region, strand="+", clip=False):
        """Uppercase sequence of `region` (Region or string); ``strand="-"`` reverse-complements."""
        if strand not in ("+", "-"):
            raise RegionError(f"strand must be '+' or '-'; got {strand!r} instead.")
        region = self.resolve(region, clip=clip)
        seq = self._fasta[region.chrom][region.start:region.end]
        return reverse_complement(seq) if strand == "-" else seq

    def close(self):
        """Close the FASTA file handle (safe to call twice)."""
        self._fasta.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"Genome('{self.path}', {len(self.contigs)} contigs)"


def tile(region, width=4000, stride=2000, contig_length=None):
    """Windows of exactly `width` bases, `stride` apart, covering `region`.

    Windows start at the region start; if the last one stops short of the region
    end, one more window is added ending exactly at the region end, so every base
    is covered (when stride <= width) and every window has the full width. A region
    shorter than `width` gives one window centred on it, kept inside
    ``[0, contig_length)``. A whole-contig region needs `contig_length`.
    """
    region = parse_region(region)
    for label, value in (("width", width), ("stride", stride)):
        if not isinstance(value, (int, np.integer)) or value <= 0:
            raise RegionError(f"{label} must be a whole number of bases above 0; got {value!r} instead.")
    if contig_length is not None and contig_length < width:
        raise RegionError(f"Contig {region.chrom} is {contig_length:,} bp, shorter than one "
                          f"{width:,} bp window.")
    end = region.end if region.end is not None else contig_length
    if end is None:
        raise RegionError(f"Region {region.chrom} is a whole contig; pass contig_length to tile it.")
    if contig_length is not None and end > contig_length:
        raise RegionError(f"Region {region.to_string()} runs past the end of {region.chrom} "
                          f"({contig_length:,} bp).")
    if end - region.start <= width:
        start = max(0, region.start - (width - (end - region.start)) // 2)
        if contig_length is not None:
            start = min(start, contig_length - width)
        return [Region(region.chrom, start, start + width)]
    starts = list(range(region.start, end - width + 1, stride))
    if starts[-1] + width < end:
        starts.append(end - width)
    return [Region(region.chrom, s, s + width) for s in starts]


def write_fasta(records, path, line_width=60):
    """Write (name, seq) pairs, or objects with .name/.sequence, as FASTA; return the path."""
    if not isinstance(line_width, int) or line_width <= 0:
        raise InputFormatError(f"line_width must be a whole number above 0; got {line_width!r} instead.")
    path = Path(path)
    with open(path, "w") as handle:
        for record in records:
            name, seq = (record.name, record.sequence) if hasattr(record, "sequence") else record
            handle.write(f">{name}\n")
            for i in range(0, len(seq), line_width):
                handle.write(seq[i:i + line_width] + "\n")
    return path


def write_bed(regions, path):
    """Write `Region` objects as BED lines (0-based half-open, name, extra columns)."""
    with open(path, "w") as handle:
        handle.writelines("\t".join(map(str, r.to_bed_fields())) + "\n" for r in regions)
    return Path(path)


def make_demo_genome(path, seed=0, insert=(), beds=None):
    """Write a demo genome (contigs `DEMO_CONTIGS`, ~42% GC) to `path`: i.i.d. bases with
    the ``(chrom, 0-based start, sequence)`` pieces of `insert` written over them (how
    `regviz.gradcam.demo` plants enhancer cores); `beds` ``{".cores.bed": [Region, ...]}``
    writes ``<name>.cores.bed`` beside ``<name>.fa``, before the FASTA. Deterministic:
    the same bytes for the same seed and inserts, on every machine."""
    rng = np.random.default_rng(seed)
    alphabet = np.frombuffer(b"ACGT", dtype=np.uint8)
    probabilities = [0.29, 0.21, 0.21, 0.29]  # A C G T: 42% GC
    contigs = {name: bytearray(alphabet[rng.choice(4, size=size, p=probabilities)].tobytes())
               for name, size in DEMO_CONTIGS.items()}
    for chrom, start, piece in insert:
        if chrom not in contigs or start < 0 or start + len(piece) > len(contigs[chrom]):
            raise RegionError(f"Demo genome insert {chrom}:{start + 1:,}-{start + len(piece):,} "
                              f"is outside the contigs {DEMO_CONTIGS}.")
        contigs[chrom][start:start + len(piece)] = piece.encode()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    files = [(path.with_suffix(suffix), regions, write_bed) for suffix, regions in
             (beds or {}).items()]
    for target, data, write in files + [(path, [(n, s.decode()) for n, s in contigs.items()],
                                         write_fasta)]:
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
            partial = Path(handle.name)
        write(data, partial)
        os.replace(partial, target)  # atomic: a reader never sees half a file
    return path


def cached_demo(name, make, beside=()):
    """``cache_dir()/"demo"/name``, built by ``make(path)`` and indexed on first use (and
    again when it or one of the files ``beside`` it, given by suffix, is missing)."""
    path = cache_dir() / "demo" / name
    with _DEMO_LOCK:  # app sessions are threads; build the file and its index once
        try:
            needed = [path, Path(f"{path}.fai"), *(path.with_suffix(s) for s in beside)]
            if not all(p.is_file() for p in needed):
                make(path)
                Genome(path).close()
        except OSError as error:
            raise GenomeFileError(f"Could not write the demo genome to {path} ({error}). Set "
                                  "REGVIZ_CACHE to a writable folder.") from error
    return path


def demo_genome_path():
    """The demo genome's background FASTA in `cache_dir()` (i.i.d. bases, nothing planted);
    with planted enhancer cores and their BED: `regviz.gradcam.demo_genome_path()`."""
    return cached_demo(f"regviz_demo_background_v{DEMO_VERSION}.fa", make_demo_genome)
