"""Property tests for every primitive, driven by `primitive_specs.SPECS`.

For each spec, hypothesis draws operands and static parameters, and the
tests check the values against numpy, the derivatives against finite
differences in float64, that float32 stays float32 through jvp and vjp,
that the programs `make_jaxpr` records for the function and its gradient
type-check, and that `vmap` agrees with a loop over numpy. A meta-test fails
when a primitive lacks a rule or a spec; known funcgrad bugs are strict
expected failures named in the spec table.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from primitive_specs import F32, F64, SPECS, AbstractCase, PrimitiveSpec

import funcgrad as fg
import funcgrad.numpy as fnp
import funcgrad.primitives
from funcgrad.core import Primitive, ShapedArray, typecheck_jaxpr
from funcgrad.errors import ShapeError
from funcgrad.test_util import check_grads
from funcgrad.transforms import add_any_p, batch_rules, jvp_rules, transpose_rules

# --- parametrization ------------------------------------------------------------


def _param(test: str, spec: PrimitiveSpec, dtype: np.dtype, *rest: Any, id: str) -> Any:
    reason = spec.known_bug(test, dtype)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(spec, *rest, marks=marks, id=id)


def _by_dtype(test: str) -> list[Any]:
    return [
        _param(test, spec, dtype, dtype, id=f"{spec.name}-{dtype.name}")
        for spec in SPECS
        for dtype in spec.dtypes
    ]


def _in(test: str, dtype: np.dtype, keep: Callable[[PrimitiveSpec], bool]) -> list[Any]:
    return [
        _param(test, spec, dtype, id=spec.name)
        for spec in SPECS
        if dtype in spec.dtypes and keep(spec)
    ]


def _error_cases(kind: str) -> list[Any]:
    params = []
    for spec in SPECS:
        for i, case in enumerate(getattr(spec, kind)):
            xfail = pytest.mark.xfail(strict=True, reason=case.xfail)
            marks = [xfail] if case.xfail else []
            params.append(pytest.param(spec, case, id=f"{spec.name}-{i}", marks=marks))
    return params


# --- helpers --------------------------------------------------------------------


def _draw(data: st.DataObject, spec: PrimitiveSpec, dtype: np.dtype) -> Any:
    return data.draw(spec.cases(np.dtype(dtype)), label="(operands, params)")


def _assert_values(got: Any, want: Any, dtype: np.dtype, tol: float) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"shape {got.shape}, numpy gives {want.shape}"
    if np.dtype(dtype).kind in "fc":
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    else:
        np.testing.assert_array_equal(got, want)


def _differentiated(operands: Sequence[np.ndarray]) -> tuple[int, ...]:
    """The operands that carry derivatives: the floating ones."""
    return tuple(i for i, x in enumerate(operands) if x.dtype.kind == "f")


def _of_differentiated(
    spec: PrimitiveSpec, operands: Sequence[np.ndarray], params: dict
) -> tuple[Callable[..., Any], list[np.ndarray]]:
    """`spec.fun` as a function of its floating operands only."""
    which = _differentiated(operands)

    def f(*diff: Any) -> Any:
        full = list(operands)
        for i, x in zip(which, diff):
            full[i] = x
        return spec.fun(*full, **params)

    return f, [operands[i] for i in which]


def _differentiable(spec: PrimitiveSpec, dtype: np.dtype, params: dict) -> bool:
    floating = dtype.kind == "f" and spec.expected_dtype(dtype, params).kind == "f"
    return floating and (spec.order >= 1 or spec.zero_derivative)


# --- values ---------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "dtype"), _by_dtype("values"))
@given(data=st.data())
def test_values_match_numpy(spec: PrimitiveSpec, dtype: np.dtype, data: Any) -> None:
    operands, params = _draw(data, spec, dtype)

    out = spec.fun(*operands, **params)
    want = spec.reference(*operands, **params)

    assert isinstance(out, np.ndarray), f"result is a {type(out).__name__}"
    assert out.dtype == spec.expected_dtype(dtype, params)
    _assert_values(out, want, out.dtype, spec.tolerance(dtype))


# --- derivatives ------------------------------------------------------------------


def _check_reverse_only(
    f: Callable[..., Any], primals: Sequence[np.ndarray], order: int, seed: int = 0
) -> None:
    """`<u, J v>` by central differences against `<J^T u, v>` from `vjp`, for
    functions without forward mode; then the same for `x -> J(x)^T u`."""
    rng = np.random.default_rng(seed)
    eps = 1e-5
    v = [rng.standard_normal(x.shape) for x in primals]
    out, f_vjp = fg.vjp(f, *primals)
    u = rng.standard_normal(np.shape(out))
    plus = f(*[x + eps * d for x, d in zip(primals, v)])
    minus = f(*[x - eps * d for x, d in zip(primals, v)])
    numeric = np.vdot(u, (np.asarray(plus) - np.asarray(minus)) / (2 * eps))
    reverse = sum(np.vdot(c, d) for c, d in zip(f_vjp(u), v))
    np.testing.assert_allclose(reverse, numeric, rtol=1e-5, atol=1e-5)
    if order > 1:

        def pulled_back(*xs: Any) -> Any:
            return fg.vjp(f, *xs)[1](u)[0]

        _check_reverse_only(pulled_back, primals, order - 1, seed + 1)


@pytest.mark.parametrize("spec", _in("derivatives", F64, lambda s: s.order >= 1))
@given(data=st.data())
def test_derivatives_match_finite_differences(spec: PrimitiveSpec, data: Any) -> None:
    operands, params = _draw(data, spec, F64)
    f, primals = _of_differentiated(spec, operands, params)

    if "fwd" in spec.modes:
        check_grads(f, primals, spec.order, spec.modes, **spec.grad_options)
    else:
        _check_reverse_only(f, primals, spec.order)


@pytest.mark.parametrize("spec", _in("zero", F64, lambda s: s.zero_derivative))
@given(data=st.data())
def test_zero_derivatives_are_zero(spec: PrimitiveSpec, data: Any) -> None:
    operands, params = _draw(data, spec, F64)
    f, primals = _of_differentiated(spec, operands, params)
    tangents = tuple(np.ones_like(x) for x in primals)

    out, out_dot = fg.jvp(f, tuple(primals), tangents)
    _, f_vjp = fg.vjp(f, *primals)
    cts = f_vjp(np.ones(out.shape, out.dtype))

    assert np.shape(out_dot) == out.shape and not np.any(out_dot)
    for ct, x in zip(cts, primals):
        assert ct.shape == x.shape and ct.dtype == x.dtype and not np.any(ct)


@pytest.mark.parametrize("spec", _in("float32", F32, lambda s: s.order >= 1))
@given(data=st.data())
def test_float32_derivatives_stay_float32(spec: PrimitiveSpec, data: Any) -> None:
    operands, params = _draw(data, spec, F32)
    f, primals = _of_differentiated(spec, operands, params)
    out_dtype = spec.expected_dtype(F32, params)
    tangents = tuple(np.full_like(x, 0.5) for x in primals)

    if "fwd" in spec.modes:
        out, out_dot = fg.jvp(f, tuple(primals), tangents)
        assert (out.dtype, out_dot.dtype) == (out_dtype, out_dtype)
        assert out_dot.shape == out.shape

    if "rev" in spec.modes:
        out, f_vjp = fg.vjp(f, *primals)
        cts = f_vjp(np.ones(out.shape, out_dtype))
        assert [(c.shape, c.dtype) for c in cts] == [(x.shape, F32) for x in primals]


# --- programs -------------------------------------------------------------------


def _sum_of_output(f: Callable[..., Any]) -> Callable[..., Any]:
    def loss(*args: Any) -> Any:
        return fnp.sum(f(*args))

    return loss


@pytest.mark.parametrize(("spec", "dtype"), _by_dtype("programs"))
@given(data=st.data())
def test_programs_typecheck(spec: PrimitiveSpec, dtype: np.dtype, data: Any) -> None:
    operands, params = _draw(data, spec, dtype)
    want = np.asarray(spec.reference(*operands, **params))
    out_aval = ShapedArray(want.shape, spec.expected_dtype(dtype, params))

    def f(*xs: Any) -> Any:
        return spec.fun(*xs, **params)

    closed = fg.make_jaxpr(f)(*operands)
    typecheck_jaxpr(closed.jaxpr)
    assert spec.primitive in {e.primitive for e in closed.eqns}, str(closed)
    assert closed.out_avals == [out_aval]
    (staged,) = closed(*operands)
    assert isinstance(staged, np.ndarray), f"result is a {type(staged).__name__}"
    assert staged.dtype == out_aval.dtype
    _assert_values(staged, want, out_aval.dtype, spec.tolerance(dtype))

    if not _differentiable(spec, np.dtype(dtype), params):
        return
    which = _differentiated(operands)
    if "rev" not in spec.modes:
        tangents = tuple(np.ones_like(operands[i]) for i in which)
        g, primals = _of_differentiated(spec, operands, params)
        closed_jvp = fg.make_jaxpr(lambda *p: fg.jvp(g, p, tangents))(*primals)
        typecheck_jaxpr(closed_jvp.jaxpr)
        assert closed_jvp.out_avals == [out_aval, out_aval]
        return
    closed_grad = fg.make_jaxpr(fg.grad(_sum_of_output(f), argnums=which))(*operands)
    typecheck_jaxpr(closed_grad.jaxpr)
    assert closed_grad.out_avals == [
        ShapedArray(operands[i].shape, operands[i].dtype) for i in which
    ]


# --- batching -------------------------------------------------------------------


def _batch(x: np.ndarray, size: int, axis: int, seed: int) -> np.ndarray:
    """`size` versions of `x` stacked along `axis`: `x` and shuffles of it,
    which keep each element in its operand's domain."""
    rng = np.random.default_rng(seed)
    versions = [x] + [
        rng.permutation(x.ravel()).reshape(x.shape) for _ in range(size - 1)
    ]
    return np.stack(versions, axis=axis)


