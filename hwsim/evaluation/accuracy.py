"""Speedup and energy at equal accuracy, as pruning papers state their claims.

A user's accuracy table (``pattern,sparsity,accuracy`` rows from their own pruning runs) gives,
per pattern, accuracy against sparsity. ``iso_accuracy`` finds for each pattern the largest
sparsity whose accuracy still meets a target (linear between measured points, never beyond
the measured range), evaluates the network pruned that far on each accelerator, and states
latency, energy and their gains over the dense network: "gather-scatter is 2-3x faster than
structured patterns at the same accuracy" becomes a table, not an impression.
"""

from __future__ import annotations

import csv
import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwsim.arch.spec import ArchSpec
from hwsim.errors import HwsimError, SpecError
from hwsim.evaluation.evaluate import evaluate
from hwsim.sparsity.spec import Dense, Pattern, parse_sparsity
from hwsim.workload.graph import Workload


@dataclass(frozen=True)
class Point:
    """One measured accuracy of a pattern at a sparsity (0 = dense, 1 = everything pruned)."""

    sparsity: float
    accuracy: float
    line: int


@dataclass(frozen=True)
class AccuracyTable:
    """Accuracy against sparsity per pattern (the pattern text as written, without its
    sparsity), plus the dense network's accuracy."""

    file: str
    dense: float
    curves: dict[str, tuple[Point, ...]]


