"""Silicon area and leakage of an accelerator's components, with their sources.

Bottom-up, as Accelergy does: synthesized arithmetic, register bits, SRAM macros, crossbar
cross-points, each at 45 nm, scaled to the chip's node, then divided by the placement
utilisation of a laid-out block. Arithmetic is upsized for the chip's clock, SRAM pays its
compiler periphery, a whole die adds its pad ring. Source kinds: [sim] synthesis or simulator
output, [silicon] fabricated chips, [derived] arithmetic on cited figures, [recalled] remembered,
not re-read, [assumed] a modelling choice.
"""

from __future__ import annotations

import math

from hwsim.arch.energy import loglog
from hwsim.precision import ACCUMULATOR

# --- arithmetic at 45 nm, µm² -------------------------------------------------------------
# Design Compiler synthesis in TSMC 45 nm (Dally/Azizi, Stanford), the area column of Hennessy
# & Patterson, Computer Architecture 6th ed., Fig. 1.13, whose energies are Horowitz ISSCC 2014
# [sim]. Integer multipliers between 8 and 32 bits follow the power law through the two points
# (282 -> 3495 µm² over 4x the width: exponent 1.82); floating-point multipliers scale with the
# significand width squared, as the energies do in hwsim.arch.energy.
INT_ADD_UM2 = {8: 36.0, 16: 67.0, 32: 137.0}
INT_MULT_UM2 = {8: 282.0, 32: 3495.0}
FP_ADD_UM2 = {16: 1360.0, 32: 4184.0}
FP_MULT_UM2 = {16: 1640.0, 32: 7700.0}
_INT_MULT_EXP = math.log(INT_MULT_UM2[32] / INT_MULT_UM2[8]) / math.log(4.0)


def _int_mult(bits: int) -> float:
    return INT_MULT_UM2[8] * (bits / 8) ** _INT_MULT_EXP


def _fp_mult(significand_bits: int) -> float:
    return FP_MULT_UM2[16] * (significand_bits / 11) ** 2


#: Adder area by accumulator/ALU precision, µm² at 45 nm.
ADD_UM2_45NM: dict[str, float] = {
    "int16": INT_ADD_UM2[16], "int32": INT_ADD_UM2[32], "fp16": FP_ADD_UM2[16],
    "fp32": FP_ADD_UM2[32],
    "int4": INT_ADD_UM2[8], "int8": INT_ADD_UM2[8], "fp8": FP_ADD_UM2[16],
    "bf16": FP_ADD_UM2[16], "tf32": FP_ADD_UM2[32],
}
#: Multiplier area by operand precision, µm² at 45 nm.
MULT_UM2_45NM: dict[str, float] = {
    "int4": _int_mult(4), "int8": INT_MULT_UM2[8], "int16": _int_mult(16),
    "fp8": _fp_mult(4), "fp16": FP_MULT_UM2[16], "bf16": _fp_mult(8), "tf32": FP_MULT_UM2[16],
    "fp32": FP_MULT_UM2[32],
}


def mac_um2_45nm(precision: str) -> float:
    """One multiply-accumulate unit: a multiplier at the operand precision and an adder at the
    accumulator precision (hwsim.precision.ACCUMULATOR), µm² at 45 nm."""
    return MULT_UM2_45NM[precision] + ADD_UM2_45NM[ACCUMULATOR[precision]]


#: One register bit (flip-flop with its local logic) at a 1 ns clock: 5.98 µm², TSMC 40 nm G,
#: ALADDIN's characterisation (harvard-acc/ALADDIN common/power_func.h, REG_1ns_area) [sim],
#: used as the 45 nm value.
REG_UM2_PER_BIT = 5.98
#: One NAND2 gate equivalent, the unit of published gate counts: NanGate 45 nm NAND2_X1,
#: 0.798 µm² [recalled].
NAND2_UM2_45NM = 0.798
#: A 2:1 multiplexer bit of a crossbar cross-point: 2.2 NAND2 equivalents (2.2 x 0.798 µm²,
#: rounded) [recalled].
MUX_UM2_PER_BIT = 1.76

