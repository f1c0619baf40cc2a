"""Row-stationary dataflow (hwsim.model.targets.row_stationary): a conv by hand, invariants."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwsim.arch.load import load_arch
from hwsim.evaluation import evaluate
from hwsim.model.accounting import energy_breakdown_j, latency_s, score, secondary
from hwsim.model.counts import mac_counts
from hwsim.model.loopnest import lower
from hwsim.model.sparse import apply_effect, sparse_effect
from hwsim.model.targets import row_stationary as rs
from hwsim.model.targets import rs_mappings
from hwsim.model.targets.row_stationary import row_stationary_cost
from hwsim.model.targets.rs_mappings import placement, rs_candidates
from hwsim.sparsity.profile import SparsityProfile
from hwsim.sparsity.spec import parse_sparsity
from hwsim.workload import Conv2d, build_workload
from tests.conftest import make_arch

#: 3 x 3 PEs, int8; per PE a filter scratchpad of 3 weights, an ifmap scratchpad of 3 values
#: and one int32 psum: every PE runs p = 1 filter on q = 1 channel.
TINY_RS: dict[str, Any] = {
    "name": "tiny_rs",
    "kind": "systolic",
    "technology_nm": 45,
    "clock_mhz": 100,
    "precisions": ["int8"],
    "compute": {"rows": 3, "cols": 3, "dataflow": "rs"},
    "dram": {"bandwidth_gbps": 1.0, "burst_bytes": 1, "energy_pj_per_bit": 10.0},
    "buffers": [
        {"name": "glb", "holds": ["inputs", "outputs"], "capacity_kib": 64,
         "double_buffered": False, "read_energy_pj_per_bit": 0.1,
         "write_energy_pj_per_bit": 0.1},
        {"name": "fspad", "holds": ["weights"], "capacity_kib": 27 / 1024,
         "double_buffered": False, "read_energy_pj_per_bit": 0.1,
         "write_energy_pj_per_bit": 0.1},
        {"name": "ispad", "holds": ["inputs"], "capacity_kib": 3 / 1024, "per_pe": True,
         "read_energy_pj_per_bit": 0.1, "write_energy_pj_per_bit": 0.1},
        {"name": "pspad", "holds": ["outputs"], "capacity_kib": 4 / 1024, "per_pe": True,
         "read_energy_pj_per_bit": 0.1, "write_energy_pj_per_bit": 0.1},
    ],
    "interconnect": {"topology": "systolic", "hop_mm": 1.0, "energy_pj_per_bit_mm": 0.1},
    "energy": {"mac_pj": {"int8": 1.0}, "alu_op_pj": {"int8": 0.1}},
    "static_power_w": 0.0,
}


def one_conv(c: int = 1, k: int = 2, kernel: int = 3, hw: int = 5, stride: int = 1) -> Any:
    return build_workload("one", [Conv2d(name="c", in_channels=c, out_channels=k,
                                         kernel=kernel, input_hw=hw, stride=stride)])


def test_tiny_conv_by_hand():
    # C=1 -> K=2, 3x3 filter, 5x5 input: E = F = 3, 2*9*9 = 162 MACs.
    r = evaluate(one_conv(), make_arch(TINY_RS)).layers[0]
    assert r.macs == 162
    # A PE set is R x e = 3 x 3: the whole array, one set (r = t = 1); p = q = 1 (one psum,
    # a window of S = 3 in the ifmap scratchpad). Passes: ceil(K / (p t)) = 2, each
    # n * p * q * S * F = 3 * 3 = 9 cycles -> 18 cycles, all 9 PEs busy.
    assert r.mapping["order"] == "row_stationary"
    assert r.mapping["tile"] == {"e": 3, "p": 1, "q": 1, "r": 1, "t": 1, "n": 1, "m": 2}
    assert r.compute_cycles == 18
    assert r.utilization == pytest.approx(1.0)
    # DRAM: each filter loaded into the scratchpads once (18 B), the ifmap once (25 B: both
    # filters' psums fit the GLB, m = K), the outputs once (18 B) -> 61 B.
    assert r.mapping["dram_bytes"] == pytest.approx({"weights": 18, "inputs": 25, "outputs": 18})
    assert r.dram_bytes == pytest.approx(61)
    # Not double-buffered: 18 cycles at 100 MHz + 61 B at 1 GB/s = 0.18 + 0.061 us.
    assert r.latency_s == pytest.approx(0.241e-6)
    e = r.energy_breakdown_j
    # GLB reads: the ifmap once per filter pass (2 x 25 B) and the 18 results out to DRAM;
    # writes: 18 int32 psums (72 B) and the 25 B ifmap fill -> (68 + 97) B x 0.8 pJ/B.
    assert e["glb"] == pytest.approx(165 * 0.8e-12)
    # Filter scratchpads: every MAC reads its weight (162 B); each weight is written into
    # the e = 3 PEs of its row (18 B fill + 36 B copies) -> (162 + 54) B x 0.8 pJ/B.
    assert e["fspad"] == pytest.approx(216 * 0.8e-12)
    assert e["dram"] == pytest.approx(61 * 80e-12)
    assert r.energy_j == pytest.approx(sum(e.values()))


def test_placement_folds_and_replicates():
    # Eyeriss 12 x 14 (Chen JSSC 2017): AlexNet CONV1 11 x 7 sets, two side by side;
    # CONV2's 5 x 27 set cut into strips of 14 and 13, stacked: one set; CONV3 3 x 13: four.
    assert placement(12, 14, 11, 7) == 2
    assert placement(12, 14, 5, 27) == 1
    assert placement(12, 14, 3, 13) == 4
    assert placement(12, 14, 5, 60) == 0  # five strips of 5 rows do not fit 12 rows


def _nest(layer: Conv2d, batch: int) -> Any:
    nest = lower(layer, batch, "int16")
    assert nest is not None
    return nest


ALEXNET = [Conv2d(name="conv1", in_channels=3, out_channels=96, kernel=11, input_hw=227,
                  stride=4),
           Conv2d(name="conv2", in_channels=96, out_channels=256, kernel=5, input_hw=27,
                  padding=2, groups=2),
           Conv2d(name="conv3", in_channels=256, out_channels=384, kernel=3, input_hw=13,
                  padding=1)]


@pytest.mark.parametrize("layer", ALEXNET, ids=lambda lay: lay.name)
def test_eyeriss_invariants(layer):
    hw = load_arch("eyeriss").hw
    costs = []
    for batch in (1, 2, 4, 8):
        nest = _nest(layer, batch)
        c = row_stationary_cost(nest, hw, "latency", None)
        # Never faster than every PE doing a MAC every cycle.
        assert c.compute_cycles >= nest.macs / hw.num_pes
        # Every operand crosses DRAM at least once.
        eb = nest.elem_bytes
        d = c.mapping["dram_bytes"]
        assert d["weights"] >= nest.G * nest.K * nest.C * nest.R * nest.S * eb
        assert d["outputs"] >= nest.G * nest.N * nest.K * nest.P * nest.Q * eb
        rows = min(nest.H, (nest.P - 1) * nest.stride[0] + nest.R)
        cols = min(nest.W, (nest.Q - 1) * nest.stride[1] + nest.S)
        assert d["inputs"] >= nest.G * nest.N * nest.C * rows * cols * eb
        assert c.dram_bytes == pytest.approx(sum(d.values()))
        costs.append(c)
    # More ifmaps never take less time or move fewer bytes.
    for a, b in itertools.pairwise(costs):
        assert b.latency_s >= a.latency_s and b.dram_bytes >= a.dram_bytes


def test_eyeriss_alexnet_conv1_mapping():
    # The search lands on the published CONV1 mapping (Chen JSSC 2017, mapping table,
    # recalled): 11 x 7 sets, t = 2 replicas on different filters, p = 16, q = 1, n = 1, and
    # the psums of all 96 filters in the GLB.
    c = row_stationary_cost(_nest(ALEXNET[0], 4), load_arch("eyeriss").hw, "latency", None)
    assert c.mapping["tile"] == {"e": 7, "p": 16, "q": 1, "r": 1, "t": 2, "n": 1, "m": 96}
    assert not c.mapping["psum_spill"]
    # 4 images x 3 filter passes x 3 channels x 8 strips x (16 x 1 x 11 x 55) cycles.
    assert c.compute_cycles == 4 * 3 * 3 * 8 * 16 * 11 * 55


def test_gating_saves_energy_not_time_and_rle_cuts_inputs():
    arch = load_arch("eyeriss")
    wl = build_workload("one", [ALEXNET[2]])
    dense = evaluate(wl, arch, batch=4).layers[0]
    sparse = evaluate(wl, arch, batch=4, sparsity=parse_sparsity("dense:act=0.725")).layers[0]
    assert sparse.compute_cycles == dense.compute_cycles
    assert sparse.energy_breakdown_j["mac"] < dense.energy_breakdown_j["mac"]
    assert sparse.mapping["dram_bytes"]["inputs"] < dense.mapping["dram_bytes"]["inputs"]


def test_psums_spill_when_the_buffer_is_small():
    # A GLB that holds the ifmap chunk but not one pass's psums: they go to DRAM and back
    # after every channel chunk.
    arch = make_arch(TINY_RS, **{"buffers": [
        {**TINY_RS["buffers"][0], "capacity_kib": 40 / 1024}, *TINY_RS["buffers"][1:]]})
    r = evaluate(one_conv(c=4, k=2, kernel=3, hw=5), arch).layers[0]
    assert r.mapping["psum_spill"]
    assert r.mapping["dram_bytes"]["outputs"] > 2 * 9  # results plus spilled psums


@settings(max_examples=25, deadline=None)
@given(c=st.integers(1, 8), k=st.integers(1, 40), kernel=st.integers(1, 5),
       extra=st.integers(0, 12), stride=st.integers(1, 2), batch=st.integers(1, 3))
def test_rs_bounds_property(c, k, kernel, extra, stride, batch):
    layer = Conv2d(name="c", in_channels=c, out_channels=k, kernel=kernel,
                   input_hw=kernel + extra, stride=stride)
    nest = _nest(layer, batch)
    hw = load_arch("eyeriss").hw
    cost = row_stationary_cost(nest, hw, "latency", None)
    assert cost.compute_cycles >= nest.macs / hw.num_pes
    assert cost.dram_bytes >= (nest.K * nest.C * nest.R * nest.S
                               + nest.N * nest.K * nest.P * nest.Q) * nest.elem_bytes
    # Every mapping the search kept is no better than the MAC bound either.
    comp = hw.compute
    table = rs_candidates(nest, comp.rows, comp.cols, (224, 12, 24),
                          (108 * 1024, 108 * 1024, True), 2.0)
    assert (table.act.cycles >= math.ceil(nest.macs / hw.num_pes)).all()


def _scalar_scores(table, nest, hw, objective, profile):
    """Each candidate costed alone, one mapping at a time (the search before it used arrays)."""
    pes = hw.compute.rows * hw.compute.cols
    out = []
    for i in range(len(table)):
        act, m = table.act.at(i), table.mapping(i)
        dense = rs.rs_array(act, nest, pes, m)
        eff = sparse_effect(profile, hw, nest, dense)
        traffic = rs.rs_traffic(act, nest, hw, eff.stored_sizes)
        counts = mac_counts(hw, nest, apply_effect(dense, eff), eff, traffic)
        lat = float(latency_s(hw, counts))
        energy = float(sum(energy_breakdown_j(hw, counts, lat).values()))
        out.append((float(score(objective, lat, energy)),
                    float(secondary(objective, lat, energy))))
    return out


@pytest.mark.parametrize("objective", ["latency", "energy"])
def test_array_scores_equal_one_mapping_arithmetic(objective):
    # All candidates are scored at once on arrays, each with its own sparse effect (lockstep
    # lanes make them differ here): every score is the very float one mapping's arithmetic
    # gives.
    hw = load_arch("eyeriss", {"sparsity.skip": "unstructured",
                               "sparsity.skip_inputs": True}).hw
    nest = _nest(ALEXNET[2], 2)
    profile = SparsityProfile(nest.K, nest.C * nest.R * nest.S, nest.R * nest.S,
                              spec=parse_sparsity("unstructured:sparsity=0.75"),
                              input_density=0.6)
    comp = hw.compute
    psum_b = comp.psum_bits / 8
    li = hw.level_of("inputs")
    table = rs_candidates(nest, comp.rows, comp.cols, rs._words(hw, nest, psum_b),
                          (li.capacity_bytes, li.capacity_bytes, True), psum_b)
    eff = rs._per_candidate(*rs._effects(table, nest, hw, profile))
    assert isinstance(eff.work, np.ndarray)  # lockstep lanes: the effects differ
    primary, tie_break = rs._scores(table, nest, hw, objective, eff, comp.rows * comp.cols)
    assert list(zip(primary.tolist(), tie_break.tolist())) == _scalar_scores(
        table, nest, hw, objective, profile)


def test_python_integers_give_the_int64_table(monkeypatch):
    # A layer whose products could overflow int64 is computed on Python integers: the same
    # arithmetic, so on a layer that fits both the tables agree to the last bit.
    build = rs_candidates.__wrapped__
    args = (_nest(ALEXNET[1], 3), 12, 14, (224, 12, 24), (108 * 1024, 108 * 1024, True), 2.0)
    fast = build(*args)
    monkeypatch.setattr(rs_mappings, "INT64_SAFE", 0)
    exact = build(*args)
    assert np.array_equal(fast.params, exact.params) and len(fast) > 100
    for i in (0, len(fast) // 2, len(fast) - 1):
        assert fast.act.at(i) == exact.act.at(i)
    assert all(np.array_equal(a, b) for a, b in zip(fast.act.arrays(), exact.act.arrays()))
