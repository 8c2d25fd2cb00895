"""The table of primitive specs that drives `test_primitives.py`.

Each `PrimitiveSpec` says how to exercise one primitive: the `funcgrad.lax`
call that applies it, the numpy function that is its oracle, a hypothesis
strategy for its operands and static parameters (shapes, dtypes, the value
domain where its derivatives are smooth), the derivative order to check, and
whether it is linear (so needs a transpose rule). A primitive may have
several specs (through `lax` and through `funcgrad.numpy` indexing, say);
the meta-test in `test_primitives.py` fails for a primitive with none.

Operands are numpy arrays; the value domains keep away from poles, from
non-positive arguments of `log`, `sqrt` and `pow`, and from the kinks of
`abs`, `max`, `min` and the reductions that choose, by a margin much larger
than the finite-difference step.
"""

from __future__ import annotations

import dataclasses
import math
import string
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import funcgrad as fg
import funcgrad.lax as lax
from funcgrad.core import Primitive, ShapedArray
from funcgrad.numpy._indexing import getitem
from funcgrad.primitives import _custom as custom
from funcgrad.primitives import _elementwise as ew
from funcgrad.primitives import _linalg as linalg
from funcgrad.primitives import _reductions as red
from funcgrad.primitives import _shape as shape_ops
from funcgrad.transforms import add_any_p

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)
C64, C128 = np.dtype(np.complex64), np.dtype(np.complex128)
COMPLEX = (C64, C128)
I32, I64 = np.dtype(np.int32), np.dtype(np.int64)
BOOL = np.dtype(np.bool_)
FLOATS = (F32, F64)
INTS = (I32, I64)
NUMERIC = FLOATS + INTS
ALL = NUMERIC + (BOOL,)

Case = tuple[tuple[np.ndarray, ...], dict[str, Any]]
CaseFactory = Callable[[np.dtype], st.SearchStrategy[Case]]


# --- value domains ------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Domain:
    """The values one operand takes: `[lo, hi]`, minus `(-gap, gap)`.

    With `step`, values lie on the grid `offset + k * step` (exact in
    float32), so two operands on grids with different offsets never come
    closer than the offsets' difference; `unique` makes an array's elements
    distinct, so reductions that choose have no ties. Integer operands take
    the integers of `[lo, hi]`, booleans either value.
    """

    lo: float = -2.0
    hi: float = 2.0
    gap: float = 0.0
    step: float = 0.0
    offset: float = 0.0
    unique: bool = False

    def elements(self, dtype: np.dtype) -> st.SearchStrategy[Any]:
        if dtype.kind == "c":  # real and imaginary parts each from the domain
            part = self.elements(np.empty((), dtype).real.dtype)
            return st.builds(complex, part, part)
        if dtype.kind == "b":
            return st.booleans()
        if dtype.kind in "iu":
            return st.integers(math.ceil(self.lo), math.floor(self.hi))
        if self.step:
            first = math.ceil((self.lo - self.offset) / self.step)
            last = math.floor((self.hi - self.offset) / self.step)
            return st.integers(first, last).map(lambda k: self.offset + k * self.step)
        width = 8 * dtype.itemsize
        if not self.gap:
            return _floats(self.lo, self.hi, width)
        assert self.lo == -self.hi, "a gap is cut from a domain symmetric about 0"
        magnitude = _floats(self.gap, self.hi, width)
        return st.tuples(magnitude, st.booleans()).map(
            lambda m: -m[0] if m[1] else m[0]
        )


def _floats(lo: float, hi: float, width: int) -> st.SearchStrategy[float]:
    return st.floats(
        lo, hi, width=width, allow_nan=False, allow_infinity=False,
        allow_subnormal=False,
    )  # fmt: skip


ANY = Domain()
POSITIVE = Domain(0.25, 4.0)
NONZERO = Domain(-2.0, 2.0, gap=0.25)
# x on the odd quarter-grid and y on the half-grid: |x - y| >= 0.25.
QUARTERS = Domain(-2.0, 2.0, step=0.5, offset=0.25)
HALVES = Domain(-2.0, 2.0, step=0.5)
DISTINCT = Domain(-4.0, 4.0, step=0.125, unique=True)


def arrays(
    dtype: np.dtype, shape: Any, domain: Domain = ANY
) -> st.SearchStrategy[np.ndarray]:
    unique = domain.unique and dtype.kind in "fc"
    return hnp.arrays(dtype, shape, elements=domain.elements(dtype), unique=unique)


def shapes(
    min_dims: int = 0, max_dims: int = 3, min_side: int = 0, max_side: int = 3
) -> st.SearchStrategy[tuple[int, ...]]:
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def subsets(n: int, min_size: int = 0) -> st.SearchStrategy[tuple[int, ...]]:
    """Sorted tuples of distinct axes out of `range(n)`."""
    if n == 0:
        return st.just(())
    return st.sets(st.integers(0, n - 1), min_size=min_size, max_size=n).map(
        lambda s: tuple(sorted(s))
    )


