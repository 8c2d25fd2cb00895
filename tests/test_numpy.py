"""`funcgrad.numpy` against numpy, the oracle.

One table of cases drives most of this module: each case is a function of
the array module (`numpy` or `funcgrad.numpy`) and some arrays. It runs
three ways:

- eagerly, where it must return exactly what numpy returns, as an
  `ndarray` (never a numpy scalar);
- inside `make_jaxpr` (the program is then evaluated) and inside `jvp`,
  where values, shapes and dtypes must match numpy 2's rules (Python
  scalars weak, `int / int` float64, `sum(bool)` int64, ...);
- in float64 through `grad` and `jvp`, against central finite differences
  of the numpy function.

Hypothesis then varies shapes, axes, dtypes and indices for the families
where that pays (broadcasting and promotion, reductions, products, shape
functions, basic indexing), and the last sections check tracer attributes,
unsupported indices and error messages. Known bugs are pinned as strict
expected failures so that a fix is noticed.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import operator
import zlib
from collections.abc import Callable
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from _spec_helpers import (
    assert_all_same,
    assert_same,
    check_derivatives,
    check_second_derivatives,
    check_traced,
    leaves,
    sample,
)
from hypothesis import assume, given
from hypothesis import strategies as st

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.errors import FuncgradError

DTYPES = (np.float32, np.float64, np.int64, np.bool_)

# --- the table of cases -------------------------------------------------------


@dataclasses.dataclass
class Case:
    """One use of the front-end: `fn(xp, *arrays)` with `xp` numpy or
    `funcgrad.numpy`, and arrays of `shapes` in each of `dtypes`."""

    name: str | None  # the `funcgrad.numpy` function it covers (None: operators)
    label: str
    fn: Callable[..., Any]
    shapes: tuple
    dtypes: tuple = DTYPES
    values: str = "normal"
    grad: bool = True  # check derivatives in float64
    eager: bool = True  # `fn(fnp, ...)` on numpy arrays is funcgrad's eager path
    bugs: dict = dataclasses.field(default_factory=dict)  # dtype -> traced bug
    eager_bugs: dict = dataclasses.field(default_factory=dict)
    # dtype -> the dtype funcgrad gives inside a transform where it
    # deliberately differs from numpy (see _WEAK_SCALAR_F32)
    traced_dtypes: dict = dataclasses.field(default_factory=dict)

    def args(self, dtype: Any) -> tuple:
        rng = np.random.default_rng(zlib.crc32(f"{self.label}{dtype}".encode()))
        return tuple(sample(s, dtype, rng, self.values) for s in self.shapes)


CASES: list[Case] = []


def case(name: str | None, label: str, fn: Callable, *shapes: tuple, **kw: Any) -> None:
    CASES.append(Case(name, label, fn, shapes, **kw))


M = (2, 3)  # the default matrix shape
T = (2, 3, 4)  # the default 3-d shape

# Not a bug: inside a transform funcgrad treats a Python scalar as weak
# everywhere, as JAX does, so `dot`, `inner`, `outer` and `array` of float32
# and a Python scalar stay float32 where numpy (they are not ufuncs) gives
# float64. This is a documented, deliberate difference from numpy (see
# `funcgrad.numpy` and docs/conventions.md); these cases assert it holds.
_WEAK_SCALAR_F32 = {"float32": np.float32}
_BOOL_SQUARE = (
    "numpy computes `x ** 2` as `square`, int8 for bool; funcgrad gives int64"
)

# Unary ufuncs.
for _name, _values, _grad, _bugs in [
    ("negative", "normal", True, {}),
    ("absolute", "normal", True, {}),
    ("abs", "normal", True, {}),
    ("sign", "normal", True, {}),
    ("exp", "normal", True, {}),
    ("expm1", "normal", True, {}),
    ("log", "positive", True, {}),
    ("log1p", "positive", True, {}),
    ("sin", "normal", True, {}),
    ("cos", "normal", True, {}),
    ("tan", "unit", True, {}),
    ("tanh", "normal", True, {}),
    ("sqrt", "positive", True, {}),
    ("square", "normal", True, {}),
    (
        "reciprocal",
        "positive",
        True,
        {"bool": "`reciprocal(bool)` is bool inside a transform, numpy int8"},
    ),
    ("positive", "normal", True, {}),
    ("invert", "normal", False, {}),
    ("bitwise_not", "normal", False, {}),
    ("logical_not", "normal", False, {}),
]:
    case(
        _name,
        _name,
        lambda xp, x, _n=_name: getattr(xp, _n)(x),
        M,
        values=_values,
        grad=_grad,
        bugs=_bugs,
    )
case("sin", "sin-0d", lambda xp, x: xp.sin(x), ())
case("exp", "exp-3d", lambda xp, x: xp.exp(x), T)

# The elementwise functions of issue 5 (their edges: tests/test_special.py).
for _name, _values, _grad in [
    ("sinh", "normal", True), ("cosh", "normal", True),
    ("arcsin", "unit", True), ("arccos", "unit", True),
    ("arctan", "normal", True), ("arcsinh", "normal", True),
    ("arctanh", "unit", True), ("exp2", "normal", True),
    ("log2", "positive", True), ("log10", "positive", True),
    ("cbrt", "normal", True), ("fabs", "normal", True),
    ("deg2rad", "normal", True), ("rad2deg", "normal", True),
    ("degrees", "normal", True), ("radians", "normal", True),
    ("sinc", "normal", True), ("floor", "normal", True), ("ceil", "normal", True),
    ("rint", "normal", True), ("trunc", "normal", True), ("fix", "normal", True),
    ("round", "normal", True), ("around", "normal", True),
    ("nan_to_num", "normal", True), ("signbit", "normal", False),
    ("isnan", "normal", False), ("isfinite", "normal", False),
    ("isinf", "normal", False), ("isposinf", "normal", False),
    ("isneginf", "normal", False),
]:  # fmt: skip
    case(
        _name,
        f"{_name}-2d",
        lambda xp, x, _n=_name: getattr(xp, _n)(x),
        M,
        values=_values,
        grad=_grad,
        # integers and booleans fall outside (-1, 1)
        dtypes=(np.float32, np.float64) if _values == "unit" else DTYPES,
    )
case("arccosh", "arccosh-2d", lambda xp, x: xp.arccosh(x + 1.5), M, values="positive")
for _name in ("logaddexp", "logaddexp2"):
    case(
        _name,
        f"{_name}-broadcast",
        lambda xp, x, y, _n=_name: getattr(xp, _n)(x, y),
        M,
        (3,),
    )
# Positions in a sorted array and linear interpolation.
_XP = np.array([-1.5, -0.5, 0.25, 1.0, 1.75])
_FP = np.array([2.0, -1.0, 0.5, 3.0, 1.0])
case(
    "interp", "interp-x", lambda xp, x: xp.interp(x, _XP, _FP), M, dtypes=(np.float64,)
)
case(
    "interp",
    "interp-fp",
    lambda xp, f: xp.interp(np.array([-2.0, -0.75, 0.3, 1.8]), _XP, f),
    (5,),
    dtypes=(np.float64,),
)
case(
    "interp",
    "interp-left-right",
    lambda xp, x: xp.interp(x, _XP, _FP, left=-3.0, right=4.0),
    T,
    dtypes=(np.float32, np.float64),
)
case(
    "searchsorted",
    "searchsorted-left",
    lambda xp, v: xp.searchsorted(_XP, v),
    M,
    grad=False,
)
case(
    "searchsorted",
    "searchsorted-right",
    lambda xp, v: xp.searchsorted(_XP, v, side="right"),
    M,
    grad=False,
)
# Order statistics with positions known only at run time: NaN-ignoring ones
# (NaNs at fixed places; along each axis the slices keep from one to all of
# their elements, never none: all-NaN slices make numpy warn, and are in
# tests/test_arrays.py) and a traced `q`, kept inside (0, 1) by the case.
_NANS = np.zeros(T, bool)
_NANS[0, 1, 3] = _NANS[0, 2, :2] = _NANS[1, 0, 1:] = _NANS[1, 2, [0, 3]] = True


def _with_nans(xp: Any, x: Any) -> Any:
    return xp.where(_NANS, np.nan, x)


case(
    "nanmedian",
    "nanmedian-axis",
    lambda xp, x: xp.nanmedian(_with_nans(xp, x), axis=-1),
    T,
)
case(
    "nanmedian",
    "nanmedian-axes-keepdims",
    lambda xp, x: xp.nanmedian(_with_nans(xp, x), axis=(0, 1), keepdims=True),
    T,
    grad=False,
)
case(
    "nanquantile",
    "nanquantile-axis",
    lambda xp, x: xp.nanquantile(_with_nans(xp, x), [0.1, 0.5, 0.85], axis=-1),
    T,
)
case(
    "nanquantile",
    "nanquantile-nearest",
    lambda xp, x: xp.nanquantile(_with_nans(xp, x), 0.4, axis=1, method="nearest"),
    T,
    grad=False,
)
case(
    "nanpercentile",
    "nanpercentile-midpoint",
    lambda xp, x: xp.nanpercentile(
        _with_nans(xp, x), [30, 75], axis=(0, 2), method="midpoint"
    ),
    T,
    grad=False,  # derivatives: tests/test_arrays.py (to keep jit compiles few)
)
_FLOATS = (np.float32, np.float64)
case(
    "quantile",
    "quantile-traced-q",
    lambda xp, x, q: xp.quantile(x, (q + 1) / 2, axis=1),
    T,
    (2,),
    values="unit",
    dtypes=_FLOATS,
)
case(
    "percentile",
    "percentile-traced-q",
    lambda xp, x, q: xp.percentile(x, (q + 1) * 50, method="lower", keepdims=True),
    M,
    (),
    values="unit",
    dtypes=_FLOATS,
    grad=False,  # derivatives in `q`: tests/test_arrays.py
)


# `partition` guarantees the `kth` elements and the multiset on each side of
# them, not their order: compare those, each stretch between two `kth`
# elements sorted.
def _sides(xp: Any, y: Any, kth: tuple, axis: int = -1) -> Any:
    y = xp.moveaxis(y, axis, -1)
    pieces, start = [], 0
    for k in sorted(k % y.shape[-1] for k in kth):
        pieces += [xp.sort(y[..., start:k], axis=-1), y[..., k : k + 1]]
        start = k + 1
    pieces.append(xp.sort(y[..., start:], axis=-1))
    return xp.moveaxis(xp.concatenate(pieces, axis=-1), -1, axis)


case(
    "partition",
    "partition-kths",
    lambda xp, x: _sides(xp, xp.partition(x, (2, 0), axis=1), (2, 0), axis=1),
    (2, 5, 3),
)
case(
    "partition",
    "partition-flat",
    lambda xp, x: _sides(xp, xp.partition(x, -3, axis=None), (-3,)),
    T,
    grad=False,
)
case(
    "argpartition",
    "argpartition-values",
    lambda xp, x: _sides(
        xp, xp.take_along_axis(x, xp.argpartition(x, 1), axis=-1), (1,)
    ),
    T,
)
case(
    "argpartition",
    "argpartition-indices",
    lambda xp, x: _sides(xp, xp.argpartition(x, (3, 1), axis=0), (3, 1), axis=0),
    (5, 3),
    dtypes=_FLOATS,  # ties could fall on either side of a `kth` element
    grad=False,
)
# Polynomials (`polyval`, `vander`: tests/test_arrays.py).
case("polyder", "polyder", lambda xp, p: xp.polyder(p, 2), (5,))
case("polyint", "polyint", lambda xp, p, k: xp.polyint(p, 2, k=k), (4,), (2,))
case(
    "polyfit",
    "polyfit",
    lambda xp, x, y: xp.polyfit(x, y, 2),
    (6,),
    (6,),
    dtypes=_FLOATS,
)
case(
    "polyfit",
    "polyfit-weights",
    lambda xp, x, y, w: xp.polyfit(x, y, 1, w=w),
    (5,),
    (5, 2),
    (5,),
    dtypes=_FLOATS,
    grad=False,  # derivatives: tests/test_arrays.py
)
# Indexing functions (their own tests: tests/test_indexing.py).
case("sort", "sort-axis0", lambda xp, x: xp.sort(x, axis=0), M)
case("argsort", "argsort-2d", lambda xp, x: xp.argsort(x), M, grad=False)
_TAKE = np.array([2, 0, 2, 1])
case("take", "take-axis1", lambda xp, x: xp.take(x, _TAKE, axis=1), M)
_ALONG = np.array([[0, 2, 1], [1, 1, 0]])
case(
    "take_along_axis",
    "take_along_axis-1",
    lambda xp, x: xp.take_along_axis(x, _ALONG, axis=1),
    M,
)
for _name, _values, _grad in [
    ("arctan2", "normal", True), ("hypot", "normal", True),
    ("copysign", "normal", True), ("heaviside", "normal", True),
    ("fmod", "positive", True), ("remainder", "positive", True),
    ("mod", "positive", True), ("floor_divide", "positive", True),
    ("fmax", "normal", True), ("fmin", "normal", True),
    ("float_power", "positive", True), ("divmod", "positive", False),
]:  # fmt: skip
    case(
        _name,
        f"{_name}-broadcast",
        lambda xp, x, y, _n=_name: getattr(xp, _n)(x, y),
        M,
        (3,),
        values=_values,
        grad=_grad,
    )

# Binary ufuncs: broadcasting two arrays, and Python scalars on either side.
_ARITHMETIC = ["add", "subtract", "multiply", "divide", "true_divide"]
_ARITHMETIC += ["maximum", "minimum", "power"]
_LOGIC = ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]
_LOGIC += ["logical_and", "logical_or", "logical_xor"]
_BITWISE = ["bitwise_and", "bitwise_or", "bitwise_xor"]
for _name in _ARITHMETIC + _LOGIC + _BITWISE:
    _f = lambda xp, x, y, _n=_name: getattr(xp, _n)(x, y)  # noqa: E731
    _values = "positive" if _name in ("divide", "true_divide", "power") else "normal"
    _grad = _name in _ARITHMETIC
    case(_name, f"{_name}-broadcast", _f, M, (3,), values=_values, grad=_grad)
    case(
        _name,
        f"{_name}-int",
        lambda xp, x, _n=_name: getattr(xp, _n)(x, 2),
        M,
        values=_values,
        grad=_grad,
    )
    case(
        _name,
        f"{_name}-float-left",
        lambda xp, x, _n=_name: getattr(xp, _n)(2.5, x),
        M,
        values=_values,
        grad=_grad,
    )
    case(
        _name,
        f"{_name}-bool",
        lambda xp, x, _n=_name: getattr(xp, _n)(x, True),
        M,
        values=_values,
        grad=_grad,
    )
case(
    "power",
    "power-float-exponent",
    lambda xp, x: xp.power(x, 0.5),
    M,
    values="positive",
)
case(
    "divide",
    "divide-3d-by-1d",
    lambda xp, x, y: xp.divide(x, y),
    T,
    (4,),
    values="positive",
)

# where and clip.
case("where", "where", lambda xp, x, y: xp.where(x > 0, x, y), M, (3,))
case("where", "where-scalar", lambda xp, x: xp.where(x > 0, x, 0.5), M)
case("where", "where-int-scalar", lambda xp, x: xp.where(x > 0.5, 1, x), M)
case("where", "where-truthy", lambda xp, x: xp.where(x, x, 2), M)
case("where", "where-bool-arg", lambda xp, c, x: xp.where(c > 0, x, x * 2), (3,), M)
case("clip", "clip", lambda xp, x: xp.clip(x, -0.5, 0.5), M)
case("clip", "clip-int-bounds", lambda xp, x: xp.clip(x, -1, 1), M)
case("clip", "clip-upper", lambda xp, x: xp.clip(x, None, 0.5), M)
case("clip", "clip-lower", lambda xp, x: xp.clip(x, -0.5, None), M)
case("clip", "clip-arrays", lambda xp, x, lo: xp.clip(x, lo, lo + 1), M, (3,))

# Reductions.
_AXES = [(None, False), (1, False), (-1, True), ((0, 2), False), ((-1, 0), True)]
for _name in ["sum", "mean", "prod", "max", "min", "amax", "amin", "var", "std"]:
    _axes = _AXES + ([((), False), ((), True)] if _name not in ("var", "std") else [])
    for _axis, _keep in _axes:
        case(
            _name,
            f"{_name}-axis={_axis}-keepdims={_keep}",
            lambda xp, x, _n=_name, _a=_axis, _k=_keep: getattr(xp, _n)(
                x, axis=_a, keepdims=_k
            ),
            T,
        )
for _name in ["var", "std"]:
    case(_name, f"{_name}-ddof", lambda xp, x, _n=_name: getattr(xp, _n)(x, ddof=1), T)
    case(
        _name,
        f"{_name}-ddof-axis",
        lambda xp, x, _n=_name: getattr(xp, _n)(x, axis=(0, -1), ddof=1, keepdims=True),
        T,
    )
# Summing in float32 makes finite differences too coarse to check.
case(
    "sum",
    "sum-dtype",
    lambda xp, x: xp.sum(x, axis=0, dtype=np.float32),
    T,
    grad=False,
)
case("mean", "mean-dtype", lambda xp, x: xp.mean(x, dtype=np.float64), T)
case("prod", "prod-dtype", lambda xp, x: xp.prod(x, axis=1, dtype=np.float64), T)
case("sum", "sum-0d", lambda xp, x: xp.sum(x), ())
for _name in ["argmax", "argmin"]:
    for _axis, _keep in [(None, False), (None, True), (0, False), (-1, True)]:
        case(
            _name,
            f"{_name}-axis={_axis}-keepdims={_keep}",
            lambda xp, x, _n=_name, _a=_axis, _k=_keep: getattr(xp, _n)(
                x, axis=_a, keepdims=_k
            ),
            T,
            grad=False,
        )

# Products.
for _name, _shapes in [
    ("dot", [(M, (3, 4)), ((3,), (3,)), (M, (3,)), ((3,), (3, 4))]),
    ("dot", [((2, 2, 3), (3, 4)), ((2, 2, 3), (4, 3, 5)), ((), M)]),
    ("matmul", [(M, (3, 4)), ((3,), (3,)), ((3,), (3, 4)), (M, (3,))]),
    ("matmul", [((5, 2, 3), (5, 3, 4)), ((2, 1, 2, 3), (3, 3, 4))]),
    ("matmul", [(M, (4, 3, 5)), ((4, 2, 3), (3, 5)), ((1, 2, 3), (4, 3, 2))]),
    ("matmul", [((3,), (4, 3, 5)), ((4, 2, 3), (3,))]),
    ("outer", [((3,), (4,)), (M, (2,)), ((), (3,))]),
    ("inner", [(M, (4, 3)), ((3,), (3,)), ((2, 2, 3), (3,)), ((), M)]),
    ("vdot", [(M, M), ((6,), (3, 2))]),
]:
    for _sa, _sb in _shapes:
        case(
            _name,
            f"{_name}-{_sa}-{_sb}",
            lambda xp, a, b, _n=_name: getattr(xp, _n)(a, b),
            _sa,
            _sb,
        )
for _axes, _sa, _sb in [
    (2, T, (3, 4, 5)),
    (1, M, (3, 4)),
    (0, (2,), (3,)),
    (([1], [0]), M, (3, 4)),
    (((0, 2), (1, 0)), T, (4, 2, 5)),
    ((-1, -2), M, (4, 3, 5)),
]:
    case(
        "tensordot",
        f"tensordot-{_axes}",
        lambda xp, a, b, _x=_axes: xp.tensordot(a, b, _x),
        _sa,
        _sb,
    )
_weak = {"traced_dtypes": _WEAK_SCALAR_F32}  # funcgrad keeps float32, on purpose
case("dot", "dot-python-scalar", lambda xp, x: xp.dot(x, 2.0), M, **_weak)
case("inner", "inner-python-scalar", lambda xp, x: xp.inner(x, 2.0), M, **_weak)
case("outer", "outer-python-scalar", lambda xp, x: xp.outer(x, 2.5), M, **_weak)
case("matmul", "matmul-mixed-dtypes", lambda xp, a: xp.matmul(a, np.ones((3, 2))), M)

# Shape functions.
for _shape in [(4, -1), -1, (2, 3, 4, 1), (24,), (1, -1, 1)]:
    case("reshape", f"reshape-{_shape}", lambda xp, x, _s=_shape: xp.reshape(x, _s), T)
case("reshape", "reshape-keyword", lambda xp, x: xp.reshape(x, shape=(6, 4)), T)
case("reshape", "reshape-from-0d", lambda xp, x: xp.reshape(x, (1, 1)), ())
case("ravel", "ravel", lambda xp, x: xp.ravel(x), T)
case("ravel", "ravel-0d", lambda xp, x: xp.ravel(x), ())
for _axes in [None, (1, 0, 2), (-1, 0, 1), (2, 1, 0)]:
    case(
        "transpose",
        f"transpose-{_axes}",
        lambda xp, x, _a=_axes: xp.transpose(x, _a),
        T,
    )
case("swapaxes", "swapaxes", lambda xp, x: xp.swapaxes(x, 0, -1), T)
case("swapaxes", "swapaxes-same", lambda xp, x: xp.swapaxes(x, 1, 1), T)
for _src, _dst in [(0, -1), (-1, 0), ([0, 1], [-1, 0]), ((2, 0), (0, 1))]:
    case(
        "moveaxis",
        f"moveaxis-{_src}-{_dst}",
        lambda xp, x, _s=_src, _d=_dst: xp.moveaxis(x, _s, _d),
        T,
    )
for _axis in [None, 1, -1, (1, 3), (-3,)]:
    case(
        "squeeze",
        f"squeeze-{_axis}",
        lambda xp, x, _a=_axis: xp.squeeze(x, axis=_a),
        (2, 1, 3, 1),
    )
case("squeeze", "squeeze-to-0d", lambda xp, x: xp.squeeze(x), (1, 1))
for _axis in [0, -1, 2, (0, -1), (1, 3), (-2, 0)]:
    case(
        "expand_dims",
        f"expand_dims-{_axis}",
        lambda xp, x, _a=_axis: xp.expand_dims(x, _a),
        M,
    )
for _from, _to in [(M, (4, 2, 3)), ((2, 1), M), ((), (3,)), ((), 4), ((3,), (2, 1, 3))]:
    case(
        "broadcast_to",
        f"broadcast_to-{_from}-{_to}",
        lambda xp, x, _t=_to: xp.broadcast_to(x, _t),
        _from,
    )
for _axis, _sa, _sb in [
    (0, M, M),
    (0, M, (4, 3)),
    (1, M, (2, 1)),
    (-1, T, (2, 3, 2)),
    (None, M, (4,)),
]:
    case(
        "concatenate",
        f"concatenate-{_axis}-{_sa}-{_sb}",
        lambda xp, a, b, _x=_axis: xp.concatenate([a, b], axis=_x),
        _sa,
        _sb,
    )
case(
    "concatenate",
    "concatenate-tuple-of-3",
    lambda xp, a, b: xp.concatenate((a, b, a)),
    M,
    (1, 3),
)
case(
    "concatenate",
    "concatenate-constant",
    lambda xp, a: xp.concatenate([a, np.ones((1, 3))]),
    M,
)
case("concatenate", "concatenate-one-array", lambda xp, x: xp.concatenate(x), T)
for _axis in [0, 1, -1, 2]:
    case(
        "stack",
        f"stack-{_axis}",
        lambda xp, a, b, _x=_axis: xp.stack([a, b], axis=_x),
        M,
        M,
    )
case("stack", "stack-0d", lambda xp, a, b: xp.stack((a, b, a)), (), ())
case("stack", "stack-one-array", lambda xp, x: xp.stack(x, axis=1), T)
for _name, _sa, _sb in [
    ("hstack", (3,), (2,)),
    ("hstack", M, (2, 1)),
    ("hstack", (), ()),
    ("vstack", (3,), (3,)),
    ("vstack", M, (1, 3)),
    ("vstack", M, (3,)),
]:
    case(
        _name,
        f"{_name}-{_sa}-{_sb}",
        lambda xp, a, b, _n=_name: getattr(xp, _n)([a, b]),
        _sa,
        _sb,
    )
for _name in ["atleast_1d", "atleast_2d", "atleast_3d"]:
    for _shape in [(), (3,), M, T]:
        case(
            _name,
            f"{_name}-{_shape}",
            lambda xp, x, _n=_name: getattr(xp, _n)(x),
            _shape,
        )
    case(
        _name,
        f"{_name}-two-arrays",
        lambda xp, a, b, _n=_name: getattr(xp, _n)(a, b),
        (),
        (3,),
        grad=False,
    )

# Creation: constants inside a transform, and arrays of traced values.
_F64 = (np.float64,)
for _label, _fn in [
    ("zeros", lambda xp: xp.zeros((2, 3))),
    ("zeros", lambda xp: xp.zeros(3, int)),
    ("ones", lambda xp: xp.ones((2,))),
    ("ones", lambda xp: xp.ones((), np.float32)),
    ("full", lambda xp: xp.full((2, 3), 1.5)),
    ("full", lambda xp: xp.full(2, 1)),
    ("full", lambda xp: xp.full((2,), 1, np.float32)),
    ("arange", lambda xp: xp.arange(5)),
    ("arange", lambda xp: xp.arange(1, 5, 0.5)),
    ("arange", lambda xp: xp.arange(5, dtype=np.float32)),
    ("linspace", lambda xp: xp.linspace(0, 1, 5)),
    ("linspace", lambda xp: xp.linspace(0, 1, 5, endpoint=False)),
    ("linspace", lambda xp: xp.linspace(0, 1, 4, dtype=int)),
    ("linspace", lambda xp: xp.linspace([0, 1], 2, 3, axis=1)),
    ("eye", lambda xp: xp.eye(3)),
    ("eye", lambda xp: xp.eye(3, 4, 1)),
    ("eye", lambda xp: xp.eye(3, k=-1, dtype=int)),
    ("identity", lambda xp: xp.identity(3)),
    ("identity", lambda xp: xp.identity(2, dtype=bool)),
    ("array", lambda xp: xp.array(2.0)),
    ("array", lambda xp: xp.array([[1, 2]], dtype=np.float32)),
    ("asarray", lambda xp: xp.asarray([1, 2])),
]:
    case(
        _label,
        f"{_label}-{sum(c.name == _label for c in CASES)}",
        lambda xp, x, _f=_fn: _f(xp),
        (),
        dtypes=_F64,
        grad=False,
    )
case(
    "linspace",
    "linspace-retstep",
    lambda xp, x: xp.linspace(0, 1, 5, retstep=True),
    (),
    dtypes=_F64,
    grad=False,
)
for _name, _fn, _grad in [
    ("zeros_like", lambda xp, x: xp.zeros_like(x), False),
    ("zeros_like", lambda xp, x: xp.zeros_like(x, dtype=np.float32), False),
    ("zeros_like", lambda xp, x: xp.zeros_like(x, shape=(4,)), False),
    ("ones_like", lambda xp, x: xp.ones_like(x), False),
    ("ones_like", lambda xp, x: xp.ones_like(x, dtype=int), False),
    ("full_like", lambda xp, x: xp.full_like(x, 7), False),
    ("full_like", lambda xp, x: xp.full_like(x, 2.5), False),
    ("full_like", lambda xp, x: xp.full_like(x, x[0, 1]), True),
    ("full_like", lambda xp, x: xp.full_like(x, x[1, 0], shape=(4,)), True),
    ("full", lambda xp, x: xp.full((2, 2), x[0, 0]), True),
    ("full", lambda xp, x: xp.full(3, x[0, 0], dtype=np.float32), False),
    ("array", lambda xp, x: xp.array([x[0], x[1]]), True),
    ("array", lambda xp, x: xp.array([[x[0, 0], x[0, 1]], [x[1, 2], x[1, 0]]]), True),
    ("array", lambda xp, x: xp.array((x[0], np.ones(3))), True),
    ("array", lambda xp, x: xp.array([x[0], x[1]], dtype=np.float32), False),
    ("array", lambda xp, x: xp.array(x[0], ndmin=3), True),
    ("array", lambda xp, x: xp.array([x[0, 0]], ndmin=3), True),
    ("asarray", lambda xp, x: xp.asarray([x[0, 0], x[1, 2]]), True),
    ("asarray", lambda xp, x: xp.asarray(x), True),
    ("asarray", lambda xp, x: xp.asarray(x, dtype=np.float64), True),
    ("copy", lambda xp, x: xp.copy(x), True),
]:
    case(_name, f"{_name}-{sum(c.name == _name for c in CASES)}", _fn, M, grad=_grad)
for _label, _fn in [
    ("weak-int", lambda xp, x: xp.array([x[0, 0], 2])),
    ("weak-float", lambda xp, x: xp.array([[x[0, 0], 1.5], [2, x[1, 1]]])),
]:
    case("array", f"array-{_label}", _fn, M, **_weak)  # float32 kept, on purpose
case("array", "array-weak-bool", lambda xp, x: xp.array([x[0, 0], True]), M)

# Operators, reflected operators, numpy ufuncs and methods on tracers. Their
# eager form is numpy itself, so they run traced only.
W = np.random.default_rng(1).standard_normal((3, 4))
V = np.random.default_rng(2).standard_normal(2)
for _label, _fn, _shapes, _kw in [
    ("x + 2", lambda x: x + 2, [M], {}),
    ("2 + x", lambda x: 2 + x, [M], {}),
    ("x + 2.5", lambda x: x + 2.5, [M], {}),
    ("2.0 - x", lambda x: 2.0 - x, [M], {}),
    ("x - y", lambda x, y: x - y, [M, (3,)], {}),
    ("x - 1", lambda x: x - 1, [M], {}),
    ("ones * x", lambda x: np.ones(3) * x, [M], {}),
    ("x * ones", lambda x: x * np.ones(3), [M], {}),
    ("ones32 * x", lambda x: np.ones(3, np.float32) * x, [M], {}),
    ("x * True", lambda x: x * True, [M], {}),
    ("x * y", lambda x, y: x * y, [(2, 1), (3,)], {}),
    ("x / 2", lambda x: x / 2, [M], {}),
    ("2 / x", lambda x: 2 / x, [M], {"values": "positive"}),
    (
        "x / y",
        lambda x, y: x / y,
        [M, M],
        {"values": "positive"},
    ),
    ("x // 2", lambda x: x // 2, [M], {"dtypes": (np.float32, np.float64, np.int64)}),
    ("7.5 // x", lambda x: 7.5 // x, [M], {"values": "positive"}),
    ("x % 2.5", lambda x: x % 2.5, [M], {"dtypes": (np.float32, np.float64, np.int64)}),
    ("x % y", lambda x, y: x % y, [M, (3,)], {"values": "positive"}),
    (
        "divmod(x, 3)",
        lambda x: divmod(x, 3),
        [M],
        {"dtypes": (np.float64, np.int64), "grad": False},
    ),
    ("x ** 2", lambda x: x**2, [M], {"bugs": {"bool": _BOOL_SQUARE}}),
    ("x ** 3", lambda x: x**3, [M], {}),
    ("x ** 0.5", lambda x: x**0.5, [M], {"values": "positive"}),
    ("x ** -1", lambda x: x**-1, [M], {"values": "positive"}),
    ("x ** int64", lambda x: x ** np.int64(2), [M], {}),
    ("2.0 ** x", lambda x: 2.0**x, [M], {}),
    (
        "2 ** x",
        lambda x: 2**x,
        [M],
        {"values": "positive"},
    ),
    (
        "x ** y",
        lambda x, y: x**y,
        [M, M],
        {"values": "positive"},
    ),
    ("x @ W", lambda x: x @ W, [M], {}),
    ("W @ x", lambda x: W.T @ x, [(3, 2)], {}),
    ("V @ x", lambda x: V @ x, [M], {}),
    ("x @ y", lambda x, y: x @ y, [M, (3, 4)], {}),
    ("x @ y batched", lambda x, y: x @ y, [(2, 1, 2, 3), (3, 3, 4)], {}),
    ("-x", lambda x: -x, [M], {}),
    ("+x", lambda x: +x, [M], {}),
    ("abs(x)", lambda x: abs(x), [M], {}),
    ("~x", lambda x: ~x, [M], {"grad": False}),
    ("x & y", lambda x, y: x & y, [M, (3,)], {"grad": False}),
    ("x | True", lambda x: x | True, [M], {"grad": False}),
    ("3 | x", lambda x: 3 | x, [M], {"grad": False}),
    ("x ^ y", lambda x, y: x ^ y, [M, M], {"grad": False}),
    ("True & x", lambda x: True & x, [M], {"grad": False}),
    ("x == 2", lambda x: x == 2, [M], {"grad": False}),
    ("x != y", lambda x, y: x != y, [M, (3,)], {"grad": False}),
    ("x < 0.5", lambda x: x < 0.5, [M], {"grad": False}),
    ("0.5 < x", lambda x: 0.5 < x, [M], {"grad": False}),
    ("x <= y", lambda x, y: x <= y, [M, M], {"grad": False}),
    ("x > zeros", lambda x: x > np.zeros(3), [M], {"grad": False}),
    ("zeros >= x", lambda x: np.zeros(3) >= x, [M], {"grad": False}),
    ("np.sin(x)", lambda x: np.sin(x), [M], {}),
    ("np.maximum(x, 0)", lambda x: np.maximum(x, 0), [M], {}),
    ("np.add(ones, x)", lambda x: np.add(np.ones(3), x), [M], {}),
    (".sum()", lambda x: x.sum(), [T], {}),
    (".sum(axis=0)", lambda x: x.sum(axis=0), [T], {}),
    (
        ".sum(axis=(0, 1), keepdims)",
        lambda x: x.sum(axis=(0, 1), keepdims=True),
        [T],
        {},
    ),
    (".sum(axis=-1, keepdims)", lambda x: x.sum(axis=-1, keepdims=True), [T], {}),
    (".mean()", lambda x: x.mean(), [T], {}),
    (".mean(axis=1)", lambda x: x.mean(axis=1), [T], {}),
    (".max()", lambda x: x.max(), [T], {}),
    (".max(axis=0, keepdims)", lambda x: x.max(axis=0, keepdims=True), [T], {}),
    (".min(axis=-1)", lambda x: x.min(axis=-1), [T], {}),
    (".prod(axis=0)", lambda x: x.prod(axis=0), [T], {}),
    (".var(ddof=1)", lambda x: x.var(ddof=1), [T], {}),
    (".std(axis=0)", lambda x: x.std(axis=0), [T], {}),
    (".argmax(axis=1)", lambda x: x.argmax(axis=1), [T], {"grad": False}),
    (".argmin()", lambda x: x.argmin(), [T], {"grad": False}),
    (".reshape(3, 2)", lambda x: x.reshape(3, 2), [M], {}),
    (".reshape((3, 2))", lambda x: x.reshape((3, 2)), [M], {}),
    (".reshape(-1)", lambda x: x.reshape(-1), [M], {}),
    (".astype(float32)", lambda x: x.astype(np.float32), [M], {"grad": False}),
    (".astype(float64)", lambda x: x.astype(np.float64), [M], {}),
    (".astype(int)", lambda x: x.astype(int), [M], {"grad": False}),
    (".astype(bool)", lambda x: x.astype(bool), [M], {"grad": False}),
    (".transpose(1, 0)", lambda x: x.transpose(1, 0), [M], {}),
    (".transpose((2, 0, 1))", lambda x: x.transpose((2, 0, 1)), [T], {}),
    (".transpose()", lambda x: x.transpose(), [T], {}),
    (".T", lambda x: x.T, [T], {}),
    (".ravel()", lambda x: x.ravel(), [T], {}),
    (".flatten()", lambda x: x.flatten(), [T], {}),
    (".squeeze()", lambda x: x[:, None, :1].squeeze(), [T], {}),
    (".squeeze(1)", lambda x: x[:, None].squeeze(1), [T], {}),
    (".swapaxes(0, 1)", lambda x: x.swapaxes(0, 1), [T], {}),
    (".dot(ones)", lambda x: x.dot(np.ones(3)), [M], {}),
    (".clip(-0.5, 0.5)", lambda x: x.clip(-0.5, 0.5), [M], {}),
    (".copy()", lambda x: x.copy(), [M], {}),
    (".cumsum(axis=1)", lambda x: x.cumsum(axis=1), [M], {}),
    (".cumprod()", lambda x: x.cumprod(), [M], {}),
    (".trace()", lambda x: x.trace(), [(3, 3)], {}),
    (".diagonal(1)", lambda x: x.diagonal(1), [(3, 4)], {}),
    (".repeat(2, axis=0)", lambda x: x.repeat(2, axis=0), [M], {}),
    (".any(axis=0)", lambda x: (x > 0.5).any(axis=0), [M], {"grad": False}),
    (".all()", lambda x: (x > -5).all(), [M], {"grad": False}),
    (".round(1)", lambda x: x.round(1), [M], {"dtypes": (np.float32, np.float64)}),
]:
    case(None, _label, lambda xp, *a, _f=_fn: _f(*a), *_shapes, eager=False, **_kw)


def _params(kind: str) -> list[Any]:
    """(case, dtype) pairs for the eager, traced or grad test, known bugs
    marked as strict expected failures."""
    params = []
    for c in CASES:
        if (kind == "eager" and not c.eager) or (kind == "grad" and not c.grad):
            continue
        bugs = {"eager": c.eager_bugs, "traced": c.bugs}.get(kind, {})
        for dtype in (np.float64,) if kind == "grad" else c.dtypes:
            name = np.dtype(dtype).name
            marks = []
            if name in bugs:
                marks.append(
                    pytest.mark.xfail(strict=True, reason=f"bug: {bugs[name]}")
                )
            params.append(pytest.param(c, dtype, id=f"{c.label}-{name}", marks=marks))
    return params


@pytest.mark.parametrize(("c", "dtype"), _params("eager"))
def test_eager_returns_exactly_what_numpy_returns(c: Case, dtype: Any) -> None:
    args = c.args(dtype)
    try:
        want = c.fn(np, *args)
    except Exception as err:
        with pytest.raises(type(err)):
            c.fn(fnp, *args)
        return
    got = c.fn(fnp, *args)
    if isinstance(want, tuple | list):
        assert type(got) is type(want) and len(got) == len(want)
        for g, w in zip(got, want):
            assert type(g) is type(w)
            assert_same(g, w, exact=True)
    else:
        assert type(got) is np.ndarray, f"got a {type(got).__name__}"
        assert_same(got, want, exact=True)


@pytest.mark.parametrize(("c", "dtype"), _params("traced"))
def test_traced_matches_numpy(c: Case, dtype: Any) -> None:
    # Where funcgrad deliberately gives another dtype than numpy (weak Python
    # scalars, see _WEAK_SCALAR_F32), expect numpy's values in that dtype.
    keep = c.traced_dtypes.get(np.dtype(dtype).name)

    def want(*a: Any) -> Any:
        out = c.fn(np, *a)
        if keep is not None:
            assert np.asarray(out).dtype != keep, "numpy agrees: not a difference"
            out = np.asarray(out).astype(keep)
        return out

    check_traced(
        want,
        lambda *a: c.fn(fnp, *a),
        c.args(dtype),
        zlib.crc32(c.label.encode()),
    )


@pytest.mark.parametrize(("c", "dtype"), _params("grad"))
def test_derivatives_match_finite_differences(c: Case, dtype: Any) -> None:
    check_derivatives(c.fn, c.args(dtype), zlib.crc32(c.label.encode()))


@pytest.mark.parametrize(("c", "dtype"), _params("grad"))
def test_second_derivatives_match_finite_differences(c: Case, dtype: Any) -> None:
    """`jvp` of `jvp`, and the Hessian-vector product of `sum(fn(x) * w)`
    forward over reverse and reverse over reverse, against differences of
    numpy's function (see `check_second_derivatives`), in float64."""
    check_second_derivatives(c.fn, c.args(dtype), zlib.crc32(c.label.encode()) + 1)