# --- network-on-chip routers at 45 nm, µm² ---------------------------------------------------
# DSENT 0.91 (Sun et al., "DSENT - a tool connecting emerging photonics with electronics for
# opto-electronic networks-on-chip modeling", NOCS 2012; the copy in gem5 ext/dsent, v24.0.0.1),
# Bulk45LVT technology, 1 GHz with timing optimisation, its router.cfg model (DFF-RAM input
# buffers, multiplexer crossbar, matrix-arbiter switch allocator, broadcast H-tree clock) with
# one virtual network, one virtual channel of ROUTER_BUFFER_FLITS flits, run here for 3-8 ports
# and 8-256-bit flits, 36 points [sim]. A 5-port 64-bit router: buffers 13,596, crossbar 6,651,
# switch allocator 806, clock tree 50 µm². Fitted per component:
#: Input buffers, per port: ROUTER_BUFFER_UM2_PER_FLIT_BIT per buffered flit bit, plus
#: ROUTER_PIPELINE_UM2_PER_BIT per flit bit (the two pipeline registers) and ROUTER_PORT_UM2
#: (within 0.1% of DSENT at 4 flits; within 15% at 1 flit, 5% at 2, 1% at 8 and 16).
ROUTER_BUFFER_UM2_PER_FLIT_BIT = 8.06
ROUTER_PIPELINE_UM2_PER_BIT = 9.65
ROUTER_PORT_UM2 = 38.4
#: Crossbar (with its output registers and select flip-flops): a P²W gate term, a PW term and
#: a (PW)² wiring term that dominates at wide flits (least squares in log over the 36 points:
#: within 21% of DSENT).
ROUTER_XBAR_UM2 = (1.72, 3.50, 0.0371)
#: Switch allocator: 163.7 µm² at 3 ports growing as ports^3.116 (DSENT: 164, 401, 806, 1425,
#: 2302, 3483 µm² at 3-8 ports; the power law through 3 and 8 ports is within 1% at 5). The clock
#: tree (44-95 µm²) is left out.
ROUTER_SA_UM2_3PORT = 163.7
ROUTER_SA_EXPONENT = 3.116
#: Flits buffered per input port: a single-VC wormhole router with 4 flits, as DSENT's example
#: gives each virtual channel 4-5 [assumed]. With it the whole router is within 8% of DSENT over
#: the 36 points (router_um2_45nm).
ROUTER_BUFFER_FLITS = 4
#: Ports of a mesh router: four neighbours and the local PE; edge routers are taken as the same
#: 5-port design [assumed]. A tree router: a parent and two children (the binary H-tree that
#: hwsim.model.interconnect walks in log2(PEs) levels) [assumed].
MESH_ROUTER_PORTS = 5
TREE_ROUTER_PORTS = 3

# --- SRAM ---------------------------------------------------------------------------------
#: 6T high-density bit cell by node, µm² [silicon]: Intel 65 nm 0.57 (70 Mb chip), Intel 45 nm
#: 0.346, TSMC 40 nm 0.242, Intel 32 nm 0.171, TSMC 28 nm 0.127, Intel 22 nm 0.092, TSMC 16FF
#: 0.07 (Chen et al., JSSC 2015), Intel 14 nm 0.0588, TSMC N7 0.027 (Chang et al., ISSCC 2017),
#: TSMC N5 0.021; 90-180 nm from the 65 nm cell at (node/65)^2 [assumed].
SRAM_CELL_UM2: dict[float, float] = {
    180.0: 4.37, 130.0: 2.28, 90.0: 1.09, 65.0: 0.57, 45.0: 0.346, 40.0: 0.242, 32.0: 0.171,
    28.0: 0.127, 22.0: 0.092, 16.0: 0.07, 14.0: 0.0588, 7.0: 0.027, 5.0: 0.021,
}
#: Cell area over macro area by macro size (KiB): what a memory compiler's macro pays for its
#: decoders, sense amplifiers, column muxes, write drivers, timing and I/O.
#: * >= 8 KiB: 0.42 [derived from synthesis]: the NVDLA primer's area table (nvdla.org
#:   primer.html, "Example Area and Performance", synthesis cell area with all memories, 1 GHz)
#:   rows *not* used as validation cases: at 128 KB of CBUF, 32 -> 64 MACs gives the MAC slope,
#:   at 256 KB, 128 -> 512 MACs gives it again; the two intercepts differ by 0.31 mm² at 28 nm and
#:   0.18 mm² at 16 nm for 128 KiB more CBUF (16 banks, nv_large.spec CBUF_BANK_NUMBER_16):
#:   0.30 / 0.18 µm² per bit, i.e. 0.127 / 0.30 = 0.43 and 0.07 / 0.18 = 0.40 of the bit cell.
#:   CACTI 7 (HewlettPackard/cacti 1ffd8dfb, Accelergy plug-in defaults) reports 0.63-0.85 for
#:   the same sizes with its ideal 146 F² cell and minimal periphery [sim]: an upper bound that a
#:   compiled macro does not reach.
#: * 1 KiB 0.25, 0.125 KiB 0.15: small fabricated macros of the OpenRAM comparison (VLSIDA/OpenRAM
#:   docs/source/results.md: 0.33-0.94 Mb/mm² at 40-65 nm, 0.1-0.25 of the cell) [silicon]; below
#:   about 1 KiB a standard-cell latch array is already smaller than a foundry macro in 28 nm
#:   (Teman et al., standard-cell memories with controlled placement, 28 nm FD-SOI; EPFL
#:   infoscience record 223318, abstract) [silicon].
#: Interpolated log-log, constant above 8 KiB.
SRAM_EFFICIENCY: dict[float, float] = {0.125: 0.15, 1.0: 0.25, 8.0: 0.42, 32.0: 0.42}
#: Widest word one compiled macro delivers; a bank whose port is wider is built from several
#: macros side by side (commercial single-port compilers stop at a few hundred bits) [assumed].
MAX_MACRO_WORD_BITS = 256