# --- the spec -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AbstractCase:
    """Operand avals and params that a primitive's abstract evaluation rejects."""

    avals: tuple[ShapedArray, ...]
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    xfail: str | None = None


@dataclasses.dataclass(frozen=True)
class KnownBug:
    """A funcgrad bug that breaks some tests of a spec, pinned as strict xfail.

    `tests` names the checks it breaks: "values", "derivatives", "float32",
    "zero" (zero derivatives), "programs" or "batching".
    """

    reason: str
    tests: tuple[str, ...]
    dtypes: tuple[np.dtype, ...] = ALL


@dataclasses.dataclass(frozen=True)
class PrimitiveSpec:
    """How to exercise one primitive (see the module docstring).

    `fun(*operands, **params)` applies the primitive through `funcgrad.lax`
    and `reference(*operands, **params)` computes the same with numpy.
    `cases(dtype)` draws `(operands, params)` for one of `dtypes`; operands
    of another dtype (the predicate of `select`) are not differentiated.
    `order` is the derivative order checked against finite differences in
    float64 (0: none), in the differentiation `modes` the primitive
    supports. `zero_derivative` says the derivative is zero by definition.
    `covers` lists primitives that only the derivatives of `fun` bind (the
    linear halves of higher-order primitives); each needs a transpose rule. `out_dtype(dtype, params)` is the result's dtype (default:
    `dtype`). `known_bugs` are pinned as expected failures.
    """

    name: str
    primitive: Primitive
    fun: Callable[..., Any]
    reference: Callable[..., Any]
    cases: CaseFactory
    dtypes: tuple[np.dtype, ...] = FLOATS
    order: int = 2
    modes: tuple[str, ...] = ("fwd", "rev")
    linear: bool = False
    covers: tuple[Primitive, ...] = ()
    zero_derivative: bool = False
    out_dtype: Callable[[np.dtype, Mapping[str, Any]], np.dtype] | None = None
    rtol: Mapping[np.dtype, float] = dataclasses.field(
        default_factory=lambda: {F32: 1e-6, F64: 1e-12}
    )
    grad_options: Mapping[str, float] = dataclasses.field(default_factory=dict)
    shape_errors: tuple[AbstractCase, ...] = ()
    dtype_errors: tuple[AbstractCase, ...] = ()
    known_bugs: tuple[KnownBug, ...] = ()

    def known_bug(self, test: str, dtype: np.dtype) -> str | None:
        for bug in self.known_bugs:
            if test in bug.tests and np.dtype(dtype) in bug.dtypes:
                return bug.reason
        return None

    def expected_dtype(self, dtype: np.dtype, params: Mapping[str, Any]) -> np.dtype:
        return np.dtype(self.out_dtype(dtype, params) if self.out_dtype else dtype)

    def tolerance(self, dtype: np.dtype) -> float:
        return self.rtol.get(np.dtype(dtype), 0.0)

    def __repr__(self) -> str:
        return f"PrimitiveSpec({self.name})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # hypothesis prints falsifying examples with this, not `__repr__`.
        printer.text(repr(self))


def _boolean(dtype: np.dtype, params: Mapping[str, Any]) -> np.dtype:
    return BOOL


def _param_dtype(key: str) -> Callable[[np.dtype, Mapping[str, Any]], np.dtype]:
    def out_dtype(dtype: np.dtype, params: Mapping[str, Any]) -> np.dtype:
        return np.dtype(params[key])

    return out_dtype


def aval(shape: tuple[int, ...], dtype: np.dtype = F64) -> ShapedArray:
    return ShapedArray(shape, dtype)


# --- cases for the elementwise primitives ---------------------------------------


def unary(domain: Domain = ANY) -> CaseFactory:
    def cases(dtype: np.dtype) -> st.SearchStrategy[Case]:
        return arrays(dtype, shapes(), domain).map(lambda x: ((x,), {}))

    return cases


def nary(
    *domains: Domain, broadcast: bool = True, min_dims: int = 0, max_dims: int = 3
) -> CaseFactory:
    """Operands of one dtype whose shapes broadcast together (or are equal)."""

    @st.composite
    def draw_case(draw: Any, dtype: np.dtype) -> Case:
        if broadcast:
            found = draw(
                hnp.mutually_broadcastable_shapes(
                    num_shapes=len(domains), max_dims=3, min_side=0, max_side=3
                )
            )
            operand_shapes = found.input_shapes
        else:
            shape = draw(shapes(min_dims=min_dims, max_dims=max_dims))
            operand_shapes = (shape,) * len(domains)
        operands = tuple(
            draw(arrays(dtype, s, d)) for s, d in zip(operand_shapes, domains)
        )
        return operands, {}

    return draw_case


@st.composite
def _select_case(draw: Any, dtype: np.dtype) -> Case:
    found = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3))
    pred_shape, true_shape, false_shape = found.input_shapes
    pred = draw(arrays(BOOL, pred_shape))
    return (pred, draw(arrays(dtype, true_shape)), draw(arrays(dtype, false_shape))), {}


