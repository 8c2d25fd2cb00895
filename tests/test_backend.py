"""The compiled backend against the reference path.

Every primitive with an elementwise lowering is compiled alone (a fused
kernel of one equation) and compared with its implementation on ordinary
values and on NaN, infinities and signed zeros, in float32 and float64.
"""

from __future__ import annotations

import itertools
import logging
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.backend import compile_program, elementwise_lowerings, stats
from funcgrad.core import ClosedJaxpr, Jaxpr, JaxprEqn, ShapedArray, Var
from funcgrad.primitives import _elementwise as ew
from funcgrad.primitives import _math as mp
from funcgrad.primitives import _shape as shape_ops
from funcgrad.transforms import add_any_p

SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-30, 700.0]
FLOATS = [np.float32, np.float64]
INTS = [np.int32, np.int64]

UNARY_FLOAT = [
    ew.exp_p,
    ew.log_p,
    ew.log1p_p,
    ew.expm1_p,
    ew.sin_p,
    ew.cos_p,
    ew.tan_p,
    ew.tanh_p,
    ew.sqrt_p,
    ew.logistic_p,
    *(mp.sinh_p, mp.cosh_p, mp.arcsin_p, mp.arccos_p, mp.arctan_p, mp.arcsinh_p),
    *(mp.arccosh_p, mp.arctanh_p, mp.exp2_p, mp.log2_p, mp.log10_p, mp.cbrt_p),
    *(mp.floor_p, mp.ceil_p, mp.rint_p, mp.trunc_p, mp.signbit_p),
    *(mp.erf_p, mp.erfc_p, mp.lgamma_p),
]
UNARY_NUMERIC = [ew.neg_p, ew.abs_p, ew.sign_p, ew.stop_gradient_p]
BINARY_NUMERIC = [ew.add_p, ew.sub_p, ew.mul_p, ew.max_p, ew.min_p, add_any_p]
BINARY_NUMERIC += [mp.fmod_p, mp.remainder_p]
BINARY_FLOAT = [ew.div_p, ew.pow_p, ew.div_absorbing_p, ew.mul_absorbing_p]
BINARY_FLOAT += [mp.arctan2_p, mp.hypot_p]
COMPARISONS = [ew.eq_p, ew.ne_p, ew.lt_p, ew.le_p, ew.gt_p, ew.ge_p]
LOGIC = [ew.and_p, ew.or_p, ew.xor_p, ew.not_p]
COVERED = (
    set(
        UNARY_FLOAT
        + UNARY_NUMERIC
        + BINARY_NUMERIC
        + BINARY_FLOAT
        + COMPARISONS
        + LOGIC
    )
    | {
        ew.select_p,
        ew.integer_pow_p,
        ew.convert_element_type_p,
        shape_ops.broadcast_in_dim_p,  # test_numpy_style_broadcasts_are_fused_and_others_are_not
    }
)


@pytest.fixture(autouse=True)
def single_equation_kernels():
    fg.config.update("min_fusion_size", 1)
    fg.config.update("fuse_transcendental", True)
    yield
    fg.config.update("min_fusion_size", 2)
    fg.config.update("fuse_transcendental", False)


def _compiled_and_reference(primitive, operands, **params):
    avals = [ShapedArray(x.shape, x.dtype) for x in operands]
    out_aval = primitive.run_abstract_eval(*avals, **params)
    invars = [Var(a) for a in avals]
    out = Var(out_aval)
    program = ClosedJaxpr(
        Jaxpr([], invars, [JaxprEqn(primitive, invars, params, [out])], [out]), []
    )
    compiled = compile_program(program)
    assert compiled.num_kernels == 1, f"{primitive.name} was not compiled"
    with np.errstate(all="ignore"):
        (got,) = compiled(*operands)
        want = primitive.run_impl(*operands, **params)
    return np.asarray(got), np.asarray(want)


def _assert_same(got, want, max_ulp):
    assert got.dtype == want.dtype and got.shape == want.shape
    if want.dtype.kind != "f":
        np.testing.assert_array_equal(got, want)
        return
    assert np.array_equal(np.isnan(got), np.isnan(want)), (got, want)
    zero = want == 0
    assert np.array_equal(np.signbit(got[zero]), np.signbit(want[zero])), (
        "signed zero differs"
    )
    finite = np.isfinite(want)
    assert np.array_equal(
        got[~finite & ~np.isnan(want)], want[~finite & ~np.isnan(want)]
    )
    if finite.any():
        np.testing.assert_array_max_ulp(got[finite], want[finite], maxulp=max_ulp)


