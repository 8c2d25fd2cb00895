"""Array creation: array, asarray, zeros, ones, full, empty, their `_like`
forms, arange, linspace, eye and identity.

Creation makes concrete numpy arrays even inside a transform (a constant of
the program); `array` and `asarray` of traced values stack them instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad.core import Tracer, get_aval
from funcgrad.numpy._util import cast, is_eager, promote, shape_of
from funcgrad.primitives import _shape as shape_ops


def _contains_tracer(obj: Any) -> bool:
    if isinstance(obj, Tracer):
        return True
    if isinstance(obj, list | tuple):
        return any(_contains_tracer(e) for e in obj)
    return False


def _stack_nested(obj: Any) -> Any:
    if not isinstance(obj, list | tuple):
        return obj
    from funcgrad.numpy._shape import stack

    return stack(promote(*(_stack_nested(e) for e in obj)))


def array(object: Any, dtype: Any = None, copy: bool = True, ndmin: int = 0) -> Any:
    """`numpy.array`; nested lists of traced values are stacked."""
    if not _contains_tracer(object):
        return np.array(object, dtype=dtype, copy=copy, ndmin=ndmin)
    out = _stack_nested(object)
    if dtype is not None:
        out = cast(out, dtype)
    missing = ndmin - len(shape_of(out))
    if missing > 0:
        out = shape_ops.reshape(out, (1,) * missing + tuple(shape_of(out)))
    return out


def asarray(a: Any, dtype: Any = None) -> Any:
    """`numpy.asarray`: traced values pass through (cast if `dtype` is given)."""
    if not _contains_tracer(a):
        return np.asarray(a, dtype=dtype)
    return array(a, dtype=dtype, copy=False)


def copy(a: Any) -> Any:
    """`numpy.copy`; a traced value is immutable, so it is returned as is."""
    return np.array(a, copy=True) if is_eager(a) else a


def _static(value: Any, name: str, what: str) -> Any:
    """A shape or bound as a Python value; a traced one must be concrete."""
    if isinstance(value, Tracer):
        return value.concrete_value(f"`{name}`'s {what}")
    if isinstance(value, list | tuple):
        return type(value)(_static(v, name, what) for v in value)
    return value


def zeros(shape: Any, dtype: Any = float) -> np.ndarray:
    """`numpy.zeros` (float64 by default)."""
    return np.zeros(_static(shape, "zeros", "shape"), dtype)


def ones(shape: Any, dtype: Any = float) -> np.ndarray:
    """`numpy.ones` (float64 by default)."""
    return np.ones(_static(shape, "ones", "shape"), dtype)


def empty(shape: Any, dtype: Any = float) -> np.ndarray:
    """`numpy.empty`, filled with zeros so that results never depend on garbage."""
    return np.zeros(_static(shape, "empty", "shape"), dtype)


def full(shape: Any, fill_value: Any, dtype: Any = None) -> Any:
    """`numpy.full`; a traced `fill_value` is broadcast."""
    shape = _static(shape, "full", "shape")
    if not isinstance(fill_value, Tracer):
        return np.full(shape, fill_value, dtype)
    shape = (shape,) if isinstance(shape, int | np.integer) else tuple(shape)
    value = fill_value if dtype is None else cast(fill_value, dtype)
    return shape_ops.broadcast_to(value, shape)


def _like(a: Any, dtype: Any, shape: Any) -> tuple[Any, tuple]:
    aval = get_aval(a) if isinstance(a, Tracer) else None
    base_dtype = aval.dtype if aval is not None else np.asarray(a).dtype
    base_shape = aval.shape if aval is not None else np.shape(a)
    return (base_dtype if dtype is None else dtype), (
        base_shape if shape is None else shape
    )


def zeros_like(a: Any, dtype: Any = None, shape: Any = None) -> np.ndarray:
    """`numpy.zeros_like`; works on traced values (the result is a constant)."""
    dtype, shape = _like(a, dtype, shape)
    return np.zeros(shape, dtype)


def ones_like(a: Any, dtype: Any = None, shape: Any = None) -> np.ndarray:
    """`numpy.ones_like`; works on traced values (the result is a constant)."""
    dtype, shape = _like(a, dtype, shape)
    return np.ones(shape, dtype)


def empty_like(a: Any, dtype: Any = None, shape: Any = None) -> np.ndarray:
    """`numpy.empty_like`, filled with zeros."""
    return zeros_like(a, dtype, shape)


def full_like(a: Any, fill_value: Any, dtype: Any = None, shape: Any = None) -> Any:
    """`numpy.full_like`; a traced `fill_value` is broadcast."""
    dtype, shape = _like(a, dtype, shape)
    return full(shape, fill_value, dtype)


def arange(
    start: Any, stop: Any = None, step: Any = None, dtype: Any = None
) -> np.ndarray:
    """`numpy.arange` (concrete bounds only)."""
    start, stop, step = (_static(v, "arange", "bounds") for v in (start, stop, step))
    return np.arange(start, stop, step, dtype=dtype)


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True,
             retstep: bool = False, dtype: Any = None, axis: int = 0) -> Any:  # fmt: skip
    """`numpy.linspace` (concrete bounds only)."""
    start, stop, num = (_static(v, "linspace", "bounds") for v in (start, stop, num))
    return np.linspace(start, stop, num, endpoint, retstep, dtype, axis)


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = float) -> np.ndarray:  # noqa: N803
    """`numpy.eye`."""
    return np.eye(N, M, k, dtype)


def identity(n: int, dtype: Any = float) -> np.ndarray:
    """`numpy.identity`."""
    return np.identity(n, dtype)
