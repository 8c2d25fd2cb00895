"""Control flow as primitives: `scan`, `cond` and `while`.

Each carries its body as a closure-converted Jaxpr (constants are ordinary
operands), so every transform sees the constants as arguments and a body
is traced once however many times it runs.

- `scan` runs a body over the leading axis of its `xs`, threading a carry.
  Its jvp rule splits the body into a forward body, which also emits the
  values the derivative needs (the residuals, stacked over the steps), and
  a linear body that reads them. Reverse mode transposes the linear scan
  into a scan that runs the steps backwards: the forward values of every
  step are saved once and read by the backward pass, never recomputed.
- `cond` picks one of several branches by an integer index. Its jvp rule
  splits every branch the same way; each forward branch fills its own
  residual slots and zeros in the slots of the others.
- `while` repeats a body while a predicate holds. Forward mode runs a joint
  loop over values and tangents; reverse mode cannot know ahead how many
  steps' residuals to keep, and says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from funcgrad.core import (
    Jaxpr,
    JaxprEqn,
    Literal,
    Primitive,
    ShapedArray,
    Var,
    eval_jaxpr,
    get_aval,
    is_inexact,
    split_list,
)
from funcgrad.errors import FuncgradError, FuncgradTypeError
from funcgrad.primitives import _elementwise as ew
from funcgrad.primitives import _shape as shape_ops
from funcgrad.primitives._custom import _runner as runner
from funcgrad.primitives._custom import closure_convert
from funcgrad.primitives._reductions import reduce_sum
from funcgrad.transforms import (
    Zero,
    backward_pass,
    batch_rules,
    is_undefined,
    jvp_flat,
    jvp_rules,
    linearize_flat,
    stage_flat,
    transpose_rules,
    vmap_flat,
)

# --- helpers shared by the three primitives -----------------------------------


def stage(fun: Callable[..., Sequence[Any]], in_avals: Sequence[ShapedArray]) -> Any:
    """`fun` staged into a Jaxpr whose captured constants lead its inputs.

    Returns `(jaxpr, consts)`: the caller passes `consts` as the first
    operands of the primitive it binds.
    """
    closed = stage_flat(fun, list(in_avals))
    return closure_convert(closed), list(closed.consts)


def zeros(aval: ShapedArray) -> Any:
    """Zeros of `aval` written as a broadcast scalar, so a staged program
    keeps no array constant for them."""
    scalar = np.zeros((), aval.dtype)
    if aval.shape == ():
        return scalar
    return shape_ops.broadcast_in_dim(scalar, aval.shape, ())


def zeros_if_zero(t: Any) -> Any:
    return zeros(t.aval) if type(t) is Zero else t


def differentiated(tangents: Sequence[Any], avals: Sequence[ShapedArray]) -> list[bool]:
    return [
        type(t) is not Zero and is_inexact(a.dtype) for t, a in zip(tangents, avals)
    ]


def avals_of(vars_: Sequence[Any]) -> list[ShapedArray]:
    return [v.aval for v in vars_]


def unstack_aval(aval: ShapedArray) -> ShapedArray:
    return ShapedArray(aval.shape[1:], aval.dtype)


def stack_aval(aval: ShapedArray, length: int) -> ShapedArray:
    return ShapedArray((length, *aval.shape), aval.dtype)


def move_axis(x: Any, src: int, dst: int) -> Any:
    if src == dst:
        return x
    ndim = get_aval(x).ndim
    order = [d for d in range(ndim) if d != src]
    order.insert(dst, src)
    return shape_ops.transpose(x, tuple(order))


def check_operands(
    name: str, got: Sequence[ShapedArray], want: Sequence[ShapedArray]
) -> None:
    if len(got) != len(want) or any(
        g.shape != w.shape or g.dtype != w.dtype for g, w in zip(got, want)
    ):
        raise FuncgradTypeError(
            f"`{name}` was bound with operands "
            f"{[a.str_short() for a in got]} but its body takes "
            f"{[a.str_short() for a in want]}."
        )


@dataclass
class Split:
    """A body split for differentiation (see `linearize_jaxpr`).

    `fwd` takes `fwd_consts` and then the body's inputs and returns the
    body's outputs followed by `num_res` residuals. `lin` takes the
    residuals and then the tangents of the differentiated inputs, and
    returns the tangents of the outputs that are not structurally zero
    (`zero_outs`).
    """

    fwd: Jaxpr
    fwd_consts: list[Any]
    lin: Jaxpr
    num_res: int
    zero_outs: list[bool]

    @property
    def res_avals(self) -> list[ShapedArray]:
        return avals_of(self.lin.invars[: self.num_res])


def linearize_jaxpr(
    jaxpr: Jaxpr, diff: Sequence[bool], instantiate: Sequence[bool] = ()
) -> Split:
    """Split a closure-converted body into a forward and a linear part.

    The body is linearized once, symbolically: the forward part is what
    `grad` evaluates, the linear part is the staged tangent program, and
    the residuals are the forward values the linear part reads.
    """
    in_avals = avals_of(jaxpr.invars)
    cell: dict[str, Any] = {}

    def fwd(*args: Any) -> list[Any]:
        def f(*dargs: Any) -> tuple[list[Any], None]:
            it = iter(dargs)
            full = [next(it) if d else a for a, d in zip(args, diff)]
            return eval_jaxpr(jaxpr, [], *full), None

        outs, linear, _ = linearize_flat(f, [a for a, d in zip(args, diff) if d])
        cell["linear"] = linear
        return list(outs) + list(linear.program.consts)

    fwd_jaxpr, fwd_consts = stage(fwd, in_avals)
    linear = cell["linear"]
    lin = closure_convert(linear.program)
    num_res = len(linear.program.consts)
    zero_outs = list(linear.zero_outs)
    want = list(instantiate) + [False] * (len(zero_outs) - len(instantiate))
    if any(z and w for z, w in zip(zero_outs, want)):
        lin = _instantiate_outputs(lin, zero_outs, want, avals_of(jaxpr.outvars))
        zero_outs = [z and not w for z, w in zip(zero_outs, want)]
    return Split(fwd_jaxpr, fwd_consts, lin, num_res, zero_outs)


def _instantiate_outputs(
    lin: Jaxpr,
    zero_outs: Sequence[bool],
    want: Sequence[bool],
    out_avals: Sequence[ShapedArray],
) -> Jaxpr:
    def run(*args: Any) -> list[Any]:
        outs = iter(eval_jaxpr(lin, [], *args))
        result = []
        for z, w, aval in zip(zero_outs, want, out_avals):
            if not z:
                result.append(next(outs))
            elif w:
                result.append(zeros(aval))
        return result

    new, consts = stage(run, avals_of(lin.invars))
    assert not consts
    return new


def join_branches(
    staged: Sequence[tuple[Jaxpr, list[Any]]],
) -> tuple[tuple[Jaxpr, ...], list[Any]]:
    """Branches that each captured their own constants, as branches that all
    take every branch's constants (then the shared operands)."""
    all_consts: list[Any] = []
    for _, consts in staged:
        all_consts.extend(consts)
    joined = []
    offset = 0
    for jaxpr, consts in staged:
        n = len(consts)
        before = [Var(get_aval(c)) for c in all_consts[:offset]]
        after = [Var(get_aval(c)) for c in all_consts[offset + n :]]
        invars = before + jaxpr.invars[:n] + after + jaxpr.invars[n:]
        joined.append(Jaxpr([], invars, jaxpr.eqns, jaxpr.outvars))
        offset += n
    return tuple(joined), all_consts