@pytest.mark.parametrize(("spec", "dtype"), _by_dtype("batching"))
@given(data=st.data())
def test_batching_matches_a_loop(
    spec: PrimitiveSpec, dtype: np.dtype, data: Any
) -> None:
    operands, params = _draw(data, spec, dtype)
    size = data.draw(st.integers(1, 3), label="batch size")
    in_axes = tuple(
        data.draw(st.none() | st.integers(0, x.ndim), label=f"in_axes[{i}]")
        for i, x in enumerate(operands)
    )
    seed = data.draw(st.integers(0, 2**16), label="seed")
    batched = [
        x if axis is None else _batch(x, size, axis, seed + i)
        for i, (x, axis) in enumerate(zip(operands, in_axes))
    ]

    def f(*xs: Any) -> Any:
        return spec.fun(*xs, **params)

    out = fg.vmap(f, in_axes=in_axes, axis_size=size)(*batched)
    examples = [
        [
            x if axis is None else np.take(x, i, axis)
            for x, axis in zip(batched, in_axes)
        ]
        for i in range(size)
    ]
    want = np.stack([np.asarray(spec.reference(*e, **params)) for e in examples])

    assert out.dtype == spec.expected_dtype(dtype, params)
    _assert_values(out, want, out.dtype, spec.tolerance(dtype))


