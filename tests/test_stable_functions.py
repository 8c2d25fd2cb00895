"""The library's own numerically delicate functions, whose derivatives are
given by `custom_jvp` so that they stay finite where the naive formula is not."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.test_util import check_grads


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@pytest.mark.parametrize(
    "fn, ref, scale",
    [(fnp.logaddexp, np.logaddexp, 1.0), (fnp.logaddexp2, np.logaddexp2, np.log(2))],
)
def test_values_and_derivatives_at_the_edges(fn, ref, scale):
    x = np.array([-np.inf, 0.0, 1000.0, -3.0, np.inf, 5.0])
    y = np.array([-np.inf, 0.0, 1.0, 2.0, 1.0, 5.0])
    with warnings.catch_warnings():
        # Both branches of a select are computed; inf - inf warns in numpy.
        warnings.simplefilter("ignore", RuntimeWarning)
        np.testing.assert_allclose(fg.jit(fn)(x, y), ref(x, y), rtol=1e-15)
        gx, gy = fg.grad(lambda x, y: fnp.sum(fn(x, y)), argnums=(0, 1))(x, y)
    with np.errstate(over="ignore", invalid="ignore"):
        expected = _sigmoid((x - y) * scale)
    expected[np.isnan(expected)] = 0.5  # equal infinities: split evenly
    expected[x == y] = 0.5
    assert np.all(np.isfinite(gx)) and np.all(np.isfinite(gy))
    np.testing.assert_allclose(gx, expected, rtol=1e-12)
    np.testing.assert_allclose(gy, 1 - expected, rtol=1e-12)


def test_logaddexp_derivatives_match_finite_differences_to_second_order():
    x, y = np.array([0.3, -1.0, 4.0]), np.array([0.1, 2.0, -4.0])
    check_grads(fnp.logaddexp, (x, y), order=2)
    check_grads(fnp.logaddexp2, (x, y), order=2)


def test_logaddexp_broadcasts_and_keeps_float32():
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    out = fg.jit(fnp.logaddexp)(x, 0.5)
    assert out.dtype == np.float32 and out.shape == (2, 3)
    np.testing.assert_allclose(out, np.logaddexp(x, np.float32(0.5)), rtol=1e-6)
    g = fg.grad(lambda x: fnp.sum(fnp.logaddexp(x, np.zeros(3, np.float32))))(x)
    assert g.dtype == np.float32


def test_logaddexp_second_derivative_at_a_tie():
    # d2/dx2 logaddexp(x, y) = s (1 - s) with s = sigmoid(x - y): 1/4 at a
    # tie; logaddexp2 has ln 2 times that.
    for fn, scale in ((fnp.logaddexp, 1.0), (fnp.logaddexp2, np.log(2))):
        second = fg.grad(fg.grad(lambda x, fn=fn: fn(x, 0.0)))(0.0)
        np.testing.assert_allclose(second, 0.25 * scale, rtol=1e-12)