def batch_jaxpr(
    jaxpr: Jaxpr,
    size: int,
    in_batched: Sequence[bool],
    force_out: Sequence[bool] | bool,
) -> tuple[Jaxpr, list[Any], list[bool]]:
    """`jaxpr` over a batch. Batched inputs and outputs carry the batch on
    axis 0; an output is batched where it depends on a batched input or
    `force_out` asks for it. Returns `(jaxpr, consts, out_batched)`."""
    n_out = len(jaxpr.outvars)
    force = [force_out] * n_out if isinstance(force_out, bool) else list(force_out)
    in_avals = [
        ShapedArray((size, *v.aval.shape), v.aval.dtype) if b else v.aval
        for v, b in zip(jaxpr.invars, in_batched)
    ]
    out_batched: list[bool] = []

    def run(*args: Any) -> list[Any]:
        dims = [0 if b else None for b in in_batched]
        outs, out_dims = vmap_flat(runner(jaxpr), size, args, dims)
        result = []
        out_batched.clear()
        for o, d, f in zip(outs, out_dims, force):
            if d is None and not f:
                result.append(o)
                out_batched.append(False)
            else:
                result.append(shape_ops.batch_materialize(o, d, size))
                out_batched.append(True)
        return result

    new, consts = stage(run, in_avals)
    return new, consts, list(out_batched)


def batch_loop_body(
    jaxpr: Jaxpr,
    size: int,
    b_consts: list[bool],
    b_carry: list[bool],
    b_xs: Sequence[bool] = (),
) -> tuple[Jaxpr, list[Any], list[bool], list[bool]]:
    """A loop body (constants, carries, then per-step inputs) over a batch.

    A carry the body makes batched from a batched input must be batched
    from the start: grow the batched carries until the body keeps the set.
    Returns the body, its constants, which outputs are batched, and the
    batched carries."""
    n_carry = len(b_carry)
    n_ys = len(jaxpr.outvars) - n_carry
    while True:
        body, consts, out_b = batch_jaxpr(
            jaxpr, size, b_consts + b_carry + list(b_xs), b_carry + [False] * n_ys
        )
        grown = [a or b for a, b in zip(b_carry, out_b[:n_carry])]
        if grown == b_carry:
            return body, consts, out_b, b_carry
        b_carry = grown


