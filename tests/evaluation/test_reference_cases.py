"""Published accelerator and GPU-kernel measurements (references/accelerators.yaml) against the
model: every case's figure pinned, and the errors as they stand.

Zhang FPGA'15 and the A100 GEMMs of the cuSPARSELt blog are within 15%. Zhang's conv layers are
compute-bound: the model underestimates them by 4% (CONV1-2) to 10% (CONV3-5), total -6.4%;
the pipeline fill per tile (23 cycles) and the AXI start-up per tile transfer (64 cycles) took
CONV3-5 from -11% to -10% and the total from -7.0%. The per-layer figures are recalled, not
re-read from the paper (references/accelerators.yaml). Azure's cuBLASLt GEMM
table (A100-SXM4-80GB): two of its rows are calibration (8192^3 set gemm_efficiency and, with
it, the 802816x192x768 GEMM at the roofline ridge set overlap_exponent: both within 1%); the six
held out are within 20% (mean 7%; the two 1024-size GEMMs, 18-34 us, are the worst at -11% and
-19%: back-to-back timing hides part of the launch and reuses L2, which the model does not).
The same benchmark's FP8 tables on H100 and H200: the H100's 8192^3 row set its fp8 efficiency,
the other eight H100 rows are within 12% (mean 5.2%), and the H200's nine, held out (its config
is the H100's compute with its own memory), within 8% (mean 2.6%).
Eyeriss (JSSC 2017, Table V), with the chip's own buffer split (ifmaps and psums in the global
buffer, filters streamed into the PEs' filter scratchpads), its 16 B/cycle global-buffer port
and its row-stationary dataflow (hwsim.model.targets.row_stationary: PE sets of 1-D
convolutions, the mapping searched under the scratchpad and buffer sizes), compared with the
table's total latency (the model's latency includes its DRAM transfers; the processing latency
leaves out the transfers the chip does not hide) over the chip's link at its 90 MHz upper bound
(64 bits wide, recalled), with ifmaps read and ofmaps written RLC-coded (the zeros of each
given, off the padded maps the table counts: docs/concepts/targets.md): latency -7% to +13%,
DRAM traffic -2% to +26% (mean |error| 9.1%; CONV1 +23% and CONV5 +26%, whose ofmaps' zeros
are below RLC's break-even and not measured). Writing the ofmaps dense, CONV2-4 were +10% to
+25%. Against the
processing latency, as earlier versions compared, CONV1 was +31% (its 6.1 MB of DRAM traffic
added 7.7 ms at the former 0.8 GB/s to 13.9 ms of compute). Held out, VGG-16 on Eyeriss (JSSC
2017 Table VI, batch 3) is within 10% on its 14x14 layers, 22-24% fast on the 28x28 ones and
2-3.6x too fast on the larger maps (test_eyeriss_vgg16_gap), while its DRAM traffic is within
20% on every layer (test_eyeriss_vgg16_dram_traffic). The pins make any change visible.
"""

from __future__ import annotations

import pytest

from hwsim.evaluation import references
from hwsim.evaluation.references import reference_files

