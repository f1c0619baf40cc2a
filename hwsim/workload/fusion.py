"""Declared fusions: which operands of a chain of layers stay on chip.

``fuse_attention`` finds every attention chain, scores = Q @ K^T -> softmax -> context = P @ V
(a matmul whose only consumer is a softmax whose only consumer is a matmul reading it as its
first operand), and marks the score matrix as never leaving the chip: what FlashAttention
does (Dao et al., NeurIPS 2022), tile by tile; a causal chain's fused kernel also skips the
key blocks above the diagonal (``causal_share``). ``unfuse_attention`` clears those marks, so
the score matrix goes through memory as separate kernels would send it.
"""

from __future__ import annotations

from collections.abc import Iterator

from hwsim.workload.graph import Workload
from hwsim.workload.layers import Eltwise, Layer, Matmul, Operand

#: Query rows of one block of a fused causal attention kernel (FlashAttention-2's forward
#: kernels use 128 on Ampere and Hopper for head dimensions up to 128; recalled from its source).
CAUSAL_QUERY_BLOCK = 128


def causal_share(positions: int) -> float:
    """Share of a causal score matrix of ``positions`` x ``positions`` that a fused kernel
    computes: query block i visits the key blocks up to its own end, (blocks + 1) / (2 blocks)
    of the whole with the diagonal blocks computed whole. 128 positions: 1; 2048: 17/32."""
    blocks = -(-positions // CAUSAL_QUERY_BLOCK)
    return (blocks + 1) / (2 * blocks)


#: The on-chip operands of the three layers of a fused attention chain.
FUSED: tuple[list[Operand], list[Operand], list[Operand]] = (
    ["outputs"], ["inputs", "outputs"], ["inputs"])


def attention_chains(workload: Workload) -> Iterator[tuple[str, str, str]]:
    """(scores, softmax, context) layer names of every attention chain, in file order."""
    for layer in workload.layers:
        if not (isinstance(layer, Eltwise) and layer.kind == "softmax"):
            continue
        producers = workload.producers(layer.name)
        consumers = workload.consumers(layer.name)
        if len(producers) != 1 or len(consumers) != 1:
            continue
        scores, context = workload.layer(producers[0]), workload.layer(consumers[0])
        if not (isinstance(scores, Matmul) and isinstance(context, Matmul)):
            continue
        if workload.consumers(scores.name) != [layer.name]:
            continue
        if workload.producers(context.name)[:1] != [layer.name]:
            continue
        yield scores.name, layer.name, context.name


def _with_marks(workload: Workload, fused: bool) -> Workload:
    marks: dict[str, list[Operand]] = {}
    for names in attention_chains(workload):
        for name, on_chip in zip(names, FUSED):
            marks[name] = list(on_chip) if fused else []
    if not marks:
        return workload
    layers: list[Layer] = [
        layer.model_copy(update={"on_chip": marks[layer.name]}) if layer.name in marks
        else layer
        for layer in workload.layers
    ]
    if all(a.on_chip == b.on_chip for a, b in zip(layers, workload.layers)):
        return workload
    return workload.with_layers(layers)


def fuse_attention(workload: Workload) -> Workload:
    """``workload`` with every attention chain fused (scores kept on chip)."""
    return _with_marks(workload, fused=True)


def unfuse_attention(workload: Workload) -> Workload:
    """``workload`` with every attention chain's score matrix sent through memory."""
    return _with_marks(workload, fused=False)
