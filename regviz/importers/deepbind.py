"""DeepBind database models (``D00328.003.txt``, "# deepbind 0.1" text format) -> regviz.

The DeepBind database (Alipanahi et al. 2015) ships each model as a text file of
``key = value`` lines: five integers (reverse_complement, num_detectors,
detector_len, has_avg_pooling, num_hidden) and six comma-separated float lists.
Facts of the format, from the original tool's ``deepbind.cpp``:

* ``detectors`` index = detector + num_detectors * (base + 4 * position): detector
  fastest, then base (A, C, G, T/U), then position;
* a sequence of n bases is padded with ``detector_len - 1`` N's (0.25 of each base)
  on both ends; each detector's feature map (n + detector_len - 1 positions) is the
  convolution *plus* ``thresholds[k]`` (the stored value is added; it is usually
  negative), then rectified;
* max pooling, or max and average pooling interleaved per detector
  ``[max0, avg0, max1, avg1, ...]``;
* ``weights1[i * h2 + j]`` connects pooled feature i to unit j (h2 = num_hidden,
  or 1 without a hidden layer, when that unit is the score); with a hidden layer
  the score is ``biases2 + weights2 . relu(hidden)``;
* models with ``reverse_complement = 1`` score max(forward, reverse complement);
* the tool scans inputs longer than ``window_size`` (default
  ``int(1.5 * detector_len)``) as the max over all windows of that size
  (`tool_scores` reproduces this; the imported model scores the whole input in
  one pass, which is the same for inputs up to the window size).

The imported model (`regviz.models.deepbind.AnyLengthDeepBind`) reads inputs of any
length >= 1, whatever length it was built for, as the tool does; its card's ``source``
says so (``any_length: true``), so `regviz.checkpoints.load` gives it back length-free.

Parsing reads numbers only (``int``/``float`` of each field); nothing is executed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from regviz import checkpoints, models, sequence
from regviz.errors import ImportFormatError, ModelConfigError
from regviz.limits import MAX_INPUT_LENGTH, MAX_PARAMETERS
from regviz.models.citations import ALIPANAHI
from regviz.models.deepbind import any_length

from .common import card_for, describe_bytes, read_source

MAX_BYTES = 8 * 2**20
#: lines of one file (the format has 12, plus comments)
MAX_LINES = 1000
INT_FIELDS = ("reverse_complement", "num_detectors", "detector_len", "has_avg_pooling",
              "num_hidden")
#: the largest value of each size (far above the DeepBind database's models)
INT_LIMITS = {"reverse_complement": 1, "num_detectors": 4096, "detector_len": 1000,
              "has_avg_pooling": 1, "num_hidden": 4096}
FLOAT_FIELDS = ("detectors", "thresholds", "weights1", "biases1", "weights2", "biases2")
FORMAT = "DeepBind parameter file ('# deepbind 0.1' text, DeepBind database v0.11)"
_ID = re.compile(r"D\d{5}\.\d{3}")


@dataclass
class DeepBindParams:
    """A parsed DeepBind model, arrays already in regviz (PyTorch) layouts.

    Attributes
    ----------
    label : str
        The file (name or path) the parameters came from.
    model_id : str or None
        DeepBind ID such as "D00328.003" when the file name carries one.
    reverse_complement, has_avg_pooling : bool
    num_detectors, detector_len, num_hidden : int
    detectors : np.ndarray
        ``(num_detectors, 4, detector_len)`` float32, ACGT rows (conv weight).
    thresholds : np.ndarray
        ``(num_detectors,)``, added to each feature map (conv bias).
    weights1 : np.ndarray
        ``(n_pooled, h2)`` with n_pooled = num_detectors (x2 with average pooling)
        and h2 = num_hidden or 1.
    biases1 : np.ndarray
        ``(h2,)``.
    weights2, biases2 : np.ndarray
        ``(num_hidden,)`` and ``(1,)``; empty without a hidden layer.
    sha256 : str
        Hash of the file's bytes.
    """

    label: str
    model_id: str | None
    reverse_complement: bool
    num_detectors: int
    detector_len: int
    has_avg_pooling: bool
    num_hidden: int
    detectors: np.ndarray
    thresholds: np.ndarray
    weights1: np.ndarray
    biases1: np.ndarray
    weights2: np.ndarray
    biases2: np.ndarray
    sha256: str

    @property
    def window_size(self) -> int:
        """The DeepBind tool's default scanning window, ``int(1.5 * detector_len)``."""
        return int(self.detector_len * 1.5)


