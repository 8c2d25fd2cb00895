"""The elementwise functions of `funcgrad.numpy` added with
`funcgrad.primitives._math`, `funcgrad.scipy.special` and `funcgrad.nn`.

The primitives themselves are covered by the spec table
(`specs_special.py`); this module checks the front-ends against numpy and
scipy (the oracles) in float32, float64, int64 and bool, inside `jit`,
`vmap`, `jvp` and `grad`, and pins the edge cases: powers at 0 and at a
negative base, `logsumexp` with infinities, `xlogy` at 0, the kinks of the
activation functions, and the clear errors.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.special as sp

import funcgrad as fg
import funcgrad.lax as lax
import funcgrad.numpy as fnp
import funcgrad.scipy.special as fsp
from funcgrad import nn
from funcgrad.errors import FuncgradError
from funcgrad.test_util import check_grads

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)


def _rtol(dtype: Any) -> float:
    return 2e-6 if np.dtype(dtype) == F32 else 1e-12


def _assert_same(got: Any, want: Any) -> None:
    """numpy's dtype, shape and values (NaN where numpy has NaN)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, f"dtype {got.dtype}, numpy gives {want.dtype}"
    assert got.shape == want.shape, f"shape {got.shape}, numpy gives {want.shape}"
    if want.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want)
    else:
        tol = _rtol(want.dtype)
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def _staged(f: Callable[..., Any], *args: Any) -> Any:
    """`f(*args)` through the program `make_jaxpr` records."""
    outs = fg.make_jaxpr(f)(*args)(*args)
    return tuple(outs) if len(outs) > 1 else outs[0]