def _integer_pow_cases(dtype: np.dtype) -> st.SearchStrategy[Case]:
    exponents = [0, 2, 3, 4] if dtype.kind in "iu" else [-3, -2, -1, 0, 2, 3, 4]
    return st.tuples(arrays(dtype, shapes(), NONZERO), st.sampled_from(exponents)).map(
        lambda c: ((c[0],), {"y": c[1]})
    )


def _convert_cases(targets: tuple[np.dtype, ...]) -> CaseFactory:
    def cases(dtype: np.dtype) -> st.SearchStrategy[Case]:
        others = [t for t in targets if t != dtype]
        return st.tuples(arrays(dtype, shapes()), st.sampled_from(others)).map(
            lambda c: ((c[0],), {"new_dtype": c[1]})
        )

    return cases


def _other_float(dtype: np.dtype) -> st.SearchStrategy[Case]:
    target = F64 if dtype == F32 else F32
    return arrays(dtype, shapes()).map(lambda x: ((x,), {"new_dtype": target}))


def _binary_errors() -> dict[str, tuple[AbstractCase, ...]]:
    return {
        "shape_errors": (AbstractCase((aval((2, 3)), aval((4,)))),),
        "dtype_errors": (AbstractCase((aval((3,), F32), aval((3,), F64))),),
    }


_FLOAT_ONLY = (AbstractCase((aval((3,), I32),)),)


def _logistic_reference(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x.astype(np.float64)))


def _integer_pow_reference(x: np.ndarray, *, y: int) -> np.ndarray:
    return np.power(x.astype(np.float64), y) if y < 0 else np.power(x, y)


def _bool_rejected(name: str) -> AbstractCase:
    """numpy has no boolean `subtract`, `negative` or `sign`."""
    return AbstractCase((aval((3,), BOOL),) * (1 if name in ("neg", "sign") else 2))


