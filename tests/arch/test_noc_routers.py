"""NoC router area: grows with ports and flit width, is paid by mesh, tree and graph
interconnects only, and stays near the DSENT runs it was fitted to."""

from __future__ import annotations

import pytest

from hwsim import load_arch
from hwsim.arch.area import PLACEMENT_UTILISATION, logic_area_scale, router_um2_45nm
from hwsim.arch.silicon import component_silicon, router_ports


@pytest.mark.parametrize("width", [8, 16, 32, 64, 128, 256])
def test_router_area_grows_with_ports(width):
    areas = [router_um2_45nm(p, width) for p in range(2, 10)]
    assert areas == sorted(areas) and len(set(areas)) == len(areas)


@pytest.mark.parametrize("ports", [2, 3, 5, 8])
def test_router_area_grows_with_flit_width(ports):
    areas = [router_um2_45nm(ports, w) for w in (4, 8, 16, 32, 64, 128, 256, 512)]
    assert areas == sorted(areas) and len(set(areas)) == len(areas)


def test_deeper_buffers_cost_more():
    assert router_um2_45nm(5, 32, 2) < router_um2_45nm(5, 32, 4) < router_um2_45nm(5, 32, 8)


def test_router_fit_against_dsent():
    """Within 8% of every DSENT point it was fitted to (benchmarks/validate_area.py)."""
    from benchmarks.validate_area import router_rows

    errors = [r["error"] for r in router_rows()]
    assert len(errors) == 9 and max(abs(e) for e in errors) < 0.08
    assert router_um2_45nm(5, 64) == pytest.approx(21053, rel=0.05)  # DSENT: 21,053 µm²


@pytest.mark.parametrize("topology", ["systolic", "bus", "crossbar"])
def test_no_routers_without_a_routed_network(topology):
    arch = load_arch("gemmini", {"interconnect.topology": topology})
    assert router_ports(arch) == []
    si = component_silicon(arch)
    assert si is not None and "noc_routers" not in si.area_mm2
    assert si.area_mm2.get("noc_routers", 0.0) == 0.0


def test_mesh_pays_a_five_port_router_per_pe():
    systolic, mesh = load_arch("gemmini"), load_arch("gemmini", {"interconnect.topology": "mesh"})
    assert router_ports(mesh) == [5] * mesh.num_pes
    si = component_silicon(mesh)
    base = component_silicon(systolic)
    assert si is not None and base is not None
    # int8 operands: 8-bit flits
    expected = mesh.num_pes * router_um2_45nm(5, 8) * logic_area_scale(mesh.technology_nm)
    assert si.area_mm2["noc_routers"] == pytest.approx(expected * 1e-6 / PLACEMENT_UTILISATION)
    assert si.total_mm2 > base.total_mm2 and si.leakage_w > base.leakage_w


def test_tree_and_graph_routers():
    tree = load_arch("gemmini", {"interconnect.topology": "tree"})
    assert router_ports(tree) == [3] * (tree.num_pes - 1)
    n = tree.num_pes
    chain = load_arch("gemmini", {"interconnect.topology": "graph",
                                  "interconnect.edges": [[i, i + 1] for i in range(n - 1)]})
    assert router_ports(chain) == [2] + [3] * (n - 2) + [2]
    mesh = component_silicon(load_arch("gemmini", {"interconnect.topology": "mesh"}))
    t = component_silicon(tree)
    assert mesh is not None and t is not None
    assert 0 < t.area_mm2["noc_routers"] < mesh.area_mm2["noc_routers"]
