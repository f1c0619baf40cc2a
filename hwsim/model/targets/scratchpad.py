"""Scratchpad target: a vector processor with a banked scratchpad and a gather/scatter engine.

Weights stay sparse as values plus column indices. Two inner loops are costed in full (compute,
DRAM, scratchpad ports, energy) and the better one kept, as a compiler for such a machine would:

* ``broadcast``: for each nonzero weight w[k, c], out[k, :] += w * in[c, :] over the N = batch x
  pixels (or tokens) dimension, vectorised ``lanes`` wide; contiguous, conflict-free, no
  gather; cost ~ nnz x ceil(N / lanes). Pays when N fills the lanes (convolutions).
* ``gather``: for each output row k and each column n, the row's nonzeros are processed
  ``lanes`` at a time: a gather of the matching activations from the scratchpad, then a vector
  MAC and a reduction. A gather of L elements costs as many cycles as the busiest bank serves
  (bank of column c = c mod banks): unstructured columns collide (expected maximum load of L
  balls in B bins), blocks of consecutive columns and N:M groups collide less, and
  gather-scatter-balanced rows are conflict-free by construction. Rows pad to whole vectors.
  This loop is the one small-batch RNN/MLP layers (GNMT) must use.

DRAM traffic (values, indices, activations, outputs) comes from the shared DRAM tiling mapper
with the compressed weight size; the DMA overlaps compute (double-buffered scratchpad).
"""

from __future__ import annotations

import math

from hwsim.arch.compute import ScratchpadCompute
from hwsim.arch.hardware import Hardware
from hwsim.model.accounting import score
from hwsim.model.array import ArrayCost
from hwsim.model.cost import LayerCost
from hwsim.model.loopnest import LoopNest
from hwsim.model.sparse import SparseEffect
from hwsim.model.targets.array import mapped_cost
from hwsim.sparsity.gather import gather_cycles
from hwsim.sparsity.profile import SparsityProfile


def scratchpad_target(nest: LoopNest, hw: Hardware, objective: str,
                      profile: SparsityProfile | None = None) -> LayerCost:
    """Cost of a MAC layer on a vector processor with a gather/scatter engine: both inner
    loops are costed in full (compute, DRAM, scratchpad ports, energy) and the better one under
    ``objective`` is kept, as a compiler that knows the machine would choose."""
    costs = [mapped_cost(nest, hw, objective, *_loop(nest, hw, profile, loop))
             for loop in LOOPS]
    return min(costs, key=lambda c: float(score(objective, c.latency_s, c.energy_j)))


LOOPS = ("broadcast", "gather")


def _loop(nest: LoopNest, hw: Hardware, profile: SparsityProfile | None, loop: str
          ) -> tuple[ArrayCost, SparseEffect]:
    """Array activity and sparsity effect of ``nest`` run with the ``loop`` inner loop."""
    comp = hw.compute
    assert isinstance(comp, ScratchpadCompute)
    L, P = comp.lanes, comp.cores
    G = nest.G
    rows, red = nest.K, nest.C * nest.R * nest.S  # weight matrix per group
    ncols = nest.N * nest.P * nest.Q  # the dimension each weight is applied across
    d = profile.weight_density if profile is not None else 1.0
    di = profile.input_density if profile is not None else 1.0
    nnz = d * rows * red
    bits = nest.elem_bytes * 8
    macs = float(nest.macs)
    # Scratchpad traffic in elements: each issued MAC reads its activation (broadcast: one
    # vector element per lane; gather: the gathered element); weights and their indices are
    # read once per use. Both loops keep the running sums in vector registers across a row's
    # nonzeros (register blocking) and write one result per row and output column.
    idx_share = comp.index_bits / bits
    psums = float(G * rows * ncols)
    imb = 1.0
    if loop == "broadcast":
        # One vector MAC per nonzero per lanes-wide chunk of the N*P*Q columns; per nonzero its
        # value and index once, then a vector of activations per lane chunk.
        cycles = G * nnz * math.ceil(ncols / L) / P
        w_elems = G * nnz * (1 + idx_share)
        note = "broadcast loop (vectorised over columns)"
    else:
        # Per row and column, ceil(nnz_row / L) gathers at the pattern's conflict cost, plus
        # the row's reduction and loop overhead; unbalanced rows pad to the busiest. Per row
        # and output column: the row's values and indices, the gathered activations.
        per_row = d * red
        imb = profile.imbalance(P) if profile is not None and d < 1 else 1.0
        balanced = profile is not None and profile.balanced_rows
        chunks = math.ceil(per_row / L) if balanced else per_row / L + 0.5
        g_cost = gather_cycles(profile, L, comp.banks) / comp.gather_ports
        cycles = (G * rows * ncols * (chunks * g_cost + math.log2(L) + comp.row_overhead_cycles)
                  / P * imb)
        w_elems = G * nnz * (1 + idx_share) * ncols
        note = f"gather loop, {g_cost:.2f} cycles per gather"
    array = ArrayCost(
        cycles=max(cycles, 1.0), macs=macs, num_pes=L * P,
        buffer_reads={"weights": w_elems, "inputs": macs * d, "outputs": 0.0},
        buffer_writes={"weights": 0.0, "inputs": 0.0, "outputs": psums},
        rf_accesses=0.0, hop_bits=0.0, granule={}, lanes=P, skip_tile=(1, L),
    )
    w_size, w_meta = 1.0, 0.0
    sparse_size = d * (bits + comp.index_bits) / bits
    if profile is not None and not nest.weights_are_activations and sparse_size < 1.0:
        # Values plus one column index per nonzero (the processor's native sparse format),
        # used where it is smaller than dense.
        w_size = sparse_size
        w_meta = comp.index_bits / (bits + comp.index_bits)
    # Only nonzero weights are multiplied (issued = d).
    eff = SparseEffect(density=d, input_density=di, work=1.0, issued=d, toggling=1.0,
                       imbalance=imb, weight_size=w_size, weight_meta_share=w_meta,
                       output_density=profile.output_density if profile is not None else 1.0,
                       note=note)
    return array, eff
