"""Parallel-block language models (GPT-J, Falcon's new decoder architecture): parameter counts
against the published ones, the block's structure, MACs by hand, tensor-parallel shards and
the Hugging Face config.json fields that select them."""

from __future__ import annotations

import json

import pytest

from hwsim.errors import SpecError
from hwsim.workload.layers import AllReduce, Linear, Matmul
from hwsim.workload.llm import LLMConfig, llm_workload, load_llm_config

#: Parameters of the published checkpoints, counted tensor by tensor: GPT-J's by a third party
#: running transformers on EleutherAI/gpt-j-6b; Falcon-180B's safetensors total as recorded
#: (by a third party) from the Hugging Face API.
CHECKPOINT = {"gptj_6b": 6_050_882_784, "falcon_180b": 179_522_565_120}
#: What the model cards say: GPT-J's table (6,053,381,344), Falcon's name (180B).
CARD = {"gptj_6b": 6_053_381_344, "falcon_180b": 180e9}


@pytest.mark.parametrize("name", sorted(CHECKPOINT))
def test_parameters_match_the_checkpoint_and_the_card(name):
    cfg = load_llm_config(name)
    assert cfg.params() == CHECKPOINT[name]
    assert cfg.params() == pytest.approx(CARD[name], rel=0.005)
    assert cfg.active_params() == cfg.params()


def test_gptj_parameters_by_hand():
    """28 blocks of one LayerNorm, four bias-free 4096^2 projections and a biased 4x MLP;
    untied LM head with a bias."""
    h, i, v, n = 4096, 16384, 50400, 28
    block = 2 * h + 4 * h * h + (h * i + i) + (i * h + h)
    assert load_llm_config("gptj_6b").params() == v * h + n * block + 2 * h + v * h + v


def test_falcon_parameters_by_hand():
    """80 blocks: QKV of 232 query and 8 key/value heads of 64, output projection, 4x MLP, two
    LayerNorms, no biases."""
    h, v, n = 14848, 65024, 80
    block = h * (232 + 2 * 8) * 64 + h * h + 2 * h * 4 * h + 2 * 2 * h
    assert load_llm_config("falcon_180b").params() == v * h + n * block + 2 * h + v * h


@pytest.mark.parametrize("name", sorted(CHECKPOINT))
def test_workload_parameters_match_the_config(name):
    cfg = load_llm_config(name)
    wl = llm_workload(cfg, "decode", 16)
    # LayerNorm scales and shifts are element-wise operands, not weights of a layer.
    norms = (cfg.traits.norms * cfg.num_hidden_layers + 1) * 2 * cfg.hidden_size
    assert wl.params() == cfg.params() - norms


def test_gptj_block_is_parallel_from_one_norm():
    wl = llm_workload(load_llm_config("gptj_6b"), "prefill", 64)
    names = {lay.name for lay in wl.layers}
    assert "layers.0.post_norm" not in names and "layers.0.mlp_norm" not in names
    assert wl.producers("layers.0.qkv_proj") == ["layers.0.input_norm"]
    assert wl.producers("layers.0.fc") == ["layers.0.input_norm"]
    assert wl.producers("layers.0.branch_add") == ["layers.0.o_proj", "layers.0.proj"]
    assert wl.producers("layers.1.input_norm") == ["layers.0.residual_add"]
    biases = {n: wl.layer(n).bias for n in ("layers.0.qkv_proj", "layers.0.o_proj",
                                            "layers.0.fc", "layers.0.proj", "lm_head")}
    assert biases == {"layers.0.qkv_proj": False, "layers.0.o_proj": False,
                      "layers.0.fc": True, "layers.0.proj": True, "lm_head": True}
    assert wl.layer("layers.0.gelu").kind == "gelu"
    assert wl.layer("layers.0.input_norm").kind == "layernorm"
    assert "layers.0.q_rope" in names and "embed_positions" not in names


def test_falcon_block_has_a_norm_per_branch():
    wl = llm_workload(load_llm_config("falcon_180b"), "decode", 256)
    assert wl.producers("layers.3.input_norm") == ["layers.2.residual_add"]
    assert wl.producers("layers.3.mlp_norm") == ["layers.2.residual_add"]
    assert wl.producers("layers.3.fc") == ["layers.3.mlp_norm"]
    assert not any(isinstance(lay, Linear) and lay.bias for lay in wl.layers)


