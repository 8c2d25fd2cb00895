"""`funcgrad.numpy.fft` against `numpy.fft`: values (eager, staged and
compiled; float32 and complex64 stay single precision), derivatives
against finite differences in the real and imaginary directions, batching
against a loop, and the errors numpy raises.

The `fft` primitive itself is in the spec table (`specs_complex.py`);
these tests cover the front-end: `n`, `axis`, `s`, `axes` and `norm`,
cropping and zero-padding, and the shifts and frequencies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _complex_checks import check_complex_grads, check_doc_blocks

import funcgrad as fg
import funcgrad.numpy as fnp

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4, 6))
Z = X + 1j * RNG.standard_normal((3, 4, 6))

ONE_AXIS = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
SEVERAL_AXES = ["fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn", "rfftn", "irfftn"]
REAL_INPUT = {"rfft", "ihfft", "rfft2", "rfftn"}

ONE_AXIS_ARGS = [
    {},
    {"norm": "ortho"},
    {"norm": "forward"},
    {"norm": "backward"},
    {"n": 4},
    {"n": 9, "axis": 0},
    {"axis": 1, "norm": "ortho"},
    {"n": 1},
]
SEVERAL_AXES_ARGS = [
    {},
    {"norm": "ortho"},
    {"norm": "forward"},
    {"axes": (0, 2)},
    {"axes": (2, 0)},
    {"s": (3, 5), "axes": (1, 2)},
    {"s": (2, 7), "axes": (0, 1), "norm": "ortho"},
    {"axes": (1,)},
]


def _input(name: str, dtype: Any = np.float64) -> np.ndarray:
    x = X if name in REAL_INPUT else Z
    single = {np.float32: np.complex64, np.float64: np.complex128}
    return x.astype(dtype if name in REAL_INPUT else single[dtype])


def _cases() -> list[Any]:
    out = []
    for name in ONE_AXIS + SEVERAL_AXES:
        for i, kwargs in enumerate(
            ONE_AXIS_ARGS if name in ONE_AXIS else SEVERAL_AXES_ARGS
        ):
            if name.endswith("2") and "axes" in kwargs and len(kwargs["axes"]) != 2:
                continue
            out.append(pytest.param(name, kwargs, id=f"{name}-{i}"))
    return out


@pytest.mark.parametrize(("name", "kwargs"), _cases())
def test_values_match_numpy(name: str, kwargs: dict) -> None:
    ours, theirs = getattr(fnp.fft, name), getattr(np.fft, name)
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 2e-5)):
        x = _input(name, dtype)
        want = theirs(x, **kwargs)

        staged = fg.make_jaxpr(lambda a: ours(a, **kwargs))(x)(x)[0]
        for got in (ours(x, **kwargs), staged):
            assert isinstance(got, np.ndarray)
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=tol, atol=tol * 10)


def test_values_under_jit() -> None:
    # one compiled program for many transforms, so that few kernels compile
    def transforms(x: Any, z: Any) -> list[Any]:
        return [
            fnp.fft.fft(z, 5, norm="ortho"),
            fnp.fft.rfft(x, axis=0),
            fnp.fft.irfft(z, 7),
            fnp.fft.rfftn(x, s=(3, 8), axes=(0, 2)),
            fnp.fft.ifft2(z, norm="forward"),
            fnp.fft.fftshift(fnp.fft.fftfreq(6, 0.5)),
        ]

    got = fg.jit(transforms)(X, Z)
    want = [
        np.fft.fft(Z, 5, norm="ortho"),
        np.fft.rfft(X, axis=0),
        np.fft.irfft(Z, 7),
        np.fft.rfftn(X, s=(3, 8), axes=(0, 2)),
        np.fft.ifft2(Z, norm="forward"),
        np.fft.fftshift(np.fft.fftfreq(6, 0.5)),
    ]
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


def test_integer_and_float16_inputs_promote_as_numpy() -> None:
    # (numpy's irfft of float16 is float16, its irfft2 float32: funcgrad's
    # are float32, the precision it computes in)
    for x in (np.arange(6), np.arange(6, dtype=np.float16), np.ones(6, bool)):
        for name in (
            ("fft", "rfft") if x.dtype == np.float16 else ("fft", "rfft", "irfft")
        ):
            want = getattr(np.fft, name)(x)
            got = fg.make_jaxpr(getattr(fnp.fft, name))(x)(x)[0]
            assert got.dtype == want.dtype, (name, x.dtype)
            np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize(("name", "kwargs"), _cases()[::3])
def test_derivatives_match_finite_differences(name: str, kwargs: dict) -> None:
    ours = getattr(fnp.fft, name)
    x = _input(name)[:2, :3]

    def linear(x: Any) -> Any:
        return ours(x, **kwargs)

    def nonlinear(x: Any) -> Any:
        y = ours(x, **kwargs)
        return fnp.sum(fnp.abs(y) ** 2 * fnp.cos(fnp.real(y)))

    check_complex_grads(linear, (x,), order=1)
    check_complex_grads(nonlinear, (x,), order=2)


def test_parseval_gradient() -> None:
    # sum |fft(x)|^2 = n sum |x|^2, whose gradient is 2 n conj-direction x
    x = Z[0, 0]
    g = fg.grad(lambda x: fnp.sum(fnp.abs(fnp.fft.fft(x)) ** 2))(x)

    np.testing.assert_allclose(g, 2 * x.size * np.conj(x))


def test_ortho_transform_is_its_own_transpose() -> None:
    # F / sqrt(n) is symmetric: the plain transpose, not the inverse
    u = Z[1, 2]
    (ct,) = fg.vjp(lambda z: fnp.fft.fft(z, norm="ortho"), Z[0, 0])[1](u)

    np.testing.assert_allclose(ct, np.fft.fft(u, norm="ortho"))


def test_rfft_gradient_of_a_real_loss_is_real() -> None:
    x = X[0, 0]

    def loss(x: Any) -> Any:
        spectrum = fnp.fft.rfft(x)
        return fnp.sum(fnp.abs(spectrum) ** 2)

    g = fg.grad(loss)(x)
    eps = 1e-6
    numeric = [
        (loss(x + eps * e) - loss(x - eps * e)) / (2 * eps) for e in np.eye(x.size)
    ]
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, numeric, rtol=1e-7)


def test_irfft_ignores_the_imaginary_parts_numpy_ignores() -> None:
    # the zero and (even n) Nyquist frequencies are read as real
    c = Z[0, 0, :4]
    (ct,) = fg.vjp(lambda c: fnp.fft.irfft(c, 6), c)[1](np.ones(6))

    assert ct[0] == 1.0 and ct[3] == 0.0
    np.testing.assert_allclose(
        fnp.fft.irfft(c + 1j * np.eye(4)[0], 6), np.fft.irfft(c, 6)
    )


@pytest.mark.parametrize("name", ["fft", "rfft", "irfft", "fft2", "rfftn", "irfftn"])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_vmap_matches_a_loop(name: str, axis: int) -> None:
    ours, theirs = getattr(fnp.fft, name), getattr(np.fft, name)
    x = _input(name)

    got = fg.vmap(ours, in_axes=axis)(x)
    want = np.stack([theirs(np.take(x, i, axis)) for i in range(x.shape[axis])])

    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_vmap_of_a_gradient() -> None:
    def loss(x: Any) -> Any:
        return fnp.sum(fnp.abs(fnp.fft.rfft(x, 8)) ** 2)

    xs = X[0]
    g = fg.grad(loss)

    np.testing.assert_allclose(fg.vmap(g)(xs), np.stack([g(x) for x in xs]))


@pytest.mark.parametrize("name", ["fftshift", "ifftshift"])
@pytest.mark.parametrize("axes", [None, 0, (1, 2), -1])
def test_shifts_match_numpy(name: str, axes: Any) -> None:
    ours, theirs = getattr(fnp.fft, name), getattr(np.fft, name)
    x = Z[:, :3, :5]

    np.testing.assert_array_equal(ours(x, axes), theirs(x, axes))
    np.testing.assert_array_equal(
        fg.make_jaxpr(lambda a: ours(a, axes))(x)(x)[0], theirs(x, axes)
    )
    (ct,) = fg.vjp(lambda a: ours(a, axes), x)[1](x)
    inverse = np.fft.ifftshift if name == "fftshift" else np.fft.fftshift
    np.testing.assert_array_equal(ct, inverse(x, axes))


@pytest.mark.parametrize("n", [1, 5, 6])
def test_frequencies_match_numpy(n: int) -> None:
    for d in (1.0, 0.25):
        np.testing.assert_allclose(fnp.fft.fftfreq(n, d), np.fft.fftfreq(n, d))
        np.testing.assert_allclose(fnp.fft.rfftfreq(n, d), np.fft.rfftfreq(n, d))
        traced = fg.make_jaxpr(lambda d: fnp.fft.fftfreq(n, d))(d)(d)[0]
        np.testing.assert_allclose(traced, np.fft.fftfreq(n, d), rtol=1e-15)
    # f_k = k / (n d): d f_k / d d = -f_k / d
    g = fg.grad(lambda d: fnp.sum(fnp.fft.rfftfreq(n, d)))(0.5)
    np.testing.assert_allclose(g, -np.sum(np.fft.rfftfreq(n, 0.5)) / 0.5)


def test_the_program_is_one_fft_equation() -> None:
    closed = fg.make_jaxpr(fnp.fft.rfft)(X[0, 0])

    assert [e.primitive.name for e in closed.eqns] == ["fft"]
    assert "fft_type=rfft" in str(closed)


def _traced(fn: Any, *args: Any) -> Any:
    return fg.make_jaxpr(lambda a: fn(a, *args[1:]))(args[0])


def test_errors_match_numpy() -> None:
    with pytest.raises(ValueError, match="norm"):
        _traced(fnp.fft.fft, Z, None, -1, "unitary")
    with pytest.raises(ValueError, match="Invalid number of FFT data points"):
        _traced(fnp.fft.fft, Z, 0)
    with pytest.raises(TypeError, match="real"):
        _traced(fnp.fft.rfft, Z)
    with pytest.raises(ValueError, match="repeated axes"):
        _traced(fnp.fft.fftn, Z, None, (0, 0))
    with pytest.raises(TypeError, match="out="):
        _traced(fnp.fft.fft, Z, None, -1, None, np.empty_like(Z))
    with pytest.raises(TypeError, match="int known while tracing"):
        fnp.fft.fftfreq(4.0)


def test_the_docs_page_prints_what_it_shows() -> None:
    page = Path(__file__).resolve().parent.parent / "docs" / "fft.md"

    assert check_doc_blocks(page.read_text()) == 3


def test_fftfreq_under_vmap_with_an_unbatched_length():
    d = np.array([1.0, 0.5])
    got = fg.vmap(fnp.fft.fftfreq, in_axes=(None, 0))(4, d)
    np.testing.assert_allclose(got, np.stack([np.fft.fftfreq(4, s) for s in d]))
