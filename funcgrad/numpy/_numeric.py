"""numpy's numerical array functions: convolution and correlation,
polynomials, the trapezoid rule and `gradient`, covariance and correlation
coefficients, order statistics (`median`, `quantile`, `percentile`, through
`sort`), comparisons of whole arrays (`isclose`, `allclose`, ...), `isin`
and `apply_along_axis`.

All are compositions of primitives (static slices, `dot_general`, `sort`,
elementwise arithmetic); the positions they read are static.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from funcgrad.core import Tracer, get_aval
from funcgrad.errors import FuncgradValueError
from funcgrad.numpy import _reductions as reductions
from funcgrad.numpy import _shape as shapes
from funcgrad.numpy import _ufuncs as ufuncs
from funcgrad.numpy._arrays import (
    _axis_slice,
    _static_int,
    diagonal,
    diff,
)
from funcgrad.numpy._linalg import dot_general
from funcgrad.numpy._static import _concrete_only, _dtype_of
from funcgrad.numpy._util import (
    as_operand,
    cast,
    is_eager,
    promote,
    shape_of,
    to_ndarray,
)
from funcgrad.primitives import _complex as cp
from funcgrad.primitives import _cumulative as cumulative
from funcgrad.primitives import _elementwise as ew
from funcgrad.primitives import _shape as shape_ops
from funcgrad.primitives._util import const, normalize_axis

# --- convolution, polynomials and integration ---------------------------------


def _correlate_full(a: Any, v: Any) -> Any:
    """Full correlation `c[i] = sum_j a[j + i - (m - 1)] * v[j]` of 1-d `a`
    (length n) and `v` (length m <= n), as one `dot_general` with a matrix
    of shifted copies of the zero-padded `a` (made by reshaping m + 1 tiled
    copies into rows one element longer)."""
    n, m = get_aval(a).shape[0], get_aval(v).shape[0]
    padded = shape_ops.pad(a, ((m - 1, m - 1, 0),))
    length = n + 2 * (m - 1)
    tiled = shape_ops.broadcast_in_dim(padded, (m + 1, length), (1,))
    flat = shape_ops.reshape(tiled, ((m + 1) * length,))
    rows = shape_ops.reshape(_axis_slice(flat, 0, 0, m * (length + 1)), (m, length + 1))
    shifted = _axis_slice(rows, 1, 0, n + m - 1)
    return dot_general(v, shifted, (((0,), (0,)), ((), ())))


def _correlation(name: str, a: Any, v: Any, mode: str, flip_v: bool) -> Any:
    if mode not in ("full", "same", "valid"):
        raise FuncgradValueError(
            f"`{name}`: mode must be 'full', 'same' or 'valid', got {mode!r}."
        )
    a, v = promote(a, v)
    sa, sv = get_aval(a).shape, get_aval(v).shape
    if len(sa) != 1 or len(sv) != 1:
        raise FuncgradValueError(
            f"`{name}`: both inputs must be 1-d, got {sa} and {sv}."
        )
    n, m = sa[0], sv[0]
    if not n or not m:
        raise FuncgradValueError(f"`{name}`: inputs cannot be empty.")
    if flip_v:  # convolution is commutative: slide the shorter one
        if m > n:
            a, v, n, m = v, a, m, n
        full = _correlate_full(a, shape_ops.rev(v, (0,)))
        same_start = (m - 1) // 2
    else:
        if m <= n:
            full = _correlate_full(a, v)
            same_start = (m - 1) // 2
        else:
            full = shape_ops.rev(_correlate_full(v, a), (0,))
            same_start = n - 1 - (n - 1) // 2
    small, large = builtins.min(n, m), builtins.max(n, m)
    if mode == "full":
        return full
    if mode == "same":
        return _axis_slice(full, 0, same_start, same_start + large)
    return _axis_slice(full, 0, small - 1, large)


def convolve(a: Any, v: Any, mode: str = "full") -> Any:
    """`numpy.convolve` of two 1-d arrays, modes "full", "same", "valid".

    >>> convolve([1, 2, 3], [0, 1, 0.5])
    array([0. , 1. , 2.5, 4. , 1.5])
    """
    if is_eager(a, v):
        return to_ndarray(np.convolve(a, v, mode))
    return _correlation("convolve", a, v, mode, flip_v=True)


def correlate(a: Any, v: Any, mode: str = "valid") -> Any:
    """`numpy.correlate` of two 1-d arrays: `c[k] = sum_n a[n + k] * conj(v[n])`."""
    if is_eager(a, v):
        return to_ndarray(np.correlate(a, v, mode))
    v = as_operand(v)
    if get_aval(v).dtype.kind == "c":
        v = cp.conj(v)
    return _correlation("correlate", a, v, mode, flip_v=False)


def polyval(p: Any, x: Any) -> Any:
    """`numpy.polyval`: the polynomial with coefficients `p` (highest power
    first) at `x`, by Horner's rule."""
    if is_eager(p, x):
        return to_ndarray(np.polyval(p, x))
    p, x = as_operand(p), as_operand(x)
    if get_aval(p).ndim != 1:
        raise FuncgradValueError("`polyval`: the coefficients `p` must be 1-d.")
    y = ufuncs.multiply(x, cast(np.asarray(0), get_aval(x).dtype))
    for i in range(get_aval(p).shape[0]):
        coefficient = shape_ops.reshape(_axis_slice(p, 0, i, i + 1), ())
        y = ufuncs.add(ufuncs.multiply(y, x), coefficient)
    return y


