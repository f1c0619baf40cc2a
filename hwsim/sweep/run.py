"""Run a sweep: plan the missing points, evaluate chunks on an executor, store, compact.

Executors: ``local`` (``jobs == 1``: in this process; otherwise a process pool) and ``dask``
(a ``distributed.Client`` on a scheduler address, or a LocalCluster of ``jobs`` workers).
At most ``2 * workers`` chunks are in flight, so memory does not grow with the sweep.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from hwsim.errors import HwsimError
from hwsim.sweep.executors import EXECUTORS
from hwsim.sweep.grid import Point, grid_size, points
from hwsim.sweep.spec import Sweep
from hwsim.sweep.store import compact, done_ids, isin_sorted, layers_output, write_chunk
from hwsim.sweep.worker import ChunkResult, evaluate_chunk, layers_schema, totals_schema


@dataclass
class SweepSummary:
    """What a run did. ``evaluated`` counts points computed by this run (not resumed)."""

    grid: int
    points: int
    resumed: int
    evaluated: int
    failed: int
    rows: int
    output: Path
    layers_output: Path | None


def plan(sweep: Sweep) -> np.ndarray:
    """Sorted unique ids of every point of the sweep (after constraints)."""
    ids = np.fromiter((p.id for p in points(sweep)), dtype=np.int64)
    return np.unique(ids)


def pending_chunks(sweep: Sweep, spec_ids: np.ndarray, done: np.ndarray,
                   size: int) -> Iterator[list[Point]]:
    """Chunks of points not yet stored, each point once (repeated ids are skipped)."""
    taken = np.zeros(len(spec_ids), dtype=bool)
    if len(done):
        present, _ = isin_sorted(spec_ids, done)
        taken |= present
    chunk: list[Point] = []
    for p in points(sweep):
        k = int(np.searchsorted(spec_ids, p.id))
        if taken[k]:
            continue
        taken[k] = True
        chunk.append(p)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def auto_chunk_size(pending: int, workers: int) -> int:
    """About 8 chunks per worker, 1 to 64 points each (a ResNet-50 point takes ~50 ms)."""
    return max(1, min(64, math.ceil(pending / max(1, workers * 8))))


def run_sweep(
    sweep: Sweep,
    output: str | Path,
    *,
    jobs: int = 1,
    executor: str = "local",
    scheduler: str | None = None,
    chunk_size: int | None = None,
    progress: bool = False,
    on_chunk: Callable[[int], None] | None = None,
) -> SweepSummary:
    """Evaluate every point of ``sweep`` not already in ``output`` and compact the results.

    ``on_chunk(n)`` is called after the n-th chunk is stored (tests use it to interrupt)."""
    if executor not in EXECUTORS:
        raise HwsimError(f"unknown executor '{executor}', expected one of {EXECUTORS}")
    if jobs < 1:
        raise HwsimError(f"--jobs must be at least 1, got {jobs}")
    out = Path(output)
    if out.is_dir():
        raise HwsimError(f"{out}: is a directory, expected a .parquet file name")
    spec_ids = plan(sweep)
    done = done_ids(out)
    resumed = int(isin_sorted(spec_ids, done)[0].sum()) if len(spec_ids) else 0
    pending = len(spec_ids) - resumed
    size = chunk_size or sweep.chunk_size or auto_chunk_size(pending, jobs)
    chunks = pending_chunks(sweep, spec_ids, done, size)
    evaluated = failed = 0
    bar = tqdm(total=pending, unit="pt", desc=sweep.name, disable=not progress,
               dynamic_ncols=True, smoothing=0.05)
    try:
        results = _execute(sweep, chunks, jobs, executor, scheduler)
        for n_chunks, result in enumerate(results, start=1):
            write_chunk(out, result.totals, result.layers)
            evaluated += result.evaluated
            status = result.totals.column("status").to_pylist()
            failed += sum(s != "ok" for s in status)
            bar.update(result.evaluated)
            if on_chunk is not None:
                on_chunk(n_chunks)
    finally:
        bar.close()
    layer_schema = layers_schema() if sweep.outputs == "layers" else None
    rows = compact(out, spec_ids, totals_schema(sweep), layer_schema)
    return SweepSummary(
        grid=grid_size(sweep) * len(sweep.workloads) * len(sweep.sparsity),
        points=len(spec_ids), resumed=resumed, evaluated=evaluated, failed=failed, rows=rows,
        output=out, layers_output=layers_output(out) if layer_schema is not None else None,
    )


def _execute(sweep: Sweep, chunks: Iterator[list[Point]], jobs: int, executor: str,
             scheduler: str | None) -> Iterator[ChunkResult]:
    if executor == "dask":
        yield from _dask(sweep, chunks, jobs, scheduler)
    elif jobs == 1:
        for chunk in chunks:
            yield evaluate_chunk(sweep, chunk)
    else:
        yield from _pool(sweep, chunks, jobs)


def _pool(sweep: Sweep, chunks: Iterator[list[Point]], jobs: int) -> Iterator[ChunkResult]:
    pool = ProcessPoolExecutor(max_workers=min(jobs, os.cpu_count() or jobs))
    inflight: set[Future[ChunkResult]] = set()
    try:
        for chunk in chunks:
            inflight.add(pool.submit(evaluate_chunk, sweep, chunk))
            while len(inflight) >= 2 * jobs:
                finished, inflight = _wait(inflight)
                for fut in finished:
                    yield fut.result()
        while inflight:
            finished, inflight = _wait(inflight)
            for fut in finished:
                yield fut.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _wait(fs: set[Future[ChunkResult]]) -> tuple[set[Any], set[Future[ChunkResult]]]:
    finished, rest = wait(fs, return_when=FIRST_COMPLETED)
    return finished, set(rest)


def _dask(sweep: Sweep, chunks: Iterator[list[Point]], jobs: int,
          scheduler: str | None) -> Iterator[ChunkResult]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise HwsimError("--executor dask needs dask.distributed: "
                         "pip install 'hwsim[dask]'") from None
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="20s")
        else:
            cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
    except (OSError, TimeoutError) as exc:
        raise HwsimError(f"cannot reach Dask scheduler {scheduler}: {exc}") from None
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})) or jobs)
        sweep_future = client.scatter(sweep, broadcast=True)
        ac = as_completed()
        inflight = 0
        for chunk in chunks:
            ac.add(client.submit(evaluate_chunk, sweep_future, chunk, pure=False))
            inflight += 1
            while inflight >= 2 * workers:
                yield next(ac).result()
                inflight -= 1
        for fut in ac:
            yield fut.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
