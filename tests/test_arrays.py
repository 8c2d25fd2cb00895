"""The array functions of `funcgrad.numpy` (`_arrays`, `_einsum` and the
NaN-ignoring and logical reductions) against numpy, the oracle.

A table of cases runs each function eagerly (exactly numpy's dtype, shape
and values), traced through `make_jaxpr` (the staged program evaluated),
and, for the differentiable ones, through `grad` and `jvp` in float64
against central finite differences of the numpy function. Hypothesis then
varies shapes, axes and parameters for the families where that pays; the
last sections pin the derivative conventions (zeros in products, ties in
running maxima, NaNs in the nan-reductions), check `vmap` against a loop
and `jit` against eager for a sample, and check the error messages.
"""

from __future__ import annotations

import dataclasses
import doctest
import importlib
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.errors import ConcretizationError, FuncgradError

# --- helpers ------------------------------------------------------------------


def assert_same(got: Any, want: Any) -> None:
    """`got` has numpy's dtype, shape and (nearly) numpy's values."""
    if isinstance(want, tuple | list):
        assert isinstance(got, tuple | list) and len(got) == len(want)
        for g, w in zip(got, want):
            assert_same(g, w)
        return
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, f"dtype {got.dtype}, numpy gives {want.dtype}"
    assert got.shape == want.shape, f"shape {got.shape}, numpy gives {want.shape}"
    if want.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want)
    else:
        tol = 2e-5 if want.dtype == np.float32 else 1e-10
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def staged(f: Callable[..., Any], *args: Any) -> Any:
    """`f(*args)` as a staged program, evaluated (the traced path)."""
    closed = fg.make_jaxpr(f)(*args)
    outs = closed(*args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        several = isinstance(f(*args), tuple | list)
    return tuple(outs) if several else outs[0]


def _evaluated(f: Callable[..., Any], *args: Any) -> Any:
    """The one result of `f(*args)` as a staged program, evaluated (without
    compiling it: `jit` is tested in a few places only, to keep the kernels
    the tests compile few)."""
    return fg.make_jaxpr(f)(*args)(*args)[0]


def numeric_grad(f: Callable[..., float], x: np.ndarray, eps: float = 1e-6) -> Any:
    g = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        g[i] = (f(up) - f(down)) / (2 * eps)
    return g


def check_grad(fn: Callable[..., Any], args: tuple, argnum: int = 0) -> None:
    """`grad` of `sum(fn(x) * w)` and `jvp` of `fn` against central
    differences of the numpy function, in float64."""
    rng = np.random.default_rng(0)
    out = fn(np, *args)
    w = rng.standard_normal(np.shape(out))

    def with_arg(xp: Any, x: Any) -> Any:
        full = list(args)
        full[argnum] = x
        return fn(xp, *full)

    def loss_np(x: np.ndarray) -> float:
        return float(np.sum(with_arg(np, x) * w))

    got = fg.grad(lambda x: fnp.sum(with_arg(fnp, x) * w))(args[argnum])
    want = numeric_grad(loss_np, args[argnum])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)

    t = rng.standard_normal(args[argnum].shape)
    _, out_dot = fg.jvp(lambda x: with_arg(fnp, x), (args[argnum],), (t,))
    eps = 1e-6
    numeric = (with_arg(np, args[argnum] + eps * t) - with_arg(np, args[argnum] - eps * t)) / (2 * eps)  # fmt: skip
    np.testing.assert_allclose(out_dot, numeric, rtol=1e-5, atol=1e-6)


# --- the table of cases -------------------------------------------------------


@dataclasses.dataclass
class Case:
    """`fn(xp, *arrays)` with `xp` numpy or `funcgrad.numpy`; arrays of
    `shapes` in each of `dtypes`; `grad` says whether to check derivatives
    with respect to the first array."""

    label: str
    fn: Callable[..., Any]
    shapes: tuple
    dtypes: tuple = (np.float64, np.float32, np.int64)
    grad: bool = True
    values: str = "normal"

    def args(self, dtype: Any) -> tuple:
        rng = np.random.default_rng(zlib.crc32(f"{self.label}{dtype}".encode()))
        out = []
        for shape in self.shapes:
            if np.dtype(dtype).kind in "iu":
                out.append(rng.integers(-3, 4, shape).astype(dtype))
            elif np.dtype(dtype) == np.bool_:
                out.append(rng.random(shape) < 0.5)
            elif self.values == "positive":
                out.append(rng.uniform(0.5, 2.0, shape).astype(dtype))
            else:
                out.append(rng.standard_normal(shape).astype(dtype))
        return tuple(out)


CASES: list[Case] = []


def case(label: str, fn: Callable[..., Any], *shapes: tuple, **kw: Any) -> None:
    CASES.append(Case(label, fn, shapes, **kw))


M, T = (3, 4), (2, 3, 4)
ALL_DTYPES = (np.float64, np.float32, np.int64, np.bool_)

case("cumsum", lambda xp, x: xp.cumsum(x), T)
case("cumsum-axis", lambda xp, x: xp.cumsum(x, axis=-2), T, dtypes=ALL_DTYPES)
case("cumsum-dtype", lambda xp, x: xp.cumsum(x, axis=1, dtype=np.float64), M)
case("cumprod", lambda xp, x: xp.cumprod(x, axis=1), M)
case("cumprod-flat", lambda xp, x: xp.cumprod(x), M, dtypes=ALL_DTYPES)
case("nancumsum", lambda xp, x: xp.nancumsum(x, axis=0), M)
case("nancumprod", lambda xp, x: xp.nancumprod(x, axis=0), M)
case("cumulative_sum", lambda xp, x: xp.cumulative_sum(x, axis=1, include_initial=True), M)  # fmt: skip
case("cumulative_prod", lambda xp, x: xp.cumulative_prod(x, axis=0), M)
case("diff", lambda xp, x: xp.diff(x), T, dtypes=ALL_DTYPES)
case("diff-n2-axis0", lambda xp, x: xp.diff(x, n=2, axis=0), (4, 3))
case("diff-prepend", lambda xp, x: xp.diff(x, prepend=0.5, append=x[:, :1]), M)
case("ediff1d", lambda xp, x: xp.ediff1d(x, to_begin=[1.0], to_end=2.0), M)
case("flip", lambda xp, x: xp.flip(x), T, dtypes=ALL_DTYPES)
case("flip-axes", lambda xp, x: xp.flip(x, (0, -1)), T)
case("fliplr", lambda xp, x: xp.fliplr(x), M)
case("flipud", lambda xp, x: xp.flipud(x), M)
for _k in (1, 2, 3, -1):
    case(f"rot90-{_k}", lambda xp, x, _k=_k: xp.rot90(x, _k, axes=(2, 0)), T)
