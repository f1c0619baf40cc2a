"""DRAM-level tiling search: tile sizes for N, K, C, P, Q (R, S kept whole) and a loop order.

With three operands, the loop order matters only through which tile loop is innermost
(Pellauer et al. call the resulting reuse "stationarity"):
  * output stationary (C innermost): outputs written once; weights re-read per spatial tile,
    inputs per K tile;
  * weight stationary (N/P/Q innermost): weights read once; inputs re-read per K tile;
    partial sums spilled and re-read per extra C tile;
  * input stationary (K innermost): inputs read once; weights re-read per spatial tile;
    partial sums spilled per extra C tile.
Every candidate (tile sizes x order) is evaluated at once with NumPy; the ones whose tiles do not
fit a buffer (half of it when double-buffered) are discarded and the best by the objective kept.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from hwsim.arch.hardware import OPERANDS, Hardware
from hwsim.errors import InfeasibleHardwareError
from hwsim.model.accounting import Counts, energy_breakdown_j, latency_s, score, secondary
from hwsim.model.array import ArrayCost
from hwsim.model.counts import Traffic, mac_counts
from hwsim.model.dram import burst_efficiency
from hwsim.model.loopnest import LoopNest
from hwsim.model.memo import ByteLRU, byte_lru
from hwsim.model.sparse import SparseEffect

ORDERS = ("output_stationary", "weight_stationary", "input_stationary")
TILED = ("N", "K", "C", "P", "Q")
#: Candidates whose objective is within this fraction of the best count as ties and are decided
#: by the secondary objective (energy for latency and EDP, latency for energy): a compute-bound
#: layer hides any tiling, and a port- or DRAM-bound one may differ by a fraction of a percent
#: between tilings of very different traffic. Half a percent is far below the model's own
#: error against silicon (docs/architecture.md), so it buys no real speed at twice the bytes.
TIE_TOLERANCE = 5e-3
#: Orders that spill partial sums to DRAM (weight and input stationary), as 0/1 per ORDERS entry.
_SPILLING = np.array([0.0, 1.0, 1.0])
_STEPS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024)


@lru_cache(maxsize=4096)
def candidates(extent: int, granule: int = 1, max_count: int = 9) -> np.ndarray:
    """Tile sizes to try for a dimension: multiples of ``granule`` (the array's unrolling, so
    tiling never adds ceil waste) on a geometric ladder, plus the whole extent (read-only:
    shared through the cache)."""
    g = max(1, min(granule, extent))
    top = math.ceil(extent / g)
    steps = [s for s in _STEPS if s < top]
    if len(steps) > max_count - 1:
        # Evenly spread indices, duplicates dropped (they come sorted; dict.fromkeys rather
        # than np.unique, whose first call imports numpy.ma, ~15 ms of every cold start).
        spread = np.round(np.linspace(0, len(steps) - 1, max_count - 1)).astype(int)
        steps = [steps[i] for i in dict.fromkeys(spread.tolist())]
    vals = sorted({min(s * g, extent) for s in steps} | {extent})
    out = np.array(vals, dtype=np.int64)
    out.flags.writeable = False
    return out


@dataclass(frozen=True)
class Mapping:
    """The chosen DRAM-level tiling and the traffic it implies (bytes, whole layer)."""

    tile: dict[str, int]
    order: str
    dram_bytes: dict[str, float]  # moved, burst-rounded, per operand (outputs incl. psum spills)
    dram_useful_bytes: dict[str, float]  # before burst rounding
    exposed_bytes: float  # first tiles in and last tile out, which double-buffering cannot hide
    buffer_fill_bytes: dict[str, float]  # bytes written into each operand's buffer from DRAM
    tile_bytes: dict[str, float]
    candidates: int  # how many feasible candidates were compared


def _extent(t: np.ndarray, stride: int, dil: int, k: int, full: int) -> np.ndarray:
    """Input rows touched by ``t`` output rows."""
    return np.minimum((t - 1) * stride + (k - 1) * dil + 1, full)


def _sum_extent(total: int, t: np.ndarray, stride: int, dil: int, k: int, full: int) -> np.ndarray:
    """Input rows read over all tiles of one dimension (halo overlap read again per tile)."""
    whole = total // t
    rem = total - whole * t
    rows = whole * _extent(t, stride, dil, k, full)
    return rows + np.where(rem > 0, _extent(np.maximum(rem, 1), stride, dil, k, full), 0)


@dataclass(frozen=True)
class TileTable:
    """Every feasible tiling of one layer on one memory system, with the traffic it implies.

    It depends only on the loop nest, the tile granularity, the global buffers, the DRAM burst
    size and the sparsity scaling, not on bandwidths, clocks or energies: design sweeps that
    vary those reuse it (see ``tile_table``)."""

    tiles: np.ndarray  # (5, M) tile sizes of N, K, C, P, Q per feasible candidate
    useful: np.ndarray  # (order, operand, M) bytes before burst rounding
    moved: np.ndarray  # (order, operand, M) bytes moved
    spill: np.ndarray  # (M,) partial-sum spill bytes (read + write) in the spilling orders
    tile_bytes: np.ndarray  # (operand, M) footprints in their buffers
    transfers: np.ndarray  # (order, M) tiles moved to or from DRAM, all operands
    passes: np.ndarray  # (M,) pipelined passes of the array over its tiles
    exposed: float  # smallest feasible first-tiles-in + last-tile-out bytes (0 if no overlap)
    exposed_transfers: float  # the tile transfers among those (0 if no overlap)
    coded: float = 0.0  # useful bytes of results in an output format (0: written dense)
    coded_moved: np.ndarray | None = None  # (M,) those bytes as moved (None: written dense)
    out_size: float = 1.0  # the results' stored size relative to dense (an output format)


BufferKey = tuple[tuple[str, tuple[str, ...], float, bool], ...]


#: Memory the tile tables of one process may hold (hwsim.model.memo): about 80 tables of
#: ResNet-class layers (3,000 candidates, ~0.6 MB each), three arrays of ResNet-50; a sweep
#: meets its points in order, so those sharing tables come together.
TABLE_CACHE_BYTES = 48 << 20


def _table_bytes(table: TileTable) -> int:
    coded = table.coded_moved.nbytes if table.coded_moved is not None else 0
    return int(table.tiles.nbytes + table.useful.nbytes + table.moved.nbytes
               + table.spill.nbytes + table.tile_bytes.nbytes + table.transfers.nbytes
               + table.passes.nbytes + coded)


#: Memory for the tables kept to serve smaller buffers (see ``tile_table``).
SUPERSET_CACHE_BYTES = 32 << 20
#: Such a table is built for buffers this many times larger than the first request: on
#: ResNet-50 layers it holds about 1.3x the candidates (and costs no more to build), and the
#: buffers of a sweep up to 4x larger are then cut from it rather than built.
SUPERSET_HEADROOM = 4.0
_SUPERSETS: ByteLRU[tuple[tuple[float, ...], TileTable]] = ByteLRU(SUPERSET_CACHE_BYTES)


@byte_lru(TABLE_CACHE_BYTES, _table_bytes)
def tile_table(nest: LoopNest, granule: tuple[tuple[str, int], ...], buffers: BufferKey,
               burst: int, size: tuple[float, float, float]) -> TileTable:
    """All feasible tilings of ``nest`` (pure; cached across evaluations of a sweep).

    A candidate's traffic does not depend on the buffer capacities, only whether it fits: a
    table built for larger buffers (same operands in the same buffers) holds every candidate
    of smaller ones, in the same order, so each table is cut from one built for larger
    buffers (SUPERSET_HEADROOM) and a sweep over buffer sizes builds each layer's table about
    once. The cut is exactly the table a build would give (tests/model/test_mapper.py)."""
    layout = (nest, granule, tuple((n, h, d) for n, h, _, d in buffers), burst, size)
    caps = tuple(cap for _, _, cap, _ in buffers)
    held = _SUPERSETS.get(layout)
    if held is None or not all(c <= h for c, h in zip(caps, held[0], strict=True)):
        # Built with headroom, so that the next few larger buffers are cut from it too.
        roomy = tuple(c * SUPERSET_HEADROOM for c in caps)
        if held is not None:
            roomy = tuple(max(r, h) for r, h in zip(roomy, held[0], strict=True))
        wide = tuple((n, h, r, d) for (n, h, _, d), r in zip(buffers, roomy, strict=True))
        try:
            held = (roomy, _build_table(nest, granule, wide, burst, size))
        except InfeasibleHardwareError:  # not even with headroom: say why with the real sizes
            return _build_table(nest, granule, buffers, burst, size)
        _SUPERSETS.put(layout, held, _table_bytes(held[1]))
    sub = _fitting(held[1], nest, buffers)
    # Nothing fits: the build for these buffers raises the error that says why.
    return sub if sub is not None else _build_table(nest, granule, buffers, burst, size)


def _fitting(table: TileTable, nest: LoopNest, buffers: BufferKey) -> TileTable | None:
    """The candidates of ``table`` that fit ``buffers`` (None if none does: the caller builds
    the table, which says why), by the very tests and sums a build makes."""
    footprint = dict(zip(OPERANDS, table.tile_bytes, strict=True))
    fits = np.ones(table.tile_bytes.shape[1], dtype=bool)
    for _name, holds, cap_bytes, double in buffers:
        need = sum(footprint[op] for op in holds)
        fits &= need <= cap_bytes * (0.5 if double else 1.0)
    if not fits.any():
        return None
    tile_w, tile_i, tile_o = (t[fits] for t in table.tile_bytes)
    exposed = 0.0
    overlap = all(double for *_, double in buffers)
    if overlap:
        exposed = float(_exposed(tile_w, tile_i, tile_o, nest, table.out_size).min())
    parts = (table.tiles[:, fits], table.useful[:, :, fits], table.moved[:, :, fits],
             table.spill[fits], np.stack([tile_w, tile_i, tile_o]), table.transfers[:, fits],
             table.passes[fits])
    coded = table.coded_moved[fits] if table.coded_moved is not None else None
    for a in (*parts, *([] if coded is None else [coded])):
        a.flags.writeable = False  # shared through the cache
    return TileTable(*parts, exposed, _exposed_transfers(nest, overlap), table.coded, coded,
                     table.out_size)


def _exposed(tile_w: np.ndarray, tile_i: np.ndarray, tile_o: np.ndarray,
             nest: LoopNest, out_size: float) -> np.ndarray:
    """Bytes of each candidate's first tiles in and last tile out, which double-buffering
    cannot hide (operands a declared fusion keeps on chip never move; the last results go out
    at their ``out_size`` in an output format)."""
    off = {op: 0.0 if op in nest.on_chip else 1.0 for op in OPERANDS}
    o_b = tile_o * nest.elem_bytes / nest.psum_bytes
    if out_size != 1.0:
        o_b = o_b * out_size
    return tile_w * off["weights"] + tile_i * off["inputs"] + o_b * off["outputs"]


def _exposed_transfers(nest: LoopNest, overlap: bool) -> float:
    """Tile transfers double-buffering cannot hide: the first weight and input tiles in and the
    last output tile out (those of operands that move at all); none without overlap."""
    return float(sum(op not in nest.on_chip for op in OPERANDS)) if overlap else 0.0


def _build_table(nest: LoopNest, granule: tuple[tuple[str, int], ...], buffers: BufferKey,
                 burst: int, size: tuple[float, float, float]) -> TileTable:
    """Every feasible tiling of ``nest`` and its traffic, computed.

    Footprints are computed on the tile axes broadcast against each other (a footprint
    depends on two to four of the five tiled dimensions), and only the feasible candidates,
    in the order of the full grid, are then costed."""
    gran = dict(granule)
    size_w, size_i, size_o = size
    eb, pb = nest.elem_bytes, nest.psum_bytes
    dims = nest.dims
    axes = [candidates(dims[d], gran.get(d, 1)).astype(float) for d in TILED]
    shape = tuple(len(a) for a in axes)
    bn, bk, bc, bp, bq = (a.reshape([len(a) if j == i else 1 for j in range(len(TILED))])
                          for i, a in enumerate(axes))
    N, K, C, P, Q, R, S = (dims[d] for d in "NKCPQRS")
    (sh, sw), (dh, dw) = nest.stride, nest.dilation

    # Tile footprints in their buffers (outputs held as partial sums), on the broadcast grid.
    grid = {"weights": bk * bc * R * S * eb * size_w,
            "inputs": bn * bc * _extent(bp, sh, dh, R, nest.H) * _extent(bq, sw, dw, S, nest.W)
            * eb * size_i,
            "outputs": bn * bk * bp * bq * pb}
    feasible = np.ones(shape, dtype=bool)
    for _name, holds, cap_bytes, double in buffers:
        need = sum(grid[op] for op in holds)
        feasible &= need <= cap_bytes * (0.5 if double else 1.0)
    if not feasible.any():
        smallest = {op: float(t.min()) for op, t in grid.items()}
        raise InfeasibleHardwareError(
            f"no tile of this layer fits the on-chip buffers: the smallest tiles need "
            f"{smallest['weights']:.0f} B of weights, {smallest['inputs']:.0f} B of inputs and "
            f"{smallest['outputs']:.0f} B of partial sums; buffers are "
            + ", ".join(f"{name}={cap / 1024:g} KiB" for name, _, cap, _ in buffers)
        )
    # Each quantity below depends on a few of the five tile sizes: it is computed on those
    # axes broadcast against each other (a few hundred values) and then taken at the feasible
    # candidates, in the order of the full grid.
    def take(a: np.ndarray) -> np.ndarray:
        return np.broadcast_to(a, shape)[feasible]

    tn, tk, tc, tp, tq = (take(a) for a in (bn, bk, bc, bp, bq))
    tile_w, tile_i, tile_o = (take(grid[op]) for op in OPERANDS)
    overlap = all(double for *_, double in buffers)
    # Operands a declared fusion keeps on chip occupy their buffer but never move to or from
    # DRAM (their producer or consumer works on the same tile).
    off = {op: 0.0 if op in nest.on_chip else 1.0 for op in OPERANDS}
    exposed = float(_exposed(tile_w, tile_i, tile_o, nest, size_o).min()) if overlap else 0.0
    tile_bytes = np.stack([tile_w, tile_i, tile_o])

    trips = {d: np.ceil(dims[d] / t) for d, t in zip(TILED, (bn, bk, bc, bp, bq))}
    G = nest.G
    hin = _extent(bp, sh, dh, R, nest.H)
    win = _extent(bq, sw, dw, S, nest.W)
    rows_total = _sum_extent(P, bp, sh, dh, R, nest.H)
    cols_total = _sum_extent(Q, bq, sw, dw, S, nest.W)
    w_once = G * K * C * R * S * eb * size_w
    i_once = take(G * N * C * rows_total * cols_total * eb * size_i)
    o_once = G * N * K * P * Q * eb * size_o  # results, in the output format
    spill = take(2.0 * (trips["C"] - 1.0) * G * N * K * P * Q * pb * off["outputs"])
    x_trips = take(trips["N"] * trips["P"] * trips["Q"])
    k_trips = take(trips["K"])
    c_trips = take(trips["C"])

    # Contiguous runs (layouts KCRS and NCHW) decide burst efficiency.
    run_w = np.where(bc < C, bc * R * S * eb, bk * C * R * S * eb) * size_w
    run_i = np.where(win < nest.W, win * eb,
                     np.where(hin < nest.H, hin * nest.W * eb, bc * nest.H * nest.W * eb))
    run_i = run_i * size_i
    run_o = np.where(bq < Q, bq * eb, np.where(bp < P, bp * Q * eb, bk * P * Q * eb))
    m = len(tn)
    effs = np.empty((len(OPERANDS), m))
    for j, run in enumerate((run_w, run_i, run_o)):
        effs[j] = take(np.asarray(burst_efficiency(run, burst)))
    # (order, operand, candidate): output, weight and input stationary (module docstring)
    useful = np.empty((len(ORDERS), len(OPERANDS), m))
    useful[0, 0], useful[0, 1], useful[0, 2] = w_once * x_trips, i_once * k_trips, o_once
    useful[1, 0], useful[1, 1], useful[1, 2] = w_once, i_once * k_trips, o_once + spill
    useful[2, 0], useful[2, 1], useful[2, 2] = w_once * x_trips, i_once, o_once + spill
    useful *= np.array([off[op] for op in OPERANDS])[None, :, None]
    moved = useful / effs[None]
    coded_moved = None
    if size_o != 1.0 and "outputs" not in nest.on_chip:
        # Results in an output format come in shorter runs than the partial sums that spill
        # (their runs uncompressed, at the efficiency above): their bytes at their own.
        coded_eff = take(np.asarray(burst_efficiency(run_o * size_o, burst)))
        moved[:, 2] += o_once * (1.0 / coded_eff - 1.0 / effs[2])
        coded_moved = o_once / coded_eff
    # Tiles moved, per order as the bytes above: a tile loop re-loads an operand's tile each
    # time an index it depends on changes; spilled partial sums go out and come back in.
    every = G * x_trips * k_trips * c_trips
    outs = G * x_trips * k_trips
    spilled = outs * (2.0 * c_trips - 1.0)
    moves = np.empty((len(ORDERS), len(OPERANDS), m))
    moves[0, 0], moves[0, 1], moves[0, 2] = every, every, outs
    moves[1, 0], moves[1, 1], moves[1, 2] = G * k_trips * c_trips, every, spilled
    moves[2, 0], moves[2, 1], moves[2, 2] = every, G * x_trips * c_trips, spilled
    transfers = (moves * np.array([off[op] for op in OPERANDS])[None, :, None]).sum(axis=1)
    # The array's pipelined passes (Zhang FPGA'15's tiles): one per block of the unrolled
    # channel dimensions (a channel dimension not unrolled: per channel) and per tile of the
    # streamed dimensions: the images (or tokens) of an N tile and the rows and columns of a
    # spatial tile (with the kernel window) stream through one pass. A Linear layer's tokens
    # are its N: one pass per token would pay the fill for every single-cycle token.
    channels = math.prod(math.ceil(dims[d] / gran.get(d, 1)) for d in ("K", "C"))
    passes = take(G * channels * trips["N"] * trips["P"] * trips["Q"])
    for a in (useful, moved, spill, tile_bytes, transfers, passes,
              *([] if coded_moved is None else [coded_moved])):
        a.flags.writeable = False  # shared through the cache
    return TileTable(np.stack([tn, tk, tc, tp, tq]), useful, moved, spill, tile_bytes,
                     transfers, passes, exposed, _exposed_transfers(nest, overlap),
                     o_once if coded_moved is not None else 0.0, coded_moved, size_o)


def _buffers_key(hw: Hardware) -> BufferKey:
    return tuple((lv.name, lv.holds, lv.capacity_bytes, lv.double_buffered)
                 for lv in hw.levels)


def table_traffic(table: TileTable) -> Traffic:
    """Every candidate's DRAM traffic, arrays of shape (order, candidate)."""
    spill_fill = _SPILLING[:, None] * table.spill[None, :] / 2.0
    return Traffic(
        moved={op: table.moved[:, j, :] for j, op in enumerate(OPERANDS)},
        useful={op: table.useful[:, j, :] for j, op in enumerate(OPERANDS)},
        fill={"weights": table.useful[:, 0, :], "inputs": table.useful[:, 1, :],
              "outputs": spill_fill},
        exposed=table.exposed,
        transfers=table.transfers,
        exposed_transfers=table.exposed_transfers,
        passes=table.passes,
        coded=table.coded,
        coded_moved=table.coded_moved if table.coded_moved is not None else 0.0,
    )


