"""`jacfwd`, `jacrev` and `hessian`: whole Jacobians as `vmap` of `jvp` (one
column per input element) or of `vjp` (one row per output element).

A Jacobian of `f` with respect to an argument is a pytree shaped like the
output whose leaves are pytrees shaped like the argument, each leaf of shape
`out_leaf.shape + in_leaf.shape`, as in JAX.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcgrad._api import (
    _check_holomorphic_inputs,
    _complex_output_error,
    _flatten_diff,
    _normalize_argnums,
    jvp,
    vjp,
)
from funcgrad._traceback import api_boundary
from funcgrad._vmap import vmap
from funcgrad.core import get_aval, tree_flatten, tree_unflatten
from funcgrad.errors import FuncgradTypeError
from funcgrad.primitives import _shape as shape_ops


def _basis(leaves: Sequence[Any]) -> list[np.ndarray]:
    """The standard basis of the flattened leaves, one stacked array per leaf:
    leaf `j` gets shape `(total,) + leaf.shape`."""
    avals = [get_aval(x) for x in leaves]
    total = sum(a.size for a in avals)
    out, offset = [], 0
    for a in avals:
        block = np.zeros((total, a.size), a.dtype)
        block[offset : offset + a.size] = np.eye(a.size, dtype=a.dtype)
        out.append(block.reshape((total,) + a.shape))
        offset += a.size
    return out


def _split(
    stacked: Any, first_shape: tuple, avals: Sequence[Any], axis_last: bool
) -> list[Any]:
    """Cut a stacked Jacobian block along its basis axis into one piece per leaf.

    `stacked` has the basis axis last (`axis_last`) or first; each piece is
    reshaped so that the basis axis becomes the leaf's shape.
    """
    pieces, offset = [], 0
    ndim = get_aval(stacked).ndim
    for a in avals:
        if axis_last:
            start = [0] * ndim
            limit = list(get_aval(stacked).shape)
            start[-1], limit[-1] = offset, offset + a.size
            piece = shape_ops.slice(stacked, start, limit)
            pieces.append(shape_ops.reshape(piece, first_shape + a.shape))
        else:
            start = [0] * ndim
            limit = list(get_aval(stacked).shape)
            start[0], limit[0] = offset, offset + a.size
            piece = shape_ops.slice(stacked, start, limit)
            pieces.append(shape_ops.reshape(piece, a.shape + first_shape))
        offset += a.size
    return pieces


def _partial(
    fun: Callable[..., Any], args: tuple, kwargs: dict, nums: tuple
) -> Callable[..., Any]:
    def f(*diff: Any) -> Any:
        new = list(args)
        for i, d in zip(nums, diff):
            new[i] = d
        return fun(*new, **kwargs)

    return f


def _pick(tree: tuple, argnums: int | Sequence[int]) -> Any:
    return tree[0] if isinstance(argnums, int) else tree


def _check_real_inputs(leaves: Sequence[Any], api: str, holomorphic: bool) -> None:
    """Forward-mode Jacobians take real inputs, or complex ones with
    `holomorphic=True` (where the Jacobian is complex-linear)."""
    if holomorphic:
        _check_holomorphic_inputs(leaves, api)
        return
    for i, leaf in enumerate(leaves):
        dtype = get_aval(leaf).dtype
        if dtype.kind == "c":
            raise FuncgradTypeError(
                f"`{api}` needs real inputs, but differentiated leaf {i} is "
                f"{dtype}: the Jacobian of a function of complex inputs is a "
                f"complex matrix only when the function is holomorphic. Pass "
                f"`holomorphic=True` if it is; otherwise use `jvp` along "
                f"real and imaginary directions, or `jacrev` for real outputs."
            )


def _check_outputs(
    leaves: Sequence[Any], api: str, name: str, holomorphic: bool
) -> None:
    """Reverse-mode Jacobians need real outputs, or complex ones with
    `holomorphic=True`."""
    for leaf in leaves:
        aval = get_aval(leaf)
        if aval.dtype.kind == "c" and not holomorphic:
            raise _complex_output_error(api, name, aval)
        if holomorphic and aval.dtype.kind != "c":
            raise FuncgradTypeError(
                f"`{api}` with `holomorphic=True` needs complex outputs, but "
                f"`{name}` returned {aval.str_short()}. Drop "
                f"`holomorphic=True` for real-valued functions."
            )


def jacfwd(
    fun: Callable[..., Any],
    argnums: int | Sequence[int] = 0,
    holomorphic: bool = False,
) -> Callable[..., Any]:
    """The Jacobian of `fun` by forward mode: one `jvp` per input element,
    all of them in one `vmap`. Best when inputs are fewer than outputs.

    Inputs are real, or complex with `holomorphic=True` (the Jacobian is
    then `df/dz`); outputs may be complex.

    >>> import funcgrad as fg, funcgrad.numpy as fnp, numpy as np
    >>> fg.jacfwd(lambda x: x ** 2)(np.array([1.0, 2.0])).tolist()
    [[2.0, 0.0], [0.0, 4.0]]
    """

    @api_boundary
    @functools.wraps(fun)
    def jacobian(*args: Any, **kwargs: Any) -> Any:
        nums = _normalize_argnums(argnums, len(args), "jacfwd")
        diff = tuple(args[i] for i in nums)
        leaves, d_tree = _flatten_diff(diff, nums, "jacfwd")
        _check_real_inputs(leaves, "jacfwd", holomorphic)
        f = _partial(fun, args, kwargs, nums)

        def push(*basis_leaves: Any) -> Any:
            return jvp(f, diff, tree_unflatten(d_tree, basis_leaves))[1]

        columns = vmap(push, out_axes=-1)(*_basis(leaves))
        avals = [get_aval(x) for x in leaves]
        out_leaves, out_tree = tree_flatten(columns)
        per_out = [
            tree_unflatten(d_tree, _split(c, get_aval(c).shape[:-1], avals, True))
            for c in out_leaves
        ]
        return tree_unflatten(out_tree, [_pick(p, argnums) for p in per_out])

    return jacobian


def jacrev(
    fun: Callable[..., Any],
    argnums: int | Sequence[int] = 0,
    holomorphic: bool = False,
) -> Callable[..., Any]:
    """The Jacobian of `fun` by reverse mode: one `vjp` per output element,
    all of them in one `vmap`. Best when outputs are fewer than inputs.

    Outputs are real (each row is then a gradient, `df/dx - i df/dy` for a
    complex input, as `grad` gives), or complex with `holomorphic=True`
    (complex inputs, and the Jacobian is `df/dz`).

    >>> import funcgrad as fg, funcgrad.numpy as fnp, numpy as np
    >>> fg.jacrev(lambda x: fnp.sum(x) * x)(np.array([1.0, 2.0])).tolist()
    [[4.0, 1.0], [2.0, 5.0]]
    """

    @api_boundary
    @functools.wraps(fun)
    def jacobian(*args: Any, **kwargs: Any) -> Any:
        nums = _normalize_argnums(argnums, len(args), "jacrev")
        diff = tuple(args[i] for i in nums)
        leaves, d_tree = _flatten_diff(diff, nums, "jacrev")
        if holomorphic:
            _check_holomorphic_inputs(leaves, "jacrev")
        out, f_vjp = vjp(_partial(fun, args, kwargs, nums), *diff)
        out_leaves, out_tree = tree_flatten(out)
        name = getattr(fun, "__name__", "the function")
        _check_outputs(out_leaves, "jacrev", name, holomorphic)
        out_avals = [get_aval(o) for o in out_leaves]

        def pull(*basis_leaves: Any) -> Any:
            return f_vjp(tree_unflatten(out_tree, basis_leaves))

        rows = vmap(pull)(*_basis(out_leaves))
        row_leaves = tree_flatten(rows)[0]  # one per input leaf: (M,) + in_shape
        by_input = [_split_rows(r, out_avals) for r in row_leaves]
        per_out = [
            tree_unflatten(d_tree, [by_input[j][k] for j in range(len(leaves))])
            for k in range(len(out_leaves))
        ]
        return tree_unflatten(out_tree, [_pick(p, argnums) for p in per_out])

    return jacobian


def _split_rows(rows: Any, out_avals: Sequence[Any]) -> list[Any]:
    in_shape = get_aval(rows).shape[1:]
    pieces, offset = [], 0
    for a in out_avals:
        start = [0] * (1 + len(in_shape))
        limit = [offset + a.size, *in_shape]
        start[0] = offset
        piece = shape_ops.slice(rows, start, limit)
        pieces.append(shape_ops.reshape(piece, a.shape + in_shape))
        offset += a.size
    return pieces


def hessian(
    fun: Callable[..., Any],
    argnums: int | Sequence[int] = 0,
    holomorphic: bool = False,
) -> Callable[..., Any]:
    """The Hessian of a scalar function: `jacfwd(jacrev(fun))`. For complex
    inputs the function must be holomorphic (`holomorphic=True`); for a real
    function of complex inputs, differentiate the real and imaginary parts
    as real inputs.

    >>> import funcgrad as fg, funcgrad.numpy as fnp, numpy as np
    >>> A = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> fg.hessian(lambda x: x @ A @ x / 2)(np.ones(2)).tolist()
    [[2.0, 1.0], [1.0, 3.0]]
    """
    inner = jacfwd(jacrev(fun, argnums, holomorphic), argnums, holomorphic)
    if holomorphic:
        return inner

    @functools.wraps(fun)
    def hessian_fun(*args: Any, **kwargs: Any) -> Any:
        nums = _normalize_argnums(argnums, len(args), "hessian")
        leaves, _ = _flatten_diff(tuple(args[i] for i in nums), nums, "hessian")
        for i, leaf in enumerate(leaves):
            if get_aval(leaf).dtype.kind == "c":
                raise FuncgradTypeError(
                    f"`hessian` needs real inputs, but differentiated leaf {i} "
                    f"is {get_aval(leaf).dtype}. For a holomorphic function "
                    f"pass `holomorphic=True`; for a real function of "
                    f"z = x + iy, write it as a function of the real arrays "
                    f"x and y (`z = x + 1j * y`) and take the Hessian in "
                    f"those."
                )
        return inner(*args, **kwargs)

    return api_boundary(hessian_fun)
