"""Recognise the sparsity pattern of a real weight mask (pure NumPy).

A mask is viewed as the weight matrix hwsim uses everywhere: rows = output channels, columns =
the reduction (C/G * R * S for a conv, in_features for a linear), i.e. a PyTorch weight of shape
[out, in/groups, kh, kw] or [out, in] flattened after its first axis. N:M groups run along a row
over consecutive columns; blocks are (rows x columns) tiles of that matrix.

Checks, in order (the first that holds names the pattern):

1. ``dense``: no zero.
2. ``empty``: no nonzero at all.
3. ``channel``: some whole rows (filters) are zero and every other row is dense.
4. ``nm``: every group of m consecutive columns holds exactly n nonzeros (1:4, 2:4, 4:8 by
   default; the columns must be a multiple of m).
5. ``block``: the mask is a union of whole (bh x bw) tiles (edge tiles clipped), for the largest
   tile area among the candidates (16x16, 8x8, 4x4, 32x1, 1x32 by default).
6. ``unstructured``: anything else.

Whatever the pattern, ``Recognition.conforms_to`` lists the N:M constraints the mask satisfies
(at most n nonzeros per group), which is what a sparse tensor core checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hwsim.sparsity.spec import NM, Block, Pattern, Unstructured

#: N:M candidates, tightest first (a 1:4 mask also satisfies 2:4).
NM_CANDIDATES: tuple[tuple[int, int], ...] = ((1, 4), (2, 4), (4, 8))
#: Block (rows x columns) candidates; the largest area that fits wins.
BLOCK_SIZES: tuple[tuple[int, int], ...] = ((16, 16), (8, 8), (4, 4), (32, 1), (1, 32))


def weight_matrix(mask: np.ndarray) -> np.ndarray:
    """The boolean (rows x columns) matrix of a mask shaped like a PyTorch weight."""
    m = np.asarray(mask) != 0
    if m.ndim == 0:
        raise ValueError("a weight mask needs at least one dimension")
    return m.reshape(m.shape[0], -1) if m.ndim > 1 else m.reshape(1, -1)


def zero_rows(mask: np.ndarray) -> np.ndarray:
    """Indices of all-zero rows (pruned filters / output features)."""
    return np.flatnonzero(~weight_matrix(mask).any(axis=1))


def nm_counts(mat: np.ndarray, m: int) -> np.ndarray | None:
    """Nonzeros per group of ``m`` consecutive columns, shape (rows, cols/m); None when the
    columns are not a multiple of m."""
    r, c = mat.shape
    if c % m:
        return None
    return mat.reshape(r, c // m, m).sum(axis=2)


def conforms_nm(mask: np.ndarray, n: int, m: int) -> bool:
    """At most ``n`` nonzeros in every group of ``m`` consecutive columns (last group padded)."""
    mat = weight_matrix(mask)
    r, c = mat.shape
    pc = -(-c // m) * m
    padded = np.zeros((r, pc), dtype=bool)
    padded[:, :c] = mat
    return bool((padded.reshape(r, pc // m, m).sum(axis=2) <= n).all())


def is_exact_nm(mask: np.ndarray, n: int, m: int) -> bool:
    """Exactly ``n`` nonzeros in every group of ``m`` consecutive columns."""
    counts = nm_counts(weight_matrix(mask), m)
    return counts is not None and bool((counts == n).all())


def is_block(mask: np.ndarray, bh: int, bw: int) -> bool:
    """Whether the mask is a union of whole (bh x bw) tiles (tiles at the edges are clipped)."""
    mat = weight_matrix(mask)
    r, c = mat.shape
    pr, pc = -(-r // bh) * bh, -(-c // bw) * bw
    kept = np.zeros((pr, pc), dtype=bool)
    kept[:r, :c] = mat
    valid = np.zeros((pr, pc), dtype=bool)
    valid[:r, :c] = True
    tiles_k = kept.reshape(pr // bh, bh, pc // bw, bw).sum(axis=(1, 3))
    tiles_v = valid.reshape(pr // bh, bh, pc // bw, bw).sum(axis=(1, 3))
    return bool(((tiles_k == 0) | (tiles_k == tiles_v)).all())


@dataclass(frozen=True)
class Recognition:
    """What a mask looks like: its pattern, the spec to store on the layer, and statistics."""

    pattern: str  # dense | empty | channel | nm | block | unstructured
    spec: Pattern | None  # NM / Block / Unstructured spec (None when dense or empty)
    rows: int
    cols: int
    density: float  # fraction of nonzero weights
    zero_rows: int  # all-zero output channels
    conforms_to: tuple[tuple[int, int], ...] = field(default=())

    @property
    def label(self) -> str:
        """Short text, e.g. '2:4', 'block 4x4 75%', 'channel 25% (4 of 16 rows)'."""
        if self.pattern == "dense":
            return "dense"
        if self.pattern == "empty":
            return "empty (all zero)"
        if self.pattern == "channel":
            return f"channel {1 - self.density:.0%} ({self.zero_rows} of {self.rows} rows zero)"
        return self.spec.label if self.spec is not None else self.pattern


def recognise(
    mask: np.ndarray,
    nm_candidates: tuple[tuple[int, int], ...] = NM_CANDIDATES,
    block_sizes: tuple[tuple[int, int], ...] = BLOCK_SIZES,
) -> Recognition:
    """Recognise the pattern of a weight mask (see the module docstring for the rules).

    For ``channel`` the stored spec is ``Block(size=(1, cols))``: whole zero rows, which a
    layer that keeps its zero filters in place has (hwsim's ``Channel`` spec would instead
    shrink the layer, which an imported layer has already had done, or could not have).
    """
    mat = weight_matrix(mask)
    rows, cols = mat.shape
    nnz = int(mat.sum())
    density = nnz / mat.size
    zr = int((~mat.any(axis=1)).sum())
    conf = tuple((n, m) for n, m in nm_candidates if conforms_nm(mat, n, m))

    def result(pattern: str, spec: Pattern | None) -> Recognition:
        return Recognition(pattern, spec, rows, cols, density, zr, conf)

    if nnz == mat.size:
        return result("dense", None)
    if nnz == 0:
        return result("empty", None)
    sparsity = 1.0 - density
    if zr and mat[mat.any(axis=1)].all():
        return result("channel", Block(size=(1, cols), sparsity=sparsity))
    for n, m in nm_candidates:
        if is_exact_nm(mat, n, m):
            return result("nm", NM(n=n, m=m))
    fits = [(bh, bw) for bh, bw in block_sizes
            if (bh > 1 or bw > 1) and bh <= rows and bw <= cols and is_block(mat, bh, bw)]
    if fits:
        best = max(fits, key=lambda s: s[0] * s[1])  # max keeps the first of equal areas
        return result("block", Block(size=best, sparsity=sparsity))
    return result("unstructured", Unstructured(sparsity=sparsity))
