"""Sequences: the shared input component on its own, with the parsed table."""

from regviz.ui import inputs, widgets

widgets.page_header(
    "Sequences",
    "Paste DNA (one sequence per line, or FASTA with `>name` headers; any case), upload "
    "a FASTA file, or fetch a region of a genome FASTA. `N` is kept; IUPAC codes such "
    "as `R`/`Y` become `N` and RNA `U` becomes `T`, with a warning; anything else is "
    "an error that names the sequence and the 1-based position.",
)
inputs.sequence_input("sequences")