def _transposed_body(
    jaxpr: Jaxpr,
    linear: Sequence[bool],
    ct_nonzero: Sequence[bool],
) -> Callable[..., list[Any]]:
    """A function of (known inputs, nonzero output cotangents) that returns
    the cotangents of the linear inputs, zeros made explicit."""
    known_vars = [v for v, lin in zip(jaxpr.invars, linear) if not lin]
    lin_vars = [v for v, lin in zip(jaxpr.invars, linear) if lin]
    view = Jaxpr(known_vars, lin_vars, jaxpr.eqns, jaxpr.outvars)
    n_known = len(known_vars)

    def run(*args: Any) -> list[Any]:
        known, cts = args[:n_known], iter(args[n_known:])
        cts_out = [
            next(cts) if nz else Zero(v.aval)
            for v, nz in zip(jaxpr.outvars, ct_nonzero)
        ]
        cts_in = backward_pass(view, list(known), cts_out)
        return [zeros_if_zero(c) for c in cts_in]

    return run


# --- scan ---------------------------------------------------------------------

scan_p = Primitive("scan", multiple_results=True)


def bind_scan(
    consts: Sequence[Any],
    init: Sequence[Any],
    xs: Sequence[Any],
    *,
    jaxpr: Jaxpr,
    length: int,
    reverse: bool,
    num_carry: int | None = None,
) -> list[Any]:
    """Bind `scan` after moving loop-invariant work out of the body."""
    num_carry = len(init) if num_carry is None else num_carry
    jaxpr, consts = hoist_invariants(jaxpr, list(consts))
    return scan_p.bind(
        *consts,
        *init,
        *xs,
        jaxpr=jaxpr,
        num_consts=len(consts),
        num_carry=num_carry,
        length=length,
        reverse=reverse,
    )


def hoist_invariants(jaxpr: Jaxpr, consts: list[Any]) -> tuple[Jaxpr, list[Any]]:
    """Loop-invariant code motion: the equations that read only constants run
    once, before the loop; their results become constants of the body."""
    n = len(consts)
    invariant: set[Var] = set(jaxpr.invars[:n])
    hoisted: list[JaxprEqn] = []
    kept: list[JaxprEqn] = []
    for eqn in jaxpr.eqns:
        if eqn.primitive.effectful or (
            eqn.params and any(isinstance(p, Jaxpr) for p in eqn.params.values())
        ):
            kept.append(eqn)  # effects, loops and branches stay where they are
        elif all(type(x) is Literal or x in invariant for x in eqn.invars):
            hoisted.append(eqn)
            invariant.update(eqn.outvars)
        else:
            kept.append(eqn)
    if not hoisted:
        return _drop_unused_consts(jaxpr, consts)
    used: list[Var] = []
    seen: set[Var] = set()
    for atom in [x for e in kept for x in e.invars] + list(jaxpr.outvars):
        if type(atom) is Var and atom in invariant and atom not in seen:
            seen.add(atom)
            used.append(atom)
    prelude = Jaxpr([], jaxpr.invars[:n], hoisted, used)
    new_consts = eval_jaxpr(prelude, [], *consts)
    body = Jaxpr([], used + jaxpr.invars[n:], kept, jaxpr.outvars)
    return body, new_consts


def _drop_unused_consts(jaxpr: Jaxpr, consts: list[Any]) -> tuple[Jaxpr, list[Any]]:
    n = len(consts)
    used = {x for e in jaxpr.eqns for x in e.invars if type(x) is Var}
    used.update(v for v in jaxpr.outvars if type(v) is Var)
    keep = [i for i, v in enumerate(jaxpr.invars[:n]) if v in used]
    if len(keep) == n:
        return jaxpr, consts
    invars = [jaxpr.invars[i] for i in keep] + jaxpr.invars[n:]
    return Jaxpr([], invars, jaxpr.eqns, jaxpr.outvars), [consts[i] for i in keep]


@scan_p.def_impl
def scan_impl(
    *args: Any,
    jaxpr: Jaxpr,
    num_consts: int,
    num_carry: int,
    length: int,
    reverse: bool,
) -> list[Any]:
    consts, carry, xs = split_list(args, num_consts, num_carry)
    y_avals = avals_of(jaxpr.outvars[num_carry:])
    ys: list[list[Any]] = [[] for _ in y_avals]
    steps = range(length - 1, -1, -1) if reverse else range(length)
    for i in steps:
        outs = eval_jaxpr(jaxpr, [], *consts, *carry, *(x[i] for x in xs))
        carry = outs[:num_carry]
        for acc, y in zip(ys, outs[num_carry:]):
            acc.append(y)
    stacked = []
    for acc, aval in zip(ys, y_avals):
        if reverse:
            acc.reverse()
        if acc:
            stacked.append(np.stack([np.asarray(y) for y in acc]).astype(aval.dtype))
        else:
            stacked.append(np.zeros((0, *aval.shape), aval.dtype))
    return [np.asarray(c) for c in carry] + stacked


@scan_p.def_abstract_eval
def scan_abstract_eval(
    *avals: ShapedArray,
    jaxpr: Jaxpr,
    num_consts: int,
    num_carry: int,
    length: int,
    reverse: bool,
) -> list[ShapedArray]:
    consts, carry, xs = split_list(avals, num_consts, num_carry)
    bad = [x for x in xs if x.ndim == 0 or x.shape[0] != length]
    if bad:
        raise FuncgradTypeError(
            f"`scan` of length {length} was given xs "
            f"{[x.str_short() for x in xs]}; each must have {length} rows."
        )
    check_operands(
        "scan", consts + carry + [unstack_aval(x) for x in xs], avals_of(jaxpr.invars)
    )
    carry_out = avals_of(jaxpr.outvars[:num_carry])
    check_operands("scan's carry", carry_out, carry)
    return carry_out + [
        stack_aval(a, length) for a in avals_of(jaxpr.outvars[num_carry:])
    ]


