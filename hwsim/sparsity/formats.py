"""Storage formats of a sparse matrix and what their metadata costs, in bits.

Formats (as Sparseloop names them, Wu et al. MICRO 2022): dense, bitmap, CSR, CSC, RLE, COO,
N:M indices, block-CSR. Values are stored at the element width; metadata widths follow from the
matrix shape (an index into c columns needs ceil(log2 c) bits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

#: Storage formats a tensor can be kept in (the arch's ``sparsity.weights.format`` choices).
Format = Literal["dense", "bitmap", "csr", "csc", "rle", "coo", "nm", "bcsr"]
FORMATS: tuple[str, ...] = get_args(Format)


def _bits(n: float) -> int:
    """Bits to index ``n`` distinct positions (at least 1)."""
    return max(1, math.ceil(math.log2(max(n, 2))))


@dataclass(frozen=True)
class MatrixStats:
    """What a format's size depends on: shape, nonzeros, and blocks occupied at the bcsr size."""

    rows: int
    cols: int
    nnz: float
    occupied_blocks: float = 0.0  # at (block_rows x block_cols)
    block: tuple[int, int] = (4, 4)
    nm_m: int = 4


def storage_bits(fmt: str, st: MatrixStats, value_bits: float, run_bits: int = 4
                 ) -> tuple[float, float]:
    """(value bits, metadata bits) to store the matrix in ``fmt``."""
    r, c, nnz = st.rows, st.cols, st.nnz
    if fmt == "dense":
        return r * c * value_bits, 0.0
    if fmt == "bitmap":
        return nnz * value_bits, float(r * c)
    if fmt == "csr":
        return nnz * value_bits, (r + 1) * _bits(nnz + 1) + nnz * _bits(c)
    if fmt == "csc":
        return nnz * value_bits, (c + 1) * _bits(nnz + 1) + nnz * _bits(r)
    if fmt == "coo":
        return nnz * value_bits, nnz * (_bits(r) + _bits(c))
    if fmt == "rle":
        # Each nonzero carries the zero run before it in run_bits; a run longer than
        # 2^run_bits - 1 needs a padding entry (a stored zero). With density d the gap before a
        # nonzero is geometric: E[pads] per nonzero = sum_k P(gap >= k * L) = q^L / (1 - q^L),
        # q = 1 - d, L = 2^run_bits.
        d = nnz / (r * c) if r * c else 0.0
        q = 1.0 - d
        L = 2 ** run_bits
        pads = nnz * (q**L / (1 - q**L)) if 0 < d < 1 else 0.0
        return (nnz + pads) * value_bits, (nnz + pads) * run_bits
    if fmt == "nm":
        # Position of each kept value inside its group of m (2 bits per value for 2:4, as in
        # NVIDIA's sparse tensor cores).
        return nnz * value_bits, nnz * _bits(st.nm_m)
    if fmt == "bcsr":
        bh, bw = st.block
        brows, bcols = math.ceil(r / bh), math.ceil(c / bw)
        nb = st.occupied_blocks
        return nb * bh * bw * value_bits, (brows + 1) * _bits(nb + 1) + nb * _bits(bcols)
    raise ValueError(f"unknown format {fmt}")


def size_factor(fmt: str, st: MatrixStats, value_bits: float, run_bits: int = 4) -> float:
    """Stored size (values + metadata) over the dense size."""
    v, m = storage_bits(fmt, st, value_bits, run_bits)
    return (v + m) / (st.rows * st.cols * value_bits)


def break_even_density(fmt: str, rows: int, cols: int, value_bits: float,
                       block: tuple[int, int] = (4, 4), run_bits: int = 4) -> float:
    """Density below which ``fmt`` (for i.i.d. unstructured zeros) is smaller than dense."""
    lo, hi = 0.0, 1.0
    if _factor_at(fmt, 1.0, rows, cols, value_bits, block, run_bits) < 1.0:
        return 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if _factor_at(fmt, mid, rows, cols, value_bits, block, run_bits) < 1.0:
            lo = mid
        else:
            hi = mid
    return lo


def _factor_at(fmt: str, d: float, rows: int, cols: int, value_bits: float,
               block: tuple[int, int], run_bits: int) -> float:
    nnz = d * rows * cols
    bh, bw = block
    occ = (1 - (1 - d) ** (bh * bw)) * math.ceil(rows / bh) * math.ceil(cols / bw)
    st = MatrixStats(rows, cols, nnz, occ, block)
    return size_factor(fmt, st, value_bits, run_bits)