def _sample(shape: tuple, dtype: Any, values: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        low, high = {"unit": (-1, 2), "above1": (2, 5), "positive": (1, 5)}.get(
            values, (-3, 4)
        )
        return rng.integers(low, high, shape).astype(dtype)
    low, high = {
        "unit": (-0.9, 0.9),
        "above1": (1.2, 3.0),
        "positive": (0.5, 2.0),
        "normal": (-2.0, 2.0),
    }[values]
    return rng.uniform(low, high, shape).astype(dtype)


# --- the numpy front-end against numpy ------------------------------------------

_UNARY = {  # name: (values, differentiable)
    "sinh": ("normal", True),
    "cosh": ("normal", True),
    "arcsin": ("unit", True),
    "arccos": ("unit", True),
    "arctan": ("normal", True),
    "arcsinh": ("normal", True),
    "arccosh": ("above1", True),
    "arctanh": ("unit", True),
    "exp2": ("normal", True),
    "log2": ("positive", True),
    "log10": ("positive", True),
    "cbrt": ("positive", True),
    "floor": ("normal", False),
    "ceil": ("normal", False),
    "rint": ("normal", False),
    "trunc": ("normal", False),
    "fix": ("normal", False),
    "round": ("normal", False),
    "around": ("normal", False),
    "fabs": ("normal", True),
    "signbit": ("normal", False),
    "isnan": ("normal", False),
    "isinf": ("normal", False),
    "isfinite": ("normal", False),
    "isposinf": ("normal", False),
    "isneginf": ("normal", False),
    "nan_to_num": ("normal", True),
    "deg2rad": ("normal", True),
    "rad2deg": ("normal", True),
    "radians": ("normal", True),
    "degrees": ("normal", True),
    "sinc": ("normal", True),
}
_BINARY = {
    "arctan2": ("normal", True),
    "hypot": ("normal", True),
    "copysign": ("normal", True),
    "heaviside": ("normal", False),
    "fmax": ("normal", True),
    "fmin": ("normal", True),
    "float_power": ("positive", True),
    "remainder": ("positive", True),
    "mod": ("positive", True),
    "fmod": ("positive", True),
    "floor_divide": ("positive", False),
    "divmod": ("positive", False),
}
DTYPES = (np.float32, np.float64, np.int64, np.bool_)


def _unary_call(name: str) -> Callable[..., Any]:
    def call(xp: Any, x: Any) -> Any:
        return getattr(xp, name)(x)

    return call


def _binary_call(name: str) -> Callable[..., Any]:
    def call(xp: Any, x: Any, y: Any) -> Any:
        return getattr(xp, name)(x, y)

    return call


def _cases() -> list[Any]:
    params = []
    for name, (values, _) in _UNARY.items():
        for dtype in DTYPES:
            x = _sample((2, 3), dtype, values, seed=len(name))
            params.append(pytest.param(_unary_call(name), (x,), id=f"{name}-{x.dtype}"))
    for name, (values, _) in _BINARY.items():
        for dtype in DTYPES:
            x = _sample((2, 3), dtype, values, seed=len(name))
            y = _sample((3,), dtype, values, seed=len(name) + 1)
            params.append(
                pytest.param(_binary_call(name), (x, y), id=f"{name}-{x.dtype}")
            )
    return params


def _numpy_result(fn: Callable[..., Any], args: tuple) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(np, *args)


def _leaves(out: Any) -> list[Any]:
    return list(out) if isinstance(out, tuple) else [out]


@pytest.mark.parametrize(("fn", "args"), _cases())
def test_numpy_front_end_matches_numpy(fn: Callable[..., Any], args: tuple) -> None:
    try:
        want = _numpy_result(fn, args)
    except TypeError:  # numpy refuses (heaviside of booleans, ...)
        with pytest.raises(TypeError):
            fg.make_jaxpr(lambda *a: fn(fnp, *a))(*args)
        return

    tangents = tuple(
        np.ones_like(a) if a.dtype.kind == "f" else np.zeros_like(a) for a in args
    )
    with np.errstate(all="ignore"):  # NaN is numpy's answer for some inputs
        eager = fn(fnp, *args)
        staged = _staged(lambda *a: fn(fnp, *a), *args)
        primal, _ = fg.jvp(lambda *a: fn(fnp, *a), args, tangents)

    for got in (eager, staged, primal):
        assert isinstance(_leaves(got)[0], np.ndarray)
        for g, w in zip(_leaves(got), _leaves(want)):
            _assert_same(g, w)


def _central_differences(f: Callable[..., Any], args: tuple, eps: float = 1e-6) -> list:
    grads = []
    for k, arg in enumerate(args):
        g = np.zeros(arg.shape)
        for i in np.ndindex(arg.shape):
            up, down = [a.copy() for a in args], [a.copy() for a in args]
            up[k][i] += eps
            down[k][i] -= eps
            g[i] = (f(*up) - f(*down)) / (2 * eps)
        grads.append(g)
    return grads


_DIFFERENTIABLE = [n for n, (_, d) in _UNARY.items() if d] + [
    n for n, (_, d) in _BINARY.items() if d
]


@pytest.mark.parametrize("name", _DIFFERENTIABLE)
def test_gradients_match_finite_differences_of_numpy(name: str) -> None:
    binary = name in _BINARY
    values = (_BINARY if binary else _UNARY)[name][0]
    args = (_sample((5,), F64, values, seed=7),)
    if binary:
        args += (_sample((5,), F64, values, seed=8),)
    w = np.random.default_rng(3).standard_normal(5)

    def loss_np(*a: Any) -> float:
        return float(np.sum(getattr(np, name)(*a) * w))

    def loss(*a: Any) -> Any:
        return fnp.sum(getattr(fnp, name)(*a) * w)

    grads = fg.grad(loss, argnums=tuple(range(len(args))))(*args)
    for got, want in zip(grads, _central_differences(loss_np, args)):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", [F32, F64])
def test_vmap_and_jit_match_numpy_in_one_program(dtype: np.dtype) -> None:
    def f(xp: Any, x: Any, y: Any) -> Any:
        return (
            xp.sinh(x) + xp.arctan2(x, y) * xp.hypot(x, y)
            + xp.floor(x * 3) - xp.remainder(x, y) + xp.fmod(x, y)
            + xp.exp2(x) * xp.log2(y) + xp.cbrt(x) * xp.sinc(x)
            + xp.copysign(y, x) + xp.deg2rad(x) + xp.arcsinh(x) * xp.rint(y)
            + xp.floor_divide(x, y) + xp.heaviside(x, 0.5)
        )  # fmt: skip

    x = _sample((4, 3), dtype, "normal", seed=1)
    y = _sample((4, 3), dtype, "positive", seed=2)
    want = f(np, x, y)

    batched = fg.vmap(lambda a, b: f(fnp, a, b))(x, y)
    compiled = fg.jit(lambda a, b: f(fnp, a, b))(x, y)
    loop = np.stack([f(np, a, b) for a, b in zip(x, y)])

    for got in (batched, compiled):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=10 * _rtol(dtype), atol=1e-5)
    np.testing.assert_allclose(loop, want, rtol=1e-6)


# --- numpy's edge values ----------------------------------------------------------

_EDGES = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0])


def _pairs() -> tuple[np.ndarray, np.ndarray]:
    a, b = np.meshgrid(_EDGES, _EDGES)
    return a.ravel(), b.ravel()


def _same_bits_of_zero(got: np.ndarray, want: np.ndarray) -> None:
    np.testing.assert_array_equal(got, want)  # NaNs compare equal here
    zero = want == 0
    assert np.array_equal(np.signbit(got[zero]), np.signbit(want[zero]))


@pytest.mark.parametrize(
    "name", ["remainder", "fmod", "floor_divide", "copysign", "fmax", "fmin",
             "heaviside", "arctan2", "hypot"],
)  # fmt: skip
@pytest.mark.parametrize("dtype", [F32, F64])
def test_binary_functions_at_the_edges(name: str, dtype: np.dtype) -> None:
    a, b = (v.astype(dtype) for v in _pairs())
    with np.errstate(all="ignore"):
        want = getattr(np, name)(a, b)
        traced = _staged(getattr(fnp, name), a, b)
    if name in ("fmax", "fmin"):
        # numpy itself returns either zero of a tie (-0.0, 0.0), depending
        # on the array's length: compare values only
        np.testing.assert_array_equal(traced, want)
    else:
        _same_bits_of_zero(np.asarray(traced), want)


