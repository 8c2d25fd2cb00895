"""`funcgrad.numpy.linalg`: numpy's linear algebra, traceable and
differentiable, on single matrices and on stacks `(..., m, n)`.

Outside any transform each function returns what `numpy.linalg` returns.
Inside one it binds the primitives of `funcgrad.primitives._linalg_ops`
(solve, triangular_solve, cholesky, slogdet, eigh, qr, svd) or builds on
them: `inv` is a solve against the identity, `det` comes from `slogdet`,
`pinv` and `lstsq` from the SVD with a derivative of their own, `norm` and
`matrix_power` from elementwise operations and products.

Complex matrices work in every function, with numpy's values; their
derivatives follow JAX's convention (docs/conventions.md, "Complex
numbers"), eigenvectors and singular vectors in a fixed phase gauge.

Singular input follows numpy: `inv` and `solve` raise
`numpy.linalg.LinAlgError` when evaluated on an exactly singular matrix
(eagerly at the call; under `jit` or a transform when the program runs),
`cholesky` raises it for a matrix that is not positive definite, and `det`
is 0 there, with the cofactor matrix as its derivative (from the SVD, no
solve); the derivative of `slogdet` raises there.

Derivative conventions at degenerate points:
the 2-norm (and the Frobenius norm) has gradient 0 at 0, and its square is
the sum of squares, Hessian 2I; `eigh` and `svd` drop the part of the
eigenvector (singular vector) derivative that couples repeated eigenvalues
(singular values), where it does not exist; the eigenvalues' own
derivatives stay exact where the tangent does not split them.

>>> import numpy as np, funcgrad as fg
>>> import funcgrad.numpy.linalg as la
>>> a = np.array([[2.0, 1.0], [1.0, 3.0]])
>>> float(la.det(a))
5.0
>>> fg.grad(lambda m: la.slogdet(m)[1])(a)  # inv(a).T
array([[ 0.6, -0.2],
       [-0.2,  0.4]])
"""

from __future__ import annotations

import operator
from typing import Any, NamedTuple

import numpy as np

from funcgrad.core import get_aval
from funcgrad.errors import FuncgradValueError, ShapeError
from funcgrad.numpy import _linalg as products
from funcgrad.numpy import _reductions as reductions
from funcgrad.numpy import _shape as shapes
from funcgrad.numpy import _ufuncs as ufuncs
from funcgrad.numpy._util import (
    as_operand,
    cast,
    is_eager,
    normalize_axis_arg,
    remember_square,
    result_dtype,
    shape_of,
    to_inexact,
    to_ndarray,
)
from funcgrad.primitives import _complex as cp
from funcgrad.primitives import _cumulative as cumulative
from funcgrad.primitives import _elementwise as ew
from funcgrad.primitives import _linalg_ops as ops
from funcgrad.primitives import _shape as shape_ops
from funcgrad.primitives._custom_api import custom_jvp

LinAlgError = np.linalg.LinAlgError

__all__ = [
    "EighResult",
    "LinAlgError",
    "QRResult",
    "SVDResult",
    "SlogdetResult",
    "cholesky",
    "cond",
    "det",
    "eigh",
    "eigvalsh",
    "inv",
    "lstsq",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "vector_norm",
]

# --- results, named as numpy names them ---------------------------------------


class EighResult(NamedTuple):
    eigenvalues: Any
    eigenvectors: Any


class SlogdetResult(NamedTuple):
    sign: Any
    logabsdet: Any


class QRResult(NamedTuple):
    Q: Any
    R: Any


class SVDResult(NamedTuple):
    U: Any
    S: Any
    Vh: Any


# --- helpers ------------------------------------------------------------------


def _check_stack(name: str, a: Any, square: bool = True) -> tuple[int, ...]:
    """The shape of `a`, after checking that it is a (stack of) matrices."""
    shape = shape_of(a)
    if len(shape) < 2 or (square and shape[-1] != shape[-2]):
        what = "square matrices, shape (..., n, n)" if square else "matrices"
        raise ShapeError(
            f"`funcgrad.numpy.linalg.{name}` needs {what} in the last two "
            f"axes, got an array of shape {tuple(shape)}."
        )
    return tuple(shape)


def _mT(x: Any) -> Any:
    return shapes.swapaxes(x, -1, -2)


def _conj(x: Any) -> Any:
    """The complex conjugate; a real value itself (no equation)."""
    return cp.conj(x) if get_aval(x).dtype.kind == "c" else x


def _mH(x: Any) -> Any:
    """The conjugate transpose of the last two axes (`_mT` when real)."""
    return _conj(_mT(x))


def _like(x: Any, like: Any) -> Any:
    """Real `x` in the dtype of `like`, so that the two multiply."""
    return ew.convert_element_type(x, get_aval(like).dtype)


def _eye_like(a: Any) -> Any:
    shape = get_aval(a).shape
    eye = np.eye(shape[-1], dtype=get_aval(a).dtype)
    return shape_ops.broadcast_to(eye, shape)


# --- solve, inv, det, slogdet -------------------------------------------------


