"""The import state shared by the builder and structural channel removal: tensors (values) and
the layers recorded from them. Kept apart so that ``builder`` imports ``structural`` one way."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwsim.workload.layers import Layer


@dataclass(frozen=True)
class Value:
    """A tensor: the hwsim layer that produced it (``input`` for the network input), its full
    shape, and which axis carries that layer's channels (None once a reshape mixed them)."""

    src: str
    shape: tuple[int, ...]
    chan: int | None = None


@dataclass
class Record:
    """One imported layer, the values it reads (activation operands, in order), its weight
    mask shaped like the framework weight, and whether it maps channels one to one."""

    layer: Layer
    reads: list[Value]
    mask: np.ndarray | None = None
    channelwise: bool = False
    out_key: str = ""
