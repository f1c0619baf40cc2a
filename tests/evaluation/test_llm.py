"""Serving metrics of language models: the physics of both phases, sparsity by bytes,
memory capacity, tensor parallelism."""

from __future__ import annotations

import itertools

import pytest

from hwsim.arch.load import load_arch
from hwsim.errors import HwsimError
from hwsim.evaluation.llm import evaluate_llm
from hwsim.sparsity.spec import parse_sparsity
from hwsim.workload.llm import load_llm_config


@pytest.fixture(scope="module")
def a100():
    return load_arch("a100_80gb")


@pytest.fixture(scope="module")
def llama():
    return load_llm_config("llama2_7b")


def test_decode_at_batch_one_streams_the_weights(a100, llama):
    """Decode of one token is bound by streaming the fp16 weights (all but the embedding
    table, of which one row is read: 13.2 GB) at the sustained HBM read bandwidth (2039 GB/s
    x 0.858): at least 7.55 ms, and not much more (launches, KV cache)."""
    r = evaluate_llm(llama, a100, batch=1, prompt=128)
    streamed = (llama.params() - llama.vocab_size * llama.hidden_size) * 2
    floor = streamed / (2039e9 * 0.858)
    assert floor == pytest.approx(7.553e-3, rel=1e-3)
    assert r.decode.dram_bytes >= streamed
    assert floor < r.tpot_s < 1.25 * floor
    assert r.decode.bound == "dram"
    # 128 prompt rows put the projections at the roofline ridge (312 TFLOP/s x 0.85 over
    # 1.75 TB/s of reads is 152 FLOP/B; a 128-row GEMM does 128 per weight byte): math and
    # DRAM within 40% of each other, and the imperfect overlap costs each at least 1.3x the
    # larger of the two
    for row in r.prefill.report.layers:
        if row.name.startswith("layers.0.") and row.name.endswith("_proj"):
            c, d = row.time_s["compute"], row.time_s["dram"]
            assert 1 / 1.4 < c / d < 1.4
            assert row.latency_s - row.time_s["launch"] > 1.3 * max(c, d)
    assert evaluate_llm(llama, a100, batch=1, prompt=2048).prefill.bound == "compute"


def test_prefill_is_bound_by_the_tensor_cores(a100, llama):
    """2048 tokens: 2 x 6.74e9 x 2048 FLOP at 312 TFLOP/s x 0.85 is 104 ms; attention and
    element-wise layers add to it."""
    r = evaluate_llm(llama, a100, batch=1, prompt=2048)
    floor = 2 * llama.params() * 2048 / (312e12 * 0.85)
    assert floor < r.ttft_s < 1.35 * floor


def test_batching_trades_latency_for_throughput(a100, llama):
    rs = [evaluate_llm(llama, a100, batch=b, prompt=512) for b in (1, 4, 16, 64)]
    for small, big in itertools.pairwise(rs):
        assert big.tpot_s >= small.tpot_s
        assert big.tokens_per_s > small.tokens_per_s
        assert big.energy_per_token_j < small.energy_per_token_j
        assert big.ttft_s > small.ttft_s


def test_longer_context_reads_more_cache(a100, llama):
    short = evaluate_llm(llama, a100, batch=8, prompt=128, context=512)
    long = evaluate_llm(llama, a100, batch=8, prompt=128, context=4096)
    extra = long.decode.kv_read_bytes - short.decode.kv_read_bytes
    assert extra == 8 * (4096 - 512) * 2 * 32 * 4096 * 2
    # The model's DRAM traffic grows by at least the extra cache read.
    assert long.decode.dram_bytes - short.decode.dram_bytes >= extra
    assert long.tpot_s > short.tpot_s