def _specials(dtype):
    return np.array(SPECIAL, dtype=dtype)


def _pairs(dtype):
    a, b = zip(*itertools.product(SPECIAL, repeat=2))
    return np.array(a, dtype=dtype), np.array(b, dtype=dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("primitive", UNARY_FLOAT + UNARY_NUMERIC, ids=lambda p: p.name)
def test_unary_float(primitive, dtype):
    got, want = _compiled_and_reference(primitive, [_specials(dtype)])
    _assert_same(got, want, max_ulp=4)


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("primitive", UNARY_NUMERIC, ids=lambda p: p.name)
def test_unary_int(primitive, dtype):
    got, want = _compiled_and_reference(primitive, [np.array([-3, 0, 2, 7], dtype)])
    _assert_same(got, want, max_ulp=0)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(
    "primitive", BINARY_NUMERIC + BINARY_FLOAT + COMPARISONS, ids=lambda p: p.name
)
def test_binary_float(primitive, dtype):
    got, want = _compiled_and_reference(primitive, list(_pairs(dtype)))
    _assert_same(got, want, max_ulp=2)


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize(
    "primitive", BINARY_NUMERIC + COMPARISONS + LOGIC[:3], ids=lambda p: p.name
)
def test_binary_int(primitive, dtype):
    a, b = zip(*itertools.product([-7, -1, 0, 1, 5], repeat=2))
    got, want = _compiled_and_reference(
        primitive, [np.array(a, dtype), np.array(b, dtype)]
    )
    _assert_same(got, want, max_ulp=0)


@pytest.mark.parametrize("primitive", LOGIC, ids=lambda p: p.name)
def test_logic_on_booleans(primitive):
    a, b = zip(*itertools.product([True, False], repeat=2))
    operands = [np.array(a), np.array(b)][: 1 if primitive is ew.not_p else 2]
    got, want = _compiled_and_reference(primitive, operands)
    _assert_same(got, want, max_ulp=0)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("y", [0, 1, 2, 3, -1, -2, 7])
def test_integer_pow(dtype, y):
    got, want = _compiled_and_reference(ew.integer_pow_p, [_specials(dtype)], y=y)
    _assert_same(got, want, max_ulp=2)


@pytest.mark.parametrize("dtype", FLOATS)
def test_select(dtype):
    a, b = _pairs(dtype)
    got, want = _compiled_and_reference(ew.select_p, [a > b, a, b])
    _assert_same(got, want, max_ulp=0)


@pytest.mark.parametrize(
    "source, target",
    [
        (np.float64, np.float32),
        (np.float32, np.float64),
        (np.float64, np.int64),
        (np.float32, np.bool_),
        (np.int64, np.float64),
        (np.bool_, np.float32),
        (np.int32, np.bool_),
    ],
)
def test_convert_element_type(source, target):
    x = np.array([-2.75, -1.0, -0.0, 0.0, 0.5, 1.0, 3.5, 1e5], np.float64).astype(
        source
    )
    got, want = _compiled_and_reference(
        ew.convert_element_type_p, [x], new_dtype=np.dtype(target)
    )
    _assert_same(got, want, max_ulp=0)


def test_every_elementwise_lowering_is_compared_here():
    missing = {p.name for p in elementwise_lowerings} - {p.name for p in COVERED}
    assert not missing, f"lowerings without a comparison test: {sorted(missing)}"


def test_fused_chain_with_broadcasting_makes_one_kernel():
    fg.config.update("min_fusion_size", 2)

    def f(x, b):
        return fnp.tanh(x * 2.0 + b) * fnp.sin(x) - fnp.exp(-x * x)

    x, b = np.linspace(-1, 1, 12).reshape(3, 4), np.arange(4.0)
    program = fg.make_jaxpr(f)(x, b)
    compiled = compile_program(program)
    assert compiled.num_kernels == 1 and len(compiled.steps) == 1
    (got,) = compiled(x, b)
    np.testing.assert_allclose(got, f(x, b), rtol=1e-13)


def test_jit_compiles_and_matches_the_reference_path():
    def loss(w, x):
        return fnp.mean(fnp.tanh(x @ w) ** 2 + 0.1 * fnp.abs(w).sum())

    w, x = np.full((3, 2), 0.3), np.linspace(-1, 1, 15).reshape(5, 3)
    compiled = fg.jit(fg.value_and_grad(loss))
    value, g = compiled(w, x)
    fg.config.update("disable_numba", True)
    try:
        ref_value, ref_g = fg.jit(fg.value_and_grad(loss))(w, x)
    finally:
        fg.config.update("disable_numba", False)
    np.testing.assert_allclose(value, ref_value, rtol=1e-14)
    np.testing.assert_allclose(g, ref_g, rtol=1e-14)
    assert g.dtype == np.float64


def test_kernels_are_shared_by_structure_not_call_site(caplog):
    fg.config.update("min_fusion_size", 2)
    fg.config.update("whole_program_max_size", 0)  # whole programs are per shape
    try:
        before = stats.kernels
        f1 = fg.jit(lambda x: fnp.sin(x) * 3.0 + 1.0)
        f2 = fg.jit(lambda y: fnp.sin(y) * 3.0 + 1.0)
        f1(np.ones(4))
        f2(np.ones(7))  # another call site, another shape, same structure and rank
        assert stats.kernels - before <= 1
    finally:
        fg.config.update("whole_program_max_size", 1 << 17)


def _rosenbrock(x):
    return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


@pytest.mark.parametrize("dtype", FLOATS)
def test_small_programs_compile_whole(dtype):
    fg.config.update("min_fusion_size", 2)
    x = np.linspace(-1.2, 1.1, 10).astype(dtype)
    program = fg.make_jaxpr(fg.value_and_grad(_rosenbrock))(x)
    compiled = compile_program(program)
    assert compiled.whole is not None
    value, g = compiled(x)
    ref_value, ref_g = fg.value_and_grad(_rosenbrock)(x)
    assert compiled.whole is not None, "the whole program fell back to steps"
    assert value.dtype == g.dtype == np.dtype(dtype) and value.shape == ()
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(value, ref_value, rtol=rtol)
    np.testing.assert_allclose(g, ref_g, rtol=rtol)


def test_whole_programs_take_scalar_arithmetic():
    """0-d equations (a mean's division, a negated loss) are numba scalars
    inside the whole program instead of stopping it."""
    x = np.linspace(-1.0, 1.0, 6)
    program = fg.make_jaxpr(
        fg.value_and_grad(lambda v: -fnp.sum(fnp.tanh(v)) / v.shape[0] + fnp.mean(v))
    )(x)
    scalar_steps = [e for e in program.jaxpr.eqns if e.outvars[0].aval.shape == ()]
    assert any(e.primitive in (ew.div_p, ew.neg_p) for e in scalar_steps)
    compiled = compile_program(program)
    assert compiled.whole is not None
    value, g = compiled(x)
    assert compiled.whole is not None, "the whole program fell back to steps"
    np.testing.assert_allclose(value, -np.sum(np.tanh(x)) / 6 + np.mean(x), rtol=1e-13)
    np.testing.assert_allclose(g, -(1 - np.tanh(x) ** 2) / 6 + 1 / 6, rtol=1e-12)


def test_whole_programs_cover_products_slices_pads_and_concatenation():
    fg.config.update("min_fusion_size", 2)

    def f(w, x):
        h = fnp.tanh(x @ w)
        both = fnp.concatenate([h[::-1], h[:1]], axis=0)
        return fnp.sum(both**2) + fnp.sum(fnp.max(h, axis=1))

    w, x = np.linspace(-1, 1, 6).reshape(3, 2), np.linspace(0, 1, 12).reshape(4, 3)
    program = fg.make_jaxpr(fg.grad(f, argnums=(0, 1)))(w, x)
    compiled = compile_program(program)
    got = compiled(w, x)
    want = fg.grad(f, argnums=(0, 1))(w, x)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_programs_beyond_the_whole_compiler_run_step_by_step():
    fg.config.update("min_fusion_size", 2)
    a, b = np.ones((2, 3, 4)), np.ones((2, 4, 5))
    program = fg.make_jaxpr(lambda a, b: fnp.tanh(a @ b) * 2.0)(a, b)  # batched product
    compiled = compile_program(program)
    assert compiled.whole is None
    np.testing.assert_allclose(compiled(a, b)[0], np.tanh(a @ b) * 2.0)


def test_a_second_process_reads_the_disk_cache(tmp_path):
    script = textwrap.dedent(
        """
        import numpy as np
        import funcgrad as fg, funcgrad.numpy as fnp
        from funcgrad.backend import stats
        f = fg.jit(lambda x: fnp.sum(fnp.cos(x) * 2.5 - fnp.sqrt(x + 4.0)))
        f(np.arange(5.0))
        print(stats.signatures, round(stats.seconds, 3))
        """
    )
    env = {"FUNCGRAD_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    runs = [
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        for _ in range(2)
    ]
    (first, t1), (second, t2) = (r.stdout.split() for r in runs)
    assert first == second == "1"
    assert list(tmp_path.glob("kernels-*/__pycache__/*.nbi")), (
        "numba wrote no cache index"
    )
    assert float(t2) < float(t1)


def test_disable_numba_runs_the_reference_path(caplog):
    fg.config.update("disable_numba", True)
    try:
        before = stats.signatures
        out = fg.jit(lambda x: fnp.exp(x) * fnp.cos(x) + 2.0)(np.ones(3) * 0.7)
        assert stats.signatures == before
        np.testing.assert_allclose(out, np.exp(0.7) * np.cos(0.7) + 2.0)
    finally:
        fg.config.update("disable_numba", False)
    with pytest.raises(ValueError, match="no setting"):
        fg.config.update("disable_numbaa", True)


def test_compiles_are_logged(caplog):
    with caplog.at_level(logging.INFO, logger="funcgrad.backend"):
        fg.jit(lambda x: fnp.tanh(x) * fnp.tanh(x) - 0.25)(
            np.ones((2, 3, 4), np.float32)
        )
    assert (
        any("compiled kernel" in r.getMessage() for r in caplog.records)
        or stats.signatures
    )


@pytest.mark.parametrize("dtype", FLOATS + INTS)
@pytest.mark.parametrize("reduction", ["sum", "max", "min"])
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 2)])
def test_reductions_that_end_a_chain_are_fused(reduction, axis, dtype):
    fg.config.update("min_fusion_size", 2)
    rng = np.random.default_rng(3)
    x = (rng.normal(size=(3, 4, 5)) * 4).astype(dtype)
    if dtype in FLOATS:
        x[0, 1, 2], x[2, 0, 0] = np.nan, -np.inf

    def f(x):
        return getattr(fnp, reduction)(fnp.abs(x) * 2 - x, axis=axis)

    compiled = compile_program(fg.make_jaxpr(f)(x))
    assert compiled.num_kernels == 1 and len(compiled.steps) == 1
    with np.errstate(invalid="ignore"):
        (got,) = compiled(x)
        want = getattr(np, reduction)(np.abs(x) * 2 - x, axis=axis)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(
        got, want, rtol=1e-12 if dtype == np.float64 else 1e-5, equal_nan=True
    )


