"""Fusion: group a program's equations into the steps the backend runs.

A *group* is a run of consecutive elementwise equations whose results
share one shape, the group's loop shape; its operands are arrays that
broadcast to that shape or scalars. A reduction (sum, max, min) of a value
the group computed may end it. One numba kernel computes a whole group in
a single pass over memory, writing only the values used after the group. Every other equation is a step of its own, run by its primitive's
implementation (matrix products go to BLAS that way).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from funcgrad.backend._registry import (
    elementwise_lowerings,
    fusion_conditions,
    reduction_lowerings,
)
from funcgrad.core import Jaxpr, JaxprEqn, Literal, Var


@dataclass
class Group:
    shape: tuple[int, ...]
    eqns: list[JaxprEqn] = field(default_factory=list)
    inputs: list[Var] = field(default_factory=list)  # arrays and scalars read
    outputs: list[Var] = field(default_factory=list)  # values used afterwards


Step = JaxprEqn | Group


def _fusable(eqn: JaxprEqn) -> bool:
    if eqn.primitive not in elementwise_lowerings or len(eqn.outvars) != 1:
        return False
    if any(unsupported_dtype(x.aval.dtype) for x in [*eqn.invars, *eqn.outvars]):
        return False
    condition = fusion_conditions.get(eqn.primitive)
    if condition is not None and not condition(*eqn.invars, **eqn.params):
        return False
    shape = eqn.outvars[0].aval.shape
    return all(
        type(x) is Literal or x.aval.shape == () or _broadcasts(x.aval.shape, shape)
        for x in eqn.invars
    )


def unsupported_dtype(dtype: np.dtype) -> bool:
    """numba computes in neither float16 nor complex here: such values stay
    with numpy."""
    return dtype == np.float16 or dtype.kind == "c"


def is_reduction(eqn: JaxprEqn) -> bool:
    return eqn.primitive in reduction_lowerings


def _ends_chain(eqn: JaxprEqn, group: Group) -> bool:
    """A reduction over a value of the group's loop shape that the group
    computed itself."""
    if not is_reduction(eqn) or type(eqn.invars[0]) is not Var:
        return False
    if unsupported_dtype(eqn.outvars[0].aval.dtype):
        return False
    x = eqn.invars[0]
    return x.aval.shape == group.shape and any(x in e.outvars for e in group.eqns)


def _broadcasts(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def plan(
    jaxpr: Jaxpr,
    min_size: int,
    keep_vectorized: frozenset = frozenset(),
    parallel_size: int | None = None,
) -> list[Step]:
    """Split `jaxpr` into groups (of at least `min_size` equations) and
    single equations, in an order that respects every dependency.

    Primitives in `keep_vectorized` are left to their implementations even
    where they could be fused: numpy's SIMD `tanh` or `exp` beats a fused
    loop of scalar calls when numba has no vector math library. From
    `parallel_size` elements on they are fused after all, since a parallel
    loop on all cores, in one pass over memory, wins again (W3).
    """
    steps: list[Step] = []
    current: Group | None = None  # the open group, already in `steps`
    for eqn in jaxpr.eqns:
        shape = eqn.outvars[0].aval.shape if eqn.outvars else ()
        if current is not None and _ends_chain(eqn, current):
            current.eqns.append(eqn)
            current = None
            continue
        vectorized = eqn.primitive in keep_vectorized and (
            parallel_size is None or int(np.prod(shape, dtype=np.int64)) < parallel_size
        )
        if _fusable(eqn) and shape != () and not vectorized:
            if current is None or current.shape != shape:
                current = Group(shape)
                steps.append(current)
            current.eqns.append(eqn)
            continue
        current = None
        steps.append(eqn)
    steps = [
        s
        for g in steps
        for s in (_split_small(g, min_size) if type(g) is Group else [g])
    ]
    _wire(steps, jaxpr)
    return steps


def _split_small(group: Group, min_size: int) -> list[Step]:
    return [group] if len(group.eqns) >= min_size else list(group.eqns)


def _wire(steps: list[Step], jaxpr: Jaxpr) -> None:
    """Find each group's inputs (read, defined earlier) and outputs (defined
    here, read later or returned)."""
    needed_later: set[Var] = {v for v in jaxpr.outvars if type(v) is Var}
    for step in reversed(steps):
        eqns = step.eqns if type(step) is Group else [step]
        defined = {v for e in eqns for v in e.outvars}
        if type(step) is Group:
            step.outputs = [v for e in eqns for v in e.outvars if v in needed_later]
            reads = [
                x for e in eqns for x in e.invars if type(x) is Var and x not in defined
            ]
            step.inputs = list(dict.fromkeys(reads))
        needed_later -= defined
        needed_later.update(x for e in eqns for x in e.invars if type(x) is Var)
