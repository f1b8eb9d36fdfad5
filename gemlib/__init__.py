"""gemlib: data, models, training, evaluation and VarGrad explanations for the gemstones lesson."""

__version__ = "0.1.0"

import os as _os

# TensorFlow's C++ log lines (CPU feature notices, grappler's "E0000 ... tfg_optimizer_hook.cc"
# errors about graphs it still runs) carry timestamps and process ids: in a notebook they change
# every run and hide what matters. Level 3 keeps them out; it must be set before TensorFlow is
# first imported, which every gemlib module does after this line. Python exceptions still show.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