def _batch_of_three(c: Case, dtype: Any) -> list[tuple]:
    rng = np.random.default_rng(zlib.crc32(f"{c.label}{dtype}batch".encode()))
    return [tuple(sample(s, dtype, rng, c.values) for s in c.shapes) for _ in range(3)]


@pytest.mark.parametrize(("c", "dtype"), _params("traced"))
def test_vmap_matches_a_loop(c: Case, dtype: Any) -> None:
    batch = _batch_of_three(c, dtype)
    try:
        wants = [c.fn(np, *a) for a in batch]
    except Exception:
        return  # numpy rejects these arguments; the traced test checks we do too
    stacked = tuple(np.stack(column) for column in zip(*batch))
    got = fg.vmap(lambda *a: c.fn(fnp, *a))(*stacked)
    keep = c.traced_dtypes.get(np.dtype(dtype).name)
    want_leaves = [leaves(w) for w in wants]
    got_leaves = leaves(got)
    assert len(got_leaves) == len(want_leaves[0])
    for k, g in enumerate(got_leaves):
        want = np.stack([np.asarray(w[k]) for w in want_leaves])
        assert_same(g, want if keep is None else want.astype(keep))


@pytest.mark.parametrize(("c", "dtype"), _params("grad"))
def test_jit_matches_numpy(c: Case, dtype: Any) -> None:
    args = c.args(dtype)
    got = fg.jit(lambda *a: c.fn(fnp, *a))(*args)
    assert_all_same(got, c.fn(np, *args))


