"""The table of specs for the public functions of `funcgrad.numpy.linalg`,
`funcgrad.scipy.linalg`, `funcgrad.scipy.special` and `funcgrad.nn`,
which drives `tests/test_namespaces.py`.

Each spec is one use of a public function, written `fn(xp, *arrays)`:
`xp` is `ORACLE` (numpy, `numpy.linalg`, `scipy.linalg`, `scipy.special`
and `NN_REFERENCE`, the activations written out in numpy) or `OURS`
(funcgrad's modules under the same attribute names). Its input generator
draws float64 arrays (cast to each dtype of the spec) with the structure
the function needs: well-conditioned matrices for the solves, symmetric
positive definite ones for Cholesky, eigenvalues and singular values at
least 0.5 apart for `eigh` and `svd`, positive or bounded values for the
special functions; where a function reads only one triangle of a matrix
the other holds unrelated values, which must change nothing.

The eigenvectors and singular vectors are unique only up to sign, so the
specs compare them with each column multiplied by the sign of its first
entry (and `vh`'s rows by the same signs as `u`'s columns): a function of
the decomposition that is unique, computed alike on both sides, whose
derivatives exist where the eigenvalues (singular values) are distinct.

`order` is the derivative order checked in float64 (0 where there is no
derivative: integer results, or a factor whose derivative is not unique,
which raises); `note` says what is checked for aliases and for names
without derivatives. Known bugs are pinned by check: `bugs` maps "values",
"derivatives", "second", "vmap" or "jit" to the reason, a strict
expected failure.
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from collections.abc import Callable
from functools import partial
from types import SimpleNamespace
from typing import Any

import numpy as np
import scipy.linalg
import scipy.special

import funcgrad.nn
import funcgrad.numpy as fnp
import funcgrad.numpy.fft
import funcgrad.numpy.linalg
import funcgrad.scipy.linalg
import funcgrad.scipy.special

FLOATS = (np.float32, np.float64)

# --- the two sides ------------------------------------------------------------


def _gelu(x: Any, approximate: bool = True) -> Any:
    if approximate:
        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
        return 0.5 * x * (1 + np.tanh(inner))
    return x * scipy.special.ndtr(x)


def _one_hot(x: Any, num_classes: int, *, dtype: Any = np.float64, axis: int = -1):
    hits = (x[..., None] == np.arange(num_classes)).astype(dtype)
    return np.moveaxis(hits, -1, axis)


def _silu(x: Any) -> Any:
    return x * scipy.special.expit(x)


# `funcgrad.nn`'s functions by their textbook definitions (and scipy's
# softmax along the last axis, JAX's default).
NN_REFERENCE = SimpleNamespace(
    relu=lambda x: np.maximum(x, 0),
    relu6=lambda x: np.minimum(np.maximum(x, 0), 6),
    leaky_relu=lambda x, negative_slope=0.01: np.where(x >= 0, x, negative_slope * x),
    hard_tanh=lambda x: np.clip(x, -1, 1),
    elu=lambda x, alpha=1.0: np.where(x > 0, x, alpha * np.expm1(x)),
    softplus=lambda x: np.logaddexp(x, 0),
    log_sigmoid=lambda x: -np.logaddexp(0, -x),
    sigmoid=scipy.special.expit,
    silu=_silu,
    swish=_silu,
    gelu=_gelu,
    softmax=lambda x, axis=-1: scipy.special.softmax(x, axis=axis),
    log_softmax=lambda x, axis=-1: scipy.special.log_softmax(x, axis=axis),
    logsumexp=scipy.special.logsumexp,
    one_hot=_one_hot,
)

ORACLE = SimpleNamespace(
    np=np,
    fft=np.fft,
    linalg=np.linalg,
    scipy_linalg=scipy.linalg,
    special=scipy.special,
    nn=NN_REFERENCE,
)
OURS = SimpleNamespace(
    np=fnp,
    fft=funcgrad.numpy.fft,
    linalg=funcgrad.numpy.linalg,
    scipy_linalg=funcgrad.scipy.linalg,
    special=funcgrad.scipy.special,
    nn=funcgrad.nn,
)

# The namespaces whose every public function needs a spec, by the
# attribute of `ORACLE` and `OURS` that holds them.
NAMESPACES = {
    "numpy.fft": funcgrad.numpy.fft,
    "numpy.linalg": funcgrad.numpy.linalg,
    "scipy.linalg": funcgrad.scipy.linalg,
    "scipy.special": funcgrad.scipy.special,
    "nn": funcgrad.nn,
}


# --- the table ----------------------------------------------------------------


@dataclasses.dataclass
class Spec:
    """`fn(xp, *arrays)`, each array drawn by one of `makers` (float64,
    then cast to each of `dtypes`)."""

    namespace: str  # a key of NAMESPACES
    name: str  # the public function it covers
    label: str
    fn: Callable[..., Any]
    makers: tuple  # of functions from a numpy Generator to an array
    dtypes: tuple = FLOATS
    order: int = 2  # derivatives checked in float64, to this order
    tol: dict = dataclasses.field(default_factory=dict)  # dtype name -> tolerance
    # dtype name -> the dtype funcgrad gives where it deliberately differs
    out_dtypes: dict = dataclasses.field(default_factory=dict)
    jvp: bool = True  # whether the values are also checked through `jvp`
    note: str = ""
    bugs: dict = dataclasses.field(default_factory=dict)  # check -> reason

    def args(self, dtype: Any, draw: int = 0) -> tuple:
        seed = zlib.crc32(f"{self.namespace}.{self.label}{draw}".encode())
        rng = np.random.default_rng(seed)
        arrays = [make(rng) for make in self.makers]
        return tuple(a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays)


SPECS: list[Spec] = []


def spec(
    namespace: str, name: str, label: str, fn: Callable, *makers: Callable, **kw: Any
) -> None:
    """A spec of `namespace.name`: `fn(xp, *arrays)`, each array drawn by
    one of `makers`."""
    assert namespace in NAMESPACES, f"unknown namespace {namespace}"
    SPECS.append(Spec(namespace, name, f"{name}-{label}", fn, makers, **kw))


# --- input generators: each maps a generator to one array -----------------------


def normal(*shape: int, scale: float = 1.0) -> Callable:
    return lambda rng: scale * rng.standard_normal(shape)


def uniform(low: float, high: float, *shape: int) -> Callable:
    return lambda rng: rng.uniform(low, high, shape)


def away_from_zero(*shape: int) -> Callable:
    """Magnitudes in [0.5, 2], either sign: for the norms of negative and
    fractional orders, whose derivatives grow quickly near 0."""
    return lambda rng: rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)


def with_zeros(make: Callable) -> Callable:
    """`make`'s array with every third entry exactly 0."""

    def draw(rng: np.random.Generator) -> np.ndarray:
        x = make(rng)
        x.reshape(-1)[::3] = 0.0
        return x

    return draw


