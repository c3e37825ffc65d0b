"""Training: the loop, its metrics, background jobs and the shipped recipes.

* `regviz.training.loop`: :func:`train` (a generator of :class:`ProgressReport`),
  :class:`TrainConfig`.
* `regviz.training.metrics`: AUROC/AUPRC or Pearson/Spearman per task, losses,
  :func:`evaluate`.
* `regviz.training.jobs`: :class:`JobSpec` and :func:`run_job` (data, model, training,
  checkpoint; used by ``regviz-train`` and by the background workers).
* `regviz.training.folds`: :func:`cross_validate` (K-fold cross-validation: one model
  per fold, per-fold and pooled out-of-fold metrics, ``cv.json``).
* `regviz.training.manager`: :class:`JobManager` (background threads, one per device,
  jobs owned by the session that submitted them).
* `regviz.training.shipped`: the recipes of the shipped checkpoints.
* `regviz.training.defaults`: the Train page's default settings per architecture and
  set, with the time and quality they reach (:func:`defaults_for`).
* `regviz.training.compare`: :func:`compare_cards` (is a new model worse than the
  active one on the same data?).
"""

from regviz.training.compare import Comparison, compare_cards
from regviz.training.defaults import DEFAULTS, Defaults, defaults_for
from regviz.training.folds import FoldReport, cross_validate
from regviz.training.jobs import JobError, JobSpec, build_for_dataset, run_job, runs_root
from regviz.training.manager import DuplicateJobError, JobManager, JobStatus, get_manager
from regviz.training.loop import (PHASES, ProgressReport, TrainConfig, TrainConfigError,
                                  TrainingFailed, train)
from regviz.training.metrics import BalancedTaskLoss, evaluate, loss_function, primary_metric, score

__all__ = [
    "BalancedTaskLoss", "Comparison", "DEFAULTS", "Defaults", "DuplicateJobError",
    "FoldReport", "JobError", "JobManager", "JobSpec", "JobStatus", "PHASES", "ProgressReport",
    "TrainConfig", "TrainConfigError", "TrainingFailed", "build_for_dataset",
    "compare_cards", "cross_validate", "defaults_for", "evaluate", "get_manager", "loss_function",
    "primary_metric", "run_job", "runs_root", "score", "train",
]
