"""ONNX importer: the pruned test models exported by torch.onnx give the same workloads."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
torch = pytest.importorskip("torch")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from hwsim.arch.load import load_arch  # noqa: E402
from hwsim.cli import main  # noqa: E402
from hwsim.errors import HwsimError  # noqa: E402
from hwsim.evaluation import evaluate  # noqa: E402
from hwsim.importers import from_onnx, import_onnx, import_torch, save_workload  # noqa: E402
from hwsim.sparsity.spec import NM, Block, Unstructured  # noqa: E402
from hwsim.workload.io import load_workload  # noqa: E402
from tests.conftest import ARCH_DIR  # noqa: E402
from tests.importers import models  # noqa: E402


def _export(model, x, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy (TorchScript) exporter is deprecated
        torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=20)
    return path


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    d = tmp_path_factory.mktemp("onnx")
    return {"cnn": _export(models.pruned_resnet(), models.cnn_input(), d / "cnn.onnx"),
            "tf": _export(models.pruned_transformer(), models.seq_input(), d / "tf.onnx")}


def _same_as_torch(onnx_result, torch_result):
    """Layer for layer: op, MACs, params, edges (by position) and recognised patterns."""
    a, b = onnx_result.workload, torch_result.workload
    assert a.batch == b.batch
    assert [(x.op, x.macs(), x.params(), x.sparsity) for x in a.layers] == [
        (x.op, x.macs(), x.params(), x.sparsity) for x in b.layers]
    pos_a = {x.name: i for i, x in enumerate(a.layers)}
    pos_b = {x.name: i for i, x in enumerate(b.layers)}
    assert [[pos_a.get(p, p) for p in a.producers(x.name)] for x in a.layers] == [
        [pos_b.get(p, p) for p in b.producers(x.name)] for x in b.layers]
    assert sorted(pos_a[k] for k in a.masks) == sorted(pos_b[k] for k in b.masks)
    for k, m in a.masks.items():
        assert np.array_equal(m, b.masks[b.layers[pos_a[k]].name])


def test_cnn_matches_the_torch_import(exported):
    r = import_onnx(exported["cnn"])
    wl = r.workload
    assert wl.batch == 2 and wl.macs() == 2 * 1_913_152
    assert r.removed_channels == {"b1_conv1_Conv": (16, 12)}
    assert r.kept_zero_channels == {"b2_conv2_Conv": 16}
    assert wl.layer("b2_conv1_Conv").sparsity == Unstructured(sparsity=2765 / 4608)
    assert wl.layer("fc_Gemm").sparsity == NM(n=2, m=4)
    assert wl.layer("pool_GlobalAveragePool").global_
    _same_as_torch(r, import_torch(models.pruned_resnet(), models.cnn_input()))


def test_transformer_matches_the_torch_import(exported):
    r = import_onnx(exported["tf"])
    wl = r.workload
    assert wl.macs() == 2 * 61_440
    assert r.removed_channels == {"ff1_MatMul": (64, 48)}
    # MatMul + Add(bias) of a 3-d linear: one Linear with a bias, no extra add layer.
    q = wl.layer("q_MatMul")
    assert (q.op, q.in_features, q.out_features, q.tokens, q.bias) == ("linear", 32, 32, 8, True)
    assert q.sparsity == NM(n=2, m=4)
    assert wl.layer("o_MatMul").sparsity == Block(size=(4, 4), sparsity=0.75)
    scores = wl.layer("MatMul")
    assert (scores.m, scores.k, scores.n, scores.count) == (8, 8, 8, 4)
    assert wl.producers("MatMul") == ["q_MatMul", "k_MatMul"]
    _same_as_torch(r, import_torch(models.pruned_transformer(), models.seq_input()))


def test_export_is_lossless(exported, tmp_path):
    arch = load_arch(ARCH_DIR / "eyeriss.yaml")
    wl = from_onnx(exported["tf"])
    save_workload(wl, tmp_path / "tf.yaml")
    back = load_workload(tmp_path / "tf.yaml")
    assert back.layers == wl.layers
    assert evaluate(back, arch).totals == evaluate(wl, arch).totals


def _graph_with(op_type: str):
    """x[1,4,8,8] -> Conv(8 filters, 2 zero) -> op -> y, built with onnx.helper."""
    w = np.ones((8, 4, 3, 3), dtype=np.float32)
    w[[0, 5]] = 0.0
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node(op_type, ["c"], ["y"], name="odd")]
    g = helper.make_graph(nodes, "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(w, "w")])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def test_helper_graph_and_zero_filters_at_the_output():
    r = import_onnx(_graph_with("Relu"), name="tiny")
    wl = r.workload
    conv = wl.layer("conv")
    assert (conv.out_channels, conv.macs()) == (8, 8 * 36 * 64)  # the output keeps its size
    assert r.kept_zero_channels == {"conv": 2}
    assert conv.sparsity == Block(size=(1, 36), sparsity=0.25)


def test_unsupported_op_both_ways():
    model = _graph_with("Softsign")
    with pytest.raises(HwsimError, match=r"Softsign at node 'odd' \(ONNX Softsign\)"):
        from_onnx(model)
    with pytest.warns(UserWarning, match="Softsign"):
        wl = from_onnx(model, on_unsupported="skip")
    assert [layer.name for layer in wl.layers] == ["conv"]


def test_cli_import_onnx(exported, tmp_path, capsys):
    out = tmp_path / "cnn.yaml"
    assert main(["import", "onnx", str(exported["cnn"]), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "channel 50% (16 of 32 rows zero)" in text
    assert (tmp_path / "cnn.masks.npz").exists()
    assert load_workload(out).macs() == 2 * 1_913_152
    assert main(["import", "onnx", str(tmp_path / "missing.onnx"), "-o", str(out)]) == 2