# Public functions exercised outside the table (below, or for logaddexp and
# logaddexp2 in tests/test_stable_functions.py).
_COVERED_ELSEWHERE = {"shape", "ndim", "size", "empty", "empty_like"}
_COVERED_ELSEWHERE |= {"logaddexp", "logaddexp2"}
# tests/test_indexing.py
_COVERED_ELSEWHERE |= {"argsort", "at", "sort", "take", "take_along_axis"}
# tests/test_arrays.py
_COVERED_ELSEWHERE |= __import__("test_arrays").ARRAY_FUNCTIONS
# tests/test_complex.py (real, imag, conj, angle, iscomplex...)
_COVERED_ELSEWHERE |= __import__("test_complex").COMPLEX_FUNCTIONS


def test_every_public_function_has_a_case() -> None:
    public = {
        name
        for name in dir(fnp)
        if not name.startswith("_")
        and callable(getattr(fnp, name))
        and not isinstance(getattr(fnp, name), type)
    }
    covered = {c.name for c in CASES if c.name} | _COVERED_ELSEWHERE
    assert public - covered == set(), "public functions without a test case"
    assert covered - public == set(), "cases for names funcgrad.numpy lacks"


# --- broadcasting and promotion -----------------------------------------------

_BINARY = _ARITHMETIC + _LOGIC + _BITWISE
_ARRAY_DTYPES = ["bool", "uint8", "int32", "int64", "float16", "float32", "float64"]
_SCALAR_KINDS = ["py-bool", "py-int", "py-float"]