def _elementwise_specs() -> list[PrimitiveSpec]:
    specs = []
    for name, reference, dtypes, x, y in [
        ("add", np.add, ALL, ANY, ANY),
        ("sub", np.subtract, NUMERIC, ANY, ANY),
        ("mul", np.multiply, ALL, ANY, ANY),
        ("div", np.divide, FLOATS, ANY, NONZERO),
        ("pow", np.power, FLOATS, POSITIVE, Domain(-2.0, 2.0, gap=0.125)),
        ("max", np.maximum, ALL, QUARTERS, HALVES),
        ("min", np.minimum, ALL, QUARTERS, HALVES),
    ]:
        errors = _binary_errors()
        if name == "sub":
            errors["dtype_errors"] += (_bool_rejected(name),)
        specs.append(
            PrimitiveSpec(
                name, getattr(ew, f"{name}_p"), getattr(lax, name), reference,
                nary(x, y), dtypes, order=1 if name in ("max", "min") else 2,
                linear=name in ("add", "sub", "mul", "div"), **errors,
            )
        )  # fmt: skip
    specs.append(
        # t / y, with 0 wherever t == 0 (the reference: numpy's quotient,
        # which is 0 there for the nonzero y drawn)
        PrimitiveSpec(
            "div_absorbing", ew.div_absorbing_p, ew.div_absorbing, np.divide,
            nary(ANY, NONZERO), FLOATS, order=2, linear=True, **_binary_errors(),
        )
    )  # fmt: skip
    specs.append(
        PrimitiveSpec(
            "mul_absorbing", ew.mul_absorbing_p, ew.mul_absorbing, np.multiply,
            nary(ANY, ANY), FLOATS, order=2, linear=True, **_binary_errors(),
        )
    )  # fmt: skip
    specs.append(
        # numpy raises for negative integer powers of integers.
        PrimitiveSpec(
            "pow/int", ew.pow_p, lax.pow, np.power, nary(ANY, Domain(0.0, 3.0)),
            INTS, order=0,
        )
    )  # fmt: skip
    specs.append(
        PrimitiveSpec(
            "pow/y=0", ew.pow_p, lax.pow, np.power,
            nary(POSITIVE, Domain(0.0, 0.0)), FLOATS,
        )
    )  # fmt: skip
    for name, reference, domain in [
        ("exp", np.exp, ANY),
        ("log", np.log, POSITIVE),
        ("log1p", np.log1p, Domain(-0.75, 2.0)),
        ("expm1", np.expm1, ANY),
        ("sin", np.sin, Domain(-3.0, 3.0)),
        ("cos", np.cos, Domain(-3.0, 3.0)),
        ("tan", np.tan, Domain(-1.25, 1.25)),
        ("tanh", np.tanh, Domain(-3.0, 3.0)),
        ("sqrt", np.sqrt, POSITIVE),
        ("logistic", _logistic_reference, Domain(-4.0, 4.0)),
    ]:
        specs.append(
            PrimitiveSpec(
                name, getattr(ew, f"{name}_p"), getattr(lax, name), reference,
                unary(domain), dtype_errors=_FLOAT_ONLY,
            )
        )  # fmt: skip
    specs += [
        PrimitiveSpec(
            "neg", ew.neg_p, lax.neg, np.negative, unary(), NUMERIC, linear=True,
            dtype_errors=(_bool_rejected("neg"),),
        ),
        PrimitiveSpec(
            "abs", ew.abs_p, lax.abs, np.abs, unary(Domain(-2.0, 2.0, gap=0.125)),
            ALL, order=1,
        ),
        PrimitiveSpec(
            "sign", ew.sign_p, lax.sign, np.sign, unary(Domain(-2.0, 2.0, gap=0.125)),
            NUMERIC, order=1, zero_derivative=True,
            dtype_errors=(_bool_rejected("sign"),),
        ),
        PrimitiveSpec(
            "integer_pow", ew.integer_pow_p, lax.integer_pow, _integer_pow_reference,
            _integer_pow_cases, NUMERIC,
        ),
        PrimitiveSpec(
            "select", ew.select_p, lax.select, np.where, _select_case, ALL,
            linear=True,
            shape_errors=(
                AbstractCase((aval((2,), BOOL), aval((3,)), aval((3,)))),
            ),
            dtype_errors=(
                AbstractCase((aval((3,)), aval((3,)), aval((3,)))),
                AbstractCase((aval((3,), BOOL), aval((3,), F32), aval((3,)))),
            ),
        ),
        PrimitiveSpec(
            "convert_element_type/float", ew.convert_element_type_p,
            lax.convert_element_type, _astype, _other_float, linear=True,
            out_dtype=_param_dtype("new_dtype"),
            # One side is float32, so the finite differences need a wider step.
            grad_options={"eps": 1e-3, "atol": 1e-3, "rtol": 1e-3},
        ),
        PrimitiveSpec(
            "convert_element_type/exact", ew.convert_element_type_p,
            lax.convert_element_type, _astype, _convert_cases(ALL), ALL, order=0,
            linear=True, out_dtype=_param_dtype("new_dtype"),
        ),
        PrimitiveSpec(
            "stop_gradient", ew.stop_gradient_p, lax.stop_gradient, np.asarray,
            unary(), ALL, order=0, zero_derivative=True,
        ),
        PrimitiveSpec(
            "add_any", add_any_p, add_any_p.bind, np.add,
            nary(ANY, ANY, broadcast=False, min_dims=1), NUMERIC, linear=True,
            shape_errors=(AbstractCase((aval((2, 3)), aval((3,)))),),
            dtype_errors=(
                AbstractCase((aval((3,), F32), aval((3,)))),
            ),
        ),
        PrimitiveSpec(
            "add_any/0-d", add_any_p, add_any_p.bind, np.add,
            nary(ANY, ANY, broadcast=False, max_dims=0), NUMERIC, linear=True,
        ),
    ]  # fmt: skip
    for name, reference in [
        ("eq", np.equal), ("ne", np.not_equal), ("lt", np.less),
        ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal),
    ]:  # fmt: skip
        specs.append(
            PrimitiveSpec(
                name, getattr(ew, f"{name}_p"), getattr(lax, name), reference,
                nary(ANY, ANY), ALL, order=0, zero_derivative=True,
                out_dtype=_boolean, **_binary_errors(),
            )
        )  # fmt: skip
    # `funcgrad.lax` has no wrappers for the logical primitives; bind them.
    logical_errors = {
        "shape_errors": (AbstractCase((aval((2,), BOOL), aval((3,), BOOL))),),
        "dtype_errors": (AbstractCase((aval((3,)), aval((3,)))),),
    }
    for name, reference in [
        ("and", np.bitwise_and), ("or", np.bitwise_or), ("xor", np.bitwise_xor),
    ]:  # fmt: skip
        primitive = getattr(ew, f"{name}_p")
        specs.append(
            PrimitiveSpec(
                name, primitive, primitive.bind, reference, nary(ANY, ANY),
                INTS + (BOOL,), order=0, **logical_errors,
            )
        )  # fmt: skip
    specs.append(
        PrimitiveSpec(
            "not", ew.not_p, ew.not_p.bind, np.invert, unary(), INTS + (BOOL,),
            order=0, dtype_errors=(AbstractCase((aval((3,)),)),),
        )
    )  # fmt: skip
    return specs


def _astype(x: np.ndarray, *, new_dtype: np.dtype) -> np.ndarray:
    return x.astype(new_dtype)


# --- reductions -------------------------------------------------------------------


def _reduce_cases(domain: Domain, min_side: int = 0) -> CaseFactory:
    @st.composite
    def draw_case(draw: Any, dtype: np.dtype) -> Case:
        x = draw(arrays(dtype, shapes(min_dims=1, min_side=min_side), domain))
        return (x,), {"axes": draw(subsets(x.ndim, min_size=1))}

    return draw_case


@st.composite
def _arg_cases(draw: Any, dtype: np.dtype) -> Case:
    x = draw(arrays(dtype, shapes(min_dims=1, min_side=1)))
    axis = draw(st.integers(0, x.ndim - 1))
    return (x,), {"axis": axis, "index_dtype": draw(st.sampled_from(INTS))}


