"""Linear-algebra primitives on stacks of matrices: solve, triangular_solve,
cholesky, slogdet, eigh, qr and svd.

Every primitive acts on the last two axes and maps over the leading ones,
as `numpy.linalg` does; the operands of a two-operand primitive share their
leading (batch) shape, which the front-ends broadcast first. The
implementations call `numpy.linalg` (LAPACK); there is no numba lowering, so
a compiled program runs these equations through their implementation.

The jvp rules are written with primitives (`dot_general`, the two solves,
masks applied with `mul`), so the derivatives can be differentiated again,
transposed, batched and compiled. Only `solve` and `triangular_solve` are
linear (in their right-hand side); the other rules are linear in the
tangent through those two and `dot_general`, which is what reverse mode
needs. Stable formulas throughout: solves, never an explicit inverse, and
triangular solves for the Cholesky and QR factors.

`cholesky` and `eigh` read only the lower triangle of their operand, like
numpy; their derivatives are those of that function, so a tangent of the
upper triangle has no effect and a lower off-diagonal tangent counts for
both mirrored entries.

Complex matrices go through every primitive, with numpy's values; the
rules then use conjugate transposes (`_mH`) where the algebra has them,
and the transposes that reverse mode takes of the rules are the plain,
non-conjugating ones of docs/conventions.md. For complex operands
`cholesky` and `eigh` read the Hermitian matrix of the lower triangle, the
imaginary parts of its diagonal ignored (as LAPACK ignores them). The
factors that are unique only up to phases are differentiated in a fixed
gauge: `eigh` keeps `diag(V^H dV) = 0`; `svd` keeps `diag(V^H dV) = 0` and
puts the pair's phase change into `U`, `diag(U^H dU) = i Im(diag(U^H dA
V)) / s`; `qr` keeps the diagonal of `R` real, as LAPACK makes it. So only
phase-invariant functions of eigenvectors and singular vectors (`|v|^2`,
`V f(W) V^H`, `U diag(s) V^H`) have derivatives that mean anything.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad.backend import threaded_primitives
from funcgrad.core import Primitive, ShapedArray, get_aval
from funcgrad.errors import FuncgradTypeError, ShapeError
from funcgrad.primitives import _complex as cp
from funcgrad.primitives import _elementwise as ew
from funcgrad.primitives import _reductions as red
from funcgrad.primitives import _shape as shape_ops
from funcgrad.primitives._linalg import dot_general
from funcgrad.transforms import (
    Zero,
    add_tangents,
    batch_rules,
    instantiate,
    is_undefined,
    jvp_rules,
    transpose_rules,
)

# --- helpers for the rules ----------------------------------------------------


def _check_matrix(
    name: str, x: ShapedArray, square: bool = True, kinds: str = "f"
) -> None:
    if x.dtype.kind not in kinds:
        what = "floating-point or complex" if "c" in kinds else "real floating-point"
        raise FuncgradTypeError(
            f"`{name}` needs {what} matrices, got {x.str_short()}; convert "
            f"with `astype` first."
        )
    if x.ndim < 2 or (square and x.shape[-1] != x.shape[-2]):
        what = "square matrices" if square else "matrices"
        raise ShapeError(
            f"`{name}` needs {what} in the last two axes (shape (..., n, n)), "
            f"got {x.str_short()}."
        )


def _check_rhs(name: str, a: ShapedArray, b: ShapedArray) -> None:
    if b.dtype != a.dtype:
        raise FuncgradTypeError(
            f"`{name}` takes operands of one dtype, got {a.str_short()} and "
            f"{b.str_short()}."
        )
    if b.ndim != a.ndim or b.shape[:-2] != a.shape[:-2] or b.shape[-2] != a.shape[-1]:
        raise ShapeError(
            f"`{name}`: the right-hand side {b.str_short()} does not fit the "
            f"matrix {a.str_short()}: it needs shape (..., {a.shape[-1]}, k) "
            f"with the same leading axes {a.shape[:-2]}."
        )


def _mT(x: Any) -> Any:
    """Swap the last two axes."""
    ndim = get_aval(x).ndim
    return shape_ops.transpose(x, tuple(range(ndim - 2)) + (ndim - 1, ndim - 2))


def _const(value: float, like: Any) -> np.ndarray:
    return np.asarray(value, get_aval(like).dtype)


def _is_complex(x: Any) -> bool:
    return get_aval(x).dtype.kind == "c"


def _conj(x: Any) -> Any:
    """The complex conjugate; a real value itself (no equation)."""
    return cp.conj(x) if _is_complex(x) else x


def _mH(x: Any) -> Any:
    """The conjugate transpose of the last two axes (`_mT` for real `x`)."""
    return _conj(_mT(x))


def _real_part(x: Any) -> Any:
    """The real part, in the real dtype of `x`'s precision."""
    return cp.real(x) if _is_complex(x) else x


