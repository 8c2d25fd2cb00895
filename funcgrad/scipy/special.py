"""`funcgrad.scipy.special`: scipy's special functions, traceable and
differentiable (scipy itself is not imported).

`erf`, `erfc`, `erfinv`, `gammaln`, `digamma` and `polygamma` bind
primitives of `funcgrad.primitives._math`, whose derivatives are again such
primitives (the derivative of `gammaln` is `digamma`, of `digamma`
`polygamma(1, x)`, ...). `logsumexp`, `softmax`, `log_softmax`, `xlogy`,
`xlog1py`, `logit` and `expit` are written with `funcgrad.numpy`, arranged
so that neither their values nor their derivatives overflow.

>>> import numpy as np
>>> print(round(float(logsumexp(np.array([1000.0, 1000.0]))), 6))  # 1000 + log(2)
1000.693147
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad.core import Primitive, get_aval
from funcgrad.errors import FuncgradTypeError, FuncgradValueError
from funcgrad.numpy._util import (
    cast,
    inexact_dtype,
    is_eager,
    promote,
    to_inexact,
    to_ndarray,
)
from funcgrad.primitives import _elementwise as ew
from funcgrad.primitives import _math as mp
from funcgrad.primitives._custom_api import custom_jvp

__all__ = [
    "digamma",
    "erf",
    "erfc",
    "erfinv",
    "expit",
    "gammaln",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "ndtr",
    "polygamma",
    "psi",
    "softmax",
    "xlog1py",
    "xlogy",
]


def _real_float(name: str, x: Any) -> Any:
    x = to_inexact(x)
    if get_aval(x).dtype.kind != "f":
        raise FuncgradTypeError(
            f"`funcgrad.scipy.special.{name}` takes real numbers, got "
            f"{get_aval(x).str_short()}."
        )
    return x


def _unary(name: str, primitive: Primitive, doc: str) -> Callable[[Any], Any]:
    def fn(x: Any, /) -> Any:
        x = _real_float(name, x)
        if is_eager(x):
            return to_ndarray(primitive.impl(x))
        return primitive.bind(x)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


erf = _unary("erf", mp.erf_p, "`scipy.special.erf`, the error function.")
erfc = _unary(
    "erfc", mp.erfc_p, "`scipy.special.erfc`: `1 - erf(x)`, accurate in the tail."
)
erfinv = _unary(
    "erfinv", mp.erfinv_p, "`scipy.special.erfinv`: the inverse of `erf` on [-1, 1]."
)
gammaln = _unary(
    "gammaln", mp.lgamma_p, "`scipy.special.gammaln`: `log(abs(gamma(x)))`."
)
digamma = psi = _unary(
    "digamma", mp.digamma_p, "`scipy.special.digamma`: the derivative of `gammaln`."
)


def polygamma(n: int, x: Any) -> Any:
    """`scipy.special.polygamma`: the `n`-th derivative of `digamma`.

    `n` must be a non-negative int known while tracing (`n = 0` is
    `digamma`); the derivative in `x` is `polygamma(n + 1, x)`.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise FuncgradValueError(
            f"`funcgrad.scipy.special.polygamma`: `n` must be a non-negative "
            f"int known while tracing, got {n!r}."
        )
    if n == 0:
        return digamma(x)
    x = _real_float("polygamma", x)
    if is_eager(x):
        return mp.polygamma_p.impl(x, n=int(n))
    return mp.polygamma(int(n), x)


def expit(x: Any, /) -> Any:
    """`scipy.special.expit`: the logistic sigmoid `1 / (1 + exp(-x))`,
    without overflow."""
    x = _real_float("expit", x)
    if is_eager(x):
        return ew.logistic_p.impl(x)
    return ew.logistic(x)


