"""On-chip interconnect: hops an operand travels from a buffer to the PEs that use it.

Energy = bits x hops x hop length (mm) x wire energy (pJ/bit/mm). Multicast fan-out f (how many
PEs receive the same element) and the span of the array along the delivery direction decide hops.
"""

from __future__ import annotations

import math

from hwsim.arch.hardware import Hardware
from hwsim.model.num import Num


def hops_per_delivery(topology: str, fanout: float, span: float, n_pe: int,
                      graph_path_len: float = 0.0) -> float:
    """Average hops to deliver one element to ``fanout`` PEs.

    systolic: forwarded neighbour to neighbour through the fan-out PEs (f hops);
    bus / crossbar: one broadcast on a wire spanning the array side (span hops);
    mesh: enter at the edge, half a side on average, then one hop per extra destination;
    tree: log2(n_pe) levels down an H-tree, then one hop per extra destination;
    graph: the PE graph's mean shortest path to reach the group, then one hop per extra PE.
    """
    f = max(fanout, 1.0)
    if topology == "systolic":
        return f
    if topology in ("bus", "crossbar"):
        return max(span, 1.0)
    if topology == "mesh":
        return span / 2.0 + f - 1.0
    if topology == "tree":
        return math.log2(max(n_pe, 2)) + f - 1.0
    if topology == "graph":
        return graph_path_len + f - 1.0
    raise ValueError(f"unknown topology {topology}")


def hop_energy_j(bit_hops: Num, hw: Hardware) -> Num:
    """Energy of ``bit_hops`` bit-hops on this chip's wires, joules."""
    return bit_hops * hw.hop_pj_per_bit * 1e-12