def _operand(data: Any, kind: str, shape: tuple, positive: bool) -> Any:
    if kind == "py-bool":
        return True if positive else data.draw(st.booleans())
    if kind == "py-int":
        return data.draw(st.integers(1 if positive else -3, 3))
    if kind == "py-float":
        return data.draw(st.floats(0.5 if positive else -3, 3))
    dtype = np.dtype(kind)
    if dtype.kind == "b":
        elements = st.just(True) if positive else st.booleans()
    elif dtype.kind in "iu":
        elements = st.integers(1 if positive or dtype.kind == "u" else -3, 3)
    else:
        elements = st.floats(0.5 if positive else -3, 3, width=dtype.itemsize * 8)
    return data.draw(hnp.arrays(dtype, shape, elements=elements))


def _known_bug(name: str, x: Any, y: Any) -> bool:
    # see test_comparing_with_an_out_of_range_python_int
    return name in _LOGIC[:6] and (_out_of_range(x, y) or _out_of_range(y, x))


def _out_of_range(scalar: Any, array: Any) -> bool:
    if type(scalar) is not int or array.dtype.kind not in "iu":
        return False
    info = np.iinfo(array.dtype)
    return not info.min <= scalar <= info.max


@given(data=st.data())
def test_binary_ufuncs_broadcast_and_promote_like_numpy(data: Any) -> None:
    name = data.draw(st.sampled_from(_BINARY), label="ufunc")
    shapes = data.draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3)
    ).input_shapes
    kinds = data.draw(
        st.tuples(*[st.sampled_from(_ARRAY_DTYPES + _SCALAR_KINDS)] * 2).filter(
            lambda k: not (k[0].startswith("py") and k[1].startswith("py"))
        ),
        label="kinds",
    )
    positive = name in ("divide", "true_divide", "power")
    x = _operand(data, kinds[0], shapes[0], positive)
    y = _operand(data, kinds[1], shapes[1], positive)
    assume(not _known_bug(name, x, y))
    if name == "power":
        # Keep the powers small and finite: float16 overflows beyond 65504.
        assume(np.all(np.abs(np.power(np.float64(x), np.float64(y))) < 1e4))
    traced = [i for i, v in enumerate((x, y)) if isinstance(v, np.ndarray)]

    def call(xp: Any, *arrays: Any) -> Any:
        operands = [x, y]
        for i, a in zip(traced, arrays):
            operands[i] = a
        return getattr(xp, name)(*operands)

    check_traced(
        lambda *a: call(np, *a),
        lambda *a: call(fnp, *a),
        tuple([x, y][i] for i in traced),
    )