def scan_jvp(
    primals: Sequence[Any],
    tangents: Sequence[Any],
    *,
    jaxpr: Jaxpr,
    num_consts: int,
    num_carry: int,
    length: int,
    reverse: bool,
) -> tuple[list[Any], list[Any]]:
    consts, init, xs = split_list(primals, num_consts, num_carry)
    t_consts, t_init, t_xs = split_list(tangents, num_consts, num_carry)
    in_avals = avals_of(jaxpr.invars)
    a_consts, a_carry, a_xs = split_list(in_avals, num_consts, num_carry)
    d_consts = differentiated(t_consts, a_consts)
    d_carry = differentiated(t_init, a_carry)
    d_xs = differentiated(t_xs, a_xs)
    if not any(d_consts + d_carry + d_xs):
        outs = scan_p.bind(
            *primals,
            jaxpr=jaxpr,
            num_consts=num_consts,
            num_carry=num_carry,
            length=length,
            reverse=reverse,
        )
        return outs, [Zero(get_aval(o)) for o in outs]
    # A carry's tangent can become nonzero after one step: iterate until the
    # set of differentiated carries is closed under the body.
    while True:
        parts = linearize_jaxpr(jaxpr, d_consts + d_carry + d_xs, d_carry)
        grown = [
            d or (not z and is_inexact(a.dtype))
            for d, z, a in zip(d_carry, parts.zero_outs[:num_carry], a_carry)
        ]
        if grown == d_carry:
            break
        d_carry = grown

    # The forward scan: the body's outputs, then the residuals that change
    # from step to step, stacked.
    fwd, fwd_consts = hoist_invariants(parts.fwd, parts.fwd_consts + consts)
    n_fc = len(fwd_consts)
    n_out = len(jaxpr.outvars)
    res_atoms = fwd.outvars[n_out:]
    const_pos = {v: i for i, v in enumerate(fwd.invars[:n_fc])}
    xs_pos = {v: i for i, v in enumerate(fwd.invars[n_fc + num_carry :])}
    kinds: list[tuple[str, Any]] = []  # per residual: where its value is
    stacked_vars: list[Var] = []
    for atom in res_atoms:
        if type(atom) is Literal:
            kinds.append(("value", atom.val))
        elif atom in const_pos:
            kinds.append(("value", fwd_consts[const_pos[atom]]))
        elif atom in xs_pos:
            kinds.append(("xs", xs[xs_pos[atom]]))
        else:
            if atom not in stacked_vars:
                stacked_vars.append(atom)
            kinds.append(("stacked", stacked_vars.index(atom)))
    fwd_body = Jaxpr([], fwd.invars, fwd.eqns, fwd.outvars[:n_out] + stacked_vars)
    fwd_body, fwd_consts = _drop_unused_consts(fwd_body, fwd_consts)
    n_fc = len(fwd_consts)
    outs = scan_p.bind(
        *fwd_consts,
        *init,
        *xs,
        jaxpr=fwd_body,
        num_consts=n_fc,
        num_carry=num_carry,
        length=length,
        reverse=reverse,
    )
    primals_out, stacked = outs[:n_out], outs[n_out:]

    # The linear scan: invariant residuals are its constants, the others
    # slices of its xs.
    inv_vals = [v for k, v in kinds if k == "value"]
    step_vals = [v if k == "xs" else stacked[v] for k, v in kinds if k != "value"]
    res_avals = parts.res_avals
    inv_avals = [a for (k, _), a in zip(kinds, res_avals) if k == "value"]
    step_avals = [a for (k, _), a in zip(kinds, res_avals) if k != "value"]
    tc = [t for t, d in zip(t_consts, d_consts) if d]
    tcarry = [zeros_if_zero(t) for t, d in zip(t_init, d_carry) if d]
    txs = [t for t, d in zip(t_xs, d_xs) if d]
    zero_outs = parts.zero_outs
    lin = parts.lin
    is_value = [k == "value" for k, _ in kinds]
    n_inv, n_step = len(inv_vals), len(step_vals)
    n_tc, n_tcarry = len(tc), len(tcarry)

    def lin_body(*args: Any) -> list[Any]:
        inv, tcs, tcar, steps, tx = split_list(args, n_inv, n_tc, n_tcarry, n_step)
        inv_it, step_it = iter(inv), iter(steps)
        res = [next(inv_it) if v else next(step_it) for v in is_value]
        return eval_jaxpr(lin, [], *res, *tcs, *tcar, *tx)

    lin_avals = (
        inv_avals
        + [get_aval(t) for t in tc]
        + [get_aval(t) for t in tcarry]
        + step_avals
        + [unstack_aval(get_aval(t)) for t in txs]
    )
    lin_jaxpr, lin_consts = stage(lin_body, lin_avals)
    t_outs = bind_scan(
        lin_consts + inv_vals + tc,
        tcarry,
        step_vals + txs,
        jaxpr=lin_jaxpr,
        length=length,
        reverse=reverse,
    )
    it = iter(t_outs)
    tangents_out = [
        Zero(get_aval(p)) if z else next(it) for p, z in zip(primals_out, zero_outs)
    ]
    return primals_out, tangents_out