case("roll-flat", lambda xp, x: xp.roll(x, 5), M, dtypes=ALL_DTYPES)
case("roll-tuple", lambda xp, x: xp.roll(x, (1, -2), (0, 2)), T)
case("roll-same-axis", lambda xp, x: xp.roll(x, (1, 2), (1, 1)), T)
case("tile", lambda xp, x: xp.tile(x, (2, 1, 3)), M, dtypes=ALL_DTYPES)
case("tile-int", lambda xp, x: xp.tile(x, 2), T)
case("repeat", lambda xp, x: xp.repeat(x, 2), M, dtypes=ALL_DTYPES)
case("repeat-axis", lambda xp, x: xp.repeat(x, [1, 0, 2, 2], axis=1), M)
case("repeat-many", lambda xp, x: xp.repeat(x, np.arange(40) % 3, axis=1), (2, 40))
case("delete-many", lambda xp, x: xp.delete(x, np.arange(0, 40, 2), axis=-1), (2, 40))  # fmt: skip
case("pad-constant", lambda xp, x: xp.pad(x, ((1, 2), (0, 1)), constant_values=((1, 2), (3, 4))), M)  # fmt: skip
case("pad-edge", lambda xp, x: xp.pad(x, 2, mode="edge"), M, dtypes=ALL_DTYPES)
case("pad-reflect", lambda xp, x: xp.pad(x, ((3, 1), (5, 0)), mode="reflect"), M)
case("pad-symmetric", lambda xp, x: xp.pad(x, (4, 9), mode="symmetric"), M)
case("pad-mean", lambda xp, x: xp.pad(x, ((1, 2), (0, 3)), mode="mean"), M, dtypes=(np.float64, np.float32))  # fmt: skip
case("pad-maximum", lambda xp, x: xp.pad(x, 2, mode="maximum"), M, dtypes=ALL_DTYPES)
case("pad-ramp", lambda xp, x: xp.pad(x, ((2, 3), (1, 0)), mode="linear_ramp", end_values=((1, -1), (0.5, 2))), M, dtypes=(np.float64, np.float32))  # fmt: skip
case("pad-wrap", lambda xp, x: xp.pad(x, ((0, 7), (9, 2)), mode="wrap"), M)
# "odd" reflections wider than the axis: numpy reflects one period at a time
case("pad-reflect-odd", lambda xp, x: xp.pad(x, ((3, 1), (9, 2)), mode="reflect", reflect_type="odd"), M, dtypes=ALL_DTYPES)  # fmt: skip
case("pad-symmetric-odd", lambda xp, x: xp.pad(x, (5, 11), mode="symmetric", reflect_type="odd"), M)  # fmt: skip
case("pad-median", lambda xp, x: xp.pad(x, ((1, 2), (3, 0)), mode="median"), M, dtypes=(np.float64, np.float32))  # fmt: skip
case("pad-stat-length", lambda xp, x: xp.pad(x, ((2, 1), (1, 3)), mode="minimum", stat_length=((1, 2), (3, 1))), M, dtypes=ALL_DTYPES)  # fmt: skip
case("pad-mean-stat-length", lambda xp, x: xp.pad(x, (1, 2), mode="mean", stat_length=(3, 1)), M, dtypes=(np.float64, np.float32))  # fmt: skip
case("pad-median-stat-length", lambda xp, x: xp.pad(x, 2, mode="median", stat_length=2.4), M, dtypes=(np.float64, np.float32))  # fmt: skip
case("split", lambda xp, x: xp.split(x, 2, axis=1), M)
case("split-indices", lambda xp, x: xp.split(x, [1, 3, -1, 10]), (5, 2))
case("array_split", lambda xp, x: xp.array_split(x, 3, axis=-1), T)
case("hsplit", lambda xp, x: xp.hsplit(x, 2), M)
case("vsplit", lambda xp, x: xp.vsplit(x, [1]), M)
case("dsplit", lambda xp, x: xp.dsplit(x, 2), T)
case("unstack", lambda xp, x: xp.unstack(x, axis=1), T)
case("diagonal", lambda xp, x: xp.diagonal(x), M, dtypes=ALL_DTYPES)
case("diagonal-offset", lambda xp, x: xp.diagonal(x, -1, 2, 0), T)
case("trace", lambda xp, x: xp.trace(x, 1), M)
case("trace-axes", lambda xp, x: xp.trace(x, 0, -1, 0), T)
case("diag-matrix", lambda xp, x: xp.diag(x, -1), M)
case("diag-vector", lambda xp, x: xp.diag(x, 2), (3,), dtypes=ALL_DTYPES)
case("diagflat", lambda xp, x: xp.diagflat(x, -1), (2, 2))
case("tril", lambda xp, x: xp.tril(x, -1), T, dtypes=ALL_DTYPES)
case("triu", lambda xp, x: xp.triu(x, 1), M)
case("triu-1d", lambda xp, x: xp.triu(x), (3,))
case("kron", lambda xp, x, y: xp.kron(x, y), M, (2, 1, 2))
case("kron-right", lambda xp, y, x: xp.kron(x, y), (2, 2), (3,))
case("meshgrid-xy", lambda xp, x, y: xp.meshgrid(x, y), (3,), (2,))
case("meshgrid-ij", lambda xp, x, y: xp.meshgrid(x, y, y, indexing="ij"), (3,), (2,))
case("meshgrid-sparse", lambda xp, x, y: xp.meshgrid(x, y, sparse=True), (3,), (2,))
case("broadcast_arrays", lambda xp, x, y: xp.broadcast_arrays(x, y), (3, 1), (2,))
case("cross", lambda xp, x, y: xp.cross(x, y), (4, 3), (3,))
case("cross-axisc", lambda xp, x, y: xp.cross(x, y, axisc=0), (2, 3), (3,))
case("convolve", lambda xp, x, y: xp.convolve(x, y), (5,), (3,))
case("convolve-same", lambda xp, x, y: xp.convolve(x, y, "same"), (2,), (5,))
case("convolve-valid", lambda xp, x, y: xp.convolve(x, y, "valid"), (3,), (6,))
case("correlate", lambda xp, x, y: xp.correlate(x, y), (6,), (4,))
case("correlate-same-long", lambda xp, x, y: xp.correlate(x, y, "same"), (2,), (5,))
case("correlate-full-long", lambda xp, x, y: xp.correlate(x, y, "full"), (3,), (4,))
case("polyval", lambda xp, p, x: xp.polyval(p, x), (4,), M)
case("polyval-x", lambda xp, x, p: xp.polyval(p, x), M, (3,))
case("vander", lambda xp, x: xp.vander(x), (4,), dtypes=ALL_DTYPES)
case("vander-inc", lambda xp, x: xp.vander(x, 3, increasing=True), (4,))
case("trapezoid", lambda xp, y: xp.trapezoid(y), M)
case("trapezoid-dx", lambda xp, y: xp.trapezoid(y, dx=0.5, axis=0), M)
case("trapezoid-x", lambda xp, y, x: xp.trapezoid(y, x), M, (4,))
case("trapezoid-x-grad", lambda xp, x, y: xp.trapezoid(y, x, axis=0), M, M)
case("append", lambda xp, x, y: xp.append(x, y), M, (2,))
case("append-axis", lambda xp, x, y: xp.append(x, y, axis=0), M, (1, 4))
case("column_stack", lambda xp, x, y: xp.column_stack([x, y]), (3,), (3, 2))
case("dstack", lambda xp, x, y: xp.dstack([x, y]), M, M)
case(
    "row_stack",
    lambda xp, x, y: (np.vstack if xp is np else fnp.row_stack)([x, y]),
    M,
    (4,),
)
case("block", lambda xp, x, y: xp.block([[x, x], [y, y]]), (2, 2), (1, 2))
case("block-3d", lambda xp, x, y: xp.block([[[x], [y]]]), (2, 2), (2, 2))
case("resize", lambda xp, x: xp.resize(x, (5, 3)), M)
case("insert", lambda xp, x, y: xp.insert(x, 1, y, axis=1), M, (3,))
case("insert-many", lambda xp, x, y: xp.insert(x, [3, 0, 3], y[:, :1], axis=1), M, M)  # fmt: skip
case("insert-flat", lambda xp, x, y: xp.insert(x, slice(0, None, 2), y[0, 0]), M, M)
case("insert-list1", lambda xp, x, y: xp.insert(x, [1], y[:, :1], axis=1), M, M)
case("delete", lambda xp, x: xp.delete(x, [0, 2], axis=1), M)
case("delete-flat", lambda xp, x: xp.delete(x, slice(1, None, 3)), M)
case("compress", lambda xp, x: xp.compress([True, False, True], x, axis=0), M)
case("select", lambda xp, x: xp.select([x > 0.5, x < -0.5], [x, x * 2], 0.25), M)
case("einsum-matmul", lambda xp, x, y: xp.einsum("ij,jk->ik", x, y), M, (4, 2))
case("einsum-implicit", lambda xp, x, y: xp.einsum("ij,kj", x, y), M, (2, 4))
case("einsum-trace", lambda xp, x: xp.einsum("ii", x), (3, 3))
case("einsum-diag", lambda xp, x: xp.einsum("iji->ij", x), (3, 2, 3))
case("einsum-sum", lambda xp, x: xp.einsum("ijk->j", x), T)
case("einsum-ellipsis", lambda xp, x, y: xp.einsum("...j,j->...", x, y), T, (4,))
case("einsum-three", lambda xp, x, y: xp.einsum("ij,jk,k", x, y, y[0]), (2, 2), (2, 2))  # fmt: skip
case("einsum-outer", lambda xp, x, y: xp.einsum("i,j", x, y), (3,), (2,))
case("einsum-sublist", lambda xp, x, y: xp.einsum(x, [0, 1], y, [1, 2], [2, 0]), M, (4, 2))  # fmt: skip
case("einsum-bcast", lambda xp, x, y: xp.einsum("...ij,...jk->...ik", x, y), (2, 1, 2, 3), (4, 3, 2))  # fmt: skip
case("vecdot", lambda xp, x, y: xp.vecdot(x, y), M, (4,))
case("matvec", lambda xp, x, y: xp.matvec(x, y), T, (4,))
case("vecmat", lambda xp, x, y: xp.vecmat(x, y), (3,), T)
case("matrix_transpose", lambda xp, x: xp.matrix_transpose(x), T)
case("permute_dims", lambda xp, x: xp.permute_dims(x, (2, 0, 1)), T)
case("rollaxis", lambda xp, x: xp.rollaxis(x, 2, 1), T)
case("concat", lambda xp, x, y: xp.concat([x, y], axis=None), M, (2,))
case("gradient", lambda xp, x: xp.gradient(x, 0.5), M)
case("gradient-axis", lambda xp, x: xp.gradient(x, axis=-1, edge_order=2), T)
case("gradient-spacings", lambda xp, x: xp.gradient(x, 2.0, 0.5, axis=(0, 2)), T)
case("gradient-short", lambda xp, x: xp.gradient(x), (2,))
case("isin", lambda xp, x, y: xp.isin(x, xp.concatenate([x[0, :2], y])), M, (1,), grad=False)  # fmt: skip
case("isin-invert", lambda xp, x, y: xp.isin(x, y[0], invert=True), M, M, grad=False)
case("apply_along_axis", lambda xp, x: xp.apply_along_axis(lambda r: xp.cumsum(r)[::2], 1, x), T)  # fmt: skip
case("apply_along_axis-2d", lambda xp, x: xp.apply_along_axis(lambda r: xp.outer(r, r), 0, x), M)  # fmt: skip
case("cov", lambda xp, x: xp.cov(x), M)
case("cov-y", lambda xp, x, y: xp.cov(x, y, rowvar=False, ddof=0), M, M)
case("cov-1d", lambda xp, x: xp.cov(x), (5,))
case("corrcoef", lambda xp, x: xp.corrcoef(x), M)
# Order statistics, through `sort`.
case("quantile", lambda xp, x: xp.quantile(x, 0.3), M)
case("quantile-axis", lambda xp, x: xp.quantile(x, [0.1, 0.5, 1.0], axis=1), T)
case("quantile-keepdims", lambda xp, x: xp.quantile(x, 0.75, axis=(0, 2), keepdims=True), T)  # fmt: skip
for _method in ["lower", "higher", "nearest", "midpoint"]:
    case(f"quantile-{_method}", lambda xp, x, _m=_method: xp.quantile(x, [[0.2], [0.7]], axis=-1, method=_m), M)  # fmt: skip
