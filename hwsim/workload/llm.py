"""Decoder-only language models as hwsim workloads: prefill of a prompt, or one decode step.

A model is described by the fields of its Hugging Face ``config.json`` (no weights are read):
hidden size, attention and key/value heads (GQA/MQA), MLP width, layers, vocabulary, experts.
``llm_workload`` lowers one phase into the existing ops, per sequence (the batch is the number
of sequences, as everywhere in hwsim):

* **prefill** of ``tokens`` prompt tokens: every linear layer multiplies ``tokens`` rows; the
  attention of each key/value head is (group x tokens) x head_dim @ head_dim x tokens, where
  group = query heads per key/value head (queries of a group share their keys, as GQA kernels
  stack them); the LM head runs on the last token only (what a server samples from).
* **decode** of one token at ``context`` positions: one row per linear layer; the attention
  reads the key/value cache of ``context`` positions (the matmul's second operand, taken from
  memory: ``input`` in the graph) and the new token's keys and values are written to it.

The linear layers are the merged ones serving engines run (one QKV projection, one gate+up
projection, as vLLM and TensorRT-LLM do). Attention is unfused (the score matrix goes through
memory) or fused (FlashAttention-like: scores, softmax and probabilities stay on chip: the
layers carry ``on_chip``). Unfused and fused both compute the whole score matrix; causal
kernels skip the blocks above the diagonal, about half of the attention MACs of a long
prefill, which is not modelled. Tensor parallelism over ``tp`` devices shards heads and MLP
columns (Megatron-LM, Shoeybi et al. 2019) and adds an all-reduce after the attention output
and after the MLP; the workload is what one device runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hwsim.bundled import resolve
from hwsim.errors import HwsimError
from hwsim.precision import Precision
from hwsim.workload.fusion import FUSED
from hwsim.workload.graph import INPUT, Workload, build_workload
from hwsim.workload.layers import (
    AllReduce,
    Eltwise,
    EltwiseKind,
    EmbeddingBag,
    Layer,
    Linear,
    Matmul,
    Operand,
)
from hwsim.yamlio import LineMap, load_yaml, validate

Phase = Literal["prefill", "decode"]
Attention = Literal["unfused", "fused"]

#: Hugging Face field names of GPT-2 style configs and their Llama-style equivalents.
_GPT2_NAMES = {"n_embd": "hidden_size", "n_head": "num_attention_heads",
               "n_layer": "num_hidden_layers", "n_positions": "max_position_embeddings",
               "n_inner": "intermediate_size", "activation_function": "hidden_act"}


class LLMConfig(BaseModel):
    """The architecture fields of a decoder-only transformer (Hugging Face ``config.json``)."""

    # Strict: "4096" or true for a size is a mistake in the file, not a number.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    name: str = Field(min_length=1)
    family: Literal["llama", "gpt2"] = Field(
        "llama", description="llama: RMSNorm, rotary positions, gated SiLU MLP, no biases "
        "(Llama, Mistral, Mixtral, Qwen); gpt2: LayerNorm, learned positions, GELU MLP, biases")
    hidden_size: int = Field(gt=0)
    num_attention_heads: int = Field(gt=0)
    num_key_value_heads: int | None = Field(None, gt=0, description="GQA/MQA; default: heads")
    head_dim: int | None = Field(None, gt=0, description="default: hidden_size / heads")
    intermediate_size: int = Field(gt=0, description="MLP width (per expert)")
    num_hidden_layers: int = Field(gt=0)
    vocab_size: int = Field(gt=0)
    max_position_embeddings: int = Field(gt=0)
    tie_word_embeddings: bool = False
    attention_bias: bool = False
    num_local_experts: int = Field(1, gt=0)
    num_experts_per_tok: int = Field(1, gt=0)
    source: str = ""

    @model_validator(mode="after")
    def _check(self) -> LLMConfig:
        if self.head_dim is None and self.hidden_size % self.num_attention_heads:
            raise ValueError(f"hidden_size {self.hidden_size} is not a multiple of "
                             f"num_attention_heads {self.num_attention_heads}: give head_dim")
        if self.num_attention_heads % self.kv_heads:
            raise ValueError(f"num_attention_heads {self.num_attention_heads} is not a multiple "
                             f"of num_key_value_heads {self.kv_heads}")
        if self.num_experts_per_tok > self.num_local_experts:
            raise ValueError("num_experts_per_tok exceeds num_local_experts")
        return self

    @property
    def kv_heads(self) -> int:
        return self.num_key_value_heads or self.num_attention_heads

    @property
    def dhead(self) -> int:
        return self.head_dim or self.hidden_size // self.num_attention_heads

    def params(self) -> int:
        """Parameters as published (tied embeddings counted once)."""
        h, i, v = self.hidden_size, self.intermediate_size, self.vocab_size
        q = self.num_attention_heads * self.dhead
        kv = self.kv_heads * self.dhead
        e = self.num_local_experts
        if self.family == "gpt2":
            attn = h * (q + 2 * kv) + (q + 2 * kv) + q * h + h
            mlp = 2 * h * i + i + h
            norms = 4 * h
            extra = self.max_position_embeddings * h + 2 * h
        else:
            bias = (q + 2 * kv) if self.attention_bias else 0
            attn = h * (q + 2 * kv) + bias + q * h
            mlp = e * 3 * h * i + (h * e if e > 1 else 0)
            norms = 2 * h
            extra = h
        head = 0 if self.tie_word_embeddings else v * h
        return self.num_hidden_layers * (attn + mlp + norms) + v * h + head + extra

    def active_params(self) -> int:
        """Parameters one token multiplies (experts it is routed to only)."""
        h, i = self.hidden_size, self.intermediate_size
        unused = (self.num_local_experts - self.num_experts_per_tok) * 3 * h * i
        return self.params() - self.num_hidden_layers * unused


def config_from_hf(data: Any, lines: LineMap) -> LLMConfig:
    """An LLMConfig from the fields of a Hugging Face ``config.json`` (GPT-2 or Llama-style
    names); fields that do not describe the architecture's shape are ignored."""
    if not isinstance(data, dict):
        raise lines.error("a model config must be a mapping of config.json fields")
    d = {_GPT2_NAMES.get(k, k): v for k, v in data.items()}
    family = "gpt2" if data.get("model_type") == "gpt2" or "n_embd" in data else "llama"
    if family == "gpt2" and d.get("intermediate_size") is None and "hidden_size" in d:
        d["intermediate_size"] = 4 * d["hidden_size"]  # GPT-2: n_inner null means 4 x n_embd
    if family == "gpt2":
        d.setdefault("tie_word_embeddings", True)
    fields = set(LLMConfig.model_fields)
    kept = {k: v for k, v in d.items() if k in fields and v is not None}
    kept.setdefault("name", Path(lines.file).stem)
    kept["family"] = family
    missing = [f for f in ("hidden_size", "num_attention_heads", "intermediate_size",
                           "num_hidden_layers", "vocab_size", "max_position_embeddings")
               if f not in kept]
    if missing:
        raise lines.error(f"the model config lacks {', '.join(missing)}")
    return validate(LLMConfig, kept, lines)


