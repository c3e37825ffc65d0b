"""The model zoo: registry name -> builder, presets, description and citation.

Every entry offers two presets:

- ``"class"``: small enough to train on 2 CPU cores in about a minute on a few
  thousand sequences;
- ``"paper"``: the published hyperparameters (``ModelEntry.paper_note`` says what
  is reproduced and what is not).

``build(name, input_length, n_outputs, preset, output_kind, **overrides)`` makes a
model; ``from_config(name, dataclasses.asdict(model.config))`` rebuilds it (what a
checkpoint card stores).
"""

from __future__ import annotations

import dataclasses
import difflib
import numbers
from dataclasses import dataclass
from typing import Any

import pandas as pd
from torch import nn

from regviz.errors import ModelConfigError

from .base import ModelConfig, RegvizModel
from .citations import (ALIPANAHI, AVSEC, CHEN, DEALMEIDA, ELMAN, HE2016, HOCHREITER, KELLEY2016,
                        KELLEY2018, KELLEY2020, LECUN, LEE2011, QUANG, VASWANI, ZHANG2020, ZHOU,
                        Citation)
from .convnets import (CNN, Basset, BassetConfig, CNNConfig, Decode, DecodeConfig, DeepSEA,
                       DeepSEAConfig, DeepSTARR, DeepSTARRConfig)
from .deepbind import DeepBind, DeepBindConfig
from .kmer import KmerConfig, KmerLogReg
from .recurrent import DanQ, DanQConfig, LSTMClassifier, LSTMConfig, RNNClassifier, RNNConfig
from .residual import Basenji, BasenjiConfig, ResNet, ResNetConfig
from .transformer import EnformerLite, EnformerLiteConfig


@dataclass(frozen=True)
class ModelEntry:
    """One architecture of the zoo.

    Attributes
    ----------
    name, title : str
        Registry name and display name.
    model_class, config_class : type
        The ``RegvizModel`` subclass and its config dataclass.
    description : str
        Two to four sentences for a teacher.
    citations : tuple of Citation
        The architecture's paper first.
    natural_length : dict
        Preset -> natural input length (bp; bins for DECODE's tracks-only paper form).
    default_output_kind : str
        What the published model predicts ("binary", "multitask", "regression").
    supports_deeplift : bool
        Whether captum's DeepLift gives exact DeepLIFT attributions on this model
        (summation-to-delta holds). DeepLift *runs* on every model; where this is
        False it silently falls back to gradients inside recurrent/attention layers
        (see ``deeplift_note``).
    deeplift_note : str
        What happens with DeepLift here.
    paper_note : str
        What the paper preset reproduces and where it differs.
    input_note : str
        What the input is.
    """

    name: str
    title: str
    model_class: type
    config_class: type
    description: str
    citations: tuple
    natural_length: dict
    default_output_kind: str
    supports_deeplift: bool
    deeplift_note: str
    paper_note: str
    input_note: str = "one-hot DNA (n, 4, L), ACGT order"

    @property
    def citation(self) -> Citation:
        return self.citations[0]

    @property
    def presets(self) -> dict[str, dict[str, Any]]:
        return self.config_class.PRESETS

    def build(self, input_length: int, n_outputs: int = 1, preset: str = "class",
              output_kind: str = "binary", **overrides: Any) -> RegvizModel:
        return build(self.name, input_length, n_outputs, preset, output_kind, **overrides)

    @staticmethod
    def first_conv(model: RegvizModel) -> str | None:
        """Module path of the first convolution (its filters are motif detectors)."""
        return model.first_conv_name

    @staticmethod
    def last_conv(model: RegvizModel) -> str | None:
        """Module path whose output is the last convolutional feature map (Grad-CAM)."""
        return model.last_conv_name


# Exact only inside `deeplift_guards` (regviz.attribution opens it for each call; callers
# of captum's DeepLift must too): without it ReLU -> MaxPool blocks and residual skips
# silently break the sums. The notes below are shown to users on the Model zoo page.
_FINE = ("Exact: DeepLIFT attributions add up to f(x) - f(reference) (relative error "
         "< 1e-3 in float32).")
_RECURRENT = ("Runs without error but is approximate: captum has no DeepLIFT rule for the "
              "gates inside nn.RNN/nn.LSTM and uses their plain gradients, so attributions "
              "do not add up to f(x) - f(baseline) (errors of the size of the difference "
              "itself). Prefer integrated gradients or ISM.")
