"""The imported DeepBind model: the zoo `deepbind` model, reading inputs of any length.

DeepBind pads every input with ``detector_len - 1`` N's on both ends and pools each
detector over all positions, so a published model scores any length >= 1 (the original
tool does). The zoo model sizes its pools for the length it was built for;
`AnyLengthDeepBind` sizes them for each input instead. It has the zoo model's modules,
weights and state dict, so an import saves an ordinary `deepbind` checkpoint;
`regviz.checkpoints.load` gives back the zoo model, built for the card's length, and
`any_length` makes that length-free again.
"""

from __future__ import annotations

import torch

from regviz.errors import ModelConfigError, SequenceError
from regviz.models.deepbind import DeepBind


class AnyLengthDeepBind(DeepBind):
    """A `regviz.models.deepbind.DeepBind` with ``pad_n`` that reads ``(n, 4, L)`` for
    any L >= 1.

    ``input_length`` stays the length it was built for: what the app, the example
    sequences and the attribution checks use. Each forward call resizes the global
    pools (plain ``MaxPool1d``/``AvgPool1d`` modules, so DeepLIFT keeps its max-pool
    rule); one model should not run two different lengths in two threads at once.
    """

    def __init__(self, config) -> None:
        if not config.pad_n:
            raise ModelConfigError("deepbind: only models that pad with N's (pad_n=True, as "
                                   "DeepBind does) can read inputs of any length.")
        super().__init__(config)

    def check_input(self, x: torch.Tensor) -> None:
        """Raise SequenceError unless ``x`` is (n, 4, L) with L >= 1."""
        if x.dim() != 3 or x.shape[1] != 4 or x.shape[2] < 1:
            raise SequenceError(f"deepbind (imported) reads one-hot inputs of shape (n, 4, L) "
                                f"with any length L >= 1; got {tuple(x.shape)}.")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        positions = x.shape[2] + self.config.filter_width - 1   # detector map after padding
        for name in ("max_pool", "avg_pool", "rc_max_pool", "rc_avg_pool"):
            pool = getattr(self, name, None)
            if pool is not None:
                pool.kernel_size = pool.stride = positions
        return super().forward(x)


def any_length(model: DeepBind) -> AnyLengthDeepBind:
    """A length-free copy of a DeepBind model that pads with N's (e.g. an imported one
    from `regviz.checkpoints.load`), same weights, in the same mode and on the same
    device."""
    if not isinstance(model, DeepBind):
        raise ModelConfigError(f"any_length takes a deepbind model. Got "
                               f"{getattr(model, 'registry_name', type(model).__name__)}.")
    if isinstance(model, AnyLengthDeepBind):
        return model
    out = AnyLengthDeepBind(model.config)
    out.load_state_dict(model.state_dict())
    param = next(model.parameters(), None)
    if param is not None:
        out = out.to(param.device)
    return out.train(model.training)
