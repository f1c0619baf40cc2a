"""Workloads: layer descriptors, the layer graph, YAML I/O and the model zoo."""

from hwsim.workload.graph import INPUT, Workload, build_workload
from hwsim.workload.io import dump_workload, load_workload
from hwsim.workload.layers import Conv2d, Eltwise, EmbeddingBag, Layer, Linear, Matmul, Pool

__all__ = [
    "INPUT",
    "Conv2d",
    "Eltwise",
    "EmbeddingBag",
    "Layer",
    "Linear",
    "Matmul",
    "Pool",
    "Workload",
    "build_workload",
    "dump_workload",
    "load_workload",
]
