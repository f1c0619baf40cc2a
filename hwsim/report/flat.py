"""Result rows flattened for tables and frames: the energy breakdown becomes one
``energy_<component>_j`` column per component, as the CSV outputs write it."""

from __future__ import annotations

from typing import Any


def flat_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with an ``energy_breakdown_j`` dict -> one ``energy_<c>_j`` key per component
    (0 where a row lacks the component), in first-seen order; ``mapping`` and ``time_s``
    dicts are dropped."""
    comps: list[str] = []
    for r in records:
        for c in r.get("energy_breakdown_j") or {}:
            if c not in comps:
                comps.append(c)
    rows = []
    for r in records:
        d = {k: v for k, v in r.items() if k not in ("energy_breakdown_j", "mapping", "time_s")}
        br = r.get("energy_breakdown_j") or {}
        d.update({f"energy_{c}_j": float(br.get(c, 0.0)) for c in comps})
        rows.append(d)
    return rows
