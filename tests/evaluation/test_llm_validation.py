"""Published LLM serving measurements (references/llm_serving.yaml) against the model.

The model's figure of every case is pinned (a change to the model shows here first), and the
error against the published figure is bounded: overall, per source, and per case. No constant
was fitted to these cases (see the file's header): the GPUs' overlap exponent and GEMM
efficiency come from cuBLASLt microbenchmarks (references/accelerators.yaml, azure-a100).
"""

from __future__ import annotations

import statistics

import pytest

from hwsim.evaluation.references import reference_files, run_references

#: The model's figure per case, ms, when these tests were written.
MODEL_MS = {
    "gptfast-llama2-7b-a100-b1": 9.577,
    "torchao-llama3-8b-a100-b1": 10.64,
    "lmdeploy-llama2-7b-a100-b1-128in": 9.792,
    "lmdeploy-llama2-7b-a100-b16-128in": 17.53,
    "lmdeploy-llama2-7b-a100-b32-128in": 23.4,
    "lmdeploy-llama2-7b-a100-b64-128in": 35.14,
    "lmdeploy-llama2-7b-a100-b1-2048in": 10.39,
    "lmdeploy-llama2-7b-a100-b16-2048in": 27.15,
    "lmdeploy-llama2-7b-a100-b32-2048in": 42.63,
    "lmdeploy-llama2-7b-a100-ftl-128": 15.79,
    "lmdeploy-llama2-7b-a100-ftl-2048": 130.0,
    "trtllm-llama-7b-a100-ttft-128": 15.79,
    "trtllm-llama-7b-a100-ttft-2048": 130.0,
    "gptfast-llama2-70b-a100-tp2": 46.84,
    "gptfast-llama2-70b-a100-tp4": 26.38,
    "gptfast-llama2-70b-a100-tp8": 16.6,
    "gptfast-llama2-7b-a100-tp2": 6.119,
    "gptfast-llama2-7b-a100-tp4": 4.237,
    "gptfast-llama2-7b-a100-tp8": 3.477,
    "lmdeploy-llama2-70b-a100-tp4-b1-128in": 26.09,
    "lmdeploy-llama2-70b-a100-tp4-b1-2048in": 26.2,
    "lmdeploy-llama2-70b-a100-tp4-b64-128in": 42.46,
    "trtllm-llama-70b-a100-tp4-ttft-128": 45.82,
    "trtllm-llama-70b-a100-tp4-ttft-2048": 365.0,
    "trtllm-llama-7b-h100-fp8-ttft-128": 4.717,
    "trtllm-llama-7b-h100-fp8-ttft-2048": 27.45,
    "trtllm-llama-70b-h100-fp8-tp4-ttft-128": 16.07,
    "trtllm-llama-70b-h100-fp8-tp4-ttft-2048": 83.99,
    "cslt-gptfast-llama2-7b-dense": 9.577,
    "cslt-gptfast-llama2-7b-2of4": 7.44,
    "nemo-llama2-7b-a100-b1": 195.8,
    "nemo-llama2-7b-a100-b8": 272.3,
    "nemo-llama2-7b-h100-b1": 122.7,
    "nemo-llama2-7b-h100-b8": 154.5,
}


@pytest.fixture(scope="module")
def results():
    return {r.id: r for r in run_references([p for p in reference_files()
                                            if p.stem == "llm_serving"])}


def test_every_case_is_pinned(results):
    assert set(results) == set(MODEL_MS)


@pytest.mark.parametrize("case", sorted(MODEL_MS))
def test_model_figure(results, case):
    assert results[case].model == pytest.approx(MODEL_MS[case], rel=2e-3)


def test_error_bounds(results):
    """Mean |error| 11.2% over 34 cases from 7 sources (13.5% when compute and DRAM were taken
    as perfectly overlapped); time per output token 6.7% on average (gpt-fast, torchao,
    lmdeploy), the medium batches (16-64 sequences, GEMMs of 16-64 rows near the ridge) +9 to
    +17%. The first token of a 128-token prompt on A100 with TensorRT-LLM is within 3% (it was
    -29%: its GEMMs of 128 rows sit at the roofline ridge, where math and memory do not
    overlap fully); lmdeploy's first token at 128 is still -28% (per-request engine work, not
    modelled). H100 in FP8 stays 23-38% too fast: TensorRT-LLM 0.5's FP8 context phase runs
    far below the FP8 GEMM microbenchmark the config is calibrated on. 2:4 at batch 1:
    cuSPARSELt gives 1.10x over dense in gpt-fast, the model 1.29x (-15% on the sparse case).
    The NeMo requests (128 in, 20 out; precision not stated, the least reliable source): -16 to
    -22%."""
    errors = {k: r.error for k, r in results.items()}
    assert statistics.mean(abs(e) for e in errors.values()) < 0.12
    assert max(abs(e) for e in errors.values()) < 0.40
    decode = [e for k, e in errors.items() if k.startswith(("gptfast", "torchao", "lmdeploy"))
              and "ftl" not in k]
    assert statistics.mean(abs(e) for e in decode) < 0.08  # time per output token
    assert max(abs(e) for e in decode) < 0.18
    a100_prefill = [e for k, e in errors.items() if k.startswith("trtllm") and "a100" in k]
    assert max(abs(e) for e in a100_prefill) < 0.04
    h100_fp8 = [e for k, e in errors.items() if "h100-fp8" in k]
    assert all(-0.40 < e < -0.20 for e in h100_fp8)  # the FP8 gap, stated
    assert -0.30 < errors["lmdeploy-llama2-7b-a100-ftl-128"] < -0.25
    assert -0.20 < errors["cslt-gptfast-llama2-7b-2of4"] < -0.10  # the 2:4 gap, stated
    assert len({r.source for r in results.values()}) >= 5


def test_json_cases_carry_source_and_error(results):
    for r in results.values():
        d = r.to_dict()
        assert d["source"] and d["citation"] and d["error"] == pytest.approx(r.error)
        assert d["kind"] in ("measured", "derived")
