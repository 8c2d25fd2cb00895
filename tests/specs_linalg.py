"""Specs for the linear-algebra primitives of `funcgrad.primitives._linalg_ops`
(solve, triangular_solve, cholesky, slogdet, eigh, qr, svd), for the table
in `primitive_specs.py`.

The property tests batch operands by shuffling their elements, which would
break any structure (symmetry, definiteness) drawn into them. So each
spec's function maps a small perturbation `e` (entries of at most 0.25 or
0.125) to a well-conditioned matrix first: `e + 2 I` for the solves (singular
values at least 1.25 for n <= 3), the same for Cholesky (the symmetric
matrix its lower triangle stands for is positive definite), and
`e + diag(0, 1, 2)` or `e + diag(3, 2, 1)` for eigh and svd (eigenvalues
and singular values at least 0.25 apart). Eigenvectors and singular vectors
are compared through products that do not depend on their signs.

`COMPLEX_CHANGES` holds what the complex variants (`specs_complex.py`)
change: eigenvectors and singular vectors are unique only up to a phase
per vector (per pair `u_j`, `vh_j` for the SVD), so they are compared
through products that do not depend on it (`v * conj(v[0])`, `u[0] *
vh[:, 0]`); the real eigenvalues, singular values and log|det| join the
complex outputs converted; complex perturbations are smaller for eigh and
svd, as both of their parts count towards the gaps.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from primitive_specs import (
    F32,
    F64,
    I32,
    AbstractCase,
    Case,
    Domain,
    PrimitiveSpec,
    arrays,
)

from funcgrad.core import ShapedArray, get_aval
from funcgrad.primitives import _complex as cp
from funcgrad.primitives import _elementwise as ew
from funcgrad.primitives import _linalg_ops as ops
from funcgrad.primitives import _shape as shape_ops

SMALL = Domain(-0.25, 0.25)
TINY = Domain(-0.125, 0.125)
TOLERANCE = {F32: 2e-4, F64: 1e-10}


def _aval(shape: tuple[int, ...], dtype: np.dtype = F64) -> ShapedArray:
    return ShapedArray(shape, dtype)


def _shifted(e: Any, diagonal: np.ndarray) -> Any:
    """`e` plus a constant (m, n) matrix, in `e`'s dtype."""
    return ew.add(e, np.asarray(diagonal, get_aval(e).dtype))


def _offset(m: int, n: int, values: tuple[float, ...]) -> np.ndarray:
    out = np.zeros((m, n))
    k = min(m, n)
    out[np.arange(k), np.arange(k)] = values[:k]
    return out


