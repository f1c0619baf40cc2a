"""Published LLM serving measurements (references/llm_serving.yaml) against the model.

The model's figure of every case is pinned (a change to the model shows here first), and the
error against the published figure is bounded: overall, per source, and per case. No constant
was fitted to these cases (see the file's header): the GPUs' overlap exponent and GEMM
efficiency come from cuBLASLt microbenchmarks (references/accelerators.yaml, azure-a100).
"""

from __future__ import annotations

import statistics

import pytest

from hwsim.evaluation import references
from hwsim.evaluation.references import reference_files

#: The model's figure per case, ms, when these tests were written.
MODEL_MS = {
    "gptfast-llama2-7b-a100-b1": 9.324,
    "torchao-llama3-8b-a100-b1": 10.35,
    "lmdeploy-llama2-7b-a100-b1-128in": 9.527,
    "lmdeploy-llama2-7b-a100-b16-128in": 17.12,
    "lmdeploy-llama2-7b-a100-b32-128in": 22.81,
    "lmdeploy-llama2-7b-a100-b64-128in": 34.18,
    "lmdeploy-llama2-7b-a100-b1-2048in": 10.11,
    "lmdeploy-llama2-7b-a100-b16-2048in": 26.43,
    "lmdeploy-llama2-7b-a100-b32-2048in": 41.42,
    "lmdeploy-llama2-7b-a100-ftl-128": 15.62,
    "lmdeploy-llama2-7b-a100-ftl-2048": 126.4,
    "trtllm-llama-7b-a100-ttft-128": 15.62,
    "trtllm-llama-7b-a100-ttft-2048": 126.4,
    "gptfast-llama2-70b-a100-tp2": 45.53,
    "gptfast-llama2-70b-a100-tp4": 25.73,
    "gptfast-llama2-70b-a100-tp8": 16.28,
    "gptfast-llama2-7b-a100-tp2": 5.993,
    "gptfast-llama2-7b-a100-tp4": 4.174,
    "gptfast-llama2-7b-a100-tp8": 3.445,
    "lmdeploy-llama2-70b-a100-tp4-b1-128in": 25.43,
    "lmdeploy-llama2-70b-a100-tp4-b1-2048in": 25.54,
    "lmdeploy-llama2-70b-a100-tp4-b64-128in": 41.81,
    "trtllm-llama-70b-a100-tp4-ttft-128": 45.36,
    "trtllm-llama-70b-a100-tp4-ttft-2048": 360.6,
    "trtllm-llama-7b-h100-fp8-ttft-128": 4.65,
    "trtllm-llama-7b-h100-fp8-ttft-2048": 26.9,
    "trtllm-llama-70b-h100-fp8-tp4-ttft-128": 17.2,
    "trtllm-llama-70b-h100-fp8-tp4-ttft-2048": 92.05,
    "cslt-gptfast-llama2-7b-dense": 9.324,
    "cslt-gptfast-llama2-7b-2of4": 7.308,
    "nemo-llama2-7b-a100-b1": 190.8,
    "nemo-llama2-7b-a100-b8": 267.6,
    "nemo-llama2-7b-h100-b1": 117.3,
    "nemo-llama2-7b-h100-b8": 149.2,
    "trtllm-gptj-6b-a100-ttft-128": 13.5,
    "trtllm-gptj-6b-a100-ttft-2048": 109.0,
    "trtllm-falcon-180b-a100-tp8-ttft-128": 62.69,
    "trtllm-falcon-180b-a100-tp8-ttft-2048": 512.9,
    "trtllm-gptj-6b-h100-fp8-ttft-128": 3.941,
    "trtllm-gptj-6b-h100-fp8-ttft-2048": 22.93,
    "trtllm-falcon-180b-h100-fp8-tp8-ttft-128": 23.68,
    "trtllm-falcon-180b-h100-fp8-tp8-ttft-2048": 140.7,
    "trtllm-tput-gptj-h100-fp8-b1024-128x128": 4724.0,
    "trtllm-tput-gptj-h100-fp8-b120-128x2048": 29950.0,
    "trtllm-tput-llama-7b-h100-fp8-b768-128x128": 4273.0,
    "trtllm-tput-llama-7b-h100-fp8-b112-128x2048": 32830.0,
    "trtllm-tput-llama-7b-h100-fp8-b80-2048x128": 4390.0,
    "trtllm-tput-llama-7b-h100-fp8-b48-2048x2048": 36330.0,
    "trtllm-tput-gptj-a100-b512-128x128": 10400.0,
    "trtllm-tput-llama-7b-a100-b384-128x128": 9211.0,
    "trtllm-tput-llama-7b-a100-b60-128x2048": 67500.0,
    "trtllm-tput-llama-7b-a100-b52-2048x128": 11980.0,
}


@pytest.fixture(scope="module")
def results():
    return {r.id: r for r in references.run_references([p for p in reference_files()
                                                        if p.stem == "llm_serving"])}


def test_every_case_is_pinned(results):
    assert set(results) == set(MODEL_MS)


@pytest.mark.parametrize("case", sorted(MODEL_MS))
def test_model_figure(results, case):
    assert results[case].model == pytest.approx(MODEL_MS[case], rel=2e-3)


