"""Indexing of traced arrays with numpy's full semantics, functional
updates (`x.at[i].set(v)` and friends), `take`, `take_along_axis`, `sort`
and `argsort`.

An index is planned in two steps. Slices, integers and `None` (basic
indexing) become static `rev`, `slice`, `squeeze` and `expand_dims`
primitives. Integer arrays, boolean masks and, when arrays are present,
integers too (advanced indexing) become one `gather` over the sliced
array, whose result is transposed to where numpy puts it: in place of the
advanced indices when they are adjacent, in front when a slice or `None`
separates them.

Concrete index arrays are checked like numpy's (an `IndexError` out of
bounds). Traced index arrays (computed inside a `jit`ted function, say from
`argmax`) cannot be checked: a negative index has the axis length added
once, and what is still out of bounds is clamped into the axis when
reading, and dropped when updating (JAX does the same). A boolean mask must
be concrete, since the result's shape is its number of true elements.

Updates are functional: `x.at[i].add(v)` returns a new array, adding
repeated indices' updates together (`numpy.add.at`, not `x[i] += v`);
`set` keeps the last of repeated writes; `min` and `max` split derivatives
evenly between ties. `funcgrad.numpy.at(x)` is the same for plain numpy
arrays, which have no `.at`.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

import numpy as np

from funcgrad.core import Tracer, get_aval
from funcgrad.errors import (
    ConcretizationError,
    FuncgradTypeError,
    FuncgradValueError,
    ShapeError,
)
from funcgrad.numpy._util import as_operand, cast, is_eager, to_ndarray
from funcgrad.primitives import _elementwise as ew
from funcgrad.primitives import _indexing as ix
from funcgrad.primitives import _shape as shape_ops
from funcgrad.primitives._util import normalize_axis

# --- reading an index ----------------------------------------------------------


def _unsupported(entry: Any) -> FuncgradTypeError:
    kind = type(entry).__name__
    return FuncgradTypeError(
        f"Indexing a traced array with a {kind} is not supported: an index is "
        f"made of integers, slices, `None`, `...`, integer arrays and "
        f"concrete boolean masks (as in numpy)."
    )


def _concrete(entry: Tracer) -> Any:
    """The value behind a traced index, or None where it is abstract."""
    try:
        return entry.concrete_value("Indexing")
    except ConcretizationError:
        return None


def _mask_error(entry: Tracer) -> ConcretizationError:
    return ConcretizationError(
        f"Indexing with a traced boolean mask ({entry.aval.str_short()}) is "
        f"not possible here: the result's shape would be the number of true "
        f"elements, which is unknown while the function is traced (inside "
        f"`jit`, say). Keep the shape with `funcgrad.numpy.where(mask, x, 0)` "
        f"(or `where(mask, x, -inf)` before a max), or compute the mask "
        f"outside the transformed function."
    )


def _static_int(entry: Any) -> int | None:
    if isinstance(entry, bool | np.bool_):
        return None
    if isinstance(entry, int | np.integer):
        return int(entry)
    if isinstance(entry, np.ndarray) and entry.ndim == 0 and entry.dtype.kind in "iu":
        return int(entry)
    return None


def _slice_part(value: Any) -> Any:
    if isinstance(value, Tracer):
        return int(value.concrete_value("A slice bound"))
    return value


def _tokens(entry: Any) -> list[tuple]:
    """One index entry as tokens: ("new",), ("...",), ("slice", s),
    ("int", i) or ("array", a), one "array" per axis a mask covers."""
    if entry is None:
        return [("new",)]
    if entry is Ellipsis:
        return [("...",)]
    if isinstance(entry, builtins.slice):
        parts = (_slice_part(entry.start), _slice_part(entry.stop))
        return [("slice", builtins.slice(*parts, _slice_part(entry.step)))]
    if isinstance(entry, bool | np.bool_):
        raise _unsupported(entry)
    i = _static_int(entry)
    if i is not None:
        return [("int", i)]
    if isinstance(entry, Tracer):
        value = _concrete(entry)
        if value is None:
            if entry.aval.dtype == np.bool_:
                raise _mask_error(entry)
            return _array_tokens(entry)
        entry = np.asarray(value)
    elif isinstance(entry, list | tuple):
        entry = as_operand(entry)
        if isinstance(entry, Tracer):
            return _array_tokens(entry)
        if entry.size == 0 and entry.dtype.kind == "f":
            entry = entry.astype(np.intp)
    if not isinstance(entry, np.ndarray):
        raise _unsupported(entry)
    if entry.dtype == np.bool_:
        if entry.ndim == 0:
            raise _unsupported(entry)
        return [("array", a, entry.shape[k]) for k, a in enumerate(entry.nonzero())]
    if entry.ndim == 0 and entry.dtype.kind in "iu":
        return [("int", int(entry))]
    return _array_tokens(entry)


def _array_tokens(entry: Any) -> list[tuple]:
    if get_aval(entry).dtype.kind not in "iu":
        raise IndexError(
            "arrays used as indices must be of integer (or boolean) type, got "
            f"{get_aval(entry).str_short()}"
        )
    return [("array", entry, None)]


def _expand_ellipsis(tokens: list[tuple], ndim: int) -> list[tuple]:
    count = sum(1 for t in tokens if t[0] == "...")
    if count > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(1 for t in tokens if t[0] in ("slice", "int", "array"))
    if used > ndim:
        raise IndexError(
            f"too many indices for array: array is {ndim}-dimensional, but "
            f"{used} were indexed"
        )
    fill = [("slice", builtins.slice(None))] * (ndim - used)
    if count == 0:
        return tokens + fill
    at = next(k for k, t in enumerate(tokens) if t[0] == "...")
    # numpy counts an `...` as separating advanced indices, even when it
    # stands for no axis at all.
    return tokens[:at] + [("sep",)] + fill + tokens[at + 1 :]


def _slice_bounds(entry: builtins.slice, n: int) -> tuple[int, int, int]:
    """`(start, limit, step)` of a Python slice; a negative step is given in
    the coordinates of the reversed axis."""
    r = range(*entry.indices(n))
    step = r.step
    if len(r) == 0:
        return 0, 0, step
    first = r[0] if step > 0 else n - 1 - r[0]
    return first, first + (len(r) - 1) * abs(step) + 1, step


def _normalized(arr: Any, n: int, axis: int) -> Any:
    """Index values in `[0, n)`: concrete ones checked, traced ones with `n`
    added to negative values."""
    if isinstance(arr, Tracer):
        arr = ew.convert_element_type(arr, np.int64)
        wrapped = ew.add(arr, np.asarray(n, np.int64))
        return ew.select(ew.lt(arr, np.asarray(0, np.int64)), wrapped, arr)
    arr = np.asarray(arr)
    bad = (arr < -n) | (arr >= n)
    if bad.any():
        raise IndexError(
            f"index {int(arr[bad].flat[0])} is out of bounds for axis {axis} "
            f"with size {n}"
        )
    return np.where(arr < 0, arr + n, arr).astype(np.int64)


def _stack(arrays: list[Any]) -> tuple[Any, tuple]:
    """Index arrays broadcast together and stacked along a new last axis."""
    shapes = [get_aval(a).shape for a in arrays]
    try:
        batch = tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        listed = " ".join(str(s) for s in shapes)
        raise IndexError(
            f"shape mismatch: indexing arrays could not be broadcast together "
            f"with shapes {listed}"
        ) from None
    if not any(isinstance(a, Tracer) for a in arrays):
        return np.stack([np.broadcast_to(a, batch) for a in arrays], -1), batch
    columns = [
        shape_ops.expand_dims(shape_ops.broadcast_to(a, batch), (len(batch),))
        for a in arrays
    ]
    return shape_ops.concatenate(columns, len(batch)), batch


# --- the plan -----------------------------------------------------------------------


class _Plan:
    """How one index reads an array of one shape (see the module docstring).

    `x[index]` is `finish(gather(start(x)))`; an update writes into
    `start(x)` and puts the result back where `start` took it from.
    """

    def __init__(self, shape: tuple, index: Any) -> None:
        entries = index if isinstance(index, tuple) else (index,)
        tokens = [t for e in entries for t in _tokens(e)]
        tokens = _expand_ellipsis(tokens, len(shape))
        self.shape = shape
        self.advanced = any(t[0] == "array" for t in tokens)
        self.starts: list[int] = []
        self.limits: list[int] = []
        self.strides: list[int] = []
        self.flips: list[int] = []
        self.drops: list[int] = []
        adv_axes: list[int] = []
        layout: list[Any] = []
        arrays: list[Any] = []
        for token in tokens:
            if token[0] in ("new", "sep"):
                layout.append(token[0])
                continue
            d = len(self.starts)
            n = shape[d]
            if token[0] == "slice":
                s, e, st = _slice_bounds(token[1], n)
                if st < 0:
                    self.flips.append(d)
                self._take(s, e, abs(st))
                layout.append("y")
            elif token[0] == "int" and not self.advanced:
                i = token[1]
                if not -n <= i < n:
                    raise IndexError(
                        f"index {i} is out of bounds for axis {d} with size {n}"
                    )
                self._take(i % n, i % n + 1, 1)
                self.drops.append(d)
            else:
                self._check_mask(token, n, d)
                value = token[1] if token[0] == "array" else np.asarray(token[1])
                arrays.append(_normalized(value, n, d))
                self._take(0, n, 1)
                adv_axes.append(d)
                layout.append("adv")
        self.adv_axes = tuple(adv_axes)
        self._plan_result(layout, arrays)

    def _take(self, start: int, limit: int, stride: int) -> None:
        self.starts.append(start)
        self.limits.append(limit)
        self.strides.append(stride)

    @staticmethod
    def _check_mask(token: tuple, n: int, d: int) -> None:
        if token[0] == "array" and token[2] is not None and token[2] != n:
            raise IndexError(
                f"boolean index did not match indexed array along axis {d}; "
                f"size of axis is {n} but size of corresponding boolean axis "
                f"is {token[2]}"
            )

    def _plan_result(self, layout: list[Any], arrays: list[Any]) -> None:
        """Where each axis of the gathered array goes in the result."""
        self.sliced_shape = tuple(
            builtins.max(0, -(-(e - s) // st))
            for s, e, st in zip(self.starts, self.limits, self.strides)
        )
        if not self.advanced:
            self.idx, batch = None, ()
            kept = [n for d, n in enumerate(self.sliced_shape) if d not in self.drops]
        else:
            self.idx, batch = _stack(arrays)
            kept = [
                n for d, n in enumerate(self.sliced_shape) if d not in self.adv_axes
            ]
        adv_at = [k for k, item in enumerate(layout) if item == "adv"]
        if adv_at and adv_at[-1] - adv_at[0] + 1 == len(adv_at):
            items = layout[: adv_at[0]] + ["B"] + layout[adv_at[-1] + 1 :]
        elif adv_at:
            items = ["B"] + [item for item in layout if item != "adv"]
        else:
            items = layout
        items = [item for item in items if item != "sep"]
        nb = len(batch)
        gathered = batch + tuple(kept)
        self.perm: list[int] = []
        self.new_axes: list[int] = []
        rest = nb
        for item in items:
            if item == "B":
                self.perm += range(nb)
            elif item == "new":
                self.new_axes.append(len(self.perm) + len(self.new_axes))
            else:
                self.perm.append(rest)
                rest += 1
        out = [gathered[p] for p in self.perm]
        for a in self.new_axes:
            out.insert(a, 1)
        self.out_shape = tuple(out)

    def _trivial_slices(self) -> bool:
        return (
            not self.flips
            and self.sliced_shape == tuple(self.shape)
            and all(st == 1 for st in self.strides)
        )

    def start(self, x: Any) -> Any:
        x = shape_ops.rev(x, self.flips)
        return shape_ops.slice(x, self.starts, self.limits, self.strides)

    def finish(self, y: Any) -> Any:
        """The result from the sliced array `y`: gathered, moved, expanded."""
        if self.advanced:
            y = ix.gather(y, self.idx, self.adv_axes, "clip")
        else:
            y = shape_ops.squeeze(y, self.drops)
        y = shape_ops.transpose(y, self.perm)
        return shape_ops.expand_dims(y, self.new_axes)

    def updates(self, v: Any) -> Any:
        """Values of the result's shape, in the layout the scatter takes (or
        the sliced array's shape when there is no advanced index)."""
        v = shape_ops.squeeze(v, self.new_axes)
        v = shape_ops.transpose(v, tuple(np.argsort(self.perm)))
        return v if self.advanced else shape_ops.expand_dims(v, self.drops)

    def put_back(self, x: Any, y_new: Any) -> Any:
        """`x` with the part `start` took replaced by `y_new`."""
        if self._trivial_slices():
            return y_new
        config = []
        for s, n, st, m in zip(
            self.starts, self.shape, self.strides, self.sliced_shape
        ):
            config.append(
                (n, 0, 0) if m == 0 else (s, n - (s + (m - 1) * st) - 1, st - 1)
            )
        bounds = zip(self.starts, self.limits, self.strides)
        mask = np.zeros(self.shape, dtype=bool)
        mask[tuple(builtins.slice(*b) for b in bounds)] = True
        placed = ew.select(
            mask, shape_ops.pad(y_new, config), shape_ops.rev(x, self.flips)
        )
        return shape_ops.rev(placed, self.flips)