case("percentile", lambda xp, x: xp.percentile(x, [25, 50], axis=0), M)
case("median", lambda xp, x: xp.median(x), M)
case("median-odd", lambda xp, x: xp.median(x, axis=1), (4, 5))
case("median-keepdims", lambda xp, x: xp.median(x, axis=(0, 1), keepdims=True), T)
# The NaN-ignoring forms and traced `q` (the rest of their cases are in
# tests/test_numpy.py); the differentiated array comes first.
_NANS = np.zeros(T, bool)
_NANS[0, 1, 3] = _NANS[0, 2, :2] = _NANS[1, 0, 1:] = _NANS[1, 2, [0, 3]] = True


def _with_nans(xp: Any, x: Any) -> Any:
    return xp.where(_NANS, np.nan, x)


case("nanpercentile-midpoint", lambda xp, x: xp.nanpercentile(_with_nans(xp, x), [30, 75], axis=(0, 2), method="midpoint"), T)  # fmt: skip
case("nanmedian-flat", lambda xp, x: xp.nanmedian(_with_nans(xp, x)), T)
case("percentile-traced-q", lambda xp, q, x: xp.percentile(x, (xp.tanh(q) + 1) * 50, axis=0), (3,), M)  # fmt: skip
case("nanquantile-traced-q", lambda xp, q, x: xp.nanquantile(_with_nans(xp, x), (xp.tanh(q) + 1) / 2, axis=-1), (2, 1), T)  # fmt: skip
case("polyfit-weights", lambda xp, w, x, y: xp.polyfit(x, y, 1, w=w), (5,), (5,), (5, 2), dtypes=(np.float64, np.float32))  # fmt: skip
# Reductions.
for _name in ["nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanvar", "nanstd"]:
    case(_name, lambda xp, x, _n=_name: getattr(xp, _n)(x, axis=1), M)
    case(f"{_name}-keepdims", lambda xp, x, _n=_name: getattr(xp, _n)(x, axis=(0, 2), keepdims=True), T)  # fmt: skip
case("nanvar-ddof", lambda xp, x: xp.nanvar(x, ddof=1), M)
case("nanargmax", lambda xp, x: xp.nanargmax(x, axis=0), M, grad=False)
case("nanargmin", lambda xp, x: xp.nanargmin(x), M, grad=False)
for _name in ["all", "any", "count_nonzero"]:
    case(_name, lambda xp, x, _n=_name: getattr(xp, _n)(x), M, dtypes=ALL_DTYPES, grad=False)  # fmt: skip
    case(f"{_name}-axis", lambda xp, x, _n=_name: getattr(xp, _n)(x, axis=(0, 2), keepdims=True), T, dtypes=ALL_DTYPES, grad=False)  # fmt: skip
case("ptp", lambda xp, x: xp.ptp(x, axis=1), M)
case("average", lambda xp, x: xp.average(x, axis=1), M)
case("average-returned", lambda xp, x: xp.average(x, returned=True), M)
case("average-weights", lambda xp, x, w: xp.average(x, 1, w, returned=True), M, (4,), values="positive")  # fmt: skip
case("average-weights-grad", lambda xp, w, x: xp.average(x, None, w), M, M, values="positive")  # fmt: skip
case("isclose", lambda xp, x, y: xp.isclose(x, x + y * 1e-6), M, M, grad=False)
case("allclose", lambda xp, x, y: xp.allclose(x, y), M, M, grad=False)
case("array_equal", lambda xp, x: xp.array_equal(x, x), M, dtypes=ALL_DTYPES, grad=False)  # fmt: skip
case("array_equiv", lambda xp, x, y: xp.array_equiv(x, y[:1]), M, M, grad=False)


def _ids(cases: list[Case]) -> list[str]:
    return [c.label for c in cases]


@pytest.mark.parametrize("c", CASES, ids=_ids(CASES))
def test_eager_and_traced_match_numpy(c: Case) -> None:
    for dtype in c.dtypes:
        args = c.args(dtype)
        try:
            want = c.fn(np, *args)
        except (TypeError, ValueError):
            with pytest.raises((TypeError, ValueError)):
                staged(lambda *a: c.fn(fnp, *a), *args)
            continue
        if isinstance(want, list):
            want = tuple(want)
        eager = c.fn(fnp, *args)
        assert_same(eager, want)
        for leaf in eager if isinstance(eager, tuple | list) else [eager]:
            assert type(leaf) is np.ndarray
        assert_same(staged(lambda *a: c.fn(fnp, *a), *args), want)


_GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("c", _GRAD_CASES, ids=_ids(_GRAD_CASES))
def test_derivatives_match_finite_differences(c: Case) -> None:
    args = c.args(np.float64)

    def fn(xp: Any, *a: Any) -> Any:
        out = c.fn(xp, *a)
        if isinstance(out, tuple | list):
            return xp.concatenate([xp.ravel(o) for o in out])
        return out

    check_grad(fn, args)


# --- hypothesis: shapes, axes and parameters ------------------------------------


def _arrays(
    min_dims: int = 1, max_dims: int = 3, min_side: int = 1, max_side: int = 4
) -> st.SearchStrategy[np.ndarray]:
    shapes = hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )
    return hnp.arrays(np.float64, shapes, elements=st.integers(-4, 4).map(float))


def _both(fn: Callable[..., Any], *args: Any) -> None:
    want = fn(np, *args)
    if isinstance(want, list):
        want = tuple(want)
    assert_same(fn(fnp, *args), want)
    assert_same(staged(lambda *a: fn(fnp, *a), *args), want)


@given(x=_arrays(), data=st.data())
def test_cumulative_and_diff_over_axes(x: np.ndarray, data: Any) -> None:
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    n = data.draw(st.integers(0, 3))
    _both(lambda xp, a: xp.cumsum(a, axis=axis), x)
    _both(lambda xp, a: xp.cumprod(a, axis=axis), x)
    _both(lambda xp, a: xp.diff(a, n=n, axis=axis), x)


@given(x=_arrays(max_side=3), data=st.data())
def test_pad_modes(x: np.ndarray, data: Any) -> None:
    modes = ["constant", "edge", "reflect", "symmetric", "wrap", "maximum"]
    modes += ["minimum", "mean", "median", "linear_ramp"]
    mode = data.draw(st.sampled_from(modes))
    pairs = st.tuples(st.integers(0, 7), st.integers(0, 7))
    widths = data.draw(st.lists(pairs, min_size=x.ndim, max_size=x.ndim))
    kwargs: dict[str, Any] = {}
    if mode in ("reflect", "symmetric"):
        kwargs["reflect_type"] = data.draw(st.sampled_from(["even", "odd"]))
    if mode in ("maximum", "minimum", "mean", "median") and data.draw(st.booleans()):
        lengths = st.tuples(st.integers(1, 4), st.integers(1, 4))
        kwargs["stat_length"] = data.draw(
            st.lists(lengths, min_size=x.ndim, max_size=x.ndim)
        )
    _both(lambda xp, a: xp.pad(a, widths, mode=mode, **kwargs), x)


@given(x=_arrays(), data=st.data())
def test_roll_tile_repeat(x: np.ndarray, data: Any) -> None:
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    shift = data.draw(st.integers(-9, 9))
    reps = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=4))
    counts = data.draw(st.lists(st.integers(0, 3), min_size=x.shape[axis], max_size=x.shape[axis]))  # fmt: skip
    _both(lambda xp, a: xp.roll(a, shift, axis), x)
    _both(lambda xp, a: xp.roll(a, shift), x)
    _both(lambda xp, a: xp.tile(a, reps), x)
    _both(lambda xp, a: xp.repeat(a, counts, axis), x)


@given(x=_arrays(min_dims=2, min_side=0), data=st.data())
def test_diagonals_and_triangles(x: np.ndarray, data: Any) -> None:
    axis1, axis2 = data.draw(st.permutations(range(x.ndim)))[:2]
    offset = data.draw(st.integers(-4, 4))
    _both(lambda xp, a: xp.diagonal(a, offset, axis1, axis2), x)
    _both(lambda xp, a: xp.trace(a, offset, axis1, axis2), x)
    _both(lambda xp, a: xp.tril(a, offset), x)
    _both(lambda xp, a: xp.triu(a, offset), x)
    _both(lambda xp, a: xp.diag(xp.ravel(a), offset), x)


@given(x=_arrays(max_dims=2, max_side=6), data=st.data())
def test_splits(x: np.ndarray, data: Any) -> None:
    sections = data.draw(st.integers(1, 4))
    points = data.draw(st.lists(st.integers(-7, 7), max_size=3))
    _both(lambda xp, a: xp.array_split(a, sections), x)
    _both(lambda xp, a: xp.array_split(a, points, axis=-1), x)


@given(x=_arrays(max_side=5), data=st.data())
def test_order_statistics_over_axes(x: np.ndarray, data: Any) -> None:
    axes = data.draw(st.sets(st.integers(0, x.ndim - 1), min_size=1))
    axis = tuple(axes) if data.draw(st.booleans()) else None
    q = data.draw(st.lists(st.floats(0, 1), min_size=1, max_size=3))
    method = data.draw(
        st.sampled_from(["linear", "lower", "higher", "nearest", "midpoint"])
    )
    keepdims = data.draw(st.booleans())
    _both(lambda xp, a: xp.quantile(a, q, axis, method=method, keepdims=keepdims), x)
    _both(lambda xp, a: xp.median(a, axis, keepdims=keepdims), x)
    # `q` traced: read at positions computed in the program
    qs = np.asarray(q)
    _both(lambda xp, a, p: xp.percentile(a, p, axis, method=method), x, qs * 100)
    # NaNs anywhere, whole slices of them included (numpy warns there)
    x = np.where(data.draw(hnp.arrays(bool, x.shape)), np.nan, x)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "All-NaN slice", RuntimeWarning)
        _both(lambda xp, a: xp.nanquantile(a, q, axis, method=method), x)
        _both(lambda xp, a, p: xp.nanquantile(a, p, axis, keepdims=keepdims), x, qs)
        _both(lambda xp, a: xp.nanmedian(a, axis, keepdims=keepdims), x)


@st.composite
def _einsum_problem(draw: Any) -> tuple[str, list[np.ndarray]]:
    """Random operands over the labels a..e: some shared, some repeated
    within an operand, an explicit output or the implicit one."""
    sizes = {c: draw(st.integers(1, 3)) for c in "abcde"}
    terms = []
    for _ in range(draw(st.integers(1, 3))):
        terms.append("".join(draw(st.lists(st.sampled_from("abcde"), max_size=3))))
    used = sorted(set("".join(terms)))
    arrays = [
        np.asarray(np.random.default_rng(len(terms) + i).standard_normal(
            tuple(sizes[c] for c in t)))
        for i, t in enumerate(terms)
    ]  # fmt: skip
    subscripts = ",".join(terms)
    if draw(st.booleans()):
        out = draw(st.lists(st.sampled_from(used), unique=True)) if used else []
        subscripts += "->" + "".join(out)
    return subscripts, arrays


@given(problem=_einsum_problem())
def test_einsum_random_subscripts(problem: tuple[str, list[np.ndarray]]) -> None:
    subscripts, arrays = problem
    _both(lambda xp, *a: xp.einsum(subscripts, *a), *arrays)


@pytest.mark.parametrize(
    "fn",
    [
        lambda xp, x: xp.vander(x, 0),
        lambda xp, x: xp.resize(x[:0], (2, 3)),
        lambda xp, x: xp.resize(x, (0,)),
        lambda xp, x: xp.corrcoef(x),
        lambda xp, x: xp.isclose(xp.where(x > 0, np.nan, x), np.nan, equal_nan=True),
        lambda xp, x: xp.array_equal(x, x * np.nan, equal_nan=True),
        lambda xp, x: xp.array_equal(x, x[:2]),
        lambda xp, x: xp.array_equiv(x, x[:, None]),
        lambda xp, x: xp.diff(x, 5),
        lambda xp, x: xp.cumsum(x[:0]),
        lambda xp, x: xp.repeat(x, 0),
        lambda xp, x: xp.tile(x, 0),
        lambda xp, x: xp.split(x, []),
        lambda xp, x: xp.pad(x, 0, mode="reflect"),
        lambda xp, x: xp.trace(xp.outer(x, x), 10),
        lambda xp, x: xp.einsum("i,i->", x, x[:1]),
        lambda xp, x: xp.block([x, x]),
        lambda xp, x: xp.quantile(x, [[0.0], [1.0]]),
        lambda xp, x: xp.median(x[:1]),
    ],
)
def test_edge_cases(fn: Callable[..., Any]) -> None:
    x = np.array([0.5, -1.0, 2.0, 0.25])
    _both(fn, x)


