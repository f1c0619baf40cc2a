"""What a design costs, as names that sweep constraints can use (``area_mm2 < 2``,
``fpga_dsp <= 0.8 * fpga_dsp_available``): read from the arch once it is built, before any
workload is evaluated, so excluded designs cost nothing."""

from __future__ import annotations

from hwsim.arch.spec import ArchSpec

#: Names a constraint may use besides the swept parameters, with their meaning and unit.
DESIGN_NAMES: dict[str, str] = {
    "area_mm2": "placed silicon area (ASIC) or die area (GPU), mm²; 0 for FPGA designs",
    "leakage_w": "modelled leakage of the components, W",
    "static_w": "static power charged over the latency (chip and DRAM), W",
    "fpga_dsp": "DSP blocks the design uses on its device (0 without a device)",
    "fpga_ram_blocks": "RAM blocks (BRAM18, M20K, URAM) the design uses",
    "fpga_dsp_available": "DSP blocks of the device",
}


def design_values(arch: ArchSpec) -> dict[str, float]:
    """The DESIGN_NAMES of ``arch`` (resolved hardware)."""
    hw = arch.hw
    res = hw.resources
    used = res.used if res is not None else {}
    return {
        "area_mm2": float(sum(hw.area_mm2.values())),
        "leakage_w": hw.leakage_w,
        "static_w": hw.static_w,
        "fpga_dsp": float(used.get("dsp", 0)),
        "fpga_ram_blocks": float(sum(v for k, v in used.items() if k != "dsp")),
        "fpga_dsp_available": float(res.available["dsp"]) if res is not None else 0.0,
    }
