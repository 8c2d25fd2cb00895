"""Tests for `funcgrad.numpy.linalg` and `funcgrad.scipy.linalg`.

Values are compared with `numpy.linalg` and `scipy.linalg` (an oracle in
tests only), on the traced path as well as the eager one (under `jit`);
derivatives with float64 finite differences and, for the Hessian of
`logdet` and the conventions at degenerate points, with mathematics worked
out here. The primitives' own property tests live in `specs_linalg.py`.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
import scipy.linalg as sla

import funcgrad as fg
import funcgrad.numpy as fnp
import funcgrad.numpy.linalg as la
import funcgrad.scipy.linalg as fsla
from funcgrad.errors import ShapeError
from funcgrad.test_util import check_grads

RNG = np.random.default_rng(1234)


def _well_conditioned(*shape: int, rng: Any = RNG) -> np.ndarray:
    """Q diag(s) Q^T-like matrices: s in [1, 2], random orthogonal Q."""
    *batch, n, _ = shape
    q, _ = np.linalg.qr(rng.standard_normal((*batch, n, n)))
    s = rng.uniform(1.0, 2.0, (*batch, n))
    w, _ = np.linalg.qr(rng.standard_normal((*batch, n, n)))
    return (q * s[..., None, :]) @ np.swapaxes(w, -1, -2)


def _spd(*shape: int) -> np.ndarray:
    *batch, n, _ = shape
    q, _ = np.linalg.qr(RNG.standard_normal((*batch, n, n)))
    s = np.linspace(1.0, 3.0, n)
    return (q * s) @ np.swapaxes(q, -1, -2)


A = _well_conditioned(2, 3, 3)
SPD = _spd(2, 3, 3)
TALL = RNG.standard_normal((2, 4, 3))
B = RNG.standard_normal((2, 3, 2))


def _close(got: Any, want: Any, rtol: float = 1e-10) -> None:
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            _close(g, w, rtol)
        return
    assert isinstance(got, np.ndarray), type(got)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)


# --- values on the traced path: jit against numpy --------------------------------

VALUE_CASES = [
    ("inv", la.inv, np.linalg.inv, (A,)),
    ("solve", la.solve, np.linalg.solve, (A, B)),
    ("solve-vector", la.solve, np.linalg.solve, (A[0], B[0, :, 0])),
    ("solve-broadcast", la.solve, np.linalg.solve, (A, B[0])),
    ("det", la.det, np.linalg.det, (A,)),
    ("slogdet", la.slogdet, lambda a: tuple(np.linalg.slogdet(a)), (A,)),
    ("cholesky", la.cholesky, np.linalg.cholesky, (SPD,)),
    (
        "cholesky-upper",
        lambda a: la.cholesky(a, upper=True),
        lambda a: np.linalg.cholesky(a, upper=True),
        (SPD,),
    ),
    ("eigh", la.eigh, lambda a: tuple(np.linalg.eigh(a)), (SPD,)),
    (
        "eigh-upper",
        lambda a: la.eigh(a, "U"),
        lambda a: tuple(np.linalg.eigh(a, "U")),
        (SPD + np.triu(np.ones((3, 3)), 1),),
    ),
    ("eigvalsh", la.eigvalsh, np.linalg.eigvalsh, (SPD,)),
    ("qr", la.qr, lambda a: tuple(np.linalg.qr(a)), (TALL,)),
    ("qr-r", lambda a: la.qr(a, "r"), lambda a: np.linalg.qr(a, "r"), (TALL,)),
    (
        "qr-complete",
        lambda a: la.qr(a, "complete"),
        lambda a: tuple(np.linalg.qr(a, "complete")),
        (TALL,),
    ),
    (
        "svd",
        lambda a: la.svd(a, full_matrices=False),
        lambda a: tuple(np.linalg.svd(a, full_matrices=False)),
        (TALL,),
    ),
    ("svd-full", la.svd, lambda a: tuple(np.linalg.svd(a)), (TALL,)),
    ("svdvals", la.svdvals, np.linalg.svdvals, (np.swapaxes(TALL, -1, -2),)),
    ("pinv", la.pinv, np.linalg.pinv, (TALL,)),
    ("pinv-wide", la.pinv, np.linalg.pinv, (np.swapaxes(TALL, -1, -2),)),
    (
        "matrix_power",
        lambda a: la.matrix_power(a, 5),
        lambda a: np.linalg.matrix_power(a, 5),
        (A,),
    ),
    (
        "matrix_power-negative",
        lambda a: la.matrix_power(a, -2),
        lambda a: np.linalg.matrix_power(a, -2),
        (A,),
    ),
    (
        "matrix_power-zero",
        lambda a: la.matrix_power(a, 0),
        lambda a: np.linalg.matrix_power(a, 0),
        (A,),
    ),
]


@pytest.mark.parametrize(
    ("fun", "reference", "args"),
    [pytest.param(f, r, a, id=name) for name, f, r, a in VALUE_CASES],
)
def test_traced_values_match_numpy(fun: Any, reference: Any, args: tuple) -> None:
    want = reference(*args)

    _close(fun(*args), want)
    _close(fg.jit(fun)(*args), want)


def test_lstsq_matches_numpy_on_the_traced_path() -> None:
    a, b = TALL[0], RNG.standard_normal((4, 2))
    for rhs in (b, b[:, 0]):
        want = np.linalg.lstsq(a, rhs)

        got = fg.jit(la.lstsq)(a, rhs)

        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


def test_lstsq_of_a_wide_matrix_has_no_residuals() -> None:
    a, b = TALL[0].T, RNG.standard_normal(3)

    x, residuals, rank, _ = fg.jit(la.lstsq)(a, b)

    np.testing.assert_allclose(x, np.linalg.lstsq(a, b)[0], rtol=1e-10)
    assert residuals.shape == (0,) and int(rank) == 3


# --- norm -----------------------------------------------------------------------

X = RNG.standard_normal((2, 3, 4))
VECTOR_ORDERS = [None, 1, 2, np.inf, -np.inf, 0, 3, 0.5, -1]
MATRIX_ORDERS = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]


def test_norm_matches_numpy_for_every_order_axis_and_keepdims() -> None:
    def all_norms(x: Any) -> list[Any]:
        out = [la.norm(x), la.norm(x[0, 0]), la.norm(x[0], 2), la.norm(x[0], "nuc")]
        for keepdims in (False, True):
            for ord in VECTOR_ORDERS:
                out.append(la.norm(x, ord, axis=1, keepdims=keepdims))
            for ord in MATRIX_ORDERS:
                out.append(la.norm(x, ord, axis=(2, 0), keepdims=keepdims))
        return out

    want = all_norms(X)

    got = fg.jit(all_norms)(X)

    assert len(got) == len(want)
    for g, w in zip(got, want):
        _close(g, w)


@pytest.mark.parametrize("ord", [None, 1, 2, np.inf, -np.inf, 3, 0.5])
def test_vector_norm_gradients_match_finite_differences(ord: Any) -> None:
    check_grads(lambda x: la.norm(x, ord, axis=-1), (X,), order=1)


@pytest.mark.parametrize("ord", MATRIX_ORDERS)
def test_matrix_norm_gradients_match_finite_differences(ord: Any) -> None:
    order = 2 if ord in (None, "fro", "nuc", 2, -2) else 1
    check_grads(lambda x: la.norm(x, ord, axis=(1, 2)), (X,), order=order)


@pytest.mark.parametrize("ord", [None, 2, 3])
def test_gradient_of_a_vector_norm_at_zero_is_zero(ord: Any) -> None:
    grad = fg.grad(lambda x: la.norm(x, ord))(np.zeros(3))

    np.testing.assert_array_equal(grad, np.zeros(3))


def test_gradient_of_the_frobenius_norm_at_zero_is_zero() -> None:
    grad = fg.grad(lambda x: la.norm(x, "fro"))(np.zeros((2, 2)))

    np.testing.assert_array_equal(grad, np.zeros((2, 2)))


def test_hessian_of_the_norm_away_from_zero() -> None:
    x = np.array([3.0, 0.0, 4.0])
    u = x / 5.0

    hessian = fg.hessian(la.norm)(x)

    np.testing.assert_allclose(hessian, (np.eye(3) - np.outer(u, u)) / 5.0)


# norm(x) ** 2 is the sum of squares itself (the front-end notes it on the
# traced norm), so its Hessian is 2I everywhere, 0 included, however it is
# squared and under every way of taking a Hessian.

SQUARINGS = [
    ("power-int", lambda n: n**2),
    ("power-float", lambda n: n**2.0),
    ("power-numpy-scalar", lambda n: n ** np.float64(2.0)),
    ("power-0d-array", lambda n: n ** np.asarray(2)),
    ("square", fnp.square),
    ("multiply-itself", lambda n: n * n),
    ("funcgrad.numpy.power", lambda n: fnp.power(n, 2)),
]

HESSIANS = [
    ("hessian", fg.hessian),
    ("jacfwd-jacrev", lambda f: fg.jacfwd(fg.jacrev(f))),
    ("jacrev-jacrev", lambda f: fg.jacrev(fg.jacrev(f))),
    ("jit-hessian", lambda f: fg.jit(fg.hessian(f))),
]


@pytest.mark.parametrize(
    "squaring", [pytest.param(s, id=name) for name, s in SQUARINGS]
)
@pytest.mark.parametrize("hess", [pytest.param(h, id=name) for name, h in HESSIANS])
def test_hessian_of_the_squared_norm_at_zero_is_twice_the_identity(
    squaring: Any, hess: Any
) -> None:
    hessian = hess(lambda x: squaring(la.norm(x)))(np.zeros(3))

    np.testing.assert_array_equal(hessian, 2 * np.eye(3))


def _squared_norms(xp: Any) -> list[tuple[str, Any]]:
    """Squares of 2-norms and Frobenius norms of a (2, 3, 2) array, written
    once for `funcgrad.numpy` and once for numpy (the reference)."""
    lin = xp.linalg
    return [
        ("vector", lambda x: lin.norm(x[0, 0]) ** 2),
        ("ord-2", lambda x: lin.norm(x[0, 0], 2) ** 2),
        ("all-axes", lambda x: lin.norm(x) ** 2),
        ("all-axes-keepdims", lambda x: xp.sum(lin.norm(x, keepdims=True) ** 2)),
        ("axis", lambda x: xp.sum(lin.norm(x, axis=-1) ** 2)),
        ("axis-keepdims", lambda x: xp.sum(lin.norm(x, axis=1, keepdims=True) ** 2)),
        ("frobenius", lambda x: xp.sum(lin.norm(x, "fro", axis=(1, 2)) ** 2)),
        (
            "frobenius-keepdims",
            lambda x: xp.sum(xp.square(lin.norm(x, axis=(2, 0), keepdims=True))),
        ),
        ("matrix_norm", lambda x: xp.sum(lin.matrix_norm(x) ** 2)),
        ("vector_norm", lambda x: xp.sum(lin.vector_norm(x, axis=(0, 2)) ** 2)),
        (
            "vector_norm-keepdims",
            lambda x: xp.sum(lin.vector_norm(x, axis=1, keepdims=True) ** 2),
        ),
    ]


def _sum_of_squares_hessian(reference: Any, shape: tuple) -> np.ndarray:
    """The Hessian of `reference`, a numpy sum of squares of some entries of
    its argument: 2 on the diagonal for each entry it reads (its value at
    a unit vector is 1 for those, 0 for the others), 0 elsewhere."""
    size = int(np.prod(shape))
    diagonal = [2.0 * reference(np.eye(size)[i].reshape(shape)) for i in range(size)]
    return np.diag(diagonal).reshape(shape + shape)


@pytest.mark.parametrize(
    ("fun", "reference"),
    [
        pytest.param(f, r, id=name)
        for (name, f), (_, r) in zip(_squared_norms(fnp), _squared_norms(np))
    ],
)
def test_hessian_of_squared_norms_of_stacks_at_zero(fun: Any, reference: Any) -> None:
    shape = (2, 3, 2)
    want = _sum_of_squares_hessian(reference, shape)

    hessian = fg.hessian(fun)(np.zeros(shape))
    rev_rev = fg.jacrev(fg.jacrev(fun))(np.zeros(shape))

    assert 1 < np.count_nonzero(want) and set(np.diag(want.reshape(12, 12))) <= {0, 2}
    np.testing.assert_array_equal(hessian, want)
    np.testing.assert_array_equal(rev_rev, want)


def test_vmap_of_the_hessian_of_the_squared_norm() -> None:
    x = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 0.5]])

    hessians = fg.vmap(fg.hessian(lambda v: la.norm(v) ** 2))(x)
    compiled = fg.jit(fg.vmap(fg.hessian(lambda v: fnp.square(la.norm(v)))))(x)

    np.testing.assert_array_equal(hessians, np.stack([2 * np.eye(3)] * 2))
    np.testing.assert_array_equal(compiled, hessians)


def _numeric_hessian(f: Any, x: np.ndarray, eps: float = 1e-4) -> np.ndarray:
    """Central second differences of the numpy function `f`."""
    flat, size = x.ravel(), x.size
    out = np.zeros((size, size))
    for i in range(size):
        for j in range(size):
            ei, ej = np.eye(size)[i] * eps, np.eye(size)[j] * eps
            total = 0.0
            for si, sj in [(1, 1), (1, -1), (-1, 1), (-1, -1)]:
                total += si * sj * f((flat + si * ei + sj * ej).reshape(x.shape))
            out[i, j] = total / (4 * eps**2)
    return out.reshape(x.shape + x.shape)


@pytest.mark.parametrize(
    ("fun", "reference"),
    [
        pytest.param(
            lambda x: fnp.sum(la.norm(x, axis=-1) ** 2),
            lambda x: np.sum(np.linalg.norm(x, axis=-1) ** 2),
            id="squared",
        ),
        pytest.param(
            lambda x: fnp.sum(la.norm(x, axis=-1) ** 3),
            lambda x: np.sum(np.linalg.norm(x, axis=-1) ** 3),
            id="cubed",
        ),
        pytest.param(
            lambda x: fnp.sum(la.norm(x, 1, axis=-1) ** 2),
            lambda x: np.sum(np.linalg.norm(x, 1, axis=-1) ** 2),
            id="1-norm-squared",
        ),
        pytest.param(
            lambda x: fnp.sum(fnp.square(la.norm(x, 3, axis=-1))),
            lambda x: np.sum(np.linalg.norm(x, 3, axis=-1) ** 2),
            id="3-norm-squared",
        ),
    ],
)
def test_hessian_of_powers_of_norms_away_from_zero(fun: Any, reference: Any) -> None:
    x = X[0, :2]

    hessian = fg.hessian(fun)(x)

    np.testing.assert_allclose(
        hessian, _numeric_hessian(reference, x), rtol=1e-5, atol=1e-6
    )
    check_grads(fun, (x,), order=2)


def test_squared_norm_values_and_dtypes_follow_numpy() -> None:
    x32 = X.astype(np.float32)

    def squares(x: Any) -> list[Any]:
        n = la.norm(x, axis=(0, 2), keepdims=True)
        return [n**2, n * n, fnp.square(n), n ** np.float64(2.0), n**2.0]

    got = fg.jit(squares)(x32)

    n = np.linalg.norm(x32, axis=(0, 2), keepdims=True)
    for g, want in zip(got, [n**2, n * n, np.square(n), n ** np.float64(2.0), n**2.0]):
        assert g.dtype == want.dtype and g.shape == want.shape
        np.testing.assert_allclose(g, want, rtol=1e-6)


def test_the_squared_norm_is_staged_as_the_sum_of_squares() -> None:
    program = str(fg.make_jaxpr(lambda x: la.norm(x) ** 2)(X))

    assert "sqrt" not in program and "reduce_sum" in program


@pytest.mark.xfail(
    strict=True,
    reason="only the traced norm itself knows the sum of squares it is the "
    "root of: a value computed from it is squared through the root, whose "
    "second derivative is infinite at 0 (0 * inf taken as 0).",
)
def test_hessian_of_a_scaled_norm_squared_at_zero_is_the_true_one() -> None:
    hessian = fg.hessian(lambda x: (2.0 * la.norm(x)) ** 2)(np.zeros(3))

    np.testing.assert_allclose(hessian, 8 * np.eye(3))


def test_norm_rejects_bad_orders_and_axes() -> None:
    x = fnp.ones(3)
    with pytest.raises(ValueError, match="invalid norm order 'fro' for vectors"):
        fg.jit(lambda v: la.norm(v, "fro"))(x)
    with pytest.raises(ValueError, match="invalid norm order 3 for matrices"):
        fg.jit(lambda m: la.norm(m, 3))(np.ones((2, 2)))
    with pytest.raises(ShapeError, match="one axis .* or two"):
        fg.jit(lambda m: la.norm(m, axis=(0, 1, 2)))(X)


# --- derivatives of the functions against finite differences ---------------------

GRAD_CASES = [
    ("inv", la.inv, (A,)),
    ("solve", la.solve, (A, B)),
    ("solve-vector", la.solve, (A[0], B[0, :, 0])),
    ("solve-broadcast", la.solve, (A, B[0])),
    ("det", la.det, (A,)),
    ("logdet", lambda a: la.slogdet(a)[1], (A,)),
    ("cholesky", la.cholesky, (SPD,)),
    ("cholesky-upper", lambda a: la.cholesky(a, upper=True), (SPD,)),
    ("eigh-values", lambda a: la.eigh(a, "U")[0], (SPD,)),
    ("qr", lambda a: la.qr(a)[1], (TALL,)),
    ("svdvals", la.svdvals, (np.swapaxes(TALL, -1, -2),)),
    ("pinv", la.pinv, (TALL[0],)),
    ("pinv-wide", la.pinv, (TALL[0].T,)),
    ("lstsq", lambda a, b: la.lstsq(a, b)[0], (TALL[0], B[0, :, 0].repeat(2)[:4])),
    ("matrix_power", lambda a: la.matrix_power(a, 3), (A,)),
    ("matrix_power-negative", lambda a: la.matrix_power(a, -2), (A,)),
]


@pytest.mark.parametrize(
    ("fun", "args"), [pytest.param(f, a, id=name) for name, f, a in GRAD_CASES]
)
def test_derivatives_match_finite_differences(fun: Any, args: tuple) -> None:
    check_grads(fun, args, order=2, modes=("fwd", "rev"))


def test_hessian_of_logdet_matches_the_formula() -> None:
    # d2 logdet / dA_ij dA_kl = -inv(A)_jk inv(A)_li.
    a = A[0]
    inv_a = np.linalg.inv(a)
    want = -np.einsum("jk,li->ijkl", inv_a, inv_a)

    hessian = fg.hessian(lambda m: la.slogdet(m)[1])(a)

    np.testing.assert_allclose(hessian, want, rtol=1e-10, atol=1e-12)


def test_hessian_of_an_inverse_based_loss_matches_finite_differences() -> None:
    a, y = A[0], B[0, :, 0]

    def loss(m: Any) -> Any:
        return fnp.sum(fnp.matmul(la.inv(m), y) ** 2)

    check_grads(loss, (a,), order=2)
    grad = fg.grad(loss)(a)
    eps = 1e-6
    numeric = np.zeros((3, 3, 3, 3))
    for i in range(3):
        for j in range(3):
            step = np.zeros((3, 3))
            step[i, j] = eps
            numeric[i, j] = (fg.grad(loss)(a + step) - fg.grad(loss)(a - step)) / (
                2 * eps
            )
    np.testing.assert_allclose(fg.hessian(loss)(a), numeric, rtol=1e-5, atol=1e-7)
    assert grad.shape == (3, 3)


def test_eigenvectors_and_singular_vectors_have_correct_derivatives() -> None:
    # Sign-free products of the vectors, at distinct eigen/singular values.
    def eigenvectors(a: Any) -> Any:
        v = la.eigh(a)[1]
        return v * v[..., :1, :]

    def singular_vectors(a: Any) -> Any:
        u, _, vt = la.svd(a, full_matrices=False)
        return fnp.concatenate([u * u[..., :1, :], vt.T * vt.T[..., :1, :]], axis=0)

    check_grads(eigenvectors, (SPD,), order=2)
    for m, n in ((4, 3), (3, 4), (3, 3)):
        u, _ = np.linalg.qr(RNG.standard_normal((m, m)))
        v, _ = np.linalg.qr(RNG.standard_normal((n, n)))
        a = (u[:, :3] * [3.0, 2.0, 1.0]) @ v[:, :3].T
        check_grads(singular_vectors, (a,), order=2)


# --- conventions at degenerate points -------------------------------------------


def test_eigh_at_repeated_eigenvalues_is_exact_or_nan() -> None:
    # eigh(I + t D) has eigenvalues 1 + t d, ascending for d = (1, 2, 3), and
    # eigenvectors e_i for every t: exact derivatives along that path.
    d = np.diag([1.0, 2.0, 3.0])

    _, (w_dot, v_dot) = fg.jvp(la.eigh, (np.eye(3),), (d,))

    np.testing.assert_allclose(w_dot, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(v_dot, np.zeros((3, 3)))
    # functions of the eigenvalues alone: exact gradients at the tie
    grad = fg.grad(lambda a: fnp.sum(la.eigh(a)[0] ** 3))(np.eye(3))
    np.testing.assert_allclose(grad, 3 * np.eye(3), atol=1e-12)
    # the eigenvectors at a tie have no derivative: NaN, not a finite guess
    c = np.array([1.0, 2.0, 3.0])
    grad = fg.grad(lambda a: fnp.sum(la.eigh(a)[1][:, 0] * c))(np.eye(3))
    assert np.isnan(grad).any()
    # nor has the Hessian of a function of the eigenvalues there (its true
    # value, 2I for sum(s**2), needs the limit): NaN, as in JAX
    h = fg.hessian(lambda a: fnp.sum(la.svd(a, compute_uv=False) ** 2))(np.eye(2))
    assert np.isnan(h).any()


def test_nuclear_norm_gradient_at_repeated_singular_values() -> None:
    # Every singular value of an orthogonal Q is 1; the gradient is U V^T = Q.
    q, _ = np.linalg.qr(RNG.standard_normal((3, 3)))

    grad = fg.grad(lambda a: la.norm(a, "nuc"))(q)

    np.testing.assert_allclose(grad, q, atol=1e-12)


def test_pinv_derivative_at_repeated_singular_values() -> None:
    q, _ = np.linalg.qr(RNG.standard_normal((3, 3)))

    check_grads(la.pinv, (q,), order=2)


def test_eigh_and_cholesky_read_only_one_triangle() -> None:
    # numpy reads the lower triangle; a tangent of the upper one does nothing.
    upper = np.triu(np.ones((3, 3)), 1)

    _, (w_dot, v_dot) = fg.jvp(la.eigh, (SPD[0],), (upper,))
    _, l_dot = fg.jvp(la.cholesky, (SPD[0],), (upper,))

    assert not np.any(w_dot) and not np.any(v_dot) and not np.any(l_dot)


# --- stacks, vmap and jit ---------------------------------------------------------


def test_vmap_matches_a_loop() -> None:
    def f(a: Any, b: Any) -> Any:
        w = la.eigvalsh(fnp.matmul(a, a.T))
        x = la.solve(a, b)
        return fnp.concatenate(
            [w, x, la.svdvals(a), fnp.stack([la.det(a), la.norm(a, 2)])]
        )

    def reference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        parts = [np.linalg.eigvalsh(a @ a.T), np.linalg.solve(a, b)]
        parts += [np.linalg.svd(a, compute_uv=False)]
        parts += [np.array([np.linalg.det(a), np.linalg.norm(a, 2)])]
        return np.concatenate(parts)

    bs = B[:, :, 0]
    want = np.stack([reference(a, b) for a, b in zip(A, bs)])

    np.testing.assert_allclose(fg.vmap(f)(A, bs), want, rtol=1e-10)
    np.testing.assert_allclose(
        fg.vmap(f, in_axes=(None, 0))(A[0], bs),
        np.stack([reference(A[0], b) for b in bs]),
        rtol=1e-10,
    )


def test_gradients_of_stacks_match_a_loop() -> None:
    def loss(a: Any) -> Any:
        return fnp.sum(la.slogdet(a)[1]) + fnp.sum(la.inv(a) ** 2)

    grad = fg.jit(fg.grad(loss))(A)

    for i in range(len(A)):
        np.testing.assert_allclose(grad[i], fg.grad(loss)(A[i]), rtol=1e-10)


def test_jacobians_under_vmap_match_finite_differences() -> None:
    def f(a: Any) -> Any:
        return la.cholesky(a)[..., -1, :]

    jac = fg.vmap(fg.jacrev(f))(SPD)
    jac_fwd = fg.jacfwd(f)(SPD[1])

    for i in range(len(SPD)):
        eps, numeric = 1e-6, np.zeros((3, 3, 3))
        for j in range(3):
            for k in range(3):
                step = np.zeros((3, 3))
                step[j, k] = eps
                diff = np.linalg.cholesky(SPD[i] + step) - np.linalg.cholesky(
                    SPD[i] - step
                )
                numeric[:, j, k] = diff[-1] / (2 * eps)
        np.testing.assert_allclose(jac[i], numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(jac_fwd, jac[1], rtol=1e-10, atol=1e-12)


def test_float32_stays_float32() -> None:
    a = A[0].astype(np.float32)

    out = fg.jit(la.inv)(a)
    grad = fg.grad(lambda m: la.slogdet(m)[1])(a)

    assert out.dtype == np.float32 and grad.dtype == np.float32
    np.testing.assert_allclose(grad, np.linalg.inv(A[0]).T, rtol=1e-4)


def test_integer_matrices_are_computed_in_float64() -> None:
    a = np.array([[2, 1], [1, 3]])

    got = fg.jit(la.inv)(a)

    assert got.dtype == np.float64
    np.testing.assert_allclose(got, np.linalg.inv(a))


# --- scipy.linalg ---------------------------------------------------------------


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("trans", [0, 1, "T"])
@pytest.mark.parametrize("unit_diagonal", [False, True])
def test_solve_triangular_matches_scipy(
    lower: bool, trans: Any, unit_diagonal: bool
) -> None:
    a, b = A[0], B[0]

    def f(m: Any, rhs: Any) -> Any:
        return fsla.solve_triangular(m, rhs, trans, lower, unit_diagonal)

    want = sla.solve_triangular(a, b, trans, lower, unit_diagonal)

    np.testing.assert_allclose(f(a, b), want, rtol=1e-10)
    np.testing.assert_allclose(f(a, b[:, 0]), want[:, 0], rtol=1e-10)
    check_grads(f, (a, b), order=2)


def test_solve_triangular_on_stacks() -> None:
    # a stack of right-hand sides is a stack of (n, 1) matrices, as in scipy
    got = fg.jit(lambda a, b: fsla.solve_triangular(a, b, lower=True))(A, B[:, :, :1])

    for i in range(len(A)):
        want = sla.solve_triangular(A[i], B[i, :, 0], lower=True)
        np.testing.assert_allclose(got[i, :, 0], want, rtol=1e-10)


@pytest.mark.parametrize("lower", [True, False])
def test_cho_factor_and_cho_solve_match_scipy(lower: bool) -> None:
    a, b = SPD[0], B[0]
    want = sla.cho_solve(sla.cho_factor(a, lower=lower), b)

    def f(m: Any, rhs: Any) -> Any:
        return fsla.cho_solve(fsla.cho_factor(m, lower=lower), rhs)

    np.testing.assert_allclose(f(a, b), want, rtol=1e-10)
    np.testing.assert_allclose(fg.jit(f)(SPD, B)[0], want, rtol=1e-10)
    np.testing.assert_allclose(
        fsla.cholesky(a, lower=lower), sla.cholesky(a, lower=lower), rtol=1e-12
    )
    check_grads(lambda m: f(m + m.T, b), (a / 2,), order=2)


def test_cho_solve_derivative_in_the_factor() -> None:
    c = np.linalg.cholesky(SPD[0])

    check_grads(lambda m, rhs: fsla.cho_solve((m, True), rhs), (c, B[0]), order=2)


# --- errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "fun", [la.inv, la.det, la.slogdet, la.cholesky, la.eigh, la.matrix_power]
)
def test_non_square_input_is_a_clear_error(fun: Any) -> None:
    name = getattr(fun, "__name__", "")

    def call(a: Any) -> Any:
        return fun(a, 2) if fun is la.matrix_power else fun(a)

    for run in (call, fg.jit(call)):
        with pytest.raises(ShapeError, match=rf"linalg\.{name}.*\(2, 3\)"):
            run(np.ones((2, 3)))


def test_solve_with_mismatched_shapes_is_a_clear_error() -> None:
    with pytest.raises(ShapeError, match=r"b of shape \(4,\) does not fit a of shape"):
        la.solve(np.eye(3), np.ones(4))
    with pytest.raises(ShapeError, match="stack"):
        fg.jit(la.solve)(np.ones((2, 3, 3)), np.ones((4, 3, 1)))
    with pytest.raises(ShapeError, match="solve_triangular"):
        fsla.solve_triangular(np.ones((2, 3)), np.ones(3))


def test_singular_matrices_raise_like_numpy() -> None:
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])

    for run in (la.inv, fg.jit(la.inv), fg.grad(lambda a: fnp.sum(la.inv(a)))):
        with pytest.raises(np.linalg.LinAlgError):
            run(singular)
    with pytest.raises(np.linalg.LinAlgError):
        fg.jit(la.solve)(singular, np.ones(2))
    assert float(fg.jit(la.det)(singular)) == 0.0
    with pytest.raises(np.linalg.LinAlgError):
        fg.jit(la.cholesky)(-np.eye(2))


def test_derivatives_that_do_not_exist_raise_not_implemented() -> None:
    with pytest.raises(NotImplementedError, match="`qr` jvp"):
        fg.grad(lambda a: fnp.sum(la.qr(a)[0]))(np.ones((2, 3)))
    with pytest.raises(NotImplementedError, match="full_matrices=False"):
        fg.grad(lambda a: fnp.sum(la.svd(a)[0]))(TALL[0])


def test_lstsq_needs_a_single_matrix() -> None:
    with pytest.raises(ShapeError, match="use `funcgrad.vmap` for stacks"):
        la.lstsq(np.ones((2, 3, 3)), np.ones((2, 3)))


def test_lstsq_of_a_rank_deficient_matrix() -> None:
    # The minimum-norm solution, as numpy; traced, the residuals are given
    # even though the rank is deficient (numpy returns an empty array).
    a, b = np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]]), np.array([1.0, 2.0, 3.0])
    want_x, want_res, want_rank, want_s = np.linalg.lstsq(a, b)

    x, residuals, rank, s = fg.jit(la.lstsq)(a, b)

    np.testing.assert_allclose(x, want_x, rtol=1e-12)
    assert want_res.shape == (0,) and int(rank) == int(want_rank) == 1
    np.testing.assert_allclose(residuals, [np.sum((b - a @ want_x) ** 2)])
    np.testing.assert_allclose(s, want_s, atol=1e-12)


def test_vmap_of_pinv_qr_and_cho_solve_matches_a_loop() -> None:
    def f(a: Any, b: Any) -> Any:
        q, r = la.qr(a)
        spd = fnp.matmul(a.T, a)
        x = fsla.cho_solve(fsla.cho_factor(spd), b)
        return fnp.concatenate(
            [la.pinv(a).ravel(), (q * fnp.sum(r * np.eye(3), axis=0)).ravel(), x]
        )

    def reference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        q, r = np.linalg.qr(a)
        x = sla.cho_solve(sla.cho_factor(a.T @ a), b)
        parts = [np.linalg.pinv(a).ravel(), (q * np.diagonal(r)).ravel(), x]
        return np.concatenate(parts)

    bs = B[:, :, 0]
    want = np.stack([reference(a, b) for a, b in zip(TALL, bs)])

    np.testing.assert_allclose(fg.vmap(f)(TALL, bs), want, rtol=1e-9)


def test_matrix_power_keeps_integer_dtypes_like_numpy() -> None:
    a = np.array([[1, 2], [3, 4]])

    for n in (0, 3):
        got = fg.jit(lambda m, n=n: la.matrix_power(m, n))(a)
        want = np.linalg.matrix_power(a, n)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_results_carry_numpys_field_names() -> None:
    def f(a: Any) -> Any:
        return la.eigh(a), la.slogdet(a), la.qr(a), la.svd(a)

    for eager, traced in zip(f(SPD[0]), fg.jit(f)(SPD[0])):
        want = {
            "EighResult": ("eigenvalues", "eigenvectors"),
            "SlogdetResult": ("sign", "logabsdet"),
            "QRResult": ("Q", "R"),
            "SVDResult": ("U", "S", "Vh"),
        }[type(eager).__name__]
        assert eager._fields == traced._fields == want
        for field in want:
            np.testing.assert_allclose(
                getattr(traced, field), getattr(eager, field), rtol=1e-10
            )


# --- det at singular matrices: the cofactor matrix --------------------------------


def _permutation_sign(p: tuple[int, ...]) -> int:
    sign, p = 1, list(p)
    for i in range(len(p)):
        while p[i] != i:
            j = p[i]
            p[i], p[j] = p[j], p[i]
            sign = -sign
    return sign


def _leibniz_derivatives(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The gradient and Hessian of det at `a` from the Leibniz formula
    det = sum_p sign(p) prod_r a[r, p(r)]: each term's derivative in
    a[i, p(i)] (and a[k, p(k)]) is the product of its other factors. The
    gradient is the cofactor matrix, the Hessian's entries are the signed
    minors of order n - 2 (0 where i == k or j == l)."""
    n = len(a)
    grad, hessian = np.zeros((n, n)), np.zeros((n, n, n, n))
    for p in itertools.permutations(range(n)):
        sign = _permutation_sign(p)
        for i in range(n):
            rest = [a[r, p[r]] for r in range(n) if r != i]
            grad[i, p[i]] += sign * np.prod(rest)
            for k in range(n):
                if k != i:
                    rest = [a[r, p[r]] for r in range(n) if r not in (i, k)]
                    hessian[i, p[i], k, p[k]] += sign * np.prod(rest)
    return grad, hessian


