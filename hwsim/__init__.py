"""hwsim: analytical latency/energy model of pruned neural networks on accelerators.

    from hwsim import load_arch, load_workload, evaluate
    report = evaluate(load_workload("resnet50"), load_arch("tpu_v1"))
    print(report.table())

The names below load their modules on first use, so ``import hwsim`` (and every command
that needs only part of the package) starts fast.
"""

from typing import TYPE_CHECKING

from hwsim.lazy import lazy_attributes
from hwsim.version import VERSION

if TYPE_CHECKING:
    from hwsim.arch.load import load_arch
    from hwsim.arch.spec import ArchSpec
    from hwsim.evaluation import compare, evaluate
    from hwsim.report import Report
    from hwsim.workload.graph import Workload
    from hwsim.workload.io import load_workload

__version__ = VERSION

__all__ = ["ArchSpec", "Report", "Workload", "compare", "evaluate", "load_arch", "load_workload"]

__getattr__ = lazy_attributes(__name__, {
    "load_arch": "arch.load", "ArchSpec": "arch.spec", "compare": "evaluation",
    "evaluate": "evaluation", "Report": "report", "Workload": "workload.graph",
    "load_workload": "workload.io",
})