@pytest.mark.xfail(
    strict=True,
    reason="bug: comparing a uint8 array with a Python int it cannot hold "
    "raises OverflowError inside a transform; numpy 2 compares the values",
)
def test_comparing_with_an_out_of_range_python_int() -> None:
    x = np.array([0, 1, 255], np.uint8)
    check_traced(lambda a: np.less(a, -1), lambda a: fnp.less(a, -1), (x,))


# --- reductions ---------------------------------------------------------------

_REDUCTIONS = ["sum", "mean", "prod", "max", "min", "var", "std", "argmax", "argmin"]


@given(data=st.data())
def test_reductions_match_numpy_for_any_axes(data: Any) -> None:
    name = data.draw(st.sampled_from(_REDUCTIONS), label="reduction")
    dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4))
    ndim = len(shape)
    int_axis = st.integers(-ndim, ndim - 1) if ndim else st.nothing()
    if name in ("argmax", "argmin"):
        axes = st.none() | int_axis
    else:
        axes = st.none() | int_axis | hnp.valid_tuple_axes(ndim)
    axis = data.draw(axes, label="axis")
    kwargs: dict[str, Any] = {"axis": axis, "keepdims": data.draw(st.booleans())}
    if name in ("var", "std"):
        kwargs["ddof"] = data.draw(st.integers(0, 1), label="ddof")
        axes_tuple = range(ndim) if axis is None else np.atleast_1d(axis)
        count = math.prod(shape[a] for a in axes_tuple)
        # The derivative of `std` is infinite where the variance is zero.
        assume(count > kwargs["ddof"] and (name == "var" or count > 1))
    x = sample(
        shape, dtype, np.random.default_rng(data.draw(st.integers(0, 99))), "normal"
    )
    check_traced(
        lambda a: getattr(np, name)(a, **kwargs),
        lambda a: getattr(fnp, name)(a, **kwargs),
        (x,),
    )