def _with_singular_values(*s: float, seed: int) -> np.ndarray:
    """U diag(s) V^T with random orthogonal U and V."""
    rng = np.random.default_rng(seed)
    u, _ = np.linalg.qr(rng.standard_normal((len(s), len(s))))
    v, _ = np.linalg.qr(rng.standard_normal((len(s), len(s))))
    return (u * np.array(s)) @ v.T


SINGULAR = {
    "rank-1-2x2": np.array([[1.0, 2.0], [2.0, 4.0]]),
    "zero-2x2": np.zeros((2, 2)),
    "rank-2-3x3": _with_singular_values(3.0, 0.5, 0.0, seed=7),
    "rank-1-3x3": np.outer([1.0, -2.0, 3.0], [0.5, 4.0, -1.0]),
    "zero-3x3": np.zeros((3, 3)),
    "rank-3-4x4": _with_singular_values(2.0, 1.5, 1.5, 0.0, seed=8),
}


def test_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix() -> None:
    a = np.array([[1.0, 2.0], [2.0, 4.0]])

    grad = fg.grad(la.det)(a)

    # cofactor of [[a, b], [c, d]] is [[d, -c], [-b, a]]
    np.testing.assert_allclose(grad, [[4.0, -2.0], [-2.0, 1.0]], atol=1e-14)


