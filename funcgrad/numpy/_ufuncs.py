"""numpy's elementwise functions (ufuncs), `where` and `clip`.

Each function takes numpy's path when nothing is traced, and otherwise
promotes its operands as numpy would and binds the matching primitive.
"""

from __future__ import annotations

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
    promote,
    to_inexact,
    to_ndarray,
)
from funcgrad.primitives import _elementwise as ew
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
multiply = _binary("multiply", np.multiply, ew.mul)


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
    `integer_pow`, whose derivative is right for negative bases too."""
    if is_eager(x, y):
        return to_ndarray(np.power(x, y))
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
    # NaN, not even at x = y = -inf (where each gets 1/2).
    (x, y), (x_dot, y_dot) = primals, tangents
    half = np.asarray(0.5, get_aval(x).dtype)
    w = ew.select(ew.eq(x, y), half, ew.logistic(ew.sub(x, y)))
    one = np.asarray(1, get_aval(x).dtype)
    return _logaddexp(x, y), ew.add(ew.mul(x_dot, w), ew.mul(y_dot, ew.sub(one, w)))


def _broadcast_pair(x: Any, y: Any) -> tuple[Any, Any]:
    x, y = promote(x, y)
    dtype = inexact_dtype(get_aval(x).dtype)
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
