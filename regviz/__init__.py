"""regviz: see inside convolutional neural networks trained on regulatory DNA.

The library is importable without streamlit; `regviz.ui` is the only subpackage that
talks to the app. The subpackages and the arrows allowed between them are drawn in
``docs/architecture.md``.

Importing regviz before torch sets ``OMP_WAIT_POLICY=PASSIVE`` (unless it is set
already): torch's OpenMP threads otherwise spin while they wait, and on a shared
machine (a training job beside an analysis, or another process) the same work then
runs many times slower. Import regviz first in a notebook to get it.
"""

import os as _os
import sys as _sys

__version__ = "0.2.0"

if "torch" not in _sys.modules:
    _os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
