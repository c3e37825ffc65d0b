"""Command-line entry points (console scripts of the package).

* ``regviz-train`` (`regviz.cli.train`, also ``python -m regviz.train``): train a zoo
  model and write a checkpoint.
* ``regviz-shipped`` (`regviz.cli.shipped`, also ``python -m regviz.shipped``):
  regenerate the shipped checkpoints.
* ``regviz-warmup`` (`regviz.cli.warmup`): compile the motif tools once.
"""
