"""The public transformations: `jvp`, `linearize`, `vjp`, `grad`,
`value_and_grad`, `make_jaxpr` and `residuals`.

Each one flattens its pytree arguments, checks them, hands flat lists to the
machinery in `funcgrad.transforms`, and rebuilds pytrees of plain numpy
arrays for the user.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcgrad._traceback import api_boundary
from funcgrad.core import (
    ClosedJaxpr,
    PyTreeDef,
    ShapedArray,
    Tracer,
    as_traceable,
    get_aval,
    is_inexact,
    new_main,
    transform_origin,
    tree_flatten,
    tree_unflatten,
)
from funcgrad.errors import FuncgradTypeError, FuncgradValueError, TreeStructureError
from funcgrad.transforms import (
    JVPTrace,
    JVPTracer,
    Residual,
    StagingTracer,
    Zero,
    instantiate,
    linearize_flat,
    stage_flat,
    strip_level,
)

# --- argument handling --------------------------------------------------------


def _as_value(x: Any, where: str) -> Any:
    """A leaf as an array funcgrad can trace, or a `TypeError` naming it."""
    return as_traceable(
        x,
        where,
        "Pass numpy arrays or Python numbers (inside tuples, lists, dicts or "
        "registered pytrees), or mark the argument as not differentiated.",
    )


def _check_differentiable(x: Any, where: str, api: str) -> None:
    dtype = get_aval(x).dtype
    if not is_inexact(dtype):
        raise FuncgradTypeError(
            f"`{api}` was asked to differentiate {where}, whose dtype is "
            f"{dtype}. Only floating-point inputs have derivatives. Convert "
            f"it with `.astype(float)`, or leave it out of `argnums`."
        )


def _normalize_argnums(
    argnums: int | Sequence[int], nargs: int, api: str
) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums:
        raise FuncgradValueError(f"`{api}` needs at least one entry in `argnums`.")
    for n in nums:
        if not isinstance(n, int) or isinstance(n, bool):
            raise FuncgradTypeError(
                f"`{api}`: `argnums` takes an int or a tuple of ints, got {argnums!r}."
            )
        if not -nargs <= n < nargs:
            raise FuncgradValueError(
                f"`{api}` was given argnums={argnums!r}, but the function was "
                f"called with {nargs} positional argument(s)."
            )
    out = tuple(n % nargs for n in nums)
    if len(set(out)) != len(out):
        raise FuncgradValueError(
            f"`{api}` was given argnums={argnums!r}, which names one argument "
            f"twice; list each argument once."
        )
    return out


def _flatten_args(
    args: Sequence[Any],
    api: str,
    differentiate: bool,
    positions: Sequence[int] | None = None,
) -> tuple[list[Any], PyTreeDef]:
    """The checked leaves of `args` and their structure; errors name each
    leaf by its argument's position (`positions`, default 0, 1, ...)."""
    leaves_out = []
    for i, arg in zip(positions if positions is not None else range(len(args)), args):
        leaves, _ = tree_flatten(arg)
        for j, leaf in enumerate(leaves):
            where = f"argument {i}" + (f" (leaf {j})" if len(leaves) > 1 else "")
            leaf = _as_value(leaf, where)
            if differentiate:
                _check_differentiable(leaf, where, api)
            leaves_out.append(leaf)
    _, tree = tree_flatten(tuple(args))
    return leaves_out, tree


def _to_user(x: Any) -> Any:
    """A result for the user: a writeable numpy array unless still traced."""
    if isinstance(x, Tracer):
        return x
    x = instantiate(x)
    if type(x) is np.ndarray:
        return x if x.flags.writeable else x.copy()
    return np.asarray(x)


