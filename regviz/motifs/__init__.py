"""Motifs: JASPAR matrices, PPM/PSSM/information content, scanning, Tomtom, FIMO.

* `regviz.motifs.matrix`: the matrix maths and :class:`Motif`. Pseudocount
  convention: a total pseudocount per column shared by the background
  (``Motif.pssm`` uses 0.8, ``Motif.ppm``/``Motif.ic`` 0). Information content is
  the relative entropy to the background, ``2 - (H + e_n)`` bits for the uniform one.
* `regviz.motifs.database`: JASPAR pinned to ``JASPAR_RELEASE = "JASPAR2024"`` as
  shipped by pyjaspar: ``collection(name)``, ``jaspar(name_or_id)``.
* `regviz.motifs.scan`: :func:`sample_instances`, :func:`pssm_scan`.
* `regviz.motifs.meme`: Tomtom and FIMO through memelite (:func:`tomtom`,
  :func:`fimo`) and MEME files (:func:`read_meme`, :func:`write_meme`).
"""

from regviz.motifs.database import COLLECTIONS, JASPAR_RELEASE, collection, jaspar, jaspar_path
from regviz.motifs.matrix import (ALPHABET, DEFAULT_PSSM_PSEUDOCOUNT, UNIFORM, Motif, consensus,
                                  counts_to_ppm, gc_background, information_content, letter_heights,
                                  ppm_to_pssm, small_sample_correction, trim)
from regviz.motifs.meme import fimo, parse_meme, read_meme, tomtom, write_meme
from regviz.motifs.scan import as_motifs, one_hot_input, pssm_scan, sample_instances

__all__ = [
    "ALPHABET", "COLLECTIONS", "DEFAULT_PSSM_PSEUDOCOUNT", "JASPAR_RELEASE", "UNIFORM",
    "Motif", "as_motifs", "collection", "consensus", "counts_to_ppm", "fimo",
    "gc_background", "information_content", "jaspar", "jaspar_path", "letter_heights",
    "one_hot_input", "parse_meme", "ppm_to_pssm", "pssm_scan", "read_meme", "sample_instances",
    "small_sample_correction", "tomtom", "trim", "write_meme",
]
