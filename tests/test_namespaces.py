"""`funcgrad.numpy.linalg`, `funcgrad.scipy.linalg`, `funcgrad.scipy.special`
and `funcgrad.nn` against numpy and scipy, driven by the table of specs in
`namespace_specs.py`.

Every spec is checked the same ways:

- values in float32 and float64, eagerly (plain `ndarray` results) and
  inside `make_jaxpr` (the program evaluated) and `jvp`, against the
  oracle's function: numpy, scipy, or `NN_REFERENCE`'s definitions;
- first derivatives in float64, `grad` and `jvp`, against central
  differences of the oracle's function;
- second derivatives in float64: `jvp` of `jvp` against the second central
  difference, and the Hessian-vector product, forward over reverse and
  reverse over reverse, against differences of differences;
- float32 derivatives (`grad` and `jvp`) stay float32;
- `vmap` over a batch of three inputs against a Python loop, batched along
  the first axis, along the last, and one argument at a time;
- `jit` against eager and the oracle: one program per namespace and
  dtype computes the first spec of each of its functions, so that the
  compiled kernels stay few.

The meta-test at the end fails when a public function of one of these
namespaces has no spec. Known bugs are strict expected failures.
"""

from __future__ import annotations

import types
import zlib
from collections.abc import Iterable
from typing import Any

import numpy as np
import pytest
from _spec_helpers import (
    assert_all_same,
    check_derivatives,
    check_second_derivatives,
    check_traced,
    float_outputs,
    leaves,
    rtol_for,
)
from namespace_specs import NAMESPACES, ORACLE, OURS, SPECS, Spec

import funcgrad as fg
import funcgrad.numpy as fnp


def _name(dtype: Any) -> str:
    return np.dtype(dtype).name


def _tol(s: Spec, dtype: Any) -> float:
    return s.tol.get(_name(dtype), rtol_for(dtype))


def _expected(s: Spec, args: tuple) -> Any:
    """The oracle's outputs, in the dtype funcgrad deliberately gives where
    it differs (`out_dtypes`)."""
    out = s.fn(ORACLE, *args)
    keep = s.out_dtypes.get(_name(args[0].dtype))
    if keep is None:
        return out
    for leaf in leaves(out):
        assert np.asarray(leaf).dtype != keep, "the oracle agrees: not a difference"
    kept = [np.asarray(leaf).astype(keep) for leaf in leaves(out)]
    return tuple(kept) if isinstance(out, tuple | list) else kept[0]


# The derivative checks (in float64 only) and the order each needs.
_ORDER_NEEDED = {"derivatives": 1, "second": 2}


def _params(kind: str) -> list[Any]:
    """(spec, dtype) pairs for a check, known bugs as strict expected
    failures (keyed by the check, or by the check and the dtype)."""
    params = []
    for s in SPECS:
        if s.order < _ORDER_NEEDED.get(kind, 0):
            continue
        for dtype in (np.float64,) if kind in _ORDER_NEEDED else s.dtypes:
            reason = s.bugs.get(f"{kind}-{_name(dtype)}", s.bugs.get(kind))
            marks = [pytest.mark.xfail(strict=True, reason=f"bug: {reason}")]
            label = f"{s.namespace}.{s.label}-{_name(dtype)}"
            params.append(
                pytest.param(s, dtype, id=label, marks=marks if reason else [])
            )
    return params


def _seed(s: Spec) -> int:
    return zlib.crc32(f"{s.namespace}.{s.label}".encode())


@pytest.mark.parametrize(("s", "dtype"), _params("values"))
def test_values_match_the_oracle(s: Spec, dtype: Any) -> None:
    args = s.args(dtype)
    want = _expected(s, args)

    eager = s.fn(OURS, *args)

    for leaf in leaves(eager):
        assert type(leaf) is np.ndarray, f"got a {type(leaf).__name__}"
    assert_all_same(eager, want, _tol(s, dtype))
    check_traced(
        lambda *a: _expected(s, a),
        lambda *a: s.fn(OURS, *a),
        args,
        _seed(s),
        _tol(s, dtype),
        s.jvp,
    )


@pytest.mark.parametrize(("s", "dtype"), _params("derivatives"))
def test_derivatives_match_finite_differences(s: Spec, dtype: Any) -> None:
    check_derivatives(s.fn, s.args(dtype), _seed(s), ORACLE, OURS)


@pytest.mark.parametrize(("s", "dtype"), _params("second"))
def test_second_derivatives_match_finite_differences(s: Spec, dtype: Any) -> None:
    check_second_derivatives(s.fn, s.args(dtype), _seed(s) + 1, ORACLE, OURS)


def _layouts(count: int) -> list[tuple[str, tuple]]:
    """`vmap`'s `in_axes` to check: every argument batched along its first
    axis, or along its last, and each argument batched alone (the others
    shared by the whole batch)."""
    layouts = [("first axis", (0,) * count), ("last axis", (-1,) * count)]
    if count > 1:
        for k in range(count):
            alone = tuple(0 if j == k else None for j in range(count))
            layouts.append((f"argument {k} alone", alone))
    return layouts


@pytest.mark.parametrize(("s", "dtype"), _params("vmap"))
def test_vmap_matches_a_loop(s: Spec, dtype: Any) -> None:
    shared = s.args(dtype)
    draws = [s.args(dtype, draw) for draw in (1, 2, 3)]
    for layout, in_axes in _layouts(len(shared)):
        examples = [
            tuple(
                a if axis is None else d for a, d, axis in zip(shared, drawn, in_axes)
            )
            for drawn in draws
        ]
        stacked = tuple(
            a if axis is None else np.stack([e[j] for e in examples], axis=axis)
            for j, (a, axis) in enumerate(zip(shared, in_axes))
        )

        got = fg.vmap(lambda *a: s.fn(OURS, *a), in_axes=in_axes)(*stacked)

        wants = [leaves(_expected(s, e)) for e in examples]
        want = [np.stack(column) for column in zip(*wants)]
        try:
            assert_all_same(got, want, _tol(s, dtype))
        except AssertionError as err:
            raise AssertionError(f"batched along the {layout}: {err}") from None


