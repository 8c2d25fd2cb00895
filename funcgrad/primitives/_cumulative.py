"""Cumulative reductions along one axis: cumsum, cumprod, cummax, cummin.

Each keeps the operand's shape; `reverse=True` accumulates from the end of
the axis. `cumsum` is linear, and its transpose is a `cumsum` running the
other way. The others are not linear: their jvp rules run a parallel prefix
scan (Hillis and Steele) over (value, tangent) pairs, built from `slice`,
`concatenate`, `mul` and `select`, so the derivative is itself a program
of primitives that can be differentiated again, batched and compiled.

In a whole compiled program each is a loop over rows (see the lowering at
the end); elsewhere numpy's implementation runs.

Derivative conventions:

- `cumprod` never divides: the tangent of the running product is formed
  from products of the other elements, so zeros in the input give the
  exact derivative (the one finite differences see).
- `cummax` and `cummin`: where several elements tie for the running
  maximum, the tangent is the mean of their tangents (as for the `max`
  reduction), so the cotangent is shared evenly and is never NaN.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcgrad.backend import array_lowerings, literal
from funcgrad.core import Primitive, ShapedArray, get_aval
from funcgrad.errors import FuncgradTypeError, ShapeError
from funcgrad.primitives import _elementwise as ew
from funcgrad.primitives import _shape as shape_ops
from funcgrad.primitives._util import const
from funcgrad.transforms import batch_rules, deflinear_jvp, jvp_rules, transpose_rules

_NUMPY = {
    "cumsum": np.cumsum,
    "cumprod": np.cumprod,
    "cummax": np.maximum.accumulate,
    "cummin": np.minimum.accumulate,
}


def _make(name: str) -> Primitive:
    """A cumulative primitive with its implementation, abstract evaluation
    and batching rule (the same for all four)."""
    primitive = Primitive(name)
    numpy_fn = _NUMPY[name]

    def impl(x: Any, *, axis: int, reverse: bool) -> Any:
        x = np.asarray(x)
        if reverse:
            x = np.flip(x, axis)
        kwargs = {"dtype": x.dtype} if name in ("cumsum", "cumprod") else {}
        out = np.asarray(numpy_fn(x, axis=axis, **kwargs))
        return np.flip(out, axis) if reverse else out

    def abstract_eval(x: ShapedArray, *, axis: int, reverse: bool) -> ShapedArray:
        if not 0 <= axis < x.ndim:
            raise ShapeError(
                f"`{name}`: axis {axis} is out of range for {x.str_short()}; "
                f"it needs an axis in [0, {x.ndim})."
            )
        if name in ("cumsum", "cumprod") and x.dtype == np.bool_:
            raise FuncgradTypeError(
                f"`{name}` of a boolean array ({x.str_short()}) has no "
                f"boolean result; convert to an integer dtype first "
                f"(`funcgrad.numpy.{name}` does this for you)."
            )
        if x.dtype.kind not in "biufc":
            raise FuncgradTypeError(f"`{name}` needs a numeric operand, got {x}.")
        return x

    def batch(
        size: int, vals: Any, dims: Any, *, axis: int, reverse: bool
    ) -> tuple[Any, int]:
        x = shape_ops.batch_to_front(vals[0], dims[0])
        return primitive.bind(x, axis=axis + 1, reverse=reverse), 0

    primitive.def_impl(impl)
    primitive.def_abstract_eval(abstract_eval)
    batch_rules[primitive] = batch
    return primitive


cumsum_p = _make("cumsum")
cumprod_p = _make("cumprod")
cummax_p = _make("cummax")
cummin_p = _make("cummin")


def cumsum(x: Any, axis: int = 0, reverse: bool = False) -> Any:
    """Running sums along `axis` (from the end with `reverse`)."""
    return cumsum_p.bind(x, axis=int(axis), reverse=bool(reverse))


def cumprod(x: Any, axis: int = 0, reverse: bool = False) -> Any:
    """Running products along `axis` (from the end with `reverse`)."""
    return cumprod_p.bind(x, axis=int(axis), reverse=bool(reverse))


def cummax(x: Any, axis: int = 0, reverse: bool = False) -> Any:
    """Running maxima along `axis` (from the end with `reverse`)."""
    return cummax_p.bind(x, axis=int(axis), reverse=bool(reverse))


def cummin(x: Any, axis: int = 0, reverse: bool = False) -> Any:
    """Running minima along `axis` (from the end with `reverse`)."""
    return cummin_p.bind(x, axis=int(axis), reverse=bool(reverse))


# --- cumsum: linear -----------------------------------------------------------


def cumsum_transpose(ct: Any, x: Any, *, axis: int, reverse: bool) -> list[Any]:
    # y_i = sum_{j <= i} x_j, so x_j's cotangent sums ct_i over i >= j.
    return [cumsum(ct, axis, not reverse)]


deflinear_jvp(cumsum_p)
transpose_rules[cumsum_p] = cumsum_transpose


# --- the prefix scan behind the other jvp rules -------------------------------

Combine = Callable[[list[Any], list[Any]], list[Any]]


def _axis_slice(x: Any, axis: int, start: int, stop: int) -> Any:
    shape = get_aval(x).shape
    starts = [0] * len(shape)
    limits = list(shape)
    starts[axis], limits[axis] = start, stop
    return shape_ops.slice(x, starts, limits)


def prefix_scan(
    combine: Combine, elems: Sequence[Any], axis: int, reverse: bool = False
) -> list[Any]:
    """Inclusive scan of tuples of arrays along `axis` with an associative
    `combine(earlier, later)`.

    After the step with offset `d`, element `i` holds the combination of
    elements `i - 2d + 1 .. i`; each step combines two disjoint, adjacent
    ranges, so `combine` never sees an element twice. log2(n) steps of
    `slice`, `concatenate` and `combine`.
    """
    elems = list(elems)
    if reverse:
        elems = [shape_ops.rev(e, (axis,)) for e in elems]
    n = get_aval(elems[0]).shape[axis]
    d = 1
    while d < n:
        earlier = [_axis_slice(e, axis, 0, n - d) for e in elems]
        later = [_axis_slice(e, axis, d, n) for e in elems]
        combined = combine(earlier, later)
        elems = [
            shape_ops.concatenate([_axis_slice(e, axis, 0, d), c], axis)
            for e, c in zip(elems, combined)
        ]
        d *= 2
    if reverse:
        elems = [shape_ops.rev(e, (axis,)) for e in elems]
    return elems


# --- cumprod ------------------------------------------------------------------


def _product_pairs(earlier: list[Any], later: list[Any]) -> list[Any]:
    (p, t), (q, s) = earlier, later
    return [ew.mul(p, q), ew.add(ew.mul(t, q), ew.mul(p, s))]


def cumprod_jvp(primals: Any, tangents: Any, *, axis: int, reverse: bool) -> Any:
    (x,), (x_dot,) = primals, tangents
    ans = cumprod(x, axis, reverse)
    _, out_dot = prefix_scan(_product_pairs, [x, x_dot], axis, reverse)
    return ans, out_dot


jvp_rules[cumprod_p] = cumprod_jvp


# --- cummax and cummin --------------------------------------------------------
# The scan carries (value, sum of the tied elements' tangents, their count).


def _chooser_pairs(wins: Callable[[Any, Any], Any]) -> Combine:
    def combine(earlier: list[Any], later: list[Any]) -> list[Any]:
        (a, ta, ca), (b, tb, cb) = earlier, later
        first, second, tie = wins(a, b), wins(b, a), ew.eq(a, b)
        value = ew.select(second, b, a)
        both_t, both_c = ew.add(ta, tb), ew.add(ca, cb)
        t = ew.select(first, ta, ew.select(tie, both_t, tb))
        c = ew.select(first, ca, ew.select(tie, both_c, cb))
        return [value, t, c]

    return combine


def _make_chooser_jvp(primitive: Primitive, wins: Callable[[Any, Any], Any]) -> None:
    combine = _chooser_pairs(wins)

    def chooser_jvp(primals: Any, tangents: Any, *, axis: int, reverse: bool) -> Any:
        (x,), (x_dot,) = primals, tangents
        ans = primitive.bind(x, axis=axis, reverse=reverse)
        ones = shape_ops.broadcast_to(const(1, x_dot), get_aval(x_dot).shape)
        _, total, count = prefix_scan(combine, [x, x_dot, ones], axis, reverse)
        return ans, ew.div(total, count)

    jvp_rules[primitive] = chooser_jvp


_make_chooser_jvp(cummax_p, ew.gt)
_make_chooser_jvp(cummin_p, ew.lt)


# --- lowering -----------------------------------------------------------------
# Inside a whole compiled program (funcgrad.backend._whole) each primitive is
# a loop over rows: the operand is transposed so the scanned axis is last,
# copied contiguous, scanned, and transposed back. Elsewhere the
# implementation (numpy) runs.

_COMBINE = {
    "cumsum": "{acc} + {v}",
    "cumprod": "{acc} * {v}",
    # NaN propagates as in numpy: a NaN accumulator stays NaN.
    "cummax": "({v} if ({v} > {acc} or {v} != {v}) else {acc})",
    "cummin": "({v} if ({v} < {acc} or {v} != {v}) else {acc})",
}


def _scan_statements(name: str) -> Callable[..., list[str] | None]:
    def statements(out: str, x: str, *, eqn: Any) -> list[str] | None:
        aval = eqn.invars[0].aval
        axis, reverse = eqn.params["axis"], eqn.params["reverse"]
        n = aval.shape[axis]
        if n == 0 or aval.ndim == 0:
            return None
        perm = tuple(d for d in range(aval.ndim) if d != axis) + (axis,)
        moved = tuple(aval.shape[d] for d in perm)
        rows = int(np.prod(moved[:-1], dtype=np.int64))
        inverse = tuple(int(i) for i in np.argsort(perm))
        f, r, i, k, j, v, acc = (f"{out}_{s}" for s in "frikjva")
        if name in ("cumsum", "cumprod"):
            init = literal(0 if name == "cumsum" else 1, aval.dtype)
        else:
            init = f"{f}[{i}, {n - 1 if reverse else 0}]"
        index = f"{n - 1} - {k}" if reverse else k
        combine = _COMBINE[name].format(acc=acc, v=v)
        return [
            f"{f} = np.ascontiguousarray(np.transpose({x}, {perm})).reshape(({rows}, {n}))",
            f"{r} = np.empty_like({f})",
            f"for {i} in range({rows}):",
            f"    {acc} = {init}",
            f"    for {k} in range({n}):",
            f"        {j} = {index}",
            f"        {v} = {f}[{i}, {j}]",
            f"        {acc} = {combine}",
            f"        {r}[{i}, {j}] = {acc}",
            f"{out} = np.transpose({r}.reshape({moved}), {inverse})",
        ]

    return statements


for _p in (cumsum_p, cumprod_p, cummax_p, cummin_p):
    array_lowerings[_p] = _scan_statements(_p.name)
