"""Batching (vmap): run a function over a batch axis as one vectorised
computation.

A `BatchTracer` holds an array that carries one extra axis, `batch_dim`
(or `None` where the value is the same for every member of the batch). A
primitive's batching rule receives the batched operands and their batch
axes and returns the batched result and its batch axis, usually by moving
the batch axis to the front and shifting the primitive's axis parameters.
No rule loops over the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from funcgrad.core import (
    Primitive,
    ShapedArray,
    Trace,
    Tracer,
    full_lower,
    get_aval,
    new_main,
)
from funcgrad.errors import MissingRuleError

BatchRule = Callable[..., tuple[Any, Any]]
batch_rules: dict[Primitive, BatchRule] = {}

not_mapped = None


def get_batch_rule(primitive: Primitive) -> BatchRule:
    rule = batch_rules.get(primitive)
    if rule is None:
        raise MissingRuleError(primitive.name, "batching (vmap)")
    return rule


class BatchTracer(Tracer):
    __slots__ = ("batch_dim", "val")

    def __init__(self, trace: BatchTrace, val: Any, batch_dim: int | None) -> None:
        self._trace = trace
        self.val = val
        self.batch_dim = batch_dim

    @property
    def aval(self) -> ShapedArray:
        aval = get_aval(self.val)
        if self.batch_dim is None:
            return aval
        shape = list(aval.shape)
        del shape[self.batch_dim]
        return aval.update(shape=tuple(shape))

    def full_lower(self) -> Any:
        if self.batch_dim is None:
            return full_lower(self.val)
        return self


class BatchTrace(Trace):
    __slots__ = ()

    @property
    def axis_size(self) -> int:
        return self.main.global_data

    def pure(self, val: Any) -> BatchTracer:
        return BatchTracer(self, val, not_mapped)

    lift = pure

    def process_primitive(
        self, primitive: Primitive, tracers: Sequence[Any], params: dict
    ) -> list[Any]:
        vals = [t.val for t in tracers]
        dims = [t.batch_dim for t in tracers]
        if all(d is None for d in dims):
            out = primitive.bind(*vals, **params)
            outs = out if primitive.multiple_results else [out]
            return [BatchTracer(self, o, not_mapped) for o in outs]
        rule = get_batch_rule(primitive)
        out, out_dim = rule(self.axis_size, vals, dims, **params)
        if primitive.multiple_results:
            return [BatchTracer(self, o, d) for o, d in zip(out, out_dim)]
        return [BatchTracer(self, out, out_dim)]


def vmap_flat(
    fun: Callable[..., Sequence[Any]],
    axis_size: int,
    args: Sequence[Any],
    in_dims: Sequence[int | None],
) -> tuple[list[Any], list[int | None]]:
    """Run `fun` (flat in, flat out) over `axis_size` members; return the
    batched outputs and their batch axes (`None` where not batched)."""
    with new_main(BatchTrace, axis_size) as main:
        trace = BatchTrace(main)
        tracers = [
            a if d is None else BatchTracer(trace, a, d) for a, d in zip(args, in_dims)
        ]
        outs = fun(*tracers)
        outs = [trace.full_raise(o) for o in outs]
        return [o.val for o in outs], [o.batch_dim for o in outs]
