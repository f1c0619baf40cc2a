"""Results: per-layer rows and totals, as a terminal table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from hwsim.report.provenance import csv_columns

if TYPE_CHECKING:
    from hwsim.arch.spec import ArchSpec
    from hwsim.model.cost import LayerCost
    from hwsim.workload.graph import Workload
    from hwsim.workload.layers import Layer


@dataclass
class LayerResult:
    """One layer's cost. Units are in the names; ``cycles`` are clock cycles of latency."""

    name: str
    op: str
    precision: str
    macs: float
    params: int
    latency_s: float
    cycles: float
    energy_j: float
    energy_breakdown_j: dict[str, float]
    dram_bytes: float
    utilization: float
    bound: str
    compute_cycles: float
    density: float = 1.0
    effective_macs: float = 0.0
    skipped_macs: float = 0.0
    metadata_bytes: float = 0.0
    imbalance: float = 1.0
    input_density: float = 1.0
    output_density: float = 1.0
    sparsity: str = "dense"
    note: str = ""
    intensity_ops_per_byte: float = 0.0  # computation-to-communication ratio (roofline x)
    time_s: dict[str, float] = field(default_factory=dict)  # compute, dram, ports: what bounds
    mapping: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_cost(cls, layer: Layer, precision: str, cost: LayerCost, clock_hz: float,
                  sparsity: str = "dense") -> LayerResult:
        return cls(
            name=layer.name,
            op=layer.op,
            precision=precision,
            macs=cost.macs,
            params=layer.params(),
            latency_s=cost.latency_s,
            cycles=cost.latency_s * clock_hz,
            energy_j=cost.energy_j,
            energy_breakdown_j=dict(cost.energy_breakdown_j),
            dram_bytes=cost.dram_bytes,
            utilization=cost.utilization,
            bound=cost.bound,
            compute_cycles=cost.compute_cycles,
            density=cost.density,
            effective_macs=cost.macs if cost.effective_macs is None else cost.effective_macs,
            skipped_macs=cost.skipped_macs,
            metadata_bytes=cost.metadata_bytes,
            imbalance=cost.imbalance,
            input_density=cost.input_density,
            output_density=cost.output_density,
            sparsity=sparsity,
            note=cost.note,
            intensity_ops_per_byte=2.0 * cost.macs / cost.dram_bytes if cost.dram_bytes else 0.0,
            # Operands that neither came from nor went to DRAM (a declared fusion, activations
            # kept in an on-chip buffer).
            mapping=({**cost.mapping, "on_chip": sorted(layer.on_chip)} if layer.on_chip
                     else dict(cost.mapping)),
            time_s=dict(cost.time_s),
        )


