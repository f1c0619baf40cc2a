"""Default energy table: per-operation and per-access energies with their sources.

Base numbers are Horowitz, "Computing's energy problem (and what we can do about it)",
ISSCC 2014, Fig. 1.1.9 (45 nm, 0.9 V). Other nodes are scaled with ``tech_scale``. A config can
override any of these; the defaults are what an architect would use before a layout exists.
"""

from __future__ import annotations

import itertools
import math

# --- Horowitz ISSCC 2014, 45 nm (pJ per operation) -----------------------------------------
INT_ADD_PJ = {8: 0.03, 16: 0.05, 32: 0.1}  # integer add
INT_MULT_PJ = {8: 0.2, 32: 3.1}  # integer multiply
FP_ADD_PJ = {16: 0.4, 32: 0.9}  # floating-point add
FP_MULT_PJ = {16: 1.1, 32: 3.7}  # floating-point multiply
SRAM_64BIT_READ_PJ = {8 * 1024: 10.0, 32 * 1024: 20.0, 1024 * 1024: 100.0}  # 64-bit access


def _int_mult(bits: int) -> float:
    """Integer multiply energy (pJ, 45 nm): array-multiplier energy grows with bits squared,
    which Horowitz's own points follow (8 b: 0.2 pJ, 32 b: 3.1 pJ = 0.2 * 15.5)."""
    return INT_MULT_PJ[8] * (bits / 8) ** 2


def _fp_mult(mantissa_bits: int) -> float:
    """Floating-point multiply energy (pJ, 45 nm), scaled from Horowitz's fp16 point (11-bit
    significand, 1.1 pJ) by significand width squared (the mantissa multiplier dominates)."""
    return FP_MULT_PJ[16] * (mantissa_bits / 11) ** 2


#: Energy of one multiply-accumulate at 45 nm (pJ): multiply at the operand precision plus an add
#: at the accumulator precision (see hwsim.precision.ACCUMULATOR).
MAC_PJ_45NM: dict[str, float] = {
    "int4": _int_mult(4) + INT_ADD_PJ[16],
    "int8": INT_MULT_PJ[8] + INT_ADD_PJ[32],
    "int16": _int_mult(16) + INT_ADD_PJ[32],
    "fp8": _fp_mult(4) + FP_ADD_PJ[16],  # e4m3: 4-bit significand, fp16 accumulate
    "fp16": FP_MULT_PJ[16] + FP_ADD_PJ[32],
    "bf16": _fp_mult(8) + FP_ADD_PJ[32],
    "tf32": FP_MULT_PJ[16] + FP_ADD_PJ[32],  # 11-bit significand like fp16
    "fp32": FP_MULT_PJ[32] + FP_ADD_PJ[32],
}

#: One element-wise ALU operation (add/compare/max) at 45 nm, pJ, by precision (Horowitz adds).
ALU_OP_PJ_45NM: dict[str, float] = {
    "int4": INT_ADD_PJ[8],
    "int8": INT_ADD_PJ[8],
    "int16": INT_ADD_PJ[16],
    "fp8": FP_ADD_PJ[16],
    "fp16": FP_ADD_PJ[16],
    "bf16": FP_ADD_PJ[16],
    "tf32": FP_ADD_PJ[32],
    "fp32": FP_ADD_PJ[32],
}


def sram_pj_per_bit_45nm(capacity_bytes: float) -> float:
    """SRAM read energy per bit at 45 nm for an array of ``capacity_bytes``.

    Fit E64 = 10 pJ * sqrt(capacity / 8 KiB) to Horowitz's three points (8 KiB: 10 pJ,
    32 KiB: 20 pJ exactly; 1 MiB: 113 pJ vs 100 pJ published, +13%): energy grows with the
    bit-line and word-line length, i.e. with the square root of the array area. Below 1 KiB the
    fit is floored at the 1 KiB value, where fixed sense-amplifier cost dominates.
    """
    cap = max(float(capacity_bytes), 1024.0)
    return SRAM_64BIT_READ_PJ[8 * 1024] * math.sqrt(cap / (8 * 1024)) / 64.0


#: Energy per operation of a node relative to 45 nm (dimensionless), each node at its nominal
#: supply. 45 nm and below: Stillmaker & Baas, "Scaling equations for the accurate prediction of
#: CMOS device performance from 180 nm to 7 nm", Integration 58 (2017), high-performance energy
#: fits evaluated at nominal Vdd (32 nm 0.9 V, 20 nm 0.9 V, 16 nm 0.85 V, 14 nm 0.8 V, 10 nm
#: 0.75 V, 7 nm 0.7 V; 28 nm interpolated log-log between 32 and 20 nm). Above 45 nm: C*V^2 with
#: capacitance proportional to feature size and ITRS nominal Vdd (65 nm 1.1 V, 90 nm 1.2 V,
#: 130 nm 1.3 V, 180 nm 1.8 V) against 45 nm at 1.0 V.
TECH_ENERGY_SCALE: dict[float, float] = {
    180.0: 12.96,
    130.0: 4.88,
    90.0: 2.88,
    65.0: 1.75,
    45.0: 1.0,
    32.0: 0.53,
    28.0: 0.43,
    20.0: 0.23,
    16.0: 0.16,
    14.0: 0.11,
    10.0: 0.082,
    7.0: 0.056,
}


def loglog(table: dict[float, float], x: float) -> float:
    """``table`` (node -> value) interpolated log-log at ``x``, clamped to its ends."""
    nodes = sorted(table)
    x = min(max(x, nodes[0]), nodes[-1])
    for lo, hi in itertools.pairwise(nodes):
        if lo <= x <= hi:
            t = (math.log(x) - math.log(lo)) / (math.log(hi) - math.log(lo))
            return math.exp(math.log(table[lo]) + t * (math.log(table[hi]) - math.log(table[lo])))
    return table[nodes[-1]]  # pragma: no cover - x is clamped into the table


def tech_scale(node_nm: float) -> float:
    """Energy of a logic/SRAM operation at ``node_nm`` relative to 45 nm."""
    return loglog(TECH_ENERGY_SCALE, node_nm)


#: On-chip wire energy, pJ per bit per mm, by node. Keckler et al., "GPUs and the future of
#: parallel computing", IEEE Micro 31(5), 2011, Table 1: 240 fJ/bit/mm per transition at 40 nm,
#: 150 fJ/bit/mm at 10 nm; times 0.5 for the transition probability of random data. Wires
#: scale far less than logic, so nodes above 40 nm keep the 40 nm value.
WIRE_PJ_PER_BIT_MM: dict[float, float] = {10.0: 0.075, 40.0: 0.12, 180.0: 0.12}


def wire_pj_per_bit_mm(node_nm: float) -> float:
    """On-chip wire energy at ``node_nm``, pJ/bit/mm."""
    return loglog(WIRE_PJ_PER_BIT_MM, node_nm)
