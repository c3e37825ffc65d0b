"""Import published models into regviz checkpoints (nothing in a file is executed).

>>> from regviz import importers
>>> model, card = importers.import_file("D00328.003.txt", "checkpoints/ctcf")   # DeepBind
>>> model, card = importers.import_file("baseline.h5", "checkpoints/starr")     # Keras
>>> regviz.checkpoints.load("checkpoints/ctcf")       # a normal checkpoint folder

Formats:

* DeepBind database parameter files (``# deepbind 0.1`` text) -> the `deepbind`
  zoo model (`regviz.importers.deepbind`);
* Keras HDF5 (``.h5``) DeepSTARR-style CNNs -> the `deepstarr` zoo model
  (`regviz.importers.keras`).

Every import writes ``model.safetensors`` + ``card.json``; the card's ``source``
names the file, its format and citation. Foreign, truncated and malformed files
raise `regviz.errors.ImportFormatError` (a CheckpointError) naming the file and
what was found.
"""

from __future__ import annotations

from regviz.errors import ImportFormatError

from . import deepbind, keras
from .common import describe_bytes, read_source

MAX_UPLOAD_BYTES = 200 * 2**20

__all__ = ["ImportFormatError", "deepbind", "keras", "detect_format", "import_file",
           "MAX_UPLOAD_BYTES"]


def detect_format(data: bytes, label: str = "file") -> str:
    """"deepbind" or "keras" from a file's first bytes; ImportFormatError otherwise."""
    if data.startswith(keras.HDF5_MAGIC):
        return "keras"
    if data.lstrip()[:10].lower().replace(b" ", b"").startswith(b"#deepbind"):
        return "deepbind"
    raise ImportFormatError(
        f"{label}: not a supported model file. regviz imports DeepBind parameter files "
        f"(text starting '# deepbind 0.1') and Keras HDF5 models (.h5). Found "
        f"{describe_bytes(data)} instead.")


def import_file(source, folder, label: str | None = None, input_length: int = 101,
                config_json=None, max_bytes: int = MAX_UPLOAD_BYTES):
    """Import a DeepBind or Keras file (path, bytes or upload) into checkpoint ``folder``.

    Parameters
    ----------
    source : path, bytes or binary file object
    folder : str or Path
        Receives model.safetensors and card.json.
    label : str, optional
        File name for messages and the card.
    input_length : int
        DeepBind only: the sequence length to build the model for (Keras models
        have their length in the file).
    config_json : optional
        Keras only: architecture JSON for a weights-only ``.h5``.
    max_bytes : int
        Largest accepted file (default 200 MiB).

    Returns
    -------
    (model, card)
    """
    data, label = read_source(source, label, max_bytes)
    kind = detect_format(data, label)
    if kind == "deepbind":
        # keep a path so the importer can find db.tsv (protein names) beside params/
        src = source if not isinstance(source, (bytes, bytearray, memoryview)) and not \
            hasattr(source, "read") else data
        return deepbind.import_deepbind(src, folder, input_length=input_length, label=label)
    src = source if not hasattr(source, "read") else data
    return keras.import_keras(src, folder, config_json=config_json, label=label)