@pytest.mark.parametrize("name", list(SINGULAR))
def test_det_derivatives_at_singular_matrices_match_the_leibniz_formula(
    name: str,
) -> None:
    a = SINGULAR[name]
    want_grad, want_hessian = _leibniz_derivatives(a)
    assert abs(np.linalg.det(a)) < 1e-12

    grad = fg.grad(la.det)(a)
    hessians = [
        fg.hessian(la.det)(a),
        fg.jacrev(fg.jacrev(la.det))(a),
        fg.jit(fg.hessian(la.det))(a),
    ]

    np.testing.assert_allclose(grad, want_grad, atol=1e-12)
    for hessian in hessians:
        np.testing.assert_allclose(hessian, want_hessian, atol=1e-12)


def test_det_derivatives_of_the_zero_matrix() -> None:
    # Every minor of order 1 or 2 of the zero 3x3 matrix is 0; of the zero
    # 2x2 matrix, the cofactors (order 1) are 0 and det = ad - bc has the
    # constant Hessian d2/da dd = 1, d2/db dc = -1.
    two = np.zeros((2, 2, 2, 2))
    two[0, 0, 1, 1] = two[1, 1, 0, 0] = 1.0
    two[0, 1, 1, 0] = two[1, 0, 0, 1] = -1.0

    np.testing.assert_array_equal(fg.grad(la.det)(np.zeros((3, 3))), np.zeros((3, 3)))
    np.testing.assert_array_equal(fg.grad(la.det)(np.zeros((2, 2))), np.zeros((2, 2)))
    np.testing.assert_array_equal(
        fg.hessian(la.det)(np.zeros((3, 3))), np.zeros((3, 3, 3, 3))
    )
    np.testing.assert_array_equal(fg.hessian(la.det)(np.zeros((2, 2))), two)
    np.testing.assert_allclose(
        fg.hessian(la.det)(np.array([[1.0, 2.0], [2.0, 4.0]])), two, atol=1e-14
    )


