"""numpy's elementwise functions (ufuncs), `where` and `clip`.

Each function takes numpy's path when nothing is traced, and otherwise
promotes its operands as numpy would and binds the matching primitive.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

import numpy as np

from funcgrad.core import Tracer, get_aval
from funcgrad.errors import FuncgradTypeError, FuncgradValueError
from funcgrad.numpy._util import (
    as_operand,
    cast,
    inexact_dtype,
    is_eager,
    known_square,
    promote,
    result_dtype,
    to_inexact,
    to_ndarray,
)
from funcgrad.primitives import _complex as cp
from funcgrad.primitives import _elementwise as ew
from funcgrad.primitives import _math as mp
from funcgrad.primitives import _shape as shape_ops
from funcgrad.primitives._custom_api import custom_jvp


def _unary(name: str, numpy_fn: Callable[..., Any], lax_fn: Callable[[Any], Any],
           inexact: bool = True) -> Callable[[Any], Any]:  # fmt: skip
    def fn(x: Any, /) -> Any:
        if is_eager(x):
            return to_ndarray(numpy_fn(x))
        return lax_fn(to_inexact(x) if inexact else as_operand(x))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise `numpy.{name}`, traceable and differentiable."
    return fn


def _binary(name: str, numpy_fn: Callable[..., Any], lax_fn: Callable[[Any, Any], Any],
            inexact: bool = False) -> Callable[[Any, Any], Any]:  # fmt: skip
    def fn(x: Any, y: Any, /) -> Any:
        if is_eager(x, y):
            return to_ndarray(numpy_fn(x, y))
        x, y = promote(x, y)
        if inexact:
            dtype = inexact_dtype(get_aval(x).dtype)
            x, y = cast(x, dtype), cast(y, dtype)
        return lax_fn(x, y)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise `numpy.{name}` with broadcasting, traceable."
    return fn


add = _binary("add", np.add, ew.add)
subtract = _binary("subtract", np.subtract, ew.sub)
_multiply = _binary("multiply", np.multiply, ew.mul)


def multiply(x: Any, y: Any, /) -> Any:
    """Elementwise `numpy.multiply` with broadcasting, traceable. `x * x` of
    a traced 2-norm gives the sum of squares it is the root of."""
    if x is y and (square_of := known_square(x)) is not None:
        return square_of
    return _multiply(x, y)


def _true_divide(x: Any, y: Any) -> Any:
    # numpy divides integers and booleans in float64, floats in their dtype.
    dtype = get_aval(x).dtype
    if dtype.kind in "biu":
        x, y = cast(x, np.float64), cast(y, np.float64)
    return ew.div(x, y)


divide = true_divide = _binary("divide", np.true_divide, _true_divide)
maximum = _binary("maximum", np.maximum, ew.max)
minimum = _binary("minimum", np.minimum, ew.min)
equal = _binary("equal", np.equal, ew.eq)
not_equal = _binary("not_equal", np.not_equal, ew.ne)
less = _binary("less", np.less, ew.lt)
less_equal = _binary("less_equal", np.less_equal, ew.le)
greater = _binary("greater", np.greater, ew.gt)
greater_equal = _binary("greater_equal", np.greater_equal, ew.ge)
bitwise_and = _binary("bitwise_and", np.bitwise_and, ew.and_p.bind)
bitwise_or = _binary("bitwise_or", np.bitwise_or, ew.or_p.bind)
bitwise_xor = _binary("bitwise_xor", np.bitwise_xor, ew.xor_p.bind)

negative = _unary("negative", np.negative, ew.neg, inexact=False)
absolute = abs = _unary("absolute", np.absolute, ew.abs, inexact=False)
sign = _unary("sign", np.sign, ew.sign, inexact=False)
invert = bitwise_not = _unary("invert", np.invert, ew.not_p.bind, inexact=False)
exp = _unary("exp", np.exp, ew.exp)
log = _unary("log", np.log, ew.log)
log1p = _unary("log1p", np.log1p, ew.log1p)
expm1 = _unary("expm1", np.expm1, ew.expm1)
sin = _unary("sin", np.sin, ew.sin)
cos = _unary("cos", np.cos, ew.cos)
tan = _unary("tan", np.tan, ew.tan)
tanh = _unary("tanh", np.tanh, ew.tanh)
sqrt = _unary("sqrt", np.sqrt, ew.sqrt)
sinh = _unary("sinh", np.sinh, mp.sinh)
cosh = _unary("cosh", np.cosh, mp.cosh)
arcsin = _unary("arcsin", np.arcsin, mp.arcsin)
arccos = _unary("arccos", np.arccos, mp.arccos)
arctan = _unary("arctan", np.arctan, mp.arctan)
arcsinh = _unary("arcsinh", np.arcsinh, mp.arcsinh)
arccosh = _unary("arccosh", np.arccosh, mp.arccosh)
arctanh = _unary("arctanh", np.arctanh, mp.arctanh)
exp2 = _unary("exp2", np.exp2, mp.exp2)
log2 = _unary("log2", np.log2, mp.log2)
log10 = _unary("log10", np.log10, mp.log10)
cbrt = _unary("cbrt", np.cbrt, mp.cbrt)
rint = _unary("rint", np.rint, lambda x: _on_parts(mp.rint, x))
arctan2 = _binary("arctan2", np.arctan2, mp.arctan2, inexact=True)
hypot = _binary("hypot", np.hypot, mp.hypot, inexact=True)


def _on_parts(fn: Callable[[Any], Any], x: Any) -> Any:
    """`fn` of a real array; of a complex one, `fn` of each part (numpy's
    rounding of complex numbers)."""
    if get_aval(x).dtype.kind != "c":
        return fn(x)
    return cp.complex(fn(cp.real(x)), fn(cp.imag(x)))


def positive(x: Any, /) -> Any:
    """`numpy.positive`: the input itself (booleans refused, as in numpy)."""
    if is_eager(x):
        return to_ndarray(np.positive(x))
    x = as_operand(x)
    _refuse_bool("positive", x)
    return x


def _refuse_bool(name: str, x: Any) -> None:
    if get_aval(x).dtype == np.bool_:
        raise FuncgradTypeError(
            f"`{name}` is not defined for booleans (numpy refuses it too); "
            f"use `logical_not` or convert with `.astype(int)`."
        )


def square(x: Any, /) -> Any:
    """`numpy.square`: `x * x`, differentiable as `integer_pow(x, 2)`."""
    if is_eager(x):
        return to_ndarray(np.square(x))
    if (square_of := known_square(x)) is not None:
        return square_of
    x = as_operand(x)
    if get_aval(x).dtype == np.bool_:
        x = cast(x, np.int8)  # numpy squares booleans in int8
    return ew.integer_pow(x, 2)


def reciprocal(x: Any, /) -> Any:
    """`numpy.reciprocal`: `1 / x` (for integers, truncated: 0 unless |x| = 1)."""
    if is_eager(x):
        return to_ndarray(np.reciprocal(x))
    x = as_operand(x)
    dtype = get_aval(x).dtype
    if dtype.kind in "biu":
        one, zero = np.asarray(1, dtype), np.asarray(0, dtype)
        unit = ew.eq(ew.abs(x), one)
        return ew.select(unit, x, zero)
    return ew.div(np.asarray(1, dtype), x)


def _as_bool(x: Any) -> Any:
    x = as_operand(x)
    return (
        x
        if get_aval(x).dtype == np.bool_
        else ew.ne(x, np.zeros((), get_aval(x).dtype))
    )


def logical_and(x: Any, y: Any, /) -> Any:
    """Elementwise `numpy.logical_and`."""
    if is_eager(x, y):
        return to_ndarray(np.logical_and(x, y))
    return ew.and_p.bind(_as_bool(x), _as_bool(y))


def logical_or(x: Any, y: Any, /) -> Any:
    """Elementwise `numpy.logical_or`."""
    if is_eager(x, y):
        return to_ndarray(np.logical_or(x, y))
    return ew.or_p.bind(_as_bool(x), _as_bool(y))


def logical_xor(x: Any, y: Any, /) -> Any:
    """Elementwise `numpy.logical_xor`."""
    if is_eager(x, y):
        return to_ndarray(np.logical_xor(x, y))
    return ew.xor_p.bind(_as_bool(x), _as_bool(y))


def logical_not(x: Any, /) -> Any:
    """Elementwise `numpy.logical_not`."""
    if is_eager(x):
        return to_ndarray(np.logical_not(x))
    return ew.not_p.bind(_as_bool(x))


def power(x: Any, y: Any, /) -> Any:
    """`numpy.power`. An integer exponent known while tracing becomes
    `integer_pow`, whose derivative is right for negative bases too; the
    square of a traced 2-norm is the sum of squares it is the root of."""
    if is_eager(x, y):
        return to_ndarray(np.power(x, y))
    if _static_two(y) and (square_of := known_square(x)) is not None:
        dtype = result_dtype(x, y)
        return (
            square_of if get_aval(square_of).dtype == dtype else cast(square_of, dtype)
        )
    if _static_integer(y) is not None and not isinstance(x, int | bool):
        n = _static_integer(y)
        x = as_operand(x)
        dtype = np.result_type(
            get_aval(x).dtype, y if type(y) is int else np.asarray(y).dtype
        )
        if dtype.kind in "iu" and n < 0:
            raise FuncgradValueError(
                "Integers to negative integer powers are not allowed (as in "
                "numpy). Convert the base to float first."
            )
        return ew.integer_pow(cast(x, dtype), n)
    x, y = promote(x, y)
    dtype = get_aval(x).dtype
    if dtype == np.bool_:
        dtype = np.dtype(np.int8)  # numpy raises booleans to powers in int8
    return ew.pow(cast(x, dtype), cast(y, dtype))


def _static_two(y: Any) -> bool:
    """`y` is the number 2 (an int or a float, Python or numpy, 0-d),
    known while tracing."""
    if type(y) in (int, float):
        return y == 2
    if isinstance(y, np.integer | np.floating) or (
        isinstance(y, np.ndarray) and y.ndim == 0 and y.dtype.kind in "iuf"
    ):
        return bool(y == 2)
    return False


def _static_integer(y: Any) -> int | None:
    if type(y) is int:
        return y
    if isinstance(y, np.integer) or (
        isinstance(y, np.ndarray) and y.ndim == 0 and y.dtype.kind in "iu"
    ):
        return int(y)
    return None


def where(condition: Any, x: Any = None, y: Any = None, /) -> Any:
    """`numpy.where(condition, x, y)`: elements of `x` where `condition` holds,
    else of `y`. Only `x` and `y` carry derivatives. The one-argument form
    (indices of true elements) works on concrete arrays only."""
    if x is None and y is None:
        if isinstance(condition, Tracer):
            condition.concrete_value(
                "`where(condition)` with one argument (its output shape depends on the values)"
            )
        return np.where(condition)
    if x is None or y is None:
        raise FuncgradValueError("`where` takes either one argument or three.")
    if is_eager(condition, x, y):
        return to_ndarray(np.where(condition, x, y))
    x, y = promote(x, y)
    return ew.select(_as_bool(condition), x, y)


def clip(a: Any, a_min: Any = None, a_max: Any = None) -> Any:
    """`numpy.clip`: `a` where it lies within the bounds (bounds included,
    so the derivative there is 1, and -0.0 and NaN pass through as in
    numpy), else the bound."""
    if is_eager(a, a_min, a_max):
        return to_ndarray(np.clip(a, a_min, a_max))
    out = as_operand(a)
    if a_min is not None:
        out, low = promote(out, a_min)
        out = ew.select(ew.lt(out, low), low, out)
    if a_max is not None:
        out, high = promote(out, a_max)
        out = ew.select(ew.gt(out, high), high, out)
    return out


# --- functions with derivatives chosen for stability --------------------------


@custom_jvp
def _logaddexp(x: Any, y: Any) -> Any:
    # max(x, y) + log1p(exp(-|x - y|)) never overflows; equal arguments
    # (including two infinities of one sign) give x + log(2) directly.
    gap = ew.abs(ew.sub(x, y))
    out = ew.add(ew.max(x, y), ew.log1p(ew.exp(ew.neg(gap))))
    equal = ew.eq(x, y)
    return ew.select(equal, ew.add(x, np.asarray(np.log(2), get_aval(x).dtype)), out)


@_logaddexp.defjvp
def _logaddexp_jvp(primals: Any, tangents: Any) -> Any:
    # d/dx = exp(x - out) = logistic(x - y): weights in [0, 1] that are never
    # NaN, not even at x = y = -inf (where x - y is NaN and each gets 1/2).
    # Only there is the weight a constant: at x = y finite it is
    # logistic(0), whose own derivative (1/4) the second derivative needs.
    (x, y), (x_dot, y_dot) = primals, tangents
    half = np.asarray(0.5, get_aval(x).dtype)
    gap = ew.sub(x, y)
    w = ew.select(ew.ne(gap, gap), half, ew.logistic(gap))
    one = np.asarray(1, get_aval(x).dtype)
    return _logaddexp(x, y), ew.add(ew.mul(x_dot, w), ew.mul(y_dot, ew.sub(one, w)))


def _broadcast_pair(x: Any, y: Any) -> tuple[Any, Any]:
    x, y = promote(x, y)
    dtype = inexact_dtype(get_aval(x).dtype)
    if dtype.kind == "c":
        raise FuncgradTypeError(
            "`logaddexp` is not defined for complex numbers (numpy refuses "
            "them too); use `log(exp(x) + exp(y))`."
        )
    x, y = cast(x, dtype), cast(y, dtype)
    shape = tuple(np.broadcast_shapes(get_aval(x).shape, get_aval(y).shape))
    return shape_ops.broadcast_to(x, shape), shape_ops.broadcast_to(y, shape)


def logaddexp(x: Any, y: Any, /) -> Any:
    """`numpy.logaddexp`: `log(exp(x) + exp(y))` without overflow; its
    derivative (the softmax weights of `x` and `y`) is finite everywhere."""
    if is_eager(x, y):
        return to_ndarray(np.logaddexp(x, y))
    return _logaddexp(*_broadcast_pair(x, y))


def logaddexp2(x: Any, y: Any, /) -> Any:
    """`numpy.logaddexp2`: `log2(2**x + 2**y)`, stable like `logaddexp`."""
    if is_eager(x, y):
        return to_ndarray(np.logaddexp2(x, y))
    x, y = _broadcast_pair(x, y)
    ln2 = np.asarray(np.log(2), get_aval(x).dtype)
    return ew.div(_logaddexp(ew.mul(x, ln2), ew.mul(y, ln2)), ln2)


# --- rounding -----------------------------------------------------------------


def _rounding(name: str, numpy_fn: Callable[..., Any], lax_fn: Callable[[Any], Any]):
    # Integers are already whole: numpy 2 returns them unchanged.
    def fn(x: Any, /) -> Any:
        if is_eager(x):
            return to_ndarray(numpy_fn(x))
        x = as_operand(x)
        if get_aval(x).dtype.kind in "biu":
            return x
        return lax_fn(x)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (
        f"Elementwise `numpy.{name}`, traceable; its derivative is 0 (a "
        f"symbolic zero, not an error)."
    )
    return fn


floor = _rounding("floor", np.floor, mp.floor)
ceil = _rounding("ceil", np.ceil, mp.ceil)
trunc = _rounding("trunc", np.trunc, mp.trunc)
fix = _rounding("fix", np.fix, mp.trunc)


def round(a: Any, decimals: int = 0) -> Any:
    """`numpy.round`: to `decimals` digits, halves to even (as `rint`).
    The derivative is 0."""
    if is_eager(a):
        return to_ndarray(np.round(a, decimals))
    if not isinstance(decimals, int | np.integer):
        raise FuncgradTypeError(
            f"`round`: `decimals` must be an int known while tracing, got "
            f"{type(decimals).__name__}."
        )
    x = as_operand(a)
    dtype = get_aval(x).dtype
    if dtype == np.bool_ and decimals == 0:
        return mp.rint(cast(x, np.float16))  # numpy's rint of booleans
    if dtype.kind == "c":  # each part, as numpy rounds complex numbers
        return cp.complex(round(cp.real(x), decimals), round(cp.imag(x), decimals))
    if dtype.kind in "biu":
        if decimals >= 0:
            return x
        rounded = round(cast(x, np.float64), decimals)
        return cast(rounded, dtype)
    if decimals == 0:
        return mp.rint(x)
    # numpy's own recipe: scale by a power of ten, rint, scale back.
    scale = np.asarray(10.0 ** builtins.abs(int(decimals)), dtype)
    if decimals > 0:
        return ew.div(mp.rint(ew.mul(x, scale)), scale)
    return ew.mul(mp.rint(ew.div(x, scale)), scale)


around = round


# --- remainders -----------------------------------------------------------------


def _division(name: str, numpy_fn: Callable[..., Any], lax_fn: Callable[[Any, Any], Any],
              doc: str) -> Callable[[Any, Any], Any]:  # fmt: skip
    def fn(x: Any, y: Any, /) -> Any:
        if is_eager(x, y):
            return to_ndarray(numpy_fn(x, y))
        x, y = promote(x, y)
        if get_aval(x).dtype == np.bool_:
            x, y = cast(x, np.int8), cast(y, np.int8)  # as numpy does
        if get_aval(x).dtype.kind == "c":
            raise FuncgradTypeError(
                f"`{name}` is not defined for complex numbers (numpy refuses them too)."
            )
        return lax_fn(x, y)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


remainder = mod = _division(
    "remainder", np.remainder, mp.remainder,
    "`numpy.remainder` (`x % y`, the sign of `y`). Between its jumps the "
    "derivative is 1 in `x` and `-floor(x / y)` in `y`.",
)  # fmt: skip
fmod = _division(
    "fmod", np.fmod, mp.fmod,
    "`numpy.fmod` (C's remainder, the sign of `x`). Between its jumps the "
    "derivative is 1 in `x` and `-trunc(x / y)` in `y`.",
)  # fmt: skip
floor_divide = _division(
    "floor_divide", np.floor_divide, mp.floor_divide,
    "`numpy.floor_divide` (`x // y`); its derivative is 0.",
)  # fmt: skip


def divmod(x: Any, y: Any, /) -> tuple[Any, Any]:
    """`numpy.divmod`: `(floor_divide(x, y), remainder(x, y))`."""
    if is_eager(x, y):
        q, r = np.divmod(x, y)
        return to_ndarray(q), to_ndarray(r)
    return floor_divide(x, y), remainder(x, y)


# --- signs and classes of floats ----------------------------------------------


def _real_inexact(name: str, *args: Any) -> list[Any]:
    out = promote(*args)
    dtype = inexact_dtype(get_aval(out[0]).dtype)
    if dtype.kind == "c":
        raise FuncgradTypeError(
            f"`{name}` is not defined for complex numbers (numpy refuses them "
            f"too); take `abs` or the real part first."
        )
    return [cast(v, dtype) for v in out]


def signbit(x: Any, /) -> Any:
    """`numpy.signbit`: True where the sign bit is set (-0.0 and -nan too)."""
    if is_eager(x):
        return to_ndarray(np.signbit(x))
    x = as_operand(x)
    dtype = get_aval(x).dtype
    if dtype.kind in "iu":
        return ew.lt(x, np.zeros((), dtype))
    if dtype == np.bool_:
        return ew.ne(x, x)
    (x,) = _real_inexact("signbit", x)
    return mp.signbit(x)


def copysign(x: Any, y: Any, /) -> Any:
    """`numpy.copysign`: `|x|` with the sign of `y` (-0.0 counts as
    negative). Its derivative in `x` is that of `|x|` (0 at 0) times the
    sign; in `y` it is 0."""
    if is_eager(x, y):
        return to_ndarray(np.copysign(x, y))
    x, y = _real_inexact("copysign", x, y)
    magnitude = ew.abs(x)
    return ew.select(mp.signbit(y), ew.neg(magnitude), magnitude)


def fabs(x: Any, /) -> Any:
    """`numpy.fabs`: `abs` for real numbers, computed in floating point."""
    if is_eager(x):
        return to_ndarray(np.fabs(x))
    (x,) = _real_inexact("fabs", x)
    return ew.abs(x)


def heaviside(x1: Any, x2: Any, /) -> Any:
    """`numpy.heaviside`: 0 for `x1 < 0`, `x2` where `x1 == 0`, 1 for
    `x1 > 0`. Its derivative in `x1` is 0; in `x2` it is 1 where `x1 == 0`."""
    if is_eager(x1, x2):
        return to_ndarray(np.heaviside(x1, x2))
    x1, x2 = _real_inexact("heaviside", x1, x2)
    dtype = get_aval(x1).dtype
    zero, one = np.zeros((), dtype), np.ones((), dtype)
    at_zero = ew.select(ew.eq(x1, zero), x2, np.asarray(np.nan, dtype))
    return ew.select(ew.lt(x1, zero), zero, ew.select(ew.gt(x1, zero), one, at_zero))


def _classify(name: str, numpy_fn: Callable[..., Any], float_fn: Callable[[Any], Any],
              for_exact: bool) -> Callable[[Any], Any]:  # fmt: skip
    def fn(x: Any, /) -> Any:
        if is_eager(x):
            return to_ndarray(numpy_fn(x))
        x = as_operand(x)
        if get_aval(x).dtype.kind in "biu":  # integers are finite
            return ew.eq(x, x) if for_exact else ew.ne(x, x)
        if get_aval(x).dtype.kind == "c" and name in ("isinf", "isfinite"):
            # finite where both parts are; infinite where either part is
            parts = [float_fn(cp.real(x)), float_fn(cp.imag(x))]
            return (ew.and_p if for_exact else ew.or_p).bind(*parts)
        (x,) = _real_inexact(name, x)
        return float_fn(x)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise `numpy.{name}` (a boolean array, traceable)."
    return fn


def _inf(x: Any) -> np.ndarray:
    return np.asarray(np.inf, get_aval(x).dtype)


def _isnan(x: Any) -> Any:
    return ew.ne(x, x)


def _isinf(x: Any) -> Any:
    return ew.eq(ew.abs(x), _inf(x))


def _isfinite(x: Any) -> Any:
    return ew.lt(ew.abs(x), _inf(x))


def _isposinf(x: Any) -> Any:
    return ew.eq(x, _inf(x))


def _isneginf(x: Any) -> Any:
    return ew.eq(x, -_inf(x))


def isnan(x: Any, /) -> Any:
    """Elementwise `numpy.isnan` (a boolean array, traceable)."""
    if is_eager(x):
        return to_ndarray(np.isnan(x))
    x = as_operand(x)
    return ew.ne(x, x)


isinf = _classify("isinf", np.isinf, _isinf, for_exact=False)
isfinite = _classify("isfinite", np.isfinite, _isfinite, for_exact=True)
isposinf = _classify("isposinf", np.isposinf, _isposinf, for_exact=False)
isneginf = _classify("isneginf", np.isneginf, _isneginf, for_exact=False)


def nan_to_num(
    x: Any, copy: bool = True, nan: Any = 0.0, posinf: Any = None, neginf: Any = None
) -> Any:
    """`numpy.nan_to_num`: NaN becomes `nan`, infinities `posinf` and
    `neginf` (by default the largest finite values). The derivative is 1
    where `x` is kept and 0 where it is replaced."""
    if is_eager(x):
        return to_ndarray(
            np.nan_to_num(x, copy=True, nan=nan, posinf=posinf, neginf=neginf)
        )
    x = as_operand(x)
    dtype = get_aval(x).dtype
    if dtype.kind in "biu":
        return x
    if dtype.kind == "c":  # each part, as numpy does
        parts = (cp.real(x), cp.imag(x))
        replaced = (nan_to_num(p, nan=nan, posinf=posinf, neginf=neginf) for p in parts)
        return cp.complex(*replaced)
    (x,) = _real_inexact("nan_to_num", x)
    info = np.finfo(dtype)
    high = np.asarray(info.max if posinf is None else posinf, dtype)
    low = np.asarray(info.min if neginf is None else neginf, dtype)
    out = ew.select(_isnan(x), np.asarray(nan, dtype), x)
    out = ew.select(_isposinf(x), high, out)
    return ew.select(_isneginf(x), low, out)


# --- powers, angles, sinc, fmax and fmin --------------------------------------


def float_power(x: Any, y: Any, /) -> Any:
    """`numpy.float_power`: `x ** y` computed in float64 (complex128 for
    complex operands)."""
    if is_eager(x, y):
        return to_ndarray(np.float_power(x, y))
    x, y = promote(x, y)
    dtype = np.promote_types(get_aval(x).dtype, np.float64)
    return ew.pow(cast(x, dtype), cast(y, dtype))


def _scaled(name: str, numpy_fn: Callable[..., Any], numerator: float,
            denominator: float) -> Callable[[Any], Any]:  # fmt: skip
    # numpy multiplies by the constant rounded in the operand's own dtype.
    def fn(x: Any, /) -> Any:
        if is_eager(x):
            return to_ndarray(numpy_fn(x))
        (x,) = _real_inexact(name, x)
        dtype = get_aval(x).dtype
        if dtype == np.float16:  # numpy computes half floats in float32
            return cast(fn(cast(x, np.float32)), dtype)
        factor = np.asarray(numerator, dtype) / np.asarray(denominator, dtype)
        return ew.mul(x, factor)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise `numpy.{name}`, traceable and differentiable."
    return fn


deg2rad = _scaled("deg2rad", np.deg2rad, np.pi, 180.0)
radians = _scaled("radians", np.radians, np.pi, 180.0)
rad2deg = _scaled("rad2deg", np.rad2deg, 180.0, np.pi)
degrees = _scaled("degrees", np.degrees, 180.0, np.pi)

# Below this |pi x| sinc is its Taylor polynomial, exact to rounding there
# (the next term is below 1e-21), so every derivative at 0 is right.
_SINC_SERIES_BELOW = 0.01


def sinc(x: Any, /) -> Any:
    """`numpy.sinc`: `sin(pi x) / (pi x)`, 1 at 0. Near 0 a Taylor
    polynomial is used, so derivatives of every order are exact there
    (the second derivative at 0 is `-pi**2 / 3`)."""
    if is_eager(x):
        return to_ndarray(np.sinc(x))
    x = as_operand(x)
    if get_aval(x).dtype.kind in "biu":
        x = cast(x, np.float64)  # numpy's sinc computes these in float64
    x = to_inexact(x)  # complex too: the series and the quotient are analytic
    dtype = get_aval(x).dtype
    y = ew.mul(x, np.asarray(np.pi, dtype))
    near_zero = ew.lt(ew.abs(y), np.asarray(_SINC_SERIES_BELOW, cp.real_dtype(dtype)))
    # each branch sees a harmless argument where it is not taken, so its
    # derivative there is finite (0 * inf would spoil the other branch's)
    y_far = ew.select(near_zero, np.ones((), dtype), y)
    y_near = ew.select(near_zero, y, np.zeros((), dtype))
    u = ew.mul(y_near, y_near)
    series = np.asarray(-1 / 5040, dtype)
    for c in (1 / 120, -1 / 6, 1.0):
        series = ew.add(ew.mul(series, u), np.asarray(c, dtype))
    return ew.select(near_zero, series, ew.div(ew.sin(y_far), y_far))


def fmax(x: Any, y: Any, /) -> Any:
    """`numpy.fmax`: the maximum, ignoring a NaN in either operand. At ties
    each operand gets half the derivative, as for `maximum`."""
    if is_eager(x, y):
        return to_ndarray(np.fmax(x, y))
    x, y = promote(x, y)
    # ew.max returns its second operand at ties, which numpy's fmax
    # returns first: hence max(y, x).
    out = ew.select(_isnan(x), y, ew.max(y, x))
    return ew.select(_isnan(y), x, out)


def fmin(x: Any, y: Any, /) -> Any:
    """`numpy.fmin`: the minimum, ignoring a NaN in either operand. At ties
    each operand gets half the derivative, as for `minimum`."""
    if is_eager(x, y):
        return to_ndarray(np.fmin(x, y))
    x, y = promote(x, y)
    out = ew.select(_isnan(x), y, ew.min(y, x))
    return ew.select(_isnan(y), x, out)
