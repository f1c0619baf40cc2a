"""Hypothesis properties: loaders and parsers raise only hwsim's errors on any text; a bigger
buffer never makes a worse mapping; utilization never exceeds 1."""

from __future__ import annotations

import contextlib
import copy
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hwsim.arch.load import arch_from_data
from hwsim.errors import HwsimError, SpecError
from hwsim.evaluation import evaluate
from hwsim.model.mapper import TIE_TOLERANCE
from hwsim.sparsity.spec import parse_sparsity
from hwsim.workload.io import workload_from_data
from hwsim.yamlio import parse_yaml
from tests.adversarial._harness import ARCH, WORKLOAD, dump

FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

YAML_ALPHABET = st.sampled_from([*"abc:-[]{}&*!|>'\"#,.0123456789 \n\t%@`?",
    "name", "kind", "layers", "op", "conv2d", "compute", ".nan", ".inf", "1e308", "true",
    "0x4", "2:4", "<<", "&a", "*a", "!!str", "!!python/object", "---", "..."])


def _mutate(base: str, edits: list[tuple[int, str]]) -> str:
    text = base
    for pos, s in edits:
        p = pos % (len(text) + 1)
        text = text[:p] + s + text[p + len(s) // 2:]
    return text


@FAST
@given(st.lists(YAML_ALPHABET, max_size=60).map("".join))
def test_random_yaml_text(text: str) -> None:
    try:
        data, lines = parse_yaml(text, "r.yaml")
    except SpecError:
        return
    for load in (arch_from_data, workload_from_data):
        with contextlib.suppress(HwsimError):
            load(data, lines)


@FAST
@given(st.lists(st.tuples(st.integers(0, 3000), YAML_ALPHABET), min_size=1, max_size=6),
       st.sampled_from(["arch", "workload"]))
def test_mutated_valid_yaml(edits: list[tuple[int, str]], which: str) -> None:
    base = dump(ARCH if which == "arch" else WORKLOAD)
    text = _mutate(base, edits)
    try:
        data, lines = parse_yaml(text, "m.yaml")
        (arch_from_data if which == "arch" else workload_from_data)(data, lines)
    except HwsimError:
        pass


SPARSITY_ALPHABET = st.sampled_from([*":=,[]x.-0123456789/ ",
    "unstructured", "block", "nm", "gs", "nested", "channel", "small_world", "shuffled_block",
    "sparsity", "size", "n", "m", "act", "seed", "levels", "base", "group", "rewire", "joins",
    "nan", "inf", "1e308", "4x4", "2:4"])


@FAST
@given(st.lists(SPARSITY_ALPHABET, max_size=25).map("".join))
def test_sparsity_parser(text: str) -> None:
    try:
        spec = parse_sparsity(text)
    except HwsimError:
        return
    for name in ("sparsity", "act"):
        v = getattr(spec, name, None)
        if isinstance(v, float):
            assert math.isfinite(v) and 0 <= v <= 1


def _arch(capacity_kib: float, rows: int, cols: int, dataflow: str) -> object:
    data = copy.deepcopy(ARCH)
    data["buffers"][0]["capacity_kib"] = capacity_kib
    data["compute"].update(rows=rows, cols=cols, dataflow=dataflow)
    del data["sparsity"]
    return arch_from_data(*parse_yaml(dump(data), "p.yaml"))


def _net(cin: int, cout: int, k: int, hw: int) -> object:
    wl = {"name": "p", "batch": 1, "layers": [
        {"name": "c", "op": "conv2d", "in_channels": cin, "out_channels": cout, "kernel": k,
         "padding": k // 2, "input_hw": hw},
        {"name": "fc", "op": "linear", "in_features": cout * hw * hw, "out_features": 10}]}
    return workload_from_data(*parse_yaml(dump(wl), "p.yaml"))


LAYER = st.tuples(st.sampled_from([1, 3, 16, 64]), st.sampled_from([1, 8, 64, 96]),
                  st.sampled_from([1, 3]), st.sampled_from([1, 7, 14]))
ARRAY = st.tuples(st.sampled_from([1, 2, 8, 16]), st.sampled_from([1, 4, 16]),
                  st.sampled_from(["ws", "os", "is", "rs"]))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LAYER, ARRAY, st.sampled_from([1, 4, 16, 64]), st.sampled_from([2, 4, 16]))
def test_bigger_buffer_never_worse(layer: tuple[int, int, int, int],
                                   array: tuple[int, int, str], small: int, factor: int) -> None:
    wl = _net(*layer)
    try:
        a, b = _arch(small, *array), _arch(small * factor, *array)
        ra, rb = evaluate(wl, a), evaluate(wl, b)  # type: ignore[arg-type]
    except HwsimError:
        return  # a buffer no tile fits: refused, not a mapping
    # A bigger buffer keeps every tiling of the smaller one, each as fast (the first tiles in
    # can only shrink), so the fastest gets no slower; the mapper then takes the fewest joules
    # within TIE_TOLERANCE of the fastest, so the pick is at most that much slower. DRAM bytes
    # are not bounded: a bigger SRAM costs more per access, and fewer joules may mean more
    # DRAM bytes and fewer buffer accesses.
    assert rb.totals["latency_s"] <= ra.totals["latency_s"] * (1 + TIE_TOLERANCE) * (1 + 1e-12)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LAYER, ARRAY, st.sampled_from([1, 16, 256]))
def test_utilization_at_most_one(layer: tuple[int, int, int, int], array: tuple[int, int, str],
                                 capacity: int) -> None:
    try:
        report = evaluate(_net(*layer), _arch(capacity, *array))  # type: ignore[arg-type]
    except HwsimError:
        return
    for row in [report.totals, *(vars(x) for x in report.layers)]:
        u = row["utilization"]
        assert 0 <= u <= 1 + 1e-12, row