def getitem(x: Any, index: Any) -> Any:
    """`x[index]` for a traced `x`, with numpy's semantics."""
    plan = _Plan(get_aval(x).shape, index)
    return plan.finish(plan.start(x))


def setitem(x: Any, index: Any, value: Any) -> None:
    raise FuncgradTypeError(
        f"A traced array ({get_aval(x).str_short()}) cannot be assigned to "
        f"in place: funcgrad traces pure functions, so `x[i] = v` would "
        f"change a value the program already recorded. Write the update "
        f"functionally and use the new array: `x = x.at[i].set(v)` (or "
        f"`.add(v)`, `.multiply(v)`, `.min(v)`, `.max(v)`); for a plain "
        f"numpy array, `funcgrad.numpy.at(x)[i].set(v)`."
    )


# --- functional updates -------------------------------------------------------------


class _IndexUpdater:
    """`x.at`: `x.at[index]` names the elements that an update replaces."""

    __slots__ = ("_x",)

    def __init__(self, x: Any) -> None:
        self._x = x

    def __getitem__(self, index: Any) -> _IndexUpdate:
        return _IndexUpdate(self._x, index)

    def __repr__(self) -> str:
        return f"_IndexUpdater({self._x!r})"


def _replace(y: Any, v: Any) -> Any:
    return v


