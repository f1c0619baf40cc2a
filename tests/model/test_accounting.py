"""The accounting on its own: hand-checked latency in both overlap regimes, every buffer touched
(read or written) counted, energy components adding up, the launch as a time term."""

from __future__ import annotations

import numpy as np
import pytest

from hwsim.model.accounting import (
    Counts,
    bound_of,
    energy_breakdown_j,
    latency_s,
    score,
    time_terms,
)
from tests.conftest import TINY_FPGA, make_arch


def _hw(double: bool, port: float | None = None):
    bufs = [dict(b, double_buffered=double) for b in TINY_FPGA["buffers"]]
    if port is not None:
        for b in bufs:
            b["bandwidth_bytes_per_cycle"] = port
    return make_arch(TINY_FPGA, buffers=bufs).hw


def test_latency_by_hand_overlapped_and_not():
    # 100 MHz, 1 GB/s DRAM, 0.5 B/cycle ports = 50 MB/s.
    c = dict(precision="int8", compute_cycles=1000.0, dram_bytes=20_000.0,
             buffer_read_bytes={"wbuf": 300.0}, buffer_write_bytes={"wbuf": 200.0},
             exposed_bytes=1000.0)
    hw = _hw(True, port=0.5)
    t = time_terms(hw, Counts(overlap=True, **c))
    assert t["compute"] == pytest.approx(10e-6) and t["dram"] == pytest.approx(20e-6)
    assert t["wbuf"] == pytest.approx(10e-6)  # 500 B at 50 MB/s
    assert latency_s(hw, Counts(overlap=True, **c)) == pytest.approx(20e-6 + 1e-6)
    # Without overlap DRAM adds to the slower of compute and ports; exposed is then moot.
    assert latency_s(hw, Counts(overlap=False, **c)) == pytest.approx(10e-6 + 20e-6)
    assert bound_of({k: float(v) for k, v in t.items()}) == "dram"


def test_write_only_buffer_costs_time_and_energy():
    hw = _hw(True, port=1.0)
    c = Counts(precision="int8", compute_cycles=1.0, overlap=True,
               buffer_write_bytes={"obuf": 1e6})
    assert time_terms(hw, c)["obuf"] == pytest.approx(1e6 / 1e8)
    e = energy_breakdown_j(hw, c, float(latency_s(hw, c)))
    assert e["obuf"] == pytest.approx(1e6 * 0.8e-12)  # 0.1 pJ/bit written


def test_launch_is_a_time_term_and_adds_once():
    hw = _hw(True)
    c = Counts(precision="int8", compute_cycles=100.0, overlap=True, fixed_s=4e-6)
    t = time_terms(hw, c)
    assert t["launch"] == 4e-6
    assert latency_s(hw, c) == pytest.approx(1e-6 + 4e-6)
    assert bound_of({k: float(v) for k, v in t.items()}) == "launch"


def test_energy_components_add_up_and_follow_the_counts():
    hw = _hw(False)
    c = Counts(precision="int8", compute_cycles=np.array([10.0, 20.0]), overlap=False,
               dram_bytes=np.array([100.0, 300.0]), dram_meta_bytes=np.array([10.0, 30.0]),
               buffer_read_bytes={"ibuf": 50.0}, mac_ops=1000.0, alu_ops=10.0, hop_bits=80.0)
    lat = latency_s(hw, c)
    e = energy_breakdown_j(hw, c, lat)
    assert np.allclose(e["mac"], 1000 * 1.0e-12)
    assert np.allclose(e["dram"], np.array([90.0, 270.0]) * 80e-12)
    assert np.allclose(e["metadata"], np.array([10.0, 30.0]) * 80e-12)
    assert np.allclose(e["static"], 0.001 * lat)
    total = sum(e.values())
    assert np.allclose(total, sum(np.broadcast_to(v, (2,)) for v in e.values()))
    assert np.all(score("edp", lat, total) == lat * total)
    with pytest.raises(ValueError, match="unknown objective"):
        score("speed", lat, total)
