"""The fixed choices users pick from on the command line and in specs, in a module that imports
nothing, so that building the CLI parser loads no model code."""

from __future__ import annotations

#: What the mapper minimises: latency (s), energy (J) or their product (hwsim.model.accounting).
OBJECTIVES = ("latency", "energy", "edp")
#: What compare's speedups are against for a workload with imported masks
#: (hwsim.evaluation.compare).
BASELINES: tuple[str, ...] = ("dense", "imported")
#: ``--attention`` policies (hwsim.evaluation.evaluate.AttentionPolicy).
ATTENTION = ("arch", "fused", "unfused")
