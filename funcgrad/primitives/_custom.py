"""Higher-order primitives for user-defined derivatives and checkpointing.

- `custom_jvp_call` runs a function whose forward-mode rule the user wrote.
- `custom_vjp_call` runs a function whose reverse-mode rule the user wrote;
  its jvp rule runs the user's `fwd` and leaves a `custom_lin` equation in
  the linear program, whose transpose calls the user's `bwd`.
- `checkpoint` runs a function whose forward values are not saved: its jvp
  rule leaves a `remat_lin` equation reading only the function's inputs,
  and the transpose of `remat_lin` recomputes the forward pass.

Each carries its function as a closure-converted Jaxpr (constants first
among the inputs), so every transform sees the constants as arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from funcgrad.core import (
    ClosedJaxpr,
    Jaxpr,
    Primitive,
    ShapedArray,
    eval_jaxpr,
    get_aval,
)
from funcgrad.errors import FuncgradError, FuncgradTypeError
from funcgrad.primitives import _shape as shape_ops
from funcgrad.transforms import (
    Zero,
    batch_rules,
    instantiate,
    jvp_flat,
    jvp_rules,
    stage_flat,
    transpose_rules,
    vjp_flat,
    vmap_flat,
)


def closure_convert(closed: ClosedJaxpr) -> Jaxpr:
    """The same program with its constants as leading inputs."""
    j = closed.jaxpr
    return Jaxpr([], j.constvars + j.invars, j.eqns, j.outvars)


def _out_avals(jaxpr: Jaxpr) -> list[ShapedArray]:
    return [v.aval for v in jaxpr.outvars]


def _runner(jaxpr: Jaxpr) -> Callable[..., list[Any]]:
    def run(*args: Any) -> list[Any]:
        return eval_jaxpr(jaxpr, [], *args)

    return run


def batched(
    fn: Callable[..., Sequence[Any]], size: int, dims: Sequence[int | None]
) -> Callable[..., list[Any]]:
    """`fn` over a batch: inputs batched along `dims`, outputs along axis 0."""

    def run(*args: Any) -> list[Any]:
        outs, out_dims = vmap_flat(fn, size, args, dims)
        return [shape_ops.batch_materialize(o, d, size) for o, d in zip(outs, out_dims)]

    return run


def _batched_jaxpr(
    jaxpr: Jaxpr, size: int, vals: Sequence[Any], dims: Sequence[int | None]
) -> Jaxpr:
    program = stage_flat(
        batched(_runner(jaxpr), size, dims), [get_aval(v) for v in vals]
    )
    return closure_convert(program)


def _check_no_const_tangents(
    name: str, tangents: Sequence[Any], num_consts: int
) -> None:
    if any(type(t) is not Zero for t in tangents[:num_consts]):
        raise FuncgradError(
            f"`{name}` closes over a value that is being differentiated. Its "
            f"custom rule only describes the derivative with respect to its "
            f"explicit arguments; pass that value as an argument instead."
        )


def _check_outputs(
    name: str,
    kind: str,
    got: Sequence[Any],
    want: Sequence[ShapedArray],
    what: str = "outputs",
) -> None:
    got_avals = [get_aval(g) for g in got]
    if len(got_avals) != len(want) or any(
        g.shape != w.shape or g.dtype != w.dtype for g, w in zip(got_avals, want)
    ):
        raise FuncgradTypeError(
            f"The {kind} of `{name}` returned "
            f"{[a.str_short() for a in got_avals]} but the function's {what} "
            f"are {[a.str_short() for a in want]}; they must match."
        )


def _call_primitive(name: str) -> Primitive:
    """A primitive that runs its `jaxpr` parameter on its operands."""
    primitive = Primitive(name, multiple_results=True)

    def impl(*args: Any, jaxpr: Jaxpr, **params: Any) -> list[Any]:
        return eval_jaxpr(jaxpr, [], *args)

    def abstract_eval(*avals: Any, jaxpr: Jaxpr, **params: Any) -> list[ShapedArray]:
        return _out_avals(jaxpr)

    primitive.def_impl(impl)
    primitive.def_abstract_eval(abstract_eval)
    return primitive


# --- custom_jvp_call ----------------------------------------------------------

custom_jvp_call_p = _call_primitive("custom_jvp_call")


def custom_jvp_call_jvp(
    primals: Any, tangents: Any, *, jaxpr: Jaxpr, num_consts: int, jvp: Any, name: str
) -> Any:
    _check_no_const_tangents(name, tangents, num_consts)
    args = list(primals[num_consts:])
    arg_tangents = [instantiate(t) for t in tangents[num_consts:]]
    outs, out_tangents = jvp(args, arg_tangents)
    _check_outputs(name, "jvp rule's primal output", outs, _out_avals(jaxpr))
    _check_outputs(name, "jvp rule's tangent output", out_tangents, _out_avals(jaxpr))
    return outs, out_tangents


def custom_jvp_call_batch(
    size: int,
    vals: Any,
    dims: Any,
    *,
    jaxpr: Jaxpr,
    num_consts: int,
    jvp: Any,
    name: str,
) -> Any:
    # Batch everything along axis 0, then bind again with the batched
    # function and the batched rule: jvp(vmap(f)) is vmap(jvp(f)).
    operands = [shape_ops.batch_materialize(v, d, size) for v, d in zip(vals, dims)]
    n = len(operands) - num_consts

    def flat_jvp(*primals_and_tangents: Any) -> list[Any]:
        outs, touts = jvp(
            list(primals_and_tangents[:n]), list(primals_and_tangents[n:])
        )
        return list(outs) + list(touts)

    run = batched(flat_jvp, size, [0] * (2 * n))

    def batched_jvp(
        primals: Sequence[Any], tangents: Sequence[Any]
    ) -> tuple[list[Any], list[Any]]:
        outs = run(*primals, *tangents)
        half = len(outs) // 2
        return outs[:half], outs[half:]

    new_jaxpr = _batched_jaxpr(jaxpr, size, operands, [0] * len(operands))
    outs = custom_jvp_call_p.bind(
        *operands, jaxpr=new_jaxpr, num_consts=num_consts, jvp=batched_jvp, name=name
    )
    return outs, [0] * len(outs)


jvp_rules[custom_jvp_call_p] = custom_jvp_call_jvp
batch_rules[custom_jvp_call_p] = custom_jvp_call_batch

# --- custom_vjp_call and custom_lin -------------------------------------------

custom_vjp_call_p = _call_primitive("custom_vjp_call")
custom_lin_p = Primitive("custom_lin", multiple_results=True)


def custom_vjp_call_jvp(
    primals: Any,
    tangents: Any,
    *,
    jaxpr: Jaxpr,
    num_consts: int,
    fwd: Any,
    bwd: Any,
    name: str,
) -> Any:
    _check_no_const_tangents(name, tangents, num_consts)
    args = list(primals[num_consts:])
    outs, residuals = fwd(args)
    out_avals = _out_avals(jaxpr)
    _check_outputs(name, "`fwd` rule's primal output", outs, out_avals)
    arg_tangents = [instantiate(t) for t in tangents[num_consts:]]
    out_tangents = custom_lin_p.bind(
        *residuals,
        *arg_tangents,
        num_res=len(residuals),
        bwd=bwd,
        out_avals=tuple(out_avals),
        in_avals=tuple(get_aval(a) for a in args),
        name=name,
    )
    return outs, out_tangents


def custom_vjp_call_batch(
    size: int,
    vals: Any,
    dims: Any,
    *,
    jaxpr: Jaxpr,
    num_consts: int,
    fwd: Any,
    bwd: Any,
    name: str,
) -> Any:
    operands = [shape_ops.batch_materialize(v, d, size) for v, d in zip(vals, dims)]
    new_jaxpr = _batched_jaxpr(jaxpr, size, operands, [0] * len(operands))
    n_out = len(jaxpr.outvars)
    n_args = len(operands) - num_consts

    def flat_fwd(*args: Any) -> list[Any]:
        outs, res = fwd(list(args))
        return list(outs) + list(res)

    run_fwd = batched(flat_fwd, size, [0] * n_args)

    def new_fwd(args: Sequence[Any]) -> tuple[list[Any], list[Any]]:
        both = run_fwd(*args)
        return both[:n_out], both[n_out:]

    def new_bwd(res: Sequence[Any], cts: Sequence[Any]) -> list[Any]:
        def flat_bwd(*res_and_cts: Any) -> list[Any]:
            cts_in = bwd(list(res_and_cts[: len(res)]), list(res_and_cts[len(res) :]))
            return [instantiate(c) for c in cts_in]

        return batched(flat_bwd, size, [0] * (len(res) + len(cts)))(*res, *cts)

    outs = custom_vjp_call_p.bind(
        *operands,
        jaxpr=new_jaxpr,
        num_consts=num_consts,
        fwd=new_fwd,
        bwd=new_bwd,
        name=name,
    )
    return outs, [0] * len(outs)


jvp_rules[custom_vjp_call_p] = custom_vjp_call_jvp
batch_rules[custom_vjp_call_p] = custom_vjp_call_batch


def _forward_mode_error(name: str) -> FuncgradError:
    return FuncgradError(
        f"`{name}` has a custom reverse-mode rule (`custom_vjp`), which says "
        f"nothing about forward mode, so `jvp`, `linearize` and `jacfwd` "
        f"(and `hessian`, which uses `jacfwd`) cannot go through it. Use "
        f"`grad`, `vjp` or `jacrev`, or define the rule with `custom_jvp` "
        f"instead."
    )


@custom_lin_p.def_impl
def custom_lin_impl(
    *args: Any, num_res: int, bwd: Any, out_avals: tuple, in_avals: tuple, name: str
) -> list[Any]:
    raise _forward_mode_error(name)


@custom_lin_p.def_abstract_eval
def custom_lin_abstract_eval(
    *avals: Any, num_res: int, bwd: Any, out_avals: tuple, in_avals: tuple, name: str
) -> list[ShapedArray]:
    return list(out_avals)


def custom_lin_jvp(primals: Any, tangents: Any, *, name: str, **params: Any) -> Any:
    raise _forward_mode_error(name)


def custom_lin_transpose(
    cts: Any,
    *args: Any,
    num_res: int,
    bwd: Any,
    out_avals: tuple,
    in_avals: tuple,
    name: str,
) -> list[Any]:
    residuals = list(args[:num_res])
    cts_in = bwd(residuals, [instantiate(c) for c in cts])
    _check_outputs(
        name,
        "`bwd` rule",
        [instantiate(_zero_for(c, a)) for c, a in zip(cts_in, in_avals)],
        list(in_avals),
        "differentiable inputs",
    )
    return [None] * num_res + [None if c is None else c for c in cts_in]


def _zero_for(ct: Any, aval: ShapedArray) -> Any:
    return Zero(aval) if ct is None else ct


def custom_lin_batch(
    size: int, vals: Any, dims: Any, *, name: str, **params: Any
) -> Any:
    # Only forward mode ever batches custom_lin itself (jacfwd): reverse
    # mode transposes it instead.
    raise _forward_mode_error(name)


jvp_rules[custom_lin_p] = custom_lin_jvp
batch_rules[custom_lin_p] = custom_lin_batch
transpose_rules[custom_lin_p] = custom_lin_transpose

# --- checkpoint and remat_lin -------------------------------------------------

checkpoint_p = _call_primitive("checkpoint")
remat_lin_p = Primitive("remat_lin", multiple_results=True)


def checkpoint_jvp(primals: Any, tangents: Any, *, jaxpr: Jaxpr, name: str) -> Any:
    # The forward pass runs now; the tangent equation keeps only the inputs,
    # and its transpose runs the forward pass again (remat_lin_transpose).
    outs = checkpoint_p.bind(*primals, jaxpr=jaxpr, name=name)
    out_tangents = remat_lin_p.bind(
        *primals, *(instantiate(t) for t in tangents), jaxpr=jaxpr, name=name
    )
    return outs, out_tangents


def checkpoint_batch(
    size: int, vals: Any, dims: Any, *, jaxpr: Jaxpr, name: str
) -> Any:
    operands = [shape_ops.batch_materialize(v, d, size) for v, d in zip(vals, dims)]
    new_jaxpr = _batched_jaxpr(jaxpr, size, operands, [0] * len(operands))
    outs = checkpoint_p.bind(*operands, jaxpr=new_jaxpr, name=name)
    return outs, [0] * len(outs)


jvp_rules[checkpoint_p] = checkpoint_jvp
batch_rules[checkpoint_p] = checkpoint_batch


def _split_half(args: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    n = len(args) // 2
    return list(args[:n]), list(args[n:])


def _tangent_or_zero(t: Any, p: Any) -> Any:
    aval = get_aval(p)
    return t if aval.dtype.kind in "fc" else Zero(aval)


@remat_lin_p.def_impl
def remat_lin_impl(*args: Any, jaxpr: Jaxpr, name: str) -> list[Any]:
    primals, tangents = _split_half(args)
    tangents = [_tangent_or_zero(t, p) for t, p in zip(tangents, primals)]
    _, out_tangents = jvp_flat(_runner(jaxpr), primals, tangents)
    return [instantiate(t) for t in out_tangents]


@remat_lin_p.def_abstract_eval
def remat_lin_abstract_eval(*avals: Any, jaxpr: Jaxpr, name: str) -> list[ShapedArray]:
    return _out_avals(jaxpr)


def remat_lin_jvp(primals: Any, tangents: Any, *, jaxpr: Jaxpr, name: str) -> Any:
    # remat_lin(x, v) is the tangent of f at x along v. Its own derivative
    # is a jvp of that jvp; it is computed directly, without checkpointing.
    run = _runner(jaxpr)

    def tangent_of_f(*args: Any) -> list[Any]:
        xs, vs = _split_half(args)
        vs = [_tangent_or_zero(v, x) for v, x in zip(vs, xs)]
        return [instantiate(t) for t in jvp_flat(run, xs, vs)[1]]

    return jvp_flat(tangent_of_f, list(primals), list(tangents))


def remat_lin_transpose(cts: Any, *args: Any, jaxpr: Jaxpr, name: str) -> list[Any]:
    primals, _ = _split_half(args)
    run = _runner(jaxpr)

    def with_aux(*xs: Any) -> tuple[list[Any], None]:
        return run(*xs), None

    _, f_vjp, _ = vjp_flat(with_aux, primals)
    cts_in = f_vjp([instantiate(c) for c in cts])
    return [None] * len(primals) + [
        c if get_aval(p).dtype.kind in "fc" else None for c, p in zip(cts_in, primals)
    ]


def remat_lin_batch(size: int, vals: Any, dims: Any, *, jaxpr: Jaxpr, name: str) -> Any:
    operands = [shape_ops.batch_materialize(v, d, size) for v, d in zip(vals, dims)]
    n = len(operands) // 2
    new_jaxpr = _batched_jaxpr(jaxpr, size, operands[:n], [0] * n)
    outs = remat_lin_p.bind(*operands, jaxpr=new_jaxpr, name=name)
    return outs, [0] * len(outs)


jvp_rules[remat_lin_p] = remat_lin_jvp
transpose_rules[remat_lin_p] = remat_lin_transpose
batch_rules[remat_lin_p] = remat_lin_batch
