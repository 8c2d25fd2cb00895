"""numpy's numerical array functions: convolution and correlation,
polynomials (values, derivatives, integrals and least-squares fits), the
trapezoid rule and `gradient`, covariance and correlation coefficients,
comparisons of whole arrays (`isclose`, `allclose`, ...), `isin` and
`apply_along_axis`. The order statistics are in `_order`.

All are compositions of primitives (static slices, `dot_general`,
elementwise arithmetic, and `funcgrad.numpy.linalg.lstsq` for `polyfit`);
the positions they read are static.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from funcgrad.core import get_aval
from funcgrad.errors import FuncgradTypeError, FuncgradValueError
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
from funcgrad.numpy._static import _concrete_only
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


def polyder(p: Any, m: int = 1) -> Any:
    """`numpy.polyder`: the coefficients (highest power first) of the
    `m`-th derivative of the polynomial `p`.

    >>> polyder([1.0, 2.0, 3.0])
    array([2., 2.])
    """
    if is_eager(p):
        return to_ndarray(np.polyder(p, m))
    m = _static_int(m, "polyder", "m")
    if m < 0:
        raise FuncgradValueError(
            "`polyder`: order of derivative must be positive (see `polyint`)."
        )
    p = _coefficients("polyder", p)
    for _ in range(m):
        n = get_aval(p).shape[0] - 1
        # numpy multiplies by an int64 `arange`: float32 becomes float64
        powers = np.arange(n, 0, -1)
        p = ufuncs.multiply(_axis_slice(p, 0, 0, builtins.max(n, 0)), powers)
    return p


def polyint(p: Any, m: int = 1, k: Any = None) -> Any:
    """`numpy.polyint`: the coefficients of the `m`-th antiderivative of
    `p`, with integration constants `k` (a scalar, or one per order, the
    first for the first integral; zeros by default). `k` may be traced.

    >>> polyint([3.0, 2.0], k=1.0)
    array([1.5, 2. , 1. ])
    """
    if is_eager(p, k):
        return to_ndarray(np.polyint(p, m, k))
    m = _static_int(m, "polyint", "m")
    if m < 0:
        raise FuncgradValueError(
            "`polyint`: order of integral must be positive (see `polyder`)."
        )
    p = _coefficients("polyint", p)
    constants = shapes.atleast_1d(np.zeros(m) if k is None else as_operand(k))
    if get_aval(constants).ndim != 1:
        raise FuncgradValueError("`polyint`: `k` must be a scalar or 1-d.")
    if get_aval(constants).shape[0] == 1 and m > 1:
        constants = ufuncs.multiply(constants, np.ones(m))
    if get_aval(constants).shape[0] < m:
        raise FuncgradValueError(
            "`polyint`: k must be a scalar or a rank-1 array of length 1 or >m."
        )
    for i in range(m):
        divided = ufuncs.divide(p, np.arange(get_aval(p).shape[0], 0, -1))
        p = shapes.concatenate([divided, constants[i : i + 1]], axis=0)
    return p


def _coefficients(name: str, p: Any) -> Any:
    p = as_operand(p)
    if get_aval(p).ndim != 1:
        raise FuncgradValueError(
            f"`{name}`: the coefficients `p` must be 1-d on traced arrays, got "
            f"{get_aval(p).str_short()}."
        )
    return p


def polyfit(
    x: Any, y: Any, deg: int, rcond: Any = None, full: bool = False, w: Any = None,
    cov: bool = False,
) -> Any:  # fmt: skip
    """`numpy.polyfit`: the least-squares polynomial of degree `deg` through
    the points `(x, y)` (`y` 1-d, or 2-d with one fit per column), with
    optional weights `w`; coefficients highest power first. numpy's
    computation: the Vandermonde matrix, its columns scaled to unit norm,
    `funcgrad.numpy.linalg.lstsq`. Differentiable in `x`, `y` and `w`.

    Inside a transform `full=True` and `cov=True` raise (their extra
    results include the rank, and numpy's rank warning cannot be given on
    traced values); call `lstsq` on `vander(x, deg + 1)` for them.

    >>> np.round(polyfit([0.0, 1.0, 2.0, 3.0], [1.0, 3.0, 5.0, 7.0], 1), 6)
    array([2., 1.])
    """
    if is_eager(x, y, w):
        out = np.polyfit(x, y, deg, rcond, full, w, cov)
        return tuple(map(to_ndarray, out)) if full or cov else to_ndarray(out)
    if full or cov:
        raise FuncgradValueError(
            "`polyfit`: `full=True` and `cov=True` are not supported on traced "
            "arrays; fit concrete arrays outside the transform, or call "
            "`funcgrad.numpy.linalg.lstsq(vander(x, deg + 1), y)` for the "
            "residuals, rank and singular values."
        )
    from funcgrad.numpy import linalg

    order = _static_int(deg, "polyfit", "deg") + 1
    x, y = ufuncs.add(x, 0.0), ufuncs.add(y, 0.0)  # floating, as numpy
    if order < 1:
        raise FuncgradValueError("`polyfit`: expected deg >= 0.")
    _check_fit_shapes(x, y)
    if rcond is None:
        rcond = get_aval(x).shape[0] * np.finfo(get_aval(x).dtype).eps
    lhs, rhs = vander(x, order), y
    if w is not None:
        w = ufuncs.add(w, 0.0)
        if get_aval(w).ndim != 1:
            raise FuncgradTypeError("`polyfit`: expected a 1-d array for weights.")
        if get_aval(w).shape[0] != get_aval(y).shape[0]:
            raise FuncgradTypeError(
                "`polyfit`: expected w and y to have the same length."
            )
        column = shapes.reshape(w, (-1, 1))
        lhs = ufuncs.multiply(lhs, column)
        rhs = ufuncs.multiply(rhs, column if get_aval(rhs).ndim == 2 else w)
    # numpy scales the columns to unit norm to improve the conditioning
    scale = ufuncs.sqrt(reductions.sum(ufuncs.multiply(lhs, lhs), axis=0))
    coefficients = linalg.lstsq(ufuncs.divide(lhs, scale), rhs, rcond)[0]
    if get_aval(coefficients).ndim == 2:
        scale = shapes.reshape(scale, (-1, 1))
    return ufuncs.divide(coefficients, scale)


def _check_fit_shapes(x: Any, y: Any) -> None:
    sx, sy = get_aval(x).shape, get_aval(y).shape
    if len(sx) != 1:
        raise FuncgradTypeError("`polyfit`: expected 1D vector for x.")
    if sx[0] == 0:
        raise FuncgradTypeError("`polyfit`: expected non-empty vector for x.")
    if len(sy) not in (1, 2):
        raise FuncgradTypeError("`polyfit`: expected 1D or 2D array for y.")
    if sx[0] != sy[0]:
        raise FuncgradTypeError("`polyfit`: expected x and y to have same length.")


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
