"""Exact-count selection shared by the mask generators: keep the highest scores."""

from __future__ import annotations

import numpy as np


def keep_top(scores: np.ndarray, density: float) -> np.ndarray:
    """True for the round(density * size) highest scores (exact count)."""
    k = round(density * scores.size)
    mask = np.zeros(scores.size, dtype=bool)
    if k > 0:
        mask[np.argpartition(-scores.ravel(), k - 1)[:k]] = True
    return mask.reshape(scores.shape)
