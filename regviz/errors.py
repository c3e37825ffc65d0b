"""Exception and warning classes with messages a biologist can act on.

Every error raised for bad user input derives from `RegvizError` and from the
matching builtin (ValueError, FileNotFoundError, TypeError), so callers can
catch either. Messages say what was wrong, where (record name, 1-based
position), and what is allowed.
"""

import warnings

import numpy as np


class RegvizError(Exception):
    """Base class of every regviz input error (catch this in the app)."""


class SequenceError(RegvizError, ValueError):
    """A sequence has characters, lengths or structure that cannot be used."""


class InputFormatError(RegvizError, ValueError):
    """Pasted text or an uploaded file is not in a readable format."""


class RegionError(RegvizError, ValueError):
    """A genomic region string or BED line is malformed or out of range."""


class GenomeFileError(RegvizError, FileNotFoundError):
    """A genome FASTA is missing or cannot be opened or indexed."""


class MotifNotFoundError(RegvizError, ValueError):
    """No JASPAR motif matches the requested name or matrix ID."""


class MotifError(RegvizError, ValueError):
    """A motif matrix has the wrong shape or values."""


class ModelConfigError(RegvizError, ValueError):
    """A model cannot be built with the requested settings."""


class DataFormatError(RegvizError, ValueError):
    """A user dataset (FASTA+labels, CSV/TSV, BED) is malformed."""


class CheckpointError(RegvizError, ValueError):
    """A checkpoint folder or file is corrupted, foreign or incompatible."""


class RegvizWarning(UserWarning):
    """Input was usable but changed on the way in (the message says how)."""


class ImportFormatError(CheckpointError):
    """A published-model file (DeepBind parameters, Keras HDF5) is foreign, truncated or
    malformed, or uses layers regviz cannot rebuild."""


class AttributionError(RegvizError, ValueError):
    """An attribution or mutagenesis method cannot run with these inputs or this model."""


class ExperimentError(RegvizError, ValueError):
    """An in-silico motif experiment cannot be run with the requested settings."""


def warn_if_not_finite(values, what: str):
    """Warn (RegvizWarning) when ``values`` hold NaN or infinities, saying how many and
    the likely cause; returns ``values`` unchanged. Used on every model output and track a
    user sees, so that a broken model never shows silent NaN."""
    arr = np.asarray(values)
    if arr.dtype.kind in "fc" and arr.size and not np.isfinite(arr).all():
        bad = int((~np.isfinite(arr)).sum())
        warnings.warn(f"{what}: {bad:,} of {arr.size:,} values are not finite (NaN or "
                      "infinite). The model's weights are probably too large for these "
                      "inputs (an exploded training run or a damaged import); its numbers "
                      "cannot be trusted.", RegvizWarning, stacklevel=3)
    return values
