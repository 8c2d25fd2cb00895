"""Staging: record the primitives a function applies as a `Jaxpr`.

A `StagingTrace` gives each value a `StagingTracer` that knows only its
aval; every primitive bound on them becomes an equation. Values from lower
levels (numpy arrays, tracers of enclosing transforms) become constants of
the program, and scalars become literals. `make_jaxpr` and `jit` stage with
a *dynamic* level, which also captures operations on constants; reverse mode
stages tangents with a plain level (see `_reverse.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcgrad.config import config
from funcgrad.core import (
    ClosedJaxpr,
    Jaxpr,
    JaxprEqn,
    Literal,
    MainTrace,
    Primitive,
    ShapedArray,
    Trace,
    Tracer,
    Var,
    dce_jaxpr,
    get_aval,
    new_dynamic_main,
    new_main,
    trace_state,
)
from funcgrad.core._source import current_source


class StagingTracer(Tracer):
    __slots__ = ("_aval",)

    def __init__(self, trace: StagingTrace, aval: ShapedArray) -> None:
        self._trace = trace
        self._aval = aval

    @property
    def aval(self) -> ShapedArray:
        return self._aval


class JaxprBuilder:
    """The growing program of one staging level."""

    def __init__(self) -> None:
        self.eqns: list[JaxprEqn] = []
        self.atoms: dict[int, Var | Literal] = {}
        self.tracers: list[StagingTracer] = []  # keeps ids in `atoms` unique
        self.const_tracers: dict[int, StagingTracer] = {}
        self.constvals: dict[Var, Any] = {}

    def new_tracer(self, trace: StagingTrace, atom: Var | Literal) -> StagingTracer:
        tracer = StagingTracer(trace, atom.aval)
        self.tracers.append(tracer)
        self.atoms[id(tracer)] = atom
        return tracer

    def atom(self, tracer: StagingTracer) -> Var | Literal:
        return self.atoms[id(tracer)]

    def build(
        self, in_tracers: Sequence[StagingTracer], out_tracers: Sequence[StagingTracer]
    ) -> tuple[Jaxpr, list[Any]]:
        constvars = list(self.constvals)
        jaxpr = Jaxpr(
            constvars,
            [self.atom(t) for t in in_tracers],
            self.eqns,
            [self.atom(t) for t in out_tracers],
        )
        return dce_jaxpr(jaxpr, [self.constvals[v] for v in constvars])


class StagingTrace(Trace):
    __slots__ = ()

    @property
    def builder(self) -> JaxprBuilder:
        return self.main.global_data

    def new_arg(self, aval: ShapedArray) -> StagingTracer:
        return self.builder.new_tracer(self, Var(aval))

    def pure(self, val: Any) -> StagingTracer:
        builder = self.builder
        tracer = builder.const_tracers.get(id(val))
        if tracer is not None:
            return tracer
        aval = get_aval(val)
        if not isinstance(val, Tracer) and aval.shape == ():
            return builder.new_tracer(self, Literal(_scalar(val, aval), aval))
        var = Var(aval)
        builder.constvals[var] = val
        tracer = builder.const_tracers[id(val)] = builder.new_tracer(self, var)
        return tracer

    lift = pure

    def process_primitive(
        self, primitive: Primitive, tracers: Sequence[Any], params: dict
    ) -> list[Any]:
        builder = self.builder
        invars = [builder.atom(t) for t in tracers]
        avals_in = [t.aval for t in tracers]
        try:
            avals_out = primitive.run_abstract_eval(*avals_in, **params)
        except Exception as error:
            _note_source(error, primitive)
            raise
        if not primitive.multiple_results:
            avals_out = [avals_out]
        scalars = all(a.shape == () for a in avals_out)
        if (
            invars
            and scalars
            and not primitive.effectful
            and all(type(x) is Literal for x in invars)
            and not any(_holds_program(v) for v in params.values())
        ):
            return self._fold(primitive, invars, params)
        outvars = [Var(a) for a in avals_out]
        # Sources matter where the program outlives this call (`make_jaxpr`,
        # `jit`: a dynamic level is open) or for the NaN trap; eager
        # reverse mode's short-lived tangent programs skip the frame walk.
        recorded = (
            trace_state.dynamic.level > 0 or config.debug_nans or config.debug_infs
        )
        source = current_source() if recorded else None
        eqn = JaxprEqn(primitive, invars, params, outvars, source)
        builder.eqns.append(eqn)
        return [builder.new_tracer(self, v) for v in outvars]

    def _fold(
        self, primitive: Primitive, literals: list[Literal], params: dict
    ) -> list[Any]:
        """Scalar arithmetic on literals only is computed now, not recorded:
        `1.0 / 8.0` in a mean's derivative prints as `0.125`."""
        outs = primitive.run_impl(*(lit.val for lit in literals), **params)
        outs = outs if primitive.multiple_results else [outs]
        return [self.pure(np.asarray(o)) for o in outs]


def _holds_program(param: Any) -> bool:
    """A loop's or branch's body: running it now would trace it again."""
    if isinstance(param, tuple):
        return any(isinstance(p, Jaxpr) for p in param)
    return isinstance(param, Jaxpr)


def _note_source(error: Exception, primitive: Primitive) -> None:
    """Name the user's line on an error raised while recording an equation."""
    source = current_source()
    if source is not None and hasattr(error, "add_note"):
        error.add_note(f"(while tracing `{primitive.name}` at {source})")


def _scalar(val: Any, aval: ShapedArray) -> Any:
    return np.asarray(val, dtype=aval.dtype)[()]


def stage_flat(
    fun: Callable[..., Sequence[Any]],
    in_avals: Sequence[ShapedArray],
    *,
    dynamic: bool = True,
) -> ClosedJaxpr:
    """Stage `fun` (flat arrays in, flat list out) into a closed program."""
    opener = new_dynamic_main if dynamic else new_main
    with opener(StagingTrace, JaxprBuilder()) as main:
        jaxpr, consts = _stage_in(main, fun, in_avals)
    return ClosedJaxpr(jaxpr, consts)


def _stage_in(
    main: MainTrace, fun: Callable[..., Sequence[Any]], in_avals: Sequence[ShapedArray]
) -> tuple[Jaxpr, list[Any]]:
    trace = StagingTrace(main)
    in_tracers = [trace.new_arg(a) for a in in_avals]
    outs = fun(*in_tracers)
    out_tracers = [trace.full_raise(o) for o in outs]
    return main.global_data.build(in_tracers, out_tracers)
