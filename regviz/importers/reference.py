"""References the imports are checked against: published numbers and an independent
forward pass.

* ``DOCUMENTED``: the DeepBind v0.11 tool's documented scores of its example sequences
  (rows seq1..seq4) for four database models; ``ORIGINAL_TOOL``: that tool's output with
  its default windows for the 38-nt rows 1-2. ``ENCODE``: the published ChIP-seq model of
  each ENCODE factor and the test-set AUROC noted for it.
* `numpy_keras_forward`: a float64 numpy forward pass of a Keras DeepSTARR-style HDF5
  file, read straight from its weights with Keras semantics (channels last), sharing no
  code with the torch model the importer builds.

Used by the importer tests and ``benchmarks/bench_importers.py``.
"""

from __future__ import annotations

import json

import h5py
import numpy as np

DOCUMENTED = {  # shared/data README table: rows seq1..seq4
    "D00210.001": [7.059108, -0.172609, -0.140683, -0.174985],
    "D00120.001": [-0.187212, 4.295672, 0.181295, -0.152521],
    "D00410.003": [-0.649447, 0.666795, 5.885349, -0.379695],
    "D00328.003": [-0.026180, -0.910773, -0.026180, 17.682623],
}

# the original tool's example output (DeepBind v0.11 README, default 1.5 x detector
# windows) for the 38-nt rows 1-2; rows 3-4 are shorter than every window
ORIGINAL_TOOL = {"D00210.001": [7.451420, -0.155398], "D00120.001": [-0.166146, 4.113817],
                 "D00410.003": [-0.408751, 0.516956], "D00328.003": [-0.026180, -0.248167]}
ENCODE = {"ELK1": ("D00360.007", 0.95), "FOXA1": ("D00761.001", 0.98),
          "GABPA": ("D00409.004", 0.98), "REST": ("D00799.001", 1.00),
          "USF1": ("D00700.006", 0.99)}


def numpy_keras_forward(path, X):
    """Reference forward pass in float64 numpy, straight from the h5 (Keras semantics).

    X is ``(n, 4, L)``; works on channels-last ``(n, L, C)`` as Keras does. Returns a
    list of (layer name, output) for every weighted layer, pooling and flatten.
    """
    with h5py.File(path, "r") as f:
        config = json.loads(f.attrs["model_config"])
        root = f["model_weights"]

        def w(name):
            g = root[name]
            names = [n.decode() if isinstance(n, bytes) else str(n)
                     for n in g.attrs["weight_names"]]
            return {n.split("/")[-1].split(":")[0]: g[n][()].astype(np.float64) for n in names}

        layers = config["config"]["layers"]
        outputs = [o[0] for o in config["config"]["output_layers"]]
        h = X.transpose(0, 2, 1).astype(np.float64)
        trace, heads = [], []
        for ly in layers[1:]:
            kind, c, name = ly["class_name"], ly["config"], ly["name"]
            if name in outputs:
                p = w(name)
                heads.append(h @ p["kernel"] + p["bias"])
                continue
            if kind == "Conv1D":
                p = w(name)
                k = p["kernel"].shape[0]
                if c["padding"] == "same":
                    h = np.pad(h, ((0, 0), ((k - 1) // 2, k - 1 - (k - 1) // 2), (0, 0)))
                length = h.shape[1] - k + 1
                h = sum(h[:, j:j + length, :] @ p["kernel"][j] for j in range(k)) + p["bias"]
            elif kind == "BatchNormalization":
                p = w(name)
                h = (h - p["moving_mean"]) / np.sqrt(p["moving_variance"] + c["epsilon"]) \
                    * p["gamma"] + p["beta"]
            elif kind == "Activation":
                h = np.maximum(h, 0)
            elif kind == "MaxPooling1D":
                s = c["pool_size"][0]
                n_out = h.shape[1] // s
                h = h[:, :n_out * s].reshape(h.shape[0], n_out, s, h.shape[2]).max(axis=2)
            elif kind == "Flatten":
                h = h.reshape(h.shape[0], -1)
            elif kind == "Dense":
                p = w(name)
                h = h @ p["kernel"] + p["bias"]
            else:
                continue
            trace.append((name, kind, h))
        return trace, np.concatenate(heads, axis=1)
