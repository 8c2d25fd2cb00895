"""numpy's shape functions: reshape, transpose, swapaxes, moveaxis,
squeeze, expand_dims, ravel, broadcast_to, concatenate, stack, hstack,
vstack and the atleast_* family.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad.core import get_aval
from funcgrad.errors import ShapeError
from funcgrad.numpy._util import (
    as_operand,
    is_eager,
    normalize_axis_arg,
    promote,
    sequence_of_operands,
    shape_of,
    to_ndarray,
)
from funcgrad.primitives import _shape as shape_ops
from funcgrad.primitives._util import normalize_axis


def _resolve_shape(shape: Any, size: int, original: tuple) -> tuple[int, ...]:
    dims = (
        (int(shape),)
        if isinstance(shape, int | np.integer)
        else tuple(int(d) for d in shape)
    )
    if dims.count(-1) > 1:
        raise ShapeError(
            f"`reshape`: can only specify one unknown dimension, got {dims}."
        )
    if -1 in dims:
        known = int(np.prod([d for d in dims if d != -1], dtype=np.int64))
        if known == 0 or size % known:
            raise ShapeError(
                f"`reshape`: cannot reshape array of shape {original} into shape {dims}."
            )
        dims = tuple(size // known if d == -1 else d for d in dims)
    return dims


def reshape(
    a: Any, shape: Any = None, order: str = "C", *, newshape: Any = None
) -> Any:
    """`numpy.reshape` (C order; one dimension may be -1)."""
    shape = newshape if shape is None else shape
    if is_eager(a):
        return to_ndarray(np.reshape(a, shape, order=order))
    if order != "C":
        raise ShapeError("`reshape` supports only order='C' on traced arrays.")
    x = as_operand(a)
    aval = get_aval(x)
    return shape_ops.reshape(x, _resolve_shape(shape, aval.size, aval.shape))


def ravel(a: Any, order: str = "C") -> Any:
    """`numpy.ravel`: a flat copy (C order)."""
    return reshape(a, (-1,), order=order)


def transpose(a: Any, axes: Sequence[int] | None = None) -> Any:
    """`numpy.transpose`: reverse the axes, or permute them by `axes`."""
    if is_eager(a):
        return to_ndarray(np.transpose(a, axes))
    x = as_operand(a)
    ndim = get_aval(x).ndim
    if axes is None:
        perm = tuple(reversed(range(ndim)))
    else:
        perm = tuple(normalize_axis("transpose", int(ax), ndim) for ax in axes)
    return shape_ops.transpose(x, perm)


def swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    """`numpy.swapaxes`."""
    if is_eager(a):
        return to_ndarray(np.swapaxes(a, axis1, axis2))
    x = as_operand(a)
    ndim = get_aval(x).ndim
    perm = list(range(ndim))
    i, j = (
        normalize_axis("swapaxes", axis1, ndim),
        normalize_axis("swapaxes", axis2, ndim),
    )
    perm[i], perm[j] = perm[j], perm[i]
    return shape_ops.transpose(x, perm)


def moveaxis(a: Any, source: Any, destination: Any) -> Any:
    """`numpy.moveaxis`."""
    if is_eager(a):
        return to_ndarray(np.moveaxis(a, source, destination))
    x = as_operand(a)
    ndim = get_aval(x).ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise ShapeError(
            "`moveaxis`: `source` and `destination` need the same number of axes."
        )
    src = [normalize_axis("moveaxis", s, ndim) for s in src]
    dst = [normalize_axis("moveaxis", d, ndim) for d in dst]
    order = [n for n in range(ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return shape_ops.transpose(x, order)


def squeeze(a: Any, axis: Any = None) -> Any:
    """`numpy.squeeze`: drop axes of length 1 (all of them by default)."""
    if is_eager(a):
        return to_ndarray(np.squeeze(a, axis=axis))
    x = as_operand(a)
    shape = get_aval(x).shape
    if axis is None:
        dims = tuple(i for i, s in enumerate(shape) if s == 1)
    else:
        dims = normalize_axis_arg(axis, len(shape), "squeeze")
        if any(shape[d] != 1 for d in dims):
            raise ShapeError(
                f"`squeeze`: cannot select an axis to squeeze out which has size not equal to one (shape {shape}, axis {axis})."
            )
    return shape_ops.squeeze(x, dims)


def expand_dims(a: Any, axis: Any) -> Any:
    """`numpy.expand_dims`: insert axes of length 1 at `axis`."""
    if is_eager(a):
        return to_ndarray(np.expand_dims(a, axis))
    x = as_operand(a)
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    ndim = get_aval(x).ndim + len(axes)
    return shape_ops.expand_dims(
        x, tuple(normalize_axis("expand_dims", int(ax), ndim) for ax in axes)
    )


def broadcast_to(array: Any, shape: Any) -> Any:
    """`numpy.broadcast_to`."""
    if is_eager(array):
        return np.broadcast_to(array, shape)
    x = as_operand(array)
    shape = (int(shape),) if isinstance(shape, int | np.integer) else tuple(shape)
    try:
        target = np.broadcast_shapes(get_aval(x).shape, shape)
    except ValueError:
        target = None
    if target != shape:
        raise ShapeError(
            f"`broadcast_to`: cannot broadcast an array of shape {get_aval(x).shape} to shape {shape}."
        )
    return shape_ops.broadcast_to(x, shape)


def concatenate(arrays: Sequence[Any], axis: int | None = 0) -> Any:
    """`numpy.concatenate` (with `axis=None`, of the flattened arrays)."""
    if is_eager(*arrays):
        return to_ndarray(np.concatenate(arrays, axis=axis))
    operands = promote(*sequence_of_operands(arrays, "concatenate"))
    if axis is None:
        operands = [ravel(x) for x in operands]
        axis = 0
    ndim = get_aval(operands[0]).ndim
    if ndim == 0 or any(get_aval(x).ndim != ndim for x in operands):
        shapes = ", ".join(str(shape_of(x)) for x in operands)
        raise ShapeError(
            f"`concatenate` needs arrays of one rank (at least 1), got shapes {shapes}."
        )
    return shape_ops.concatenate(operands, normalize_axis("concatenate", axis, ndim))


def stack(arrays: Sequence[Any], axis: int = 0) -> Any:
    """`numpy.stack`: join arrays of one shape along a new axis."""
    if is_eager(*arrays):
        return to_ndarray(np.stack(arrays, axis=axis))
    operands = sequence_of_operands(arrays, "stack")
    shapes = {shape_of(x) for x in operands}
    if len(shapes) != 1:
        raise ShapeError(
            f"`stack`: all input arrays must have the same shape, got {sorted(shapes)}."
        )
    ndim = len(shapes.pop()) + 1
    ax = normalize_axis("stack", axis, ndim)
    return concatenate([expand_dims(x, ax) for x in operands], axis=ax)


def atleast_1d(*arys: Any) -> Any:
    """`numpy.atleast_1d`."""
    out = [reshape(a, (1,)) if len(shape_of(a)) == 0 else as_operand(a) for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


def atleast_2d(*arys: Any) -> Any:
    """`numpy.atleast_2d`."""
    out = []
    for a in arys:
        shape = shape_of(a)
        out.append(
            reshape(a, (1,) * (2 - len(shape)) + tuple(shape))
            if len(shape) < 2
            else as_operand(a)
        )
    return out[0] if len(out) == 1 else tuple(out)


def atleast_3d(*arys: Any) -> Any:
    """`numpy.atleast_3d` (a 1-d array of length n becomes (1, n, 1))."""
    out = []
    for a in arys:
        shape = tuple(shape_of(a))
        if len(shape) == 0:
            out.append(reshape(a, (1, 1, 1)))
        elif len(shape) == 1:
            out.append(reshape(a, (1,) + shape + (1,)))
        elif len(shape) == 2:
            out.append(reshape(a, shape + (1,)))
        else:
            out.append(as_operand(a))
    return out[0] if len(out) == 1 else tuple(out)


def hstack(tup: Sequence[Any]) -> Any:
    """`numpy.hstack`: along the second axis (the first for 1-d arrays)."""
    if is_eager(*tup):
        return to_ndarray(np.hstack(tup))
    arrays = [atleast_1d(a) for a in tup]
    return concatenate(arrays, axis=0 if len(shape_of(arrays[0])) == 1 else 1)


def vstack(tup: Sequence[Any]) -> Any:
    """`numpy.vstack`: along the first axis, 1-d arrays as rows."""
    if is_eager(*tup):
        return to_ndarray(np.vstack(tup))
    return concatenate([atleast_2d(a) for a in tup], axis=0)


def shape(a: Any) -> tuple[int, ...]:
    """`numpy.shape`."""
    return tuple(shape_of(a))


def ndim(a: Any) -> int:
    """`numpy.ndim`."""
    return len(shape_of(a))


def size(a: Any) -> int:
    """`numpy.size`."""
    return int(np.prod(shape_of(a), dtype=np.int64))
