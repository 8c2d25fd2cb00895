"""What the derivative transforms need for themselves: symbolic zeros and
the addition of cotangents.

Symbolic zeros
--------------
Most tangents and cotangents in a real program are zero: an argument that is
not differentiated, an integer index, the unused branch of `where`. Instead
of allocating arrays of zeros, a transform passes `Zero(aval)`, which every
rule recognises and skips. `f(x, y) = x * y` differentiated only in `x`
records `x_dot * y` and nothing for `y`. Zeros are made concrete
(`instantiate`) only where a value must really exist, at the boundary
between a transform and the user.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad.core import Primitive, ShapedArray, get_aval
from funcgrad.errors import FuncgradTypeError, ShapeError


class Zero:
    """A tangent or cotangent known to be zero everywhere."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray) -> None:
        self.aval = aval

    def __repr__(self) -> str:
        return f"Zero({self.aval.str_short()})"


def zeros_like_aval(aval: ShapedArray) -> np.ndarray:
    return np.zeros(aval.shape, aval.dtype)


def instantiate(value: Any) -> Any:
    """Turn a symbolic zero into an array; leave anything else as it is."""
    if type(value) is Zero:
        return zeros_like_aval(value.aval)
    return value


# add_any adds two cotangents (or tangents) of one aval. It is the transforms'
# own primitive so that accumulating cotangents stays visible, and
# differentiable, in the programs they build.
add_any_p = Primitive("add_any")


@add_any_p.def_impl
def add_any_impl(x: Any, y: Any) -> Any:
    return np.asarray(np.add(x, y))


@add_any_p.def_abstract_eval
def add_any_abstract_eval(x: ShapedArray, y: ShapedArray) -> ShapedArray:
    if x.dtype != y.dtype:
        raise FuncgradTypeError(
            f"`add_any` adds values of one dtype, got {x.str_short()} and "
            f"{y.str_short()}."
        )
    if x != y:
        raise ShapeError(
            f"`add_any` adds values of one type, got {x.str_short()} and "
            f"{y.str_short()}."
        )
    return x


def add_tangents(x: Any, y: Any) -> Any:
    """Add two (co)tangents, either of which may be a symbolic zero."""
    if type(x) is Zero:
        return y
    if type(y) is Zero:
        return x
    return add_any_p.bind(x, y)


def aval_of(value: Any) -> ShapedArray:
    return value.aval if type(value) is Zero else get_aval(value)