def test_det_derivatives_of_stacks_with_singular_and_regular_matrices() -> None:
    stack = np.stack([SINGULAR["rank-2-3x3"], np.zeros((3, 3)), A[0]])
    want = [_leibniz_derivatives(m) for m in stack]

    grad = fg.grad(lambda m: fnp.sum(la.det(m)))(stack)
    hessians = fg.vmap(fg.hessian(la.det))(stack)
    compiled = fg.jit(fg.vmap(fg.jacrev(fg.jacrev(la.det))))(stack)

    want_hessians = np.stack([hessian for _, hessian in want])
    np.testing.assert_allclose(grad, np.stack([g for g, _ in want]), atol=1e-12)
    np.testing.assert_allclose(hessians, want_hessians, atol=1e-12)
    np.testing.assert_allclose(compiled, want_hessians, atol=1e-12)


def test_det_derivatives_at_regular_matrices_match_the_inverse_formulas() -> None:
    # grad det = det(A) inv(A)^T and d2 det / dA_ij dA_kl =
    # det(A) (inv_ji inv_lk - inv_li inv_jk), also at the identity, whose
    # singular values all tie; finite differences of numpy's det as well.
    for a in (A[0], A[1], np.eye(3), np.diag([2.0, 2.0, -1.0])):
        inv_a = np.linalg.inv(a)
        d = np.linalg.det(a)
        want_hessian = d * (
            np.einsum("ji,lk->ijkl", inv_a, inv_a)
            - np.einsum("li,jk->ijkl", inv_a, inv_a)
        )

        np.testing.assert_allclose(
            fg.grad(la.det)(a), d * inv_a.T, rtol=1e-12, atol=1e-14
        )
        np.testing.assert_allclose(
            fg.hessian(la.det)(a), want_hessian, rtol=1e-10, atol=1e-13
        )
    np.testing.assert_allclose(
        fg.hessian(la.det)(A[0]),
        _numeric_hessian(np.linalg.det, A[0]),
        rtol=1e-5,
        atol=1e-6,
    )
    np.testing.assert_allclose(
        fg.vmap(fg.grad(la.det))(A),
        np.linalg.det(A)[:, None, None] * np.swapaxes(np.linalg.inv(A), -1, -2),
        rtol=1e-12,
    )