# --- derivative conventions -------------------------------------------------------


def test_prod_gradient_with_a_zero_never_divides() -> None:
    # d/dx_i prod(x) is the product of the other elements: [2*3, 0*3, 0*2].
    np.testing.assert_array_equal(
        fg.grad(fnp.prod)(np.array([0.0, 2.0, 3.0])), [6.0, 0.0, 0.0]
    )
    # Two zeros: every partial derivative has a zero factor.
    np.testing.assert_array_equal(
        fg.grad(fnp.prod)(np.array([0.0, 0.0, 3.0])), [0.0, 0.0, 0.0]
    )


@pytest.mark.parametrize(
    "x", [[0.0, 2.0, 3.0], [2.0, 0.0, 0.0, 1.5], [0.0, 0.0], [-1.0, 0.0, 2.0, 0.0, 3.0]]
)
def test_cumprod_gradient_at_zeros_matches_finite_differences(x: list) -> None:
    x = np.array(x)
    check_grad(lambda xp, a: xp.cumprod(a), (x,))
    # By hand for [0, 2, 3]: sum(cumprod) = x0 + x0 x1 + x0 x1 x2.
    if x.tolist() == [0.0, 2.0, 3.0]:
        got = fg.grad(lambda a: fnp.sum(fnp.cumprod(a)))(x)
        np.testing.assert_array_equal(got, [1 + 2 + 6, 0.0, 0.0])


def test_cumprod_second_derivative_at_zeros() -> None:
    x = np.array([0.0, 2.0, 0.5, 3.0])
    hess = fg.hessian(lambda a: fnp.sum(fnp.cumprod(a)))(x)

    def g(a: np.ndarray) -> np.ndarray:
        return fg.grad(lambda b: fnp.sum(fnp.cumprod(b)))(a)

    want = np.stack([numeric_grad(lambda a, i=i: g(a)[i], x) for i in range(4)])
    np.testing.assert_allclose(hess, want, rtol=1e-6, atol=1e-6)


def test_cummax_ties_share_the_derivative() -> None:
    from funcgrad import lax

    x = np.array([1.0, 3.0, 3.0, 2.0, 3.0])
    # Running maxima [1, 3, 3, 3, 3]: position 1 depends on x1 alone;
    # positions 2 and 3 on the two tied 3s, each weighted 1/2; position 4
    # on three tied 3s, 1/3 each.
    jac = fg.jacrev(lambda a: lax.cummax(a))(x)
    want = np.array(
        [
            [1, 0, 0, 0, 0],
            [0, 1, 0, 0, 0],
            [0, 1 / 2, 1 / 2, 0, 0],
            [0, 1 / 2, 1 / 2, 0, 0],
            [0, 1 / 3, 1 / 3, 0, 1 / 3],
        ]
    )
    np.testing.assert_allclose(jac, want, rtol=1e-12)
    np.testing.assert_allclose(fg.jacfwd(lambda a: lax.cummax(a))(x), want)
    # Running minima from the end of -x reversed: the same ties, mirrored.
    jac_min = fg.jacrev(lambda a: lax.cummin(a, reverse=True))(-x[::-1])
    np.testing.assert_allclose(jac_min, want[::-1, ::-1], rtol=1e-12)


@pytest.mark.parametrize(
    "name",
    [
        "nansum",
        "nanmean",
        "nanprod",
        "nanvar",
        "nanstd",
        "nanmax",
        "nanmin",
        "nanmedian",
    ],
)
def test_nan_entries_get_zero_gradient(name: str) -> None:
    x = np.array([[1.0, np.nan, 2.5], [np.nan, -0.5, 4.0]])
    fn = getattr(fnp, name)
    got = fg.grad(lambda a: fnp.sum(fn(a, axis=1)))(x)
    assert np.all(got[np.isnan(x)] == 0.0)
    # Elsewhere: the derivative of the numpy function of the other elements.
    ref = getattr(np, name)

    def loss(a: np.ndarray) -> float:
        full = x.copy()
        full[~np.isnan(x)] = a
        return float(np.sum(ref(full, axis=1)))

    want = numeric_grad(loss, x[~np.isnan(x)])
    np.testing.assert_allclose(got[~np.isnan(x)], want, rtol=1e-6, atol=1e-8)


def test_prod_gradient_of_a_long_vector_with_zeros() -> None:
    x = np.linspace(0.5, 1.5, 3001)
    x[[7, 2000]] = 0.0
    got = fg.grad(fnp.prod)(x)
    want = np.zeros_like(x)
    # Only the two zeros have a non-zero partial: the product of the rest,
    # which still contains the other zero.
    np.testing.assert_array_equal(got, want)
    x[2000] = 1.0
    got = fg.grad(fnp.prod)(x)
    want[7] = np.prod(np.delete(x, 7))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_order_statistics_propagate_nan() -> None:
    x = np.array([[1.0, np.nan, 3.0], [2.0, 0.5, 1.0]])
    for fn in [lambda xp, a: xp.median(a, axis=1), lambda xp, a: xp.quantile(a, 0.3, axis=1)]:  # fmt: skip
        assert_same(staged(lambda a, f=fn: f(fnp, a), x), fn(np, x))


def test_all_nan_slices_give_nan() -> None:
    x = np.array([[np.nan, np.nan], [1.0, np.nan]])
    for name in ["nanmax", "nanmin", "nanmean", "nanvar"]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            want = getattr(np, name)(x, axis=1)
            got = staged(lambda a, n=name: getattr(fnp, n)(a, axis=1), x)
        assert_same(got, want)


def test_logical_reductions_have_no_derivative() -> None:
    x = np.array([0.5, 0.0, -1.0])
    _, t = fg.jvp(lambda a: fnp.count_nonzero(a), (x,), (np.ones(3),))
    assert not np.any(t)
    with pytest.raises(TypeError):
        fg.grad(lambda a: fnp.any(a))(x)


def test_order_statistics_of_traced_q_have_the_slope_between_neighbours() -> None:
    x = np.array([3.0, 0.0, 6.0, 1.0])  # sorted [0, 1, 3, 6]: n - 1 = 3
    for q, slope in [(0.1, 3 * 1.0), (0.5, 3 * 2.0), (0.9, 3 * 3.0)]:
        got = fg.grad(lambda p: fnp.quantile(x, p))(q)
        np.testing.assert_allclose(got, slope, rtol=1e-12)
    # At a sample point the slope from the right, as `interp`; 0 at q = 1.
    np.testing.assert_allclose(fg.grad(lambda p: fnp.quantile(x, p))(1 / 3), 6.0)
    assert fg.grad(lambda p: fnp.quantile(x, p))(1.0) == 0.0
    for method in ["lower", "higher", "nearest", "midpoint"]:
        assert fg.grad(lambda p, m=method: fnp.quantile(x, p, method=m))(0.4) == 0.0
    np.testing.assert_allclose(
        fg.grad(lambda p: fnp.percentile(x, p))(50.0), 6.0 / 100, rtol=1e-12
    )
    # Skipping NaNs: three elements [0, 1, 3] left, so n - 1 = 2.
    y = np.array([3.0, np.nan, 0.0, 1.0])
    np.testing.assert_allclose(fg.grad(lambda p: fnp.nanquantile(y, p))(0.25), 2.0)


def test_traced_q_outside_the_unit_range_gives_nan() -> None:
    x = np.array([[3.0, 0.0, 6.0, 1.0], [1.0, 2.0, 4.0, 8.0]])
    q = np.array([-0.1, 0.5, 1.5, np.nan, 0.0, 1.0])
    got = _evaluated(lambda a, p: fnp.quantile(a, p, axis=1), x, q)
    want = np.quantile(x, np.nan_to_num(q).clip(0, 1), axis=1)
    want[[0, 2, 3]] = np.nan
    assert_same(got, want)
    got = _evaluated(lambda a, p: fnp.nanpercentile(a, p, axis=1), x, q * 100)
    assert_same(got, want)
    with pytest.raises(ValueError, match="range"):
        fg.jit(lambda a: fnp.quantile(a, 1.5))(x)  # a concrete q still raises


