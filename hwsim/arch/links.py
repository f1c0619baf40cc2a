"""Device-to-device links: the latency model of the collectives that cross them.

NCCL picks, per all-reduce, the protocol with the least predicted time, from its own model
(NVIDIA/nccl, src/graph/tuning.cc, ring algorithm): time = base latency + steps x per-hop
latency + bytes / (bus bandwidth x the protocol's share of it). LL packs 8-byte flags with the
data (a quarter of the bandwidth, the least latency); LL128 keeps most of the bandwidth; Simple
has all of it and the largest start-up. The constants below are that file's, in microseconds.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Protocol:
    """One NCCL protocol on one link kind: fixed latency, latency per ring step (s), and the
    share of the bus bandwidth it reaches."""

    name: str
    base_s: float
    step_s: float
    bandwidth_share: float


#: NCCL's ring all-reduce model (tuning.cc: baseLat for Ring, hwLat for NVLink and PCI; LL at a
#: quarter of the bus bandwidth, LL128 at 0.92 of it).
NCCL_RING: dict[str, tuple[Protocol, ...]] = {
    "nvlink": (Protocol("LL", 3.6e-6, 0.47e-6, 0.25), Protocol("LL128", 10.0e-6, 1.9e-6, 0.92),
               Protocol("Simple", 8.4e-6, 3.4e-6, 1.0)),
    "pcie": (Protocol("LL", 3.6e-6, 1.0e-6, 0.25), Protocol("LL128", 10.0e-6, 2.5e-6, 0.92),
             Protocol("Simple", 8.4e-6, 5.7e-6, 1.0)),
}
