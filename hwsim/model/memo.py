"""Memoisation bounded by memory: a least-recently-used cache that holds at most a budget of
bytes, not of entries, so that tables of a few kilobytes and of a few megabytes share it fairly
(a count-bounded cache of 256 tables missed on every layer of a model with 480 shapes, while a
larger count could hold gigabytes). Thread-safe: threaded Dask workers share a process's
caches."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Generic, TypeVar

V = TypeVar("V")


@dataclass(frozen=True)
class MemoInfo:
    """Hits, misses, entries held and their bytes, and the budget (as ``lru_cache`` says)."""

    hits: int
    misses: int
    entries: int
    nbytes: int
    budget: int


class ByteLRU(Generic[V]):
    """Key -> value, evicting the least recently used values once their bytes exceed
    ``budget`` (a value larger than the budget is returned but not kept). Each operation holds
    a lock, so threads may share one (two threads missing the same key both compute it; the
    second value stored replaces the first, an equal one, since the memoised functions are
    pure)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._data: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self.hits = self.misses = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key: Hashable, value: V, nbytes: int) -> None:
        if nbytes > self.budget:
            return
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._data[key] = (value, nbytes)
            self._bytes += nbytes
            while self._bytes > self.budget:
                _, (_, n) = self._data.popitem(last=False)
                self._bytes -= n

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0
            self.hits = self.misses = 0

    def info(self) -> MemoInfo:
        with self._lock:
            return MemoInfo(self.hits, self.misses, len(self._data), self._bytes, self.budget)


def byte_lru(budget: int, size_of: Callable[[Any], int]) -> Callable[[Callable[..., V]],
                                                                       Callable[..., V]]:
    """Decorator: memoise a pure function of hashable positional arguments in a ByteLRU of
    ``budget`` bytes, ``size_of(value)`` telling each value's bytes. The wrapper has
    ``cache_clear()`` and ``cache_info()`` like ``functools.lru_cache``'s."""

    def wrap(fn: Callable[..., V]) -> Callable[..., V]:
        cache: ByteLRU[V] = ByteLRU(budget)

        @wraps(fn)
        def memo(*args: Hashable) -> V:
            hit = cache.get(args)
            if hit is not None:
                return hit
            value = fn(*args)
            cache.put(args, value, size_of(value))
            return value

        memo.cache_clear = cache.clear  # type: ignore[attr-defined]
        memo.cache_info = cache.info  # type: ignore[attr-defined]
        return memo

    return wrap