def _bad(label: str, problem: str) -> ImportFormatError:
    return ImportFormatError(f"{label}: {problem}")


def _expected_counts(ints: dict) -> dict:
    d, m, nh = ints["num_detectors"], ints["detector_len"], ints["num_hidden"]
    h1 = d * (2 if ints["has_avg_pooling"] else 1)
    h2 = nh or 1
    return {"detectors": d * m * 4, "thresholds": d, "weights1": h1 * h2, "biases1": h2,
            "weights2": nh, "biases2": 1 if nh else 0}


def parse_params(data: bytes, label: str = "DeepBind file") -> DeepBindParams:
    """Parse the bytes of a DeepBind parameter file.

    Parameters
    ----------
    data : bytes
        The file's content.
    label : str
        File name used in messages and on the card.

    Raises
    ------
    ImportFormatError
        Not a text file, no "# deepbind 0.1" first line, a missing, repeated or
        unknown field, a value that is not a number, NaN/infinite values, or a
        list whose length does not fit the model's sizes (e.g. a truncated file).
    """
    if len(data) > MAX_BYTES:
        raise _bad(label, f"is {len(data):,} bytes; DeepBind parameter files are under "
                          f"{MAX_BYTES // 2**20} MB.")
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise _bad(label, f"is not a DeepBind parameter file (plain text starting with "
                          f"'# deepbind 0.1'). Found {describe_bytes(data)} instead.") from None
    n_lines = sum(text.count(end) for end in "\n\r\v\f\x1c\x1d\x1e") - text.count("\r\n")
    if n_lines > MAX_LINES:
        raise _bad(label, f"has {n_lines:,} lines; a DeepBind parameter file has 12 fields, "
                          f"one per line (at most {MAX_LINES:,} lines with comments).")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    head = re.fullmatch(r"#\s*deepbind\s+(\d+)\.(\d+)", lines[0]) if lines else None
    if head is None:
        raise _bad(label, f"is not a DeepBind parameter file: the first line must be "
                          f"'# deepbind 0.1'. Found {describe_bytes(data)} instead.")
    if head.groups() != ("0", "1"):
        raise _bad(label, f"is for deepbind {head[1]}.{head[2]}; regviz reads the 0.1 "
                          f"format (DeepBind database v0.11).")
    raw: dict[str, str] = {}
    for number, line in enumerate(lines[1:], start=2):
        if line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or key not in INT_FIELDS + FLOAT_FIELDS:
            shown = line if len(line) <= 60 else line[:57] + "..."
            raise _bad(label, f"line {number} ({shown!r}) is not one of the DeepBind fields "
                              f"{', '.join(INT_FIELDS + FLOAT_FIELDS)} written as 'name = "
                              f"value'.")
        if key in raw:
            raise _bad(label, f"field {key!r} appears twice (again on line {number}).")
        raw[key] = value.strip()
    ints = {}
    for key in INT_FIELDS:
        if key not in raw:
            raise _bad(label, f"missing field {key!r}; the file is truncated or not a "
                              f"DeepBind 0.1 file.")
        if not re.fullmatch(r"\d+", raw[key]):
            raise _bad(label, f"{key} must be a whole number >= 0. Got {raw[key][:30]!r} "
                              f"instead.")
        digits, top = raw[key].lstrip("0") or "0", INT_LIMITS[key]
        low = 1 if key in ("num_detectors", "detector_len") else 0
        # length first: int() of a 5000-digit text raises ValueError
        if len(digits) > 9 or not low <= int(digits) <= top:
            allowed = "0 or 1" if top == 1 else f"between 1 and {top}" if low else \
                f"at most {top}"
            got = digits if len(digits) <= 12 else f"a {len(digits):,}-digit number"
            raise _bad(label, f"{key} must be {allowed}. Got {got} instead.")
        ints[key] = int(digits)
    need = _expected_counts(ints)
    if sum(need.values()) > MAX_PARAMETERS:
        raise _bad(label, f"a model with {_sizes(ints)} has {sum(need.values()):,} parameters, "
                          f"over the {MAX_PARAMETERS:,} allowed here (REGVIZ_MAX_PARAMETERS).")
    values = {}
    for key in FLOAT_FIELDS:
        if need[key] == 0:  # no hidden layer: the tool skips these lines
            continue
        if key not in raw:
            raise _bad(label, f"missing field {key!r}; the file is truncated or not a "
                              f"DeepBind 0.1 file.")
        values[key] = _floats(raw[key], key, need[key], ints, label)
    d, m, nh = ints["num_detectors"], ints["detector_len"], ints["num_hidden"]
    stem = Path(label).name
    found = _ID.search(stem)
    return DeepBindParams(
        label=label, model_id=found.group(0) if found else None,
        reverse_complement=bool(ints["reverse_complement"]), num_detectors=d,
        detector_len=m, has_avg_pooling=bool(ints["has_avg_pooling"]), num_hidden=nh,
        # stored (position, base, detector), detector fastest -> conv (detector, base, pos)
        detectors=values["detectors"].reshape(m, 4, d).transpose(2, 1, 0).copy(),
        thresholds=values["thresholds"],
        weights1=values["weights1"].reshape(-1, nh or 1),
        biases1=values["biases1"],
        weights2=values.get("weights2", np.zeros(0, np.float32)),
        biases2=values.get("biases2", np.zeros(0, np.float32)),
        sha256=hashlib.sha256(data).hexdigest())