def scan_transpose(
    cts: Sequence[Any],
    *args: Any,
    jaxpr: Jaxpr,
    num_consts: int,
    num_carry: int,
    length: int,
    reverse: bool,
) -> list[Any]:
    consts, carry, xs = split_list(args, num_consts, num_carry)
    # The scans that reverse mode transposes are the linear scans made by
    # `scan_jvp`, whose carries are all tangents. A carry that arrives as a
    # known value is a tangent that was zero at the start (instantiated);
    # its cotangent is not wanted.
    carry_known = [not is_undefined(c) for c in carry]
    lin_c = [is_undefined(c) for c in consts]
    lin_x = [is_undefined(x) for x in xs]
    ct_carry = [zeros_if_zero(c) for c in cts[:num_carry]]
    ct_ys = list(cts[num_carry:])
    ys_nz = [type(c) is not Zero for c in ct_ys]
    avals = avals_of(jaxpr.invars)
    a_consts, a_carry, _ = split_list(avals, num_consts, num_carry)
    res_c = [c for c, lin in zip(consts, lin_c) if not lin]
    res_x = [x for x, lin in zip(xs, lin_x) if not lin]
    acc_avals = [a for a, lin in zip(a_consts, lin_c) if lin]
    linear = lin_c + [True] * num_carry + lin_x
    body_t = _transposed_body(jaxpr, linear, [True] * num_carry + ys_nz)
    n_res_c, n_acc, n_res_x = len(res_c), len(acc_avals), len(res_x)

    def t_body(*a: Any) -> list[Any]:
        rc, acc, ctc, rx, cty = split_list(a, n_res_c, n_acc, num_carry, n_res_x)
        cts_in = body_t(*rc, *rx, *ctc, *cty)
        ct_consts, ct_carry_in, ct_xs = split_list(cts_in, n_acc, num_carry)
        return [ew.add(x, y) for x, y in zip(acc, ct_consts)] + ct_carry_in + ct_xs

    y_avals = avals_of(jaxpr.outvars[num_carry:])
    t_avals = (
        [get_aval(c) for c in res_c]
        + acc_avals
        + a_carry
        + [unstack_aval(get_aval(x)) for x in res_x]
        + [a for a, nz in zip(y_avals, ys_nz) if nz]
    )
    t_jaxpr, t_consts = stage(t_body, t_avals)
    outs = bind_scan(
        t_consts + res_c,
        [zeros(a) for a in acc_avals] + ct_carry,
        res_x + [c for c, nz in zip(ct_ys, ys_nz) if nz],
        jaxpr=t_jaxpr,
        length=length,
        reverse=not reverse,
    )
    ct_consts, ct_init, ct_xs = split_list(outs, n_acc, num_carry)
    c_it, x_it = iter(ct_consts), iter(ct_xs)
    return (
        [next(c_it) if lin else None for lin in lin_c]
        + [None if k else c for c, k in zip(ct_init, carry_known)]
        + [next(x_it) if lin else None for lin in lin_x]
    )


def scan_batch(
    size: int,
    vals: Sequence[Any],
    dims: Sequence[int | None],
    *,
    jaxpr: Jaxpr,
    num_consts: int,
    num_carry: int,
    length: int,
    reverse: bool,
) -> tuple[list[Any], list[int | None]]:
    consts, init, xs = split_list(vals, num_consts, num_carry)
    d_consts, d_init, d_xs = split_list(dims, num_consts, num_carry)
    b_consts = [d is not None for d in d_consts]
    b_carry = [d is not None for d in d_init]
    b_xs = [d is not None for d in d_xs]
    body, body_consts, out_b, b_carry = batch_loop_body(
        jaxpr, size, b_consts, b_carry, b_xs
    )
    consts_b = [shape_ops.batch_to_front(c, d) for c, d in zip(consts, d_consts)]
    init_b = [
        shape_ops.batch_materialize(c, d, size) if b else c
        for c, d, b in zip(init, d_init, b_carry)
    ]
    xs_b = [x if d is None else move_axis(x, d, 1) for x, d in zip(xs, d_xs)]
    outs = bind_scan(
        body_consts + consts_b,
        init_b,
        xs_b,
        jaxpr=body,
        length=length,
        reverse=reverse,
    )
    out_dims = [0 if b else None for b in b_carry] + [
        1 if b else None for b in out_b[num_carry:]
    ]
    return outs, out_dims


jvp_rules[scan_p] = scan_jvp
transpose_rules[scan_p] = scan_transpose
batch_rules[scan_p] = scan_batch

# --- cond ---------------------------------------------------------------------

cond_p = Primitive("cond", multiple_results=True)


def _clamp_index(index: Any, n: int) -> Any:
    return int(min(max(int(index), 0), n - 1))


@cond_p.def_impl
def cond_impl(index: Any, *operands: Any, branches: tuple) -> list[Any]:
    branch = branches[_clamp_index(index, len(branches))]
    return [np.asarray(o) for o in eval_jaxpr(branch, [], *operands)]


