"""Small-world connectivity: locally clustered, globally sparse (Watts & Strogatz, Nature 1998).

No closed forms: every statistic is measured on the generated mask.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from hwsim.sparsity.patterns.base import Fraction, MatrixShape, MeasuredOnMask
from hwsim.sparsity.patterns.unstructured import random_gather_cycles


def small_world_mask(rows: int, cols: int, density: float, rewire: float,
                     rng: np.random.Generator) -> np.ndarray:
    """Each output row connects to the k = density*cols columns nearest its own position on a
    ring (local clustering); each edge is rewired to a random column with probability
    ``rewire`` (Watts & Strogatz, Nature 1998). Every row keeps exactly k edges."""
    k = max(1, round(density * cols))
    centre = (np.arange(rows) + 0.5) * cols / rows
    offsets = np.arange(k) - (k - 1) / 2.0
    targets = np.floor(centre[:, None] + offsets[None, :]).astype(np.int64) % cols
    jump = rng.random((rows, k)) < rewire
    targets = np.where(jump, rng.integers(0, cols, (rows, k)), targets)
    mask = np.zeros((rows, cols), dtype=bool)
    mask[np.repeat(np.arange(rows), k), targets.ravel()] = True
    # Rewired edges that collided: top each row up to k from its free columns, nearest first.
    short = k - mask.sum(axis=1)
    for r in np.nonzero(short)[0]:
        free = np.nonzero(~mask[r])[0]
        dist = np.abs((free - centre[r] + cols / 2) % cols - cols / 2)
        mask[r, free[np.argsort(dist)[: short[r]]]] = True
    return mask


class SmallWorld(MeasuredOnMask):
    """Locally clustered, globally sparse connectivity (Watts-Strogatz style, networkx): each
    output connects to inputs near its own position, a fraction ``rewire`` of edges jump far."""

    pattern: Literal["small_world"] = "small_world"
    sparsity: Fraction
    rewire: float = Field(0.1, ge=0.0, le=1.0)

    @property
    def _label(self) -> str:
        return f"small-world {self.sparsity:.0%}"

    @property
    def weight_density(self) -> float:
        return 1.0 - self.sparsity

    def locality(self) -> float | None:
        return None  # the point of the pattern: measured on the mask

    def mask(self, shape: MatrixShape, lanes: int = 16, level: int = 0) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        return small_world_mask(shape.rows, shape.cols, self.weight_density, self.rewire, rng)

    def gather_cycles(self, lanes: int, banks: int) -> float:
        return random_gather_cycles(lanes, banks)  # modelled as random columns (unstructured)
