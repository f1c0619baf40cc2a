"""From activity counts to latency and an energy breakdown, for one layer.

Latency: compute, DRAM and each buffer's port time overlap when every global buffer is
double-buffered, so the slowest sets the pace; the first tiles in and the last tile out cannot
overlap and are added. Without double buffering, compute and DRAM time add up.
Energy: counts x per-access energies, plus static power x latency. The components add up to the
total by construction (``LayerCost.energy_j`` is their sum).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hwsim.arch.spec import OPERANDS, ArchSpec
from hwsim.model.array import ArrayCost
from hwsim.model.dram import access_energy_j
from hwsim.model.interconnect import hop_energy_j
from hwsim.model.mapper import Mapping
from hwsim.model.sparse import DENSE, SparseEffect


@dataclass(frozen=True)
class LayerCost:
    """Latency, energy by component and the quantities behind them, for one layer."""

    latency_s: float
    compute_s: float
    dram_s: float
    bound: str
    energy_breakdown_j: dict[str, float]
    dram_bytes: float
    macs: float
    compute_cycles: float
    utilization: float
    mapping: dict[str, object] = field(default_factory=dict)
    density: float = 1.0
    input_density: float = 1.0
    effective_macs: float | None = None  # MACs with both operands nonzero (None: = macs)
    skipped_macs: float = 0.0
    metadata_bytes: float = 0.0
    imbalance: float = 1.0
    note: str = ""

    @property
    def energy_j(self) -> float:
        return float(sum(self.energy_breakdown_j.values()))


def energy_keys(arch: ArchSpec) -> list[str]:
    """Energy components reported for ``arch``, in a stable order."""
    keys = ["mac", "alu", "register_file"]
    keys += [b.name for b in arch.buffers if not b.per_pe]
    return [*keys, "interconnect", "dram", "metadata", "static"]


def empty_breakdown(arch: ArchSpec) -> dict[str, float]:
    return dict.fromkeys(energy_keys(arch), 0.0)


def buffer_port_times(arch: ArchSpec, reads: dict[str, float], writes: dict[str, float]
                      ) -> dict[str, float]:
    """Seconds each bandwidth-limited global buffer needs for its reads + writes (bytes)."""
    return {
        b.name: (reads.get(b.name, 0.0) + writes.get(b.name, 0.0))
        / (b.bandwidth_bytes_per_cycle * arch.clock_hz)
        for b in arch.buffers
        if not b.per_pe and b.bandwidth_bytes_per_cycle is not None and b.name in reads
    }


def add_buffer_energy(arch: ArchSpec, reads: dict[str, float], writes: dict[str, float],
                      e: dict[str, float]) -> None:
    """Charge each global buffer's read and write bytes to its component of ``e``."""
    for b in arch.buffers:
        if b.per_pe or b.name not in reads:
            continue
        e[b.name] = (reads[b.name] * 8 * arch.read_pj_per_bit(b)
                     + writes.get(b.name, 0.0) * 8 * arch.write_pj_per_bit(b)) * 1e-12


def combine_latency(
    arch: ArchSpec, compute_s: float, dram_s: float, buffer_s: dict[str, float],
    exposed_s: float,
) -> tuple[float, str]:
    """Layer latency and what bounds it ('compute', 'dram' or a buffer name)."""
    overlap = all(b.double_buffered for b in arch.buffers if not b.per_pe)
    terms = {"compute": compute_s, "dram": dram_s, **buffer_s}
    bound = max(terms, key=lambda k: terms[k])
    if overlap:
        return terms[bound] + exposed_s, bound
    return max(compute_s, *buffer_s.values(), 0.0) + dram_s, bound


def mac_layer_cost(
    arch: ArchSpec, array: ArrayCost, mapping: Mapping, elem_bytes: float, psum_bytes: float,
    mac_pj: float, static_w: float, eff: SparseEffect = DENSE,
) -> LayerCost:
    """Assemble latency and energy of a MAC layer from its array activity (with sparsity already
    applied) and DRAM mapping. ``eff`` says which MACs were issued and toggled, and which share
    of the weight/input bytes is format metadata (charged to the 'metadata' component)."""
    clk = arch.clock_hz
    bw = arch.dram.bandwidth_gbps * 1e9
    compute_s = array.cycles / clk
    dram_bytes = mapping.total_dram_bytes
    dram_s = dram_bytes / bw

    # Bytes read from / written to each global buffer.
    reads: dict[str, float] = {}
    writes: dict[str, float] = {}
    for op in OPERANDS:
        name = arch.buffer_for(op).name
        size = psum_bytes if op == "outputs" else elem_bytes
        r = array.buffer_reads.get(op, 0.0) * size
        w = array.buffer_writes.get(op, 0.0) * size + mapping.buffer_fill_bytes.get(op, 0.0)
        if op == "outputs":
            # Results and spilled partial sums leave for DRAM (the spill comes back as a fill).
            r += mapping.dram_useful_bytes["outputs"] - mapping.buffer_fill_bytes["outputs"]
        reads[name] = reads.get(name, 0.0) + r
        writes[name] = writes.get(name, 0.0) + w
    buffer_s = buffer_port_times(arch, reads, writes)
    latency, bound = combine_latency(arch, compute_s, dram_s, buffer_s, mapping.exposed_bytes / bw)

    e = empty_breakdown(arch)
    e["mac"] = array.macs * eff.issued * eff.toggling * mac_pj * 1e-12
    rf = [b for b in arch.buffers if b.per_pe]
    if rf and array.rf_accesses:
        rf_pj = arch.read_pj_per_bit(rf[0])
        # Of every three register accesses per MAC, one is the partial sum (accumulator width).
        width = (2 * elem_bytes + psum_bytes) / 3
        e["register_file"] = array.rf_accesses * width * 8 * rf_pj * 1e-12
    add_buffer_energy(arch, reads, writes, e)
    e["interconnect"] = hop_energy_j(array.hop_bits, arch)
    meta = (mapping.dram_bytes["weights"] * eff.weight_meta_share
            + mapping.dram_bytes["inputs"] * eff.input_meta_share)
    e["dram"] = access_energy_j(dram_bytes - meta, arch.dram)
    e["metadata"] = access_energy_j(meta, arch.dram)
    e["static"] = static_w * latency
    useful = array.macs * eff.useful
    return LayerCost(
        latency_s=latency,
        compute_s=compute_s,
        dram_s=dram_s,
        bound=bound,
        energy_breakdown_j=e,
        dram_bytes=dram_bytes,
        macs=array.macs,
        compute_cycles=array.cycles,
        utilization=useful / (array.cycles * array.num_pes) if array.cycles else 0.0,
        mapping={"order": mapping.order, "tile": mapping.tile, "candidates": mapping.candidates},
        density=eff.density,
        input_density=eff.input_density,
        effective_macs=useful,
        skipped_macs=array.macs * (1.0 - eff.issued),
        metadata_bytes=meta,
        imbalance=eff.imbalance,
        note=eff.note,
    )
