"""numpy's static helpers that accept traced arrays (`result_type`,
`can_cast`, `finfo`, ...), `astype`, and the functions whose result's shape
depends on the values (`nonzero`, `unique`, ...): those work on concrete
arrays only and raise a `ConcretizationError` under a transform.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad.core import Tracer, get_aval
from funcgrad.errors import FuncgradValueError
from funcgrad.numpy._arrays import take_static
from funcgrad.numpy._util import (
    as_operand,
    cast,
    is_eager,
    result_dtype,
    to_ndarray,
)
from funcgrad.primitives import _shape as shape_ops
from funcgrad.primitives._util import normalize_axis

# --- dtypes and other static helpers --------------------------------------------


def _dtype_of(x: Any) -> Any:
    if isinstance(x, Tracer):
        return x.aval.dtype
    return x.dtype if isinstance(x, np.ndarray | np.generic) else x


def result_type(*arrays_and_dtypes: Any) -> np.dtype:
    """`numpy.result_type`, accepting traced arrays (Python scalars weak)."""
    plain = [a for a in arrays_and_dtypes if not _is_dtype_like(a)]
    dtypes = [np.dtype(a) for a in arrays_and_dtypes if _is_dtype_like(a)]
    return np.result_type(*dtypes, *([result_dtype(*plain)] if plain else []))


def _is_dtype_like(a: Any) -> bool:
    return isinstance(a, np.dtype | str | type)


def can_cast(from_: Any, to: Any, casting: str = "safe") -> bool:
    """`numpy.can_cast`, accepting traced arrays."""
    return bool(
        np.can_cast(
            _dtype_of(from_) if isinstance(from_, Tracer) else from_, to, casting
        )
    )


def finfo(dtype: Any) -> Any:
    """`numpy.finfo`, accepting traced arrays."""
    return np.finfo(_dtype_of(dtype))


def iinfo(dtype: Any) -> Any:
    """`numpy.iinfo`, accepting traced arrays."""
    return np.iinfo(_dtype_of(dtype))


def iscomplexobj(x: Any) -> bool:
    """`numpy.iscomplexobj`: whether the dtype is complex (traced too)."""
    return (
        np.dtype(_dtype_of(x) if isinstance(x, Tracer) else np.asarray(x).dtype).kind
        == "c"
    )


def isrealobj(x: Any) -> bool:
    """`numpy.isrealobj`: whether the dtype is not complex (traced too)."""
    return not iscomplexobj(x)


def astype(x: Any, dtype: Any, /, *, copy: bool = True) -> Any:
    """`numpy.astype`: `x` converted to `dtype`."""
    if is_eager(x):
        return to_ndarray(np.astype(np.asarray(x), dtype, copy=copy))
    return cast(as_operand(x), dtype)


def _concrete_only(name: str) -> Any:
    numpy_fn = getattr(np, name)

    def fn(*args: Any, **kwargs: Any) -> Any:
        for arg in [*args, *kwargs.values()]:
            if isinstance(arg, Tracer):
                arg.concrete_value(
                    f"`funcgrad.numpy.{name}` (its result's shape depends on "
                    f"the values, so it works on concrete arrays only)"
                )
        out = numpy_fn(*args, **kwargs)
        if isinstance(out, tuple):
            return tuple(to_ndarray(o) for o in out)
        return to_ndarray(out)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (
        f"`numpy.{name}` on concrete arrays. Its result's shape depends on "
        f"the values, so under a transform it raises a `ConcretizationError`."
    )
    return fn


nonzero = _concrete_only("nonzero")
flatnonzero = _concrete_only("flatnonzero")
argwhere = _concrete_only("argwhere")
unique = _concrete_only("unique")
extract = _concrete_only("extract")
trim_zeros = _concrete_only("trim_zeros")
bincount = _concrete_only("bincount")


def compress(condition: Any, a: Any, axis: int | None = None) -> Any:
    """`numpy.compress` with a concrete `condition` (the elements kept decide
    the result's shape); `a` may be traced and differentiated."""
    if is_eager(condition, a):
        return to_ndarray(np.compress(condition, a, axis))
    if isinstance(condition, Tracer):
        condition.concrete_value(
            "`compress`'s condition (it decides the result's shape, so it "
            "must be concrete)"
        )
    x = as_operand(a)
    if axis is None:
        x, axis = shape_ops.reshape(x, (get_aval(x).size,)), 0
    ax = normalize_axis("compress", axis, get_aval(x).ndim)
    keep = np.flatnonzero(np.asarray(condition, bool).ravel())
    if keep.size and keep[-1] >= get_aval(x).shape[ax]:
        raise FuncgradValueError(
            f"`compress`: condition is longer than axis {ax} of shape "
            f"{get_aval(x).shape}."
        )
    return take_static(x, keep, ax)
