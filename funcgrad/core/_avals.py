"""Abstract values: what a traced value is known to be (shape and dtype).

A transform never looks at numbers while it traces; it looks at avals. This
module also turns concrete inputs (numpy arrays, numpy scalars, Python
numbers) into avals, and names dtypes the short way the printer uses them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad.errors import FuncgradTypeError

_SHORT_NAMES = {
    "float16": "f16",
    "float32": "f32",
    "float64": "f64",
    "int8": "i8",
    "int16": "i16",
    "int32": "i32",
    "int64": "i64",
    "uint8": "u8",
    "uint16": "u16",
    "uint32": "u32",
    "uint64": "u64",
    "bool": "bool",
    "complex64": "c64",
    "complex128": "c128",
}


class ShapedArray:
    """The abstract value of an array: its shape and its dtype.

    `weak_type` marks a value that came from a Python scalar passed to
    `jit`: numpy promotion treats it as weak (`float32 * x` stays float32),
    as it would the scalar itself. It is a promotion hint, not part of the
    type, so it takes no part in equality.
    """

    __slots__ = ("dtype", "shape", "weak_type")

    def __init__(
        self, shape: tuple[int, ...], dtype: Any, weak_type: bool = False
    ) -> None:
        # The common cases (a tuple of ints, an np.dtype) skip conversion:
        # avals are built for every traced operation.
        self.shape = shape if type(shape) is tuple else tuple(int(d) for d in shape)
        self.dtype = (
            dtype
            if type(dtype) is np.dtype or isinstance(dtype, np.dtype)
            else np.dtype(dtype)
        )
        self.weak_type = weak_type

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    def str_short(self) -> str:
        dims = ",".join(str(d) for d in self.shape)
        return f"{short_dtype_name(self.dtype)}[{dims}]"

    def update(self, shape: Any = None, dtype: Any = None) -> ShapedArray:
        return ShapedArray(
            self.shape if shape is None else shape,
            self.dtype if dtype is None else dtype,
        )

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is ShapedArray
            and self.shape == other.shape
            and self.dtype == other.dtype
        )

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype))

    def __repr__(self) -> str:
        return f"ShapedArray({self.str_short()})"


def short_dtype_name(dtype: Any) -> str:
    name = np.dtype(dtype).name
    return _SHORT_NAMES.get(name, name)


def is_inexact(dtype: Any) -> bool:
    """True for the dtypes that carry derivatives (floating and complex)."""
    return np.issubdtype(dtype, np.inexact)


_PYTHON_SCALAR_DTYPES = {
    bool: np.dtype(bool),
    int: np.dtype(np.int64),
    float: np.dtype(np.float64),
    complex: np.dtype(np.complex128),
}


def concrete_aval(x: Any) -> ShapedArray:
    """The aval of a concrete value, or a `TypeError` if it is not numeric."""
    if isinstance(x, np.ndarray | np.generic):
        if x.dtype.kind not in "biufc":
            raise FuncgradTypeError(
                f"funcgrad cannot trace an array of dtype {x.dtype}; only "
                f"boolean, integer, floating and complex arrays are supported."
            )
        dtype = x.dtype if x.dtype.isnative else x.dtype.newbyteorder("=")
        return ShapedArray(x.shape, dtype)
    dtype = _PYTHON_SCALAR_DTYPES.get(type(x))
    if dtype is not None:
        if type(x) is int and not -(2**63) <= x < 2**63:
            raise FuncgradTypeError(
                f"The Python int {x} does not fit in int64; pass it as a "
                f"float, or keep it out of the traced arguments."
            )
        return ShapedArray((), dtype)
    raise FuncgradTypeError(
        f"funcgrad cannot trace a value of type {type(x).__name__}: expected "
        f"a numpy array, a numpy scalar or a Python number."
    )


def is_python_scalar(x: Any) -> bool:
    return type(x) in _PYTHON_SCALAR_DTYPES


def as_traceable(x: Any, where: str, hint: str) -> Any:
    """`x` as an array funcgrad can trace (tracers pass through), or a
    `TypeError` that names `where` it came from and ends with `hint`."""
    from funcgrad.core._trace import Tracer

    if isinstance(x, Tracer):
        return x
    try:
        concrete_aval(x)
    except FuncgradTypeError:
        raise FuncgradTypeError(
            f"{where} is a {type(x).__name__}, which funcgrad cannot trace. {hint}"
        ) from None
    x = x if isinstance(x, np.ndarray) else np.asarray(x)
    if not x.dtype.isnative:  # big-endian data from a file: compute natively
        x = x.astype(x.dtype.newbyteorder("="))
    return x