# --- products -----------------------------------------------------------------


@given(data=st.data())
def test_matmul_broadcasts_batches_like_numpy(data: Any) -> None:
    batch_a, batch_b = data.draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3)
    ).input_shapes
    n, k, m = data.draw(st.tuples(*[st.integers(1, 3)] * 3), label="n, k, m")
    vec_a, vec_b = data.draw(st.booleans()), data.draw(st.booleans())
    sa = (k,) if vec_a else batch_a + (n, k)
    sb = (k,) if vec_b else batch_b + (k, m)
    dtype = data.draw(st.sampled_from(DTYPES))
    rng = np.random.default_rng(data.draw(st.integers(0, 99)))
    a, b = sample(sa, dtype, rng, "normal"), sample(sb, dtype, rng, "normal")
    check_traced(np.matmul, fnp.matmul, (a, b))
    check_traced(operator.matmul, operator.matmul, (a, b))
    if dtype == np.float64 and a.size * b.size <= 200:
        check_derivatives(lambda xp, a, b: xp.matmul(a, b), (a, b))


@given(data=st.data())
def test_tensordot_with_random_contracted_axes(data: Any) -> None:
    shape_a = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    picked = data.draw(hnp.valid_tuple_axes(len(shape_a)), label="axes of a")
    perm = data.draw(st.permutations(range(len(picked))), label="order in b")
    free_b = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
    axes_b = tuple(range(len(picked)))
    shape_b = tuple(shape_a[picked[p]] for p in perm) + free_b
    axes = ([picked[p] for p in perm], list(axes_b))
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    check_traced(
        lambda a, b: np.tensordot(a, b, axes),
        lambda a, b: fnp.tensordot(a, b, axes),
        (a, b),
    )


