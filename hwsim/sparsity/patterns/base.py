"""The interface every sparsity pattern family implements: its spec fields, the statistics it
has closed forms for, its mask generator and what it costs a banked gather.

A weight matrix has rows = output channels and columns = the reduction (C/G * R * S, or
in_features); blocks are (rows x columns) tiles of it; N:M groups run along a row. "sparsity"
is always the fraction of zeros, as papers quote it.

A statistic that returns None has no closed form (for that family, or for those arguments): the
profile then measures it exactly on the family's generated mask.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from hwsim.yamlio import refuse_bad_numbers

Fraction = Annotated[float, Field(ge=0.0, lt=1.0)]


@dataclass(frozen=True)
class MatrixShape:
    """A layer's weight matrix: ``rows`` output channels x ``cols`` reduction weights; ``rs`` is
    the kernel size R*S, the unit of kernel-granularity patterns (1 for linear layers)."""

    rows: int
    cols: int
    rs: int = 1


def parse_size(v: Any) -> Any:
    """Accept a block size as ``"4x8"`` (rows x columns) or a single int (square); pydantic
    validates whatever else is given."""
    if isinstance(v, str) and "x" in v:
        a, b = v.lower().split("x", 1)
        return (int(a), int(b))
    if isinstance(v, int):
        return (v, v)
    return v


class PatternSpec(BaseModel, ABC):
    """A sparsity pattern: spec fields (frozen, validated) plus its statistics and masks.

    Statistics take the matrix shape and are analytic (expected values over the pattern's
    random choices); the profile answers the trivial cases itself (dense matrices for
    occupancy, n >= m for N:M conformance, a single lane or no nonzeros for imbalance).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    # NaN, infinities and magnitudes of 2^63 or more are no valid number anywhere (after
    # conversion: a discriminated union's tag field takes no before-validator; booleans are
    # refused where YAML is loaded, by hwsim.workload.io).
    _numbers = field_validator("*", mode="after")(classmethod(refuse_bad_numbers))

    act: Fraction = Field(0.0, description="zero fraction of the input activations")
    out_act: Fraction = Field(
        0.0, description="zero fraction of the output activations as the layer writes them "
        "(after its activation function): what an output format compresses")
    seed: int = Field(0, description="seed of generated masks (deterministic results)")

    # ---- identity ------------------------------------------------------------------------
    @property
    def label(self) -> str:
        """Short human label, e.g. 'block 4x4 75%', with activation sparsity if any."""
        act = f" +act {self.act:.0%}" if self.act > 0 else ""
        out = f" +out {self.out_act:.0%}" if self.out_act > 0 else ""
        return self._label + act + out

    @property
    def activation_zeros(self) -> bool:
        """Whether the pattern puts zeros in the layer's input or output activations."""
        return self.act > 0 or self.out_act > 0

    @property
    @abstractmethod
    def _label(self) -> str:
        """The label of the weight pattern alone."""

    @property
    @abstractmethod
    def weight_density(self) -> float:
        """Expected fraction of nonzero weights."""

    def density(self, shape: MatrixShape) -> float:
        """Fraction of nonzero weights in a matrix of ``shape`` (the expected density unless
        the pattern rounds it to whole nonzeros)."""
        return self.weight_density

    # ---- statistics (None: no closed form, measure the generated mask) --------------------
    @abstractmethod
    def occupancy(self, shape: MatrixShape, bh: int, bw: int) -> float | None:
        """Expected fraction of (bh x bw) tiles holding a nonzero; bh, bw already clipped to
        the matrix, called for density < 1."""

    @abstractmethod
    def nm_conformance(self, shape: MatrixShape, n: int, m: int) -> float | None:
        """Expected fraction of groups of m consecutive weights in a row holding at most n
        nonzeros; called for n < m."""

    @abstractmethod
    def imbalance(self, shape: MatrixShape, lanes: int, seg: int) -> float | None:
        """E[max nonzeros over ``lanes`` lockstep rows] / E[nonzeros per row] for row segments
        of ``seg`` weights; called for 1 < lanes <= rows, 1 <= seg <= cols, density > 0."""

    @abstractmethod
    def locality(self) -> float | None:
        """Mean output-input wiring distance relative to random wiring (1.0 = no locality)."""

    # ---- masks ---------------------------------------------------------------------------
    @abstractmethod
    def mask(self, shape: MatrixShape, lanes: int = 16, level: int = 0) -> np.ndarray:
        """The boolean weight mask (True = kept), deterministic in ``seed``. ``lanes``: the
        banks a gather-scatter group of 0 balances over; ``level``: the level of a nested
        pattern (0 = densest)."""

    def statistics_mask(self, shape: MatrixShape) -> np.ndarray:
        """The mask whose statistics the hardware sees (the stored mask unless the kernel
        permutes rows first)."""
        return self.mask(shape)

    # ---- hardware-facing structure -------------------------------------------------------
    @abstractmethod
    def gather_cycles(self, lanes: int, banks: int) -> float:
        """Cycles per gather of ``lanes`` activations from ``banks`` single-ported banks (bank
        of column c = c mod banks); 1.0 = conflict-free."""

    @property
    def block_size(self) -> tuple[int, int] | None:
        """(rows, cols) of the zero/nonzero blocks a block-sparse kernel skips; None if the
        pattern is not block-structured."""
        return None

    @property
    def permuted_rows(self) -> bool:
        """Whether the kernel gathers rows by a permutation before computing (Shfl-BW)."""
        return False

    @property
    def balanced_rows(self) -> bool:
        """Whether every row's nonzeros are balanced over the banks by construction."""
        return False

    @property
    def nm_group(self) -> int:
        """m of the N:M index format (a position within each group of m weights): the
        pattern's own m, else 4 (NVIDIA's 2:4)."""
        return 4


class MeasuredOnMask(PatternSpec):
    """A family without closed forms for occupancy, N:M conformance and imbalance: the profile
    measures them on the family's generated mask."""

    def occupancy(self, shape: MatrixShape, bh: int, bw: int) -> float | None:
        return None

    def nm_conformance(self, shape: MatrixShape, n: int, m: int) -> float | None:
        return None

    def imbalance(self, shape: MatrixShape, lanes: int, seg: int) -> float | None:
        return None