def test_nan_order_statistics_of_all_nan_slices() -> None:
    x = np.array([[np.nan, np.nan, np.nan], [2.0, np.nan, 0.5], [1.0, 4.0, 2.0]])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "All-NaN slice", RuntimeWarning)
        want_median = np.nanmedian(x, axis=1)
        want_quantile = np.nanquantile(x, [0.2, 0.9], axis=1)
    assert_same(_evaluated(lambda a: fnp.nanmedian(a, axis=1), x), want_median)
    q = np.array([0.2, 0.9])
    got = _evaluated(lambda a, p: fnp.nanquantile(a, p, axis=1), x, q)
    assert_same(got, want_quantile)
    # No NaN reaches a derivative: the all-NaN row gets 0, in `a` and in `q`.
    grad = fg.grad(lambda a: fnp.nansum(fnp.nanmedian(a, axis=1)))(x)
    np.testing.assert_allclose(grad, [[0, 0, 0], [0.5, 0, 0.5], [0, 0, 1]])

    def loss(a: Any, q: Any) -> Any:
        return fnp.nansum(fnp.nanquantile(a, q, axis=1))

    ga, gq = fg.grad(loss, argnums=(0, 1))(x, np.array(0.25))
    assert not np.any(ga[0]) and np.all(np.isfinite(gq))
    np.testing.assert_allclose(gq, (2.0 - 0.5) * 1 + (2.0 - 1.0) * 2)
    # `quantile` itself: NaN in a row gives NaN, and no NaN derivative in q.
    gq = fg.grad(lambda q: fnp.nansum(fnp.quantile(x, q, axis=1)))(0.25)
    np.testing.assert_allclose(gq, (2.0 - 1.0) * 2)


def test_nanquantile_puts_the_axes_of_q_first() -> None:
    # numpy 2.4's nanquantile moves only the first axis of a 2-d q to the
    # front when `axis` is a tuple; funcgrad keeps quantile's layout (q's
    # axes first), which numpy documents (docs/conventions.md).
    x = np.random.default_rng(5).standard_normal((3, 4, 5))
    q = np.array([[0.2], [0.7]])
    got = staged(lambda a: fnp.nanquantile(a, q, axis=(0, 2)), x)
    assert_same(got, np.quantile(x, q, axis=(0, 2)))
    assert np.nanquantile(x, q, axis=(0, 2)).shape != got.shape, "numpy fixed it"


def test_partition_meets_numpys_contract() -> None:
    x = np.random.default_rng(6).standard_normal((3, 7))
    for kth in [0, 3, -1, (1, 5), [6, 2, 4]]:
        eager = fnp.partition(x, kth, axis=1)
        assert_same(eager, np.partition(x, kth, axis=1))  # numpy's own order
        traced = _evaluated(lambda a, k=kth: fnp.partition(a, k, axis=1), x)
        assert_same(traced, np.sort(x, axis=1))  # fully sorted, on purpose
        index = _evaluated(lambda a, k=kth: fnp.argpartition(a, k, axis=1), x)
        assert_same(index, np.argsort(x, axis=1, kind="stable"))
    ties = np.array([2.0, 1.0, 2.0, 1.0, 0.0])
    assert_same(
        staged(lambda a: fnp.argpartition(a, 2), ties), np.array([4, 1, 3, 0, 2])
    )
    # The derivative follows the sort: each element's tangent moves with it.
    jac = fg.jacfwd(lambda a: fnp.partition(a, 1))(np.array([3.0, 1.0, 2.0]))
    np.testing.assert_array_equal(jac, [[0, 1, 0], [0, 0, 1], [1, 0, 0]])
    assert "out of bounds" in _traced_error(lambda a: fnp.partition(a, 7), x)
    assert "out of bounds" in _traced_error(lambda a: fnp.argpartition(a, -8), x)
    assert "introselect" in _traced_error(lambda a: fnp.partition(a, 1, kind="x"), x)
    assert "0-d" in _traced_error(lambda a: fnp.partition(a[0, 0], 0), x)


def test_fill_diagonal_is_numpys_in_place_and_refuses_tracers() -> None:
    for shape, val, wrap in [
        ((3, 3), 5.0, False),
        ((5, 2), [1.0, 2.0], True),
        ((5, 2), 7.0, False),
        ((2, 2, 2), np.array([4.0]), False),
    ]:
        got, want = np.zeros(shape), np.zeros(shape)
        assert fnp.fill_diagonal(got, val, wrap) is None
        np.fill_diagonal(want, val, wrap)
        assert_same(got, want)

    with pytest.raises(TypeError, match=r"\.at\[funcgrad\.numpy\.diag_indices"):
        fg.jit(lambda a: fnp.fill_diagonal(a, 1.0))(np.eye(3))
    with pytest.raises(TypeError, match="traced value"):
        fg.jit(lambda v: fnp.fill_diagonal(np.eye(3), v))(np.array(2.0))
    with pytest.raises(TypeError, match="traced value"):
        fg.grad(lambda v: fnp.fill_diagonal(np.eye(3), [v, v, v]))(2.0)

    # What the message suggests (`at(a)` is `a.at` for numpy arrays too): the
    # filled copy, traced and differentiable.
    def filled(a: Any, v: Any) -> Any:
        return fnp.at(a)[fnp.diag_indices(min(a.shape), a.ndim)].set(v)

    a = np.arange(12.0).reshape(4, 3)
    want = a.copy()
    np.fill_diagonal(want, 9.0)
    assert_same(_evaluated(filled, a, np.array(9.0)), want)
    np.testing.assert_array_equal(fg.grad(lambda v: fnp.sum(filled(a, v)))(9.0), 3.0)


def test_polynomial_errors() -> None:
    x, y = np.arange(4.0), np.arange(4.0) ** 2
    with pytest.raises(ValueError, match="full=True"):
        fg.jit(lambda a, b: fnp.polyfit(a, b, 2, full=True))(x, y)
    with pytest.raises(ValueError, match="cov=True"):
        fg.jit(lambda a, b: fnp.polyfit(a, b, 2, cov=True))(x, y)
    assert "deg >= 0" in _traced_error(lambda a: fnp.polyfit(a, a, -1), x)
    assert "same length" in _traced_error(lambda a: fnp.polyfit(a, a[:3], 1), x)
    assert "1D vector" in _traced_error(lambda a: fnp.polyfit(a[None], a, 1), x)
    assert "positive" in _traced_error(lambda a: fnp.polyder(a, -1), x)
    assert "positive" in _traced_error(lambda a: fnp.polyint(a, -1), x)
    assert "length 1 or >m" in _traced_error(lambda a: fnp.polyint(a, 3, [1, 2]), x)
    # Concrete arrays keep numpy's other results.
    out = fnp.polyfit(x, y, 1, full=True)
    assert_same(out, tuple(map(np.asarray, np.polyfit(x, y, 1, full=True))))
    assert all(type(o) is np.ndarray for o in out)


# --- vmap and jit -----------------------------------------------------------------

