"""Numeric precisions: storage bytes per element and the accumulator each one uses."""

from __future__ import annotations

from typing import Literal

Precision = Literal["int4", "int8", "int16", "fp8", "fp16", "bf16", "tf32", "fp32"]

#: Bytes one element occupies in memory. tf32 is stored as fp32 (NVIDIA A100 whitepaper).
BYTES: dict[str, float] = {
    "int4": 0.5,
    "int8": 1.0,
    "int16": 2.0,
    "fp8": 1.0,
    "fp16": 2.0,
    "bf16": 2.0,
    "tf32": 4.0,
    "fp32": 4.0,
}

#: Precision partial sums are kept in (int8 MACs accumulate in int32 as in TPU v1, Jouppi et al.
#: ISCA 2017; fp16/bf16 in fp32 as in tensor cores, NVIDIA Volta whitepaper 2017).
ACCUMULATOR: dict[str, str] = {
    "int4": "int16",
    "int8": "int32",
    "int16": "int32",
    "fp8": "fp16",
    "fp16": "fp32",
    "bf16": "fp32",
    "tf32": "fp32",
    "fp32": "fp32",
}

ACC_BYTES: dict[str, float] = {"int16": 2.0, "int32": 4.0, "fp16": 2.0, "fp32": 4.0}


def bytes_per_element(precision: str) -> float:
    """Storage bytes of one element."""
    return BYTES[precision]


def psum_bytes(precision: str) -> float:
    """Bytes of one partial sum (accumulator precision) for MACs in ``precision``."""
    return ACC_BYTES[ACCUMULATOR[precision]]
