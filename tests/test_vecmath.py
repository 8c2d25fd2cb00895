"""The backend's vectorizable exp, expm1, tanh, logistic, sin and cos
(funcgrad/backend/_vecmath.py) against numpy, over their whole domain.

Each function is compiled inside a fused kernel, as `jit` uses it, and
compared on values spread over many binades, at the overflow and underflow
edges, at multiples of pi/2, and at NaN, infinities and signed zeros.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.backend import TRIG_EXACT_BELOW, compile_program

FUNCTIONS = {
    "exp": (fnp.exp, np.exp),
    "expm1": (fnp.expm1, np.expm1),
    "tanh": (fnp.tanh, np.tanh),
    "sin": (fnp.sin, np.sin),
    "cos": (fnp.cos, np.cos),
}


def _inputs(dtype):
    rng = np.random.default_rng(0)
    scales = [1e-300, 1e-20, 1e-8, 1e-3, 0.1, 1.0, 3.0, 10.0, 100.0, 1e3, 1e4, 9e4]
    spread = [rng.standard_normal(2000) * s for s in scales]
    edges = [
        np.linspace(-750.0, 720.0, 5001),  # exp's underflow and overflow
        np.arange(-2000, 2000) * (np.pi / 2),  # zeros of sin and cos
        np.array(
            [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 1e-310]
            + [709.78, 709.79, -745.13, -745.14, -708.4, 88.7, 88.8, -103.9]
        ),
    ]
    x = np.concatenate(spread + edges)
    with np.errstate(over="ignore"):
        return x.astype(dtype)


def _compiled(fn, x):
    """`fn` as a kernel of two fused equations (the `* 1.0` keeps the group
    above the minimum fusion size)."""
    program = fg.make_jaxpr(lambda v: fn(v) * 1.0)(x)
    compiled = compile_program(program)
    assert compiled.num_kernels == 1 or compiled.whole is not None
    return compiled(x)[0]


def _ulps(got, want):
    """Distance in units of the last place of `want`'s dtype."""
    tiny = np.finfo(want.dtype).smallest_subnormal
    return np.abs(got.astype(np.float64) - want) / np.maximum(
        np.spacing(np.abs(want)).astype(np.float64), tiny
    )


@pytest.fixture(autouse=True)
def step_by_step():
    # the kernels of a large program, not the whole-program compiler
    fg.config.update("whole_program_max_size", 0)
    yield
    fg.config.update("whole_program_max_size", 1 << 17)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_agrees_with_numpy_everywhere(name, dtype):
    ours, theirs = FUNCTIONS[name]
    x = _inputs(dtype)
    with np.errstate(all="ignore"):
        got = _compiled(ours, x)
        want = theirs(x)
    assert got.dtype == want.dtype
    assert np.array_equal(np.isnan(got), np.isnan(want)), x[
        np.isnan(got) != np.isnan(want)
    ]
    zero = want == 0
    assert np.array_equal(np.signbit(got[zero]), np.signbit(want[zero])), x[zero]
    finite = np.isfinite(want)
    infinite = ~finite & ~np.isnan(want)
    np.testing.assert_array_equal(got[infinite], want[infinite])
    # numpy's own float32 functions are within a few ulp of the truth, and
    # ours round a float64 result: allow a little on both sides.
    ulps = _ulps(got[finite], want[finite])
    worst = int(np.argmax(ulps))
    assert ulps[worst] <= 4, (x[finite][worst], got[finite][worst], want[finite][worst])


def test_logistic_matches_its_formula():
    x = _inputs(np.float64)
    got = _compiled(lambda v: fg.lax.logistic(v), x)
    with np.errstate(over="ignore", invalid="ignore"):
        want = np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))
    finite = np.isfinite(want) & (want > 1e-300)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert _ulps(got[finite], want[finite]).max() <= 4


@pytest.mark.parametrize("name", ["sin", "cos"])
def test_large_arguments_fall_back_to_the_c_library(name):
    """Beyond TRIG_EXACT_BELOW the kernel computes its loop again with
    numpy's functions: the results are numpy's exactly, also in a
    reduction that the first pass had started."""
    ours, theirs = FUNCTIONS[name]
    x = np.linspace(-1.0, 1.0, 1001)
    x[500] = 3.0e15  # one huge argument among small ones
    x[7] = -TRIG_EXACT_BELOW * 1.5
    got = _compiled(ours, x)
    assert got[500] == theirs(x[500]) and got[7] == theirs(x[7])
    assert _ulps(got, theirs(x)).max() <= 2
    total = fg.make_jaxpr(lambda v: fnp.sum(ours(v) * 2.0))(x)
    (s,) = compile_program(total)(x)
    np.testing.assert_allclose(s, np.sum(theirs(x) * 2.0), rtol=1e-13, atol=1e-12)


def test_large_arguments_fall_back_in_parallel_kernels_too():
    x = np.linspace(-5.0, 5.0, 4000)
    x[::97] = 1e12
    fg.config.update("parallel_min_size", 1000)
    try:
        got = _compiled(fnp.sin, x)
    finally:
        fg.config.update("parallel_min_size", 1 << 18)
    np.testing.assert_array_max_ulp(got, np.sin(x), maxulp=2)
    assert np.array_equal(got[::97], np.sin(x[::97]))


def test_reduction_constants_are_exact():
    """The split constants, recomputed from 60 digits of pi and ln 2."""
    from funcgrad.backend import _vecmath as vm

    with localcontext() as ctx:
        ctx.prec = 60
        pi = Decimal("3.14159265358979323846264338327950288419716939937510582097494")
        ln2 = Decimal("0.693147180559945309417232121458176568075500134360255254120680")
        assert (
            abs(Decimal(vm.PIO2_1) + Decimal(vm.PIO2_2) + Decimal(vm.PIO2_3) - pi / 2)
            <= Decimal(math.ulp(vm.PIO2_3)) / 2
        )
        assert (
            abs(Decimal(vm.LN2_HI) + Decimal(vm.LN2_LO) - ln2)
            <= Decimal(math.ulp(vm.LN2_LO)) / 2
        )
        hi, lo = Decimal(float(vm.LN2_HI32)), Decimal(float(vm.LN2_LO32))
        assert abs(hi + lo - ln2) < Decimal("1e-12")
    # the leading parts have few bits, so products by the quadrant or
    # exponent are exact
    for part, bits in [
        (vm.PIO2_1, 33),
        (vm.PIO2_2, 33),
        (vm.LN2_HI, 32),
        (float(vm.LN2_HI32), 16),
    ]:
        mantissa, _ = math.frexp(part)
        assert (mantissa * 2.0**bits).is_integer()
