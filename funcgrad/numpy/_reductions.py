"""numpy's reductions: sum, mean, prod, max, min, var, std, argmax, argmin,
with `axis` (None, an int or a tuple) and `keepdims`.
"""

from __future__ import annotations

import builtins
import functools
from typing import Any

import numpy as np

from funcgrad.core import get_aval
from funcgrad.errors import FuncgradValueError
from funcgrad.numpy._util import (
    as_operand,
    cast,
    is_eager,
    normalize_axis_arg,
    to_ndarray,
)
from funcgrad.primitives import _elementwise as ew
from funcgrad.primitives import _reductions as red
from funcgrad.primitives import _shape as shape_ops


@functools.cache
def _sum_dtype(dtype: np.dtype) -> np.dtype:
    # numpy sums small integers and booleans in the default integer.
    return np.add.reduce(np.ones(1, dtype)).dtype


def _keep(out: Any, x_shape: tuple, axes: tuple, keepdims: bool) -> Any:
    if not keepdims:
        return out
    return shape_ops.reshape(
        out, tuple(1 if i in axes else s for i, s in enumerate(x_shape))
    )


def _prepare(a: Any, axis: Any, name: str) -> tuple[Any, tuple, tuple]:
    x = as_operand(a)
    shape = get_aval(x).shape
    return x, shape, normalize_axis_arg(axis, len(shape), name)


def sum(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """`numpy.sum` over `axis` (all axes by default)."""
    if is_eager(a):
        return to_ndarray(np.sum(a, axis=axis, dtype=dtype, keepdims=keepdims))
    x, shape, axes = _prepare(a, axis, "sum")
    x = cast(x, dtype if dtype is not None else _sum_dtype(get_aval(x).dtype))
    return _keep(red.reduce_sum(x, axes), shape, axes, keepdims)


def prod(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """`numpy.prod`; its derivative is exact where elements are zero."""
    if is_eager(a):
        return to_ndarray(np.prod(a, axis=axis, dtype=dtype, keepdims=keepdims))
    x, shape, axes = _prepare(a, axis, "prod")
    x = cast(x, dtype if dtype is not None else _sum_dtype(get_aval(x).dtype))
    return _keep(red.reduce_prod(x, axes), shape, axes, keepdims)


def _count(shape: tuple, axes: tuple) -> int:
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


def mean(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """`numpy.mean`; integers average in float64, as in numpy."""
    if is_eager(a):
        return to_ndarray(np.mean(a, axis=axis, dtype=dtype, keepdims=keepdims))
    x, shape, axes = _prepare(a, axis, "mean")
    out_dtype = np.dtype(dtype) if dtype is not None else _mean_dtype(get_aval(x).dtype)
    total = red.reduce_sum(cast(x, out_dtype), axes)
    out = ew.div(total, np.asarray(_count(shape, axes), out_dtype))
    return _keep(out, shape, axes, keepdims)


def _mean_dtype(dtype: np.dtype) -> np.dtype:
    return dtype if dtype.kind in "fc" else np.dtype(np.float64)


def var(
    a: Any, axis: Any = None, dtype: Any = None, ddof: int = 0, keepdims: bool = False
) -> Any:
    """`numpy.var`: the mean squared deviation, divided by `n - ddof`."""
    if is_eager(a):
        return to_ndarray(
            np.var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
        )
    x, shape, axes = _prepare(a, axis, "var")
    out_dtype = np.dtype(dtype) if dtype is not None else _mean_dtype(get_aval(x).dtype)
    x = cast(x, out_dtype)
    centred = ew.sub(x, mean(x, axis=axes, keepdims=True))
    if out_dtype.kind == "c":
        squares = ew.mul(centred, ew.convert_element_type(centred, out_dtype))
    else:
        squares = ew.integer_pow(centred, 2)
    total = red.reduce_sum(squares, axes)
    # numpy divides by max(n - ddof, 0), giving inf or nan past the end.
    divisor = builtins.max(_count(shape, axes) - ddof, 0)
    out = ew.div(total, np.asarray(divisor, out_dtype))
    return _keep(out, shape, axes, keepdims)


def std(
    a: Any, axis: Any = None, dtype: Any = None, ddof: int = 0, keepdims: bool = False
) -> Any:
    """`numpy.std`: the square root of `var`."""
    if is_eager(a):
        return to_ndarray(
            np.std(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
        )
    return ew.sqrt(var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims))


def max(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """`numpy.max`. Tied maxima share the derivative evenly."""
    if is_eager(a):
        return to_ndarray(np.max(a, axis=axis, keepdims=keepdims))
    x, shape, axes = _prepare(a, axis, "max")
    return _keep(red.reduce_max(x, axes), shape, axes, keepdims)


def min(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """`numpy.min`. Tied minima share the derivative evenly."""
    if is_eager(a):
        return to_ndarray(np.min(a, axis=axis, keepdims=keepdims))
    x, shape, axes = _prepare(a, axis, "min")
    return _keep(red.reduce_min(x, axes), shape, axes, keepdims)


amax, amin = max, min


def _arg(
    name: str, lax_fn: Any, numpy_fn: Any, a: Any, axis: Any, keepdims: bool
) -> Any:
    if is_eager(a):
        return to_ndarray(numpy_fn(a, axis=axis, keepdims=keepdims))
    x = as_operand(a)
    shape = get_aval(x).shape
    if axis is None:
        flat = shape_ops.reshape(x, (int(np.prod(shape, dtype=np.int64)),))
        out = lax_fn(flat, 0)
        return shape_ops.reshape(out, (1,) * len(shape)) if keepdims else out
    if not isinstance(axis, int | np.integer):
        raise FuncgradValueError(
            f"`{name}` takes one integer axis or None, got {axis!r}."
        )
    (ax,) = normalize_axis_arg(int(axis), len(shape), name)
    return _keep(lax_fn(x, ax), shape, (ax,), keepdims)


def argmax(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """`numpy.argmax`: indices (int64) of the first maximum."""
    return _arg("argmax", red.argmax, np.argmax, a, axis, keepdims)


def argmin(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """`numpy.argmin`: indices (int64) of the first minimum."""
    return _arg("argmin", red.argmin, np.argmin, a, axis, keepdims)