def labels(*shape: int, num_classes: int) -> Callable:
    """Integer labels, including -1 and `num_classes` (outside the range)."""
    return lambda rng: rng.integers(-1, num_classes + 1, shape)


def _orthogonal(rng: np.random.Generator, batch: tuple, n: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((*batch, n, n)))
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


def _apart(rng: np.random.Generator, batch: tuple, k: int, top: float) -> np.ndarray:
    """`k` values descending from about `top`, at least 0.5 apart."""
    steps = 0.75 * np.arange(k) - rng.uniform(0.0, 0.25, (*batch, k))
    return top - steps


def well_conditioned(*shape: int) -> Callable:
    """`u diag(s) v^T` with `s` in [1, 2]: square or rectangular."""

    def draw(rng: np.random.Generator) -> np.ndarray:
        *batch, m, n = shape
        k = min(m, n)
        u = _orthogonal(rng, tuple(batch), m)[..., :k]
        v = _orthogonal(rng, tuple(batch), n)[..., :k]
        s = rng.uniform(1.0, 2.0, (*batch, k))
        return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)

    return draw


def singular_values_apart(*shape: int) -> Callable:
    """`u diag(s) v^T` with `s` at least 0.5 apart, the smallest above 1."""

    def draw(rng: np.random.Generator) -> np.ndarray:
        *batch, m, n = shape
        k = min(m, n)
        u = _orthogonal(rng, tuple(batch), m)[..., :k]
        v = _orthogonal(rng, tuple(batch), n)[..., :k]
        s = _apart(rng, tuple(batch), k, 1.25 + 0.75 * k)
        return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)

    return draw