@cond_p.def_abstract_eval
def cond_abstract_eval(
    index: ShapedArray, *operands: ShapedArray, branches: tuple
) -> list[ShapedArray]:
    if index.shape != () or index.dtype.kind not in "iu":
        raise FuncgradTypeError(
            f"`cond` selects its branch by a scalar integer index, got "
            f"{index.str_short()}."
        )
    for branch in branches:
        check_operands("cond", list(operands), avals_of(branch.invars))
    outs = avals_of(branches[0].outvars)
    for branch in branches[1:]:
        check_operands("cond's branch outputs", avals_of(branch.outvars), outs)
    return outs


def cond_jvp(
    primals: Sequence[Any], tangents: Sequence[Any], *, branches: tuple
) -> tuple[list[Any], list[Any]]:
    index, ops = primals[0], list(primals[1:])
    t_ops = list(tangents[1:])
    diff = differentiated(t_ops, [get_aval(o) for o in ops])
    if not any(diff):
        outs = cond_p.bind(*primals, branches=branches)
        return outs, [Zero(get_aval(o)) for o in outs]
    out_avals = avals_of(branches[0].outvars)
    first = [linearize_jaxpr(b, diff) for b in branches]
    # A tangent that any branch makes nonzero is made explicit in all.
    nonzero = [not all(p.zero_outs[k] for p in first) for k in range(len(out_avals))]
    # Only a branch that leaves one of those tangents zero is split again.
    parts = [
        linearize_jaxpr(b, diff, nonzero)
        if any(z and nz for z, nz in zip(p.zero_outs, nonzero))
        else p
        for b, p in zip(branches, first)
    ]
    res_avals = [p.res_avals for p in parts]
    slots = [sum(len(r) for r in res_avals[:i]) for i in range(len(parts))]
    all_res_avals = [a for r in res_avals for a in r]

    def forward_branch(i: int) -> Callable[..., list[Any]]:
        p = parts[i]

        def run(*args: Any) -> list[Any]:
            outs = eval_jaxpr(p.fwd, [], *p.fwd_consts, *args)
            own = outs[len(out_avals) :]
            res = [zeros(a) for a in all_res_avals]
            res[slots[i] : slots[i] + len(own)] = own
            return outs[: len(out_avals)] + res

        return run

    fwd_branches, fwd_consts = join_branches(
        [
            stage(forward_branch(i), [get_aval(o) for o in ops])
            for i in range(len(parts))
        ]
    )
    outs = cond_p.bind(index, *fwd_consts, *ops, branches=fwd_branches)
    primals_out, residuals = outs[: len(out_avals)], outs[len(out_avals) :]

    tangents_in = [t for t, d in zip(t_ops, diff) if d]

    def linear_branch(i: int) -> Callable[..., list[Any]]:
        p = parts[i]

        def run(*args: Any) -> list[Any]:
            res = args[slots[i] : slots[i] + p.num_res]
            return eval_jaxpr(p.lin, [], *res, *args[len(all_res_avals) :])

        return run

    lin_avals = all_res_avals + [get_aval(t) for t in tangents_in]
    lin_branches, lin_consts = join_branches(
        [stage(linear_branch(i), lin_avals) for i in range(len(parts))]
    )
    t_outs = iter(
        cond_p.bind(index, *lin_consts, *residuals, *tangents_in, branches=lin_branches)
    )
    tangents_out = [
        next(t_outs) if nz else Zero(a) for a, nz in zip(out_avals, nonzero)
    ]
    return primals_out, tangents_out


def cond_transpose(
    cts: Sequence[Any], index: Any, *ops: Any, branches: tuple
) -> list[Any]:
    if is_undefined(index):
        raise FuncgradError("`cond` is not linear in its branch index.")
    linear = [is_undefined(o) for o in ops]
    known = [o for o, lin in zip(ops, linear) if not lin]
    ct_nz = [type(c) is not Zero for c in cts]
    live_cts = [c for c, nz in zip(cts, ct_nz) if nz]
    t_avals = [get_aval(k) for k in known] + [get_aval(c) for c in live_cts]
    t_branches, t_consts = join_branches(
        [stage(_transposed_body(b, linear, ct_nz), t_avals) for b in branches]
    )
    outs = iter(cond_p.bind(index, *t_consts, *known, *live_cts, branches=t_branches))
    return [None] + [next(outs) if lin else None for lin in linear]


