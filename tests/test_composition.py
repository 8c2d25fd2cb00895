"""Composed transforms: every ordered pair, and a set of triples, checked.

Each transform is wrapped so that it maps a function of one pytree argument
to another function of one pytree argument:

- `grad` takes the gradient of the sum of all output elements;
- `jvp` pushes forward a fixed tangent shaped like the input;
- `vjp` pulls back a fixed cotangent shaped like the output;
- `vmap` maps over a new leading axis of every input leaf;
- `jit` is `fg.jit`.

So any chain of them is well typed, and a chain with k `vmap`s takes inputs
with k leading batch axes. Each transform also has a reference built without
funcgrad's transforms: central finite differences in float64 for `grad`,
`jvp` and `vjp`, a Python loop for `vmap`, plain evaluation for `jit`. The
reference of a chain is the same chain of references, so `vmap(grad(f))` is
checked against a loop over finite-difference gradients.

The same functions are also checked on inputs hypothesis draws, with
`funcgrad.testing.check_derivatives`: every derivative property (both modes
against finite differences to order 2, the dot-product test, linearity,
Hessian symmetry, `vmap` against a loop, `jit` against eager).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.testing import check_derivatives, params_like
from funcgrad.tree_util import tree_flatten, tree_leaves, tree_map, tree_unflatten

# Test functions: one pytree argument in, a pytree out.

RNG = np.random.default_rng(0)
A = RNG.normal(size=(3, 2))
X_DATA = RNG.normal(size=(4, 2))


def scalar(x):
    return x * fnp.sin(x) + fnp.exp(x) / (1.0 + x**2)


def elementwise(x):
    y = fnp.sin(2.0 * x) * fnp.exp(-0.5 * x**2) + fnp.log(1.0 + x**2) / (
        2.0 + fnp.tanh(x)
    )
    y = fnp.where(x > 0, y, x * fnp.cos(x))
    return y + fnp.clip(x, -0.8, 0.8) ** 3 - fnp.sqrt(x**2 + 1.0) / (1.0 + abs(x))


def reductions(x):
    s = fnp.sum(x**2, axis=0)
    m = fnp.max(fnp.tanh(x), axis=1, keepdims=True)
    return s * fnp.mean(fnp.sin(x) * m, axis=0) + fnp.mean(x) * fnp.max(x)


def matmul(x):
    y = fnp.tanh(x @ A)
    z = fnp.dot(x.T, y)
    t = fnp.tensordot(z, y, axes=([0], [0]))
    return t + fnp.inner(x[1], x[2]) * fnp.outer(x[0, :2], x[:2, 2]) + A.T @ x @ A


def indexing(x):
    a = x[::-1, 1:4]
    b = x[1:, ::-2]
    c = x[-1, None, :3]
    d = x[..., 2]
    e = x[-2::-2, ::-1][:, :3].T
    return a[:3] * b + c * d[:3, None] + fnp.sin(e[:, 0:1]) * e[:, 1]


def mlp(params):
    h = fnp.tanh(X_DATA @ params["w1"] + params["b1"])
    return h @ params["w2"] + 0.5 * fnp.sum(params["w2"] ** 2)


def pytree_io(args):
    a, d = args
    u = d["m"] @ a * d["s"]
    stacked = fnp.stack([u, fnp.exp(-u)]).reshape(4, 1)
    return stacked, {
        "norm": fnp.sum(a**2) * d["s"],
        "cat": fnp.concatenate([a, fnp.transpose(u)]),
    }


# (name, function, shapes of its argument as a pytree of tuples)
FUNCTIONS = [
    ("scalar", scalar, ()),
    ("elementwise", elementwise, (5,)),
    ("reductions", reductions, (3, 4)),
    ("matmul", matmul, (3, 3)),
    ("indexing", indexing, (4, 5)),
    ("mlp", mlp, {"w1": (2, 3), "b1": (3,), "w2": (3,)}),
    ("pytree_io", pytree_io, ((3,), {"s": (), "m": (2, 3)})),
]

# Batch sizes of the outermost and the next `vmap`.
BATCH = (3, 2)


def _is_shape(x):
    return isinstance(x, tuple) and all(isinstance(d, int) for d in x)


def make_input(shapes, n_vmaps, seed):
    """Values with distinct magnitudes in [0.2, 1.1], away from every kink.

    Distinct magnitudes keep `max` free of ties; |x| >= 0.2 keeps `where`
    and `abs` away from 0, and no value lies near the `clip` bound 0.8.
    """
    leaves, treedef = tree_flatten(shapes, is_leaf=_is_shape)
    full = [BATCH[:n_vmaps] + shape for shape in leaves]
    sizes = [int(np.prod(shape)) for shape in full]
    grid = np.linspace(0.2, 1.1, 2 * sum(sizes))
    grid = grid[np.abs(grid - 0.8) > 0.03]
    rng = np.random.default_rng(seed)
    values = rng.choice(grid, sum(sizes), replace=False)
    values *= rng.choice([-1.0, 1.0], sum(sizes))
    splits = np.split(values, np.cumsum(sizes)[:-1])
    arrays = [v.reshape(shape) for v, shape in zip(splits, full)]
    return tree_unflatten(treedef, arrays)


def direction(tree):
    """A fixed tangent or cotangent, shaped like `tree`, that depends only on shapes."""
    leaves, treedef = tree_flatten(tree)
    out = []
    for i, leaf in enumerate(leaves):
        shape = fnp.shape(leaf)
        n = int(np.prod(shape))
        out.append(np.cos(1.0 + 0.7 * np.arange(n) + 1.3 * i).reshape(shape))
    return tree_unflatten(treedef, out)


# The transforms under test.


def _total(tree):
    leaves = tree_leaves(tree)
    out = fnp.sum(leaves[0])
    for leaf in leaves[1:]:
        out = out + fnp.sum(leaf)
    return out


def t_grad(f, eps):
    return fg.grad(lambda x: _total(f(x)))


def t_jvp(f, eps):
    def f_jvp(x):
        return fg.jvp(f, (x,), (direction(x),))[1]

    return f_jvp


def t_vjp(f, eps):
    def f_vjp(x):
        out, pullback = fg.vjp(f, x)
        return pullback(direction(out))[0]

    return f_vjp


def t_vmap(f, eps):
    return fg.vmap(f)


def t_jit(f, eps):
    return fg.jit(f)


# Their references, built from finite differences, loops and plain calls.


def _np_total(tree):
    return sum(float(np.sum(leaf)) for leaf in tree_leaves(tree))


def _np_vdot(a, b):
    return sum(float(np.vdot(x, y)) for x, y in zip(tree_leaves(a), tree_leaves(b)))


def _fd_gradient(scalar_f, x, eps):
    """Central differences of `scalar_f` along every element of pytree `x`."""
    leaves, treedef = tree_flatten(x)
    leaves = [np.array(leaf, dtype=np.float64) for leaf in leaves]
    grads = []
    for leaf in leaves:
        g = np.zeros_like(leaf)
        for idx in np.ndindex(leaf.shape):
            value = leaf[idx]
            leaf[idx] = value + eps
            plus = scalar_f(tree_unflatten(treedef, leaves))
            leaf[idx] = value - eps
            minus = scalar_f(tree_unflatten(treedef, leaves))
            leaf[idx] = value
            g[idx] = (plus - minus) / (2 * eps)
        grads.append(g)
    return tree_unflatten(treedef, grads)


def r_grad(f, eps):
    def f_grad(x):
        return _fd_gradient(lambda y: _np_total(f(y)), x, eps)

    return f_grad


def r_jvp(f, eps):
    def f_jvp(x):
        v = direction(x)
        plus = f(tree_map(lambda a, b: a + eps * b, x, v))
        minus = f(tree_map(lambda a, b: a - eps * b, x, v))
        return tree_map(lambda p, m: (p - m) / (2 * eps), plus, minus)

    return f_jvp


def r_vjp(f, eps):
    def f_vjp(x):
        u = direction(f(x))
        return _fd_gradient(lambda y: _np_vdot(u, f(y)), x, eps)

    return f_vjp


def r_vmap(f, eps):
    def f_loop(xs):
        size = np.shape(tree_leaves(xs)[0])[0]
        outs = [f(tree_map(lambda a: a[i], xs)) for i in range(size)]
        return tree_map(lambda *ys: np.stack([np.asarray(y) for y in ys]), *outs)

    return f_loop


def r_jit(f, eps):
    return f


TRANSFORMS = {
    "grad": (t_grad, r_grad),
    "jvp": (t_jvp, r_jvp),
    "vjp": (t_vjp, r_vjp),
    "vmap": (t_vmap, r_vmap),
    "jit": (t_jit, r_jit),
}
DERIVATIVES = {"grad", "jvp", "vjp"}

# Chains are written outermost first: ("vmap", "grad") is vmap(grad(f)).
PAIRS = list(itertools.product(TRANSFORMS, repeat=2))
TRIPLES = [
    ("jit", "vmap", "grad"),
    ("vmap", "jvp", "grad"),
    ("grad", "jit", "vmap"),
    ("jvp", "grad", "jit"),
    ("vjp", "vmap", "jit"),
    ("jit", "grad", "grad"),
    ("vmap", "vmap", "grad"),
    ("grad", "vmap", "jvp"),
    ("vjp", "grad", "vmap"),
    ("jit", "vjp", "jvp"),
    ("vmap", "jit", "vjp"),
]

# Step and tolerance by the number of nested finite differences.
EPS = {0: 1e-6, 1: 1e-6, 2: 1e-4}
TOL = {0: 1e-12, 1: 1e-7, 2: 1e-5}

# case id -> reason, for compositions that fail because of a funcgrad bug.
KNOWN_BUGS: dict[str, str] = {}


def chain_id(chain):
    return "(".join(chain) + ")" * (len(chain) - 1)


def compose(chain, f, which, eps):
    g = f
    for name in reversed(chain):
        g = TRANSFORMS[name][which](g, eps)
    return g


def _cases():
    for chain in PAIRS + TRIPLES:
        for name, f, shapes in FUNCTIONS:
            case_id = f"{chain_id(chain)}-{name}"
            marks = []
            if case_id in KNOWN_BUGS:
                marks = [pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[case_id])]
            yield pytest.param(chain, f, shapes, id=case_id, marks=marks)


def assert_trees_close(got, want, tol):
    got_leaves, got_tree = tree_flatten(got)
    want_leaves, want_tree = tree_flatten(want)
    assert got_tree == want_tree, f"structure {got_tree} != {want_tree}"
    for g, w in zip(got_leaves, want_leaves):
        assert np.shape(g) == np.shape(w), f"shape {np.shape(g)} != {np.shape(w)}"
        assert np.asarray(g).dtype == np.float64
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


@pytest.mark.parametrize("chain, f, shapes", list(_cases()))
def test_composition_matches_reference(chain, f, shapes):
    depth = sum(name in DERIVATIVES for name in chain)
    x = make_input(shapes, chain.count("vmap"), seed=len(chain))

    got = compose(chain, f, 0, EPS[depth])(x)
    want = compose(chain, f, 1, EPS[depth])(x)

    assert_trees_close(got, want, TOL[depth])


# The kinks of each function, for the strategy to keep away from: `where`
# and `abs` at 0, `clip` at +-0.8, and `max` wherever two elements tie.
KINKS = {
    "elementwise": {"away_from": (0.0, -0.8, 0.8)},
    "reductions": {"min_gap": 0.05},
}


@pytest.mark.parametrize("name, f, shapes", FUNCTIONS, ids=[c[0] for c in FUNCTIONS])
def test_derivative_properties_hold_on_drawn_inputs(name, f, shapes):
    example = tree_map(np.zeros, shapes, is_leaf=_is_shape)
    drawn = params_like(example, min_value=-1.1, max_value=1.1, **KINKS.get(name, {}))
    check_derivatives(f, drawn)