def _imaginary_part(x: Any) -> Any:
    """`i Im(x)`, in `x`'s complex dtype: `(x - conj(x)) / 2`."""
    return ew.mul(ew.sub(x, cp.conj(x)), _const(0.5, x))


def _like(x: Any, like: Any) -> Any:
    """`x` (real) converted to the dtype of `like` (complex or real)."""
    return ew.convert_element_type(x, get_aval(like).dtype)


def _mm(a: Any, b: Any) -> Any:
    """Matrix product over the last two axes; equal leading axes."""
    ndim = get_aval(a).ndim
    batch = tuple(range(ndim - 2))
    return dot_general(a, b, (((ndim - 1,), (ndim - 2,)), (batch, batch)))


def _mask(x: Any, k: int, lower: bool) -> Any:
    """`tril(x, k)` or `triu(x, k)` of the last two axes, by a constant mask."""
    n, m = get_aval(x).shape[-2:]
    ones = np.ones((n, m), get_aval(x).dtype)
    return ew.mul(x, np.tril(ones, k) if lower else np.triu(ones, k))


def _eye_like(x: Any) -> Any:
    shape = get_aval(x).shape
    eye = np.eye(shape[-1], dtype=get_aval(x).dtype)
    return shape_ops.broadcast_to(eye, shape)


def _diag_part(x: Any) -> Any:
    """The diagonal of the last two axes: (..., n, n) -> (..., n)."""
    n = get_aval(x).shape[-1]
    eye = np.eye(n, dtype=get_aval(x).dtype)
    return red.reduce_sum(ew.mul(x, eye), (get_aval(x).ndim - 1,))


def _diag_matrix(v: Any) -> Any:
    """(..., n) -> (..., n, n) with `v` on the diagonal."""
    n = get_aval(v).shape[-1]
    row = shape_ops.expand_dims(v, (get_aval(v).ndim - 1,))
    return ew.mul(row, np.eye(n, dtype=get_aval(v).dtype))


def _row(v: Any) -> Any:
    """(..., n) -> (..., 1, n): scales columns when multiplied."""
    return shape_ops.expand_dims(v, (get_aval(v).ndim - 1,))


def _col(v: Any) -> Any:
    """(..., n) -> (..., n, 1): scales rows when multiplied."""
    return shape_ops.expand_dims(v, (get_aval(v).ndim,))


def _safe_reciprocal(x: Any) -> Any:
    """1 / x, and 0 where x == 0 (differentiable: no inf is ever formed)."""
    zero, one = np.asarray(0, get_aval(x).dtype), np.asarray(1, get_aval(x).dtype)
    is_zero = ew.eq(x, zero)
    return ew.select(is_zero, zero, ew.div(one, ew.select(is_zero, one, x)))


def _gap_reciprocals(w: Any) -> Any:
    """F[..., i, j] = 1 / (w_j - w_i) off the diagonal, 0 on it, and NaN
    where two different eigenvalues (singular values) are equal: there the
    eigenvector derivative does not exist. Rules multiply it into their
    tangent with `mul_absorbing`, so a tangent (or cotangent) that is zero
    there stays zero: functions of the eigenvalues alone keep exact first
    derivatives, and a direction that splits the tie without rotating the
    tied eigenvectors keeps exact eigenvector derivatives; anything else is
    NaN rather than a silently wrong finite number (docs/conventions.md)."""
    gaps = ew.sub(_row(w), _col(w))
    dtype = get_aval(gaps).dtype
    n = get_aval(gaps).shape[-1]
    off_diagonal = ~np.eye(n, dtype=bool)
    zero = np.asarray(0, dtype)
    tie = ew.and_p.bind(ew.eq(gaps, zero), off_diagonal)
    reciprocal = _safe_reciprocal(gaps)
    return ew.select(tie, np.asarray(np.nan, dtype), reciprocal)


