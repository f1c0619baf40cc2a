"""An arch spec resolved into the numbers the model reads: bytes/s, pJ per byte, lanes, seconds.

Resolution happens once per spec (``ArchSpec.hw``, forced when a file is loaded), so every
problem the model would otherwise meet deep inside a layer (a GPU whose shared memory holds no
tile, a disconnected interconnect graph) is reported at load, located in the YAML. The model never
re-derives a number from the spec: a newcomer looking for "what does a DRAM byte cost" finds the
conversion here and its use in ``hwsim/model/dram.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hwsim.arch.compute import FpgaCompute, TensorCoreCompute
from hwsim.arch.energy import (
    ALU_OP_PJ_45NM,
    MAC_PJ_45NM,
    sram_pj_per_bit_45nm,
    tech_scale,
    wire_pj_per_bit_mm,
)
from hwsim.arch.fpga_resources import FpgaResources, design_resources
from hwsim.arch.links import NCCL_RING, Protocol
from hwsim.arch.silicon import component_silicon
from hwsim.arch.spec import OPERANDS
from hwsim.errors import SpecError

if TYPE_CHECKING:
    from hwsim.arch.compute import ComputeSpec
    from hwsim.arch.spec import ArchSpec, BufferSpec, SparsitySupport

__all__ = ["OPERANDS", "Hardware", "Level", "graph_path_length", "resolve"]


@dataclass(frozen=True)
class Level:
    """A global on-chip buffer between DRAM and the compute array, resolved."""

    name: str
    holds: tuple[str, ...]
    capacity_bytes: float
    double_buffered: bool
    port_bytes_per_s: float | None  # read + write port bandwidth; None: never the bottleneck
    read_pj_per_byte: float
    write_pj_per_byte: float


@dataclass(frozen=True)
class Link:
    """A device-to-device link: all-reduce bus bandwidth (bytes/s), pJ per byte sent, and the
    collective protocols with their latencies (hwsim.arch.links)."""

    bytes_per_s: float
    pj_per_byte: float
    protocols: tuple[Protocol, ...]


@dataclass(frozen=True)
class Hardware:
    """Everything the cost model needs to know about one accelerator, as plain numbers.

    Energies are per byte (pJ/B) or per operation (pJ); bandwidths in bytes/s; ``static_w`` is
    chip plus DRAM background power. ``levels`` are the global buffers in spec order and
    ``holder`` maps each operand to the index of the level that holds it.
    """

    name: str
    kind: str
    clock_hz: float
    num_pes: int
    compute: ComputeSpec
    sparsity: SparsitySupport
    precisions: tuple[str, ...]
    # DRAM
    dram_bytes_per_s: float  # sustained (reads, where writes differ)
    dram_write_bytes_per_s: float | None  # sustained writes; None: as dram_bytes_per_s
    dram_pj_per_byte: float
    burst_bytes: int
    # on-chip memories
    levels: tuple[Level, ...]
    holder: dict[str, int]
    rf_pj_per_byte: float | None  # per-PE register file read/write, None when there is none
    overlap: bool  # transfers hide behind compute (double-buffered buffers, or a GPU's warps)
    overlap_exponent: float | None  # p of (compute^p + dram^p)^(1/p); None: max (ideal)
    # per-operation energies at this node, pJ
    mac_pj: dict[str, float]
    alu_pj: dict[str, float]
    # wires
    topology: str
    hop_pj_per_bit: float  # one hop: hop length x wire energy per bit and mm
    graph_path_hops: float  # mean shortest path of an explicit PE graph (0 for other topologies)
    # time and power
    static_w: float
    launch_s: float
    vector_lanes: int
    # what the design costs
    area_mm2: dict[str, float]  # placed area by component (ASIC) or the die (GPU); {} for FPGA
    leakage_w: float  # chip leakage from the components (0 where not modelled)
    resources: FpgaResources | None  # FPGA blocks used and available on the declared device
    link: Link | None = None  # device-to-device link for tensor parallelism
    # per-PE register files (``per_pe`` buffers): bytes each PE holds of each operand
    pe_bytes: dict[str, float] = field(default_factory=dict)
    # pipeline fill of the compute array, cycles per pass over a tile (ComputeSpec)
    pipeline_fill_cycles: float = 0.0
    # start-up of one tile transfer to or from DRAM, seconds (dram.transfer_latency_cycles)
    dram_startup_s: float = 0.0

    def level_of(self, operand: str) -> Level:
        """The global buffer that holds ``operand``."""
        return self.levels[self.holder[operand]]


def _read_pj_per_bit(buf: BufferSpec, scale: float) -> float:
    """Read energy of a buffer, pJ/bit: the config's, else the SRAM fit per bank, scaled."""
    if buf.read_energy_pj_per_bit is not None:
        return buf.read_energy_pj_per_bit
    return sram_pj_per_bit_45nm(buf.capacity_kib * 1024 / buf.banks) * scale


def _write_pj_per_bit(buf: BufferSpec, scale: float) -> float:
    """Write energy of a buffer, pJ/bit: the config's, else equal to its read energy."""
    if buf.write_energy_pj_per_bit is not None:
        return buf.write_energy_pj_per_bit
    return _read_pj_per_bit(buf, scale)


