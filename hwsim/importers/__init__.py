"""Importers of pruned PyTorch and ONNX models, with their real weight masks.

    from hwsim.importers import from_torch, from_onnx, save_workload
    wl = from_torch(model, torch.randn(1, 3, 224, 224))
    save_workload(wl, "out/net.yaml")     # writes out/net.yaml and out/net.masks.npz

torch and onnx are optional: they are imported only when an importer runs.
"""

from __future__ import annotations

from typing import Any

from hwsim.importers.export import save_workload

__all__ = ["from_onnx", "from_torch", "import_onnx", "import_torch", "save_workload"]


def __getattr__(name: str) -> Any:
    if name in ("from_torch", "import_torch"):
        from hwsim.importers import torch_import

        return getattr(torch_import, name)
    if name in ("from_onnx", "import_onnx"):
        from hwsim.importers import onnx_import

        return getattr(onnx_import, name)
    raise AttributeError(f"module 'hwsim.importers' has no attribute {name!r}")
