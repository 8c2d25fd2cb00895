"""Whole-program compilation: a small program becomes one numba function.

When every step of a plan can be written in numba (fused groups as loop
nests, and the other equations through `array_lowerings`: small matrix
products, slices, pads, reshapes, broadcasts, concatenations, sums), the
program is generated as one function, so a call costs one numba dispatch
instead of a Python loop over steps. Values of shape () are numba scalars.
Loops and branches (`scan`, `while`, `cond`) are written as Python loops
and `if`s around their bodies' statements (`funcgrad.backend._loops`),
inside a whole program or as a function of their own.
"""

from __future__ import annotations

import itertools
from typing import Any

from funcgrad.backend._fusion import Group, is_reduction, plan, unsupported_dtype
from funcgrad.backend._kernels import aligned_shape, emit_loops
from funcgrad.backend._loops import Form, ScanForm, control_form, loop_statements
from funcgrad.backend._registry import (
    accumulator_dtype,
    array_lowerings,
    literal,
    lower_elementwise,
    reduction_lowerings,
    scalar_type,
)
from funcgrad.core import Jaxpr, JaxprEqn, Literal, Var


def whole_source(jaxpr: Jaxpr, steps: list[Any]) -> str | None:
    """The source of `kernel(*consts, *args)` computing the whole program,
    or None if a step cannot be compiled into it."""
    if _unsupported(jaxpr):
        return None
    names: dict[Var, str] = {}
    params = []
    for i, v in enumerate(jaxpr.constvars):
        names[v] = f"c{i}"
        params.append(names[v])
    for i, v in enumerate(jaxpr.invars):
        names[v] = f"a{i}"
        params.append(names[v])
    lines = _Writer().steps(steps, names)
    if lines is None:
        return None
    outs = ", ".join(_atom(v, names) for v in jaxpr.outvars)
    return _function(params, lines, outs)


def loop_source(eqn: JaxprEqn, form: Form) -> tuple[str, list[Var]] | None:
    """The source of one numba function running a control-flow equation
    (see `funcgrad.backend._loops`), and the variables it takes, in order;
    a scan's takes its length first, as `n`, so that one kernel serves
    every length. None if a body cannot be compiled."""
    params = list(dict.fromkeys(x for x in eqn.invars if type(x) is Var))
    if any(unsupported_dtype(v.aval.dtype) for v in [*params, *eqn.outvars]):
        return None
    names = {v: f"a{i}" for i, v in enumerate(params)}
    writer = _Writer()
    outs = [writer.fresh("v") for _ in eqn.outvars]
    operands = [_atom(x, names) for x in eqn.invars]
    length = "n" if type(form) is ScanForm else None
    body = loop_statements(form, outs, operands, writer, length)
    if body is None:
        return None
    heads = (["n"] if length else []) + [names[v] for v in params]
    source = _function(heads, ["    " + line for line in body], ", ".join(outs))
    return source, params


def _function(params: list[str], lines: list[str], outs: str) -> str:
    head = f"def kernel({', '.join(params)}):"
    return "\n".join([head, *lines, f"    return ({outs},)"]) + "\n"


def _unsupported(jaxpr: Jaxpr) -> bool:
    every = [*jaxpr.constvars, *jaxpr.invars] + [
        v for e in jaxpr.eqns for v in e.outvars
    ]
    return any(unsupported_dtype(v.aval.dtype) for v in every)


class _Writer:
    """Writes a plan's steps as the statements of one function. Names are
    numbered across the whole function, the bodies of loops and branches
    included, so that nested programs never clash."""

    def __init__(self) -> None:
        self.counter = itertools.count()

    def fresh(self, stem: str) -> str:
        return f"{stem}{next(self.counter)}"

    def body(
        self, jaxpr: Jaxpr, in_names: list[str], into: dict[int, str] | None = None
    ) -> tuple[list[str], list[str], set[int]] | None:
        assert not jaxpr.constvars, "loop bodies are closure-converted"
        if _unsupported(jaxpr):
            return None
        steps = plan(jaxpr, 1)
        names = dict(zip(jaxpr.invars, in_names))
        targets, stored = _targets(jaxpr, steps, into or {})
        lines = self.steps(steps, names, targets)
        if lines is None:
            return None
        return lines, [_atom(v, names) for v in jaxpr.outvars], stored

    def steps(
        self,
        steps: list[Any],
        names: dict[Var, str],
        targets: dict[Var, str] | None = None,
    ) -> list[str] | None:
        """The statements (indented one level) of `steps`, which read and
        add to `names`; the groups write the values in `targets` into the
        arrays named there. None if a step cannot be compiled."""
        lines: list[str] = []
        for step in steps:
            if type(step) is Group:
                prefix = self.fresh("g") + "_"
                lines += _group_lines(step, names, prefix, self.counter, targets or {})
                continue
            body = self.equation(step, names)
            if body is None:
                return None
            lines += ["    " + line for line in body]
        return lines

    def equation(self, eqn: JaxprEqn, names: dict[Var, str]) -> list[str] | None:
        out_names = [self.fresh("v") for _ in eqn.outvars]
        operands = [_atom(x, names) for x in eqn.invars]
        names.update(zip(eqn.outvars, out_names))
        scalar = _scalar_expression(eqn, operands)
        if scalar is not None:  # arithmetic on 0-d values: numba scalars
            return [f"{out_names[0]} = {scalar}"]
        form = control_form(eqn)
        if form is not None:
            return loop_statements(form, out_names, operands, self)
        rule = array_lowerings.get(eqn.primitive)
        if rule is None or len(out_names) != 1:
            return None
        return rule(out_names[0], *operands, eqn=eqn)


