"""Whole-program compilation: a small program becomes one numba function.

When every step of a plan can be written in numba (fused groups as loop
nests, and the other equations through `array_lowerings`: small matrix
products, slices, pads, reshapes, broadcasts, concatenations, sums), the
program is generated as one function, so a call costs one numba dispatch
instead of a Python loop over steps. Values of shape () are numba scalars.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad.backend._fusion import Group, is_reduction, unsupported_dtype
from funcgrad.backend._kernels import aligned_shape, emit_loops
from funcgrad.backend._registry import (
    accumulator_dtype,
    array_lowerings,
    literal,
    lower_elementwise,
    reduction_lowerings,
)
from funcgrad.core import Jaxpr, Literal, Var


def whole_source(jaxpr: Jaxpr, steps: list[Any]) -> str | None:
    """The source of `kernel(*consts, *args)` computing the whole program,
    or None if a step cannot be compiled into it."""
    every = [*jaxpr.constvars, *jaxpr.invars] + [
        v for e in jaxpr.eqns for v in e.outvars
    ]
    if any(unsupported_dtype(v.aval.dtype) for v in every):
        return None
    names: dict[Var, str] = {}
    params = []
    for i, v in enumerate(jaxpr.constvars):
        names[v] = f"c{i}"
        params.append(names[v])
    for i, v in enumerate(jaxpr.invars):
        names[v] = f"a{i}"
        params.append(names[v])
    lines = [f"def kernel({', '.join(params)}):"]
    counter = iter(range(1 << 30))
    for k, step in enumerate(steps):
        if type(step) is Group:
            lines += _group_lines(step, names, f"g{k}_", counter)
            continue
        out_names = [f"v{next(counter)}" for _ in step.outvars]
        operands = [_atom(x, names) for x in step.invars]
        scalar = _scalar_expression(step, operands)
        if scalar is not None:  # arithmetic on 0-d values: numba scalars
            lines.append(f"    {out_names[0]} = {scalar}")
            names[step.outvars[0]] = out_names[0]
            continue
        rule = array_lowerings.get(step.primitive)
        if rule is None or len(out_names) != 1:
            return None
        body = rule(out_names[0], *operands, eqn=step)
        if body is None:
            return None
        lines += ["    " + line for line in body]
        names.update(zip(step.outvars, out_names))
    outs = ", ".join(_atom(v, names) for v in jaxpr.outvars)
    lines.append(f"    return ({outs},)")
    return "\n".join(lines) + "\n"


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


def _dtype(dtype: np.dtype) -> str:
    return "np.bool_" if dtype == np.bool_ else f"np.{dtype.name}"


def _group_lines(
    group: Group, names: dict[Var, str], prefix: str, counter: Any
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
        dtype = _dtype(v.aval.dtype)
        if v in reductions:
            eqn = reductions[v]
            axes = eqn.params["axes"]
            keep = tuple(1 if k in axes else n for k, n in enumerate(shape))
            init, _ = reduction_lowerings[eqn.primitive]
            acc = f"{name}_acc"
            wide = _dtype(accumulator_dtype(eqn.primitive, v.aval.dtype))
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
        else:
            lines.append(f"    {name} = np.empty({shape}, {dtype})")
            outs.append(name)
        names[v] = name
    bounds = [str(n) for n in shape]
    lines += emit_loops(group, inputs, outs, bounds, "    ", prefix=prefix)
    return lines + finish
