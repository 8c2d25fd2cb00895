"""Elementwise primitives: arithmetic, transcendental functions,
comparisons, logic, select, convert_element_type and stop_gradient.

Binary and ternary primitives broadcast their operands as numpy does, but
require one dtype (the numpy front-end promotes first). A derivative rule
that sends a cotangent back to a broadcast operand sums it down with
`unbroadcast`.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

import numpy as np

from funcgrad.backend import (
    TRIG_EXACT_BELOW,
    elementwise_lowerings,
    exact_fallbacks,
    literal,
    scalar_type,
    transcendental,
)
from funcgrad.core import Primitive, ShapedArray, get_aval
from funcgrad.primitives import _shape as shape_ops
from funcgrad.primitives._util import (
    broadcast_shapes,
    const,
    require_dtype_kind,
    same_dtype,
)
from funcgrad.transforms import (
    Zero,
    add_any_p,
    add_tangents,
    batch_rules,
    defjvp,
    defjvp_using_output,
    deflinear_jvp,
    instantiate,
    is_undefined,
    jvp_rules,
    transpose_rules,
    zero_tangent_jvp,
)

_FLOATING = "fc"
_NUMERIC = "biufc"


def _unary(
    name: str, numpy_fn: Callable[..., Any], kinds: str = _FLOATING
) -> Primitive:
    primitive = Primitive(name)
    what = {"fc": "floating-point", "f": "real floating-point"}.get(kinds, "numeric")

    def impl(x: Any) -> Any:
        return np.asarray(numpy_fn(x))

    def abstract_eval(x: ShapedArray) -> ShapedArray:
        require_dtype_kind(name, x, kinds, what)
        return x

    primitive.def_impl(impl)
    primitive.def_abstract_eval(abstract_eval)
    return primitive


def _binary(
    name: str,
    numpy_fn: Callable[..., Any],
    kinds: str = _NUMERIC,
    out_dtype: Any = None,
) -> Primitive:
    primitive = Primitive(name)

    def impl(x: Any, y: Any) -> Any:
        return np.asarray(numpy_fn(x, y))

    def abstract_eval(x: ShapedArray, y: ShapedArray) -> ShapedArray:
        dtype = same_dtype(name, [x, y])
        what = {_NUMERIC: "numeric", "f": "real floating-point"}.get(kinds, "suitable")
        require_dtype_kind(name, x, kinds, what)
        shape = broadcast_shapes(name, x.shape, y.shape)
        return ShapedArray(shape, dtype if out_dtype is None else out_dtype)

    primitive.def_impl(impl)
    primitive.def_abstract_eval(abstract_eval)
    return primitive


def _out_shape(*xs: Any) -> tuple[int, ...]:
    return tuple(np.broadcast_shapes(*(get_aval(x).shape for x in xs)))


def _expand(t: Any, *xs: Any) -> Any:
    """A tangent of one operand, broadcast to the shape of the result."""
    return shape_ops.broadcast_to(t, _out_shape(*xs))


def _aval(x: Any) -> ShapedArray:
    return x.aval if is_undefined(x) else get_aval(x)


# --- arithmetic ---------------------------------------------------------------

add_p = _binary("add", np.add)
sub_p = _binary("sub", np.subtract, kinds="iufc")
mul_p = _binary("mul", np.multiply)
div_p = _binary("div", np.true_divide, kinds="fc")
max_p = _binary("max", np.maximum)
min_p = _binary("min", np.minimum)
pow_p = _binary("pow", np.power, kinds="iufc")
neg_p = _unary("neg", np.negative, kinds="iufc")


def add(x: Any, y: Any) -> Any:
    return add_p.bind(x, y)


def sub(x: Any, y: Any) -> Any:
    return sub_p.bind(x, y)


def mul(x: Any, y: Any) -> Any:
    return mul_p.bind(x, y)


def div(x: Any, y: Any) -> Any:
    return div_p.bind(x, y)


def neg(x: Any) -> Any:
    return neg_p.bind(x)


def max(x: Any, y: Any) -> Any:
    return max_p.bind(x, y)


def min(x: Any, y: Any) -> Any:
    return min_p.bind(x, y)


def pow(x: Any, y: Any) -> Any:
    return pow_p.bind(x, y)


def _first(t: Any, x: Any, y: Any) -> Any:
    return _expand(t, x, y)


def _second_negated(t: Any, x: Any, y: Any) -> Any:
    return neg(_expand(t, x, y))


defjvp(add_p, _first, _first)
defjvp(sub_p, _first, _second_negated)


def add_transpose(ct: Any, x: Any, y: Any) -> list[Any]:
    return [shape_ops.unbroadcast(ct, _aval(x)), shape_ops.unbroadcast(ct, _aval(y))]


def sub_transpose(ct: Any, x: Any, y: Any) -> list[Any]:
    return [
        shape_ops.unbroadcast(ct, _aval(x)),
        shape_ops.unbroadcast(neg(ct), _aval(y)),
    ]


transpose_rules[add_p] = add_transpose
transpose_rules[sub_p] = sub_transpose

deflinear_jvp(neg_p)


def neg_transpose(ct: Any, x: Any) -> list[Any]:
    return [neg(ct)]


transpose_rules[neg_p] = neg_transpose


def mul_jvp(primals: Any, tangents: Any) -> Any:
    # A zero tangent stays zero where the other factor is infinite
    # (x * log(x) at 0); `x * x` makes one product, not two equal ones.
    (x, y), (x_dot, y_dot) = primals, tangents
    ans = mul(x, y)
    if x is y and x_dot is y_dot and type(x_dot) is not Zero:
        return ans, mul_absorbing(x_dot, add(x, x))
    out: Any = Zero(get_aval(ans))
    if type(x_dot) is not Zero:
        out = add_tangents(out, mul_absorbing(x_dot, y))
    if type(y_dot) is not Zero:
        out = add_tangents(out, mul_absorbing(y_dot, x))
    return ans, out


jvp_rules[mul_p] = mul_jvp


def mul_transpose(ct: Any, x: Any, y: Any) -> list[Any]:
    assert not (is_undefined(x) and is_undefined(y)), "mul is linear in one operand"
    if is_undefined(x):
        return [shape_ops.unbroadcast(mul(ct, y), x.aval), None]
    return [None, shape_ops.unbroadcast(mul(x, ct), y.aval)]


transpose_rules[mul_p] = mul_transpose

# --- a quotient where an exact zero numerator wins ------------------------------
# Derivative rules divide a tangent by a value that may be zero (sqrt and
# log at 0). `div_absorbing(t, y)` is `t / y`, except that an exact zero `t`
# gives 0 even where `y` is 0, so the zero that `where` sends to the branch
# it did not select stays zero all the way down (docs/conventions.md); a
# nonzero `t` over 0 is still inf. It is linear in `t`, and warns about
# nothing (a derivative's internals are not the user's division).


def _absorbing(numpy_fn: Callable[..., Any]) -> Callable[..., Any]:
    """`numpy_fn(t, y)`, with 0 wherever `t == 0`, and no warnings."""

    def impl(t: Any, y: Any) -> Any:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = numpy_fn(t, y)
        return np.asarray(np.where(np.asarray(t) == 0, np.zeros_like(out), out))

    return impl


div_absorbing_p = _binary("div_absorbing", _absorbing(np.true_divide), kinds="fc")


def div_absorbing(t: Any, y: Any) -> Any:
    return div_absorbing_p.bind(t, y)


def _absorbing_numerator(t_dot: Any, t: Any, y: Any) -> Any:
    return div_absorbing(t_dot, y)


def _absorbing_denominator(y_dot: Any, t: Any, y: Any) -> Any:
    # d(t / y) = -t y_dot / y**2, still 0 where t is
    return div_absorbing(neg(mul(t, y_dot)), mul(y, y))


defjvp(div_absorbing_p, _absorbing_numerator, _absorbing_denominator)


def div_absorbing_transpose(ct: Any, t: Any, y: Any) -> list[Any]:
    assert not is_undefined(y), "div_absorbing is linear in its numerator only"
    return [shape_ops.unbroadcast(div_absorbing(ct, y), t.aval), None]


transpose_rules[div_absorbing_p] = div_absorbing_transpose


# The product counterpart: `mul_absorbing(t, d)` is `t * d`, except that an
# exact zero `t` gives 0 even where `d` is inf or NaN (an overflowed exp, a
# power's infinite slope). Linear in `t`.


mul_absorbing_p = _binary("mul_absorbing", _absorbing(np.multiply), kinds="fc")


def mul_absorbing(t: Any, d: Any) -> Any:
    return mul_absorbing_p.bind(t, d)


def _mul_absorbing_lhs(t_dot: Any, t: Any, d: Any) -> Any:
    return mul_absorbing(t_dot, d)


def _mul_absorbing_rhs(d_dot: Any, t: Any, d: Any) -> Any:
    return mul_absorbing(t, d_dot)


defjvp(mul_absorbing_p, _mul_absorbing_lhs, _mul_absorbing_rhs)


def mul_absorbing_transpose(ct: Any, t: Any, d: Any) -> list[Any]:
    assert not (is_undefined(t) and is_undefined(d)), "linear in one operand"
    if is_undefined(t):
        return [shape_ops.unbroadcast(mul_absorbing(ct, d), t.aval), None]
    return [None, shape_ops.unbroadcast(mul_absorbing(t, ct), d.aval)]


transpose_rules[mul_absorbing_p] = mul_absorbing_transpose


def div_jvp(primals: Any, tangents: Any) -> Any:
    (x, y), (x_dot, y_dot) = primals, tangents
    ans = div(x, y)
    out: Any = Zero(get_aval(ans))
    # zero tangents stay zero where y == 0 (docs/conventions.md)
    if type(x_dot) is not Zero:
        out = _expand(div_absorbing(x_dot, y), x, y)
    if type(y_dot) is not Zero:
        # -y_dot * ans / y, zero wherever y_dot (or, transposed, the
        # cotangent) is, even at y == 0
        term = mul_absorbing(y_dot, neg(div(ans, y)))
        out = term if type(out) is Zero else add(out, term)
    return ans, out


def div_transpose(ct: Any, x: Any, y: Any) -> list[Any]:
    assert is_undefined(x) and not is_undefined(y), "div is linear in its numerator"
    return [shape_ops.unbroadcast(div_absorbing(ct, y), x.aval), None]


jvp_rules[div_p] = div_jvp
transpose_rules[div_p] = div_transpose


def _choice_weights(x: Any, y: Any, wins: Callable[[Any, Any], Any]) -> Any:
    """1 where `x` wins, 1/2 at ties, 0 where `y` wins, in x's dtype."""
    dtype = get_aval(x).dtype
    winner = convert_element_type(wins(x, y), dtype)
    tie = convert_element_type(eq(x, y), dtype)
    return add(winner, mul(tie, np.asarray(0.5, dtype)))