def spd(*shape: int, junk: str = "") -> Callable:
    """Symmetric positive definite, eigenvalues at least 0.5 apart (from
    about 1 up). With `junk` "upper" or "lower", that strict triangle is
    replaced by unrelated values, for functions that read the other."""

    def draw(rng: np.random.Generator) -> np.ndarray:
        *batch, n, _ = shape
        q = _orthogonal(rng, tuple(batch), n)
        w = _apart(rng, tuple(batch), n, 0.75 + 0.75 * n)
        a = (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)
        return _with_junk(a, junk, rng)

    return draw


def _with_junk(a: np.ndarray, junk: str, rng: np.random.Generator) -> np.ndarray:
    if not junk:
        return a
    n = a.shape[-1]
    strict = np.triu(np.ones((n, n), bool), 1)
    if junk == "lower":
        strict = strict.T
    return np.where(strict, rng.standard_normal(a.shape), a)


def triangular(*shape: int, lower: bool, junk: bool = True) -> Callable:
    """A well-conditioned triangular matrix (diagonal in [1, 2]), with
    unrelated values in the other strict triangle unless `junk` is off."""

    def draw(rng: np.random.Generator) -> np.ndarray:
        *batch, n, _ = shape
        t = 0.3 * rng.standard_normal(shape)
        t = np.tril(t, -1) if lower else np.triu(t, 1)
        t = t + np.eye(n) * rng.uniform(1.0, 2.0, (*batch, 1, n))
        return _with_junk(t, ("upper" if lower else "lower") * junk, rng)

    return draw


def cholesky_factor(*shape: int, lower: bool) -> Callable:
    """The Cholesky factor of `spd(*shape)`, unrelated values in the other
    strict triangle (`cho_solve` reads only the factor's)."""
    make = spd(*shape)

    def draw(rng: np.random.Generator) -> np.ndarray:
        c = np.linalg.cholesky(make(rng))
        c = c if lower else np.swapaxes(c, -1, -2)
        return _with_junk(c, "upper" if lower else "lower", rng)

    return draw


def rank_deficient(*shape: int, rank: int) -> Callable:
    def draw(rng: np.random.Generator) -> np.ndarray:
        *batch, m, n = shape
        left = rng.standard_normal((*batch, m, rank))
        return left @ rng.standard_normal((*batch, rank, n))

    return draw


# --- sign-free forms of the factorizations ------------------------------------


def _column_signs(xp: Any, m: Any) -> Any:
    """The sign of each column's first entry, shape (..., 1, k)."""
    return xp.np.sign(m[..., :1, :])


def _mT(xp: Any, m: Any) -> Any:
    return xp.np.swapaxes(m, -1, -2)


def unique_eigh(xp: Any, a: Any, uplo: str = "L") -> tuple:
    w, v = xp.linalg.eigh(a, uplo)
    return w, v * _column_signs(xp, v)


def unique_svd(xp: Any, a: Any, full_matrices: bool = True) -> tuple:
    u, s, vh = xp.linalg.svd(a, full_matrices=full_matrices)
    signs = _column_signs(xp, u)
    k = vh.shape[-2]
    return u * signs, s, vh * _mT(xp, signs[..., :k])


