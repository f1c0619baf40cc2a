"""Results on disk: atomic chunk files, resume bookkeeping, streaming compaction.

Layout for ``-o results.parquet``:

* ``results.parquet.parts/part-<hash>.parquet``: one file per evaluated chunk (and
  ``layers-<hash>.parquet`` beside it when per-layer rows are kept). Each is written to a
  temporary name, fsynced, then renamed (``os.replace``), so a file either exists whole or not
  at all; a point is done once its ``part-`` file exists.
* ``results.parquet``: the compacted table, one row per point of the spec, written the same
  way at the end; ``results.layers.parquet`` likewise. The parts folder is then removed.

Compaction streams record batches through a ParquetWriter, so memory stays bounded by the
batch size (plus 9 bytes per point for the id bookkeeping), not by the number of rows.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

BATCH_ROWS = 65_536


def parts_dir(output: Path) -> Path:
    """Folder of chunk files of ``output``."""
    return output.with_name(output.name + ".parts")


def layers_output(output: Path) -> Path:
    """``results.parquet`` -> ``results.layers.parquet``."""
    return output.with_name(output.stem + ".layers" + (output.suffix or ".parquet"))


def write_atomic(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` so that a crash leaves either the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            pq.write_table(table, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def chunk_name(ids: Iterable[int]) -> str:
    """Deterministic file stem of a chunk (hash of its point ids)."""
    arr = np.fromiter(ids, dtype=np.int64)
    return hashlib.blake2b(arr.tobytes(), digest_size=8).hexdigest()


def write_chunk(output: Path, totals: pa.Table, layers: pa.Table | None) -> None:
    """Store one evaluated chunk: its layer rows first, then the results rows (which mark the
    points done)."""
    d = parts_dir(output)
    stem = chunk_name(totals.column("id").to_pylist())
    if layers is not None:
        write_atomic(layers, d / f"layers-{stem}.parquet")
    write_atomic(totals, d / f"part-{stem}.parquet")


def part_files(output: Path) -> list[Path]:
    """Complete chunk files; removes leftovers of a crash (temporary files, layer files whose
    results file was never written, unreadable files)."""
    d = parts_dir(output)
    if not d.is_dir():
        return []
    for tmp in d.glob(".*.tmp"):
        tmp.unlink(missing_ok=True)
    parts = []
    for p in sorted(d.glob("part-*.parquet")):
        try:
            pq.read_schema(p)
            parts.append(p)
        except (pa.ArrowException, OSError):
            p.unlink(missing_ok=True)
    stems = {p.name[len("part-"):] for p in parts}
    for lp in d.glob("layers-*.parquet"):
        if lp.name[len("layers-"):] not in stems:
            lp.unlink(missing_ok=True)
    return parts


def done_ids(output: Path) -> np.ndarray:
    """Sorted unique ids already stored (in the compacted output or in chunk files)."""
    sources = ([output] if output.is_file() else []) + part_files(output)
    arrays = [np.empty(0, dtype=np.int64)]
    for src in sources:
        for batch in pq.ParquetFile(src).iter_batches(batch_size=BATCH_ROWS, columns=["id"]):
            arrays.append(batch.column(0).to_numpy(zero_copy_only=False).astype(np.int64))
    return np.unique(np.concatenate(arrays))


def isin_sorted(values: np.ndarray, sorted_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mask of ``values`` present in ``sorted_ids``, their positions there)."""
    pos = np.searchsorted(sorted_ids, values)
    pos_c = np.minimum(pos, max(len(sorted_ids) - 1, 0))
    mask = (pos < len(sorted_ids)) & (sorted_ids[pos_c] == values if len(sorted_ids) else False)
    return np.asarray(mask, dtype=bool), pos_c


def _conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.Table:
    """``batch`` with ``schema``'s columns in order (missing ones null)."""
    cols = []
    for f in schema:
        i = batch.schema.get_field_index(f.name)
        col = batch.column(i) if i >= 0 else pa.nulls(batch.num_rows, f.type)
        cols.append(col.cast(f.type) if col.type != f.type else col)
    return pa.Table.from_arrays(cols, schema=schema)


def _merged_schema(sources: list[Path], fallback: pa.Schema) -> pa.Schema:
    schemas = [pq.read_schema(s) for s in sources]
    return pa.unify_schemas([fallback, *schemas]).remove_metadata()


def _stream(sources: list[Path]) -> Iterator[tuple[int, pa.RecordBatch]]:
    for k, src in enumerate(sources):
        for batch in pq.ParquetFile(src).iter_batches(batch_size=BATCH_ROWS):
            yield k, batch


def compact(output: Path, spec_ids: np.ndarray, schema: pa.Schema,
            layer_schema: pa.Schema | None) -> int:
    """Merge the existing output and chunk files into ``output``: every id of ``spec_ids``
    (sorted, unique) exactly once, rows of other ids dropped. Returns the number of rows.

    Per-layer rows are kept only from the file that pairs with the chosen results row (the
    old layers output with the old output, ``layers-X`` with ``part-X``), so a crash at any
    moment of a previous compaction cannot duplicate them."""
    parts = part_files(output)
    d = parts_dir(output)
    keys = (["final"] if output.is_file() else []) + [p.name[len("part-"):] for p in parts]
    sources = ([output] if output.is_file() else []) + parts
    schema = _merged_schema(sources, schema)
    seen = np.zeros(len(spec_ids), dtype=bool)
    origin = np.full(len(spec_ids), -1, dtype=np.int32)
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    rows = 0
    try:
        with open(tmp, "wb") as f:
            with pq.ParquetWriter(f, schema) as writer:
                for k, batch in _stream(sources):
                    ids = batch.column("id").to_numpy(zero_copy_only=False).astype(np.int64)
                    mask, pos = isin_sorted(ids, spec_ids)
                    # drop repeats: already written, or earlier in this same batch
                    mask &= ~seen[pos]
                    first = np.zeros(len(ids), dtype=bool)
                    _, idx = np.unique(pos[mask], return_index=True)
                    first[np.flatnonzero(mask)[idx]] = True
                    seen[pos[first]] = True
                    origin[pos[first]] = k
                    if first.any():
                        writer.write_table(_conform(batch.filter(pa.array(first)), schema))
                        rows += int(first.sum())
            f.flush()
            os.fsync(f.fileno())
        if layer_schema is not None:
            _compact_layers(output, d, spec_ids, origin, keys, layer_schema)
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
    shutil.rmtree(d, ignore_errors=True)
    return rows


def _compact_layers(output: Path, d: Path, spec_ids: np.ndarray, origin: np.ndarray,
                    keys: list[str], schema: pa.Schema) -> None:
    target = layers_output(output)
    index = {key: k for k, key in enumerate(keys)}
    pairs: list[tuple[int, Path]] = []
    if target.is_file() and "final" in index:
        pairs.append((index["final"], target))
    for lp in sorted(d.glob("layers-*.parquet")):
        key = lp.name[len("layers-"):]
        if key in index:
            pairs.append((index[key], lp))
    schema = _merged_schema([p for _, p in pairs], schema)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            with pq.ParquetWriter(f, schema) as writer:
                for j, batch in _stream([p for _, p in pairs]):
                    ids = batch.column("id").to_numpy(zero_copy_only=False).astype(np.int64)
                    mask, pos = isin_sorted(ids, spec_ids)
                    mask &= origin[pos] == pairs[j][0]
                    if mask.any():
                        writer.write_table(_conform(batch.filter(pa.array(mask)), schema))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
