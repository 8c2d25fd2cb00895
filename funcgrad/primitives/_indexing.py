"""Indexing primitives: gather, the scatter family (scatter, scatter_add,
scatter_mul, scatter_min, scatter_max), sort and argsort.

`gather(x, idx, axes)` reads `x` at integer positions along `axes`. `idx`
has shape `batch + (len(axes),)`: its last axis holds one coordinate per
indexed axis. The result has shape `batch + rest`, where `rest` are the
axes of `x` not in `axes`, in order:

    out[b..., r...] = x[idx[b..., 0] on axes[0], ..., r... on the others]

The scatters write an `updates` array of that same shape `batch + rest`
back into a copy of `x`: `scatter` replaces, the others combine with the
value already there. Repeated positions accumulate: `scatter_add` adds
every update, `scatter_mul` multiplies by all of them, `scatter_min` and
`scatter_max` keep the extreme. `scatter` keeps the last update in the
row-major order of `batch` (numpy does the same in practice; funcgrad
guarantees it).

Indices are not checked here (they may be traced); `mode` says what an
out-of-bounds coordinate does. `"clip"` clamps it into the axis (what
`gather` uses for reading: something must be read), `"fill"` makes a
gather read 0 and a scatter drop the update. `gather` in one mode is the
transpose of `scatter_add` in the same mode, so derivatives stay exact.
The numpy front-end checks concrete indices and wraps negative ones first.

Derivative conventions: `scatter` gives an overwritten update no
derivative; `scatter_min` and `scatter_max` split the cotangent evenly
between ties (the operand's element counts as one of them), as the max
reduction does; `sort` permutes the tangent with the permutation `argsort`
finds (stable, so ties keep their order).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad.core import Primitive, ShapedArray, get_aval
from funcgrad.errors import FuncgradTypeError, FuncgradValueError, ShapeError
from funcgrad.primitives import _elementwise as ew
from funcgrad.primitives import _shape as shape_ops
from funcgrad.primitives._util import const, same_dtype
from funcgrad.transforms import (
    Zero,
    add_tangents,
    batch_rules,
    deflinear_jvp,
    instantiate,
    is_undefined,
    jvp_rules,
    transpose_rules,
    zero_tangent_jvp,
)

MODES = ("clip", "fill")


def _aval(x: Any) -> ShapedArray:
    return x.aval if is_undefined(x) else get_aval(x)


def _rest(shape: tuple, axes: tuple) -> tuple:
    return tuple(n for d, n in enumerate(shape) if d not in axes)


def _check_index(name: str, x: ShapedArray, idx: ShapedArray, axes: tuple,
                 mode: str) -> tuple:  # fmt: skip
    """The `batch` shape of a gather or scatter, or a clear error."""
    if idx.dtype.kind not in "iu":
        raise FuncgradTypeError(
            f"`{name}` takes integer indices, got {idx.str_short()}; convert "
            f"them with `astype(int)` first."
        )
    if mode not in MODES:
        raise FuncgradValueError(
            f"`{name}`: mode must be one of {MODES}, got {mode!r}."
        )
    ok_axes = (
        len(axes) >= 1
        and list(axes) == sorted(set(axes))
        and all(0 <= a < x.ndim for a in axes)
    )
    if not ok_axes or idx.ndim < 1 or idx.shape[-1] != len(axes):
        raise ShapeError(
            f"`{name}` of {x.str_short()} along axes {axes} needs sorted, "
            f"distinct axes and indices of shape (..., {len(axes)}), got "
            f"{idx.str_short()}."
        )
    return idx.shape[:-1]


def _columns(
    x_shape: tuple, idx: np.ndarray, axes: tuple, mode: str
) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Index columns made valid for numpy, and the mask of the in-bounds
    rows in `"fill"` mode (None when every row is in bounds)."""
    idx = np.asarray(idx)
    sizes = [x_shape[a] for a in axes]
    cols = [idx[..., j].astype(np.intp) for j in range(len(axes))]
    if mode == "clip" and min(sizes) > 0:
        return [np.clip(c, 0, n - 1) for c, n in zip(cols, sizes)], None
    valid = np.ones(idx.shape[:-1], dtype=bool)
    for c, n in zip(cols, sizes):
        valid &= (c >= 0) & (c < n)
    if valid.all():
        return cols, None
    return [np.where(valid, c, 0) for c in cols], valid


