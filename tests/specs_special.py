"""Primitive specs for `funcgrad.primitives._math` (hyperbolic and inverse
trigonometric functions, rounding, remainders, erf, lgamma, digamma,
polygamma) and for `pow` at a negative base, for the table in
`primitive_specs.py`.

numpy is the oracle where it has the function, scipy.special otherwise.
Remainders are drawn where `x / y` is far from an integer (odd multiples of
1/4 over multiples of 1/2), so the finite differences never straddle a jump;
rounding is drawn on the odd quarter-grid, away from integers and halves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.special as sp
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from primitive_specs import (
    ANY,
    BOOL,
    FLOATS,
    I32,
    INTS,
    NONZERO,
    POSITIVE,
    QUARTERS,
    AbstractCase,
    Case,
    Domain,
    PrimitiveSpec,
    arrays,
    aval,
    nary,
    shapes,
    unary,
)

import funcgrad.lax as lax
from funcgrad.core import get_aval
from funcgrad.primitives import _elementwise as ew
from funcgrad.primitives import _math as mp

_FLOAT_ONLY = (AbstractCase((aval((3,), I32),)),)
_BINARY_ERRORS = {
    "shape_errors": (AbstractCase((aval((2, 3)), aval((4,)))),),
    "dtype_errors": (AbstractCase((aval((3,), np.dtype(np.float32)), aval((3,)))),),
}


def _boolean(dtype: np.dtype, params: Any) -> np.dtype:
    return BOOL


def _scipy(fn: Callable[..., Any]) -> Callable[..., np.ndarray]:
    """A scipy function whose result keeps the operand's dtype."""

    def reference(x: np.ndarray, **params: Any) -> np.ndarray:
        return np.asarray(fn(x, **params)).astype(x.dtype)

    return reference


def _polygamma(x: np.ndarray, *, n: int) -> np.ndarray:
    return np.asarray(sp.polygamma(n, x)).astype(x.dtype)


def _polygamma_cases(dtype: np.dtype) -> st.SearchStrategy[Case]:
    return st.tuples(arrays(dtype, shapes(), POSITIVE), st.integers(1, 3)).map(
        lambda c: ((c[0],), {"n": c[1]})
    )


# --- remainders: x an odd multiple of 1/4, y a nonzero multiple of 1/2 ----------


def _divisors(dtype: np.dtype) -> st.SearchStrategy[float]:
    if dtype.kind in "iu":
        return st.sampled_from([-3, -2, -1, 1, 2, 3])
    return st.sampled_from([-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0])


@st.composite
def _division_case(draw: Any, dtype: np.dtype) -> Case:
    found = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3))
    x_shape, y_shape = found.input_shapes
    x_domain = Domain(-7.0, 7.0) if dtype.kind in "iu" else QUARTERS
    x = draw(arrays(dtype, x_shape, x_domain))
    y = draw(hnp.arrays(dtype, y_shape, elements=_divisors(dtype)))
    return (x, y), {}


# --- pow at a negative base, its exponent a constant float ----------------------


def _pow_constant(x: Any, *, y: float) -> Any:
    return lax.pow(x, np.asarray(y, get_aval(x).dtype))


def _pow_constant_reference(x: np.ndarray, *, y: float) -> np.ndarray:
    return np.power(x, np.asarray(y, x.dtype))


def _pow_constant_cases(dtype: np.dtype) -> st.SearchStrategy[Case]:
    exponents = st.sampled_from([0.0, 1.0, 2.0, 3.0, -1.0, -2.0])
    return st.tuples(arrays(dtype, shapes(), NONZERO), exponents).map(
        lambda c: ((c[0],), {"y": c[1]})
    )


