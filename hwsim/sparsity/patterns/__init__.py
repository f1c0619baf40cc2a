"""Sparsity pattern families, one module each, behind one interface (``PatternSpec``): spec
fields, analytic statistics, mask generator and gather cost of every family."""

from hwsim.sparsity.patterns.base import Fraction, MatrixShape, PatternSpec
from hwsim.sparsity.patterns.block import Block, ShuffledBlock
from hwsim.sparsity.patterns.channel import Channel
from hwsim.sparsity.patterns.dense import Dense
from hwsim.sparsity.patterns.gather_scatter import GatherScatter
from hwsim.sparsity.patterns.nested import Nested
from hwsim.sparsity.patterns.nm import NM
from hwsim.sparsity.patterns.small_world import SmallWorld
from hwsim.sparsity.patterns.unstructured import Unstructured

__all__ = ["NM", "Block", "Channel", "Dense", "Fraction", "GatherScatter", "MatrixShape",
           "Nested", "PatternSpec", "ShuffledBlock", "SmallWorld", "Unstructured"]
