"""Results on disk: atomic chunk files, resume bookkeeping, streaming compaction.

Layout for ``-o results.parquet``:

* ``results.parquet.parts/part-<hash>.parquet``: one file per evaluated chunk (and
  ``layers-<hash>.parquet`` beside it when per-layer rows are kept). Each is written to a
  temporary name, fsynced, then renamed (``os.replace``), so a file either exists whole or not
  at all; a point is done once its ``part-`` file exists.
* ``results.parquet``: the compacted table, one row per point of the spec, written the same
  way at the end; ``results.layers.parquet`` likewise. The parts folder is then removed.

Compaction streams record batches through a ParquetWriter in row groups of ROW_GROUP_ROWS
rows, so memory stays bounded by that (plus 9 bytes per point for the id bookkeeping), not by
the number of rows.

Every page of every file carries a CRC checksum (``write_page_checksum``), verified on every
read (``page_checksum_verification``): on resume a damaged chunk file is dropped and its
points recomputed, damaged row groups of the compacted table are recomputed likewise (one
warning line each), and :func:`read_results` refuses a damaged table with one located line.

One sweep at a time: :func:`store_lock` holds an exclusive ``flock`` on ``<output>.lock``
for the whole run, so a second run on the same output is refused with one line naming the
process that holds it; the kernel releases the lock when that process ends, even by SIGKILL.

Every file says what produced it: the Parquet key-value metadata holds, under the key
``hwsim``, a JSON object (``hwsim.sweep.run.sweep_provenance``: hwsim version, spec hash,
base arch and workloads with their hashes, ...). Chunk files carry the object of the run
that wrote them; the compacted files carry the current run's, with ``computed_by``: every
hwsim version whose rows the table holds (a resumed sweep may mix versions).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover (not POSIX: runs are not locked)
    fcntl = None  # type: ignore[assignment]

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from hwsim.errors import HwsimError
from hwsim.safeio import atomic_file, check_output, own_temporaries

BATCH_ROWS = 65_536
#: Rows per row group of a compacted table. Chunk files hold a few dozen rows each; written one
#: row group per chunk, a 918,400-point sweep made ~14,000 row groups whose metadata the
#: writer keeps until it closes (a 1.26 GB peak), and compressed poorly. Batches are buffered
#: to this many rows (a few MB of totals) and written as one group. A damaged group of the
#: compacted table costs its points' recomputation on resume.
ROW_GROUP_ROWS = 65_536
#: Parquet key-value metadata key of the provenance object (a JSON text).
META_KEY = b"hwsim"


def provenance_of(path: Path) -> dict[str, Any]:
    """The provenance object stored in a Parquet file's metadata ({} if none or unreadable)."""
    try:
        raw = (pq.read_schema(path).metadata or {}).get(META_KEY)
        info = json.loads(raw) if raw else {}
    except (pa.ArrowException, OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def with_provenance(table: pa.Table, info: Mapping[str, Any] | None) -> pa.Table:
    """``table`` with ``info`` as its ``hwsim`` metadata (other metadata kept)."""
    if not info:
        return table
    meta = dict(table.schema.metadata or {})
    meta[META_KEY] = json.dumps(dict(info), sort_keys=True).encode("utf-8")
    return table.replace_schema_metadata(meta)


def _final_metadata(sources: list[Path], info: Mapping[str, Any] | None
                    ) -> dict[bytes, bytes] | None:
    """Metadata of a compacted file: ``info`` plus ``computed_by``, the hwsim versions of
    ``info`` and of every source file."""
    if not info:
        return None
    versions = {str(info.get("hwsim_version", ""))}
    for src in sources:
        old = provenance_of(src)
        versions |= {str(v) for v in old.get("computed_by", [])}
        if old.get("hwsim_version"):
            versions.add(str(old["hwsim_version"]))
    full = {**info, "computed_by": sorted(v for v in versions if v)}
    return {META_KEY: json.dumps(full, sort_keys=True).encode("utf-8")}


def parts_dir(output: Path) -> Path:
    """Folder of chunk files of ``output``."""
    return output.with_name(output.name + ".parts")


def layers_output(output: Path) -> Path:
    """``results.parquet`` -> ``results.layers.parquet``."""
    return output.with_name(output.stem + ".layers" + (output.suffix or ".parquet"))


def write_atomic(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` so that a crash leaves either the old file or the new one
    (a regular file only: see :func:`hwsim.safeio.atomic_file`), every page checksummed."""
    with atomic_file(path) as f:
        pq.write_table(table, f, write_page_checksum=True)


# --- the lock ------------------------------------------------------------------------------


def lock_path(output: Path) -> Path:
    """``results.parquet`` -> ``results.parquet.lock`` (present only while a run holds it,
    or left by a killed run, when it holds no lock and the next run takes it over)."""
    return output.with_name(output.name + ".lock")


def _holder(path: Path) -> str:
    """The process id written in a lock file, as text ('unknown' if none)."""
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            pid = f.read(32).strip()
    except OSError:
        pid = ""
    return f"pid {pid}" if pid.isdigit() else "pid unknown"


@contextlib.contextmanager
def store_lock(output: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``output``'s store for the block; HwsimError (one line, with
    the holder's process id) when another sweep holds it. The lock is an ``flock`` on
    ``<output>.lock``, so it dies with its process; the file is removed on leaving."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    path = check_output(lock_path(output))
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
        except OSError as exc:
            raise HwsimError(f"{path}: cannot lock the store: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise HwsimError(f"{output}: the store is in use by another sweep "
                                 f"({_holder(path)}); wait for it to finish or choose "
                                 "another -o") from None
            raise HwsimError(f"{path}: cannot lock the store: {exc.strerror or exc}") from None
        # the holder we waited for may have removed the file: lock the file now at ``path``
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False))
        except OSError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # still holding the lock: no other run can be using this file
        os.close(fd)


# --- damage --------------------------------------------------------------------------------

#: Verified files: (path, inode, size, mtime) -> (damaged row groups, their rows, description).
_VERIFIED: dict[tuple[str, int, int, int], tuple[tuple[int, ...], int, str]] = {}
_READ_ERRORS = (pa.ArrowException, OSError, ValueError, EOFError)


def damage(path: Path) -> tuple[tuple[int, ...], int, str]:
    """The row groups of a Parquet file with a page that fails its checksum or cannot be
    decoded, their number of rows, and where the first is ("row group 2, column 'x'"); ((),
    0, "") for a sound file. Raises the reader's error when even the footer is unreadable.
    Each file is read once per process (until it changes)."""
    st = path.stat()
    key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
    if key in _VERIFIED:
        return _VERIFIED[key]
    pf = pq.ParquetFile(path, page_checksum_verification=True)
    bad: list[int] = []
    rows = 0
    where = ""
    for rg in range(pf.num_row_groups):
        try:
            pf.read_row_group(rg)
        except _READ_ERRORS:
            bad.append(rg)
            rows += pf.metadata.row_group(rg).num_rows
            if not where:
                where = f"row group {rg}, column '{_bad_column(pf, rg)}'"
    _VERIFIED[key] = (tuple(bad), rows, where)
    return _VERIFIED[key]


def _bad_column(pf: pq.ParquetFile, rg: int) -> str:
    """The first column of row group ``rg`` that cannot be read back."""
    for name in pf.schema_arrow.names:
        try:
            pf.read_row_group(rg, columns=[name])
        except _READ_ERRORS:
            return name
    return "?"


def _warn(message: str) -> None:
    """One warning line on stderr, as the CLI writes them."""
    print(f"hwsim: warning: {message}", file=sys.stderr)


def _good_batches(src: Path, columns: Sequence[str] | None = None
                  ) -> Iterator[pa.RecordBatch]:
    """Record batches of the row groups of ``src`` whose pages pass their checksums."""
    pf = pq.ParquetFile(src, page_checksum_verification=True)
    bad = set(damage(src)[0])
    good = [rg for rg in range(pf.num_row_groups) if rg not in bad]
    if good:
        yield from pf.iter_batches(batch_size=BATCH_ROWS, row_groups=good,
                                   columns=list(columns) if columns is not None else None)


def read_results(path: str | Path, columns: Sequence[str] | None = None) -> pa.Table:
    """A stored table, every page verified against its checksum; HwsimError naming the file,
    row group and column when the bytes on disk changed (a rerun of the sweep on it
    recomputes the damaged rows)."""
    p = Path(path)
    try:
        bad, rows, where = damage(p)
        if not bad:
            return pq.read_table(p, columns=list(columns) if columns else None,
                                 page_checksum_verification=True)
    except _READ_ERRORS as exc:
        raise HwsimError(f"{p}: cannot read results: {exc}") from None
    raise HwsimError(f"{p}: damaged: {rows} rows in {len(bad)} row group(s) fail their page "
                     f"checksums ({where}); rerun the sweep on it to recompute them")


def chunk_name(ids: Iterable[int]) -> str:
    """Deterministic file stem of a chunk (hash of its point ids)."""
    arr = np.fromiter(ids, dtype=np.int64)
    return hashlib.blake2b(arr.tobytes(), digest_size=8).hexdigest()


def write_chunk(output: Path, totals: pa.Table, layers: pa.Table | None,
                info: Mapping[str, Any] | None = None) -> None:
    """Store one evaluated chunk: its layer rows first, then the results rows (which mark the
    points done); ``info``, the provenance, goes into both files' metadata."""
    totals = with_provenance(totals, info)
    layers = with_provenance(layers, info) if layers is not None else None
    d = parts_dir(output)
    stem = chunk_name(totals.column("id").to_pylist())
    if layers is not None:
        write_atomic(layers, d / f"layers-{stem}.parquet")
    write_atomic(totals, d / f"part-{stem}.parquet")


#: Names of the files the store writes in its parts folder: chunk files and their temporaries
#: (``.part-<hash>.parquet.<pid>[-<hex>].tmp``, see hwsim.safeio).
_CHUNK_FILE = re.compile(r"(part|layers)-[0-9a-f]+\.parquet")
_CHUNK_TEMP = re.compile(r"\.(part|layers)-[^/]*\.parquet\.\d+(-[0-9a-f]+)?\.tmp")


def _parts_entries(output: Path) -> list[os.DirEntry[str]]:
    """Entries of the parts folder (none when it does not exist); refuses a parts "folder"
    that is no real folder, or one holding anything the store did not write (it deletes the
    folder's own files after compaction, and nothing else)."""
    d = parts_dir(output)
    try:
        is_link = d.is_symlink()
        exists = d.exists() or is_link
    except OSError:
        is_link, exists = False, True
    if not exists:
        return []
    if is_link or not d.is_dir():
        raise HwsimError(f"{d}: is not a folder of hwsim chunk files (a symbolic link or "
                         "another file); choose another -o")
    entries = list(os.scandir(d))
    foreign = sorted(e.name for e in entries
                     if not (e.is_file(follow_symlinks=False)
                             and (_CHUNK_FILE.fullmatch(e.name)
                                  or _CHUNK_TEMP.fullmatch(e.name))))
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        raise HwsimError(f"{d}: holds '{foreign[0]}'{more}, which hwsim did not write; it "
                         "deletes this folder after a sweep: move them or choose another -o")
    return entries


def remove_temporaries(output: Path) -> None:
    """Remove the temporary files that killed writes of ``output`` (and its layers table)
    left beside them: only names of this store's own making (see hwsim.safeio)."""
    for target in (output, layers_output(output)):
        for tmp in own_temporaries(target):
            tmp.unlink(missing_ok=True)


def part_files(output: Path) -> list[Path]:
    """Complete chunk files; removes leftovers of a crash (temporary files, layer files whose
    results file was never written, unreadable files). Refuses a parts folder holding
    anything else (:func:`_parts_entries`)."""
    d = parts_dir(output)
    entries = _parts_entries(output)
    if not entries and not d.is_dir():
        return []
    for e in entries:
        if _CHUNK_TEMP.fullmatch(e.name):
            Path(e.path).unlink(missing_ok=True)
    parts = []
    damaged: list[str] = []
    for p in sorted(d.glob("part-*.parquet")):
        lp = d / ("layers-" + p.name[len("part-"):])
        problem = _part_damage(p)
        if problem == "" and lp.is_file():
            layers_problem = _part_damage(lp)
            problem = f"{lp.name} (unreadable)" if layers_problem is None else layers_problem
        if problem is None:  # unreadable: a crash's leftover, as before checksums
            p.unlink(missing_ok=True)
        elif problem:
            damaged.append(problem)
            p.unlink(missing_ok=True)
            lp.unlink(missing_ok=True)
        else:
            parts.append(p)
    stems = {p.name[len("part-"):] for p in parts}
    for lp in d.glob("layers-*.parquet"):
        if lp.name[len("layers-"):] not in stems:
            lp.unlink(missing_ok=True)
    if damaged:
        more = f" and {len(damaged) - 1} more" if len(damaged) > 1 else ""
        _warn(f"{d}: dropped {len(damaged)} damaged chunk file(s) ({damaged[0]}{more}: page "
              "checksum mismatch); their points are recomputed")
    return parts


def _part_damage(path: Path) -> str | None:
    """"" for a sound chunk file, where it is damaged ("part-x.parquet row group 0, column
    'y'"), or None when not even its footer can be read."""
    try:
        bad, _, where = damage(path)
    except _READ_ERRORS:
        return None
    return f"{path.name} {where}" if bad else ""


def _output_damage(output: Path) -> set[int]:
    """Damaged row groups of the compacted ``output`` (their rows are recomputed: one warning
    line). A damaged layers table beside it is refused (its rows cannot be paired again)."""
    if not output.is_file():
        return set()
    bad, rows, where = damage(output)
    if bad:
        _warn(f"{output}: {rows} rows in {len(bad)} row group(s) are damaged ({where}: page "
              "checksum mismatch); their points are recomputed")
    return set(bad)


def done_ids(output: Path) -> np.ndarray:
    """Sorted unique ids already stored (in the compacted output or in chunk files); rows of
    damaged row groups are not done (they are recomputed)."""
    _output_damage(output)
    sources = ([output] if output.is_file() else []) + part_files(output)
    arrays = [np.empty(0, dtype=np.int64)]
    for src in sources:
        for batch in _good_batches(src, ["id"]):
            arrays.append(batch.column(0).to_numpy(zero_copy_only=False).astype(np.int64))
    return np.unique(np.concatenate(arrays))


def check_store(output: Path, spec_ids: np.ndarray, spec_sha256: str,
                layers: bool = False) -> None:
    """Refuse to resume into ``output`` (and its chunk files, and its layers table when
    ``layers``) unless it is this sweep's own: written for the same spec (``spec_sha256`` in
    its ``hwsim`` metadata), or holding only points of this spec (an extended spec, or a
    store written before hashes were stored), so that compaction deletes no row of another
    sweep. Also refuses targets that are not regular files and tables that are no store,
    and a damaged layers table (see :func:`_output_damage`; damaged row groups of the
    results table and damaged chunk files are recomputed, with a warning line)."""
    check_output(output)
    targets = [output] + ([check_output(layers_output(output))] if layers else [])
    sources = [t for t in targets if t.is_file()] + part_files(output)
    for src in sources:
        try:
            names = pq.read_schema(src).names
            bad, rows, where = damage(src)
        except _READ_ERRORS as exc:
            raise HwsimError(f"{src}: exists and is not a Parquet table ({exc}); "
                             "choose another -o") from None
        if "id" not in names:
            raise HwsimError(f"{src}: exists and is not a hwsim sweep table (no 'id' column); "
                             "choose another -o")
        theirs = str(provenance_of(src).get("spec_sha256") or "")
        if bad and (src != output or theirs != spec_sha256):
            raise HwsimError(f"{src}: damaged: {rows} rows in {len(bad)} row group(s) fail "
                             f"their page checksums ({where}); move it away (with "
                             f"{output.name}) and rerun to recompute")
        if theirs == spec_sha256:
            continue
        foreign = 0
        for batch in _good_batches(src, ["id"]):
            ids = batch.column(0).to_numpy(zero_copy_only=False).astype(np.int64)
            foreign += int((~isin_sorted(ids, spec_ids)[0]).sum())
        if foreign:
            their = f"spec sha256 {theirs[:12]}" if theirs else "no spec hash"
            raise HwsimError(f"{src}: holds {foreign} rows of another sweep ({their}; this "
                             f"spec {spec_sha256[:12]}) that this run would delete; "
                             "choose another -o")


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
    """Batches of every source (``k`` its index), damaged row groups left out."""
    for k, src in enumerate(sources):
        for batch in _good_batches(src):
            yield k, batch


class _GroupedWriter:
    """Tables written through a ParquetWriter in row groups of about ROW_GROUP_ROWS rows (the
    buffer is flushed when it reaches that many, and at the end)."""

    def __init__(self, writer: pq.ParquetWriter) -> None:
        self._writer = writer
        self._buffer: list[pa.Table] = []
        self._rows = 0

    def write(self, table: pa.Table) -> None:
        self._buffer.append(table)
        self._rows += table.num_rows
        if self._rows >= ROW_GROUP_ROWS:
            self.flush()

    def flush(self) -> None:
        if self._buffer:
            self._writer.write_table(pa.concat_tables(self._buffer),
                                     row_group_size=max(self._rows, 1))
            self._buffer, self._rows = [], 0


def compact(output: Path, spec_ids: np.ndarray, schema: pa.Schema,
            layer_schema: pa.Schema | None, info: Mapping[str, Any] | None = None) -> int:
    """Merge the existing output and chunk files into ``output``: every id of ``spec_ids``
    (sorted, unique) exactly once, rows of other ids dropped. Returns the number of rows.
    ``info`` (the provenance) goes into the metadata of both outputs, with ``computed_by``.

    Per-layer rows are kept only from the file that pairs with the chosen results row (the
    old layers output with the old output, ``layers-X`` with ``part-X``), so a crash at any
    moment of a previous compaction cannot duplicate them."""
    parts = part_files(output)
    d = parts_dir(output)
    keys = (["final"] if output.is_file() else []) + [p.name[len("part-"):] for p in parts]
    sources = ([output] if output.is_file() else []) + parts
    meta = _final_metadata(sources, info)
    schema = _merged_schema(sources, schema)
    if meta is not None:
        schema = schema.with_metadata(meta)
    seen = np.zeros(len(spec_ids), dtype=bool)
    origin = np.full(len(spec_ids), -1, dtype=np.int32)
    rows = 0
    # the layers table is replaced first, then the results table (leaving the block)
    with atomic_file(output) as f:
        with pq.ParquetWriter(f, schema, write_page_checksum=True) as writer:
            grouped = _GroupedWriter(writer)
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
                    grouped.write(_conform(batch.filter(pa.array(first)), schema))
                    rows += int(first.sum())
            grouped.flush()
        if layer_schema is not None:
            _compact_layers(output, d, spec_ids, origin, keys, layer_schema, meta)
    _remove_parts(output)
    return rows


def _remove_parts(output: Path) -> None:
    """Delete the parts folder's own files, then the folder if that leaves it empty."""
    d = parts_dir(output)
    try:
        entries = list(os.scandir(d)) if d.is_dir() and not d.is_symlink() else []
    except OSError:
        return
    for e in entries:
        if e.is_file(follow_symlinks=False) and (_CHUNK_FILE.fullmatch(e.name)
                                                 or _CHUNK_TEMP.fullmatch(e.name)):
            Path(e.path).unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # something not ours appeared meanwhile: left alone
        d.rmdir()


def _compact_layers(output: Path, d: Path, spec_ids: np.ndarray, origin: np.ndarray,
                    keys: list[str], schema: pa.Schema,
                    meta: dict[bytes, bytes] | None = None) -> None:
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
    if meta is not None:
        schema = schema.with_metadata(meta)
    with atomic_file(target) as f, pq.ParquetWriter(f, schema,
                                                    write_page_checksum=True) as writer:
        grouped = _GroupedWriter(writer)
        for j, batch in _stream([p for _, p in pairs]):
            ids = batch.column("id").to_numpy(zero_copy_only=False).astype(np.int64)
            mask, pos = isin_sorted(ids, spec_ids)
            mask &= origin[pos] == pairs[j][0]
            if mask.any():
                grouped.write(_conform(batch.filter(pa.array(mask)), schema))
        grouped.flush()
