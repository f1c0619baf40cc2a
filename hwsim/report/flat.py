"""Result rows flattened for tables and frames: the energy breakdown becomes one
``energy_<component>_j`` column per component, and the provenance one ``provenance.<key>``
column per key, as the CSV outputs write them."""

from __future__ import annotations

import csv
import io
from typing import Any

from hwsim.report.provenance import csv_columns


def flat_provenance(prov: dict[str, Any] | None, null: Any = None) -> dict[str, Any]:
    """``provenance.<key>`` -> value (lists as JSON text; ``null`` for missing values)."""
    return csv_columns(prov, null)


def flat_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with an ``energy_breakdown_j`` dict -> one ``energy_<c>_j`` key per component
    (0 where a row lacks the component), in first-seen order; a ``provenance`` dict -> one
    ``provenance.<key>`` key per entry; ``mapping`` and ``time_s`` dicts are dropped."""
    comps: list[str] = []
    for r in records:
        for c in r.get("energy_breakdown_j") or {}:
            if c not in comps:
                comps.append(c)
    rows = []
    for r in records:
        d = {k: v for k, v in r.items()
             if k not in ("energy_breakdown_j", "mapping", "time_s", "provenance")}
        br = r.get("energy_breakdown_j") or {}
        d.update({f"energy_{c}_j": float(br.get(c, 0.0)) for c in comps})
        d.update(flat_provenance(r.get("provenance")))
        rows.append(d)
    return rows


def records_csv(records: list[dict[str, Any]]) -> str:
    """CSV text of flat records (one row each, the first record's keys as the header)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(records[0]))
    w.writeheader()
    w.writerows(records)
    return buf.getvalue()