@pytest.mark.parametrize(
    "name", ["floor", "ceil", "rint", "trunc", "fix", "signbit", "isnan",
             "isinf", "isfinite", "isposinf", "isneginf", "nan_to_num", "sinc",
             "fabs", "deg2rad", "rad2deg"],
)  # fmt: skip
@pytest.mark.parametrize("dtype", [F32, F64])
def test_unary_functions_at_the_edges(name: str, dtype: np.dtype) -> None:
    x = _EDGES.astype(dtype)
    with np.errstate(all="ignore"):
        want = getattr(np, name)(x)
        traced = _staged(getattr(fnp, name), x)
    _same_bits_of_zero(np.asarray(traced), want)


def test_angle_conversions_round_like_numpy_in_float32() -> None:
    x = np.linspace(-1000, 1000, 4001, dtype=np.float32)
    for name in ("deg2rad", "rad2deg"):
        traced = _staged(getattr(fnp, name), x)
        np.testing.assert_array_equal(traced, getattr(np, name)(x))


def test_round_with_decimals_matches_numpy() -> None:
    x = np.array([1.25, 2.5, -0.5, 1234.5678, -15.0, 25.0])
    for decimals in (-2, -1, 0, 1, 2, 3):
        traced = _staged(lambda v, d=decimals: fnp.round(v, d), x)
        np.testing.assert_array_equal(traced, np.round(x, decimals))
    ints = np.array([1234, 1250, -1250, 7])
    for decimals in (-2, 0, 1):
        traced = _staged(lambda v, d=decimals: fnp.round(v, d), ints)
        _assert_same(traced, np.round(ints, decimals))


def test_integer_remainders_match_numpy() -> None:
    a, b = np.meshgrid(np.arange(-7, 8), np.array([-3, -2, -1, 1, 2, 3]))
    a, b = a.ravel(), b.ravel()
    for name in ("remainder", "fmod", "floor_divide"):
        got = fg.jit(getattr(fnp, name))(a, b)
        _assert_same(got, getattr(np, name)(a, b))
    q, r = _staged(fnp.divmod, a, b)
    nq, nr = np.divmod(a, b)
    _assert_same(q, nq)
    _assert_same(r, nr)


# --- derivatives at the kinks and jumps ---------------------------------------


def test_rounding_has_a_zero_derivative_not_an_error() -> None:
    x = np.array([-1.7, -0.2, 0.4, 2.5])
    for name in ("floor", "ceil", "rint", "trunc", "fix", "round", "floor_divide"):
        fn = getattr(fnp, name)
        if name == "floor_divide":
            g = fg.grad(lambda v, f=fn: fnp.sum(f(v, 0.7)))(x)
        else:
            g = fg.grad(lambda v, f=fn: fnp.sum(f(v)))(x)
        np.testing.assert_array_equal(g, np.zeros(4))
        _, t = fg.jvp(lambda v, f=fn: f(v, 0.7) if name == "floor_divide" else f(v),
                      (x,), (np.ones(4),))  # fmt: skip
        np.testing.assert_array_equal(t, np.zeros(4))


