"""Complex specs for the table in `primitive_specs.py`: complex64 and
complex128 variants of every complex-capable spec, and the specs of the
complex-parts primitives (`real`, `imag`, `conj`, `complex`), of `abs`,
`sign` and `convert_element_type` on complex values, and of `fft`.

A complex spec names its complex dtype in `dtypes`, also where its
operands are real (`complex`, `rfft`: the parts' precision) or its result
is (`real`, `abs`, `irfft`: see `out_dtype`). `test_primitives.py` checks
their values, programs and batching like any spec; `test_complex.py`
checks their derivatives against finite differences in the real and the
imaginary direction of every complex operand, in the convention of JAX
and autograd.

`REAL_ONLY` names, with the reason, each spec that has no complex variant;
a test in `test_complex.py` fails when a spec is in neither list. Complex
values are drawn with real and imaginary parts from the spec's domain,
which keeps them away from the branch cuts of `log`, `sqrt` and `pow`
(both parts positive); a few functions get their own domain here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from primitive_specs import (
    C64,
    C128,
    COMPLEX,
    F32,
    F64,
    I32,
    AbstractCase,
    Case,
    Domain,
    PrimitiveSpec,
    arrays,
    aval,
    shapes,
    unary,
)
from specs_linalg import COMPLEX_CHANGES as _LINALG

import funcgrad.lax as lax
from funcgrad.primitives import _complex as cp
from funcgrad.primitives import _elementwise as ew
from funcgrad.primitives import _fft

_PRECISION = {C64: F32, C128: F64}


def _real_of(dtype: np.dtype) -> np.dtype:
    return _PRECISION[np.dtype(dtype)]


def _real_out(dtype: np.dtype, params: Mapping[str, Any]) -> np.dtype:
    return _real_of(dtype)


# --- complex variants of the real specs ---------------------------------------
# Each entry: the base spec's name, and what the variant changes besides its
# dtypes (a domain away from branch cuts and poles, a real result, a
# derivative order that the real kink kept low).


def _integer_pow_reference(x: np.ndarray, *, y: int) -> np.ndarray:
    return np.power(x.astype(np.complex128), y).astype(x.dtype)


_SMOOTH_ORDER_2 = {"order": 2, "zero_derivative": False}

VARIANTS: dict[str, dict[str, Any]] = {
    "add": {}, "sub": {}, "mul": {}, "div": {}, "pow": {}, "pow/y=0": {},
    "div_absorbing": {}, "mul_absorbing": {},
    "exp": {}, "log": {}, "log1p": {}, "expm1": {}, "sin": {}, "cos": {},
    "tan": {"cases": unary(Domain(-1.0, 1.0))},
    "tanh": {"cases": unary(Domain(-1.0, 1.0))},  # poles at +-i pi/2
    "sqrt": {}, "neg": {},
    # |z| and z / |z| are smooth away from 0 (the domain keeps |Re z| >= 1/8)
    "abs": {"out_dtype": _real_out, **_SMOOTH_ORDER_2},
    "sign": _SMOOTH_ORDER_2,
    "integer_pow": {"reference": _integer_pow_reference},
    "select": {}, "stop_gradient": {}, "add_any": {}, "add_any/0-d": {},
    "eq": {}, "ne": {},
    "reduce_sum": {}, "reduce_prod": {},
    "broadcast_in_dim": {}, "reshape": {}, "transpose": {}, "squeeze": {},
    "expand_dims": {}, "slice": {}, "pad": {}, "rev": {}, "concatenate": {},
    "rev/getitem": {},
    "dot_general": {}, "dot_general/matmul": {}, "dot_general/vdot": {},
    "custom_jvp_call": {}, "custom_vjp_call": {}, "checkpoint": {},
    "solve": {}, "triangular_solve": {},
    "gather": {}, "gather/getitem": {}, "scatter": {}, "scatter_add": {},
    "scatter_mul": {}, "scatter/at.set": {}, "scatter_add/at.add": {},
    "scatter_mul/at.multiply": {},
    "cumsum": {}, "cumprod": {}, "concatenate/roll": {},
    "concatenate/pad-modes": {}, "slice/diagonal": {}, "pad/diag": {},
    "dot_general/einsum": {}, "dot_general/convolve": {},
    "sinh": {}, "cosh": {}, "arcsin": {}, "arccos": {}, "arccosh": {},
    "arctanh": {},
    # branch cuts on the imaginary axis beyond +-i
    "arctan": {"cases": unary(Domain(-0.75, 0.75))},
    "arcsinh": {"cases": unary(Domain(-0.75, 0.75))},
    "exp2": {}, "log2": {}, "log10": {},
    "scan": {},
    **_LINALG,
}  # fmt: skip

_ORDERED = (
    "orders its operands: complex values follow numpy's lexicographic order, "
    "but derivatives there are not checked"
)
_REAL_FUNCTION = "a function of real numbers (numpy refuses complex operands)"

REAL_ONLY: dict[str, str] = {
    "max": _ORDERED, "min": _ORDERED, "reduce_max": _ORDERED,
    "reduce_min": _ORDERED, "argmax": _ORDERED, "argmin": _ORDERED,
    "sort": _ORDERED, "argsort": _ORDERED, "cummax": _ORDERED,
    "cummin": _ORDERED, "scatter_min": _ORDERED, "scatter_max": _ORDERED,
    "scatter_max/at.max": _ORDERED, "scatter_min/at.min": _ORDERED,
    "lt": _ORDERED, "le": _ORDERED, "gt": _ORDERED, "ge": _ORDERED,
    "pow/int": "integer operands", "pow/negative-base": "covered by pow/complex",
    "logistic": "numpy has no logistic; scipy's expit refuses complex",
    "and": "bitwise", "or": "bitwise", "xor": "bitwise", "not": "bitwise",
    "convert_element_type/float": "see convert_element_type/complex",
    "convert_element_type/exact": "see convert_element_type/complex",
    "cbrt": _REAL_FUNCTION, "erf": _REAL_FUNCTION, "erfc": _REAL_FUNCTION,
    "erfinv": _REAL_FUNCTION, "lgamma": _REAL_FUNCTION,
    "digamma": _REAL_FUNCTION, "lgamma/negative": _REAL_FUNCTION,
    "digamma/negative": _REAL_FUNCTION, "polygamma": _REAL_FUNCTION,
    "floor": _REAL_FUNCTION, "ceil": _REAL_FUNCTION, "trunc": _REAL_FUNCTION,
    "rint": "a real primitive; `funcgrad.numpy.rint` rounds each part",
    "signbit": _REAL_FUNCTION, "arctan2": _REAL_FUNCTION,
    "hypot": _REAL_FUNCTION, "fmod": _REAL_FUNCTION, "fmod/int": _REAL_FUNCTION,
    "remainder": _REAL_FUNCTION, "remainder/int": _REAL_FUNCTION,
    "floor_divide": _REAL_FUNCTION,
    "cond": "its spec's predicate compares values (complex branches: test_complex.py)",
    "while": "its spec's loop condition compares values",
    "debug_callback": "an effect, not a function of complex values",
}  # fmt: skip


def _complex_rtol(rtol: Mapping[np.dtype, float]) -> dict[np.dtype, float]:
    return {C64: rtol.get(F32, 1e-6), C128: rtol.get(F64, 1e-12)}


def _variant(base: PrimitiveSpec, changes: Mapping[str, Any]) -> PrimitiveSpec:
    return dataclasses.replace(
        base, name=f"{base.name}/complex", dtypes=COMPLEX,
        rtol=_complex_rtol(base.rtol), shape_errors=(), dtype_errors=(),
        known_bugs=(), **changes,
    )  # fmt: skip


# --- the complex parts --------------------------------------------------------


_PART_ERRORS = {"dtype_errors": (AbstractCase((aval((3,), F64),)),)}


@st.composite
def _parts_case(draw: Any, dtype: np.dtype) -> Case:
    found = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3))
    real = _real_of(dtype)
    x, y = (draw(arrays(real, s)) for s in found.input_shapes)
    return (x, y), {}


def _complex_reference(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (x + 1j * y.astype(np.complex128)).astype(np.result_type(x, 1j))


# --- convert_element_type to, from and between complex dtypes ---------------------


def _convert_from_complex(dtype: np.dtype) -> st.SearchStrategy[Case]:
    targets = [t for t in (C64, C128, F32, F64) if t != dtype]
    return st.tuples(arrays(dtype, shapes()), st.sampled_from(targets)).map(
        lambda c: ((c[0],), {"new_dtype": c[1]})
    )


def _convert_to_complex(dtype: np.dtype) -> st.SearchStrategy[Case]:
    return st.tuples(arrays(_real_of(dtype), shapes())).map(
        lambda c: ((c[0],), {"new_dtype": np.dtype(dtype)})
    )


def _convert_reference(x: np.ndarray, *, new_dtype: np.dtype) -> np.ndarray:
    if x.dtype.kind == "c" and np.dtype(new_dtype).kind != "c":
        x = x.real  # what numpy's astype keeps, without its warning
    return x.astype(new_dtype)


def _new_dtype(dtype: np.dtype, params: Mapping[str, Any]) -> np.dtype:
    return np.dtype(params["new_dtype"])


# --- fft ------------------------------------------------------------------------


def _fft_case(fft_type: str) -> Any:
    @st.composite
    def draw_case(draw: Any, dtype: np.dtype) -> Case:
        lead = draw(shapes(max_dims=2, max_side=2))
        lengths = tuple(
            draw(st.lists(st.integers(1, 5), min_size=1, max_size=3 - len(lead) // 2))
        )
        trailing = lengths
        if fft_type == "irfft":
            trailing = lengths[:-1] + (_fft.half_length(lengths[-1]),)
        operand = _real_of(dtype) if fft_type == "rfft" else dtype
        x = draw(arrays(np.dtype(operand), lead + trailing))
        return (x,), {"fft_lengths": lengths}

    return draw_case


def _fft_fun(fft_type: str) -> Any:
    def fun(x: Any, *, fft_lengths: tuple[int, ...]) -> Any:
        return _fft.fft(x, fft_type, fft_lengths)

    return fun


def _fft_reference(fft_type: str) -> Any:
    numpy_fn = {"fft": np.fft.fftn, "ifft": np.fft.ifftn, "rfft": np.fft.rfftn}

    def reference(x: np.ndarray, *, fft_lengths: tuple[int, ...]) -> np.ndarray:
        axes = tuple(range(x.ndim - len(fft_lengths), x.ndim))
        if fft_type == "irfft":
            return np.fft.irfftn(x, s=fft_lengths, axes=axes)
        return numpy_fn[fft_type](x, axes=axes)

    return reference


def _fft_errors(fft_type: str) -> dict[str, Any]:
    params = {"fft_type": fft_type, "fft_lengths": (4,)}
    operand = F64 if fft_type == "rfft" else C128
    wrong = C128 if fft_type == "rfft" else F64
    return {
        "shape_errors": (
            AbstractCase((aval((2, 5), operand),), params),
            AbstractCase((aval((), operand),), params),
            AbstractCase((aval((4,), operand),), {**params, "fft_lengths": (0,)}),
        ),
        "dtype_errors": (AbstractCase((aval((4,), wrong),), params),),
    }


def _fft_specs() -> list[PrimitiveSpec]:
    rtol = {C64: 2e-5, C128: 1e-12}
    specs = []
    for fft_type in _fft.FFT_TYPES:
        out_dtype = _real_out if fft_type == "irfft" else None
        specs.append(
            PrimitiveSpec(
                f"fft/{fft_type}", _fft.fft_p, _fft_fun(fft_type),
                _fft_reference(fft_type), _fft_case(fft_type), COMPLEX,
                linear=True, out_dtype=out_dtype, rtol=rtol,
                **_fft_errors(fft_type),
            )
        )  # fmt: skip
    return specs


# --- the table ------------------------------------------------------------------


def _own_specs() -> list[PrimitiveSpec]:
    return [
        PrimitiveSpec(
            "real", cp.real_p, cp.real, np.real, unary(), COMPLEX, linear=True,
            out_dtype=_real_out, **_PART_ERRORS,
        ),
        PrimitiveSpec(
            "imag", cp.imag_p, cp.imag, np.imag, unary(), COMPLEX, linear=True,
            out_dtype=_real_out, **_PART_ERRORS,
        ),
        PrimitiveSpec(
            "conj", cp.conj_p, cp.conj, np.conj, unary(), COMPLEX, linear=True,
            **_PART_ERRORS,
        ),
        PrimitiveSpec(
            "complex", cp.complex_p, cp.complex, _complex_reference, _parts_case,
            COMPLEX, linear=True,
            shape_errors=(AbstractCase((aval((2, 3)), aval((4,)))),),
            dtype_errors=(
                AbstractCase((aval((3,), F32), aval((3,)))),
                AbstractCase((aval((3,), I32), aval((3,), I32))),
                AbstractCase((aval((3,), C128), aval((3,), C128))),
            ),
        ),
        PrimitiveSpec(
            "convert_element_type/complex", ew.convert_element_type_p,
            lax.convert_element_type, _convert_reference, _convert_from_complex,
            COMPLEX, linear=True, out_dtype=_new_dtype,
            # one side may be single precision
            grad_options={"eps": 1e-3, "atol": 1e-3, "rtol": 1e-3},
        ),
        PrimitiveSpec(
            "convert_element_type/to-complex", ew.convert_element_type_p,
            lax.convert_element_type, _convert_reference, _convert_to_complex,
            COMPLEX, linear=True, out_dtype=_new_dtype,
        ),
    ]  # fmt: skip


def complex_specs(base: Sequence[PrimitiveSpec]) -> list[PrimitiveSpec]:
    """The complex specs, given the real ones they vary."""
    # a name that is not in the table is reported by test_complex.py's
    # meta-test (failing here would stop every spec's tests from running)
    by_name = {s.name: s for s in base}
    variants = [
        _variant(by_name[name], changes)
        for name, changes in VARIANTS.items()
        if name in by_name
    ]
    return variants + _own_specs() + _fft_specs()
