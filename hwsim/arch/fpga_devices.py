"""FPGA devices a design can be placed on: their resources and the cost of each operation.

Each entry cites where its counts come from ([datasheet] vendor documents, [paper] a paper's
utilisation table, [repo] a public tool's device file, [netlist] primitives counted in a public
synthesized netlist, [tool] a vendor tool's report found in a public repository, [derived]
arithmetic on cited figures, [recalled] remembered, not re-read, [assumed] a modelling choice).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RamBlock:
    """One kind of on-chip RAM block: data bits and the widest data port (bits)."""

    name: str
    bits: int  # data bits (parity bits excluded)
    max_width: int


@dataclass(frozen=True)
class FpgaDevice:
    """Resource counts of one device and what one MAC costs in DSP blocks, LUTs and flip-flops
    per precision; ``infra_lut``/``infra_ff`` are the fabric the rest of a board design takes
    (memory controller, interconnect, control)."""

    name: str
    family: str
    dsp: int
    ram: dict[str, int]  # RAM block name -> count
    lut: int
    ff: int
    dsp_per_mac: dict[str, float]
    blocks: tuple[RamBlock, ...]  # RAM block kinds, smallest first
    source: str
    lut_per_mac: dict[str, float] = field(default_factory=dict)
    ff_per_mac: dict[str, float] = field(default_factory=dict)
    infra_lut: int = 0
    infra_ff: int = 0


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

# --- LUTs and flip-flops of one MAC (multiplier + its adder-tree/accumulator adder) ------------
#: Xilinx Floating-Point Operator, fp32 multiply at maximum DSP usage (3 DSP48E1), 7-series:
#: 125 LUTs (110 logic: 13 LUT2, 8 LUT3, 35 LUT4, 5 LUT5, 49 LUT6; 15 SRLC16E shift registers)
#: and 106 flip-flops (31 FD, 75 FDE) [netlist]: the CORE Generator (ISE 14.5) netlist of the
#: core for an xc7z100, primitives counted in jameshegarty/rigel
#: misc/mul_float32_float32_float32.v (commit b767ec00).
FP32_MULT_MAX_DSP_LUT_FF = (125, 106)
#: The same core's fp32 add at full DSP usage (2 DSP48E1, "ADDSUB_OP.SPEED_OP.DSP"): 286 LUTs
#: (272 logic, 14 SRLC16E) and 317 flip-flops (23 FD, 286 FDE, 8 FDRE) [netlist]
#: (rigel misc/add_float32_float32_float32.v, same commit). 3 + 2 DSPs is the 5 per MAC of
#: Zhang FPGA'15. Not used: Vitis HLS 2023.1's pre-synthesis estimate of the same two cores on
#: 7-series (fmul_32ns_32ns_32_4_max_dsp 321 LUT / 143 FF, fadd_32ns_32ns_32_5_full_dsp
#: 390 LUT / 205 FF; angerpro1411/TECTONIC MeanShiftFiltering_csynth.rpt, xc7z020) [tool], an
#: estimate rather than what the core synthesizes to; it is 1.7x the netlists in LUTs (448 MACs
#: at 711 LUTs would not fit the xc7vx485t at all).
FP32_ADD_FULL_DSP_LUT_FF = (286, 317)
_FP32_MAC_LUT = FP32_MULT_MAX_DSP_LUT_FF[0] + FP32_ADD_FULL_DSP_LUT_FF[0]  # 411
_FP32_MAC_FF = FP32_MULT_MAX_DSP_LUT_FF[1] + FP32_ADD_FULL_DSP_LUT_FF[1]  # 423
#: Integer MACs sit whole in a DSP48 (multiplier, post-adder and accumulator register): Vitis
#: HLS maps a 16 x 16 + accumulate to mac_muladd_16s_16s_16ns_16_4_1 with 1 DSP, 0 LUT, 0 FF on
#: a Kintex-7 (enzobelline/ELEN226 Assignment2 inner_product_csynth.rpt, xc7k160t) [tool].
#: The correction logic of two int8 MACs packed in one DSP48E2 (WP486) is not counted.
_INT_MAC_LUT_FF = (0, 0)
#: Xilinx LUTs / flip-flops per MAC by precision. fp16, bf16 and fp8 take the fp32 core figures
#: [assumed: upper bound; no half-precision core figure was found]; tf32 runs on fp32 cores.
#: UltraScale(+) (DSP48E2) uses the 7-series figures [assumed: same core architecture].
XILINX_LUT_PER_MAC = {p: float(_FP32_MAC_LUT) for p in ("fp32", "tf32", "fp16", "bf16", "fp8")}
XILINX_LUT_PER_MAC |= {p: float(_INT_MAC_LUT_FF[0]) for p in ("int16", "int8", "int4")}
XILINX_FF_PER_MAC = {p: float(_FP32_MAC_FF) for p in ("fp32", "tf32", "fp16", "bf16", "fp8")}
XILINX_FF_PER_MAC |= {p: float(_INT_MAC_LUT_FF[1]) for p in ("int16", "int8", "int4")}
#: Intel Arria 10: the variable-precision DSP block has a fully hardened IEEE 754 single
#: precision multiply, add, multiply-add and multiply-accumulate, and two 18 x 19 multipliers
#: with a built-in adder and 64-bit accumulator for fixed point (Arria 10 Core Fabric Handbook
#: 3.2 and Device Overview, "Variable-Precision DSP Block") [datasheet]: no soft logic per MAC.
INTEL_A10_LUT_PER_MAC = {p: 0.0 for p in INTEL_A10_DSP_PER_MAC}
INTEL_A10_FF_PER_MAC = {p: 0.0 for p in INTEL_A10_DSP_PER_MAC}

# --- the rest of a board design -----------------------------------------------------------------
#: A soft DDR3/DDR4 memory controller and PHY in the fabric (the 7-series MIG a VC707 design
#: instantiates), LUTs and flip-flops [assumed: order of magnitude; no resource figure for the
#: MIG could be read]. Devices with a hard memory controller (Zynq PS, Arria 10 hard EMIF) or
#: whose counts exclude the shell (Alveo user region) do not pay it.
SOFT_MEMORY_CONTROLLER_LUT_FF = (8_000, 8_000)
#: AXI interconnect, DMA/data movers and a control processor or FSM [assumed: order of
#: magnitude, unsourced].
INTERCONNECT_CONTROL_LUT_FF = (2_000, 2_000)
#: Board-design share by memory controller kind: "soft" pays both, "hard" the interconnect
#: and control only.
INFRASTRUCTURE_LUT_FF: dict[str, tuple[int, int]] = {
    "soft": (SOFT_MEMORY_CONTROLLER_LUT_FF[0] + INTERCONNECT_CONTROL_LUT_FF[0],
             SOFT_MEMORY_CONTROLLER_LUT_FF[1] + INTERCONNECT_CONTROL_LUT_FF[1]),
    "hard": INTERCONNECT_CONTROL_LUT_FF,
}
_SOFT_INFRA = INFRASTRUCTURE_LUT_FF["soft"]
_HARD_INFRA = INFRASTRUCTURE_LUT_FF["hard"]

DEVICES: dict[str, FpgaDevice] = {
    # DS180 counts, as the denominators of Zhang FPGA'15's utilisation table [paper]. VC707
    # designs put the DDR3 controller (MIG) in the fabric.
    "xc7vx485t": FpgaDevice("xc7vx485t", "Virtex-7 (VC707)", dsp=2800, ram={"bram18": 2060},
                            lut=303_600, ff=607_200,
                            dsp_per_mac=XILINX_7_DSP_PER_MAC, blocks=(BRAM18,),
                            source="Xilinx DS180; Zhang et al. FPGA'15 Table 4",
                            lut_per_mac=XILINX_LUT_PER_MAC, ff_per_mac=XILINX_FF_PER_MAC,
                            infra_lut=_SOFT_INFRA[0], infra_ff=_SOFT_INFRA[1]),
    # Arria 10 GX/GT 1150: 1,518 DSP blocks, 2,713 M20K, 427,200 ALMs, 1,708,800 registers
    # (Intel PAC N3000 user guide table for the GT 1150: 427,200 ALMs, 1,708K registers, 2,713
    # M20K; Arria 10 Core Fabric Handbook 3.2: 1,518 DSP blocks) [datasheet]. ``lut`` counts two
    # adaptive LUTs per ALM (its 8-input fracturable LUT) [derived]. Hard memory controllers.
    "10ax115": FpgaDevice("10ax115", "Arria 10 GX 1150", dsp=1518, ram={"m20k": 2713},
                          lut=854_400, ff=1_708_800,
                          dsp_per_mac=INTEL_A10_DSP_PER_MAC, blocks=(M20K,),
                          source="Intel Arria 10 Core Fabric Handbook; PAC N3000 user guide",
                          lut_per_mac=INTEL_A10_LUT_PER_MAC, ff_per_mac=INTEL_A10_FF_PER_MAC,
                          infra_lut=_HARD_INFRA[0], infra_ff=_HARD_INFRA[1]),
    # ZU9EG: 2,520 DSP48E2, 912 BRAM36 (= 1,824 BRAM18), 274,080 LUTs, 548,160 FFs
    # [repo: stanford-ppl/spatial ZCU.scala; DS891]. DDR4 controller in the hard PS.
    "xczu9eg": FpgaDevice("xczu9eg", "Zynq UltraScale+ ZU9EG (ZCU102)", dsp=2520,
                          ram={"bram18": 1824}, lut=274_080, ff=548_160,
                          dsp_per_mac=XILINX_US_DSP_PER_MAC, blocks=(BRAM18,),
                          source="Xilinx DS891; stanford-ppl/spatial ZCU.scala",
                          lut_per_mac=XILINX_LUT_PER_MAC, ff_per_mac=XILINX_FF_PER_MAC,
                          infra_lut=_HARD_INFRA[0], infra_ff=_HARD_INFRA[1]),
    # Alveo U250, what the xdma_201830_2 shell leaves to user logic over its 4 SLRs: 4 x 2,877
    # DSPs, 4 x 500 BRAM36, 4 x 320 URAM, 1,379,740 LUTs and 2,814,332 FFs (sums of the four
    # SLRs) [repo: Xtra-Computing/ThunderGP libfpga/generator/devices/
    # xilinx_u250_xdma_201830_2.h]; the full device has 12,288 DSPs (DS962) [recalled]. The
    # shell (DDR4 controllers, PCIe DMA) is outside these counts.
    "xcu250": FpgaDevice("xcu250", "Alveo U250 (user region)", dsp=11_508,
                         ram={"bram18": 4000, "uram": 1280}, lut=1_379_740, ff=2_814_332,
                         dsp_per_mac=XILINX_US_DSP_PER_MAC,
                         blocks=(BRAM18, URAM),
                         source="Xilinx DS962; ThunderGP U250 shell device file",
                         lut_per_mac=XILINX_LUT_PER_MAC, ff_per_mac=XILINX_FF_PER_MAC,
                         infra_lut=_HARD_INFRA[0], infra_ff=_HARD_INFRA[1]),
}