_BATCHED = [
    ("cumsum", lambda x: fnp.cumsum(x, axis=0)),
    ("cumprod", lambda x: fnp.cumprod(x, axis=1)),
    ("cummax", lambda x: fg.lax.cummax(x, axis=1, reverse=True)),
    ("diff", lambda x: fnp.diff(x, 2)),
    ("roll", lambda x: fnp.roll(x, (1, 2), (0, 1))),
    ("pad", lambda x: fnp.pad(x, ((1, 2), (3, 0)), mode="reflect")),
    ("diagonal", lambda x: fnp.diagonal(x, 1)),
    ("diag", lambda x: fnp.diag(x[0], -1)),
    ("tril", lambda x: fnp.tril(x)),
    ("kron", lambda x: fnp.kron(x, x[:2, :2])),
    ("einsum", lambda x: fnp.einsum("ij,kj->ik", x, x)),
    ("convolve", lambda x: fnp.convolve(x[0], x[1], "same")),
    ("nanvar", lambda x: fnp.nanvar(x, axis=0)),
    ("repeat", lambda x: fnp.repeat(x, [2, 0, 1, 1], axis=1)),
    ("vander", lambda x: fnp.vander(x[0])),
    ("median", lambda x: fnp.median(x, axis=1)),
    ("quantile", lambda x: fnp.quantile(x, [0.3, 0.9], axis=0)),
    ("gradient", lambda x: fnp.gradient(x, 0.5, edge_order=2)[1]),
    ("cross", lambda x: fnp.cross(x[:, :3], x[:, 1:])),
    ("nanmedian", lambda x: fnp.nanmedian(fnp.where(x > 1, np.nan, x), axis=0)),
    ("nanquantile", lambda x: fnp.nanquantile(x, x[0, :2] ** 2 / 8, axis=1)),
    ("quantile-q", lambda x: fnp.quantile(x, x[0, :3] ** 2 / 8, axis=0)),
    (
        "pad-odd",
        lambda x: fnp.pad(x, ((2, 5), (4, 1)), "symmetric", reflect_type="odd"),
    ),
    ("pad-median", lambda x: fnp.pad(x, 2, mode="median", stat_length=(1, 3))),
    ("polyfit", lambda x: fnp.polyfit(x[0], x[1:].T, 2, w=x[0] ** 2)),
]


@pytest.mark.parametrize(("name", "f"), _BATCHED, ids=[n for n, _ in _BATCHED])
def test_vmap_matches_a_loop(name: str, f: Callable[..., Any]) -> None:
    rng = np.random.default_rng(1)
    xs = rng.standard_normal((3, 3, 4))
    xs[0, 1, 2] = np.nan if name == "nanvar" else xs[0, 1, 2]
    for axis in (0, 2):
        batched = np.moveaxis(xs, 0, axis)
        got = fg.vmap(f, in_axes=axis)(batched)
        want = np.stack([f(x) for x in xs])
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("name", "f"), _BATCHED[:4], ids=[n for n, _ in _BATCHED[:4]])
def test_vmap_of_grad_matches_a_loop(name: str, f: Callable[..., Any]) -> None:
    xs = np.random.default_rng(4).standard_normal((3, 3, 4))
    xs[1, 0, 1] = 0.0

    def loss(x: Any) -> Any:
        return fnp.sum(f(x) ** 2)

    got = fg.vmap(fg.grad(loss))(xs)
    want = np.stack([fg.grad(loss)(x) for x in xs])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.int64])
def test_cumulative_primitives_compile_into_whole_programs(dtype: Any) -> None:
    from funcgrad import lax
    from funcgrad.backend import compile_program

    x = np.arange(-5, 19).reshape(3, 4, 2).astype(dtype) % 5
    if dtype != np.int64:
        x[1, 2, 0] = np.nan

    def f(a: Any) -> Any:
        return [
            lax.cumsum(a, 1), lax.cumprod(a, 0, reverse=True),
            lax.cummax(a, 2), lax.cummin(a, 1, reverse=True),
        ]  # fmt: skip

    compiled = compile_program(fg.make_jaxpr(f)(x))
    assert compiled.whole is not None
    got = compiled(x)
    assert compiled.whole is not None, "the whole program fell back to steps"
    for g, w in zip(got, f(x)):  # eager: numpy's implementation
        assert_same(g, w)

    if dtype == np.int64:
        return
    # The gradient program, with the reversed cumsums of the transposes.
    y = np.linspace(-1, 1, 24).reshape(3, 4, 2)
    y[0, 1, 1] = 0.0

    def loss(a: Any) -> Any:
        return sum(fnp.sum(o * o) for o in f(a))

    compiled = compile_program(fg.make_jaxpr(fg.grad(loss))(y))
    (got,) = compiled(y)
    assert compiled.whole is not None, "the whole program fell back to steps"
    np.testing.assert_allclose(got, fg.grad(loss)(y), rtol=1e-12)


def test_jit_matches_eager() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 4))

    def f(a: Any) -> Any:
        padded = fnp.pad(fnp.cumsum(a, axis=1), 1, mode="symmetric")
        mixed = fnp.einsum("ij,kj->ik", padded, fnp.roll(padded, 1, 0))
        return fnp.trace(mixed) + fnp.sum(fnp.diff(fnp.tril(mixed))) + fnp.nansum(a)

    np.testing.assert_allclose(fg.jit(f)(x), f(x), rtol=1e-12)
    np.testing.assert_allclose(
        fg.jit(fg.grad(f))(x), fg.grad(f)(x), rtol=1e-10, atol=1e-12
    )
    g = fg.jit(lambda a: fnp.cumprod(a, axis=0) * fnp.convolve(a[0], a[1])[:4])
    np.testing.assert_allclose(
        g(x), np.cumprod(x, axis=0) * np.convolve(x[0], x[1])[:4], rtol=1e-12
    )

    def odd(xp: Any, a: Any) -> Any:
        return xp.pad(a, ((4, 1), (2, 7)), mode="reflect", reflect_type="odd")

    np.testing.assert_allclose(fg.jit(lambda a: odd(fnp, a))(x), odd(np, x))


# --- concrete helpers and static names ----------------------------------------------


def test_concrete_helpers_and_dtype_names() -> None:
    static = ["tri", "tril_indices", "triu_indices", "diag_indices", "indices"]
    static += ["broadcast_shapes", "promote_types", "isscalar", "issubdtype", "ix_"]
    static += ["ravel_multi_index", "unravel_index", "einsum_path", "logspace"]
    static += ["geomspace", "mgrid", "ogrid"]
    for name in static:
        assert getattr(fnp, name) is getattr(np, name)
    for name in ["float32", "intp", "int_", "double", "floating", "integer"]:
        assert getattr(fnp, name) is getattr(np, name)
    x = np.ones((3, 4))
    for fn in ["triu_indices_from", "tril_indices_from"]:
        for got, want in zip(getattr(fnp, fn)(x, 1), getattr(np, fn)(x, 1)):
            np.testing.assert_array_equal(got, want)
    square = np.ones((3, 3, 3))
    for got, want in zip(fnp.diag_indices_from(square), np.diag_indices_from(square)):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="`diag_indices_from`"):
        fnp.diag_indices_from(x)

    def check(a: Any) -> Any:
        assert fnp.result_type(a, 2.0) == np.float32
        assert fnp.result_type(a, np.float64) == np.float64
        assert fnp.finfo(a).eps == np.finfo(np.float32).eps
        assert fnp.iinfo(np.int16).max == 2**15 - 1
        assert fnp.can_cast(a, np.float64) and not fnp.can_cast(a, np.int32)
        assert not fnp.iscomplexobj(a) and fnp.isrealobj(a)
        return a

    fg.jit(check)(np.ones(2, np.float32))
    check(np.ones(2, np.float32))
    assert len([n for n in dir(fnp) if not n.startswith("_")]) >= 250


@pytest.mark.parametrize(
    "name", ["nonzero", "flatnonzero", "argwhere", "unique", "trim_zeros"]
)
def test_value_dependent_shapes_work_only_on_concrete_arrays(name: str) -> None:
    x = np.array([0.0, 1.5, 0.0, 2.0, 1.5])
    assert_same(getattr(fnp, name)(x), getattr(np, name)(x))
    with pytest.raises(ConcretizationError, match=f"`funcgrad.numpy.{name}`"):
        fg.jit(getattr(fnp, name))(x)


