"""DNA sequences: parsing pasted text and FASTA, one-hot encoding, shuffles.

Conventions
-----------
* One-hot arrays have shape ``(n, 4, L)``, float32, channels in A, C, G, T order.
* ``N`` is allowed and encoded as 0.25 in each channel (an unknown base is each
  base with equal probability); :func:`decode` turns any column that is not a
  single base back into ``N``.
* Input is case-insensitive; sequences are stored upper case.
* What the parser changes, with a :class:`~regviz.errors.RegvizWarning` that
  names the record:

  - IUPAC ambiguity codes other than N (R Y S W K M B D H V) become ``N``;
  - RNA ``U`` becomes ``T``;
  - whitespace inside a record is removed;
  - the numbers that start GenBank-style numbered lines (``1 acgtacgtac gtacgtacgt``)
    are removed, when every line of the paste (or of the FASTA record) is one;
  - ``-`` or ``.`` alignment gaps are errors (the length would change silently).

  Any other character, a digit inside a sequence included, is a
  :class:`~regviz.errors.SequenceError` naming the record, the 1-based position and
  the character.
* Pasted text without ``>`` headers: each non-empty line is one sequence
  (``seq1``, ``seq2``...), except GenBank-style numbered lines, which form one
  sequence; ``single=True`` joins all lines into one sequence.
* Lines end at ``\n``, ``\r\n`` or ``\r`` only. A FASTA header may not hold control
  characters (below 0x20 except tab, and 0x7f).
* Every pattern here runs in linear time: pasted text comes from anyone.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd

from regviz.errors import GenomeFileError, InputFormatError, RegvizWarning, SequenceError
from regviz.limits import gunzip

ALPHABET = "ACGT"
IUPAC_AMBIGUOUS = set("RYSWKMBDHV")
_COMPLEMENT = str.maketrans("ACGTNRYSWKMBDHVacgtnryswkmbdhv", "TGCANYRSWMKVHDBtgcanyrswmkvhdb")
_ALLOWED_HINT = "allowed: A, C, G, T, N (any case); IUPAC codes and U are converted"
_TO_N = str.maketrans("RYSWKMBDHV", "N" * 10)
_NEWLINE = re.compile(r"\r\n?|\n")
_SPACE = re.compile(r"\s+")
_NOT_BASE = re.compile(r"[^ACGTN]")
_AMBIGUOUS = re.compile(r"[RYSWKMBDHV]")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# a GenBank-numbered line: a number, a space or tab, then only letters, spaces and tabs
# (three patterns with disjoint character classes, so no backtracking blow-up)
_LINE_NUMBER = re.compile(r"^[ \t]*[0-9]+[ \t]")
_LETTERS_SPACES = re.compile(r"[A-Za-z \t]*")
_LETTER = re.compile(r"[A-Za-z]")
_GENBANK_EXAMPLE = "'1 acgtacgtac gtacgtacgt'"
_LOOKUP = np.full(256, 4, dtype=np.int8)  # 0..3 = ACGT, 4 = N
for _i, _b in enumerate(ALPHABET):
    _LOOKUP[ord(_b)] = _i
    _LOOKUP[ord(_b.lower())] = _i


@dataclass(frozen=True)
class SequenceRecord:
    """One named sequence (upper case, ACGTN only) and its FASTA description."""

    name: str
    sequence: str
    description: str = ""

    def __len__(self) -> int:
        return len(self.sequence)

    @property
    def gc(self) -> float:
        """GC fraction of the called bases (N excluded); NaN when all N."""
        return gc_content(self.sequence)

    @property
    def n_count(self) -> int:
        return self.sequence.count("N")


def gc_content(seq: str) -> float:
    """Fraction of G+C among A, C, G, T (N not counted); NaN if none."""
    s = seq.upper()
    called = sum(s.count(b) for b in ALPHABET)
    return (s.count("G") + s.count("C")) / called if called else float("nan")


def clean_sequence(raw: str, name: str = "sequence", numbered: bool = False) -> str:
    """Validate one record's raw sequence text and return it as upper-case ACGTN.

    Applies the conversions listed in the module docstring, warning once per
    kind of change. ``numbered``: ``raw`` is GenBank-numbered lines (see
    `numbered_lines`), whose leading numbers are removed. Raises SequenceError
    for anything else.
    """
    text = raw.upper()
    if numbered:
        text = "\n".join(_LINE_NUMBER.sub("", line, count=1) for line in split_lines(text))
        warnings.warn(f"{name}: removed line numbers and spaces (GenBank-style numbering).",
                      RegvizWarning, stacklevel=3)
    elif " " in (body := text.strip()) or "\t" in body:
        warnings.warn(f"{name}: removed spaces inside the sequence.", RegvizWarning, stacklevel=3)
    seq = _SPACE.sub("", text)
    if _NOT_BASE.search(seq) is None:
        return seq
    if "U" in seq:
        n_u = seq.count("U")
        seq = seq.replace("U", "T")
        warnings.warn(f"{name}: read {n_u} RNA 'U' as 'T'.", RegvizWarning, stacklevel=3)
    n_ambiguous = sum(seq.count(c) for c in IUPAC_AMBIGUOUS)
    if n_ambiguous:
        first = ", ".join(f"{m.group()} at {m.start() + 1}"
                          for m in islice(_AMBIGUOUS.finditer(seq), 3))
        more = "" if n_ambiguous <= 3 else f" and {n_ambiguous - 3} more"
        warnings.warn(f"{name}: {n_ambiguous} IUPAC ambiguity code(s) read as N ({first}{more}).",
                      RegvizWarning, stacklevel=3)
        seq = seq.translate(_TO_N)
    bad = _NOT_BASE.search(seq)
    if bad is None:
        return seq
    if seq.isascii() and seq.isdigit():
        raise SequenceError(
            f"{name}: has only digits, no DNA bases ({_ALLOWED_HINT}). Line numbers are "
            f"removed only from GenBank-numbered lines such as {_GENBANK_EXAMPLE}. "
            f"Got {_preview(seq)} instead.")
    hint = "" if not bad.group().isdigit() else (
        f" Digits are removed only when every line is GenBank-numbered, such as "
        f"{_GENBANK_EXAMPLE}.")
    raise SequenceError(
        f"{name}: character {bad.group()!r} at position {bad.start() + 1} is not a "
        f"DNA base ({_ALLOWED_HINT}).{hint}")


def _preview(text: str, n: int = 30) -> str:
    """``repr`` of the start of ``text`` (messages stay short whatever the input)."""
    return repr(text[:n]) + ("..." if len(text) > n else "")


def split_lines(text: str) -> list[str]:
    """Lines of ``text``, ending at ``\\n``, ``\\r\\n`` or ``\\r`` only (unlike
    ``str.splitlines``, a form feed or other control character stays in its line)."""
    return _NEWLINE.split(text)


def numbered_lines(lines: list[str]) -> bool:
    """True when every non-empty line is GenBank-numbered: a number, then groups of
    letters separated by spaces (``1 acgtacgtac gtacgtacgt``)."""
    rows = [line for line in lines if line.strip()]
    return bool(rows) and all(_numbered(line) for line in rows)


def _numbered(line: str) -> bool:
    start = _LINE_NUMBER.match(line)
    return start is not None and _LETTERS_SPACES.fullmatch(line, start.end()) is not None \
        and _LETTER.search(line, start.end()) is not None


def check_header(line: str, where: str) -> None:
    """InputFormatError when a FASTA header line holds a control character."""
    bad = _CONTROL.search(line)
    if bad is not None:
        raise InputFormatError(
            f"{where}: the FASTA header holds control character {bad.group()!r} at column "
            f"{bad.start() + 1}; names and descriptions may hold printable text and tabs only. "
            f"Got {_preview(line, 60)} instead.")


def parse_sequences(text: str, single: bool = False) -> list[SequenceRecord]:
    """Parse pasted text (raw lines or multi-record FASTA) into records.

    Parameters
    ----------
    text : str
        Raw sequence(s), one per line, or FASTA (``>name description`` headers).
    single : bool
        Without headers, join all lines into one sequence instead of one per line.

    Returns
    -------
    list of SequenceRecord, in input order. Raises InputFormatError when there is
    no sequence or a name repeats, SequenceError for bad characters.
    """
    if text is None or not text.strip():
        raise InputFormatError("No sequence given: paste DNA (raw or FASTA) or upload a FASTA file.")
    text = text.lstrip("\ufeff")
    lines = split_lines(text)
    if any(line.startswith(">") for line in lines):
        records = _parse_fasta_lines(lines)
    else:
        rows = [line for line in lines if line.strip()]
        numbered = numbered_lines(rows)
        if single or numbered:
            records = [SequenceRecord("seq1", clean_sequence("\n".join(rows), "seq1", numbered))]
        else:
            records = [SequenceRecord(f"seq{i + 1}", clean_sequence(r, f"seq{i + 1}"))
                       for i, r in enumerate(rows)]
    _check_names(records)
    return records


def _parse_fasta_lines(lines: list[str]) -> list[SequenceRecord]:
    records: list[SequenceRecord] = []
    header, chunks, header_line = None, [], 0
    for lineno, line in enumerate(lines, start=1):
        if line.startswith(">"):
            check_header(line, f"Line {lineno}")
            if header is not None:
                records.append(_fasta_record(header, chunks, header_line))
            header, chunks, header_line = line[1:].strip(), [], lineno
        elif line.startswith(";") or not line.strip():
            continue
        elif header is None:
            raise InputFormatError(
                f"Line {lineno}: sequence text before the first '>' header. In FASTA every "
                "record starts with a '>name' line; or paste raw sequences without any '>'.")
        else:
            chunks.append(line)
    records.append(_fasta_record(header, chunks, header_line))
    return records


def _fasta_record(header: str, chunks: list[str], lineno: int) -> SequenceRecord:
    name, _, description = header.partition(" ")
    if not name:
        raise InputFormatError(f"Line {lineno}: FASTA header '>' has no name.")
    seq = clean_sequence("\n".join(chunks), name, numbered_lines(chunks))
    if not seq:
        raise InputFormatError(f"{name} (line {lineno}): record has no sequence.")
    return SequenceRecord(name, seq, description.strip())


def _check_names(records: list[SequenceRecord]) -> None:
    seen: set[str] = set()
    for r in records:
        if r.name in seen:
            raise InputFormatError(f"Sequence name {r.name!r} appears more than once; names must be unique.")
        seen.add(r.name)


def read_fasta(path) -> list[SequenceRecord]:
    """Read a FASTA file (plain text, optionally gzip-compressed) into records."""
    p = Path(path)
    if not p.exists():
        raise GenomeFileError(f"FASTA file not found: {p}")
    return parse_fasta_bytes(gunzip(p.read_bytes(), p.name), source=p.name)


def parse_fasta_bytes(data: bytes, source: str = "upload") -> list[SequenceRecord]:
    """Parse the bytes of an uploaded FASTA file; errors name the file."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFormatError(
            f"{source}: not a text FASTA file (byte {exc.start + 1} is not UTF-8 text).") from None
    if not text.lstrip("\ufeff").lstrip().startswith(">"):
        raise InputFormatError(f"{source}: a FASTA file must start with a '>name' header line.")
    return parse_sequences(text)


