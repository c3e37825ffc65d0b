"""What several test files share: paths, shipped checkpoints, real data, toy models and
hand-written model files with known numbers.

Tests import it as ``from support import ...`` (``pythonpath = tests`` in pyproject.toml).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from regviz import sequence
from regviz.checkpoints import SHIPPED_ROOT
from regviz.models import build

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
# REGVIZ_TEST_CHECKPOINTS=/some/root runs the shipped-model tests on retrained checkpoints
# in /some/root/<name> (e.g. regviz-shipped --out /some/root)
CHECKPOINTS = Path(os.environ.get("REGVIZ_TEST_CHECKPOINTS") or SHIPPED_ROOT)
needs_shared_data = pytest.mark.skipif(
    not SHARED_DATA.is_dir(),
    reason=f"the shared real data ({SHARED_DATA}) is only present in the regviz workplace")


def shipped_checkpoint(name: str) -> Path:
    """Folder of a shipped checkpoint. Shipped checkpoints are part of the repository, so
    a missing one fails the test (it does not skip)."""
    folder = CHECKPOINTS / name
    if not (folder / "model.safetensors").is_file() or not (folder / "card.json").is_file():
        pytest.fail(f"shipped checkpoint {folder} is missing; it belongs to the repository "
                    f"(regviz-shipped --only {name} regenerates it).")
    return folder


def run_capped(code: str, mem_mb: int = 1500, timeout: float = 60):
    """Run ``code`` in a fresh Python whose address space is capped at ``mem_mb`` MB
    (importing regviz and torch needs about 1.2 GB of address space), so that a hostile
    input that makes regviz allocate too much fails the test instead of swapping.

    Returns the CompletedProcess (stdout and stderr as text); the cwd is the repository.
    """
    import resource
    import subprocess
    import sys

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (mem_mb * 2**20, mem_mb * 2**20))

    return subprocess.run([sys.executable, "-c", code], preexec_fn=cap, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})


def copy_checkpoint(name: str, root: Path) -> Path:
    """A copy of a shipped checkpoint under ``root`` (for tests that write next to it)."""
    target = Path(root) / name
    shutil.copytree(shipped_checkpoint(name), target)
    return target


# ------------------------------------------------------------------ Grad-CAM toy model

MOTIF = "GATAAGCTTATC"[:11] + "G"  # 12 bp, no self-overlap worth a random hit


def motif_model(length=4000, padding="same", pools=(4, 2, 1), widths=(12, 3, 5),
                motif=MOTIF):
    """A decode-shaped ConvNet whose every conv layer responds only to ``motif``.

    conv0: +1 at the motif's bases, -1 elsewhere, bias -(k - 1): 1 on an exact
    match, <= -1 otherwise (ReLU: 0). conv1/conv2: symmetric triangular kernels
    (they spread the match symmetrically, with one clear maximum). Head: global
    max; logit = 10 * max - 5.
    """
    torch.manual_seed(0)
    m = build("decode", length, 1, conv_filters=[1, 1, 1], conv_widths=list(widths),
              pools=list(pools), conv_dropout=[0.0] * 3, padding=padding, batchnorm=False,
              head="max", dense=[], dense_dropout=0.0).eval()
    onehot = torch.from_numpy(sequence.one_hot(motif)[0])
    with torch.no_grad():
        m.convs[0].conv.weight.copy_((2 * onehot - 1)[None])
        m.convs[0].conv.bias.fill_(-(len(motif) - 1))
        for block in m.convs[1:]:
            k = block.conv.weight.shape[-1]
            tri = 1 - np.abs(np.arange(k) - (k - 1) / 2) / ((k + 1) / 2)
            block.conv.weight.copy_(torch.tensor(tri, dtype=torch.float32)[None, None])
            block.conv.bias.zero_()
        m.out.weight.fill_(10.0)
        m.out.bias.fill_(-5.0)
    return m


def planted_peaks_fasta(path: Path, n: int, length: int, motif: str, name=None) -> Path:
    """A positives-only FASTA (label 1 in the header) of ``n`` random ``length``-bp peaks,
    each holding ``motif`` at a random place; ``name(k, rng)`` names peak k (default
    ``peak<k>``)."""
    rng = np.random.default_rng(0)
    lines = []
    for k in range(n):
        seq = "".join(rng.choice(list("ACGT"), length))
        at = int(rng.integers(0, length - len(motif)))
        label = name(k, rng) if name else f"peak{k}"
        lines.append(f">{label} 1\n{seq[:at] + motif + seq[at + len(motif):]}\n")
    path.write_text("".join(lines))
    return path


def plant(background: str, sites: dict) -> str:
    s = list(background)
    for pos, motif in sites.items():
        s[pos:pos + len(motif)] = motif
    return "".join(s)


def random_dna(n, seed):
    return sequence.random_sequences(1, n, gc=0.42, seed=seed)[0]



# ------------------------------------------------------------------ hand-written model files

# DeepBind parameter files (v0.11 text): 2 detectors of width 2, max + average pooling, no
# hidden layer, forward strand only (HAND_AVG); and a reverse-complement one (HAND_RC).
# Stored detector fastest, then base (A, C, G, T), then position:
#   detector 0: position 0 A=1;   position 1 C=2
#   detector 1: position 0 G=1;   position 1 A=C=G=T=0.5
# 2 detectors of width 2, max + average pooling, no hidden layer, forward strand only.
# Stored detector fastest, then base (A, C, G, T), then position:
#   detector 0: position 0 A=1;   position 1 C=2
#   detector 1: position 0 G=1;   position 1 A=C=G=T=0.5
HAND_AVG = """# deepbind 0.1
reverse_complement = 0
num_detectors = 2
detector_len = 2
has_avg_pooling = 1
num_hidden = 0
detectors = 1,0,0,0,0,1,0,0,0,0.5,2,0.5,0,0.5,0,0.5
thresholds = -1,-0.2
weights1 = 1,3,-2,6
biases1 = 0.5
weights2 = 0
biases2 = 0
"""


# "AC" padded with one N each side: windows NA, AC, CN.
#   detector 0: 0.25-1 -> 0, 1+2-1 = 2, 0.5-1 -> 0          max 2,    mean 2/3
#   detector 1: 0.25+0.5-0.2 = 0.55, 0.3, 0.25*2-0.2 = 0.3  max 0.55, mean 1.15/3
#   score = 0.5 + 1*2 + 3*(2/3) - 2*0.55 + 6*(1.15/3) = 5.7
HAND_AVG_SCORE = 0.5 + 2 + 3 * (2 / 3) - 2 * 0.55 + 6 * (1.15 / 3)


# 1 detector of width 1 (A=1, T=2), hidden layer of 2, both strands.
# h = relu([x, 1 - x]) (weights1[i*2 + j]), score = 0.5 + 2 h0 + 3 h1
HAND_RC = """# deepbind 0.1
reverse_complement = 1
num_detectors = 1
detector_len = 1
has_avg_pooling = 0
num_hidden = 2
detectors = 1,0,0,2
thresholds = 0
weights1 = 1,-1
biases1 = 0,1
weights2 = 2,3
biases2 = 0.5
"""


def _inbound(name):
    return [[[name, 0, 0, {}]]] if name else []


def keras_config(chain, heads, length, channels=4):
    """A Keras 2 Functional model_config for ``chain`` [(class, name, config)] + heads."""
    layers = [{"class_name": "InputLayer", "name": "input_1", "inbound_nodes": [],
               "config": {"batch_input_shape": [None, length, channels], "name": "input_1"}}]
    prev = "input_1"
    for kind, name, cfg in chain:
        layers.append({"class_name": kind, "name": name, "config": {"name": name, **cfg},
                       "inbound_nodes": _inbound(prev)})
        prev = name
    for name, units, act in heads:
        layers.append({"class_name": "Dense", "name": name, "inbound_nodes": _inbound(prev),
                       "config": {"name": name, "units": units, "activation": act,
                                  "use_bias": True}})
    return {"class_name": "Functional",
            "config": {"name": "model", "layers": layers,
                       "input_layers": [["input_1", 0, 0]],
                       "output_layers": [[h[0], 0, 0] for h in heads]}}


def write_keras_h5(path, config, weights, weights_only=False):
    """Keras 2 HDF5 layout: model_config attr, model_weights/<layer>/<layer>/<w>:0."""
    with h5py.File(path, "w") as f:
        root = f
        if not weights_only:
            f.attrs["model_config"] = json.dumps(config)
            f.attrs["keras_version"] = "2.15.0"
            root = f.create_group("model_weights")
        names = [ly["name"] for ly in config["config"]["layers"]]
        root.attrs["layer_names"] = np.array([n.encode() for n in names])
        for name in names:
            group = root.create_group(name)
            items = weights.get(name, {})
            group.attrs["weight_names"] = np.array([f"{name}/{k}:0".encode() for k in items])
            for key, arr in items.items():
                group[f"{name}/{key}:0"] = np.asarray(arr, dtype=np.float32)


CONV = dict(kernel_size=[1], strides=[1], padding="valid", dilation_rate=[1], groups=1,
            activation="linear", use_bias=True, data_format="channels_last")


BN = dict(axis=[2], momentum=0.99, epsilon=0.001, center=True, scale=True)


def hand_keras(tmp_path, **kw):
    """Input (4, 4) -> Conv1D(2, 1) -> BN -> ReLU -> MaxPool(2) -> Flatten -> Dev, Hk."""
    chain = [("Conv1D", "Conv1D_1", dict(CONV, filters=2)),
             ("BatchNormalization", "bn_1", BN),
             ("Activation", "act_1", {"activation": "relu"}),
             ("MaxPooling1D", "pool_1", dict(pool_size=[2], strides=[2], padding="valid")),
             ("Dropout", "drop_1", {"rate": 0.4}),
             ("Flatten", "flatten", {})]
    config = keras_config(chain, [("Dense_Dev", 1, "linear"), ("Dense_Hk", 1, "linear")], 4)
    weights = {
        # kernel (width 1, in 4, out 2): filter 0 = A1 C2 G3 T4, filter 1 = T10
        "Conv1D_1": {"kernel": np.array([[[1, 0], [2, 0], [3, 0], [4, 10]]]),
                     "bias": np.zeros(2)},
        # sqrt(var + eps) = 1 and 2 exactly with Keras' eps 1e-3
        "bn_1": {"gamma": np.ones(2), "beta": np.zeros(2), "moving_mean": np.zeros(2),
                 "moving_variance": np.array([1 - 1e-3, 4 - 1e-3])},
        "Dense_Dev": {"kernel": np.array([[1], [10], [100], [1000]]), "bias": [0.5]},
        "Dense_Hk": {"kernel": np.ones((4, 1)), "bias": [-1.0]},
    }
    path = tmp_path / "hand.h5"
    write_keras_h5(path, config, weights, **kw)
    return path, config


def click_if_asked(at, key: str):
    """Click the run button ``key`` of `regviz.ui.widgets.run_when_asked` on an AppTest
    page when it shows (whether it does depends on this machine's speed); return the page."""
    if any(b.key == key for b in at.button):
        at.button(key=key).click().run()
    return at


@contextlib.contextmanager
def deadline(seconds=10):
    """Stop a runaway parse (a backtracking regex) with TimeoutError instead of hanging."""
    def stop(*_):
        raise TimeoutError(f"still parsing after {seconds} s")
    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def timed(read, *args, **kwargs):
    """Seconds ``read(*args, **kwargs)`` took (under a `deadline`) and what it raised."""
    with deadline():
        start = time.perf_counter()
        try:
            read(*args, **kwargs)
            error = None
        except Exception as exc:  # noqa: BLE001 - the caller checks what it was
            error = exc
        return time.perf_counter() - start, error
