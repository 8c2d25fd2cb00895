"""numpy's functions of complex numbers: `real`, `imag`, `conj` (and
`conjugate`), `angle`, `iscomplex` and `isreal`.

Each returns what numpy returns, real where numpy's is real (`real`,
`imag` and `angle` of a complex array are float32 or float64). On real
arrays no primitive is needed: `real` and `conj` are the array itself and
`imag` is a zero constant. Their derivatives follow JAX's and autograd's
convention (docs/conventions.md): `grad` of a real function of `z` is
`df/dx - i df/dy`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad.core import get_aval
from funcgrad.numpy._ufuncs import arctan2, equal, multiply, not_equal
from funcgrad.numpy._util import as_operand, is_eager, to_ndarray
from funcgrad.primitives import _complex as cp
from funcgrad.primitives import _shape as shape_ops


def _is_complex(x: Any) -> bool:
    return get_aval(x).dtype.kind == "c"


def real(val: Any) -> Any:
    """`numpy.real`: the real part (float for complex input, else `val`).

    >>> import funcgrad.numpy as fnp
    >>> fnp.real(fnp.array([1 + 2j, 3 - 1j]))
    array([1., 3.])
    """
    if is_eager(val):
        return to_ndarray(np.real(val))
    x = as_operand(val)
    return cp.real(x) if _is_complex(x) else x


def imag(val: Any) -> Any:
    """`numpy.imag`: the imaginary part (zeros of `val`'s dtype for real
    input, a constant with no derivative)."""
    if is_eager(val):
        return to_ndarray(np.imag(val))
    x = as_operand(val)
    if _is_complex(x):
        return cp.imag(x)
    aval = get_aval(x)
    return shape_ops.broadcast_to(np.zeros((), aval.dtype), aval.shape)


def conjugate(x: Any, /) -> Any:
    """`numpy.conjugate` (`conj`): the complex conjugate; real arrays are
    returned unchanged."""
    if is_eager(x):
        return to_ndarray(np.conjugate(x))
    x = as_operand(x)
    return cp.conj(x) if _is_complex(x) else x


conj = conjugate


def angle(z: Any, deg: bool = False) -> Any:
    """`numpy.angle`: the argument of `z` in `(-pi, pi]` (degrees with
    `deg=True`), `arctan2(imag(z), real(z))`, with its derivative.

    >>> import funcgrad.numpy as fnp
    >>> float(fnp.angle(1j, deg=True))
    90.0
    """
    if is_eager(z):
        return to_ndarray(np.angle(z, deg=deg))
    z = as_operand(z)
    if _is_complex(z):
        out = arctan2(cp.imag(z), cp.real(z))
    else:
        out = arctan2(0, z)
    return multiply(out, 180 / np.pi) if deg else out


def iscomplex(x: Any) -> Any:
    """`numpy.iscomplex`: True where the imaginary part is nonzero."""
    if is_eager(x):
        return to_ndarray(np.iscomplex(x))
    return not_equal(imag(x), 0)


def isreal(x: Any) -> Any:
    """`numpy.isreal`: True where the imaginary part is zero."""
    if is_eager(x):
        return to_ndarray(np.isreal(x))
    return equal(imag(x), 0)