@dataclass
class Report:
    """A whole evaluation: what was run, each layer's row, and totals. ``provenance`` (set by
    whoever knows the inputs' origin, e.g. ``hwsim run``; see
    :func:`hwsim.report.provenance.provenance`) goes into the JSON and CSV forms."""

    arch: str
    kind: str
    workload: str
    batch: int
    objective: str
    clock_hz: float
    num_pes: int
    layers: list[LayerResult]
    totals: dict[str, Any]
    provenance: dict[str, Any] | None = None

    def to_dict(self, per_layer: bool = True) -> dict[str, Any]:
        """``{"provenance": {...} (when set), "arch", "kind", "workload", "batch",
        "objective", "clock_hz", "num_pes", "totals": {...}, "layers": [...]}``."""
        out: dict[str, Any] = {"provenance": dict(self.provenance)} if self.provenance else {}
        out |= {
            "arch": self.arch, "kind": self.kind, "workload": self.workload,
            "batch": self.batch, "objective": self.objective, "clock_hz": self.clock_hz,
            "num_pes": self.num_pes, "totals": self.totals,
        }
        if per_layer:
            out["layers"] = [asdict(r) for r in self.layers]
        return out

    def to_json(self, indent: int = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def to_csv(self) -> str:
        """One row per layer plus a final TOTAL row; energy components as ``energy_<name>_j``;
        then, when set, the provenance as ``provenance.<key>`` columns repeated on every row
        (so plain ``csv``/pandas readers parse it and the metric columns keep their places)."""
        keys = list(self.totals["energy_breakdown_j"])
        cols = ["name", "op", "precision", "macs", "params", "latency_s", "cycles", "energy_j",
                "dram_bytes", "utilization", "bound", "compute_cycles", "density",
                "effective_macs", "skipped_macs", "metadata_bytes", "imbalance"]
        prov = csv_columns(self.provenance)
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(cols + [f"energy_{k}_j" for k in keys] + list(prov))
        for r in self.layers:
            d = asdict(r)
            w.writerow([d[c] for c in cols] + [r.energy_breakdown_j.get(k, 0.0) for k in keys]
                       + list(prov.values()))
        t = self.totals
        w.writerow(["TOTAL", "", "", t["macs"], t["params"], t["latency_s"], t["cycles"],
                    t["energy_j"], t["dram_bytes"], t["utilization"], t["bound"],
                    t["compute_cycles"], t["density"], t["effective_macs"], t["skipped_macs"],
                    t["metadata_bytes"], t["imbalance"]]
                   + [t["energy_breakdown_j"][k] for k in keys] + list(prov.values()))
        return buf.getvalue()

    def table(self, max_rows: int | None = None) -> str:
        """Readable fixed-width table of layers and totals, with the energy breakdown."""
        head = (f"{'layer':<28} {'op':<8} {'MACs':>9} {'latency':>10} {'cycles':>11} "
                f"{'energy':>10} {'DRAM':>9} {'util':>6}  bound")
        lines = [f"{self.workload} on {self.arch} ({self.kind}), batch {self.batch}, "
                 f"objective {self.objective}", head, "-" * len(head)]
        rows = self.layers if max_rows is None else self.layers[:max_rows]
        for r in rows:
            lines.append(
                f"{r.name[:28]:<28} {r.op[:8]:<8} {_si(r.macs):>9} {_time(r.latency_s):>10} "
                f"{r.cycles:>11.0f} {_energy(r.energy_j):>10} {_bytes(r.dram_bytes):>9} "
                f"{r.utilization:>6.1%}  {r.bound}"
            )
        if max_rows is not None and len(self.layers) > max_rows:
            lines.append(f"... {len(self.layers) - max_rows} more layers (use --format csv/json)")
        t = self.totals
        lines.append("-" * len(head))
        lines.append(
            f"{'TOTAL':<28} {'':<8} {_si(t['macs']):>9} {_time(t['latency_s']):>10} "
            f"{t['cycles']:>11.0f} {_energy(t['energy_j']):>10} {_bytes(t['dram_bytes']):>9} "
            f"{t['utilization']:>6.1%}  {t['bound']}"
        )
        lines.append("")
        lines.append(f"throughput {t['macs'] / t['latency_s'] / 1e9 * 2:.2f} GOP/s "
                     f"({t['peak_fraction']:.1%} of peak); layers bound by: "
                     + ", ".join(f"{k} {v}" for k, v in t["bound_counts"].items()))
        lines.append(_design_line(t))
        lines.append("energy breakdown:")
        total_e = t["energy_j"] or 1.0
        for k, v in t["energy_breakdown_j"].items():
            if v > 0:
                lines.append(f"  {k:<16} {_energy(v):>10}  {v / total_e:6.1%}")
        return "\n".join(lines)


def _design_line(t: dict[str, Any]) -> str:
    """Area or FPGA blocks, and efficiency, in one line."""
    parts = []
    if t.get("area_mm2"):
        parts.append(f"area {t['area_mm2']:.3g} mm² ({t['gops_per_mm2']:.3g} GOP/s/mm²)")
    if t.get("fpga_used"):
        avail = t["fpga_available"]
        parts.append(f"{t['fpga_device']}: " + ", ".join(
            f"{k} {v:,}/{avail.get(k, 0):,}" for k, v in t["fpga_used"].items()))
    parts.append(f"{t['gops_per_w']:.3g} GOP/s/W; {_energy(t['energy_per_inference_j'])} "
                 "per inference")
    return "; ".join(parts)


def build_report(workload: Workload, arch: ArchSpec, objective: str,
                 rows: list[LayerResult]) -> Report:
    """Totals over layers (sequential execution: latencies add)."""
    keys: list[str] = []
    for r in rows:
        for k in r.energy_breakdown_j:
            if k not in keys:
                keys.append(k)
    breakdown = {k: sum(r.energy_breakdown_j.get(k, 0.0) for r in rows) for k in keys}
    latency = sum(r.latency_s for r in rows)
    macs = sum(r.macs for r in rows)
    eff = sum(r.effective_macs for r in rows)
    dense_macs = sum(r.macs for r in rows if r.macs > 0)
    n_pe = arch.num_pes
    # MAC slots at each layer's own precision (a packed array completes two int8 MACs per PE)
    peak = {p: arch.compute.peak_macs_per_cycle(arch.clock_hz, p)
            for p in dict.fromkeys(r.precision for r in rows if r.macs > 0)}
    slots = sum(sum(r.compute_cycles for r in rows if r.macs > 0 and r.precision == p) * n
                for p, n in peak.items())
    fastest = max(peak.values(), default=n_pe)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.bound] = counts.get(r.bound, 0) + 1
    by_time: dict[str, float] = {}
    for r in rows:
        by_time[r.bound] = by_time.get(r.bound, 0.0) + r.latency_s
    cycles = latency * arch.clock_hz
    dens_num = sum(r.density * r.params for r in rows)
    params = sum(r.params for r in rows)
    totals: dict[str, Any] = {
        "latency_s": latency,
        "cycles": cycles,
        "energy_j": sum(breakdown.values()),
        "energy_breakdown_j": breakdown,
        "macs": macs,
        "effective_macs": eff,
        "skipped_macs": sum(r.skipped_macs for r in rows),
        "params": params,
        "dram_bytes": sum(r.dram_bytes for r in rows),
        "compute_cycles": sum(r.compute_cycles for r in rows),
        "metadata_bytes": sum(r.metadata_bytes for r in rows),
        # useful MACs never exceed the PE-cycles; SCALE-Sim's count (folds x cycles - 1, a
        # single-MAC layer taking 0 cycles) would put a tiny array's ratio above 1
        "utilization": min(1.0, eff / slots) if slots else 0.0,
        "peak_fraction": min(1.0, eff / (cycles * fastest)) if cycles else 0.0,
        "density": dens_num / params if params else 1.0,
        "imbalance": max((r.imbalance for r in rows), default=1.0),
        "bound": max(by_time, key=lambda k: by_time[k]) if by_time else "compute",
        "bound_counts": counts,
        "dense_macs": dense_macs,
        "intensity_ops_per_byte": 2.0 * macs / dram if (dram := sum(r.dram_bytes for r in rows))
        else 0.0,
        **design_totals(arch, workload.batch, 2.0 * eff, latency, sum(breakdown.values())),
    }
    return Report(arch.name, arch.kind, workload.name, workload.batch, objective,
                  arch.clock_hz, n_pe, rows, totals)