MODEL = {
    "zhang-conv1": 7.345,
    "zhang-conv2": 5.122,
    "zhang-conv3": 3.433,
    "zhang-conv4": 2.600,
    "zhang-conv5": 1.735,
    "zhang-total": 20.23,
    "eyeriss-conv1-latency": 22.45,
    "eyeriss-conv2-latency": 39.06,
    "eyeriss-conv3-latency": 23.27,
    "eyeriss-conv4-latency": 17.29,
    "eyeriss-conv5-latency": 11.86,
    "eyeriss-conv1-dram": 6.131,
    "eyeriss-conv2-dram": 4.235,
    "eyeriss-conv3-dram": 2.955,
    "eyeriss-conv4-dram": 2.094,
    "eyeriss-conv5-dram": 1.637,
    "eyeriss-vgg16-conv1_1-latency": 32.9,
    "eyeriss-vgg16-conv1_2-latency": 274.1,
    "eyeriss-vgg16-conv2_1-latency": 138.0,
    "eyeriss-vgg16-conv2_2-latency": 251.3,
    "eyeriss-vgg16-conv3_1-latency": 113.5,
    "eyeriss-vgg16-conv3_2-latency": 215.9,
    "eyeriss-vgg16-conv3_3-latency": 215.3,
    "eyeriss-vgg16-conv4_1-latency": 103.6,
    "eyeriss-vgg16-conv4_2-latency": 199.6,
    "eyeriss-vgg16-conv4_3-latency": 193.1,
    "eyeriss-vgg16-conv5_1-latency": 50.39,
    "eyeriss-vgg16-conv5_2-latency": 49.46,
    "eyeriss-vgg16-conv5_3-latency": 50.0,
    "eyeriss-vgg16-conv1_1-dram": 14.56,
    "eyeriss-vgg16-conv1_2-dram": 58.38,
    "eyeriss-vgg16-conv2_1-dram": 39.91,
    "eyeriss-vgg16-conv2_2-dram": 57.38,
    "eyeriss-vgg16-conv3_1-dram": 22.27,
    "eyeriss-vgg16-conv3_2-dram": 36.57,
    "eyeriss-vgg16-conv3_3-dram": 36.08,
    "eyeriss-vgg16-conv4_1-dram": 15.12,
    "eyeriss-vgg16-conv4_2-dram": 24.77,
    "eyeriss-vgg16-conv4_3-dram": 20.13,
    "eyeriss-vgg16-conv5_1-dram": 6.55,
    "eyeriss-vgg16-conv5_2-dram": 5.884,
    "eyeriss-vgg16-conv5_3-dram": 6.274,
    "a100-gemm-dense": 0.8375,
    "a100-gemm-2of4": 0.5426,
    "azure-a100-gemm-1024x1024x1024": 0.01602,
    "azure-a100-gemm-2048x2048x2048": 0.08139,
    "azure-a100-gemm-4096x4096x4096": 0.5677,
    "azure-a100-gemm-8192x8192x8192": 4.362,
    "azure-a100-gemm-16384x16384x16384": 34.61,
    "azure-a100-gemm-1024x2145x1024": 0.02745,
    "azure-a100-gemm-6144x12288x12288": 7.412,
    "azure-a100-gemm-802816x192x768": 1.486,
    "azure-h100-gemm-1024x1024x1024": 0.006917,
    "azure-h100-gemm-2048x2048x2048": 0.01867,
    "azure-h100-gemm-4096x4096x4096": 0.1121,
    "azure-h100-gemm-8192x8192x8192": 0.8571,
    "azure-h100-gemm-16384x16384x16384": 6.662,
    "azure-h100-gemm-32768x32768x32768": 52.41,
    "azure-h100-gemm-1024x2145x1024": 0.01017,
    "azure-h100-gemm-6144x12288x12288": 1.429,
    "azure-h100-gemm-802816x192x768": 0.3537,
    "azure-h200-gemm-1024x1024x1024": 0.006917,
    "azure-h200-gemm-2048x2048x2048": 0.01798,
    "azure-h200-gemm-4096x4096x4096": 0.11,
    "azure-h200-gemm-8192x8192x8192": 0.8443,
    "azure-h200-gemm-16384x16384x16384": 6.582,
    "azure-h200-gemm-32768x32768x32768": 51.86,
    "azure-h200-gemm-1024x2145x1024": 0.01017,
    "azure-h200-gemm-6144x12288x12288": 1.412,
    "azure-h200-gemm-802816x192x768": 0.3299,
}


@pytest.fixture(scope="module")
def results():
    return {r.id: r for r in references.run_references([p for p in reference_files()
                                                        if p.stem == "accelerators"])}


def test_every_case_is_pinned(results):
    assert set(results) == set(MODEL)


@pytest.mark.parametrize("case", sorted(MODEL))
def test_model_figure(results, case):
    assert results[case].model == pytest.approx(MODEL[case], rel=2e-3)


def test_error_bounds(results):
    err = {k: r.error for k, r in results.items()}
    assert max(abs(e) for k, e in err.items() if k.startswith(("zhang", "a100"))) < 0.15
    calibration = ("azure-a100-gemm-8192x8192x8192", "azure-a100-gemm-802816x192x768")
    assert all(abs(err[k]) < 0.015 for k in calibration)
    held_out = [e for k, e in err.items() if k.startswith("azure-a100") and k not in calibration]
    assert len(held_out) == 6
    assert max(abs(e) for e in held_out) < 0.20
    assert sum(abs(e) for e in held_out) / len(held_out) < 0.08
    # Hopper FP8 (Azure's cuBLASLt tables): the H100's 8192^3 row set its fp8 efficiency; its
    # other eight rows and all nine of the H200 (whose compute is the H100's and whose memory
    # comes from the same file's STREAM rows) are held out.
    assert abs(err["azure-h100-gemm-8192x8192x8192"]) < 0.01
    h100 = [e for k, e in err.items()
            if k.startswith("azure-h100") and k != "azure-h100-gemm-8192x8192x8192"]
    h200 = [e for k, e in err.items() if k.startswith("azure-h200")]
    assert len(h100) == 8 and len(h200) == 9
    assert max(abs(e) for e in h100) < 0.12 and sum(abs(e) for e in h100) / 8 < 0.06
    assert max(abs(e) for e in h200) < 0.08 and sum(abs(e) for e in h200) / 9 < 0.03
    eyeriss_latency = [e for k, e in err.items() if k.startswith("eyeriss-conv") and "latency" in k]
    eyeriss_dram = [e for k, e in err.items() if k.startswith("eyeriss-conv") and "dram" in k]
    assert max(abs(e) for e in eyeriss_latency) < 0.14  # CONV5 +12.9% (docstring)
    assert max(abs(e) for e in eyeriss_dram) < 0.27  # CONV5 +26%: its ofmaps' zeros unknown
    assert sum(abs(e) for e in eyeriss_latency + eyeriss_dram) / 10 < 0.10


