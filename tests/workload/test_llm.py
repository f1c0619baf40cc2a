"""Decoder LLM workloads from model configs: published parameter counts, MACs by hand, GQA,
KV-cache operands, mixtures of experts and tensor-parallel shards."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwsim.errors import HwsimError, SpecError
from hwsim.workload.layers import AllReduce, Linear, Matmul
from hwsim.workload.llm import (
    LLMConfig,
    kv_cache_bytes,
    llm_workload,
    load_llm_config,
)

# Published parameter counts (model cards and papers; GPT-2 with tied embeddings).
PUBLISHED = {
    "gpt2": 124_439_808,
    "llama2_7b": 6_738_415_616,
    "llama2_70b": 68_976_648_192,
    "llama3_8b": 8_030_261_248,
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_bundled_configs_have_published_parameter_counts(name):
    assert load_llm_config(name).params() == PUBLISHED[name]


def test_mixtral_total_and_active_parameters():
    """Mistral AI: 46.7 B parameters in all, 12.9 B used per token (top-2 of 8 experts)."""
    cfg = load_llm_config("mixtral_8x7b")
    assert cfg.params() / 1e9 == pytest.approx(46.7, abs=0.05)
    assert cfg.active_params() / 1e9 == pytest.approx(12.9, abs=0.05)


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_workload_parameters_match_the_config(name):
    cfg = load_llm_config(name)
    wl = llm_workload(cfg, "decode", 16)
    # Norm scales (and GPT-2's shifts) are element-wise operands, not weights of a layer; a
    # tied LM head is stored once, in the embedding.
    norms = (2 * cfg.num_hidden_layers + 1) * cfg.hidden_size * (2 if cfg.family == "gpt2" else 1)
    assert wl.params() == cfg.params() - norms


def test_prefill_macs_by_hand():
    """Llama-2-7B, S tokens: every linear layer multiplies S rows; attention is S x S x d per
    head twice; the LM head runs on the last token only."""
    cfg = load_llm_config("llama2_7b")
    S, h, i, L, V = 512, 4096, 11008, 32, 32000
    per_layer = S * (h * 3 * h + h * h + h * 2 * i + i * h) + 2 * S * S * h
    wl = llm_workload(cfg, "prefill", S)
    assert wl.macs() == L * per_layer + h * V


def test_decode_reads_the_kv_cache_from_memory():
    """Llama-3-8B (GQA, 8 key/value heads of 4 queries): the scores of one decode step are
    8 products of (4 x 128) @ (128 x L), their second operand the cache."""
    cfg = load_llm_config("llama3_8b")
    wl = llm_workload(cfg, "decode", 1000)
    scores = wl.layer("layers.0.scores")
    assert isinstance(scores, Matmul)
    assert (scores.count, scores.m, scores.k, scores.n) == (8, 4, 128, 1000)
    assert wl.producers("layers.0.scores")[1] == "input"
    context = wl.layer("layers.0.context")
    assert (context.count, context.m, context.k, context.n) == (8, 4, 1000, 128)
    # The cache operands of all layers are the KV cache, K and V, of 1000 positions.
    cache = sum(lay.count * lay.k * lay.n for lay in wl.layers
                if isinstance(lay, Matmul) and lay.name.endswith("scores"))
    assert 2 * cache * 2 == kv_cache_bytes(cfg, 1000, 1, 2.0)


def test_kv_cache_size_by_hand():
    """Llama-2-7B fp16: 2 (K, V) x 32 layers x 4096 x 2 B = 0.5 MiB per position."""
    cfg = load_llm_config("llama2_7b")
    assert kv_cache_bytes(cfg, 1, 1, 2.0) == 2 * 32 * 4096 * 2
    assert kv_cache_bytes(cfg, 2048, 8, 2.0) == 8 * 2048 * 2 * 32 * 4096 * 2


def test_tensor_parallel_shards_and_reduces():
    cfg = load_llm_config("llama2_70b")
    one = llm_workload(cfg, "decode", 128)
    four = llm_workload(cfg, "decode", 128, tp=4)
    reduces = [lay for lay in four.layers if isinstance(lay, AllReduce)]
    assert len(reduces) == 2 * cfg.num_hidden_layers and reduces[0].devices == 4
    assert four.layer("layers.0.scores").count == 2  # 8 key/value heads over 4 devices
    # Everything but the embedding and the norms is split four ways.
    ratio = four.macs() / one.macs()
    assert 0.25 <= ratio < 0.26


def test_more_devices_than_kv_heads_replicate_them():
    cfg = load_llm_config("llama3_8b")  # 8 key/value heads
    wl = llm_workload(cfg, "decode", 64, tp=16 // 2 * 2)  # 16 devices: 2 query heads each
    s = wl.layer("layers.0.scores")
    assert s.count == 1 and s.m == 2


@pytest.mark.parametrize("tp", [3, 5, 7])
def test_tensor_parallel_must_divide_the_heads(tp):
    with pytest.raises(HwsimError, match="tp="):
        llm_workload(load_llm_config("llama2_7b"), "decode", 64, tp=tp)


def test_positions_beyond_the_model_are_refused():
    with pytest.raises(HwsimError, match="1024 positions"):
        llm_workload(load_llm_config("gpt2"), "prefill", 2048)


@pytest.mark.parametrize("bad", [{"phase": "train"}, {"tokens": 0}, {"batch": 0}])
def test_bad_phase_arguments(bad):
    args = {"phase": "decode", "tokens": 16, "batch": 1} | bad
    with pytest.raises(HwsimError):
        llm_workload(load_llm_config("gpt2"), **args)


def test_hugging_face_config_json(tmp_path):
    """A config.json as Hugging Face publishes it (GPT-2 field names) reads like the bundled
    YAML; a missing field is named with its file."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "gpt2", "n_embd": 768, "n_head": 12,
                                "n_layer": 12, "n_positions": 1024, "n_inner": None,
                                "vocab_size": 50257, "activation_function": "gelu_new",
                                "architectures": ["GPT2LMHeadModel"]}))
    assert load_llm_config(path).params() == PUBLISHED["gpt2"]
    path.write_text(json.dumps({"hidden_size": 64, "num_attention_heads": 4}))
    with pytest.raises(SpecError, match=r"config\.json.*lacks intermediate_size"):
        load_llm_config(path)


