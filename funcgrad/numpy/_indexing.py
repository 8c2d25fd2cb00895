"""Basic indexing of traced arrays: integers, slices (any step), `None` and
`...`, as numpy defines them. Each index becomes static `rev`, `slice`,
`squeeze` and `expand_dims` primitives.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad.core import Tracer, get_aval
from funcgrad.errors import FuncgradTypeError
from funcgrad.primitives import _shape as shape_ops


def _unsupported(entry: Any) -> FuncgradTypeError:
    kind = type(entry).__name__
    return FuncgradTypeError(
        f"Indexing a traced array with a {kind} is not supported yet: only "
        f"integers, slices, `None` and `...` (basic indexing) are. For a "
        f"mask, use `funcgrad.numpy.where(mask, x, 0)`; to pick rows, "
        f"multiply by a one-hot matrix."
    )


def _static_int(entry: Any) -> int | None:
    if isinstance(entry, bool | np.bool_):
        return None
    if isinstance(entry, int | np.integer):
        return int(entry)
    if isinstance(entry, np.ndarray) and entry.ndim == 0 and entry.dtype.kind in "iu":
        return int(entry)
    if (
        isinstance(entry, Tracer)
        and entry.aval.shape == ()
        and entry.aval.dtype.kind in "iu"
    ):
        return int(entry.concrete_value("Indexing with a traced integer"))
    return None


def _expand_ellipsis(index: tuple, ndim: int) -> tuple:
    count = sum(1 for e in index if e is Ellipsis)
    if count > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(1 for e in index if e is not None and e is not Ellipsis)
    if used > ndim:
        raise IndexError(
            f"too many indices for array: array is {ndim}-dimensional, but {used} were indexed"
        )
    if count == 0:
        return index + (slice(None),) * (ndim - used)
    at = index.index(Ellipsis)
    return index[:at] + (slice(None),) * (ndim - used) + index[at + 1 :]


def getitem(x: Any, index: Any) -> Any:
    """`x[index]` for a traced `x`."""
    index = index if isinstance(index, tuple) else (index,)
    shape = get_aval(x).shape
    index = _expand_ellipsis(index, len(shape))
    starts, limits, strides, flips, drops = [], [], [], [], []
    new_axes, out_rank, dim = [], 0, 0
    for entry in index:
        if entry is None:
            new_axes.append(out_rank)
            out_rank += 1
            continue
        n = shape[dim]
        i = _static_int(entry)
        if i is not None:
            if not -n <= i < n:
                raise IndexError(
                    f"index {i} is out of bounds for axis {dim} with size {n}"
                )
            i %= n
            starts.append(i), limits.append(i + 1), strides.append(1), drops.append(dim)
        elif isinstance(entry, slice):
            s, e, st = _slice_bounds(entry, n)
            if st < 0:
                flips.append(dim)
            starts.append(s), limits.append(e), strides.append(abs(st))
            out_rank += 1
        else:
            raise _unsupported(entry)
        dim += 1
    out = shape_ops.rev(x, flips)
    out = shape_ops.slice(out, starts, limits, strides)
    out = shape_ops.squeeze(out, drops)
    return shape_ops.expand_dims(out, new_axes)


def _slice_bounds(entry: slice, n: int) -> tuple[int, int, int]:
    """`(start, limit, step)` of a Python slice; a negative step is given in
    the coordinates of the reversed axis."""
    r = range(*entry.indices(n))
    step = r.step
    if len(r) == 0:
        return 0, 0, step
    first = r[0] if step > 0 else n - 1 - r[0]
    return first, first + (len(r) - 1) * abs(step) + 1, step


def setitem(x: Any, index: Any, value: Any) -> None:
    raise FuncgradTypeError(
        f"A traced array ({get_aval(x).str_short()}) cannot be assigned to "
        f"in place: funcgrad traces pure functions, so `x[i] = v` would "
        f"change a value the program already recorded. Build a new array "
        f"instead, with `funcgrad.numpy.where` or `concatenate` (functional "
        f"updates `x.at[i].set(v)` are planned)."
    )
