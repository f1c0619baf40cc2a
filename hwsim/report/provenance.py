"""What produced a result: the ``provenance`` object of ``hwsim run`` and ``hwsim compare``
outputs, content hashes of an accelerator and a workload, and its CSV columns.

Data only: nothing here runs the model.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from hwsim.version import VERSION

if TYPE_CHECKING:
    from hwsim.arch.spec import ArchSpec
    from hwsim.sparsity.spec import Pattern
    from hwsim.workload.graph import Workload

#: Prefix of the provenance columns of CSV outputs and flattened rows.
CSV_PREFIX = "provenance."


def arch_sha256(arch: ArchSpec) -> str:
    """sha256 (hex) of the accelerator as validated, overrides applied
    (``arch.model_dump_json()``): equal for equal hardware, whatever file it came from."""
    return hashlib.sha256(arch.model_dump_json().encode("utf-8")).hexdigest()


def workload_sha256(workload: Workload) -> str:
    """sha256 (hex) of the workload's content: name, batch, precision, every layer (shape,
    pattern, producers, flags) and every mask (name, shape, bits)."""
    h = hashlib.sha256()
    head = {"name": workload.name, "batch": workload.batch, "precision": workload.precision,
            "layers": [layer.model_dump(mode="json") for layer in workload.layers],
            "inputs": [workload.producers(layer.name) for layer in workload.layers]}
    h.update(json.dumps(head, sort_keys=True, separators=(",", ":")).encode("utf-8"))
    for name in sorted(workload.masks):
        mask = np.asarray(workload.masks[name], dtype=bool)
        h.update(f"\0mask {name} {list(mask.shape)}\0".encode())
        h.update(np.packbits(mask.ravel()).tobytes())
    return h.hexdigest()


@dataclass(frozen=True)
class Origin:
    """Where a run's inputs came from, beyond what the objects themselves say (``hwsim
    compare`` passes it to :func:`hwsim.evaluation.compare`): each accelerator's file and the
    ``--set`` overrides applied to it (both in the order of the archs), the workload's file,
    and each ``--sparsity`` text as given (in the order of the patterns)."""

    arch_paths: Sequence[str | None] = ()
    sets: Sequence[Sequence[str]] = ()
    workload_path: str | None = None
    sparsity_texts: Sequence[str | None] = ()

    def arch_path(self, i: int) -> str | None:
        return self.arch_paths[i] if i < len(self.arch_paths) else None

    def arch_sets(self, i: int) -> list[str]:
        return list(self.sets[i]) if i < len(self.sets) else []

    def sparsity_text(self, i: int) -> str | None:
        return self.sparsity_texts[i] if i < len(self.sparsity_texts) else None


def provenance(
    arch: ArchSpec,
    workload: Workload,
    *,
    arch_path: str | None = None,
    sets: Sequence[str] = (),
    workload_path: str | None = None,
    batch: int | None = None,
    sparsity_text: str | None = None,
    sparsity: Pattern | None = None,
    sparsity_label: str | None = None,
    level: int = 0,
    objective: str = "latency",
    attention: str = "arch",
    baseline: str | None = None,
    arch_digest: str | None = None,
    workload_digest: str | None = None,
) -> dict[str, Any]:
    """The ``provenance`` object of a run (``hwsim run --format json``: a top-level key) or
    of one compare row (``hwsim compare --format json``: a key of every row). Keys, in order:

    * ``hwsim_version`` (str): :data:`hwsim.version.VERSION` of the code that computed it;
    * ``arch`` (str): the accelerator's ``name``; ``arch_sha256`` (str, 64 hex digits): sha256
      of ``arch.model_dump_json()`` once every override is applied (same hardware, same hash;
      any ``--set`` that changes a field changes it); ``arch_path`` (str or null): the YAML file
      read (a bundled name resolves to its file), null for an arch built in Python;
      ``sets`` (list of str): the ``--set PATH=VALUE`` overrides applied to this accelerator,
      in order (a ``--set NAME:PATH=VALUE`` appears without its ``NAME:``);
    * ``workload`` (str): its name; ``workload_sha256`` (str): sha256 of its content (layers,
      their patterns and producers, batch, precision, and the bits of every mask);
      ``workload_path`` (str or null): the YAML file read; ``masked_layers`` (int): layers
      with an imported mask;
    * ``batch`` (int): the batch evaluated (``--batch``, else the workload's);
    * ``sparsity`` (str or null): the ``--sparsity`` text as given, null when none applies
      (each layer's own pattern or mask, or the dense baseline); ``sparsity_label`` (str or
      null): what it was parsed as (``"block 4x4 75%"``; for compare rows the row's label,
      e.g. ``"dense"``, ``"imported masks"``, ``"nested ... @ 75%"``);
    * ``level`` (int): the level of a nested pattern (0 = densest);
    * ``objective`` (str): ``latency``, ``energy`` or ``edp``; ``attention`` (str): the
      attention policy, ``arch``, ``fused`` or ``unfused``;
    * ``baseline`` (str, compare rows only): what the speedups are against, ``dense`` (masks
      and the layers' own patterns stripped) or ``imported`` (the workload as written).

    CSV outputs carry the same keys as trailing columns ``provenance.<key>`` repeated on every
    row (:func:`csv_columns`)."""
    label = sparsity_label if sparsity_label is not None else (
        sparsity.label if sparsity is not None else None)
    out: dict[str, Any] = {
        "hwsim_version": VERSION,
        "arch": arch.name,
        "arch_sha256": arch_digest or arch_sha256(arch),
        "arch_path": arch_path,
        "sets": list(sets),
        "workload": workload.name,
        "workload_sha256": workload_digest or workload_sha256(workload),
        "workload_path": workload_path,
        "masked_layers": len(workload.masks),
        "batch": batch if batch is not None else workload.batch,
        "sparsity": sparsity_text,
        "sparsity_label": label,
        "level": level,
        "objective": objective,
        "attention": attention,
    }
    if baseline is not None:
        out["baseline"] = baseline
    return out


def csv_columns(prov: dict[str, Any] | None, null: Any = "") -> dict[str, Any]:
    """``provenance.<key>`` -> cell: lists as JSON text, null as ``null`` (an empty CSV
    cell by default)."""
    if not prov:
        return {}
    return {CSV_PREFIX + k: (json.dumps(v) if isinstance(v, (list, dict))
                             else null if v is None else v) for k, v in prov.items()}