def _reflect_lower(t: Any) -> Any:
    """The symmetric (Hermitian) matrix that the lower triangle of `t` stands
    for; for complex `t`, `T + T^H` with `T` the strict lower triangle plus
    half the diagonal, which keeps only the diagonal's real part."""
    if not _is_complex(t):
        return ew.add(_mask(t, 0, True), _mT(_mask(t, -1, True)))
    n = get_aval(t).shape[-1]
    weights = np.tril(np.ones((n, n)), -1) + 0.5 * np.eye(n)
    half = ew.mul(t, weights.astype(get_aval(t).dtype))
    return ew.add(half, _mH(half))


def _to_front(vals: Any, dims: Any, size: int) -> list[Any]:
    return [shape_ops.batch_materialize(v, d, size) for v, d in zip(vals, dims)]


def _one_operand_batch(primitive: Primitive) -> None:
    def rule(size: int, vals: Any, dims: Any, **params: Any) -> tuple[Any, Any]:
        (x,) = _to_front(vals, dims, size)
        out = primitive.bind(x, **params)
        if primitive.multiple_results:
            return out, [0] * len(out)
        return out, 0

    batch_rules[primitive] = rule


def _two_operand_batch(primitive: Primitive) -> None:
    def rule(size: int, vals: Any, dims: Any, **params: Any) -> tuple[Any, int]:
        return primitive.bind(*_to_front(vals, dims, size), **params), 0

    batch_rules[primitive] = rule


# --- solve --------------------------------------------------------------------

solve_p = Primitive("solve")


def solve(a: Any, b: Any, transpose_a: bool = False) -> Any:
    """`op(a) x = b` for x, `op(a)` being `a` or its transpose."""
    return solve_p.bind(a, b, transpose_a=bool(transpose_a))


@solve_p.def_impl
def solve_impl(a: Any, b: Any, *, transpose_a: bool) -> Any:
    a = np.swapaxes(a, -1, -2) if transpose_a else a
    return np.linalg.solve(a, b)


@solve_p.def_abstract_eval
def solve_abstract_eval(
    a: ShapedArray, b: ShapedArray, *, transpose_a: bool
) -> ShapedArray:
    # complex too: the solves are holomorphic, and their transposes (plain,
    # not conjugate, transposes) are those of JAX's convention
    _check_matrix("solve", a, kinds="fc")
    _check_rhs("solve", a, b)
    return b


def solve_jvp(primals: Any, tangents: Any, *, transpose_a: bool) -> Any:
    (a, b), (a_dot, b_dot) = primals, tangents
    x = solve(a, b, transpose_a)
    if type(a_dot) is Zero and type(b_dot) is Zero:
        return x, Zero(get_aval(x))
    rhs: Any = b_dot
    if type(a_dot) is not Zero:
        op_a_dot = _mT(a_dot) if transpose_a else a_dot
        rhs = add_tangents(rhs, ew.neg(_mm(op_a_dot, x)))
    return x, solve(a, instantiate(rhs), transpose_a)


def solve_transpose(ct: Any, a: Any, b: Any, *, transpose_a: bool) -> list[Any]:
    assert not is_undefined(a), "solve is linear in its right-hand side only"
    return [None, solve(a, instantiate(ct), not transpose_a)]


jvp_rules[solve_p] = solve_jvp
transpose_rules[solve_p] = solve_transpose
_two_operand_batch(solve_p)

# --- triangular_solve ---------------------------------------------------------

triangular_solve_p = Primitive("triangular_solve")


def triangular_solve(
    a: Any,
    b: Any,
    lower: bool = True,
    transpose_a: bool = False,
    unit_diagonal: bool = False,
) -> Any:
    """`op(T) x = b`, T the lower (or upper) triangle of `a`, with ones on
    its diagonal if `unit_diagonal`; the other entries of `a` are not read."""
    return triangular_solve_p.bind(
        a, b, lower=bool(lower), transpose_a=bool(transpose_a),
        unit_diagonal=bool(unit_diagonal),
    )  # fmt: skip


def _triangle(a: np.ndarray, lower: bool, unit_diagonal: bool) -> np.ndarray:
    t = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        n = a.shape[-1]
        t = t.copy()
        t[..., np.arange(n), np.arange(n)] = 1
    return t


@triangular_solve_p.def_impl
def triangular_solve_impl(
    a: Any, b: Any, *, lower: bool, transpose_a: bool, unit_diagonal: bool
) -> Any:
    # numpy has no triangular solver; LAPACK's general solve of the exact
    # triangle is backward stable and raises LinAlgError on a zero pivot.
    t = _triangle(np.asarray(a), lower, unit_diagonal)
    return np.linalg.solve(np.swapaxes(t, -1, -2) if transpose_a else t, b)


