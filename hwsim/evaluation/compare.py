"""compare(): a baseline plus every sparsity pattern (every level of nested ones), per
accelerator; and which patterns an accelerator cannot exploit at all."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from hwsim.arch.spec import ArchSpec
from hwsim.choices import BASELINES
from hwsim.errors import HwsimError
from hwsim.evaluation.evaluate import AttentionPolicy, evaluate
from hwsim.evaluation.layer_sparsity import has_own_sparsity, strip_sparsity
from hwsim.model.sparse import DISTANCE_TOPOLOGIES
from hwsim.report.compare import CompareRow, hardware_support, weight_storage
from hwsim.report.provenance import Origin, arch_sha256, provenance, workload_sha256
from hwsim.sparsity.spec import Channel, Dense, Nested, Pattern, SmallWorld
from hwsim.workload.graph import Workload

Baseline = Literal["dense", "imported"]


def expand(specs: list[Pattern]) -> list[tuple[Pattern, int, str]]:
    """(spec, level, label) per evaluation: nested specs give one entry per level."""
    out: list[tuple[Pattern, int, str]] = []
    for s in specs:
        if isinstance(s, Nested):
            for i, lv in enumerate(s.levels):
                out.append((s, i, f"{s.label} @ {lv:.0%}"))
        else:
            out.append((s, 0, s.label))
    return out


def imported_label(workload: Workload) -> str:
    """The label of the workload as written, when it brings its own sparsity."""
    return "imported masks" if workload.masks else "workload's own patterns"


def compare(workload: Workload, archs: list[ArchSpec], specs: list[Pattern],
            objective: str = "latency", batch: int | None = None, *,
            baseline: Baseline | str = "dense", attention: AttentionPolicy = "arch",
            origin: Origin | None = None) -> list[CompareRow]:
    """Per accelerator: its baseline row, then every pattern (every level of nested ones),
    each with speedup and energy saving against the baseline.

    A workload with sparsity of its own (imported masks, or per-layer patterns) gives two
    reference rows, pattern ``dense`` (masks and patterns stripped) and pattern ``imported``
    (the workload as written, labelled "imported masks"); ``baseline`` says which one the
    others are measured against and comes first: ``dense`` (default) or ``imported`` (an
    error for a workload without sparsity of its own). A pattern replaces the imported
    masks of the layers it applies to. Every row carries the accelerator's hardware support
    and its provenance (``origin`` adds file paths, ``--set`` overrides and the
    ``--sparsity`` texts)."""
    if baseline not in BASELINES:
        raise HwsimError(f"unknown baseline '{baseline}', expected one of "
                         f"{', '.join(BASELINES)}")
    own = has_own_sparsity(workload)
    if baseline == "imported" and not own:
        raise HwsimError(f"--baseline imported: workload '{workload.name}' has no masks or "
                         "sparsity patterns of its own (use --baseline dense)")
    origin = origin or Origin()
    wl_digest = workload_sha256(workload)
    dense_wl = strip_sparsity(workload)
    own_label = imported_label(workload)
    rows: list[CompareRow] = []
    for ai, arch in enumerate(archs):
        support = hardware_support(arch)
        a_digest = arch_sha256(arch)

        def prov(text: str | None, label: str, level: int = 0,
                 ai: int = ai, a_digest: str = a_digest, arch: ArchSpec = arch) -> dict:
            return provenance(
                arch, workload, arch_path=origin.arch_path(ai), sets=origin.arch_sets(ai),
                workload_path=origin.workload_path, batch=batch, sparsity_text=text,
                sparsity_label=label, level=level, objective=objective, attention=attention,
                baseline=baseline, arch_digest=a_digest, workload_digest=wl_digest)

        dense = evaluate(dense_wl, arch, objective, batch, attention=attention)
        refs = [("dense", "dense", dense)]
        if own:
            imported = evaluate(workload, arch, objective, batch, attention=attention)
            refs.append(("imported", own_label, imported))
            if baseline == "imported":
                refs.reverse()
        base = refs[0][2]
        for pattern, label, rep in refs:
            rows.append(CompareRow.of(rep, base, pattern, label, support=support,
                                      provenance=prov(None, label)))
        stored_nested: dict[int, float] = {}
        for si, spec, level, label in _expanded(specs):
            if isinstance(spec, Dense) and not spec.activation_zeros:
                continue  # the dense row
            rep = evaluate(workload, arch, objective, batch, sparsity=spec, level=level,
                           attention=attention)
            stored = None
            if isinstance(spec, Nested):
                # Every level is served from one stored model: the densest level's nonzeros,
                # each tagged with the sparsest level it still belongs to.
                if level == 0:
                    tags = math.ceil(math.log2(len(spec.levels))) if len(spec.levels) > 1 else 0
                    stored_nested[id(spec)] = weight_storage(rep, tags)
                stored = stored_nested[id(spec)]
            rows.append(CompareRow.of(rep, base, spec.pattern, label, stored, support,
                                      prov(origin.sparsity_text(si), label, level)))
    return rows


def _expanded(specs: Sequence[Pattern]) -> list[tuple[int, Pattern, int, str]]:
    """(index of the spec, spec, level, label), nested specs once per level."""
    out = []
    for si, s in enumerate(specs):
        out += [(si, spec, level, label) for spec, level, label in expand([s])]
    return out


def cannot_exploit(arch: ArchSpec, pattern: Pattern | None, masks: bool = False) -> str | None:
    """Why ``arch`` can do nothing with ``pattern`` (or, with ``masks``, with imported
    weight masks) so that the result equals dense, or None when it may exploit it.

    Only arrays (``fpga``, ``systolic``) can lack support: they exploit zero weights by
    skipping (``sparsity.skip``), a compressed weight format or gating, and zero activations
    by ``skip_inputs``, an input format or gating, and zeros in the outputs they write by an
    output format; a GPU or a scratchpad picks sparse kernels
    or loops by itself. Channel patterns make smaller dense layers and always pay; small-world
    connectivity shortens wires on mesh, tree and graph interconnects."""
    if arch.kind not in ("fpga", "systolic"):
        return None
    top = pattern.level(0) if isinstance(pattern, Nested) else pattern
    if isinstance(top, Channel):
        return None
    if isinstance(top, SmallWorld) and arch.interconnect.topology in DISTANCE_TOPOLOGIES:
        return None
    weights = masks or (top is not None and top.pattern != "dense")
    acts = top is not None and top.act > 0
    outs = top is not None and top.out_act > 0
    if not weights and not acts and not outs:
        return None
    sup = arch.sparsity
    if weights and (sup.skip != "none" or sup.weights.format != "dense" or sup.gating):
        return None
    if acts and (sup.skip_inputs or sup.inputs.format != "dense" or sup.gating):
        return None
    if outs and sup.outputs.format != "dense":
        return None
    missing = []
    if weights:
        missing.append("no weight skipping (sparsity.skip: none), no weight format "
                       "(sparsity.weights.format: dense)")
    if acts:
        missing.append("no activation skipping or format")
    if outs:
        missing.append("no output format (sparsity.outputs.format: dense)")
    if weights or acts:
        missing.append("no gating")
    return ", ".join(missing)


def suggested_set(pattern: Pattern | None) -> str:
    """The ``--set`` that lets an array exploit ``pattern`` (the weight granularity it needs,
    else activation skipping, or an output format for zeros in the outputs alone)."""
    top = pattern.level(0) if isinstance(pattern, Nested) else pattern
    name = top.pattern if top is not None else "unstructured"
    if name == "nm":
        return "sparsity.skip=nm"
    if name in ("block", "shuffled_block"):
        return "sparsity.skip=block"
    if name == "dense":
        if top is not None and top.out_act > 0 and top.act == 0:
            return "sparsity.outputs.format=rle"
        return "sparsity.skip_inputs=true"
    return "sparsity.skip=unstructured"
