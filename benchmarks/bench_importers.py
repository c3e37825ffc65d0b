"""Importers of published models: speed and agreement with the original tools.

Prints four tables (needs the shared real files in ``../shared/data``):

1. import time per file (parse + build + save a checkpoint), median of 3, and its
   ratio to loading the written checkpoint back (``checkpoints.load``, same process);
2. DeepBind example scores vs the documented table (max abs diff per model), for
   the whole-input scan (the imported model) and the tool's windowed scan;
3. AUROC per TF on the ENCODE test sets vs the noted values;
4. Keras baseline.h5: max abs diff of the imported model vs a float64 numpy forward
   pass from the h5 weights, on the 10 Dev enhancers and 500 random sequences.

Run: ``.venv/bin/python benchmarks/bench_importers.py``
"""

from __future__ import annotations

import gzip
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from regviz import checkpoints, importers, sequence
from regviz.importers import deepbind as db
from regviz.importers.reference import DOCUMENTED, ENCODE, ORIGINAL_TOOL, numpy_keras_forward

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def timed(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def import_times(tmp: Path) -> None:
    files = sorted((DATA / "deepbind" / "params").glob("*.txt"))
    files.append(DATA / "deepstarr_keras" / "baseline.h5")
    print("\n1. Import time (parse + build + save), median of 3")
    print(f"{'file':<18}{'bytes':>10}{'import s':>10}{'load s':>9}{'ratio':>7}")
    for path in files:
        out = tmp / path.stem
        t_import = timed(lambda: importers.import_file(path, out))
        t_load = timed(lambda: checkpoints.load(out))
        print(f"{path.name:<18}{path.stat().st_size:>10,}{t_import:>10.3f}{t_load:>9.3f}"
              f"{t_import / t_load:>7.1f}")


def documented_scores() -> None:
    seqs = (DATA / "deepbind" / "example.seq").read_text().split()
    print("\n2. DeepBind example: max |ours - documented| (data README table)")
    print("   whole = the imported model (one full-sequence scan); tool = tool_scores (the "
          "DeepBind tool's 1.5 x detector windows);\n   orig. = the tool's own README output "
          "for rows 1-2 (38 nt, longer than every window)")
    print(f"{'model':<12}{'kind':<5}{'whole, all rows':>17}{'whole, rows 3-4':>17}"
          f"{'tool, rows 1-2':>16}{'tool, rows 3-4':>16}{'tool vs orig. 1-2':>19}")
    for model_id, doc in DOCUMENTED.items():
        params = db.read_params(DATA / "deepbind" / "params" / f"{model_id}.txt")
        whole = np.array([db.model_scores(db.build_model(params, len(s)), [s])[0]
                          for s in seqs])
        tool = db.tool_scores(params, seqs)
        doc = np.array(doc)
        kind = "DNA" if params.reverse_complement else "RNA"
        print(f"{model_id:<12}{kind:<5}{np.abs(whole - doc).max():>17.2e}"
              f"{np.abs(whole[2:] - doc[2:]).max():>17.2e}{np.abs(tool[:2] - doc[:2]).max():>16.2e}"
              f"{np.abs(tool[2:] - doc[2:]).max():>16.2e}"
              f"{np.abs(tool[:2] - ORIGINAL_TOOL[model_id]).max():>19.2e}")


def aurocs() -> None:
    print("\n3. ENCODE test sets (500 peaks + 500 shuffles): AUROC")
    print(f"{'TF':<7}{'model':<12}{'noted':>7}{'whole':>8}{'tool':>8}{'|whole-noted|':>15}")
    for tf, (model_id, noted) in ENCODE.items():
        path = next((DATA / "deepbind" / "encode_test").glob(f"{tf}_*_B.seq.gz"))
        with gzip.open(path, "rt") as handle:
            rows = [line.rstrip("\n").split("\t") for line in handle][1:]
        seqs, y = [r[2] for r in rows], np.array([int(r[3]) for r in rows])
        params = db.read_params(DATA / "deepbind" / "params" / f"{model_id}.txt")
        whole = roc_auc_score(y, db.model_scores(db.build_model(params, 101), seqs))
        tool = roc_auc_score(y, db.tool_scores(params, seqs))
        print(f"{tf:<7}{model_id:<12}{noted:>7.2f}{whole:>8.4f}{tool:>8.4f}"
              f"{abs(whole - noted):>15.4f}")


def keras_agreement(tmp: Path) -> None:
    path = DATA / "deepstarr_keras" / "baseline.h5"
    model, _ = importers.import_file(path, tmp / "keras")
    records = sequence.read_fasta(DATA / "deepstarr_keras" / "dev_enhancers_example.fa")
    sets = {"10 Dev enhancers": sequence.one_hot([r.sequence for r in records]),
            "500 random": sequence.one_hot(sequence.random_sequences(500, 249, seed=0))}
    print("\n4. Keras baseline.h5 vs numpy float64 forward pass from the h5 weights")
    print(f"{'inputs':<18}{'max |diff| Dev':>15}{'max |diff| Hk':>14}{'worst layer rel':>16}"
          f"{'min Dev':>9}")
    for label, X in sets.items():
        trace, ref = numpy_keras_forward(path, X)
        with torch.no_grad():
            out = model(torch.from_numpy(X)).numpy()
        diff = np.abs(out - ref).max(axis=0)
        # layer by layer: the last conv block and the dense layer, relative to their scale
        seen = {}
        hooks = [model.convs[-1].pool.register_forward_hook(
                     lambda m, a, o: seen.__setitem__("conv", o.transpose(1, 2).numpy())),
                 model.dense[-1].act.register_forward_hook(
                     lambda m, a, o: seen.__setitem__("dense", o.numpy()))]
        with torch.no_grad():
            model(torch.from_numpy(X))
        for h in hooks:
            h.remove()
        pools = [t for t in trace if t[1] == "MaxPooling1D"][-1][2]
        acts = [t for t in trace if t[1] == "Activation"][-1][2]
        rel = max(np.abs(seen["conv"] - pools).max() / np.abs(pools).max(),
                  np.abs(seen["dense"] - acts).max() / np.abs(acts).max())
        print(f"{label:<18}{diff[0]:>15.2e}{diff[1]:>14.2e}{rel:>16.2e}{out[:, 0].min():>9.3f}")


def main() -> None:
    if not (DATA / "deepbind").is_dir():
        sys.exit(f"shared data not found at {DATA}")
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as tmp:
        import_times(Path(tmp))
        documented_scores()
        aurocs()
        keras_agreement(Path(tmp))


if __name__ == "__main__":
    main()
