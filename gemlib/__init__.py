"""gemlib: data, models, training, evaluation and VarGrad explanations for the gemstones lesson."""

__version__ = "0.1.0"

import os as _os

# TensorFlow's C++ start-up chatter (CPU feature notices) hides what matters in a notebook.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