def test_det_derivatives_of_1x1_and_float32_matrices() -> None:
    a32 = A[0].astype(np.float32)

    grad32 = fg.grad(la.det)(a32)

    np.testing.assert_array_equal(fg.grad(la.det)(np.array([[-3.0]])), [[1.0]])
    np.testing.assert_array_equal(
        fg.hessian(la.det)(np.array([[-3.0]])), np.zeros((1, 1, 1, 1))
    )
    assert grad32.dtype == np.float32
    np.testing.assert_allclose(
        grad32, np.linalg.det(A[0]) * np.linalg.inv(A[0]).T, rtol=1e-4
    )


def test_logdet_gradient_at_a_singular_matrix_still_raises() -> None:
    # log|det| has no derivative where det is 0; the documented behaviour
    # (slogdet's docstring) is the solve's LinAlgError, unchanged by det.
    with pytest.raises(np.linalg.LinAlgError):
        fg.grad(lambda m: la.slogdet(m)[1])(np.array([[1.0, 2.0], [2.0, 4.0]]))


# --- numpy 2's further names: vector_norm, matrix_norm, matrix_rank, cond,
# multi_dot ------------------------------------------------------------------------


def test_vector_and_matrix_norms_match_numpy() -> None:
    def norms(x: Any) -> list[Any]:
        out = [la.vector_norm(x), la.vector_norm(x, axis=(0, 2), keepdims=True)]
        out += [la.vector_norm(x, axis=1, ord=ord) for ord in (1, np.inf, 3)]
        out += [la.matrix_norm(x, ord=ord) for ord in ("fro", "nuc", 2, -np.inf)]
        out += [la.matrix_norm(x, keepdims=True)]
        return out

    want = [
        np.linalg.vector_norm(X),
        np.linalg.vector_norm(X, axis=(0, 2), keepdims=True),
    ]
    want += [np.linalg.vector_norm(X, axis=1, ord=ord) for ord in (1, np.inf, 3)]
    want += [np.linalg.matrix_norm(X, ord=ord) for ord in ("fro", "nuc", 2, -np.inf)]
    want += [np.linalg.matrix_norm(X, keepdims=True)]

    for got in (norms(X), fg.jit(norms)(X)):
        for g, w in zip(got, want, strict=True):
            _close(g, w)
    check_grads(lambda x: la.vector_norm(x, axis=(0, 2)), (X,), order=2)
    np.testing.assert_array_equal(fg.grad(la.vector_norm)(np.zeros(3)), np.zeros(3))