_ATTENTION = ("Runs without error but is approximate: the query-key product has no "
              "DeepLIFT rule (captum uses gradients there) and captum's softmax rule is "
              "itself approximate, so attributions do not add up to f(x) - f(baseline). "
              "Prefer integrated gradients or ISM.")


_ENTRIES = [
    ModelEntry(
        "deepbind", "DeepBind", DeepBind, DeepBindConfig,
        "One layer of motif detectors: each filter slides along the sequence like a PSSM "
        "scan, a ReLU keeps matches above a learned threshold, and global max pooling "
        "keeps the best match anywhere. A linear layer turns the best matches into a "
        "binding score, so the model is position-blind and its filters read directly as "
        "motifs.",
        (ALIPANAHI,), {"class": 101, "paper": 101}, "binary", True, _FINE,
        "16 detectors of width 24 with 'N' padding, max + average pooling and a hidden "
        "layer of 32 (the ChIP-seq setting); the published models chose pooling and the "
        "hidden layer per protein, so an importer overrides avg_pool/hidden per model."),
    ModelEntry(
        "deepsea", "DeepSEA", DeepSEA, DeepSEAConfig,
        "Three convolution layers with pooling build motifs into motif combinations over "
        "1 kb, and a dense layer predicts hundreds of chromatin features at once "
        "(multi-task). Unpadded convolutions and floor pooling mean the output never "
        "sees the last 5 bp of the 1,000 bp window - check the receptive field table.",
        (ZHOU,), {"class": 1000, "paper": 1000}, "multitask", True, _FINE,
        "Exact layer sizes: conv 320x8, pool 4, dropout .2; conv 480x8, pool 4, dropout "
        ".2; conv 960x8, dropout .5 (no third pool, as in the published Torch7 model); "
        "dense 925; 919 outputs on 1,000 bp."),
    ModelEntry(
        "basset", "Basset", Basset, BassetConfig,
        "Three convolution/batch-norm/pooling stages and two dense layers predict DNase "
        "accessibility in many cell types at once. Basset's first-layer filters, turned "
        "into PWMs, matched known transcription factor motifs for about 45% of filters - "
        "the classic demonstration that CNN filters learn motifs.",
        (KELLEY2016,), {"class": 600, "paper": 600}, "multitask", True, _FINE,
        "Exact layer sizes: 300x19 pool 3, 200x11 pool 4, 200x7 pool 4 (batch norm), two "
        "dense layers of 1000 with dropout .3 and batch norm, 164 outputs on 600 bp."),
    ModelEntry(
        "danq", "DanQ", DanQ, DanQConfig,
        "A convolution finds motifs, max pooling shortens the sequence, and a "
        "bidirectional LSTM reads the motif track in both directions to learn their "
        "order and spacing. Shows how a recurrent layer extends a CNN's reach to the "
        "whole sequence.",
        (QUANG,), {"class": 1000, "paper": 1000}, "multitask", False, _RECURRENT,
        "Exact layer sizes: conv 320x26, max pool 13, dropout .2, BiLSTM 320 per "
        "direction, dropout .5, flatten, dense 925, 919 outputs on 1,000 bp (Keras "
        "count 46,926,479 parameters; PyTorch's LSTM has a second bias vector)."),
    ModelEntry(
        "deepstarr", "DeepSTARR", DeepSTARR, DeepSTARRConfig,
        "Four convolution layers with batch norm and pooling, then two dense layers, "
        "predict two quantitative enhancer activities from 249 bp: developmental (Dev) "
        "and housekeeping (Hk) STARR-seq signal. The model behind in-silico motif "
        "spacing and cooperativity experiments.",
        (DEALMEIDA,), {"class": 249, "paper": 249}, "regression", True, _FINE,
        "Exactly the published Keras model (Conv1D 256/60/60/120, kernels 7/3/5/3, "
        "'same' padding, pools of 2, Dense 256 x2 with batch norm and dropout .4, heads "
        "Dev and Hk as outputs 0 and 1), with Keras batch-norm epsilon 1e-3 / momentum "
        "0.99 and Keras (position-major) flatten order, so published weights load."),
    ModelEntry(
        "decode", "DECODE", Decode, DecodeConfig,
        "A CNN classifier of 4 kb windows that can take more than DNA: extra input "
        "channels such as chromatin tracks. Its convolutional feature maps keep "
        "positions, so Grad-CAM can point at the core enhancer inside the window.",
        (CHEN,), {"class": 4000, "paper": 200}, "binary", True, _FINE,
        "Reproduces DECODE's input: 5 epigenomic tracks at 20 bp bins (4 kb = 200 "
        "bins), no DNA (tracks_only=True). The convolution sizes are regviz's: the paper "
        "preset does not claim the published layer sizes.",
        "class: one-hot DNA (n, 4 + extra_channels, L); paper: tracks only "
        "(n, n_tracks, bins)"),
    ModelEntry(
        "basenji", "Basenji", Basenji, BasenjiConfig,
        "A convolution tower pools the sequence into bins, then dilated residual blocks "
        "look further with every layer (dilation 1, 2, 4, 8, ...), so the receptive "
        "field grows exponentially at constant cost. Regviz pools the bins into "
        "whole-sequence outputs.",
        (KELLEY2018, KELLEY2020), {"class": 2000, "paper": 131072}, "regression", True,
        _FINE,
        "The published Basenji trunk (stem 288x15, six-block tower 339->768, 11 dilated "
        "residual blocks with a 384-filter bottleneck and dilation x1.5 as released in "
        "calico/basenji, final 1536 pointwise; 131,072 bp). Differences: ReLU instead of "
        "GELU, and pooling over bins instead of 128 bp coverage tracks."),
    ModelEntry(
        "resnet", "ExpResNet-style ResNet", ResNet, ResNetConfig,
        "Residual modules add each block's input back to its output (h + f(h)), so "
        "gradients flow through deep stacks; inside each module a dilated convolution "
        "widens the view. Compare its training curve with a plain CNN of the same "
        "depth.",
        (ZHANG2020, HE2016), {"class": 1000, "paper": 2000}, "regression", True, _FINE,
        "ExpResNet's module layout (five modules of 160/320/480/640/960 filters, widths "
        "5/3/3/3/3, dilations 1/2/2/4/2, average pooling by 4); the dense head width "
        "(256) and the 2,000 bp input are regviz's choices."),
    ModelEntry(
        "enformer_lite", "Enformer-lite", EnformerLite, EnformerLiteConfig,
        "A convolution tower turns the sequence into bins, then transformer blocks let "
        "every bin attend to every other bin, with learned relative-position biases, so "
        "the receptive field is the whole input in one layer. A scaled-down Enformer for "
        "the long-range lesson.",
        (AVSEC, VASWANI), {"class": 2000, "paper": 196608}, "regression", False,
        _ATTENTION,
        "Enformer's sizes (stem 768x15, tower 768->1536, 11 blocks x 8 heads, key size "
        "64, final 3072; 196,608 bp) with max pooling instead of attention pooling, ReLU "
        "instead of GELU, a learned relative bias instead of Enformer's basis functions, "
        "and a pooled whole-sequence head."),
    ModelEntry(
        "rnn", "RNN", RNNClassifier, RNNConfig,
        "A recurrent network reads the sequence one base at a time, updating a hidden "
        "state, so its last state has seen every base. Simple RNNs forget: gradients "
        "through many steps vanish, which the LSTM was designed to fix.",
        (ELMAN,), {"class": 200, "paper": 200}, "binary", False, _RECURRENT,
        "The lecture's SimpleRNNClassifier: 18 hidden units, last time step, linear."),
    ModelEntry(
        "lstm", "LSTM", LSTMClassifier, LSTMConfig,
        "An LSTM adds gates that decide what to keep, forget and output, so information "
        "from early bases survives long sequences. Same reading order as the RNN, much "
        "better memory.",
        (HOCHREITER,), {"class": 200, "paper": 200}, "binary", False, _RECURRENT,
        "The lecture's SimpleLSTMClassifier: 18 hidden units, last time step, linear."),
    ModelEntry(
        "kmer_logreg", "k-mer logistic regression", KmerLogReg, KmerConfig,
        "The classic baseline: count every k-mer, then logistic regression on the "
        "counts. Here counting is a fixed convolution (one filter per k-mer, bias "
        "-(k-1)), a ReLU and a sum over positions, so attribution methods can explain it "
        "base by base - a bag of words is a one-layer CNN with hand-made filters.",
        (LEE2011,), {"class": 200, "paper": 200}, "binary", True, _FINE,
        "k = 6 as in the kmer-SVM enhancer classifier; logistic regression instead of an "
        "SVM, no reverse-complement merging."),
    ModelEntry(
        "cnn", "Small CNN", CNN, CNNConfig,
        "A plain stack of convolutions and poolings with global max pooling: it can "
        "tell which motifs occur but not how far apart they are beyond its receptive "
        "field (a few hundred bp). The baseline of the long-range lesson.",
        (LECUN,), {"class": 2000, "paper": 2000}, "binary", True, _FINE,
        "No paper: 'paper' is a wider and deeper plain CNN (receptive field about 1 kb)."),
]

