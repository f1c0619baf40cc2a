"""Sparsity pattern specs (per layer in YAML, or for all layers from the CLI).

"sparsity" is always the fraction of zeros, as papers quote it. Weights are viewed as a matrix
of rows = output channels and columns = the reduction (C/G * R * S, or in_features); blocks are
(rows x columns) of that matrix; N:M groups run along a row.

CLI syntax ``PATTERN[:key=value,...]``, e.g. ``unstructured:sparsity=0.75``,
``block:size=4x4,sparsity=0.75``, ``nm:n=2,m=4``, ``channel:sparsity=0.5``,
``shuffled_block:size=32x1,sparsity=0.75``, ``gs:sparsity=0.9``. Any pattern takes ``act=F``
for the zero fraction of input activations (e.g. after ReLU).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from hwsim.errors import HwsimError

Fraction = Annotated[float, Field(ge=0.0, lt=1.0)]


class _Pattern(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    act: Fraction = Field(0.0, description="zero fraction of the input activations")
    seed: int = Field(0, description="seed of generated masks (deterministic results)")

    @property
    def weight_density(self) -> float:
        """Expected fraction of nonzero weights."""
        return 1.0 - getattr(self, "sparsity", 0.0)

    @property
    def label(self) -> str:
        """Short human label, e.g. 'block 4x4 75%', with activation sparsity if any."""
        act = f" +act {self.act:.0%}" if self.act > 0 else ""
        return self._label + act

    @property
    def _label(self) -> str:
        return self.pattern  # type: ignore[attr-defined]


class Dense(_Pattern):
    pattern: Literal["dense"] = "dense"


class Unstructured(_Pattern):
    """Zeros anywhere: random (i.i.d.) or magnitude-like (rows of different importance)."""

    pattern: Literal["unstructured"] = "unstructured"
    sparsity: Fraction
    distribution: Literal["random", "magnitude"] = "random"

    @property
    def _label(self) -> str:
        return f"unstructured {self.sparsity:.0%}"


class Channel(_Pattern):
    """Whole output channels (filters) removed; consumers lose the matching input channels.

    ``joins: prune`` prunes tensors joined by residual additions consistently (same channels
    removed from every member); ``joins: keep`` leaves them whole and prunes only channels
    private to a block (the inner convs of residual blocks, as CGaP and HRank do)."""

    pattern: Literal["channel"] = "channel"
    sparsity: Fraction
    joins: Literal["prune", "keep"] = "prune"

    @property
    def _label(self) -> str:
        return f"channel {self.sparsity:.0%}" + (" (inner)" if self.joins == "keep" else "")


def _parse_size(v: Any) -> Any:
    if isinstance(v, str) and "x" in v:
        a, b = v.lower().split("x", 1)
        return (int(a), int(b))
    if isinstance(v, int):
        return (v, v)
    return v


class Block(_Pattern):
    """Zero blocks of ``size`` = (rows, columns) of the weight matrix."""

    pattern: Literal["block"] = "block"
    sparsity: Fraction
    size: tuple[int, int] = (4, 4)

    _size = field_validator("size", mode="before")(_parse_size)

    @field_validator("size")
    @classmethod
    def _pos(cls, v: tuple[int, int]) -> tuple[int, int]:
        if min(v) <= 0:
            raise ValueError("block size must be positive")
        return v

    @property
    def _label(self) -> str:
        return f"block {self.size[0]}x{self.size[1]} {self.sparsity:.0%}"


class ShuffledBlock(Block):
    """Block sparsity after a row permutation (Shfl-BW, DAC 2022): rows are gathered so that
    nonzeros cluster into blocks; the permutation costs an index per row and a gather/scatter
    of the output rows."""

    pattern: Literal["shuffled_block"] = "shuffled_block"  # type: ignore[assignment]
    size: tuple[int, int] = (32, 1)

    @property
    def _label(self) -> str:
        return f"shuffled block {self.size[0]}x{self.size[1]} {self.sparsity:.0%}"


class NM(_Pattern):
    """Exactly ``n`` nonzeros in every ``m`` consecutive weights of a row (2:4, 1:4, 4:8), or,
    with ``granularity: kernel``, ``n`` of every ``m`` whole R x S kernels (k-out-of-n, as in
    Dynamic Probabilistic Pruning)."""

    pattern: Literal["nm"] = "nm"
    n: int = Field(2, gt=0)
    m: int = Field(4, gt=0)
    granularity: Literal["weight", "kernel"] = "weight"

    @field_validator("m")
    @classmethod
    def _n_le_m(cls, m: int, info: Any) -> int:
        n = info.data.get("n", 1)
        if n > m:
            raise ValueError(f"n={n} must not exceed m={m}")
        return m

    @property
    def weight_density(self) -> float:
        return self.n / self.m

    @property
    def sparsity(self) -> float:
        return 1.0 - self.n / self.m

    @property
    def _label(self) -> str:
        g = " kernels" if self.granularity == "kernel" else ""
        return f"{self.n}:{self.m}{g}"


class GatherScatter(_Pattern):
    """Load-balanced gather-scatter pattern (Sun et al., arXiv 2112.10898): every group of
    ``group`` lanes/banks receives exactly the same number of nonzeros, so no lane waits and no
    bank conflicts. ``group`` 0 means the target's own lane/bank count."""

    pattern: Literal["gs"] = "gs"
    sparsity: Fraction
    group: int = Field(0, ge=0)

    @property
    def _label(self) -> str:
        return f"gather-scatter {self.sparsity:.0%}"


