"""The one place where activity counts become latency and energy.

The mapper ranks its candidate tilings, the GPU model its kernels and the scratchpad model its
inner loops with these functions, and the report states the chosen one with the very same
functions: there is one formula per cost. Every count may be a NumPy array (one entry per
candidate) or a float; the arithmetic is the same elementwise.

Latency: when transfers overlap compute (every global buffer double-buffered, or a GPU's
warps), the slowest of compute, DRAM and each buffer port sets the pace, and the transfers that
cannot overlap (first tiles in, last tile out) are added. DRAM time is the bytes at the sustained
bandwidth plus, where the arch declares a transfer latency, that start-up once per tile
transfer (the first tiles' start-ups are exposed with them). Where the arch declares an overlap
exponent p (a GPU generation's kernels, fitted at the roofline ridge), compute and DRAM
combine as (compute^p + dram^p)^(1/p) instead of the larger of the two. Otherwise DRAM time
adds to the slower of compute and the ports. A fixed start-up (a kernel launch) is added either way.
A device-to-device collective (tensor parallelism) is a time term of its own.
Energy: counts x per-access energies, plus static power x latency; the components add up to
the total by construction.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import numpy as np

from hwsim.arch.hardware import Hardware
from hwsim.choices import OBJECTIVES
from hwsim.model.dram import access_energy_j, transfer_time_s
from hwsim.model.interconnect import hop_energy_j
from hwsim.model.num import Num


@dataclass(frozen=True)
class Counts:
    """What one layer does on one accelerator, in counts (arrays over candidates, or floats).

    Buffer traffic is in bytes per global buffer name; ``dram_bytes`` is what DRAM moves (burst
    rounded, metadata included), ``dram_meta_bytes`` the metadata part of it and
    ``dram_write_bytes`` the part written.
    """

    precision: str
    compute_cycles: Num
    overlap: bool  # transfers overlap compute (the producer says, normally hw.overlap)
    dram_bytes: Num = 0.0
    dram_meta_bytes: Num = 0.0
    dram_write_bytes: Num = 0.0  # the part of dram_bytes written back (outputs, spills)
    buffer_read_bytes: Mapping[str, Num] = field(default_factory=dict)
    buffer_write_bytes: Mapping[str, Num] = field(default_factory=dict)
    mac_ops: Num = 0.0  # MACs that switch (issued and not gated)
    alu_ops: Num = 0.0  # element-wise operations
    rf_bytes: Num = 0.0  # per-PE register-file bytes accessed
    hop_bits: Num = 0.0  # bit-hops on the array interconnect
    exposed_bytes: Num = 0.0  # DRAM transfers that cannot overlap compute
    dram_transfers: Num = 0.0  # tile transfers to or from DRAM, each paying hw.dram_startup_s
    exposed_transfers: float = 0.0  # of those, the ones that cannot overlap compute
    fixed_s: float = 0.0  # start-up that nothing hides (kernel launch)
    link_bytes: Num = 0.0  # bytes each device sends over its device-to-device link
    link_steps: Num = 0.0  # sequential message steps on that link (each pays its latency)


def kernel_launch_s(hw: Hardware, on_chip: Collection[str]) -> float:
    """Fixed start-up of a layer's kernel: none when it reads an operand a declared fusion
    keeps on chip (it runs inside its producer's kernel, as FlashAttention's softmax and
    P @ V do)."""
    return 0.0 if set(on_chip) & {"inputs", "weights"} else hw.launch_s


def time_terms(hw: Hardware, c: Counts) -> dict[str, Num]:
    """Seconds each resource needs: 'compute', 'dram', every port-limited global buffer,
    'link' (device-to-device transfers) and 'launch' (the fixed start-up) where there are."""
    terms: dict[str, Num] = {
        "compute": c.compute_cycles / hw.clock_hz,
        "dram": transfer_time_s(c.dram_bytes, hw, c.dram_write_bytes),
    }
    if hw.dram_startup_s > 0:  # each tile transfer waits for its first data (AXI latency)
        terms["dram"] = terms["dram"] + c.dram_transfers * hw.dram_startup_s
    for lv in hw.levels:
        if lv.port_bytes_per_s is not None and _touches(c, lv.name):
            moved = c.buffer_read_bytes.get(lv.name, 0.0) + c.buffer_write_bytes.get(lv.name, 0.0)
            terms[lv.name] = moved / lv.port_bytes_per_s
    if hw.link is not None and _positive(c.link_bytes, c.link_steps):
        # The collective library's fastest protocol for this message (hwsim.arch.links).
        terms["link"] = _smallest([
            pr.base_s + c.link_steps * pr.step_s
            + c.link_bytes / (hw.link.bytes_per_s * pr.bandwidth_share)
            for pr in hw.link.protocols])
    if c.fixed_s > 0:
        terms["launch"] = c.fixed_s
    return terms


def _smallest(values: list[Num]) -> Num:
    """Elementwise minimum of several counts (plain min for floats)."""
    if all(isinstance(v, float) for v in values):
        return min(values)
    out = values[0]
    for v in values[1:]:
        out = np.minimum(out, v)
    return out


def _positive(*counts: Num) -> bool:
    """Whether any count is positive (a float test on the common scalar path)."""
    return any(x > 0 if isinstance(x, float) else bool(np.any(np.asarray(x) > 0))
               for x in counts)


def _touches(c: Counts, level: str) -> bool:
    return level in c.buffer_read_bytes or level in c.buffer_write_bytes


def latency_s(hw: Hardware, c: Counts, terms: Mapping[str, Num] | None = None) -> Num:
    """Layer latency, seconds, from its time terms (see the module docstring)."""
    t = time_terms(hw, c) if terms is None else terms
    if c.overlap:
        slowest = overlapped(t["compute"], t["dram"], hw.overlap_exponent)
        for k, v in t.items():
            if k not in ("compute", "dram", "launch"):
                slowest = _larger(slowest, v)
        exposed = transfer_time_s(c.exposed_bytes, hw) + c.exposed_transfers * hw.dram_startup_s
        return slowest + exposed + c.fixed_s
    on_chip: Num = t["compute"]
    for k, v in t.items():
        if k not in ("compute", "dram", "launch"):
            on_chip = _larger(on_chip, v)
    return on_chip + t["dram"] + c.fixed_s


def overlapped(compute: Num, dram: Num, p: float | None) -> Num:
    """Seconds of math and DRAM transfers that overlap: the larger of the two when the overlap
    is ideal (``p`` None), else their p-norm (compute^p + dram^p)^(1/p), which equals the
    larger where one dominates and exceeds it by up to 2^(1/p) where they balance, as a GPU
    kernel at its roofline ridge cannot keep math and memory both busy."""
    if p is None:
        return _larger(compute, dram)
    if isinstance(compute, (int, float)) and isinstance(dram, (int, float)):
        hi, lo = float(max(compute, dram)), float(min(compute, dram))
        return hi * (1.0 + (lo / hi) ** p) ** (1.0 / p) if hi > 0 else 0.0
    hi_a, lo_a = np.maximum(compute, dram), np.minimum(compute, dram)
    safe = np.where(hi_a > 0, hi_a, 1.0)
    return np.where(hi_a > 0, hi_a * (1.0 + (lo_a / safe) ** p) ** (1.0 / p), 0.0)


def _larger(a: Num, b: Num) -> Num:
    """Elementwise maximum; plain max for two floats (one mapping: no array overhead)."""
    if isinstance(a, float) and isinstance(b, float):
        return max(a, b)
    return np.maximum(a, b)


def bound_of(terms: Mapping[str, float]) -> str:
    """What sets the pace: 'compute', 'dram', a buffer's name or 'launch' (the largest time
    term)."""
    return max(terms, key=lambda k: terms[k])


def energy_breakdown_j(hw: Hardware, c: Counts, latency: Num) -> dict[str, Num]:
    """Energy by component, joules: mac, alu, register_file, each global buffer,
    interconnect, dram, metadata (DRAM traffic of format metadata), static."""
    e: dict[str, Num] = dict.fromkeys(energy_keys(hw), 0.0)
    e["mac"] = c.mac_ops * hw.mac_pj[c.precision] * 1e-12
    e["alu"] = c.alu_ops * hw.alu_pj[c.precision] * 1e-12
    if hw.rf_pj_per_byte is not None:
        e["register_file"] = c.rf_bytes * hw.rf_pj_per_byte * 1e-12
    for lv in hw.levels:
        if _touches(c, lv.name):
            e[lv.name] = (c.buffer_read_bytes.get(lv.name, 0.0) * lv.read_pj_per_byte
                          + c.buffer_write_bytes.get(lv.name, 0.0) * lv.write_pj_per_byte) * 1e-12
    e["interconnect"] = hop_energy_j(c.hop_bits, hw)
    e["dram"] = access_energy_j(c.dram_bytes - c.dram_meta_bytes, hw)
    e["metadata"] = access_energy_j(c.dram_meta_bytes, hw)
    if hw.link is not None:
        e["link"] = c.link_bytes * hw.link.pj_per_byte * 1e-12
    e["static"] = hw.static_w * latency
    return e


def energy_keys(hw: Hardware) -> list[str]:
    """Energy components reported for ``hw``, in a stable order."""
    link = ["link"] if hw.link is not None else []
    return ["mac", "alu", "register_file", *(lv.name for lv in hw.levels), "interconnect",
            "dram", "metadata", *link, "static"]


def score(objective: str, latency: Num, energy: Num) -> Num:
    """The quantity an objective minimises: latency (s), energy (J) or their product (J s)."""
    if objective == "latency":
        return latency
    if objective == "energy":
        return energy
    if objective == "edp":
        return latency * energy
    raise ValueError(f"unknown objective '{objective}', expected one of {OBJECTIVES}")


def secondary(objective: str, latency: Num, energy: Num) -> Num:
    """Tie-breaker among candidates equal under ``objective``: energy for latency, else
    latency (a compute-bound layer hides any tiling; then the fewest joules win)."""
    return energy if objective in ("latency", "edp") else latency
