"""Structured control flow (`funcgrad.lax`): `scan`, `cond`, `switch`,
`while_loop`, `fori_loop` and `map`.

Each construct is checked against the same computation written as a Python
loop or `if` over `funcgrad.numpy` operations: values, derivatives of order
one and two in both modes, batching against a loop over the batch, and `jit`
against eager evaluation. Some derivatives are also checked against central
finite differences of a pure numpy version of the loop, so the reference is
not only funcgrad checking itself. Then: the size of the traced program,
pytrees and edge cases, nesting, checkpointing, and the errors a user can
cause.

The bodies are written `body(xp, ...)`, with `xp` either `numpy` (the finite
difference oracle) or `funcgrad.numpy` (the Python-loop reference and the
construct under test).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.core import Jaxpr
from funcgrad.errors import FuncgradError
from funcgrad.tree_util import tree_leaves, tree_map, tree_structure

FEW = settings(max_examples=10)

# --- references and comparisons ----------------------------------------------


def py_scan(f, init, xs=None, length=None, reverse=False):
    """`lax.scan` written as a Python loop; ys come back as a list."""
    n = length if xs is None else tree_leaves(xs)[0].shape[0]
    carry, ys = init, [None] * n
    for i in reversed(range(n)) if reverse else range(n):
        x = None if xs is None else tree_map(lambda a, i=i: a[i], xs)
        carry, ys[i] = f(carry, x)
    return carry, ys


def stack(ys):
    return tree_map(lambda *y: fnp.stack(y), *ys)


def assert_trees_close(got, want, rtol=1e-9, atol=1e-12):
    """Same structure, and leaf by leaf the same shape, dtype and values."""
    assert tree_structure(got) == tree_structure(want)
    for g, w in zip(tree_leaves(got), tree_leaves(want)):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, f"shape {g.shape}, reference {w.shape}"
        assert g.dtype == w.dtype, f"dtype {g.dtype}, reference {w.dtype}"
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


def _jacfwd_jacrev(f, argnums):
    return fg.jacfwd(fg.jacrev(f, argnums), argnums)


def _jacrev_jacfwd(f, argnums):
    return fg.jacrev(fg.jacfwd(f, argnums), argnums)


# Transforms of a function with a scalar output: value, order 1 and 2, both
# modes.
SCALAR_TRANSFORMS = {
    "value": lambda f, argnums: f,
    "grad": fg.grad,
    "jacfwd": fg.jacfwd,
    "jacrev": fg.jacrev,
    "hessian": fg.hessian,
    "jacfwd(jacrev)": _jacfwd_jacrev,
    "jacrev(jacfwd)": _jacrev_jacfwd,
}

# Forward mode only (`while_loop` and `fori_loop` with traced bounds).
FORWARD_TRANSFORMS = {
    "value": lambda f, argnums: f,
    "jacfwd": fg.jacfwd,
    "jacfwd(jacfwd)": lambda f, argnums: fg.jacfwd(fg.jacfwd(f, argnums), argnums),
}


def assert_transforms_agree(f, ref, args, argnums, transforms=SCALAR_TRANSFORMS):
    for name, transform in transforms.items():
        got = transform(f, argnums)(*args)
        want = transform(ref, argnums)(*args)
        try:
            assert_trees_close(got, want)
        except AssertionError as err:
            raise AssertionError(f"{name}: {err}") from None


def _flat_args(args):
    sizes = [np.size(a) for a in args]
    flat = np.concatenate([np.ravel(np.asarray(a, np.float64)) for a in args])

    def unflat(v):
        out, start = [], 0
        for a, n in zip(args, sizes):
            out.append(v[start : start + n].reshape(np.shape(a)))
            start += n
        return out

    return flat, unflat


def fd_gradient(f, args, h=1e-6):
    """Central differences of a numpy function, all arguments flattened."""
    flat, unflat = _flat_args(args)
    grad = np.zeros_like(flat)
    for i in range(flat.size):
        e = np.zeros_like(flat)
        e[i] = h
        grad[i] = (f(*unflat(flat + e)) - f(*unflat(flat - e))) / (2 * h)
    return grad


def fd_hessian(f, args, h=1e-4):
    flat, unflat = _flat_args(args)
    n = flat.size
    hess = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            ei, ej = np.zeros(n), np.zeros(n)
            ei[i], ej[j] = h, h
            total = 0.0
            for si, sj, sign in ((1, 1, 1), (1, -1, -1), (-1, 1, -1), (-1, -1, 1)):
                total += sign * f(*unflat(flat + si * ei + sj * ej))
            hess[i, j] = total / (4 * h * h)
    return hess


def flat_jacobian(parts):
    """A gradient over several arguments, as one flat vector."""
    return np.concatenate([np.ravel(np.asarray(p)) for p in parts])


def flat_hessian(blocks, args):
    """A hessian over several arguments (a tuple of tuples) as one matrix."""
    sizes = [np.size(a) for a in args]
    rows = [
        np.concatenate(
            [np.reshape(np.asarray(b), (m, n)) for b, n in zip(row, sizes)], axis=1
        )
        for row, m in zip(blocks, sizes)
    ]
    return np.concatenate(rows, axis=0)


def count_eqns(jaxpr):
    """Equations of a program, those of the bodies it carries included."""
    total = 0
    for eqn in jaxpr.eqns:
        total += 1
        for p in eqn.params.values():
            for sub in p if isinstance(p, tuple) else (p,):
                if isinstance(sub, Jaxpr):
                    total += count_eqns(sub)
    return total


def all_avals(jaxpr):
    for eqn in jaxpr.eqns:
        yield from (v.aval for v in eqn.outvars)
        for p in eqn.params.values():
            for sub in p if isinstance(p, tuple) else (p,):
                if isinstance(sub, Jaxpr):
                    yield from all_avals(sub)


def _floats(shape, lo=-1.5, hi=1.5, dtype=np.float64):
    width = 32 if dtype == np.float32 else 64
    elements = st.floats(lo, hi, width=width, allow_subnormal=False)
    return hnp.arrays(dtype, shape, elements=elements)


# --- scan against a Python loop ----------------------------------------------


def rnn_step(xp, w):
    def step(c, x):
        h = xp.tanh(c * w + x) + 0.5 * xp.sin(c)
        return h, h * x + c

    return step


def scan_loss(init, xs, w, reverse=False):
    carry, ys = lax.scan(rnn_step(fnp, w), init, xs, reverse=reverse)
    return fnp.sum(carry * carry) + fnp.sum(fnp.sin(ys))


def loop_loss(xp, init, xs, w, reverse=False):
    carry, ys = py_scan(rnn_step(xp, w), init, xs, reverse=reverse)
    return xp.sum(carry * carry) + sum(xp.sum(xp.sin(y)) for y in ys)


@st.composite
def scan_problems(draw, max_length=4):
    shape = draw(st.sampled_from([(), (1,), (3,)]))
    length = draw(st.integers(0, max_length))
    init = draw(_floats(shape))
    xs = draw(_floats((length, *shape)))
    w = draw(_floats(shape))
    return (init, xs, w), draw(st.booleans())


@FEW
@given(scan_problems())
def test_scan_matches_python_loop_in_value_and_derivatives(problem):
    args, reverse = problem

    def f(init, xs, w):
        return scan_loss(init, xs, w, reverse)

    def ref(init, xs, w):
        return loop_loss(fnp, init, xs, w, reverse)

    assert_transforms_agree(f, ref, args, (0, 1, 2))


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_derivatives_match_finite_differences(reverse):
    rng = np.random.default_rng(10 + reverse)
    args = (rng.normal(size=2), rng.normal(size=(3, 2)), rng.normal(size=2))

    def numpy_loss(*a):
        return loop_loss(np, *a, reverse=reverse)

    def f(*a):
        return scan_loss(*a, reverse=reverse)

    grad = flat_jacobian(fg.grad(f, argnums=(0, 1, 2))(*args))
    np.testing.assert_allclose(grad, fd_gradient(numpy_loss, args), atol=1e-7)
    want = fd_hessian(numpy_loss, args)
    for transform in (fg.hessian, _jacrev_jacfwd):
        hess = flat_hessian(transform(f, (0, 1, 2))(*args), args)
        np.testing.assert_allclose(hess, want, atol=1e-5)


def test_scan_output_jacobians_in_both_modes():
    # Non-scalar outputs: the carry and every stacked y, against the loop.
    rng = np.random.default_rng(1)
    init, xs, w = rng.normal(size=2), rng.normal(size=(3, 2)), rng.normal(size=2)

    def f(init, xs, w):
        return lax.scan(rnn_step(fnp, w), init, xs)

    def ref(init, xs, w):
        carry, ys = py_scan(rnn_step(fnp, w), init, xs)
        return carry, stack(ys)

    for transform in (fg.jacfwd, fg.jacrev, _jacfwd_jacrev, _jacrev_jacfwd):
        got = transform(f, (0, 1, 2))(init, xs, w)
        assert_trees_close(got, transform(ref, (0, 1, 2))(init, xs, w))


def test_scan_jvp_and_vjp_with_pytrees():
    rng = np.random.default_rng(2)
    init = {"h": rng.normal(size=2), "s": np.float64(0.3)}
    xs = (rng.normal(size=(4, 2)), rng.normal(size=4))

    def step(c, x):
        h = fnp.tanh(c["h"] * x[0] + c["s"])
        return {"h": h, "s": c["s"] * fnp.cos(x[1])}, {"sum": fnp.sum(h), "h": h}

    def f(init, xs):
        return lax.scan(step, init, xs)

    def ref(init, xs):
        carry, ys = py_scan(step, init, xs)
        return carry, stack(ys)

    tangents = tree_map(lambda a: np.ones_like(a) * 0.7, (init, xs))
    assert_trees_close(
        fg.jvp(f, (init, xs), tangents), fg.jvp(ref, (init, xs), tangents)
    )
    out, f_vjp = fg.vjp(f, init, xs)
    ref_out, ref_vjp = fg.vjp(ref, init, xs)
    assert_trees_close(out, ref_out)
    ct = tree_map(lambda a: np.full(np.shape(a), 0.5), out)
    assert_trees_close(f_vjp(ct), ref_vjp(ct))


# --- cond and switch against a Python `if` -----------------------------------


def _true_branch(xp, w):
    def branch(x, y):
        return xp.sin(x) * y + w, x * x

    return branch


def _false_branch(xp, w):
    def branch(x, y):
        return xp.exp(0.5 * x) * w, y  # ignores nothing the other one needs

    return branch


def cond_loss(pred, x, y, w):
    a, b = lax.cond(pred, _true_branch(fnp, w), _false_branch(fnp, w), x, y)
    return fnp.sum(a * a) + fnp.sum(fnp.cos(b))


def if_loss(xp, pred, x, y, w):
    branch = _true_branch if pred else _false_branch
    a, b = branch(xp, w)(x, y)
    return xp.sum(a * a) + xp.sum(xp.cos(b))


@FEW
@given(
    pred=st.booleans(),
    data=st.data(),
    shape=st.sampled_from([(), (2,)]),
)
def test_cond_matches_python_if_in_value_and_derivatives(pred, data, shape):
    x, y, w = (data.draw(_floats(shape)) for _ in range(3))

    def f(x, y, w):
        return cond_loss(pred, x, y, w)

    def ref(x, y, w):
        return if_loss(fnp, pred, x, y, w)

    assert_transforms_agree(f, ref, (x, y, w), (0, 1, 2))


@pytest.mark.parametrize("pred", [True, False])
def test_cond_derivatives_match_finite_differences(pred):
    rng = np.random.default_rng(20 + pred)
    args = tuple(rng.normal(size=2) for _ in range(3))

    def f(*a):
        return cond_loss(pred, *a)

    def numpy_loss(*a):
        return if_loss(np, pred, *a)

    grad = flat_jacobian(fg.grad(f, argnums=(0, 1, 2))(*args))
    np.testing.assert_allclose(grad, fd_gradient(numpy_loss, args), atol=1e-7)
    hess = flat_hessian(fg.hessian(f, (0, 1, 2))(*args), args)
    np.testing.assert_allclose(hess, fd_hessian(numpy_loss, args), atol=1e-5)


SWITCH_BRANCHES = [
    lambda x: fnp.sin(x) * x,
    lambda x: x * x * x,
    lambda x: fnp.exp(x),
]


@FEW
@given(index=st.integers(-2, 4), x=_floats((2,)))
def test_switch_matches_python_indexing_with_clamped_index(index, x):
    def f(x):
        return fnp.sum(lax.switch(index, SWITCH_BRANCHES, x))

    def ref(x):
        return fnp.sum(SWITCH_BRANCHES[min(max(index, 0), 2)](x))

    assert_transforms_agree(f, ref, (x,), 0)


def test_cond_predicate_kinds():
    # Any nonzero scalar is true, as in Python's `if`.
    for pred, want in [(True, 1.0), (np.bool_(False), 2.0), (3, 1.0), (0.0, 2.0)]:
        assert lax.cond(pred, lambda: 1.0, lambda: 2.0) == want
    assert lax.cond(np.int32(-1), lambda x: x + 1, lambda x: x - 1, 5) == 6


def test_cond_over_closures_without_operands():
    w = np.array([0.3, -1.2])
    for pred in (True, False):

        def f(w, pred=pred):
            out = lax.cond(pred, lambda: fnp.sin(w) * w, lambda: w**3)
            return fnp.sum(out)

        def ref(w, pred=pred):
            return fnp.sum(fnp.sin(w) * w if pred else w**3)

        assert_transforms_agree(f, ref, (w,), 0)


def test_cond_with_int_and_float_outputs():
    x = np.array([0.5, 2.0])
    for pred in (True, False):

        def f(x, pred=pred):
            n, y = lax.cond(pred, lambda x: (1, fnp.sin(x)), lambda x: (2, x * x), x)
            return fnp.sum(y) * n

        def ref(x, pred=pred):
            n, y = (1, fnp.sin(x)) if pred else (2, x * x)
            return fnp.sum(y) * n

        assert_transforms_agree(f, ref, (x,), 0)


def test_cond_branch_returning_python_scalar_takes_other_branch_dtype():
    x = np.ones(2, np.float32)
    for pred in (True, False):
        out = lax.cond(pred, lambda x: 2.0, lambda x: fnp.sum(x), x)
        assert out.dtype == np.float32
        assert float(out) == 2.0
        g = fg.grad(lambda x, pred=pred: lax.cond(pred, lambda x: 2.0, fnp.sum, x))(x)
        assert g.dtype == np.float32
        np.testing.assert_array_equal(g, np.zeros(2) if pred else np.ones(2))
    # Under `jit` a Python scalar argument stays weak inside the branches,
    # so jit agrees with eager evaluation.
    f = fg.jit(lambda s, x, p: lax.cond(p, lambda: s, lambda: fnp.sum(x)))
    for pred in (True, False):
        out = f(2.0, x, pred)
        assert out.dtype == np.float32 and float(out) == 2.0


def test_cond_python_scalars_promote_as_in_a_python_if_and_never_truncate():
    # All branches give Python scalars: their common dtype, as `1 if p
    # else 2.0` would be a float either way.
    for pred, want in [(True, 1.0), (False, 2.0)]:
        out = lax.cond(pred, lambda: 1, lambda: 2.0)
        assert out.dtype == np.float64 and float(out) == want
    # A float cannot become the other branch's integer type without losing
    # its value (a Python `if` would return 2.5): that is an error.
    with pytest.raises(TypeError, match=r"is i32\[\] but that of .* is f64\[\]"):
        lax.cond(True, lambda: 2.5, lambda: np.int32(1))
    out = lax.switch(1, [lambda: np.float32(3.0), lambda: True])
    assert out.dtype == np.float32 and float(out) == 1.0


# --- while_loop and fori_loop ------------------------------------------------


def _while_step(xp, w):
    def step(v):
        return xp.sin(v) * w + 0.5 * v

    return step


def while_fn(x, w, steps):
    def body(state):
        i, v = state
        return i + 1, _while_step(fnp, w)(v)

    return lax.while_loop(lambda s: s[0] < steps, body, (0, x))[1]


def while_ref(xp, x, w, steps):
    v = x
    for _ in range(steps):
        v = _while_step(xp, w)(v)
    return v


@FEW
@given(steps=st.integers(0, 4), x=_floats((2,)), w=_floats((2,)))
def test_while_loop_matches_python_loop_in_forward_mode(steps, x, w):
    def f(x, w):
        return while_fn(x, w, steps)

    def ref(x, w):
        return while_ref(fnp, x, w, steps)

    assert_transforms_agree(f, ref, (x, w), (0, 1), FORWARD_TRANSFORMS)
    tangents = (np.full(2, 0.3), np.full(2, -0.6))
    assert_trees_close(fg.jvp(f, (x, w), tangents), fg.jvp(ref, (x, w), tangents))


def test_while_loop_jvp_matches_finite_differences():
    x, w = np.array([0.4, -0.9]), np.array([1.1, 0.7])
    tx, tw = np.array([0.3, 0.2]), np.array([-0.5, 0.8])
    h = 1e-6
    plus = while_ref(np, x + h * tx, w + h * tw, 3)
    minus = while_ref(np, x - h * tx, w - h * tw, 3)
    _, out_dot = fg.jvp(lambda x, w: while_fn(x, w, 3), (x, w), (tx, tw))
    np.testing.assert_allclose(out_dot, (plus - minus) / (2 * h), atol=1e-7)


def test_while_loop_with_value_dependent_predicate():
    # The number of steps depends on the value; forward mode goes through.
    def f(x):
        return lax.while_loop(lambda v: fnp.sum(v) < 10.0, lambda v: v * 1.5 + x, x)

    def ref(x):
        v = x
        while float(fg.stop_gradient(fnp.sum(v))) < 10.0:
            v = v * 1.5 + x
        return v

    x = np.array([0.3, 0.6])
    assert_transforms_agree(f, ref, (x,), 0, FORWARD_TRANSFORMS)


@pytest.mark.parametrize(
    "transform",
    [
        fg.grad,
        fg.jacrev,
        fg.hessian,
        lambda f: lambda x: fg.vjp(f, x)[1](1.0),
        lambda f: fg.jit(fg.grad(f)),
        lambda f: fg.grad(fg.jit(f)),
    ],
    ids=["grad", "jacrev", "hessian", "vjp", "jit(grad)", "grad(jit)"],
)
def test_while_loop_reverse_mode_raises_the_documented_error(transform):
    def f(x):
        return lax.while_loop(lambda v: v < 10.0, lambda v: v * 2.0, x)

    with pytest.raises(FuncgradError, match="cannot go through `while_loop`") as info:
        transform(f)(1.5)
    message = str(info.value)
    assert "fori_loop" in message and "scan" in message and "`jvp`" in message


def _fori_body(i, c):
    return fnp.sin(c) * c + 0.1 * i


def _fori_ref(x, lower, upper):
    c = x
    for i in range(lower, upper):
        c = _fori_body(i, c)
    return c


@FEW
@given(lower=st.integers(-1, 2), upper=st.integers(-1, 4), x=_floats((2,)))
def test_fori_loop_with_static_bounds_is_fully_differentiable(lower, upper, x):
    def f(x):
        return fnp.sum(lax.fori_loop(lower, upper, _fori_body, x))

    def ref(x):
        return fnp.sum(_fori_ref(x, lower, upper))

    assert_transforms_agree(f, ref, (x,), 0)


def test_fori_loop_static_bounds_gradient_matches_finite_differences():
    x = np.array([0.7, -0.4])

    def f(x):
        return fnp.sum(lax.fori_loop(0, 3, _fori_body, x))

    def numpy_loss(x):
        c = x
        for i in range(3):
            c = np.sin(c) * c + 0.1 * i
        return np.sum(c)

    np.testing.assert_allclose(fg.grad(f)(x), fd_gradient(numpy_loss, (x,)), atol=1e-7)
    np.testing.assert_allclose(
        fg.hessian(f)(x), fd_hessian(numpy_loss, (x,)), atol=1e-5
    )


def test_fori_loop_with_numpy_int_bounds_keeps_their_dtype():
    seen = []

    def body(i, c):
        seen.append(fnp.asarray(i).dtype)
        return c + i

    assert lax.fori_loop(np.int32(1), np.int32(4), body, np.int32(0)) == 6
    assert seen == [np.dtype(np.int32)]


def test_fori_loop_with_traced_bounds_under_jit():
    x = np.array([0.7, -0.4])

    @fg.jit
    def f(x, n):
        return lax.fori_loop(0, n, _fori_body, x)

    for n in (0, 1, 3):
        assert_trees_close(f(x, n), _fori_ref(x, 0, n))

    @fg.jit
    def f_jvp(x, n):
        return fg.jvp(lambda x: lax.fori_loop(0, n, _fori_body, x), (x,), (x,))

    assert_trees_close(f_jvp(x, 3), fg.jvp(lambda x: _fori_ref(x, 0, 3), (x,), (x,)))


def test_fori_loop_with_traced_bounds_rejects_reverse_mode():
    x = np.array([0.7, -0.4])

    def f(x, n):
        return fnp.sum(lax.fori_loop(0, n, _fori_body, x))

    with pytest.raises(FuncgradError, match="cannot go through `while_loop`"):
        fg.jit(fg.grad(f))(x, 3)
    with pytest.raises(FuncgradError, match="cannot go through `while_loop`"):
        fg.grad(fg.jit(f))(x, 3)
    # Concrete bounds make it a scan, which reverse mode does go through.
    assert_trees_close(
        fg.grad(f)(x, 3), fg.grad(lambda x: fnp.sum(_fori_ref(x, 0, 3)))(x)
    )


# --- batching against a loop over the batch ----------------------------------

B = 3


def _batch(rng, *shape):
    return rng.normal(size=(B, *shape))


def _loop(f, *args, in_axes=0):
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)

    def member(b):
        return [
            a if ax is None else np.take(a, b, axis=ax) for a, ax in zip(args, axes)
        ]

    outs = [f(*member(b)) for b in range(B)]
    return tree_map(lambda *o: np.stack([np.asarray(x) for x in o]), *outs)


def _scan_outputs(init, xs, w):
    return lax.scan(rnn_step(fnp, w), init, xs)


def _loop_outputs(init, xs, w):
    carry, ys = py_scan(rnn_step(fnp, w), init, xs)
    return carry, stack(ys)


@pytest.mark.parametrize(
    "in_axes",
    [(None, 0, None), (0, None, None), (None, None, 0), (0, 1, 0), (None, 1, 0)],
    ids=["xs", "init", "closure", "all", "xs-axis1-closure"],
)
def test_vmap_of_scan_matches_loop_over_batch(in_axes):
    rng = np.random.default_rng(3)
    shapes = [(2,), (4, 2), (2,)]
    args = []
    for shape, axis in zip(shapes, in_axes):
        if axis is None:
            args.append(rng.normal(size=shape))
        else:
            args.append(np.moveaxis(_batch(rng, *shape), 0, axis))
    got = fg.vmap(_scan_outputs, in_axes=in_axes)(*args)
    assert_trees_close(got, _loop(_loop_outputs, *args, in_axes=in_axes))


@st.composite
def batched_scan_problems(draw):
    length = draw(st.integers(0, 3))
    shapes = [(2,), (length, 2), (2,)]
    axes = [draw(st.none() | st.integers(0, len(s))) for s in shapes]
    if all(a is None for a in axes):
        axes[1] = 0
    args = []
    for shape, axis in zip(shapes, axes):
        if axis is None:
            args.append(draw(_floats(shape)))
        else:
            args.append(np.moveaxis(draw(_floats((B, *shape))), 0, axis))
    return tuple(args), tuple(axes), draw(st.booleans())


@FEW
@given(batched_scan_problems())
def test_vmap_of_scan_matches_loop_over_batch_for_any_axes(problem):
    args, in_axes, reverse = problem

    def f(init, xs, w):
        return lax.scan(rnn_step(fnp, w), init, xs, reverse=reverse)

    def ref(init, xs, w):
        carry, ys = py_scan(rnn_step(fnp, w), init, xs, reverse=reverse)
        return carry, stack(ys) if ys else fnp.zeros((0, 2))

    assert_trees_close(fg.vmap(f, in_axes)(*args), _loop(ref, *args, in_axes=in_axes))


def test_vmap_of_scan_with_int_counter_and_out_axes():
    rng = np.random.default_rng(4)
    xs = _batch(rng, 4, 2)

    def f(xs):
        def step(c, x):
            i, h = c
            return (i + 1, fnp.tanh(h + x * i)), h * i

        return lax.scan(step, (0, fnp.zeros(2)), xs)

    got = fg.vmap(f, out_axes=(0, 1))(xs)
    (i, h), ys = _loop(f, xs)
    assert_trees_close(got, ((i, h), np.moveaxis(ys, 0, 1)))
    assert got[0][0].dtype == np.int64


@pytest.mark.parametrize("outer", ["vmap(grad)", "grad(vmap)", "jacfwd(vmap)"])
def test_scan_gradients_and_vmap_compose(outer):
    rng = np.random.default_rng(5)
    init, xs, w = _batch(rng, 2), _batch(rng, 3, 2), rng.normal(size=2)
    if outer == "vmap(grad)":
        got = fg.vmap(fg.grad(scan_loss, (0, 1, 2)), (0, 0, None))(init, xs, w)
        want = _loop(
            fg.grad(lambda *a: loop_loss(fnp, *a), (0, 1, 2)),
            init,
            xs,
            w,
            in_axes=(0, 0, None),
        )
    else:
        transform = fg.grad if outer == "grad(vmap)" else fg.jacfwd

        def batched(init, xs, w):
            return fnp.sum(fg.vmap(scan_loss, (0, 0, None))(init, xs, w))

        def looped(init, xs, w):
            return sum(loop_loss(fnp, init[b], xs[b], w) for b in range(B))

        got = transform(batched, (0, 1, 2))(init, xs, w)
        want = transform(looped, (0, 1, 2))(init, xs, w)
    assert_trees_close(got, want)


def _branch_a(x, w):
    return fnp.sin(x) * w


def _branch_b(x, w):
    return x * x - w


@FEW
@given(
    preds=hnp.arrays(np.bool_, (B,)),
    x=_floats((B, 2)),
    w=_floats((2,)),
)
def test_vmap_of_cond_with_batched_predicate(preds, x, w):
    def f(p, x, w):
        return lax.cond(p, _branch_a, _branch_b, x, w)

    def ref(p, x, w):
        return _branch_a(x, w) if p else _branch_b(x, w)

    axes = (0, 0, None)
    assert_trees_close(
        fg.vmap(f, axes)(preds, x, w), _loop(ref, preds, x, w, in_axes=axes)
    )
    # Batched predicate only: the operands are shared by all members.
    got = fg.vmap(f, (0, None, None))(preds, x[0], w)
    assert_trees_close(got, _loop(ref, preds, x[0], w, in_axes=(0, None, None)))
    # Unbatched predicate, batched operands.
    got = fg.vmap(f, (None, 0, None))(False, x, w)
    assert_trees_close(got, _loop(ref, False, x, w, in_axes=(None, 0, None)))


@pytest.mark.parametrize("outer", ["vmap(grad)", "grad(vmap)", "hessian(vmap)"])
def test_cond_with_batched_predicate_and_gradients_compose(outer):
    rng = np.random.default_rng(7)
    preds = np.array([False, True, True])
    x, w = _batch(rng, 2), rng.normal(size=2)

    def loss(p, x, w):
        return fnp.sum(lax.cond(p, _branch_a, _branch_b, x, w) ** 2)

    def ref(p, x, w):
        return fnp.sum((_branch_a(x, w) if p else _branch_b(x, w)) ** 2)

    if outer == "vmap(grad)":
        got = fg.vmap(fg.grad(loss, (1, 2)), (0, 0, None))(preds, x, w)
        want = _loop(fg.grad(ref, (1, 2)), preds, x, w, in_axes=(0, 0, None))
    else:
        transform = fg.grad if outer == "grad(vmap)" else fg.hessian

        def batched(x, w):
            return fnp.sum(fg.vmap(loss, (0, 0, None))(preds, x, w))

        def looped(x, w):
            return sum(ref(bool(preds[b]), x[b], w) for b in range(B))

        got = transform(batched, (0, 1))(x, w)
        want = transform(looped, (0, 1))(x, w)
    assert_trees_close(got, want)


def test_batched_predicate_keeps_derivatives_of_untaken_singular_branches_out():
    # Under a batched predicate both branches run for every member; the
    # derivative of the one a member does not take (sqrt at 0, log of a
    # negative number) must not leak into its result as inf or NaN.
    x = np.array([0.0, 4.0, -1.0])
    preds = np.array([False, True, False])

    def f(x, p):
        return lax.cond(p, lambda x: fnp.sqrt(x) + fnp.log(x), lambda x: x * 2, x)

    def ref(x, p):
        return fnp.sqrt(x) + fnp.log(x) if p else x * 2

    with np.errstate(divide="ignore", invalid="ignore"):
        got = fg.vmap(fg.grad(f))(x, preds)
        assert_trees_close(got, _loop(fg.grad(ref), x, preds))
        got = fg.vmap(lambda x, p: fg.jvp(lambda x: f(x, p), (x,), (1.0,)))(x, preds)
        want = _loop(lambda x, p: fg.jvp(lambda x: ref(x, p), (x,), (1.0,)), x, preds)
        assert_trees_close(got, want)


def test_batched_cond_does_not_warn_for_branches_members_do_not_take():
    x, preds = np.array([-1.0, 4.0]), np.array([False, True])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        got = fg.vmap(lambda x, p: lax.cond(p, fnp.sqrt, lambda x: x * 2, x))(x, preds)
    assert_trees_close(got, np.array([-2.0, 2.0]))


@pytest.mark.xfail(
    strict=True,
    reason="bug: under `vmap` with a batched predicate `while_loop` keeps "
    "running the body for members that have finished (and discards the "
    "result), so a body that is only valid while the predicate holds "
    "(log(n - i) at i == n here) emits numpy's RuntimeWarning, which the "
    "Python loop never evaluates",
)
def test_batched_while_loop_does_not_warn_for_finished_members():
    def f(n):
        body = lambda c: (c[0] + 1, c[1] + fnp.log(n - c[0]))  # noqa: E731
        return lax.while_loop(lambda c: c[0] < n, body, (0, 0.0))[1]

    n = np.array([1, 3])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        got = fg.vmap(f)(n)
    assert_trees_close(got, np.array([0.0, np.log(6.0)]))


def test_vmap_of_switch_with_batched_index():
    rng = np.random.default_rng(8)
    index = np.array([-1, 1, 5])
    x = _batch(rng, 2)

    def f(i, x):
        return lax.switch(i, SWITCH_BRANCHES, x)

    def ref(i, x):
        return SWITCH_BRANCHES[min(max(int(i), 0), 2)](x)

    assert_trees_close(fg.vmap(f)(index, x), _loop(ref, index, x))
    got = fg.vmap(fg.grad(lambda i, x: fnp.sum(f(i, x)), 1))(index, x)
    assert_trees_close(
        got, _loop(fg.grad(lambda i, x: fnp.sum(ref(i, x)), 1), index, x)
    )


def _while_count(n, x, w):
    def body(state):
        i, v = state
        return i + 1, fnp.sin(v) * w + 0.5 * v

    return lax.while_loop(lambda s: s[0] < n, body, (0, x))


def _while_count_ref(n, x, w):
    i, v = 0, x
    while i < n:
        i, v = i + 1, fnp.sin(v) * w + 0.5 * v
    return np.asarray(i), v


@FEW
@given(
    in_axes=st.sampled_from([(0, None, None), (0, 0, None), (None, 0, 0), (0, 0, 0)]),
    n=hnp.arrays(np.int64, (B,), elements=st.integers(-1, 4)),
    x=_floats((B, 2)),
    w=_floats((B, 2)),
)
def test_vmap_of_while_loop_matches_loop_over_batch(in_axes, n, x, w):
    # A batched bound makes the predicate batched: members finish at
    # different steps and must keep their values once they have.
    args = [a if ax is not None else a[0] for a, ax in zip((n, x, w), in_axes)]
    got = fg.vmap(_while_count, in_axes)(*args)
    assert_trees_close(got, _loop(_while_count_ref, *args, in_axes=in_axes))


def test_while_loop_with_batched_value_predicate_and_forward_mode():
    x = np.array([0.2, 1.0, 4.0])

    def f(x, a):
        return lax.while_loop(lambda v: v < 5.0, lambda v: v * a + 0.5, x)

    def ref(x, a):
        v = x
        while float(fg.stop_gradient(v)) < 5.0:
            v = v * a + 0.5
        return v

    a = 1.7
    assert_trees_close(fg.vmap(f, (0, None))(x, a), _loop(ref, x, a, in_axes=(0, None)))
    jvp_b = fg.vmap(lambda x: fg.jvp(lambda a: f(x, a), (a,), (1.0,)))(x)
    want = _loop(lambda x: fg.jvp(lambda a: ref(x, a), (a,), (1.0,)), x)
    assert_trees_close(jvp_b, want)
    jac = fg.jacfwd(lambda x: fg.vmap(f, (0, None))(x, a))(x)
    assert_trees_close(jac, np.diag(_loop(lambda x: fg.jacfwd(ref)(x, a), x)))


def test_vmap_of_fori_loop_with_batched_bounds():
    x = np.array([0.7, -0.4])
    uppers = np.array([0, 2, 4])
    got = fg.vmap(lambda n: lax.fori_loop(0, n, _fori_body, x))(uppers)
    want = np.stack([_fori_ref(x, 0, int(n)) for n in uppers])
    assert_trees_close(got, want)


def test_cond_inside_scan_with_batched_predicate():
    rng = np.random.default_rng(11)
    xs, init = _batch(rng, 4, 2), rng.normal(size=2)

    def step(c, x):
        c = lax.cond(fnp.sum(x) > 0, lambda c: fnp.sin(c) + x, lambda c: c * x, c)
        return c, fnp.sum(c)

    def step_ref(c, x):
        pos = float(fg.stop_gradient(fnp.sum(x))) > 0
        c = fnp.sin(c) + x if pos else c * x
        return c, fnp.sum(c)

    def f(init, xs):
        return lax.scan(step, init, xs)

    def ref(init, xs):
        carry, ys = py_scan(step_ref, init, xs)
        return carry, stack(ys)

    assert_trees_close(
        fg.vmap(f, (None, 0))(init, xs), _loop(ref, init, xs, in_axes=(None, 0))
    )
    grad_f = fg.grad(lambda i, x: fnp.sum(f(i, x)[1]), (0, 1))
    grad_ref = fg.grad(lambda i, x: fnp.sum(ref(i, x)[1]), (0, 1))
    got = fg.vmap(grad_f, (None, 0))(init, xs)
    assert_trees_close(got, _loop(grad_ref, init, xs, in_axes=(None, 0)))


# --- jit against eager -------------------------------------------------------
# One set of shapes, so that the compiled kernels are shared between tests.

JIT_RNG = np.random.default_rng(12)
JIT_INIT, JIT_XS, JIT_W = (
    JIT_RNG.normal(size=3),
    JIT_RNG.normal(size=(4, 3)),
    JIT_RNG.normal(size=3),
)


def test_jit_of_scan_and_of_its_gradient():
    args = (JIT_INIT, JIT_XS, JIT_W)
    assert_trees_close(fg.jit(_scan_outputs)(*args), _scan_outputs(*args))
    grad = fg.grad(scan_loss, (0, 1, 2))
    assert_trees_close(fg.jit(grad)(*args), grad(*args))
    assert_trees_close(
        fg.jit(grad)(*args), fg.grad(lambda *a: loop_loss(fnp, *a), (0, 1, 2))(*args)
    )


def test_jit_of_vmap_of_grad_of_scan():
    xs = np.stack([JIT_XS, -JIT_XS, 0.5 * JIT_XS])
    f = fg.vmap(fg.grad(scan_loss, (0, 2)), (None, 0, None))
    assert_trees_close(fg.jit(f)(JIT_INIT, xs, JIT_W), f(JIT_INIT, xs, JIT_W))


def test_jit_of_cond_takes_either_branch_without_retracing():
    f = fg.jit(lambda p, x, w: lax.cond(p, _branch_a, _branch_b, x, w))
    for p in (True, False):
        want = _branch_a(JIT_INIT, JIT_W) if p else _branch_b(JIT_INIT, JIT_W)
        assert_trees_close(f(p, JIT_INIT, JIT_W), want)
    g = fg.jit(
        fg.grad(lambda x, w, p: fnp.sum(lax.cond(p, _branch_a, _branch_b, x, w)))
    )
    for p in (True, False):
        want = fg.grad(
            lambda x: fnp.sum(_branch_a(x, JIT_W) if p else _branch_b(x, JIT_W))
        )
        assert_trees_close(g(JIT_INIT, JIT_W, p), want(JIT_INIT))


def test_jit_of_while_loop_and_its_jvp():
    f = fg.jit(_while_count)
    for n in (0, 2):
        assert_trees_close(f(n, JIT_INIT, JIT_W), _while_count_ref(n, JIT_INIT, JIT_W))
    g = fg.jit(lambda x, w: fg.jvp(lambda x: _while_count(2, x, w)[1], (x,), (w,)))
    want = fg.jvp(lambda x: _while_count_ref(2, x, JIT_W)[1], (JIT_INIT,), (JIT_W,))
    assert_trees_close(g(JIT_INIT, JIT_W), want)


# --- trace size --------------------------------------------------------------


@pytest.mark.parametrize(
    "transform",
    [lambda f: f, fg.grad, fg.hessian],
    ids=["value", "grad", "hessian"],
)
def test_program_size_does_not_grow_with_scan_length(transform):
    def f(init, xs, w):
        return scan_loss(init, xs, w)

    sizes = []
    for length in (10, 1000):
        xs = np.ones((length, 2))
        program = fg.make_jaxpr(transform(f))(np.ones(2), xs, np.ones(2))
        sizes.append((len(program.eqns), count_eqns(program.jaxpr)))
    assert sizes[0] == sizes[1]
    assert sizes[0][1] < 200


def test_scan_body_is_traced_a_fixed_number_of_times():
    calls = []

    def step(c, x):
        calls.append(1)
        return fnp.sin(c) * x, c

    counts = []
    for length in (3, 300):
        calls.clear()
        xs = np.ones((length, 2))
        fg.hessian(lambda c: fnp.sum(lax.scan(step, c, xs)[1]))(np.ones(2))
        counts.append(len(calls))
    assert counts[0] == counts[1] <= 2


def test_program_size_of_nested_scans_does_not_grow_with_lengths():
    def f(x, xs):
        def outer(c, row):
            c, _ = lax.scan(lambda c, x: (fnp.tanh(c + x), None), c, row)
            return c, None

        return fnp.sum(lax.scan(outer, x, xs)[0])

    small = fg.make_jaxpr(fg.grad(f))(np.ones(2), np.ones((3, 4, 2)))
    big = fg.make_jaxpr(fg.grad(f))(np.ones(2), np.ones((300, 40, 2)))
    assert count_eqns(small.jaxpr) == count_eqns(big.jaxpr)


def test_fori_loop_program_is_one_scan():
    program = fg.make_jaxpr(lambda x: lax.fori_loop(0, 1000, _fori_body, x))(np.ones(2))
    assert [e.primitive.name for e in program.eqns] == ["scan"]


# --- pytrees and edge cases --------------------------------------------------


def test_scan_pytree_carry_xs_and_ys():
    rng = np.random.default_rng(13)
    init = {"h": rng.normal(size=2), "count": 0, "scale": (1.0, np.float64(2.0))}
    xs = {"a": rng.normal(size=(3, 2)), "b": (rng.normal(size=3),)}

    def step(c, x):
        h = fnp.tanh(c["h"] * c["scale"][0] + x["a"])
        new = {
            "h": h,
            "count": c["count"] + 1,
            "scale": (c["scale"][0] * 0.9, c["scale"][1] + x["b"][0]),
        }
        return new, ({"h2": h * h}, x["b"][0] * c["count"])

    got = lax.scan(step, init, xs)
    carry, ys = py_scan(step, init, xs)
    assert_trees_close(got, (carry, stack(ys)))
    assert got[0]["count"] == 3


def test_scan_with_none_ys_and_empty_carry():
    xs = np.arange(4.0)
    carry, ys = lax.scan(lambda c, x: (c + x, None), 0.0, xs)
    assert ys is None and float(carry) == 6.0
    carry, ys = lax.scan(lambda c, x: ((), x * 2), (), xs)
    assert carry == ()
    np.testing.assert_array_equal(ys, xs * 2)


def test_scan_reverse_runs_from_the_end_and_keeps_ys_in_order():
    # A carry that records the order of visits: digits of a number.
    carry, ys = lax.scan(
        lambda c, x: (c * 10 + x, c), 0.0, np.arange(1.0, 4.0), reverse=True
    )
    assert float(carry) == 321.0
    np.testing.assert_array_equal(ys, [32.0, 3.0, 0.0])


def test_scan_with_length_and_no_xs():
    def f(a):
        return lax.scan(lambda c, _: (fnp.sin(c) * a, c * a), a, length=3)

    def ref(a):
        carry, ys = py_scan(lambda c, _: (fnp.sin(c) * a, c * a), a, length=3)
        return carry, stack(ys)

    assert_trees_close(f(0.9), ref(0.9))
    for transform in (fg.jacfwd, fg.jacrev, fg.hessian):
        assert_trees_close(transform(f)(0.9), transform(ref)(0.9))


def test_scan_of_length_zero():
    init, xs = np.array([0.3, -0.2]), np.zeros((0, 2))
    carry, ys = lax.scan(rnn_step(fnp, 2.0), init, xs)
    assert_trees_close(carry, init)
    assert ys.shape == (0, 2) and ys.dtype == np.float64
    carry, ys = lax.scan(lambda c, _: (c, c), init, length=0)
    assert ys.shape == (0, 2)
    # The carry passes through unchanged: identity derivatives.
    g = fg.grad(
        lambda init, xs: fnp.sum(lax.scan(rnn_step(fnp, 2.0), init, xs)[0] ** 2), (0, 1)
    )
    assert_trees_close(g(init, xs), (2 * init, np.zeros((0, 2))))
    jac = fg.jacfwd(lambda init: lax.scan(rnn_step(fnp, 2.0), init, xs)[1])(init)
    assert jac.shape == (0, 2, 2)
    assert_trees_close(fg.hessian(lambda i: scan_loss(i, xs, 2.0))(init), 2 * np.eye(2))


def test_scan_of_length_one():
    init, xs, w = np.array([0.3, -0.2]), np.array([[0.5, 1.5]]), np.array([1.1, -0.3])
    assert_transforms_agree(
        scan_loss, lambda *a: loop_loss(fnp, *a), (init, xs, w), (0, 1, 2)
    )


def test_scan_length_argument_agreeing_with_xs():
    xs = np.arange(3.0)
    carry, _ = lax.scan(lambda c, x: (c + x, None), 0.0, xs, length=3)
    assert float(carry) == 3.0


def test_scan_with_int_step_counter_alongside_float_carry():
    w = np.array([0.5, -1.0, 2.0, 0.25])

    def f(w):
        def step(c, x):
            i, acc = c
            return (i + 1, acc * fnp.sin(fnp.take(w, i)) + x * i), acc * i

        (i, acc), ys = lax.scan(step, (0, 1.0), fnp.arange(4.0))
        return acc + fnp.sum(ys) + i

    def ref(w):
        i, acc, total = 0, 1.0, 0.0
        for x in range(4):
            total = total + acc * i
            i, acc = i + 1, acc * fnp.sin(w[i]) + x * i
        return acc + total + i

    assert_transforms_agree(f, ref, (w,), 0)
    (i, _), ys = lax.scan(
        lambda c, x: ((c[0] + 1, c[1] * x), c[0]), (0, 1.0), np.ones(3)
    )
    assert i.dtype == np.int64 and ys.dtype == np.int64
    np.testing.assert_array_equal(ys, [0, 1, 2])


def test_scan_keeps_float32_through_derivatives():
    init = np.array([0.3, -0.2], np.float32)
    xs = np.array([[0.5, 1.5], [0.1, -0.7], [1.0, 0.0]], np.float32)
    w = np.array([1.1, -0.3], np.float32)
    args = (init, xs, w)
    for name, transform in SCALAR_TRANSFORMS.items():
        out = transform(scan_loss, (0, 1, 2))(*args)
        want = transform(lambda *a: loop_loss(fnp, *a), (0, 1, 2))(*args)
        assert all(np.asarray(o).dtype == np.float32 for o in tree_leaves(out)), name
        assert_trees_close(out, want, rtol=1e-5, atol=1e-6)
    carry, ys = lax.scan(rnn_step(fnp, w), init, xs)
    assert carry.dtype == ys.dtype == np.float32
    # Every value the gradient program computes, residuals included, is
    # float32 or integer.
    program = fg.make_jaxpr(fg.grad(scan_loss, (0, 1, 2)))(*args)
    assert all(a.dtype != np.float64 for a in all_avals(program.jaxpr))
    assert all(r.dtype == "float32" for r in fg.residuals(scan_loss)(*args))


def test_python_scalar_init_is_weak_as_in_a_python_loop():
    # `0.0 + float32` is float32 in a Python loop; the carry follows.
    xs = np.arange(1.0, 4.0, dtype=np.float32)
    carry, ys = lax.scan(lambda c, x: (c + x, c), 0.0, xs)
    assert carry.dtype == ys.dtype == np.float32
    assert float(carry) == 6.0
    v = lax.while_loop(lambda c: c < 3, lambda c: c + np.float32(1), 0.0)
    assert v.dtype == np.float32
    v = lax.fori_loop(0, 3, lambda i, c: c + fnp.take(xs, i), 0.0)
    assert v.dtype == np.float32
    v = lax.fori_loop(0, 3, lambda i, c: c + i, 0)
    assert v.dtype == np.int64 and v == 3
    # A Python float is not truncated to an integer carry, which would
    # change its value: the body's integer carry is an error.
    with pytest.raises(TypeError, match=r"carry leaf 0 is f64\[\] in `init` but i32"):
        lax.scan(lambda c, x: ((c * 2).astype(np.int32), None), 2.5, np.ones(3))
    with pytest.raises(TypeError, match=r"f64\[\] in `init_val` but i32\[\]"):
        lax.while_loop(lambda c: c < 10, lambda c: (c * 3).astype(np.int32), 1.5)
    # Under `jit` a Python scalar argument is weak too.
    carry = fg.jit(lambda s, xs: lax.scan(lambda c, x: (c + x, None), s, xs)[0])(
        0.0, xs
    )
    assert carry.dtype == np.float32


def test_scan_closure_over_differentiated_weight():
    rng = np.random.default_rng(14)
    init, xs = rng.normal(size=2), rng.normal(size=(4, 2))
    w = np.array([[0.5, -0.3], [0.2, 0.9]])

    def step(w):
        def body(c, x):
            return fnp.tanh(w @ c + x), None

        return body

    def f(w):
        return fnp.sum(lax.scan(step(w), init, xs)[0])

    def ref(w):
        return fnp.sum(py_scan(step(w), init, xs)[0])

    assert_transforms_agree(f, ref, (w,), 0)

    def numpy_loss(w):
        c = init
        for x in xs:
            c = np.tanh(w @ c + x)
        return np.sum(c)

    np.testing.assert_allclose(
        fg.grad(f)(w).ravel(), fd_gradient(numpy_loss, (w,)), atol=1e-7
    )


def test_scan_carry_that_only_the_closure_makes_differentiable():
    # The initial carry is a constant; its tangent becomes nonzero after
    # the first step, through the weight.
    def f(w):
        return lax.scan(lambda c, x: (c * w + x, c * c), 0.0, np.arange(4.0))

    def ref(w):
        carry, ys = py_scan(lambda c, x: (c * w + x, c * c), 0.0, np.arange(4.0))
        return carry, stack(ys)

    for transform in (fg.jacfwd, fg.jacrev, _jacrev_jacfwd, _jacfwd_jacrev):
        assert_trees_close(transform(f, 0)(0.7), transform(ref, 0)(0.7))


def test_scan_body_passing_values_through():
    # Carries and ys that are the body's inputs themselves, or constants.
    def step(c, x):
        return (x, c[0], 3.0 * fnp.ones(())), (c[1], x)

    def f(xs):
        carry, ys = lax.scan(step, (xs[0], xs[1], 0.0), xs)
        return fnp.sum(carry[0] * carry[1]) + fnp.sum(ys[0] * ys[1]) * carry[2]

    def ref(xs):
        carry, ys = py_scan(step, (xs[0], xs[1], 0.0), xs)
        ys = stack(ys)
        return fnp.sum(carry[0] * carry[1]) + fnp.sum(ys[0] * ys[1]) * carry[2]

    assert_transforms_agree(f, ref, (np.array([0.5, -1.5, 2.0, 0.25]),), 0)


def test_map_matches_a_loop():
    xs = {"a": np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]), "b": np.arange(3.0)}

    def g(x):
        return fnp.sin(x["a"]) * x["b"]

    assert_trees_close(
        lax.map(g, xs), stack([g(tree_map(lambda a: a[i], xs)) for i in range(3)])
    )
    grad = fg.grad(lambda a: fnp.sum(lax.map(g, {"a": a, "b": xs["b"]})))(xs["a"])
    assert_trees_close(grad, np.cos(xs["a"]) * xs["b"][:, None])


# --- nesting -----------------------------------------------------------------


def _inner_step(w):
    def step(c, x):
        return fnp.tanh(c * w + x), fnp.sum(c * x)

    return step


def nested(w, init, xs):
    # A scan over rows, each an inner scan then a cond on the carry.
    def outer(c, row):
        c, ys = lax.scan(_inner_step(w), c, row)
        c = lax.cond(fnp.sum(c) > 0, lambda c: fnp.sin(c) * w, lambda c: c * c, c)
        return c, ys

    carry, ys = lax.scan(outer, init, xs)
    return fnp.sum(carry) + fnp.sum(ys**2)


def nested_ref(w, init, xs):
    c, total = init, 0.0
    for row in xs:
        for x in row:
            c, y = _inner_step(w)(c, x)
            total = total + y**2
        c = fnp.sin(c) * w if float(fg.stop_gradient(fnp.sum(c))) > 0 else c * c
    return fnp.sum(c) + total


def test_scan_inside_scan_with_cond_matches_nested_loops():
    rng = np.random.default_rng(15)
    args = (rng.normal(size=2), rng.normal(size=2), rng.normal(size=(3, 2, 2)))
    assert_transforms_agree(nested, nested_ref, args, (0, 1, 2))


def test_nested_scan_gradient_matches_finite_differences():
    rng = np.random.default_rng(16)
    w, init, xs = rng.normal(size=2), rng.normal(size=2), rng.normal(size=(2, 3, 2))

    def numpy_loss(w, init, xs):
        c, total = init, 0.0
        for row in xs:
            for x in row:
                c, y = np.tanh(c * w + x), np.sum(c * x)
                total += y**2
            c = np.sin(c) * w if np.sum(c) > 0 else c * c
        return np.sum(c) + total

    grad = flat_jacobian(fg.grad(nested, (0, 1, 2))(w, init, xs))
    np.testing.assert_allclose(grad, fd_gradient(numpy_loss, (w, init, xs)), atol=1e-6)


@pytest.mark.parametrize("pred", [True, False])
def test_scan_inside_cond(pred):
    rng = np.random.default_rng(17)
    init, xs = rng.normal(size=2), rng.normal(size=(3, 2))

    def inner(c, xs):
        return lax.scan(lambda c, x: (fnp.sin(c) + x, c * x), c, xs)[1]

    def other(c, xs):
        return c * xs

    def f(init, xs):
        return fnp.sum(lax.cond(pred, inner, other, init, xs) ** 2)

    def ref(init, xs):
        if pred:
            return fnp.sum(
                stack(py_scan(lambda c, x: (fnp.sin(c) + x, c * x), init, xs)[1]) ** 2
            )
        return fnp.sum(other(init, xs) ** 2)

    assert_transforms_agree(f, ref, (init, xs), (0, 1))
    preds = np.array([pred, not pred, pred])
    got = fg.vmap(lambda p: lax.cond(p, inner, other, init, xs))(preds)
    want = np.stack([(inner if p else other)(init, xs) for p in preds])
    assert_trees_close(got, want)


def test_grad_of_scan_inside_jacfwd_of_scan():
    # A derivative taken inside the body of an outer scan.
    xs = np.array([0.3, -0.8, 1.2])

    def f(a):
        def step(c, x):
            slope = fg.grad(
                lambda c: fnp.sum(
                    lax.scan(lambda h, _: (fnp.sin(h) * c, None), c, length=2)[0]
                )
            )(c)
            return c + slope * x * a, None

        return lax.scan(step, a, xs)[0]

    def ref(a):
        def slope_of(c):
            h = c
            for _ in range(2):
                h = fnp.sin(h) * c
            return h

        c = a
        for x in xs:
            c = c + fg.grad(slope_of)(c) * x * a
        return c

    for transform in (lambda f: f, fg.grad, fg.jacfwd, fg.hessian):
        assert_trees_close(transform(f)(0.6), transform(ref)(0.6))


# --- checkpoint --------------------------------------------------------------


def _deep_step(c, x):
    h = fnp.tanh(fnp.sin(c * x) + fnp.exp(-c * c))
    h = fnp.tanh(h * 1.5 + fnp.cos(h))
    return h, None


def test_checkpoint_inside_scan_keeps_gradient_and_saves_less():
    rng = np.random.default_rng(18)
    init, xs = rng.normal(size=4), rng.normal(size=(10, 4))

    def loss(step):
        return lambda init, xs: fnp.sum(lax.scan(step, init, xs)[0] ** 2)

    plain, remat = loss(_deep_step), loss(fg.checkpoint(_deep_step))
    assert_trees_close(
        fg.grad(remat, (0, 1))(init, xs), fg.grad(plain, (0, 1))(init, xs)
    )
    assert_trees_close(fg.hessian(remat)(init, xs), fg.hessian(plain)(init, xs))
    saved_plain = sum(r.nbytes for r in fg.residuals(plain, (0, 1))(init, xs))
    saved_remat = sum(r.nbytes for r in fg.residuals(remat, (0, 1))(init, xs))
    # Without it every intermediate of every step is stacked; with it, one
    # carry per step and the xs.
    per_step = 10 * 4 * 8
    assert saved_plain >= 5 * per_step
    assert saved_remat <= 2 * per_step + 64
    assert saved_remat < saved_plain / 2


# --- errors ------------------------------------------------------------------


def test_cond_branches_with_different_types_name_branch_and_output():
    with pytest.raises(TypeError, match=r"output 1 of `.*` is f32\[2\]") as info:
        lax.cond(
            True,
            lambda x: (x, x),
            lambda x: (x, x.astype(np.float32)),
            np.ones(2),
        )
    assert "false_fun" in str(info.value) and "true_fun" in str(info.value)
    with pytest.raises(TypeError, match=r"f64\[3\].*f64\[2\]|f64\[2\].*f64\[3\]"):
        lax.cond(True, lambda x: x, lambda x: x[:2], np.ones(3))


def test_cond_branches_with_different_structures_name_both():
    def pair(x):
        return x, x

    def single(x):
        return x

    with pytest.raises(TypeError, match="same structure") as info:
        lax.cond(True, pair, single, np.ones(3))
    assert "`pair (true_fun)`" in str(info.value)
    assert "`single (false_fun)`" in str(info.value)


def test_switch_errors():
    with pytest.raises(TypeError, match="non-empty sequence"):
        lax.switch(0, [], np.ones(2))
    with pytest.raises(TypeError, match="non-empty sequence"):
        lax.switch(0, [fnp.sin, 3], np.ones(2))
    with pytest.raises(TypeError, match=r"scalar integer index, got f64\[\]"):
        lax.switch(0.5, [fnp.sin], np.ones(2))
    with pytest.raises(TypeError, match=r"scalar integer index, got i64\[2\]"):
        lax.switch(np.array([0, 1]), [fnp.sin], np.ones(2))

    def ravel(x):
        return fnp.ravel(x)

    with pytest.raises(TypeError, match=r"`ravel \(branch 1\)` is f64\[4\]"):
        lax.switch(0, [fnp.sin, ravel], np.ones((2, 2)))


def test_cond_predicate_errors():
    with pytest.raises(TypeError, match=r"must be a scalar, got bool\[2\].*where"):
        lax.cond(np.array([True, False]), fnp.sin, fnp.cos, np.ones(2))
    with pytest.raises(TypeError, match="cannot be complex"):
        lax.cond(1j, fnp.sin, fnp.cos, np.ones(2))
    with pytest.raises(TypeError, match="predicate of `cond` is a str"):
        lax.cond("yes", fnp.sin, fnp.cos, np.ones(2))
    # Each member of a batch must give a scalar.
    with pytest.raises(TypeError, match=r"must be a scalar, got bool\[2\]"):
        fg.vmap(lambda p: lax.cond(p, lambda: 1.0, lambda: 2.0))(np.ones((3, 2), bool))


def test_scan_carry_errors_name_the_leaf_and_types():
    with pytest.raises(
        TypeError, match=r"carry leaf 0 is f64\[\] in `init` but f32\[\]"
    ):
        lax.scan(lambda c, x: (c.astype(np.float32), x), np.float64(0.0), np.ones(3))
    with pytest.raises(
        TypeError, match=r"carry leaf 1 is f64\[\] in `init` but f64\[2\]"
    ):
        lax.scan(lambda c, x: ((c[0], c[1] * np.ones(2)), x), (0.0, 1.0), np.ones(3))
    with pytest.raises(TypeError, match=r"same structure as `init`.*\(\*, \*\)"):
        lax.scan(lambda c, x: ((c, c), x), np.float64(0.0), np.ones(3))
    with pytest.raises(TypeError, match="pair `\\(carry, y\\)`, got list"):
        lax.scan(lambda c, x: [c, x], 0.0, np.ones(3))


def test_scan_xs_and_length_errors():
    def step(c, x):
        return c, x

    with pytest.raises(
        ValueError, match=r"share their leading axis, got sizes \[3, 4\]"
    ):
        lax.scan(step, 0.0, (np.ones(3), np.ones(4)))
    with pytest.raises(ValueError, match=r"is a scalar \(f64\[\]\)"):
        lax.scan(step, 0.0, 1.0)
    with pytest.raises(
        ValueError, match=r"length=4 but `xs` has leading axes of sizes \[3\]"
    ):
        lax.scan(step, 0.0, np.ones(3), length=4)
    with pytest.raises(ValueError, match="needs `length=`"):
        lax.scan(step, 0.0)
    for bad in (-1, 2.5):
        with pytest.raises(ValueError, match="non-negative Python int"):
            lax.scan(step, 0.0, length=bad)
    with pytest.raises(TypeError, match="An element of `xs` of `scan` is a str"):
        lax.scan(step, 0.0, "abc")


def test_while_loop_errors():
    with pytest.raises(TypeError, match=r"scalar boolean, got bool\[2\]"):
        lax.while_loop(lambda c: c < 1, lambda c: c + 1, np.zeros(2))
    with pytest.raises(TypeError, match=r"same structure as `init_val`"):
        lax.while_loop(lambda c: c < 1, lambda c: (c, c), 0.0)
    with pytest.raises(TypeError, match=r"leaf 0 is f64\[\] in `init_val` but f32\[\]"):
        lax.while_loop(lambda c: c < 1, lambda c: c.astype(np.float32), np.float64(0))
    with pytest.raises(
        TypeError, match=r"`lower` of `fori_loop` must be a scalar integer"
    ):
        lax.fori_loop(0.0, 3, lambda i, c: c, 0.0)
    with pytest.raises(
        TypeError, match=r"`upper` of `fori_loop` must be a scalar integer"
    ):
        fg.jit(lambda u: lax.fori_loop(0, u, lambda i, c: c, 0.0))(3.0)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: lax.scan(3, 0.0, np.ones(3)), "`scan` takes a function `f(carry"),
        (lambda: lax.cond(True, None, fnp.sin, 1.0), "`cond` takes a function as `true"),
        (lambda: lax.cond(True, fnp.sin, "c", 1.0), "`cond` takes a function as `false"),
        (lambda: lax.switch(0, fnp.sin, 1.0), "`switch` needs a non-empty sequence"),
        (lambda: lax.while_loop(1, fnp.sin, 0.0), "`while_loop` takes a function `cond"),
        (lambda: lax.while_loop(fnp.sin, 2, 0.0), "`while_loop` takes a function `body"),
        (lambda: lax.fori_loop(0, 3, None, 0.0), "`fori_loop` takes a function"),
        (lambda: lax.map(None, np.ones(3)), "`map` takes a function"),
    ],
    ids=["scan", "cond-true", "cond-false", "switch", "while-cond", "while-body",
         "fori", "map"],
)  # fmt: skip
def test_non_callable_arguments_name_the_api_and_argument(call, message):
    with pytest.raises(TypeError) as info:
        call()
    assert str(info.value).startswith(message)
    assert "not callable" in str(info.value) or "got <function sin" in str(info.value)
    assert isinstance(info.value, FuncgradError)


def test_vmap_of_a_while_loop_over_an_empty_batch_runs_no_step():
    out = fg.vmap(lambda a: lax.while_loop(lambda v: v < 10, lambda v: v + 1, a))(
        np.zeros(0)
    )
    assert out.shape == (0,)


def test_scan_length_must_be_an_int():
    with pytest.raises(ValueError, match="non-negative Python int, got 3.0"):
        lax.scan(lambda c, x: (c, x), 0.0, None, length=3.0)


def test_jit_grad_of_a_scan_whose_step_is_a_constant_factor():
    # Every operand of the transposed scan is a literal; staging must not
    # try to fold (run) the loop while tracing.
    f = lambda w: lax.scan(lambda c, x: (c * 2.0, None), w, None, length=2)[0]  # noqa: E731
    assert fg.jit(fg.grad(f))(1.0) == 4.0
    g = lambda w: lax.fori_loop(0, 3, lambda i, c: c * 2.0, w)  # noqa: E731
    assert fg.jit(fg.grad(g))(1.0) == 8.0
