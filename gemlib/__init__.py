"""gemlib: data, models, training, evaluation and VarGrad explanations for the gemstones lesson."""

__version__ = "0.1.0"
