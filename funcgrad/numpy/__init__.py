"""`funcgrad.numpy`: numpy's names and semantics, traceable and differentiable.

Outside any transform each function returns what numpy returns (as a
`numpy.ndarray`); inside one it records primitives. Dtypes follow numpy 2:
float64 by default, Python scalars weak (`float32 * 2.0` stays float32).

>>> import funcgrad.numpy as fnp
>>> fnp.sum(fnp.tanh(fnp.zeros(3)))
array(0.)
"""

import numpy as _np

from funcgrad.numpy import _methods, fft, linalg
from funcgrad.numpy._arrays import (
    append,
    array_split,
    block,
    broadcast_arrays,
    column_stack,
    concat,
    cross,
    cumprod,
    cumsum,
    cumulative_prod,
    cumulative_sum,
    delete,
    diag,
    diag_indices_from,
    diagflat,
    diagonal,
    diff,
    dsplit,
    dstack,
    ediff1d,
    fill_diagonal,
    flip,
    fliplr,
    flipud,
    hsplit,
    insert,
    kron,
    matrix_transpose,
    matvec,
    meshgrid,
    nancumprod,
    nancumsum,
    pad,
    permute_dims,
    repeat,
    resize,
    roll,
    rollaxis,
    rot90,
    select,
    split,
    tile,
    trace,
    tril,
    tril_indices_from,
    triu,
    triu_indices_from,
    unstack,
    vecdot,
    vecmat,
    vsplit,
)
from funcgrad.numpy._complex import (
    angle,
    conj,
    conjugate,
    imag,
    iscomplex,
    isreal,
    real,
)
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
from funcgrad.numpy._einsum import einsum
from funcgrad.numpy._indexing import argsort, at, sort, take, take_along_axis
from funcgrad.numpy._interp import interp, searchsorted
from funcgrad.numpy._linalg import dot, inner, matmul, outer, tensordot, vdot
from funcgrad.numpy._numeric import (
    allclose,
    apply_along_axis,
    array_equal,
    array_equiv,
    convolve,
    corrcoef,
    correlate,
    cov,
    gradient,
    intersect1d,
    isclose,
    isin,
    polyder,
    polyfit,
    polyint,
    polyval,
    setdiff1d,
    setxor1d,
    trapezoid,
    union1d,
    vander,
)
from funcgrad.numpy._order import (
    argpartition,
    median,
    nanmedian,
    nanpercentile,
    nanquantile,
    partition,
    percentile,
    quantile,
)
from funcgrad.numpy._reductions import (
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    average,
    count_nonzero,
    max,
    mean,
    min,
    nanargmax,
    nanargmin,
    nanmax,
    nanmean,
    nanmin,
    nanprod,
    nanstd,
    nansum,
    nanvar,
    prod,
    ptp,
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
from funcgrad.numpy._static import (
    argwhere,
    astype,
    bincount,
    can_cast,
    compress,
    extract,
    finfo,
    flatnonzero,
    iinfo,
    iscomplexobj,
    isrealobj,
    nonzero,
    result_type,
    trim_zeros,
    unique,
)
from funcgrad.numpy._ufuncs import (
    abs,
    absolute,
    add,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    around,
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    cbrt,
    ceil,
    clip,
    copysign,
    cos,
    cosh,
    deg2rad,
    degrees,
    divide,
    divmod,
    equal,
    exp,
    exp2,
    expm1,
    fabs,
    fix,
    float_power,
    floor,
    floor_divide,
    fmax,
    fmin,
    fmod,
    greater,
    greater_equal,
    heaviside,
    hypot,
    invert,
    isfinite,
    isinf,
    isnan,
    isneginf,
    isposinf,
    less,
    less_equal,
    log,
    log1p,
    log2,
    log10,
    logaddexp,
    logaddexp2,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    maximum,
    minimum,
    mod,
    multiply,
    nan_to_num,
    negative,
    not_equal,
    positive,
    power,
    rad2deg,
    radians,
    reciprocal,
    remainder,
    rint,
    round,
    sign,
    signbit,
    sin,
    sinc,
    sinh,
    sqrt,
    square,
    subtract,
    tan,
    tanh,
    true_divide,
    trunc,
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

# numpy's static helpers and type names, re-exported unchanged: they work on
# shapes, dtypes and Python numbers, never on traced values.
(broadcast_shapes, promote_types, issubdtype, isscalar, ndindex, ndenumerate) = (
    _np.broadcast_shapes, _np.promote_types, _np.issubdtype, _np.isscalar,
    _np.ndindex, _np.ndenumerate,
)  # fmt: skip
(tri, tril_indices, triu_indices, diag_indices, indices, ix_) = (
    _np.tri, _np.tril_indices, _np.triu_indices, _np.diag_indices, _np.indices,
    _np.ix_,
)  # fmt: skip
unravel_index, ravel_multi_index = _np.unravel_index, _np.ravel_multi_index
mgrid, ogrid, einsum_path = _np.mgrid, _np.ogrid, _np.einsum_path
logspace, geomspace = _np.logspace, _np.geomspace
row_stack = vstack
half, single, double, longdouble = _np.half, _np.single, _np.double, _np.longdouble
csingle, cdouble, clongdouble = _np.csingle, _np.cdouble, _np.clongdouble
byte, ubyte, short, ushort = _np.byte, _np.ubyte, _np.short, _np.ushort
intc, uintc, int_, uint = _np.intc, _np.uintc, _np.int_, _np.uint
long, ulong, longlong, ulonglong = _np.long, _np.ulong, _np.longlong, _np.ulonglong
intp, uintp, bool = _np.intp, _np.uintp, _np.bool
generic, number, integer, inexact = _np.generic, _np.number, _np.integer, _np.inexact
signedinteger, unsignedinteger = _np.signedinteger, _np.unsignedinteger
floating, complexfloating = _np.floating, _np.complexfloating
euler_gamma = _np.euler_gamma

_methods.install()
del _methods
