"""Worker processes die with the sweep that started them.

A process pool's workers are children of the sweep; when the sweep is killed (SIGKILL, an
out-of-memory kill) nothing tells them, and they would sleep on as orphans holding the parent's
pipes open, so a script waiting on the sweep's output hangs. Each worker that is the sweep's
child therefore asks the kernel to kill it when its parent dies (Linux
``prctl(PR_SET_PDEATHSIG)``) and, everywhere, keeps a daemon thread that exits the process once
the sweep is gone (it is re-parented, or, for a fork server's worker, the sweep's pid is).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

#: How often the watch thread looks at its parent, seconds.
POLL_S = 0.5
_PR_SET_PDEATHSIG = 1


def _set_parent_death_signal() -> None:
    """Linux: have the kernel send SIGKILL to this process when its parent thread exits."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no libc to call: the watch thread still works
        pass


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (a zombie still does, until it is reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _watch(parent: int, direct: bool) -> None:
    while True:
        # a direct child is re-parented the moment its parent dies; a worker started by a
        # fork server (Python 3.14's default) watches the sweep's pid instead
        if (os.getppid() != parent) if direct else not _alive(parent):
            os._exit(1)
        time.sleep(POLL_S)


def bind_to_parent(parent: int) -> None:
    """Pool initializer: end this worker when process ``parent`` (the sweep) ends, whether the
    worker is its child (fork, spawn) or a fork server's (forkserver)."""
    direct = os.getppid() == parent
    if direct:
        _set_parent_death_signal()
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)
    elif not _alive(parent):
        os._exit(1)
    threading.Thread(target=_watch, args=(parent, direct), daemon=True,
                     name="hwsim-lifeline").start()