def solve(a: Any, b: Any) -> Any:
    """`numpy.linalg.solve`: `x` with `a @ x = b`.

    `b` of shape `(n,)` is a vector; otherwise `(..., n, k)`, its leading
    axes broadcasting with those of `a`. Raises `LinAlgError` for an exactly
    singular `a` when evaluated.

    >>> import numpy as np
    >>> solve(np.array([[2.0, 0.0], [0.0, 4.0]]), np.array([2.0, 2.0]))
    array([1. , 0.5])
    """
    a_shape = _check_stack("solve", a)
    b_shape = shape_of(b)
    vector = len(b_shape) == 1
    if len(b_shape) < 1 or b_shape[-1 if vector else -2] != a_shape[-1]:
        raise ShapeError(
            f"`funcgrad.numpy.linalg.solve`: b of shape {tuple(b_shape)} does "
            f"not fit a of shape {a_shape}: b needs shape ({a_shape[-1]},) or "
            f"(..., {a_shape[-1]}, k)."
        )
    if is_eager(a, b):
        return to_ndarray(np.linalg.solve(a, b))
    dtype = result_dtype(a, b)
    a, b = (cast(to_inexact(as_operand(x)), _inexact(dtype)) for x in (a, b))
    if vector:
        b = shape_ops.reshape(b, b_shape + (1,))
    batch = _broadcast_batch("solve", a_shape, shape_of(b))
    a = shape_ops.broadcast_to(a, batch + a_shape[-2:])
    b = shape_ops.broadcast_to(b, batch + shape_of(b)[-2:])
    x = ops.solve(a, b)
    return shape_ops.reshape(x, shape_of(x)[:-1]) if vector else x


def _inexact(dtype: np.dtype) -> np.dtype:
    return dtype if dtype.kind in "fc" else np.dtype(np.float64)


def _broadcast_batch(name: str, a_shape: tuple, b_shape: tuple) -> tuple:
    try:
        return tuple(np.broadcast_shapes(a_shape[:-2], b_shape[:-2]))
    except ValueError:
        raise ShapeError(
            f"`funcgrad.numpy.linalg.{name}`: the leading (stack) axes of "
            f"{a_shape} and {b_shape} do not broadcast."
        ) from None


def inv(a: Any) -> Any:
    """`numpy.linalg.inv`, as a solve against the identity (so its
    derivative `-inv(a) da inv(a)` comes from solves too).

    >>> import numpy as np
    >>> inv(np.array([[2.0, 0.0], [0.0, 4.0]]))
    array([[0.5 , 0.  ],
           [0.  , 0.25]])
    """
    _check_stack("inv", a)
    if is_eager(a):
        return to_ndarray(np.linalg.inv(a))
    a = to_inexact(as_operand(a))
    return ops.solve(a, _eye_like(a))


def slogdet(a: Any) -> SlogdetResult:
    """`numpy.linalg.slogdet`: `(sign, logabsdet)` of the determinant.

    `logabsdet` has derivative `inv(a).T`; `sign` has none. For a singular
    matrix numpy gives `(0, -inf)`; its derivative raises `LinAlgError`.

    >>> import numpy as np
    >>> sign, logdet = slogdet(np.array([[0.0, 2.0], [1.0, 0.0]]))
    >>> float(sign), round(float(logdet), 6)
    (-1.0, 0.693147)
    """
    _check_stack("slogdet", a)
    if is_eager(a):
        sign, logabsdet = np.linalg.slogdet(a)
        return SlogdetResult(to_ndarray(sign), to_ndarray(logabsdet))
    return SlogdetResult(*ops.slogdet(to_inexact(as_operand(a))))


def det(a: Any) -> Any:
    """`numpy.linalg.det`; traced, `sign * exp(logabsdet)` from `slogdet`.

    Its derivative is the cofactor matrix, `d det(a) = sum(cofactor(a) *
    da)`, computed from the SVD without inverting `a`, so it is exact at
    singular matrices too (0 where the rank is below `n - 1`); the second
    derivative, the signed minors of order `n - 2`, is right everywhere as
    well (higher orders go through the SVD's own derivative, which does
    not exist where singular values repeat).

    >>> import numpy as np, funcgrad as fg
    >>> float(det(np.array([[1.0, 2.0], [3.0, 4.0]])))  # doctest: +ELLIPSIS
    -2.0000...
    >>> np.round(fg.grad(det)(np.array([[1.0, 2.0], [2.0, 4.0]])), 12)
    array([[ 4., -2.],
           [-2.,  1.]])
    """
    _check_stack("det", a)
    if is_eager(a):
        return to_ndarray(np.linalg.det(a))
    return _det(to_inexact(as_operand(a)))


@custom_jvp
def _det(a: Any) -> Any:
    sign, logabsdet = ops.slogdet(a)
    return ew.mul(sign, _like(ew.exp(logabsdet), sign))


@_det.defjvp
def _det_jvp(primals: tuple, tangents: tuple) -> tuple[Any, Any]:
    # Not det(a) * trace(solve(a, da)): that solve fails where det is 0.
    (a,), (a_dot,) = primals, tangents
    change = reductions.sum(ew.mul(_cofactor(a), a_dot), axis=(-2, -1))
    return _det(a), change


