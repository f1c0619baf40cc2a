"""Published reference measurements and the model's error on each (``hwsim validate``).

Reference files (``references/*.yaml``, shipped with the package) list cases: what was
measured (model or workload, device, batch, lengths), the published figure, its source and
its kind (measured, derived, simulator, recalled). ``run_references`` evaluates every case
with the same functions users call and states model vs published with the relative error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hwsim.arch.load import load_arch
from hwsim.arch.spec import ArchSpec
from hwsim.bundled import bundled_dir
from hwsim.errors import HwsimError
from hwsim.evaluation.evaluate import evaluate
from hwsim.evaluation.llm import evaluate_llm
from hwsim.precision import Precision
from hwsim.sparsity.spec import parse_sparsity
from hwsim.workload.graph import Workload, build_workload
from hwsim.workload.io import load_workload
from hwsim.workload.layers import Linear
from hwsim.workload.llm import LLMConfig, load_llm_config
from hwsim.yamlio import load_yaml, validate

Kind = Literal["measured", "derived", "simulator", "datasheet", "recalled"]


class LLMCase(BaseModel):
    """One published serving measurement of a language model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    source: str
    kind: Kind
    model: str
    arch: str
    precision: Precision = "fp16"
    tp: int = Field(1, ge=1)
    batch: int = Field(ge=1)
    prompt: int = Field(ge=1)
    context: int | None = Field(None, ge=1)
    metric: Literal["tpot", "ttft", "request"]
    output_tokens: int | None = Field(None, ge=1)
    sparsity: str | None = Field(None, description="weight pattern of the prunable layers")
    measured_ms: float = Field(gt=0)
    note: str = ""

    @model_validator(mode="after")
    def _check(self) -> LLMCase:
        if (self.metric == "request") != (self.output_tokens is not None):
            raise ValueError("output_tokens is given with, and only with, metric request")
        if self.context is not None and self.context < self.prompt:
            raise ValueError("context must be at least the prompt length")
        return self


class Gemm(BaseModel):
    """One (m x k) @ (k x n) product with weights: a linear layer of m tokens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    m: int = Field(gt=0)
    n: int = Field(gt=0)
    k: int = Field(gt=0)


class WorkloadCase(BaseModel):
    """One published figure of a network or a layer on an accelerator: latency or DRAM
    traffic of the named layers (their sum), or of the whole network."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    source: str
    kind: Kind
    arch: str
    set: list[str] = Field(default_factory=list, description="arch overrides, PATH=VALUE")
    workload: str | None = None
    gemm: Gemm | None = None
    precision: Precision | None = None
    batch: int | None = Field(None, ge=1)
    sparsity: str | None = None
    layers: list[str] = Field(default_factory=list, description="summed; empty: the network")
    metric: Literal["latency_ms", "dram_mb"]
    measured: float = Field(gt=0)
    note: str = ""

    @model_validator(mode="after")
    def _one_workload(self) -> WorkloadCase:
        if (self.workload is None) == (self.gemm is None):
            raise ValueError("give exactly one of workload and gemm")
        return self


