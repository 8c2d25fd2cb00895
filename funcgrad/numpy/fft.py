"""`funcgrad.numpy.fft`: numpy's discrete Fourier transforms, traceable.

Each function takes numpy's arguments (`n`, `axis` or `s`, `axes`, and
`norm`: "backward", "ortho" or "forward") and returns what numpy returns:
the same dtypes (float32 and complex64 stay single precision), shapes and
scalings. Inside a transform the transforms are the `fft` primitive
(`funcgrad.primitives._fft`), after cropping or zero-padding to the
requested lengths and moving the transformed axes last, so they can be
differentiated (derivatives follow JAX's convention for complex numbers:
docs/conventions.md), batched with `vmap` and compiled with `jit`.

>>> import numpy as np, funcgrad as fg, funcgrad.numpy as fnp
>>> fnp.fft.rfft(np.array([1.0, 2.0, 3.0, 4.0]))
array([10.+0.j, -2.+2.j, -2.+0.j])
>>> fg.grad(lambda x: fnp.sum(fnp.abs(fnp.fft.fft(x)) ** 2))(np.ones(2))
array([4., 4.])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad.core import get_aval
from funcgrad.errors import FuncgradTypeError, FuncgradValueError, ShapeError
from funcgrad.numpy._arrays import roll
from funcgrad.numpy._complex import conjugate
from funcgrad.numpy._shape import moveaxis
from funcgrad.numpy._ufuncs import divide, multiply
from funcgrad.numpy._util import as_operand, cast, is_eager, to_ndarray
from funcgrad.primitives import _complex as cp
from funcgrad.primitives import _fft
from funcgrad.primitives import _shape as shape_ops
from funcgrad.primitives._util import normalize_axis

__all__ = [
    "fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2",
    "irfft2", "fftn", "ifftn", "rfftn", "irfftn", "fftshift", "ifftshift",
    "fftfreq", "rfftfreq",
]  # fmt: skip

_NORMS = (None, "backward", "ortho", "forward")


# --- argument handling ------------------------------------------------------------


def _check_norm(norm: Any) -> None:
    if norm not in _NORMS:
        raise FuncgradValueError(
            f'Invalid norm value {norm}; should be "backward", "ortho" or '
            f'"forward" (as in numpy).'
        )


def _check_out(out: Any, name: str) -> None:
    if out is not None:
        raise FuncgradTypeError(
            f"`funcgrad.numpy.fft.{name}(..., out=...)` cannot write into an "
            f"array inside a transform; use the returned value instead."
        )


def _real_dtype(dtype: np.dtype) -> np.dtype:
    """numpy transforms float32 (and float16) in single precision, all other
    real and integer dtypes in double."""
    if dtype.kind == "c":
        return cp.real_dtype(dtype)
    if dtype in (np.float16, np.float32):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def _operand(a: Any, kind: str, name: str) -> Any:
    x = as_operand(a)
    dtype = get_aval(x).dtype
    if kind == "rfft":
        if dtype.kind == "c":
            raise FuncgradTypeError(
                f"`funcgrad.numpy.fft.{name}` transforms real input, got "
                f"{dtype} (numpy refuses it too); take `real` first, or use "
                f"`fft`."
            )
        return cast(x, _real_dtype(dtype))
    return cast(x, cp.complex_dtype(_real_dtype(dtype)))


def _lengths(
    shape: tuple[int, ...], s: Any, axes: Any, kind: str, name: str
) -> tuple[list[int], list[int]]:
    """The transformed axes (in order, the last one the real axis of
    `rfftn` and `irfftn`) and the signal length along each, as numpy
    chooses them from `s` and `axes`."""
    ndim = len(shape)
    if axes is None:
        count = ndim if s is None else len(s)
        axes = list(range(ndim - count, ndim))
    else:
        axes = [axes] if isinstance(axes, int | np.integer) else list(axes)
    axes = [normalize_axis(name, int(a), ndim) for a in axes]
    if len(set(axes)) != len(axes):
        raise FuncgradValueError(
            f"`funcgrad.numpy.fft.{name}`: repeated axes {tuple(axes)} are "
            f"not supported; transform one axis at a time instead."
        )
    if s is None:
        s = [-1] * len(axes)
    s = [int(n) for n in s]
    if len(s) != len(axes):
        raise ShapeError(
            f"`funcgrad.numpy.fft.{name}`: `s` and `axes` have different "
            f"lengths ({len(s)} and {len(axes)})."
        )
    lengths = []
    for i, (a, n) in enumerate(zip(axes, s)):
        if n == -1:  # the whole input, as numpy reads a missing length
            last_half = kind == "irfft" and i == len(axes) - 1
            n = 2 * (shape[a] - 1) if last_half else shape[a]
        if n < 1:
            raise FuncgradValueError(
                f"Invalid number of FFT data points ({n}) specified "
                f"(`funcgrad.numpy.fft.{name}`)."
            )
        lengths.append(n)
    return axes, lengths


def _resize(x: Any, axis: int, n: int) -> Any:
    """Crop `x` along `axis` to `n`, or pad it with zeros at the end."""
    shape = get_aval(x).shape
    if shape[axis] > n:
        limit = list(shape)
        limit[axis] = n
        return shape_ops.slice(x, [0] * len(shape), limit)
    if shape[axis] < n:
        config = [(0, 0, 0)] * len(shape)
        config[axis] = (0, n - shape[axis], 0)
        return shape_ops.pad(x, config)
    return x


def _scale(y: Any, norm: Any, size: int, inverse: bool) -> Any:
    """numpy's `norm` on top of the primitive's "backward" scaling (none
    forward, `1 / size` inverse)."""
    if norm in (None, "backward"):
        return y
    if norm == "ortho":
        factor = math.sqrt(size) if inverse else 1 / math.sqrt(size)
    else:
        factor = size if inverse else 1 / size
    # the factor rounded to the parts' precision, as numpy's is
    dtype = get_aval(y).dtype
    return multiply(y, np.asarray(factor, cp.real_dtype(dtype)).astype(dtype))


def _transform(a: Any, s: Any, axes: Any, norm: Any, kind: str, name: str) -> Any:
    _check_norm(norm)
    x = _operand(a, kind, name)
    ndim = get_aval(x).ndim
    axes, lengths = _lengths(get_aval(x).shape, s, axes, kind, name)
    for i, (axis, n) in enumerate(zip(axes, lengths)):
        last_half = kind == "irfft" and i == len(axes) - 1
        x = _resize(x, axis, _fft.half_length(n) if last_half else n)
    trailing = list(range(ndim - len(axes), ndim))
    y = _fft.fft(moveaxis(x, axes, trailing), kind, tuple(lengths))
    size = int(np.prod(lengths, dtype=np.int64))
    y = _scale(y, norm, size, inverse=kind in ("ifft", "irfft"))
    return moveaxis(y, trailing, axes)


def _one_axis(n: Any, axis: Any) -> tuple[Any, list[int]]:
    return (None if n is None else [n]), [axis]


# --- one axis -----------------------------------------------------------------------


def fft(
    a: Any, n: Any = None, axis: int = -1, norm: Any = None, out: Any = None
) -> Any:
    """`numpy.fft.fft`: the discrete Fourier transform along `axis`,
    cropped or zero-padded to `n` points."""
    if is_eager(a):
        return to_ndarray(np.fft.fft(a, n, axis, norm, out))
    _check_out(out, "fft")
    return _transform(a, *_one_axis(n, axis), norm, "fft", "fft")


def ifft(
    a: Any, n: Any = None, axis: int = -1, norm: Any = None, out: Any = None
) -> Any:
    """`numpy.fft.ifft`: the inverse of `fft` (scaled by `1 / n`)."""
    if is_eager(a):
        return to_ndarray(np.fft.ifft(a, n, axis, norm, out))
    _check_out(out, "ifft")
    return _transform(a, *_one_axis(n, axis), norm, "ifft", "ifft")


def rfft(
    a: Any, n: Any = None, axis: int = -1, norm: Any = None, out: Any = None
) -> Any:
    """`numpy.fft.rfft`: the transform of a real signal, its `n // 2 + 1`
    non-negative frequencies."""
    if is_eager(a):
        return to_ndarray(np.fft.rfft(a, n, axis, norm, out))
    _check_out(out, "rfft")
    return _transform(a, *_one_axis(n, axis), norm, "rfft", "rfft")


def irfft(
    a: Any, n: Any = None, axis: int = -1, norm: Any = None, out: Any = None
) -> Any:
    """`numpy.fft.irfft`: the real signal of `n` points (default
    `2 * (m - 1)`) whose half spectrum is `a`. As in numpy, the imaginary
    parts of the zero (and, for even `n`, the Nyquist) frequency are
    ignored, and so are their derivatives."""
    if is_eager(a):
        return to_ndarray(np.fft.irfft(a, n, axis, norm, out))
    _check_out(out, "irfft")
    return _transform(a, *_one_axis(n, axis), norm, "irfft", "irfft")


_SWAPPED_NORMS = {None: "forward", "backward": "forward", "ortho": "ortho",
                  "forward": "backward"}  # fmt: skip


def hfft(
    a: Any, n: Any = None, axis: int = -1, norm: Any = None, out: Any = None
) -> Any:
    """`numpy.fft.hfft`: the real spectrum of a signal with Hermitian
    symmetry, given by its first half `a` (`irfft` of `conj(a)`, scaled the
    other way)."""
    if is_eager(a):
        return to_ndarray(np.fft.hfft(a, n, axis, norm, out))
    _check_out(out, "hfft")
    _check_norm(norm)
    x = _operand(a, "irfft", "hfft")
    swapped = _SWAPPED_NORMS[norm]
    return _transform(conjugate(x), *_one_axis(n, axis), swapped, "irfft", "hfft")


def ihfft(
    a: Any, n: Any = None, axis: int = -1, norm: Any = None, out: Any = None
) -> Any:
    """`numpy.fft.ihfft`: the inverse of `hfft`, `conj(rfft(a)) / n`."""
    if is_eager(a):
        return to_ndarray(np.fft.ihfft(a, n, axis, norm, out))
    _check_out(out, "ihfft")
    _check_norm(norm)
    swapped = _SWAPPED_NORMS[norm]
    return conjugate(_transform(a, *_one_axis(n, axis), swapped, "rfft", "ihfft"))


# --- several axes -------------------------------------------------------------------


def fftn(
    a: Any, s: Any = None, axes: Any = None, norm: Any = None, out: Any = None
) -> Any:
    """`numpy.fft.fftn`: the transform over `axes` (all, by default), each
    cropped or padded to its length in `s`."""
    if is_eager(a):
        return to_ndarray(np.fft.fftn(a, s, axes, norm, out))
    _check_out(out, "fftn")
    return _transform(a, s, axes, norm, "fft", "fftn")


def ifftn(
    a: Any, s: Any = None, axes: Any = None, norm: Any = None, out: Any = None
) -> Any:
    """`numpy.fft.ifftn`: the inverse of `fftn`."""
    if is_eager(a):
        return to_ndarray(np.fft.ifftn(a, s, axes, norm, out))
    _check_out(out, "ifftn")
    return _transform(a, s, axes, norm, "ifft", "ifftn")


def rfftn(
    a: Any, s: Any = None, axes: Any = None, norm: Any = None, out: Any = None
) -> Any:
    """`numpy.fft.rfftn`: the transform of a real array, the last of `axes`
    cut to its non-negative frequencies."""
    if is_eager(a):
        return to_ndarray(np.fft.rfftn(a, s, axes, norm, out))
    _check_out(out, "rfftn")
    return _transform(a, s, axes, norm, "rfft", "rfftn")


def irfftn(
    a: Any, s: Any = None, axes: Any = None, norm: Any = None, out: Any = None
) -> Any:
    """`numpy.fft.irfftn`: the inverse of `rfftn`; the last output length
    defaults to `2 * (m - 1)`."""
    if is_eager(a):
        return to_ndarray(np.fft.irfftn(a, s, axes, norm, out))
    _check_out(out, "irfftn")
    return _transform(a, s, axes, norm, "irfft", "irfftn")


def fft2(a: Any, s: Any = None, axes: Sequence[int] = (-2, -1), norm: Any = None,
         out: Any = None) -> Any:  # fmt: skip
    """`numpy.fft.fft2`: `fftn` over the last two axes."""
    if is_eager(a):
        return to_ndarray(np.fft.fft2(a, s, axes, norm, out))
    _check_out(out, "fft2")
    return _transform(a, s, axes, norm, "fft", "fft2")


def ifft2(a: Any, s: Any = None, axes: Sequence[int] = (-2, -1), norm: Any = None,
          out: Any = None) -> Any:  # fmt: skip
    """`numpy.fft.ifft2`: `ifftn` over the last two axes."""
    if is_eager(a):
        return to_ndarray(np.fft.ifft2(a, s, axes, norm, out))
    _check_out(out, "ifft2")
    return _transform(a, s, axes, norm, "ifft", "ifft2")


def rfft2(a: Any, s: Any = None, axes: Sequence[int] = (-2, -1), norm: Any = None,
          out: Any = None) -> Any:  # fmt: skip
    """`numpy.fft.rfft2`: `rfftn` over the last two axes."""
    if is_eager(a):
        return to_ndarray(np.fft.rfft2(a, s, axes, norm, out))
    _check_out(out, "rfft2")
    return _transform(a, s, axes, norm, "rfft", "rfft2")


def irfft2(a: Any, s: Any = None, axes: Sequence[int] = (-2, -1), norm: Any = None,
           out: Any = None) -> Any:  # fmt: skip
    """`numpy.fft.irfft2`: `irfftn` over the last two axes."""
    if is_eager(a):
        return to_ndarray(np.fft.irfft2(a, s, axes, norm, out))
    _check_out(out, "irfft2")
    return _transform(a, s, axes, norm, "irfft", "irfft2")


# --- shifts and frequencies ---------------------------------------------------------


def _shifts(x: Any, axes: Any, sign: int) -> tuple[Any, tuple[int, ...]]:
    shape = get_aval(x).shape
    if axes is None:
        axes = tuple(range(len(shape)))
    elif isinstance(axes, int | np.integer):
        axes = (int(axes),)
    shifts = tuple(sign * (shape[a] // 2) for a in axes)
    return shifts, tuple(axes)


def fftshift(x: Any, axes: Any = None) -> Any:
    """`numpy.fft.fftshift`: the zero frequency moved to the centre (a roll
    by half of each axis, all axes by default).

    >>> import funcgrad.numpy as fnp
    >>> fnp.fft.fftshift(fnp.fft.fftfreq(5))
    array([-0.4, -0.2,  0. ,  0.2,  0.4])
    """
    if is_eager(x):
        return to_ndarray(np.fft.fftshift(x, axes))
    x = as_operand(x)
    return roll(x, *_shifts(x, axes, 1))


def ifftshift(x: Any, axes: Any = None) -> Any:
    """`numpy.fft.ifftshift`: the inverse of `fftshift`."""
    if is_eager(x):
        return to_ndarray(np.fft.ifftshift(x, axes))
    x = as_operand(x)
    return roll(x, *_shifts(x, axes, -1))


def _check_points(n: Any, name: str) -> int:
    if isinstance(n, np.ndarray) and n.shape == () and n.dtype.kind in "iu":
        n = n[()]  # a 0-d array: what `vmap` makes of an unbatched int
    if not isinstance(n, int | np.integer) or isinstance(n, bool):
        raise FuncgradTypeError(
            f"`funcgrad.numpy.fft.{name}`: `n` must be an int known while "
            f"tracing, got {type(n).__name__}."
        )
    return int(n)


def fftfreq(n: int, d: Any = 1.0, device: Any = None) -> Any:
    """`numpy.fft.fftfreq`: the frequencies of `fft`'s `n` outputs for
    sample spacing `d` (which may be traced and differentiated)."""
    n = _check_points(n, "fftfreq")
    if is_eager(d):
        return to_ndarray(np.fft.fftfreq(n, d, device=device))
    k = np.fft.ifftshift(np.arange(n) - n // 2)
    return multiply(k, divide(1.0, multiply(n, d)))


def rfftfreq(n: int, d: Any = 1.0, device: Any = None) -> Any:
    """`numpy.fft.rfftfreq`: the frequencies of `rfft`'s `n // 2 + 1`
    outputs for sample spacing `d` (which may be traced)."""
    n = _check_points(n, "rfftfreq")
    if is_eager(d):
        return to_ndarray(np.fft.rfftfreq(n, d, device=device))
    k = np.arange(n // 2 + 1)
    return multiply(k, divide(1.0, multiply(n, d)))
