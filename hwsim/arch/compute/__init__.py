"""Compute sections of the arch spec, one schema module per target kind."""

from __future__ import annotations

from hwsim.arch.compute.base import ComputeSpec, Strict
from hwsim.arch.compute.fpga import FpgaCompute
from hwsim.arch.compute.scratchpad import ScratchpadCompute
from hwsim.arch.compute.systolic import SystolicCompute
from hwsim.arch.compute.tensor_core import TensorCoreCompute

#: Target kind -> schema of its ``compute`` section.
COMPUTE_MODELS: dict[str, type[ComputeSpec]] = {
    "fpga": FpgaCompute,
    "systolic": SystolicCompute,
    "tensor_core": TensorCoreCompute,
    "scratchpad": ScratchpadCompute,
}

__all__ = ["COMPUTE_MODELS", "ComputeSpec", "FpgaCompute", "ScratchpadCompute", "Strict",
           "SystolicCompute", "TensorCoreCompute"]
