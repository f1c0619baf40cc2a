"""LayerCost: one layer's latency, energy by component and the quantities behind them.

Built from Counts by ``hwsim.model.accounting`` (``layer_cost``), the same functions that rank
mappings, kernels and loops, so what is reported is what was chosen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hwsim.arch.hardware import Hardware
from hwsim.model.accounting import Counts, bound_of, energy_breakdown_j, latency_s, time_terms


@dataclass(frozen=True)
class LayerCost:
    """Latency (s), energy by component (J) and the quantities behind them, for one layer."""

    latency_s: float
    time_s: dict[str, float]  # seconds each resource needs: compute, dram, each buffer port
    bound: str
    energy_breakdown_j: dict[str, float]
    dram_bytes: float
    macs: float
    compute_cycles: float
    utilization: float
    mapping: dict[str, Any] = field(default_factory=dict)
    density: float = 1.0
    input_density: float = 1.0
    output_density: float = 1.0  # of the results (what an output format compresses)
    effective_macs: float | None = None  # MACs with both operands nonzero (None: = macs)
    skipped_macs: float = 0.0
    metadata_bytes: float = 0.0
    imbalance: float = 1.0
    note: str = ""

    @property
    def energy_j(self) -> float:
        return float(sum(self.energy_breakdown_j.values()))


def layer_cost(hw: Hardware, counts: Counts, *, macs: float, utilization: float,
               **extra: Any) -> LayerCost:
    """The LayerCost of one chosen mapping's ``counts`` (floats, not arrays); ``extra`` fills
    the descriptive fields (mapping, density, notes, ...)."""
    terms = {k: float(v) for k, v in time_terms(hw, counts).items()}
    latency = float(latency_s(hw, counts, terms))
    energy = {k: float(v) for k, v in energy_breakdown_j(hw, counts, latency).items()}
    return LayerCost(
        latency_s=latency,
        time_s=terms,
        bound=bound_of(terms),
        energy_breakdown_j=energy,
        dram_bytes=float(counts.dram_bytes),
        macs=macs,
        compute_cycles=float(counts.compute_cycles),
        utilization=utilization,
        metadata_bytes=float(counts.dram_meta_bytes),
        **extra,
    )
