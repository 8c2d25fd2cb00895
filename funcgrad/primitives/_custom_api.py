"""`custom_jvp`, `custom_vjp` and `checkpoint`: functions with derivatives
or memory behaviour chosen by the user (or by funcgrad's own front-ends,
which is why they live in the primitives layer).

The decorators flatten pytrees, stage the function once per call into a
Jaxpr and bind the higher-order primitives of `funcgrad.primitives._custom`,
so the custom rule survives `jit`, `vmap` and nested differentiation.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from funcgrad._traceback import api_boundary
from funcgrad.core import (
    as_traceable,
    get_aval,
    transform_origin,
    tree_flatten,
    tree_unflatten,
)
from funcgrad.errors import FuncgradError, FuncgradTypeError
from funcgrad.primitives._custom import (
    checkpoint_p,
    closure_convert,
    custom_jvp_call_p,
    custom_vjp_call_p,
)
from funcgrad.transforms import Zero, instantiate, stage_flat


def _as_value(x: Any, where: str) -> Any:
    return as_traceable(
        x, where, "Pass arrays, or list the argument in `nondiff_argnums`."
    )


class _Staged:
    """A function of the dynamic arguments, staged with its pytree layout."""

    def __init__(
        self, fun: Callable[..., Any], args: tuple, nondiff: tuple[int, ...], api: str
    ) -> None:
        self.fun, self.args, self.nondiff = fun, args, nondiff
        dynamic = tuple(a for i, a in enumerate(args) if i not in nondiff)
        leaves, self.in_tree = tree_flatten(dynamic)
        self.leaves = [
            _as_value(x, f"leaf {i} of the arguments of `{api}`")
            for i, x in enumerate(leaves)
        ]
        self.out_tree: Any = None

    def full_args(self, leaves: Sequence[Any]) -> list[Any]:
        it = iter(tree_unflatten(self.in_tree, leaves))
        return [a if i in self.nondiff else next(it) for i, a in enumerate(self.args)]

    def nondiff_values(self) -> list[Any]:
        return [self.args[i] for i in self.nondiff]

    def flat(self, *leaves: Any) -> list[Any]:
        out = self.fun(*self.full_args(leaves))
        out_leaves, self.out_tree = tree_flatten(out)
        return out_leaves

    def stage(self, api: str) -> tuple[Any, list[Any]]:
        with transform_origin(api, self.fun):
            program = stage_flat(self.flat, [get_aval(x) for x in self.leaves])
        return closure_convert(program), list(program.consts)


def _positional(fun: Callable[..., Any], args: tuple, kwargs: dict, api: str) -> tuple:
    """Keyword arguments bound to their positions, so rules see them too."""
    if not kwargs:
        return args
    try:
        bound = inspect.signature(fun).bind(*args, **kwargs)
    except TypeError as err:
        raise FuncgradTypeError(f"`{api}` of `{_name(fun)}`: {err}") from None
    if bound.kwargs:
        raise FuncgradTypeError(
            f"`{api}` of `{_name(fun)}` cannot pass keyword-only arguments "
            f"{sorted(bound.kwargs)} to its rule; make them positional."
        )
    return tuple(bound.args)


def _nondiff(nondiff_argnums: int | Sequence[int]) -> tuple[int, ...]:
    return (
        (nondiff_argnums,)
        if isinstance(nondiff_argnums, int)
        else tuple(nondiff_argnums)
    )


def _name(fun: Callable[..., Any]) -> str:
    return getattr(fun, "__qualname__", getattr(fun, "__name__", "function"))


class custom_jvp:
    """A function with a forward-mode derivative rule of your own.

    Decorate the function, then give the rule with `defjvp`: it receives
    `(primals, tangents)` (tuples of the differentiable arguments) and
    returns `(primal_out, tangent_out)`. Reverse mode, `vmap` and `jit` use
    the rule too; it should be written with `funcgrad.numpy` so that it can
    be differentiated again. `nondiff_argnums` arguments are passed to the
    rule first, as they are.

    >>> import funcgrad as fg, funcgrad.numpy as fnp
    >>> @fg.custom_jvp
    ... def log1pexp(x):
    ...     return fnp.log1p(fnp.exp(x))
    >>> @log1pexp.defjvp
    ... def log1pexp_jvp(primals, tangents):
    ...     (x,), (t,) = primals, tangents
    ...     return log1pexp(x), t / (1.0 + fnp.exp(-x))
    >>> round(float(fg.grad(log1pexp)(3.0)), 6)
    0.952574
    """

    def __init__(
        self, fun: Callable[..., Any], nondiff_argnums: int | Sequence[int] = ()
    ) -> None:
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = _nondiff(nondiff_argnums)
        self.jvp: Callable[..., Any] | None = None

    def defjvp(self, jvp: Callable[..., Any]) -> Callable[..., Any]:
        self.jvp = jvp
        return jvp

    @api_boundary
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        args = _positional(self.fun, args, kwargs, "custom_jvp")
        name = _name(self.fun)
        if self.jvp is None:
            raise FuncgradError(
                f"`custom_jvp` function `{name}` has no rule: call `{name}.defjvp(rule)` first."
            )
        staged = _Staged(self.fun, args, self.nondiff_argnums, "custom_jvp")
        jaxpr, consts = staged.stage("custom_jvp")
        out_tree = staged.out_tree
        rule = self.jvp

        def flat_jvp(
            primals: Sequence[Any], tangents: Sequence[Any]
        ) -> tuple[list[Any], list[Any]]:
            p_args = tree_unflatten(staged.in_tree, primals)
            t_args = tree_unflatten(staged.in_tree, tangents)
            result = rule(*staged.nondiff_values(), tuple(p_args), tuple(t_args))
            if not (isinstance(result, tuple) and len(result) == 2):
                raise FuncgradTypeError(
                    f"The jvp rule of `{name}` must return a pair `(primal_out, tangent_out)`."
                )
            out, t_out = result
            return tree_flatten(out)[0], [
                instantiate(t) for t in tree_flatten(t_out)[0]
            ]

        outs = custom_jvp_call_p.bind(
            *consts,
            *staged.leaves,
            jaxpr=jaxpr,
            num_consts=len(consts),
            jvp=flat_jvp,
            name=name,
        )
        return tree_unflatten(out_tree, outs)


class custom_vjp:
    """A function with a reverse-mode derivative rule of your own.

    Give the rule with `defvjp(fwd, bwd)`: `fwd(*args)` returns
    `(output, residuals)` and `bwd(residuals, cotangent)` returns a tuple
    with one cotangent per differentiable argument (`None` for zero).
    `grad`, `vjp`, `jacrev`, `vmap` and `jit` use the rule; forward mode
    (`jvp`, `jacfwd`, `hessian`) raises an error that says so. `bwd` written
    with `funcgrad.numpy` can be differentiated again.

    >>> import funcgrad as fg, funcgrad.numpy as fnp
    >>> @fg.custom_vjp
    ... def clip_gradient(x):
    ...     return x
    >>> def fwd(x):
    ...     return x, None
    >>> def bwd(_, ct):
    ...     return (fnp.clip(ct, -1.0, 1.0),)
    >>> clip_gradient.defvjp(fwd, bwd)
    >>> float(fg.grad(lambda x: 5.0 * clip_gradient(x))(2.0))
    1.0
    """

    def __init__(
        self, fun: Callable[..., Any], nondiff_argnums: int | Sequence[int] = ()
    ) -> None:
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = _nondiff(nondiff_argnums)
        self.fwd: Callable[..., Any] | None = None
        self.bwd: Callable[..., Any] | None = None

    def defvjp(self, fwd: Callable[..., Any], bwd: Callable[..., Any]) -> None:
        self.fwd, self.bwd = fwd, bwd

    @api_boundary
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        args = _positional(self.fun, args, kwargs, "custom_vjp")
        name = _name(self.fun)
        if self.fwd is None or self.bwd is None:
            raise FuncgradError(
                f"`custom_vjp` function `{name}` has no rule: call `{name}.defvjp(fwd, bwd)` first."
            )
        staged = _Staged(self.fun, args, self.nondiff_argnums, "custom_vjp")
        jaxpr, consts = staged.stage("custom_vjp")
        out_tree = staged.out_tree
        fwd, bwd = self.fwd, self.bwd
        res_tree: list[Any] = []

        def flat_fwd(primals: Sequence[Any]) -> tuple[list[Any], list[Any]]:
            result = fwd(*staged.full_args(primals))
            if not (isinstance(result, tuple) and len(result) == 2):
                raise FuncgradTypeError(
                    f"The `fwd` rule of `{name}` must return a pair `(output, residuals)`."
                )
            out, res = result
            res_leaves, tree = tree_flatten(res)
            res_tree[:] = [tree]
            return tree_flatten(out)[0], res_leaves

        def flat_bwd(res: Sequence[Any], cts: Sequence[Any]) -> list[Any]:
            residuals = tree_unflatten(res_tree[0], res)
            cts_in = bwd(
                *staged.nondiff_values(), residuals, tree_unflatten(out_tree, cts)
            )
            n_dyn = len(args) - len(staged.nondiff)
            if not isinstance(cts_in, tuple) or len(cts_in) != n_dyn:
                raise FuncgradTypeError(
                    f"The `bwd` rule of `{name}` must return a tuple with one cotangent per differentiable argument ({n_dyn}), got {type(cts_in).__name__}."
                )
            dyn = [a for i, a in enumerate(args) if i not in staged.nondiff]
            flat: list[Any] = []
            for arg, ct in zip(dyn, cts_in):
                arg_leaves = tree_flatten(arg)[0]
                if ct is None:
                    flat.extend(
                        Zero(get_aval(_as_value(a, "argument"))) for a in arg_leaves
                    )
                else:
                    flat.extend(tree_flatten(ct)[0])
            return flat

        outs = custom_vjp_call_p.bind(
            *consts,
            *staged.leaves,
            jaxpr=jaxpr,
            num_consts=len(consts),
            fwd=flat_fwd,
            bwd=flat_bwd,
            name=name,
        )
        return tree_unflatten(out_tree, outs)


def checkpoint(
    fun: Callable[..., Any] | None = None, *, static_argnums: int | Sequence[int] = ()
) -> Any:
    """`fun`, whose forward values reverse mode recomputes instead of saving.

    Gradients are unchanged; `residuals` of a checkpointed function lists
    only its inputs, and the backward pass runs `fun`'s forward pass again.
    `fun` is traced abstractly, so Python control flow on its values needs
    those arguments in `static_argnums`. Usable as `@checkpoint` or
    `@checkpoint(static_argnums=...)`.

    >>> import funcgrad as fg, funcgrad.numpy as fnp, numpy as np
    >>> layer = fg.checkpoint(lambda x: fnp.tanh(fnp.sin(x)))
    >>> float(fg.grad(lambda x: fnp.sum(layer(x)))(np.float64(0.0)))
    1.0
    """
    if fun is None:
        return functools.partial(checkpoint, static_argnums=static_argnums)
    name = _name(fun)
    statics = _nondiff(static_argnums)

    @api_boundary
    @functools.wraps(fun)
    def checkpointed(*args: Any, **kwargs: Any) -> Any:
        args = _positional(fun, args, kwargs, "checkpoint")
        staged = _Staged(fun, args, statics, "checkpoint")
        jaxpr, consts = staged.stage("checkpoint")
        outs = checkpoint_p.bind(*consts, *staged.leaves, jaxpr=jaxpr, name=name)
        return tree_unflatten(staged.out_tree, outs)

    return checkpointed
