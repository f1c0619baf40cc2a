"""Systolic target: an R x C array with weight-, output- or input-stationary dataflow.

The layer is viewed as SCALE-Sim does (Samajdar et al., ISPASS 2020): per group a GEMM with
Sr = N*P*Q output pixels, Sc = K filters and T = C*R*S window elements. The stationary operand
is pinned to the array in folds of R x C; the other two stream through with a skew, so every
fold pays a fill and a drain:

    ws: folds = ceil(T/R) * ceil(Sc/C), cycles/fold = 2R + C + Sr - 2  (R cycles to load weights)
    os: folds = ceil(Sr/R) * ceil(Sc/C), cycles/fold = T + R + C - 2   (outputs drain in skew)
    is: folds = ceil(T/R) * ceil(Sr/C), cycles/fold = 2R + C + Sc - 2  (R cycles to load inputs)

and the whole layer takes folds x cycles/fold - 1, which is what SCALE-Sim 3.0.0 counts (its
compute reports, checked per layer in tests/test_validation.py). Partial folds cost as much as
full ones: the skew does not shrink with the occupied part of the array.

Operands move neighbour to neighbour (one hop per PE), which is what makes the array cheap in
wires and expensive in fill/drain for small layers. A PE that splits into two int8 units
(compute.int8_macs_per_pe) holds two columns of the GEMM at int8: twice the columns per fold,
the skew and the hops of its physical columns.
"""

from __future__ import annotations

import math

from hwsim.arch.compute import SystolicCompute
from hwsim.arch.hardware import Hardware
from hwsim.model.array import ArrayCost
from hwsim.model.cost import LayerCost
from hwsim.model.loopnest import LoopNest
from hwsim.model.targets.array import array_layer_cost
from hwsim.model.targets.row_stationary import row_stationary_cost
from hwsim.sparsity.profile import SparsityProfile


def systolic_target(nest: LoopNest, hw: Hardware, objective: str,
                    profile: SparsityProfile | None = None) -> LayerCost:
    """Cost of a MAC layer on a systolic array (row stationary: its own mapping search)."""
    comp = hw.compute
    if isinstance(comp, SystolicCompute) and comp.dataflow == "rs":
        return row_stationary_cost(nest, hw, objective, profile)
    return array_layer_cost(nest, hw, objective, profile, systolic_array(nest, hw))


def fold_cycles(dataflow: str, rows: int, cols: int, sr: int, sc: int, t: int,
                packed: int = 1) -> tuple[int, int]:
    """(folds, cycles per fold) of one GEMM (Sr x T) @ (T x Sc) on a rows x cols array whose
    PEs each hold ``packed`` MAC units side by side (two int8 halves of a 16-bit PE): a fold
    spans cols x packed columns of the GEMM, and the skew is still that of cols PEs."""
    lanes = cols * packed
    if dataflow == "ws":
        return math.ceil(t / rows) * math.ceil(sc / lanes), 2 * rows + cols + sr - 2
    if dataflow == "os":
        return math.ceil(sr / rows) * math.ceil(sc / lanes), t + rows + cols - 2
    if dataflow == "is":
        return math.ceil(t / rows) * math.ceil(sr / lanes), 2 * rows + cols + sc - 2
    raise ValueError(f"unknown dataflow {dataflow}")


def systolic_array(nest: LoopNest, hw: Hardware) -> ArrayCost:
    """Cycles, SRAM traffic, register and wire activity of ``nest`` on a systolic array."""
    comp = hw.compute
    assert isinstance(comp, SystolicCompute)
    df = comp.dataflow
    # A 16-bit PE that splits into two int8 units is two MAC columns at int8 (NVDLA v1's cells
    # hold two int8 kernels where they hold one int16 kernel).
    packed = comp.int8_macs_per_pe if nest.precision == "int8" else 1
    R, C = comp.rows, comp.cols * packed
    sr, sc, t = nest.gemm()
    folds, per_fold = fold_cycles(df, R, comp.cols, sr, sc, t, packed)
    G = nest.G
    cycles = float(G * folds * per_fold - 1)
    macs = float(nest.macs)
    bits, pbits = nest.elem_bytes * 8, nest.psum_bytes * 8
    if df == "ws":  # weights T x Sc pinned; inputs stream right, psums flow down
        fr, fc = math.ceil(t / R), math.ceil(sc / C)
        w_reads, i_reads = t * sc, sr * t * fc
        o_writes, o_reads = sr * sc * fr, sr * sc * (fr - 1)
        hops = (w_reads * bits * (t / fr) / 2 + i_reads * bits * (sc / fc) / packed
                + o_writes * pbits * (t / fr))
        granule = {"K": C}
    elif df == "os":  # outputs Sr x Sc pinned; inputs stream right, weights stream down
        fr, fc = math.ceil(sr / R), math.ceil(sc / C)
        i_reads, w_reads = sr * t * fc, sc * t * fr
        o_writes, o_reads = sr * sc, 0
        hops = (i_reads * bits * (sc / fc) / packed + w_reads * bits * (sr / fr)
                + o_writes * pbits * (sr / fr) / 2)
        granule = {"K": C}
    else:  # "is": inputs T x Sr pinned; weights stream right, psums flow down
        fr, fc = math.ceil(t / R), math.ceil(sr / C)
        i_reads, w_reads = t * sr, t * sc * fc
        o_writes, o_reads = sr * sc * fr, sr * sc * (fr - 1)
        hops = (i_reads * bits * (t / fr) / 2 + w_reads * bits * (sr / fc) / packed
                + o_writes * pbits * (t / fr))
        granule = {}
    # Each MAC touches the PE's registers: the stationary value, the passing operand, the psum.
    rf = 3.0 * macs if hw.rf_pj_per_byte is not None else 0.0
    return ArrayCost(
        cycles=cycles,
        macs=macs,
        num_pes=R * C,
        buffer_reads={"weights": G * w_reads, "inputs": G * i_reads, "outputs": G * o_reads},
        buffer_writes={"weights": 0.0, "inputs": 0.0, "outputs": G * o_writes},
        rf_accesses=rf,
        hop_bits=G * hops,
        granule=granule,
        lanes=C,  # filters side by side across the columns
        skip_tile=(C, R),  # one fold: C filters x R reduction elements
    )
