"""Layer descriptors and their shape math: MACs, parameters, activation sizes (per sample).

Every layer is a frozen pydantic model, discriminated by ``op``. Batch size lives on the
Workload, so counts here are per sample unless a method takes ``batch``.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    field_validator,
    model_validator,
)

from hwsim.precision import Precision
from hwsim.sparsity.spec import Pattern
from hwsim.yamlio import refuse_bad_numbers

Pair = tuple[int, int]
#: Pairs whose items must be positive (kernels, strides, dilations, feature maps) or not
#: negative (padding): a pool of stride 0 would divide by zero.
PosPair = tuple[PositiveInt, PositiveInt]
NonNegPair = tuple[NonNegativeInt, NonNegativeInt]
PoolKind = Literal["max", "avg"]
EltwiseKind = Literal[
    "add", "mul", "relu", "sigmoid", "gelu", "silu", "softmax", "layernorm", "rmsnorm", "rope",
    "concat", "interaction", "pad", "slice",
]
#: Operands of a layer in loop-nest terms: for a matmul A @ B, "inputs" is A and "weights" B.
Operand = Literal["inputs", "weights", "outputs"]


def _pair(v: object) -> object:
    if isinstance(v, int) and not isinstance(v, bool):
        return (v, v)
    return v


class _LayerBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # NaN, infinities and magnitudes of 2^63 or more are no valid number anywhere (after
    # conversion: a discriminated union's tag field takes no before-validator; booleans are
    # refused where YAML is loaded, by hwsim.workload.io).
    _numbers = field_validator("*", mode="after")(classmethod(refuse_bad_numbers))

    name: str = Field(min_length=1)
    inputs: list[str] | None = Field(
        None, description="producer layer names ('input' = network input); default: previous"
    )
    precision: Precision | None = None
    sparsity: Pattern | None = Field(
        None, description="weight/activation sparsity of this layer (see hwsim.sparsity.spec)"
    )
    prunable: bool = Field(
        True, description="a run-wide sparsity pattern prunes this layer's weights; false for "
        "layers pruning methods leave dense (embeddings, LM heads, MoE routers)"
    )
    on_chip: list[Operand] = Field(
        default_factory=list,
        description="operands that stay on chip (a declared fusion with the neighbouring layer: "
        "neither read from nor written to DRAM); for a matmul A @ B, inputs = A, weights = B",
    )

    #: Whether the op has a weights operand (a MAC layer) that ``on_chip`` may name.
    _mac_op: ClassVar[bool] = False

    @field_validator("on_chip")
    @classmethod
    def _unique_operands(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError(f"on_chip lists an operand twice: {v}")
        return v

    @model_validator(mode="after")
    def _weights_on_chip(self) -> _LayerBase:
        if "weights" in self.on_chip and not self._mac_op:
            raise ValueError("on_chip: this op has no weights operand (only inputs, outputs)")
        return self

    # Overridden by each op.
    def macs(self) -> int:
        """Multiply-accumulates per sample."""
        return 0

    def params(self) -> int:
        """Stored parameters (weights + biases)."""
        return 0

    @abstractmethod
    def input_elements(self) -> int:
        """Activation elements read per sample (all activation operands)."""

    @abstractmethod
    def output_elements(self) -> int:
        """Activation elements written per sample."""

    def vector_ops(self) -> int:
        """Element-wise ALU operations per sample (non-MAC work)."""
        return 0


class Conv2d(_LayerBase):
    """2-D convolution (NCHW); groups=in_channels=out_channels makes it depthwise."""

    op: Literal["conv2d"] = "conv2d"
    _mac_op: ClassVar[bool] = True
    in_channels: int = Field(gt=0)
    out_channels: int = Field(gt=0)
    kernel: PosPair
    stride: PosPair = (1, 1)
    padding: NonNegPair = (0, 0)
    dilation: PosPair = (1, 1)
    groups: int = Field(1, gt=0)
    input_hw: PosPair
    bias: bool = False

    _pairs = field_validator("kernel", "stride", "padding", "dilation", "input_hw", mode="before")(
        _pair
    )

    @model_validator(mode="after")
    def _check(self) -> Conv2d:
        if min(self.kernel) <= 0 or min(self.stride) <= 0 or min(self.dilation) <= 0:
            raise ValueError("kernel, stride and dilation must be positive")
        if min(self.padding) < 0 or min(self.input_hw) <= 0:
            raise ValueError("padding must be >= 0 and input_hw positive")
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"groups={self.groups} must divide in_channels={self.in_channels} "
                f"and out_channels={self.out_channels}"
            )
        if min(self.output_hw) <= 0:
            raise ValueError(f"kernel {self.kernel} does not fit input {self.input_hw}")
        return self

    @property
    def output_hw(self) -> Pair:
        """Output height and width, as PyTorch computes them (floor)."""
        out = []
        for i in range(2):
            eff = self.dilation[i] * (self.kernel[i] - 1) + 1
            out.append((self.input_hw[i] + 2 * self.padding[i] - eff) // self.stride[i] + 1)
        return (out[0], out[1])

    def macs(self) -> int:
        p, q = self.output_hw
        cpg = self.in_channels // self.groups
        return self.out_channels * cpg * self.kernel[0] * self.kernel[1] * p * q

    def params(self) -> int:
        cpg = self.in_channels // self.groups
        w = self.out_channels * cpg * self.kernel[0] * self.kernel[1]
        return w + (self.out_channels if self.bias else 0)

    def input_elements(self) -> int:
        return self.in_channels * self.input_hw[0] * self.input_hw[1]

    def output_elements(self) -> int:
        p, q = self.output_hw
        return self.out_channels * p * q


class Linear(_LayerBase):
    """Fully connected layer applied to ``tokens`` rows per sample (1 for a CNN classifier).

    With ``experts`` > 1 it is a mixture-of-experts layer: ``experts`` weight matrices of the
    same shape, each token routed to ``experts_per_token`` of them (MACs per sample count the
    routed tokens; which experts a batch touches is decided when the layer is lowered).
    """

    op: Literal["linear"] = "linear"
    _mac_op: ClassVar[bool] = True
    in_features: int = Field(gt=0)
    out_features: int = Field(gt=0)
    tokens: int = Field(1, gt=0)
    bias: bool = True
    experts: int = Field(1, gt=0, description="weight matrices (mixture of experts)")
    experts_per_token: int = Field(1, gt=0, description="experts each token is routed to")
    tied_to: str | None = Field(
        None, description="layer whose stored weights these are (tied embeddings): the weights "
        "still stream, but are stored and counted once, in that layer")

    @model_validator(mode="after")
    def _check_experts(self) -> Linear:
        if self.experts_per_token > self.experts:
            raise ValueError(f"experts_per_token={self.experts_per_token} exceeds "
                             f"experts={self.experts}")
        return self

    def macs(self) -> int:
        return self.tokens * self.experts_per_token * self.in_features * self.out_features

    def expert_groups(self, batch: int) -> tuple[int, int]:
        """(experts the batch touches, token rows each of them multiplies) for ``batch``
        samples. Routing is taken as uniform and independent per token, as load-balancing
        losses aim for (Fedus et al., JMLR 2022): an expert is missed by one token with
        probability 1 - k/E, so E (1 - (1 - k/E)^T) experts are touched by T tokens, rounded
        to the nearest whole expert; their rows are the routed ones shared out evenly."""
        routed = batch * self.tokens
        if self.experts == 1:
            return 1, routed
        # The rows per expert are rounded up: the busiest expert sets the layer's time (the
        # MACs then slightly exceed the routed ones).
        e, k = self.experts, self.experts_per_token
        touched = e * (1.0 - (1.0 - k / e) ** routed)
        groups = min(e, max(k, math.floor(touched + 0.5)))
        return groups, math.ceil(routed * k / groups)

    def params(self) -> int:
        if self.tied_to is not None:
            return self.out_features if self.bias else 0
        per = self.in_features * self.out_features + (self.out_features if self.bias else 0)
        return self.experts * per

    def input_elements(self) -> int:
        return self.tokens * self.experts_per_token * self.in_features

    def output_elements(self) -> int:
        return self.tokens * self.experts_per_token * self.out_features


class Matmul(_LayerBase):
    """``count`` independent (m x k) @ (k x n) products per sample, both operands activations
    (attention scores Q K^T and context A V). ``inputs`` are [left, right]."""

    op: Literal["matmul"] = "matmul"
    _mac_op: ClassVar[bool] = True
    m: int = Field(gt=0)
    k: int = Field(gt=0)
    n: int = Field(gt=0)
    count: int = Field(1, gt=0, description="independent products per sample, e.g. heads")
    causal: bool = Field(False, description="a decoder's causally masked attention product "
                         "(prefill scores Q K^T, context P V): a fused kernel skips the key "
                         "blocks above the diagonal, an unfused one computes and masks them")

    def macs(self) -> int:
        return self.count * self.m * self.k * self.n

    def input_elements(self) -> int:
        return self.count * (self.m * self.k + self.k * self.n)

    def output_elements(self) -> int:
        return self.count * self.m * self.n


class EmbeddingBag(_LayerBase):
    """Embedding tables with pooled lookups (DLRM sparse features): a DRAM-bound gather."""

    op: Literal["embedding_bag"] = "embedding_bag"
    num_tables: int = Field(gt=0)
    rows: int | list[int] = Field(description="rows per table (one value or one per table)")
    dim: int = Field(gt=0)
    lookups: int = Field(1, gt=0, description="rows gathered and summed per table per sample")
    pooled: bool = Field(True, description="sum the rows of a table (DLRM); false: each lookup "
                         "is its own output row (token embeddings)")

    @field_validator("rows", mode="before")
    @classmethod
    def _rows(cls, v: Any) -> Any:
        """One positive integer or a list of them, checked before the union is tried (which
        would report a bad value once per member, and a negative one only at the layer)."""
        def whole(x: Any) -> bool:
            return isinstance(x, int) and not isinstance(x, bool) and x > 0

        if whole(v) or (isinstance(v, list) and v and all(whole(x) for x in v)):
            return v
        raise ValueError("rows must be a positive integer, or a list of them (one per table)")

    @model_validator(mode="after")
    def _check(self) -> EmbeddingBag:
        if isinstance(self.rows, list) and len(self.rows) != self.num_tables:
            raise ValueError(f"rows lists {len(self.rows)} tables, num_tables is {self.num_tables}")
        return self

    @property
    def table_rows(self) -> list[int]:
        return list(self.rows) if isinstance(self.rows, list) else [self.rows] * self.num_tables

    def params(self) -> int:
        return sum(self.table_rows) * self.dim

    def gathered_elements(self) -> int:
        """Embedding elements read per sample."""
        return self.num_tables * self.lookups * self.dim

    def input_elements(self) -> int:
        return self.num_tables * self.lookups  # the indices

    def output_elements(self) -> int:
        return self.num_tables * self.dim * (1 if self.pooled else self.lookups)

    def vector_ops(self) -> int:
        if not self.pooled:
            return 0
        return self.num_tables * max(self.lookups - 1, 0) * self.dim  # pooling adds


class Pool(_LayerBase):
    """Max/average pooling; ``global: true`` pools the whole feature map."""

    op: Literal["pool"] = "pool"
    kind: PoolKind = "max"
    channels: int = Field(gt=0)
    input_hw: PosPair
    kernel: PosPair | None = None
    stride: PosPair | None = None
    padding: NonNegPair = (0, 0)
    global_: bool = Field(False, alias="global")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    _pairs = field_validator("kernel", "stride", "padding", "input_hw", mode="before")(_pair)

    @model_validator(mode="after")
    def _check(self) -> Pool:
        if not self.global_ and self.kernel is None:
            raise ValueError("a pool needs 'kernel' unless global: true")
        if min(self.output_hw) <= 0:
            raise ValueError(f"pool kernel does not fit input {self.input_hw}")
        return self

    @property
    def window(self) -> Pair:
        return self.input_hw if self.global_ or self.kernel is None else self.kernel

    @property
    def output_hw(self) -> Pair:
        if self.global_:
            return (1, 1)
        k = self.window
        s = self.stride or k
        h, w = self.input_hw
        return ((h + 2 * self.padding[0] - k[0]) // s[0] + 1,
                (w + 2 * self.padding[1] - k[1]) // s[1] + 1)

    def input_elements(self) -> int:
        return self.channels * self.input_hw[0] * self.input_hw[1]

    def output_elements(self) -> int:
        p, q = self.output_hw
        return self.channels * p * q

    def vector_ops(self) -> int:
        return self.output_elements() * self.window[0] * self.window[1]


class _Shaped(_LayerBase):
    """A layer over one tensor of ``shape`` per sample (element-wise ops, collectives)."""

    shape: list[int] = Field(min_length=1)

    @field_validator("shape")
    @classmethod
    def _positive(cls, v: list[int]) -> list[int]:
        if min(v) <= 0:
            raise ValueError("shape entries must be positive")
        return v

    @property
    def elements(self) -> int:
        return math.prod(self.shape)


#: ALU operations per element of each element-wise kind (counted from the formula: softmax is
#: max, subtract, exp, sum, divide; layernorm is mean, subtract, square, sum, rsqrt, scale, shift;
#: GELU's tanh approximation is about 8 operations).
ELTWISE_OPS_PER_ELEMENT: dict[str, int] = {
    "add": 1,
    "mul": 1,
    "relu": 1,
    "sigmoid": 4,
    "gelu": 8,
    "silu": 5,  # x * sigmoid(x)
    "softmax": 5,
    "layernorm": 7,
    "rmsnorm": 4,  # square, sum, rsqrt, scale (Zhang & Sennrich, NeurIPS 2019)
    "rope": 3,  # rotary position embedding: two multiplies and an add per element (Su et al.)
    "concat": 0,
    "interaction": 2,
    "pad": 0,
    "slice": 0,  # a view of part of its input (the last token before an LM head): no copy
}


class Eltwise(_Shaped):
    """Element-wise op over a tensor of ``shape`` per sample (add, relu, softmax, layernorm...).

    ``operands`` is how many input tensors of that shape it reads (2 for a residual add).
    """

    op: Literal["eltwise"] = "eltwise"
    kind: EltwiseKind
    operands: int | None = Field(None, gt=0)

    @property
    def n_operands(self) -> int:
        if self.operands is not None:
            return self.operands
        return 2 if self.kind in ("add", "mul") else 1

    def input_elements(self) -> int:
        return self.elements * self.n_operands

    def output_elements(self) -> int:
        return self.elements

    def vector_ops(self) -> int:
        return self.elements * ELTWISE_OPS_PER_ELEMENT[self.kind] * max(self.n_operands - 1, 1)


class AllReduce(_Shaped):
    """Sum of a tensor of ``shape`` per sample across ``devices`` devices, each ending with
    the total (the collective after a tensor-parallel layer): ring algorithm over the arch's
    ``link``."""

    op: Literal["allreduce"] = "allreduce"
    devices: int = Field(ge=2, description="devices taking part (tensor-parallel degree)")

    def input_elements(self) -> int:
        return self.elements

    def output_elements(self) -> int:
        return self.elements

    def vector_ops(self) -> int:
        # Reduce-scatter adds the devices - 1 incoming partial chunks, 1/devices of the tensor
        # per step.
        return self.elements * (self.devices - 1) // self.devices


Layer = Annotated[
    Conv2d | Linear | Matmul | EmbeddingBag | Pool | Eltwise | AllReduce,
    Field(discriminator="op"),
]
