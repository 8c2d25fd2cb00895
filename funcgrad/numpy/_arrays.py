"""numpy's array functions that move, copy or combine elements: cumulative
sums and products, differences, flips, rolls, tiling and repetition,
padding, splitting, diagonals and triangles, Kronecker products, grids,
cross products, joining, and the array API's names for some of them.

Each is a composition of the shape primitives (`slice`, `pad`, `rev`,
`concatenate`, `reshape`, `broadcast_in_dim`, `transpose`) and `select`,
except the cumulative functions, which bind the primitives of
`funcgrad.primitives._cumulative`. Sizes, shifts, repeats and split points
are static: they must be known while tracing, as numpy's result shape
depends on them.
"""

from __future__ import annotations

import builtins
import itertools
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad.core import Tracer, get_aval
from funcgrad.errors import FuncgradTypeError, FuncgradValueError, ShapeError
from funcgrad.numpy import _reductions as reductions
from funcgrad.numpy import _shape as shapes
from funcgrad.numpy import _ufuncs as ufuncs
from funcgrad.numpy._util import (
    as_operand,
    cast,
    is_eager,
    promote,
    result_dtype,
    sequence_of_operands,
    shape_of,
    to_ndarray,
)
from funcgrad.primitives import _cumulative as cumulative
from funcgrad.primitives import _elementwise as ew
from funcgrad.primitives import _shape as shape_ops
from funcgrad.primitives._util import const, normalize_axis

_NO_VALUE = object()


def _static_int(value: Any, name: str, what: str) -> int:
    if isinstance(value, Tracer):
        value = value.concrete_value(f"`{name}`'s `{what}`")
    try:
        return operator.index(value)
    except TypeError:
        raise FuncgradTypeError(
            f"`{name}`: `{what}` must be an integer, got {value!r}."
        ) from None


def _static_ints(value: Any, name: str, what: str) -> tuple[int, ...]:
    if isinstance(value, Tracer):
        value = value.concrete_value(f"`{name}`'s `{what}`")
    if np.ndim(value) == 0:
        return (_static_int(value, name, what),)
    return tuple(_static_int(v, name, what) for v in np.asarray(value).ravel())


def _axis_slice(x: Any, axis: int, start: int, stop: int, step: int = 1) -> Any:
    shape = get_aval(x).shape
    starts, limits, strides = [0] * len(shape), list(shape), [1] * len(shape)
    starts[axis], limits[axis], strides[axis] = start, stop, step
    return shape_ops.slice(x, starts, limits, strides)


def _resized(x: Any, axis: int, size: int) -> tuple[int, ...]:
    shape = list(get_aval(x).shape)
    shape[axis] = size
    return tuple(shape)


_MAX_RUNS = 16  # beyond this many runs of slices, one gather is cheaper


def take_static(x: Any, indices: Sequence[int], axis: int) -> Any:
    """`x` indexed along `axis` by concrete non-negative `indices`, as runs
    of slices: ascending runs are slices, descending runs reversed slices,
    repeated indices broadcasts; past `_MAX_RUNS` runs, one `gather`
    (`funcgrad.numpy.take`). Linear, so its derivatives are exact."""
    indices = [int(i) for i in indices]
    if not indices:
        return _axis_slice(x, axis, 0, 0)
    runs = _runs(indices)
    if len(runs) > _MAX_RUNS:
        from funcgrad.numpy._indexing import take

        return take(x, np.asarray(indices, np.int64), axis=axis)
    pieces = []
    for first, step, count in runs:
        if step == 0:
            piece = _axis_slice(x, axis, first, first + 1)
            piece = shape_ops.broadcast_to(piece, _resized(x, axis, count))
        elif step == 1:
            piece = _axis_slice(x, axis, first, first + count)
        else:
            piece = _axis_slice(x, axis, first - count + 1, first + 1)
            piece = shape_ops.rev(piece, (axis,))
        pieces.append(piece)
    return shape_ops.concatenate(pieces, axis)


def _runs(indices: list[int]) -> list[tuple[int, int, int]]:
    """Maximal runs `(first, step, count)` with step -1, 0 or 1."""
    runs, start = [], 0
    while start < len(indices):
        first = indices[start]
        step = indices[start + 1] - first if start + 1 < len(indices) else 1
        step = step if step in (-1, 0, 1) else 1
        end = start + 1
        while end < len(indices) and indices[end] - indices[end - 1] == step:
            end += 1
        runs.append((first, step, end - start))
        start = end
    return runs


# --- cumulative sums and products ---------------------------------------------


def _cumulative(name: str, a: Any, axis: Any, dtype: Any, nan: Any = None) -> Any:
    x = as_operand(a)
    if axis is None:
        x = shape_ops.reshape(x, (get_aval(x).size,))
        axis = 0
    ax = normalize_axis(name, _static_int(axis, name, "axis"), get_aval(x).ndim)
    target = dtype if dtype is not None else reductions._sum_dtype(get_aval(x).dtype)
    x = cast(x, target)
    if nan is not None and get_aval(x).dtype.kind in "fc":
        x = ew.select(ew.ne(x, x), const(nan, x), x)
    primitive = cumulative.cumprod if "prod" in name else cumulative.cumsum
    return primitive(x, ax)


def cumsum(a: Any, axis: Any = None, dtype: Any = None) -> Any:
    """`numpy.cumsum`: running sums along `axis` (of the flattened array when
    `axis` is None); small integers and booleans sum in int64.

    >>> cumsum([1, 2, 3])
    array([1, 3, 6])
    """
    if is_eager(a):
        return to_ndarray(np.cumsum(a, axis=axis, dtype=dtype))
    return _cumulative("cumsum", a, axis, dtype)


def cumprod(a: Any, axis: Any = None, dtype: Any = None) -> Any:
    """`numpy.cumprod`: running products along `axis`. Its derivative never
    divides, so it is exact where elements are zero.

    >>> cumprod([1, 2, 3])
    array([1, 2, 6])
    """
    if is_eager(a):
        return to_ndarray(np.cumprod(a, axis=axis, dtype=dtype))
    return _cumulative("cumprod", a, axis, dtype)


def nancumsum(a: Any, axis: Any = None, dtype: Any = None) -> Any:
    """`numpy.nancumsum`: `cumsum` with NaNs counted as zero (and given a
    zero derivative)."""
    if is_eager(a):
        return to_ndarray(np.nancumsum(a, axis=axis, dtype=dtype))
    return _cumulative("nancumsum", a, axis, dtype, nan=0)


