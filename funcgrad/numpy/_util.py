"""What every `funcgrad.numpy` function needs: telling whether a call can
take numpy's own path, turning arguments into arrays or tracers, and
numpy's dtype promotion (Python scalars are weak, as in numpy 2).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad.core import Tracer, get_aval, trace_state
from funcgrad.errors import FuncgradTypeError
from funcgrad.primitives import _elementwise as ew

_BASE = trace_state.dynamic


def is_eager(*args: Any) -> bool:
    """True when no argument is traced and nothing is being staged, so numpy
    itself can compute the result (the cheap path outside transforms)."""
    if trace_state.dynamic is not _BASE:
        return False
    for a in args:
        if isinstance(a, Tracer):
            return False
    return True


def remember_square(root: Any, square: Any) -> Any:
    """Note on a traced `root`, computed as the square root of `square`
    (which is >= 0, so `root ** 2 == square` up to rounding), that squaring
    it may return `square` itself: see `known_square`."""
    if isinstance(root, Tracer):
        root._square_of = square
    return root


def known_square(x: Any) -> Any:
    """The value `remember_square` noted on `x`, or None. `square`,
    `power(x, 2)` and `multiply(x, x)` return it instead of squaring, which
    keeps the derivatives of `norm(x) ** 2` those of the sum of squares
    (Hessian 2I at 0, where the chain rule through the root gives 0)."""
    return x._square_of if isinstance(x, Tracer) else None


def to_ndarray(result: Any) -> np.ndarray:
    """numpy returns scalars for 0-d results; funcgrad returns arrays."""
    return result if type(result) is np.ndarray else np.asarray(result)


def as_operand(x: Any) -> Any:
    """A tracer as it is; anything else as a numpy array (or a TypeError)."""
    if isinstance(x, Tracer):
        return x
    if isinstance(x, list | tuple) and any(isinstance(e, Tracer) for e in _flat(x)):
        from funcgrad.numpy._creation import array

        return array(x)
    try:
        arr = np.asarray(x)
    except Exception as err:  # numpy's own conversion error, reworded
        raise FuncgradTypeError(
            f"funcgrad.numpy cannot use a {type(x).__name__} as an array: {err}"
        ) from None
    if arr.dtype.kind not in "biufc":
        raise FuncgradTypeError(
            f"funcgrad.numpy cannot use a {type(x).__name__} of dtype "
            f"{arr.dtype} as an array; only boolean, integer, floating and "
            f"complex values can be traced."
        )
    return arr


def _flat(seq: Any) -> list[Any]:
    out = []
    for e in seq:
        out.extend(_flat(e) if isinstance(e, list | tuple) else [e])
    return out


_WEAK_EXAMPLES = {"b": False, "i": 0, "u": 0, "f": 0.0, "c": 0j}


def _dtype_or_weak(x: Any) -> Any:
    if isinstance(x, Tracer):
        aval = x.aval
        if aval.weak_type:
            return _WEAK_EXAMPLES.get(aval.dtype.kind, aval.dtype)
        return aval.dtype
    if type(x) in (int, float, complex, bool):
        return x
    return np.asarray(x).dtype


def result_dtype(*args: Any) -> np.dtype:
    """numpy's promotion, Python scalars weak (`float32 * 2.0` is float32)."""
    return np.result_type(*(_dtype_or_weak(a) for a in args))


def promote(*args: Any) -> list[Any]:
    """Bring all operands to their common dtype."""
    dtype = result_dtype(*args)
    return [cast(as_operand_scalar(a, dtype), dtype) for a in args]


def as_operand_scalar(x: Any, dtype: np.dtype) -> Any:
    if type(x) in (int, float, complex, bool):
        return np.asarray(x, dtype=dtype)
    return as_operand(x)


def cast(x: Any, dtype: Any) -> Any:
    dtype = np.dtype(dtype)
    if isinstance(x, Tracer):
        return ew.convert_element_type(x, dtype)
    return x if x.dtype == dtype else x.astype(dtype)


@functools.cache
def inexact_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype numpy computes `sin` of `dtype` in (ints become floats)."""
    if dtype.kind in "fc":
        return dtype
    return np.promote_types(dtype, np.float16)


def to_inexact(x: Any) -> Any:
    x = as_operand(x)
    return cast(x, inexact_dtype(get_aval(x).dtype))


def shape_of(x: Any) -> tuple[int, ...]:
    return get_aval(x).shape if isinstance(x, Tracer) else np.shape(x)


def normalize_axis_arg(axis: Any, ndim: int, name: str) -> tuple[int, ...]:
    """numpy's `axis=None | int | tuple` as a sorted tuple of axes."""
    from funcgrad.primitives._util import normalize_axes

    return normalize_axes(name, axis, ndim)


def sequence_of_operands(arrays: Sequence[Any], name: str) -> list[Any]:
    if isinstance(arrays, Tracer) or isinstance(arrays, np.ndarray):
        return [arrays[i] for i in range(shape_of(arrays)[0])]
    if not isinstance(arrays, list | tuple):
        raise FuncgradTypeError(
            f"`{name}` takes a sequence of arrays, got {type(arrays).__name__}."
        )
    return [as_operand(a) for a in arrays]