# --- shape functions ----------------------------------------------------------


def _factor(n: int) -> list[int]:
    out, p = [], 2
    while n > 1:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    return out


@given(data=st.data())
def test_reshape_to_any_shape_of_the_same_size(data: Any) -> None:
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4))
    factors = data.draw(st.permutations(_factor(math.prod(shape))))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(factors)), max_size=4)))
    bounds = [0, *cuts, len(factors)]
    target = [math.prod(factors[i:j]) for i, j in itertools.pairwise(bounds)]
    if target and data.draw(st.booleans(), label="use -1"):
        target[data.draw(st.integers(0, len(target) - 1))] = -1
    dtype = data.draw(st.sampled_from(DTYPES))
    x = sample(shape, dtype, np.random.default_rng(0), "normal")
    check_traced(
        lambda a: np.reshape(a, tuple(target)),
        lambda a: fnp.reshape(a, tuple(target)),
        (x,),
    )
    check_traced(lambda a: a.reshape(*target), lambda a: a.reshape(*target), (x,))


@given(data=st.data())
def test_transpose_and_moveaxis_with_random_axes(data: Any) -> None:
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, max_side=3))
    ndim = len(shape)
    negate = st.booleans()
    perm = [
        p - ndim * data.draw(negate) for p in data.draw(st.permutations(range(ndim)))
    ]
    count = data.draw(st.integers(1, ndim))
    src = data.draw(st.permutations(range(ndim)))[:count]
    dst = data.draw(st.permutations(range(ndim)))[:count]
    src = [s - ndim * data.draw(negate) for s in src]
    x = np.random.default_rng(0).standard_normal(shape)
    check_traced(
        lambda a: np.transpose(a, perm), lambda a: fnp.transpose(a, perm), (x,)
    )
    check_traced(
        lambda a: np.moveaxis(a, src, dst), lambda a: fnp.moveaxis(a, src, dst), (x,)
    )
    if count == 1:
        s, d = src[0], dst[0]
        check_traced(
            lambda a: np.moveaxis(a, s, d), lambda a: fnp.moveaxis(a, s, d), (x,)
        )
        check_traced(
            lambda a: np.swapaxes(a, s, d), lambda a: fnp.swapaxes(a, s, d), (x,)
        )
    if x.size <= 30:
        check_derivatives(
            lambda xp, a: xp.moveaxis(xp.transpose(a, perm), src, dst), (x,)
        )


@given(data=st.data())
def test_concatenate_and_stack_with_mixed_dtypes(data: Any) -> None:
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    ndim = len(shape)
    axis = data.draw(st.integers(-ndim, ndim - 1), label="axis")
    count = data.draw(st.integers(1, 3), label="count")
    dtypes = data.draw(
        st.lists(st.sampled_from(DTYPES), min_size=count, max_size=count)
    )
    rng = np.random.default_rng(0)
    parts = []
    for dtype in dtypes:
        part = list(shape)
        part[axis] = data.draw(st.integers(0, 3))
        parts.append(sample(tuple(part), dtype, rng, "normal"))
    check_traced(
        lambda *a: np.concatenate(a, axis=axis),
        lambda *a: fnp.concatenate(a, axis=axis),
        tuple(parts),
    )
    same = tuple(sample(shape, d, rng, "normal") for d in dtypes)
    new_axis = data.draw(st.integers(-ndim - 1, ndim), label="stack axis")
    check_traced(
        lambda *a: np.stack(a, axis=new_axis),
        lambda *a: fnp.stack(a, axis=new_axis),
        same,
    )


# --- tracer attributes --------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 0, 4)])
def test_tracers_report_shape_ndim_dtype_size_and_len(shape: tuple, dtype: Any) -> None:
    x = np.zeros(shape, dtype)
    seen = []

    def f(t: Any) -> Any:
        assert t.shape == x.shape and type(t.shape) is tuple
        assert t.ndim == x.ndim and t.size == x.size and t.dtype == x.dtype
        assert fnp.shape(t) == np.shape(x) and fnp.ndim(t) == np.ndim(x)
        assert fnp.size(t) == np.size(x)
        if shape:
            assert len(t) == len(x)
        else:
            with pytest.raises(TypeError):
                len(t)
        seen.append(type(t).__name__)
        return t

    fg.make_jaxpr(f)(x)
    fg.jvp(f, (x,), (np.zeros_like(x),))
    if x.dtype == np.float64:
        fg.grad(lambda t: fnp.sum(f(t)))(x)
    assert len(seen) >= 2, "the function was not traced"
    assert fnp.shape(x) == x.shape and fnp.ndim(x) == x.ndim and fnp.size(x) == x.size


def test_empty_and_empty_like_have_numpy_shapes_and_dtypes() -> None:
    for got, want in [
        (fnp.empty((2, 3)), np.empty((2, 3))),
        (fnp.empty(4, np.int64), np.empty(4, np.int64)),
        (
            fnp.empty_like(np.ones((2,), np.float32)),
            np.empty_like(np.ones(2, np.float32)),
        ),
    ]:
        assert type(got) is np.ndarray
        assert got.shape == want.shape and got.dtype == want.dtype

    def f(x: Any) -> Any:
        return x + fnp.empty_like(x) + fnp.empty(x.shape, x.dtype)

    x = np.ones((2, 3), np.float32)
    assert_same(fg.make_jaxpr(f)(x)(x)[0], np.ones((2, 3), np.float32))


def test_where_with_one_argument_is_numpys_and_needs_concrete_values() -> None:
    cond = np.array([[True, False], [False, True]])
    got, want = fnp.where(cond), np.where(cond)
    assert type(got) is tuple and len(got) == len(want)
    for g, w in zip(got, want):
        assert_same(g, w, exact=True)
    with pytest.raises(TypeError, match="where"):
        fg.make_jaxpr(lambda x: fnp.where(x > 0))(np.ones(3))


# --- basic indexing -----------------------------------------------------------

