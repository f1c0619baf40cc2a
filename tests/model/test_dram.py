"""DRAM transfer time: reads and writes at their own sustained bandwidths where an arch says
so, against the STREAM kernels the GPU configs were derived from."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwsim.arch.hardware import resolve
from hwsim.arch.load import load_arch
from hwsim.model.dram import transfer_time_s


@pytest.fixture(scope="module")
def a100():
    return resolve(load_arch("a100_80gb"))


def _stream_tb_s(hw, reads: int, writes: int) -> float:
    """Sustained TB/s of a STREAM kernel moving ``reads`` + ``writes`` arrays of 1 GB."""
    moved = (reads + writes) * 1e9
    return moved / transfer_time_s(moved, hw, writes * 1e9) / 1e12


def test_stream_kernels_on_a100(a100):
    """Azure ND A100 v4: Dot (2 reads) 1.75 and Copy (1 read, 1 write) 1.61 TB/s set the read
    and write bandwidths; Triad and Add (2 reads, 1 write), 1.70 measured, are held out."""
    assert _stream_tb_s(a100, 2, 0) == pytest.approx(1.75, rel=0.002)
    assert _stream_tb_s(a100, 1, 1) == pytest.approx(1.61, rel=0.002)
    assert _stream_tb_s(a100, 2, 1) == pytest.approx(1.70, rel=0.03)


def test_stream_kernels_on_h100():
    """Azure ND H100 v5: Dot 3.18, Copy 2.90; Triad 2.97 held out."""
    h100 = resolve(load_arch("h100"))
    assert _stream_tb_s(h100, 2, 0) == pytest.approx(3.18, rel=0.002)
    assert _stream_tb_s(h100, 1, 1) == pytest.approx(2.90, rel=0.002)
    assert _stream_tb_s(h100, 2, 1) == pytest.approx(2.97, rel=0.01)


def test_symmetric_dram_ignores_the_split():
    """An arch without write_fraction moves every byte at one bandwidth."""
    gemmini = resolve(load_arch("gemmini"))
    assert gemmini.dram_write_bytes_per_s is None
    assert transfer_time_s(1e6, gemmini, 4e5) == transfer_time_s(1e6, gemmini)


@given(total=st.floats(0, 1e12), share=st.floats(0, 1))
def test_writes_never_move_faster_than_reads(total, share):
    hw = resolve(load_arch("a100_80gb"))
    t = transfer_time_s(total, hw, total * share)
    # within a few last-place roundings: the split sums two quotients
    lo, hi = transfer_time_s(total, hw), total / hw.dram_write_bytes_per_s
    assert lo * (1 - 1e-12) <= t <= hi * (1 + 1e-12) + 1e-12
