"""The pipeline every PE-array target shares: array activity -> sparsity -> tiling -> cost.

A target supplies its dense array activity (an ``ArrayCost``); sparsity acts on it
(``hwsim.model.sparse``), the mapper picks the DRAM tiling with the accounting's own cost, and
the chosen mapping's counts become the reported ``LayerCost``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hwsim.arch.hardware import Hardware
from hwsim.model.accounting import Counts
from hwsim.model.array import ArrayCost
from hwsim.model.cost import LayerCost, layer_cost
from hwsim.model.loopnest import LoopNest
from hwsim.model.mapper import map_layer
from hwsim.model.sparse import SparseEffect, apply_effect, sparse_effect
from hwsim.sparsity.profile import SparsityProfile


def mapped_cost(nest: LoopNest, hw: Hardware, objective: str, array: ArrayCost,
                eff: SparseEffect) -> LayerCost:
    """Cost of ``array`` activity (sparsity already applied by ``eff``) under its best tiling."""
    mapping, counts = map_layer(nest, hw, array, eff, objective)
    return stated_cost(hw, counts, array, eff, {"order": mapping.order, "tile": mapping.tile,
                                                "candidates": mapping.candidates})


def stated_cost(hw: Hardware, counts: Counts, array: ArrayCost, eff: SparseEffect,
                mapping: dict[str, Any]) -> LayerCost:
    """The reported cost of a PE array's chosen mapping: its ``counts``, with the array's
    activity (sparsity applied by ``eff``) stated as utilization and skipped work."""
    useful = array.macs * eff.useful
    cycles = array.cycles
    assert not isinstance(cycles, np.ndarray), "one mapping's activity"
    return layer_cost(
        hw, counts,
        macs=array.macs,
        # SCALE-Sim's cycle count ends one cycle before the last fold's (folds x cycles - 1),
        # so a 1x1 array would report 1.0002: useful MACs never exceed the PE-cycles.
        utilization=min(1.0, useful / (cycles * array.num_pes)) if cycles else 0.0,
        mapping=mapping,
        density=eff.density,
        input_density=eff.input_density,
        output_density=eff.output_density,
        effective_macs=useful,
        skipped_macs=array.macs * (1.0 - eff.issued),
        imbalance=eff.imbalance,
        note=eff.note,
    )


def array_layer_cost(nest: LoopNest, hw: Hardware, objective: str,
                     profile: SparsityProfile | None, dense: ArrayCost) -> LayerCost:
    """Cost of a MAC layer whose dense array activity is ``dense``, with ``profile`` applied."""
    eff = sparse_effect(profile, hw, nest, dense)
    return mapped_cost(nest, hw, objective, apply_effect(dense, eff), eff)
