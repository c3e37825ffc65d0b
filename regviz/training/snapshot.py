"""Epoch snapshots of a training run, so a stopped run (or a torchrun restart) resumes.

`save` writes, atomically, everything `regviz.training.train` needs to go on after an
epoch: weights, optimizer and learning-rate schedule, the random generator, the step and
epoch counters and the best epoch so far (its weights and metrics). `resume` reads it back
into a fresh run built with the same settings and returns the next epoch to run.
Snapshots are read with ``torch.load(weights_only=True)``: tensors and plain values only.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from regviz.errors import CheckpointError

_COUNTERS = ("step", "best_epoch", "best_value", "bad_epochs")


def save(path, epoch: int, model, opt, plateau, gen: torch.Generator, state: dict) -> None:
    """Write the state after ``epoch`` to ``path`` (a temporary file, then renamed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"epoch": epoch, "model": model.state_dict(), "optimizer": opt.state_dict(),
            "plateau": plateau.state_dict() if plateau is not None else None,
            "generator": gen.get_state(), "torch_rng": torch.get_rng_state(),
            "valid": dict(state["valid"]),
            "best_state": state["best_state"], "best_metrics": state["best_metrics"],
            **{k: state[k] for k in _COUNTERS}}
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(data, tmp)
    os.replace(tmp, path)


def resume(path, model, opt, plateau, gen: torch.Generator, state: dict) -> int:
    """Load ``path`` when it exists (into model, opt, plateau, gen and ``state``); return
    the first epoch still to run (1 when there is no snapshot)."""
    path = Path(path)
    if not path.is_file():
        return 1
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(data["model"])
        opt.load_state_dict(data["optimizer"])
        if plateau is not None and data["plateau"] is not None:
            plateau.load_state_dict(data["plateau"])
        gen.set_state(data["generator"])
        torch.set_rng_state(data["torch_rng"])         # dropout draws from it
    except Exception as exc:
        raise CheckpointError(f"The training snapshot {path} does not fit this run ({exc}). "
                              "Delete it to start afresh, or resume with the same model "
                              "and settings.") from None
    state.update({k: data[k] for k in _COUNTERS}, valid=data["valid"],
                 best_state=data["best_state"], best_metrics=data["best_metrics"],
                 epoch=data["epoch"])
    return int(data["epoch"]) + 1


def remove(path) -> None:
    """Delete the snapshot of a run that has ended (no error when it is gone)."""
    Path(path).unlink(missing_ok=True)


__all__ = ["remove", "resume", "save"]
