"""Published LLM serving measurements (references/llm_serving.yaml) against the model.

The model's figure of every case is pinned (a change to the model shows here first), and the
error against the published figure is bounded: overall, per source, and per case. No constant
was fitted to these cases (see the file's header).
"""

from __future__ import annotations

import statistics

import pytest

from hwsim.evaluation.references import reference_files, run_references

#: The model's figure per case, ms, when these tests were written.
MODEL_MS = {
    "gptfast-llama2-7b-a100-b1": 9.395,
    "torchao-llama3-8b-a100-b1": 10.43,
    "lmdeploy-llama2-7b-a100-b1-128in": 9.721,
    "lmdeploy-llama2-7b-a100-b16-128in": 15.19,
    "lmdeploy-llama2-7b-a100-b32-128in": 21.02,
    "lmdeploy-llama2-7b-a100-b64-128in": 32.68,
    "lmdeploy-llama2-7b-a100-b1-2048in": 10.32,
    "lmdeploy-llama2-7b-a100-b16-2048in": 24.74,
    "lmdeploy-llama2-7b-a100-b32-2048in": 40.12,
    "lmdeploy-llama2-7b-a100-ftl-128": 20.68,
    "lmdeploy-llama2-7b-a100-ftl-2048": 149.2,
    "trtllm-llama-7b-a100-ttft-128": 11.28,
    "trtllm-llama-7b-a100-ttft-2048": 139.2,
    "gptfast-llama2-70b-a100-tp2": 45.9,
    "gptfast-llama2-70b-a100-tp4": 25.91,
    "gptfast-llama2-70b-a100-tp8": 16.37,
    "gptfast-llama2-7b-a100-tp2": 6.028,
    "gptfast-llama2-7b-a100-tp4": 4.192,
    "gptfast-llama2-7b-a100-tp8": 3.454,
    "lmdeploy-llama2-70b-a100-tp4-b1-128in": 25.91,
    "lmdeploy-llama2-70b-a100-tp4-b1-2048in": 26.01,
    "lmdeploy-llama2-70b-a100-tp4-b64-128in": 34.36,
    "trtllm-llama-70b-a100-tp4-ttft-128": 33.27,
    "trtllm-llama-70b-a100-tp4-ttft-2048": 379.2,
    "trtllm-llama-7b-h100-fp8-ttft-128": 4.126,
    "trtllm-llama-7b-h100-fp8-ttft-2048": 29.71,
    "trtllm-llama-70b-h100-fp8-tp4-ttft-128": 14.13,
    "trtllm-llama-70b-h100-fp8-tp4-ttft-2048": 93.88,
    "nemo-llama2-7b-a100-b1": 199.4,
    "nemo-llama2-7b-a100-b8": 261.4,
    "nemo-llama2-7b-h100-b1": 126.6,
    "nemo-llama2-7b-h100-b8": 146.5,
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
    """Mean |error| 11.6% over 32 cases from 6 sources. Time per output token is within 8% on
    average. The worst are time-to-first-token of a 128-token prompt with TensorRT-LLM, -29% on
    A100 and -41 to -46% on H100 in FP8: at that length the GEMMs have 128 rows, and the
    model's tile, SM-occupancy and per-kernel costs at small M are too optimistic (lmdeploy's
    A100 first token at the same length is within 6%). The NeMo table (precision not stated)
    is -15 to -26%."""
    errors = {k: r.error for k, r in results.items()}
    assert statistics.mean(abs(e) for e in errors.values()) < 0.12
    assert max(abs(e) for e in errors.values()) < 0.50
    decode = [e for k, e in errors.items() if k.startswith(("gptfast", "torchao", "lmdeploy"))
              and "ftl" not in k]
    assert statistics.mean(abs(e) for e in decode) < 0.08  # time per output token
    long_prefill = [e for k, e in errors.items() if k.endswith("ttft-2048")]
    assert max(abs(e) for e in long_prefill) < 0.20
    assert len({r.source for r in results.values()}) >= 5


def test_json_cases_carry_source_and_error(results):
    for r in results.values():
        d = r.to_dict()
        assert d["source"] and d["citation"] and d["error"] == pytest.approx(r.error)
        assert d["kind"] in ("measured", "derived")
