"""The lowering registry: how each primitive is written inside a fused
numba kernel.

An elementwise lowering turns the source text of the primitive's scalar
operands into the source text of its scalar result, for example
`add: (a, b) -> "(a + b)"`. It receives the operands' and result's dtypes,
so that it can write constants and conversions in the right type.
Primitives register their lowerings beside their other rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcgrad.core import Primitive

ElementwiseLowering = Callable[..., str]
elementwise_lowerings: dict[Primitive, ElementwiseLowering] = {}
# For primitives that are elementwise only for some parameters (a
# broadcast that numpy's rules can express): when they may be fused.
fusion_conditions: dict[Primitive, Callable[..., bool]] = {}


def scalar_type(dtype: Any) -> str:
    """The numba-visible name of a dtype's scalar type: `np.float32`."""
    name = np.dtype(dtype).name
    return "np.bool_" if name == "bool" else f"np.{name}"


def literal(value: Any, dtype: Any) -> str:
    """A constant written in `dtype` (`np.float32(0.5)`), exactly."""
    value = np.asarray(value, dtype=dtype)[()]
    if np.dtype(dtype).kind == "f":
        text = repr(float(value))
        if text in ("inf", "-inf", "nan"):
            text = f'float("{text}")'
        return f"{scalar_type(dtype)}({text})"
    if np.dtype(dtype) == np.bool_:
        return "True" if value else "False"
    return f"{scalar_type(dtype)}({int(value)})"


def lower_elementwise(
    primitive: Primitive,
    operands: Sequence[str],
    in_dtypes: Sequence[np.dtype],
    out_dtype: np.dtype,
    params: dict[str, Any],
    exact: bool = False,
) -> str | None:
    """The scalar expression of one equation, or None if it has no lowering.
    With `exact`, the exact fallback where the primitive has one."""
    rule = elementwise_lowerings.get(primitive)
    if rule is None:
        return None
    if exact and primitive in exact_fallbacks:
        rule = exact_fallbacks[primitive][1]
    text = rule(*operands, in_dtypes=in_dtypes, out_dtype=out_dtype, **params)
    out = np.dtype(out_dtype)
    if out.kind == "u" or (out.kind == "i" and out.itemsize < 8):
        # numba computes small integers in int64; numpy wraps them around
        # in their own width (uint8 10 - 128 is 138), so the result is cast
        # back at every step, as storing it would.
        text = f"{scalar_type(out)}({text})"
    return text


# Lowerings that are exact only on part of the input domain: the guard
# turns an operand's source text into a condition that holds where the
# elementwise lowering may be inaccurate, and the exact lowering is the one
# used instead. A kernel whose loop meets such an element computes its loop
# again with the exact lowerings (sin and cos of arguments above 1e5).
TRIG_EXACT_BELOW = 1.0e5  # backend/_vecmath.py's sin and cos are exact below
ExactFallback = tuple[Callable[[str], str], ElementwiseLowering]
exact_fallbacks: dict[Primitive, ExactFallback] = {}


# A reduction that may end a fused chain: its accumulator's initial value
# and how one element is folded into it, as source text.
ReductionLowering = tuple[Callable[[np.dtype], str], Callable[[str, str], str]]
reduction_lowerings: dict[Primitive, ReductionLowering] = {}
# Reductions that add up their elements: a float32 one accumulates in
# float64 (numpy sums pairwise; a plain running float32 sum of a million
# elements loses most of its digits).
summing_reductions: set[Primitive] = set()


def accumulator_dtype(primitive: Primitive, dtype: Any) -> np.dtype:
    """The dtype a fused reduction accumulates in."""
    dtype = np.dtype(dtype)
    if primitive in summing_reductions and dtype == np.float32:
        return np.dtype(np.float64)
    return dtype


# How a primitive is written as a statement of a whole compiled program:
# `rule(out, *operands, eqn=...)` returns the source lines that assign
# `out`, or None where the parameters are beyond what it compiles (the
# program then runs step by step instead).
ArrayLowering = Callable[..., list[str] | None]
array_lowerings: dict[Primitive, ArrayLowering] = {}


# Elementwise primitives whose numpy implementation is vectorized (SIMD)
# while their lowering, without Intel's SVML, calls a scalar libm function
# per element (log, tan, pow; exp, tanh, sin and cos have vectorizable
# lowerings in `_vecmath`). Large programs leave them to numpy; whole small
# programs, where dispatch costs more than arithmetic, still compile them.
transcendental: set[Primitive] = set()


# Primitives whose implementations run on a threaded library (BLAS, LAPACK):
# a program with one of them keeps its fused kernels serial.
threaded_primitives: set[Primitive] = set()


# Structured control flow: a loop or branch primitive, whose bodies are
# Jaxprs in its parameters, says how one of its equations reads as one of
# the backend's loop forms (`funcgrad.backend._loops`: `ScanForm`,
# `WhileForm`, `SwitchForm`). Compiled programs then run the bodies
# compiled, inside one numba function with the loop where they are small.
ControlLowering = Callable[[Any], Any]
control_lowerings: dict[Primitive, ControlLowering] = {}
