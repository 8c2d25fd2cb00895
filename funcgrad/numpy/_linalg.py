"""Products: dot, matmul (the `@` operator), tensordot, outer, inner and vdot,
all on the `dot_general` primitive.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad.core import get_aval
from funcgrad.errors import ShapeError
from funcgrad.numpy._util import is_eager, promote, to_ndarray
from funcgrad.primitives import _complex as cp
from funcgrad.primitives import _elementwise as ew
from funcgrad.primitives import _shape as shape_ops
from funcgrad.primitives._linalg import dot_general


def _check_inner(name: str, a_shape: tuple, b_shape: tuple, ia: int, ib: int) -> None:
    if a_shape[ia] != b_shape[ib]:
        raise ShapeError(
            f"`{name}`: shapes {a_shape} and {b_shape} not aligned: "
            f"{a_shape[ia]} (dim {ia % len(a_shape)}) != {b_shape[ib]} "
            f"(dim {ib % len(b_shape)})."
        )


def dot(a: Any, b: Any) -> Any:
    """`numpy.dot`: the matrix product for 2-d arrays, the sum product over the
    last axis of `a` and the second-to-last of `b` in general."""
    if is_eager(a, b):
        return to_ndarray(np.dot(a, b))
    a, b = promote(a, b)
    sa, sb = get_aval(a).shape, get_aval(b).shape
    if not sa or not sb:
        return ew.mul(a, b)
    ib = max(len(sb) - 2, 0)
    _check_inner("dot", sa, sb, -1, ib)
    return dot_general(a, b, (((len(sa) - 1,), (ib,)), ((), ())))


def matmul(a: Any, b: Any) -> Any:
    """`numpy.matmul` (`a @ b`): batched matrix products with broadcasting."""
    if is_eager(a, b):
        return to_ndarray(np.matmul(a, b))
    a, b = promote(a, b)
    sa, sb = get_aval(a).shape, get_aval(b).shape
    if not sa or not sb:
        raise ShapeError(
            "`matmul`: input operand does not have enough dimensions (scalars are not allowed; use `*`)."
        )
    a2 = shape_ops.reshape(a, (1,) + sa) if len(sa) == 1 else a
    b2 = shape_ops.reshape(b, sb + (1,)) if len(sb) == 1 else b
    out = _matmul_nd(a2, b2)
    shape = get_aval(out).shape
    if len(sa) == 1:
        out = shape_ops.squeeze(out, (len(shape) - 2,))
        shape = get_aval(out).shape
    if len(sb) == 1:
        out = shape_ops.squeeze(out, (len(shape) - 1,))
    return out


def _matmul_nd(a: Any, b: Any) -> Any:
    sa, sb = get_aval(a).shape, get_aval(b).shape
    _check_inner("matmul", sa, sb, -1, -2)
    if len(sb) == 2:
        return dot_general(a, b, (((len(sa) - 1,), (0,)), ((), ())))
    try:
        batch = tuple(np.broadcast_shapes(sa[:-2], sb[:-2]))
    except ValueError:
        raise ShapeError(
            f"`matmul`: batch dimensions of {sa} and {sb} do not broadcast."
        ) from None
    if len(sa) == 2:
        # (n, k) @ (..., k, m): contract without copying `a` across the batch.
        out = dot_general(
            a,
            shape_ops.broadcast_to(b, batch + sb[-2:]),
            (((1,), (len(batch),)), ((), ())),
        )
        nb = len(batch)
        return shape_ops.transpose(out, tuple(range(1, nb + 1)) + (0, nb + 1))
    a = shape_ops.broadcast_to(a, batch + sa[-2:])
    b = shape_ops.broadcast_to(b, batch + sb[-2:])
    nb = len(batch)
    dims = tuple(range(nb))
    return dot_general(a, b, (((nb + 1,), (nb,)), (dims, dims)))


def tensordot(a: Any, b: Any, axes: int | Sequence[Any] = 2) -> Any:
    """`numpy.tensordot`: sum products over `axes`."""
    if is_eager(a, b):
        return to_ndarray(np.tensordot(a, b, axes))
    a, b = promote(a, b)
    sa, sb = get_aval(a).shape, get_aval(b).shape
    if isinstance(axes, int | np.integer):
        n = int(axes)
        ca, cb = tuple(range(len(sa) - n, len(sa))), tuple(range(n))
    else:
        xa, xb = axes
        ca = (xa,) if isinstance(xa, int) else tuple(xa)
        cb = (xb,) if isinstance(xb, int) else tuple(xb)
        ca = tuple(c % len(sa) for c in ca)
        cb = tuple(c % len(sb) for c in cb)
    if len(ca) != len(cb) or any(sa[i] != sb[j] for i, j in zip(ca, cb)):
        raise ShapeError(
            f"`tensordot`: shape mismatch for sum over axes {ca} of {sa} and {cb} of {sb}."
        )
    return dot_general(a, b, ((ca, cb), ((), ())))


def outer(a: Any, b: Any) -> Any:
    """`numpy.outer` of the flattened inputs."""
    if is_eager(a, b):
        return to_ndarray(np.outer(a, b))
    a, b = promote(a, b)
    fa = shape_ops.reshape(a, (get_aval(a).size, 1))
    fb = shape_ops.reshape(b, (1, get_aval(b).size))
    return ew.mul(fa, fb)


def inner(a: Any, b: Any) -> Any:
    """`numpy.inner`: sum products over the last axes."""
    if is_eager(a, b):
        return to_ndarray(np.inner(a, b))
    a, b = promote(a, b)
    sa, sb = get_aval(a).shape, get_aval(b).shape
    if not sa or not sb:
        return ew.mul(a, b)
    _check_inner("inner", sa, sb, -1, -1)
    return dot_general(a, b, (((len(sa) - 1,), (len(sb) - 1,)), ((), ())))


def vdot(a: Any, b: Any) -> Any:
    """`numpy.vdot` of the flattened inputs, the first one conjugated."""
    if is_eager(a, b):
        return to_ndarray(np.vdot(a, b))
    a, b = promote(a, b)
    if get_aval(a).dtype.kind == "c":
        a = cp.conj(a)
    return inner(
        shape_ops.reshape(a, (get_aval(a).size,)),
        shape_ops.reshape(b, (get_aval(b).size,)),
    )
