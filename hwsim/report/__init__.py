"""Results and their forms: per-layer rows and totals of a run, compare rows; terminal tables,
JSON and CSV; what produced them (provenance). Data only: nothing here runs the model."""

from hwsim.report.compare import (
    CompareRow,
    hardware_support,
    rows_csv,
    rows_json,
    rows_table,
    weight_storage,
)
from hwsim.report.provenance import Origin, arch_sha256, provenance, workload_sha256
from hwsim.report.run import LayerResult, Report, build_report, check_finite

__all__ = ["CompareRow", "LayerResult", "Origin", "Report", "arch_sha256", "build_report",
           "check_finite", "hardware_support", "provenance", "rows_csv", "rows_json",
           "rows_table", "weight_storage", "workload_sha256"]
