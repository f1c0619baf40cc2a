"""Operands kept on chip by a declared fusion, and all-reduces over a device link."""

from __future__ import annotations

import pytest

from hwsim.arch.load import load_arch
from hwsim.errors import HwsimError
from hwsim.evaluation.evaluate import evaluate
from hwsim.workload.graph import build_workload
from hwsim.workload.io import load_workload
from hwsim.workload.layers import AllReduce, Eltwise, Matmul
from tests.conftest import ARCH_DIR

BUNDLED = sorted(p.stem for p in ARCH_DIR.glob("*.yaml"))


def _chain(on_chip: bool):
    f = (["outputs"], ["inputs", "outputs"], ["inputs"]) if on_chip else ([], [], [])
    return build_workload("attn", [
        Matmul(name="s", inputs=["input", "input"], m=128, k=64, n=128, count=12, on_chip=f[0]),
        Eltwise(name="p", kind="softmax", shape=[12, 128, 128], on_chip=f[1]),
        Matmul(name="c", inputs=["p", "input"], m=128, k=128, n=64, count=12, on_chip=f[2]),
    ], precision="fp16")


def test_gpu_fused_chain_moves_no_score_bytes():
    """On A100 the unfused chain writes the fp16 score matrix, reads and writes it again in
    the softmax, and reads it in P @ V: 4 x 12 x 128 x 128 x 2 B more DRAM than fused; the
    fused softmax and P @ V start no kernel of their own."""
    a100 = load_arch("a100")
    plain = evaluate(_chain(False), a100, attention="unfused")
    fused = evaluate(_chain(True), a100, attention="fused")
    score = 12 * 128 * 128 * 2
    diff = plain.totals["dram_bytes"] - fused.totals["dram_bytes"]
    assert diff == pytest.approx(4 * score, rel=1e-9)
    assert "launch" not in fused.layers[1].time_s and "launch" not in fused.layers[2].time_s
    assert fused.layers[1].dram_bytes == 0.0


@pytest.mark.parametrize("arch", BUNDLED)
def test_fusion_never_costs_more(arch):
    """Keeping an operand on chip removes DRAM traffic and adds nothing, on every target
    (activations otherwise through DRAM: TPU v1 keeps BERT's scores in its unified buffer
    anyway, with or without fusion)."""
    spec = load_arch(arch, ["activations=dram"])
    wl = load_workload("bert_base_seq128")
    if "fp16" not in spec.precisions:
        wl = build_workload(wl.name, wl.layers, precision=spec.default_precision)
    plain = evaluate(wl, spec, attention="unfused").totals
    fused = evaluate(wl, spec, attention="fused").totals
    assert fused["dram_bytes"] < plain["dram_bytes"]
    assert fused["latency_s"] <= plain["latency_s"] * (1 + 1e-9)
    assert fused["energy_j"] <= plain["energy_j"] * (1 + 1e-9)


def _reduce(elements: int, devices: int, precision: str = "fp16"):
    return build_workload("ar", [AllReduce(name="ar", shape=[elements], devices=devices)],
                          precision=precision)


def test_small_allreduce_by_hand():
    """16 KiB (8192 fp16) over 4 A100s: NCCL's LL protocol wins, 3.6 us + 6 steps x 0.47 us +
    1.5 x 16384 B at a quarter of 231.6 GB/s; plus the kernel launch (4 us)."""
    r = evaluate(_reduce(8192, 4), load_arch("a100")).layers[0]
    link = 3.6e-6 + 6 * 0.47e-6 + 1.5 * 16384 / (231.6e9 * 0.25)
    assert r.time_s["link"] == pytest.approx(link, rel=1e-9)
    assert r.latency_s == pytest.approx(link + 4e-6, rel=1e-9)
    assert r.bound == "link"
    assert r.energy_breakdown_j["link"] == pytest.approx(1.5 * 16384 * 5.5 * 8 * 1e-12)


def test_large_allreduce_uses_the_bandwidth():
    """64 MiB over 8 GPUs: Simple protocol, 2 x 7/8 of the bytes at the bus bandwidth."""
    n = 32 * 1024 * 1024
    r = evaluate(_reduce(n, 8), load_arch("a100")).layers[0]
    sent = 2 * 7 / 8 * 2 * n
    assert r.time_s["link"] == pytest.approx(8.4e-6 + 14 * 3.4e-6 + sent / 231.6e9, rel=1e-9)


def test_eight_bit_models_reduce_sixteen_bit_sums():
    """An fp8 or int8 model's partial sums are all-reduced as 16-bit activations (engines
    dequantise before NCCL): the same link bytes as fp16; fp32 sends its own 4 bytes."""
    h100 = load_arch("h100")
    rows = {p: evaluate(_reduce(1 << 20, 4, p), h100).layers[0]
            for p in ("fp8", "int8", "fp16", "fp32")}
    link = {p: r.energy_breakdown_j["link"] for p, r in rows.items()}
    assert link["fp8"] == link["int8"] == link["fp16"] == pytest.approx(
        2 * 3 / 4 * 2 * (1 << 20) * 5.5 * 8 * 1e-12)  # sent bytes x the link's pJ/B
    assert link["fp32"] == pytest.approx(2 * link["fp16"])
    assert rows["fp8"].dram_bytes == rows["fp16"].dram_bytes == 3 * 2 * (1 << 20)
    assert rows["fp8"].time_s["link"] == rows["fp16"].time_s["link"]


def test_allreduce_time_grows_with_devices_and_bytes():
    a100 = load_arch("a100")
    t = {(e, p): evaluate(_reduce(e, p), a100).totals["latency_s"]
         for e in (1024, 1 << 20) for p in (2, 4, 8)}
    for e in (1024, 1 << 20):
        assert t[(e, 2)] < t[(e, 4)] < t[(e, 8)]
    for p in (2, 4, 8):
        assert t[(1024, p)] < t[(1 << 20, p)]


def test_allreduce_needs_a_link():
    with pytest.raises(HwsimError, match="declares no 'link'"):
        evaluate(_reduce(1024, 2, "int8"), load_arch("gemmini"))