def _sizes(ints: dict) -> str:
    return (f"{ints['num_detectors']} detectors of length {ints['detector_len']}, "
            f"has_avg_pooling={ints['has_avg_pooling']}, num_hidden={ints['num_hidden']}")


def _floats(text: str, key: str, count: int, ints: dict, label: str) -> np.ndarray:
    found = text.count(",") + 1             # counted before anything is split or allocated
    if found != count:
        raise _bad(label, f"{key} has {found} value(s) but a model with {_sizes(ints)} needs "
                          f"{count}; the file is truncated or malformed.")
    parts = text.split(",")
    try:
        out = np.array([float(p) for p in parts], dtype=np.float32)
    except ValueError:
        bad = next(p for p in parts if not _is_float(p))
        raise _bad(label, f"{key} must hold comma-separated numbers. Got {bad.strip()[:30]!r} "
                          f"instead.") from None
    if not np.isfinite(out).all():
        raise _bad(label, f"{key} holds NaN or infinite values; the file is corrupted.")
    return out


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_params(source, label: str | None = None) -> DeepBindParams:
    """`parse_params` of a path, bytes or binary file object (e.g. a Streamlit upload)."""
    data, label = read_source(source, label, MAX_BYTES)
    return parse_params(data, label)


def build_model(params: DeepBindParams, input_length: int = 101, rc_max: bool | None = None):
    """The regviz `deepbind` model holding ``params``' weights, in eval mode.

    Parameters
    ----------
    params : DeepBindParams
    input_length : int
        The model's nominal length (its card's, the app's); it reads inputs
        ``(n, 4, L)`` of any length L >= 1, because DeepBind pads with N's.
    rc_max : bool, optional
        Score both strands and keep the larger (default: the file's
        ``reverse_complement``).

    Returns
    -------
    AnyLengthDeepBind
        A `regviz.models.deepbind.DeepBind`; output ``(n, 1)``: the DeepBind score of
        the whole input.
    """
    rc = params.reverse_complement if rc_max is None else bool(rc_max)
    if (isinstance(input_length, bool) or not isinstance(input_length, (int, np.integer))
            or not 1 <= input_length <= MAX_INPUT_LENGTH):
        raise ModelConfigError(f"deepbind: input_length must be a whole number from 1 to "
                               f"{MAX_INPUT_LENGTH:,} (REGVIZ_MAX_INPUT_LENGTH). Got "
                               f"{input_length!r} instead.")
    model = models.build("deepbind", input_length, 1, preset="paper", output_kind="regression",
                         n_filters=params.num_detectors, filter_width=params.detector_len,
                         avg_pool=params.has_avg_pooling, hidden=params.num_hidden,
                         pad_n=True, dropout=0.0, rc_max=rc)
    model = any_length(model)
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))  # noqa: E731
    with torch.no_grad():
        model.conv.weight.copy_(t(params.detectors))
        model.conv.bias.copy_(t(params.thresholds))
        if params.num_hidden:
            model.hidden.weight.copy_(t(params.weights1.T))
            model.hidden.bias.copy_(t(params.biases1))
            model.out.weight.copy_(t(params.weights2[None, :]))
            model.out.bias.copy_(t(params.biases2))
        else:
            model.out.weight.copy_(t(params.weights1.T))
            model.out.bias.copy_(t(params.biases1))
    return model.eval()