def test_remainder_derivatives() -> None:
    # x - q y between jumps: d/dx = 1, d/dy = -q (floor for remainder,
    # trunc for fmod): x = -7.5, y = 2 gives q = -4 and -3.
    x, y = np.array([-7.5, 7.5, 1.25]), np.array([2.0, -2.0, 0.5])
    gx, gy = fg.grad(lambda a, b: fnp.sum(fnp.remainder(a, b)), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(gy, -np.floor(x / y))
    gx, gy = fg.grad(lambda a, b: fnp.sum(fnp.fmod(a, b)), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(gy, -np.trunc(x / y))
    np.testing.assert_array_equal(gy, [3.0, 3.0, -2.0])


def test_copysign_and_heaviside_derivatives() -> None:
    x = np.array([-2.0, 0.0, 3.0, 1.5])
    y = np.array([1.0, -1.0, -0.0, 2.0])
    gx, gy = fg.grad(lambda a, b: fnp.sum(fnp.copysign(a, b)), argnums=(0, 1))(x, y)
    # d|x|/dx (0 at 0) times the sign taken from y
    np.testing.assert_array_equal(gx, [-1.0, 0.0, -1.0, 1.0])
    np.testing.assert_array_equal(gy, np.zeros(4))

    h = np.array([-1.0, 0.0, 2.0])
    g1, g2 = fg.grad(
        lambda a, b: fnp.sum(fnp.heaviside(a, b)), argnums=(0, 1)
    )(h, np.full(3, 0.5))  # fmt: skip
    np.testing.assert_array_equal(g1, np.zeros(3))
    np.testing.assert_array_equal(g2, [0.0, 1.0, 0.0])


def test_fmax_fmin_ignore_nan_and_split_ties() -> None:
    x, y = np.array([np.nan, 1.0, 2.0, 3.0]), np.array([1.0, np.nan, 2.0, -3.0])
    gx, gy = fg.grad(lambda a, b: fnp.sum(fnp.fmax(a, b)), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, [0.0, 1.0, 0.5, 1.0])
    np.testing.assert_array_equal(gy, [1.0, 0.0, 0.5, 0.0])
    gx, gy = fg.grad(lambda a, b: fnp.sum(fnp.fmin(a, b)), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, [0.0, 1.0, 0.5, 0.0])
    np.testing.assert_array_equal(gy, [1.0, 0.0, 0.5, 1.0])


def test_hypot_at_the_origin_has_derivative_zero() -> None:
    x = np.array([0.0, 3.0])
    gx, gy = fg.grad(lambda a, b: fnp.sum(fnp.hypot(a, b)), argnums=(0, 1))(x, x * 0)
    np.testing.assert_array_equal(gx, [0.0, 1.0])
    np.testing.assert_array_equal(gy, [0.0, 0.0])
    h = fg.hessian(lambda a: fnp.hypot(a, 0.0))(0.0)
    assert np.isfinite(h)


def test_sinc_derivatives_at_zero_are_exact() -> None:
    # sinc(x) = 1 - (pi x)^2 / 6 + ...: slope 0 and curvature -pi^2 / 3 at 0.
    assert float(fg.grad(fnp.sinc)(0.0)) == 0.0
    curvature = float(fg.grad(fg.grad(fnp.sinc))(0.0))
    np.testing.assert_allclose(curvature, -(np.pi**2) / 3, rtol=1e-12)
    fourth = float(fg.grad(fg.grad(fg.grad(fg.grad(fnp.sinc))))(0.0))
    np.testing.assert_allclose(fourth, np.pi**4 / 5, rtol=1e-12)  # 4! pi^4 / 120
    x = np.array([-0.7, 0.001, 0.3, 2.2])
    check_grads(fnp.sinc, (x,), order=2)
    for dtype in (np.float32, np.float64):
        v = np.array([1e-4, 3e-3, 0.2, 1.7], dtype)
        got = _staged(fnp.sinc, v)
        np.testing.assert_allclose(got, np.sinc(v), rtol=_rtol(dtype))


def test_nan_to_num_passes_derivatives_only_where_it_keeps_x() -> None:
    x = np.array([np.nan, np.inf, -np.inf, 2.0])
    out = fg.jit(lambda v: fnp.nan_to_num(v, nan=1.0, posinf=5.0))(x)
    np.testing.assert_array_equal(out, np.nan_to_num(x, nan=1.0, posinf=5.0))
    g = fg.grad(lambda v: fnp.sum(fnp.nan_to_num(v)))(x)
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0, 1.0])


# --- powers at the edges ----------------------------------------------------------


def test_derivatives_of_x_to_the_zero_at_zero_are_zero() -> None:
    for exponent in (0.0, np.zeros(3)):

        def f(x: Any, e: Any = exponent) -> Any:
            return fnp.sum(x**e)

        x = np.zeros(3)
        np.testing.assert_array_equal(fg.grad(f)(x), np.zeros(3))
        np.testing.assert_array_equal(fg.hessian(f)(x), np.zeros((3, 3)))
        _, t = fg.jvp(f, (x,), (np.ones(3),))
        assert float(t) == 0.0
    assert float(fg.grad(fg.grad(fg.grad(lambda x: x**0.0)))(0.0)) == 0.0


def test_derivative_of_zero_to_a_positive_power_in_the_exponent_is_zero() -> None:
    y = np.array([0.5, 1.0, 2.0, 3.5])
    g = fg.grad(lambda e: fnp.sum(fnp.power(np.zeros(4), e)))(y)
    np.testing.assert_array_equal(g, np.zeros(4))
    h = fg.hessian(lambda e: fnp.sum(fnp.power(0.0, e)))(y)
    np.testing.assert_array_equal(h, np.zeros((4, 4)))


def test_square_of_a_negative_base_with_a_float_exponent() -> None:
    x = np.array([-3.0, -0.5, 2.0])
    for power in (
        lambda v: v**2.0,
        lambda v: fnp.power(v, np.array([2.0, 2.0, 2.0])),
        lambda v: fnp.power(v, np.float64(2.0)),
        lambda v: v**2,  # integer_pow
    ):
        np.testing.assert_array_equal(fg.grad(lambda v: fnp.sum(power(v)))(x), 2 * x)
        np.testing.assert_array_equal(
            fg.hessian(lambda v: fnp.sum(power(v)))(x), 2 * np.eye(3)
        )
    # with both operands traced, d/dx is still 2x (d/dy is log(x) x^2: NaN)
    gx = fg.grad(lambda v, e: fnp.sum(v**e), argnums=0)(x, np.full(3, 2.0))
    np.testing.assert_array_equal(gx, 2 * x)
    g3 = fg.grad(lambda v: fnp.sum(v ** np.full(3, 3.0)))(x)
    np.testing.assert_allclose(g3, 3 * x**2, rtol=1e-15)