def one_hot(seqs, n_value: float = 0.25) -> np.ndarray:
    """One-hot encode sequences of equal length.

    Parameters
    ----------
    seqs : str, SequenceRecord or list of them
        Sequences of A, C, G, T, N (any case) all of the same length.
    n_value : float
        Value put in all four channels for N (default 0.25).

    Returns
    -------
    np.ndarray, shape (n, 4, L), float32, A, C, G, T channel order.
    """
    if isinstance(seqs, (str, SequenceRecord)):
        seqs = [seqs]
    strs = [s.sequence if isinstance(s, SequenceRecord) else s for s in seqs]
    if not strs:
        raise SequenceError("one_hot needs at least one sequence; got an empty list.")
    lengths = {len(s) for s in strs}
    if len(lengths) != 1:
        raise SequenceError(
            f"one_hot needs sequences of one length; got lengths {sorted(lengths)[:5]}. "
            "Pad or crop them first.")
    L = lengths.pop()
    codes = np.frombuffer("".join(strs).encode("ascii", "replace"), dtype=np.uint8)
    idx = _LOOKUP[codes].reshape(len(strs), L)
    bad = (idx == 4) & ~np.isin(codes.reshape(len(strs), L), (ord("N"), ord("n")))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise SequenceError(
            f"sequence {i + 1}: character {strs[i][j]!r} at position {j + 1} is not a DNA "
            "base (one_hot takes A, C, G, T, N; parse_sequences converts IUPAC and U).")
    eye = np.vstack([np.eye(4, dtype=np.float32), np.full((1, 4), n_value, np.float32)])
    return np.ascontiguousarray(eye[idx].transpose(0, 2, 1))


