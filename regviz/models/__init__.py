"""The regviz model zoo.

>>> from regviz.models import build, summary, list_models
>>> model = build("deepbind", input_length=101, n_outputs=1)   # class preset
>>> model(X)                      # X: (n, 4, 101) float32 one-hot -> (n, 1) logits
>>> summary(model)                # layer table with receptive fields
>>> model.config, model.registry_name     # what a checkpoint stores

Every model returns raw values (logits for binary/multitask outputs), takes
``(n, in_channels, input_length)`` and uses each activation module exactly once,
so captum's DeepLIFT can run on it (see ``REGISTRY[name].supports_deeplift``).
Models carry no hooks: DeepLIFT's input guards are added only for the call, by
``with deeplift_guards(model):`` (which `regviz.attribution` opens for you).
"""

from .base import OUTPUT_KINDS, ModelConfig, RegvizModel, deeplift_guards
from .layers import DenseNet, dense_net
from .registry import (REGISTRY, Citation, ModelEntry, build, first_conv, from_config, get_entry,
                       last_conv, list_models, models_table)
from .structure import (describe, empirical_receptive_field, position_windows, receptive_field,
                        summary)

__all__ = [
    "OUTPUT_KINDS", "ModelConfig", "RegvizModel", "deeplift_guards", "DenseNet", "dense_net",
    "REGISTRY", "Citation", "ModelEntry", "build", "first_conv", "from_config", "get_entry",
    "last_conv", "list_models", "models_table", "describe", "empirical_receptive_field",
    "position_windows", "receptive_field", "summary",
]
