"""vmap over pytrees and axes, and the Jacobians and Hessians built on it.

`vmap` is checked against a Python loop with `funcgrad.testing.check_vmap`.
"""

from __future__ import annotations

import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.core import typecheck_jaxpr
from funcgrad.testing import check_hessian_symmetric, check_vmap

RNG = np.random.default_rng(0)
A, B, W = RNG.normal(size=(4, 3)), RNG.normal(size=(3, 4)), RNG.normal(size=(3, 2))

CASES = [
    ("elementwise", lambda x, y: fnp.sin(x) * y + 1.0, (0, 0), (A, A)),
    ("broadcast-unmapped", lambda x, y: x * y, (0, None), (A, A[0])),
    ("axis-1", lambda x, y: x - y, (1, 0), (A, B)),
    ("matvec", lambda x, w: x @ w, (0, None), (A, W)),
    ("matmat-both", lambda x, y: fnp.outer(x, y), (0, 1), (A, B)),
    ("reduction", lambda x: fnp.max(x, axis=0, keepdims=True) - fnp.mean(x), 0, (A,)),
    ("argmax", lambda x: fnp.argmax(x), 1, (A,)),
    ("indexing", lambda x: x[::-1][1:, None] * 2.0, 0, (A,)),
    ("shape", lambda x: fnp.concatenate([x.reshape(3, 1).T, x[None]], axis=0), 0, (A,)),
    ("where", lambda x, y: fnp.where(x > y, x, y), (0, None), (A, A[1])),
    ("tensordot", lambda x, w: fnp.tensordot(x, w, axes=1), (1, None), (B, W)),
]


@pytest.mark.parametrize("name, f, in_axes, args", CASES, ids=[c[0] for c in CASES])
def test_vmap_matches_a_python_loop(name, f, in_axes, args):
    # Values, shapes and dtypes, against one call per batch member.
    check_vmap(f, args, in_axes)


def test_vmap_is_one_vectorised_program():
    program = fg.make_jaxpr(fg.vmap(lambda x, w: fnp.tanh(x @ w)))(
        np.ones((5, 3)), np.ones((5, 3, 2))
    )
    typecheck_jaxpr(program.jaxpr)
    names = [e.primitive.name for e in program.eqns]
    assert names.count("tanh") == 1 and names.count("dot_general") == 1


def test_vmap_pytrees_prefix_in_axes_and_out_axes():
    def f(p, x):
        return {"y": p["w"] * x, "s": fnp.sum(x)}

    p = {"w": np.arange(3.0)}
    xs = np.arange(12.0).reshape(4, 3)
    out = fg.vmap(f, in_axes=({"w": None}, 0), out_axes={"y": 1, "s": 0})(p, xs)
    np.testing.assert_allclose(out["y"], (p["w"] * xs).T)
    np.testing.assert_allclose(out["s"], xs.sum(1))


def test_nested_vmap_and_axis_size():
    x = np.arange(6.0).reshape(2, 3)
    y = np.arange(3.0)
    got = fg.vmap(fg.vmap(lambda a, b: a * b, in_axes=(0, None)), in_axes=(None, 0))(
        x[0], y
    )
    np.testing.assert_allclose(got, np.outer(y, x[0]))
    ones = fg.vmap(lambda: np.ones(2), in_axes=(), axis_size=3)()
    assert ones.shape == (3, 2)


def test_vmap_bad_input():
    with pytest.raises(ValueError, match="different sizes"):
        fg.vmap(lambda a, b: a + b)(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="axis_size"):
        fg.vmap(lambda a: a, in_axes=None)(np.ones(3))
    with pytest.raises(ValueError, match="2 entries"):
        fg.vmap(lambda a: a, in_axes=(0, 0))(np.ones(3))
    with pytest.raises(ValueError, match="axis 2"):
        fg.vmap(lambda a: a, in_axes=2)(np.ones((3, 2)))
    with pytest.raises(ValueError, match="cannot be None"):
        fg.vmap(lambda a: a, out_axes=None)(np.ones(3))


def test_per_example_gradients():
    w = RNG.normal(size=(3,))
    xs, ys = RNG.normal(size=(6, 3)), RNG.normal(size=6)

    def loss(w, x, y):
        return (fnp.tanh(x @ w) - y) ** 2

    check_vmap(fg.grad(loss), (w, xs, ys), (None, 0, 0))


# --- Jacobians ----------------------------------------------------------------


def test_jacobians_of_a_linear_map_are_its_matrix():
    M = RNG.normal(size=(3, 4))
    x = RNG.normal(size=4)
    np.testing.assert_allclose(fg.jacfwd(lambda v: M @ v)(x), M, rtol=1e-14)
    np.testing.assert_allclose(fg.jacrev(lambda v: M @ v)(x), M, rtol=1e-14)


def test_hessian_of_a_quadratic_form_is_exact():
    S = RNG.normal(size=(4, 4))
    A = S + S.T
    H = fg.hessian(lambda x: 0.5 * x @ A @ x + fnp.sum(x))(RNG.normal(size=4))
    np.testing.assert_array_equal(H, A)


def test_jacobian_shapes_follow_jax_conventions():
    def f(x, y):
        return {"a": fnp.sin(x)[:, None] * y, "b": fnp.sum(x)}

    x, y = RNG.normal(size=3), RNG.normal(size=(1, 2))
    jf = fg.jacfwd(f, argnums=(0, 1))(x, y)
    jr = fg.jacrev(f, argnums=(0, 1))(x, y)
    assert jf["a"][0].shape == (3, 2, 3) and jf["a"][1].shape == (3, 2, 1, 2)
    assert jf["b"][0].shape == (3,) and jf["b"][1].shape == (1, 2)
    for key in ("a", "b"):
        for i in range(2):
            np.testing.assert_allclose(jf[key][i], jr[key][i], rtol=1e-12)
    eps = 1e-6
    e = np.zeros(3)
    e[1] = eps
    column = (f(x + e, y)["a"] - f(x - e, y)["a"]) / (2 * eps)
    np.testing.assert_allclose(jf["a"][0][..., 1], column, rtol=1e-6)


def test_hessian_vector_product_as_jvp_of_grad():
    def f(x):
        return fnp.sum(fnp.exp(x) * x[::-1])

    x, v = RNG.normal(size=4), RNG.normal(size=4)
    hvp = fg.jvp(fg.grad(f), (x,), (v,))[1]
    np.testing.assert_allclose(hvp, fg.hessian(f)(x) @ v, rtol=1e-12)
    check_hessian_symmetric(f, (x,))


def test_jacobian_of_integer_input_is_refused():
    with pytest.raises(TypeError, match="jacfwd.*int64"):
        fg.jacfwd(lambda x: x * 1.0)(np.arange(3))