def decode(X: np.ndarray) -> list[str]:
    """Turn one-hot ``(n, 4, L)`` (or ``(4, L)``) back into strings.

    A column whose largest value is not a clear single base (max <= 0.5, e.g.
    N's 0.25s or all zeros) decodes to N.
    """
    X = np.asarray(X)
    if X.ndim == 2:
        X = X[None]
    if X.ndim != 3 or X.shape[1] != 4:
        raise SequenceError(f"decode expects shape (n, 4, L); got {X.shape}.")
    idx = X.argmax(axis=1)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)[idx]
    letters[X.max(axis=1) <= 0.5] = ord("N")
    return [row.tobytes().decode("ascii") for row in letters]


def reverse_complement(seq_or_X):
    """Reverse complement a string, a list of strings, or one-hot ``(..., 4, L)``.

    For arrays, channels are reversed (A<->T, C<->G in ACGT order) and so is the
    length axis.
    """
    if isinstance(seq_or_X, str):
        return seq_or_X.translate(_COMPLEMENT)[::-1]
    if isinstance(seq_or_X, (list, tuple)):
        return [reverse_complement(s) for s in seq_or_X]
    X = np.asarray(seq_or_X) if not hasattr(seq_or_X, "flip") else seq_or_X
    if hasattr(X, "flip"):  # torch.Tensor
        return X.flip(dims=(-2, -1))
    return np.ascontiguousarray(X[..., ::-1, ::-1])


