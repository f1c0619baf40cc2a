"""Physics invariants over random layers and hardware (hypothesis)."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hwsim.errors import InfeasibleHardwareError
from hwsim.evaluation import evaluate
from hwsim.model.mapper import TIE_TOLERANCE
from hwsim.workload import Conv2d, Linear, build_workload
from tests.conftest import SYSTOLIC_32, TINY_FPGA, make_arch

convs = st.builds(
    lambda c, k, h, ks, s, g: Conv2d(
        name="c", in_channels=c * g, out_channels=k * g, kernel=ks, stride=s, padding=ks // 2,
        input_hw=h, groups=g),
    c=st.integers(1, 48), k=st.integers(1, 48), h=st.integers(4, 40),
    ks=st.sampled_from([1, 3, 5]), s=st.sampled_from([1, 2]), g=st.sampled_from([1, 1, 2]),
)
linears = st.builds(lambda i, o, t: Linear(name="c", in_features=i, out_features=o, tokens=t),
                    i=st.integers(1, 2048), o=st.integers(1, 2048), t=st.integers(1, 64))
layers = st.one_of(convs, linears)
bases = st.sampled_from([TINY_FPGA, SYSTOLIC_32])
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _eval(layer, base, objective="latency", **changes):
    arch = make_arch(base, **changes)
    return evaluate(build_workload("w", [layer]), arch, objective=objective).layers[0]


@FAST
@given(layer=layers, base=bases, bw=st.floats(0.1, 100), factor=st.floats(1.0, 16.0))
def test_more_bandwidth_never_slows(layer, base, bw, factor):
    slow = _eval(layer, base, **{"dram.bandwidth_gbps": bw})
    fast = _eval(layer, base, **{"dram.bandwidth_gbps": bw * factor})
    assert fast.latency_s <= slow.latency_s * (1 + 1e-9)


@FAST
@given(layer=layers, base=bases, clk=st.floats(50, 2000), factor=st.floats(1.0, 4.0))
def test_faster_clock_never_slows(layer, base, clk, factor):
    a = _eval(layer, base, clock_mhz=clk)
    b = _eval(layer, base, clock_mhz=clk * factor)
    assert b.latency_s <= a.latency_s * (1 + 1e-9)


@FAST
@given(layer=layers, base=bases, objective=st.sampled_from(["latency", "energy", "edp"]))
def test_energy_conserved_and_finite(layer, base, objective):
    r = _eval(layer, base, objective)
    parts = r.energy_breakdown_j.values()
    assert all(math.isfinite(v) and v >= 0 for v in parts)
    assert math.isclose(sum(parts), r.energy_j, rel_tol=1e-12)
    assert 0 < r.utilization <= 1 + 1e-12
    assert r.latency_s >= r.compute_cycles / make_arch(base).clock_hz * (1 - 1e-12)


@FAST
@given(layer=convs, base=bases, cap=st.floats(4, 256), factor=st.floats(1.0, 8.0))
def test_bigger_buffers_never_cost_more_energy(layer, base, cap, factor):
    """Under the energy objective, a larger buffer only adds candidate tilings: the choice is
    never worse than the smaller buffer's by more than the mapper's tie tolerance."""
    bufs_small = [dict(b, capacity_kib=cap) for b in base["buffers"]]
    bufs_big = [dict(b, capacity_kib=cap * factor) for b in base["buffers"]]
    try:
        small = _eval(layer, base, "energy", buffers=bufs_small)
    except InfeasibleHardwareError:
        return
    big = _eval(layer, base, "energy", buffers=bufs_big)
    # Buffer access energy itself grows with capacity (longer bit lines): compare the rest.
    def rest(r):
        return r.energy_j - sum(r.energy_breakdown_j[b["name"]] for b in base["buffers"])
    # The mapper keeps any tiling within TIE_TOLERANCE of the best *total*, buffers included,
    # so the rest may exceed the smaller buffer's by that share of the total (found by
    # Hypothesis: a 13-channel conv whose C=12 tile wins the tie at 8x the capacity).
    slack = TIE_TOLERANCE * big.energy_j
    assert (big.dram_bytes <= small.dram_bytes * (1 + 1e-9)
            or rest(big) <= rest(small) * (1 + TIE_TOLERANCE) + slack)


@FAST
@given(layer=convs, base=bases)
def test_dram_traffic_at_least_compulsory(layer, base):
    """Every weight and every output crosses DRAM at least once (int8: 1 byte each)."""
    r = _eval(layer, base)
    eb = 1.0
    compulsory = (layer.params() - (layer.out_channels if layer.bias else 0)) * eb
    compulsory += layer.output_elements() * eb
    assert r.dram_bytes >= compulsory * (1 - 1e-9)


@FAST
@given(layer=layers, mul=st.integers(0, 8), add=st.integers(0, 12),
       startup=st.floats(0, 200), double=st.booleans())
def test_pipeline_fill_and_transfer_start_up_never_speed_a_layer_up(layer, mul, add, startup,
                                                                     double):
    """Pipeline fill and transfer start-up only add cycles and seconds to every candidate
    tiling, so the fastest one cannot get faster (up to the tie tolerance, within which the
    mapper may take a tiling of fewer joules); at the same tiling, never faster at all."""
    bufs = [dict(b, double_buffered=double) for b in TINY_FPGA["buffers"]]
    try:
        bare = _eval(layer, TINY_FPGA, buffers=bufs)
        slow = _eval(layer, TINY_FPGA, buffers=bufs,
                     **{"compute.mul_latency_cycles": mul, "compute.add_latency_cycles": add,
                        "dram.transfer_latency_cycles": startup})
    except InfeasibleHardwareError:
        return
    assert slow.latency_s * (1 + TIE_TOLERANCE) >= bare.latency_s * (1 - 1e-12)
    if slow.mapping == bare.mapping:
        assert slow.compute_cycles >= bare.compute_cycles
        assert slow.latency_s >= bare.latency_s * (1 - 1e-12)
