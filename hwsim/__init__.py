"""hwsim: analytical latency/energy model of pruned neural networks on accelerators.

    from hwsim import load_arch, load_workload, evaluate
    report = evaluate(load_workload("resnet50"), load_arch("tpu_v1"))
    print(report.table())
"""

from hwsim.arch.load import load_arch
from hwsim.arch.spec import ArchSpec
from hwsim.evaluation import compare, evaluate
from hwsim.report import Report
from hwsim.version import VERSION
from hwsim.workload.graph import Workload
from hwsim.workload.io import load_workload

__version__ = VERSION

__all__ = ["ArchSpec", "Report", "Workload", "compare", "evaluate", "load_arch", "load_workload"]