class SmallWorld(_Pattern):
    """Locally clustered, globally sparse connectivity (Watts-Strogatz style, networkx): each
    output connects to inputs near its own position, a fraction ``rewire`` of edges jump far."""

    pattern: Literal["small_world"] = "small_world"
    sparsity: Fraction
    rewire: float = Field(0.1, ge=0.0, le=1.0)

    @property
    def _label(self) -> str:
        return f"small-world {self.sparsity:.0%}"


class Nested(_Pattern):
    """Several sparsity levels whose masks nest (each sparser mask is a subset of the denser),
    so one stored model switches level at run time. Evaluated per level."""

    pattern: Literal["nested"] = "nested"
    levels: list[Fraction] = Field(min_length=1)
    base: Literal["unstructured", "block", "channel"] = "unstructured"
    size: tuple[int, int] = (4, 4)

    _size = field_validator("size", mode="before")(_parse_size)

    @field_validator("levels")
    @classmethod
    def _sorted(cls, v: list[float]) -> list[float]:
        return sorted(v)

    @property
    def sparsity(self) -> float:
        return self.levels[0]  # the densest level is what is stored

    def level(self, i: int) -> Pattern:
        """The pattern of level ``i`` (0 = densest)."""
        s = self.levels[i]
        if self.base == "block":
            return Block(sparsity=s, size=self.size, act=self.act, seed=self.seed)
        if self.base == "channel":
            return Channel(sparsity=s, act=self.act, seed=self.seed)
        return Unstructured(sparsity=s, act=self.act, seed=self.seed)

    @property
    def _label(self) -> str:
        return "nested " + "/".join(f"{s:.0%}" for s in self.levels)


Pattern = Annotated[
    Dense | Unstructured | Channel | Block | ShuffledBlock | NM | GatherScatter | SmallWorld
    | Nested,
    Field(discriminator="pattern"),
]
PATTERN_ADAPTER: TypeAdapter[Any] = TypeAdapter(Pattern)
PATTERNS = ("dense", "unstructured", "channel", "block", "shuffled_block", "nm", "gs",
            "small_world", "nested")
_ALIASES = {"n:m": "nm", "kofn": "nm", "gather_scatter": "gs", "shfl_bw": "shuffled_block",
            "filter": "channel", "smallworld": "small_world"}


def parse_sparsity(text: str) -> Any:
    """Parse the CLI form ``PATTERN[:key=value,...]`` into a pattern spec."""
    name, _, rest = text.strip().partition(":")
    name = _ALIASES.get(name.strip().lower(), name.strip().lower())
    if name not in PATTERNS:
        raise HwsimError(f"--sparsity '{text}': unknown pattern '{name}' "
                         f"(expected one of {', '.join(PATTERNS)})")
    data: dict[str, Any] = {"pattern": name}
    if rest:
        for item in _split(rest):
            if "=" not in item:
                raise HwsimError(f"--sparsity '{text}': expected key=value, got '{item}'")
            k, v = (s.strip() for s in item.split("=", 1))
            data[k] = _value(v)
    try:
        return PATTERN_ADAPTER.validate_python(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"][1:]) or "pattern"
        raise HwsimError(f"--sparsity '{text}': {loc}: {err['msg']}") from None


def _split(rest: str) -> list[str]:
    """Split on commas outside brackets (``levels=[0.5,0.75]``)."""
    out, depth, cur = [], 0, ""
    for ch in rest:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        out.append(cur)
    return out


def _value(v: str) -> Any:
    if v.startswith("[") and v.endswith("]"):
        return [_value(x) for x in _split(v[1:-1])]
    for cast in (int, float):
        try:
            return cast(v)
        except ValueError:
            pass
    if "/" in v:
        return [_value(x) for x in v.split("/")]
    return v
