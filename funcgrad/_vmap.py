"""`vmap`: vectorise a function over a batch axis of its arguments."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from funcgrad._api import _as_value, _Cell, _to_user
from funcgrad._traceback import api_boundary
from funcgrad.core import (
    get_aval,
    transform_origin,
    tree_flatten,
    tree_structure,
    tree_unflatten,
)
from funcgrad.errors import FuncgradTypeError, FuncgradValueError, TreeStructureError
from funcgrad.primitives import _shape as shape_ops
from funcgrad.transforms import vmap_flat


def _is_axis_leaf(x: Any) -> bool:
    return x is None or isinstance(x, int)


def _broadcast_prefix(prefix: Any, tree: Any, what: str) -> list[Any]:
    """One entry of `prefix` per leaf of `tree`, `prefix` being a tree prefix."""
    if _is_axis_leaf(prefix) and not isinstance(prefix, bool):
        return [prefix] * len(tree_flatten(tree)[0])
    structure = tree_structure(prefix, is_leaf=_is_axis_leaf)
    try:
        subtrees = structure.flatten_up_to(tree)
    except TreeStructureError as err:
        raise TreeStructureError(
            f"`vmap`: {what} must be an int, None, or a pytree prefix of the "
            f"{'arguments' if 'in' in what else 'outputs'}. {err}"
        ) from None
    axes = tree_flatten(prefix, is_leaf=_is_axis_leaf)[0]
    for ax in axes:
        if not _is_axis_leaf(ax) or isinstance(ax, bool):
            raise FuncgradTypeError(
                f"`vmap`: {what} entries must be ints or None, got {ax!r}."
            )
    out: list[Any] = []
    for axis, sub in zip(axes, subtrees):
        out.extend([axis] * len(tree_flatten(sub)[0]))
    return out


def _axis_size(leaves: list[Any], axes: list[Any], axis_size: int | None) -> int:
    sizes = {}
    for i, (x, ax) in enumerate(zip(leaves, axes)):
        if ax is None:
            continue
        shape = get_aval(x).shape
        if not -len(shape) <= ax < len(shape):
            raise FuncgradValueError(
                f"`vmap` was asked to map over axis {ax} of input leaf {i}, "
                f"which has shape {shape}."
            )
        sizes[i] = shape[ax]
    found = set(sizes.values())
    if len(found) > 1:
        listed = ", ".join(f"leaf {i}: {s}" for i, s in sizes.items())
        raise FuncgradValueError(
            f"`vmap` got mapped axes of different sizes ({listed}); every "
            f"mapped input must have the same size along its `in_axes` axis."
        )
    if axis_size is not None:
        if found and found != {axis_size}:
            raise FuncgradValueError(
                f"`vmap`: `axis_size={axis_size}` differs from the mapped "
                f"inputs' size {found.pop()}."
            )
        return axis_size
    if not found:
        raise FuncgradValueError(
            "`vmap` needs at least one mapped input (an `in_axes` entry that "
            "is not None), or an explicit `axis_size`."
        )
    return found.pop()


def _move_out(
    x: Any, dim: int | None, out_axis: int | None, size: int, index: int
) -> Any:
    if out_axis is None:
        if dim is not None:
            raise FuncgradValueError(
                f"`vmap`: output leaf {index} varies over the batch, so its "
                f"`out_axes` entry cannot be None."
            )
        return x
    if dim is None:
        x = shape_ops.batch_materialize(x, None, size)
        dim = 0
    ndim = get_aval(x).ndim
    if not -ndim <= out_axis < ndim:
        raise FuncgradValueError(
            f"`vmap`: `out_axes` entry {out_axis} for output leaf {index} is "
            f"out of range for its batched rank {ndim}."
        )
    target = out_axis % ndim
    if dim == target:
        return x
    perm = [d for d in range(ndim) if d != dim]
    perm.insert(target, dim)
    return shape_ops.transpose(x, perm)


def vmap(
    fun: Callable[..., Any],
    in_axes: Any = 0,
    out_axes: Any = 0,
    axis_size: int | None = None,
) -> Callable[..., Any]:
    """Vectorise `fun` over an axis of its inputs, as one batched computation.

    Args:
      fun: the function to map.
      in_axes: an int, None (not mapped), or a tuple with one entry per
        positional argument, each an int, None or a pytree prefix of it.
      out_axes: where the batch axis goes in each output (int, None, or a
        pytree prefix of the outputs).
      axis_size: the batch size, needed when no input is mapped.

    >>> import funcgrad as fg, funcgrad.numpy as fnp, numpy as np
    >>> fg.vmap(fnp.dot, in_axes=(0, None))(np.eye(2), np.array([1.0, 2.0])).tolist()
    [1.0, 2.0]
    """

    @api_boundary
    @functools.wraps(fun)
    def vmapped(*args: Any, **kwargs: Any) -> Any:
        if isinstance(in_axes, list):
            raise FuncgradValueError("`vmap`: give `in_axes` as a tuple, not a list.")
        if isinstance(in_axes, tuple) and len(in_axes) != len(args):
            raise FuncgradValueError(
                f"`vmap`: `in_axes` has {len(in_axes)} entries but the function "
                f"was called with {len(args)} positional arguments."
            )
        leaves, in_tree = tree_flatten(args)
        leaves = [
            _as_value(x, f"leaf {i} of the arguments") for i, x in enumerate(leaves)
        ]
        axes = _broadcast_prefix(in_axes, args, "`in_axes`")
        size = _axis_size(leaves, axes, axis_size)
        dims = [
            None if a is None else a % get_aval(x).ndim for x, a in zip(leaves, axes)
        ]
        out_tree = _Cell()

        def flat(*tracers: Any) -> list[Any]:
            out = fun(*tree_unflatten(in_tree, tracers), **kwargs)
            out_leaves, out_tree.value = tree_flatten(out)
            return out_leaves

        with transform_origin("vmap", fun):
            outs, out_dims = vmap_flat(flat, size, leaves, dims)
        out_struct = tree_unflatten(out_tree.value, outs)
        out_ax = _broadcast_prefix(out_axes, out_struct, "`out_axes`")
        moved = [
            _move_out(o, d, a, size, i)
            for i, (o, d, a) in enumerate(zip(outs, out_dims, out_ax))
        ]
        return tree_unflatten(out_tree.value, [_to_user(o) for o in moved])

    return vmapped
