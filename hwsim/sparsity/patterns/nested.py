"""Nested sparsity: several levels whose masks nest (each sparser mask a subset of the denser),
so one stored model switches level at run time.

No closed forms: every statistic is measured on the generated mask of the densest level.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, field_validator

from hwsim.sparsity.patterns.base import Fraction, MatrixShape, MeasuredOnMask, parse_size
from hwsim.sparsity.patterns.block import Block
from hwsim.sparsity.patterns.channel import Channel
from hwsim.sparsity.patterns.topk import keep_top
from hwsim.sparsity.patterns.unstructured import Unstructured, random_gather_cycles


class Nested(MeasuredOnMask):
    """Several sparsity levels whose masks nest (each sparser mask is a subset of the denser),
    so one stored model switches level at run time. Evaluated per level."""

    pattern: Literal["nested"] = "nested"
    levels: list[Fraction] = Field(min_length=1)
    base: Literal["unstructured", "block", "channel"] = "unstructured"
    size: tuple[int, int] = (4, 4)

    _size = field_validator("size", mode="before")(parse_size)

    @field_validator("levels")
    @classmethod
    def _sorted(cls, v: list[float]) -> list[float]:
        return sorted(v)

    @property
    def sparsity(self) -> float:
        """Zero fraction of the densest level, which is what is stored."""
        return self.levels[0]

    @property
    def weight_density(self) -> float:
        return 1.0 - self.sparsity

    def level(self, i: int) -> Block | Channel | Unstructured:
        """The pattern of level ``i`` (0 = densest)."""
        s = self.levels[i]
        if self.base == "block":
            return Block(sparsity=s, size=self.size, act=self.act, out_act=self.out_act,
                         seed=self.seed)
        if self.base == "channel":
            return Channel(sparsity=s, act=self.act, out_act=self.out_act, seed=self.seed)
        return Unstructured(sparsity=s, act=self.act, out_act=self.out_act, seed=self.seed)

    @property
    def _label(self) -> str:
        return "nested " + "/".join(f"{s:.0%}" for s in self.levels)

    def locality(self) -> float:
        return 1.0

    def mask(self, shape: MatrixShape, lanes: int = 16, level: int = 0) -> np.ndarray:
        return nested_masks(self, shape.rows, shape.cols)[level]

    def gather_cycles(self, lanes: int, banks: int) -> float:
        return random_gather_cycles(lanes, banks)  # modelled as random columns (unstructured)


def nested_masks(spec: Nested, rows: int, cols: int) -> list[np.ndarray]:
    """One mask per level, densest first; each is a subset of the previous one."""
    rng = np.random.default_rng(spec.seed)
    if spec.base == "block":
        bh, bw = spec.size
        br, bc = -(-rows // bh), -(-cols // bw)
        scores = rng.random((br, bc))
        out = []
        for s in spec.levels:
            b = keep_top(scores, 1.0 - s)
            out.append(np.repeat(np.repeat(b, bh, 0), bw, 1)[:rows, :cols])
        return out
    if spec.base == "channel":
        scores = rng.random(rows)
        return [np.repeat(keep_top(scores, 1.0 - s)[:, None], cols, 1) for s in spec.levels]
    scores = rng.random((rows, cols))
    return [keep_top(scores, 1.0 - s) for s in spec.levels]