# The cofactor matrix C(A) = adj(A)^T, the gradient of det, without an
# inverse: with A = U S V^T (U, V orthogonal, S = diag(s)), C(A) = det(U)
# det(V) U C(S) V^T, and C(S) is diagonal with entries p_i = prod_{j != i}
# s_j. For complex A = U S V^H (U, V unitary) adj(A) = adj(V^H) adj(S)
# adj(U) = det(U) det(V^H) V adj(S) U^H, so C(A) = det(U) det(V^H)
# conj(U) C(S) conj(V^H): the real formula with U and V^T conjugated, the
# phase det(U) det(V^H) in place of the sign. C is a polynomial in A; its
# jvp differentiates C(S + F), F = U^H dA V, with U and V held fixed, which
# needs no derivative of the singular vectors (those do not exist where
# singular values repeat, at the identity, say): dC(S)_ii = sum_{k != i}
# q_ik F_kk and dC(S)_ij = -q_ij F_ji (i != j), q_ij = prod_{m != i, j} s_m.


def _svd_frame(a: Any) -> tuple[Any, Any, Any, Any]:
    """`u, s, vt` of `a` and `det(u) det(vt)` (+1 or -1; a phase for
    complex `a`) for each matrix, shaped to scale the matrices of a stack."""
    u, s, vt = ops.svd(a, False, True)
    orientation = ops.slogdet(products.matmul(u, vt))[0]
    return u, s, vt, shapes.expand_dims(orientation, (-2, -1))


def _products_except_one(v: Any) -> Any:
    """`p[..., i] = prod_{j != i} v[..., j]`, from the running products
    from either end (never divides, so zeros in `v` are fine)."""
    shape = get_aval(v).shape
    axis, n = len(shape) - 1, shape[-1]
    ones = np.ones(shape[:-1] + (1,), get_aval(v).dtype)
    if n == 1:
        return shape_ops.broadcast_to(ones, shape)
    start, stop = (0,) * len(shape), shape[:-1]
    before = shape_ops.slice(cumulative.cumprod(v, axis), start, stop + (n - 1,))
    after = cumulative.cumprod(v, axis, reverse=True)
    after = shape_ops.slice(after, start[:-1] + (1,), shape)
    return ew.mul(
        shape_ops.concatenate([ones, before], axis),
        shape_ops.concatenate([after, ones], axis),
    )


def _products_except_two(s: Any) -> Any:
    """`q[..., i, j] = prod_{m != i, j} s[..., m]` for `i != j`, 0 on the
    diagonal: the products except one of row `i` of `s` with `s_i` put to
    1."""
    n = get_aval(s).shape[-1]
    eye = np.eye(n, dtype=get_aval(s).dtype)
    rows = ew.add(ew.mul(shapes.expand_dims(s, -2), 1 - eye), eye)
    return ew.mul(_products_except_one(rows), 1 - eye)


def _diagonal_matrix(v: Any) -> Any:
    n = get_aval(v).shape[-1]
    return ew.mul(shapes.expand_dims(v, -1), np.eye(n, dtype=get_aval(v).dtype))


def _cofactor_value(u: Any, s: Any, vt: Any, orientation: Any) -> Any:
    scale = _like(shapes.expand_dims(_products_except_one(s), -2), u)
    product = products.matmul(ew.mul(_conj(u), scale), _conj(vt))
    return ew.mul(orientation, product)


@custom_jvp
def _cofactor(a: Any) -> Any:
    return _cofactor_value(*_svd_frame(a))


@_cofactor.defjvp
def _cofactor_jvp(primals: tuple, tangents: tuple) -> tuple[Any, Any]:
    (a,), (a_dot,) = primals, tangents
    u, s, vt, orientation = frame = _svd_frame(a)
    mm = products.matmul
    f = mm(mm(_mH(u), a_dot), _mH(vt))
    q = _like(_products_except_two(s), u)
    eye = np.eye(get_aval(s).shape[-1], dtype=get_aval(u).dtype)
    f_diagonal = reductions.sum(ew.mul(f, eye), axis=-1)
    on_diagonal = reductions.sum(ew.mul(q, shapes.expand_dims(f_diagonal, -2)), -1)
    rotated = ew.sub(_diagonal_matrix(on_diagonal), ew.mul(q, _mT(f)))
    change = mm(mm(_conj(u), rotated), _conj(vt))
    return _cofactor_value(*frame), ew.mul(orientation, change)


