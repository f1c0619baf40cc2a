"""Compare results: one row per (accelerator, pattern[, level]) against that accelerator's
baseline run, what the accelerator does with zeros, and their table, JSON and CSV forms."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from hwsim.precision import bytes_per_element
from hwsim.report.flat import flat_provenance
from hwsim.report.run import Report

if TYPE_CHECKING:
    from hwsim.arch.spec import ArchSpec


@dataclass
class CompareRow:
    """One (accelerator, pattern[, level]) evaluation against that accelerator's baseline run
    (dense, or the workload's imported masks with ``--baseline imported``).

    ``support`` states what the accelerator does with zeros (:func:`hardware_support`);
    ``provenance`` what produced the row (:func:`hwsim.report.provenance.provenance`)."""

    arch: str
    kind: str
    pattern: str
    label: str
    density: float  # nonzero weights over the baseline model's weights
    macs: float
    effective_macs: float
    latency_s: float
    speedup: float
    energy_j: float
    energy_saving: float  # 1 - energy / baseline energy
    dram_bytes: float
    metadata_bytes: float
    imbalance: float
    bound: str
    stored_weight_bytes: float  # nonzero weights the model must keep (all levels if nested)
    energy_breakdown_j: dict[str, float]
    support: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    accuracy: float | None = None  # from the user's accuracy table (compare --accuracy)

    @classmethod
    def of(cls, rep: Report, dense: Report, pattern: str, label: str,
           stored: float | None = None, support: dict[str, Any] | None = None,
           provenance: dict[str, Any] | None = None) -> CompareRow:
        """``rep`` against the baseline ``dense`` (any baseline run)."""
        t, d = rep.totals, dense.totals
        density = t["density"] * t["params"] / d["params"] if d["params"] else t["density"]
        return cls(rep.arch, rep.kind, pattern, label, density, t["macs"],
                   t["effective_macs"], t["latency_s"], d["latency_s"] / t["latency_s"],
                   t["energy_j"], 1.0 - t["energy_j"] / d["energy_j"], t["dram_bytes"],
                   t["metadata_bytes"], t["imbalance"], t["bound"],
                   weight_storage(rep) if stored is None else stored,
                   dict(t["energy_breakdown_j"]), dict(support or {}), dict(provenance or {}))


def hardware_support(arch: ArchSpec) -> dict[str, Any]:
    """What ``arch`` does with zeros, as the arch YAML's ``sparsity:`` section says it
    (without ``source``):

    * ``skip``: the weight-sparsity granularity that saves time: ``none``, ``unstructured``,
      ``nm`` (with ``nm: [n, m]``) or ``block`` (with ``block: [rows, cols]``, or null: the
      pattern's own blocks when it is block-structured, else the array's tile);
      ``skip_inputs``: zero activations skipped too;
    * ``weights``, ``inputs``, ``outputs``: storage formats, ``{"format": "dense" | "csr" |
      "bitmap" | ..., "block": [r, c], "run_bits": n}`` (outputs: as results are written);
    * ``gating``: zero operands stop the MAC from toggling (energy, not time).

    A GPU (``tensor_core``) and a scratchpad processor exploit zeros through their kernels
    and loops, whatever that section says: their ``skip`` names them (``kernels: 2:4, block,
    shuffled block, CSR``; ``nonzeros only``), and their weight format is ``per kernel`` or
    ``values + indices``."""
    out: dict[str, Any] = arch.sparsity.model_dump(mode="json", exclude={"source"})
    if arch.kind == "tensor_core":
        kernels = (["2:4"] if getattr(arch.compute, "sparse_tflops", None) else []) + [
            "block", "shuffled block", "CSR"]
        out.update(skip="kernels: " + ", ".join(kernels), skip_inputs=False, gating=False,
                   weights={"format": "per kernel"}, inputs={"format": "dense"},
                   outputs={"format": "dense"})
    elif arch.kind == "scratchpad":
        out.update(skip="nonzeros only", skip_inputs=False, gating=False,
                   weights={"format": "values + indices"}, inputs={"format": "dense"},
                   outputs={"format": "dense"})
    return out


def support_text(support: dict[str, Any]) -> str:
    """A :func:`hardware_support` dict in a few words (the compare table's last column)."""
    if not support:
        return ""
    skip = str(support.get("skip", "none"))
    if skip == "nm" and support.get("nm"):
        skip = f"nm {support['nm'][0]}:{support['nm'][1]}"
    elif skip == "block":
        block = support.get("block")
        skip = f"block {block[0]}x{block[1]}" if block else "block (pattern's)"
    parts = [f"skip {skip}" + (" + inputs" if support.get("skip_inputs") else "")]
    for operand, short in (("weights", "W"), ("inputs", "in"), ("outputs", "out")):
        fmt = support.get(operand) or {}
        name = fmt.get("format", "dense")
        if name == "bcsr" and fmt.get("block"):
            name = f"bcsr {fmt['block'][0]}x{fmt['block'][1]}"
        if name != "dense":
            parts.append(f"{short} {name}")
    if support.get("gating"):
        parts.append("gating")
    return ", ".join(parts)


def weight_storage(rep: Report, tag_bits: int = 0) -> float:
    """Bytes of nonzero weights (plus ``tag_bits`` per nonzero: the level index that lets one
    stored nested model serve every level)."""
    total = 0.0
    for r in rep.layers:
        nnz = r.params * r.density
        total += nnz * (bytes_per_element(r.precision) + tag_bits / 8)
    return total


def rows_table(rows: list[CompareRow], workload: str) -> str:
    """Fixed-width table, one block of rows per accelerator (its baseline first), with the
    accelerator's hardware support on its first row."""
    baseline = rows[0].label if rows else "dense"
    acc = any(r.accuracy is not None for r in rows)  # compare --accuracy
    head = (f"{'accelerator':<16} {'pattern':<30} {'density':>7} "
            + (f"{'accuracy':>8} " if acc else "")
            + f"{'latency':>11} {'speedup':>8} "
            f"{'energy':>11} {'saving':>7} {'DRAM':>9} {'metadata':>9} {'imbal':>6}  "
            f"{'stored W':>10}  {'bound':<10}  hardware support")
    out = [f"{workload}: speedup and energy saving against {baseline}, per accelerator", head,
           "-" * len(head)]
    last = None
    for r in rows:
        if last is not None and r.arch != last:
            out.append("")
        same = r.arch == last
        last = r.arch
        a = "" if not acc else ("       - " if r.accuracy is None else f"{r.accuracy:>8.2f} ")
        out.append(
            f"{r.arch[:16]:<16} {r.label[:30]:<30} {r.density:>7.1%} {a}"
            f"{r.latency_s * 1e3:>8.3f} ms "
            f"{r.speedup:>7.2f}x {r.energy_j * 1e3:>8.3f} mJ {r.energy_saving:>+7.1%} "
            f"{r.dram_bytes / 1e6:>7.2f}MB {r.metadata_bytes / 1e6:>7.2f}MB {r.imbalance:>6.2f}  "
            f"{r.stored_weight_bytes / 1e6:>8.2f}MB  {r.bound:<10}  "
            f"{'' if same else support_text(r.support)}".rstrip()
        )
    return "\n".join(out)


def rows_json(rows: list[CompareRow]) -> str:
    """A JSON list with one object per row: every CompareRow field; ``energy_breakdown_j``,
    ``support`` and ``provenance`` as objects."""
    return json.dumps([asdict(r) for r in rows], indent=2)


def rows_csv(rows: list[CompareRow]) -> str:
    """One line per row: the CompareRow fields, ``energy_<component>_j``, ``support`` (JSON
    text), ``accuracy`` (with compare --accuracy), then the provenance as
    ``provenance.<key>`` columns (repeated on every row)."""
    buf = io.StringIO()
    # The columns of earlier versions keep their places; what was added since follows them.
    late = ["support"] + (["accuracy"] if any(r.accuracy is not None for r in rows) else [])
    skip = ("energy_breakdown_j", "provenance", "support", "accuracy")
    fields = [k for k in asdict(rows[0]) if k not in skip]
    comps = list(rows[0].energy_breakdown_j)
    prov_cols = list(dict.fromkeys(k for r in rows for k in flat_provenance(r.provenance, "")))
    w = csv.writer(buf)
    w.writerow(fields + [f"energy_{c}_j" for c in comps] + late + prov_cols)
    for r in rows:
        d = asdict(r)
        prov = flat_provenance(r.provenance, "")
        d["support"] = json.dumps(r.support)
        w.writerow([d[k] for k in fields] + [r.energy_breakdown_j.get(c, 0.0) for c in comps]
                   + [d[k] for k in late] + [prov.get(c, "") for c in prov_cols])
    return buf.getvalue()
