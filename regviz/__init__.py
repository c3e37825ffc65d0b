"""regviz: see inside convolutional neural networks trained on regulatory DNA.

The library is importable without streamlit; `regviz/ui.py` is the only module
that talks to the app.
"""

__version__ = "0.1.0"