def _unary_specs() -> list[PrimitiveSpec]:
    specs = []
    for name, reference, domain in [
        ("sinh", np.sinh, ANY),
        ("cosh", np.cosh, ANY),
        ("arcsin", np.arcsin, Domain(-0.875, 0.875)),
        ("arccos", np.arccos, Domain(-0.875, 0.875)),
        ("arctan", np.arctan, Domain(-3.0, 3.0)),
        ("arcsinh", np.arcsinh, Domain(-3.0, 3.0)),
        ("arccosh", np.arccosh, Domain(1.25, 4.0)),
        ("arctanh", np.arctanh, Domain(-0.75, 0.75)),
        ("exp2", np.exp2, ANY),
        ("log2", np.log2, POSITIVE),
        ("log10", np.log10, POSITIVE),
        ("cbrt", np.cbrt, NONZERO),
        ("erf", _scipy(sp.erf), ANY),
        ("erfc", _scipy(sp.erfc), ANY),
        ("erfinv", _scipy(sp.erfinv), Domain(-0.875, 0.875)),
        ("lgamma", _scipy(sp.gammaln), POSITIVE),
        ("digamma", _scipy(sp.digamma), POSITIVE),
    ]:
        specs.append(
            PrimitiveSpec(
                name, getattr(mp, f"{name}_p"), getattr(lax, name), reference,
                unary(domain), dtype_errors=_FLOAT_ONLY,
            )
        )  # fmt: skip
    # between the poles at 0, -1, -2: the reflection formulas
    for name, reference in [("lgamma", sp.gammaln), ("digamma", sp.digamma)]:
        specs.append(
            PrimitiveSpec(
                f"{name}/negative", getattr(mp, f"{name}_p"), getattr(lax, name),
                _scipy(reference), unary(Domain(-1.75, -1.25)),
            )
        )  # fmt: skip
    specs.append(
        PrimitiveSpec(
            "polygamma", mp.polygamma_p, _polygamma_primitive, _polygamma,
            _polygamma_cases,
            dtype_errors=(AbstractCase((aval((3,), I32),), {"n": 1}),),
        )
    )  # fmt: skip
    for name in ("floor", "ceil", "rint", "trunc"):
        specs.append(
            PrimitiveSpec(
                name, getattr(mp, f"{name}_p"), getattr(lax, name),
                getattr(np, name), unary(QUARTERS), order=1,
                zero_derivative=True, dtype_errors=_FLOAT_ONLY,
            )
        )  # fmt: skip
    specs.append(
        PrimitiveSpec(
            "signbit", mp.signbit_p, lax.signbit, np.signbit, unary(ANY),
            order=0, zero_derivative=True, out_dtype=_boolean,
            dtype_errors=_FLOAT_ONLY,
        )
    )  # fmt: skip
    return specs


def _polygamma_primitive(x: Any, *, n: int) -> Any:
    return lax.polygamma(n, x)


def _binary_specs() -> list[PrimitiveSpec]:
    return [
        # y away from 0: the branch cut along the negative x axis
        PrimitiveSpec(
            "arctan2", mp.arctan2_p, lax.arctan2, np.arctan2,
            nary(NONZERO, ANY), **_BINARY_ERRORS,
        ),
        PrimitiveSpec(
            "hypot", mp.hypot_p, lax.hypot, np.hypot, nary(NONZERO, ANY),
            **_BINARY_ERRORS,
        ),
        PrimitiveSpec(
            "fmod", mp.fmod_p, lax.fmod, np.fmod, _division_case,
            **_BINARY_ERRORS,
        ),
        PrimitiveSpec(
            "fmod/int", mp.fmod_p, lax.fmod, np.fmod, _division_case, INTS,
            order=0,
        ),
        PrimitiveSpec(
            "remainder", mp.remainder_p, lax.remainder, np.remainder,
            _division_case, **_BINARY_ERRORS,
        ),
        PrimitiveSpec(
            "remainder/int", mp.remainder_p, lax.remainder, np.remainder,
            _division_case, INTS, order=0,
        ),
        PrimitiveSpec(
            "floor_divide", mp.floor_divide_p, lax.floor_divide,
            np.floor_divide, _division_case, FLOATS + INTS, order=1,
            zero_derivative=True, **_BINARY_ERRORS,
        ),
        PrimitiveSpec(
            "pow/negative-base", ew.pow_p, _pow_constant,
            _pow_constant_reference, _pow_constant_cases,
        ),
    ]  # fmt: skip


def special_specs() -> list[PrimitiveSpec]:
    """The specs of this module, for `primitive_specs.SPECS`."""
    return _unary_specs() + _binary_specs()