def _make_chooser(primitive: Primitive, wins: Callable[[Any, Any], Any]) -> None:
    def lhs(t: Any, x: Any, y: Any) -> Any:
        return mul(t, _choice_weights(x, y, wins))

    def rhs(t: Any, x: Any, y: Any) -> Any:
        return mul(t, _choice_weights(y, x, wins))

    defjvp(primitive, lhs, rhs)


_make_chooser(max_p, lambda a, b: gt(a, b))
_make_chooser(min_p, lambda a, b: lt(a, b))


def _pow_lhs(t: Any, x: Any, y: Any) -> Any:
    # y * x ** (y - 1), taken as 0 at x == y == 0 (where it is 0 * inf).
    # There the base is replaced by 1, not the slope by 0: the slope is then
    # y * 1 = 0 with finite derivatives, so higher derivatives of `x ** 0.0`
    # at 0 are 0 rather than 0 * inf. Only that point is touched, so the
    # slope's own derivative in y (1 / x at y == 0) survives elsewhere.
    one, zero = const(1, x), const(0, x)
    both_zero = and_p.bind(eq(x, zero), eq(y, zero))
    safe_x = select(both_zero, one, x)
    # infinite at x == 0 for y < 1, where a zero tangent stays zero
    return mul_absorbing(t, mul(y, pow(safe_x, sub(y, one))))