REGISTRY: dict[str, ModelEntry] = {e.name: e for e in _ENTRIES}


def list_models() -> list[str]:
    """Registry names, in the zoo's teaching order."""
    return list(REGISTRY)


def get_entry(name: str) -> ModelEntry:
    """The registry entry of ``name``; ModelConfigError listing the names if unknown."""
    if isinstance(name, str) and name in REGISTRY:
        return REGISTRY[name]
    close = difflib.get_close_matches(str(name), list(REGISTRY), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ModelConfigError(f"Unknown model {name!r}.{hint} Available models: "
                           f"{', '.join(REGISTRY)}.")


def build(name: str, input_length: int, n_outputs: int = 1, preset: str = "class",
          output_kind: str = "binary", **overrides: Any) -> RegvizModel:
    """Build a zoo model.

    Parameters
    ----------
    name : str
        Registry name (see `list_models`).
    input_length : int
        Sequence length in bp (bins for track inputs) the model is built for.
    n_outputs : int
        Number of outputs; the model returns ``(n, n_outputs)`` raw values.
    preset : str
        "class" (small, CPU-friendly) or "paper" (published hyperparameters).
    output_kind : str
        "binary", "multitask" or "regression". "binary" with several outputs is
        treated as "multitask" (independent binary tasks).
    **overrides
        Config fields to change, e.g. ``n_filters=16, filter_width=12``.

    Returns
    -------
    RegvizModel
        With ``.config`` (dataclass) and ``.registry_name``.

    Raises
    ------
    ModelConfigError
        Unknown name, preset or setting; a bad value; a too short input.
    """
    entry = get_entry(name)
    if (output_kind == "binary" and isinstance(n_outputs, numbers.Integral)
            and not isinstance(n_outputs, bool) and n_outputs > 1):
        output_kind = "multitask"
    config = entry.config_class.from_preset(preset, input_length, n_outputs, output_kind,
                                            **overrides)
    return entry.model_class(config)


def from_config(name: str, config: dict[str, Any] | ModelConfig) -> RegvizModel:
    """Rebuild a model from its registry name and config (e.g. from a checkpoint card).

    Parameters
    ----------
    name : str
        Registry name.
    config : dict or ModelConfig
        ``dataclasses.asdict(model.config)`` (JSON round trips are fine).
    """
    entry = get_entry(name)
    if isinstance(config, ModelConfig):
        config = dataclasses.asdict(config)
    if not isinstance(config, dict):
        raise ModelConfigError(f"config for {name} must be a dict of settings. "
                               f"Got {type(config).__name__} instead.")
    fields = {f.name for f in dataclasses.fields(entry.config_class)}
    unknown = sorted(set(config) - fields)
    missing = sorted(f.name for f in dataclasses.fields(entry.config_class)
                     if f.name not in config and f.default is dataclasses.MISSING
                     and f.default_factory is dataclasses.MISSING)
    if unknown or missing:
        raise ModelConfigError(
            f"config for {name} does not match its settings: unknown {unknown or 'none'}, "
            f"missing {missing or 'none'}. Expected: {', '.join(sorted(fields))}.")
    cfg = entry.config_class(**config)
    cfg.validate()
    return entry.model_class(cfg)


def models_table() -> pd.DataFrame:
    """One row per model: name, title, lengths, output kind, DeepLIFT, citation."""
    rows = []
    for e in REGISTRY.values():
        rows.append({"name": e.name, "title": e.title,
                     "natural_length": e.natural_length["class"],
                     "paper_length": e.natural_length["paper"],
                     "default_output_kind": e.default_output_kind,
                     "supports_deeplift": e.supports_deeplift,
                     "description": e.description, "citation": str(e.citation)})
    return pd.DataFrame(rows)


def first_conv(model: nn.Module) -> nn.Module:
    """The first convolution module of a zoo model (ModelConfigError if none)."""
    path = getattr(model, "first_conv_name", None)
    if path is None:
        raise ModelConfigError(f"{getattr(model, 'registry_name', type(model).__name__)} "
                               f"has no convolution layer.")
    return model.get_submodule(path)


def last_conv(model: nn.Module) -> nn.Module:
    """The module whose output is the last convolutional feature map."""
    path = getattr(model, "last_conv_name", None)
    if path is None:
        raise ModelConfigError(f"{getattr(model, 'registry_name', type(model).__name__)} "
                               f"has no convolution layer.")
    return model.get_submodule(path)
