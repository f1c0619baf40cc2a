"""Layer shape math, the model zoo against published counts, YAML round trips, graph checks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwsim.errors import SpecError
from hwsim.workload import Conv2d, Linear, dump_workload, load_workload
from hwsim.workload.io import workload_from_data
from hwsim.workload.zoo import ZOO, resnet_cifar
from hwsim.yamlio import parse_yaml
from tests.conftest import WORKLOAD_DIR

# (MACs, params) published for each model. Published parameter counts include BatchNorm's
# scale and shift; the zoo folds BN into a conv bias, so it has one parameter per normalised
# channel fewer: the tolerance below covers that.
PUBLISHED = {
    "resnet18": (1.814e9, 11.69e6),  # torchvision: 1.81 GMACs, 11,689,512 params
    "resnet50": (4.089e9, 25.557e6),  # torchvision: 4.09 GMACs, 25,557,032 params
    "resnet110_cifar": (252.89e6, 1.728e6),  # HRank (Lin et al. CVPR 2020) table
    "vgg16_cifar": (313.2e6, 14.73e6),  # 13 conv + FC 512->10
    "mobilenet_v2": (300.8e6, 3.505e6),  # Sandler et al. 2018: 300 M MACs, 3.4-3.5 M params
    "alexnet": (724.4e6, 60.97e6),  # Caffe reference 2-group AlexNet, 227x227
    "vgg16": (15.47e9, 138.357544e6),  # torchvision: 15.47 GMACs, 138,357,544 params
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_zoo_matches_published_counts(name):
    wl = ZOO[name]()
    macs, params = PUBLISHED[name]
    assert wl.macs() == pytest.approx(macs, rel=2e-3)
    assert wl.params() == pytest.approx(params, rel=6e-3)


def test_exact_counts():
    lenet = ZOO["lenet5"]()
    assert lenet.macs() == 416_520  # 117600 + 240000 + 48000 + 10080 + 840
    assert lenet.params() == 61_706
    alex = ZOO["alexnet"]()
    assert sum(layer.macs() for layer in alex if layer.op == "conv2d") == 665_784_864
    bert = ZOO["bert_base_seq128"]()
    # 12 x (4*128*768^2 + 2*128*768*3072 + 2*12*128*128*64)
    assert bert.macs() == 11_173_625_856
    assert bert.params() == 12 * (4 * (768 * 768 + 768) + 2 * 768 * 3072 + 3072 + 768)
    dlrm = ZOO["dlrm_mlperf"]()
    emb = next(layer for layer in dlrm if layer.op == "embedding_bag")
    assert sum(emb.table_rows) == 187_767_399


@pytest.mark.parametrize("name", sorted(ZOO))
def test_bundled_yaml_in_sync_with_zoo(name):
    """workloads/*.yaml are what the zoo builders generate (regenerate with the zoo module)."""
    loaded = load_workload(WORKLOAD_DIR / f"{name}.yaml")
    built = ZOO[name]()
    assert loaded.layers == built.layers
    assert loaded.batch == built.batch


@pytest.mark.parametrize("name", ["resnet50", "bert_base_seq128", "dlrm_mlperf"])
def test_round_trip(name, tmp_path):
    wl = ZOO[name]()
    path = tmp_path / "w.yaml"
    dump_workload(wl, path)
    again = load_workload(path)
    assert again.layers == wl.layers
    assert again.macs() == wl.macs()


def test_residual_edges_form_a_dag():
    wl = ZOO["resnet18"]()
    assert wl.producers("layer1.0.add") == ["layer1.0.conv2", "maxpool"]
    assert wl.producers("layer2.0.add") == ["layer2.0.conv2", "layer2.0.downsample"]
    assert set(wl.consumers("maxpool")) == {"layer1.0.conv1", "layer1.0.add"}
    import networkx as nx

    g = nx.DiGraph(wl.graph.edges())
    assert nx.is_directed_acyclic_graph(g)
    assert sorted(g.successors("maxpool")) == sorted(wl.consumers("maxpool"))


@given(
    h=st.integers(1, 64), k=st.integers(1, 7), s=st.integers(1, 4), p=st.integers(0, 3),
    d=st.integers(1, 3),
)
def test_conv_output_size_matches_pytorch_formula(h, k, s, p, d):
    eff = d * (k - 1) + 1
    expected = (h + 2 * p - eff) // s + 1
    if expected <= 0:
        with pytest.raises(ValueError):
            Conv2d(name="c", in_channels=1, out_channels=1, kernel=k, stride=s, padding=p,
                   dilation=d, input_hw=h)
        return
    conv = Conv2d(name="c", in_channels=1, out_channels=1, kernel=k, stride=s, padding=p,
                  dilation=d, input_hw=h)
    assert conv.output_hw == (expected, expected)
    assert conv.macs() == k * k * expected * expected


def test_depthwise_and_grouped_counts():
    dw = Conv2d(name="dw", in_channels=32, out_channels=32, kernel=3, padding=1, groups=32,
                input_hw=112)
    assert dw.macs() == 32 * 9 * 112 * 112
    assert dw.params() == 32 * 9
    with pytest.raises(ValueError):
        Conv2d(name="g", in_channels=30, out_channels=32, kernel=3, groups=4, input_hw=8)


def test_pruned_cifar_resnet_is_smaller():
    dense = resnet_cifar(110)
    half = resnet_cifar(110, stage_widths=[[8] * 18, [16] * 18, [32] * 18], name="half")
    assert half.macs() < 0.6 * dense.macs()


BAD = """\
name: broken
layers:
  - name: c1
    op: conv2d
    in_channels: 3
    out_channels: 8
    kernel: 3
    input_hw: 32
  - name: fc
    op: linear
    in_features: 999
    out_features: 10
"""


def test_shape_mismatch_names_line_and_field():
    data, lines = parse_yaml(BAD, "bad.yaml")
    with pytest.raises(SpecError) as ei:
        workload_from_data(data, lines)
    msg = str(ei.value)
    assert msg.startswith("bad.yaml:9:")  # the fc layer's line
    assert "999" in msg or "expects" in msg


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("name: x\nlayers:\n  - name: a\n    op: conv2d\n    in_channels: -1\n"
         "    out_channels: 2\n    kernel: 1\n    input_hw: 4\n", 5, "in_channels"),
        ("name: x\nlayers:\n  - name: a\n    op: nonsense\n", 4, "op"),
        ("name: x\nlayers:\n  - name: a\n    op: linear\n    in_features: 4\n"
         "    out_features: 4\n    colour: red\n", 7, "colour"),
        ("name: x\nlayers:\n  - name: a\n    op: linear\n    in_features: 4\n"
         "    out_features: 4\n    inputs: [ghost]\n", 7, "ghost"),
        ("name: x\nlayers: [\n", 3, "invalid YAML"),
    ],
)
def test_bad_workloads_are_located(text, line, needle):
    with pytest.raises(SpecError) as ei:
        data, lines = parse_yaml(text, "w.yaml")
        workload_from_data(data, lines)
    msg = str(ei.value)
    assert f"w.yaml:{line}:" in msg, msg
    assert needle in msg


def test_linear_counts():
    fc = Linear(name="fc", in_features=512, out_features=1000, tokens=3)
    assert fc.macs() == 3 * 512 * 1000
    assert fc.params() == 512 * 1000 + 1000
