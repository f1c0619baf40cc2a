"""Registry of target models: ``kind`` -> function evaluating one MAC layer.

A target is one module exposing ``(nest, arch, objective, static_w) -> LayerCost``; adding one
never touches the rest. fpga and systolic share the array + DRAM-tiling pipeline.
"""

from __future__ import annotations

from collections.abc import Callable

from hwsim.arch.spec import ArchSpec
from hwsim.model.array import ArrayCost
from hwsim.model.cost import LayerCost, mac_layer_cost
from hwsim.model.fpga import fpga_array
from hwsim.model.loopnest import LoopNest
from hwsim.model.mapper import Scaling, map_layer
from hwsim.model.scratchpad import scratchpad_target
from hwsim.model.sparse import apply_effect, sparse_effect
from hwsim.model.systolic import systolic_array
from hwsim.model.tensor_core import tensor_core_target
from hwsim.sparsity.profile import SparsityProfile

ArrayModel = Callable[[LoopNest, ArchSpec], ArrayCost]
ARRAY_MODELS: dict[str, ArrayModel] = {"fpga": fpga_array, "systolic": systolic_array}


def array_target(nest: LoopNest, arch: ArchSpec, objective: str, static_w: float,
                 profile: SparsityProfile | None = None) -> LayerCost:
    """Evaluate a MAC layer on an array target: array activity, sparsity effects, then the
    best DRAM tiling for the (possibly compressed) operands."""
    dense = ARRAY_MODELS[arch.kind](nest, arch)
    eff = sparse_effect(profile, arch, nest, dense)
    array = apply_effect(dense, eff)
    compute_s = array.cycles / arch.clock_hz
    mac_pj = arch.mac_pj(nest.precision)
    fixed = array.macs * eff.issued * eff.toggling * mac_pj * 1e-12
    scaling = Scaling(size={"weights": eff.weight_size, "inputs": eff.input_size,
                            "outputs": 1.0})
    mapping = map_layer(nest, arch, compute_s, array.granule, objective, fixed,
                        scaling=scaling, static_w=static_w)
    return mac_layer_cost(arch, array, mapping, nest.elem_bytes, nest.psum_bytes, mac_pj,
                          static_w, eff)


TargetModel = Callable[[LoopNest, ArchSpec, str, float, "SparsityProfile | None"], LayerCost]
TARGETS: dict[str, TargetModel] = {
    "fpga": array_target,
    "systolic": array_target,
    "tensor_core": tensor_core_target,
    "scratchpad": scratchpad_target,
}
