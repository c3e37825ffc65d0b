"""Where models run: CUDA when present (with mixed precision), else Apple MPS, else CPU.

`pick_device` turns a preference ("auto", "cpu", "cuda", "cuda:1", "mps") into a
``torch.device``; `describe` says in words which one it is (shown in progress
reports and written to checkpoint cards); `autocast` and `grad_scaler` give the
mixed-precision context training and inference use on CUDA (a no-op elsewhere).
"""

from __future__ import annotations

import contextlib

import torch

from regviz.errors import RegvizError

PREFERENCES = ("auto", "cpu", "cuda", "cuda:N", "mps")


class DeviceError(RegvizError, ValueError):
    """A requested device does not exist or is not available on this machine."""


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def pick_device(preference="auto") -> torch.device:
    """The device to compute on.

    Parameters
    ----------
    preference : str or torch.device
        "auto" (CUDA if present, else MPS, else CPU), "cpu", "cuda", "cuda:N" or
        "mps". A named device that is not available is an error, not a silent
        fallback, so a user who asked for the GPU knows they are not getting it.

    Returns
    -------
    torch.device, with an explicit index for CUDA (``cuda:0``), so it can key the
    job queue of that device.
    """
    if isinstance(preference, torch.device):
        preference = str(preference)
    if not isinstance(preference, str):
        raise DeviceError(f"device must be one of {', '.join(PREFERENCES)}. "
                          f"Got {preference!r} instead.")
    pref = preference.strip().lower()
    if pref == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(pref)
    except RuntimeError:
        raise DeviceError(f"device must be one of {', '.join(PREFERENCES)}. "
                          f"Got {preference!r} instead.") from None
    if device.type == "cpu":
        return torch.device("cpu")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"device {preference!r} was requested but this machine has no "
                              "usable CUDA GPU (or torch is a CPU build). Use 'auto' or 'cpu'.")
        index = torch.cuda.current_device() if device.index is None else device.index
        if index >= torch.cuda.device_count():
            raise DeviceError(f"device {preference!r}: this machine has "
                              f"{torch.cuda.device_count()} CUDA GPU(s), numbered from 0.")
        return torch.device("cuda", index)
    if device.type == "mps":
        if not _mps_available():
            raise DeviceError(f"device {preference!r} was requested but Apple MPS is not "
                              "available here. Use 'auto' or 'cpu'.")
        return torch.device("mps")
    raise DeviceError(f"device must be one of {', '.join(PREFERENCES)}. "
                      f"Got {preference!r} instead.")


def amp_dtype(device: torch.device):
    """Mixed-precision dtype used on ``device``: bfloat16 or float16 on CUDA, else None."""
    if device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def autocast(device: torch.device):
    """Context manager: ``torch.autocast`` on CUDA (mixed precision), nothing elsewhere."""
    dtype = amp_dtype(device)
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type="cuda", dtype=dtype)


def grad_scaler(device: torch.device):
    """A ``torch.amp.GradScaler``, enabled only where float16 autocast needs one."""
    return torch.amp.GradScaler("cuda", enabled=amp_dtype(device) == torch.float16)


def describe(device: torch.device) -> str:
    """One line naming the device, e.g. "CPU (2 threads)" or "CUDA 0: NVIDIA H100 ...".

    Parameters
    ----------
    device : torch.device or str
    """
    device = torch.device(device)
    if device.type == "cuda":
        index = torch.cuda.current_device() if device.index is None else device.index
        props = torch.cuda.get_device_properties(index)
        dtype = amp_dtype(torch.device("cuda", index))
        prec = "bfloat16" if dtype == torch.bfloat16 else "float16"
        return (f"CUDA {index}: {props.name} ({props.total_memory / 2**30:.0f} GiB), "
                f"mixed precision ({prec})")
    if device.type == "mps":
        return "Apple MPS (Metal GPU)"
    n = torch.get_num_threads()
    return f"CPU ({n} thread{'s' if n != 1 else ''})"


def device_key(device: torch.device) -> str:
    """Stable name of a device for queues and cards: "cpu", "mps", "cuda:0"."""
    device = torch.device(device)
    if device.type == "cuda":
        index = torch.cuda.current_device() if device.index is None else device.index
        return f"cuda:{index}"
    return device.type


def gpu_count() -> int:
    """CUDA GPUs this process can use (0 without CUDA)."""
    return torch.cuda.device_count() if torch.cuda.is_available() else 0