#: Memory the candidates' counts of one process may hold: they depend on the table, the array's
#: activity and the sparsity, not on bandwidths, clocks or energies, so a sweep over those
#: reuses them (hwsim.model.memo).
COUNTS_CACHE_BYTES = 48 << 20
_COUNTS: ByteLRU[Counts] = ByteLRU(COUNTS_CACHE_BYTES)


def _counts_bytes(c: Counts) -> int:
    values = [c.compute_cycles, c.dram_bytes, c.dram_meta_bytes, c.dram_write_bytes, c.mac_ops,
              c.rf_bytes, c.hop_bits, c.exposed_bytes, c.dram_transfers,
              *c.buffer_read_bytes.values(), *c.buffer_write_bytes.values()]
    return int(sum(np.asarray(v).nbytes for v in values))


def _candidate_counts(key: tuple[Hashable, ...], table: TileTable, hw: Hardware,
                      nest: LoopNest, array: ArrayCost, eff: SparseEffect) -> Counts:
    """Every candidate's counts (``mac_counts`` on the whole table), memoised on what they
    depend on: the table, which buffer holds each operand, overlap, the array's activity and
    the sparsity effect."""
    full = (*key, tuple(hw.level_of(op).name for op in OPERANDS), hw.overlap,
            hw.pipeline_fill_cycles,
            array.cycles, array.macs, tuple(sorted(array.buffer_reads.items())),
            tuple(sorted(array.buffer_writes.items())), array.rf_accesses, array.hop_bits, eff)
    counts = _COUNTS.get(full)
    if counts is None:
        counts = mac_counts(hw, nest, array, eff, table_traffic(table))
        _COUNTS.put(full, counts, _counts_bytes(counts))
    return counts


