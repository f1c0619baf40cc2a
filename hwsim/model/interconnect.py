"""On-chip interconnect: hops an operand travels from a buffer to the PEs that use it.

Energy = bits x hops x hop length (mm) x wire energy (pJ/bit/mm). Multicast fan-out f (how many
PEs receive the same element) and the span of the array along the delivery direction decide hops.
"""

from __future__ import annotations

import math
from functools import lru_cache

import networkx as nx

from hwsim.arch.spec import ArchSpec


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


@lru_cache(maxsize=64)
def _graph_path_length(edges: tuple[tuple[int, int], ...]) -> float:
    g = nx.Graph()
    g.add_edges_from(edges)
    if not nx.is_connected(g):
        raise ValueError("interconnect graph is not connected")
    return float(nx.average_shortest_path_length(g))


def graph_path_length(arch: ArchSpec) -> float:
    """Mean shortest-path hops of an explicit PE graph (0 for other topologies)."""
    edges = arch.interconnect.edges
    if arch.interconnect.topology != "graph" or not edges:
        return 0.0
    return _graph_path_length(tuple(tuple(e) for e in edges))


def hop_energy_j(bit_hops: float, arch: ArchSpec) -> float:
    """Energy of ``bit_hops`` bit-hops on this chip's wires, joules."""
    return bit_hops * arch.interconnect.hop_mm * arch.wire_pj_per_bit_mm * 1e-12