def ndtr(x: Any, /) -> Any:
    """`scipy.special.ndtr`: the standard normal distribution function,
    computed as scipy does (from `erf` near 0, from `erfc` in the tails, so
    both tails keep their digits)."""
    x = _real_float("ndtr", x)
    dtype = get_aval(x).dtype
    t = x * np.asarray(math.sqrt(0.5), dtype)
    half = np.asarray(0.5, dtype)
    near = fnp.abs(t) < np.asarray(math.sqrt(0.5), dtype)
    tails = fnp.where(t > 0, 1.0 - half * erfc(t), half * erfc(-t))
    return fnp.where(near, half + half * erf(t), tails)


# Below this x (by float width) the logarithm of ndtr is its asymptotic
# series, before erfc underflows; its first omitted term is below the
# dtype's resolution there.
_LOG_NDTR_SERIES_BELOW = {4: -10.0, 8: -20.0}


def log_ndtr(x: Any, /) -> Any:
    """`scipy.special.log_ndtr`: `log(ndtr(x))`, finite far into the lower
    tail (`log_ndtr(-40)` is about -804.6) and accurate in the upper one,
    where it is `log1p(-ndtr(-x))`. Its derivative is `pdf(x) / ndtr(x)`."""
    x = _real_float("log_ndtr", x)
    dtype = get_aval(x).dtype
    if dtype.itemsize < 4:  # half floats: computed in float32
        return cast(log_ndtr(cast(x, np.float32)), dtype)
    cut = np.asarray(_LOG_NDTR_SERIES_BELOW[dtype.itemsize], dtype)
    zero = np.zeros((), dtype)
    far = x < cut
    # each case sees an argument that is harmless where it is not taken
    x_far = fnp.where(far, x, cut)
    x_near = fnp.where(far, cut, x)
    upper = x_near > zero
    near = fnp.where(
        upper,
        fnp.log1p(-ndtr(-fnp.where(upper, x_near, zero))),
        fnp.log(ndtr(fnp.where(upper, zero, x_near))),
    )
    # ndtr(x) ~ pdf(x) / -x * (1 - 1/x^2 + 3/x^4 - 15/x^6 + ...)
    u = 1 / (x_far * x_far)
    series = np.asarray(10395.0, dtype)
    for c in (-945.0, 105.0, -15.0, 3.0, -1.0):
        series = series * u + np.asarray(c, dtype)
    half_log_2pi = np.asarray(0.5 * math.log(2 * math.pi), dtype)
    tail = -0.5 * x_far * x_far - fnp.log(-x_far) - half_log_2pi
    tail = tail + fnp.log1p(series * u)
    return fnp.where(far, tail, near)


def logit(p: Any, /) -> Any:
    """`scipy.special.logit`: `log(p / (1 - p))`, the inverse of `expit`
    (-inf at 0, inf at 1, NaN outside [0, 1])."""
    p = _real_float("logit", p)
    with np.errstate(divide="ignore"):  # the infinities at 0 and 1 are meant
        return fnp.log(p) - fnp.log1p(-p)


# --- xlogy and xlog1py --------------------------------------------------------
# x * log(y) is 0 where x == 0 (unless y is NaN), even at y == 0. Their
# derivatives are the true partial derivatives: log(y) in x (also at
# x == 0) and x / y in y, taken as 0 where x == 0.


def _x_log_pair(name: str, x: Any, y: Any) -> tuple[Any, Any]:
    x, y = promote(x, y)
    dtype = inexact_dtype(get_aval(x).dtype)
    if dtype.kind != "f":
        raise FuncgradTypeError(
            f"`funcgrad.scipy.special.{name}` takes real numbers, got {dtype}."
        )
    x, y = cast(x, dtype), cast(y, dtype)
    shape = tuple(np.broadcast_shapes(get_aval(x).shape, get_aval(y).shape))
    return fnp.broadcast_to(x, shape), fnp.broadcast_to(y, shape)