def test_numpy_style_broadcasts_are_fused_and_others_are_not():
    fg.config.update("min_fusion_size", 2)
    x, b = np.ones((3, 4)), np.arange(4.0)
    fused = compile_program(
        fg.make_jaxpr(lambda x, b: fnp.tanh(x + fnp.broadcast_to(b, (3, 4))) * 2.0)(
            x, b
        )
    )
    assert fused.num_kernels == 1 and len(fused.steps) == 1
    column = np.arange(3.0)
    program = fg.make_jaxpr(
        lambda x, c: fnp.tanh(x * fg.lax.broadcast_in_dim(c, (3, 4), (0,))) * 2.0
    )(x, column)
    compiled = compile_program(program)
    assert any(
        getattr(s, "primitive", None) is not None
        and s.primitive.name == "broadcast_in_dim"
        for s in compiled.steps
    )
    np.testing.assert_allclose(
        compiled(x, column)[0], np.tanh(x * column[:, None]) * 2.0
    )


def test_large_elementwise_kernels_run_in_parallel_with_the_same_result():
    fg.config.update("min_fusion_size", 2)
    x = np.linspace(-3, 3, 300_000)

    def g(x):
        return fnp.tanh(x) * fnp.sin(x) - fnp.exp(-x * x)

    fg.config.update("parallel_min_size", 1000)
    try:
        (par,) = compile_program(fg.make_jaxpr(g)(x))(x)
    finally:
        fg.config.update("parallel_min_size", 1 << 18)
    np.testing.assert_allclose(
        par, np.tanh(x) * np.sin(x) - np.exp(-x * x), rtol=1e-13, atol=1e-15
    )