def test_extract_and_bincount_on_concrete_arrays() -> None:
    x = np.array([0.5, -1.0, 2.0])
    assert_same(fnp.extract(x > 0, x), np.extract(x > 0, x))
    n = np.array([0, 3, 3, 1])
    assert_same(fnp.bincount(n), np.bincount(n))
    m = np.array([3, 5, 0])
    for name in ["intersect1d", "union1d", "setdiff1d", "setxor1d"]:
        assert_same(getattr(fnp, name)(n, m), getattr(np, name)(n, m))
    with pytest.raises(ConcretizationError, match="`funcgrad.numpy.extract`"):
        fg.jit(lambda a: fnp.extract(a > 0, a))(x)


@pytest.mark.parametrize(
    "module", ["_arrays", "_numeric", "_order", "_einsum", "_static", "_reductions"]
)
def test_docstring_examples_run(module: str) -> None:
    found = importlib.import_module(f"funcgrad.numpy.{module}")
    result = doctest.testmod(found, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


# --- errors -----------------------------------------------------------------------


def _traced_error(f: Callable[..., Any], *args: Any) -> str:
    with pytest.raises(FuncgradError) as info:
        fg.make_jaxpr(f)(*args)
    return str(info.value)


def test_error_messages() -> None:
    x = np.ones((2, 3))
    assert "equal division" in _traced_error(lambda a: fnp.split(a, 2, axis=1), x)
    assert "`pad`" in _traced_error(lambda a: fnp.pad(a, 1, mode=np.pad), x)
    assert "`pad`" in _traced_error(lambda a: fnp.pad(a, 1, "edge", stat_length=1), x)
    assert "yields no value" in _traced_error(
        lambda a: fnp.pad(a, 1, "maximum", stat_length=((0, 1), (1, 1))), x
    )
    ints = np.ones((2, 2), int)
    assert "floating" in _traced_error(lambda a: fnp.pad(a, 1, mode="mean"), ints)
    assert "floating" in _traced_error(lambda a: fnp.pad(a, 1, mode="median"), ints)
    assert "negative" in _traced_error(
        lambda a: fnp.pad(a, 1, "mean", stat_length=-1), x
    )
    assert "negative" in _traced_error(lambda a: fnp.pad(a, -1), x)
    assert "non-negative" in _traced_error(lambda a: fnp.diff(a, -1), x)
    assert "`repeat`" in _traced_error(lambda a: fnp.repeat(a, [1, 2], axis=1), x)
    assert "`einsum`" in _traced_error(lambda a: fnp.einsum("ij,jk", a, a), x)
    assert "`einsum`" in _traced_error(lambda a: fnp.einsum("ij->k", a), x)
    assert "`einsum`" in _traced_error(lambda a: fnp.einsum("i", a), x)
    assert "`diag`" in _traced_error(lambda a: fnp.diag(a[None]), x)
    assert "`cross`" in _traced_error(lambda a: fnp.cross(a, a), x[:, :1])
    assert "`convolve`" in _traced_error(lambda a: fnp.convolve(a, a), x)
    assert "`rot90`" in _traced_error(lambda a: fnp.rot90(a, axes=(0, 0)), x)
    with pytest.raises(ConcretizationError, match="`roll`'s `shift`"):
        fg.jit(lambda a, s: fnp.roll(a, s))(x, np.array(1))
    with pytest.raises(ConcretizationError, match="`repeat`'s `repeats`"):
        fg.jit(lambda a, r: fnp.repeat(a, r))(x, np.array(2))


@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors:DeprecationWarning")
def test_cross_of_2_and_3_element_vectors() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 4)), rng.standard_normal((4, 3))
    want = np.cross(a, b, axisa=0)
    assert_same(fnp.cross(a, b, axisa=0), want)
    assert_same(staged(lambda x, y: fnp.cross(x, y, axisa=0), a, b), want)
    check_grad(lambda xp, x: xp.cross(x, b, axisa=0), (a,))


def test_cumulative_primitive_errors() -> None:
    from funcgrad import lax

    with pytest.raises(TypeError, match="`cumsum`"):
        fg.make_jaxpr(lax.cumsum)(np.array([True, False]))
    with pytest.raises(ValueError, match="`cummax`"):
        fg.make_jaxpr(lambda a: lax.cummax(a, axis=1))(np.ones(3))


# The public `funcgrad.numpy` functions this module tests (test_numpy.py's
# completeness check counts them as covered).
ARRAY_FUNCTIONS = frozenset(
    [
        "all",
        "apply_along_axis",
        "einsum_path",
        "geomspace",
        "gradient",
        "insert",
        "intersect1d",
        "isin",
        "logspace",
        "setdiff1d",
        "setxor1d",
        "union1d",
        "allclose",
        "any",
        "append",
        "argwhere",
        "array_equal",
        "array_equiv",
        "array_split",
        "astype",
        "average",
        "bincount",
        "block",
        "broadcast_arrays",
        "broadcast_shapes",
        "can_cast",
        "column_stack",
        "compress",
        "concat",
        "convolve",
        "corrcoef",
        "correlate",
        "count_nonzero",
        "cov",
        "cross",
        "cumprod",
        "cumsum",
        "cumulative_prod",
        "cumulative_sum",
        "delete",
        "diag",
        "diag_indices",
        "diag_indices_from",
        "diagflat",
        "diagonal",
        "diff",
        "dsplit",
        "dstack",
        "ediff1d",
        "einsum",
        "extract",
        "fill_diagonal",
        "finfo",
        "flatnonzero",
        "flip",
        "fliplr",
        "flipud",
        "hsplit",
        "iinfo",
        "indices",
        "isclose",
        "iscomplexobj",
        "isrealobj",
        "isscalar",
        "issubdtype",
        "ix_",
        "kron",
        "matrix_transpose",
        "matvec",
        "median",
        "meshgrid",
        "nanargmax",
        "nanargmin",
        "nancumprod",
        "nancumsum",
        "nanmax",
        "nanmean",
        "nanmedian",
        "nanmin",
        "nanpercentile",
        "nanprod",
        "nanstd",
        "nansum",
        "nanvar",
        "nonzero",
        "pad",
        "percentile",
        "permute_dims",
        "polyval",
        "promote_types",
        "ptp",
        "quantile",
        "ravel_multi_index",
        "repeat",
        "resize",
        "result_type",
        "roll",
        "rollaxis",
        "rot90",
        "row_stack",
        "select",
        "split",
        "tile",
        "trace",
        "trapezoid",
        "tri",
        "tril",
        "tril_indices",
        "tril_indices_from",
        "trim_zeros",
        "triu",
        "triu_indices",
        "triu_indices_from",
        "unique",
        "unravel_index",
        "unstack",
        "vander",
        "vecdot",
        "vecmat",
        "vsplit",
    ]
)


def test_every_array_function_is_exercised_here() -> None:
    text = Path(__file__).read_text()
    source = text[: text.index("ARRAY_FUNCTIONS = frozenset(")]
    public = {n for n in dir(fnp) if not n.startswith("_")}
    assert ARRAY_FUNCTIONS <= public
    missing = [
        n for n in ARRAY_FUNCTIONS if f".{n}(" not in source and f'"{n}"' not in source
    ]
    assert not missing, f"named but not exercised: {missing}"


def test_nanstd_of_a_constant_has_the_zero_subgradient() -> None:
    for x in (np.array([3.0, 3.0, 3.0]), np.array([3.0, 3.0, np.nan])):
        np.testing.assert_array_equal(fg.grad(fnp.nanstd)(x), np.zeros(3))
    x = np.array([1.0, 2.0, np.nan])
    np.testing.assert_allclose(fg.grad(fnp.nanstd)(x), [-0.5, 0.5, 0.0])


def test_nanargmax_of_an_all_nan_slice_is_minus_one_when_traced() -> None:
    a = np.array([[np.nan, np.nan], [1.0, 2.0]])
    with pytest.raises(ValueError):
        fnp.nanargmax(a, axis=1)  # numpy raises; so does the eager path
    np.testing.assert_array_equal(
        fg.jit(lambda a: fnp.nanargmax(a, axis=1))(a), [-1, 1]
    )
    np.testing.assert_array_equal(fg.vmap(fnp.nanargmin)(a), [-1, 0])
