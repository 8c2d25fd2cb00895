"""Forward mode: push tangents through a function alongside its primals.

A `JVPTracer` pairs a primal value with its tangent; a primitive's jvp rule
maps input pairs to output pairs. Rules are written with primitives, so a
tangent can itself be traced by an outer transform. Reverse mode is built on
this trace too: it stages the tangents instead of computing them (see
`_reverse.py`).
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
from funcgrad.transforms._ad_util import Zero, add_any_p, add_tangents

JvpRule = Callable[..., tuple[Any, Any]]
jvp_rules: dict[Primitive, JvpRule] = {}


class JVPTracer(Tracer):
    __slots__ = ("_aval", "primal", "tangent")

    def __init__(self, trace: JVPTrace, primal: Any, tangent: Any) -> None:
        self._trace = trace
        self.primal = primal
        self.tangent = tangent
        self._aval: ShapedArray | None = None

    @property
    def aval(self) -> ShapedArray:
        aval = self._aval
        if aval is None:
            aval = self._aval = get_aval(self.primal)
        return aval

    def full_lower(self) -> Any:
        if type(self.tangent) is Zero:
            return full_lower(self.primal)
        return self

    def concrete_value(self, why: str) -> Any:
        primal = self.primal
        if isinstance(primal, Tracer):
            return primal.concrete_value(why)
        return primal

    def lossy_concrete_value(self, why: str) -> Any:
        from funcgrad.errors import ConcretizationError

        raise ConcretizationError(
            f"{why} would turn a value that is being differentiated (inside "
            f"{self._trace.main.origin}) into a plain Python number and "
            f"silently drop its derivative. Keep computing with "
            f"`funcgrad.numpy` (not `math`), or, if the derivative is not "
            f"wanted, convert `funcgrad.stop_gradient(x)` instead."
        )


class JVPTrace(Trace):
    __slots__ = ()

    def pure(self, val: Any) -> JVPTracer:
        return JVPTracer(self, val, Zero(get_aval(val)))

    lift = pure

    def process_primitive(
        self, primitive: Primitive, tracers: Sequence[Any], params: dict
    ) -> list[Any]:
        primals = [t.primal for t in tracers]
        tangents = [t.tangent for t in tracers]
        if all(type(t) is Zero for t in tangents):
            return _without_tangents(self, primitive, primals, params)
        rule = jvp_rules.get(primitive)
        if rule is None:
            raise MissingRuleError(
                primitive.name,
                "jvp",
                "Differentiate through another function, or wrap this one in "
                "`funcgrad.stop_gradient` if its derivative is not needed.",
            )
        primal_out, tangent_out = rule(primals, tangents, **params)
        if not primitive.multiple_results:
            return [JVPTracer(self, primal_out, tangent_out)]
        return [JVPTracer(self, p, t) for p, t in zip(primal_out, tangent_out)]


def _without_tangents(
    trace: JVPTrace, primitive: Primitive, primals: list[Any], params: dict
) -> list[Any]:
    out = primitive.bind(*primals, **params)
    outs = out if primitive.multiple_results else [out]
    return [JVPTracer(trace, o, Zero(get_aval(o))) for o in outs]


# --- helpers that name the shapes of jvp rules --------------------------------


def defjvp(primitive: Primitive, *tangent_fns: Callable[..., Any] | None) -> None:
    """Register a jvp rule as a sum of per-argument linear maps.

    `tangent_fns[i](x_dot, *primals, **params)` gives argument `i`'s
    contribution to the output tangent, of the output's aval; `None` marks
    an argument with no derivative (an index, a predicate).
    """

    def rule(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> Any:
        primal_out = primitive.bind(*primals, **params)
        tangent_out: Any = Zero(get_aval(primal_out))
        for fn, t in zip(tangent_fns, tangents):
            if fn is not None and type(t) is not Zero:
                tangent_out = add_tangents(tangent_out, fn(t, *primals, **params))
        return primal_out, tangent_out

    jvp_rules[primitive] = rule


def defjvp_using_output(primitive: Primitive, tangent_fn: Callable[..., Any]) -> None:
    """A one-argument rule that reuses the output: `tangent_fn(x_dot, ans, x)`.

    `tanh`, `exp` and `logistic` express their derivatives through their
    own result, so no transcendental function is evaluated twice.
    """

    def rule(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> Any:
        (x,), (x_dot,) = primals, tangents
        ans = primitive.bind(x, **params)
        return ans, tangent_fn(x_dot, ans, x, **params)

    jvp_rules[primitive] = rule


def deflinear_jvp(
    primitive: Primitive, linear_args: Sequence[int] | None = None
) -> None:
    """The jvp of a primitive linear in `linear_args` (default: all of them):
    apply the primitive to the tangents.

    Arguments outside `linear_args` (indices, predicates) are passed as their
    primals; symbolic zero tangents among the linear ones become arrays.
    """
    from funcgrad.transforms._ad_util import instantiate

    def rule(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> Any:
        primal_out = primitive.bind(*primals, **params)
        args = [
            instantiate(t) if linear_args is None or i in linear_args else p
            for i, (p, t) in enumerate(zip(primals, tangents))
        ]
        return primal_out, primitive.bind(*args, **params)

    jvp_rules[primitive] = rule


def zero_tangent_jvp(primitive: Primitive) -> None:
    """Piecewise-constant primitives (comparisons, sign, argmax): tangent 0."""

    def rule(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> Any:
        out = primitive.bind(*primals, **params)
        if primitive.multiple_results:
            return out, [Zero(get_aval(o)) for o in out]
        return out, Zero(get_aval(out))

    jvp_rules[primitive] = rule


def _add_any_tangent(t: Any, x: Any, y: Any) -> Any:
    return t


defjvp(add_any_p, _add_any_tangent, _add_any_tangent)


def jvp_flat(
    fun: Callable[..., Sequence[Any]], primals: Sequence[Any], tangents: Sequence[Any]
) -> tuple[list[Any], list[Any]]:
    """Push `tangents` (arrays or `Zero`) through `fun` (flat in, flat out)."""
    with new_main(JVPTrace) as main:
        trace = JVPTrace(main)
        outs = fun(*(JVPTracer(trace, p, t) for p, t in zip(primals, tangents)))
        outs = [trace.full_raise(o) for o in outs]
        return [o.primal for o in outs], [o.tangent for o in outs]
