"""``evaluate(..., layers=...)``: the chosen layers are costed exactly as in a full run."""

from __future__ import annotations

import pytest

from hwsim import evaluate, load_arch, load_workload
from hwsim.errors import HwsimError
from hwsim.sparsity.spec import parse_sparsity


@pytest.mark.parametrize("arch", ["gemmini", "eyeriss", "a100"])
def test_chosen_layers_equal_the_full_run(arch):
    a, wl = load_arch(arch), load_workload("alexnet")
    spec = parse_sparsity("unstructured:sparsity=0.5")
    full = {r.name: r for r in evaluate(wl, a, batch=2, sparsity=spec).layers}
    part = evaluate(wl, a, batch=2, sparsity=spec, layers=["conv3", "pool1", "fc7"])
    assert [r.name for r in part.layers] == ["pool1", "conv3", "fc7"]  # network order
    for r in part.layers:
        assert r == full[r.name]
    assert part.totals["latency_s"] == pytest.approx(sum(r.latency_s for r in part.layers))


def test_unknown_layer_is_an_error():
    with pytest.raises(HwsimError, match=r"no layer \['conv9'\] in alexnet"):
        evaluate(load_workload("alexnet"), load_arch("gemmini"), layers=["conv1", "conv9"])


@pytest.mark.parametrize("bad", ["conv1", [], iter([])])
def test_a_string_or_no_layer_is_an_error(bad):
    with pytest.raises(HwsimError, match="layer"):
        evaluate(load_workload("alexnet"), load_arch("gemmini"), layers=bad)


def test_a_generator_of_names_is_read_once():
    r = evaluate(load_workload("alexnet"), load_arch("gemmini"),
                 layers=(n for n in ("conv1", "conv2")))
    assert [x.name for x in r.layers] == ["conv1", "conv2"]
