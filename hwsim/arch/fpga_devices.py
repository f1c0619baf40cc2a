"""FPGA devices a design can be placed on: their resources and the cost of each operation.

Each entry cites where its counts come from ([datasheet] vendor documents, [paper] a paper's
utilisation table, [repo] a public tool's device file, [recalled] remembered, not re-read).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RamBlock:
    """One kind of on-chip RAM block: data bits and the widest data port (bits)."""

    name: str
    bits: int  # data bits (parity bits excluded)
    max_width: int


@dataclass(frozen=True)
class FpgaDevice:
    """Resource counts of one device and what one MAC costs in DSP blocks per precision."""

    name: str
    family: str
    dsp: int
    ram: dict[str, int]  # RAM block name -> count
    lut: int
    ff: int
    dsp_per_mac: dict[str, float]
    blocks: tuple[RamBlock, ...]  # RAM block kinds, smallest first
    source: str


#: Xilinx 7-series block RAM: RAMB18E1 18 Kb (16 Kb data at x16/x32 widths), simple dual-port
#: up to 512 x 36 (UG473, UG953) [datasheet].
BRAM18 = RamBlock("bram18", 16 * 1024, 32)
#: UltraScale+ UltraRAM: 288 Kb as 4K x 72 (UG949, UG573) [datasheet].
URAM = RamBlock("uram", 256 * 1024, 64)
#: Intel M20K: 20 Kb with parity, 16 Kb data at x16/x32, up to 512 x 40 (Arria 10 Core Fabric
#: Handbook, 2.4.1) [datasheet].
M20K = RamBlock("m20k", 16 * 1024, 32)

#: DSP blocks per MAC on Xilinx DSP48E1 (7-series): fp32 multiply 3 + add 2 with the
#: Floating-Point Operator at full DSP usage (Zhang FPGA'15: 448 fp32 MACs on 2,240 DSPs
#: [paper]); fp16 multiply 1 + add 1 [recalled]; int16/int8 one 25x18 multiplier each (7-series
#: int8 packing needs correction logic: one per DSP, conservatively) [datasheet WP486].
XILINX_7_DSP_PER_MAC = {"fp32": 5.0, "tf32": 5.0, "fp16": 2.0, "bf16": 2.0, "int16": 1.0,
                        "int8": 1.0, "int4": 1.0, "fp8": 1.0}
#: DSP48E2 (UltraScale/UltraScale+): as 7-series, but two int8 MACs sharing a weight per DSP
#: (Xilinx WP486/WP487: 1.75-2 on average) [datasheet].
XILINX_US_DSP_PER_MAC = {**XILINX_7_DSP_PER_MAC, "int8": 0.5, "int4": 0.5, "fp8": 0.5}
#: Intel Arria 10 variable-precision DSP: one hardened IEEE fp32 multiply-add per block, two
#: 18x19 multipliers per block for int16/int8 (Arria 10 Core Fabric Handbook, 3.2) [datasheet].
INTEL_A10_DSP_PER_MAC = {"fp32": 1.0, "tf32": 1.0, "fp16": 1.0, "bf16": 1.0, "int16": 0.5,
                         "int8": 0.5, "int4": 0.5, "fp8": 0.5}

DEVICES: dict[str, FpgaDevice] = {
    # DS180 counts, as the denominators of Zhang FPGA'15's utilisation table [paper].
    "xc7vx485t": FpgaDevice("xc7vx485t", "Virtex-7 (VC707)", dsp=2800, ram={"bram18": 2060},
                            lut=303_600, ff=607_200,
                            dsp_per_mac=XILINX_7_DSP_PER_MAC, blocks=(BRAM18,),
                            source="Xilinx DS180; Zhang et al. FPGA'15 Table 4"),
    # Arria 10 GX/GT 1150: 1,518 DSP blocks, 2,713 M20K, 427,200 ALMs (2 LUTs, 4 registers
    # each) [datasheet: Intel PAC N3000 user guide; Arria 10 Core Fabric Handbook].
    "10ax115": FpgaDevice("10ax115", "Arria 10 GX 1150", dsp=1518, ram={"m20k": 2713},
                          lut=854_400, ff=1_708_800,
                          dsp_per_mac=INTEL_A10_DSP_PER_MAC, blocks=(M20K,),
                          source="Intel Arria 10 Core Fabric Handbook; PAC N3000 user guide"),
    # ZU9EG: 2,520 DSP48E2, 912 BRAM36 (= 1,824 BRAM18), 274,080 LUTs, 548,160 FFs
    # [repo: stanford-ppl/spatial ZCU.scala; DS891].
    "xczu9eg": FpgaDevice("xczu9eg", "Zynq UltraScale+ ZU9EG (ZCU102)", dsp=2520,
                          ram={"bram18": 1824}, lut=274_080, ff=548_160,
                          dsp_per_mac=XILINX_US_DSP_PER_MAC, blocks=(BRAM18,),
                          source="Xilinx DS891; stanford-ppl/spatial ZCU.scala"),
    # Alveo U250, what the xdma_201830_2 shell leaves to user logic over its 4 SLRs: 11,508 DSPs,
    # 2,000 BRAM36, 1,280 URAM, ~1.38 M LUTs, ~2.8 M FFs [repo: Xtra-Computing/ThunderGP
    # xilinx_u250_xdma_201830_2.h]; the full device has 12,288 DSPs (DS962) [recalled].
    "xcu250": FpgaDevice("xcu250", "Alveo U250 (user region)", dsp=11_508,
                         ram={"bram18": 4000, "uram": 1280}, lut=1_380_000, ff=2_812_000,
                         dsp_per_mac=XILINX_US_DSP_PER_MAC,
                         blocks=(BRAM18, URAM),
                         source="Xilinx DS962; ThunderGP U250 shell device file"),
}
