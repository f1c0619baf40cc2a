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
projection, as vLLM and TensorRT-LLM do). The block's structure follows ``family`` (see
``_TRAITS``): sequential pre-norm blocks (Llama, GPT-2) or parallel ones, where attention and
MLP both read the block's input and their outputs join the residual together (GPT-J with one
LayerNorm, Falcon's new decoder architecture with one each), as TensorRT-LLM runs them: two
all-reduces under tensor parallelism, one after each branch.

Attention is unfused (the score matrix goes through memory) or fused (FlashAttention-like:
scores, softmax and probabilities stay on chip: the layers carry ``on_chip``). A prefill's
attention matmuls are causal: unfused, the whole score matrix is computed and masked; fused,
the kernel skips the key blocks above the diagonal, about half of the attention MACs of a long
prefill (on GPUs; the other targets compute the whole matrix). Tensor parallelism
over ``tp`` devices shards heads and MLP columns (Megatron-LM, Shoeybi et al. 2019) and adds
an all-reduce after the attention output and after the MLP; the workload is what one device
runs.
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

Family = Literal["llama", "gpt2", "gptj", "falcon"]

#: Hugging Face field names of GPT-2 style configs and their Llama-style equivalents.
_GPT2_NAMES = {"n_embd": "hidden_size", "n_head": "num_attention_heads",
               "n_layer": "num_hidden_layers", "n_positions": "max_position_embeddings",
               "n_inner": "intermediate_size", "activation_function": "hidden_act"}
#: Falcon's names (transformers' FalconConfig and the older RWConfig) for the same fields.
_FALCON_NAMES = {"num_kv_heads": "num_key_value_heads", "n_head_kv": "num_key_value_heads",
                 "ffn_hidden_size": "intermediate_size"}


@dataclass(frozen=True)
class _Traits:
    """What a family's block is made of; the counts of ``params`` and the layers of
    ``llm_workload`` both read it, so the two cannot disagree."""

    layernorm: bool  # LayerNorm (weight and bias: 2 x hidden parameters), else RMSNorm (1 x)
    learned_positions: bool  # a table of max_position_embeddings rows, else rotary
    gated_mlp: bool  # SiLU(gate) * up, three matrices; else GELU between two matrices
    parallel: bool  # attention and MLP both read the block's input (one residual join)
    norms: int  # norms per block: 2 (sequential, or Falcon's ln_attn + ln_mlp), 1 (GPT-J)
    attention_bias: bool | None  # biases on q, k, v and output projection; None: the field's
    mlp_bias: bool
    lm_head_bias: bool


#: Per family, from each model's reference implementation (Hugging Face transformers):
#: GPT-2 (modeling_gpt2: Conv1D layers with biases), GPT-J (modeling_gptj: q/k/v/out_proj
#: without bias, fc_in/fc_out and lm_head with bias, one ln_1 for both branches), Falcon with
#: new_decoder_architecture (modeling_falcon: ln_attn and ln_mlp, ``bias`` false throughout).
_TRAITS: dict[str, _Traits] = {
    "llama": _Traits(False, False, True, False, 2, None, False, False),
    "gpt2": _Traits(True, True, False, False, 2, True, True, False),
    "gptj": _Traits(True, False, False, True, 1, False, True, True),
    "falcon": _Traits(True, False, False, True, 2, False, False, False),
}


