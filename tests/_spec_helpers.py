"""The checks that the front-end spec tables share: values against an
oracle (numpy or scipy), eagerly and inside transforms, and derivatives
against central finite differences of the oracle.

A function under test is written `fn(xp, *arrays)`, where `xp` is the
oracle's side (`numpy`, or a namespace of numpy and scipy modules) or
funcgrad's (`funcgrad.numpy`, or the namespace of funcgrad's modules with
the same names), so one definition gives both the expected and the
checked value. `tests/test_numpy.py` and `tests/test_namespaces.py` use
these helpers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp


def sample(shape: tuple, dtype: Any, rng: np.random.Generator, values: str) -> Any:
    """An array to test with. `values` is "normal", "positive" (safe for
    log, sqrt and division) or "unit" (inside (-1, 1), safe for tan)."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        if values == "positive":
            return np.ones(shape, bool)
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        low, high = (1, 5) if values == "positive" else (-3, 4)
        return rng.integers(low, high, shape).astype(dtype)
    if values == "positive":
        return rng.uniform(0.5, 2.0, shape).astype(dtype)
    if values == "unit":
        return rng.uniform(-0.9, 0.9, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def leaves(out: Any) -> list[Any]:
    """The arrays of a result that may be a tuple or list of arrays."""
    if isinstance(out, tuple | list):
        return [leaf for item in out for leaf in leaves(item)]
    return [out]


def rtol_for(dtype: np.dtype) -> float:
    return {"float16": 2e-3, "float32": 2e-5}.get(np.dtype(dtype).name, 1e-10)


def assert_same(
    got: Any, want: Any, exact: bool = False, tol: float | None = None
) -> None:
    """`got` has numpy's dtype and shape and (nearly) numpy's values:
    within `tol`, relative and absolute (by default `rtol_for` the dtype)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, f"dtype {got.dtype}, numpy gives {want.dtype}"
    assert got.shape == want.shape, f"shape {got.shape}, numpy gives {want.shape}"
    if exact or want.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want)
    else:
        tol = rtol_for(want.dtype) if tol is None else tol
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def assert_all_same(got: Any, want: Any, tol: float | None = None) -> None:
    got, want = leaves(got), leaves(want)
    assert len(got) == len(want), f"{len(got)} outputs, numpy gives {len(want)}"
    for g, w in zip(got, want):
        assert_same(g, w, tol=tol)


def tangent_like(x: Any, rng: np.random.Generator) -> Any:
    if x.dtype.kind == "f":
        return rng.standard_normal(x.shape).astype(x.dtype)
    return np.zeros_like(x)


def run_traced(
    f: Callable[..., Any], args: tuple, rng: np.random.Generator, jvp: bool = True
) -> tuple:
    """`f(*args)` through `make_jaxpr` (evaluated) and through `jvp` (the
    staged value again without `jvp`), with the staged program's output
    types."""
    closed = fg.make_jaxpr(f)(*args)
    staged = closed(*args)
    if not jvp:
        return closed.out_avals, staged, staged
    primal, _ = fg.jvp(f, args, tuple(tangent_like(a, rng) for a in args))
    return closed.out_avals, staged, primal


def check_traced(
    f_np: Callable,
    f_fg: Callable,
    args: tuple,
    seed: int = 0,
    tol: float | None = None,
    jvp: bool = True,
) -> None:
    """`f_fg` inside transforms agrees with `f_np` (or both raise)."""
    rng = np.random.default_rng(seed)
    try:
        want = f_np(*args)
    except Exception:
        with pytest.raises(Exception):
            fg.make_jaxpr(f_fg)(*args)
        with pytest.raises(Exception):
            fg.jvp(f_fg, args, tuple(tangent_like(a, rng) for a in args))
        return
    avals, staged, primal = run_traced(f_fg, args, rng, jvp)
    want_leaves = leaves(want)
    assert [(a.shape, a.dtype) for a in avals] == [
        (np.shape(w), np.asarray(w).dtype) for w in want_leaves
    ], "the staged program's output types differ from numpy's"
    assert_all_same(staged, want, tol)
    assert_all_same(primal, want, tol)


def numeric_grads(f: Callable[..., Any], args: tuple, eps: float = 1e-6) -> list:
    """Central differences of the scalar function `f` for every argument."""
    grads = []
    for k, arg in enumerate(args):
        g = np.zeros(arg.shape)
        for i in np.ndindex(arg.shape):
            shifted = []
            for step in (eps, -eps):
                moved = [a.copy() for a in args]
                moved[k][i] += step
                shifted.append(f(*moved))
            g[i] = (shifted[0] - shifted[1]) / (2 * eps)
        grads.append(g)
    return grads


def float_outputs(out: Any) -> list[int]:
    """The positions of the floating-point arrays among `leaves(out)`: the
    outputs that have derivatives (a rank, a count, a flag have none)."""
    return [
        k for k, leaf in enumerate(leaves(out)) if np.asarray(leaf).dtype.kind == "f"
    ]


class WeightedLoss:
    """`sum_k sum(out_k * w_k)` over the floating-point outputs of
    `fn(xp, *arrays)`, on the oracle's side (a float, for finite
    differences) and on funcgrad's (traceable), with weights drawn from
    `rng` once."""

    def __init__(
        self, fn: Callable, args: tuple, rng: Any, oracle: Any, ours: Any
    ) -> None:
        self.fn, self.oracle, self.ours = fn, oracle, ours
        out = fn(oracle, *args)
        self.kept = float_outputs(out)
        self.weights = [
            rng.standard_normal(np.shape(leaves(out)[k])) for k in self.kept
        ]

    def picked(self, out: Any) -> list[Any]:
        """The floating-point outputs of a result (or of its tangent)."""
        return [leaves(out)[k] for k in self.kept]

    def numeric(self, *args: Any) -> float:
        out = self.picked(self.fn(self.oracle, *args))
        return float(sum(np.sum(o * w) for o, w in zip(out, self.weights)))

    def traced(self, *args: Any) -> Any:
        out = self.picked(self.fn(self.ours, *args))
        return sum(fnp.sum(o * w) for o, w in zip(out, self.weights))


def check_derivatives(
    fn: Callable, args: tuple, seed: int = 0, oracle: Any = np, ours: Any = fnp
) -> None:
    """`grad` of `sum(fn(x) * w)` and `jvp` of `fn` against central
    differences of the oracle's function, all in float64. With several
    outputs, the loss sums over the floating-point ones."""
    rng = np.random.default_rng(seed)
    loss = WeightedLoss(fn, args, rng, oracle, ours)

    grads = fg.grad(loss.traced, argnums=tuple(range(len(args))))(*args)
    for k, (got, want) in enumerate(zip(grads, numeric_grads(loss.numeric, args))):
        assert got.shape == args[k].shape and got.dtype == np.float64
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)

    eps = 1e-6
    tangents = tuple(rng.standard_normal(a.shape) for a in args)
    _, out_dot = fg.jvp(lambda *a: fn(ours, *a), args, tangents)
    plus = loss.picked(fn(oracle, *(a + eps * t for a, t in zip(args, tangents))))
    minus = loss.picked(fn(oracle, *(a - eps * t for a, t in zip(args, tangents))))
    for got, p, m in zip(loss.picked(out_dot), plus, minus):
        np.testing.assert_allclose(got, (p - m) / (2 * eps), rtol=1e-5, atol=1e-6)


def check_second_derivatives(
    fn: Callable,
    args: tuple,
    seed: int = 0,
    oracle: Any = np,
    ours: Any = fnp,
    tol: float = 1e-4,
) -> None:
    """Second derivatives in both modes against finite differences of the
    oracle's function, in float64:

    - forward over forward, `jvp` of `jvp` along `v`, against the second
      central difference `(f(x + h v) - 2 f(x) + f(x - h v)) / h**2`;
    - the Hessian-vector product `H v` of `sum(fn(x) * w)`, forward over
      reverse (`jvp` of `grad`) and reverse over reverse (`grad` of
      `<grad, v>`), against central differences in each element of the
      central difference along `v`.
    """
    rng = np.random.default_rng(seed)
    loss = WeightedLoss(fn, args, rng, oracle, ours)
    v = tuple(rng.standard_normal(a.shape) for a in args)
    h = 1e-4

    def along(s: float) -> list[Any]:
        moved = (a + s * t for a, t in zip(args, v))
        return [np.asarray(o, np.float64) for o in loss.picked(fn(oracle, *moved))]

    def tangent(*a: Any) -> Any:
        return fg.jvp(lambda *b: fn(ours, *b), a, v)[1]

    _, second = fg.jvp(tangent, args, v)
    for got, p, c, m in zip(loss.picked(second), along(h), along(0.0), along(-h)):
        np.testing.assert_allclose(got, (p - 2 * c + m) / h**2, rtol=tol, atol=tol)

    def slope(*a: Any) -> float:  # the derivative of the loss along v
        plus = loss.numeric(*(x + h * t for x, t in zip(a, v)))
        minus = loss.numeric(*(x - h * t for x, t in zip(a, v)))
        return (plus - minus) / (2 * h)

    want = numeric_grads(slope, args, eps=h)
    argnums = tuple(range(len(args)))
    gradient = fg.grad(loss.traced, argnums=argnums)
    _, forward_over_reverse = fg.jvp(gradient, args, v)

    def gradient_along_v(*a: Any) -> Any:
        return sum(fnp.sum(g * t) for g, t in zip(gradient(*a), v))

    reverse_over_reverse = fg.grad(gradient_along_v, argnums=argnums)(*args)
    for mode, hvp in [
        ("forward over reverse", forward_over_reverse),
        ("reverse over reverse", reverse_over_reverse),
    ]:
        for got, w in zip(hvp, want):
            np.testing.assert_allclose(got, w, rtol=tol, atol=tol, err_msg=mode)
