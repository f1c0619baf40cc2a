"""Evaluation: per-layer sparsity resolution, ``evaluate`` and ``compare``, and the
speedup-vs-sparsity curves plots draw. Sits above the model and the report; drivers (CLI,
sweeps, plots, notebooks) call it."""

from hwsim.evaluation.compare import compare, expand
from hwsim.evaluation.curves import sparsity_curves
from hwsim.evaluation.evaluate import OBJECTIVES, evaluate, layer_precision

__all__ = ["OBJECTIVES", "compare", "evaluate", "expand", "layer_precision", "sparsity_curves"]
