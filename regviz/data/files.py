"""Reading users' datasets: FASTA with labels, CSV/TSV tables, BED + genome.

Inputs are a path, bytes, or a file-like object (Streamlit's UploadedFile), plain or gzip:

* FASTA, labels after the name in the header: unnamed ``>name 1``, ``>name 0.53 1.2``,
  ``>name|1``, ``>name|0.53|1.2`` (tasks "label", or "label1", "label2", ...) or named
  ``>name label=1``, ``>name Dev=1.2 Hk=0.3`` (tasks from the keys, any order). Every
  record carries the same labels.
* Tables (tab, comma, semicolon or whitespace, sniffed from the first line) with a header
  line: the sequence column is named seq/sequence/sequences or found by content; an id
  column (id/name/seq_id/sequence_id/EventID) is optional; every other column holding
  numbers is a label, except coordinates (start/end/pos/...); text columns (FoldID) are
  ignored. So the DeepBind/ENCODE layout (FoldID, EventID, seq, Bound) is a table. A first
  line that holds DNA means there is no header (columns col1, col2, ...).
* BED + genome FASTA: a window of ``length`` bp centred on each interval (pyfaidx);
  labels are the columns after the name, a strand column excepted.

Errors name the file and its 1-based line; nothing is returned until all is checked.
Gzip input may unpack to `regviz.limits.MAX_UNPACKED_MB`; a table cell may hold up to
`MAX_FIELD` characters. Every pattern here runs in linear time (files come from anyone).
"""

from __future__ import annotations

import csv
import io
import math
import re
import warnings
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np

from regviz.data.dataset import Dataset
from regviz.data.prepare import finish
from regviz.errors import (DataFormatError, InputFormatError, RegionError, RegvizWarning,
                           SequenceError)
from regviz.genome import Genome, Region, parse_bed
from regviz.limits import MAX_INPUT_LENGTH, gunzip
from regviz.sequence import (check_header, clean_sequence, numbered_lines, parse_fasta_bytes,
                             reverse_complement, split_lines)

EDGE_POLICIES = ("pad", "shift", "drop", "error")

FASTA_FORMS = "'>name 1', '>name 0.53 1.2', '>name|1', '>name label=1' or '>name Dev=1.2 Hk=0.3'"

SEQ_NAMES = ("seq", "sequence", "sequences")

ID_NAMES = ("id", "name", "seq_id", "sequence_id", "eventid")

NOT_LABELS = ("start", "end", "chromstart", "chromend", "pos", "position", "length")

MISSING = ("", "na", "nan", "n/a", "none", "null", ".")

EXTENSIONS = {".fa": "fasta", ".fasta": "fasta", ".fna": "fasta", ".fas": "fasta",
              ".csv": "table", ".tsv": "table", ".tab": "table", ".seq": "table",
              ".bed": "bed", ".narrowpeak": "bed", ".broadpeak": "bed"}

_DNA = re.compile(r"^[ACGTNUacgtnu]{10,}$")

# digits, then an optional '.' and digits: no two parts can match the same text
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")

#: characters one table cell may hold: the longest sequence a model here takes
MAX_FIELD = MAX_INPUT_LENGTH


def _read_input(file_or_bytes, name=None):
    """(text, source file name) from a path, bytes, text with newlines or a file object."""
    source, obj = name, file_or_bytes
    if hasattr(obj, "getvalue") or hasattr(obj, "read"):
        source = source or getattr(obj, "name", None)
        raw = obj.getvalue() if hasattr(obj, "getvalue") else obj.read()
    elif isinstance(obj, (bytes, bytearray)) or (isinstance(obj, str) and "\n" in obj):
        raw = obj
    elif isinstance(obj, (str, Path)):
        path = Path(obj).expanduser()
        if not path.is_file():
            raise DataFormatError(f"Data file not found: {path}.")
        source, raw = source or path.name, path.read_bytes()
    else:
        raise DataFormatError(f"Expected a file path, bytes or an uploaded file; got "
                              f"{type(obj).__name__} instead.")
    source = Path(str(source)).name if source else "upload"
    if isinstance(raw, (bytes, bytearray)):
        try:
            raw = gunzip(bytes(raw), source).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DataFormatError(f"{source}: not a text file (byte {exc.start + 1} is not UTF-8 "
                                  "text). Expected FASTA, CSV/TSV or BED.") from None
        except InputFormatError as exc:  # too large unpacked, or a damaged gzip file
            raise DataFormatError(str(exc)) from None
    if not raw.strip():
        raise DataFormatError(f"{source} is empty: expected FASTA with labels in the headers, a "
                              "CSV/TSV table with a sequence column, or BED.")
    return raw.lstrip("\ufeff"), source