class _Cell:
    """Holds what a traced function learns about its outputs."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: Any = None


def _flat_fun(
    fun: Callable[..., Any],
    args: Sequence[Any],
    kwargs: dict[str, Any],
    argnums: tuple[int, ...],
    out_tree: _Cell,
    has_aux: bool = False,
) -> Callable[..., tuple[list[Any], Any]]:
    """`fun` as a function of the flat leaves of `args[argnums]`."""
    _, in_tree = tree_flatten(tuple(args[i] for i in argnums))

    def flat(*leaves: Any) -> tuple[list[Any], Any]:
        new_args = list(args)
        for i, arg in zip(argnums, tree_unflatten(in_tree, leaves)):
            new_args[i] = arg
        out = fun(*new_args, **kwargs)
        aux = None
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise FuncgradTypeError(
                    f"With `has_aux=True` the function must return a pair "
                    f"`(output, aux)`, but it returned {type(out).__name__}."
                )
            out, aux = out
        out_leaves, tree = tree_flatten(out)
        out_tree.value = tree
        return out_leaves, aux

    return flat


# --- forward mode -------------------------------------------------------------


@api_boundary
def jvp(
    fun: Callable[..., Any],
    primals: Sequence[Any],
    tangents: Sequence[Any],
    has_aux: bool = False,
) -> tuple[Any, ...]:
    """Evaluate `fun` at `primals` and its directional derivative along `tangents`.

    Args:
      fun: a function of arrays (pytrees of arrays) written with `funcgrad.numpy`.
      primals: a tuple or list with one entry per positional argument of `fun`.
      tangents: the same structure as `primals`, same shapes and dtypes.
      has_aux: whether `fun` returns `(output, aux)`; `aux` is returned as is.

    Returns:
      `(primals_out, tangents_out)`, or `(primals_out, tangents_out, aux)`.

    Raises:
      TypeError: if `primals` and `tangents` are not tuples or lists, or a
        tangent's shape or dtype differs from its primal's.

    >>> import funcgrad as fg, funcgrad.numpy as fnp
    >>> y, y_dot = fg.jvp(fnp.sin, (0.0,), (2.0,))
    >>> float(y), float(y_dot)
    (0.0, 2.0)
    """
    if not isinstance(primals, tuple | list) or not isinstance(tangents, tuple | list):
        raise FuncgradTypeError(
            "`jvp` takes `primals` and `tangents` as tuples (or lists) with one "
            f"entry per argument, got {type(primals).__name__} and "
            f"{type(tangents).__name__}. Write `jvp(f, (x,), (v,))`."
        )
    p_leaves, p_tree = _flatten_args(primals, "jvp", differentiate=False)
    t_leaves, t_tree = _flatten_args(tangents, "jvp", differentiate=False)
    if p_tree != t_tree:
        raise TreeStructureError(
            f"`jvp`: the tangents' structure {t_tree} differs from the "
            f"primals' structure {p_tree}."
        )
    out_tree = _Cell()
    flat = _flat_fun(
        fun, tuple(primals), {}, tuple(range(len(primals))), out_tree, has_aux
    )
    with transform_origin("jvp", fun), new_main(JVPTrace) as main:
        trace = JVPTrace(main)
        tracers = [
            JVPTracer(trace, p, _tangent_for(p, t, i))
            for i, (p, t) in enumerate(zip(p_leaves, t_leaves))
        ]
        outs, aux = flat(*tracers)
        outs = [trace.full_raise(o) for o in outs]
        primals_out = [_to_user(o.primal) for o in outs]
        tangents_out = [_to_user(o.tangent) for o in outs]
        aux = _strip_user(strip_level(aux, main))
    result = (
        tree_unflatten(out_tree.value, primals_out),
        tree_unflatten(out_tree.value, tangents_out),
    )
    return result + (aux,) if has_aux else result


def _tangent_for(primal: Any, tangent: Any, index: int, api: str = "jvp") -> Any:
    p_aval, t_aval = get_aval(primal), get_aval(tangent)
    if p_aval.shape != t_aval.shape and not (
        not is_inexact(p_aval.dtype) and t_aval.shape == ()
    ):
        raise FuncgradTypeError(
            f"`{api}`: tangent leaf {index} has shape {t_aval.shape} but its "
            f"primal has shape {p_aval.shape}; they must match."
        )
    if not is_inexact(p_aval.dtype):
        if isinstance(tangent, Tracer) or np.any(np.asarray(tangent) != 0):
            raise FuncgradTypeError(
                f"`{api}`: primal leaf {index} has dtype {p_aval.dtype}, which "
                f"has no derivative, but its tangent is not zero. Pass a zero "
                f"tangent for integer and boolean inputs, or convert them to "
                f"float."
            )
        return Zero(p_aval)
    if t_aval.dtype != p_aval.dtype:
        lossy = t_aval.dtype.kind == "c" and p_aval.dtype.kind != "c"
        if (
            isinstance(tangent, Tracer)
            or np.ndim(tangent)
            or not np.isscalar(tangent)
            or lossy
        ):
            raise FuncgradTypeError(
                f"`jvp`: tangent leaf {index} has dtype {t_aval.dtype} but its "
                f"primal has dtype {p_aval.dtype}; they must match."
            )
        tangent = np.asarray(tangent, dtype=p_aval.dtype)
    return tangent


@api_boundary
def linearize(fun: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[..., Any]]:
    """Evaluate `fun` and return its linear map at `primals` as a function.

    The linear map is a staged program; calling it evaluates only tangent
    work, reusing the forward values saved when `linearize` ran.

    >>> import funcgrad as fg, funcgrad.numpy as fnp
    >>> y, f_jvp = fg.linearize(fnp.exp, 0.0)
    >>> float(f_jvp(3.0))
    3.0
    """
    leaves, p_tree = _flatten_args(primals, "linearize", differentiate=True)
    out_tree = _Cell()
    flat = _flat_fun(fun, primals, {}, tuple(range(len(primals))), out_tree)
    with transform_origin("linearize", fun):
        primals_out, linear, _ = linearize_flat(flat, leaves)

    @api_boundary
    def f_jvp(*tangents: Any) -> Any:
        t_leaves, t_tree = tree_flatten(tuple(tangents))
        if t_tree != p_tree:
            raise TreeStructureError(
                f"The linearized function takes tangents shaped like the "
                f"primals, {p_tree}, got {t_tree}."
            )
        checked = [
            _tangent_for(p, _as_value(t, f"tangent leaf {i}"), i, "linearize")
            for i, (p, t) in enumerate(zip(leaves, t_leaves))
        ]
        outs = linear(*checked)
        return tree_unflatten(out_tree.value, [_to_user(o) for o in outs])

    primals_user = [_to_user(p) for p in primals_out]
    return tree_unflatten(out_tree.value, primals_user), f_jvp


# --- reverse mode -------------------------------------------------------------


@api_boundary
def vjp(
    fun: Callable[..., Any], *primals: Any, has_aux: bool = False
) -> tuple[Any, ...]:
    """Evaluate `fun` at `primals` and return a function for its vector-Jacobian product.

    Returns `(primals_out, f_vjp)` (and `aux` last with `has_aux=True`);
    `f_vjp(cotangent)` takes a cotangent shaped like `primals_out` and
    returns a tuple with one cotangent per primal.

    >>> import funcgrad as fg, funcgrad.numpy as fnp
    >>> y, f_vjp = fg.vjp(fnp.multiply, 2.0, 3.0)
    >>> [float(c) for c in f_vjp(1.0)]
    [3.0, 2.0]
    """
    leaves, p_tree = _flatten_args(primals, "vjp", differentiate=True)
    out_tree = _Cell()
    flat = _flat_fun(fun, primals, {}, tuple(range(len(primals))), out_tree, has_aux)
    with transform_origin("vjp", fun):
        primals_out, linear, aux = linearize_flat(flat, leaves)
    out_avals = [get_aval(p) for p in primals_out]

    @api_boundary
    def f_vjp(cotangent: Any) -> tuple[Any, ...]:
        ct_leaves, ct_tree = tree_flatten(cotangent)
        if ct_tree != out_tree.value:
            raise TreeStructureError(
                f"`vjp`: the cotangent's structure {ct_tree} differs from the "
                f"output's structure {out_tree.value}."
            )
        cts = [
            _check_cotangent(c, a, i)
            for i, (c, a) in enumerate(zip(ct_leaves, out_avals))
        ]
        grads = [_to_user(g) for g in linear.transpose(cts)]
        return tuple(tree_unflatten(p_tree, grads))

    out = tree_unflatten(out_tree.value, [_to_user(p) for p in primals_out])
    return (out, f_vjp, _strip_user(aux)) if has_aux else (out, f_vjp)


def _strip_user(aux: Any) -> Any:
    leaves, tree = tree_flatten(aux)
    return tree_unflatten(
        tree,
        [_to_user(x) if isinstance(x, np.ndarray | np.generic) else x for x in leaves],
    )


def is_python_scalar_like(x: Any) -> bool:
    """A 0-d value whose dtype came from a Python number, not a choice."""
    return (
        isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype in (np.float64, np.int64)
    )


def _check_cotangent(ct: Any, aval: ShapedArray, index: int) -> Any:
    ct = _as_value(ct, f"cotangent leaf {index}")
    ct_aval = get_aval(ct)
    if ct_aval.shape != aval.shape:
        raise FuncgradTypeError(
            f"`vjp`: cotangent leaf {index} has shape {ct_aval.shape} but the "
            f"output has shape {aval.shape}; they must match."
        )
    if ct_aval.dtype != aval.dtype:
        if isinstance(ct, Tracer) or not (is_python_scalar_like(ct)):
            raise FuncgradTypeError(
                f"`vjp`: cotangent leaf {index} has dtype {ct_aval.dtype} but "
                f"the output has dtype {aval.dtype}."
            )
        ct = np.asarray(ct, dtype=aval.dtype)
    return ct


def value_and_grad(
    fun: Callable[..., Any],
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
) -> Callable[..., Any]:
    """Like `grad`, but the new function returns `(value, gradient)`.

    With `has_aux=True` it returns `((value, aux), gradient)`;
    `holomorphic` is as for `grad`.

    >>> import funcgrad as fg, funcgrad.numpy as fnp
    >>> value, g = fg.value_and_grad(lambda x: fnp.sum(x ** 2))(fnp.array([1.0, 2.0]))
    >>> float(value), g.tolist()
    (5.0, [2.0, 4.0])
    """
    return api_boundary(
        _value_and_grad(fun, argnums, has_aux, holomorphic, "value_and_grad")
    )


def _value_and_grad(
    fun: Callable[..., Any],
    argnums: int | Sequence[int],
    has_aux: bool,
    holomorphic: bool = False,
    api: str = "grad",
) -> Callable[..., Any]:
    """`value_and_grad` without the API boundary, for `grad` to wrap once."""

    @functools.wraps(fun)
    def value_and_grad_fun(*args: Any, **kwargs: Any) -> Any:
        nums = _normalize_argnums(argnums, len(args), api)
        diff_args = tuple(args[i] for i in nums)
        leaves, d_tree = _flatten_diff(diff_args, nums)
        if holomorphic:
            _check_holomorphic_inputs(leaves, api)
        out_tree = _Cell()
        flat = _flat_fun(fun, args, kwargs, nums, out_tree, has_aux)
        checked = _checking_scalar_output(flat, fun, holomorphic, api)
        with transform_origin("grad", fun):
            (value,), linear, aux = linearize_flat(checked, leaves)
        seed = np.ones((), get_aval(value).dtype)
        grads = [_to_user(g) for g in linear.transpose([seed])]
        grads_tree = tree_unflatten(d_tree, grads)
        grad_out = grads_tree[0] if isinstance(argnums, int) else tuple(grads_tree)
        value = _to_user(value)
        return ((value, _strip_user(aux)), grad_out) if has_aux else (value, grad_out)

    return value_and_grad_fun


def _flatten_diff(
    diff_args: tuple[Any, ...], nums: tuple[int, ...], api: str = "grad"
) -> tuple[list[Any], PyTreeDef]:
    """The differentiated arguments `args[nums]`, flattened and checked."""
    return _flatten_args(diff_args, api, differentiate=True, positions=nums)


def _check_holomorphic_inputs(leaves: Sequence[Any], api: str) -> None:
    for i, leaf in enumerate(leaves):
        dtype = get_aval(leaf).dtype
        if dtype.kind != "c":
            raise FuncgradTypeError(
                f"`{api}` with `holomorphic=True` differentiates with respect "
                f"to complex inputs, but differentiated leaf {i} is {dtype}. "
                f"Pass it as complex (`x.astype(complex)`), or drop "
                f"`holomorphic=True` for a function of real inputs."
            )


def _complex_output_error(api: str, name: str, aval: ShapedArray) -> FuncgradTypeError:
    return FuncgradTypeError(
        f"`{api}` needs `{name}` to return real values, but it returned "
        f"{aval.str_short()} (dtype {aval.dtype}), and the gradient of a "
        f"complex-valued function is defined only when it is holomorphic. "
        f"If `{name}` is holomorphic, pass `holomorphic=True` to get its "
        f"complex derivative f'(z); otherwise differentiate a real value "
        f"(`real`, `imag` or `abs` of the output), or use `vjp` with a "
        f"complex cotangent."
    )


def _checking_scalar_output(
    flat: Callable[..., tuple[list[Any], Any]],
    fun: Callable[..., Any],
    holomorphic: bool = False,
    api: str = "grad",
) -> Callable[..., tuple[list[Any], Any]]:
    def checked(*leaves: Any) -> tuple[list[Any], Any]:
        outs, aux = flat(*leaves)
        name = getattr(fun, "__name__", "the function")
        if len(outs) != 1:
            raise FuncgradTypeError(
                f"`{api}` needs `{name}` to return one real scalar, but it "
                f"returned a pytree of {len(outs)} arrays. Use `vjp` or "
                f"`jacrev` for several outputs (or `has_aux=True` to return "
                f"extra values alongside the scalar)."
            )
        aval = get_aval(_as_value(outs[0], "the output"))
        if aval.shape == () and aval.dtype.kind == "c" and not holomorphic:
            raise _complex_output_error(api, name, aval)
        if holomorphic and aval.dtype.kind != "c":
            raise FuncgradTypeError(
                f"`{api}` with `holomorphic=True` needs `{name}` to return a "
                f"complex scalar, but it returned {aval.str_short()}. Drop "
                f"`holomorphic=True` for a real-valued function."
            )
        if aval.shape != () or aval.dtype.kind not in ("c" if holomorphic else "f"):
            raise FuncgradTypeError(
                f"`{api}` needs `{name}` to return a real scalar, but it "
                f"returned {aval.str_short()} (shape {aval.shape}, dtype "
                f"{aval.dtype}). Use `vjp` or `jacrev` for non-scalar "
                f"outputs, or reduce the output with `sum` first."
            )
        return outs, aux

    return checked


def grad(
    fun: Callable[..., Any],
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
) -> Callable[..., Any]:
    """The gradient of a scalar function, as a new function with `fun`'s arguments.

    Args:
      fun: returns a real scalar (a 0-d floating array or a Python float).
      argnums: which positional argument(s) to differentiate; an int gives
        one gradient, a tuple gives a tuple of gradients.
      has_aux: `fun` returns `(scalar, aux)`; the new function returns
        `(gradient, aux)`.
      holomorphic: `fun` is a holomorphic function of complex inputs with a
        complex scalar output; the gradient is its complex derivative
        `f'(z)`.

    Returns:
      A function returning gradients shaped like the differentiated
      arguments (pytrees of numpy arrays). For a real function of a complex
      `z = x + iy` the gradient is `df/dx - i df/dy`, as in JAX and
      autograd (docs/conventions.md).

    Raises:
      TypeError: if the output is not a real scalar (complex without
        `holomorphic=True`), or a differentiated argument is not floating
        point or complex, or cannot be traced.

    >>> import funcgrad as fg, funcgrad.numpy as fnp
    >>> float(fg.grad(fnp.tanh)(0.0))
    1.0
    >>> fg.grad(lambda w, x: fnp.sum(w * x))(fnp.ones(2), fnp.array([3.0, 4.0])).tolist()
    [3.0, 4.0]
    >>> complex(fg.grad(lambda z: fnp.abs(z) ** 2)(1 - 2j))
    (2+4j)
    >>> complex(fg.grad(lambda z: z**2, holomorphic=True)(1 - 2j))
    (2-4j)
    """
    value_and_grad_fun = _value_and_grad(fun, argnums, has_aux, holomorphic)

    @api_boundary
    @functools.wraps(fun)
    def grad_fun(*args: Any, **kwargs: Any) -> Any:
        if has_aux:
            (_, aux), g = value_and_grad_fun(*args, **kwargs)
            return g, aux
        return value_and_grad_fun(*args, **kwargs)[1]

    return grad_fun


# --- staging ------------------------------------------------------------------


def make_jaxpr(
    fun: Callable[..., Any], static_argnums: int | Sequence[int] = ()
) -> Callable[..., ClosedJaxpr]:
    """A function that traces `fun` and returns its program (a `ClosedJaxpr`).

    Print the result to read the program: one equation a line, each variable
    written `name:dtype[shape]`. Arguments in `static_argnums` are passed to
    `fun` as they are instead of being traced.

    >>> import funcgrad as fg, funcgrad.numpy as fnp
    >>> print(fg.make_jaxpr(lambda x: fnp.sin(x) * 2.0)(1.0))
    { lambda a:f64[]. let
        b:f64[] = sin a
        c:f64[] = mul b 2.0:f64[]
      in (c,) }
    """
    statics = (
        (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    )

    @api_boundary
    @functools.wraps(fun)
    def make_jaxpr_fun(*args: Any, **kwargs: Any) -> ClosedJaxpr:
        nums = tuple(
            i
            for i in range(len(args))
            if i not in {s % max(len(args), 1) for s in statics}
        )
        traced = tuple(args[i] for i in nums)
        leaves, _ = _flatten_args(traced, "make_jaxpr", differentiate=False)
        out_tree = _Cell()
        flat = _flat_fun(fun, args, kwargs, nums, out_tree)

        def outputs_only(*tracers: Any) -> list[Any]:
            return flat(*tracers)[0]

        with transform_origin("make_jaxpr", fun):
            closed = stage_flat(outputs_only, [get_aval(x) for x in leaves])
        return closed

    return make_jaxpr_fun


def residuals(
    fun: Callable[..., Any], argnums: int | Sequence[int] = 0
) -> Callable[..., list[Residual]]:
    """List the forward values that `grad(fun, argnums)` saves for its backward pass.

    Each `Residual` has a name, shape, dtype, size in bytes and the source:
    the primitive whose output it is, or the argument it comes from.

    >>> import funcgrad as fg, funcgrad.numpy as fnp
    >>> [r.source for r in fg.residuals(lambda x: fnp.sum(fnp.tanh(x)))(fnp.ones(3))]
    ['sub']
    """

    @api_boundary
    @functools.wraps(fun)
    def residuals_fun(*args: Any, **kwargs: Any) -> list[Residual]:
        nums = _normalize_argnums(argnums, len(args), "residuals")
        leaves, _ = _flatten_diff(tuple(args[i] for i in nums), nums)
        flat = _checking_scalar_output(_flat_fun(fun, args, kwargs, nums, _Cell()), fun)
        found: list[Residual] = []

        others = {
            id(leaf): f"argument {i}"
            for i, arg in enumerate(args)
            if i not in nums
            for leaf in tree_flatten(arg)[0]
        }

        def staged(*tracers: Any) -> list[Any]:
            outs, linear, _ = linearize_flat(flat, tracers)
            consts = linear.program.consts
            found.extend(_describe_residuals(consts, tracers, others))
            return outs

        stage_flat(staged, [get_aval(x) for x in leaves])
        return found

    return residuals_fun


def _describe_residuals(
    consts: Sequence[Any], inputs: Sequence[Any], others: dict[int, str]
) -> list[Residual]:
    out = []
    for i, value in enumerate(consts):
        aval = get_aval(value)
        source = others.get(id(value), "constant")
        if isinstance(value, StagingTracer):
            source = _tracer_source(value, inputs)
        out.append(Residual(f"r{i}", aval.shape, aval.dtype.name, aval.nbytes, source))
    return out


def _tracer_source(value: StagingTracer, inputs: Sequence[Any]) -> str:
    """The primitive that computed a staged residual, or its input position."""
    builder = value._trace.builder
    var = builder.atom(value)
    for eqn in builder.eqns:
        if var in eqn.outvars:
            return eqn.primitive.name
    for j, t in enumerate(inputs):
        if t is value:
            return f"differentiated input leaf {j}"
    return "constant"


def stop_gradient(x: Any) -> Any:
    """`x` with a zero derivative: transforms treat it as a constant.

    >>> import funcgrad as fg, funcgrad.numpy as fnp
    >>> float(fg.grad(lambda x: x * fg.stop_gradient(x))(3.0))
    3.0
    """
    from funcgrad.primitives._elementwise import stop_gradient as stop

    leaves, tree = tree_flatten(x)
    return tree_unflatten(
        tree, [stop(_as_value(leaf, "`stop_gradient`'s input")) for leaf in leaves]
    )
