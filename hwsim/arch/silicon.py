"""What an ASIC-like design costs in silicon: area by component and the leakage it implies.

Components: the compute datapath (each kind's schema says what it holds), the vector unit for
element-wise layers, every global buffer as SRAM macros (one per bank), the per-PE buffers
(flip-flops when tiny, SRAM macros otherwise). Logic scales with the node (Stillmaker & Baas),
SRAM with the node's bit cell; control and clock add their share; placement spreads it all.
See hwsim/arch/area.py for every constant and its source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hwsim.arch.area import (
    ADD_UM2_45NM,
    CONTROL_OVERHEAD,
    PLACEMENT_UTILISATION,
    REG_UM2_PER_BIT,
    SRAM_LEAKAGE_W_PER_BIT,
    logic_area_scale,
    logic_leakage_w_per_mm2,
    mac_um2_45nm,
    sram_macro_mm2,
)
from hwsim.precision import bytes_per_element, psum_bytes

if TYPE_CHECKING:
    from hwsim.arch.spec import ArchSpec

#: Per-PE buffers up to this many bytes are built from flip-flops, larger ones as SRAM macros
#: (Eyeriss's 24-word psum and 12-word ifmap scratchpads are registers, its 224-word filter
#: scratchpad an SRAM; Chen et al., JSSC 2017) [assumed threshold].
REGISTER_FILE_MAX_BYTES = 64


@dataclass(frozen=True)
class Silicon:
    """Placed area by component (mm², summing to the total) and leakage power (W)."""

    area_mm2: dict[str, float]
    leakage_w: float
    source: str  # how the area was obtained: "component model" or "datasheet"

    @property
    def total_mm2(self) -> float:
        return float(sum(self.area_mm2.values()))


def component_silicon(arch: ArchSpec) -> Silicon | None:
    """Area and leakage from the arch's components; None for kinds without a synthesized
    datapath (FPGA fabric: see its resources; a GPU: its datasheet die area)."""
    # hwsim runs every listed precision at the array's full MAC rate, so the array is built
    # for the costliest of them.
    p = max(arch.precisions, key=mac_um2_45nm)
    eb, pb = bytes_per_element(p) * 8, psum_bytes(p) * 8
    datapath = arch.compute.datapath_um2_45nm(p, eb, pb)
    if datapath is None:
        return None
    node = arch.technology_nm
    scale = logic_area_scale(node) * 1e-6  # µm² at 45 nm -> mm² at this node
    logic = {name: um2 * scale for name, um2 in datapath.items()}
    lanes = arch.compute.lanes_for_vectors(arch.clock_hz)
    logic["vector_unit"] = lanes * (ADD_UM2_45NM[p] + 2 * eb * REG_UM2_PER_BIT) * scale
    sram: dict[str, float] = {}
    sram_bits = 0.0
    for b in arch.buffers:
        bytes_each = b.capacity_kib * 1024
        if b.per_pe:
            count = arch.num_pes
            if bytes_each <= REGISTER_FILE_MAX_BYTES:
                logic[b.name] = count * bytes_each * 8 * REG_UM2_PER_BIT * scale
                continue
        else:
            count, bytes_each = b.banks, bytes_each / b.banks
        sram[b.name] = count * sram_macro_mm2(bytes_each, node)
        sram_bits += count * bytes_each * 8
    cells = sum(logic.values()) * (1 + CONTROL_OVERHEAD)
    placed = {name: a / PLACEMENT_UTILISATION for name, a in {**logic, **sram}.items()}
    placed["control"] = sum(logic.values()) * CONTROL_OVERHEAD / PLACEMENT_UTILISATION
    leak = cells * logic_leakage_w_per_mm2(node) + sram_bits * SRAM_LEAKAGE_W_PER_BIT
    return Silicon(placed, leak, "component model")
