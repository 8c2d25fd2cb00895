"""Complex numbers: derivatives in JAX's and autograd's convention, the
complex specs of the primitive table, and `funcgrad.numpy`'s complex
functions.

The convention, checked here with finite differences and with algebra: a
jvp is the derivative along a complex tangent `dz` (linear over the
reals); a vjp is its transpose for the real pairing `Re(sum(u * v))`,
without conjugation; so for a real `f(z)`, `z = x + iy`, `grad(f)(z) =
df/dx - i df/dy`, and with `holomorphic=True` `grad` gives `f'(z)`.

Every complex spec of `primitive_specs.SPECS` (`specs_complex.py`) has its
derivatives checked against central differences along a real and an
imaginary direction of each complex operand, forward mode directly and
reverse mode through the pairing, to second order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _complex_checks import check_complex_grads, check_doc_blocks
from hypothesis import given, settings
from hypothesis import strategies as st
from primitive_specs import C64, C128, SPECS, PrimitiveSpec
from specs_complex import REAL_ONLY, VARIANTS

import funcgrad as fg
import funcgrad.lax as lax
import funcgrad.numpy as fnp
import funcgrad.scipy.linalg as fsla
from funcgrad.core import typecheck_jaxpr

# --- the complex specs ---------------------------------------------------------------


def _complex_specs(dtype: np.dtype, keep: Callable[[PrimitiveSpec], bool]) -> list[Any]:
    return [pytest.param(s, id=s.name) for s in SPECS if dtype in s.dtypes and keep(s)]


def _of_inexact(
    spec: PrimitiveSpec, operands: Sequence[np.ndarray], params: dict
) -> Any:
    """`spec.fun` as a function of its floating and complex operands."""
    which = [i for i, x in enumerate(operands) if x.dtype.kind in "fc"]

    def f(*diff: Any) -> Any:
        full = list(operands)
        for i, x in zip(which, diff):
            full[i] = x
        return spec.fun(*full, **params)

    return f, [operands[i] for i in which]


@pytest.mark.parametrize("spec", _complex_specs(C128, lambda s: s.order >= 1))
@settings(max_examples=6)
@given(data=st.data())
def test_complex_derivatives_match_finite_differences(
    spec: PrimitiveSpec, data: Any
) -> None:
    operands, params = data.draw(spec.cases(C128), label="(operands, params)")
    f, primals = _of_inexact(spec, operands, params)
    options = dict(spec.grad_options)

    check_complex_grads(f, primals, min(spec.order, 2), spec.modes, **options)


@pytest.mark.parametrize("spec", _complex_specs(C64, lambda s: s.order >= 1))
@settings(max_examples=4)
@given(data=st.data())
def test_complex64_derivatives_stay_single_precision(
    spec: PrimitiveSpec, data: Any
) -> None:
    operands, params = data.draw(spec.cases(C64), label="(operands, params)")
    f, primals = _of_inexact(spec, operands, params)
    out_dtype = spec.expected_dtype(C64, params)
    tangents = tuple(np.full_like(x, 0.5) for x in primals)

    if "fwd" in spec.modes:
        out, out_dot = fg.jvp(f, tuple(primals), tangents)
        assert (out.dtype, out_dot.dtype) == (out_dtype, out_dtype)
    if "rev" in spec.modes:
        out, f_vjp = fg.vjp(f, *primals)
        cts = f_vjp(np.ones(out.shape, out_dtype))
        assert [c.dtype for c in cts] == [x.dtype for x in primals]


@pytest.mark.parametrize(
    "spec", _complex_specs(C128, lambda s: s.order >= 1 and "rev" in s.modes)
)
@settings(max_examples=3)
@given(data=st.data())
def test_complex_gradient_programs_typecheck(spec: PrimitiveSpec, data: Any) -> None:
    operands, params = data.draw(spec.cases(C128), label="(operands, params)")
    f, primals = _of_inexact(spec, operands, params)

    def loss(*xs: Any) -> Any:
        out = f(*xs)
        return fnp.sum(fnp.real(out) + 0.5 * fnp.imag(out))

    argnums = tuple(range(len(primals)))
    closed = fg.make_jaxpr(fg.grad(loss, argnums=argnums))(*primals)

    typecheck_jaxpr(closed.jaxpr)
    assert [a.dtype for a in closed.out_avals] == [x.dtype for x in primals]


def test_every_spec_has_a_complex_variant_or_a_reason() -> None:
    real_specs = {s.name for s in SPECS if not set(s.dtypes) & {C64, C128}}
    unsorted = real_specs - set(VARIANTS) - set(REAL_ONLY)
    both = set(VARIANTS) & set(REAL_ONLY)
    stale = (set(REAL_ONLY) | set(VARIANTS)) - real_specs

    assert not unsorted, f"specs neither varied for complex nor marked real: {unsorted}"
    assert not both, f"specs both varied and marked real: {both}"
    assert not stale, f"specs_complex.py names specs the table lacks: {stale}"


# --- the conventions, by algebra ---------------------------------------------------


def test_grad_of_a_real_function_is_the_conjugate_direction() -> None:
    # f = |z|^2 = x^2 + y^2: df/dx - i df/dy = 2x - 2iy = 2 conj(z)
    g = fg.grad(lambda z: fnp.abs(z) ** 2)(1 - 2j)

    assert g.dtype == np.complex128
    np.testing.assert_allclose(g, 2 + 4j)


def test_grad_of_the_real_part_of_a_holomorphic_function_is_its_derivative() -> None:
    # Re(z^2) = x^2 - y^2: df/dx - i df/dy = 2x + 2iy = 2z, the derivative of
    # z^2 (so `holomorphic=True` agrees with the real part's gradient)
    z = np.array([1 - 2j, 0.5 + 0.25j])
    g = fg.grad(lambda z: fnp.sum(fnp.real(z * z)))(z)

    np.testing.assert_allclose(g, 2 * z)


def test_grad_matches_differences_in_the_real_and_imaginary_directions() -> None:
    def f(z: Any) -> Any:
        return fnp.sum(fnp.abs(fnp.sin(z)) ** 2 * fnp.angle(z + 3))

    z = np.array([0.3 + 0.4j, -1.2 + 0.7j])
    g = fg.grad(f)(z)
    eps = 1e-6
    for k in range(2):
        e = np.zeros(2, complex)
        e[k] = 1
        dx = (f(z + eps * e) - f(z - eps * e)) / (2 * eps)
        dy = (f(z + 1j * eps * e) - f(z - 1j * eps * e)) / (2 * eps)
        np.testing.assert_allclose(g[k], dx - 1j * dy, rtol=1e-7)


@pytest.mark.parametrize(
    ("f", "derivative"),
    [
        (lambda z: z**3, lambda z: 3 * z**2),
        (fnp.sin, np.cos),
        (fnp.exp, np.exp),
        (lambda z: fnp.log(z) / z, lambda z: (1 - np.log(z)) / z**2),
        (
            lambda z: fnp.sqrt(z) * fnp.tanh(z),
            lambda z: np.tanh(z) / (2 * np.sqrt(z)) + np.sqrt(z) / np.cosh(z) ** 2,
        ),
    ],
)
def test_holomorphic_grad_is_the_complex_derivative(f: Any, derivative: Any) -> None:
    z = 0.7 - 0.4j

    np.testing.assert_allclose(fg.grad(f, holomorphic=True)(z), derivative(z))
    np.testing.assert_allclose(
        fg.value_and_grad(f, holomorphic=True)(z)[1], derivative(z)
    )


def test_grad_of_a_complex_output_says_what_to_do() -> None:
    with pytest.raises(TypeError, match="holomorphic=True"):
        fg.grad(lambda z: z * z)(1 + 1j)
    with pytest.raises(TypeError, match="complex inputs"):
        fg.grad(lambda z: z * z, holomorphic=True)(1.0)
    with pytest.raises(TypeError, match="complex scalar"):
        fg.grad(fnp.abs, holomorphic=True)(1 + 1j)


def test_vjp_is_the_plain_transpose_of_the_jvp() -> None:
    # f(z) = a z + b conj(z): jvp(v) = a v + b conj(v), vjp(u) = a u + conj(b u)
    a, b = 2 - 1j, 0.5 + 3j
    z = np.array([1 + 1j, -2 + 0.5j])
    u = np.array([0.3 - 1j, 1 + 2j])

    def f(z: Any) -> Any:
        return a * z + b * fnp.conj(z)

    (ct,) = fg.vjp(f, z)[1](u)

    np.testing.assert_allclose(ct, a * u + np.conj(b * u))


def test_a_real_input_gets_the_real_part_of_its_cotangent() -> None:
    c = 1 + 2j
    (ct,) = fg.vjp(lambda x: x * c, np.array([2.0]))[1](np.array([1 + 1j]))

    assert ct.dtype == np.float64
    np.testing.assert_allclose(ct, [np.real(c * (1 + 1j))])


def test_abs_at_zero_has_the_zero_subgradient() -> None:
    np.testing.assert_array_equal(fg.grad(fnp.abs)(0j), 0j)
    np.testing.assert_array_equal(fg.jvp(fnp.abs, (0j,), (1 + 1j,))[1], 0.0)
    np.testing.assert_array_equal(fg.jvp(fnp.sign, (0j,), (1 + 1j,))[1], 0j)


def test_angle_and_arctan2_at_the_origin_have_derivative_zero() -> None:
    np.testing.assert_array_equal(fg.grad(fnp.angle)(0j), 0j)
    np.testing.assert_array_equal(
        fg.hessian(lambda v: fnp.arctan2(v[0], v[1]))(np.zeros(2)), np.zeros((2, 2))
    )
    # elsewhere: d atan2(y, x) = (x dy - y dx) / (x^2 + y^2)
    g = fg.grad(lambda v: fnp.arctan2(v[0], v[1]))(np.array([2.0, 1.0]))
    np.testing.assert_allclose(g, [1 / 5, -2 / 5])


def test_abs_and_sign_derivatives_by_algebra() -> None:
    z = 3 + 4j
    # d|z| along v: Re(conj(z) v) / |z|; gradient conj(z) / |z|
    np.testing.assert_allclose(fg.jvp(fnp.abs, (z,), (1j,))[1], 4 / 5)
    np.testing.assert_allclose(fg.grad(fnp.abs)(z), (3 - 4j) / 5)
    # sign(z) = z / |z| along i z: a rotation, i sign(z)
    np.testing.assert_allclose(fg.jvp(fnp.sign, (z,), (1j * z,))[1], 1j * z / 5)
    # along z itself the sign does not change
    np.testing.assert_allclose(fg.jvp(fnp.sign, (z,), (z,))[1], 0, atol=1e-15)


def test_jacobians_follow_the_conventions() -> None:
    z = np.array([1 - 2j, 0.5 + 1j])

    def cube(z: Any) -> Any:
        return z**3

    def energy(z: Any) -> Any:
        return fnp.abs(z) ** 2

    want = np.diag(3 * z**2)
    np.testing.assert_allclose(fg.jacfwd(cube, holomorphic=True)(z), want)
    np.testing.assert_allclose(fg.jacrev(cube, holomorphic=True)(z), want)
    np.testing.assert_allclose(fg.jacrev(energy)(z), np.diag(2 * np.conj(z)))
    np.testing.assert_allclose(
        fg.hessian(lambda z: fnp.sum(z**3), holomorphic=True)(z), np.diag(6 * z)
    )
    # real input, complex output: forward mode needs no flag
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(
        fg.jacfwd(lambda x: x * (1 + 2j))(x), np.diag([1 + 2j] * 2)
    )


def test_jacobians_refuse_what_is_not_defined() -> None:
    z = np.array([1 - 2j, 0.5 + 1j])

    with pytest.raises(TypeError, match="holomorphic=True"):
        fg.jacfwd(fnp.abs)(z)
    with pytest.raises(TypeError, match="holomorphic=True"):
        fg.jacrev(lambda z: z * 2)(z)
    with pytest.raises(TypeError, match="holomorphic=True"):
        fg.hessian(lambda z: fnp.sum(fnp.abs(z) ** 2))(z)
    with pytest.raises(TypeError, match="complex inputs"):
        fg.jacfwd(lambda x: x * 1j, holomorphic=True)(np.ones(2))


def test_vmap_and_jit_of_complex_gradients() -> None:
    z = np.array([1 - 2j, 0.5 + 1j, -0.25 + 0.75j])

    def f(z: Any) -> Any:
        return fnp.abs(fnp.exp(z) - z) ** 2

    g = fg.grad(f)
    loop = np.stack([g(w) for w in z])

    np.testing.assert_allclose(fg.vmap(g)(z), loop)
    np.testing.assert_allclose(fg.jit(fg.vmap(g))(z), loop)
    np.testing.assert_allclose(fg.jit(fg.grad(lambda z: fnp.sum(f(z))))(z), loop)


def test_jvp_checks_complex_tangents() -> None:
    with pytest.raises(TypeError, match="dtype"):
        fg.jvp(lambda x: x * 2, (np.ones(2),), (np.ones(2) * 1j,))
    with pytest.raises(TypeError, match="dtype"):
        fg.jvp(lambda z: z * 2, (np.ones(2) * 1j,), (np.ones(2),))
    _, out_dot = fg.jvp(lambda x: x * 2, (1.0,), (1.0,))
    assert out_dot == 2.0


def test_control_flow_carries_complex_values() -> None:
    z = np.array([0.5 + 0.5j, -1 + 0.25j])

    def f(z: Any) -> Any:
        def step(c: Any, x: Any) -> tuple[Any, Any]:
            return c * x + fnp.sin(c), c

        final, _ = lax.scan(step, z, np.array([1.0 + 1j, 0.5 - 1j]))
        branch = lax.cond(True, lambda w: w * 2j, lambda w: w, final)
        return fnp.sum(fnp.abs(branch) ** 2)

    check_complex_grads(f, (z,), order=1)


# --- funcgrad.numpy's complex functions and promotion -----------------------------

COMPLEX_FUNCTIONS = frozenset(
    ["angle", "conj", "conjugate", "imag", "iscomplex", "isreal", "real"]
)


@pytest.mark.parametrize("name", sorted(COMPLEX_FUNCTIONS))
@pytest.mark.parametrize(
    "x",
    [
        np.array([1 - 2j, 0.0 + 1j, -3.0 + 0j]),
        np.array([1 - 2j, 0.5 + 1j], np.complex64),
        np.array([1.5, -2.0, 0.0]),
        np.array([1.5, -2.0], np.float32),
        np.array([1, -2, 0]),
    ],
    ids=["c128", "c64", "f64", "f32", "i64"],
)
def test_complex_functions_match_numpy(name: str, x: np.ndarray) -> None:
    ours, theirs = getattr(fnp, name), getattr(np, name)
    want = np.asarray(theirs(x))

    for got in (ours(x), fg.make_jaxpr(ours)(x)(x)[0]):
        assert isinstance(got, np.ndarray)
        assert got.dtype == want.dtype, (got.dtype, want.dtype)
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_complex_functions_under_jit() -> None:
    # one program for all of them, so that few kernels compile
    def parts(z: Any) -> list[Any]:
        return [getattr(fnp, name)(z) for name in sorted(COMPLEX_FUNCTIONS)]

    for x in (np.array([1 - 2j, 0.0 + 1j]), np.array([1.5, -2.0])):
        want = [getattr(np, name)(x) for name in sorted(COMPLEX_FUNCTIONS)]
        for got, w in zip(fg.jit(parts)(x), want):
            assert got.dtype == w.dtype
            np.testing.assert_allclose(got, w)


def test_angle_in_degrees_and_its_gradient() -> None:
    z = 3 + 4j
    np.testing.assert_allclose(fnp.angle(z, deg=True), np.angle(z, deg=True))
    np.testing.assert_allclose(
        fg.make_jaxpr(lambda z: fnp.angle(z, deg=True))(z)(z)[0], np.angle(z, deg=True)
    )
    # angle = atan2(y, x): d/dx = -y/|z|^2, d/dy = x/|z|^2
    np.testing.assert_allclose(fg.grad(fnp.angle)(z), (-4 - 3j) / 25)


def test_array_attributes_and_methods() -> None:
    z = np.array([1 - 2j, 0.5 + 1j])

    def f(z: Any) -> Any:
        return fnp.sum(z.real * z.imag + (z.conj() * z.conjugate()).real)

    # x y + (x^2 - y^2): df/dx - i df/dy = y + 2x - i (x - 2y)
    x, y = z.real, z.imag
    np.testing.assert_allclose(fg.grad(f)(z), y + 2 * x - 1j * (x - 2 * y))
    assert fg.make_jaxpr(lambda z: z.real)(z).out_avals[0].dtype == np.float64


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (np.float64, np.complex128),
        (np.float32, np.complex64),
        (np.float32, np.complex128),
        (np.float64, np.complex64),
        (np.int64, np.complex64),
    ],
)
def test_promotion_follows_numpy(a: Any, b: Any) -> None:
    x, z = np.ones(2, a), np.array([1 + 1j, 2 - 1j], b)

    def f(x: Any, z: Any) -> Any:
        return x * z, fnp.abs(z), fnp.real(x * z), z * 2.0, z * 1j

    want = [np.asarray(v) for v in (x * z, np.abs(z), np.real(x * z), z * 2.0, z * 1j)]
    for got in (fg.jit(f)(x, z), fg.make_jaxpr(f)(x, z)(x, z)):
        assert [g.dtype for g in got] == [w.dtype for w in want]


def test_reductions_and_products_of_complex_values() -> None:
    rng = np.random.default_rng(0)
    z = rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))
    w = rng.standard_normal(4) + 1j * rng.standard_normal(4)
    cases = {
        "var": (lambda z: fnp.var(z, axis=0), lambda z: np.var(z, axis=0)),
        "std": (lambda z: fnp.std(z), np.std),
        "norm": (lambda z: fnp.linalg.norm(z), np.linalg.norm),
        "norm-axis": (
            lambda z: fnp.linalg.norm(z, axis=1),
            lambda z: np.linalg.norm(z, axis=1),
        ),
        "vdot": (lambda z: fnp.vdot(z[0], w), lambda z: np.vdot(z[0], w)),
        "correlate": (
            lambda z: fnp.correlate(z[0], w[:2]),
            lambda z: np.correlate(z[0], w[:2]),
        ),
        "cov": (fnp.cov, np.cov),
        "inv": (
            lambda z: fnp.linalg.inv(z[:, :3] + 3 * np.eye(3)),
            lambda z: np.linalg.inv(z[:, :3] + 3 * np.eye(3)),
        ),
        "solve": (
            lambda z: fnp.linalg.solve(z[:, :3] + 3 * np.eye(3), w[:3]),
            lambda z: np.linalg.solve(z[:, :3] + 3 * np.eye(3), w[:3]),
        ),
    }
    for name, (ours, theirs) in cases.items():
        want = np.asarray(theirs(z))
        got = fg.make_jaxpr(ours)(z)(z)[0]
        assert got.dtype == want.dtype, name
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=name)

        def loss(z: Any, ours: Any = ours) -> Any:
            out = ours(z)
            return fnp.sum(fnp.real(out) - 0.3 * fnp.imag(out))

        check_complex_grads(loss, (z,), order=1)


def test_the_conventions_page_prints_what_it_shows() -> None:
    page = Path(__file__).resolve().parent.parent / "docs" / "conventions.md"
    text = page.read_text()
    section = text[text.index("## Complex numbers") :]
    section = section[: section.index("\n## ", 3)]

    assert check_doc_blocks(section) == 1


@pytest.mark.parametrize(
    "name",
    [
        "isfinite",
        "isinf",
        "isnan",
        "nan_to_num",
        "rint",
        "round",
        "sinc",
        "isclose",
        "interp",
    ],
)
def test_more_numpy_functions_take_complex_values(name: str) -> None:
    z = np.array([1.26 - 2.5j, np.inf + 1j, np.nan + 0.5j, 1e-3 + 1e-3j, -0.5 + 2j])
    finite = z[[0, 3, 4]]
    calls = {
        "isfinite": (lambda m, z: m.isfinite(z), z),
        "isinf": (lambda m, z: m.isinf(z), z),
        "isnan": (lambda m, z: m.isnan(z), z),
        "nan_to_num": (lambda m, z: m.nan_to_num(z), z),
        "rint": (lambda m, z: m.rint(z), finite),
        "round": (lambda m, z: m.round(z, 1), finite),
        "sinc": (lambda m, z: m.sinc(z), finite),
        "isclose": (lambda m, z: m.isclose(z, z + 1e-9j), finite),
        "interp": (
            lambda m, z: m.interp(np.array([0.5, 1.25]), np.arange(3.0), z[:3]),
            finite,
        ),
    }
    call, x = calls[name]
    want = np.asarray(call(np, x))

    got = fg.make_jaxpr(lambda x: call(fnp, x))(x)(x)[0]

    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_sinc_of_complex_values_is_differentiable() -> None:
    z = np.array([0.3 + 0.2j, 1e-3 - 2e-3j, 1.5 - 0.5j])

    check_complex_grads(fnp.sinc, (z,), order=2)


# --- linear algebra ----------------------------------------------------------------
# Values against numpy, traced (`make_jaxpr`) and compiled (`jit`);
# eigenvectors and singular vectors, unique only up to a phase each (a
# joint one per singular pair), through phase-free products; gradients of
# real losses against differences along the real and imaginary direction
# of every entry, `df/dx - i df/dy`.

LINALG_RNG = np.random.default_rng(2026)
la = fnp.linalg


def _complex_matrix(*shape: int, scale: float = 1.0) -> np.ndarray:
    parts = LINALG_RNG.standard_normal((2, *shape))
    return scale * (parts[0] + 1j * parts[1])


def _unitary(n: int) -> np.ndarray:
    return np.linalg.qr(_complex_matrix(n, n))[0]


def _conditioned(*shape: int, spread: tuple[float, float] = (1.0, 2.0)) -> np.ndarray:
    """`U diag(s) W^H` with `s` spread out in `spread`: well conditioned,
    distinct singular values."""
    *batch, m, n = shape
    k = min(m, n)
    u = np.linalg.qr(_complex_matrix(*batch, m, m))[0][..., :k]
    w = np.linalg.qr(_complex_matrix(*batch, n, n))[0][..., :k]
    s = np.linspace(*spread, k)
    return (u * s) @ np.conj(np.swapaxes(w, -1, -2))


def _hermitian(*shape: int) -> np.ndarray:
    """Positive definite, eigenvalues 1, 1.5, 2, ... (distinct)."""
    *batch, n, _ = shape
    q = np.linalg.qr(_complex_matrix(*batch, n, n))[0]
    w = np.linspace(1.0, 1.0 + 0.5 * (n - 1), n)
    return (q * w) @ np.conj(np.swapaxes(q, -1, -2))


CA = _conditioned(2, 3, 3)
CH = _hermitian(2, 3, 3)
CTALL = _conditioned(2, 4, 3)
CWIDE = _conditioned(2, 2, 4)
CB = _complex_matrix(2, 3, 2)


def _phase_free_eigh(m: Any, x: Any, uplo: str = "L") -> Any:
    w, v = m.linalg.eigh(x, uplo)
    return (
        w,
        v * m.conj(v[..., :1, :]),
        (v * w[..., None, :]) @ m.conj(m.swapaxes(v, -1, -2)),
    )


def _phase_free_svd(m: Any, x: Any) -> Any:
    u, s, vh = m.linalg.svd(x, full_matrices=False)
    return (
        s,
        u * m.conj(u[..., :1, :]),
        vh * m.conj(vh[..., :, :1]),
        u[..., :1, :] * m.swapaxes(vh[..., :, :1], -1, -2),
    )


COMPLEX_LINALG = {
    "det": (lambda m, a: m.linalg.det(a), CA),
    "slogdet": (lambda m, a: tuple(m.linalg.slogdet(a)), CA),
    "inv": (lambda m, a: m.linalg.inv(a), CA),
    "solve": (lambda m, a: m.linalg.solve(a, CB), CA),
    "matrix_power": (lambda m, a: m.linalg.matrix_power(a, -3), CA),
    "cholesky": (lambda m, a: m.linalg.cholesky(a), CH),
    "cholesky-upper": (lambda m, a: m.linalg.cholesky(a, upper=True), CH),
    "eigh": (_phase_free_eigh, CH),
    "eigh-upper": (lambda m, a: _phase_free_eigh(m, a, "U"), CH),
    "eigvalsh": (lambda m, a: m.linalg.eigvalsh(a), CH),
    "qr": (lambda m, a: tuple(m.linalg.qr(a)), CTALL),
    "qr-r": (lambda m, a: m.linalg.qr(a, mode="r"), CTALL),
    "svd": (_phase_free_svd, CTALL),
    "svd-wide": (_phase_free_svd, CWIDE),
    "svdvals": (lambda m, a: m.linalg.svd(a, compute_uv=False), CTALL),
    "pinv": (lambda m, a: m.linalg.pinv(a), CTALL),
    "lstsq": (lambda m, a: m.linalg.lstsq(a, CTALL[0, :, 0] + 1j)[:2], CTALL[1]),
    "norm-2": (lambda m, a: m.linalg.norm(a, 2, axis=(-2, -1)), CA),
    "norm--2": (lambda m, a: m.linalg.norm(a, -2, axis=(-2, -1)), CA),
    "norm-nuc": (lambda m, a: m.linalg.norm(a, "nuc", axis=(-2, -1)), CTALL),
    "cond": (lambda m, a: m.linalg.cond(a), CA),
    "cond-fro": (lambda m, a: m.linalg.cond(a, "fro"), CA),
    "matrix_rank": (lambda m, a: m.linalg.matrix_rank(a), CTALL),
}


def _leaves(x: Any) -> list[np.ndarray]:
    return [np.asarray(v) for v in (x if isinstance(x, tuple) else (x,))]


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("name", sorted(COMPLEX_LINALG))
def test_complex_linalg_matches_numpy(name: str, dtype: Any) -> None:
    call, a = COMPLEX_LINALG[name]
    a = a.astype(dtype)
    want = _leaves(call(np, a))
    tol = 1e-4 if dtype == np.complex64 else 1e-10

    traced = fg.make_jaxpr(lambda x: call(fnp, x))(a)(a)
    compiled = _leaves(fg.jit(lambda x: call(fnp, x))(a))

    for got in (traced, compiled):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.dtype == w.dtype, (g.dtype, w.dtype)
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


def _entrywise_gradient(f: Callable[[np.ndarray], Any], z: np.ndarray) -> np.ndarray:
    """`df/dx - i df/dy` at each entry, by central differences."""
    eps, out = 1e-6, np.zeros(z.shape, complex)
    for k in np.ndindex(z.shape):
        e = np.zeros(z.shape, complex)
        e[k] = eps
        dx = (f(z + e) - f(z - e)) / (2 * eps)
        dy = (f(z + 1j * e) - f(z - 1j * e)) / (2 * eps)
        out[k] = dx - 1j * dy
    return out


def _eigh_loss(a: Any) -> Any:
    w, v = la.eigh(a)
    return fnp.sum(w**3) + fnp.sum(fnp.abs(v[0]) ** 2 * w)


def _svd_loss(a: Any) -> Any:
    u, s, vh = la.svd(a, full_matrices=False)
    pair = u[:, :1] * vh[:1]  # the first singular pair, phase-free
    return fnp.sum(fnp.abs(pair) ** 3) + fnp.sum(s**2 * fnp.abs(u[1]))


def _qr_loss(a: Any) -> Any:
    q, r = la.qr(a)
    return fnp.sum(fnp.abs(q * fnp.diagonal(r)) ** 3) + fnp.sum(fnp.real(r) ** 2)


REAL_LOSSES = {
    "logabsdet": (lambda a: la.slogdet(a)[1], CA[0]),
    "angle of slogdet's sign": (lambda a: fnp.angle(la.slogdet(a)[0]), CA[0]),
    "real(det)": (lambda a: fnp.real(la.det(a)), CA[0]),
    "abs(det)**2": (lambda a: fnp.abs(la.det(a)) ** 2, CA[0]),
    "real(trace(inv))": (lambda a: fnp.real(fnp.trace(la.inv(a))), CA[0]),
    "matrix_power": (lambda a: fnp.sum(fnp.abs(la.matrix_power(a, 3))), CA[0]),
    "norm(a, 2)": (lambda a: la.norm(a, 2), CA[0]),
    "norm(a, -2)": (lambda a: la.norm(a, -2), CA[0]),
    "norm(a, 'nuc')": (lambda a: la.norm(a, "nuc"), CTALL[0]),
    "cond": (lambda a: la.cond(a), CTALL[0]),
    "eigvalsh": (lambda a: fnp.sum(fnp.exp(la.eigvalsh(a))), CH[0]),
    "eigh": (_eigh_loss, CH[0]),
    "cholesky": (
        lambda a: fnp.sum(fnp.abs(la.cholesky(a)) ** 2 * fnp.arange(3)),
        CH[0],
    ),
    "qr": (_qr_loss, CTALL[0]),
    "svd": (_svd_loss, CTALL[0]),
    "svd-wide": (_svd_loss, CWIDE[0]),
    "pinv": (
        lambda a: fnp.sum(fnp.real(la.pinv(a)) * fnp.arange(8.0).reshape(4, 2)),
        CWIDE[0],
    ),
    "lstsq": (
        lambda a: fnp.sum(fnp.imag(la.lstsq(a, CTALL[1, :, 1])[0]) ** 2),
        CTALL[0],
    ),
    "lstsq residuals": (lambda a: la.lstsq(a, CTALL[1, :, 1])[1][0], CTALL[0]),
}


@pytest.mark.parametrize("name", sorted(REAL_LOSSES))
def test_grad_of_real_linalg_losses_matches_differences(name: str) -> None:
    loss, a = REAL_LOSSES[name]

    g = fg.grad(loss)(a)

    assert g.dtype == a.dtype
    np.testing.assert_allclose(g, _entrywise_gradient(loss, a), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["eigh", "svd", "qr", "cholesky", "logabsdet"])
def test_second_derivatives_of_real_linalg_losses(name: str) -> None:
    loss, a = REAL_LOSSES[name]

    check_complex_grads(loss, (a,), order=2, atol=1e-5, rtol=1e-5)


def test_complex_determinant_is_holomorphic() -> None:
    a = np.array([[2 + 1j, 1.0], [0.5j, 3.0 - 1j]])
    # d det(A) = det(A) tr(A^-1 dA): the derivative is det(A) A^-T
    want = np.linalg.det(a) * np.linalg.inv(a).T

    np.testing.assert_allclose(fg.grad(la.det, holomorphic=True)(a), want)
    np.testing.assert_allclose(fg.grad(lambda m: fnp.real(la.det(m)))(a), want)


def test_complex_det_at_singular_matrices_is_the_cofactor_matrix() -> None:
    a, b, c = 1 + 1j, 2 - 1j, 0.5 - 2j
    singular = np.array([[a, b], [c * a, c * b]])  # rows dependent
    cofactor = np.array([[c * b, -c * a], [-b, a]])  # [[d, -c], [-b, a]]
    rank_one = np.outer([1, 2j, -1], [0.5, 1 - 1j, 2])

    assert abs(np.linalg.det(singular)) < 1e-14
    np.testing.assert_allclose(fg.grad(la.det, holomorphic=True)(singular), cofactor)
    g = fg.grad(lambda m: fnp.real(la.det(m)))(singular)
    np.testing.assert_allclose(g, cofactor, atol=1e-14)
    # rank n - 2: every cofactor is 0
    np.testing.assert_allclose(
        fg.grad(la.det, holomorphic=True)(rank_one), 0, atol=1e-14
    )
    # det is a polynomial: its differences are exact enough to second order
    check_complex_grads(la.det, (singular,), order=2)
    check_complex_grads(la.det, (_conditioned(3, 3),), order=2)


def test_slogdet_derivatives_by_algebra() -> None:
    # t = tr(A^-1 dA): d logabsdet = Re t, d sign = i Im(t) sign
    a, da = CA[0], _complex_matrix(3, 3)
    t = np.trace(np.linalg.solve(a, da))
    sign, _ = np.linalg.slogdet(a)

    _, (sign_dot, log_dot) = fg.jvp(la.slogdet, (a,), (da,))

    np.testing.assert_allclose(log_dot, t.real)
    np.testing.assert_allclose(sign_dot, 1j * t.imag * sign)


def test_eigh_and_svd_derivatives_by_algebra() -> None:
    # dw = Re diag(V^H dA V) for Hermitian dA; ds = Re diag(U^H dA V)
    da = _complex_matrix(3, 3)
    hermitian_da = da + np.conj(da.T)
    _, v = np.linalg.eigh(CH[0])
    u, _, vh = np.linalg.svd(CA[0])

    _, (w_dot, _) = fg.jvp(la.eigh, (CH[0],), (hermitian_da,))
    _, s_dot = fg.jvp(lambda a: la.svd(a, compute_uv=False), (CA[0],), (da,))

    np.testing.assert_allclose(w_dot, np.diag(np.conj(v.T) @ hermitian_da @ v).real)
    np.testing.assert_allclose(s_dot, np.diag(np.conj(u.T) @ da @ np.conj(vh.T)).real)


def test_complex_eigh_and_cholesky_read_one_triangle() -> None:
    # The Hermitian matrix of the lower (upper) triangle, with the imaginary
    # parts of the diagonal ignored, as numpy reads it.
    h = CH[0]
    noise = _complex_matrix(3, 3)
    lower_read = np.tril(h, -1) + np.triu(noise, 1) + np.diag(np.diag(h) + 0.3j)
    upper_read = np.triu(h, 1) + np.tril(noise, -1) + np.diag(np.diag(h) - 0.2j)
    unread_lower = np.triu(noise, 1) + 1j * np.diag(np.diag(noise).real)
    unread_upper = np.tril(noise, -1) + 1j * np.diag(np.diag(noise).real)

    def traced(f: Any, x: Any) -> Any:
        return fg.jit(f)(x)

    np.testing.assert_allclose(traced(la.cholesky, lower_read), np.linalg.cholesky(h))
    np.testing.assert_allclose(
        traced(lambda x: la.cholesky(x, upper=True), upper_read),
        np.conj(np.linalg.cholesky(h).T),
    )
    np.testing.assert_allclose(traced(la.eigvalsh, lower_read), np.linalg.eigvalsh(h))
    np.testing.assert_allclose(
        traced(lambda x: la.eigvalsh(x, "U"), upper_read), np.linalg.eigvalsh(h)
    )
    for f, x, t in [
        (la.cholesky, lower_read, unread_lower),
        (lambda x: la.cholesky(x, upper=True), upper_read, unread_upper),
        (la.eigh, lower_read, unread_lower),
        (lambda x: la.eigh(x, "U"), upper_read, unread_upper),
    ]:
        _, out_dot = fg.jvp(f, (x,), (t,))
        assert not any(np.any(d) for d in _leaves(out_dot))
    # so the gradient of a loss has no part in the entries it does not read
    g = fg.grad(_eigh_loss)(lower_read)
    assert not np.any(np.triu(g, 1)) and not np.any(np.diag(g).imag)
    np.testing.assert_allclose(
        g, _entrywise_gradient(_eigh_loss, lower_read), atol=1e-7
    )


def test_complex_linalg_under_vmap_and_jit() -> None:
    def loss(a: Any, h: Any) -> Any:
        w, v = la.eigh(h)
        s = la.svd(a, compute_uv=False)
        sign, logdet = la.slogdet(a)
        chol = la.cholesky(h)
        q, r = la.qr(a)
        return (
            fnp.sum(w * fnp.abs(v[0]) ** 2) + fnp.sum(s**2) + logdet
            + fnp.real(sign) + fnp.sum(fnp.abs(chol)) + fnp.sum(fnp.abs(q * fnp.diagonal(r)))
            + fnp.real(fnp.sum(la.det(a))) + la.norm(a, 2)
        )  # fmt: skip

    grad = fg.grad(loss, argnums=(0, 1))
    loop = [grad(a, h) for a, h in zip(CA, CH)]
    want = tuple(np.stack([g[i] for g in loop]) for i in range(2))

    for got in (fg.vmap(grad)(CA, CH), fg.jit(fg.vmap(grad))(CA, CH)):
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
    for a, h, g in zip(CA, CH, loop):
        for x, y in zip(fg.jit(grad)(a, h), g):
            np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-12)


def test_complex64_linalg_derivatives_stay_single_precision() -> None:
    a, h = CA[0].astype(np.complex64), CH[0].astype(np.complex64)
    losses = [
        lambda a: la.slogdet(a)[1], lambda a: la.norm(a, 2), _svd_loss,
        _qr_loss, lambda a: fnp.real(la.det(a)), lambda a: fnp.sum(fnp.abs(la.pinv(a))),
    ]  # fmt: skip

    for loss in losses:
        assert fg.grad(loss)(a).dtype == np.complex64
    for loss in (_eigh_loss, lambda h: fnp.sum(fnp.abs(la.cholesky(h)))):
        assert fg.grad(loss)(h).dtype == np.complex64
    assert fg.jit(fg.grad(_eigh_loss))(h).dtype == np.complex64


def test_complex_scipy_triangular_and_cholesky_solves() -> None:
    a, b, h = CA[0], CB[0], CH[0]
    lower, upper = np.tril(a), np.triu(a)
    ops = {0: lambda t: t, "T": lambda t: t.T, "C": lambda t: np.conj(t.T)}
    for trans, op in ops.items():
        for is_lower, t in ((True, lower), (False, upper)):
            got = fsla.solve_triangular(a, b, trans=trans, lower=is_lower)
            np.testing.assert_allclose(got, np.linalg.solve(op(t), b))

            def f(a: Any, b: Any, trans: Any = trans, is_lower: bool = is_lower) -> Any:
                return fsla.solve_triangular(a, b, trans=trans, lower=is_lower)

            check_complex_grads(f, (a, b), order=1)
    for is_lower in (True, False):
        factor = fsla.cho_factor(h, lower=is_lower)
        np.testing.assert_allclose(fsla.cho_solve(factor, b), np.linalg.solve(h, b))
        np.testing.assert_allclose(
            fsla.cho_solve(factor, b[:, 0]), np.linalg.solve(h, b[:, 0])
        )
        c = fsla.cholesky(h, lower=is_lower)
        want = np.linalg.cholesky(h)
        np.testing.assert_allclose(c, want if is_lower else np.conj(want.T))

        def g(h: Any, b: Any, is_lower: bool = is_lower) -> Any:
            return fsla.cho_solve(fsla.cho_factor(h, lower=is_lower), b)

        check_complex_grads(g, (h, b), order=1)


# --- known gaps -------------------------------------------------------------------


def test_hermitian_svd_is_not_traceable_yet() -> None:
    with pytest.raises(NotImplementedError, match="hermitian"):
        fg.jit(lambda a: la.svd(a, hermitian=True))(CH[0])


def test_hessian_of_complex_inputs_without_the_flag_names_hessian():
    with pytest.raises(TypeError, match=r"^`hessian` needs real inputs"):
        fg.hessian(lambda z: fnp.abs(z) ** 2)(1 - 2j)