def unique_qr(xp: Any, a: Any, mode: str = "reduced") -> tuple:
    q, r = xp.linalg.qr(a, mode)
    signs = _column_signs(xp, q)
    return q * signs, r * _mT(xp, signs)


def unique_r(xp: Any, a: Any) -> Any:
    r = xp.linalg.qr(a, "r")
    return r * xp.np.sign(xp.np.diagonal(r, axis1=-2, axis2=-1))[..., :, None]


@dataclasses.dataclass(frozen=True)
class Call:
    """`xp.<module>.<name>(*before, *arrays, *after, **kw)`, on either side."""

    module: str  # an attribute of ORACLE and OURS
    name: str
    after: tuple = ()
    before: tuple = ()
    kw: dict = dataclasses.field(default_factory=dict)

    def __call__(self, xp: Any, *arrays: Any) -> Any:
        fn = getattr(getattr(xp, self.module), self.name)
        return fn(*self.before, *arrays, *self.after, **self.kw)


def la(name: str, *after: Any, **kw: Any) -> Call:
    return Call("linalg", name, after, kw=kw)


def sla(name: str, **kw: Any) -> Call:
    return Call("scipy_linalg", name, kw=kw)


def sp(name: str, *before: Any, **kw: Any) -> Call:
    return Call("special", name, before=before, kw=kw)


def nn(name: str, *after: Any, **kw: Any) -> Call:
    return Call("nn", name, after, kw=kw)


# --- funcgrad.numpy.linalg ------------------------------------------------------

LA = "numpy.linalg"
_VECTORS = "eigenvalues, and eigenvectors signed by their first entries"
_FACTORS = "the columns of q (u) signed by their first entries, r's (vh's) rows alike"
_NO_JVP = (
    "values only: the extra columns (or a wide matrix's factors) have no "
    "unique derivative, and the jvp raises NotImplementedError by design "
    "(test_linalg.py pins the message)"
)
_LSTSQ = "x, residuals and s (the rank: lstsq-rank)"
_RANK = "an integer without derivative: values, vmap and jit"
_CONDITIONED = well_conditioned(2, 3, 3)
_APART = singular_values_apart(2, 3, 3)
_X = normal(2, 3, 4)
_VECTOR_ORDS = (None, 2, 1, np.inf, -np.inf, 0, 3, 0.5, -1)
_MATRIX_ORDS = (None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf)


def _lstsq(xp: Any, a: Any, b: Any) -> tuple:
    x, residuals, _, s = xp.linalg.lstsq(a, b)
    return x, residuals, s


def _norms(xp: Any, x: Any) -> tuple:
    vectors = [xp.linalg.norm(x, o, axis=1) for o in _VECTOR_ORDS]
    return (*vectors, xp.linalg.norm(x[0, 0], 3))


def _matrix_norms(xp: Any, x: Any) -> tuple:
    return tuple(xp.linalg.norm(x, o, axis=(2, 0), keepdims=True) for o in _MATRIX_ORDS)


def _vector_norms(xp: Any, x: Any) -> tuple:
    return tuple(
        xp.linalg.vector_norm(x, axis=(0, 2), keepdims=True, ord=o)
        for o in (2, 1, np.inf, 3)
    )


def _matrix_norm_orders(xp: Any, x: Any) -> tuple:
    return tuple(xp.linalg.matrix_norm(x, ord=o) for o in ("fro", "nuc", 2, -np.inf))