def _reference_reduction(numpy_fn: Callable[..., Any]) -> Callable[..., Any]:
    def reference(x: np.ndarray, *, axes: tuple[int, ...]) -> np.ndarray:
        return numpy_fn(x, axis=axes)

    return reference


def _reference_arg(numpy_fn: Callable[..., Any]) -> Callable[..., Any]:
    def reference(x: np.ndarray, *, axis: int, index_dtype: np.dtype) -> np.ndarray:
        return numpy_fn(x, axis=axis)

    return reference


_BAD_AXES = (
    AbstractCase((aval((2, 3)),), {"axes": (2,)}),
    AbstractCase((aval((2, 3)),), {"axes": (1, 0)}),
)


def _reduction_specs() -> list[PrimitiveSpec]:
    specs = []
    for name, numpy_fn, domain, order in [
        ("reduce_sum", np.sum, ANY, 2),
        ("reduce_prod", np.prod, Domain(-1.5, 1.5), 2),
        ("reduce_max", np.max, DISTINCT, 1),
        ("reduce_min", np.min, DISTINCT, 1),
    ]:
        choosing = name in ("reduce_max", "reduce_min")
        shape_errors = _BAD_AXES
        if choosing:
            shape_errors += (AbstractCase((aval((2, 0)),), {"axes": (1,)}),)
        specs.append(
            PrimitiveSpec(
                name, getattr(red, f"{name}_p"), getattr(lax, name),
                _reference_reduction(numpy_fn),
                _reduce_cases(domain, min_side=1 if choosing else 0), NUMERIC,
                order=order, linear=name == "reduce_sum",
                rtol={F32: 1e-5, F64: 1e-12}, shape_errors=shape_errors,
            )
        )  # fmt: skip
    for name, numpy_fn in [("argmax", np.argmax), ("argmin", np.argmin)]:
        specs.append(
            PrimitiveSpec(
                name, getattr(red, f"{name}_p"), getattr(lax, name),
                _reference_arg(numpy_fn), _arg_cases, ALL, order=0,
                zero_derivative=True, out_dtype=_param_dtype("index_dtype"),
                shape_errors=(
                    AbstractCase((aval((2, 3)),), {"axis": 2, "index_dtype": I64}),
                ),
            )
        )  # fmt: skip
    return specs


# --- shape primitives -------------------------------------------------------------


@st.composite
def _broadcast_in_dim_case(draw: Any, dtype: np.dtype) -> Case:
    shape = draw(shapes())
    dims = draw(subsets(len(shape)))
    x_shape = tuple(draw(st.sampled_from([shape[d], 1])) for d in dims)
    x = draw(arrays(dtype, x_shape))
    return (x,), {"shape": shape, "broadcast_dimensions": dims}


def _broadcast_in_dim_reference(
    x: np.ndarray, *, shape: tuple, broadcast_dimensions: tuple
) -> np.ndarray:
    new = [d for d in range(len(shape)) if d not in broadcast_dimensions]
    return np.broadcast_to(np.expand_dims(x, tuple(new)), shape)


@st.composite
def _reshape_case(draw: Any, dtype: np.dtype) -> Case:
    x = draw(arrays(dtype, shapes(max_dims=3, min_side=1, max_side=4)))
    # Permute the sizes, merge neighbours and insert ones: same element count.
    sizes = list(draw(st.permutations(x.shape)))
    merged: list[int] = []
    for size in sizes:
        if merged and draw(st.booleans()):
            merged[-1] *= size
        else:
            merged.append(size)
    for _ in range(draw(st.integers(0, 2))):
        merged.insert(draw(st.integers(0, len(merged))), 1)
    new_sizes = tuple(merged)
    if new_sizes == x.shape:
        new_sizes = (x.size,) if x.ndim != 1 else (1, x.size)
    return (x,), {"new_sizes": new_sizes}


def _reshape_reference(x: np.ndarray, *, new_sizes: tuple) -> np.ndarray:
    return np.reshape(x, new_sizes)


@st.composite
def _transpose_case(draw: Any, dtype: np.dtype) -> Case:
    x = draw(arrays(dtype, shapes(min_dims=2)))
    identity = tuple(range(x.ndim))
    permutation = draw(st.permutations(identity).filter(lambda p: tuple(p) != identity))
    return (x,), {"permutation": tuple(permutation)}


def _transpose_reference(x: np.ndarray, *, permutation: tuple) -> np.ndarray:
    return np.transpose(x, permutation)


@st.composite
def _squeeze_case(draw: Any, dtype: np.dtype) -> Case:
    shape = list(draw(shapes(min_dims=1)))
    dims = draw(subsets(len(shape), min_size=1))
    for d in dims:
        shape[d] = 1
    return (draw(arrays(dtype, tuple(shape))),), {"dimensions": dims}


def _squeeze_reference(x: np.ndarray, *, dimensions: tuple) -> np.ndarray:
    return np.squeeze(x, axis=dimensions)