def load_accuracy_table(path: str | Path) -> AccuracyTable:
    """Read a CSV with columns ``pattern``, ``sparsity``, ``accuracy`` (any further columns
    ignored). ``pattern`` is a --sparsity text without its sparsity (``unstructured``,
    ``block:size=4x4``, ``2:4``); ``sparsity`` may be empty where the pattern fixes it (N:M).
    A ``dense`` row gives the baseline accuracy. Mistakes name the file and line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read accuracy table: {exc}", str(p)) from None
    reader = csv.DictReader(text.splitlines())
    need = {"pattern", "sparsity", "accuracy"}
    if reader.fieldnames is None or not need <= {f.strip() for f in reader.fieldnames}:
        raise SpecError(f"needs the columns {', '.join(sorted(need))}, has "
                        f"{', '.join(reader.fieldnames or [])}", str(p), 1)
    dense: float | None = None
    curves: dict[str, list[Point]] = {}
    for i, row in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        pattern = row["pattern"]
        acc = _number(row["accuracy"], p, i, "accuracy")
        spec = _pattern(pattern, p, i)
        if isinstance(spec, Dense):
            dense = acc
            continue
        s = _sparsity_of(spec, row["sparsity"], p, i)
        curves.setdefault(pattern, []).append(Point(s, acc, i))
    if dense is None:
        raise SpecError("no 'dense' row: the baseline accuracy is needed", str(p))
    if not curves:
        raise SpecError("no pruned rows", str(p))
    out = {}
    for k, pts in curves.items():
        pts.sort(key=lambda q: q.sparsity)
        for a, b in itertools.pairwise(pts):
            if a.sparsity == b.sparsity:
                raise SpecError(f"pattern '{k}' has two rows at sparsity {a.sparsity}", str(p),
                                b.line)
        out[k] = tuple(pts)
    return AccuracyTable(str(p), dense, out)


def _number(text: str, p: Path, line: int, field: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise SpecError(f"'{text}' is not a number", str(p), line, field) from None
    if not math.isfinite(v):
        raise SpecError(f"'{text}' is not a finite number", str(p), line, field)
    return v


def _pattern(text: str, p: Path, line: int) -> Pattern:
    try:
        return parse_sparsity(text)
    except HwsimError:
        pass
    try:  # families whose sparsity is a required field parse once it is given
        return parse_sparsity(f"{text}{',' if ':' in text else ':'}sparsity=0.5")
    except HwsimError as exc:
        raise SpecError(str(exc), str(p), line, "pattern") from None


def _sparsity_of(spec: Pattern, text: str, p: Path, line: int) -> float:
    if text:
        s = _number(text, p, line, "sparsity")
        if not 0.0 <= s < 1.0:
            raise SpecError(f"sparsity {s} is outside [0, 1)", str(p), line, "sparsity")
        return s
    if "sparsity" in type(spec).model_fields:
        raise SpecError("this pattern needs a sparsity", str(p), line, "sparsity")
    return 1.0 - spec.weight_density  # fixed by the pattern itself (N:M)


def sparsity_at(curve: tuple[Point, ...], target: float) -> float | None:
    """The largest sparsity whose accuracy (linear between measured points) is at least
    ``target``; None when no measured or interpolated point reaches it. Never extrapolated:
    at most the largest measured sparsity."""
    found = [q.sparsity for q in curve if q.accuracy >= target]
    for a, b in itertools.pairwise(curve):
        if (a.accuracy - target) * (b.accuracy - target) < 0:  # crosses inside the segment
            t = (a.accuracy - target) / (a.accuracy - b.accuracy)
            found.append(a.sparsity + t * (b.sparsity - a.sparsity))
    return max(found) if found else None


@dataclass(frozen=True)
class IsoRow:
    """One pattern at the target accuracy on one accelerator (gains against dense)."""

    arch: str
    pattern: str
    sparsity: float | None
    accuracy: float | None
    latency_s: float | None
    energy_j: float | None
    speedup: float | None
    energy_saving: float | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def spec_at(pattern: str, s: float) -> Pattern:
    """The pattern of ``pattern`` (table text) at sparsity ``s`` (ignored where the pattern
    fixes its own, as N:M does)."""
    spec = parse_sparsity(pattern) if "sparsity=" in pattern else None
    if spec is not None:
        return spec
    try:
        return parse_sparsity(f"{pattern}{',' if ':' in pattern else ':'}sparsity={s:.6g}")
    except HwsimError:
        return parse_sparsity(pattern)


def _interp(curve: tuple[Point, ...], s: float) -> float:
    for a, b in itertools.pairwise(curve):
        if a.sparsity <= s <= b.sparsity:
            t = (s - a.sparsity) / (b.sparsity - a.sparsity)
            return a.accuracy + t * (b.accuracy - a.accuracy)
    return curve[-1].accuracy if s >= curve[-1].sparsity else curve[0].accuracy


def iso_accuracy(workload: Workload, archs: list[ArchSpec], table: AccuracyTable,
                 target: float, objective: str = "latency",
                 batch: int | None = None) -> list[IsoRow]:
    """Per accelerator: dense, then every pattern of ``table`` pruned as far as ``target``
    accuracy allows, with speedup and energy saving against dense. A pattern that never
    reaches the target gets a row without numbers."""
    rows: list[IsoRow] = []
    for arch in archs:
        dense = evaluate(workload, arch, objective, batch).totals
        d_lat, d_en = float(dense["latency_s"]), float(dense["energy_j"])
        rows.append(IsoRow(arch.name, "dense", 0.0, table.dense, d_lat, d_en, 1.0, 0.0))
        for pattern, curve in table.curves.items():
            s = sparsity_at(curve, target)
            if s is None or s <= 0.0:
                rows.append(IsoRow(arch.name, pattern, None, None, None, None, None, None))
                continue
            t = evaluate(workload, arch, objective, batch,
                         sparsity=spec_at(pattern, s)).totals
            lat, en = float(t["latency_s"]), float(t["energy_j"])
            rows.append(IsoRow(arch.name, pattern, s, _interp(curve, s), lat, en,
                               d_lat / lat, 1.0 - en / d_en))
    return rows


#: Fields that say where a pattern's zeros may go, not how many: what a table row keys on.
_NOT_SHAPE = {"sparsity", "act", "out_act", "seed"}


def _shape(spec: Pattern) -> dict[str, Any]:
    return {k: v for k, v in spec.model_dump().items() if k not in _NOT_SHAPE}


def accuracy_of(table: AccuracyTable, spec: Pattern | None) -> float | None:
    """The accuracy ``table`` gives ``spec`` (None = dense): the curve of the same pattern
    family and parameters, interpolated at its sparsity; None where the table has no such
    pattern or the sparsity is outside the measured range."""
    if spec is None or isinstance(spec, Dense):
        return table.dense
    s = 1.0 - spec.weight_density
    for key, curve in table.curves.items():
        if _shape(_pattern_of(key)) != _shape(spec):
            continue
        if not curve[0].sparsity - 1e-9 <= s <= curve[-1].sparsity + 1e-9:
            return None
        return _interp(curve, s)
    return None


def _pattern_of(key: str) -> Pattern:
    return spec_at(key, 0.5)