# --- scaling and layout ---------------------------------------------------------------------
#: Logic area relative to 45 nm: Stillmaker & Baas, Integration 58 (2017), as tabulated in
#: Accelergy-Project/accelergy-library-plug-in scaling.py and UCLA nodeScale [sim]; nodes
#: between entries are interpolated log-log.
LOGIC_AREA_SCALE: dict[float, float] = {
    180.0: 19.0, 130.0: 6.4, 90.0: 2.8, 65.0: 1.5, 45.0: 1.0, 32.0: 0.46, 20.0: 0.21,
    16.0: 0.19, 14.0: 0.17, 10.0: 0.10, 7.0: 0.059,
}
#: Cell area over block area after placement and routing: DianNao's 65 nm layout is 27%
#: filler (Chen et al., ASPLOS 2014, Table 6) [recalled].
PLACEMENT_UTILISATION = 0.73
#: Control and clock tree as a share of the whole placed block (datapath, memories and
#: themselves): DianNao's control processor ~5% and clock network ~2% of the accelerator's
#: 3.02 mm² (same table, where each line is a share of the total) [recalled]. Earlier versions
#: applied it to the logic alone, which the table does not say: the clock reaches every macro
#: and the sequencers drive the memories' addresses and enables as much as the datapath.
CONTROL_SHARE = 0.07

#: Arithmetic synthesized for a fast clock is upsized (larger drive strengths, faster adder and
#: multiplier architectures, buffering): ALADDIN's characterisation of one library (TSMC 40 nm G,
#: harvard-acc/ALADDIN common/power_func.h) at 1 ns over the same unit at a relaxed clock (>= 5 ns):
#: 32-bit adder 278/179 = 1.55, 32-bit multiplier 6351/4595 = 1.38, fp32 adder 4361/2064 = 2.11,
#: fp32 multiplier 8967/4889 = 1.83 [sim]. The 45 nm table above is taken as relaxed-clock area: its
#: 32-bit adder and multiplier (137, 3495 µm²) sit near ALADDIN's relaxed values (179, 4595), far
#: from its 1 ns ones (278, 6351) [assumed on that evidence]. Registers are already 1 ns values.
TIMING_UPSIZE_AT_1GHZ = {"int_add": 1.55, "int_mult": 1.38, "fp_add": 2.11, "fp_mult": 1.83}
#: Clock of ALADDIN's relaxed points (5 ns): no upsizing at or below it; linear in frequency above,
#: through the 1 GHz ratio [assumed interpolation].
RELAXED_CLOCK_HZ = 200e6

#: Depth of the pad ring around a die's core, mm per side: I/O pad cells, bond pads, power rails
#: and seal ring. Eyeriss's 4.0 x 4.0 mm die around a 3.5 x 3.5 mm core (Chen et al., JSSC 2017,
#: Table IV [silicon]) gives 0.25 mm; 65-28 nm wire-bond I/O libraries have pad cells
#: ~120-250 µm tall plus the seal ring [recalled]. Added only where a whole die is meant
#: (hwsim.arch.silicon.die_mm2; the bundled area cases compare cores).
PAD_RING_MM = 0.25