def nancumprod(a: Any, axis: Any = None, dtype: Any = None) -> Any:
    """`numpy.nancumprod`: `cumprod` with NaNs counted as one (and given a
    zero derivative)."""
    if is_eager(a):
        return to_ndarray(np.nancumprod(a, axis=axis, dtype=dtype))
    return _cumulative("nancumprod", a, axis, dtype, nan=1)


def cumulative_sum(
    x: Any, /, *, axis: Any = None, dtype: Any = None, include_initial: bool = False
) -> Any:
    """`numpy.cumulative_sum` (the array API's cumsum): `axis` may be omitted
    only for 1-d arrays; `include_initial` prepends a zero."""
    return _cumulative_api("cumulative_sum", cumsum, x, axis, dtype, include_initial)


def cumulative_prod(
    x: Any, /, *, axis: Any = None, dtype: Any = None, include_initial: bool = False
) -> Any:
    """`numpy.cumulative_prod`: `include_initial` prepends a one."""
    return _cumulative_api("cumulative_prod", cumprod, x, axis, dtype, include_initial)


def _cumulative_api(
    name: str, fn: Any, x: Any, axis: Any, dtype: Any, initial: bool
) -> Any:
    if is_eager(x):
        numpy_fn = getattr(np, name)
        return to_ndarray(numpy_fn(x, axis=axis, dtype=dtype, include_initial=initial))
    ndim = len(shape_of(x))
    if axis is None:
        if ndim != 1:
            raise FuncgradValueError(
                f"`{name}`: `axis` must be given for arrays of {ndim} "
                f"dimensions (only 1-d arrays may omit it)."
            )
        axis = 0
    out = fn(x, axis=axis, dtype=dtype)
    if not initial:
        return out
    ax = normalize_axis(name, axis, ndim)
    first = 0 if name == "cumulative_sum" else 1
    head = shape_ops.broadcast_to(const(first, out), _resized(out, ax, 1))
    return shape_ops.concatenate([head, out], ax)


# --- differences --------------------------------------------------------------


def diff(
    a: Any, n: int = 1, axis: int = -1, prepend: Any = _NO_VALUE,
    append: Any = _NO_VALUE,
) -> Any:  # fmt: skip
    """`numpy.diff`: the `n`-th differences along `axis`, after joining
    `prepend` and `append` (scalars are broadcast across the axis).
    Booleans differ by `!=`, as in numpy.

    >>> diff([1, 4, 9, 16], n=2)
    array([2, 2])
    """
    extra = [v for v in (prepend, append) if v is not _NO_VALUE]
    if is_eager(a, *extra):
        kwargs = {"prepend": prepend} if prepend is not _NO_VALUE else {}
        if append is not _NO_VALUE:
            kwargs["append"] = append
        return to_ndarray(np.diff(a, n=n, axis=axis, **kwargs))
    n = _static_int(n, "diff", "n")
    if n < 0:
        raise FuncgradValueError(f"`diff`: order must be non-negative but got {n}.")
    x = as_operand(a)
    ndim = get_aval(x).ndim
    if ndim == 0:
        raise FuncgradValueError(
            "`diff` requires input that is at least one dimensional."
        )
    ax = normalize_axis("diff", axis, ndim)
    parts = [x]
    if prepend is not _NO_VALUE:
        parts.insert(0, _edge_values(prepend, x, ax))
    if append is not _NO_VALUE:
        parts.append(_edge_values(append, x, ax))
    if len(parts) > 1:
        x = shapes.concatenate(parts, axis=ax)
    for _ in range(n):
        size = get_aval(x).shape[ax]
        later = _axis_slice(x, ax, builtins.min(1, size), size)
        earlier = _axis_slice(x, ax, 0, builtins.max(size - 1, 0))
        if get_aval(x).dtype == np.bool_:
            x = ew.ne(later, earlier)
        else:
            x = ew.sub(later, earlier)
    return x


def _edge_values(values: Any, x: Any, axis: int) -> Any:
    v = as_operand(values)
    if get_aval(v).ndim == 0:
        return shapes.broadcast_to(v, _resized(x, axis, 1))
    return v


def ediff1d(ary: Any, to_end: Any = None, to_begin: Any = None) -> Any:
    """`numpy.ediff1d`: differences of the flattened array, with `to_begin`
    and `to_end` (flattened, in the array's dtype) around them."""
    if is_eager(ary, to_end, to_begin):
        return to_ndarray(np.ediff1d(ary, to_end=to_end, to_begin=to_begin))
    flat = shapes.ravel(ary)
    dtype = get_aval(flat).dtype
    parts = [diff(flat)]
    for what, extra in (("to_begin", to_begin), ("to_end", to_end)):
        if extra is None:
            continue
        extra = shapes.ravel(extra)
        if not np.can_cast(get_aval(extra).dtype, dtype, casting="same_kind"):
            raise FuncgradTypeError(
                f"`ediff1d`: dtype of `{what}` ({get_aval(extra).dtype}) must be "
                f"compatible with input `ary` ({dtype}) under the `same_kind` "
                f"rule."
            )
        extra = cast(extra, dtype)
        parts.insert(0, extra) if what == "to_begin" else parts.append(extra)
    return shape_ops.concatenate(parts, 0)


# --- flips, rotations and rolls -----------------------------------------------


def flip(m: Any, axis: Any = None) -> Any:
    """`numpy.flip`: reverse the order of elements along `axis` (all axes
    when None)."""
    if is_eager(m):
        return to_ndarray(np.flip(m, axis))
    x = as_operand(m)
    from funcgrad.primitives._util import normalize_axes

    return shape_ops.rev(x, normalize_axes("flip", axis, get_aval(x).ndim))


def fliplr(m: Any) -> Any:
    """`numpy.fliplr`: reverse the columns (axis 1) of an array of rank >= 2."""
    if len(shape_of(m)) < 2:
        raise FuncgradValueError("`fliplr`: the input must be at least 2-d.")
    return flip(m, 1)


def flipud(m: Any) -> Any:
    """`numpy.flipud`: reverse the rows (axis 0) of an array of rank >= 1."""
    if len(shape_of(m)) < 1:
        raise FuncgradValueError("`flipud`: the input must be at least 1-d.")
    return flip(m, 0)


def rot90(m: Any, k: int = 1, axes: Sequence[int] = (0, 1)) -> Any:
    """`numpy.rot90`: rotate by 90 degrees `k` times, from the first of
    `axes` towards the second."""
    if is_eager(m):
        return to_ndarray(np.rot90(m, k, axes))
    x = as_operand(m)
    ndim = get_aval(x).ndim
    axes = tuple(axes)
    if len(axes) != 2:
        raise FuncgradValueError("`rot90`: `axes` must name exactly 2 axes.")
    if ndim < 2:
        raise FuncgradValueError("`rot90`: the array must be at least 2-d.")
    a0, a1 = (normalize_axis("rot90", a, ndim) for a in axes)
    if a0 == a1:
        raise FuncgradValueError(f"`rot90`: `axes` {axes} name the same axis.")
    k = _static_int(k, "rot90", "k") % 4
    if k == 0:
        return x
    if k == 2:
        return shape_ops.rev(x, (a0, a1))
    perm = list(range(ndim))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return shape_ops.transpose(shape_ops.rev(x, (a1,)), perm)
    return shape_ops.rev(shape_ops.transpose(x, perm), (a1,))


