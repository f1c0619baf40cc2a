"""Run a sweep: plan the missing points, evaluate chunks on an executor, store, compact.

Executors: ``local`` (``jobs == 1``: in this process; otherwise a process pool) and ``dask``
(a ``distributed.Client`` on a scheduler address, or a LocalCluster of ``jobs`` workers).
At most ``2 * workers`` chunks are in flight, so memory does not grow with the sweep.
"""

from __future__ import annotations

import hashlib
import json
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
from hwsim.sweep.grid import Point, check_size, grid_size, points
from hwsim.sweep.lifeline import bind_to_parent
from hwsim.sweep.spec import Sweep
from hwsim.sweep.store import (
    check_store,
    compact,
    done_ids,
    isin_sorted,
    layers_output,
    remove_temporaries,
    store_lock,
    write_chunk,
)
from hwsim.sweep.worker import ChunkResult, evaluate_chunk, layers_schema, totals_schema
from hwsim.version import VERSION


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


def _arch_hash(data: dict[str, Any], path: Path) -> str | None:
    """The base arch's hash as run and compare outputs state it (of the validated spec), so
    results of both can be joined on it; None when the base does not validate alone."""
    from hwsim.arch.load import arch_from_data
    from hwsim.report.provenance import arch_sha256
    from hwsim.yamlio import LineMap

    try:
        return arch_sha256(arch_from_data(data, LineMap(str(path))))
    except HwsimError:
        return None


def _workload_hash(path: Path) -> str | None:
    """The workload's content hash as run and compare outputs state it."""
    from hwsim.report.provenance import workload_sha256
    from hwsim.workload.io import load_workload

    try:
        return workload_sha256(load_workload(path))
    except HwsimError:
        return None


def _sha256_json(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _file_sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def sweep_provenance(sweep: Sweep) -> dict[str, Any]:
    """What produced a sweep's tables, stored as JSON under the ``hwsim`` key of their Parquet
    metadata (``pyarrow.parquet.read_schema(path).metadata[b"hwsim"]``):

    * ``hwsim_version``: the version that ran (and compacted) the sweep; ``computed_by``
      (added at compaction): every version whose rows the table holds;
    * ``spec`` (the spec file as given), ``spec_sha256``: sha256 of the validated spec
      (base arch content, swept parameters and their values, constraints, workloads, sparsity
      cases, batch, objective, outputs; formatting and comments do not change it),
      ``spec_file_sha256``: of the file's bytes (null when there is no file);
    * ``name``, ``arch`` (as written), ``arch_path``, ``arch_sha256`` (of the first base
      arch as validated: the ``arch_sha256`` of run and compare outputs), ``archs`` (every
      base: name, label, path, sha256), ``workloads``: ``[{"name", "path", "sha256" (of its
      content, as run and compare state it), "file_sha256"}]``;
    * ``sparsity`` (the pattern texts, null = each layer's own), ``batch``, ``objective``,
      ``outputs``."""
    many = len(sweep.bases) > 1  # one base keeps its hash as before lists were allowed
    content = {
        "arch": [b.data for b in sweep.bases] if many else sweep.base_data,
        "groups": [[combine, [[p.path, p.name, list(p.values)] for p in ps]]
                   for combine, ps in sweep.groups],
        "constraints": list(sweep.constraints),
        "design_constraints": list(sweep.design_constraints),
        "workloads": [w for w, _ in sweep.workloads],
        "sparsity": [[c.text, c.level] for c in sweep.sparsity],
        "batch": sweep.batch, "objective": sweep.objective, "outputs": sweep.outputs,
    }
    spec_file = Path(sweep.file)
    return {
        "hwsim_version": VERSION,
        "spec": sweep.file,
        "spec_sha256": _sha256_json(content),
        "spec_file_sha256": _file_sha256(spec_file) if spec_file.is_file() else None,
        "name": sweep.name,
        "arch": sweep.arch,
        "arch_path": str(sweep.arch_path),
        "arch_sha256": _arch_hash(sweep.base_data, sweep.arch_path),
        "archs": [{"name": b.name, "label": b.label, "path": str(b.path),
                   "sha256": _arch_hash(b.data, b.path)} for b in sweep.bases],
        "workloads": [{"name": w, "path": str(p), "sha256": _workload_hash(p),
                       "file_sha256": _file_sha256(p)}
                      for w, p in sweep.workloads],
        "sparsity": list(dict.fromkeys(c.text for c in sweep.sparsity)),
        "batch": sweep.batch,
        "objective": sweep.objective,
        "outputs": sweep.outputs,
    }


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
    check_size(sweep)  # a grid too large to plan is refused before it is built
    # one run per store: a second one is refused (one line) while this one holds the lock
    with store_lock(out):
        spec_ids = plan(sweep)
        info = sweep_provenance(sweep)
        # a store of another sweep, a foreign file or folder, a symlink: refused before any
        # write
        check_store(out, spec_ids, info["spec_sha256"], layers=sweep.outputs == "layers")
        remove_temporaries(out)  # of writes killed before their rename
        done = done_ids(out)  # damaged chunk files and row groups are not done
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
                write_chunk(out, result.totals, result.layers, info)
                evaluated += result.evaluated
                status = result.totals.column("status").to_pylist()
                failed += sum(s != "ok" for s in status)
                bar.update(result.evaluated)
                if on_chunk is not None:
                    on_chunk(n_chunks)
        finally:
            bar.close()
        layer_schema = layers_schema() if sweep.outputs == "layers" else None
        rows = compact(out, spec_ids, totals_schema(sweep), layer_schema, info)
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
    pool = ProcessPoolExecutor(max_workers=min(jobs, os.cpu_count() or jobs),
                               initializer=bind_to_parent, initargs=(os.getpid(),))
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


def local_cluster(jobs: int) -> Any:
    """The Dask cluster a sweep starts when given no scheduler: ``jobs`` worker processes of
    one thread each, no dashboard, and no statistical profiler in the workers (it samples the
    task thread every 10 ms and slowed chunk evaluation by about 15% on 2 cores,
    benchmarks/data/sweep_speed.txt; with no dashboard nothing would show its profiles). The
    setting goes in the workers' own config, which a restarted worker keeps too."""
    from distributed import LocalCluster

    return LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                        dashboard_address=None,
                        config={"distributed.worker.profile.enabled": False})


def _dask(sweep: Sweep, chunks: Iterator[list[Point]], jobs: int,
          scheduler: str | None) -> Iterator[ChunkResult]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise HwsimError("--executor dask needs dask.distributed: "
                         "pip install 'hwsim[dask]'") from None
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="20s")
        else:
            cluster = local_cluster(jobs)
            client = Client(cluster)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        where = f"reach Dask scheduler {scheduler}" if scheduler else "start a local Dask cluster"
        raise HwsimError(f"cannot {where}: {exc}") from None
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