class ReferenceFile(BaseModel):
    """A file of cases sharing their sources' full citations."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: dict[str, str]
    llm_cases: list[LLMCase] = Field(default_factory=list)
    workload_cases: list[WorkloadCase] = Field(default_factory=list)

    @model_validator(mode="after")
    def _sources_cited(self) -> ReferenceFile:
        cases: list[LLMCase | WorkloadCase] = [*self.llm_cases, *self.workload_cases]
        if not cases:
            raise ValueError("a reference file needs llm_cases or workload_cases")
        ids = [c.id for c in cases]
        if len(set(ids)) != len(ids):
            raise ValueError("case ids must be unique")
        unknown = sorted({c.source for c in cases} - set(self.sources))
        if unknown:
            raise ValueError(f"cases cite sources not listed under 'sources': {unknown}")
        return self


@dataclass(frozen=True)
class CaseResult:
    """Model vs published for one case; ``error`` = model / published - 1."""

    id: str
    group: str
    source: str
    citation: str
    kind: str
    what: str
    unit: str
    published: float
    model: float

    @property
    def error(self) -> float:
        return self.model / self.published - 1.0

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "group": self.group, "source": self.source,
                "citation": self.citation, "kind": self.kind, "what": self.what,
                "unit": self.unit, "published": self.published, "model": self.model,
                "error": self.error}


def reference_files() -> list[Path]:
    """The bundled reference files."""
    d = bundled_dir("references")
    return sorted(d.glob("*.yaml")) if d.is_dir() else []


def load_references(path: str | Path) -> ReferenceFile:
    data, lines = load_yaml(path)
    return validate(ReferenceFile, data, lines)


@cache
def _arch(name: str) -> ArchSpec:
    return load_arch(name)


@cache
def _model(name: str) -> LLMConfig:
    return load_llm_config(name)


def llm_case_ms(case: LLMCase) -> float:
    """The model's figure for ``case``, milliseconds."""
    r = evaluate_llm(_model(case.model), _arch(case.arch), batch=case.batch,
                     prompt=case.prompt, context=case.context, tp=case.tp,
                     precision=case.precision,
                     sparsity=parse_sparsity(case.sparsity) if case.sparsity else None)
    if case.metric == "tpot":
        s = r.tpot_s
    elif case.metric == "ttft":
        s = r.ttft_s
    else:  # the prefill yields the first token; each further one is a decode step
        s = r.ttft_s + ((case.output_tokens or 1) - 1) * r.tpot_s
    return s * 1e3


def workload_case_value(case: WorkloadCase) -> float:
    """The model's figure for ``case``: ms of latency or MB (1e6 B) of DRAM traffic."""
    arch = load_arch(case.arch, case.set) if case.set else _arch(case.arch)
    if case.gemm is not None:
        g = case.gemm
        wl = build_workload(f"gemm_{g.m}x{g.n}x{g.k}", [Linear(
            name="gemm", in_features=g.k, out_features=g.n, tokens=g.m, bias=False)],
            precision=case.precision)
    else:
        wl = _workload(case.workload or "")
        if case.precision is not None:
            wl = build_workload(wl.name, wl.layers, wl.batch, case.precision)
    spec = parse_sparsity(case.sparsity) if case.sparsity else None
    # only the case's layers are costed (each as in a run of the whole network)
    rows = evaluate(wl, arch, batch=case.batch, sparsity=spec,
                    layers=case.layers or None).layers
    if case.metric == "latency_ms":
        return sum(r.latency_s for r in rows) * 1e3
    return sum(r.dram_bytes for r in rows) / 1e6


@cache
def _workload(name: str) -> Workload:
    return load_workload(name)


def run_references(paths: list[Path] | None = None) -> list[CaseResult]:
    """Evaluate every case of ``paths`` (default: the bundled reference files)."""
    out: list[CaseResult] = []
    for path in paths if paths is not None else reference_files():
        ref = load_references(path)
        group = Path(path).stem
        for c in ref.llm_cases:
            tp = f", {c.tp} devices" if c.tp > 1 else ""
            what = (f"{c.model} on {c.arch}{tp}: {c.metric}, batch {c.batch}, "
                    f"prompt {c.prompt}" + (f", context {c.context}" if c.context else "")
                    + (f", {c.sparsity}" if c.sparsity else ""))
            out.append(CaseResult(c.id, group, c.source, ref.sources[c.source],
                                  c.kind, what, "ms", c.measured_ms,
                                  _located(path, c.id, partial(llm_case_ms, c))))
        for w in ref.workload_cases:
            g = w.gemm
            net = w.workload if g is None else f"GEMM {g.m}x{g.n}x{g.k}"
            part = "+".join(w.layers) if w.layers else "total"
            what = (f"{net} {part} on {w.arch}: {w.metric.split('_')[0]}"
                    + (f", {w.sparsity}" if w.sparsity else ""))
            unit = "ms" if w.metric == "latency_ms" else "MB"
            out.append(CaseResult(w.id, group, w.source, ref.sources[w.source], w.kind, what,
                                  unit, w.measured,
                                  _located(path, w.id, partial(workload_case_value, w))))
    return out


def _located(path: str | Path, case: str, run: Callable[[], float]) -> float:
    """``run()``, its errors named by reference file and case."""
    try:
        return run()
    except HwsimError as exc:
        raise HwsimError(f"{path}: case '{case}': {exc}") from None
