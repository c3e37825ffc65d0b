"""Datasets: the `Dataset` record, users' files, and torch access.

* `regviz.data.dataset`: :class:`Dataset` (sequences, labels, splits, planted truth)
  shared by synthetic sets and users' data; :func:`random_splits`.
* `regviz.data.files`: :func:`load_dataset` reads FASTA with labels in the headers,
  CSV/TSV tables and BED + genome FASTA (errors name the file and line).
* `regviz.data.prepare`: one length, a task kind, splits, shuffled negatives, summaries,
  `require_both_classes` (a 0/1 set a classifier can learn from).
* `regviz.data.splits`: `split_by_chrom` (hold out contigs named in coordinate names).
* `regviz.data.tensors`: one-hot tensors of a split and a DataLoader over them.
"""

from regviz.data.dataset import ANNOTATION_COLUMNS, TASK_KINDS, Dataset, random_splits
from regviz.data.files import (EDGE_POLICIES, EXTENSIONS, FASTA_FORMS, load_dataset,
                               read_bed_dataset, read_labeled_fasta, read_table)
from regviz.data.prepare import (LENGTH_POLICIES, add_shuffled_negatives, dataset_table,
                                 infer_task_kind, require_both_classes, summarize)
from regviz.data.splits import DEFAULT_TEST_CHROMS, chrom_of, split_by_chrom
from regviz.data.tensors import TorchDataset, dataloader

__all__ = [
    "ANNOTATION_COLUMNS", "DEFAULT_TEST_CHROMS", "EDGE_POLICIES", "EXTENSIONS", "FASTA_FORMS",
    "LENGTH_POLICIES", "TASK_KINDS", "Dataset", "TorchDataset", "add_shuffled_negatives",
    "chrom_of", "dataloader", "dataset_table", "infer_task_kind", "load_dataset",
    "random_splits", "read_bed_dataset", "read_labeled_fasta", "read_table",
    "require_both_classes", "split_by_chrom", "summarize",
]
