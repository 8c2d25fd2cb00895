"""`check_grads`: compare funcgrad's derivatives with finite differences.

Forward mode is checked against central differences along random
directions, reverse mode against forward mode by the dot-product test
`<u, J v> == <J^T u, v>`, and both recursively up to `order`, so second
derivatives are checked as derivatives of derivatives.

The tolerances here are fixed by dtype. `funcgrad.testing.check_grads`
takes the same arguments and adapts its tolerances to the scale of the
function too; `funcgrad.testing` also has the hypothesis strategies and
the other derivative property checks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcgrad._api import jvp, vjp
from funcgrad.core import tree_flatten, tree_map, tree_unflatten

_DEFAULT_EPS = {
    np.dtype(np.float16): 1e-1,
    np.dtype(np.float32): 1e-2,
    np.dtype(np.float64): 1e-5,
}
_DEFAULT_TOL = {
    np.dtype(np.float16): 1e-1,
    np.dtype(np.float32): 2e-2,
    np.dtype(np.float64): 1e-5,
}


def _dtype(args: Sequence[Any]) -> np.dtype:
    leaves = [np.asarray(x) for x in tree_flatten(args)[0]]
    floats = [x.dtype for x in leaves if x.dtype.kind in "fc"]
    return min(floats, key=lambda d: d.itemsize) if floats else np.dtype(np.float64)


def _vdot(a: Any, b: Any) -> float:
    la, lb = tree_flatten(a)[0], tree_flatten(b)[0]
    return float(
        sum(
            np.vdot(np.asarray(x, np.float64), np.asarray(y, np.float64))
            for x, y in zip(la, lb)
        )
    )


def _random_like(tree: Any, rng: np.random.Generator) -> Any:
    def sample(x: Any) -> Any:
        x = np.asarray(x)
        return rng.standard_normal(x.shape).astype(x.dtype)

    return tree_map(sample, tree)


def _add_scaled(tree: Any, direction: Any, scale: float) -> Any:
    leaves, treedef = tree_flatten(tree)
    dirs = tree_flatten(direction)[0]
    out = [
        np.asarray(x + scale * d, dtype=np.asarray(x).dtype)
        for x, d in zip(leaves, dirs)
    ]
    return tree_unflatten(treedef, out)


def _assert_close(kind: str, got: Any, want: Any, atol: float, rtol: float) -> None:
    g_leaves, w_leaves = tree_flatten(got)[0], tree_flatten(want)[0]
    for g, w in zip(g_leaves, w_leaves):
        g64, w64 = np.asarray(g, np.float64), np.asarray(w, np.float64)
        if not np.allclose(g64, w64, atol=atol, rtol=rtol, equal_nan=False):
            err = np.max(np.abs(g64 - w64))
            raise AssertionError(
                f"{kind} check failed: largest difference {err:.3g} exceeds "
                f"atol={atol:g}, rtol={rtol:g}.\n got: {g64}\nwant: {w64}"
            )


def check_jvp(f: Callable[..., Any], args: Sequence[Any], *, eps: float, atol: float, rtol: float,
              rng: np.random.Generator) -> None:  # fmt: skip
    """Forward mode against a central finite difference along a random direction."""
    tangents = _random_like(tuple(args), rng)
    _out, out_dot = jvp(f, tuple(args), tangents)
    plus = f(*_add_scaled(tuple(args), tangents, eps))
    minus = f(*_add_scaled(tuple(args), tangents, -eps))
    numeric = tree_map(
        lambda p, m: (
            (np.asarray(p, np.float64) - np.asarray(m, np.float64)) / (2 * eps)
        ),
        plus,
        minus,
    )
    _assert_close(
        "Forward-mode (jvp vs finite differences)", out_dot, numeric, atol, rtol
    )


def check_vjp(f: Callable[..., Any], args: Sequence[Any], *, atol: float, rtol: float,
              rng: np.random.Generator) -> None:  # fmt: skip
    """Reverse mode against forward mode: `<u, J v> == <J^T u, v>`."""
    tangents = _random_like(tuple(args), rng)
    out, f_vjp = vjp(f, *args)
    _, out_dot = jvp(f, tuple(args), tangents)
    u = _random_like(out, rng)
    cts = f_vjp(u)
    lhs, rhs = _vdot(u, out_dot), _vdot(cts, tangents)
    scale = max(1.0, abs(lhs), abs(rhs))
    if not abs(lhs - rhs) <= atol * scale + rtol * abs(rhs):
        raise AssertionError(
            f"Reverse-mode check failed: <u, J v> = {lhs!r} but <J^T u, v> = {rhs!r}."
        )


def check_grads(
    f: Callable[..., Any],
    args: Sequence[Any],
    order: int = 2,
    modes: Sequence[str] = ("fwd", "rev"),
    atol: float | None = None,
    rtol: float | None = None,
    eps: float | None = None,
    seed: int = 0,
) -> None:
    """Check `f`'s derivatives at `args` up to `order`, in forward and/or reverse mode.

    Raises `AssertionError` naming the mode and the size of the mismatch.
    Tolerances and the finite-difference step default by dtype (float64:
    step 1e-5, tolerance 1e-5; float32: 1e-2 and 2e-2).

    >>> import funcgrad.numpy as fnp
    >>> check_grads(fnp.sin, (0.5,), order=2)
    """
    if not isinstance(args, tuple | list):
        raise TypeError(
            f"`check_grads` takes the arguments as a tuple or list, got "
            f"{type(args).__name__}; write `check_grads(f, (x,))`."
        )
    if order < 1:
        raise ValueError(f"`check_grads` needs order >= 1, got {order}.")
    args = tuple(args)
    dtype = _dtype(args)
    eps = _DEFAULT_EPS.get(dtype, 1e-5) if eps is None else eps
    atol = _DEFAULT_TOL.get(dtype, 1e-5) if atol is None else atol
    rtol = _DEFAULT_TOL.get(dtype, 1e-5) if rtol is None else rtol
    rng = np.random.default_rng(seed)
    for mode in modes:
        if mode not in ("fwd", "rev"):
            raise ValueError(f"`check_grads` modes are 'fwd' and 'rev', got {mode!r}.")
    if "fwd" in modes:
        check_jvp(f, args, eps=eps, atol=atol, rtol=rtol, rng=rng)
    if "rev" in modes:
        check_vjp(f, args, atol=atol, rtol=rtol, rng=rng)
    if order > 1:
        v = _random_like(args, rng)

        def f_jvp(*primals: Any) -> Any:
            return jvp(f, primals, v)[1]

        check_grads(
            f_jvp,
            args,
            order - 1,
            ("fwd",) if "fwd" in modes else (),
            atol,
            rtol,
            eps,
            seed + 1,
        )
        if "rev" in modes:
            out = f(*args)
            u = _random_like(out, rng)

            def f_vjp(*primals: Any) -> Any:
                return vjp(f, *primals)[1](u)

            check_grads(f_vjp, args, order - 1, modes, atol, rtol, eps, seed + 2)