def _moved(x: np.ndarray, axes: tuple) -> np.ndarray:
    """A view of `x` with `axes` in front (their order kept)."""
    return np.moveaxis(x, axes, tuple(range(len(axes))))


def zeros(shape: tuple, dtype: Any) -> Any:
    """Zeros of a shape, as a broadcast scalar (cheap once staged)."""
    return shape_ops.broadcast_in_dim(np.zeros((), dtype), shape, ())


def iota(shape: tuple, dimension: int, dtype: Any = np.int64) -> np.ndarray:
    """The positions along `dimension`, broadcast to `shape` (a constant)."""
    expanded = [1] * len(shape)
    expanded[dimension] = shape[dimension]
    values = np.arange(shape[dimension], dtype=dtype).reshape(expanded)
    return np.ascontiguousarray(np.broadcast_to(values, shape))


# --- gather ---------------------------------------------------------------------

gather_p = Primitive("gather")


def gather(x: Any, idx: Any, axes: Sequence[int], mode: str = "clip") -> Any:
    return gather_p.bind(x, idx, axes=tuple(axes), mode=mode)


@gather_p.def_impl
def gather_impl(x: Any, idx: Any, *, axes: tuple, mode: str) -> Any:
    x = np.asarray(x)
    if any(x.shape[a] == 0 for a in axes):
        shape = np.shape(idx)[:-1] + _rest(x.shape, axes)
        return np.zeros(shape, x.dtype)
    cols, valid = _columns(x.shape, idx, axes, mode)
    out = _moved(x, axes)[tuple(cols)]
    if valid is not None:
        mask = valid.reshape(valid.shape + (1,) * (out.ndim - valid.ndim))
        out = np.where(mask, out, np.zeros((), x.dtype))
    return np.asarray(out)


@gather_p.def_abstract_eval
def gather_abstract_eval(
    x: ShapedArray, idx: ShapedArray, *, axes: tuple, mode: str
) -> ShapedArray:
    batch = _check_index("gather", x, idx, axes, mode)
    return ShapedArray(batch + _rest(x.shape, axes), x.dtype)


def gather_transpose(ct: Any, x: Any, idx: Any, *, axes: tuple, mode: str) -> list:
    assert not is_undefined(idx), "gather is not linear in its indices"
    aval = x.aval
    return [scatter_add(zeros(aval.shape, aval.dtype), idx, ct, axes, mode), None]


deflinear_jvp(gather_p, linear_args=(0,))
transpose_rules[gather_p] = gather_transpose

# --- the scatters -------------------------------------------------------------

scatter_p = Primitive("scatter")
scatter_add_p = Primitive("scatter_add")
scatter_mul_p = Primitive("scatter_mul")
scatter_min_p = Primitive("scatter_min")
scatter_max_p = Primitive("scatter_max")

_COMBINE = {
    scatter_add_p: np.add,
    scatter_mul_p: np.multiply,
    scatter_min_p: np.minimum,
    scatter_max_p: np.maximum,
}


def scatter(x: Any, idx: Any, updates: Any, axes: Sequence[int],
            mode: str = "fill") -> Any:  # fmt: skip
    return scatter_p.bind(x, idx, updates, axes=tuple(axes), mode=mode)


def scatter_add(x: Any, idx: Any, updates: Any, axes: Sequence[int],
                mode: str = "fill") -> Any:  # fmt: skip
    return scatter_add_p.bind(x, idx, updates, axes=tuple(axes), mode=mode)


def scatter_mul(x: Any, idx: Any, updates: Any, axes: Sequence[int],
                mode: str = "fill") -> Any:  # fmt: skip
    return scatter_mul_p.bind(x, idx, updates, axes=tuple(axes), mode=mode)


def scatter_min(x: Any, idx: Any, updates: Any, axes: Sequence[int],
                mode: str = "fill") -> Any:  # fmt: skip
    return scatter_min_p.bind(x, idx, updates, axes=tuple(axes), mode=mode)


def scatter_max(x: Any, idx: Any, updates: Any, axes: Sequence[int],
                mode: str = "fill") -> Any:  # fmt: skip
    return scatter_max_p.bind(x, idx, updates, axes=tuple(axes), mode=mode)


