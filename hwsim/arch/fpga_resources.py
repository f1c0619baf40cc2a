"""What an FPGA design occupies on its device: DSP blocks for the MAC array, RAM blocks for
the buffers, and LUTs and flip-flops of the fabric, against the device's counts.

DSPs: every unrolled MAC is built for the arch's costliest precision (DSPs per MAC from the
device table, rounded up over the array). RAM: each buffer bank is as wide as one element of
the widest precision (or its share of ``bandwidth_bytes_per_cycle``) and holds capacity/banks;
a bank takes enough blocks for its width and for its bits, of the device's largest block that
the bank fills (UltraRAM only for banks of at least one UltraRAM).

LUTs and flip-flops are estimates in three parts (hwsim.arch.fpga_devices for the per-MAC and
board figures and their sources):
* arithmetic: per MAC, the multiplier and the adder that reduces its product (an adder-tree
  node or the accumulator), from the device family's table for the costliest precision;
* buffers: per bank, a read and a write address generator (counter, bound compare, address
  register) as wide as the bank's address;
* infrastructure: memory controller, interconnect and control of the board design, per device.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hwsim.arch.fpga_devices import DEVICES, FpgaDevice, RamBlock
from hwsim.precision import bytes_per_element

if TYPE_CHECKING:
    from hwsim.arch.spec import ArchSpec


#: Address-generator logic per address bit [tool]: Vitis HLS 2023.1 on a 7-series part
#: (xc7z020) estimates a 9-bit adder and a 9-bit comparator at 14 LUTs each and 32-bit ones at
#: 39 LUTs each (angerpro1411/TECTONIC MeanShiftFiltering_csynth.rpt, add_ln14, cmp1833,
#: add_ln31, icmp_ln14): LUTs = bits + 5 to bits + 7, taken as bits + 5 per operator. A generator
#: is a counter adder and its bound compare (2 x (bits + 5) LUTs) and the address register (one
#: flip-flop per bit).
ADDRESS_OPERATOR_LUT_OVERHEAD = 5
#: Address generators per bank: one read, one write (ping-pong halves share them) [assumed].
ADDRESS_GENERATORS_PER_BANK = 2


@dataclass(frozen=True)
class FpgaResources:
    """Blocks a design uses and the device has, by resource ('dsp', 'bram18', 'm20k', 'uram'),
    and the fabric it uses and the device has ('lut', 'ff'), with the fabric by part
    ('arithmetic', 'buffers', 'infrastructure' -> {'lut': n, 'ff': n})."""

    device: str
    used: dict[str, int]
    available: dict[str, int]
    fabric_used: dict[str, int] = field(default_factory=dict)
    fabric_available: dict[str, int] = field(default_factory=dict)
    fabric_parts: dict[str, dict[str, int]] = field(default_factory=dict)

    def _all(self) -> tuple[dict[str, int], dict[str, int]]:
        return {**self.used, **self.fabric_used}, {**self.available, **self.fabric_available}

    @property
    def utilisation(self) -> dict[str, float]:
        """Fraction of each resource (blocks and fabric) the design uses."""
        used, avail = self._all()
        return {k: used[k] / avail[k] for k in used if avail.get(k)}

    def overflow(self) -> list[str]:
        """'resource: used > available' for every resource (blocks, then LUTs and flip-flops) the
        design exceeds."""
        used, avail = self._all()
        return [f"{k}: {u:,} > {avail.get(k, 0):,}" for k, u in used.items()
                if u > avail.get(k, 0)]


def _block_for(dev: FpgaDevice, bank_bits: float) -> RamBlock:
    big = [b for b in dev.blocks if b.bits <= bank_bits]
    return max(big, key=lambda b: b.bits) if big else dev.blocks[0]


def address_bits(bank_bits: float, width_bits: float) -> int:
    """Address width of a bank of ``bank_bits`` read ``width_bits`` at a time."""
    return max(1, math.ceil(math.log2(max(bank_bits / width_bits, 2.0))))


def address_logic(bits: int) -> tuple[int, int]:
    """LUTs and flip-flops of the address generators of one bank with ``bits`` address bits."""
    per_gen_lut = 2 * (bits + ADDRESS_OPERATOR_LUT_OVERHEAD)
    return ADDRESS_GENERATORS_PER_BANK * per_gen_lut, ADDRESS_GENERATORS_PER_BANK * bits


def design_resources(arch: ArchSpec, device: str) -> FpgaResources:
    """DSP and RAM blocks, LUTs and flip-flops of the FPGA design ``arch`` on ``device`` (a
    DEVICES key)."""
    dev = DEVICES[device]
    dsp_each = max(dev.dsp_per_mac[p] for p in arch.precisions)
    used: dict[str, int] = {"dsp": math.ceil(arch.num_pes * dsp_each)}
    elem_bits = 8 * max(bytes_per_element(p) for p in arch.precisions)
    buf_lut = buf_ff = 0
    for b in arch.buffers:
        if b.per_pe:
            continue
        bank_bits = b.capacity_kib * 1024 * 8 / b.banks
        width = elem_bits
        if b.bandwidth_bytes_per_cycle is not None:
            width = max(width, b.bandwidth_bytes_per_cycle * 8 / b.banks)
        block = _block_for(dev, bank_bits)
        per_bank = max(math.ceil(width / block.max_width), math.ceil(bank_bits / block.bits))
        used[block.name] = used.get(block.name, 0) + b.banks * per_bank
        lut, ff = address_logic(address_bits(bank_bits, width))
        buf_lut += b.banks * lut
        buf_ff += b.banks * ff
    available = {"dsp": dev.dsp, **dev.ram}
    mac_lut = max(dev.lut_per_mac.get(p, 0.0) for p in arch.precisions)
    mac_ff = max(dev.ff_per_mac.get(p, 0.0) for p in arch.precisions)
    parts = {
        "arithmetic": {"lut": math.ceil(arch.num_pes * mac_lut),
                       "ff": math.ceil(arch.num_pes * mac_ff)},
        "buffers": {"lut": buf_lut, "ff": buf_ff},
        "infrastructure": {"lut": dev.infra_lut, "ff": dev.infra_ff},
    }
    fabric = {k: sum(part[k] for part in parts.values()) for k in ("lut", "ff")}
    return FpgaResources(device, used, available, fabric, {"lut": dev.lut, "ff": dev.ff},
                         parts)