def test_scalar_libm_functions_stay_with_numpy_in_large_programs():
    # log has no vectorizable lowering; tanh has one and is fused
    fg.config.update("min_fusion_size", 2)
    fg.config.update("fuse_transcendental", False)
    fg.config.update("whole_program_max_size", 0)
    x = np.linspace(0.1, 1, 10)
    try:
        compiled = compile_program(
            fg.make_jaxpr(lambda x: fnp.log(x * 2.0 + 1.0) * 3.0 - fnp.tanh(x))(x)
        )
    finally:
        fg.config.update("whole_program_max_size", 1 << 17)
    kinds = [type(s).__name__ for s in compiled.steps]
    if not __import__("numba").config.USING_SVML:
        assert kinds == ["Group", "JaxprEqn", "Group"]
        assert "tanh" in [e.primitive.name for e in compiled.steps[2].eqns]
    np.testing.assert_allclose(
        compiled(x)[0], np.log(x * 2.0 + 1.0) * 3.0 - np.tanh(x), rtol=1e-14
    )


def test_intermediates_are_freed_after_their_last_use():
    fg.config.update("min_fusion_size", 2)
    x = np.ones((4, 3))
    program = fg.make_jaxpr(lambda x: fnp.sum((x @ x.T) @ (x @ x.T)) * 2.0)(x)
    compiled = compile_program(program)
    defined = {
        v
        for s in compiled.steps
        for e in (s.eqns if hasattr(s, "eqns") else [s])
        for v in e.outvars
    }
    freed = [v for dead in compiled.dead_after for v in dead]
    assert len(freed) == len(set(freed))
    outs = {v for v in program.jaxpr.outvars}
    assert set(freed) >= (defined - outs) - {
        v
        for s in compiled.steps
        if hasattr(s, "eqns")
        for e in s.eqns
        for v in e.outvars
        if v not in s.outputs
    }
    np.testing.assert_allclose(compiled(x)[0], np.sum((x @ x.T) @ (x @ x.T)) * 2.0)