# --- funcgrad.scipy.special ---------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"axis": 1}, {"axis": 0, "keepdims": True}, {"axis": (0, 1)},
     {"axis": -1, "b": np.array([1.0, 2.0, 0.5])},
     {"axis": 1, "b": np.array([1.0, -2.0, 0.5]), "return_sign": True},
     {"b": np.array([[0.0], [1.0]])}],
)  # fmt: skip
def test_logsumexp_matches_scipy(kwargs: dict) -> None:
    a = np.array([[1.0, -2.0, 3.0], [1000.0, 1000.0, -np.inf]])
    want = sp.logsumexp(a, **kwargs)
    eager = fsp.logsumexp(a, **kwargs)
    traced = _staged(lambda v: fsp.logsumexp(v, **kwargs), a)
    for got in (eager, traced):
        for g, w in zip(_leaves(got), _leaves(want)):
            _assert_same(g, np.asarray(w))


def test_logsumexp_gradients_at_the_edges() -> None:
    lse = fsp.logsumexp
    np.testing.assert_allclose(fg.grad(lse)(np.array([1000.0, 1000.0])), [0.5, 0.5])
    assert float(lse(np.array([1000.0, 1000.0]))) == 1000.0 + math.log(2)

    g = fg.grad(lse)(np.array([-np.inf, 0.0, 0.0]))
    np.testing.assert_array_equal(g, [0.0, 0.5, 0.5])

    all_neg_inf = np.array([-np.inf, -np.inf])
    assert float(fg.jit(lse)(all_neg_inf)) == -np.inf
    np.testing.assert_array_equal(fg.grad(lse)(all_neg_inf), [0.0, 0.0])
    np.testing.assert_array_equal(fg.hessian(lse)(all_neg_inf), np.zeros((2, 2)))
    _, t = fg.jvp(lse, (all_neg_inf,), (np.ones(2),))
    assert float(t) == 0.0

    # entries weighted 0 count as absent, even when they are +inf
    g = fg.grad(lambda v: lse(v, b=np.array([0.0, 1.0])))(np.array([np.inf, 2.0]))
    np.testing.assert_array_equal(g, [0.0, 1.0])


def test_logsumexp_derivatives_match_finite_differences() -> None:
    a = np.array([[0.3, -1.2, 2.0], [0.5, 0.1, -0.4]])
    b = np.array([1.0, 2.0, 0.5])
    check_grads(lambda v: fsp.logsumexp(v, axis=1), (a,), order=2)
    check_grads(lambda v, w: fsp.logsumexp(v, axis=-1, b=w), (a, b), order=2)
    check_grads(lambda v: fsp.logsumexp(v, return_sign=True)[0], (a,), order=1)
    got = fg.vmap(lambda v: fsp.logsumexp(v))(a)
    np.testing.assert_allclose(got, sp.logsumexp(a, axis=1), rtol=1e-14)


def test_softmax_and_log_softmax_match_scipy() -> None:
    x = np.array([[1.0, -2.0, 3.0], [1000.0, 1000.0, 999.0]])
    for axis in (None, 0, 1, -1):
        _assert_same(fsp.softmax(x, axis=axis), sp.softmax(x, axis=axis))
        _assert_same(fsp.log_softmax(x, axis=axis), sp.log_softmax(x, axis=axis))
        traced = _staged(lambda v, a=axis: fsp.log_softmax(v, axis=a), x)
        _assert_same(traced, sp.log_softmax(x, axis=axis))
    _assert_same(nn.softmax(x), sp.softmax(x, axis=-1))
    _assert_same(nn.log_softmax(x), sp.log_softmax(x, axis=-1))
    x32 = x.astype(np.float32)
    assert fg.jit(nn.softmax)(x32).dtype == np.float32
    small = x[:1] / 3
    check_grads(lambda v: fsp.softmax(v, axis=1), (small,), order=2)
    check_grads(lambda v: nn.log_softmax(v), (small,), order=2)
    # the gradient of a log-probability: one-hot minus the probabilities
    g = fg.grad(lambda v: nn.log_softmax(v)[1])(np.array([1000.0, 1000.0]))
    np.testing.assert_allclose(g, [-0.5, 0.5])


def test_xlogy_and_xlog1py_match_scipy_at_zero() -> None:
    x = np.array([0.0, 0.0, 0.0, 0.0, 2.0, 1.5, 0.0])
    y = np.array([0.0, 2.0, -1.0, np.nan, 3.0, 0.0, np.inf])
    with np.errstate(all="ignore"):
        for ours, theirs, shift in ((fsp.xlogy, sp.xlogy, 0.0),
                                    (fsp.xlog1py, sp.xlog1py, -1.0)):  # fmt: skip
            want = theirs(x, y + shift)
            _assert_same(ours(x, y + shift), want)
            traced = fg.jit(ours)(x, y + shift)
            _assert_same(traced, want)
    assert float(fsp.xlogy(0.0, 0.0)) == 0.0
    assert fsp.xlogy(np.float32(0), np.float32(2)).dtype == np.float32