def _scatter_rows(
    x: np.ndarray, idx: Any, updates: Any, axes: tuple, mode: str
) -> tuple[np.ndarray, tuple, np.ndarray]:
    """A copy of `x` with `axes` in front, and the in-bounds index columns
    and update rows to apply to it."""
    out = _moved(np.array(x, copy=True), axes)
    updates = np.asarray(updates)
    if any(x.shape[a] == 0 for a in axes):
        return out, (), updates[:0]
    cols, valid = _columns(x.shape, idx, axes, mode)
    if valid is not None:
        cols, updates = [c[valid] for c in cols], updates[valid]
    return out, tuple(cols), updates


def _make_combining_impl(primitive: Primitive) -> None:
    combine = _COMBINE[primitive]

    def impl(x: Any, idx: Any, updates: Any, *, axes: tuple, mode: str) -> Any:
        x = np.asarray(x)
        out, cols, rows = _scatter_rows(x, idx, updates, axes, mode)
        if cols:
            combine.at(out, cols, rows)
        return np.moveaxis(out, tuple(range(len(axes))), axes)

    primitive.def_impl(impl)


for _p in _COMBINE:
    _make_combining_impl(_p)


@scatter_p.def_impl
def scatter_impl(x: Any, idx: Any, updates: Any, *, axes: tuple, mode: str) -> Any:
    x = np.asarray(x)
    out, cols, rows = _scatter_rows(x, idx, updates, axes, mode)
    if cols and cols[0].size:
        sizes = tuple(x.shape[a] for a in axes)
        flat = np.ravel_multi_index(tuple(c.ravel() for c in cols), sizes)
        # The last write to each position wins: keep only that one.
        _, first_from_end = np.unique(flat[::-1], return_index=True)
        keep = flat.size - 1 - first_from_end
        rows = rows.reshape((flat.size,) + rows.shape[cols[0].ndim :])
        out[tuple(c.ravel()[keep] for c in cols)] = rows[keep]
    return np.moveaxis(out, tuple(range(len(axes))), axes)


def _make_scatter_abstract_eval(primitive: Primitive) -> None:
    name = primitive.name

    def abstract_eval(x: ShapedArray, idx: ShapedArray, updates: ShapedArray, *,
                      axes: tuple, mode: str) -> ShapedArray:  # fmt: skip
        batch = _check_index(name, x, idx, axes, mode)
        dtype = same_dtype(name, [x, updates])
        if primitive is not scatter_p and dtype == np.bool_:
            raise FuncgradTypeError(
                f"`{name}` does not combine boolean arrays ({x.str_short()}); "
                f"convert them to an integer dtype first."
            )
        want = batch + _rest(x.shape, axes)
        if updates.shape != want:
            raise ShapeError(
                f"`{name}` into {x.str_short()} along axes {axes} with "
                f"indices {idx.str_short()} needs updates of shape {want}, "
                f"got {updates.str_short()}."
            )
        return x

    primitive.def_abstract_eval(abstract_eval)


for _p in (scatter_p, *_COMBINE):
    _make_scatter_abstract_eval(_p)


# scatter_add is linear in the operand and the updates together.
def scatter_add_transpose(ct: Any, x: Any, idx: Any, updates: Any, *,
                          axes: tuple, mode: str) -> list:  # fmt: skip
    assert not is_undefined(idx), "scatter_add is not linear in its indices"
    ct_x = ct if is_undefined(x) else None
    ct_u = gather(ct, idx, axes, mode) if is_undefined(updates) else None
    return [ct_x, None, ct_u]


deflinear_jvp(scatter_add_p, linear_args=(0, 2))
transpose_rules[scatter_add_p] = scatter_add_transpose


# scatter (set) is linear in the operand and the updates together.
def _winners(idx: Any, x_shape: tuple, axes: tuple, mode: str) -> Any:
    """True for the updates that `scatter` keeps (the last to each place),
    computed with primitives, so that traced indices work too."""
    batch = get_aval(idx).shape[:-1]
    count = int(np.prod(batch, dtype=np.int64))
    ids = np.arange(count, dtype=np.int64).reshape(batch)
    sizes = tuple(x_shape[a] for a in axes)
    here = tuple(range(len(axes)))
    board = shape_ops.broadcast_in_dim(np.asarray(-1, np.int64), sizes, ())
    board = scatter(board, idx, ids, here, mode)
    return ew.eq(gather(board, idx, here, mode), ids)


def _broadcast_rows(mask: Any, shape: tuple) -> Any:
    """A mask of shape `batch`, broadcast over the trailing `rest` axes."""
    rank = get_aval(mask).ndim
    return shape_ops.broadcast_in_dim(mask, shape, tuple(range(rank)))


