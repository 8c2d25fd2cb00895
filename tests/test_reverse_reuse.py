"""Reverse mode is one program that reuses the forward pass.

These tests read the program `make_jaxpr(grad(f))` prints: the forward
equations appear once, the backward equations read saved values instead of
recomputing them, and `residuals` lists what is kept.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.core import Literal, typecheck_jaxpr

TRANSCENDENTAL = {
    "exp",
    "log",
    "log1p",
    "expm1",
    "sin",
    "cos",
    "tan",
    "tanh",
    "logistic",
    "sqrt",
    "pow",
}


def _network(params, x):
    for w, b in params:
        x = fnp.tanh(x @ w + b)
    return fnp.sum(x)


def _params(rng, sizes):
    return [
        (rng.normal(size=(m, n)) / np.sqrt(m), rng.normal(size=n))
        for m, n in itertools.pairwise(sizes)
    ]


def test_three_layer_tanh_gradient_evaluates_tanh_three_times():
    rng = np.random.default_rng(0)
    params, x = _params(rng, [4, 8, 8, 3]), rng.normal(size=(5, 4))
    program = fg.make_jaxpr(fg.grad(_network))(params, x)
    typecheck_jaxpr(program.jaxpr)
    names = [e.primitive.name for e in program.eqns]
    assert names.count("tanh") == 3
    assert not (set(names) - {"tanh"}) & TRANSCENDENTAL
    # Forward before backward: the backward equations are those that depend
    # on the cotangent seed (the only equation of literals alone); every
    # tanh comes before the first of them.
    backward, seen = [], set()
    for i, e in enumerate(program.eqns):
        from_seed = all(type(x) is Literal for x in e.invars)
        if from_seed or any(x in seen for x in e.invars if type(x) is not Literal):
            seen.update(e.outvars)
            backward.append(i)
    assert len(backward) > 3
    assert max(i for i, n in enumerate(names) if n == "tanh") < min(backward)
    assert all(names[i] != "tanh" for i in backward)


def _value_numbers(jaxpr, consts):
    """Give each equation a key that identifies the value it computes."""
    number = {}
    for i, v in enumerate(jaxpr.invars):
        number[v] = ("in", i)
    for v, c in zip(jaxpr.constvars, consts):
        number[v] = ("const", np.asarray(c).tobytes(), np.shape(c))

    def key(atom):
        if type(atom) is Literal:
            return ("lit", repr(atom.val), str(atom.aval.dtype))
        return number[atom]

    keys = []
    for eqn in jaxpr.eqns:
        k = (
            eqn.primitive.name,
            repr(sorted(eqn.params.items())),
            tuple(key(x) for x in eqn.invars),
        )
        keys.append(k)
        for j, v in enumerate(eqn.outvars):
            number[v] = (k, j)
    return keys


def _mlp_loss(params, x):
    h = fnp.tanh(x @ params["w1"] + params["b1"])
    return fnp.mean((h @ params["w2"]) ** 2)


def _softmax_loss(x):
    e = fnp.exp(x - fnp.max(x))
    return fnp.sum(e / fnp.sum(e) * fnp.arange(5.0))


CASES = [
    (
        "sin-cos chain",
        lambda x: fnp.sum(fnp.sin(fnp.cos(x)) * x),
        lambda rng: (rng.normal(size=6),),
    ),
    (
        "exp-log",
        lambda x: fnp.sum(fnp.log(1.0 + fnp.exp(x))),
        lambda rng: (rng.normal(size=(2, 3)),),
    ),
    (
        "tanh network",
        _network,
        lambda rng: (_params(rng, [3, 4, 2]), rng.normal(size=(2, 3))),
    ),
    (
        "mlp dict",
        _mlp_loss,
        lambda rng: (
            {
                "w1": rng.normal(size=(3, 4)),
                "b1": np.zeros(4),
                "w2": rng.normal(size=(4, 2)),
            },
            rng.normal(size=(5, 3)),
        ),
    ),
    (
        "max and divide",
        lambda x: fnp.max(x / (1.0 + x * x)),
        lambda rng: (rng.normal(size=7),),
    ),
    ("softmax", lambda x: _softmax_loss(x), lambda rng: (rng.normal(size=5),)),
]


@pytest.mark.parametrize("name, f, make_args", CASES, ids=[c[0] for c in CASES])
def test_gradient_program_computes_each_forward_equation_once(name, f, make_args):
    args = make_args(np.random.default_rng(1))
    forward = fg.make_jaxpr(f)(*args)
    gradient = fg.make_jaxpr(fg.grad(f))(*args)
    typecheck_jaxpr(gradient.jaxpr)
    forward_keys = set(_value_numbers(forward.jaxpr, forward.consts))
    grad_keys = _value_numbers(gradient.jaxpr, gradient.consts)
    reused = [k for k in grad_keys if k in forward_keys]
    assert len(reused) <= len(forward.eqns)
    assert len(reused) == len(set(reused)), "a forward equation is computed twice"
    assert len(grad_keys) == len(set(grad_keys)), (
        "the gradient program recomputes a value"
    )


def test_gradient_program_is_correct_when_evaluated():
    rng = np.random.default_rng(2)
    params, x = _params(rng, [3, 4, 2]), rng.normal(size=(2, 3))
    program = fg.make_jaxpr(fg.grad(_network))(params, x)
    leaves = fg.tree_util.tree_leaves((params, x))
    from_program = program(*leaves)
    direct = fg.tree_util.tree_leaves(fg.grad(_network)(params, x))
    for a, b in zip(from_program, direct):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_residuals_list_what_the_backward_pass_reads():
    rng = np.random.default_rng(3)
    w, x = rng.normal(size=(4, 3)), rng.normal(size=(6, 4))

    def loss(w, x):
        return fnp.sum(fnp.tanh(x @ w))

    found = fg.residuals(loss)(w, x)
    # d/dw sum(tanh(x @ w)) = x^T (1 - tanh^2): it needs x and 1 - y*y, not w.
    shapes = sorted(r.shape for r in found)
    assert shapes == [(6, 3), (6, 4)]
    assert all(r.nbytes == np.prod(r.shape) * 8 for r in found)
    assert {r.source for r in found} == {"sub", "argument 1"}
    assert all(r.dtype == "float64" for r in found)


def test_residuals_shrink_for_a_linear_function():
    found = fg.residuals(lambda x: fnp.sum(3.0 * x))(np.ones(5))
    assert found == []