# --- leakage --------------------------------------------------------------------------------
#: Logic leakage, W per mm² of cells: 8-13 mW/mm² for ALADDIN's TSMC 40 nm G adders,
#: multipliers, registers and fp units at 1 ns [sim]; 10 mW/mm² used at every planar node.
LOGIC_LEAKAGE_W_PER_MM2 = 0.010
#: FinFET nodes (16 nm and below) leak about 21% less per device (Accelergy CACTI plug-in,
#: cacti_wrapper.py) [sim].
FINFET_LEAKAGE_FACTOR = 0.79
#: SRAM leakage, W per bit: CACTI 7 itrs-lstp cells and periphery, 1 MB at 22 nm: 1.8 pW
#: subthreshold + 14.7 pW gate [sim] (high-performance cells leak ~1e3x more; compiler HD macros
#: lie between).
SRAM_LEAKAGE_W_PER_BIT = 16.5e-12


def logic_area_scale(node_nm: float) -> float:
    """Logic area at ``node_nm`` relative to 45 nm."""
    return loglog(LOGIC_AREA_SCALE, node_nm)


def sram_macro_mm2(capacity_bytes: float, node_nm: float) -> float:
    """Area of one SRAM macro of ``capacity_bytes``: bits x cell / array efficiency, mm²."""
    kib = max(capacity_bytes / 1024.0, 1e-3)
    eff = loglog(SRAM_EFFICIENCY, kib)
    return capacity_bytes * 8.0 * loglog(SRAM_CELL_UM2, node_nm) / eff * 1e-6


def sram_bank_mm2(capacity_bytes: float, node_nm: float, word_bits: float | None = None) -> float:
    """One bank of ``capacity_bytes`` read ``word_bits`` at a time: as many macros side by side as
    the word needs (MAX_MACRO_WORD_BITS each), each holding its share of the bank, mm²."""
    macros = 1 if word_bits is None else max(1, math.ceil(word_bits / MAX_MACRO_WORD_BITS))
    return macros * sram_macro_mm2(capacity_bytes / macros, node_nm)


def _frac_above_relaxed(clock_hz: float) -> float:
    return max(0.0, (clock_hz - RELAXED_CLOCK_HZ) / (1e9 - RELAXED_CLOCK_HZ))


def timing_upsize(unit: str, clock_hz: float) -> float:
    """Area of ``unit`` (a TIMING_UPSIZE_AT_1GHZ key) synthesized for ``clock_hz`` over its
    relaxed-clock area: 1 up to RELAXED_CLOCK_HZ, linear in the clock through the 1 GHz ratio."""
    return 1.0 + (TIMING_UPSIZE_AT_1GHZ[unit] - 1.0) * _frac_above_relaxed(clock_hz)


def is_floating(precision: str) -> bool:
    """Whether ``precision`` is a floating-point format (fp8/16/32, bf16, tf32)."""
    return precision.startswith(("fp", "bf", "tf"))


def mac_upsizing_um2_45nm(precision: str, clock_hz: float) -> float:
    """Area one MAC unit gains, µm² at 45 nm, when synthesized for ``clock_hz`` instead of a
    relaxed clock: its multiplier and its accumulator-precision adder, each by its own ratio."""
    acc = ACCUMULATOR[precision]
    mult = timing_upsize("fp_mult" if is_floating(precision) else "int_mult", clock_hz)
    add = timing_upsize("fp_add" if is_floating(acc) else "int_add", clock_hz)
    return MULT_UM2_45NM[precision] * (mult - 1.0) + ADD_UM2_45NM[acc] * (add - 1.0)


def router_um2_45nm(ports: int, flit_bits: float, buffer_flits: int = ROUTER_BUFFER_FLITS
                    ) -> float:
    """One NoC router with ``ports`` input and output ports of ``flit_bits`` each, µm² at 45 nm:
    input buffers + crossbar + switch allocator, fitted to DSENT (see the constants above)."""
    p, w = float(ports), float(flit_bits)
    buffers = p * (w * (buffer_flits * ROUTER_BUFFER_UM2_PER_FLIT_BIT
                        + ROUTER_PIPELINE_UM2_PER_BIT) + ROUTER_PORT_UM2)
    gate, lin, wire = ROUTER_XBAR_UM2
    crossbar = gate * p * p * w + lin * p * w + wire * (p * w) ** 2
    allocator = ROUTER_SA_UM2_3PORT * (p / 3.0) ** ROUTER_SA_EXPONENT
    return buffers + crossbar + allocator


def logic_leakage_w_per_mm2(node_nm: float) -> float:
    """Leakage of placed logic, W/mm²."""
    return LOGIC_LEAKAGE_W_PER_MM2 * (FINFET_LEAKAGE_FACTOR if node_nm <= 16 else 1.0)
