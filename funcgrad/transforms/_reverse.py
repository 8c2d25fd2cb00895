"""Reverse mode: linearize, then transpose.

How the gradient reuses the forward pass
----------------------------------------
`linearize_flat` runs the function once under a `JVPTrace` whose tangents
are *staged*: each input's tangent is a `StagingTracer` of a level above the
jvp level. The jvp rules compute primal values at the levels below (so the
forward pass is evaluated, or recorded by an enclosing `make_jaxpr`, exactly
once) and apply linear primitives to the tangents, which the staging level
records. What comes out is the *linear* program from input tangents to
output tangents. Its constants are the forward values that the derivative
needs: the residuals. For `tanh(x @ w)` they are `w` and `1 - y * y`; `tanh`
itself is not evaluated again.

`backward_pass` then runs that linear program transposed, reading the
residuals instead of recomputing anything. Under `make_jaxpr(grad(f))` both
steps are recorded, so the printed program is the forward equations followed
by the backward ones, and the constants of the linear program are the
variables the backward equations read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from funcgrad.core import (
    ClosedJaxpr,
    ShapedArray,
    get_aval,
    is_inexact,
    new_main,
    tree_map,
)
from funcgrad.transforms._ad_util import Zero, instantiate
from funcgrad.transforms._jvp import JVPTrace, JVPTracer
from funcgrad.transforms._staging import JaxprBuilder, StagingTrace
from funcgrad.transforms._transpose import backward_pass

FlatFun = Callable[..., tuple[Sequence[Any], Any]]


@dataclass(frozen=True)
class Linearized:
    """The linear map from input tangents to output tangents, as a program.

    Only inexact (floating or complex) inputs have tangents: `diff_ins[i]`
    says whether input `i` is one of the program's inputs. `zero_outs[i]` is
    true where output `i`'s tangent is identically zero and therefore has no
    output in `program`.
    """

    program: ClosedJaxpr
    in_avals: tuple[ShapedArray, ...]
    diff_ins: tuple[bool, ...]
    out_avals: tuple[ShapedArray, ...]
    zero_outs: tuple[bool, ...]

    def __call__(self, *tangents: Any) -> list[Any]:
        live = [instantiate(t) for t, d in zip(tangents, self.diff_ins) if d]
        outs = iter(self.program(*live))
        return [
            Zero(aval) if zero else next(outs)
            for aval, zero in zip(self.out_avals, self.zero_outs)
        ]

    def transpose(self, cts_out: Sequence[Any]) -> list[Any]:
        live = [ct for ct, zero in zip(cts_out, self.zero_outs) if not zero]
        cts = iter(backward_pass(self.program.jaxpr, self.program.consts, live))
        return [
            next(cts) if d else Zero(aval)
            for aval, d in zip(self.in_avals, self.diff_ins)
        ]


def linearize_flat(
    fun: FlatFun, primals: Sequence[Any]
) -> tuple[list[Any], Linearized, Any]:
    """Evaluate `fun` at `primals` and stage its linearization.

    `fun` takes flat arrays and returns `(flat_outputs, aux)`; `aux` is any
    pytree, returned with every traced value replaced by its primal.
    Integer and boolean primals get symbolic zero tangents.
    """
    in_avals = tuple(get_aval(p) for p in primals)
    diff_ins = tuple(is_inexact(a.dtype) for a in in_avals)
    with new_main(JVPTrace) as jvp_main:
        builder = JaxprBuilder()
        with new_main(StagingTrace, builder) as tangent_main:
            jvp_trace = JVPTrace(jvp_main)
            tangent_trace = StagingTrace(tangent_main)
            tangents_in = [
                tangent_trace.new_arg(a) for a, d in zip(in_avals, diff_ins) if d
            ]
            it = iter(tangents_in)
            tracers_in = [
                JVPTracer(jvp_trace, p, next(it) if d else Zero(a))
                for p, a, d in zip(primals, in_avals, diff_ins)
            ]
            outs, aux = fun(*tracers_in)
            outs = [jvp_trace.full_raise(o) for o in outs]
            primals_out = [o.primal for o in outs]
            tangents_out = [o.tangent for o in outs]
            zero_outs = tuple(type(t) is Zero for t in tangents_out)
            live = [
                tangent_trace.full_raise(t) for t in tangents_out if type(t) is not Zero
            ]
            jaxpr, consts = builder.build(tangents_in, live)
            aux = strip_level(aux, jvp_main)
    linear = Linearized(
        ClosedJaxpr(jaxpr, consts),
        in_avals,
        diff_ins,
        tuple(get_aval(p) for p in primals_out),
        zero_outs,
    )
    return primals_out, linear, aux


def strip_level(aux: Any, main: Any) -> Any:
    """Replace this level's tracers inside `aux` by their primal values."""

    def strip(x: Any) -> Any:
        while isinstance(x, JVPTracer) and x._trace.main is main:
            x = x.primal
        return x

    return tree_map(strip, aux)


def vjp_flat(
    fun: FlatFun, primals: Sequence[Any]
) -> tuple[list[Any], Callable[[Sequence[Any]], list[Any]], Any]:
    primals_out, linear, aux = linearize_flat(fun, primals)

    def fun_vjp(cts_out: Sequence[Any]) -> list[Any]:
        return [instantiate(ct) for ct in linear.transpose(cts_out)]

    return primals_out, fun_vjp, aux


@dataclass(frozen=True)
class Residual:
    """One forward value that the backward pass reads."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    nbytes: int
    source: str

    def __str__(self) -> str:
        dims = ",".join(map(str, self.shape))
        return f"{self.name}: {self.dtype}[{dims}] {self.nbytes} bytes ({self.source})"