def graph_path_length(edges: list[tuple[int, int]], num_pes: int) -> float:
    """Mean shortest-path hops of a PE graph over PEs 0..num_pes-1; SpecError unless the
    graph names exactly those PEs and connects them all."""
    import networkx as nx  # only PE graphs need it: kept off every other arch's load

    g = nx.Graph()
    g.add_edges_from(edges)
    nodes = set(g.nodes)
    if nodes != set(range(num_pes)):
        outside = sorted(n for n in nodes if not 0 <= n < num_pes)[:3]
        missing = num_pes - len(nodes & set(range(num_pes)))
        what = (f"names PEs outside 0..{num_pes - 1} ({outside})" if outside
                else f"leaves {missing} of the {num_pes} PEs out")
        raise SpecError(f"the PE graph {what}", field="interconnect.edges")
    if not nx.is_connected(g):
        parts = nx.number_connected_components(g)
        raise SpecError(f"the PE graph is not connected ({parts} separate parts): some PEs "
                        "could never receive operands", field="interconnect.edges")
    return float(nx.average_shortest_path_length(g))


def resolve(arch: ArchSpec) -> Hardware:
    """Turn ``arch`` into numbers; SpecError (with ``field`` set) if it cannot run at all."""
    comp: ComputeSpec = arch.compute
    for where, msg in comp.problems(list(arch.precisions)):
        raise SpecError(msg, field=".".join(("compute", *where)))
    scale = tech_scale(arch.technology_nm)
    clock = arch.clock_hz
    port_override = comp.global_port_bytes_per_s()
    levels: list[Level] = []
    for b in arch.buffers:
        if b.per_pe:
            continue
        port = port_override
        if port is None and b.bandwidth_bytes_per_cycle is not None:
            port = b.bandwidth_bytes_per_cycle * clock
        levels.append(Level(b.name, tuple(b.holds), b.capacity_kib * 1024, b.double_buffered,
                            port, 8.0 * _read_pj_per_bit(b, scale),
                            8.0 * _write_pj_per_bit(b, scale)))
    holder = {op: next(i for i, lv in enumerate(levels) if op in lv.holds) for op in OPERANDS}
    rf = [b for b in arch.buffers if b.per_pe]
    ic = arch.interconnect
    wire = (ic.energy_pj_per_bit_mm if ic.energy_pj_per_bit_mm is not None
            else wire_pj_per_bit_mm(arch.technology_nm))
    path = 0.0
    if ic.topology == "graph":
        if not ic.edges:
            raise SpecError("topology 'graph' needs an explicit PE graph",
                            field="interconnect.edges")
        path = graph_path_length(ic.edges, arch.pe_count)
    energy = arch.energy
    silicon = component_silicon(arch)
    area = silicon.area_mm2 if silicon is not None else {}
    if isinstance(comp, TensorCoreCompute) and comp.die_area_mm2 is not None:
        area = {"die": comp.die_area_mm2}
    leakage = silicon.leakage_w if silicon is not None else 0.0
    resources = None
    if isinstance(comp, FpgaCompute) and comp.device is not None:
        resources = design_resources(arch, comp.device)
        if resources.overflow():
            raise SpecError(f"the design does not fit {comp.device}: "
                            + "; ".join(resources.overflow()), field="compute.device")
    chip_static = arch.static_power_w if arch.static_power_w is not None else leakage
    return Hardware(
        name=arch.name,
        kind=arch.kind,
        clock_hz=clock,
        num_pes=arch.num_pes,
        compute=comp,
        sparsity=arch.sparsity,
        precisions=tuple(arch.precisions),
        dram_bytes_per_s=arch.dram.bandwidth_gbps * 1e9 * arch.dram.achievable_fraction,
        dram_write_bytes_per_s=(arch.dram.bandwidth_gbps * 1e9 * arch.dram.write_fraction
                                if arch.dram.write_fraction is not None else None),
        dram_pj_per_byte=8.0 * arch.dram.energy_pj_per_bit,
        burst_bytes=arch.dram.burst_bytes,
        levels=tuple(levels),
        holder=holder,
        rf_pj_per_byte=8.0 * _read_pj_per_bit(rf[0], scale) if rf else None,
        overlap=comp.overlaps_transfers or all(lv.double_buffered for lv in levels),
        overlap_exponent=comp.memory_overlap_exponent(),
        mac_pj={p: energy.mac_pj.get(p, MAC_PJ_45NM[p] * scale) for p in arch.precisions},
        alu_pj={p: energy.alu_op_pj.get(p, ALU_OP_PJ_45NM[p] * scale) for p in arch.precisions},
        topology=ic.topology,
        hop_pj_per_bit=ic.hop_mm * wire,
        graph_path_hops=path,
        static_w=chip_static + arch.dram.static_power_w,
        launch_s=comp.launch_overhead_s,
        vector_lanes=comp.lanes_for_vectors(clock),
        area_mm2=area,
        leakage_w=leakage,
        resources=resources,
        link=_link(arch),
        pe_bytes={op: b.capacity_kib * 1024 for b in rf for op in b.holds},
        pipeline_fill_cycles=comp.pipeline_fill_cycles(),
        dram_startup_s=arch.dram.transfer_latency_cycles / clock,
    )


def _link(arch: ArchSpec) -> Link | None:
    if arch.link is None:
        return None
    lk = arch.link
    return Link(lk.bandwidth_gbps * 1e9, 8.0 * lk.energy_pj_per_bit, NCCL_RING[lk.kind])
