"""Sparsity pattern specs (per layer in YAML, or for all layers from the CLI): the
discriminated union of the pattern families (``hwsim.sparsity.patterns``) and the CLI parser.

"sparsity" is always the fraction of zeros, as papers quote it. Weights are viewed as a matrix
of rows = output channels and columns = the reduction (C/G * R * S, or in_features); blocks are
(rows x columns) of that matrix; N:M groups run along a row.

CLI syntax ``PATTERN[:key=value,...]``, e.g. ``unstructured:sparsity=0.75``,
``block:size=4x4,sparsity=0.75``, ``nm:n=2,m=4``, ``channel:sparsity=0.5``,
``shuffled_block:size=32x1,sparsity=0.75``, ``gs:sparsity=0.9``. Any pattern takes ``act=F``
for the zero fraction of input activations (e.g. after ReLU) and ``out_act=F`` for that of
the outputs the layer writes (what an arch's output format compresses).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from hwsim.errors import HwsimError
from hwsim.sparsity.patterns import (
    NM,
    Block,
    Channel,
    Dense,
    Fraction,
    GatherScatter,
    Nested,
    PatternSpec,
    ShuffledBlock,
    SmallWorld,
    Unstructured,
)

__all__ = ["NM", "PATTERNS", "PATTERN_ADAPTER", "Block", "Channel", "Dense", "Fraction",
           "GatherScatter", "Nested", "Pattern", "PatternSpec", "ShuffledBlock", "SmallWorld",
           "Unstructured", "parse_sparsity"]

Pattern = Annotated[
    Dense | Unstructured | Channel | Block | ShuffledBlock | NM | GatherScatter | SmallWorld
    | Nested,
    Field(discriminator="pattern"),
]
PATTERN_ADAPTER: TypeAdapter[Pattern] = TypeAdapter(Pattern)
PATTERNS = ("dense", "unstructured", "channel", "block", "shuffled_block", "nm", "gs",
            "small_world", "nested")
_ALIASES = {"n:m": "nm", "kofn": "nm", "gather_scatter": "gs", "shfl_bw": "shuffled_block",
            "filter": "channel", "smallworld": "small_world"}


def parse_sparsity(text: str) -> Pattern:
    """Parse the CLI form ``PATTERN[:key=value,...]`` into a pattern spec; ``N:M`` (``2:4``,
    optionally ``2:4:act=0.5``) is short for ``nm:n=N,m=M``."""
    short = re.fullmatch(r"\s*(\d+):(\d+)(?::(.*))?", text)
    if short:
        n, m, more = short.groups()
        return parse_sparsity(f"nm:n={n},m={m}" + (f",{more}" if more else ""))
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
            if k in data:  # the last would win silently
                raise HwsimError(f"--sparsity '{text}': '{k}' given twice")
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
