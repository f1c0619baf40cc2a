"""Accelerator specs: validated models, YAML loading with located errors, energy tables."""

from hwsim.arch.load import load_arch
from hwsim.arch.spec import ArchSpec

__all__ = ["ArchSpec", "load_arch"]