@triangular_solve_p.def_abstract_eval
def triangular_solve_abstract_eval(
    a: ShapedArray, b: ShapedArray, **params: Any
) -> ShapedArray:
    _check_matrix("triangular_solve", a, kinds="fc")
    _check_rhs("triangular_solve", a, b)
    return b


def triangular_solve_jvp(primals: Any, tangents: Any, **params: Any) -> Any:
    (a, b), (a_dot, b_dot) = primals, tangents
    x = triangular_solve_p.bind(a, b, **params)
    if type(a_dot) is Zero and type(b_dot) is Zero:
        return x, Zero(get_aval(x))
    rhs: Any = b_dot
    if type(a_dot) is not Zero:
        lower = params["lower"]
        k = (-1 if lower else 1) if params["unit_diagonal"] else 0
        t_dot = _mask(a_dot, k, lower)
        op_t_dot = _mT(t_dot) if params["transpose_a"] else t_dot
        rhs = add_tangents(rhs, ew.neg(_mm(op_t_dot, x)))
    return x, triangular_solve_p.bind(a, instantiate(rhs), **params)


def triangular_solve_transpose(
    ct: Any, a: Any, b: Any, *, lower: bool, transpose_a: bool, unit_diagonal: bool
) -> list[Any]:
    assert not is_undefined(a), "triangular_solve is linear in b only"
    ct_b = triangular_solve(a, instantiate(ct), lower, not transpose_a, unit_diagonal)
    return [None, ct_b]


jvp_rules[triangular_solve_p] = triangular_solve_jvp
transpose_rules[triangular_solve_p] = triangular_solve_transpose
_two_operand_batch(triangular_solve_p)

# --- cholesky -----------------------------------------------------------------

cholesky_p = Primitive("cholesky")


def cholesky(a: Any) -> Any:
    """The lower Cholesky factor L of `a = L L^H` (lower triangle read)."""
    return cholesky_p.bind(a)


@cholesky_p.def_impl
def cholesky_impl(a: Any) -> Any:
    return np.linalg.cholesky(a)


@cholesky_p.def_abstract_eval
def cholesky_abstract_eval(a: ShapedArray) -> ShapedArray:
    _check_matrix("cholesky", a, kinds="fc")
    return a


def cholesky_jvp(primals: Any, tangents: Any) -> Any:
    # dA = dL L^H + L dL^H, so L^-1 dA L^-H = Phi + Phi^H with Phi = L^-1 dL
    # lower triangular: Phi is the lower part of the left side, half diagonal
    # (real: L's diagonal is real and positive).
    (a,), (a_dot,) = primals, tangents
    chol = cholesky(a)
    sym = _reflect_lower(instantiate(a_dot))
    left = triangular_solve(chol, sym, lower=True)
    both = _mH(triangular_solve(chol, _mH(left), lower=True))
    half_diagonal = ew.mul(_diag_matrix(_diag_part(both)), _const(0.5, a))
    phi = ew.sub(_mask(both, 0, True), half_diagonal)
    return chol, _mm(chol, phi)


jvp_rules[cholesky_p] = cholesky_jvp
_one_operand_batch(cholesky_p)

# --- slogdet ------------------------------------------------------------------

slogdet_p = Primitive("slogdet", multiple_results=True)


def slogdet(a: Any) -> tuple[Any, Any]:
    """The sign and the log of the absolute value of the determinant."""
    sign, logabsdet = slogdet_p.bind(a)
    return sign, logabsdet


@slogdet_p.def_impl
def slogdet_impl(a: Any) -> list[Any]:
    sign, logabsdet = np.linalg.slogdet(a)
    return [np.asarray(sign), np.asarray(logabsdet)]


@slogdet_p.def_abstract_eval
def slogdet_abstract_eval(a: ShapedArray) -> list[ShapedArray]:
    _check_matrix("slogdet", a, kinds="fc")
    sign = a.update(shape=a.shape[:-2])
    return [sign, sign.update(dtype=cp.real_dtype(a.dtype))]


def slogdet_jvp(primals: Any, tangents: Any) -> Any:
    # d log det A = t = trace(A^-1 dA): log|det A| moves by Re(t) and the
    # sign det A / |det A| by i Im(t) sign; a real sign is locally constant.
    (a,), (a_dot,) = primals, tangents
    sign, logabsdet = slogdet(a)
    t = _diag_part_sum(solve(a, instantiate(a_dot)))
    if not _is_complex(a):
        return [sign, logabsdet], [Zero(get_aval(sign)), t]
    sign_dot = ew.mul(sign, _imaginary_part(t))
    return [sign, logabsdet], [sign_dot, cp.real(t)]


