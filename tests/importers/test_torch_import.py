"""PyTorch importer: shapes, MACs by hand, masks, recognised patterns, export, CLI."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hwsim.arch.load import load_arch  # noqa: E402
from hwsim.cli import main  # noqa: E402
from hwsim.errors import HwsimError  # noqa: E402
from hwsim.evaluation import evaluate  # noqa: E402
from hwsim.importers import from_torch, import_torch, save_workload  # noqa: E402
from hwsim.sparsity.spec import NM, Block, Unstructured  # noqa: E402
from hwsim.workload.io import load_workload  # noqa: E402
from tests.conftest import ARCH_DIR  # noqa: E402
from tests.importers import models  # noqa: E402

# Hand counts per sample (16x16 input; b2 runs at 8x8; b1.conv1 keeps 12 of 16 filters).
CNN_MACS = {
    "stem": 16 * 3 * 9 * 256,
    "b1_conv1": 12 * 16 * 9 * 256,
    "b1_conv2": 16 * 12 * 9 * 256,
    "b2_conv1": 32 * 16 * 9 * 64,
    "b2_conv2": 32 * 32 * 9 * 64,
    "b2_down_0": 32 * 16 * 64,
    "fc": 32 * 10,
}
# Transformer per sample: 4 projections 8x32x32, two 4-head 8x8x8 matmuls, FFN 32->48->32.
TF_MACS = {"q": 8192, "k": 8192, "v": 8192, "o": 8192, "matmul": 4 * 8 * 8 * 8,
           "matmul_1": 4 * 8 * 8 * 8, "ff1": 8 * 32 * 48, "ff2": 8 * 48 * 32}


@pytest.fixture(scope="module")
def cnn():
    return import_torch(models.pruned_resnet(), models.cnn_input())


@pytest.fixture(scope="module")
def tf():
    return import_torch(models.pruned_transformer(), models.seq_input())


def test_cnn_graph_shapes_and_macs(cnn):
    wl = cnn.workload
    assert wl.batch == 2
    assert [layer.name for layer in wl.layers] == [
        "stem", "relu", "b1_conv1", "b1_relu", "b1_conv2", "add", "b1_relu_1", "b2_conv1",
        "b2_relu", "b2_conv2", "b2_down_0", "add_1", "b2_relu_1", "pool", "fc"]
    assert {n: wl.layer(n).macs() for n in CNN_MACS} == CNN_MACS
    assert wl.macs() == 2 * sum(CNN_MACS.values()) == 2 * 1_913_152
    # Residual joins: identity (b1) and 1x1 downsample (b2).
    assert wl.producers("add") == ["b1_conv2", "relu"]
    assert wl.producers("add_1") == ["b2_conv2", "b2_down_0"]
    assert wl.producers("b2_down_0") == ["b1_relu_1"]
    down = wl.layer("b2_down_0")
    assert (down.kernel, down.stride, down.input_hw, down.output_hw) == ((1, 1), (2, 2),
                                                                         (16, 16), (8, 8))
    # BatchNorm folded into each conv (a bias), no BN layer left.
    assert all(wl.layer(n).bias for n in ("stem", "b1_conv1", "b2_conv2", "b2_down_0"))
    pool = wl.layer("pool")
    assert (pool.kind, pool.global_, pool.channels, pool.input_hw) == ("avg", True, 32, (8, 8))
    assert wl.layer("b1_relu").shape == [12, 16, 16]


def test_cnn_masks_and_patterns(cnn):
    wl, rec = cnn.workload, cnn.recognised
    # ln_structured on b1.conv1: 4 zero filters removed, b1.conv2 drops the 4 inputs.
    assert cnn.removed_channels == {"b1_conv1": (16, 12)}
    assert wl.layer("b1_conv2").in_channels == 12
    assert rec["b1_conv1"].pattern == "dense" and "b1_conv1" not in wl.masks
    # ln_structured on b2.conv2 feeds the residual add: zeros kept in place, as a mask.
    assert cnn.kept_zero_channels == {"b2_conv2": 16}
    assert rec["b2_conv2"].pattern == "channel" and rec["b2_conv2"].zero_rows == 16
    assert wl.layer("b2_conv2").sparsity == Block(size=(1, 288), sparsity=0.5)
    assert wl.masks["b2_conv2"].shape == (32, 32, 3, 3)
    # l1_unstructured 60% of 4608 weights: round(0.6 * 4608) = 2765 zeros.
    assert wl.masks["b2_conv1"].sum() == 4608 - 2765
    assert wl.layer("b2_conv1").sparsity == Unstructured(sparsity=2765 / 4608)
    # 2:4 by custom_from_mask on the 1x1 downsample and the classifier.
    assert wl.layer("b2_down_0").sparsity == NM(n=2, m=4)
    assert wl.layer("fc").sparsity == NM(n=2, m=4)
    assert wl.masks["fc"].shape == (10, 32) and wl.masks["fc"].mean() == 0.5
    assert sorted(wl.masks) == ["b2_conv1", "b2_conv2", "b2_down_0", "fc"]


def test_transformer_graph_and_patterns(tf):
    wl, rec = tf.workload, tf.recognised
    assert {n: wl.layer(n).macs() for n in TF_MACS} == TF_MACS
    assert wl.macs() == 2 * 61_440
    scores = wl.layer("matmul")
    assert (scores.m, scores.k, scores.n, scores.count) == (8, 8, 8, 4)
    assert wl.producers("matmul") == ["q", "k"]
    assert wl.producers("matmul_1") == ["softmax", "v"]
    assert wl.layer("q").tokens == 8
    assert [wl.layer(n).kind for n in ("truediv", "softmax", "ln1", "act", "ln2")] == [
        "mul", "softmax", "layernorm", "gelu", "layernorm"]
    assert wl.producers("add") == ["input", "o"]
    assert tf.removed_channels == {"ff1": (64, 48)}
    assert wl.layer("ff2").in_features == 48 and wl.layer("act").shape == [8, 48]
    assert wl.layer("q").sparsity == NM(n=2, m=4)
    assert wl.layer("v").sparsity == Unstructured(sparsity=0.5)
    assert wl.layer("o").sparsity == Block(size=(4, 4), sparsity=0.75)
    assert rec["k"].pattern == "dense" and wl.layer("k").sparsity is None
    assert rec["q"].conforms_to == ((2, 4), (4, 8))


def test_structural_off_keeps_zero_filters_in_the_mask():
    r = import_torch(models.pruned_resnet(), models.cnn_input(), structural=False)
    wl = r.workload
    assert r.removed_channels == {}
    assert wl.layer("b1_conv1").out_channels == 16
    assert wl.layer("b1_conv1").sparsity == Block(size=(1, 144), sparsity=0.25)
    assert wl.masks["b1_conv1"].shape == (16, 16, 3, 3)
    assert r.kept_zero_channels == {"b1_conv1": 4, "b2_conv2": 16}


def test_export_is_lossless(cnn, tf, tmp_path):
    arch = load_arch(ARCH_DIR / "gemmini.yaml")
    for res, stem in ((cnn, "cnn"), (tf, "tf")):
        wl = res.workload
        path = tmp_path / f"{stem}.yaml"
        save_workload(wl, path)
        assert (tmp_path / f"{stem}.masks.npz").exists()
        back = load_workload(path)
        assert back.layers == wl.layers
        assert sorted(back.masks) == sorted(wl.masks)
        for k, m in wl.masks.items():
            assert np.array_equal(back.masks[k], m)
        a, b = evaluate(wl, arch), evaluate(back, arch)
        assert a.totals == b.totals
        assert a.layers == b.layers
        assert "real mask" in [r.sparsity for r in a.layers]


def test_embedding_and_embedding_bag():
    class Emb(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = torch.nn.Embedding(100, 16)
            self.bag = torch.nn.EmbeddingBag(50, 16, mode="sum")
            self.fc = torch.nn.Linear(16, 4)

        def forward(self, ids, bag_ids):
            return self.fc(self.tok(ids)), self.bag(bag_ids)

    wl = from_torch(Emb(), (torch.zeros(2, 6, dtype=torch.long),
                            torch.zeros(2, 5, dtype=torch.long)))
    tok, bag = wl.layer("tok"), wl.layer("bag")
    assert (tok.num_tables, tok.rows, tok.dim, tok.lookups) == (6, 100, 16, 1)
    assert (bag.num_tables, bag.rows, bag.dim, bag.lookups) == (1, 50, 16, 5)
    assert wl.layer("fc").tokens == 6


def test_grouped_dilated_and_depthwise_convs():
    net = torch.nn.Sequential(
        torch.nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=8),
        torch.nn.Conv2d(8, 16, 3, stride=2, groups=2),
        torch.nn.MaxPool2d(2),
    )
    wl = from_torch(net, torch.randn(1, 8, 12, 12))
    dw, g2, pool = wl.layers
    assert (dw.groups, dw.dilation, dw.output_hw, dw.macs()) == (8, (2, 2), (12, 12),
                                                                 8 * 9 * 144)
    assert (g2.groups, g2.output_hw, g2.macs()) == (2, (5, 5), 16 * 4 * 9 * 25)
    assert (pool.kind, pool.output_hw) == ("max", (2, 2))


def test_unsupported_op_is_refused_by_default():
    with pytest.raises(HwsimError, match=r"cumsum at node 'cumsum'"):
        from_torch(models.WithCumsum(), models.cnn_input())


def test_unsupported_op_can_be_skipped_with_a_warning():
    with pytest.warns(UserWarning, match="cumsum"):
        r = import_torch(models.WithCumsum(), models.cnn_input(), on_unsupported="skip")
    wl = r.workload
    assert [layer.name for layer in wl.layers] == ["conv", "fc"]
    assert wl.producers("fc") == ["conv"]  # same size: the edge goes around the skipped op
    assert wl.macs() == 2 * (8 * 27 * 256 + 8 * 256 * 4)
    assert len(r.skipped) == 1 and "torch.cumsum" in r.skipped[0]


def _write_models_file(tmp_path):
    src = tmp_path / "models.py"
    src.write_text("from tests.importers.models import ResNetMini, pruned_resnet\n")
    return src


def test_cli_import_torch_factory(tmp_path, capsys):
    src = _write_models_file(tmp_path)
    out = tmp_path / "out" / "net.yaml"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rc = main(["import", "torch", str(src), "--factory", "pruned_resnet",
                   "--input-shape", "2,3,16,16", "-o", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "removed 4 zero channels (16 -> 12)" in text
    assert "2:4" in text and "unstructured 60%" in text
    wl = load_workload(out)
    assert wl.masks_file == "net.masks.npz" and wl.macs() == 2 * 1_913_152


def test_cli_import_torch_checkpoint_keeps_prune_masks(tmp_path, capsys):
    src = _write_models_file(tmp_path)
    ckpt = tmp_path / "pruned.pt"
    torch.save(models.pruned_resnet().state_dict(), ckpt)  # weight_orig + weight_mask entries
    out = tmp_path / "net.yaml"
    rc = main(["import", "torch", str(src), "--model", "ResNetMini", "--checkpoint", str(ckpt),
               "--input-shape", "2,3,16,16", "-o", str(out)])
    assert rc == 0
    wl = load_workload(out)
    assert wl.layer("fc").sparsity == NM(n=2, m=4)
    assert wl.layer("b1_conv1").out_channels == 12


def test_cli_errors_are_one_line(tmp_path, capsys):
    src = _write_models_file(tmp_path)
    rc = main(["import", "torch", str(src), "--model", "Nope", "-o", str(tmp_path / "x.yaml")])
    assert rc == 2
    assert capsys.readouterr().err.strip() == f"hwsim: error: {src}: defines no 'Nope'"
