"""`funcgrad.numpy`: numpy's names and semantics, traceable and differentiable.

Outside any transform each function returns what numpy returns (as a
`numpy.ndarray`); inside one it records primitives. Dtypes follow numpy 2:
float64 by default, Python scalars weak (`float32 * 2.0` stays float32).

>>> import funcgrad.numpy as fnp
>>> fnp.sum(fnp.tanh(fnp.zeros(3)))
array(0.)
"""

import numpy as _np

from funcgrad.numpy import _methods
from funcgrad.numpy._creation import (
    arange,
    array,
    asarray,
    copy,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    identity,
    linspace,
    ones,
    ones_like,
    zeros,
    zeros_like,
)
from funcgrad.numpy._linalg import dot, inner, matmul, outer, tensordot, vdot
from funcgrad.numpy._reductions import (
    amax,
    amin,
    argmax,
    argmin,
    max,
    mean,
    min,
    prod,
    std,
    sum,
    var,
)
from funcgrad.numpy._shape import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    broadcast_to,
    concatenate,
    expand_dims,
    hstack,
    moveaxis,
    ndim,
    ravel,
    reshape,
    shape,
    size,
    squeeze,
    stack,
    swapaxes,
    transpose,
    vstack,
)
from funcgrad.numpy._ufuncs import (
    abs,
    absolute,
    add,
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    clip,
    cos,
    divide,
    equal,
    exp,
    expm1,
    greater,
    greater_equal,
    invert,
    less,
    less_equal,
    log,
    log1p,
    logaddexp,
    logaddexp2,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    positive,
    power,
    reciprocal,
    sign,
    sin,
    sqrt,
    square,
    subtract,
    tan,
    tanh,
    true_divide,
    where,
)

# numpy's dtypes and constants, so that `fnp.float32` and `fnp.pi` work.
bool_ = _np.bool_
float16, float32, float64 = _np.float16, _np.float32, _np.float64
int8, int16, int32, int64 = _np.int8, _np.int16, _np.int32, _np.int64
uint8, uint16, uint32, uint64 = _np.uint8, _np.uint16, _np.uint32, _np.uint64
complex64, complex128 = _np.complex64, _np.complex128
ndarray, dtype, newaxis = _np.ndarray, _np.dtype, None
pi, e, inf, nan = _np.pi, _np.e, _np.inf, _np.nan

_methods.install()
del _methods
