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


# --- known gaps -------------------------------------------------------------------


@pytest.mark.xfail(
    strict=True,
    raises=TypeError,
    reason="complex slogdet (and det, eigh, svd, qr, cholesky): not yet",
)
def test_complex_determinant_is_holomorphic() -> None:
    a = np.array([[2 + 1j, 1.0], [0.5j, 3.0 - 1j]])
    # d det(A) = det(A) tr(A^-1 dA): the derivative is det(A) A^-T
    want = np.linalg.det(a) * np.linalg.inv(a).T

    np.testing.assert_allclose(fg.grad(fnp.linalg.det, holomorphic=True)(a), want)