def test_xlogy_derivatives() -> None:
    # at x == 0: d/dx = log(y) (the partial derivative), d/dy = 0
    x, y = np.array([0.0, 0.0, 2.0]), np.array([3.0, 0.0, 0.5])
    with np.errstate(divide="ignore"):
        gx, gy = fg.grad(lambda a, b: fnp.sum(fsp.xlogy(a, b)), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, [math.log(3.0), -np.inf, math.log(0.5)])
    np.testing.assert_allclose(gy, [0.0, 0.0, 4.0])
    gx, gy = fg.grad(lambda a, b: fnp.sum(fsp.xlog1py(a, b)), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, np.log1p(y))
    np.testing.assert_allclose(gy, [0.0, 0.0, 2.0 / 1.5])
    xs, ys = np.array([0.3, 1.7, 2.0]), np.array([0.4, 2.5, 1.1])
    check_grads(fsp.xlogy, (xs, ys), order=2)
    check_grads(fsp.xlog1py, (xs, ys), order=2)
    # the custom derivative survives vmap and jacfwd
    batched = fg.vmap(fsp.xlogy)(np.array([0.0, 2.0]), np.array([0.0, 3.0]))
    np.testing.assert_array_equal(batched, [0.0, 2.0 * math.log(3.0)])
    jac = fg.jacfwd(fsp.xlogy, argnums=(0, 1))(xs, ys)
    np.testing.assert_allclose(jac[0], np.diag(np.log(ys)), rtol=1e-14)
    np.testing.assert_allclose(jac[1], np.diag(xs / ys), rtol=1e-14)


def test_xlogy_mixed_second_derivative_at_x_zero() -> None:
    # d2/dxdy x log(y) = 1 / y also at x == 0 (xlog1py: 1 / (1 + y)); it
    # had come out 1 there, the divisor of d/dy replaced wholesale
    for fn, y in ((fsp.xlogy, 2.0), (fsp.xlog1py, 1.0)):
        h = fg.hessian(lambda v, f=fn: f(v[0], v[1]))(np.array([0.0, y]))
        np.testing.assert_allclose(h, [[0.0, 0.5], [0.5, 0.0]], rtol=1e-15)


def test_special_functions_match_scipy() -> None:
    x = np.array([-3.7, -1.5, -0.5, 0.1, 0.5, 1.0, 2.0, 7.5, 30.0])
    u = np.array([-0.999, -0.5, -1e-5, 0.0, 0.3, 0.9, 0.999999])
    p = np.array([1e-6, 0.1, 0.3, 0.5, 0.7, 0.999])
    pairs = [
        (fsp.erf, sp.erf, x), (fsp.erfc, sp.erfc, x), (fsp.erfinv, sp.erfinv, u),
        (fsp.gammaln, sp.gammaln, x), (fsp.digamma, sp.digamma, x),
        (fsp.expit, sp.expit, x), (fsp.logit, sp.logit, p),
    ]  # fmt: skip
    for ours, theirs, v in pairs:
        for dtype in (np.float32, np.float64):
            arg = v.astype(dtype)
            want = theirs(arg)
            _assert_same(ours(arg), want)
            _assert_same(_staged(ours, arg), want)
    for n in (0, 1, 2, 4):
        np.testing.assert_allclose(fsp.polygamma(n, x), sp.polygamma(n, x), rtol=1e-12)
    # the ones without a fused lowering run their implementation under jit
    v = np.array([0.3, 1.7, 4.2])
    got = fg.jit(
        lambda t: fsp.digamma(t) * 2.0 + fsp.erfinv(t / 5.0) + fsp.polygamma(2, t)
    )(v)  # fmt: skip
    want = sp.digamma(v) * 2.0 + sp.erfinv(v / 5.0) + sp.polygamma(2, v)
    np.testing.assert_allclose(got, want, rtol=1e-13)


