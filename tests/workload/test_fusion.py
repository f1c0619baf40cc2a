"""Declared fusions: attention chains found, fused and unfused."""

from __future__ import annotations

import pytest

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


def test_causal_share_by_hand():
    """Query blocks of 128 rows visit the key blocks up to their own end."""
    from hwsim.workload.fusion import causal_share

    assert causal_share(1) == 1.0
    assert causal_share(128) == 1.0  # one block: the diagonal block is computed whole
    assert causal_share(256) == 0.75  # blocks 1 + 2 of 2 x 2
    assert causal_share(2048) == 17 / 32
    shares = [causal_share(t) for t in range(1, 20_000, 97)]
    assert all(0.5 < s <= 1.0 for s in shares)


def test_prefill_attention_is_causal_and_decode_is_not():
    cfg = load_llm_config("llama2_7b")
    pre = llm_workload(cfg, "prefill", 512)
    dec = llm_workload(cfg, "decode", 512)
    assert pre.layer("layers.0.scores").causal and pre.layer("layers.0.context").causal
    assert not dec.layer("layers.0.scores").causal and not dec.layer("layers.0.context").causal


def test_gpu_fused_causal_kernel_skips_the_masked_blocks():
    """On A100 the fused prefill attention of 2048 tokens multiplies 17/32 of the score
    matrix's MACs (scores and context alike); unfused, the whole matrix; BERT (not causal)
    all of it either way."""
    from hwsim.arch.load import load_arch
    from hwsim.evaluation.evaluate import evaluate

    a100 = load_arch("a100_80gb")
    wl = llm_workload(load_llm_config("llama2_7b"), "prefill", 2048)
    rows = {att: {r.name: r for r in evaluate(wl, a100, attention=att).layers}
            for att in ("fused", "unfused")}
    for name in ("layers.0.scores", "layers.0.context"):
        fused, unfused = rows["fused"][name], rows["unfused"][name]
        assert fused.macs == unfused.macs  # the layer's MACs as written
        assert fused.skipped_macs == fused.macs * 15 / 32
        assert unfused.skipped_macs == 0
        # the masked MACs are no work: effective and skipped add up to the layer's MACs, and
        # the tensor cores are never more than fully used
        assert fused.effective_macs + fused.skipped_macs == pytest.approx(fused.macs)
        assert 0 < fused.utilization <= 1
    bert = {r.name: r for r in evaluate(load_workload("bert_base_seq128"), a100,
                                        attention="fused").layers}
    assert bert["encoder.0.scores"].skipped_macs == 0
