"""Home: what regviz is for and where to go."""

from regviz.ui import widgets

widgets.page_header(
    "regviz",
    """
**See inside convolutional neural networks trained on regulatory DNA.**

regviz is for three kinds of users:

- **Teachers** showing "CNNs for genomics" in class: every view runs on built-in
  models and data, no set-up and no downloads.
- **Students** exploring on their own: change a sequence, a model or a setting and see
  what the network does with it.
- **Biologists** inspecting which motifs a model relies on.

### Where to start
- **Model zoo**: the course's architectures (DeepBind, DeepSEA, Basset, DanQ, DeepSTARR,
  DECODE, Basenji, ResNet, Enformer-lite, RNN/LSTM, k-mer logistic regression): their
  layers, parameters and how far each layer sees.
- **Datasets**: synthetic sets where the truth is known (which JASPAR motif was
  planted where, and the rules the labels follow), or your own labelled sequences.
- **Train**: train any architecture on a synthetic set or your data, in the
  background, and watch it learn. Shipped models are ready in the sidebar's
  **Active model** picker; **Model card** says what the active model predicts, what
  it learned from and how well it does.
- **Explain a model**: per-base **Attribution** tracks (seven methods, with a sanity
  panel and a score against the planted truth), **Grad-CAM** over 4 kb windows and
  genome regions, first-layer **Filters** as logos matched to JASPAR, and DeepSTARR-style
  **Motif spacing** experiments.
- **Concepts**: a lesson for class, from "a convolution filter" to "a PWM scanner" to
  "a deep CNN", with numbers the students can check.
- **Import a published model**: DeepBind database models and Keras DeepSTARR-style
  networks, if you have their files.
- **Sequences**: paste sequences (raw lines or FASTA, any case), upload a FASTA file,
  or name a region of a genome FASTA (`chr2L:1,001-5,000`, 1-based inclusive). Every
  view reads its sequences through this same input.

### Conventions
- One-hot input has shape `(n, 4, L)` in **A, C, G, T** order; `N` is 0.25 in each
  channel.
- Region strings are **1-based inclusive** (`chr2L:1,001-5,000` is 4,000 bp); BED
  exports are **0-based half-open**, as BED files always are.
- Motifs come from **JASPAR 2024** (through pyjaspar), pinned so results are
  reproducible.
"""
)
