"""Results and their forms: per-layer rows and totals of a run, compare rows; terminal tables,
JSON and CSV. Data only: nothing here runs the model."""

from hwsim.report.compare import CompareRow, rows_csv, rows_json, rows_table, weight_storage
from hwsim.report.run import LayerResult, Report, build_report, check_finite

__all__ = ["CompareRow", "LayerResult", "Report", "build_report", "check_finite", "rows_csv",
           "rows_json", "rows_table", "weight_storage"]