def _pow_rhs(t: Any, x: Any, y: Any) -> Any:
    # log(x) * x ** y, with log taken as 0 at x == 0 (where x ** y is 0 or 1).
    one, zero = const(1, x), const(0, x)
    safe_x = select(eq(x, zero), one, x)
    return mul_absorbing(t, mul(log(safe_x), pow(x, y)))


defjvp(pow_p, _pow_lhs, _pow_rhs)

# --- integer_pow --------------------------------------------------------------

integer_pow_p = Primitive("integer_pow")


def integer_pow(x: Any, y: int) -> Any:
    if y == 1:
        return x
    return integer_pow_p.bind(x, y=int(y))


@integer_pow_p.def_impl
def integer_pow_impl(x: Any, *, y: int) -> Any:
    x = np.asarray(x)
    if y < 0 and x.dtype.kind in "iub":
        return np.asarray(np.power(x.astype(np.float64), y)).astype(x.dtype)
    if y == 2:
        return np.asarray(x * x)
    return np.asarray(
        np.power(x, np.asarray(y, dtype=x.dtype)) if y >= 0 else 1 / x ** (-y)
    )


@integer_pow_p.def_abstract_eval
def integer_pow_abstract_eval(x: ShapedArray, *, y: int) -> ShapedArray:
    require_dtype_kind("integer_pow", x, _NUMERIC, "numeric")
    return x