def test_two_four_gains_bytes_in_decode(a100, llama):
    """2:4 weights move as half the values plus 2-bit indices: the decode traffic of the
    pruned layers drops to 9/16; the embedding and LM head stay dense."""
    dense = evaluate_llm(llama, a100, batch=1, prompt=128)
    sparse = evaluate_llm(llama, a100, batch=1, prompt=128, sparsity=parse_sparsity("2:4"))
    head = next(r for r in sparse.decode.report.layers if r.name == "lm_head")
    assert head.density == 1.0
    pruned = (llama.params() - 2 * llama.vocab_size * llama.hidden_size) * 2
    saved = dense.decode.dram_bytes - sparse.decode.dram_bytes
    assert saved == pytest.approx(pruned * 7 / 16, rel=0.02)
    assert sparse.tpot_s < dense.tpot_s


def test_unstructured_half_sparsity_buys_nothing_on_tensor_cores(a100, llama):
    """50% unstructured weights: CSR on CUDA cores moves more bytes than dense fp16 (4-byte
    indices), so the dense kernel is kept and nothing changes."""
    dense = evaluate_llm(llama, a100, batch=1, prompt=128)
    u50 = evaluate_llm(llama, a100, batch=1, prompt=128,
                       sparsity=parse_sparsity("unstructured:sparsity=0.5"))
    assert u50.tpot_s == pytest.approx(dense.tpot_s)


def test_layer_rules_prune_only_what_they_match(a100, llama):
    rules = {"layers.*.down_proj": parse_sparsity("2:4")}
    r = evaluate_llm(llama, a100, batch=1, prompt=128, layer_sparsity=rules)
    dens = {x.name: x.density for x in r.decode.report.layers if x.macs}
    assert dens["layers.3.down_proj"] == 0.5 and dens["layers.3.gate_up_proj"] == 1.0
    with pytest.raises(HwsimError, match=r"matches 'layers\.\*\.mlp'"):
        evaluate_llm(llama, a100, layer_sparsity={"layers.*.mlp": parse_sparsity("2:4")})


def test_memory_capacity(a100):
    """Mixtral-8x7B in fp16 (93 GB of weights) does not fit an 80 GB A100; Llama-2-70B fits on
    four with tensor parallelism."""
    mixtral = evaluate_llm(load_llm_config("mixtral_8x7b"), a100, batch=1, prompt=128)
    assert mixtral.fits is False
    seventy = load_llm_config("llama2_70b")
    assert evaluate_llm(seventy, a100, batch=1, prompt=128, tp=4).fits is True
    assert evaluate_llm(seventy, a100, batch=1, prompt=128, tp=1).fits is False


def test_tensor_parallel_splits_the_stream(a100):
    """Four devices each stream a quarter of the weights; the all-reduces cost time."""
    seventy = load_llm_config("llama2_70b")
    two = evaluate_llm(seventy, a100, batch=1, prompt=128, tp=2)
    four = evaluate_llm(seventy, a100, batch=1, prompt=128, tp=4)
    assert 1.5 < two.tpot_s / four.tpot_s < 2.0
    assert four.decode.time_by_bound_s["link"] > 0
    assert four.energy_per_token_j > 0


def test_tensor_parallel_needs_a_link(llama):
    with pytest.raises(HwsimError, match="needs a 'link'"):
        evaluate_llm(llama, load_arch("v100"), tp=2)


def test_fused_attention_saves_the_score_traffic(a100, llama):
    fused = evaluate_llm(llama, a100, batch=1, prompt=2048, attention="fused")
    plain = evaluate_llm(llama, a100, batch=1, prompt=2048, attention="unfused")
    scores = 32 * 32 * 2048 * 2048 * 2  # layers x heads x S x S x fp16
    assert plain.prefill.dram_bytes - fused.prefill.dram_bytes >= 4 * scores * 0.99
    assert fused.ttft_s < plain.ttft_s


def test_moe_decode_reads_only_the_routed_experts(a100):
    """Mixtral at batch 1 reads 2 of 8 experts per layer: decode traffic is the 12.9 B active
    parameters but the embedding table (one row read), far below the 46.7 B stored."""
    cfg = load_llm_config("mixtral_8x7b")
    r = evaluate_llm(cfg, a100, batch=1, prompt=64)
    read = (cfg.active_params() - cfg.vocab_size * cfg.hidden_size) * 2
    assert read <= r.decode.dram_bytes < 1.05 * read
