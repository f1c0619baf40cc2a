"""The numeric type of the cost model: a float for one mapping, an array for many candidates."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np

#: A count, time or energy: a float, or a NumPy array with one entry per candidate mapping.
Num: TypeAlias = float | np.ndarray