S = slice
INDICES = [
    0,
    -1,
    (1, 2),
    (-1, -2, -3),
    (0, 0, 0),
    S(None),
    S(1, None),
    S(None, None, -1),
    S(None, None, -2),
    (S(None, None, -3),),
    (S(5, -10, -1),),
    (S(-100, 100, 3),),
    (S(0, 10, 7),),
    (S(None, -10, -1),),
    (S(-1, None, -1),),
    (S(2, 1),),
    (S(1, 1),),
    (S(3, 0, -2), S(None), S(4, None, -3)),
    (S(None), S(1, 3), S(None, None, 2)),
    (S(2, 0, -1),) * 3,
    None,
    (None, None, 0),
    Ellipsis,
    (Ellipsis, 0),
    (0, Ellipsis),
    (0, Ellipsis, -1),
    (Ellipsis, None),
    (S(None, None, -2), None, S(1, None), Ellipsis),
    (1, None, S(None, None, 2), None, -1),
    (S(None), None, Ellipsis, None),
    (np.int64(1),),
    (np.int64(-1), S(None)),
    (),
]


@pytest.mark.parametrize("index", INDICES, ids=repr)
@pytest.mark.parametrize("dtype", DTYPES)
def test_basic_indexing_matches_numpy(index: Any, dtype: Any) -> None:
    x = sample((3, 4, 5), dtype, np.random.default_rng(0), "normal")
    check_traced(lambda a: a[index], lambda a: a[index], (x,))


@pytest.mark.parametrize("index", INDICES, ids=repr)
def test_gradient_of_basic_indexing(index: Any) -> None:
    x = np.random.default_rng(0).standard_normal((3, 4, 5))
    check_derivatives(lambda xp, a: a[index], (x,))


def _slices(n: int) -> Any:
    bound = st.none() | st.integers(-2 * n - 2, 2 * n + 2)
    step = st.none() | st.integers(-4, 4).filter(bool)
    return st.builds(slice, bound, bound, step) | st.slices(n)


@given(data=st.data())
def test_random_basic_indices_and_their_gradients(data: Any) -> None:
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5))
    if shape and data.draw(st.booleans(), label="own slices"):
        index: Any = tuple(data.draw(_slices(n)) for n in shape)
    else:
        index = data.draw(
            hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True)
        )
    x = np.random.default_rng(0).standard_normal(shape)
    check_traced(lambda a: a[index], lambda a: a[index], (x,))
    check_traced(lambda a: a[index], lambda a: a[index], (x.astype(np.int64),))
    check_derivatives(lambda xp, a: a[index], (x,))


# Advanced indices (integer arrays, boolean masks) are tested in
# tests/test_indexing.py; a Python bool as an index is still refused.
def test_a_python_bool_index_is_not_supported_on_traced_arrays() -> None:
    x = np.ones((2, 3))
    x[True]  # numpy accepts it
    with pytest.raises(TypeError, match="not supported"):
        fg.make_jaxpr(lambda a: a[True])(x)
    with pytest.raises(TypeError, match="not supported"):
        fg.grad(lambda a: fnp.sum(a[True]))(x)


def test_a_traced_boolean_mask_under_jit_points_to_where() -> None:
    with pytest.raises(TypeError, match="where"):
        fg.make_jaxpr(lambda a: a[a > 0])(np.ones((2, 3)))


def test_a_0d_integer_array_indexes_like_an_integer() -> None:
    x = np.arange(6.0).reshape(2, 3)
    check_traced(lambda a: a[np.array(1)], lambda a: a[np.array(1)], (x,))


@pytest.mark.parametrize(
    "index", [2, -3, (0, 3), (0, 0, 0), (Ellipsis, 0, Ellipsis)], ids=repr
)
def test_bad_basic_indices_raise_index_error_like_numpy(index: Any) -> None:
    x = np.ones((2, 3))
    with pytest.raises(IndexError):
        x[index]
    with pytest.raises(IndexError):
        fg.make_jaxpr(lambda a: a[index])(x)


# --- errors -------------------------------------------------------------------


def _error_cases() -> list[Any]:
    a23, a45 = np.ones((2, 3)), np.ones((4, 5))
    cases = [
        ("matmul", lambda x: fnp.matmul(x, x), a23, ["(2, 3)", "(2, 3)"]),
        ("matmul", lambda x: x @ a45, a23, ["(2, 3)", "(4, 5)"]),
        ("matmul", lambda x: a45 @ x, a23, ["(4, 5)", "(2, 3)"]),
        ("dot", lambda x: fnp.dot(x, a45), a23, ["(2, 3)", "(4, 5)"]),
        ("inner", lambda x: fnp.inner(x, a45), a23, ["(2, 3)", "(4, 5)"]),
        ("tensordot", lambda x: fnp.tensordot(x, a45, 1), a23, ["(2, 3)", "(4, 5)"]),
        ("add", lambda x: fnp.add(x, np.ones(4)), a23, ["(2, 3)", "(4,)"]),
        # The primitive's name is accepted for the operators.
        ("multiply|mul", lambda x: x * np.ones((3, 2)), a23, ["(2, 3)", "(3, 2)"]),
        ("subtract|sub", lambda x: np.ones(4) - x, a23, ["(4,)", "(2, 3)"]),
        (
            "broadcast_to",
            lambda x: fnp.broadcast_to(x, (3, 3)),
            a23,
            ["(2, 3)", "(3, 3)"],
        ),
        ("reshape", lambda x: fnp.reshape(x, (4, 2)), a23, ["(2, 3)", "(4, 2)"]),
        ("reshape", lambda x: fnp.reshape(x, (4, -1)), a23, ["(2, 3)", "(4, -1)"]),
        ("reshape", lambda x: x.reshape(5), a23, ["(2, 3)", "(5,)"]),
        (
            "concatenate",
            lambda x: fnp.concatenate([x, x[0]]),
            a23,
            ["(2, 3)", "(3,)"],
        ),
        (
            "concatenate",
            lambda x: fnp.concatenate([x, np.ones((2, 4))]),
            a23,
            ["(2, 3)", "(2, 4)"],
        ),
        ("stack", lambda x: fnp.stack([x, x[0]]), a23, ["(2, 3)", "(3,)"]),
        ("squeeze", lambda x: fnp.squeeze(x, axis=0), a23, ["(2, 3)"]),
        ("sum", lambda x: fnp.sum(x, axis=2), a23, ["2"]),
        ("moveaxis", lambda x: fnp.moveaxis(x, 0, 2), a23, ["2"]),
        ("transpose", lambda x: fnp.transpose(x, (0, 0)), a23, ["(0, 0)"]),
    ]
    params = [pytest.param(*c, id=f"{c[0]}-{i}") for i, c in enumerate(cases)]
    params.append(
        pytest.param(
            "vdot",
            lambda x: fnp.vdot(x, np.ones(5)),
            a23,
            ["(6,)", "(5,)"],
            id="vdot",
            marks=pytest.mark.xfail(
                strict=True, reason="bug: `vdot`'s shape error names `inner`"
            ),
        )
    )
    params.append(
        pytest.param(
            "transpose",
            lambda x: fnp.transpose(x, (0,)),
            a23,
            ["(0,)"],
            id="transpose-short-axes",
        )
    )
    return params


@pytest.mark.parametrize(("name", "f", "x", "mentions"), _error_cases())
def test_shape_errors_name_the_function_and_the_shapes(
    name: str, f: Callable, x: Any, mentions: list[str]
) -> None:
    with pytest.raises(ValueError):  # numpy rejects it too
        f(x)
    for run in (
        lambda: fg.make_jaxpr(f)(x),
        lambda: fg.jvp(f, (x,), (x,)),
        lambda: fg.grad(lambda a: fnp.sum(f(a)))(x),
    ):
        with pytest.raises(ValueError) as info:
            run()
        assert isinstance(info.value, FuncgradError)
        message = str(info.value)
        assert any(f"`{n}`" in message for n in name.split("|")), message
        for shape in mentions:
            assert message.count(shape) >= mentions.count(shape), message
