"""Give traced values numpy's operators and array methods.

`funcgrad.core.Tracer` knows nothing of numpy semantics; this module, run on
import of `funcgrad.numpy`, installs them, so `x + 1`, `x @ w`, `x.T`,
`x.sum(axis=0)`, `x[1:, None]` and `x.at[i].add(v)` behave on traced values
as on arrays. A numpy ufunc applied to a tracer (`numpy.sin(x)`, or
`array * x`) is routed to the `funcgrad.numpy` function of the same name.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad.core import Tracer
from funcgrad.errors import FuncgradTypeError
from funcgrad.numpy import (
    _arrays,
    _complex,
    _creation,
    _indexing,
    _linalg,
    _reductions,
    _shape,
    _ufuncs,
)
from funcgrad.numpy._util import cast


def _swap(fn: Any) -> Any:
    def reflected(self: Any, other: Any) -> Any:
        return fn(other, self)

    return reflected


def _method(fn: Any) -> Any:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.pop("out", None) is not None:
            raise FuncgradTypeError(
                f"`{fn.__name__}(..., out=...)` cannot write into an array "
                f"inside a transform; use the returned value instead."
            )
        return fn(self, *args, **kwargs)

    method.__name__ = fn.__name__
    return method


def _reshape_method(self: Any, *shape: Any, order: str = "C") -> Any:
    if len(shape) == 1 and not isinstance(shape[0], int | np.integer):
        shape = shape[0]
    return _shape.reshape(self, shape, order=order)


def _transpose_method(self: Any, *axes: Any) -> Any:
    if len(axes) == 1 and not isinstance(axes[0], int | np.integer):
        axes = axes[0]
    return _shape.transpose(self, axes or None)


def _astype(self: Any, dtype: Any, copy: bool = True) -> Any:
    return cast(self, dtype)


def _sort_method(self: Any, *args: Any, **kwargs: Any) -> None:
    raise FuncgradTypeError(
        "`x.sort()` sorts in place, and a traced array cannot be changed: "
        "use the sorted copy `x = funcgrad.numpy.sort(x)` instead."
    )


def _take_method(self: Any, indices: Any, axis: Any = None, mode: Any = None) -> Any:
    return _indexing.take(self, indices, axis=axis, mode=mode)


def _argsort_method(self: Any, axis: Any = -1, kind: Any = None) -> Any:
    return _indexing.argsort(self, axis=axis, kind=kind)


def _item(self: Any, *args: Any) -> Any:
    return np.asarray(self.lossy_concrete_value("`.item()`")).item(*args)


def _tolist(self: Any) -> Any:
    return np.asarray(self.lossy_concrete_value("`.tolist()`")).tolist()


_OPERATORS = {
    "__add__": _ufuncs.add,
    "__sub__": _ufuncs.subtract,
    "__mul__": _ufuncs.multiply,
    "__truediv__": _ufuncs.divide,
    "__pow__": _ufuncs.power,
    "__matmul__": _linalg.matmul,
    "__and__": _ufuncs.bitwise_and,
    "__or__": _ufuncs.bitwise_or,
    "__xor__": _ufuncs.bitwise_xor,
    "__floordiv__": _ufuncs.floor_divide,
    "__mod__": _ufuncs.remainder,
    "__divmod__": _ufuncs.divmod,
}

_COMPARISONS = {
    "__eq__": _ufuncs.equal,
    "__ne__": _ufuncs.not_equal,
    "__lt__": _ufuncs.less,
    "__le__": _ufuncs.less_equal,
    "__gt__": _ufuncs.greater,
    "__ge__": _ufuncs.greater_equal,
}

_UNARY = {
    "__neg__": _ufuncs.negative,
    "__pos__": _ufuncs.positive,
    "__abs__": _ufuncs.absolute,
    "__invert__": _ufuncs.invert,
}

_METHODS = {
    "sum": _reductions.sum,
    "mean": _reductions.mean,
    "prod": _reductions.prod,
    "max": _reductions.max,
    "min": _reductions.min,
    "var": _reductions.var,
    "std": _reductions.std,
    "argmax": _reductions.argmax,
    "argmin": _reductions.argmin,
    "ravel": _shape.ravel,
    "flatten": _shape.ravel,
    "squeeze": _shape.squeeze,
    "swapaxes": _shape.swapaxes,
    "dot": _linalg.dot,
    "clip": _ufuncs.clip,
    "copy": _creation.copy,
    "all": _reductions.all,
    "any": _reductions.any,
    "round": _ufuncs.round,
    "cumsum": _arrays.cumsum,
    "cumprod": _arrays.cumprod,
    "diagonal": _arrays.diagonal,
    "trace": _arrays.trace,
    "repeat": _arrays.repeat,
    "conj": _complex.conjugate,
    "conjugate": _complex.conjugate,
}


def _array_ufunc(
    self: Any, ufunc: Any, method: str, *inputs: Any, **kwargs: Any
) -> Any:
    from funcgrad import numpy as fnp

    name = ufunc.__name__
    fn = getattr(fnp, name, None)
    if method == "__call__" and fn is not None and not kwargs:
        return fn(*inputs)
    if fn is None:
        advice = (
            f"`funcgrad.numpy` has no `{name}` yet; compute it outside the "
            f"transformed function, or express it with the functions "
            f"`funcgrad.numpy` has."
        )
    else:
        advice = f"Call `funcgrad.numpy.{name}` directly (without `out=` or `where=`)."
    raise FuncgradTypeError(
        f"`numpy.{name}` (method {method!r}) was applied to a traced value; "
        f"numpy cannot compute on funcgrad's tracers. {advice}"
    )


def _not_yet(symbol: str, name: str) -> Any:
    def refuse(self: Any, *args: Any) -> Any:
        raise FuncgradTypeError(
            f"`{symbol}` ({name}) is not supported on traced arrays yet. "
            f"Compute it outside the transformed function, or with the "
            f"functions `funcgrad.numpy` has."
        )

    return refuse


def install() -> None:
    for name, fn in _OPERATORS.items():
        setattr(Tracer, name, _method(fn))
        setattr(Tracer, "__r" + name[2:], _swap(fn))
    for name, fn in {**_COMPARISONS, **_UNARY}.items():
        setattr(Tracer, name, _method(fn))
    for name, fn in _METHODS.items():
        setattr(Tracer, name, _method(fn))
    for dunder, symbol, what in [
        ("__lshift__", "<<", "bit shifts"),
        ("__rshift__", ">>", "bit shifts"),
        ("__round__", "round", "Python's rounding; use `funcgrad.numpy.round`"),
    ]:
        setattr(Tracer, dunder, _not_yet(symbol, what))
    Tracer.__hash__ = Tracer.__dict__["__hash__"]  # keep unhashable after __eq__
    Tracer.__getitem__ = _indexing.getitem  # type: ignore[attr-defined]
    Tracer.__setitem__ = _indexing.setitem  # type: ignore[attr-defined]
    Tracer.at = property(_indexing.at)  # type: ignore[attr-defined]
    Tracer.sort = _sort_method  # type: ignore[attr-defined]
    Tracer.take = _take_method  # type: ignore[attr-defined]
    Tracer.argsort = _argsort_method  # type: ignore[attr-defined]
    Tracer.__array_ufunc__ = _array_ufunc  # type: ignore[attr-defined]
    Tracer.reshape = _reshape_method  # type: ignore[attr-defined]
    Tracer.transpose = _transpose_method  # type: ignore[attr-defined]
    Tracer.astype = _astype  # type: ignore[attr-defined]
    Tracer.item = _item  # type: ignore[attr-defined]
    Tracer.tolist = _tolist  # type: ignore[attr-defined]
    Tracer.T = property(lambda self: _shape.transpose(self))  # type: ignore[attr-defined]
    Tracer.real = property(_complex.real)  # type: ignore[attr-defined]
    Tracer.imag = property(_complex.imag)  # type: ignore[attr-defined]