def test_ndtr_and_log_ndtr_match_scipy_in_both_tails() -> None:
    for dtype, low in ((np.float64, -35.0), (np.float32, -12.0)):
        x = np.concatenate([np.linspace(low, 8.0, 2001), [-20.0, -10.0, 0.0]])
        x = x.astype(dtype)
        for ours, theirs in ((fsp.ndtr, sp.ndtr), (fsp.log_ndtr, sp.log_ndtr)):
            want = theirs(x)
            rtol = 1e-12 if dtype == np.float64 else 5e-5  # float32: near 1e-38
            for got in (ours(x), _staged(ours, x)):
                assert got.dtype == dtype
                np.testing.assert_allclose(got, want, rtol=rtol, atol=0)
    far = np.array([-1e3, -60.0, 40.0, 1e3])
    np.testing.assert_allclose(fsp.log_ndtr(far), sp.log_ndtr(far), rtol=1e-14)
    # the derivative is pdf / cdf, also where the cdf underflows
    x = np.array([-50.0, -20.0, -3.0, 0.0, 5.0, 30.0])
    g = fg.grad(lambda v: fnp.sum(fsp.log_ndtr(v)))(x)
    log_pdf = -0.5 * x**2 - 0.5 * math.log(2 * math.pi)
    np.testing.assert_allclose(g, np.exp(log_pdf - sp.log_ndtr(x)), rtol=1e-12)
    check_grads(fsp.log_ndtr, (np.array([-25.0, -15.0, -3.0, 0.5, 6.0]),), order=2)
    check_grads(fsp.ndtr, (np.array([-3.0, -0.5, 0.2, 2.0]),), order=2)


def test_logit_and_xlogy_edges_do_not_warn() -> None:
    # pyproject.toml turns RuntimeWarnings raised in funcgrad into errors
    np.testing.assert_array_equal(fsp.logit(np.array([0.0, 1.0])), [-np.inf, np.inf])
    np.testing.assert_array_equal(
        fsp.xlogy(np.array([1.0, 0.0]), np.array([0.0, -1.0])), [-np.inf, 0.0]
    )
    assert np.isnan(fsp.xlog1py(np.array(1.0), np.array(-2.0)))


def test_special_functions_at_their_poles_and_infinities() -> None:
    x = np.array([0.0, -0.0, -1.0, -2.0, np.inf, -np.inf, np.nan])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(fsp.digamma(x), sp.digamma(x))
        for n in (1, 2, 3):
            np.testing.assert_array_equal(fsp.polygamma(n, x), sp.polygamma(n, x))
        np.testing.assert_array_equal(
            fsp.gammaln(x[[0, 2, 4]]), sp.gammaln(x[[0, 2, 4]])
        )
        u = np.array([1.0, -1.0, 1.5, np.nan, -0.0])
        np.testing.assert_array_equal(fsp.erfinv(u), sp.erfinv(u))  # -0.0 kept


def test_gamma_family_derivatives_of_every_order() -> None:
    # each derivative is the next polygamma: the oracle is scipy's polygamma
    x = np.array([0.3, 1.7, 4.2, -0.4])
    f = lambda v: fnp.sum(fsp.gammaln(v))  # noqa: E731
    d = fg.grad(f)
    np.testing.assert_allclose(d(x), sp.digamma(x), rtol=1e-12)
    for n in range(1, 4):
        d = fg.grad(lambda v, g=d: fnp.sum(g(v)))
        np.testing.assert_allclose(d(x), sp.polygamma(n, x), rtol=1e-10)
    g = fg.grad(lambda v: fnp.sum(fsp.erfinv(v)))(np.array([0.0, 0.5]))
    np.testing.assert_allclose(
        g, math.sqrt(math.pi) / 2 * np.exp(sp.erfinv([0.0, 0.5]) ** 2), rtol=1e-14
    )
    np.testing.assert_allclose(fsp.erfinv(fsp.erf(x[:2])), x[:2], rtol=1e-14)


def test_special_functions_refuse_bad_input_clearly() -> None:
    with pytest.raises(FuncgradError, match="polygamma.*non-negative int"):
        fsp.polygamma(-1, np.ones(2))
    with pytest.raises(FuncgradError, match="polygamma.*non-negative int"):
        fsp.polygamma(1.5, np.ones(2))
    with pytest.raises(TypeError, match="`erf`"):
        lax.erf(np.array([1, 2]))
    with pytest.raises(TypeError, match="`digamma`"):
        fg.jit(lax.digamma)(np.array([1, 2]))
    with pytest.raises(TypeError, match="real numbers"):
        fsp.gammaln(np.array([1j]))
    with pytest.raises(TypeError, match="complex"):
        fg.jit(fnp.fmod)(np.array([1j]), np.array([1.0]))
    with pytest.raises(TypeError, match="integer labels"):
        nn.one_hot(np.array([0.0, 1.0]), 3)
    with pytest.raises(TypeError, match="num_classes"):
        nn.one_hot(np.array([0, 1]), 3.0)


# --- funcgrad.nn ----------------------------------------------------------------------


def test_activations_match_their_formulas() -> None:
    x = np.array([-1000.0, -20.0, -1.5, -0.0, 0.0, 0.7, 6.0, 8.0, 1000.0])
    with np.errstate(over="ignore"):
        wants = {
            nn.relu: np.maximum(x, 0),
            nn.relu6: np.clip(x, 0, 6),
            nn.leaky_relu: np.where(x >= 0, x, 0.01 * x),
            nn.hard_tanh: np.clip(x, -1, 1),
            nn.elu: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
            nn.softplus: np.logaddexp(x, 0),
            nn.log_sigmoid: -np.logaddexp(0, -x),
            nn.sigmoid: sp.expit(x),
            nn.silu: x * sp.expit(x),
            nn.swish: x * sp.expit(x),
            nn.gelu: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
        }  # fmt: skip
    wants[lambda v: nn.gelu(v, approximate=False)] = x * sp.ndtr(x)
    for fn, want in wants.items():
        _assert_same(fn(x), want)
        _assert_same(_staged(fn, x), want)
        assert fn(x.astype(np.float32)).dtype == np.float32