def scatter_transpose(ct: Any, x: Any, idx: Any, updates: Any, *,
                      axes: tuple, mode: str) -> list:  # fmt: skip
    assert not is_undefined(idx), "scatter is not linear in its indices"
    u_aval = _aval(updates)
    ct_x = ct_u = None
    if is_undefined(x):
        blank = zeros(u_aval.shape, u_aval.dtype)
        ct_x = scatter(ct, idx, blank, axes, mode)
    if is_undefined(updates):
        kept = _broadcast_rows(_winners(idx, _aval(x).shape, axes, mode), u_aval.shape)
        ct_u = ew.select(kept, gather(ct, idx, axes, mode), const(0, ct))
    return [ct_x, None, ct_u]


deflinear_jvp(scatter_p, linear_args=(0, 2))
transpose_rules[scatter_p] = scatter_transpose


# scatter_mul is linear in the operand (for fixed updates). Its derivative
# in an update is the product of the other updates to the same place. That
# product is formed without division, so zeros give exact derivatives of
# every order: the updates are sorted by place, and products of the earlier
# and of the later updates of each run of one place are scanned in
# log2(n) doubling steps (a segmented Hillis-Steele scan).


def _places(x_shape: tuple, idx: Any, axes: tuple, mode: str) -> Any:
    """The flat position each index row writes to; rows a `"fill"` scatter
    drops get distinct negative numbers, so they share no place."""
    batch = get_aval(idx).shape[:-1]
    n = int(np.prod(batch, dtype=np.int64))
    rows = shape_ops.reshape(ew.convert_element_type(idx, np.int64), (n, len(axes)))
    flat: Any = np.zeros((n,), np.int64)
    valid: Any = np.ones((n,), bool)
    stride = 1
    for j in reversed(range(len(axes))):
        size = x_shape[axes[j]]
        col = shape_ops.reshape(shape_ops.slice(rows, (0, j), (n, j + 1)), (n,))
        if mode == "clip":
            col = ew.max(ew.min(col, np.int64(size - 1)), np.int64(0))
        else:
            inside = ew.bitwise_and(ew.ge(col, np.int64(0)), ew.lt(col, np.int64(size)))
            valid = ew.bitwise_and(valid, inside)
        flat = ew.add(flat, ew.mul(col, np.int64(stride)))
        stride *= size
    if mode == "clip":
        return flat
    return ew.select(valid, flat, -1 - np.arange(n, dtype=np.int64))


def _shift_down(a: Any, s: int) -> Any:
    """`a` moved `s` rows down along axis 0 (zeros fill the top rows)."""
    shape = get_aval(a).shape
    kept = shape_ops.slice(a, (0,) * len(shape), (shape[0] - s,) + shape[1:])
    return shape_ops.pad(kept, ((s, 0, 0),) + ((0, 0, 0),) * (len(shape) - 1))


def _exclusive_products(vals: Any, places: Any) -> Any:
    """For rows sorted by place: the product of the earlier rows of the same
    place (1 for the first)."""
    shape = get_aval(vals).shape
    n = shape[0]
    one = const(1, vals)

    def same_place(s: int) -> Any:
        rows = np.arange(n) >= s
        mask = ew.bitwise_and(rows, ew.eq(_shift_down(places, s), places))
        return _broadcast_rows(mask, shape)

    inclusive, s = vals, 1
    while s < n:
        earlier = ew.select(same_place(s), _shift_down(inclusive, s), one)
        inclusive = ew.mul(inclusive, earlier)
        s *= 2
    if n <= 1:
        return shape_ops.broadcast_in_dim(one, shape, ())
    return ew.select(same_place(1), _shift_down(inclusive, 1), one)


def _others_product(x: Any, idx: Any, v: Any, axes: tuple, mode: str) -> Any:
    """For each update, the product of the other updates to its place."""
    v_shape = get_aval(v).shape
    batch = get_aval(idx).shape[:-1]
    n = int(np.prod(batch, dtype=np.int64))
    rows = shape_ops.reshape(v, (n,) + v_shape[len(batch) :])
    places = _places(get_aval(x).shape, idx, axes, mode)
    order = argsort(places, 0)
    column = shape_ops.expand_dims(order, (1,))
    rows = gather(rows, column, (0,))
    places = gather(places, column, (0,))
    before = _exclusive_products(rows, places)
    after = shape_ops.rev(
        _exclusive_products(shape_ops.rev(rows, (0,)), shape_ops.rev(places, (0,))),
        (0,),
    )
    back = shape_ops.expand_dims(argsort(order, 0), (1,))
    others = gather(ew.mul(before, after), back, (0,))
    return shape_ops.reshape(others, v_shape)