def _np_mT(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


def _mT(x: Any) -> Any:
    ndim = get_aval(x).ndim
    return shape_ops.transpose(x, tuple(range(ndim - 2)) + (ndim - 1, ndim - 2))


def _first_row(x: Any) -> Any:
    shape = get_aval(x).shape
    return shape_ops.slice(x, (0,) * len(shape), shape[:-2] + (1, shape[-1]))


def _first_col(x: Any) -> Any:
    shape = get_aval(x).shape
    return shape_ops.slice(x, (0,) * len(shape), shape[:-1] + (1,))


def _batch_shapes() -> st.SearchStrategy[tuple[int, ...]]:
    return st.sampled_from([(), (2,), (1, 2)])


# --- solve and triangular_solve -----------------------------------------------


@st.composite
def _solve_case(draw: Any, dtype: np.dtype, triangular: bool = False) -> Case:
    batch, n, k = (
        draw(_batch_shapes()),
        draw(st.integers(1, 3)),
        draw(st.integers(1, 2)),
    )
    a = draw(arrays(dtype, batch + (n, n), SMALL))
    b = draw(arrays(dtype, batch + (n, k)))
    params: dict[str, Any] = {"transpose_a": draw(st.booleans())}
    if triangular:
        params.update(lower=draw(st.booleans()), unit_diagonal=draw(st.booleans()))
    return (a, b), params


def _solve(e: Any, b: Any, *, transpose_a: bool) -> Any:
    n = get_aval(e).shape[-1]
    return ops.solve(_shifted(e, 2 * np.eye(n)), b, transpose_a)


def _solve_reference(e: np.ndarray, b: np.ndarray, *, transpose_a: bool) -> Any:
    a = e + 2 * np.eye(get_aval(e).shape[-1], dtype=e.dtype)
    return np.linalg.solve(_np_mT(a) if transpose_a else a, b)


def _triangular_solve(e: Any, b: Any, **params: Any) -> Any:
    n = get_aval(e).shape[-1]
    return ops.triangular_solve(_shifted(e, 2 * np.eye(n)), b, **params)


def _triangular_reference(
    e: np.ndarray, b: np.ndarray, *, lower: bool, transpose_a: bool, unit_diagonal: bool
) -> np.ndarray:
    a = e + 2 * np.eye(get_aval(e).shape[-1], dtype=e.dtype)
    t = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        n = a.shape[-1]
        t = t.copy()
        t[..., np.arange(n), np.arange(n)] = 1
    return np.linalg.solve(_np_mT(t) if transpose_a else t, b)


# --- cholesky and slogdet -----------------------------------------------------


def _square_case(domain: Domain) -> Any:
    @st.composite
    def cases(draw: Any, dtype: np.dtype) -> Case:
        batch, n = draw(_batch_shapes()), draw(st.integers(1, 3))
        return (draw(arrays(dtype, batch + (n, n), domain)),), {}

    return cases


def _cholesky(e: Any) -> Any:
    return ops.cholesky(_shifted(e, 2 * np.eye(get_aval(e).shape[-1])))


def _hermitian_of_lower(a: np.ndarray) -> np.ndarray:
    """The symmetric (Hermitian) matrix of `a`'s lower triangle; the
    imaginary parts of the diagonal dropped."""
    strict = np.tril(a, -1)
    diagonal = np.real(np.diagonal(a, axis1=-2, axis2=-1))
    n = a.shape[-1]
    out = strict + np.conj(_np_mT(strict))
    out[..., np.arange(n), np.arange(n)] = diagonal
    return out


def _cholesky_reference(e: np.ndarray) -> np.ndarray:
    a = e + 2 * np.eye(get_aval(e).shape[-1], dtype=e.dtype)
    return np.linalg.cholesky(_hermitian_of_lower(a))


@st.composite
def _slogdet_case(draw: Any, dtype: np.dtype) -> Case:
    (e,), _ = draw(_square_case(SMALL)(dtype))
    return (e,), {"flip": draw(st.booleans())}


def _flip_diagonal(n: int, flip: bool) -> np.ndarray:
    d = 2 * np.eye(n)
    if flip:
        d[0, 0] = -2
    return d


def _slogdet(e: Any, *, flip: bool) -> Any:
    sign, logabsdet = ops.slogdet(
        _shifted(e, _flip_diagonal(get_aval(e).shape[-1], flip))
    )
    return ew.add(sign, logabsdet)


def _slogdet_reference(e: np.ndarray, *, flip: bool) -> np.ndarray:
    d = _flip_diagonal(get_aval(e).shape[-1], flip).astype(e.dtype)
    sign, logabsdet = np.linalg.slogdet(e + d)
    return sign + logabsdet


# --- real or complex factors --------------------------------------------------
# Conjugation is the identity on real values and converting to the same
# dtype binds nothing, so one function serves the real and complex specs.


def _conj(x: Any) -> Any:
    return cp.conj(x) if get_aval(x).dtype.kind == "c" else x


def _as(x: Any, like: Any) -> Any:
    return ew.convert_element_type(x, get_aval(like).dtype)


def _row_of(v: Any) -> Any:
    return shape_ops.expand_dims(v, (get_aval(v).ndim - 1,))


# --- eigh ---------------------------------------------------------------------


def _eigh_case(domain: Domain) -> Any:
    @st.composite
    def cases(draw: Any, dtype: np.dtype) -> Case:
        (e,), _ = draw(_square_case(domain)(dtype))
        return (e,), {"lower": draw(st.booleans())}

    return cases


def _eigh(e: Any, *, lower: bool) -> Any:
    n = get_aval(e).shape[-1]
    w, v = ops.eigh(_shifted(e, np.diag(np.arange(n, dtype=float))), lower)
    parts = [_row_of(_as(w, v)), ew.mul(v, _conj(_first_row(v)))]
    return shape_ops.concatenate(parts, get_aval(w).ndim - 1)


def _eigh_reference(e: np.ndarray, *, lower: bool) -> np.ndarray:
    n = get_aval(e).shape[-1]
    a = e + np.diag(np.arange(n)).astype(e.dtype)
    w, v = np.linalg.eigh(a, "L" if lower else "U")
    parts = [w[..., None, :].astype(e.dtype), v * np.conj(v[..., :1, :])]
    return np.concatenate(parts, axis=-2)


# --- qr -----------------------------------------------------------------------


@st.composite
def _qr_case(draw: Any, dtype: np.dtype) -> Case:
    batch, n = draw(_batch_shapes()), draw(st.integers(1, 3))
    m = draw(st.integers(n, 4))
    full = m == n and draw(st.booleans())
    return (draw(arrays(dtype, batch + (m, n), SMALL)),), {"full_matrices": full}


def _qr(e: Any, *, full_matrices: bool) -> Any:
    m, n = get_aval(e).shape[-2:]
    q, r = ops.qr(_shifted(e, _offset(m, n, (2.0, 2.0, 2.0))), full_matrices)
    # LAPACK flips the sign of a column of q and a row of r together (and
    # discontinuously, where a column is already zero below the diagonal).
    k = min(m, n)
    diag = ops._diag_part(
        shape_ops.slice(r, (0,) * get_aval(r).ndim, get_aval(r).shape[:-2] + (k, k))
    )
    q = shape_ops.slice(q, (0,) * get_aval(q).ndim, get_aval(q).shape[:-1] + (k,))
    parts = [_mT(ew.mul(q, ops._row(diag))), ew.mul(r, ops._col(diag))]
    return shape_ops.concatenate(parts, get_aval(e).ndim - 1)


def _qr_reference(e: np.ndarray, *, full_matrices: bool) -> np.ndarray:
    m, n = get_aval(e).shape[-2:]
    a = e + _offset(m, n, (2.0, 2.0, 2.0)).astype(e.dtype)
    q, r = np.linalg.qr(a, "complete" if full_matrices else "reduced")
    k = min(m, n)
    diag = np.diagonal(r, axis1=-2, axis2=-1)[..., :k]
    parts = [_np_mT(q[..., :k] * diag[..., None, :]), r * diag[..., :, None]]
    return np.concatenate(parts, axis=-1)


# --- svd ----------------------------------------------------------------------

_SINGULAR = (3.0, 2.0, 1.0)


def _svd_case(domain: Domain = TINY) -> Any:
    @st.composite
    def cases(draw: Any, dtype: np.dtype) -> Case:
        batch, m, n = (
            draw(_batch_shapes()),
            draw(st.integers(1, 3)),
            draw(st.integers(1, 3)),
        )
        params = {"full_matrices": False, "compute_uv": draw(st.booleans())}
        return (draw(arrays(dtype, batch + (m, n), domain)),), params

    return cases


def _svd(e: Any, *, full_matrices: bool, compute_uv: bool) -> Any:
    m, n = get_aval(e).shape[-2:]
    a = _shifted(e, _offset(m, n, _SINGULAR))
    outs = ops.svd(a, full_matrices, compute_uv)
    if not compute_uv:
        return outs[0]
    u, s, vt = outs
    row = shape_ops.expand_dims(s, (get_aval(s).ndim - 1,))
    parts = [row, ew.mul(u, _first_row(u)), _mT(ew.mul(vt, _first_col(vt)))]
    return shape_ops.concatenate(parts, get_aval(s).ndim - 1)


def _svd_reference(e: np.ndarray, *, full_matrices: bool, compute_uv: bool) -> Any:
    m, n = get_aval(e).shape[-2:]
    a = e + _offset(m, n, _SINGULAR).astype(e.dtype)
    if not compute_uv:
        return np.linalg.svd(a, compute_uv=False)
    u, s, vt = np.linalg.svd(a, full_matrices=full_matrices)
    parts = [s[..., None, :], u * u[..., :1, :], _np_mT(vt * vt[..., :, :1])]
    return np.concatenate(parts, axis=-2)


def _svd_full(e: Any) -> Any:
    """`u^H a v` (`v = vh^H`) with the square factors of full matrices:
    `diag(s)` padded with zeros, whatever signs (phases) LAPACK picks for
    the vectors."""
    m, n = get_aval(e).shape[-2:]
    a = _shifted(e, _offset(m, n, _SINGULAR))
    u, _s, vt = ops.svd(a, True, True)
    return ops._mm(_conj(_mT(u)), ops._mm(a, _conj(_mT(vt))))


def _svd_full_reference(e: np.ndarray) -> np.ndarray:
    m, n = get_aval(e).shape[-2:]
    a = e + _offset(m, n, _SINGULAR).astype(e.dtype)
    u, _s, vt = np.linalg.svd(a)
    return np.conj(_np_mT(u)) @ a @ np.conj(_np_mT(vt))


@st.composite
def _svd_full_case(draw: Any, dtype: np.dtype) -> Case:
    batch, m, n = (
        draw(_batch_shapes()),
        draw(st.integers(1, 3)),
        draw(st.integers(1, 3)),
    )
    return (draw(arrays(dtype, batch + (m, n), TINY)),), {}


# --- complex variants ---------------------------------------------------------

# both parts of an entry move the eigenvalues and singular values
QUARTER_TINY = Domain(-0.0625, 0.0625)


def _slogdet_complex(e: Any, *, flip: bool) -> Any:
    sign, logabsdet = ops.slogdet(
        _shifted(e, _flip_diagonal(get_aval(e).shape[-1], flip))
    )
    parts = [sign, _as(logabsdet, sign)]
    axis = get_aval(sign).ndim
    return shape_ops.concatenate(
        [shape_ops.expand_dims(p, (axis,)) for p in parts], axis
    )


def _slogdet_complex_reference(e: np.ndarray, *, flip: bool) -> np.ndarray:
    d = _flip_diagonal(get_aval(e).shape[-1], flip).astype(e.dtype)
    sign, logabsdet = np.linalg.slogdet(e + d)
    return np.stack([sign, logabsdet.astype(e.dtype)], axis=-1)


def _svd_complex(e: Any, *, full_matrices: bool, compute_uv: bool) -> Any:
    m, n = get_aval(e).shape[-2:]
    a = _shifted(e, _offset(m, n, _SINGULAR))
    outs = ops.svd(a, full_matrices, compute_uv)
    if not compute_uv:
        return outs[0]
    u, s, vt = outs
    # each column of u (row of vt) alone, then the pair's joint phase
    pair = ew.mul(_first_row(u), _mT(_first_col(vt)))
    parts = [
        _row_of(_as(s, u)),
        ew.mul(u, _conj(_first_row(u))),
        _mT(ew.mul(vt, _conj(_first_col(vt)))),
        pair,
    ]
    return shape_ops.concatenate(parts, get_aval(s).ndim - 1)


def _svd_complex_reference(
    e: np.ndarray, *, full_matrices: bool, compute_uv: bool
) -> np.ndarray:
    m, n = get_aval(e).shape[-2:]
    a = e + _offset(m, n, _SINGULAR).astype(e.dtype)
    if not compute_uv:
        return np.linalg.svd(a, compute_uv=False)
    u, s, vt = np.linalg.svd(a, full_matrices=full_matrices)
    parts = [
        s[..., None, :].astype(e.dtype),
        u * np.conj(u[..., :1, :]),
        _np_mT(vt * np.conj(vt[..., :, :1])),
        u[..., :1, :] * _np_mT(vt[..., :, :1]),
    ]
    return np.concatenate(parts, axis=-2)


def _svd_complex_dtype(dtype: np.dtype, params: Any) -> np.dtype:
    return dtype if params["compute_uv"] else np.empty((), dtype).real.dtype


COMPLEX_CHANGES: dict[str, dict[str, Any]] = {
    # the real spec's reference already builds the Hermitian matrix
    "cholesky": {},
    "slogdet": {
        "fun": _slogdet_complex, "reference": _slogdet_complex_reference,
    },
    "eigh": {"cases": _eigh_case(QUARTER_TINY)},
    # LAPACK's R has a real diagonal, so the real spec's sign-free products
    # serve unchanged
    "qr": {},
    "svd": {
        "fun": _svd_complex, "reference": _svd_complex_reference,
        "cases": _svd_case(QUARTER_TINY), "out_dtype": _svd_complex_dtype,
    },
    # the real spec's `u^H a v` conjugates already
    "svd/full_matrices": {},
}  # fmt: skip


# --- the specs ----------------------------------------------------------------


def _square_errors(*params: Any) -> dict[str, tuple[AbstractCase, ...]]:
    kw = params[0] if params else {}
    return {
        "shape_errors": (
            AbstractCase((_aval((2, 3)),), kw),
            AbstractCase((_aval((3,)),), kw),
        ),
        "dtype_errors": (AbstractCase((_aval((2, 2), I32),), kw),),
    }


def linalg_specs() -> list[PrimitiveSpec]:
    solve_bad = {"transpose_a": False}
    tri_bad = {"lower": True, "transpose_a": False, "unit_diagonal": False}
    rhs_errors = lambda bad: (  # noqa: E731
        AbstractCase((_aval((2, 3)), _aval((2, 1))), bad),
        AbstractCase((_aval((3, 3)), _aval((2, 1))), bad),
        AbstractCase((_aval((2, 3, 3)), _aval((3, 3, 1))), bad),
    )
    return [
        PrimitiveSpec(
            "solve", ops.solve_p, _solve, _solve_reference, _solve_case,
            linear=True, rtol=TOLERANCE, shape_errors=rhs_errors(solve_bad),
            dtype_errors=(AbstractCase((_aval((2, 2)), _aval((2, 1), F32)), solve_bad),),
        ),
        PrimitiveSpec(
            "triangular_solve", ops.triangular_solve_p, _triangular_solve,
            _triangular_reference, lambda d: _solve_case(d, triangular=True),
            linear=True, rtol=TOLERANCE, shape_errors=rhs_errors(tri_bad),
            dtype_errors=(AbstractCase((_aval((2, 2), I32), _aval((2, 1), I32)), tri_bad),),
        ),
        PrimitiveSpec(
            "cholesky", ops.cholesky_p, _cholesky, _cholesky_reference,
            _square_case(SMALL), rtol=TOLERANCE, **_square_errors(),
        ),
        PrimitiveSpec(
            "slogdet", ops.slogdet_p, _slogdet, _slogdet_reference, _slogdet_case,
            rtol=TOLERANCE, **_square_errors(),
        ),
        PrimitiveSpec(
            "eigh", ops.eigh_p, _eigh, _eigh_reference, _eigh_case(TINY),
            rtol={F32: 1e-3, F64: 1e-9}, **_square_errors({"lower": True}),
        ),
        PrimitiveSpec(
            "qr", ops.qr_p, _qr, _qr_reference, _qr_case,
            rtol={F32: 1e-3, F64: 1e-9},
            shape_errors=(AbstractCase((_aval((3,)),), {"full_matrices": False}),),
            dtype_errors=(AbstractCase((_aval((3, 2), I32),), {"full_matrices": False}),),
        ),
        PrimitiveSpec(
            "svd", ops.svd_p, _svd, _svd_reference, _svd_case(),
            rtol={F32: 1e-3, F64: 1e-9},
            shape_errors=(
                AbstractCase((_aval((3,)),), {"full_matrices": False, "compute_uv": True}),
            ),
            dtype_errors=(
                AbstractCase((_aval((3, 2), I32),), {"full_matrices": False, "compute_uv": True}),
            ),
        ),
        # Full matrices: values only, as the extra vectors have no derivative.
        PrimitiveSpec(
            "svd/full_matrices", ops.svd_p, _svd_full, _svd_full_reference,
            _svd_full_case, order=0, rtol={F32: 1e-5, F64: 1e-12},
        ),
    ]  # fmt: skip