def matrix_power(a: Any, n: int) -> Any:
    """`numpy.linalg.matrix_power`: `a` multiplied by itself `n` times, by
    repeated squaring; `n < 0` powers `inv(a)`, `n == 0` is the identity.

    >>> import numpy as np
    >>> matrix_power(np.array([[1.0, 1.0], [0.0, 1.0]]), 3)
    array([[1., 3.],
           [0., 1.]])
    """
    try:
        n = operator.index(n)
    except TypeError:
        raise FuncgradValueError(
            f"`funcgrad.numpy.linalg.matrix_power` needs an integer exponent "
            f"known while tracing, got {n!r}."
        ) from None
    _check_stack("matrix_power", a)
    if is_eager(a):
        return to_ndarray(np.linalg.matrix_power(a, n))
    a = as_operand(a)
    if n == 0:
        return _eye_like(a)
    if n < 0:
        a, n = inv(a), -n
    result = None
    while n:
        if n & 1:
            result = a if result is None else products.matmul(result, a)
        n >>= 1
        if n:
            a = products.matmul(a, a)
    return result


# --- factorizations -----------------------------------------------------------


def cholesky(a: Any, /, *, upper: bool = False) -> Any:
    """`numpy.linalg.cholesky`: lower `L` with `a = L L^T` (upper `L^T` with
    `upper=True`). Only the lower (upper) triangle of `a` is read, as in
    numpy, and the derivative is that of this function. Raises `LinAlgError` if `a` is
    not positive definite.

    >>> import numpy as np
    >>> cholesky(np.array([[4.0, 2.0], [2.0, 2.0]]))
    array([[2., 0.],
           [1., 1.]])
    """
    _check_stack("cholesky", a)
    if is_eager(a):
        return to_ndarray(np.linalg.cholesky(a, upper=upper))
    a = to_inexact(as_operand(a))
    if upper:  # complex: the factor of conj(a), conj(L), transposed is L^H
        return _mT(ops.cholesky(_mT(a)))
    return ops.cholesky(a)


def eigh(a: Any, UPLO: str = "L") -> EighResult:  # noqa: N803
    """`numpy.linalg.eigh`: eigenvalues (ascending) and eigenvectors (the
    columns of `v`) of a symmetric (complex: Hermitian) matrix given by
    one triangle (`UPLO`).

    Derivatives: eigenvalues `dw_i = Re(v_i^H da v_i)`; eigenvectors
    `dv = v (F o (v^H da v))`, `F_ij = 1 / (w_j - w_i)`, in the gauge
    `diag(v^H dv) = 0` (docs/conventions.md). Where eigenvalues
    repeat exactly, eigenvectors have no derivative: a derivative that
    needs their rotation inside the tie is NaN, never a finite guess,
    while functions of the eigenvalues alone stay exact
    (docs/conventions.md). Each eigenvector's sign is LAPACK's choice.

    >>> import numpy as np
    >>> w, v = eigh(np.array([[2.0, 1.0], [1.0, 2.0]]))
    >>> w
    array([1., 3.])
    """
    _check_stack("eigh", a)
    if UPLO not in ("L", "U"):
        raise FuncgradValueError(
            f"`funcgrad.numpy.linalg.eigh`: UPLO must be 'L' or 'U', got {UPLO!r}."
        )
    if is_eager(a):
        w, v = np.linalg.eigh(a, UPLO)
        return EighResult(to_ndarray(w), to_ndarray(v))
    a = to_inexact(as_operand(a))
    return EighResult(*ops.eigh(a, lower=UPLO == "L"))


def eigvalsh(a: Any, UPLO: str = "L") -> Any:  # noqa: N803
    """`numpy.linalg.eigvalsh`: the eigenvalues of `eigh`, ascending."""
    if is_eager(a):
        _check_stack("eigvalsh", a)
        return to_ndarray(np.linalg.eigvalsh(a, UPLO))
    return eigh(a, UPLO)[0]


def qr(a: Any, mode: str = "reduced") -> Any:
    """`numpy.linalg.qr` in modes 'reduced' (`(q, r)`, `q` of shape
    `(..., m, k)`), 'complete' (`q` square) and 'r' (`r` only).

    Derivatives exist for 'reduced' and 'r' with `m >= n` (full column
    rank); for wide matrices and the 'complete' mode of tall ones the
    factors' derivative is not unique and the jvp raises
    `NotImplementedError`.

    >>> import numpy as np
    >>> q, r = qr(np.array([[3.0, 1.0], [4.0, 2.0]]))
    >>> np.allclose(q @ r, [[3.0, 1.0], [4.0, 2.0]])
    True
    """
    _check_stack("qr", a, square=False)
    if mode not in ("reduced", "complete", "r"):
        raise FuncgradValueError(
            f"`funcgrad.numpy.linalg.qr`: mode must be 'reduced', 'complete' "
            f"or 'r', got {mode!r}."
        )
    if is_eager(a):
        out = np.linalg.qr(a, mode=mode)
        return to_ndarray(out) if mode == "r" else QRResult(*map(to_ndarray, out))
    q, r = ops.qr(to_inexact(as_operand(a)), full_matrices=mode == "complete")
    return r if mode == "r" else QRResult(q, r)


