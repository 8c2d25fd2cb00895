"""Helpers shared by the primitive families: dtype and shape checks for
abstract evaluation, and the broadcasting glue that derivative rules need.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad.core import ShapedArray, get_aval
from funcgrad.errors import FuncgradTypeError, ShapeError


def broadcast_shapes(name: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        listed = " and ".join(str(s) for s in shapes)
        raise ShapeError(
            f"`{name}`: operands could not be broadcast together with shapes "
            f"{listed}. numpy's rule applies: trailing dimensions must be equal "
            f"or 1."
        ) from None


def same_dtype(name: str, avals: Sequence[ShapedArray]) -> np.dtype:
    dtypes = {a.dtype for a in avals}
    if len(dtypes) != 1:
        listed = ", ".join(a.str_short() for a in avals)
        raise FuncgradTypeError(
            f"The primitive `{name}` takes operands of one dtype, got {listed}. "
            f"`funcgrad.numpy` promotes dtypes for you; when binding "
            f"primitives directly, convert with `convert_element_type` first."
        )
    return dtypes.pop()


def require_dtype_kind(name: str, aval: ShapedArray, kinds: str, what: str) -> None:
    if aval.dtype.kind not in kinds:
        raise FuncgradTypeError(
            f"`{name}` needs {what} operands, got {aval.str_short()}."
        )


def const(value: Any, like: Any) -> np.ndarray:
    """A 0-d constant of `like`'s dtype (a literal once staged)."""
    return np.asarray(value, dtype=get_aval(like).dtype)


def shape_of(x: Any) -> tuple[int, ...]:
    return get_aval(x).shape


def normalize_axis(name: str, axis: int, ndim: int) -> int:
    if not -ndim <= axis < max(ndim, 1):
        raise ShapeError(
            f"`{name}`: axis {axis} is out of bounds for an array of dimension {ndim}."
        )
    return axis % ndim if ndim else 0


def normalize_axes(name: str, axes: Any, ndim: int) -> tuple[int, ...]:
    if axes is None:
        return tuple(range(ndim))
    if isinstance(axes, int | np.integer):
        axes = (int(axes),)
    if not isinstance(axes, tuple | list) or not all(
        isinstance(a, int | np.integer) and not isinstance(a, bool) for a in axes
    ):
        raise FuncgradTypeError(
            f"`{name}`: `axis` must be None, an int or a tuple of ints known "
            f"while tracing, got {axes!r}."
        )
    out = tuple(sorted(normalize_axis(name, int(a), ndim) for a in axes))
    if len(set(out)) != len(out):
        raise ShapeError(f"`{name}`: repeated axis in {tuple(axes)}.")
    return out
