"""The app's side of regviz: the only subpackage that imports streamlit.

* `regviz.ui.widgets`: headers, error display, cancel, figures and tables with downloads.
* `regviz.ui.inputs`: sequences (paste, FASTA, genome region), genome FASTA, datasets.
* `regviz.ui.state`: the active model, where models come from, uploads.
* `regviz.ui.cache`: process-wide caches (models, genomes, datasets, finished results)
  with their locks and progress bars.
* One module per view (`attribution`, `card`, `concepts`, `datasets`, `filters`,
  `gradcam`, `spacing`, `train`, `zoo`) with that view's cached calls.

Pages (``app_pages/``) import `regviz.ui` and `regviz.plotting` only.
"""