def _diag_part_sum(x: Any) -> Any:
    return red.reduce_sum(_diag_part(x), (get_aval(x).ndim - 2,))


jvp_rules[slogdet_p] = slogdet_jvp
_one_operand_batch(slogdet_p)

# --- eigh ---------------------------------------------------------------------

eigh_p = Primitive("eigh", multiple_results=True)


def eigh(a: Any, lower: bool = True) -> tuple[Any, Any]:
    """Eigenvalues (ascending, real) and eigenvectors (columns) of a
    symmetric (Hermitian) matrix given by its lower (or upper) triangle."""
    w, v = eigh_p.bind(a, lower=bool(lower))
    return w, v


@eigh_p.def_impl
def eigh_impl(a: Any, *, lower: bool) -> list[Any]:
    w, v = np.linalg.eigh(a, "L" if lower else "U")
    return [w, v]


@eigh_p.def_abstract_eval
def eigh_abstract_eval(a: ShapedArray, *, lower: bool) -> list[ShapedArray]:
    _check_matrix("eigh", a, kinds="fc")
    w = a.update(shape=a.shape[:-1], dtype=cp.real_dtype(a.dtype))
    return [w, a]


def eigh_jvp(primals: Any, tangents: Any, *, lower: bool) -> Any:
    # With A V = V W and dV = V C: V^H dA V = C W - W C + dW, so dW is its
    # (real) diagonal and C_ij = (V^H dA V)_ij / (w_j - w_i) off the
    # diagonal. C is antihermitian; its diagonal, the eigenvectors' phase
    # change, is a free choice: 0.
    (a,), (a_dot,) = primals, tangents
    w, v = eigh(a, lower)
    a_dot = instantiate(a_dot)
    sym = _reflect_lower(a_dot if lower else _mH(a_dot))
    rotated = _mm(_mH(v), _mm(sym, v))
    w_dot = _real_part(_diag_part(rotated))
    gaps = _like(_gap_reciprocals(w), v)
    v_dot = _mm(v, ew.mul_absorbing(rotated, gaps))
    return [w, v], [w_dot, v_dot]


jvp_rules[eigh_p] = eigh_jvp
_one_operand_batch(eigh_p)

# --- qr -----------------------------------------------------------------------

qr_p = Primitive("qr", multiple_results=True)


def qr(a: Any, full_matrices: bool = False) -> tuple[Any, Any]:
    """Q with orthonormal columns and upper-triangular R, `a = Q R` (for
    complex `a`, LAPACK's R has a real diagonal)."""
    q, r = qr_p.bind(a, full_matrices=bool(full_matrices))
    return q, r


@qr_p.def_impl
def qr_impl(a: Any, *, full_matrices: bool) -> list[Any]:
    q, r = np.linalg.qr(a, mode="complete" if full_matrices else "reduced")
    return [q, r]


@qr_p.def_abstract_eval
def qr_abstract_eval(a: ShapedArray, *, full_matrices: bool) -> list[ShapedArray]:
    _check_matrix("qr", a, square=False, kinds="fc")
    m, n = a.shape[-2:]
    k = m if full_matrices else min(m, n)
    batch = a.shape[:-2]
    return [a.update(shape=batch + (m, k)), a.update(shape=batch + (k, n))]


def qr_jvp(primals: Any, tangents: Any, *, full_matrices: bool) -> Any:
    # With C = Q^H dA R^-1 = Q^H dQ + dR R^-1: the first term is
    # antihermitian, the second upper triangular, which splits C; R's
    # diagonal stays real, so the imaginary part of C's diagonal is Q's.
    (a,), (a_dot,) = primals, tangents
    m, n = get_aval(a).shape[-2:]
    if m < n or (full_matrices and m > n):
        raise NotImplementedError(
            f"`qr` jvp: the derivative of the QR factors of a {m}x{n} matrix "
            f"is not unique ({'wide input' if m < n else 'complete mode'}); "
            f"funcgrad differentiates reduced QR of matrices with m >= n only."
        )
    q, r = qr(a, full_matrices)
    # X = dA R^-1, from R^T X^T = dA^T.
    x = _mT(triangular_solve(r, _mT(instantiate(a_dot)), lower=False, transpose_a=True))
    c = _mm(_mH(q), x)
    strict = _mask(c, -1, True)
    omega = ew.sub(strict, _mH(strict))
    if _is_complex(c):
        omega = ew.add(omega, _imaginary_part(_diag_matrix(_diag_part(c))))
    r_dot = _mm(ew.sub(c, omega), r)
    q_dot = ew.add(_mm(q, omega), ew.sub(x, _mm(q, c)))
    return [q, r], [q_dot, r_dot]


