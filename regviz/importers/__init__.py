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

from regviz.errors import ImportFormatError
from regviz.importers import deepbind, keras, reference
from regviz.importers.dispatch import MAX_UPLOAD_BYTES, detect_format, import_file

__all__ = ["ImportFormatError", "MAX_UPLOAD_BYTES", "deepbind", "detect_format", "import_file",
           "keras", "reference"]
