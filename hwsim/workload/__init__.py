"""Workloads: layer descriptors, the layer graph, YAML I/O and the model zoo.

The names below load their modules on first use, so that a submodule that needs none of them
(``hwsim list`` reading the summary index) does not import the layer schema."""

from typing import TYPE_CHECKING

from hwsim.lazy import lazy_attributes

if TYPE_CHECKING:
    from hwsim.workload.graph import INPUT, Workload, build_workload
    from hwsim.workload.io import dump_workload, load_workload
    from hwsim.workload.layers import (
        Conv2d,
        Eltwise,
        EmbeddingBag,
        Layer,
        Linear,
        Matmul,
        Pool,
    )

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

__getattr__ = lazy_attributes(__name__, {
    "INPUT": "graph", "Workload": "graph", "build_workload": "graph",
    "dump_workload": "io", "load_workload": "io",
    **{name: "layers" for name in ("Conv2d", "Eltwise", "EmbeddingBag", "Layer", "Linear",
                                   "Matmul", "Pool")},
})
