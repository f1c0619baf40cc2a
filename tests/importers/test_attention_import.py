"""PyTorch attention modules (MultiheadAttention, Transformer layers and stacks): hand-counted
MACs, parameters, layer graph, in_proj masks, and the same counts through ONNX and the CLI."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.nn.utils import prune  # noqa: E402

from hwsim.cli import main  # noqa: E402
from hwsim.errors import HwsimError  # noqa: E402
from hwsim.importers import import_torch, save_workload  # noqa: E402
from hwsim.workload.io import load_workload  # noqa: E402

B, L, S, E, H, F = 2, 16, 10, 64, 4, 128  # batch, length, memory length, model, heads, FFN
D = E // H


def mha_macs(lq: int, lk: int, kdim: int = E, vdim: int = E) -> int:
    """Per sample: q, k, v and output projections, scores and context (h * Lq * Lk * d each)."""
    return lq * E * E + lk * kdim * E + lk * vdim * E + lq * E * E + 2 * H * lq * lk * D


ENC_MACS = mha_macs(L, L) + 2 * L * E * F
DEC_MACS = mha_macs(L, L) + mha_macs(L, S) + 2 * L * E * F
ATTN = ["q_proj", "k_proj", "v_proj", "scores", "softmax", "context", "out_proj"]


def seq(length: int, batch_first: bool, features: int = E, seed: int = 1) -> torch.Tensor:
    shape = (B, length, features) if batch_first else (length, B, features)
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def weight_params(module: nn.Module) -> int:
    """Parameters of a module's linear layers (LayerNorm affine parameters are not counted:
    hwsim's element-wise layers have none)."""
    return sum(p.numel() for n, p in module.named_parameters() if "norm" not in n)


def encoder_layer(norm_first: bool = False, batch_first: bool = True,
                  **kw) -> nn.TransformerEncoderLayer:
    torch.manual_seed(0)
    return nn.TransformerEncoderLayer(E, H, F, batch_first=batch_first, norm_first=norm_first,
                                      **kw).eval()


def decoder_layer(norm_first: bool = False, batch_first: bool = True) -> nn.Module:
    torch.manual_seed(0)
    return nn.TransformerDecoderLayer(E, H, F, batch_first=batch_first, norm_first=norm_first,
                                      activation="gelu").eval()


def encoder_stack(batch_first: bool = True) -> nn.TransformerEncoder:
    return nn.TransformerEncoder(encoder_layer(batch_first=batch_first), 2,
                                 enable_nested_tensor=False).eval()


class Attend(nn.Module):
    """MultiheadAttention called as ``attn(q, k, v)``, returning its output and weights."""

    def __init__(self, average: bool = True, **kw) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.attn = nn.MultiheadAttention(E, H, batch_first=True, **kw)
        self.average = average

    def forward(self, q, k, v):
        return self.attn(q, k, v, average_attn_weights=self.average)


# ---- PyTorch -------------------------------------------------------------------------------
@pytest.mark.parametrize("batch_first", [True, False])
def test_multihead_attention(batch_first):
    torch.manual_seed(0)
    m = nn.MultiheadAttention(E, H, batch_first=batch_first).eval()
    wl = import_torch(m, seq(L, batch_first)).workload  # one input: self-attention
    assert wl.batch == B
    assert [x.name for x in wl.layers] == ATTN
    q = wl.layer("q_proj")
    assert (q.in_features, q.out_features, q.tokens, q.bias) == (E, E, L, True)
    scores, ctx = wl.layer("scores"), wl.layer("context")
    assert (scores.m, scores.k, scores.n, scores.count) == (L, D, L, H)
    assert (ctx.m, ctx.k, ctx.n, ctx.count) == (L, L, D, H)
    assert (wl.layer("softmax").kind, wl.layer("softmax").shape) == ("softmax", [H, L, L])
    assert wl.producers("scores") == ["q_proj", "k_proj"]
    assert wl.producers("context") == ["softmax", "v_proj"]
    assert wl.producers("out_proj") == ["context"] and wl.layer("out_proj").tokens == L
    assert all(wl.producers(p) == ["input"] for p in ("q_proj", "k_proj", "v_proj"))
    assert scores.macs() == ctx.macs() == H * L * L * D
    assert wl.macs() == B * (4 * L * E * E + 2 * H * L * L * D) == B * mha_macs(L, L)
    assert wl.params() == sum(p.numel() for p in m.parameters())


