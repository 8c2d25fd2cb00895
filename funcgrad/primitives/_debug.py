"""`debug_callback`: call a Python function on the values of a running
program, from inside any transform.

It has no outputs and is effectful, so dead-code elimination keeps it and
staging never folds it. Under `jvp` and reverse mode it sees the primal
values (in the order the forward program computes them); under `vmap` it is
called once per batch member, with that member's values; under `jit` it
runs when the compiled program reaches it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcgrad.core import Primitive, ShapedArray, get_aval
from funcgrad.primitives import _shape as shape_ops
from funcgrad.transforms import batch_rules, jvp_rules

debug_callback_p = Primitive("debug_callback", multiple_results=True, effectful=True)


def debug_callback(callback: Callable[..., None], *args: Any) -> None:
    debug_callback_p.bind(*args, callback=callback)


@debug_callback_p.def_impl
def debug_callback_impl(*args: Any, callback: Callable[..., None]) -> list[Any]:
    callback(*(np.asarray(a) for a in args))
    return []


@debug_callback_p.def_abstract_eval
def debug_callback_abstract_eval(
    *avals: ShapedArray, callback: Callable[..., None]
) -> list[ShapedArray]:
    return []


def debug_callback_jvp(
    primals: Sequence[Any], tangents: Sequence[Any], *, callback: Callable[..., None]
) -> tuple[list[Any], list[Any]]:
    debug_callback_p.bind(*primals, callback=callback)
    return [], []


def _member(x: Any, dim: int | None, i: int) -> Any:
    if dim is None:
        return x
    x = shape_ops.batch_to_front(x, dim)
    shape = get_aval(x).shape
    start = (i,) + (0,) * (len(shape) - 1)
    limit = (i + 1, *shape[1:])
    return shape_ops.squeeze(shape_ops.slice(x, start, limit), (0,))


def debug_callback_batch(
    size: int,
    vals: Sequence[Any],
    dims: Sequence[int | None],
    *,
    callback: Callable[..., None],
) -> tuple[list[Any], list[int | None]]:
    # One call per member, in order, each with that member's values.
    for i in range(size):
        members = [_member(v, d, i) for v, d in zip(vals, dims)]
        debug_callback_p.bind(*members, callback=callback)
    return [], []


jvp_rules[debug_callback_p] = debug_callback_jvp
batch_rules[debug_callback_p] = debug_callback_batch
