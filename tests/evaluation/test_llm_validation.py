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
    "lmdeploy-llama2-7b-a100-b1-128in": 9.72,
    "lmdeploy-llama2-7b-a100-b16-128in": 15.18,
    "lmdeploy-llama2-7b-a100-b32-128in": 21,
    "lmdeploy-llama2-7b-a100-b64-128in": 32.64,
    "lmdeploy-llama2-7b-a100-b1-2048in": 10.32,
    "lmdeploy-llama2-7b-a100-b16-2048in": 24.71,
    "lmdeploy-llama2-7b-a100-b32-2048in": 40.06,
    "lmdeploy-llama2-7b-a100-ftl-128": 11.27,
    "lmdeploy-llama2-7b-a100-ftl-2048": 136.7,
    "trtllm-llama-7b-a100-ttft-128": 11.27,
    "trtllm-llama-7b-a100-ttft-2048": 136.7,
    "gptfast-llama2-70b-a100-tp2": 45.9,
    "gptfast-llama2-70b-a100-tp4": 25.91,
    "gptfast-llama2-70b-a100-tp8": 16.37,
    "gptfast-llama2-7b-a100-tp2": 6.028,
    "gptfast-llama2-7b-a100-tp4": 4.192,
    "gptfast-llama2-7b-a100-tp8": 3.454,
    "lmdeploy-llama2-70b-a100-tp4-b1-128in": 25.91,
    "lmdeploy-llama2-70b-a100-tp4-b1-2048in": 26.01,
    "lmdeploy-llama2-70b-a100-tp4-b64-128in": 34.3,
    "trtllm-llama-70b-a100-tp4-ttft-128": 33.26,
    "trtllm-llama-70b-a100-tp4-ttft-2048": 376,
    "trtllm-llama-7b-h100-fp8-ttft-128": 4.121,
    "trtllm-llama-7b-h100-fp8-ttft-2048": 28.44,
    "trtllm-llama-70b-h100-fp8-tp4-ttft-128": 14.13,
    "trtllm-llama-70b-h100-fp8-tp4-ttft-2048": 92.29,
    "cslt-gptfast-llama2-7b-dense": 9.395,
    "cslt-gptfast-llama2-7b-2of4": 6.047,
    "nemo-llama2-7b-a100-b1": 190,
    "nemo-llama2-7b-a100-b8": 251.5,
    "nemo-llama2-7b-h100-b1": 120.6,
    "nemo-llama2-7b-h100-b8": 140.2,
    # Held out: added after the model was written, evaluated once, nothing changed for them.
    "trtllm-gptj-6b-a100-ttft-128": 9.968,
    "trtllm-gptj-6b-a100-ttft-2048": 121.1,
    "trtllm-falcon-180b-a100-tp8-ttft-128": 47.74,
    "trtllm-falcon-180b-a100-tp8-ttft-2048": 523.2,
    "trtllm-gptj-6b-h100-fp8-ttft-128": 3.545,
    "trtllm-gptj-6b-h100-fp8-ttft-2048": 24.10,
    "trtllm-falcon-180b-h100-fp8-tp8-ttft-128": 19.12,
    "trtllm-falcon-180b-h100-fp8-tp8-ttft-2048": 127.4,
    "trtllm-tput-gptj-h100-fp8-b1024-128x128": 4695,
    "trtllm-tput-gptj-h100-fp8-b120-128x2048": 29180,
    "trtllm-tput-llama-7b-h100-fp8-b768-128x128": 4233,
    "trtllm-tput-llama-7b-h100-fp8-b112-128x2048": 31810,
    "trtllm-tput-llama-7b-h100-fp8-b80-2048x128": 4395,
    "trtllm-tput-llama-7b-h100-fp8-b48-2048x2048": 35680,
    "trtllm-tput-gptj-a100-b512-128x128": 10360,
    "trtllm-tput-llama-7b-a100-b384-128x128": 9026,
    "trtllm-tput-llama-7b-a100-b60-128x2048": 64260,
    "trtllm-tput-llama-7b-a100-b52-2048x128": 11960,
}

