"""Model zoo: builders for the bundled workloads (``python -m hwsim.workload.zoo OUTDIR``).

Shapes follow the reference implementations (torchvision for ImageNet models, He et al. 2016
for CIFAR ResNets, Simonyan & Zisserman 2015 adapted to CIFAR, LeCun et al. 1998, Devlin et al.
2019, the MLPerf DLRM reference). BatchNorm is folded into the convolution (its shift becomes
the conv bias) and ReLU fused into the producing layer, as inference compilers do; residual
additions are explicit element-wise layers. Published parameter counts include BatchNorm's scale
and shift, so folded counts are lower by one parameter per normalised channel.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hwsim.errors import HwsimError
from hwsim.workload.graph import INPUT, Workload, build_workload
from hwsim.workload.io import dump_workload
from hwsim.workload.layers import (
    Conv2d,
    Eltwise,
    EmbeddingBag,
    Layer,
    Linear,
    Matmul,
    Pool,
    PoolKind,
)
from hwsim.workload.llm import Phase, llm_workload, load_llm_config
from hwsim.workload.summary import write_index


@dataclass(frozen=True)
class T:
    """A feature map: producing layer name and its (channels, height, width)."""

    name: str
    c: int
    h: int
    w: int


class _Net:
    """Accumulates layers while tracking feature-map shapes."""

    def __init__(self) -> None:
        self.layers: list[Layer] = []

    def conv(
        self, name: str, x: T, cout: int, k: int, stride: int = 1, pad: int | None = None,
        groups: int = 1, bias: bool = True,
    ) -> T:
        if pad is None:
            pad = k // 2
        layer = Conv2d(
            name=name, inputs=[x.name], in_channels=x.c, out_channels=cout, kernel=(k, k),
            stride=(stride, stride), padding=(pad, pad), groups=groups, input_hw=(x.h, x.w),
            bias=bias,
        )
        self.layers.append(layer)
        p, q = layer.output_hw
        return T(name, cout, p, q)

    def pool(self, name: str, x: T, k: int, stride: int, pad: int = 0,
             kind: PoolKind = "max") -> T:
        layer = Pool(name=name, inputs=[x.name], kind=kind, channels=x.c, input_hw=(x.h, x.w),
                     kernel=(k, k), stride=(stride, stride), padding=(pad, pad))
        self.layers.append(layer)
        p, q = layer.output_hw
        return T(name, x.c, p, q)

    def gap(self, name: str, x: T) -> T:
        self.layers.append(Pool(name=name, inputs=[x.name], kind="avg", channels=x.c,
                                input_hw=(x.h, x.w), global_=True))
        return T(name, x.c, 1, 1)

    def add(self, name: str, a: T, b: T) -> T:
        self.layers.append(Eltwise(name=name, inputs=[a.name, b.name], kind="add",
                                   shape=[a.c, a.h, a.w]))
        return T(name, a.c, a.h, a.w)

    def linear(self, name: str, x_name: str, fin: int, fout: int, tokens: int = 1,
               bias: bool = True) -> str:
        self.layers.append(Linear(name=name, inputs=[x_name], in_features=fin,
                                  out_features=fout, tokens=tokens, bias=bias))
        return name


def _workload(name: str, net: _Net, batch: int, description: str, source: str) -> Workload:
    return build_workload(name, net.layers, batch=batch, description=description, source=source)


def resnet_imagenet(depth: int) -> Workload:
    """ResNet-18/34 (basic blocks) or ResNet-50/101/152 (bottlenecks), torchvision v1.5."""
    cfg = {18: ("basic", [2, 2, 2, 2]), 34: ("basic", [3, 4, 6, 3]),
           50: ("bottleneck", [3, 4, 6, 3]), 101: ("bottleneck", [3, 4, 23, 3]),
           152: ("bottleneck", [3, 8, 36, 3])}
    block, counts = cfg[depth]
    net = _Net()
    x = net.conv("conv1", T(INPUT, 3, 224, 224), 64, 7, stride=2, pad=3)
    x = net.pool("maxpool", x, 3, 2, pad=1)
    expansion = 1 if block == "basic" else 4
    for stage, (n, width) in enumerate(zip(counts, [64, 128, 256, 512]), start=1):
        for b in range(n):
            stride = 2 if (b == 0 and stage > 1) else 1
            pre = f"layer{stage}.{b}"
            identity = x
            if block == "basic":
                y = net.conv(f"{pre}.conv1", x, width, 3, stride)
                y = net.conv(f"{pre}.conv2", y, width, 3)
            else:
                y = net.conv(f"{pre}.conv1", x, width, 1)
                y = net.conv(f"{pre}.conv2", y, width, 3, stride)
                y = net.conv(f"{pre}.conv3", y, width * expansion, 1)
            if stride != 1 or x.c != width * expansion:
                identity = net.conv(f"{pre}.downsample", x, width * expansion, 1, stride, pad=0)
            x = net.add(f"{pre}.add", y, identity)
    x = net.gap("avgpool", x)
    net.linear("fc", x.name, x.c, 1000)
    return _workload(f"resnet{depth}", net, 1, f"ResNet-{depth} for ImageNet (224x224)",
                     "He et al., CVPR 2016; torchvision.models.resnet (stride on the 3x3)")


def resnet_cifar(depth: int = 110, widths: tuple[int, int, int] = (16, 32, 64),
                 stage_widths: list[list[int]] | None = None, name: str | None = None) -> Workload:
    """CIFAR ResNet (6n+2 layers, basic blocks, option-A identity shortcuts).

    ``stage_widths`` gives the inner (first-conv) width of every block, for channel-pruned
    variants; block outputs keep the stage width so residual joins stay consistent.
    """
    n = (depth - 2) // 6
    if 6 * n + 2 != depth:
        raise ValueError("CIFAR ResNet depth must be 6n+2")
    net = _Net()
    x = net.conv("conv1", T(INPUT, 3, 32, 32), widths[0], 3)
    for stage in range(3):
        for b in range(n):
            stride = 2 if (b == 0 and stage > 0) else 1
            pre = f"layer{stage + 1}.{b}"
            inner = stage_widths[stage][b] if stage_widths else widths[stage]
            y = net.conv(f"{pre}.conv1", x, inner, 3, stride)
            y = net.conv(f"{pre}.conv2", y, widths[stage], 3)
            identity = x
            if stride != 1 or x.c != widths[stage]:
                # Option A: subsample and zero-pad channels; no parameters, no MACs.
                net.layers.append(Eltwise(name=f"{pre}.shortcut", inputs=[x.name], kind="pad",
                                          shape=[widths[stage], y.h, y.w], operands=1))
                identity = T(f"{pre}.shortcut", widths[stage], y.h, y.w)
            x = net.add(f"{pre}.add", y, identity)
    x = net.gap("avgpool", x)
    net.linear("fc", x.name, x.c, 10)
    return _workload(name or f"resnet{depth}_cifar", net, 1,
                     f"ResNet-{depth} for CIFAR-10 (32x32)", "He et al., CVPR 2016, Sec. 4.2")


def vgg16_cifar() -> Workload:
    """VGG-16 with batch norm for CIFAR-10: 13 conv layers and one 512->10 classifier."""
    cfg: list[int | str] = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
                            512, 512, 512, "M"]
    net = _Net()
    x = T(INPUT, 3, 32, 32)
    i = 0
    for v in cfg:
        if isinstance(v, str):  # "M": 2x2 max pooling
            x = net.pool(f"pool{i}", x, 2, 2)
        else:
            i += 1
            x = net.conv(f"conv{i}", x, v, 3)
    net.linear("fc", x.name, x.c * x.h * x.w, 10)
    return _workload("vgg16_cifar", net, 1, "VGG-16 for CIFAR-10 (32x32)",
                     "Simonyan & Zisserman, ICLR 2015; CIFAR variant with one FC layer")


def vgg16() -> Workload:
    """VGG-16 for ImageNet (configuration D, 224x224): 13 3x3 convolutions with bias in five
    blocks, each closed by 2x2 max pooling, then fc6-fc8 (138,357,544 parameters; Eyeriss's
    second benchmark, its layers named as the JSSC 2017 paper names them: conv1_1 ...)."""
    blocks = [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]
    net = _Net()
    x = T(INPUT, 3, 224, 224)
    for b, (width, n) in enumerate(blocks, start=1):
        for i in range(1, n + 1):
            x = net.conv(f"conv{b}_{i}", x, width, 3, bias=True)
        x = net.pool(f"pool{b}", x, 2, 2)
    f = net.linear("fc6", x.name, x.c * x.h * x.w, 4096)
    f = net.linear("fc7", f, 4096, 4096)
    net.linear("fc8", f, 4096, 1000)
    return _workload("vgg16", net, 1, "VGG-16 for ImageNet (224x224, configuration D)",
                     "Simonyan & Zisserman, ICLR 2015; torchvision vgg16 shapes")


def lenet5() -> Workload:
    """LeNet-5 on 32x32 inputs (LeCun et al. 1998), max pooling."""
    net = _Net()
    x = net.conv("conv1", T(INPUT, 1, 32, 32), 6, 5, pad=0, bias=True)
    x = net.pool("pool1", x, 2, 2)
    x = net.conv("conv2", x, 16, 5, pad=0, bias=True)
    x = net.pool("pool2", x, 2, 2)
    f = net.linear("fc1", x.name, x.c * x.h * x.w, 120)
    f = net.linear("fc2", f, 120, 84)
    net.linear("fc3", f, 84, 10)
    return _workload("lenet5", net, 1, "LeNet-5 (32x32 grey input)",
                     "LeCun et al., Proc. IEEE 1998")


def mobilenet_v2() -> Workload:
    """MobileNetV2 1.0 for ImageNet (Sandler et al., CVPR 2018; torchvision)."""
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    net = _Net()
    x = net.conv("features.0", T(INPUT, 3, 224, 224), 32, 3, stride=2)
    idx = 1
    for t, c, n, s in settings:
        for i in range(n):
            stride = s if i == 0 else 1
            pre = f"features.{idx}"
            inp = x
            y = x
            if t != 1:
                y = net.conv(f"{pre}.expand", y, x.c * t, 1)
            y = net.conv(f"{pre}.dw", y, y.c, 3, stride, groups=y.c)
            y = net.conv(f"{pre}.project", y, c, 1)
            x = net.add(f"{pre}.add", y, inp) if stride == 1 and inp.c == c else y
            idx += 1
    x = net.conv(f"features.{idx}", x, 1280, 1)
    x = net.gap("avgpool", x)
    net.linear("classifier", x.name, 1280, 1000)
    return _workload("mobilenet_v2", net, 1, "MobileNetV2 1.0 for ImageNet (224x224)",
                     "Sandler et al., CVPR 2018; torchvision.models.mobilenet_v2")


def bert_base(seq: int = 128, layers: int = 12, hidden: int = 768, heads: int = 12,
              ffn: int = 3072) -> Workload:
    """BERT-base encoder stack at sequence length ``seq`` (embeddings excluded)."""
    d = hidden // heads
    L: list[Layer] = []
    x = INPUT
    for i in range(layers):
        p = f"encoder.{i}"
        for proj in ("query", "key", "value"):
            L.append(Linear(name=f"{p}.{proj}", inputs=[x], in_features=hidden,
                            out_features=hidden, tokens=seq))
        L.append(Matmul(name=f"{p}.scores", inputs=[f"{p}.query", f"{p}.key"], m=seq, k=d,
                        n=seq, count=heads))
        L.append(Eltwise(name=f"{p}.softmax", inputs=[f"{p}.scores"], kind="softmax",
                         shape=[heads, seq, seq]))
        L.append(Matmul(name=f"{p}.context", inputs=[f"{p}.softmax", f"{p}.value"], m=seq,
                        k=seq, n=d, count=heads))
        L.append(Linear(name=f"{p}.attn_out", inputs=[f"{p}.context"], in_features=hidden,
                        out_features=hidden, tokens=seq))
        L.append(Eltwise(name=f"{p}.attn_add", inputs=[f"{p}.attn_out", x], kind="add",
                         shape=[seq, hidden]))
        L.append(Eltwise(name=f"{p}.attn_norm", kind="layernorm", shape=[seq, hidden]))
        L.append(Linear(name=f"{p}.ffn1", in_features=hidden, out_features=ffn, tokens=seq))
        L.append(Eltwise(name=f"{p}.gelu", kind="gelu", shape=[seq, ffn]))
        L.append(Linear(name=f"{p}.ffn2", in_features=ffn, out_features=hidden, tokens=seq))
        L.append(Eltwise(name=f"{p}.ffn_add", inputs=[f"{p}.ffn2", f"{p}.attn_norm"],
                         kind="add", shape=[seq, hidden]))
        L.append(Eltwise(name=f"{p}.ffn_norm", kind="layernorm", shape=[seq, hidden]))
        x = f"{p}.ffn_norm"
    return build_workload(f"bert_base_seq{seq}", L, batch=1,
                          description=f"BERT-base encoder, sequence length {seq}",
                          source="Devlin et al., NAACL 2019 (12 layers, 768 hidden, 12 heads)")


#: MLPerf DLRM (Criteo 1TB) embedding table sizes (rows), with max-ind-range 40M:
#: MLPerf inference reference, recommendation/dlrm, criteo day_fea_count (26 tables).
DLRM_TABLE_ROWS = [39884406, 39043, 17289, 7420, 20263, 3, 7120, 1543, 63, 38532951, 2953546,
                   403346, 10, 2208, 11938, 155, 4, 976, 14, 39979771, 25641295, 39664984,
                   585935, 12972, 108, 36]


def dlrm_mlperf(batch: int = 256) -> Workload:
    """DLRM as in MLPerf (Criteo 1TB): bottom MLP 13-512-256-128, 26 tables of dim 128,
    dot interaction, top MLP 479-1024-1024-512-256-1."""
    L: list[Layer] = []
    dims = [13, 512, 256, 128]
    x = INPUT
    for i in range(3):
        L.append(Linear(name=f"bot_mlp.{i}", inputs=[x], in_features=dims[i],
                        out_features=dims[i + 1]))
        x = f"bot_mlp.{i}"
    L.append(EmbeddingBag(name="embeddings", inputs=[INPUT], num_tables=26,
                          rows=DLRM_TABLE_ROWS, dim=128, lookups=1))
    feats = 27
    L.append(Matmul(name="interaction", inputs=[INPUT, INPUT], m=feats, k=128, n=feats))
    L.append(Eltwise(name="concat", inputs=["interaction", x], kind="concat",
                     shape=[feats * (feats - 1) // 2 + 128]))
    top = [479, 1024, 1024, 512, 256, 1]
    x = "concat"
    for i in range(5):
        L.append(Linear(name=f"top_mlp.{i}", inputs=[x], in_features=top[i],
                        out_features=top[i + 1]))
        x = f"top_mlp.{i}"
    L.append(Eltwise(name="sigmoid", inputs=[x], kind="sigmoid", shape=[1]))
    return build_workload("dlrm_mlperf", L, batch=batch,
                          description="DLRM, MLPerf Criteo 1TB configuration",
                          source="Naumov et al. 2019; MLPerf inference reference (dlrm)")


def alexnet() -> Workload:
    """AlexNet as in Caffe's reference (227x227, grouped conv2/4/5), used by Zhang FPGA'15."""
    net = _Net()
    x = net.conv("conv1", T(INPUT, 3, 227, 227), 96, 11, stride=4, pad=0, bias=True)
    x = net.pool("pool1", x, 3, 2)
    x = net.conv("conv2", x, 256, 5, pad=2, groups=2, bias=True)
    x = net.pool("pool2", x, 3, 2)
    x = net.conv("conv3", x, 384, 3, bias=True)
    x = net.conv("conv4", x, 384, 3, groups=2, bias=True)
    x = net.conv("conv5", x, 256, 3, groups=2, bias=True)
    x = net.pool("pool5", x, 3, 2)
    f = net.linear("fc6", x.name, x.c * x.h * x.w, 4096)
    f = net.linear("fc7", f, 4096, 4096)
    net.linear("fc8", f, 4096, 1000)
    return _workload("alexnet", net, 1, "AlexNet (Caffe reference, 227x227, 2 groups)",
                     "Krizhevsky et al., NIPS 2012; Caffe bvlc_reference_caffenet shapes")


def gnmt_step(batch: int = 1, hidden: int = 1024, layers: int = 8, vocab: int = 32320) -> Workload:
    """One decoding step of a GNMT-like model (Wu et al. 2016): ``layers`` LSTM layers whose
    four gates are one (4h x 2h) matrix applied to [input, hidden] per sample, an attention
    projection, and the vocabulary projection. Recurrence makes each step a small-batch GEMM
    (N = batch), the case gather/scatter sparsity targets."""
    L: list[Layer] = []
    x = INPUT
    for i in range(layers):
        L.append(Linear(name=f"lstm{i}.gates", inputs=[x], in_features=2 * hidden,
                        out_features=4 * hidden, bias=True))
        L.append(Eltwise(name=f"lstm{i}.cell", inputs=[f"lstm{i}.gates"], kind="sigmoid",
                         shape=[4 * hidden], operands=1))
        L.append(Linear(name=f"lstm{i}.out", inputs=[f"lstm{i}.cell"], in_features=4 * hidden,
                        out_features=2 * hidden, bias=False))
        x = f"lstm{i}.out"
    L.append(Linear(name="attention", inputs=[x], in_features=2 * hidden, out_features=hidden))
    L.append(Linear(name="projection", in_features=hidden, out_features=vocab))
    return build_workload("gnmt_step", L, batch=batch,
                          description="one decoding step of a GNMT-like LSTM model",
                          source="Wu et al., arXiv 1609.08144 (8 layers, 1024 units, 32k vocab)")


def llm(model: str, phase: Phase, tokens: int) -> Callable[[], Workload]:
    """A builder of one phase of a bundled language model (models/<model>.yaml), batch 1,
    fp16, attention unfused as written (an arch declaring fused kernels fuses it)."""
    return lambda: llm_workload(load_llm_config(model), phase, tokens)


ZOO: dict[str, Callable[[], Workload]] = {
    "resnet18": lambda: resnet_imagenet(18),
    "resnet50": lambda: resnet_imagenet(50),
    "resnet110_cifar": lambda: resnet_cifar(110),
    "vgg16_cifar": vgg16_cifar,
    "vgg16": vgg16,
    "lenet5": lenet5,
    "mobilenet_v2": mobilenet_v2,
    "bert_base_seq128": bert_base,
    "dlrm_mlperf": dlrm_mlperf,
    "alexnet": alexnet,
    "gnmt_step": gnmt_step,
    "gpt2_prefill1024": llm("gpt2", "prefill", 1024),  # GPT-2 handles 1024 positions
    "gpt2_decode1024": llm("gpt2", "decode", 1024),
    "llama2_7b_prefill2048": llm("llama2_7b", "prefill", 2048),
    "llama2_7b_decode2048": llm("llama2_7b", "decode", 2048),
    "llama3_8b_prefill2048": llm("llama3_8b", "prefill", 2048),
    "llama3_8b_decode2048": llm("llama3_8b", "decode", 2048),
    "mixtral_8x7b_decode2048": llm("mixtral_8x7b", "decode", 2048),
}


def write_zoo(outdir: str | Path) -> list[Path]:
    """Write every zoo workload as ``OUTDIR/<name>.yaml``."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, build in ZOO.items():
        path = out / f"{name}.yaml"
        header = ("# Generated by `python -m hwsim.workload.zoo workloads/`; edit the builder in\n"
                  "# hwsim/workload/zoo.py rather than this file.\n")
        path.write_text(header + dump_workload(build()), encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write the bundled zoo workloads as YAML.")
    ap.add_argument("outdir", nargs="?", default="workloads")
    args = ap.parse_args(argv)
    try:
        for p in write_zoo(args.outdir):
            print(p)
        print(write_index(args.outdir))  # list's summaries of the files just written
    except (HwsimError, OSError) as exc:  # e.g. a user's broken YAML in the same folder
        print(f"hwsim.workload.zoo: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
