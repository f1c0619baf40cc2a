"""compare(): baselines of pruned (masked) workloads, masks under a --sparsity override, the
block-skipping default, hardware support in rows, and what hardware cannot exploit."""

from __future__ import annotations

import numpy as np
import pytest

from hwsim.arch.load import load_arch
from hwsim.errors import HwsimError
from hwsim.evaluation import compare, evaluate
from hwsim.evaluation.compare import cannot_exploit
from hwsim.evaluation.layer_sparsity import has_own_sparsity, strip_sparsity
from hwsim.sparsity.spec import Dense, parse_sparsity
from hwsim.workload.graph import build_workload
from hwsim.workload.io import load_workload
from hwsim.workload.layers import Conv2d, Linear


def masked_workload(seed: int = 0, prunable_fc: bool = True):
    """Two convs and a linear layer; c2 keeps 20% of its weights, fc 10%."""
    rng = np.random.default_rng(seed)
    layers = [
        Conv2d(name="c1", in_channels=16, out_channels=64, kernel=3, padding=1, input_hw=16),
        Conv2d(name="c2", in_channels=64, out_channels=64, kernel=3, padding=1, input_hw=16),
        Linear(name="fc", in_features=64 * 16 * 16, out_features=10, prunable=prunable_fc),
    ]
    masks = {"c2": rng.random((64, 64, 3, 3)) < 0.2, "fc": rng.random((10, 64 * 256)) < 0.1}
    return build_workload("tiny_masked", layers, masks=masks)


@pytest.fixture(scope="module")
def skipping():
    return load_arch("gemmini", {"sparsity.skip": "unstructured"})


def test_masked_workload_has_a_dense_baseline_and_an_imported_row(skipping):
    wl = masked_workload()
    rows = compare(wl, [skipping], [])
    assert [(r.pattern, r.label) for r in rows] == [("dense", "dense"),
                                                    ("imported", "imported masks")]
    dense, imported = rows
    assert dense.speedup == 1.0 and dense.density == pytest.approx(1.0)
    assert imported.speedup > 1.5  # the masks skip zeros on this array
    assert imported.density < 0.5
    # the dense row is the network without its masks
    stripped = evaluate(strip_sparsity(wl), skipping)
    assert dense.latency_s == stripped.totals["latency_s"]
    assert evaluate(wl, skipping).totals["latency_s"] == imported.latency_s


def test_baseline_imported_puts_the_masked_network_first(skipping):
    wl = masked_workload()
    rows = compare(wl, [skipping], [parse_sparsity("unstructured:sparsity=0.5")],
                   baseline="imported")
    assert [r.label for r in rows] == ["imported masks", "dense", "unstructured 50%"]
    assert rows[0].speedup == 1.0
    assert rows[1].speedup < 1.0  # dense is slower than the pruned network
    assert all(r.provenance["baseline"] == "imported" for r in rows)
    by_dense = compare(wl, [skipping], [], baseline="dense")
    assert rows[1].speedup == pytest.approx(1.0 / by_dense[1].speedup)


def test_baseline_imported_needs_sparsity_of_its_own(skipping):
    with pytest.raises(HwsimError, match="no masks or sparsity patterns"):
        compare(load_workload("lenet5"), [skipping], [], baseline="imported")
    with pytest.raises(HwsimError, match="unknown baseline"):
        compare(load_workload("lenet5"), [skipping], [], baseline="sparse")


def test_unmasked_workload_rows_are_unchanged(skipping):
    rows = compare(load_workload("lenet5"), [skipping],
                   [parse_sparsity("unstructured:sparsity=0.5")])
    assert [r.pattern for r in rows] == ["dense", "unstructured"]


def test_override_replaces_the_masks_it_applies_to(skipping):
    wl = masked_workload()
    own = evaluate(wl, skipping)
    dense = evaluate(wl, skipping, sparsity=Dense())
    stripped = evaluate(strip_sparsity(wl), skipping)
    assert dense.totals["latency_s"] == stripped.totals["latency_s"]
    assert dense.totals["latency_s"] > own.totals["latency_s"]
    assert {r.sparsity for r in own.layers if r.name in ("c2", "fc")} == {"real mask"}
    assert {r.sparsity for r in dense.layers} == {"dense"}
    half = evaluate(wl, skipping, sparsity=parse_sparsity("unstructured:sparsity=0.5"))
    assert [r.density for r in half.layers] == pytest.approx([0.5, 0.5, 0.5])
    assert half.totals["latency_s"] != own.totals["latency_s"]


