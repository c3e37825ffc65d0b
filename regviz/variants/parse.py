"""Variants from a pasted list or a VCF, each checked; problems kept per variant.

A pasted line is ``contig:position REF>ALT`` (1-based, commas allowed in the position:
``chr2L:10,523 A>G``, ``seq1:57 C>T``, ``chr1:100 AT>A`` for a deletion), optionally
followed by a name; ``#`` starts a comment. A VCF (plain or bgzipped) is read with
cyvcf2; a record with several ALT alleles becomes one variant per allele. Symbolic or
structural ALTs (``<DEL>``, ``*``, breakends) and alleles that are not A/C/G/T are
reported, not scored.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass

import pandas as pd

from regviz import limits
from regviz.errors import InputFormatError

# linear-time: no nested or lazy quantifiers that could backtrack on a hostile paste
_LINE = re.compile(r"(?P<chrom>[^\s:]+):(?P<pos>[\d,_]+)\s+(?P<ref>[A-Za-z]+)\s*>\s*"
                   r"(?P<alt>\S+)(?:\s+(?P<name>.*))?")
MAX_LINE = 1000     # characters of one pasted variant line
_BASES = re.compile(r"^[ACGT]+$")
PROBLEM_COLUMNS = ["variant", "reason"]


@dataclass(frozen=True)
class Variant:
    """One allele at a position: ``pos`` 1-based (VCF), ``ref``/``alt`` uppercase."""

    chrom: str
    pos: int
    ref: str
    alt: str
    id: str = "."
    info: str = ""      # the VCF record's INFO text (at most 200 characters)

    @property
    def label(self) -> str:
        return f"{self.chrom}:{self.pos:,} {self.ref}>{self.alt}"

    @property
    def kind(self) -> str:
        if len(self.ref) == len(self.alt) == 1:
            return "SNV"
        if len(self.ref) == len(self.alt):
            return "MNV"
        return "deletion" if len(self.ref) > len(self.alt) else "insertion"


def allele_problem(ref: str, alt: str) -> str | None:
    """Why an allele pair cannot be scored, or None."""
    if alt in ("*", ".") or alt.startswith("<") or "[" in alt or "]" in alt:
        return f"symbolic or structural ALT {alt!r} (only sequence alleles are scored)"
    if not _BASES.match(ref):
        return f"REF {ref!r} is not made of A, C, G, T"
    if not _BASES.match(alt):
        return f"ALT {alt!r} is not made of A, C, G, T"
    if ref == alt:
        return "ALT equals REF"
    return None


def _check_count(n: int) -> None:
    if n >= limits.MAX_VARIANTS:
        raise InputFormatError(f"More than {limits.MAX_VARIANTS:,} variants; give at most "
                               f"{limits.MAX_VARIANTS:,} (REGVIZ_MAX_VARIANTS).")


def parse_variant_list(text: str) -> tuple[list[Variant], pd.DataFrame]:
    """``(variants, problems)`` from pasted lines (see the module docstring); a line that
    does not parse is a problem (``variant`` = the line), not an error."""
    variants, problems = [], []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = _LINE.fullmatch(line) if len(line) <= MAX_LINE else None
        if m is None:
            problems.append((line[:80], f"line {lineno}: expected 'contig:position REF>ALT', "
                                        "e.g. 'chr2L:10,523 A>G'"))
            continue
        pos = int(m["pos"].replace(",", "").replace("_", ""))
        ref, alt = m["ref"].upper(), m["alt"].upper()
        v = Variant(m["chrom"], pos, ref, alt, (m["name"] or ".").strip()[:100] or ".")
        why = "position must be 1 or more (1-based)" if pos < 1 else allele_problem(ref, alt)
        if why:
            problems.append((v.label, why))
        else:
            _check_count(len(variants))
            variants.append(v)
    if not variants and not problems:
        raise InputFormatError("No variants given: paste lines like 'chr2L:10,523 A>G'.")
    return variants, pd.DataFrame(problems, columns=PROBLEM_COLUMNS)


def read_vcf(source) -> tuple[list[Variant], pd.DataFrame]:
    """``(variants, problems)`` of a VCF path or its bytes (plain or bgzipped), one
    variant per ALT allele."""
    import cyvcf2  # local: htslib, only for VCF files

    tmp = None
    if isinstance(source, (bytes, bytearray)):
        if len(source) > limits.MAX_VCF_UPLOAD_MB * limits.MB:
            raise InputFormatError(f"The VCF is over {limits.MAX_VCF_UPLOAD_MB} MB.")
        head = bytes(source[:2])
        if not (head == b"\x1f\x8b" or bytes(source[:16]).startswith(b"##fileformat=VCF")):
            raise InputFormatError("This is not a VCF: it must start with '##fileformat=VCF' "
                                   "(or be bgzipped).")
        fd, tmp = tempfile.mkstemp(suffix=".vcf.gz" if head == b"\x1f\x8b" else ".vcf")
        with os.fdopen(fd, "wb") as handle:
            handle.write(source)
        source = tmp
    variants, problems = [], []
    try:
        try:
            reader = cyvcf2.VCF(str(source), lazy=True, threads=1)
        except (OSError, Exception) as error:   # cyvcf2 raises plain Exceptions
            raise InputFormatError(f"Could not read the VCF ({error}).") from None
        for rec in reader:
            alts = rec.ALT or ["."]
            for alt in alts:
                ref, alt = str(rec.REF).upper(), str(alt).upper()
                info = str(rec).split("\t")[7].strip()[:200] if rec.INFO else ""
                v = Variant(rec.CHROM, int(rec.POS), ref, alt, rec.ID or ".",
                            "" if info == "." else info)
                why = allele_problem(ref, alt)
                if why:
                    problems.append((v.label, why))
                else:
                    _check_count(len(variants))
                    variants.append(v)
        reader.close()
    finally:
        if tmp is not None:
            os.unlink(tmp)
    if not variants and not problems:
        raise InputFormatError("The VCF holds no variant records.")
    return variants, pd.DataFrame(problems, columns=PROBLEM_COLUMNS)
