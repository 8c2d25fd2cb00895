"""Structured control flow: `cond`, `switch`, `scan`, `fori_loop`,
`while_loop` and `map`.

Each traces the functions it is given once, into a body that the `cond`,
`scan` or `while` primitive carries, so a loop of a million steps is one
equation in the program and is differentiated, batched and compiled as
one. Arguments and results may be any pytrees of arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from funcgrad.core import (
    ShapedArray,
    Tracer,
    as_traceable,
    get_aval,
    is_python_scalar,
    tree_flatten,
    tree_unflatten,
)
from funcgrad.errors import FuncgradTypeError, FuncgradValueError
from funcgrad.primitives import _elementwise as ew
from funcgrad.primitives._control import (
    bind_scan,
    cond_p,
    join_branches,
    stage,
    while_p,
)

__all__ = ["cond", "fori_loop", "map", "scan", "switch", "while_loop"]

_HINT = "Pass arrays, Python scalars, or pytrees (tuples, lists, dicts) of them."

# A Python scalar of each kind, for numpy's promotion of weak values.
_WEAK_EXAMPLE = {"b": False, "i": 0, "u": 0, "f": 0.0, "c": 0j}


def _flatten(tree: Any, where: str) -> tuple[list[Any], Any]:
    leaves, treedef = tree_flatten(tree)
    return [as_traceable(x, where, _HINT) for x in leaves], treedef


def _describe(avals: Sequence[ShapedArray]) -> str:
    return "(" + ", ".join(a.str_short() for a in avals) + ")"


def _check_callable(fun: Any, api: str, what: str) -> None:
    if not callable(fun):
        raise FuncgradTypeError(
            f"`{api}` takes {what}, got {fun!r}, which is not callable."
        )


def _weak_leaves(tree: Any) -> list[bool]:
    """Which leaves are weakly typed: Python scalars, and the tracers of
    Python scalars that `jit` was given."""
    return [
        is_python_scalar(x) or (isinstance(x, Tracer) and x.aval.weak_type)
        for x in tree_flatten(tree)[0]
    ]


def _keeps_kind(weak_dtype: np.dtype, dtype: np.dtype) -> bool:
    """Whether a Python scalar of `weak_dtype` may take `dtype` as numpy
    would (an int may become float32; a float may not become an int)."""
    return np.result_type(dtype, _WEAK_EXAMPLE[weak_dtype.kind]) == dtype


def _settle_weak_carry(
    out_avals_of: Callable[[list[ShapedArray]], list[ShapedArray]],
    leaves: list[Any],
    avals: list[ShapedArray],
    weak: list[bool],
) -> tuple[list[Any], list[ShapedArray]]:
    """A weakly typed carry takes the dtype the body gives it, as a Python
    scalar in a Python loop would (`0.0 + float32` is float32): the body
    is traced once with weak carries to find it."""
    if not any(weak):
        return leaves, avals
    probe = [ShapedArray(a.shape, a.dtype, weak_type=w) for a, w in zip(avals, weak)]
    settled = [
        ShapedArray(a.shape, o.dtype)
        if w and a.shape == o.shape and _keeps_kind(a.dtype, o.dtype)
        else ShapedArray(a.shape, a.dtype)
        for a, o, w in zip(avals, out_avals_of(probe), weak)
    ]
    leaves = [
        x if s.dtype == a.dtype else ew.convert_element_type(x, s.dtype)
        for x, a, s in zip(leaves, avals, settled)
    ]
    return leaves, settled


# --- cond and switch ----------------------------------------------------------


def _trace_branch(
    fun: Callable[..., Any],
    name: str,
    op_tree: Any,
    op_avals: list[ShapedArray],
    cast: list[Any] | None = None,
) -> tuple[Any, list[Any], Any, list[ShapedArray], list[bool]]:
    info: dict[str, Any] = {}

    def flat(*ops: Any) -> list[Any]:
        out = fun(*tree_unflatten(op_tree, ops))
        leaves, treedef = tree_flatten(out)
        info["tree"] = treedef
        info["weak"] = _weak_leaves(out)
        leaves = [as_traceable(x, f"An output of `{name}`", _HINT) for x in leaves]
        if cast is not None:
            leaves = [
                x if dtype is None else ew.convert_element_type(x, dtype)
                for x, dtype in zip(leaves, cast)
            ]
        return leaves

    jaxpr, consts = stage(flat, op_avals)
    return jaxpr, consts, info["tree"], [v.aval for v in jaxpr.outvars], info["weak"]


def _trace_branches(
    funs: Sequence[Callable[..., Any]], names: Sequence[str], operands: tuple
) -> tuple[tuple, list[Any], list[Any], Any]:
    ops, op_tree = _flatten(operands, "An operand of `cond`")
    op_avals = [get_aval(o) for o in ops]
    traced = [_trace_branch(f, n, op_tree, op_avals) for f, n in zip(funs, names)]
    trees = [t[2] for t in traced]
    for name, tree in zip(names[1:], trees[1:]):
        if tree != trees[0]:
            raise FuncgradTypeError(
                f"The branches must return the same structure: `{names[0]}` "
                f"returned {trees[0]} but `{name}` returned {tree}."
            )
    # Python scalars take the dtype the other branches give that output, as
    # they would in a numpy expression, or their common dtype if all are
    # Python scalars; never one of another kind (2.5 does not become an int).
    n_out = len(traced[0][3])
    casts: list[list[Any]] = [[None] * n_out for _ in traced]
    for k in range(n_out):
        dtypes = [t[3][k].dtype for t in traced]
        weak = [t[4][k] for t in traced]
        strong = {d for d, w in zip(dtypes, weak) if not w}
        if len(strong) > 1:
            continue
        dtype = strong.pop() if strong else np.result_type(*dtypes)
        for i, (d, w) in enumerate(zip(dtypes, weak)):
            if w and d != dtype and _keeps_kind(d, dtype):
                casts[i][k] = dtype
    for i, f in enumerate(funs):
        if any(c is not None for c in casts[i]):
            traced[i] = _trace_branch(f, names[i], op_tree, op_avals, casts[i])
    first = traced[0][3]
    for name, t in zip(names[1:], traced[1:]):
        for k, (a, b) in enumerate(zip(first, t[3])):
            if a.shape != b.shape or a.dtype != b.dtype:
                raise FuncgradTypeError(
                    f"The branches must return the same types: output {k} of "
                    f"`{names[0]}` is {a.str_short()} but that of `{name}` is "
                    f"{b.str_short()} (all outputs: {_describe(first)} and "
                    f"{_describe(t[3])}). Convert one with `.astype` or "
                    f"broadcast it so that they agree."
                )
    branches, consts = join_branches([(t[0], t[1]) for t in traced])
    return branches, consts, ops, traced[0][2]


def switch(index: Any, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    """Apply `branches[index](*operands)`; the index is clamped into range.

    Every branch is traced once and all must return the same types. Under
    `vmap` with a batched index every branch runs and each member takes
    its own result, as `where` would.
    """
    funs = list(branches) if isinstance(branches, Iterable) else []
    if not funs or not all(callable(f) for f in funs):
        raise FuncgradTypeError(
            f"`switch` needs a non-empty sequence of functions as `branches`, "
            f"got {branches!r}."
        )
    idx = as_traceable(index, "The index of `switch`", "Pass an integer scalar.")
    aval = get_aval(idx)
    if aval.shape != () or aval.dtype.kind not in "iub":
        raise FuncgradTypeError(
            f"`switch` takes a scalar integer index, got {aval.str_short()}. "
            f"Under `vmap` give each member a scalar."
        )
    idx = ew.convert_element_type(idx, np.int32)
    n = len(funs)
    idx = ew.max(ew.min(idx, np.int32(n - 1)), np.int32(0))
    names = [
        getattr(f, "__name__", f"branch {i}") + f" (branch {i})"
        for i, f in enumerate(funs)
    ]
    traced, consts, ops, out_tree = _trace_branches(funs, names, operands)
    outs = cond_p.bind(idx, *consts, *ops, branches=traced)
    return tree_unflatten(out_tree, outs)


def cond(
    pred: Any,
    true_fun: Callable[..., Any],
    false_fun: Callable[..., Any],
    *operands: Any,
) -> Any:
    """`true_fun(*operands)` if `pred` else `false_fun(*operands)`.

    Both functions are traced once, must return the same types, and only
    the chosen one runs. Under `vmap` with a batched `pred` both run and
    each member selects its result.
    """
    _check_callable(true_fun, "cond", "a function as `true_fun`")
    _check_callable(false_fun, "cond", "a function as `false_fun`")
    p = as_traceable(pred, "The predicate of `cond`", "Pass a scalar boolean.")
    aval = get_aval(p)
    if aval.shape != ():
        raise FuncgradTypeError(
            f"The predicate of `cond` must be a scalar, got {aval.str_short()}. "
            f"Reduce it (`any`, `all`) or, for a choice per element, use "
            f"`funcgrad.numpy.where`."
        )
    if aval.dtype.kind == "c":
        raise FuncgradTypeError("The predicate of `cond` cannot be complex.")
    if aval.dtype != np.bool_:
        p = ew.ne(p, np.zeros((), aval.dtype))
    idx = ew.convert_element_type(p, np.int32)
    names = [
        f"{getattr(false_fun, '__name__', 'false_fun')} (false_fun)",
        f"{getattr(true_fun, '__name__', 'true_fun')} (true_fun)",
    ]
    traced, consts, ops, out_tree = _trace_branches(
        [false_fun, true_fun], names, operands
    )
    outs = cond_p.bind(idx, *consts, *ops, branches=traced)
    return tree_unflatten(out_tree, outs)


# --- scan ---------------------------------------------------------------------


def scan(
    f: Callable[[Any, Any], tuple[Any, Any]],
    init: Any,
    xs: Any = None,
    length: int | None = None,
    reverse: bool = False,
) -> tuple[Any, Any]:
    """Loop `f(carry, x) -> (carry, y)` over the leading axis of `xs`.

    Returns the final carry and the `y`s stacked along a new leading axis.
    Equivalent to::

        ys = []
        for x in xs:  # reversed(xs) if reverse, with ys in xs's order
            carry, y = f(carry, x)
            ys.append(y)
        return carry, stack(ys)

    `f` is traced once, whatever the length. Reverse mode saves the values
    each step's derivative needs, stacked, and runs the steps backwards;
    wrap `f` in `funcgrad.checkpoint` to recompute them instead.
    """
    _check_callable(f, "scan", "a function `f(carry, x) -> (carry, y)`")
    x_leaves, x_tree = _flatten(xs, "An element of `xs` of `scan`")
    for x in x_leaves:
        if get_aval(x).ndim == 0:
            raise FuncgradValueError(
                f"`scan` loops over the leading axis of `xs`, but one of them "
                f"is a scalar ({get_aval(x).str_short()}). Give it a leading "
                f"axis of one entry per step."
            )
    lengths = sorted({get_aval(x).shape[0] for x in x_leaves})
    if length is not None:
        if (
            not isinstance(length, int | np.integer)
            or isinstance(length, bool)
            or length < 0
        ):
            raise FuncgradValueError(
                f"`scan`'s `length` must be a non-negative Python int, got {length!r}."
            )
        length = int(length)
        if lengths and lengths != [length]:
            raise FuncgradValueError(
                f"`scan` was given length={length} but `xs` has leading axes "
                f"of sizes {lengths}; they must agree."
            )
    elif len(lengths) == 1:
        length = lengths[0]
    elif not lengths:
        raise FuncgradValueError(
            "`scan` with no `xs` needs `length=` to know how many steps to run."
        )
    else:
        raise FuncgradValueError(
            f"The arrays in `xs` of `scan` must share their leading axis, got "
            f"sizes {lengths}."
        )
    init_leaves, init_tree = _flatten(init, "An element of `init` of `scan`")
    x_avals = [ShapedArray(get_aval(x).shape[1:], get_aval(x).dtype) for x in x_leaves]

    def trace(
        carry_avals: list[ShapedArray],
    ) -> tuple[Any, list[Any], Any, list[ShapedArray]]:
        info: dict[str, Any] = {}
        n = len(carry_avals)

        def body(*args: Any) -> list[Any]:
            carry = tree_unflatten(init_tree, args[:n])
            x = tree_unflatten(x_tree, args[n:])
            out = f(carry, x)
            if not isinstance(out, tuple) or len(out) != 2:
                raise FuncgradTypeError(
                    f"The body of `scan` must return a pair `(carry, y)`, got "
                    f"{type(out).__name__}."
                )
            new_leaves, new_tree = tree_flatten(out[0])
            if new_tree != init_tree:
                raise FuncgradTypeError(
                    f"The body of `scan` must return a carry of the same "
                    f"structure as `init`: `init` is {init_tree} but the body "
                    f"returned {new_tree}."
                )
            y_leaves, y_tree = tree_flatten(out[1])
            info["y_tree"] = y_tree
            where = "An output of the body of `scan`"
            new_leaves = [as_traceable(x, where, _HINT) for x in new_leaves]
            y_leaves = [as_traceable(x, where, _HINT) for x in y_leaves]
            return new_leaves + y_leaves

        jaxpr, consts = stage(body, carry_avals + x_avals)
        return jaxpr, consts, info["y_tree"], [v.aval for v in jaxpr.outvars[:n]]

    init_leaves, carry_avals = _settle_weak_carry(
        lambda avals: trace(avals)[3],
        init_leaves,
        [get_aval(x) for x in init_leaves],
        _weak_leaves(init),
    )
    jaxpr, consts, y_tree, out_avals = trace(carry_avals)
    for k, (a, o) in enumerate(zip(carry_avals, out_avals)):
        if a.shape != o.shape or a.dtype != o.dtype:
            raise FuncgradTypeError(
                f"The body of `scan` must return a carry of the same types as "
                f"`init`: carry leaf {k} is {a.str_short()} in `init` but "
                f"{o.str_short()} from the body (all: {_describe(carry_avals)} "
                f"and {_describe(out_avals)}). Give `init` the dtype and shape "
                f"the body produces, e.g. with `.astype`."
            )
    outs = bind_scan(
        consts, init_leaves, x_leaves, jaxpr=jaxpr, length=length, reverse=bool(reverse)
    )
    n = len(init_leaves)
    return tree_unflatten(init_tree, outs[:n]), tree_unflatten(y_tree, outs[n:])


def map(f: Callable[[Any], Any], xs: Any) -> Any:
    """`f` applied to each slice of `xs` along its leading axis, stacked:
    a `scan` without a carry, so `f` is traced once."""
    _check_callable(f, "map", "a function `f(x) -> y`")
    _, ys = scan(lambda carry, x: (carry, f(x)), (), xs)
    return ys


# --- while_loop and fori_loop -------------------------------------------------


def while_loop(
    cond_fun: Callable[[Any], Any], body_fun: Callable[[Any], Any], init_val: Any
) -> Any:
    """Repeat `val = body_fun(val)` while `cond_fun(val)` is true.

    Forward-mode derivatives (`jvp`, `jacfwd`) go through it; reverse mode
    does not (the number of steps is unknown until the loop has run): use
    `fori_loop` with Python-int bounds or `scan` for that.
    """
    _check_callable(cond_fun, "while_loop", "a function `cond_fun(val) -> bool`")
    _check_callable(body_fun, "while_loop", "a function `body_fun(val) -> val`")
    leaves, tree = _flatten(init_val, "An element of `init_val` of `while_loop`")

    def trace_body(avals: list[ShapedArray]) -> tuple[Any, list[Any]]:
        def body(*args: Any) -> list[Any]:
            out = body_fun(tree_unflatten(tree, args))
            out_leaves, out_tree = tree_flatten(out)
            if out_tree != tree:
                raise FuncgradTypeError(
                    f"`body_fun` of `while_loop` must return a value of the "
                    f"same structure as `init_val`: {tree} went in, "
                    f"{out_tree} came out."
                )
            return [
                as_traceable(x, "An output of `body_fun`", _HINT) for x in out_leaves
            ]

        return stage(body, avals)

    leaves, avals = _settle_weak_carry(
        lambda avals: [v.aval for v in trace_body(avals)[0].outvars],
        leaves,
        [get_aval(x) for x in leaves],
        _weak_leaves(init_val),
    )
    body, body_consts = trace_body(avals)
    out_avals = [v.aval for v in body.outvars]
    for k, (a, o) in enumerate(zip(avals, out_avals)):
        if a.shape != o.shape or a.dtype != o.dtype:
            raise FuncgradTypeError(
                f"`body_fun` of `while_loop` must keep the types of its value: "
                f"leaf {k} is {a.str_short()} in `init_val` but {o.str_short()} "
                f"from `body_fun`. Give `init_val` the dtype and shape the body "
                f"produces."
            )

    def predicate(*args: Any) -> list[Any]:
        p = as_traceable(
            cond_fun(tree_unflatten(tree, args)),
            "The result of `cond_fun`",
            "Return a scalar boolean.",
        )
        aval = get_aval(p)
        if aval.shape != ():
            raise FuncgradTypeError(
                f"`cond_fun` of `while_loop` must return a scalar boolean, got "
                f"{aval.str_short()}. Reduce it with `any` or `all`."
            )
        if aval.dtype != np.bool_:
            p = ew.ne(p, np.zeros((), aval.dtype))
        return [p]

    cond_jaxpr, cond_consts = stage(predicate, avals)
    outs = while_p.bind(
        *cond_consts,
        *body_consts,
        *leaves,
        cond_jaxpr=cond_jaxpr,
        body_jaxpr=body,
        cond_nconsts=len(cond_consts),
        body_nconsts=len(body_consts),
    )
    return tree_unflatten(tree, outs)


def _static_int(x: Any) -> int | None:
    if isinstance(x, Tracer):
        return None
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return int(x)
    if isinstance(x, np.ndarray) and x.shape == () and x.dtype.kind in "iu":
        return int(x)
    return None


def fori_loop(
    lower: Any, upper: Any, body_fun: Callable[[Any, Any], Any], init_val: Any
) -> Any:
    """`val = body_fun(i, val)` for `i` in `range(lower, upper)`.

    With bounds that are Python (or numpy) ints this is a `scan`, which
    every transform, reverse mode included, goes through. With traced
    bounds it is a `while_loop`, so reverse mode is not available.
    """
    _check_callable(body_fun, "fori_loop", "a function `body_fun(i, val) -> val`")
    lo, hi = _static_int(lower), _static_int(upper)
    if lo is not None and hi is not None:
        typed = [np.asarray(b).dtype for b in (lower, upper) if not isinstance(b, int)]
        dtype = np.result_type(*typed) if typed else np.dtype(np.int64)

        def step(carry: Any, _: Any) -> tuple[Any, None]:
            i, val = carry
            return (i + np.asarray(1, dtype), body_fun(i, val)), None

        (_, val), _ = scan(
            step, (np.asarray(lo, dtype), init_val), None, length=max(hi - lo, 0)
        )
        return val
    lower = as_traceable(lower, "`lower` of `fori_loop`", "Pass an integer.")
    upper = as_traceable(upper, "`upper` of `fori_loop`", "Pass an integer.")
    for name, b in (("lower", lower), ("upper", upper)):
        aval = get_aval(b)
        if aval.shape != () or aval.dtype.kind not in "iu":
            raise FuncgradTypeError(
                f"`{name}` of `fori_loop` must be a scalar integer, got "
                f"{aval.str_short()}."
            )
    dtype = np.result_type(get_aval(lower).dtype, get_aval(upper).dtype)
    lower = ew.convert_element_type(lower, dtype)
    upper = ew.convert_element_type(upper, dtype)

    def cond_fun(carry: Any) -> Any:
        return ew.lt(carry[0], upper)

    def body(carry: Any) -> Any:
        i, val = carry
        return i + np.asarray(1, dtype), body_fun(i, val)

    _, val = while_loop(cond_fun, body, (lower, init_val))
    return val