def test_cross_attention_with_kdim_vdim_and_weights():
    m = Attend(kdim=32, vdim=48).eval()
    r = import_torch(m, (seq(L, True), seq(S, True, 32, 2), seq(S, True, 48, 3)))
    wl = r.workload
    k, v = wl.layer("attn.k_proj"), wl.layer("attn.v_proj")
    assert (k.in_features, k.tokens, v.in_features, v.tokens) == (32, S, 48, S)
    assert wl.producers("attn.k_proj") == ["input"]
    s = wl.layer("attn.scores")
    assert (s.m, s.k, s.n, s.count) == (L, D, S, H)
    assert wl.macs() == B * mha_macs(L, S, 32, 48)
    assert wl.params() == sum(p.numel() for p in m.parameters())
    # The returned weights, averaged over the heads: an add of H operands of the softmax.
    avg = wl.layer("attn.attn_weights")
    assert (avg.kind, avg.shape, avg.operands) == ("add", [L, S], H)
    assert wl.producers("attn.attn_weights") == ["attn.softmax"]
    # Per-head weights are the softmax itself.
    per_head = import_torch(Attend(average=False), (seq(L, True), seq(S, True, E, 2),
                                                    seq(S, True, E, 3))).workload
    assert "attn.attn_weights" not in [x.name for x in per_head.layers]


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer(norm_first):
    m = encoder_layer(norm_first)
    wl = import_torch(m, seq(L, True)).workload
    attn = [f"self_attn.{n}" for n in ATTN]
    ffn = ["linear1", "activation", "linear2"]
    if norm_first:
        names = ["norm1", *attn, "add1", "norm2", *ffn, "add2"]
        assert wl.producers("self_attn.q_proj") == ["norm1"]
        assert wl.producers("add2") == ["add1", "linear2"]
        assert wl.producers("norm2") == ["add1"]
    else:
        names = [*attn, "add1", "norm1", *ffn, "add2", "norm2"]
        assert wl.producers("self_attn.q_proj") == ["input"]
        assert wl.producers("linear1") == ["norm1"]
        assert wl.producers("add2") == ["norm1", "linear2"]
    assert [x.name for x in wl.layers] == names
    assert wl.producers("add1") == ["input", "self_attn.out_proj"]
    assert [wl.layer(n).kind for n in ("norm1", "norm2", "activation", "add1")] == [
        "layernorm", "layernorm", "relu", "add"]
    ff1, ff2 = wl.layer("linear1"), wl.layer("linear2")
    assert (ff1.in_features, ff1.out_features, ff1.tokens) == (E, F, L)
    assert ff1.macs() + ff2.macs() == 2 * L * E * F
    assert wl.macs() == B * ENC_MACS
    assert wl.params() == weight_params(m)


def test_encoder_stack_and_nesting():
    m = encoder_stack()
    wl = import_torch(m, seq(L, True)).workload
    assert wl.macs() == B * 2 * ENC_MACS and wl.params() == weight_params(m)
    assert wl.layers[0].name == "layers.0.self_attn.q_proj"
    assert wl.producers("layers.1.self_attn.q_proj") == ["layers.0.norm2"]
    assert wl.layers[-1].name == "layers.1.norm2"

    class Net(nn.Module):  # a sequence-first stack between user layers: batch = axis 1
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Linear(8, E)
            self.enc = encoder_stack(batch_first=False)
            self.head = nn.Linear(E, 3)

        def forward(self, x):
            return self.head(self.enc(self.embed(x)))

    net = Net().eval()
    r = import_torch(net, seq(L, False, 8))
    wl = r.workload
    assert wl.batch == B
    assert wl.producers("enc.layers.0.self_attn.k_proj") == ["embed"]
    assert wl.producers("head") == ["enc.layers.1.norm2"]
    assert wl.macs() == B * (2 * ENC_MACS + L * 8 * E + L * E * 3)
    assert wl.params() == weight_params(net)


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_with_a_longer_target_than_memory(norm_first):
    m = decoder_layer(norm_first)
    wl = import_torch(m, (seq(L, True), seq(S, True, seed=2))).workload
    cross = "multihead_attn"
    k = wl.layer(f"{cross}.k_proj")
    assert (k.tokens, wl.layer(f"{cross}.q_proj").tokens) == (S, L)
    assert wl.producers(f"{cross}.k_proj") == wl.producers(f"{cross}.v_proj") == ["input"]
    s = wl.layer(f"{cross}.scores")
    assert (s.m, s.k, s.n, s.count) == (L, D, S, H)
    assert wl.layer("activation").kind == "gelu"
    assert wl.producers(f"{cross}.q_proj") == ["norm2" if norm_first else "norm1"]
    assert [wl.layer(f"add{i}").kind for i in (1, 2, 3)] == ["add"] * 3
    assert wl.macs() == B * DEC_MACS
    assert wl.params() == weight_params(m)