def scatter_mul_jvp(primals: Any, tangents: Any, *, axes: tuple, mode: str) -> Any:
    (x, idx, v), (x_dot, _, v_dot) = primals, tangents
    ans = scatter_mul(x, idx, v, axes, mode)
    out_dot: Any = Zero(get_aval(ans))
    if type(x_dot) is not Zero:
        out_dot = scatter_mul(x_dot, idx, v, axes, mode)
    if type(v_dot) is not Zero:
        aval = get_aval(x)
        spread = ew.mul(v_dot, _others_product(x, idx, v, axes, mode))
        product_dot = scatter_add(
            zeros(aval.shape, aval.dtype), idx, spread, axes, mode
        )
        out_dot = add_tangents(out_dot, ew.mul(x, product_dot))
    return ans, out_dot


def scatter_mul_transpose(ct: Any, x: Any, idx: Any, updates: Any, *,
                          axes: tuple, mode: str) -> list:  # fmt: skip
    if is_undefined(updates) or is_undefined(idx):
        raise NotImplementedError(
            "`scatter_mul` is linear in its operand only; its transpose rule "
            "with respect to the updates cannot exist."
        )
    return [scatter_mul(ct, idx, updates, axes, mode), None, None]


jvp_rules[scatter_mul_p] = scatter_mul_jvp
transpose_rules[scatter_mul_p] = scatter_mul_transpose


# scatter_min and scatter_max: the tangent of a place is the mean of the
# tangents of the values that attain the result there.
def _make_chooser_jvp(primitive: Primitive) -> None:
    def chooser_jvp(primals: Any, tangents: Any, *, axes: tuple, mode: str) -> Any:
        (x, idx, v), (x_dot, _, v_dot) = primals, tangents
        ans = primitive.bind(x, idx, v, axes=axes, mode=mode)
        aval = get_aval(x)
        x_w = ew.convert_element_type(ew.eq(x, ans), aval.dtype)
        v_w = ew.convert_element_type(
            ew.eq(v, gather(ans, idx, axes, mode)), aval.dtype
        )
        counts = scatter_add(x_w, idx, v_w, axes, mode)
        x_part = ew.mul(instantiate(x_dot), x_w)
        total = scatter_add(x_part, idx, ew.mul(instantiate(v_dot), v_w), axes, mode)
        return ans, ew.div(total, counts)

    jvp_rules[primitive] = chooser_jvp


_make_chooser_jvp(scatter_min_p)
_make_chooser_jvp(scatter_max_p)

# --- sort and argsort -------------------------------------------------------------

sort_p = Primitive("sort")
argsort_p = Primitive("argsort")


def sort(x: Any, axis: int) -> Any:
    return sort_p.bind(x, axis=axis)


def argsort(x: Any, axis: int) -> Any:
    return argsort_p.bind(x, axis=axis)


@sort_p.def_impl
def sort_impl(x: Any, *, axis: int) -> Any:
    # numpy's default sort: equal elements are equal numbers (at most -0.0
    # and 0.0 trade places), and it is ten times faster than a stable one.
    return np.sort(x, axis=axis)


@argsort_p.def_impl
def argsort_impl(x: Any, *, axis: int) -> Any:
    return np.argsort(x, axis=axis, kind="stable").astype(np.int64)


def _check_axis(name: str, x: ShapedArray, axis: int) -> None:
    if not 0 <= axis < x.ndim:
        raise ShapeError(
            f"`{name}`: axis {axis} is out of range for {x.str_short()} (an "
            f"axis in 0..ndim-1 is needed; flatten a 0-d array first)."
        )


@sort_p.def_abstract_eval
def sort_abstract_eval(x: ShapedArray, *, axis: int) -> ShapedArray:
    _check_axis("sort", x, axis)
    return x


@argsort_p.def_abstract_eval
def argsort_abstract_eval(x: ShapedArray, *, axis: int) -> ShapedArray:
    _check_axis("argsort", x, axis)
    return x.update(dtype=np.int64)