def svd(
    a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False
) -> Any:
    """`numpy.linalg.svd`: `(u, s, vh)` with `a = u @ diag(s) @ vh`, or `s`
    alone (descending) without `compute_uv`.

    As in numpy, `full_matrices` defaults to True; for a non-square matrix
    the extra singular vectors have no derivative, so differentiate with
    `full_matrices=False`. Where singular values repeat (or are 0 for
    the extra columns of a non-square matrix) the singular vectors have no
    derivative: a derivative that needs them is NaN, never a finite guess
    (docs/conventions.md). `s` alone is differentiable everywhere its
    values are distinct.

    >>> import numpy as np
    >>> svd(np.array([[3.0, 0.0], [0.0, -4.0]]), compute_uv=False)
    array([4., 3.])
    """
    _check_stack("svd", a, square=False)
    if is_eager(a):
        out = np.linalg.svd(a, full_matrices, compute_uv, hermitian)
        return SVDResult(*map(to_ndarray, out)) if compute_uv else to_ndarray(out)
    if hermitian:
        raise NotImplementedError(
            "`funcgrad.numpy.linalg.svd` with `hermitian=True` is not "
            "traceable yet; use `hermitian=False` (same result for "
            "symmetric input)."
        )
    outs = ops.svd(to_inexact(as_operand(a)), full_matrices, compute_uv)
    return SVDResult(*outs) if compute_uv else outs[0]


def svdvals(x: Any, /) -> Any:
    """`numpy.linalg.svdvals`: the singular values, descending."""
    return svd(x, compute_uv=False)


# --- pinv and lstsq -----------------------------------------------------------


def _pinv_value(a: Any, rcond: Any) -> Any:
    u, s, vt = ops.svd(a, False, True)
    cutoff = ew.mul(rcond, reductions.max(s, axis=-1, keepdims=True))
    large = ew.gt(s, cutoff)
    one = np.asarray(1, get_aval(s).dtype)
    s_inv = ufuncs.where(large, ew.div(one, ufuncs.where(large, s, one)), 0.0)
    scaled = ew.mul(_mH(vt), _like(shapes.expand_dims(s_inv, -2), a))
    return products.matmul(scaled, _mH(u))


@custom_jvp
def _pinv(a: Any, rcond: Any) -> Any:
    return _pinv_value(a, rcond)


@_pinv.defjvp
def _pinv_jvp(primals: tuple, tangents: tuple) -> tuple[Any, Any]:
    # The derivative of the pseudo-inverse where the rank is locally
    # constant (Golub and Pereyra, 1973), written with products only;
    # conjugate transposes for complex `a`.
    (a, rcond), (a_dot, _) = primals, tangents
    p = _pinv(a, rcond)
    mm = products.matmul
    first = ew.neg(mm(mm(p, a_dot), p))
    left = ew.sub(_eye_like(mm(a, p)), mm(a, p))
    right = ew.sub(_eye_like(mm(p, a)), mm(p, a))
    second = mm(mm(mm(p, _mH(p)), _mH(a_dot)), left)
    third = mm(mm(right, _mH(a_dot)), mm(_mH(p), p))
    return p, ew.add(first, ew.add(second, third))


def _default_rcond(rcond: Any, rtol: Any, shape: tuple, dtype: np.dtype) -> Any:
    if rcond is not None and rtol is not _NO_VALUE:
        raise FuncgradValueError(
            "`funcgrad.numpy.linalg.pinv`: give `rcond` or `rtol`, not both."
        )
    if rcond is not None:
        return rcond
    if rtol is _NO_VALUE:
        return 1e-15
    return max(shape[-2:]) * np.finfo(dtype).eps if rtol is None else rtol


_NO_VALUE = object()


def pinv(
    a: Any, rcond: Any = None, hermitian: bool = False, *, rtol: Any = _NO_VALUE
) -> Any:
    """`numpy.linalg.pinv`: the Moore-Penrose pseudo-inverse, from the SVD
    with singular values at most `rcond * max(s)` treated as 0.

    Its derivative is the pseudo-inverse's own (not the SVD's, so repeated
    singular values do no harm); it assumes the rank is locally constant,
    which holds for full-rank input.

    >>> import numpy as np
    >>> pinv(np.array([[2.0, 0.0], [0.0, 0.0]]))
    array([[0.5, 0. ],
           [0. , 0. ]])
    """
    shape = _check_stack("pinv", a, square=False)
    if is_eager(a):
        kwargs = {} if rtol is _NO_VALUE else {"rtol": rtol}
        return to_ndarray(np.linalg.pinv(a, rcond, hermitian, **kwargs))
    a = to_inexact(as_operand(a))
    dtype = get_aval(a).dtype
    rcond = _default_rcond(rcond, rtol, shape, dtype)
    rcond = cast(as_operand(rcond), cp.real_dtype(dtype))
    if get_aval(rcond).ndim:
        rcond = shapes.expand_dims(rcond, -1)
    return _pinv(a, rcond)


