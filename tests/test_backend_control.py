"""Loops and branches in compiled programs (`funcgrad/backend/_loops.py`).

Every program runs three ways and is compared with eager evaluation (the
primitives' implementations, numpy): compiled whole with the loop inside
(`whole`), with the program run step by step and the loop equation as one
numba function of its own (`loop kernel`), and as a Python loop over the
bodies compiled step by step (`python loop`, whole programs turned off).
The shapes are few and small so that the suite compiles few kernels.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.backend import _kernels, compile_program, stats
from funcgrad.core import tree_leaves

MODES = ["whole", "loop kernel", "python loop"]
WHOLE_MAX = fg.config.whole_program_max_size


def run_compiled(f, args, mode):
    """`f(*args)` through the backend in `mode`, checking that the mode
    really ran (no silent fall back to another path)."""
    program = fg.make_jaxpr(f)(*args)
    leaves = tree_leaves(args)
    if mode == "python loop":
        fg.config.update("whole_program_max_size", 0)
        try:
            compiled = compile_program(program)
            outs = compiled(*leaves)
        finally:
            fg.config.update("whole_program_max_size", WHOLE_MAX)
        assert compiled.whole is None
        assert all(getattr(r, "kernel", None) is None for r, _ in compiled.runners)
        return outs
    compiled = compile_program(program)
    if mode == "loop kernel":
        compiled.whole = None
    outs = compiled(*leaves)
    if mode == "whole":
        assert compiled.whole is not None, "the whole program fell back to steps"
    else:
        loops = [r for r, _ in compiled.runners if hasattr(r, "kernel")]
        assert loops and all(r.kernel is not None for r in loops), (
            "a loop fell back to Python"
        )
    return outs


def assert_same(got, want, rtol):
    """Equal shapes and dtypes; NaN, infinities and signed zeros where the
    eager result has them; the other values within `rtol` (kernels compute
    tanh and exp within a few ulp of numpy, and loops carry the difference)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (got, want)
    if want.dtype.kind != "f":
        np.testing.assert_array_equal(got, want)
        return
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(want), np.isinf(got))
    np.testing.assert_array_equal(got[np.isinf(want)], want[np.isinf(want)])
    zero = want == 0
    np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(want[zero]))
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=rtol, atol=rtol)


def check(f, *args, modes=MODES, rtol=1e-12):
    with np.errstate(all="ignore"):  # exp overflows on some of the inputs
        want = tree_leaves(f(*args))
        for mode in modes:
            got = run_compiled(f, args, mode)
            assert len(got) == len(want)
            for g, w in zip(got, want):
                assert_same(g, w, rtol)
            # a loop may write a step's result straight into its row of ys;
            # the final carry must still not be a view of it
            for i, j in itertools.combinations(range(len(got)), 2):
                assert not np.shares_memory(got[i], got[j]), (mode, i, j)


X = np.linspace(-1.0, 1.0, 6)


def running(x, reverse=False):
    return lax.scan(lambda c, xi: (c + xi, fnp.tanh(c) * xi), 0.0, x, reverse=reverse)


def nested(x):
    def row(c, r):
        return lax.scan(lambda a, b: (a * b + 1.0, a), c, r)

    return lax.scan(row, 1.0, x.reshape(2, 3))


def cond_in_scan(x):
    def step(c, xi):
        return lax.cond(xi > 0, lambda a: (a + xi, a * 2.0), lambda a: (a - xi, -a), c)

    return lax.scan(step, 0.5, x)


