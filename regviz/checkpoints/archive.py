"""Checkpoint zips: unpacking an uploaded one safely, and packing a folder for download.

`load_zip` writes only ``model.safetensors`` and ``card.json``, under their own names,
after checking every entry (no absolute paths, ``..``, links, encrypted entries,
pickles or other files) and the unpacked size, then loads the result with
`regviz.checkpoints.load`.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from regviz.checkpoints.card import MAX_CARD_BYTES
from regviz.checkpoints.store import (CARD, PICKLE_SUFFIXES, WEIGHTS, looks_like_pickle,
                                      pickle_error, stage)
from regviz.errors import CheckpointError

MAX_ZIP_BYTES = 512 * 2**20


def _zip_error(label, problem) -> CheckpointError:
    return CheckpointError(f"{label}: {problem} A checkpoint zip holds only {WEIGHTS} and "
                           f"{CARD}, at the top or inside one folder.")


def load_zip(source, extract_to, max_bytes: int = MAX_ZIP_BYTES, device="cpu"):
    """Safely unpack an uploaded checkpoint zip into ``extract_to``, then `load` it.

    Parameters
    ----------
    source : bytes, path, or binary file object (e.g. a Streamlit upload)
    extract_to : str or Path
        Folder that receives ``model.safetensors`` and ``card.json`` (created).
    max_bytes : int
        Largest allowed archive and unpacked size (default 512 MiB).

    Only the two expected files are written, under their own names: absolute
    paths, ``..``, links, encrypted entries, pickles and any other file are
    refused before anything is written. They are unpacked into a temporary folder
    and moved to ``extract_to`` only after they load (`regviz.checkpoints.store.stage`),
    so a broken archive leaves nothing behind.

    Returns
    -------
    (model, card), as `load`.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        label, data = "uploaded zip", bytes(source)
    elif hasattr(source, "read"):
        label = getattr(source, "name", None) or "uploaded zip"
        data = source.read(max_bytes + 1)
    else:
        label = str(source)
        path = Path(source)
        if not path.is_file():
            raise CheckpointError(f"{label} does not exist.")
        if path.stat().st_size > max_bytes:
            raise _zip_error(label, f"is {path.stat().st_size} bytes, over the "
                                    f"{max_bytes}-byte limit.")
        data = path.read_bytes()
    if len(data) > max_bytes:
        raise _zip_error(label, f"is over the {max_bytes}-byte limit.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        if looks_like_pickle(data[:16]):
            raise pickle_error(Path(label)) from None
        raise CheckpointError(f"{label} is not a zip archive (or is truncated).") from None
    wanted = {}
    with archive:
        for info in archive.infolist():
            name = info.filename
            parts = name.rstrip("/").split("/")
            if (name.startswith(("/", "\\")) or "\\" in name or ":" in name
                    or any(p in ("", ".", "..") for p in parts)):
                raise _zip_error(label, f"entry {name!r} points outside the folder "
                                        "(absolute path or '..'); refused.")
            if (info.external_attr >> 16) & 0o170000 == 0o120000:
                raise _zip_error(label, f"entry {name!r} is a symbolic link; refused.")
            if info.flag_bits & 0x1:
                raise _zip_error(label, f"entry {name!r} is encrypted; refused.")
            if info.is_dir():
                if len(parts) > 1:
                    raise _zip_error(label, f"folder {name!r} is nested too deep.")
                continue
            if len(parts) > 2:
                raise _zip_error(label, f"entry {name!r} is nested too deep.")
            if parts[-1].lower().endswith(PICKLE_SUFFIXES):
                raise pickle_error(Path(f"{label}/{name}"))
            if parts[-1] not in (WEIGHTS, CARD) or parts[-1] in wanted:
                raise _zip_error(label, f"unexpected entry {name!r}.")
            wanted[parts[-1]] = info
        if len({i.filename.split("/")[0] for i in wanted.values() if "/" in i.filename}) > 1:
            raise _zip_error(label, "the files are in different folders.")
        if sum(i.file_size for i in wanted.values()) > max_bytes:
            raise _zip_error(label, f"unpacks to more than {max_bytes} bytes.")
        missing = [f for f in (WEIGHTS, CARD) if f not in wanted]
        if missing:
            raise _zip_error(label, f"{' and '.join(missing)} missing.")
        if wanted[CARD].file_size > MAX_CARD_BYTES:
            raise _zip_error(label, f"its {CARD} is {wanted[CARD].file_size:,} bytes; a card "
                                    f"is at most {MAX_CARD_BYTES:,}.")

        def write(out: Path) -> None:
            for fname, info in wanted.items():
                cap = MAX_CARD_BYTES if fname == CARD else max_bytes
                try:
                    with archive.open(info) as src:
                        blob = src.read(cap + 1)
                except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
                    raise CheckpointError(f"{label}: entry {info.filename!r} is corrupted "
                                          f"({exc}).") from None
                if len(blob) > cap:
                    raise _zip_error(label, f"unpacks to more than {cap:,} bytes.")
                (out / fname).write_bytes(blob)

        model, card = stage(extract_to, write)
    return model.to(device), card



def zip_folder(folder) -> bytes:
    """A checkpoint folder as zip bytes (``<folder name>/model.safetensors`` and
    ``card.json``): what `load_zip` reads back."""
    folder = Path(folder)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in (WEIGHTS, CARD):
            archive.write(folder / name, f"{folder.name}/{name}")
    return buf.getvalue()