@st.composite
def _expand_dims_case(draw: Any, dtype: np.dtype) -> Case:
    x = draw(arrays(dtype, shapes()))
    count = draw(st.integers(1, 2))
    dims = draw(
        st.sets(st.integers(0, x.ndim + count - 1), min_size=count, max_size=count)
    )
    return (x,), {"dimensions": tuple(sorted(dims))}


def _expand_dims_reference(x: np.ndarray, *, dimensions: tuple) -> np.ndarray:
    return np.expand_dims(x, dimensions)


@st.composite
def _slice_case(draw: Any, dtype: np.dtype) -> Case:
    x = draw(arrays(dtype, shapes(min_dims=1, max_side=4)))
    starts, limits, strides = [], [], []
    for n in x.shape:
        start = draw(st.integers(0, n))
        starts.append(start)
        limits.append(draw(st.integers(start, n)))
        strides.append(draw(st.integers(1, 3)))
    trivial = all(s == 0 for s in starts) and tuple(limits) == x.shape
    if trivial and all(st_ == 1 for st_ in strides):
        strides[0] = 2
    params = {
        "start_indices": tuple(starts),
        "limit_indices": tuple(limits),
        "strides": tuple(strides),
    }
    return (x,), params


def _slice_reference(
    x: np.ndarray, *, start_indices: tuple, limit_indices: tuple, strides: tuple
) -> np.ndarray:
    return x[tuple(slice(*b) for b in zip(start_indices, limit_indices, strides))]


@st.composite
def _pad_case(draw: Any, dtype: np.dtype) -> Case:
    x = draw(arrays(dtype, shapes()))
    triple = st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 2))
    config = tuple(draw(triple) for _ in range(x.ndim))
    return (x,), {"padding_config": config}


def _pad_reference(x: np.ndarray, *, padding_config: tuple) -> np.ndarray:
    out = x
    for axis, (lo, hi, interior) in enumerate(padding_config):
        n = out.shape[axis]
        if n > 1 and interior:
            # Insert `interior` zeros after every element but the last.
            at = np.repeat(np.arange(1, n), interior)
            out = np.insert(out, at, 0, axis=axis)
        widths = [(0, 0)] * out.ndim
        widths[axis] = (lo, hi)
        out = np.pad(out, widths)
    return out


@st.composite
def _rev_case(draw: Any, dtype: np.dtype) -> Case:
    x = draw(arrays(dtype, shapes(min_dims=1)))
    return (x,), {"dimensions": draw(subsets(x.ndim, min_size=1))}


def _rev_reference(x: np.ndarray, *, dimensions: tuple) -> np.ndarray:
    return np.flip(x, dimensions)


@st.composite
def _concatenate_case(draw: Any, dtype: np.dtype) -> Case:
    shape = draw(shapes(min_dims=1))
    dimension = draw(st.integers(0, len(shape) - 1))
    operands = []
    for _ in range(draw(st.integers(2, 3))):
        own = list(shape)
        own[dimension] = draw(st.integers(0, 3))
        operands.append(draw(arrays(dtype, tuple(own))))
    return tuple(operands), {"dimension": dimension}


def _concatenate(*operands: Any, dimension: int) -> Any:
    return lax.concatenate(operands, dimension)


def _concatenate_reference(*operands: np.ndarray, dimension: int) -> np.ndarray:
    return np.concatenate(operands, axis=dimension)


@st.composite
def _index_case(draw: Any, dtype: np.dtype) -> Case:
    """A basic index with at least one negative-step slice, maybe `None`s
    and an `...`."""
    x = draw(arrays(dtype, shapes(min_dims=1, max_side=4)))
    entries: list[Any] = []
    for n in x.shape:
        choices = [st.slices(n)] + ([st.integers(-n, n - 1)] if n else [])
        entries.append(draw(st.one_of(choices)))
    flipped = draw(st.integers(0, x.ndim - 1))
    n = x.shape[flipped]
    bound = st.none() | st.integers(-n - 1, n + 1)
    entries[flipped] = slice(draw(bound), draw(bound), -draw(st.integers(1, 3)))
    if draw(st.booleans()):
        lo = draw(st.integers(0, len(entries)))
        hi = draw(st.integers(lo, len(entries)))
        if not lo <= flipped < hi:
            entries[lo:hi] = [Ellipsis]
    for _ in range(draw(st.integers(0, 2))):
        entries.insert(draw(st.integers(0, len(entries))), None)
    return (x,), {"index": tuple(entries)}


def _getitem(x: Any, *, index: tuple) -> Any:
    return getitem(x, index)


def _getitem_reference(x: np.ndarray, *, index: tuple) -> np.ndarray:
    return np.asarray(x[index])