#: The cases the bounds of test_error_bounds were written for (the Llama first-token rows of
#: TensorRT-LLM, and lmdeploy's); the GPT-J, Falcon and throughput rows have their own test.
FIRST_CASES = ("trtllm-llama", "lmdeploy")


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
    """Mean |error| 13.5% over the first 34 cases from 7 sources (13.2% over all 52 from 8,
    the bounds below on mean and worst hold for all); time per output token 5.4% on average
    (gpt-fast, torchao, lmdeploy), prefill of 2048 tokens of Llama within 3% on A100 and -15
    to -21% on H100 in FP8. The known gap is the first token of a 128-token Llama prompt: -29%
    (TensorRT-LLM) and -49% (lmdeploy) on A100, -41 to -46% on H100 FP8, always too fast. Its
    GEMMs have 128 rows and sit at the roofline's ridge, where the model takes memory and math
    as fully overlapped; per-request engine work is not modelled either. The NeMo requests
    (128 in, 20 out; precision not stated) inherit it: -19 to -30%. And 2:4 at batch 1:
    cuSPARSELt gives 1.10x over dense in gpt-fast, the model's kernel, which moves only the
    fewer bytes, 1.55x (-31% on the sparse case): small-batch sparse kernels are not
    modelled."""
    errors = {k: r.error for k, r in results.items()}
    assert statistics.mean(abs(e) for e in errors.values()) < 0.14
    assert max(abs(e) for e in errors.values()) < 0.50
    decode = [e for k, e in errors.items() if k.startswith(("gptfast", "torchao", "lmdeploy"))
              and "ftl" not in k]
    assert statistics.mean(abs(e) for e in decode) < 0.07  # time per output token
    first = {k: e for k, e in errors.items() if k.startswith(FIRST_CASES)}
    long_prefill = [e for k, e in first.items() if k.endswith(("ttft-2048", "ftl-2048"))]
    assert len(long_prefill) == 5 and max(abs(e) for e in long_prefill) < 0.22
    short_prefill = [e for k, e in first.items() if k.endswith(("ttft-128", "ftl-128"))]
    assert len(short_prefill) == 5
    assert all(-0.5 < e < -0.25 for e in short_prefill)  # the gap, stated
    assert -0.35 < errors["cslt-gptfast-llama2-7b-2of4"] < -0.25  # the 2:4 gap, stated
    assert len({r.source for r in results.values()}) >= 5


def test_error_bounds_of_the_held_out_trtllm_rows(results):
    """TensorRT-LLM's GPT-J-6B and Falcon-180B first-token rows (v0.5) and its one-GPU peak
    throughput rows (v0.6.1), added after the model was written and not used to change it.

    First token (8 cases, mean |error| 22.6%): a 128-token prompt is always too fast, -17%
    (GPT-J, A100) to -49% (GPT-J, H100 FP8), the gap of the Llama rows; a 2048-token prompt is
    within 7% on A100 (GPT-J -6.1%, Falcon over 8 GPUs +2.8%) and too fast on H100 FP8 (GPT-J
    -16.9%, Falcon over 8 GPUs -37.8%, the largest error here: the model's all-reduces carry
    FP8 bytes where the engine reduces FP16 activations, and its FP8 GEMM efficiency is one
    measured 8192^3 figure).

    Throughput (10 cases, one static batch of 48 to 1024 requests, mean |error| 4.7%): -15.2%
    (Llama-2-7B, H100 FP8, batch 768, 128 in and out) to +6.2% (Llama-2-7B, A100, batch 52,
    2048 in, 128 out)."""
    errors = {k: r.error for k, r in results.items()}
    first = {k: e for k, e in errors.items() if k.startswith(("trtllm-gptj", "trtllm-falcon"))}
    assert len(first) == 8
    assert statistics.mean(abs(e) for e in first.values()) < 0.24
    short = [e for k, e in first.items() if k.endswith("ttft-128")]
    assert len(short) == 4 and all(-0.5 < e < -0.15 for e in short)  # too fast, as Llama's
    long_a100 = [e for k, e in first.items() if k.endswith("ttft-2048") and "a100" in k]
    assert len(long_a100) == 2 and all(abs(e) < 0.07 for e in long_a100)
    long_h100 = [e for k, e in first.items() if k.endswith("ttft-2048") and "h100" in k]
    assert len(long_h100) == 2 and all(-0.40 < e < -0.15 for e in long_h100)
    tput = [e for k, e in errors.items() if k.startswith("trtllm-tput")]
    assert len(tput) == 10
    assert statistics.mean(abs(e) for e in tput) < 0.05
    assert all(-0.16 < e < 0.07 for e in tput)


def test_json_cases_carry_source_and_error(results):
    for r in results.values():
        d = r.to_dict()
        assert d["source"] and d["citation"] and d["error"] == pytest.approx(r.error)
        assert d["kind"] in ("measured", "derived")
