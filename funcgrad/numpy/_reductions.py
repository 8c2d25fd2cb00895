"""numpy's reductions: sum, mean, prod, max, min, var, std, argmax, argmin,
with `axis` (None, an int or a tuple) and `keepdims`; their NaN-ignoring
forms (nansum, nanmean, ...); all, any, count_nonzero, ptp and average.
"""

from __future__ import annotations

import builtins
import functools
from typing import Any

import numpy as np

from funcgrad.core import get_aval
from funcgrad.errors import FuncgradTypeError, FuncgradValueError, ShapeError
from funcgrad.numpy._util import (
    as_operand,
    cast,
    is_eager,
    normalize_axis_arg,
    to_ndarray,
)
from funcgrad.primitives import _complex as cp
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
    if out_dtype.kind == "c":  # numpy: the mean of |x - mean|^2, real
        parts = (cp.real(centred), cp.imag(centred))
        squares = ew.add(*(ew.integer_pow(p, 2) for p in parts))
        out_dtype = get_aval(squares).dtype
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
    """`numpy.std`: the square root of `var`. At a constant input (variance
    0, a kink like `norm`'s at 0) the derivative is the subgradient 0, not
    NaN: the root is taken of 1 there and the result replaced by 0."""
    if is_eager(a):
        return to_ndarray(
            np.std(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
        )
    return _root_with_zero_subgradient(
        var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    )


def _root_with_zero_subgradient(v: Any) -> Any:
    """sqrt(v), with derivative 0 where v == 0 (the root is taken of 1
    there and the result replaced by 0)."""
    kind = get_aval(v).dtype
    zero, one = np.zeros((), kind), np.ones((), kind)
    constant = ew.eq(v, zero)
    return ew.select(constant, zero, ew.sqrt(ew.select(constant, one, v)))


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


# --- NaN-ignoring reductions ------------------------------------------------------
# NaNs are replaced (by 0 for sums, 1 for products, -inf or inf for maxima
# and minima) with `select`, so their cotangent is exactly zero.


def _isnan(x: Any) -> Any:
    return ew.ne(x, x)


def _without_nans(x: Any, fill: Any) -> Any:
    if get_aval(x).dtype.kind not in "fc":
        return x
    return ew.select(_isnan(x), np.asarray(fill, get_aval(x).dtype), x)


def nansum(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """`numpy.nansum`: `sum` with NaNs counted as zero."""
    if is_eager(a):
        return to_ndarray(np.nansum(a, axis=axis, dtype=dtype, keepdims=keepdims))
    return sum(_without_nans(as_operand(a), 0), axis, dtype, keepdims)


def nanprod(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """`numpy.nanprod`: `prod` with NaNs counted as one."""
    if is_eager(a):
        return to_ndarray(np.nanprod(a, axis=axis, dtype=dtype, keepdims=keepdims))
    return prod(_without_nans(as_operand(a), 1), axis, dtype, keepdims)


def _nan_count(x: Any, axis: Any, dtype: np.dtype, keepdims: bool) -> Any:
    present = ew.convert_element_type(ew.not_p.bind(_isnan(x)), dtype)
    return sum(present, axis, dtype, keepdims)


def nanmean(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """`numpy.nanmean`: the mean of the non-NaN elements (NaN where there
    are none)."""
    if is_eager(a):
        return to_ndarray(np.nanmean(a, axis=axis, dtype=dtype, keepdims=keepdims))
    x = as_operand(a)
    if get_aval(x).dtype.kind not in "fc":
        return mean(x, axis, dtype, keepdims)
    out_dtype = np.dtype(dtype) if dtype is not None else get_aval(x).dtype
    x = cast(x, out_dtype)
    total = sum(_without_nans(x, 0), axis, out_dtype, keepdims)
    return ew.div(total, _nan_count(x, axis, out_dtype, keepdims))


def nanvar(
    a: Any, axis: Any = None, dtype: Any = None, ddof: int = 0, keepdims: bool = False
) -> Any:
    """`numpy.nanvar`: the variance of the non-NaN elements, divided by
    `count - ddof` (NaN where that is not positive)."""
    if is_eager(a):
        return to_ndarray(
            np.nanvar(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
        )
    x = as_operand(a)
    if get_aval(x).dtype.kind not in "fc":
        return var(x, axis, dtype, ddof, keepdims)
    out_dtype = np.dtype(dtype) if dtype is not None else get_aval(x).dtype
    x = cast(x, out_dtype)
    nan = _isnan(x)
    count = _nan_count(x, axis, out_dtype, True)
    centre = ew.div(sum(_without_nans(x, 0), axis, out_dtype, True), count)
    zero = np.asarray(0, out_dtype)
    centred = ew.select(nan, zero, ew.sub(x, centre))
    total = sum(ew.integer_pow(centred, 2), axis, out_dtype, keepdims)
    dof = ew.sub(_keep_or_drop(count, axis, keepdims), np.asarray(ddof, out_dtype))
    bad = ew.le(dof, zero)
    safe = ew.select(bad, np.asarray(1, out_dtype), dof)
    return ew.select(bad, np.asarray(np.nan, out_dtype), ew.div(total, safe))


def _keep_or_drop(kept: Any, axis: Any, keepdims: bool) -> Any:
    if keepdims:
        return kept
    shape = get_aval(kept).shape
    axes = normalize_axis_arg(axis, len(shape), "nanvar")
    return shape_ops.squeeze(kept, axes)


def nanstd(
    a: Any, axis: Any = None, dtype: Any = None, ddof: int = 0, keepdims: bool = False
) -> Any:
    """`numpy.nanstd`: the square root of `nanvar`, with the subgradient 0
    at a constant input, like `std`."""
    if is_eager(a):
        return to_ndarray(
            np.nanstd(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
        )
    return _root_with_zero_subgradient(nanvar(a, axis, dtype, ddof, keepdims))


def _nan_choose(name: str, fn: Any, a: Any, axis: Any, keepdims: bool) -> Any:
    x = as_operand(a)
    if get_aval(x).dtype.kind not in "fc":
        return fn(x, axis, keepdims)
    fill = -np.inf if name == "nanmax" else np.inf
    out = fn(_without_nans(x, fill), axis, keepdims)
    all_nan = all(_isnan(x), axis, keepdims=keepdims)
    return ew.select(all_nan, np.asarray(np.nan, get_aval(x).dtype), out)


def nanmax(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """`numpy.nanmax`: the maximum ignoring NaNs (NaN where all are NaN)."""
    if is_eager(a):
        return to_ndarray(np.nanmax(a, axis=axis, keepdims=keepdims))
    return _nan_choose("nanmax", max, a, axis, keepdims)


def nanmin(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """`numpy.nanmin`: the minimum ignoring NaNs (NaN where all are NaN)."""
    if is_eager(a):
        return to_ndarray(np.nanmin(a, axis=axis, keepdims=keepdims))
    return _nan_choose("nanmin", min, a, axis, keepdims)


def nanargmax(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """`numpy.nanargmax`: `argmax` ignoring NaNs. An all-NaN slice raises
    eagerly, as in numpy; inside a transform (where it cannot raise) it
    gives -1, as in JAX, never an index that looks valid."""
    if is_eager(a):
        return to_ndarray(np.nanargmax(a, axis=axis, keepdims=keepdims))
    return _nan_arg(argmax, -np.inf, a, axis, keepdims)


def nanargmin(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """`numpy.nanargmin`: `argmin` ignoring NaNs (see `nanargmax`)."""
    if is_eager(a):
        return to_ndarray(np.nanargmin(a, axis=axis, keepdims=keepdims))
    return _nan_arg(argmin, np.inf, a, axis, keepdims)


def _nan_arg(fn: Any, fill: float, a: Any, axis: Any, keepdims: bool) -> Any:
    x = as_operand(a)
    index = fn(_without_nans(x, fill), axis, keepdims)
    if get_aval(x).dtype.kind not in "fc":
        return index
    all_nan = all(_isnan(x), axis, keepdims=keepdims)
    return ew.select(all_nan, np.asarray(-1, get_aval(index).dtype), index)


# --- logical and counting reductions ----------------------------------------------


def _truth_count(a: Any, axis: Any, keepdims: bool, negate: bool) -> Any:
    x = as_operand(a)
    truth = x if get_aval(x).dtype == np.bool_ else ew.ne(x, np.asarray(0, x.dtype))
    if negate:
        truth = ew.not_p.bind(truth)
    return sum(ew.convert_element_type(truth, np.int64), axis, None, keepdims)


def all(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """`numpy.all`: whether every element is true (no derivative)."""
    if is_eager(a):
        return to_ndarray(np.all(a, axis=axis, keepdims=keepdims))
    false = _truth_count(a, axis, keepdims, negate=True)
    return ew.eq(false, np.asarray(0, np.int64))


def any(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """`numpy.any`: whether some element is true (no derivative)."""
    if is_eager(a):
        return to_ndarray(np.any(a, axis=axis, keepdims=keepdims))
    true = _truth_count(a, axis, keepdims, negate=False)
    return ew.gt(true, np.asarray(0, np.int64))


def count_nonzero(a: Any, axis: Any = None, *, keepdims: bool = False) -> Any:
    """`numpy.count_nonzero`, as an int64 array (no derivative)."""
    if is_eager(a):
        return to_ndarray(np.count_nonzero(a, axis=axis, keepdims=keepdims))
    return _truth_count(a, axis, keepdims, negate=False)


def ptp(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """`numpy.ptp`: `max - min` (ties share the derivative as in `max`)."""
    if is_eager(a):
        return to_ndarray(np.ptp(a, axis=axis, keepdims=keepdims))
    x = as_operand(a)
    return ew.sub(max(x, axis, keepdims), min(x, axis, keepdims))


def average(
    a: Any, axis: Any = None, weights: Any = None, returned: bool = False,
    *, keepdims: bool = False,
) -> Any:  # fmt: skip
    """`numpy.average`: the mean of `a`, weighted by `weights` (of `a`'s
    shape, or 1-d along a single `axis`); with `returned`, also the sum of
    the weights. Zero total weight gives inf or NaN (numpy raises)."""
    if is_eager(a, weights):
        return numpy_average(a, axis, weights, returned, keepdims)
    x = as_operand(a)
    if weights is None:
        avg = mean(x, axis, None, keepdims)
        count = get_aval(x).size // builtins.max(get_aval(avg).size, 1)
        if not returned:
            return avg
        scale = np.asarray(count if get_aval(x).size else 0, get_aval(avg).dtype)
        return avg, shape_ops.broadcast_to(scale, get_aval(avg).shape)
    w = as_operand(weights)
    shape, w_shape = get_aval(x).shape, get_aval(w).shape
    dtype = np.result_type(get_aval(x).dtype, get_aval(w).dtype)
    if get_aval(x).dtype.kind in "biu":
        dtype = np.result_type(dtype, np.float64)
    if shape != w_shape:
        if axis is None:
            raise FuncgradTypeError(
                "`average`: axis must be specified when shapes of a and weights differ."
            )
        axes = normalize_axis_arg(axis, len(shape), "average")
        if len(w_shape) != len(axes) or w_shape != tuple(shape[i] for i in axes):
            raise ShapeError(
                f"`average`: shape of weights {w_shape} must be consistent with "
                f"shape of a {shape} along specified axis {axis}."
            )
        w = shape_ops.broadcast_in_dim(w, shape, axes)
    x, w = cast(x, dtype), cast(w, dtype)
    total = sum(w, axis, dtype, keepdims)
    avg = ew.div(sum(ew.mul(x, w), axis, dtype, keepdims), total)
    if not returned:
        return avg
    return avg, shape_ops.broadcast_to(total, get_aval(avg).shape)


def numpy_average(
    a: Any, axis: Any, weights: Any, returned: bool, keepdims: bool
) -> Any:
    out = np.average(
        a, axis=axis, weights=weights, returned=returned, keepdims=keepdims
    )
    if returned:
        return to_ndarray(out[0]), to_ndarray(out[1])
    return to_ndarray(out)