def _x_log(log_fn: Callable[[Any], Any], x: Any, y: Any, special_y: float) -> Any:
    # Where x == 0 the logarithm is taken of 1 instead of y, so that it is
    # finite and 0 * log(...) is exactly 0 (NaN y keeps its NaN).
    dtype = get_aval(x).dtype
    zero = ew.eq(x, np.zeros((), dtype))
    safe_y = ew.select(
        ew.and_p.bind(zero, ew.eq(y, y)), np.asarray(special_y, dtype), y
    )
    return ew.mul(x, log_fn(safe_y))


def _x_over(x: Any, y_plus: Any) -> Any:
    # x / y_plus, taken as 0 where x == 0 (also where y_plus is 0 or NaN).
    # Only there is the divisor replaced by 1: elsewhere the quotient's
    # derivative in x is 1 / y_plus also at x == 0 (the mixed second
    # derivative of x * log(y)).
    dtype = get_aval(x).dtype
    zero = np.zeros((), dtype)
    no_quotient = ew.or_p.bind(ew.eq(y_plus, zero), ew.ne(y_plus, y_plus))
    replaced = ew.and_p.bind(ew.eq(x, zero), no_quotient)
    safe = ew.select(replaced, np.ones((), dtype), y_plus)
    return ew.div(x, safe)


@custom_jvp
def _xlogy(x: Any, y: Any) -> Any:
    return _x_log(ew.log, x, y, 1.0)


@_xlogy.defjvp
def _xlogy_jvp(primals: Any, tangents: Any) -> Any:
    (x, y), (x_dot, y_dot) = primals, tangents
    out = _xlogy(x, y)
    return out, x_dot * fnp.log(y) + y_dot * _x_over(x, y)


@custom_jvp
def _xlog1py(x: Any, y: Any) -> Any:
    return _x_log(ew.log1p, x, y, 0.0)


@_xlog1py.defjvp
def _xlog1py_jvp(primals: Any, tangents: Any) -> Any:
    (x, y), (x_dot, y_dot) = primals, tangents
    out = _xlog1py(x, y)
    return out, x_dot * fnp.log1p(y) + y_dot * _x_over(x, 1.0 + y)


def xlogy(x: Any, y: Any, /) -> Any:
    """`scipy.special.xlogy`: `x * log(y)`, and 0 where `x == 0` (unless `y`
    is NaN). The derivative in `x` is `log(y)`, in `y` it is `x / y` (0
    where `x == 0`).

    >>> import numpy as np
    >>> float(xlogy(0.0, 0.0))
    0.0
    """
    if is_eager(x, y):
        x, y = (np.asarray(v) for v in _x_log_pair("xlogy", x, y))
        with np.errstate(divide="ignore", invalid="ignore"):  # as scipy
            return to_ndarray(_x_log(ew.log_p.impl, x, y, 1.0))
    return _xlogy(*_x_log_pair("xlogy", x, y))


def xlog1py(x: Any, y: Any, /) -> Any:
    """`scipy.special.xlog1py`: `x * log1p(y)`, and 0 where `x == 0`
    (unless `y` is NaN). The derivative in `x` is `log1p(y)`, in `y` it is
    `x / (1 + y)` (0 where `x == 0`)."""
    if is_eager(x, y):
        x, y = (np.asarray(v) for v in _x_log_pair("xlog1py", x, y))
        with np.errstate(divide="ignore", invalid="ignore"):  # as scipy
            return to_ndarray(_x_log(ew.log1p_p.impl, x, y, 0.0))
    return _xlog1py(*_x_log_pair("xlog1py", x, y))


# --- logsumexp, softmax, log_softmax ------------------------------------------


def _shifted_max(a: Any, axis: Any) -> Any:
    """The largest element along `axis` (kept), or 0 where that is not
    finite; a constant for differentiation, which the results do not
    depend on."""
    m = fnp.max(a, axis=axis, keepdims=True)
    m = fnp.where(fnp.isfinite(m), m, fnp.zeros_like(m))
    return ew.stop_gradient(m) if not is_eager(m) else m