def dinucleotide_shuffle(seq: str, n: int = 1, seed=None) -> list[str]:
    """Shuffles that keep the exact dinucleotide counts of ``seq``.

    Altschul-Erickson algorithm: a random Eulerian path through the graph whose
    nodes are letters and whose edges are the sequence's dinucleotides (first
    and last letters are kept). Deterministic for a given seed.

    Returns a list of ``n`` strings of the same length.
    """
    seq = seq.upper()
    rng = np.random.default_rng(seed)
    if len(seq) <= 2:
        return [seq] * n
    out = []
    letters = sorted(set(seq))
    for _ in range(n):
        out.append(_one_dinuc_shuffle(seq, letters, rng))
    return out


def _one_dinuc_shuffle(seq: str, letters: list[str], rng: np.random.Generator) -> str:
    edges = {a: [] for a in letters}
    for a, b in zip(seq[:-1], seq[1:]):
        edges[a].append(b)
    last = seq[-1]
    while True:  # choose a random last-exit edge per node forming a tree into `last`
        last_exit = {}
        for a in letters:
            if a != last and edges[a]:
                last_exit[a] = edges[a][rng.integers(len(edges[a]))]
        if _is_arborescence(last_exit, last):
            break
    lists = {}
    for a in letters:
        rest = list(edges[a])
        if a in last_exit:
            rest.remove(last_exit[a])
        rest = [rest[i] for i in rng.permutation(len(rest))]
        if a in last_exit:
            rest.append(last_exit[a])
        lists[a] = rest
    pos = {a: 0 for a in letters}
    cur, result = seq[0], [seq[0]]
    for _ in range(len(seq) - 1):
        nxt = lists[cur][pos[cur]]
        pos[cur] += 1
        result.append(nxt)
        cur = nxt
    return "".join(result)


def _is_arborescence(last_exit: dict, root: str) -> bool:
    """True when following last-exit edges from every node reaches ``root``."""
    for start in last_exit:
        seen, node = set(), start
        while node != root:
            if node in seen or node not in last_exit:
                return False
            seen.add(node)
            node = last_exit[node]
    return True


def random_sequences(n: int, length: int, gc: float = 0.5, seed=None) -> list[str]:
    """``n`` i.i.d. random sequences of ``length`` bp at expected GC fraction ``gc``."""
    if not 0.0 <= gc <= 1.0:
        raise SequenceError(f"gc must be a fraction between 0 and 1; got {gc} instead.")
    if n < 0 or length < 0:
        raise SequenceError(f"n and length must be >= 0; got n={n}, length={length}.")
    rng = np.random.default_rng(seed)
    p = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
    idx = rng.choice(4, size=(n, length), p=p)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)[idx]
    return [row.tobytes().decode("ascii") for row in letters]


def records_table(records: list[SequenceRecord]):
    """A pandas DataFrame summary: name, length, GC (fraction), N count."""
    return pd.DataFrame({
        "name": [r.name for r in records],
        "length": [len(r) for r in records],
        "GC": [round(r.gc, 4) for r in records],
        "N count": [r.n_count for r in records],
    })
