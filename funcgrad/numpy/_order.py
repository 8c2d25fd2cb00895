"""numpy's order statistics, all through `sort`: `quantile`, `percentile`
and `median`, their NaN-ignoring forms (`nanquantile`, `nanpercentile`,
`nanmedian`), and `partition` and `argpartition`.

The reduced axes are moved last and flattened, the rows sorted, and the
statistic read from the sorted rows. Where the positions are known while
tracing (a concrete `q`, no NaNs to skip) they are static slices. Where
they depend on traced values (a traced `q`, or the count of non-NaN
elements of each row, which `sort` puts last) they are computed as arrays
and both neighbours read with one `gather`; the interpolation between
them is then differentiable in `q` as well (the slope between them). The
derivative in the data follows `sort`'s permutation, so ties share it in
a stable order.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from funcgrad.core import Tracer, get_aval
from funcgrad.errors import FuncgradTypeError, FuncgradValueError, ShapeError
from funcgrad.numpy import _reductions as reductions
from funcgrad.numpy import _shape as shapes
from funcgrad.numpy import _ufuncs as ufuncs
from funcgrad.numpy._arrays import _axis_slice, _static_ints
from funcgrad.numpy._indexing import argsort, sort
from funcgrad.numpy._static import _dtype_of
from funcgrad.numpy._util import as_operand, cast, is_eager, to_ndarray
from funcgrad.primitives import _elementwise as ew
from funcgrad.primitives import _indexing as ix
from funcgrad.primitives import _shape as shape_ops
from funcgrad.primitives._util import const, normalize_axes, normalize_axis

_QUANTILE_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")

# --- quantile, percentile, median -----------------------------------------------


def quantile(
    a: Any, q: Any, axis: Any = None, out: None = None, overwrite_input: bool = False,
    method: str = "linear", keepdims: bool = False,
) -> Any:  # fmt: skip
    """`numpy.quantile` with the methods "linear" (the default), "lower",
    "higher", "nearest" and "midpoint". The derivative flows, through
    `sort`, to the elements the quantile interpolates; NaN anywhere along
    the axes gives NaN.

    `q` may be traced: the two neighbours are then read at computed
    positions, and the derivative in `q` is the slope between them (from
    the right at a sample point; 0 at `q = 1`, and for the methods other
    than "linear", which are piecewise constant in `q`). A traced `q`
    outside [0, 1] gives NaN, since a traced function cannot raise on
    values.

    >>> quantile([4.0, 1.0, 3.0, 2.0], 0.5)
    array(2.5)
    """
    if _eager(a, q):
        return to_ndarray(
            np.quantile(a, q, axis=axis, method=method, keepdims=keepdims)
        )
    return _quantile("quantile", a, q, axis, out, method, keepdims)


def percentile(
    a: Any, q: Any, axis: Any = None, out: None = None, overwrite_input: bool = False,
    method: str = "linear", keepdims: bool = False,
) -> Any:  # fmt: skip
    """`numpy.percentile`: `quantile` with `q` in percent (traced or not)."""
    if _eager(a, q):
        return to_ndarray(
            np.percentile(a, q, axis=axis, method=method, keepdims=keepdims)
        )
    return _quantile("percentile", a, q, axis, out, method, keepdims)


def median(
    a: Any, axis: Any = None, out: None = None, overwrite_input: bool = False,
    keepdims: bool = False,
) -> Any:  # fmt: skip
    """`numpy.median`: the middle element, or the mean of the two middle
    ones; NaN anywhere along the axis gives NaN."""
    if is_eager(a):
        return to_ndarray(np.median(a, axis=axis, keepdims=keepdims))
    dtype = np.median(np.zeros(1, _dtype_of(as_operand(a)))).dtype
    return _order_statistic(
        "median", a, np.asarray(0.5), axis, "median", keepdims, dtype
    )


# --- the NaN-ignoring forms -------------------------------------------------------


def nanquantile(
    a: Any, q: Any, axis: Any = None, out: None = None, overwrite_input: bool = False,
    method: str = "linear", keepdims: bool = False,
) -> Any:  # fmt: skip
    """`numpy.nanquantile`: `quantile` of the non-NaN elements of each
    slice (NaN where a slice has none). NaN entries get derivative 0; `q`
    may be traced, as in `quantile`.

    >>> nanquantile([4.0, np.nan, 1.0, 3.0], 0.5)
    array(3.)
    """
    if _eager(a, q):
        return to_ndarray(
            np.nanquantile(a, q, axis=axis, method=method, keepdims=keepdims)
        )
    return _quantile("nanquantile", a, q, axis, out, method, keepdims, skip_nan=True)


def nanpercentile(
    a: Any, q: Any, axis: Any = None, out: None = None, overwrite_input: bool = False,
    method: str = "linear", keepdims: bool = False,
) -> Any:  # fmt: skip
    """`numpy.nanpercentile`: `nanquantile` with `q` in percent."""
    if _eager(a, q):
        return to_ndarray(
            np.nanpercentile(a, q, axis=axis, method=method, keepdims=keepdims)
        )
    return _quantile("nanpercentile", a, q, axis, out, method, keepdims, skip_nan=True)


def nanmedian(
    a: Any, axis: Any = None, out: None = None, overwrite_input: bool = False,
    keepdims: bool = False,
) -> Any:  # fmt: skip
    """`numpy.nanmedian`: the median of the non-NaN elements of each slice
    (NaN where a slice has none); NaN entries get derivative 0.

    >>> nanmedian([4.0, np.nan, 1.0, 3.0])
    array(3.)
    """
    if is_eager(a):
        return to_ndarray(np.nanmedian(a, axis=axis, keepdims=keepdims))
    if out is not None:
        raise FuncgradValueError("`nanmedian`: `out` is not supported.")
    dtype = np.median(np.zeros(1, _dtype_of(as_operand(a)))).dtype
    return _order_statistic(
        "nanmedian", a, np.asarray(0.5), axis, "median", keepdims, dtype, True
    )


def _eager(a: Any, q: Any) -> bool:
    """Whether numpy can compute it (a list `q` may hold traced values)."""
    return is_eager(a, as_operand(q) if isinstance(q, list | tuple) else q)


def _quantile(
    name: str, a: Any, q: Any, axis: Any, out: Any, method: str, keepdims: bool,
    skip_nan: bool = False,
) -> Any:  # fmt: skip
    """The traced path of the four quantile functions: `q` checked (when
    concrete) or converted to a floating dtype (when traced), in percent
    for the percentile functions."""
    if out is not None:
        raise FuncgradValueError(f"`{name}`: `out` is not supported.")
    if method not in _QUANTILE_METHODS:
        raise FuncgradValueError(
            f"`{name}`: method {method!r} is not supported on traced "
            f"arrays; use one of {', '.join(_QUANTILE_METHODS)}."
        )
    percent = name.endswith("percentile")
    numpy_fn = np.percentile if percent else np.quantile
    a_dtype = _dtype_of(as_operand(a))
    traced = as_operand(q) if isinstance(q, list | tuple) else q
    if isinstance(traced, Tracer):
        q_dtype = get_aval(traced).dtype
        q_dtype = q_dtype if q_dtype.kind == "f" else np.dtype(np.float64)
        sample = np.full(get_aval(traced).shape, 0.5, q_dtype)
        dtype = numpy_fn(np.zeros(1, a_dtype), sample, method=method).dtype
        qs = cast(traced, q_dtype)
        if percent:
            qs = ew.div(qs, const(100, qs))
    else:
        top = 100 if percent else 1
        qs = np.asarray(q, np.float64)
        if np.any((qs < 0) | (qs > top)) or np.any(np.isnan(qs)):
            what = "percentiles" if percent else "quantiles"
            raise FuncgradValueError(
                f"`{name}`: {what} must be in the range [0, {top}]."
            )
        dtype = numpy_fn(np.zeros(1, a_dtype), q, method=method).dtype
        qs = qs / top
    return _order_statistic(name, a, qs, axis, method, keepdims, dtype, skip_nan)


# --- reading the sorted rows --------------------------------------------------------


def _order_statistic(
    name: str, a: Any, qs: Any, axis: Any, method: str, keepdims: bool,
    dtype: np.dtype, skip_nan: bool = False,
) -> Any:  # fmt: skip
    x = as_operand(a)
    shape = get_aval(x).shape
    axes = normalize_axes(name, axis, len(shape))
    rest = [d for d in range(len(shape)) if d not in axes]
    n = int(np.prod([shape[d] for d in axes], dtype=np.int64))
    if n == 0:
        raise FuncgradValueError(f"`{name}` of an empty array (axes {axes}).")
    moved = shape_ops.transpose(x, rest + list(axes))
    rows = shape_ops.reshape(moved, tuple(shape[d] for d in rest) + (n,))
    ordered = sort(rows, axis=-1)  # NaNs last
    floating = get_aval(rows).dtype.kind in "fc"
    bad = None
    if floating and not skip_nan:  # NaN anywhere in a row gives NaN
        bad = reductions.any(ew.ne(rows, rows), axis=-1)
    if skip_nan and floating:
        count = reductions.sum(ew.eq(rows, rows), axis=-1)
        out = _pick_traced(ordered, qs, count, method, dtype, None)
    elif isinstance(qs, Tracer):
        out = _pick_traced(ordered, qs, n, method, dtype, bad)
    else:
        out = _pick_static(ordered, qs, n, method, dtype)
        if bad is not None:
            out = ew.select(bad, np.asarray(np.nan, get_aval(out).dtype), out)
    if keepdims:
        kept = tuple(1 if d in axes else shape[d] for d in range(len(shape)))
        out = shape_ops.reshape(out, np.shape(qs) + kept)
    return out


def _in_unit_range(q: Any) -> Any:
    """Whether each `q` is in [0, 1] (False for NaN)."""
    low = ew.ge(q, const(0, q))
    return ew.and_p.bind(low, ew.le(q, const(1, q)))


def _pick_static(
    ordered: Any, qs: np.ndarray, n: int, method: str, dtype: np.dtype
) -> Any:
    last = get_aval(ordered).ndim - 1

    def element(k: int) -> Any:
        return shape_ops.squeeze(_axis_slice(ordered, last, k, k + 1), (last,))

    # numpy's dtype depends on the method and on `q`; the callers ask numpy.
    values = [_pick(element, float(q), n, method, dtype) for q in qs.ravel()]
    out = shapes.stack(values, axis=0)
    return shape_ops.reshape(out, qs.shape + get_aval(values[0]).shape)


def _pick(element: Any, q: float, n: int, method: str, dtype: np.dtype) -> Any:
    """One order statistic at a static position, computed in numpy's order
    of operations: the sorted elements in the input's dtype, the
    interpolation in `dtype`."""
    if method == "median":
        half = (n - 1) / 2
        lo, hi = int(np.floor(half)), int(np.ceil(half))
        if lo == hi:
            return cast(element(lo), dtype)
        both = ew.add(cast(element(lo), dtype), cast(element(hi), dtype))
        return ew.div(both, const(2, both))
    index = q * (n - 1)
    lo = int(np.floor(index))
    hi = builtins.min(lo + 1, n - 1)
    t = index - lo
    if method == "lower":
        return cast(element(lo), dtype)
    if method == "higher":
        return cast(element(int(np.ceil(index))), dtype)
    if method == "nearest":
        return cast(element(int(np.around(index))), dtype)
    if method == "midpoint":
        t = 0.5 if t else 0.0
    if t == 0:
        return cast(element(lo), dtype)
    low, high = element(lo), element(hi)
    step = cast(ew.sub(high, low), dtype)
    low, high = cast(low, dtype), cast(high, dtype)
    if t >= 0.5:  # numpy's order of operations: exact at both ends
        return ew.sub(high, ew.mul(step, const(1 - t, step)))
    return ew.add(low, ew.mul(step, const(t, step)))


def _pick_traced(
    ordered: Any, qs: Any, count: Any, method: str, dtype: np.dtype, bad: Any
) -> Any:
    """Order statistics at positions computed while the program runs: from
    a traced `q`, or from `count`, the number of leading (non-NaN) sorted
    elements of each row (an int, or an int64 array of the rows' shape,
    where rows without any give NaN). Rows that `bad` marks, and a traced
    `q` outside [0, 1], give NaN too.

    Everything is computed at the shape `rows + (size of q,)`, the layout
    one gather reads the positions in, and moved to `q.shape + rows` at
    the end, so that the arithmetic fuses into few kernels."""
    rows = get_aval(ordered).shape[:-1]
    q_shape = np.shape(qs)
    k = int(np.prod(q_shape, dtype=np.int64))
    full = rows + (k,)
    q_dtype = np.result_type(_dtype_of(qs), np.float16)
    valid = None
    if isinstance(qs, Tracer):
        q = shape_ops.broadcast_to(shape_ops.reshape(qs, (1,) * len(rows) + (k,)), full)
        valid = _in_unit_range(q)
        q = ew.select(valid, q, const(0, q))  # read at 0, made NaN below
    else:
        q = np.reshape(qs, (1,) * len(rows) + (k,))
    if isinstance(count, int):
        last = np.asarray(count - 1, q_dtype)
    else:
        count = shapes.broadcast_to(shapes.reshape(count, rows + (1,)), full)
        bad = ufuncs.equal(count, 0)
        last = cast(ufuncs.subtract(count, 1), q_dtype)
    if bad is not None:
        bad = shapes.reshape(bad, np.shape(bad) + (1,) * (len(full) - np.ndim(bad)))
    index = _virtual_index(ufuncs.multiply(q, last), method)
    top = ufuncs.maximum(last, 0)  # an empty row reads position 0
    below = _clip(ufuncs.floor(index), top)
    if method in ("lower", "higher", "nearest"):
        positions = [below]
    elif method == "median":  # the mean of the two middle elements
        positions = [below, _clip(ufuncs.ceil(index), top)]
    else:
        positions = [below, _clip(ufuncs.add(below, 1), top)]
    values = _gather(ordered, positions, full)
    if len(values) == 1:
        out = cast(values[0], dtype)
    elif method == "median":
        both = ew.add(cast(values[0], dtype), cast(values[1], dtype))
        out = ew.div(both, const(2, both))
    else:
        out = _lerp(*values, cast(ufuncs.subtract(index, below), dtype), dtype)
    nan = np.asarray(np.nan, dtype)
    if bad is not None:
        out = ew.select(bad, nan, out)
    if valid is not None:
        out = ew.select(valid, out, nan)
    return shape_ops.reshape(shapes.moveaxis(out, -1, 0), q_shape + rows)


def _virtual_index(index: Any, method: str) -> Any:
    """numpy's position of a quantile in the sorted row, from the linear
    one `q * (n - 1)`: whole numbers for the methods that pick one."""
    if method == "lower":
        return ufuncs.floor(index)
    if method == "higher":
        return ufuncs.ceil(index)
    if method == "nearest":
        return ufuncs.rint(index)  # half to even, as numpy's `around`
    if method == "midpoint":
        return ufuncs.multiply(ufuncs.add(ufuncs.floor(index), ufuncs.ceil(index)), 0.5)
    return index


def _clip(position: Any, top: Any) -> Any:
    return ufuncs.minimum(ufuncs.maximum(position, 0), top)


def _lerp(low: Any, high: Any, t: Any, dtype: np.dtype) -> Any:
    """numpy's interpolation from `low` to `high` (in the input's dtype) by
    `t`, computed in `dtype` from the nearer end, so exact at both ends."""
    step = cast(ew.sub(high, low), dtype)
    low, high = cast(low, dtype), cast(high, dtype)
    from_low = ew.add(low, ew.mul(step, t))
    from_high = ew.sub(high, ew.mul(step, ew.sub(const(1, t), t)))
    return ew.select(ew.ge(t, const(0.5, t)), from_high, from_low)


def _gather(ordered: Any, positions: list[Any], full: tuple) -> list[Any]:
    """`ordered[..., p]` row by row for each of `positions` (whole numbers
    as floats, of shape `full`: the rows' shape and one more axis), in one
    gather from the flattened rows."""
    *rows, n = get_aval(ordered).shape
    size = int(np.prod(rows, dtype=np.int64))
    starts = (np.arange(size, dtype=np.int64) * n).reshape((*rows, 1))
    flat = [
        ufuncs.add(cast(as_operand(shapes.broadcast_to(p, full)), np.int64), starts)
        for p in positions
    ]
    joined = shapes.concatenate(flat, axis=-1) if len(flat) > 1 else flat[0]
    rows_flat = shape_ops.reshape(ordered, (size * n,))
    values = ix.gather(rows_flat, shape_ops.expand_dims(joined, (len(full),)), (0,))
    k = full[-1]
    return [
        _axis_slice(values, len(rows), i * k, (i + 1) * k) for i in range(len(flat))
    ]


# --- partition and argpartition -----------------------------------------------------


def partition(
    a: Any, kth: Any, axis: int | None = -1, kind: str = "introselect",
    order: Any = None,
) -> Any:  # fmt: skip
    """`numpy.partition`: the `kth` elements (an index or a concrete
    sequence) where a sort would put them, smaller or equal elements before
    each, larger or equal after.

    On concrete arrays outside a transform this is numpy's own result,
    whose order on each side of a `kth` element is unspecified. Inside a
    transform the result is fully sorted along `axis` (`sort`), which meets
    numpy's contract for every `kth`, so compare only what numpy
    guarantees: the `kth` elements and the multiset on each side. The
    derivative is `sort`'s: each tangent moves with its element, ties in a
    stable order.

    >>> partition([3.0, 4.0, 1.0, 2.0], 1)[1]
    np.float64(2.0)
    """
    if is_eager(a):
        return to_ndarray(np.partition(a, kth, axis=axis, kind=kind, order=order))
    x, ax = _partition_axis("partition", a, kth, axis, kind, order)
    return sort(x, axis=ax)


def argpartition(
    a: Any, kth: Any, axis: int | None = -1, kind: str = "introselect",
    order: Any = None,
) -> Any:  # fmt: skip
    """`numpy.argpartition`: int64 indices that partition `a` (see
    `partition`); inside a transform they are a stable `argsort`, so they
    sort `a` fully. No derivative."""
    if is_eager(a):
        return to_ndarray(np.argpartition(a, kth, axis=axis, kind=kind, order=order))
    x, ax = _partition_axis("argpartition", a, kth, axis, kind, order)
    return argsort(x, axis=ax)


def _partition_axis(
    name: str, a: Any, kth: Any, axis: Any, kind: str, order: Any
) -> tuple[Any, int]:
    if order is not None:
        raise FuncgradTypeError(
            f"`{name}`: `order` (structured arrays) is not supported."
        )
    if kind != "introselect":
        raise FuncgradValueError(
            f"`{name}`: select kind must be 'introselect' (got {kind!r})."
        )
    x = as_operand(a)
    if axis is None:
        x, axis = shape_ops.reshape(x, (get_aval(x).size,)), 0
    if get_aval(x).ndim == 0:
        raise ShapeError(f"`{name}`: axis {axis} is out of bounds for a 0-d array.")
    ax = normalize_axis(name, axis, get_aval(x).ndim)
    n = get_aval(x).shape[ax]
    for k in _static_ints(kth, name, "kth"):
        if not -n <= k < n:
            raise FuncgradValueError(f"`{name}`: kth(={k}) out of bounds ({n}).")
    return x, ax
