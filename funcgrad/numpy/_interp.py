"""`searchsorted` and `interp`: positions in a sorted array, and piecewise
linear interpolation through them.

Both work on traced arrays. `searchsorted` counts comparisons (an integer
result, no derivative); `interp` reads the two neighbouring samples with
`take` and is differentiable in `x` (the slope of the segment, taken from
the right at a sample point), in `xp` and in `fp`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad.core import get_aval
from funcgrad.errors import FuncgradValueError, ShapeError
from funcgrad.numpy import _reductions as reductions
from funcgrad.numpy import _ufuncs as ufuncs
from funcgrad.numpy._indexing import take
from funcgrad.numpy._shape import broadcast_to
from funcgrad.numpy._util import as_operand, cast, is_eager, promote, to_ndarray
from funcgrad.primitives import _elementwise as ew
from funcgrad.primitives import _shape as shape_ops


def searchsorted(a: Any, v: Any, side: str = "left", sorter: Any = None) -> Any:
    """`numpy.searchsorted`: where each `v` would be inserted in the sorted
    1-d `a` to keep it sorted (`side="left"`: before equal elements,
    `"right"`: after them). An int64 array of `v`'s shape.

    >>> import numpy as np
    >>> searchsorted(np.array([1.0, 2.0, 3.0]), np.array([2.0, 0.5]))
    array([1, 0])
    """
    if side not in ("left", "right"):
        raise FuncgradValueError(
            f"`searchsorted`: side must be 'left' or 'right', got {side!r}."
        )
    if is_eager(a, v, sorter):
        return to_ndarray(np.searchsorted(a, v, side=side, sorter=sorter))
    a, v = as_operand(a), as_operand(v)
    if get_aval(a).ndim != 1:
        raise ShapeError(
            f"`searchsorted` needs a 1-d sorted array, got {get_aval(a).str_short()}."
        )
    if sorter is not None:
        a = take(a, sorter)
    a, v = promote(a, v)
    # the number of elements of `a` before each `v`
    before = ew.lt if side == "left" else ew.le
    v_shape = get_aval(v).shape
    n = get_aval(a).shape[0]
    grid = v_shape + (n,)
    a_b = shape_ops.broadcast_in_dim(a, grid, (len(v_shape),))
    v_b = shape_ops.broadcast_in_dim(v, grid, tuple(range(len(v_shape))))
    hits = ew.convert_element_type(before(a_b, v_b), np.int64)
    return reductions.sum(hits, axis=-1)


def interp(
    x: Any,
    xp: Any,
    fp: Any,
    left: Any = None,
    right: Any = None,
    period: Any = None,
) -> Any:
    """`numpy.interp`: the piecewise linear interpolant through `(xp, fp)`
    (`xp` increasing) at `x`; `left` / `right` (default `fp[0]` /
    `fp[-1]`) outside `[xp[0], xp[-1]]`. float64, as in numpy. The
    derivative in `x` is the slope of the segment `x` falls in (the one to
    its right at a sample point, 0 outside the range).

    >>> import numpy as np
    >>> interp(np.array([0.5, 1.5]), np.array([0.0, 1.0, 2.0]), np.array([0.0, 2.0, 6.0]))
    array([1., 4.])
    """
    if is_eager(x, xp, fp, left, right):
        return to_ndarray(np.interp(x, xp, fp, left=left, right=right, period=period))
    if period is not None:
        raise FuncgradValueError(
            "`interp(..., period=...)` is not supported on traced arrays yet; "
            "wrap `x` into one period with `funcgrad.numpy.mod` first."
        )
    x, xp = (cast(as_operand(a), np.float64) for a in (x, xp))
    # float64, or complex128 for complex values, as numpy computes
    values = np.result_type(get_aval(as_operand(fp)).dtype, np.float64)
    values = np.dtype(np.complex128 if values.kind == "c" else np.float64)
    fp = cast(as_operand(fp), values)
    if get_aval(xp).ndim != 1 or get_aval(fp).shape != get_aval(xp).shape:
        raise ShapeError(
            f"`interp` needs 1-d `xp` and `fp` of one length, got "
            f"{get_aval(xp).str_short()} and {get_aval(fp).str_short()}."
        )
    n = get_aval(xp).shape[0]
    if n == 0:
        raise FuncgradValueError("`interp`: `xp` and `fp` must not be empty.")
    first, last = take(fp, 0), take(fp, n - 1)
    if n == 1:
        y = broadcast_to(first, get_aval(x).shape)
    else:
        # the segment [xp[j-1], xp[j]] with xp[j-1] <= x < xp[j]
        j = ufuncs.clip(searchsorted(xp, x, side="right"), 1, n - 1)
        x0, x1 = take(xp, j - 1), take(xp, j)
        f0, f1 = take(fp, j - 1), take(fp, j)
        y = f0 + (f1 - f0) / (x1 - x0) * (x - x0)
        y = ufuncs.where(x == take(xp, n - 1), last, y)  # exactly fp[-1] there
    low = first if left is None else cast(as_operand(left), values)
    high = last if right is None else cast(as_operand(right), values)
    y = ufuncs.where(x < take(xp, 0), low, y)
    return ufuncs.where(x > take(xp, n - 1), high, y)
