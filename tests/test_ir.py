"""The IR: printing, type checking, evaluation and dead-code elimination."""

from __future__ import annotations

import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.core import (
    ClosedJaxpr,
    Jaxpr,
    JaxprEqn,
    JaxprTypeError,
    Literal,
    ShapedArray,
    Var,
    dce_jaxpr,
    eval_jaxpr,
    typecheck_jaxpr,
)
from funcgrad.primitives._elementwise import add_p, sin_p


def _program():
    a, b = Var(ShapedArray((3,), np.float64)), Var(ShapedArray((3,), np.float64))
    c = Var(ShapedArray((3,), np.float64))
    d = Var(ShapedArray((3,), np.float64))
    one = Literal(np.float64(1.0), ShapedArray((), np.float64))
    eqns = [JaxprEqn(sin_p, [a], {}, [c]), JaxprEqn(add_p, [c, one], {}, [d])]
    return Jaxpr([b], [a], eqns, [d]), a, b, c, d


def test_printer_names_variables_with_types_and_constants_first():
    jaxpr, *_ = _program()
    assert str(jaxpr).splitlines() == [
        "{ lambda a:f64[3]; b:f64[3]. let",
        "    c:f64[3] = sin b",
        "    d:f64[3] = add c 1.0:f64[]",
        "  in (d,) }",
    ]


def test_evaluator_runs_the_program():
    jaxpr, *_ = _program()
    x = np.array([0.0, 1.0, 2.0])
    (out,) = eval_jaxpr(jaxpr, [np.zeros(3)], x)
    np.testing.assert_allclose(out, np.sin(x) + 1.0)
    (out2,) = ClosedJaxpr(jaxpr, [np.zeros(3)])(x)
    np.testing.assert_allclose(out2, out)


def test_typecheck_accepts_a_good_program_and_rejects_bad_ones():
    jaxpr, a, b, c, d = _program()
    typecheck_jaxpr(jaxpr)
    wrong = Var(ShapedArray((4,), np.float64))
    bad_type = Jaxpr([b], [a], [JaxprEqn(sin_p, [a], {}, [wrong])], [wrong])
    with pytest.raises(JaxprTypeError, match=r"sin.*f64\[3\].*f64\[4\]"):
        typecheck_jaxpr(bad_type)
    undefined = Jaxpr([], [a], [JaxprEqn(sin_p, [c], {}, [d])], [d])
    with pytest.raises(JaxprTypeError, match="undefined"):
        typecheck_jaxpr(undefined)
    twice = Jaxpr([], [a], [JaxprEqn(sin_p, [a], {}, [a])], [a])
    with pytest.raises(JaxprTypeError, match="twice"):
        typecheck_jaxpr(twice)


def test_dce_drops_unused_equations_and_constants():
    jaxpr, a, b, c, _d = _program()
    only_sin = Jaxpr([b], [a], jaxpr.eqns, [c])
    pruned, consts = dce_jaxpr(only_sin, [np.zeros(3)])
    assert [e.primitive.name for e in pruned.eqns] == ["sin"]
    assert consts == [] and pruned.constvars == []


def test_make_jaxpr_records_constants_and_literals():
    w = np.arange(6.0).reshape(2, 3)
    program = fg.make_jaxpr(lambda x: fnp.sum(x @ w) * 2.0)(np.ones(2))
    assert len(program.consts) == 1 and program.consts[0] is w
    assert "2.0:f64[]" in str(program)
    typecheck_jaxpr(program.jaxpr)


def test_operations_on_constants_are_staged_under_make_jaxpr():
    program = fg.make_jaxpr(lambda x: x + fnp.sin(np.ones(3)))(np.ones(3))
    assert [e.primitive.name for e in program.eqns] == ["sin", "add"]


def test_scalar_literal_arithmetic_is_folded():
    text = str(fg.make_jaxpr(fg.grad(lambda x: fnp.mean(x)))(np.ones(4)))
    assert "0.25:f64[]" in text and "div 1.0" not in text