def cond_batch(
    size: int, vals: Sequence[Any], dims: Sequence[int | None], *, branches: tuple
) -> tuple[list[Any], list[int | None]]:
    index, ops = vals[0], list(vals[1:])
    d_index, d_ops = dims[0], list(dims[1:])
    ops_b = [shape_ops.batch_to_front(o, d) for o, d in zip(ops, d_ops)]
    in_b = [d is not None for d in d_ops]
    if d_index is None:
        staged = []
        for b in branches:
            jaxpr, consts, _ = batch_jaxpr(b, size, in_b, True)
            staged.append((jaxpr, consts))
        new_branches, consts = join_branches(staged)
        outs = cond_p.bind(index, *consts, *ops_b, branches=new_branches)
        return outs, [0] * len(outs)
    # A batched index: every member may take another branch, so all
    # branches run and each member selects its own result.
    index_b = shape_ops.batch_to_front(index, d_index)
    results = []
    for b in branches:
        # Members compute branches they do not take; numpy's warnings about
        # those values (a log of a negative, say) are not the user's.
        with np.errstate(all="ignore"):
            outs, out_dims = vmap_flat(
                runner(b), size, ops_b, [0 if x else None for x in in_b]
            )
        results.append(
            [shape_ops.batch_materialize(o, d, size) for o, d in zip(outs, out_dims)]
        )
    n = len(branches)
    clamped = ew.max(
        ew.min(index_b, np.asarray(n - 1, index_b.dtype)), np.asarray(0, index_b.dtype)
    )
    selected = results[0]
    for i in range(1, n):
        pick = ew.eq(clamped, np.asarray(i, index_b.dtype))
        selected = [
            ew.select(shape_ops.broadcast_in_dim(pick, get_aval(r).shape, (0,)), r, s)
            for r, s in zip(results[i], selected)
        ]
    return selected, [0] * len(selected)


jvp_rules[cond_p] = cond_jvp
transpose_rules[cond_p] = cond_transpose
batch_rules[cond_p] = cond_batch

# --- while --------------------------------------------------------------------

while_p = Primitive("while", multiple_results=True)


@while_p.def_impl
def while_impl(
    *args: Any,
    cond_jaxpr: Jaxpr,
    body_jaxpr: Jaxpr,
    cond_nconsts: int,
    body_nconsts: int,
) -> list[Any]:
    cc, bc, carry = split_list(args, cond_nconsts, body_nconsts)
    while bool(eval_jaxpr(cond_jaxpr, [], *cc, *carry)[0]):
        carry = eval_jaxpr(body_jaxpr, [], *bc, *carry)
    return [np.asarray(c) for c in carry]


@while_p.def_abstract_eval
def while_abstract_eval(
    *avals: ShapedArray,
    cond_jaxpr: Jaxpr,
    body_jaxpr: Jaxpr,
    cond_nconsts: int,
    body_nconsts: int,
) -> list[ShapedArray]:
    cc, bc, carry = split_list(avals, cond_nconsts, body_nconsts)
    check_operands("while_loop's cond_fun", cc + carry, avals_of(cond_jaxpr.invars))
    check_operands("while_loop's body_fun", bc + carry, avals_of(body_jaxpr.invars))
    check_operands("while_loop's carry", avals_of(body_jaxpr.outvars), carry)
    return carry


def while_jvp(
    primals: Sequence[Any],
    tangents: Sequence[Any],
    *,
    cond_jaxpr: Jaxpr,
    body_jaxpr: Jaxpr,
    cond_nconsts: int,
    body_nconsts: int,
) -> tuple[list[Any], list[Any]]:
    params = dict(
        cond_jaxpr=cond_jaxpr,
        body_jaxpr=body_jaxpr,
        cond_nconsts=cond_nconsts,
        body_nconsts=body_nconsts,
    )
    cc, bc, carry = split_list(primals, cond_nconsts, body_nconsts)
    _, t_bc, t_carry = split_list(tangents, cond_nconsts, body_nconsts)
    a_bc = [get_aval(b) for b in bc]
    a_carry = [get_aval(c) for c in carry]
    d_bc = differentiated(t_bc, a_bc)
    d_carry = differentiated(t_carry, a_carry)
    primals_out = while_p.bind(*primals, **params)
    if not any(d_bc + d_carry):
        return primals_out, [Zero(a) for a in a_carry]
    n_bc, n_carry = len(bc), len(carry)
    while True:
        grown = list(d_carry)
        n_tbc = sum(d_bc)

        def joint_body(*args: Any, d_carry: list[bool] = d_carry) -> list[Any]:
            b, tb, c, tc = split_list(args, n_bc, n_tbc, n_carry)
            tb_it, tc_it = iter(tb), iter(tc)
            tb_full = [next(tb_it) if d else Zero(a) for d, a in zip(d_bc, a_bc)]
            tc_full = [next(tc_it) if d else Zero(a) for d, a in zip(d_carry, a_carry)]
            outs, t_outs = jvp_flat(runner(body_jaxpr), b + c, tb_full + tc_full)
            for i, t in enumerate(t_outs):
                if type(t) is not Zero and is_inexact(a_carry[i].dtype):
                    grown[i] = True
            return outs + [zeros_if_zero(t) for t, d in zip(t_outs, d_carry) if d]

        tb_avals = [a for a, d in zip(a_bc, d_bc) if d]
        tc_avals = [a for a, d in zip(a_carry, d_carry) if d]
        body, body_consts = stage(joint_body, a_bc + tb_avals + a_carry + tc_avals)
        if grown == d_carry:
            break
        d_carry = grown
    extra = [Var(a) for a in tc_avals]
    joint_cond = Jaxpr(
        [], cond_jaxpr.invars + extra, cond_jaxpr.eqns, cond_jaxpr.outvars
    )
    tb = [t for t, d in zip(t_bc, d_bc) if d]
    tc = [zeros_if_zero(t) for t, d in zip(t_carry, d_carry) if d]
    outs = while_p.bind(
        *cc,
        *body_consts,
        *bc,
        *tb,
        *carry,
        *tc,
        cond_jaxpr=joint_cond,
        body_jaxpr=body,
        cond_nconsts=cond_nconsts,
        body_nconsts=len(body_consts) + n_bc + n_tbc,
    )
    it = iter(outs[n_carry:])
    return primals_out, [next(it) if d else Zero(a) for d, a in zip(d_carry, a_carry)]