def take_along(x: Any, idx: Any, axis: int) -> Any:
    """`numpy.take_along_axis` for valid `idx` of `x`'s shape but along
    `axis`: one gather from the flattened `x`, at the flat positions."""
    x_shape, shape = get_aval(x).shape, get_aval(idx).shape
    strides = [
        int(np.prod(x_shape[d + 1 :], dtype=np.int64)) for d in range(len(shape))
    ]
    offsets = sum(
        (iota(shape, d) * strides[d] for d in range(len(shape)) if d != axis),
        np.zeros(shape, np.int64),
    )
    idx = ew.convert_element_type(idx, np.int64)
    flat_idx = ew.add(ew.mul(idx, np.int64(strides[axis])), offsets)
    flat = shape_ops.reshape(x, (int(np.prod(x_shape, dtype=np.int64)),))
    return gather(flat, shape_ops.expand_dims(flat_idx, (len(shape),)), (0,))


def sort_jvp(primals: Any, tangents: Any, *, axis: int) -> Any:
    (x,), (x_dot,) = primals, tangents
    perm = argsort(x, axis)
    return take_along(x, perm, axis), take_along(x_dot, perm, axis)


jvp_rules[sort_p] = sort_jvp
zero_tangent_jvp(argsort_p)

# --- batching -------------------------------------------------------------------
# A batched operand gets its batch axis in front. Where the indices are
# batched too, the batch position becomes one more coordinate of every
# index (a column of positions), so each member reads its own operand.


def _with_batch_column(idx: Any, dim: int | None, size: int) -> Any:
    """Indices batched in front, with the batch position as first column."""
    idx = shape_ops.batch_materialize(idx, dim, size)
    shape = get_aval(idx).shape
    column = iota(shape[:-1] + (1,), 0, get_aval(idx).dtype)
    return shape_ops.concatenate([column, idx], len(shape) - 1)


def _shift(axes: tuple) -> tuple:
    return tuple(a + 1 for a in axes)


def gather_batch(size: int, vals: Any, dims: Any, *, axes: tuple,
                 mode: str) -> tuple[Any, int]:  # fmt: skip
    (x, idx), (x_dim, idx_dim) = vals, dims
    if idx_dim is None:
        x = shape_ops.batch_to_front(x, x_dim)
        out = gather(x, idx, _shift(axes), mode)
        return out, get_aval(idx).ndim - 1
    if x_dim is None:
        return gather(x, shape_ops.batch_to_front(idx, idx_dim), axes, mode), 0
    x = shape_ops.batch_to_front(x, x_dim)
    idx = _with_batch_column(idx, idx_dim, size)
    return gather(x, idx, (0,) + _shift(axes), mode), 0


def _make_scatter_batch(primitive: Primitive) -> None:
    def rule(size: int, vals: Any, dims: Any, *, axes: tuple,
             mode: str) -> tuple[Any, int]:  # fmt: skip
        (x, idx, v), (x_dim, idx_dim, v_dim) = vals, dims
        x = shape_ops.batch_materialize(x, x_dim, size)
        if idx_dim is None:
            # The batch axis is one of the `rest` axes: after idx's batch.
            nb = get_aval(idx).ndim - 1
            v = shape_ops.batch_materialize(v, v_dim, size)
            rank = get_aval(v).ndim
            order = tuple(range(1, nb + 1)) + (0,) + tuple(range(nb + 1, rank))
            v = shape_ops.transpose(v, order)
            return primitive.bind(x, idx, v, axes=_shift(axes), mode=mode), 0
        idx = _with_batch_column(idx, idx_dim, size)
        v = shape_ops.batch_materialize(v, v_dim, size)
        return primitive.bind(x, idx, v, axes=(0,) + _shift(axes), mode=mode), 0

    batch_rules[primitive] = rule


def _make_axis_batch(primitive: Primitive) -> None:
    def rule(size: int, vals: Any, dims: Any, *, axis: int) -> tuple[Any, int]:
        x = shape_ops.batch_to_front(vals[0], dims[0])
        return primitive.bind(x, axis=axis + 1), 0

    batch_rules[primitive] = rule


batch_rules[gather_p] = gather_batch
for _p in (scatter_p, *_COMBINE):
    _make_scatter_batch(_p)
_make_axis_batch(sort_p)
_make_axis_batch(argsort_p)

# No lowering: the compiled backend runs these equations as steps through
# their implementations (numpy's fancy indexing, `ufunc.at`, `np.sort`).
