"""More elementwise primitives: hyperbolic and inverse trigonometric
functions, `exp2`, `log2`, `log10`, `cbrt`, `arctan2` and `hypot`, rounding,
remainders, `signbit`, and the special functions `erf`, `erfc`, `erfinv`,
`lgamma`, `digamma` and `polygamma`.

They share the elementwise family's helpers (`_elementwise.py`): its dtype
checks, broadcasting and batching rules. Rounding, floor division and
`signbit` are piecewise constant, so their tangents are symbolic zeros.
`erf`, `erfc` and `lgamma` are numba ufuncs of the `math` functions, which
the fused kernels call too; `erfinv`, `digamma` and `polygamma` are numpy
code of their own and have no lowering, so compiled programs run their
implementation. Every derivative is another primitive of this module, so
`lgamma` can be differentiated any number of times (`digamma`, then
`polygamma(1, x)`, `polygamma(2, x)`, ...).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from funcgrad.backend import (
    elementwise_lowerings,
    literal,
    scalar_type,
    transcendental,
)
from funcgrad.core import Primitive, ShapedArray, get_aval
from funcgrad.errors import FuncgradTypeError, FuncgradValueError
from funcgrad.primitives import _elementwise as ew
from funcgrad.primitives._util import const, require_dtype_kind
from funcgrad.transforms import (
    Zero,
    defjvp,
    defjvp_using_output,
    jvp_rules,
    zero_tangent_jvp,
)

_REAL = "f"

# --- hyperbolic and inverse trigonometric functions ---------------------------

sinh_p = ew._unary("sinh", np.sinh)
cosh_p = ew._unary("cosh", np.cosh)
arcsin_p = ew._unary("arcsin", np.arcsin)
arccos_p = ew._unary("arccos", np.arccos)
arctan_p = ew._unary("arctan", np.arctan)
arcsinh_p = ew._unary("arcsinh", np.arcsinh)
arccosh_p = ew._unary("arccosh", np.arccosh)
arctanh_p = ew._unary("arctanh", np.arctanh)


def sinh(x: Any) -> Any:
    return sinh_p.bind(x)


def cosh(x: Any) -> Any:
    return cosh_p.bind(x)


def arcsin(x: Any) -> Any:
    return arcsin_p.bind(x)


def arccos(x: Any) -> Any:
    return arccos_p.bind(x)


def arctan(x: Any) -> Any:
    return arctan_p.bind(x)


def arcsinh(x: Any) -> Any:
    return arcsinh_p.bind(x)


def arccosh(x: Any) -> Any:
    return arccosh_p.bind(x)


def arctanh(x: Any) -> Any:
    return arctanh_p.bind(x)


def _one_minus_square(x: Any) -> Any:
    # (1 - x)(1 + x) keeps its digits near |x| = 1, where 1 - x * x does not.
    one = const(1, x)
    return ew.mul(ew.sub(one, x), ew.add(one, x))


def _sinh_tangent(t: Any, x: Any) -> Any:
    return ew.mul_absorbing(t, cosh(x))


def _cosh_tangent(t: Any, x: Any) -> Any:
    return ew.mul_absorbing(t, sinh(x))


def _arcsin_tangent(t: Any, x: Any) -> Any:
    return ew.div_absorbing(t, ew.sqrt(_one_minus_square(x)))


def _arccos_tangent(t: Any, x: Any) -> Any:
    return ew.neg(ew.div_absorbing(t, ew.sqrt(_one_minus_square(x))))


def _arctan_tangent(t: Any, x: Any) -> Any:
    return ew.div_absorbing(t, ew.add(const(1, x), ew.mul(x, x)))


def _arcsinh_tangent(t: Any, x: Any) -> Any:
    if get_aval(x).dtype.kind == "c":  # the principal sqrt(1 + z^2)
        return ew.div_absorbing(t, ew.sqrt(ew.add(const(1, x), ew.mul(x, x))))
    # hypot(x, 1) = sqrt(x^2 + 1) without overflow for large |x|.
    return ew.div_absorbing(t, hypot(x, const(1, x)))


def _arccosh_tangent(t: Any, x: Any) -> Any:
    one = const(1, x)
    return ew.div_absorbing(t, ew.mul(ew.sqrt(ew.sub(x, one)), ew.sqrt(ew.add(x, one))))


def _arctanh_tangent(t: Any, x: Any) -> Any:
    return ew.div_absorbing(t, _one_minus_square(x))


defjvp(sinh_p, _sinh_tangent)
defjvp(cosh_p, _cosh_tangent)
defjvp(arcsin_p, _arcsin_tangent)
defjvp(arccos_p, _arccos_tangent)
defjvp(arctan_p, _arctan_tangent)
defjvp(arcsinh_p, _arcsinh_tangent)
defjvp(arccosh_p, _arccosh_tangent)
defjvp(arctanh_p, _arctanh_tangent)

# --- exp2, log2, log10, cbrt --------------------------------------------------

exp2_p = ew._unary("exp2", np.exp2)
log2_p = ew._unary("log2", np.log2)
log10_p = ew._unary("log10", np.log10)
cbrt_p = ew._unary("cbrt", np.cbrt, kinds=_REAL)


def exp2(x: Any) -> Any:
    return exp2_p.bind(x)


def log2(x: Any) -> Any:
    return log2_p.bind(x)


def log10(x: Any) -> Any:
    return log10_p.bind(x)


def cbrt(x: Any) -> Any:
    return cbrt_p.bind(x)


def _exp2_tangent(t: Any, ans: Any, x: Any) -> Any:
    return ew.mul_absorbing(t, ew.mul(ans, const(math.log(2), ans)))


def _log2_tangent(t: Any, x: Any) -> Any:
    return ew.div_absorbing(t, ew.mul(x, const(math.log(2), x)))


def _log10_tangent(t: Any, x: Any) -> Any:
    return ew.div_absorbing(t, ew.mul(x, const(math.log(10), x)))


def _cbrt_tangent(t: Any, ans: Any, x: Any) -> Any:
    return ew.div_absorbing(t, ew.mul(const(3, ans), ew.mul(ans, ans)))


defjvp_using_output(exp2_p, _exp2_tangent)
defjvp(log2_p, _log2_tangent)
defjvp(log10_p, _log10_tangent)
defjvp_using_output(cbrt_p, _cbrt_tangent)

# --- arctan2 and hypot --------------------------------------------------------

arctan2_p = ew._binary("arctan2", np.arctan2, kinds=_REAL)
hypot_p = ew._binary("hypot", np.hypot, kinds=_REAL)


def arctan2(y: Any, x: Any) -> Any:
    return arctan2_p.bind(y, x)


def hypot(x: Any, y: Any) -> Any:
    return hypot_p.bind(x, y)


def _over_squared_norm(v: Any, y: Any, x: Any) -> Any:
    """v / (x^2 + y^2), and 0 at the origin: there arctan2 (and `angle`) has
    no derivative, and 0 is taken, to every order, rather than 0/0."""
    norm = ew.add(ew.mul(x, x), ew.mul(y, y))
    zero = const(0, norm)
    origin = ew.eq(norm, zero)
    return ew.select(origin, zero, ew.div(v, ew.select(origin, const(1, norm), norm)))


def _arctan2_lhs(t: Any, y: Any, x: Any) -> Any:
    return ew.mul(t, _over_squared_norm(x, y, x))


def _arctan2_rhs(t: Any, y: Any, x: Any) -> Any:
    return ew.mul(t, ew.neg(_over_squared_norm(y, y, x)))


defjvp(arctan2_p, _arctan2_lhs, _arctan2_rhs)


def hypot_jvp(primals: Any, tangents: Any) -> Any:
    # d/dx = x / hypot(x, y), reusing the output; at the origin, where that
    # is 0/0, it is taken as 0 (the subgradient, as for `abs`), dividing by
    # 1 there so that second derivatives stay finite too.
    (x, y), (x_dot, y_dot) = primals, tangents
    ans = hypot(x, y)
    zero = const(0, ans)
    safe = ew.select(ew.eq(ans, zero), const(1, ans), ans)
    out: Any = Zero(get_aval(ans))
    for t, v in ((x_dot, x), (y_dot, y)):
        if type(t) is not Zero:
            term = ew.mul(t, ew.div(v, safe))
            out = term if type(out) is Zero else ew.add(out, term)
    return ans, out


jvp_rules[hypot_p] = hypot_jvp

# --- rounding and signbit -----------------------------------------------------

floor_p = ew._unary("floor", np.floor, kinds=_REAL)
ceil_p = ew._unary("ceil", np.ceil, kinds=_REAL)
rint_p = ew._unary("rint", np.rint, kinds=_REAL)
trunc_p = ew._unary("trunc", np.trunc, kinds=_REAL)
signbit_p = Primitive("signbit")


@signbit_p.def_impl
def signbit_impl(x: Any) -> Any:
    return np.asarray(np.signbit(x))


@signbit_p.def_abstract_eval
def signbit_abstract_eval(x: ShapedArray) -> ShapedArray:
    require_dtype_kind("signbit", x, _REAL, "real floating-point")
    return ShapedArray(x.shape, np.dtype(np.bool_))


def floor(x: Any) -> Any:
    return floor_p.bind(x)


def ceil(x: Any) -> Any:
    return ceil_p.bind(x)


def rint(x: Any) -> Any:
    return rint_p.bind(x)


def trunc(x: Any) -> Any:
    return trunc_p.bind(x)


def signbit(x: Any) -> Any:
    return signbit_p.bind(x)


for _p in (floor_p, ceil_p, rint_p, trunc_p, signbit_p):
    zero_tangent_jvp(_p)

# --- remainders ---------------------------------------------------------------
# `fmod` is C's remainder (the sign of the dividend), `remainder` Python's
# (the sign of the divisor). Between the jumps at multiples of the divisor
# both are x - q * y with q constant: their derivatives are 1 in x and -q in
# y, with q = trunc(x / y) for `fmod` and floor(x / y) for `remainder`.

fmod_p = ew._binary("fmod", np.fmod, kinds="iuf")
remainder_p = ew._binary("remainder", np.remainder, kinds="iuf")
floor_divide_p = ew._binary("floor_divide", np.floor_divide, kinds="iuf")


def fmod(x: Any, y: Any) -> Any:
    return fmod_p.bind(x, y)


def remainder(x: Any, y: Any) -> Any:
    return remainder_p.bind(x, y)


def floor_divide(x: Any, y: Any) -> Any:
    return floor_divide_p.bind(x, y)


def _quotient_tangent(rounding: Callable[[Any], Any]) -> Callable[..., Any]:
    def tangent(t: Any, x: Any, y: Any) -> Any:
        return ew.mul(t, ew.neg(rounding(ew.div(x, y))))

    return tangent


def _dividend_tangent(t: Any, x: Any, y: Any) -> Any:
    return ew._expand(t, x, y)


defjvp(fmod_p, _dividend_tangent, _quotient_tangent(trunc))
defjvp(remainder_p, _dividend_tangent, _quotient_tangent(floor))
zero_tangent_jvp(floor_divide_p)

# --- erf, erfc, lgamma: numba ufuncs of the `math` functions ------------------


def _erf_scalar(x: Any) -> Any:
    return math.erf(x)


def _erfc_scalar(x: Any) -> Any:
    return math.erfc(x)


def _lgamma_scalar(x: Any) -> Any:
    return math.lgamma(x)


def _real_operand(name: str, x: Any) -> np.ndarray:
    # Applied to numpy arrays directly (`funcgrad.lax` outside transforms)
    # an implementation sees no abstract evaluation: it checks for itself,
    # rather than computing in float64 and truncating back to integers.
    x = np.asarray(x)
    if x.dtype.kind != "f":
        raise FuncgradTypeError(
            f"`{name}` needs real floating-point operands, got {x.dtype}; "
            f"convert with `.astype(float)` first."
        )
    return x


def _numba_ufunc(
    name: str, scalar: Callable[[Any], Any]
) -> Callable[[Any], np.ndarray]:
    """`scalar` applied elementwise, compiled by numba on first use (for
    float32 and float64; other floats are computed in float64)."""
    compiled: list[Any] = []

    def impl(x: Any) -> np.ndarray:
        x = _real_operand(name, x)
        if not compiled:
            import numba

            signatures = ["float32(float32)", "float64(float64)"]
            compiled.append(numba.vectorize(signatures, cache=True)(scalar))
        if x.dtype in (np.float32, np.float64):
            return np.asarray(compiled[0](x))
        return np.asarray(compiled[0](x.astype(np.float64))).astype(x.dtype)

    return impl


erf_p = ew._unary("erf", _numba_ufunc("erf", _erf_scalar), kinds=_REAL)
erfc_p = ew._unary("erfc", _numba_ufunc("erfc", _erfc_scalar), kinds=_REAL)
lgamma_p = ew._unary("lgamma", _numba_ufunc("lgamma", _lgamma_scalar), kinds=_REAL)


def erf(x: Any) -> Any:
    return erf_p.bind(x)


def erfc(x: Any) -> Any:
    return erfc_p.bind(x)


def lgamma(x: Any) -> Any:
    return lgamma_p.bind(x)


def _gaussian(x: Any) -> Any:
    """2 / sqrt(pi) * exp(-x^2), the derivative of erf."""
    return ew.mul(const(2 / math.sqrt(math.pi), x), ew.exp(ew.neg(ew.mul(x, x))))


def _erf_tangent(t: Any, x: Any) -> Any:
    return ew.mul(t, _gaussian(x))


def _erfc_tangent(t: Any, x: Any) -> Any:
    return ew.neg(ew.mul(t, _gaussian(x)))


def _lgamma_tangent(t: Any, x: Any) -> Any:
    return ew.mul_absorbing(t, digamma(x))


defjvp(erf_p, _erf_tangent)
defjvp(erfc_p, _erfc_tangent)
defjvp(lgamma_p, _lgamma_tangent)

# --- erfinv -------------------------------------------------------------------


def _erfinv_impl(x: Any) -> np.ndarray:
    # Winitzki's closed-form approximation (relative error about 2e-3), then
    # three Halley steps on erf(y) = |x|. For |x| > 1/2 the residual is
    # written (1 - |x|) - erfc(y), which keeps its digits as |x| -> 1.
    x = _real_operand("erfinv", x)
    a = np.abs(x.astype(np.float64))
    k = 0.147
    with np.errstate(all="ignore"):
        log_term = np.log((1 - a) * (1 + a))
        t = 2 / (np.pi * k) + log_term / 2
        y = np.sqrt(np.sqrt(t * t - log_term / k) - t)
        for _ in range(3):
            residual = np.where(a > 0.5, (1 - a) - _erfc_ufunc(y), _erf_ufunc(y) - a)
            slope = 2 / np.sqrt(np.pi) * np.exp(-y * y)
            y = y - residual / (slope + y * residual)
        y = np.where(a == 1, np.inf, np.where(a > 1, np.nan, y))
        y = np.where(a == 0, 0.0, y)
    return np.asarray(np.copysign(y, x)).astype(x.dtype)


_erf_ufunc = _numba_ufunc("erf", _erf_scalar)
_erfc_ufunc = _numba_ufunc("erfc", _erfc_scalar)
erfinv_p = ew._unary("erfinv", _erfinv_impl, kinds=_REAL)


def erfinv(x: Any) -> Any:
    return erfinv_p.bind(x)


def _erfinv_tangent(t: Any, ans: Any, x: Any) -> Any:
    half_sqrt_pi = const(math.sqrt(math.pi) / 2, ans)
    return ew.mul_absorbing(t, ew.mul(half_sqrt_pi, ew.exp(ew.mul(ans, ans))))


defjvp_using_output(erfinv_p, _erfinv_tangent)

# --- digamma and polygamma ----------------------------------------------------
# Both shift their argument up with the recurrence psi(x + 1) = psi(x) + 1/x
# (differentiated n times for polygamma) until the asymptotic series is
# accurate to float64 there, and sum the series.

# B_2k / (2k), the coefficients of digamma's asymptotic series in 1/x^(2k).
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)


def _digamma_impl(x: Any) -> np.ndarray:
    x = _real_operand("digamma", x)
    z = x.astype(np.float64)
    with np.errstate(all="ignore"):
        negative = z < 0
        w = np.where(negative, 1 - z, z)  # reflection: psi(1 - x) for x < 0
        shift = np.zeros_like(w)
        for _ in range(10):
            small = w < 10
            shift = shift - np.where(small, 1 / w, 0)
            w = np.where(small, w + 1, w)
        u = 1 / (w * w)
        series = np.zeros_like(w)
        for k in range(len(_BERNOULLI), 0, -1):
            series = u * (_BERNOULLI[k - 1] / (2 * k) + series)
        out = np.log(w) - 0.5 / w - series + shift
        out = np.where(negative, out - np.pi / np.tan(np.pi * z), out)
        pole = negative & (z == np.floor(z))
        out = np.where(pole, np.nan, out)
    return np.asarray(out).astype(x.dtype)


def _polygamma_impl(x: Any, *, n: int) -> np.ndarray:
    x = _real_operand("polygamma", x)
    z = x.astype(np.float64)
    sign = 1.0 if n % 2 else -1.0  # (-1)^(n + 1)
    start = 20.0 + n
    with np.errstate(all="ignore"):
        # scipy's values: sign * inf at 0, the negative integers and -inf
        pole = (z <= 0) & (z == np.floor(z))
        bad = pole | np.isnan(z)
        w = np.where(bad, start, z)
        shift = np.zeros_like(w)
        # psi^(n)(x) = psi^(n)(x + 1) + (-1)^(n + 1) n! / x^(n + 1)
        while True:
            small = w < start
            if not small.any():
                break
            shift = shift + np.where(small, w ** -(n + 1.0), 0)
            w = np.where(small, w + 1, w)
        terms = math.factorial(n - 1) / w**n + math.factorial(n) / (2 * w ** (n + 1))
        for k, b in enumerate(_BERNOULLI, start=1):
            ratio = math.factorial(2 * k + n - 1) / math.factorial(2 * k)
            terms = terms + b * ratio / w ** (2 * k + n)
        out = sign * (terms + math.factorial(n) * shift)
        out = np.where(pole, sign * np.inf, np.where(bad, np.nan, out))
    return np.asarray(out).astype(x.dtype)


digamma_p = ew._unary("digamma", _digamma_impl, kinds=_REAL)
polygamma_p = Primitive("polygamma")
polygamma_p.def_impl(_polygamma_impl)


@polygamma_p.def_abstract_eval
def polygamma_abstract_eval(x: ShapedArray, *, n: int) -> ShapedArray:
    require_dtype_kind("polygamma", x, _REAL, "real floating-point")
    if not isinstance(n, int) or n < 1:
        raise FuncgradValueError(
            f"`polygamma`: the order `n` must be an int >= 1, got {n!r} "
            f"(order 0 is `digamma`)."
        )
    return x


def digamma(x: Any) -> Any:
    return digamma_p.bind(x)


def polygamma(n: int, x: Any) -> Any:
    return polygamma_p.bind(x, n=n)


def _digamma_tangent(t: Any, x: Any) -> Any:
    return ew.mul_absorbing(t, polygamma(1, x))


def _polygamma_tangent(t: Any, x: Any, *, n: int) -> Any:
    return ew.mul_absorbing(t, polygamma(n + 1, x))


defjvp(digamma_p, _digamma_tangent)
defjvp(polygamma_p, _polygamma_tangent)

# --- batching -----------------------------------------------------------------

_UNARY = (
    sinh_p, cosh_p, arcsin_p, arccos_p, arctan_p, arcsinh_p, arccosh_p,
    arctanh_p, exp2_p, log2_p, log10_p, cbrt_p, floor_p, ceil_p, rint_p,
    trunc_p, signbit_p, erf_p, erfc_p, lgamma_p, erfinv_p, digamma_p,
    polygamma_p,
)  # fmt: skip
_BINARY = (arctan2_p, hypot_p, fmod_p, remainder_p, floor_divide_p)

for _p in _UNARY:
    ew._unary_batch(_p)
for _p in _BINARY:
    ew._broadcasting_batch(_p)

# --- lowering -----------------------------------------------------------------
# erfinv, digamma, polygamma and floor_divide (whose numpy rounding is
# subtle at the edges) have none: compiled programs call their
# implementations.


def _int_or_float(int_text: str, float_text: str) -> Callable[..., str]:
    """A lowering with one expression for integers and one for floats; the
    integer one returns 0 for a zero divisor, as numpy does."""

    def lowering(a: str, b: str, *, out_dtype: Any, **_: Any) -> str:
        if np.dtype(out_dtype).kind in "iu":
            zero = literal(0, out_dtype)
            return f"({zero} if {b} == 0 else {int_text.format(a=a, b=b)})"
        return float_text.format(a=a, b=b, zero=literal(0, out_dtype))

    return lowering


# numpy's remainder: fmod, moved by one divisor when the signs differ, and
# a zero result takes the divisor's sign.
_REMAINDER_FLOAT = (
    "(np.copysign({zero}, {b}) if np.fmod({a}, {b}) == 0 else "
    "(np.fmod({a}, {b}) + {b} if (np.fmod({a}, {b}) < 0) != ({b} < 0) "
    "else np.fmod({a}, {b})))"
)

# C's integer remainder from Python's (which numba's `%` computes): they
# differ by one divisor where the operands' signs differ.
_FMOD_INT = (
    "(({a} % {b}) - {b} if ({a} % {b}) != 0 and (({a} < 0) != ({b} < 0)) "
    "else ({a} % {b}))"
)


def _math_call(function: str) -> Callable[..., str]:
    def lowering(a: str, *, out_dtype: Any, **_: Any) -> str:
        return f"{scalar_type(out_dtype)}({function}({a}))"

    return lowering


_LOWERINGS = {
    sinh_p: ew._call("np.sinh"),
    cosh_p: ew._call("np.cosh"),
    arcsin_p: ew._call("np.arcsin"),
    arccos_p: ew._call("np.arccos"),
    arctan_p: ew._call("np.arctan"),
    arcsinh_p: ew._call("np.arcsinh"),
    arccosh_p: ew._call("np.arccosh"),
    arctanh_p: ew._call("np.arctanh"),
    exp2_p: ew._call("np.exp2"),
    log2_p: ew._call("np.log2"),
    log10_p: ew._call("np.log10"),
    cbrt_p: ew._call("np.cbrt"),
    arctan2_p: ew._call("np.arctan2"),
    hypot_p: ew._call("np.hypot"),
    floor_p: ew._call("np.floor"),
    ceil_p: ew._call("np.ceil"),
    rint_p: ew._call("np.rint"),
    trunc_p: ew._call("np.trunc"),
    signbit_p: ew._call("np.signbit"),
    fmod_p: _int_or_float(_FMOD_INT, "np.fmod({a}, {b})"),
    remainder_p: _int_or_float("({a} % {b})", _REMAINDER_FLOAT),
    erf_p: _math_call("math.erf"),
    erfc_p: _math_call("math.erfc"),
    lgamma_p: _math_call("math.lgamma"),
}
elementwise_lowerings.update(_LOWERINGS)
transcendental.update(
    {
        sinh_p, cosh_p, arcsin_p, arccos_p, arctan_p, arcsinh_p, arccosh_p,
        arctanh_p, exp2_p, log2_p, log10_p, cbrt_p, arctan2_p, hypot_p,
    }
)  # fmt: skip