class LLMConfig(BaseModel):
    """The architecture fields of a decoder-only transformer (Hugging Face ``config.json``)."""

    # Strict: "4096" or true for a size is a mistake in the file, not a number.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    name: str = Field(min_length=1)
    family: Family = Field(
        "llama", description="llama: RMSNorm, rotary positions, gated SiLU MLP, no biases "
        "(Llama, Mistral, Mixtral, Qwen); gpt2: LayerNorm, learned positions, GELU MLP, biases; "
        "gptj: LayerNorm, rotary, attention and GELU MLP in parallel from one LayerNorm, biases "
        "on the MLP and LM head only; falcon (new decoder architecture: Falcon-40B/180B): "
        "LayerNorm, rotary, attention and GELU MLP in parallel from a LayerNorm each, no biases")
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
        if self.num_local_experts > 1 and not self.traits.gated_mlp:
            raise ValueError(f"mixtures of experts are modelled with gated MLPs only, not for "
                             f"family {self.family}")
        return self

    @property
    def traits(self) -> _Traits:
        """The structure of the family's blocks (norms, positions, MLP, biases)."""
        return _TRAITS[self.family]

    @property
    def qkv_bias(self) -> bool:
        """Whether the attention's projections have biases: fixed by the family, or the
        ``attention_bias`` field in the llama family (whose ``params`` then counts the q, k, v
        biases only, Qwen's rule, while the workload also biases the output projection: a
        difference of ``hidden_size`` elements per layer, as before the parallel families)."""
        fixed = self.traits.attention_bias
        return self.attention_bias if fixed is None else fixed

    @property
    def kv_heads(self) -> int:
        return self.num_key_value_heads or self.num_attention_heads

    @property
    def dhead(self) -> int:
        return self.head_dim or self.hidden_size // self.num_attention_heads

    def params(self) -> int:
        """Parameters as published (tied embeddings counted once)."""
        t = self.traits
        h, i, v = self.hidden_size, self.intermediate_size, self.vocab_size
        q = self.num_attention_heads * self.dhead
        kv = self.kv_heads * self.dhead
        e = self.num_local_experts
        attn = h * (q + 2 * kv) + q * h
        if self.qkv_bias:
            # GPT-2's and GPT-J's rules bias the output projection alike; Qwen's (llama family
            # with attention_bias) biases q, k and v only.
            attn += (q + 2 * kv) + (h if self.family != "llama" else 0)
        if t.gated_mlp:
            mlp = e * 3 * h * i + (h * e if e > 1 else 0)
        else:
            mlp = 2 * h * i + (i + h if t.mlp_bias else 0)
        norm = 2 * h if t.layernorm else h  # LayerNorm has a scale and a shift
        positions = self.max_position_embeddings * h if t.learned_positions else 0
        head = 0 if self.tie_word_embeddings else v * h + (v if t.lm_head_bias else 0)
        return (self.num_hidden_layers * (attn + mlp + t.norms * norm) + v * h + head
                + positions + norm)

    def active_params(self) -> int:
        """Parameters one token multiplies (experts it is routed to only)."""
        h, i = self.hidden_size, self.intermediate_size
        unused = (self.num_local_experts - self.num_experts_per_tok) * 3 * h * i
        return self.params() - self.num_hidden_layers * unused


def config_from_hf(data: Any, lines: LineMap) -> LLMConfig:
    """An LLMConfig from the fields of a Hugging Face ``config.json`` (GPT-2, Falcon or
    Llama-style names); fields that do not describe the architecture's shape are ignored.

    The family follows ``model_type``: gpt2 (or GPT-2 names without a model_type), gptj,
    falcon, else llama. Defaults are those of the family's transformers config class where the
    file leaves a field out: an MLP of 4 x hidden (GPT-2's and GPT-J's ``n_inner`` null,
    Falcon's ``ffn_hidden_size``), Falcon's 2048 positions, tied embeddings for GPT-2 and
    Falcon (PretrainedConfig's default), untied for GPT-J (GPTJConfig's)."""
    if not isinstance(data, dict):
        raise lines.error("a model config must be a mapping of config.json fields")
    d: dict[Any, Any] = {_GPT2_NAMES.get(k, k): v for k, v in data.items()}
    family = _family(data)
    if family == "falcon":
        _check_falcon(data, lines)
        d = {_FALCON_NAMES.get(k, k): v for k, v in d.items()}
        d.setdefault("max_position_embeddings", 2048)
    if family != "llama" and d.get("intermediate_size") is None and "hidden_size" in d:
        d["intermediate_size"] = 4 * d["hidden_size"]  # n_inner / ffn_hidden_size null: 4 x
    if family in ("gpt2", "falcon"):
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


def _family(data: dict[str, Any]) -> Family:
    kind = data.get("model_type")
    if kind == "gptj":
        return "gptj"
    if kind in ("falcon", "RefinedWeb", "RefinedWebModel"):  # the latter two: Falcon's first
        return "falcon"                                      # custom-code configs
    return "gpt2" if kind == "gpt2" or "n_embd" in data else "llama"


