"""Speed changes never change a result: every bundled accelerator x workload (and the sparse
patterns and objectives of tests/results_digest.py) gives the report pinned, to the last digit.

A change meant to change results regenerates tests/data/results_digest.json
(``python -m tests.results_digest``) and says so in its commit.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.results_digest import cases, digest

PINNED = Path(__file__).parent / "data" / "results_digest.json"


def test_every_bundled_result_is_unchanged():
    pinned = json.loads(PINNED.read_text())
    now = digest()
    assert len(now) == len(list(cases())) and set(now) == set(pinned)
    changed = sorted(k for k in now if now[k] != pinned[k])
    assert not changed, f"{len(changed)} results changed, e.g. {changed[:5]}"