def lstsq(a: Any, b: Any, rcond: Any = None) -> tuple[Any, Any, Any, Any]:
    """`numpy.linalg.lstsq`: `(x, residuals, rank, s)` for `a` of shape
    `(m, n)` and `b` of shape `(m,)` or `(m, k)`.

    Traced, `x = pinv(a, rcond) @ b` (differentiable in `a` and `b`) and
    `residuals` are the sums of squared residuals whenever `m > n`: numpy
    returns an empty array instead when `a` is rank-deficient, a shape that
    depends on the values and so cannot be traced. `rank` is an integer
    array without derivative.

    >>> import numpy as np
    >>> a = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> x, res, rank, s = lstsq(a, np.array([1.0, 1.0, 0.0]))
    >>> np.round(x, 6), int(rank)
    (array([0.333333, 0.333333]), 2)
    """
    a_shape = _check_stack("lstsq", a, square=False)
    b_shape = shape_of(b)
    if len(a_shape) != 2 or len(b_shape) not in (1, 2) or b_shape[0] != a_shape[0]:
        raise ShapeError(
            f"`funcgrad.numpy.linalg.lstsq` needs a of shape (m, n) and b of "
            f"shape (m,) or (m, k) with the same m, got {a_shape} and "
            f"{tuple(b_shape)}; use `funcgrad.vmap` for stacks."
        )
    if is_eager(a, b):
        return tuple(map(to_ndarray, np.linalg.lstsq(a, b, rcond)))
    dtype = _inexact(result_dtype(a, b))
    a, b = (cast(to_inexact(as_operand(x)), dtype) for x in (a, b))
    m, n = a_shape
    if rcond is None:
        rcond = np.finfo(dtype).eps * max(m, n)
    rcond = np.asarray(rcond, cp.real_dtype(dtype))
    x = products.matmul(_pinv(a, rcond), b)
    s = ops.svd(a, False, False)[0]
    cutoff = ew.mul(rcond, reductions.max(s))
    # numpy's lstsq (LAPACK's gelsd) reports the rank as int32.
    rank = ew.convert_element_type(reductions.sum(ew.gt(s, cutoff)), np.int32)
    if m > n:
        r = ew.sub(b, products.matmul(a, x))
        residuals = reductions.sum(_squares(r), axis=0)
        if len(b_shape) == 1:
            residuals = shape_ops.reshape(residuals, (1,))
    else:
        residuals = np.zeros((0,), cp.real_dtype(dtype))
    return x, residuals, rank, s


# --- norm ---------------------------------------------------------------------


def _safe_root(s: Any, p: float) -> Any:
    """`s ** (1 / p)` for `s >= 0`, with derivative 0 (not inf) at `s == 0`:
    the root is taken of 1 there and the result replaced by 0."""
    zero = ew.eq(s, np.asarray(0, get_aval(s).dtype))
    safe = ufuncs.where(zero, 1.0, s)
    root = ufuncs.sqrt(safe) if p == 2 else ufuncs.power(safe, 1.0 / p)
    return ufuncs.where(zero, 0.0, root)


def _squares(x: Any) -> Any:
    """`abs(x) ** 2` elementwise, real, as a polynomial in the parts."""
    if get_aval(x).dtype.kind == "c":
        return ew.add(*(ew.integer_pow(p, 2) for p in (cp.real(x), cp.imag(x))))
    return ew.mul(x, x)


def _root_of_squares(x: Any, axis: Any, keepdims: bool) -> Any:
    """The 2-norm (Frobenius norm) over `axis`: the root of the sum of
    squares `s`, noted on the result so that squaring it gives `s` back
    (`remember_square`): `norm(x) ** 2` then has the derivatives of `s`, 2I
    as its Hessian at 0, instead of going through the root's infinite
    second derivative there. `keepdims` is applied to `s`, before the root,
    so that the result carries the note in the shape the caller gets."""
    squares = reductions.sum(_squares(x), axis=axis, keepdims=keepdims)
    return remember_square(_safe_root(squares, 2), squares)


def _vector_norm(x: Any, ord: Any, axis: int, keepdims: bool = False) -> Any:
    if ord is None or ord == 2:
        return _root_of_squares(x, axis, keepdims)
    if isinstance(ord, str):
        raise FuncgradValueError(
            f"`funcgrad.numpy.linalg.norm`: invalid norm order {ord!r} for vectors."
        )
    magnitude = ufuncs.abs(x)
    if ord == np.inf:
        return reductions.max(magnitude, axis=axis)
    if ord == -np.inf:
        return reductions.min(magnitude, axis=axis)
    if ord == 0:
        nonzero = ew.ne(x, np.asarray(0, get_aval(x).dtype))
        return reductions.sum(cast(nonzero, get_aval(x).dtype), axis=axis)
    if ord == 1:
        return reductions.sum(magnitude, axis=axis)
    powered = ufuncs.power(magnitude, float(ord))
    return _safe_root(reductions.sum(powered, axis=axis), float(ord))


