"""Training: the loop, its metrics, background jobs and the shipped recipes.

* `regviz.training.loop`: :func:`train` (a generator of :class:`ProgressReport`),
  :class:`TrainConfig`.
* `regviz.training.metrics`: AUROC/AUPRC or Pearson/Spearman per task, losses,
  :func:`evaluate`.
* `regviz.training.jobs`: :class:`JobManager` (background threads, one per device),
  :func:`run_job` (the same work without threads, used by ``regviz-train``).
* `regviz.training.shipped`: the recipes of the shipped checkpoints.
"""

from regviz.training.jobs import (JobError, JobManager, JobSpec, JobStatus, build_for_dataset,
                                  get_manager, run_job, runs_root)
from regviz.training.loop import (PHASES, ProgressReport, TrainConfig, TrainConfigError,
                                  TrainingFailed, train)
from regviz.training.metrics import BalancedTaskLoss, evaluate, loss_function, primary_metric, score

__all__ = [
    "BalancedTaskLoss", "JobError", "JobManager", "JobSpec", "JobStatus", "PHASES",
    "ProgressReport", "TrainConfig", "TrainConfigError", "TrainingFailed",
    "build_for_dataset", "evaluate", "get_manager", "loss_function", "primary_metric",
    "run_job", "runs_root", "score", "train",
]