CASES = {
    "scan": lambda x: running(x),
    "reverse scan": lambda x: running(x, reverse=True),
    "length 0": lambda x: running(x[:0]),
    "length 1": lambda x: running(x[:1]),
    "int carry": lambda x: lax.scan(
        lambda c, xi: (c + np.int32(1), xi * c), np.int32(0), x
    ),
    "float32": lambda x: lax.scan(
        lambda c, r: (c * 0.5 + r, fnp.exp(c)),
        np.zeros(3, np.float32),
        x.astype(np.float32).reshape(2, 3),
    ),
    "carry also stacked": lambda x: lax.scan(
        lambda c, r: (fnp.tanh(c + r),) * 2, fnp.zeros(3), x.reshape(2, 3)
    ),
    "nested scans": nested,
    "cond inside scan": cond_in_scan,
    "while": lambda x: lax.while_loop(
        lambda c: c[0] < 10, lambda c: (c[0] + 1, c[1] * 1.5), (0, x)
    ),
    "switch": lambda x: lax.switch(
        np.int32(5), [lambda a: a + 1.0, lambda a: a * 2.0, fnp.sin], x
    ),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", list(CASES))
def test_compiled_loops_equal_eager(case, mode):
    rtol = 1e-5 if case == "float32" else 1e-12
    check(CASES[case], X, modes=[mode], rtol=rtol)


def rnn_loss(w, x):
    def step(h, xi):
        h = fnp.tanh(h @ w + xi)
        return h, fnp.sum(h * h)

    _, ys = lax.scan(step, fnp.zeros(3), x.reshape(2, 3))
    return fnp.sum(ys)


@pytest.mark.parametrize("mode", MODES)
def test_gradients_through_compiled_scans_equal_eager(mode):
    """The gradient is a forward scan that stacks residuals and a reverse
    scan over them: both compiled."""
    w = np.array([[0.5, -0.2, 0.1], [0.3, 0.8, -0.4], [0.0, 0.2, 0.6]])
    check(fg.value_and_grad(rnn_loss, argnums=(0, 1)), w, X, modes=[mode])


def test_nan_infinities_and_signed_zeros_pass_through_loops():
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e300])

    def f(x):
        return lax.scan(lambda c, xi: (c * xi, fnp.tanh(xi) + fnp.exp(xi) - c), -0.0, x)

    check(f, x, modes=["whole", "loop kernel"])


def test_while_with_a_batched_predicate_from_vmap():
    """Members finish at different steps: the loop runs while any member
    goes on, and the others keep their values."""

    def f(bound):
        return lax.while_loop(lambda c: c < bound, lambda c: c * 2.0 + 1.0, 0.5)

    check(fg.vmap(f), np.array([1.0, 10.0, 100.0]), modes=["whole", "loop kernel"])


def test_a_body_numba_cannot_compile_runs_as_a_python_loop():
    def f(x):
        return lax.scan(lambda c, r: (c + fnp.sort(r), c), fnp.zeros(3), x)

    x = X.reshape(2, 3)[:, ::-1]
    program = fg.make_jaxpr(f)(x)
    compiled = compile_program(program)
    compiled.whole = None
    (loop,) = [r for r, _ in compiled.runners if hasattr(r, "kernel")]
    assert loop.kernel is None
    for got, want in zip(compiled(x), f(x)):
        np.testing.assert_array_equal(got, want)


@pytest.fixture
def empty_kernel_table(tmp_path):
    """A process with no kernels yet: an empty in-memory table and disk
    cache, the ones before put back afterwards."""
    saved = dict(_kernels._kernels)
    cache_dir = fg.config.cache_dir
    _kernels._kernels.clear()
    fg.config.update("cache_dir", str(tmp_path))
    yield
    _kernels._kernels.clear()
    _kernels._kernels.update(saved)
    fg.config.update("cache_dir", cache_dir)


def _signatures_compiled(run):
    before = stats.signatures
    run()
    return stats.signatures - before


def test_compiles_do_not_grow_with_the_length(empty_kernel_table):
    """`jit` of a 1,000-step scan compiles as many kernels as a 10-step one
    (each from an empty cache), and a scan run step by step shares its
    loop kernel across lengths: the length is an argument."""

    def f(w, xs):
        h, ys = lax.scan(lambda h, x: (fnp.tanh(w * h + x), h), fnp.zeros(4), xs)
        return h, ys

    w = np.full(4, 0.5)
    xs = {n: np.linspace(-1, 1, 4 * n).reshape(n, 4) for n in (10, 1000)}
    counts = []
    for n in (10, 1000):
        _kernels._kernels.clear()
        counts.append(_signatures_compiled(lambda n=n: fg.jit(f)(w, xs[n])))
    assert counts[0] == counts[1] >= 1

    def step_by_step(n):
        compiled = compile_program(fg.make_jaxpr(f)(w, xs[n]))
        compiled.whole = None
        compiled(w, xs[n])

    assert _signatures_compiled(lambda: step_by_step(10)) == 1
    assert _signatures_compiled(lambda: step_by_step(1000)) == 0