_COMBINERS: dict[str, tuple[Callable[..., Any], Any]] = {
    "set": (_replace, ix.scatter),
    "add": (ew.add, ix.scatter_add),
    "multiply": (ew.mul, ix.scatter_mul),
    "min": (ew.min, ix.scatter_min),
    "max": (ew.max, ix.scatter_max),
}


class _IndexUpdate:
    """`x.at[index]`: each method returns a new array, `x` is unchanged."""

    __slots__ = ("_index", "_x")

    def __init__(self, x: Any, index: Any) -> None:
        self._x = as_operand(x)
        self._index = index

    def get(self) -> Any:
        """`x[index]`."""
        if is_eager(self._x, *_leaves(self._index)):
            return to_ndarray(np.asarray(self._x)[self._index])
        return getitem(self._x, self._index)

    def set(self, values: Any) -> Any:
        """`x` with `x[index] = values`; of repeated indices the last wins."""
        return self._apply("set", values)

    def add(self, values: Any) -> Any:
        """`x` with `values` added at `index` (repeated indices add up)."""
        return self._apply("add", values)

    def subtract(self, values: Any) -> Any:
        """`x` with `values` subtracted at `index`."""
        return self._apply("add", ew.neg(self._cast(values)))

    def multiply(self, values: Any) -> Any:
        """`x` with the elements at `index` multiplied by `values`."""
        return self._apply("multiply", values)

    def divide(self, values: Any) -> Any:
        """`x` with the elements at `index` divided by `values`."""
        if get_aval(self._x).dtype.kind != "f":
            raise FuncgradTypeError(
                f"`.at[...].divide` needs a floating-point array, got "
                f"{get_aval(self._x).str_short()} (numpy's `x[i] /= v` fails "
                f"on integers too); convert with `x.astype(float)` first."
            )
        values = self._cast(values)
        return self._apply("multiply", ew.div(np.ones((), values.dtype), values))

    def min(self, values: Any) -> Any:
        """`x` with `minimum(x[index], values)` at `index`."""
        return self._apply("min", values)

    def max(self, values: Any) -> Any:
        """`x` with `maximum(x[index], values)` at `index`."""
        return self._apply("max", values)

    def _cast(self, values: Any) -> Any:
        return cast(as_operand(values), get_aval(self._x).dtype)

    def _apply(self, op: str, values: Any) -> Any:
        x = self._x
        plan = _Plan(get_aval(x).shape, self._index)
        v = _broadcast_update(self._cast(values), plan.out_shape, op)
        elementwise, scatter = _COMBINERS[op]
        y = plan.start(x)
        if plan.advanced:
            y_new = scatter(y, plan.idx, plan.updates(v), plan.adv_axes, "fill")
        else:
            y_new = elementwise(y, plan.updates(v))
        out = plan.put_back(x, y_new)
        return to_ndarray(out) if not isinstance(out, Tracer) else out

    def __repr__(self) -> str:
        return f"_IndexUpdate({self._x!r}, {self._index!r})"