def _number(text, where, what):
    value = text.strip()
    if value.lower() in MISSING:
        raise DataFormatError(f"{where}: the {what} is missing. Every sequence needs a numeric "
                              f"label. Got {value!r} instead.")
    number = float(value) if _NUMBER.fullmatch(value) else math.nan
    if not math.isfinite(number):
        shown = repr(value[:40]) + ("..." if len(value) > 40 else "")
        raise DataFormatError(f"{where}: the {what} must be a number (e.g. 0, 1 or 0.53). "
                              f"Got {shown} instead.")
    return number


def _split_table(text, sep, source):
    """[(1-based line, cells)] of a table; sep None splits at whitespace."""
    if sep is None:
        table = list(enumerate((line.split() for line in text.splitlines()), start=1))
    else:
        if csv.field_size_limit() < MAX_FIELD:  # process-wide: only ever raised, to ours
            csv.field_size_limit(MAX_FIELD)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)  # \r ends lines too
        try:
            table = [(reader.line_num, row) for row in reader]
        except csv.Error as exc:
            if "field limit" in str(exc):
                raise DataFormatError(_too_long(source, reader.line_num)) from None
            raise DataFormatError(f"{source}, line {reader.line_num}: cannot be read as a table "
                                  f"separated by {sep!r} ({exc}).") from None
    for lineno, row in table:
        if (longest := max(map(len, row), default=0)) > MAX_FIELD:
            raise DataFormatError(_too_long(source, lineno, longest))
    return table


def _too_long(source, lineno, n=None):
    return (f"{source}, line {lineno}: a field is longer than {MAX_FIELD:,} characters, the "
            "most a table cell may hold here (the longest model input, REGVIZ_MAX_INPUT_LENGTH)."
            + (f" Got {n:,} instead." if n else ""))


def _check_unique(names, lines, source):
    first = {}
    for name, line in zip(names, lines):
        if name in first:
            raise DataFormatError(f"{source}: the name {name!r} appears twice (lines {first[name]} "
                                  f"and {line}); sequence names must be unique.")
        first[name] = line


