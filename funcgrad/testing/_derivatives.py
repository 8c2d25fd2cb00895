"""`check_derivatives`: every derivative property of a function, under hypothesis.

One call draws inputs from strategies, runs the chosen property checks of
`funcgrad.testing._checks` on each, and lets hypothesis shrink a failure to
the smallest input it can find. Every failing property at that input is
reported in one `DerivativeCheckError`, raised from one place, so that
hypothesis treats all of them as one bug and shrinks them together:

    check_derivatives(f, arrays(shape=(3,), away_from=(0.0,)))

fails, for a function with a wrong reverse-mode rule, with a message that
begins "`check_derivatives` of `f`: 1 of 7 properties broke (vjp) at", then
shows the input and the numbers.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import hypothesis
import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException

from funcgrad.core import tree_flatten, tree_unflatten
from funcgrad.errors import DerivativeCheckError
from funcgrad.testing._checks import (
    PROPERTIES,
    _name,
    check_dot_product,
    check_grads,
    check_hessian_symmetric,
    check_jit,
    check_jvp_linear,
    check_vmap,
)

BATCH_SIZE = 3  # members of the batch `vmap` is checked on


def _check_one(
    prop: str, f: Callable[..., Any], args: tuple, order: int, options: dict, seed: int
) -> None:
    """Run the check of property `prop` on one input."""
    tol = {k: options[k] for k in ("atol", "rtol")}
    if prop == "jvp":
        check_grads(f, args, order, ("fwd",), seed=seed, **options)
    elif prop == "vjp":
        check_grads(f, args, order, ("rev",), seed=seed, **options)
    elif prop == "dot_product":
        check_dot_product(f, args, seed=seed, **tol)
    elif prop == "jvp_linear":
        check_jvp_linear(f, args, seed=seed, **tol)
    elif prop == "hessian_symmetric":
        check_hessian_symmetric(f, args, seed=seed, **tol)
    elif prop == "vmap":
        check_vmap(f, batch_of(args, seed), 0, **tol)
    elif prop == "jit":
        check_jit(f, args, **tol)


def batch_of(args: tuple, seed: int = 0, size: int = BATCH_SIZE) -> tuple:
    """A batch (new leading axis) of `size` inputs made from one input.

    The first member is `args`; the others permute the elements of each
    floating-point leaf, so every member keeps the values, and with them
    the bounds and the distance from kinks, that the strategy drew.
    Other leaves are repeated.

    >>> import numpy as np
    >>> batch_of((np.array([1.0, 2.0]), 3), size=2)[0].shape
    (2, 2)
    """
    leaves, treedef = tree_flatten(tuple(args))
    rng = np.random.default_rng(seed)
    members = [[np.asarray(x) for x in leaves]]
    for _ in range(size - 1):
        members.append([_permuted(np.asarray(x), rng) for x in leaves])
    stacked = [np.stack([m[i] for m in members]) for i in range(len(leaves))]
    return tuple(tree_unflatten(treedef, stacked))


def _permuted(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if x.dtype.kind != "f" or x.size < 2:
        return x
    return rng.permutation(x.ravel()).reshape(x.shape)


def _properties(properties: Sequence[str] | None) -> tuple[str, ...]:
    if properties is None:
        return tuple(PROPERTIES)
    if isinstance(properties, str):
        properties = (properties,)
    unknown = [p for p in properties if p not in PROPERTIES]
    if unknown or not properties:
        raise ValueError(
            f"`check_derivatives`: unknown properties {unknown}; choose among "
            f"{', '.join(PROPERTIES)}."
        )
    return tuple(properties)


def _report(f: Callable[..., Any], args: tuple, total: int, failures: list) -> str:
    names = ", ".join(name for name, _ in failures)
    lines = [
        f"`check_derivatives` of `{_name(f)}`: {len(failures)} of {total} "
        f"properties broke ({names}) at",
        f"  args = {args!r}",
    ]
    for name, err in failures:
        if isinstance(err, DerivativeCheckError):
            text = str(err)
        else:
            text = (
                f"property '{name}' ({PROPERTIES[name]}) raised "
                f"{type(err).__name__}: {err}\n(leave '{name}' out of "
                f"`properties` if `{_name(f)}` does not support it.)"
            )
        lines.append(f"\n[{name}] {text}")
    return "\n".join(lines)


def _finite(out: Any) -> bool:
    for y in tree_flatten(out)[0]:
        y = np.asarray(y)
        if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
            return False
    return True


def run_properties(
    f: Callable[..., Any],
    args: Sequence[Any],
    properties: Sequence[str] | None = None,
    order: int = 2,
    *,
    eps: float | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    seed: int = 0,
) -> None:
    """Check the chosen properties (all by default) of `f` at one input.

    Runs every property, then raises one `DerivativeCheckError` listing
    all that broke, with the input. An input where `f` is not finite is
    rejected under `@given` (as `hypothesis.assume(False)` would), and is a
    `ValueError` elsewhere.

    >>> import funcgrad.numpy as fnp
    >>> run_properties(fnp.tanh, (fnp.linspace(-1.0, 1.0, 3),))
    """
    props = _properties(properties)
    args = tuple(args)
    with np.errstate(all="ignore"):
        finite = _finite(f(*args))
    if not finite:
        if hypothesis.currently_in_test_context():
            hypothesis.reject()
        raise ValueError(
            f"`run_properties`: `{_name(f)}` is not finite at {args!r}, so its "
            f"derivatives cannot be checked there."
        )
    options = {"eps": eps, "atol": atol, "rtol": rtol}
    failures = []
    for prop in props:
        try:
            _check_one(prop, f, args, order, options, seed)
        except HypothesisException:
            raise
        except Exception as err:
            failures.append((prop, err))
    if failures:
        # Raised outside the `except`, so that every failure has the same
        # origin for hypothesis (which looks at `__context__`).
        names = tuple(name for name, _ in failures)
        raise DerivativeCheckError(_report(f, args, len(props), failures), names, args)


def _identifier(f: Callable[..., Any]) -> str:
    name = str(getattr(f, "__name__", "f"))
    return "".join(c if c.isalnum() else "_" for c in name).strip("_") or "f"


def _call_site(depth: int = 2) -> str:
    """`module:line` of the caller's caller: stable across machines."""
    frame = sys._getframe(depth)
    return f"{frame.f_globals.get('__name__', '?')}:{frame.f_lineno}"


