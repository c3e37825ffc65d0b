"""Recognise a published model file by its first bytes and import it as a checkpoint."""

from __future__ import annotations

from regviz.checkpoints.store import stage
from regviz.errors import ImportFormatError
from regviz.importers import deepbind, keras
from regviz.importers.common import describe_bytes, read_source

MAX_UPLOAD_BYTES = 200 * 2**20



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

    The checkpoint is written to a temporary folder and moved to ``folder`` only
    after it loads back (`regviz.checkpoints.store.stage`): a file that fails leaves
    nothing behind.

    Returns
    -------
    (model, card), as `regviz.checkpoints.load` gives them back (a DeepBind model reads
    any length, `regviz.checkpoints.store.reads_any_length`).
    """
    data, label = read_source(source, label, max_bytes)
    kind = detect_format(data, label)
    if kind == "deepbind":
        # keep a path so the importer can find db.tsv (protein names) beside params/
        src = source if not isinstance(source, (bytes, bytearray, memoryview)) and not \
            hasattr(source, "read") else data

        def write(tmp):
            deepbind.import_deepbind(src, tmp, input_length=input_length, label=label)
    else:
        src = source if not hasattr(source, "read") else data

        def write(tmp):
            keras.import_keras(src, tmp, config_json=config_json, label=label)
    return stage(folder, write)