def _targets(
    jaxpr: Jaxpr, steps: list[Any], into: dict[int, str]
) -> tuple[dict[Var, str], set[int]]:
    """Which outputs of a body a fused group can write straight into the
    arrays `into` names (a scan's row of its stacked ys), saving a copy
    per step: the elementwise results of groups. Returns the targets and
    the output positions they cover."""
    made = {
        v
        for s in steps
        if type(s) is Group
        for e in s.eqns
        if not is_reduction(e)
        for v in e.outvars
    }
    targets: dict[Var, str] = {}
    stored = set()
    for k, dest in into.items():
        v = jaxpr.outvars[k]
        if type(v) is Var and v in made and v not in targets:
            targets[v] = dest
            stored.add(k)
    return targets, stored


def _scalar_expression(eqn: Any, operands: list[str]) -> str | None:
    """An elementwise equation on 0-d values as a scalar expression (the
    exact lowering, since there is no loop to vectorize), or None."""
    if len(eqn.outvars) != 1 or eqn.outvars[0].aval.shape != ():
        return None
    if any(x.aval.shape != () for x in eqn.invars):
        return None
    return lower_elementwise(
        eqn.primitive,
        operands,
        [x.aval.dtype for x in eqn.invars],
        eqn.outvars[0].aval.dtype,
        eqn.params,
        exact=True,
    )


def _atom(x: Any, names: dict[Var, str]) -> str:
    return literal(x.val, x.aval.dtype) if type(x) is Literal else names[x]


def _group_lines(
    group: Group,
    names: dict[Var, str],
    prefix: str,
    counter: Any,
    targets: dict[Var, str],
) -> list[str]:
    shape = group.shape
    lines = []
    inputs = {}
    for i, v in enumerate(group.inputs):
        if v.aval.shape == () or len(v.aval.shape) == len(shape):
            inputs[v] = names[v]
        else:
            inputs[v] = f"{prefix}in{i}"
            aligned = aligned_shape(v.aval.shape, shape)
            lines.append(
                f"    {inputs[v]} = np.ascontiguousarray({names[v]}).reshape({aligned})"
            )
    reductions = {e.outvars[0]: e for e in group.eqns if is_reduction(e)}
    outs = []
    finish = []
    for v in group.outputs:
        name = f"v{next(counter)}"
        dtype = scalar_type(v.aval.dtype)
        if v in reductions:
            eqn = reductions[v]
            axes = eqn.params["axes"]
            keep = tuple(1 if k in axes else n for k, n in enumerate(shape))
            init, _ = reduction_lowerings[eqn.primitive]
            acc = f"{name}_acc"
            wide = scalar_type(accumulator_dtype(eqn.primitive, v.aval.dtype))
            identity = literal(init(v.aval.dtype), v.aval.dtype)
            lines.append(f"    {acc} = np.full({keep}, {identity}, {wide})")
            outs.append(acc)
            if v.aval.shape == ():
                finish.append(f"    {name} = {dtype}({acc}.ravel()[0])")
            elif wide != dtype:
                finish.append(
                    f"    {name} = {acc}.reshape({v.aval.shape}).astype({dtype})"
                )
            else:
                finish.append(f"    {name} = {acc}.reshape({v.aval.shape})")
        elif v in targets:
            lines.append(f"    {name} = {targets[v]}")
            outs.append(name)
        else:
            lines.append(f"    {name} = np.empty({shape}, {dtype})")
            outs.append(name)
        names[v] = name
    bounds = [str(n) for n in shape]
    lines += emit_loops(group, inputs, outs, bounds, "    ", prefix=prefix)
    return lines + finish