def _given_test(
    f: Callable[..., Any],
    strategies: tuple,
    args: st.SearchStrategy | None,
    key: str,
    settings: hypothesis.settings | None,
    run: dict[str, Any],
) -> Callable[[], None]:
    if args is not None and strategies:
        raise TypeError(
            "`check_derivatives` takes either one strategy per argument or "
            "`args=` (a strategy of argument tuples), not both."
        )
    if args is None and not strategies:
        raise TypeError(
            "`check_derivatives` needs a strategy per argument of the function, "
            "for example `check_derivatives(f, arrays(shape=(3,)))`."
        )
    drawn = args if args is not None else st.tuples(*strategies)
    _properties(run.get("properties"))

    def test(args: tuple) -> None:
        run_properties(f, args, **run)

    test.__name__ = test.__qualname__ = f"check_derivatives_of_{_identifier(f)}"
    # The digest hypothesis keys its example database and derandomized seed
    # on: without it, every call would share the source of `test`.
    test._hypothesis_internal_add_digest = f"{key}:{_name(f)}".encode()  # type: ignore[attr-defined]
    test = hypothesis.given(args=drawn)(test)
    # No deadline, whatever the settings: a first call traces and compiles.
    # No explain phase: the lines it would point at are funcgrad.testing's
    # own, not the user's, and tracing them is slow.
    base = settings if settings is not None else hypothesis.settings()
    phases = tuple(ph for ph in base.phases if ph != hypothesis.Phase.explain)
    return hypothesis.settings(base, deadline=None, phases=phases)(test)


def check_derivatives(
    f: Callable[..., Any],
    *strategies: st.SearchStrategy,
    args: st.SearchStrategy | None = None,
    properties: Sequence[str] | None = None,
    order: int = 2,
    settings: hypothesis.settings | None = None,
    eps: float | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    seed: int = 0,
) -> None:
    """Check derivative properties of `f` on inputs hypothesis draws.

    Args:
      f: the function; its arguments may be pytrees.
      *strategies: one strategy per positional argument of `f`.
      args: instead, a strategy of argument tuples, for arguments that
        depend on each other (`broadcastable_arrays()`, for example).
      properties: names from `PROPERTIES` ("jvp", "vjp", "dot_product",
        "jvp_linear", "hessian_symmetric", "vmap", "jit"); all by default.
        A `custom_vjp` function has no forward mode: use
        `properties=("vjp", "vmap", "jit")`.
      order: the derivative order the "jvp" and "vjp" properties reach.
      settings: `hypothesis.settings` to run under (the current profile's by
        default), always without a deadline (a first call may compile) and
        without the explain phase (it would point into funcgrad.testing).
      eps, atol, rtol: override the adaptive step and tolerances.
      seed: seeds the random directions of the checks.

    Raises:
      DerivativeCheckError: at the smallest failing input hypothesis found,
        naming every property that broke there, with the input and the
        numbers. hypothesis adds the falsifying example as a note.

    Call it inside a test function; `derivative_test` makes a test instead.
    Inputs at which `f` is not finite are skipped (`hypothesis.assume`).

    >>> import funcgrad.numpy as fnp
    >>> from funcgrad.testing import arrays
    >>> check_derivatives(fnp.sin, arrays(shape=(2,)), settings=hypothesis.settings(max_examples=3))
    """
    run = dict(
        properties=properties, order=order, eps=eps, atol=atol, rtol=rtol, seed=seed
    )
    _given_test(f, strategies, args, _call_site(), settings, run)()


def derivative_test(
    f: Callable[..., Any],
    *strategies: st.SearchStrategy,
    args: st.SearchStrategy | None = None,
    properties: Sequence[str] | None = None,
    order: int = 2,
    settings: hypothesis.settings | None = None,
    eps: float | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    seed: int = 0,
) -> Callable[[], None]:
    """A test function that runs `check_derivatives` with these arguments.

    Assign it to a name pytest collects, at the top of a test module:

        test_sin_derivatives = derivative_test(fnp.sin, arrays(shape=(3,)))

    The hypothesis settings are looked up when the test runs, so profiles
    loaded by a conftest or by `--funcgrad-profile` apply.

    >>> import funcgrad.numpy as fnp
    >>> from funcgrad.testing import arrays
    >>> test = derivative_test(fnp.cos, arrays(shape=()), properties=("jvp", "vjp"))
    >>> test.__name__
    'test_derivatives_of_cos'
    """
    run = dict(
        properties=properties, order=order, eps=eps, atol=atol, rtol=rtol, seed=seed
    )
    key = _call_site()
    _properties(properties)

    def test() -> None:
        _given_test(f, strategies, args, key, settings, run)()

    test.__name__ = test.__qualname__ = f"test_derivatives_of_{_identifier(f)}"
    return test