@contextmanager
def _one_warning(source, meta):
    """Turn the per-sequence RegvizWarnings (U -> T, IUPAC -> N) into one summary warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    ours = [w for w in caught if issubclass(w.category, RegvizWarning)]
    for w in caught:
        if w not in ours:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    meta["n_changed_on_reading"] = len(ours)
    if ours:
        more = f" (and {len(ours) - 1} more)" if len(ours) > 1 else ""
        warnings.warn(f"{source}: {ours[0].message}{more}", RegvizWarning, stacklevel=4)


def read_labeled_fasta(file_or_bytes, name=None, **options) -> Dataset:
    """Read FASTA whose headers carry the labels (forms in the module docstring).

    ``options``: task_kind, length_policy, length, valid, test, seed (see `load_dataset`).
    """
    text, source = _read_input(file_or_bytes, name)
    lines = split_lines(text)
    heads = [(i, line) for i, line in enumerate(lines, start=1) if line.startswith(">")]
    if not text.lstrip().startswith(">"):
        raise DataFormatError(f"{source}: a FASTA file must start with a '>name' header line "
                              f"with the labels, e.g. {FASTA_FORMS}.")
    names, rows, keys = [], [], None
    for lineno, line in heads:
        check_header(line, f"{source}, line {lineno}")
        first, *rest = line[1:].split() or [""]
        seq_name, *piped = first.split("|")
        tokens, where = piped + rest, f"{source}, line {lineno} ('{line[:60]}')"
        if not seq_name or not tokens:
            raise DataFormatError(f"{where}: the header has no {'label' if seq_name else 'name'}. "
                                  f"Accepted headers: {FASTA_FORMS}.")
        pairs = [t.partition("=") for t in tokens]
        named = tuple(k for k, eq, _ in pairs if eq)
        if named and (len(named) != len(pairs) or len(set(named)) < len(named)):
            raise DataFormatError(f"{where}: mixes named (key=value) and unnamed labels, or "
                                  f"repeats a name. "
                                  f"Accepted headers: {FASTA_FORMS}.")
        these = named or len(tokens)
        if keys is None:
            keys, first_line = these, lineno
        elif these != keys and not (named and isinstance(keys, tuple) and set(named) == set(keys)):
            show = (lambda k: ", ".join(k) if isinstance(k, tuple) else f"{k} unnamed")
            raise DataFormatError(f"{where}: has labels ({show(these)}) but the first record "
                                  f"(line {first_line}) has ({show(keys)}); every record needs "
                                  "the same labels.")
        values = {k: v for k, _, v in pairs} if named else dict(enumerate(tokens))
        rows.append([_number(values[k], where, "label") for k in (keys if named else values)])
        names.append(seq_name)
    _check_unique(names, [h[0] for h in heads], source)
    meta = {}
    with _one_warning(source, meta):
        try:
            records = parse_fasta_bytes(text.encode(), source=source)
        except SequenceError as exc:
            raise SequenceError(_locate(exc, lines, heads, names, source)) from None
        except InputFormatError as exc:
            raise InputFormatError(str(exc) if source in str(exc) else f"{source}: {exc}") from None
    task_names = list(keys) if isinstance(keys, tuple) else (
        ["label"] if keys == 1 else [f"label{k + 1}" for k in range(keys)])
    return finish(source, "fasta", names, [r.sequence for r in records], [h[0] for h in heads],
                   np.array(rows), task_names, meta, **options)


def _locate(exc, lines, heads, names, source):
    """Prefix a bad-character error with the file line and column where it is."""
    ends = [h[0] for h in heads[1:]] + [len(lines) + 1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for (start, _), end, name in zip(heads, ends, names):
            numbered = numbered_lines([ln for ln in lines[start:end - 1] if ln[:1] != ";"])
            for lineno in range(start + 1, end):
                try:
                    if not lines[lineno - 1].startswith(";"):
                        clean_sequence(lines[lineno - 1], name, numbered)
                except SequenceError as inner:
                    column = re.search(r"position (\d+)", str(inner))
                    at = f", column {column[1]}" if column else ""
                    return f"{source}, line {lineno}{at}: {exc}"
    return f"{source}: {exc}"


def read_table(file_or_bytes, name=None, seq_col=None, label_cols=None, id_col=None,
               sep="auto", **options) -> Dataset:
    """Read a CSV/TSV table: one sequence column, one or more numeric label columns.

    Parameters
    ----------
    seq_col, id_col : str or None
        Column names; None finds them (names in SEQ_NAMES / ID_NAMES, or DNA content).
    label_cols : str, list of str or None
        None takes every column holding numbers except the id and coordinates.
    sep : "auto" (tab, comma, semicolon, else whitespace), or the separator (None: whitespace)
    options : task_kind, length_policy, length, valid, test, seed (see `load_dataset`).
    """
    text, source = _read_input(file_or_bytes, name)
    if sep == "auto":
        first_line = next(line for line in text.splitlines() if line.strip())
        sep = next((s for s in "\t,;" if s in first_line), None)
    table = _split_table(text, sep, source)
    table = [(i, [c.strip() for c in row]) for i, row in table if any(c.strip() for c in row)]
    header = table[0][1]
    has_header = not any(_DNA.match(c) for c in header)
    header, table = (header, table[1:]) if has_header else ([f"col{k + 1}" for k in
                                                              range(len(header))], table)
    if not table:
        raise DataFormatError(f"{source}: has a header line but no rows of data.")
    for lineno, row in table:
        if len(row) != len(header):
            raise DataFormatError(f"{source}, line {lineno}: has {len(row)} fields but the "
                                  f"{'header' if has_header else 'first line'} has "
                                  f"{len(header)} ({', '.join(header)}).")
    columns = {h: [row[k] for _, row in table] for k, h in enumerate(header)}
    lower = {h.lower(): h for h in header}

    def pick(given, known, what):
        if given is not None and given not in columns:
            raise DataFormatError(f"{source}: no column named {given!r} for the {what}; the "
                                  f"columns are {', '.join(header)}.")
        return given or next((lower[k] for k in known if k in lower), None)

    seq_col = pick(seq_col, SEQ_NAMES, "sequences") or next(
        (h for h in header if all(_DNA.match(v) for v in columns[h][:100])), None)
    if seq_col is None:
        raise DataFormatError(f"{source}: no sequence column found; name it 'seq' or "
                              f"'sequence', or pass seq_col=. Columns: {', '.join(header)}.")
    id_col = pick(id_col, ID_NAMES, "names")
    if label_cols is None:
        label_cols = [h for h in header if h not in (seq_col, id_col) and h.lower() not in
                      NOT_LABELS and any(_NUMBER.fullmatch(v) for v in columns[h])]
    label_cols = [pick(c, (), "labels") for c in ([label_cols] if isinstance(label_cols, str)
                                                  else label_cols)]
    if not label_cols:
        raise DataFormatError(f"{source}: no label column with numbers found (columns: "
                              f"{', '.join(header)}). Add one, or pass label_cols=.")
    lines = [lineno for lineno, _ in table]
    names = columns[id_col] if id_col else [f"seq{k + 1}" for k in range(len(table))]
    _check_unique(names, lines, source)
    y = np.array([[_number(columns[c][k], f"{source}, line {line} ({names[k]})",
                           f"label in column {c!r}") for c in label_cols]
                  for k, line in enumerate(lines)])
    seqs, meta = [], {"columns": {"sequence": seq_col, "id": id_col, "labels": label_cols}}
    with _one_warning(source, meta):
        for raw, seq_name, line in zip(columns[seq_col], names, lines):
            if not raw:
                raise DataFormatError(f"{source}, line {line} ({seq_name}): the sequence in "
                                      f"column {seq_col!r} is empty.")
            try:
                seqs.append(clean_sequence(raw, seq_name))
            except SequenceError as exc:
                raise SequenceError(f"{source}, line {line}: {exc}") from None
    return finish(source, "table", names, seqs, lines, y, label_cols, meta, **options)


def read_bed_dataset(file_or_bytes, genome, name=None, length=None, label_cols=None,
                     split_by_chrom=None, edge="pad", use_strand=True, **options) -> Dataset:
    """Windows of ``length`` bp centred on BED intervals, fetched from a genome FASTA.

    Parameters
    ----------
    genome : path or regviz.genome.Genome
    length : int or None
        Window size; None takes the intervals' width when they all share one. A window
        starts at ``(start + end) // 2 - length // 2`` (0-based), so an interval as wide
        as the window is taken exactly.
    label_cols : list of int or None
        1-based BED columns (5 or more) holding labels; None takes every column after
        the name except a strand column (only +, -, .). Task names come from a header
        line, else "score" (column 5) and "colK".
    split_by_chrom : dict or None
        e.g. ``{"valid": ["chr8"], "test": ["chr9"]}``; other contigs train. None: random.
    edge : "pad" (N past the contig end; the interval stays centred), "shift" (window
        moved inside the contig), "drop" (interval skipped) or "error"; counted in meta.
    use_strand : bool
        Reverse-complement the windows of "-" strand intervals.
    """
    if edge not in EDGE_POLICIES:
        raise DataFormatError(f"edge must be one of {EDGE_POLICIES}; got {edge!r} instead.")
    text, source = _read_input(file_or_bytes, name)
    regions = parse_bed(io.StringIO(text))
    if not regions:
        raise DataFormatError(f"{source}: no BED intervals (chrom, start, end) found.")
    data = [(i, line.split()) for i, line in enumerate(text.splitlines(), start=1)
            if line.strip() and not line.strip().startswith(("#", "track", "browser"))]
    header = data.pop(0)[1] if len(data) == len(regions) + 1 else None
    lines = [i for i, _ in data] if len(data) == len(regions) else list(range(1, len(regions) + 1))
    widths = sorted({r.end - r.start for r in regions})
    if length is None and len(widths) > 1:
        raise DataFormatError(f"{source}: intervals have widths {widths[0]}-{widths[-1]} bp; "
                              "pass length= (e.g. 1000) for the window centred on each.")
    length = widths[0] if length is None else length
    if not isinstance(length, (int, np.integer)) or length < 1:
        raise DataFormatError(f"length must be a whole number of bases above 0; got {length!r}.")
    n_extra = min(len(r.extra) for r in regions)
    strand_col = 6 if n_extra >= 2 and all(r.extra[1] in "+-." for r in regions) else None
    if label_cols is None:
        label_cols = [c for c in range(5, 5 + n_extra) if c != strand_col]
    if not label_cols or not all(5 <= c <= 4 + n_extra for c in label_cols):
        raise DataFormatError(f"{source}: label columns must be BED columns 5 to {4 + n_extra} "
                              f"(after chrom, start, end, name); got {label_cols or 'none'} "
                              "instead. Put a score or label in column 5.")
    task_names = [header[c - 1] if header and len(header) >= c else
                  ("score" if c == 5 else f"col{c}") for c in label_cols]
    y = np.array([[_number(r.extra[c - 5], f"{source}, line {line}", f"label in column {c}")
                   for c in label_cols] for r, line in zip(regions, lines)])
    names = [r.name or r.to_string() for r in regions]
    _check_unique(names, lines, source)
    seqs, keep, n_edge, meta = [], [], 0, {"regions": []}
    opened = nullcontext(genome) if isinstance(genome, Genome) else Genome(genome)
    with opened as genome, _one_warning(source, meta):
        for k, (r, line) in enumerate(zip(regions, lines)):
            try:
                size = genome.resolve(Region(r.chrom)).end
            except RegionError as exc:
                raise DataFormatError(f"{source}, line {line}: {exc}") from None
            start = (r.start + r.end) // 2 - length // 2
            if start < 0 or start + length > size:
                n_edge += 1
                if edge == "error" or (edge == "shift" and size < length):
                    raise DataFormatError(
                        f"{source}, line {line}: the {length} bp window around {r} runs past "
                        f"the end of {r.chrom} ({size:,} bp). Use edge='pad', 'shift' or 'drop'.")
                if edge == "drop":
                    continue
                start = min(max(start, 0), size - length) if edge == "shift" else start
            lo, hi = max(start, 0), min(start + length, size)
            seq = "N" * (lo - start) + genome.fetch(Region(r.chrom, lo, hi)) + \
                "N" * (start + length - hi)
            minus = strand_col is not None and use_strand and r.extra[1] == "-"
            seqs.append(clean_sequence(reverse_complement(seq) if minus else seq, names[k]))
            keep.append(k)
            meta["regions"].append(Region(r.chrom, lo, hi).to_string())  # genome bases used
    if n_edge and edge != "error":
        warnings.warn(f"{source}: {n_edge} window(s) ran past a contig end (edge={edge!r}).",
                      RegvizWarning, stacklevel=2)
    splits = None if split_by_chrom is None else \
        _chrom_splits([regions[k].chrom for k in keep], split_by_chrom)
    return finish(source, "bed", [names[k] for k in keep], seqs, [lines[k] for k in keep],
                   y[keep], task_names, dict(meta, edge={"policy": edge, "n_past_contig_end":
                                                         n_edge}), splits=splits, **options)


def _chrom_splits(chroms, split_by_chrom):
    chroms = np.array(chroms)
    held = [c for v in split_by_chrom.values() for c in v]
    if set(split_by_chrom) - {"valid", "test"} or not set(held) <= set(chroms):
        raise DataFormatError(f"split_by_chrom takes {{'valid': [...], 'test': [...]}} with "
                              f"contigs of the BED ({', '.join(sorted(set(chroms)))}); got "
                              f"{split_by_chrom} instead.")
    splits = {s: np.flatnonzero(np.isin(chroms, split_by_chrom.get(s, [])))
              for s in ("valid", "test")}
    splits["train"] = np.flatnonzero(~np.isin(chroms, held))
    return splits


def load_dataset(file_or_bytes, name=None, fmt=None, genome=None, **options) -> Dataset:
    """Load a user's dataset from a path, bytes or uploaded file, sniffing the format.

    Parameters
    ----------
    file_or_bytes : str, Path, bytes, text with newlines, or file-like (``.name`` and
        ``.getvalue()`` or ``.read()``, e.g. Streamlit's UploadedFile); gzip is undone.
    name : str or None
        File name for bytes input: its extension picks the format; messages use it.
    fmt : "fasta", "table" (or "csv", "tsv"), "bed" or None
        None: by extension (EXTENSIONS; ``.gz`` ignored), else a leading ">" is FASTA,
        a given genome means BED, and anything else is a table.
    genome : path or Genome, for BED input only.
    options
        task_kind (None infers, see `infer_task_kind`), length_policy (LENGTH_POLICIES)
        and length, valid/test fractions and seed of the random split, and the options
        of `read_table` / `read_bed_dataset`.

    Returns
    -------
    Dataset; ``meta`` holds names, file lines, length_policy (with n_cropped and
    n_padded), task_kind_inferred and how the split was made.
    """
    text, source = _read_input(file_or_bytes, name)
    fmt = {"fa": "fasta", "csv": "table", "tsv": "table", "txt": "table"}.get(fmt, fmt)
    fmt = fmt or EXTENSIONS.get(Path(re.sub(r"\.gz$", "", source.lower())).suffix) or (
        "fasta" if text.lstrip().startswith(">") else "bed" if genome is not None else "table")
    if fmt not in ("fasta", "table", "bed"):
        raise DataFormatError(f"fmt must be 'fasta', 'table' or 'bed'; got {fmt!r} instead.")
    if (fmt == "bed") != (genome is not None):
        raise DataFormatError(f"{source}: BED input needs genome= (a genome FASTA to fetch the "
                              "sequences from)." if fmt == "bed" else f"{source} was read as "
                              f"{fmt}; a genome is only used with BED intervals.")
    if fmt == "bed":
        return read_bed_dataset(io.StringIO(text), genome, name=source, **options)
    reader = read_labeled_fasta if fmt == "fasta" else read_table
    return reader(io.StringIO(text), name=source, **options)
