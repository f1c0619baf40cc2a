"""Cycles per gather from a banked scratchpad for a layer's sparsity (no profile = dense)."""

from __future__ import annotations

from hwsim.sparsity.banks import distinct_banks_cycles
from hwsim.sparsity.profile import SparsityProfile


def gather_cycles(profile: SparsityProfile | None, lanes: int, banks: int) -> float:
    """Cycles per gather of ``lanes`` activations for this pattern (1.0 = conflict-free)."""
    if profile is None:
        return distinct_banks_cycles(lanes, banks)  # dense rows hit distinct banks
    return profile.gather_cycles(lanes, banks)
