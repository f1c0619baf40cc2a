"""Importers of pruned PyTorch and ONNX models, with their real weight masks.

    from hwsim.importers import from_torch, from_onnx, save_workload
    wl = from_torch(model, torch.randn(1, 3, 224, 224))
    save_workload(wl, "out/net.yaml")     # writes out/net.yaml and out/net.masks.npz

torch and onnx are optional: they are imported only when an importer runs (every name here
loads its module on first use).
"""

from __future__ import annotations

from hwsim.lazy import lazy_attributes

__all__ = ["from_onnx", "from_torch", "import_onnx", "import_torch", "save_workload"]

__getattr__ = lazy_attributes(__name__, {
    "from_torch": "torch_import", "import_torch": "torch_import", "from_onnx": "onnx_import",
    "import_onnx": "onnx_import", "save_workload": "export",
})