def _check_falcon(data: dict[str, Any], lines: LineMap) -> None:
    """Falcon configs other than the new decoder architecture without biases (Falcon-40B and
    180B) are refused rather than modelled as something else: Falcon-7B's single LayerNorm
    and multi-query attention, Falcon-RW's ALiBi, biases and sequential blocks."""
    if data.get("new_decoder_architecture") is not True:
        raise lines.error("only Falcon's new decoder architecture (new_decoder_architecture: "
                          "true, as Falcon-40B and 180B) is modelled")
    unsupported = [k for k in ("alibi", "bias") if data.get(k)]
    if unsupported:
        raise lines.error(f"Falcon with {' and '.join(unsupported)} is not modelled")


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
        kind: EltwiseKind = "layernorm" if self.cfg.traits.layernorm else "rmsnorm"
        return self.eltwise(name, kind, self.cfg.hidden_size, [src])

    def reduce(self, name: str, src: str) -> str:
        if self.tp == 1:
            return src
        return self.add(AllReduce(name=name, inputs=[src], shape=[self.rows, self.cfg.hidden_size],
                                  devices=self.tp))

    def block(self, i: int, x: str) -> str:
        cfg, p, h = self.cfg, f"layers.{i}.", self.cfg.hidden_size
        t = cfg.traits
        n = self.norm(p + "input_norm", x)
        o = self.reduce(p + "attn_allreduce", self.attention(p, n))
        if t.parallel:
            # Both branches read the block's input (Falcon through a LayerNorm of their own);
            # their outputs are summed, then joined to the residual.
            m = self.norm(p + "mlp_norm", x) if t.norms == 2 else n
            down = self.reduce(p + "mlp_allreduce", self.mlp(p, m))
            y = self.eltwise(p + "branch_add", "add", h, [o, down])
            return self.eltwise(p + "residual_add", "add", h, [y, x])
        x = self.eltwise(p + "attn_add", "add", h, [o, x])
        n = self.norm(p + "post_norm", x)
        down = self.reduce(p + "mlp_allreduce", self.mlp(p, n))
        return self.eltwise(p + "mlp_add", "add", h, [down, x])

    def attention(self, p: str, n: str) -> str:
        """Self-attention of the normed input ``n``, to the output projection (before any
        all-reduce)."""
        cfg, sh = self.cfg, self.shard
        d, h = cfg.dhead, cfg.hidden_size
        group = sh.heads // sh.kv_heads
        q_w, kv_w = sh.heads * d, sh.kv_heads * d
        bias = cfg.qkv_bias
        qkv = self.linear(p + "qkv_proj", n, h, q_w + 2 * kv_w, bias)
        # Split views of the merged projection (no data movement), then rotary positions.
        q = self.add(Eltwise(name=p + "q", kind="slice", shape=[self.rows, q_w], inputs=[qkv]))
        k = self.add(Eltwise(name=p + "k", kind="slice", shape=[self.rows, kv_w], inputs=[qkv]))
        v = self.add(Eltwise(name=p + "v", kind="slice", shape=[self.rows, kv_w], inputs=[qkv]))
        if not cfg.traits.learned_positions:
            # GPT-J rotates 64 of each head's 256 dimensions; the pass still reads and writes
            # all of q and k, so it is costed whole.
            q = self.eltwise(p + "q_rope", "rope", q_w, [q])
            k = self.eltwise(p + "k_rope", "rope", kv_w, [k])
        decode = self.rows == 1
        # Decode reads keys and values from the cache (memory, outside this step's graph).
        keys, values = (INPUT, INPUT) if decode else (k, v)
        m = group * self.rows
        marks: tuple[list[Operand], ...] = FUSED if self.fused else ([], [], [])
        causal = not decode  # a prompt's token i attends to positions up to i
        s = self.add(Matmul(name=p + "scores", inputs=[q, keys], m=m, k=d, n=self.kv_len,
                            count=sh.kv_heads, causal=causal, on_chip=list(marks[0])))
        sm = self.add(Eltwise(name=p + "softmax", kind="softmax", inputs=[s],
                              shape=[sh.heads, self.rows, self.kv_len], on_chip=list(marks[1])))
        ctx = self.add(Matmul(name=p + "context", inputs=[sm, values], m=m, k=self.kv_len, n=d,
                              count=sh.kv_heads, causal=causal, on_chip=list(marks[2])))
        return self.linear(p + "o_proj", ctx, q_w, h, bias)

    def mlp(self, p: str, n: str) -> str:
        """The MLP of the normed input ``n``, to its last projection (before any all-reduce)."""
        cfg, sh, h = self.cfg, self.shard, self.cfg.hidden_size
        if not cfg.traits.gated_mlp:
            bias = cfg.traits.mlp_bias
            up = self.linear(p + "fc", n, h, sh.inter, bias)
            act = self.eltwise(p + "gelu", "gelu", sh.inter, [up])
            return self.linear(p + "proj", act, sh.inter, h, bias)
        if cfg.num_local_experts > 1:
            return self._moe(p, n)
        gu = self.linear(p + "gate_up_proj", n, h, 2 * sh.inter, False)
        # SiLU of the gate half times the up half: two operands of the MLP width.
        act = self.add(Eltwise(name=p + "silu_mul", kind="silu", inputs=[gu],
                               shape=[self.rows, sh.inter], operands=2))
        return self.linear(p + "down_proj", act, sh.inter, h, False)

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
        if cfg.traits.learned_positions:
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
                        tokens=1, bias=cfg.traits.lm_head_bias, prunable=False, tied_to=tied))
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