def test_heads_must_divide_the_hidden_size():
    with pytest.raises(ValueError, match="multiple"):
        LLMConfig(name="x", hidden_size=100, num_attention_heads=3, intermediate_size=8,
                  num_hidden_layers=1, vocab_size=8, max_position_embeddings=8)


def test_mixtral_decode_touches_the_routed_experts():
    """Batch 1, top-2 of 8: two experts' weights are read; the layer's MACs count the routed
    rows only."""
    cfg = load_llm_config("mixtral_8x7b")
    wl = llm_workload(cfg, "decode", 64)
    gu = wl.layer("layers.0.experts.gate_up_proj")
    assert isinstance(gu, Linear) and gu.experts == 8
    assert gu.expert_groups(1) == (2, 1)
    assert gu.macs() == 2 * 4096 * 2 * 14336


@given(experts=st.integers(1, 64), k=st.integers(1, 8), tokens=st.integers(1, 64),
       batch=st.integers(1, 512))
def test_expert_groups_bounds(experts, k, tokens, batch):
    k = min(k, experts)
    lay = Linear(name="e", in_features=8, out_features=8, tokens=tokens, experts=experts,
                 experts_per_token=k)
    groups, rows = lay.expert_groups(batch)
    assert min(k, experts) <= groups <= experts
    assert groups * rows >= batch * tokens * k  # every routed row is multiplied
    bigger, _ = lay.expert_groups(batch + 1)
    assert bigger >= groups  # more tokens never touch fewer experts