spec(LA, "inv", "stack", la("inv"), _CONDITIONED)
spec(LA, "solve", "matrix", la("solve"), _CONDITIONED, normal(2, 3, 2))
spec(LA, "solve", "vector", la("solve"), well_conditioned(3, 3), normal(3))
spec(LA, "solve", "broadcast", la("solve"), _CONDITIONED, normal(3, 2))
spec(LA, "det", "stack", la("det"), _CONDITIONED)
spec(LA, "slogdet", "stack", la("slogdet"), _CONDITIONED, note="sign: derivative 0")
spec(LA, "cholesky", "lower", la("cholesky"), spd(2, 3, 3, junk="upper"))
spec(LA, "cholesky", "upper", la("cholesky", upper=True), spd(2, 3, 3, junk="lower"))
spec(LA, "eigh", "lower", unique_eigh, spd(2, 3, 3, junk="upper"), note=_VECTORS)
spec(
    LA,
    "eigh",
    "upper",
    partial(unique_eigh, uplo="U"),
    spd(3, 3, junk="lower"),
    note=_VECTORS,
)
spec(LA, "eigvalsh", "lower", la("eigvalsh"), spd(2, 3, 3, junk="upper"))
spec(LA, "qr", "reduced", unique_qr, well_conditioned(2, 4, 3), note=_FACTORS)
spec(LA, "qr", "r", unique_r, well_conditioned(2, 4, 3), note="r's rows signed")
for _label, _shape, _mode in [
    ("complete", (4, 3), "complete"),
    ("wide", (3, 4), "reduced"),
]:
    spec(
        LA,
        "qr",
        _label,
        partial(unique_qr, mode=_mode),
        well_conditioned(*_shape),
        order=0,
        jvp=False,
        note=_NO_JVP,
    )
spec(
    LA,
    "svd",
    "reduced",
    partial(unique_svd, full_matrices=False),
    singular_values_apart(2, 4, 3),
    note=_FACTORS,
)
spec(LA, "svd", "square", unique_svd, singular_values_apart(3, 3), note=_FACTORS)
spec(
    LA,
    "svd",
    "full",
    unique_svd,
    singular_values_apart(4, 3),
    order=0,
    jvp=False,
    note=_NO_JVP,
)
spec(LA, "svd", "values", la("svd", compute_uv=False), singular_values_apart(2, 3, 4))
spec(LA, "svdvals", "wide", la("svdvals"), singular_values_apart(2, 3, 4))
spec(LA, "pinv", "tall", la("pinv"), well_conditioned(2, 4, 3))
spec(LA, "pinv", "wide", la("pinv"), well_conditioned(3, 4))
spec(LA, "pinv", "rtol", la("pinv", rtol=1e-6), well_conditioned(3, 3))
for _label, _a, _b in [
    ("vector", (4, 3), (4,)),
    ("matrix", (5, 3), (5, 2)),
    ("wide", (2, 3), (2,)),  # no residuals: an empty array
]:
    spec(LA, "lstsq", _label, _lstsq, well_conditioned(*_a), normal(*_b), note=_LSTSQ)
spec(
    LA,
    "lstsq",
    "rank",
    lambda xp, a, b: xp.linalg.lstsq(a, b)[2],
    well_conditioned(4, 3),
    normal(4),
    order=0,
    note="the rank alone, an integer",
)
for _n in (3, -2, 0):
    spec(LA, "matrix_power", str(_n), la("matrix_power", _n), _CONDITIONED)
for _label, _fn, _make in [
    ("full", la("matrix_rank"), well_conditioned(2, 4, 3)),
    ("deficient", la("matrix_rank"), rank_deficient(2, 4, 3, rank=2)),
    ("tol", la("matrix_rank", tol=1.5), singular_values_apart(3, 3)),
    ("vector", la("matrix_rank"), normal(4)),
]:
    spec(LA, "matrix_rank", _label, _fn, _make, order=0, note=_RANK)
for _p in (None, -2, "fro", "nuc", 1, -np.inf):
    spec(LA, "cond", str(_p), la("cond", _p), _APART)