def _leaves(index: Any) -> list[Any]:
    entries = index if isinstance(index, tuple) else (index,)
    out = []
    for e in entries:
        if isinstance(e, builtins.slice):
            out += [e.start, e.stop, e.step]
        elif isinstance(e, list):
            out += _leaves(tuple(e))
        else:
            out.append(e)
    return out


def _broadcast_update(v: Any, shape: tuple, op: str) -> Any:
    v_shape = get_aval(v).shape
    extra = len(v_shape) - len(shape)
    if extra > 0 and all(n == 1 for n in v_shape[:extra]):
        v = shape_ops.reshape(v, v_shape[extra:])
        v_shape = v_shape[extra:]
    try:
        if tuple(np.broadcast_shapes(v_shape, shape)) != tuple(shape):
            raise ValueError
    except ValueError:
        raise ShapeError(
            f"`x.at[...].{op}(values)`: values of shape {v_shape} cannot be "
            f"broadcast to the indexed shape {shape}."
        ) from None
    return shape_ops.broadcast_to(v, shape)


def at(x: Any) -> _IndexUpdater:
    """Functional index updates for any array: `at(x)[i].set(v)` is
    `x.at[i].set(v)`, which plain numpy arrays do not have.

    >>> import numpy as np, funcgrad.numpy as fnp
    >>> fnp.at(np.zeros(3))[np.array([0, 0, 2])].add(1.0)
    array([2., 0., 1.])
    """
    return _IndexUpdater(x)