def while_transpose(cts: Sequence[Any], *args: Any, **params: Any) -> list[Any]:
    raise FuncgradError(
        "Reverse-mode differentiation (`grad`, `vjp`, `jacrev`) cannot go "
        "through `while_loop`: the number of steps is known only when the "
        "loop has run, so the values each step would have to save for the "
        "backward pass cannot be planned. Use `fori_loop` with bounds that "
        "are Python ints (it becomes a `scan`), or `scan` itself, both of "
        "which reverse mode supports; forward mode (`jvp`, `jacfwd`) does go "
        "through `while_loop`."
    )


def while_batch(
    size: int,
    vals: Sequence[Any],
    dims: Sequence[int | None],
    *,
    cond_jaxpr: Jaxpr,
    body_jaxpr: Jaxpr,
    cond_nconsts: int,
    body_nconsts: int,
) -> tuple[list[Any], list[int | None]]:
    cc, bc, carry = split_list(vals, cond_nconsts, body_nconsts)
    d_cc, d_bc, d_carry = split_list(dims, cond_nconsts, body_nconsts)
    b_cc = [d is not None for d in d_cc]
    b_bc = [d is not None for d in d_bc]
    b_carry = [d is not None for d in d_carry]
    body, body_consts, _, b_carry = batch_loop_body(body_jaxpr, size, b_bc, b_carry)
    pred, pred_consts, (pred_b,) = batch_jaxpr(cond_jaxpr, size, b_cc + b_carry, False)
    if pred_b and not all(b_carry):
        # Members finish at different steps: every carry must be batched so
        # that finished members can keep their values.
        b_carry = [True] * len(carry)
        body, body_consts, _ = batch_jaxpr(body_jaxpr, size, b_bc + b_carry, True)
        pred, pred_consts, _ = batch_jaxpr(cond_jaxpr, size, b_cc + b_carry, False)
    cc_b = [shape_ops.batch_to_front(c, d) for c, d in zip(cc, d_cc)]
    bc_b = [shape_ops.batch_to_front(c, d) for c, d in zip(bc, d_bc)]
    carry_b = [
        shape_ops.batch_materialize(c, d, size) if b else c
        for c, d, b in zip(carry, d_carry, b_carry)
    ]
    n_out = [0 if b else None for b in b_carry]
    if not pred_b:
        outs = while_p.bind(
            *pred_consts,
            *cc_b,
            *body_consts,
            *bc_b,
            *carry_b,
            cond_jaxpr=pred,
            body_jaxpr=body,
            cond_nconsts=len(pred_consts) + len(cc_b),
            body_nconsts=len(body_consts) + len(bc_b),
        )
        return outs, n_out
    n_pc, n_cc, n_bcs, n_bc = len(pred_consts), len(cc_b), len(body_consts), len(bc_b)
    carry_avals = [get_aval(c) for c in carry_b]
    pc_avals = [get_aval(c) for c in pred_consts + cc_b]
    bc_avals = [get_aval(c) for c in body_consts + bc_b]

    def any_cond(*args: Any) -> list[Any]:
        # Whether any member goes on: a count, which is 0 for an empty batch.
        (p,) = eval_jaxpr(pred, [], *args)
        count = reduce_sum(ew.convert_element_type(p, np.int32), (0,))
        return [ew.gt(count, np.zeros((), np.int32))]

    def masked_body(*args: Any) -> list[Any]:
        pcs, bcs, c = split_list(args, n_pc + n_cc, n_bcs + n_bc)
        (p,) = eval_jaxpr(pred, [], *pcs, *c)
        new = eval_jaxpr(body, [], *bcs, *c)
        return [
            ew.select(shape_ops.broadcast_in_dim(p, get_aval(o).shape, (0,)), o, old)
            for o, old in zip(new, c)
        ]

    any_jaxpr, any_consts = stage(any_cond, pc_avals + carry_avals)
    masked, masked_consts = stage(masked_body, pc_avals + bc_avals + carry_avals)
    outs = while_p.bind(
        *any_consts,
        *pred_consts,
        *cc_b,
        *masked_consts,
        *pred_consts,
        *cc_b,
        *body_consts,
        *bc_b,
        *carry_b,
        cond_jaxpr=any_jaxpr,
        body_jaxpr=masked,
        cond_nconsts=len(any_consts) + n_pc + n_cc,
        body_nconsts=len(masked_consts) + n_pc + n_cc + n_bcs + n_bc,
    )
    return outs, [0] * len(outs)


jvp_rules[while_p] = while_jvp
transpose_rules[while_p] = while_transpose
batch_rules[while_p] = while_batch