@pytest.mark.parametrize(
    "s",
    [
        pytest.param(s, id=f"{s.namespace}.{s.label}")
        for s in SPECS
        if s.order and np.float32 in s.dtypes
    ],
)
def test_float32_derivatives_stay_float32(s: Spec) -> None:
    args = s.args(np.float32)
    kept = float_outputs(s.fn(ORACLE, *args))

    def loss(*a: Any) -> Any:
        outs = leaves(s.fn(OURS, *a))
        return sum(fnp.sum(outs[k]) for k in kept)

    grads = fg.grad(loss, argnums=tuple(range(len(args))))(*args)
    _, tangents = fg.jvp(
        lambda *a: s.fn(OURS, *a), args, tuple(np.ones_like(a) for a in args)
    )

    assert [g.dtype for g in grads] == [np.float32] * len(args)
    assert [np.asarray(leaves(tangents)[k]).dtype for k in kept] == [np.float32] * len(
        kept
    )


# --- jit: one program per namespace and dtype ---------------------------------


def _jit_bug(s: Spec) -> bool:
    return any(key.startswith("jit") for key in s.bugs)


def _jit_groups() -> list[Any]:
    """The first spec of each public function (without a known jit bug),
    grouped by namespace and dtype: the other specs of a function vary
    parameters that the traced checks cover, and each compiled program
    adds kernels to the suite's budget."""
    first: dict[tuple, Spec] = {}
    for s in SPECS:
        if not _jit_bug(s):
            first.setdefault((s.namespace, s.name), s)
    groups: dict[tuple, list[Spec]] = {}
    for s in first.values():
        for dtype in s.dtypes:
            groups.setdefault((s.namespace, _name(dtype)), []).append(s)
    return [
        pytest.param(specs, np.dtype(dtype), id=f"{namespace}-{dtype}")
        for (namespace, dtype), specs in groups.items()
    ]


def _mismatches(specs: Iterable[Spec], dtype: Any, got: list, eager: list) -> list:
    failed = []
    for s, g, e in zip(specs, got, eager):
        try:
            assert_all_same(g, e, _tol(s, dtype))
            assert_all_same(g, _expected(s, s.args(dtype)), _tol(s, dtype))
        except AssertionError as err:
            failed.append(f"{s.namespace}.{s.label}: {str(err).strip()}")
    return failed


@pytest.mark.parametrize(("specs", "dtype"), _jit_groups())
def test_jit_matches_eager_and_the_oracle(specs: list[Spec], dtype: Any) -> None:
    args = [s.args(dtype) for s in specs]

    def every_spec(all_args: list) -> list:
        return [s.fn(OURS, *a) for s, a in zip(specs, all_args)]

    got = fg.jit(every_spec)(args)

    failed = _mismatches(specs, dtype, got, every_spec(args))
    assert not failed, "\n\n".join(failed)


@pytest.mark.parametrize(
    ("s", "dtype"),
    [p for p in _params("jit") if p.marks],
)
def test_jit_of_the_specs_with_known_bugs(s: Spec, dtype: Any) -> None:
    args = s.args(dtype)
    got = fg.jit(lambda *a: s.fn(OURS, *a))(*args)
    assert_all_same(got, _expected(s, args), _tol(s, dtype))


# --- every public function has a spec -------------------------------------------


def public_functions(module: types.ModuleType) -> set[str]:
    """A namespace's public functions: the callables of `__all__` (or of
    its names without an underscore), leaving out classes (the result
    tuples and `LinAlgError`, which are types, not functions)."""
    names = getattr(
        module, "__all__", [n for n in dir(module) if not n.startswith("_")]
    )
    return {
        n
        for n in names
        if callable(getattr(module, n)) and not isinstance(getattr(module, n), type)
    }


def uncovered(namespaces: dict, specs: Iterable[Spec]) -> tuple[set, set]:
    """(public functions without a spec, specs of names that are not public
    functions), as "namespace.name"."""
    public = {
        f"{ns}.{n}"
        for ns, module in namespaces.items()
        for n in public_functions(module)
    }
    covered = {f"{s.namespace}.{s.name}" for s in specs}
    return public - covered, covered - public


def test_every_public_function_has_a_spec() -> None:
    missing, unknown = uncovered(NAMESPACES, SPECS)

    assert missing == set(), "public functions without a spec"
    assert unknown == set(), "specs for names the namespaces do not export"


def test_the_meta_test_notices_a_missing_or_unknown_name() -> None:
    fake = types.ModuleType("fake")
    fake.__all__ = ["inv", "not_in_the_table", "SomeResult"]
    fake.inv = fake.not_in_the_table = lambda a: a
    fake.SomeResult = tuple  # a type, not a function

    missing, unknown = uncovered({"numpy.linalg": fake}, SPECS)

    assert missing == {"numpy.linalg.not_in_the_table"}
    assert "numpy.linalg.inv" not in unknown and "numpy.linalg.det" in unknown


def test_every_spec_draws_its_inputs_reproducibly() -> None:
    for s in SPECS:
        first, again = s.args(s.dtypes[-1]), s.args(s.dtypes[-1])
        for a, b in zip(first, again, strict=True):
            np.testing.assert_array_equal(a, b)
        assert all(a.dtype == s.dtypes[-1] or a.dtype.kind in "iu" for a in first)
