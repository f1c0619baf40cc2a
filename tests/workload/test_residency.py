"""Activations kept on chip (arch ``activations: on_chip``): which outputs stay, and what the
accelerator then moves."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwsim.arch.load import load_arch
from hwsim.errors import SpecError
from hwsim.evaluation.evaluate import evaluate
from hwsim.workload import Linear, build_workload, load_workload
from hwsim.workload.layers import Eltwise
from hwsim.workload.residency import keep_activations


def _chain(width: int = 1000):
    """fc1 -> fc2 -> fc3, and a residual add of fc1 and fc3: 1000-element tensors (1 B each)."""
    return build_workload("chain", [
        Linear(name="fc1", in_features=width, out_features=width),
        Linear(name="fc2", in_features=width, out_features=width),
        Linear(name="fc3", in_features=width, out_features=width),
        Eltwise(name="add", kind="add", shape=[width], operands=2, inputs=["fc1", "fc3"]),
    ], precision="int8")


def _marks(wl):
    return {layer.name: sorted(layer.on_chip) for layer in wl.layers}


def test_everything_stays_when_it_fits():
    """Every output but the network's own stays; the network input comes from DRAM."""
    kept = keep_activations(_chain(), 1e6, lambda _: 1.0)
    assert _marks(kept) == {"fc1": ["outputs"], "fc2": ["inputs", "outputs"],
                            "fc3": ["inputs", "outputs"], "add": ["inputs"]}


def test_liveness_by_hand():
    """Kept tensors may fill half the buffer (KEPT_SHARE), the tiles of streaming layers the
    rest. fc1's output waits for the add, three layers on: with room for two 1000-byte tensors,
    fc1 (live at fc1..add) and fc2 (live at fc2..fc3) both stay; fc3 (live at fc3..add) would
    make three at fc3, so it streams, and then the add, which reads fc1 and fc3 as one operand,
    cannot read fc1 on chip either: fc1 goes to DRAM too (so fc2 reads it there). With room
    for three, all stay."""
    two = _marks(keep_activations(_chain(), 4000, lambda _: 1.0))
    assert two == {"fc1": [], "fc2": ["outputs"], "fc3": ["inputs"], "add": []}
    three = _marks(keep_activations(_chain(), 6000, lambda _: 1.0))
    assert three["add"] == ["inputs"] and three["fc3"] == ["inputs", "outputs"]


def test_nothing_fits_returns_the_workload_itself():
    wl = _chain()
    assert keep_activations(wl, 1999, lambda _: 1.0) is wl


def _sliced(width: int):
    """a (width) -> slice s (its first quarter, a view) -> b reads s."""
    return build_workload("sliced", [
        Linear(name="a", in_features=64, out_features=width),
        Eltwise(name="s", kind="slice", shape=[width // 4], inputs=["a"]),
        Linear(name="b", in_features=width // 4, out_features=8, inputs=["s"]),
    ], precision="int8")


def test_a_view_is_its_source():
    """A slice moves nothing: kept exactly when its source is, taking no room of its own. Too
    big a source goes through DRAM, and its reader fetches the slice from there; a kept one
    serves the slice's reader on chip."""
    big = _marks(keep_activations(_sliced(4096), 4096, lambda _: 1.0))  # room for 2048 bytes
    assert big == {"a": [], "s": [], "b": []}
    small = _marks(keep_activations(_sliced(1024), 4096, lambda _: 1.0))
    assert small == {"a": ["outputs"], "s": ["inputs", "outputs"], "b": ["inputs"]}
    tpu = load_arch("tpu_v1")
    wl = _sliced(32 << 20)  # 32 MiB does not fit 24 MiB: same traffic as without keeping
    kept = evaluate(wl, tpu).totals["dram_bytes"]
    assert kept == evaluate(wl, load_arch("tpu_v1", ["activations=dram"])).totals["dram_bytes"]


def test_embedding_indices_stay_with_their_gather():
    from hwsim.workload.layers import EmbeddingBag

    wl = build_workload("emb", [
        Linear(name="ids", in_features=8, out_features=16),
        EmbeddingBag(name="e", num_tables=1, rows=1_000_000, dim=64, lookups=16,
                     inputs=["ids"]),
    ], precision="int8")
    assert _marks(keep_activations(wl, 1e9, lambda _: 1.0)) == {"ids": [], "e": []}


def test_fused_scores_are_left_to_the_fusion():
    """BERT's attention scores, fused, never exist whole: they take no room and no new mark."""
    from hwsim.workload.fusion import fuse_attention

    wl = fuse_attention(load_workload("bert_base_seq128"))
    kept = keep_activations(wl, 1e9, lambda _: 1.0)
    scores = kept.layer("encoder.0.scores")
    assert "outputs" in scores.on_chip  # the fusion's
    assert set(scores.on_chip) == {"inputs", "weights", "outputs"}  # q and k stayed on chip
    assert kept.layer("encoder.0.softmax").on_chip == ["inputs", "outputs"]  # unchanged


def test_tpu_v1_moves_only_weights_and_the_image():
    """TPU v1 (24 MiB unified buffer) on ResNet-50: DRAM carries the int8 weights (3x3 filter
    runs rounded up to 64-byte bursts) and the 224x224x3 image; the 2-4 MB activations of every
    layer stay; half the latency of writing them back."""
    wl = load_workload("resnet50")
    streamed = evaluate(wl, load_arch("tpu_v1", ["activations=dram"])).totals
    kept = evaluate(wl, load_arch("tpu_v1")).totals  # as bundled: activations on chip
    floor = wl.params() + 224 * 224 * 3
    assert floor <= kept["dram_bytes"] < 1.06 * floor
    assert kept["dram_bytes"] < 0.45 * streamed["dram_bytes"]
    assert kept["latency_s"] < streamed["latency_s"]
    assert kept["energy_j"] < streamed["energy_j"]


def test_the_report_says_where_operands_came_from():
    r = evaluate(load_workload("resnet18"), load_arch("tpu_v1"))
    rows = {row.name: row for row in r.layers}
    assert rows["conv1"].mapping["on_chip"] == ["outputs"]
    assert rows["layer1.0.add"].mapping["on_chip"] == ["inputs", "outputs"]
    assert rows["fc"].mapping["on_chip"] == ["inputs"]


def test_gpus_refuse_the_policy():
    with pytest.raises(SpecError, match="activations"):
        load_arch("a100", ["activations=on_chip"])


@settings(max_examples=25, deadline=None)
@given(kib=st.sampled_from([1, 16, 64, 256, 1024, 4096, 24576]))
def test_keeping_activations_never_costs_more(kib):
    """Whatever the buffer, keeping what fits moves no more DRAM bytes and takes no longer."""
    wl = load_workload("resnet18")
    sets = [f"buffers.1.capacity_kib={kib}"]
    base = evaluate(wl, load_arch("tpu_v1", [*sets, "activations=dram"])).totals
    kept = evaluate(wl, load_arch("tpu_v1", [*sets, "activations=on_chip"])).totals
    assert kept["dram_bytes"] <= base["dram_bytes"] * (1 + 1e-9)
    assert kept["latency_s"] <= base["latency_s"] * (1 + 1e-9)
