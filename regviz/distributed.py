"""Work across processes on torch.distributed: data-parallel training and split scans.

torchrun starts N copies of ``regviz-train`` (or ``regviz-scan``) (``torchrun --nproc-per-node N -m
regviz.train ...``, or ``regviz-train --nproc N ...``, which calls torchrun); each reads
``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` from its environment, `init_from_env` joins the
process group (NCCL on GPUs, one GPU per process; gloo on CPU) and `regviz.training.train`
finds it through `current`:

* every rank draws the one-process run's shuffled order and augmentation of each epoch
  (one seed for all) and takes its interleaved share of every global batch of
  ``batch_size`` (``batch_size / N`` sequences per process); DDP averages the gradients,
  so N processes take the steps one process takes, on the same global batches (batch
  norm normalises over the global batch, `GroupBatchNorm`; dropout draws per process);
* batch losses, validation and test predictions are gathered from all processes, so every
  process computes the same metrics and takes the same early-stopping decision;
* only rank 0 writes the checkpoint, its card (world size, backend, global batch) and the
  epoch snapshots (`regviz.training.TrainConfig.snapshot`).

`regviz.gradcam.genome_scan` deals a genome's blocks to the ranks the same way. One process
(no torchrun, or ``WORLD_SIZE=1``) never touches any of this. `torchrun` starts a group
on this machine from a command (``--nproc N``) and says which rank failed, if one did.
"""

from __future__ import annotations

import datetime
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.parallel import DistributedDataParallel

from regviz.errors import RegvizError



class DistributedError(RegvizError, RuntimeError):
    """The process group cannot be formed or a process of it failed."""


TIMEOUT = datetime.timedelta(minutes=10)   # a rank that hangs this long ends the job


