"""Helpers shared by the importers: reading a source, naming what a file is, the card."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from regviz.checkpoints import Card, Tasks, make_card
from regviz.errors import ImportFormatError

#: leading bytes -> what a user would call that file
SIGNATURES = (
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file"),
    (b"PK\x03\x04", "a zip archive (a .keras file, a torch.save file or a checkpoint zip)"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"\x89PNG", "a PNG image"),
    (b"%PDF", "a PDF document"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x93NUMPY", "a numpy .npy array"),
)


def describe_bytes(data: bytes) -> str:
    """What the start of ``data`` looks like, for error messages ("a PNG image", ...)."""
    if not data:
        return "an empty file"
    for magic, what in SIGNATURES:
        if data.startswith(magic):
            return what
    if data[0] == 0x80 and len(data) > 1 and data[1] <= 5:
        return "a Python pickle (refused: pickles can run code)"
    head = data[:200]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return f"binary data starting with {data[:8]!r}"
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    if first.startswith(">"):
        return f"a FASTA file (first line {first[:40]!r})"
    if first.startswith(("{", "[")):
        return f"JSON text (starting {first[:40]!r})"
    return f"text whose first line is {first[:50]!r}"


def read_source(source, label: str | None, max_bytes: int) -> tuple[bytes, str]:
    """``(data, label)`` from a path, bytes or a binary file object (Streamlit upload).

    Raises ImportFormatError for a missing path or data over ``max_bytes``.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        label = label or "uploaded file"
    elif hasattr(source, "read"):
        label = label or getattr(source, "name", None) or "uploaded file"
        data = source.read(max_bytes + 1)
    else:
        path = Path(source)
        label = label or path.name
        if not path.is_file():
            raise ImportFormatError(f"{path} does not exist (or is not a file).")
        if path.stat().st_size > max_bytes:
            raise ImportFormatError(f"{label} is {path.stat().st_size:,} bytes, over the "
                                    f"{max_bytes:,}-byte limit for this format.")
        data = path.read_bytes()
    if len(data) > max_bytes:
        raise ImportFormatError(f"{label} is over the {max_bytes:,}-byte limit for this format.")
    return data, label


def card_for(model, name: str, task_names: list, how_to_read: str, source: dict,
             encoding: str) -> Card:
    """A checkpoint card for an imported model (no dataset, no training, no metrics).

    ``source`` is ``{"file", "format", "citation", ...}``;
    `regviz.checkpoints.card_markdown` prints it as "Imported from".
    """
    card = make_card(model, name=name)
    return card.replace(tasks=Tasks(tuple(task_names), model.config.output_kind),
                        outputs=dataclasses.replace(card.outputs, how_to_read=how_to_read),
                        input=dataclasses.replace(card.input, encoding=encoding),
                        source=source)
