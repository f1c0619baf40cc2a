"""The DRAM tiling mapper on its own: candidates, feasibility, traffic formulas, and that the
tiling it picks is the best under the very accounting the report uses (ports included)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hwsim.errors import InfeasibleHardwareError
from hwsim.model.accounting import energy_breakdown_j, latency_s, score
from hwsim.model.counts import mac_counts
from hwsim.model.loopnest import LoopNest
from hwsim.model.mapper import (
    ORDERS,
    TIE_TOLERANCE,
    TILED,
    candidates,
    map_layer,
    table_traffic,
    tile_table,
)
from hwsim.model.sparse import DENSE
from hwsim.model.targets.fpga import fpga_array
from tests.conftest import TINY_FPGA, make_arch

CONV = LoopNest(G=1, N=1, K=16, C=12, P=10, Q=10, R=3, S=3, H=12, W=12, precision="int8")


def _key(arch):
    return tuple((lv.name, lv.holds, lv.capacity_bytes, lv.double_buffered)
                 for lv in arch.hw.levels)


def test_candidates_are_granule_multiples_and_include_the_extent():
    c = candidates(100, granule=8)
    assert c[-1] == 100 and list(c) == sorted(set(c))
    assert all(v % 8 == 0 for v in c[:-1])
    assert len(c) <= 9
    assert list(candidates(1)) == [1]
    assert list(candidates(5, granule=64)) == [5]  # a granule wider than the dim: whole dim


def test_every_kept_tile_fits_its_buffer():
    arch = make_arch(TINY_FPGA, **{"buffers": [
        {"name": "ibuf", "holds": ["inputs"], "capacity_kib": 0.5},
        {"name": "wbuf", "holds": ["weights"], "capacity_kib": 1},
        {"name": "obuf", "holds": ["outputs"], "capacity_kib": 0.25}]})
    t = tile_table(CONV, (), _key(arch), 4, (1.0, 1.0, 1.0))
    caps = {"weights": 512, "inputs": 256, "outputs": 128}  # halves: double-buffered
    for j, op in enumerate(("weights", "inputs", "outputs")):
        assert (t.tile_bytes[j] <= caps[op]).all()
    assert t.tiles.shape[0] == len(TILED) and t.tiles.shape[1] > 1


def test_no_fitting_tile_is_an_infeasible_hardware_error():
    arch = make_arch(TINY_FPGA, **{"buffers": [
        {"name": "all", "holds": ["weights", "inputs", "outputs"], "capacity_kib": 0.01}]})
    with pytest.raises(InfeasibleHardwareError, match="no tile of this layer fits"):
        tile_table(CONV, (), _key(arch), 4, (1.0, 1.0, 1.0))


def test_traffic_formulas_by_order():
    """Hand check on a layer whose tiles cannot hold the whole reduction: weight stationary
    reads weights once and spills partial sums 2 x (C trips - 1) x outputs; output stationary
    writes outputs once and re-reads weights per spatial tile."""
    arch = make_arch(TINY_FPGA, **{"dram.burst_bytes": 1})
    t = tile_table(CONV, (), _key(arch), 1, (1.0, 1.0, 1.0))
    tn, _tk, tc, tp, tq = t.tiles
    w_once = 16 * 12 * 9
    out = 16 * 10 * 10
    trips_c = np.ceil(12 / tc)
    spatial = np.ceil(1 / tn) * np.ceil(10 / tp) * np.ceil(10 / tq)
    os_, ws, is_ = (ORDERS.index(o) for o in ("output_stationary", "weight_stationary",
                                                "input_stationary"))
    assert np.allclose(t.useful[ws, 0], w_once)
    assert np.allclose(t.useful[os_, 0], w_once * spatial)
    assert np.allclose(t.useful[os_, 2], out)
    assert np.allclose(t.spill, 2 * (trips_c - 1) * out * 4)  # int32 partial sums
    assert np.allclose(t.useful[ws, 2], out + t.spill)
    assert np.allclose(t.useful[is_, 1], t.useful[:, 1].min(axis=0))  # inputs read once
    # Halo: whole-layer input rows read over P tiles of 5 rows, 3x3 window, stride 1:
    # two tiles of 7 rows each (clipped to 12), against 12 rows once.
    five = (tp == 5) & (tq == 10) & (tc == 12) & (tn == 1)
    if five.any():
        assert np.allclose(t.useful[is_, 1][five], 12 * 14 * 12)


@pytest.mark.parametrize("objective", ["latency", "energy", "edp"])
@pytest.mark.parametrize("port", [None, 0.25, 2.0])
def test_chosen_tiling_is_the_best_under_the_reported_cost(objective, port):
    """Rank with what you report: no candidate scores better under the accounting than the
    chosen one, including narrow buffer ports that make the fills the bottleneck."""
    bufs = [dict(b) for b in TINY_FPGA["buffers"]]
    for b in bufs:
        b["double_buffered"] = True
        b["capacity_kib"] = 1
        if port is not None:
            b["bandwidth_bytes_per_cycle"] = port
    arch = make_arch(TINY_FPGA, buffers=bufs)
    hw = arch.hw
    array = fpga_array(CONV, hw)
    mapping, counts = map_layer(CONV, hw, array, DENSE, objective)
    lat = float(latency_s(hw, counts))
    best = float(score(objective, lat, sum(energy_breakdown_j(hw, counts, lat).values())))
    table = tile_table(CONV, tuple(sorted(array.granule.items())), _key(arch), hw.burst_bytes,
                       (1.0, 1.0, 1.0))
    all_counts = mac_counts(hw, CONV, array, DENSE, table_traffic(table))
    all_lat = latency_s(hw, all_counts)
    all_score = score(objective, all_lat, sum(energy_breakdown_j(hw, all_counts,
                                                                  all_lat).values()))
    assert best <= float(np.min(all_score)) * (1 + TIE_TOLERANCE)  # near-ties go to energy
    assert mapping.candidates == table.tiles.shape[1] * len(ORDERS)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(k=st.integers(1, 64), c=st.integers(1, 64), p=st.integers(1, 20),
       r=st.sampled_from([1, 3]), cap=st.floats(0.5, 64))
def test_reported_counts_are_the_chosen_candidate_column(k, c, p, r, cap):
    """The mapping's reported latency and energy equal those of its own column in the
    candidate arrays the mapper ranked (no second formula between ranking and reporting)."""
    nest = LoopNest(G=1, N=1, K=k, C=c, P=p, Q=p, R=r, S=r, H=p + r - 1, W=p + r - 1)
    arch = make_arch(TINY_FPGA, **{"buffers": [
        {"name": "all", "holds": ["weights", "inputs", "outputs"], "capacity_kib": cap}]})
    hw = arch.hw
    array = fpga_array(nest, hw)
    try:
        mapping, counts = map_layer(nest, hw, array, DENSE, "latency")
    except InfeasibleHardwareError:
        return
    table = tile_table(nest, tuple(sorted(array.granule.items())), _key(arch), hw.burst_bytes,
                       (1.0, 1.0, 1.0))
    oi = ORDERS.index(mapping.order)
    idx = next(i for i in range(table.tiles.shape[1])
               if all(int(table.tiles[j, i]) == mapping.tile[d] for j, d in enumerate(TILED)))
    all_counts = mac_counts(hw, nest, array, DENSE, table_traffic(table))
    all_lat = latency_s(hw, all_counts)
    all_e = energy_breakdown_j(hw, all_counts, all_lat)
    lat = float(latency_s(hw, counts))
    assert lat == pytest.approx(float(all_lat[oi, idx]), rel=1e-12)
    e = energy_breakdown_j(hw, counts, lat)
    for name, v in e.items():
        col = float(np.broadcast_to(all_e[name], np.shape(all_lat))[oi, idx])
        assert float(v) == pytest.approx(col, rel=1e-12, abs=1e-30), name
    assert math.isclose(float(counts.dram_bytes), sum(mapping.dram_bytes.values()),
                        rel_tol=1e-12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(big=st.tuples(st.sampled_from([2.0, 4.0, 16.0, 64.0]), st.sampled_from([1.0, 2.0, 8.0])),
       shrink=st.tuples(st.floats(0.05, 1.0), st.floats(0.05, 1.0)),
       double=st.booleans(), on_chip=st.sampled_from([frozenset(), frozenset({"inputs"})]),
       out_size=st.sampled_from([1.0, 0.37]))
def test_a_table_taken_from_larger_buffers_equals_one_built(big, shrink, double, on_chip,
                                                            out_size):
    """Tables for smaller buffers are cut from a cached table for larger ones (tile_table):
    the same candidates in the same order with the same numbers, to the last bit, as a table
    built for them, and the same refusal when nothing fits."""
    import dataclasses

    from hwsim.model.mapper import _build_table, clear_caches

    nest = dataclasses.replace(CONV, on_chip=on_chip)

    def key(a: float, b: float) -> tuple[tuple[str, tuple[str, ...], float, bool], ...]:
        return (("wi", ("weights", "inputs"), a * 1024, double),
                ("o", ("outputs",), b * 1024, double))

    sizes = (1.0, 0.5, out_size)  # results written compressed (out_size < 1) or dense
    clear_caches()
    tile_table(nest, (("K", 4),), key(*big), 8, sizes)  # the larger one, kept
    small = key(big[0] * shrink[0], big[1] * shrink[1])
    try:
        built = _build_table(nest, (("K", 4),), small, 8, sizes)
    except InfeasibleHardwareError as exc:
        with pytest.raises(InfeasibleHardwareError, match=str(exc)[:40]):
            tile_table(nest, (("K", 4),), small, 8, sizes)
        return
    cut = tile_table(nest, (("K", 4),), small, 8, sizes)
    for f in ("tiles", "useful", "moved", "spill", "tile_bytes", "transfers", "passes"):
        assert np.array_equal(getattr(cut, f), getattr(built, f)), f
    assert cut.exposed == built.exposed
    assert cut.exposed_transfers == built.exposed_transfers
    assert cut.coded == built.coded
    assert (cut.coded_moved is None) == (built.coded_moved is None) == (out_size == 1.0)
    if built.coded_moved is not None:
        assert np.array_equal(cut.coded_moved, built.coded_moved)


def test_no_fitting_tile_names_the_real_buffer_sizes():
    """The table is built with headroom (4x the buffers); when nothing fits even then, the
    error still names the buffers as configured."""
    from hwsim.model.mapper import clear_caches

    clear_caches()
    key = (("wi", ("weights", "inputs"), 10.0, True), ("o", ("outputs",), 64.0 * 1024, True))
    with pytest.raises(InfeasibleHardwareError, match=r"wi=0.00976562 KiB, o=64 KiB"):
        tile_table(CONV, (), key, 4, (1.0, 1.0, 1.0))
