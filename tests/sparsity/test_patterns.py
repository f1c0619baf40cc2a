"""Pattern families (hwsim.sparsity.patterns): each family's closed-form statistics against the
exact statistics of its own generated mask, the families without closed forms, the structure
flags targets read, and the cost of a gather from a banked scratchpad."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hwsim.sparsity import expected_max_bin_load, gather_cycles, nm_gather_conflicts
from hwsim.sparsity.patterns import (
    NM,
    Block,
    Channel,
    Dense,
    GatherScatter,
    MatrixShape,
    Nested,
    ShuffledBlock,
    SmallWorld,
    Unstructured,
)
from hwsim.sparsity.profile import SparsityProfile
from hwsim.sparsity.spec import Pattern, parse_sparsity

SHAPE = MatrixShape(256, 1152, 9)  # a 3x3 conv, 128 input -> 256 output channels
NMS = [(2, 4), (1, 4), (4, 8), (1, 2)]
LANES = [8, 16, 64]
# Tolerances of a closed form (an expectation) against one seeded 256 x 1152 mask.
DENSITY_ABS = 0.01  # fraction of nonzeros
OCC_ABS = 0.03  # fraction of occupied tiles
NM_ABS = 0.01  # fraction of conforming groups
IMB_REL = 0.05  # busiest lane over mean lane

TILES = [(1, 1), (4, 4), (16, 16), (1, 8), (64, 7), (8, 32)]
KERNEL_TILES = [(1, 9), (4, 18), (2, 27), (8, 72)]  # whole R x S kernels (rs = 9)

# (spec, tiles, segments): the closed forms hold for these; block imbalance assumes segments of
# whole blocks, kernel N:M occupancy tiles of whole kernels.
CLOSED = [
    (Dense(), TILES, [SHAPE.cols, 16]),
    (Unstructured(sparsity=0.75), TILES, [SHAPE.cols, 16, 72]),
    (Unstructured(sparsity=0.95, seed=3), TILES, [SHAPE.cols, 72]),
    (Block(sparsity=0.75, size=(4, 4)), TILES, [SHAPE.cols, 16, 64]),
    (Block(sparsity=0.5, size=(8, 1)), TILES, [SHAPE.cols, 16, 72]),
    (Block(sparsity=0.9, size=(1, 32)), TILES, [SHAPE.cols, 64]),
    (ShuffledBlock(sparsity=0.75, size=(32, 1)), TILES, [SHAPE.cols, 16, 72]),
    (NM(n=2, m=4), TILES, [SHAPE.cols, 16, 72]),
    (NM(n=1, m=4), TILES, [SHAPE.cols, 16]),
    (NM(n=4, m=8), TILES, [SHAPE.cols, 16]),
    (NM(n=2, m=4, granularity="kernel"), KERNEL_TILES, [SHAPE.cols, 72]),
    (GatherScatter(sparsity=0.9, group=16), TILES, [SHAPE.cols, 16, 72]),
    (GatherScatter(sparsity=0.75), TILES, [SHAPE.cols, 16]),
]


def _exact(spec: Pattern, mask: np.ndarray, shape: MatrixShape = SHAPE) -> SparsityProfile:
    """The profile of a mask: every statistic measured exactly."""
    return SparsityProfile(shape.rows, shape.cols, shape.rs, spec=spec, mask=mask,
                           from_mask=True)


@pytest.mark.parametrize(("spec", "tiles", "segs"), CLOSED, ids=[c[0].label for c in CLOSED])
def test_closed_forms_match_the_generated_mask(spec, tiles, segs):
    mask = spec.statistics_mask(SHAPE)
    exact = _exact(spec, mask)
    analytic = SparsityProfile(SHAPE.rows, SHAPE.cols, SHAPE.rs, spec=spec)
    d = spec.density(SHAPE)
    assert mask.mean() == pytest.approx(d, abs=DENSITY_ABS)
    assert analytic.weight_density == d
    for bh, bw in tiles:
        closed = spec.occupancy(SHAPE, bh, bw)
        assert closed is not None
        assert closed == pytest.approx(exact.occupancy(bh, bw), abs=OCC_ABS), (bh, bw)
        if d < 1.0:
            assert analytic.occupancy(bh, bw) == closed  # the profile dispatches to the family
    compared = 0
    for n, m in NMS:
        closed = spec.nm_conformance(SHAPE, n, m)
        if closed is None:  # no closed form: the profile measures the mask instead
            assert analytic.nm_conformance(n, m) == exact.nm_conformance(n, m)
            continue
        compared += 1
        assert closed == pytest.approx(exact.nm_conformance(n, m), abs=NM_ABS), (n, m)
    assert compared >= (0 if spec.pattern == "nm" and spec.granularity == "kernel" else 3)
    for lanes in LANES:
        for seg in segs:
            closed = spec.imbalance(SHAPE, lanes, seg)
            assert closed is not None
            assert closed == pytest.approx(exact.imbalance(lanes, seg), rel=IMB_REL), (lanes, seg)
    assert spec.locality() == 1.0


def test_channel_closed_forms():
    """Whole zero rows: checked on a tall matrix (the statistics are over rows). Imbalance is
    1.0 by construction: the graph transform removes pruned channels, kept rows are dense."""
    shape = MatrixShape(2048, 64)
    spec = Channel(sparsity=0.5)
    mask = spec.statistics_mask(shape)
    exact = _exact(spec, mask, shape)
    assert mask.mean() == pytest.approx(0.5, abs=DENSITY_ABS)
    assert (mask.all(axis=1) | ~mask.any(axis=1)).all()  # rows are all kept or all pruned
    for bh, bw in [(1, 1), (2, 8), (4, 4), (8, 64)]:
        occ = spec.occupancy(shape, bh, bw)
        assert occ == pytest.approx(exact.occupancy(bh, bw), abs=OCC_ABS)
    for n, m in NMS:
        assert spec.nm_conformance(shape, n, m) == pytest.approx(exact.nm_conformance(n, m),
                                                                 abs=NM_ABS)
    assert spec.imbalance(shape, 16, 64) == 1.0


@pytest.mark.parametrize("spec", [SmallWorld(sparsity=0.9), SmallWorld(sparsity=0.75, rewire=0.5),
                                  Unstructured(sparsity=0.75, distribution="magnitude"),
                                  Nested(levels=[0.5, 0.75], base="block"),
                                  Nested(levels=[0.5, 0.9], base="channel")],
                         ids=lambda s: s.label)
def test_families_without_closed_forms_are_measured_on_their_mask(spec):
    assert spec.occupancy(SHAPE, 4, 4) is None
    assert spec.nm_conformance(SHAPE, 2, 4) is None
    assert spec.imbalance(SHAPE, 16, SHAPE.cols) is None
    analytic = SparsityProfile(SHAPE.rows, SHAPE.cols, SHAPE.rs, spec=spec)
    exact = _exact(spec, spec.statistics_mask(SHAPE))
    assert analytic.weight_density == pytest.approx(exact.weight_density, abs=DENSITY_ABS)
    for bh, bw in TILES:
        assert analytic.occupancy(bh, bw) == exact.occupancy(bh, bw)
    for n, m in NMS:
        assert analytic.nm_conformance(n, m) == exact.nm_conformance(n, m)
    for lanes in LANES:
        assert analytic.imbalance(lanes) == exact.imbalance(lanes)


def test_small_world_is_local_and_random_wiring_is_not():
    sw = SmallWorld(sparsity=0.9, rewire=0.1)
    assert sw.locality() is None
    assert SparsityProfile(SHAPE.rows, SHAPE.cols, spec=sw).locality() < 0.5
    rnd = Unstructured(sparsity=0.9)
    assert rnd.locality() == 1.0
    measured = _exact(rnd, rnd.mask(SHAPE)).locality()
    assert measured == pytest.approx(1.0, abs=0.02)  # random wiring spans 1/4 of the ring


def test_nested_levels_nest_and_hit_their_densities():
    spec = Nested(levels=[0.5, 0.75, 0.9], base="block", size=(4, 4))
    masks = [spec.mask(SHAPE, level=i) for i in range(3)]
    for i, (level, m) in enumerate(zip(spec.levels, masks)):
        assert m.mean() == pytest.approx(1.0 - level, abs=DENSITY_ABS)
        assert m.mean() == pytest.approx(spec.level(i).weight_density, abs=DENSITY_ABS)
    assert not (masks[1] & ~masks[0]).any() and not (masks[2] & ~masks[1]).any()


def test_shuffled_block_stores_a_row_permutation_of_its_blocks():
    spec = ShuffledBlock(sparsity=0.75, size=(32, 1))
    stored, seen = spec.mask(SHAPE), spec.statistics_mask(SHAPE)
    assert not np.array_equal(stored, seen)
    rows = sorted(bytes(r) for r in np.packbits(stored, axis=1))
    assert rows == sorted(bytes(r) for r in np.packbits(seen, axis=1))


def test_gather_scatter_rows_are_balanced_over_banks():
    spec = GatherScatter(sparsity=0.9, group=16)
    mask = spec.mask(SHAPE)
    per_row = mask.sum(axis=1)
    assert (per_row == per_row[0]).all()
    per_bank = mask.reshape(SHAPE.rows, -1, 16).sum(axis=1)  # bank of column c = c mod 16
    assert (per_bank.max(axis=1) - per_bank.min(axis=1) <= 1).all()


# ---- structure targets read ------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "block", "permuted", "balanced", "group"),
    [("dense", None, False, False, 4), ("unstructured:sparsity=0.5", None, False, False, 4),
     ("channel:sparsity=0.5", None, False, False, 4),
     ("block:size=8x4,sparsity=0.5", (8, 4), False, False, 4),
     ("shuffled_block:size=32x1,sparsity=0.5", (32, 1), True, False, 4),
     ("nm:n=4,m=8", None, False, False, 8), ("gs:sparsity=0.9", None, False, True, 4),
     ("small_world:sparsity=0.9", None, False, False, 4),
     ("nested:levels=[0.5,0.75],base=block", None, False, False, 4)],
)
def test_structure_flags(text, block, permuted, balanced, group):
    spec = parse_sparsity(text)
    p = SparsityProfile(64, 576, 9, spec=spec)
    assert (p.block_size, p.permuted_rows, p.balanced_rows) == (block, permuted, balanced)
    assert spec.nm_group == group


# ---- gathers from a banked scratchpad --------------------------------------------------------

ALL = [Dense(), Unstructured(sparsity=0.9), Unstructured(sparsity=0.9, distribution="magnitude"),
       Channel(sparsity=0.5), Block(sparsity=0.75, size=(4, 4)), Block(sparsity=0.9, size=(1, 32)),
       ShuffledBlock(sparsity=0.75), NM(n=2, m=4), NM(n=1, m=4, granularity="kernel"),
       GatherScatter(sparsity=0.9), GatherScatter(sparsity=0.9, group=16),
       SmallWorld(sparsity=0.9), Nested(levels=[0.5, 0.75])]
GATHERS = [(8, 32), (16, 32), (32, 32), (64, 32), (16, 16)]


@pytest.mark.parametrize("spec", ALL, ids=lambda s: s.label)
def test_gather_cycles_at_least_one_and_profile_dispatches(spec):
    p = SparsityProfile(64, 576, 9, spec=spec)
    for lanes, banks in GATHERS:
        cycles = gather_cycles(p, lanes, banks)
        assert cycles >= 1.0
        assert cycles == p.gather_cycles(lanes, banks) == spec.gather_cycles(lanes, banks)


@pytest.mark.parametrize("spec", [Dense(), GatherScatter(sparsity=0.9),
                                  GatherScatter(sparsity=0.9, group=16), Channel(sparsity=0.5)],
                         ids=lambda s: s.label)
def test_dense_and_balanced_rows_gather_without_conflicts(spec):
    p = SparsityProfile(64, 576, 9, spec=spec)
    for lanes, banks in GATHERS:
        assert gather_cycles(p, lanes, banks) == max(1.0, lanes / banks)
    assert gather_cycles(p, 32, 32) == 1.0


def test_no_profile_is_dense():
    for lanes, banks in GATHERS:
        assert gather_cycles(None, lanes, banks) == max(1.0, lanes / banks)


def test_unstructured_gathers_conflict_more_with_more_lanes():
    p = SparsityProfile(64, 576, 9, spec=Unstructured(sparsity=0.9))
    cycles = [gather_cycles(p, lanes, 32) for lanes in (8, 16, 32, 64)]
    assert all(a < b for a, b in itertools.pairwise(cycles))
    assert cycles[2] > 2.0  # 32 random columns in 32 banks: E[busiest bank] ~ 3.5
    # Structure helps: consecutive columns (N:M groups, 4-wide blocks) collide less.
    nm = SparsityProfile(64, 576, 9, spec=NM(n=2, m=4))
    blk = SparsityProfile(64, 576, 9, spec=Block(sparsity=0.75, size=(4, 4)))
    assert 1.0 <= gather_cycles(nm, 32, 32) < cycles[2]
    assert 1.0 <= gather_cycles(blk, 32, 32) < cycles[2]
    row = SparsityProfile(64, 576, 9, spec=Block(sparsity=0.9, size=(1, 32)))
    assert gather_cycles(row, 32, 32) == 1.0  # one 32-wide block: 32 distinct banks


def test_bank_load_helpers_against_simulation():
    rng = np.random.default_rng(7)
    draws = 20000
    for balls, bins in [(32, 32), (16, 32), (8, 4)]:
        bank = rng.integers(0, bins, (draws, balls))
        counts = np.zeros((draws, bins), dtype=np.int64)
        np.add.at(counts, (np.arange(draws)[:, None], bank), 1)
        assert expected_max_bin_load(balls, bins) == pytest.approx(counts.max(axis=1).mean(),
                                                                   rel=0.01)
    assert expected_max_bin_load(0, 8) == 0.0
    assert expected_max_bin_load(5, 1) == 5.0
    # n:m groups: 32 lanes of 2:4 span 64 consecutive columns = two rows of 32 banks.
    assert 1.0 < nm_gather_conflicts(2, 4, 32, 32) < expected_max_bin_load(32, 32)
    assert nm_gather_conflicts(4, 4, 32, 32) == 1.0  # dense groups: consecutive columns