def test_transformer():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nested-tensor notice of nn.Transformer
        m = nn.Transformer(E, H, 1, 1, F, batch_first=True).eval()
    wl = import_torch(m, (seq(S, True), seq(L, True, seed=2))).workload
    enc = mha_macs(S, S) + 2 * S * E * F
    assert wl.macs() == B * (enc + DEC_MACS)
    assert wl.producers("decoder.layers.0.multihead_attn.k_proj") == ["encoder.norm"]
    assert wl.params() == weight_params(m)


def test_masks_and_causal_change_no_count():
    class Causal(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = encoder_layer()

        def forward(self, x, mask):
            return self.layer(x, src_mask=mask, is_causal=True)

    mask = nn.Transformer.generate_square_subsequent_mask(L)
    assert import_torch(Causal(), (seq(L, True), mask)).workload.macs() == B * ENC_MACS


def test_pruned_q_rows_reach_q_proj_only():
    m = encoder_layer()
    keep = torch.ones(3 * E, E)
    keep[: E // 2] = 0  # half the rows of the q block of in_proj_weight
    prune.custom_from_mask(m.self_attn, "in_proj_weight", keep)
    prune.ln_structured(m.linear1, "weight", amount=0.25, n=2, dim=0)  # 32 of 128 features
    r = import_torch(m, seq(L, True))
    wl, rec = r.workload, r.recognised
    assert rec["self_attn.q_proj"].density == 0.5
    assert rec["self_attn.k_proj"].pattern == rec["self_attn.v_proj"].pattern == "dense"
    assert wl.masks["self_attn.q_proj"].shape == (E, E)
    assert not wl.masks["self_attn.q_proj"][: E // 2].any()
    # The zero q rows stay in place (the score matmul cannot drop them); the FFN shrinks.
    assert wl.layer("self_attn.q_proj").out_features == E
    assert r.kept_zero_channels == {"self_attn.q_proj": E // 2}
    assert r.removed_channels == {"linear1": (F, 96)}
    assert wl.layer("linear2").in_features == 96 and wl.layer("activation").shape == [L, 96]
    # Unstructured pruning of the packed weight: each projection gets its own rows' zeros.
    m = encoder_layer()
    prune.l1_unstructured(m.self_attn, "in_proj_weight", amount=0.5)
    wl = import_torch(m, seq(L, True)).workload
    full = m.self_attn.in_proj_weight_mask.numpy() != 0
    for i, part in enumerate(("q_proj", "k_proj", "v_proj")):
        assert np.array_equal(wl.masks[f"self_attn.{part}"], full[i * E:(i + 1) * E])


def test_separate_projection_weights_keep_their_masks():
    m = Attend(kdim=32, vdim=E).eval()
    prune.l1_unstructured(m.attn, "k_proj_weight", amount=0.5)
    r = import_torch(m, (seq(L, True), seq(S, True, 32, 2), seq(S, True, E, 3)))
    assert r.recognised["attn.k_proj"].density == 0.5
    assert r.recognised["attn.q_proj"].density == r.recognised["attn.v_proj"].density == 1.0
    assert r.workload.masks["attn.k_proj"].shape == (E, 32)


def test_unsupported_variants_are_named():
    with pytest.raises(HwsimError, match=r"MultiheadAttention \(the model\): add_bias_kv"):
        import_torch(nn.MultiheadAttention(E, H, add_bias_kv=True), seq(L, False))
    odd = encoder_layer(activation=torch.nn.functional.softplus)
    with pytest.raises(HwsimError, match="activation softplus of 'activation'"):
        import_torch(odd, seq(L, True))
    with pytest.warns(UserWarning, match="activation softplus"):
        wl = import_torch(odd, seq(L, True), on_unsupported="skip").workload
    assert wl.producers("linear2") == ["linear1"]


def test_export_with_dotted_names_is_lossless(tmp_path):
    m = encoder_stack()
    prune.l1_unstructured(m.layers[1].self_attn, "in_proj_weight", amount=0.3)
    wl = import_torch(m, seq(L, True)).workload
    save_workload(wl, tmp_path / "enc.yaml")
    back = load_workload(tmp_path / "enc.yaml")
    assert back.layers == wl.layers and sorted(back.masks) == sorted(wl.masks)
    assert "layers.1.self_attn.v_proj" in back.masks


# ---- ONNX ----------------------------------------------------------------------------------
class Exported(nn.Module):
    """What torch.onnx exports: the module called with positional inputs, first output only
    (TorchScript export of a bare TransformerEncoderLayer fails on its default arguments)."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.m = module

    def forward(self, *xs):
        out = self.m(*xs)
        return out[0] if isinstance(out, tuple) else out


def export(module, inputs, path, opset=17, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy (TorchScript) exporter is deprecated
        torch.onnx.export(Exported(module).eval(), inputs, str(path), dynamo=False,
                          opset_version=opset, **kw)
    return path


def _ops(wl):
    """(op, MACs, params) of the MAC layers, in a canonical order."""
    return sorted((x.op, x.macs(), x.params()) for x in wl.layers if x.op in ("linear", "matmul"))


CASES = {
    "mha": lambda bf: (nn.MultiheadAttention(E, H, batch_first=bf), (seq(L, bf),) * 3),
    "cross_mha": lambda bf: (nn.MultiheadAttention(E, H, batch_first=bf),
                             (seq(L, bf), seq(S, bf, seed=2), seq(S, bf, seed=2))),
    "encoder": lambda bf: (encoder_layer(batch_first=bf), (seq(L, bf),)),
    "encoder_norm_first": lambda bf: (encoder_layer(True, bf), (seq(L, bf),)),
    "stack": lambda bf: (encoder_stack(bf), (seq(L, bf),)),
    "decoder": lambda bf: (decoder_layer(batch_first=bf), (seq(L, bf), seq(S, bf, seed=2))),
}


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("case", sorted(CASES))
def test_onnx_gives_the_torch_counts(case, batch_first, tmp_path):
    pytest.importorskip("onnx")
    from hwsim.importers import import_onnx

    torch.manual_seed(0)
    module, inputs = CASES[case](batch_first)
    module.eval()
    tw = import_torch(module, inputs).workload
    # A sequence-first graph's first axis is the length: the batch is given.
    ow = import_onnx(export(module, inputs, tmp_path / "m.onnx"), batch=B).workload
    assert ow.batch == tw.batch == B
    assert ow.macs() == tw.macs() and ow.params() == tw.params()
    assert _ops(ow) == _ops(tw)
    mm = sorted((x.m, x.k, x.n, x.count) for x in ow.layers if x.op == "matmul")
    assert mm == sorted((x.m, x.k, x.n, x.count) for x in tw.layers if x.op == "matmul")


def test_onnx_packed_projection_splits_with_its_mask(tmp_path):
    pytest.importorskip("onnx")
    from hwsim.importers import import_onnx

    m = encoder_layer()
    keep = torch.ones(3 * E, E)
    keep[: E // 2] = 0
    prune.custom_from_mask(m.self_attn, "in_proj_weight", keep)
    r = import_onnx(export(m, (seq(L, True),), tmp_path / "p.onnx", opset=20))
    wl = r.workload
    # One [E, 3E] MatMul + Reshape/Transpose/Gather in the graph: three linears here.
    parts = [f"m_self_attn_MatMul.{i}" for i in range(3)]
    assert [x.name for x in wl.layers[:3]] == parts
    assert all((wl.layer(p).out_features, wl.layer(p).tokens, wl.layer(p).bias) == (E, L, True)
               for p in parts)
    assert [r.recognised[p].density for p in parts] == [0.5, 1.0, 1.0]
    assert r.kept_zero_channels == {parts[0]: E // 2}
    torch_masks = import_torch(m, seq(L, True)).workload.masks
    assert np.array_equal(wl.masks[parts[0]], torch_masks["self_attn.q_proj"])
    assert wl.producers("m_self_attn_MatMul_1") == ["m_self_attn_Mul", "m_self_attn_Mul_1"]


def test_onnx_symbolic_batch_and_sequence_first_hint(tmp_path):
    pytest.importorskip("onnx")
    from hwsim.importers import import_onnx

    m = decoder_layer()
    path = export(m, (seq(L, True), seq(S, True, seed=2)), tmp_path / "dyn.onnx",
                  input_names=["tgt", "memory"],
                  dynamic_axes={"tgt": {0: "batch"}, "memory": {0: "batch"}})
    wl = import_onnx(path, batch=3).workload
    assert wl.batch == 3 and wl.macs() == 3 * DEC_MACS
    seq_first = export(encoder_layer(batch_first=False), (seq(L, False),), tmp_path / "sf.onnx")
    with pytest.raises(HwsimError, match="sequence-first model"):
        import_onnx(seq_first)


def test_cli_import_onnx_encoder_layer(tmp_path, capsys):
    pytest.importorskip("onnx")
    path = export(encoder_layer(), (seq(L, True),), tmp_path / "enc.onnx")
    out = tmp_path / "enc.yaml"
    assert main(["import", "onnx", str(path), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "m_self_attn_MatMul.2" in text and "matmul" in text
    assert load_workload(out).macs() == B * ENC_MACS
    sf = export(encoder_layer(batch_first=False), (seq(L, False),), tmp_path / "sf.onnx")
    assert main(["import", "onnx", str(sf), "--batch", str(B), "-o", str(out)]) == 0
    assert load_workload(out).macs() == B * ENC_MACS


def _packed_graph(select: str):
    """x[1, 8, 16] -> MatMul(W[16, 48], zeros in column 20) -> ``select`` -> Add -> Mul."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    w = np.ones((16, 48), dtype=np.float32)
    w[:, 20] = 0.0  # output feature 20: in the second third
    nodes = [helper.make_node("MatMul", ["x", "w"], ["h"], name="mm")]
    inits = [numpy_helper.from_array(w, "w")]
    if select == "split":
        nodes.append(helper.make_node("Split", ["h", "sizes"], ["a", "b", "c"], name="split",
                                      axis=-1))
        inits.append(numpy_helper.from_array(np.array([16, 16, 16], dtype=np.int64), "sizes"))
    elif select == "slice":
        for out, lo, hi in (("a", 0, 16), ("b", 16, 32), ("c", 32, 48)):
            nodes.append(helper.make_node("Slice", ["h", f"{out}0", f"{out}1", "ax"], [out],
                                          name=f"slice_{out}"))
            inits += [numpy_helper.from_array(np.array([lo]), f"{out}0"),
                      numpy_helper.from_array(np.array([hi]), f"{out}1")]
        inits.append(numpy_helper.from_array(np.array([-1]), "ax"))
    else:  # the first token: not whole features
        nodes.append(helper.make_node("Gather", ["h", "i0"], ["a"], name="token", axis=1))
        inits.append(numpy_helper.from_array(np.array(0), "i0"))
        nodes += [helper.make_node("Relu", ["a"], ["y"], name="relu")]
    if select != "token":
        nodes += [helper.make_node("Add", ["a", "b"], ["s"], name="add"),
                  helper.make_node("Mul", ["s", "c"], ["y"], name="mul")]
    g = helper.make_graph(nodes, "packed",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 16])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(g, opset_imports=[onnx.helper.make_opsetid("", 17)])


@pytest.mark.parametrize("select", ["split", "slice"])
def test_onnx_split_or_slice_of_a_linear_makes_one_layer_per_part(select):
    from hwsim.importers import import_onnx

    r = import_onnx(_packed_graph(select))
    wl = r.workload
    assert [x.name for x in wl.layers] == ["mm.0", "mm.1", "mm.2", "add", "mul"]
    assert all((wl.layer(f"mm.{i}").in_features, wl.layer(f"mm.{i}").out_features,
                wl.layer(f"mm.{i}").tokens) == (16, 16, 8) for i in range(3))
    assert wl.producers("add") == ["mm.0", "mm.1"] and wl.producers("mul") == ["add", "mm.2"]
    assert wl.macs() == 8 * 16 * 48
    assert list(r.kept_zero_channels) == ["mm.1"]  # feature 20 = row 4 of the second part
    assert not wl.masks["mm.1"][4].any() and "mm.0" not in wl.masks


def test_onnx_selection_of_tokens_is_unsupported():
    from hwsim.importers import from_onnx

    with pytest.raises(HwsimError, match="Gather that does not take whole output features"):
        from_onnx(_packed_graph("token"))
