"""Reductions: reduce_sum, reduce_max, reduce_min, reduce_prod, argmax and
argmin, each over a sorted tuple of axes that it removes.

Derivative conventions: where several elements tie for the maximum (or
minimum), the tangent is the mean of their tangents, so the cotangent is
split evenly between them and the derivative is never NaN.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad.backend import array_lowerings, reduction_lowerings, summing_reductions
from funcgrad.core import Primitive, ShapedArray, get_aval
from funcgrad.errors import FuncgradTypeError, ShapeError
from funcgrad.primitives import _elementwise as ew
from funcgrad.primitives import _shape as shape_ops
from funcgrad.primitives._util import const
from funcgrad.transforms import (
    batch_rules,
    deflinear_jvp,
    jvp_rules,
    transpose_rules,
    zero_tangent_jvp,
)


def _reduced_aval(name: str, x: ShapedArray, axes: tuple) -> ShapedArray:
    if any(not 0 <= a < x.ndim for a in axes) or list(axes) != sorted(set(axes)):
        raise ShapeError(
            f"`{name}`: axes {axes} must be sorted, distinct and within the "
            f"{x.ndim} axes of {x.str_short()}."
        )
    return x.update(shape=tuple(s for i, s in enumerate(x.shape) if i not in axes))


def _broadcast_back(y: Any, x_shape: tuple, axes: tuple) -> Any:
    """Broadcast a reduced result back over the axes it lost."""
    kept = tuple(i for i in range(len(x_shape)) if i not in axes)
    return shape_ops.broadcast_in_dim(y, x_shape, kept)


# --- reduce_sum ---------------------------------------------------------------

reduce_sum_p = Primitive("reduce_sum")


def reduce_sum(x: Any, axes: tuple) -> Any:
    if not axes:
        return x
    return reduce_sum_p.bind(x, axes=tuple(axes))


@reduce_sum_p.def_impl
def reduce_sum_impl(x: Any, *, axes: tuple) -> Any:
    return np.asarray(np.sum(x, axis=axes, dtype=np.asarray(x).dtype))


@reduce_sum_p.def_abstract_eval
def reduce_sum_abstract_eval(x: ShapedArray, *, axes: tuple) -> ShapedArray:
    _refuse_bool("reduce_sum", x)
    return _reduced_aval("reduce_sum", x, axes)


def _refuse_bool(name: str, x: ShapedArray) -> None:
    if x.dtype == np.bool_:
        raise FuncgradTypeError(
            f"`{name}` of a boolean array ({x.str_short()}) has no boolean "
            f"result; convert to an integer dtype first (`funcgrad.numpy.sum` "
            f"does this for you)."
        )


def reduce_sum_transpose(ct: Any, x: Any, *, axes: tuple) -> list[Any]:
    return [_broadcast_back(ct, x.aval.shape, axes)]


deflinear_jvp(reduce_sum_p)
transpose_rules[reduce_sum_p] = reduce_sum_transpose

# --- reduce_max and reduce_min ------------------------------------------------

reduce_max_p = Primitive("reduce_max")
reduce_min_p = Primitive("reduce_min")


def reduce_max(x: Any, axes: tuple) -> Any:
    return reduce_max_p.bind(x, axes=tuple(axes)) if axes else x


def reduce_min(x: Any, axes: tuple) -> Any:
    return reduce_min_p.bind(x, axes=tuple(axes)) if axes else x


def _check_nonempty(name: str, x: ShapedArray, axes: tuple) -> None:
    if any(x.shape[a] == 0 for a in axes if 0 <= a < x.ndim):
        raise ShapeError(
            f"`{name}` of {x.str_short()} over axes {axes}: zero-size axes "
            f"have no maximum or minimum (numpy raises too); reduce a "
            f"non-empty array."
        )


@reduce_max_p.def_impl
def reduce_max_impl(x: Any, *, axes: tuple) -> Any:
    return np.asarray(np.max(x, axis=axes))


@reduce_min_p.def_impl
def reduce_min_impl(x: Any, *, axes: tuple) -> Any:
    return np.asarray(np.min(x, axis=axes))


@reduce_max_p.def_abstract_eval
def reduce_max_abstract_eval(x: ShapedArray, *, axes: tuple) -> ShapedArray:
    _check_nonempty("reduce_max", x, axes)
    return _reduced_aval("reduce_max", x, axes)


@reduce_min_p.def_abstract_eval
def reduce_min_abstract_eval(x: ShapedArray, *, axes: tuple) -> ShapedArray:
    _check_nonempty("reduce_min", x, axes)
    return _reduced_aval("reduce_min", x, axes)


def _make_chooser_jvp(primitive: Primitive) -> None:
    def chooser_jvp(primals: Any, tangents: Any, *, axes: tuple) -> Any:
        (x,), (x_dot,) = primals, tangents
        ans = primitive.bind(x, axes=axes)
        x_shape = get_aval(x).shape
        chosen = ew.eq(x, _broadcast_back(ans, x_shape, axes))
        weights = ew.convert_element_type(chosen, get_aval(x).dtype)
        counts = reduce_sum(weights, axes)
        return ans, ew.div(reduce_sum(ew.mul(x_dot, weights), axes), counts)

    jvp_rules[primitive] = chooser_jvp


_make_chooser_jvp(reduce_max_p)
_make_chooser_jvp(reduce_min_p)

# --- reduce_prod --------------------------------------------------------------

reduce_prod_p = Primitive("reduce_prod")


def reduce_prod(x: Any, axes: tuple) -> Any:
    return reduce_prod_p.bind(x, axes=tuple(axes)) if axes else x


@reduce_prod_p.def_impl
def reduce_prod_impl(x: Any, *, axes: tuple) -> Any:
    return np.asarray(np.prod(x, axis=axes, dtype=np.asarray(x).dtype))


@reduce_prod_p.def_abstract_eval
def reduce_prod_abstract_eval(x: ShapedArray, *, axes: tuple) -> ShapedArray:
    _refuse_bool("reduce_prod", x)
    return _reduced_aval("reduce_prod", x, axes)


def reduce_prod_jvp(primals: Any, tangents: Any, *, axes: tuple) -> Any:
    # d prod = sum_i x_dot_i * prod_{j != i} x_j. The product of the others
    # is the running product before i times the one after it (exclusive
    # cumprods from both ends), never prod / x_i, so zeros in x give exact
    # results, in O(n) work.
    from funcgrad.primitives._cumulative import cumprod

    (x,), (x_dot,) = primals, tangents
    ans = reduce_prod(x, axes)
    aval = get_aval(x)
    kept = tuple(i for i in range(aval.ndim) if i not in axes)
    n = int(np.prod([aval.shape[a] for a in axes], dtype=np.int64))
    batch = tuple(aval.shape[i] for i in kept)
    if n == 0:
        return ans, ew.mul(ans, const(0, ans))
    rows = shape_ops.reshape(shape_ops.transpose(x, kept + axes), batch + (n,))
    t_rows = shape_ops.reshape(shape_ops.transpose(x_dot, kept + axes), batch + (n,))
    nb = len(batch)
    one = shape_ops.broadcast_to(const(1, x), batch + (1,))
    start, stop = (0,) * (nb + 1), batch + (n,)
    head = shape_ops.slice(rows, start, batch + (n - 1,))
    tail = shape_ops.slice(rows, (0,) * nb + (1,), stop)
    before = shape_ops.concatenate([one, cumprod(head, nb)], nb)
    after = shape_ops.concatenate([cumprod(tail, nb, reverse=True), one], nb)
    others = ew.mul(before, after)
    return ans, reduce_sum(ew.mul(t_rows, others), (nb,))


jvp_rules[reduce_prod_p] = reduce_prod_jvp

# --- argmax and argmin --------------------------------------------------------

argmax_p = Primitive("argmax")
argmin_p = Primitive("argmin")


def argmax(x: Any, axis: int, index_dtype: Any = np.int64) -> Any:
    return argmax_p.bind(x, axis=axis, index_dtype=np.dtype(index_dtype))


def argmin(x: Any, axis: int, index_dtype: Any = np.int64) -> Any:
    return argmin_p.bind(x, axis=axis, index_dtype=np.dtype(index_dtype))


@argmax_p.def_impl
def argmax_impl(x: Any, *, axis: int, index_dtype: np.dtype) -> Any:
    return np.asarray(np.argmax(x, axis=axis), dtype=index_dtype)


@argmin_p.def_impl
def argmin_impl(x: Any, *, axis: int, index_dtype: np.dtype) -> Any:
    return np.asarray(np.argmin(x, axis=axis), dtype=index_dtype)


def _arg_abstract_eval(name: str) -> Any:
    def abstract_eval(
        x: ShapedArray, *, axis: int, index_dtype: np.dtype
    ) -> ShapedArray:
        _check_nonempty(name, x, (axis,))
        return _reduced_aval(name, x, (axis,)).update(dtype=index_dtype)

    return abstract_eval


argmax_p.def_abstract_eval(_arg_abstract_eval("argmax"))
argmin_p.def_abstract_eval(_arg_abstract_eval("argmin"))
zero_tangent_jvp(argmax_p)
zero_tangent_jvp(argmin_p)


# --- batching -----------------------------------------------------------------


def _axes_batch(primitive: Primitive) -> None:
    def rule(size: int, vals: Any, dims: Any, *, axes: tuple) -> tuple[Any, int]:
        x = shape_ops.batch_to_front(vals[0], dims[0])
        return primitive.bind(x, axes=tuple(a + 1 for a in axes)), 0

    batch_rules[primitive] = rule


def _axis_batch(primitive: Primitive) -> None:
    def rule(
        size: int, vals: Any, dims: Any, *, axis: int, index_dtype: np.dtype
    ) -> tuple[Any, int]:
        x = shape_ops.batch_to_front(vals[0], dims[0])
        return primitive.bind(x, axis=axis + 1, index_dtype=index_dtype), 0

    batch_rules[primitive] = rule


for _p in (reduce_sum_p, reduce_max_p, reduce_min_p, reduce_prod_p):
    _axes_batch(_p)
for _p in (argmax_p, argmin_p):
    _axis_batch(_p)


# --- lowering -----------------------------------------------------------------
# A reduction ending a fused chain accumulates in the kernel's loop: its
# identity fills the accumulator, and each element is folded in. max and min
# propagate NaN as numpy does (a NaN accumulator stays NaN).


def _sum_init(dtype: np.dtype) -> Any:
    return 0


def _max_init(dtype: np.dtype) -> Any:
    if dtype.kind == "f":
        return -np.inf
    return False if dtype == np.bool_ else np.iinfo(dtype).min


def _min_init(dtype: np.dtype) -> Any:
    if dtype.kind == "f":
        return np.inf
    return True if dtype == np.bool_ else np.iinfo(dtype).max


def _sum_combine(acc: str, x: str) -> str:
    return f"{acc} + {x}"


def _max_combine(acc: str, x: str) -> str:
    return f"({x} if ({x} > {acc} or {x} != {x}) else {acc})"


def _min_combine(acc: str, x: str) -> str:
    return f"({x} if ({x} < {acc} or {x} != {x}) else {acc})"


reduction_lowerings[reduce_sum_p] = (_sum_init, _sum_combine)
summing_reductions.add(reduce_sum_p)
reduction_lowerings[reduce_max_p] = (_max_init, _max_combine)
reduction_lowerings[reduce_min_p] = (_min_init, _min_combine)


def _reduce_sum_statements(out: str, x: str, *, eqn: Any) -> list[str] | None:
    axes, ndim = eqn.params["axes"], eqn.invars[0].aval.ndim
    dtype = eqn.outvars[0].aval.dtype
    # numba's np.sum adds in the array's dtype, one element at a time:
    # float32 is summed in float64 (as the fused reductions do)
    if dtype == np.float32:
        x = f"{x}.astype(np.float64)"
    cast = "np.float32" if dtype == np.float32 else ""
    if len(axes) == ndim:
        return [f"{out} = {cast}(np.sum({x}))"]
    if len(axes) == 1:
        total = f"np.sum({x}, axis={axes[0]})"
        return [f"{out} = {total}.astype(np.float32)" if cast else f"{out} = {total}"]
    return None


array_lowerings[reduce_sum_p] = _reduce_sum_statements