def load_llm_config(name_or_path: str | Path) -> LLMConfig:
    """A model config: a YAML or JSON file (``config.json`` as Hugging Face publishes it) or
    the name of a bundled one (``llama2_7b``)."""
    data, lines = load_yaml(resolve(str(name_or_path), "models"))
    return config_from_hf(data, lines)


@dataclass(frozen=True)
class _Shard:
    """Per-device sizes under ``tp``-way tensor parallelism."""

    heads: int
    kv_heads: int
    inter: int
    vocab: int


def _shard(cfg: LLMConfig, tp: int) -> _Shard:
    if tp < 1:
        raise HwsimError(f"tensor-parallel degree must be >= 1, got {tp}")
    h = cfg.num_attention_heads
    if h % tp or cfg.intermediate_size % tp:
        raise HwsimError(f"tp={tp} does not divide the {h} attention heads and the "
                         f"{cfg.intermediate_size} MLP columns of {cfg.name}")
    kv = cfg.kv_heads
    if kv % tp and tp % kv:
        raise HwsimError(f"tp={tp} neither divides nor is a multiple of the {kv} key/value "
                         f"heads of {cfg.name}")
    # Fewer key/value heads than devices: each device keeps a copy of one (as vLLM does).
    return _Shard(h // tp, max(1, kv // tp), cfg.intermediate_size // tp,
                  math.ceil(cfg.vocab_size / tp))


