"""A training job on several processes (torchrun + DDP), run from the app in a subprocess.

`run_job_in_group(spec, processes, stop)` writes the job into a private temporary folder
(``job.json``, and ``data.npz`` for a `Dataset` the user gave: arrays only, read back
without pickle), starts ``python -m torch.distributed.run ... -m
regviz.training.group_job -- job.json`` in its own process group, and yields the
`ProgressReport` lines rank 0 appends to ``progress.jsonl`` (every 0.5 s, as
``regviz-train --progress-log``). Setting ``stop`` terminates the whole process group
(a "cancelled" report; nothing is saved); a process that fails raises `TrainingFailed`
with torchrun's account of which rank ended how.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from regviz import distributed
from regviz.data.dataset import Dataset
from regviz.training.config import TrainConfig
from regviz.training.jobs import JobSpec, run_job
from regviz.training.loop import ProgressReport, TrainingFailed

POLL_S = 0.5


class ProgressLog:
    """Appends ProgressReports to ``path`` as JSON lines: every report but "train", and a
    "train" report at most every `POLL_S` seconds (what `run_job_in_group` reads)."""

    def __init__(self, path):
        self.path, self.last_train = path, 0.0

    def write(self, rep: ProgressReport) -> None:
        if rep.phase == "train":
            if time.monotonic() - self.last_train <= POLL_S:
                return
            self.last_train = time.monotonic()
        with open(self.path, "a") as f:
            f.write(json.dumps(rep.to_dict(), default=str) + "\n")


def write_job(spec: JobSpec, folder: Path, root=None) -> Path:
    """``folder/job.json`` (+ ``data.npz`` for a Dataset); returns the JSON's path."""
    fields = {f.name: getattr(spec, f.name) for f in dataclasses.fields(JobSpec)
              if f.name not in ("dataset", "config")}
    job = {**fields, "out": str(spec.out) if spec.out else None,
           "config": spec.config.to_dict(), "root": str(root) if root else None}
    if isinstance(spec.dataset, Dataset):
        d = spec.dataset
        np.savez(folder / "data.npz", seqs=np.array(d.seqs, dtype=str), y=d.y,
                 **{f"split_{k}": np.asarray(v) for k, v in d.splits.items()},
                 **({"tracks": d.tracks} if d.tracks is not None else {}))
        job["dataset"] = {"name": d.name, "task_names": list(d.task_names),
                          "task_kind": d.task_kind, "track_names": list(d.track_names),
                          "grammar": d.grammar, "meta": d.meta,
                          "annotations": d.annotations.to_dict(orient="list")}
    else:
        job["dataset"] = str(spec.dataset)
    path = folder / "job.json"
    path.write_text(json.dumps(job, default=lambda o: o.tolist() if hasattr(o, "tolist")
                               else str(o)))
    return path


def read_job(path) -> tuple[JobSpec, str | None]:
    """The JobSpec and runs root of a `write_job` folder."""
    path = Path(path)
    job = json.loads(path.read_text())
    data = job.pop("dataset")
    if isinstance(data, dict):
        with np.load(path.parent / "data.npz", allow_pickle=False) as arrays:
            data = Dataset(
                name=data["name"], seqs=arrays["seqs"].tolist(), y=arrays["y"],
                task_names=data["task_names"], task_kind=data["task_kind"],
                splits={k[6:]: arrays[k] for k in arrays.files if k.startswith("split_")},
                annotations=pd.DataFrame(data["annotations"]), grammar=data["grammar"],
                tracks=arrays["tracks"] if "tracks" in arrays.files else None,
                track_names=data["track_names"], meta=data["meta"])
    root = job.pop("root")
    config = TrainConfig(**job.pop("config"))
    return JobSpec(dataset=data, config=config, **job), root


def run_job_in_group(spec: JobSpec, processes: int, stop: threading.Event | None = None,
                     root=None):
    """`regviz.training.run_job` on ``processes`` processes of this machine (module
    docstring); yields its ProgressReports, the last "done" (with the checkpoint) or
    "cancelled"."""
    with tempfile.TemporaryDirectory(prefix="regviz-group-job-") as tmp:
        folder = Path(tmp)
        job = write_job(spec, folder, root)
        log, errors = folder / "progress.jsonl", folder / "stderr.txt"
        env = {**os.environ, "REGVIZ_PROGRESS_LOG": str(log)}
        with open(errors, "w") as err:
            proc = subprocess.Popen(
                distributed.torchrun_command("regviz.training.group_job", [job], processes),
                stdout=err, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        seen, last = 0, None
        try:
            while True:
                code = proc.poll()
                if stop is not None and stop.is_set():
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait()
                    yield ProgressReport("cancelled", last.epoch if last else 0,
                                         last.step if last else 0,
                                         last.total_steps if last else 0,
                                         message="Cancelled: the processes were stopped.",
                                         device=last.device if last else "")
                    return
                # new whole lines only: rank 0 may be halfway through writing the last one
                if log.is_file():
                    with open(log, "rb") as f:
                        f.seek(seen)
                        chunk = f.read()
                    done = chunk[:chunk.rfind(b"\n") + 1]
                    seen += len(done)
                    for line in done.decode().splitlines():
                        last = ProgressReport(**json.loads(line))
                        yield last
                if code is not None:
                    break
                time.sleep(POLL_S)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if code != 0 or last is None or last.phase != "done":
            text = errors.read_text()[-20000:]
            cause = next((ln.split("]: ", 1)[-1] for ln in text.splitlines()
                          if "Error: " in ln and ln.startswith("[rank")), None)
            raise TrainingFailed(distributed.failure_message(text, code, shown=False) + (
                f" The error: {cause}" if cause else ""))


def main(argv=None) -> int:
    """Worker: join the torchrun group and run the job file's JobSpec; rank 0 appends
    every report to ``$REGVIZ_PROGRESS_LOG``."""
    argv = sys.argv[1:] if argv is None else argv
    spec, root = read_job(argv[0])
    group = distributed.init_from_env(spec.config.device)
    path = os.environ.get("REGVIZ_PROGRESS_LOG")
    log = ProgressLog(path) if path and group.is_main else None
    try:
        for rep in run_job(spec, root=root):
            if log is not None:
                log.write(rep)
    finally:
        distributed.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["ProgressLog", "read_job", "run_job_in_group", "write_job"]