def _integer_pow_tangent(t: Any, x: Any, *, y: int) -> Any:
    if y == 0:
        return Zero(get_aval(x))
    if y == 1:
        return t
    coefficient = mul(const(y, x), integer_pow(x, y - 1))
    return mul_absorbing(t, coefficient)


defjvp(integer_pow_p, _integer_pow_tangent)

# --- transcendental functions -------------------------------------------------

exp_p = _unary("exp", np.exp)
log_p = _unary("log", np.log)
log1p_p = _unary("log1p", np.log1p)
expm1_p = _unary("expm1", np.expm1)
sin_p = _unary("sin", np.sin)
cos_p = _unary("cos", np.cos)
tan_p = _unary("tan", np.tan)
tanh_p = _unary("tanh", np.tanh)
sqrt_p = _unary("sqrt", np.sqrt)


def _logistic(x: Any) -> Any:
    # Split by sign so neither branch overflows: 1/(1+e^-x) and e^x/(1+e^x).
    x = np.asarray(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


logistic_p = _unary("logistic", _logistic, kinds="f")


def exp(x: Any) -> Any:
    return exp_p.bind(x)


def log(x: Any) -> Any:
    return log_p.bind(x)


def log1p(x: Any) -> Any:
    return log1p_p.bind(x)


def expm1(x: Any) -> Any:
    return expm1_p.bind(x)


def sin(x: Any) -> Any:
    return sin_p.bind(x)


def cos(x: Any) -> Any:
    return cos_p.bind(x)


def tan(x: Any) -> Any:
    return tan_p.bind(x)


def tanh(x: Any) -> Any:
    return tanh_p.bind(x)


def logistic(x: Any) -> Any:
    return logistic_p.bind(x)


def sqrt(x: Any) -> Any:
    return sqrt_p.bind(x)


def _exp_tangent(t: Any, ans: Any, x: Any) -> Any:
    return mul_absorbing(t, ans)  # ans may have overflowed to inf


def _expm1_tangent(t: Any, ans: Any, x: Any) -> Any:
    return mul_absorbing(t, add(ans, const(1, ans)))


def _tan_tangent(t: Any, ans: Any, x: Any) -> Any:
    return mul_absorbing(t, add(const(1, ans), mul(ans, ans)))


def _tanh_tangent(t: Any, ans: Any, x: Any) -> Any:
    return mul(t, sub(const(1, ans), mul(ans, ans)))


def _logistic_tangent(t: Any, ans: Any, x: Any) -> Any:
    return mul(t, mul(ans, sub(const(1, ans), ans)))


def _sqrt_tangent(t: Any, ans: Any, x: Any) -> Any:
    # infinite at 0, where a zero tangent stays zero
    return div_absorbing(t, mul(const(2, ans), ans))


defjvp_using_output(exp_p, _exp_tangent)
defjvp_using_output(expm1_p, _expm1_tangent)
defjvp_using_output(tan_p, _tan_tangent)
defjvp_using_output(tanh_p, _tanh_tangent)
defjvp_using_output(logistic_p, _logistic_tangent)
defjvp_using_output(sqrt_p, _sqrt_tangent)


def _log_tangent(t: Any, x: Any) -> Any:
    return div_absorbing(t, x)  # infinite at 0


def _log1p_tangent(t: Any, x: Any) -> Any:
    return div_absorbing(t, add(x, const(1, x)))  # infinite at -1


def _sin_tangent(t: Any, x: Any) -> Any:
    return mul(t, cos(x))


def _cos_tangent(t: Any, x: Any) -> Any:
    return mul(t, neg(sin(x)))


defjvp(log_p, _log_tangent)
defjvp(log1p_p, _log1p_tangent)
defjvp(sin_p, _sin_tangent)
defjvp(cos_p, _cos_tangent)

# --- abs and sign -------------------------------------------------------------

abs_p = _unary("abs", np.abs, kinds=_NUMERIC)
sign_p = _unary("sign", np.sign, kinds="iufc")


def abs(x: Any) -> Any:
    return abs_p.bind(x)


def sign(x: Any) -> Any:
    return sign_p.bind(x)


@abs_p.def_abstract_eval
def abs_abstract_eval(x: ShapedArray) -> ShapedArray:
    require_dtype_kind("abs", x, _NUMERIC, "numeric")
    if x.dtype.kind == "c":  # |z| is real, of the parts' precision
        return x.update(dtype=np.empty((), x.dtype).real.dtype)
    return x


def _abs_tangent(t: Any, x: Any) -> Any:
    if get_aval(x).dtype.kind == "c":
        from funcgrad.primitives import _complex

        return _complex.abs_tangent(t, x)
    # sign(0) = 0: the subgradient at the kink is 0, never NaN.
    return mul(t, sign(x))


def sign_jvp(primals: Any, tangents: Any) -> Any:
    # piecewise constant for real operands; z / |z| for complex ones
    (x,), (x_dot,) = primals, tangents
    out = sign(x)
    if get_aval(x).dtype.kind != "c" or type(x_dot) is Zero:
        return out, Zero(get_aval(out))
    from funcgrad.primitives import _complex

    return out, _complex.sign_tangent(x_dot, x)


defjvp(abs_p, _abs_tangent)
jvp_rules[sign_p] = sign_jvp

# --- comparisons and logic ----------------------------------------------------

eq_p = _binary("eq", np.equal, out_dtype=np.bool_)
ne_p = _binary("ne", np.not_equal, out_dtype=np.bool_)
lt_p = _binary("lt", np.less, out_dtype=np.bool_)
le_p = _binary("le", np.less_equal, out_dtype=np.bool_)
gt_p = _binary("gt", np.greater, out_dtype=np.bool_)
ge_p = _binary("ge", np.greater_equal, out_dtype=np.bool_)
and_p = _binary("and", np.bitwise_and, kinds="biu")
or_p = _binary("or", np.bitwise_or, kinds="biu")
xor_p = _binary("xor", np.bitwise_xor, kinds="biu")
not_p = _unary("not", np.invert, kinds="biu")

for _p in (eq_p, ne_p, lt_p, le_p, gt_p, ge_p, and_p, or_p, xor_p, not_p):
    zero_tangent_jvp(_p)


def bitwise_and(x: Any, y: Any) -> Any:
    return and_p.bind(x, y)


def bitwise_or(x: Any, y: Any) -> Any:
    return or_p.bind(x, y)


def bitwise_xor(x: Any, y: Any) -> Any:
    return xor_p.bind(x, y)


def bitwise_not(x: Any) -> Any:
    return not_p.bind(x)


def eq(x: Any, y: Any) -> Any:
    return eq_p.bind(x, y)


def ne(x: Any, y: Any) -> Any:
    return ne_p.bind(x, y)


def lt(x: Any, y: Any) -> Any:
    return lt_p.bind(x, y)


def le(x: Any, y: Any) -> Any:
    return le_p.bind(x, y)


def gt(x: Any, y: Any) -> Any:
    return gt_p.bind(x, y)


def ge(x: Any, y: Any) -> Any:
    return ge_p.bind(x, y)


# --- select -------------------------------------------------------------------

select_p = Primitive("select")


def select(pred: Any, on_true: Any, on_false: Any) -> Any:
    return select_p.bind(pred, on_true, on_false)


@select_p.def_impl
def select_impl(pred: Any, on_true: Any, on_false: Any) -> Any:
    return np.asarray(np.where(pred, on_true, on_false))


@select_p.def_abstract_eval
def select_abstract_eval(
    pred: ShapedArray, on_true: ShapedArray, on_false: ShapedArray
) -> ShapedArray:
    require_dtype_kind("select", pred, "b", "a boolean predicate as first")
    dtype = same_dtype("select", [on_true, on_false])
    shape = broadcast_shapes("select", pred.shape, on_true.shape, on_false.shape)
    return ShapedArray(shape, dtype)


def select_jvp(primals: Any, tangents: Any) -> Any:
    pred, on_true, on_false = primals
    _, t_true, t_false = tangents
    out = select(pred, on_true, on_false)
    if type(t_true) is Zero and type(t_false) is Zero:
        return out, Zero(get_aval(out))
    t_out = select(pred, instantiate(t_true), instantiate(t_false))
    return out, _expand(t_out, pred, on_true, on_false)


def select_transpose(ct: Any, pred: Any, on_true: Any, on_false: Any) -> list[Any]:
    assert not is_undefined(pred), "select is not linear in its predicate"
    zero = const(0, ct)
    ct_true = ct_false = None
    if is_undefined(on_true):
        ct_true = shape_ops.unbroadcast(select(pred, ct, zero), on_true.aval)
    if is_undefined(on_false):
        ct_false = shape_ops.unbroadcast(select(pred, zero, ct), on_false.aval)
    return [None, ct_true, ct_false]


jvp_rules[select_p] = select_jvp
transpose_rules[select_p] = select_transpose

# --- convert_element_type and stop_gradient -----------------------------------

convert_element_type_p = Primitive("convert_element_type")


def convert_element_type(x: Any, new_dtype: Any) -> Any:
    new_dtype = np.dtype(new_dtype)
    if get_aval(x).dtype == new_dtype:
        return x
    return convert_element_type_p.bind(x, new_dtype=new_dtype)


@convert_element_type_p.def_impl
def convert_element_type_impl(x: Any, *, new_dtype: np.dtype) -> Any:
    x = np.asarray(x)
    if x.dtype.kind == "c" and new_dtype.kind != "c":
        # complex to real keeps the real part (numpy's astype, unwarned);
        # it is also the transpose of converting a real value to complex
        x = x.real
    return x.astype(new_dtype)


@convert_element_type_p.def_abstract_eval
def convert_element_type_abstract_eval(
    x: ShapedArray, *, new_dtype: np.dtype
) -> ShapedArray:
    require_dtype_kind("convert_element_type", x, _NUMERIC, "numeric")
    return x.update(dtype=new_dtype)


def convert_element_type_jvp(
    primals: Any, tangents: Any, *, new_dtype: np.dtype
) -> Any:
    (x,), (x_dot,) = primals, tangents
    out = convert_element_type(x, new_dtype)
    differentiable = get_aval(x).dtype.kind in "fc" and new_dtype.kind in "fc"
    if type(x_dot) is Zero or not differentiable:
        return out, Zero(get_aval(out))
    return out, convert_element_type(x_dot, new_dtype)


def convert_element_type_transpose(
    ct: Any, x: Any, *, new_dtype: np.dtype
) -> list[Any]:
    return [convert_element_type(ct, x.aval.dtype)]


jvp_rules[convert_element_type_p] = convert_element_type_jvp
transpose_rules[convert_element_type_p] = convert_element_type_transpose

stop_gradient_p = Primitive("stop_gradient")


def stop_gradient(x: Any) -> Any:
    return stop_gradient_p.bind(x)


@stop_gradient_p.def_impl
def stop_gradient_impl(x: Any) -> Any:
    return x


@stop_gradient_p.def_abstract_eval
def stop_gradient_abstract_eval(x: ShapedArray) -> ShapedArray:
    return x


zero_tangent_jvp(stop_gradient_p)


# --- batching -----------------------------------------------------------------


def _unary_batch(primitive: Primitive) -> None:
    def rule(size: int, vals: Any, dims: Any, **params: Any) -> tuple[Any, Any]:
        return primitive.bind(vals[0], **params), dims[0]

    batch_rules[primitive] = rule


def _broadcasting_batch(primitive: Primitive) -> None:
    """Operands broadcast as numpy does, so a batched operand is given its
    batch axis in front and enough length-1 axes to line up with the others."""

    def rule(size: int, vals: Any, dims: Any, **params: Any) -> tuple[Any, Any]:
        ranks = [get_aval(v).ndim - (d is not None) for v, d in zip(vals, dims)]
        out_rank = builtins.max(ranks)
        args = []
        for v, d, rank in zip(vals, dims, ranks):
            if d is not None:
                v = shape_ops.batch_to_front(v, d)
                shape = get_aval(v).shape
                lead = (1,) * (out_rank - rank)
                v = shape_ops.reshape(v, shape[:1] + lead + shape[1:])
            args.append(v)
        return primitive.bind(*args, **params), 0

    batch_rules[primitive] = rule


_UNARY_PRIMITIVES = (
    neg_p, integer_pow_p, exp_p, log_p, log1p_p, expm1_p, sin_p, cos_p, tan_p,
    tanh_p, sqrt_p, logistic_p, abs_p, sign_p, not_p, convert_element_type_p,
    stop_gradient_p,
)  # fmt: skip
_BROADCASTING_PRIMITIVES = (
    add_p, sub_p, mul_p, div_p, max_p, min_p, pow_p, eq_p, ne_p, lt_p, le_p,
    gt_p, ge_p, and_p, or_p, xor_p, select_p,
)  # fmt: skip

for _p in _UNARY_PRIMITIVES:
    _unary_batch(_p)
for _p in _BROADCASTING_PRIMITIVES:
    _broadcasting_batch(_p)


def add_any_batch(size: int, vals: Any, dims: Any) -> tuple[Any, int]:
    x, y = (shape_ops.batch_materialize(v, d, size) for v, d in zip(vals, dims))
    return add_any_p.bind(x, y), 0


batch_rules[add_any_p] = add_any_batch


# --- lowering -----------------------------------------------------------------
# Each rule writes the scalar expression numba compiles inside a fused loop.
# numpy's own scalar functions are used where numba provides them, so NaN,
# infinities and signed zeros behave as in the implementation.


def _infix(symbol: str) -> Any:
    # numpy adds booleans as `or` and multiplies them as `and`; numba's
    # `True + True` would be the integer 2
    boolean = {"+": "|", "*": "&"}.get(symbol, symbol)

    def lowering(a: str, b: str, *, out_dtype: Any = None, **_: Any) -> str:
        if out_dtype is not None and np.dtype(out_dtype) == np.bool_:
            return f"({a} {boolean} {b})"
        return f"({a} {symbol} {b})"

    return lowering


def _call(function: str) -> Any:
    def lowering(*operands: str, **_: Any) -> str:
        return f"{function}({', '.join(operands)})"

    return lowering


def _neg_lowering(a: str, **_: Any) -> str:
    return f"(-{a})"


def _cast(expr: str, dtype: Any) -> str:
    return f"{scalar_type(dtype)}({expr})"


def _div_lowering(a: str, b: str, *, out_dtype: Any, **_: Any) -> str:
    return _cast(f"{a} / {b}", out_dtype)


def _integer_pow_lowering(a: str, *, y: int, out_dtype: Any, **_: Any) -> str:
    if y == 0:
        return literal(1, out_dtype)
    if y == 2:
        return f"({a} * {a})"
    return _cast(f"np.power({a}, {literal(y, out_dtype)})", out_dtype)


def _pow_lowering(a: str, b: str, **_: Any) -> str:
    # numpy computes a power with the scalar exponent 0.5 as a square root
    # (sqrt(-0.0) is -0.0, sqrt(-inf) NaN); C's pow would give 0.0 and inf.
    if b in (literal(0.5, np.float64), literal(0.5, np.float32)):
        return f"np.sqrt({a})"
    return f"np.power({a}, {b})"


def _vecmath(function: str, float32: str | None = None) -> Any:
    # The vectorizable versions in backend/_vecmath.py: `function` computes
    # in float64, `float32` (where there is one) in float32.
    def lowering(a: str, *, out_dtype: Any, **_: Any) -> str:
        if float32 is not None and np.dtype(out_dtype) == np.float32:
            return f"{float32}({a})"
        return _cast(f"{function}(np.float64({a}))", out_dtype)

    return lowering


def _trig_guard(a: str) -> str:
    # where the vectorizable sin and cos may be inaccurate (their argument
    # reduction); inf and NaN come out NaN either way
    return f"(abs({a}) > {TRIG_EXACT_BELOW!r})"


def _sign_lowering(a: str, *, out_dtype: Any, **_: Any) -> str:
    # numpy: sign(-0.0) is +0.0 and sign(nan) is nan.
    one, zero = literal(1, out_dtype), literal(0, out_dtype)
    nan_or_zero = f"({a} if {a} != {a} else {zero})"
    return f"({one} if {a} > {zero} else (-{one} if {a} < {zero} else {nan_or_zero}))"


def _max_lowering(a: str, b: str, **_: Any) -> str:
    # As numpy's maximum: a NaN in either operand propagates, and of two
    # equal values (0.0 and -0.0) the second is returned.
    return f"({a} if ({a} > {b} or {a} != {a}) else {b})"


def _min_lowering(a: str, b: str, **_: Any) -> str:
    return f"({a} if ({a} < {b} or {a} != {a}) else {b})"


def _select_lowering(p: str, a: str, b: str, **_: Any) -> str:
    return f"({a} if {p} else {b})"


def _not_lowering(a: str, *, out_dtype: Any, **_: Any) -> str:
    return f"(not {a})" if np.dtype(out_dtype) == np.bool_ else f"(~{a})"


def _convert_lowering(a: str, *, new_dtype: Any, in_dtypes: Any, **_: Any) -> str:
    if np.dtype(new_dtype) == np.bool_:
        return f"({a} != 0)"
    return _cast(a, new_dtype)


def _identity_lowering(a: str, **_: Any) -> str:
    return a


_LOWERINGS = {
    add_p: _infix("+"),
    sub_p: _infix("-"),
    mul_p: _infix("*"),
    div_p: _div_lowering,
    neg_p: _neg_lowering,
    max_p: _max_lowering,
    min_p: _min_lowering,
    pow_p: _pow_lowering,
    integer_pow_p: _integer_pow_lowering,
    exp_p: _vecmath("vm_exp", "vm_exp32"),
    log_p: _call("np.log"),
    log1p_p: _call("np.log1p"),
    expm1_p: _vecmath("vm_expm1", "vm_expm1_32"),
    sin_p: _vecmath("vm_sin"),
    cos_p: _vecmath("vm_cos"),
    tan_p: _call("np.tan"),
    tanh_p: _vecmath("vm_tanh", "vm_tanh32"),
    sqrt_p: _call("np.sqrt"),
    logistic_p: _vecmath("vm_logistic", "vm_logistic32"),
    abs_p: _call("np.abs"),
    sign_p: _sign_lowering,
    eq_p: _infix("=="),
    ne_p: _infix("!="),
    lt_p: _infix("<"),
    le_p: _infix("<="),
    gt_p: _infix(">"),
    ge_p: _infix(">="),
    and_p: _infix("&"),
    or_p: _infix("|"),
    xor_p: _infix("^"),
    not_p: _not_lowering,
    select_p: _select_lowering,
    convert_element_type_p: _convert_lowering,
    stop_gradient_p: _identity_lowering,
    add_any_p: _infix("+"),
}
elementwise_lowerings.update(_LOWERINGS)
exact_fallbacks.update(
    {sin_p: (_trig_guard, _call("np.sin")), cos_p: (_trig_guard, _call("np.cos"))}
)
transcendental.update({log_p, log1p_p, tan_p, pow_p})


# div_absorbing's and mul_absorbing's batching and lowering (registered
# here, after the tables)
_broadcasting_batch(div_absorbing_p)
_broadcasting_batch(mul_absorbing_p)


def _absorbing_lowering(symbol: str) -> Any:
    def lowering(t: str, y: str, *, out_dtype: Any, **_: Any) -> str:
        zero = literal(0, out_dtype)
        return _cast(f"({t} {symbol} {y}) if {t} != 0 else {zero}", out_dtype)

    return lowering


elementwise_lowerings[div_absorbing_p] = _absorbing_lowering("/")
elementwise_lowerings[mul_absorbing_p] = _absorbing_lowering("*")