class _Builder:
    """Accumulates the layers of one phase, tracking the residual stream."""

    def __init__(self, cfg: LLMConfig, rows: int, kv_len: int, attention: Attention,
                 tp: int) -> None:
        self.cfg, self.rows, self.kv_len, self.tp = cfg, rows, kv_len, tp
        self.fused = attention == "fused"
        self.shard = _shard(cfg, tp)
        self.layers: list[Layer] = []

    def add(self, layer: Layer) -> str:
        self.layers.append(layer)
        return layer.name

    def eltwise(self, name: str, kind: EltwiseKind, width: int, inputs: list[str],
                **kw: Any) -> str:
        return self.add(Eltwise(name=name, kind=kind, shape=[self.rows, width], inputs=inputs,
                                **kw))

    def linear(self, name: str, src: str, fin: int, fout: int, bias: bool, **kw: Any) -> str:
        return self.add(Linear(name=name, inputs=[src], in_features=fin, out_features=fout,
                               tokens=self.rows, bias=bias, **kw))

    def norm(self, name: str, src: str) -> str:
        kind: EltwiseKind = "layernorm" if self.cfg.family == "gpt2" else "rmsnorm"
        return self.eltwise(name, kind, self.cfg.hidden_size, [src])

    def reduce(self, name: str, src: str) -> str:
        if self.tp == 1:
            return src
        return self.add(AllReduce(name=name, inputs=[src], shape=[self.rows, self.cfg.hidden_size],
                                  devices=self.tp))

    def block(self, i: int, x: str) -> str:
        cfg, sh, p = self.cfg, self.shard, f"layers.{i}."
        d, h = cfg.dhead, cfg.hidden_size
        group = sh.heads // sh.kv_heads
        q_w, kv_w = sh.heads * d, sh.kv_heads * d
        gpt2 = cfg.family == "gpt2"
        bias = gpt2 or cfg.attention_bias
        n = self.norm(p + "input_norm", x)
        qkv = self.linear(p + "qkv_proj", n, h, q_w + 2 * kv_w, bias)
        # Split views of the merged projection (no data movement), then rotary positions.
        q = self.add(Eltwise(name=p + "q", kind="slice", shape=[self.rows, q_w], inputs=[qkv]))
        k = self.add(Eltwise(name=p + "k", kind="slice", shape=[self.rows, kv_w], inputs=[qkv]))
        v = self.add(Eltwise(name=p + "v", kind="slice", shape=[self.rows, kv_w], inputs=[qkv]))
        if not gpt2:
            q = self.eltwise(p + "q_rope", "rope", q_w, [q])
            k = self.eltwise(p + "k_rope", "rope", kv_w, [k])
        decode = self.rows == 1
        # Decode reads keys and values from the cache (memory, outside this step's graph).
        keys, values = (INPUT, INPUT) if decode else (k, v)
        m = group * self.rows
        marks: tuple[list[Operand], ...] = FUSED if self.fused else ([], [], [])
        s = self.add(Matmul(name=p + "scores", inputs=[q, keys], m=m, k=d, n=self.kv_len,
                            count=sh.kv_heads, on_chip=list(marks[0])))
        sm = self.add(Eltwise(name=p + "softmax", kind="softmax", inputs=[s],
                              shape=[sh.heads, self.rows, self.kv_len], on_chip=list(marks[1])))
        ctx = self.add(Matmul(name=p + "context", inputs=[sm, values], m=m, k=self.kv_len, n=d,
                              count=sh.kv_heads, on_chip=list(marks[2])))
        o = self.linear(p + "o_proj", ctx, q_w, h, bias)
        o = self.reduce(p + "attn_allreduce", o)
        x = self.eltwise(p + "attn_add", "add", h, [o, x])
        n = self.norm(p + "post_norm", x)
        if gpt2:
            up = self.linear(p + "fc", n, h, sh.inter, True)
            act = self.eltwise(p + "gelu", "gelu", sh.inter, [up])
            down = self.linear(p + "proj", act, sh.inter, h, True)
        elif cfg.num_local_experts > 1:
            down = self._moe(p, n)
        else:
            gu = self.linear(p + "gate_up_proj", n, h, 2 * sh.inter, False)
            # SiLU of the gate half times the up half: two operands of the MLP width.
            act = self.add(Eltwise(name=p + "silu_mul", kind="silu", inputs=[gu],
                                   shape=[self.rows, sh.inter], operands=2))
            down = self.linear(p + "down_proj", act, sh.inter, h, False)
        down = self.reduce(p + "mlp_allreduce", down)
        return self.eltwise(p + "mlp_add", "add", h, [down, x])

    def _moe(self, p: str, n: str) -> str:
        cfg, sh, h = self.cfg, self.shard, self.cfg.hidden_size
        e, k = cfg.num_local_experts, cfg.num_experts_per_tok
        r = self.linear(p + "router", n, h, e, False, prunable=False)
        self.eltwise(p + "router_softmax", "softmax", e, [r])
        gu = self.linear(p + "experts.gate_up_proj", n, h, 2 * sh.inter, False, experts=e,
                         experts_per_token=k)
        act = self.add(Eltwise(name=p + "experts.silu_mul", kind="silu", inputs=[gu],
                               shape=[self.rows * k, sh.inter], operands=2))
        down = self.linear(p + "experts.down_proj", act, sh.inter, h, False, experts=e,
                           experts_per_token=k)
        # Each token's k expert outputs, weighted by the router and summed.
        return self.add(Eltwise(name=p + "experts.combine", kind="add", inputs=[down],
                                shape=[self.rows, h], operands=k))

    def build(self) -> list[Layer]:
        cfg, h = self.cfg, self.cfg.hidden_size
        x = self.add(EmbeddingBag(name="embed_tokens", inputs=[INPUT], num_tables=1,
                                  rows=cfg.vocab_size, dim=h, lookups=self.rows, pooled=False,
                                  prunable=False))
        if cfg.family == "gpt2":
            pos = self.add(EmbeddingBag(name="embed_positions", inputs=[INPUT], num_tables=1,
                                        rows=cfg.max_position_embeddings, dim=h,
                                        lookups=self.rows, pooled=False, prunable=False))
            x = self.eltwise("embed_add", "add", h, [x, pos])
        for i in range(cfg.num_hidden_layers):
            x = self.block(i, x)
        x = self.norm("final_norm", x)
        if self.rows > 1:  # prefill: logits of the last position only
            x = self.add(Eltwise(name="last_token", kind="slice", shape=[1, h], inputs=[x]))
        tied = "embed_tokens" if cfg.tie_word_embeddings and self.tp == 1 else None
        self.add(Linear(name="lm_head", inputs=[x], in_features=h, out_features=self.shard.vocab,
                        tokens=1, bias=False, prunable=False, tied_to=tied))
        return self.layers


