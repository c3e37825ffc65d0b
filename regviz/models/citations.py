"""Citations of the zoo's architectures (authors, year, title, journal, DOI)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Citation:
    """A published source."""

    authors: str
    year: int
    title: str
    journal: str
    doi: str

    def __str__(self) -> str:
        return (f"{self.authors} ({self.year}). {self.title}. {self.journal}. "
                f"https://doi.org/{self.doi}")


def _c(authors, year, title, journal, doi) -> Citation:
    return Citation(authors, year, title, journal, doi)


ALIPANAHI = _c("Alipanahi B, Delong A, Weirauch MT, Frey BJ", 2015,
               "Predicting the sequence specificities of DNA- and RNA-binding proteins by "
               "deep learning", "Nature Biotechnology 33(8):831-838", "10.1038/nbt.3300")
ZHOU = _c("Zhou J, Troyanskaya OG", 2015,
          "Predicting effects of noncoding variants with deep learning-based sequence model",
          "Nature Methods 12(10):931-934", "10.1038/nmeth.3547")
KELLEY2016 = _c("Kelley DR, Snoek J, Rinn JL", 2016,
                "Basset: learning the regulatory code of the accessible genome with deep "
                "convolutional neural networks", "Genome Research 26(7):990-999",
                "10.1101/gr.200535.115")
QUANG = _c("Quang D, Xie X", 2016,
           "DanQ: a hybrid convolutional and recurrent deep neural network for quantifying "
           "the function of DNA sequences", "Nucleic Acids Research 44(11):e107",
           "10.1093/nar/gkw226")
DEALMEIDA = _c("de Almeida BP, Reiter F, Pagani M, Stark A", 2022,
               "DeepSTARR predicts enhancer activity from DNA sequence and enables the de "
               "novo design of synthetic enhancers", "Nature Genetics 54(5):613-624",
               "10.1038/s41588-022-01048-5")
CHEN = _c("Chen Z, Zhang J, Liu J, Dai Y, Lee D, Min MR, Xu M, Gerstein M", 2021,
          "DECODE: a Deep-learning framework for Condensing enhancers and refining "
          "boundaries with large-scale functional assays",
          "Bioinformatics 37(Supplement_1):i280-i288", "10.1093/bioinformatics/btab283")
KELLEY2018 = _c("Kelley DR, Reshef YA, Bileschi M, Belanger D, McLean CY, Snoek J", 2018,
                "Sequential regulatory activity prediction across chromosomes with "
                "convolutional neural networks", "Genome Research 28(5):739-750",
                "10.1101/gr.227819.117")
KELLEY2020 = _c("Kelley DR", 2020, "Cross-species regulatory sequence activity prediction",
                "PLoS Computational Biology 16(7):e1008050", "10.1371/journal.pcbi.1008050")
ZHANG2020 = _c("Zhang Y, Zhou X, Cai X", 2020,
               "Predicting gene expression from DNA sequence using residual neural network",
               "bioRxiv 2020.06.21.163956 (preprint)", "10.1101/2020.06.21.163956")
HE2016 = _c("He K, Zhang X, Ren S, Sun J", 2016, "Deep residual learning for image "
            "recognition", "Proceedings of IEEE CVPR 2016:770-778", "10.1109/CVPR.2016.90")
AVSEC = _c("Avsec Z, Agarwal V, Visentin D, Ledsam JR, Grabska-Barwinska A, Taylor KR, "
           "Assael Y, Jumper J, Kohli P, Kelley DR", 2021,
           "Effective gene expression prediction from sequence by integrating long-range "
           "interactions", "Nature Methods 18(10):1196-1203", "10.1038/s41592-021-01252-x")
VASWANI = _c("Vaswani A, Shazeer N, Parmar N, Uszkoreit J, Jones L, Gomez AN, Kaiser L, "
             "Polosukhin I", 2017, "Attention is all you need",
             "Advances in Neural Information Processing Systems 30", "10.48550/arXiv.1706.03762")
ELMAN = _c("Elman JL", 1990, "Finding structure in time", "Cognitive Science 14(2):179-211",
           "10.1207/s15516709cog1402_1")
HOCHREITER = _c("Hochreiter S, Schmidhuber J", 1997, "Long short-term memory",
                "Neural Computation 9(8):1735-1780", "10.1162/neco.1997.9.8.1735")
LEE2011 = _c("Lee D, Karchin R, Beer MA", 2011, "Discriminative prediction of mammalian "
             "enhancers from DNA sequence", "Genome Research 21(12):2167-2180",
             "10.1101/gr.121905.111")
LECUN = _c("LeCun Y, Bottou L, Bengio Y, Haffner P", 1998, "Gradient-based learning applied "
           "to document recognition", "Proceedings of the IEEE 86(11):2278-2324",
           "10.1109/5.726791")
KOO2021 = _c("Koo PK, Ploenzke M", 2021, "Improving representations of genomic sequence motifs "
             "in convolutional networks with exponential activations",
             "Nature Machine Intelligence 3(3):258-266", "10.1038/s42256-020-00291-x")
