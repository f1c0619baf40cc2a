"""The area model against published chips: model vs published with the error, per case.

    python benchmarks/validate_area.py > benchmarks/data/area_validation.txt

Published figures and their kinds ([silicon] a fabricated chip, [layout] post-layout, [synth]
synthesis cell area with memories, [bound] an upper bound):
* Eyeriss (Chen et al., JSSC 2017): 65 nm die of 4.0 x 4.0 mm (die photo) [silicon].
* TPU v1 (Jouppi et al., ISCA 2017): die at most half of Haswell's 662 mm², i.e. <= 331 mm²;
  the unified buffer "almost a third of the die", the matrix unit "a quarter" [bound].
* DianNao (Chen et al., ASPLOS 2014): 3.02 mm² at 65 nm, 16x16 16-bit multipliers, NBin and
  NBout 2 KB, SB 32 KB [layout].
* NVDLA (nvdla.org primer, "Example Area and Performance"): 2048 int8 MACs + 512 KB CBUF:
  5.5 mm² at 28 nm, 3.3 at 16 nm; 256 MACs + 256 KB: 1.7 / 1.0 mm² [synth: cell area with all
  memories, so compared with the model before placement spreading].
"""

from __future__ import annotations

from typing import Any

from hwsim import load_arch
from hwsim.arch.area import PLACEMENT_UTILISATION
from hwsim.arch.silicon import component_silicon


def _nvdla(macs: int, rows: int, kib: int, node: int) -> dict[str, Any]:
    return {"technology_nm": node, "precisions": ["int8"], "compute.rows": rows,
            "compute.cols": macs // rows, "compute.vector_lanes": 16,
            "buffers": [{"name": "cbuf", "holds": ["weights", "inputs"], "capacity_kib": kib,
                         "banks": 16},
                        {"name": "accumulator", "holds": ["outputs"], "capacity_kib": 32,
                         "banks": 2}]}


DIANNAO = {"technology_nm": 65, "precisions": ["int16"], "compute.rows": 16, "compute.cols": 16,
           "compute.vector_lanes": 16,
           "buffers": [{"name": "nbin", "holds": ["inputs"], "capacity_kib": 2},
                       {"name": "sb", "holds": ["weights"], "capacity_kib": 32},
                       {"name": "nbout", "holds": ["outputs"], "capacity_kib": 2}]}

#: (case, arch, overrides, component or None for the total, published mm², kind, placed?)
CASES: list[tuple[str, str, dict[str, Any] | None, str | None, float, str, bool]] = [
    ("Eyeriss die, 65 nm", "eyeriss", None, None, 16.0, "silicon", True),
    ("TPU v1 matrix unit, 28 nm", "tpu_v1", None, "pe_array", 331 / 4, "bound", True),
    ("TPU v1 unified buffer, 28 nm", "tpu_v1", None, "unified_buffer", 331 / 3, "bound", True),
    ("DianNao, 65 nm", "gemmini", DIANNAO, None, 3.02, "layout", True),
    ("NVDLA 2048 MACs 512 KB, 28 nm", "gemmini", _nvdla(2048, 32, 512, 28), None, 5.5, "synth",
     False),
    ("NVDLA 2048 MACs 512 KB, 16 nm", "gemmini", _nvdla(2048, 32, 512, 16), None, 3.3, "synth",
     False),
    ("NVDLA 256 MACs 256 KB, 28 nm", "gemmini", _nvdla(256, 16, 256, 28), None, 1.7, "synth",
     False),
]


def rows() -> list[dict[str, Any]]:
    """Model vs published per case."""
    out = []
    for case, base, sets, comp, published, kind, placed in CASES:
        si = component_silicon(load_arch(base, sets))
        assert si is not None
        model = si.total_mm2 if comp is None else si.area_mm2[comp]
        if not placed:
            model *= PLACEMENT_UTILISATION  # synthesis cell area: before placement spreading
        out.append({"case": case, "model_mm2": model, "published_mm2": published, "kind": kind,
                    "error": model / published - 1.0})
    return out


def main() -> None:
    print(f"{'case':<34} {'model mm²':>10} {'published':>10} {'error':>8}  kind")
    for r in rows():
        print(f"{r['case']:<34} {r['model_mm2']:>10.2f} {r['published_mm2']:>10.2f} "
              f"{r['error']:>+8.0%}  {r['kind']}")


if __name__ == "__main__":
    main()
