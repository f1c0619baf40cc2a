"""Registry of target models: arch ``kind`` -> function costing one MAC layer.

A target is one module here with the signature of ``TargetModel``, plus the schema of its
``compute`` section in ``hwsim/arch/compute/``; adding one touches nothing else but this table.
"""

from __future__ import annotations

from collections.abc import Callable

from hwsim.arch.hardware import Hardware
from hwsim.model.cost import LayerCost
from hwsim.model.loopnest import LoopNest
from hwsim.model.mapper import clear_caches as clear_mapper_caches
from hwsim.model.targets.fpga import fpga_target
from hwsim.model.targets.rs_mappings import rs_candidates
from hwsim.model.targets.scratchpad import scratchpad_target
from hwsim.model.targets.systolic import systolic_target
from hwsim.model.targets.tensor_core import tensor_core_target
from hwsim.sparsity.profile import SparsityProfile

#: (loop nest, resolved hardware, objective, sparsity profile or None) -> the layer's cost.
TargetModel = Callable[[LoopNest, Hardware, str, "SparsityProfile | None"], LayerCost]
TARGETS: dict[str, TargetModel] = {
    "fpga": fpga_target,
    "systolic": systolic_target,
    "tensor_core": tensor_core_target,
    "scratchpad": scratchpad_target,
}


def clear_caches() -> None:
    """Forget every memoised tiling table, count and row-stationary candidate table (a cold
    start, for benchmarks)."""
    clear_mapper_caches()
    rs_candidates.cache_clear()  # type: ignore[attr-defined]