def logsumexp(
    a: Any,
    axis: Any = None,
    b: Any = None,
    keepdims: bool = False,
    return_sign: bool = False,
) -> Any:
    """`scipy.special.logsumexp`: `log(sum(b * exp(a), axis))` without
    overflow.

    The largest element is subtracted before `exp`, so `[1000, 1000]` gives
    `1000 + log(2)` and the gradient `[0.5, 0.5]`. Entries of `-inf` (and
    those with `b == 0`) get derivative 0; an input that is all `-inf`
    gives `-inf` and a zero gradient, not NaN. With `return_sign`, returns
    `(log(abs(s)), sign(s))` for the signed sum `s`; without it a negative
    sum gives NaN, as in scipy.

    >>> import numpy as np
    >>> float(logsumexp(np.log(np.array([1.0, 2.0, 3.0]))))  # log(6)
    1.791759469228055
    """
    a = to_inexact(a)
    shift_from = a
    if b is not None:
        a, b = promote(a, b)
        dtype = inexact_dtype(get_aval(a).dtype)
        a, b = cast(a, dtype), cast(b, dtype)
        shape = np.broadcast_shapes(fnp.shape(a), fnp.shape(b))
        a, b = fnp.broadcast_to(a, shape), fnp.broadcast_to(b, shape)
        # scipy's rule: an entry with weight 0 counts as 0, even at a = inf.
        # It does not set the shift, and its term b * exp(a - m) is 0, but
        # the derivative in b stays exp(a - m) / sum (it is not masked).
        unweighted = b == 0
        shift_from = fnp.where(unweighted, -np.inf, a)
    m = _shifted_max(shift_from, axis)
    if b is not None:
        # exp(a - m) of an unweighted entry must not overflow (0 * inf):
        # capped at exp(700), where its derivative in b is huge anyway
        a = fnp.where(unweighted, fnp.minimum(a, m + 700.0), a)
    terms = fnp.exp(a - m)
    if b is not None:
        terms = terms * b
    s = fnp.sum(terms, axis=axis, keepdims=True)
    if return_sign:
        sign = fnp.sign(s)
        s = fnp.abs(s)
    # where the sum is 0 the logarithm is taken of 1 and replaced by -inf,
    # so that its derivative (1 / s) never meets 0 * inf
    empty = s == 0
    log_s = fnp.where(empty, -np.inf, fnp.log(fnp.where(empty, 1.0, s)))
    out = log_s + m
    if not keepdims:
        axes = _reduced_axes(axis, fnp.ndim(a))
        out = fnp.squeeze(out, axis=axes)
        if return_sign:
            sign = fnp.squeeze(sign, axis=axes)
    if return_sign:
        return out, sign
    return out


def _reduced_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    return tuple(int(ax) % ndim for ax in axes)


def softmax(x: Any, axis: Any = None) -> Any:
    """`scipy.special.softmax`: `exp(x) / sum(exp(x), axis)`, computed from
    `x - max(x)` so it never overflows. scipy's default `axis=None` takes
    all elements together (`funcgrad.nn.softmax` defaults to the last axis).

    >>> import numpy as np
    >>> softmax(np.array([1000.0, 1000.0]))
    array([0.5, 0.5])
    """
    x = to_inexact(x)
    unnormalized = fnp.exp(x - _shifted_max(x, axis))
    return unnormalized / fnp.sum(unnormalized, axis=axis, keepdims=True)


def log_softmax(x: Any, axis: Any = None) -> Any:
    """`scipy.special.log_softmax`: `x - logsumexp(x, axis)`, without
    overflow or loss of digits for very negative entries."""
    x = to_inexact(x)
    shifted = x - _shifted_max(x, axis)
    return shifted - fnp.log(fnp.sum(fnp.exp(shifted), axis=axis, keepdims=True))