def roll(a: Any, shift: Any, axis: Any = None) -> Any:
    """`numpy.roll`: shift elements along `axis` (of the flattened array
    when None), wrapping around; `shift` and `axis` may be tuples."""
    if is_eager(a):
        return to_ndarray(np.roll(a, shift, axis))
    x = as_operand(a)
    shape = get_aval(x).shape
    if axis is None:
        flat = shape_ops.reshape(x, (get_aval(x).size,))
        return shape_ops.reshape(roll(flat, shift, 0), shape)
    shifts = _static_ints(shift, "roll", "shift")
    axes = _static_ints(axis, "roll", "axis")
    try:
        pairs = np.broadcast(np.asarray(shifts), np.asarray(axes))
    except ValueError:
        raise FuncgradValueError(
            f"`roll`: `shift` {shift!r} and `axis` {axis!r} must broadcast together."
        ) from None
    totals: dict[int, int] = {}
    for s, ax in pairs:
        ax = normalize_axis("roll", int(ax), len(shape))
        totals[ax] = totals.get(ax, 0) + int(s)
    for ax, s in totals.items():
        n = shape[ax]
        s = s % n if n else 0
        if s:
            tail, head = _axis_slice(x, ax, n - s, n), _axis_slice(x, ax, 0, n - s)
            x = shape_ops.concatenate([tail, head], ax)
    return x


# --- tiling, repetition and padding -------------------------------------------


def tile(A: Any, reps: Any) -> Any:  # noqa: N803
    """`numpy.tile`: `A` repeated `reps` times along each axis."""
    if is_eager(A):
        return to_ndarray(np.tile(A, reps))
    x = as_operand(A)
    reps = _static_ints(reps, "tile", "reps")
    if any(r < 0 for r in reps):
        raise FuncgradValueError(f"`tile`: negative repetitions {reps}.")
    shape = get_aval(x).shape
    d = builtins.max(len(reps), len(shape))
    shape = (1,) * (d - len(shape)) + tuple(shape)
    reps = (1,) * (d - len(reps)) + tuple(reps)
    x = shape_ops.reshape(x, shape)
    wide = tuple(v for pair in zip(reps, shape) for v in pair)
    spread = shape_ops.broadcast_in_dim(x, wide, tuple(range(1, 2 * d, 2)))
    return shape_ops.reshape(spread, tuple(r * s for r, s in zip(reps, shape)))


def repeat(a: Any, repeats: Any, axis: Any = None) -> Any:
    """`numpy.repeat`: each element repeated `repeats` times along `axis` (of
    the flattened array when None). `repeats` is an integer or a concrete
    sequence with one count per element.

    >>> repeat([1, 2], [2, 1])
    array([1, 1, 2])
    """
    if is_eager(a):
        return to_ndarray(np.repeat(a, repeats, axis))
    x = as_operand(a)
    if axis is None:
        x = shape_ops.reshape(x, (get_aval(x).size,))
        axis = 0
    ax = normalize_axis("repeat", axis, get_aval(x).ndim)
    n = get_aval(x).shape[ax]
    counts = _static_ints(repeats, "repeat", "repeats")
    if len(counts) == 1:
        counts = counts * n
    if len(counts) != n or any(c < 0 for c in counts):
        raise FuncgradValueError(
            f"`repeat`: `repeats` needs one non-negative count per element "
            f"({n} along axis {ax}), got {len(counts)} counts {counts[:8]}."
        )
    if 1 + int(np.count_nonzero(np.diff(counts))) > _MAX_RUNS:
        return take_static(x, np.repeat(np.arange(n), counts), ax)
    pieces, start = [], 0
    while start < n:  # one piece per run of equal counts
        end = start
        while end < n and counts[end] == counts[start]:
            end += 1
        if counts[start]:
            pieces.append(_repeat_block(x, ax, start, end, counts[start]))
        start = end
    if not pieces:
        return _axis_slice(x, ax, 0, 0)
    return shape_ops.concatenate(pieces, ax)


def _repeat_block(x: Any, axis: int, start: int, stop: int, count: int) -> Any:
    block = _axis_slice(x, axis, start, stop)
    shape = get_aval(block).shape
    wide = shape[: axis + 1] + (count,) + shape[axis + 1 :]
    kept = tuple(d if d <= axis else d + 1 for d in range(len(shape)))
    spread = shape_ops.broadcast_in_dim(block, wide, kept)
    return shape_ops.reshape(spread, _resized(block, axis, (stop - start) * count))


_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap", "empty")
_PAD_MODES += ("maximum", "minimum", "mean", "median", "linear_ramp")
_PAD_STATISTICS = {"maximum": reductions.max, "minimum": reductions.min}
_PAD_STATISTICS["mean"] = reductions.mean