def design_totals(arch: ArchSpec, batch: int, ops: float, latency_s: float, energy_j: float
                  ) -> dict[str, Any]:
    """What the design costs and what it buys per unit of cost: area (mm², by component),
    leakage (W), useful GOP/s per mm² and per W, energy per inference (J), FPGA blocks."""
    hw = arch.hw
    area = float(sum(hw.area_mm2.values()))
    gops = ops / latency_s / 1e9 if latency_s else 0.0
    out: dict[str, Any] = {
        "area_mm2": area,
        "area_breakdown_mm2": dict(hw.area_mm2),
        "leakage_w": hw.leakage_w,
        "static_w": hw.static_w,
        "gops_per_mm2": gops / area if area else 0.0,
        "gops_per_w": gops / (energy_j / latency_s) if energy_j and latency_s else 0.0,
        "energy_per_inference_j": energy_j / batch,
    }
    if hw.resources is not None:
        used = hw.resources.used
        out["fpga_device"] = hw.resources.device
        out["fpga_used"] = dict(used)
        out["fpga_available"] = dict(hw.resources.available)
        out["fpga_dsp"] = used["dsp"]
        out["fpga_ram_blocks"] = sum(v for k, v in used.items() if k != "dsp")
        out["fpga_used"].update(hw.resources.fabric_used)
        out["fpga_available"].update(hw.resources.fabric_available)
        out["fpga_lut"] = hw.resources.fabric_used.get("lut", 0)
        out["fpga_ff"] = hw.resources.fabric_used.get("ff", 0)
    return out


def _si(x: float) -> str:
    for unit, f in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= f:
            return f"{x / f:.2f}{unit}"
    return f"{x:.0f}"


def _time(s: float) -> str:
    if s >= 1:
        return f"{s:.3f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3f} ms"
    return f"{s * 1e6:.2f} us"


def _energy(j: float) -> str:
    if j >= 1:
        return f"{j:.3f} J"
    if j >= 1e-3:
        return f"{j * 1e3:.3f} mJ"
    if j >= 1e-6:
        return f"{j * 1e6:.2f} uJ"
    return f"{j * 1e9:.2f} nJ"


def _bytes(b: float) -> str:
    for unit, f in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= f:
            return f"{b / f:.2f}{unit}"
    return f"{b:.0f}B"


def check_finite(report: Report) -> None:
    """Guard: no NaN, infinite or negative number leaves the model."""
    def bad(v: float) -> bool:
        return not math.isfinite(v) or v < 0

    for r in report.layers:
        vals = [r.latency_s, r.energy_j, r.dram_bytes, r.cycles, *r.energy_breakdown_j.values()]
        if any(bad(v) for v in vals):
            raise ArithmeticError(f"model produced an invalid number for layer {r.name}: {r}")