def llm_workload(cfg: LLMConfig, phase: Phase, tokens: int, batch: int = 1,
                 attention: Attention = "unfused", tp: int = 1,
                 precision: Precision | None = "fp16") -> Workload:
    """One phase of ``cfg`` as a Workload of ``batch`` sequences on one of ``tp`` devices.

    ``tokens`` is the prompt length for prefill and the context length (positions attended,
    the new token included) for decode.
    """
    if phase not in ("prefill", "decode"):
        raise HwsimError(f"phase must be prefill or decode, got '{phase}'")
    if tokens < 1:
        raise HwsimError(f"{'prompt' if phase == 'prefill' else 'context'} length must be "
                         f">= 1, got {tokens}")
    if tokens > cfg.max_position_embeddings:
        raise HwsimError(f"{cfg.name} handles at most {cfg.max_position_embeddings} positions "
                         f"(max_position_embeddings), asked for {tokens}")
    if batch < 1:
        raise HwsimError(f"batch must be positive, got {batch}")
    rows = tokens if phase == "prefill" else 1
    layers = _Builder(cfg, rows, tokens, attention, tp).build()
    what = (f"prefill of {tokens} tokens" if phase == "prefill"
            else f"decode of one token at context {tokens}")
    shard = f", one of {tp} tensor-parallel devices" if tp > 1 else ""
    return build_workload(
        name=f"{cfg.name}_{phase}{tokens}",
        layers=layers,
        batch=batch,
        precision=precision,
        description=f"{cfg.name}: {what}, {attention} attention{shard}",
        source=cfg.source or f"built by hwsim.workload.llm from the {cfg.name} model config",
    )


def kv_cache_bytes(cfg: LLMConfig, context: int, batch: int, elem_bytes: float,
                   tp: int = 1) -> float:
    """Bytes of the key/value cache of ``batch`` sequences at ``context`` positions, on one
    of ``tp`` devices."""
    kv = _shard(cfg, tp).kv_heads
    return 2.0 * cfg.num_hidden_layers * kv * cfg.dhead * context * batch * elem_bytes
