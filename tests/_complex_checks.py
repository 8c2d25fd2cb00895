"""`check_complex_grads`: derivatives of functions of complex (and real)
arrays against central finite differences, in JAX's convention, for
`test_complex.py` and `test_fft.py`.

Along each direction `v` the jvp must equal `(f(x + eps v) - f(x - eps v))
/ (2 eps)`; each complex operand is moved once along a real and once along
an imaginary direction. The vjp is the transpose of the jvp for the real
pairing `Re(sum(u * v))` (no conjugation), so `Re(sum(u * J v)) ==
Re(sum(vjp(u) * v))` for the same directions checks every part of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import funcgrad as fg


def _pair(u: Any, v: Any) -> float:
    """The real pairing `Re(sum(u * v))` of two pytrees of arrays."""
    us, vs = fg.tree_util.tree_leaves(u), fg.tree_util.tree_leaves(v)
    return float(
        sum(
            np.real(np.sum(np.asarray(a, complex) * np.asarray(b)))
            for a, b in zip(us, vs)
        )
    )


def _random(x: np.ndarray, rng: np.random.Generator, imaginary: bool) -> np.ndarray:
    """A random direction for `x`: real, or imaginary if `x` is complex."""
    d = rng.standard_normal(np.shape(x))
    if imaginary and np.asarray(x).dtype.kind == "c":
        d = 1j * d
    return d.astype(np.asarray(x).dtype)


def _like_output(out: Any, rng: np.random.Generator) -> Any:
    out = np.asarray(out)
    u = rng.standard_normal(out.shape)
    if out.dtype.kind == "c":
        u = u + 1j * rng.standard_normal(out.shape)
    return u.astype(out.dtype)


def _central(
    f: Callable[..., Any], xs: Sequence[Any], vs: Sequence[Any], eps: float
) -> Any:
    plus = f(*[x + eps * v for x, v in zip(xs, vs)])
    minus = f(*[x - eps * v for x, v in zip(xs, vs)])
    return (np.asarray(plus, np.complex128) - np.asarray(minus, np.complex128)) / (
        2 * eps
    )


def _close(what: str, got: Any, want: Any, atol: float, rtol: float) -> None:
    got, want = np.asarray(got, np.complex128), np.asarray(want, np.complex128)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    np.testing.assert_allclose(got, want, atol=atol, rtol=rtol, err_msg=what)


def check_complex_grads(
    f: Callable[..., Any],
    xs: Sequence[np.ndarray],
    order: int = 2,
    modes: Sequence[str] = ("fwd", "rev"),
    eps: float = 1e-5,
    atol: float = 1e-5,
    rtol: float = 1e-5,
    seed: int = 0,
) -> None:
    """`f`'s jvp against central differences along a real and an imaginary
    direction of every complex operand; its vjp against the jvp (or, without
    forward mode, the differences) through `Re(sum(u * J v)) ==
    Re(sum(J^T u * v))`; then the same for the jvp and the vjp as functions
    of the primals, up to `order`."""
    rng = np.random.default_rng(seed)
    xs = tuple(xs)
    out = f(*xs)
    u = _like_output(out, rng)
    if "rev" in modes:
        _, f_vjp = fg.vjp(f, *xs)
        cts = f_vjp(u)
        for ct, x in zip(cts, xs):
            assert ct.dtype == x.dtype, f"cotangent {ct.dtype} for a {x.dtype} input"
    for imaginary in (False, True):
        vs = tuple(_random(x, rng, imaginary) for x in xs)
        numeric = _central(f, xs, vs, eps)
        if "fwd" in modes:
            _, out_dot = fg.jvp(f, xs, vs)
            assert np.asarray(out_dot).dtype == np.asarray(out).dtype
            _close("jvp vs finite differences", out_dot, numeric, atol, rtol)
        if "rev" in modes:
            scale = max(1.0, float(np.sum(np.abs(u) * np.abs(numeric))))
            lhs, rhs = _pair(u, numeric), _pair(cts, vs)
            assert abs(lhs - rhs) <= atol * scale, (
                f"vjp: Re<u, J v> = {lhs!r} by differences, Re<J^T u, v> = {rhs!r}"
            )
    if order < 2:
        return
    v = tuple(_random(x, rng, imaginary=False) + _random(x, rng, True) for x in xs)
    if "fwd" in modes:

        def f_jvp(*primals: Any) -> Any:
            return fg.jvp(f, primals, v)[1]

        check_complex_grads(f_jvp, xs, order - 1, ("fwd",), eps, atol, rtol, seed + 1)
    if "rev" in modes:

        def f_vjp_first(*primals: Any) -> Any:
            return fg.vjp(f, *primals)[1](u)[0]

        check_complex_grads(
            f_vjp_first, xs, order - 1, modes, eps, atol, rtol, seed + 2
        )


def check_doc_blocks(text: str) -> int:
    """Run the `python` blocks of a docs page (one namespace) and check that
    each prints the unlabelled block after it, as `test_docs.py` does;
    returns how many outputs were checked."""
    import contextlib
    import io
    import re

    namespace: dict[str, Any] = {}
    pending, checked = None, 0
    for lang, body in re.findall(r"```(\w*)\n(.*?)```", text, re.S):
        if lang == "python":
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(body, namespace)
            pending = out.getvalue()
        elif pending is not None:
            assert pending.strip() == body.strip(), (pending, body)
            checked += 1
            pending = None
    return checked