def _shape_specs() -> list[PrimitiveSpec]:
    specs = [
        ("broadcast_in_dim", lax.broadcast_in_dim, _broadcast_in_dim_reference,
         _broadcast_in_dim_case,
         AbstractCase((aval((3,)),), {"shape": (2, 4), "broadcast_dimensions": (1,)})),
        ("reshape", lax.reshape, _reshape_reference, _reshape_case,
         AbstractCase((aval((2, 3)),), {"new_sizes": (4,)})),
        ("transpose", lax.transpose, _transpose_reference, _transpose_case,
         AbstractCase((aval((2, 3)),), {"permutation": (0, 0)})),
        ("squeeze", lax.squeeze, _squeeze_reference, _squeeze_case,
         AbstractCase((aval((2, 3)),), {"dimensions": (1,)})),
        ("expand_dims", lax.expand_dims, _expand_dims_reference, _expand_dims_case,
         AbstractCase((aval((3,)),), {"dimensions": (5,)})),
        ("slice", lax.slice, _slice_reference, _slice_case,
         AbstractCase((aval((3,)),),
                      {"start_indices": (1,), "limit_indices": (4,), "strides": (1,)})),
        ("pad", lax.pad, _pad_reference, _pad_case,
         AbstractCase((aval((3,)),), {"padding_config": ((0, -1, 0),)})),
        ("rev", lax.rev, _rev_reference, _rev_case,
         AbstractCase((aval((3,)),), {"dimensions": (1,)})),
    ]  # fmt: skip
    out = [
        PrimitiveSpec(
            name, getattr(shape_ops, f"{name}_p"), fun, reference, cases, ALL,
            linear=True, shape_errors=(error,),
        )
        for name, fun, reference, cases, error in specs
    ]  # fmt: skip
    out += [
        PrimitiveSpec(
            "concatenate", shape_ops.concatenate_p, _concatenate,
            _concatenate_reference, _concatenate_case, ALL, linear=True,
            shape_errors=(
                AbstractCase((aval((2, 3)), aval((2, 4))), {"dimension": 0}),
            ),
            dtype_errors=(
                AbstractCase((aval((2,), F32), aval((2,))), {"dimension": 0}),
            ),
        ),
        # Negative steps through `funcgrad.numpy` indexing: rev, then slice,
        # squeeze and expand_dims.
        PrimitiveSpec(
            "rev/getitem", shape_ops.rev_p, _getitem, _getitem_reference,
            _index_case, ALL, linear=True,
        ),
    ]  # fmt: skip
    return out


# --- dot_general ------------------------------------------------------------------


@st.composite
def _dot_general_case(draw: Any, dtype: np.dtype) -> Case:
    """Random batch, contracting and free axes, in random positions."""
    size = st.integers(1, 3)
    counts = {kind: draw(st.integers(0, 2)) for kind in ("b", "c", "l", "r")}
    sizes = {k: [draw(size) for _ in range(n)] for k, n in counts.items()}
    shared = [("b", i) for i in range(counts["b"])] + [
        ("c", i) for i in range(counts["c"])
    ]
    lhs = draw(st.permutations(shared + [("l", i) for i in range(counts["l"])]))
    rhs = draw(st.permutations(shared + [("r", i) for i in range(counts["r"])]))

    def positions(axes: list, kind: str) -> tuple[int, ...]:
        return tuple(axes.index((kind, i)) for i in range(counts[kind]))

    x = draw(arrays(dtype, tuple(sizes[k][i] for k, i in lhs)))
    y = draw(arrays(dtype, tuple(sizes[k][i] for k, i in rhs)))
    numbers = (
        (positions(lhs, "c"), positions(rhs, "c")),
        (positions(lhs, "b"), positions(rhs, "b")),
    )
    return (x, y), {"dimension_numbers": numbers}


def _not_vdot(case: Case) -> bool:
    """Leave vector-vector products to the `dot_general/vdot` spec."""
    (x, y), params = case
    return not (x.ndim == y.ndim == 1 and params["dimension_numbers"][0][0])


@st.composite
def _matmul_case(draw: Any, dtype: np.dtype) -> Case:
    """The shapes numpy.matmul takes without batching: (m,k)/(k,) @ (k,n)/(k,)."""
    m, k, n = (draw(st.integers(1, 4)) for _ in range(3))
    x_shape = draw(st.sampled_from([(m, k), (k,)]))
    y_shape = (k, n) if len(x_shape) == 1 else draw(st.sampled_from([(k, n), (k,)]))
    x, y = draw(arrays(dtype, x_shape)), draw(arrays(dtype, y_shape))
    return (x, y), {"dimension_numbers": (((x.ndim - 1,), (0,)), ((), ()))}


@st.composite
def _vdot_case(draw: Any, dtype: np.dtype) -> Case:
    k = draw(st.integers(1, 4))
    x, y = draw(arrays(dtype, (k,))), draw(arrays(dtype, (k,)))
    return (x, y), {"dimension_numbers": (((0,), (0,)), ((), ()))}


def _dot_general_reference(
    x: np.ndarray, y: np.ndarray, *, dimension_numbers: Any
) -> np.ndarray:
    """`dot_general` as an `einsum`, in float64 for floating operands."""
    (lc, rc), (lb, rb) = dimension_numbers
    letters = iter(string.ascii_letters)
    xs: list[str | None] = [None] * x.ndim
    ys: list[str | None] = [None] * y.ndim
    for a, b in zip(lb + lc, rb + rc):
        xs[a] = ys[b] = next(letters)
    x_free = [i for i in range(x.ndim) if xs[i] is None]
    y_free = [i for i in range(y.ndim) if ys[i] is None]
    for i in x_free:
        xs[i] = next(letters)
    for i in y_free:
        ys[i] = next(letters)
    out = [xs[a] for a in lb] + [xs[i] for i in x_free] + [ys[i] for i in y_free]
    spec = f"{''.join(xs)},{''.join(ys)}->{''.join(out)}"  # type: ignore[arg-type]
    if x.dtype.kind == "f":
        x, y = x.astype(np.float64), y.astype(np.float64)
    return np.einsum(spec, x, y)