def _encode(seqs) -> list[str]:
    """Upper-case, RNA 'U' read as 'T' (DeepBind's base table does the same)."""
    return [s.upper().replace("U", "T") for s in seqs]


def tool_scores(params: DeepBindParams, seqs, window_size: int = 0,
                average: bool = False) -> np.ndarray:
    """Scores exactly as the DeepBind command-line tool computes them.

    Inputs up to ``window_size`` are scored whole; longer ones are the max (or,
    with ``average``, the sum divided by the length, as the tool does) over every
    window of ``window_size`` bases. Models with reverse_complement = 1 take the
    larger of the two strands' scores.

    Parameters
    ----------
    params : DeepBindParams
    seqs : list of str
        DNA or RNA (U is read as T); A, C, G, T/U, N, any case.
    window_size : int
        0 (default) = the tool's default, ``int(1.5 * detector_len)``.
    average : bool
        The tool's ``--average`` flag.

    Returns
    -------
    np.ndarray
        ``(n,)`` float32 scores.
    """
    seqs = _encode(seqs)
    window = window_size if window_size >= 1 else params.window_size
    strands = [seqs]
    if params.reverse_complement:
        strands.append([sequence.reverse_complement(s) for s in seqs])
    model = build_model(params, 1, rc_max=False)        # reads any length

    def run(batch: list[str]) -> np.ndarray:
        with torch.no_grad():
            return model(torch.from_numpy(sequence.one_hot(batch)))[:, 0].numpy()

    per_strand = []
    for strand in strands:
        scores = np.empty(len(strand), dtype=np.float32)
        for i, s in enumerate(strand):
            if len(s) <= window:
                scores[i] = run([s])[0]
            else:
                windows = run([s[j:j + window] for j in range(len(s) - window + 1)])
                scores[i] = windows.sum() / len(s) if average else windows.max()
        per_strand.append(scores)
    return np.max(per_strand, axis=0)