def test_float16_values_stay_with_numpy():
    fg.config.update("min_fusion_size", 2)
    x = np.ones(3)
    got = fg.jit(lambda x: -fnp.exp(x.astype(bool)) * 2.0)(x)
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got, -np.exp(x.astype(bool)) * np.float16(2.0))
    assert fg.jit(lambda x: fnp.abs(x.astype(np.float16)) + 1.0)(x).dtype == np.float16


def test_clip_keeps_negative_zero_and_nan_like_numpy():
    x = np.array([-0.0, np.nan, 5.0, -1.0, 1.0])
    with np.errstate(invalid="ignore"):
        got = fg.jit(lambda x: fnp.clip(x, 0, 3))(x)
    np.testing.assert_array_equal(got, np.clip(x, 0, 3))
    assert np.signbit(got[0])


@pytest.mark.parametrize("whole", [True, False], ids=["whole-program", "kernels"])
def test_float32_sums_accumulate_in_float64(whole):
    """A running float32 sum of a million elements keeps about three digits;
    compiled sums add in float64 and round once (numpy sums pairwise)."""
    x = np.full(1_000_000, 0.1, np.float32)
    x[0] = 1e8
    exact = np.sum(x.astype(np.float64))  # the float32 values, summed exactly enough
    fg.config.update("whole_program_max_size", 1 << 17 if whole else 0)
    try:
        total = fg.jit(lambda v: fnp.sum(v * 1.0))(x)
        by_rows = fg.jit(lambda v: fnp.sum(v.reshape(1000, 1000) * 1.0, axis=1))(x)
        mean = fg.jit(fnp.mean)(x[1:])
    finally:
        fg.config.update("whole_program_max_size", 1 << 17)
    assert total.dtype == by_rows.dtype == mean.dtype == np.float32
    assert total == np.float32(exact)
    np.testing.assert_array_equal(
        by_rows, x.astype(np.float64).reshape(1000, 1000).sum(axis=1).astype(np.float32)
    )
    # the float32 sum, then a float32 division: within one ulp
    want = np.float32(np.mean(x[1:].astype(np.float64)))
    np.testing.assert_array_max_ulp(mean, want, maxulp=1)