def test_eyeriss_vgg16_gap(results):
    """Held out, VGG-16 at batch 3 (JSSC 2017 Table VI, total latency): the layers of 14x14
    maps are within 10%, those of 28x28 maps 22-24% fast; the chip is 2x slower than the model
    on the 56x56 layers, 2.3x on conv1_1 (whose on-chip time the buffer port sets, to which its
    DRAM time adds), 3-3.6x on the 112x112 and 224x224 ones. The model finds fully
    used PEs there (its time is compute plus the unhidden DRAM traffic, as on the small maps).
    The table's own counts say why the chip is slower: its global-buffer accesses are ~15
    B/cycle of its processing latency on every layer from conv1_1 to conv4_3, the ceiling of
    the buffer's 16 B/cycle port (the chip's 64-bit psum input and output networks carry 4 + 4
    16-bit psums per cycle: JSSC 2017, recalled), which the eyeriss config now declares; they
    are psums of q r = 1 channel per pass on the 224 and 112 maps, 2 on the 56 ones and ~4 on
    the 28 ones, which caps the array at 36 q r MACs per cycle (measured 34, 68, 132). The
    model's mappings move 1.8-9.5x fewer global-buffer bytes on these layers (2.3-2.4x on
    AlexNet's CONV3-5, within 8% on CONV1-2), so its port does not bound the large maps. Why
    the chip's mapping takes one channel per pass where the model fits 8-16 within the same
    buffers is not known; the hypotheses tried and their effect are in
    docs/concepts/targets.md (known gap: Eyeriss on large feature maps)."""
    err = {k.split("-")[2]: r.error for k, r in results.items()
           if "vgg16" in k and k.endswith("-latency")}
    assert len(err) == 13
    for k in ("conv5_1", "conv5_2", "conv5_3"):
        assert abs(err[k]) < 0.10
    for k in ("conv4_1", "conv4_2", "conv4_3"):
        assert -0.26 < err[k] < -0.20
    for k in ("conv3_1", "conv3_2", "conv3_3"):
        assert -0.57 < err[k] < -0.50
    assert -0.60 < err["conv1_1"] < -0.54
    for k in ("conv1_2", "conv2_1", "conv2_2"):
        assert -0.75 < err[k] < -0.66


def test_bad_reference_file_is_a_located_error(tmp_path):
    from hwsim.errors import SpecError
    from hwsim.evaluation.references import load_references

    bad = tmp_path / "bad.yaml"
    bad.write_text("sources: {a: x}\nworkload_cases:\n  - {id: c, source: b, kind: measured, "
                   "arch: a100, workload: alexnet, metric: latency_ms, measured: 1}\n")
    with pytest.raises(SpecError, match="not listed under 'sources'"):
        load_references(bad)


def test_eyeriss_vgg16_dram_traffic(results):
    """Held out, VGG-16's DRAM traffic per layer (JSSC 2017 Table VI, proofread transcription):
    within 20% on every layer (conv2_1 +19.5%, conv2_2 +18%, conv3_3 +17%, conv4_1 -15%), mean
    |error| 12%, even on the large maps whose latency the model misses: the traffic is near the
    chip's, the time is not (the chip is bound by its global-buffer accesses there,
    test_eyeriss_vgg16_gap). Writing the ofmaps dense, as versions before did, conv1_1 was +32%
    (its 19 MB of ofmaps, 47% zeros, are 70% of that size RLC-coded)."""
    err = [r.error for k, r in results.items() if "vgg16" in k and k.endswith("-dram")]
    assert len(err) == 13
    assert max(abs(e) for e in err) < 0.22
    assert sum(abs(e) for e in err) / 13 < 0.12