def test_gptj_prefill_macs_by_hand():
    """S tokens: QKV and output projections (4 h^2), the MLP (2 h i) per row; attention S x S
    x 256 per head twice; the LM head on the last token."""
    S, h, i, L, V = 512, 4096, 16384, 28, 50400
    per_layer = S * (4 * h * h + 2 * h * i) + 2 * S * S * h
    wl = llm_workload(load_llm_config("gptj_6b"), "prefill", S)
    assert wl.macs() == L * per_layer + h * V


def test_falcon_tensor_parallel_over_8():
    """232 query heads and 8 key/value heads over 8 devices: 29 queries share one key/value
    head per device; the MLP's 59392 columns split 8 ways; two all-reduces per block (one
    after each branch, as TensorRT-LLM's row-parallel layers do)."""
    cfg = load_llm_config("falcon_180b")
    wl = llm_workload(cfg, "decode", 2048, tp=8)
    s = wl.layer("layers.0.scores")
    assert isinstance(s, Matmul) and (s.count, s.m, s.k, s.n) == (1, 29, 64, 2048)
    fc = wl.layer("layers.0.fc")
    assert isinstance(fc, Linear) and fc.out_features == 59392 // 8
    reduces = [lay for lay in wl.layers if isinstance(lay, AllReduce)]
    assert len(reduces) == 2 * cfg.num_hidden_layers and reduces[0].devices == 8
    assert wl.producers("layers.0.branch_add") == ["layers.0.attn_allreduce",
                                                   "layers.0.mlp_allreduce"]


def test_hugging_face_config_json_selects_the_family(tmp_path):
    """GPT-J's config.json has GPT-2 names (n_embd) but is not GPT-2; Falcon-180B's, as
    published, has neither max_position_embeddings nor an MLP width nor tie_word_embeddings:
    FalconConfig's defaults apply (2048, 4 x hidden, tied)."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "gptj", "n_embd": 4096, "n_head": 16,
                                "n_layer": 28, "n_positions": 2048, "n_inner": None,
                                "rotary_dim": 64, "vocab_size": 50400,
                                "activation_function": "gelu_new",
                                "tie_word_embeddings": False}))
    cfg = load_llm_config(path)
    assert cfg.family == "gptj" and cfg.params() == CHECKPOINT["gptj_6b"]
    falcon = {"model_type": "falcon", "alibi": False, "bias": False, "hidden_size": 14848,
              "multi_query": True, "new_decoder_architecture": True,
              "num_attention_heads": 232, "num_hidden_layers": 80, "num_kv_heads": 8,
              "parallel_attn": True, "vocab_size": 65024}
    path.write_text(json.dumps(falcon))
    cfg = load_llm_config(path)
    assert (cfg.family, cfg.kv_heads, cfg.intermediate_size, cfg.max_position_embeddings,
            cfg.tie_word_embeddings) == ("falcon", 8, 4 * 14848, 2048, True)
    assert cfg.params() == CHECKPOINT["falcon_180b"] - 65024 * 14848


@pytest.mark.parametrize("change, match", [
    ({"new_decoder_architecture": False}, "new decoder architecture"),
    ({"alibi": True}, "alibi"),
    ({"bias": True}, "bias"),
])
def test_other_falcon_variants_are_refused(tmp_path, change, match):
    """Falcon-7B (one LayerNorm, multi-query), Falcon-RW (ALiBi, biases) are not modelled."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "falcon", "hidden_size": 64,
                                "num_attention_heads": 4, "num_hidden_layers": 2,
                                "vocab_size": 100, "new_decoder_architecture": True} | change))
    with pytest.raises(SpecError, match=match):
        load_llm_config(path)


def test_experts_need_a_gated_mlp():
    with pytest.raises(ValueError, match="gated"):
        LLMConfig(name="x", family="gptj", hidden_size=64, num_attention_heads=4,
                  intermediate_size=256, num_hidden_layers=1, vocab_size=8,
                  max_position_embeddings=8, num_local_experts=4, num_experts_per_tok=2)