# --- take, take_along_axis, sort, argsort -----------------------------------------


def take(a: Any, indices: Any, axis: int | None = None, mode: str | None = None) -> Any:
    """`numpy.take`: elements of `a` at `indices` along `axis` (of the
    flattened `a` when `axis` is None). `mode` is numpy's: "raise" (the
    default; traced indices are clamped instead), "wrap" or "clip".

    >>> import funcgrad.numpy as fnp
    >>> fnp.take(fnp.arange(5.0), [4, 0, 4])
    array([4., 0., 4.])
    """
    if mode not in (None, "raise", "wrap", "clip"):
        raise FuncgradValueError(
            f"`take`: mode must be 'raise', 'wrap' or 'clip', got {mode!r}."
        )
    if is_eager(a, indices):
        return to_ndarray(np.take(a, indices, axis=axis, mode=mode or "raise"))
    if mode == "raise" and isinstance(indices, Tracer):
        raise FuncgradTypeError(
            "`take(..., mode='raise')` cannot check traced indices (their "
            "values are not known while tracing). Pass mode='clip', or leave "
            "`mode` out to clamp out-of-range traced indices as documented."
        )
    a, indices = as_operand(a), as_operand(indices)
    if axis is None:
        a, axis = shape_ops.reshape(a, (get_aval(a).size,)), 0
    axis = normalize_axis("take", axis, get_aval(a).ndim)
    n = get_aval(a).shape[axis]
    if mode in ("wrap", "clip"):
        indices = _wrap_or_clip(indices, n, mode)
    return getitem(a, (builtins.slice(None),) * axis + (indices,))