def test_matrix_rank_matches_numpy() -> None:
    deficient = np.array([[[1.0, 2.0], [2.0, 4.0]], [[1.0, 0.0], [0.0, 1.0]]])

    for a in (deficient, TALL, np.ones(3), np.zeros(3)):
        want = np.linalg.matrix_rank(a)
        got = fg.jit(la.matrix_rank)(a)
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(
        fg.jit(lambda a: la.matrix_rank(a, tol=0.5))(np.diag([1.0, 0.25])), 1
    )


@pytest.mark.parametrize("p", [None, 2, -2, 1, -1, "fro", "nuc", np.inf])
def test_cond_matches_numpy_and_finite_differences(p: Any) -> None:
    got = fg.jit(lambda a: la.cond(a, p))(A)

    np.testing.assert_allclose(got, np.linalg.cond(A, p), rtol=1e-10)
    check_grads(lambda a: la.cond(a, p), (A[0],), order=1)


def test_multi_dot_matches_numpy_and_picks_numpys_order() -> None:
    a, b, c = (
        RNG.standard_normal((5, 2)),
        RNG.standard_normal((2, 6)),
        RNG.standard_normal(6),
    )
    row = RNG.standard_normal(5)

    for arrays in ([a, b], [a, b, c], [row, a, b, c]):
        # The staged program, evaluated without compiling it.
        (got,) = fg.make_jaxpr(lambda *xs: la.multi_dot(list(xs)))(*arrays)(*arrays)
        np.testing.assert_allclose(got, np.linalg.multi_dot(arrays), rtol=1e-12)
    # (a @ b) @ c costs 5*2*6 + 5*6 = 90; a @ (b @ c) costs 12 + 10 = 22.
    program = fg.make_jaxpr(lambda *xs: la.multi_dot(list(xs)))(a, b, c)
    first = next(e for e in program.eqns if e.primitive.name == "dot_general")
    assert [v.aval.shape for v in first.invars] == [(2, 6), (6, 1)]
    check_grads(lambda *xs: la.multi_dot(list(xs)), (a, b, c), order=2)


def test_solve_triangular_broadcasts_a_stack_against_one_right_hand_side() -> None:
    """As scipy: a 1-d `b` is a vector for every matrix of the stack, a 2-d
    `b` one (n, k) matrix for all of them."""
    rng = np.random.default_rng(3)
    a = np.tril(rng.random((5, 3, 3))) + 3 * np.eye(3)
    for b in (np.ones(3), np.ones((3, 2))):
        want = sla.solve_triangular(a, b, lower=True)
        got = fsla.solve_triangular(a, b, lower=True)
        np.testing.assert_allclose(got, want, rtol=1e-12)
        c = (a, True)
        np.testing.assert_allclose(
            fsla.cho_solve(c, b), sla.cho_solve(c, b), rtol=1e-12
        )
    with pytest.raises(ValueError):
        fsla.solve_triangular(a, np.ones((5, 3)), lower=True)
