"""Transposition: run a linear program backwards, from output cotangents to
input cotangents.

The tangent program that linearization stages is linear in its inputs.
`backward_pass` walks its equations in reverse; each primitive's transpose
rule receives the cotangent of its output, the known (non-linear) inputs as
values and the linear ones as `UndefinedPrimal`, and returns a cotangent for
each linear input. Rules are written with primitives, so the backward pass
is itself traceable: under `make_jaxpr` it is recorded, under an outer `grad`
it is differentiated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from funcgrad.core import Jaxpr, Literal, Primitive, ShapedArray, Var
from funcgrad.core._source import in_phase, state
from funcgrad.errors import MissingRuleError
from funcgrad.transforms._ad_util import Zero, add_any_p, add_tangents

TransposeRule = Callable[..., Sequence[Any]]
transpose_rules: dict[Primitive, TransposeRule] = {}


class UndefinedPrimal:
    """Stands for a linear input whose cotangent the backward pass seeks."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray) -> None:
        self.aval = aval

    def __repr__(self) -> str:
        return f"UndefinedPrimal({self.aval.str_short()})"


def is_undefined(x: Any) -> bool:
    return type(x) is UndefinedPrimal


def backward_pass(
    jaxpr: Jaxpr, consts: Sequence[Any], cts_out: Sequence[Any]
) -> list[Any]:
    """Cotangents of `jaxpr`'s inputs (all linear) given its outputs'."""
    known: dict[Var, Any] = dict(zip(jaxpr.constvars, consts))
    linear = set(jaxpr.invars)
    cts: dict[Var, Any] = {}

    def accumulate(v: Any, ct: Any) -> None:
        if type(v) is Var and v in linear and type(ct) is not Zero and ct is not None:
            cts[v] = add_tangents(cts[v], ct) if v in cts else ct

    linear_eqns = []
    for eqn in jaxpr.eqns:
        if any(type(x) is Var and x in linear for x in eqn.invars):
            linear.update(eqn.outvars)
            linear_eqns.append(eqn)
        else:
            _eval_known(eqn, known)
    for v, ct in zip(jaxpr.outvars, cts_out):
        accumulate(v, ct)
    # What the rules record or compute belongs to the backward pass, at the
    # user's line of the equation being transposed.
    outer = state.override
    with in_phase("backward"):
        for eqn in reversed(linear_eqns):
            ct_outs = [cts.pop(v, None) for v in eqn.outvars]
            if all(ct is None for ct in ct_outs):
                continue
            invals = [_inval(x, known, linear) for x in eqn.invars]
            rule = transpose_rules.get(eqn.primitive)
            if rule is None:
                raise MissingRuleError(
                    eqn.primitive.name,
                    "transpose",
                    "It appeared in a linearized program, so its jvp rule is "
                    "not written with linear primitives only.",
                )
            if eqn.primitive.multiple_results:
                ct_arg: Any = [
                    Zero(v.aval) if ct is None else ct
                    for v, ct in zip(eqn.outvars, ct_outs)
                ]
            else:
                ct_arg = ct_outs[0]
            source = eqn.source or outer
            previous, state.override = state.override, source and source.backward
            try:
                results = rule(ct_arg, *invals, **eqn.params)
                for x, ct in zip(eqn.invars, results):
                    accumulate(x, ct)
            finally:
                state.override = previous
    return [cts.get(v, Zero(v.aval)) for v in jaxpr.invars]


def _eval_known(eqn: Any, known: dict[Var, Any]) -> None:
    args = [x.val if type(x) is Literal else known[x] for x in eqn.invars]
    previous = state.override
    state.override = eqn.source or previous
    try:
        outs = eqn.primitive.bind(*args, **eqn.params)
    finally:
        state.override = previous
    known.update(zip(eqn.outvars, outs if eqn.primitive.multiple_results else [outs]))


def _inval(x: Any, known: dict[Var, Any], linear: set[Var]) -> Any:
    if type(x) is Literal:
        return x.val
    if x in linear:
        return UndefinedPrimal(x.aval)
    return known[x]


def add_any_transpose(ct: Any, x: Any, y: Any) -> list[Any]:
    return [ct, ct]


transpose_rules[add_any_p] = add_any_transpose
