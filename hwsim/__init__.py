"""hwsim: analytical latency/energy model of pruned neural networks on accelerators.

    from hwsim import load_arch, load_workload, evaluate
    wl = load_workload("workloads/resnet50.yaml")
    report = evaluate(wl, load_arch("arch_configs/tpu_v1.yaml"))
"""

from hwsim.arch.load import load_arch
from hwsim.arch.spec import ArchSpec
from hwsim.model.evaluate import evaluate
from hwsim.report import Report
from hwsim.workload.graph import Workload
from hwsim.workload.io import load_workload

__all__ = ["ArchSpec", "Report", "Workload", "evaluate", "load_arch", "load_workload"]
__version__ = "0.1.0"
