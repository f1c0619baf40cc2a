"""The byte-bounded memo: holds at most its budget, evicts the least recently used first,
keeps nothing larger than the budget, and a memoised function returns what it would compute."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hwsim.model.memo import ByteLRU, byte_lru


def test_evicts_least_recently_used_by_bytes():
    c: ByteLRU[str] = ByteLRU(100)
    c.put("a", "A", 40)
    c.put("b", "B", 40)
    assert c.get("a") == "A"  # a is now the most recent
    c.put("c", "C", 40)  # 120 > 100: b, the least recent, goes
    assert c.get("b") is None and c.get("a") == "A" and c.get("c") == "C"
    assert c.info().nbytes == 80 and c.info().entries == 2
    c.put("huge", "H", 101)  # larger than the whole budget: returned by nobody, kept by none
    assert c.get("huge") is None and c.info().nbytes == 80
    c.put("a", "A2", 10)  # replacing an entry re-counts its bytes
    assert c.get("a") == "A2" and c.info().nbytes == 50


@given(st.lists(st.tuples(st.integers(0, 20), st.integers(1, 60)), max_size=80))
def test_never_holds_more_than_its_budget(ops):
    c: ByteLRU[int] = ByteLRU(100)
    for key, n in ops:
        c.put(key, key, n)
        assert c.info().nbytes <= 100
        assert c.get(key) == key  # what was just put (and fits) is there


def test_memoised_function_computes_once_per_argument():
    calls = []

    @byte_lru(1000, lambda v: 8)
    def square(x: int) -> int:
        calls.append(x)
        return x * x

    assert [square(3), square(3), square(4)] == [9, 9, 16]
    assert calls == [3, 4]
    info = square.cache_info()  # type: ignore[attr-defined]
    assert (info.hits, info.misses, info.entries) == (1, 2, 2)
    square.cache_clear()  # type: ignore[attr-defined]
    assert square(3) == 9 and calls == [3, 4, 3]


def test_threads_sharing_a_cache_keep_its_books():
    """Threaded Dask workers share a process's caches: many threads putting and getting with
    constant eviction raise nothing, and the bytes held stay the sum of the entries held,
    within the budget."""
    import sys
    import threading

    c: ByteLRU[int] = ByteLRU(200)
    errors: list[BaseException] = []
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: races show up

    def hammer(seed: int) -> None:
        try:
            for i in range(3000):
                key = (seed * 7 + i) % 37
                c.put(key, key, 1 + key % 23)
                v = c.get((key * 5) % 37)
                assert v is None or v == (key * 5) % 37
        except BaseException as exc:  # reported below
            errors.append(exc)

    try:
        threads = [threading.Thread(target=hammer, args=(s,)) for s in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert not errors, errors[0]
    held = sum(n for _, n in c._data.values())
    assert c.info().nbytes == held <= 200