def pad(array: Any, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Any:
    """`numpy.pad` with modes "constant" (`constant_values`), "edge",
    "reflect" and "symmetric" (`reflect_type` "even" or "odd"), "wrap",
    "maximum", "minimum", "mean" and "median" (`stat_length`),
    "linear_ramp" (`end_values`) and "empty" (filled with zeros) on traced
    arrays; numpy's other options on concrete ones. Axes are padded in
    order, so corners come from the last axis, as in numpy.

    >>> pad([1, 2, 3], (2, 1), mode="reflect")
    array([3, 2, 1, 2, 3, 2])
    >>> pad([1, 2, 3], (2, 1), mode="reflect", reflect_type="odd")
    array([-1,  0,  1,  2,  3,  4])
    """
    values = kwargs.get("constant_values", 0)
    if is_eager(array, values):
        return to_ndarray(np.pad(array, pad_width, mode=mode, **kwargs))
    x = as_operand(array)
    ndim = get_aval(x).ndim
    if not isinstance(mode, str) or mode not in _PAD_MODES:
        raise FuncgradValueError(
            f"`pad`: mode {mode!r} is not supported on traced arrays; use one "
            f"of {', '.join(_PAD_MODES)}, or pad a concrete array outside "
            f"the transformed function."
        )
    allowed = {"constant": {"constant_values"}, "reflect": {"reflect_type"}}
    allowed["symmetric"] = allowed["reflect"]
    allowed["linear_ramp"] = {"end_values"}
    allowed.update({key: {"stat_length"} for key in ("maximum", "minimum")})
    allowed.update({key: {"stat_length"} for key in ("mean", "median")})
    unknown = set(kwargs) - allowed.get(mode, set())
    if unknown:
        raise FuncgradValueError(
            f"`pad`: unsupported keyword arguments {sorted(unknown)} for mode {mode!r}."
        )
    rounds = mode in ("mean", "median", "linear_ramp")
    if rounds and get_aval(x).dtype.kind not in "fc":
        raise FuncgradTypeError(
            f"`pad`: mode {mode!r} of an integer array rounds in numpy; on "
            f"traced arrays it needs a floating dtype (convert with "
            f"`.astype(float)` first)."
        )
    widths = _pad_widths(pad_width, ndim)
    if mode == "constant":
        return _pad_constant(x, widths, values)
    if mode == "empty":
        return _pad_constant(x, widths, 0)
    lengths = _stat_lengths(kwargs.get("stat_length"), ndim)
    odd = kwargs.get("reflect_type", "even") == "odd"  # numpy: anything else is even
    for ax, (lo, hi) in enumerate(widths):
        n = get_aval(x).shape[ax]
        if not lo and not hi:
            continue
        if n == 0:
            raise FuncgradValueError(
                f"`pad`: can't extend empty axis {ax} using modes other than "
                f"'constant' or 'empty'."
            )
        if mode in ("maximum", "minimum", "mean", "median"):
            x = _pad_statistic(x, ax, lo, hi, mode, lengths[ax])
        elif mode == "linear_ramp":
            ends = np.broadcast_to(np.asarray(kwargs.get("end_values", 0)), (ndim, 2))
            x = _pad_ramp(x, ax, lo, hi, ends[ax])
        elif odd and mode in ("reflect", "symmetric"):
            x = _pad_odd(x, ax, lo, hi, include_edge=mode == "symmetric")
        else:
            x = take_static(x, _pad_indices(mode, n, lo, hi), ax)
    return x


def _stat_lengths(stat_length: Any, ndim: int) -> list[tuple[Any, Any]]:
    """numpy's `stat_length`: None (the whole axis), or rounded lengths
    broadcast to one (before, after) pair per axis."""
    if stat_length is None:
        return [(None, None)] * ndim
    if isinstance(stat_length, Tracer):
        stat_length = stat_length.concrete_value("`pad`'s `stat_length`")
    lengths = np.round(np.asarray(stat_length)).astype(np.intp)
    if (lengths < 0).any():
        raise FuncgradValueError("`pad`: index can't contain negative values.")
    try:
        lengths = np.broadcast_to(lengths, (ndim, 2))
    except ValueError:
        raise FuncgradValueError(
            f"`pad`: `stat_length` {stat_length!r} does not fit an array of "
            f"{ndim} dimensions (give one (before, after) pair per axis)."
        ) from None
    return [(int(lo), int(hi)) for lo, hi in lengths]


def _pad_statistic(
    x: Any, axis: int, lo: int, hi: int, mode: str, lengths: tuple
) -> Any:
    """The statistic of the first and of the last `lengths` elements (the
    whole axis where None or longer), as numpy's `stat_length`."""
    n = get_aval(x).shape[axis]
    first, last = (n if k is None or k > n else k for k in lengths)
    if 0 in (first, last) and mode in ("maximum", "minimum"):
        raise FuncgradValueError("`pad`: stat_length of 0 yields no value for padding.")

    def stat(start: int, stop: int) -> Any:
        if start == stop:  # numpy: the mean or median of nothing is NaN
            return np.full(_resized(x, axis, 1), np.nan, get_aval(x).dtype)
        part = _axis_slice(x, axis, start, stop)
        if mode == "median":
            from funcgrad.numpy._order import median

            return median(part, axis=axis, keepdims=True)
        return _PAD_STATISTICS[mode](part, axis=axis, keepdims=True)

    left = stat(0, first)
    right = left if first == last == n else stat(n - last, n)
    parts = [x]
    if lo:
        parts.insert(0, shape_ops.broadcast_to(left, _resized(x, axis, lo)))
    if hi:
        parts.append(shape_ops.broadcast_to(right, _resized(x, axis, hi)))
    return shape_ops.concatenate(parts, axis)


def _pad_odd(x: Any, axis: int, lo: int, hi: int, include_edge: bool) -> Any:
    """numpy's `reflect_type="odd"`: chunks of the axis reflected about the
    edge element (`2 * edge - chunk`), a period at a time, each about the
    edge of what is already padded, so that wide pads keep climbing as in
    numpy. Without `include_edge` ("reflect") the edge is not repeated."""
    n = get_aval(x).shape[axis]
    if n == 1:  # numpy extends a single element as mode "edge"
        return take_static(x, _pad_indices("edge", 1, lo, hi), axis)
    e = 1 if include_edge else 0
    while lo > 0 or hi > 0:
        size = get_aval(x).shape[axis]
        # numpy reflects whole periods of the original axis only
        period = size // n * n if include_edge else (size - 1) // (n - 1) * (n - 1)
        parts = [x]
        if lo > 0:
            k = builtins.min(period, lo)
            chunk = shape_ops.rev(_axis_slice(x, axis, 1 - e, k + 1 - e), (axis,))
            parts.insert(0, _odd_reflection(_axis_slice(x, axis, 0, 1), chunk))
            lo -= k
        if hi > 0:
            k = builtins.min(period, hi)
            chunk = _axis_slice(x, axis, size - 1 + e - k, size - 1 + e)
            edge = _axis_slice(x, axis, size - 1, size)
            parts.append(_odd_reflection(edge, shape_ops.rev(chunk, (axis,))))
            hi -= k
        x = shape_ops.concatenate(parts, axis)
    return x


def _odd_reflection(edge: Any, chunk: Any) -> Any:
    """`2 * edge - chunk` in the array's dtype (booleans through int64 and
    back, as numpy stores the integers into the boolean array)."""
    dtype = get_aval(chunk).dtype
    if dtype == np.bool_:
        edge, chunk = cast(edge, np.int64), cast(chunk, np.int64)
    out = ufuncs.subtract(ufuncs.multiply(2, edge), chunk)
    return cast(out, dtype)


def _pad_ramp(x: Any, axis: int, lo: int, hi: int, ends: np.ndarray) -> Any:
    """Linear ramps from the end values towards the edge values, which
    they do not reach (numpy's `linspace(..., endpoint=False)`)."""
    n, dtype, ndim = get_aval(x).shape[axis], get_aval(x).dtype, get_aval(x).ndim

    def ramp(width: int, edge: Any, end: Any) -> Any:
        steps = np.arange(width, dtype=dtype) / np.asarray(width, dtype)
        steps = steps.reshape([width if d == axis else 1 for d in range(ndim)])
        end = np.asarray(end, dtype)
        return ew.add(end, ew.mul(ew.sub(edge, end), steps))

    parts = [x]
    if lo:
        parts.insert(0, ramp(lo, _axis_slice(x, axis, 0, 1), ends[0]))
    if hi:
        right = ramp(hi, _axis_slice(x, axis, n - 1, n), ends[1])
        parts.append(shape_ops.rev(right, (axis,)))
    return shape_ops.concatenate(parts, axis)


def _pad_widths(pad_width: Any, ndim: int) -> list[tuple[int, int]]:
    if isinstance(pad_width, Tracer):
        pad_width = pad_width.concrete_value("`pad`'s `pad_width`")
    widths = np.asarray(pad_width)
    if widths.dtype.kind not in "iu":
        raise FuncgradTypeError("`pad`: `pad_width` must be of integral type.")
    try:
        widths = np.broadcast_to(widths, (ndim, 2))
    except ValueError:
        raise FuncgradValueError(
            f"`pad`: `pad_width` {pad_width!r} does not fit an array of "
            f"{ndim} dimensions (give one (before, after) pair per axis)."
        ) from None
    if (widths < 0).any():
        raise FuncgradValueError("`pad`: index can't contain negative values.")
    return [(int(lo), int(hi)) for lo, hi in widths]


def _pad_constant(x: Any, widths: list, values: Any) -> Any:
    if isinstance(values, Tracer):
        per_axis = [(values, values)] * len(widths)
    else:
        table = np.broadcast_to(np.asarray(values), (len(widths), 2))
        per_axis = [(table[i, 0], table[i, 1]) for i in range(len(widths))]
    dtype = get_aval(x).dtype
    for ax, ((lo, hi), (v_lo, v_hi)) in enumerate(zip(widths, per_axis)):
        parts = [x]
        if lo:
            parts.insert(0, _filled(v_lo, dtype, _resized(x, ax, lo)))
        if hi:
            parts.append(_filled(v_hi, dtype, _resized(x, ax, hi)))
        x = shape_ops.concatenate(parts, ax) if len(parts) > 1 else x
    return x


def _filled(value: Any, dtype: np.dtype, shape: tuple) -> Any:
    if isinstance(value, Tracer):
        return shape_ops.broadcast_to(cast(value, dtype), shape)
    return np.full(shape, np.asarray(value).astype(dtype))


def _pad_indices(mode: str, n: int, lo: int, hi: int) -> np.ndarray:
    """For each position of the padded axis, the index it copies."""
    i = np.arange(-lo, n + hi)
    if mode == "edge" or (mode == "reflect" and n == 1):
        return np.clip(i, 0, n - 1)
    if mode == "wrap":
        return i % n
    if mode == "symmetric":
        j = i % (2 * n)
        return np.where(j < n, j, 2 * n - 1 - j)
    period = 2 * (n - 1)  # reflect: the edge element is not repeated
    j = i % period
    return np.where(j < n, j, period - j)


# --- splitting ----------------------------------------------------------------


def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    """`numpy.array_split`: `indices_or_sections` equal-as-possible parts (the
    first ones one longer), or the parts between concrete split indices."""
    if is_eager(ary):
        return [to_ndarray(p) for p in np.array_split(ary, indices_or_sections, axis)]
    x = as_operand(ary)
    ax = normalize_axis("array_split", axis, get_aval(x).ndim)
    n = get_aval(x).shape[ax]
    if np.ndim(indices_or_sections) == 0:
        sections = _static_int(indices_or_sections, "array_split", "sections")
        if sections <= 0:
            raise FuncgradValueError("`array_split`: number sections must be > 0.")
        each, extra = divmod(n, sections)
        sizes = [each + 1] * extra + [each] * (sections - extra)
        bounds = np.concatenate([[0], np.cumsum(sizes)])
    else:
        points = _static_ints(indices_or_sections, "array_split", "indices")
        bounds = np.array([0, *points, n])
    out = []
    for start, stop in itertools.pairwise(bounds):
        lo, hi, _ = builtins.slice(int(start), int(stop)).indices(n)
        out.append(_axis_slice(x, ax, lo, builtins.max(lo, hi)))
    return out


def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    """`numpy.split`: like `array_split`, but a number of sections must
    divide the axis equally."""
    if np.ndim(indices_or_sections) == 0:
        n = shape_of(ary)[normalize_axis("split", axis, len(shape_of(ary)))]
        sections = _static_int(indices_or_sections, "split", "sections")
        if sections <= 0 or n % sections:
            raise FuncgradValueError(
                f"`split`: array split does not result in an equal division "
                f"({n} elements into {sections} sections); use `array_split`."
            )
    return array_split(ary, indices_or_sections, axis)


def hsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    """`numpy.hsplit`: split along axis 1 (axis 0 for 1-d arrays)."""
    ndim = len(shape_of(ary))
    if ndim == 0:
        raise FuncgradValueError(
            "`hsplit` only works on arrays of 1 or more dimensions."
        )
    return split(ary, indices_or_sections, 1 if ndim > 1 else 0)


def vsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    """`numpy.vsplit`: split along axis 0 of an array of rank >= 2."""
    if len(shape_of(ary)) < 2:
        raise FuncgradValueError(
            "`vsplit` only works on arrays of 2 or more dimensions."
        )
    return split(ary, indices_or_sections, 0)


def dsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    """`numpy.dsplit`: split along axis 2 of an array of rank >= 3."""
    if len(shape_of(ary)) < 3:
        raise FuncgradValueError(
            "`dsplit` only works on arrays of 3 or more dimensions."
        )
    return split(ary, indices_or_sections, 2)


def unstack(x: Any, /, *, axis: int = 0) -> tuple[Any, ...]:
    """`numpy.unstack`: the slices of `x` along `axis`, as a tuple."""
    if is_eager(x):
        return tuple(to_ndarray(p) for p in np.unstack(x, axis=axis))
    x = as_operand(x)
    ax = normalize_axis("unstack", axis, get_aval(x).ndim)
    n = get_aval(x).shape[ax]
    return tuple(
        shape_ops.squeeze(_axis_slice(x, ax, i, i + 1), (ax,)) for i in range(n)
    )


# --- diagonals and triangles --------------------------------------------------


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """`numpy.diagonal`: the `offset` diagonal of the `axis1`, `axis2`
    planes, as the last axis of the result."""
    if is_eager(a):
        return to_ndarray(np.diagonal(a, offset, axis1, axis2)).copy()
    x = as_operand(a)
    ndim = get_aval(x).ndim
    if ndim < 2:
        raise FuncgradValueError(
            "`diagonal` requires an array of at least two dimensions."
        )
    i, j = (
        normalize_axis("diagonal", axis1, ndim),
        normalize_axis("diagonal", axis2, ndim),
    )
    if i == j:
        raise FuncgradValueError("`diagonal`: axis1 and axis2 cannot be the same.")
    offset = _static_int(offset, "diagonal", "offset")
    rest = [d for d in range(ndim) if d not in (i, j)]
    x = shape_ops.transpose(x, rest + [i, j])
    shape = get_aval(x).shape
    n, m = shape[-2], shape[-1]
    k = builtins.max(
        0, builtins.min(n, m - offset) if offset >= 0 else builtins.min(n + offset, m)
    )
    flat = shape_ops.reshape(x, shape[:-2] + (n * m,))
    if k == 0:
        return _axis_slice(flat, len(shape) - 2, 0, 0)
    start = offset if offset >= 0 else -offset * m
    return _axis_slice(
        flat, len(shape) - 2, start, start + (k - 1) * (m + 1) + 1, m + 1
    )


def trace(
    a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None
) -> Any:
    """`numpy.trace`: the sum along a diagonal."""
    if is_eager(a):
        return to_ndarray(np.trace(a, offset, axis1, axis2, dtype=dtype))
    return reductions.sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


def diag(v: Any, k: int = 0) -> Any:
    """`numpy.diag`: the `k`-th diagonal of a 2-d array, or a square matrix
    with a 1-d array on its `k`-th diagonal.

    >>> diag([1, 2], k=1)
    array([[0, 1, 0],
           [0, 0, 2],
           [0, 0, 0]])
    """
    if is_eager(v):
        return to_ndarray(np.diag(v, k))
    x = as_operand(v)
    k = _static_int(k, "diag", "k")
    ndim = get_aval(x).ndim
    if ndim == 2:
        return diagonal(x, k)
    if ndim != 1:
        raise FuncgradValueError("`diag`: input must be 1- or 2-d.")
    n = get_aval(x).shape[0]
    size = n + builtins.abs(k)
    if n == 0:
        return shape_ops.reshape(shape_ops.pad(x, ((size * size, 0, 0),)), (size, size))
    # Elements land size + 1 apart in the flattened matrix: interior padding.
    start = k if k >= 0 else -k * size
    end = size * size - start - (n - 1) * (size + 1) - 1
    flat = shape_ops.pad(x, ((start, end, size),))
    return shape_ops.reshape(flat, (size, size))


def diagflat(v: Any, k: int = 0) -> Any:
    """`numpy.diagflat`: `diag` of the flattened input."""
    if is_eager(v):
        return to_ndarray(np.diagflat(v, k))
    return diag(shapes.ravel(v), k)


def _triangle(name: str, m: Any, k: int, lower: bool) -> Any:
    x = as_operand(m)
    shape = get_aval(x).shape
    if not shape:
        raise FuncgradValueError(f"`{name}`: the input must be at least 1-d.")
    k = _static_int(k, name, "k")
    rows_cols = shape[-2:]
    if lower:
        mask = np.tri(*rows_cols, k=k, dtype=bool)
    else:
        mask = ~np.tri(*rows_cols, k=k - 1, dtype=bool)
    return ew.select(mask, x, const(0, x))


def tril(m: Any, k: int = 0) -> Any:
    """`numpy.tril`: zeros above the `k`-th diagonal of the last two axes."""
    if is_eager(m):
        return to_ndarray(np.tril(m, k))
    return _triangle("tril", m, k, lower=True)


def triu(m: Any, k: int = 0) -> Any:
    """`numpy.triu`: zeros below the `k`-th diagonal of the last two axes."""
    if is_eager(m):
        return to_ndarray(np.triu(m, k))
    return _triangle("triu", m, k, lower=False)


def tril_indices_from(arr: Any, k: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`numpy.tril_indices_from` (concrete indices from the shape alone)."""
    n, m = _square_shape("tril_indices_from", arr)
    return np.tril_indices(n, k=k, m=m)


def triu_indices_from(arr: Any, k: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`numpy.triu_indices_from` (concrete indices from the shape alone)."""
    n, m = _square_shape("triu_indices_from", arr)
    return np.triu_indices(n, k=k, m=m)


def diag_indices_from(arr: Any) -> tuple[np.ndarray, ...]:
    """`numpy.diag_indices_from` (concrete indices from the shape alone)."""
    shape = shape_of(arr)
    if len(shape) < 2 or len(set(shape)) != 1:
        raise FuncgradValueError(
            "`diag_indices_from`: the input must be at least 2-d with all "
            "dimensions of equal length."
        )
    return np.diag_indices(shape[0], len(shape))


def fill_diagonal(a: Any, val: Any, wrap: bool = False) -> None:
    """`numpy.fill_diagonal`: write `val` into the main diagonal of the
    numpy array `a` in place, and return None, as numpy does.

    A traced array cannot be changed in place (nor can a numpy array take
    a traced value), so those raise a `TypeError` that points to the
    functional update: `x.at[diag_indices(n, x.ndim)].set(val)` with
    `n = min(x.shape)` returns the filled copy (`at(x)` for numpy arrays).

    >>> a = np.zeros((2, 2))
    >>> fill_diagonal(a, 5.0)
    >>> a
    array([[5., 0.],
           [0., 5.]])
    """
    traced = isinstance(val, list | tuple) and isinstance(as_operand(val), Tracer)
    if isinstance(a, Tracer) or isinstance(val, Tracer) or traced:
        what = (
            f"a traced array ({get_aval(a).str_short()})"
            if isinstance(a, Tracer)
            else "a numpy array, with a traced value,"
        )
        raise FuncgradTypeError(
            f"`fill_diagonal` writes in place, and {what} cannot be changed "
            f"in place: funcgrad traces pure functions. Use the functional "
            f"update, which returns the filled copy: "
            f"`x.at[funcgrad.numpy.diag_indices(min(x.shape), x.ndim)].set(val)` "
            f"(`funcgrad.numpy.at(x)[...]` for a numpy array)."
        )
    np.fill_diagonal(a, val, wrap)


def _square_shape(name: str, arr: Any) -> tuple[int, int]:
    shape = shape_of(arr)
    if len(shape) != 2:
        raise FuncgradValueError(f"`{name}`: the input array must be 2-d.")
    return shape[0], shape[1]


# --- products and grids -------------------------------------------------------


def kron(a: Any, b: Any) -> Any:
    """`numpy.kron`: the Kronecker product (blocks `a[i, j] * b`)."""
    if is_eager(a, b):
        return to_ndarray(np.kron(a, b))
    a, b = promote(a, b)
    sa, sb = get_aval(a).shape, get_aval(b).shape
    nd = builtins.max(len(sa), len(sb))
    sa, sb = (1,) * (nd - len(sa)) + sa, (1,) * (nd - len(sb)) + sb
    wide = tuple(v for pair in zip(sa, sb) for v in pair)
    x = shape_ops.broadcast_in_dim(
        shape_ops.reshape(a, sa), wide, tuple(range(0, 2 * nd, 2))
    )
    y = shape_ops.broadcast_in_dim(
        shape_ops.reshape(b, sb), wide, tuple(range(1, 2 * nd, 2))
    )
    return shape_ops.reshape(ew.mul(x, y), tuple(p * q for p, q in zip(sa, sb)))


def broadcast_arrays(*args: Any) -> tuple[Any, ...]:
    """`numpy.broadcast_arrays`: the arguments broadcast to one shape."""
    if is_eager(*args):
        return tuple(np.broadcast_arrays(*args))
    operands = [as_operand(a) for a in args]
    try:
        shape = np.broadcast_shapes(*(get_aval(x).shape for x in operands))
    except ValueError:
        listed = ", ".join(str(get_aval(x).shape) for x in operands)
        raise ShapeError(
            f"`broadcast_arrays`: shapes {listed} cannot be broadcast together."
        ) from None
    return tuple(shape_ops.broadcast_to(x, shape) for x in operands)


def meshgrid(
    *xi: Any, copy: bool = True, sparse: bool = False, indexing: str = "xy"
) -> tuple[Any, ...]:
    """`numpy.meshgrid`: coordinate arrays from 1-d coordinate vectors, in
    "xy" (Cartesian, the default) or "ij" (matrix) indexing."""
    if indexing not in ("xy", "ij"):
        raise FuncgradValueError(
            f"`meshgrid`: indexing must be 'xy' or 'ij', got {indexing!r}."
        )
    if is_eager(*xi):
        return tuple(np.meshgrid(*xi, copy=copy, sparse=sparse, indexing=indexing))
    ndim = len(xi)
    out = []
    for i, x in enumerate(xi):
        shape = [1] * ndim
        shape[i] = -1
        if indexing == "xy" and ndim > 1 and i < 2:
            shape[i], shape[1 - i] = 1, -1
        out.append(shapes.reshape(x, shape))
    return tuple(out) if sparse else broadcast_arrays(*out)


def cross(
    a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1,
    axis: int | None = None,
) -> Any:  # fmt: skip
    """`numpy.cross` of 3-element vectors (2-element vectors count as having
    a zero third component) along `axisa` and `axisb`."""
    if is_eager(a, b):
        return to_ndarray(np.cross(a, b, axisa, axisb, axisc, axis))
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = promote(a, b)
    a = shapes.moveaxis(a, axisa, -1)
    b = shapes.moveaxis(b, axisb, -1)
    da, db = get_aval(a).shape[-1], get_aval(b).shape[-1]
    if da not in (2, 3) or db not in (2, 3):
        raise FuncgradValueError(
            f"`cross`: incompatible dimensions for cross product (dimension "
            f"must be 2 or 3), got {da} and {db}."
        )
    if da == db == 2:
        raise FuncgradValueError(
            "`cross`: 2-element vectors on both sides give a scalar; numpy 2 "
            "deprecates this, so compute `a[..., 0] * b[..., 1] - a[..., 1] * "
            "b[..., 0]` instead."
        )
    ca, cb = _components(a, da), _components(b, db)

    def term(i: int, j: int) -> Any:
        return ufuncs.subtract(
            ufuncs.multiply(ca[i], cb[j]), ufuncs.multiply(ca[j], cb[i])
        )

    out = shapes.stack(broadcast_arrays(term(1, 2), term(2, 0), term(0, 1)), axis=-1)
    return shapes.moveaxis(out, -1, axisc)


def _components(x: Any, size: int) -> list[Any]:
    last = get_aval(x).ndim - 1
    parts = [
        shape_ops.squeeze(_axis_slice(x, last, i, i + 1), (last,)) for i in range(size)
    ]
    if size == 2:
        parts.append(ew.mul(parts[0], const(0, parts[0])))
    return parts


# --- joining ------------------------------------------------------------------


def append(arr: Any, values: Any, axis: int | None = None) -> Any:
    """`numpy.append`: `values` joined after `arr` (both flattened when
    `axis` is None)."""
    if is_eager(arr, values):
        return to_ndarray(np.append(arr, values, axis))
    if axis is None:
        return shapes.concatenate([shapes.ravel(arr), shapes.ravel(values)], axis=0)
    return shapes.concatenate([arr, values], axis=axis)


def column_stack(tup: Sequence[Any]) -> Any:
    """`numpy.column_stack`: 1-d arrays as columns, joined along axis 1."""
    if is_eager(*tup):
        return to_ndarray(np.column_stack(tup))
    columns = []
    for x in sequence_of_operands(tup, "column_stack"):
        shape = get_aval(x).shape
        columns.append(
            shape_ops.reshape(x, (builtins.max(shape[:1] or (1,)), 1))
            if len(shape) < 2
            else x
        )
    return shapes.concatenate(columns, axis=1)


def dstack(tup: Sequence[Any]) -> Any:
    """`numpy.dstack`: join along the third axis (after `atleast_3d`)."""
    if is_eager(*tup):
        return to_ndarray(np.dstack(tup))
    arrays = [shapes.atleast_3d(x) for x in sequence_of_operands(tup, "dstack")]
    return shapes.concatenate(arrays, axis=2)


def block(arrays: Any) -> Any:
    """`numpy.block`: assemble an array from nested lists of blocks; the
    innermost lists join along the last axis."""
    leaves = _block_leaves(arrays)
    if is_eager(*leaves):
        return to_ndarray(np.block(arrays))
    depth = _block_depth(arrays)
    ndim = builtins.max([depth] + [len(shape_of(x)) for x in leaves])
    return _assemble(arrays, depth, 0, ndim)


def _block_leaves(arrays: Any) -> list[Any]:
    if isinstance(arrays, list):
        return [leaf for item in arrays for leaf in _block_leaves(item)]
    if isinstance(arrays, tuple):
        raise FuncgradTypeError("`block`: use lists, not tuples, to nest blocks.")
    return [arrays]


def _block_depth(arrays: Any) -> int:
    if not isinstance(arrays, list):
        return 0
    if not arrays:
        raise FuncgradValueError("`block`: lists cannot be empty.")
    depths = {_block_depth(a) for a in arrays}
    if len(depths) != 1:
        raise FuncgradValueError("`block`: list depths are mismatched.")
    return depths.pop() + 1


def _assemble(arrays: Any, depth: int, level: int, ndim: int) -> Any:
    if isinstance(arrays, list):
        parts = [_assemble(a, depth, level + 1, ndim) for a in arrays]
        return shapes.concatenate(parts, axis=level - depth)
    x = as_operand(arrays)
    shape = get_aval(x).shape
    return shape_ops.reshape(x, (1,) * (ndim - len(shape)) + shape)


def resize(a: Any, new_shape: Any) -> Any:
    """`numpy.resize`: the flattened array repeated (or cut) to `new_shape`."""
    if is_eager(a):
        return to_ndarray(np.resize(a, new_shape))
    shape = _static_ints(new_shape, "resize", "new_shape")
    if any(s < 0 for s in shape):
        raise FuncgradValueError(
            "`resize`: all elements of `new_shape` must be non-negative."
        )
    flat = shapes.ravel(a)
    n, total = get_aval(flat).shape[0], int(np.prod(shape, dtype=np.int64))
    if n == 0:
        return np.zeros(shape, get_aval(flat).dtype)
    if total == 0:
        return shape_ops.reshape(_axis_slice(flat, 0, 0, 0), shape)
    copies = -(-total // n)
    return shape_ops.reshape(_axis_slice(tile(flat, copies), 0, 0, total), shape)


def insert(arr: Any, obj: Any, values: Any, axis: int | None = None) -> Any:
    """`numpy.insert` with concrete positions `obj` (an index, a slice or a
    sequence); `arr` and `values` may be traced. Which element lands where
    is worked out by numpy itself on labels, so broadcasting and ordering
    follow numpy exactly; the result gathers from `arr` and `values`."""
    if is_eager(arr, values):
        return to_ndarray(np.insert(arr, obj, values, axis))
    if isinstance(obj, Tracer):
        obj = obj.concrete_value("`insert`'s positions")
    x, v = as_operand(arr), as_operand(values)
    v = cast(v, get_aval(x).dtype)
    x_shape, v_shape = get_aval(x).shape, get_aval(v).shape
    x_labels = np.arange(1, int(np.prod(x_shape)) + 1).reshape(x_shape)
    v_labels = -np.arange(1, int(np.prod(v_shape)) + 1).reshape(v_shape)
    labels = np.insert(x_labels, obj, v_labels, axis)
    flat = shape_ops.concatenate([shapes.ravel(x), shapes.ravel(v)], 0)
    sources = np.where(labels > 0, labels - 1, x_labels.size - labels - 1)
    return shape_ops.reshape(take_static(flat, sources.ravel(), 0), labels.shape)


def delete(arr: Any, obj: Any, axis: int | None = None) -> Any:
    """`numpy.delete` with concrete indices, a slice or a boolean mask."""
    if is_eager(arr):
        return to_ndarray(np.delete(arr, obj, axis))
    x = as_operand(arr)
    if axis is None:
        x, axis = shape_ops.reshape(x, (get_aval(x).size,)), 0
    ax = normalize_axis("delete", axis, get_aval(x).ndim)
    n = get_aval(x).shape[ax]
    if isinstance(obj, Tracer):
        obj = obj.concrete_value("`delete`'s indices")
    if isinstance(obj, np.ndarray | list) and np.asarray(obj).dtype == bool:
        keep = ~np.asarray(obj)
    else:
        keep = np.ones(n, bool)
        keep[obj] = False
    return take_static(x, np.flatnonzero(keep), ax)


def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> Any:
    """`numpy.select`: for each element, the choice of the first true
    condition, else `default`."""
    if is_eager(*condlist, *choicelist, default):
        return to_ndarray(np.select(condlist, choicelist, default))
    if len(condlist) != len(choicelist):
        raise FuncgradValueError(
            "`select`: list of cases must be same length as list of conditions."
        )
    if not condlist:
        raise FuncgradValueError(
            "`select` with an empty condition list is not possible."
        )
    out = default
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        if get_aval(as_operand(cond)).dtype != np.bool_:
            raise FuncgradTypeError(
                "`select`: invalid entry in condlist: should be boolean ndarray."
            )
        out = ufuncs.where(cond, choice, out)
    return cast(as_operand(out), result_dtype(*choicelist, default))


# --- array-API names ----------------------------------------------------------


def matrix_transpose(x: Any, /) -> Any:
    """`numpy.matrix_transpose`: swap the last two axes."""
    if len(shape_of(x)) < 2:
        raise FuncgradValueError("`matrix_transpose`: input must be at least 2-d.")
    return shapes.swapaxes(x, -1, -2)


def permute_dims(a: Any, /, axes: Sequence[int] | None = None) -> Any:
    """`numpy.permute_dims`: `transpose` under its array-API name."""
    return shapes.transpose(a, axes)


def concat(arrays: Sequence[Any], /, *, axis: int | None = 0) -> Any:
    """`numpy.concat`: `concatenate` under its array-API name."""
    return shapes.concatenate(arrays, axis=axis)


def rollaxis(a: Any, axis: int, start: int = 0) -> Any:
    """`numpy.rollaxis`: move `axis` to before position `start`."""
    if is_eager(a):
        return to_ndarray(np.rollaxis(a, axis, start))
    ndim = len(shape_of(a))
    axis = normalize_axis("rollaxis", axis, ndim)
    if start < 0:
        start += ndim
    if not 0 <= start <= ndim:
        raise FuncgradValueError(f"`rollaxis`: start {start} is out of range.")
    if axis < start:
        start -= 1
    if axis == start:
        return as_operand(a)
    return shapes.moveaxis(a, axis, start)


def vecdot(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    """`numpy.vecdot`: sum products along `axis`, broadcasting the rest."""
    if is_eager(x1, x2):
        return to_ndarray(np.vecdot(x1, x2, axis=axis))
    x, y = promote(x1, x2)
    return reductions.sum(ew.mul(x, y), axis=axis)


def matvec(x1: Any, x2: Any, /) -> Any:
    """`numpy.matvec`: matrix-vector products, broadcast over leading axes."""
    if is_eager(x1, x2):
        return to_ndarray(np.matvec(x1, x2))
    from funcgrad.numpy._linalg import matmul

    return matmul(x1, as_operand(x2)[..., None])[..., 0]


def vecmat(x1: Any, x2: Any, /) -> Any:
    """`numpy.vecmat`: vector-matrix products, broadcast over leading axes."""
    if is_eager(x1, x2):
        return to_ndarray(np.vecmat(x1, x2))
    from funcgrad.numpy._linalg import matmul

    return matmul(as_operand(x1)[..., None, :], x2)[..., 0, :]