def test_a_layer_the_override_does_not_apply_to_keeps_its_mask(skipping):
    wl = masked_workload(prunable_fc=False)
    rep = evaluate(wl, skipping, sparsity=Dense())
    fc = next(r for r in rep.layers if r.name == "fc")
    assert fc.sparsity == "real mask" and fc.density == pytest.approx(0.1, abs=0.02)


def test_own_patterns_count_as_the_workloads_sparsity(skipping):
    layer = Linear(name="fc", in_features=256, out_features=256,
                   sparsity=parse_sparsity("unstructured:sparsity=0.75"))
    wl = build_workload("own", [layer])
    assert has_own_sparsity(wl) and not has_own_sparsity(strip_sparsity(wl))
    rows = compare(wl, [skipping], [])
    assert [r.label for r in rows] == ["dense", "workload's own patterns"]
    assert rows[0].density == pytest.approx(1.0) and rows[1].density == pytest.approx(0.25)


def test_block_skipping_defaults_to_the_patterns_blocks():
    """An array that skips empty blocks without a declared size skips 4x4 blocks of a 4x4
    pattern (it used to take its own 16x16 tile: 1.01x); a declared size still rules."""
    wl = load_workload("resnet18")
    spec = [parse_sparsity("block:size=4x4,sparsity=0.75")]
    default = compare(wl, [load_arch("gemmini", {"sparsity.skip": "block"})], spec)
    assert default[1].speedup > 1.8
    assert default[1].support["skip"] == "block" and default[1].support["block"] is None
    tile = compare(wl, [load_arch("gemmini", {"sparsity.skip": "block",
                                              "sparsity.block": [16, 16]})], spec)
    assert tile[1].speedup < 1.05
    rep = evaluate(wl, load_arch("gemmini", {"sparsity.skip": "block"}), sparsity=spec[0])
    conv = next(r for r in rep.layers if r.op == "conv2d" and r.macs > 0)
    assert "4x4 tiles" in conv.note


def test_rows_state_the_hardware_support():
    archs = [load_arch("gemmini", {"sparsity.skip": "nm", "sparsity.weights.format": "csr"}),
             load_arch("eyeriss"), load_arch("a100"), load_arch("gs_vector")]
    rows = compare(load_workload("lenet5"), archs, [])
    sup = {r.arch: r.support for r in rows}
    assert sup["gemmini"]["skip"] == "nm" and sup["gemmini"]["nm"] == [2, 4]
    assert sup["gemmini"]["weights"]["format"] == "csr"
    assert sup["eyeriss"]["gating"] is True and sup["eyeriss"]["inputs"]["format"] == "rle"
    assert sup["a100"]["skip"].startswith("kernels: 2:4")
    assert sup["gs_vector"]["skip"] == "nonzeros only"


PATTERNS = ["unstructured:sparsity=0.75", "block:size=4x4,sparsity=0.75", "nm:n=2,m=4",
            "gs:sparsity=0.9", "small_world:sparsity=0.9", "dense:act=0.5",
            "nested:levels=[0.5,0.9]", "channel:sparsity=0.5", "unstructured:sparsity=0.5,act=0.5"]


@pytest.mark.parametrize("name", ["gemmini", "tpu_v1", "zhang_fpga15", "eyeriss", "a100"])
def test_what_cannot_be_exploited_equals_dense(name):
    """Whenever hwsim says an arch cannot exploit a pattern, the result is the dense one."""
    arch = load_arch(name)
    wl = load_workload("lenet5")
    dense = evaluate(wl, arch).totals
    flagged = 0
    for text in PATTERNS:
        spec = parse_sparsity(text)
        if cannot_exploit(arch, spec) is None:
            continue
        flagged += 1
        t = evaluate(wl, arch, sparsity=spec).totals
        assert t["latency_s"] == pytest.approx(dense["latency_s"], rel=1e-12), text
        assert t["energy_j"] == pytest.approx(dense["energy_j"], rel=1e-12), text
    assert (flagged > 0) == (name in ("gemmini", "tpu_v1", "zhang_fpga15"))


def test_support_switches_the_diagnosis_off():
    spec = parse_sparsity("nm:n=2,m=4")
    assert cannot_exploit(load_arch("gemmini"), spec)
    assert cannot_exploit(load_arch("gemmini"), parse_sparsity("channel:sparsity=0.5")) is None
    assert cannot_exploit(load_arch("gemmini"), None) is None
    assert cannot_exploit(load_arch("gemmini"), None, masks=True)
    for sets in ({"sparsity.skip": "nm"}, {"sparsity.gating": True},
                 {"sparsity.weights.format": "bitmap"}):
        assert cannot_exploit(load_arch("gemmini", sets), spec) is None, sets
