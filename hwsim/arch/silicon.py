"""What an ASIC-like design costs in silicon: area by component and the leakage it implies.

Components: the compute datapath (each kind's schema says what it holds), the vector unit for
element-wise layers, every global buffer as SRAM macros (one per bank), the per-PE buffers
(flip-flops when tiny, SRAM macros otherwise), and the flip-flops an arch declares for units
the schema does not describe (``other_logic_flip_flops``). Arithmetic is upsized for the clock
(ALADDIN's 1 ns vs relaxed syntheses); logic scales with the node (Stillmaker & Baas), SRAM
with the node's bit cell over a compiled macro's array efficiency, a bank wider than one
macro's word being several macros; a mesh, tree or explicit PE graph adds its routers
(DSENT-fitted, one flit an element wide), while systolic, bus and crossbar wiring carries no
router; placement spreads it all; control and clock take their share of the whole placed
block. ``die_mm2`` adds the pad ring where a whole die is meant.
See hwsim/arch/area.py for every constant and its source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hwsim.arch.area import (
    ADD_UM2_45NM,
    CONTROL_SHARE,
    MESH_ROUTER_PORTS,
    PAD_RING_MM,
    PLACEMENT_UTILISATION,
    REG_UM2_PER_BIT,
    SRAM_LEAKAGE_W_PER_BIT,
    TREE_ROUTER_PORTS,
    is_floating,
    logic_area_scale,
    logic_leakage_w_per_mm2,
    mac_um2_45nm,
    mac_upsizing_um2_45nm,
    router_um2_45nm,
    sram_bank_mm2,
    sram_macro_mm2,
    timing_upsize,
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


def router_ports(arch: ArchSpec) -> list[int]:
    """Ports of every NoC router the arch's interconnect has: a mesh one 5-port router per PE, a
    tree a 3-port router per internal node of a binary tree over the PEs (PEs - 1), an explicit
    PE graph one router per PE with a port per edge plus the local one; systolic, bus and
    crossbar none."""
    ic = arch.interconnect
    n = arch.pe_count
    if ic.topology == "mesh":
        return [MESH_ROUTER_PORTS] * n
    if ic.topology == "tree":
        return [TREE_ROUTER_PORTS] * max(n - 1, 0)
    if ic.topology == "graph" and ic.edges:
        degree = [0] * n
        for a, b in ic.edges:
            for v in (a, b):
                if 0 <= v < n:
                    degree[v] += 1
        return [d + 1 for d in degree]
    return []


def noc_router_um2_45nm(arch: ArchSpec, flit_bits: float) -> float:
    """Area of all the arch's NoC routers with ``flit_bits``-wide flits, µm² at 45 nm."""
    return sum(router_um2_45nm(p, flit_bits) for p in router_ports(arch))


def component_silicon(arch: ArchSpec) -> Silicon | None:
    """Area and leakage from the arch's components; None for kinds without a synthesized
    datapath (FPGA fabric: see its resources; a GPU: its datasheet die area)."""
    # hwsim runs every listed precision at the array's full MAC rate (int8 at twice it where
    # a 16-bit PE splits into two int8 units), so the array is built for the costliest of them,
    # and its PEs are the MACs per cycle at that precision.
    p = max(arch.precisions, key=mac_um2_45nm)
    eb, pb = bytes_per_element(p) * 8, psum_bytes(p) * 8
    datapath = arch.compute.datapath_um2_45nm(p, eb, pb)
    if datapath is None:
        return None
    node, clock = arch.technology_nm, arch.clock_hz
    scale = logic_area_scale(node) * 1e-6  # µm² at 45 nm -> mm² at this node
    logic = {name: um2 * scale for name, um2 in datapath.items()}
    # The MACs sit in the datapath's first component (every kind lists it first); synthesized
    # for this clock they are larger than the relaxed-clock table.
    macs = arch.compute.peak_macs_per_cycle(clock, p)
    first = next(iter(logic))
    logic[first] += macs * mac_upsizing_um2_45nm(p, clock) * scale
    lanes = arch.compute.lanes_for_vectors(clock)
    lane_add = ADD_UM2_45NM[p] * timing_upsize("fp_add" if is_floating(p) else "int_add", clock)
    logic["vector_unit"] = lanes * (lane_add + 2 * eb * REG_UM2_PER_BIT) * scale
    if arch.other_logic_flip_flops:
        # Units outside the schema, declared by their RTL flip-flop count: each flip-flop with
        # its local logic as one register bit; the combinational logic between them is not
        # counted, so this is a lower bound of those units.
        logic["other_units"] = arch.other_logic_flip_flops * REG_UM2_PER_BIT * scale
    routers = noc_router_um2_45nm(arch, eb)  # one operand per flit
    if routers > 0:
        logic["noc_routers"] = routers * scale
    sram: dict[str, float] = {}
    sram_bits = 0.0
    for b in arch.buffers:
        bytes_each = b.capacity_kib * 1024
        if b.per_pe:
            count = arch.compute.physical_pes(clock, p)  # a packed PE has one set of them
            if bytes_each <= REGISTER_FILE_MAX_BYTES:
                logic[b.name] = count * bytes_each * 8 * REG_UM2_PER_BIT * scale
                continue
            sram[b.name] = count * sram_macro_mm2(bytes_each, node)
        else:
            count, bytes_each = b.banks, bytes_each / b.banks
            port = b.bandwidth_bytes_per_cycle
            word = None if port is None else 8.0 * port / b.banks
            sram[b.name] = count * sram_bank_mm2(bytes_each, node, word)
        sram_bits += count * bytes_each * 8
    placed = {name: a / PLACEMENT_UTILISATION for name, a in {**logic, **sram}.items()}
    # Control and clock tree are a share of the whole block (they sequence and clock the
    # memories as much as the datapath), built from logic cells.
    placed["control"] = sum(placed.values()) * CONTROL_SHARE / (1.0 - CONTROL_SHARE)
    cells = sum(logic.values()) + placed["control"] * PLACEMENT_UTILISATION
    leak = cells * logic_leakage_w_per_mm2(node) + sram_bits * SRAM_LEAKAGE_W_PER_BIT
    return Silicon(placed, leak, "component model")


def die_mm2(core_mm2: float, pad_ring_mm: float = PAD_RING_MM) -> float:
    """A whole die around a square core of ``core_mm2``: the core plus its pad ring, mm²."""
    side = core_mm2 ** 0.5 + 2.0 * pad_ring_mm
    return side * side
