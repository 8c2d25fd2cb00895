"""Derivatives at the edges of their domains (docs/conventions.md): where
the mathematics gives a finite answer, funcgrad gives it, not NaN."""

from __future__ import annotations

import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp


def _radius_or_one(x):
    """`where(r > 0.5, r, 1)` row by row, with `r` the row's 2-norm: flat
    (gradient 0) near the zero row, where `sqrt`'s own derivative is
    infinite."""
    r = fnp.sqrt(fnp.sum(x**2, axis=-1))
    return fnp.sum(fnp.where(r > 0.5, r, 1.0))


@pytest.mark.parametrize(
    "transform",
    [
        lambda f: fg.grad(f),
        lambda f: fg.jit(fg.grad(f)),
        lambda f: fg.jacfwd(f),
        lambda f: lambda x: fg.vmap(fg.grad(lambda row: f(row[None])))(x),
    ],
    ids=["grad", "jit(grad)", "jacfwd", "vmap(grad)"],
)
def test_where_keeps_the_unselected_branch_at_exactly_zero(transform):
    x = np.array([[0.0, 0.0], [3.0, 4.0], [0.1, 0.2]])
    g = transform(_radius_or_one)(x)
    # row 0: r = 0 < 0.5, constant branch; row 1: r = 5, gradient x / r;
    # row 2: r < 0.5, constant branch
    np.testing.assert_allclose(g, [[0.0, 0.0], [0.6, 0.8], [0.0, 0.0]], rtol=1e-12)


def test_where_second_order_at_the_zero_row():
    x = np.zeros((1, 2))
    h = fg.hessian(_radius_or_one)(x)
    np.testing.assert_array_equal(h, np.zeros((1, 2, 1, 2)))


def test_log_and_sqrt_keep_their_infinite_derivative_where_selected():
    # the zero-wins quotient only acts on an exact zero tangent
    assert fg.grad(fnp.sqrt)(0.0) == np.inf
    with np.errstate(divide="ignore"):  # numpy's own warning for log(0)
        assert fg.grad(fnp.log)(0.0) == np.inf
        assert fg.grad(lambda x: fnp.log1p(x))(-1.0) == np.inf


@pytest.mark.parametrize(
    ("fn", "inside"),
    [(fnp.log, 1.0), (fnp.log1p, 0.0), (fnp.sqrt, 1.0)],
    ids=["log", "log1p", "sqrt"],
)
def test_unselected_pole_gives_zero(fn, inside):
    pole = {fnp.log: 0.0, fnp.log1p: -1.0, fnp.sqrt: 0.0}[fn]

    def f(x):
        return fnp.sum(fnp.where(x == pole, 0.0, fn(x)))

    x = np.array([pole, inside])
    with np.errstate(divide="ignore"):  # numpy's own warning for log(0)
        g = fg.grad(f)(x)
    want_inside = {fnp.log: 1.0, fnp.log1p: 1.0, fnp.sqrt: 0.5}[fn]
    np.testing.assert_allclose(g, [0.0, want_inside], rtol=1e-12)


_UNSELECTED = {
    "1/x": (lambda x: fnp.where(x > 0, 1 / x, 0.0), 0.0),
    "x**0.5": (lambda x: fnp.where(x > 0, x**0.5, 0.0), 0.0),
    "1/sqrt(x)": (lambda x: fnp.where(x > 0, 1 / fnp.sqrt(x), 0.0), 0.0),
    "cbrt": (lambda x: fnp.where(x != 0, fnp.cbrt(x), 0.0), 0.0),
    "arcsin": (lambda x: fnp.where(x < 1, fnp.arcsin(x), 0.0), 1.0),
    "arctanh": (lambda x: fnp.where(x < 1, fnp.arctanh(x), 0.0), 1.0),
    "log2": (lambda x: fnp.where(x > 0, fnp.log2(x), 0.0), 0.0),
    "exp overflow": (lambda x: fnp.where(x < 100, fnp.exp(x), 0.0), 1000.0),
    "sin(x)/x": (lambda x: fnp.where(x != 0, fnp.sin(x) / x, 1.0), 0.0),
}


@pytest.mark.parametrize("name", sorted(_UNSELECTED))
def test_unselected_branches_with_infinite_derivatives_give_zero(name):
    f, x = _UNSELECTED[name]
    with np.errstate(all="ignore"):  # numpy's own warnings for 1/0, log(0)
        assert fg.grad(f)(x) == 0.0
        assert fg.jit(fg.grad(f))(x) == 0.0
        _, tangent = fg.jvp(f, (x,), (1.0,))
    assert tangent == 0.0


@pytest.mark.parametrize(
    ("f", "slope_at_2"),
    [
        (lambda x: fnp.where(x > 0, x * fnp.log(x), 0.0), np.log(2.0) + 1.0),
        (lambda x: fnp.where(x > 0, fnp.log(x) ** 2, 0.0), np.log(2.0)),
    ],
    ids=["x*log(x)", "log(x)**2"],
)
def test_products_with_an_infinite_value_in_an_unselected_branch(f, slope_at_2):
    # mul's and integer_pow's rules multiply by log(0) = -inf at 0
    with np.errstate(all="ignore"):
        assert fg.grad(f)(0.0) == 0.0
        assert fg.jit(fg.grad(f))(0.0) == 0.0
        assert fg.jvp(f, (0.0,), (1.0,))[1] == 0.0
    # where the branch is selected the derivative is the true one
    np.testing.assert_allclose(fg.grad(f)(2.0), slope_at_2, rtol=1e-14)


def test_std_of_a_constant_has_the_zero_subgradient():
    np.testing.assert_array_equal(fg.grad(fnp.std)(np.ones(3)), np.zeros(3))
    x = np.array([1.0, 2.0, 4.0])
    n = x.size
    want = (x - x.mean()) / (n * np.std(x))
    np.testing.assert_allclose(fg.grad(fnp.std)(x), want, rtol=1e-12)


@pytest.mark.parametrize(
    "f",
    [
        lambda x: fnp.where(x < 100, fnp.sinh(x), 0.0),
        lambda x: fnp.where(x < 100, fnp.cosh(x), 0.0),
        lambda x: fnp.where(x < 100, fnp.exp2(x), 0.0),
        lambda x: fnp.where(x < 100, fnp.expm1(x), 0.0),
    ],
    ids=["sinh", "cosh", "exp2", "expm1"],
)
def test_overflowing_functions_in_an_unselected_branch_give_zero(f):
    with np.errstate(all="ignore"):
        assert fg.grad(f)(2000.0) == 0.0
        assert fg.jit(fg.grad(f))(2000.0) == 0.0
