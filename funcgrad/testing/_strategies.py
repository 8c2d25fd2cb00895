"""hypothesis strategies for inputs to differentiate.

Built on `hypothesis.extra.numpy`; what they add is what derivative tests
need: finite values in chosen bounds by default, values kept a margin away
from the kinks and poles of a function (`away_from`), small shapes (finite
differences and Jacobians cost a function call per element), and pytrees
of parameters shaped like an example (`params_like`).

The margin matters: a finite-difference step that crosses a kink measures
the average of two slopes, not the derivative. funcgrad.testing's checks
move an input by at most `step * max(1, |x|)` (step 1e-5 for float64,
1e-2 for float32), so the default margin, 0.1, keeps every step on one side.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from funcgrad.core import tree_flatten, tree_unflatten
from funcgrad.testing._tolerance import default_step

DEFAULT_MIN, DEFAULT_MAX = -5.0, 5.0
DEFAULT_MARGIN = 0.1

Shape = tuple[int, ...]


def _float_bound(value: float, dtype: np.dtype, upward: bool) -> float:
    """`value` rounded to `dtype`, towards the inside of the interval."""
    rounded = dtype.type(value)
    if upward and float(rounded) < value:
        rounded = np.nextafter(rounded, dtype.type(np.inf))
    if not upward and float(rounded) > value:
        rounded = np.nextafter(rounded, dtype.type(-np.inf))
    return float(rounded)


def _intervals(
    lo: float, hi: float, away_from: Iterable[float], margin: float
) -> list[tuple[float, float]]:
    """`[lo, hi]` less the open intervals `(p - margin, p + margin)`."""
    pieces = [(lo, hi)]
    for p in sorted(float(q) for q in away_from):
        cut = []
        for a, b in pieces:
            if p - margin > a:
                cut.append((a, min(b, p - margin)))
            if p + margin < b:
                cut.append((max(a, p + margin), b))
        pieces = cut
    return pieces


def _default_margin(dtype: np.dtype) -> float:
    # Five steps, so float16's coarse step still stays on one side.
    return max(DEFAULT_MARGIN, 5 * default_step(dtype))


def scalars(
    dtype: Any = np.float64,
    *,
    min_value: float = DEFAULT_MIN,
    max_value: float = DEFAULT_MAX,
    away_from: Sequence[float] = (),
    margin: float | None = None,
) -> st.SearchStrategy:
    """Finite scalars of `dtype` in `[min_value, max_value]`, away from points.

    Every value `x` drawn has `|x - p| >= margin` for each `p` in
    `away_from` (margin 0.1 by default). Integer dtypes take the bounds and
    the points too.

    >>> from hypothesis import find
    >>> x = find(scalars(away_from=(0.0,)), lambda x: abs(x) < 0.5)
    >>> 0.1 <= abs(x) < 0.5
    True
    """
    dtype = np.dtype(dtype)
    if min_value > max_value:
        raise ValueError(
            f"`scalars`: min_value={min_value} is larger than max_value={max_value}."
        )
    if margin is None:
        margin = _default_margin(dtype) if dtype.kind == "f" else 1
    if dtype.kind != "f":
        values = hnp.from_dtype(dtype, min_value=min_value, max_value=max_value)
        points = tuple(away_from)
        return values.filter(lambda x: all(abs(x - p) >= margin for p in points))
    pieces = []
    for a, b in _intervals(min_value, max_value, away_from, margin):
        a, b = _float_bound(a, dtype, True), _float_bound(b, dtype, False)
        if a <= b:
            pieces.append((a, b))
    if not pieces:
        raise ValueError(
            f"`scalars`: no value of [{min_value}, {max_value}] is {margin} away "
            f"from every point of {tuple(away_from)}; widen the bounds or "
            f"reduce the margin."
        )
    # Nearest to zero first: hypothesis shrinks towards the first branch.
    pieces.sort(key=lambda ab: 0.0 if ab[0] <= 0.0 <= ab[1] else min(map(abs, ab)))
    width = 8 * dtype.itemsize
    return st.one_of(
        [
            st.floats(a, b, allow_nan=False, allow_infinity=False, width=width)
            for a, b in pieces
        ]
    )


def shapes(
    *, min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4
) -> st.SearchStrategy[Shape]:
    """Array shapes, small by default: 0 to 3 dimensions of 1 to 4 elements.

    `hypothesis.extra.numpy.array_shapes` with bounds that keep a derivative
    test quick (a Jacobian costs a function call per input element).

    >>> from hypothesis import find
    >>> find(shapes(min_dims=2), lambda s: True)
    (1, 1)
    """
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def arrays(
    dtype: Any = np.float64,
    shape: int | Shape | st.SearchStrategy[Shape] | None = None,
    *,
    min_value: float = DEFAULT_MIN,
    max_value: float = DEFAULT_MAX,
    away_from: Sequence[float] = (),
    margin: float | None = None,
    unique: bool = False,
    min_gap: float | None = None,
) -> st.SearchStrategy[np.ndarray]:
    """Arrays of finite values in bounds, optionally away from kinks.

    Args:
      dtype: a dtype, or a strategy of dtypes.
      shape: an int, a tuple, or a strategy of shapes; `shapes()` if None.
      min_value, max_value: bounds of the elements (default -5 and 5).
      away_from: points every element keeps `margin` away from: the kinks
        of `abs` or `relu` at 0, the bounds of a `clip`, the poles of `tan`.
      margin: the distance kept (0.1 by default, more for float16).
      unique: all elements distinct (as `hypothesis.extra.numpy.arrays`).
      min_gap: every two elements at least this far apart, for functions
        whose derivative jumps where two elements tie (`max`, `sort`,
        `median`); distinct is not enough, since a finite-difference step
        can swap two close elements. Not with `away_from`.

    >>> import numpy as np
    >>> from hypothesis import find
    >>> a = find(arrays(np.float32, (2,), away_from=(0.0,)), lambda a: a[0] < 0.5)
    >>> a.dtype, a.shape, bool(np.all(np.abs(a) >= 0.1))
    (dtype('float32'), (2,), True)
    >>> b = find(arrays(shape=(3,), min_gap=0.5), lambda b: True)
    >>> bool(np.min(np.diff(np.sort(b))) >= 0.5)
    True
    """
    if shape is None:
        shape = shapes()
    if min_gap is not None:
        if away_from:
            raise ValueError("`arrays`: give `min_gap` or `away_from`, not both.")
        return _with_dtype_and_shape(
            dtype, shape, lambda d, s: _separated(d, s, min_value, max_value, min_gap)
        )
    bounds: dict[str, Any] = dict(
        min_value=min_value, max_value=max_value, away_from=away_from, margin=margin
    )

    def make(d: Any, s: Any) -> st.SearchStrategy:
        return hnp.arrays(d, s, elements=scalars(d, **bounds), unique=unique)

    return _with_dtype_and_shape(dtype, shape, make)


def _with_dtype_and_shape(dtype: Any, shape: Any, make: Any) -> st.SearchStrategy:
    """`make(dtype, shape)`, drawing either first where it is a strategy."""
    if isinstance(dtype, st.SearchStrategy):
        return dtype.flatmap(lambda d: _with_dtype_and_shape(d, shape, make))
    if isinstance(shape, st.SearchStrategy):
        return shape.flatmap(lambda s: make(dtype, s))
    return make(dtype, shape)


def _separated(
    dtype: Any, shape: int | Shape, lo: float, hi: float, gap: float
) -> st.SearchStrategy[np.ndarray]:
    """Elements pairwise `gap` apart: sorted values `lo + k gap + slack_k`,
    the slacks increasing, then shuffled. Shrinks to `lo, lo + gap, ...`."""
    dtype = np.dtype(dtype)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    n = int(np.prod(shape))
    span = hi - lo - (n - 1) * gap
    if span < 0:
        raise ValueError(
            f"`arrays`: {n} elements {gap} apart do not fit in [{lo}, {hi}]; "
            f"widen the bounds or reduce `min_gap`."
        )
    lo_in, hi_in = _float_bound(lo, dtype, True), _float_bound(hi, dtype, False)

    def build(drawn: tuple[list[float], list[int]]) -> np.ndarray:
        slack, order = drawn
        values = lo + gap * np.arange(n) + span * np.sort(np.asarray(slack))
        values = np.clip(values.astype(dtype), lo_in, hi_in)
        return values[np.asarray(order, dtype=int)].reshape(shape)

    slack = st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)
    return st.tuples(slack, st.permutations(range(n))).map(build)


def broadcastable_shapes(
    num_shapes: int = 2,
    *,
    base_shape: Shape = (),
    min_dims: int = 0,
    max_dims: int = 3,
    min_side: int = 1,
    max_side: int = 4,
) -> st.SearchStrategy[tuple[Shape, ...]]:
    """Tuples of `num_shapes` shapes that broadcast together (numpy's rules).

    `hypothesis.extra.numpy.mutually_broadcastable_shapes`, returning only
    the input shapes, with small sides by default.

    >>> import numpy as np
    >>> from hypothesis import find
    >>> a, b = find(broadcastable_shapes(), lambda s: s[0] != s[1])
    >>> len(np.broadcast_shapes(a, b)) == max(len(a), len(b))
    True
    """
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes,
        base_shape=base_shape,
        min_dims=min_dims,
        max_dims=max_dims,
        min_side=min_side,
        max_side=max_side,
    ).map(lambda shapes: tuple(shapes.input_shapes))


def broadcastable_arrays(
    num_arrays: int = 2,
    dtype: Any = np.float64,
    *,
    min_value: float = DEFAULT_MIN,
    max_value: float = DEFAULT_MAX,
    away_from: Sequence[float] = (),
    margin: float | None = None,
    **shape_bounds: Any,
) -> st.SearchStrategy[tuple[np.ndarray, ...]]:
    """Tuples of `num_arrays` arrays whose shapes broadcast together.

    The arguments of a binary elementwise function, for example; the shape
    bounds (`min_dims`, `max_dims`, `min_side`, `max_side`, `base_shape`)
    are those of `broadcastable_shapes`.

    >>> from hypothesis import find
    >>> import numpy as np
    >>> x, y = find(broadcastable_arrays(num_arrays=2), lambda xy: True)
    >>> (x + y).shape == np.broadcast_shapes(x.shape, y.shape)
    True
    """
    bounds: dict[str, Any] = dict(
        min_value=min_value, max_value=max_value, away_from=away_from, margin=margin
    )

    def draw_arrays(shapes: tuple[Shape, ...]) -> st.SearchStrategy:
        return st.tuples(*(arrays(dtype, s, **bounds) for s in shapes))

    return broadcastable_shapes(num_arrays, **shape_bounds).flatmap(draw_arrays)


def params_like(
    tree: Any,
    *,
    min_value: float = DEFAULT_MIN,
    max_value: float = DEFAULT_MAX,
    away_from: Sequence[float] = (),
    margin: float | None = None,
    min_gap: float | None = None,
) -> st.SearchStrategy[Any]:
    """Pytrees with the structure, shapes and dtypes of `tree`, values drawn.

    Floating-point leaves (arrays or Python floats) are drawn as `arrays`
    draws them, with the same bounds, `away_from`, `margin` and `min_gap`
    (which applies within each leaf); integer, boolean and other leaves are
    kept as they are in `tree`, since they have no derivative.

    >>> import numpy as np
    >>> from hypothesis import find
    >>> params = {"w": np.zeros((2, 3)), "b": np.zeros(3, np.float32), "n": 4}
    >>> drawn = find(params_like(params), lambda p: True)
    >>> drawn["w"].shape, drawn["b"].dtype, drawn["n"]
    ((2, 3), dtype('float32'), 4)
    """
    leaves, treedef = tree_flatten(tree)
    bounds: dict[str, Any] = dict(
        min_value=min_value,
        max_value=max_value,
        away_from=away_from,
        margin=margin,
        min_gap=min_gap,
    )
    drawn = [_leaf_like(x, bounds) for x in leaves]
    return st.tuples(*drawn).map(lambda xs: tree_unflatten(treedef, list(xs)))


def _leaf_like(x: Any, bounds: dict[str, Any]) -> st.SearchStrategy:
    if isinstance(x, np.ndarray | np.generic):
        if x.dtype.kind != "f":
            return st.just(x)
        drawn = arrays(x.dtype, x.shape, **bounds)
        return drawn if isinstance(x, np.ndarray) else drawn.map(lambda a: a[()])
    if isinstance(x, float):
        drawn = arrays(np.float64, (), **bounds)
        return drawn.map(float)
    return st.just(x)