spec(
    LA,
    "multi_dot",
    "matrices",
    lambda xp, a, b, c: xp.linalg.multi_dot([a, b, c]),
    normal(4, 2),
    normal(2, 5),
    normal(5, 3),
)
spec(
    LA,
    "multi_dot",
    "vector-ends",
    lambda xp, a, b, c, d: xp.linalg.multi_dot([a, b, c, d]),
    normal(3),
    normal(3, 4),
    normal(4, 2),
    normal(2),
)
spec(LA, "norm", "flat", la("norm"), _X)
spec(
    LA,
    "norm",
    "vector-orders",
    _norms,
    away_from_zero(2, 3, 4),
    note="every vector order along one axis (0 counts: derivative 0), and a 1-d norm",
)
spec(LA, "norm", "matrix-orders", _matrix_norms, _X, note="every matrix order")
spec(LA, "vector_norm", "all", la("vector_norm"), normal(2, 3))
spec(LA, "vector_norm", "axes", _vector_norms, _X)
spec(LA, "matrix_norm", "orders", _matrix_norm_orders, _X)
spec(LA, "matrix_norm", "keepdims", la("matrix_norm", keepdims=True), _X)

# --- funcgrad.scipy.linalg ------------------------------------------------------

SLA = "scipy.linalg"
for _label, _kw, _a, _b in [
    ("lower", {"lower": True}, (2, 3, 3), (2, 3, 2)),
    ("upper-trans", {"trans": "T"}, (3, 3), (3, 2)),
    ("unit-diagonal", {"lower": True, "unit_diagonal": True, "trans": 1}, (3, 3), (3,)),
    ("stack-vector", {}, (2, 3, 3), (3,)),
]:  # fmt: skip
    _lower = _kw.get("lower", False)
    spec(
        SLA,
        "solve_triangular",
        _label,
        sla("solve_triangular", **_kw),
        triangular(*_a, lower=_lower),
        normal(*_b),
    )
spec(SLA, "cholesky", "upper", sla("cholesky"), spd(3, 3, junk="lower"))
spec(SLA, "cholesky", "lower", sla("cholesky", lower=True), spd(2, 3, 3, junk="upper"))


def _cho_factor_triangle(xp: Any, a: Any, lower: bool) -> Any:
    # scipy leaves other values in the unused triangle: compare the factor's
    # triangle, picked by the flag cho_factor returns
    c, is_lower = xp.scipy_linalg.cho_factor(a, lower=lower)
    return xp.np.tril(c) if is_lower else xp.np.triu(c)


def _cho_solve(lower: bool) -> Callable:
    return lambda xp, c, b: xp.scipy_linalg.cho_solve((c, lower), b)


def _cho_solve_of_cho_factor(xp: Any, a: Any, b: Any) -> Any:
    return xp.scipy_linalg.cho_solve(xp.scipy_linalg.cho_factor(a), b)


for _lower, _label, _junk in [(False, "upper", "lower"), (True, "lower", "upper")]:
    spec(
        SLA,
        "cho_factor",
        _label,
        partial(_cho_factor_triangle, lower=_lower),
        spd(3, 3, junk=_junk),
        note="returns (c, lower): c's triangle, picked by the returned flag",
    )
spec(
    SLA,
    "cho_solve",
    "lower-matrix",
    _cho_solve(True),
    cholesky_factor(2, 3, 3, lower=True),
    normal(2, 3, 2),
)
spec(
    SLA,
    "cho_solve",
    "upper-vector",
    _cho_solve(False),
    cholesky_factor(3, 3, lower=False),
    normal(3),
)
spec(
    SLA,
    "cho_solve",
    "of-cho_factor",
    _cho_solve_of_cho_factor,
    spd(3, 3, junk="lower"),
    normal(3, 2),
)

# --- funcgrad.scipy.special ---------------------------------------------------