def _matrix_norm(x: Any, ord: Any, row: int, col: int, keepdims: bool = False) -> Any:
    if ord is None or ord == "fro":
        return _root_of_squares(x, (row, col), keepdims)
    if ord in ("nuc", 2, -2):
        s = svdvals(shapes.moveaxis(x, (row, col), (-2, -1)))
        if ord == "nuc":
            return reductions.sum(s, axis=-1)
        return (reductions.max if ord == 2 else reductions.min)(s, axis=-1)
    magnitude = ufuncs.abs(x)
    if ord in (1, -1):
        summed, other = reductions.sum(magnitude, axis=row), col - (col > row)
    elif ord in (np.inf, -np.inf):
        summed, other = reductions.sum(magnitude, axis=col), row - (row > col)
    else:
        raise FuncgradValueError(
            f"`funcgrad.numpy.linalg.norm`: invalid norm order {ord!r} for "
            f"matrices; use None, 'fro', 'nuc', 1, -1, 2, -2, inf or -inf."
        )
    largest = ord in (1, np.inf)
    return (reductions.max if largest else reductions.min)(summed, axis=other)


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """`numpy.linalg.norm`: vector norms over one axis (`ord` None or 2, 1,
    inf, -inf, 0 or any other power) and matrix norms over two (`ord` None
    or 'fro', 'nuc', 1, -1, 2, -2, inf, -inf); with `axis=None`, the 2-norm
    of the flattened array for `ord=None`, else a vector or matrix norm by
    the rank of `x`.

    At `x == 0` the 2-norm and the Frobenius norm (and the other power
    norms) have gradient 0, a subgradient, rather than NaN. Their second
    derivative does not exist there; the square of a traced 2-norm or
    Frobenius norm (`norm(x) ** 2`, `square(norm(x))`, `n * n`) is the sum
    of squares itself, with Hessian `2 I` everywhere, 0 included. Squaring
    anything computed from the norm (`(2 * norm(x)) ** 2`, or a norm
    returned from an inner `jit` or `vmap`) goes through the root, and its
    Hessian at 0 is 0.

    >>> import numpy as np, funcgrad as fg
    >>> fg.grad(norm)(np.zeros(3))
    array([0., 0., 0.])
    >>> fg.hessian(lambda v: norm(v) ** 2)(np.zeros(2))
    array([[2., 0.],
           [0., 2.]])
    """
    if is_eager(x):
        return to_ndarray(np.linalg.norm(x, ord, axis, keepdims))
    x = to_inexact(as_operand(x))
    shape = get_aval(x).shape
    if axis is None and ord is None:
        axes = tuple(range(len(shape)))
        out = _root_of_squares(x, None, keepdims)
    else:
        axes = normalize_axis_arg(
            tuple(range(len(shape))) if axis is None else axis, len(shape), "norm"
        )
        if axis is not None and not isinstance(axis, int | np.integer):
            axes = tuple(a % len(shape) for a in axis)  # keep the given order
        if len(axes) == 1:
            out = _vector_norm(x, ord, axes[0], keepdims)
        elif len(axes) == 2:
            out = _matrix_norm(x, ord, axes[0], axes[1], keepdims)
        else:
            raise ShapeError(
                f"`funcgrad.numpy.linalg.norm` takes one axis (a vector "
                f"norm) or two (a matrix norm), got axes {axes} of an "
                f"array of shape {shape}."
            )
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    if keepdims and get_aval(out).shape != kept:
        out = shape_ops.reshape(out, kept)
    return out


def vector_norm(
    x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2
) -> Any:
    """`numpy.linalg.vector_norm`: a vector norm over `axis` (all axes by
    default, or several, taken together as one vector); the gradient
    conventions of `norm`.

    >>> import numpy as np
    >>> vector_norm(np.array([[3.0], [4.0]]))
    array(5.)
    """
    if is_eager(x):
        return to_ndarray(
            np.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)
        )
    x = to_inexact(as_operand(x))
    shape = get_aval(x).shape
    axes = normalize_axis_arg(axis, len(shape), "vector_norm")
    if ord is None or ord == 2:
        return _root_of_squares(x, axes, keepdims)
    rest = tuple(d for d in range(len(shape)) if d not in axes)
    moved = shape_ops.transpose(x, rest + axes)
    size = int(np.prod([shape[d] for d in axes], dtype=np.int64))
    flat = shape_ops.reshape(moved, tuple(shape[d] for d in rest) + (size,))
    out = _vector_norm(flat, ord, len(rest))
    if keepdims:
        out = shape_ops.reshape(
            out, tuple(1 if d in axes else n for d, n in enumerate(shape))
        )
    return out


def matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Any:
    """`numpy.linalg.matrix_norm`: `norm(x, ord, axis=(-2, -1))`.

    >>> import numpy as np
    >>> matrix_norm(np.eye(2), ord="nuc")
    array(2.)
    """
    _check_stack("matrix_norm", x, square=False)
    return norm(x, ord, axis=(-2, -1), keepdims=keepdims)


