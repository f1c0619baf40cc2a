"""What an FPGA design occupies on its device: DSP blocks for the MAC array and RAM blocks for
the buffers, against the device's counts.

DSPs: every unrolled MAC is built for the arch's costliest precision (DSPs per MAC from the
device table, rounded up over the array). RAM: each buffer bank is as wide as one element of
the widest precision (or its share of ``bandwidth_bytes_per_cycle``) and holds capacity/banks;
a bank takes enough blocks for its width and for its bits, of the device's largest block that
the bank fills (UltraRAM only for banks of at least one UltraRAM).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hwsim.arch.fpga_devices import DEVICES, FpgaDevice, RamBlock
from hwsim.precision import bytes_per_element

if TYPE_CHECKING:
    from hwsim.arch.spec import ArchSpec


@dataclass(frozen=True)
class FpgaResources:
    """Blocks a design uses and the device has, by resource ('dsp', 'bram18', 'm20k', 'uram')."""

    device: str
    used: dict[str, int]
    available: dict[str, int]

    @property
    def utilisation(self) -> dict[str, float]:
        """Fraction of each resource the design uses."""
        return {k: self.used[k] / self.available[k] for k in self.used if self.available.get(k)}

    def overflow(self) -> list[str]:
        """'resource: used > available' for every resource the design exceeds."""
        return [f"{k}: {u:,} > {self.available.get(k, 0):,}" for k, u in self.used.items()
                if u > self.available.get(k, 0)]


def _block_for(dev: FpgaDevice, bank_bits: float) -> RamBlock:
    big = [b for b in dev.blocks if b.bits <= bank_bits]
    return max(big, key=lambda b: b.bits) if big else dev.blocks[0]


def design_resources(arch: ArchSpec, device: str) -> FpgaResources:
    """DSP and RAM blocks of the FPGA design ``arch`` on ``device`` (a DEVICES key)."""
    dev = DEVICES[device]
    dsp_each = max(dev.dsp_per_mac[p] for p in arch.precisions)
    used: dict[str, int] = {"dsp": math.ceil(arch.num_pes * dsp_each)}
    elem_bits = 8 * max(bytes_per_element(p) for p in arch.precisions)
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
    available = {"dsp": dev.dsp, **dev.ram}
    return FpgaResources(device, used, available)