def _wrap_or_clip(indices: Any, n: int, mode: str) -> Any:
    if not isinstance(indices, Tracer):
        indices = np.asarray(indices)
        return np.mod(indices, n) if mode == "wrap" else np.clip(indices, 0, n - 1)
    if mode == "wrap":
        raise FuncgradTypeError(
            "`take(..., mode='wrap')` needs concrete indices; traced ones "
            "support mode 'clip' or the default (clamping)."
        )
    indices = ew.convert_element_type(indices, np.int64)
    low, high = np.asarray(0, np.int64), np.asarray(n - 1, np.int64)
    return ew.max(ew.min(indices, high), low)


def take_along_axis(arr: Any, indices: Any, axis: int | None = -1) -> Any:
    """`numpy.take_along_axis`: `arr` read at `indices` along `axis`, the
    other axes matched position by position (broadcasting as numpy does).

    >>> import numpy as np, funcgrad.numpy as fnp
    >>> x = np.array([[3.0, 1.0, 2.0]])
    >>> fnp.take_along_axis(x, fnp.argsort(x, axis=1), axis=1)
    array([[1., 2., 3.]])
    """
    if is_eager(arr, indices):
        return to_ndarray(np.take_along_axis(arr, indices, axis=axis))
    arr, indices = as_operand(arr), as_operand(indices)
    if axis is None:
        if get_aval(indices).ndim != 1:
            raise FuncgradValueError(
                "`take_along_axis` with axis=None takes 1-d indices, got "
                f"{get_aval(indices).str_short()}."
            )
        arr, axis = shape_ops.reshape(arr, (get_aval(arr).size,)), 0
    shape = get_aval(arr).shape
    if get_aval(indices).ndim != len(shape):
        raise FuncgradValueError(
            f"`take_along_axis`: `indices` ({get_aval(indices).str_short()}) "
            f"and `arr` ({get_aval(arr).str_short()}) must have the same "
            f"number of dimensions."
        )
    axis = normalize_axis("take_along_axis", axis, len(shape))
    index: list[Any] = []
    for d, n in enumerate(shape):
        if d == axis:
            index.append(indices)
            continue
        expanded = [1] * len(shape)
        expanded[d] = n
        index.append(np.arange(n).reshape(expanded))
    return getitem(arr, tuple(index))


def _sort_axis(a: Any, axis: int | None, kind: Any, order: Any, name: str) -> tuple:
    if order is not None:
        raise FuncgradTypeError(
            f"`{name}`: `order` (structured arrays) is not supported."
        )
    if kind not in (None, "stable", "mergesort", "quicksort", "heapsort"):
        raise FuncgradValueError(f"`{name}`: unknown sort kind {kind!r}.")
    a = as_operand(a)
    if axis is None:
        return shape_ops.reshape(a, (get_aval(a).size,)), 0
    ndim = get_aval(a).ndim
    if ndim == 0:
        raise ShapeError(f"`{name}`: axis {axis} is out of bounds for a 0-d array.")
    return a, normalize_axis(name, axis, ndim)


def sort(a: Any, axis: int | None = -1, kind: Any = None, order: Any = None, *,
         stable: Any = None) -> Any:  # fmt: skip
    """`numpy.sort`. The derivative moves each tangent with its element,
    through the permutation a stable `argsort` finds (so of tied elements
    the first in `a` comes first).

    >>> import funcgrad.numpy as fnp
    >>> fnp.sort(fnp.array([3.0, 1.0, 2.0]))
    array([1., 2., 3.])
    """
    if is_eager(a):
        return to_ndarray(np.sort(a, axis=axis, kind=kind, order=order))
    a, axis = _sort_axis(a, axis, kind, order, "sort")
    return ix.sort(a, axis)


def argsort(a: Any, axis: int | None = -1, kind: Any = None, order: Any = None, *,
            stable: Any = None) -> Any:  # fmt: skip
    """`numpy.argsort`, always stable; int64 positions, no derivative.

    >>> import funcgrad.numpy as fnp
    >>> fnp.argsort(fnp.array([3.0, 1.0, 1.0]))
    array([1, 2, 0])
    """
    if is_eager(a):
        return to_ndarray(np.argsort(a, axis=axis, kind="stable", order=order))
    a, axis = _sort_axis(a, axis, kind, order, "argsort")
    return ix.argsort(a, axis)