@dataclass(frozen=True)
class Replicas:
    """This process's place in the group: rank, world size, local rank, backend."""

    rank: int
    world: int
    local_rank: int
    backend: str

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def device(self) -> torch.device:
        """This rank's device: its own GPU under NCCL, else the CPU."""
        if self.backend == "nccl":
            return torch.device("cuda", self.local_rank)
        return torch.device("cpu")

    def check_batch(self, batch_size: int) -> None:
        """A global batch must split evenly (DDP averages the processes' mean gradients)."""
        if batch_size % self.world:
            raise DistributedError(
                f"The global batch size ({batch_size}) must split evenly across the "
                f"{self.world} processes; use a multiple of {self.world}.")

    def share(self, batch: torch.Tensor) -> torch.Tensor:
        """This rank's interleaved share ``batch[rank::world]`` of a global batch (what a
        ``DistributedSampler(shuffle=False)`` deals over that batch)."""
        return batch[self.rank::self.world]

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        """``model`` in DistributedDataParallel (gradients averaged over ranks), its batch
        norms normalising over the global batch (`GroupBatchNorm`; `unwrap` undoes it)."""
        for m in model.modules():
            if isinstance(m, _BatchNorm) and not isinstance(m, GroupBatchNorm):
                m.__class__ = type(f"Group{type(m).__name__}", (GroupBatchNorm, type(m)), {})
        ids = [self.local_rank] if self.backend == "nccl" else None
        return DistributedDataParallel(model, device_ids=ids)

    @staticmethod
    def unwrap(model: torch.nn.Module) -> None:
        """Give ``model``'s batch norms back their own class (weights unchanged)."""
        for m in model.modules():
            if isinstance(m, GroupBatchNorm):
                m.__class__ = type(m).__bases__[1]

    def mean(self, value: float) -> float:
        """Mean of ``value`` over the ranks (NaN anywhere gives NaN everywhere)."""
        t = torch.tensor([value], dtype=torch.float64, device=self.device())
        dist.all_reduce(t)
        return float(t) / self.world

    def any(self, flag: bool) -> bool:
        """True on every rank when ``flag`` is True on any."""
        t = torch.tensor([int(flag)], device=self.device())
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t)

    def gather_rows(self, local: torch.Tensor, n: int, width: int) -> torch.Tensor:
        """Rows ``rank::world`` (each (width,)) from every rank put back in order: (n, width)
        on the CPU."""
        size = -(-n // self.world)
        padded = torch.zeros(size, width, dtype=torch.float32, device=self.device())
        padded[:len(local)] = local.reshape(len(local), width).to(padded.device, torch.float32)
        parts = [torch.empty_like(padded) for _ in range(self.world)]
        dist.all_gather(parts, padded)
        out = torch.stack(parts, dim=1).reshape(size * self.world, width)[:n]
        return out.cpu()

    def barrier(self) -> None:
        """Wait until every rank is here."""
        dist.barrier()

    def describe(self, batch_size: int) -> dict:
        """What the card records: world size, backend, global and per-process batch."""
        return {"world_size": self.world, "backend": self.backend,
                "global_batch": batch_size, "per_process_batch": batch_size // self.world}


class _SumAcrossRanks(torch.autograd.Function):
    """Sum of a tensor over the ranks, with the gradient summed back (each rank's input
    feeds every rank's output)."""

    @staticmethod
    def forward(ctx, x):
        out = x.clone()
        dist.all_reduce(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone()
        dist.all_reduce(grad)
        return grad


class GroupBatchNorm(_BatchNorm):
    """Batch norm whose training statistics are those of the global batch: per-channel
    sums and sums of squares are all-reduced (with gradients) across the ranks, so N
    processes normalise as one process does (torch's SyncBatchNorm needs GPUs; this one
    also runs on gloo). Evaluation uses the running statistics, as usual."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return super().forward(x)
        dtype, x = x.dtype, x.float()         # statistics in float32, as under autocast
        dims = [0, *range(2, x.dim())]
        channels = x.shape[1]
        count = torch.tensor([x.numel() / channels], dtype=x.dtype, device=x.device)
        stats = _SumAcrossRanks.apply(torch.cat([x.sum(dims), (x * x).sum(dims), count]))
        n = stats[-1]
        mean = stats[:channels] / n
        var = (stats[channels:2 * channels] / n - mean * mean).clamp_min(0)
        with torch.no_grad():
            self.num_batches_tracked += 1
            m = self.momentum if self.momentum is not None else \
                1.0 / float(self.num_batches_tracked)
            self.running_mean.mul_(1 - m).add_(m * mean)
            self.running_var.mul_(1 - m).add_(m * var * n / (n - 1).clamp_min(1))
        shape = [1, channels] + [1] * (x.dim() - 2)
        y = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + self.eps)
        if self.affine:
            y = y * self.weight.view(shape) + self.bias.view(shape)
        return y.to(dtype)


_CURRENT: Replicas | None = None


def current() -> Replicas | None:
    """The group this process trains in, or None for a single process."""
    return _CURRENT


def launched_by_torchrun() -> bool:
    """True inside a torchrun worker of a group of more than one process."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init_from_env(device: str = "auto") -> Replicas:
    """Join the torchrun group: NCCL and GPU ``LOCAL_RANK`` when GPUs are there and
    ``device`` allows, else gloo on the CPU. Returns this process's `Replicas`."""
    global _CURRENT
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local = int(os.environ.get("LOCAL_RANK", rank))
    gpus = torch.cuda.is_available() and device in ("auto", "cuda")
    if gpus and local >= torch.cuda.device_count():
        raise DistributedError(f"Process {local} of this machine has no GPU of its own "
                               f"({torch.cuda.device_count()} here); start at most that "
                               "many processes per machine.")
    backend = "nccl" if gpus else "gloo"
    if gpus:
        torch.cuda.set_device(local)
    if not dist.is_initialized():
        dist.init_process_group(backend, timeout=TIMEOUT)
    _CURRENT = Replicas(rank, world, local, backend)
    return _CURRENT


def shutdown() -> None:
    """Leave the group (every rank, at the end)."""
    global _CURRENT
    _CURRENT = None
    if dist.is_initialized():
        dist.destroy_process_group()


def drop_option(argv, name: str) -> list[str]:
    """``argv`` without ``name VALUE`` / ``name=VALUE`` (what a launcher passes on)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == name:
            skip = True
        elif not a.startswith(name + "="):
            out.append(a)
    return out


def torchrun_command(module: str, args, nproc: int) -> list[str]:
    """``python -m torch.distributed.run --standalone --nproc-per-node N -m module -- args``
    (after ``--`` torchrun reads nothing, so ``--n 2000`` stays ours)."""
    return [sys.executable, "-m", "torch.distributed.run", "--standalone",
            f"--nproc-per-node={int(nproc)}", "-m", module, "--", *map(str, args)]


_FAILED = re.compile(r"^\s*(rank|exitcode)\s*:\s*(-?\d+)")


def failure_message(torchrun_output: str, returncode: int, shown: bool = True) -> str:
    """One readable line on a group that ended with ``returncode`` != 0, naming the rank
    and exit code that torchrun's "Root Cause" reports (a negative code is a signal);
    ``shown``: the group's output was shown above it (a shell), so point to it."""
    found = dict(m.groups() for line in torchrun_output.splitlines()
                 if (m := _FAILED.match(line)))
    rank, code = found.get("rank"), found.get("exitcode")
    how = ""
    if code is not None and int(code) < 0:
        how = f" (killed by signal {signal.Signals(-int(code)).name})" if -int(code) in \
            signal.valid_signals() else f" (signal {-int(code)})"
    who = f"process of rank {rank} ended with exit code {code}{how}" if rank is not None \
        else f"torchrun ended with exit code {returncode}"
    return (f"The distributed job failed: {who}; torchrun stopped the other processes. "
            "Nothing was written (no checkpoint, no output file)."
            + (" The first error above is the cause." if shown else ""))


def run_group(module: str, args, nproc: int) -> int:
    """Run ``module`` in ``nproc`` processes on this machine through torchrun, passing its
    output through; returns its exit code, after a `failure_message` when it failed.
    Ctrl-C stops the whole group (exit 130)."""
    proc = subprocess.Popen(torchrun_command(module, args, nproc), stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    tail: list[str] = []
    try:
        for line in proc.stderr:
            sys.stderr.write(line)
            tail = (tail + [line])[-200:]
        code = proc.wait()
    except KeyboardInterrupt:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
        print("interrupted; the processes were stopped and nothing was written",
              file=sys.stderr)
        return 130
    if code != 0:
        print(failure_message("".join(tail), code), file=sys.stderr)
    return code


__all__ = ["DistributedError", "GroupBatchNorm", "Replicas", "current", "drop_option",
           "failure_message", "init_from_env", "launched_by_torchrun", "run_group", "shutdown",
           "torchrun_command"]