def model_scores(model, seqs, batch_size: int = 512) -> np.ndarray:
    """Whole-input scores ``(n,)`` of an imported model on ``seqs``, any lengths >= 1
    (batched by length; a DeepBind that pads with N's but was built for one length,
    e.g. a trained one, is made length-free with `any_length`)."""
    seqs = _encode(seqs)
    model = any_length(model)
    device = next(model.parameters()).device
    out = np.zeros(len(seqs), np.float32)
    by_length: dict[int, list[int]] = {}
    for i, s in enumerate(seqs):
        by_length.setdefault(len(s), []).append(i)
    with torch.no_grad():
        for rows in by_length.values():
            for k in range(0, len(rows), batch_size):
                part = rows[k:k + batch_size]
                x = torch.from_numpy(sequence.one_hot([seqs[i] for i in part])).to(device)
                out[part] = model(x)[:, 0].float().cpu().numpy()
    return out


def database_info(path, model_id: str | None) -> dict:
    """The DeepBind database row (``db.tsv`` next to ``params/``) for ``model_id``, or {}."""
    if not model_id or path is None:
        return {}
    path = Path(path)
    for folder in (path.parent, path.parent.parent):
        table = folder / "db.tsv"
        if not table.is_file():
            continue
        header = None
        for line in table.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("#") or not line.strip():
                continue
            cells = line.split("\t")
            if header is None:
                header = cells
            elif cells[0] == model_id:
                return {k: v for k, v in zip(header, cells) if v}
    return {}


def import_deepbind(source, folder, input_length: int = 101, label: str | None = None,
                    name: str | None = None):
    """Read a DeepBind parameter file, build the model and save a checkpoint folder.

    Parameters
    ----------
    source : path, bytes or binary file object
    folder : str or Path
        Where the checkpoint (model.safetensors + card.json) is written.
    input_length : int
        The card's (and the app's) input length (default 101, the ENCODE ChIP-seq
        peak width DeepBind used); the returned model reads any length >= 1.
    label : str, optional
        File name for messages and the card (default: the path's name).
    name : str, optional
        Card name (default ``deepbind_<ID>_<protein>``).

    Returns
    -------
    (model, card)
    """
    params = read_params(source, label)
    info = database_info(source if isinstance(source, (str, Path)) else None, params.model_id)
    model = build_model(params, input_length)
    protein = info.get("Protein")
    what = f"{protein} " if protein else ""
    kind = {"RBP": "RNA", "TF": "DNA"}.get(info.get("Type"), "DNA or RNA")
    task = f"{protein or params.model_id or 'DeepBind'} binding score"
    strands = ("max of both strands (reverse_complement = 1)" if params.reverse_complement
               else "forward strand only (reverse_complement = 0)")
    read = (f"DeepBind {what}binding score of the whole input ({strands}): higher means "
            f"stronger predicted binding; it is not a probability and its scale differs "
            f"between models, so compare sequences within one model")
    read += (f". It scans the whole input in one pass; the original DeepBind tool scores "
             f"inputs longer than {params.window_size} bases as the max over "
             f"{params.window_size}-base windows, so scores of longer inputs can differ from "
             f"the tool's (regviz.importers.deepbind.tool_scores gives the tool's windowed "
             f"score)")
    extra = {k: info[k] for k in ("Protein", "Type", "Species", "Family", "Experiment",
                                  "Experiment Details", "Cite") if k in info}
    source_block = {"file": params.label, "format": FORMAT, "citation": str(ALIPANAHI),
                    "model_id": params.model_id, "sha256": params.sha256,
                    "database": extra or None, "any_length": True}
    card = card_for(model, name or "_".join(p for p in ("deepbind", params.model_id, protein)
                                            if p),
                    [task], read, source_block,
                    encoding=(f"one-hot (n, 4, L) float32, ACGT order ({kind}; RNA U is read "
                              f"as T), N = 0.25; the model pads {params.detector_len - 1} N's "
                              f"on each end as DeepBind does, so it reads any length L >= 1 "
                              f"(the app uses the {input_length} bp it was imported for; "
                              f"regviz.importers.deepbind.model_scores scores any lengths)"))
    checkpoints.save(model, card, folder)
    return model, card
