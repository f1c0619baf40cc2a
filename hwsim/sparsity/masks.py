"""Deterministic mask generation for every pattern (vectorised NumPy, seeded).

A weight mask is a boolean matrix (rows = output channels, cols = reduction C/G*R*S or
in_features). ``rs`` is the kernel size R*S, the unit of kernel-granularity patterns.
"""

from __future__ import annotations

import numpy as np

from hwsim.sparsity.spec import (
    NM,
    Block,
    Channel,
    Dense,
    GatherScatter,
    Nested,
    ShuffledBlock,
    SmallWorld,
    Unstructured,
)


def _keep_top(scores: np.ndarray, density: float) -> np.ndarray:
    """True for the round(density * size) highest scores (exact count)."""
    k = round(density * scores.size)
    mask = np.zeros(scores.size, dtype=bool)
    if k > 0:
        mask[np.argpartition(-scores.ravel(), k - 1)[:k]] = True
    return mask.reshape(scores.shape)


def _block_mask(rows: int, cols: int, bh: int, bw: int, density: float,
                rng: np.random.Generator) -> np.ndarray:
    br, bc = -(-rows // bh), -(-cols // bw)
    blocks = _keep_top(rng.random((br, bc)), density)
    return np.repeat(np.repeat(blocks, bh, axis=0), bw, axis=1)[:rows, :cols]


def _nm_mask(rows: int, cols: int, n: int, m: int, unit: int,
             rng: np.random.Generator) -> np.ndarray:
    """n of every m consecutive units (a unit = ``unit`` adjacent columns) in each row."""
    units = -(-cols // unit)
    groups = -(-units // m)
    scores = rng.random((rows, groups, m))
    rank = np.argsort(np.argsort(-scores, axis=2), axis=2)
    keep_units = (rank < n).reshape(rows, groups * m)[:, :units]
    return np.repeat(keep_units, unit, axis=1)[:, :cols]


def _gs_mask(rows: int, cols: int, density: float, group: int,
             rng: np.random.Generator) -> np.ndarray:
    """Each row keeps round(density * cols) nonzeros (at least one) spread over ``group`` banks
    (column c lives in bank c mod group) as evenly as possible: every bank holds the floor or
    the ceiling of the row's share, so a gather of the row never conflicts more than needed."""
    g = max(1, min(group, cols))
    per_bank = -(-cols // g)
    nnz = gs_row_nonzeros(density, cols)
    base, extra = divmod(nnz, g)
    # Which banks take one more: ``extra`` random banks per row.
    bank_rank = np.argsort(rng.random((rows, g)), axis=1).argsort(axis=1)
    k = base + (bank_rank < extra)  # (rows, g) nonzeros per bank
    scores = rng.random((rows, per_bank, g))
    # Positions beyond ``cols`` (padding of the last bank row) must never be chosen.
    pad = np.arange(per_bank * g).reshape(per_bank, g) >= cols
    scores[:, pad] = -1.0
    rank = np.argsort(np.argsort(-scores, axis=1), axis=1)
    keep = (rank < k[:, None, :]) & ~pad[None]
    return keep.reshape(rows, per_bank * g)[:, :cols]


def gs_row_nonzeros(density: float, cols: int) -> int:
    """Nonzeros a gather-scatter-balanced row keeps: round(density * cols), at least one."""
    return max(1, min(cols, round(density * cols)))


def _small_world_mask(rows: int, cols: int, density: float, rewire: float,
                      rng: np.random.Generator) -> np.ndarray:
    """Each output row connects to the k = density*cols columns nearest its own position on a
    ring (local clustering); each edge is rewired to a random column with probability
    ``rewire`` (Watts & Strogatz, Nature 1998). Every row keeps exactly k edges."""
    k = max(1, round(density * cols))
    centre = (np.arange(rows) + 0.5) * cols / rows
    offsets = np.arange(k) - (k - 1) / 2.0
    targets = np.floor(centre[:, None] + offsets[None, :]).astype(np.int64) % cols
    jump = rng.random((rows, k)) < rewire
    targets = np.where(jump, rng.integers(0, cols, (rows, k)), targets)
    mask = np.zeros((rows, cols), dtype=bool)
    mask[np.repeat(np.arange(rows), k), targets.ravel()] = True
    # Rewired edges that collided: top each row up to k from its free columns, nearest first.
    short = k - mask.sum(axis=1)
    for r in np.nonzero(short)[0]:
        free = np.nonzero(~mask[r])[0]
        dist = np.abs((free - centre[r] + cols / 2) % cols - cols / 2)
        mask[r, free[np.argsort(dist)[: short[r]]]] = True
    return mask


def generate_mask(spec: object, rows: int, cols: int, rs: int = 1, lanes: int = 16,
                  level: int = 0) -> np.ndarray:
    """The weight mask of ``spec`` for a rows x cols matrix (True = kept)."""
    rng = np.random.default_rng(getattr(spec, "seed", 0))
    if isinstance(spec, Dense):
        return np.ones((rows, cols), dtype=bool)
    if isinstance(spec, Unstructured):
        scores = rng.random((rows, cols))
        if spec.distribution == "magnitude":
            # |w| of Gaussian weights whose rows differ in scale (lognormal, sigma 0.2): the
            # global top-|w| keeps more of the important rows, as magnitude pruning does.
            scale = rng.lognormal(0.0, 0.2, size=(rows, 1))
            scores = np.abs(rng.standard_normal((rows, cols))) * scale
        return _keep_top(scores, spec.weight_density)
    if isinstance(spec, ShuffledBlock):
        mask = _block_mask(rows, cols, *spec.size, spec.weight_density, rng)
        return mask[rng.permutation(rows)]
    if isinstance(spec, Block):
        return _block_mask(rows, cols, *spec.size, spec.weight_density, rng)
    if isinstance(spec, NM):
        unit = rs if spec.granularity == "kernel" else 1
        return _nm_mask(rows, cols, spec.n, spec.m, unit, rng)
    if isinstance(spec, GatherScatter):
        return _gs_mask(rows, cols, spec.weight_density, spec.group or lanes, rng)
    if isinstance(spec, SmallWorld):
        return _small_world_mask(rows, cols, spec.weight_density, spec.rewire, rng)
    if isinstance(spec, Channel):
        keep = _keep_top(rng.random(rows), spec.weight_density)
        return np.repeat(keep[:, None], cols, axis=1)
    if isinstance(spec, Nested):
        return nested_masks(spec, rows, cols)[level]
    raise TypeError(f"no mask generator for {type(spec).__name__}")


def nested_masks(spec: Nested, rows: int, cols: int) -> list[np.ndarray]:
    """One mask per level, densest first; each is a subset of the previous one."""
    rng = np.random.default_rng(spec.seed)
    if spec.base == "block":
        bh, bw = spec.size
        br, bc = -(-rows // bh), -(-cols // bw)
        scores = rng.random((br, bc))
        out = []
        for s in spec.levels:
            b = _keep_top(scores, 1.0 - s)
            out.append(np.repeat(np.repeat(b, bh, 0), bw, 1)[:rows, :cols])
        return out
    if spec.base == "channel":
        scores = rng.random(rows)
        return [np.repeat(_keep_top(scores, 1.0 - s)[:, None], cols, 1) for s in spec.levels]
    scores = rng.random((rows, cols))
    return [_keep_top(scores, 1.0 - s) for s in spec.levels]
