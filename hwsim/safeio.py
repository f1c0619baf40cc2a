"""Outputs that never destroy: regular files only, written whole or not at all.

Every file hwsim writes goes through here: an existing target that is not a regular file (a
symbolic link, a FIFO, a device node, a folder) is refused with one line, and the new
content is written to a temporary file in the same folder (``.<name>.<pid>-<random>.tmp``),
fsynced, then renamed over the target (``os.replace``), so a crash leaves the old file or
the new one, and nothing else is touched. :func:`own_temporaries` recognises such leftovers
of a killed process by name, so that the writer of a file can clean up after itself.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from hwsim.errors import HwsimError

_KINDS = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a directory"),
          (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def check_output(path: str | Path) -> Path:
    """``path`` as a Path when it may be written: absent, or an existing regular file (not a
    symbolic link, even to one). Raises a one-line HwsimError otherwise."""
    p = Path(path)
    try:
        mode = os.lstat(p).st_mode
    except FileNotFoundError:
        return p
    except OSError as exc:
        raise HwsimError(f"{p}: cannot write output: {exc.strerror or exc}") from None
    if stat.S_ISREG(mode):
        return p
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    raise HwsimError(f"{p}: is {kind}; outputs go to regular files only "
                     "(choose another output path)")


def temp_name(path: Path) -> Path:
    """A fresh temporary name beside ``path`` that :func:`own_temporaries` recognises."""
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def own_temporaries(path: Path) -> list[Path]:
    """Leftover temporary files of writes to ``path`` (by their name: ``.<name>.<pid>.tmp``
    or ``.<name>.<pid>-<hex>.tmp``), regular files only."""
    pattern = re.compile(rf"\.{re.escape(path.name)}\.\d+(-[0-9a-f]+)?\.tmp")
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return []
    return [path.parent / e.name for e in entries
            if pattern.fullmatch(e.name) and e.is_file(follow_symlinks=False)]


@contextmanager
def atomic_file(path: str | Path) -> Iterator[BinaryIO]:
    """A binary file to write ``path``'s new content into; on leaving the block without an
    exception it is fsynced and renamed over ``path``, otherwise removed. Refuses a target
    that is not a regular file (:func:`check_output`)."""
    p = check_output(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(p)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        check_output(p)  # not replaced by something else meanwhile
        os.replace(tmp, p)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_file`)."""
    with atomic_file(path) as f:
        f.write(data)


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`atomic_file`)."""
    write_bytes_atomic(path, text.encode("utf-8"))