def clear_caches() -> None:
    """Forget every memoised table, candidate ladder and count (a cold start, for
    benchmarks)."""
    tile_table.cache_clear()  # type: ignore[attr-defined]
    candidates.cache_clear()
    _SUPERSETS.clear()
    _COUNTS.clear()


def map_layer(nest: LoopNest, hw: Hardware, array: ArrayCost, eff: SparseEffect,
              objective: str = "latency") -> tuple[Mapping, Counts]:
    """Search tiles and order for ``nest`` on ``hw``; minimise latency, energy or EDP.

    Every candidate is costed with ``hwsim.model.accounting`` on the counts it implies (array
    activity included, so buffer ports and the array-side energy are seen), which is what the
    report then states for the one chosen. Returns the mapping and its counts.
    """
    sizes = eff.stored_sizes
    key = (nest, tuple(sorted(array.granule.items())), _buffers_key(hw), hw.burst_bytes, sizes)
    try:
        table = tile_table(*key)
    except InfeasibleHardwareError as exc:
        raise InfeasibleHardwareError(f"'{hw.name}': {exc}") from None
    counts = _candidate_counts(key, table, hw, nest, array, eff)
    lat = latency_s(hw, counts)
    energy = sum(energy_breakdown_j(hw, counts, lat).values())
    primary = np.broadcast_to(score(objective, lat, energy), table.moved[:, 0, :].shape)
    best = primary.min()
    near = primary <= best * (1 + TIE_TOLERANCE)
    tie_break = np.broadcast_to(secondary(objective, lat, energy), primary.shape)
    flat = int(np.argmin(np.where(near, tie_break, np.inf)))
    m = table.tiles.shape[1]
    oi, idx = divmod(flat, m)
    order = ORDERS[oi]
    useful_b = {op: float(table.useful[oi, j, idx]) for j, op in enumerate(OPERANDS)}
    moved_b = {op: float(table.moved[oi, j, idx]) for j, op in enumerate(OPERANDS)}
    tile = {d: int(table.tiles[i, idx]) for i, d in enumerate(TILED)}
    tile.update(R=nest.R, S=nest.S)
    fill = {"weights": useful_b["weights"], "inputs": useful_b["inputs"],
            "outputs": float(_SPILLING[oi] * table.spill[idx] / 2.0)}
    mapping = Mapping(
        tile=tile,
        order=order,
        dram_bytes=moved_b,
        dram_useful_bytes=useful_b,
        exposed_bytes=table.exposed,
        buffer_fill_bytes=fill,
        tile_bytes={op: float(table.tile_bytes[j, idx]) for j, op in enumerate(OPERANDS)},
        candidates=m * len(ORDERS),
    )
    chosen = mac_counts(hw, nest, array, eff, Traffic(
        moved_b, useful_b, fill, table.exposed, transfers=float(table.transfers[oi, idx]),
        exposed_transfers=table.exposed_transfers, passes=float(table.passes[idx]),
        coded=table.coded,
        coded_moved=float(table.coded_moved[idx]) if table.coded_moved is not None else 0.0))
    return mapping, chosen
