"""Compare results: one row per (accelerator, pattern[, level]) against that accelerator's dense
run, and their table, JSON and CSV forms."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass

from hwsim.precision import bytes_per_element
from hwsim.report.run import Report


@dataclass
class CompareRow:
    """One (accelerator, pattern[, level]) evaluation against that accelerator's dense run."""

    arch: str
    kind: str
    pattern: str
    label: str
    density: float  # nonzero weights over the dense model's weights
    macs: float
    effective_macs: float
    latency_s: float
    speedup: float
    energy_j: float
    energy_saving: float  # 1 - energy / dense energy
    dram_bytes: float
    metadata_bytes: float
    imbalance: float
    bound: str
    stored_weight_bytes: float  # nonzero weights the model must keep (all levels if nested)
    energy_breakdown_j: dict[str, float]

    @classmethod
    def of(cls, rep: Report, dense: Report, pattern: str, label: str,
           stored: float | None = None) -> CompareRow:
        t, d = rep.totals, dense.totals
        density = t["density"] * t["params"] / d["params"] if d["params"] else t["density"]
        return cls(rep.arch, rep.kind, pattern, label, density, t["macs"],
                   t["effective_macs"], t["latency_s"], d["latency_s"] / t["latency_s"],
                   t["energy_j"], 1.0 - t["energy_j"] / d["energy_j"], t["dram_bytes"],
                   t["metadata_bytes"], t["imbalance"], t["bound"],
                   weight_storage(rep) if stored is None else stored,
                   dict(t["energy_breakdown_j"]))


def weight_storage(rep: Report, tag_bits: int = 0) -> float:
    """Bytes of nonzero weights (plus ``tag_bits`` per nonzero: the level index that lets one
    stored nested model serve every level)."""
    total = 0.0
    for r in rep.layers:
        nnz = r.params * r.density
        total += nnz * (bytes_per_element(r.precision) + tag_bits / 8)
    return total


def rows_table(rows: list[CompareRow], workload: str) -> str:
    head = (f"{'accelerator':<16} {'pattern':<30} {'density':>7} {'latency':>11} {'speedup':>8} "
            f"{'energy':>11} {'saving':>7} {'DRAM':>9} {'metadata':>9} {'imbal':>6}  "
            f"{'stored W':>10}  bound")
    out = [f"{workload}: speedup and energy saving against dense, per accelerator", head,
           "-" * len(head)]
    last = None
    for r in rows:
        if last is not None and r.arch != last:
            out.append("")
        last = r.arch
        out.append(
            f"{r.arch[:16]:<16} {r.label[:30]:<30} {r.density:>7.1%} {r.latency_s * 1e3:>8.3f} ms "
            f"{r.speedup:>7.2f}x {r.energy_j * 1e3:>8.3f} mJ {r.energy_saving:>+7.1%} "
            f"{r.dram_bytes / 1e6:>7.2f}MB {r.metadata_bytes / 1e6:>7.2f}MB {r.imbalance:>6.2f}  "
            f"{r.stored_weight_bytes / 1e6:>8.2f}MB  {r.bound}"
        )
    return "\n".join(out)


def rows_json(rows: list[CompareRow]) -> str:
    return json.dumps([asdict(r) for r in rows], indent=2)


def rows_csv(rows: list[CompareRow]) -> str:
    buf = io.StringIO()
    fields = [k for k in asdict(rows[0]) if k != "energy_breakdown_j"]
    comps = list(rows[0].energy_breakdown_j)
    w = csv.writer(buf)
    w.writerow(fields + [f"energy_{c}_j" for c in comps])
    for r in rows:
        d = asdict(r)
        w.writerow([d[k] for k in fields] + [r.energy_breakdown_j.get(c, 0.0) for c in comps])
    return buf.getvalue()
