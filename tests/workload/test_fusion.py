"""Declared fusions: attention chains found, fused and unfused."""

from __future__ import annotations

from hwsim.workload.fusion import attention_chains, fuse_attention, unfuse_attention
from hwsim.workload.io import load_workload
from hwsim.workload.llm import llm_workload, load_llm_config


def test_bert_has_one_attention_chain_per_layer():
    wl = load_workload("bert_base_seq128")
    chains = list(attention_chains(wl))
    assert len(chains) == 12
    assert chains[0] == ("encoder.0.scores", "encoder.0.softmax", "encoder.0.context")


def test_fuse_marks_only_the_score_matrix_and_unfuse_clears_it():
    wl = load_workload("bert_base_seq128")
    fused = fuse_attention(wl)
    assert fused.layer("encoder.0.scores").on_chip == ["outputs"]
    assert fused.layer("encoder.0.softmax").on_chip == ["inputs", "outputs"]
    assert fused.layer("encoder.0.context").on_chip == ["inputs"]
    changed = [a.name for a, b in zip(wl.layers, fused.layers) if a != b]
    assert len(changed) == 36  # three layers per chain, nothing else
    assert unfuse_attention(fused).layers == wl.layers


def test_decode_chains_with_the_cache_as_second_operand():
    wl = llm_workload(load_llm_config("llama2_7b"), "decode", 128)
    assert len(list(attention_chains(wl))) == 32


def test_workload_without_attention_is_returned_unchanged():
    wl = load_workload("resnet18")
    assert fuse_attention(wl) is wl