#: The 34 cases the model was first compared with; the TensorRT-LLM GPT-J, Falcon and
#: throughput rows came later and are held out (test below).
LATER = ("trtllm-gptj", "trtllm-falcon", "trtllm-tput")


def test_error_bounds(results):
    """Mean |error| 11.5% over the first 34 cases from 7 sources (13.5% with an ideal overlap
    of math and DRAM, one DRAM bandwidth for reads and writes, FP8 all-reduces of 8-bit sums
    and no causal skip); 11.1% over all 52. Time per output token 6.8% on average (gpt-fast,
    torchao, lmdeploy), the medium batches (16-64 sequences, GEMMs of 16-64 rows near the
    ridge) +4 to +14%. The first token of a Llama prompt on A100 with TensorRT-LLM is within
    6% (128 tokens: -2% and -4%, it was -29%: its GEMMs of 128 rows sit at the roofline ridge,
    where math and memory do not overlap fully; 2048 tokens: -4% and -5%); lmdeploy's first
    token at 128 is still -29% (per-request engine work, not modelled). H100 in FP8 stays 16-34%
    too fast: TensorRT-LLM 0.5's FP8 context phase runs far below the FP8 GEMM microbenchmark
    the config is calibrated on. 2:4 at batch 1: cuSPARSELt gives 1.10x over dense in
    gpt-fast, the model 1.28x (-17% on the sparse case). The NeMo requests (128 in, 20 out;
    precision not stated, the least reliable source): -19 to -25%."""
    every = {k: r.error for k, r in results.items()}
    assert statistics.mean(abs(e) for e in every.values()) < 0.12
    assert max(abs(e) for e in every.values()) < 0.45
    errors = {k: e for k, e in every.items() if not k.startswith(LATER)}
    assert len(errors) == 34
    assert statistics.mean(abs(e) for e in errors.values()) < 0.12
    assert max(abs(e) for e in errors.values()) < 0.35
    decode = [e for k, e in errors.items() if k.startswith(("gptfast", "torchao", "lmdeploy"))
              and "ftl" not in k]
    assert statistics.mean(abs(e) for e in decode) < 0.08  # time per output token
    assert max(abs(e) for e in decode) < 0.18
    a100_prefill = [e for k, e in errors.items() if k.startswith("trtllm") and "a100" in k]
    assert max(abs(e) for e in a100_prefill) < 0.06
    h100_fp8 = [e for k, e in errors.items() if "h100-fp8" in k]
    assert all(-0.35 < e < -0.14 for e in h100_fp8)  # the FP8 gap, stated
    assert -0.30 < errors["lmdeploy-llama2-7b-a100-ftl-128"] < -0.25
    assert -0.20 < errors["cslt-gptfast-llama2-7b-2of4"] < -0.10  # the 2:4 gap, stated
    nemo = [e for k, e in errors.items() if k.startswith("nemo")]
    assert all(-0.26 < e < -0.15 for e in nemo)
    assert len({r.source for r in results.values()}) >= 5


def test_error_bounds_of_the_held_out_trtllm_rows(results):
    """TensorRT-LLM's GPT-J-6B and Falcon-180B first-token rows (v0.5) and its one-GPU peak
    throughput rows (v0.6.1), added after the model was written and not used to change it
    (the GPU overlap exponent that came after them was fitted on cuBLASLt GEMMs).

    First token (8 cases, mean |error| 17.5%; 22.6% with an ideal overlap, one DRAM bandwidth,
    8-bit all-reduces and no causal skip): on A100 within 16% (GPT-J +12.5% at 128 tokens and
    -15.5% at 2048, Falcon-180B over 8 GPUs +2.8% and +0.8%; the 128-token rows were -17% and
    -22% with an ideal overlap); on H100 FP8 too fast, -12% to -44% (GPT-J at 128 the worst),
    the gap of the Llama FP8 rows; Falcon over 8 GPUs -12.3% and -31.4% (-19% and -40.5% when its
    all-reduces carried 8-bit sums).

    Throughput (10 cases, one static batch of 48 to 1024 requests, mean |error| 4.8%; 4.7% with
    the ideal overlap): -14.4% (Llama-2-7B, H100 FP8, batch 768, 128 in and out) to +6.4%
    (Llama-2-7B, A100, batch 52, 2048 in, 128 out)."""
    errors = {k: r.error for k, r in results.items()}
    first = {k: e for k, e in errors.items() if k.startswith(("trtllm-gptj", "trtllm-falcon"))}
    assert len(first) == 8
    assert statistics.mean(abs(e) for e in first.values()) < 0.18
    a100 = [e for k, e in first.items() if "a100" in k]
    assert len(a100) == 4 and all(abs(e) < 0.16 for e in a100)
    h100 = [e for k, e in first.items() if "h100" in k]
    assert len(h100) == 4 and all(-0.45 < e < -0.10 for e in h100)  # too fast, as Llama's
    tput = [e for k, e in errors.items() if k.startswith("trtllm-tput")]
    assert len(tput) == 10
    assert statistics.mean(abs(e) for e in tput) < 0.06
    assert all(-0.15 < e < 0.07 for e in tput)


def test_json_cases_carry_source_and_error(results):
    for r in results.values():
        d = r.to_dict()
        assert d["source"] and d["citation"] and d["error"] == pytest.approx(r.error)
        assert d["kind"] in ("measured", "derived")