def _dot_specs() -> list[PrimitiveSpec]:
    tolerance = {F32: 1e-5, F64: 1e-12}
    bad = {"dimension_numbers": (((1,), (0,)), ((), ()))}
    return [
        PrimitiveSpec(
            "dot_general", linalg.dot_general_p, lax.dot_general,
            _dot_general_reference,
            lambda dtype: _dot_general_case(dtype).filter(_not_vdot), ALL,
            linear=True,
            rtol=tolerance,
            shape_errors=(AbstractCase((aval((2, 3)), aval((4, 2))), bad),),
            dtype_errors=(AbstractCase((aval((2, 3), F32), aval((3, 2))), bad),),
        ),
        PrimitiveSpec(
            "dot_general/matmul", linalg.dot_general_p, lax.dot_general,
            _dot_general_reference, _matmul_case, NUMERIC, linear=True,
            rtol=tolerance,
        ),
        PrimitiveSpec(
            "dot_general/vdot", linalg.dot_general_p, lax.dot_general,
            _dot_general_reference, _vdot_case, NUMERIC, linear=True,
            rtol=tolerance,
        ),
    ]  # fmt: skip


# --- higher-order primitives: custom derivatives and checkpointing ----------------
# Each wraps x * sin(x) (or sin(x) * exp(y)) with hand-written rules, so the
# finite differences check that the rules are carried through correctly.


@fg.custom_jvp
def _x_sin_x_custom_jvp(x: Any) -> Any:
    return lax.mul(x, lax.sin(x))


def _x_sin_x_slope(x: Any) -> Any:
    return lax.add(lax.sin(x), lax.mul(x, lax.cos(x)))


@_x_sin_x_custom_jvp.defjvp
def _x_sin_x_jvp(primals: tuple, tangents: tuple) -> tuple[Any, Any]:
    (x,), (x_dot,) = primals, tangents
    return _x_sin_x_custom_jvp(x), lax.mul(x_dot, _x_sin_x_slope(x))


@fg.custom_vjp
def _x_sin_x_custom_vjp(x: Any) -> Any:
    return lax.mul(x, lax.sin(x))


def _x_sin_x_fwd(x: Any) -> tuple[Any, Any]:
    return _x_sin_x_custom_vjp(x), x


def _x_sin_x_bwd(x: Any, ct: Any) -> tuple[Any]:
    return (lax.mul(ct, _x_sin_x_slope(x)),)


_x_sin_x_custom_vjp.defvjp(_x_sin_x_fwd, _x_sin_x_bwd)


def _sin_times_exp(x: Any, y: Any) -> Any:
    return lax.mul(lax.sin(x), lax.exp(y))


def _x_sin_x_reference(x: np.ndarray) -> np.ndarray:
    return x * np.sin(x)


def _sin_times_exp_reference(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.sin(x) * np.exp(y)


def _higher_order_specs() -> list[PrimitiveSpec]:
    domain = Domain(-3.0, 3.0)
    return [
        PrimitiveSpec(
            "custom_jvp_call", custom.custom_jvp_call_p, _x_sin_x_custom_jvp,
            _x_sin_x_reference, unary(domain),
        ),
        # custom_vjp has no forward mode by design.
        PrimitiveSpec(
            "custom_vjp_call", custom.custom_vjp_call_p, _x_sin_x_custom_vjp,
            _x_sin_x_reference, unary(domain), modes=("rev",),
            covers=(custom.custom_lin_p,),
        ),
        PrimitiveSpec(
            "checkpoint", custom.checkpoint_p, fg.checkpoint(_sin_times_exp),
            _sin_times_exp_reference, nary(domain, ANY),
            covers=(custom.remat_lin_p,),
        ),
    ]  # fmt: skip


SPECS: tuple[PrimitiveSpec, ...] = tuple(
    _elementwise_specs()
    + _reduction_specs()
    + _shape_specs()
    + _dot_specs()
    + _higher_order_specs()
    + __import__("specs_linalg").linalg_specs()  # imports this module's names
    + __import__("specs_indexing").indexing_specs()
    + __import__("specs_arrays").array_specs()
    + __import__("specs_special").special_specs()
    + __import__("specs_control").control_specs()
)
# complex variants of the complex-capable specs above, and the complex parts
# and fft primitives (tests/specs_complex.py; derivatives in test_complex.py)
SPECS += tuple(__import__("specs_complex").complex_specs(SPECS))
assert len({s.name for s in SPECS}) == len(SPECS), "spec names must be unique"
