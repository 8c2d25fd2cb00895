"""`dot_general`: contraction of two arrays over chosen axes, with batch axes.

`dimension_numbers = ((lhs_contract, rhs_contract), (lhs_batch, rhs_batch))`.
The result's axes are the batch axes, then the remaining lhs axes, then the
remaining rhs axes, each group in its operand's order. Matrix products go
to BLAS through `numpy.matmul`. The primitive is bilinear: its jvp applies it
to each tangent with the other primal, and its transpose is another
`dot_general` followed by a `transpose`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad.backend import array_lowerings, threaded_primitives
from funcgrad.core import Primitive, ShapedArray, get_aval
from funcgrad.errors import ShapeError
from funcgrad.primitives import _shape as shape_ops
from funcgrad.primitives._util import same_dtype
from funcgrad.transforms import batch_rules, defjvp, is_undefined, transpose_rules

DimensionNumbers = tuple[
    tuple[tuple[int, ...], tuple[int, ...]], tuple[tuple[int, ...], tuple[int, ...]]
]

dot_general_p = Primitive("dot_general")


def dot_general(x: Any, y: Any, dimension_numbers: Any) -> Any:
    (lc, rc), (lb, rb) = dimension_numbers
    dims = ((tuple(lc), tuple(rc)), (tuple(lb), tuple(rb)))
    return dot_general_p.bind(x, y, dimension_numbers=dims)


def _free(ndim: int, contract: tuple, batch: tuple) -> list[int]:
    return [d for d in range(ndim) if d not in contract and d not in batch]


@dot_general_p.def_impl
def dot_general_impl(x: Any, y: Any, *, dimension_numbers: DimensionNumbers) -> Any:
    (lc, rc), (lb, rb) = dimension_numbers
    x, y = np.asarray(x), np.asarray(y)
    if not lb and x.ndim <= 2 and y.ndim <= 2 and len(lc) == 1:
        # a matrix product of (transposed) views: BLAS reads the transposed
        # layout directly, faster than the batched path below
        xm = x if lc == (x.ndim - 1,) else x.T
        ym = y if rc == (0,) else y.T
        return np.asarray(np.matmul(xm, ym))
    lf, rf = _free(x.ndim, lc, lb), _free(y.ndim, rc, rb)
    batch = [x.shape[d] for d in lb]
    lf_shape, rf_shape = [x.shape[d] for d in lf], [y.shape[d] for d in rf]
    size = int(np.prod([x.shape[d] for d in lc], dtype=np.int64))
    nb = int(np.prod(batch, dtype=np.int64))
    xt = np.transpose(x, list(lb) + lf + list(lc)).reshape(
        nb, int(np.prod(lf_shape, dtype=np.int64)), size
    )
    yt = np.transpose(y, list(rb) + list(rc) + rf).reshape(
        nb, size, int(np.prod(rf_shape, dtype=np.int64))
    )
    return np.matmul(xt, yt).reshape(batch + lf_shape + rf_shape)


@dot_general_p.def_abstract_eval
def dot_general_abstract_eval(
    x: ShapedArray, y: ShapedArray, *, dimension_numbers: DimensionNumbers
) -> ShapedArray:
    (lc, rc), (lb, rb) = dimension_numbers
    dtype = same_dtype("dot_general", [x, y])
    axes_ok = (
        len(lc) == len(rc)
        and len(lb) == len(rb)
        and all(0 <= d < x.ndim for d in lc + lb)
        and all(0 <= d < y.ndim for d in rc + rb)
        and len(set(lc + lb)) == len(lc + lb)
        and len(set(rc + rb)) == len(rc + rb)
    )
    sizes_ok = axes_ok and all(
        x.shape[a] == y.shape[b] for a, b in zip(lc + lb, rc + rb)
    )
    if not sizes_ok:
        raise ShapeError(
            f"`dot_general` cannot contract {x.str_short()} with "
            f"{y.str_short()} using contracting axes {lc} and {rc} and batch "
            f"axes {lb} and {rb}: the paired axes must exist and have equal "
            f"sizes."
        )
    shape = (
        tuple(x.shape[d] for d in lb)
        + tuple(x.shape[d] for d in _free(x.ndim, lc, lb))
        + tuple(y.shape[d] for d in _free(y.ndim, rc, rb))
    )
    return ShapedArray(shape, dtype)


def _dot_lhs_tangent(t: Any, x: Any, y: Any, *, dimension_numbers: Any) -> Any:
    return dot_general(t, y, dimension_numbers)


def _dot_rhs_tangent(t: Any, x: Any, y: Any, *, dimension_numbers: Any) -> Any:
    return dot_general(x, t, dimension_numbers)


defjvp(dot_general_p, _dot_lhs_tangent, _dot_rhs_tangent)


def _transpose_operand(
    ct: Any, other: Any, x_ndim: int, x_dims: tuple, other_dims: tuple, x_is_lhs: bool
) -> Any:
    """Cotangent of one operand `x` of `dot_general(x, other)` (or of
    `dot_general(other, x)` when `x_is_lhs` is false).

    `x_dims = (x_contract, x_batch)` and likewise `other_dims`. The result is
    `dot_general(ct, other)` contracting the ct axes that came from `other`
    with `other`'s free axes, then transposed into `x`'s axis order.
    """
    (xc, xb), (oc, ob) = x_dims, other_dims
    other_ndim = get_aval(other).ndim
    nb = len(xb)
    x_free = _free(x_ndim, xc, xb)
    other_free = _free(other_ndim, oc, ob)
    first = nb + len(x_free) if x_is_lhs else nb
    ct_other = tuple(range(first, first + len(other_free)))
    ct_batch = tuple(range(nb))
    dims = ((ct_other, tuple(other_free)), (ct_batch, ob))
    # `dot_general(ct, other)` has axes: batch, x's free axes, then other's
    # contracted axes in other's order, each paired with one of x's
    # contracted axes. `dot_general(other, ct)` puts those two groups the
    # other way round; use whichever needs no transpose (x^T @ ct for the
    # right operand of a matrix product).
    rank = sorted(range(len(oc)), key=lambda k: oc[k])
    ct_first = {d: i for i, d in enumerate(xb)}
    ct_first.update({d: nb + i for i, d in enumerate(x_free)})
    other_first = dict(ct_first)
    for r, k in enumerate(rank):
        ct_first[xc[k]] = nb + len(x_free) + r
        other_first[xc[k]] = nb + r
    other_first.update({d: nb + len(oc) + i for i, d in enumerate(x_free)})
    perm_ct = [ct_first[d] for d in range(x_ndim)]
    perm_other = [other_first[d] for d in range(x_ndim)]
    if perm_other == sorted(perm_other) and perm_ct != sorted(perm_ct):
        (a, b), (c, d) = dims
        return dot_general(other, ct, ((b, a), (d, c)))
    return shape_ops.transpose(dot_general(ct, other, dims), perm_ct)


def dot_general_transpose(
    ct: Any, x: Any, y: Any, *, dimension_numbers: DimensionNumbers
) -> list[Any]:
    (lc, rc), (lb, rb) = dimension_numbers
    assert is_undefined(x) != is_undefined(y), "dot_general is bilinear"
    if is_undefined(x):
        return [_transpose_operand(ct, y, x.aval.ndim, (lc, lb), (rc, rb), True), None]
    return [None, _transpose_operand(ct, x, y.aval.ndim, (rc, rb), (lc, lb), False)]


transpose_rules[dot_general_p] = dot_general_transpose


def dot_general_batch(
    size: int, vals: Any, dims: Any, *, dimension_numbers: DimensionNumbers
) -> tuple[Any, int]:
    """Both operands batched: a new leading batch axis pair. One batched: its
    batch axis is a free axis, which lands after the existing batch axes
    (and, for the right operand, after the left operand's free axes)."""
    (x, y), (dx, dy) = vals, dims
    (lc, rc), (lb, rb) = dimension_numbers
    x, y = shape_ops.batch_to_front(x, dx), shape_ops.batch_to_front(y, dy)
    shift = lambda axes, on: tuple(a + 1 for a in axes) if on else tuple(axes)  # noqa: E731
    bx, by = dx is not None, dy is not None
    lc2, lb2, rc2, rb2 = shift(lc, bx), shift(lb, bx), shift(rc, by), shift(rb, by)
    if bx and by:
        out = dot_general(x, y, ((lc2, rc2), ((0,) + lb2, (0,) + rb2)))
        return out, 0
    out = dot_general(x, y, ((lc2, rc2), (lb2, rb2)))
    if bx:
        return out, len(lb)
    x_ndim = get_aval(x).ndim
    return out, len(lb) + x_ndim - len(lc) - len(lb)


batch_rules[dot_general_p] = dot_general_batch


def dot_general_statements(out: str, x: str, y: str, *, eqn: Any) -> list[str] | None:
    """A product of floats without batch axes inside a whole compiled
    program: both operands are transposed and reshaped to matrices, as the
    implementation does, and numba calls BLAS."""
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    xa, ya, oa = eqn.invars[0].aval, eqn.invars[1].aval, eqn.outvars[0].aval
    if lb or rb or xa.dtype.kind != "f" or xa.ndim == 0 or ya.ndim == 0:
        return None
    lf, rf = _free(xa.ndim, lc, lb), _free(ya.ndim, rc, rb)
    size = int(np.prod([xa.shape[d] for d in lc], dtype=np.int64))
    rows = int(np.prod([xa.shape[d] for d in lf], dtype=np.int64))
    cols = int(np.prod([ya.shape[d] for d in rf], dtype=np.int64))
    a = _matrix_text(x, xa.ndim, tuple(lf) + tuple(lc), (rows, size))
    b = _matrix_text(y, ya.ndim, tuple(rc) + tuple(rf), (size, cols))
    product = f"np.dot({a}, {b})"
    if oa.shape == ():
        return [f"{out} = {product}[0, 0]"]
    if oa.shape == (rows, cols):
        return [f"{out} = {product}"]
    return [f"{out} = {product}.reshape({oa.shape})"]


def _matrix_text(x: str, ndim: int, order: tuple, shape: tuple) -> str:
    """An operand of a whole program's product as a matrix. A matrix or its
    transpose is passed as it is (BLAS reads either layout): numba's
    general `np.transpose` and array assignments cost seconds of compile
    time on their first use in a process, `.T` does not (benchmarks: w6_rnn)."""
    if ndim == 2:
        return f"np.ascontiguousarray({x})" + ("" if order == (0, 1) else ".T")
    if order != tuple(range(ndim)):
        x = f"np.transpose({x}, {order})"
    return f"np.ascontiguousarray({x}).reshape({shape})"


array_lowerings[dot_general_p] = dot_general_statements

threaded_primitives.add(dot_general_p)  # BLAS