def test_programs_that_call_blas_keep_their_kernels_serial():
    """numba's threads and OpenBLAS's spinning ones oversubscribe the cores
    when they take turns; only programs without BLAS run parallel loops."""
    x = np.linspace(-1.0, 1.0, 4096).reshape(64, 64)
    fg.config.update("parallel_min_size", 1000)
    fg.config.update("whole_program_max_size", 0)
    try:
        with_blas = compile_program(
            fg.make_jaxpr(lambda a: fnp.tanh(a @ a) * 2.0 + 1.0)(x)
        )
        without = compile_program(fg.make_jaxpr(lambda a: fnp.tanh(a) * 2.0 + 1.0)(x))
        np.testing.assert_allclose(
            with_blas(x)[0], np.tanh(x @ x) * 2 + 1, rtol=1e-12, atol=1e-14
        )
        np.testing.assert_allclose(
            without(x)[0], np.tanh(x) * 2 + 1, rtol=1e-12, atol=1e-14
        )
    finally:
        fg.config.update("parallel_min_size", 1 << 18)
        fg.config.update("whole_program_max_size", 1 << 17)

    def parallel(program):
        return [
            k.targetoptions.get("parallel", False) for k in program.kernels.values()
        ]

    assert parallel(with_blas) == [False]
    assert parallel(without) == [True]


def test_boolean_sums_and_products_inside_a_chain_are_or_and_and():
    """numpy: True + True is True (then 1.0 in float), not 2."""
    b = np.array([True, True, False, False])
    c = np.array([True, False, True, False])
    fg.config.update("min_fusion_size", 2)
    for f in (lambda a, b: (a + b) * 0.5, lambda a, b: (a * b) + 0.25):
        program = compile_program(fg.make_jaxpr(f)(b, c))
        assert program.num_kernels == 1 or program.whole is not None
        np.testing.assert_array_equal(program(b, c)[0], f(b, c))


def test_small_integers_wrap_around_in_their_own_width_as_in_numpy():
    # numba computes int8 ... int32 and unsigned arithmetic in int64; every
    # step must wrap as numpy does (uint8: 10 - 128 is 138), also where the
    # value is then converted or reduced inside the kernel.
    img = np.array([[10, 200], [30, 250]], dtype=np.uint8)
    cases = [
        (lambda x: (x - 128).astype(np.float32) / 255.0, img),
        (lambda x: fnp.sum(x * 2), np.array([100, 100], np.int8)),
        (lambda x: fnp.sum(x - 2), np.array([0, 1], np.uint8)),
        (lambda x: fnp.sum(x * 2), np.array([2**31 - 1, 1], np.int32)),
        (lambda x: (-x).astype(np.float64), np.array([1, 200], np.uint8)),
        (lambda x: fnp.sum(x - np.uint64(2)), np.array([0, 1], np.uint64)),
    ]
    for f, x in cases:
        want = f(x)  # eager funcgrad.numpy is numpy
        got = fg.jit(f)(x)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_power_one_half_is_numpys_square_root_at_signed_zero_and_infinity():
    # numpy computes x ** 0.5 as sqrt(x): -0.0 stays -0.0 and -inf is NaN,
    # where C's pow gives 0.0 and inf.
    x = np.array([-0.0, -np.inf, 4.0, np.inf])
    with np.errstate(invalid="ignore"):
        want = x**0.5
        got = fg.jit(lambda v: v**0.5 * 1.0)(x)
    np.testing.assert_array_equal(got, want)
    assert np.signbit(got[0]) == np.signbit(want[0])