def matrix_rank(
    A: Any,  # noqa: N803
    tol: Any = None,
    hermitian: bool = False,
    *,
    rtol: Any = None,
) -> Any:
    """`numpy.linalg.matrix_rank`: the number of singular values above
    `tol` (default `max(s) * max(m, n) * eps`), an integer array without
    derivative.

    >>> import numpy as np
    >>> int(matrix_rank(np.array([[1.0, 2.0], [2.0, 4.0]])))
    1
    """
    if is_eager(A):
        return to_ndarray(np.linalg.matrix_rank(A, tol, hermitian, rtol=rtol))
    if tol is not None and rtol is not None:
        raise FuncgradValueError(
            "`funcgrad.numpy.linalg.matrix_rank`: give `tol` or `rtol`, not both."
        )
    a = to_inexact(as_operand(A))
    shape = get_aval(a).shape
    if len(shape) < 2:
        nonzero = cast(ew.ne(a, np.asarray(0, get_aval(a).dtype)), np.int64)
        return reductions.max(nonzero) if get_aval(a).size else np.asarray(0)
    s = ops.svd(a, False, False)[0]
    dtype = get_aval(s).dtype
    if tol is None:
        scale = max(shape[-2:]) * np.finfo(dtype).eps if rtol is None else rtol
        largest = reductions.max(s, axis=-1, keepdims=True)
        tol = ew.mul(largest, _as_last_axis(scale, dtype))
    else:
        tol = _as_last_axis(tol, dtype)
    return reductions.sum(ew.gt(s, tol), axis=-1)


def _as_last_axis(value: Any, dtype: np.dtype) -> Any:
    value = cast(as_operand(value), dtype)
    return shapes.expand_dims(value, -1) if get_aval(value).ndim else value


def cond(x: Any, p: Any = None) -> Any:
    """`numpy.linalg.cond`: the condition number in the norm `p`, from the
    singular values for `p` None, 2 or -2, else `norm(x) * norm(inv(x))`.

    >>> import numpy as np
    >>> float(cond(np.diag([1.0, 4.0])))
    4.0
    """
    if is_eager(x):
        return to_ndarray(np.linalg.cond(x, p))
    x = to_inexact(as_operand(x))
    if p is None or p in (2, -2):
        _check_stack("cond", x, square=False)
        s = ops.svd(x, False, False)[0]
        n = get_aval(s).shape[-1]
        first = shape_ops.squeeze(_last_axis_slice(s, 0), (get_aval(s).ndim - 1,))
        last = shape_ops.squeeze(_last_axis_slice(s, n - 1), (get_aval(s).ndim - 1,))
        return ew.div(last, first) if p == -2 else ew.div(first, last)
    return ew.mul(norm(x, p, axis=(-2, -1)), norm(inv(x), p, axis=(-2, -1)))


def _last_axis_slice(v: Any, i: int) -> Any:
    """`v[..., i:i + 1]`."""
    shape = get_aval(v).shape
    return shape_ops.slice(v, (0,) * (len(shape) - 1) + (i,), shape[:-1] + (i + 1,))


def multi_dot(arrays: Any, *, out: Any = None) -> Any:
    """`numpy.linalg.multi_dot`: the product of two or more arrays (the first
    may be 1-d, a row; the last too, a column), multiplied in the order
    that needs the fewest operations, as numpy chooses it.

    >>> import numpy as np
    >>> multi_dot([np.ones(2), np.eye(2), np.ones(2)])
    array(2.)
    """
    if out is not None:
        raise FuncgradValueError(
            "`funcgrad.numpy.linalg.multi_dot` returns a new array; `out` is "
            "not supported."
        )
    if is_eager(*arrays):
        return to_ndarray(np.linalg.multi_dot(arrays))
    if len(arrays) < 2:
        raise FuncgradValueError(
            "`funcgrad.numpy.linalg.multi_dot` needs at least two arrays."
        )
    mats = [as_operand(a) for a in arrays]
    shapes_in = [get_aval(m).shape for m in mats]
    if any(len(s) != 2 for s in shapes_in[1:-1]) or not all(
        len(s) in (1, 2) for s in (shapes_in[0], shapes_in[-1])
    ):
        raise ShapeError(
            f"`funcgrad.numpy.linalg.multi_dot` takes 2-d arrays (the first "
            f"and last may be 1-d), got shapes {shapes_in}."
        )
    row, col = len(shapes_in[0]) == 1, len(shapes_in[-1]) == 1
    if row:
        mats[0] = shape_ops.reshape(mats[0], (1,) + shapes_in[0])
    if col:
        mats[-1] = shape_ops.reshape(mats[-1], shapes_in[-1] + (1,))
    out = _chain(
        mats, _chain_order([get_aval(m).shape for m in mats]), 0, len(mats) - 1
    )
    shape = get_aval(out).shape
    keep = tuple(n for n, drop in zip(shape, (row, col)) if not drop)
    return shape_ops.reshape(out, keep)


def _chain_order(shapes_in: list[tuple[int, ...]]) -> list[list[int]]:
    """The split points of the cheapest parenthesization (dynamic
    programming over the chain's dimensions)."""
    dims = [s[0] for s in shapes_in] + [shapes_in[-1][1]]
    n = len(shapes_in)
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = -1
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] < 0 or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _chain(mats: list[Any], split: list[list[int]], i: int, j: int) -> Any:
    if i == j:
        return mats[i]
    k = split[i][j]
    left, right = _chain(mats, split, i, k), _chain(mats, split, k + 1, j)
    return products.matmul(left, right)