def test_activation_derivatives_at_the_kinks() -> None:
    def slope(fn: Callable[[Any], Any], at: list[float]) -> np.ndarray:
        return fg.grad(lambda v: fnp.sum(fn(v)))(np.array(at))

    np.testing.assert_array_equal(slope(nn.relu, [-1.0, 0.0, 2.0]), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(slope(nn.relu6, [0.0, 3.0, 6.0]), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(slope(nn.leaky_relu, [-1.0, 0.0]), [0.01, 1.0])
    np.testing.assert_array_equal(slope(nn.hard_tanh, [-1.0, 1.0, 2.0]), [1, 1, 0])
    np.testing.assert_array_equal(slope(nn.elu, [0.0, 1.0]), [1.0, 1.0])
    # softplus: its derivative is sigmoid, its second 1/4 at 0, and no
    # overflow or NaN at +-1000
    edges = np.array([-1000.0, 0.0, 1000.0])
    np.testing.assert_allclose(slope(nn.softplus, list(edges)), sp.expit(edges))
    assert float(fg.grad(fg.grad(nn.softplus))(0.0)) == 0.25
    np.testing.assert_allclose(slope(nn.log_sigmoid, list(edges)), sp.expit(-edges))
    x = np.array([-2.1, -0.3, 0.4, 1.9])
    for fn in (nn.softplus, nn.log_sigmoid, nn.silu, nn.gelu, nn.elu, nn.sigmoid):
        check_grads(fn, (x,), order=2)
    check_grads(lambda v: nn.gelu(v, approximate=False), (x,), order=2)


def test_one_hot() -> None:
    labels = np.array([[0, 2], [1, 5]])
    want = (labels[..., None] == np.arange(3)).astype(np.float64)
    _assert_same(nn.one_hot(labels, 3), want)
    _assert_same(fg.jit(lambda v: nn.one_hot(v, 3))(labels), want)
    got = fg.vmap(lambda v: nn.one_hot(v, 3, dtype=np.float32))(labels)
    _assert_same(got, want.astype(np.float32))
    _assert_same(nn.one_hot(labels, 3, axis=0), np.moveaxis(want, -1, 0))
    # a loss of one-hot targets is differentiable in the logits
    logits = np.array([[0.5, -1.0, 2.0], [0.1, 0.2, 0.3]])
    g = fg.grad(
        lambda z: -fnp.sum(nn.one_hot(np.array([2, 0]), 3) * nn.log_softmax(z))
    )(logits)  # fmt: skip
    np.testing.assert_allclose(g, sp.softmax(logits, axis=1) - np.eye(3)[[2, 0]])


def test_numpy_ufuncs_applied_to_tracers_route_to_funcgrad() -> None:
    x = np.array([-2.5, -0.3, 0.7, 3.2])
    for ufunc in (np.floor, np.sinh, np.arctan2, np.remainder, np.signbit):
        args = (x, x[::-1]) if ufunc.nin == 2 else (x,)
        _assert_same(fg.jit(ufunc)(*args), ufunc(*args))
    q, r = fg.jit(np.divmod)(x, 0.75)
    _assert_same(q, np.floor_divide(x, 0.75))
    _assert_same(r, np.remainder(x, 0.75))


def test_logsumexp_gradient_in_b_where_b_is_zero():
    """A zero weight removes the entry's term, not its derivative in b:
    d/db_i log(sum_j b_j exp(a_j)) = exp(a_i) / sum_j b_j exp(a_j)."""
    a = np.array([0.0, -1.0, 2.0])
    b = np.array([1.0, 0.0, 1.0])
    g = fg.grad(lambda b: fsp.logsumexp(a, b=b))(b)
    np.testing.assert_allclose(g, np.exp(a) / np.sum(b * np.exp(a)), rtol=1e-13)
    # an unweighted entry larger than every weighted one, or infinite, counts as 0
    for big in (1000.0, np.inf):
        value = fsp.logsumexp(np.array([big, 1.0]), b=np.array([0.0, 1.0]))
        assert float(value) == 1.0


def test_one_hot_refuses_a_negative_number_of_classes():
    with pytest.raises(ValueError, match="num_classes"):
        nn.one_hot(np.array([0, 1]), -1)


def test_psi_is_digamma():
    x = np.array([0.3, 1.0, 4.5])
    np.testing.assert_allclose(fsp.psi(x), sp.psi(x), rtol=1e-13)
    np.testing.assert_allclose(
        fg.grad(lambda v: fnp.sum(fsp.psi(v)))(x), sp.polygamma(1, x), rtol=1e-12
    )
