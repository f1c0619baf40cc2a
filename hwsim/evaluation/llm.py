"""Serving metrics of a language model on an accelerator: both phases, per token.

``evaluate_llm`` builds the prefill of the prompt and one decode step at the context length
(``hwsim.workload.llm``), evaluates each with ``evaluate`` and states what users of serving
systems quote: time to first token (the prefill), time per output token (one decode step of the
whole batch), tokens per second and energy per generated token, with the bytes behind them
(weights, key/value cache read and written) and whether weights and cache fit the device.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from hwsim.arch.spec import ArchSpec
from hwsim.errors import HwsimError
from hwsim.evaluation.evaluate import evaluate
from hwsim.evaluation.layer_sparsity import apply_layer_sparsity
from hwsim.precision import Precision, bytes_per_element
from hwsim.report.run import Report
from hwsim.sparsity.spec import Pattern
from hwsim.workload.llm import Attention, LLMConfig, Phase, kv_cache_bytes, llm_workload

GIB = 1024**3


@dataclass(frozen=True)
class PhaseResult:
    """One phase on one device: latency (s), energy (J), DRAM bytes and what bounds it."""

    phase: Phase
    tokens: int  # prompt length (prefill) or context length (decode)
    latency_s: float
    energy_j: float  # one device
    dram_bytes: float
    kv_read_bytes: float
    kv_write_bytes: float
    time_by_bound_s: dict[str, float]
    report: Report

    @property
    def bound(self) -> str:
        """The resource that sets the pace of most of the phase's time."""
        return max(self.time_by_bound_s, key=lambda k: self.time_by_bound_s[k])


@dataclass(frozen=True)
class LLMResult:
    """A model served on ``devices`` devices of one arch at one batch: both phases."""

    model: str
    arch: str
    sparsity: str
    attention: Attention
    devices: int
    batch: int
    prompt: int
    context: int
    weight_bytes: float  # per device, as stored (dense)
    kv_cache_bytes: float  # per device at the context length
    capacity_bytes: float | None  # per device; None when the arch does not say
    prefill: PhaseResult
    decode: PhaseResult

    @property
    def ttft_s(self) -> float:
        """Time to first token: the prefill of the whole batch's prompts."""
        return self.prefill.latency_s

    @property
    def tpot_s(self) -> float:
        """Time per output token: one decode step of the batch."""
        return self.decode.latency_s

    @property
    def tokens_per_s(self) -> float:
        """Generated tokens per second over the batch."""
        return self.batch / self.decode.latency_s

    @property
    def energy_per_token_j(self) -> float:
        """Energy per generated token, all devices."""
        return self.decode.energy_j * self.devices / self.batch

    @property
    def prefill_energy_per_token_j(self) -> float:
        """Energy per prompt token, all devices."""
        return self.prefill.energy_j * self.devices / (self.batch * self.prompt)

    @property
    def memory_bytes(self) -> float:
        """Weights plus key/value cache per device."""
        return self.weight_bytes + self.kv_cache_bytes

    @property
    def fits(self) -> bool | None:
        """Whether weights and cache fit the device memory (None when unknown)."""
        if self.capacity_bytes is None:
            return None
        return self.memory_bytes <= self.capacity_bytes

    def to_dict(self) -> dict[str, Any]:
        """The numbers of a table row, with units in the keys."""
        return {
            "model": self.model, "arch": self.arch, "sparsity": self.sparsity,
            "attention": self.attention, "devices": self.devices, "batch": self.batch,
            "prompt": self.prompt, "context": self.context,
            "ttft_s": self.ttft_s, "tpot_s": self.tpot_s, "tokens_per_s": self.tokens_per_s,
            "energy_per_token_j": self.energy_per_token_j,
            "prefill_energy_per_token_j": self.prefill_energy_per_token_j,
            "prefill_bound": self.prefill.bound, "decode_bound": self.decode.bound,
            "decode_dram_bytes": self.decode.dram_bytes,
            "decode_kv_read_bytes": self.decode.kv_read_bytes,
            "decode_kv_write_bytes": self.decode.kv_write_bytes,
            "prefill_kv_write_bytes": self.prefill.kv_write_bytes,
            "weight_bytes": self.weight_bytes, "kv_cache_bytes": self.kv_cache_bytes,
            "memory_bytes": self.memory_bytes, "capacity_bytes": self.capacity_bytes,
            "fits": self.fits,
        }


def evaluate_llm(
    cfg: LLMConfig,
    arch: ArchSpec,
    batch: int = 1,
    prompt: int = 2048,
    context: int | None = None,
    sparsity: Pattern | None = None,
    layer_sparsity: dict[str, Pattern] | None = None,
    attention: Attention | Literal["arch"] = "arch",
    tp: int = 1,
    precision: Precision = "fp16",
    objective: str = "latency",
) -> LLMResult:
    """Prefill of ``prompt`` tokens and one decode step at ``context`` positions (default: the
    prompt length) for ``batch`` sequences on ``tp`` devices of ``arch``.

    ``sparsity`` prunes every prunable layer with weights (not the embeddings, LM head or
    routers, which pruning methods leave dense); ``layer_sparsity`` sets patterns by layer-name
    glob instead. ``attention='arch'`` takes the arch's declared attention kernels.
    """
    if tp > 1 and arch.link is None:
        raise HwsimError(f"tensor parallelism over {tp} devices needs a 'link' in arch "
                         f"'{arch.name}' (bandwidth and latency between devices)")
    att: Attention = arch.attention if attention == "arch" else attention
    ctx = prompt if context is None else context
    if ctx < prompt:
        raise HwsimError(f"context {ctx} is shorter than the prompt ({prompt} tokens): a decode "
                         "step attends to the prompt and the tokens generated after it")
    phases = []
    weights = 0.0
    steps: list[tuple[Phase, int]] = [("prefill", prompt), ("decode", ctx)]
    for phase, tokens in steps:
        wl = llm_workload(cfg, phase, tokens, batch, "unfused", tp, precision)
        if layer_sparsity:
            wl = apply_layer_sparsity(wl, layer_sparsity, "layer sparsity rules")
        report = evaluate(wl, arch, objective=objective, sparsity=sparsity, attention=att)
        phases.append(_phase(cfg, phase, tokens, batch, tp, precision, report))
        weights = wl.params() * bytes_per_element(precision)  # one device's, as stored (dense)
    eb = bytes_per_element(precision)
    cap = arch.dram.capacity_gib
    label = "layer rules" if layer_sparsity else (sparsity.label if sparsity else "dense")
    return LLMResult(cfg.name, arch.name, label, att, tp, batch, prompt, ctx, weights,
                     kv_cache_bytes(cfg, ctx, batch, eb, tp),
                     cap * GIB if cap is not None else None, phases[0], phases[1])


def _phase(cfg: LLMConfig, phase: Phase, tokens: int, batch: int, tp: int, precision: str,
           report: Report) -> PhaseResult:
    eb = bytes_per_element(precision)
    by_bound: dict[str, float] = {}
    for r in report.layers:
        by_bound[r.bound] = by_bound.get(r.bound, 0.0) + r.latency_s
    one_position = kv_cache_bytes(cfg, 1, batch, eb, tp)
    if phase == "prefill":
        kv_read, kv_write = 0.0, one_position * tokens
    else:  # the attention reads the cache of every position (the new one's just written)
        kv_read, kv_write = one_position * tokens, one_position
    t = report.totals
    return PhaseResult(phase, tokens, float(t["latency_s"]), float(t["energy_j"]),
                       float(t["dram_bytes"]), kv_read, kv_write, by_bound, report)
