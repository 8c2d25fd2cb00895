"""Primitive specs for the cumulative primitives (cumsum, cumprod, cummax,
cummin) and for array functions of `funcgrad.numpy` built on the shape
primitives, for the table in `primitive_specs.py`.

`cumprod` draws values on a grid that contains 0, so its derivatives are
checked against finite differences exactly where a rule that divided by
the input would fail.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from primitive_specs import (
    ALL,
    ANY,
    BOOL,
    DISTINCT,
    F32,
    F64,
    NUMERIC,
    AbstractCase,
    Case,
    Domain,
    PrimitiveSpec,
    arrays,
    aval,
    shapes,
)

import funcgrad.numpy as fnp
from funcgrad.primitives import _cumulative as cumulative
from funcgrad.primitives import _linalg as linalg
from funcgrad.primitives import _shape as shape_ops

# Multiples of 1/2 in [-1.5, 1.5]: zeros appear often.
WITH_ZEROS = Domain(-1.5, 1.5, step=0.5)


def _cumulative_cases(domain: Domain) -> Any:
    @st.composite
    def draw_case(draw: Any, dtype: np.dtype) -> Case:
        x = draw(arrays(dtype, shapes(min_dims=1, max_side=4), domain))
        axis = draw(st.integers(0, x.ndim - 1))
        return (x,), {"axis": axis, "reverse": draw(st.booleans())}

    return draw_case


def _cumulative_reference(name: str) -> Any:
    numpy_fn = {
        "cumsum": np.cumsum,
        "cumprod": np.cumprod,
        "cummax": np.maximum.accumulate,
        "cummin": np.minimum.accumulate,
    }[name]

    def reference(x: np.ndarray, *, axis: int, reverse: bool) -> np.ndarray:
        kwargs = {"dtype": x.dtype} if name in ("cumsum", "cumprod") else {}
        y = np.flip(x, axis) if reverse else x
        out = numpy_fn(y, axis=axis, **kwargs)
        return np.flip(out, axis) if reverse else out

    return reference


def _cumulative_specs() -> list[PrimitiveSpec]:
    bad_axis = AbstractCase((aval((2, 3)),), {"axis": 2, "reverse": False})
    specs = []
    for name, domain, dtypes, order in [
        ("cumsum", ANY, NUMERIC, 2),
        ("cumprod", WITH_ZEROS, NUMERIC, 2),
        ("cummax", DISTINCT, ALL, 1),
        ("cummin", DISTINCT, ALL, 1),
    ]:
        dtype_errors = ()
        if name in ("cumsum", "cumprod"):
            dtype_errors = (
                AbstractCase((aval((3,), BOOL),), {"axis": 0, "reverse": False}),
            )
        specs.append(
            PrimitiveSpec(
                name, getattr(cumulative, f"{name}_p"),
                getattr(cumulative, name), _cumulative_reference(name),
                _cumulative_cases(domain), dtypes, order=order,
                linear=name == "cumsum", rtol={F32: 1e-5, F64: 1e-12},
                shape_errors=(bad_axis,), dtype_errors=dtype_errors,
            )
        )  # fmt: skip
    return specs


# --- funcgrad.numpy functions built on the shape primitives -------------------


@st.composite
def _roll_case(draw: Any, dtype: np.dtype) -> Case:
    x = draw(arrays(dtype, shapes(min_dims=1, min_side=2, max_side=4)))
    axis = draw(st.integers(-x.ndim, x.ndim - 1))
    n = x.shape[axis]
    # A shift that is not a multiple of the length moves elements.
    shift = draw(st.integers(1, n - 1)) + n * draw(st.integers(-1, 1))
    return (x,), {"shift": shift, "axis": axis}


def _roll(x: Any, *, shift: int, axis: int) -> Any:
    return fnp.roll(x, shift, axis)


def _roll_reference(x: np.ndarray, *, shift: int, axis: int) -> np.ndarray:
    return np.roll(x, shift, axis)


@st.composite
def _pad_case(draw: Any, dtype: np.dtype) -> Case:
    x = draw(arrays(dtype, shapes(min_dims=1, min_side=2, max_side=3)))
    widths = [(draw(st.integers(0, 4)), draw(st.integers(0, 4))) for _ in range(x.ndim)]
    widths[0] = (max(widths[0][0], 1), widths[0][1])
    mode = draw(st.sampled_from(["reflect", "symmetric", "wrap", "edge"]))
    return (x,), {"pad_width": tuple(widths), "mode": mode}


def _pad(x: Any, *, pad_width: tuple, mode: str) -> Any:
    return fnp.pad(x, pad_width, mode=mode)


def _pad_reference(x: np.ndarray, *, pad_width: tuple, mode: str) -> np.ndarray:
    return np.pad(x, pad_width, mode=mode)


@st.composite
def _diagonal_case(draw: Any, dtype: np.dtype) -> Case:
    x = draw(arrays(dtype, shapes(min_dims=2, min_side=1, max_side=4)))
    axis1, axis2 = draw(st.permutations(range(x.ndim)))[:2]
    offset = draw(st.integers(-2, 2))
    return (x,), {"offset": offset, "axis1": axis1, "axis2": axis2}


def _diagonal(x: Any, **params: Any) -> Any:
    return fnp.diagonal(x, **params)


def _diagonal_reference(x: np.ndarray, **params: Any) -> np.ndarray:
    return np.diagonal(x, **params)


@st.composite
def _diag_case(draw: Any, dtype: np.dtype) -> Case:
    x = draw(arrays(dtype, st.integers(1, 4).map(lambda n: (n,))))
    return (x,), {"k": draw(st.integers(-2, 2))}


def _diag(x: Any, *, k: int) -> Any:
    return fnp.diag(x, k)


def _diag_reference(x: np.ndarray, *, k: int) -> np.ndarray:
    return np.diag(x, k)


_EINSUM_SUBSCRIPTS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("ii->i", [(3, 3)]),
    ("ij,ij->", [(2, 3), (2, 3)]),
    ("i,j->ij", [(2,), (3,)]),
    ("...ij,...jk", [(2, 1, 2, 3), (4, 3, 2)]),
    ("ijk,kj,i->j", [(2, 3, 2), (2, 3), (2,)]),
    ("iij->ji", [(2, 2, 3)]),
]


@st.composite
def _einsum_case(draw: Any, dtype: np.dtype) -> Case:
    subscripts, operand_shapes = draw(st.sampled_from(_EINSUM_SUBSCRIPTS))
    operands = tuple(draw(arrays(dtype, s)) for s in operand_shapes)
    return operands, {"subscripts": subscripts}


def _einsum(*operands: Any, subscripts: str) -> Any:
    return fnp.einsum(subscripts, *operands)


def _einsum_reference(*operands: np.ndarray, subscripts: str) -> np.ndarray:
    if operands[0].dtype.kind == "f":
        operands = tuple(x.astype(np.float64) for x in operands)
    return np.einsum(subscripts, *operands)


@st.composite
def _convolve_case(draw: Any, dtype: np.dtype) -> Case:
    a = draw(arrays(dtype, st.integers(1, 5).map(lambda n: (n,))))
    v = draw(arrays(dtype, st.integers(1, 5).map(lambda n: (n,))))
    mode = draw(st.sampled_from(["full", "same", "valid"]))
    return (a, v), {"mode": mode, "flip": draw(st.booleans())}


def _convolve(a: Any, v: Any, *, mode: str, flip: bool) -> Any:
    return (fnp.convolve if flip else fnp.correlate)(a, v, mode)


def _convolve_reference(a: np.ndarray, v: np.ndarray, *, mode: str, flip: bool) -> Any:
    if a.dtype.kind == "f":
        a, v = a.astype(np.float64), v.astype(np.float64)
    return (np.convolve if flip else np.correlate)(a, v, mode)


def _numpy_function_specs() -> list[PrimitiveSpec]:
    products = {F32: 1e-5, F64: 1e-12}
    return [
        PrimitiveSpec(
            "concatenate/roll", shape_ops.concatenate_p, _roll, _roll_reference,
            _roll_case, ALL, linear=True,
        ),
        PrimitiveSpec(
            "concatenate/pad-modes", shape_ops.concatenate_p, _pad,
            _pad_reference, _pad_case, ALL, linear=True,
        ),
        PrimitiveSpec(
            "slice/diagonal", shape_ops.slice_p, _diagonal, _diagonal_reference,
            _diagonal_case, ALL, linear=True,
        ),
        PrimitiveSpec(
            "pad/diag", shape_ops.pad_p, _diag, _diag_reference, _diag_case, ALL,
            linear=True,
        ),
        PrimitiveSpec(
            "dot_general/einsum", linalg.dot_general_p, _einsum, _einsum_reference,
            lambda dtype: _einsum_case(dtype).filter(
                lambda c: len(c[0]) > 1 or "ii" not in c[1]["subscripts"]
            ),
            NUMERIC, linear=True, rtol=products,
        ),
        PrimitiveSpec(
            "dot_general/convolve", linalg.dot_general_p, _convolve,
            _convolve_reference, _convolve_case, NUMERIC, linear=True,
            rtol=products,
        ),
    ]  # fmt: skip


def array_specs() -> list[PrimitiveSpec]:
    """The specs this module contributes to `primitive_specs.SPECS`."""
    return _cumulative_specs() + _numpy_function_specs()
