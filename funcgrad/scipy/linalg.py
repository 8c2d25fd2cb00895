"""`funcgrad.scipy.linalg`: scipy's triangular and Cholesky solvers,
traceable and differentiable, on single matrices and stacks `(..., n, n)`.

They bind `triangular_solve` and `cholesky` from
`funcgrad.primitives._linalg_ops` (scipy itself is not imported). A
right-hand side `b` with one axis fewer than `a` is a (stack of) vectors;
otherwise it is `(..., n, k)`, its leading axes broadcasting with `a`'s.
Complex matrices work too: `trans='C'` is the conjugate transpose and the
Cholesky factors are those of the Hermitian matrix a triangle stands for.

>>> import numpy as np
>>> c = cho_factor(np.array([[4.0, 2.0], [2.0, 2.0]]), lower=True)
>>> cho_solve(c, np.array([2.0, 2.0]))
array([0., 1.])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad.core import get_aval
from funcgrad.errors import FuncgradValueError, ShapeError
from funcgrad.numpy._util import (
    as_operand,
    cast,
    result_dtype,
    shape_of,
    to_inexact,
)
from funcgrad.primitives import _complex as cp
from funcgrad.primitives import _linalg_ops as ops
from funcgrad.primitives import _shape as shape_ops

__all__ = ["cho_factor", "cho_solve", "cholesky", "solve_triangular"]

_TRANS = {0: "N", "N": "N", 1: "T", "T": "T", 2: "C", "C": "C"}


def _operands(name: str, a: Any, b: Any) -> tuple[Any, Any, bool]:
    """`a` and `b` in one float or complex dtype with a common stack shape,
    `b` as a matrix; and whether `b` was a vector."""
    a_shape, b_shape = tuple(shape_of(a)), tuple(shape_of(b))
    if len(a_shape) < 2 or a_shape[-1] != a_shape[-2]:
        raise ShapeError(
            f"`funcgrad.scipy.linalg.{name}` needs a square matrix or a stack "
            f"of them, shape (..., n, n), got a of shape {a_shape}."
        )
    # as scipy (and numpy 2's solve): b is a vector only when it is 1-d
    vector = len(b_shape) == 1
    n = a_shape[-1]
    if not b_shape or b_shape[-1 if vector else -2] != n:
        raise ShapeError(
            f"`funcgrad.scipy.linalg.{name}`: b of shape {b_shape} does not "
            f"fit a of shape {a_shape}: b needs shape (..., {n}) or "
            f"(..., {n}, k)."
        )
    dtype = result_dtype(a, b)
    dtype = dtype if dtype.kind in "fc" else np.dtype(np.float64)
    a, b = (cast(to_inexact(as_operand(x)), dtype) for x in (a, b))
    if vector:
        b = shape_ops.reshape(b, b_shape + (1,))
    b_shape = tuple(shape_of(b))
    try:
        batch = tuple(np.broadcast_shapes(a_shape[:-2], b_shape[:-2]))
    except ValueError:
        raise ShapeError(
            f"`funcgrad.scipy.linalg.{name}`: the stack axes of a {a_shape} "
            f"and b {b_shape} do not broadcast."
        ) from None
    a = shape_ops.broadcast_to(a, batch + a_shape[-2:])
    b = shape_ops.broadcast_to(b, batch + b_shape[-2:])
    return a, b, vector


def _unmatrix(x: Any, vector: bool) -> Any:
    return shape_ops.reshape(x, tuple(shape_of(x))[:-1]) if vector else x


def _conj(x: Any) -> Any:
    return cp.conj(x) if get_aval(x).dtype.kind == "c" else x


def _triangular(a: Any, b: Any, lower: bool, trans: str, unit: bool = False) -> Any:
    """`op(T) x = b`; `op(T) = T^H` as `conj(T^T conj(x)) = b` (the
    primitive transposes without conjugating)."""
    if trans == "C" and get_aval(a).dtype.kind == "c":
        return _conj(ops.triangular_solve(a, _conj(b), lower, True, unit))
    return ops.triangular_solve(a, b, lower, trans != "N", unit)


def solve_triangular(
    a: Any,
    b: Any,
    trans: Any = 0,
    lower: bool = False,
    unit_diagonal: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
) -> Any:
    """`scipy.linalg.solve_triangular`: `x` with `op(a) x = b`, `op` the
    identity (`trans` 0 or 'N'), the transpose (1 or 'T') or the conjugate
    transpose (2 or 'C'), `a`
    read only in its lower (`lower=True`) or upper triangle, with ones on
    the diagonal if `unit_diagonal`. Differentiable in `a` (through that
    triangle) and in `b`. A zero on the diagonal raises
    `numpy.linalg.LinAlgError` when evaluated.

    >>> import numpy as np
    >>> solve_triangular(np.array([[2.0, 0.0], [1.0, 1.0]]),
    ...                  np.array([2.0, 3.0]), lower=True)
    array([1., 2.])
    """
    if trans not in _TRANS:
        raise FuncgradValueError(
            f"`funcgrad.scipy.linalg.solve_triangular`: trans must be 0, 1, 2, "
            f"'N', 'T' or 'C', got {trans!r}."
        )
    a, b, vector = _operands("solve_triangular", a, b)
    x = _triangular(a, b, lower, _TRANS[trans], unit_diagonal)
    return _unmatrix(x, vector)


def cholesky(
    a: Any, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True
) -> Any:
    """`scipy.linalg.cholesky`: the upper factor `U` with `a = U^H U` (the
    lower `L` with `lower=True`, `a = L L^H`), reading only that triangle
    of `a`."""
    shape = tuple(shape_of(a))
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ShapeError(
            f"`funcgrad.scipy.linalg.cholesky` needs a square matrix or a "
            f"stack of them, got shape {shape}."
        )
    a = to_inexact(as_operand(a))
    if lower:
        return ops.cholesky(a)
    # for complex `a` the lower triangle of `a^T` stands for conj(a), whose
    # factor is conj(L): its transpose is L^H, as wanted
    return _mT(ops.cholesky(_mT(a)))


def _mT(x: Any) -> Any:
    ndim = len(shape_of(x))
    return shape_ops.transpose(x, tuple(range(ndim - 2)) + (ndim - 1, ndim - 2))


def cho_factor(
    a: Any, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True
) -> tuple[Any, bool]:
    """`scipy.linalg.cho_factor`: `(c, lower)` for `cho_solve`. Unlike
    scipy, whose `c` keeps arbitrary values in the unused triangle, `c` is
    the triangular factor itself (zeros elsewhere); `cho_solve` reads only
    the factor's triangle either way."""
    return cholesky(a, lower=lower), bool(lower)


def cho_solve(
    c_and_lower: tuple[Any, bool],
    b: Any,
    overwrite_b: bool = False,
    check_finite: bool = True,
) -> Any:
    """`scipy.linalg.cho_solve`: `x` with `a x = b`, given `(c, lower)` from
    `cho_factor` (`a = c c^H` if `lower`, else `c^H c`): two triangular
    solves. Differentiable in `c` and in `b`.
    """
    try:
        c, lower = c_and_lower
    except (TypeError, ValueError):
        raise FuncgradValueError(
            "`funcgrad.scipy.linalg.cho_solve` takes the pair `(c, lower)` "
            "that `cho_factor` returns as its first argument."
        ) from None
    c, b, vector = _operands("cho_solve", c, b)
    lower = bool(lower)
    y = _triangular(c, b, lower, "N" if lower else "C")
    x = _triangular(c, y, lower, "C" if lower else "N")
    return _unmatrix(x, vector)