def vander(x: Any, N: int | None = None, increasing: bool = False) -> Any:  # noqa: N803
    """`numpy.vander`: columns are powers of `x` (decreasing by default),
    formed as running products, so exact and differentiable everywhere."""
    if is_eager(x):
        return to_ndarray(np.vander(x, N, increasing))
    x = as_operand(x)
    if get_aval(x).ndim != 1:
        raise FuncgradValueError(
            "`vander`: x must be a one-dimensional array or sequence."
        )
    x = cast(x, np.promote_types(get_aval(x).dtype, int))
    n = get_aval(x).shape[0]
    N = n if N is None else _static_int(N, "vander", "N")
    if N < 0:
        raise FuncgradValueError("`vander`: N must be non-negative.")
    if N == 0:
        return shape_ops.broadcast_in_dim(_axis_slice(x, 0, 0, 0), (n, 0), (1,))
    ones = shape_ops.broadcast_to(const(1, x), (n, 1))
    factors = shape_ops.concatenate(
        [ones, shape_ops.broadcast_in_dim(x, (n, N - 1), (0,))], 1
    )
    powers = cumulative.cumprod(factors, 1)
    return powers if increasing else shape_ops.rev(powers, (1,))


def trapezoid(y: Any, x: Any = None, dx: float = 1.0, axis: int = -1) -> Any:
    """`numpy.trapezoid`: the integral of `y` along `axis` by the trapezoid
    rule, with sample points `x` or spacing `dx`."""
    if is_eager(y, x, dx):
        return to_ndarray(np.trapezoid(y, x, dx, axis))
    y = as_operand(y)
    ndim = get_aval(y).ndim
    ax = normalize_axis("trapezoid", axis, ndim)
    if x is None:
        d = dx
    else:
        x = as_operand(x)
        if get_aval(x).ndim == 1:
            d = shapes.reshape(diff(x), [-1 if i == ax else 1 for i in range(ndim)])
        else:
            d = diff(x, axis=ax)
    n = get_aval(y).shape[ax]
    pairs = ufuncs.add(
        _axis_slice(y, ax, 1, builtins.max(n, 1)),
        _axis_slice(y, ax, 0, builtins.max(n - 1, 0)),
    )
    return reductions.sum(ufuncs.divide(ufuncs.multiply(d, pairs), 2.0), axis=ax)