SP = "scipy.special"
_POSITIVE = uniform(0.2, 6.0, 2, 3)
for _name, _label, _make in [
    ("erf", "normal", normal(2, 3, scale=1.5)),
    ("erfc", "normal", normal(2, 3, scale=1.5)),
    ("erfinv", "unit", uniform(-0.9, 0.9, 2, 3)),
    ("expit", "normal", normal(2, 3, scale=3.0)),
    ("gammaln", "positive", _POSITIVE),
    ("gammaln", "negative", uniform(-2.9, -2.1, 4)),
    ("digamma", "positive", _POSITIVE),
    ("digamma", "negative", uniform(-1.9, -1.1, 4)),
    ("ndtr", "normal", normal(2, 3, scale=2.0)),
    ("log_ndtr", "normal", normal(2, 3, scale=3.0)),
    ("log_ndtr", "far-tail", uniform(-30.0, -12.0, 4)),
    ("logit", "unit", uniform(0.05, 0.95, 2, 3)),
]:
    spec(SP, _name, _label, sp(_name), _make)
spec(SP, "psi", "alias", sp("psi"), _POSITIVE, note="digamma's alias, as scipy's psi")
# scipy's polygamma, a Python function, gives float64 for float32
_KEEPS_FLOAT32 = {"float32": np.float32}
for _n in (1, 2, 0):
    spec(
        SP,
        "polygamma",
        f"n={_n}",
        sp("polygamma", _n),
        uniform(0.3, 4.0, 2, 3),
        out_dtypes=_KEEPS_FLOAT32,
    )
for _name in ("xlogy", "xlog1py"):
    _y = uniform(0.2, 3.0, 2, 3)
    spec(SP, _name, "zeros-in-x", sp(_name), with_zeros(normal(2, 3)), _y)
    spec(SP, _name, "broadcast", sp(_name), normal(3), _y)
_SPREAD_3D = normal(2, 3, 4, scale=2.0)
spec(SP, "logsumexp", "all", sp("logsumexp"), _SPREAD_3D)
spec(
    SP,
    "logsumexp",
    "axis-keepdims",
    sp("logsumexp", axis=1, keepdims=True),
    _SPREAD_3D,
)
spec(SP, "logsumexp", "axes", sp("logsumexp", axis=(0, 2)), _SPREAD_3D)
spec(
    SP,
    "logsumexp",
    "weights",
    lambda xp, a, b: xp.special.logsumexp(a, axis=-1, b=b),
    normal(2, 3),
    uniform(0.5, 2.0, 3),
)
spec(
    SP,
    "logsumexp",
    "return-sign",
    lambda xp, a, b: xp.special.logsumexp(a, axis=1, b=b, return_sign=True),
    normal(2, 3),
    uniform(-1.0, 2.0, 2, 3),
    note="(log|s|, sign s) of a signed sum; the sign's derivative is 0",
)
for _name in ("softmax", "log_softmax"):
    for _axis in (None, 0):
        spec(SP, _name, f"axis={_axis}", sp(_name, axis=_axis), normal(2, 3, scale=2.0))

# --- funcgrad.nn --------------------------------------------------------------

NN = "nn"
# Inputs spread over both sides of every kink (0 and 6 for relu6, -1 and 1
# for hard_tanh); a draw lands within the step of a kink with probability
# about 1e-6.
_SPREAD = uniform(-8.0, 8.0, 2, 5)
for _name, _label, _kw, _note in [
    ("relu", "spread", {}, ""),
    ("relu6", "spread", {}, ""),
    ("leaky_relu", "default", {}, ""),
    ("leaky_relu", "slope", {"negative_slope": 0.2}, ""),
    ("hard_tanh", "spread", {}, ""),
    ("elu", "default", {}, ""),
    ("elu", "alpha", {"alpha": 0.5}, ""),
    ("softplus", "spread", {}, ""),
    ("log_sigmoid", "spread", {}, ""),
    ("sigmoid", "spread", {}, ""),
    ("silu", "spread", {}, ""),
    ("swish", "alias", {}, "an alias of silu, checked against x * expit(x)"),
    ("gelu", "tanh", {}, ""),
    ("gelu", "exact", {"approximate": False}, ""),
]:
    spec(NN, _name, _label, nn(_name, **_kw), _SPREAD, note=_note)