jvp_rules[qr_p] = qr_jvp
_one_operand_batch(qr_p)

# --- svd ----------------------------------------------------------------------

svd_p = Primitive("svd", multiple_results=True)


def svd(a: Any, full_matrices: bool = False, compute_uv: bool = True) -> list[Any]:
    """`[u, s, vt]` with `a = u diag(s) vt` (or `[s]` without `compute_uv`);
    singular values real and descending (`vt` is `V^H` for complex `a`)."""
    return svd_p.bind(a, full_matrices=bool(full_matrices), compute_uv=bool(compute_uv))


@svd_p.def_impl
def svd_impl(a: Any, *, full_matrices: bool, compute_uv: bool) -> list[Any]:
    if not compute_uv:
        return [np.linalg.svd(a, compute_uv=False)]
    u, s, vt = np.linalg.svd(a, full_matrices=full_matrices)
    return [u, s, vt]


@svd_p.def_abstract_eval
def svd_abstract_eval(
    a: ShapedArray, *, full_matrices: bool, compute_uv: bool
) -> list[ShapedArray]:
    _check_matrix("svd", a, square=False, kinds="fc")
    m, n = a.shape[-2:]
    k, batch = min(m, n), a.shape[:-2]
    s = a.update(shape=batch + (k,), dtype=cp.real_dtype(a.dtype))
    if not compute_uv:
        return [s]
    mu, nv = (m, n) if full_matrices else (k, k)
    return [a.update(shape=batch + (m, mu)), s, a.update(shape=batch + (nv, n))]


def svd_jvp(
    primals: Any, tangents: Any, *, full_matrices: bool, compute_uv: bool
) -> Any:
    # With P = U^H dA V: ds = Re(diag(P)), U^H dU = F o (P S + S P^H) and
    # V^H dV = F o (S P + P^H S) off the diagonal, F_ij = 1 / (s_j^2 -
    # s_i^2); the parts of dU and dV outside the spans of U and V come from
    # the projections. For complex `a` the diagonals are a joint phase
    # change of each pair, fixed only in their difference i Im(P_ii) / s_i:
    # funcgrad gives it all to U, leaving diag(V^H dV) = 0.
    (a,), (a_dot,) = primals, tangents
    m, n = get_aval(a).shape[-2:]
    if compute_uv and full_matrices and m != n:
        raise NotImplementedError(
            f"`svd` jvp: with `full_matrices=True` the extra singular vectors "
            f"of a {m}x{n} matrix are not unique, so they have no derivative; "
            f"use `full_matrices=False`."
        )
    u, s, vt = svd(a, False, True)
    a_dot = instantiate(a_dot)
    v = _mH(vt)
    dav = _mm(a_dot, v)
    p = _mm(_mH(u), dav)
    s_dot = _real_part(_diag_part(p))
    if not compute_uv:
        return [s], [s_dot]
    f = _like(_gap_reciprocals(ew.mul(s, s)), a)
    s_c = _like(s, a)
    ps, sp = ew.mul(p, _row(s_c)), ew.mul(_col(s_c), p)
    u_dot = _mm(u, ew.mul_absorbing(ew.add(ps, _mH(ps)), f))
    v_dot = _mm(v, ew.mul_absorbing(ew.add(sp, _mH(sp)), f))
    s_inv = _row(_like(_safe_reciprocal(s), a))
    if _is_complex(a):
        phase = ew.mul(_row(_imaginary_part(_diag_part(p))), s_inv)
        u_dot = ew.add(u_dot, ew.mul(u, phase))
    if m > n:
        u_dot = ew.add(u_dot, ew.mul(ew.sub(dav, _mm(u, p)), s_inv))
    if n > m:
        dau = _mm(_mH(a_dot), u)
        v_dot = ew.add(v_dot, ew.mul(ew.sub(dau, _mm(v, _mH(p))), s_inv))
    return [u, s, vt], [u_dot, s_dot, _mH(v_dot)]


jvp_rules[svd_p] = svd_jvp
_one_operand_batch(svd_p)

# LAPACK, through numpy.linalg
threaded_primitives.update(
    {solve_p, triangular_solve_p, cholesky_p, slogdet_p, eigh_p, qr_p, svd_p}
)