# --- comparisons of whole arrays (no derivative) ------------------------------


def isclose(
    a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Any:
    """`numpy.isclose`: `|a - b| <= atol + rtol * |b|` elementwise, with
    infinities close only to themselves."""
    if is_eager(a, b, rtol, atol):
        return to_ndarray(np.isclose(a, b, rtol, atol, equal_nan))
    x = as_operand(a)
    y = as_operand(b)
    inexact = np.result_type(get_aval(y).dtype, 1.0)
    y = cast(y, inexact)
    x, y = promote(x, y)
    if get_aval(x).dtype.kind in "biu":
        x, y = cast(x, np.float64), cast(y, np.float64)
    dtype = cp.real_dtype(get_aval(x).dtype)  # magnitudes are real
    bound = ufuncs.add(atol, ufuncs.multiply(rtol, ew.abs(y)))
    near = ew.le(ew.abs(ew.sub(x, y)), cast(as_operand(bound), dtype))
    finite = ew.lt(ew.abs(y), np.asarray(np.inf, dtype))
    out = ew.or_p.bind(ew.and_p.bind(near, finite), ew.eq(x, y))
    if equal_nan:
        both = ew.and_p.bind(ew.ne(x, x), ew.ne(y, y))
        out = ew.or_p.bind(out, both)
    return out


def allclose(
    a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Any:
    """`numpy.allclose`: whether `isclose` holds everywhere, as a 0-d boolean
    array (a traced one inside transforms)."""
    if is_eager(a, b, rtol, atol):
        return np.asarray(np.allclose(a, b, rtol, atol, equal_nan))
    return reductions.all(isclose(a, b, rtol, atol, equal_nan))


def array_equal(a1: Any, a2: Any, equal_nan: bool = False) -> Any:
    """`numpy.array_equal`: same shape and elements, as a 0-d boolean array."""
    if is_eager(a1, a2):
        return np.asarray(np.array_equal(a1, a2, equal_nan=equal_nan))
    x, y = as_operand(a1), as_operand(a2)
    if get_aval(x).shape != get_aval(y).shape:
        return np.asarray(False)
    same = ufuncs.equal(x, y)
    if equal_nan:
        x, y = promote(x, y)
        same = ew.or_p.bind(same, ew.and_p.bind(ew.ne(x, x), ew.ne(y, y)))
    return reductions.all(same)


def array_equiv(a1: Any, a2: Any) -> Any:
    """`numpy.array_equiv`: equal after broadcasting, as a 0-d boolean array."""
    if is_eager(a1, a2):
        return np.asarray(np.array_equiv(a1, a2))
    try:
        np.broadcast_shapes(shape_of(a1), shape_of(a2))
    except ValueError:
        return np.asarray(False)
    return reductions.all(ufuncs.equal(a1, a2))


# --- covariance -----------------------------------------------------------------


def cov(
    m: Any, y: Any = None, rowvar: bool = True, bias: bool = False,
    ddof: int | None = None, dtype: Any = None,
) -> Any:  # fmt: skip
    """`numpy.cov` without frequency or analytic weights: each row (or
    column, with `rowvar=False`) is a variable."""
    if is_eager(m, y):
        return to_ndarray(np.cov(m, y, rowvar, bias, ddof, dtype=dtype))
    x = _observations(m, rowvar)
    if y is not None:
        x = shapes.concatenate([x, _observations(y, rowvar)], axis=0)
    dtype = np.result_type(get_aval(x).dtype, np.float64) if dtype is None else dtype
    x = cast(x, dtype)
    n = get_aval(x).shape[1]
    ddof = (0 if bias else 1) if ddof is None else ddof
    centred = ew.sub(x, reductions.mean(x, axis=1, keepdims=True))
    # numpy conjugates the second factor: X X^H, Hermitian for complex data
    other = cp.conj(centred) if get_aval(centred).dtype.kind == "c" else centred
    product = dot_general(centred, other, (((1,), (1,)), ((), ())))
    out = ew.div(product, np.asarray(builtins.max(n - ddof, 0), get_aval(x).dtype))
    return shapes.squeeze(out)


def _observations(m: Any, rowvar: bool) -> Any:
    x = as_operand(m)
    ndim = get_aval(x).ndim
    if ndim > 2:
        raise FuncgradValueError("`cov`: m has more than 2 dimensions.")
    x = shape_ops.reshape(x, (1, get_aval(x).size)) if ndim < 2 else x
    if not rowvar and ndim == 2:
        x = shape_ops.transpose(x, (1, 0))
    return x


def corrcoef(x: Any, y: Any = None, rowvar: bool = True, *, dtype: Any = None) -> Any:
    """`numpy.corrcoef`: Pearson correlation coefficients (clipped to
    [-1, 1] as numpy does)."""
    if is_eager(x, y):
        return to_ndarray(np.corrcoef(x, y, rowvar, dtype=dtype))
    c = cov(x, y, rowvar, dtype=dtype)
    if get_aval(c).ndim == 0:
        return ew.div(c, c)
    d = diagonal(c)
    scale = ew.sqrt(d)
    n = get_aval(d).shape[0]
    out = ew.div(
        ew.div(c, shape_ops.broadcast_in_dim(scale, (n, n), (0,))),
        shape_ops.broadcast_in_dim(scale, (n, n), (1,)),
    )
    return ufuncs.clip(out, -1, 1)


# --- order statistics (through `sort`) --------------------------------------------

_QUANTILE_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def quantile(
    a: Any, q: Any, axis: Any = None, out: None = None, overwrite_input: bool = False,
    method: str = "linear", keepdims: bool = False,
) -> Any:  # fmt: skip
    """`numpy.quantile` with the methods "linear" (the default), "lower",
    "higher", "nearest" and "midpoint"; `q` is concrete (it decides which
    sorted elements are read). The derivative flows, through `sort`, to
    the elements the quantile interpolates; NaN anywhere gives NaN.

    >>> quantile([4.0, 1.0, 3.0, 2.0], 0.5)
    array(2.5)
    """
    if is_eager(a):
        return to_ndarray(
            np.quantile(a, q, axis=axis, method=method, keepdims=keepdims)
        )
    if out is not None:
        raise FuncgradValueError("`quantile`: `out` is not supported.")
    if method not in _QUANTILE_METHODS:
        raise FuncgradValueError(
            f"`quantile`: method {method!r} is not supported on traced "
            f"arrays; use one of {', '.join(_QUANTILE_METHODS)}."
        )
    if isinstance(q, Tracer):
        q = q.concrete_value("`quantile`'s `q` (it decides which elements are read)")
    qs = np.asarray(q, np.float64)
    if np.any((qs < 0) | (qs > 1)) or np.any(np.isnan(qs)):
        raise FuncgradValueError("`quantile`: quantiles must be in the range [0, 1].")
    dtype = np.quantile(np.zeros(1, _dtype_of(as_operand(a))), q, method=method).dtype
    return _order_statistic("quantile", a, qs, axis, method, keepdims, dtype)


def percentile(
    a: Any, q: Any, axis: Any = None, out: None = None, overwrite_input: bool = False,
    method: str = "linear", keepdims: bool = False,
) -> Any:  # fmt: skip
    """`numpy.percentile`: `quantile` with `q` in percent."""
    if is_eager(a):
        return to_ndarray(
            np.percentile(a, q, axis=axis, method=method, keepdims=keepdims)
        )
    if isinstance(q, Tracer):
        q = q.concrete_value("`percentile`'s `q` (it decides which elements are read)")
    qs = np.asarray(q, np.float64)
    if np.any((qs < 0) | (qs > 100)) or np.any(np.isnan(qs)):
        raise FuncgradValueError(
            "`percentile`: percentiles must be in the range [0, 100]."
        )
    if out is not None or method not in _QUANTILE_METHODS:
        return quantile(a, qs / 100, axis, out, overwrite_input, method, keepdims)
    dtype = np.percentile(np.zeros(1, _dtype_of(as_operand(a))), q, method=method).dtype
    return _order_statistic("percentile", a, qs / 100, axis, method, keepdims, dtype)


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


def _order_statistic(
    name: str, a: Any, qs: np.ndarray, axis: Any, method: str, keepdims: bool,
    dtype: np.dtype,
) -> Any:  # fmt: skip
    from funcgrad.numpy._indexing import sort
    from funcgrad.primitives._util import normalize_axes

    x = as_operand(a)
    shape = get_aval(x).shape
    axes = normalize_axes(name, axis, len(shape))
    rest = [d for d in range(len(shape)) if d not in axes]
    n = int(np.prod([shape[d] for d in axes], dtype=np.int64))
    if n == 0:
        raise FuncgradValueError(f"`{name}` of an empty array (axes {axes}).")
    moved = shape_ops.transpose(x, rest + list(axes))
    rows = shape_ops.reshape(moved, tuple(shape[d] for d in rest) + (n,))
    last = len(rest)
    ordered = sort(rows, axis=-1)

    def element(k: int) -> Any:
        return shape_ops.squeeze(_axis_slice(ordered, last, k, k + 1), (last,))

    # numpy's dtype depends on the method and on `q`; the callers ask numpy.
    values = [_pick(element, float(q), n, method, dtype) for q in qs.ravel()]
    out = shapes.stack(values, axis=0) if values else None
    out = shape_ops.reshape(out, qs.shape + get_aval(values[0]).shape)
    if get_aval(rows).dtype.kind in "fc":
        nan = reductions.any(ew.ne(rows, rows), axis=-1)
        out = ew.select(nan, np.asarray(np.nan, get_aval(out).dtype), out)
    if keepdims:
        kept = tuple(1 if d in axes else shape[d] for d in range(len(shape)))
        out = shape_ops.reshape(out, qs.shape + kept)
    return out


def _pick(element: Any, q: float, n: int, method: str, dtype: np.dtype) -> Any:
    """One order statistic, computed in numpy's order of operations: the
    sorted elements in the input's dtype, the interpolation in `dtype`."""
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


# --- differences of sampled functions, membership, per-axis application -----------


def gradient(f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """`numpy.gradient` with uniform spacings (one scalar, or one per axis):
    central differences inside, one-sided differences of order
    `edge_order` (1 or 2) at the ends. A tuple when several axes."""
    if is_eager(f, *varargs):
        out = np.gradient(f, *varargs, axis=axis, edge_order=edge_order)
        return (
            tuple(to_ndarray(o) for o in out)
            if isinstance(out, tuple | list)
            else to_ndarray(out)
        )
    from funcgrad.primitives._util import normalize_axes

    x = as_operand(f)
    ndim = get_aval(x).ndim
    axes = normalize_axes("gradient", axis, ndim)
    if axis is not None and not isinstance(axis, tuple | list):
        axes = (normalize_axis("gradient", axis, ndim),)
    spacings = list(varargs) if varargs else [1.0]
    if len(spacings) == 1:
        spacings = spacings * len(axes)
    if len(spacings) != len(axes) or any(np.ndim(s) != 0 for s in spacings):
        raise FuncgradValueError(
            "`gradient`: give one scalar spacing, or one per axis, on traced "
            "arrays (coordinate arrays work on concrete arrays only)."
        )
    if edge_order not in (1, 2):
        raise FuncgradValueError(
            "`gradient`: 'edge_order' greater than 2 not supported."
        )
    dtype = get_aval(x).dtype
    x = cast(x, dtype if dtype.kind in "fc" else np.dtype(np.float64))
    out = [_gradient_along(x, ax, h, edge_order) for ax, h in zip(axes, spacings)]
    return out[0] if len(out) == 1 else tuple(out)


def _gradient_along(x: Any, axis: int, h: Any, edge_order: int) -> Any:
    n = get_aval(x).shape[axis]
    if n < edge_order + 1:
        raise FuncgradValueError(
            "`gradient`: Shape of array too small to calculate a numerical "
            "gradient, at least (edge_order + 1) elements are required."
        )

    def at(start: int, stop: int) -> Any:
        return _axis_slice(x, axis, start, stop)

    def scaled(value: float, part: Any) -> Any:
        return ufuncs.multiply(ufuncs.divide(value, h), part)

    inner = ufuncs.divide(
        ufuncs.subtract(at(2, n), at(0, n - 2)), ufuncs.multiply(2.0, h)
    )
    if edge_order == 1:
        first = ufuncs.divide(ufuncs.subtract(at(1, 2), at(0, 1)), h)
        last = ufuncs.divide(ufuncs.subtract(at(n - 1, n), at(n - 2, n - 1)), h)
    else:
        first = ufuncs.add(
            ufuncs.add(scaled(-1.5, at(0, 1)), scaled(2.0, at(1, 2))),
            scaled(-0.5, at(2, 3)),
        )
        last = ufuncs.add(
            ufuncs.add(scaled(0.5, at(n - 3, n - 2)), scaled(-2.0, at(n - 2, n - 1))),
            scaled(1.5, at(n - 1, n)),
        )
    parts = [first, inner, last] if n > 2 else [first, last]
    dtype = get_aval(x).dtype
    return shape_ops.concatenate([cast(as_operand(p), dtype) for p in parts], axis)


def isin(
    element: Any, test_elements: Any, assume_unique: bool = False, invert: bool = False,
    *, kind: Any = None,
) -> Any:  # fmt: skip
    """`numpy.isin`: whether each element of `element` is in `test_elements`
    (compared all against all; no derivative)."""
    if is_eager(element, test_elements):
        return to_ndarray(
            np.isin(element, test_elements, assume_unique, invert, kind=kind)
        )
    x, tests = promote(element, test_elements)
    tests = shape_ops.reshape(tests, (get_aval(tests).size,))
    shape = get_aval(x).shape
    wide = shape_ops.broadcast_in_dim(
        x, shape + (get_aval(tests).size,), tuple(range(len(shape)))
    )
    found = reductions.any(ew.eq(wide, tests), axis=-1)
    return ew.not_p.bind(found) if invert else found


intersect1d = _concrete_only("intersect1d")
union1d = _concrete_only("union1d")
setdiff1d = _concrete_only("setdiff1d")
setxor1d = _concrete_only("setxor1d")


def apply_along_axis(
    func1d: Any, axis: int, arr: Any, *args: Any, **kwargs: Any
) -> Any:
    """`numpy.apply_along_axis`: `func1d` applied to each 1-d slice along
    `axis`; traced arrays go through `funcgrad.vmap`, so `func1d` must be
    written with `funcgrad.numpy`. Its result's axes replace `axis`."""
    if is_eager(arr):
        return to_ndarray(np.apply_along_axis(func1d, axis, arr, *args, **kwargs))
    from funcgrad._vmap import vmap

    x = as_operand(arr)
    shape = get_aval(x).shape
    ax = normalize_axis("apply_along_axis", axis, len(shape))
    rest = shape[:ax] + shape[ax + 1 :]
    rows = shape_ops.reshape(
        shapes.moveaxis(x, ax, -1), (int(np.prod(rest, dtype=np.int64)), shape[ax])
    )
    out = as_operand(vmap(lambda row: func1d(row, *args, **kwargs))(rows))
    inner = get_aval(out).shape[1:]
    out = shape_ops.reshape(out, rest + inner)
    k = len(inner)
    perm = (
        list(range(ax))
        + list(range(len(rest), len(rest) + k))
        + list(range(ax, len(rest)))
    )
    return shape_ops.transpose(out, perm)
