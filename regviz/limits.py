"""What an upload, a pasted text or a file may ask of the server, in one place.

The app is served to a whole class from one machine, so every size that comes from a
user is checked against a limit here before memory is allocated for it. Each limit can
be changed with an environment variable ``REGVIZ_<NAME>`` (read once, at import);
docs/security.md lists them. Also here: capped gzip decompression and the folders a
"path on this machine" may point into.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

from regviz.errors import InputFormatError, RegvizError


def _setting(name: str, default: int) -> int:
    raw = os.environ.get(f"REGVIZ_{name}")
    if raw is None:
        return default
    try:
        value = int(float(raw))
    except ValueError:
        raise RegvizError(f"REGVIZ_{name} must be a number. Got {raw!r} instead.") from None
    return max(value, 0)


MB = 2**20
#: uploads, by kind (the server's maxUploadSize in .streamlit/config.toml is the largest)
MAX_FASTA_UPLOAD_MB = _setting("MAX_FASTA_UPLOAD_MB", 50)
MAX_DATA_UPLOAD_MB = _setting("MAX_DATA_UPLOAD_MB", 200)
MAX_GENOME_UPLOAD_MB = _setting("MAX_GENOME_UPLOAD_MB", 200)
MAX_CHECKPOINT_UPLOAD_MB = _setting("MAX_CHECKPOINT_UPLOAD_MB", 200)
MAX_IMPORT_UPLOAD_MB = _setting("MAX_IMPORT_UPLOAD_MB", 200)
MAX_VCF_UPLOAD_MB = _setting("MAX_VCF_UPLOAD_MB", 50)
#: all uploaded files kept on disk (genomes, ...): the oldest are removed past this
MAX_STORED_UPLOADS_MB = _setting("MAX_STORED_UPLOADS_MB", 2000)
#: what one compressed file may unpack to
MAX_UNPACKED_MB = _setting("MAX_UNPACKED_MB", 400)
#: seconds an analysis may be expected to take and still start by itself when a page
#: opens; longer ones wait for their button (0: every analysis waits)
AUTO_RUN_SECONDS = _setting("AUTO_RUN_SECONDS", 2)
#: parameters of a model built from a card or an imported file (DeepSEA paper: 52.8M)
MAX_PARAMETERS = _setting("MAX_PARAMETERS", 100_000_000)
#: bp (or bins) of one model input (Enformer: 196,608)
MAX_INPUT_LENGTH = _setting("MAX_INPUT_LENGTH", 250_000)
#: finished training jobs kept in the server's job list
MAX_FINISHED_JOBS = _setting("MAX_FINISHED_JOBS", 20)
#: points of a training curve drawn on the page (the full history stays in the job)
MAX_CURVE_POINTS = _setting("MAX_CURVE_POINTS", 2000)
#: sequence positions (sequences x length) of one motif discovery run: its contributions
#: take 16 bytes per position and TF-MoDISco copies them (5,000 x 249 bp is 1.2M)
MAX_DISCOVERY_POSITIONS = _setting("MAX_DISCOVERY_POSITIONS", 2_000_000)
#: variants of one list or VCF scored at once
MAX_VARIANTS = _setting("MAX_VARIANTS", 100_000)


def gunzip(data: bytes, source: str = "file", limit_mb: int | None = None) -> bytes:
    """``data`` decompressed when it is gzip (else unchanged), stopping at ``limit_mb``
    (default `MAX_UNPACKED_MB`) with an InputFormatError that says so."""
    if data[:2] != b"\x1f\x8b":
        return data
    limit = (MAX_UNPACKED_MB if limit_mb is None else limit_mb) * MB
    out, inflate = [], zlib.decompressobj(16 + zlib.MAX_WBITS)
    size, rest = 0, data
    try:
        while rest:
            chunk = inflate.decompress(rest, min(2**24, limit + 1 - size))
            size += len(chunk)
            out.append(chunk)
            if size > limit:
                raise InputFormatError(
                    f"{source} unpacks to more than {limit // MB:,} MB, the limit here "
                    "(REGVIZ_MAX_UNPACKED_MB). Upload a smaller file.")
            rest = inflate.unconsumed_tail
            if inflate.eof:        # a second gzip member follows (bgzip, concatenated files)
                rest = inflate.unused_data
                inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if rest else inflate
    except zlib.error as exc:
        raise InputFormatError(f"{source}: damaged gzip file ({exc}).") from None
    if not inflate.eof:
        raise InputFormatError(f"{source}: damaged gzip file (it ends early: the upload may "
                               "have been cut short).")
    return b"".join(out)


def data_roots() -> list[Path]:
    """Folders a "path on this machine" may point into: ``$REGVIZ_DATA_ROOTS`` (separated
    by ``os.pathsep``), else the app's cache folder (the demo genome) and the repository's
    ``data/`` folder."""
    raw = os.environ.get("REGVIZ_DATA_ROOTS")
    if raw:
        return [Path(p).expanduser().resolve() for p in raw.split(os.pathsep) if p.strip()]
    cache = os.environ.get("REGVIZ_CACHE") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "regviz"
    return [Path(cache).expanduser().resolve(), Path(__file__).resolve().parents[1] / "data"]


def server_path(text: str) -> Path:
    """The file a user named on the server, resolved (links followed); InputFormatError
    unless it lies inside one of `data_roots`. The message never shows file content."""
    path = Path(text.strip()).expanduser().resolve()
    roots = data_roots()
    if not any(path == r or r in path.parents for r in roots):
        raise InputFormatError(
            f"{text.strip()!r} is outside the folders this server offers "
            f"({', '.join(str(r) for r in roots)}); the administrator sets them with "
            "REGVIZ_DATA_ROOTS. Upload the file instead.")
    return path