# --- completeness -----------------------------------------------------------------


def _all_primitives() -> Iterator[Primitive]:
    """Every `Primitive` in a `funcgrad.primitives` module, and `add_any`."""
    seen: set[int] = set()
    modules = [
        importlib.import_module(f"funcgrad.primitives.{info.name}")
        for info in pkgutil.iter_modules(funcgrad.primitives.__path__)
    ]
    found = [v for m in modules for v in vars(m).values() if isinstance(v, Primitive)]
    for primitive in [*found, add_any_p]:
        if id(primitive) not in seen:
            seen.add(id(primitive))
            yield primitive


def _problems(primitive: Primitive) -> Iterator[str]:
    specs = [s for s in SPECS if s.primitive is primitive]
    covered = any(primitive in s.covers for s in SPECS)
    linear = {s.linear for s in specs} | ({True} if covered else set())
    if primitive.impl is None:
        yield "no implementation"
    if primitive.abstract_eval is None:
        yield "no abstract evaluation"
    if primitive not in jvp_rules:
        yield "no jvp rule"
    if not specs and not covered:
        yield "no spec in tests/primitive_specs.py"
    if len(linear) > 1:
        yield "its specs disagree on `linear`"
    if True in linear and primitive not in transpose_rules:
        yield "its spec says linear, but it has no transpose rule"
    if linear == {False} and primitive in transpose_rules:
        yield "it has a transpose rule, but its spec says not linear"


def test_every_primitive_has_its_rules_and_a_spec() -> None:
    found = list(_all_primitives())
    problems = [f"{p.name}: {msg}" for p in found for msg in _problems(p)]
    problems += [
        f"spec {s.name}: {p.name} is not a primitive of funcgrad"
        for s in SPECS
        for p in (s.primitive, *s.covers)
        if all(p is not q for q in found)
    ]

    assert not problems, "Incomplete primitives:\n" + "\n".join(problems)


def test_every_primitive_has_a_batching_rule() -> None:
    missing = [p.name for p in _all_primitives() if p not in batch_rules]
    if not batch_rules:
        # Known gap until vmap lands; once any rule exists, all are required.
        pytest.xfail(
            f"vmap is not implemented yet: no primitive has a batching rule "
            f"({len(missing)} lack one: {', '.join(missing)})."
        )

    assert not missing, "No batching rule for: " + ", ".join(missing)


# --- errors -----------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "case"), _error_cases("shape_errors"))
def test_shape_errors_name_the_primitive(
    spec: PrimitiveSpec, case: AbstractCase
) -> None:
    with pytest.raises(ShapeError) as info:
        spec.primitive.run_abstract_eval(*case.avals, **case.params)

    assert f"`{spec.primitive.name}`" in str(info.value)


@pytest.mark.parametrize(("spec", "case"), _error_cases("dtype_errors"))
def test_dtype_errors_are_type_errors(spec: PrimitiveSpec, case: AbstractCase) -> None:
    with pytest.raises(TypeError) as info:
        spec.primitive.run_abstract_eval(*case.avals, **case.params)

    assert f"`{spec.primitive.name}`" in str(info.value)
