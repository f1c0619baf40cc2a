"""Lowering of a MAC layer to the canonical loop nest G, N, K, C, P, Q, R, S.

    for g in G, n in N, k in K, c in C, p in P, q in Q, r in R, s in S:
        O[g,n,k,p,q] += W[g,k,c,r,s] * I[g,n,c, p*sh + r*dh, q*sw + s*dw]

Conv: G groups, K/C per group. Linear: N = batch * tokens rows (a mixture of experts: G =
experts the batch touches, N = rows each of them gets). Matmul (A @ B per product):
G = batch * count, N = m, C = k, K = n; the "weights" operand is then the activation B.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hwsim.precision import Precision, bytes_per_element, psum_bytes
from hwsim.workload.fusion import causal_share
from hwsim.workload.layers import Conv2d, Layer, Linear, Matmul

DIMS = ("G", "N", "K", "C", "P", "Q", "R", "S")
#: Dimensions each operand is indexed by (inputs depend on P/Q and R/S through the window).
RELEVANT: dict[str, frozenset[str]] = {
    "weights": frozenset("GKCRS"),
    "inputs": frozenset("GNCPQRS"),
    "outputs": frozenset("GNKPQ"),
}
REDUCTION = frozenset("CRS")


@dataclass(frozen=True)
class LoopNest:
    """Loop bounds, window geometry and element sizes of one MAC layer (whole batch)."""

    G: int
    N: int
    K: int
    C: int
    P: int
    Q: int
    R: int
    S: int
    H: int  # input height (unpadded)
    W: int  # input width (unpadded)
    stride: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    precision: Precision = "int8"
    weights_are_activations: bool = False
    on_chip: frozenset[str] = frozenset()  # operands a declared fusion keeps off DRAM
    work: float = 1.0  # share of the MACs a kernel computes (a fused causal attention's)

    @property
    def dims(self) -> dict[str, int]:
        return {d: getattr(self, d) for d in DIMS}

    @property
    def macs(self) -> int:
        return self.G * self.N * self.K * self.C * self.P * self.Q * self.R * self.S

    @property
    def elem_bytes(self) -> float:
        return bytes_per_element(self.precision)

    @property
    def psum_bytes(self) -> float:
        return psum_bytes(self.precision)

    def gemm(self) -> tuple[int, int, int]:
        """SCALE-Sim's GEMM view per group: (Sr ofmap pixels, Sc filters, T window size)."""
        return self.N * self.P * self.Q, self.K, self.C * self.R * self.S


def lower(layer: Layer, batch: int, precision: Precision) -> LoopNest | None:
    """The loop nest of a MAC layer, or None for layers without MACs (pool, eltwise, ...)."""
    nest = _lower(layer, batch, precision)
    if nest is not None and layer.on_chip:
        nest = replace(nest, on_chip=frozenset(layer.on_chip))
        if isinstance(layer, Matmul) and layer.causal:
            # Fused: the scores (kept on chip) are masked along n, the probabilities (read
            # from chip) along k; the kernel skips the key blocks above the diagonal.
            nest = replace(nest, work=causal_share(layer.n if "outputs" in layer.on_chip
                                                   else layer.k))
    return nest


def _lower(layer: Layer, batch: int, precision: Precision) -> LoopNest | None:
    if isinstance(layer, Conv2d):
        p, q = layer.output_hw
        return LoopNest(
            G=layer.groups,
            N=batch,
            K=layer.out_channels // layer.groups,
            C=layer.in_channels // layer.groups,
            P=p,
            Q=q,
            R=layer.kernel[0],
            S=layer.kernel[1],
            H=layer.input_hw[0],
            W=layer.input_hw[1],
            stride=layer.stride,
            dilation=layer.dilation,
            precision=precision,
        )
    if isinstance(layer, Linear):
        groups, rows = layer.expert_groups(batch)  # (1, batch x tokens) without experts
        return LoopNest(
            G=groups, N=rows, K=layer.out_features, C=layer.in_features,
            P=1, Q=1, R=1, S=1, H=1, W=1, precision=precision,
        )
    if isinstance(layer, Matmul):
        return LoopNest(
            G=batch * layer.count, N=layer.m, K=layer.n, C=layer.k,
            P=1, Q=1, R=1, S=1, H=1, W=1, precision=precision, weights_are_activations=True,
        )
    return None
