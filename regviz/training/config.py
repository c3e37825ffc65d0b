"""Training settings: `TrainConfig` (checked by ``validate``) and `TrainConfigError`."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from regviz import devices
from regviz.errors import RegvizError


class TrainConfigError(RegvizError, ValueError):
    """A training setting (epochs, learning rate, ...) is out of range."""



@dataclass
class TrainConfig:
    """Training settings.

    Attributes
    ----------
    epochs : int
        Passes over the train split (at most; early stopping may end sooner).
    batch_size : int
        Sequences per optimizer step.
    lr : float
        Adam learning rate.
    weight_decay : float
        Adam's L2 penalty (0 = none).
    patience : int or None
        Epochs without improvement of the validation metric before stopping;
        None never stops early (the best epoch's weights are still restored).
    rc_augment : bool
        Replace each training sequence by its reverse complement with
        probability 1/2 in every batch (labels unchanged; assumes channels 0-3
        are A, C, G, T and reverses any extra track channels along the length).
    seed : int
        Seeds batch order, augmentation and dropout.
    device : str
        "auto", "cpu", "cuda", "cuda:N" or "mps" (see `regviz.devices.pick_device`).
    max_steps : int or None
        Stop after this many optimizer steps, even mid-epoch.
    num_threads : int or None
        CPU threads for torch during training (``torch.set_num_threads``; this is
        process-wide, and restored afterwards). None leaves it as it is.
    lr_plateau : int or None
        Halve the learning rate after this many epochs without a better
        validation metric (torch's ``ReduceLROnPlateau``, factor 0.5); keep it
        below ``patience``. None keeps the learning rate constant.
    task_balance : float
        With several tasks, weight each task's batch loss by (its loss / the
        tasks' mean loss) ** task_balance, so that tasks still at chance pull
        harder than those already learned (`regviz.training.metrics.BalancedTaskLoss`);
        0 averages the tasks' losses as they are.
    snapshot : str or None
        A file that keeps the whole training state (weights, optimizer, epoch, random
        generators, best epoch so far) after every epoch: a run started again with the
        same snapshot goes on from its last finished epoch (what torchrun's restarts
        need). Removed once training ends. None keeps no snapshot.
    """

    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0
    patience: int | None = 3
    rc_augment: bool = False
    seed: int = 0
    device: str = "auto"
    max_steps: int | None = None
    num_threads: int | None = None
    lr_plateau: int | None = None
    task_balance: float = 0.0
    snapshot: str | None = None

    def validate(self) -> None:
        """Raise TrainConfigError naming the first bad setting."""
        def bad(name, allowed):
            value = getattr(self, name)
            return TrainConfigError(f"TrainConfig.{name} must be {allowed}. Got {value!r} instead.")

        def is_int(v, minimum, optional=False):
            if v is None:
                return optional
            return isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= minimum

        def is_num(v, low, strict):
            ok = isinstance(v, (int, float, np.floating)) and not isinstance(v, bool)
            return ok and math.isfinite(v) and (v > low if strict else v >= low)

        for name, minimum, optional in (("epochs", 1, False), ("batch_size", 1, False),
                                        ("patience", 1, True), ("max_steps", 1, True),
                                        ("num_threads", 1, True), ("seed", 0, False),
                                        ("lr_plateau", 1, True)):
            if not is_int(getattr(self, name), minimum, optional):
                raise bad(name, f"an integer >= {minimum}" + (" or None" if optional else ""))
        if not is_num(self.lr, 0.0, strict=True):
            raise bad("lr", "a finite number > 0 (typical: 1e-4 to 1e-2)")
        if not is_num(self.weight_decay, 0.0, strict=False):
            raise bad("weight_decay", "a finite number >= 0")
        if not is_num(self.task_balance, 0.0, strict=False) or self.task_balance > 10:
            raise bad("task_balance", "a number from 0 to 10 (0 = plain mean over tasks; 2 "
                      "favours the tasks behind)")
        if self.snapshot is not None and not isinstance(self.snapshot, str):
            raise bad("snapshot", "a file path (str) or None")
        if not isinstance(self.rc_augment, bool):
            raise bad("rc_augment", "True or False")
        devices.pick_device(self.device)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