for _name in ("softmax", "log_softmax"):
    spec(NN, _name, "last-axis", nn(_name), _SPREAD_3D)
    spec(NN, _name, "axis=0", nn(_name, axis=0), normal(3, 2))
spec(
    NN,
    "logsumexp",
    "alias",
    nn("logsumexp", axis=-1),
    normal(2, 3, scale=2.0),
    note="scipy.special's logsumexp re-exported, checked against scipy's",
)
for _label, _kw in [
    ("default", {}),
    ("float32", {"dtype": np.float32}),
    ("axis=0", {"axis": 0}),
]:
    spec(
        NN,
        "one_hot",
        _label,
        nn("one_hot", 3, **_kw),
        labels(2, 4, num_classes=3),
        dtypes=(np.int64,),
        order=0,
        note="integer labels, no derivative: values, vmap and jit",
    )

# --- funcgrad.numpy.fft ---------------------------------------------------------
# Complex results are compared as their real and imaginary parts, so every
# check (finite differences included) works on real arrays; complex inputs
# are built from two real ones inside the function.

FFT = "numpy.fft"


def _parts(z: Any) -> tuple:
    return z.real, z.imag


def _of_real(name: str, **kw: Any) -> Callable:
    def fn(xp: Any, x: Any) -> Any:
        out = getattr(xp.fft, name)(x, **kw)
        return _parts(out) if out.dtype.kind == "c" else out

    return fn


def _of_complex(name: str, **kw: Any) -> Callable:
    def fn(xp: Any, re: Any, im: Any) -> Any:
        out = getattr(xp.fft, name)(re + 1j * im, **kw)
        return _parts(out) if out.dtype.kind == "c" else out

    return fn


_SIGNAL = normal(3, 8)
_GRID = normal(2, 4, 6)
for _name in ("fft", "ifft"):
    spec(FFT, _name, "real-input", _of_real(_name), _SIGNAL)
    spec(FFT, _name, "complex-n-ortho", _of_complex(_name, n=6, norm="ortho"),
         _SIGNAL, _SIGNAL)  # fmt: skip
spec(FFT, "rfft", "last-axis", _of_real("rfft"), _SIGNAL)
spec(FFT, "rfft", "axis-0-n", _of_real("rfft", axis=0, n=5), _SIGNAL)
spec(FFT, "irfft", "default", _of_complex("irfft"), normal(3, 5), normal(3, 5))
spec(FFT, "irfft", "n-forward", _of_complex("irfft", n=7, norm="forward"),
     normal(3, 5), normal(3, 5))  # fmt: skip
spec(FFT, "hfft", "default", _of_complex("hfft"), normal(3, 5), normal(3, 5))
spec(FFT, "ihfft", "default", _of_real("ihfft"), _SIGNAL)
for _name in ("fft2", "ifft2", "fftn", "ifftn"):
    spec(FFT, _name, "complex", _of_complex(_name), _GRID, _GRID)
spec(FFT, "fftn", "axes-s", _of_real("fftn", s=(3, 5), axes=(0, 2)), _GRID)
for _name in ("rfft2", "rfftn"):
    spec(FFT, _name, "real", _of_real(_name), _GRID)
for _name in ("irfft2", "irfftn"):
    spec(FFT, _name, "complex", _of_complex(_name), normal(2, 4, 4), normal(2, 4, 4))
for _name in ("fftshift", "ifftshift"):
    spec(FFT, _name, "all", Call("fft", _name), normal(5, 4))
    spec(FFT, _name, "axis", Call("fft", _name, kw={"axes": 1}), normal(5, 4))
for _name in ("fftfreq", "rfftfreq"):
    spec(FFT, _name, "spacing", Call("fft", _name, before=(9,)), uniform(0.5, 2.0),
         dtypes=(np.float64,),  # numpy's result is float64 for any d
         note="n is a Python int; the spacing d is an array and differentiated")  # fmt: skip
