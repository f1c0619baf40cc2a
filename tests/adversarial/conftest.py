"""Every adversarial case runs bounded: under an address-space limit (a case that would blow
up memory ends in MemoryError, a failed case, instead of taking the machine down) and an alarm
(a case that would hang fails after CASE_LIMIT_S)."""

from __future__ import annotations

import resource
import sys
from collections.abc import Iterator

import pytest

from tests.conftest import time_limit

#: Address space the test process may grow by during the catalogue, bytes.
MEMORY_HEADROOM = 4 << 30
#: Longest a single case may take, seconds (each takes milliseconds).
CASE_LIMIT_S = 60


def _address_space() -> int:
    """This process's current virtual size, bytes (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * resource.getpagesize()
    except OSError:
        return 0


@pytest.fixture(autouse=True, scope="package")
def _memory_limit() -> Iterator[None]:
    if not sys.platform.startswith("linux") or not _address_space():
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _address_space() + MEMORY_HEADROOM
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.fixture(autouse=True)
def _time_limit() -> Iterator[None]:
    with time_limit(CASE_LIMIT_S, "an adversarial case"):
        yield
