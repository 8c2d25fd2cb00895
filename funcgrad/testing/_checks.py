"""Derivative property checks on one input, for any function.

Each check takes a function and its arguments (a tuple, as `check_grads`
does), computes a property that every correct derivative has, and raises
`DerivativeCheckError` (an `AssertionError`) naming the property and
giving the numbers when it does not hold:

- `check_jvp`: forward mode agrees with central finite differences;
- `check_vjp`: reverse mode agrees with central finite differences, without
  using forward mode (so it works for `custom_vjp` functions);
- `check_dot_product`: forward and reverse mode agree, `<u, J v> == <J^T u, v>`;
- `check_jvp_linear`: `jvp` is linear in the tangent;
- `check_hessian_symmetric`: `<u, H v> == <v, H u>` for the Hessian of
  `<w, f(x)>`;
- `check_vmap`: `vmap(f)` equals a Python loop over the batch;
- `check_jit`: `jit(f)` equals `f`;
- `check_grads`: the first three, recursively up to `order`.

Arguments may be pytrees. Only floating-point leaves are differentiated;
integer and boolean leaves are passed through unchanged, and integer
outputs are left out of derivative checks. Directions are drawn from a
generator seeded with `seed`, so a check is repeatable. Tolerances follow
the dtype and the scale of the function (see `funcgrad.testing._tolerance`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad._api import grad, jvp, vjp
from funcgrad._jit import jit
from funcgrad._vmap import vmap
from funcgrad.core import tree_flatten, tree_unflatten
from funcgrad.errors import DerivativeCheckError
from funcgrad.testing._tolerance import (
    Tolerance,
    as64,
    dtype_of,
    max_abs,
    norm,
    norm1,
    tolerance,
    vdot,
)

PROPERTIES = {
    "jvp": "forward mode (`jvp`) agrees with central finite differences",
    "vjp": "reverse mode (`vjp`) agrees with central finite differences",
    "dot_product": "forward and reverse mode agree: <u, J v> == <J^T u, v>",
    "jvp_linear": "`jvp` is linear in the tangent",
    "hessian_symmetric": "the Hessian is symmetric: <u, H v> == <v, H u>",
    "vmap": "`vmap(f)` equals a Python loop over the batch",
    "jit": "`jit(f)` equals `f`",
}

_SHOW_ELEMENTS = 12  # arrays this small are printed whole in a failure


def _name(f: Callable[..., Any]) -> str:
    return str(getattr(f, "__qualname__", None) or getattr(f, "__name__", repr(f)))


def _is_float(x: Any) -> bool:
    return dtype_of(x).kind == "f"


def _fail(prop: str, where: str, detail: str) -> DerivativeCheckError:
    return DerivativeCheckError(
        f"property '{prop}' broke for {where}: {PROPERTIES[prop]}.\n{detail}",
        (prop,),
    )


def _as_args(args: Any, api: str) -> tuple:
    if not isinstance(args, tuple | list):
        raise TypeError(
            f"`{api}` takes the arguments as a tuple or list, got "
            f"{type(args).__name__}; write `{api}(f, (x,))`."
        )
    return tuple(args)


class _Problem:
    """A function of the floating-point leaves of its arguments.

    `fun(*primals)` returns the list of floating-point leaves of the user's
    output, so every check works on flat lists of arrays, whatever pytrees
    the user's function takes and returns. `where` says what is checked
    (the user's function, or one of its derivatives) for failure messages.
    """

    def __init__(
        self,
        fun: Callable[..., list],
        primals: tuple,
        where: str,
        noise_scale: float = 0.0,
    ) -> None:
        self.fun, self.primals, self.where = fun, primals, where
        self.out = [np.asarray(y) for y in fun(*primals)]
        if not self.out:
            raise TypeError(
                f"{where} returns no floating-point values, so it has no "
                f"derivative to check."
            )
        # The size of the values `fun` computes with, which sets its rounding
        # error: its outputs, or more for a derivative of a larger function.
        self.noise_scale = max(noise_scale, max_abs(self.out))

    @classmethod
    def of(cls, f: Callable[..., Any], args: Any, api: str) -> _Problem:
        leaves, treedef = tree_flatten(_as_args(args, api))
        diff = [i for i, x in enumerate(leaves) if _is_float(x)]
        if not diff:
            raise TypeError(
                f"`{api}`: no argument of `{_name(f)}` is floating-point, so "
                f"there is nothing to differentiate; pass float arrays."
            )

        def fun(*diff_leaves: Any) -> list:
            full = list(leaves)
            for i, x in zip(diff, diff_leaves):
                full[i] = x
            out = f(*tree_unflatten(treedef, full))
            return [y for y in tree_flatten(out)[0] if _is_float(y)]

        return cls(fun, tuple(leaves[i] for i in diff), f"`{_name(f)}`")

    def tolerance(self, eps: Any, atol: Any, rtol: Any) -> Tolerance:
        return tolerance(list(self.primals) + self.out, eps, atol, rtol)

    def tangent(self, rng: np.random.Generator) -> list[np.ndarray]:
        """A direction in [-1, 1] per element, times max(1, |x|).

        Bounded, so a finite-difference step never moves an input further
        than `step * max(1, |x|)`: inputs kept that far from a kink stay on
        one side of it.
        """
        out = []
        for x in self.primals:
            x64 = as64(x)
            d = rng.uniform(-1.0, 1.0, x64.shape) * np.maximum(1.0, np.abs(x64))
            out.append(np.asarray(d, dtype_of(x)))
        return out

    def cotangent(self, rng: np.random.Generator) -> list[np.ndarray]:
        return [np.asarray(rng.uniform(-1.0, 1.0, y.shape), y.dtype) for y in self.out]

    def central_difference(self, tangent: Sequence[Any], step: float) -> _Differences:
        """`(f(x + h t) - f(x - h t)) / 2h` in float64, with an error estimate.

        The perturbed inputs are rounded to the input dtype, so the step
        actually taken, not the one asked for, is returned as the tangent.
        The same difference with step `2h` has four times the truncation
        error (`h**2 / 6` times the third derivative), so the gap between
        the two, three times the error of the first, is a safe estimate of
        it (Richardson's argument). It keeps a zero derivative, where no
        relative tolerance helps, checkable.
        """
        plus, minus = self._perturbed(tangent, step)
        used = [
            np.asarray((as64(p) - as64(m)) / (2 * step), dtype_of(x))
            for x, p, m in zip(self.primals, plus, minus)
        ]
        value, out_scale = self._difference(plus, minus, step)
        coarse, coarse_scale = self._difference(
            *self._perturbed(used, 2 * step), 2 * step
        )
        error = [np.abs(a - b) for a, b in zip(value, coarse)]
        scale = max(out_scale, coarse_scale, self.noise_scale)
        return _Differences(value, error, used, scale)

    def _perturbed(self, tangent: Sequence[Any], step: float) -> tuple[list, list]:
        """`x + h t` and `x - h t`, rounded to the dtype of each input."""
        plus, minus = [], []
        for x, d in zip(self.primals, tangent):
            dtype = dtype_of(x)
            p = np.asarray(as64(x) + step * as64(d), dtype)
            m = np.asarray(as64(x) - step * as64(d), dtype)
            is_scalar = isinstance(x, float)  # keep Python scalars weakly typed
            plus.append(float(p) if is_scalar else p)
            minus.append(float(m) if is_scalar else m)
        return plus, minus

    def _difference(
        self, plus: list, minus: list, step: float
    ) -> tuple[list[np.ndarray], float]:
        with np.errstate(all="ignore"):
            f_plus, f_minus = self.fun(*plus), self.fun(*minus)
            diff = [(as64(a) - as64(b)) / (2 * step) for a, b in zip(f_plus, f_minus)]
        return diff, max(max_abs(f_plus), max_abs(f_minus))


@dataclasses.dataclass
class _Differences:
    """Central differences along `tangent`, and an estimate of their error."""

    value: list[np.ndarray]
    error: list[np.ndarray]
    tangent: list[np.ndarray]
    out_scale: float


def _show(x: np.ndarray) -> str:
    if x.size <= _SHOW_ELEMENTS:
        return np.array2string(x, precision=6, separator=", ")
    return f"array of shape {x.shape}"


def _compare(
    prop: str,
    where: str,
    what: str,
    got: Sequence[Any],
    want: Sequence[Any],
    atol: float,
    rtol: float,
    extra: Sequence[np.ndarray] | None = None,
) -> None:
    """Elementwise `|got - want| <= atol + rtol * |want| (+ extra)`, leaf by leaf."""
    if len(got) != len(want):
        raise _fail(prop, where, f"{what}: {len(got)} output leaves, want {len(want)}.")
    for k, (g, w) in enumerate(zip(got, want)):
        g64, w64 = as64(g), as64(w)
        if g64.shape != w64.shape:
            raise _fail(
                prop,
                where,
                f"{what}: output leaf {k} has shape {g64.shape}, want {w64.shape}.",
            )
        with np.errstate(invalid="ignore"):
            err = np.abs(g64 - w64)
            bound = atol + rtol * np.abs(w64)
            if extra is not None:
                bound = bound + extra[k]
            bad = ~((err <= bound) | ((g64 == w64) | (np.isnan(g64) & np.isnan(w64))))
        if not np.any(bad):
            continue
        score = np.where(bad, np.nan_to_num(err, nan=np.inf), -1.0)
        idx = np.unravel_index(int(np.argmax(score)), g64.shape)
        idx_text = tuple(int(i) for i in idx)
        extra_text = "" if extra is None else f" + error estimate {extra[k][idx]:.3g}"
        raise _fail(
            prop,
            where,
            f"{what}: output leaf {k} (shape {g64.shape}) differs at index "
            f"{idx_text}: got {float(g64[idx])!r}, want {float(w64[idx])!r}, difference "
            f"{err[idx]:.3g} > tolerance {bound[idx]:.3g} (atol {atol:.3g} + "
            f"rtol {rtol:g} * |want|{extra_text}).\n"
            f"  got:  {_show(g64)}\n  want: {_show(w64)}",
        )


def _compare_scalars(
    prop: str, where: str, what: str, lhs: float, rhs: float, atol: float
) -> None:
    if not abs(lhs - rhs) <= atol:
        raise _fail(
            prop,
            where,
            f"{what}: {lhs!r} != {rhs!r}, difference {abs(lhs - rhs):.3g} > "
            f"tolerance {atol:.3g}.",
        )


# --- forward and reverse mode against finite differences -----------------------


def _jvp_fd(p: _Problem, tol: Tolerance, rng: np.random.Generator) -> None:
    fd = p.central_difference(p.tangent(rng), tol.step)
    out, out_dot = jvp(p.fun, p.primals, tuple(fd.tangent))
    _compare(
        "jvp",
        p.where,
        "the primal output of `jvp` against f(x)",
        out,
        p.out,
        tol.exact_atol(max_abs(p.out)),
        tol.rtol,
    )
    _compare(
        "jvp",
        p.where,
        f"J v against finite differences (step {tol.step:g})",
        out_dot,
        fd.value,
        tol.fd_atol(max_abs(fd.value), fd.out_scale),
        tol.fd_rtol,
        None if tol.atol is not None else fd.error,
    )


def _vjp_fd(p: _Problem, tol: Tolerance, rng: np.random.Generator) -> None:
    fd = p.central_difference(p.tangent(rng), tol.step)
    u = p.cotangent(rng)
    out, pullback = vjp(p.fun, *p.primals)
    _compare(
        "vjp",
        p.where,
        "the primal output of `vjp` against f(x)",
        out,
        p.out,
        tol.exact_atol(max_abs(p.out)),
        tol.rtol,
    )
    ct = pullback(u)
    lhs, rhs = vdot(ct, fd.tangent), vdot(u, fd.value)
    # |<u, e>| <= |u|_1 max|e| bounds the effect of the finite-difference error.
    atol = norm1(u) * tol.fd_atol(max_abs(fd.value), fd.out_scale)
    atol += tol.fd_rtol * abs(rhs) + tol.exact_atol(norm(ct) * norm(fd.tangent))
    if tol.atol is None:
        atol += sum(float(np.sum(np.abs(as64(w)) * e)) for w, e in zip(u, fd.error))
    _compare_scalars(
        "vjp",
        p.where,
        f"<J^T u, v> against <u, J v> by finite differences (step {tol.step:g})",
        lhs,
        rhs,
        atol,
    )


def _dot_product(p: _Problem, tol: Tolerance, rng: np.random.Generator) -> None:
    t, u = p.tangent(rng), p.cotangent(rng)
    _, out_dot = jvp(p.fun, p.primals, tuple(t))
    ct = vjp(p.fun, *p.primals)[1](u)
    lhs, rhs = vdot(u, out_dot), vdot(ct, t)
    atol = tol.exact_atol(norm(u) * norm(out_dot) + norm(ct) * norm(t))
    _compare_scalars(
        "dot_product",
        p.where,
        "<u, J v> (jvp) against <J^T u, v> (vjp)",
        lhs,
        rhs,
        atol,
    )


def check_jvp(
    f: Callable[..., Any],
    args: Sequence[Any],
    *,
    eps: float | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    seed: int = 0,
) -> None:
    """Check that forward mode agrees with central finite differences.

    `jvp(f, args, v)` is compared, element by element, with
    `(f(x + h v) - f(x - h v)) / 2h` along a random direction `v`; the
    primal output of `jvp` must equal `f(*args)`.

    Raises:
      DerivativeCheckError: naming the property 'jvp' and the worst element.

    >>> import funcgrad.numpy as fnp
    >>> check_jvp(fnp.sin, (0.5,))
    """
    p = _Problem.of(f, args, "check_jvp")
    _jvp_fd(p, p.tolerance(eps, atol, rtol), np.random.default_rng(seed))


def check_vjp(
    f: Callable[..., Any],
    args: Sequence[Any],
    *,
    eps: float | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    seed: int = 0,
) -> None:
    """Check that reverse mode agrees with central finite differences.

    `<J^T u, v>` from `vjp` is compared with `<u, (f(x + h v) - f(x - h v)) / 2h>`
    for random `u` and `v`. Forward mode is not used, so this checks
    `custom_vjp` functions too.

    Raises:
      DerivativeCheckError: naming the property 'vjp' and both numbers.

    >>> import funcgrad.numpy as fnp
    >>> check_vjp(lambda x: fnp.sum(x ** 3), (fnp.arange(3.0),))
    """
    p = _Problem.of(f, args, "check_vjp")
    _vjp_fd(p, p.tolerance(eps, atol, rtol), np.random.default_rng(seed))


def check_dot_product(
    f: Callable[..., Any],
    args: Sequence[Any],
    *,
    atol: float | None = None,
    rtol: float | None = None,
    seed: int = 0,
) -> None:
    """Check the dot-product test `<u, J v> == <J^T u, v>`.

    `J v` comes from `jvp` and `J^T u` from `vjp`, for random `u` and `v`:
    forward and reverse mode must describe the same linear map.

    Raises:
      DerivativeCheckError: naming the property 'dot_product' and both sides.

    >>> import funcgrad.numpy as fnp
    >>> check_dot_product(lambda x, y: fnp.outer(x, y), (fnp.ones(2), fnp.ones(3)))
    """
    p = _Problem.of(f, args, "check_dot_product")
    _dot_product(p, p.tolerance(None, atol, rtol), np.random.default_rng(seed))


def check_jvp_linear(
    f: Callable[..., Any],
    args: Sequence[Any],
    *,
    atol: float | None = None,
    rtol: float | None = None,
    seed: int = 0,
) -> None:
    """Check that `jvp` is linear in the tangent.

    `jvp(f, args, a v + b w)` must equal `a jvp(f, args, v) + b jvp(f, args, w)`
    for random `a`, `b`, `v`, `w`; a `custom_jvp` rule that is not linear in
    its tangents breaks this.

    Raises:
      DerivativeCheckError: naming the property 'jvp_linear' and the worst element.

    >>> import funcgrad.numpy as fnp
    >>> check_jvp_linear(fnp.tanh, (fnp.linspace(-1.0, 1.0, 4),))
    """
    p = _Problem.of(f, args, "check_jvp_linear")
    tol = p.tolerance(None, atol, rtol)
    rng = np.random.default_rng(seed)
    v, w = p.tangent(rng), p.tangent(rng)
    a, b = rng.uniform(0.5, 2.0) * rng.choice([-1.0, 1.0]), rng.uniform(0.5, 2.0)
    mixed = [np.asarray(a * as64(x) + b * as64(y), dtype_of(x)) for x, y in zip(v, w)]
    jv = jvp(p.fun, p.primals, tuple(v))[1]
    jw = jvp(p.fun, p.primals, tuple(w))[1]
    jm = jvp(p.fun, p.primals, tuple(mixed))[1]
    want = [a * as64(x) + b * as64(y) for x, y in zip(jv, jw)]
    atol_ = tol.exact_atol(abs(a) * max_abs(jv) + abs(b) * max_abs(jw))
    _compare(
        "jvp_linear",
        p.where,
        f"jvp(a v + b w) against a jvp(v) + b jvp(w) (a = {a:.3g}, b = {b:.3g})",
        jm,
        want,
        atol_,
        tol.rtol,
    )


def check_hessian_symmetric(
    f: Callable[..., Any],
    args: Sequence[Any],
    *,
    modes: Sequence[str] = ("fwd", "rev"),
    atol: float | None = None,
    rtol: float | None = None,
    seed: int = 0,
) -> None:
    """Check that the Hessian of `f` is symmetric: `<u, H v> == <v, H u>`.

    For a function with a non-scalar output, the Hessian is that of the
    scalar `<w, f(x)>` for a random `w`. Hessian-vector products are
    forward-over-reverse (`jvp` of `grad`, as `hessian` computes them), or
    reverse-over-reverse when `modes` lacks "fwd" (for `custom_vjp`).

    Raises:
      DerivativeCheckError: naming the property 'hessian_symmetric' and both sides.

    >>> import funcgrad.numpy as fnp
    >>> check_hessian_symmetric(lambda x: fnp.sum(fnp.sin(x) * x[::-1]), (fnp.ones(3),))
    """
    p = _Problem.of(f, args, "check_hessian_symmetric")
    tol = p.tolerance(None, atol, rtol)
    rng = np.random.default_rng(seed)
    weights = p.cotangent(rng)

    def scalar(*primals: Any) -> Any:
        total = 0.0
        for w, y in zip(weights, p.fun(*primals)):
            total = total + fnp.sum(w * y)
        return total

    g = grad(scalar, argnums=tuple(range(len(p.primals))))

    def hvp(v: Sequence[Any]) -> Any:
        if "fwd" in modes:
            return jvp(g, p.primals, tuple(v))[1]
        return vjp(g, *p.primals)[1](tuple(v))

    u, v = p.tangent(rng), p.tangent(rng)
    hv, hu = hvp(v), hvp(u)
    lhs, rhs = vdot(u, hv), vdot(v, hu)
    atol_ = tol.exact_atol(norm(u) * norm(hv) + norm(v) * norm(hu))
    _compare_scalars(
        "hessian_symmetric", p.where, "<u, H v> against <v, H u>", lhs, rhs, atol_
    )


# --- vmap and jit ----------------------------------------------------------------


def _compare_outputs(
    prop: str, where: str, what: str, got: Any, want: Any, tol: Tolerance
) -> None:
    """Same pytree structure, shapes and dtypes; values equal up to rounding."""
    got_leaves, got_tree = tree_flatten(got)
    want_leaves, want_tree = tree_flatten(want)
    if got_tree != want_tree:
        raise _fail(
            prop, where, f"{what}: output structure {got_tree}, want {want_tree}."
        )
    for k, (g, w) in enumerate(zip(got_leaves, want_leaves)):
        g, w = np.asarray(g), np.asarray(w)
        if g.dtype != w.dtype or g.shape != w.shape:
            raise _fail(
                prop,
                where,
                f"{what}: output leaf {k} is {g.dtype}{list(g.shape)}, "
                f"want {w.dtype}{list(w.shape)}.",
            )
    floats = [(g, w) for g, w in zip(got_leaves, want_leaves) if _is_float(w)]
    others = [(g, w) for g, w in zip(got_leaves, want_leaves) if not _is_float(w)]
    for g, w in others:
        _compare(prop, where, what, [g], [w], 0.0, 0.0)
    if floats:
        scale = max_abs(w for _, w in floats)
        _compare(
            prop,
            where,
            what,
            [g for g, _ in floats],
            [w for _, w in floats],
            tol.exact_atol(scale),
            tol.rtol,
        )


def check_vmap(
    f: Callable[..., Any],
    batched_args: Sequence[Any],
    in_axes: int | Sequence[int | None] | None = 0,
    *,
    atol: float | None = None,
    rtol: float | None = None,
) -> None:
    """Check that `vmap(f, in_axes)` equals a Python loop over the batch.

    `in_axes` is an int or `None` for all arguments, or one per argument (an
    int applies to every leaf of that argument). Results must have the same
    pytree structure, shapes and dtypes, and equal values up to rounding.

    Raises:
      DerivativeCheckError: naming the property 'vmap' and the worst element.

    >>> import funcgrad.numpy as fnp
    >>> check_vmap(lambda x, w: fnp.tanh(x @ w), (fnp.ones((4, 3)), fnp.ones(3)), (0, None))
    """
    args = _as_args(batched_args, "check_vmap")
    if in_axes is None or isinstance(in_axes, int):
        axes: tuple[int | None, ...] = (in_axes,) * len(args)
    else:
        axes = tuple(in_axes)
    if len(axes) != len(args):
        raise ValueError(
            f"`check_vmap`: `in_axes` has {len(axes)} entries for {len(args)} "
            f"arguments; give one per argument."
        )
    sizes = {
        np.shape(leaf)[ax]
        for arg, ax in zip(args, axes)
        if ax is not None
        for leaf in tree_flatten(arg)[0]
    }
    if len(sizes) != 1:
        raise ValueError(
            f"`check_vmap`: the mapped axes have sizes {sorted(sizes)}; they need "
            f"one common size."
        )
    size = sizes.pop()

    def member(i: int) -> list[Any]:
        out = []
        for arg, ax in zip(args, axes):
            leaves, treedef = tree_flatten(arg)
            if ax is not None:
                leaves = [np.take(np.asarray(x), i, axis=ax) for x in leaves]
            out.append(tree_unflatten(treedef, leaves))
        return out

    got = vmap(f, in_axes=axes)(*args)
    outs = [f(*member(i)) for i in range(size)]
    want_leaves = [tree_flatten(o)[0] for o in outs]
    stacked = [
        np.stack([np.asarray(m[k]) for m in want_leaves])
        for k in range(len(want_leaves[0]))
    ]
    want = tree_unflatten(tree_flatten(outs[0])[1], stacked)
    leaves = tree_flatten(args)[0] + stacked
    tol = tolerance(leaves, None, atol, rtol)
    _compare_outputs(
        "vmap",
        f"`{_name(f)}`",
        f"vmap over {size} members against a loop",
        got,
        want,
        tol,
    )


def check_jit(
    f: Callable[..., Any],
    args: Sequence[Any],
    *,
    static_argnums: int | Sequence[int] = (),
    atol: float | None = None,
    rtol: float | None = None,
) -> None:
    """Check that `jit(f)` equals `f`: structure, shapes, dtypes and values.

    Values may differ by rounding (compiled kernels may sum in another
    order), within a tolerance set by the dtype and the size of the output.

    Raises:
      DerivativeCheckError: naming the property 'jit' and the worst element.

    >>> import funcgrad.numpy as fnp
    >>> check_jit(lambda x: fnp.sum(fnp.exp(x) * 2.0), (fnp.ones(5),))
    """
    args = _as_args(args, "check_jit")
    want = f(*args)
    got = jit(f, static_argnums=static_argnums)(*args)
    tol = tolerance(tree_flatten(args)[0] + tree_flatten(want)[0], None, atol, rtol)
    _compare_outputs("jit", f"`{_name(f)}`", "jit(f)(x) against f(x)", got, want, tol)


# --- check_grads -------------------------------------------------------------------


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
    """Check `f`'s derivatives at `args` up to `order`, with adaptive tolerances.

    The same calling convention as `funcgrad.test_util.check_grads`. With
    "fwd", forward mode is checked against central finite differences
    (`check_jvp`); with "rev", reverse mode is (`check_vjp`); with both, they
    are checked against each other (`check_dot_product`). For `order > 1` the
    same checks run on the derivatives themselves: `x -> J(x) v` in forward
    mode, `x -> J(x)^T u` in every mode given.

    Tolerances adapt: the step and relative tolerances follow the least
    precise float dtype among the inputs and outputs (float64: step 1e-5,
    rtol 1e-6; float32: 1e-2 and 1e-2), and the absolute tolerance follows
    the scale of the derivatives and of the outputs, so a function of size
    1e6 and one of size 1e-6 are checked equally strictly. `eps`, `atol`
    and `rtol` override them.

    Raises:
      DerivativeCheckError: naming the property that broke, at which order.
      TypeError, ValueError: for arguments that are not a tuple, or a bad
        `order` or mode.

    >>> import funcgrad.numpy as fnp
    >>> check_grads(lambda x: 1e8 * fnp.sin(x), (0.5,), order=2)
    """
    if order < 1:
        raise ValueError(f"`check_grads` needs order >= 1, got {order}.")
    for mode in modes:
        if mode not in ("fwd", "rev"):
            raise ValueError(f"`check_grads` modes are 'fwd' and 'rev', got {mode!r}.")
    p = _Problem.of(f, args, "check_grads")
    _check_grads(p, order, tuple(modes), (eps, atol, rtol), seed)


def _check_grads(
    p: _Problem, order: int, modes: tuple[str, ...], options: tuple, seed: int
) -> None:
    tol = p.tolerance(*options)
    rng = np.random.default_rng(seed)
    if "fwd" in modes:
        _jvp_fd(p, tol, rng)
    if "rev" in modes:
        _vjp_fd(p, tol, rng)
    if "fwd" in modes and "rev" in modes:
        _dot_product(p, tol, rng)
    if order == 1:
        return
    if "fwd" in modes:
        v = tuple(p.tangent(rng))

        def f_jvp(*primals: Any) -> list:
            return list(jvp(p.fun, primals, v)[1])

        where = f"the jvp (along a fixed tangent) of {p.where}"
        inner = _Problem(f_jvp, p.primals, where, p.noise_scale * max_abs(v))
        _check_grads(inner, order - 1, ("fwd",), options, seed + 1)
    if "rev" in modes:
        u = p.cotangent(rng)

        def f_vjp(*primals: Any) -> list:
            return list(vjp(p.fun, *primals)[1](u))

        where = f"the vjp (of a fixed cotangent) of {p.where}"
        inner = _Problem(f_vjp, p.primals, where, p.noise_scale * max_abs(u))
        _check_grads(inner, order - 1, modes, options, seed + 2)
